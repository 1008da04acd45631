"""Drop-in parity with scikit-learn's MLP, parameter by parameter.

Three kinds of evidence:

* cross-validated scores within 0.02 of scikit-learn's for every solver x
  learning_rate x early_stopping combination on iris, digits and diabetes
  (a smaller run of ``benchmarks/parity_table.py``);
* for each parameter, a fit with a non-default value equals scikit-learn's fit
  with the same value (same seed, so same draws and shuffles) *and* differs
  from the fit with the default value, so a parameter that is ignored fails;
* behaviour scikit-learn does not have (class_weight, extra activations) or
  gets wrong (batch-size dependent L2, multi-output loss), checked against a
  closed form or a hand computation.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from helpers.sklearn_comparison import BASE, _assert_same_fit, _binary, _multiclass
from numpy.testing import assert_allclose, assert_array_equal
from parity_table import COMBOS, compare, datasets
from skb_test_helpers import fit_quietly as _quiet_fit
from skb_test_helpers import needs_sklearn_1_7
from sklearn.datasets import (
    load_digits,
    load_iris,
    make_regression,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Ridge
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from threadpoolctl import threadpool_limits

from skbackprop import BackpropMLPClassifier, BackpropMLPRegressor

# iris's early-stopping validation set is small (24 samples) and our split is
# stratified where sklearn's is not, so iris averages over more seeds
SEEDS = {"iris": range(5), "digits": range(2), "diabetes": range(2)}
DATASETS = {d[0]: d for d in datasets()}


@pytest.mark.parametrize(
    "combo", COMBOS, ids=["-".join(map(str, c)) for c in COMBOS]
)
@pytest.mark.parametrize("dataset", list(DATASETS))
@pytest.mark.slow
def test_cv_score_within_0_02_of_sklearn(dataset, combo):
    name, X, y, ours_cls, theirs_cls, base = DATASETS[dataset]
    # one BLAS thread: these matrices are small and threads only add overhead
    with threadpool_limits(1, user_api="blas"):
        ours, theirs = compare(
            name, X, y, ours_cls, theirs_cls, base, combo, SEEDS[dataset]
        )
    assert abs(ours - theirs) <= 0.02, (ours, theirs)
    # and the comparison is between models that learned something
    assert ours > {"iris": 0.75, "digits": 0.9, "diabetes": 0.1}[dataset]


def _regression():
    X, y = make_regression(n_samples=200, n_features=6, noise=5.0, random_state=0)
    return X, y / y.std()


# (estimator kind, data, base overrides, parameter variation)
VARIATIONS = [
    ("clf", _multiclass, {}, dict(tol=5e-2)),
    ("clf", _multiclass, dict(tol=2e-2), dict(n_iter_no_change=2)),
    ("clf", _multiclass, {}, dict(shuffle=False)),
    ("clf", _multiclass, {}, dict(batch_size=64)),
    ("clf", _multiclass, {}, dict(learning_rate_init=0.01)),
    ("clf", _multiclass, {}, dict(beta_1=0.5)),
    ("clf", _multiclass, {}, dict(beta_2=0.9)),
    ("clf", _multiclass, {}, dict(epsilon=1e-2)),
    ("clf", _multiclass, dict(solver="sgd"), dict(momentum=0.5)),
    ("clf", _multiclass, dict(solver="sgd"), dict(nesterovs_momentum=False)),
    ("clf", _multiclass, dict(solver="sgd", learning_rate="invscaling"),
     dict(power_t=0.25)),
    ("clf", _multiclass, dict(solver="sgd"), dict(learning_rate="invscaling")),
    ("clf", _multiclass, dict(solver="sgd", learning_rate_init=0.5, tol=1e-3,
                             n_iter_no_change=2, max_iter=40),
     dict(learning_rate="adaptive")),
    ("clf", _multiclass, {}, dict(activation="tanh")),
    ("clf", _binary, {}, dict(early_stopping=True)),
    ("clf", _binary, dict(early_stopping=True), dict(validation_fraction=0.3)),
    ("clf", _binary, dict(solver="lbfgs"), dict(max_iter=5)),
    ("clf", _binary, dict(solver="lbfgs"), dict(max_fun=7)),
    ("clf", _binary, dict(solver="lbfgs", max_iter=200), dict(tol=1e-2)),
    ("reg", _regression, {}, dict(early_stopping=True, n_iter_no_change=3)),
    ("reg", _regression, {}, dict(hidden_layer_sizes=(5, 4))),
    ("reg", _regression, dict(solver="sgd", learning_rate_init=0.01),
     dict(momentum=0.0)),
    ("reg", _regression, dict(solver="lbfgs"), dict(activation="logistic")),
]


def _fit_pair(kind, X, y, params):
    ours_cls, theirs_cls = {
        "clf": (BackpropMLPClassifier, MLPClassifier),
        "reg": (BackpropMLPRegressor, MLPRegressor),
    }[kind]
    return _quiet_fit(ours_cls(**params), X, y), _quiet_fit(theirs_cls(**params), X, y)


def _param_id(v):
    kind, data, base, change = v
    extra = ",".join(f"{k}={b}" for k, b in base.items())
    return f"{kind}-{data.__name__[1:]}-{extra}-" + ",".join(
        f"{k}={c}" for k, c in change.items()
    )


@pytest.mark.parametrize("variation", VARIATIONS, ids=map(_param_id, VARIATIONS))
def test_parameter_changes_the_fit_exactly_as_in_sklearn(variation):
    kind, data, base_overrides, change = variation
    X, y = data()
    base = dict(BASE, **base_overrides)
    ours, theirs = _fit_pair(kind, X, y, dict(base, **change))
    _assert_same_fit(ours, theirs)
    for attr in ("validation_scores_", "best_validation_score_", "best_loss_"):
        if not hasattr(theirs, attr):  # sklearn's lbfgs sets none of them
            continue
        assert_allclose(
            np.asarray(getattr(ours, attr), dtype=float),
            np.asarray(getattr(theirs, attr), dtype=float),
            rtol=1e-10,
        )
    # the parameter is not ignored: the default gives another fit
    default, _ = _fit_pair(kind, X, y, base)
    assert (
        default.n_iter_ != ours.n_iter_
        or default.coefs_[0].shape != ours.coefs_[0].shape
        or not np.allclose(default.coefs_[0], ours.coefs_[0], rtol=1e-6, atol=1e-8)
    )


def test_lbfgs_max_fun_bounds_function_evaluations():
    X, y = _binary()
    model = BackpropMLPClassifier(solver="lbfgs", max_fun=7, max_iter=200,
                                  random_state=0)
    with pytest.warns(ConvergenceWarning, match="max_fun=7"):
        model.fit(X, y)
    # each iteration evaluates the function at least once
    assert 1 <= model.n_iter_ <= 7
    assert len(model.loss_curve_) == model.n_iter_


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_max_iter_warns(solver):
    X, y = _multiclass()
    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(3\)"):
        BackpropMLPClassifier(solver=solver, max_iter=3, random_state=0).fit(X, y)


def test_adaptive_divides_the_rate_by_5_and_stops_below_1e_6(capsys):
    X, y = _multiclass()
    params = dict(BASE, solver="sgd", learning_rate="adaptive",
                  learning_rate_init=0.5, tol=1e30, n_iter_no_change=1,
                  max_iter=200, verbose=True)
    ours = BackpropMLPClassifier(**params).fit(X, y)
    out = capsys.readouterr().out
    rates = [float(line.rsplit(" ", 1)[1]) for line in out.splitlines()
             if "Setting learning rate to" in line]
    # 0.5 / 5**k down to the first rate <= 1e-6, printed with %f
    assert rates[:3] == [0.1, 0.02, 0.004]
    assert "Learning rate too small. Stopping." in out
    assert ours._optimizer.learning_rate <= 1e-6 < ours._optimizer.learning_rate * 5
    # tol so large that no epoch after the first improves: a stall is
    # declared after two such epochs, i.e. at epochs 3, 5, 7, ...
    assert ours.n_iter_ == 1 + 2 * (len(rates) + 1)


def test_verbose_output_is_sklearns(capsys):
    X, y = _binary()
    params = dict(BASE, solver="sgd", learning_rate="adaptive", tol=1e-2,
                  n_iter_no_change=2, early_stopping=True, verbose=True)
    BackpropMLPClassifier(**params).fit(X, y)
    ours = capsys.readouterr().out
    _quiet_fit(MLPClassifier(**params), X, y)
    theirs = capsys.readouterr().out
    assert "Iteration 1, loss = " in ours and "Validation score: " in ours
    assert ours == theirs


def test_batch_size_larger_than_the_data_is_clipped_with_a_warning():
    X, y = load_iris(return_X_y=True)
    with pytest.warns(UserWarning, match="It is going to be clipped"):
        ours = _quiet_fit(BackpropMLPClassifier(batch_size=1000, **BASE), X, y)
    full = _quiet_fit(BackpropMLPClassifier(batch_size=150, **BASE), X, y)
    assert_array_equal(ours.coefs_[0], full.coefs_[0])


def test_auto_batch_size_is_min_200_n_samples():
    X, y = _multiclass()
    one = dict(BASE, max_iter=1)
    auto = _quiet_fit(BackpropMLPClassifier(**one), X, y)
    explicit = _quiet_fit(BackpropMLPClassifier(batch_size=200, **one), X, y)
    assert_array_equal(auto.coefs_[0], explicit.coefs_[0])
    assert auto._optimizer.t == 3  # ceil(500 / 200) steps


def test_shuffle_false_is_order_dependent_but_reproducible():
    X, y = _multiclass()
    params = dict(BASE, shuffle=False)
    a = _quiet_fit(BackpropMLPClassifier(**params), X, y)
    b = _quiet_fit(BackpropMLPClassifier(**params), X, y)
    assert_array_equal(a.coefs_[0], b.coefs_[0])
    order = np.random.RandomState(1).permutation(len(y))
    c = _quiet_fit(BackpropMLPClassifier(**params), X[order], y[order])
    assert not np.allclose(a.coefs_[0], c.coefs_[0])


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_sparse_input_equals_dense(fmt, solver):
    X, y = _multiclass()
    params = dict(BASE, solver=solver)
    dense = _quiet_fit(BackpropMLPClassifier(**params), X, y)
    X_sparse = sp.csr_matrix(X) if fmt == "csr" else sp.csc_matrix(X)
    sparse = _quiet_fit(BackpropMLPClassifier(**params), X_sparse, y)
    assert X_sparse.format == fmt  # not densified in place
    for a, b in zip(dense.coefs_, sparse.coefs_):
        assert_allclose(a, b, rtol=1e-8, atol=1e-10)
    assert_allclose(sparse.predict_proba(X_sparse), dense.predict_proba(X),
                    rtol=1e-8, atol=1e-12)


@needs_sklearn_1_7
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_poisson_loss_matches_sklearn(solver):
    rng = np.random.RandomState(0)
    X = rng.randn(200, 4)
    y = rng.poisson(np.exp(0.5 * X[:, 0] - 0.3 * X[:, 1]))
    params = dict(BASE, loss="poisson", solver=solver, learning_rate_init=0.01)
    ours, theirs = _fit_pair("reg", X, y, params)
    assert ours.out_activation_ == theirs.out_activation_ == "exp"
    _assert_same_fit(ours, theirs)
    assert (ours.predict(X) > 0).all()


@pytest.mark.parametrize("activation", ["leaky_relu", "elu", "gelu", "softplus"])
def test_extra_activations_learn_digits(activation):
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X / 16.0, y, random_state=0)
    model = _quiet_fit(
        BackpropMLPClassifier(hidden_layer_sizes=(50,), activation=activation,
                              learning_rate_init=0.01, max_iter=40, random_state=0),
        X_train, y_train,
    )
    assert model.score(X_test, y_test) > 0.95


@pytest.mark.parametrize("batch_size", [10, 50])
def test_l2_strength_does_not_depend_on_batch_size(batch_size):
    """Without hidden layers the objective of alpha_scaling="dataset" is
    Ridge's, whatever the batch:
    0.5/N * sum (y - Xw - b)^2 + alpha/(2N) * ||w||^2, i.e. Ridge(alpha)."""
    X, y = make_regression(n_samples=100, n_features=5, noise=2.0, random_state=0)
    y = y / y.std()
    alpha = 30.0
    ridge = Ridge(alpha=alpha).fit(X, y)
    params = dict(hidden_layer_sizes=(), alpha=alpha, solver="sgd",
                  learning_rate_init=0.01, momentum=0.0, batch_size=batch_size,
                  max_iter=300, tol=0.0, random_state=0)
    ours = _quiet_fit(BackpropMLPRegressor(alpha_scaling="dataset", **params), X, y)
    theirs = _quiet_fit(MLPRegressor(**params), X, y)
    lbfgs = _quiet_fit(BackpropMLPRegressor(
        hidden_layer_sizes=(), alpha=alpha, solver="lbfgs", tol=1e-10,
        max_iter=1000, random_state=0), X, y)
    assert_allclose(lbfgs.coefs_[0].ravel(), ridge.coef_, rtol=1e-5, atol=1e-6)
    ours_err = np.abs(ours.coefs_[0].ravel() - ridge.coef_).max()
    theirs_err = np.abs(theirs.coefs_[0].ravel() - ridge.coef_).max()
    assert ours_err < 0.02 * np.abs(ridge.coef_).max()
    # sklearn's minibatch penalty is alpha / batch_size: N / batch_size times
    # stronger, so it shrinks far more than Ridge(alpha)
    assert theirs_err > 10 * ours_err


def test_multioutput_loss_is_the_objective_whose_gradient_is_followed():
    X, y = make_regression(n_samples=100, n_features=4, n_targets=3,
                           random_state=0)
    y = y / y.std(axis=0)
    alpha = 0.1
    model = _quiet_fit(
        BackpropMLPRegressor(hidden_layer_sizes=(8,), solver="lbfgs", alpha=alpha,
                             max_iter=50, random_state=0), X, y)
    residual = model.predict(X) - y
    penalty = alpha / (2 * len(y)) * sum((w**2).sum() for w in model.coefs_)
    # 0.5 * mean over samples of the sum over outputs, plus the penalty
    assert model.loss_ == pytest.approx(
        0.5 * (residual**2).sum(axis=1).mean() + penalty, rel=1e-9
    )


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_sparse_input_is_never_densified(solver):
    """20000 x 50000 CSR (8 GB dense in float64): training and prediction
    stay within a few MB of traced memory."""
    import tracemalloc

    rng = np.random.RandomState(0)
    nnz = 200_000
    X = sp.csr_matrix(
        (rng.rand(nnz), (rng.randint(0, 20000, nnz), rng.randint(0, 50000, nnz))),
        shape=(20000, 50000),
    )
    y = (np.asarray(X[:, :25000].sum(axis=1)).ravel() > 0.05).astype(int)
    model = BackpropMLPClassifier(hidden_layer_sizes=(4,), solver=solver,
                                  max_iter=2, random_state=0)
    tracemalloc.start()
    try:
        _quiet_fit(model, X, y)
        model.predict_proba(X)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    dense_bytes = X.shape[0] * X.shape[1] * 8
    # the weights (50000 x 4), per-batch arrays and, for lbfgs, scipy's
    # float64 history of 10 corrections: nowhere near the dense matrix
    assert peak < 100e6 < dense_bytes / 50, peak
