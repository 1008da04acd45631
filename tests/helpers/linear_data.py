"""Helpers shared by ``estimator/test_early_stopping.py``,
``estimator/test_persistence.py``, ``estimator/test_solvers.py``,
``estimator/test_warm_start.py``, ``estimator/test_weights.py``."""

import numpy as np

rng = np.random.RandomState(0)
X = rng.randn(40, 4)
Y_REG = X @ np.array([1.0, -1.0, 0.5, 2.0]) + 0.1 * rng.randn(40)
Y_BIN = (X[:, 0] > 0).astype(int)
