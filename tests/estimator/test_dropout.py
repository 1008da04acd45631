"""Dropout: seeded masks that are a function of the row, their statistics,
prediction without dropout, and dropout with every other feature."""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from helpers.digits_fits import (
    EXTRAS,
    X_DIG,
    Y_DIG,
    X,
    Y,
    _assert_same_fit,
    _forward,
    _gradcheck_data,
    _params,
)
from numpy.testing import assert_allclose, assert_array_equal
from skb_test_helpers import fit_quietly
from skb_test_helpers import fit_quietly as _fit
from sklearn import config_context
from sklearn.datasets import load_digits
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits

from skbackprop import BackpropMLPClassifier, BackpropMLPRegressor, gradcheck
from skbackprop import _training as training
from skbackprop._engine import ArrayNamespace, Network
from skbackprop._engine.masks import DeviceMasks, fill_mask, row_keys, unit_counters


def _masks(rng, n, units, p):
    return [None if q == 0 else (rng.rand(n, u) >= q) / (1 - q)
            for u, q in zip(units, p)]


@pytest.mark.parametrize(
    "activation",
    ["identity", "logistic", "tanh", "elu", "softplus", "gelu",
     ["logistic", "softplus", "gelu"], ["softplus", "identity", "tanh"]],
    ids=str,
)
@pytest.mark.parametrize(
    "loss", ["log_loss", "binary_log_loss", "squared_error", "poisson"]
)
def test_gradcheck_with_a_fixed_dropout_mask(activation, loss):
    rng, X_, Y_ = _gradcheck_data(loss)
    sw = rng.uniform(0.5, 2.0, X_.shape[0])
    masks = _masks(rng, X_.shape[0], (6, 5, 4), (0.5, 0.0, 0.3))
    err = gradcheck(X_, Y_, (6, 5, 4), activation, loss, alpha=0.1,
                    sample_weight=sw, dropout_mask=masks)
    assert err < 1e-6


def test_the_mask_changes_the_gradient_and_a_mask_of_ones_does_not():
    rng, X_, Y_ = _gradcheck_data("log_loss")
    units, acts = (6, 5), ["logistic", "tanh"]
    _, plain, _ = gradcheck(X_, Y_, units, acts, "log_loss", return_gradients=True)
    ones = [np.ones((X_.shape[0], u)) for u in units]
    _, with_ones, _ = gradcheck(X_, Y_, units, acts, "log_loss",
                                dropout_mask=ones, return_gradients=True)
    assert_array_equal(with_ones, plain)
    masks = _masks(rng, X_.shape[0], units, (0.5, 0.5))
    err, dropped, _ = gradcheck(X_, Y_, units, acts, "log_loss",
                                dropout_mask=masks, return_gradients=True)
    assert err < 1e-6
    assert np.abs(dropped - plain).max() > 1e-3


def test_gradcheck_rejects_masks_of_the_wrong_shape():
    _, X_, Y_ = _gradcheck_data("log_loss")
    with pytest.raises(ValueError, match="2 entries for 1 hidden"):
        gradcheck(X_, Y_, (4,), "tanh", "log_loss", dropout_mask=[None, None])
    with pytest.raises(ValueError, match=r"dropout_mask\[0\] has shape"):
        gradcheck(X_, Y_, (4,), "tanh", "log_loss", dropout_mask=[np.ones((3, 4))])
    with pytest.raises(ValueError, match="one name per hidden layer"):
        gradcheck(X_, Y_, (4, 3), ["tanh"], "log_loss")


# ----------------------------------------------------------------------
# dropout
def test_without_dropout_no_seed_is_derived(monkeypatch):
    """Rates of 0 (a float or a list) derive no mask seed and draw
    nothing: the fits are the default fit, bit for bit."""
    def refuse(*args):
        raise AssertionError("a mask seed was derived")

    monkeypatch.setattr(training, "dropout_seed", refuse)
    base = dict(hidden_layer_sizes=(10, 6), max_iter=3, random_state=0,
                early_stopping=True)
    fits = [_fit(BackpropMLPClassifier(**base, **extra), X, Y)
            for extra in ({}, dict(dropout=0.0), dict(dropout=[0.0, 0.0]))]
    _assert_same_fit(fits[0], fits[1])
    _assert_same_fit(fits[0], fits[2])
    assert fits[0].validation_scores_ == fits[2].validation_scores_


def test_dropout_takes_nothing_from_the_random_state():
    """The mask seed is a hash of the RandomState's state, which it does not
    advance: the initial weights, the validation split and
    every shuffle are those of the fit without dropout."""
    states = []
    for p in (0.0, 0.5):
        rs = np.random.RandomState(0)
        _fit(BackpropMLPClassifier(hidden_layer_sizes=(10,), dropout=p,
                                   early_stopping=True, max_iter=4,
                                   n_iter_no_change=100, random_state=rs), X, Y)
        states.append(rs.get_state(legacy=False)["state"])
    assert_array_equal(states[0]["key"], states[1]["key"])
    assert states[0]["pos"] == states[1]["pos"]


def test_seeded_dropout_fits_are_identical_and_the_seed_matters():
    def fit(seed, p=0.3):
        return _fit(BackpropMLPClassifier(hidden_layer_sizes=(16, 8), dropout=p,
                                          max_iter=4, random_state=seed), X, Y)

    _assert_same_fit(fit(0), fit(0))
    assert fit(0).loss_curve_ != fit(1).loss_curve_
    assert fit(0).loss_curve_ != fit(0, p=0.0).loss_curve_


def test_prediction_is_deterministic_and_free_of_dropout():
    est = _fit(BackpropMLPClassifier(hidden_layer_sizes=(16, 8), dropout=0.5,
                                     activation=["logistic", "relu"], max_iter=5,
                                     random_state=0), X, Y)
    proba = est.predict_proba(X)
    assert_array_equal(est.predict_proba(X), proba)
    assert_allclose(proba, _forward(est, X), rtol=1e-12)
    off = pickle.loads(pickle.dumps(est)).set_params(dropout=0.0)
    assert_array_equal(off.predict_proba(X), proba)
    assert_array_equal(est.predict(X), est.classes_[proba.argmax(1)])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_masks_keep_one_minus_p_scaled_by_its_inverse(dtype):
    net = Network([5, 400, 300, 2], "relu", "log_loss", dtype)
    ws = net.workspace(250, dropout=[0.25, 0.0])
    assert ws.layers[1].mask_store is None and ws.layers[1].dropped_store is None
    keys = row_keys(np.random.RandomState(0).rand(200, 5))
    ws.draw_masks(keys, seed=7, epoch=0)
    m = ws.layers[0].mask_store[:200]
    assert m.dtype == dtype
    assert set(np.unique(m)) == {0.0, dtype(1 / 0.75)}
    dropped = np.mean(m == 0)
    assert abs(dropped - 0.25) < 4 * np.sqrt(0.25 * 0.75 / m.size)
    assert abs(m.mean() - 1.0) < 0.01  # inverted dropout: expectation kept


def _keep(ws, keys, seed, epoch, n):
    """The keep indicators of every masked layer, side by side."""
    ws.draw_masks(keys, seed, epoch)
    return [buf.mask_store[:n] > 0 for buf in ws.layers if buf.mask_store is not None]


def test_mask_statistics_rows_units_epochs_layers():
    """Over many rows and units the keep rate is 1 - p; keep indicators are
    uncorrelated across epochs, layers, seeds, neighbouring units and rows
    with nearby values (a simple check: correlations within 5 sigma)."""
    n, units, p = 1000, 300, 0.3
    net = Network([4, units, units, 1], "relu", "squared_error")
    ws = net.workspace(n, dropout=[p, p])
    X = np.zeros((n, 4))
    X[:, 0] = np.arange(n)  # rows one apart in a single feature
    keys = row_keys(X)
    a1, a2 = _keep(ws, keys, 3, 0, n)
    b1, _ = _keep(ws, keys, 3, 1, n)
    c1, _ = _keep(ws, keys, 4, 0, n)
    assert abs(a1.mean() - (1 - p)) < 5 * np.sqrt(p * (1 - p) / a1.size)
    assert abs(a2.mean() - (1 - p)) < 5 * np.sqrt(p * (1 - p) / a2.size)
    bound = 5 / np.sqrt(a1.size)

    def corr(u, v):
        return np.corrcoef(u.ravel(), v.ravel())[0, 1]

    for other in (a2, b1, c1):  # another layer, epoch, seed
        assert abs(corr(a1, other)) < bound
    assert abs(corr(a1[:, 1:], a1[:, :-1])) < bound  # neighbouring units
    assert abs(corr(a1[1:], a1[:-1])) < bound  # neighbouring rows
    # per-unit and per-row keep rates spread as independent coin flips
    assert np.std(a1.mean(axis=0)) < 1.5 * np.sqrt(p * (1 - p) / n)
    assert np.std(a1.mean(axis=1)) < 1.5 * np.sqrt(p * (1 - p) / units)


def _odd_csr(A):
    """``A`` as a non-canonical CSR matrix: each row's entries in reverse
    column order, each value stored as two halves, plus an explicit zero."""
    data, indices, indptr = [], [], [0]
    for row in A:
        cols = np.flatnonzero(row)[::-1]
        for j in cols:
            data += [row[j] / 2, row[j] / 2]
            indices += [j, j]
        data.append(0.0)
        indices.append(0)
        indptr.append(len(data))
    return sp.csr_matrix((data, indices, indptr), shape=A.shape)


def test_a_mask_is_a_function_of_the_row_not_its_position():
    """Permuting the rows permutes their masks; equal rows share a mask
    within an epoch; dense, CSR (any stored order), float32 and float64
    rows of equal values have one key."""
    rng = np.random.RandomState(0)
    X_ = rng.rand(40, 6)
    X_[X_ < 0.4] = 0.0
    X_[7] = X_[3]
    keys = row_keys(X_)
    assert keys.dtype == np.uint64 and keys[7] == keys[3]
    assert len(set(keys.tolist())) == 39
    for same in (sp.csr_matrix(X_), sp.csc_matrix(X_), np.asfortranarray(X_),
                 _odd_csr(X_)):
        assert_array_equal(row_keys(same), keys)
    assert_array_equal(row_keys(X_.astype(np.float32)),
                       row_keys(X_.astype(np.float32).astype(np.float64)))
    net = Network([6, 50, 3], "relu", "log_loss")
    ws = net.workspace(40, dropout=[0.5])
    perm = rng.permutation(40)
    first = _keep(ws, keys, 1, 2, 40)[0].copy()
    assert_array_equal(_keep(ws, keys[perm], 1, 2, 40)[0], first[perm])
    assert_array_equal(first[7], first[3])


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
@pytest.mark.parametrize("Est", [BackpropMLPClassifier, BackpropMLPRegressor])
def test_integer_weights_equal_repeated_rows_with_dropout(Est, sparse):
    """Full batch, shuffled order: a row of weight k is masked as its k
    copies, so the fits agree to rounding (1e-10)."""
    rng = np.random.RandomState(1)
    X_, y_ = X[:60], Y[:60].astype(float) if Est is BackpropMLPRegressor else Y[:60]
    sw = rng.randint(0, 4, len(y_))
    X_rep, y_rep = np.repeat(X_, sw, axis=0), np.repeat(y_, sw)
    order = rng.permutation(len(y_))
    X_w, y_w, sw_w = X_[order], y_[order], sw[order]
    if sparse:
        X_rep, X_w = sp.csr_matrix(X_rep), sp.csr_matrix(X_w)
    # batch_size="auto": min(200, n), the full batch here
    params = dict(hidden_layer_sizes=(20, 10), dropout=[0.3, 0.2], max_iter=15,
                  random_state=0)
    rep = _fit(Est(**params), X_rep, y_rep)
    wtd = _fit(Est(**params), X_w, y_w, sample_weight=sw_w)
    assert_allclose(wtd.loss_curve_, rep.loss_curve_, rtol=1e-10)
    for p, q in zip(_params(wtd), _params(rep), strict=True):
        assert_allclose(p, q, rtol=1e-10, atol=1e-12)
    plain = _fit(Est(**{**params, "dropout": 0.0}), X_w, y_w, sample_weight=sw_w)
    assert not np.allclose(plain.coefs_[0], wtd.coefs_[0])  # dropout acted


def test_mask_epochs_continue_across_partial_fit_and_warm_start(monkeypatch):
    """The masks' epoch counter is the number of epochs trained so far
    (``len(loss_curve_)``): partial_fit calls, which may derive the same
    seed from an integer random_state, never repeat an epoch's masks."""
    from skbackprop._engine.network import Workspace

    calls = []
    draw = Workspace.draw_masks

    def spy(self, keys, seed, epoch):
        calls.append((seed, epoch))
        return draw(self, keys, seed, epoch)

    monkeypatch.setattr(Workspace, "draw_masks", spy)
    est = BackpropMLPClassifier(**EXTRAS, batch_size=len(Y))
    for _ in range(3):
        est.partial_fit(X, Y, classes=np.unique(Y))
    assert [e for _, e in calls] == [0, 1, 2]
    assert calls[1][0] == calls[2][0]  # same seed, other epoch
    calls.clear()
    warm = BackpropMLPClassifier(warm_start=True, max_iter=2, batch_size=len(Y),
                                 **EXTRAS)
    _fit(warm, X, Y)
    _fit(warm, X, Y)
    assert [e for _, e in calls] == [0, 1, 2, 3]


def test_dropout_lowers_held_out_log_loss_of_an_overfitting_network():
    """A wide network trained to a near-zero training loss on 300 digits:
    dropout keeps the training loss higher and the held-out log-loss lower
    (0.80-0.83 times the plain network's for seeds 0-2)."""
    X_tr, X_te, y_tr, y_te = train_test_split(
        X_DIG, Y_DIG, train_size=300, random_state=0, stratify=Y_DIG
    )
    losses = {}
    # one BLAS thread: products this small only contend on a shared machine
    with threadpool_limits(limits=1, user_api="blas"):
        for p in (0.0, 0.8):
            est = _fit(BackpropMLPClassifier(
                hidden_layer_sizes=(512,), dropout=p, alpha=0.0, batch_size=50,
                learning_rate_init=2e-3, max_iter=100, tol=0.0,
                n_iter_no_change=1000, random_state=0,
            ), X_tr, y_tr)
            losses[p] = (log_loss(y_tr, est.predict_proba(X_tr)),
                         log_loss(y_te, est.predict_proba(X_te)))
    (train_plain, test_plain), (train_drop, test_drop) = losses[0.0], losses[0.8]
    assert train_plain < 0.005  # it has memorised the training set
    assert train_drop > 2 * train_plain
    assert test_drop < 0.92 * test_plain  # 0.190 vs 0.229 when written


def test_partial_fit_and_warm_start_with_dropout():
    pf = [BackpropMLPClassifier(**EXTRAS) for _ in range(2)]
    for est in pf:
        for _ in range(3):
            est.partial_fit(X, Y, classes=np.unique(Y))
    _assert_same_fit(*pf)
    assert len(pf[0].loss_curve_) == 3
    warm = _fit(BackpropMLPClassifier(warm_start=True, max_iter=3, **EXTRAS), X, Y)
    first = list(warm.loss_curve_)
    _fit(warm, X, Y)
    assert warm.loss_curve_[:3] == first and len(warm.loss_curve_) == 6


def test_sample_weight_class_weight_float32_and_sparse_with_dropout():
    sw = np.random.RandomState(0).uniform(0.5, 2.0, len(Y))
    est = _fit(BackpropMLPClassifier(class_weight="balanced", max_iter=4, **EXTRAS),
               X.astype(np.float32), Y, sample_weight=sw)
    assert all(c.dtype == np.float32 for c in est.coefs_)
    assert np.isfinite(est.loss_curve_).all()
    dense = _fit(BackpropMLPClassifier(max_iter=4, **EXTRAS), X, Y, sample_weight=sw)
    sparse = _fit(BackpropMLPClassifier(max_iter=4, **EXTRAS), sp.csr_matrix(X), Y,
                  sample_weight=sw)
    assert_allclose(sparse.loss_curve_, dense.loss_curve_, rtol=1e-10)
    for p, q in zip(_params(sparse), _params(dense)):
        assert_allclose(p, q, rtol=1e-9, atol=1e-12)


def test_callbacks_see_every_epoch_with_dropout():
    pytest.importorskip("sklearn.callback")

    class Count:
        def __init__(self):
            self.ends = 0

        def setup(self, estimator, context):
            pass

        def teardown(self, estimator, context):
            pass

        def on_fit_task_begin(self, estimator, context, **kwargs):
            pass

        def on_fit_task_end(self, estimator, context, **kwargs):
            self.ends += context.task_name == "epoch"
            return False

    counter = Count()
    est = BackpropMLPClassifier(max_iter=4, **EXTRAS).set_callbacks(counter)
    _fit(est, X, Y)
    assert counter.ends == est.n_iter_ == 4


xp = pytest.importorskip("array_api_strict")


def _ns():
    return ArrayNamespace(xp, xp.Device("CPU_DEVICE"), np.asarray)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_device_masks_equal_numpys_bit_for_bit(p, dtype):
    rng = np.random.RandomState(0)
    keys = row_keys(rng.randn(300, 7))
    widths = [33, None, 5]
    masks = DeviceMasks(_ns(), widths)
    device = masks.draw(masks.halves(keys), 123456789123, 4, [p, 0.0, p],
                        [1, 2, 3], getattr(xp, np.dtype(dtype).name))
    assert device[1] is None
    for number, (width, mask) in enumerate(zip(widths, device), 1):
        if width is None:
            continue
        expected = np.empty((300, width), dtype)
        fill_mask(expected, keys, _salt(number), p, unit_counters(width),
                  np.empty(2 * 300 * width, np.uint64), np.empty(300, np.uint64))
        got = np.asarray(mask)
        assert got.dtype == dtype
        assert_array_equal(got, expected)
        assert 0 < (got == 0).mean() < 1  # both kept and dropped entries


def _salt(number):
    from skbackprop._engine.masks import mask_salt

    return mask_salt(123456789123, 4, number)


def _data(n=300):
    X, y = load_digits(return_X_y=True)
    return X[:n] / 16.0, y[:n]


@pytest.mark.parametrize("Est", [BackpropMLPClassifier, BackpropMLPRegressor])
def test_fit_with_dropout_equals_the_numpy_fit(Est):
    X, y = _data()
    target = y if Est is BackpropMLPClassifier else y / 9.0
    sw = np.random.RandomState(1).uniform(0.5, 2.0, len(y))
    params = dict(hidden_layer_sizes=(20, 10), activation=["gelu", "relu"],
                  dropout=[0.3, 0.2], batch_size=32, max_iter=4, alpha=1e-3,
                  random_state=0)
    ref = fit_quietly(Est(**params), X, target, sample_weight=sw)
    dev = Est(**params)
    to = lambda a: xp.asarray(a, device=xp.Device("CPU_DEVICE"))  # noqa: E731
    with config_context(array_api_dispatch=True):
        fit_quietly(dev, to(X),
                    to(target) if Est is BackpropMLPRegressor else target,
                    sample_weight=to(sw))
    assert_allclose(dev.loss_curve_, ref.loss_curve_, rtol=1e-10)
    for a, b in zip(dev.coefs_ + dev.intercepts_, ref.coefs_ + ref.intercepts_):
        assert_allclose(np.asarray(a), b, rtol=1e-9, atol=1e-12)
    # dropout made a difference: the same fit without it differs
    off = fit_quietly(Est(**{**params, "dropout": 0.0}), X, target,
                      sample_weight=sw)
    assert not np.allclose(off.loss_curve_, ref.loss_curve_)
