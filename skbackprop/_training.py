"""The training loop of the estimators.

:func:`fit_stochastic` runs the epochs of 'sgd' and 'adam', :func:`fit_lbfgs`
drives scipy's L-BFGS-B; both write the fitted attributes of the estimator
(``loss_curve_``, ``n_iter_``, ``t_``, ...) as they go, so callbacks and
``verbose`` see them live.  The arithmetic of a step is the engine's
(:func:`skbackprop._engine.make_trainer`): nothing here knows which kernels
run.

Failures are atomic at two levels.  :func:`snapshot_state` /
:func:`restore_state` copy the estimator's fitted state before a fit and put
the copy back if the fit raises.  Within a fit, an :class:`EpochCheckpoint`
copies the state an epoch changes (weights, optimizer, counters) before the
epoch, and restores it when the epoch diverges or is interrupted, so the
model left behind is wholly the previous epoch's.
"""

import copy
import os
import threading
from contextlib import contextmanager

import numpy as np
from sklearn.base import is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from ._array_api import host_dtype, to_host
from ._engine import SGD, Adam, make_trainer, minimize_lbfgs
from ._engine.trainer import batch_plan
from ._extensions import dropout_rates, dropout_seed
from ._warnings import warn

__all__ = [
    "STOCHASTIC_SOLVERS",
    "blas_threads",
    "fit_lbfgs",
    "fit_stochastic",
    "restore_state",
    "snapshot_state",
]

STOCHASTIC_SOLVERS = ("sgd", "adam")

# private attributes that are part of the fitted state (besides the public
# ones, which end with an underscore)
_PRIVATE_STATE = ("_label_binarizer", "_optimizer", "_no_improvement_count")

# the attributes one epoch changes (the weights and the optimizer aside)
_EPOCH_STATE = (
    "n_iter_", "t_", "loss_", "loss_curve_", "best_loss_",
    "_no_improvement_count", "validation_scores_", "best_validation_score_",
)


# ----------------------------------------------------------------------
# BLAS threads
LBFGS_THREADED_FLOPS = 8e6
"""Smallest full-batch forward pass (in flops) for which L-BFGS keeps
numpy's BLAS threads; below it, one thread is faster."""

_blas_libraries = None  # (numpy's BLAS, the others), found once


def _find_blas_libraries():
    """numpy's BLAS thread pools and the others (scipy's, say).

    With wheels, numpy and scipy each load their own OpenBLAS; a library
    under a folder named like numpy's is numpy's.  When none is (one BLAS
    shared by all, as with conda), every library counts as numpy's.
    """
    global _blas_libraries
    if _blas_libraries is None:
        from threadpoolctl import ThreadpoolController

        blas = ThreadpoolController().select(user_api="blas").lib_controllers
        ours = [lib for lib in blas if "numpy" in os.path.dirname(lib.filepath)]
        others = [lib for lib in blas if lib not in ours]
        _blas_libraries = (ours or others, others if ours else [])
    return _blas_libraries


def _thread_plan(solver, forward_flops):
    """``(threads for numpy's BLAS, threads for the others, explicit)``;
    None keeps the current setting; ``explicit`` allows raising it.

    The stochastic solvers run numpy's products only, whose threads pay off
    from small batches on: every pool keeps its threads.  L-BFGS alternates
    numpy's products with scipy's own BLAS calls, and two pools of spinning
    threads starve each other on a few cores: scipy's pool gets one thread,
    and numpy's too when the products are small.
    ``SKBACKPROP_BLAS_THREADS`` overrides: ``off`` leaves every pool alone,
    an integer sets every pool to it.
    """
    setting = os.environ.get("SKBACKPROP_BLAS_THREADS", "auto").strip().lower()
    if setting == "off":
        return None, None, False
    if setting not in ("", "auto"):
        try:
            n = int(setting)
        except ValueError:
            n = 0
        if n < 1:
            raise ValueError(
                "SKBACKPROP_BLAS_THREADS must be 'auto', 'off' or a positive "
                f"number of threads, got {setting!r}."
            )
        return n, n, True
    if solver != "lbfgs":
        return None, None, False
    return (1 if forward_flops < LBFGS_THREADED_FLOPS else None), 1, False


_pools_lock = threading.Lock()
_pools_held = {}  # library -> [the caller's thread count, fits holding it]


@contextmanager
def blas_threads(solver, layer_units, n_rows):
    """Set the BLAS thread pools for a fit (see :func:`_thread_plan`) and
    restore the caller's settings afterwards.  Only lowers thread counts,
    unless ``SKBACKPROP_BLAS_THREADS`` asks for more.

    The pools belong to the process: fits running at once in threads (a
    grid search with the threading backend) share one record of the
    caller's counts, and the last of them to end restores it."""
    flops = 2.0 * n_rows * sum(a * b for a, b in zip(layer_units, layer_units[1:]))
    n_ours, n_others, explicit = _thread_plan(solver, flops)
    ours, others = _find_blas_libraries()
    changes = [(lib, n) for lib, n in [(lib, n_ours) for lib in ours]
               + [(lib, n_others) for lib in others] if n is not None]
    with _pools_lock:
        for lib, n in changes:
            held = _pools_held.setdefault(lib, [lib.get_num_threads(), 0])
            held[1] += 1
            if n < held[0] or explicit:
                lib.set_num_threads(n)
    try:
        yield
    finally:
        with _pools_lock:
            for lib, _ in changes:
                held = _pools_held[lib]
                held[1] -= 1
                if held[1] == 0:
                    lib.set_num_threads(held[0])
                    del _pools_held[lib]


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
    """The state an epoch changes, copied before it (:meth:`capture`); see
    :meth:`restore`.  A checkpoint copies into the arrays of its previous
    capture, so a fit's checkpoint allocates nothing after its first epoch."""

    def __init__(self):
        self.flat = self.optimizer = None
        self.attributes = {}

    def capture(self, est, flat, trainer):
        """Copy the state before an epoch; returns the checkpoint."""
        if self.flat is None:
            self.flat = trainer.copy(flat)
            self.optimizer = trainer.optimizer.copy_state(trainer.copy)
        else:
            self.flat[...] = flat
            trainer.optimizer.copy_state_into(self.optimizer)
        self.attributes = {
            k: copy.copy(getattr(est, k)) for k in _EPOCH_STATE if hasattr(est, k)
        }
        return self

    def restore(self, est, flat, trainer):
        """Weights, optimizer and counters back to the checkpoint (copied
        into the arrays in use: ``flat``'s views are the estimator's
        ``coefs_``, and the checkpoint keeps its own arrays)."""
        flat[...] = self.flat
        trainer.optimizer.assign_state(self.optimizer)
        for k in _EPOCH_STATE:
            if k in self.attributes:
                setattr(est, k, self.attributes[k])
            elif hasattr(est, k):
                delattr(est, k)


# ----------------------------------------------------------------------
# pieces of a stochastic fit
def regularization(alpha, sample_weight, n_samples):
    """L2 strength ``lambda = alpha / S`` with ``S`` the total sample
    weight of the training data (``n_samples`` when unweighted); returns
    ``(lambda, S)``.  (With ``alpha_scaling="batch"`` each mini-batch uses
    ``alpha / S_b`` instead, as scikit-learn; L-BFGS's one batch is the
    data, so both agree there.)"""
    total = n_samples if sample_weight is None else float(to_host(sample_weight).sum())
    return float(alpha) / total, total


def optimizer_settings(est):
    """The optimizer class of ``est.solver`` and its settings (constructor
    arguments) from the estimator's parameters."""
    if est.solver == "sgd":
        return SGD, dict(
            learning_rate_init=est.learning_rate_init,
            lr_schedule=est.learning_rate, momentum=est.momentum,
            nesterov=est.nesterovs_momentum, power_t=est.power_t,
        )
    return Adam, dict(
        learning_rate_init=est.learning_rate_init, beta_1=est.beta_1,
        beta_2=est.beta_2, epsilon=est.epsilon,
    )


def make_optimizer(est, n_params, dtype):
    """A new optimizer of ``est.solver`` with the estimator's settings."""
    cls, settings = optimizer_settings(est)
    return cls(n_params, dtype, **settings)


def optimizer_for(est, flat, incremental):
    """``partial_fit`` continues with the estimator's optimizer (if it is of
    the solver's kind and fits the parameters), with the current settings
    (changed ones take effect, the moments are kept); every other fit
    starts a new one."""
    opt = getattr(est, "_optimizer", None)
    cls, settings = optimizer_settings(est)
    if not incremental or type(opt) is not cls or not opt.fits(flat):
        opt = est._optimizer = cls(flat.shape[0], host_dtype(flat), **settings)
        return opt
    if not all(a.flags.writeable for a in vars(opt).values()
               if isinstance(a, np.ndarray)):
        opt.set_state(opt.copy_state())  # e.g. loaded with mmap_mode="r"
    opt.configure(**settings)
    return opt


def _split(arrays, est, random_state, stratify):
    # a RandomState draws on: a retry must start from the same state
    state = random_state.get_state() if hasattr(random_state, "get_state") else None
    try:
        return train_test_split(
            *arrays, random_state=random_state,
            test_size=est.validation_fraction, stratify=stratify,
        )
    except ValueError:
        if state is not None:
            random_state.set_state(state)
        raise


def validation_split(est, X, Y, sample_weight, random_state):
    """``(train, validation)`` triples ``(X, Y, sample_weight)``; the
    validation triple is None without early stopping.

    Binary and multiclass targets are stratified (sklearn stratifies only
    binary ones), never multilabel or regression targets.  A multiclass
    split that cannot be stratified (a class of one sample, fewer validation
    rows than classes) is made as sklearn makes it, unstratified, so that
    every fit sklearn makes works here too.
    """
    if not est.early_stopping:
        return (X, Y, sample_weight), None
    stratify = None
    if is_classifier(est) and (
        est.n_outputs_ == 1 or est.out_activation_ == "softmax"
    ):
        stratify = Y
    arrays = [X, Y] if sample_weight is None else [X, Y, sample_weight]
    try:
        try:
            split = _split(arrays, est, random_state, stratify)
        except ValueError:
            if stratify is None or est.out_activation_ != "softmax":
                raise
            split = _split(arrays, est, random_state, None)
    except ValueError as exc:
        raise ValueError(
            f"Cannot make the early-stopping validation split "
            f"(validation_fraction={est.validation_fraction}) from "
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
    return (X_train, Y_train, sw_train), (X_val, est._decode(Y_val), sw_val)


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


def batch_size_for(est, n_samples):
    """The mini-batch size: 'auto' is ``min(200, n_samples)``; larger than
    the data is clipped with a warning (as sklearn)."""
    if est.batch_size == "auto":
        return min(200, n_samples)
    if est.batch_size > n_samples:
        warn(
            "Got `batch_size` less than 1 or larger than "
            "sample size. It is going to be clipped",
            module=__name__,
        )
    return int(np.clip(est.batch_size, 1, n_samples))


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


def reconstruction_attributes(trainer, flat):
    """For callbacks: the fitted attributes of ``flat``, copied when a
    callback asks for them (during its hook)."""

    def attributes():
        coefs, intercepts = trainer.unpack(trainer.copy(flat))
        return {"coefs_": coefs, "intercepts_": intercepts}

    return attributes


SKLEARN_NON_FINITE = (
    "Solver produced non-finite parameter weights. The input data may contain "
    "large values and need to be preprocessed."
)
"""scikit-learn's message for a fit gone non-finite; ours continue it, so
code that matches scikit-learn's message keeps working."""


def diverged(est, first_epoch):
    """Report a non-finite loss: an error on the first epoch of a model,
    a ConvergenceWarning (and a stop) later."""
    msg = (
        "Training diverged: the loss became non-finite. The input data may "
        "contain very large values (scale it, e.g. with StandardScaler) or "
        f"learning_rate_init={est.learning_rate_init} may be too large."
    )
    if first_epoch:
        raise ValueError(f"{SKLEARN_NON_FINITE} {msg}")
    warn(
        msg + " Stopping; the weights of the last finite epoch are kept.",
        ConvergenceWarning,
        module=__name__,
    )


def record_epoch(est, loss, n_samples, validation):
    """End-of-epoch bookkeeping; returns whether this epoch is the best so
    far (by validation score with early stopping, by loss otherwise)."""
    est.n_iter_ += 1
    est.loss_ = float(loss)
    est.t_ += n_samples
    est.loss_curve_.append(est.loss_)
    if est.verbose:
        print("Iteration %d, loss = %.8f" % (est.n_iter_, est.loss_))
    if validation is None:
        _count_stall(est, est.loss_ > est.best_loss_ - est.tol)
        if est.loss_ < est.best_loss_:
            est.best_loss_ = est.loss_
            return True
        return False
    X_val, y_val, sw_val = validation
    score = est._validation_score(X_val, y_val, sw_val)
    est.validation_scores_.append(score)
    if est.verbose:
        print("Validation score: %f" % score)
    _count_stall(est, score < est.best_validation_score_ + est.tol)
    if score > est.best_validation_score_:
        est.best_validation_score_ = score
        return True
    return False


def _count_stall(est, no_improvement):
    if no_improvement:
        est._no_improvement_count += 1
    else:
        est._no_improvement_count = 0


def stalled(est, optimizer):
    """Whether training stops for lack of improvement; the optimizer may
    handle a stall instead (sgd's 'adaptive' schedule divides its rate)."""
    if est._no_improvement_count <= est.n_iter_no_change:
        return False
    what = "Validation score" if est.early_stopping else "Training loss"
    msg = "%s did not improve more than tol=%f for %d consecutive epochs." % (
        what, est.tol, est.n_iter_no_change,
    )
    if optimizer.trigger_stopping(msg, est.verbose):
        return True
    est._no_improvement_count = 0
    return False


def warn_max_iter(est):
    warn(
        "Stochastic Optimizer: Maximum iterations (%d) reached and the "
        "optimization hasn't converged yet." % est.max_iter,
        ConvergenceWarning,
        module=__name__,
    )


# ----------------------------------------------------------------------
# the stochastic solvers
def fit_stochastic(est, network, flat, X, Y, sw, incremental, random_state, tasks,
                   ns=None):
    """Train ``flat`` (whose views are ``est.coefs_``/``intercepts_``) with
    sgd or adam: all epochs of a fit, or one epoch of ``partial_fit``; ``ns``
    describes the arrays' namespace when they are not numpy's."""
    if est.early_stopping and incremental:
        raise ValueError("partial_fit does not support early_stopping=True")
    optimizer = optimizer_for(est, flat, incremental)
    train, validation = validation_split(est, X, Y, sw, random_state)
    n_samples = train[0].shape[0]
    batch_size = batch_size_for(est, n_samples)
    epochs = 1 if incremental else est.max_iter
    rates, seed = _dropout(est, network, random_state)
    # the masks' epoch counter continues across partial_fit calls and warm
    # starts: the epochs the model has trained so far
    trainer = make_trainer(
        network, optimizer, batch_size, epochs * -(-n_samples // batch_size),
        ns=ns, dropout=rates, seed=seed, epoch=len(est.loss_curve_),
    )
    run = _EpochRun(est, network, flat, trainer, train, validation, tasks)
    run.plan = BatchPlan(n_samples, est.shuffle, random_state)
    run.batch_size = batch_size
    run.l2, run.total_weight = regularization(est.alpha, train[2], n_samples)
    run.per_batch = est.alpha_scaling == "batch"
    if run.per_batch:
        run.l2 = float(est.alpha)
    # as in sklearn, n_iter_ counts the epochs of this call (t_ and
    # loss_curve_ accumulate across partial_fit calls and warm starts)
    est.n_iter_ = 0
    run.epochs(incremental)


def _dropout(est, network, random_state):
    """``(rates, seed)`` of the dropout masks, ``(None, None)`` without
    dropout: the seed is derived only when a rate is above 0 (and draws
    nothing), so a fit without dropout draws exactly what it always did."""
    rates = dropout_rates(est, network.n_layers - 2)
    if not any(rates):
        return None, None
    return rates, dropout_seed(random_state)


class _EpochRun:
    """The epochs of one stochastic fit (see :func:`fit_stochastic`)."""

    def __init__(self, est, network, flat, trainer, train, validation, tasks):
        self.est, self.network, self.flat = est, network, flat
        self.trainer, self.optimizer = trainer, trainer.optimizer
        X, Y, sw = train
        self.train = (trainer.prepare(X, est.shuffle), Y, sw)
        self.validation, self.tasks = validation, tasks
        self.best = None  # the best epoch's weights (early stopping)

    def epochs(self, incremental):
        est = self.est
        # the state before the current epoch, copied into the same arrays
        # every epoch; the state it holds is known to give finite outputs
        checkpoint, started = EpochCheckpoint(), False
        try:
            for _ in range(est.max_iter):
                checkpoint.capture(est, self.flat, self.trainer)
                started = True
                self.tasks.begin("epoch")
                if self.one_epoch(checkpoint) or incremental:
                    break
                if est.n_iter_ == est.max_iter:
                    warn_max_iter(est)
        except KeyboardInterrupt:
            if started:
                checkpoint.restore(est, self.flat, self.trainer)
            self.tasks.end(empty=True)
            warn(
                "Training interrupted by user; the weights of the last "
                "completed epoch are kept.",
                module=__name__,
            )
        if self.best is not None:
            self.flat[...] = self.best

    def one_epoch(self, checkpoint):
        """Train one epoch and do its bookkeeping; returns whether to stop.

        An epoch counts when its loss is finite and so are the network's
        outputs on the training data at its final weights (its last steps
        may have overflowed them): else it is rolled back."""
        est, flat = self.est, self.flat
        X, Y, sw = self.train
        order = self.plan.next_epoch()
        weighted = self.trainer.epoch(
            flat, X, Y, sw, order, self.batch_size, self.l2, self.per_batch,
        )
        # alpha_scaling="batch" averages the batches' losses over rows, as
        # scikit-learn does; else the epoch's loss is its weighted mean
        loss = weighted / (rows_trained(sw, order, self.batch_size, X.shape[0])
                           if self.per_batch else self.total_weight)
        if not (np.isfinite(loss) and self.trainer.all_finite(flat)
                and self.finite_loss()):
            self.tasks.end(empty=True)
            self.roll_back(checkpoint)
            return True
        if record_epoch(est, loss, X.shape[0], self.validation) and est.early_stopping:
            self.best = self.trainer.copy(flat)
        self.optimizer.iteration_ends(est.t_)
        stop_requested = self.tasks.end(reconstruction_attributes(self.trainer, flat))
        return stalled(est, self.optimizer) or stop_requested

    def roll_back(self, checkpoint):
        """After a divergence: back to the state before the epoch (with a
        ConvergenceWarning), or an error when that is an untrained model or
        one whose outputs are not finite either (hand-set weights, say)."""
        est = self.est
        checkpoint.restore(est, self.flat, self.trainer)
        first_epoch = est.t_ == 0 or not self.finite_loss()
        diverged(est, first_epoch=first_epoch)

    def finite_loss(self):
        """Whether the data term of the training loss is finite at the
        current weights (see :meth:`Trainer.finite_loss`)."""
        return self.trainer.finite_loss(self.flat, *self.train)


# ----------------------------------------------------------------------
# L-BFGS
def fit_lbfgs(est, network, flat, X, Y, sw, tasks, ns=None):
    """Train ``flat`` with scipy's L-BFGS-B on the full batch (scipy works
    on a float64 host copy of the parameters)."""
    n_samples = X.shape[0]
    l2, _ = regularization(est.alpha, sw, n_samples)
    trainer = make_trainer(network, None, n_samples, ns=ns)
    fun = trainer.objective(flat, X, Y, sw, l2)
    est.loss_curve_ = []
    stop_requested = False
    x0 = trainer.to_host(flat)
    completed = [x0, 0]  # the last completed iteration: parameters, count

    def callback(intermediate_result):
        nonlocal stop_requested
        # the fitted attributes follow the iterations, so that a callback
        # sees (and may checkpoint) the model of this iteration
        trainer.from_host(flat, intermediate_result.x)
        est.loss_ = float(intermediate_result.fun)
        est.loss_curve_.append(est.loss_)
        est.n_iter_ = len(est.loss_curve_)
        est.best_loss_ = min(est.loss_curve_)
        if est.verbose:
            print("Iteration %d, loss = %.8f"
                  % (len(est.loss_curve_), est.loss_curve_[-1]))
        x = trainer.copy(flat)
        stop_requested = tasks.end(reconstruction_attributes(trainer, x))
        # complete once its end hooks ran (a Ctrl-C in them undoes it, as an
        # epoch's does)
        completed[:] = [np.array(intermediate_result.x, dtype=np.float64),
                        len(est.loss_curve_)]
        tasks.begin("lbfgs-iter", reconstruction_attributes(trainer, x))
        if stop_requested:
            raise StopIteration  # scipy >= 1.11 stops and returns x

    tasks.begin("lbfgs-iter", reconstruction_attributes(trainer, trainer.copy(flat)))
    try:
        res = minimize_lbfgs(
            fun, x0, max_iter=est.max_iter, max_fun=est.max_fun, tol=est.tol,
            callback=callback,
        )
    except KeyboardInterrupt:
        _lbfgs_interrupted(est, trainer, flat, fun, completed, tasks)
        return
    tasks.end(empty=True)  # the iteration opened last never ran
    if not np.isfinite(res.fun) or not np.isfinite(res.x).all():
        trainer.from_host(flat, x0)
        raise ValueError(
            f"{SKLEARN_NON_FINITE} L-BFGS could not find a finite loss. The "
            "input data may contain very large values; scale it, e.g. with "
            "StandardScaler."
        )
    trainer.from_host(flat, res.x)
    _lbfgs_attributes(est, res, stop_requested)
    if res.status == 0 and not stop_requested:
        _warn_if_worse_than_mean(est, network, Y, sw)


def _lbfgs_interrupted(est, trainer, flat, fun, completed, tasks):
    """Ctrl-C during L-BFGS: keep the last completed iteration (the line
    search may have left other weights in ``flat``), as the stochastic
    solvers keep the last completed epoch."""
    x, count = completed
    trainer.from_host(flat, x)
    tasks.end(empty=True)
    del est.loss_curve_[count:]
    est.n_iter_ = count
    if count:
        est.loss_, est.best_loss_ = est.loss_curve_[-1], min(est.loss_curve_)
    else:  # interrupted before the first iteration ended
        est.loss_ = est.best_loss_ = float(fun(x)[0])
    warn(
        "Training interrupted by user; the weights of the last completed "
        "iteration are kept.",
        module=__name__,
    )


def _lbfgs_attributes(est, res, stop_requested):
    est.n_iter_ = min(int(res.nit), est.max_iter)
    est.loss_ = float(res.fun)
    # no iteration ended (tol met at the start): the start is the best
    est.best_loss_ = min(est.loss_curve_) if est.loss_curve_ else est.loss_
    if res.status != 0 and not stop_requested:
        message = res.message
        if isinstance(message, bytes):  # pragma: no cover - old scipy
            message = message.decode("latin1")
        warn(
            f"lbfgs failed to converge after {res.nit} iteration(s) "
            f"(status={res.status}):\n{message}\n\n"
            "Increase the number of iterations (max_iter) or the number of "
            f"function evaluations (max_fun={est.max_fun}) to improve the "
            "convergence, or scale the data, e.g. with StandardScaler.",
            ConvergenceWarning,
            module=__name__,
        )


def _warn_if_worse_than_mean(est, network, Y, sw):
    """A squared-error fit that L-BFGS reports converged is never worse than
    predicting the mean of y (zero weights and that output bias cost no
    penalty); when it is, the objective was too imprecise to minimise
    (e.g. float32 with y far from zero): say so."""
    if network.loss.name != "squared_error":
        return
    Y, sw = to_host(Y).astype(np.float64), to_host(sw)
    mean = np.average(Y, axis=0, weights=sw)
    baseline = 0.5 * float(np.average(((Y - mean) ** 2).sum(axis=1), weights=sw))
    if baseline > 0 and est.loss_ > baseline * (1 + 1e-3):
        if network.dtype == np.float32:
            why = ("the objective was too imprecise to minimise in float32. "
                   "Center and scale y (e.g. with TransformedTargetRegressor "
                   "and StandardScaler) or pass X as float64.")
        else:  # its convergence tests passed first: y's scale is far from 1
            why = (f"its convergence tests (tol={est.tol:g}) passed first, as "
                   "they do when y is on a scale far from 1. Center and scale y "
                   "(e.g. with TransformedTargetRegressor and StandardScaler) "
                   "or lower tol.")
        warn(
            f"lbfgs stopped at a loss of {est.loss_:.6g}, worse than the "
            f"{baseline:.6g} of predicting the mean of y: {why}",
            ConvergenceWarning,
            module=__name__,
        )
