"""Dropout (an extension: not run against sklearn).

Rates are floats in [0, 1), one for all hidden layers or one per hidden
layer; anything else, and dropout with L-BFGS, is refused at fit with a
message naming ``dropout``.  A seeded fit with dropout is reproducible, and
predictions use no dropout.
"""

import numpy as np

from battery.case import (
    FIT,
    PFIT,
    Y_BIN,
    Y_REG,
    Case,
    D,
    X,
    checks,
    finite,
    same_as,
    t_counts_all,
    tagged,
    that,
)

SW_HALF = np.r_[np.zeros(10), np.ones(10)]


def _refused_cases():
    """Rates out of range or of the wrong kind or count; L-BFGS."""
    cases = []
    add = cases.append
    rate = "The 'dropout' parameter of BackpropMLP(Classifier|Regressor) must be"
    for kind, y in [("clf", Y_BIN), ("reg", Y_REG)]:
        for label, value in [("1.0", 1.0), ("-0.1", -0.1), ("nan", np.nan),
                             ("True", True), ("string", "0.1"),
                             ("list-with-1.5", [1.5])]:
            add(Case(f"{kind}-dropout={label}", kind, D(X=X, y=y), FIT, ValueError,
                     rate, params=dict(dropout=value), extra=True))
    add(Case("reg-dropout-two-rates-one-hidden-layer", "reg", D(X=X, y=Y_REG), FIT,
             ValueError, r"dropout has 2 rates but hidden_layer_sizes=\(3,\) has 1",
             params=dict(dropout=[0.1, 0.2]), extra=True))
    add(Case("clf-dropout-2d-rates", "clf", D(X=X, y=Y_BIN), FIT, ValueError,
             "dropout must be one rate, or a flat sequence of rates",
             params=dict(dropout=[[0.1]]), extra=True))
    add(Case("clf-dropout-lbfgs", "clf", D(X=X, y=Y_BIN), FIT, ValueError,
             "dropout is not supported with solver='lbfgs'",
             params=dict(dropout=0.2, solver="lbfgs"), extra=True))
    return cases


def _behaviour_cases():
    """Reproducible fits, dropout-free predictions, zero-weight batches."""
    cases = []
    add = cases.append
    for kind, y, solver in [("clf", Y_BIN, "adam"), ("reg", Y_REG, "sgd")]:
        add(Case(f"{kind}-{solver}-dropout-seeded-fit-is-reproducible", kind,
                 D(X=X, y=y), FIT, params=dict(dropout=0.3, solver=solver),
                 check=checks(finite, same_as(D(X=X, y=y))), extra=True))
    add(Case("clf-dropout-predict-is-deterministic", "clf", D(X=X, y=Y_BIN), FIT,
             params=dict(dropout=0.5),
             check=that(lambda e, r, d: np.array_equal(e.predict_proba(X),
                                                       e.predict_proba(X))),
             extra=True))
    add(Case("reg-partial_fit-dropout", "reg", D(X=X, y=Y_REG), PFIT,
             params=dict(dropout=0.2), check=checks(finite, t_counts_all(20)),
             extra=True))
    add(Case("reg-dropout-zero-weight-batches", "reg",
             D(X=X, y=Y_REG, sample_weight=SW_HALF), FIT,
             params=dict(dropout=0.2, batch_size=5, shuffle=False),
             check=checks(finite, t_counts_all(20)), extra=True))
    return cases


CASES = tagged("dropout", _refused_cases() + _behaviour_cases())
