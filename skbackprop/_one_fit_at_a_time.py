"""One fit at a time per estimator object.

A second ``fit``/``partial_fit`` of an estimator while one runs -- from
another thread, or re-entrant from a callback of the running fit -- would
overwrite the running fit's state (and its rollback would wipe the other's
result).  :func:`exclusive_fit` refuses it with a RuntimeError before it
touches the estimator.  The registry of running fits is module-level, keyed
by ``id``, so it is never part of a pickled, copied or cloned estimator.
"""

import functools
import threading
from contextlib import contextmanager

__all__ = ["exclusive_fit", "guarded"]

_lock = threading.Lock()
_running = {}  # id(estimator) -> ident of the thread that fits it


@contextmanager
def exclusive_fit(estimator):
    """Mark ``estimator`` as being fitted by this thread for the duration."""
    key, me = id(estimator), threading.get_ident()
    name = type(estimator).__name__
    with _lock:
        owner = _running.get(key)
        if owner is None:
            _running[key] = me
    if owner == me:
        raise RuntimeError(
            f"This {name} is already being fitted: fit or partial_fit was "
            "called from inside its own running fit (e.g. from a callback). "
            "Fit a copy instead (sklearn.base.clone or copy.deepcopy)."
        )
    if owner is not None:
        raise RuntimeError(
            f"This {name} is being fitted in another thread; an estimator "
            "object can only be fitted by one thread at a time. Wait for that "
            "fit to finish, or fit a copy (sklearn.base.clone)."
        )
    try:
        yield
    finally:
        with _lock:
            del _running[key]


def guarded(fit_method):
    """Decorate a public fit method with :func:`exclusive_fit` (outermost,
    so that a refused call does not even set the callbacks up)."""

    @functools.wraps(fit_method)
    def wrapper(estimator, *args, **kwargs):
        with exclusive_fit(estimator):
            return fit_method(estimator, *args, **kwargs)

    return wrapper
