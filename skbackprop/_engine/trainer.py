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
from scipy.sparse import issparse

from .activations import exp_cap
from .kernels import select_kernels, tiny_epoch_loop
from .masks import row_keys
from .xp import XpTrainer

__all__ = ["TinyTrainer", "Trainer", "make_trainer"]

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
    seed : int, default=None
        The fit's dropout seed, an integer in ``[0, 2**64)``; needed when a
        rate is above 0, unused otherwise.
    epoch : int, default=0
        The index of the first epoch this trainer trains: the number of
        epochs the model trained before (the estimators pass
        ``len(loss_curve_)``, so ``partial_fit`` calls and warm starts
        continue the count); each :meth:`epoch` adds one.

    Notes
    -----
    With dropout, a row's mask is a hash of ``(row key, seed, epoch,
    layer, unit)`` (:mod:`.masks`): a function of the sample, not of its
    position.  :meth:`prepare` computes the row keys of the training data
    once per fit; :meth:`epoch` gathers each batch's keys and :meth:`step`
    writes its masks (:meth:`.network.Workspace.draw_masks`) before the
    forward pass.  A row repeated ``k`` times is therefore masked, in every
    epoch, as the same row with sample weight ``k``, whatever the order and
    the batches; identical rows share a mask within an epoch.
    """

    def __init__(self, network, optimizer, capacity, kernels=None, poison=False,
                 dropout=None, seed=None, epoch=0):
        self.network = network
        self.optimizer = optimizer
        self.kernels = kernels or select_kernels(network.n_params)
        self.workspace = network.workspace(capacity, poison, dropout)
        if self.workspace.dropping and seed is None:
            raise ValueError("dropout needs a seed.")
        self.seed = None if seed is None else int(seed)
        self.epoch_index = int(epoch)
        self._keys = (None, None)  # (X, its row keys): see prepare
        # the gradient: written by each backward pass, consumed by the step
        self.grad = np.empty(network.n_params, dtype=network.dtype)

    def prepare(self, X, shuffled):
        """``X`` in the form whose rows :meth:`epoch` gathers cheaply.

        Shuffled batches gather rows: a CSC matrix becomes CSR, and a dense
        array that is not C-ordered (pandas gives Fortran-ordered arrays) a
        C-ordered copy, once -- gathering a row of a Fortran-ordered array
        touches every column's memory, every batch.  Unshuffled batches are
        slices, which BLAS reads in either order.  The caller's data is
        untouched.  With dropout, the row keys of ``X`` (:func:`.masks.row_keys`)
        are computed here, once.
        """
        if issparse(X):
            X = X.tocsr() if X.format != "csr" else X
        elif shuffled and not X.flags.c_contiguous:
            X = np.ascontiguousarray(X)
        self._row_keys(X)
        return X

    def _row_keys(self, X):
        """The row keys of the training data ``X`` (None without dropout),
        computed once for each ``X``."""
        if not self.workspace.dropping:
            return None
        if self._keys[0] is not X:
            self._keys = (X, row_keys(X))
        return self._keys[1]

    def step(self, params, X, Y, sample_weight, l2, keys=None):
        """One mini-batch step: forward, loss, backward, update of ``params``.

        Returns the batch objective (data term and L2 penalty) at the
        parameters *before* the update.  A batch whose sample weights are
        all zero contributes nothing: no pass, no update (Adam's step count
        does not advance); it returns 0.0.  With dropout, the batch's masks
        are written first, for the current epoch, from ``keys``, the row
        keys of the batch (computed from ``X`` when None).
        """
        if sample_weight is not None and not sample_weight.any():
            return 0.0
        network, ws = self.network, self.workspace
        if ws.dropping:
            keys = row_keys(X) if keys is None else keys
            ws.draw_masks(keys, self.seed, self.epoch_index)
        loss = network.data_loss_grad(
            params, self.grad, X, Y, sample_weight, ws, self.kernels
        )
        loss += network.penalty(params, l2)
        self.optimizer.update(
            params, self.grad, l2, network.n_coef, self.kernels, ws.scratch
        )
        return loss

    def epoch(self, params, X, Y, sample_weight, order, batch_size, l2,
              per_batch=False):
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
            The L2 strength; with ``per_batch``, ``alpha``, and each batch's
            strength is ``alpha / w_b`` (scikit-learn's scaling).
        per_batch : bool, default=False

        Returns
        -------
        float
            ``sum_b loss_b * w_b`` over the batches, ``w_b`` a batch's
            total sample weight (its size without weights); with
            ``per_batch``, ``sum_b loss_b * n_b``, ``n_b`` its number of
            rows (scikit-learn's epoch loss is that over the number of
            rows).  Batches of weight zero are skipped (see :meth:`step`).
            The epoch counter of the dropout masks then advances by one.
        """
        n = X.shape[0]
        if order is not None:
            self.workspace.gather_buffers(X, Y)
        keys = self._row_keys(X)
        total = 0.0
        for start in range(0, n, batch_size):
            stop = min(start + batch_size, n)
            if self.workspace.poison:
                self.workspace.poison_all()
            X_b, Y_b, sw_b = self._batch(X, Y, sample_weight, order, start, stop)
            weight = stop - start if sw_b is None else float(sw_b.sum())
            if weight == 0.0:
                continue  # a batch of zero weight contributes nothing
            keys_b = self._batch_keys(keys, order, start, stop)
            loss = self.step(params, X_b, Y_b, sw_b,
                             l2 / weight if per_batch else l2, keys_b)
            total += loss * (stop - start if per_batch else weight)
        self.epoch_index += 1
        return total

    def _batch_keys(self, keys, order, start, stop):
        """The row keys of rows ``start:stop`` of the visiting order (None
        without dropout): a view, or gathered into the workspace."""
        if keys is None:
            return None
        if order is None:
            return keys[start:stop]
        out = self.workspace.mask_hash.keys[: stop - start]
        return keys.take(order[start:stop], out=out, mode="clip")

    def _batch(self, X, Y, sample_weight, order, start, stop):
        """Rows ``start:stop`` of the visiting order: views of contiguous
        rows, or gathered into the workspace's buffers."""
        if order is None:
            sw = None if sample_weight is None else sample_weight[start:stop]
            return X[start:stop], Y[start:stop], sw
        idx = order[start:stop]
        m = stop - start
        ws = self.workspace
        if issparse(X):
            X_b = X[idx]
        else:
            # mode="clip": the indices are valid by construction, and
            # "raise" makes numpy buffer the output
            X_b = X.take(idx, axis=0, out=ws.x[:m], mode="clip")
        Y_b = Y.take(idx, axis=0, out=ws.y[:m], mode="clip")
        sw_b = None if sample_weight is None else sample_weight[idx]
        return X_b, Y_b, sw_b

    def finite_loss(self, params, X, Y, sample_weight):
        """Whether the data term of the loss (so the network's output on
        ``X``) is finite at ``params``: by a bound on the output when that
        suffices, else computed.  (Not the L2 term: weights beyond 1e154
        overflow it with finite outputs.)"""
        network = self.network
        if getattr(self, "_bounds_of", None) is not X:
            self._bounds_of, self._bounds = X, (_abs_max(X), _abs_max(Y))
        x_max, y_max = self._bounds
        z_max = network.output_bound(params, x_max)
        big = float(np.finfo(network.dtype).max)
        if network.out_activation.name == "exp":
            safe = z_max < 0.5 * np.log(big)
        else:
            safe = z_max + y_max < 1e-3 * np.sqrt(big)
        if safe:
            return True
        coefs, intercepts = network.unpack(params)
        with np.errstate(all="ignore"):
            out = network.predict(coefs, intercepts, X)
            loss = network.loss.value(out, Y, sample_weight)
        return bool(np.isfinite(out).all() and np.isfinite(loss))

    # the arrays of the training loop: copies, checks, host round trips
    def copy(self, params):
        """A copy of ``params`` (or of any array of this trainer's kind)."""
        return params.copy()

    def all_finite(self, params):
        return bool(np.isfinite(params).all())

    def to_host(self, params):
        """``params`` as a float64 numpy vector (for scipy)."""
        return params.astype(np.float64)

    def from_host(self, params, x):
        """Copy the host vector ``x`` into ``params``."""
        params[...] = x

    def unpack(self, params):
        """Per-layer views ``(coefs, intercepts)`` of ``params``."""
        return self.network.unpack(params)

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


class TinyTrainer(Trainer):
    """A :class:`Trainer` whose epochs run as one compiled loop.

    For tiny networks numpy's per-call overhead is nearly all of a batch's
    time; :func:`.compiled_epoch.tiny_epoch` runs a whole epoch in one call,
    with the same formulas (its sums in another order: results agree to
    rounding, not bit for bit).  Single steps and the L-BFGS objective are
    the numpy ones; sparse input falls back to the numpy epoch.  Its
    buffers (``acts``, ``deltas``, ``zs``: every layer's rows, one flat
    array each) follow the rules of :class:`.network.Workspace`.
    """

    def __init__(self, network, optimizer, capacity, loop, poison=False):
        super().__init__(network, optimizer, capacity, poison=poison)
        self.loop = loop
        units = network.layer_units
        # layer k's rows start at a_off[k] in the flat buffers (k = 1..L)
        a_off = [0] + [capacity * sum(units[1:k]) for k in range(1, len(units))]
        self.layout = np.array([
            units,
            [sl.start for sl in network.coef_slices] + [0],
            [sl.start for sl in network.intercept_slices] + [0],
            a_off,
        ], dtype=np.int64)
        size = capacity * sum(units[1:])
        self.acts, self.deltas, self.zs = (
            np.zeros(size, network.dtype) for _ in range(3)
        )
        self.codes = np.array(
            [a.tiny_code for a in network.layer_activations[1:]],
            dtype=np.int64,
        )
        finfo = np.finfo(network.dtype)
        self.consts = np.array([
            network.loss.tiny_code, finfo.eps, finfo.tiny,
            exp_cap(network.dtype),
        ])

    def prepare(self, X, shuffled):
        if issparse(X):
            return super().prepare(X, shuffled)
        return np.ascontiguousarray(X)  # one memory layout: one compilation

    def epoch(self, params, X, Y, sample_weight, order, batch_size, l2,
              per_batch=False):
        if issparse(X):
            return super().epoch(
                params, X, Y, sample_weight, order, batch_size, l2, per_batch
            )
        opt = self.optimizer
        adam = hasattr(opt, "beta_1")
        hyper = np.array([
            opt.learning_rate, getattr(opt, "momentum", 0.0),
            float(getattr(opt, "nesterov", False)), getattr(opt, "beta_1", 0.0),
            getattr(opt, "beta_2", 0.0), getattr(opt, "epsilon", 0.0),
            opt.learning_rate_init, getattr(opt, "t", 0),
        ])
        state = (opt.m, opt.v) if adam else (opt.velocity, opt.velocity)
        weighted = sample_weight is not None
        total = self.loop(
            X, self._targets(Y, params.dtype),
            sample_weight if weighted else params[:1], weighted,
            np.arange(X.shape[0]) if order is None else order, batch_size,
            params, self.grad, self.layout, self.codes, self.acts, self.deltas,
            self.zs, self.consts, self.network.n_coef, float(l2), per_batch,
            adam, *state, hyper, self.workspace.poison,
        )
        opt.learning_rate = float(hyper[0])
        if adam:
            opt.t = int(hyper[7])
        return float(total)

    def _targets(self, Y, dtype):
        """``Y`` in the parameters' dtype (one compilation per dtype),
        converted once per fit."""
        if getattr(self, "_Y_source", None) is not Y:
            self._Y_source, self._Y = Y, np.ascontiguousarray(Y, dtype=dtype)
        return self._Y


def _abs_max(A):
    """``max |A|`` without a temporary (0 for an empty array)."""
    data = A.data if issparse(A) else A
    if data.size == 0:
        return 0.0
    return max(float(data.max()), -float(data.min()))


def make_trainer(network, optimizer, capacity, planned_batches=0, ns=None,
                 dropout=None, seed=None, epoch=0):
    """The trainer for ``network``, with kernels chosen for it: an
    :class:`.xp.XpTrainer` for arrays of another namespace (``ns``, an
    :class:`.xp.ArrayNamespace`), a :class:`TinyTrainer` for a tiny network
    trained long enough (``planned_batches``, see
    :func:`.kernels.tiny_epoch_loop`) without dropout, a :class:`Trainer`
    otherwise; its workspace poisoned in debug mode (:data:`DEBUG_POISON`).
    ``dropout``, ``seed`` and ``epoch`` as :class:`Trainer`."""
    with_dropout = dropout is not None and any(dropout)
    if ns is not None:
        if with_dropout:
            raise NotImplementedError(
                "dropout is not supported on arrays of another namespace than "
                "numpy's yet: train with dropout=0.0, or on numpy arrays."
            )
        return XpTrainer(network, optimizer, capacity, ns)
    if with_dropout:
        return Trainer(network, optimizer, capacity, poison=DEBUG_POISON,
                       dropout=dropout, seed=seed, epoch=epoch,
                       kernels=select_kernels(network.n_params,
                                              planned_batches=planned_batches))
    loop = None
    if optimizer is not None:
        loop = tiny_epoch_loop(network, capacity, planned_batches)
    if loop is not None:
        return TinyTrainer(network, optimizer, capacity, loop, poison=DEBUG_POISON)
    kernels = select_kernels(network.n_params, planned_batches=planned_batches)
    return Trainer(network, optimizer, capacity, kernels=kernels, poison=DEBUG_POISON)
