"""The caller's inputs are never modified, whatever the input kind."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from helpers.small_fits import OURS, Y_3, Y_REG, X
from numpy.testing import assert_array_equal
from skb_test_helpers import quiet

COLS = ["a", "b", "c", "d"]


def _snapshot(obj):
    if isinstance(obj, (pd.DataFrame, pd.Series)):
        return obj.copy(deep=True)
    if sp.issparse(obj):
        return obj.copy()
    return np.array(obj, copy=True, order="K")


def _assert_same(before, after):
    if isinstance(before, pd.DataFrame):
        pd.testing.assert_frame_equal(before, after)
    elif isinstance(before, pd.Series):
        pd.testing.assert_series_equal(before, after)
    elif sp.issparse(before):
        assert (before != after).nnz == 0
        assert before.format == after.format
    else:
        assert before.dtype == after.dtype
        assert before.flags.f_contiguous == after.flags.f_contiguous
        assert_array_equal(before, after)


_INPUT_KINDS = {
    "float64": lambda: X.copy(),
    "float32": lambda: X.astype(np.float32),
    "fortran": lambda: np.asfortranarray(X),
    "csr": lambda: sp.csr_matrix(X),
    "csc": lambda: sp.csc_matrix(X),
    "dataframe": lambda: pd.DataFrame(X, columns=COLS),
}


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
@pytest.mark.parametrize("input_kind", list(_INPUT_KINDS))
@pytest.mark.parametrize("kind", ["clf", "reg"])
def test_inputs_never_modified(kind, input_kind, solver):
    Xi = _INPUT_KINDS[input_kind]()
    y = (Y_3 if kind == "clf" else Y_REG).copy()
    if input_kind == "dataframe":
        y = pd.Series(y, name="target")
    elif input_kind == "float32" and kind == "reg":
        y = y.astype(np.float32)
    sw = np.linspace(0.5, 2.0, 20)
    inputs = [Xi, y, sw]
    before = [_snapshot(a) for a in inputs]
    est = OURS[kind](hidden_layer_sizes=(3,), max_iter=3, random_state=0,
                     solver=solver)
    with quiet():
        est.fit(Xi, y, sample_weight=sw)
        if solver != "lbfgs":
            kw = {"classes": np.unique(Y_3)} if kind == "clf" else {}
            est.partial_fit(Xi, y, sample_weight=sw, **kw)
        est.predict(Xi)
        if kind == "clf":
            est.predict_proba(Xi)
            est.predict_log_proba(Xi)
        est.score(Xi, y, sample_weight=sw)
    for b, a in zip(before, inputs):
        _assert_same(b, a)
