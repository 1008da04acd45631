"""Kinds of input accepted: dtypes, memory layouts, sparse formats.

Each fits as the equivalent dense float64 (or float32) C-ordered array.
"""


import numpy as np
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal

from battery.case import (
    FIT,
    PFIT,
    X32,
    Y_3,
    Y_BIN,
    Y_REG,
    Case,
    D,
    X,
    checks,
    coef_dtype,
    fit_then,
    memmap,
    readonly,
    same_as,
    tagged,
    with_value,
)


def _dtype_cases():
    cases = []
    add = cases.append
    for name, Xd in [
        ("float16", X.astype(np.float16)), ("int64", np.round(X * 3).astype(np.int64)),
        ("uint8", (np.abs(X) * 10).astype(np.uint8)), ("bool", X > 0),
        ("longdouble", X.astype(np.longdouble)), ("list", X.tolist()),
    ]:
        ref = np.asarray(Xd, dtype=np.float64)
        add(Case(f"reg-X-{name}", "reg", D(X=Xd, y=Y_REG), FIT,
                 check=checks(coef_dtype(np.float64),
                              same_as(D(X=ref, y=Y_REG), Xp=ref))))
    add(Case("clf-X-object-with-None", "clf",
             D(X=with_value(X, (2, 1), None, object), y=Y_BIN), FIT, ValueError,
             "Input X contains NaN"))
    add(Case("reg-float32-X-float64-y", "reg", D(X=X32, y=Y_REG), FIT,
             check=coef_dtype(np.float32)))
    for name, yd in [("float16", Y_REG.astype(np.float16)),
                     ("int", np.arange(20) % 5), ("bool", Y_BIN == 1)]:
        ref = np.asarray(yd, dtype=np.float64)
        add(Case(f"reg-y-{name}", "reg", D(X=X, y=yd), FIT,
                 check=same_as(D(X=X, y=ref))))
    sw = np.arange(20) % 3 + 1.0
    for name, swd in [("int", sw.astype(int)), ("float16", sw.astype(np.float16)),
                      ("bool", Y_BIN == 1)]:
        ref = np.asarray(swd, dtype=np.float64)
        add(Case(f"clf-sample_weight-{name}", "clf", D(X=X, y=Y_3, sample_weight=swd),
                 FIT, check=same_as(D(X=X, y=Y_3, sample_weight=ref))))
    add(Case("clf-sample_weight-object-numbers", "clf",
             D(X=X, y=Y_3, sample_weight=sw.astype(object)), FIT,
             check=same_as(D(X=X, y=Y_3, sample_weight=sw))))
    add(Case("clf-sample_weight-complex", "clf",
             D(X=X, y=Y_3, sample_weight=sw + 0j), FIT, ValueError,
             "Complex data not supported|sample_weight must be numeric"))
    add(Case("clf-sample_weight-sparse", "clf",
             D(X=X, y=Y_3, sample_weight=lambda: sp.csr_matrix(sw.reshape(1, -1))),
             FIT, TypeError, "Sparse data was passed for sample_weight, but dense "
             "data is required"))
    add(Case("clf-sample_weight-2d", "clf",
             D(X=X, y=Y_3, sample_weight=sw.reshape(-1, 1)), FIT, ValueError,
             r"sample_weight.shape == \(20, 1\), expected \(20,\)|"
             r"Sample weights must be 1D array or scalar"))
    add(Case("clf-predict-float32-after-float64-fit", "clf",
             D(X=X, y=Y_3, Xp=X32), fit_then("predict_proba"),
             check=lambda e, r, d: assert_allclose(r, e.predict_proba(X), atol=1e-6)))
    return cases


def _layout_cases():
    cases = []
    add = cases.append
    Xl = np.random.RandomState(2).randn(40, 8)
    yl = (np.arange(40) // 2) % 2
    for name, Xd, ref in [
        ("fortran", lambda: np.asfortranarray(X), X),
        ("fortran-float32", lambda: np.asfortranarray(X32), X32),
        ("row-slice", lambda: Xl[::2, :4], np.ascontiguousarray(Xl[::2, :4])),
        ("column-slice", lambda: Xl[:20, ::2], np.ascontiguousarray(Xl[:20, ::2])),
        ("negative-strides", lambda: X[::-1, ::-1],
         np.ascontiguousarray(X[::-1, ::-1])),
        ("read-only", readonly(X), X),
        ("memmap", memmap(X, "X"), X),
        ("broadcast-zero-strides", lambda: np.broadcast_to(X[:1], (20, 4)),
         np.repeat(X[:1], 20, axis=0)),
    ]:
        for kind, y in [("clf", Y_BIN), ("reg", Y_REG)]:
            if name in ("column-slice", "negative-strides", "broadcast-zero-strides") \
                    and kind == "clf":
                continue
            yy = yl[::2] if name == "row-slice" and kind == "clf" else y
            add(Case(f"{kind}-X-{name}", kind, D(X=Xd, y=yy), FIT,
                     check=same_as(D(X=ref, y=yy), Xp=ref, rtol=1e-6
                                   if ref.dtype == np.float32 else 1e-10)))
    add(Case("reg-read-only-y-and-sample_weight", "reg",
             D(X=X, y=readonly(Y_REG), sample_weight=readonly(np.linspace(1, 2, 20))),
             FIT, check=same_as(D(X=X, y=Y_REG, sample_weight=np.linspace(1, 2, 20)))))
    add(Case("reg-broadcast-sample_weight", "reg",
             D(X=X, y=Y_REG, sample_weight=lambda: np.broadcast_to(2.0, (20,))), FIT,
             check=same_as(D(X=X, y=Y_REG, sample_weight=np.full(20, 2.0)))))
    add(Case("reg-memmap-y", "reg", D(X=X, y=memmap(Y_REG, "y")), FIT,
             check=same_as(D(X=X, y=Y_REG))))
    add(Case("clf-partial_fit-read-only-X", "clf",
             D(X=readonly(X), y=Y_BIN, classes=[0, 1]), PFIT,
             check=same_as(D(X=X, y=Y_BIN, classes=[0, 1]), call=PFIT)))
    add(Case("clf-partial_fit-memmap-X", "clf",
             D(X=memmap(X, "X"), y=Y_BIN, classes=[0, 1]), PFIT,
             check=same_as(D(X=X, y=Y_BIN, classes=[0, 1]), call=PFIT)))
    add(Case("reg-lbfgs-read-only-float32-X", "reg", D(X=readonly(X32), y=Y_REG), FIT,
             params=dict(solver="lbfgs"),
             check=same_as(D(X=X32, y=Y_REG), Xp=X32, rtol=1e-6)))
    add(Case("clf-predict-read-only-memmap", "clf",
             D(X=X, y=Y_BIN, Xp=memmap(X, "X")), fit_then("predict_proba"),
             check=lambda e, r, d: assert_array_equal(r, e.predict_proba(X))))
    return cases


def _sparse_cases():
    cases = []
    add = cases.append
    Xs = np.where(np.abs(X) > 0.7, X, 0.0)
    Xs_empty = Xs.copy()
    Xs_empty[[2, 5, 11]] = 0.0
    for name, build, ref in [
        ("coo_matrix", lambda: sp.coo_matrix(Xs), Xs),
        ("lil_matrix", lambda: sp.lil_matrix(Xs), Xs),
        ("dok_matrix", lambda: sp.dok_matrix(Xs), Xs),
        ("bsr_matrix", lambda: sp.bsr_matrix(Xs), Xs),
        ("dia_matrix", lambda: sp.dia_matrix(Xs), Xs),
        ("csr_array", lambda: sp.csr_array(Xs), Xs),
        ("csc_array", lambda: sp.csc_array(Xs), Xs),
        ("coo_array", lambda: sp.coo_array(Xs), Xs),
        ("int64-csr", lambda: sp.csr_matrix((Xs * 3).astype(np.int64)),
         (Xs * 3).astype(np.int64).astype(float)),
        ("bool-csr", lambda: sp.csr_matrix(Xs > 0), (Xs > 0).astype(float)),
        ("empty-rows-csr", lambda: sp.csr_matrix(Xs_empty), Xs_empty),
        ("all-zero-csr", lambda: sp.csr_matrix((20, 4)), np.zeros((20, 4))),
        ("coo-duplicates", lambda: sp.coo_matrix(
            (np.r_[sp.coo_matrix(Xs).data, [1.0, 2.0]],
             (np.r_[sp.coo_matrix(Xs).row, [0, 0]],
              np.r_[sp.coo_matrix(Xs).col, [1, 1]])), shape=(20, 4)),
         with_value(Xs, (0, 1), Xs[0, 1] + 3.0)),
        ("csr-unsorted-indices", lambda: _unsorted_csr(Xs), Xs),
        ("csr-explicit-zeros", lambda: _explicit_zeros_csr(Xs), Xs),
    ]:
        for kind, y in [("clf", Y_3), ("reg", Y_REG)]:
            if kind == "clf" and name not in ("coo_matrix", "csr_array", "int64-csr",
                                              "empty-rows-csr", "coo-duplicates"):
                continue
            add(Case(f"{kind}-X-{name}", kind, D(X=build, y=y), FIT,
                     check=same_as(D(X=ref, y=y), Xp=ref, rtol=1e-9, atol=1e-12)))
    add(Case("reg-float32-csr", "reg", D(X=lambda: sp.csr_matrix(Xs.astype(np.float32)),
                                       y=Y_REG), FIT, check=coef_dtype(np.float32)))
    add(Case("reg-lbfgs-csc", "reg", D(X=lambda: sp.csc_matrix(Xs), y=Y_REG), FIT,
             params=dict(solver="lbfgs"),
             check=same_as(D(X=Xs, y=Y_REG), Xp=Xs, rtol=1e-7, atol=1e-9)))
    add(Case("clf-partial_fit-lil", "clf",
             D(X=lambda: sp.lil_matrix(Xs), y=Y_BIN, classes=[0, 1]), PFIT,
             check=same_as(D(X=Xs, y=Y_BIN, classes=[0, 1]), call=PFIT, Xp=Xs)))
    add(Case("reg-sparse-inf", "reg",
             D(X=lambda: sp.csr_matrix(with_value(Xs, (0, 0), np.inf)), y=Y_REG), FIT,
             ValueError, "Input X contains infinity"))
    add(Case("clf-predict-sparse-after-dense-fit", "clf",
             D(X=Xs, y=Y_3, Xp=lambda: sp.csr_matrix(Xs)), fit_then("predict_proba"),
             check=lambda e, r, d: assert_allclose(r, e.predict_proba(Xs), rtol=1e-12)))
    return cases


def _unsorted_csr(A):
    m = sp.csr_matrix(A)
    for i in range(m.shape[0]):
        s, e = m.indptr[i], m.indptr[i + 1]
        m.indices[s:e] = m.indices[s:e][::-1]
        m.data[s:e] = m.data[s:e][::-1]
    m.has_sorted_indices = False
    return m


def _explicit_zeros_csr(A):
    """A's pattern with every entry stored, zeros included."""
    rows, cols = np.indices(A.shape)
    return sp.csr_matrix((A.ravel(), (rows.ravel(), cols.ravel())), shape=A.shape)


CASES = tagged("input_types", _dtype_cases() + _layout_cases() + _sparse_cases())
