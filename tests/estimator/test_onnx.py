"""ONNX export: onnxruntime reproduces predict / predict_proba."""

import pickle
import re
import sys

import numpy as np
import pytest
from skb_test_helpers import fit_quietly
from skb_test_helpers import fit_quietly as _fit
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_iris, make_regression
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skbackprop import BackpropMLPClassifier, BackpropMLPRegressor, to_onnx
from skbackprop._engine import ACTIVATIONS

pytestmark = pytest.mark.onnx
skl2onnx = pytest.importorskip("skl2onnx")
rt = pytest.importorskip("onnxruntime")
X_IRIS, Y_IRIS = load_iris(return_X_y=True)
X32 = StandardScaler().fit_transform(X_IRIS).astype(np.float32)


def _run(onx, X):
    sess = rt.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    return sess.run(None, {sess.get_inputs()[0].name: X})


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("task", ["binary", "multiclass"])
def test_classifier_matches_for_every_activation(activation, task):
    y = Y_IRIS if task == "multiclass" else (Y_IRIS == 1).astype(int)
    clf = _fit(
        BackpropMLPClassifier(
            hidden_layer_sizes=(7, 5),
            activation=activation,
            solver="lbfgs",
            max_iter=60,
            random_state=0,
        ),
        X32,
        y,
    )
    label, proba = _run(to_onnx(clf, X32[:1], options={"zipmap": False}), X32)
    np.testing.assert_array_equal(label, clf.predict(X32))
    np.testing.assert_allclose(proba, clf.predict_proba(X32), atol=1e-5)


MIXED = ["logistic", "gelu", "relu", "softplus"]


@pytest.mark.parametrize("task", ["binary", "multiclass"])
@pytest.mark.parametrize("dropout", [0.0, 0.3])
def test_classifier_with_one_activation_per_layer(task, dropout):
    """Per-layer activations export layer by layer; dropout, a training-time
    operation, is the identity in the graph as in predict_proba."""
    y = Y_IRIS if task == "multiclass" else (Y_IRIS == 1).astype(int)
    clf = _fit(
        BackpropMLPClassifier(
            hidden_layer_sizes=(9, 7, 6, 5), activation=MIXED, dropout=dropout,
            learning_rate_init=0.01, max_iter=80, random_state=0,
        ),
        X32,
        y,
    )
    label, proba = _run(to_onnx(clf, X32[:1], options={"zipmap": False}), X32)
    np.testing.assert_array_equal(label, clf.predict(X32))
    np.testing.assert_allclose(proba, clf.predict_proba(X32), atol=1e-5)
    # the mixture matters: the same weights with one activation differ
    one = pickle.loads(pickle.dumps(clf)).set_params(activation="relu")
    assert np.abs(one.predict_proba(X32) - proba).max() > 1e-3


def test_regressor_with_one_activation_per_layer():
    X, y = make_regression(n_samples=120, n_features=6, random_state=0)
    X = X.astype(np.float32)
    reg = _fit(
        BackpropMLPRegressor(
            hidden_layer_sizes=(8, 6), activation=("tanh", "elu"), dropout=[0.2, 0.0],
            max_iter=50, random_state=0,
        ),
        X,
        y / 100,
    )
    (out,) = _run(to_onnx(reg, X[:1]), X)
    np.testing.assert_allclose(out.ravel(), reg.predict(X), atol=1e-5)


def test_float64_model_and_input():
    X64 = X32.astype(np.float64)
    clf = _fit(BackpropMLPClassifier(solver="lbfgs", random_state=0), X64, Y_IRIS)
    onx = to_onnx(clf, X64[:1], options={"zipmap": False})
    label, proba = _run(onx, X64)
    assert proba.dtype == np.float64
    np.testing.assert_array_equal(label, clf.predict(X64))
    np.testing.assert_allclose(proba, clf.predict_proba(X64), atol=1e-10)


def test_string_labels_and_zipmap_output():
    names = np.array(["setosa", "versicolor", "virginica"])[Y_IRIS]
    clf = _fit(BackpropMLPClassifier(solver="lbfgs", random_state=0), X32, names)
    label, proba = _run(to_onnx(clf, X32[:1]), X32)  # zipmap by default
    np.testing.assert_array_equal(label, clf.predict(X32))
    expected = clf.predict_proba(X32)
    assert list(proba[0]) == list(clf.classes_)
    got = np.array([[row[c] for c in clf.classes_] for row in proba])
    np.testing.assert_allclose(got, expected, atol=1e-5)


@pytest.mark.parametrize("activation", ["relu", "tanh", "gelu"])
@pytest.mark.parametrize("n_targets", [1, 3])
def test_regressor_matches(activation, n_targets):
    X, y = make_regression(
        n_samples=120, n_features=6, n_targets=n_targets, random_state=0
    )
    X = X.astype(np.float32)
    reg = _fit(
        BackpropMLPRegressor(
            hidden_layer_sizes=(8,),
            activation=activation,
            solver="lbfgs",
            max_iter=80,
            random_state=0,
        ),
        X,
        (y / y.std()).astype(np.float32),
    )
    (pred,) = _run(to_onnx(reg, X[:1]), X)
    np.testing.assert_allclose(pred.reshape(reg.predict(X).shape), reg.predict(X),
                               rtol=1e-5, atol=1e-5)


def test_poisson_regressor_matches():
    rng = np.random.RandomState(0)
    X = rng.randn(150, 4).astype(np.float32)
    y = rng.poisson(np.exp(0.5 * X[:, 0])).astype(np.float32)
    reg = _fit(
        BackpropMLPRegressor(loss="poisson", solver="lbfgs", random_state=0), X, y
    )
    assert reg.out_activation_ == "exp"
    (pred,) = _run(to_onnx(reg, X[:1]), X)
    np.testing.assert_allclose(pred.ravel(), reg.predict(X), rtol=1e-5)


def test_pipeline_through_skl2onnx_directly():
    pipe = _fit(
        make_pipeline(
            StandardScaler(), BackpropMLPClassifier(max_iter=30, random_state=0)
        ),
        X_IRIS.astype(np.float32),
        Y_IRIS,
    )
    to_onnx(pipe, X32[:1])  # registers the converters
    onx = skl2onnx.to_onnx(
        pipe, X32[:1], options={BackpropMLPClassifier: {"zipmap": False}}
    )
    X = X_IRIS.astype(np.float32)
    label, proba = _run(onx, X)
    np.testing.assert_array_equal(label, pipe.predict(X))
    np.testing.assert_allclose(proba, pipe.predict_proba(X), atol=1e-5)


@pytest.mark.parametrize("activation",
                         ["leaky_relu", "elu", "softplus", ["elu", "leaky_relu"]])
def test_float64_graphs_of_the_extra_activations_run(activation):
    """onnxruntime has float32 kernels only for LeakyRelu, Elu and Softplus:
    float64 graphs write them with operators it has for doubles, and match
    predict_proba to float64 rounding (inputs of both signs)."""
    X64 = X32.astype(np.float64) * 3 - 1
    hidden = (7,) if isinstance(activation, str) else (7, 5)
    clf = _fit(BackpropMLPClassifier(hidden, activation=activation, solver="lbfgs",
                                     max_iter=60, random_state=0), X64, Y_IRIS)
    label, proba = _run(to_onnx(clf, X64[:1], options={"zipmap": False}), X64)
    assert proba.dtype == np.float64
    np.testing.assert_array_equal(label, clf.predict(X64))
    np.testing.assert_allclose(proba, clf.predict_proba(X64), rtol=1e-9, atol=1e-12)


def test_float64_gelu_is_refused_clearly():
    clf = _fit(BackpropMLPClassifier((5,), activation="gelu", solver="lbfgs",
                                     max_iter=20, random_state=0), X32, Y_IRIS)
    with pytest.raises(NotImplementedError, match="pass a float32 X_sample"):
        to_onnx(clf, X32[:1].astype(np.float64))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_multi_output_regressor_declares_its_outputs(dtype):
    onnx = pytest.importorskip("onnx")
    X, y = make_regression(n_samples=60, n_features=4, n_targets=3, random_state=0)
    X = X.astype(dtype)
    reg = _fit(BackpropMLPRegressor(hidden_layer_sizes=(6,), solver="lbfgs",
                                    max_iter=30, random_state=0), X, y / 100)
    onx = to_onnx(reg, X[:1])
    dims = onx.graph.output[0].type.tensor_type.shape.dim
    assert [d.dim_value for d in dims][1:] == [3]
    onnx.checker.check_model(onx, full_check=True)
    (out,) = _run(onx, X)
    np.testing.assert_allclose(out, reg.predict(X), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_dataframe_sample_keeps_a_pipelines_column_names(dtype):
    """A ColumnTransformer that selects columns by name needs one ONNX input
    per column, which skl2onnx makes from a DataFrame sample."""
    pd = pytest.importorskip("pandas")
    from sklearn.compose import ColumnTransformer

    X = pd.DataFrame(X_IRIS.astype(dtype), columns=["a", "b", "c", "d"])
    pipe = _fit(make_pipeline(
        ColumnTransformer([("s", StandardScaler(), ["a", "b"])],
                          remainder="passthrough"),
        BackpropMLPClassifier(solver="lbfgs", max_iter=50, random_state=0),
    ), X, Y_IRIS)
    onx = to_onnx(pipe, X[:1], options={"zipmap": False})
    sess = rt.InferenceSession(onx.SerializeToString(),
                               providers=["CPUExecutionProvider"])
    assert [i.name for i in sess.get_inputs()] == ["a", "b", "c", "d"]
    label, proba = sess.run(None, {c: X[[c]].to_numpy() for c in X.columns})
    np.testing.assert_array_equal(label, pipe.predict(X))
    np.testing.assert_allclose(proba, pipe.predict_proba(X), atol=1e-5)
    with pytest.raises(ValueError, match="X has 3 features"):
        to_onnx(pipe, X.iloc[:1, :3])


def test_multilabel_is_refused_clearly():
    Y = np.c_[Y_IRIS == 0, Y_IRIS == 1].astype(int)
    clf = _fit(BackpropMLPClassifier(solver="lbfgs", random_state=0), X32, Y)
    with pytest.raises(NotImplementedError, match="multilabel"):
        to_onnx(clf, X32[:1])


def test_missing_extra_gives_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "skl2onnx", None)
    clf = _fit(BackpropMLPClassifier(solver="lbfgs", random_state=0), X32, Y_IRIS)
    with pytest.raises(ImportError, match=r"skbackprop\[onnx\]"):
        to_onnx(clf, X32[:1])


pytestmark_onnx_dataframe_pipeline = pytest.mark.onnx
pytest.importorskip("skl2onnx")
rt_onnx_dataframe_pipeline = pytest.importorskip("onnxruntime")
pd = pytest.importorskip("pandas")
NUMERIC, CATEGORICAL = ["tenure", "charges"], ["contract", "region"]


def _frame():
    rng = np.random.RandomState(0)
    n = 300
    df = pd.DataFrame({
        "tenure": rng.randint(0, 72, n).astype(np.int64),
        "charges": rng.uniform(20, 120, n),
        "contract": rng.choice(["monthly", "yearly"], n),
        "region": rng.choice(["north", "south", "east"], n),
    })
    df.loc[::17, "charges"] = np.nan
    y = ((df["tenure"] < 24) & (df["contract"] == "monthly")).astype(int)
    return df, y


def _pipeline(activation):
    return make_pipeline(
        ColumnTransformer([
            ("num", make_pipeline(SimpleImputer(), StandardScaler()), NUMERIC),
            ("cat", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL),
        ]),
        BackpropMLPClassifier((8,), activation=activation, solver="lbfgs",
                              max_iter=50, random_state=0),
    )


def _feeds(df):
    feeds = {c: df[[c]].to_numpy(dtype=np.float32) for c in NUMERIC}
    feeds |= {c: df[[c]].to_numpy(dtype=object) for c in CATEGORICAL}
    return feeds


@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_a_float32_sample_frame_exports_the_whole_pipeline(activation):
    df, y = _frame()
    model = fit_quietly(_pipeline(activation), df, y)
    sample = df[:1].astype({c: np.float32 for c in NUMERIC})
    onx = to_onnx(model, sample, options={"zipmap": False})
    session = rt_onnx_dataframe_pipeline.InferenceSession(onx.SerializeToString(),
                                  providers=["CPUExecutionProvider"])
    labels, probabilities = session.run(None, _feeds(df))
    np.testing.assert_array_equal(labels, model.predict(df))
    np.testing.assert_allclose(probabilities, model.predict_proba(df), atol=1e-5)


def test_the_gelu_hint_is_a_cast_that_works_on_a_data_frame():
    df, y = _frame()
    df = df.astype({"tenure": np.float64})  # float64 numbers: the gelu refusal
    model = fit_quietly(_pipeline("gelu"), df, y)
    X_sample = df[:1]
    with pytest.raises(NotImplementedError, match="float32") as refused:
        to_onnx(model, X_sample)
    # the hint's DataFrame expression, run as written
    hint = re.search(r"a DataFrame's numeric columns: (.*)\)\.$", str(refused.value))
    cast = eval(hint.group(1), {"np": np, "X_sample": X_sample})
    assert set(cast.dtypes[NUMERIC]) == {np.dtype(np.float32)}
    onx = to_onnx(model, cast)
    session = rt_onnx_dataframe_pipeline.InferenceSession(onx.SerializeToString(),
                                  providers=["CPUExecutionProvider"])
    labels = session.run(None, _feeds(df))[0]
    np.testing.assert_array_equal(labels, model.predict(df))
