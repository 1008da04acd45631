"""scikit-learn estimators around the backpropagation engine.

This module is the thin sklearn shell: parameters, input validation, label
encoding and fitted attributes.  A fit's settings and record are objects of
:mod:`skbackprop._fit_state`; the epoch loop and rollback live in
:mod:`skbackprop._training`, the stopping rules (early stopping among them)
in :mod:`skbackprop._stopping_rules`; the mathematics in
:mod:`skbackprop._engine`.
"""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    RegressorMixin,
    _fit_context,
    is_classifier,
)
from sklearn.metrics import accuracy_score, r2_score
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import check_random_state, column_or_1d
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import (
    check_classification_targets,
    type_of_target,
    unique_labels,
)
from sklearn.utils.validation import (
    assert_all_finite,
    validate_data,
)

from . import _array_api as array_api
from . import _dask_fit as dask_fit
from . import _params_beyond_sklearn as beyond_sklearn
from . import _training as training
from ._blas_threads import blas_threads
from ._callbacks import CallbackSupportMixin, FitTasks, init_callback_context
from ._docstrings import (
    ALPHA_SCALING_DOC,
    LABEL_SMOOTHING_DOC,
    SHARED_ATTRS_DOC,
    SHARED_PARAMS_DOC,
    TRAINING_OPTIONS_DOC,
    score_doc,
)
from ._engine import ACTIVATIONS, SCHEDULES, Network, get_loss
from ._fit_state import STOCHASTIC_SOLVERS, FitConfig, TrainingRecord
from ._one_fit_at_a_time import guarded
from ._persistence import load_state
from ._predict import PredictMixin
from ._validation import (
    cast_targets,
    check_class_weight,
    check_no_missing_labels,
    check_sample_weight,
    class_sample_weight,
    finalize_weights,
    store_parameters,
)

__all__ = ["BackpropMLPClassifier", "BackpropMLPRegressor"]


class _BaseBackpropMLP(PredictMixin, CallbackSupportMixin, BaseEstimator):
    """Shared implementation of the classifier and the regressor."""

    _parameter_constraints: dict = {
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        # a sequence: one name per hidden layer (checked at fit)
        "activation": [StrOptions(set(ACTIVATIONS)), "array-like"],
        "solver": [StrOptions({"lbfgs", "sgd", "adam"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [
            Interval(Integral, 1, None, closed="left"),
            Options(Real, {np.inf}),
        ],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "alpha_scaling": [StrOptions({"dataset", "batch"})],
        # a sequence: one rate per hidden layer (checked at fit)
        "dropout": [Interval(Real, 0, 1, closed="left"), "array-like"],
        "scoring": [None, str, callable],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "learning_rate_schedule": [None, StrOptions(set(SCHEDULES))],
        "learning_rate_warmup": [Interval(Real, 0, 1, closed="left")],
        "dropout_schedule": [None, StrOptions(set(SCHEDULES))],
        "restore_best": [StrOptions({"auto", "validation_score",
                                     "training_loss", "last"})],
    }

    # ------------------------------------------------------------------
    # helpers
    def _hidden_layer_sizes(self):
        sizes = self.hidden_layer_sizes
        if not hasattr(sizes, "__iter__"):
            sizes = [sizes]
        sizes = list(sizes)
        for s in sizes:
            if isinstance(s, (bool, np.bool_)) or not isinstance(s, Integral):
                raise ValueError(
                    "hidden_layer_sizes must contain positive integers, got "
                    f"{self.hidden_layer_sizes!r}."
                )
        if any(s <= 0 for s in sizes):
            raise ValueError(f"hidden_layer_sizes must be > 0, got {sizes}.")
        return [int(s) for s in sizes]

    def _network(self, layer_units=None, dtype=None):
        if layer_units is None:
            layer_units = [self.coefs_[0].shape[0]] + [
                c.shape[1] for c in self.coefs_
            ]
        if dtype is None:
            dtype = array_api.host_dtype(self.coefs_[0])
        loss = get_loss(out_activation=self.out_activation_)
        return Network(layer_units, self.activation, loss.name, dtype)

    def _validate_input(self, X, y, sample_weight, incremental, reset):
        """``(X, Y, sample_weight)`` as the engine takes them: float X, the
        encoded targets ``Y`` (2-D), the combined sample and class weights
        in X's dtype (None when all are one).  A continuing fit
        (``reset=False``) casts X to the model's dtype."""
        if is_classifier(self):
            check_no_missing_labels(array_api.to_host(y))
        ns = array_api.namespace_of(X)
        X, y, sample_weight = array_api.detached(ns, X, y, sample_weight)
        X, y = validate_data(
            self, X, y, accept_sparse=["csr", "csc"], multi_output=True,
            y_numeric=not is_classifier(self),
            dtype=array_api.input_dtypes(self, ns, reset), reset=reset,
        )
        # targets and weights are checked and encoded on the host; device
        # arrays get the encoded result, once
        y, sample_weight = array_api.to_host(y), array_api.to_host(sample_weight)
        Y, sw = self._encoded_targets(y, sample_weight, X.shape[0],
                                      array_api.host_dtype(X), incremental)
        return X, array_api.from_host(ns, Y, X.dtype), array_api.from_host(ns, sw)

    def _encoded_targets(self, y, sample_weight, n_samples, dtype, incremental):
        """``(Y, sample_weight)`` of checked host targets and weights: the
        encoded 2-D targets and the combined sample and class weights in
        ``dtype`` (None when all are one)."""
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        Y = self._encode_targets(y, dtype, incremental)
        sw = check_sample_weight(sample_weight, n_samples)
        return Y, finalize_weights(self._weight_classes(y, sw, incremental), dtype)

    def _weight_classes(self, y, sw, incremental):
        """The sample weights times the class weights (classifier only)."""
        return sw

    # ------------------------------------------------------------------
    # initialisation
    def _initialize(self, Y, layer_units, dtype, random_state):
        self._reset_training_state(Y, layer_units)
        network = self._network(layer_units, dtype)
        flat = network.init_params(random_state)
        self.coefs_, self.intercepts_ = network.unpack(flat)
        return network, flat

    def _reset_training_state(self, Y, layer_units):
        """The fitted attributes of a model that has not trained yet."""
        self.n_outputs_ = Y.shape[1]
        self.n_layers_ = len(layer_units)
        self.out_activation_ = self._output_activation()
        record = TrainingRecord.of(self)
        record.n_iter, record.t, record.loss_curve = 0, 0, []
        record.publish(self)
        self._reset_validation_state(incremental=False)
        if hasattr(self, "_optimizer"):
            del self._optimizer

    def _reset_validation_state(self, incremental):
        """The best-loss / validation attributes for this fit's mode (with
        early stopping or without), as a new model has them."""
        record = TrainingRecord.of(self)
        record.restart_validation(
            training.makes_validation_split(self.solver, self.early_stopping,
                                            incremental),
            beyond_sklearn.scoring_key(self.scoring),
        )
        record.publish(self)

    def _pack_current(self, network):
        """Copy ``coefs_``/``intercepts_`` (possibly set by the user) into a
        fresh flat buffer, checking they match the architecture."""
        if not hasattr(self, "intercepts_"):
            raise ValueError(
                "coefs_ is set but intercepts_ is not: set both to start "
                "from given weights, or neither to train a new network."
            )
        coefs = [array_api.to_host(c) for c in self.coefs_]
        intercepts = [array_api.to_host(b) for b in self.intercepts_]
        expected = network.coef_shapes
        expected_b = [(s[1],) for s in expected]
        got = [np.shape(c) for c in coefs]
        got_b = [np.shape(b) for b in intercepts]
        if got != expected or got_b != expected_b:
            raise ValueError(
                "The shapes of coefs_/intercepts_ do not match the network "
                f"implied by the data and hidden_layer_sizes: expected coefs_ "
                f"shapes {expected} and intercepts_ shapes {expected_b}, got "
                f"{got} and {got_b}. Use warm_start=False to train a new "
                "network."
            )
        flat = network.pack(coefs, intercepts)
        if not np.isfinite(flat).all():
            raise ValueError(
                "coefs_ or intercepts_ contain NaN or infinity: training "
                "cannot continue from them. Use warm_start=False to train a "
                "new network."
            )
        return flat

    def _adopt_changed_settings(self, incremental):
        """Settings changed since the last fit take effect when training
        continues: the loss (``out_activation_`` follows it),
        early_stopping and the validation metric (``scoring``): the
        validation history starts over, as in a new model."""
        out_activation = self._output_activation()
        validates = training.makes_validation_split(self.solver, self.early_stopping,
                                           incremental)
        scores = getattr(self, "validation_scores_", None)
        metric = beyond_sklearn.scoring_key(self.scoring)
        # a model saved before the metric was recorded: assume this one
        other_metric = getattr(self, "_validation_scoring", metric) != metric
        if (out_activation != self.out_activation_
                or validates != (scores is not None)
                or validates and other_metric):
            self.out_activation_ = out_activation
            self._reset_validation_state(incremental)
        elif validates:
            self._validation_scoring = metric

    # ------------------------------------------------------------------
    # persistence: the pickled state holds only strings, numbers and arrays
    # (no engine objects), so ``skops.io.load`` needs to trust nothing but
    # the estimator class itself.
    # A model fitted on another namespace's arrays is stored as numpy (it
    # loads anywhere); a deep copy keeps its arrays where they are.
    def __getstate__(self):
        state = super().__getstate__()
        opt = state.get("_optimizer")
        if opt is not None and not isinstance(opt, dict):
            state = dict(state, _optimizer=opt.get_state())
        return array_api.host_state(state)

    def __setstate__(self, state):
        # validated here, at load time (pickle, joblib, skops), so that a
        # foreign or damaged state fails with a clear error now, not later
        super().__setstate__(load_state(type(self), state))

    # ------------------------------------------------------------------
    # fitting
    def _fit(self, X, y, sample_weight=None, incremental=False):
        hidden = self._hidden_layer_sizes()
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        beyond_sklearn.check_params_beyond_sklearn(self, len(hidden))
        if not hasattr(self, "coefs_") or not (self.warm_start or incremental):
            start = "new"  # new weights
        elif not hasattr(self, "n_outputs_"):
            start = "given"  # coefs_/intercepts_ set by hand, never fitted
        else:
            start = "continue"
            array_api.check_continuing_namespace(self, X, incremental)
        # Created before the snapshot so that teardown still finds it when a
        # failed fit restores the old state.
        init_callback_context(self, self._max_callback_subtasks(incremental))
        # a failed fit must not leave a half-updated model behind
        snapshot = training.snapshot_state(self)
        try:
            return self._fit_inner(X, y, sample_weight, incremental, hidden, start)
        except BaseException:
            training.restore_state(self, snapshot)
            raise

    def _max_callback_subtasks(self, incremental):
        """sklearn.callback: one subtask per epoch, per L-BFGS iteration
        (plus the one L-BFGS opens but never runs), one per partial_fit."""
        if incremental:
            return 1
        if self.solver == "lbfgs":
            return max(self.max_iter, 1) + 1
        return self.max_iter

    def _fit_inner(self, X, y, sample_weight, incremental, hidden, start):
        if dask_fit.is_dask_collection(X):  # data-parallel, on the workers
            return dask_fit.fit(self, X, y, sample_weight, incremental, hidden, start)
        X, Y, sw = self._validate_input(
            X, y, sample_weight, incremental, reset=start != "continue"
        )
        # one stream for the initial weights, then the split and shuffles
        random_state = check_random_state(self.random_state)
        network, flat = self._parameters(
            X, Y, hidden, start, incremental, random_state
        )
        ns = array_api.namespace_of(X)
        if ns is not None:  # the fit runs on X's device
            flat = ns.asarray(flat, dtype=X.dtype)
            self.coefs_, self.intercepts_ = self._device_views(ns, network, flat)
        # the targets are decoded only if a callback asks for them
        tasks = FitTasks(
            self, X, lambda: self._decode(Y),
            None if sample_weight is None else {"sample_weight": sw},
        )
        tasks.begin_fit()
        config = FitConfig.from_estimator(self, len(hidden), incremental)
        with blas_threads(self.solver, network.layer_units, Y.shape[0]):
            training.train(self, config, network, flat, (X, Y, sw), random_state,
                           tasks, ns)
        if not np.isfinite(array_api.to_host(flat)).all():  # pragma: no cover
            raise ValueError(training.SKLEARN_NON_FINITE)
        tasks.end_fit()
        return self

    def _parameters(self, X, Y, hidden, start, incremental, random_state):
        """The network and its flat parameter buffer, whose views become
        ``coefs_``/``intercepts_``: new weights (``start="new"``), or a copy
        of the current ones, fitted or set by hand (``"continue"``,
        ``"given"``; the old arrays stay intact for the restore after a
        failed fit)."""
        layer_units = [X.shape[1], *hidden, Y.shape[1]]
        dtype = array_api.host_dtype(X)
        if start == "new":
            return self._initialize(Y, layer_units, dtype, random_state)
        if start == "given":
            self._reset_training_state(Y, layer_units)
        elif Y.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {Y.shape[1]} outputs but the model was fitted with "
                f"{self.n_outputs_}; use warm_start=False to train a new network."
            )
        else:
            self._adopt_changed_settings(incremental)
        network = self._network(layer_units, dtype)
        flat = self._pack_current(network)
        self.coefs_, self.intercepts_ = network.unpack(flat)
        return network, flat

    @staticmethod
    def _device_views(ns, network, flat):
        """Per-layer views of a device buffer (the engine's layout)."""
        coefs = [
            ns.xp.reshape(flat[sl], shape)
            for sl, shape in zip(network.coef_slices, network.coef_shapes)
        ]
        return coefs, [flat[sl] for sl in network.intercept_slices]

    # ------------------------------------------------------------------
    # public API shared by both estimators
    @guarded
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model to data matrix X and target(s) y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values (class labels in classification, real numbers
            in regression).
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights: finite, non-negative, not all zero.  A
            mini-batch whose weights (times the class weights) are all zero
            contributes nothing and does not step the optimizer; ``t_``
            still counts its samples.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=False)

    def _check_solver(self):
        if self.solver not in STOCHASTIC_SOLVERS:
            raise AttributeError(
                "partial_fit is only available for stochastic"
                " optimizers. %s is not stochastic." % self.solver
            )
        return True

    def _validation_score(self, X, y, sample_weight):
        """Early stopping's score on the validation split: ``scoring``, or
        accuracy / R^2 by default."""
        if self.scoring is None:
            return self._score(X, y, sample_weight=sample_weight)
        return beyond_sklearn.scorer_validation_score(self, X, y, sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.array_api_support = array_api.SUPPORTED
        return tags


# predict, predict_proba, predict_log_proba and score of a dask collection
# run blockwise on its chunks (lazily, but for score)
@dask_fit.blockwise_on_dask_collections
class BackpropMLPClassifier(ClassifierMixin, _BaseBackpropMLP):
    __doc__ = (
        """Multi-layer perceptron classifier trained by backpropagation.

    A drop-in replacement for :class:`sklearn.neural_network.MLPClassifier`
    (same parameters, defaults and fitted attributes) whose training engine
    is written from scratch in numpy, with ``class_weight`` and more
    activations.

    Parameters
    ----------"""
        + SHARED_PARAMS_DOC
        + """
    class_weight : dict, 'balanced' or None, default=None
        Weights associated with classes, ``{class_label: weight}``;
        'balanced' uses ``n_samples / (n_classes * np.bincount(y))``, with
        the samples counted by their ``sample_weight`` when it is given (as
        :func:`sklearn.utils.class_weight.compute_class_weight` does), so
        integer weights still equal repeated rows.  Class weights multiply
        ``sample_weight``.  'balanced' is not available in
        ``partial_fit`` (compute the weights from all the data and pass a
        dict).  An extension over scikit-learn.
"""
        + ALPHA_SCALING_DOC
        + TRAINING_OPTIONS_DOC
        + LABEL_SMOOTHING_DOC
        + """
    Attributes
    ----------
    classes_ : ndarray or list of ndarray of shape (n_classes,)
        Class labels for each output."""
        + SHARED_ATTRS_DOC
        + """
    See Also
    --------
    BackpropMLPRegressor : The regressor.
    sklearn.neural_network.MLPClassifier : The model this one replaces.

    Notes
    -----
    The output layer is logistic (binary and multilabel targets, one unit
    per label) or softmax (multiclass), trained on the log-loss; the output
    delta is fused to ``(a_L - y) * s_i / S``.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from skbackprop import BackpropMLPClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = BackpropMLPClassifier(solver="lbfgs", random_state=0).fit(X, y)
    >>> clf.score(X, y) > 0.95
    True
    """
    )

    _parameter_constraints: dict = {
        **_BaseBackpropMLP._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "label_smoothing": [Interval(Real, 0, 1, closed="left")],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        class_weight=None,
        alpha_scaling="batch",
        dropout=0.0,
        scoring=None,
        weight_decay=0.0,
        learning_rate_schedule=None,
        learning_rate_warmup=0.0,
        dropout_schedule=None,
        restore_best="auto",
        label_smoothing=0.0,
    ):
        # scikit-learn's rule: every argument stored as given, under its name
        store_parameters(self, locals())

    @property
    def loss(self):
        """The loss minimised: always ``'log_loss'`` (as sklearn)."""
        return "log_loss"

    def _output_activation(self):
        if self._label_binarizer.y_type_ == "multiclass":
            return "softmax"
        return "logistic"

    def _encode_targets(self, y, dtype, incremental):
        with warnings.catch_warnings():  # sklearn's MLP does not give it
            warnings.filterwarnings(
                "ignore", message="The number of unique classes is greater")
            check_classification_targets(y)
        if not hasattr(self, "classes_") or not (self.warm_start or incremental):
            self._fit_labels(y)
        else:
            self._check_known_labels(y, incremental)
        # 0/1 indicators as uint8, an eighth of float64's memory: the losses
        # and output deltas mix them with the float outputs without copies
        return self._label_binarizer.transform(y).astype(np.uint8)

    def _fit_labels(self, y):
        self._label_binarizer = LabelBinarizer().fit(y)
        self.classes_ = self._label_binarizer.classes_
        if (
            self._label_binarizer.y_type_ != "multilabel-indicator"
            and len(self.classes_) < 2
        ):
            raise ValueError(
                "The classifier needs samples of at least 2 classes in the "
                "data, but the data contains only one class: "
                f"{self.classes_[0]!r}."
            )

    def _check_known_labels(self, y, incremental):
        classes = unique_labels(y)
        if self.warm_start and not incremental:
            if set(classes) != set(self.classes_):
                raise ValueError(
                    "warm_start can only be used where `y` has the same "
                    "classes as in the previous call to fit. Previously "
                    f"got {self.classes_}, `y` has {classes}"
                )
        elif len(np.setdiff1d(classes, self.classes_, assume_unique=True)):
            raise ValueError(
                "`y` has classes not in `self.classes_`. "
                f"`self.classes_` has {self.classes_}. 'y' has {classes}."
            )

    def _weight_classes(self, y, sw, incremental):
        if self.class_weight is None:
            return sw
        if incremental and self.class_weight == "balanced":
            raise ValueError(
                "class_weight='balanced' is not supported for partial_fit: "
                "the class frequencies of the whole data are unknown. Pass "
                "a dict, e.g. from sklearn.utils.class_weight."
                "compute_class_weight('balanced', classes=classes, y=y_all)."
            )
        check_class_weight(self.class_weight)
        if isinstance(self.class_weight, dict) and np.ndim(y) == 2:
            raise ValueError(
                "class_weight must be 'balanced' or None for a multilabel y: "
                "a dict of class weights does not say which output it weights."
            )
        cw = class_sample_weight(self.class_weight, y, sw)
        with np.errstate(over="ignore"):  # an overflow is refused later
            sw = cw if sw is None else sw * cw
        if not sw.any():
            raise ValueError(
                "class_weight and sample_weight give every sample zero weight."
            )
        return sw

    def _decode(self, Y):
        """Binarized targets or network outputs back to labels (on the
        host: labels may be strings)."""
        Y = array_api.to_host(Y)
        if Y.shape[1] == 1:
            Y = Y.ravel()
        return self._label_binarizer.inverse_transform(Y)

    def _score(self, X, y, sample_weight=None):
        return self._score_with_function(X, y, sample_weight, accuracy_score)

    def score(self, X, y, sample_weight=None):
        return self._checked_score(X, y, sample_weight, super().score)

    score.__doc__ = score_doc("the mean accuracy", "labels")

    def predict(self, X):
        """Predict using the multi-layer perceptron classifier.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_classes)
            The predicted classes.
        """
        out = self._checked_output(X, "predict")
        labels = self._decode(out)
        ns = array_api.namespace_of(out)
        if ns is not None and labels.dtype.kind in "biuf":
            return ns.asarray(labels)  # where the input was
        return labels

    @available_if(lambda est: est._check_solver())
    @guarded
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """Update the model with a single epoch over the given data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,)
            The target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights: finite, non-negative, not all zero.  A
            mini-batch whose weights (times the class weights) are all zero
            contributes nothing and does not step the optimizer; ``t_``
            still counts its samples.
        classes : array of shape (n_classes,), default=None
            Classes across all calls to partial_fit; required on the first
            call, optional afterwards (it must then equal ``classes_``).

        Returns
        -------
        self : object
            The updated estimator.
        """
        dask_fit.check_partial_fit(X)  # before its labels are read
        first_call = not hasattr(self, "classes_")
        # labels live on the host (classes_ is numpy, labels may be strings)
        classes = array_api.to_host(classes)
        if classes is not None:
            check_no_missing_labels(classes, "classes")
        if first_call and classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit.")
        if classes is not None:
            classes = unique_labels(classes)
            if not first_call and not np.array_equal(self.classes_, classes):
                raise ValueError(
                    "`classes=%r` is not the same as on last call "
                    "to partial_fit, was: %r" % (classes, self.classes_)
                )
        if first_call:
            lb = LabelBinarizer()
            if type_of_target(y).startswith("multilabel"):
                lb.fit(array_api.to_host(y))
            else:
                lb.fit(classes)
            if lb.y_type_ != "multilabel-indicator" and len(lb.classes_) < 2:
                raise ValueError(
                    "classes must contain at least 2 classes, got "
                    f"{lb.classes_!r}."
                )
            try:
                self._label_binarizer = lb
                self.classes_ = lb.classes_
                return self._fit(X, y, sample_weight=sample_weight, incremental=True)
            except BaseException:
                # leave no half-initialised model behind
                for attr in ("_label_binarizer", "classes_"):
                    self.__dict__.pop(attr, None)
                raise
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)

    def predict_log_proba(self, X):
        """Return the log of probability estimates.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        log_y_prob : ndarray of shape (n_samples, n_classes)
            The predicted log-probability of the sample for each class in
            the model, where classes are ordered as they are in
            ``classes_``.  Equivalent to ``log(predict_proba(X))``.
        """
        y_prob = self._proba(X, "predict_log_proba")
        ns = array_api.namespace_of(y_prob)
        # log(0) = -inf is the answer for a softmax probability that
        # underflows (scikit-learn's checks want log(predict_proba)), without
        # a RuntimeWarning (array_api_strict computes with numpy)
        with np.errstate(divide="ignore"):
            if ns is not None:
                return ns.xp.log(y_prob)
            return np.log(y_prob, out=y_prob)

    def predict_proba(self, X):
        """Probability estimates.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y_prob : ndarray of shape (n_samples, n_classes)
            The probability of each class, columns ordered as ``classes_``.
        """
        return self._proba(X, "predict_proba")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


@dask_fit.blockwise_on_dask_collections
class BackpropMLPRegressor(RegressorMixin, _BaseBackpropMLP):
    __doc__ = (
        """Multi-layer perceptron regressor trained by backpropagation.

    A drop-in replacement for :class:`sklearn.neural_network.MLPRegressor`
    (same parameters, defaults and fitted attributes) whose training engine
    is written from scratch in numpy.

    Parameters
    ----------
    loss : {'squared_error', 'poisson'}, default='squared_error'
        'squared_error' (identity output) minimises ``1/2 * sum_k (y_k -
        a_k)^2`` per sample; 'poisson' (exp output, log link) minimises the
        half Poisson deviance.  Both are averaged over samples and *summed*
        over outputs, so the reported loss is the one whose gradient is used
        (scikit-learn also averages the squared error over outputs, which its
        gradient does not)."""
        + SHARED_PARAMS_DOC
        + ALPHA_SCALING_DOC
        + TRAINING_OPTIONS_DOC
        + """
    Attributes
    ----------"""
        + SHARED_ATTRS_DOC
        + """
    See Also
    --------
    BackpropMLPClassifier : The classifier.
    sklearn.neural_network.MLPRegressor : The model this one replaces.

    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from skbackprop import BackpropMLPRegressor
    >>> X, y = make_regression(n_samples=200, n_features=5, noise=1.0,
    ...                        random_state=0)
    >>> reg = BackpropMLPRegressor(solver="lbfgs", random_state=0).fit(X, y)
    >>> reg.score(X, y) > 0.95
    True
    """
    )

    _parameter_constraints: dict = {
        **_BaseBackpropMLP._parameter_constraints,
        "loss": [StrOptions({"squared_error", "poisson"})],
    }

    def __init__(
        self,
        loss="squared_error",
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        alpha_scaling="batch",
        dropout=0.0,
        scoring=None,
        weight_decay=0.0,
        learning_rate_schedule=None,
        learning_rate_warmup=0.0,
        dropout_schedule=None,
        restore_best="auto",
    ):
        # scikit-learn's rule: every argument stored as given, under its name
        store_parameters(self, locals())

    def _output_activation(self):
        return get_loss(self.loss).out_activation

    def _encode_targets(self, y, dtype, incremental):
        # an object y's None becomes NaN after validate_data's check
        assert_all_finite(y, input_name="y")
        if self.loss == "poisson" and (y < 0).any():
            raise ValueError(
                "Some value(s) of y are negative which is not allowed for "
                "Poisson regression (loss='poisson')."
            )
        return cast_targets(y, dtype)

    def _decode(self, Y):
        """Targets or network outputs as ``predict`` returns them."""
        if Y.shape[1] != 1:
            return Y
        ns = array_api.namespace_of(Y)
        return Y.ravel() if ns is None else ns.xp.reshape(Y, (-1,))

    def _score(self, X, y, sample_weight=None):
        return self._score_with_function(X, y, sample_weight, r2_score)

    def score(self, X, y, sample_weight=None):
        return self._checked_score(X, y, sample_weight, super().score)

    score.__doc__ = score_doc("the coefficient of determination R^2", "values")

    def predict(self, X):
        """Predict using the multi-layer perceptron model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The predicted values.
        """
        return self._decode(self._checked_output(X, "predict"))

    @available_if(lambda est: est._check_solver())
    @guarded
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Update the model with a single epoch over the given data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights: finite, non-negative, not all zero.  A
            mini-batch whose weights (times the class weights) are all zero
            contributes nothing and does not step the optimizer; ``t_``
            still counts its samples.

        Returns
        -------
        self : object
            The updated estimator.
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
