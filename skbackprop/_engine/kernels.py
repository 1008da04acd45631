"""The kernel seam: the array work of a training step, in one of several
implementations chosen once per fit.

The layers (:mod:`.layers`) and the optimizers (:mod:`.optimizers`)
describe *what* a step computes; a kernels object -- the backend -- says
*how* its array operations run: a matrix product into a buffer, bias plus
activation, the derivative product, a column sum, the loss and its fused
delta, an optimizer's step.  Nothing outside :mod:`skbackprop._engine`
knows which one is in use: :func:`select_kernels` picks it from the
network's size and the fit's planned length.

- :class:`.numpy_ops.NumpyKernels` -- numpy ufuncs writing into the
  workspace's buffers: the reference implementations of :mod:`.activations`
  and :mod:`.optimizers` (in :mod:`.numpy_ops`, which the network uses by
  default).
- :class:`ArrayApiKernels` -- the same formulas, in the same order, on any
  array-API namespace (torch, CuPy, array_api_strict), returning new arrays
  (the array API has no ``out=``): the ``xp_`` forms of the registry entries
  and the optimizers' ``array_api_step``.
- :class:`NumbaKernels` -- the same arithmetic in single compiled loops
  (:mod:`._numba_kernels`, the optional ``fast`` extra): the optimizer steps
  with the L2 term folded in, bias + ReLU, ReLU's derivative and softmax's
  row maximum.  numpy evaluates an Adam step as ten passes over memory; the
  loop makes one.

Each compiled loop performs the numpy path's arithmetic in the same order on
the same dtype (no fused multiply-add, no reassociation), so both give
**bit-identical** results (``tests/engine/test_kernels.py`` checks it) and the choice
is purely a matter of speed.  They are used where they pay for loading them
(once per process, which would dominate a short fit): see
:func:`select_kernels`.  ``SKBACKPROP_NUMBA=0`` in the environment turns them
off.  Tiny networks trained long run whole epochs as one compiled loop
instead (:func:`tiny_epoch_loop`, :mod:`.compiled_epoch`), equal to the numpy
path to rounding only.

A kernels object holds no state of a fit; the numpy ones work in place on
the arrays they are given, and return them.  Scalars reach the compiled
loops converted to the arrays' dtype, as numpy does with Python floats in
``float32_array *= 0.9``, so float32 arithmetic stays float32.
"""

import functools
import importlib
import importlib.util
import os

import numpy as np

from .activations import softmax_normalise
from .namespace import Constants
from .numpy_ops import NUMPY, NumpyKernels

__all__ = [
    "ArrayApiKernels",
    "MIN_PARAMS",
    "NumbaKernels",
    "NumpyKernels",
    "numba_available",
    "select_kernels",
]

MIN_PARAMS = 1 << 15
"""Smallest network (number of parameters) that uses the compiled loops."""

NUMBA_MIN_WORK = 3 * 10**7
"""Fewest parameter updates (batches times parameters) a fit must plan for
the compiled loops to pay for loading them."""

TINY_FLOPS = 20_000
"""Largest network (multiply-adds of a forward pass over one batch) whose
epochs run as one compiled loop, :mod:`.compiled_epoch`."""

TINY_MIN_BATCHES = 1000
"""Fewest batches a fit must plan for the compiled epoch to pay for loading
it (once per process)."""

disabled = os.environ.get("SKBACKPROP_NUMBA", "1") == "0"
"""Whether the compiled loops are turned off (``SKBACKPROP_NUMBA=0``)."""

_loaded = {}  # the compiled modules; False once an import failed
_numba_found = None  # whether numba is installed (looked up once)


def _numba_module(name="_numba_kernels"):
    """A module of compiled loops, or None without numba."""
    if name not in _loaded:
        try:
            _loaded[name] = importlib.import_module(f".{name}", __package__)
        except (ImportError, OSError):  # OSError: no cache folder
            _loaded[name] = False
    return _loaded[name] or None


def numba_available():
    """Whether the compiled loops can run here (numba installed, not
    disabled by ``SKBACKPROP_NUMBA=0``); finds numba without importing it,
    once per process (a search of the import path costs tens of
    microseconds, and every prediction asks)."""
    global _numba_found
    if disabled:
        return False
    if "_numba_kernels" in _loaded:
        return bool(_loaded["_numba_kernels"])
    if _numba_found is None:
        _numba_found = importlib.util.find_spec("numba") is not None
    return _numba_found


class NumbaKernels(NumpyKernels):
    """Compiled loops where they pay, the numpy kernels elsewhere."""

    name = "numba"

    def __init__(self):
        self._loops = _numba_module()

    def bias_activation(self, Z, b, activation, keep_z=None):
        if activation.name == "relu":
            self._loops.bias_relu(Z, b)
        elif activation.name == "softmax":
            # the row maximum over a few classes is many tiny numpy loops
            self._loops.bias_sub_rowmax(Z, b)
            softmax_normalise(Z)
        else:
            return super().bias_activation(Z, b, activation, keep_z)
        return Z, keep_z

    def times_derivative(self, delta, activation, A, Z):
        if activation.name != "relu":
            return super().times_derivative(delta, activation, A, Z)
        self._loops.relu_backward(delta, A)
        return delta

    def column_sum(self, A, out):
        if A.shape[1] > 1 and A.shape[0] > 0 and A.flags.c_contiguous:
            self._loops.column_sum(A, out)
        else:  # numpy sums a single column pairwise
            np.add.reduce(A, axis=0, out=out)
        return out

    def optimizer_step(self, optimizer):
        """The compiled loop taking ``optimizer.numpy_step``'s arguments in
        its order (:mod:`._numba_kernels`), or the numpy step."""
        loops = {"SGD": self._loops.sgd_step, "Adam": self._loops.adam_step}
        loop = loops.get(optimizer.kind)
        if loop is None:
            return super().optimizer_step(optimizer)

        def step(params, grad, *args):
            *arrays_and_settings, l2, n_coef, _scratch = args
            t = params.dtype.type
            loop(params, grad, *[
                a if isinstance(a, (np.ndarray, bool)) else t(a)
                for a in arrays_and_settings
            ], t(l2), n_coef if l2 else 0)  # without L2 no weight takes + l2 * p

        return step


class ArrayApiKernels:
    """The kernels of an array-API namespace (``ns``, an
    :class:`.namespace.ArrayNamespace`): the numpy kernels' formulas in
    their order of operations, returning new arrays (``out`` arguments are
    ignored); only the parameters, the optimizer's state and the gradient
    of L-BFGS are updated in place."""

    name = "array_api"
    in_place = False

    def __init__(self, ns):
        self.ns = ns
        self._constants = {}

    def constants(self, dtype):
        """The :class:`.namespace.Constants` of ``dtype``, made once."""
        if dtype not in self._constants:
            self._constants[dtype] = Constants(self.ns, dtype)
        return self._constants[dtype]

    def reshape(self, A, shape):
        return self.ns.xp.reshape(A, shape)

    def bias_activation(self, Z, b, activation, keep_z=None):
        Z = Z + b
        a = activation.xp_forward(self.ns, self.constants(Z.dtype), Z)
        return a, (Z if activation.needs_z else None)

    def times_derivative(self, delta, activation, A, Z):
        return activation.xp_backward(self.ns, delta, A, Z)

    @staticmethod
    def matmul(A, B, out=None):
        return A @ B

    @staticmethod
    def multiply(A, B, out=None):
        return A * B

    def column_sum(self, A, out=None):
        return self.ns.xp.sum(A, axis=0)

    def loss_and_delta(self, loss, A, Y, sample_weight):
        """As :meth:`NumpyKernels.loss_and_delta` (the value a 0-d array:
        it stays on the device)."""
        xp, sw = self.ns.xp, sample_weight
        weight = A.shape[0] if sw is None else xp.sum(sw)
        value = loss.xp_sum(self.ns, self.constants(A.dtype), A, Y, sw) / weight
        scale = 1.0 / weight
        delta = (A - Y) * scale if sw is None else (A - Y) * (sw * scale)[:, None]
        return value, delta

    def flat_gradient(self, grad, coef_grads, intercept_grads):
        # a layer without intercepts gives None
        grads = [g for g in coef_grads + intercept_grads if g is not None]
        return self.ns.xp.concat([self.ns.xp.reshape(g, (-1,)) for g in grads])

    def penalty(self, weights, l2):
        if isinstance(l2, (int, float)) and l2 == 0.0:
            return 0.0
        return 0.5 * l2 * self.ns.xp.sum(weights * weights)

    @staticmethod
    def add_l2(grad, params, l2, n_coef, scratch=None):
        grad[:n_coef] += params[:n_coef] * l2

    def optimizer_step(self, optimizer):
        return functools.partial(optimizer.array_api_step, self.ns.xp)


_NUMBA = None


def select_kernels(n_params, dtype=None, network_dtype=None, planned_batches=0):
    """The kernels for a network of ``n_params`` parameters.

    The compiled loops serve when they pay for loading them (once per
    process): for networks of at least :data:`MIN_PARAMS` parameters, for
    fits planned long enough (:data:`NUMBA_MIN_WORK` parameter updates),
    and for any network once they are loaded.  They give the numpy
    kernels' results bit for bit, so the choice never changes a result.

    The compiled loops take arrays of the network's own dtype only (their
    scalars and arrays must agree): for ``dtype != network_dtype`` (a float64
    prediction of a float32 model, say) the numpy kernels serve.
    """
    global _NUMBA
    if not numba_available():
        return NUMPY
    if dtype is not None and np.dtype(dtype) != np.dtype(network_dtype):
        return NUMPY
    worth_loading = (
        n_params >= MIN_PARAMS or planned_batches * n_params >= NUMBA_MIN_WORK
    )
    if not worth_loading and not _loaded.get("_numba_kernels"):
        return NUMPY
    if _numba_module() is None:  # numba found but does not import
        return NUMPY
    if _NUMBA is None:
        _NUMBA = NumbaKernels()
    return _NUMBA


def tiny_epoch_loop(network, capacity, planned_batches):
    """The compiled whole-epoch loop for ``network``, or None when it does
    not pay: a network with more than :data:`TINY_FLOPS` multiply-adds per
    batch (numpy's vectorised passes then cost no more than the loop's), a
    fit of fewer than :data:`TINY_MIN_BATCHES` batches, an activation or loss
    whose registry entry has no compiled form (``tiny_code`` and ``scalar``:
    one without runs on the numpy path), or no numba; a network with another
    layer kind (:attr:`.network.Network.plain`) runs on the numpy path too.
    The loop is that of the registry as it is now
    (:func:`.compiled_epoch.compiled_module`)."""
    units = network.layer_units
    flops = capacity * sum(a * b for a, b in zip(units, units[1:]))
    if flops > TINY_FLOPS or planned_batches < TINY_MIN_BATCHES or not network.plain:
        return None
    entries = [*network.activations, network.loss]
    if any(entry.tiny_code is None or entry.scalar is None for entry in entries):
        return None
    if not numba_available():
        return None
    module = _numba_module("compiled_epoch")
    return None if module is None else module.compiled_module().tiny_epoch
