"""A model saved before a parameter existed loads with that parameter at
its default (the behaviour it was fitted with), and still answers
get_params, clone and predict as before."""

import pickle

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.base import clone
from sklearn.datasets import load_iris

from skbackprop import BackpropMLPClassifier, BackpropMLPRegressor

NEWER = ["weight_decay", "learning_rate_schedule", "learning_rate_warmup",
         "restore_best", "dropout_schedule"]


@pytest.mark.parametrize("cls", [BackpropMLPClassifier, BackpropMLPRegressor])
def test_a_file_without_the_newer_parameters_loads_with_their_defaults(cls):
    X, y = load_iris(return_X_y=True)
    model = cls(hidden_layer_sizes=(5,), max_iter=30, random_state=0)
    with pytest.warns(Warning):  # ConvergenceWarning: 30 epochs
        model.fit(X, y)
    defaults = cls().get_params()
    state = model.__getstate__()
    for name in NEWER:
        del state[name]  # as a file written before they existed
    old = cls.__new__(cls)
    old.__setstate__(state)
    assert {name: old.get_params()[name] for name in NEWER} == {
        name: defaults[name] for name in NEWER}
    assert_array_equal(old.predict(X), model.predict(X))
    assert clone(old).get_params() == clone(model).get_params()
    assert_array_equal(pickle.loads(pickle.dumps(old)).predict(X), model.predict(X))
    assert np.all(np.isfinite(old.coefs_[0]))
