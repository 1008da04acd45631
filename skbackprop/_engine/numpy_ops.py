"""The reference backend: the array operations of a training step as numpy
ufuncs writing into the workspace's buffers.

Every other backend (:mod:`.kernels`: the compiled loops, the array API) is
checked against these, operation for operation; the network
(:mod:`.network`) uses them unless the trainer hands it another backend.
"""

import numpy as np
from scipy.sparse import issparse

from .optimizers import add_l2_gradient

__all__ = ["NUMPY", "NumpyKernels"]


class NumpyKernels:
    """The reference kernels: numpy ufuncs, in place (each method writes
    into its ``out`` buffer and returns it)."""

    name = "numpy"
    in_place = True
    reshape = staticmethod(np.reshape)

    # -- layers ---------------------------------------------------------
    def bias_activation(self, Z, b, activation, keep_z=None):
        """``Z = f(Z + b)`` in place; returns ``(Z, keep_z)``, ``keep_z``
        receiving ``Z + b`` when given (for the activations whose
        derivative needs the pre-activation)."""
        Z += b
        if keep_z is not None:
            keep_z[...] = Z
        activation.forward(Z)
        return Z, keep_z

    def times_derivative(self, delta, activation, A, Z):
        """``delta *= f'`` in place, from the output ``A`` (``Z`` for the
        activations that need it); returns ``delta``."""
        activation.backward(delta, A, Z)
        return delta

    @staticmethod
    def matmul(A, B, out):
        """``out = A @ B``; ``A`` may be sparse (a transpose too:
        ``X.T @ delta`` of a sparse ``X`` is a product of scipy's)."""
        if issparse(A):
            out[...] = A @ B
        else:
            np.matmul(A, B, out=out)
        return out

    @staticmethod
    def multiply(A, B, out):
        """``out = A * B`` (``out`` may be ``A``)."""
        return np.multiply(A, B, out=out)

    @staticmethod
    def column_sum(A, out):
        """``out = A.sum(axis=0)`` (the bias gradients)."""
        np.add.reduce(A, axis=0, out=out)
        return out

    # -- the loss ---------------------------------------------------------
    @staticmethod
    def loss_and_delta(loss, A, Y, sample_weight):
        """``(sum_i s_i l_i / S, delta_L)``: the fused output delta
        ``s_i (a_i - y_i) / S`` written over ``A`` (after the value)."""
        sw_sum = float(A.shape[0] if sample_weight is None else sample_weight.sum())
        value = loss.value(A, Y, sample_weight) / sw_sum
        return value, loss.delta(A, Y, sample_weight, 1.0 / sw_sum, A)

    @staticmethod
    def flat_gradient(grad, coef_grads, intercept_grads):
        """The flat gradient: the layers wrote into ``grad`` already."""
        return grad

    @staticmethod
    def penalty(weights, l2):
        """``l2 / 2 * ||weights||^2`` (0.0 without L2)."""
        if not l2:
            return 0.0
        return 0.5 * l2 * float(np.dot(weights, weights))

    # -- L2 and optimizer steps: the numpy references of .optimizers
    add_l2 = staticmethod(add_l2_gradient)

    def optimizer_step(self, optimizer):
        """The function running ``optimizer``'s step on these arrays."""
        return optimizer.numpy_step


NUMPY = NumpyKernels()
"""The shared (stateless) numpy kernels."""
