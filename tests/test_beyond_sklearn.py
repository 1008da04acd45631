"""Issue 16: dropout, one activation per hidden layer, and early stopping on
the metric of ``scoring`` -- with every default bit-identical to before.

(The poisoned-workspace fits of ``test_architecture.py``, the numpy/numba
identity of ``test_kernels.py``, ``check_estimator`` in ``test_common.py``
and the ONNX export in ``test_onnx.py`` have cases for them too.)
"""

import pickle
import warnings

import joblib
import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from skb_test_helpers import fit_quietly as _fit
from sklearn.base import clone
from sklearn.datasets import load_digits, make_regression
from sklearn.metrics import get_scorer, log_loss
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.utils._param_validation import InvalidParameterError
from threadpoolctl import threadpool_limits

from skbackprop import BackpropMLPClassifier, BackpropMLPRegressor, gradcheck
from skbackprop import _training as training
from skbackprop._engine import Network
from skbackprop._engine.activations import get_activation
from skbackprop._engine.masks import row_keys

X_DIG, Y_DIG = load_digits(return_X_y=True)
X_DIG = X_DIG / 16.0
X, Y = X_DIG[:300], Y_DIG[:300]
X_REG, Y_REG = make_regression(n_samples=200, n_features=6, noise=1.0, random_state=0)
Y_REG = Y_REG / 100.0


def _params(est):
    return [*est.coefs_, *est.intercepts_]


def _assert_same_fit(a, b):
    assert a.loss_curve_ == b.loss_curve_
    assert a.n_iter_ == b.n_iter_
    for p, q in zip(_params(a), _params(b), strict=True):
        assert p.dtype == q.dtype
        assert_array_equal(p, q)


def _forward(est, X):
    """The network's output recomputed in plain numpy, no dropout."""
    names = est.activation
    if isinstance(names, str):
        names = [names] * (len(est.coefs_) - 1)
    a = np.asarray(X, dtype=np.float64)
    names = [*names, est.out_activation_]
    for k, (W, b, name) in enumerate(zip(est.coefs_, est.intercepts_, names)):
        z = a @ W + b
        get_activation(name, output=k == len(names) - 1).forward(z)
        a = z
    return a


def _masks(rng, n, units, p):
    return [None if q == 0 else (rng.rand(n, u) >= q) / (1 - q)
            for u, q in zip(units, p)]


# ----------------------------------------------------------------------
# gradients
def _gradcheck_data(loss, n=12, n_features=4, n_outputs=3, seed=0):
    rng = np.random.RandomState(seed)
    X_ = rng.randn(n, n_features)
    if loss == "log_loss":
        Y_ = np.eye(n_outputs)[rng.randint(0, n_outputs, n)]
    elif loss == "binary_log_loss":
        Y_ = (rng.rand(n, n_outputs) > 0.5).astype(float)
    else:
        Y_ = np.abs(rng.randn(n, n_outputs))
    return rng, X_, Y_


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


def test_gradcheck_mixed_per_layer_activations():
    for loss in ("log_loss", "binary_log_loss", "squared_error", "poisson"):
        _, X_, Y_ = _gradcheck_data(loss, seed=1)
        acts = ["logistic", "gelu", "softplus", "tanh", "elu"]
        err = gradcheck(X_, Y_, (6, 5, 4, 5, 3), acts, loss, alpha=0.3)
        assert err < 1e-6, loss


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
# one activation per hidden layer
@pytest.mark.parametrize("name", ["logistic", "relu", "gelu"])
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_identical_names_fit_exactly_as_the_string(name, solver):
    params = dict(hidden_layer_sizes=(12, 7), solver=solver, max_iter=5,
                  random_state=0)
    one = _fit(BackpropMLPClassifier(activation=name, **params), X, Y)
    each = _fit(BackpropMLPClassifier(activation=[name, name], **params), X, Y)
    _assert_same_fit(one, each)


@pytest.mark.parametrize(
    "activation, factors",
    [
        (["logistic", "relu"], [2, 6, 6]),
        (["relu", "logistic"], [6, 2, 2]),
        ("logistic", [2, 2, 2]),
        ([], [6]),
    ],
)
def test_glorot_factor_of_each_layer(activation, factors):
    """Weights into hidden layer k: the factor of f_k; the output layer's:
    the last hidden activation's (6 without hidden layers)."""
    units = [4, 5, 6, 3][: len(factors) + 1]
    if len(factors) == 1:
        units = [4, 3]
    net = Network(units, activation, "log_loss")
    flat = net.init_params(np.random.RandomState(0))
    coefs, intercepts = net.unpack(flat)
    rng = np.random.RandomState(0)
    for (fan_in, fan_out), W, b, factor in zip(
        net.coef_shapes, coefs, intercepts, factors, strict=True
    ):
        bound = np.sqrt(factor / (fan_in + fan_out))
        assert_array_equal(W, rng.uniform(-bound, bound, (fan_in, fan_out)))
        assert_array_equal(b, rng.uniform(-bound, bound, fan_out))


def test_each_layer_uses_its_own_activation():
    est = _fit(BackpropMLPRegressor(
        hidden_layer_sizes=(8, 6, 5), activation=("tanh", "identity", "softplus"),
        max_iter=20, random_state=0), X_REG, Y_REG)
    assert_allclose(est.predict(X_REG), _forward(est, X_REG).ravel(), rtol=1e-12)
    swapped = pickle.loads(pickle.dumps(est))
    swapped.set_params(activation=("softplus", "identity", "tanh"))
    assert np.abs(swapped.predict(X_REG) - est.predict(X_REG)).max() > 1e-3


def test_list_values_through_get_params_clone_and_grid_search():
    est = BackpropMLPClassifier(hidden_layer_sizes=(8, 4),
                                activation=["relu", "tanh"], dropout=[0.2, 0.0])
    params = clone(est).get_params()
    assert params["activation"] == ["relu", "tanh"]
    assert params["dropout"] == [0.2, 0.0]
    grid = {
        "activation": [["relu", "tanh"], ("logistic", "logistic"), "relu"],
        "dropout": [0.0, [0.3, 0.0]],
    }
    search = _fit(GridSearchCV(
        BackpropMLPClassifier(hidden_layer_sizes=(8, 4), max_iter=3, random_state=0),
        grid, cv=2), X, Y)
    assert len(search.cv_results_["params"]) == 6
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert search.best_params_["activation"] in grid["activation"]


@pytest.mark.parametrize(
    "params, error, match",
    [
        (dict(activation=["relu"]), ValueError, "1 names but hidden_layer_sizes"),
        (dict(activation=["relu", "sigmoid"]), InvalidParameterError,
         "Got 'sigmoid' at position 1"),
        (dict(activation=["relu", 3]), InvalidParameterError, "Got 3 at position"),
        (dict(activation="sigmoid"), InvalidParameterError,
         "The 'activation' parameter"),
        (dict(dropout=[0.1]), ValueError, "1 rates but hidden_layer_sizes"),
        (dict(dropout=[0.1, 1.0]), InvalidParameterError, r"Got 1\.0 in"),
        (dict(dropout=[0.1, np.nan]), InvalidParameterError, "Got nan in"),
        (dict(dropout=[0.1, "a"]), InvalidParameterError, "Got 'a' in"),
        (dict(dropout=1.0), InvalidParameterError, "The 'dropout' parameter"),
        (dict(dropout=-0.1), InvalidParameterError, "The 'dropout' parameter"),
        (dict(scoring="bogus"), ValueError, "scoring='bogus' is not a valid scorer"),
        (dict(scoring=log_loss), ValueError, "looks like it is a metric function"),
        (dict(scoring=3), InvalidParameterError, "The 'scoring' parameter"),
        (dict(solver="lbfgs", dropout=0.1), ValueError,
         "dropout is not supported with solver='lbfgs'"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_clear_errors_and_the_fitted_model_survives(params, error, match):
    est = _fit(BackpropMLPClassifier(hidden_layer_sizes=(6, 4), max_iter=2,
                                     random_state=0), X, Y)
    before = pickle.dumps(est)
    est.set_params(**params)
    with pytest.raises(error, match=match):
        est.fit(X, Y)
    est.set_params(**{k: BackpropMLPClassifier().get_params()[k] for k in params})
    assert pickle.dumps(est) == before


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


# ----------------------------------------------------------------------
# scoring
def test_default_scoring_is_accuracy_and_r2_exactly():
    common = dict(hidden_layer_sizes=(10,), early_stopping=True, max_iter=8,
                  random_state=0)
    default = _fit(BackpropMLPClassifier(**common), X, Y)
    named = _fit(BackpropMLPClassifier(scoring="accuracy", **common), X, Y)
    assert default.validation_scores_ == named.validation_scores_
    _assert_same_fit(default, named)
    default = _fit(BackpropMLPRegressor(**common), X_REG, Y_REG)
    named = _fit(BackpropMLPRegressor(scoring="r2", **common), X_REG, Y_REG)
    assert default.validation_scores_ == named.validation_scores_
    _assert_same_fit(default, named)


class _Spy:
    """A scorer that records what it was given."""

    def __init__(self, name):
        self.scorer, self.calls = get_scorer(name), []

    def __call__(self, est, X_, y_, sample_weight=None):
        score = self.scorer(est, X_, y_, sample_weight=sample_weight)
        self.calls.append((X_, y_, sample_weight, score))
        return score


def test_scoring_is_what_validation_scores_record():
    sw = np.random.RandomState(0).uniform(0.5, 2.0, len(Y))
    common = dict(hidden_layer_sizes=(10,), early_stopping=True, max_iter=6,
                  n_iter_no_change=100, random_state=0)
    spy = _Spy("neg_log_loss")
    spied = _fit(BackpropMLPClassifier(scoring=spy, **common), X, Y, sample_weight=sw)
    named = _fit(BackpropMLPClassifier(scoring="neg_log_loss", **common), X, Y,
                 sample_weight=sw)
    default = _fit(BackpropMLPClassifier(**common), X, Y, sample_weight=sw)
    # one call per epoch, on the weighted validation split, recorded as is
    assert len(spy.calls) == 6
    assert spied.validation_scores_ == [c[3] for c in spy.calls]
    assert named.validation_scores_ == spied.validation_scores_
    X_val, y_val, sw_val, _ = spy.calls[-1]
    assert len(X_val) == len(y_val) == len(sw_val) == 30  # the 10% split
    assert all(s < 0 for s in named.validation_scores_)
    # the best epoch's weights are kept, and score as recorded
    assert named.best_validation_score_ == max(named.validation_scores_)
    assert named.best_validation_score_ == pytest.approx(
        -log_loss(y_val, named.predict_proba(X_val), sample_weight=sw_val),
        rel=1e-12)
    # the default records the weighted accuracy on the same split
    assert all(0 <= s <= 1 for s in default.validation_scores_)
    assert default.best_validation_score_ == pytest.approx(
        np.average(default.predict(X_val) == y_val, weights=sw_val), rel=1e-12)
    assert default.validation_scores_ != named.validation_scores_


def test_a_scorer_without_sample_weight_is_called_without_it():
    """The documented ``scorer(estimator, X, y)`` works when fit has sample
    weights (it gets none); a scorer that returns no number is refused by
    name instead of a TypeError from float()."""
    sw = np.random.RandomState(0).uniform(0.5, 2.0, len(Y))
    calls = []

    def plain(estimator, X_, y_):
        calls.append(len(y_))
        return float(np.mean(estimator.predict(X_) == y_))

    common = dict(hidden_layer_sizes=(10,), early_stopping=True, max_iter=4,
                  n_iter_no_change=100, random_state=0)
    est = _fit(BackpropMLPClassifier(scoring=plain, **common), X, Y, sample_weight=sw)
    unweighted = _fit(BackpropMLPClassifier(**common), X, Y)
    assert calls == [30] * 4
    assert est.validation_scores_ == unweighted.validation_scores_
    with pytest.raises(ValueError, match=r"returned None: a scorer must return "
                                         r"a number"):
        _fit(BackpropMLPClassifier(scoring=lambda e, X_, y_: None, **common), X, Y)


def test_scoring_drives_the_stop_for_a_regressor():
    est = _fit(BackpropMLPRegressor(hidden_layer_sizes=(10,), early_stopping=True,
                                    scoring="neg_mean_absolute_error", max_iter=300,
                                    learning_rate_init=0.05, n_iter_no_change=3,
                                    random_state=0),
               X_REG, Y_REG)
    scores = est.validation_scores_
    assert all(s <= 0 for s in scores)
    assert est.best_validation_score_ == max(scores)
    best = int(np.argmax(scores))
    assert est.n_iter_ == len(scores) and len(scores) - 1 - best > 3


def test_scoring_with_a_dataframe_warns_about_no_feature_names():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", category=training.ConvergenceWarning)
        est = BackpropMLPClassifier(hidden_layer_sizes=(8,), early_stopping=True,
                                    scoring="f1_macro", max_iter=3, random_state=0)
        est.fit(df, Y)
    assert len(est.validation_scores_) == 3


# ----------------------------------------------------------------------
# composition with the rest of the estimator
EXTRAS = dict(hidden_layer_sizes=(12, 8), activation=["tanh", "relu"],
              dropout=[0.2, 0.1], random_state=0)


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


def test_pickle_joblib_and_skops_keep_the_new_parameters(tmp_path):
    est = _fit(BackpropMLPClassifier(max_iter=3, early_stopping=True,
                                     scoring="neg_log_loss", **EXTRAS), X, Y)
    path = tmp_path / "m.joblib"
    joblib.dump(est, path)
    for loaded in (pickle.loads(pickle.dumps(est)), joblib.load(path)):
        assert loaded.get_params() == est.get_params()
        assert_array_equal(loaded.predict_proba(X), est.predict_proba(X))
    sio = pytest.importorskip("skops.io")
    sio.dump(est, tmp_path / "m.skops")
    untrusted = sio.get_untrusted_types(file=tmp_path / "m.skops")
    assert untrusted == ["skbackprop._mlp.BackpropMLPClassifier"]
    loaded = sio.load(tmp_path / "m.skops", trusted=untrusted)
    assert loaded.get_params() == est.get_params()
    assert_array_equal(loaded.predict_proba(X), est.predict_proba(X))
    # the loaded model trains on as the original does
    _assert_same_fit(_fit(loaded.set_params(warm_start=True), X, Y),
                     _fit(est.set_params(warm_start=True), X, Y))


def test_zero_d_and_nested_arrays_as_activation_or_dropout():
    """A 0-d array of a name is refused as scikit-learn refuses it (not an
    internal TypeError); a 0-d rate is one rate, as a numpy float is; nested
    rates are refused by what is wrong with them, not by their count."""
    with pytest.raises(InvalidParameterError, match="flat sequence of such names"):
        _fit(BackpropMLPClassifier(activation=np.array("relu"), max_iter=2), X, Y)
    with pytest.raises(InvalidParameterError, match="flat sequence of such names"):
        _fit(BackpropMLPClassifier(activation=[["relu"]], max_iter=2), X, Y)
    params = dict(hidden_layer_sizes=(5, 4), max_iter=3, random_state=0)
    zero_d = _fit(BackpropMLPClassifier(dropout=np.array(0.3), **params), X, Y)
    scalar = _fit(BackpropMLPClassifier(dropout=0.3, **params), X, Y)
    for a, b in zip(zero_d.coefs_, scalar.coefs_):
        assert_array_equal(a, b)
    with pytest.raises(ValueError, match=r"flat sequence of rates .* shape \(1, 2\)"):
        _fit(BackpropMLPClassifier(dropout=[[0.1, 0.2]], **params), X, Y)


def test_a_regressor_score_that_overflows_is_minus_inf_without_a_warning():
    """Poisson rates are capped just below the float's limit; squaring them
    in R^2 overflows: the score is -inf, and no RuntimeWarning escapes."""
    est = _fit(BackpropMLPRegressor(loss="poisson", hidden_layer_sizes=(5,),
                                    activation="softplus", max_iter=20,
                                    random_state=0), X_REG, np.abs(Y_REG))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert est.score(X_REG * 1e6, np.abs(Y_REG)) == -np.inf
