"""gradcheck validates its arguments (ValueError naming the problem)."""


import numpy as np
import scipy.sparse as sp

from battery.case import (
    Y_BIN,
    Case,
    D,
    X,
    tagged,
)
from skbackprop import gradcheck


def _gradcheck_cases():
    cases = []
    add = cases.append
    Y1 = Y_BIN.reshape(-1, 1).astype(float)
    n_params = 4 * 5 + 5 + 5 + 1

    def gc(**kw):
        def call(est, d):
            args = {"X": X, "Y": Y1, **kw}
            return gradcheck(args.pop("X"), args.pop("Y"), **args)

        return call

    for name, kw, exc, pattern, _before in [
        ("mismatched-rows", dict(Y=Y1[:19]), ValueError,
         "inconsistent numbers of samples", "numpy broadcast error from the loss"),
        ("nan-X", dict(X=np.where(X > 2, np.nan, X)), ValueError, "NaN",
         "returns nan"),
        ("inf-Y", dict(Y=np.where(Y1 > 0, np.inf, 0.0), loss="squared_error"),
         ValueError, "infinity", "RuntimeWarnings, returns nan"),
        ("unknown-activation", dict(activation="bogus"), ValueError,
         "Unknown activation 'bogus'", None),
        ("unknown-loss", dict(loss="bogus"), ValueError, "Unknown loss 'bogus'", None),
        ("eps-zero", dict(eps=0.0), ValueError, "eps", "ZeroDivisionError"),
        ("eps-negative", dict(eps=-1e-3), ValueError, "eps", "accepted"),
        ("eps-nan", dict(eps=np.nan), ValueError, "eps", "returns nan"),
        ("atol-zero", dict(atol=0.0, params=np.zeros(n_params)), ValueError, "atol",
         "accepted"),
        ("params-wrong-length", dict(params=np.zeros(3)), ValueError,
         rf"(?s)params.*{n_params}", "reshape error from Network.unpack"),
        ("params-nan", dict(params=np.full(n_params, np.nan)), ValueError,
         r"params.*(NaN|finite)", "returns nan"),
        ("sample_weight-wrong-length", dict(sample_weight=np.ones(3)), ValueError,
         r"sample_weight", "numpy 'shapes not aligned' error"),
        ("sample_weight-negative", dict(sample_weight=-np.ones(20)), ValueError,
         "Negative values in data passed to sample_weight", "accepted"),
        ("sample_weight-all-zero", dict(sample_weight=np.zeros(20)), ValueError,
         "Sample weights must contain at least one non-zero number",
         "ZeroDivisionError and a RuntimeWarning"),
        ("hidden-size-zero", dict(hidden_layer_sizes=(0,)), ValueError,
         "hidden_layer_sizes", "accepted"),
        ("X-1d", dict(X=X[:, 0]), ValueError, "Expected 2D array",
         "IndexError from gradcheck"),
        ("Y-3d", dict(Y=Y1.reshape(20, 1, 1)), ValueError, r"(?i)\bY\b|dim",
         "numpy broadcast error from the loss"),
        ("empty-X", dict(X=X[:0], Y=Y1[:0]), ValueError, r"0 sample\(s\)",
         "ZeroDivisionError"),
        ("string-X", dict(X=np.full((20, 4), "a")), ValueError,
         "could not convert string to float", None),
        ("sparse-X", dict(X=sp.csr_matrix(X)), (TypeError, ValueError),
         r"(?i)dense|sparse", "'setting an array element with a sequence'"),
        ("poisson-negative-Y", dict(Y=-Y1 - 1, loss="poisson"), ValueError,
         "negative", "returns nan"),
        ("eps-string", dict(eps="a"), ValueError, "eps must be a positive number",
         "TypeError from np.isfinite"),
        ("atol-None", dict(atol=None), ValueError, "atol must be a positive number",
         "TypeError from np.isfinite"),
        ("alpha-None", dict(alpha=None), ValueError,
         "alpha must be a non-negative number", "TypeError from np.isfinite"),
        ("hidden-size-float", dict(hidden_layer_sizes=(2.5,)), ValueError,
         "hidden_layer_sizes must be a positive int", "truncated to 2"),
        ("hidden-size-bool", dict(hidden_layer_sizes=(True,)), ValueError,
         "hidden_layer_sizes must be a positive int", "taken as 1"),
        ("random_state-string", dict(random_state="x"), ValueError,
         "random_state must be an int", "TypeError from numpy"),
        ("log_loss-not-one-hot", dict(loss="log_loss"), ValueError,
         "one-hot", "a gradient error of 1.0"),
        ("binary-Y-out-of-range", dict(Y=Y1 * 5), ValueError, r"\[0, 1\]",
         "a gradient error of 1.35"),
    ]:
        add(Case(f"gradcheck-{name}", "none", D(), gc(**kw), exc, pattern,
                 extra=True))
    return cases


CASES = tagged("gradcheck", _gradcheck_cases())
