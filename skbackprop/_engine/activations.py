"""Activation functions: each one entry holding every backend's form.

An :class:`Activation` keeps side by side, in one place per function:

- the numpy reference, in place on pre-allocated arrays: ``forward(Z)``
  overwrites the pre-activations ``Z`` with ``f(Z)``, and
  ``backward(delta, A, Z)`` multiplies the back-propagated error ``delta``
  by ``f'(z)`` in place.  Wherever the derivative can be written in terms of
  the stored output ``A = f(Z)`` it is, so that the pre-activations need not
  be kept (``needs_z`` is False).  Only GELU needs ``Z`` itself;
- the same arithmetic, in the same order, with the functions of the Python
  array API standard (``xp_forward``, ``xp_backward``; run by
  :class:`.kernels.ArrayApiKernels`), which return new arrays;
- the ONNX operators of the forward pass (``onnx``; ``skbackprop._onnx``);
- its scalar form for the compiled epoch of tiny networks (``scalar``:
  plain Python functions of floats, which :mod:`.compiled_epoch` copies into
  the module it generates and numba compiles) and its number in that
  module's switch (``tiny_code``).

A form left out (None) is refused by name by its backend: the array API and
ONNX export raise an error naming the activation, and tiny networks train on
the numpy path instead of the compiled epoch.  A new activation is thus one
entry in :data:`ACTIVATIONS` that runs everywhere its forms are given.

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
    """An activation function and its derivative, in every backend's form.

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
    xp_forward : callable ``(ns, c, z) -> array``, optional
        ``f(z)`` on an array-API namespace (``ns`` an
        :class:`.namespace.ArrayNamespace`, ``c`` its 0-d constants), in the order
        of ``forward``'s arithmetic.  None: the array API refuses it.
    xp_backward : callable ``(ns, delta, a, z) -> array``, optional
        ``delta * f'`` on an array-API namespace, in the order of
        ``backward``'s arithmetic (not needed by output activations).
    onnx : callable ``(ops, x, dtype, opset) -> node``, optional
        Builds ``f(x)`` from skl2onnx's ONNX operators (``ops``, the module
        ``skl2onnx.algebra.onnx_ops``) for a graph of ``dtype``.  None: ONNX
        export refuses it.
    tiny_code : int, optional
        Its number in the compiled epoch's switch; None: tiny networks
        train on the numpy path.
    scalar : tuple ``(f, f_prime)``, optional
        The compiled epoch's form (with ``tiny_code``): ``f(z, cap)``, one
        output from one pre-activation (``cap``, the largest pre-activation
        an exponential output takes in the dtype), and ``f_prime(a, z)``,
        the derivative from the output ``a`` (and ``z`` where ``needs_z``;
        None for an output activation), as plain Python functions of floats
        that numba can compile (``math`` functions, float constants of
        their module).  A row-wise output activation gives ``(rows, None)``
        with ``rows(acts, start, n)`` transforming ``acts[start:start + n]``
        in place, and ``rowwise=True``.
    growth : tuple ``(g, c)``, default=(1.0, 1.0)
        A hidden activation's growth: ``|f(z)| <= g |z| + c`` for every
        ``z``; with ``slope``, what the divergence bound
        (:meth:`.network.Network.finite_within`) builds on.
    slope : float, default=1.2
        A bound of ``|f'(z)|`` for every ``z``.
    """

    __slots__ = ("name", "forward", "backward", "needs_z", "init_factor",
                 "_xp_forward", "_xp_backward", "onnx", "tiny_code", "scalar",
                 "rowwise", "growth", "slope")

    def __init__(self, name, forward, backward, needs_z=False, init_factor=6.0,
                 *, xp_forward=None, xp_backward=None, onnx=None,
                 tiny_code=None, scalar=None, rowwise=False, growth=(1.0, 1.0),
                 slope=1.2):
        self.name = name
        self.forward = forward
        self.backward = backward
        self.needs_z = needs_z
        self.init_factor = init_factor
        self._xp_forward = xp_forward
        self._xp_backward = xp_backward
        self.onnx = onnx
        self.tiny_code = tiny_code
        self.scalar = scalar
        self.rowwise = rowwise
        self.growth = growth
        self.slope = slope

    def xp_forward(self, ns, c, z):
        """``f(z)`` as a new array of the namespace ``ns``."""
        if self._xp_forward is None:
            raise self._no_array_api()
        return self._xp_forward(ns, c, z)

    def xp_backward(self, ns, delta, a, z):
        """``delta * f'`` from the layer's output ``a`` (and ``z`` where
        ``needs_z``), as a new array of the namespace ``ns``."""
        if self._xp_backward is None:
            raise self._no_array_api()
        return self._xp_backward(ns, delta, a, z)

    def require_array_api(self, backward=True):
        """Raise NotImplementedError, naming the activation, unless it has
        an array-API forward (and ``backward``) form."""
        if self._xp_forward is None or (backward and self._xp_backward is None):
            raise self._no_array_api()

    def _no_array_api(self):
        return NotImplementedError(
            f"activation {self.name!r} has no array-API version yet; pass "
            "numpy arrays (or leave array_api_dispatch off) to use it."
        )

    def __repr__(self):
        return f"Activation({self.name!r})"


# ONNX builders shared by several entries (``ops``: skl2onnx's operators)
def _onnx_unary(op_name, **attributes):
    def build(ops, x, dtype, opv):
        return getattr(ops, op_name)(x, op_version=opv, **attributes)

    return build


# onnxruntime implements LeakyRelu, Elu, Softplus and Erf in float32 only:
# in float64 the first three are written with operators it has for doubles
def _onnx_by_dtype(float32_build, float64_build):
    def build(ops, x, dtype, opv):
        if dtype == np.float64:
            return float64_build(ops, x, dtype, opv)
        return float32_build(ops, x, dtype, opv)

    return build


def _onnx_where_negative(ops, x, negative, dtype, opv, positive=None):
    """``negative`` where ``x < 0``, ``positive`` (default ``x``) elsewhere."""
    below = ops.OnnxLess(x, np.array([0.0], dtype=dtype), op_version=opv)
    return ops.OnnxWhere(below, negative, x if positive is None else positive,
                         op_version=opv)


def _onnx_expm1(ops, x, dtype, opv):
    """``e^x - 1`` from operators onnxruntime has for doubles."""
    exp = ops.OnnxExp(x, op_version=opv)
    return ops.OnnxSub(exp, np.array([1.0], dtype=dtype), op_version=opv)


# identity: f(z) = z, f'(z) = 1
def _identity(Z):
    pass


def _identity_backward(delta, A, Z):
    pass


def _identity_scalar(z, cap):
    return z


def _identity_scalar_derivative(a, z):
    return 1.0


IDENTITY = Activation(
    "identity", _identity, _identity_backward,
    xp_forward=lambda ns, c, z: z,
    xp_backward=lambda ns, delta, a, z: delta,
    onnx=lambda ops, x, dtype, opv: x,
    tiny_code=0, scalar=(_identity_scalar, _identity_scalar_derivative),
)


# logistic: f(z) = 1 / (1 + e^-z), f'(z) = f(z) (1 - f(z)).
# expit is stable for any z (no overflow in exp(-z)); there is no factor 2.
def _logistic(Z):
    expit(Z, out=Z)


def _logistic_backward(delta, A, Z):
    delta *= A
    delta -= delta * A  # delta * A * (1 - A) without a temporary for 1 - A


def _logistic_xp(ns, c, z):
    return 1.0 / (1.0 + ns.xp.exp(-z))


def _logistic_xp_backward(ns, delta, a, z):
    d = delta * a
    return d - d * a


def _logistic_scalar(z, cap):
    return 1.0 / (1.0 + math.exp(-z))


def _logistic_scalar_derivative(a, z):
    return a - a * a


LOGISTIC = Activation(
    "logistic", _logistic, _logistic_backward, init_factor=2.0,
    xp_forward=_logistic_xp,
    xp_backward=_logistic_xp_backward,
    onnx=_onnx_unary("OnnxSigmoid"),
    tiny_code=1, scalar=(_logistic_scalar, _logistic_scalar_derivative),
)


# tanh: f'(z) = 1 - f(z)^2
def _tanh(Z):
    np.tanh(Z, out=Z)


def _tanh_backward(delta, A, Z):
    delta -= delta * A * A


def _tanh_scalar(z, cap):
    return math.tanh(z)


def _tanh_scalar_derivative(a, z):
    return 1.0 - a * a


TANH = Activation(
    "tanh", _tanh, _tanh_backward,
    xp_forward=lambda ns, c, z: ns.xp.tanh(z),
    xp_backward=lambda ns, delta, a, z: delta - delta * a * a,
    onnx=_onnx_unary("OnnxTanh"),
    tiny_code=2, scalar=(_tanh_scalar, _tanh_scalar_derivative),
)


# relu: f(z) = max(z, 0); f'(z) = 1 where z > 0, which is where A > 0.
def _relu(Z):
    # against a row of zeros, not the scalar 0: numpy's SIMD maximum loop
    # skips scalar operands, which makes it 3-7x slower
    np.maximum(Z, np.zeros(Z.shape[-1:], Z.dtype), out=Z)


def _relu_backward(delta, A, Z):
    np.multiply(delta, A > 0, out=delta)


def _relu_scalar(z, cap):
    return 0.0 if z < 0.0 else z  # NaN stays NaN


def _relu_scalar_derivative(a, z):
    return 1.0 if a > 0.0 else 0.0


RELU = Activation(
    "relu", _relu, _relu_backward,
    # NaN propagates, as np.maximum
    xp_forward=lambda ns, c, z: ns.xp.maximum(z, c.zero),
    xp_backward=lambda ns, delta, a, z: delta * ns.xp.astype(a > 0, delta.dtype),
    onnx=_onnx_unary("OnnxRelu"),
    tiny_code=3, scalar=(_relu_scalar, _relu_scalar_derivative),
)


_LEAKY_SLOPE = 0.01


# leaky relu: f(z) = z for z > 0, 0.01 z otherwise; sign(A) == sign(Z).
def _leaky_relu(Z):
    np.multiply(Z, _LEAKY_SLOPE, out=Z, where=Z < 0)


def _leaky_relu_backward(delta, A, Z):
    np.multiply(delta, _LEAKY_SLOPE, out=delta, where=A < 0)


def _leaky_relu_scalar(z, cap):
    return z * _LEAKY_SLOPE if z < 0.0 else z


def _leaky_relu_scalar_derivative(a, z):
    return _LEAKY_SLOPE if a < 0.0 else 1.0


def _leaky_relu_onnx64(ops, x, dtype, opv):
    slope = np.array([_LEAKY_SLOPE], dtype=dtype)
    return _onnx_where_negative(ops, x, ops.OnnxMul(x, slope, op_version=opv),
                                dtype, opv)


LEAKY_RELU = Activation(
    "leaky_relu", _leaky_relu, _leaky_relu_backward,
    xp_forward=lambda ns, c, z: ns.xp.where(z < 0, z * _LEAKY_SLOPE, z),
    xp_backward=lambda ns, delta, a, z: ns.xp.where(
        a < 0, delta * _LEAKY_SLOPE, delta),
    onnx=_onnx_by_dtype(_onnx_unary("OnnxLeakyRelu", alpha=_LEAKY_SLOPE),
                        _leaky_relu_onnx64),
    tiny_code=4, scalar=(_leaky_relu_scalar, _leaky_relu_scalar_derivative),
)


# elu (alpha=1): f(z) = z for z > 0, e^z - 1 otherwise;
# f'(z) = 1 for z > 0, e^z = f(z) + 1 otherwise.
def _elu(Z):
    neg = Z < 0
    # expm1 only where z < 0, so large positive z never overflow
    np.expm1(Z, out=Z, where=neg)


def _elu_backward(delta, A, Z):
    np.multiply(delta, A + 1, out=delta, where=A < 0)


def _elu_xp(ns, c, z):
    xp = ns.xp
    return xp.where(z < 0, xp.expm1(xp.minimum(z, c.zero)), z)


def _elu_scalar(z, cap):
    return math.expm1(z) if z < 0.0 else z


def _elu_scalar_derivative(a, z):
    return a + 1.0 if a < 0.0 else 1.0


def _elu_onnx64(ops, x, dtype, opv):
    return _onnx_where_negative(ops, x, _onnx_expm1(ops, x, dtype, opv), dtype, opv)


ELU = Activation(
    "elu", _elu, _elu_backward,
    xp_forward=_elu_xp,
    xp_backward=lambda ns, delta, a, z: ns.xp.where(a < 0, delta * (a + 1.0), delta),
    onnx=_onnx_by_dtype(_onnx_unary("OnnxElu", alpha=1.0), _elu_onnx64),
    tiny_code=5, scalar=(_elu_scalar, _elu_scalar_derivative),
)


# softplus: f(z) = log(1 + e^z); f'(z) = sigmoid(z) = 1 - e^-f(z).
def _softplus(Z):
    np.logaddexp(Z, 0, out=Z)


def _softplus_backward(delta, A, Z):
    delta *= -np.expm1(-A)


def _softplus_scalar(z, cap):
    return max(z, 0.0) + math.log1p(math.exp(-abs(z)))


def _softplus_scalar_derivative(a, z):
    return -math.expm1(-a)


def _softplus_onnx64(ops, x, dtype, opv):
    # log(1 + e^x) = max(x, 0) + log(1 + e^-|x|), which never overflows
    tail = ops.OnnxExp(ops.OnnxNeg(ops.OnnxAbs(x, op_version=opv),
                                   op_version=opv), op_version=opv)
    log = ops.OnnxLog(ops.OnnxAdd(tail, np.array([1.0], dtype=dtype),
                                  op_version=opv), op_version=opv)
    return ops.OnnxAdd(ops.OnnxRelu(x, op_version=opv), log, op_version=opv)


SOFTPLUS = Activation(
    "softplus", _softplus, _softplus_backward,
    xp_forward=lambda ns, c, z: ns.xp.logaddexp(z, c.zero),
    xp_backward=lambda ns, delta, a, z: delta * -ns.xp.expm1(-a),
    onnx=_onnx_by_dtype(_onnx_unary("OnnxSoftplus"), _softplus_onnx64),
    tiny_code=7, scalar=(_softplus_scalar, _softplus_scalar_derivative),
)


_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_INV_SQRT_2 = 1.0 / math.sqrt(2.0)


# gelu (exact, erf form): f(z) = z Phi(z); f'(z) = Phi(z) + z phi(z).
def _gelu(Z):
    Z *= ndtr(Z)


def _gelu_backward(delta, A, Z):
    pdf = np.exp(-0.5 * Z * Z)
    pdf *= Z
    pdf *= _INV_SQRT_2PI
    pdf += ndtr(Z)
    delta *= pdf


def _gelu_xp_backward(ns, delta, a, z):
    return delta * (ns.xp.exp(-0.5 * z * z) * z * _INV_SQRT_2PI + ns.ndtr(z))


def _gelu_scalar(z, cap):
    return z * (0.5 * math.erfc(-z * _INV_SQRT_2))


def _gelu_scalar_derivative(a, z):
    pdf = math.exp(-0.5 * z * z) * z * _INV_SQRT_2PI
    return pdf + 0.5 * math.erfc(-z * _INV_SQRT_2)


def _gelu_onnx(ops, x, dtype, opv):
    if dtype == np.float64:
        raise NotImplementedError(
            "gelu is exported with ONNX's Erf, which onnxruntime implements "
            "in float32 only: pass a float32 X_sample to export this model "
            "(X_sample.astype(np.float32); a DataFrame's numeric columns: "
            "X_sample.astype({c: np.float32 for c in "
            "X_sample.select_dtypes('number').columns}))."
        )
    # 0.5 * x * (1 + erf(x / sqrt(2))), the exact form as the engine's
    scaled = ops.OnnxDiv(x, np.array([np.sqrt(2.0)], dtype=dtype), op_version=opv)
    erf = ops.OnnxErf(scaled, op_version=opv)
    one_plus = ops.OnnxAdd(erf, np.array([1.0], dtype=dtype), op_version=opv)
    half_x = ops.OnnxMul(x, np.array([0.5], dtype=dtype), op_version=opv)
    return ops.OnnxMul(half_x, one_plus, op_version=opv)


GELU = Activation(
    "gelu", _gelu, _gelu_backward, needs_z=True,
    xp_forward=lambda ns, c, z: z * ns.ndtr(z),
    xp_backward=_gelu_xp_backward,
    onnx=_gelu_onnx,
    tiny_code=6, scalar=(_gelu_scalar, _gelu_scalar_derivative),
)


# selu (Klambauer et al. 2017): f(z) = s z for z > 0, s a (e^z - 1)
# otherwise; f'(z) = s for z > 0, s a e^z = f(z) + s a otherwise, and
# f(z) < 0 exactly where z < 0.
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946
_SELU_SCALED_ALPHA = _SELU_SCALE * _SELU_ALPHA


def _selu(Z):
    neg = Z < 0
    np.expm1(Z, out=Z, where=neg)  # only where z < 0: no overflow
    np.multiply(Z, _SELU_SCALED_ALPHA, out=Z, where=neg)
    np.multiply(Z, _SELU_SCALE, out=Z, where=~neg)


def _selu_backward(delta, A, Z):
    neg = A < 0
    np.multiply(delta, A + _SELU_SCALED_ALPHA, out=delta, where=neg)
    np.multiply(delta, _SELU_SCALE, out=delta, where=~neg)


def _selu_xp(ns, c, z):
    xp = ns.xp
    return xp.where(z < 0, xp.expm1(xp.minimum(z, c.zero)) * _SELU_SCALED_ALPHA,
                    z * _SELU_SCALE)


def _selu_scalar(z, cap):
    return math.expm1(z) * _SELU_SCALED_ALPHA if z < 0.0 else z * _SELU_SCALE


def _selu_scalar_derivative(a, z):
    return (a + _SELU_SCALED_ALPHA) if a < 0.0 else _SELU_SCALE


def _selu_onnx64(ops, x, dtype, opv):
    negative = ops.OnnxMul(_onnx_expm1(ops, x, dtype, opv),
                           np.array([_SELU_SCALED_ALPHA], dtype=dtype), op_version=opv)
    positive = ops.OnnxMul(x, np.array([_SELU_SCALE], dtype=dtype), op_version=opv)
    return _onnx_where_negative(ops, x, negative, dtype, opv, positive)


SELU = Activation(
    "selu", _selu, _selu_backward,
    xp_forward=_selu_xp,
    xp_backward=lambda ns, delta, a, z: ns.xp.where(
        a < 0, delta * (a + _SELU_SCALED_ALPHA), delta * _SELU_SCALE),
    onnx=_onnx_by_dtype(
        _onnx_unary("OnnxSelu", alpha=_SELU_ALPHA, gamma=_SELU_SCALE), _selu_onnx64),
    tiny_code=10, scalar=(_selu_scalar, _selu_scalar_derivative),
    # |f| <= s |z| above 0 and s a below; f' is largest, s a, just below 0
    growth=(_SELU_SCALE, _SELU_SCALED_ALPHA), slope=_SELU_SCALED_ALPHA,
)


# mish (Misra 2019): f(z) = z tanh(softplus(z));
# f'(z) = t + z (1 - t^2) sigmoid(z), t = tanh(softplus(z)): it needs z.
def _tanh_softplus(Z):
    """``tanh(softplus(Z))`` as a new array (softplus as ``_softplus``'s)."""
    t = np.logaddexp(Z, 0)
    return np.tanh(t, out=t)


def _mish(Z):
    Z *= _tanh_softplus(Z)


def _mish_backward(delta, A, Z):
    t = _tanh_softplus(Z)
    slope = 1.0 - t * t
    slope *= Z
    slope *= expit(Z)
    slope += t
    delta *= slope


def _mish_xp_backward(ns, delta, a, z):
    xp = ns.xp
    t = xp.tanh(xp.logaddexp(z, xp.zeros_like(z)))
    return delta * ((1.0 - t * t) * z * _logistic_xp(ns, None, z) + t)


def _mish_scalar(z, cap):
    return z * math.tanh(_softplus_scalar(z, cap))


def _mish_scalar_derivative(a, z):
    t = math.tanh(_softplus_scalar(z, 0.0))
    return (1.0 - t * t) * z * _logistic_scalar(z, 0.0) + t


def _mish_onnx(ops, x, dtype, opv):
    softplus = SOFTPLUS.onnx(ops, x, dtype, opv)
    return ops.OnnxMul(x, ops.OnnxTanh(softplus, op_version=opv), op_version=opv)


MISH = Activation(
    "mish", _mish, _mish_backward, needs_z=True,
    xp_forward=lambda ns, c, z: z * ns.xp.tanh(ns.xp.logaddexp(z, c.zero)),
    xp_backward=_mish_xp_backward,
    onnx=_mish_onnx,
    tiny_code=11, scalar=(_mish_scalar, _mish_scalar_derivative),
)


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


def _softmax_xp(ns, c, z):
    xp = ns.xp
    e = xp.exp(z - xp.max(z, axis=1, keepdims=True))
    return e / xp.sum(e, axis=1, keepdims=True)


def _softmax_scalar_rows(acts, start, n):
    top = acts[start]
    for j in range(start + 1, start + n):
        x = acts[j]
        if x > top or x != x:  # a NaN makes the maximum NaN, as np.maximum
            top = x
    total = 0.0
    for j in range(start, start + n):
        acts[j] = math.exp(acts[j] - top)
        total += acts[j]
    for j in range(start, start + n):
        acts[j] /= total


def _exp(Z):
    # Poisson's log link.  Clip the linear predictor below the float's
    # overflow threshold so a diverging fit yields a huge finite rate rather
    # than inf and RuntimeWarnings; the fit detects divergence from the loss.
    np.minimum(Z, exp_cap(Z.dtype), out=Z)
    np.exp(Z, out=Z)


def exp_cap(dtype):
    """The largest linear predictor the ``exp`` output takes: one below
    ``log`` of the dtype's largest float, so its rate stays finite."""
    return np.log(np.finfo(dtype).max) - 1.0


def _no_backward(delta, A, Z):  # pragma: no cover - never called
    raise RuntimeError("output activations are differentiated with the loss")


SOFTMAX = Activation(
    "softmax", _softmax, _no_backward,
    xp_forward=_softmax_xp,
    onnx=_onnx_unary("OnnxSoftmax", axis=1),
    tiny_code=8, scalar=(_softmax_scalar_rows, None), rowwise=True,
)


def _exp_scalar(z, cap):
    return math.exp(min(z, cap))


EXP = Activation(
    "exp", _exp, _no_backward,
    xp_forward=lambda ns, c, z: ns.xp.exp(ns.xp.minimum(z, c.exp_cap)),
    onnx=_onnx_unary("OnnxExp"),
    tiny_code=9, scalar=(_exp_scalar, None),
)

ACTIVATIONS = {
    act.name: act
    for act in (IDENTITY, LOGISTIC, TANH, RELU, LEAKY_RELU, ELU, GELU, SOFTPLUS,
                SELU, MISH)
}
"""Hidden-layer activations keyed by their public name."""

OUTPUT_ACTIVATIONS = {act.name: act for act in (IDENTITY, LOGISTIC, SOFTMAX, EXP)}
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
