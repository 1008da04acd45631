"""The state of a fit as objects: what it was asked to do, and what it did.

* :class:`FitConfig` -- the settings of one fit, read from the estimator's
  parameters once, at its start (solver and optimizer settings, batch size,
  L2 scaling, early stopping, dropout...).  The training loop reads this,
  never the estimator's parameters.
* :class:`TrainingRecord` -- what training has done so far (iterations,
  ``t``, the loss curve, validation scores, best values, the stall count),
  updated by the loop and the stopping rules, copied whole by the epoch
  checkpoint.  The estimator's fitted attributes keep scikit-learn's names
  (``n_iter_``, ``t_``, ``loss_curve_``, ...): :meth:`TrainingRecord.publish`
  writes them, so callbacks and ``verbose`` see them as training goes.
* :class:`L2Penalty` -- the L2 term: the ``alpha`` parameter and the
  strength it gives the engine, named apart.
"""

from dataclasses import dataclass, field

import numpy as np
from sklearn.base import is_classifier

from ._array_api import to_host
from ._engine import SGD, Adam
from ._params_beyond_sklearn import dropout_rates, scoring_key

__all__ = [
    "STOCHASTIC_SOLVERS",
    "FitConfig",
    "L2Penalty",
    "TrainingRecord",
    "makes_validation_split",
]

STOCHASTIC_SOLVERS = ("sgd", "adam")


def makes_validation_split(solver, early_stopping, incremental):
    """Whether a fit holds out a validation split (early stopping): only
    ``fit`` with a stochastic solver does."""
    return solver in STOCHASTIC_SOLVERS and early_stopping and not incremental


@dataclass(frozen=True)
class FitConfig:
    """The settings of one fit, from the estimator's parameters.

    Built by :meth:`from_estimator` once the model's output layer is known
    (``out_activation_`` decides how the validation split is stratified).
    """

    solver: str
    incremental: bool
    max_iter: int
    max_fun: int
    tol: float
    n_iter_no_change: float
    verbose: bool
    shuffle: bool
    batch_size: object  # 'auto' or a number of rows
    alpha: float
    alpha_scaling: str
    learning_rate_init: float
    early_stopping: bool  # the parameter, as set
    validates: bool  # whether this fit makes a validation split
    validation_fraction: float
    stratify: str  # 'no', 'labels', or 'labels-else-no' (multiclass)
    scoring: str | None  # the key of the metric (see scoring_key)
    dropout_rates: tuple = ()
    optimizer_class: type | None = None
    optimizer_settings: dict = field(default_factory=dict)
    # beyond scikit-learn, off by default (see _params_beyond_sklearn)
    dropout_schedule: str | None = None
    label_smoothing: float = 0.0
    restore_best: str = "auto"
    best_epoch_ties: str = "first"  # or 'last' (no drop-in parameter)

    @classmethod
    def from_estimator(cls, est, n_hidden, incremental):
        """The configuration of a fit of ``est`` (parameters already
        checked) with ``n_hidden`` hidden layers."""
        stochastic = est.solver in STOCHASTIC_SOLVERS
        optimizer_class, settings = _optimizer_settings(est) if stochastic else (
            None, {})
        return cls(
            solver=est.solver, incremental=incremental,
            max_iter=est.max_iter, max_fun=est.max_fun, tol=est.tol,
            n_iter_no_change=est.n_iter_no_change, verbose=est.verbose,
            shuffle=est.shuffle, batch_size=est.batch_size, alpha=est.alpha,
            alpha_scaling=est.alpha_scaling,
            learning_rate_init=est.learning_rate_init,
            early_stopping=est.early_stopping,
            validates=makes_validation_split(est.solver, est.early_stopping,
                                             incremental),
            validation_fraction=est.validation_fraction,
            stratify=_stratification(est), scoring=scoring_key(est.scoring),
            dropout_rates=dropout_rates(est, n_hidden) if stochastic else (),
            optimizer_class=optimizer_class, optimizer_settings=settings,
            dropout_schedule=getattr(est, "dropout_schedule", None),
            label_smoothing=float(getattr(est, "label_smoothing", 0.0)),
            restore_best=getattr(est, "restore_best", "auto"),
        )

    @property
    def epochs(self):
        """The epochs this call may train: ``max_iter``, one for
        ``partial_fit``."""
        return 1 if self.incremental else self.max_iter

    @property
    def dropout(self):
        """Whether any hidden layer drops units."""
        return any(self.dropout_rates)


def _optimizer_settings(est):
    """The optimizer class of ``est.solver`` and its constructor
    arguments from the estimator's parameters.

    An estimator built on this training loop may add optimizer options that
    are no parameter of its own (``decay_schedule``, per-parameter
    ``lr_factors`` / ``decay_factors`` as ``(slice, factor)`` pairs: see
    :class:`~skbackprop._engine.optimizers.Adam`) by a method
    ``_optimizer_options()`` returning them as a dict."""
    beyond = dict(
        weight_decay=getattr(est, "weight_decay", 0.0),
        schedule=getattr(est, "learning_rate_schedule", None),
        warmup=getattr(est, "learning_rate_warmup", 0.0),
    )
    if hasattr(est, "_optimizer_options"):
        beyond.update(est._optimizer_options())
    if est.solver == "sgd":
        return SGD, dict(
            learning_rate_init=est.learning_rate_init,
            lr_schedule=est.learning_rate, momentum=est.momentum,
            nesterov=est.nesterovs_momentum, power_t=est.power_t, **beyond,
        )
    return Adam, dict(
        learning_rate_init=est.learning_rate_init, beta_1=est.beta_1,
        beta_2=est.beta_2, epsilon=est.epsilon, **beyond,
    )


def _stratification(est):
    """How the early-stopping split is stratified: binary and multiclass
    labels are (sklearn stratifies only binary ones), never multilabel or
    regression targets; a multiclass split that cannot be stratified is
    made unstratified, as sklearn makes it."""
    if not is_classifier(est):
        return "no"
    if est.out_activation_ == "softmax":
        return "labels-else-no"
    return "labels" if est.n_outputs_ == 1 else "no"


@dataclass(frozen=True)
class L2Penalty:
    """The L2 term of a fit.

    Attributes
    ----------
    alpha : float
        The ``alpha`` parameter.
    per_batch : bool
        ``alpha_scaling="batch"``: each mini-batch's strength is
        ``alpha / S_b`` (scikit-learn's scaling), ``S_b`` its weight.
    total_weight : float
        ``S``, the training rows' total sample weight (their number when
        unweighted); the ``"dataset"`` strength is ``lambda = alpha / S``.
    """

    alpha: float
    per_batch: bool
    total_weight: float

    @classmethod
    def of(cls, alpha, alpha_scaling, sample_weight, n_samples):
        """The penalty of training rows with ``sample_weight`` (None: all
        one)."""
        total = (n_samples if sample_weight is None
                 else float(to_host(sample_weight).sum()))
        return cls(float(alpha), alpha_scaling == "batch", total)

    @property
    def strength(self):
        """``lambda = alpha / S``: the strength over the whole data (the
        L-BFGS objective's, and every batch's with the dataset scaling)."""
        return self.alpha / self.total_weight

    @property
    def engine_argument(self):
        """The engine's ``l2`` argument: ``alpha`` with the per-batch
        scaling (the engine divides it by each batch's weight), ``lambda``
        otherwise."""
        return self.alpha if self.per_batch else self.strength


# the record's fields and the estimator's attributes that publish them
_PUBLISHED = {
    "n_iter": "n_iter_",
    "t": "t_",
    "loss": "loss_",
    "loss_curve": "loss_curve_",
    "best_loss": "best_loss_",
    "validation_scores": "validation_scores_",
    "best_validation_score": "best_validation_score_",
    "no_improvement_count": "_no_improvement_count",
    "scoring": "_validation_scoring",
}


@dataclass
class TrainingRecord:
    """What training has done so far.

    Attributes
    ----------
    n_iter : int
        Epochs (or L-BFGS iterations) of the current call.
    t : int
        Training samples seen, across ``partial_fit`` calls and warm
        starts.
    loss : float or None
        The last epoch's loss; None before the model's first epoch.
    loss_curve : list of float
        One loss per epoch, across calls.
    best_loss : float or None
        The lowest loss (None with early stopping, as scikit-learn).
    validation_scores : list of float or None
        One validation score per epoch with early stopping, else None.
    best_validation_score : float or None
    no_improvement_count : int
        Consecutive epochs without an improvement by ``tol``.
    scoring : str or None
        Which metric ``validation_scores`` holds (see
        :func:`~skbackprop._params_beyond_sklearn.scoring_key`).
    """

    n_iter: int = 0
    t: int = 0
    loss: float | None = None
    loss_curve: list = field(default_factory=list)
    best_loss: float | None = None
    validation_scores: list | None = None
    best_validation_score: float | None = None
    no_improvement_count: int = 0
    scoring: str | None = None

    @classmethod
    def of(cls, est):
        """The record an estimator's fitted attributes hold (the fields of
        an attribute it lacks keep their defaults)."""
        return cls(**{name: getattr(est, attr) for name, attr in _PUBLISHED.items()
                      if hasattr(est, attr)})

    def publish(self, est):
        """Write the record as ``est``'s fitted attributes (``loss_`` is
        left out until there is one)."""
        state = vars(est)
        state.update((attr, getattr(self, name)) for name, attr in _PUBLISHED.items())
        if self.loss is None:
            del state["loss_"]

    def copy(self):
        """A copy sharing no list with this record."""
        scores = self.validation_scores
        return TrainingRecord(
            self.n_iter, self.t, self.loss, list(self.loss_curve),
            self.best_loss, None if scores is None else list(scores),
            self.best_validation_score, self.no_improvement_count, self.scoring,
        )

    def restart_validation(self, validates, scoring):
        """The best values and the stall count of a new model, for a fit
        with a validation split (``validates``, of metric ``scoring``) or
        without."""
        self.no_improvement_count = 0
        if validates:
            self.validation_scores, self.best_validation_score = [], -np.inf
            self.best_loss, self.scoring = None, scoring
        else:
            self.best_loss = np.inf
            self.validation_scores = self.best_validation_score = None
            self.scoring = None

    def end_epoch(self, loss, n_samples, verbose):
        """Count an epoch of ``n_samples`` rows and its loss."""
        self.n_iter += 1
        self.loss = float(loss)
        self.t += n_samples
        self.loss_curve.append(self.loss)
        if verbose:
            print("Iteration %d, loss = %.8f" % (self.n_iter, self.loss))

    def add_validation_score(self, score, verbose):
        """Record the epoch's validation score (NaN: none)."""
        self.validation_scores.append(score)
        if verbose:
            print("Validation score: %f" % score)
