"""One model fitted on data held by a Dask cluster: L-BFGS whose loss and
gradient are summed over the workers' chunks, and lazy blockwise
prediction.

The fits must equal the in-memory fits on the same rows to rounding (the
sums run in another order), and never assemble ``X`` in the client: the
tests that say so make ``dask.array.Array.__array__`` raise.  The tests on
a cluster of worker processes are slow; the refusals and a fit with dask's
local scheduler stay in the fast loop.
"""

import os
import signal
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, load_digits
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.preprocessing import StandardScaler

from skbackprop import BackpropMLPClassifier, BackpropMLPRegressor
from skbackprop import _dask_fit as dask_fit

pytestmark = [
    pytest.mark.dask,
    # dask/distributed's own housekeeping warnings are not ours
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::FutureWarning"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::UserWarning:distributed"),
]
dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")
X_DIGITS, Y_DIGITS = load_digits(return_X_y=True)
X_DIGITS = StandardScaler().fit_transform(X_DIGITS)
X_DIABETES, Y_DIABETES = load_diabetes(return_X_y=True)
X_DIABETES = StandardScaler().fit_transform(X_DIABETES)
RTOL = 1e-8  # the sums' order moves the weights by about 1e-12


def _chunked(X, y, n_chunks=4, sample_weight=None):
    """``X``, ``y`` (and weights) as dask arrays of ``n_chunks`` row chunks."""
    rows = -(-X.shape[0] // n_chunks)
    out = [da.from_array(X, chunks=(rows, -1)), da.from_array(y, chunks=rows)]
    if sample_weight is not None:
        out.append(da.from_array(sample_weight, chunks=rows))
    return out


def _lbfgs(cls, **params):
    defaults = dict(hidden_layer_sizes=(20,), solver="lbfgs", max_iter=50,
                    random_state=0)
    return cls(**{**defaults, **params})


def _fit(est, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(*args, **kwargs)


def assert_same_fit(on_dask, in_memory, rtol=RTOL):
    assert on_dask.n_iter_ == in_memory.n_iter_
    np.testing.assert_allclose(on_dask.loss_curve_, in_memory.loss_curve_, rtol=rtol)
    for a, b in zip(on_dask.coefs_ + on_dask.intercepts_,
                    in_memory.coefs_ + in_memory.intercepts_):
        assert type(a) is np.ndarray and a.dtype == b.dtype
        scale = np.abs(b).max()
        np.testing.assert_allclose(a, b, rtol=0, atol=rtol * scale)


@pytest.fixture
def no_client_materialisation(monkeypatch):
    """Any ``np.asarray(dask_array)`` in the client raises."""

    def refuse(self, *args, **kwargs):
        raise AssertionError("a dask array was materialised in the client")

    monkeypatch.setattr(da.Array, "__array__", refuse)


@pytest.fixture
def local_scheduler():
    """dask's local threaded scheduler, even while a Client is the default."""
    with dask.config.set(scheduler="threads"):
        yield


# ----------------------------------------------------------------------
# fast: dask's local scheduler, refusals
@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_stochastic_solvers_point_to_incremental_and_lbfgs(
        solver, local_scheduler, no_client_materialisation):
    Xd, yd = _chunked(X_DIGITS, Y_DIGITS)
    est = BackpropMLPClassifier(solver=solver, random_state=0)
    with pytest.raises(ValueError, match=r"Incremental.*|solver='lbfgs'") as info:
        est.fit(Xd, yd)
    assert "dask_ml.wrappers.Incremental" in str(info.value)
    assert "solver='lbfgs'" in str(info.value)
    assert not hasattr(est, "coefs_")


def test_partial_fit_refuses_a_dask_collection(local_scheduler,
                                                no_client_materialisation):
    Xd, yd = _chunked(X_DIGITS, Y_DIGITS)
    est = BackpropMLPClassifier(solver="adam", random_state=0)
    with pytest.raises(ValueError, match="dask_ml.wrappers.Incremental"):
        est.partial_fit(Xd, yd, classes=np.arange(10))
    assert not hasattr(est, "coefs_") and not hasattr(est, "classes_")


def test_local_scheduler_fit_equals_in_memory_fit(local_scheduler,
                                                   no_client_materialisation):
    Xd, yd = _chunked(X_DIGITS, Y_DIGITS)
    in_memory = _fit(_lbfgs(BackpropMLPClassifier, max_iter=15), X_DIGITS, Y_DIGITS)
    on_dask = _fit(_lbfgs(BackpropMLPClassifier, max_iter=15), Xd, yd)
    assert_same_fit(on_dask, in_memory)
    assert on_dask.n_features_in_ == 64
    np.testing.assert_array_equal(on_dask.classes_, in_memory.classes_)


def test_a_failed_evaluation_leaves_the_estimator_as_it_was(
        local_scheduler, monkeypatch):
    Xd, yd = _chunked(X_DIGITS, Y_DIGITS)
    est = _fit(_lbfgs(BackpropMLPClassifier, max_iter=5), X_DIGITS, Y_DIGITS)
    before = [c.copy() for c in est.coefs_], list(est.loss_curve_)
    calls = []
    real = dask_fit.chunk_loss_grad

    def failing(network, x, X, Y, sample_weight):
        calls.append(1)
        if len(calls) > 12:  # a few evaluations in
            raise OSError("connection to the worker lost")
        return real(network, x, X, Y, sample_weight)

    monkeypatch.setattr(dask_fit, "chunk_loss_grad", failing)
    with pytest.raises(RuntimeError, match="Dask computation of the L-BFGS loss"):
        _fit(est.set_params(max_iter=50), Xd, yd)
    assert len(calls) > 12
    for a, b in zip(est.coefs_, before[0]):
        np.testing.assert_array_equal(a, b)
    assert est.loss_curve_ == before[1]


def test_workers_without_skbackprop_are_named_in_the_error(local_scheduler,
                                                            monkeypatch):
    def missing(*args):
        raise ModuleNotFoundError("No module named 'skbackprop'")

    monkeypatch.setattr(dask_fit, "chunk_loss_grad", missing)
    Xd, yd = _chunked(X_DIGITS, Y_DIGITS)
    est = _lbfgs(BackpropMLPClassifier)
    with pytest.raises(RuntimeError, match="Every worker needs skbackprop"):
        est.fit(Xd, yd)
    assert not hasattr(est, "coefs_")


def test_bad_dask_input_is_refused_clearly(local_scheduler):
    X = X_DIGITS.copy()
    X[5, 3] = np.nan
    Xd, yd = _chunked(X, Y_DIGITS)
    with pytest.raises(ValueError, match="Input X contains NaN"):
        _lbfgs(BackpropMLPClassifier).fit(Xd, yd)
    Xd, yd = _chunked(X_DIGITS, Y_DIGITS)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        _lbfgs(BackpropMLPClassifier).fit(Xd, yd[:-1])
    with pytest.raises(ValueError, match="Expected a 2D dask array"):
        _lbfgs(BackpropMLPClassifier).fit(Xd[:, 0], yd)
    with pytest.raises(NotFittedError):
        BackpropMLPClassifier().predict(Xd)
    est = _fit(_lbfgs(BackpropMLPClassifier, max_iter=3), Xd, yd)
    with pytest.raises(ValueError, match="features"):
        est.predict(Xd[:, :10])


def test_prediction_on_a_dask_array_is_lazy(local_scheduler,
                                            no_client_materialisation):
    est = _fit(_lbfgs(BackpropMLPClassifier, max_iter=10), X_DIGITS, Y_DIGITS)
    Xd, yd = _chunked(X_DIGITS, Y_DIGITS)
    labels = est.predict(Xd)
    proba = est.predict_proba(Xd)
    assert isinstance(labels, da.Array) and isinstance(proba, da.Array)
    assert labels.chunks == (Xd.chunks[0],) and proba.shape == (len(X_DIGITS), 10)
    np.testing.assert_array_equal(labels.compute(), est.predict(X_DIGITS))
    # BLAS may round a product of fewer rows differently
    np.testing.assert_allclose(proba.compute(), est.predict_proba(X_DIGITS),
                               rtol=1e-12, atol=1e-300)
    log_proba = est.predict_log_proba(Xd).compute()
    np.testing.assert_allclose(log_proba, est.predict_log_proba(X_DIGITS),
                               rtol=1e-12)
    score = est.score(Xd, yd)
    assert isinstance(score, float)
    assert score == pytest.approx(est.score(X_DIGITS, Y_DIGITS), abs=1e-12)


def test_other_dask_collections_are_refused_clearly(local_scheduler):
    pd = pytest.importorskip("pandas")
    dd = pytest.importorskip("dask.dataframe")
    bag = pytest.importorskip("dask.bag")
    est = _lbfgs(BackpropMLPClassifier)
    for X in [bag.from_sequence(range(10)), dask.delayed(X_DIGITS)]:
        with pytest.raises(TypeError, match="takes dask arrays and dask DataFrames"):
            est.fit(X, Y_DIGITS)
    series = dd.from_pandas(pd.Series(X_DIGITS[:, 0]), npartitions=2)
    with pytest.raises(ValueError, match="Expected a 2D dask array"):
        est.fit(series, Y_DIGITS)
    frame = pd.DataFrame({"a": X_DIGITS[:, 0], "b": ["x"] * len(X_DIGITS)})
    with pytest.raises(ValueError, match="must be numeric"):
        est.fit(dd.from_pandas(frame, npartitions=2), Y_DIGITS)
    assert not hasattr(est, "coefs_")


def test_multilabel_and_multioutput_fits_on_the_local_scheduler(
        local_scheduler, no_client_materialisation):
    from sklearn.datasets import make_multilabel_classification, make_regression

    X, Y = make_multilabel_classification(n_samples=300, n_classes=4,
                                          random_state=0)
    Xd, Yd = da.from_array(X, chunks=(70, -1)), da.from_array(Y, chunks=(70, -1))
    on_dask = _fit(_lbfgs(BackpropMLPClassifier, max_iter=30), Xd, Yd)
    in_memory = _fit(_lbfgs(BackpropMLPClassifier, max_iter=30), X, Y)
    assert_same_fit(on_dask, in_memory)
    np.testing.assert_array_equal(on_dask.predict(Xd).compute(), in_memory.predict(X))
    assert on_dask.score(Xd, Yd) == pytest.approx(in_memory.score(X, Y), abs=1e-12)

    X, Y = make_regression(n_samples=300, n_targets=3, random_state=0)
    Y = Y / 100
    Y[:, 2] = 1.0  # a constant output: R^2 is 1 or 0 there, as in sklearn
    # integer weights: the weighted mean of the constant is exactly 1
    sw = np.random.RandomState(0).randint(0, 3, len(X)).astype(float)
    Xd, Yd = da.from_array(X, chunks=(70, -1)), da.from_array(Y, chunks=(70, -1))
    swd = da.from_array(sw, chunks=70)
    on_dask = _fit(_lbfgs(BackpropMLPRegressor, max_iter=30), Xd, Yd,
                   sample_weight=swd)
    in_memory = _fit(_lbfgs(BackpropMLPRegressor, max_iter=30), X, Y,
                     sample_weight=sw)
    assert_same_fit(on_dask, in_memory)
    for weights, weights_dask in [(None, None), (sw, swd)]:
        assert on_dask.score(Xd, Yd, sample_weight=weights_dask) == pytest.approx(
            in_memory.score(X, Y, sample_weight=weights), rel=1e-10)


# ----------------------------------------------------------------------
# slow: a cluster of two worker processes
@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        processes=True, n_workers=2, threads_per_worker=1, host="127.0.0.1",
        dashboard_address=None,
    )
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


def _persisted(client, *arrays):
    return client.persist(list(arrays))


@pytest.mark.slow
def test_classifier_on_the_cluster_equals_in_memory_fit(
        client, no_client_materialisation):
    Xd, yd = _persisted(client, *_chunked(X_DIGITS, Y_DIGITS))
    with distributed.get_task_stream(client) as tasks:
        on_dask = _fit(_lbfgs(BackpropMLPClassifier), Xd, yd)
    in_memory = _fit(_lbfgs(BackpropMLPClassifier), X_DIGITS, Y_DIGITS)
    assert_same_fit(on_dask, in_memory)
    assert 1 < on_dask.n_iter_ <= 50
    # every worker computed chunks' losses and gradients
    workers = {t["worker"] for t in tasks.data
               if str(t["key"]).startswith("chunk_loss_grad")}
    assert len(workers) == 2


@pytest.mark.slow
def test_regressor_on_the_cluster_equals_in_memory_fit(
        client, no_client_materialisation):
    Xd, yd = _persisted(client, *_chunked(X_DIABETES, Y_DIABETES))
    on_dask = _fit(_lbfgs(BackpropMLPRegressor), Xd, yd)
    in_memory = _fit(_lbfgs(BackpropMLPRegressor), X_DIABETES, Y_DIABETES)
    assert on_dask.n_iter_ == 50
    assert_same_fit(on_dask, in_memory)
    prediction = on_dask.predict(Xd)
    assert isinstance(prediction, da.Array)
    np.testing.assert_allclose(prediction.compute(), in_memory.predict(X_DIABETES),
                               rtol=1e-8)
    assert on_dask.score(Xd, yd) == pytest.approx(
        in_memory.score(X_DIABETES, Y_DIABETES), rel=1e-8)


@pytest.mark.slow
def test_sample_and_class_weights_on_the_cluster(client, no_client_materialisation):
    rng = np.random.RandomState(0)
    sw = rng.uniform(0, 3, len(X_DIGITS))
    sw[:100] = 0.0  # chunk 0 holds rows of weight zero
    Xd, yd, swd = _persisted(client, *_chunked(X_DIGITS, Y_DIGITS, sample_weight=sw))
    for class_weight in ["balanced", {0: 3.0, 1: 0.5}]:
        params = dict(class_weight=class_weight)
        on_dask = _fit(_lbfgs(BackpropMLPClassifier, **params), Xd, yd,
                       sample_weight=swd)
        in_memory = _fit(_lbfgs(BackpropMLPClassifier, **params), X_DIGITS,
                         Y_DIGITS, sample_weight=sw)
        assert_same_fit(on_dask, in_memory)
    score = on_dask.score(Xd, yd, sample_weight=swd)
    assert score == pytest.approx(
        in_memory.score(X_DIGITS, Y_DIGITS, sample_weight=sw), abs=1e-12)


@pytest.mark.slow
def test_float32_on_the_cluster(client, no_client_materialisation):
    X32 = X_DIABETES.astype(np.float32)
    Xd, yd = _persisted(client, *_chunked(X32, Y_DIABETES / 100))
    on_dask = _fit(_lbfgs(BackpropMLPRegressor, max_iter=20), Xd, yd)
    in_memory = _fit(_lbfgs(BackpropMLPRegressor, max_iter=20), X32,
                     Y_DIABETES / 100)
    assert on_dask.coefs_[0].dtype == np.float32
    # float32 sums in another order: the fits agree to float32's precision
    assert_same_fit(on_dask, in_memory, rtol=1e-3)
    assert on_dask.predict(Xd).dtype == np.float32


@pytest.mark.slow
def test_dask_dataframe_on_the_cluster(client, no_client_materialisation):
    pd = pytest.importorskip("pandas")
    dd = pytest.importorskip("dask.dataframe")
    columns = [f"x{i}" for i in range(X_DIABETES.shape[1])]
    frame = pd.DataFrame(X_DIABETES, columns=columns)
    target = pd.Series(Y_DIABETES, name="y")
    Xf = dd.from_pandas(frame, npartitions=4).persist()
    yf = dd.from_pandas(target, npartitions=4).persist()
    params = dict(early_stopping=True)  # L-BFGS ignores it, as in sklearn
    on_dask = _fit(_lbfgs(BackpropMLPRegressor, **params), Xf, yf)
    in_memory = _fit(_lbfgs(BackpropMLPRegressor, **params), frame, target)
    assert_same_fit(on_dask, in_memory)
    assert list(on_dask.feature_names_in_) == columns
    prediction = on_dask.predict(Xf)
    assert isinstance(prediction, da.Array)
    np.testing.assert_allclose(prediction.compute(), in_memory.predict(frame),
                               rtol=1e-8)
    with pytest.raises(ValueError, match="feature names"):
        on_dask.predict(Xf.rename(columns={"x0": "other"}))


@pytest.mark.slow
def test_warm_start_continues_on_the_cluster(client, no_client_materialisation):
    Xd, yd = _persisted(client, *_chunked(X_DIABETES, Y_DIABETES))
    on_dask = _fit(_lbfgs(BackpropMLPRegressor, max_iter=10, warm_start=True),
                   Xd, yd)
    in_memory = _fit(_lbfgs(BackpropMLPRegressor, max_iter=10, warm_start=True),
                     X_DIABETES, Y_DIABETES)
    _fit(on_dask, Xd, yd)
    _fit(in_memory, X_DIABETES, Y_DIABETES)
    assert_same_fit(on_dask, in_memory)


class _KillWorker:
    """A callback that kills a worker process at the end of one L-BFGS
    iteration (a fixed one: the test is deterministic)."""

    def __init__(self, pid, iteration):
        self.pid, self.iteration, self.killed = pid, iteration, False

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context, **kwargs):
        pass

    def on_fit_task_end(self, estimator, context, **kwargs):
        if (context.task_name == "lbfgs-iter" and not self.killed
                and context.task_id + 1 == self.iteration):
            os.kill(self.pid, signal.SIGKILL)
            self.killed = True
        return False


@pytest.mark.slow
def test_a_worker_lost_mid_fit_is_recomputed_from_lineage(client):
    pytest.importorskip("sklearn.callback")
    client.wait_for_workers(2)
    Xd, yd = _persisted(client, *_chunked(X_DIABETES, Y_DIABETES))
    pids = client.run(os.getpid)
    # the worker holding the first chunk
    distributed.wait([Xd, yd])
    holder = client.who_has(Xd)[Xd.__dask_keys__()[0][0]][0]
    killer = _KillWorker(pids[holder], iteration=5)
    est = _lbfgs(BackpropMLPRegressor).set_callbacks(killer)
    on_dask = _fit(est, Xd, yd)
    in_memory = _fit(_lbfgs(BackpropMLPRegressor), X_DIABETES, Y_DIABETES)
    assert killer.killed and on_dask.n_iter_ == 50
    assert_same_fit(on_dask, in_memory)
    client.wait_for_workers(2)  # the nanny restarted it
    assert pids[holder] not in client.run(os.getpid).values()


@pytest.mark.slow
def test_cluster_benchmark_quick_run():
    """``benchmarks/dask_cluster.py --quick`` (its own LocalCluster, in a
    subprocess): a row for each quantity, the cluster fit equal to the
    in-memory one, and the workers sending no more than the model of the
    parameters, the sums and ``y`` allows (no training data moved)."""
    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ, PYTHONPATH=str(root))
    proc = subprocess.run(
        # work stealing off: no chunk is copied to balance the workers
        [sys.executable, str(root / "benchmarks" / "dask_cluster.py"), "--quick",
         "--no-stealing", "--markdown"],
        capture_output=True, text=True, env=env, cwd=root, timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    rows = {}
    for line in proc.stdout.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if line.startswith("| ") and len(cells) == 2:
            rows[cells[0]] = cells[1]
    assert float(rows["ms per evaluation, cluster"]) > 0
    workers = [k for k in rows if k.startswith("ms compute per evaluation, worker")]
    assert len(workers) == 2 and all(float(rows[k]) > 0 for k in workers)
    assert float(rows["max abs coef difference, cluster vs in memory"]) < 1e-8
    evaluations = int(rows["evaluations on the cluster"])
    model = float(rows["model: bytes the workers send per evaluation, at most"])
    model += float(rows["model: bytes of y computed into the client, once per fit"]
                   ) / evaluations
    received = rows["measured: bytes the workers received from peers per evaluation"]
    received = dict(part.rsplit(" ", 1) for part in received.split(", "))
    # no row of X moved; besides the finite checks' booleans, at most y
    # once (a busy worker may be handed a chunk of y bound for the client)
    assert float(received["rows of X"]) == 0
    y_bytes = float(rows["model: bytes of y computed into the client, once per fit"])
    assert float(received["other data"]) <= (y_bytes + 100) / evaluations
    # (2%: the messages' own headers, and the fit's checks of X's values;
    # a chunk of y copied between workers is sent twice)
    sent = float(rows["measured: bytes the workers sent per evaluation"])
    assert 0 < sent <= 1.02 * model + float(received["other data"])
