"""The kernel seam: the array work of a training step, in one of several
implementations chosen once per fit.

The network passes (:mod:`.network`) and the optimizers (:mod:`.optimizers`)
describe *what* a step computes; a kernels object says *how* the elementwise
parts run.  Nothing outside :mod:`skbackprop._engine` knows which one is in
use: :func:`select_kernels` picks it from the network's size and the fit's
planned length.

- :class:`NumpyKernels` -- numpy ufuncs writing into the workspace's buffers:
  the reference implementations of :mod:`.activations` and
  :mod:`.optimizers`.
- :class:`NumbaKernels` -- the same arithmetic in single compiled loops
  (:mod:`._numba_kernels`, the optional ``fast`` extra): the optimizer steps
  with the L2 term folded in, bias + ReLU, ReLU's derivative and softmax's
  row maximum.  numpy evaluates an Adam step as ten passes over memory; the
  loop makes one.

Each compiled loop performs the numpy path's arithmetic in the same order on
the same dtype (no fused multiply-add, no reassociation), so both give
**bit-identical** results (``tests/test_kernels.py`` checks it) and the choice
is purely a matter of speed.  They are used where they pay for loading them
(once per process, which would dominate a short fit): see
:func:`select_kernels`.  ``SKBACKPROP_NUMBA=0`` in the environment turns them
off.  Tiny networks trained long run whole epochs as one compiled loop
instead (:func:`tiny_epoch_loop`, :mod:`.compiled_epoch`), equal to the numpy
path to rounding only.

A kernels object is stateless; its methods work in place on the arrays they
are given.  Scalars reach the compiled loops converted to the arrays' dtype,
as numpy does with Python floats in ``float32_array *= 0.9``, so float32
arithmetic stays float32.
"""

import importlib
import importlib.util
import os

import numpy as np

from .activations import softmax_normalise
from .optimizers import adam_step, add_l2_gradient, sgd_step

__all__ = [
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
        except ImportError:
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


class NumpyKernels:
    """The reference kernels: numpy ufuncs, in place."""

    name = "numpy"

    # -- layers ---------------------------------------------------------
    def forward_bias(self, activation):
        """A function ``(Z, b, keep_z=None)`` overwriting ``Z`` with
        ``f(Z + b)``; ``keep_z`` receives ``Z + b`` when given (for the
        activations whose derivative needs the pre-activation)."""
        forward = activation.forward

        def bias_then_activation(Z, b, keep_z=None):
            Z += b
            if keep_z is not None:
                keep_z[...] = Z
            forward(Z)

        return bias_then_activation

    def backward(self, activation):
        """A function ``(delta, A, Z)`` multiplying ``delta`` by ``f'``."""
        return activation.backward

    @staticmethod
    def column_sum(A, out):
        """``out = A.sum(axis=0)`` (the bias gradients)."""
        np.add.reduce(A, axis=0, out=out)

    # -- L2 and optimizer steps: the numpy references of .optimizers
    add_l2 = staticmethod(add_l2_gradient)
    sgd_step = staticmethod(sgd_step)
    adam_step = staticmethod(adam_step)


class NumbaKernels(NumpyKernels):
    """Compiled loops where they pay, the numpy kernels elsewhere."""

    name = "numba"

    def __init__(self):
        self._loops = _numba_module()
        self._forward_bias = {
            "relu": self._relu_bias,
            "softmax": self._softmax_bias,
        }
        self._backward = {"relu": self._relu_backward}

    def _relu_bias(self, Z, b, keep_z=None):
        self._loops.bias_relu(Z, b)

    def _softmax_bias(self, Z, b, keep_z=None):
        # the row maximum over a few classes is many tiny numpy loops
        self._loops.bias_sub_rowmax(Z, b)
        softmax_normalise(Z)

    def _relu_backward(self, delta, A, Z):
        self._loops.relu_backward(delta, A)

    def column_sum(self, A, out):
        if A.shape[1] > 1 and A.shape[0] > 0 and A.flags.c_contiguous:
            self._loops.column_sum(A, out)
        else:  # numpy sums a single column pairwise
            np.add.reduce(A, axis=0, out=out)

    def forward_bias(self, activation):
        fn = self._forward_bias.get(activation.name)
        return fn if fn is not None else super().forward_bias(activation)

    def backward(self, activation):
        fn = self._backward.get(activation.name)
        return fn if fn is not None else super().backward(activation)

    # the loops add l2 * W as they go: no separate pass, no scratch
    def sgd_step(self, params, grad, velocity, lr, momentum, nesterov, l2=0.0,
                 n_coef=0, scratch=None):
        t = params.dtype.type
        self._loops.sgd_step(
            params, grad, velocity, n_coef if l2 else 0, t(l2), t(lr),
            t(momentum), nesterov,
        )

    def adam_step(self, params, grad, m, v, b1, b2, step, eps, l2=0.0,
                  n_coef=0, scratch=None):
        t = params.dtype.type
        # without L2 no weight takes the l2 * p term (not even + 0.0)
        self._loops.adam_step(
            params, grad, m, v, n_coef if l2 else 0, t(l2), t(b1), t(b2),
            t(step), t(eps),
        )


NUMPY = NumpyKernels()
"""The shared (stateless) numpy kernels."""

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
    whose registry entry has no ``tiny_code`` (a new one runs on the numpy
    path: the loop cannot compile a Python function into its switch), or
    no numba."""
    units = network.layer_units
    flops = capacity * sum(a * b for a, b in zip(units, units[1:]))
    if flops > TINY_FLOPS or planned_batches < TINY_MIN_BATCHES:
        return None
    entries = [*network.layer_activations[1:], network.loss]
    if any(entry.tiny_code is None for entry in entries):
        return None
    if not numba_available():
        return None
    module = _numba_module("compiled_epoch")
    return None if module is None else module.tiny_epoch
