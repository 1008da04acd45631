import os

# scipy reads this once, at its import: before numpy, scipy or sklearn load.
# It lets scikit-learn's array API dispatch (and its array-API estimator
# checks) run; scipy's own functions then dispatch on the input's namespace.
os.environ.setdefault("SCIPY_ARRAY_API", "1")
# torch's OpenMP threads busy-wait after each parallel region by default; on
# a 2-core machine they then starve numpy's BLAS threads (and subprocesses)
# for the rest of the session.  Let them sleep (read when torch loads).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
# With one test process per core (pytest -n auto), each gets one BLAS and
# OpenMP thread: more would only compete for the same cores.
if os.environ.get("PYTEST_XDIST_WORKER"):
    for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_name, "1")

import importlib.util

import numpy as np
import pytest


def has_module(name):
    return importlib.util.find_spec(name) is not None


@pytest.fixture
def rng():
    return np.random.RandomState(0)
