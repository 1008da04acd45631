"""Label smoothing (:func:`skbackprop._engine.smooth_targets`): the
targets, their gradient (gradcheck) and the loss reported against them."""

import numpy as np
import pytest

from skbackprop import gradcheck
from skbackprop._engine import Network, get_loss, smooth_targets


def test_softmax_targets_spread_epsilon_over_the_classes():
    Y = np.eye(4, dtype=np.uint8)[[0, 3, 1]]
    before = Y.copy()
    smoothed = smooth_targets(get_loss("log_loss"), Y, 0.2)
    np.testing.assert_allclose(smoothed, Y * 0.8 + 0.05)
    np.testing.assert_allclose(smoothed.sum(axis=1), 1.0)
    np.testing.assert_array_equal(Y, before)  # a new array


def test_each_logistic_output_is_a_two_class_problem():
    Y = np.array([[1, 0], [0, 1]], dtype=np.uint8)  # binary or multilabel
    smoothed = smooth_targets(get_loss("binary_log_loss"), Y, 0.1,
                              np.float32)
    assert smoothed.dtype == np.float32
    np.testing.assert_allclose(smoothed, [[0.95, 0.05], [0.05, 0.95]],
                               rtol=1e-7)


def test_regression_losses_are_refused():
    for name in ("squared_error", "poisson"):
        with pytest.raises(ValueError, match="classification loss"):
            smooth_targets(get_loss(name), np.zeros((2, 1)), 0.1)


@pytest.mark.parametrize("loss, n_out", [("log_loss", 3),
                                         ("binary_log_loss", 2)])
def test_the_gradient_against_smoothed_targets_is_exact(loss, n_out):
    rng = np.random.RandomState(0)
    X = rng.standard_normal((25, 4))
    labels = rng.randint(0, n_out, 25)
    Y = (np.eye(n_out)[labels] if loss == "log_loss"
         else (rng.rand(25, n_out) > 0.5).astype(float))
    smoothed = smooth_targets(get_loss(loss), Y, 0.15)
    assert gradcheck(X, smoothed, (5,), "tanh", loss, alpha=0.1) < 1e-6


def test_the_loss_is_the_cross_entropy_against_the_smoothed_targets():
    rng = np.random.RandomState(1)
    net = Network([3, 4, 3], "relu", "log_loss")
    flat = net.init_params(rng)
    X = rng.standard_normal((10, 3))
    Y = smooth_targets(net.loss, np.eye(3)[rng.randint(0, 3, 10)], 0.3)
    P = net.predict(*net.unpack(flat), X)
    expected = -(Y * np.log(P)).sum() / 10
    ws = net.workspace(10)
    grad = np.empty(net.n_params)
    loss, _ = net.data_loss_grad(flat, grad, X, Y, None, ws)
    assert loss == pytest.approx(expected, rel=1e-12)
