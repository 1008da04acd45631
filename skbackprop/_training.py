"""The training loop of the estimators.

:func:`fit_stochastic` runs the epochs of 'sgd' and 'adam', :func:`fit_lbfgs`
drives scipy's L-BFGS-B (:func:`run_lbfgs` takes any objective).  A fit
reads its settings from a :class:`~skbackprop._fit_state.FitConfig` and
keeps what it did in a :class:`~skbackprop._fit_state.TrainingRecord`,
published as the estimator's fitted attributes (``loss_curve_``,
``n_iter_``, ``t_``, ...) as it goes, so callbacks and ``verbose`` see them
live.  After each epoch the stopping rules of
:mod:`skbackprop._stopping_rules` decide whether to go on.  The arithmetic
of a step is the engine's (:func:`skbackprop._engine.make_trainer`):
nothing here knows which kernels run.

Failures are atomic at two levels.  :func:`snapshot_state` /
:func:`restore_state` copy the estimator's fitted state before a fit and put
the copy back if the fit raises.  Within a fit, an :class:`EpochCheckpoint`
copies the state an epoch changes (weights, optimizer, the record) before an
epoch that might diverge, and restores it when the epoch does, so the model
left behind is wholly the previous epoch's; an epoch that provably cannot
diverge gets no copy of the weights and the optimizer.  Ctrl-C takes effect
at the end of the running batch, so the model it leaves is that of one
completed batch, weights and optimizer together (see
:meth:`_EpochRun.interrupted`).
"""

import copy
from dataclasses import dataclass

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from ._array_api import host_dtype, to_host
from ._callbacks import reconstruction_attributes
from ._engine import (
    batch_plan,
    make_trainer,
    minimize_lbfgs,
    schedule_factor,
    smooth_targets,
)
from ._fit_state import (
    STOCHASTIC_SOLVERS,
    L2Penalty,
    TrainingRecord,
    makes_validation_split,
)
from ._params_beyond_sklearn import dropout_seed
from ._stopping_rules import SKLEARN_NON_FINITE, EpochEnd, stopping_rules
from ._warnings import warn

__all__ = [
    "SKLEARN_NON_FINITE",
    "STOCHASTIC_SOLVERS",
    "EpochCheckpoint",
    "fit_lbfgs",
    "fit_stochastic",
    "makes_validation_split",
    "restore_state",
    "run_lbfgs",
    "smoothed_targets",
    "snapshot_state",
    "train",
]

# private attributes that are part of the fitted state (besides the public
# ones, which end with an underscore)
_PRIVATE_STATE = ("_label_binarizer", "_optimizer", "_no_improvement_count",
                  "_validation_scoring")


# ----------------------------------------------------------------------
# whole-fit rollback
def snapshot_state(est):
    """A copy of ``est``'s fitted state, for :func:`restore_state`.

    Fitted attributes (and the private training state) are deep-copied, so
    the snapshot holds whatever a failed fit edits in place; parameters and
    callback objects are shared (a fit never changes them).
    """
    fitted = {
        k: v for k, v in vars(est).items()
        if k.endswith("_") and not k.startswith("__") or k in _PRIVATE_STATE
    }
    others = {k: v for k, v in vars(est).items() if k not in fitted}
    return others, copy.deepcopy(fitted)


def restore_state(est, snapshot):
    """Put back the state saved by :func:`snapshot_state`."""
    others, fitted = snapshot
    vars(est).clear()
    vars(est).update(others)
    vars(est).update(fitted)


class EpochCheckpoint:
    """The state an epoch changes, copied before it (:meth:`capture`), to
    roll back an epoch that diverges (:meth:`restore`).  A checkpoint
    copies into the arrays of its previous capture, so a fit's checkpoint
    allocates no array after its first epoch; an epoch that cannot diverge
    (:meth:`~skbackprop._engine.trainer.Trainer.epoch_can_diverge`) gets no
    copy of the weights and the optimizer, and the arrays are let go."""

    def __init__(self):
        self.flat = self.optimizer = self.record = None

    @property
    def holds_weights(self):
        """Whether the weights and the optimizer were copied."""
        return self.flat is not None

    def capture(self, record, flat, trainer, weights=True):
        """Copy the state before an epoch (the whole record; with
        ``weights``, the weights and the optimizer's state); returns the
        checkpoint."""
        if not weights:
            self.flat = self.optimizer = None
        elif self.flat is None:
            self.flat = trainer.copy(flat)
            self.optimizer = trainer.optimizer.copy_state(trainer.copy)
        else:
            self.flat[...] = flat
            trainer.optimizer.copy_state_into(self.optimizer)
        self.record = record.copy()
        return self

    def restore(self, record, flat, trainer):
        """Record, weights and optimizer back to the checkpoint (copied
        into the objects in use: ``flat``'s views are the estimator's
        ``coefs_``, and the checkpoint keeps its own copies)."""
        flat[...] = self.flat
        trainer.optimizer.assign_state(self.optimizer)
        vars(record).update(vars(self.record.copy()))


# ----------------------------------------------------------------------
# pieces of a stochastic fit
def continuing_optimizer(config, optimizer, flat):
    """The optimizer of a stochastic fit: ``partial_fit`` continues with
    the estimator's ``optimizer`` (if it is of the solver's kind and fits
    the parameters), with the current settings (changed ones take effect,
    the moments are kept); every other fit starts a new one."""
    cls, settings = config.optimizer_class, config.optimizer_settings
    if not config.incremental or type(optimizer) is not cls or not optimizer.fits(flat):
        return cls(flat.shape[0], host_dtype(flat), **settings)
    if not all(a.flags.writeable for a in vars(optimizer).values()
               if isinstance(a, np.ndarray)):
        optimizer.set_state(optimizer.copy_state())  # e.g. loaded with mmap_mode="r"
    optimizer.configure(**settings)
    return optimizer


def _split(arrays, config, random_state, stratify):
    # a RandomState draws on: a retry must start from the same state
    state = random_state.get_state() if hasattr(random_state, "get_state") else None
    try:
        return train_test_split(
            *arrays, random_state=random_state,
            test_size=config.validation_fraction, stratify=stratify,
        )
    except ValueError:
        if state is not None:
            random_state.set_state(state)
        raise


def validation_split(config, X, Y, sample_weight, random_state, decode):
    """``(train, validation)`` triples ``(X, Y, sample_weight)``; the
    validation triple (its targets decoded by ``decode``) is None without
    early stopping.  Stratified as ``config.stratify`` says: a multiclass
    split that cannot be stratified (a class of one sample, fewer
    validation rows than classes) is made as sklearn makes it,
    unstratified, so that every fit sklearn makes works here too.
    """
    if not config.validates:
        return (X, Y, sample_weight), None
    stratify = None if config.stratify == "no" else Y
    arrays = [X, Y] if sample_weight is None else [X, Y, sample_weight]
    try:
        try:
            split = _split(arrays, config, random_state, stratify)
        except ValueError:
            if stratify is None or config.stratify != "labels-else-no":
                raise
            split = _split(arrays, config, random_state, None)
    except ValueError as exc:
        raise ValueError(
            f"Cannot make the early-stopping validation split "
            f"(validation_fraction={config.validation_fraction}) from "
            f"{X.shape[0]} samples: {exc}"
        ) from exc
    X_train, X_val, Y_train, Y_val = split[:4]
    sw_train, sw_val = (None, None) if sample_weight is None else split[4:]
    if X_val.shape[0] < 2:
        raise ValueError(
            "The validation set is too small. Increase "
            "'validation_fraction' or the size of your dataset."
        )
    _check_split_weights(sw_train, sw_val, X_val.shape[0])
    return (X_train, Y_train, sw_train), (X_val, decode(Y_val), sw_val)


def _check_split_weights(sw_train, sw_val, n_val):
    """Zero-weight parts of the early-stopping split: an error for the
    training part; for the validation part, no score (NaN), with a
    warning."""
    if sw_train is None:
        return
    sw_train, sw_val = to_host(sw_train), to_host(sw_val)
    if not sw_train.any():
        raise ValueError(
            "Every sample of the training part of the early-stopping split "
            "has zero weight (the non-zero weights all fell in the validation "
            "part). Use early_stopping=False or give more samples a weight."
        )
    if not sw_val.any():
        warn(
            f"Every sample of the early-stopping validation split ({n_val} "
            "samples) has zero weight: it gives no validation score (NaN), so "
            "training stops only at max_iter. Increase validation_fraction or "
            "use early_stopping=False.",
            ConvergenceWarning,
            module=__name__,
        )


def smoothed_targets(config, network, data):
    """The training triple ``data`` with its class indicators smoothed by
    ``config.label_smoothing`` (:func:`~skbackprop._engine.smooth_targets`;
    as given without it)."""
    if not config.label_smoothing:
        return data
    X, Y, sw = data
    return X, smooth_targets(network.loss, Y, config.label_smoothing,
                             network.dtype), sw


def batch_size_for(batch_size, n_samples):
    """The mini-batch size: 'auto' is ``min(200, n_samples)``; larger than
    the data is clipped with a warning (as sklearn)."""
    if batch_size == "auto":
        return min(200, n_samples)
    if batch_size > n_samples:
        warn(
            "Got `batch_size` less than 1 or larger than "
            "sample size. It is going to be clipped",
            module=__name__,
        )
    return int(np.clip(batch_size, 1, n_samples))


class BatchPlan:
    """The order in which each epoch visits the training rows.

    With ``shuffle``, each epoch permutes the previous epoch's order with
    the draw of ``sklearn.utils.shuffle`` (so the same seed gives sklearn's
    batches) without its input validation; otherwise rows go as stored.
    """

    def __init__(self, n_samples, shuffle, random_state):
        self.order = np.arange(n_samples) if shuffle else None
        self.random_state = random_state

    def next_epoch(self):
        """The visiting order of the next epoch (None: as stored)."""
        if self.order is not None:
            perm = np.arange(self.order.size)
            self.random_state.shuffle(perm)
            self.order = self.order[perm]
        return self.order


def rows_trained(sample_weight, order, batch_size, n_samples):
    """The rows of the batches an epoch trains on: all but those of batches
    of weight zero, which are no step (the engine's batch rule)."""
    if sample_weight is None:
        return n_samples
    plan = batch_plan(n_samples, batch_size, to_host(sample_weight), order,
                      0.0, False)
    return int((plan["stop"] - plan["start"]).sum())


# ----------------------------------------------------------------------
# the stochastic solvers
@dataclass(frozen=True)
class FitHooks:
    """What a fit tells and asks the estimator.

    Attributes
    ----------
    tasks : FitTasks
        The callback tasks of the fit.
    publish : callable
        ``publish(record)`` writes a :class:`TrainingRecord` as the
        estimator's fitted attributes.
    validation_score : callable
        ``validation_score(X, y, sample_weight)``: early stopping's score.
    decode : callable
        ``decode(Y)``: encoded targets back to labels.
    """

    tasks: object
    publish: object
    validation_score: object
    decode: object


def train(est, config, network, flat, data, random_state, tasks, ns=None,
          objective=None):
    """Train ``est``'s parameters ``flat`` with ``config.solver``.

    The estimator is read and written through its record
    (:meth:`TrainingRecord.of`, :meth:`TrainingRecord.publish`), its
    optimizer (``_optimizer``), its early-stopping score and its label
    decoding; the arguments are :func:`fit_stochastic`'s, and
    ``objective`` :func:`fit_lbfgs`'s.  A stochastic fit returns whether
    Ctrl-C ended it (:meth:`_EpochRun.epochs`).
    """
    record = TrainingRecord.of(est)
    hooks = FitHooks(tasks, lambda r: r.publish(est), est._validation_score,
                     est._decode)
    with np.errstate(all="ignore"):
        if config.solver not in STOCHASTIC_SOLVERS:
            return fit_lbfgs(config, record, network, flat, data, hooks, ns,
                             objective)
        est._optimizer = continuing_optimizer(
            config, getattr(est, "_optimizer", None), flat)
        return fit_stochastic(config, record, network, flat, data,
                              est._optimizer, random_state, hooks, ns)


def fit_stochastic(config, record, network, flat, data, optimizer, random_state,
                   hooks, ns=None):
    """Train ``flat`` (whose views are the estimator's ``coefs_`` and
    ``intercepts_``) with sgd or adam: all epochs of a fit, or one epoch of
    ``partial_fit``.

    Parameters
    ----------
    config : FitConfig
    record : TrainingRecord
        Updated as training goes, and published through ``hooks``.
    network : Network
    flat : array
        The parameters, trained in place.
    data : tuple
        ``(X, Y, sample_weight)``, validated and encoded.
    optimizer : optimizer
        From :func:`continuing_optimizer`.
    random_state : RandomState
        Draws the validation split and the shuffles.
    hooks : FitHooks
    ns : ArrayNamespace or None
        The arrays' namespace when they are not numpy's.
    """
    train, validation = validation_split(config, *data, random_state, hooks.decode)
    train = smoothed_targets(config, network, train)
    n_samples = train[0].shape[0]
    batch_size = batch_size_for(config.batch_size, n_samples)
    # a schedule spans max_iter epochs (early stopping or not); partial_fit's
    # calls continue it, over max_iter of their epochs
    if optimizer.counts_steps:
        optimizer.set_horizon(config.max_iter * -(-n_samples // batch_size))
    # the seed draws nothing, and only with dropout: a fit without dropout
    # draws exactly what it always did.  The masks' epoch counter continues
    # across partial_fit calls and warm starts: the epochs trained so far
    trainer = make_trainer(
        network, optimizer, batch_size,
        config.epochs * -(-n_samples // batch_size), ns=ns,
        dropout=config.dropout_rates if config.dropout else None,
        seed=dropout_seed(random_state) if config.dropout else None,
        epoch=len(record.loss_curve),
    )
    # as in sklearn, n_iter_ counts the epochs of this call (t_ and
    # loss_curve_ accumulate across partial_fit calls and warm starts)
    record.n_iter = 0
    plan = BatchPlan(n_samples, config.shuffle, random_state)
    return _EpochRun(config, record, trainer, flat, train, validation, plan,
                     batch_size, hooks).epochs()


def _largest_batch_l2(penalty, sample_weight):
    """The largest L2 strength of a batch (``inf`` for weights off the
    host): with the per-batch scaling ``alpha / S_b``, and ``S_b`` is at
    least one row or the smallest positive weight."""
    if not penalty.per_batch:
        return penalty.strength
    if sample_weight is None:
        return penalty.alpha
    if not isinstance(sample_weight, np.ndarray):
        return np.inf
    positive = sample_weight[sample_weight > 0]
    return penalty.alpha / positive.min() if positive.size else np.inf


class _EpochRun:
    """The epochs of one stochastic fit (see :func:`fit_stochastic`): each
    trains, is recorded, then goes through the stopping rules
    (:func:`~skbackprop._stopping_rules.stopping_rules`)."""

    def __init__(self, config, record, trainer, flat, train, validation, plan,
                 batch_size, hooks):
        self.config, self.record, self.hooks = config, record, hooks
        self.trainer, self.optimizer, self.flat = trainer, trainer.optimizer, flat
        X, Y, sw = train
        self.train = (trainer.prepare(X, config.shuffle), Y, sw)
        self.validation = validation
        self.plan, self.batch_size = plan, batch_size
        self.penalty = L2Penalty.of(config.alpha, config.alpha_scaling, sw, X.shape[0])
        self.largest_l2 = _largest_batch_l2(self.penalty, sw)
        self.rules = stopping_rules(config, self.finite_loss, hooks.tasks,
                                    hooks.publish)

    def epochs(self):
        """Train until a stopping rule says stop (or Ctrl-C, see
        :meth:`interrupted`); whether Ctrl-C ended it."""
        tasks, trainer = self.hooks.tasks, self.trainer
        interrupted = False
        # the state before the current epoch, copied into the same arrays
        # every epoch that needs it; it is known to give finite outputs
        checkpoint, started, stop = EpochCheckpoint(), False, False
        with trainer.interrupts_at_batch_ends():
            try:
                while not stop:
                    trainer.deliver_interrupt()
                    checkpoint.capture(self.record, self.flat, trainer,
                                       self.needs_copy())
                    started = True
                    tasks.begin("epoch")
                    stop = self.one_epoch(checkpoint)
                trainer.deliver_interrupt()
            except KeyboardInterrupt:
                self.interrupted(checkpoint if started else None)
                interrupted = True
        for rule in self.rules:
            rule.on_fit_end(self.flat)
        self.hooks.publish(self.record)
        return interrupted

    def interrupted(self, checkpoint):
        """After a KeyboardInterrupt.  Ctrl-C takes effect between batches
        (:meth:`~skbackprop._engine.trainer.Trainer.interrupts_at_batch_ends`)
        or between epochs: the model of the last completed batch is kept,
        weights and optimizer together, with the record of the last
        completed epoch but for ``t``, which also counts the rows of the
        completed batches of the interrupted epoch.  A KeyboardInterrupt
        raised by other code undoes the epoch it interrupts when the state
        before it was copied (always when a callback or a validation
        scorer runs at the epoch's end: :meth:`needs_copy`); else it came
        from a batch's forward or backward pass, before its update, and
        keeps the last completed batch too."""
        trainer = self.trainer
        if (not trainer.interrupt_delivered and checkpoint is not None
                and checkpoint.holds_weights):
            checkpoint.restore(self.record, self.flat, trainer)
            kept = "epoch"
        else:
            self.record.t += trainer.rows_of_completed_batches()
            kept = "batch"
        self.hooks.tasks.end(empty=True)
        warn(
            f"Training interrupted by user; the model of the last completed "
            f"{kept} is kept.",
            module=__name__,
        )

    def needs_copy(self):
        """Whether the next epoch needs a copy of the weights and the
        optimizer: when it might diverge
        (:meth:`~skbackprop._engine.trainer.Trainer.epoch_can_diverge`), or
        when code of the user runs at its end (callbacks, a validation
        scorer) and may raise KeyboardInterrupt half-way through its
        bookkeeping."""
        if self.hooks.tasks.active or self.validation is not None:
            return True
        X, Y, _ = self.train
        steps = -(-X.shape[0] // self.batch_size)
        return self.trainer.epoch_can_diverge(
            self.flat, X, Y, self.largest_l2,
            max(self.penalty.total_weight, X.shape[0]), steps)

    def one_epoch(self, checkpoint):
        """Train one epoch, record it and ask the rules; returns whether to
        stop.

        An epoch counts when its loss is finite and so are the network's
        outputs on the training data at its final weights (its last steps
        may have overflowed them): else it is not recorded, and the
        :class:`~skbackprop._stopping_rules.Divergence` rule rolls it back."""
        loss = self.train_one_epoch()
        n_samples = self.train[0].shape[0]
        diverged = not (np.isfinite(loss) and self.trainer.all_finite(self.flat)
                        and self.finite_loss())
        if diverged:
            self.hooks.tasks.end(empty=True)
        else:
            self.record_epoch(loss, n_samples)
        epoch = EpochEnd(self.record, self.config, self.optimizer, self.trainer,
                         self.flat, loss, n_samples, diverged, checkpoint)
        for rule in self.rules:
            epoch.stopping = rule.on_epoch_end(epoch) or epoch.stopping
            if epoch.rolled_back:
                break
        return epoch.stopping

    def train_one_epoch(self):
        """One pass over the training rows; returns the epoch's loss: with
        ``alpha_scaling="batch"`` the batches' losses averaged over rows, as
        scikit-learn does; else the epoch's weighted mean."""
        X, Y, sw = self.train
        self.schedule_dropout()
        order, penalty = self.plan.next_epoch(), self.penalty
        weighted = self.trainer.epoch(
            self.flat, X, Y, sw, order, self.batch_size,
            penalty.engine_argument, penalty.per_batch,
        )
        return weighted / (rows_trained(sw, order, self.batch_size, X.shape[0])
                           if penalty.per_batch else penalty.total_weight)

    def schedule_dropout(self):
        """The dropout rates of the coming epoch: ``config.dropout_rates``
        times the dropout schedule's factor at epoch ``e`` of ``max_iter``
        (``e`` counts this fit's epochs; with ``partial_fit``, every epoch
        of the model, ``len(loss_curve_)``)."""
        config = self.config
        if config.dropout_schedule is None or not config.dropout:
            return
        record = self.record
        epoch = len(record.loss_curve) if config.incremental else record.n_iter
        factor = schedule_factor(config.dropout_schedule, epoch, config.max_iter)
        self.trainer.set_dropout_rates([p * factor for p in config.dropout_rates])

    def record_epoch(self, loss, n_samples):
        """Count a finite epoch in the record, with its validation score
        (early stopping), and end the optimizer's iteration."""
        record, verbose = self.record, self.config.verbose
        record.end_epoch(loss, n_samples, verbose)
        if self.validation is not None:
            self.hooks.publish(record)  # a scorer may read the attributes
            score = self.hooks.validation_score(*self.validation)
            record.add_validation_score(score, verbose)
        self.optimizer.iteration_ends(record.t)

    def finite_loss(self):
        """Whether the data term of the training loss is finite at the
        current weights (see :meth:`Trainer.finite_loss`)."""
        return self.trainer.finite_loss(self.flat, *self.train)


# ----------------------------------------------------------------------
# L-BFGS
def fit_lbfgs(config, record, network, flat, data, hooks, ns=None, objective=None):
    """Train ``flat`` with scipy's L-BFGS-B on the full batch ``data``
    (``(X, Y, sample_weight)``); the other arguments as
    :func:`fit_stochastic`'s.  ``objective``, a callable ``fun(x) -> (loss,
    grad)``, replaces the in-memory objective of ``X`` (a distributed one:
    :mod:`skbackprop._dask_fit`)."""
    X, Y, sw = data if objective is not None else smoothed_targets(
        config, network, data)
    n_samples = X.shape[0]
    penalty = L2Penalty.of(config.alpha, "dataset", sw, n_samples)
    # with an objective of its own, the trainer only moves parameters
    trainer = make_trainer(network, None, n_samples if objective is None else 1,
                           ns=ns)
    fun = (trainer.objective(flat, X, Y, sw, penalty.strength)
           if objective is None else objective)
    if run_lbfgs(config, record, trainer, flat, fun, hooks):
        _warn_if_worse_than_mean(record.loss, config.tol, network, Y, sw)


def run_lbfgs(config, record, trainer, flat, fun, hooks):
    """Minimise ``fun`` from ``flat`` with scipy's L-BFGS-B; ``flat`` ends
    at the minimum (scipy works on a float64 host copy of it).

    Parameters
    ----------
    config, record, hooks :
        As :func:`fit_stochastic`'s (``hooks.tasks`` and ``hooks.publish``
        are used).
    trainer : Trainer
        Moves the parameters between ``flat`` and scipy's host vector.
    flat : array
        The parameters; its views are the estimator's ``coefs_``.
    fun : callable
        ``fun(x) -> (loss, grad)`` on a float64 host vector of the
        parameters: the full-batch objective of
        :meth:`~skbackprop._engine.trainer.Trainer.objective`, or one built
        elsewhere (a distributed sum over data chunks, say).

    Returns
    -------
    bool
        Whether L-BFGS converged (not stopped by a callback, a limit or an
        interrupt).
    """
    tasks = hooks.tasks
    record.loss_curve = []
    hooks.publish(record)
    x0 = trainer.to_host(flat)
    progress = _LbfgsProgress(config, record, trainer, flat, hooks, x0)
    tasks.begin("lbfgs-iter", reconstruction_attributes(trainer, trainer.copy(flat)))
    try:
        res = minimize_lbfgs(
            fun, x0, max_iter=config.max_iter, max_fun=config.max_fun,
            tol=config.tol, callback=progress,
        )
    except KeyboardInterrupt:
        _lbfgs_interrupted(record, trainer, flat, fun, progress.completed, tasks)
        hooks.publish(record)
        return False
    tasks.end(empty=True)  # the iteration opened last never ran
    if not np.isfinite(res.fun) or not np.isfinite(res.x).all():
        trainer.from_host(flat, x0)
        raise ValueError(
            f"{SKLEARN_NON_FINITE} L-BFGS could not find a finite loss. The "
            "input data may contain very large values; scale it, e.g. with "
            "StandardScaler."
        )
    trainer.from_host(flat, res.x)
    _lbfgs_attributes(config, record, res, progress.stop_requested)
    hooks.publish(record)
    return res.status == 0 and not progress.stop_requested


class _LbfgsProgress:
    """scipy's callback: records each completed iteration and publishes
    it, so that a callback sees (and may checkpoint) the model of this
    iteration; a callback that returns True stops L-BFGS."""

    def __init__(self, config, record, trainer, flat, hooks, x0):
        self.config, self.record, self.hooks = config, record, hooks
        self.trainer, self.flat = trainer, flat
        self.stop_requested = False
        self.completed = (x0, 0)  # the last completed iteration: x, count

    def __call__(self, intermediate_result):
        trainer, record, tasks = self.trainer, self.record, self.hooks.tasks
        trainer.from_host(self.flat, intermediate_result.x)
        record.loss = float(intermediate_result.fun)
        record.loss_curve.append(record.loss)
        record.n_iter = len(record.loss_curve)
        record.best_loss = min(record.loss_curve)
        if self.config.verbose:
            print("Iteration %d, loss = %.8f"
                  % (len(record.loss_curve), record.loss_curve[-1]))
        self.hooks.publish(record)
        x = trainer.copy(self.flat)
        self.stop_requested = tasks.end(reconstruction_attributes(trainer, x))
        # complete once its end hooks ran (a Ctrl-C in them undoes it, as an
        # epoch's does)
        self.completed = (np.array(intermediate_result.x, dtype=np.float64),
                          len(record.loss_curve))
        tasks.begin("lbfgs-iter", reconstruction_attributes(trainer, x))
        if self.stop_requested:
            raise StopIteration  # scipy >= 1.11 stops and returns x


def _lbfgs_interrupted(record, trainer, flat, fun, completed, tasks):
    """Ctrl-C during L-BFGS: keep the last completed iteration (the line
    search may have left other weights in ``flat``), as the stochastic
    solvers keep the last completed batch."""
    x, count = completed
    trainer.from_host(flat, x)
    tasks.end(empty=True)
    del record.loss_curve[count:]
    record.n_iter = count
    if count:
        record.loss, record.best_loss = record.loss_curve[-1], min(record.loss_curve)
    else:  # interrupted before the first iteration ended
        record.loss = record.best_loss = float(fun(x)[0])
    warn(
        "Training interrupted by user; the weights of the last completed "
        "iteration are kept.",
        module=__name__,
    )


def _lbfgs_attributes(config, record, res, stop_requested):
    record.n_iter = min(int(res.nit), config.max_iter)
    record.loss = float(res.fun)
    # no iteration ended (tol met at the start): the start is the best
    record.best_loss = min(record.loss_curve) if record.loss_curve else record.loss
    if res.status != 0 and not stop_requested:
        message = res.message
        if isinstance(message, bytes):  # pragma: no cover - old scipy
            message = message.decode("latin1")
        warn(
            f"lbfgs failed to converge after {res.nit} iteration(s) "
            f"(status={res.status}):\n{message}\n\n"
            "Increase the number of iterations (max_iter) or the number of "
            f"function evaluations (max_fun={config.max_fun}) to improve the "
            "convergence, or scale the data, e.g. with StandardScaler.",
            ConvergenceWarning,
            module=__name__,
        )


def _warn_if_worse_than_mean(loss, tol, network, Y, sw):
    """A squared-error fit that L-BFGS reports converged is never worse than
    predicting the mean of y (zero weights and that output bias cost no
    penalty); when it is, the objective was too imprecise to minimise
    (e.g. float32 with y far from zero): say so."""
    if network.loss.name != "squared_error":
        return
    Y, sw = to_host(Y).astype(np.float64), to_host(sw)
    mean = np.average(Y, axis=0, weights=sw)
    baseline = 0.5 * float(np.average(((Y - mean) ** 2).sum(axis=1), weights=sw))
    if baseline > 0 and loss > baseline * (1 + 1e-3):
        if network.dtype == np.float32:
            why = ("the objective was too imprecise to minimise in float32. "
                   "Center and scale y (e.g. with TransformedTargetRegressor "
                   "and StandardScaler) or pass X as float64.")
        else:  # its convergence tests passed first: y's scale is far from 1
            why = (f"its convergence tests (tol={tol:g}) passed first, as "
                   "they do when y is on a scale far from 1. Center and scale y "
                   "(e.g. with TransformedTargetRegressor and StandardScaler) "
                   "or lower tol.")
        warn(
            f"lbfgs stopped at a loss of {loss:.6g}, worse than the "
            f"{baseline:.6g} of predicting the mean of y: {why}",
            ConvergenceWarning,
            module=__name__,
        )
