"""The estimators' parameters beyond scikit-learn's MLP: one activation per
hidden layer (``activation`` as a sequence), ``dropout`` and the
early-stopping ``scoring``.

Their defaults (a single activation name, ``dropout=0.0``,
``scoring=None``) leave every computation and every random draw of a fit
exactly as without them.  The engine receives plain values: activation
names, dropout rates and the masks' seed.
"""

import inspect
import warnings
from numbers import Real

import numpy as np
from sklearn.metrics import check_scoring
from sklearn.utils._param_validation import InvalidParameterError

from ._engine import ACTIVATIONS
from ._predict import _all_finite as all_finite

__all__ = [
    "check_extension_params",
    "dropout_seed",
    "dropout_rates",
    "scorer_validation_score",
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


def check_extension_params(est, n_hidden):
    """Check the per-layer activations, the dropout rates (refused with
    L-BFGS) and the scorer at the start of a fit."""
    _hidden_activations(est, n_hidden)
    if any(dropout_rates(est, n_hidden)) and est.solver == "lbfgs":
        raise ValueError(
            "dropout is not supported with solver='lbfgs': dropout makes "
            "every evaluation of the objective random, and L-BFGS needs a "
            "deterministic full-batch objective. Use solver='adam' or "
            "'sgd', or dropout=0.0."
        )
    if est.scoring is not None:
        _scorer(est)


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


def scorer_validation_score(est, X, y, sample_weight):
    """The early-stopping score of ``est`` by its ``scoring``, on the
    validation split (already validated arrays)."""
    scorer = _scorer(est)
    with warnings.catch_warnings():
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
    try:
        return float(score)
    except (TypeError, ValueError):
        raise ValueError(
            f"scoring={est.scoring!r} returned {score!r}: a scorer must return "
            "a number (greater is better)."
        ) from None


def _takes_sample_weight(scorer):
    """Whether ``scorer`` accepts ``sample_weight`` (scikit-learn's scorers
    do; a plain ``scorer(estimator, X, y)`` is called without it)."""
    try:
        parameters = inspect.signature(scorer).parameters.values()
    except (TypeError, ValueError):  # no signature to read: try without
        return False
    return any(p.name == "sample_weight" or p.kind is p.VAR_KEYWORD
               for p in parameters)
