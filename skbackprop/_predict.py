"""The prediction side of the estimators: the forward pass of a fitted
model, in the namespace and on the device of its fit, with the checks that
scikit-learn's ``predict`` makes (and a shortcut for a few rows)."""

import copy
import functools

import numpy as np
from sklearn.utils.validation import check_is_fitted, validate_data

from . import _array_api as array_api
from ._engine import Network, get_loss
from ._engine import predict as network_output
from ._engine.namespace import copy_array

__all__ = ["PredictMixin"]


def _all_finite(array):
    ns = array_api.namespace_of(array)
    return np.isfinite(array).all() if ns is None else ns.all_finite(array)


@functools.lru_cache(maxsize=64)
def _predict_network(layer_units, activation, out_activation, dtype):
    """The engine network of a fitted model, built once per architecture
    (a prediction needs its structure only, not its weights)."""
    loss = get_loss(out_activation=out_activation)
    return Network(layer_units, activation, loss.name, dtype)


_NOT_FITTED = (
    "This %(name)s instance is not fitted yet. Call 'fit' with appropriate "
    "arguments before using this estimator."
)
_HAND_SET_WEIGHTS = (
    " Its coefs_ and intercepts_ were set by hand: call 'fit' with "
    "warm_start=True (or 'partial_fit') to train from them before predicting."
)


def _moved_copy(converter, array):
    """``array`` converted, in memory of its own (a weight set by hand may
    be a list: it is copied as it is)."""
    if not hasattr(array, "__dlpack__"):
        return copy.deepcopy(array)
    return copy_array(converter(array))


class PredictMixin:
    """Forward passes, output checks and the namespace plumbing of the
    estimators (``coefs_``, ``intercepts_``, ``out_activation_`` fitted)."""

    def __deepcopy__(self, memo):
        twin = type(self).__new__(type(self))
        memo[id(self)] = twin
        vars(twin).update(copy.deepcopy(vars(self), memo))
        return twin

    @property
    def _first_coef(self):
        """``coefs_[0]``: the array whose namespace the fit used."""
        return self.coefs_[0]

    def __sklearn_array_api_convert__(self, converter):
        """A copy whose weights and optimizer state ``converter`` moved (the
        hook of scikit-learn's ``move_estimator_to``).

        Parameters
        ----------
        converter : callable ``converter(array) -> array``
            scikit-learn's ``move_to`` to the target namespace and device.

        Returns
        -------
        estimator : same type as self
            A copy sharing no memory with this estimator.  Labels
            (``classes_``, the label encoding) and the other attributes stay
            on the host, as a fit on the target device would leave them.
        """
        twin = type(self).__new__(type(self))
        state = dict(vars(self))
        moved = {}
        for name in ("coefs_", "intercepts_"):
            if name in state:
                moved[name] = [_moved_copy(converter, a) for a in state.pop(name)]
        optimizer = state.pop("_optimizer", None)
        if optimizer is not None:
            moved["_optimizer"] = optimizer.__sklearn_array_api_convert__(converter)
        # callbacks are shared, as sklearn.base.clone shares them
        callbacks = state.pop("_skl_callbacks", None)
        vars(twin).update(copy.deepcopy(state, {id(self): twin}))
        vars(twin).update(moved)
        if callbacks is not None:
            twin._skl_callbacks = callbacks
        return twin

    def _check_fitted_input(self, X, method):
        """The namespace of the fit (None: numpy) after checking that the
        model is fitted and that ``X`` is in that namespace."""
        if not hasattr(self, "n_outputs_"):
            msg = _NOT_FITTED
            if hasattr(self, "coefs_"):
                msg += _HAND_SET_WEIGHTS
            check_is_fitted(self, "n_outputs_", msg=msg)
        return array_api.check_fitted_namespace(self, X, method)

    def _checked_score(self, X, y, sample_weight, score):
        """``score(X, y, sample_weight)`` (the mixin's ``score``), with the
        checks of :meth:`_check_fitted_input` made first so that their
        errors name ``score()``, not the ``predict()`` it calls."""
        self._check_fitted_input(X, "score")
        # predictions near the float's limit (a poisson rate is capped just
        # below it) overflow the metric's squares: R^2 is then -inf, quietly
        with np.errstate(over="ignore"):
            return score(X, y, sample_weight=sample_weight)

    def _forward_pass_fast(self, X, check_input=True, method="predict"):
        """Network output for X (no checks on the result), in the namespace
        and on the device of the fit."""
        if check_input:
            ns = self._check_fitted_input(X, method)
            X = self._validate_for_predict(array_api.detached(ns, X), ns)
        else:
            ns = array_api.namespace_of(self.coefs_[0])
        # overflow in exp saturates the activations, as intended: silent on
        # every namespace (array_api_strict computes with numpy)
        with np.errstate(all="ignore"):
            return network_output(self._network(), self.coefs_, self.intercepts_,
                                  X, ns)

    def _network(self):
        """The engine network of the fitted model (its layers and their
        registry entries; the weights are ``coefs_`` and ``intercepts_``)."""
        activation = self.activation
        return _predict_network(
            tuple(self.coefs_[0].shape[:1]) + tuple(c.shape[1] for c in self.coefs_),
            activation if isinstance(activation, str) else tuple(activation),
            self.out_activation_, array_api.host_dtype(self.coefs_[0]),
        )

    def _validate_for_predict(self, X, ns):
        """``validate_data(reset=False)``, with a shortcut for the common
        case of a serving loop: a small float ndarray of the right width
        with finite values, from a model fitted without feature names.
        Every check sklearn makes still applies to it; only their cost goes
        (it dominates the prediction of a few rows)."""
        if (
            type(X) is np.ndarray
            and ns is None
            and X.ndim == 2
            and 0 < X.shape[0] <= 64
            and X.shape[1] == self.n_features_in_
            and X.dtype in (np.float64, np.float32)
            and not hasattr(self, "feature_names_in_")
            and np.isfinite(X).all()
        ):
            return X
        return validate_data(
            self, X, accept_sparse=["csr", "csc"],
            dtype=array_api.float_dtypes(ns), reset=False,
        )

    def _checked_output(self, X, method="predict"):
        out = self._forward_pass_fast(X, method=method)
        if not _all_finite(out):
            raise ValueError(
                "The network's output is not finite for some samples: the "
                "input probably contains values too large for the model "
                "(scale it, e.g. with StandardScaler)."
            )
        return out

    def _score_with_function(self, X, y, sample_weight, score_function):
        if isinstance(y, np.ndarray):  # labels on the host: weights too
            sample_weight = array_api.to_host(sample_weight)
        if sample_weight is not None and not np.any(array_api.to_host(sample_weight)):
            return np.nan  # a validation split of weight zero: no score
        y_pred = self._forward_pass_fast(X, check_input=False)
        if not _all_finite(y_pred):
            return np.nan
        return score_function(y, self._decode(y_pred), sample_weight=sample_weight)

    def _proba(self, X, method):
        y_pred = self._checked_output(X, method)
        ns = array_api.namespace_of(y_pred)
        xp = np if ns is None else ns.xp
        if self.out_activation_ == "logistic":
            # the logistic saturates to exactly 0 or 1 beyond |z| ~ 37; keep
            # independent probabilities strictly inside (0, 1), as the loss
            # does, so they and their logarithms stay meaningful
            eps = float(xp.finfo(y_pred.dtype).eps)
            y_pred = xp.clip(y_pred, eps, 1 - eps)
        if self.n_outputs_ == 1:
            y_pred = xp.reshape(y_pred, (-1,))
        if y_pred.ndim == 1:
            return xp.stack([1 - y_pred, y_pred], axis=1)
        return y_pred
