"""sample_weight: bad values, zero-sum mini-batches, huge weights.

* A mini-batch whose sample weights sum to zero contributes nothing and does
  not step the optimizer (aligned batches: the fit equals a fit without
  those rows; ``t_`` still counts every sample); only an all-zero total is
  an error.
* A float64 total weight that overflows: a ValueError saying the weights
  are too large.
"""


import numpy as np

from battery.case import (
    FIT,
    ONES,
    PFIT,
    X0,
    X32,
    Y_BIN,
    Y_REG,
    Case,
    D,
    X,
    checks,
    finite,
    fit_with,
    partial_fit_with,
    same_as,
    t_counts_all,
    tagged,
    with_value,
)

SW_HALF = np.r_[np.zeros(10), np.ones(10)]


SW_MOST_ZERO = np.r_[np.zeros(15), np.ones(5)]


def _bad_sample_weight_cases():
    """Negative, NaN, inf, zero, wrong-length and string weights."""
    cases = []
    add = cases.append
    for kind in ("clf", "reg"):
        k = kind
        add(Case(f"{k}-fit-negative-sw", k, D(),
                 fit_with(X0, sample_weight=-np.ones(20)),
                 ValueError, "Negative values in data passed to sample_weight"))
        add(Case(f"{k}-partial_fit-negative-sw", k, D(),
                 partial_fit_with(X0, sample_weight=with_value(np.ones(20), 3, -1)),
                 ValueError, "Negative values in data passed to sample_weight"))
        add(Case(f"{k}-fit-nan-sw", k, D(),
                 fit_with(X0, sample_weight=with_value(ONES, 0, np.nan)),
                 ValueError, "Input sample_weight contains NaN"))
        add(Case(f"{k}-fit-inf-sw", k, D(),
                 fit_with(X0, sample_weight=with_value(ONES, 0, np.inf)),
                 ValueError, "Input sample_weight contains infinity"))
        add(Case(f"{k}-fit-zero-sw", k, D(), fit_with(X0, sample_weight=np.zeros(20)),
                 ValueError, "Sample weights must contain at least one non-zero"))
        add(Case(f"{k}-fit-sw-wrong-length", k, D(),
                 fit_with(X0, sample_weight=np.ones(5)),
                 ValueError, r"sample_weight.shape == \(5,\), expected \(20,\)"))
        add(Case(f"{k}-partial_fit-sw-wrong-length", k, D(),
                 partial_fit_with(X0, sample_weight=np.ones(21)),
                 ValueError, r"sample_weight.shape == \(21,\), expected \(20,\)"))
        add(Case(f"{k}-fit-string-sw", k, D(),
                 fit_with(X0, sample_weight=np.full(20, "a")),
                 ValueError,
                 "sample_weight must be numeric|could not convert string to float"))
    return cases


def _weight_cases():
    """Zero-sum mini-batches, all-zero totals, huge weights."""
    cases = []
    add = cases.append
    # aligned batches: the fit equals a fit without the zero-weight rows
    for kind, solver, y in [("clf", "adam", Y_BIN), ("reg", "sgd", Y_REG),
                            ("reg", "adam", Y_REG)]:
        add(Case(f"{kind}-{solver}-zero-weight-batches-aligned", kind,
                 D(X=X, y=y, sample_weight=SW_HALF), FIT,
                 params=dict(solver=solver, batch_size=5, shuffle=False),
                 check=checks(same_as(D(X=X[10:], y=y[10:], sample_weight=np.ones(10))),
                              t_counts_all(20))))
    sw_sparse_zero = with_value(np.ones(20), [3, 7, 11], 0.0)
    keep = np.flatnonzero(sw_sparse_zero)
    add(Case("reg-adam-zero-weight-rows-batch1", "reg",
             D(X=X, y=Y_REG, sample_weight=sw_sparse_zero), FIT,
             params=dict(batch_size=1, shuffle=False),
             check=same_as(D(X=X[keep], y=Y_REG[keep], sample_weight=np.ones(17)))))
    add(Case("reg-adam-zero-weight-last-partial-batch", "reg",
             D(X=X, y=Y_REG, sample_weight=with_value(np.ones(20), [18, 19], 0.0)), FIT,
             params=dict(batch_size=6, shuffle=False),
             check=same_as(D(X=X[:18], y=Y_REG[:18], sample_weight=np.ones(18)))))
    add(Case("reg-adam-float32-zero-weight-batches-aligned", "reg",
             D(X=X32, y=Y_REG, sample_weight=SW_HALF), FIT,
             params=dict(batch_size=5, shuffle=False),
             check=same_as(D(X=X32[10:], y=Y_REG[10:], sample_weight=np.ones(10)),
                           rtol=1e-6, atol=1e-6)))
    add(Case("reg-partial_fit-zero-weight-batches-aligned", "reg",
             D(X=X, y=Y_REG, sample_weight=SW_HALF), PFIT,
             params=dict(batch_size=5, shuffle=False),
             check=same_as(D(X=X[10:], y=Y_REG[10:], sample_weight=np.ones(10)),
                           call=PFIT)))
    # shuffled small batches: many zero-weight batches, no crash
    add(Case("clf-sgd-zero-weight-batches-shuffled", "clf",
             D(X=X, y=Y_BIN, sample_weight=SW_MOST_ZERO), FIT,
             params=dict(solver="sgd", batch_size=2),
             check=checks(finite, t_counts_all(20))))
    add(Case("reg-adam-zero-weight-batches-shuffled", "reg",
             D(X=X, y=Y_REG, sample_weight=SW_MOST_ZERO), FIT,
             params=dict(batch_size=4),
             check=checks(finite, t_counts_all(20))))
    add(Case("clf-early-stopping-zero-weight-batches", "clf",
             D(X=X, y=Y_BIN, sample_weight=SW_MOST_ZERO), FIT,
             params=dict(batch_size=2, early_stopping=True, validation_fraction=0.2),
             check=checks(finite, t_counts_all(16))))
    # full batch: the rows with zero weight do not matter
    for kind, y in [("clf", Y_BIN), ("reg", Y_REG)]:
        add(Case(f"{kind}-lbfgs-zero-weight-rows", kind,
                 D(X=X, y=y, sample_weight=SW_HALF), FIT,
                 params=dict(solver="lbfgs"),
                 check=same_as(D(X=X[10:], y=y[10:], sample_weight=np.ones(10)),
                               rtol=1e-6, atol=1e-8, attrs=False)))
    # an all-zero total is an error
    for kind, y, extra in [("clf", Y_BIN, {"classes": [0, 1]}), ("reg", Y_REG, {})]:
        add(Case(f"{kind}-partial_fit-all-zero-sample_weight", kind,
                 D(X=X, y=y, sample_weight=np.zeros(20), **extra), PFIT, ValueError,
                 "Sample weights must contain at least one non-zero number"))
    add(Case("reg-fit-scalar-zero-sample_weight", "reg",
             D(X=X, y=Y_REG, sample_weight=0.0), FIT, ValueError,
             "Sample weights must contain at least one non-zero number"))
    add(Case("reg-fit-scalar-sample_weight", "reg",
             D(X=X, y=Y_REG, sample_weight=2.5), FIT,
             check=same_as(D(X=X, y=Y_REG, sample_weight=np.full(20, 2.5)))))
    add(Case("clf-lbfgs-all-zero-sample_weight", "clf",
             D(X=X, y=Y_BIN, sample_weight=np.zeros(20)), FIT, ValueError,
             "Sample weights must contain at least one non-zero number",
             params=dict(solver="lbfgs")))

    # huge weights
    too_large = r"(?i)weight[^.]*(too large|overflow)|(too large|overflow)[^.]*weight"
    add(Case("reg-sample_weight-total-overflows-float64", "reg",
             D(X=X, y=Y_REG, sample_weight=np.full(20, 1e308)), FIT, ValueError,
             too_large))
    add(Case("reg-sample_weight-1e39-float64", "reg",
             D(X=X, y=Y_REG, sample_weight=np.full(20, 1e39)), FIT,
             params=dict(alpha=0.0), check=same_as(D(X=X, y=Y_REG), rtol=1e-8)))
    return cases


CASES = tagged("sample_weight", _bad_sample_weight_cases() + _weight_cases())
