r"""The layers of a network: each owns its parameter views, its buffers,
its forward pass and its backward pass.

A network (:class:`.network.Network`) is a sequence of layers between its
input and its loss.  A layer kind is one class with ``fan_in``,
``fan_out``, ``coef_size`` and ``intercept_size`` and five methods (and
those of :class:`Layer`, which it may keep: ``blocks``/``split`` -- its two
flat blocks and the arrays its passes take from them -- ``groups``,
``init(rng, coef, intercept, data)``, ``bound``, ``require_array_api``):

- ``place(number, coef_start, intercept_start)`` -- its position in the
  network and where its coefficients and intercepts start in the flat
  buffer (:meth:`.network.Network.set_layers` calls it);
- ``parameters(flat, reshape)`` -- its views into the flat parameter (or
  gradient) buffer, whose layout is scikit-learn's ``_pack`` (every layer's
  weights, then every layer's intercepts) so that persistence, L-BFGS and
  the optimizers see one vector;
- ``buffers(capacity, dtype, rate)`` -- the per-batch buffers it writes
  (a :class:`LayerBuffers`; arrays of ``capacity`` rows for the numpy
  backend, where the passes write in place);
- ``forward(ops, params, a_prev, buffers, n, training)`` -- its output for
  the ``n`` rows of ``a_prev``;
- ``backward(ops, params, grads, a_prev, upstream, buffers, n, ...)`` --
  from ``upstream``, the gradient of the objective with respect to its
  output, its parameters' gradients and the gradient with respect to its
  input.

``ops`` is the backend (:mod:`.kernels`): the numpy kernels write into the
buffers given (``out`` arguments) and return them; the array-API kernels
ignore them and return new arrays.  So one loop, the same code, serves both,
and the numpy path keeps its exact arithmetic.

:class:`Dense` is the fully connected layer, ``z = a W + b``,
``a' = f(z)`` (times the dropout mask ``M`` when the layer has dropout):

.. math::

    \delta = (g \odot M) \odot f'(z),\quad
    \frac{\partial J}{\partial W} = a^\top \delta,\quad
    \frac{\partial J}{\partial b} = \textstyle\sum_i \delta_i,\quad
    g_{\text{in}} = \delta W^\top,

``g`` the upstream gradient.  The output layer's delta is the loss's fused
canonical-link delta, so its backward pass starts from ``delta`` itself.
"""

import numpy as np

__all__ = ["Dense", "Layer", "LayerBuffers"]


class LayerBuffers:
    """The buffers of one layer in a workspace, and the arrays of the
    current batch.

    **Storage** (numpy backend; None where unused or on another backend):
    ``out_store`` (``f(z)``; the output layer's fused delta is written over
    it), ``z_store`` (``z``, kept only for an activation whose derivative
    needs it), ``mask_store`` and ``dropped_store`` (a hidden layer with
    dropout: ``M`` and ``f(z) * M``), ``input_grad_store`` (the gradient
    with respect to the layer's input; none for the first layer), ``extra``
    (the storage of another layer kind, by name).

    **Current batch** (set by the passes, read within the same step):
    ``a`` (``f(z)``, undropped), ``z``, ``mask`` (the batch's rows of the
    mask, written before the forward pass), ``output`` (what the next layer
    reads: ``a`` or ``a * mask``).
    """

    def __init__(self, rate=0.0):
        self.rate = float(rate)
        self.out_store = self.z_store = None
        self.mask_store = self.dropped_store = self.input_grad_store = None
        self.a = self.z = self.mask = self.output = None
        self.extra = {}  # another layer kind's own storage, by name

    def stores(self):
        """Every storage array this layer's buffers own."""
        arrays = (self.out_store, self.z_store, self.mask_store,
                  self.dropped_store, self.input_grad_store, *self.extra.values())
        return [a for a in arrays if a is not None]


class Layer:
    """What a layer kind inherits unless it says otherwise: its two flat
    blocks are its parameters, its groups are ``"coef"`` and
    ``"intercept"``, it needs no data to initialise, its output bound is
    unknown (``inf``: the finiteness check then computes the output) and
    its passes use only the kernels' operations (so it runs on the array
    API)."""

    needs_data = False

    def blocks(self, flat, reshape=np.reshape):
        """``(coef, intercept)``: views of its two blocks of ``flat``."""
        return self.parameters(flat, reshape)

    @staticmethod
    def split(coef, intercept, reshape=np.reshape):
        """The arrays its passes take, from its two blocks."""
        return coef, intercept

    def groups(self):
        """``{name: slice of the flat buffer}`` of its parameter groups."""
        return {"coef": self.coef_slice, "intercept": self.intercept_slice}

    def init(self, rng, coef, intercept, data=None):
        raise NotImplementedError(f"{self!r} has no initialisation.")

    def bound(self, params, in_bound, output=False):
        """A bound of its output's magnitude: unknown."""
        return np.inf

    def require_array_api(self, output=False):
        """Nothing to refuse: its passes use the kernels' operations."""


def output_stores(layer, buf, capacity, dtype, first):
    """The stores of a layer whose output is an activation with dropout:
    ``f(z)`` (or the fused output delta), the mask and ``f(z) * M`` when
    ``buf.rate > 0``, the input gradient unless ``first``; returns the
    output's shape."""
    shape = (capacity, layer.fan_out)
    buf.out_store = np.empty(shape, dtype)
    if buf.rate > 0:
        buf.mask_store = np.empty(shape, dtype)
        buf.dropped_store = np.empty(shape, dtype)
    if not first:
        buf.input_grad_store = np.empty((capacity, layer.fan_in), dtype)
    return shape


def _rows(store, n):
    """The leading ``n`` rows of a storage array (None stays None)."""
    return None if store is None else store[:n]


class Dense(Layer):
    """A fully connected layer with an activation: ``f(a W + b)``.

    Parameters
    ----------
    fan_in, fan_out : int
    activation : Activation
        Its activation (:mod:`.activations`).
    init_factor : float, default=None
        The Glorot factor of its weights (None: the activation's own).
    parametrization : {"standard", "ntk"}, default="standard"
        ``"ntk"``: ``z = a W / sqrt(fan_in) + b`` (RealMLP's NTK-style
        parametrisation), else ``z = a W + b``.
    weight_init, bias_init : str, default=None
        How :meth:`init` draws the weights (``"glorot_uniform"``,
        ``"normal"``, ``"std"``) and the intercepts (``"glorot_uniform"``,
        ``"zeros"``, ``"he+5"``); None: Glorot for ``"standard"``, RealMLP's
        ``"std"`` and ``"he+5"`` for ``"ntk"`` (see :meth:`init`).
    """

    def __init__(self, fan_in, fan_out, activation, init_factor=None,
                 parametrization="standard", weight_init=None, bias_init=None):
        self.fan_in, self.fan_out = fan_in, fan_out
        self.activation = activation
        self.coef_shape = (fan_in, fan_out)
        self.coef_size, self.intercept_size = fan_in * fan_out, fan_out
        self.init_factor = (activation.init_factor if init_factor is None
                            else float(init_factor))
        _set_parametrization(self, parametrization, weight_init, bias_init)

    def place(self, number, coef_start, intercept_start):
        """Its number (1-based: the dropout masks' hash salts with it) and
        where its weights (C-ordered ``(fan_in, fan_out)``) and intercepts
        start in the flat buffer."""
        self.number = number
        self.coef_slice = slice(coef_start, coef_start + self.coef_size)
        self.intercept_slice = slice(intercept_start,
                                     intercept_start + self.intercept_size)

    def __repr__(self):
        ntk = ", parametrization='ntk'" if self.gain is not None else ""
        return (f"Dense({self.fan_in}, {self.fan_out}, "
                f"{self.activation.name!r}{ntk})")

    def parameters(self, flat, reshape=np.reshape):
        """``(coef, intercept)``: views of this layer's weights and
        intercepts in ``flat`` (parameters or gradient)."""
        coef = reshape(flat[self.coef_slice], self.coef_shape)
        return coef, flat[self.intercept_slice]

    def groups(self):
        """``{name: slice of the flat buffer}`` of its parameter groups."""
        return {"weights": self.coef_slice, "biases": self.intercept_slice}

    def init(self, rng, coef, intercept, data=None):
        """Draw its weights, then its intercepts, from ``rng`` (a numpy
        ``RandomState``).

        ``"glorot_uniform"`` draws both from ``U(-r, r)``, ``r = sqrt(factor
        / (fan_in + fan_out))``, as scikit-learn's MLP (same draws, same
        order).  ``"normal"``: weights ``N(0, 1)``.  ``"std"``: weights
        ``N(0, 1)`` with each column divided by the standard deviation of
        its pre-activation ``a W`` (times the NTK factor) over the rows of
        ``data``, the layer's input for the initialisation rows.
        ``"zeros"``: intercepts 0.  ``"he+5"``: each unit's intercept is
        minus a random convex combination (weights ``Exp(1)``, normalised)
        of its pre-activation at 5 random rows of ``data``, so that the
        unit's kink lies among the data (pytabkit's ``he+5``).
        """
        WEIGHT_INITS[self.weight_init](self, rng, coef, data)
        BIAS_INITS[self.bias_init](self, rng, coef, intercept, data)

    def bound(self, params, in_bound, output=False):
        """A bound of its output's magnitude (of ``z`` for the output
        layer) given ``|a_prev| <= in_bound``, from the activation's
        ``growth``: ``|f(z)| <= g |z| + c``."""
        coef, intercept = params
        column = float(np.abs(coef).sum(axis=0).max(initial=0.0))
        if self.gain is not None:
            column *= self.gain
        bias = float(np.abs(intercept).max(initial=0.0))
        z_bound = in_bound * column + bias
        if output:
            return z_bound
        g, c = self.activation.growth
        return g * z_bound + c

    def require_array_api(self, output=False):
        """Raise NotImplementedError naming its activation unless that has
        the array-API forms its passes need."""
        self.activation.require_array_api(backward=not output)

    def buffers(self, capacity, dtype, rate=0.0, first=False):
        """This layer's :class:`LayerBuffers` for batches of up to
        ``capacity`` rows (``capacity=None``: no storage, for a backend
        whose passes return new arrays)."""
        buf = LayerBuffers(rate)
        if capacity is None:
            return buf
        shape = output_stores(self, buf, capacity, dtype, first)
        if self.activation.needs_z:
            buf.z_store = np.empty(shape, dtype)
        return buf

    def forward(self, ops, params, a_prev, buf, n, training=True):
        """``f(a_prev W + b)`` (times the mask when training with dropout)
        for the ``n`` rows of ``a_prev``; the batch's arrays are kept in
        ``buf`` for the backward pass."""
        coef, intercept = params
        z = ops.matmul(a_prev, coef, _rows(buf.out_store, n))
        if self.gain is not None:
            z = ops.multiply(z, self.gain, z)
        keep_z = _rows(buf.z_store, n) if training else None
        buf.a, buf.z = ops.bias_activation(z, intercept, self.activation, keep_z)
        buf.output = buf.a
        if training and buf.rate > 0:  # dropout: a_k = f(z_k) * M_k
            buf.output = ops.multiply(buf.a, buf.mask, _rows(buf.dropped_store, n))
        return buf.output

    def backward(self, ops, params, grads, a_prev, upstream, buf, n,
                 is_delta=False, need_input_grad=True):
        """Write this layer's parameter gradients and return the gradient
        with respect to its input (None without ``need_input_grad``).

        ``upstream`` is the gradient with respect to the layer's output,
        consumed (overwritten on the numpy backend); ``is_delta``: it is
        already the gradient with respect to ``z`` (the loss's fused output
        delta).  Returns ``(input_grad, coef_grad, intercept_grad)``.
        """
        delta = upstream
        if not is_delta:
            if buf.rate > 0:
                delta = ops.multiply(delta, buf.mask, delta)
            delta = ops.times_derivative(delta, self.activation, buf.a, buf.z)
        if self.gain is not None:  # the bias sees delta, a W sees delta * gain
            intercept_grad = ops.column_sum(delta, grads[1])
            delta = ops.multiply(delta, self.gain, delta)
            coef_grad = ops.matmul(a_prev.T, delta, grads[0])
        else:
            coef_grad = ops.matmul(a_prev.T, delta, grads[0])
            intercept_grad = ops.column_sum(delta, grads[1])
        input_grad = None
        if need_input_grad:
            input_grad = ops.matmul(delta, params[0].T,
                                    _rows(buf.input_grad_store, n))
        return input_grad, coef_grad, intercept_grad


def _set_parametrization(layer, parametrization, weight_init, bias_init):
    """Check and set a :class:`Dense` layer's parametrisation and inits."""
    if parametrization not in ("standard", "ntk"):
        raise ValueError(f"parametrization must be 'standard' or 'ntk', got "
                         f"{parametrization!r}.")
    ntk = parametrization == "ntk"
    layer.gain = float(1.0 / np.sqrt(layer.fan_in)) if ntk else None
    layer.weight_init = weight_init or ("std" if ntk else "glorot_uniform")
    layer.bias_init = bias_init or ("he+5" if ntk else "glorot_uniform")
    for kind, name, known in (("weight_init", layer.weight_init, WEIGHT_INITS),
                              ("bias_init", layer.bias_init, BIAS_INITS)):
        if name not in known:
            raise ValueError(f"{kind} must be one of {sorted(known)}, got "
                             f"{name!r}.")
    layer.needs_data = "std" == layer.weight_init or "he+5" == layer.bias_init


def _glorot_bound(layer):
    return np.sqrt(layer.init_factor / (layer.fan_in + layer.fan_out))


def _glorot_weights(layer, rng, coef, data):
    bound = _glorot_bound(layer)
    coef[...] = rng.uniform(-bound, bound, layer.coef_shape)


def _normal_weights(layer, rng, coef, data):
    coef[...] = rng.standard_normal(layer.coef_shape)


def _std_weights(layer, rng, coef, data):
    weights = rng.standard_normal(layer.coef_shape)
    std = _pre_activation(layer, weights, data).std(axis=0)
    coef[...] = weights / np.where(std > 0, std, 1.0)  # a constant unit stays


def _glorot_biases(layer, rng, coef, intercept, data):
    bound = _glorot_bound(layer)
    intercept[...] = rng.uniform(-bound, bound, layer.fan_out)


def _zero_biases(layer, rng, coef, intercept, data):
    intercept[...] = 0.0


def _he5_biases(layer, rng, coef, intercept, data, points=5):
    z = _pre_activation(layer, np.asarray(coef, dtype=np.float64), data)
    rows = rng.randint(0, z.shape[0], size=(layer.fan_out, points))
    weights = rng.standard_exponential((layer.fan_out, points))
    weights /= weights.sum(axis=1, keepdims=True)
    picked = z[rows, np.arange(layer.fan_out)[:, None]]
    intercept[...] = -(picked * weights).sum(axis=1)


def _pre_activation(layer, coef, data):
    """``data W`` (times the NTK factor) in float64, for the data-dependent
    inits; refuses missing data by the init's name."""
    if data is None or data.shape[0] == 0:
        raise ValueError(
            f"weight_init={layer.weight_init!r}, bias_init={layer.bias_init!r} "
            "need the training data: pass X to Network.init_params."
        )
    z = np.asarray(data @ coef, dtype=np.float64)
    return z if layer.gain is None else z * layer.gain


WEIGHT_INITS = {"glorot_uniform": _glorot_weights, "normal": _normal_weights,
                "std": _std_weights}
"""How :meth:`Dense.init` draws the weights, by name."""

BIAS_INITS = {"glorot_uniform": _glorot_biases, "zeros": _zero_biases,
              "he+5": _he5_biases}
"""How :meth:`Dense.init` draws the intercepts, by name."""
