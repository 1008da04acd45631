"""Reliability, round 2 (issue 13): inputs, weights, parameters, warm
starts, sequences of calls, persistence.

Cases only (:data:`CASES`, run by ``tests/test_reliability2.py``); the
format and the generic checks are in ``tests/test_reliability2_runner.py``.
A case that fails carries ``xfail`` (strict), so a fix flips it; the
fixes of issue 13 flipped every one (where a tuple of cases keeps a field
``_before``, it says what the code did before them).

Policies asserted here (see also /work/notes/reliability2_findings.md):

* A mini-batch whose sample weights sum to zero contributes nothing and does
  not step the optimizer (aligned batches: the fit equals a fit without
  those rows; ``t_`` still counts every sample); only an all-zero total is
  an error.
* class_weight values must be finite, non-negative numbers (ValueError
  naming class_weight and the problem); a label that is not a class follows
  sklearn's ``compute_sample_weight``.
* A finite float64 weight or target that overflows float32 (X float32), a
  float32 total that overflows, non-zero weights that all underflow: a
  ValueError naming float32, no RuntimeWarning.  A float64 total weight that
  overflows: a ValueError saying the weights are too large.  Float32 L-BFGS
  on targets far from zero warns (ConvergenceWarning) or fits well.
* early_stopping toggled between warm starts works; hand-set ``coefs_`` /
  ``intercepts_`` on an unfitted estimator with warm_start are the starting
  point (wrong shapes: ValueError naming the expected shapes).
* A setting changed with ``set_params`` between ``partial_fit`` calls or warm
  starts (solver, loss, learning_rate_init) takes effect.
* Labels with missing values (None, pd.NA): ValueError saying so.
* learning_rate="invscaling" with a huge power_t: the fit completes.  A last
  step that overflows the weights counts as divergence ("Training
  diverged"), never a returned model with non-finite output.
* A model loaded with joblib ``mmap_mode="r"`` can be trained further.
"""

import contextlib
import copy
import warnings

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning
from test_reliability2_runner import (
    BASE_PARAMS,
    COLS,
    FIT,
    LABELS,
    PFIT,
    X32,
    Y_3,
    Y_BIN,
    Y_REG,
    Case,
    D,
    X,
    assert_same_model,
    assert_state_equal,
    attr_is,
    checks,
    clean_fit,
    coef_dtype,
    finite,
    fit_then,
    fitted_state,
    joblib_mmap,
    memmap,
    pickled,
    quiet,
    readonly,
    same_as,
    seq,
    setp,
    t_counts_all,
    that,
    with_value,
)

SW_HALF = np.r_[np.zeros(10), np.ones(10)]
SW_MOST_ZERO = np.r_[np.zeros(15), np.ones(5)]


# ----------------------------------------------------------------------
def _weight_cases():
    """Zero-sum mini-batches, class_weight refusals, huge weights."""
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

    # --- class_weight (an extension: not run against sklearn) ------------
    zero_cls = {0: 0.0, 1: 1.0, 2: 1.0}
    add(Case("clf-class_weight-zero-class-batch1", "clf", D(X=X, y=Y_3), FIT,
             params=dict(class_weight=zero_cls, batch_size=1, shuffle=False),
             check=same_as(D(X=X, y=Y_3, sample_weight=(Y_3 != 0).astype(float)),
                           ref_params=dict(class_weight=None)),
             extra=True))
    add(Case("clf-partial_fit-class_weight-zero-class", "clf",
             D(X=X, y=Y_3, classes=[0, 1, 2]), PFIT,
             params=dict(class_weight=zero_cls, batch_size=1, shuffle=False),
             check=t_counts_all(20), extra=True))
    for name, cw, kw in [
        ("all-zero", {0: 0, 1: 0}, {}),
        ("zero-times-sample_weight", {0: 0, 1: 1},
         {"sample_weight": (Y_BIN == 0).astype(float)}),
    ]:
        add(Case(f"clf-class_weight-{name}", "clf", D(X=X, y=Y_BIN, **kw), FIT,
                 ValueError,
                 "class_weight and sample_weight give every sample zero weight",
                 params=dict(class_weight=cw), extra=True))
    add(Case("clf-partial_fit-class_weight-all-zero", "clf",
             D(X=X, y=Y_BIN, classes=[0, 1]), PFIT, ValueError,
             "class_weight and sample_weight give every sample zero weight",
             params=dict(class_weight={0: 0, 1: 0}), extra=True))
    neg = r"class_weight.*negative|negative.*class_weight"
    nonfinite = r"class_weight.*(NaN|nan|not finite|infinit)"
    for name, value, pattern, _before in [
        ("negative", -1.0, neg, "negative class weight: ZeroDivisionError or a "
         "model minimising a negative loss"),
        ("nan", np.nan, nonfinite, "NaN class weight reported as divergence"),
        ("inf", np.inf, nonfinite, "inf class weight reported as divergence"),
        ("-inf", -np.inf, r"class_weight.*(negative|not finite|infinit)",
         "-inf class weight reported as divergence"),
        ("string", "a", r"class_weight.*(numeric|number|real)",
         "string class weight: 'could not convert string to float' "
         "(sklearn.utils.class_weight), no mention of class_weight"),
        ("None", None, r"class_weight.*(numeric|number|real|None)",
         "None class weight reported as divergence"),
        ("complex", 1j, r"class_weight.*(numeric|number|real|complex)",
         "complex class weight: TypeError from float()"),
    ]:
        add(Case(f"clf-class_weight-{name}", "clf", D(X=X, y=Y_BIN), FIT,
                 ValueError, pattern, params=dict(class_weight={0: value, 1: 1.0}),
                 extra=True))
    add(Case("clf-partial_fit-class_weight-negative", "clf",
             D(X=X, y=Y_BIN, classes=[0, 1]), PFIT, ValueError, neg,
             params=dict(class_weight={0: -1.0, 1: 1.0}), extra=True))
    add(Case("clf-partial_fit-class_weight-nan", "clf",
             D(X=X, y=Y_BIN, classes=[0, 1]), PFIT, ValueError, nonfinite,
             params=dict(class_weight={0: np.nan, 1: 1.0}), extra=True))
    add(Case("clf-lbfgs-class_weight-negative", "clf", D(X=X, y=Y_BIN), FIT,
             ValueError, neg, params=dict(solver="lbfgs", class_weight={0: -1, 1: 1}),
             extra=True))
    # labels that are not classes: sklearn's compute_sample_weight rules
    add(Case("clf-class_weight-unknown-label-and-missing-class", "clf",
             D(X=X, y=Y_BIN), FIT, ValueError,
             r"The classes, \[1\], are not in class_weight",
             params=dict(class_weight={0: 2.0, 5: 1.0}), extra=True))
    add(Case("clf-class_weight-string-key-for-int-labels", "clf",
             D(X=X, y=Y_BIN), FIT, ValueError,
             r"The classes, \[0\], are not in class_weight",
             params=dict(class_weight={"0": 1.0, 1: 1.0}), extra=True))
    add(Case("clf-class_weight-extra-label-ignored", "clf", D(X=X, y=Y_BIN), FIT,
             params=dict(class_weight={0: 1.0, 1: 2.0, 5: 3.0}),
             check=same_as(D(X=X, y=Y_BIN),
                           ref_params=dict(class_weight={0: 1.0, 1: 2.0})),
             extra=True))
    add(Case("clf-class_weight-missing-class-gets-1", "clf", D(X=X, y=Y_BIN), FIT,
             params=dict(class_weight={0: 2.0}),
             check=same_as(D(X=X, y=Y_BIN),
                           ref_params=dict(class_weight={0: 2.0, 1: 1.0})),
             extra=True))
    # huge weights
    too_large = r"(?i)weight[^.]*(too large|overflow)|(too large|overflow)[^.]*weight"
    add(Case("clf-class_weight-total-overflows-float64", "clf", D(X=X, y=Y_BIN), FIT,
             ValueError, too_large, params=dict(class_weight={0: 1e308, 1: 1e308}),
             extra=True))
    add(Case("reg-sample_weight-total-overflows-float64", "reg",
             D(X=X, y=Y_REG, sample_weight=np.full(20, 1e308)), FIT, ValueError,
             too_large))
    add(Case("reg-sample_weight-1e39-float64", "reg",
             D(X=X, y=Y_REG, sample_weight=np.full(20, 1e39)), FIT,
             params=dict(alpha=0.0), check=same_as(D(X=X, y=Y_REG), rtol=1e-8)))
    return cases


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


def _warm_start_cases():
    cases = []
    add = cases.append

    def scores_per_epoch(est, result, d):
        assert isinstance(est.validation_scores_, list)
        assert len(est.validation_scores_) == est.n_iter_ > 0
        assert est.best_validation_score_ == max(est.validation_scores_)

    def no_scores(est, result, d):
        assert est.validation_scores_ is None
        assert est.best_validation_score_ is None
        assert est.n_iter_ == BASE_PARAMS["max_iter"]

    for kind, y in [("clf", Y_BIN), ("reg", Y_REG)]:
        add(Case(f"{kind}-warm_start-early_stopping-off-to-on", kind,
                 D(X=X, y=y), seq(FIT, setp(early_stopping=True), FIT),
                 params=dict(warm_start=True), check=scores_per_epoch))
        add(Case(f"{kind}-warm_start-early_stopping-on-to-off", kind,
                 D(X=X, y=y),
                 seq(setp(early_stopping=True), FIT, setp(early_stopping=False), FIT),
                 params=dict(warm_start=True), check=no_scores))
    add(Case("clf-warm_start-adam-to-sgd", "clf", D(X=X, y=Y_BIN),
             seq(FIT, setp(solver="sgd"), FIT), params=dict(warm_start=True),
             check=checks(finite, that(lambda e, r, d: len(e.loss_curve_) == 10))))
    add(Case("clf-warm_start-adam-to-lbfgs", "clf", D(X=X, y=Y_BIN),
             seq(FIT, setp(solver="lbfgs"), FIT), params=dict(warm_start=True),
             check=finite))
    add(Case("reg-warm_start-lbfgs-to-adam", "reg", D(X=X, y=Y_REG),
             seq(setp(solver="lbfgs"), FIT, setp(solver="adam"), FIT),
             params=dict(warm_start=True), check=finite))
    add(Case("reg-warm_start-hidden-sizes-change", "reg", D(X=X, y=Y_REG),
             seq(FIT, setp(hidden_layer_sizes=(4,)), FIT), ValueError,
             r"expected coefs_ shapes \[\(4, 4\), \(4, 1\)\]",
             params=dict(warm_start=True), atomic=False))
    add(Case("reg-warm_start-activation-change", "reg", D(X=X, y=Y_REG),
             seq(FIT, setp(activation="tanh"), FIT), params=dict(warm_start=True),
             check=checks(finite, attr_is("activation", "tanh"))))
    add(Case("reg-warm_start-float64-to-float32", "reg",
             D(X=X, y=Y_REG, X32=X32),
             seq(FIT, lambda e, d: e.fit(d["X32"], d["y"])),
             params=dict(warm_start=True), check=finite))
    add(Case("reg-warm_start-n_features-change", "reg", D(X=X, y=Y_REG, X3=X[:, :3]),
             seq(FIT, lambda e, d: e.fit(d["X3"], d["y"])), ValueError,
             "X has 3 features, but BackpropMLPRegressor is expecting 4 features "
             "as input", params=dict(warm_start=True), atomic=False))

    def positive_rates(est, result, d):
        assert est.out_activation_ == "exp"
        assert (est.predict(X) > 0).all()

    add(Case("reg-warm_start-loss-squared_error-to-poisson", "reg",
             D(X=X, y=np.abs(Y_REG)), seq(FIT, setp(loss="poisson"), FIT),
             params=dict(warm_start=True), check=positive_rates))
    add(Case("reg-partial_fit-loss-change-takes-effect", "reg",
             D(X=X, y=np.abs(Y_REG)), seq(PFIT, setp(loss="poisson"), PFIT),
             check=positive_rates))
    add(Case("reg-warm_start-loss-poisson-to-squared_error", "reg",
             D(X=X, y=np.abs(Y_REG)),
             seq(setp(loss="poisson"), FIT, setp(loss="squared_error"), FIT),
             params=dict(warm_start=True),
             check=attr_is("out_activation_", "identity")))

    # hand-set weights on an unfitted estimator (documented for warm_start)
    def handset(solver, y, bad=None):
        def call(est, d):
            ref = type(est)(**{**BASE_PARAMS, "solver": solver})
            with quiet():
                ref.fit(X, y)
            est.coefs_ = [c.copy() for c in ref.coefs_]
            est.intercepts_ = [b.copy() for b in ref.intercepts_]
            if bad == "coef":
                est.coefs_[0] = np.zeros((4, 5))
            elif bad == "intercept":
                est.intercepts_[1] = np.zeros(2)
            elif bad == "no-intercepts":
                del est.intercepts_
            FIT(est, d)
            ref.set_params(warm_start=True)
            with quiet():
                ref.fit(X, y)
            d["ref"] = ref
            return est

        return call

    def equals_ref(est, result, d):
        assert_same_model(est, d["ref"], attrs=False)
        assert est.n_iter_ == d["ref"].n_iter_

    for kind, solver, y in [("reg", "adam", Y_REG), ("clf", "adam", Y_BIN),
                            ("reg", "lbfgs", Y_REG), ("clf", "sgd", Y_3)]:
        add(Case(f"{kind}-{solver}-hand-set-weights-warm_start", kind, D(X=X, y=y),
                 handset(solver, y), params=dict(solver=solver, warm_start=True),
                 check=equals_ref))
    add(Case("reg-hand-set-weights-wrong-coef-shape", "reg", D(X=X, y=Y_REG),
             handset("adam", Y_REG, bad="coef"), ValueError,
             r"expected coefs_ shapes \[\(4, 3\), \(3, 1\)\]",
             params=dict(warm_start=True), atomic=False))
    add(Case("reg-hand-set-weights-wrong-intercept-shape", "reg", D(X=X, y=Y_REG),
             handset("adam", Y_REG, bad="intercept"), ValueError,
             r"intercepts.*\(3,\), \(1,\)|\(3,\), \(1,\).*intercepts",
             params=dict(warm_start=True), atomic=False))
    add(Case("reg-hand-set-coefs-without-intercepts", "reg", D(X=X, y=Y_REG),
             handset("adam", Y_REG, bad="no-intercepts"), ValueError, "intercepts_",
             params=dict(warm_start=True), atomic=False))

    def handset_partial_fit(est, d):
        ref = type(est)(**{**BASE_PARAMS, **est.get_params()})
        PFIT(ref, d)
        est.coefs_ = [c.copy() for c in ref.coefs_]
        est.intercepts_ = [b.copy() for b in ref.intercepts_]
        PFIT(est, d)
        PFIT(ref, d)
        d["ref"] = ref
        return est

    add(Case("reg-sgd-hand-set-weights-partial_fit", "reg", D(X=X, y=Y_REG),
             handset_partial_fit, params=dict(solver="sgd", momentum=0.0),
             check=lambda e, r, d: assert_same_model(e, d["ref"], attrs=False)))

    def nan_weight(est, d):
        clean_fit(est, d)
        est.coefs_[0][0, 0] = np.nan
        return FIT(est, d)

    add(Case("reg-warm_start-nan-in-coefs_", "reg", D(X=X, y=Y_REG), nan_weight,
             ValueError, r"coefs_", params=dict(warm_start=True), atomic=False))
    return cases


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


def _persistence_cases():
    cases = []
    add = cases.append

    def roundtrip(load, method="predict"):
        def call(est, d):
            FIT(est, d)
            d["copy"] = load(est)
            return est

        def check(est, result, d):
            c = d["copy"]
            assert_array_equal(getattr(c, method)(d["X"]), getattr(est, method)(d["X"]))
            assert_state_equal(fitted_state(est), fitted_state(c))

        return call, check

    for name, load, kind, params, y in [
        ("pickle-protocol-0", lambda e: pickled(e, 0), "reg", {}, Y_REG),
        ("pickle-protocol-5-early-stopping", lambda e: pickled(e, 5), "clf",
         dict(early_stopping=True), LABELS),
        ("joblib-mmap-predict", joblib_mmap, "clf", {}, Y_3),
        ("deepcopy-string-labels", copy.deepcopy, "clf", dict(solver="sgd"), LABELS),
    ]:
        call, check = roundtrip(load, "predict_proba" if kind == "clf" else "predict")
        add(Case(f"{kind}-{name}", kind, D(X=X, y=y), call, params=params,
                 check=check))
    df = pd.DataFrame(X, columns=COLS)
    call, check = roundtrip(pickled)
    add(Case("reg-pickle-dataframe-feature-names", "reg",
             D(X=df, y=pd.Series(Y_REG, name="t")), call,
             check=checks(check, attr_is("feature_names_in_", np.array(COLS,
                                                                         dtype=object)))))

    def deepcopy_independent(est, d):
        FIT(est, d)
        c = copy.deepcopy(est)
        c.coefs_[0][...] = 0.0
        c.partial_fit(d["X"], d["y"])
        return est

    add(Case("reg-deepcopy-is-independent", "reg", D(X=X, y=Y_REG),
             deepcopy_independent, check=same_as(D(X=X, y=Y_REG))))

    def mmap_then(step):
        def call(est, d):
            FIT(est, d)
            loaded = joblib_mmap(est)
            ref = pickled(est)
            step(loaded, d)
            with quiet():
                step(ref, d)
            d["ref"] = ref
            return loaded

        return call

    for kind, solver, y, cls in [("clf", "adam", Y_BIN, {}), ("reg", "sgd", Y_REG, {})]:
        add(Case(f"{kind}-{solver}-joblib-mmap-then-partial_fit", kind,
                 D(X=X, y=y, **cls), mmap_then(PFIT), params=dict(solver=solver),
                 check=lambda e, r, d: assert_same_model(r, d["ref"])))
    add(Case("clf-joblib-mmap-then-warm_start-fit", "clf", D(X=X, y=Y_BIN),
             mmap_then(FIT), params=dict(warm_start=True),
             check=lambda e, r, d: assert_same_model(r, d["ref"])))
    return cases


def _label_cases():
    cases = []
    add = cases.append
    missing = r"(?i)missing value"
    add(Case("clf-object-labels-with-None", "clf",
             D(X=X, y=with_value(LABELS, 4, None, object)), FIT, ValueError, missing))
    add(Case("clf-object-int-labels-with-None", "clf",
             D(X=X, y=with_value(Y_BIN, 4, None, object)), FIT, ValueError, missing))
    add(Case("clf-pandas-string-labels-with-NA", "clf",
             D(X=X, y=lambda: pd.array(list(LABELS[:19]) + [pd.NA], dtype="string")),
             FIT, ValueError, missing))
    add(Case("clf-partial_fit-classes-with-None", "clf",
             D(X=X, y=LABELS, classes=lambda: np.array(["a", "b", None], object)),
             PFIT, ValueError, missing))
    add(Case("clf-partial_fit-classes-with-NaN", "clf",
             D(X=X, y=Y_BIN.astype(float), classes=np.array([0.0, 1.0, np.nan])),
             PFIT, ValueError, "contains NaN"))
    add(Case("clf-object-labels-with-nan", "clf",
             D(X=X, y=with_value(LABELS, 4, np.nan, object)), FIT, ValueError,
             "Input contains NaN"))
    add(Case("clf-pandas-Int64-labels-with-NA", "clf",
             D(X=X, y=lambda: pd.array(list(Y_BIN[:19]) + [pd.NA], dtype="Int64")),
             FIT, ValueError, "Input y contains NaN"))
    add(Case("clf-pandas-boolean-labels-with-NA", "clf",
             D(X=X, y=lambda: pd.array(list(Y_BIN[:19] == 1) + [pd.NA],
                                       dtype="boolean")),
             FIT, ValueError, "Input y contains NaN"))
    add(Case("clf-pandas-categorical-labels-with-NA", "clf",
             D(X=X, y=lambda: pd.Series(pd.Categorical(list(LABELS[:19]) + [None]))),
             FIT, ValueError, "Input contains NaN"))
    add(Case("clf-pandas-Int64-labels", "clf",
             D(X=X, y=lambda: pd.array(Y_BIN, dtype="Int64")), FIT,
             check=same_as(D(X=X, y=Y_BIN))))
    add(Case("clf-pandas-boolean-labels", "clf",
             D(X=X, y=lambda: pd.array(Y_BIN == 1, dtype="boolean")), FIT,
             check=same_as(D(X=X, y=Y_BIN == 1))))
    add(Case("clf-pandas-string-labels", "clf",
             D(X=X, y=lambda: pd.array(list(LABELS), dtype="string")), FIT,
             check=same_as(D(X=X, y=LABELS))))
    add(Case("clf-pandas-categorical-labels-unused-category", "clf",
             D(X=X, y=lambda: pd.Series(pd.Categorical(LABELS,
                                                       categories=["a", "b", "c"]))),
             FIT, check=checks(same_as(D(X=X, y=LABELS)),
                               that(lambda e, r, d: list(e.classes_) == ["a", "b"]))))
    add(Case("clf-pandas-series-labels-shuffled-index", "clf",
             D(X=X, y=lambda: pd.Series(Y_3, index=np.arange(20)[::-1])), FIT,
             check=same_as(D(X=X, y=Y_3))))
    add(Case("clf-mixed-str-int-labels", "clf",
             D(X=X, y=np.array([1, "a"] * 10, dtype=object)), FIT, (ValueError,),
             "Unknown label type|Mix of label input types"))
    add(Case("clf-uint64-labels-beyond-int64", "clf",
             D(X=X, y=np.where(Y_BIN == 0, 0, 2**63 + 5).astype(np.uint64)), FIT,
             check=checks(attr_is("classes_", np.array([0, 2**63 + 5], np.uint64)),
                          that(lambda e, r, d: e.predict(X).dtype == np.uint64))))
    add(Case("clf-2d-string-labels", "clf", D(X=X, y=np.c_[LABELS, LABELS]), FIT,
             ValueError, "Multioutput target data is not supported"))
    # regression targets
    add(Case("reg-object-target-with-None", "reg",
             D(X=X, y=with_value(Y_REG, 4, None, object)), FIT, ValueError,
             "Input y contains NaN"))
    add(Case("reg-pandas-Float64-target-with-NA", "reg",
             D(X=X, y=lambda: pd.array(list(Y_REG[:19]) + [pd.NA], dtype="Float64")),
             FIT, ValueError, "Input y contains NaN"))
    for name, build in [
        ("Float64", lambda: pd.array(Y_REG, dtype="Float64")),
        ("Int64", lambda: pd.array(np.arange(20) % 4, dtype="Int64")),
        ("boolean", lambda: pd.array(Y_BIN == 1, dtype="boolean")),
    ]:
        ref_y = np.asarray(build(), dtype=float)
        add(Case(f"reg-pandas-{name}-target", "reg", D(X=X, y=build), FIT,
                 check=same_as(D(X=X, y=ref_y))))
    add(Case("reg-complex-target", "reg", D(X=X, y=Y_REG + 1j), FIT, ValueError,
             "Complex data not supported"))
    add(Case("reg-string-target", "reg", D(X=X, y=LABELS), FIT, ValueError,
             "could not convert string to float"))
    # pandas extension dtypes in X
    df = pd.DataFrame(X, columns=COLS)
    add(Case("reg-dataframe-Int64-column-with-NA", "reg",
             D(X=lambda: df.assign(a=pd.array([1] * 19 + [pd.NA], dtype="Int64")),
               y=Y_REG), FIT, ValueError, "Input X contains NaN"))
    add(Case("reg-dataframe-Float64-columns", "reg",
             D(X=lambda: df.astype("Float64"), y=Y_REG), FIT,
             check=same_as(D(X=df, y=Y_REG), Xp=df)))
    add(Case("reg-dataframe-boolean-column", "reg",
             D(X=lambda: df.assign(a=pd.array(Y_BIN == 1, dtype="boolean")), y=Y_REG),
             FIT, check=same_as(D(X=df.assign(a=(Y_BIN == 1).astype(float)), y=Y_REG),
                                Xp=df.assign(a=(Y_BIN == 1).astype(float)))))
    add(Case("reg-dataframe-string-categorical-column", "reg",
             D(X=lambda: df.assign(a=pd.Categorical(LABELS)), y=Y_REG), FIT,
             ValueError, "could not convert string to float"))
    add(Case("clf-predict-dataframe-Int64-with-NA", "clf",
             D(X=df, y=Y_BIN,
               Xp=lambda: df.assign(a=pd.array([1] * 19 + [pd.NA], dtype="Int64"))),
             fit_then("predict"), ValueError, "Input X contains NaN", atomic=False))
    return cases


def _param_cases():
    cases = []
    add = cases.append
    for kind, y, pt in [("reg", Y_REG, 1e6), ("clf", Y_BIN, 1e3), ("reg", Y_REG, 200)]:
        add(Case(f"{kind}-invscaling-power_t={pt:g}", kind, D(X=X, y=y), FIT,
                 params=dict(solver="sgd", learning_rate="invscaling", power_t=pt),
                 check=checks(finite, attr_is("n_iter_", 5))))
    add(Case("reg-partial_fit-invscaling-power_t=1e6", "reg", D(X=X, y=Y_REG), PFIT,
             params=dict(solver="sgd", learning_rate="invscaling", power_t=1e6),
             check=finite))
    add(Case("reg-invscaling-power_t=0-is-constant", "reg", D(X=X, y=Y_REG), FIT,
             params=dict(solver="sgd", learning_rate="invscaling", power_t=0.0),
             check=same_as(D(X=X, y=Y_REG), ref_params=dict(learning_rate="constant"))))
    for name, params in [
        ("lr-1e-300-adam", dict(learning_rate_init=1e-300)),
        ("lr-5e-324-sgd", dict(learning_rate_init=5e-324, solver="sgd")),
        ("alpha-1e300-adam", dict(alpha=1e300)),
        ("epsilon-1e-300", dict(epsilon=1e-300)),
        ("beta_2-0", dict(beta_2=0.0)),
        ("n_iter_no_change-inf", dict(n_iter_no_change=np.inf)),
        ("max_iter-numpy-int", dict(max_iter=np.int64(2))),
        ("hidden-numpy-array", dict(hidden_layer_sizes=np.array([3]))),
        ("hidden-empty-tuple", dict(hidden_layer_sizes=())),
        ("adaptive-huge-tol", dict(solver="sgd", learning_rate="adaptive", tol=1e10,
                                   n_iter_no_change=1, max_iter=50)),
    ]:
        add(Case(f"reg-{name}", "reg", D(X=X, y=Y_REG), FIT, params=params,
                 check=finite))
    add(Case("reg-adam-learning_rate_init-1e300", "reg", D(X=X, y=Y_REG), FIT,
             ValueError, "Training diverged", params=dict(learning_rate_init=1e300)))
    add(Case("reg-sgd-alpha-1e300", "reg", D(X=X, y=Y_REG), FIT, ValueError,
             "Training diverged", params=dict(solver="sgd", alpha=1e300)))
    add(Case("clf-batch_size-larger-than-n_samples", "clf", D(X=X, y=Y_BIN), FIT,
             params=dict(batch_size=50), check=same_as(D(X=X, y=Y_BIN),
                                                       ref_params=dict(batch_size=20)),
             warns=UserWarning, warns_match="Got `batch_size` less than 1 or larger"))
    add(Case("reg-early-stopping-tiny-validation_fraction", "reg", D(X=X, y=Y_REG),
             FIT, ValueError, "The validation set is too small",
             params=dict(early_stopping=True, validation_fraction=1e-9)))
    for name, value in [
        ("alpha", np.inf), ("alpha", np.nan), ("learning_rate_init", np.inf),
        ("learning_rate_init", np.nan), ("momentum", np.nan), ("beta_1", np.nan),
        ("epsilon", np.inf), ("epsilon", np.nan), ("tol", np.inf), ("tol", np.nan),
        ("power_t", np.inf), ("power_t", np.nan), ("validation_fraction", np.nan),
        ("random_state", 2**32), ("random_state", np.random.default_rng(0)),
        ("max_fun", np.nan),
    ]:
        label = {2**32: "2**32"}.get(value, type(value).__name__) \
            if name == "random_state" else repr(value)
        add(Case(f"reg-param-{name}={label}", "reg", D(X=X, y=Y_REG), FIT,
                 ValueError, f"The '{name}' parameter", params={name: value}))
    add(Case("reg-param-hidden_layer_sizes=(True,)", "reg", D(X=X, y=Y_REG), FIT,
             (ValueError,), "hidden_layer_sizes must contain positive integers",
             params=dict(hidden_layer_sizes=(True,))))
    return cases


def _dtype_cases():
    cases = []
    add = cases.append
    for name, Xd in [
        ("float16", X.astype(np.float16)), ("int64", np.round(X * 3).astype(np.int64)),
        ("uint8", (np.abs(X) * 10).astype(np.uint8)), ("bool", X > 0),
        ("longdouble", X.astype(np.longdouble)), ("list", X.tolist()),
    ]:
        ref = np.asarray(Xd, dtype=np.float64)
        add(Case(f"reg-X-{name}", "reg", D(X=Xd, y=Y_REG), FIT,
                 check=checks(coef_dtype(np.float64),
                              same_as(D(X=ref, y=Y_REG), Xp=ref))))
    add(Case("clf-X-object-with-None", "clf",
             D(X=with_value(X, (2, 1), None, object), y=Y_BIN), FIT, ValueError,
             "Input X contains NaN"))
    add(Case("reg-float32-X-float64-y", "reg", D(X=X32, y=Y_REG), FIT,
             check=coef_dtype(np.float32)))
    for name, yd in [("float16", Y_REG.astype(np.float16)),
                     ("int", np.arange(20) % 5), ("bool", Y_BIN == 1)]:
        ref = np.asarray(yd, dtype=np.float64)
        add(Case(f"reg-y-{name}", "reg", D(X=X, y=yd), FIT,
                 check=same_as(D(X=X, y=ref))))
    sw = np.arange(20) % 3 + 1.0
    for name, swd in [("int", sw.astype(int)), ("float16", sw.astype(np.float16)),
                      ("bool", Y_BIN == 1)]:
        ref = np.asarray(swd, dtype=np.float64)
        add(Case(f"clf-sample_weight-{name}", "clf", D(X=X, y=Y_3, sample_weight=swd),
                 FIT, check=same_as(D(X=X, y=Y_3, sample_weight=ref))))
    add(Case("clf-sample_weight-object-numbers", "clf",
             D(X=X, y=Y_3, sample_weight=sw.astype(object)), FIT,
             check=same_as(D(X=X, y=Y_3, sample_weight=sw))))
    add(Case("clf-sample_weight-complex", "clf",
             D(X=X, y=Y_3, sample_weight=sw + 0j), FIT, ValueError,
             "Complex data not supported|sample_weight must be numeric"))
    add(Case("clf-sample_weight-sparse", "clf",
             D(X=X, y=Y_3, sample_weight=lambda: sp.csr_matrix(sw.reshape(1, -1))),
             FIT, TypeError, "Sparse data was passed for sample_weight, but dense "
             "data is required"))
    add(Case("clf-sample_weight-2d", "clf",
             D(X=X, y=Y_3, sample_weight=sw.reshape(-1, 1)), FIT, ValueError,
             r"sample_weight.shape == \(20, 1\), expected \(20,\)|"
             r"Sample weights must be 1D array or scalar"))
    add(Case("clf-predict-float32-after-float64-fit", "clf",
             D(X=X, y=Y_3, Xp=X32), fit_then("predict_proba"),
             check=lambda e, r, d: assert_allclose(r, e.predict_proba(X), atol=1e-6)))
    return cases


def _layout_cases():
    cases = []
    add = cases.append
    Xl = np.random.RandomState(2).randn(40, 8)
    yl = (np.arange(40) // 2) % 2
    for name, Xd, ref in [
        ("fortran", lambda: np.asfortranarray(X), X),
        ("fortran-float32", lambda: np.asfortranarray(X32), X32),
        ("row-slice", lambda: Xl[::2, :4], np.ascontiguousarray(Xl[::2, :4])),
        ("column-slice", lambda: Xl[:20, ::2], np.ascontiguousarray(Xl[:20, ::2])),
        ("negative-strides", lambda: X[::-1, ::-1],
         np.ascontiguousarray(X[::-1, ::-1])),
        ("read-only", readonly(X), X),
        ("memmap", memmap(X, "X"), X),
        ("broadcast-zero-strides", lambda: np.broadcast_to(X[:1], (20, 4)),
         np.repeat(X[:1], 20, axis=0)),
    ]:
        for kind, y in [("clf", Y_BIN), ("reg", Y_REG)]:
            if name in ("column-slice", "negative-strides", "broadcast-zero-strides") \
                    and kind == "clf":
                continue
            yy = yl[::2] if name == "row-slice" and kind == "clf" else y
            add(Case(f"{kind}-X-{name}", kind, D(X=Xd, y=yy), FIT,
                     check=same_as(D(X=ref, y=yy), Xp=ref, rtol=1e-6
                                   if ref.dtype == np.float32 else 1e-10)))
    add(Case("reg-read-only-y-and-sample_weight", "reg",
             D(X=X, y=readonly(Y_REG), sample_weight=readonly(np.linspace(1, 2, 20))),
             FIT, check=same_as(D(X=X, y=Y_REG, sample_weight=np.linspace(1, 2, 20)))))
    add(Case("reg-broadcast-sample_weight", "reg",
             D(X=X, y=Y_REG, sample_weight=lambda: np.broadcast_to(2.0, (20,))), FIT,
             check=same_as(D(X=X, y=Y_REG, sample_weight=np.full(20, 2.0)))))
    add(Case("reg-memmap-y", "reg", D(X=X, y=memmap(Y_REG, "y")), FIT,
             check=same_as(D(X=X, y=Y_REG))))
    add(Case("clf-partial_fit-read-only-X", "clf",
             D(X=readonly(X), y=Y_BIN, classes=[0, 1]), PFIT,
             check=same_as(D(X=X, y=Y_BIN, classes=[0, 1]), call=PFIT)))
    add(Case("clf-partial_fit-memmap-X", "clf",
             D(X=memmap(X, "X"), y=Y_BIN, classes=[0, 1]), PFIT,
             check=same_as(D(X=X, y=Y_BIN, classes=[0, 1]), call=PFIT)))
    add(Case("reg-lbfgs-read-only-float32-X", "reg", D(X=readonly(X32), y=Y_REG), FIT,
             params=dict(solver="lbfgs"),
             check=same_as(D(X=X32, y=Y_REG), Xp=X32, rtol=1e-6)))
    add(Case("clf-predict-read-only-memmap", "clf",
             D(X=X, y=Y_BIN, Xp=memmap(X, "X")), fit_then("predict_proba"),
             check=lambda e, r, d: assert_array_equal(r, e.predict_proba(X))))
    return cases


def _sparse_cases():
    cases = []
    add = cases.append
    Xs = np.where(np.abs(X) > 0.7, X, 0.0)
    Xs_empty = Xs.copy()
    Xs_empty[[2, 5, 11]] = 0.0
    for name, build, ref in [
        ("coo_matrix", lambda: sp.coo_matrix(Xs), Xs),
        ("lil_matrix", lambda: sp.lil_matrix(Xs), Xs),
        ("dok_matrix", lambda: sp.dok_matrix(Xs), Xs),
        ("bsr_matrix", lambda: sp.bsr_matrix(Xs), Xs),
        ("dia_matrix", lambda: sp.dia_matrix(Xs), Xs),
        ("csr_array", lambda: sp.csr_array(Xs), Xs),
        ("csc_array", lambda: sp.csc_array(Xs), Xs),
        ("coo_array", lambda: sp.coo_array(Xs), Xs),
        ("int64-csr", lambda: sp.csr_matrix((Xs * 3).astype(np.int64)),
         (Xs * 3).astype(np.int64).astype(float)),
        ("bool-csr", lambda: sp.csr_matrix(Xs > 0), (Xs > 0).astype(float)),
        ("empty-rows-csr", lambda: sp.csr_matrix(Xs_empty), Xs_empty),
        ("all-zero-csr", lambda: sp.csr_matrix((20, 4)), np.zeros((20, 4))),
        ("coo-duplicates", lambda: sp.coo_matrix(
            (np.r_[sp.coo_matrix(Xs).data, [1.0, 2.0]],
             (np.r_[sp.coo_matrix(Xs).row, [0, 0]],
              np.r_[sp.coo_matrix(Xs).col, [1, 1]])), shape=(20, 4)),
         with_value(Xs, (0, 1), Xs[0, 1] + 3.0)),
        ("csr-unsorted-indices", lambda: _unsorted_csr(Xs), Xs),
        ("csr-explicit-zeros", lambda: _explicit_zeros_csr(Xs), Xs),
    ]:
        for kind, y in [("clf", Y_3), ("reg", Y_REG)]:
            if kind == "clf" and name not in ("coo_matrix", "csr_array", "int64-csr",
                                              "empty-rows-csr", "coo-duplicates"):
                continue
            add(Case(f"{kind}-X-{name}", kind, D(X=build, y=y), FIT,
                     check=same_as(D(X=ref, y=y), Xp=ref, rtol=1e-9, atol=1e-12)))
    add(Case("reg-float32-csr", "reg", D(X=lambda: sp.csr_matrix(Xs.astype(np.float32)),
                                       y=Y_REG), FIT, check=coef_dtype(np.float32)))
    add(Case("reg-lbfgs-csc", "reg", D(X=lambda: sp.csc_matrix(Xs), y=Y_REG), FIT,
             params=dict(solver="lbfgs"),
             check=same_as(D(X=Xs, y=Y_REG), Xp=Xs, rtol=1e-7, atol=1e-9)))
    add(Case("clf-partial_fit-lil", "clf",
             D(X=lambda: sp.lil_matrix(Xs), y=Y_BIN, classes=[0, 1]), PFIT,
             check=same_as(D(X=Xs, y=Y_BIN, classes=[0, 1]), call=PFIT, Xp=Xs)))
    add(Case("reg-sparse-inf", "reg",
             D(X=lambda: sp.csr_matrix(with_value(Xs, (0, 0), np.inf)), y=Y_REG), FIT,
             ValueError, "Input X contains infinity"))
    add(Case("clf-predict-sparse-after-dense-fit", "clf",
             D(X=Xs, y=Y_3, Xp=lambda: sp.csr_matrix(Xs)), fit_then("predict_proba"),
             check=lambda e, r, d: assert_allclose(r, e.predict_proba(Xs), rtol=1e-12)))
    return cases


def _unsorted_csr(A):
    m = sp.csr_matrix(A)
    for i in range(m.shape[0]):
        s, e = m.indptr[i], m.indptr[i + 1]
        m.indices[s:e] = m.indices[s:e][::-1]
        m.data[s:e] = m.data[s:e][::-1]
    m.has_sorted_indices = False
    return m


def _explicit_zeros_csr(A):
    """A's pattern with every entry stored, zeros included."""
    rows, cols = np.indices(A.shape)
    return sp.csr_matrix((A.ravel(), (rows.ravel(), cols.ravel())), shape=A.shape)


CASES = (
    _weight_cases()
    + _float32_cases()
    + _warm_start_cases()
    + _sequence_cases()
    + _persistence_cases()
    + _label_cases()
    + _param_cases()
    + _dtype_cases()
    + _layout_cases()
    + _sparse_cases()
)
