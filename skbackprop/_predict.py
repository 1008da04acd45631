"""The prediction side of the estimators: the forward pass of a fitted
model, in the namespace and on the device of its fit, with the checks that
scikit-learn's ``predict`` makes (and a shortcut for a few rows)."""

import copy
import functools

import numpy as np
from sklearn.utils.validation import check_is_fitted, validate_data

from . import _array_api as array_api
from ._engine import Network, get_loss, xp_predict

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

    def _forward_pass_fast(self, X, check_input=True, method="predict"):
        """Network output for X (no checks on the result), in the namespace
        and on the device of the fit."""
        if not hasattr(self, "coefs_"):
            check_is_fitted(self)
        if check_input:
            ns = array_api.check_fitted_namespace(self, X, method)
            X = self._validate_for_predict(array_api.detached(ns, X), ns)
        else:
            ns = array_api.namespace_of(self.coefs_[0])
        activation = self.activation
        network = _predict_network(
            tuple(self.coefs_[0].shape[:1]) + tuple(c.shape[1] for c in self.coefs_),
            activation if isinstance(activation, str) else tuple(activation),
            self.out_activation_, array_api.host_dtype(self.coefs_[0]),
        )
        if ns is not None:
            return xp_predict(ns, network, self.coefs_, self.intercepts_, X)
        with np.errstate(all="ignore"):
            return network.predict(self.coefs_, self.intercepts_, X)

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
