"""scikit-learn conventions: feature names, dtypes, metadata routing, tags."""

import warnings

import joblib
import numpy as np
import pytest
import sklearn
from numpy.testing import assert_array_equal
from skb_test_helpers import fit_quietly as _fit
from skb_test_helpers import needs_sklearn_1_7
from sklearn.datasets import load_digits, load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score, cross_validate
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skbackprop import BackpropMLPClassifier, BackpropMLPRegressor

pd = pytest.importorskip("pandas")
X_IRIS, Y_IRIS = load_iris(return_X_y=True)
X_IRIS = StandardScaler().fit_transform(X_IRIS)
COLUMNS = ["sl", "sw", "pl", "pw"]


def _messages(est, X):
    """What predicting on X says (warnings, or the error), for comparison."""
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        try:
            est.predict(X)
        except ValueError as exc:
            return ["error: " + str(exc)]
    return [str(w.message) for w in record]


def test_feature_names_like_sklearn():
    df = pd.DataFrame(X_IRIS, columns=COLUMNS)
    ours = _fit(BackpropMLPClassifier(max_iter=5, random_state=0), df, Y_IRIS)
    theirs = _fit(MLPClassifier(max_iter=5, random_state=0), df, Y_IRIS)
    np.testing.assert_array_equal(ours.feature_names_in_, COLUMNS)

    renamed = df.rename(columns={"sl": "a"})
    reordered = df[COLUMNS[::-1]]
    for X in (X_IRIS, renamed, reordered):
        got = [m.replace("BackpropMLPClassifier", "MLPClassifier")
               for m in _messages(ours, X)]
        assert got == _messages(theirs, X)
        assert got  # every case is reported
    # fitted on an array, predicting on a DataFrame warns the other way
    plain = _fit(BackpropMLPClassifier(max_iter=5, random_state=0), X_IRIS, Y_IRIS)
    assert not hasattr(plain, "feature_names_in_")
    assert _messages(plain, df) == [
        "X has feature names, but BackpropMLPClassifier was fitted without "
        "feature names"
    ]


def test_dataframe_input_float32_stays_float32():
    df = pd.DataFrame(X_IRIS.astype(np.float32), columns=COLUMNS)
    clf = _fit(BackpropMLPClassifier(max_iter=5, random_state=0), df, Y_IRIS)
    assert all(c.dtype == np.float32 for c in clf.coefs_ + clf.intercepts_)
    assert clf.predict_proba(df).dtype == np.float32
    reg = _fit(BackpropMLPRegressor(max_iter=5, random_state=0), df, X_IRIS[:, 0])
    assert reg.predict(df).dtype == np.float32


def test_predict_proba_columns_follow_classes():
    names = np.array(["zebra", "ant", "moose"])[Y_IRIS]
    order = np.random.RandomState(0).permutation(len(names))
    clf = _fit(
        BackpropMLPClassifier(solver="lbfgs", random_state=0),
        X_IRIS[order],
        names[order],
    )
    np.testing.assert_array_equal(clf.classes_, ["ant", "moose", "zebra"])
    proba = clf.predict_proba(X_IRIS)
    np.testing.assert_array_equal(clf.classes_[proba.argmax(1)], clf.predict(X_IRIS))
    assert (clf.predict(X_IRIS) == names).mean() > 0.9


def test_tags_are_true():
    clf_tags = BackpropMLPClassifier().__sklearn_tags__()
    reg_tags = BackpropMLPRegressor().__sklearn_tags__()
    assert clf_tags.classifier_tags.multi_label
    assert reg_tags.target_tags.multi_output
    assert clf_tags.input_tags.sparse and reg_tags.input_tags.sparse
    # seeded training is reproducible, so not non-deterministic
    assert not clf_tags.non_deterministic and not reg_tags.non_deterministic
    # and the tags describe what works: multilabel fit, multi-output fit
    Y2 = np.c_[Y_IRIS == 0, Y_IRIS == 2].astype(int)
    clf = _fit(BackpropMLPClassifier(solver="lbfgs", random_state=0), X_IRIS, Y2)
    assert clf.predict(X_IRIS).shape == Y2.shape
    reg = _fit(BackpropMLPRegressor(solver="lbfgs", random_state=0), X_IRIS, Y2)
    assert reg.predict(X_IRIS).shape == Y2.shape


@pytest.mark.parametrize("dropout", [
    0.0, [0.0, 0.0], 0.2, [0.0, 0.5], "abc", object(), None,
])
def test_array_api_tag_holds_with_dropout_even_when_invalid(dropout):
    """Dropout trains on array-API arrays too, so the tag does not depend
    on it; tags are read before the parameters are validated (pipelines,
    meta-estimators): an invalid dropout must not raise there."""
    from skbackprop._array_api import SUPPORTED

    for est in (BackpropMLPClassifier(dropout=dropout),
                BackpropMLPRegressor(dropout=dropout)):
        tags = est.__sklearn_tags__()
        assert tags.array_api_support is SUPPORTED


@pytest.fixture
def routing():
    with sklearn.config_context(enable_metadata_routing=True):
        yield


def _weights():
    # heavy weights on class 2 change the model
    return np.where(Y_IRIS == 2, 10.0, 1.0)


def _lbfgs():
    return BackpropMLPClassifier(
        hidden_layer_sizes=(5,), solver="lbfgs", max_iter=300, random_state=0
    ).set_fit_request(sample_weight=True).set_score_request(sample_weight=False)


def test_sample_weight_routed_through_pipeline(routing):
    w = _weights()
    scaler = StandardScaler().set_fit_request(sample_weight=False)
    pipe = _fit(make_pipeline(scaler, _lbfgs()), X_IRIS, Y_IRIS, sample_weight=w)
    direct = _fit(_lbfgs(), StandardScaler().fit_transform(X_IRIS), Y_IRIS,
                  sample_weight=w)
    unweighted = _fit(_lbfgs(), StandardScaler().fit_transform(X_IRIS), Y_IRIS)
    np.testing.assert_allclose(pipe[-1].coefs_[0], direct.coefs_[0])
    assert not np.allclose(pipe[-1].coefs_[0], unweighted.coefs_[0])


def test_sample_weight_routed_through_cross_validate(routing):
    w = _weights()
    cv = KFold(3, shuffle=True, random_state=0)
    weighted = cross_validate(
        _lbfgs(), X_IRIS, Y_IRIS, cv=cv, params={"sample_weight": w},
        return_estimator=True,
    )
    plain = cross_validate(_lbfgs(), X_IRIS, Y_IRIS, cv=cv, return_estimator=True)
    train, _ = next(cv.split(X_IRIS))
    direct = _fit(_lbfgs(), X_IRIS[train], Y_IRIS[train], sample_weight=w[train])
    np.testing.assert_allclose(weighted["estimator"][0].coefs_[0], direct.coefs_[0])
    assert not np.allclose(
        weighted["estimator"][0].coefs_[0], plain["estimator"][0].coefs_[0]
    )


def test_sample_weight_routed_through_grid_search(routing):
    w = _weights()
    search = GridSearchCV(_lbfgs(), {"alpha": [1e-4, 1e-1]}, cv=3)
    _fit(search, X_IRIS, Y_IRIS, sample_weight=w)
    best = search.best_estimator_
    direct = _fit(_lbfgs().set_params(alpha=best.alpha), X_IRIS, Y_IRIS,
                  sample_weight=w)
    np.testing.assert_allclose(best.coefs_[0], direct.coefs_[0])


def test_unrequested_sample_weight_is_an_error(routing):
    est = BackpropMLPClassifier(solver="lbfgs", random_state=0)
    scaler = StandardScaler().set_fit_request(sample_weight=False)
    with pytest.raises(ValueError, match="sample_weight"):
        _fit(make_pipeline(scaler, est), X_IRIS, Y_IRIS, sample_weight=_weights())


@pytest.mark.parametrize("ours, theirs", [
    (BackpropMLPClassifier, MLPClassifier), (BackpropMLPRegressor, MLPRegressor),
])
def test_shared_parameters_accept_what_sklearn_accepts(ours, theirs):
    """Every parameter both estimators have is constrained as scikit-learn
    constrains it (``activation`` also takes one name per hidden layer);
    validation_fraction=0.0 used to be refused."""
    mine, ref = ours._parameter_constraints, theirs._parameter_constraints
    assert set(ref) <= set(mine)
    for name in sorted(set(ref) - {"activation"}):
        assert [_meaning(c) for c in mine[name]] == [_meaning(c) for c in ref[name]], (
            name)
    names, sequence = mine["activation"]  # more names, or one per layer
    assert names.options > ref["activation"][0].options and sequence == "array-like"
    X, y = load_iris(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours(validation_fraction=0.0, max_iter=5, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="early-stopping validation split"):
        ours(validation_fraction=0.0, early_stopping=True, max_iter=5).fit(X, y)


def _meaning(constraint):
    """A comparable description of a parameter constraint (a set of
    options in any order, an interval's bounds and closure)."""
    options = getattr(constraint, "options", None)
    if options is not None:
        return (type(constraint).__name__, frozenset(options))
    if hasattr(constraint, "closed"):
        return (constraint.type, constraint.left, constraint.right, constraint.closed)
    return str(constraint)


def test_a_multiclass_split_that_cannot_be_stratified_is_sklearns():
    """Early stopping stratifies multiclass targets where it can; where it
    cannot (a class of one sample, fewer validation rows than classes) the
    split is scikit-learn's unstratified one, so the fit equals sklearn's
    instead of failing."""
    rng = np.random.RandomState(0)
    X = rng.randn(30, 3)
    y = np.r_[np.zeros(15, int), np.ones(14, int), [2]]
    params = dict(early_stopping=True, max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ref = MLPClassifier(**params).fit(X, y)
        ours = BackpropMLPClassifier(alpha_scaling="batch", **params).fit(X, y)
    np.testing.assert_allclose(ours.validation_scores_, ref.validation_scores_)
    for a, b in zip(ours.coefs_ + ours.intercepts_, ref.coefs_ + ref.intercepts_):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    binary = BackpropMLPClassifier(**params)  # sklearn stratifies binary too
    with pytest.raises(ValueError, match="least populated class"):
        binary.fit(X[:29], np.r_[np.zeros(28, int), [1]])


def test_many_classes_give_no_warning_sklearns_mlp_does_not_give():
    X = np.random.RandomState(0).randn(40, 3)
    y = np.arange(40) * 25
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        BackpropMLPClassifier(max_iter=2, random_state=0).fit(X, y)
    assert [w.category for w in caught] == [ConvergenceWarning]


@pytest.mark.slow  # a fresh interpreter or a whole workflow
def test_pipeline_cross_val_grid_search_and_joblib(tmp_path):
    X, y = load_digits(return_X_y=True)
    X, y = X[:500], y[:500]
    pipe = make_pipeline(
        StandardScaler(),
        BackpropMLPClassifier((30,), max_iter=200, random_state=0),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        scores = cross_val_score(pipe, X, y, cv=3)
        assert scores.mean() > 0.85

        search = GridSearchCV(
            pipe,
            {
                "backpropmlpclassifier__alpha": [1e-4, 1e-1],
                "backpropmlpclassifier__activation": ["relu", "gelu"],
            },
            cv=2,
            n_jobs=2,
        )
        search.fit(X, y)
    assert search.best_score_ > 0.8  # 250 training samples per split
    assert set(search.best_params_) == {
        "backpropmlpclassifier__alpha",
        "backpropmlpclassifier__activation",
    }

    path = tmp_path / "model.joblib"
    joblib.dump(search.best_estimator_, path)
    restored = joblib.load(path)
    assert_array_equal(restored.predict(X), search.predict(X))
    assert_array_equal(restored.predict_proba(X), search.predict_proba(X))


TRAINING = ["weight_decay", "learning_rate_schedule", "learning_rate_warmup",
            "dropout_schedule", "restore_best"]


@needs_sklearn_1_7
def test_signature_mirrors_sklearn():
    import inspect

    from sklearn.neural_network import MLPClassifier, MLPRegressor

    for ours, theirs, extra in [
        (BackpropMLPClassifier, MLPClassifier,
         ["class_weight", "alpha_scaling", "dropout", "scoring", *TRAINING,
          "label_smoothing"]),
        (BackpropMLPRegressor, MLPRegressor,
         ["alpha_scaling", "dropout", "scoring", *TRAINING]),
    ]:
        mine = inspect.signature(ours).parameters
        ref = inspect.signature(theirs).parameters
        assert list(mine) == list(ref) + extra
        for name, p in ref.items():
            assert mine[name].default == p.default, name
            assert mine[name].kind == p.kind, name
