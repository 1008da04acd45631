"""What a fit asks of the engine: mini-batch steps, epochs, and the
full-batch objective of L-BFGS.

This is the seam between the training loop (:mod:`skbackprop._training`) and
the engine.  A :class:`Trainer` is made once per fit by :func:`make_trainer`,
which also chooses the kernels (:mod:`.kernels`); its callers never learn
which kernels run.  The same :class:`Trainer` serves numpy arrays and, as
:class:`ArrayApiTrainer` (other kernels, other transfers), the arrays of any
array-API namespace; :class:`TinyTrainer` runs whole epochs of a tiny
network as one compiled loop.  Every epoch loop trains the batches of one
rule, :func:`batch_plan`; predictions choose their kernels with
:func:`predict`.
"""

import math
import os
import signal
import threading
from contextlib import contextmanager

import numpy as np
from scipy.sparse import issparse

from .activations import exp_cap
from .kernels import ArrayApiKernels, select_kernels, tiny_epoch_loop
from .masks import DeviceMasks, row_keys

__all__ = [
    "ArrayApiTrainer",
    "TinyTrainer",
    "Trainer",
    "batch_plan",
    "make_trainer",
    "predict",
]

DEBUG_POISON = os.environ.get("SKBACKPROP_DEBUG_BUFFERS", "0") == "1"
"""Poison the workspace before every batch (see :class:`.network.Workspace`);
``SKBACKPROP_DEBUG_BUFFERS=1`` in the environment turns it on."""


BOUNDED_MIN_PARAMS = 1 << 17
"""The smallest network for which :meth:`Trainer.epoch_can_diverge` looks
for a bound: a smaller network's state is cheaper to copy than to bound
(the bound's Python overhead would be a measurable part of its epoch)."""


BATCH_FIELDS = np.dtype([
    ("start", np.int64), ("stop", np.int64), ("weight", np.float64),
    ("l2", np.float64), ("loss_factor", np.float64),
])
"""A row of :func:`batch_plan`."""


def batch_plan(n, batch_size, weights, order, l2, per_batch,
               dtype=BATCH_FIELDS):
    """The batches an epoch trains, in order: the one batch rule of every
    epoch loop (numpy, array API, the compiled epoch) and of the rows an
    epoch counts (``_training.rows_trained``).

    Parameters
    ----------
    n : int
        Rows in the epoch.
    batch_size : int
    weights : ndarray of shape (n,) or None
        The sample weights, on the host (None: all 1).
    order : ndarray of int or None
        The rows in the order they are visited (None: as stored).
    l2 : float
        The L2 strength; with ``per_batch``, ``alpha``, and each batch's
        strength is ``alpha / w_b`` (scikit-learn's scaling).
    per_batch : bool
    dtype : numpy structured dtype, default=BATCH_FIELDS
        The rows' dtype: :data:`BATCH_FIELDS` and, for a loop that wants
        more per batch, more fields (left zero).

    Returns
    -------
    ndarray of ``dtype``
        For each batch of non-zero weight (a batch of weight zero
        contributes nothing: it is no step), ``start`` and ``stop`` in the
        visiting order, its weight ``w_b`` (the sum of its rows' weights in
        visiting order; its size without weights), its L2 strength and its
        loss factor: the epoch's loss is ``sum_b loss_b * factor_b``, the
        factor ``w_b``, or with ``per_batch`` the batch's number of rows.
    """
    starts = np.arange(0, n, batch_size, dtype=np.int64)
    plan = np.zeros(starts.size, dtype=dtype)
    plan["start"] = starts
    plan["stop"] = np.minimum(starts + batch_size, n)
    sizes = plan["stop"] - plan["start"]
    if weights is None:
        plan["weight"] = sizes
    else:
        plan["weight"] = [
            float((weights[a:b] if order is None else weights[order[a:b]]).sum())
            for a, b in zip(plan["start"].tolist(), plan["stop"].tolist())
        ]
        plan = plan[plan["weight"] != 0.0]
    plan["l2"] = l2 / plan["weight"] if per_batch else l2
    sizes = plan["stop"] - plan["start"]
    plan["loss_factor"] = sizes if per_batch else plan["weight"]
    return plan


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
        in_place = self.kernels.in_place  # else no buffers: new arrays
        self.workspace = network.workspace(capacity if in_place else None,
                                           poison, dropout)
        if self.workspace.dropping and seed is None:
            raise ValueError("dropout needs a seed.")
        self.seed = None if seed is None else int(seed)
        self.epoch_index = int(epoch)
        self._keys = (None, None)  # (X, its row keys): see prepare
        self._interrupt = None  # a deferred Ctrl-C: see interrupts_at_batch_ends
        self.interrupt_delivered = False
        self._progress = None  # (the running epoch's plan, batches completed)
        # the gradient: written by each backward pass, consumed by the step
        self.grad = (np.empty(network.n_params, dtype=network.dtype)
                     if in_place else None)

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
        if self._zero_weight(sample_weight):
            return 0.0
        network, ws = self.network, self.workspace
        if ws.dropping:
            self._draw_masks(X, keys)
        loss, grad = network.data_loss_grad(
            params, self.grad, X, Y, sample_weight, ws, self.kernels
        )
        loss = loss + network.penalty(params, l2, self.kernels)
        self.optimizer.update(params, grad, l2, network.n_coef, self.kernels,
                              ws.scratch)
        return loss

    @staticmethod
    def _zero_weight(sample_weight):
        return sample_weight is not None and not sample_weight.any()

    def _draw_masks(self, X, keys):
        keys = row_keys(X) if keys is None else keys
        self.workspace.draw_masks(keys, self.seed, self.epoch_index)

    def epoch(self, params, X, Y, sample_weight, order, batch_size, l2,
              per_batch=False):
        """One pass over the rows in the batches of :func:`batch_plan`.

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
            The L2 strength; with ``per_batch``, ``alpha`` (see
            :func:`batch_plan`).
        per_batch : bool, default=False

        Returns
        -------
        float
            ``sum_b loss_b * factor_b`` over the batches of the plan (with
            ``per_batch``, over their numbers of rows: scikit-learn's epoch
            loss is that over the number of rows).  The epoch counter of the
            dropout masks then advances by one.
        """
        plan = batch_plan(X.shape[0], batch_size, self._host_weights(sample_weight),
                          order, l2, per_batch)
        self._prepare_epoch(X, Y, order)
        keys = self._row_keys(X)
        total = 0.0
        for done, (start, stop, _, l2_b, factor) in enumerate(plan.tolist()):
            self._progress = (plan, done)
            if self._interrupt is not None:  # Ctrl-C between two batches
                self.deliver_interrupt()
            if self.workspace.poison:
                self.workspace.poison_all()
            X_b, Y_b, sw_b = self._batch(X, Y, sample_weight, order, start, stop)
            keys_b = self._batch_keys(keys, order, start, stop)
            loss = self.step(params, X_b, Y_b, sw_b, l2_b, keys_b)
            total = total + loss * factor
        self._progress = None
        self.epoch_index += 1
        return float(total)

    def set_dropout_rates(self, rates):
        """Train the next epochs with the dropout rate ``rates[i]`` in
        hidden layer ``i`` (a dropout schedule), where the trainer was made
        with dropout there; the masks keep their hash, a rate moves only
        their threshold (a rate of 0 drops nothing)."""
        layers = self.workspace.layers
        if not hasattr(self, "_dropout_layers"):  # as made: with masks
            self._dropout_layers = [buf.rate > 0 for buf in layers]
        for buf, masked, rate in zip(layers, self._dropout_layers, rates):
            if masked:
                buf.rate = float(rate)

    def rows_of_completed_batches(self):
        """The rows of the batches completed by an epoch that stopped
        half-way (a KeyboardInterrupt); 0 between epochs."""
        if self._progress is None:
            return 0
        plan, done = self._progress
        return int((plan["stop"][:done] - plan["start"][:done]).sum())

    @contextmanager
    def interrupts_at_batch_ends(self):
        """Within the block, Ctrl-C (SIGINT) takes effect at the end of the
        running batch (:meth:`deliver_interrupt`, which :meth:`epoch` calls
        between batches and the training loop between epochs): a step is
        never cut in half, so the parameters and the optimizer always hold
        the state of one completed batch; ``interrupt_delivered`` tells a
        KeyboardInterrupt so delivered from one raised by other code.

        Only in the main thread (the only one Python delivers signals to),
        and only over a Python handler (the default one raises
        KeyboardInterrupt; another is called as it would have been).
        """
        previous = (signal.getsignal(signal.SIGINT)
                    if threading.current_thread() is threading.main_thread()
                    else None)
        if not callable(previous):
            yield
            return

        def defer(signum, frame):
            self._interrupt = (previous, signum, frame)

        signal.signal(signal.SIGINT, defer)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)

    def deliver_interrupt(self):
        """Call the handler of a Ctrl-C deferred by
        :meth:`interrupts_at_batch_ends`, if one came (the default handler
        raises KeyboardInterrupt)."""
        if self._interrupt is not None:
            handler, signum, frame = self._interrupt
            self._interrupt = None
            self.interrupt_delivered = True
            handler(signum, frame)
            self.interrupt_delivered = False  # it did not raise

    def epoch_can_diverge(self, params, X, Y, l2, total_weight, steps):
        """Whether the coming epoch of ``steps`` steps might make the
        parameters, the outputs, the loss, the gradients or the optimizer's
        state non-finite (so that a copy of the state before it is worth
        keeping, to roll it back); False only when that is ruled out.

        It is ruled out, for numpy parameters of a network of
        :data:`BOUNDED_MIN_PARAMS` parameters or more without dropout, when
        the optimizer bounds how far its steps move any parameter
        (:meth:`.optimizers.Adam.travel_bound`) and every parameter vector
        that close keeps every quantity of a batch below a limit
        (:meth:`.network.Network.finite_within`) whose square, times a
        thousand times ``total_weight``, stays below the dtype's largest
        value: the squares (the loss, Adam's second moment) and the epoch's
        loss, a sum over ``total_weight`` of them, stay finite.  ``l2`` is
        the largest L2 strength of the epoch's batches.
        """
        network = self.network
        if (network.n_params < BOUNDED_MIN_PARAMS or self.workspace.dropping
                or self.optimizer is None or not isinstance(params, np.ndarray)
                or not network.plain):  # the bound knows dense layers only
            return True
        big = float(np.finfo(network.dtype).max)
        limit = min(1e-3 * math.sqrt(big),
                    math.sqrt(big / (1e3 * max(total_weight, 1.0))))
        # a gradient is a data term and an L2 term, each below the limit
        radius = self.optimizer.travel_bound(steps, 2.0 * limit)
        if not radius < limit:
            return True
        x_max, y_max = self._data_bounds(X, Y)
        return not network.finite_within(params, radius, x_max, y_max, l2, limit)

    def _data_bounds(self, X, Y):
        """``(max |X|, max |Y|)``, computed once for each ``X``."""
        if getattr(self, "_bounds_of", None) is not X:
            self._bounds_of, self._bounds = X, (_abs_max(X), _abs_max(Y))
        return self._bounds

    def _host_weights(self, sample_weight):
        """The sample weights on the host (numpy arrays already are)."""
        return sample_weight

    def _prepare_epoch(self, X, Y, order):
        if order is not None:
            self.workspace.gather_buffers(X, Y)

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
        x_max, y_max = self._data_bounds(X, Y)
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
            out = network.predict(coefs, intercepts, X, self.kernels)
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

        Returns ``fun(x) -> (loss, grad)`` on float64 host vectors; ``x`` is
        copied into ``params`` (the network's dtype, on the device of the
        data) at each call.  A non-finite loss is reported as ``inf`` with a
        zero gradient, so the line search backs off from an overflowing
        step.
        """
        network, ws, kernels = self.network, self.workspace, self.kernels
        if ws.dropping:
            raise ValueError(
                "dropout makes the objective random; L-BFGS needs a "
                "deterministic one."
            )

        def fun(x):
            if ws.poison:
                ws.poison_all()
            self.from_host(params, x)
            loss, grad = network.data_loss_grad(
                params, self.grad, X, Y, sample_weight, ws, kernels)
            if l2:
                kernels.add_l2(grad, params, l2, network.n_coef, ws.scratch)
            loss = float(loss + network.penalty(params, l2, kernels))
            if not math.isfinite(loss):
                return np.inf, np.zeros(params.shape[0], dtype=np.float64)
            return loss, self.to_host(grad)

        return fun


COMPILED_BATCH_FIELDS = np.dtype(BATCH_FIELDS.descr + [
    ("SGD", [("learning_rate", np.float64), ("momentum", np.float64),
             ("nesterov", np.bool_)]),
    ("Adam", [("beta_1", np.float64), ("beta_2", np.float64),
              ("step", np.float64), ("epsilon", np.float64)]),
])
"""A batch of the compiled epoch (:func:`.compiled_epoch.tiny_epoch`): its
:func:`batch_plan` row, and the settings of its optimizer step, by the
optimizer's ``kind`` (:meth:`.optimizers._Stochastic.step_settings`)."""


ADAM_TABLE_STEPS = 256
"""Steps of Adam's settings that :class:`TinyTrainer` computes at once."""


class TinyTrainer(Trainer):
    """A :class:`Trainer` whose epochs run as one compiled loop.

    For tiny networks numpy's per-call overhead is nearly all of a batch's
    time; :func:`.compiled_epoch.tiny_epoch` runs a whole epoch in one call,
    with the same formulas (its sums in another order: results agree to
    rounding, not bit for bit).  Single steps and the L-BFGS objective are
    the numpy ones; sparse input falls back to the numpy epoch.  The loop
    is fed the epoch's :func:`batch_plan` and each step's optimizer
    settings (:meth:`.optimizers._Stochastic.step_settings`), computed here
    once, in named fields (:data:`COMPILED_BATCH_FIELDS`).  Its
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
            [a.tiny_code for a in network.activations],
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
        batches = self._plan(X.shape[0], batch_size, sample_weight, order, l2,
                             per_batch)
        self._step_settings(batches)
        weighted = sample_weight is not None
        state = opt.state_arrays()  # SGD's velocity; Adam's m and v
        total = self.loop(
            X, self._targets(Y, params.dtype),
            sample_weight if weighted else params[:1], weighted,
            np.arange(X.shape[0]) if order is None else order, batches,
            params, self.grad, self.layout, self.codes, self.acts, self.deltas,
            self.zs, self.consts, self.network.n_coef, opt.kind == "Adam",
            state[0], state[-1], self.workspace.poison,
        )
        return float(total)

    def _plan(self, n, batch_size, sample_weight, order, l2, per_batch):
        """The epoch's :func:`batch_plan` in :data:`COMPILED_BATCH_FIELDS`:
        without sample weights it is the same every epoch (the visiting
        order does not change it), so it is made once per fit."""
        if sample_weight is not None:
            return batch_plan(n, batch_size, sample_weight, order, l2,
                              per_batch, COMPILED_BATCH_FIELDS)
        key = (n, batch_size, l2, per_batch)
        if getattr(self, "_plan_key", None) != key:
            self._plan_key = key
            self._plan_rows = batch_plan(n, batch_size, None, None, l2,
                                         per_batch, COMPILED_BATCH_FIELDS)
        return self._plan_rows

    def _step_settings(self, batches):
        """Write each step's optimizer settings into ``batches`` and
        advance the optimizer past them, as a call of
        :meth:`.optimizers._Stochastic.step_settings` per batch would.

        SGD's settings do not change within an epoch (but with a
        learning-rate schedule, one per step).  Adam's step sizes
        come from a table of the coming steps
        (:meth:`.optimizers.Adam.rates_and_steps`), made for
        :data:`ADAM_TABLE_STEPS` steps at a time: the settings are
        computed in Python, and per batch that costs a tiny network's
        epoch a noticeable share of its time."""
        opt, count = self.optimizer, batches.size
        if getattr(self, "_settings_of", None) is not batches:
            # a new plan: its constant settings, and a view of the rest
            self._settings_of, self._settings = batches, batches[opt.kind]
            if opt.kind == "Adam":
                self._settings["beta_1"] = opt.beta_1
                self._settings["beta_2"] = opt.beta_2
                self._settings["epsilon"] = opt.epsilon / math.sqrt(1.0 - opt.beta_2)
                self._settings = self._settings["step"]
        if opt.kind != "Adam":
            if opt.scheduled:  # a rate per step
                self._settings[...] = [opt.step_settings() for _ in range(count)]
            else:
                self._settings[...] = opt.step_settings()
            return
        if count == 0:
            return
        first = opt.t + 1
        table_first, rates, steps = getattr(self, "_adam_table", (0, (), ()))
        if not table_first <= first <= table_first + len(rates) - count:
            table_first = first
            rates, steps = opt.rates_and_steps(first, max(count, ADAM_TABLE_STEPS))
            self._adam_table = (table_first, rates, steps)
        self._settings[...] = steps[first - table_first:first - table_first + count]
        opt.skip_steps(count)
        opt.learning_rate = float(rates[opt.t - table_first])

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


class ArrayApiTrainer(Trainer):
    """The :class:`Trainer` of one fit on the arrays of an array-API
    namespace (``ns``, an :class:`.namespace.ArrayNamespace`).

    The same steps and epochs through the array-API kernels
    (:class:`.kernels.ArrayApiKernels`): everything stays on the device
    inside an epoch and the loss reaches the host once per epoch.  The
    optimizer's state moves to the device once; batches are taken from the
    device copy of the data with the visiting order sent once per epoch; the
    batch plan comes from a host copy of the sample weights, made once.
    Dropout masks are computed on the device, equal to numpy's bit for bit
    (:class:`.masks.DeviceMasks`).  L-BFGS (scipy, host only) gets the
    parameters on the host at each evaluation: ``n_params`` values each
    way, the data stays on the device.
    """

    def __init__(self, network, optimizer, capacity, ns, dropout=None,
                 seed=None, epoch=0):
        check_array_api(network)
        super().__init__(network, optimizer, capacity, ArrayApiKernels(ns),
                         dropout=dropout, seed=seed, epoch=epoch)
        self.ns = ns
        self._weights = (None, None)  # (sample weights, their host copy)
        self.masks = DeviceMasks(ns, [
            layer.fan_out if buf.rate > 0 else None
            for layer, buf in zip(network.layers, self.workspace.layers)])
        if optimizer is not None:
            for name in optimizer._arrays:
                state = getattr(optimizer, name)
                if isinstance(state, np.ndarray):
                    setattr(optimizer, name, ns.asarray(state))

    def prepare(self, X, shuffled):
        self._row_keys(X)
        return X

    def _row_keys(self, X):
        """The row keys of ``X`` as device halves (None without dropout):
        computed on the host once per fit (:class:`.masks.DeviceMasks`)."""
        if not self.workspace.dropping:
            return None
        if self._keys[0] is not X:
            self._keys = (X, self.masks.halves(row_keys(self.ns.to_numpy(X))))
        return self._keys[1]

    @staticmethod
    def _zero_weight(sample_weight):
        return False  # the batch plan skips them: no host sync per batch

    def _draw_masks(self, X, keys):
        ws = self.workspace
        masks = self.masks.draw(
            keys, self.seed, self.epoch_index, [buf.rate for buf in ws.layers],
            [layer.number for layer in self.network.layers], X.dtype)
        for buf, mask in zip(ws.layers, masks):
            buf.mask = mask

    def _host_weights(self, sample_weight):
        """A host copy of the sample weights, made once per fit."""
        if sample_weight is None:
            return None
        if self._weights[0] is not sample_weight:
            self._weights = (sample_weight, self.ns.to_numpy(sample_weight))
        return self._weights[1]

    def _prepare_epoch(self, X, Y, order):
        self._order = None if order is None else self.ns.asarray(order)

    def _batch_keys(self, keys, order, start, stop):
        if keys is None:
            return None
        if order is None:
            return keys[0][start:stop], keys[1][start:stop]
        take, idx = self.ns.xp.take, self._order[start:stop]
        return take(keys[0], idx, axis=0), take(keys[1], idx, axis=0)

    def _batch(self, X, Y, sample_weight, order, start, stop):
        if order is None:
            sw = None if sample_weight is None else sample_weight[start:stop]
            return X[start:stop, ...], Y[start:stop, ...], sw
        take, idx = self.ns.xp.take, self._order[start:stop]
        sw = None if sample_weight is None else take(sample_weight, idx, axis=0)
        return take(X, idx, axis=0), take(Y, idx, axis=0), sw

    def finite_loss(self, params, X, Y, sample_weight):
        """Whether the data term of the loss is finite at ``params``."""
        coefs, intercepts = self.unpack(params)
        out = self.network.predict(coefs, intercepts, X, self.kernels)
        loss = self.network.loss.xp_sum(
            self.ns, self.kernels.constants(out.dtype), out, Y, sample_weight)
        return self.ns.all_finite(out) and math.isfinite(float(loss))

    # the arrays of the training loop: copies, checks, host round trips
    def copy(self, params):
        return self.ns.copy(params)

    def all_finite(self, params):
        return self.ns.all_finite(params)

    def to_host(self, params):
        return self.ns.to_numpy(params).astype(np.float64)

    def from_host(self, params, x):
        params[...] = self.ns.asarray(x, dtype=params.dtype)

    def unpack(self, params):
        views = self.network.layer_views(params, self.kernels)
        return [v[0] for v in views], [v[1] for v in views]


def check_array_api(network):
    """Raise NotImplementedError, naming it, for a layer, activation or
    loss of ``network`` that has no array-API form."""
    last = len(network.layers) - 1
    for k, layer in enumerate(network.layers):
        layer.require_array_api(output=k == last)
    network.loss.require_array_api()


def make_trainer(network, optimizer, capacity, planned_batches=0, ns=None,
                 dropout=None, seed=None, epoch=0):
    """The trainer for ``network``, with kernels chosen for it: an
    :class:`ArrayApiTrainer` for arrays of another namespace (``ns``, an
    :class:`.namespace.ArrayNamespace`; on torch, a
    :class:`.captured.StaticStepTrainer` as ``SKBACKPROP_CAPTURE`` says,
    :func:`.captured.static_step_mode`), a :class:`TinyTrainer` for a tiny
    network trained long enough (``planned_batches``, see
    :func:`.kernels.tiny_epoch_loop`) without dropout, weight decay or
    per-parameter learning-rate factors, a :class:`Trainer`
    otherwise; its workspace poisoned in debug mode (:data:`DEBUG_POISON`).
    ``dropout``, ``seed`` and ``epoch`` as :class:`Trainer`."""
    with_dropout = dropout is not None and any(dropout)
    if ns is not None:
        # the static step's module builds on this one
        from .captured import StaticStepTrainer, static_step_mode

        mode = static_step_mode(ns, optimizer)
        if mode is not None:
            return StaticStepTrainer(network, optimizer, capacity, ns,
                                     dropout=dropout, seed=seed, epoch=epoch,
                                     graphs=mode == "graph")
        return ArrayApiTrainer(network, optimizer, capacity, ns, dropout=dropout,
                               seed=seed, epoch=epoch)
    if with_dropout:
        return Trainer(network, optimizer, capacity, poison=DEBUG_POISON,
                       dropout=dropout, seed=seed, epoch=epoch,
                       kernels=select_kernels(network.n_params,
                                              planned_batches=planned_batches))
    loop = None
    # weight decay and per-parameter factors are not in the compiled epoch:
    # such steps run on the numpy path
    if (optimizer is not None and optimizer.kind in COMPILED_BATCH_FIELDS.names
            and optimizer.plain):
        loop = tiny_epoch_loop(network, capacity, planned_batches)
    if loop is not None:
        return TinyTrainer(network, optimizer, capacity, loop, poison=DEBUG_POISON)
    kernels = select_kernels(network.n_params, planned_batches=planned_batches)
    return Trainer(network, optimizer, capacity, kernels=kernels, poison=DEBUG_POISON)


def predict(network, coefs, intercepts, X, ns=None):
    """The output of ``network`` with the given per-layer arrays for ``X``,
    with the kernels chosen here (the compiled loops where loaded and of
    the model's dtype; the array-API kernels for arrays of ``ns``).

    On a namespace it is computed in the result dtype of ``X`` and the
    weights, as numpy does (float32 input to a float64 model gives
    float64), since namespaces such as torch refuse mixed-dtype products.
    """
    if ns is None:
        dtype = np.result_type(X.dtype, *(c.dtype for c in coefs))
        kernels = select_kernels(network.n_params, dtype, network.dtype)
        return network.predict(coefs, intercepts, X, kernels)
    check_array_api(network)
    xp = ns.xp
    dtype = xp.result_type(X.dtype, coefs[0].dtype)
    if X.dtype != dtype:
        X = xp.astype(X, dtype)
    if coefs[0].dtype != dtype:
        coefs = [xp.astype(W, dtype) for W in coefs]
        intercepts = [xp.astype(b, dtype) for b in intercepts]
    return network.predict(coefs, intercepts, X, ArrayApiKernels(ns))
