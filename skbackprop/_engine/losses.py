"""Loss functions with their fused output deltas.

Each loss is paired with the output activation that is its canonical link,
so the derivative of the loss with respect to the output pre-activation
``z_L`` collapses to ``a_L - y``:

=================  ==================  ==========================================
loss               output activation   per-sample loss ``l_i``
=================  ==================  ==========================================
``squared_error``  identity            ``1/2 sum_k (a_ik - y_ik)^2``
``log_loss``       softmax             ``-sum_k y_ik log a_ik``
``binary_log_loss``  logistic          ``-sum_k [y log a + (1 - y) log(1 - a)]``
``poisson``        exp                 ``sum_k [y log(y / a) - y + a]``
=================  ==================  ==========================================

All losses share one signature.  ``value(A, Y, sample_weight)`` returns the
*weighted sum* ``sum_i s_i l_i`` over the rows given, and
``delta(A, Y, sample_weight, scale, out)`` writes ``s_i (a_i - y_i) * scale``
into ``out``.  The network divides by the sample-weight sum exactly once,
through ``scale = 1 / sum_i s_i``, so that the data term of the objective is a
weighted *mean over samples* of a *sum over outputs* -- the loss and its
gradient always agree, for any number of outputs.

Probabilities are clipped to ``[eps, 1 - eps]`` before the logarithm (as
scikit-learn does), so no ``log(0)`` is ever taken.
"""

import numpy as np
from scipy.special import xlogy

__all__ = ["LOSSES", "Loss", "get_loss"]


def _weighted_sum(per_sample, sample_weight):
    if sample_weight is None:
        return float(per_sample.sum())
    return float(np.dot(per_sample, sample_weight))


def _clip_prob(A):
    eps = np.finfo(A.dtype).eps
    P = np.maximum(A, eps)
    return np.minimum(P, 1 - eps, out=P)


def _squared_error(A, Y, sample_weight):
    diff = A - Y
    per_sample = np.einsum("ij,ij->i", diff, diff)
    return 0.5 * _weighted_sum(per_sample, sample_weight)


def _log_loss(A, Y, sample_weight):
    # the clipped probabilities are positive, so y log p needs no xlogy
    log_p = _clip_prob(A)
    np.log(log_p, out=log_p)
    log_p *= Y  # in place: Y may be uint8 indicators
    if sample_weight is None:
        return -float(log_p.sum())
    return -_weighted_sum(log_p.sum(axis=1), sample_weight)


def _binary_log_loss(A, Y, sample_weight):
    P = _clip_prob(A)
    per_sample = -(xlogy(Y, P) + xlogy(1 - Y, 1 - P)).sum(axis=1)
    return _weighted_sum(per_sample, sample_weight)


def _poisson(A, Y, sample_weight):
    # half Poisson deviance incl. the constant xlogy(y, y) - y, as sklearn
    rate = np.maximum(A, np.finfo(A.dtype).tiny)
    per_sample = (xlogy(Y, Y) - xlogy(Y, rate) - Y + rate).sum(axis=1)
    return _weighted_sum(per_sample, sample_weight)


def _fused_delta(A, Y, sample_weight, scale, out):
    """``out = s_i * (a_i - y_i) * scale`` -- the canonical-link output delta."""
    np.subtract(A, Y, out=out)
    if sample_weight is None:
        out *= scale
    else:
        out *= (sample_weight * scale)[:, np.newaxis]
    return out


class Loss:
    """A loss function with its canonical output activation.

    Parameters
    ----------
    name : str
    value : callable ``value(A, Y, sample_weight) -> float``
        Weighted sum over the rows of the per-sample losses.
    out_activation : str
        Name of the output activation whose pairing makes the output delta
        ``a - y``.
    """

    __slots__ = ("name", "value", "out_activation")

    def __init__(self, name, value, out_activation):
        self.name = name
        self.value = value
        self.out_activation = out_activation

    @staticmethod
    def delta(A, Y, sample_weight, scale, out):
        """Fused output delta ``dL/dz_L``, written into ``out``."""
        return _fused_delta(A, Y, sample_weight, scale, out)

    def __repr__(self):
        return f"Loss({self.name!r})"


LOSSES = {
    "squared_error": Loss("squared_error", _squared_error, "identity"),
    "log_loss": Loss("log_loss", _log_loss, "softmax"),
    "binary_log_loss": Loss("binary_log_loss", _binary_log_loss, "logistic"),
    "poisson": Loss("poisson", _poisson, "exp"),
}
"""Losses keyed by name."""

_LOSS_FOR_OUTPUT = {loss.out_activation: loss for loss in LOSSES.values()}


def get_loss(name=None, out_activation=None):
    """Look up a loss by name, or the canonical loss of an output activation."""
    if name is None:
        return _LOSS_FOR_OUTPUT[out_activation]
    try:
        return LOSSES[name]
    except KeyError:
        raise ValueError(
            f"Unknown loss {name!r}; expected one of {sorted(LOSSES)}."
        ) from None
