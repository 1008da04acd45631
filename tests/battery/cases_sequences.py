"""Sequences of calls: fit, partial_fit and set_params in turn.

A setting changed with ``set_params`` between ``partial_fit`` calls or warm
starts (solver, loss, learning_rate_init) takes effect.
"""

import contextlib

import numpy as np
from skb_test_helpers import quiet

from battery.case import (
    FIT,
    PFIT,
    Y_BIN,
    Y_REG,
    Case,
    D,
    X,
    assert_same_model,
    checks,
    finite,
    pickled,
    same_as,
    seq,
    setp,
    tagged,
    that,
    with_value,
)


def _sequence_cases():
    cases = []
    add = cases.append
    add(Case("clf-partial_fit-after-fit-without-classes", "clf", D(X=X, y=Y_BIN),
             seq(FIT, lambda e, d: e.partial_fit(d["X"], d["y"])),
             check=checks(finite, that(lambda e, r, d: e.t_ == 20 * 6, "t_"))))
    add(Case("clf-partial_fit-after-fit-other-classes", "clf", D(X=X, y=Y_BIN),
             seq(FIT, lambda e, d: e.partial_fit(d["X"], d["y"], classes=[0, 1, 2])),
             ValueError, "is not the same as on last call to partial_fit",
             atomic=False))
    add(Case("reg-fit-after-partial_fit-starts-over", "reg", D(X=X, y=Y_REG),
             seq(PFIT, PFIT, FIT), check=same_as(D(X=X, y=Y_REG))))
    add(Case("reg-partial_fit-hidden-sizes-changed", "reg", D(X=X, y=Y_REG),
             seq(PFIT, setp(hidden_layer_sizes=(4,)), PFIT), ValueError,
             r"expected coefs_ shapes \[\(4, 4\), \(4, 1\)\]", atomic=False))
    add(Case("clf-partial_fit-after-switch-to-lbfgs", "clf",
             D(X=X, y=Y_BIN, classes=[0, 1]), seq(PFIT, setp(solver="lbfgs"), PFIT),
             AttributeError, "has no attribute 'partial_fit'", atomic=False))
    add(Case("reg-partial_fit-early_stopping-set-between-calls", "reg",
             D(X=X, y=Y_REG), seq(PFIT, setp(early_stopping=True), PFIT), ValueError,
             "partial_fit does not support early_stopping=True", atomic=False))
    add(Case("reg-partial_fit-activation-changed", "reg", D(X=X, y=Y_REG),
             seq(PFIT, setp(activation="tanh"), PFIT), check=finite))

    def switch_solver(est, d):
        PFIT(est, d)
        ref = pickled(est).set_params(solver="sgd", warm_start=True, max_iter=1)
        with quiet():
            FIT(ref, d)
        est.set_params(solver="sgd")
        PFIT(est, d)
        d["ref"] = ref
        return est

    add(Case("reg-partial_fit-solver-adam-to-sgd-takes-effect", "reg",
             D(X=X, y=Y_REG), switch_solver,
             check=lambda e, r, d: assert_same_model(e, d["ref"], attrs=False)))

    def change_lr(est, d):
        PFIT(est, d)
        ref = pickled(est).set_params(learning_rate_init=0.1, warm_start=True,
                                       max_iter=1)
        with quiet():
            FIT(ref, d)
        est.set_params(learning_rate_init=0.1)
        PFIT(est, d)
        d["ref"] = ref
        return est

    add(Case("reg-partial_fit-learning_rate_init-change-takes-effect", "reg",
             D(X=X, y=Y_REG), change_lr,
             params=dict(solver="sgd", momentum=0.0, learning_rate_init=0.01),
             check=lambda e, r, d: assert_same_model(e, d["ref"], attrs=False)))

    def fit_after_failed_fit(est, d):
        with contextlib.suppress(ValueError):
            est.fit(with_value(X, (0, 0), np.nan), d["y"])
        return FIT(est, d)

    for kind, y in [("clf", Y_BIN), ("reg", Y_REG)]:
        add(Case(f"{kind}-fit-after-failed-fit", kind, D(X=X, y=y),
                 fit_after_failed_fit, check=same_as(D(X=X, y=y))))
    def failed_first_partial_fit(est, d):
        with contextlib.suppress(ValueError):
            est.partial_fit(with_value(X, (0, 0), np.nan), d["y"], classes=[0, 1])
        return PFIT(est, d)

    add(Case("clf-partial_fit-after-failed-first-partial_fit", "clf",
             D(X=X, y=Y_BIN, classes=[0, 1]), failed_first_partial_fit,
             check=same_as(D(X=X, y=Y_BIN, classes=[0, 1]), call=PFIT)))
    add(Case("reg-fit-new-n_features-without-warm_start", "reg",
             D(X=X, y=Y_REG, X3=X[:, :3]),
             seq(FIT, lambda e, d: e.fit(d["X3"], d["y"]),
                 lambda e, d: e.predict(d["X"])), ValueError,
             "X has 4 features, but BackpropMLPRegressor is expecting 3 features",
             atomic=False))
    return cases


CASES = tagged("sequences", _sequence_cases())
