"""Targets and labels: one class, continuous labels, missing values, pandas
dtypes, regression targets.

* ``y`` with a single class: ``fit`` raises a ValueError naming the class
  problem (as most sklearn classifiers do; sklearn's MLPClassifier instead
  silently trains a constant predictor).  ``check_classifiers_one_label``
  accepts either answer.
* Labels with missing values (None, pd.NA): ValueError saying so.
"""


import numpy as np
import pandas as pd

from battery.case import (
    COLS,
    FIT,
    LABELS,
    PFIT,
    X0,
    Y0_BIN,
    Y0_REG,
    Y_3,
    Y_BIN,
    Y_REG,
    Case,
    D,
    X,
    attr_is,
    checks,
    finite_predictions,
    fit_then,
    fit_with,
    same_as,
    tagged,
    that,
    with_value,
)


def _clf_target_cases():
    """One class, one sample, continuous labels."""
    cases = []
    add = cases.append
    c = "clf"
    add(Case("clf-fit-one-class", c, D(), fit_with(X0, np.zeros(20)), ValueError,
             "only one class"))
    add(Case("clf-fit-one-sample", c, D(), fit_with(X0[:1], Y0_BIN[:1]), ValueError,
             "only one class"))
    add(Case("clf-fit-continuous-y", c, D(), fit_with(X0, Y0_REG), ValueError,
             "Unknown label type"))
    return cases


def _reg_target_cases():
    """inf in y, one sample, negative Poisson targets."""
    cases = []
    add = cases.append
    r = "reg"
    add(Case("reg-fit-inf-y", r, D(),
             fit_with(X0, with_value(Y0_REG, 0, np.inf)), ValueError,
             "Input y contains infinity"))
    add(Case("reg-fit-one-sample", r, D(), fit_with(X0[:1], Y0_REG[:1]),
             check=lambda est, res, d: finite_predictions(3)(est, est.predict(X0[:3]))))
    add(Case("reg-fit-poisson-negative-y", r, D(), fit_with(X0, Y0_REG), ValueError,
             "Some value\\(s\\) of y are negative which is not allowed for "
             "Poisson regression", params=dict(loss="poisson")))
    return cases


def _label_cases():
    cases = []
    add = cases.append
    missing = r"(?i)missing value"
    add(Case("clf-object-labels-with-None", "clf",
             D(X=X, y=with_value(LABELS, 4, None, object)), FIT, ValueError, missing))
    add(Case("clf-object-int-labels-with-None", "clf",
             D(X=X, y=with_value(Y_BIN, 4, None, object)), FIT, ValueError, missing))
    add(Case("clf-pandas-string-labels-with-NA", "clf",
             D(X=X, y=lambda: pd.array(list(LABELS[:19]) + [pd.NA], dtype="string")),
             FIT, ValueError, missing))
    add(Case("clf-partial_fit-classes-with-None", "clf",
             D(X=X, y=LABELS, classes=lambda: np.array(["a", "b", None], object)),
             PFIT, ValueError, missing))
    add(Case("clf-partial_fit-classes-with-NaN", "clf",
             D(X=X, y=Y_BIN.astype(float), classes=np.array([0.0, 1.0, np.nan])),
             PFIT, ValueError, "contains NaN"))
    add(Case("clf-object-labels-with-nan", "clf",
             D(X=X, y=with_value(LABELS, 4, np.nan, object)), FIT, ValueError,
             "Input contains NaN"))
    add(Case("clf-pandas-Int64-labels-with-NA", "clf",
             D(X=X, y=lambda: pd.array(list(Y_BIN[:19]) + [pd.NA], dtype="Int64")),
             FIT, ValueError, "Input y contains NaN"))
    add(Case("clf-pandas-boolean-labels-with-NA", "clf",
             D(X=X, y=lambda: pd.array(list(Y_BIN[:19] == 1) + [pd.NA],
                                       dtype="boolean")),
             FIT, ValueError, "Input y contains NaN"))
    add(Case("clf-pandas-categorical-labels-with-NA", "clf",
             D(X=X, y=lambda: pd.Series(pd.Categorical(list(LABELS[:19]) + [None]))),
             FIT, ValueError, "Input contains NaN"))
    add(Case("clf-pandas-Int64-labels", "clf",
             D(X=X, y=lambda: pd.array(Y_BIN, dtype="Int64")), FIT,
             check=same_as(D(X=X, y=Y_BIN))))
    add(Case("clf-pandas-boolean-labels", "clf",
             D(X=X, y=lambda: pd.array(Y_BIN == 1, dtype="boolean")), FIT,
             check=same_as(D(X=X, y=Y_BIN == 1))))
    add(Case("clf-pandas-string-labels", "clf",
             D(X=X, y=lambda: pd.array(list(LABELS), dtype="string")), FIT,
             check=same_as(D(X=X, y=LABELS))))
    add(Case("clf-pandas-categorical-labels-unused-category", "clf",
             D(X=X, y=lambda: pd.Series(pd.Categorical(LABELS,
                                                       categories=["a", "b", "c"]))),
             FIT, check=checks(same_as(D(X=X, y=LABELS)),
                               that(lambda e, r, d: list(e.classes_) == ["a", "b"]))))
    add(Case("clf-pandas-series-labels-shuffled-index", "clf",
             D(X=X, y=lambda: pd.Series(Y_3, index=np.arange(20)[::-1])), FIT,
             check=same_as(D(X=X, y=Y_3))))
    add(Case("clf-mixed-str-int-labels", "clf",
             D(X=X, y=np.array([1, "a"] * 10, dtype=object)), FIT, (ValueError,),
             "Unknown label type|Mix of label input types"))
    add(Case("clf-uint64-labels-beyond-int64", "clf",
             D(X=X, y=np.where(Y_BIN == 0, 0, 2**63 + 5).astype(np.uint64)), FIT,
             check=checks(attr_is("classes_", np.array([0, 2**63 + 5], np.uint64)),
                          that(lambda e, r, d: e.predict(X).dtype == np.uint64))))
    add(Case("clf-2d-string-labels", "clf", D(X=X, y=np.c_[LABELS, LABELS]), FIT,
             ValueError, "Multioutput target data is not supported"))
    # regression targets
    add(Case("reg-object-target-with-None", "reg",
             D(X=X, y=with_value(Y_REG, 4, None, object)), FIT, ValueError,
             "Input y contains NaN"))
    add(Case("reg-pandas-Float64-target-with-NA", "reg",
             D(X=X, y=lambda: pd.array(list(Y_REG[:19]) + [pd.NA], dtype="Float64")),
             FIT, ValueError, "Input y contains NaN"))
    for name, build in [
        ("Float64", lambda: pd.array(Y_REG, dtype="Float64")),
        ("Int64", lambda: pd.array(np.arange(20) % 4, dtype="Int64")),
        ("boolean", lambda: pd.array(Y_BIN == 1, dtype="boolean")),
    ]:
        ref_y = np.asarray(build(), dtype=float)
        add(Case(f"reg-pandas-{name}-target", "reg", D(X=X, y=build), FIT,
                 check=same_as(D(X=X, y=ref_y))))
    add(Case("reg-complex-target", "reg", D(X=X, y=Y_REG + 1j), FIT, ValueError,
             "Complex data not supported"))
    add(Case("reg-string-target", "reg", D(X=X, y=LABELS), FIT, ValueError,
             "could not convert string to float"))
    # pandas extension dtypes in X
    df = pd.DataFrame(X, columns=COLS)
    add(Case("reg-dataframe-Int64-column-with-NA", "reg",
             D(X=lambda: df.assign(a=pd.array([1] * 19 + [pd.NA], dtype="Int64")),
               y=Y_REG), FIT, ValueError, "Input X contains NaN"))
    add(Case("reg-dataframe-Float64-columns", "reg",
             D(X=lambda: df.astype("Float64"), y=Y_REG), FIT,
             check=same_as(D(X=df, y=Y_REG), Xp=df)))
    add(Case("reg-dataframe-boolean-column", "reg",
             D(X=lambda: df.assign(a=pd.array(Y_BIN == 1, dtype="boolean")), y=Y_REG),
             FIT, check=same_as(D(X=df.assign(a=(Y_BIN == 1).astype(float)), y=Y_REG),
                                Xp=df.assign(a=(Y_BIN == 1).astype(float)))))
    add(Case("reg-dataframe-string-categorical-column", "reg",
             D(X=lambda: df.assign(a=pd.Categorical(LABELS)), y=Y_REG), FIT,
             ValueError, "could not convert string to float"))
    add(Case("clf-predict-dataframe-Int64-with-NA", "clf",
             D(X=df, y=Y_BIN,
               Xp=lambda: df.assign(a=pd.array([1] * 19 + [pd.NA], dtype="Int64"))),
             fit_then("predict"), ValueError, "Input X contains NaN", atomic=False))
    return cases


CASES = tagged("targets", _clf_target_cases() + _reg_target_cases()
               + _label_cases())
