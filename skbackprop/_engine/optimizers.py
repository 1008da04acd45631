r"""Optimizers that update the flat parameter buffer in place.

Stochastic optimizers hold their state (velocity, moments) as flat arrays of
the parameters' shape and dtype, and their schedule (learning rate, step
count).  Each optimizer is one class holding its whole definition: its
schedule, its state, the constants of a step (computed once per step, by
:meth:`_Stochastic.step_settings`) and the step's arithmetic on each
backend, side by side -- ``numpy_step`` (the reference, in place) and
``array_api_step`` (the same order of operations on any array-API
namespace).  The kernels (:mod:`.kernels`) choose which one runs; the
compiled loops (:mod:`._numba_kernels`) are the one special case, checked
bit for bit against ``numpy_step``.  A step consumes
the gradient: once the state has absorbed it, the gradient buffer is the
scratch space of the rest of the step, so a step allocates nothing and keeps
no scratch array of its own.  Their semantics (learning-rate schedules,
stopping rules, Adam's bias correction folded into the step size) follow
scikit-learn's ``SGDOptimizer`` and ``AdamOptimizer``.

L-BFGS is scipy's L-BFGS-B driven on a float64 copy of the same buffer.
"""

import math

import numpy as np
import scipy.optimize

from .namespace import copy_array

__all__ = [
    "SGD",
    "Adam",
    "add_l2_gradient",
    "minimize_lbfgs",
    "optimizer_from_state",
]

L2_BLOCK = 1 << 14
"""Fewest elements per block of the blocked L2 gradient."""


def add_l2_gradient(grad, params, l2, n_coef, scratch=None):
    """``grad[:n_coef] += l2 * params[:n_coef]`` (the weights come first in
    the flat layout) through ``scratch``.

    Block by block, so no parameter-sized temporary is made; blocks as large
    as the scratch allows, since each costs two ufunc calls.
    """
    if scratch is None:
        scratch = np.empty(min(n_coef, L2_BLOCK), dtype=params.dtype)
    step = max(scratch.size, 1)
    for start in range(0, n_coef, step):
        stop = min(start + step, n_coef)
        tmp = scratch[: stop - start]
        np.multiply(params[start:stop], l2, out=tmp)
        grad[start:stop] += tmp


def _nonzero(l2):
    """Whether an L2 strength (a float, or a 0-d device array: no host
    sync) is on."""
    return not isinstance(l2, (int, float)) or l2 != 0.0


class _Stochastic:
    """Shared schedule/stopping behaviour."""

    def __init__(self, learning_rate_init):
        self.learning_rate_init = float(learning_rate_init)
        self.learning_rate = float(learning_rate_init)

    kind = None
    """The optimizer's name (persisted state, the compiled loops' key)."""

    def update(self, params, grad, l2=0.0, n_coef=0, kernels=None,
               scratch=None):
        """One step on ``grad + l2 * W``: update ``params`` in place.

        Parameters
        ----------
        params : ndarray of shape (n_params,)
        grad : ndarray of shape (n_params,)
            Gradient of the data term; overwritten (used as scratch).
        l2 : float, default=0.0
            L2 strength: ``l2 * params[:n_coef]`` is added to the gradient
            (the weights come first in the flat layout).
        n_coef : int, default=0
        kernels : kernels object, default=None
            Who does the arithmetic (:mod:`.kernels`); None: the numpy
            reference of this module.
        scratch : ndarray, optional
            Free memory the numpy kernels may use for the L2 term.
        """
        settings = self.step_settings()
        step = self.numpy_step if kernels is None else kernels.optimizer_step(self)
        step(params, grad, *self.state_arrays(), *settings, l2, n_coef, scratch)

    def travel_bound(self, steps, grad_limit):
        """An upper bound of how far any parameter moves in the next
        ``steps`` steps with gradients below ``grad_limit``: ``inf`` here
        (none; SGD's steps grow with the gradient), see
        :meth:`Adam.travel_bound`."""
        return math.inf

    def state_arrays(self):
        """The state arrays a step updates, in the step's argument order."""
        return [getattr(self, name) for name in self._arrays]

    def step_settings(self):
        """The scalars of the next step, in the step's argument order
        (computed once per step; Adam advances its step count here)."""
        raise NotImplementedError

    def fits(self, params):
        """Whether this optimizer's state is for a buffer like ``params``."""
        state = getattr(self, self._state_name)
        return state.shape == params.shape and state.dtype == params.dtype

    def copy_state(self, copy=np.copy):
        """A copy of the state, for :meth:`set_state`; ``copy`` copies its
        arrays (numpy's, or another namespace's)."""
        state = dict(vars(self))
        for name in self._arrays:
            state[name] = copy(state[name])
        return state

    def set_state(self, state):
        """Put back a state from :meth:`copy_state`."""
        vars(self).clear()
        vars(self).update(state)

    def copy_state_into(self, state):
        """Copy the state into ``state`` (from :meth:`copy_state`), into its
        arrays: a checkpoint taken every epoch allocates nothing."""
        _assign(state, vars(self), self._arrays)

    def assign_state(self, state):
        """Put back a state from :meth:`copy_state` by copying it into this
        optimizer's own arrays (those in use stay those in use)."""
        _assign(vars(self), state, self._arrays)

    def __sklearn_array_api_convert__(self, converter):
        """A copy whose state arrays ``converter(array)`` moved, sharing no
        memory with this one's (the hook of scikit-learn's
        ``move_estimator_to``, called by the estimator's own hook)."""
        # move_to returns an array already in place unchanged, and a DLPack
        # transfer on the same host shares the buffer: training either
        # optimizer would then step the other's moments
        twin = type(self).__new__(type(self))
        twin.set_state(self.copy_state(lambda a: copy_array(converter(a))))
        return twin

    def configure(self, **settings):
        """Adopt changed hyperparameters in place, keeping the state
        (velocity, moments, step count): ``settings`` are constructor
        arguments.  A changed ``learning_rate_init`` (or SGD schedule)
        restarts the learning rate from it, as a new optimizer would."""
        restart = False
        for name, value in settings.items():
            current = getattr(self, name)
            value = type(current)(value)
            if value != current:
                setattr(self, name, value)
                restart = restart or name in self._restarts
        if restart:
            self.learning_rate = self.learning_rate_init

    def iteration_ends(self, time_step):
        """Hook called at the end of an epoch with the samples seen so far."""

    def trigger_stopping(self, msg, verbose):
        """Decide whether a stall stops training (True) or is handled."""
        if verbose:
            print(msg + " Stopping.")
        return True

    def get_state(self):
        """The optimizer as a dict of strings, numbers and arrays.

        Persisted models store this instead of the object, so that loading
        them (e.g. with ``skops.io``) needs to trust no optimizer class.
        """
        state = dict(vars(self))
        state["kind"] = self.kind
        return state


def _assign(target, source, arrays):
    """``target[k] = source[k]`` for every key, the ``arrays`` copied into
    ``target``'s own arrays."""
    for name, value in source.items():
        if name in arrays:
            target[name][...] = value
        else:
            target[name] = value


def optimizer_from_state(state, n_params=None):
    """Rebuild an optimizer from :meth:`_Stochastic.get_state`'s dict.

    Raises ValueError (naming the optimizer state) for an unknown kind, a
    missing field, or state arrays that are not float vectors of
    ``n_params`` elements (when given).
    """
    state = dict(state)
    kind = state.pop("kind", None)
    cls = _KINDS.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise ValueError(
            f"Unknown optimizer kind {kind!r} in the optimizer state; "
            f"expected one of {sorted(_KINDS)}."
        )
    missing = [name for name in cls._fields if name not in state]
    if missing:
        raise ValueError(f"The {kind} optimizer state lacks {missing}.")
    for name in cls._arrays:
        a = state[name]
        if not (isinstance(a, np.ndarray) and a.dtype.kind == "f" and a.ndim == 1
                and (n_params is None or a.shape == (n_params,))):
            raise ValueError(
                f"The {kind} optimizer state's {name!r} is not a float vector "
                f"of {n_params} parameters: {type(a).__name__} "
                f"{getattr(a, 'dtype', '')} {getattr(a, 'shape', '')}."
            )
    opt = cls.__new__(cls)
    vars(opt).update(state)
    return opt


class SGD(_Stochastic):
    r"""Stochastic gradient descent with momentum or Nesterov momentum.

    Parameters
    ----------
    n_params : int
    dtype : numpy dtype
    learning_rate_init : float, default=0.1
    lr_schedule : {'constant', 'invscaling', 'adaptive'}, default='constant'
    momentum : float, default=0.9
    nesterov : bool, default=True
    power_t : float, default=0.5

    Notes
    -----
    With learning rate :math:`\eta`, momentum :math:`\mu` and gradient
    :math:`g`:

    .. math::

        v \leftarrow \mu v - \eta g, \qquad
        \theta \leftarrow \theta + v \quad\text{(classical)}, \qquad
        \theta \leftarrow \theta + \mu v - \eta g \quad\text{(Nesterov)}.

    ``'invscaling'`` sets :math:`\eta = \eta_0 / (t + 1)^{p}` after each
    epoch, ``t`` being the number of samples seen; ``'adaptive'`` divides
    :math:`\eta` by 5 whenever training stalls, and stops once
    :math:`\eta \le 10^{-6}`.
    """

    kind = "SGD"
    _state_name = "velocity"  # a state array shaped like the parameters
    _arrays = ("velocity",)
    _fields = ("learning_rate_init", "learning_rate", "lr_schedule", "momentum",
               "nesterov", "power_t", *_arrays)
    _restarts = ("learning_rate_init", "lr_schedule", "power_t")

    def __init__(
        self,
        n_params,
        dtype,
        learning_rate_init=0.1,
        lr_schedule="constant",
        momentum=0.9,
        nesterov=True,
        power_t=0.5,
    ):
        super().__init__(learning_rate_init)
        self.lr_schedule = lr_schedule
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)
        self.power_t = float(power_t)
        self.velocity = np.zeros(n_params, dtype=dtype)

    def step_settings(self):
        return self.learning_rate, self.momentum, self.nesterov

    @staticmethod
    def numpy_step(params, grad, velocity, lr, momentum, nesterov, l2=0.0,
                   n_coef=0, scratch=None):
        """The step on ``grad + l2 * W`` in place; ``grad`` holds the data
        term's gradient and is consumed as scratch."""
        if l2:
            add_l2_gradient(grad, params, l2, n_coef, scratch)
        grad *= lr  # eta * g
        if momentum:
            velocity *= momentum
            velocity -= grad
            if nesterov:
                params -= grad
                np.multiply(velocity, momentum, out=grad)
                params += grad
            else:
                params += velocity
        else:
            params -= grad

    @staticmethod
    def array_api_step(xp, params, grad, velocity, lr, momentum, nesterov, l2=0.0,
                       n_coef=0, scratch=None):
        """:meth:`numpy_step` on arrays of the namespace ``xp`` (no
        ``out=``: a temporary for ``eta * g``)."""
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

    def iteration_ends(self, time_step):
        if self.lr_schedule == "invscaling":
            try:
                scale = (time_step + 1) ** self.power_t
            except OverflowError:  # a huge power_t: the rate is 0
                scale = math.inf
            self.learning_rate = self.learning_rate_init / scale

    def trigger_stopping(self, msg, verbose):
        if self.lr_schedule != "adaptive":
            return super().trigger_stopping(msg, verbose)
        if self.learning_rate <= 1e-6:
            if verbose:
                print(msg + " Learning rate too small. Stopping.")
            return True
        self.learning_rate /= 5.0
        if verbose:
            print(msg + " Setting learning rate to %f" % self.learning_rate)
        return False


class Adam(_Stochastic):
    r"""Adam (Kingma & Ba, 2014).

    Parameters
    ----------
    n_params : int
    dtype : numpy dtype
    learning_rate_init : float, default=0.001
    beta_1, beta_2 : float, default=0.9, 0.999
    epsilon : float, default=1e-8

    Notes
    -----
    .. math::

        m &\leftarrow \beta_1 m + (1 - \beta_1) g, \qquad
        v \leftarrow \beta_2 v + (1 - \beta_2) g^2, \\
        \eta_t &= \eta_0 \sqrt{1 - \beta_2^t} / (1 - \beta_1^t), \qquad
        \theta \leftarrow \theta - \eta_t\, m / (\sqrt{v} + \epsilon).

    The moments are stored scaled, :math:`m' = m / (1 - \beta_1)` and
    :math:`v' = v / (1 - \beta_2)`, so that they update without temporaries
    (:math:`m' \leftarrow \beta_1 m' + g`, :math:`v' \leftarrow \beta_2 v'
    + g^2`) and the constants fold into the step:
    :math:`\theta \leftarrow \theta - \eta_t' m' / (\sqrt{v'} + \epsilon')`
    with :math:`\eta_t' = \eta_t (1 - \beta_1) / \sqrt{1 - \beta_2}` and
    :math:`\epsilon' = \epsilon / \sqrt{1 - \beta_2}` -- ten passes over
    the parameters instead of twelve, the same step up to rounding.
    """

    kind = "Adam"
    _state_name = "m"  # a state array shaped like the parameters
    _arrays = ("m", "v")
    _fields = ("learning_rate_init", "learning_rate", "beta_1", "beta_2",
               "epsilon", "t", *_arrays)
    _restarts = ()  # the rate is recomputed from learning_rate_init each step

    def __init__(
        self,
        n_params,
        dtype,
        learning_rate_init=0.001,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
    ):
        super().__init__(learning_rate_init)
        self.beta_1 = float(beta_1)
        self.beta_2 = float(beta_2)
        self.epsilon = float(epsilon)
        self.t = 0
        self.m = np.zeros(n_params, dtype=dtype)  # m / (1 - beta_1)
        self.v = np.zeros(n_params, dtype=dtype)  # v / (1 - beta_2)

    def step_settings(self):
        """Advance the step count; ``(beta_1, beta_2, step, eps)`` of the
        step on the scaled moments, with the bias corrections folded into
        ``step`` and ``eps`` (see the notes above)."""
        b1, b2 = self.beta_1, self.beta_2
        self.t += 1
        self.learning_rate = (
            self.learning_rate_init
            * math.sqrt(1.0 - b2**self.t)
            / (1.0 - b1**self.t)
        )
        root = math.sqrt(1.0 - b2)
        return b1, b2, self.learning_rate * (1.0 - b1) / root, self.epsilon / root

    def rates_and_steps(self, first, count):
        """The learning rates and step sizes that :meth:`step_settings`
        gives for the steps ``first`` to ``first + count - 1``, at once and
        without taking them: the same operations on arrays, so the same
        bits (the powers are Python's, which numpy's vectorised ``power``
        does not always round alike).  For a loop that takes many steps in
        one call."""
        b1, b2 = self.beta_1, self.beta_2
        steps = range(first, first + count)
        rates = (self.learning_rate_init
                 * np.sqrt(1.0 - np.array([b2**t for t in steps]))
                 / (1.0 - np.array([b1**t for t in steps])))
        return rates, rates * (1.0 - b1) / math.sqrt(1.0 - b2)

    def travel_bound(self, steps, grad_limit):
        r"""An upper bound of how far any parameter moves in the next
        ``steps`` steps, whatever gradients (with L2 term) below
        ``grad_limit`` in absolute value they get; ``inf`` when there is
        none or the moments could overflow.

        A step moves a parameter by ``step_t |m'| / (sqrt(v') + eps')``
        (scaled moments, see the notes above).  With :math:`\beta_1^2 <
        \beta_2`, Cauchy-Schwarz bounds the coming gradients' part of
        that ratio by :math:`C = (1 - \beta_1^2 / \beta_2)^{-1/2}` and the
        decaying part of the current moments by their current ratio ``R``,
        so each coming step moves a parameter by at most ``step_t (R +
        C)``; the bound doubles that for rounding.  The scaled moments grow
        by at most ``grad_limit`` (``grad_limit ** 2``) a step.  Proved for
        this class's step only: a subclass gets ``inf`` until it proves its
        own.
        """
        b1, b2 = self.beta_1, self.beta_2
        if type(self) is not Adam or not b1 * b1 < b2:
            return math.inf
        eps = self.epsilon / math.sqrt(1.0 - b2)
        largest = np.zeros(3)  # max |m'|, max v', max |m'| / (sqrt(v') + eps')
        for start in range(0, self.m.shape[0], L2_BLOCK):  # no big temporary
            m = np.abs(self.m[start:start + L2_BLOCK], dtype=np.float64)
            v = self.v[start:start + L2_BLOCK].astype(np.float64)
            block = [m.max(initial=0.0), v.max(initial=0.0)]
            np.sqrt(v, out=v)
            v += eps
            block.append((m / v).max(initial=0.0))
            np.fmax(largest, block, out=largest)
            if not np.isfinite(block).all():  # fmax would hide a NaN
                return math.inf
        big = float(np.finfo(self.m.dtype).max)
        largest_m, largest_v, ratio = largest.tolist()
        if not (largest_v + steps * (grad_limit * grad_limit) < 0.5 * big
                and largest_m + steps * grad_limit < 0.5 * big):
            return math.inf
        ratio += 1.0 / math.sqrt(1.0 - b1 * b1 / b2)
        return 2.0 * ratio * float(self.rates_and_steps(self.t + 1, steps)[1].sum())

    @staticmethod
    def numpy_step(params, grad, m, v, b1, b2, step, eps, l2=0.0, n_coef=0,
                   scratch=None):
        """The step on ``grad + l2 * W`` in place; ``grad`` is consumed as
        scratch once the moments have absorbed it."""
        if l2:
            add_l2_gradient(grad, params, l2, n_coef, scratch)
        m *= b1
        m += grad
        v *= b2
        np.square(grad, out=grad)
        v += grad
        np.sqrt(v, out=grad)
        grad += eps
        np.divide(m, grad, out=grad)
        grad *= step
        params -= grad

    @staticmethod
    def array_api_step(xp, params, grad, m, v, b1, b2, step, eps, l2=0.0,
                       n_coef=0, scratch=None):
        """:meth:`numpy_step` on arrays of the namespace ``xp``, in its
        order of operations."""
        if _nonzero(l2):
            grad[:n_coef] += params[:n_coef] * l2
        m *= b1
        m += grad
        v *= b2
        v += grad * grad
        params -= (m / (xp.sqrt(v) + eps)) * step


def minimize_lbfgs(fun, x0, *, max_iter, max_fun, tol, callback=None):
    """Minimise ``fun`` (returning ``(loss, grad)``) with scipy's L-BFGS-B.

    Returns scipy's ``OptimizeResult``.  ``tol`` is the projected-gradient
    tolerance ``gtol``; ``max_iter`` and ``max_fun`` bound the iterations and
    the function evaluations.
    """
    # verbose output is printed by the caller's callback: scipy >= 1.15
    # deprecates L-BFGS-B's own ``iprint``/``disp``
    options = {"maxfun": int(max_fun), "maxiter": int(max_iter), "gtol": float(tol)}
    return scipy.optimize.minimize(
        fun,
        np.asarray(x0, dtype=np.float64),
        method="L-BFGS-B",
        jac=True,
        options=options,
        callback=callback,
    )


_KINDS = {"SGD": SGD, "Adam": Adam}
