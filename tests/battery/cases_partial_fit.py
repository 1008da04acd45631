"""partial_fit: classes, labels and outputs that change between calls."""


import numpy as np

from battery.case import (
    X0,
    Y0_3,
    Y0_BIN,
    Y0_REG,
    Case,
    D,
    partial_fit_with,
    seq,
    tagged,
)


def _clf_partial_fit_cases():
    """Classes missing, unseen, changed; continuous labels."""
    cases = []
    add = cases.append
    c = "clf"
    add(Case("clf-partial_fit-one-class", c, D(),
             partial_fit_with(X0, np.zeros(20), classes=[0]),
             ValueError, "at least 2 classes"))
    add(Case("clf-partial_fit-unseen-labels", c, D(),
             seq(partial_fit_with(X0), partial_fit_with(X0, Y0_BIN + 1)),
             ValueError, "`y` has classes not in `self.classes_`",
             atomic=False))
    add(Case("clf-partial_fit-first-call-unseen-labels", c, D(),
             partial_fit_with(X0, Y0_3, classes=[0, 1]),
             ValueError, "`y` has classes not in `self.classes_`"))
    add(Case("clf-partial_fit-classes-change", c, D(),
             seq(partial_fit_with(X0), partial_fit_with(X0, classes=[0, 1, 2])),
             ValueError, "is not the same as on last call to partial_fit",
             atomic=False))
    add(Case("clf-partial_fit-no-classes", c, D(),
             lambda est, d: est.partial_fit(X0, Y0_BIN), ValueError,
             "classes must be passed on the first call to partial_fit",
             atomic=False))
    add(Case("clf-partial_fit-continuous-y", c, D(),
             seq(partial_fit_with(X0), partial_fit_with(X0, Y0_REG)), ValueError,
             "Unknown label type",
             atomic=False))
    return cases


def _reg_partial_fit_cases():
    """Negative Poisson targets; a changed number of outputs."""
    cases = []
    add = cases.append
    r = "reg"
    add(Case("reg-partial_fit-poisson-negative-y", r, D(), partial_fit_with(X0, Y0_REG),
             ValueError, "Some value\\(s\\) of y are negative",
             params=dict(loss="poisson")))
    add(Case("reg-partial_fit-n-outputs-change", r, D(),
             lambda est, d: est.partial_fit(X0, Y0_REG).partial_fit(
                 X0, np.c_[Y0_REG, Y0_REG]),
             ValueError, "y has 2 outputs but the model was fitted with 1",
             atomic=False))
    return cases


CASES = tagged("partial_fit", _clf_partial_fit_cases() + _reg_partial_fit_cases())
