"""Continuing fits and predictions on numpy: ``partial_fit`` and warm starts
keep the model's dtype (as scikit-learn's MLP does), ``predict_log_proba``
stays finite where a probability underflows, and weights set by hand on an
estimator never fitted give a clear error at ``predict``."""

import pickle
import warnings

import numpy as np
import pytest
from helpers.linear_data import Y_REG
from helpers.linear_data import X as X_training_state
from helpers.sklearn_comparison import BASE, _assert_same_fit, _multiclass
from numpy.testing import assert_allclose, assert_array_equal
from skb_test_helpers import fit_quietly as _quiet_fit
from sklearn.datasets import (
    load_digits,
    load_iris,
)
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

from skbackprop import BackpropMLPClassifier, BackpropMLPRegressor
from skbackprop._engine import Network

pytestmark = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning"
)
X, Y = load_iris(return_X_y=True)
X = X / X.max(axis=0)
X32 = X.astype(np.float32)


def _continue(est, X, y, method):
    if method == "partial_fit":
        return est.partial_fit(X, y)
    return est.set_params(warm_start=True).fit(X, y)


@pytest.mark.parametrize("method", ["partial_fit", "warm_start"])
@pytest.mark.parametrize("solver", ["adam", "sgd"])
@pytest.mark.parametrize("model_dtype,chunk_dtype", [
    (np.float64, np.float32), (np.float32, np.float64), (np.float32, np.int64),
])
def test_a_continuing_fit_keeps_the_model_dtype(method, solver, model_dtype,
                                                chunk_dtype):
    """The chunk is cast to the model's dtype: the fit equals one on the
    chunk given in that dtype."""
    chunk = (X * 10).astype(chunk_dtype)
    params = dict(hidden_layer_sizes=(6,), solver=solver, max_iter=3,
                  random_state=0)
    for Est in (BackpropMLPClassifier, BackpropMLPRegressor):
        est, twin = (Est(**params).fit(X.astype(model_dtype), Y)
                     for _ in range(2))
        _continue(est, chunk, Y, method)
        _continue(twin, chunk.astype(model_dtype), Y, method)
        for a, b in zip(est.coefs_ + est.intercepts_,
                        twin.coefs_ + twin.intercepts_):
            assert a.dtype == model_dtype
            assert_array_equal(a, b)
        state = getattr(est._optimizer, est._optimizer._state_name)
        assert state.dtype == model_dtype
        assert est.loss_curve_ == twin.loss_curve_


def test_a_new_fit_still_follows_the_input_dtype():
    est = BackpropMLPClassifier((6,), max_iter=3, random_state=0).fit(X, Y)
    assert est.coefs_[0].dtype == np.float64
    est.fit(X32, Y)  # not a warm start: a new network, in X's dtype
    assert est.coefs_[0].dtype == np.float32
    first = BackpropMLPClassifier((6,), random_state=0)
    first.partial_fit(X32, Y, classes=[0, 1, 2])
    assert first.coefs_[0].dtype == np.float32


def test_hand_set_weights_follow_the_input_dtype():
    """Weights set on an estimator never fitted: X's dtype decides."""
    rng = np.random.RandomState(0)
    est = BackpropMLPRegressor(hidden_layer_sizes=(3,), warm_start=True,
                               max_iter=2, random_state=0)
    est.coefs_ = [rng.normal(size=(4, 3)), rng.normal(size=(3, 1))]
    est.intercepts_ = [np.zeros(3), np.zeros(1)]
    est.fit(X32, Y)
    assert est.coefs_[0].dtype == np.float32


def test_predict_log_proba_is_the_log_of_predict_proba_without_a_warning():
    """A softmax probability that underflows to 0 has log -inf, as
    scikit-learn's estimator checks require (log of predict_proba), and no
    RuntimeWarning escapes; logistic outputs are clipped inside (0, 1), so
    their logs are finite."""
    huge = X * 1e4  # softmax probabilities underflow to exactly 0
    for dtype in (np.float64, np.float32):
        model = BackpropMLPClassifier((6,), max_iter=20, random_state=0).fit(
            X.astype(dtype), Y)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            proba = model.predict_proba(huge.astype(dtype))
            log_proba = model.predict_log_proba(huge.astype(dtype))
        assert np.any(proba == 0.0)
        with np.errstate(divide="ignore"):
            assert_array_equal(log_proba, np.log(proba))
        binary = BackpropMLPClassifier((6,), max_iter=20, random_state=0).fit(
            X.astype(dtype), Y == Y[0])
        assert np.isfinite(binary.predict_log_proba(huge.astype(dtype))).all()


@pytest.mark.parametrize("Est", [BackpropMLPClassifier, BackpropMLPRegressor])
@pytest.mark.parametrize("method", ["predict", "score"])
def test_predict_with_hand_set_weights_on_an_unfitted_model(Est, method):
    rng = np.random.RandomState(0)
    est = Est(hidden_layer_sizes=(3,), warm_start=True, max_iter=2,
              random_state=0)
    est.coefs_ = [rng.normal(size=(4, 3)), rng.normal(size=(3, 1))]
    est.intercepts_ = [np.zeros(3), np.zeros(1)]
    call = getattr(est, method)
    args = (X,) if method == "predict" else (X, Y)
    with pytest.raises(NotFittedError, match="not fitted yet.*set by hand.*"
                       "warm_start=True"):
        call(*args)
    y = (Y == 1).astype(int) if Est is BackpropMLPClassifier else X[:, 0]
    est.fit(X, y)  # training from the given weights, as documented
    assert est.predict(X).shape == (X.shape[0],)


@pytest.mark.parametrize("method", ["predict", "predict_proba", "score"])
def test_an_unfitted_model_keeps_sklearns_error(method):
    est = BackpropMLPClassifier()
    args = (X,) if method != "score" else (X, Y)
    with pytest.raises(NotFittedError, match="instance is not fitted yet"):
        getattr(est, method)(*args)


X_partial_fit_classes_missing = np.random.RandomState(0).rand(6, 2)
Y_partial_fit_classes_missing = np.array([0, 1, 0, 1, 0, 1])


@pytest.mark.parametrize("classes", [
    [0, 1, np.nan],
    [0.0, 1.0, float("nan")],
    (0, 1, np.float32("nan")),
    np.array([0.0, 1.0, np.nan]),
    np.array(["a", "b", np.nan], dtype=object),
])
def test_nan_in_classes_is_a_clear_error(classes):
    before = list(classes)
    clf = BackpropMLPClassifier(random_state=0)
    with pytest.raises(ValueError, match="^classes contains NaN"):
        clf.partial_fit(
            X_partial_fit_classes_missing,
            Y_partial_fit_classes_missing,
            classes=classes,
        )
    assert not hasattr(clf, "classes_")
    assert [str(v) for v in classes] == [str(v) for v in before]


def test_classes_without_nan_still_work():
    clf = BackpropMLPClassifier(random_state=0).partial_fit(
        X_partial_fit_classes_missing, Y_partial_fit_classes_missing, classes=[0, 1]
    )
    np.testing.assert_array_equal(clf.classes_, [0, 1])


def test_warm_start_continues_from_hand_set_weights():
    """Set coefs_/intercepts_ by hand, refit with warm_start: one full-batch
    SGD step starts exactly from those weights."""
    rng = np.random.RandomState(0)
    X = rng.randn(30, 3)
    y = (X[:, 0] > 0).astype(int)
    clf = BackpropMLPClassifier(
        (4,),
        "tanh",
        solver="sgd",
        momentum=0.0,
        batch_size=30,
        learning_rate_init=0.1,
        alpha=0.01,
        max_iter=1,
        shuffle=False,
        random_state=0,
        warm_start=True,
    )
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, y)
    W = [rng.randn(3, 4), rng.randn(4, 1)]
    b = [rng.randn(4), rng.randn(1)]
    clf.coefs_ = [w.copy() for w in W]
    clf.intercepts_ = [v.copy() for v in b]

    net = Network([3, 4, 1], "tanh", "binary_log_loss")
    flat = net.pack(W, b)
    grad = np.empty_like(flat)
    Y = y.reshape(-1, 1).astype(float)
    net.loss_grad(flat, grad, X, Y, None, 0.01 / 30, net.workspace(30))
    expected = net.unpack(flat - 0.1 * grad)

    with pytest.warns(ConvergenceWarning):
        clf.fit(X, y)
    for mine, ref in zip(clf.coefs_ + clf.intercepts_, expected[0] + expected[1]):
        assert_allclose(mine, ref, rtol=1e-13)
    # the hand-set arrays were read, not modified
    assert_array_equal(W[0], clf.coefs_[0] + 0.1 * grad[:12].reshape(3, 4))


def test_warm_start_rejects_weights_of_the_wrong_shape():
    X, y = load_iris(return_X_y=True)
    clf = BackpropMLPClassifier((5,), solver="lbfgs", warm_start=True, random_state=0)
    clf.fit(X, y)
    clf.coefs_[0] = np.zeros((4, 6))
    with pytest.raises(ValueError, match="shapes of coefs_"):
        clf.fit(X, y)


def test_warm_start_continues_loss_curve_like_sklearn():
    X, y = _multiclass()
    params = dict(BASE, max_iter=5, warm_start=True)
    ours = _quiet_fit(BackpropMLPClassifier(**params), X, y)
    first = list(ours.loss_curve_)
    _quiet_fit(ours, X, y)
    theirs = _quiet_fit(_quiet_fit(MLPClassifier(**params), X, y), X, y)
    assert ours.loss_curve_[:5] == first and len(ours.loss_curve_) == 10
    # as in sklearn, n_iter_ counts this call's epochs; t_ accumulates
    assert ours.n_iter_ == 5 and ours.t_ == 10 * len(y)
    # the second fit starts from the first one's weights, like sklearn's
    assert ours.loss_curve_[5] < first[0]
    _assert_same_fit(ours, theirs)


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_partial_fit_reaches_the_accuracy_of_fit(solver):
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X / 16.0, y, random_state=0, stratify=y
    )
    params = dict(hidden_layer_sizes=(50,), solver=solver, random_state=0,
                  learning_rate_init=0.05 if solver == "sgd" else 0.01)
    fitted = _quiet_fit(BackpropMLPClassifier(max_iter=30, **params),
                        X_train, y_train)
    incremental = BackpropMLPClassifier(**params)
    rng = np.random.RandomState(0)
    for _ in range(30):
        order = rng.permutation(len(y_train))
        for start in range(0, len(order), 200):
            rows = order[start:start + 200]
            incremental.partial_fit(X_train[rows], y_train[rows],
                                    classes=np.unique(y))
    assert incremental.t_ == fitted.t_ == 30 * len(y_train)
    fit_acc = fitted.score(X_test, y_test)
    assert fit_acc > 0.94
    assert incremental.score(X_test, y_test) >= fit_acc - 0.02


@pytest.mark.parametrize("solver, changes", [
    ("adam", dict(learning_rate_init=0.01, beta_1=0.5, beta_2=0.9, epsilon=1e-6)),
    ("sgd", dict(momentum=0.5, nesterovs_momentum=False, power_t=0.25,
                 learning_rate="invscaling", learning_rate_init=0.05)),
])
def test_changed_settings_update_the_optimizer_in_place(solver, changes):
    est = BackpropMLPRegressor(hidden_layer_sizes=(3,), solver=solver,
                               batch_size=10, random_state=0)
    est.partial_fit(X_training_state, Y_REG)
    ref = pickle.loads(pickle.dumps(est))
    opt = ref._optimizer
    renamed = {"nesterovs_momentum": "nesterov", "learning_rate": "lr_schedule"}
    for name, value in changes.items():  # what set_params must amount to
        setattr(opt, renamed.get(name, name), value)
    if "learning_rate_init" in changes:
        opt.learning_rate = changes["learning_rate_init"]
    ref.set_params(**changes)
    est.set_params(**changes)
    est.partial_fit(X_training_state, Y_REG)
    ref.partial_fit(X_training_state, Y_REG)
    assert type(est._optimizer) is type(ref._optimizer)
    for a, b in zip(est.coefs_ + est.intercepts_, ref.coefs_ + ref.intercepts_):
        assert_array_equal(a, b)
    if solver == "adam":
        assert est._optimizer.t == 8  # the moments were kept


def test_changed_solver_gives_a_new_optimizer():
    est = BackpropMLPRegressor(hidden_layer_sizes=(3,), random_state=0)
    est.partial_fit(X_training_state, Y_REG)
    est.set_params(solver="sgd").partial_fit(X_training_state, Y_REG)
    assert type(est._optimizer).__name__ == "SGD"
