"""Input checks of the estimators that go beyond scikit-learn's
``validate_data``: sample and class weights, labels with missing values,
and the cast of weights and regression targets to X's dtype.

Every check raises ``ValueError`` (``TypeError`` where scikit-learn does)
with scikit-learn's wording where it has one, and none lets a
``RuntimeWarning`` escape: casts to float32 run under ``np.errstate`` and
are checked afterwards.
"""

from numbers import Real

import numpy as np
from scipy.sparse import issparse
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.class_weight import compute_sample_weight

from ._warnings import warn

__all__ = [
    "cast_targets",
    "check_class_weight",
    "class_sample_weight",
    "check_no_missing_labels",
    "check_sample_weight",
    "finalize_weights",
    "store_parameters",
]


def store_parameters(est, arguments):
    """Set each constructor argument (``locals()`` of ``__init__``) as the
    attribute of its name, unchanged: scikit-learn's convention, written once
    for every estimator of the package."""
    for name, value in arguments.items():
        if name not in ("self", "__class__"):
            setattr(est, name, value)


def check_sample_weight(sample_weight, n_samples):
    """``sample_weight`` as a float64 array of shape ``(n_samples,)``
    (None stays None): numeric, finite, non-negative, not all zero."""
    if sample_weight is None:
        return None
    if issparse(sample_weight):
        raise TypeError(
            "Sparse data was passed for sample_weight, but dense data is "
            "required. Use '.toarray()' to convert to a dense numpy array."
        )
    sw = np.asarray(sample_weight)
    if sw.ndim == 0:
        sw = np.full(n_samples, sw)
    if sw.dtype.kind == "O":  # e.g. an object array of numbers (as sklearn)
        try:
            sw = sw.astype(np.float64)
        except (TypeError, ValueError):
            raise ValueError(
                "sample_weight must be numeric, got dtype object."
            ) from None
    if sw.dtype.kind not in "biuf":
        raise ValueError(f"sample_weight must be numeric, got dtype {sw.dtype}.")
    if sw.ndim != 1 or sw.shape[0] != n_samples:
        raise ValueError(
            f"sample_weight.shape == {sw.shape}, expected ({n_samples},)!"
        )
    sw = sw.astype(np.float64)  # always a copy: the caller's array is kept
    if np.isnan(sw).any():
        raise ValueError("Input sample_weight contains NaN.")
    if not np.isfinite(sw).all():
        raise ValueError("Input sample_weight contains infinity.")
    if (sw < 0).any():
        raise ValueError("Negative values in data passed to sample_weight.")
    if not sw.any():
        raise ValueError("Sample weights must contain at least one non-zero number.")
    return sw


def check_class_weight(class_weight):
    """Refuse class weights that ``sample_weight`` would refuse: values
    must be finite, non-negative real numbers."""
    if not isinstance(class_weight, dict):
        return
    for label, value in class_weight.items():
        if not isinstance(value, (Real, np.bool_)):
            raise ValueError(
                f"class_weight values must be real numbers; got {value!r} "
                f"for class {label!r}."
            )
        if not np.isfinite(value):
            raise ValueError(
                f"class_weight for class {label!r} is not finite: {value!r}."
            )
        if value < 0:
            raise ValueError(
                f"class_weight values must not be negative; got {value!r} "
                f"for class {label!r}."
            )


def class_sample_weight(class_weight, y, sample_weight):
    """Each sample's class weight (float64).  'balanced' with sample weights
    counts each class by its total weight, one output column at a time, so
    that integer weights equal repeated rows; a class of weight zero gets
    weight zero (its samples have none to scale)."""
    if class_weight != "balanced" or sample_weight is None:
        return compute_sample_weight(class_weight, y).astype(np.float64)
    columns = np.asarray(y).reshape(len(y), -1).T
    weights = np.ones(len(y))
    for column in columns:
        classes, codes = np.unique(column, return_inverse=True)
        totals = np.bincount(codes, weights=sample_weight, minlength=len(classes))
        with np.errstate(divide="ignore", invalid="ignore"):
            per_class = np.where(
                totals > 0, totals.sum() / (len(classes) * totals), 0.0)
        weights *= per_class[codes]
    return weights


def finalize_weights(sw, dtype):
    """The combined float64 weights ``sw`` (sample times class weights) in
    X's ``dtype``, refusing a total that overflows and weights that
    overflow or all underflow in float32."""
    if sw is None:
        return None
    with np.errstate(over="ignore"):
        total = sw.sum()
    if not np.isfinite(total):
        raise ValueError(
            "The sample weights are too large: their total overflows float64. "
            "Divide them by a common factor."
        )
    if np.dtype(dtype) == sw.dtype:
        return sw
    with np.errstate(over="ignore", under="ignore"):
        cast = sw.astype(dtype)
        cast_total = cast.sum()
    name = np.dtype(dtype).name
    if not np.isfinite(cast).all():
        raise _beyond_range("The sample weights reach", sw.max(), dtype,
                            "Divide them by a common factor")
    if not cast.any():
        raise ValueError(
            f"Every non-zero sample weight underflows to 0 in {name} (the "
            f"dtype of X): the largest is {sw.max():.3g}. Multiply them by a "
            f"common factor or pass X as float64."
        )
    if not np.isfinite(cast_total):
        raise ValueError(
            f"The total sample weight, {total:.3g}, overflows {name} (the "
            f"dtype of X). Divide the weights by a common factor or pass X "
            f"as float64."
        )
    return cast


def _beyond_range(what, value, dtype, remedy):
    """The error for a value float32 (X's ``dtype``) cannot hold."""
    return ValueError(
        f"{what} {value:.3g}, beyond the range of {np.dtype(dtype).name} (the "
        f"dtype of X, largest {np.finfo(dtype).max:.3g}). {remedy} or pass X "
        "as float64."
    )


def cast_targets(y, dtype):
    """Regression targets ``y`` (float64, finite) as a new 2-D array of X's
    ``dtype``: an error if a value overflows it, a ConvergenceWarning if
    float32 cannot resolve the targets' spread."""
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        Y = np.array(y, dtype=dtype, copy=True).reshape(y.shape[0], -1)
    if Y.dtype == np.asarray(y).dtype or Y.size == 0:
        return Y
    if not np.isfinite(Y).all():
        raise _beyond_range("y has values up to", np.max(np.abs(y)), dtype, "Scale y")
    _warn_if_unresolved(np.asarray(y, dtype=np.float64).reshape(Y.shape), dtype)
    return Y


def _warn_if_unresolved(y, dtype):
    """Warn when the spacing of ``dtype`` at y's magnitude is coarse
    compared with y's spread (targets far from zero in float32)."""
    spread = y.std(axis=0)
    spacing = np.spacing(np.abs(y).max(axis=0).astype(dtype)).astype(np.float64)
    coarse = (spread > 0) & (spacing > 0.1 * spread)
    if coarse.any():
        k = int(np.argmax(coarse))
        warn(
            f"y is far from zero for its spread (mean {y[:, k].mean():.6g}, "
            f"standard deviation {spread[k]:.3g}): {np.dtype(dtype).name} "
            f"(the dtype of X) resolves it only in steps of {spacing[k]:.3g}, "
            "so the fit may not converge to a useful model. Center and scale "
            "y (e.g. with TransformedTargetRegressor and StandardScaler) or "
            "pass X as float64.",
            ConvergenceWarning,
            module=__name__,
        )


def _is_missing(value):
    return value is None or type(value).__name__ == "NAType"  # pandas.NA


def _is_nan(value):
    return isinstance(value, (float, np.floating)) and value != value


def check_no_missing_labels(y, name="y"):
    """Refuse class labels that are None or pandas.NA, and NaN among the
    ``classes`` of ``partial_fit`` (NaN in ``y`` is left to scikit-learn's
    'Input contains NaN')."""
    if y is None or issparse(y):
        return  # None: scikit-learn's "requires y to be passed"
    kind = getattr(getattr(y, "dtype", None), "kind", "O")
    if name == "classes" and kind in "fO" and any(
        _is_nan(v) for v in np.asarray(y, dtype=object).flat
    ):
        # a list [0, 1, nan] would otherwise reach an integer cast (a
        # RuntimeWarning) before scikit-learn's "Input contains NaN"
        raise ValueError(
            "classes contains NaN; pass the class labels that y can take, "
            "without missing values."
        )
    if kind != "O":
        return
    values = np.asarray(y, dtype=object)
    if any(_is_missing(v) for v in values.flat):
        raise ValueError(
            f"The labels in {name} contain missing values (None or pandas.NA); "
            "drop those samples or fill the labels in."
        )
