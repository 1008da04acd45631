r"""Layer kinds for tables: a learnable per-feature scale, embeddings of
categorical codes, periodic embeddings and piecewise-linear encodings of
numeric columns, and a parametric activation.

Each is one class of the layer protocol (:mod:`.layers`), placed in a
network by :meth:`.network.Network.from_layers`; their maths is written out
in ``docs/backprop.rst`` ("Layers for tables") and checked against finite
differences (``tests/engine/test_table_layers.py``).

**Input layout.**  A table reaches the network as one float matrix: numeric
columns and, for each categorical column embedded, its integer code
(``1..cardinality``; 0, and anything else -- NaN, negative, above the
cardinality -- reads as *unknown/missing*, which has a row of its own).  So
the batches, the shuffling, the row keys of the dropout masks and the
trainer need nothing new.  :class:`CategoricalEmbedding` must come first:
it turns the codes into their embeddings, passing the other columns
through.

Which layer runs where: all on numpy; on the array API all but
:class:`CategoricalEmbedding` (the standard has no scatter-add: the
array-API trainer refuses it by name) -- :class:`Scale` through the
kernels' operations, the others with array-API forms beside their numpy
ones (the same arithmetic in the same order).  The compiled tiny epoch
knows standard dense layers only (:attr:`.network.Network.plain`).
"""

import numpy as np
from scipy.sparse import issparse

from .layers import Layer, LayerBuffers, output_stores

__all__ = [
    "CategoricalEmbedding",
    "ParametricActivation",
    "PeriodicEmbedding",
    "PiecewiseLinearEncoding",
    "Scale",
]


def _store(store, n, tail, dtype):
    """The leading ``n`` rows of ``store``, or a new array of shape
    ``(n, *tail)`` (a backend without storage, or a prediction)."""
    return store[:n] if store is not None else np.empty((n, *tail), dtype)


def _rows(store, n):
    """The leading ``n`` rows of ``store`` (None: a backend returning new
    arrays)."""
    return None if store is None else store[:n]


def _no_dropout(layer, rate):
    if rate > 0:
        raise ValueError(f"dropout applies to Dense layers; {layer!r} got a "
                         f"rate of {rate}.")


def _numpy_only(layer):
    raise NotImplementedError(
        f"layer {type(layer).__name__} has no array-API version yet; pass "
        "numpy arrays (or leave array_api_dispatch off) to use it."
    )


def _on_device(layer, ops, name, make, dtype=None):
    """``make()``, a host array, on the device of the array-API kernels
    ``ops`` (in ``dtype``), made once per namespace, device and dtype."""
    cache = layer.__dict__.setdefault("_device_arrays", {})
    key = (id(ops.ns.xp), str(ops.ns.device), name, str(dtype))
    if key not in cache:
        cache[key] = ops.ns.asarray(make(), dtype=dtype)
    return cache[key]


def _flat(xp, *arrays):
    """``arrays`` raveled and joined: a block of the flat gradient."""
    return xp.concat([xp.reshape(a, (-1,)) for a in arrays])


def _dense_input(layer, a_prev):
    if issparse(a_prev):
        raise TypeError(f"{type(layer).__name__} needs a dense input, got a "
                        "sparse matrix.")
    return a_prev


class _Placed(Layer):
    """Placement in the flat buffer, shared by the layers below."""

    def place(self, number, coef_start, intercept_start):
        self.number = number
        self.coef_slice = slice(coef_start, coef_start + self.coef_size)
        self.intercept_slice = slice(intercept_start,
                                     intercept_start + self.intercept_size)

    def parameters(self, flat, reshape=np.reshape):
        return self.split(*self.blocks(flat, reshape), reshape)

    def blocks(self, flat, reshape=np.reshape):
        """``(coef, intercept)``: views of its two flat blocks of ``flat``."""
        return flat[self.coef_slice], flat[self.intercept_slice]

    def buffers(self, capacity, dtype, rate=0.0, first=False):
        """Its output and input-gradient storage for batches of up to
        ``capacity`` rows (None: no storage)."""
        _no_dropout(self, rate)
        buf = LayerBuffers(rate)
        if capacity is not None:
            buf.out_store = np.empty((capacity, self.fan_out), dtype)
            if not first:
                buf.input_grad_store = np.empty((capacity, self.fan_in), dtype)
        return buf


class Scale(_Placed):
    r"""A learnable scale per feature: ``a' = a * s`` (RealMLP's front
    scale), ``s`` initialised to 1.

    Backward: :math:`\partial J / \partial s = \sum_i g_i \odot a_i`,
    :math:`g_{\text{in}} = g \odot s`.  Its one group is ``"scale"`` (in
    the coefficients' block: the L2 penalty reaches it).

    Parameters
    ----------
    units : int
    """

    def __init__(self, units):
        self.fan_in = self.fan_out = int(units)
        self.coef_shape = (self.fan_in,)
        self.coef_size, self.intercept_size = self.fan_in, 0

    def __repr__(self):
        return f"Scale({self.fan_in})"

    def groups(self):
        return {"scale": self.coef_slice}

    def init(self, rng, coef, intercept, data=None):
        """``s = 1``; draws nothing."""
        coef[...] = 1.0

    def bound(self, params, in_bound, output=False):
        return in_bound * float(np.abs(params[0]).max(initial=0.0))

    def forward(self, ops, params, a_prev, buf, n, training=True):
        buf.output = ops.multiply(a_prev, params[0], _rows(buf.out_store, n))
        return buf.output

    def backward(self, ops, params, grads, a_prev, upstream, buf, n,
                 is_delta=False, need_input_grad=True):
        input_grad = None
        if need_input_grad:
            input_grad = ops.multiply(upstream, params[0],
                                      _rows(buf.input_grad_store, n))
        # the upstream gradient is consumed: a_prev * g overwrites it
        product = ops.multiply(upstream, a_prev, upstream)
        return input_grad, ops.column_sum(product, grads[0]), None


class CategoricalEmbedding(_Placed):
    r"""Embeddings of categorical codes, next to the other columns.

    Input: ``fan_in`` columns, of which ``columns`` hold integer codes
    (``1..cardinality``; any other value reads as 0, unknown/missing).
    Output: the other columns (in their order), then, for each code column
    ``j`` in the order of ``columns``, the row ``T_j[c_{ij}]`` of its table
    ``T_j`` (``cardinality_j + 1`` rows of ``dims_j`` values; row 0 is the
    unknown code's).

    Backward: each table's gradient is a scatter-add of the upstream
    gradient of its output columns into the rows of the codes seen,
    :math:`\partial J / \partial T_j[c] = \sum_{i: c_{ij} = c} g_{i,j}`
    (one ``bincount`` over every table); the gradient with respect to the
    codes is 0, and the other columns' gradient passes through.  The tables lie one
    after the other, C-ordered, in the coefficients' block (the L2 penalty
    reaches them); their group is ``"tables"``.  Initialisation: ``N(0, 1)``
    (pytabkit's).

    Parameters
    ----------
    fan_in : int
    columns : sequence of int
        The input columns holding codes.
    cardinalities : sequence of int
        Categories of each code column (codes ``1..cardinality``).
    dims : int or sequence of int, default=8
        The embedding width of each code column.
    """

    def __init__(self, fan_in, columns, cardinalities, dims=8):
        self.fan_in = int(fan_in)
        self.columns = np.asarray(columns, dtype=np.intp).reshape(-1)
        self.cardinalities = np.asarray(cardinalities, dtype=np.intp).reshape(-1)
        k, dims = self.columns.size, np.asarray(dims, dtype=np.intp).reshape(-1)
        if dims.size not in (1, k):
            raise ValueError(f"CategoricalEmbedding got {k} code columns but "
                             f"{dims.size} dims.")
        self.dims = np.broadcast_to(dims, (k,)).copy()
        _check_codes(self)
        others = np.setdiff1d(np.arange(self.fan_in), self.columns)
        self.others = _as_slice(others)
        self.n_others = others.size
        self.fan_out = self.n_others + int(self.dims.sum())
        rows = self.cardinalities + 1
        self.table_starts = np.concatenate([[0], np.cumsum(rows * self.dims)])
        self.coef_size, self.intercept_size = int(self.table_starts[-1]), 0
        self.coef_shape = (self.coef_size,)
        # output column e of the embeddings reads entry code * width + offset
        owner = np.repeat(np.arange(k), self.dims)
        within = np.arange(owner.size) - np.repeat(np.cumsum(self.dims) - self.dims,
                                                    self.dims)
        self._owner, self._width = owner, self.dims[owner]
        self._offset = self.table_starts[:-1][owner] + within
        self._code_columns = _as_slice(self.columns)

    def __repr__(self):
        return (f"CategoricalEmbedding({self.fan_in}, columns={self.columns.tolist()}, "
                f"cardinalities={self.cardinalities.tolist()}, "
                f"dims={self.dims.tolist()})")

    def groups(self):
        return {"tables": self.coef_slice}

    def tables(self, coef):
        """Each code column's table, ``(cardinality + 1, dim)``, as views of
        its coefficients' block ``coef``."""
        return [coef[a:b].reshape(card + 1, dim) for a, b, card, dim in zip(
            self.table_starts[:-1], self.table_starts[1:], self.cardinalities,
            self.dims)]

    def init(self, rng, coef, intercept, data=None):
        coef[...] = rng.standard_normal(self.coef_size)

    def bound(self, params, in_bound, output=False):
        return max(in_bound, float(np.abs(params[0]).max(initial=0.0)))

    def require_array_api(self, output=False):
        _numpy_only(self)

    def entries(self, a_prev):
        """``(n, sum(dims))``: the index, in the coefficients' block, of each
        embedding output of each row of ``a_prev``."""
        raw = a_prev[:, self._code_columns]
        known = (raw >= 1) & (raw <= self.cardinalities)  # NaN: not known
        codes = np.where(known, raw, 0).astype(np.intp)
        return codes[:, self._owner] * self._width + self._offset

    def forward(self, ops, params, a_prev, buf, n, training=True):
        a_prev = _dense_input(self, a_prev)
        dtype = np.result_type(a_prev.dtype, params[0].dtype)
        out = _store(buf.out_store, n, (self.fan_out,), dtype)
        out[:, :self.n_others] = a_prev[:, self.others]
        entries = self.entries(a_prev)
        np.take(params[0], entries, out=out[:, self.n_others:], mode="clip")
        buf.entries = entries if training else None
        buf.output = out
        return out

    def backward(self, ops, params, grads, a_prev, upstream, buf, n,
                 is_delta=False, need_input_grad=True):
        weights = upstream[:, self.n_others:].ravel()
        grads[0][...] = np.bincount(buf.entries.ravel(), weights=weights,
                                    minlength=self.coef_size)
        input_grad = None
        if need_input_grad:
            input_grad = _store(buf.input_grad_store, n, (self.fan_in,),
                                upstream.dtype)
            input_grad[:, self._code_columns] = 0.0
            input_grad[:, self.others] = upstream[:, :self.n_others]
        return input_grad, grads[0], None


def _as_slice(index):
    """``index`` (increasing ints) as a slice when it is a contiguous range
    (a view instead of a copy), else as it is."""
    if index.size and np.array_equal(index, np.arange(index[0], index[-1] + 1)):
        return slice(int(index[0]), int(index[-1]) + 1)
    return index


def _check_codes(layer):
    """Refuse code columns that are out of range, repeated, or without a
    positive cardinality and width, naming them."""
    columns, k = layer.columns, layer.columns.size
    if layer.cardinalities.size != k:
        raise ValueError(f"CategoricalEmbedding got {k} code columns but "
                         f"{layer.cardinalities.size} cardinalities.")
    if ((columns < 0) | (columns >= layer.fan_in)).any():
        raise ValueError(f"code columns {columns.tolist()} must lie in "
                         f"[0, {layer.fan_in}).")
    if np.unique(columns).size != k:
        raise ValueError(f"code columns {columns.tolist()} are repeated.")
    if (layer.cardinalities < 1).any() or (layer.dims < 1).any():
        raise ValueError("cardinalities and dims must be positive integers, "
                         f"got {layer.cardinalities.tolist()} and "
                         f"{layer.dims.tolist()}.")


TWO_PI = 2.0 * np.pi


class PeriodicEmbedding(_Placed):
    r"""Periodic embeddings of numeric columns, next to the input
    (RealMLP-TD's PBLD: periodic, bias, linear, DenseNet-style).

    For each selected column ``x_j``, ``h`` frequencies and phases give
    :math:`c_j = \cos(2\pi x_j w_j + b_j) \in \mathbb{R}^h`, and a small
    linear map :math:`e_j = c_j V_j + u_j \in \mathbb{R}^d`.  Output: every
    :math:`e_j` (in the order of ``columns``), then the whole input
    unchanged (the "DenseNet" concatenation), ``m d + fan_in`` columns.

    Backward, with :math:`g_j` the upstream gradient of :math:`e_j` and
    :math:`p_j = 2\pi x_j w_j + b_j`:
    :math:`\partial J / \partial V_j = c_j^\top g_j`,
    :math:`\partial J / \partial u_j = \sum_i g_{ij}`,
    :math:`q_j = -\sin(p_j) \odot (g_j V_j^\top)`,
    :math:`\partial J / \partial b_j = \sum_i q_{ij}`,
    :math:`\partial J / \partial w_j = 2\pi \sum_i x_{ij} q_{ij}`, and the
    input gradient is the upstream one of the copied input plus
    :math:`2\pi\, q_j w_j^\top` on column ``j``.

    Groups: ``"frequencies"`` (``w``) and ``"weights"`` (``V``) in the
    coefficients' block, ``"phases"`` (``b``) and ``"biases"`` (``u``) in
    the intercepts'.  Initialisation (pytabkit's, drawn in this order):
    ``w ~ N(0, sigma^2)``, ``b ~ U(-pi, pi)``, ``V`` and ``u`` ``~ U(-1/sqrt(h),
    1/sqrt(h))``.

    Parameters
    ----------
    fan_in : int
    columns : sequence of int, default=None
        The numeric columns embedded (None: all).
    frequencies : int, default=16
        ``h``.
    dims : int, default=3
        ``d``, the width of each column's embedding.
    sigma : float, default=0.1
        The standard deviation of the initial frequencies.
    """

    def __init__(self, fan_in, columns=None, frequencies=16, dims=3, sigma=0.1):
        self.fan_in = int(fan_in)
        columns = np.arange(self.fan_in) if columns is None else columns
        self.columns = np.asarray(columns, dtype=np.intp).reshape(-1)
        if ((self.columns < 0) | (self.columns >= self.fan_in)).any():
            raise ValueError(f"columns {self.columns.tolist()} must lie in "
                             f"[0, {self.fan_in}).")
        if np.unique(self.columns).size != self.columns.size:
            raise ValueError(f"columns {self.columns.tolist()} are repeated.")
        self.frequencies, self.dims = int(frequencies), int(dims)
        self.sigma = float(sigma)
        if self.frequencies < 1 or self.dims < 1:
            raise ValueError("frequencies and dims must be positive integers, "
                             f"got {frequencies!r} and {dims!r}.")
        m, h, d = self.columns.size, self.frequencies, self.dims
        self.fan_out = m * d + self.fan_in
        self.coef_size, self.intercept_size = m * h * (1 + d), m * (h + d)
        self.coef_shape = (self.coef_size,)
        self._columns = _as_slice(self.columns)

    def __repr__(self):
        return (f"PeriodicEmbedding({self.fan_in}, columns={self.columns.tolist()}, "
                f"frequencies={self.frequencies}, dims={self.dims})")

    def split(self, coef, intercept, reshape=np.reshape):
        """``(w, V, b, u)``: frequencies ``(m, h)``, weights ``(m, h, d)``,
        phases ``(m, h)`` and biases ``(m, d)``."""
        m, h, d = self.columns.size, self.frequencies, self.dims
        return (reshape(coef[:m * h], (m, h)), reshape(coef[m * h:], (m, h, d)),
                reshape(intercept[:m * h], (m, h)), reshape(intercept[m * h:], (m, d)))

    def groups(self):
        cut_coef = self.coef_slice.start + self.columns.size * self.frequencies
        cut_intercept = (self.intercept_slice.start
                         + self.columns.size * self.frequencies)
        return {
            "frequencies": slice(self.coef_slice.start, cut_coef),
            "weights": slice(cut_coef, self.coef_slice.stop),
            "phases": slice(self.intercept_slice.start, cut_intercept),
            "biases": slice(cut_intercept, self.intercept_slice.stop),
        }

    def init(self, rng, coef, intercept, data=None):
        w, V, b, u = self.split(coef, intercept)
        w[...] = self.sigma * rng.standard_normal(w.shape)
        b[...] = rng.uniform(-np.pi, np.pi, b.shape)
        bound = 1.0 / np.sqrt(self.frequencies)
        V[...] = rng.uniform(-bound, bound, V.shape)
        u[...] = rng.uniform(-bound, bound, u.shape)

    def bound(self, params, in_bound, output=False):
        _, V, _, u = params
        embedded = (np.abs(V).sum(axis=1) + np.abs(u)).max(initial=0.0)
        return max(in_bound, float(embedded))

    def buffers(self, capacity, dtype, rate=0.0, first=False):
        buf = super().buffers(capacity, dtype, rate, first)
        if capacity is not None:
            m, h, d = self.columns.size, self.frequencies, self.dims
            for name, width in (("phase", h), ("cos", h), ("embedded", d)):
                buf.extra[name] = np.empty(m * capacity * width, dtype)
        return buf

    def _work(self, buf, name, n, width, dtype):
        """A ``(m, n, width)`` array: the leading part of the storage
        ``name``, or a new one."""
        shape = (self.columns.size, n, width)
        store = buf.extra.get(name)
        if store is None:
            return np.empty(shape, dtype)
        return store[:shape[0] * n * width].reshape(shape)

    def forward(self, ops, params, a_prev, buf, n, training=True):
        if not ops.in_place:
            return self._xp_forward(ops, params, a_prev, buf, n)
        w, V, b, u = params
        a_prev = _dense_input(self, a_prev)
        dtype = np.result_type(a_prev.dtype, w.dtype)
        x = a_prev[:, self._columns].T  # (m, n): one column after another
        phase = self._work(buf, "phase", n, self.frequencies, dtype)
        np.multiply(x[:, :, None], w[:, None, :], out=phase)
        phase *= TWO_PI
        phase += b[:, None, :]
        cos = np.cos(phase, out=self._work(buf, "cos", n, self.frequencies, dtype))
        embedded = np.matmul(cos, V, out=self._work(buf, "embedded", n,
                                                    self.dims, dtype))
        embedded += u[:, None, :]
        out = _store(buf.out_store, n, (self.fan_out,), dtype)
        width = self.columns.size * self.dims
        out[:, :width].reshape(n, self.columns.size, self.dims)[...] = (
            embedded.transpose(1, 0, 2))
        out[:, width:] = a_prev
        buf.phase, buf.cos, buf.output = phase, cos, out
        return out

    def backward(self, ops, params, grads, a_prev, upstream, buf, n,
                 is_delta=False, need_input_grad=True):
        if not ops.in_place:
            return self._xp_backward(ops, params, upstream, buf, n,
                                     need_input_grad)
        w, V, _, _ = params
        w_grad, V_grad, b_grad, u_grad = grads
        m, width = self.columns.size, self.columns.size * self.dims
        g = upstream[:, :width].reshape(n, m, self.dims).transpose(1, 0, 2)
        np.add.reduce(g, axis=1, out=u_grad)
        np.matmul(buf.cos.transpose(0, 2, 1), g, out=V_grad)
        # q = -sin(p) * (g V^T), written over cos, then over the phase
        q = np.matmul(g, V.transpose(0, 2, 1), out=buf.cos)
        q *= np.sin(buf.phase, out=buf.phase)
        np.negative(q, out=q)
        np.add.reduce(q, axis=1, out=b_grad)
        x = a_prev[:, self._columns].T
        np.matmul(x[:, None, :], q, out=w_grad[:, None, :])
        w_grad *= TWO_PI
        input_grad = None
        if need_input_grad:
            input_grad = _store(buf.input_grad_store, n, (self.fan_in,),
                                upstream.dtype)
            input_grad[...] = upstream[:, width:]
            through_x = np.matmul(q, w[:, :, None])[:, :, 0].T  # (n, m)
            input_grad[:, self._columns] += TWO_PI * through_x
        return input_grad, None, None

    # the same arithmetic on an array-API namespace (new arrays)
    def _xp_forward(self, ops, params, a_prev, buf, n):
        xp, (w, V, b, u) = ops.ns.xp, params
        index = _on_device(self, ops, "columns", lambda: self.columns)
        x = xp.permute_dims(xp.take(a_prev, index, axis=1), (1, 0))
        phase = x[:, :, None] * w[:, None, :] * TWO_PI + b[:, None, :]
        cos = xp.cos(phase)
        embedded = xp.permute_dims(cos @ V + u[:, None, :], (1, 0, 2))
        embedded = xp.reshape(embedded, (n, self.columns.size * self.dims))
        buf.phase, buf.cos, buf.x = phase, cos, x
        buf.output = xp.concat([embedded, a_prev], axis=1)
        return buf.output

    def _xp_backward(self, ops, params, upstream, buf, n, need_input_grad):
        xp, (w, V, _, _) = ops.ns.xp, params
        m, width = self.columns.size, self.columns.size * self.dims
        g = xp.reshape(upstream[:, :width], (n, m, self.dims))
        g = xp.permute_dims(g, (1, 0, 2))
        V_grad = xp.permute_dims(buf.cos, (0, 2, 1)) @ g
        q = -((g @ xp.permute_dims(V, (0, 2, 1))) * xp.sin(buf.phase))
        w_grad = (buf.x[:, None, :] @ q)[:, 0, :] * TWO_PI
        input_grad = None
        if need_input_grad:  # onto the embedded columns: a 0/1 product
            select = _on_device(self, ops, "select",
                                lambda: np.eye(self.fan_in)[self.columns],
                                upstream.dtype)
            through = xp.permute_dims((q @ w[:, :, None])[:, :, 0], (1, 0))
            input_grad = upstream[:, width:] + (TWO_PI * through) @ select
        return (input_grad, _flat(xp, w_grad, V_grad),
                _flat(xp, xp.sum(q, axis=1), xp.sum(g, axis=1)))


class ParametricActivation(_Placed):
    r"""A learnable mix of an activation and the identity, per unit:
    :math:`a' = z + \alpha \odot (f(z) - z)` (RealMLP's parametric
    activation), ``alpha`` initialised to 1 (so :math:`a' = f(z)`), with
    dropout after it when its rate is above 0.

    It follows a dense layer with the identity activation.  Backward, with
    :math:`g` the upstream gradient (times the mask):
    :math:`\partial J / \partial \alpha = \sum_i g_i \odot (f(z_i) - z_i)`,
    :math:`\partial J / \partial z = g \odot (1 - \alpha) + (g \odot
    \alpha) \odot f'(z)`.  Its one group is ``"activation"`` (in the
    coefficients' block: the L2 penalty pulls it towards the identity).

    Parameters
    ----------
    units : int
    activation : Activation
        ``f``, a hidden activation of the registry (:mod:`.activations`).
    """

    def __init__(self, units, activation):
        self.fan_in = self.fan_out = int(units)
        self.activation = activation
        self.coef_shape = (self.fan_in,)
        self.coef_size, self.intercept_size = self.fan_in, 0

    def __repr__(self):
        return f"ParametricActivation({self.fan_in}, {self.activation.name!r})"

    def groups(self):
        return {"activation": self.coef_slice}

    def init(self, rng, coef, intercept, data=None):
        """``alpha = 1``; draws nothing."""
        coef[...] = 1.0

    def bound(self, params, in_bound, output=False):
        # |f(z) - z| <= (g + 1) |z| + c, from the activation's growth
        g, c = self.activation.growth
        alpha = float(np.abs(params[0]).max(initial=0.0))
        return in_bound + alpha * ((g + 1.0) * in_bound + c)

    def require_array_api(self, output=False):
        self.activation.require_array_api()

    def buffers(self, capacity, dtype, rate=0.0, first=False):
        buf = LayerBuffers(rate)
        if capacity is not None:
            shape = output_stores(self, buf, capacity, dtype, first)
            buf.extra["f"] = np.empty(shape, dtype)  # f(z), undropped
        return buf

    def forward(self, ops, params, a_prev, buf, n, training=True):
        if not ops.in_place:
            return self._xp_forward(ops, params, a_prev, buf, training)
        (alpha, _), z = params, a_prev
        dtype = np.result_type(z.dtype, alpha.dtype)
        f = _store(buf.extra.get("f"), n, (self.fan_out,), dtype)
        f[...] = z
        self.activation.forward(f)
        out = _store(buf.out_store, n, (self.fan_out,), dtype)
        np.subtract(f, z, out=out)
        out *= alpha
        out += z
        buf.a, buf.z, buf.output = f, z, out
        if training and buf.rate > 0:  # dropout after the activation
            buf.output = np.multiply(out, buf.mask, out=_rows(buf.dropped_store, n))
        return buf.output

    def backward(self, ops, params, grads, a_prev, upstream, buf, n,
                 is_delta=False, need_input_grad=True):
        if not ops.in_place:
            return self._xp_backward(ops, params, upstream, buf, need_input_grad)
        alpha, g = params[0], upstream
        if buf.rate > 0:
            g *= buf.mask
        # the mixed output was read by the layer above: its storage is free
        gap = np.subtract(buf.a, buf.z, out=_store(buf.out_store, n,
                                                   (self.fan_out,), g.dtype))
        gap *= g
        np.add.reduce(gap, axis=0, out=grads[0])
        input_grad = None
        if need_input_grad:
            input_grad = np.multiply(g, alpha, out=_store(
                buf.input_grad_store, n, (self.fan_in,), g.dtype))
            self.activation.backward(input_grad, buf.a, buf.z)
            g *= 1.0 - alpha
            input_grad += g
        return input_grad, grads[0], None

    # the same arithmetic on an array-API namespace (new arrays)
    def _xp_forward(self, ops, params, z, buf, training):
        alpha = params[0]
        f = self.activation.xp_forward(ops.ns, ops.constants(z.dtype), z)
        buf.a, buf.z = f, z
        buf.output = (f - z) * alpha + z
        if training and buf.rate > 0:
            buf.output = buf.output * buf.mask
        return buf.output

    def _xp_backward(self, ops, params, upstream, buf, need_input_grad):
        xp, alpha, g = ops.ns.xp, params[0], upstream
        if buf.rate > 0:
            g = g * buf.mask
        alpha_grad = xp.sum((buf.a - buf.z) * g, axis=0)
        input_grad = None
        if need_input_grad:
            input_grad = (self.activation.xp_backward(ops.ns, g * alpha, buf.a, buf.z)
                          + g * (1.0 - alpha))
        return input_grad, alpha_grad, None


class PiecewiseLinearEncoding(_Placed):
    r"""Piecewise-linear encodings of numeric columns, next to the input
    (Gorishniy, Rubachev and Babenko, "On Embeddings for Numerical Features
    in Tabular Deep Learning", NeurIPS 2022): no parameters of its own, the
    next dense layer learns from it.

    Column ``x_j`` with bin edges :math:`b_0 < \dots < b_T` becomes
    :math:`T` values :math:`e_t = \operatorname{clip}((x_j - b_{t-1}) /
    (b_t - b_{t-1}), 0, 1)`, the first left unclipped below and the last
    above (so values beyond the edges stay informative).  Output: every
    column's encoding (in the order of ``columns``), then the whole input.
    Its input gradient is the copied input's plus, on column ``j``,
    :math:`\sum_t g_t / (b_t - b_{t-1})` over the bins where
    :math:`e_t` is not clipped.

    Parameters
    ----------
    fan_in : int
    columns : sequence of int
        The numeric columns encoded.
    edges : sequence of 1-D arrays
        Each column's bin edges, strictly increasing, at least 2
        (:meth:`from_data`: quantiles of the training data).
    """

    def __init__(self, fan_in, columns, edges):
        self.fan_in = int(fan_in)
        self.columns = np.asarray(columns, dtype=np.intp).reshape(-1)
        self.edges = [np.asarray(e, dtype=np.float64).reshape(-1) for e in edges]
        _check_edges(self)
        counts = [e.size - 1 for e in self.edges]
        self.fan_out = sum(counts) + self.fan_in
        self.coef_size = self.intercept_size = 0
        self.coef_shape = (0,)
        self._owner = np.repeat(np.arange(self.columns.size), counts)
        self._lower = np.concatenate([e[:-1] for e in self.edges] or [[]])
        self._width = np.concatenate([np.diff(e) for e in self.edges] or [[]])
        first = np.concatenate([[True] + [False] * (c - 1) for c in counts] or [[]])
        last = np.concatenate([[False] * (c - 1) + [True] for c in counts] or [[]])
        self._floor = np.where(first.astype(bool), -np.inf, 0.0)
        self._ceiling = np.where(last.astype(bool), np.inf, 1.0)

    @classmethod
    def from_data(cls, X, columns, bins=8):
        """The encoding of ``columns`` of ``X`` with up to ``bins`` bins each,
        their edges at quantiles of the column (repeated quantiles merged;
        a constant column gets one bin of width 1)."""
        X = np.asarray(X, dtype=np.float64)
        edges = []
        for j in np.asarray(columns, dtype=np.intp).reshape(-1):
            e = np.unique(np.quantile(X[:, j], np.linspace(0.0, 1.0, bins + 1)))
            edges.append(e if e.size > 1 else np.array([e[0], e[0] + 1.0]))
        return cls(X.shape[1], columns, edges)

    def __repr__(self):
        return (f"PiecewiseLinearEncoding({self.fan_in}, "
                f"columns={self.columns.tolist()}, bins={self._lower.size})")

    def groups(self):
        return {}

    def init(self, rng, coef, intercept, data=None):
        """No parameters: draws nothing."""

    def bound(self, params, in_bound, output=False):
        return np.inf  # the outer bins grow with x: the check computes

    def forward(self, ops, params, a_prev, buf, n, training=True):
        if not ops.in_place:
            return self._xp_forward(ops, a_prev, buf, training)
        a_prev = _dense_input(self, a_prev)
        x = a_prev[:, self.columns[self._owner]]
        ratio = np.subtract(x, self._lower, out=x)
        ratio /= self._width
        out = _store(buf.out_store, n, (self.fan_out,), a_prev.dtype)
        bins = self._lower.size
        np.clip(ratio, self._floor, self._ceiling, out=out[:, :bins])
        out[:, bins:] = a_prev
        # where a value is clipped, it does not move with x
        buf.slope = ((ratio > self._floor) & (ratio < self._ceiling)
                           if training else None)
        buf.output = out
        return out

    def backward(self, ops, params, grads, a_prev, upstream, buf, n,
                 is_delta=False, need_input_grad=True):
        if not need_input_grad:
            return None, None, None
        if not ops.in_place:
            return self._xp_backward(ops, upstream, buf), None, None
        bins = self._lower.size
        input_grad = _store(buf.input_grad_store, n, (self.fan_in,), upstream.dtype)
        input_grad[...] = upstream[:, bins:]
        through = np.where(buf.slope, upstream[:, :bins] / self._width, 0.0)
        sums = np.zeros((n, self.columns.size), dtype=upstream.dtype)
        np.add.at(sums.T, self._owner, through.T)
        input_grad[:, self.columns] += sums
        return input_grad, None, None

    # the same arithmetic on an array-API namespace (new arrays)
    def _bins_on_device(self, ops, dtype):
        return [_on_device(self, ops, name, lambda name=name: getattr(self, name),
                           dtype) for name in ("_lower", "_width", "_floor",
                                               "_ceiling")]

    def _xp_forward(self, ops, a_prev, buf, training):
        xp = ops.ns.xp
        lower, width, floor, ceiling = self._bins_on_device(ops, a_prev.dtype)
        owner = _on_device(self, ops, "owner", lambda: self.columns[self._owner])
        ratio = (xp.take(a_prev, owner, axis=1) - lower) / width
        encoded = xp.minimum(xp.maximum(ratio, floor), ceiling)
        buf.slope = (ratio > floor) & (ratio < ceiling) if training else None
        buf.output = xp.concat([encoded, a_prev], axis=1)
        return buf.output

    def _xp_backward(self, ops, upstream, buf):
        xp, bins = ops.ns.xp, self._lower.size
        width = self._bins_on_device(ops, upstream.dtype)[1]
        spread = _on_device(self, ops, "spread",  # bin -> its column, 0/1
                            lambda: np.eye(self.fan_in)[self.columns[self._owner]],
                            upstream.dtype)
        zero = ops.constants(upstream.dtype).zero
        through = xp.where(buf.slope, upstream[:, :bins] / width, zero)
        return upstream[:, bins:] + through @ spread


def _check_edges(layer):
    """Refuse columns or edges that do not fit, naming them."""
    columns = layer.columns
    if len(layer.edges) != columns.size:
        raise ValueError(f"PiecewiseLinearEncoding got {columns.size} columns "
                         f"but {len(layer.edges)} sets of edges.")
    if ((columns < 0) | (columns >= layer.fan_in)).any():
        raise ValueError(f"columns {columns.tolist()} must lie in "
                         f"[0, {layer.fan_in}).")
    if np.unique(columns).size != columns.size:
        raise ValueError(f"columns {columns.tolist()} are repeated.")
    for j, e in zip(columns, layer.edges):
        if e.size < 2 or not (np.diff(e) > 0).all() or not np.isfinite(e).all():
            raise ValueError(f"the edges of column {j} must be at least 2 "
                             f"finite, strictly increasing values, got {e}.")
