r"""Forward and backward passes of a fully connected network.

All parameters live in one flat buffer laid out as scikit-learn's ``_pack``
does, ``[W_0, ..., W_{L-1}, b_0, ..., b_{L-1}]`` (each ``W_k`` C-ordered),
and the gradient in a second buffer of the same layout.  Per-layer arrays are
views into these buffers, so an optimizer updates every layer with a handful
of vectorised operations on the flat arrays, and the L2 penalty, which only
touches the weights, is one operation on the contiguous prefix of the
weights.

Notation: layer ``k`` (1-based) has weights ``W_k`` (views ``coefs[k-1]``),
bias ``b_k``, pre-activation ``z_k = a_{k-1} W_k + b_k`` and output
``a_k = f(z_k)``; ``a_0 = X``.  For a batch with sample weights ``s_i`` summing
to ``S``, the batch objective is

.. math::

    J = \frac{1}{S} \sum_i s_i \, \ell(y_i, a_{L,i})
        + \frac{\lambda}{2} \sum_k \lVert W_k \rVert_F^2 ,

where the estimators pass ``\lambda = \alpha / S_{\text{data}}`` (see the
estimator docs).  Back-propagation is the chain rule, layer by layer:

.. math::

    \delta_L &= \frac{1}{S}\,\mathrm{diag}(s)\,(a_L - y)
        \qquad\text{(fused canonical-link output delta)}\\
    \frac{\partial J}{\partial W_k} &= a_{k-1}^\top \delta_k + \lambda W_k,
    \qquad \frac{\partial J}{\partial b_k} = \textstyle\sum_i \delta_{k,i}\\
    \delta_{k-1} &= (\delta_k W_k^\top) \odot f'(z_{k-1}).

The ``1/S`` is applied once, to ``delta_L``, so every weight *and* bias
gradient is a mean over samples.
"""

import numpy as np

from . import _kernels
from .activations import get_activation
from .losses import get_loss

__all__ = ["Network", "Workspace"]

_BLOCK = 1 << 14  # fewest elements per block of the L2 update


def _is_sparse(X):
    return hasattr(X, "tocsr") and not isinstance(X, np.ndarray)


class Workspace:
    """Pre-allocated per-batch arrays, reused across batches.

    For a batch of ``n <= capacity`` rows the network uses the leading ``n``
    rows of each array (contiguous views, no copies).
    """

    def __init__(self, network, capacity):
        units = network.layer_units
        dtype = network.dtype
        self.capacity = capacity
        # acts[k] holds a_k for k = 1..L (index 0 unused: the input itself)
        self.acts = [None] + [np.empty((capacity, u), dtype=dtype) for u in units[1:]]
        # deltas[k] holds delta_k for k = 1..L-1; the output delta is written
        # over a_L, which is not needed once the loss is computed
        self.deltas = [None] + [
            np.empty((capacity, u), dtype=dtype) for u in units[1:-1]
        ] + [None]
        # Scratch for the blocked L2 update, which runs after the backward
        # pass, when the activation and delta buffers are free: the largest
        # of them serves, unless it is too small to make blocks worthwhile.
        free = [b for b in self.acts[1:] + self.deltas[1:] if b is not None]
        largest = max(free, key=lambda b: b.size).reshape(-1)
        need = min(network.n_coef, _BLOCK)
        self.scratch = (
            largest if largest.size >= need else np.empty(need, dtype=dtype)
        )
        # blocks as large as the scratch allows: each costs two ufunc calls,
        # and that overhead outweighs keeping a block in L2 cache
        step = self.scratch.size
        self.coef_blocks = [
            slice(i, min(i + step, network.n_coef))
            for i in range(0, network.n_coef, step)
        ]
        # pre-activations are kept only for activations whose derivative
        # needs them (GELU); the rest differentiate from a_k.
        needs_z = network.activation.needs_z
        self.zs = [None] + [
            np.empty((capacity, u), dtype=dtype) if needs_z else None
            for u in units[1:-1]
        ] + [None]


class Network:
    """A multi-layer perceptron's structure and its passes.

    Parameters
    ----------
    layer_units : sequence of int
        ``[n_features, hidden_1, ..., hidden_h, n_outputs]``.
    activation : str
        Hidden-layer activation name (see :mod:`.activations`).
    loss : str
        Loss name (see :mod:`.losses`); it fixes the output activation.
    dtype : numpy dtype, default=np.float64
    """

    def __init__(self, layer_units, activation, loss, dtype=np.float64):
        self.layer_units = [int(u) for u in layer_units]
        self.n_layers = len(self.layer_units)
        self.activation = get_activation(activation)
        self.loss = get_loss(loss)
        self.out_activation = get_activation(self.loss.out_activation, output=True)
        self.dtype = np.dtype(dtype)

        shapes = list(zip(self.layer_units[:-1], self.layer_units[1:]))
        self.coef_shapes = shapes
        self.coef_slices = []
        start = 0
        for fan_in, fan_out in shapes:
            self.coef_slices.append(slice(start, start + fan_in * fan_out))
            start += fan_in * fan_out
        self.n_coef = start
        self.intercept_slices = []
        for _, fan_out in shapes:
            self.intercept_slices.append(slice(start, start + fan_out))
            start += fan_out
        self.n_params = start
        self._view_cache = []

    # ------------------------------------------------------------------
    # parameter buffer
    def unpack(self, flat):
        """Per-layer views ``(coefs, intercepts)`` into a flat buffer."""
        coefs = [
            flat[sl].reshape(shape)
            for sl, shape in zip(self.coef_slices, self.coef_shapes)
        ]
        intercepts = [flat[sl] for sl in self.intercept_slices]
        return coefs, intercepts

    def pack(self, coefs, intercepts, out=None):
        """Copy per-layer arrays into a flat buffer (new unless ``out``)."""
        if out is None:
            out = np.empty(self.n_params, dtype=self.dtype)
        for sl, shape, c in zip(self.coef_slices, self.coef_shapes, coefs):
            out[sl].reshape(shape)[...] = c
        for sl, b in zip(self.intercept_slices, intercepts):
            out[sl] = b
        return out

    def init_params(self, random_state):
        """Glorot-uniform weights and intercepts in a new flat buffer.

        Draws, for each layer in turn, the weights then the intercepts from
        ``U(-r, r)`` with ``r = sqrt(factor / (fan_in + fan_out))`` (factor 2
        for the logistic activation, 6 otherwise) -- the same draws, in the
        same order, as scikit-learn's MLP, so equal seeds give equal weights.
        """
        flat = np.empty(self.n_params, dtype=self.dtype)
        coefs, intercepts = self.unpack(flat)
        factor = self.activation.init_factor
        for (fan_in, fan_out), W, b in zip(self.coef_shapes, coefs, intercepts):
            bound = np.sqrt(factor / (fan_in + fan_out))
            W[...] = random_state.uniform(-bound, bound, (fan_in, fan_out))
            b[...] = random_state.uniform(-bound, bound, fan_out)
        return flat

    def workspace(self, capacity):
        """Allocate a :class:`Workspace` for batches of up to ``capacity``."""
        return Workspace(self, capacity)

    # ------------------------------------------------------------------
    # passes
    def _layer(self, a, W, b, z, output, keep_z=None, fused=False):
        """``z = f(a W + b)`` in place in ``z``; ``a`` may be sparse.

        ``keep_z`` receives the pre-activation when the derivative needs it;
        ``fused``: use the fused loops of :mod:`._kernels`.
        """
        if _is_sparse(a):
            z[...] = a @ W
        else:
            np.matmul(a, W, out=z)
        act = self.out_activation if output else self.activation
        if keep_z is not None:
            z += b
            keep_z[...] = z
            act.forward(z)
        else:
            act.forward_bias(z, b, fused)
        return z

    def views(self, flat):
        """Per-layer ``(coefs, intercepts)`` views of ``flat``, cached.

        The cache holds the last two buffers seen (parameters and gradient),
        so the hot loop does not rebuild views every batch.
        """
        for buf, v in self._view_cache:
            if buf is flat:
                return v
        v = self.unpack(flat)
        self._view_cache = [(flat, v), *self._view_cache[:1]]
        return v

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_view_cache"] = []
        return state

    def forward(self, flat, X, ws):
        """Training forward pass into the workspace; returns ``a_L`` (a view).

        Parameters
        ----------
        flat : ndarray of shape (n_params,)
        X : ndarray or sparse matrix of shape (n, n_features), ``n <= capacity``
        ws : Workspace
        """
        coefs, intercepts = self.views(flat)
        n = X.shape[0]
        last = self.n_layers - 1
        fused = _kernels.wanted(self.n_params)
        a_prev = X
        for k in range(1, last + 1):
            keep_z = ws.zs[k][:n] if k < last and ws.zs[k] is not None else None
            a_prev = self._layer(
                a_prev, coefs[k - 1], intercepts[k - 1], ws.acts[k][:n],
                output=k == last, keep_z=keep_z, fused=fused,
            )
        return a_prev

    def loss_grad(self, flat, grad, X, Y, sample_weight, l2, ws, l2_grad=True):
        """Objective and its gradient on one batch.

        Parameters
        ----------
        flat : ndarray of shape (n_params,)
            Flat parameters.
        grad : ndarray of shape (n_params,)
            Flat gradient buffer, overwritten.
        X : ndarray or sparse matrix of shape (n, n_features)
        Y : ndarray of shape (n, n_outputs)
            Targets: the network's dtype, or any integer dtype for 0/1
            class indicators.
        sample_weight : ndarray of shape (n,) or None
        l2 : float
            L2 strength ``lambda`` (penalty ``lambda/2 * sum ||W||^2``).
        ws : Workspace
        l2_grad : bool, default=True
            Whether to add the penalty's gradient ``lambda * W`` to ``grad``;
            False when the optimizer's fused step adds it (the loss always
            includes the penalty).

        Returns
        -------
        loss : float
            ``sum_i s_i l_i / S + lambda/2 * sum_k ||W_k||^2``.
        """
        coefs, _ = self.views(flat)
        gcoefs, gints = self.views(grad)
        n = X.shape[0]
        last = self.n_layers - 1
        A_L = self.forward(flat, X, ws)
        sw_sum = float(n if sample_weight is None else sample_weight.sum())

        loss = self.loss.value(A_L, Y, sample_weight) / sw_sum
        delta = self.loss.delta(
            A_L, Y, sample_weight, 1.0 / sw_sum, A_L
        )

        act = self.activation
        fused = _kernels.wanted(self.n_params)
        for k in range(last, 0, -1):
            if k == 1:
                if _is_sparse(X):
                    gcoefs[0][...] = X.T @ delta
                else:
                    np.matmul(X.T, delta, out=gcoefs[0])
            else:
                np.matmul(ws.acts[k - 1][:n].T, delta, out=gcoefs[k - 1])
            np.add.reduce(delta, axis=0, out=gints[k - 1])
            if k > 1:
                new_delta = ws.deltas[k - 1][:n]
                np.matmul(delta, coefs[k - 1].T, out=new_delta)
                z = ws.zs[k - 1][:n] if act.needs_z else None
                act.backward_fused(new_delta, ws.acts[k - 1][:n], z, fused)
                delta = new_delta

        if l2:
            # lambda * W added block by block through the workspace's
            # scratch: no parameter-sized temporary per batch
            for sl in ws.coef_blocks if l2_grad else ():
                tmp = ws.scratch[: sl.stop - sl.start]
                np.multiply(flat[sl], l2, out=tmp)
                grad[sl] += tmp
            w = flat[: self.n_coef]
            loss += 0.5 * l2 * float(np.dot(w, w))
        return loss

    def predict(self, coefs, intercepts, X, block=2048):
        """Network output for ``X`` in arrays of this call (thread-safe).

        Dense input is processed in blocks of ``block`` rows through
        per-call buffers, so each block's activations stay in cache between
        the matrix product and the elementwise operations.
        """
        n = X.shape[0]
        last = self.n_layers - 1
        dtype = np.result_type(X.dtype, *(c.dtype for c in coefs))
        out = np.empty((n, self.layer_units[-1]), dtype=dtype)
        if _is_sparse(X) or n <= block:
            block = max(n, 1)
        hidden = [
            np.empty((min(block, n), u), dtype=dtype)
            for u in self.layer_units[1:-1]
        ]
        # the fused loops only for the network's own dtype (the kernels'
        # scalars and arrays must agree)
        fused = dtype == self.dtype and _kernels.wanted(self.n_params)
        for start in range(0, n, block):
            stop = min(start + block, n)
            a = X if stop - start == n else X[start:stop]
            for k in range(1, last + 1):
                z = out[start:stop] if k == last else hidden[k - 1][: stop - start]
                a = self._layer(
                    a, coefs[k - 1], intercepts[k - 1], z, k == last, fused=fused
                )
        return out
