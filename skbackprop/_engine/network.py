r"""A network as a sequence of layers (:mod:`.layers`), and the one
forward/backward loop over them, on any backend (:mod:`.kernels`).

All parameters live in one flat buffer laid out as scikit-learn's ``_pack``
does, ``[W_0, ..., W_{L-1}, b_0, ..., b_{L-1}]`` (each ``W_k`` C-ordered),
and the gradient in a second buffer of the same layout.  Each layer's arrays
are views into these buffers (``layer.parameters(flat)``), so an optimizer
updates every layer with a handful of vectorised operations on the flat
arrays, and the L2 penalty, which only touches the weights, is one operation
on the contiguous prefix of the weights.

Notation: layer ``k`` (1-based: ``layer.number``; ``network.layers[k - 1]``)
has weights ``W_k``, bias ``b_k``, pre-activation ``z_k = a_{k-1} W_k + b_k`` and output
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

Each hidden layer may have its own activation ``f_k``.  With (inverted)
dropout a hidden layer's output is ``a_k = f_k(z_k) \odot M_k``, ``M_k`` the
batch's mask (entries ``0`` or ``1 / (1 - p_k)``, a hash of the row's values,
the fit's seed, the epoch, the layer and the unit: :mod:`.masks`); the
backward pass multiplies the back-propagated error by the same mask and
evaluates ``f_k'`` at the *undropped* output ``f_k(z_k)``:
``delta_k = ((delta_{k+1} W_{k+1}^T) \odot M_k) \odot f_k'(z_k)``.
"""

import numpy as np
from scipy.sparse import issparse

from .activations import get_activation
from .layers import Dense, LayerBuffers
from .losses import get_loss
from .masks import MaskScratch
from .numpy_ops import NUMPY
from .optimizers import L2_BLOCK

__all__ = ["Network", "Workspace", "hidden_activation_names"]


class Workspace:
    """The per-batch buffers of a training step, reused across batches.

    For a batch of ``n <= capacity`` rows every pass uses the leading ``n``
    rows of each array (contiguous views, no copies).  ``layers[i]`` holds
    the buffers of the network's layer ``i`` (:class:`.layers.LayerBuffers`;
    layer ``i`` is the 1-based layer ``k = i + 1`` of the formulas).
    **Buffer ownership**, in the order a step (:meth:`.trainer.Trainer.step`)
    uses the buffers:

    0. ``mask_hash`` (:class:`.masks.MaskScratch`, uint64) -- the batch's
       row keys, gathered by the trainer, and the masks' hash scratch.
    1. ``mask_store`` of a hidden layer with dropout -- the batch's dropout
       mask ``M_k``, written by :meth:`draw_masks` (the trainer's step,
       before the forward pass; gradcheck writes fixed masks instead); read
       by the forward pass of layer ``k`` and by the backward pass of the
       same batch.  A mask is a function of the row's values, not of its
       position in the batch (:mod:`.masks`).
    2. ``x``, ``y`` -- written by the gather of shuffled rows
       (:meth:`gather_buffers`); read by the forward pass, the loss and the
       backward pass of the same batch.
    3. ``out_store`` -- ``f_k(z_k)``, written by the forward pass of layer
       ``k``; read by the backward pass (``f'``) and, where layer ``k`` has
       no dropout, as ``a_k`` by layer ``k + 1`` and by the backward pass
       (``dW_{k+1}``).  With dropout it keeps the *undropped* output:
       ``f'`` written in terms of the output needs it.
    4. ``dropped_store`` (where ``mask_store`` is) -- ``a_k = f_k(z_k) *
       M_k``, written by the forward pass of layer ``k`` right after
       ``out_store``; read by layer ``k + 1`` and by the backward pass
       (``dW_{k+1}``).
    5. ``z_store`` -- ``z_k``, kept by the forward pass only for activations
       whose derivative needs it (GELU); read by the backward pass.
    6. The output layer's ``out_store`` -- ``a_L`` is read once, by the
       loss **value**; then the fused output delta ``delta_L`` is written
       **over it**, in place.  The loss value must therefore be computed
       first.
    7. ``input_grad_store`` of layer ``k + 1`` -- ``delta_{k+1} W_{k+1}^T``,
       written by the backward pass of layer ``k + 1``, then turned into
       ``delta_k`` in place by layer ``k`` (times ``M_k``, times ``f'``).
    8. The gradient (the trainer's buffer, not the workspace's) -- written
       by the backward pass, then consumed by the optimizer step, which
       overwrites it as its own scratch.
    9. ``scratch`` -- the L2 gradient's block buffer.  It is a view of the
       largest ``out_store``/``input_grad_store`` (a small array of its own
       when that is too small), so it may only be used once the backward
       pass has read every activation and delta: by the L2 gradient and the
       optimizer step.  It never aliases a mask or a dropped output.

    No buffer's content outlives its step: a step reads nothing it did not
    write in the same step.  ``poison=True`` makes that checkable: the
    trainer then fills every float buffer with NaN (unsigned ones with all
    ones) before each batch (:meth:`poison_all`), so a read of stale data
    turns the result into NaN; the tests train whole fits that way and
    compare them with normal fits.

    Parameters
    ----------
    network : Network
    capacity : int or None
        Most rows per batch (None: no storage, for a backend whose passes
        return new arrays; the layers' buffers then hold the batch's arrays
        only).
    poison : bool, default=False
        Debug mode (above).
    dropout : sequence of float, default=None
        Dropout rate of each hidden layer; mask buffers are allocated for
        the layers with a rate above 0 (None: no dropout).
    """

    def __init__(self, network, capacity, poison=False, dropout=None):
        self.capacity = capacity
        self.poison = poison
        rates = dropout_rates(network, dropout)
        self.layers = [
            layer.buffers(capacity, network.dtype, rate, first=i == 0)
            for i, (layer, rate) in enumerate(zip(network.layers, rates))
        ]
        self.dropping = any(rates)
        self.mask_hash = MaskScratch(
            [buf.mask_store for buf in self.layers], capacity,
            [layer.number for layer in network.layers])
        free = [b for buf in self.layers
                for b in (buf.out_store, buf.input_grad_store) if b is not None]
        self.scratch = None  # no storage: a backend returning new arrays
        if free:
            largest = max(free, key=lambda b: b.size).reshape(-1)
            need = min(network.n_coef, L2_BLOCK)
            self.scratch = largest if largest.size >= need else np.empty(
                need, network.dtype)
        self.x = self.y = None  # see gather_buffers

    def draw_masks(self, keys, seed, epoch):
        """Write the masks of a batch whose rows have the keys ``keys``
        (:func:`.masks.row_keys`): entry ``(i, u)`` of layer ``k`` is
        ``1 / (1 - p_k)`` or 0 by a hash of ``(keys[i], seed, epoch, k,
        u)`` (:mod:`.masks`; inverted dropout: the expected output is kept).
        """
        n = keys.shape[0]
        self.mask_hash.draw([buf.mask_store for buf in self.layers],
                            [buf.rate for buf in self.layers], keys, seed, epoch)
        self.use_masks(n)

    def use_masks(self, n):
        """Point each layer with dropout at the first ``n`` rows of its
        mask storage (the masks of the current batch)."""
        for buf in self.layers:
            if buf.mask_store is not None:
                buf.mask = buf.mask_store[:n]

    def gather_buffers(self, X, Y):
        """Allocate the buffers that shuffled batches of ``X`` (dense only:
        sparse rows are gathered by scipy) and ``Y`` are gathered into."""
        if not issparse(X) and (self.x is None or self.x.shape[1] != X.shape[1]):
            self.x = np.empty((self.capacity, X.shape[1]), dtype=X.dtype)
        if self.y is None or self.y.dtype != Y.dtype or self.y.shape[1] != Y.shape[1]:
            self.y = np.empty((self.capacity, Y.shape[1]), dtype=Y.dtype)

    def buffers(self):
        """Every array this workspace owns (``scratch`` may alias one)."""
        arrays = [b for buf in self.layers for b in buf.stores()]
        arrays += [self.scratch, self.x, self.y, *self.mask_hash.buffers()]
        return [a for a in arrays if a is not None]

    def poison_all(self):
        """Fill every float buffer with NaN, every unsigned one with all
        ones (debug mode; see above)."""
        for a in self.buffers():
            if a.dtype.kind == "f":
                a.fill(np.nan)
            elif a.dtype.kind == "u":
                a.fill(np.iinfo(a.dtype).max)


def dropout_rates(network, dropout):
    """The dropout rate of each layer of ``network`` (0 for the output
    layer) from one rate per hidden layer (None: no dropout)."""
    hidden = len(network.layers) - 1
    rates = [0.0] * hidden if dropout is None else [float(p) for p in dropout]
    if len(rates) != hidden:
        raise ValueError(
            f"dropout has {len(rates)} rates for {hidden} hidden layers."
        )
    return [*rates, 0.0]


class Network:
    """A multi-layer perceptron: its layers, and the passes through them.

    ``Network(layer_units, activation, loss)`` builds the estimators'
    network of :class:`.layers.Dense` layers; :meth:`from_layers` builds one
    from any list of layers (:mod:`.layers`, :mod:`.table_layers`).

    Parameters
    ----------
    layer_units : sequence of int
        ``[n_features, hidden_1, ..., hidden_h, n_outputs]``.
    activation : str or sequence of str
        Hidden-layer activation name (see :mod:`.activations`), or one name
        per hidden layer.
    loss : str
        Loss name (see :mod:`.losses`); it fixes the output activation.
    dtype : numpy dtype, default=np.float64
    """

    def __init__(self, layer_units, activation, loss, dtype=np.float64):
        units = [int(u) for u in layer_units]
        names = hidden_activation_names(activation, len(units) - 2)
        hidden = [get_activation(name) for name in names]
        factors = _init_factors(activation, hidden)
        out = get_activation(get_loss(loss).out_activation, output=True)
        self._build([
            Dense(fan_in, fan_out, act, factor) for fan_in, fan_out, act, factor
            in zip(units[:-1], units[1:], [*hidden, out], factors)
        ], loss, dtype)

    @classmethod
    def from_layers(cls, layers, loss, dtype=np.float64):
        """A network of ``layers`` (input to output) and ``loss``.

        Each layer's ``fan_in`` must be the previous layer's ``fan_out``;
        the last layer must be a :class:`.layers.Dense` layer with the
        loss's output activation (the backward pass starts from the loss's
        fused output delta).  The layers are placed in the flat buffer
        (:meth:`set_layers`); :meth:`init_params` initialises them.
        """
        network = cls.__new__(cls)
        network._build(list(layers), loss, dtype)
        return network

    def _build(self, layers, loss, dtype):
        self.loss = get_loss(loss)
        self.dtype = np.dtype(dtype)
        _check_layers(layers, self.loss)
        self.out_activation = layers[-1].activation
        self.hidden_activations = [layer.activation for layer in layers[:-1]
                                   if isinstance(layer, Dense)]
        self.set_layers(layers)

    def set_layers(self, layers):
        """Make ``layers`` (input to output) the network's, placed in the
        flat buffer in scikit-learn's ``_pack`` layout: every layer's
        coefficients, then every layer's intercepts."""
        n_coef = sum(layer.coef_size for layer in layers)
        coef_start, intercept_start = 0, n_coef
        for number, layer in enumerate(layers, 1):
            layer.place(number, coef_start, intercept_start)
            coef_start += layer.coef_size
            intercept_start += layer.intercept_size
        self.layers = list(layers)
        self.layer_units = [layers[0].fan_in, *(layer.fan_out for layer in layers)]
        self.n_layers = len(self.layer_units)
        self.n_coef, self.n_params = n_coef, intercept_start
        self.coef_shapes = [layer.coef_shape for layer in self.layers]
        self.coef_slices = [layer.coef_slice for layer in self.layers]
        self.intercept_slices = [layer.intercept_slice for layer in self.layers]
        self._view_cache = []

    @property
    def plain(self):
        """Whether every layer is a standard :class:`.layers.Dense` layer
        (what the compiled epoch and model files know)."""
        return all(type(layer) is Dense and layer.gain is None
                   for layer in self.layers)

    def parameter_groups(self):
        """``[(layer_index, name, slice)]``: which slice of the flat buffer
        holds which group of which layer (``self.layers[layer_index]``;
        names as each layer's ``groups()``: ``"weights"`` and ``"biases"``
        of a dense layer, ...), in layer order."""
        return [(index, name, part) for index, layer in enumerate(self.layers)
                for name, part in layer.groups().items()]

    def per_parameter(self, factor, dtype=None):
        """A flat vector holding ``factor(layer, name)`` on every slice of
        :meth:`parameter_groups` (per-parameter learning-rate or
        weight-decay factors, say)."""
        out = np.empty(self.n_params, dtype=dtype or self.dtype)
        for index, name, part in self.parameter_groups():
            out[part] = factor(self.layers[index], name)
        return out

    @property
    def activations(self):
        """The activation of each layer, the output layer's last."""
        return [layer.activation for layer in self.layers]

    # ------------------------------------------------------------------
    # parameter buffer
    def unpack(self, flat):
        """Per-layer views ``(coefs, intercepts)`` into a flat buffer."""
        views = [layer.blocks(flat) for layer in self.layers]
        return [v[0] for v in views], [v[1] for v in views]

    def pack(self, coefs, intercepts, out=None):
        """Copy per-layer arrays into a flat buffer (new unless ``out``)."""
        if out is None:
            out = np.empty(self.n_params, dtype=self.dtype)
        for layer, c, b in zip(self.layers, coefs, intercepts):
            coef, intercept = layer.blocks(out)
            coef[...] = c
            intercept[...] = b
        return out

    def init_params(self, random_state, X=None):
        """Initialised parameters in a new flat buffer: each layer in turn
        draws its own (``layer.init``) from ``random_state``.

        The estimators' dense layers draw their weights then their
        intercepts from ``U(-r, r)`` with ``r = sqrt(factor / (fan_in +
        fan_out))`` (factor 2 for the logistic activation, 6 otherwise) --
        the same draws, in the same order, as scikit-learn's MLP, so equal
        seeds give equal weights.  With one activation per hidden layer, the
        weights into hidden layer ``k`` take the factor of ``f_k`` and the
        output layer's weights that of the last hidden activation (see
        :func:`_init_factors`).

        ``X`` (rows of the training data) is needed by the data-dependent
        inits (``layer.needs_data``: RealMLP's ``"std"`` and ``"he+5"``):
        each such layer sees ``X`` passed through the layers before it, as
        initialised.
        """
        flat = np.empty(self.n_params, dtype=self.dtype)
        last_needing = max((k for k, layer in enumerate(self.layers)
                            if layer.needs_data), default=-1)
        a = X if last_needing >= 0 else None
        for k, layer in enumerate(self.layers):
            coef, intercept = layer.blocks(flat)
            layer.init(random_state, coef, intercept, a)
            if a is not None and k < last_needing:
                buf = layer.buffers(a.shape[0], self.dtype, first=True)
                a = layer.forward(NUMPY, layer.parameters(flat), a, buf,
                                  a.shape[0], training=False)
        return flat

    def workspace(self, capacity, poison=False, dropout=None):
        """Allocate a :class:`Workspace` for batches of up to ``capacity``
        (with mask buffers for the hidden layers of ``dropout`` rate > 0)."""
        return Workspace(self, capacity, poison, dropout)

    def views(self, flat):
        """Per-layer ``(coefs, intercepts)`` views of ``flat``, cached.

        The cache holds the last two buffers seen (parameters and gradient),
        so the hot loop does not rebuild views every batch.
        """
        coefs, intercepts = zip(*self.layer_views(flat, NUMPY))
        return list(coefs), list(intercepts)

    def layer_views(self, flat, ops):
        """Each layer's ``(coef, intercept)`` views of ``flat`` (numpy's
        cached for the last two buffers seen: parameters and gradient)."""
        if not ops.in_place:
            return [layer.parameters(flat, ops.reshape) for layer in self.layers]
        for buf, v in self._view_cache:
            if buf is flat:
                return v
        v = [layer.parameters(flat) for layer in self.layers]
        self._view_cache = [(flat, v), *self._view_cache[:1]]
        return v

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_view_cache"] = []
        return state

    # ------------------------------------------------------------------
    # passes
    def forward(self, flat, X, ws, ops=NUMPY):
        """Training forward pass into the workspace; returns ``a_L``.

        Parameters
        ----------
        flat : array of shape (n_params,)
        X : array or sparse matrix of shape (n, n_features), ``n <= capacity``
        ws : Workspace
        ops : kernels object, default=the numpy kernels
            The backend (:mod:`.kernels`).
        """
        n = X.shape[0]
        a = X
        for layer, params, buf in zip(self.layers, self.layer_views(flat, ops),
                                      ws.layers):
            a = layer.forward(ops, params, a, buf, n)
        return a

    def data_loss_grad(self, flat, grad, X, Y, sample_weight, ws, ops=NUMPY):
        """The data term of the objective and its gradient on one batch.

        Forward pass, loss, fused output delta, backward pass; the L2 term
        is left out (see :meth:`loss_grad` and the optimizers).  Arguments
        as :meth:`loss_grad` (``grad`` None for a backend whose passes
        return new arrays).

        Returns
        -------
        loss : float or 0-d array
            ``sum_i s_i l_i / S``.
        grad : array of shape (n_params,)
            ``dJ_data/dtheta``: ``grad`` itself on the numpy backend.
        """
        n = X.shape[0]
        params = self.layer_views(flat, ops)
        grads = (self.layer_views(grad, ops) if grad is not None
                 else [(None, None)] * len(self.layers))
        A_L = self.forward(flat, X, ws, ops)
        loss, upstream = ops.loss_and_delta(self.loss, A_L, Y, sample_weight)
        coef_grads, intercept_grads = [], []
        for i in range(len(self.layers) - 1, -1, -1):
            a_prev = X if i == 0 else ws.layers[i - 1].output
            upstream, coef_grad, intercept_grad = self.layers[i].backward(
                ops, params[i], grads[i], a_prev, upstream, ws.layers[i], n,
                is_delta=i == len(self.layers) - 1, need_input_grad=i > 0)
            coef_grads.insert(0, coef_grad)
            intercept_grads.insert(0, intercept_grad)
        return loss, ops.flat_gradient(grad, coef_grads, intercept_grads)

    def penalty(self, flat, l2, ops=NUMPY):
        """The L2 term ``l2 / 2 * sum_k ||W_k||^2`` of the objective."""
        return ops.penalty(flat[: self.n_coef], l2)

    def loss_grad(self, flat, grad, X, Y, sample_weight, l2, ws, ops=NUMPY):
        """Objective and its whole gradient (data and L2 terms) on one batch.

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
        ops : kernels object, default=the numpy kernels

        Returns
        -------
        loss : float
            ``sum_i s_i l_i / S + lambda/2 * sum_k ||W_k||^2``.
        """
        loss, grad = self.data_loss_grad(flat, grad, X, Y, sample_weight, ws, ops)
        if l2:
            ops.add_l2(grad, flat, l2, self.n_coef, ws.scratch)
        return loss + self.penalty(flat, l2, ops)

    def output_bound(self, flat, x_max):
        """An upper bound of ``|z_L|``, the output pre-activations, over
        inputs with ``|x| <= x_max`` (``inf`` when it overflows).

        Each layer bounds its output from a bound of its input
        (``layer.bound``); for dense layers, as each hidden activation
        satisfies ``|f(z)| <= g |z| + c`` (its ``growth``), layer by layer
        ``|z_k| <= (g |z_{k-1}| + c) max_j sum_i |W_ij| + max |b|``.
        """
        bound = float(x_max)
        last = len(self.layers) - 1
        # checked after every epoch: one errstate, no per-layer lists
        with np.errstate(over="ignore", invalid="ignore"):
            for k, layer in enumerate(self.layers):
                bound = layer.bound(layer.parameters(flat), bound, k == last)
        return bound

    def finite_within(self, flat, radius, x_max, y_max, l2, limit):
        """Whether every quantity of a training step stays below ``limit``
        for every parameter vector each of whose parameters is within
        ``radius`` of ``flat``'s, on inputs with ``|x| <= x_max`` and
        targets with ``|y| <= y_max``: the pre-activations, the deltas and
        gradients of the backward pass, the L2 term (strength at most
        ``l2``) and its gradient.  A False answer does not mean that
        anything overflows.

        The forward bound is :meth:`output_bound`'s with every ``|W|`` and
        ``|b|`` grown by ``radius``.  A row's output delta ``a - y`` (before
        its weight ``s_i / S``, at most 1) is at most ``|a| + y_max``;
        going down a layer multiplies it by the largest row sum of ``|W|``
        and by the largest slope of the activation below (its ``slope``).
        A hidden layer's output is at most ``g |z| + c`` (its activation's
        ``growth``).  A weight's gradient, a weighted mean over rows, is at
        most its input's bound times its delta's.
        """
        bound, inputs, rows, coef_max = float(x_max), [], [], 0.0
        with np.errstate(over="ignore", invalid="ignore"):
            for k, layer in enumerate(self.layers):
                W, b = layer.parameters(flat)
                column, row, largest = _abs_sums(W)
                column += layer.fan_in * radius
                rows.append(row + layer.fan_out * radius)
                coef_max = max(coef_max, largest + radius)
                bias = float(np.abs(b).max(initial=0.0)) + radius
                if k:
                    g, c = self.layers[k - 1].activation.growth
                    bound = g * bound + c
                inputs.append(bound)
                bound = inputs[-1] * column + bias
            name = self.out_activation.name
            if name in ("softmax", "logistic"):
                out = 1.0
            elif name == "identity":
                out = bound
            elif name == "exp" and bound < 0.5 * np.log(limit):
                out = np.sqrt(limit)  # exp(z) below sqrt(limit)
            else:
                return False
            delta, largest = out + y_max, [bound, l2 * coef_max,
                                           l2 * self.n_coef * coef_max ** 2]
            for k in range(len(self.layers) - 1, -1, -1):
                largest += [delta, inputs[k] * delta]  # delta_k, its gradient
                if k:
                    delta *= self.layers[k - 1].activation.slope * rows[k]
        return all(value < limit for value in largest)

    def predict(self, coefs, intercepts, X, ops=NUMPY, block=2048):
        """Network output for ``X`` in arrays of this call (thread-safe).

        Dense numpy input is processed in blocks of ``block`` rows through
        per-call buffers, so each block's activations stay in cache between
        the matrix product and the elementwise operations; ``ops`` is the
        backend (:mod:`.kernels`; the caller chooses it).
        """
        n = X.shape[0]
        params = [layer.split(coef, intercept, ops.reshape) for layer, coef, intercept
                  in zip(self.layers, coefs, intercepts)]
        if not ops.in_place:  # new arrays: no buffers, no blocks
            return self._predict_block(ops, params, X, [None] * len(params), n)
        dtype = np.result_type(X.dtype, *(c.dtype for c in coefs))
        out = np.empty((n, self.layer_units[-1]), dtype=dtype)
        if issparse(X) or n <= block:
            block = max(n, 1)
        hidden = [np.empty((min(block, n), u), dtype=dtype)
                  for u in self.layer_units[1:-1]]
        for start in range(0, n, block):
            stop = min(start + block, n)
            a = X if stop - start == n else X[start:stop]
            self._predict_block(ops, params, a, [*hidden, out[start:stop]],
                                stop - start)
        return out

    def _predict_block(self, ops, params, a, stores, n):
        """The forward pass of ``n`` rows ``a`` without dropout, each layer
        writing into ``stores`` (None: new arrays)."""
        for layer, p, store in zip(self.layers, params, stores):
            buf = LayerBuffers()
            buf.out_store = store
            a = layer.forward(ops, p, a, buf, n, training=False)
        return a


def _check_layers(layers, loss):
    """Refuse a layer list that does not chain or does not end in the
    loss's output layer, naming the problem."""
    if not layers:
        raise ValueError("a network needs at least one layer.")
    for k, (before, after) in enumerate(zip(layers, layers[1:]), 2):
        if after.fan_in != before.fan_out:
            raise ValueError(
                f"layer {k} ({after!r}) takes {after.fan_in} inputs but layer "
                f"{k - 1} ({before!r}) gives {before.fan_out}."
            )
    last = layers[-1]
    if not isinstance(last, Dense) or last.activation.name != loss.out_activation:
        raise ValueError(
            f"the last layer must be a Dense layer with the {loss.name!r} "
            f"loss's output activation {loss.out_activation!r}, got {last!r}."
        )


def hidden_activation_names(activation, n_hidden):
    """One activation name per hidden layer: ``activation`` repeated if it
    is a string, else the sequence itself (which must have ``n_hidden``
    names)."""
    if isinstance(activation, str):
        return [activation] * n_hidden
    names = list(activation)
    if len(names) != n_hidden:
        raise ValueError(
            f"activation has {len(names)} names but the network has "
            f"{n_hidden} hidden layers: give one name per hidden layer, or "
            "a single name for all of them."
        )
    return names


def _init_factors(activation, hidden):
    """The Glorot factor of each layer's weights (layers 1..L).

    A single name gives every layer its factor, as scikit-learn (the output
    layer included).  One name per hidden layer gives the weights into
    hidden layer ``k`` the factor of ``f_k`` and the output layer's weights
    the factor of the last hidden activation -- so a sequence of identical
    names initialises exactly as that name -- and, with no hidden layer, 6.
    """
    if isinstance(activation, str):
        return [get_activation(activation).init_factor] * (len(hidden) + 1)
    factors = [act.init_factor for act in hidden]
    return factors + [factors[-1] if factors else 6.0]


def _abs_sums(W):
    """``(max column sum, max row sum, max)`` of ``|W|``, in float64, a
    block of rows at a time (no temporary the size of ``W``)."""
    step = max(1, L2_BLOCK // max(W.shape[1], 1))
    columns = np.zeros(W.shape[1])
    row = largest = 0.0
    for start in range(0, W.shape[0], step):
        block = np.abs(W[start:start + step], dtype=np.float64)
        columns += block.sum(axis=0)
        row = max(row, float(block.sum(axis=1).max(initial=0.0)))
        largest = max(largest, float(block.max(initial=0.0)))
    return float(columns.max(initial=0.0)), row, largest
