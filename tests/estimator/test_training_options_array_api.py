"""The training options beyond scikit-learn on an array-API namespace
(array_api_strict): the numpy engine's fit, to rounding."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn import config_context
from sklearn.datasets import load_digits

from skbackprop import BackpropMLPClassifier
from skbackprop._array_api import SUPPORTED

if not SUPPORTED:
    pytest.skip("array API support needs scikit-learn >= 1.9",
                allow_module_level=True)
xp = pytest.importorskip("array_api_strict")

pytestmark = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_the_options_train_on_a_device_as_on_numpy(solver):
    X, y = load_digits(return_X_y=True)
    X, y = X[:300] / 16.0, y[:300]
    params = dict(solver=solver, hidden_layer_sizes=(20,), max_iter=8,
                  random_state=0, weight_decay=0.05,
                  learning_rate_schedule="coslog4", learning_rate_warmup=0.1,
                  dropout=0.2, dropout_schedule="flat_cos", label_smoothing=0.1,
                  early_stopping=True, n_iter_no_change=np.inf,
                  restore_best="validation_score")
    ref = BackpropMLPClassifier(**params).fit(X, y)
    with config_context(array_api_dispatch=True):
        est = BackpropMLPClassifier(**params).fit(xp.asarray(X), xp.asarray(y))
        proba = np.asarray(est.predict_proba(xp.asarray(X)))
    assert_allclose(est.loss_curve_, ref.loss_curve_, rtol=1e-9)
    assert est.validation_scores_ == ref.validation_scores_
    assert_allclose(proba, ref.predict_proba(X), rtol=0, atol=1e-8)


def test_lr_factors_are_refused_by_name_on_a_device():
    from skbackprop._engine.optimizers import Adam

    opt = Adam(4, np.float64, lr_factors=np.ones(4))
    with pytest.raises(NotImplementedError, match="no array-API version"):
        opt.update(xp.ones(4, dtype=xp.float64), xp.ones(4, dtype=xp.float64))
