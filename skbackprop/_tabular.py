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
clipping, a validation split on which the best epoch is kept, Adam with
``beta_2=0.95``, mini-batches of 256 rows; regression targets are
standardised inside.

Wiring points for the techniques still to come (each a parameter, so an
ablation can switch it off): the network is built by
:meth:`_BaseTabularMLP._build_network`, the optimizer's settings by
:meth:`_BaseTabularMLP._fit_config`, the input encoding by
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
from ._engine import ACTIVATIONS, Adam, Network, predict
from ._fit_state import FitConfig, TrainingRecord
from ._table import TableEncoder, is_frame
from ._validation import (
    check_class_weight,
    check_no_missing_labels,
    check_sample_weight,
    class_sample_weight,
    finalize_weights,
)

__all__ = ["TabularMLPClassifier", "TabularMLPRegressor"]

# the network trains in float32: half the memory traffic of float64, and
# the table's encoding leaves nothing that float32 cannot resolve
_DTYPE = np.float32

# the fewest validation rows for which the best epoch is chosen on a split;
# with fewer, every row trains and the last epoch is kept
MIN_VALIDATION_ROWS = 10

_EPOCH_BUDGET_WARNING = "Stochastic Optimizer: Maximum iterations"


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
        "categorical_features": [StrOptions({"from_dtype"}), None, "array-like"],
        "max_one_hot_categories": [Interval(Integral, 1, None, closed="left")],
        "categorical_embedding": [StrOptions({"onehot"})],
        "numeric_scaling": [StrOptions({"robust"}), None],
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

    def _build_network(self, n_inputs, n_outputs):
        """The network to train (its parameters not yet drawn)."""
        units = [n_inputs, *self._hidden_layer_sizes(), n_outputs]
        return Network(units, self.activation, self._loss, _DTYPE)

    def _output(self, X_encoded):
        """The network's output for encoded rows, computed in float64: a
        row's prediction is then the same whichever rows come with it (a
        float32 product's rounding depends on the block's shape)."""
        units = [self.coefs_[0].shape[0], *(c.shape[1] for c in self.coefs_)]
        network = Network(units, self.activation, self._loss, np.float64)
        coefs = [np.asarray(c, dtype=np.float64) for c in self.coefs_]
        intercepts = [np.asarray(b, dtype=np.float64) for b in self.intercepts_]
        with np.errstate(all="ignore"):
            return predict(network, coefs, intercepts, X_encoded)

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
        X = self._check_table(X, reset=True)
        check_consistent_length(X, y)
        hidden = self._hidden_layer_sizes()
        Y, sw = self._encode_targets(y, sample_weight, X.shape[0])
        encoder = self._make_encoder()
        names = getattr(self, "feature_names_in_", None)
        X_encoded = encoder.fit(X, names).transform(X, names).astype(_DTYPE)
        self._encoder = encoder
        random_state = check_random_state(self.random_state)
        network = self._build_network(X_encoded.shape[1], Y.shape[1])
        flat = network.init_params(random_state)
        self.coefs_, self.intercepts_ = network.unpack(flat)
        config = self._fit_config(X.shape[0], len(hidden))
        self._start_record(config)
        self._training_network = network
        try:
            with blas_threads("adam", network.layer_units, X.shape[0]), \
                    warnings.catch_warnings():
                # the epochs are a budget, not a failure to converge
                warnings.filterwarnings("ignore", message=_EPOCH_BUDGET_WARNING,
                                        category=ConvergenceWarning)
                training.train(self, config, network, flat, (X_encoded, Y, sw),
                               random_state, FitTasks(self))
        finally:
            del self._training_network
            vars(self).pop("_optimizer", None)
        self.coefs_ = [np.array(c) for c in self.coefs_]
        self.intercepts_ = [np.array(b) for b in self.intercepts_]
        return self

    def _fit_config(self, n_samples, n_hidden):
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
            dropout_rates=(float(self.dropout),) * n_hidden,
            optimizer_class=Adam,
            optimizer_settings=dict(
                learning_rate_init=self.learning_rate_init, beta_1=self.beta_1,
                beta_2=self.beta_2, epsilon=self.epsilon),
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
            "smooth clipping, one-hot categories) has no ONNX converter yet. "
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
    (with a missing indicator), robustly scaled and smoothly clipped;
    categorical ones one-hot encoded, a category unseen at fit (or missing)
    mapped to an all-zero row.  A constant column is dropped.  The network
    is trained by skbackprop's engine with Adam on mini-batches, and the
    epoch with the best accuracy on a validation split is kept.

    Parameters
    ----------
    hidden_layer_sizes : array-like of int, default=(128, 128)
        The width of each hidden layer.
    activation : str, default='relu'
        The hidden layers' activation (the drop-in MLP's names).
    learning_rate_init : float, default=2e-3
        Adam's step size.
    batch_size : int, default=256
        Rows per mini-batch (clipped to the training rows).
    max_epochs : int, default=100
        The most epochs trained.
    alpha : float, default=0.0
        Strength of an L2 penalty on the weights (divided by the training
        set's total weight, as the drop-in's ``alpha_scaling='dataset'``).
    dropout : float, default=0.0
        Dropout rate of every hidden layer.
    beta_1, beta_2, epsilon : float, default=0.9, 0.95, 1e-8
        Adam's moment decays and its denominator's guard (RealMLP-TD's
        ``beta_2=0.95`` forgets old gradients sooner than Adam's 0.999).
    validation_fraction : float or None, default=0.2
        The share of the rows held out (stratified) to choose the best
        epoch by accuracy; None, or a split of fewer than 10 rows: every
        row trains and the last epoch is kept.
    n_iter_no_change : int or None, default=20
        Training stops after this many epochs without a better validation
        score (the best epoch is kept); None: ``max_epochs`` always.
    categorical_features : 'from_dtype', None, array-like, default='from_dtype'
        Which columns are categorical, as HistGradientBoosting's parameter:
        'from_dtype' those of a DataFrame with a category, object, string
        or bool dtype (an array's columns are numeric); a boolean mask,
        integer indices or column names: those (and any non-numeric
        column).
    max_one_hot_categories : int, default=8
        Categorical columns with at most this many categories are one-hot
        encoded.
    categorical_embedding : {'onehot'}, default='onehot'
        How larger categorical columns enter the network: one-hot as well.
    numeric_scaling : {'robust'} or None, default='robust'
        Centre numeric columns on their median and divide by their
        interquartile range; None: leave them as they are.
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
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Defined when ``X`` has column names.
    coefs_, intercepts_ : list of ndarray
        The network's weights and biases, layer by layer.
    n_iter_ : int
        Epochs trained.
    loss_curve_ : list of float
        The training loss of each epoch.
    validation_scores_ : list of float or None
        The validation accuracy of each epoch (None without a split).
    best_validation_score_ : float or None

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
    }
    _loss = "log_loss"
    _stratify = "labels-else-no"

    def __init__(self, hidden_layer_sizes=(128, 128), activation="relu", *,
                 learning_rate_init=2e-3, batch_size=256, max_epochs=100,
                 alpha=0.0, dropout=0.0, beta_1=0.9, beta_2=0.95, epsilon=1e-8,
                 validation_fraction=0.2, n_iter_no_change=20,
                 categorical_features="from_dtype", max_one_hot_categories=8,
                 categorical_embedding="onehot", numeric_scaling="robust",
                 smooth_clip=3.0, missing_indicator=True, class_weight=None,
                 random_state=None, verbose=False):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.learning_rate_init = learning_rate_init
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.alpha = alpha
        self.dropout = dropout
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.categorical_features = categorical_features
        self.max_one_hot_categories = max_one_hot_categories
        self.categorical_embedding = categorical_embedding
        self.numeric_scaling = numeric_scaling
        self.smooth_clip = smooth_clip
        self.missing_indicator = missing_indicator
        self.class_weight = class_weight
        self.random_state = random_state
        self.verbose = verbose

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
    hidden_layer_sizes : array-like of int, default=(128, 128)
        The width of each hidden layer.
    activation : str, default='relu'
        The hidden layers' activation.
    learning_rate_init : float, default=2e-3
        Adam's step size.
    batch_size : int, default=256
        Rows per mini-batch (clipped to the training rows).
    max_epochs : int, default=100
        The most epochs trained.
    alpha : float, default=0.0
        Strength of an L2 penalty on the weights.
    dropout : float, default=0.0
        Dropout rate of every hidden layer.
    beta_1, beta_2, epsilon : float, default=0.9, 0.95, 1e-8
        Adam's settings.
    validation_fraction : float or None, default=0.2
        The share of the rows held out to choose the best epoch by mean
        squared error; None, or a split of fewer than 10 rows: every row
        trains and the last epoch is kept.
    n_iter_no_change : int or None, default=20
        Training stops after this many epochs without a better validation
        score; None: ``max_epochs`` always.
    categorical_features : 'from_dtype', None, array-like, default='from_dtype'
        Which columns are categorical (see :class:`TabularMLPClassifier`).
    max_one_hot_categories : int, default=8
    categorical_embedding : {'onehot'}, default='onehot'
    numeric_scaling : {'robust'} or None, default='robust'
    smooth_clip : float or None, default=3.0
    missing_indicator : bool, default=True
        As :class:`TabularMLPClassifier`'s.
    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights, the validation split and the shuffles.
    verbose : bool, default=False
        Print each epoch's loss (and validation score).

    Attributes
    ----------
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Defined when ``X`` has column names.
    n_outputs_ : int
    y_mean_, y_scale_ : ndarray of shape (n_outputs_,)
        The targets' standardisation.
    coefs_, intercepts_ : list of ndarray
    n_iter_ : int
    loss_curve_ : list of float
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

    def __init__(self, hidden_layer_sizes=(128, 128), activation="relu", *,
                 learning_rate_init=2e-3, batch_size=256, max_epochs=100,
                 alpha=0.0, dropout=0.0, beta_1=0.9, beta_2=0.95, epsilon=1e-8,
                 validation_fraction=0.2, n_iter_no_change=20,
                 categorical_features="from_dtype", max_one_hot_categories=8,
                 categorical_embedding="onehot", numeric_scaling="robust",
                 smooth_clip=3.0, missing_indicator=True, random_state=None,
                 verbose=False):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.learning_rate_init = learning_rate_init
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.alpha = alpha
        self.dropout = dropout
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.categorical_features = categorical_features
        self.max_one_hot_categories = max_one_hot_categories
        self.categorical_embedding = categorical_embedding
        self.numeric_scaling = numeric_scaling
        self.smooth_clip = smooth_clip
        self.missing_indicator = missing_indicator
        self.random_state = random_state
        self.verbose = verbose

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
