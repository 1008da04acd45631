"""A whole training epoch of a tiny network as one compiled loop (numba).

For networks whose matrix products are a few thousand multiply-adds per
batch, numpy's per-call overhead -- some forty calls per batch -- is nearly
all of the time.  :func:`tiny_epoch` runs every batch of an epoch (forward
pass, loss, fused output delta, backward pass, L2 term, Adam or SGD step) in
one call, on the same formulas as the numpy path (:mod:`.network`,
:mod:`.losses`, :mod:`.activations`, :mod:`.optimizers`).  Its matrix
products and sums run in a different order than BLAS and numpy's pairwise
sums, so results agree to rounding (``tests/engine/test_kernels.py`` bounds the
difference per step), not bit for bit.

The switches on ``code`` and ``loss_code`` use the numbers of the registry
entries (``Activation.tiny_code`` in :mod:`.activations`, ``Loss.tiny_code``
in :mod:`.losses`); ``tests/engine/test_registry.py`` checks each entry's
number against these switches.  They are written here as literals, not read
from the registry, because numba's disk cache keys on this file alone: a
number read from another module would be frozen into a stale cache.
"""

import math

import numba
import numpy as np

from ._numba_kernels import adam_step, sgd_step

_jit = numba.njit(cache=True, nogil=True, error_model="numpy")

_INV_SQRT_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


@_jit
def _activate(code, z):
    """``f(z)`` of a hidden or elementwise output activation other than
    the ones :func:`_activate_layer` runs as loops of their own (float32
    arguments are computed in float64 and rounded when stored)."""
    if code == 1:
        return 1.0 / (1.0 + math.exp(-z))
    if code == 4:
        return z * 0.01 if z < 0.0 else z
    if code == 5:
        return math.expm1(z) if z < 0.0 else z
    if code == 6:
        return z * (0.5 * math.erfc(-z * _INV_SQRT_2))
    if code == 7:
        return max(z, 0.0) + math.log1p(math.exp(-abs(z)))
    return z


@_jit
def _derivative(code, a, z):
    """``f'`` at the layer, from its output ``a`` (``z`` for GELU), as
    :mod:`.activations` writes it (relu and tanh: :func:`_times_derivative`)."""
    if code == 1:
        return a - a * a
    if code == 4:
        return 0.01 if a < 0.0 else 1.0
    if code == 5:
        return a + 1.0 if a < 0.0 else 1.0
    if code == 6:
        pdf = math.exp(-0.5 * z * z) * z * _INV_SQRT_2PI
        return pdf + 0.5 * math.erfc(-z * _INV_SQRT_2)
    if code == 7:
        return -math.expm1(-a)
    return 1.0


@_jit
def _forward(X, rows, params, units, w_off, b_off, codes, acts, a_off, zs,
             exp_cap):
    """Every layer's ``a_k = f(a_{k-1} W_k + b_k)`` into ``acts`` (layer k at
    ``a_off[k]``, rows of ``units[k]``); GELU layers keep ``z`` in ``zs``."""
    m = rows.size
    for k in range(units.size - 1):
        fi, fo = units[k], units[k + 1]
        w, b, out = w_off[k], b_off[k], a_off[k + 1]
        for i in range(m):
            o = out + i * fo
            for j in range(fo):
                acts[o + j] = 0.0
            for p in range(fi):
                a = X[rows[i], p] if k == 0 else acts[a_off[k] + i * fi + p]
                for j in range(fo):
                    acts[o + j] += a * params[w + p * fo + j]
            for j in range(fo):
                acts[o + j] += params[b + j]
        _activate_layer(codes[k], acts, zs, out, m, fo, exp_cap)


@_jit
def _activate_row(code, acts, o, n, exp_cap):
    """Softmax (8) or exp (9) of one row ``acts[o:o + n]`` of
    pre-activations."""
    if code == 8:  # softmax
        top = acts[o]
        for j in range(1, n):
            x = acts[o + j]
            if x > top or x != x:
                top = x
        total = 0.0
        for j in range(n):
            acts[o + j] = math.exp(acts[o + j] - top)
            total += acts[o + j]
        for j in range(n):
            acts[o + j] /= total
    else:  # exp, the Poisson link, capped below overflow
        for j in range(n):
            acts[o + j] = math.exp(min(acts[o + j], exp_cap))


@_jit
def _activate_layer(code, acts, zs, o, m, n, exp_cap):
    """The activation of ``m`` rows of ``n`` pre-activations at ``acts[o:]``:
    row by row for softmax and exp, else one span whose loop is chosen
    before it starts (so that it vectorises)."""
    if code == 8 or code == 9:
        for i in range(m):
            _activate_row(code, acts, o + i * n, n, exp_cap)
    elif code == 3:
        for e in range(o, o + m * n):
            acts[e] = 0.0 if acts[e] < 0.0 else acts[e]
    elif code == 2:
        for e in range(o, o + m * n):
            acts[e] = math.tanh(acts[e])
    elif code != 0:
        for e in range(o, o + m * n):
            if code == 6:
                zs[e] = acts[e]
            acts[e] = _activate(code, acts[e])


@_jit
def _times_derivative(code, deltas, acts, zs, start, stop):
    """``deltas[e] *= f'`` over ``start:stop``, the loop chosen first."""
    if code == 3:
        for e in range(start, stop):
            deltas[e] = deltas[e] * (1.0 if acts[e] > 0.0 else 0.0)
    elif code == 2:
        for e in range(start, stop):
            deltas[e] = deltas[e] * (1.0 - acts[e] * acts[e])
    elif code != 0:
        for e in range(start, stop):
            deltas[e] = deltas[e] * _derivative(code, acts[e], zs[e])


@_jit
def _xlogy(x, y):
    if x == 0.0 and y == y:
        return 0.0
    return x * math.log(y)


@_jit
def _sample_loss(loss_code, a, y, eps, tiny):
    """One output's term of the per-sample loss (before the 1/2 of the
    squared error)."""
    if loss_code == 0:
        return (a - y) * (a - y)
    if loss_code == 3:
        rate = max(a, tiny)
        return _xlogy(y, y) - _xlogy(y, rate) - y + rate
    p = min(max(a, eps), 1.0 - eps)
    if loss_code == 1:
        return -(y * math.log(p))
    return -(_xlogy(y, p) + _xlogy(1.0 - y, 1.0 - p))


@_jit
def _loss_and_delta(acts, o, Y, rows, sw, weighted, fo, loss_code, eps, tiny,
                    weight):
    """The batch's mean loss; the fused output delta ``s_i (a_i - y_i) / S``
    written over ``a_L`` (at ``acts[o:]``)."""
    value = 0.0
    for i in range(rows.size):
        per_sample = 0.0
        for j in range(fo):
            per_sample += _sample_loss(
                loss_code, acts[o + i * fo + j], Y[rows[i], j], eps, tiny
            )
        value += per_sample * (sw[rows[i]] if weighted else 1.0)
    if loss_code == 0:
        value *= 0.5
    scale = 1.0 / weight
    for i in range(rows.size):
        f = sw[rows[i]] * scale if weighted else scale
        for j in range(fo):
            acts[o + i * fo + j] = (acts[o + i * fo + j] - Y[rows[i], j]) * f
    return value / weight


@_jit
def _backward(X, rows, params, grad, units, w_off, b_off, codes, acts, a_off,
              deltas, zs):
    """``dW_k = a_{k-1}^T delta_k``, ``db_k = 1^T delta_k`` and
    ``delta_{k-1} = (delta_k W_k^T) * f'`` from the output delta down."""
    m = rows.size
    n_layers = units.size - 1
    for k in range(n_layers - 1, -1, -1):
        fi, fo = units[k], units[k + 1]
        w, b = w_off[k], b_off[k]
        d = a_off[n_layers] if k == n_layers - 1 else a_off[k + 1]
        src = acts if k == n_layers - 1 else deltas
        grad[w:w + fi * fo] = 0.0
        grad[b:b + fo] = 0.0
        for i in range(m):
            for j in range(fo):
                grad[b + j] += src[d + i * fo + j]
            for p in range(fi):
                a = X[rows[i], p] if k == 0 else acts[a_off[k] + i * fi + p]
                for j in range(fo):
                    grad[w + p * fo + j] += a * src[d + i * fo + j]
        if k > 0:
            for i in range(m):
                for p in range(fi):
                    s = 0.0
                    for j in range(fo):
                        s += src[d + i * fo + j] * params[w + p * fo + j]
                    deltas[a_off[k] + i * fi + p] = s
            q = a_off[k]
            _times_derivative(codes[k - 1], deltas, acts, zs, q, q + m * fi)


@_jit
def _penalty(params, n_coef, l2):
    if l2 == 0.0:
        return 0.0
    total = 0.0
    for i in range(n_coef):
        total += params[i] * params[i]
    return 0.5 * l2 * total


@_jit
def tiny_epoch(X, Y, sw, weighted, order, batches, params, grad, layout,
               codes, acts, deltas, zs, consts, n_coef, adam, state1, state2,
               poison):
    """One epoch; returns ``sum_b loss_b * loss_factor_b`` as
    :meth:`.trainer.Trainer.epoch` does.

    ``batches`` are the epoch's batches (:func:`.trainer.batch_plan`'s
    rows with each step's optimizer settings,
    :data:`.trainer.COMPILED_BATCH_FIELDS`); ``layout`` stacks ``units``,
    ``w_off``, ``b_off`` and ``a_off`` (rows of length L + 1); ``consts``:
    loss code, eps, tiny, exp cap.  ``poison`` fills the buffers with NaN
    before each batch (the workspace's debug mode).
    """
    units, w_off, b_off, a_off = layout[0], layout[1], layout[2], layout[3]
    n_layers = units.size - 1
    loss_code = int(consts[0])
    total = 0.0
    for b in range(batches.size):
        batch = batches[b]
        rows = order[batch.start:batch.stop]
        if poison:
            acts[:] = np.nan
            deltas[:] = np.nan
            zs[:] = np.nan
        _forward(X, rows, params, units, w_off, b_off, codes, acts, a_off, zs,
                 consts[3])
        loss = _loss_and_delta(acts, a_off[n_layers], Y, rows, sw, weighted,
                               units[n_layers], loss_code, consts[1],
                               consts[2], batch.weight)
        loss += _penalty(params, n_coef, batch.l2)
        _backward(X, rows, params, grad, units, w_off, b_off, codes, acts,
                  a_off, deltas, zs)
        # the step settings computed once, by the optimizer
        # (step_settings); no l2 * W term without L2
        n_l2 = n_coef if batch.l2 != 0.0 else 0
        s, a = batch.SGD, batch.Adam
        if adam:
            adam_step(params, grad, state1, state2, a.beta_1, a.beta_2, a.step,
                      a.epsilon, batch.l2, n_l2)
        else:
            sgd_step(params, grad, state1, s.learning_rate, s.momentum,
                     s.nesterov, batch.l2, n_l2)
        total += loss * batch.loss_factor
    return total
