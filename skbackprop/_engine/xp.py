"""The engine on any array-API namespace (torch, CuPy, array_api_strict).

The same network, formulas and arithmetic order as the numpy engine
(:mod:`.network`, :mod:`.optimizers`), written with the functions of the
Python array API standard, so that it runs where the arrays live -- a GPU
included; each activation and loss brings its own array-API form, beside
its numpy one, in its registry entry (:mod:`.activations`, :mod:`.losses`).
The array API has no ``out=`` arguments: the passes return new arrays
instead of writing into a workspace, and only the parameters, the
optimizer's state and the gradient are updated in place.  Everything stays
on the device inside an epoch; the loss reaches the host once per epoch.

:class:`ArrayNamespace` is what the engine needs to know of a namespace: the
module, the device, and how to move arrays to and from the host (the
scikit-learn side builds it with scikit-learn's helpers; the engine imports
nothing from scikit-learn).  :class:`XpTrainer` is the :class:`.Trainer` of
such arrays, behind the same seam.
"""

import math

import numpy as np
from scipy.special import ndtr as _numpy_ndtr

__all__ = ["ArrayNamespace", "XpKernels", "XpTrainer", "copy_array", "xp_predict"]


class ArrayNamespace:
    """An array namespace and device, with transfers to and from the host.

    Parameters
    ----------
    xp : module
        An array-API namespace (as returned by ``array_api_compat``).
    device : object
        The device of the arrays.
    to_numpy : callable ``to_numpy(array) -> ndarray``
    """

    def __init__(self, xp, device, to_numpy):
        self.xp, self.device, self.to_numpy = xp, device, to_numpy
        name = getattr(xp, "__name__", "")
        self.is_torch = "torch" in name
        self.is_cupy = "cupy" in name

    def asarray(self, array, dtype=None):
        """A host (numpy) array, or a Python scalar, on the device."""
        return self.xp.asarray(array, dtype=dtype, device=self.device)

    def copy(self, array):
        return self.xp.asarray(array, copy=True)

    def all_finite(self, array):
        return bool(self.xp.all(self.xp.isfinite(array)))

    def ndtr(self, z):
        """The standard normal CDF: native on torch and CuPy, a round trip
        through the host elsewhere (array_api_strict has no erf)."""
        if self.is_torch:
            import torch

            return torch.special.ndtr(z)
        if self.is_cupy:
            import cupyx.scipy.special

            return cupyx.scipy.special.ndtr(z)
        return self.asarray(_numpy_ndtr(self.to_numpy(z)), dtype=z.dtype)


class _Constants:
    """0-d arrays of one dtype on one device, made once (some namespaces
    refuse Python scalars in ``maximum`` and friends, and making a constant
    inside a batch costs a transfer on a GPU)."""

    def __init__(self, ns, dtype):
        xp = ns.xp
        finfo = xp.finfo(dtype)
        self.zero = ns.asarray(0.0, dtype=dtype)
        self.one = ns.asarray(1.0, dtype=dtype)
        self.eps = float(finfo.eps)
        self.tiny = ns.asarray(float(finfo.smallest_normal), dtype=dtype)
        self.exp_cap = ns.asarray(math.log(float(finfo.max)) - 1.0, dtype=dtype)


def check_activations(network):
    """Raise NotImplementedError, naming it, for an activation or loss
    whose registry entry has no array-API form."""
    hidden = network.layer_activations[1:-1]
    for act in hidden:
        act.require_array_api()
    network.layer_activations[-1].require_array_api(backward=False)
    network.loss.require_array_api()


def _unpack(ns, network, flat):
    xp = ns.xp
    coefs = [
        xp.reshape(flat[sl], shape)
        for sl, shape in zip(network.coef_slices, network.coef_shapes)
    ]
    return coefs, [flat[sl] for sl in network.intercept_slices]


def _forward(ns, c, network, flat, X):
    """Every layer's output (and GELU's ``z``); ``acts[0]`` is ``X``."""
    coefs, intercepts = _unpack(ns, network, flat)
    acts, zs = [X], [None]
    for k, act in enumerate(network.layer_activations[1:]):
        z = acts[-1] @ coefs[k] + intercepts[k]
        zs.append(z if act.needs_z else None)
        acts.append(act.xp_forward(ns, c, z))
    return acts, zs


def _data_loss_grad(ns, c, network, flat, X, Y, sw):
    """``(loss, grad)`` of the data term on one batch, as
    :meth:`.network.Network.data_loss_grad` (the loss a 0-d device array)."""
    xp = ns.xp
    coefs, _ = _unpack(ns, network, flat)
    acts, zs = _forward(ns, c, network, flat, X)
    weight = X.shape[0] if sw is None else xp.sum(sw)
    A = acts[-1]
    loss = network.loss.xp_sum(ns, c, A, Y, sw) / weight
    scale = 1.0 / weight
    delta = (A - Y) * scale if sw is None else (A - Y) * (sw * scale)[:, None]
    grads_w, grads_b = [None] * len(coefs), [None] * len(coefs)
    for k in range(len(coefs) - 1, -1, -1):
        grads_w[k] = xp.reshape(acts[k].T @ delta, (-1,))
        grads_b[k] = xp.sum(delta, axis=0)
        if k > 0:
            act = network.layer_activations[k]
            delta = act.xp_backward(ns, delta @ coefs[k].T, acts[k], zs[k])
    return loss, xp.concat(grads_w + grads_b)


def _penalty(ns, network, flat, l2):
    w = flat[: network.n_coef]
    return 0.5 * l2 * ns.xp.sum(w * w)


def xp_predict(ns, network, coefs, intercepts, X):
    """The network's output for ``X`` with the given per-layer arrays.

    Computed in the result dtype of ``X`` and the weights, as
    :meth:`.network.Network.predict` does (float32 input to a float64 model
    gives float64), since namespaces such as torch refuse mixed-dtype
    products.
    """
    xp = ns.xp
    dtype = xp.result_type(X.dtype, coefs[0].dtype)
    if X.dtype != dtype:
        X = xp.astype(X, dtype)
    if coefs[0].dtype != dtype:
        coefs = [xp.astype(W, dtype) for W in coefs]
        intercepts = [xp.astype(b, dtype) for b in intercepts]
    c = _Constants(ns, dtype)
    a = X
    for k, act in enumerate(network.layer_activations[1:]):
        a = act.xp_forward(ns, c, a @ coefs[k] + intercepts[k])
    return a


def copy_array(array):
    """A copy of ``array`` in its namespace, on its device, sharing no
    memory with it.

    Parameters
    ----------
    array : array
        A numpy, torch, CuPy or other array-API array.

    Returns
    -------
    array
        The copy.
    """
    if isinstance(array, np.ndarray):
        return array.copy()
    if hasattr(array, "clone"):  # torch: no __array_namespace__ on tensors
        return array.detach().clone()
    if hasattr(array, "copy"):  # CuPy and other numpy-like arrays
        return array.copy()
    return array.__array_namespace__().asarray(array, copy=True)


def _nonzero(l2):
    """Whether an L2 strength (a float, or a 0-d array: no host sync) is on."""
    return not isinstance(l2, (int, float)) or l2 != 0.0


class XpKernels:
    """The optimizer steps of :mod:`.optimizers` on namespace arrays, in
    place, in the numpy reference's order of operations."""

    name = "xp"

    def __init__(self, ns):
        self.ns = ns

    def sgd_step(self, params, grad, velocity, lr, momentum, nesterov, l2=0.0,
                 n_coef=0, scratch=None):
        if _nonzero(l2):
            grad[:n_coef] += params[:n_coef] * l2
        g = grad * lr
        if momentum:
            velocity *= momentum
            velocity -= g
            if nesterov:
                params -= g
                params += velocity * momentum
            else:
                params += velocity
        else:
            params -= g

    def adam_step(self, params, grad, m, v, b1, b2, step, eps, l2=0.0,
                  n_coef=0, scratch=None):
        if _nonzero(l2):
            grad[:n_coef] += params[:n_coef] * l2
        m *= b1
        m += grad
        v *= b2
        v += grad * grad
        params -= (m / (self.ns.xp.sqrt(v) + eps)) * step


class XpTrainer:
    """The :class:`.trainer.Trainer` of one fit on namespace arrays.

    The optimizer's state moves to the device once; batches are taken from
    the device copy of the data with the visiting order sent once per epoch.
    L-BFGS (scipy, host only) gets the parameters on the host at each
    evaluation: ``n_params`` values each way, the data stays on the device.
    """

    def __init__(self, network, optimizer, capacity, ns):
        check_activations(network)
        self.network, self.optimizer, self.ns = network, optimizer, ns
        self.kernels = XpKernels(ns)
        self._constants = {}
        if optimizer is not None:
            for name in optimizer._arrays:
                state = getattr(optimizer, name)
                if isinstance(state, np.ndarray):
                    setattr(optimizer, name, ns.asarray(state))

    def _c(self, dtype):
        if dtype not in self._constants:
            self._constants[dtype] = _Constants(self.ns, dtype)
        return self._constants[dtype]

    def prepare(self, X, shuffled):
        return X

    def step(self, params, X, Y, sample_weight, l2):
        """One mini-batch step; returns the batch objective (0-d array)."""
        loss, grad = _data_loss_grad(
            self.ns, self._c(params.dtype), self.network, params, X, Y,
            sample_weight,
        )
        if _nonzero(l2):
            loss = loss + _penalty(self.ns, self.network, params, l2)
        self.optimizer.update(params, grad, l2, self.network.n_coef, self.kernels)
        return loss

    def epoch(self, params, X, Y, sample_weight, order, batch_size, l2,
              per_batch=False):
        """As :meth:`.trainer.Trainer.epoch`: zero-weight batches skipped,
        ``alpha / w_b`` per batch and the loss summed over rows with
        ``per_batch``.  The batch weights come
        from a host copy of the sample weights, so the only transfer from
        the device is the epoch's loss."""
        n = X.shape[0]
        order_host = np.arange(n) if order is None else order
        idx = None if order is None else self.ns.asarray(order)
        weights = self._host_weights(sample_weight)
        total = 0.0
        for start in range(0, n, batch_size):
            rows = slice(start, min(start + batch_size, n))
            weight = (rows.stop - rows.start if weights is None
                      else float(weights[order_host[rows]].sum()))
            if weight == 0.0:
                continue  # a batch of zero weight contributes nothing
            X_b, Y_b, sw_b = self._batch(X, Y, sample_weight, idx, rows)
            loss = self.step(params, X_b, Y_b, sw_b, l2 / weight if per_batch else l2)
            total = total + loss * (rows.stop - rows.start if per_batch else weight)
        return float(total)

    def _batch(self, X, Y, sample_weight, idx, rows):
        if idx is None:
            sw = None if sample_weight is None else sample_weight[rows]
            return X[rows, ...], Y[rows, ...], sw
        take = self.ns.xp.take
        sw = None if sample_weight is None else take(sample_weight, idx[rows], axis=0)
        return take(X, idx[rows], axis=0), take(Y, idx[rows], axis=0), sw

    def _host_weights(self, sample_weight):
        """A host copy of the sample weights, made once per fit."""
        if sample_weight is None:
            return None
        if getattr(self, "_weights_source", None) is not sample_weight:
            self._weights_source = sample_weight
            self._weights = self.ns.to_numpy(sample_weight)
        return self._weights

    def objective(self, params, X, Y, sample_weight, l2):
        """The full-batch objective for scipy's L-BFGS-B, on the host."""
        ns, network = self.ns, self.network
        c = self._c(params.dtype)

        def fun(x):
            params[...] = ns.asarray(x, dtype=params.dtype)
            loss, grad = _data_loss_grad(ns, c, network, params, X, Y, sample_weight)
            if l2:
                grad[: network.n_coef] += params[: network.n_coef] * l2
                loss = loss + _penalty(ns, network, params, l2)
            loss = float(loss)
            if not math.isfinite(loss):
                return np.inf, np.zeros(params.shape[0], dtype=np.float64)
            return loss, ns.to_numpy(grad).astype(np.float64)

        return fun

    def finite_loss(self, params, X, Y, sample_weight):
        """Whether the data term of the loss is finite at ``params``."""
        c = self._c(params.dtype)
        acts, _ = _forward(self.ns, c, self.network, params, X)
        loss = self.network.loss.xp_sum(self.ns, c, acts[-1], Y,
                                        sample_weight)
        return self.ns.all_finite(acts[-1]) and math.isfinite(float(loss))

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
        return _unpack(self.ns, self.network, params)
