"""What a fit asks of the engine: mini-batch steps, epochs, and the
full-batch objective of L-BFGS.

This is the seam between the training loop (:mod:`skbackprop._training`) and
the engine.  A :class:`Trainer` is made once per fit by :func:`make_trainer`,
which also chooses the kernels (:mod:`.kernels`); its callers never learn
which kernels run.  Another array backend is another implementation of the
same three methods: :meth:`Trainer.prepare`, :meth:`Trainer.step`,
:meth:`Trainer.epoch`, plus :meth:`Trainer.objective` for L-BFGS.
"""

import os

import numpy as np

from .kernels import select_kernels
from .network import is_sparse

__all__ = ["Trainer", "make_trainer"]

DEBUG_POISON = os.environ.get("SKBACKPROP_DEBUG_BUFFERS", "0") == "1"
"""Poison the workspace before every batch (see :class:`.network.Workspace`);
``SKBACKPROP_DEBUG_BUFFERS=1`` in the environment turns it on."""


class Trainer:
    """The training steps of one fit, on numpy arrays.

    Parameters
    ----------
    network : Network
    optimizer : optimizer or None
        The stochastic optimizer (None for L-BFGS, which uses
        :meth:`objective` only).
    capacity : int
        Most rows per batch.
    kernels : kernels object, optional
        Chosen by :func:`.kernels.select_kernels` when omitted.
    poison : bool, default=False
        Debug mode of the workspace (see :class:`.network.Workspace`).
    dropout : sequence of float, default=None
        Dropout rate of each hidden layer (None: no dropout).
    rng : numpy.random.Generator, default=None
        Draws the dropout masks, one batch at a time (:meth:`step`); needed
        when a rate is above 0, unused otherwise.
    """

    def __init__(self, network, optimizer, capacity, kernels=None, poison=False,
                 dropout=None, rng=None):
        self.network = network
        self.optimizer = optimizer
        self.kernels = kernels or select_kernels(network.n_params)
        self.workspace = network.workspace(capacity, poison, dropout)
        if self.workspace.dropping and rng is None:
            raise ValueError("dropout needs a random generator (rng).")
        self.rng = rng
        # the gradient: written by each backward pass, consumed by the step
        self.grad = np.empty(network.n_params, dtype=network.dtype)

    def prepare(self, X):
        """``X`` in the form whose rows :meth:`epoch` gathers cheaply.

        A CSC matrix becomes CSR once (a batch is a row subset: cheap in
        CSR, a pass over every entry of a CSC matrix); the caller's matrix
        is untouched.
        """
        if is_sparse(X) and X.format != "csr":
            return X.tocsr()
        return X

    def step(self, params, X, Y, sample_weight, l2):
        """One mini-batch step: forward, loss, backward, update of ``params``.

        Returns the batch objective (data term and L2 penalty) at the
        parameters *before* the update.  With dropout, the batch's masks are
        drawn first.
        """
        network, ws = self.network, self.workspace
        if ws.dropping:
            ws.draw_masks(self.rng, X.shape[0])
        loss = network.data_loss_grad(
            params, self.grad, X, Y, sample_weight, ws, self.kernels
        )
        loss += network.penalty(params, l2)
        self.optimizer.update(
            params, self.grad, l2, network.n_coef, self.kernels, ws.scratch
        )
        return loss

    def epoch(self, params, X, Y, sample_weight, order, batch_size, l2):
        """One pass over the rows in batches of ``batch_size``.

        Parameters
        ----------
        params : ndarray of shape (n_params,)
            Updated in place, once per batch.
        X, Y, sample_weight : arrays
            The training data (``X`` as returned by :meth:`prepare`).
        order : ndarray of int or None
            The rows in the order they are visited (None: as stored).
        batch_size : int
        l2 : float

        Returns
        -------
        float
            ``sum_b loss_b * w_b`` over the batches, ``w_b`` a batch's
            total sample weight (its size without weights).
        """
        n = X.shape[0]
        if order is not None:
            self.workspace.gather_buffers(X, Y)
        total = 0.0
        for start in range(0, n, batch_size):
            stop = min(start + batch_size, n)
            if self.workspace.poison:
                self.workspace.poison_all()
            X_b, Y_b, sw_b = self._batch(X, Y, sample_weight, order, start, stop)
            loss = self.step(params, X_b, Y_b, sw_b, l2)
            total += loss * (stop - start if sw_b is None else float(sw_b.sum()))
        return total

    def _batch(self, X, Y, sample_weight, order, start, stop):
        """Rows ``start:stop`` of the visiting order: views of contiguous
        rows, or gathered into the workspace's buffers."""
        if order is None:
            sw = None if sample_weight is None else sample_weight[start:stop]
            return X[start:stop], Y[start:stop], sw
        idx = order[start:stop]
        m = stop - start
        ws = self.workspace
        if is_sparse(X):
            X_b = X[idx]
        else:
            # mode="clip": the indices are valid by construction, and
            # "raise" makes numpy buffer the output
            X_b = X.take(idx, axis=0, out=ws.x[:m], mode="clip")
        Y_b = Y.take(idx, axis=0, out=ws.y[:m], mode="clip")
        sw_b = None if sample_weight is None else sample_weight[idx]
        return X_b, Y_b, sw_b

    def objective(self, params, X, Y, sample_weight, l2):
        """The full-batch objective for scipy's L-BFGS-B.

        Returns ``fun(x) -> (loss, grad)`` on float64 vectors; ``x`` is
        copied into ``params`` (the network's dtype) at each call.  A
        non-finite loss is reported as ``inf`` with a zero gradient, so the
        line search backs off from an overflowing step.
        """
        network, ws, grad = self.network, self.workspace, self.grad
        if ws.dropping:
            raise ValueError(
                "dropout makes the objective random; L-BFGS needs a "
                "deterministic one."
            )

        def fun(x):
            if ws.poison:
                ws.poison_all()
            params[...] = x
            loss = network.loss_grad(
                params, grad, X, Y, sample_weight, l2, ws, self.kernels
            )
            if not np.isfinite(loss):
                return np.inf, np.zeros(params.shape, dtype=np.float64)
            return loss, grad.astype(np.float64)

        return fun


def make_trainer(network, optimizer, capacity, dropout=None, rng=None):
    """The :class:`Trainer` for ``network``, with kernels chosen for it
    (and the workspace poisoned in debug mode, :data:`DEBUG_POISON`);
    ``dropout`` and ``rng`` as :class:`Trainer`."""
    return Trainer(
        network, optimizer, capacity, poison=DEBUG_POISON, dropout=dropout, rng=rng
    )
