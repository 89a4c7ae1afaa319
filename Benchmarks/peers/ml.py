"""The peers of `flock bench ml --peers`, on the data it writes: scikit-learn's k-means
(20 Lloyd rounds from the first 10 rows, no early stop) and logistic regression (lbfgs,
C = 1); LightGBM and scikit-learn's HistGradientBoosting for the boosted trees (100 trees,
255 leaves, step 0.1, 255 bins, all cores; AUC on the last 20% of the rows). Timed as Flock
times its fits (one warm-up, then --repeats runs; median and best). One JSON line per
case and peer: {"case", "peer", "median", "best", "quality"}.
"""
import argparse
import json
import time

parser = argparse.ArgumentParser()
parser.add_argument("--base", required=True)
parser.add_argument("--rows", type=int, required=True)
parser.add_argument("--repeats", type=int, default=5)
parser.add_argument("--cases", default="gbt,kmeans,logistic")
args = parser.parse_args()
cases = set(args.cases.split(","))

try:
    import numpy as np
    from sklearn.cluster import KMeans
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
except ImportError as error:
    print(json.dumps({"case": "sklearn", "missing": str(error)}))
    raise SystemExit(0)


def timed(fit, repeats=args.repeats):
    fit()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = fit()
        times.append(time.perf_counter() - start)
    times.sort()
    return result, times[len(times) // 2], times[0]


def report(case, peer, result, quality):
    _, median, best = result
    print(json.dumps({"case": case, "peer": peer, "median": median, "best": best, "quality": quality}), flush=True)


if "kmeans" in cases:
    blobs = np.fromfile(args.base + "-blobs.f64").reshape(args.rows, 10)
    result = timed(lambda: KMeans(n_clusters=10, init=blobs[:10], n_init=1, max_iter=20, tol=0,
                                  algorithm="lloyd").fit(blobs))
    report("kmeans", "sklearn", result, float(result[0].inertia_))

if "logistic" in cases:
    features = np.fromfile(args.base + "-features.f64").reshape(args.rows, 20)
    labels = np.fromfile(args.base + "-labels.f64").astype(np.int64)
    result = timed(lambda: LogisticRegression(C=1.0, max_iter=1000).fit(features, labels))
    report("logistic", "sklearn", result, float(result[0].score(features, labels)))

if "gbt" in cases:
    features = np.fromfile(args.base + "-hypercube.f64").reshape(args.rows, 28)
    labels = np.fromfile(args.base + "-hypercube-labels.f64").astype(np.int64)
    train = args.rows * 4 // 5
    x, y, test_x, test_y = features[:train], labels[:train], features[train:], labels[train:]
    repeats = min(args.repeats, 3)
    try:
        import lightgbm
        settings = dict(objective="binary", num_leaves=255, learning_rate=0.1, max_bin=255, verbose=-1)
        result = timed(lambda: lightgbm.train(settings, lightgbm.Dataset(x, y), num_boost_round=100), repeats)
        report("gbt", "lightgbm", result, float(roc_auc_score(test_y, result[0].predict(test_x))))
    except ImportError as error:
        print(json.dumps({"case": "gbt", "missing": str(error)}))
    result = timed(lambda: HistGradientBoostingClassifier(
        max_iter=100, max_leaf_nodes=255, learning_rate=0.1, max_bins=255, early_stopping=False).fit(x, y), repeats)
    report("gbt", "sklearn", result, float(roc_auc_score(test_y, result[0].predict_proba(test_x)[:, 1])))
