"""Parameter values: invalid ones refused by name, extreme valid ones fit.

learning_rate="invscaling" with a huge power_t: the fit completes.  A last
step that overflows the weights counts as divergence ("Training
diverged"), never a returned model with non-finite output.
"""


import numpy as np

from battery.case import (
    FIT,
    PFIT,
    X0,
    Y_BIN,
    Y_REG,
    Case,
    D,
    X,
    attr_is,
    checks,
    finite,
    fit_with,
    same_as,
    tagged,
)


def _invalid_param_cases():
    """Invalid values and types, refused with sklearn's wording."""
    cases = []
    add = cases.append
    for kind in ("clf", "reg"):
        k = kind
        for name, value, msg in [
            ("hidden_layer_sizes", 0, "The 'hidden_layer_sizes' parameter"),
            ("hidden_layer_sizes", (10, 0), r"hidden_layer_sizes must be > 0"),
            ("hidden_layer_sizes", (-3,), r"hidden_layer_sizes must be > 0"),
            ("hidden_layer_sizes", (1.5,), "hidden_layer_sizes must contain positive"),
            ("hidden_layer_sizes", "ab", "The 'hidden_layer_sizes' parameter"),
            ("activation", "sigmoid", "The 'activation' parameter"),
            ("solver", "newton", "The 'solver' parameter"),
            ("learning_rate", "fast", "The 'learning_rate' parameter"),
            ("alpha", -1.0, "The 'alpha' parameter"),
            ("alpha", "0.1", "The 'alpha' parameter"),
            ("batch_size", 0, "The 'batch_size' parameter"),
            ("batch_size", 2.5, "The 'batch_size' parameter"),
            ("validation_fraction", 1.0, "The 'validation_fraction' parameter"),
            ("validation_fraction", -0.1, "The 'validation_fraction' parameter"),
            ("validation_fraction", 1.5, "The 'validation_fraction' parameter"),
            ("learning_rate_init", 0.0, "The 'learning_rate_init' parameter"),
            ("learning_rate_init", -1.0, "The 'learning_rate_init' parameter"),
            ("power_t", -0.5, "The 'power_t' parameter"),
            ("max_iter", 0, "The 'max_iter' parameter"),
            ("max_iter", 2.5, "The 'max_iter' parameter"),
            ("shuffle", "yes", "The 'shuffle' parameter"),
            ("random_state", "seed", "The 'random_state' parameter"),
            ("tol", -1e-4, "The 'tol' parameter"),
            ("warm_start", 1.5, "The 'warm_start' parameter"),
            ("momentum", 1.5, "The 'momentum' parameter"),
            ("nesterovs_momentum", "no", "The 'nesterovs_momentum' parameter"),
            ("early_stopping", "no", "The 'early_stopping' parameter"),
            ("beta_1", 1.0, "The 'beta_1' parameter"),
            ("beta_2", -0.1, "The 'beta_2' parameter"),
            ("epsilon", 0.0, "The 'epsilon' parameter"),
            ("n_iter_no_change", 0, "The 'n_iter_no_change' parameter"),
            ("max_fun", 0, "The 'max_fun' parameter"),
        ]:
            if kind == "reg" and name not in (
                "hidden_layer_sizes", "activation", "solver", "alpha"
            ):
                continue  # shared validation: the classifier covers the rest
            # (an unknown activation also stops the fitted model's predict,
            # which the atomicity check calls first)
            add(Case(f"{k}-param-{name}={value!r}", k, D(),
                     fit_with(X0), ValueError, msg,
                     params={name: value}, atomic=name != "activation"))

    return cases


def _invalid_loss_cases():
    """An unknown loss."""
    cases = []
    add = cases.append
    r = "reg"
    add(Case("reg-param-loss='huber'", r, D(),
             fit_with(X0), ValueError, "The 'loss' parameter",
             params=dict(loss="huber")))
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
             params=dict(early_stopping=True, validation_fraction=1e-9),
             topic="early_stopping"))
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


CASES = tagged("parameters", _invalid_param_cases() + _invalid_loss_cases()
               + _param_cases())
