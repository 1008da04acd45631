"""Warnings that point at the user's own line.

A warning raised deep inside a fit is reported at the first frame outside
skbackprop and the libraries that call into it (scikit-learn, joblib), so
that ``fit.py:12: ConvergenceWarning: ...`` names the line that called
``fit``, ``cross_val_score`` or ``GridSearchCV.fit``; in an ``n_jobs``
worker process, where no frame is the user's, it keeps skbackprop's line
(the standard library's frames are skipped too).  For the warning
filters the warning still comes from its skbackprop module, so
``warnings.filterwarnings(..., module="skbackprop")`` selects it; and a
filter aimed at scikit-learn (``module="sklearn"``, the idiom of
scikit-learn's own gallery) applies to it too, as it would to the MLP this
package replaces -- unless a filter aimed at skbackprop comes first.
"""

import os
import sys
import sysconfig
import warnings

import joblib
import sklearn

__all__ = ["warn"]

_LIBRARY_DIRS = tuple(
    os.path.dirname(os.path.abspath(m.__file__)) + os.sep
    for m in (sys.modules[__package__], sklearn, joblib)
)

_STDLIB_DIRS = tuple(
    os.path.abspath(sysconfig.get_paths()[key]) + os.sep
    for key in ("stdlib", "platstdlib")
)

# where scikit-learn's MLP warns from, for filters aimed at scikit-learn
_SKLEARN_MLP = "sklearn.neural_network._multilayer_perceptron"


def _in_standard_library(filename):
    return filename.startswith(_STDLIB_DIRS) and not any(
        part in ("site-packages", "dist-packages")
        for part in filename.split(os.sep)
    )


def _user_frame():
    """The innermost frame outside the libraries and the standard library.

    In a worker process of ``n_jobs`` (joblib's loky, multiprocessing) no
    frame is the user's: the outermost one is ``multiprocessing/process.py``,
    which tells nothing, so the warning keeps skbackprop's own line, as
    scikit-learn's MLP shows its own there."""
    caller = sys._getframe(2)
    frame = caller
    while frame is not None:
        name = frame.f_code.co_filename
        filename = os.path.abspath(name)
        if not (filename.startswith(_LIBRARY_DIRS) or name.startswith("<frozen ")
                or _in_standard_library(filename)):
            return frame
        frame = frame.f_back
    return caller


def _first_filter(message, category, module):
    """``(action, filter)`` of the first warning filter that matches, as
    the warnings machinery picks it (``(None, None)``: none matches)."""
    for entry in warnings.filters:
        action, msg, cat, mod, lineno = entry
        if (
            (msg is None or msg.match(message))
            and issubclass(category, cat)
            and (mod is None or mod.match(module))
            and lineno == 0
        ):
            return action, entry
    return None, None


def _silenced_as_sklearn(message, category, module):
    """Whether a filter aimed at scikit-learn's MLP ignores this warning,
    and no filter aimed at skbackprop decides first."""
    _, ours = _first_filter(message, category, module)
    if ours is not None and ours[3] is not None:
        return False  # a filter names skbackprop's module: it decides
    action, _ = _first_filter(message, category, _SKLEARN_MLP)
    return action == "ignore"


def warn(message, category=UserWarning, module="skbackprop"):
    """``warnings.warn``, reported at the user's line (see the module)."""
    message = str(message)
    if _silenced_as_sklearn(message, category, module):
        return
    frame = _user_frame()
    registry = frame.f_globals.setdefault("__warningregistry__", {})
    # no module_globals, as warnings.warn: with them the C warn_explicit asks
    # the frame's loader for its source, and the loader of __main__ under
    # ``python -c``, ``python -`` and the interactive prompt raises ImportError
    warnings.warn_explicit(
        message, category, frame.f_code.co_filename, frame.f_lineno,
        module=module, registry=registry,
    )
