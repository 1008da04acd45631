"""A small table shared by ``estimator/test_tabular_estimators.py`` and
``estimator/test_tabular_ensemble.py``."""

import numpy as np


def table(n=120, seed=0):
    """A frame with numeric, categorical and missing values, and a class
    and a numeric target that depend on both kinds."""
    import pandas as pd

    rng = np.random.RandomState(seed)
    x = rng.normal(size=n)
    colour = rng.choice(["red", "blue", "green"], n)
    X = pd.DataFrame({"x": x, "z": rng.normal(size=n),
                      "colour": pd.Categorical(colour)})
    X.loc[::9, "z"] = np.nan
    y_num = 2 * x + (colour == "red") * 3 + 0.1 * rng.normal(size=n)
    return X, np.where(y_num > 1, "high", "low"), y_num
