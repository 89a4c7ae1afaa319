"""scikit-learn's test accuracies that FlockML's classifier tests compare against: logistic
regression on every data set, HistGradientBoosting (LightGBM's defaults: 100 trees of 31
leaves, step 0.1, 20 rows a leaf, 255 bins), random forests and linear SVMs on every data
set (FlockML fits the multiclass ones one class against the rest, `OneVsRest`), over four
folds or the one split.

Run from the project root:
    python3 -m venv .venv && .venv/bin/pip install -r Benchmarks/peers/requirements-ml.txt
    .venv/bin/python Benchmarks/peers/ml_fixtures.py
Every fourth row, from the first, is the test set; the rest trains. The label is the last column.
"""
import csv
import json
import pathlib

from sklearn.ensemble import HistGradientBoostingClassifier
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

# Boosted trees swing by points from split to split on a few hundred rows, so they are
# compared on the mean test accuracy of four folds (fold k tests every fourth row from row k).
boosted = {}
for name in ["iris", "wine", "breast_cancer", "digits"]:
    features, labels = load(name)
    scores = []
    for fold in range(4):
        train = [i for i in range(len(labels)) if i % 4 != fold]
        test = [i for i in range(len(labels)) if i % 4 == fold]
        model = HistGradientBoostingClassifier(max_iter=100, max_leaf_nodes=31, learning_rate=0.1,
                                               min_samples_leaf=20, max_bins=255, early_stopping=False)
        model.fit([features[i] for i in train], [labels[i] for i in train])
        scores.append(model.score([features[i] for i in test], [labels[i] for i in test]))
    boosted[name] = sum(scores) / len(scores)
(FIXTURES / "sklearn_gbt.json").write_text(json.dumps(boosted, indent=2, sort_keys=True) + "\n")
print(boosted)

# Naive Bayes: Gaussian on the real-valued sets (its var_smoothing 1e-9 is FlockML's
# varSmoothing), multinomial on digits (pixel counts 0..16; alpha 1 is FlockML's smoothing),
# compared on test accuracy over the same split.
from sklearn.naive_bayes import GaussianNB, MultinomialNB

bayes = {}
for name in ["iris", "wine", "breast_cancer", "digits"]:
    features, labels = load(name)
    (train_x, test_x), (train_y, test_y) = split(features), split(labels)
    bayes[f"gaussian/{name}"] = GaussianNB().fit(train_x, train_y).score(test_x, test_y)
features, labels = load("digits")
(train_x, test_x), (train_y, test_y) = split(features), split(labels)
bayes["multinomial/digits"] = MultinomialNB(alpha=1.0).fit(train_x, train_y).score(test_x, test_y)
(FIXTURES / "sklearn_naive_bayes.json").write_text(json.dumps(bayes, indent=2, sort_keys=True) + "\n")
print(bayes)

# Elastic net and lasso: regress wine's first column on the others (train split), scikit-
# learn's objective (1/2n)|y - Xw - b|^2 + alpha l1_ratio |w|_1 + alpha (1 - l1_ratio)/2 |w|^2
# is FlockML's with regParam = alpha, elasticNetParam = l1_ratio. Coefficients compared.
from sklearn.linear_model import ElasticNet

features, _ = load("wine")
train, _ = split(features)
x = [row[1:] for row in train]
y = [row[0] for row in train]
nets = {}
for l1_ratio in [0.5, 1.0]:
    model = ElasticNet(alpha=0.05, l1_ratio=l1_ratio, tol=1e-12, max_iter=1000000).fit(x, y)
    nets[str(l1_ratio)] = {"coefficients": list(model.coef_), "intercept": model.intercept_}
(FIXTURES / "sklearn_elastic_net.json").write_text(json.dumps(nets, indent=2, sort_keys=True) + "\n")
print(nets)

# L1 logistic regression (saga on standardized features, C = 0.1): test accuracy and how
# many weights are exactly 0.
sparse = {}
for name in ["breast_cancer"]:
    features, labels = load(name)
    (train_x, test_x), (train_y, test_y) = split(features), split(labels)
    model = make_pipeline(StandardScaler(), LogisticRegression(l1_ratio=1.0, C=0.1, solver="saga", tol=1e-10,
                                                               max_iter=100000))
    model.fit(train_x, train_y)
    weights = model[-1].coef_[0]
    sparse[name] = {"accuracy": model.score(test_x, test_y), "zeros": int(sum(1 for w in weights if w == 0))}
(FIXTURES / "sklearn_l1_logistic.json").write_text(json.dumps(sparse, indent=2, sort_keys=True) + "\n")
print(sparse)

# Random forests and one decision tree with Spark's defaults (20 trees, depth 5, sqrt of
# the features a node for classification, a third for regression): mean test accuracy (R2
# for the regressor, wine's first column on the others) over the four folds.
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.tree import DecisionTreeClassifier


def folds(features, labels, make):
    scores = []
    for fold in range(4):
        train = [i for i in range(len(labels)) if i % 4 != fold]
        test = [i for i in range(len(labels)) if i % 4 == fold]
        model = make().fit([features[i] for i in train], [labels[i] for i in train])
        scores.append(model.score([features[i] for i in test], [labels[i] for i in test]))
    return sum(scores) / len(scores)


forests = {}
features, labels = load("breast_cancer")
forests["classifier/breast_cancer"] = folds(
    features, labels, lambda: RandomForestClassifier(n_estimators=20, max_depth=5, max_features="sqrt", random_state=0))
forests["tree/breast_cancer"] = folds(features, labels, lambda: DecisionTreeClassifier(max_depth=5, random_state=0))
# Multiclass: scikit-learn's forest grows multiclass trees; FlockML fits a forest per class
# (`OneVsRest`), which scikit-learn's OneVsRestClassifier does the same way.
from sklearn.multiclass import OneVsRestClassifier

for name in ["iris", "wine", "digits"]:
    features, labels = load(name)
    forests[f"classifier/{name}"] = folds(
        features, labels,
        lambda: RandomForestClassifier(n_estimators=20, max_depth=5, max_features="sqrt", random_state=0))
    forests[f"one-vs-rest/{name}"] = folds(
        features, labels,
        lambda: OneVsRestClassifier(
            RandomForestClassifier(n_estimators=20, max_depth=5, max_features="sqrt", random_state=0)))
features, _ = load("wine")
forests["regressor/wine"] = folds(
    [row[1:] for row in features], [row[0] for row in features],
    lambda: RandomForestRegressor(n_estimators=20, max_depth=5, max_features=1 / 3, random_state=0))
(FIXTURES / "sklearn_forest.json").write_text(json.dumps(forests, indent=2, sort_keys=True) + "\n")
print(forests)

# Linear SVM (squared hinge, C = 1, standardized features; one class against the rest on
# the multiclass sets, as scikit-learn's LinearSVC does).
from sklearn.svm import LinearSVC

svms = {}
for name in ["iris", "wine", "breast_cancer", "digits"]:
    features, labels = load(name)
    (train_x, test_x), (train_y, test_y) = split(features), split(labels)
    svm = make_pipeline(StandardScaler(), LinearSVC(C=1.0, loss="squared_hinge", tol=1e-8, max_iter=100000))
    svm.fit(train_x, train_y)
    svms[name] = svm.score(test_x, test_y)
# Spark's loss, the plain hinge, on the two-class set.
features, labels = load("breast_cancer")
(train_x, test_x), (train_y, test_y) = split(features), split(labels)
svm = make_pipeline(StandardScaler(), LinearSVC(C=1.0, loss="hinge", tol=1e-8, max_iter=100000))
svm.fit(train_x, train_y)
svms["hinge/breast_cancer"] = svm.score(test_x, test_y)
(FIXTURES / "sklearn_svc.json").write_text(json.dumps(svms, indent=2, sort_keys=True) + "\n")
print(svms)

# Balanced class weights (C = 1, standardized): test accuracy and the recall of each class.
from sklearn.metrics import recall_score

weighted = {}
for name in ["breast_cancer", "wine"]:
    features, labels = load(name)
    (train_x, test_x), (train_y, test_y) = split(features), split(labels)
    model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, class_weight="balanced", max_iter=10000))
    model.fit(train_x, train_y)
    predicted = model.predict(test_x)
    weighted[name] = {"accuracy": model.score(test_x, test_y),
                      "recalls": list(recall_score(test_y, predicted, average=None))}
(FIXTURES / "sklearn_balanced_logistic.json").write_text(json.dumps(weighted, indent=2, sort_keys=True) + "\n")
print(weighted)

# PCA of iris's four features (train split): components (up to sign) and explained variance.
from sklearn.decomposition import PCA

features, _ = load("iris")
train, _ = split(features)
pca = PCA(n_components=2).fit(train)
(FIXTURES / "sklearn_pca.json").write_text(json.dumps({
    "components": [list(map(float, c)) for c in pca.components_],
    "explained_variance": list(map(float, pca.explained_variance_)),
    "explained_variance_ratio": list(map(float, pca.explained_variance_ratio_)),
}, indent=2) + "\n")
print(pca.explained_variance_)
