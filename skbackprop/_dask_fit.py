"""One model on a Dask cluster: L-BFGS over data that stays on the workers,
and blockwise prediction.

A fit on a dask array (or dask DataFrame) persists ``X``, the encoded
targets and the sample weights on the workers, chunked by rows.  Each
L-BFGS evaluation sends the parameters to the workers; each computes, on
each of its chunks, the *sum* over the chunk's rows of the weighted loss and
its gradient (:func:`chunk_loss_grad`, the one place that calls the engine);
the workers add the chunks' sums (a tree of fixed shape: the same order of
additions whichever worker finishes first) and send the client one loss
and one gradient; the client divides them once by the total sample weight
and adds the L2 term -- the in-memory objective, up to the order of the
sums -- and scipy takes its step through the same driver as an in-memory
fit (:func:`skbackprop._training.fit_lbfgs`).

``X`` is never assembled in the client.  The targets and the sample
weights are: they are computed into the client once, to encode the labels
and the class weights with the in-memory code (one number per row and
output, small beside ``X``), and sent back to the workers chunked as ``X``.

The stochastic solvers are refused: a synchronous data-parallel step costs
a round trip per mini-batch.  Dask's own recomputation from the persisted
arrays' lineage survives a lost worker; an evaluation that fails anyway
raises a RuntimeError, and the estimator's rollback leaves it as it was.
"""

import functools
import sys

import numpy as np
from sklearn.base import is_classifier
from sklearn.utils import check_random_state
from sklearn.utils.validation import _check_y, check_is_fitted, validate_data

from . import _training as training
from ._blas_threads import blas_threads
from ._callbacks import FitTasks
from ._engine import get_loss, make_trainer, smooth_targets
from ._fit_state import FitConfig, L2Penalty
from ._validation import check_no_missing_labels

__all__ = [
    "blockwise_on_dask_collections", "check_partial_fit", "chunk_loss_grad", "fit",
    "is_dask_collection", "predict", "score",
]


def is_dask_collection(obj):
    """Whether ``obj`` is a dask collection (False when dask was never
    imported: then nothing can be one)."""
    dask = sys.modules.get("dask")
    return dask is not None and dask.is_dask_collection(obj)


# ----------------------------------------------------------------------
# the seam to the engine
def chunk_loss_grad(network, x, X, Y, sample_weight):
    """The data term on one chunk, summed over its rows.

    Parameters
    ----------
    network : Network
    x : ndarray of shape (n_params,)
        The parameters, float64 (cast to the network's dtype by the
        engine's objective, as in memory).
    X, Y, sample_weight : ndarrays
        One chunk of the persisted training data.

    Returns
    -------
    loss : float
        ``sum_i s_i l_i`` over the chunk's rows (``inf`` when not finite).
    grad : ndarray of shape (n_params,), float64
        Its gradient (zero when the loss is not finite).
    """
    n = X.shape[0]
    weight = float(n if sample_weight is None else sample_weight.sum())
    if weight == 0.0:  # an empty chunk, or one of weight zero
        return 0.0, np.zeros(network.n_params)
    # the in-memory objective of the chunk (without the L2 term): its
    # weighted mean, times the chunk's weight
    trainer = make_trainer(network, None, n)
    params = np.empty(network.n_params, dtype=network.dtype)
    mean, grad = trainer.objective(params, X, Y, sample_weight, 0.0)(x)
    return mean * weight, grad * weight


class DistributedObjective:
    """``fun(x) -> (loss, grad)`` of L-BFGS, each evaluation one Dask
    computation over the persisted chunks (see the module docstring).

    Parameters
    ----------
    network : Network
    chunks : list of tuples of Delayed
        ``(X, Y, sample_weight)`` of each chunk (``sample_weight`` None
        when unweighted).
    l2 : float
        L2 strength.
    total_weight : float
        The training data's total sample weight (its rows when unweighted).
    """

    def __init__(self, network, chunks, l2, total_weight):
        self.network, self.chunks = network, chunks
        self.l2, self.total_weight = l2, total_weight
        self.evaluations = 0

    def __call__(self, x):
        try:
            loss, grad = self._sums(x)
        except Exception as exc:
            hint = (" Every worker needs skbackprop (and its dependencies) "
                    "installed." if isinstance(exc, ImportError) else "")
            raise RuntimeError(
                "The Dask computation of the L-BFGS loss and gradient failed "
                f"(evaluation {self.evaluations + 1}): {type(exc).__name__}: "
                f"{exc}. The estimator is left as it was before fit.{hint}"
            ) from exc
        self.evaluations += 1
        loss, grad = loss / self.total_weight, grad / self.total_weight
        network = self.network
        params = np.asarray(x, dtype=network.dtype)
        loss += network.penalty(params, self.l2)
        grad[: network.n_coef] += self.l2 * params[: network.n_coef]
        if not np.isfinite(loss):
            return np.inf, np.zeros(x.shape, dtype=np.float64)
        return loss, grad

    def _sums(self, x):
        """The data term's sums over all rows at ``x``: one computation."""
        import dask

        # one key each, shared by every chunk's task
        network = dask.delayed(self.network, pure=True)
        weights = dask.delayed(np.array(x, dtype=np.float64), pure=True)
        parts = []
        for chunk, workers in zip(self.chunks, _holders(self.chunks)):
            with dask.annotate(**workers):
                parts.append(
                    dask.delayed(chunk_loss_grad, pure=True)(network, weights, *chunk)
                )
        (loss, grad), = dask.compute(_tree_sum(parts))
        return loss, grad


def _holders(chunks):
    """Per chunk, the annotation that asks Dask's distributed scheduler to
    run the chunk's task on a worker holding its rows (empty with another
    scheduler, or for a chunk no worker holds now).

    Without it the scheduler may run a chunk's task where the shared
    parameters are and move the chunk there; the restriction is loose, so
    a lost worker's chunks are still recomputed and used elsewhere."""
    from dask.base import get_scheduler

    client = getattr(get_scheduler(), "__self__", None)
    if type(client).__name__ != "Client" or not hasattr(client, "who_has"):
        return [{}] * len(chunks)
    # (of the persisted futures in the chunks' graphs: who_has takes
    # futures or collections, not keys)
    who_has = client.who_has([chunk[0] for chunk in chunks])
    return [
        {"workers": list(who_has[chunk[0].key]), "allow_other_workers": True}
        if who_has.get(chunk[0].key) else {}
        for chunk in chunks
    ]


SUM_FAN_IN = 8
"""Chunk results added per task of the tree that sums them on the workers."""


def _tree_sum(parts):
    """The ``(loss, grad)`` sums of ``parts`` (Delayed), added on the
    workers in a tree of fixed shape -- so in the same order whichever
    worker finishes first -- and sent to the client as one gradient."""
    import dask

    while len(parts) > 1:
        parts = [
            dask.delayed(_add, pure=True)(*parts[i : i + SUM_FAN_IN])
            for i in range(0, len(parts), SUM_FAN_IN)
        ]
    return parts[0]


def _add(*parts):
    """The sum of ``(loss, grad)`` pairs, in the order given."""
    loss, grad = parts[0][0], parts[0][1].copy()
    for part_loss, part_grad in parts[1:]:
        loss += part_loss
        grad += part_grad
    return loss, grad


# ----------------------------------------------------------------------
# input
def _dask_rows(est, X, reset):
    """``X`` as a dask array chunked by rows only, after the feature checks
    of ``validate_data`` (number of features, feature names), none of which
    computes ``X``.  A dask DataFrame's partition lengths are computed (a
    number per partition)."""
    import dask.array as da

    # (not hasattr: a Delayed has every attribute)
    tabular = type(X).__module__.startswith("dask.dataframe")  # or a Series
    frame = tabular and type(X).__name__ == "DataFrame"
    if not tabular and not isinstance(X, da.Array):
        raise TypeError(
            f"{type(est).__name__} takes dask arrays and dask DataFrames; got "
            f"a {type(X).__module__}.{type(X).__name__}."
        )
    if len(X.shape) != 2:
        raise ValueError(
            f"Expected a 2D dask array or a dask DataFrame, got {len(X.shape)}D "
            "data instead: reshape your data with X.reshape(-1, 1) (a dask "
            "Series: X.to_frame()) for a single feature."
        )
    # a dask DataFrame's meta, an empty pandas DataFrame, has its columns
    validate_data(est, X._meta if frame else X, reset=reset,
                  skip_check_array=True)
    if frame:
        if not all(dt.kind in "biuf" for dt in X.dtypes):
            raise ValueError(
                "Every column of a dask DataFrame passed to "
                f"{type(est).__name__} must be numeric; got dtypes "
                f"{sorted({str(dt) for dt in X.dtypes})}."
            )
        X = X.to_dask_array(lengths=True)
    if not isinstance(X._meta, np.ndarray):
        raise TypeError(
            "The chunks of a dask array passed to fit must be numpy arrays; "
            f"got {type(X._meta).__module__}.{type(X._meta).__name__} chunks."
        )
    if any(np.isnan(c) for c in X.chunks[0]):
        X = X.compute_chunk_sizes()
    return X.rechunk({1: -1}) if len(X.chunks[1]) > 1 else X


def _float_rows(est, X, reset):
    """Chunks of float32 or float64 (as in memory: float32 stays float32,
    other numbers become float64; a continuing fit takes the model's
    dtype), checked finite with one pass on the workers."""
    import dask
    import dask.array as da

    if X.dtype.kind not in "biuf":
        raise ValueError(f"dtype='numeric' is not compatible with arrays of {X.dtype}.")
    dtype = np.float32 if X.dtype == np.float32 else np.float64
    if not reset and est.coefs_[0].dtype in (np.float32, np.float64):
        dtype = est.coefs_[0].dtype
    if X.shape[0] < 1:
        raise ValueError(
            f"Found array with 0 sample(s) (shape={X.shape}) while a minimum of "
            f"1 is required by {type(est).__name__}."
        )
    X = X.astype(dtype)
    has_nan, has_inf = dask.compute(da.isnan(X).any(), da.isinf(X).any())
    if has_nan or has_inf:
        raise ValueError(
            f"Input X contains {'NaN' if has_nan else 'infinity'}."
        )
    return X


def _computed(values):
    """A small dask collection (targets, weights) as numpy, in the client."""
    if values is None or not is_dask_collection(values):
        return values
    import dask

    return dask.compute(values)[0]  # numpy, or pandas for dask DataFrames


def _targets(est, y, sample_weight, n_samples, dtype, incremental):
    """``(Y, sw)`` encoded on the client by the in-memory code (see the
    module docstring)."""
    y, sample_weight = _computed(y), _computed(sample_weight)
    if is_classifier(est):
        check_no_missing_labels(y)
    y = _check_y(y, multi_output=True, y_numeric=not is_classifier(est))
    if y.shape[0] != n_samples:
        raise ValueError(
            "Found input variables with inconsistent numbers of samples: "
            f"[{n_samples}, {y.shape[0]}]"
        )
    return est._encoded_targets(y, sample_weight, n_samples, dtype, incremental)


_NO_PARTIAL_FIT = (
    "partial_fit takes numpy blocks, not a dask collection: stream a dask "
    "array through partial_fit with dask_ml.wrappers.Incremental, or fit it "
    "in place with solver='lbfgs'."
)


def check_partial_fit(X):
    """``partial_fit`` takes blocks in memory: a dask ``X`` is refused
    (before its labels are looked at, which would compute them)."""
    if is_dask_collection(X):
        raise ValueError(_NO_PARTIAL_FIT)


def _check_supported(est, incremental):
    if incremental:
        raise ValueError(_NO_PARTIAL_FIT)
    if est.solver != "lbfgs":
        raise ValueError(
            f"solver={est.solver!r} cannot fit a dask collection where it lies "
            "(a synchronous step per mini-batch costs a round trip to every "
            "worker). Use solver='lbfgs' for a data-parallel fit on the "
            "workers, or dask_ml.wrappers.Incremental(estimator) to stream the "
            "blocks through partial_fit; compute the array to fit it in memory."
        )


def _second(rows, values):
    return values


def _beside(X_blocks, bounds, values):
    """``values`` (targets or weights, numpy) cut as ``X``'s chunks, each
    part made by a task that takes its chunk of ``X`` as input and the part
    as a literal: the scheduler runs it where the chunk is, so each chunk's
    targets and weights lie with its rows."""
    import dask

    return [
        dask.delayed(_second, pure=True)(block, values[start:stop])
        for block, start, stop in zip(X_blocks, bounds[:-1], bounds[1:])
    ]


def _persisted_chunks(X, Y, sw):
    """``X`` persisted, and the ``(X, Y, sample_weight)`` Delayed of each
    of its chunks, the targets and weights persisted beside their rows."""
    import dask

    X = X.persist()
    # unoptimised: dask 2025.2's optimised graph of a persisted block hands
    # the task its key (a tuple) instead of the block
    X_blocks = list(X.to_delayed(optimize_graph=False).ravel())
    bounds = np.cumsum((0,) + X.chunks[0])
    Y_blocks = _beside(X_blocks, bounds, Y)
    sw_blocks = [None] * len(X_blocks) if sw is None else _beside(X_blocks, bounds, sw)
    Y_blocks, sw_blocks = dask.persist(Y_blocks, sw_blocks, optimize_graph=False)
    return X, list(zip(X_blocks, Y_blocks, sw_blocks))


def _smoothed(est, Y, dtype):
    """The targets the chunks' objective trains on: ``label_smoothing``'s
    (:func:`~skbackprop._engine.smooth_targets`), else ``Y``."""
    epsilon = getattr(est, "label_smoothing", 0.0)
    if not epsilon:
        return Y
    loss = get_loss(out_activation=est._output_activation())
    return smooth_targets(loss, Y, epsilon, dtype)


# ----------------------------------------------------------------------
# fit
def fit(est, X, y, sample_weight, incremental, hidden, start):
    """The data-parallel counterpart of ``_fit_inner`` (same arguments),
    for a dask ``X``."""
    _check_supported(est, incremental)
    reset = start != "continue"
    X = _float_rows(est, _dask_rows(est, X, reset), reset)
    Y, sw = _targets(est, y, sample_weight, X.shape[0], X.dtype, incremental)
    X, chunks = _persisted_chunks(X, _smoothed(est, Y, X.dtype), sw)
    random_state = check_random_state(est.random_state)
    network, flat = est._parameters(X, Y, hidden, start, incremental, random_state)
    penalty = L2Penalty.of(est.alpha, "dataset", sw, X.shape[0])
    objective = DistributedObjective(network, chunks, penalty.strength,
                                     penalty.total_weight)
    tasks = FitTasks(
        est, X, lambda: est._decode(Y),
        None if sample_weight is None else {"sample_weight": sw},
    )
    tasks.begin_fit()
    # one BLAS thread: the client only adds gradients, and the threads of
    # dask's local scheduler (no Client) each compute a chunk
    config = FitConfig.from_estimator(est, len(hidden), incremental)
    with blas_threads("lbfgs", [1], 1):
        training.train(est, config, network, flat, (X, Y, sw), random_state,
                       tasks, objective=objective)
    tasks.end_fit()
    return est


# ----------------------------------------------------------------------
# prediction
_BLOCKWISE = ("predict", "predict_proba", "predict_log_proba")


def blockwise_on_dask_collections(cls):
    """Class decorator: ``predict``, ``predict_proba``,
    ``predict_log_proba`` (:func:`predict`) and ``score`` (:func:`score`)
    of ``cls`` take dask collections; other inputs reach the methods as
    they are."""
    for name in _BLOCKWISE + ("score",):
        if name in vars(cls):
            setattr(cls, name, _dispatching(vars(cls)[name], name))
    return cls


def _dispatching(method, name):
    @functools.wraps(method)
    def dispatch(est, X, *args, **kwargs):
        if not is_dask_collection(X):
            return method(est, X, *args, **kwargs)
        if name == "score":
            return score(est, X, *args, **kwargs)
        return predict(est, X, name)

    return dispatch


def _block_output(block, est, method, columns, empty):
    """``est.method`` on one block (rows of ``X``; ``columns``: the feature
    names the model was fitted with; ``empty``: the output of no rows)."""
    if block.shape[0] == 0:
        return empty
    if columns is not None:
        import pandas as pd

        block = pd.DataFrame(block, columns=columns)
    return getattr(est, method)(block)


def _sample_row(est, columns, dtype):
    """One row of zeros of ``X``'s dtype: ``est.method`` on it gives the
    output's dtype and trailing shape, in the client."""
    row = np.zeros((1, est.n_features_in_), dtype=dtype)
    if columns is None:
        return row
    import pandas as pd

    return pd.DataFrame(row, columns=columns)


def predict(est, X, method):
    """``est.method(X)`` on each block of the dask collection ``X``, as a
    lazy dask array (scikit-learn's ``predict`` checks run on each block)."""
    check_is_fitted(est, "n_outputs_")
    X = _dask_rows(est, X, reset=False)
    columns = getattr(est, "feature_names_in_", None)
    dtype = X.dtype if X.dtype.kind in "biuf" else np.float64
    sample = getattr(est, method)(_sample_row(est, columns, dtype))
    empty = sample[:0]
    if sample.ndim == 1:
        return X.map_blocks(
            _block_output, est, method, columns, empty, drop_axis=1,
            dtype=sample.dtype, meta=empty,
        )
    return X.map_blocks(
        _block_output, est, method, columns, empty, dtype=sample.dtype,
        chunks=(X.chunks[0], sample.shape[1:]), meta=empty,
    )


def _aligned(values, rows):
    """Targets or weights as a dask array chunked as ``rows``."""
    import dask.array as da

    if values is None:
        return None
    if type(values).__module__.startswith("dask.dataframe"):
        values = values.to_dask_array(lengths=True)
    values = da.asarray(values)
    return values.rechunk((rows,) + values.shape[1:])


def score(est, X, y, sample_weight=None):
    """Accuracy (classifier) or R^2 (regressor, outputs averaged) of
    ``est`` on a dask ``X``, computed with dask; returns a float."""
    import dask
    import dask.array as da

    y_pred = predict(est, X, "predict")
    rows = y_pred.chunks[0]
    y, sw = _aligned(y, rows), _aligned(sample_weight, rows)
    if is_classifier(est):
        correct = y_pred == y
        if correct.ndim == 2:  # multilabel: every label right
            correct = correct.all(axis=1)
        return float(da.average(correct, weights=sw).compute())
    if y.ndim == 1:
        y, y_pred = y[:, None], y_pred[:, None]
    w = da.ones(y.shape[0], chunks=rows) if sw is None else sw.astype(np.float64)
    w = w[:, None]
    mean = (w * y).sum(axis=0) / w.sum()
    numerator, denominator = dask.compute(
        (w * (y - y_pred) ** 2).sum(axis=0), (w * (y - mean) ** 2).sum(axis=0)
    )
    return float(np.mean(_r2(numerator, denominator)))


def _r2(numerator, denominator):
    """scikit-learn's R^2 per output (``force_finite``: a constant target
    scores 1 when predicted exactly, 0 otherwise)."""
    scores = np.ones_like(denominator, dtype=np.float64)
    nonzero = denominator != 0
    scores[nonzero] = 1 - numerator[nonzero] / denominator[nonzero]
    scores[(numerator != 0) & ~nonzero] = 0.0
    return scores
