"""Docstring sections shared by the classifier and the regressor."""

__all__ = ["ALPHA_SCALING_DOC", "LABEL_SMOOTHING_DOC", "SHARED_ATTRS_DOC",
           "SHARED_PARAMS_DOC", "TRAINING_OPTIONS_DOC"]

SHARED_PARAMS_DOC = """
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        The ith element represents the number of neurons in the ith hidden
        layer.

    activation : {'identity', 'logistic', 'tanh', 'relu', 'leaky_relu', \
'elu', 'gelu', 'softplus'} or sequence of str, default='relu'
        Activation function for the hidden layers: ``identity`` f(x) = x;
        ``logistic`` 1 / (1 + exp(-x)); ``tanh``; ``relu`` max(0, x);
        ``leaky_relu`` max(0.01 x, x); ``elu`` x if x > 0 else exp(x) - 1;
        ``gelu`` x Phi(x) (exact, erf form); ``softplus`` log(1 + exp(x)).
        The last four are extensions over scikit-learn.  A sequence gives
        one name per hidden layer (an extension too; its length must equal
        ``len(hidden_layer_sizes)``).  The Glorot bound of the weights into
        hidden layer k uses that layer's activation (factor 2 for
        'logistic', 6 otherwise); the output layer's uses the last hidden
        activation's, so a list of identical names fits exactly as the name.

    solver : {'lbfgs', 'sgd', 'adam'}, default='adam'
        The weight optimizer: scipy's L-BFGS-B, stochastic gradient descent
        (with momentum / Nesterov momentum), or Adam.

    alpha : float, default=0.0001
        Strength of the L2 penalty.  By default (``alpha_scaling='batch'``)
        it is scaled as in scikit-learn's MLP: each mini-batch's objective is
        ``sum_i s_i l_i / S_b + alpha / (2 S_b) * sum_k ||W_k||^2`` with
        ``S_b`` the batch's total sample weight (its size without weights),
        so an ``alpha`` tuned for scikit-learn means the same here.  With
        ``alpha_scaling='dataset'`` the penalty is divided by the training
        set's total weight ``S`` instead, so its strength does not depend on
        ``batch_size``.  With a full batch (and for 'lbfgs') the two agree.

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
        Held-out proportion for early stopping, in [0, 1) (above 0 when
        ``early_stopping=True``, which raises otherwise, as scikit-learn
        does).

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

    dropout : float or sequence of float, default=0.0
        Inverted dropout on the hidden layers' outputs while training with
        'sgd' or 'adam' (an extension over scikit-learn): each output is
        zeroed with probability p and the others multiplied by 1 / (1 - p).
        A float in [0, 1) applies to every hidden layer, a sequence gives
        one rate per hidden layer.  Predictions never drop anything.  A
        mask is a function of the sample, not of its position: unit u of
        hidden layer l is kept for a training row x at epoch e when a
        counter-based hash of (a 64-bit key of x's values, a seed, e, l,
        u), read as a uniform in [0, 1), is at least p.  So a row repeated
        k times is masked exactly as that row with sample weight k (in any
        order and any batch), and identical rows share a mask within an
        epoch; masks are independent across epochs, layers and units.  The
        seed is a hash of ``random_state``'s state, which is not advanced:
        a seed gives identical fits, and the initial weights, validation
        split and shuffles are those of the same fit without dropout; 0
        derives nothing.  The epoch counts every epoch the model trained
        (``len(loss_curve_)``), so ``partial_fit`` calls and warm starts
        continue it.  ``loss_curve_`` records the loss of the dropped
        networks.  Not supported by 'lbfgs' (a deterministic full-batch
        method; ``ValueError``).

    scoring : str, callable or None, default=None
        The validation score of early stopping (an extension over
        scikit-learn): a scorer name (see
        :func:`sklearn.metrics.get_scorer_names`) or a callable
        ``scorer(estimator, X, y)`` (with ``sample_weight=`` when fit got
        weights), greater is better; None keeps the accuracy (classifier) /
        R^2 (regressor).  ``validation_scores_`` records it and ``tol``
        applies to it.  Only used with ``early_stopping=True``, but checked
        at every fit.
"""

ALPHA_SCALING_DOC = """
    alpha_scaling : {'batch', 'dataset'}, default='batch'
        How ``alpha`` is scaled.  'batch' (the default): divided by each
        mini-batch's total sample weight, as scikit-learn's MLP does, which
        reproduces its numbers exactly.  'dataset': divided by the training
        set's total sample weight ``S``, so the penalty's strength does not
        depend on ``batch_size`` (scikit-learn issue #6780; see ``alpha``).
        Both agree for full batches and L-BFGS.  An extension over
        scikit-learn.
"""

TRAINING_OPTIONS_DOC = """
    weight_decay : float, default=0.0
        Decoupled weight decay (AdamW; Loshchilov & Hutter, ICLR 2019), an
        extension over scikit-learn for 'adam' and 'sgd': before each step
        every parameter (weights and intercepts, as PyTorch's ``AdamW`` does
        for the parameters it is given) is multiplied by ``1 - lr *
        weight_decay``, ``lr`` the step's learning rate (``learning_rate_init``
        times the schedule's factor for 'adam', without Adam's bias
        correction; sgd's current rate times that factor for 'sgd').  It is
        not scaled like ``alpha`` (by a batch's or the data's weight) and is
        independent of it; 0.0 leaves every step as scikit-learn's.
        'lbfgs' refuses it (``ValueError``: use ``alpha``).

    learning_rate_schedule : {'cosine', 'linear', 'coslog4', 'flat_cos'} or \
None, default=None
        A factor on the learning rate of every mini-batch step of 'adam'
        and 'sgd' (an extension over scikit-learn), a function of the
        progress ``q = k / H``, ``k`` the step and ``H = max_iter`` x the
        batches of an epoch (also with early stopping): 'cosine' ``(1 +
        cos(pi q)) / 2``; 'linear' ``1 - q``; 'coslog4' ``(1 - cos(2 pi
        log2(1 + 15 q))) / 2``, RealMLP's four cycles, each twice as long as
        the one before; 'flat_cos' 1, then a cosine to 0 over the second
        half.  With 'sgd' it multiplies the rate of ``learning_rate``
        ('invscaling', 'adaptive' keep working).  ``partial_fit`` continues
        the schedule across calls, ``H`` counting ``max_iter`` calls' batches;
        past ``H`` the factor stays at its end (0 for these schedules).  A
        fit that reaches ``max_iter`` ends as its schedule planned: no
        ``ConvergenceWarning``.  None: scikit-learn's rates.

    learning_rate_warmup : float, default=0.0
        Fraction ``w`` in [0, 1) of the schedule's ``H`` steps over which
        the factor rises linearly, ``(k + 1) / (w H)``, before the schedule
        runs over the remaining steps (with ``learning_rate_schedule=None``:
        then constant).  ``'cosine'`` with ``w > 0`` is the warm-up cosine
        schedule.  An extension over scikit-learn.

    dropout_schedule : {'flat_cos', 'cosine', 'linear', 'coslog4'} or \
None, default=None
        Scales the ``dropout`` rates once per epoch by the schedule's factor
        at epoch ``e`` of ``max_iter`` (``e`` counts this fit's epochs; for
        ``partial_fit``, ``len(loss_curve_)``); RealMLP's 'flat_cos' keeps the
        rate for the first half, then lowers it to 0 with a cosine.  A rate
        moves only the masks' threshold (the same hash of row, seed, epoch,
        layer and unit).  An extension over scikit-learn; None: constant
        rates.

    restore_best : {'auto', 'validation_score', 'training_loss', 'last'}, \
default='auto'
        Which epoch's weights a fit of 'adam' or 'sgd' ends with (an
        extension over scikit-learn): 'auto' is scikit-learn's -- the best
        validation score with ``early_stopping=True``, else the last epoch;
        'validation_score' the best validation score (needs
        ``early_stopping=True``; with ``n_iter_no_change=np.inf`` it trains
        ``max_iter`` epochs and keeps the best); 'training_loss' the epoch
        of the lowest training loss (``loss_curve_``) of this fit; 'last'
        the last epoch, also with early stopping.  ``loss_curve_``,
        ``n_iter_`` and the scores still describe every epoch trained.
        'lbfgs' ends at its last iterate, its lowest loss.
"""

LABEL_SMOOTHING_DOC = """
    label_smoothing : float, default=0.0
        Trains on the targets ``y (1 - eps) + eps / K`` instead of the 0/1
        class indicators (an extension over scikit-learn; every solver):
        ``K`` classes for softmax (multiclass); for a logistic output
        (binary, multilabel) each output is a two-class problem, ``K = 2``,
        as a two-class softmax would have it.  ``loss_curve_`` and
        ``loss_`` report the loss against these smoothed targets (it
        includes their entropy, so it does not reach 0).  Validation scores
        use the true labels.  In [0, 1); 0.0 trains on the labels as
        scikit-learn does.
"""

SHARED_ATTRS_DOC = """
    loss_ : float
        The current (last epoch's) value of the objective.

    best_loss_ : float or None
        The minimum loss reached; None when early stopping is on.

    loss_curve_ : list of float
        The objective after each epoch (stochastic solvers) or each
        iteration (lbfgs; an extension over scikit-learn).

    validation_scores_ : list of float or None
        Score (by ``scoring``) on the validation set after each epoch
        (early stopping only).

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


def score_doc(what, targets):
    """The docstring of an estimator's ``score``: ``what`` it returns for
    the true ``targets`` (labels or values)."""
    return f"""Return {what} on the given test data and {targets}.

        Parameters
        ----------
        X : {{array-like, sparse matrix}} of shape (n_samples, n_features)
            Test samples.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            True {targets} for `X`.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        score : float
            {what[0].upper() + what[1:]} of ``self.predict(X)`` w.r.t. `y`.
        """
