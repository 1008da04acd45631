r"""The layers of a network: each owns its parameter views, its buffers,
its forward pass and its backward pass.

A network (:class:`.network.Network`) is a sequence of layers between its
input and its loss.  A layer kind is one class with ``fan_in``,
``fan_out``, ``coef_size`` and ``intercept_size`` and five methods:

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

__all__ = ["Dense", "LayerBuffers"]


class LayerBuffers:
    """The buffers of one layer in a workspace, and the arrays of the
    current batch.

    **Storage** (numpy backend; None where unused or on another backend):
    ``out_store`` (``f(z)``; the output layer's fused delta is written over
    it), ``z_store`` (``z``, kept only for an activation whose derivative
    needs it), ``mask_store`` and ``dropped_store`` (a hidden layer with
    dropout: ``M`` and ``f(z) * M``), ``input_grad_store`` (the gradient
    with respect to the layer's input; none for the first layer).

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

    def stores(self):
        """Every storage array this layer's buffers own."""
        arrays = (self.out_store, self.z_store, self.mask_store,
                  self.dropped_store, self.input_grad_store)
        return [a for a in arrays if a is not None]


def _rows(store, n):
    """The leading ``n`` rows of a storage array (None stays None)."""
    return None if store is None else store[:n]


class Dense:
    """A fully connected layer with an activation: ``f(a W + b)``.

    Parameters
    ----------
    fan_in, fan_out : int
    activation : Activation
        Its activation (:mod:`.activations`).
    """

    def __init__(self, fan_in, fan_out, activation):
        self.fan_in, self.fan_out = fan_in, fan_out
        self.activation = activation
        self.coef_shape = (fan_in, fan_out)
        self.coef_size, self.intercept_size = fan_in * fan_out, fan_out

    def place(self, number, coef_start, intercept_start):
        """Its number (1-based: the dropout masks' hash salts with it) and
        where its weights (C-ordered ``(fan_in, fan_out)``) and intercepts
        start in the flat buffer."""
        self.number = number
        self.coef_slice = slice(coef_start, coef_start + self.coef_size)
        self.intercept_slice = slice(intercept_start,
                                     intercept_start + self.intercept_size)

    def __repr__(self):
        return (f"Dense({self.fan_in}, {self.fan_out}, "
                f"{self.activation.name!r})")

    def parameters(self, flat, reshape=np.reshape):
        """``(coef, intercept)``: views of this layer's weights and
        intercepts in ``flat`` (parameters or gradient)."""
        coef = reshape(flat[self.coef_slice], self.coef_shape)
        return coef, flat[self.intercept_slice]

    def buffers(self, capacity, dtype, rate=0.0, first=False):
        """This layer's :class:`LayerBuffers` for batches of up to
        ``capacity`` rows (``capacity=None``: no storage, for a backend
        whose passes return new arrays)."""
        buf = LayerBuffers(rate)
        if capacity is None:
            return buf
        shape = (capacity, self.fan_out)
        buf.out_store = np.empty(shape, dtype)
        if self.activation.needs_z:
            buf.z_store = np.empty(shape, dtype)
        if rate > 0:
            buf.mask_store = np.empty(shape, dtype)
            buf.dropped_store = np.empty(shape, dtype)
        if not first:
            buf.input_grad_store = np.empty((capacity, self.fan_in), dtype)
        return buf

    def forward(self, ops, params, a_prev, buf, n, training=True):
        """``f(a_prev W + b)`` (times the mask when training with dropout)
        for the ``n`` rows of ``a_prev``; the batch's arrays are kept in
        ``buf`` for the backward pass."""
        coef, intercept = params
        z = ops.matmul(a_prev, coef, _rows(buf.out_store, n))
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
        coef_grad = ops.matmul(a_prev.T, delta, grads[0])
        intercept_grad = ops.column_sum(delta, grads[1])
        input_grad = None
        if need_input_grad:
            input_grad = ops.matmul(delta, params[0].T,
                                    _rows(buf.input_grad_store, n))
        return input_grad, coef_grad, intercept_grad
