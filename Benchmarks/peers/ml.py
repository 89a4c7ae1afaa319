"""scikit-learn on the data `flock bench ml --peers` writes: k-means (20 Lloyd rounds from
the first 10 rows, no early stop) and logistic regression (lbfgs, C = 1), timed as Flock
times its fits (one warm-up, then --repeats runs; median and best). One JSON line per case.
"""
import argparse
import json
import time

parser = argparse.ArgumentParser()
parser.add_argument("--base", required=True)
parser.add_argument("--rows", type=int, required=True)
parser.add_argument("--repeats", type=int, default=5)
args = parser.parse_args()

try:
    import numpy as np
    from sklearn.cluster import KMeans
    from sklearn.linear_model import LogisticRegression
except ImportError as error:
    print(json.dumps({"case": "sklearn", "missing": str(error)}))
    raise SystemExit(0)


def timed(fit):
    fit()
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        result = fit()
        times.append(time.perf_counter() - start)
    times.sort()
    return result, times[len(times) // 2], times[0]


blobs = np.fromfile(args.base + "-blobs.f64").reshape(args.rows, 10)
model, median, best = timed(
    lambda: KMeans(n_clusters=10, init=blobs[:10], n_init=1, max_iter=20, tol=0, algorithm="lloyd").fit(blobs))
print(json.dumps({"case": "kmeans", "median": median, "best": best, "cost": float(model.inertia_)}))

features = np.fromfile(args.base + "-features.f64").reshape(args.rows, 20)
labels = np.fromfile(args.base + "-labels.f64").astype(np.int64)
model, median, best = timed(lambda: LogisticRegression(C=1.0, max_iter=1000).fit(features, labels))
print(json.dumps({"case": "logistic", "median": median, "best": best,
                  "accuracy": float(model.score(features, labels))}))
