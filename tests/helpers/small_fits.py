"""Helpers shared by ``estimator/test_determinism.py``,
``estimator/test_inputs_untouched.py``, ``estimator/test_interrupts.py``,
``estimator/test_persistence.py``, ``estimator/test_threads.py``."""

import hashlib

import numpy as np
from skb_test_helpers import quiet

from skbackprop import BackpropMLPClassifier, BackpropMLPRegressor

# tiny seeded data
_rng = np.random.RandomState(0)
X = _rng.randn(20, 4)
Y_3 = np.arange(20) % 3
Y_REG = _rng.randn(20)
OURS = {"clf": BackpropMLPClassifier, "reg": BackpropMLPRegressor}


def _hash_coefs(est):
    h = hashlib.sha256()
    for a in [*est.coefs_, *est.intercepts_]:
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def _fit_for_determinism(kind, solver, seed=42):
    est = OURS[kind](hidden_layer_sizes=(5, 3), max_iter=10, random_state=seed,
                     solver=solver)
    with quiet():
        return est.fit(X, Y_3 if kind == "clf" else Y_REG)
