"""Finite-difference check of the engine's analytic gradient."""

from numbers import Integral, Real

import numpy as np
from scipy.sparse import issparse

from .network import Network

__all__ = ["gradcheck", "numerical_gradient"]


def numerical_gradient(fun, x, eps=1e-3):
    """Fourth-order central finite differences.

    ``g_i = (f(x - 2h e_i) - 8 f(x - h e_i) + 8 f(x + h e_i) - f(x + 2h e_i))
    / 12h``, whose truncation error is ``O(h^4)``: with the default
    ``h = 1e-3`` truncation (~``h^4``) and round-off (~``1e-16 / h``) both
    stay near ``1e-12``, so the check resolves relative errors well below
    ``1e-6``.

    Parameters
    ----------
    fun : callable ``fun(x) -> float``
    x : ndarray of shape (n,), float64
        Point of evaluation (restored on return).
    eps : float, default=1e-3
        Step ``h``.

    Returns
    -------
    ndarray of shape (n,)
    """
    x = np.asarray(x)
    grad = np.empty_like(x, dtype=np.float64)
    for i in range(x.size):
        orig = x[i]
        f = []
        for step in (-2.0, -1.0, 1.0, 2.0):
            x[i] = orig + step * eps
            f.append(fun(x))
        x[i] = orig
        grad[i] = (f[0] - 8.0 * f[1] + 8.0 * f[2] - f[3]) / (12.0 * eps)
    return grad


def gradcheck(
    X,
    Y,
    hidden_layer_sizes=(5,),
    activation="tanh",
    loss="binary_log_loss",
    *,
    alpha=0.0,
    sample_weight=None,
    params=None,
    random_state=0,
    eps=(1e-3, 1e-5),
    atol=1e-6,
    return_gradients=False,
    dropout_mask=None,
    network=None,
):
    """Compare the analytic gradient with finite differences.

    The objective checked is the one the estimators minimise on a batch,

    ``J(theta) = sum_i s_i l_i / S + alpha / (2 S) * sum_k ||W_k||^2``,

    with ``S = sum_i s_i`` (``S = n_samples`` without weights).  With
    ``dropout_mask`` each masked hidden layer's output is
    ``a_k = f_k(z_k) * M_k`` for the given fixed mask ``M_k``: the objective
    of one training step with dropout.

    How to read the number: it is the worst component's relative
    disagreement between the analytic gradient and the finite differences.
    A correct gradient gives about ``1e-7`` or less (networks of a few units,
    any activation and loss), a wrong one ``1e-2`` or more; treat anything
    above ``1e-4`` as a bug.  Each component is compared at every step of
    ``eps`` and keeps its best agreement: a finite difference whose stencil
    straddles a kink of ``relu`` or ``leaky_relu`` (a pre-activation within
    ``2 * eps`` of 0) is wrong at that step but right at a smaller one,
    while a wrong analytic component disagrees at every step.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, n_outputs)
        Targets in the loss's encoding: one-hot rows for ``"log_loss"``,
        0/1 columns for ``"binary_log_loss"``, real values for
        ``"squared_error"``, non-negative values for ``"poisson"``.
    hidden_layer_sizes : int or tuple of int, default=(5,)
    activation : str or sequence of str, default="tanh"
        Any hidden activation of the registry (``identity``, ``logistic``,
        ``tanh``, ``relu``, ``leaky_relu``, ``elu``, ``gelu``, ``softplus``),
        or one per hidden layer.
    loss : str, default="binary_log_loss"
        ``"squared_error"``, ``"log_loss"``, ``"binary_log_loss"`` or
        ``"poisson"``.
    alpha : float, default=0.0
        L2 penalty.
    sample_weight : ndarray of shape (n_samples,), default=None
    params : ndarray of shape (n_params,), default=None
        Flat parameters (sklearn's ``_pack`` layout); Glorot-initialised from
        ``random_state`` when omitted.
    random_state : int, RandomState instance or None, default=0
    eps : float or sequence of float, default=(1e-3, 1e-5)
        Finite-difference steps (fourth-order stencil, see
        :func:`numerical_gradient`); each component is judged at the step
        where it agrees best.  A single float uses that step alone.
    atol : float, default=1e-6
        Floor of the denominator of the relative error, so that components
        whose true value is ~0 are judged by their absolute error.
    return_gradients : bool, default=False
        Also return the analytic and numerical gradients.
    dropout_mask : sequence of (ndarray or None), default=None
        One entry per hidden layer: a fixed dropout mask of shape
        ``(n_samples, units)`` multiplying that layer's output (typically
        ``keep / (1 - p)`` with ``keep`` 0 or 1), or None for no dropout.
    network : Network, default=None
        A float64 network to check instead of the one that
        ``hidden_layer_sizes``, ``activation`` and ``loss`` describe -- one
        built from any layers (:meth:`.network.Network.from_layers`); its
        own loss is used, and its layers are initialised (when ``params``
        is omitted) with ``X`` for the data-dependent inits.

    Returns
    -------
    max_rel_error : float
        ``max_i min_h |g_i - n_i(h)| / max(|g_i|, |n_i(h)|, atol)`` over the
        steps ``h`` of ``eps``.
    analytic, numeric : ndarray, only if ``return_gradients``
        ``numeric`` holds each component at its best step.

    Examples
    --------
    >>> import numpy as np
    >>> from skbackprop import gradcheck
    >>> rng = np.random.RandomState(0)
    >>> X = rng.randn(20, 3)
    >>> Y = (rng.rand(20, 1) > 0.5).astype(float)
    >>> gradcheck(X, Y, (4,), "tanh", "binary_log_loss", alpha=0.1) < 1e-6
    True
    """
    if network is not None:
        loss = network.loss.name
    X, Y, sw = _check_data(X, Y, sample_weight, loss)
    steps = _steps(eps)
    _check_positive(atol=atol)
    if not (_is_number(alpha) and np.isfinite(alpha) and alpha >= 0):
        raise ValueError(f"alpha must be a non-negative number, got {alpha!r}.")
    net = _network(network, X, Y, hidden_layer_sizes, activation, loss)
    if params is None:
        params = net.init_params(_random_state(random_state), X)
    params = np.array(params, dtype=np.float64).ravel()  # our own copy
    if params.size != net.n_params:
        raise ValueError(
            f"params must hold the network's {net.n_params} parameters, got "
            f"{params.size}."
        )
    if not np.isfinite(params).all():
        raise ValueError("params contains NaN or infinity.")
    sw_sum = X.shape[0] if sw is None else sw.sum()
    l2 = alpha / sw_sum
    masks = _fixed_masks(dropout_mask, net, X.shape[0])
    ws = net.workspace(X.shape[0], dropout=[0.0 if m is None else 0.5 for m in masks])
    for buf, m in zip(ws.layers, masks):
        if m is not None:  # written once: no pass overwrites a mask
            buf.mask_store[...] = m
    ws.use_masks(X.shape[0])
    grad = np.empty_like(params)

    def objective(theta):
        scratch = np.empty_like(theta)
        return net.loss_grad(theta, scratch, X, Y, sw, l2, ws)

    net.loss_grad(params, grad, X, Y, sw, l2, ws)
    num, rel = _best_agreement(objective, params, grad, steps, atol)
    err = float(np.max(rel))
    if return_gradients:
        return err, grad, num
    return err


def _network(network, X, Y, hidden_layer_sizes, activation, loss):
    """The network to check: ``network`` if given (float64, and as wide as
    ``X`` and ``Y``), else the one the other arguments describe."""
    if network is None:
        units = [X.shape[1], *_hidden_sizes(hidden_layer_sizes), Y.shape[1]]
        return Network(units, activation, loss, dtype=np.float64)
    if network.dtype != np.float64:
        raise ValueError(f"gradcheck needs a float64 network, got {network.dtype}.")
    units = network.layer_units
    if (X.shape[1], Y.shape[1]) != (units[0], units[-1]):
        raise ValueError(
            f"the network takes {units[0]} features and gives {units[-1]} "
            f"outputs; X has {X.shape[1]} columns and Y {Y.shape[1]}."
        )
    return network


def _best_agreement(objective, params, grad, steps, atol):
    """The numerical gradient and each component's relative error at the
    step (of ``steps``) where it agrees best with ``grad``."""
    num, rel = None, None
    for step in steps:
        at_step = numerical_gradient(objective, params.copy(), eps=step)
        denom = np.maximum(np.maximum(np.abs(grad), np.abs(at_step)), atol)
        rel_at_step = np.abs(grad - at_step) / denom
        if num is None:
            num, rel = at_step, rel_at_step
        else:
            better = rel_at_step < rel
            num[better], rel[better] = at_step[better], rel_at_step[better]
    return num, rel


def _steps(eps):
    """``eps`` as a tuple of positive finite steps (a float is one step)."""
    steps = (eps,) if _is_number(eps) else tuple(np.ravel(np.asarray(eps, object)))
    if not steps:
        raise ValueError("eps must be a positive number or a non-empty "
                         "sequence of them, got an empty sequence.")
    for step in steps:
        _check_positive(eps=step)
    return tuple(float(step) for step in steps)


def _as_float_array(A, name, dims):
    """``A`` as a float64 array with ``ndim`` in ``dims``, finite."""
    if issparse(A):
        raise TypeError(f"gradcheck needs a dense {name}, got a sparse matrix; "
                        f"pass {name}.toarray().")
    A = np.asarray(A, dtype=np.float64)
    if A.ndim not in dims:
        if A.ndim == 1:
            raise ValueError(
                f"Expected 2D array, got 1D array instead for {name}: reshape "
                "it with .reshape(-1, 1) for a single feature."
            )
        raise ValueError(
            f"{name} must be {' or '.join(f'{d}-D' for d in dims)}, got an "
            f"array with dim {A.ndim}."
        )
    if np.isnan(A).any():
        raise ValueError(f"Input {name} contains NaN.")
    if not np.isfinite(A).all():
        raise ValueError(f"Input {name} contains infinity.")
    return A


def _check_data(X, Y, sample_weight, loss):
    """Validated ``(X, Y, sample_weight)`` of :func:`gradcheck` (with the
    wording of scikit-learn's checks)."""
    X = _as_float_array(X, "X", (2,))
    Y = _as_float_array(Y, "Y", (1, 2))
    if Y.ndim == 1:
        Y = Y.reshape(-1, 1)
    if X.shape[0] != Y.shape[0]:
        raise ValueError(
            "Found input variables with inconsistent numbers of samples: "
            f"{[X.shape[0], Y.shape[0]]}"
        )
    if X.shape[0] == 0:
        raise ValueError(
            f"Found array with 0 sample(s) (shape={X.shape}) while a minimum "
            "of 1 is required."
        )
    if loss == "poisson" and (Y < 0).any():
        raise ValueError("Y has negative values, which the poisson loss refuses.")
    _check_encoding(Y, loss)
    if sample_weight is None:
        return X, Y, None
    sw = _as_float_array(sample_weight, "sample_weight", (1,))
    if sw.shape != (X.shape[0],):
        raise ValueError(
            f"sample_weight.shape == {sw.shape}, expected ({X.shape[0]},)!"
        )
    if (sw < 0).any():
        raise ValueError("Negative values in data passed to sample_weight.")
    if not sw.any():
        raise ValueError("Sample weights must contain at least one non-zero number.")
    return X, Y, sw


def _is_number(value):
    return isinstance(value, Real) and not isinstance(value, (bool, np.bool_))


def _check_positive(**values):
    for name, value in values.items():
        if not (_is_number(value) and np.isfinite(value) and value > 0):
            raise ValueError(f"{name} must be a positive number, got {value!r}.")


def _hidden_sizes(hidden_layer_sizes):
    """The hidden layer sizes as a list: an int is one layer, as for the
    estimators; each size a positive integer (not a float, not a bool)."""
    sizes = hidden_layer_sizes
    if isinstance(sizes, Integral):
        sizes = [sizes]
    try:
        sizes = list(sizes)
    except TypeError:
        sizes = None
    if sizes is None or not all(
        isinstance(h, Integral) and not isinstance(h, (bool, np.bool_)) and h > 0
        for h in sizes
    ):
        raise ValueError(
            "hidden_layer_sizes must be a positive int or a sequence of "
            f"positive ints, got {hidden_layer_sizes!r}."
        )
    return [int(h) for h in sizes]


def _random_state(random_state):
    if isinstance(random_state, np.random.RandomState):
        return random_state
    if random_state is None or (isinstance(random_state, Integral)
                                and not isinstance(random_state, bool)):
        return np.random.RandomState(random_state)
    raise ValueError(
        "random_state must be an int, a numpy RandomState or None, got "
        f"{random_state!r}."
    )


def _check_encoding(Y, loss):
    """The log losses' fused output delta ``a - y`` is their gradient only
    for targets in their encoding: refuse others rather than report a
    gradient error."""
    if loss not in ("log_loss", "binary_log_loss"):
        return
    if ((Y < 0) | (Y > 1)).any():
        raise ValueError(f"Y must hold values in [0, 1] for {loss!r}.")
    if loss == "log_loss" and (
        Y.shape[1] < 2 or not np.allclose(Y.sum(axis=1), 1.0)
    ):
        raise ValueError(
            "Y must be one-hot (or probability) rows summing to 1, with a "
            "column per class, for 'log_loss'; use 'binary_log_loss' for 0/1 "
            "columns."
        )


def _fixed_masks(dropout_mask, net, n):
    """``dropout_mask`` checked: one float64 array (or None) per hidden
    layer, of shape ``(n, units)``."""
    hidden = net.layer_units[1:-1]
    if dropout_mask is None:
        return [None] * len(hidden)
    masks = list(dropout_mask)
    if len(masks) != len(hidden):
        raise ValueError(
            f"dropout_mask has {len(masks)} entries for {len(hidden)} hidden "
            "layers (give None for a layer without dropout)."
        )
    out = []
    for k, (m, units) in enumerate(zip(masks, hidden), start=1):
        if m is not None:
            m = np.asarray(m, dtype=np.float64)
            if m.shape != (n, units):
                raise ValueError(
                    f"dropout_mask[{k - 1}] has shape {m.shape}; expected "
                    f"{(n, units)} (samples, units of hidden layer {k})."
                )
        out.append(m)
    return out
