"""Helpers shared by ``estimator/test_early_stopping.py``,
``estimator/test_stopping_rules.py``."""

from sklearn.datasets import load_iris
from sklearn.preprocessing import StandardScaler

X_IRIS, Y_IRIS = load_iris(return_X_y=True)
X = StandardScaler().fit_transform(X_IRIS)
