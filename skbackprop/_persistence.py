"""Checks of a loaded state (``__setstate__``: pickle, joblib, skops).

The pickled state of an estimator holds only strings, numbers, lists and
arrays (the optimizer as a dict, see ``_BaseBackpropMLP.__getstate__``), so
that skops needs to trust nothing but the estimator class.  The other side
of that promise: whatever a file holds is checked here, at load time, and a
state that is not a valid state of this class -- another estimator's,
scikit-learn's MLP's, or a damaged one -- raises a ValueError naming the
problem instead of failing later at predict or fit.
"""

import inspect

import numpy as np
from sklearn.base import ClassifierMixin

from ._engine import ACTIVATIONS, SGD, Adam, optimizer_from_state

__all__ = ["load_state"]

_OUT_ACTIVATIONS = {True: ("logistic", "softmax"), False: ("identity", "exp")}


def load_state(cls, state):
    """The state to set on a new ``cls`` instance (its optimizer rebuilt),
    or a ValueError whose message says what is wrong with it."""
    name = cls.__name__
    if not isinstance(state, dict):
        raise ValueError(
            f"Cannot load a {name}: its state must be a dict, got "
            f"{type(state).__name__}."
        )
    _check_origin(cls, state)
    state = _with_new_parameters(cls, state)
    if "n_outputs_" not in state:  # unfitted (maybe hand-set coefs_)
        return state
    try:
        n_params = _check_weights(state)
        _check_activations(cls, state)
        opt = state.get("_optimizer")
        if isinstance(opt, dict):
            state = dict(state, _optimizer=optimizer_from_state(opt, n_params))
    except ValueError as exc:
        raise ValueError(f"Cannot load this {name} state: {exc}") from None
    return state


def _with_new_parameters(cls, state):
    """The state with the parameters added since it was saved at their
    defaults (each reproduces the behaviour before it existed), so that an
    older file's model still answers ``get_params`` and ``clone``."""
    params = inspect.signature(cls.__init__).parameters.values()
    missing = {p.name: p.default for p in params
               if p.name != "self" and p.name not in state
               and p.default is not inspect.Parameter.empty}
    return dict(state, **missing) if missing else state


def _check_origin(cls, state):
    """A state of this class: not scikit-learn's MLP, not the other
    estimator of this package."""
    name = cls.__name__
    opt = state.get("_optimizer")
    if "_sklearn_version" in state or not (
        opt is None or isinstance(opt, (dict, SGD, Adam))
    ):
        raise ValueError(
            f"Cannot load this state into a {name}: it is the state of a "
            "scikit-learn estimator (such as MLPClassifier or MLPRegressor), "
            f"not of a {name}. Fit a {name} instead."
        )
    classifier = issubclass(cls, ClassifierMixin)
    parameter = "class_weight" if classifier else "loss"
    fitted = "n_outputs_" in state
    if parameter not in state or fitted and ("classes_" in state) != classifier:
        this, other = ("classifier", "regressor") if classifier else (
            "regressor", "classifier")
        raise ValueError(
            f"Cannot load this state into a {name}: it is not a {this}'s "
            f"state (a {other}'s?)."
        )


def _check_weights(state):
    """``coefs_``/``intercepts_`` that chain into a network; returns its
    number of parameters."""
    coefs, intercepts = state.get("coefs_"), state.get("intercepts_")
    if not isinstance(coefs, (list, tuple)) or not coefs:
        raise ValueError("a fitted state needs coefs_, a list of arrays.")
    if not isinstance(intercepts, (list, tuple)) or len(intercepts) != len(coefs):
        raise ValueError("intercepts_ must be a list of one array per coefs_.")
    for W, b in zip(coefs, intercepts):
        if not (isinstance(W, np.ndarray) and W.ndim == 2 and W.dtype.kind == "f"
                and isinstance(b, np.ndarray) and b.dtype.kind == "f"):
            raise ValueError("coefs_ / intercepts_ must hold float arrays.")
    shapes = [W.shape for W in coefs]
    chained = all(a[1] == b[0] for a, b in zip(shapes, shapes[1:]))
    if not chained or [b.shape for b in intercepts] != [(s[1],) for s in shapes]:
        raise ValueError(
            f"coefs_ shapes {shapes} and intercepts_ shapes "
            f"{[b.shape for b in intercepts]} do not chain into a network."
        )
    expected = {"n_layers_": len(coefs) + 1, "n_outputs_": shapes[-1][1],
                "n_features_in_": shapes[0][0]}
    for key, value in expected.items():
        if key in state and state[key] != value:
            raise ValueError(f"{key}={state[key]!r} but coefs_ imply {value}.")
    return sum(W.size for W in coefs) + sum(b.size for b in intercepts)


def _check_activations(cls, state):
    activation = state.get("activation")
    one_per_layer = isinstance(activation, (list, tuple)) or (
        isinstance(activation, np.ndarray) and activation.ndim == 1)
    names = list(activation) if one_per_layer else [activation]
    for a in names:
        if not isinstance(a, str) or a not in ACTIVATIONS:
            raise ValueError(
                f"unknown activation {a!r}; expected one of {sorted(ACTIVATIONS)}."
            )
    allowed = _OUT_ACTIVATIONS[issubclass(cls, ClassifierMixin)]
    if state.get("out_activation_") not in allowed:
        raise ValueError(
            f"out_activation_={state.get('out_activation_')!r} is not one of "
            f"{list(allowed)}."
        )
