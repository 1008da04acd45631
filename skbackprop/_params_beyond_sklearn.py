"""The estimators' parameters beyond scikit-learn's MLP: one activation per
hidden layer (``activation`` as a sequence), ``dropout`` and its
``dropout_schedule``, the early-stopping ``scoring``, ``weight_decay``
(AdamW), ``learning_rate_schedule`` and ``learning_rate_warmup``,
``restore_best`` and the classifier's ``label_smoothing``.

Their defaults (a single activation name, ``dropout=0.0``,
``scoring=None``, ``weight_decay=0.0``, no schedules,
``restore_best='auto'``, ``label_smoothing=0.0``) leave every computation
and every random draw of a fit exactly as without them.  The engine
receives plain values: activation names, dropout rates and the masks'
seed, the optimizer's options.

A scorer runs on the host: a model fitted on device arrays is scored by a
host copy of itself, on a host copy of the validation split, so that every
scorer that works on numpy arrays gives the same score on a device
(scikit-learn's metrics would otherwise meet device predictions and host
labels).
"""

import inspect
import warnings
from contextlib import nullcontext
from numbers import Real

import numpy as np
from sklearn import config_context
from sklearn.metrics import check_scoring
from sklearn.utils._param_validation import InvalidParameterError

from ._array_api import is_device_array, to_host
from ._engine import ACTIVATIONS
from ._predict import _all_finite as all_finite
from ._warnings import warn

__all__ = [
    "check_params_beyond_sklearn",
    "dropout_seed",
    "dropout_rates",
    "scorer_validation_score",
    "scoring_key",
]


def _hidden_activations(est, n_hidden):
    """Check a sequence ``activation`` against the hidden layers."""
    activation = est.activation
    if isinstance(activation, str):
        return
    if np.ndim(activation) != 1:  # a 0-d array, or nested sequences
        raise InvalidParameterError(
            f"The 'activation' parameter of {type(est).__name__} must be a "
            f"str among {sorted(ACTIVATIONS)} or a flat sequence of such "
            f"names, one per hidden layer. Got {activation!r} instead."
        )
    names = list(activation)
    for i, name in enumerate(names):
        if not isinstance(name, str) or name not in ACTIVATIONS:
            raise InvalidParameterError(
                f"The 'activation' parameter of {type(est).__name__} must be "
                f"a str among {sorted(ACTIVATIONS)} or a sequence of such "
                f"names, one per hidden layer. Got {name!r} at position {i} "
                f"of {activation!r} instead."
            )
    if len(names) != n_hidden:
        raise ValueError(
            f"activation has {len(names)} names but hidden_layer_sizes="
            f"{est.hidden_layer_sizes!r} has {n_hidden} hidden layers: give "
            "one name per hidden layer, or a single name for all of them."
        )


def dropout_rates(est, n_hidden):
    """The dropout rate of each hidden layer, as a tuple of floats."""
    dropout = est.dropout
    if np.ndim(dropout) == 0 and not isinstance(dropout, Real):
        dropout = dropout[()] if isinstance(dropout, np.ndarray) else dropout
    if isinstance(dropout, Real) and not isinstance(dropout, (bool, np.bool_)):
        if not 0 <= dropout < 1:
            _invalid_rate(est, dropout, dropout)
        return (float(dropout),) * n_hidden
    if np.ndim(dropout) > 1:
        raise ValueError(
            f"dropout must be one rate, or a flat sequence of rates (one per "
            f"hidden layer); got an array of shape {np.shape(dropout)}."
        )
    rates = list(np.ravel(np.asarray(dropout, dtype=object)))
    for p in rates:
        if (
            isinstance(p, (bool, np.bool_))
            or not isinstance(p, Real)
            or not 0 <= p < 1
        ):
            _invalid_rate(est, p, dropout)
    if len(rates) != n_hidden:
        raise ValueError(
            f"dropout has {len(rates)} rates but hidden_layer_sizes="
            f"{est.hidden_layer_sizes!r} has {n_hidden} hidden layers: give "
            "one rate per hidden layer, or a single rate for all of them."
        )
    return tuple(float(p) for p in rates)


def _invalid_rate(est, rate, dropout):
    raise InvalidParameterError(
        f"The 'dropout' parameter of {type(est).__name__} must be a float in "
        "[0, 1) or a sequence of such floats, one per hidden layer. Got "
        f"{rate!r} in {dropout!r} instead."
    )


def check_params_beyond_sklearn(est, n_hidden):
    """Check the per-layer activations, the dropout rates (refused with
    L-BFGS) and the scorer at the start of a fit; warn when the scorer
    would go unused."""
    _hidden_activations(est, n_hidden)
    if any(dropout_rates(est, n_hidden)) and est.solver == "lbfgs":
        raise ValueError(
            "dropout is not supported with solver='lbfgs': dropout makes "
            "every evaluation of the objective random, and L-BFGS needs a "
            "deterministic full-batch objective. Use solver='adam' or "
            "'sgd', or dropout=0.0."
        )
    if est.scoring is not None:
        _check_response_method(est, _scorer(est))
        _warn_if_scoring_unused(est)
    _check_training_options(est)


def _check_training_options(est):
    """``weight_decay`` is a step of 'sgd' and 'adam' (L-BFGS has
    ``alpha``); ``restore_best='validation_score'`` needs the validation
    split of early stopping."""
    if getattr(est, "weight_decay", 0.0) and est.solver == "lbfgs":
        raise ValueError(
            "weight_decay is not supported with solver='lbfgs': it is a "
            "step of the stochastic optimizers, decoupled from the "
            "gradient. Use alpha (the L2 penalty) with 'lbfgs', or "
            "solver='adam' or 'sgd'."
        )
    if (getattr(est, "restore_best", "auto") == "validation_score"
            and not (est.early_stopping and est.solver != "lbfgs")):
        raise ValueError(
            "restore_best='validation_score' needs a validation score: set "
            "early_stopping=True with solver='adam' or 'sgd' (fit, not "
            "partial_fit), or use restore_best='training_loss'."
        )


def _check_response_method(est, scorer):
    """A scorer that needs a method the estimator lacks (``neg_log_loss``
    needs ``predict_proba``, which a regressor has not) is refused now,
    not after the first epoch."""
    methods = getattr(scorer, "_response_method", None)
    if methods is None:  # a plain callable: only calling it tells
        return
    methods = (methods,) if isinstance(methods, str) else tuple(methods)
    if not any(hasattr(est, m) for m in methods):
        raise ValueError(
            f"scoring={est.scoring!r} is not a valid scorer for "
            f"{type(est).__name__}: it needs {' or '.join(methods)}, which "
            f"{type(est).__name__} does not have."
        )


def _warn_if_scoring_unused(est):
    """``scoring`` chooses the early-stopping score only: say so when this
    fit makes no validation split."""
    if est.solver == "lbfgs":
        why = "solver='lbfgs' does not stop early"
    elif not est.early_stopping:
        why = "early_stopping=False"
    else:
        return  # used (partial_fit refuses early_stopping=True)
    warn(
        f"scoring={est.scoring!r} is ignored: it only chooses the "
        f"validation score of early stopping, and this fit has none ({why}). "
        "Set early_stopping=True with solver='adam' or 'sgd' to stop on it, "
        "or leave scoring=None.",
        UserWarning,
        module=__name__,
    )


def dropout_seed(random_state):
    """The seed of a fit's dropout masks, an integer in ``[0, 2**64)``
    derived from ``random_state``.

    The seed is a hash (:class:`numpy.random.SeedSequence`) of the
    RandomState's current state, which is *not* advanced: the initial
    weights, the validation split and the shuffles of a fit are those of
    the same fit without dropout, and only the masks are added.  (A
    RandomState over another bit generator than MT19937 gives up one draw
    for the seed instead.)  The masks themselves are hashes of the seed,
    the epoch, the layer, the unit and the row's values (see
    :mod:`skbackprop._engine.masks`).
    """
    state = random_state.get_state(legacy=False)
    inner = state.get("state", {})
    if state.get("bit_generator") == "MT19937" and "key" in inner:
        entropy = [*np.asarray(inner["key"]).tolist(), int(inner["pos"])]
    else:  # pragma: no cover - RandomState(PCG64()) and the like
        entropy = int(random_state.randint(np.iinfo(np.int32).max))
    return int(np.random.SeedSequence(entropy).generate_state(1, np.uint64)[0])


def _scorer(est):
    try:
        return check_scoring(est, scoring=est.scoring)
    except (ValueError, TypeError) as exc:
        raise ValueError(
            f"scoring={est.scoring!r} is not a valid scorer: {exc}"
        ) from exc


def scoring_key(scoring):
    """A string that names the metric of ``scoring`` (None: the default
    metric), stored with the validation scores so that a warm start under
    another metric starts their history over.  A named scorer is its name;
    a scorer object whose repr says what it computes (``make_scorer``'s) is
    that repr; a function is its module and qualified name."""
    if scoring is None or isinstance(scoring, str):
        return scoring
    text = repr(scoring)
    if " at 0x" not in text:
        return text
    named = scoring if hasattr(scoring, "__qualname__") else type(scoring)
    return f"{named.__module__}.{named.__qualname__}"


def scorer_validation_score(est, X, y, sample_weight):
    """The early-stopping score of ``est`` by its ``scoring``, on the
    validation split (already validated arrays), computed on the host."""
    scorer, on_host = _scorer(est), nullcontext()
    if is_device_array(est.coefs_[0]):
        est, X, y, sample_weight = _on_host(est, X, y, sample_weight)
        on_host = config_context(array_api_dispatch=False)
    with warnings.catch_warnings(), on_host:
        # the split is an array even when fit got a DataFrame
        warnings.filterwarnings(
            "ignore", message="X does not have valid feature names"
        )
        try:
            if sample_weight is None or not _takes_sample_weight(scorer):
                score = scorer(est, X, y)
            else:
                score = scorer(est, X, y, sample_weight=sample_weight)
        except ValueError:
            if not all_finite(est._forward_pass_fast(X, check_input=False)):
                return np.nan  # as the default score of a diverging model
            raise
    return _number(est, score)


def _on_host(est, X, y, sample_weight):
    """A copy of ``est`` with its weights on the host (the rest shared), and
    the validation split on the host."""
    twin = type(est).__new__(type(est))
    vars(twin).update(vars(est))
    twin.coefs_ = [to_host(c) for c in est.coefs_]
    twin.intercepts_ = [to_host(b) for b in est.intercepts_]
    return twin, to_host(X), to_host(y), to_host(sample_weight)


def _number(est, score):
    """A scorer's result as a float; anything but a number (a string such
    as "0.5" included) is refused."""
    if not isinstance(score, (str, bytes)):
        try:
            return float(score)
        except (TypeError, ValueError):
            pass
    raise ValueError(
        f"scoring={est.scoring!r} returned {score!r}: a scorer must return "
        "a number (greater is better)."
    )


def _takes_sample_weight(scorer):
    """Whether ``scorer`` accepts ``sample_weight`` (scikit-learn's scorers
    do; a plain ``scorer(estimator, X, y)`` is called without it)."""
    try:
        parameters = inspect.signature(scorer).parameters.values()
    except (TypeError, ValueError):  # no signature to read: try without
        return False
    return any(p.name == "sample_weight" or p.kind is p.VAR_KEYWORD
               for p in parameters)
