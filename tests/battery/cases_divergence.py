"""Huge values and learning rates: a finite model or a clear error.

* Huge values (1e300) in X: either a finite model or a clear ValueError
  ("Training diverged" / "L-BFGS could not find a finite loss"), never a
  RuntimeWarning nor non-finite weights.
* An extremely large learning rate: if the first epoch already diverges,
  ValueError; later, a ConvergenceWarning and the weights of the last finite
  epoch are kept.
"""


import numpy as np
from sklearn.exceptions import ConvergenceWarning

from battery.case import (
    X0,
    Case,
    D,
    diverged_and_rolled_back,
    finite_predictions,
    fit_with,
    fitted_then,
    tagged,
    with_value,
)


def _huge_predict_cases():
    """Predicting on huge values."""
    cases = []
    add = cases.append
    for kind in ("clf", "reg"):
        k = kind
        if kind == "reg":  # the identity output overflows: a clear error
            add(Case(f"{k}-predict-huge-X-1e308", k, D(),
                     fitted_then("predict", np.full((3, 4), 1.7e308)), ValueError,
                     "output is not finite",
                     atomic=False))
        else:  # the logistic/softmax output saturates: still a valid class
            add(Case(f"{k}-predict-huge-X-1e308", k, D(),
                     fitted_then("predict", with_value(X0, (0, 0), 1e308)),
                     check=lambda est, r, d: np.isin(r, est.classes_).all(),
                     atomic=False))
    return cases


def _clf_divergence_cases():
    """Huge X and a huge learning rate (classifier)."""
    cases = []
    add = cases.append
    c = "clf"
    for solver in ("adam", "sgd"):
        add(Case(f"clf-fit-huge-X-1e300-{solver}", c, D(), fit_with(X0 * 1e300),
                 check=lambda est, r, d: finite_predictions(20)(
                     est, est.predict(X0 * 1e300)),
                 params=dict(solver=solver),
                 or_raises=(ValueError, "^Solver produced non-finite parameter "
                            "weights.* Training diverged")))
    add(Case("clf-fit-huge-X-1e300-lbfgs", c, D(), fit_with(X0 * 1e300), ValueError,
             "L-BFGS could not find a finite loss", params=dict(solver="lbfgs")))
    add(Case("clf-fit-huge-learning-rate", c, D(), fit_with(X0),
             check=diverged_and_rolled_back, warns=ConvergenceWarning,
             warns_match="Training diverged",
             params=dict(learning_rate_init=1e200, max_iter=20)))
    return cases


def _reg_divergence_cases():
    """Huge X and huge learning rates (regressor)."""
    cases = []
    add = cases.append
    r = "reg"
    for solver in ("adam", "sgd"):
        add(Case(f"reg-fit-huge-X-1e300-{solver}", r, D(),
                 fit_with(X0 * 1e300), ValueError,
                 "Training diverged", params=dict(solver=solver)))
    add(Case("reg-fit-huge-X-1e300-lbfgs", r, D(), fit_with(X0 * 1e300), ValueError,
             "L-BFGS could not find a finite loss", params=dict(solver="lbfgs")))
    add(Case("reg-predict-huge-X-1e300", r, D(), fitted_then("predict", X0 * 1e300),
             check=finite_predictions(20)))
    add(Case("reg-fit-huge-learning-rate-later-epoch", r, D(), fit_with(X0),
             check=diverged_and_rolled_back, warns=ConvergenceWarning,
             warns_match="Training diverged",
             params=dict(solver="sgd", learning_rate_init=1e10, max_iter=20)))
    add(Case("reg-fit-huge-learning-rate-first-epoch", r, D(), fit_with(X0), ValueError,
             "Training diverged",
             params=dict(solver="sgd", learning_rate_init=1e300, max_iter=20,
                         batch_size=5)))
    return cases


CASES = tagged("divergence", _huge_predict_cases() + _clf_divergence_cases()
               + _reg_divergence_cases())
