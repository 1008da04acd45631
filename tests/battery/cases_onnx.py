"""ONNX export.

``to_onnx`` validates the model (NotFittedError) and the sample (dense,
2-D, sklearn's n_features wording) before converting; the graph runs in
onnxruntime and matches predict / predict_proba.
"""

import importlib.util

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from battery.case import (
    FIT,
    LABELS,
    Y_3,
    Y_BIN,
    Y_REG,
    Case,
    D,
    X,
    tagged,
)
from skbackprop import BackpropMLPClassifier, BackpropMLPRegressor, to_onnx

HAS_ONNX = all(
    importlib.util.find_spec(m) is not None for m in ("skl2onnx", "onnxruntime")
)


def _onnx_cases():
    cases = []
    add = cases.append
    nf = "X has 3 features, but {} is expecting 4 features as input"
    dense = r"(?i)dense|sparse"

    def export(sample, model=None, options=None):
        def call(est, d):
            m = model() if model is not None else est
            if model is None:
                FIT(est, d)
            return to_onnx(m, sample() if callable(sample) else sample,
                           options=options)

        return call

    for kind, cls in [("clf", BackpropMLPClassifier), ("reg", BackpropMLPRegressor)]:
        add(Case(f"{kind}-onnx-unfitted", "none", D(),
                 export(X[:1], model=lambda cls=cls: cls()), NotFittedError,
                 f"This {cls.__name__} instance is not fitted yet", extra=True))
        y = Y_BIN if kind == "clf" else Y_REG
        add(Case(f"{kind}-onnx-sparse-sample", kind, D(X=X, y=y),
                 export(lambda: sp.csr_matrix(X[:1])), (TypeError, ValueError), dense,
                 extra=True, atomic=False))
        add(Case(f"{kind}-onnx-wrong-n_features", kind, D(X=X, y=y),
                 export(X[:1, :3]), ValueError, nf.format(cls.__name__), extra=True,
                 atomic=False))
        add(Case(f"{kind}-onnx-1d-sample", kind, D(X=X, y=y), export(X[0]),
                 ValueError, "Expected 2D array", extra=True, atomic=False))
        add(Case(f"{kind}-onnx-3d-sample", kind, D(X=X, y=y),
                 export(X[:2].reshape(2, 2, 2)), ValueError, "Found array with dim 3",
                 extra=True,
                 atomic=False))
    add(Case("onnx-unfitted-pipeline", "none", D(),
             export(X[:1], model=lambda: make_pipeline(StandardScaler(),
                                                       BackpropMLPRegressor())),
             NotFittedError, "is not fitted yet", extra=True))

    def runs_like(Xr, zipmap=False):
        def check(est, onx, d):
            import onnxruntime as rt

            sess = rt.InferenceSession(onx.SerializeToString(),
                                       providers=["CPUExecutionProvider"])
            out = sess.run(None, {sess.get_inputs()[0].name: Xr})
            if hasattr(est, "predict_proba"):
                assert_array_equal(out[0], est.predict(Xr))
                proba = out[1]
                if zipmap:
                    proba = np.array([[row[c] for c in est.classes_] for row in proba])
                # ONNX's ZipMap carries float32 probabilities only
                atol = 1e-5 if Xr.dtype == np.float32 else 1e-7 if zipmap else 1e-10
                assert_allclose(proba, est.predict_proba(Xr), atol=atol)
            else:
                assert_allclose(out[0].ravel(), est.predict(Xr).ravel(), rtol=1e-5)

        return check

    X32 = X.astype(np.float32)
    before_zip = ("float64 sample with the default ZipMap: onnxruntime rejects the "
              "graph (ZipMap takes tensor(float), gets tensor(double))")
    for name, y, sample, Xr, opts, _before in [
        ("string-labels-float64-zipmap", LABELS, X[:1], X, None, before_zip),
        ("int-labels-float64-zipmap", Y_3, X[:1], X, None, before_zip),
        ("string-labels-float64-no-zipmap", LABELS, X[:1], X, {"zipmap": False}, None),
        ("string-labels-float32-zipmap", LABELS, X32[:1], X32, None, None),
        ("bool-labels", Y_BIN == 1, X[:1], X, {"zipmap": False}, None),
        ("empty-sample", Y_3, X[:0], X, {"zipmap": False}, None),
        ("float16-sample", Y_3, X[:1].astype(np.float16), X32, {"zipmap": False},
         None),
        ("list-sample", Y_3, X[:1].tolist(), X, {"zipmap": False}, None),
    ]:
        zipmap = opts is None
        add(Case(f"clf-onnx-{name}", "clf", D(X=X, y=y),
                 export(sample, options=opts), check=runs_like(Xr, zipmap),
                 extra=True))
    add(Case("reg-onnx-dataframe-sample", "reg", D(X=X, y=Y_REG),
             export(lambda: pd.DataFrame(X[:1], columns=list("abcd"))),
             check=runs_like(X), extra=True))
    add(Case("reg-onnx-string-sample", "reg", D(X=X, y=Y_REG),
             export(np.full((1, 4), "a")), ValueError,
             "could not convert string to float", extra=True, atomic=False))

    def bogus_activation(est, d):
        FIT(est, d)
        est.activation = "bogus"
        return to_onnx(est, X[:1])

    add(Case("reg-onnx-unknown-activation", "reg", D(X=X, y=Y_REG), bogus_activation,
             NotImplementedError, "Activation 'bogus' cannot be exported", extra=True,
             atomic=False))
    return cases


CASES = tagged("onnx", _onnx_cases()) if HAS_ONNX else []
