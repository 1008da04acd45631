"""Array API support on the scikit-learn side.

Under ``sklearn.config_context(array_api_dispatch=True)``, arrays of a
namespace other than numpy's (torch, CuPy, array_api_strict) train and
predict in their namespace and on their device, through the engine's
:class:`~skbackprop._engine.trainer.ArrayApiTrainer`; numpy arrays and sparse matrices
take the numpy engine unchanged.  The fitted ``coefs_``/``intercepts_`` and
the optimizer's state live on the device, as the fitted attributes of
scikit-learn's own array-API estimators do; labels, ``classes_`` and the
label encoding stay on the host (labels may be strings), and only the
encoded targets travel to the device, once per fit.
"""

import numpy as np
from scipy.sparse import issparse
from sklearn import get_config
from sklearn.utils._array_api import _is_numpy_namespace, get_namespace_and_device

from ._engine import ArrayNamespace

try:
    from sklearn.utils._array_api import check_same_namespace, move_to
except ImportError:  # scikit-learn < 1.9: numpy arrays only
    check_same_namespace = move_to = None

SUPPORTED = check_same_namespace is not None
"""Whether this scikit-learn (>= 1.9) lets the estimators take arrays of
other namespaces."""

__all__ = [
    "check_continuing_namespace",
    "check_fitted_namespace",
    "float_dtypes",
    "from_host",
    "input_dtypes",
    "namespace_of",
    "to_host",
]


def _to_numpy(array):
    if move_to is None:  # pragma: no cover - scikit-learn < 1.9, CPU arrays
        return np.asarray(array)
    return move_to(array, xp=np, device="cpu")


def namespace_of(*arrays):
    """The :class:`ArrayNamespace` of ``arrays`` when array API dispatch is
    on and they are not numpy's (None otherwise: the numpy engine)."""
    if not get_config()["array_api_dispatch"]:
        return None
    xp, is_array_api, device = get_namespace_and_device(*arrays)
    if not is_array_api or _is_numpy_namespace(xp):
        return None
    if not SUPPORTED:
        raise ValueError(
            "Training and predicting on arrays of another namespace than "
            "numpy's needs scikit-learn >= 1.9; pass numpy arrays, or upgrade."
        )
    return ArrayNamespace(xp, device, _to_numpy)


def detached(ns, *arrays):
    """``arrays`` without autograd history (torch tensors that require a
    gradient would make the engine's arithmetic build a graph)."""
    if ns is None or not ns.is_torch:
        return arrays if len(arrays) > 1 else arrays[0]
    out = tuple(
        a.detach() if getattr(a, "requires_grad", False) else a for a in arrays
    )
    return out if len(out) > 1 else out[0]


def float_dtypes(ns):
    """The ``dtype`` argument of ``validate_data`` for float inputs."""
    if ns is None:
        return (np.float64, np.float32)
    return [ns.xp.float64, ns.xp.float32]


def is_device_array(array):
    """Whether ``array`` is an array of another namespace than numpy's."""
    return hasattr(array, "__dlpack__") and not isinstance(array, np.ndarray)


def to_host(array):
    """``array`` as numpy (anything else, e.g. a list, unchanged)."""
    return _to_numpy(array) if is_device_array(array) else array


def from_host(ns, array, dtype=None):
    """A host array on ``ns``'s device (None and ``ns is None`` pass)."""
    if ns is None or array is None:
        return array
    return ns.asarray(array, dtype=dtype)


def host_dtype(X):
    """The numpy dtype of ``X``'s dtype (``torch.float32`` -> float32)."""
    if isinstance(X, np.ndarray) or issparse(X):
        return X.dtype
    return np.dtype(str(X.dtype).rsplit(".", 1)[-1])


def check_fitted_namespace(estimator, X, method):
    """``X`` must be in the namespace and on the device of the fit (sklearn's
    message); a model fitted on device arrays needs array API dispatch."""
    fitted_on_device = is_device_array(estimator.coefs_[0])
    if not get_config()["array_api_dispatch"]:
        if fitted_on_device:
            raise ValueError(
                f"This {type(estimator).__name__} was fitted on "
                f"{type(estimator.coefs_[0]).__module__} arrays: call {method}() "
                "under sklearn.config_context(array_api_dispatch=True), or move "
                "it to numpy with sklearn.utils._array_api.move_estimator_to("
                "estimator, numpy, 'cpu')."
            )
        return None
    if SUPPORTED:
        check_same_namespace(X, estimator, attribute="_first_coef", method=method)
    return namespace_of(estimator.coefs_[0]) if fitted_on_device else None


def _first_coef(estimator):
    """``coefs_[0]``, or None where ``coefs_`` (set by hand) holds none."""
    coefs = estimator.coefs_
    return coefs[0] if isinstance(coefs, (list, tuple)) and coefs else None


def check_continuing_namespace(estimator, X, incremental):
    """A fit that continues (``partial_fit``, a warm start) takes ``X`` in
    the namespace and on the device of the model, as ``predict`` does: a fit
    on other arrays would move the model there and drop the optimizer's
    state (it lives in the old namespace)."""
    if _first_coef(estimator) is not None:  # else the shape check refuses it
        check_fitted_namespace(
            estimator, X, "partial_fit" if incremental else "fit"
        )


def input_dtypes(estimator, ns, reset):
    """``validate_data``'s dtype for X: float32 or float64 as given for a
    new fit (``reset``); the model's dtype when training continues, as
    scikit-learn's MLP keeps it (a float32 chunk leaves a float64 model
    float64)."""
    dtypes = float_dtypes(ns)
    if reset:
        return dtypes
    fitted = getattr(_first_coef(estimator), "dtype", None)
    # coefs_ set by hand (lists, ints) give no float dtype: X's decides
    return [fitted] if fitted in dtypes else dtypes


def host_state(state):
    """A pickled state with every device array converted to numpy (lists,
    tuples and dicts walked), so that the file loads anywhere."""
    if is_device_array(state):
        return _to_numpy(state)
    if isinstance(state, dict):
        return {k: host_state(v) for k, v in state.items()}
    if isinstance(state, (list, tuple)):
        return type(state)(host_state(v) for v in state)
    return state
