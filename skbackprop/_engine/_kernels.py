"""Fused loops for the elementwise work of a training step (optional numba).

numpy evaluates ``m = b1 * m + g`` as two passes over memory, and an Adam
step takes ten; its ``sqrt`` loop is also several times slower than a
vectorised one.  With `numba <https://numba.pydata.org>`_ installed (the
``fast`` extra), the optimizer steps with the L2 gradient term, the ReLU
forward/backward and softmax's row maximum run as single compiled loops
(:mod:`._numba_kernels`) instead.

Each loop performs the numpy path's arithmetic in the same order on the same
dtype (no fused multiply-add, no reassociation), so both paths give
**bit-identical** results -- the tests check this -- and which one runs is
purely a matter of speed.  The loops are used for networks of at least
:data:`MIN_PARAMS` parameters: below that numpy's per-call overhead is small,
and loading the compiled loops (about 0.2 s once per process) would dominate
a short fit.  ``SKBACKPROP_NUMBA=0`` in the environment turns them off.

The kernels take the step's scalars already converted to the arrays' dtype:
that is what numpy does with Python floats in ``float32_array *= 0.9``, and
what keeps float32 arithmetic in float32.
"""

import os

__all__ = ["MIN_PARAMS", "available", "get", "wanted"]

MIN_PARAMS = 1 << 15
"""Smallest network (number of parameters) that uses the fused loops."""

disabled = os.environ.get("SKBACKPROP_NUMBA", "1") == "0"
"""Whether the fused loops are turned off (``SKBACKPROP_NUMBA=0``)."""

_loaded = None  # the compiled module, False if numba is missing


def get():
    """The module of compiled loops, or None without numba."""
    global _loaded
    if _loaded is None:
        try:
            from . import _numba_kernels
        except ImportError:
            _loaded = False
        else:
            _loaded = _numba_kernels
    return _loaded or None


def available():
    """Whether the fused loops can run here (numba installed, not disabled)."""
    return not disabled and get() is not None


def wanted(n_params):
    """Whether a network of ``n_params`` parameters uses the fused loops."""
    return n_params >= MIN_PARAMS and available()
