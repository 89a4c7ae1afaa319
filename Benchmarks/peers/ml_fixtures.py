"""scikit-learn's test accuracies that FlockML's classifier tests compare against.

Run from the project root:
    python3 -m venv .venv && .venv/bin/pip install -r Benchmarks/peers/requirements-ml.txt
    .venv/bin/python Benchmarks/peers/ml_fixtures.py
Every fourth row, from the first, is the test set; the rest trains. The label is the last column.
"""
import csv
import json
import pathlib

from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

FIXTURES = pathlib.Path("Tests/FlockMLTests/Fixtures")


def load(name):
    with open(FIXTURES / f"{name}.csv") as f:
        rows = list(csv.reader(f))[1:]
    features = [[float(v) for v in row[:-1]] for row in rows]
    labels = [int(float(row[-1])) for row in rows]
    return features, labels


def split(values):
    return [v for i, v in enumerate(values) if i % 4 != 0], [v for i, v in enumerate(values) if i % 4 == 0]


results = {}
for name in ["iris", "wine", "breast_cancer", "digits"]:
    features, labels = load(name)
    (train_x, test_x), (train_y, test_y) = split(features), split(labels)
    model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=10000))
    model.fit(train_x, train_y)
    results[name] = model.score(test_x, test_y)
(FIXTURES / "sklearn_logistic.json").write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
print(results)
