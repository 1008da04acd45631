"""The compiled epoch's per-step optimizer settings are those of one
``step_settings`` call per batch, bit for bit, however the epochs fall
across the table of Adam's coming steps."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from skb_test_helpers import fit_quietly, register_sine_activation
from sklearn.datasets import load_digits

from skbackprop import BackpropMLPClassifier, BackpropMLPRegressor, gradcheck
from skbackprop._engine import compiled_epoch
from skbackprop._engine import kernels as _kernels
from skbackprop._engine import trainer as trainer_module
from skbackprop._engine.activations import get_activation
from skbackprop._engine.kernels import NumbaKernels, select_kernels
from skbackprop._engine.network import Network
from skbackprop._engine.optimizers import SGD, Adam
from skbackprop._engine.trainer import (
    COMPILED_BATCH_FIELDS,
    TinyTrainer,
    Trainer,
    batch_plan,
)

pytest.importorskip("numba")


@pytest.fixture
def fused(monkeypatch):
    """Switch between the paths: ``fused(True)`` uses the loops at any size."""

    def switch(on):
        monkeypatch.setattr(_kernels, "disabled", not on)
        monkeypatch.setattr(_kernels, "MIN_PARAMS", 0)

    return switch


def _special(rng, shape, dtype):
    """Random values sprinkled with 0, -0, +-inf and NaN."""
    a = rng.standard_normal(shape).astype(dtype)
    flat = a.reshape(-1)
    picks = rng.choice(flat.size, size=5 * 4, replace=False)
    for i, v in zip(picks, [0.0, -0.0, np.inf, -np.inf, np.nan] * 4):
        flat[i] = v
    return a


def _optimizer(kind, n, dtype):
    if kind == "adam":
        return Adam(n, dtype, learning_rate_init=0.01)
    momentum, nesterov = {"sgd": (0.0, False), "momentum": (0.9, False),
                          "nesterov": (0.9, True)}[kind]
    return SGD(n, dtype, learning_rate_init=0.1, momentum=momentum,
               nesterov=nesterov, lr_schedule="invscaling")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kind", ["adam", "sgd", "momentum", "nesterov"])
@pytest.mark.parametrize("l2", [0.0, 1e-2])
def test_fused_optimizer_step_equals_numpy_bitwise(fused, kind, dtype, l2):
    rng = np.random.RandomState(0)
    n, n_coef = 5003, 4000
    start = rng.randn(n).astype(dtype)
    grads = [rng.randn(n).astype(dtype) for _ in range(6)]
    results = []
    for on in (False, True):
        fused(on)
        params, opt = start.copy(), _optimizer(kind, n, dtype)
        kernels = select_kernels(params.size)
        assert isinstance(kernels, NumbaKernels) == on
        for t, g in enumerate(grads):
            opt.update(params, g.copy(), l2, n_coef, kernels=kernels)
            opt.iteration_ends(10 * (t + 1))
        state = getattr(opt, opt._state_name)
        results.append((params, state.copy(), opt.learning_rate))
    (p0, s0, lr0), (p1, s1, lr1) = results
    assert p0.dtype == p1.dtype == dtype
    assert_array_equal(p1, p0)
    assert_array_equal(s1, s0)
    assert lr1 == lr0
    assert not np.array_equal(p0, start)  # the steps did something


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", ["relu", "softmax"])
def test_fused_forward_equals_numpy_bitwise(fused, name, dtype):
    rng = np.random.RandomState(1)
    Z = _special(rng, (37, 11), dtype)
    b = rng.randn(11).astype(dtype)
    act = get_activation(name, output=name == "softmax")
    out = []
    for on in (False, True):
        fused(on)
        z = Z.copy()
        with np.errstate(invalid="ignore"):  # inf - inf in a row's softmax
            select_kernels(10**6).bias_activation(z, b, act)
        out.append(z)
    assert_array_equal(out[1], out[0])
    assert np.isnan(out[0]).any() and (out[0] == 0).any()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fused_relu_backward_equals_numpy_bitwise(fused, dtype):
    rng = np.random.RandomState(2)
    A = np.maximum(_special(rng, (29, 13), dtype), 0)
    D = _special(rng, (29, 13), dtype)
    act = get_activation("relu")
    out = []
    for on in (False, True):
        fused(on)
        d = D.copy()
        with np.errstate(invalid="ignore"):  # inf * 0, as numpy's mask gives
            select_kernels(10**6).times_derivative(d, act, A, None)
        out.append(d)
    assert_array_equal(out[1], out[0])
    assert (out[0] == 0).sum() > (D == 0).sum()  # the mask zeroed entries


def _digits(dtype):
    X, y = load_digits(return_X_y=True)
    return (X / 16.0).astype(dtype), y


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "make",
    [
        lambda: BackpropMLPClassifier(
            hidden_layer_sizes=(40, 20), solver="adam", alpha=1e-3
        ),
        lambda: BackpropMLPClassifier(
            hidden_layer_sizes=(40,), solver="sgd", alpha=1e-2,
            learning_rate_init=0.05,
        ),
        lambda: BackpropMLPRegressor(
            hidden_layer_sizes=(30,), solver="adam", alpha=1e-3
        ),
        lambda: BackpropMLPClassifier(
            hidden_layer_sizes=(40, 20), activation=["relu", "logistic"],
            dropout=0.2, alpha=1e-3,
        ),
    ],
    ids=["adam-clf", "sgd-clf", "adam-reg", "adam-dropout-mixed-clf"],
)
def test_whole_fit_is_bitwise_the_same_with_and_without_numba(fused, make, dtype):
    X, y = _digits(dtype)
    sw = np.random.RandomState(0).uniform(0.5, 2.0, len(y))
    models = []
    for on in (False, True):
        fused(on)
        est = make().set_params(max_iter=4, random_state=0)
        target = y.astype(dtype) if "Regressor" in type(est).__name__ else y
        models.append(fit_quietly(est, X, target, sample_weight=sw))
    ours_np, ours_nb = models
    assert ours_np.loss_curve_ == ours_nb.loss_curve_
    for a, b in zip(ours_np.coefs_ + ours_np.intercepts_,
                    ours_nb.coefs_ + ours_nb.intercepts_):
        assert a.dtype == b.dtype == dtype
        assert_array_equal(a, b)
    assert_array_equal(ours_np.predict(X), ours_nb.predict(X))


def test_only_large_networks_use_the_loops(monkeypatch):
    monkeypatch.setattr(_kernels, "_loaded", {})  # not loaded in this process
    small = Network([64, 10, 10], "relu", "log_loss")
    large = Network([784, 256, 10], "relu", "log_loss")
    assert small.n_params < _kernels.MIN_PARAMS <= large.n_params
    assert select_kernels(small.n_params) is _kernels.NUMPY
    assert isinstance(select_kernels(large.n_params), NumbaKernels) == (
        not _kernels.disabled
    )
    # and once they are loaded (they give the same results), any network;
    # a long enough fit of a small network loads them
    assert isinstance(select_kernels(small.n_params), NumbaKernels) == (
        not _kernels.disabled
    )
    monkeypatch.setattr(_kernels, "_loaded", {})
    planned = -(-_kernels.NUMBA_MIN_WORK // small.n_params)  # ceil
    assert select_kernels(small.n_params, planned_batches=planned - 1) is _kernels.NUMPY
    assert isinstance(
        select_kernels(small.n_params, planned_batches=planned), NumbaKernels
    ) == (not _kernels.disabled)


def test_numba_is_looked_for_once_per_process(monkeypatch):
    """Every prediction asks which kernels to use; looking numba up on the
    import path each time cost a one-row predict_proba most of its time."""
    import importlib.util

    monkeypatch.setattr(_kernels, "_loaded", {})
    monkeypatch.setattr(_kernels, "_numba_found", None)
    monkeypatch.setattr(_kernels, "disabled", False)
    calls = []
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name: calls.append(name) or find_spec(name))
    found = [_kernels.numba_available() for _ in range(3)]
    assert calls == ["numba"] and found == [True] * 3


@pytest.mark.slow  # two fresh interpreters
def test_environment_variable_turns_the_loops_off():
    code = (
        "from skbackprop._engine import kernels; "
        "print(kernels.numba_available(), "
        "kernels.select_kernels(10**6).name == 'numba')"
    )
    env = dict(os.environ, SKBACKPROP_NUMBA="0")
    off = subprocess.run([sys.executable, "-c", code], env=env, check=True,
                         capture_output=True, text=True).stdout.split()
    env["SKBACKPROP_NUMBA"] = "1"
    on = subprocess.run([sys.executable, "-c", code], env=env, check=True,
                        capture_output=True, text=True).stdout.split()
    assert off == ["False", "False"]
    assert on == ["True", "True"]


TINY_CASES = [
    ("relu", "binary_log_loss", 1), ("tanh", "log_loss", 3),
    ("logistic", "squared_error", 2), ("identity", "poisson", 2),
    ("leaky_relu", "log_loss", 4), ("elu", "binary_log_loss", 2),
    ("gelu", "squared_error", 1), ("softplus", "poisson", 1),
    ("selu", "log_loss", 3), ("mish", "squared_error", 2),
]


def _tiny_problem(activation, loss, n_out, dtype, rng):
    net = Network([3, 5, 4, n_out], activation, loss, dtype)
    X = rng.standard_normal((40, 3)).astype(dtype)
    if loss == "log_loss":
        Y = np.eye(n_out, dtype=np.uint8)[rng.randint(0, n_out, 40)]
    elif loss == "binary_log_loss":
        Y = (rng.rand(40, n_out) > 0.5).astype(np.uint8)
    else:
        Y = np.abs(rng.standard_normal((40, n_out))).astype(dtype)
    return net, X, Y


@pytest.mark.parametrize("dtype,rtol", [(np.float64, 1e-12), (np.float32, 2e-5)])
@pytest.mark.parametrize("kind", ["adam", "sgd", "momentum", "nesterov"])
@pytest.mark.parametrize("activation,loss,n_out", TINY_CASES)
def test_compiled_tiny_epoch_equals_numpy_step_to_rounding(
    activation, loss, n_out, kind, dtype, rtol
):
    from skbackprop._engine import compiled_epoch

    rng = np.random.RandomState(0)
    net, X, Y = _tiny_problem(activation, loss, n_out, dtype, rng)
    sw = rng.uniform(0.5, 2.0, 40).astype(dtype)
    start = net.init_params(rng)
    results = []
    for make in (Trainer, TinyTrainer):
        params, opt = start.copy(), _optimizer(kind, net.n_params, dtype)
        args = (compiled_epoch.tiny_epoch,) if make is TinyTrainer else ()
        trainer = make(net, opt, 40, *args)
        # one batch: one step of each path from the same point
        loss_sum = trainer.epoch(params, trainer.prepare(X, True), Y, sw, None,
                                 40, 0.05)
        results.append((params, loss_sum, getattr(opt, opt._state_name).copy(),
                        opt.learning_rate))
    (p0, l0, s0, lr0), (p1, l1, s1, lr1) = results
    scale = np.abs(p0).max()
    assert np.abs(p1 - p0).max() <= rtol * scale
    assert abs(l1 - l0) <= rtol * abs(l0)
    assert np.abs(s1 - s0).max() <= rtol * max(np.abs(s0).max(), 1e-30)
    assert lr1 == pytest.approx(lr0, rel=1e-15)
    assert not np.array_equal(p0, start)


@pytest.mark.parametrize("make", [
    lambda: BackpropMLPClassifier(hidden_layer_sizes=(4, 3), batch_size=16,
                                  alpha=1e-3, alpha_scaling="batch"),
    lambda: BackpropMLPClassifier(hidden_layer_sizes=(5,), solver="sgd",
                                  activation="tanh", batch_size=20,
                                  learning_rate_init=0.1, shuffle=False),
    lambda: BackpropMLPRegressor(hidden_layer_sizes=(6,), batch_size=25,
                                 activation="gelu"),
    lambda: BackpropMLPClassifier(hidden_layer_sizes=(4, 3), batch_size=16,
                                  activation=["gelu", "logistic"]),
], ids=["adam-clf", "sgd-clf-noshuffle", "adam-reg", "adam-clf-per-layer"])
def test_whole_fits_through_the_compiled_epoch_track_numpy(monkeypatch, make):
    rng = np.random.RandomState(0)
    X = rng.standard_normal((200, 3))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    sw = rng.uniform(0.5, 2.0, 200)
    fits = []
    for tiny in (False, True):
        monkeypatch.setattr(_kernels, "TINY_MIN_BATCHES", 0 if tiny else 10**9)
        est = make().set_params(max_iter=6, random_state=0)
        target = X[:, 2] if "Regressor" in type(est).__name__ else y
        fits.append(fit_quietly(est, X, target, sample_weight=sw))
    numpy_fit, tiny_fit = fits
    assert np.allclose(tiny_fit.loss_curve_, numpy_fit.loss_curve_, rtol=1e-10)
    assert tiny_fit.t_ == numpy_fit.t_ and tiny_fit.n_iter_ == numpy_fit.n_iter_
    for a, b in zip(tiny_fit.coefs_, numpy_fit.coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    assert tiny_fit._optimizer.learning_rate == pytest.approx(
        numpy_fit._optimizer.learning_rate, rel=1e-14)


def test_dropout_never_takes_the_compiled_epoch(monkeypatch):
    from skbackprop._engine.optimizers import Adam as _Adam
    from skbackprop._engine.trainer import make_trainer

    monkeypatch.setattr(_kernels, "TINY_MIN_BATCHES", 0)
    net = Network([3, 4, 2], "tanh", "log_loss")
    opt = _Adam(net.n_params, np.float64, 0.01)
    plain = make_trainer(net, opt, 16, 10**6)
    dropped = make_trainer(net, opt, 16, 10**6, dropout=(0.2,), seed=0)
    assert type(plain) is TinyTrainer
    assert type(dropped) is Trainer and dropped.workspace.dropping


def test_only_tiny_networks_trained_long_use_the_compiled_epoch():
    from skbackprop._engine.optimizers import Adam as _Adam
    from skbackprop._engine.trainer import make_trainer

    tiny = Network([2, 4, 3, 1], "relu", "binary_log_loss")
    wide = Network([64, 100, 10], "relu", "log_loss")
    opt = _Adam(tiny.n_params, np.float64)
    assert isinstance(make_trainer(tiny, opt, 32, 10**4), TinyTrainer)
    assert not isinstance(make_trainer(tiny, opt, 32, 10), TinyTrainer)
    assert not isinstance(make_trainer(wide, opt, 200, 10**4), TinyTrainer)
    assert not isinstance(make_trainer(tiny, None, 32, 10**4), TinyTrainer)


def test_a_new_activation_needs_only_its_registry_entry(monkeypatch):
    """An activation added to ``ACTIVATIONS`` alone (no number in the
    compiled epoch, no compiled kernel) trains on the numpy path: its
    gradient checks, and a tiny network long enough for the compiled epoch
    takes the numpy trainer instead of failing on the missing code."""
    from skbackprop._engine.optimizers import Adam as _Adam
    from skbackprop._engine.trainer import make_trainer

    register_sine_activation(monkeypatch)
    monkeypatch.setattr(_kernels, "TINY_MIN_BATCHES", 0)
    rng = np.random.RandomState(0)
    X, Y = rng.randn(12, 2), (rng.rand(12, 1) > 0.5).astype(float)
    assert gradcheck(X, Y, (4,), "sine", "binary_log_loss") < 1e-6
    net = Network([2, 4, 1], "sine", "binary_log_loss")
    trainer = make_trainer(net, _Adam(net.n_params, np.float64), 12, 10**4)
    assert type(trainer) is Trainer
    params = net.init_params(rng)
    start = params.copy()
    loss = trainer.epoch(params, trainer.prepare(X, True), Y, None, None, 12, 0.01)
    assert np.isfinite(loss) and not np.array_equal(params, start)
    # the same network with a coded activation does take the compiled epoch
    coded = Network([2, 4, 1], "tanh", "binary_log_loss")
    if _kernels.numba_available():
        assert type(make_trainer(coded, _Adam(coded.n_params, np.float64), 12,
                                 10**4)) is TinyTrainer


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_compiled_column_sum_equals_numpy_bitwise(fused, dtype):
    """Bias gradients: numpy reduces a C-ordered array of two or more
    columns row after row, as the loop does (one column it sums pairwise:
    the loop leaves that case to numpy)."""
    fused(True)
    kernels = select_kernels(10**6)
    rng = np.random.RandomState(3)
    for n, k in [(200, 10), (256, 128), (1, 5), (33, 2), (1000, 1), (7, 300)]:
        A = _special(rng, (n, k), dtype) if n * k >= 20 else rng.randn(n, k)
        A = (A * 10.0 ** rng.uniform(-6, 6, (n, k))).astype(dtype)
        expected, got = np.empty(k, dtype), np.empty(k, dtype)
        with np.errstate(invalid="ignore"):
            np.add.reduce(A, axis=0, out=expected)
            kernels.column_sum(A, got)
        assert_array_equal(got, expected)


def test_adam_rates_and_steps_equal_one_step_at_a_time():
    opt = Adam(3, np.float64, learning_rate_init=3e-3, beta_1=0.8, beta_2=0.995)
    rates, steps = opt.rates_and_steps(1, 3000)
    for t in range(3000):
        settings = opt.step_settings()
        assert (settings[2], opt.learning_rate) == (steps[t], rates[t])


def _settings_by_calls(opt, sizes):
    """The settings rows of epochs of ``sizes`` batches, one call a batch."""
    rows = []
    for size in sizes:
        rows += [opt.step_settings() for _ in range(size)]
    return rows


@pytest.mark.parametrize("make", [
    lambda n: Adam(n, np.float64, learning_rate_init=1e-2),
    lambda n: SGD(n, np.float64, learning_rate_init=0.3, momentum=0.5),
])
def test_epoch_settings_equal_a_call_per_batch(monkeypatch, make):
    monkeypatch.setattr(trainer_module, "ADAM_TABLE_STEPS", 7)  # epochs straddle tables
    net = Network([2, 3, 1], "relu", "squared_error")
    opt, reference = make(net.n_params), make(net.n_params)
    trainer = TinyTrainer(net, opt, 4, compiled_epoch.tiny_epoch)
    sizes = [3, 5, 0, 1, 7, 9, 2]
    expected = _settings_by_calls(reference, sizes)
    got = []
    for size in sizes:
        batches = batch_plan(4 * size, 4, None, None, 0.0, False,
                             COMPILED_BATCH_FIELDS)
        trainer._step_settings(batches)
        got += [tuple(row) for row in batches[opt.kind].tolist()]
    assert got == [tuple(row) for row in expected]
    assert vars(opt).keys() == vars(reference).keys()
    for name, value in vars(reference).items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(getattr(opt, name), value)
        else:
            assert getattr(opt, name) == value, name


ROOT = Path(__file__).resolve().parents[2]


# fits a tiny network long enough for the compiled epoch, and a network large
# enough for the compiled kernels (Adam and SGD steps, bias + relu, relu',
# column sums, softmax's row maximum); prints each loop's numba cache record
_CHILD = r"""
import json, warnings
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from skbackprop import BackpropMLPClassifier
from skbackprop._engine import _numba_kernels as loops, compiled_epoch, kernels
assert kernels.numba_available()
warnings.simplefilter("ignore", ConvergenceWarning)
rng = np.random.RandomState(0)
X, y = rng.randn(200, 4), rng.randint(0, 3, 200)
for solver in ("adam", "sgd"):
    BackpropMLPClassifier(hidden_layer_sizes=(4,), batch_size=10, max_iter=60,
                          solver=solver, random_state=0).fit(X, y)
    BackpropMLPClassifier(hidden_layer_sizes=(1 << 13,), batch_size=50,
                          max_iter=1, solver=solver, random_state=0).fit(X, y)
dispatchers = [compiled_epoch.tiny_epoch, loops.adam_step, loops.sgd_step,
               loops.bias_relu, loops.relu_backward, loops.column_sum,
               loops.bias_sub_rowmax]
print(json.dumps({d.__name__: [len(d.stats.cache_hits), len(d.stats.cache_misses)]
                  for d in dispatchers}))
"""


def _fresh_process():
    env = dict(os.environ, SKBACKPROP_NUMBA="1", PYTHONPATH=str(ROOT))
    env.pop("NUMBA_DISABLE_JIT", None)
    run = subprocess.run([sys.executable, "-c", _CHILD], env=env, cwd=ROOT,
                         check=True, capture_output=True, text=True)
    return json.loads(run.stdout.splitlines()[-1])


@pytest.mark.slow  # fresh interpreters (the first may have to compile)
def test_a_fresh_process_loads_the_compiled_loops_from_disk():
    _fresh_process()  # fills the cache if this checkout's is empty or stale
    records = _fresh_process()
    assert records["tiny_epoch"][0] >= 1, records  # the compiled epoch ran
    for name, (hits, misses) in records.items():
        assert hits >= 1 and misses == 0, (name, records)
