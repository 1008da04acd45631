"""What the user guide says about callbacks in a Pipeline: only
auto-propagated ones (ProgressBar) reach the MLP step, a monitor goes on the
step itself, and the documented filter silences scikit-learn's warning about
steps without callback support."""

import warnings

import pytest
from skb_test_helpers import fit_quietly
from sklearn.datasets import load_iris
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline

from skbackprop import BackpropMLPClassifier

callback = pytest.importorskip("sklearn.callback")
X, y = load_iris(return_X_y=True)
NO_SUPPORT = "The estimator .* does not support callbacks"


def _mlp():
    return BackpropMLPClassifier((5,), max_iter=3, random_state=0)


def test_a_monitor_on_the_pipeline_records_nothing():
    monitor = callback.ScoringMonitor(scoring="accuracy")
    fit_quietly(make_pipeline(SimpleImputer(), _mlp()).set_callbacks(monitor), X, y)
    with pytest.raises(ValueError, match="No logs to retrieve"):
        monitor.get_logs()


def test_a_monitor_on_the_mlp_step_records_every_epoch():
    monitor = callback.ScoringMonitor(scoring="accuracy")
    fit_quietly(make_pipeline(SimpleImputer(), _mlp().set_callbacks(monitor)), X, y)
    assert len(monitor.get_logs().data_as_pandas["accuracy"]) >= 3


def test_the_documented_filter_silences_the_no_support_warning():
    pytest.importorskip("rich")
    pipe = make_pipeline(SimpleImputer(), _mlp()).set_callbacks(
        callback.ProgressBar())
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
