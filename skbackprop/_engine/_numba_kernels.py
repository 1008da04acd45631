"""The compiled loops of :class:`.kernels.NumbaKernels` (numba).

Imported only when a network large enough to use them trains, so that numba
(an optional dependency) costs nothing otherwise.
"""

import numba
import numpy as np

# error_model="numpy": no Python exception checks, so the loops
# vectorise (inf/nan propagate as in numpy); cache=True: compile once
# per machine, not once per process
_jit = numba.njit(cache=True, nogil=True, error_model="numpy")


@_jit
def adam_step(p, g, m, v, b1, b2, step, eps, l2, n_coef):
    """Adam on the scaled moments of ``optimizers.Adam``, L2 fused; the
    arguments of ``Adam.numpy_step``, in its order.

    ``g`` is the data gradient; ``l2 * p`` is added to its first
    ``n_coef`` entries (the weights).  ``g`` is left unchanged.
    """
    for i in range(n_coef):
        gi = g[i] + p[i] * l2
        mi = m[i] * b1 + gi
        vi = v[i] * b2 + gi * gi
        m[i] = mi
        v[i] = vi
        p[i] -= (mi / (np.sqrt(vi) + eps)) * step
    for i in range(n_coef, p.size):
        gi = g[i]
        mi = m[i] * b1 + gi
        vi = v[i] * b2 + gi * gi
        m[i] = mi
        v[i] = vi
        p[i] -= (mi / (np.sqrt(vi) + eps)) * step


@_jit
def _sgd_range(p, g, vel, start, stop, l2, lr, mu, nesterov, with_l2):
    for i in range(start, stop):
        gi = (g[i] + p[i] * l2) * lr if with_l2 else g[i] * lr
        if mu == 0:
            p[i] -= gi
            continue
        vi = vel[i] * mu - gi
        vel[i] = vi
        if nesterov:
            p[i] = (p[i] - gi) + vi * mu
        else:
            p[i] += vi


@_jit
def sgd_step(p, g, vel, lr, mu, nesterov, l2, n_coef):
    """SGD / momentum / Nesterov of ``optimizers.SGD``, L2 fused as in
    :func:`adam_step` (the arguments of ``SGD.numpy_step``)."""
    _sgd_range(p, g, vel, 0, n_coef, l2, lr, mu, nesterov, True)
    _sgd_range(p, g, vel, n_coef, p.size, l2, lr, mu, nesterov, False)


@_jit
def bias_relu(Z, b):
    """``Z = max(Z + b, 0)`` in place, NaN propagating as np.maximum."""
    zero = Z.dtype.type(0)
    for i in range(Z.shape[0]):
        for j in range(Z.shape[1]):
            x = Z[i, j] + b[j]
            Z[i, j] = zero if x < zero else x


@_jit
def bias_sub_rowmax(Z, b):
    """``Z += b; Z -= max(Z, axis=1)`` in place (softmax's first half);
    a NaN in a row makes its maximum NaN, as np.maximum.reduce."""
    for i in range(Z.shape[0]):
        top = Z[i, 0] + b[0]
        for j in range(1, Z.shape[1]):
            x = Z[i, j] + b[j]
            if x > top or x != x:
                top = x
        for j in range(Z.shape[1]):
            Z[i, j] = (Z[i, j] + b[j]) - top


@_jit
def relu_backward(delta, A):
    """``delta *= (A > 0)``, as numpy's multiply by a boolean mask."""
    one = delta.dtype.type(1)
    zero = delta.dtype.type(0)
    for i in range(delta.shape[0]):
        for j in range(delta.shape[1]):
            delta[i, j] *= one if A[i, j] > zero else zero


@_jit
def column_sum(A, out):
    """``out = A.sum(axis=0)`` row after row, as numpy reduces a C-ordered
    array of two or more columns (bit-identical then; one column is a
    contiguous vector, which numpy sums pairwise)."""
    for j in range(A.shape[1]):
        out[j] = A[0, j]
    for i in range(1, A.shape[0]):
        for j in range(A.shape[1]):
            out[j] += A[i, j]
