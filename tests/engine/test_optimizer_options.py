"""The optimizers' options beyond scikit-learn: decoupled weight decay
(AdamW), learning-rate schedules, per-parameter learning-rate and decay
factors -- each against an independent formula, the compiled epoch and
the numba kernels on them, and their persisted state."""

import numpy as np
import pytest

from skbackprop._engine import kernels as _kernels
from skbackprop._engine import schedule_factor
from skbackprop._engine.network import Network
from skbackprop._engine.optimizers import (
    SGD,
    Adam,
    lr_factor_vector,
    optimizer_from_state,
)
from skbackprop._engine.trainer import TinyTrainer, Trainer, make_trainer

N = 7


def _gradients(steps, seed=0):
    return np.random.RandomState(seed).standard_normal((steps, N))


def _adamw_reference(p, grads, lr, wd, b1=0.9, b2=0.999, eps=1e-8,
                     factors=None):
    """AdamW as Loshchilov & Hutter (and PyTorch's ``AdamW``) write it,
    the decay ``p * (1 - lr * wd)`` first, on scikit-learn's Adam (the bias
    corrections folded into the step size, ``epsilon`` added to the
    uncorrected root); ``lr`` a function of the step (0-based)."""
    p, m, v = p.copy(), np.zeros(N), np.zeros(N)
    f = np.ones(N) if factors is None else factors
    for t, g in enumerate(grads, 1):
        rate = lr(t - 1) * f
        p = p * (1 - rate * wd)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        step = rate * np.sqrt(1 - b2**t) / (1 - b1**t)
        p = p - step * m / (np.sqrt(v) + eps)
    return p


def _run(opt, p, grads, l2=0.0, n_coef=0):
    p = p.copy()
    for g in grads:
        opt.update(p, g.copy(), l2, n_coef)
    return p


def test_adamw_is_the_papers_step():
    p0, grads = np.linspace(-1, 1, N), _gradients(20)
    opt = Adam(N, np.float64, learning_rate_init=0.01, weight_decay=0.5)
    np.testing.assert_allclose(_run(opt, p0, grads),
                               _adamw_reference(p0, grads, lambda k: 0.01, 0.5),
                               rtol=1e-12)


def test_adamw_with_a_schedule_decays_at_the_scheduled_rate():
    p0, grads = np.linspace(-1, 1, N), _gradients(30)
    opt = Adam(N, np.float64, learning_rate_init=0.02, weight_decay=0.1,
               schedule="cosine", warmup=0.2)
    opt.set_horizon(30)
    expected = _adamw_reference(
        p0, grads, lambda k: 0.02 * schedule_factor("cosine", k, 30, 0.2), 0.1)
    np.testing.assert_allclose(_run(opt, p0, grads), expected, rtol=1e-12)
    assert opt.schedule_step == 30 and opt.t == 30


def test_sgd_weight_decay_is_p_minus_lr_wd_p_before_the_step():
    p0, grads = np.linspace(-1, 1, N), _gradients(10)
    opt = SGD(N, np.float64, learning_rate_init=0.1, momentum=0.9,
              nesterov=False, weight_decay=0.3)
    p, velocity = p0.copy(), np.zeros(N)
    for g in grads:
        p = p - 0.1 * 0.3 * p
        velocity = 0.9 * velocity - 0.1 * g
        p = p + velocity
    np.testing.assert_allclose(_run(opt, p0, grads), p, rtol=1e-12)


def test_the_l2_gradient_is_taken_before_the_decay():
    # alpha's gradient at the weights the step starts from, decay after it
    p0, g = np.linspace(-1, 1, N), _gradients(1)[0]
    opt = SGD(N, np.float64, learning_rate_init=0.1, momentum=0.0,
              weight_decay=0.2)
    p = _run(opt, p0, [g], l2=0.5, n_coef=4)
    full = g.copy()
    full[:4] += 0.5 * p0[:4]
    np.testing.assert_allclose(p, p0 * (1 - 0.1 * 0.2) - 0.1 * full, rtol=1e-14)


@pytest.mark.parametrize("make", [
    lambda: Adam(N, np.float64, learning_rate_init=0.01),
    lambda: SGD(N, np.float64, learning_rate_init=0.05),
    lambda: SGD(N, np.float64, learning_rate_init=0.05,
                lr_schedule="invscaling"),
], ids=["adam", "sgd", "sgd-invscaling"])
def test_a_schedule_multiplies_each_steps_rate(make):
    """A scheduled optimizer steps as a plain one whose rate is set to
    ``rate * factor(k)`` before step ``k``: bit for bit."""
    p0, grads = np.linspace(-1, 1, N), _gradients(12)
    scheduled, plain = make(), make()
    scheduled.schedule = "coslog4"
    scheduled.set_horizon(12)
    p_s, p_p = p0.copy(), p0.copy()
    for k, g in enumerate(grads):
        factor = schedule_factor("coslog4", k, 12)
        if plain.kind == "Adam":
            plain.learning_rate_init = 0.01 * factor
        scheduled.update(p_s, g.copy())
        rate = plain.learning_rate
        if plain.kind == "SGD":
            plain.learning_rate = rate * factor
        plain.update(p_p, g.copy())
        if plain.kind == "SGD":
            plain.learning_rate = rate
            plain.iteration_ends(k + 1)
            scheduled.iteration_ends(k + 1)
        np.testing.assert_array_equal(p_s, p_p)


def test_per_parameter_factors_are_per_parameter_learning_rates():
    p0, grads = np.linspace(-1, 1, N), _gradients(15)
    factors = lr_factor_vector(N, [(slice(0, 3), 0.25), (slice(5, 7), 4.0)])
    np.testing.assert_array_equal(factors, [0.25] * 3 + [1.0] * 2 + [4.0] * 2)
    opt = Adam(N, np.float64, learning_rate_init=0.01, weight_decay=0.1,
               lr_factors=factors)
    expected = _adamw_reference(p0, grads, lambda k: 0.01, 0.1, factors=factors)
    np.testing.assert_allclose(_run(opt, p0, grads), expected, rtol=1e-12)


def test_a_zero_factor_freezes_its_parameters_exactly():
    p0, grads = np.linspace(-1, 1, N), _gradients(5)
    for make in (Adam, SGD):
        opt = make(N, np.float64, weight_decay=0.1,
                   lr_factors=[(slice(2, 4), 0.0)])
        p = _run(opt, p0, grads)
        np.testing.assert_array_equal(p[2:4], p0[2:4])
        assert (p[:2] != p0[:2]).all()


def test_decay_factors_and_schedule_scale_the_decay_only():
    # biases undecayed, the decay on RealMLP's 'flat_cos'; no gradient
    p0 = np.ones(N)
    opt = SGD(N, np.float64, learning_rate_init=0.1, momentum=0.0,
              weight_decay=0.5, decay_schedule="flat_cos",
              decay_factors=[(slice(4, N), 0.0)])
    opt.set_horizon(4)
    p = _run(opt, p0, np.zeros((4, N)))
    shrink = np.prod([1 - 0.05 * schedule_factor("flat_cos", k, 4)
                      for k in range(4)])
    np.testing.assert_allclose(p[:4], shrink, rtol=1e-14)
    np.testing.assert_array_equal(p[4:], 1.0)


def test_factor_vectors_are_checked():
    with pytest.raises(ValueError, match="one factor per parameter \\(7\\)"):
        lr_factor_vector(N, np.ones(3))
    for bad in (-1.0, np.nan):
        with pytest.raises(ValueError, match="finite and non-negative"):
            lr_factor_vector(N, [(slice(0, 2), bad)])
    with pytest.raises(ValueError, match="Unknown learning-rate schedule"):
        Adam(N, np.float64, schedule="cos")


def test_options_off_keep_the_state_of_a_model_saved_before_them():
    opt = Adam(N, np.float64)
    state = opt.copy_state()
    for name in ("weight_decay", "schedule", "warmup", "decay_schedule",
                 "horizon", "schedule_step", "lr_factors", "decay_factors"):
        del state[name]
    loaded = optimizer_from_state(dict(state, kind="Adam"), N)
    assert loaded.plain and not loaded.counts_steps
    p0, grads = np.linspace(-1, 1, N), _gradients(3)
    np.testing.assert_array_equal(_run(loaded, p0, grads), _run(opt, p0, grads))


def test_a_loaded_state_with_impossible_options_is_refused():
    state = Adam(N, np.float64, schedule="cosine").get_state()
    with pytest.raises(ValueError, match="Unknown"):
        optimizer_from_state(dict(state, schedule="nope"), N)
    with pytest.raises(ValueError, match="lr_factors is not a float vector"):
        optimizer_from_state(dict(state, lr_factors="x"), N)
    with pytest.raises(ValueError, match="one factor per parameter"):
        optimizer_from_state(dict(state, lr_factors=np.ones(3)), N)


# ----------------------------------------------------------------------
# the compiled epoch of tiny networks: schedules in its per-batch settings,
# the other options on the numpy path
def _tiny():
    rng = np.random.RandomState(0)
    net = Network([3, 5, 2], "tanh", "log_loss")
    X = rng.standard_normal((64, 3))
    Y = np.eye(2, dtype=np.uint8)[rng.randint(0, 2, 64)]
    return net, X, Y, net.init_params(rng)


@pytest.mark.parametrize("kind", ["adam", "sgd"])
def test_the_compiled_epoch_follows_a_schedule(monkeypatch, kind):
    compiled_epoch = pytest.importorskip("skbackprop._engine.compiled_epoch")
    net, X, Y, start = _tiny()
    results = []
    for make in (Trainer, TinyTrainer):
        opt = (Adam(net.n_params, np.float64, learning_rate_init=0.05,
                    schedule="cosine", warmup=0.1) if kind == "adam" else
               SGD(net.n_params, np.float64, learning_rate_init=0.05,
                   schedule="coslog4"))
        opt.set_horizon(3 * 8)
        args = (compiled_epoch.tiny_epoch,) if make is TinyTrainer else ()
        trainer, params = make(net, opt, 8, *args), start.copy()
        for _ in range(3):
            trainer.epoch(params, trainer.prepare(X, False), Y, None, None, 8,
                          0.0)
        results.append((params, opt.learning_rate, opt.schedule_step))
    (p0, lr0, s0), (p1, lr1, s1) = results
    np.testing.assert_allclose(p1, p0, rtol=1e-10, atol=1e-12)
    assert s0 == s1 == 24 and lr1 == pytest.approx(lr0, rel=1e-14)


def test_weight_decay_and_factors_train_on_the_numpy_path(monkeypatch):
    monkeypatch.setattr(_kernels, "TINY_MIN_BATCHES", 0)
    net = Network([3, 4, 2], "tanh", "log_loss")
    n = net.n_params
    plain = make_trainer(net, Adam(n, np.float64, schedule="cosine"), 16, 10**6)
    decayed = make_trainer(net, Adam(n, np.float64, weight_decay=0.1), 16, 10**6)
    factored = make_trainer(net, SGD(n, np.float64, lr_factors=np.ones(n)), 16,
                            10**6)
    if _kernels.tiny_epoch_loop(net, 16, 10**6) is not None:
        assert type(plain) is TinyTrainer
    assert type(decayed) is Trainer and type(factored) is Trainer


def test_numba_kernels_step_with_the_options_as_numpy(monkeypatch):
    pytest.importorskip("numba")
    monkeypatch.setattr(_kernels, "disabled", False)
    numba_kernels = _kernels.NumbaKernels()
    p0, grads = np.linspace(-1, 1, N), _gradients(6)
    out = []
    for kernels in (None, numba_kernels):
        opt = Adam(N, np.float64, weight_decay=0.1, schedule="linear",
                   lr_factors=[(slice(0, 2), 3.0)])
        opt.set_horizon(6)
        p = p0.copy()
        for g in grads:
            opt.update(p, g.copy(), 0.01, 4, kernels)
        out.append(p)
    np.testing.assert_array_equal(out[0], out[1])
