"""gradcheck's default steps judge every supported activation correctly,
the kinked ones (relu, leaky_relu) included."""

import numpy as np
import pytest

from skbackprop import gradcheck
from skbackprop._engine.activations import ACTIVATIONS

HIDDEN_ACTIVATIONS = ["identity", "logistic", "tanh", "relu", "leaky_relu", "elu",
                      "gelu", "softplus"]


def _binary_data(random_state):
    rng = np.random.RandomState(random_state)
    X = rng.randn(20, 3)
    Y = (rng.rand(20, 1) > 0.5).astype(float)
    return X, Y


@pytest.mark.parametrize("activation", HIDDEN_ACTIVATIONS)
@pytest.mark.parametrize("random_state", range(5))
def test_a_correct_network_reports_below_1e_4_at_the_defaults(activation,
                                                              random_state):
    X, Y = _binary_data(random_state)
    err = gradcheck(X, Y, (5, 4), activation, "binary_log_loss", alpha=0.1,
                    random_state=random_state)
    assert err < 1e-4, (activation, random_state, err)


def test_one_large_step_straddles_relu_kinks():
    """Why the defaults have a smaller second step: at eps=1e-3 alone some
    relu networks' finite differences cross a kink."""
    worst = max(
        gradcheck(*_binary_data(seed), (5, 4), "relu", "binary_log_loss",
                  alpha=0.1, random_state=seed, eps=1e-3)
        for seed in range(5)
    )
    assert worst > 1e-3


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "tanh"])
def test_a_wrong_derivative_is_still_caught(activation):
    act = ACTIVATIONS[activation]
    original = act.backward

    def doubled(delta, A, Z):
        original(delta, A, Z)
        delta *= 2

    act.backward = doubled
    try:
        err = gradcheck(*_binary_data(0), (5, 4), activation, "binary_log_loss",
                        alpha=0.1)
    finally:
        act.backward = original
    assert err > 1e-2


def test_numeric_gradient_is_taken_at_each_components_best_step():
    X, Y = _binary_data(1)
    err, analytic, numeric = gradcheck(X, Y, (5, 4), "relu", "binary_log_loss",
                                       alpha=0.1, random_state=1,
                                       return_gradients=True)
    rel = np.abs(analytic - numeric) / np.maximum(
        np.maximum(np.abs(analytic), np.abs(numeric)), 1e-6)
    assert rel.max() == err


@pytest.mark.parametrize("eps", [(), (1e-3, 0.0), (1e-3, -1e-5), [np.nan]])
def test_bad_steps_are_refused(eps):
    with pytest.raises(ValueError, match="eps must be a positive number"):
        gradcheck(*_binary_data(0), (3,), "tanh", "binary_log_loss", eps=eps)
