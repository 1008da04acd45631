r"""The table encoder of the tabular estimators: a table as it comes in, the
network's inputs out.

:class:`TableEncoder` is fitted on ``X`` at ``fit`` and applied at every
prediction.  It takes a pandas DataFrame, a polars DataFrame or a 2-D array,
decides for each column whether it is numeric or categorical (see
:func:`categorical_mask`), and encodes each one on its own:

- **numeric** (:class:`NumericColumn`): a missing value (NaN, None,
  ``pandas.NA``) becomes the column's median at fit, and, when the column had
  missing values at fit, a 0/1 *missing indicator* column says where it was
  (so imputing loses nothing); the values are then robustly scaled and
  smoothly clipped (RealMLP-TD's transform),

  .. math::

      u = (x - \mathrm{median}) \, s, \qquad
      x' = \frac{u}{\sqrt{1 + (u / c)^2}},

  ``s = 1 / (q_{0.75} - q_{0.25})`` (``2 / (max - min)`` where the
  quartiles coincide), ``c`` the clip level (3): an outlier ends near
  ``+-c`` instead of dominating a layer, while the bulk stays nearly linear.
- **categorical** (:class:`CategoricalColumn`): the categories seen at fit,
  a missing value and a category first seen at prediction share a reserved
  code (handled, not an error).  A column of at most ``max_one_hot``
  categories is one-hot encoded (the reserved code an all-zero row); a
  larger one enters as one column of codes ``1 .. k`` (0 the reserved one)
  for an embedding layer, or, with ``categorical_embedding="onehot"``, is
  one-hot encoded too.

A *constant* column (one value and no missing one at fit) carries no
information: it is dropped from the network's inputs, with no error or
warning.  A column with no value at fit at all is an error, as is a dtype
that is neither numeric nor categorical (dates, durations, complex numbers).
Nothing the user passed is modified.
"""

import numpy as np

__all__ = [
    "CategoricalColumn",
    "NumericColumn",
    "TableEncoder",
    "categorical_mask",
    "is_frame",
    "smooth_clip",
]

# the smooth clip's level: |x'| < SMOOTH_CLIP for every input
SMOOTH_CLIP = 3.0


def _pandas():
    """pandas, or None when it is not installed (it is optional)."""
    try:
        import pandas
    except ImportError:  # pragma: no cover - pandas is in the test extra
        return None
    return pandas


def is_frame(X):
    """Whether ``X`` is a pandas or polars DataFrame."""
    module = type(X).__module__
    return hasattr(X, "columns") and (module.startswith("pandas")
                                      or module.startswith("polars"))


# ----------------------------------------------------------------------
# the columns of a table
def _frame_columns(X):
    """``(values, kind)`` per column of a DataFrame: kind 'numeric'
    (float64 values, NaN where missing), 'categorical' (object or other
    values) or the name of an unsupported dtype."""
    if type(X).__module__.startswith("polars"):
        return [_polars_column(X.get_column(name)) for name in X.columns]
    return [_pandas_column(X.iloc[:, j]) for j in range(X.shape[1])]


def _pandas_column(series):
    pd = _pandas()
    dtype = series.dtype
    types = pd.api.types
    if (isinstance(dtype, pd.CategoricalDtype) or types.is_bool_dtype(dtype)
            or types.is_object_dtype(dtype) or types.is_string_dtype(dtype)):
        return series.to_numpy(dtype=object), "categorical"
    if types.is_numeric_dtype(dtype) and not types.is_complex_dtype(dtype):
        return series.to_numpy(dtype=np.float64, na_value=np.nan), "numeric"
    return None, str(dtype)


def _polars_column(series):
    import polars as pl

    dtype = series.dtype
    if dtype in (pl.Boolean, pl.String, pl.Categorical) or isinstance(
            dtype, (pl.Categorical, pl.Enum)) or dtype == pl.Object:
        return np.array(series.cast(pl.String).to_list()
                        if dtype != pl.Object else series.to_list(),
                        dtype=object), "categorical"
    if dtype.is_numeric():
        return series.cast(pl.Float64).to_numpy().astype(np.float64), "numeric"
    return None, str(dtype)


def _array_columns(X, categorical):
    """``(values, kind)`` per column of a 2-D array; columns not in
    ``categorical`` must convert to float."""
    columns = []
    for j in range(X.shape[1]):
        values = X[:, j]
        if categorical[j]:
            columns.append((values.astype(object), "categorical"))
            continue
        try:
            columns.append((_as_float(values), "numeric"))
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"Column {j} is not numeric ({exc}); mark it categorical with "
                "categorical_features."
            ) from None
    return columns


def _as_float(values):
    """A numeric column as float64, None (and pandas.NA) as NaN."""
    if values.dtype.kind == "O":
        values = np.array([np.nan if _is_missing_scalar(v) else v for v in values])
    return np.asarray(values, dtype=np.float64)


def _is_missing_scalar(value):
    return (value is None or type(value).__name__ in ("NAType", "NaTType")
            or isinstance(value, (float, np.floating)) and value != value)


def categorical_mask(categorical_features, kinds, feature_names):
    """Which columns are categorical, from the ``categorical_features``
    parameter (as HistGradientBoosting's) and each column's dtype ``kinds``.

    ``'from_dtype'``: the columns of a categorical dtype (category, object,
    string, bool); None: those only when they cannot be numeric; a boolean
    mask, integer indices or column names: those columns, plus any column
    of a non-numeric dtype (it cannot be anything else).
    """
    n = len(kinds)
    by_dtype = np.array([kind == "categorical" for kind in kinds], dtype=bool)
    spec = categorical_features
    if spec is None or isinstance(spec, str) and spec == "from_dtype":
        return by_dtype
    spec = np.asarray(spec)
    if spec.ndim != 1:
        raise ValueError("categorical_features must be 1-D, got shape "
                         f"{spec.shape}.")
    if spec.dtype.kind == "b":
        if spec.shape[0] != n:
            raise ValueError(
                "categorical_features set as a boolean mask must have shape "
                f"(n_features,), got: {spec.shape}")
        return spec | by_dtype
    mask = by_dtype.copy()
    if spec.dtype.kind in "iu":
        bad = [int(i) for i in spec if not -n <= int(i) < n]
        if bad:
            raise ValueError(
                "categorical_features set as integer indices must be in "
                f"[0, n_features - 1] = [0, {n - 1}], got {bad}.")
        mask[spec] = True
        return mask
    if spec.dtype.kind in "UO" and spec.size:
        if feature_names is None:
            raise ValueError(
                "categorical_features should be passed as an array of integers "
                "or as a boolean mask when the model is fitted on data without "
                "feature names.")
        names = list(feature_names)
        missing = [name for name in spec if name not in names]
        if missing:
            raise ValueError(
                f"categorical_features has names {missing} that are not in "
                f"the columns of X: {names}.")
        mask[[names.index(name) for name in spec]] = True
        return mask
    if spec.size == 0:
        return by_dtype
    raise ValueError(
        "categorical_features must be 'from_dtype', None, a boolean mask, "
        f"integer indices or column names; got dtype {spec.dtype}.")


# ----------------------------------------------------------------------
# one column
def smooth_clip(u, level):
    """``u / sqrt(1 + (u / level)^2)``: nearly ``u`` near 0, within
    ``+-level`` always (beyond ``1e100 * level``, where the square would
    overflow, it is ``+-level`` to the float's precision)."""
    ratio = np.clip(u / level, -1e100, 1e100)
    return level * ratio / np.sqrt(1.0 + np.square(ratio))


class NumericColumn:
    """Median imputation (plus a missing indicator), robust scaling and
    smooth clipping of one numeric column; see the module.

    Parameters
    ----------
    name : str
        The column's name, for error messages.
    values : ndarray of float64
        The column at fit, NaN where missing.
    scaling : {'robust', 'standard', None}
        Robust scaling (centred on the median, divided by the interquartile
        range), standard scaling (mean and standard deviation), or none.
    smooth_clip : float or None
        The clip level ``c``; None: no clipping.
    missing_indicator : bool
        Whether a column with missing values at fit gets an indicator.
    """

    def __init__(self, name, values, scaling, smooth_clip, missing_indicator):
        _check_finite(name, values)
        missing = np.isnan(values)
        if missing.all():
            raise ValueError(
                f"Column {name!r} has only missing values in the data passed "
                "to fit: drop it, or fill it in.")
        present = values[~missing]
        low, q25, median, q75, high = np.quantile(present, [0, 0.25, 0.5, 0.75, 1])
        self.name = name
        self.median = float(median)
        self.indicator = bool(missing_indicator and missing.any())
        self.keeps_values = bool(high > low)
        self.center, self.scale = 0.0, 1.0
        if scaling == "robust":
            spread = q75 - q25 if q75 > q25 else (high - low) / 2
            self.center = self.median
            self.scale = 1.0 / spread if spread > 0 else 1.0
        elif scaling == "standard":
            spread = present.std()
            self.center = float(present.mean())
            self.scale = 1.0 / spread if spread > 0 else 1.0
        self.smooth_clip = smooth_clip
        self.width = int(self.keeps_values) + int(self.indicator)

    def transform(self, values, out):
        """Write the encoded column(s) of ``values`` into ``out`` (``width``
        columns)."""
        _check_finite(self.name, values)
        missing = np.isnan(values)
        column = 0
        if self.keeps_values:
            u = (np.where(missing, self.median, values) - self.center) * self.scale
            if self.smooth_clip is not None:
                u = smooth_clip(u, self.smooth_clip)
            out[:, column] = u
            column += 1
        if self.indicator:
            out[:, column] = missing


def _check_finite(name, values):
    """Refuse infinity (sklearn's wording, naming the column)."""
    if np.isinf(values).any():
        raise ValueError(
            "Input X contains infinity or a value too large for "
            f"dtype('float64') (column {name!r}).")


class CategoricalColumn:
    """The categories of one column, their codes, and their one-hot
    encoding; see the module.

    Parameters
    ----------
    name : str
        The column's name, for error messages.
    values : ndarray
        The column at fit.
    one_hot : bool or None
        One-hot encode it; None: when it has at most ``max_one_hot``
        categories.
    max_one_hot : int
        The largest number of categories one-hot encoded by default.

    Attributes
    ----------
    categories : ndarray of object
        The categories seen at fit, sorted by their text.
    one_hot : bool
        Whether it is one-hot encoded (else integer codes, for an
        embedding: ``1 .. k``, and 0 for a missing or unknown category).
    """

    def __init__(self, name, values, one_hot, max_one_hot):
        codes, keys, uniques = _factorize(values)
        if not len(keys):
            raise ValueError(
                f"Column {name!r} has only missing values in the data passed "
                "to fit: drop it, or fill it in.")
        order = np.argsort(keys, kind="stable")
        self.keys = keys[order]
        self.categories = uniques[order]
        has_missing = bool((codes < 0).any())
        self.n_categories = len(self.keys)
        self.one_hot = bool(self.n_categories <= max_one_hot if one_hot is None
                            else one_hot)
        # a single category and no missing value: constant, dropped
        self.constant = self.n_categories == 1 and not has_missing
        self.width = 0 if self.constant else (
            self.n_categories if self.one_hot else 1)

    def codes(self, values):
        """The codes of ``values``: ``0 .. k-1`` for the fitted categories,
        ``k`` for missing and unknown ones."""
        codes, keys, _ = _factorize(values)
        position = np.searchsorted(self.keys, keys) if len(keys) else np.zeros(0, int)
        position = np.minimum(position, self.n_categories - 1)
        known = self.keys[position] == keys if len(keys) else np.zeros(0, bool)
        lookup = np.append(np.where(known, position, self.n_categories),
                           self.n_categories)
        return lookup[codes]  # code -1 (missing) reads the last entry

    def transform(self, values, out):
        """Write the one-hot columns (or the codes) of ``values`` into
        ``out``."""
        if self.constant:
            return
        codes = self.codes(values)
        if not self.one_hot:  # the embedding's codes: 1..k, 0 unknown
            out[:, 0] = np.where(codes < self.n_categories, codes + 1, 0)
            return
        out[...] = 0
        rows = np.flatnonzero(codes < self.n_categories)
        out[rows, codes[rows]] = 1


def _factorize(values):
    """``(codes, keys, uniques)``: each value's index into ``uniques`` (-1
    where missing), the distinct non-missing values and their text keys
    (the categories' identity: ``1`` and ``'1'`` are one category)."""
    pd = _pandas()
    if pd is not None:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        uniques = np.asarray(uniques, dtype=object)
    else:  # pragma: no cover - pandas is in the test extra
        missing = np.array([_is_missing_scalar(v) for v in values], dtype=bool)
        text = np.array([str(v) for v in values[~missing]], dtype=object)
        keys, first, inverse = np.unique(text.astype(str), return_index=True,
                                         return_inverse=True)
        codes = np.full(len(values), -1)
        codes[~missing] = inverse
        return codes, keys.astype(object), values[~missing][first]
    keys = np.array([str(u) for u in uniques], dtype=str)
    # distinct values may share a text (1 and '1'): one category
    distinct, inverse = np.unique(keys, return_inverse=True)
    if len(distinct) < len(keys):
        codes = np.where(codes >= 0, inverse[codes], -1)
        first = np.unique(inverse, return_index=True)[1]
        return codes, distinct, uniques[first]
    return codes, keys, uniques


# ----------------------------------------------------------------------
# the table
class TableEncoder:
    """The encoding of a table into the network's inputs; see the module.

    Parameters
    ----------
    categorical_features : 'from_dtype', None, array-like
        Which columns are categorical (:func:`categorical_mask`).
    max_one_hot : int
        Categorical columns of at most this many categories are one-hot
        encoded, larger ones coded for an embedding.
    categorical_embedding : {'onehot', 'embedding'}
        'onehot': every categorical column is one-hot encoded.
    numeric_scaling : {'robust', 'standard', None}
    smooth_clip : float or None
    missing_indicator : bool

    Attributes
    ----------
    kinds : list of str
        'numeric' or 'categorical' per input column.
    columns : list
        The :class:`NumericColumn` or :class:`CategoricalColumn` of each.
    n_outputs : int
        The network's input width (at least 1).
    """

    def __init__(self, categorical_features="from_dtype", max_one_hot=8,
                 categorical_embedding="onehot", numeric_scaling="robust",
                 smooth_clip=SMOOTH_CLIP, missing_indicator=True):
        self.categorical_features = categorical_features
        self.max_one_hot = max_one_hot
        self.categorical_embedding = categorical_embedding
        self.numeric_scaling = numeric_scaling
        self.smooth_clip = smooth_clip
        self.missing_indicator = missing_indicator

    def fit(self, X, feature_names=None):
        """Learn each column's encoding from ``X`` (a DataFrame or a 2-D
        array already checked); returns self."""
        columns, names = self._columns(X, feature_names, fitting=True)
        self.columns = []
        one_hot = True if self.categorical_embedding == "onehot" else None
        for (values, kind), name in zip(columns, names):
            if kind == "numeric":
                column = NumericColumn(name, values, self.numeric_scaling,
                                       self.smooth_clip, self.missing_indicator)
            else:
                column = CategoricalColumn(name, values, one_hot, self.max_one_hot)
            self.columns.append(column)
        self.n_outputs = max(1, sum(c.width for c in self.columns))
        return self

    def layout(self):
        """Where each kind of value lies in the encoded matrix:
        ``(numeric, codes, cardinalities)``, the columns of the numeric
        values (not their missing indicators), those of the categorical
        codes for an embedding, and the number of categories of each."""
        numeric, codes, cardinalities, start = [], [], [], 0
        for column in self.columns:
            if isinstance(column, NumericColumn) and column.keeps_values:
                numeric.append(start)
            elif isinstance(column, CategoricalColumn) and column.width and (
                    not column.one_hot):
                codes.append(start)
                cardinalities.append(column.n_categories)
            start += column.width
        return numeric, codes, cardinalities

    def _columns(self, X, feature_names, fitting):
        """The ``(values, kind)`` of each column of ``X`` and their names;
        at fit, decides which are categorical (``self.kinds``)."""
        n = X.shape[1]
        names = ([str(name) for name in feature_names] if feature_names is not None
                 else [str(j) for j in range(n)])
        if is_frame(X):
            columns = _frame_columns(X)
            for (values, kind), name in zip(columns, names):
                if values is None:
                    raise ValueError(
                        f"Column {name!r} has dtype {kind}, which is neither "
                        "numeric nor categorical: convert it (e.g. a date to "
                        "numbers, or to a category).")
            if fitting:
                self.kinds = self._kinds([k for _, k in columns], feature_names)
            return self._as_kinds(columns, names), names
        if fitting:
            self.kinds = self._kinds(["numeric"] * n, feature_names)
        categorical = [kind == "categorical" for kind in self.kinds]
        return _array_columns(X, categorical), names

    def _kinds(self, kinds, feature_names):
        mask = categorical_mask(self.categorical_features, kinds, feature_names)
        return ["categorical" if m else "numeric" for m in mask]

    def _as_kinds(self, columns, names):
        """Columns of a frame as the kinds of the fit: a numeric column
        that is categorical (by ``categorical_features``) goes as values;
        a categorical one where a numeric one was fitted is an error."""
        out = []
        for (values, kind), fitted, name in zip(columns, self.kinds, names):
            if kind == fitted or fitted == "categorical":
                out.append((values, fitted))
                continue
            try:
                out.append((_as_float(values), "numeric"))
            except (TypeError, ValueError):
                raise ValueError(
                    f"Column {name!r} was numeric at fit but holds non-numeric "
                    "values now.") from None
        return out

    def transform(self, X, feature_names=None):
        """The network's inputs for ``X`` (same columns as at fit): a
        float64 array of ``n_outputs`` columns."""
        columns, _ = self._columns(X, feature_names, fitting=False)
        n = X.shape[0]
        out = np.zeros((n, self.n_outputs), dtype=np.float64)
        start = 0
        for (values, _), column in zip(columns, self.columns):
            column.transform(values, out[:, start:start + column.width])
            start += column.width
        return out

    def feature_kinds(self):
        """'numeric' or 'categorical' per column: what the model made of
        each column."""
        return list(self.kinds)
