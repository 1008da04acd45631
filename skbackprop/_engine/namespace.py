"""What the engine knows of an array namespace other than numpy's (torch,
CuPy, array_api_strict): the module, the device, the transfers to and from
the host, constants made once, and how to copy an array of any namespace.

:class:`ArrayNamespace` is built by the scikit-learn side with
scikit-learn's helpers (the engine imports nothing from scikit-learn); the
array-API kernels (:class:`.kernels.ArrayApiKernels`) compute with it.
"""

import math

import numpy as np
from scipy.special import ndtr as _numpy_ndtr

__all__ = ["ArrayNamespace", "Constants", "copy_array"]


class ArrayNamespace:
    """An array namespace and device, with transfers to and from the host.

    Parameters
    ----------
    xp : module
        An array-API namespace (as returned by ``array_api_compat``).
    device : object
        The device of the arrays.
    to_numpy : callable ``to_numpy(array) -> ndarray``
    """

    def __init__(self, xp, device, to_numpy):
        self.xp, self.device, self.to_numpy = xp, device, to_numpy
        name = getattr(xp, "__name__", "")
        self.is_torch = "torch" in name
        self.is_cupy = "cupy" in name

    def asarray(self, array, dtype=None):
        """A host (numpy) array, or a Python scalar, on the device."""
        return self.xp.asarray(array, dtype=dtype, device=self.device)

    def copy(self, array):
        return self.xp.asarray(array, copy=True)

    def all_finite(self, array):
        return bool(self.xp.all(self.xp.isfinite(array)))

    def ndtr(self, z):
        """The standard normal CDF: native on torch and CuPy, a round trip
        through the host elsewhere (array_api_strict has no erf)."""
        if self.is_torch:
            import torch

            return torch.special.ndtr(z)
        if self.is_cupy:
            import cupyx.scipy.special

            return cupyx.scipy.special.ndtr(z)
        return self.asarray(_numpy_ndtr(self.to_numpy(z)), dtype=z.dtype)


class Constants:
    """0-d arrays of one dtype on one device, made once (some namespaces
    refuse Python scalars in ``maximum`` and friends, and making a constant
    inside a batch costs a transfer on a GPU)."""

    def __init__(self, ns, dtype):
        xp = ns.xp
        finfo = xp.finfo(dtype)
        self.zero = ns.asarray(0.0, dtype=dtype)
        self.one = ns.asarray(1.0, dtype=dtype)
        self.eps = float(finfo.eps)
        self.tiny = ns.asarray(float(finfo.smallest_normal), dtype=dtype)
        self.exp_cap = ns.asarray(math.log(float(finfo.max)) - 1.0, dtype=dtype)


def copy_array(array):
    """A copy of ``array`` in its namespace, on its device, sharing no
    memory with it.

    Parameters
    ----------
    array : array
        A numpy, torch, CuPy or other array-API array.

    Returns
    -------
    array
        The copy.
    """
    if isinstance(array, np.ndarray):
        return array.copy()
    if hasattr(array, "clone"):  # torch: no __array_namespace__ on tensors
        return array.detach().clone()
    if hasattr(array, "copy"):  # CuPy and other numpy-like arrays
        return array.copy()
    return array.__array_namespace__().asarray(array, copy=True)
