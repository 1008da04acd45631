"""ONNX export of a real pipeline: a mixed-type DataFrame (int64, float64
with gaps, strings) through a ColumnTransformer with an imputer and a
one-hot encoder, and the gelu hint's cast, which works on such a frame."""

import re

import numpy as np
import pytest
from skb_test_helpers import fit_quietly
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skbackprop import BackpropMLPClassifier, to_onnx

pytestmark = pytest.mark.onnx
pytest.importorskip("skl2onnx")
rt = pytest.importorskip("onnxruntime")
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
    session = rt.InferenceSession(onx.SerializeToString(),
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
    session = rt.InferenceSession(onx.SerializeToString(),
                                  providers=["CPUExecutionProvider"])
    labels = session.run(None, _feeds(df))[0]
    np.testing.assert_array_equal(labels, model.predict(df))
