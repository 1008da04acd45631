"""Support for scikit-learn's callback API (``sklearn.callback``, >= 1.9).

With scikit-learn >= 1.9 the estimators inherit ``set_callbacks`` from
:class:`sklearn.callback.CallbackSupportMixin`, and a fit drives the callback
context as :class:`~sklearn.linear_model.LogisticRegression` does: one root
task per ``fit`` / ``partial_fit`` call, with one subtask per epoch (``sgd``,
``adam``) or per L-BFGS iteration (``lbfgs``).  A callback whose
``on_fit_task_end`` returns True stops training after that epoch/iteration.
scikit-learn's ``_fit_context`` decorator calls the callbacks' ``teardown``,
also when fit raises.

On older scikit-learn the mixin is an empty class, there is no
``set_callbacks``, and every hook below is a no-op.
"""

try:
    from sklearn.callback import CallbackSupportMixin
except ImportError:  # scikit-learn < 1.9

    class CallbackSupportMixin:
        """Fallback when ``sklearn.callback`` is unavailable: no callbacks."""

    HAS_CALLBACKS = False
else:
    HAS_CALLBACKS = True


def init_callback_context(estimator, max_subtasks):
    """Create the estimator's root callback context (and set the callbacks up).

    Returns the context, or None when scikit-learn has no callback API.
    """
    init = getattr(estimator, "_init_callback_context", None)
    if init is None:
        return None
    return init(max_subtasks=max_subtasks)


class FitTasks:
    """Opens and closes the callback tasks of one fit.

    Every method is a cheap no-op when no callback is set, so the training
    loops call them unconditionally.

    Parameters
    ----------
    estimator : estimator instance
        The estimator being fitted; it holds ``_callback_fit_ctx`` once
        :func:`init_callback_context` has run.
    X, y : array-like or callable
        The training data (callables are evaluated lazily, only when a
        callback asks for them).
    metadata : dict or None
        Training metadata, e.g. ``{"sample_weight": sw}``.
    """

    def __init__(self, estimator, X=None, y=None, metadata=None):
        self.estimator = estimator
        self.ctx = getattr(estimator, "_callback_fit_ctx", None)
        self.active = self.ctx is not None and bool(
            getattr(estimator, "_skl_callbacks", None)
        )
        self.X, self.y, self.metadata = X, y, metadata
        self._task = None

    def _data(self):
        return {"X": self.X, "y": self.y, "metadata": self.metadata}

    def begin_fit(self):
        """``on_fit_task_begin`` of the root task."""
        if self.ctx is not None:
            self.ctx.call_on_fit_task_begin(estimator=self.estimator, **self._data())

    def end_fit(self):
        """``on_fit_task_end`` of the root task (the model is fitted)."""
        if self.ctx is not None:
            self.ctx.call_on_fit_task_end(
                estimator=self.estimator,
                reconstruction_attributes={},
                **self._data(),
            )

    def begin(self, task_name, reconstruction_attributes=None):
        """Open the subtask of the next epoch / iteration."""
        if not self.active:
            return
        self._task = self.ctx.subcontext(task_name=task_name)
        self._task.call_on_fit_task_begin(
            estimator=self.estimator,
            reconstruction_attributes=reconstruction_attributes,
            **self._data(),
        )

    def end(self, reconstruction_attributes=None, *, empty=False):
        """Close the open subtask; return True if a callback asks to stop.

        ``empty=True`` closes a task that did no work (e.g. the iteration
        L-BFGS opened but never ran, or an epoch rolled back after
        divergence): the hooks get no data.
        """
        task, self._task = self._task, None
        if task is None:
            return False
        if empty:
            return bool(task.call_on_fit_task_end(estimator=self.estimator))
        return bool(
            task.call_on_fit_task_end(
                estimator=self.estimator,
                reconstruction_attributes=reconstruction_attributes,
                **self._data(),
            )
        )


def reconstruction_attributes(trainer, flat):
    """For callbacks: the fitted attributes of ``flat`` (``coefs_``,
    ``intercepts_``), copied only when a callback asks for them (during its
    hook, so the copy is of the weights the hook reports)."""

    def attributes():
        coefs, intercepts = trainer.unpack(trainer.copy(flat))
        return {"coefs_": coefs, "intercepts_": intercepts}

    return attributes
