"""Stopping rules: small objects with one end-of-epoch hook.

After each epoch of ``sgd`` or ``adam`` the training loop
(:class:`skbackprop._training._EpochRun`) hands an :class:`EpochEnd` to each
rule of :func:`stopping_rules`, in order; a rule returns True to stop
training after this epoch.  Each rule owns its state and reads (or updates)
the shared :class:`~skbackprop._fit_state.TrainingRecord`, as skorch's
callbacks read its history.  A new rule (restoring the best epoch, a
learning-rate schedule) is one more class in that list; the loop does not
change.  ``on_fit_end`` runs once when the epochs are over, whatever ended
them (a rule, ``max_iter``, an interrupt).
"""

from dataclasses import dataclass

from sklearn.exceptions import ConvergenceWarning

from ._callbacks import reconstruction_attributes
from ._warnings import warn

__all__ = [
    "BestEpoch",
    "Callbacks",
    "Divergence",
    "EpochBudget",
    "EpochEnd",
    "SKLEARN_NON_FINITE",
    "StoppingRule",
    "TrainingLossStall",
    "ValidationScoreStall",
    "diverged",
    "stopping_rules",
]

# the training loop's warnings name one module, for warning filters
# (``warnings.filterwarnings(..., module="skbackprop._training")``)
_WARNING_MODULE = "skbackprop._training"

SKLEARN_NON_FINITE = (
    "Solver produced non-finite parameter weights. The input data may contain "
    "large values and need to be preprocessed."
)
"""scikit-learn's message for a fit gone non-finite; ours continue it, so
code that matches scikit-learn's message keeps working."""


@dataclass
class EpochEnd:
    """What the stopping rules see at the end of an epoch.

    Attributes
    ----------
    record : TrainingRecord
        The fit's record, this epoch counted (unless it diverged).
    config : FitConfig
    optimizer : optimizer
        The engine's optimizer (a stall may lower its rate instead).
    trainer : Trainer
        Copies and unpacks ``weights``.
    weights : array
        The flat parameters (views: the estimator's ``coefs_``), as the
        epoch left them.
    loss : float
        The epoch's loss (perhaps not finite).
    n_samples : int
        The rows of an epoch.
    diverged : bool
        Whether the epoch's loss or the network's outputs are not finite.
    checkpoint : EpochCheckpoint
        The state before the epoch (see :meth:`roll_back`); without the
        weights when the trainer ruled divergence out.
    stopping : bool
        Whether a rule earlier in the list asked to stop.
    rolled_back : bool
        Whether a rule rolled the epoch back (:meth:`roll_back`).
    """

    record: object
    config: object
    optimizer: object
    trainer: object
    weights: object
    loss: float
    n_samples: int
    diverged: bool
    checkpoint: object
    stopping: bool = False
    rolled_back: bool = False

    def roll_back(self):
        """Weights, optimizer and record back to the checkpoint; the rules
        after the one that calls this do not run.  Only when the checkpoint
        holds the weights (``checkpoint.holds_weights``)."""
        self.checkpoint.restore(self.record, self.weights, self.trainer)
        self.rolled_back = True


class StoppingRule:
    """Base class: a rule that never stops and keeps no state."""

    def on_epoch_end(self, epoch):
        """Called after each epoch with an :class:`EpochEnd`; return True
        to stop training."""
        return False

    def on_fit_end(self, weights):
        """Called once after the last epoch with the flat parameters."""


class Divergence(StoppingRule):
    """An epoch whose loss or outputs are not finite is rolled back and
    ends training with a ConvergenceWarning; an error when no finite model
    is left (the first epoch of a model, or hand-set weights whose outputs
    are not finite either).  With early stopping, the diverging epoch
    stays in the history with a validation score of NaN, as scikit-learn
    records it; the weights are the best epoch's.

    Parameters
    ----------
    finite_loss : callable
        ``finite_loss()``: whether the training loss is finite at the
        current weights.
    """

    def __init__(self, finite_loss):
        self.finite_loss = finite_loss

    def on_epoch_end(self, epoch):
        if not epoch.diverged:
            return False
        record, config = epoch.record, epoch.config
        if not epoch.checkpoint.holds_weights:
            # the trainer ruled divergence out for this epoch, so kept no
            # copy; were the bound wrong, nothing finite is left to keep
            diverged(config.learning_rate_init, first_epoch=True)
        epoch.roll_back()
        first_epoch = record.t == 0 or not self.finite_loss()
        if config.validates and not first_epoch:
            record.end_epoch(epoch.loss, epoch.n_samples, config.verbose)
            record.add_validation_score(float("nan"), config.verbose)
        diverged(config.learning_rate_init, first_epoch, kept=_kept(config))
        return True


def _kept(config):
    """Which epoch's weights a fit ends with (see :func:`best_epoch_rules`),
    in words."""
    rules = best_epoch_rules(config)
    if not rules:
        return "last finite epoch"
    return f"best epoch (by {rules[0].criterion.replace('_', ' ')})"


def diverged(learning_rate_init, first_epoch, kept="last finite epoch"):
    """Report a non-finite loss: an error on the first epoch of a model,
    a ConvergenceWarning later (saying which weights are ``kept``)."""
    msg = (
        "Training diverged: the loss became non-finite. The input data may "
        "contain very large values (scale it, e.g. with StandardScaler) or "
        f"learning_rate_init={learning_rate_init} may be too large."
    )
    if first_epoch:
        raise ValueError(f"{SKLEARN_NON_FINITE} {msg}")
    warn(
        msg + f" Stopping; the weights of the {kept} are kept.",
        ConvergenceWarning,
        module=_WARNING_MODULE,
    )


class _Stall(StoppingRule):
    """Counts epochs without improvement by ``tol``; more than
    ``n_iter_no_change`` of them stop training, unless the optimizer
    handles the stall (sgd's 'adaptive' schedule divides its rate and
    the count starts over)."""

    what = None

    def count(self, record, no_improvement):
        if no_improvement:
            record.no_improvement_count += 1
        else:
            record.no_improvement_count = 0

    def stalled(self, epoch):
        config, record = epoch.config, epoch.record
        if record.no_improvement_count <= config.n_iter_no_change:
            return False
        msg = "%s did not improve more than tol=%f for %d consecutive epochs." % (
            self.what, config.tol, config.n_iter_no_change,
        )
        if epoch.optimizer.trigger_stopping(msg, config.verbose):
            return True
        record.no_improvement_count = 0
        return False


class TrainingLossStall(_Stall):
    """``tol`` / ``n_iter_no_change`` on the training loss (without early
    stopping); keeps ``best_loss``."""

    what = "Training loss"

    def on_epoch_end(self, epoch):
        record, tol = epoch.record, epoch.config.tol
        self.count(record, record.loss > record.best_loss - tol)
        if record.loss < record.best_loss:
            record.best_loss = record.loss
        return self.stalled(epoch)


class ValidationScoreStall(_Stall):
    """Early stopping: ``tol`` / ``n_iter_no_change`` on the validation
    score; keeps ``best_validation_score`` (the best epoch's weights are
    :class:`BestEpoch`'s)."""

    what = "Validation score"

    def on_epoch_end(self, epoch):
        record, tol = epoch.record, epoch.config.tol
        score = record.validation_scores[-1]
        self.count(record, score < record.best_validation_score + tol)
        if score > record.best_validation_score:
            record.best_validation_score = score
        return self.stalled(epoch)


class BestEpoch(StoppingRule):
    """Keeps a copy of the weights of the best epoch of this fit and ends
    the fit with them (whatever ended it: a stall, ``max_iter``, a
    divergence, an interrupt); never stops training itself.

    Parameters
    ----------
    criterion : {'validation_score', 'training_loss'}
        The best epoch has the highest validation score (early stopping:
        scikit-learn's restore) or the lowest training loss.  It runs
        before the stall rules, which update the record's best values:
        an epoch is the best when it beats the best before it.
    ties : {'first', 'last'}, default='first'
        Which of epochs that tie is kept: the first (scikit-learn's) or
        the last (RealMLP's choice, the one trained longest).
    """

    def __init__(self, criterion, ties="first"):
        self.criterion, self.ties = criterion, ties
        self.best_loss = float("inf")
        self.best_weights = None

    def on_epoch_end(self, epoch):
        record = epoch.record
        if self.criterion == "validation_score":
            value, best = -record.validation_scores[-1], -record.best_validation_score
        else:
            value, best = record.loss, self.best_loss
            self.best_loss = min(self.best_loss, record.loss)
        if value < best or self.ties == "last" and value == best:
            self.best_weights = epoch.trainer.copy(epoch.weights)
        return False

    def on_fit_end(self, weights):
        if self.best_weights is not None:
            weights[...] = self.best_weights


def best_epoch_rules(config):
    """The :class:`BestEpoch` rule ``config.restore_best`` asks for (none
    for 'last'); 'auto' is scikit-learn's: the best validation score with
    early stopping, else the last epoch."""
    criterion = config.restore_best
    if criterion == "auto":
        criterion = "validation_score" if config.validates else "last"
    if criterion == "last":
        return []
    return [BestEpoch(criterion, config.best_epoch_ties)]


class Callbacks(StoppingRule):
    """scikit-learn's callbacks (``set_callbacks``): the record is
    published as the estimator's attributes (when a callback is set), then
    the epoch's task ends; a callback that returns True stops training.

    Parameters
    ----------
    tasks : FitTasks
    publish : callable
        ``publish(record)`` writes the record's fields as the estimator's
        fitted attributes.
    """

    def __init__(self, tasks, publish):
        self.tasks, self.publish = tasks, publish

    def on_epoch_end(self, epoch):
        if self.tasks.active:  # else nobody looks before the fit ends
            self.publish(epoch.record)
        return self.tasks.end(reconstruction_attributes(epoch.trainer, epoch.weights))


class EpochBudget(StoppingRule):
    """``max_iter`` epochs per ``fit``, with a ConvergenceWarning when
    they run out and nothing else stopped training -- unless a
    learning-rate schedule ends there, as planned; one epoch per
    ``partial_fit``, without one."""

    def on_epoch_end(self, epoch):
        config = epoch.config
        if epoch.record.n_iter < config.epochs:
            return False
        planned = config.optimizer_settings.get("schedule") is not None
        if not config.incremental and not epoch.stopping and not planned:
            warn(
                "Stochastic Optimizer: Maximum iterations (%d) reached and the "
                "optimization hasn't converged yet." % config.max_iter,
                ConvergenceWarning,
                module=_WARNING_MODULE,
            )
        return True


def stopping_rules(config, finite_loss, tasks, publish):
    """The rules of a stochastic fit, in the order they run after each
    epoch (see the module); the arguments as the rules' own."""
    improvement = ValidationScoreStall() if config.validates else TrainingLossStall()
    return [Divergence(finite_loss), *best_epoch_rules(config), improvement,
            Callbacks(tasks, publish), EpochBudget()]

