"""Input validation: NaN and inf, shapes, dtypes of X, predict-time misuse."""


import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.exceptions import DataConversionWarning, NotFittedError

from battery.case import (
    COLS,
    OURS,
    X0,
    Case,
    D,
    finite_model,
    finite_predictions,
    fit_with,
    fitted_then,
    partial_fit_with,
    seq,
    tagged,
    with_value,
    y0_of,
)


def _misuse_cases():
    """NaN/inf, shapes, dtypes of X, misuse at predict time."""
    cases = []
    add = cases.append
    for kind in ("clf", "reg"):
        k = kind
        # --- NaN / inf in X and y -------------------------------------
        add(Case(f"{k}-fit-nan-X", k, D(),
                 fit_with(with_value(X0, (0, 0), np.nan)), ValueError,
                 "Input X contains NaN"))
        add(Case(f"{k}-fit-inf-X", k, D(),
                 fit_with(with_value(X0, (0, 0), np.inf)), ValueError,
                 "Input X contains infinity"))
        add(Case(f"{k}-partial_fit-nan-X", k, D(),
                 partial_fit_with(with_value(X0, (1, 2), np.nan)),
                 ValueError, "Input X contains NaN"))
        add(Case(f"{k}-fit-sparse-nan-X", k, D(),
                 fit_with(sp.csr_matrix(with_value(X0, (0, 0), np.nan))), ValueError,
                 "Input X contains NaN"))
        add(Case(f"{k}-predict-nan-X", k, D(),
                 fitted_then("predict", with_value(X0, (0, 0), np.nan)), ValueError,
                 "Input X contains NaN",
                 atomic=False))
        add(Case(f"{k}-fit-nan-y", k, D(),
                 fit_with(X0, with_value(y0_of(k), 0, np.nan)), ValueError,
                 "Input y contains NaN"))
        # --- shapes -------------------------------------------------------
        add(Case(f"{k}-fit-empty-X", k, D(), fit_with(X0[:0], y0_of(k)[:0]), ValueError,
                 r"Found array with 0 sample\(s\)"))
        add(Case(f"{k}-predict-empty-X", k, D(), fitted_then("predict", X0[:0]),
                 ValueError, r"Found array with 0 sample\(s\)",
                 atomic=False))
        add(Case(f"{k}-fit-one-feature", k, D(), fit_with(X0[:, :1]),
                 check=lambda est, r, d: finite_predictions(20)(
                     est, est.predict(X0[:, :1]))))
        add(Case(f"{k}-fit-inconsistent-lengths", k, D(),
                 fit_with(X0, y0_of(k)[:15]), ValueError,
                 "Found input variables with inconsistent numbers of samples"))
        add(Case(f"{k}-partial_fit-inconsistent-lengths", k, D(),
                 partial_fit_with(X0[:10]), ValueError,
                 "Found input variables with inconsistent numbers of samples"))
        add(Case(f"{k}-fit-1d-X", k, D(),
                 fit_with(X0[:, 0]), ValueError, "Expected 2D array"))
        add(Case(f"{k}-fit-3d-X", k, D(), fit_with(X0.reshape(20, 2, 2)), ValueError,
                 "Found array with dim 3"))
        add(Case(f"{k}-predict-3d-X", k, D(),
                 fitted_then("predict", X0.reshape(20, 2, 2)),
                 ValueError, "Found array with dim 3",
                 atomic=False))
        add(Case(f"{k}-fit-column-vector-y", k, D(),
                 fit_with(X0, y0_of(k).reshape(-1, 1)),
                 check=finite_model, warns=DataConversionWarning,
                 warns_match="A column-vector y was passed"))
        # --- dtypes of X ---------------------------------------------------
        add(Case(f"{k}-fit-string-X", k, D(),
                 fit_with(np.full((20, 4), "a")), ValueError,
                 "could not convert string to float"))
        add(Case(f"{k}-fit-dataframe-string-column", k, D(),
                 fit_with(pd.DataFrame(X0, columns=COLS).assign(b="x")), ValueError,
                 "could not convert string to float"))
        add(Case(f"{k}-fit-object-X", k, D(),
                 fit_with(np.full((20, 4), object())), TypeError,
                 "float\\(\\) argument must be"))
        add(Case(f"{k}-fit-numeric-object-X", k, D(), fit_with(X0.astype(object)),
                 check=finite_model))
        add(Case(f"{k}-fit-complex-X", k, D(), fit_with(X0 + 1j), ValueError,
                 "Complex data not supported"))
        # --- predict-time misuse ----------------------------------------
        add(Case(f"{k}-predict-before-fit", k, D(), lambda est, d: est.predict(X0),
                 NotFittedError,
                 f"This {OURS[k].__name__} instance is not fitted yet",
                 atomic=False))
        add(Case(f"{k}-predict-wrong-n-features", k, D(),
                 fitted_then("predict", X0[:, :3]),
                 ValueError,
                 f"X has 3 features, but {OURS[k].__name__} is expecting 4 "
                 "features as input",
                 atomic=False))
        add(Case(f"{k}-partial_fit-wrong-n-features", k, D(),
                 seq(partial_fit_with(X0), partial_fit_with(X0[:, :3])),
                 ValueError, "X has 3 features, but .* is expecting 4 features",
                 atomic=False))
        df = pd.DataFrame(X0, columns=COLS)
        add(Case(f"{k}-predict-feature-name-mismatch", k, D(),
                 fitted_then("predict", df.rename(columns={"a": "z"}), fit_X=df),
                 ValueError, "The feature names should match those that were passed",
                 atomic=False))
        add(Case(f"{k}-predict-ndarray-after-dataframe-fit", k, D(),
                 fitted_then("predict", X0, fit_X=df), check=finite_predictions(20),
                 warns=UserWarning, warns_match="X does not have valid feature names"))
        add(Case(f"{k}-partial_fit-lbfgs", k, D(), partial_fit_with(X0), AttributeError,
                 "has no attribute 'partial_fit'", params=dict(solver="lbfgs")))
        # --- early stopping with too few samples ---------------------------
        add(Case(f"{k}-fit-early-stopping-too-few-samples", k, D(),
                 fit_with(X0[:4], y0_of(k)[:4]),
                 ValueError,
                 "validation split|validation set is too small|test_size",
                 params=dict(early_stopping=True),
                 topic="early_stopping"))
    return cases


def _predict_proba_cases():
    """predict_proba before fit or on the wrong width."""
    cases = []
    add = cases.append
    c = "clf"
    add(Case("clf-predict_proba-before-fit", c, D(),
             lambda est, d: est.predict_proba(X0),
             NotFittedError, "This BackpropMLPClassifier instance is not fitted yet",
             atomic=False))
    add(Case("clf-predict_proba-wrong-n-features", c, D(),
             fitted_then("predict_proba", X0[:, :3]), ValueError,
             "X has 3 features, but BackpropMLPClassifier is expecting 4",
             atomic=False))
    return cases


CASES = tagged("input_validation", _misuse_cases() + _predict_proba_cases())
