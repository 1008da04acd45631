"""The tabular estimators take a table as it comes: column kinds by dtype
or by ``categorical_features``, missing values, unknown categories,
constant columns, and clear errors for what they cannot take."""

import numpy as np
import pytest

from skbackprop import TabularMLPClassifier, TabularMLPRegressor
from skbackprop._table import SMOOTH_CLIP, TableEncoder, smooth_clip

pd = pytest.importorskip("pandas")

FAST = dict(hidden_layer_sizes=(8,), max_epochs=5, random_state=0)


def mixed_frame(n=40):
    """Every supported dtype, with missing values in each kind."""
    rng = np.random.RandomState(0)
    x = rng.normal(size=n)
    x[::7] = np.nan
    return pd.DataFrame({
        "x": x,
        "count": pd.array(rng.randint(0, 5, n), dtype="Int64"),
        "colour": pd.Categorical(rng.choice(["red", "blue", "green"], n)),
        "shape": np.where(np.arange(n) % 5 == 0, None,
                          rng.choice(["a", "b"], n)).astype(object),
        "text": pd.array(rng.choice(["u", "v"], n), dtype="string"),
        "flag": rng.rand(n) > 0.5,
    })


def labels(n=40):
    return np.array(["no", "yes"] * (n // 2))


def test_a_mixed_frame_fits_and_predicts_with_its_kinds():
    X = mixed_frame()
    X.loc[3, "count"] = pd.NA
    clf = TabularMLPClassifier(**FAST).fit(X, labels())
    assert clf.n_features_in_ == 6
    assert list(clf.feature_names_in_) == list(X.columns)
    assert clf._encoder.kinds == ["numeric", "numeric", "categorical",
                                  "categorical", "categorical", "categorical"]
    proba = clf.predict_proba(X)
    assert proba.shape == (40, 2) and np.allclose(proba.sum(axis=1), 1)
    assert set(clf.predict(X)) <= {"no", "yes"}


def test_the_table_is_not_modified():
    X = mixed_frame()
    copy = X.copy(deep=True)
    clf = TabularMLPClassifier(**FAST).fit(X, labels())
    clf.predict(X)
    pd.testing.assert_frame_equal(X, copy)


@pytest.mark.parametrize("column", ["x", "shape"])
def test_a_column_without_values_at_fit_is_an_error(column):
    X = mixed_frame()
    X[column] = None if column == "shape" else np.nan
    with pytest.raises(ValueError, match=f"Column '{column}' has only missing"):
        TabularMLPClassifier(**FAST).fit(X, labels())


def test_constant_columns_are_dropped_without_error():
    X = pd.DataFrame({"x": np.arange(40.0), "same": 1.0, "label": "k"})
    clf = TabularMLPClassifier(**FAST).fit(X, labels())
    assert clf._encoder.n_outputs == 1  # only x reaches the network
    everything_constant = X[["same", "label"]]
    clf = TabularMLPClassifier(**FAST).fit(everything_constant, labels())
    assert clf._encoder.n_outputs == 1  # one zero input: the class prior
    assert clf.predict(everything_constant).shape == (40,)


def test_one_class_is_an_error():
    with pytest.raises(ValueError, match="only one class"):
        TabularMLPClassifier(**FAST).fit(mixed_frame(), ["yes"] * 40)


def test_a_category_seen_only_at_predict_is_the_missing_row():
    X = mixed_frame()
    clf = TabularMLPClassifier(**FAST).fit(X, labels())
    new, missing = X.head(3).copy(), X.head(3).copy()
    new["shape"] = ["never seen", "nor this", "c"]
    missing["shape"] = None
    np.testing.assert_array_equal(clf.predict_proba(new),
                                  clf.predict_proba(missing))
    column = clf._encoder.columns[3]
    np.testing.assert_array_equal(
        column.codes(np.array(["a", "b", "zzz", None], dtype=object)),
        [0, 1, 2, 2])


def test_a_large_categorical_column_is_embedded_unknown_as_missing():
    rng = np.random.RandomState(0)
    X = pd.DataFrame({"x": rng.normal(size=60),
                      "town": [f"t{i % 20}" for i in range(60)]})
    clf = TabularMLPClassifier(**FAST).fit(X, labels(60))
    arch = clf._architecture
    assert (arch["codes"], arch["cardinalities"]) == ([1], [20])
    codes = clf._encoder.transform(
        pd.DataFrame({"x": [0.0] * 3, "town": ["t0", "never", None]}))[:, 1]
    np.testing.assert_array_equal(codes, [1, 0, 0])
    new = X.head(2).assign(town=["never", None])
    proba = clf.predict_proba(new)
    np.testing.assert_array_equal(proba[0], proba[1] if new.x[0] == new.x[1]
                                  else proba[0])
    same_x = X.head(2).assign(x=0.0, town=["never", None])
    proba = clf.predict_proba(same_x)
    np.testing.assert_array_equal(proba[0], proba[1])
    onehot = TabularMLPClassifier(categorical_embedding="onehot", **FAST).fit(
        X, labels(60))
    assert onehot._architecture["codes"] == [] and onehot._encoder.n_outputs == 21


def test_wrong_columns_at_predict_have_sklearns_errors():
    X = mixed_frame()
    clf = TabularMLPClassifier(**FAST).fit(X, labels())
    with pytest.raises(ValueError, match="The feature names should match"):
        clf.predict(X.rename(columns={"x": "y"}))
    with pytest.raises(ValueError, match="X has 5 features, but "
                       "TabularMLPClassifier is expecting 6 features"), \
            pytest.warns(UserWarning, match="X does not have valid feature"):
        clf.predict(X.iloc[:, :5].to_numpy())


@pytest.mark.parametrize("values", [
    pd.date_range("2020-01-01", periods=40),
    pd.timedelta_range("1D", periods=40),
    np.arange(40) * 1j,
])
def test_an_unsupported_dtype_is_an_error_naming_the_column(values):
    X = pd.DataFrame({"x": np.arange(40.0), "when": values})
    with pytest.raises(ValueError, match="Column 'when' has dtype .* neither "
                       "numeric nor categorical"):
        TabularMLPClassifier(**FAST).fit(X, labels())


def test_infinity_is_an_error():
    X = pd.DataFrame({"x": np.r_[np.inf, np.arange(39.0)]})
    with pytest.raises(ValueError, match="contains infinity"):
        TabularMLPRegressor(**FAST).fit(X, np.arange(40.0))


@pytest.mark.parametrize("spec", [[1], [False, True], ["b"]])
def test_categorical_features_by_index_mask_or_name(spec):
    X = pd.DataFrame({"a": np.arange(40.0), "b": np.arange(40) % 3})
    reg = TabularMLPRegressor(categorical_features=spec, **FAST).fit(X, X["a"])
    assert reg._encoder.kinds == ["numeric", "categorical"]
    assert reg._encoder.n_outputs == 1 + 3  # b one-hot


def test_categorical_features_on_an_array():
    X = np.array([[i, "abc"[i % 3]] for i in range(40)], dtype=object)
    reg = TabularMLPRegressor(categorical_features=[1], **FAST).fit(
        X, np.arange(40.0))
    assert reg._encoder.kinds == ["numeric", "categorical"]
    assert reg.predict(X).shape == (40,)
    with pytest.raises(ValueError, match="could not convert string to float"):
        TabularMLPRegressor(categorical_features=None, **FAST).fit(
            pd.DataFrame(X).to_numpy(), np.arange(40.0))


@pytest.mark.parametrize("spec, message", [
    (["b"], "when the model is fitted on data without feature names"),
    ([5], "must be in"),
    ([True], "boolean mask must have shape"),
])
def test_bad_categorical_features_are_errors(spec, message):
    X = np.arange(80.0).reshape(40, 2)
    with pytest.raises(ValueError, match=message):
        TabularMLPRegressor(categorical_features=spec, **FAST).fit(X, X[:, 0])


def test_numeric_columns_are_scaled_robustly_and_clipped_smoothly():
    x = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 1000.0, np.nan])
    encoder = TableEncoder().fit(x[:, None])
    out = encoder.transform(x[:, None])
    q25, median, q75 = np.nanquantile(x, [0.25, 0.5, 0.75])
    u = (x[:5] - median) / (q75 - q25)
    np.testing.assert_allclose(out[:5, 0], u / np.sqrt(1 + (u / 3) ** 2))
    assert 0 < SMOOTH_CLIP - out[5, 0] < 0.01  # the outlier, clipped
    assert out[6, 0] == 0.0  # missing: the median
    np.testing.assert_array_equal(out[:, 1], [0, 0, 0, 0, 0, 0, 1])
    assert TableEncoder(missing_indicator=False).fit(x[:, None]).n_outputs == 1
    plain = TableEncoder(numeric_scaling=None, smooth_clip=None).fit(x[:, None])
    np.testing.assert_array_equal(plain.transform(x[:, None])[:6, 0], x[:6])


def test_smooth_clip_is_bounded_without_warnings():
    u = np.array([-1e308, -3.0, 0.0, 1e-3, 1e200, np.finfo(float).max])
    with np.errstate(all="raise"):
        clipped = smooth_clip(u, 3.0)
    assert np.all(np.abs(clipped) <= 3.0)
    assert clipped[2] == 0.0 and abs(clipped[3] - 1e-3) < 1e-9


def test_polars_frames():
    pl = pytest.importorskip("polars")
    X = pl.DataFrame({"x": [1.0, None, 3.0, 4.0] * 10,
                      "c": ["a", "b", None, "a"] * 10,
                      "f": [True, False, True, True] * 10})
    clf = TabularMLPClassifier(**FAST).fit(X, labels())
    assert clf._encoder.kinds == ["numeric", "categorical", "categorical"]
    assert list(clf.feature_names_in_) == ["x", "c", "f"]
    assert clf.predict(X).shape == (40,)
