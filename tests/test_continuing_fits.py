"""Continuing fits and predictions on numpy: ``partial_fit`` and warm starts
keep the model's dtype (as scikit-learn's MLP does), ``predict_log_proba``
stays finite where a probability underflows, and weights set by hand on an
estimator never fitted give a clear error at ``predict``."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.datasets import load_iris
from sklearn.exceptions import NotFittedError

from skbackprop import BackpropMLPClassifier, BackpropMLPRegressor

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
