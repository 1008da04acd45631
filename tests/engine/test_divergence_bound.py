"""An epoch that cannot diverge keeps no copy of the state.

The training loop copies the weights and the optimizer before an epoch
only to roll a diverging epoch back; ``Trainer.epoch_can_diverge`` rules
divergence out from two bounds, tested here as bounds: how far Adam's
coming steps can move a parameter (``Adam.travel_bound``), and how large
every quantity of a batch can get with parameters that close
(``Network.finite_within``, which relies on two properties of every hidden
activation of the registry).  Fits without the copy equal fits with it,
bit for bit, and a diverging fit of the same network is still copied and
rolled back.
"""

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning

from skbackprop import BackpropMLPClassifier
from skbackprop import _training as training
from skbackprop._engine import activations
from skbackprop._engine import trainer as trainer_module
from skbackprop._engine.network import Network
from skbackprop._engine.optimizers import SGD, Adam


@pytest.mark.parametrize("betas", [(0.9, 0.999), (0.5, 0.3), (0.0, 0.9)])
@pytest.mark.parametrize("warm", [False, True])
def test_adam_travel_bound_bounds_every_step(betas, warm):
    rng = np.random.RandomState(0)
    n, steps = 50, 40
    opt = Adam(n, np.float64, learning_rate_init=0.1, beta_1=betas[0],
               beta_2=betas[1])
    params = np.zeros(n)
    if warm:  # moments of another history, with other gradient scales
        for scale in (1e-3, 1e3, 1.0):
            opt.update(params, rng.randn(n) * scale)
        params[:] = 0.0
    bound = opt.travel_bound(steps, 1e9)
    # adversarial gradients: one sign per parameter, magnitudes that jump
    sign = np.where(rng.rand(n) < 0.5, -1.0, 1.0)
    for t in range(steps):
        opt.update(params, sign * 10.0 ** rng.uniform(-8, 8, n) * (t % 3 + 1))
    assert np.abs(params).max() <= bound
    assert np.abs(params).max() > bound / 20  # a bound, not a bypass


def test_travel_bound_is_infinite_when_no_bound_holds():
    assert Adam(3, np.float64, beta_1=0.99, beta_2=0.9).travel_bound(5, 1.0) == np.inf
    opt = Adam(3, np.float64)
    assert np.isfinite(opt.travel_bound(5, 1.0))
    opt.m[0] = np.nan
    assert opt.travel_bound(5, 1.0) == np.inf
    # gradients that could overflow the second moment
    assert Adam(3, np.float32).travel_bound(5, 1e19) == np.inf
    assert SGD(3, np.float64).travel_bound(5, 1.0) == np.inf

    class Decayed(Adam):  # another step: no bound until it proves one
        pass

    assert Decayed(3, np.float64).travel_bound(5, 1.0) == np.inf


@pytest.mark.parametrize("name", sorted(activations.ACTIVATIONS))
def test_hidden_activations_grow_and_slope_as_the_bound_assumes(name):
    """``|f(z)| <= g |z| + c`` (the entry's ``growth``) and ``|f'(z)| <=
    slope``, the two properties of a hidden activation that
    ``Network.finite_within`` (and ``output_bound``) build on; ``(1, 1)``
    and 1.2 unless the entry states otherwise (SELU: its scale and its
    scale times alpha)."""
    act = activations.ACTIVATIONS[name]
    g, c = act.growth
    if name != "selu":
        assert (g, c, act.slope) == (1.0, 1.0, 1.2)
    Z = np.concatenate([np.linspace(-30, 30, 6001), [-1e3, -1e2, 1e2, 1e3],
                        -np.logspace(-12, -1, 12)])
    A = Z.copy()
    act.forward(A)
    assert (np.abs(A) <= g * np.abs(Z) + c).all()
    slope = np.ones_like(Z)
    act.backward(slope, A, Z)
    assert (np.abs(slope) <= act.slope).all()
    if name != "selu":
        assert (np.abs(slope) < 1.2).all()


@pytest.mark.parametrize("activation", ["relu", "tanh", "gelu", "softplus"])
@pytest.mark.parametrize("loss,n_out", [("squared_error", 2), ("log_loss", 3)])
def test_finite_within_bounds_outputs_and_gradients(activation, loss, n_out):
    """At a limit equal to an output or a gradient actually reached within
    the radius, ``finite_within`` must answer False."""
    rng = np.random.RandomState(1)
    net = Network([4, 6, 5, n_out], activation, loss)
    flat = net.init_params(rng)
    radius, x_max = 0.3, 2.0
    X = rng.uniform(-x_max, x_max, (64, 4))
    Y = (np.eye(n_out)[rng.randint(n_out, size=64)] if loss == "log_loss"
         else rng.uniform(-1, 1, (64, n_out)))
    largest = 0.0
    ws = net.workspace(64)
    for _ in range(20):
        moved = flat + rng.choice([-radius, radius], flat.size)
        coefs, intercepts = net.unpack(moved)
        out = net.predict(coefs, intercepts, X)
        grad = np.empty_like(moved)
        net.data_loss_grad(moved, grad, X, Y, None, ws)
        largest = max(largest, np.abs(out).max(), np.abs(grad).max())
    y_max = np.abs(Y).max()
    assert not net.finite_within(flat, radius, x_max, y_max, 0.0, largest)
    assert net.finite_within(flat, radius, x_max, y_max, 0.0, 1e300)


def _digits():
    X, y = load_digits(return_X_y=True)
    return X[:300] / 16.0, y[:300]


def _fit(monkeypatch, copies, force_copy=False, est=None, dtype=np.float64,
         **params):
    original = training.EpochCheckpoint.capture

    def capture(self, record, flat, trainer, weights=True):
        copies.append(weights)
        return original(self, record, flat, trainer, weights or force_copy)

    monkeypatch.setattr(training.EpochCheckpoint, "capture", capture)
    # a network of this size keeps the copy (the bound would cost more)
    monkeypatch.setattr(trainer_module, "BOUNDED_MIN_PARAMS", 1 << 14)
    if est is None:
        est = BackpropMLPClassifier(hidden_layer_sizes=(256,), batch_size=50,
                                    random_state=0)
    try:
        with pytest.warns(ConvergenceWarning) as caught:
            X, y = _digits()
            est.set_params(**params).fit(X.astype(dtype), y)
        return est, [str(w.message) for w in caught]
    finally:
        monkeypatch.undo()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_an_epoch_that_cannot_diverge_keeps_no_copy_and_the_same_results(
        monkeypatch, dtype):
    assert Network([64, 256, 10], "relu", "log_loss").n_params >= 1 << 14
    copies, forced = [], []
    est, _ = _fit(monkeypatch, copies, dtype=dtype, max_iter=5)
    ref, _ = _fit(monkeypatch, forced, force_copy=True, dtype=dtype, max_iter=5)
    assert copies == [False] * 5
    assert est.loss_curve_ == ref.loss_curve_
    for a, b in zip(est.coefs_ + est.intercepts_, ref.coefs_ + ref.intercepts_,
                    strict=True):
        assert_array_equal(a, b)


def test_a_diverging_epoch_of_the_same_network_is_copied_and_rolled_back(
        monkeypatch):
    est, _ = _fit(monkeypatch, [], max_iter=2)
    before = [c.copy() for c in est.coefs_ + est.intercepts_]
    copies = []
    est, messages = _fit(monkeypatch, copies, est=est, warm_start=True,
                         max_iter=20, learning_rate_init=1e200)
    assert copies and all(copies)
    assert any("Training diverged" in m for m in messages)
    assert est.n_iter_ < 20 and len(est.loss_curve_) == 2
    for a, b in zip(est.coefs_ + est.intercepts_, before, strict=True):
        assert_array_equal(a, b)


@pytest.mark.parametrize("option", [
    dict(weight_decay=0.01), dict(lr_factors=[(slice(0, 1), 6.0)]),
    dict(schedule="cosine"), dict(warmup=0.1), dict(decay_schedule="flat_cos"),
])
def test_travel_bound_is_infinite_for_the_steps_it_does_not_cover(option):
    """The bound is proved for scikit-learn's Adam step: weight decay,
    per-parameter factors (a factor of 6 moves a parameter 6 times as far)
    and schedules keep the per-epoch copy."""
    assert np.isfinite(Adam(3, np.float64).travel_bound(5, 1.0))
    assert Adam(3, np.float64, **option).travel_bound(5, 1.0) == np.inf
