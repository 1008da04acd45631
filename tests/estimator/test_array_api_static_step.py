"""The shape-static training step on torch (``skbackprop._engine.captured``):
the step whose rows and scalars come from device tables read at a device
counter, captured as a CUDA graph on a GPU.

On torch's CPU tensors (``SKBACKPROP_CAPTURE=on``: the step runs
uncaptured) it must give the old array-API step's fit bit for bit, and so
the numpy engine's to rounding, for every optimizer it serves, with sample
weights (a batch of weight zero skipped), the short last batch, dropout,
early stopping, ``partial_fit`` and a divergence; and nothing in the step
may reach the host.  On CUDA (the default switch captures the step) the
fits must equal the numpy engine's within the array-API tests' bound; those
tests skip without a GPU.  Every test checks that the static step ran.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import config_context
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning

from skbackprop import BackpropMLPClassifier, BackpropMLPRegressor
from skbackprop._array_api import SUPPORTED
from skbackprop._engine import captured

if not SUPPORTED:
    pytest.skip("array API support needs scikit-learn >= 1.9",
                allow_module_level=True)
torch = pytest.importorskip("torch")

pytestmark = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning"
)

X_ALL, Y_ALL = load_digits(return_X_y=True)
X_ALL = X_ALL / 16.0
X_NP, Y_NP = X_ALL[:500], Y_ALL[:500]  # batches of 64: a short last one of 52
SOLVERS = {
    "adam": dict(solver="adam"),
    "sgd-nesterov": dict(solver="sgd", learning_rate_init=0.05),
    "sgd-momentum": dict(solver="sgd", nesterovs_momentum=False, momentum=0.5,
                         learning_rate="invscaling", learning_rate_init=0.1),
    "sgd-plain": dict(solver="sgd", momentum=0.0, learning_rate_init=0.05),
}


@pytest.fixture
def static_epochs(monkeypatch):
    """The number of epochs the static step trained (it must not be 0:
    else a test compares the old step with itself)."""
    count = [0]
    epoch = captured.StaticStepTrainer.epoch

    def counted(self, *args, **kwargs):
        count[0] += 1
        return epoch(self, *args, **kwargs)

    monkeypatch.setattr(captured.StaticStepTrainer, "epoch", counted)
    return count


def _device(name):
    if name == "cuda" and not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    return name


def _fit(monkeypatch, mode, est, X, y, device="cpu", dtype=torch.float64,
         method="fit", **kwargs):
    """``est`` fitted on ``X``, ``y`` (numpy) as torch tensors on
    ``device`` with ``SKBACKPROP_CAPTURE=mode``."""
    monkeypatch.setenv("SKBACKPROP_CAPTURE", mode)
    kwargs = {k: torch.asarray(v, dtype=dtype, device=device)
              for k, v in kwargs.items()}
    with config_context(array_api_dispatch=True):
        getattr(est, method)(torch.asarray(X, dtype=dtype, device=device),
                             torch.asarray(y, device=device), **kwargs)
    return est


def _host(arrays):
    return [a.cpu().numpy() for a in arrays]


def _assert_same_fit(a, b):
    """Bit for bit: weights, losses, counters and the optimizer's state."""
    for x, y in zip(_host(a.coefs_ + a.intercepts_), _host(b.coefs_ + b.intercepts_)):
        assert_array_equal(x, y)
    assert a.loss_curve_ == b.loss_curve_
    assert (a.n_iter_, a.t_) == (b.n_iter_, b.t_)
    for name in a._optimizer._arrays:
        assert_array_equal(*_host([getattr(a._optimizer, name),
                                   getattr(b._optimizer, name)]))


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("solver", SOLVERS)
def test_the_static_step_is_the_old_step_bit_for_bit(monkeypatch, static_epochs,
                                                     solver, dtype):
    params = dict(hidden_layer_sizes=(16,), max_iter=4, batch_size=64,
                  alpha=1e-3, random_state=0, tol=0.0, **SOLVERS[solver])
    old = _fit(monkeypatch, "off", BackpropMLPClassifier(**params), X_NP, Y_NP,
               dtype=dtype)
    assert static_epochs[0] == 0
    new = _fit(monkeypatch, "on", BackpropMLPClassifier(**params), X_NP, Y_NP,
               dtype=dtype)
    assert static_epochs[0] == 4
    _assert_same_fit(new, old)


@pytest.mark.parametrize("device,mode", [("cpu", "on"), ("cuda", "auto")])
@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_a_float64_fit_equals_the_numpy_fit(monkeypatch, static_epochs, device,
                                            mode, solver):
    """The array-API tests' bound: 20 epochs on load_digits, 1e-6 (on
    CUDA: captured, and a GPU's products round differently)."""
    params = dict(solver=solver, max_iter=20, random_state=0, tol=0.0,
                  n_iter_no_change=1000, alpha=1e-3)
    ref = BackpropMLPClassifier(**params).fit(X_ALL, Y_ALL)
    est = _fit(monkeypatch, mode, BackpropMLPClassifier(**params), X_ALL, Y_ALL,
               _device(device))
    assert static_epochs[0] == 20
    with config_context(array_api_dispatch=True):
        proba = est.predict_proba(torch.asarray(X_ALL, device=device)).cpu().numpy()
    assert_allclose(proba, ref.predict_proba(X_ALL), rtol=0, atol=1e-6)
    assert_allclose(est.loss_curve_, ref.loss_curve_, rtol=1e-9)
    assert est.n_iter_ == ref.n_iter_ and est.t_ == ref.t_


@pytest.mark.parametrize("shuffle", [False, True])
def test_sample_weights_and_a_batch_of_weight_zero(monkeypatch, static_epochs,
                                                   shuffle):
    """A batch whose weights are all zero is no step (unshuffled, the
    first one); the short last batch is a step of its own shape."""
    weights = np.random.RandomState(0).uniform(0.5, 2.0, X_NP.shape[0])
    weights[:64] = 0.0
    params = dict(hidden_layer_sizes=(12,), max_iter=3, batch_size=64,
                  alpha=1e-3, shuffle=shuffle, random_state=0, tol=0.0)
    ref = BackpropMLPClassifier(**params).fit(X_NP, Y_NP, sample_weight=weights)
    fits = [_fit(monkeypatch, mode, BackpropMLPClassifier(**params), X_NP, Y_NP,
                 sample_weight=weights) for mode in ("off", "on")]
    assert static_epochs[0] == 3
    _assert_same_fit(fits[1], fits[0])
    assert fits[1].t_ == ref.t_  # the rows of the steps taken
    assert_allclose(fits[1].loss_curve_, ref.loss_curve_, rtol=1e-12)


def test_dropout_masks_are_the_numpy_engines(monkeypatch, static_epochs):
    params = dict(hidden_layer_sizes=(20, 10), dropout=[0.3, 0.1], max_iter=5,
                  batch_size=64, random_state=0, tol=0.0)
    ref = BackpropMLPClassifier(**params).fit(X_NP, Y_NP)
    fits = [_fit(monkeypatch, mode, BackpropMLPClassifier(**params), X_NP, Y_NP)
            for mode in ("off", "on")]
    assert static_epochs[0] == 5
    _assert_same_fit(fits[1], fits[0])
    for got, want in zip(_host(fits[1].coefs_), ref.coefs_):
        assert_allclose(got, want, rtol=0, atol=1e-12)


def test_the_salted_device_masks_are_numpys():
    """:meth:`DeviceMasks.draw_salted` with 0-d device salts gives the masks
    of :func:`fill_mask` bit for bit."""
    from sklearn.externals.array_api_compat import array_namespace

    from skbackprop._engine.masks import (
        DeviceMasks,
        fill_mask,
        mask_salt,
        row_keys,
        unit_counters,
    )
    from skbackprop._engine.namespace import ArrayNamespace
    from skbackprop._engine.network import Network

    network = Network([64, 30, 10], "relu", "log_loss")
    ns = ArrayNamespace(array_namespace(torch.zeros(1)), "cpu", lambda a: a.numpy())
    masks = DeviceMasks(ns, [30, None])
    keys = row_keys(X_NP[:40])
    salt = mask_salt(7, 3, network.layers[0].number)
    salts = [(torch.asarray(salt >> 32), torch.asarray(salt & 0xFFFFFFFF)), (0, 0)]
    got = masks.draw_salted(masks.halves(keys), salts, [0.25, 0.0], torch.float64)
    want = fill_mask(np.empty((40, 30)), keys, salt, 0.25, unit_counters(30),
                     np.empty(2 * 40 * 30, np.uint64), np.empty(40, np.uint64))
    assert_array_equal(got[0].numpy(), want)
    assert got[1] is None


def test_early_stopping_and_partial_fit(monkeypatch, static_epochs):
    """Validation scores as the old step's; ``partial_fit`` continues the
    optimizer (Adam's step count) across calls."""
    params = dict(hidden_layer_sizes=(12,), early_stopping=True, max_iter=6,
                  batch_size=64, random_state=0, tol=0.0)
    fits = [_fit(monkeypatch, mode, BackpropMLPClassifier(**params), X_NP, Y_NP)
            for mode in ("off", "on")]
    assert fits[1].validation_scores_ == fits[0].validation_scores_
    _assert_same_fit(fits[1], fits[0])
    chunks = []
    for mode in ("off", "on"):
        est = BackpropMLPClassifier(hidden_layer_sizes=(12,), batch_size=64,
                                    random_state=0)
        for start in (0, 250):
            _fit(monkeypatch, mode, est, X_NP[start:start + 250],
                 Y_NP[start:start + 250], method="partial_fit",
                 classes=np.arange(10))
        chunks.append(est)
    assert static_epochs[0] == 6 + 2
    _assert_same_fit(chunks[1], chunks[0])


@pytest.mark.parametrize("loss", ["squared_error", "poisson"])
def test_the_regressors_losses(monkeypatch, static_epochs, loss):
    params = dict(hidden_layer_sizes=(10,), loss=loss, max_iter=3, batch_size=64,
                  alpha=1e-2, random_state=0, tol=0.0)
    target = X_NP[:, 10] * 3.0
    fits = [_fit(monkeypatch, mode, BackpropMLPRegressor(**params), X_NP, target)
            for mode in ("off", "on")]
    assert static_epochs[0] == 3
    _assert_same_fit(fits[1], fits[0])


def test_a_diverging_fit_is_rolled_back_as_before(monkeypatch, static_epochs):
    """The second epoch overflows: rolled back to the first, as before."""
    params = dict(hidden_layer_sizes=(10,), activation="identity", solver="sgd",
                  momentum=0.0, learning_rate_init=0.14, max_iter=10,
                  batch_size=64, random_state=0, tol=0.0)
    target = X_NP[:, 10] * 3.0
    fits = []
    for mode in ("off", "on"):
        with pytest.warns(ConvergenceWarning, match="Training diverged"):
            fits.append(_fit(monkeypatch, mode, BackpropMLPRegressor(**params),
                             X_NP, target))
    assert static_epochs[0] == 2 and fits[1].n_iter_ == 1
    _assert_same_fit(fits[1], fits[0])


def test_the_step_never_reaches_the_host(monkeypatch, static_epochs):
    """Inside a step no tensor becomes a Python value and no host array is
    sent: what a CUDA graph's capture forbids (checked here on CPU)."""
    def refuse(*args, **kwargs):
        raise AssertionError("the step reached the host")

    replayed = captured.StaticStepTrainer._replayed

    def guarded(self, step):
        def run():
            with monkeypatch.context() as m:
                for name in ("item", "tolist", "numpy", "__bool__", "__float__",
                             "__int__", "__index__"):
                    m.setattr(torch.Tensor, name, refuse)
                for name in ("asarray", "as_tensor", "tensor", "from_numpy"):
                    m.setattr(torch, name, refuse)
                step()
        return replayed(self, run)

    monkeypatch.setattr(captured.StaticStepTrainer, "_replayed", guarded)
    params = dict(hidden_layer_sizes=(12,), dropout=[0.2], max_iter=2,
                  batch_size=64, alpha=1e-3, random_state=0, tol=0.0)
    weights = np.linspace(0.5, 1.5, X_NP.shape[0])
    _fit(monkeypatch, "on", BackpropMLPClassifier(**params), X_NP, Y_NP,
         sample_weight=weights)
    assert static_epochs[0] == 2


def test_a_bad_switch_is_refused_and_leaves_the_model(monkeypatch):
    est = _fit(monkeypatch, "on", BackpropMLPClassifier((8,), max_iter=2,
                                                        random_state=0),
               X_NP, Y_NP)
    before = _host(est.coefs_)
    with pytest.raises(ValueError, match="SKBACKPROP_CAPTURE='sometimes'"):
        _fit(monkeypatch, "sometimes", est, X_NP, Y_NP)
    for got, want in zip(_host(est.coefs_), before):
        assert_array_equal(got, want)


class FakeGraphs:
    """torch.cuda's graphs and streams on the CPU, for the bookkeeping of
    :meth:`StaticStepTrainer._replayed`: a capture records the step
    without running it (the state it changes is put back on exit), a
    replay runs it; ``fail`` makes every capture raise."""

    def __init__(self, monkeypatch, fail=False):
        self.trainers, self.fail, fakes = [], fail, self
        replayed = captured.StaticStepTrainer._replayed

        class Graph:
            def __init__(self):
                self.step = fakes.pending

            def replay(self):
                self.step()

        def recording(self, step):
            fakes.trainers.append(self)
            fakes.pending = step
            return replayed(self, step)

        class Stream:
            def wait_stream(self, other):
                pass

        monkeypatch.setattr(captured.StaticStepTrainer, "_replayed", recording)
        monkeypatch.setattr(captured, "static_step_mode", lambda *a: "graph")
        monkeypatch.setattr(torch.cuda, "CUDAGraph", Graph)
        monkeypatch.setattr(torch.cuda, "graph", self.capture)
        monkeypatch.setattr(torch.cuda, "Stream", Stream)
        monkeypatch.setattr(torch.cuda, "current_stream", Stream)
        monkeypatch.setattr(torch.cuda, "stream", lambda s: _Nothing())

    def capture(self, graph):
        if self.fail:
            raise RuntimeError("operation not permitted when stream is capturing")
        return _PutBack(self.trainers[-1])


class _Nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class _PutBack(_Nothing):
    """The trainer's device state as it was on entry, on exit."""

    def __init__(self, trainer):
        self.arrays = [trainer._bound[0], *trainer.optimizer.state_arrays(),
                       trainer.counter, trainer.total]

    def __enter__(self):
        self.saved = [a.clone() for a in self.arrays]
        return self

    def __exit__(self, *exc):
        for a, saved in zip(self.arrays, self.saved):
            a[...] = saved
        return False


@pytest.mark.parametrize("fail", [False, True])
def test_the_graphs_bookkeeping(monkeypatch, static_epochs, fail):
    """Two eager steps of each shape, one capture, then replays: the fit
    of the step run eagerly, bit for bit.  A capture that fails leaves the
    step eager (the same fit), the error kept."""
    params = dict(hidden_layer_sizes=(12,), max_iter=4, batch_size=64,
                  alpha=1e-3, random_state=0, tol=0.0)
    eager = _fit(monkeypatch, "eager", BackpropMLPClassifier(**params), X_NP, Y_NP)
    fakes = FakeGraphs(monkeypatch, fail)
    graphed = _fit(monkeypatch, "on", BackpropMLPClassifier(**params), X_NP, Y_NP)
    assert static_epochs[0] == 8
    _assert_same_fit(graphed, eager)
    (trainer,) = set(fakes.trainers)
    assert trainer.graphs
    full_steps, short_steps = 4 * (X_NP.shape[0] // 64), 4
    warmups = 2 * captured.WARMUP_STEPS
    if fail:
        assert trainer.replays == 0
        assert "stream is capturing" in str(trainer.capture_error)
    else:
        assert trainer.replays == full_steps + short_steps - warmups
        assert trainer.capture_error is None
