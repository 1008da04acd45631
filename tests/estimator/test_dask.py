"""Scale-out with Dask: distributed grid search and out-of-core training."""

import warnings

import numpy as np
import pytest
from scipy.stats import loguniform
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.preprocessing import StandardScaler

from skbackprop import BackpropMLPClassifier

pytestmark = [
    pytest.mark.dask,
    pytest.mark.slow,  # a local cluster of worker processes
    # dask/distributed's own housekeeping warnings are not ours
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::FutureWarning"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
]
da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")
dask_ml_wrappers = pytest.importorskip("dask_ml.wrappers")
dask_ml_ms = pytest.importorskip("dask_ml.model_selection")
joblib = pytest.importorskip("joblib")
X, Y = load_digits(return_X_y=True)
X = StandardScaler().fit_transform(X)
X_TRAIN, X_TEST, Y_TRAIN, Y_TEST = train_test_split(X, Y, random_state=0)
CLASSES = np.unique(Y)


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        processes=False, n_workers=1, threads_per_worker=2, dashboard_address=None
    )
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


def test_grid_search_on_a_dask_cluster(client):
    grid = {"alpha": [1e-4, 1e-1], "hidden_layer_sizes": [(16,), (32,)]}

    def search():
        return GridSearchCV(
            BackpropMLPClassifier(solver="lbfgs", max_iter=60, random_state=0),
            grid,
            cv=3,
            n_jobs=-1,
        )

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        with joblib.parallel_backend("dask"):
            on_dask = search().fit(X_TRAIN, Y_TRAIN)
        local = search().set_params(n_jobs=1).fit(X_TRAIN, Y_TRAIN)
    np.testing.assert_allclose(
        on_dask.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"]
    )
    assert on_dask.best_params_ == local.best_params_


def _dask_arrays(passes=6, chunk=270):
    # several passes over the training data, each pass in several blocks
    Xd = da.concatenate([da.from_array(X_TRAIN, chunks=(chunk, -1))] * passes)
    yd = da.concatenate([da.from_array(Y_TRAIN, chunks=chunk)] * passes)
    return Xd, yd


def test_incremental_trains_block_by_block(client):
    Xd, yd = _dask_arrays()
    assert Xd.numblocks[0] > 1
    inc = dask_ml_wrappers.Incremental(
        BackpropMLPClassifier(
            hidden_layer_sizes=(32,), learning_rate_init=0.01, random_state=0
        ),
        scoring="accuracy",
        shuffle_blocks=False,
    )
    inc.fit(Xd, yd, classes=CLASSES)
    model = inc.estimator_
    # one partial_fit (one epoch) per block; n_iter_ counts the epochs of the
    # last call, as in sklearn
    assert len(model.loss_curve_) == Xd.numblocks[0] and model.n_iter_ == 1
    assert model.t_ == Xd.shape[0]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        in_memory = BackpropMLPClassifier(
            hidden_layer_sizes=(32,),
            learning_rate_init=0.01,
            max_iter=6,
            random_state=0,
        ).fit(X_TRAIN, Y_TRAIN)
    out_of_core = model.score(X_TEST, Y_TEST)
    assert out_of_core >= in_memory.score(X_TEST, Y_TEST) - 0.03
    assert out_of_core > 0.9


def test_incremental_search_cv(client):
    Xd, yd = _dask_arrays(passes=2)
    search = dask_ml_ms.IncrementalSearchCV(
        BackpropMLPClassifier(hidden_layer_sizes=(16,), random_state=0),
        {"learning_rate_init": [1e-4, 3e-2], "alpha": [1e-4, 1e-2]},
        n_initial_parameters=4,
        max_iter=6,
        random_state=0,
    )
    search.fit(Xd, yd, classes=CLASSES)
    assert len(search.cv_results_["params"]) == 4
    # the search tells the useful learning rate from the useless one
    assert search.best_params_["learning_rate_init"] == 3e-2
    assert search.best_score_ > 0.85
    assert isinstance(search.best_estimator_, BackpropMLPClassifier)


def test_hyperband_search_cv(client):
    Xd, yd = _dask_arrays(passes=2)
    search = dask_ml_ms.HyperbandSearchCV(
        BackpropMLPClassifier(hidden_layer_sizes=(16,), random_state=0),
        {"learning_rate_init": loguniform(1e-5, 1e-1)},
        max_iter=9,
        random_state=0,
    )
    search.fit(Xd, yd, classes=CLASSES)
    # several brackets, each trained through partial_fit
    assert search.metadata_["n_models"] >= 2
    # tiny rates cannot learn in 9 epochs: the winner is a usable one
    assert search.best_params_["learning_rate_init"] > 1e-3
    assert search.best_score_ > 0.85
    assert isinstance(search.best_estimator_, BackpropMLPClassifier)
