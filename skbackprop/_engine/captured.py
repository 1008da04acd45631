r"""A shape-static training step on torch, replayed as a CUDA graph.

:class:`ArrayApiTrainer` already keeps a batch on the device, but each of
its steps is traced anew by Python: the batch's rows are sliced at offsets
known to the host, and the step's scalars (Adam's bias-corrected step size,
the learning rate, the batch's L2 strength and loss factor) are Python
floats baked into the launched kernels.  On a GPU its epoch is then bound by
kernel launches (dozens per batch), not by arithmetic.

:class:`StaticStepTrainer` makes the step shape-static, so that it can be
recorded once and replayed per batch:

- before an epoch, the host writes the epoch's tables into device arrays
  that never move: the rows of each batch (an ``(batches, batch_size)``
  index table, from the visiting order, sent once per epoch as before) and
  each batch's scalars (:data:`SCALARS`, in the parameters' dtype, the
  values the Python floats of the old step round to);
- the step reads its row of both tables at a device step counter
  (``take`` at a 0-d position), gathers its rows of ``X``, ``Y``, the
  sample weights and the dropout row keys on the device, runs the same
  forward, loss, fused delta, backward and optimizer step as
  :class:`ArrayApiTrainer` (the registry's ``xp_`` forms and the
  optimizers' ``array_api_step``, given 0-d device arrays where the old step
  had floats), adds its loss to a device total and advances the counter, in
  place;
- the dropout masks' salts (one per layer and epoch) are a device array
  too, written once per epoch.

Nothing in the step reaches the host, so on CUDA it is captured once with
``torch.cuda.CUDAGraph`` (after :data:`WARMUP_STEPS` eager steps) and each
batch is one graph replay.  The short last batch (60,000 rows in batches of
256 leave 96) is a second step of its own shape, with its own graph and its
own index buffer, reading the same tables at the same counter.  The
epoch's loss reaches the host once per epoch, as before (with the
finiteness checks of the training loop).

The switch is ``SKBACKPROP_CAPTURE`` in the environment, read at each fit
(:func:`static_step_mode`): ``auto`` (the default) uses the captured step
for torch tensors on CUDA; ``on`` also runs the static step, uncaptured,
on other torch devices (what the tests exercise on CPU); ``eager`` runs it
uncaptured everywhere (to measure what the capture adds); ``off`` keeps
:class:`ArrayApiTrainer`.  Only torch has the graphs and the in-place 0-d
arrays this needs: other namespaces keep :class:`ArrayApiTrainer` whatever
the switch says, and so do optimizers other than :class:`.optimizers.SGD`
and :class:`.optimizers.Adam` (whose settings this module knows).

On CPU the static step gives the old step's results bit for bit (the same
operations on the same values: a gathered batch equals its slice, a 0-d
scalar the float it was rounded from).
"""

import math
import os

import numpy as np

from .masks import mask_salt
from .optimizers import SGD, Adam
from .trainer import ArrayApiTrainer, batch_plan

__all__ = ["CAPTURE_MODES", "SCALARS", "StaticStepTrainer", "static_step_mode"]

CAPTURE_MODES = ("auto", "on", "eager", "off")
"""The values of ``SKBACKPROP_CAPTURE`` (see the module's docstring)."""

SCALARS = ("rate", "l2", "loss_factor")
"""The columns of a batch's scalars: the optimizer's rate (SGD's learning
rate, Adam's bias-corrected step size), the L2 strength, the loss factor."""

WARMUP_STEPS = 2
"""Eager steps of each shape before its capture: the first runs create
cuBLAS's handles and workspaces, which a capture may not."""


def static_step_mode(ns, optimizer, environ=os.environ):
    """How a stochastic fit on ``ns`` with ``optimizer`` steps: None (the
    :class:`ArrayApiTrainer`), ``"eager"`` (the static step, uncaptured) or
    ``"graph"`` (captured), from ``SKBACKPROP_CAPTURE``.

    Raises ValueError, naming the variable, for a value not in
    :data:`CAPTURE_MODES`.
    """
    mode = environ.get("SKBACKPROP_CAPTURE", "auto").strip().lower() or "auto"
    if mode not in CAPTURE_MODES:
        raise ValueError(
            f"SKBACKPROP_CAPTURE={environ['SKBACKPROP_CAPTURE']!r} is not one "
            f"of {', '.join(CAPTURE_MODES)}."
        )
    if mode == "off" or not ns.is_torch or type(optimizer) not in _SETTINGS:
        return None
    cuda = getattr(ns.device, "type", str(ns.device)).startswith("cuda")
    if mode == "eager" or (mode == "on" and not cuda):
        return "eager"
    return "graph" if cuda else None


def _sgd_settings(optimizer, rate):
    """:meth:`.optimizers.SGD.step_settings` with the learning rate ``rate``."""
    return rate, optimizer.momentum, optimizer.nesterov


def _adam_settings(optimizer, rate):
    """:meth:`.optimizers.Adam.step_settings` with the step size ``rate``
    (without advancing the step count: :func:`_adam_rates` does)."""
    return (optimizer.beta_1, optimizer.beta_2, rate,
            optimizer.epsilon / math.sqrt(1.0 - optimizer.beta_2))


def _sgd_rates(optimizer, count):
    """SGD's learning rate for its next ``count`` steps (constant within
    an epoch)."""
    return np.full(count, optimizer.learning_rate)


def _adam_rates(optimizer, count):
    """The step sizes of Adam's next ``count`` steps; advances it past them,
    as ``count`` calls of ``step_settings`` would."""
    if count == 0:
        return np.empty(0)
    rates, steps = optimizer.rates_and_steps(optimizer.t + 1, count)
    optimizer.t += count
    optimizer.learning_rate = float(rates[-1])
    return steps


_SETTINGS = {SGD: (_sgd_settings, _sgd_rates), Adam: (_adam_settings, _adam_rates)}
"""For each optimizer the static step knows: its step's settings in
``step_settings``'s order with the rate a device scalar, and the rates of
an epoch's steps (advancing the optimizer)."""


class StaticStepTrainer(ArrayApiTrainer):
    """An :class:`ArrayApiTrainer` whose epochs run the shape-static step
    of this module, captured as CUDA graphs when ``graphs`` (single steps,
    predictions and the L-BFGS objective are the parent's).

    Parameters
    ----------
    network, optimizer, capacity, ns, dropout, seed, epoch
        As :class:`ArrayApiTrainer`.
    graphs : bool, default=False
        Capture each step shape once and replay it (torch CUDA only).
    """

    def __init__(self, network, optimizer, capacity, ns, dropout=None,
                 seed=None, epoch=0, graphs=False):
        super().__init__(network, optimizer, capacity, ns, dropout=dropout,
                         seed=seed, epoch=epoch)
        self.graphs = graphs
        self._bound = None  # the arrays the buffers and graphs were made for
        self.replays, self.capture_error = 0, None  # see _replayed

    def epoch(self, params, X, Y, sample_weight, order, batch_size, l2,
              per_batch=False):
        plan = batch_plan(X.shape[0], batch_size, self._host_weights(sample_weight),
                          order, l2, per_batch)
        self._bind(params, X, Y, sample_weight, batch_size, l2)
        self._write_tables(plan, order, batch_size)
        full = int(np.count_nonzero(plan["stop"] - plan["start"] == batch_size))
        self.counter[...] = 0
        self.total[...] = 0
        for _ in range(full):
            self._steps[batch_size]()
        if full < plan.size:  # the short last batch
            self._steps[-1]()
        self.epoch_index += 1
        return float(self.total)

    def _bind(self, params, X, Y, sample_weight, batch_size, l2):
        """Make the device buffers and steps for these arrays, unless made
        for the same ones (a new array, a changed optimizer setting or
        state array, makes them anew: a graph holds addresses)."""
        opt = self.optimizer
        key = (params, X, Y, sample_weight, *opt.state_arrays(), batch_size,
               l2 != 0, _settings_of(opt))
        if self._bound is not None and _same(self._bound, key):
            return
        self._bound = key
        ns, n = self.ns, X.shape[0]
        batches, short = -(-n // batch_size), n % batch_size
        self.index = ns.asarray(np.zeros((n // batch_size, batch_size), np.int64))
        self.short_index = ns.asarray(np.zeros(short, np.int64))
        self.scalars = ns.asarray(np.zeros((batches, len(SCALARS))),
                                  dtype=params.dtype)
        self.counter = ns.asarray(np.zeros(1, np.int64))
        self.total = ns.asarray(0.0, dtype=params.dtype)
        self.salts = ns.asarray(np.zeros((len(self.network.layers), 2), np.int64))
        self.kernels.constants(params.dtype)  # made now: no transfer in a step
        data = (params, X, Y, sample_weight, l2 != 0)
        self._steps = {batch_size: self._replayed(self._step_of(*data, None))}
        if short:
            self._steps[-1] = self._replayed(self._step_of(*data, self.short_index))

    def _write_tables(self, plan, order, batch_size):
        """Send the epoch's index table, scalars and dropout salts (advancing
        the optimizer past the epoch's steps)."""
        ns = self.ns
        order = np.arange(self._bound[1].shape[0]) if order is None else order
        sizes = plan["stop"] - plan["start"]
        starts = plan["start"][sizes == batch_size]
        if starts.size:
            rows = order[starts[:, None] + np.arange(batch_size)]
            self.index[: starts.size, ...] = ns.asarray(rows.astype(np.int64))
        if starts.size < plan.size:
            last = plan[-1]
            self.short_index[...] = ns.asarray(
                np.asarray(order[last["start"]:last["stop"]], np.int64))
        table = np.zeros((plan.size, len(SCALARS)))
        table[:, 0] = _SETTINGS[type(self.optimizer)][1](self.optimizer, plan.size)
        table[:, 1], table[:, 2] = plan["l2"], plan["loss_factor"]
        if plan.size:
            self.scalars[: plan.size, ...] = ns.asarray(
                table, dtype=self.scalars.dtype)
        if self.workspace.dropping:
            salts = [mask_salt(self.seed, self.epoch_index, layer.number)
                     for layer in self.network.layers]
            self.salts[...] = ns.asarray(
                np.array([[s >> 32, s & 0xFFFFFFFF] for s in salts], np.int64))

    def _step_of(self, params, X, Y, sample_weight, l2_on, rows):
        """The step reading the tables at the counter: of the index table's
        row there (``rows`` None), or of the rows in ``rows``."""
        xp, network, kernels = self.ns.xp, self.network, self.kernels
        opt = self.optimizer
        state, settings = opt.state_arrays(), _SETTINGS[type(opt)][0]
        update = kernels.optimizer_step(opt)
        keys = self._row_keys(X)  # None without dropout

        def step():
            counter = self.counter
            idx = rows
            if idx is None:
                idx = xp.reshape(xp.take(self.index, counter, axis=0), (-1,))
            scalars = xp.take(self.scalars, counter, axis=0)
            rate, l2, factor = scalars[0, 0], scalars[0, 1], scalars[0, 2]
            l2 = l2 if l2_on else 0.0
            sw = None if sample_weight is None else xp.take(sample_weight, idx, axis=0)
            X_b = xp.take(X, idx, axis=0)
            if keys is not None:
                self._draw_salted(X_b, (xp.take(keys[0], idx, axis=0),
                                        xp.take(keys[1], idx, axis=0)))
            loss, grad = network.data_loss_grad(
                params, None, X_b, xp.take(Y, idx, axis=0), sw,
                self.workspace, kernels)
            loss = loss + network.penalty(params, l2, kernels)
            update(params, grad, *state, *settings(opt, rate), l2,
                   network.n_coef, None)
            self.total += loss * factor
            self.counter += 1

        return step

    def _draw_salted(self, X_b, keys):
        """Write the batch's dropout masks (rows of ``keys``) into the
        workspace, salted from the device salts of the epoch."""
        ws = self.workspace
        salts = [(self.salts[i, 0], self.salts[i, 1])
                 for i in range(len(ws.layers))]
        masks = self.masks.draw_salted(keys, salts, [buf.rate for buf in ws.layers],
                                       X_b.dtype)
        for buf, mask in zip(ws.layers, masks):
            buf.mask = mask

    def _replayed(self, step):
        """``step`` itself, or with ``graphs`` a callable that runs it
        eagerly :data:`WARMUP_STEPS` times on a side stream, then captures
        it once and replays the graph.  A step torch fails to capture runs
        eagerly from then on (the same step, unrecorded: a capture runs
        nothing), the error kept in ``capture_error``."""
        if not self.graphs:
            return step
        import torch

        graph, calls = torch.cuda.CUDAGraph(), [0]

        def replay():
            calls[0] += 1
            if calls[0] == WARMUP_STEPS + 1:
                try:
                    with torch.cuda.graph(graph):
                        step()  # recorded, not run
                except RuntimeError as exc:
                    self.capture_error, calls[0] = exc, -math.inf
            if calls[0] <= WARMUP_STEPS:
                side = torch.cuda.Stream()
                side.wait_stream(torch.cuda.current_stream())
                with torch.cuda.stream(side):
                    step()
                torch.cuda.current_stream().wait_stream(side)
                return
            graph.replay()
            self.replays += 1

        return replay


def _settings_of(optimizer):
    """The optimizer's settings a step holds as Python values."""
    return _SETTINGS[type(optimizer)][0](optimizer, None)


def _same(bound, key):
    """Whether ``key`` names what ``bound`` does: the same arrays, equal
    other values."""
    return len(bound) == len(key) and all(
        a is b or (not hasattr(a, "shape") and not hasattr(b, "shape") and a == b)
        for a, b in zip(bound, key))
