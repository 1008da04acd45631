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

Beyond scikit-learn's optimizers, every stochastic optimizer takes
options, all off by default (and then not one operation of a step
changes):

* ``weight_decay`` -- decoupled weight decay (AdamW, Loshchilov & Hutter,
  "Decoupled Weight Decay Regularization", ICLR 2019): before each step
  every parameter is multiplied by ``1 - rate * weight_decay``, with a
  ``decay_schedule`` and per-parameter ``decay_factors`` if given;
* ``schedule`` -- a learning-rate factor per step
  (:func:`.schedules.schedule_factor`: cosine, linear, RealMLP's
  multi-cycle ``coslog4``, flat then cosine; a linear ``warmup``);
* ``lr_factors`` -- one learning-rate factor per parameter (a vector over
  the flat buffer, or per-slice factors: :func:`lr_factor_vector`), for
  layers whose learning rate is scaled.  A step with them copies the
  parameters once (the step is scaled after it is taken).

L-BFGS is scipy's L-BFGS-B driven on a float64 copy of the same buffer.
"""

import math

import numpy as np
import scipy.optimize

from .namespace import copy_array
from .schedules import check_schedule, schedule_factor

__all__ = [
    "SGD",
    "Adam",
    "add_l2_gradient",
    "lr_factor_vector",
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


def lr_factor_vector(n_params, factors, dtype=np.float64):
    """A learning-rate factor per parameter of a flat buffer of
    ``n_params``: ``factors`` is such a vector already, or a sequence of
    ``(slice, factor)`` pairs (1 where no slice says otherwise; a later
    pair wins where slices overlap).

    Raises ValueError for a vector of another length, or a factor that is
    negative or not finite.
    """
    if isinstance(factors, np.ndarray) and factors.ndim == 1:
        vector = factors.astype(dtype, copy=True)
    else:
        vector = np.ones(n_params, dtype=dtype)
        for where, factor in factors:
            vector[where] = factor
    if vector.shape != (n_params,):
        raise ValueError(
            f"lr_factors must have one factor per parameter ({n_params}), "
            f"got {vector.shape[0]}."
        )
    if not (np.isfinite(vector).all() and (vector >= 0).all()):
        raise ValueError("lr_factors must be finite and non-negative.")
    return vector


class _Stochastic:
    """Shared schedule/stopping behaviour, and the options beyond
    scikit-learn (see the module and :data:`_Stochastic._options`)."""

    def __init__(self, learning_rate_init, n_params=0, *, weight_decay=0.0,
                 schedule=None, warmup=0.0, decay_schedule=None,
                 lr_factors=None, decay_factors=None):
        self.learning_rate_init = float(learning_rate_init)
        self.learning_rate = float(learning_rate_init)
        self.weight_decay = float(weight_decay)
        check_schedule(schedule, warmup, "learning-rate schedule")
        check_schedule(decay_schedule, 0.0, "weight-decay schedule")
        self.schedule, self.warmup = schedule, float(warmup)
        self.decay_schedule = decay_schedule
        self.horizon = 1  # in steps: set_horizon
        self.schedule_step = 0  # steps taken under a schedule
        self.lr_factors = (None if lr_factors is None
                           else lr_factor_vector(n_params, lr_factors))
        self.decay_factors = (None if decay_factors is None
                              else lr_factor_vector(n_params, decay_factors))

    kind = None
    """The optimizer's name (persisted state, the compiled loops' key)."""

    _options = {"weight_decay": 0.0, "schedule": None, "warmup": 0.0,
                "decay_schedule": None, "horizon": 1, "schedule_step": 0,
                "lr_factors": None, "decay_factors": None}
    """The fields beyond scikit-learn's and their values when off (a state
    saved before they existed lacks them):

    * ``weight_decay`` -- decoupled weight decay
      (:meth:`_decoupled_update`), scaled per step by ``decay_schedule``'s
      factor and per parameter by ``decay_factors`` (RealMLP decays its
      weights on a 'flat_cos' schedule and its biases not at all);
    * ``schedule``, ``warmup`` -- the learning-rate factor of each step
      (:func:`.schedules.schedule_factor`) over ``horizon`` steps
      (:meth:`set_horizon`), ``schedule_step`` the steps taken;
    * ``lr_factors`` -- a learning-rate factor per parameter.
    """

    @property
    def scheduled(self):
        """Whether the learning rate follows a schedule or a warm-up."""
        return self.schedule is not None or self.warmup > 0.0

    @property
    def counts_steps(self):
        """Whether a schedule (of the rate or of the decay) needs the step
        count."""
        return self.scheduled or self.decay_schedule is not None

    @property
    def plain(self):
        """Whether a step is scikit-learn's: no weight decay and no
        per-parameter factors (a schedule only changes a step's scalars)."""
        return not self.weight_decay and self.lr_factors is None

    def set_horizon(self, steps):
        """The number of steps the schedules span (a fit's ``max_iter``
        epochs of batches)."""
        self.horizon = max(int(steps), 1)

    def lr_factor(self, ahead=0):
        """The schedule's factor of the step ``ahead`` steps after the next
        one (1.0 without a schedule)."""
        if not self.scheduled:
            return 1.0
        return schedule_factor(self.schedule, self.schedule_step + ahead,
                               self.horizon, self.warmup)

    def decay_factor(self):
        """The weight-decay schedule's factor of the next step."""
        if self.decay_schedule is None:
            return 1.0
        return schedule_factor(self.decay_schedule, self.schedule_step,
                               self.horizon)

    def _advance_schedule(self, count=1):
        if self.counts_steps:
            self.schedule_step += count

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
        if not self.plain:
            return self._decoupled_update(params, grad, l2, n_coef, kernels,
                                          scratch)
        settings = self.step_settings()
        step = self.numpy_step if kernels is None else kernels.optimizer_step(self)
        step(params, grad, *self.state_arrays(), *settings, l2, n_coef, scratch)

    def _decoupled_update(self, params, grad, l2, n_coef, kernels, scratch):
        """:meth:`update` with weight decay or per-parameter factors.

        The L2 gradient is taken at the weights before the decay; the decay
        multiplies every parameter (weights and intercepts, as AdamW's
        authors and PyTorch's ``AdamW`` do for the parameters given) by
        ``1 - rate * weight_decay``, ``rate`` the step's scheduled learning
        rate without Adam's bias correction (PyTorch's convention), before
        the step -- the step does not read the parameters, so this is the
        paper's ``theta - rate * (u + weight_decay * theta)``.  With
        ``lr_factors`` both the step ``u`` and the decay are scaled per
        parameter: ``theta - f * rate * (u + weight_decay * theta)``; the
        decay also by ``decay_factors`` and the decay schedule's factor.
        """
        factors = self.lr_factors
        per_parameter = _product(factors, self.decay_factors)
        if per_parameter is not None and not isinstance(params, np.ndarray):
            raise NotImplementedError(
                "lr_factors and decay_factors have no array-API version yet; "
                "pass numpy arrays (or leave array_api_dispatch off) to use "
                "them."
            )
        decay = self._base_rate() * self.lr_factor() * (
            self.weight_decay * self.decay_factor())
        settings = self.step_settings()
        if _nonzero(l2):
            add = add_l2_gradient if kernels is None else kernels.add_l2
            add(grad, params, l2, n_coef, scratch)
        if decay:
            if per_parameter is None:
                params *= 1.0 - decay
            else:
                params -= (decay * per_parameter) * params
        before = None if factors is None else params.copy()
        step = self.numpy_step if kernels is None else kernels.optimizer_step(self)
        step(params, grad, *self.state_arrays(), *settings, 0.0, n_coef, scratch)
        if before is not None:  # theta_0 + f * (theta_1 - theta_0)
            params -= before
            params *= factors
            params += before

    def _base_rate(self):
        """The rate the schedule multiplies and the decay follows."""
        return self.learning_rate_init

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
            if name in ("lr_factors", "decay_factors"):
                n_params = getattr(self, self._state_name).shape[0]
                if value is not None:
                    value = lr_factor_vector(n_params, value)
                if not _same_factors(value, current):
                    setattr(self, name, value)
                continue
            if current is not None and value is not None:
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
    state = {**_Stochastic._options, **state}  # saved before the options
    _check_options(kind, state, n_params)
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


def _same_factors(a, b):
    """Whether two optional factor vectors are equal (None: none)."""
    if a is None or b is None:
        return a is b
    return a.shape == b.shape and bool((a == b).all())


def _product(a, b):
    """The product of two optional factor vectors (None: all ones)."""
    if a is None or b is None:
        return b if a is None else a
    return a * b


def _check_options(kind, state, n_params):
    """Raise ValueError for options of a loaded state that no optimizer
    could have."""
    try:
        check_schedule(state["schedule"], state["warmup"])
        check_schedule(state["decay_schedule"])
        for name in ("lr_factors", "decay_factors"):
            factors = state[name]
            if factors is None:
                continue
            if not (isinstance(factors, np.ndarray) and factors.dtype.kind == "f"):
                raise ValueError(f"{name} is not a float vector.")
            lr_factor_vector(n_params or factors.shape[0], factors)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"The {kind} optimizer state is invalid: {exc}") from None


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
    **options
        ``weight_decay`` (float), ``schedule`` and ``decay_schedule``
        (names of :mod:`.schedules` or None), ``warmup`` (a fraction),
        ``lr_factors`` and ``decay_factors`` (vectors or ``(slice,
        factor)`` pairs, :func:`lr_factor_vector`): see
        :data:`_Stochastic._options`; all off by default.

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
    :math:`\eta \le 10^{-6}`.  A ``schedule`` multiplies the rate of
    each step by its factor (on top of these); the weight decay follows
    the scheduled rate, :math:`\theta \leftarrow \theta (1 - \eta f
    \lambda)`.
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
        **options,
    ):
        super().__init__(learning_rate_init, n_params, **options)
        self.lr_schedule = lr_schedule
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)
        self.power_t = float(power_t)
        self.velocity = np.zeros(n_params, dtype=dtype)

    def step_settings(self):
        if not self.counts_steps:
            return self.learning_rate, self.momentum, self.nesterov
        rate = self.learning_rate * self.lr_factor()
        self._advance_schedule()
        return rate, self.momentum, self.nesterov

    def _base_rate(self):
        return self.learning_rate

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
    **options
        ``weight_decay`` (float), ``schedule`` and ``decay_schedule``
        (names of :mod:`.schedules` or None), ``warmup`` (a fraction),
        ``lr_factors`` and ``decay_factors`` (vectors or ``(slice,
        factor)`` pairs, :func:`lr_factor_vector`): see
        :data:`_Stochastic._options`; all off by default.

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

    A ``schedule`` multiplies :math:`\eta_0` by its factor :math:`f` at
    each step; with ``weight_decay`` :math:`\lambda` (AdamW) each step
    first multiplies the parameters by :math:`1 - \eta_0 f \lambda`.
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
        **options,
    ):
        super().__init__(learning_rate_init, n_params, **options)
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
        rate = self.learning_rate_init
        if self.counts_steps:
            rate = rate * self.lr_factor()
            self._advance_schedule()
        self.learning_rate = (
            rate
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
        rate = self.learning_rate_init
        if self.scheduled:  # the schedule's steps go with Adam's
            rate = rate * np.array([self.lr_factor(t - self.t - 1) for t in steps])
        rates = (rate
                 * np.sqrt(1.0 - np.array([b2**t for t in steps]))
                 / (1.0 - np.array([b1**t for t in steps])))
        return rates, rates * (1.0 - b1) / math.sqrt(1.0 - b2)

    def skip_steps(self, count):
        """Advance the step count (and the schedule) past ``count`` steps
        taken elsewhere with the settings of :meth:`rates_and_steps`."""
        self.t += count
        self._advance_schedule(count)

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
        # proved for scikit-learn's step: decay, factors and schedules not
        if (type(self) is not Adam or not b1 * b1 < b2 or not self.plain
                or self.counts_steps):
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
