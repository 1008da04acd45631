"""warm_start: settings changed between fits, hand-set weights.

early_stopping toggled between warm starts works; hand-set ``coefs_`` /
``intercepts_`` on an unfitted estimator with warm_start are the starting
point (wrong shapes: ValueError naming the expected shapes).
"""


import numpy as np
from skb_test_helpers import quiet

from battery.case import (
    BASE_PARAMS,
    FIT,
    PFIT,
    X0,
    X32,
    Y0_3,
    Y0_BIN,
    Y_3,
    Y_BIN,
    Y_REG,
    Case,
    D,
    X,
    assert_same_model,
    attr_is,
    checks,
    clean_fit,
    finite,
    seq,
    setp,
    tagged,
    that,
)


def _classes_change_cases():
    """Other classes in a warm start."""
    cases = []
    add = cases.append
    c = "clf"
    add(Case("clf-warm_start-classes-change", c, D(),
             lambda est, d: est.fit(X0, Y0_BIN).fit(X0, Y0_3), ValueError,
             "warm_start can only be used where `y` has the same classes",
             params=dict(warm_start=True),
             atomic=False))
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
             ValueError, r"coefs_", params=dict(warm_start=True), atomic=False,
             finite_after=False))
    return cases


CASES = tagged("warm_start", _classes_change_cases() + _warm_start_cases())
