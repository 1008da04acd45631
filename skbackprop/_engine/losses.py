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

As activations (:mod:`.activations`), each :class:`Loss` entry holds every
backend's form beside the numpy one: the per-sample losses on an array-API
namespace (``xp_per_sample``, in the numpy form's order of arithmetic) and
one output's term of the per-sample loss as a plain Python function of
floats for the compiled epoch of tiny networks (``scalar``) with its number
in that epoch's switch (``tiny_code``).  A form left out is refused by name
(the array API) or makes tiny networks train on the numpy path.
"""

import math

import numpy as np
from scipy.special import xlogy

__all__ = ["LOSSES", "Loss", "get_loss", "smooth_targets"]


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


def _squared_error_xp(ns, c, A, Y):
    d = A - Y
    return 0.5 * ns.xp.sum(d * d, axis=1)


def _log_loss(A, Y, sample_weight):
    # the clipped probabilities are positive, so y log p needs no xlogy
    log_p = _clip_prob(A)
    np.log(log_p, out=log_p)
    log_p *= Y  # in place: Y may be uint8 indicators
    if sample_weight is None:
        return -float(log_p.sum())
    return -_weighted_sum(log_p.sum(axis=1), sample_weight)


def _log_loss_xp(ns, c, A, Y):
    xp = ns.xp
    P = xp.clip(A, c.eps, 1.0 - c.eps)
    return -xp.sum(Y * xp.log(P), axis=1)


def _binary_log_loss(A, Y, sample_weight):
    P = _clip_prob(A)
    per_sample = -(xlogy(Y, P) + xlogy(1 - Y, 1 - P)).sum(axis=1)
    return _weighted_sum(per_sample, sample_weight)


def _binary_log_loss_xp(ns, c, A, Y):
    xp = ns.xp
    P = xp.clip(A, c.eps, 1.0 - c.eps)
    terms = Y * xp.log(P)
    terms = terms + (1.0 - Y) * xp.log(1.0 - P)
    return -xp.sum(terms, axis=1)


def _poisson(A, Y, sample_weight):
    # half Poisson deviance incl. the constant xlogy(y, y) - y, as sklearn
    rate = np.maximum(A, np.finfo(A.dtype).tiny)
    per_sample = (xlogy(Y, Y) - xlogy(Y, rate) - Y + rate).sum(axis=1)
    return _weighted_sum(per_sample, sample_weight)


def _poisson_xp(ns, c, A, Y):
    xp = ns.xp
    rate = xp.maximum(A, c.tiny)
    y_log_y = xp.where(Y > 0, Y * xp.log(xp.where(Y > 0, Y, c.one)), c.zero)
    return xp.sum(y_log_y - Y * xp.log(rate) - Y + rate, axis=1)


# one output's term of the per-sample loss, for the compiled epoch
def _xlogy_scalar(x, y):
    if x == 0.0 and y == y:
        return 0.0
    return x * math.log(y)


def _squared_error_scalar(a, y, eps, tiny):
    return 0.5 * ((a - y) * (a - y))


def _log_loss_scalar(a, y, eps, tiny):
    return -(y * math.log(min(max(a, eps), 1.0 - eps)))


def _binary_log_loss_scalar(a, y, eps, tiny):
    p = min(max(a, eps), 1.0 - eps)
    return -(_xlogy_scalar(y, p) + _xlogy_scalar(1.0 - y, 1.0 - p))


def _poisson_scalar(a, y, eps, tiny):
    rate = max(a, tiny)
    return _xlogy_scalar(y, y) - _xlogy_scalar(y, rate) - y + rate


def _fused_delta(A, Y, sample_weight, scale, out):
    """``out = s_i * (a_i - y_i) * scale`` -- the canonical-link output delta."""
    np.subtract(A, Y, out=out)
    if sample_weight is None:
        out *= scale
    else:
        out *= (sample_weight * scale)[:, np.newaxis]
    return out


class Loss:
    """A loss function with its canonical output activation, in every
    backend's form.

    Parameters
    ----------
    name : str
    value : callable ``value(A, Y, sample_weight) -> float``
        Weighted sum over the rows of the per-sample losses.
    out_activation : str
        Name of the output activation whose pairing makes the output delta
        ``a - y``.
    xp_per_sample : callable ``(ns, c, A, Y) -> array``, optional
        The per-sample losses on an array-API namespace (``ns`` an
        :class:`.namespace.ArrayNamespace`, ``c`` its 0-d constants).  None: the
        array API refuses the loss.
    tiny_code : int, optional
        Its number in the compiled epoch's switch; None: tiny networks
        train on the numpy path.
    scalar : callable ``scalar(a, y, eps, tiny) -> float``, optional
        With ``tiny_code``: one output's term of the per-sample loss (its
        1/2 included), as a plain Python function of floats that numba can
        compile; ``eps`` clips probabilities, ``tiny`` bounds rates below.
    """

    __slots__ = ("name", "value", "out_activation", "_xp_per_sample",
                 "tiny_code", "scalar")

    def __init__(self, name, value, out_activation, *, xp_per_sample=None,
                 tiny_code=None, scalar=None):
        self.name = name
        self.value = value
        self.out_activation = out_activation
        self._xp_per_sample = xp_per_sample
        self.tiny_code = tiny_code
        self.scalar = scalar

    @staticmethod
    def delta(A, Y, sample_weight, scale, out):
        """Fused output delta ``dL/dz_L``, written into ``out``."""
        return _fused_delta(A, Y, sample_weight, scale, out)

    def xp_sum(self, ns, c, A, Y, sw):
        """``sum_i s_i l_i`` as a 0-d array of the namespace ``ns``."""
        self.require_array_api()
        per_sample = self._xp_per_sample(ns, c, A, Y)
        xp = ns.xp
        return xp.sum(per_sample) if sw is None else xp.sum(per_sample * sw)

    def require_array_api(self):
        """Raise NotImplementedError, naming the loss, unless it has an
        array-API form."""
        if self._xp_per_sample is None:
            raise NotImplementedError(
                f"loss {self.name!r} has no array-API version yet; pass "
                "numpy arrays (or leave array_api_dispatch off) to use it."
            )

    def __repr__(self):
        return f"Loss({self.name!r})"


LOSSES = {
    loss.name: loss
    for loss in (
        Loss("squared_error", _squared_error, "identity",
             xp_per_sample=_squared_error_xp, tiny_code=0,
             scalar=_squared_error_scalar),
        Loss("log_loss", _log_loss, "softmax",
             xp_per_sample=_log_loss_xp, tiny_code=1,
             scalar=_log_loss_scalar),
        Loss("binary_log_loss", _binary_log_loss, "logistic",
             xp_per_sample=_binary_log_loss_xp, tiny_code=2,
             scalar=_binary_log_loss_scalar),
        Loss("poisson", _poisson, "exp",
             xp_per_sample=_poisson_xp, tiny_code=3,
             scalar=_poisson_scalar),
    )
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


def smooth_targets(loss, Y, epsilon, dtype=np.float64):
    r"""Label smoothing: the class indicators ``Y`` as the targets
    :math:`y (1 - \epsilon) + \epsilon / K` of ``loss``.

    For ``log_loss`` (softmax) :math:`K` is the number of classes, the
    columns of ``Y``; for ``binary_log_loss`` (logistic: binary and
    multilabel targets) each output is a two-class problem, :math:`K = 2`,
    so a positive's target is :math:`1 - \epsilon / 2` and a negative's
    :math:`\epsilon / 2` -- what the two-class softmax with smoothed
    targets gives.  The fused output delta ``a - y`` stays the exact
    gradient of the cross-entropy against these soft targets, and the loss
    reported is that cross-entropy (which is not 0 at its minimum: it
    includes the targets' entropy).

    Parameters
    ----------
    loss : Loss
    Y : ndarray or array of another namespace, shape (n, n_outputs)
        0/1 indicators (any integer or float dtype).
    epsilon : float
        In ``[0, 1)``.
    dtype : numpy dtype, default=np.float64
        The result's dtype for numpy ``Y`` (another namespace's ``Y`` is
        already in the model's float dtype and keeps it).

    Returns
    -------
    A new array (``Y`` is not modified).
    """
    if loss.name == "log_loss":
        n_classes = Y.shape[1]
    elif loss.name == "binary_log_loss":
        n_classes = 2
    else:
        raise ValueError(
            f"label smoothing needs a classification loss, not {loss.name!r}."
        )
    if not isinstance(Y, np.ndarray):
        return Y * (1.0 - epsilon) + epsilon / n_classes
    smoothed = Y.astype(dtype)  # a copy
    smoothed *= 1.0 - epsilon
    smoothed += epsilon / n_classes
    return smoothed
