"""scikit-learn estimators around the backpropagation engine.

This module is the thin sklearn shell: parameter validation, label encoding,
batching, early stopping, fitted attributes.  The mathematics lives in
:mod:`skbackprop._engine`.
"""

import copy
import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import check_random_state, column_or_1d, gen_batches
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import (
    check_classification_targets,
    type_of_target,
    unique_labels,
)
from sklearn.utils.validation import check_is_fitted, validate_data

from ._callbacks import CallbackSupportMixin, FitTasks, init_callback_context
from ._engine import (
    ACTIVATIONS,
    SGD,
    Adam,
    Network,
    get_loss,
    minimize_lbfgs,
    optimizer_from_state,
)

__all__ = ["BackpropMLPClassifier", "BackpropMLPRegressor"]

_STOCHASTIC_SOLVERS = ("sgd", "adam")

# loss name of the engine for each output activation
_OUTPUT_LOSS = {
    "softmax": "log_loss",
    "logistic": "binary_log_loss",
    "identity": "squared_error",
    "exp": "poisson",
}


def _is_sparse(X):
    return hasattr(X, "tocsr") and not isinstance(X, np.ndarray)


class _BaseBackpropMLP(CallbackSupportMixin, BaseEstimator):
    """Shared implementation of the classifier and the regressor."""

    _parameter_constraints: dict = {
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions(set(ACTIVATIONS))],
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
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [
            Interval(Integral, 1, None, closed="left"),
            Options(Real, {np.inf}),
        ],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
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
            dtype = self.coefs_[0].dtype
        return Network(
            layer_units, self.activation, _OUTPUT_LOSS[self.out_activation_], dtype
        )

    def _check_sample_weight(self, sample_weight, n_samples, dtype):
        if sample_weight is None:
            return None
        sw = np.asarray(sample_weight)
        if sw.ndim == 0:
            sw = np.full(n_samples, sw)
        if sw.dtype.kind not in "biuf":
            raise ValueError(
                f"sample_weight must be numeric, got dtype {sw.dtype}."
            )
        sw = sw.astype(dtype)  # always a copy: the caller's array is never touched
        if sw.ndim != 1 or sw.shape[0] != n_samples:
            raise ValueError(
                f"sample_weight.shape == {sw.shape}, expected ({n_samples},)!"
            )
        if np.isnan(sw).any():
            raise ValueError("Input sample_weight contains NaN.")
        if not np.isfinite(sw).all():
            raise ValueError("Input sample_weight contains infinity.")
        if (sw < 0).any():
            raise ValueError("Negative values in data passed to sample_weight.")
        if not sw.any():
            raise ValueError(
                "Sample weights must contain at least one non-zero number."
            )
        return sw

    # ------------------------------------------------------------------
    # initialisation
    def _initialize(self, Y, layer_units, dtype, random_state):
        self.n_iter_ = 0
        self.t_ = 0
        self.n_outputs_ = Y.shape[1]
        self.n_layers_ = len(layer_units)
        self.out_activation_ = self._output_activation()
        network = self._network(layer_units, dtype)
        flat = network.init_params(random_state)
        self.coefs_, self.intercepts_ = network.unpack(flat)
        self.loss_curve_ = []
        self._no_improvement_count = 0
        if self.solver in _STOCHASTIC_SOLVERS and self.early_stopping:
            self.validation_scores_ = []
            self.best_validation_score_ = -np.inf
            self.best_loss_ = None
        else:
            self.best_loss_ = np.inf
            self.validation_scores_ = None
            self.best_validation_score_ = None
        if hasattr(self, "_optimizer"):
            del self._optimizer
        return network, flat

    def _pack_current(self, network):
        """Copy ``coefs_``/``intercepts_`` (possibly set by the user) into a
        fresh flat buffer, checking they match the architecture."""
        coefs, intercepts = list(self.coefs_), list(self.intercepts_)
        expected = network.coef_shapes
        got = [np.shape(c) for c in coefs]
        got_b = [np.shape(b) for b in intercepts]
        if got != expected or got_b != [(s[1],) for s in expected]:
            raise ValueError(
                "The shapes of coefs_/intercepts_ do not match the network "
                f"implied by the data and hidden_layer_sizes: expected coefs_ "
                f"shapes {expected}, got {got} (intercepts {got_b}). "
                "Use warm_start=False to train a new network."
            )
        return network.pack(coefs, intercepts)

    # ------------------------------------------------------------------
    # persistence: the pickled state holds only strings, numbers and arrays
    # (no engine objects), so ``skops.io.load`` needs to trust nothing but
    # the estimator class itself.
    def __getstate__(self):
        state = super().__getstate__()
        opt = state.get("_optimizer")
        if opt is not None and not isinstance(opt, dict):
            state = dict(state, _optimizer=opt.get_state())
        return state

    def __setstate__(self, state):
        opt = state.get("_optimizer")
        if isinstance(opt, dict):
            state = dict(state, _optimizer=optimizer_from_state(opt))
        super().__setstate__(state)

    # ------------------------------------------------------------------
    # fitting
    def _fit(self, X, y, sample_weight=None, incremental=False):
        hidden = self._hidden_layer_sizes()
        first_pass = not hasattr(self, "coefs_") or (
            not self.warm_start and not incremental
        )
        # sklearn.callback: one subtask per epoch, per L-BFGS iteration (plus
        # the one L-BFGS opens but never runs), a single one per partial_fit.
        # Created before the snapshot so that teardown still finds it when a
        # failed fit restores the old state.
        if incremental:
            max_subtasks = 1
        elif self.solver == "lbfgs":
            max_subtasks = max(self.max_iter, 1) + 1
        else:
            max_subtasks = self.max_iter
        init_callback_context(self, max_subtasks)
        # A failed fit must not leave a half-updated model: remember the
        # state (lists copied, optimizer state deep-copied) and restore it.
        snapshot = {
            k: (list(v) if isinstance(v, list) else v)
            for k, v in self.__dict__.items()
        }
        if "_optimizer" in snapshot:
            snapshot["_optimizer"] = copy.deepcopy(snapshot["_optimizer"])
        try:
            return self._fit_inner(X, y, sample_weight, incremental, hidden, first_pass)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(snapshot)
            raise

    def _fit_inner(self, X, y, sample_weight, incremental, hidden, first_pass):
        X, Y, sw = self._validate_input(
            X, y, sample_weight, incremental, reset=first_pass
        )
        n_samples, n_features = X.shape
        layer_units = [n_features, *hidden, Y.shape[1]]
        random_state = check_random_state(self.random_state)

        if not first_pass and Y.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {Y.shape[1]} outputs but the model was fitted with "
                f"{self.n_outputs_}; use warm_start=False to train a new network."
            )
        if first_pass:
            # coefs_/intercepts_ are already views of the new buffer
            network, flat = self._initialize(Y, layer_units, X.dtype, random_state)
        else:
            network = self._network(layer_units, X.dtype)
            # copy (possibly user-set) weights: the old arrays stay intact
            # for the restore after a failed fit
            flat = self._pack_current(network)
            self.coefs_, self.intercepts_ = network.unpack(flat)

        def y_for_callbacks():  # decoded lazily, only if a callback asks
            return self._decode(Y)

        tasks = self._fit_tasks = FitTasks(
            self,
            X,
            y_for_callbacks,
            None if sample_weight is None else {"sample_weight": sw},
        )
        tasks.begin_fit()
        try:
            with np.errstate(all="ignore"):
                if self.solver in _STOCHASTIC_SOLVERS:
                    self._fit_stochastic(
                        network, flat, X, Y, sw, incremental, random_state
                    )
                else:
                    self._fit_lbfgs(network, flat, X, Y, sw)
        finally:
            del self._fit_tasks
        if not np.isfinite(flat).all():  # pragma: no cover - guarded above
            raise ValueError(
                "Solver produced non-finite parameter weights. The input data may"
                " contain large values and need to be preprocessed."
            )
        tasks.end_fit()
        return self

    def _reconstruction_attributes(self, flat):
        """For callbacks: the fitted attributes of ``flat`` (lazily)."""

        def attributes():
            coefs, intercepts = self._network().unpack(np.array(flat, copy=True))
            return {"coefs_": coefs, "intercepts_": intercepts}

        return attributes

    def _regularization(self, sw, n_samples):
        """L2 strength ``lambda = alpha / S`` with ``S`` the total sample
        weight of the training data (``n_samples`` when unweighted)."""
        total = n_samples if sw is None else float(sw.sum())
        return float(self.alpha) / total, total

    def _divergence(self, first_epoch):
        msg = (
            "Training diverged: the loss became non-finite. The input data may "
            "contain very large values (scale it, e.g. with StandardScaler) or "
            f"learning_rate_init={self.learning_rate_init} may be too large."
        )
        if first_epoch:
            raise ValueError(msg)
        warnings.warn(
            msg + " Stopping; the weights of the last finite epoch are kept.",
            ConvergenceWarning,
        )

    def _fit_lbfgs(self, network, flat, X, Y, sw):
        n_samples = X.shape[0]
        l2, _ = self._regularization(sw, n_samples)
        ws = network.workspace(n_samples)
        grad = np.empty_like(flat)
        self.loss_curve_ = []

        def fun(x):
            flat[...] = x
            loss = network.loss_grad(flat, grad, X, Y, sw, l2, ws)
            if not np.isfinite(loss):
                # let the line search back off from an overflowing step
                return np.inf, np.zeros(flat.shape, dtype=np.float64)
            return loss, grad.astype(np.float64)

        tasks = self._fit_tasks
        stop_requested = False

        def callback(intermediate_result):
            nonlocal stop_requested
            self.loss_curve_.append(float(intermediate_result.fun))
            if self.verbose:
                print(
                    "Iteration %d, loss = %.8f"
                    % (len(self.loss_curve_), self.loss_curve_[-1])
                )
            x = intermediate_result.x.astype(flat.dtype)
            stop_requested = tasks.end(self._reconstruction_attributes(x))
            tasks.begin("lbfgs-iter", self._reconstruction_attributes(x))
            if stop_requested:
                raise StopIteration  # scipy >= 1.11 stops and returns x

        x0 = flat.astype(np.float64)
        tasks.begin("lbfgs-iter", self._reconstruction_attributes(flat.copy()))
        res = minimize_lbfgs(
            fun,
            x0,
            max_iter=self.max_iter,
            max_fun=self.max_fun,
            tol=self.tol,
            callback=callback,
        )
        tasks.end(empty=True)  # the iteration opened last never ran
        if not np.isfinite(res.fun) or not np.isfinite(res.x).all():
            flat[...] = x0
            raise ValueError(
                "L-BFGS could not find a finite loss. The input data may contain"
                " very large values; scale it, e.g. with StandardScaler."
            )
        flat[...] = res.x
        self.n_iter_ = min(int(res.nit), self.max_iter)
        self.loss_ = float(res.fun)
        if self.loss_curve_:
            self.best_loss_ = min(self.loss_curve_)
        if res.status != 0 and not stop_requested:
            message = res.message
            if isinstance(message, bytes):  # pragma: no cover - old scipy
                message = message.decode("latin1")
            warnings.warn(
                f"lbfgs failed to converge after {res.nit} iteration(s) "
                f"(status={res.status}):\n{message}\n\n"
                "Increase the number of iterations (max_iter) or the number of "
                f"function evaluations (max_fun={self.max_fun}) to improve the "
                "convergence, or scale the data, e.g. with StandardScaler.",
                ConvergenceWarning,
            )

    def _make_optimizer(self, n_params, dtype):
        if self.solver == "sgd":
            return SGD(
                n_params,
                dtype,
                self.learning_rate_init,
                self.learning_rate,
                self.momentum,
                self.nesterovs_momentum,
                self.power_t,
            )
        return Adam(
            n_params,
            dtype,
            self.learning_rate_init,
            self.beta_1,
            self.beta_2,
            self.epsilon,
        )

    def _fit_stochastic(self, network, flat, X, Y, sw, incremental, random_state):
        opt = getattr(self, "_optimizer", None)
        if (
            not incremental
            or opt is None
            or not opt.fits(flat)
        ):
            opt = self._optimizer = self._make_optimizer(flat.size, flat.dtype)

        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        early_stopping = self.early_stopping
        if early_stopping:
            # Stratify binary and multiclass targets (sklearn stratifies only
            # binary ones), never multilabel or regression targets.
            stratify = None
            if isinstance(self, ClassifierMixin) and (
                self.n_outputs_ == 1 or self.out_activation_ == "softmax"
            ):
                stratify = Y
            arrays = [X, Y] if sw is None else [X, Y, sw]
            try:
                split = train_test_split(
                    *arrays,
                    random_state=random_state,
                    test_size=self.validation_fraction,
                    stratify=stratify,
                )
            except ValueError as exc:
                raise ValueError(
                    f"Cannot make the early-stopping validation split "
                    f"(validation_fraction={self.validation_fraction}) from "
                    f"{X.shape[0]} samples: {exc}"
                ) from exc
            X_train, X_val, Y_train, Y_val = split[:4]
            sw_train, sw_val = (None, None) if sw is None else split[4:]
            if X_val.shape[0] < 2:
                raise ValueError(
                    "The validation set is too small. Increase "
                    "'validation_fraction' or the size of your dataset."
                )
            y_val = self._decode(Y_val)
        else:
            X_train, Y_train, sw_train = X, Y, sw
            X_val = y_val = sw_val = None

        n_samples = X_train.shape[0]
        if self.batch_size == "auto":
            batch_size = min(200, n_samples)
        else:
            if self.batch_size > n_samples:
                warnings.warn(
                    "Got `batch_size` less than 1 or larger than "
                    "sample size. It is going to be clipped"
                )
            batch_size = int(np.clip(self.batch_size, 1, n_samples))

        l2, weight_total = self._regularization(sw_train, n_samples)
        ws = network.workspace(batch_size)
        grad = np.empty_like(flat)
        epoch_start = np.empty_like(flat)
        sparse = _is_sparse(X_train)
        if sparse and X_train.format != "csr":
            # batches are row subsets: cheap in CSR, a pass over all of a
            # CSC matrix's entries per batch (a copy of the sparse data, not
            # a densification; the caller's matrix is untouched)
            X_train = X_train.tocsr()
        if self.shuffle and not sparse:
            # gather shuffled rows into reused buffers instead of new arrays
            x_buf = np.empty((batch_size, X_train.shape[1]), dtype=X_train.dtype)
        y_buf = np.empty((batch_size, Y_train.shape[1]), dtype=Y_train.dtype)
        sample_idx = np.arange(n_samples)
        best = None
        # with numba, the optimizer adds the penalty's gradient in its fused
        # step (bit-identical to adding it in the backward pass)
        fused = opt.fuses_l2(flat)

        tasks = self._fit_tasks
        # as in sklearn, n_iter_ counts the epochs of this call (t_ and
        # loss_curve_ accumulate across partial_fit calls and warm starts)
        self.n_iter_ = 0
        try:
            for _ in range(self.max_iter):
                tasks.begin("epoch")
                epoch_start[...] = flat
                if self.shuffle:
                    # the draw of sklearn.utils.shuffle (so the same seed
                    # gives sklearn's batches) without its input validation,
                    # which costs ~8% of an epoch on small data
                    perm = np.arange(n_samples)
                    random_state.shuffle(perm)
                    sample_idx = sample_idx[perm]
                accumulated = 0.0
                for batch in gen_batches(n_samples, batch_size):
                    m = batch.stop - batch.start
                    if self.shuffle:
                        idx = sample_idx[batch]
                        if sparse:
                            X_b = X_train[idx]
                        else:
                            # mode="clip": the indices are valid by
                            # construction, and "raise" makes numpy buffer
                            # the output (3x slower)
                            X_b = X_train.take(
                                idx, axis=0, out=x_buf[:m], mode="clip"
                            )
                        Y_b = Y_train.take(idx, axis=0, out=y_buf[:m], mode="clip")
                        sw_b = None if sw_train is None else sw_train[idx]
                    else:
                        X_b, Y_b = X_train[batch], Y_train[batch]
                        sw_b = None if sw_train is None else sw_train[batch]
                    batch_loss = network.loss_grad(
                        flat, grad, X_b, Y_b, sw_b, l2, ws, l2_grad=not fused
                    )
                    batch_weight = m if sw_b is None else float(sw_b.sum())
                    accumulated += batch_loss * batch_weight
                    opt.update(flat, grad, l2 if fused else 0.0, network.n_coef)

                loss = accumulated / weight_total
                if not (np.isfinite(loss) and np.isfinite(flat).all()):
                    flat[...] = epoch_start
                    tasks.end(empty=True)
                    self._divergence(first_epoch=self.t_ == 0)
                    break

                self.n_iter_ += 1
                self.loss_ = float(loss)
                self.t_ += n_samples
                self.loss_curve_.append(self.loss_)
                if self.verbose:
                    print("Iteration %d, loss = %.8f" % (self.n_iter_, self.loss_))

                improved = self._update_no_improvement_count(
                    early_stopping, X_val, y_val, sw_val
                )
                if early_stopping and improved:
                    best = flat.copy()
                opt.iteration_ends(self.t_)
                stop_requested = tasks.end(self._reconstruction_attributes(flat))

                if self._no_improvement_count > self.n_iter_no_change:
                    if early_stopping:
                        msg = (
                            "Validation score did not improve more than "
                            "tol=%f for %d consecutive epochs."
                            % (self.tol, self.n_iter_no_change)
                        )
                    else:
                        msg = (
                            "Training loss did not improve more than tol=%f"
                            " for %d consecutive epochs."
                            % (self.tol, self.n_iter_no_change)
                        )
                    if opt.trigger_stopping(msg, self.verbose):
                        break
                    self._no_improvement_count = 0

                if incremental or stop_requested:
                    break
                if self.n_iter_ == self.max_iter:
                    warnings.warn(
                        "Stochastic Optimizer: Maximum iterations (%d) "
                        "reached and the optimization hasn't converged yet."
                        % self.max_iter,
                        ConvergenceWarning,
                    )
        except KeyboardInterrupt:
            flat[...] = epoch_start
            tasks.end(empty=True)
            warnings.warn(
                "Training interrupted by user; the weights of the last completed "
                "epoch are kept."
            )

        if early_stopping and best is not None:
            flat[...] = best

    def _update_no_improvement_count(self, early_stopping, X_val, y_val, sw_val):
        """Track stalls; return whether this epoch is the best so far."""
        if early_stopping:
            score = self._score(X_val, y_val, sample_weight=sw_val)
            self.validation_scores_.append(score)
            if self.verbose:
                print("Validation score: %f" % score)
            if score < self.best_validation_score_ + self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if score > self.best_validation_score_:
                self.best_validation_score_ = score
                return True
            return False
        if self.loss_curve_[-1] > self.best_loss_ - self.tol:
            self._no_improvement_count += 1
        else:
            self._no_improvement_count = 0
        if self.loss_curve_[-1] < self.best_loss_:
            self.best_loss_ = self.loss_curve_[-1]
            return True
        return False

    # ------------------------------------------------------------------
    # public API shared by both estimators
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
            Sample weights.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=False)

    def _check_solver(self):
        if self.solver not in _STOCHASTIC_SOLVERS:
            raise AttributeError(
                "partial_fit is only available for stochastic"
                " optimizers. %s is not stochastic." % self.solver
            )
        return True

    def _forward_pass_fast(self, X, check_input=True):
        """Network output for X (no checks on the result)."""
        if check_input:
            X = validate_data(
                self,
                X,
                accept_sparse=["csr", "csc"],
                dtype=(np.float64, np.float32),
                reset=False,
            )
        network = self._network()
        with np.errstate(all="ignore"):
            return network.predict(self.coefs_, self.intercepts_, X)

    def _checked_output(self, X):
        out = self._forward_pass_fast(X)
        if not np.isfinite(out).all():
            raise ValueError(
                "The network's output is not finite for some samples: the "
                "input probably contains values too large for the model "
                "(scale it, e.g. with StandardScaler)."
            )
        return out

    def _score_with_function(self, X, y, sample_weight, score_function):
        y_pred = self._forward_pass_fast(X, check_input=False)
        if not np.isfinite(y_pred).all():
            return np.nan
        return score_function(
            y, self._decode_output(y_pred), sample_weight=sample_weight
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


_SHARED_PARAMS_DOC = """
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        The ith element represents the number of neurons in the ith hidden
        layer.

    activation : {'identity', 'logistic', 'tanh', 'relu', 'leaky_relu', \
'elu', 'gelu', 'softplus'}, default='relu'
        Activation function for the hidden layers: ``identity`` f(x) = x;
        ``logistic`` 1 / (1 + exp(-x)); ``tanh``; ``relu`` max(0, x);
        ``leaky_relu`` max(0.01 x, x); ``elu`` x if x > 0 else exp(x) - 1;
        ``gelu`` x Phi(x) (exact, erf form); ``softplus`` log(1 + exp(x)).
        The last four are extensions over scikit-learn.

    solver : {'lbfgs', 'sgd', 'adam'}, default='adam'
        The weight optimizer: scipy's L-BFGS-B, stochastic gradient descent
        (with momentum / Nesterov momentum), or Adam.

    alpha : float, default=0.0001
        Strength of the L2 penalty.  The objective is
        ``sum_i s_i l_i / S + alpha / (2 S) * sum_k ||W_k||^2`` with
        ``S = sum_i s_i`` the total sample weight of the *training set*
        (``n_samples`` without weights).  scikit-learn divides the penalty by
        each mini-batch's size instead, which makes its strength depend on
        ``batch_size``; with a full batch the two agree.

    batch_size : int, default='auto'
        Size of minibatches for stochastic optimizers; 'auto' is
        ``min(200, n_samples)``.  Ignored by 'lbfgs'.

    learning_rate : {'constant', 'invscaling', 'adaptive'}, default='constant'
        Learning-rate schedule for ``solver='sgd'``: constant; ``lr_init /
        (t + 1) ** power_t`` after each epoch (``t`` = samples seen); or
        divided by 5 each time ``n_iter_no_change`` epochs fail to improve by
        ``tol``, stopping once it drops below 1e-6.

    learning_rate_init : float, default=0.001
        The initial learning rate (sgd, adam).

    power_t : float, default=0.5
        Exponent of the 'invscaling' schedule.

    max_iter : int, default=200
        Maximum number of epochs (stochastic solvers) or iterations (lbfgs).

    shuffle : bool, default=True
        Whether to shuffle samples in each epoch (stochastic solvers).

    random_state : int, RandomState instance, default=None
        Seeds the weight initialization, the early-stopping split and the
        shuffling.  Equal seeds give the same draws as scikit-learn's MLP.

    tol : float, default=1e-4
        Tolerance of the stopping rules (and L-BFGS's ``gtol``).

    verbose : bool, default=False
        Print the loss after each epoch / L-BFGS iteration.

    warm_start : bool, default=False
        Reuse the current ``coefs_`` and ``intercepts_`` (also when set by
        hand) as the starting point of the next fit.

    momentum : float, default=0.9
        Momentum of 'sgd', in [0, 1].

    nesterovs_momentum : bool, default=True
        Use Nesterov's momentum ('sgd' with momentum > 0).

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (stratified for
        classifiers), stop when its score does not improve by ``tol`` for
        ``n_iter_no_change`` epochs, and restore the best weights.

    validation_fraction : float, default=0.1
        Held-out proportion for early stopping, in (0, 1).

    beta_1 : float, default=0.9
        Adam's first-moment decay, in [0, 1).

    beta_2 : float, default=0.999
        Adam's second-moment decay, in [0, 1).

    epsilon : float, default=1e-8
        Adam's numerical-stability constant.

    n_iter_no_change : int, default=10
        Number of epochs without a ``tol`` improvement before stopping.

    max_fun : int, default=15000
        Maximum number of loss evaluations of 'lbfgs'.
"""

_SHARED_ATTRS_DOC = """
    loss_ : float
        The current (last epoch's) value of the objective.

    best_loss_ : float or None
        The minimum loss reached; None when early stopping is on.

    loss_curve_ : list of float
        The objective after each epoch (stochastic solvers) or each
        iteration (lbfgs; an extension over scikit-learn).

    validation_scores_ : list of float or None
        Score on the validation set after each epoch (early stopping only).

    best_validation_score_ : float or None
        Best validation score (early stopping only).

    t_ : int
        Number of training samples seen by the stochastic solver.

    coefs_ : list of ndarray of shape (n_{i}, n_{i+1})
        Weight matrices; ``coefs_[i]`` maps layer i to layer i + 1.

    intercepts_ : list of ndarray of shape (n_{i+1},)
        Bias vectors.

    n_features_in_ : int
        Number of features seen during fit.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit (only for string column names).

    n_iter_ : int
        Number of epochs (or L-BFGS iterations) run by the last fit.

    n_layers_ : int
        Number of layers, input and output included.

    n_outputs_ : int
        Number of outputs.

    out_activation_ : str
        Name of the output activation.
"""


class BackpropMLPClassifier(ClassifierMixin, _BaseBackpropMLP):
    __doc__ = (
        """Multi-layer perceptron classifier trained by backpropagation.

    A drop-in replacement for :class:`sklearn.neural_network.MLPClassifier`
    (same parameters, defaults and fitted attributes) whose training engine
    is written from scratch in numpy, with ``class_weight`` and more
    activations.

    Parameters
    ----------"""
        + _SHARED_PARAMS_DOC
        + """
    class_weight : dict, 'balanced' or None, default=None
        Weights associated with classes, ``{class_label: weight}``;
        'balanced' uses ``n_samples / (n_classes * np.bincount(y))``.  Class
        weights multiply ``sample_weight``.  'balanced' is not available in
        ``partial_fit`` (compute the weights from all the data and pass a
        dict).  An extension over scikit-learn.

    Attributes
    ----------
    classes_ : ndarray or list of ndarray of shape (n_classes,)
        Class labels for each output."""
        + _SHARED_ATTRS_DOC
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
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.class_weight = class_weight

    @property
    def loss(self):
        """The loss minimised: always ``'log_loss'`` (as sklearn)."""
        return "log_loss"

    def _output_activation(self):
        if self._label_binarizer.y_type_ == "multiclass":
            return "softmax"
        return "logistic"

    def _validate_input(self, X, y, sample_weight, incremental, reset):
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            multi_output=True,
            dtype=(np.float64, np.float32),
            reset=reset,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)

        if (not hasattr(self, "classes_")) or (
            not self.warm_start and not incremental
        ):
            self._label_binarizer = LabelBinarizer()
            self._label_binarizer.fit(y)
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
        else:
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

        sw = self._check_sample_weight(sample_weight, X.shape[0], X.dtype)
        if self.class_weight is not None:
            if incremental and self.class_weight == "balanced":
                raise ValueError(
                    "class_weight='balanced' is not supported for partial_fit: "
                    "the class frequencies of the whole data are unknown. Pass "
                    "a dict, e.g. from sklearn.utils.class_weight."
                    "compute_class_weight('balanced', classes=classes, y=y_all)."
                )
            cw = compute_sample_weight(self.class_weight, y).astype(X.dtype)
            sw = cw if sw is None else sw * cw
            if not sw.any():
                raise ValueError(
                    "class_weight and sample_weight give every sample zero weight."
                )
        # 0/1 indicators as uint8, an eighth of float64's memory: the losses
        # and output deltas mix them with the float outputs without copies
        Y = self._label_binarizer.transform(y).astype(np.uint8)
        return X, Y, sw

    def _decode(self, Y):
        """Binarized targets back to labels."""
        if Y.shape[1] == 1:
            Y = Y.ravel()
        return self._label_binarizer.inverse_transform(Y)

    def _decode_output(self, y_pred):
        if self.n_outputs_ == 1:
            y_pred = y_pred.ravel()
        return self._label_binarizer.inverse_transform(y_pred)

    def _score(self, X, y, sample_weight=None):
        return self._score_with_function(X, y, sample_weight, accuracy_score)

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
        check_is_fitted(self)
        return self._decode_output(self._checked_output(X))

    @available_if(lambda est: est._check_solver())
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
            Sample weights.
        classes : array of shape (n_classes,), default=None
            Classes across all calls to partial_fit; required on the first
            call, optional afterwards (it must then equal ``classes_``).

        Returns
        -------
        self : object
            The updated estimator.
        """
        first_call = not hasattr(self, "classes_")
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
                lb.fit(y)
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
        y_prob = self.predict_proba(X)
        with np.errstate(divide="ignore"):  # log(0) = -inf is the answer
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
        check_is_fitted(self)
        y_pred = self._checked_output(X)
        if self.out_activation_ == "logistic":
            # the logistic saturates to exactly 0 or 1 beyond |z| ~ 37; keep
            # independent probabilities strictly inside (0, 1), as the loss
            # does, so they and their logarithms stay meaningful
            eps = np.finfo(y_pred.dtype).eps
            np.clip(y_pred, eps, 1 - eps, out=y_pred)
        if self.n_outputs_ == 1:
            y_pred = y_pred.ravel()
        if y_pred.ndim == 1:
            return np.vstack([1 - y_pred, y_pred]).T
        return y_pred

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


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
        + _SHARED_PARAMS_DOC
        + """
    Attributes
    ----------"""
        + _SHARED_ATTRS_DOC
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
    ):
        self.loss = loss
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun

    def _output_activation(self):
        return get_loss(self.loss).out_activation

    def _validate_input(self, X, y, sample_weight, incremental, reset):
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            multi_output=True,
            y_numeric=True,
            dtype=(np.float64, np.float32),
            reset=reset,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if self.loss == "poisson" and (y < 0).any():
            raise ValueError(
                "Some value(s) of y are negative which is not allowed for "
                "Poisson regression (loss='poisson')."
            )
        sw = self._check_sample_weight(sample_weight, X.shape[0], X.dtype)
        Y = np.array(y, dtype=X.dtype, copy=True).reshape(X.shape[0], -1)
        return X, Y, sw

    def _decode(self, Y):
        return Y.ravel() if Y.shape[1] == 1 else Y

    def _decode_output(self, y_pred):
        return y_pred.ravel() if y_pred.shape[1] == 1 else y_pred

    def _score(self, X, y, sample_weight=None):
        return self._score_with_function(X, y, sample_weight, r2_score)

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
        check_is_fitted(self)
        return self._decode_output(self._checked_output(X))

    @available_if(lambda est: est._check_solver())
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
            Sample weights.

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
