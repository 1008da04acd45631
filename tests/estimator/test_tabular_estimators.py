"""The tabular estimators as scikit-learn estimators: weights, targets,
persistence, model selection, reproducibility, atomic failures, the
switches of each technique, and the ONNX refusal."""

import pickle

import joblib
import numpy as np
import pytest
from helpers.small_tables import table
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline

from skbackprop import TabularMLPClassifier, TabularMLPRegressor, to_onnx

pd = pytest.importorskip("pandas")

FAST = dict(hidden_layer_sizes=(16,), max_epochs=20, random_state=0)


def test_fits_the_signal():
    X, y_class, y_num = table(300)
    clf = TabularMLPClassifier(random_state=0).fit(X, y_class)
    assert clf.score(X, y_class) > 0.9
    reg = TabularMLPRegressor(random_state=0).fit(X, y_num)
    assert reg.score(X, y_num) > 0.9


def test_regression_targets_are_standardised_inside():
    X, _, y_num = table()
    shifted = TabularMLPRegressor(**FAST).fit(X, 1e4 + 1e3 * y_num)
    plain = TabularMLPRegressor(**FAST).fit(X, y_num)
    np.testing.assert_allclose(shifted.predict(X), 1e4 + 1e3 * plain.predict(X),
                               rtol=1e-5)
    assert shifted.y_mean_.shape == (1,)


def test_multi_output_regression():
    X, _, y_num = table()
    Y = np.c_[y_num, -y_num]
    reg = TabularMLPRegressor(**FAST).fit(X, Y)
    assert reg.n_outputs_ == 2 and reg.predict(X).shape == (120, 2)


def test_best_epoch_on_the_validation_split():
    X, y, _ = table()
    clf = TabularMLPClassifier(**dict(FAST, n_iter_no_change=None)).fit(X, y)
    assert len(clf.validation_scores_) == clf.n_iter_ == 20
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    no_split = TabularMLPClassifier(validation_fraction=None, **FAST).fit(X, y)
    assert no_split.validation_scores_ is None


def test_sample_and_class_weights_shift_the_decision():
    X, y, _ = table()
    heavy = np.where(y == "high", 100.0, 1.0)
    by_sample = TabularMLPClassifier(**FAST).fit(X, y, sample_weight=heavy)
    by_class = TabularMLPClassifier(class_weight={"high": 100.0, "low": 1.0},
                                    **FAST).fit(X, y)
    plain = TabularMLPClassifier(**FAST).fit(X, y)
    for model in (by_sample, by_class):
        assert (model.predict_proba(X)[:, 0].mean()
                > plain.predict_proba(X)[:, 0].mean())
    with pytest.raises(ValueError, match="zero weight"):
        TabularMLPClassifier(class_weight={"high": 0.0, "low": 0.0},
                             **FAST).fit(X, y)


@pytest.mark.parametrize("dump", ["pickle", "joblib", "skops"])
def test_persistence_round_trip(dump, tmp_path):
    X, y, _ = table()
    clf = TabularMLPClassifier(**FAST).fit(X, y)
    path = tmp_path / "model"
    if dump == "pickle":
        loaded = pickle.loads(pickle.dumps(clf))
    elif dump == "joblib":
        joblib.dump(clf, path)
        loaded = joblib.load(path)
    else:
        sio = pytest.importorskip("skops.io")
        sio.dump(clf, path)
        loaded = sio.load(path, trusted=sio.get_untrusted_types(file=path))
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))


def test_grid_search_in_a_pipeline():
    X, y, _ = table()
    pipe = Pipeline([("model", TabularMLPClassifier(**FAST))])
    search = GridSearchCV(pipe, {"model__hidden_layer_sizes": [(8,), (16,)],
                                 "model__smooth_clip": [None, 3.0]}, cv=2)
    search.fit(X, y)
    assert search.best_estimator_.predict(X).shape == (120,)


def test_clone_set_params_and_seeded_refits():
    X, y, _ = table()
    clf = TabularMLPClassifier(**FAST)
    assert clone(clf).get_params() == clf.get_params()
    assert clf.set_params(max_epochs=7).max_epochs == 7
    first = [c.copy() for c in clf.fit(X, y).coefs_]
    second = clf.fit(X, y).coefs_
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


def test_a_failing_fit_leaves_the_model_as_it_was():
    X, y, _ = table()
    clf = TabularMLPClassifier(**FAST).fit(X, y)
    before = clf.predict_proba(X)
    state = {k: v for k, v in vars(clf).items() if k.endswith("_")}
    bad = X.assign(x=np.nan)
    with pytest.raises(ValueError, match="only missing values"):
        clf.fit(bad, y)
    np.testing.assert_array_equal(clf.predict_proba(X), before)
    assert set(state) == {k for k in vars(clf) if k.endswith("_")}
    assert list(clf.feature_names_in_) == ["x", "z", "colour"]


@pytest.mark.parametrize("switch", [
    dict(numeric_scaling=None), dict(numeric_scaling="standard"),
    dict(smooth_clip=None), dict(missing_indicator=False),
    dict(validation_fraction=None), dict(batch_size=16), dict(dropout=0.0),
    dict(dropout_schedule=None), dict(alpha=1.0), dict(weight_decay=0.0),
    dict(learning_rate_schedule=None), dict(learning_rate_schedule="cosine"),
    dict(restore_best="last"), dict(numeric_embedding=None),
    dict(categorical_embedding="onehot", categorical_features=["colour"],
         max_one_hot_categories=2),
    dict(feature_scaling=False), dict(parametrization="standard"),
    dict(categorical_features=["colour"]),
])
def test_each_technique_can_be_switched(switch):
    X, y, y_num = table()
    X = X.assign(colour=X["colour"].cat.codes * 10.0)  # numeric codes
    for cls, target in ((TabularMLPClassifier, y), (TabularMLPRegressor, y_num)):
        default = cls(**FAST).fit(X, target)
        switched = cls(**dict(FAST, **switch)).fit(X, target)
        out = switched.predict(X)
        assert out.shape == (120,)
        if cls is TabularMLPRegressor:
            assert np.isfinite(out).all()
            assert not np.allclose(out, default.predict(X))


def test_the_network_of_the_defaults():
    from skbackprop._engine.layers import Dense
    from skbackprop._engine.table_layers import (
        CategoricalEmbedding,
        PeriodicEmbedding,
        Scale,
    )
    from skbackprop._tabular import build_network

    X, y, _ = table()
    clf = TabularMLPClassifier(max_one_hot_categories=2, **FAST).fit(X, y)
    network = build_network(clf._architecture, np.float64)
    assert [type(layer) for layer in network.layers] == [
        CategoricalEmbedding, PeriodicEmbedding, Scale, Dense, Dense]
    assert all(layer.gain is not None for layer in network.layers[3:])  # ntk
    plain = TabularMLPClassifier(
        numeric_embedding=None, categorical_embedding="onehot",
        feature_scaling=False, parametrization="standard", **FAST).fit(X, y)
    network = build_network(plain._architecture, np.float64)
    assert [type(layer) for layer in network.layers] == [Dense, Dense]


def test_label_smoothing_is_the_classifiers():
    X, y, _ = table()
    smooth = TabularMLPClassifier(**FAST).fit(X, y)
    sharp = TabularMLPClassifier(label_smoothing=0.0, **FAST).fit(X, y)
    assert smooth.predict_proba(X).max() < sharp.predict_proba(X).max()
    assert "label_smoothing" not in TabularMLPRegressor().get_params()


def test_onnx_export_is_refused_naming_the_reason():
    X, y, _ = table()
    clf = TabularMLPClassifier(**FAST).fit(X, y)
    with pytest.raises(NotImplementedError, match="table encoder .* no ONNX"):
        to_onnx(clf, X.head(1))
    with pytest.raises(NotImplementedError, match="TabularMLPClassifier"):
        to_onnx(Pipeline([("model", clf)]), X.head(1))
