"""The engine's buffers: one shared workspace, the poisoned-workspace debug
mode, and rollback by copy (epoch checkpoints, failed fits)."""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_array_equal
from skb_test_helpers import fit_quietly
from sklearn.datasets import load_digits

from skbackprop import BackpropMLPClassifier, BackpropMLPRegressor, gradcheck
from skbackprop import _training as training
from skbackprop._engine import Network, kernels, numerical_gradient
from skbackprop._engine import trainer as trainer_module


def _digits(n=300):
    X, y = load_digits(return_X_y=True)
    return X[:n] / 16.0, y[:n]


def _state(est):
    return [est.loss_curve_, est.n_iter_, est.t_, *est.coefs_, *est.intercepts_]


def _assert_same_state(a, b):
    for x, y in zip(_state(a), _state(b), strict=True):
        if isinstance(x, np.ndarray):
            assert x.dtype == y.dtype
            assert_array_equal(x, y)
        else:
            assert x == y


CASES = {
    "adam-relu-clf": lambda: BackpropMLPClassifier(
        hidden_layer_sizes=(20, 10), alpha=1e-2, batch_size=32
    ),
    "sgd-gelu-clf": lambda: BackpropMLPClassifier(
        hidden_layer_sizes=(12,), activation="gelu", solver="sgd",
        learning_rate_init=0.05, batch_size=50, shuffle=False,
    ),
    "lbfgs-tanh-reg": lambda: BackpropMLPRegressor(
        hidden_layer_sizes=(8,), activation="tanh", solver="lbfgs", max_iter=15
    ),
    "adam-logistic-reg-es": lambda: BackpropMLPRegressor(
        hidden_layer_sizes=(9,), activation="logistic", early_stopping=True,
        batch_size=40,
    ),
    # small enough for the compiled whole-epoch loop
    "adam-tiny-elu-clf": lambda: BackpropMLPClassifier(
        hidden_layer_sizes=(3,), activation="elu", batch_size=8, alpha=0.1,
    ),
    # dropout (mask buffers) with one activation per hidden layer
    "adam-dropout-mixed-clf": lambda: BackpropMLPClassifier(
        hidden_layer_sizes=(20, 10, 8), activation=["logistic", "gelu", "relu"],
        dropout=[0.3, 0.0, 0.2], batch_size=32,
    ),
    "sgd-dropout-elu-reg-es": lambda: BackpropMLPRegressor(
        hidden_layer_sizes=(12,), activation="elu", dropout=0.2, solver="sgd",
        learning_rate_init=0.01, early_stopping=True, batch_size=50,
    ),
}


@pytest.mark.parametrize("compiled", [False, True], ids=["numpy", "numba"])
@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_poisoned_workspace_fits_equal_normal_fits(monkeypatch, case, dtype, compiled):
    """Every buffer NaN before each batch: a stale read would show."""
    if compiled:
        pytest.importorskip("numba")
        monkeypatch.setattr(kernels, "disabled", False)
        monkeypatch.setattr(kernels, "MIN_PARAMS", 0)
        monkeypatch.setattr(kernels, "TINY_MIN_BATCHES", 0)
    X, y = _digits()
    X = X.astype(dtype)
    sw = np.random.RandomState(0).uniform(0.5, 2.0, len(y))
    target = y.astype(dtype) if "reg" in case else y
    fits = []
    for poison in (False, True):
        monkeypatch.setattr(trainer_module, "DEBUG_POISON", poison)
        est = CASES[case]().set_params(max_iter=4, random_state=0)
        fits.append(fit_quietly(est, X, target, sample_weight=sw))
    _assert_same_state(*fits)
    assert np.isfinite(fits[1].loss_)


def test_poisoned_workspace_fits_sparse_input(monkeypatch):
    X, y = _digits()
    Xs = sp.csc_matrix(X)
    fits = []
    for poison in (False, True):
        monkeypatch.setattr(trainer_module, "DEBUG_POISON", poison)
        est = BackpropMLPClassifier(hidden_layer_sizes=(10,), max_iter=3,
                                    batch_size=64, random_state=0)
        fits.append(fit_quietly(est, Xs, y))
    _assert_same_state(*fits)


def test_poison_mode_exposes_a_stale_read():
    """The debug mode is not vacuous: rows left over from a larger earlier
    batch read as NaN after poisoning, and as finite stale values without."""
    net = Network([5, 4, 2], "tanh", "squared_error")
    rng = np.random.RandomState(0)
    flat = net.init_params(rng)
    X = rng.randn(6, 5)
    for poison in (False, True):
        ws = net.workspace(6, poison=poison)
        net.forward(flat, X, ws)
        if ws.poison:
            ws.poison_all()
        net.forward(flat, X[:4], ws)
        over_read = ws.layers[0].out_store[:6]  # a bug that reads past the batch
        assert np.isfinite(over_read[:4]).all()
        assert np.isnan(over_read[4:]).all() == poison


@pytest.mark.parametrize("activation", ["relu", "gelu", "logistic"])
@pytest.mark.parametrize("loss", ["log_loss", "squared_error", "poisson"])
def test_one_workspace_across_batch_sizes_and_orders(activation, loss):
    """Reusing one workspace for batches of every size, in a random order,
    gives each batch the gradient a fresh workspace gives it."""
    rng = np.random.RandomState(1)
    net = Network([6, 7, 5, 3], activation, loss)
    flat = net.init_params(rng)
    n = 16
    X = rng.randn(n, 6)
    Y = (np.eye(3)[rng.randint(0, 3, n)] if loss == "log_loss"
         else np.abs(rng.randn(n, 3)))
    shared = net.workspace(n)
    g_shared, g_fresh = np.empty_like(flat), np.empty_like(flat)
    for m in rng.permutation(np.arange(1, n + 1)):
        rows = rng.choice(n, size=m, replace=False)
        sw = rng.uniform(0.5, 2.0, m)
        l_shared = net.loss_grad(flat, g_shared, X[rows], Y[rows], sw, 0.1, shared)
        l_fresh = net.loss_grad(flat, g_fresh, X[rows], Y[rows], sw, 0.1,
                                net.workspace(m))
        assert l_shared == l_fresh
        assert_array_equal(g_shared, g_fresh)
    if activation == "relu":
        return  # finite differences straddle its kink
    # and the gradient of the last batch is the true one
    Xb, Yb = X[rows], Y[rows]
    sw_sum = sw.sum()

    def objective(theta):
        return net.loss_grad(theta, np.empty_like(theta), Xb, Yb, sw, 0.1,
                             net.workspace(m))

    net.loss_grad(flat, g_shared, Xb, Yb, sw, 0.1, shared)
    num = numerical_gradient(objective, flat.copy())
    scale = np.maximum(np.maximum(np.abs(num), np.abs(g_shared)), 1e-6)
    assert np.max(np.abs(num - g_shared) / scale) < 1e-6
    assert sw_sum > 0


def test_gradcheck_agrees_with_the_shared_workspace_gradient():
    rng = np.random.RandomState(3)
    X = rng.randn(9, 4)
    Y = (rng.rand(9, 2) > 0.5).astype(float)
    assert gradcheck(X, Y, (5, 3), "elu", "binary_log_loss", alpha=0.3) < 1e-6


def test_epoch_checkpoint_restores_weights_optimizer_and_counters(monkeypatch):
    """An interrupt mid-epoch leaves the model wholly at the last completed
    epoch: weights, optimizer state, loss curve, n_iter_, t_."""
    X, y = _digits(200)
    params = dict(hidden_layer_sizes=(8,), batch_size=50, random_state=0)
    ref = fit_quietly(BackpropMLPClassifier(max_iter=2, **params), X, y)

    calls = {"n": 0}
    original = trainer_module.Trainer.step

    def step(self, *args):
        calls["n"] += 1
        if calls["n"] == 2 * 4 + 3:  # third batch of the third epoch
            raise KeyboardInterrupt
        return original(self, *args)

    monkeypatch.setattr(trainer_module.Trainer, "step", step)
    est = BackpropMLPClassifier(max_iter=10, **params)
    with pytest.warns(UserWarning, match="Training interrupted by user"):
        est.fit(X, y)
    monkeypatch.undo()
    _assert_same_state(est, ref)
    assert est.loss_ == ref.loss_ and est.best_loss_ == ref.best_loss_
    for key, value in ref._optimizer.get_state().items():
        if isinstance(value, np.ndarray):
            assert_array_equal(est._optimizer.get_state()[key], value)
        else:
            assert est._optimizer.get_state()[key] == value
    # a following partial_fit continues exactly like the clean model's
    _assert_same_state(est.partial_fit(X, y), ref.partial_fit(X, y))


def test_rollback_restores_state_that_a_failed_fit_edited_in_place(monkeypatch):
    """The snapshot is a copy: in-place edits of the fitted arrays, lists
    and optimizer by a fit that then fails are undone."""
    X, y = _digits(200)
    est = fit_quietly(BackpropMLPClassifier(hidden_layer_sizes=(8,), max_iter=3,
                                     random_state=0, warm_start=True), X, y)
    before = pickle.dumps(est)
    old_coefs = est.coefs_  # the arrays a careless fit might edit

    def vandal(est_, *args, **kwargs):
        for c in old_coefs:
            c[...] = 0.0
        est_.loss_curve_.append(1e9)
        est_._optimizer.m[...] = np.nan
        est_._label_binarizer.classes_[...] = 0
        raise RuntimeError("failed mid-fit")

    monkeypatch.setattr(training, "train", vandal)
    with pytest.raises(RuntimeError, match="failed mid-fit"):
        est.fit(X, y)
    assert pickle.dumps(est) == before
    assert np.isfinite(est._optimizer.m).all()
