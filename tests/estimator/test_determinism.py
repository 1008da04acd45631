"""Fits are deterministic: refits, a fresh process, and seeds that matter."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.small_fits import Y_3, Y_REG, X, _fit_for_determinism, _hash_coefs
from skb_test_helpers import quiet

ROOT = Path(__file__).resolve().parents[2]


# the same data, fits and hash, in a fresh interpreter (self-contained, so
# it does not depend on where this module lives)
_DETERMINISM_SCRIPT = """
import hashlib, warnings
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from skbackprop import BackpropMLPClassifier, BackpropMLPRegressor
warnings.simplefilter("ignore", ConvergenceWarning)
_rng = np.random.RandomState(0)
X = _rng.randn(20, 4)
Y_3 = np.arange(20) % 3
Y_REG = _rng.randn(20)
OURS = {"clf": BackpropMLPClassifier, "reg": BackpropMLPRegressor}
for kind, solver in [("clf", "adam"), ("clf", "sgd"), ("reg", "lbfgs")]:
    est = OURS[kind](hidden_layer_sizes=(5, 3), max_iter=10, random_state=42,
                     solver=solver)
    est.fit(X, Y_3 if kind == "clf" else Y_REG)
    h = hashlib.sha256()
    for a in [*est.coefs_, *est.intercepts_]:
        h.update(np.ascontiguousarray(a).tobytes())
    print(h.hexdigest())
"""
_DET_CONFIGS = [("clf", "adam"), ("clf", "sgd"), ("reg", "lbfgs")]


@pytest.mark.slow  # a fresh interpreter
def test_determinism_refit_and_fresh_process():
    in_process = []
    for kind, solver in _DET_CONFIGS:
        a = _fit_for_determinism(kind, solver)
        b = _fit_for_determinism(kind, solver)
        # refitting the same estimator too
        with quiet():
            a_hash = _hash_coefs(a)
            a.fit(X, Y_3 if kind == "clf" else Y_REG)
        assert _hash_coefs(a) == a_hash == _hash_coefs(b)
        in_process.append(a_hash)
    proc = subprocess.run(
        [sys.executable, "-c", _DETERMINISM_SCRIPT],
        capture_output=True, text=True, cwd=ROOT, check=True,
        env={**os.environ,
             "PYTHONPATH": str(ROOT)},
    )
    assert proc.stdout.split() == in_process


@pytest.mark.parametrize("kind,solver", _DET_CONFIGS)
def test_different_seeds_differ(kind, solver):
    a = _fit_for_determinism(kind, solver, seed=1)
    b = _fit_for_determinism(kind, solver, seed=2)
    assert _hash_coefs(a) != _hash_coefs(b)
