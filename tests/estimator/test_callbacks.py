"""scikit-learn's callback API (``sklearn.callback``, scikit-learn >= 1.9)."""

import subprocess
import sys
import warnings

import numpy as np
import pytest
from skb_test_helpers import fit_quietly
from skb_test_helpers import fit_quietly as _fit
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skbackprop import BackpropMLPClassifier, BackpropMLPRegressor
from skbackprop._callbacks import FitTasks, init_callback_context

callback = pytest.importorskip("sklearn.callback")
X_IRIS, Y_IRIS = load_iris(return_X_y=True)
X_IRIS = StandardScaler().fit_transform(X_IRIS)


class Recorder:
    """Records every hook; asks to stop after subtask ``stop_after``."""

    def __init__(self, stop_after=None, fail_after=None):
        self.stop_after = stop_after
        self.fail_after = fail_after
        self.events = []

    def setup(self, estimator, context):
        self.events.append(("setup",))

    def teardown(self, estimator, context):
        self.events.append(("teardown",))

    def on_fit_task_begin(
        self, estimator, context, *, X=None, y=None, metadata=None,
        fitted_estimator=None,
    ):
        self.events.append(("begin", context.task_name, context.task_id))

    def on_fit_task_end(
        self, estimator, context, *, X=None, y=None, metadata=None,
        fitted_estimator=None,
    ):
        score = None
        if fitted_estimator is not None and hasattr(fitted_estimator, "score"):
            score = fitted_estimator.score(X, y)
        self.events.append(("end", context.task_name, context.task_id, score))
        if context.task_name == "fit":
            return False
        if self.fail_after is not None and context.task_id + 1 == self.fail_after:
            raise RuntimeError("callback failure")
        return self.stop_after is not None and context.task_id + 1 == self.stop_after

    def subtasks(self, kind):
        names = {"epoch", "lbfgs-iter"}
        return [e for e in self.events if e[0] == kind and e[1] in names]


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_hooks_fire_once_per_epoch(solver):
    rec = Recorder()
    est = BackpropMLPClassifier(
        hidden_layer_sizes=(5,), solver=solver, max_iter=12, random_state=0
    ).set_callbacks(rec)
    _fit(est, X_IRIS, Y_IRIS)

    assert rec.events[0] == ("setup",)
    assert rec.events[1] == ("begin", "fit", 0)
    assert rec.events[-2][:3] == ("end", "fit", 0)
    assert rec.events[-1] == ("teardown",)
    ends = [e for e in rec.subtasks("end") if e[3] is not None]
    # one scored task end per epoch / iteration, with consecutive ids
    assert len(ends) == est.n_iter_ == len(est.loss_curve_)
    assert [e[2] for e in ends] == list(range(est.n_iter_))
    # every task begun is ended (L-BFGS also ends the one it never ran)
    assert len(rec.subtasks("begin")) == len(rec.subtasks("end"))
    # the fitted_estimator handed to the last hook is the final model
    assert ends[-1][3] == pytest.approx(est.score(X_IRIS, Y_IRIS))


def test_callbacks_do_not_change_training():
    plain = _fit(BackpropMLPClassifier(max_iter=15, random_state=3), X_IRIS, Y_IRIS)
    watched = BackpropMLPClassifier(max_iter=15, random_state=3)
    _fit(watched.set_callbacks(Recorder()), X_IRIS, Y_IRIS)
    params = zip(
        plain.coefs_ + plain.intercepts_, watched.coefs_ + watched.intercepts_
    )
    for a, b in params:
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_stop_request_is_honoured(solver):
    rec = Recorder(stop_after=3)
    est = BackpropMLPClassifier(
        hidden_layer_sizes=(5,), solver=solver, max_iter=50, random_state=0
    ).set_callbacks(rec)
    with warnings.catch_warnings():
        # stopping on request is not a convergence failure
        warnings.simplefilter("error", ConvergenceWarning)
        est.fit(X_IRIS, Y_IRIS)
    assert est.n_iter_ == 3
    assert len(est.loss_curve_) == 3
    assert est.predict(X_IRIS).shape == Y_IRIS.shape
    # the weights are those after the third epoch / iteration
    assert [e for e in rec.events if e[0] == "end"][2][3] == pytest.approx(
        est.score(X_IRIS, Y_IRIS)
    )


def test_teardown_when_a_callback_fails():
    rec = Recorder(fail_after=2)
    est = BackpropMLPClassifier(max_iter=10, random_state=0).set_callbacks(rec)
    with pytest.raises(RuntimeError, match="callback failure"):
        est.fit(X_IRIS, Y_IRIS)
    assert rec.events[-1] == ("teardown",)
    assert not hasattr(est, "coefs_")  # nothing half-fitted is left behind


def test_teardown_when_training_diverges_and_old_model_survives():
    y = X_IRIS @ np.arange(1, 5.0)
    est = BackpropMLPRegressor(solver="sgd", max_iter=5, random_state=0)
    _fit(est, X_IRIS, y)
    before = [c.copy() for c in est.coefs_]
    rec = Recorder()
    est.set_callbacks(rec).set_params(learning_rate_init=1e200)
    with pytest.raises(ValueError, match="diverged"):
        est.fit(X_IRIS * 1e100, y)
    assert rec.events[0] == ("setup",) and rec.events[-1] == ("teardown",)
    for a, b in zip(before, est.coefs_):
        np.testing.assert_array_equal(a, b)
    assert not hasattr(est, "_callback_fit_ctx")


def test_partial_fit_is_one_task_per_call():
    rec = Recorder()
    est = BackpropMLPClassifier(random_state=0).set_callbacks(rec)
    classes = np.unique(Y_IRIS)
    for _ in range(3):
        est.partial_fit(X_IRIS, Y_IRIS, classes=classes)
    assert [e[0] for e in rec.events].count("setup") == 3
    assert len(rec.subtasks("end")) == 3


def test_progress_bar_standalone_pipeline_and_search():
    pb = callback.ProgressBar
    est = BackpropMLPClassifier(max_iter=8, random_state=0).set_callbacks(pb())
    _fit(est, X_IRIS, Y_IRIS)
    assert est.n_iter_ == 8
    lbfgs = BackpropMLPClassifier(solver="lbfgs", max_iter=8, random_state=0)
    _fit(lbfgs.set_callbacks(pb()), X_IRIS, Y_IRIS)

    pipe = make_pipeline(
        StandardScaler(), BackpropMLPClassifier(max_iter=8, random_state=0)
    ).set_callbacks(pb())
    _fit(pipe, X_IRIS, Y_IRIS)
    assert pipe[-1].n_iter_ == 8

    search = GridSearchCV(
        BackpropMLPClassifier(max_iter=5, random_state=0),
        {"alpha": [1e-4, 1e-1]},
        cv=2,
        n_jobs=1,
    ).set_callbacks(pb())
    _fit(search, X_IRIS, Y_IRIS)
    assert search.best_estimator_.n_iter_ == 5


def test_propagated_recorder_sees_the_epochs_inside_a_pipeline():
    class Propagated(Recorder):
        max_propagation_depth = None

    rec = Propagated()
    pipe = make_pipeline(
        StandardScaler(), BackpropMLPClassifier(max_iter=6, random_state=0)
    ).set_callbacks(rec)
    _fit(pipe, X_IRIS, Y_IRIS)
    assert len([e for e in rec.subtasks("end") if e[3] is not None]) == 6


def test_scoring_monitor_records_one_score_per_epoch():
    monitor = callback.ScoringMonitor(scoring="accuracy")
    est = BackpropMLPClassifier(max_iter=7, random_state=0).set_callbacks(monitor)
    _fit(est, X_IRIS, Y_IRIS)
    rows = [r for r in monitor.get_logs().data if r["task_name"] == "epoch"]
    assert [r["task_id"] for r in rows] == list(range(7))
    assert rows[-1]["accuracy"] == pytest.approx(est.score(X_IRIS, Y_IRIS))
    # the scores follow training, they are not one value repeated
    assert len({r["accuracy"] for r in rows}) > 1


def test_verbose_prints_validation_score(capsys):
    est = BackpropMLPClassifier(
        max_iter=3, early_stopping=True, verbose=True, random_state=0
    )
    _fit(est, X_IRIS, Y_IRIS)
    out = capsys.readouterr().out
    assert out.count("Iteration ") == 3
    assert out.count("Validation score: ") == 3


def test_hooks_are_no_ops_without_callbacks():
    est = BackpropMLPClassifier()
    assert init_callback_context(object(), 3) is None
    tasks = FitTasks(est, X_IRIS, Y_IRIS)
    assert not tasks.active
    tasks.begin_fit()
    tasks.begin("epoch")
    assert tasks.end(lambda: {}) is False
    tasks.end_fit()


@pytest.mark.slow  # a fresh interpreter or a whole workflow
def test_works_without_sklearn_callback():
    # Simulate scikit-learn < 1.9 for skbackprop only: ``sklearn.callback`` is
    # unimportable while skbackprop is imported (scikit-learn 1.9's own
    # ``_fit_context`` still needs it afterwards, so it is put back).
    code = (
        "import sys\n"
        "import sklearn.base, sklearn.model_selection, sklearn.preprocessing\n"
        "saved = sys.modules['sklearn.callback']\n"
        "sys.modules['sklearn.callback'] = None\n"
        "from skbackprop import BackpropMLPClassifier, _callbacks\n"
        "sys.modules['sklearn.callback'] = saved\n"
        "from sklearn.datasets import load_iris\n"
        "assert not _callbacks.HAS_CALLBACKS\n"
        "X, y = load_iris(return_X_y=True)\n"
        "est = BackpropMLPClassifier(solver='lbfgs', max_iter=300, random_state=0)\n"
        "print(est.fit(X, y).score(X, y) > 0.9,"
        " hasattr(est, 'set_callbacks'))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.split() == ["True", "False"]


callback_callbacks_in_pipeline = pytest.importorskip("sklearn.callback")
X, y = load_iris(return_X_y=True)
NO_SUPPORT = "The estimator .* does not support callbacks"


def _mlp():
    return BackpropMLPClassifier((5,), max_iter=3, random_state=0)


def test_a_monitor_on_the_pipeline_records_nothing():
    monitor = callback_callbacks_in_pipeline.ScoringMonitor(scoring="accuracy")
    fit_quietly(make_pipeline(SimpleImputer(), _mlp()).set_callbacks(monitor), X, y)
    with pytest.raises(ValueError, match="No logs to retrieve"):
        monitor.get_logs()


def test_a_monitor_on_the_mlp_step_records_every_epoch():
    monitor = callback_callbacks_in_pipeline.ScoringMonitor(scoring="accuracy")
    fit_quietly(make_pipeline(SimpleImputer(), _mlp().set_callbacks(monitor)), X, y)
    assert len(monitor.get_logs().data_as_pandas["accuracy"]) >= 3


def test_the_documented_filter_silences_the_no_support_warning():
    pytest.importorskip("rich")
    pipe = make_pipeline(SimpleImputer(), _mlp()).set_callbacks(
        callback_callbacks_in_pipeline.ProgressBar())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", message=NO_SUPPORT, category=UserWarning)
        pipe.fit(X, y)
    assert not [w for w in caught if "does not support callbacks" in str(w.message)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pipe.fit(X, y)
    assert [w for w in caught if "SimpleImputer does not support callbacks"
            in str(w.message)]
