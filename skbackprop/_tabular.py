"""MLPs for tables: :class:`TabularMLPClassifier` and
:class:`TabularMLPRegressor`.

They take a table as it comes (a pandas or polars DataFrame with numeric,
categorical and missing values, or an array), encode it with
:class:`~skbackprop._table.TableEncoder` (fitted at ``fit``), and train a
network of the engine (:mod:`skbackprop._engine`) with the training loop of
the drop-in estimators (:func:`skbackprop._training.train`: the same
epochs, stopping rules, rollback of a diverging epoch and of a failed fit).
Their defaults are chosen for tables, after RealMLP-TD (Holzmueller,
Grinsztajn and Steinwart, NeurIPS 2024): robust scaling with smooth
clipping, embeddings of the categorical codes and periodic embeddings of
the numeric columns (:mod:`skbackprop._engine.table_layers`), a learned
per-feature scale, NTK-parametrised dense layers, AdamW with RealMLP's
per-group learning-rate factors and its multi-cycle schedule, scheduled
dropout, label smoothing, and the best epoch on a validation split;
regression targets are standardised inside.

Each technique is a parameter that switches it off (the ablation of
``benchmarks/tabular.py`` reads them); the network is described in plain
values by :func:`architecture` (stored with the model) and built by
:func:`build_network`, the optimizer's settings by
:meth:`_BaseTabularMLP._adam_settings`, the input encoding by
:meth:`_BaseTabularMLP._make_encoder`.
"""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_y,
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from . import _training as training
from ._blas_threads import blas_threads
from ._callbacks import FitTasks
from ._engine import (
    ACTIVATIONS,
    SCHEDULES,
    Adam,
    CategoricalEmbedding,
    Dense,
    Network,
    PeriodicEmbedding,
    Scale,
    get_activation,
    get_loss,
    predict,
)
from ._fit_state import FitConfig, TrainingRecord
from ._table import TableEncoder, is_frame
from ._validation import (
    check_class_weight,
    check_no_missing_labels,
    check_sample_weight,
    class_sample_weight,
    finalize_weights,
    store_parameters,
)

__all__ = ["TabularMLPClassifier", "TabularMLPRegressor"]

# the network trains in float32: half the memory traffic of float64, and
# the table's encoding leaves nothing that float32 cannot resolve
_DTYPE = np.float32

# the fewest validation rows for which the best epoch is chosen on a split;
# with fewer, every row trains and the last epoch is kept
MIN_VALIDATION_ROWS = 10
N_ENSEMBLE = 2
"""Members of the default ensemble (``n_ensemble``; ``benchmarks/README.md``:
two members gain most of what three do, at two fits' cost)."""

_EPOCH_BUDGET_WARNING = "Stochastic Optimizer: Maximum iterations"

# RealMLP-TD's sizes (pytabkit): an embedding of 8 values per category of a
# large categorical column; 16 frequencies mapped to 3 values per numeric
# column (their initial spread is the estimators' ``frequency_scale``)
EMBEDDING_DIMS = 8
PERIODIC = dict(frequencies=16, dims=3)
FREQUENCY_SCALE = (0.1, 2.0)
"""``frequency_scale``'s default: a smooth member (RealMLP-TD's 0.1) and a
sharp one (``benchmarks/README.md``: the pair beats two members of the
smooth scale; 2 did better than 1 and 3)."""


def architecture(est, encoder, n_outputs):
    """The network's description, in plain values (stored with the fitted
    model, which :func:`build_network` rebuilds from it)."""
    numeric, codes, cardinalities = encoder.layout()
    return dict(
        n_inputs=encoder.n_outputs, numeric=numeric, codes=codes,
        cardinalities=cardinalities, numeric_embedding=est.numeric_embedding,
        feature_scaling=bool(est.feature_scaling),
        hidden=est._hidden_layer_sizes(), activation=est.activation,
        parametrization=est.parametrization, n_outputs=n_outputs, loss=est._loss,
    )


def build_network(arch, dtype, frequency_scale=FREQUENCY_SCALE[0]):
    """The network of ``arch`` (:func:`architecture`): the categorical
    codes' embeddings, the numeric columns' periodic embeddings (initial
    frequencies of standard deviation ``frequency_scale``), a per-feature
    scale, then the dense layers."""
    layers, fan, numeric = [], arch["n_inputs"], list(arch["numeric"])
    if arch["codes"]:
        layers.append(CategoricalEmbedding(fan, arch["codes"], arch["cardinalities"],
                                           EMBEDDING_DIMS))
        # it passes the other columns first, in their order
        others = [j for j in range(fan) if j not in set(arch["codes"])]
        numeric, fan = [others.index(j) for j in numeric], layers[-1].fan_out
    if arch["numeric_embedding"] == "periodic" and numeric:
        layers.append(PeriodicEmbedding(fan, numeric, sigma=frequency_scale,
                                        **PERIODIC))
        fan = layers[-1].fan_out
    if arch["feature_scaling"]:
        layers.append(Scale(fan))
    for units in arch["hidden"]:
        layers.append(Dense(fan, units, get_activation(arch["activation"]),
                            parametrization=arch["parametrization"]))
        fan = units
    output = get_activation(get_loss(arch["loss"]).out_activation, output=True)
    layers.append(Dense(fan, arch["n_outputs"], output,
                        parametrization=arch["parametrization"]))
    return Network.from_layers(layers, arch["loss"], dtype)


def lr_factor(layer, group):
    """RealMLP-TD's learning-rate factors: the per-feature scale learns 6
    times faster, the periodic embeddings and the dense biases 10 times
    slower."""
    if isinstance(layer, Scale):
        return 6.0
    if isinstance(layer, PeriodicEmbedding) or group == "biases":
        return 0.1
    return 1.0


def decay_factor(layer, group):
    """Weight decay spares the dense layers' biases (RealMLP-TD's)."""
    return 0.0 if isinstance(layer, Dense) and group == "biases" else 1.0


class _BaseTabularMLP(BaseEstimator):
    """What the classifier and the regressor share: the table's encoding,
    the network and the fit."""

    _parameter_constraints: dict = {
        "hidden_layer_sizes": ["array-like",
                               Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "validation_fraction": [None, Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [None, Interval(Integral, 1, None, closed="left")],
        "n_ensemble": [Interval(Integral, 1, None, closed="left")],
        "frequency_scale": [Interval(Real, 0, None, closed="neither"), "array-like"],
        "categorical_features": [StrOptions({"from_dtype"}), None, "array-like"],
        "max_one_hot_categories": [Interval(Integral, 1, None, closed="left")],
        "categorical_embedding": [StrOptions({"onehot", "embedding"})],
        "numeric_embedding": [StrOptions({"periodic"}), None],
        "feature_scaling": ["boolean"],
        "parametrization": [StrOptions({"standard", "ntk"})],
        "learning_rate_schedule": [StrOptions(set(SCHEDULES)), None],
        "learning_rate_warmup": [Interval(Real, 0, 1, closed="left")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "dropout_schedule": [StrOptions(set(SCHEDULES)), None],
        "restore_best": [StrOptions({"validation_score", "last"})],
        "numeric_scaling": [StrOptions({"robust", "standard"}), None],
        "smooth_clip": [None, Interval(Real, 0, None, closed="neither")],
        "missing_indicator": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    # ------------------------------------------------------------------
    # the table
    def _make_encoder(self):
        return TableEncoder(
            categorical_features=self.categorical_features,
            max_one_hot=self.max_one_hot_categories,
            categorical_embedding=self.categorical_embedding,
            numeric_scaling=self.numeric_scaling,
            smooth_clip=self.smooth_clip,
            missing_indicator=self.missing_indicator,
        )

    def _check_table(self, X, reset):
        """``X`` checked as sklearn checks it (its width and column names
        against the fit's when not ``reset``): a DataFrame as it is, an
        array as a 2-D array (numeric unless some column is categorical)."""
        if is_frame(X):
            validate_data(self, X, reset=reset, skip_check_array=True)
            if X.shape[0] < 1:
                raise ValueError(
                    f"Found array with 0 sample(s) (shape={tuple(X.shape)}) "
                    "while a minimum of 1 is required.")
            return X
        numeric = reset and (self.categorical_features is None or isinstance(
            self.categorical_features, str))
        numeric = numeric or not reset and "categorical" not in self._encoder.kinds
        return validate_data(self, X, reset=reset, dtype="numeric" if numeric else None,
                             ensure_all_finite="allow-nan")

    def _encode(self, X):
        """The network's inputs for ``X`` at prediction."""
        check_is_fitted(self)
        X = self._check_table(X, reset=False)
        names = getattr(self, "feature_names_in_", None) if is_frame(X) else None
        return self._encoder.transform(X, names)

    # ------------------------------------------------------------------
    # the network
    def _hidden_layer_sizes(self):
        sizes = self.hidden_layer_sizes
        sizes = list(sizes) if hasattr(sizes, "__iter__") else [sizes]
        if any(isinstance(s, (bool, np.bool_)) or not isinstance(s, Integral)
               or s < 1 for s in sizes):
            raise ValueError(
                "hidden_layer_sizes must contain positive integers, got "
                f"{self.hidden_layer_sizes!r}.")
        return [int(s) for s in sizes]

    def _output(self, X_encoded):
        """The network's output for encoded rows, the mean of the members'
        (:attr:`members_`), computed in float64: a row's prediction is then
        the same whichever rows come with it (a float32 product's rounding
        depends on the block's shape)."""
        network = build_network(self._architecture, np.float64)
        outputs = []
        for coefs, intercepts in self.members_:
            coefs = [np.asarray(c, dtype=np.float64) for c in coefs]
            intercepts = [np.asarray(b, dtype=np.float64) for b in intercepts]
            with np.errstate(all="ignore"):
                outputs.append(predict(network, coefs, intercepts, X_encoded))
        return outputs[0] if len(outputs) == 1 else np.mean(outputs, axis=0)

    # ------------------------------------------------------------------
    # fitting
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model to the table ``X`` and the targets ``y``.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            The table: a pandas or polars DataFrame (numeric, category,
            object, string and bool columns; missing values as NaN, None or
            ``pandas.NA``) or an array (numeric unless
            ``categorical_features`` names categorical columns).
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights: finite, non-negative, not all zero.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        # a failed fit leaves the model as it was
        snapshot = training.snapshot_state(self)
        try:
            return self._fit(X, y, sample_weight)
        except BaseException:
            training.restore_state(self, snapshot)
            raise

    def _fit(self, X, y, sample_weight):
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, "
                             "but the target y is None.")
        scales = self._frequency_scales()
        X = self._check_table(X, reset=True)
        check_consistent_length(X, y)
        Y, sw = self._encode_targets(y, sample_weight, X.shape[0])
        encoder = self._make_encoder()
        names = getattr(self, "feature_names_in_", None)
        X_encoded = encoder.fit(X, names).transform(X, names).astype(_DTYPE)
        self._encoder = encoder
        self._architecture = architecture(self, encoder, Y.shape[1])
        random_state = check_random_state(self.random_state)
        members = []
        # the members draw one after another from the same random stream
        for k in range(self.n_ensemble):
            interrupted = self._fit_member(X_encoded, Y, sw, random_state,
                                           scales[k % len(scales)])
            members.append((self.coefs_, self.intercepts_))
            if k == 0:  # each member trains on a record of its own
                first_record = TrainingRecord.of(self)
            if interrupted:  # Ctrl-C ends the fit, not just this member's
                break
        first_record.publish(self)  # the training attributes: the first member's
        self.coefs_, self.intercepts_ = members[0]
        self.members_ = members
        return self

    def _frequency_scales(self):
        """``frequency_scale`` as a list of positive floats, one per member
        (cycled)."""
        scales = self.frequency_scale
        scales = list(scales) if hasattr(scales, "__iter__") else [scales]
        if not scales or any(
                isinstance(s, (bool, np.bool_)) or not isinstance(s, Real)
                or not np.isfinite(s) or s <= 0 for s in scales):
            raise ValueError(
                "frequency_scale must be a positive number or a non-empty "
                f"sequence of them, got {self.frequency_scale!r}.")
        return [float(s) for s in scales]

    def _fit_member(self, X_encoded, Y, sw, random_state, frequency_scale):
        """Train one member from new initial weights (periodic frequencies
        of spread ``frequency_scale``), as ``coefs_`` and ``intercepts_``;
        whether Ctrl-C interrupted it."""
        network = build_network(self._architecture, _DTYPE, frequency_scale)
        # the data-dependent inits (parametrization='ntk') see the rows
        flat = network.init_params(random_state, X_encoded)
        self.coefs_, self.intercepts_ = network.unpack(flat)
        config = self._fit_config(X_encoded.shape[0], network)
        self._start_record(config)
        interrupted = self._train(config, network, flat, (X_encoded, Y, sw),
                                  random_state)
        self.coefs_ = [np.array(c) for c in self.coefs_]
        self.intercepts_ = [np.array(b) for b in self.intercepts_]
        return interrupted

    def _train(self, config, network, flat, data, random_state):
        """The training loop of the drop-in estimators on ``data``; whether
        Ctrl-C ended it (the loop keeps the last completed batch)."""
        self._training_network = network
        try:
            with blas_threads("adam", [data[0].shape[1], *self._hidden_layer_sizes(),
                                       data[1].shape[1]], data[0].shape[0]), \
                    warnings.catch_warnings():
                # the epochs are a budget, not a failure to converge
                warnings.filterwarnings("ignore", message=_EPOCH_BUDGET_WARNING,
                                        category=ConvergenceWarning)
                return training.train(self, config, network, flat, data,
                                      random_state, FitTasks(self))
        finally:
            del self._training_network
            vars(self).pop("_optimizer", None)

    def _fit_config(self, n_samples, network):
        """The training loop's settings (:class:`FitConfig`) for a fit of
        ``n_samples`` rows."""
        validates = (self.validation_fraction is not None
                     and n_samples * self.validation_fraction >= MIN_VALIDATION_ROWS)
        patience = np.inf if self.n_iter_no_change is None else self.n_iter_no_change
        # train_test_split's share of the training rows
        n_train = n_samples - int(np.ceil(n_samples * self.validation_fraction)
                                  ) if validates else n_samples
        return FitConfig(
            solver="adam", incremental=False, max_iter=self.max_epochs,
            max_fun=1, tol=0.0, n_iter_no_change=patience, verbose=self.verbose,
            shuffle=True, batch_size=min(self.batch_size, n_train),
            alpha=self.alpha, alpha_scaling="dataset",
            learning_rate_init=self.learning_rate_init, early_stopping=validates,
            validates=validates,
            validation_fraction=self.validation_fraction if validates else 0.1,
            stratify=self._stratify, scoring=None,
            dropout_rates=tuple(float(self.dropout) if isinstance(layer, Dense) else 0.0
                                for layer in network.layers[:-1]),
            optimizer_class=Adam, optimizer_settings=self._adam_settings(network),
            dropout_schedule=self.dropout_schedule,
            label_smoothing=float(getattr(self, "label_smoothing", 0.0)),
            restore_best=self.restore_best if validates else "last",
        )

    def _adam_settings(self, network):
        """Adam's settings: AdamW's decay (on RealMLP-TD's 'flat_cos'
        schedule), the learning-rate schedule, the per-parameter factors."""
        return dict(
            learning_rate_init=self.learning_rate_init, beta_1=self.beta_1,
            beta_2=self.beta_2, epsilon=self.epsilon,
            weight_decay=self.weight_decay, schedule=self.learning_rate_schedule,
            warmup=self.learning_rate_warmup,
            decay_schedule="flat_cos" if self.weight_decay else None,
            lr_factors=network.per_parameter(lr_factor),
            decay_factors=network.per_parameter(decay_factor),
        )

    def _start_record(self, config):
        """The training record of a new model, published."""
        record = TrainingRecord()
        record.restart_validation(config.validates, None)
        record.publish(self)

    # the training loop's hooks (see skbackprop._training.FitHooks)
    def _validation_score(self, X, y, sample_weight):
        """The score of the best-epoch choice on the validation rows
        (encoded ``X``, decoded targets ``y``)."""
        output = predict(self._training_network, self.coefs_, self.intercepts_, X)
        if sample_weight is not None and not np.any(sample_weight):
            return np.nan
        return self._score_output(output, y, sample_weight)

    def _refuse_onnx(self):
        """:func:`skbackprop.to_onnx` asks before converting: no converter
        encodes the table yet."""
        raise NotImplementedError(
            f"to_onnx cannot export {type(self).__name__}: its table encoder "
            "(median imputation with missing indicators, robust scaling with "
            "smooth clipping, categorical codes) and its embedding layers have "
            "no ONNX converter yet. "
            "Export BackpropMLPClassifier/BackpropMLPRegressor behind a "
            "scikit-learn preprocessing Pipeline instead.")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.categorical = True
        tags.input_tags.string = True
        tags.non_deterministic = False
        return tags


class TabularMLPClassifier(ClassifierMixin, _BaseTabularMLP):
    """An MLP classifier for tables, defaults chosen for them.

    It takes a table as it comes -- a pandas or polars DataFrame with
    numeric, categorical (category, object, string, bool) and missing
    values, or an array -- and encodes it itself: numeric columns imputed
    (with a missing indicator), robustly scaled and smoothly clipped, then
    embedded (periodic features); categorical ones one-hot encoded up to 8
    categories, embedded above, a category unseen at fit (or missing)
    mapped to a reserved code.  A constant column is dropped.  The network
    (RealMLP-TD's techniques: a learned per-feature scale, NTK
    parametrisation, AdamW, a multi-cycle learning-rate schedule, dropout
    and label smoothing) is trained by skbackprop's engine on mini-batches,
    and the epoch with the best accuracy on a validation split is kept.

    Parameters
    ----------
    hidden_layer_sizes : array-like of int, default=(256, 256)
        The width of each hidden layer.
    activation : str, default='relu'
        The hidden layers' activation (the drop-in MLP's names).
    parametrization : {'ntk', 'standard'}, default='ntk'
        'ntk': RealMLP-TD's dense layers, ``z = a W / sqrt(fan_in) + b``
        with data-dependent initial weights (each unit's pre-activation of
        standard deviation 1 on the training rows) and biases (each unit's
        hyperplane through a random point of the data); 'standard': the
        drop-in MLP's layers and Glorot initialisation.
    learning_rate_init : float, default=0.04
        Adam's base step size (with 'ntk', weights of order 1 take large
        steps; with 'standard', try 2e-3).
    learning_rate_schedule : str or None, default='coslog4'
        A factor on each step's rate over ``max_epochs`` epochs of batches
        (the drop-in's schedules: 'coslog4' is RealMLP-TD's four cosine
        cycles on a log scale; 'cosine', 'linear', 'flat_cos'); None:
        constant.
    learning_rate_warmup : float, default=0.0
        The fraction of training with a linear warm-up.
    weight_decay : float, default=0.02
        Decoupled weight decay (AdamW), on RealMLP-TD's 'flat_cos' schedule
        (full for the first half of training, then down to 0); the dense
        layers' biases are not decayed.  The per-feature scale learns 6
        times faster than the base rate, the periodic embeddings and the
        biases 10 times slower (RealMLP-TD's factors).
    batch_size : int, default=256
        Rows per mini-batch (clipped to the training rows).
    max_epochs : int, default=64
        Epochs trained (fewer with ``n_iter_no_change``).
    alpha : float, default=0.0
        Strength of an L2 penalty on the weights (divided by the training
        set's total weight, as the drop-in's ``alpha_scaling='dataset'``).
    dropout : float, default=0.15
        Dropout rate of every hidden layer.
    dropout_schedule : str or None, default='flat_cos'
        A factor on the dropout rate per epoch (a schedule's name, as
        ``learning_rate_schedule``); None: constant.
    beta_1, beta_2, epsilon : float, default=0.9, 0.95, 1e-8
        Adam's moment decays and its denominator's guard (RealMLP-TD's
        ``beta_2=0.95`` forgets old gradients sooner than Adam's 0.999).
    label_smoothing : float, default=0.1
        Targets ``y (1 - eps) + eps / n_classes``.
    validation_fraction : float or None, default=0.2
        The share of the rows held out (stratified) to choose the best
        epoch by accuracy; None, or a split of fewer than 10 rows: every
        row trains and the last epoch is kept.
    n_iter_no_change : int or None, default=None
        Stop after this many epochs without a better validation score;
        None: train ``max_epochs`` epochs (the schedules end there).
    restore_best : {'validation_score', 'last'}, default='validation_score'
        Keep the epoch of the best validation score, or the last one.
    n_ensemble : int, default=2
        Members trained one after another, each from its own initial
        weights, validation split, shuffles and dropout masks (drawn in turn
        from ``random_state``); the prediction averages their outputs
        (class probabilities; standardised targets).  Each member costs a
        fit.
    frequency_scale : float or sequence of float, default=(0.1, 2.0)
        The standard deviation of the periodic embeddings' initial
        frequencies (of the scaled numeric values); a sequence gives the
        members theirs in turn (cycled).  A small scale gives smooth
        functions of each column (RealMLP-TD's 0.1), a large one resolves
        fine steps, as a tree's splits do: the default pairs one member of
        each, and on the development corpus their average does better than
        two members of the small scale (``benchmarks/README.md``).
    categorical_features : 'from_dtype', None, array-like, default='from_dtype'
        Which columns are categorical, as HistGradientBoosting's parameter:
        'from_dtype' those of a DataFrame with a category, object, string
        or bool dtype (an array's columns are numeric); a boolean mask,
        integer indices or column names: those (and any non-numeric
        column).
    max_one_hot_categories : int, default=8
        Categorical columns with at most this many categories are one-hot
        encoded, larger ones embedded.
    categorical_embedding : {'embedding', 'onehot'}, default='embedding'
        How larger categorical columns enter the network: a learned
        embedding of 8 values per category (a missing or unseen category
        has its own), or one-hot.
    numeric_embedding : {'periodic'} or None, default='periodic'
        'periodic': each numeric column also enters as 3 values learned from
        16 periodic features ``cos(2 pi w x + b)`` (RealMLP-TD's PBLD);
        None: as it is.
    feature_scaling : bool, default=True
        A learned scale per input of the first dense layer.
    numeric_scaling : {'robust', 'standard'} or None, default='robust'
        Centre numeric columns on their median and divide by their
        interquartile range ('standard': mean and standard deviation);
        None: leave them as they are.
    smooth_clip : float or None, default=3.0
        Numeric values ``u`` (after scaling) become ``u / sqrt(1 + (u/c)^2)``,
        within ``+-c``; None: not clipped.
    missing_indicator : bool, default=True
        Add a 0/1 column for each numeric column with missing values at fit.
    class_weight : dict, 'balanced' or None, default=None
        Weights of the classes, multiplied into the sample weights.
    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights, the validation split and the shuffles.
    verbose : bool, default=False
        Print each epoch's loss (and validation score).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    n_features_in_ : int
        The number of columns of ``X`` at fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Defined when ``X`` has column names.
    coefs_, intercepts_ : list of ndarray
        The first member's weights and biases, layer by layer.
    members_ : list of tuple
        ``(coefs, intercepts)`` of every member (the first is ``(coefs_,
        intercepts_)``).
    n_iter_ : int
        Epochs trained (by the first member, as the other training
        attributes).
    loss_curve_ : list of float
        The training loss of each epoch.
    validation_scores_ : list of float or None
        The validation accuracy of each epoch (None without a split).
    best_validation_score_ : float or None
        The best of ``validation_scores_``: the kept epoch's.

    See Also
    --------
    TabularMLPRegressor : The regressor.
    BackpropMLPClassifier : The drop-in for scikit-learn's MLP.
    sklearn.ensemble.HistGradientBoostingClassifier : Boosted trees.

    Examples
    --------
    >>> import pandas as pd
    >>> from skbackprop import TabularMLPClassifier
    >>> X = pd.DataFrame({"x": [0.1, 0.5, None, 2.0] * 10,
    ...                   "colour": ["red", "blue", "red", None] * 10})
    >>> y = [0, 1, 0, 1] * 10
    >>> clf = TabularMLPClassifier(random_state=0).fit(X, y)
    >>> clf.score(X, y)
    1.0
    """

    _parameter_constraints: dict = {
        **_BaseTabularMLP._parameter_constraints,
        "class_weight": [StrOptions({"balanced"}), dict, None],
        "label_smoothing": [Interval(Real, 0, 1, closed="left")],
    }
    _loss = "log_loss"
    _stratify = "labels-else-no"

    def __init__(self, hidden_layer_sizes=(256, 256), activation="relu", *,
                 parametrization="ntk", learning_rate_init=0.04,
                 learning_rate_schedule="coslog4", learning_rate_warmup=0.0,
                 weight_decay=0.02, batch_size=256, max_epochs=64, alpha=0.0,
                 dropout=0.15, dropout_schedule="flat_cos", beta_1=0.9,
                 beta_2=0.95, epsilon=1e-8, label_smoothing=0.1,
                 validation_fraction=0.2,
                 n_iter_no_change=None, restore_best="validation_score",
                 n_ensemble=N_ENSEMBLE, frequency_scale=FREQUENCY_SCALE,
                 categorical_features="from_dtype",
                 max_one_hot_categories=8,
                 categorical_embedding="embedding", numeric_embedding="periodic",
                 feature_scaling=True, numeric_scaling="robust", smooth_clip=3.0,
                 missing_indicator=True, class_weight=None,
                 random_state=None, verbose=False):
        store_parameters(self, locals())

    def _encode_targets(self, y, sample_weight, n_samples):
        """One-hot targets (uint8) and the combined sample and class
        weights; sets ``classes_``."""
        check_no_missing_labels(y)
        y = _check_y(y, estimator=self)
        check_classification_targets(y)
        self.classes_, codes = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(
                "The classifier needs samples of at least 2 classes in the "
                "data, but the data contains only one class: "
                f"{self.classes_[0]!r}.")
        sw = check_sample_weight(sample_weight, n_samples)
        if self.class_weight is not None:
            check_class_weight(self.class_weight)
            cw = class_sample_weight(self.class_weight, y, sw)
            sw = cw if sw is None else sw * cw
            if not sw.any():
                raise ValueError(
                    "class_weight and sample_weight give every sample zero weight.")
        Y = np.zeros((n_samples, len(self.classes_)), dtype=np.uint8)
        Y[np.arange(n_samples), codes] = 1
        return Y, finalize_weights(sw, _DTYPE)

    def _decode(self, Y):
        """One-hot targets back to class indices (the validation score
        compares indices)."""
        return np.asarray(Y).argmax(axis=1)

    def _score_output(self, output, y, sample_weight):
        return float(np.average(output.argmax(axis=1) == y, weights=sample_weight))

    def predict_proba(self, X):
        """Probability of each class.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            The table, with the columns of the fit.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``.
        """
        return self._output(self._encode(X))

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X):
        """The most probable class of each row.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,)
        """
        output = self._output(self._encode(X))
        return self.classes_[output.argmax(axis=1)]


class TabularMLPRegressor(RegressorMixin, _BaseTabularMLP):
    """An MLP regressor for tables, defaults chosen for them.

    The table is encoded as :class:`TabularMLPClassifier` encodes it; the
    targets are standardised (each output to weighted mean 0 and standard
    deviation 1) for training and mapped back at prediction; the network
    minimises the squared error, and the epoch with the lowest validation
    error is kept.

    Parameters
    ----------
    hidden_layer_sizes, activation, parametrization, learning_rate_init, \
learning_rate_schedule, learning_rate_warmup, weight_decay, batch_size, \
max_epochs, alpha, dropout, dropout_schedule, beta_1, beta_2, epsilon, \
validation_fraction, n_iter_no_change, restore_best, n_ensemble, frequency_scale, \
categorical_features, \
max_one_hot_categories, categorical_embedding, numeric_embedding, \
feature_scaling, numeric_scaling, smooth_clip, missing_indicator, \
random_state, verbose
        As :class:`TabularMLPClassifier`'s, with the same defaults; the
        best epoch is the one of the lowest mean squared error on the
        validation split (not stratified).

    Attributes
    ----------
    n_features_in_ : int
        The number of columns of ``X`` at fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Defined when ``X`` has column names.
    n_outputs_ : int
        The number of targets.
    y_mean_, y_scale_ : ndarray of shape (`n_outputs_`,)
        The targets' standardisation.
    coefs_, intercepts_, members_, n_iter_, loss_curve_
        As :class:`TabularMLPClassifier`'s.
    validation_scores_ : list of float or None
        Minus the mean squared error of the standardised targets on the
        validation split, per epoch.

    See Also
    --------
    TabularMLPClassifier : The classifier.
    BackpropMLPRegressor : The drop-in for scikit-learn's MLP.

    Examples
    --------
    >>> import numpy as np
    >>> from skbackprop import TabularMLPRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 3))
    >>> y = 3 * X[:, 0] - X[:, 1] ** 2
    >>> reg = TabularMLPRegressor(random_state=0).fit(X, y)
    >>> reg.score(X, y) > 0.9
    True
    """

    _loss = "squared_error"
    _stratify = "no"

    def __init__(self, hidden_layer_sizes=(256, 256), activation="relu", *,
                 parametrization="ntk", learning_rate_init=0.04,
                 learning_rate_schedule="coslog4", learning_rate_warmup=0.0,
                 weight_decay=0.02, batch_size=256, max_epochs=64, alpha=0.0,
                 dropout=0.15, dropout_schedule="flat_cos", beta_1=0.9,
                 beta_2=0.95, epsilon=1e-8, validation_fraction=0.2,
                 n_iter_no_change=None, restore_best="validation_score",
                 n_ensemble=N_ENSEMBLE, frequency_scale=FREQUENCY_SCALE,
                 categorical_features="from_dtype",
                 max_one_hot_categories=8,
                 categorical_embedding="embedding", numeric_embedding="periodic",
                 feature_scaling=True, numeric_scaling="robust", smooth_clip=3.0,
                 missing_indicator=True, random_state=None, verbose=False):
        store_parameters(self, locals())

    def _encode_targets(self, y, sample_weight, n_samples):
        """Standardised 2-D targets and the sample weights; sets
        ``n_outputs_``, ``y_mean_``, ``y_scale_``."""
        y = _check_y(y, multi_output=True, y_numeric=True, estimator=self)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        self._y_1d = y.ndim == 1
        Y = np.asarray(y, dtype=np.float64).reshape(n_samples, -1)
        sw = check_sample_weight(sample_weight, n_samples)
        self.n_outputs_ = Y.shape[1]
        self.y_mean_ = np.average(Y, axis=0, weights=sw)
        spread = np.sqrt(np.average((Y - self.y_mean_) ** 2, axis=0, weights=sw))
        self.y_scale_ = np.where(spread > 0, spread, 1.0)
        with np.errstate(over="ignore"):
            Y = ((Y - self.y_mean_) / self.y_scale_).astype(_DTYPE)
        return Y, finalize_weights(sw, _DTYPE)

    def _decode(self, Y):
        return Y

    def _score_output(self, output, y, sample_weight):
        errors = np.square(output.astype(np.float64) - y).sum(axis=1)
        return -float(np.average(errors, weights=sample_weight))

    def predict(self, X):
        """The predicted targets.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            The table, with the columns of the fit.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        """
        y = self._output(self._encode(X)) * self.y_scale_ + self.y_mean_
        return y.ravel() if self._y_1d else y

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
