"""float32 inputs: values that overflow or underflow float32, L-BFGS far from zero.

A finite float64 weight or target that overflows float32 (X float32), a
float32 total that overflows, non-zero weights that all underflow: a
ValueError naming float32, no RuntimeWarning.  Float32 L-BFGS on targets
far from zero warns (ConvergenceWarning) or fits well.
"""

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from battery.case import (
    FIT,
    PFIT,
    X32,
    Y_BIN,
    Y_REG,
    Case,
    D,
    X,
    finite,
    tagged,
    with_value,
)


def _float32_cases():
    cases = []
    add = cases.append
    f32 = r"float32"
    add(Case("reg-float32-X-sample_weight-1e39", "reg",
             D(X=X32, y=Y_REG, sample_weight=np.full(20, 1e39)), FIT, ValueError, f32))
    add(Case("clf-float32-X-one-sample_weight-1e39", "clf",
             D(X=X32, y=Y_BIN, sample_weight=with_value(np.ones(20), 0, 1e39)), FIT,
             ValueError, f32))
    # (not atomic: on a fitted float64 model, the float32 chunk is cast to
    # the model's float64, where 1e39 is a valid value, as in scikit-learn)
    add(Case("clf-partial_fit-float32-X-sample_weight-1e39", "clf",
             D(X=X32, y=Y_BIN, sample_weight=with_value(np.ones(20), 0, 1e39),
               classes=[0, 1]), PFIT, ValueError, f32, atomic=False))
    add(Case("reg-float32-X-target-1e39", "reg",
             D(X=X32, y=with_value(Y_REG, 3, 1e39)), FIT, ValueError, f32))
    add(Case("reg-partial_fit-float32-X-target--1e39", "reg",
             D(X=X32, y=with_value(Y_REG, 3, -1e39)), PFIT, ValueError, f32,
             atomic=False))
    add(Case("reg-lbfgs-float32-X-target-1e39", "reg",
             D(X=X32, y=with_value(Y_REG, 3, 1e39)), FIT, ValueError, f32,
             params=dict(solver="lbfgs")))
    add(Case("clf-float32-X-class_weight-1e39", "clf", D(X=X32, y=Y_BIN), FIT,
             ValueError, f32, params=dict(class_weight={0: 1e39, 1: 1.0}), extra=True))
    add(Case("reg-float32-X-sample_weight-total-overflows", "reg",
             D(X=X32, y=Y_REG, sample_weight=np.full(20, 3e38)), FIT, ValueError, f32))
    add(Case("reg-float32-X-sample_weight-underflows-to-zero", "reg",
             D(X=X32, y=Y_REG, sample_weight=np.full(20, 1e-50)), FIT, ValueError, f32))

    # L-BFGS on float32 with targets far from zero: warn or fit well
    def warns_or_fits(est, result, d):
        score = est.score(d["X"], d["y"])
        assert d["warned"] or score > 0, f"silent useless model, R^2={score}"

    def lbfgs_call(est, d):
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            FIT(est, d)
        for w in rec:  # re-emit for the runner
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        # a new key (not an input: the runner checks inputs for mutation)
        d["warned"] = any(issubclass(w.category, ConvergenceWarning) for w in rec)
        return est

    Xl = np.random.RandomState(1).randn(60, 3)
    yl = Xl @ np.array([1.0, -2.0, 0.5]) + 1e6
    for name, Xd, yd, hidden, _before in [
        ("y-1e8-hidden3", X32, Y_REG + 1e8, (3,),
         "stops after 1 iteration, R^2 ~ -1e16, no warning"),
        ("y-1e6-hidden50", X32, Y_REG + 1e6, (50,),
         "converges (status 0) to R^2 << 0, no warning"),
        ("linear-y-1e6-hidden3", Xl.astype(np.float32), yl, (3,), None),
    ]:
        add(Case(f"reg-lbfgs-float32-{name}", "reg",
                 D(X=Xd, y=yd), lbfgs_call,
                 params=dict(solver="lbfgs", hidden_layer_sizes=hidden, max_iter=200),
                 check=warns_or_fits))
    add(Case("reg-lbfgs-max_fun-1", "reg", D(X=X, y=Y_REG), FIT,
             params=dict(solver="lbfgs", max_fun=1), check=finite,
             warns=ConvergenceWarning,
             warns_match="F,G EVALUATIONS EXCEEDS LIMIT"))
    add(Case("clf-lbfgs-max_iter-1", "clf", D(X=X, y=Y_BIN), FIT,
             params=dict(solver="lbfgs", max_iter=1), check=finite,
             warns=ConvergenceWarning, warns_match="ITERATIONS REACHED LIMIT"))
    return cases


CASES = tagged("float32", _float32_cases())
