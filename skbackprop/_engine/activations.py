"""Activation functions, each paired with its derivative.

Every activation works in place on a pre-allocated array: ``forward(Z)``
overwrites the pre-activations ``Z`` with ``f(Z)``, and
``backward(delta, A, Z)`` multiplies the back-propagated error ``delta`` by
``f'(z)`` in place.  Wherever the derivative can be written in terms of the
stored output ``A = f(Z)`` it is, so that the pre-activations need not be kept
(``needs_z`` is False).  Only GELU needs ``Z`` itself.

The registry :data:`ACTIVATIONS` is keyed by the public string used in the
estimators' ``activation`` parameter.
"""

import math

import numpy as np
from scipy.special import expit, ndtr

__all__ = [
    "ACTIVATIONS",
    "OUTPUT_ACTIVATIONS",
    "Activation",
    "get_activation",
    "softmax_normalise",
]


class Activation:
    """An activation function and its derivative.

    Parameters
    ----------
    name : str
        Public name.
    forward : callable ``forward(Z) -> None``
        Overwrites ``Z`` with ``f(Z)``.
    backward : callable ``backward(delta, A, Z) -> None``
        Multiplies ``delta`` in place by ``f'`` evaluated at the layer.
    needs_z : bool
        Whether ``backward`` reads the pre-activation ``Z`` (otherwise only
        the output ``A`` is used and ``Z`` may be ``None``).
    init_factor : float
        Numerator of the Glorot uniform bound ``sqrt(factor / (fan_in +
        fan_out))``; 2 for the logistic function, 6 otherwise (as sklearn).
    """

    __slots__ = ("name", "forward", "backward", "needs_z", "init_factor")

    def __init__(self, name, forward, backward, needs_z=False, init_factor=6.0):
        self.name = name
        self.forward = forward
        self.backward = backward
        self.needs_z = needs_z
        self.init_factor = init_factor

    def __repr__(self):
        return f"Activation({self.name!r})"


# identity: f(z) = z, f'(z) = 1
def _identity(Z):
    pass


def _identity_backward(delta, A, Z):
    pass


# logistic: f(z) = 1 / (1 + e^-z), f'(z) = f(z) (1 - f(z)).
# expit is stable for any z (no overflow in exp(-z)); there is no factor 2.
def _logistic(Z):
    expit(Z, out=Z)


def _logistic_backward(delta, A, Z):
    delta *= A
    delta -= delta * A  # delta * A * (1 - A) without a temporary for 1 - A


# tanh: f'(z) = 1 - f(z)^2
def _tanh(Z):
    np.tanh(Z, out=Z)


def _tanh_backward(delta, A, Z):
    delta -= delta * A * A


# relu: f(z) = max(z, 0); f'(z) = 1 where z > 0, which is where A > 0.
def _relu(Z):
    # against a row of zeros, not the scalar 0: numpy's SIMD maximum loop
    # skips scalar operands, which makes it 3-7x slower
    np.maximum(Z, np.zeros(Z.shape[-1:], Z.dtype), out=Z)


def _relu_backward(delta, A, Z):
    np.multiply(delta, A > 0, out=delta)


_LEAKY_SLOPE = 0.01


# leaky relu: f(z) = z for z > 0, 0.01 z otherwise; sign(A) == sign(Z).
def _leaky_relu(Z):
    np.multiply(Z, _LEAKY_SLOPE, out=Z, where=Z < 0)


def _leaky_relu_backward(delta, A, Z):
    np.multiply(delta, _LEAKY_SLOPE, out=delta, where=A < 0)


# elu (alpha=1): f(z) = z for z > 0, e^z - 1 otherwise;
# f'(z) = 1 for z > 0, e^z = f(z) + 1 otherwise.
def _elu(Z):
    neg = Z < 0
    # expm1 only where z < 0, so large positive z never overflow
    np.expm1(Z, out=Z, where=neg)


def _elu_backward(delta, A, Z):
    np.multiply(delta, A + 1, out=delta, where=A < 0)


# softplus: f(z) = log(1 + e^z); f'(z) = sigmoid(z) = 1 - e^-f(z).
def _softplus(Z):
    np.logaddexp(Z, 0, out=Z)


def _softplus_backward(delta, A, Z):
    delta *= -np.expm1(-A)


_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


# gelu (exact, erf form): f(z) = z Phi(z); f'(z) = Phi(z) + z phi(z).
def _gelu(Z):
    Z *= ndtr(Z)


def _gelu_backward(delta, A, Z):
    pdf = np.exp(-0.5 * Z * Z)
    pdf *= Z
    pdf *= _INV_SQRT_2PI
    pdf += ndtr(Z)
    delta *= pdf


# Output-only transforms (no derivative needed: the output delta is fused
# with the loss, see losses.py).
def _softmax(Z):
    Z -= np.maximum.reduce(Z, axis=1, keepdims=True)
    softmax_normalise(Z)


def softmax_normalise(Z):
    """``Z = exp(Z) / sum(exp(Z), axis=1)`` in place (rows already shifted
    by their maximum)."""
    np.exp(Z, out=Z)
    Z /= np.add.reduce(Z, axis=1, keepdims=True)


def _exp(Z):
    # Poisson's log link.  Clip the linear predictor below the float's
    # overflow threshold so a diverging fit yields a huge finite rate rather
    # than inf and RuntimeWarnings; the fit detects divergence from the loss.
    np.minimum(Z, np.log(np.finfo(Z.dtype).max) - 1.0, out=Z)
    np.exp(Z, out=Z)


def _no_backward(delta, A, Z):  # pragma: no cover - never called
    raise RuntimeError("output activations are differentiated with the loss")


ACTIVATIONS = {
    "identity": Activation("identity", _identity, _identity_backward),
    "logistic": Activation(
        "logistic", _logistic, _logistic_backward, init_factor=2.0
    ),
    "tanh": Activation("tanh", _tanh, _tanh_backward),
    "relu": Activation("relu", _relu, _relu_backward),
    "leaky_relu": Activation("leaky_relu", _leaky_relu, _leaky_relu_backward),
    "elu": Activation("elu", _elu, _elu_backward),
    "gelu": Activation("gelu", _gelu, _gelu_backward, needs_z=True),
    "softplus": Activation("softplus", _softplus, _softplus_backward),
}
"""Hidden-layer activations keyed by their public name."""

OUTPUT_ACTIVATIONS = {
    "identity": ACTIVATIONS["identity"],
    "logistic": ACTIVATIONS["logistic"],
    "softmax": Activation("softmax", _softmax, _no_backward),
    "exp": Activation("exp", _exp, _no_backward),
}
"""Output activations keyed by the value of ``out_activation_``."""


def get_activation(name, output=False):
    """Look up an activation by its public name.

    Parameters
    ----------
    name : str
        Public name, e.g. ``"relu"``.
    output : bool, default=False
        Look in the output activations (``identity``, ``logistic``,
        ``softmax``, ``exp``) instead of the hidden ones.

    Returns
    -------
    Activation
    """
    registry = OUTPUT_ACTIVATIONS if output else ACTIVATIONS
    try:
        return registry[name]
    except KeyError:
        kind = "output activation" if output else "activation"
        raise ValueError(
            f"Unknown {kind} {name!r}; expected one of {sorted(registry)}."
        ) from None
