"""TEMPORARY (dropped by the coordinator at the merge with the "registry"
branch, which defines these on the registry entries): the array-API forms
of the activations and losses, attached to the registry's classes under
the registry's fixed interface -- ``act.xp_forward(ns, c, z)``,
``act.xp_backward(ns, delta, a, z)``, ``loss.xp_sum(ns, c, A, Y, sw)`` --
where the classes lack them.  The bodies are xp.py's, unchanged."""

import math

from .activations import Activation
from .losses import Loss

_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def _activate(ns, c, name, z):
    """``f(z)`` for any activation, hidden or output."""
    xp = ns.xp
    if name == "relu":
        return xp.maximum(z, c.zero)  # NaN propagates, as np.maximum
    if name == "tanh":
        return xp.tanh(z)
    if name == "logistic":
        return 1.0 / (1.0 + xp.exp(-z))
    if name == "leaky_relu":
        return xp.where(z < 0, z * 0.01, z)
    if name == "elu":
        return xp.where(z < 0, xp.expm1(xp.minimum(z, c.zero)), z)
    if name == "softplus":
        return xp.logaddexp(z, c.zero)
    if name == "gelu":
        return z * ns.ndtr(z)
    if name == "softmax":
        e = xp.exp(z - xp.max(z, axis=1, keepdims=True))
        return e / xp.sum(e, axis=1, keepdims=True)
    if name == "exp":
        return xp.exp(xp.minimum(z, c.exp_cap))
    if name == "identity":
        return z
    raise _no_xp_version(name)


def _derivative_times(ns, name, delta, a, z):
    """``delta * f'`` at the layer, from its output ``a`` (``z`` for GELU),
    in the numpy engine's order of operations."""
    xp = ns.xp
    if name == "relu":
        return delta * xp.astype(a > 0, delta.dtype)
    if name == "tanh":
        return delta - delta * a * a
    if name == "logistic":
        d = delta * a
        return d - d * a
    if name == "leaky_relu":
        return xp.where(a < 0, delta * 0.01, delta)
    if name == "elu":
        return xp.where(a < 0, delta * (a + 1.0), delta)
    if name == "softplus":
        return delta * -xp.expm1(-a)
    if name == "gelu":
        return delta * (xp.exp(-0.5 * z * z) * z * _INV_SQRT_2PI + ns.ndtr(z))
    if name == "identity":
        return delta
    raise _no_xp_version(name)


XP_ACTIVATIONS = frozenset({
    "identity", "relu", "tanh", "logistic", "leaky_relu", "elu", "softplus",
    "gelu", "softmax", "exp",
})
"""The activations :func:`_activate` knows; an activation added to the
numpy registry alone is refused here rather than run as the identity."""


def _no_xp_version(name):
    return NotImplementedError(
        f"activation {name!r} has no array-API version yet; pass numpy arrays "
        "(or leave array_api_dispatch off) to use it."
    )


def check_activations(network):
    """Raise NotImplementedError for an activation this module lacks."""
    for act in network.activations:
        if act.name not in XP_ACTIVATIONS:
            raise _no_xp_version(act.name)


def _loss_sum(ns, c, name, A, Y, sw):
    """``sum_i s_i l_i`` as a 0-d device array (see :mod:`.losses`)."""
    xp = ns.xp
    if name == "squared_error":
        d = A - Y
        per_sample = 0.5 * xp.sum(d * d, axis=1)
    elif name == "poisson":
        rate = xp.maximum(A, c.tiny)
        y_log_y = xp.where(Y > 0, Y * xp.log(xp.where(Y > 0, Y, c.one)), c.zero)
        per_sample = xp.sum(y_log_y - Y * xp.log(rate) - Y + rate, axis=1)
    else:
        P = xp.clip(A, c.eps, 1.0 - c.eps)
        terms = Y * xp.log(P)
        if name == "binary_log_loss":
            terms = terms + (1.0 - Y) * xp.log(1.0 - P)
        per_sample = -xp.sum(terms, axis=1)
    return xp.sum(per_sample) if sw is None else xp.sum(per_sample * sw)


# ---- the registry interface, where the registry lacks it (see above)
if not hasattr(Activation, "xp_forward"):
    Activation.xp_forward = lambda self, ns, c, z: _activate(ns, c, self.name, z)
    Activation.xp_backward = lambda self, ns, delta, a, z: _derivative_times(
        ns, self.name, delta, a, z)
if not hasattr(Loss, "xp_sum"):
    Loss.xp_sum = lambda self, ns, c, A, Y, sw: _loss_sum(ns, c, self.name, A, Y, sw)
