"""ONNX export through skl2onnx (optional extra ``onnx``).

:func:`register_onnx_converters` registers a shape calculator and a
converter for :class:`~skbackprop.BackpropMLPClassifier` and
:class:`~skbackprop.BackpropMLPRegressor` with skl2onnx, so that
``skl2onnx.to_onnx`` / ``convert_sklearn`` convert them, alone or inside a
Pipeline; :func:`to_onnx` registers them and converts.  The graph is the
network's forward pass: ``MatMul`` + ``Add`` per layer followed by that
layer's activation as ONNX operators, which its registry entry builds
(:mod:`skbackprop._engine.activations`; dropout, a training-time operation,
is the identity there).  skl2onnx is imported only when called, so the
package works without the extra.
"""

import numpy as np
from scipy.sparse import issparse

from ._array_api import to_host
from ._engine import ACTIVATIONS
from ._mlp import BackpropMLPClassifier, BackpropMLPRegressor

__all__ = ["register_onnx_converters", "to_onnx"]


def _skl2onnx():
    """Import skl2onnx and its operator algebra (the optional extra)."""
    try:
        import skl2onnx
        from skl2onnx.algebra import onnx_ops
    except ImportError as exc:
        raise ImportError(
            "ONNX export needs the optional 'onnx' extra: "
            'pip install "skbackprop[onnx]" (skl2onnx, onnx, onnxruntime).'
        ) from exc
    return skl2onnx, onnx_ops


def _layer_activations(model):
    """The registry entries of the model's layers (its network's, input to
    output), each of which builds its own ONNX operators.  Raises
    NotImplementedError for one without an ONNX form (naming it), and for
    a multilabel classifier."""
    exportable = sorted(n for n, act in ACTIVATIONS.items() if act.onnx)
    try:
        entries = model._network().activations
        missing = next((e.name for e in entries if e.onnx is None), None)
    except ValueError:  # a name without a registry entry (set after the fit)
        missing = model.activation
    if missing is not None:
        raise NotImplementedError(
            f"Activation {missing!r} cannot be exported to ONNX: no registry "
            f"entry with an ONNX form; exportable activations: {exportable}."
        )
    if isinstance(model, BackpropMLPClassifier) and model.n_outputs_ > 1 and (
        model.out_activation_ == "logistic"
    ):
        raise NotImplementedError(
            "ONNX export of multilabel BackpropMLPClassifier models is not "
            "supported; export a model trained on binary or multiclass targets."
        )
    return entries


def _network_output(operator, container):
    """The forward pass of ``operator``'s model as ONNX operators, in its
    input's dtype; returns the model, the operator algebra, the opset, the
    dtype and the output activation."""
    from onnx.helper import np_dtype_to_tensor_dtype
    from skl2onnx.common.data_types import DoubleTensorType

    model, (_, ops) = operator.raw_operator, _skl2onnx()
    opv = container.target_opset
    float64 = isinstance(operator.inputs[0].type, DoubleTensorType)
    dtype = np.dtype(np.float64 if float64 else np.float32)
    h = ops.OnnxCast(operator.inputs[0], to=np_dtype_to_tensor_dtype(dtype),
                     op_version=opv)
    layers = zip(model.coefs_, model.intercepts_, _layer_activations(model))
    for W, b, act in layers:  # dropout is the identity at inference
        W, b = to_host(W), to_host(b)  # a model fitted on a GPU, say
        product = ops.OnnxMatMul(h, W.astype(dtype), op_version=opv)
        z = ops.OnnxAdd(product, b.astype(dtype).reshape(1, -1), op_version=opv)
        h = act.onnx(ops, z, dtype, opv)
    return model, ops, opv, dtype, h


def _class_labels(classes):
    if classes.dtype == np.bool_ or np.issubdtype(classes.dtype, np.integer):
        return classes.astype(np.int64)
    if np.issubdtype(classes.dtype, np.floating):
        if not np.all(classes == np.round(classes)):
            raise NotImplementedError(
                "ONNX export needs integer or string class labels; got "
                f"non-integer floats {classes!r}."
            )
        return classes.astype(np.int64)
    return np.array([str(c) for c in classes])


def _convert_classifier(scope, operator, container):
    model, ops, opv, dtype, out = _network_output(operator, container)
    label_out, proba_out = operator.outputs[:2]
    if model.out_activation_ == "logistic":  # binary: one unit for class 1
        one_minus = ops.OnnxSub(np.array([1.0], dtype=dtype), out, op_version=opv)
        proba = ops.OnnxConcat(one_minus, out, axis=1, op_version=opv)
    else:
        proba = out
    ops.OnnxIdentity(proba, op_version=opv, output_names=[proba_out]).add_to(
        scope, container
    )
    index = ops.OnnxArgMax(proba, axis=1, keepdims=1, op_version=opv)
    labels = ops.OnnxArrayFeatureExtractor(
        _class_labels(model.classes_), index, op_version=opv
    )
    ops.OnnxReshape(labels, np.array([-1], dtype=np.int64), op_version=opv,
                    output_names=[label_out]).add_to(scope, container)


def _convert_regressor(scope, operator, container):
    _, ops, opv, _, out = _network_output(operator, container)
    ops.OnnxIdentity(
        out, op_version=opv, output_names=[operator.outputs[0]]
    ).add_to(scope, container)


def _regressor_output_shapes(operator):
    """``[N, n_features] -> [N, n_outputs_]``: skl2onnx's linear-regressor
    calculator (which checks the input) reads ``coef_``, which these models
    do not have, and would declare one output."""
    from skl2onnx.common.shape_calculator import (
        calculate_linear_regressor_output_shapes,
    )

    calculate_linear_regressor_output_shapes(operator)
    output = operator.outputs[0]
    output.type = type(output.type)(
        [operator.inputs[0].get_first_dimension(), operator.raw_operator.n_outputs_]
    )


def register_onnx_converters():
    """Register skbackprop's estimators with skl2onnx.

    Afterwards ``skl2onnx.to_onnx`` and ``skl2onnx.convert_sklearn`` convert
    :class:`BackpropMLPClassifier` and :class:`BackpropMLPRegressor`, alone
    or inside a Pipeline.  :func:`to_onnx` calls it; calling it again is
    harmless.  Needs the optional ``onnx`` extra.
    """
    skl2onnx, _ = _skl2onnx()
    from skl2onnx.common.shape_calculator import (
        calculate_linear_classifier_output_shapes,
    )

    skl2onnx.update_registered_converter(
        BackpropMLPClassifier,
        "SkbackpropBackpropMLPClassifier",
        calculate_linear_classifier_output_shapes,
        _convert_classifier,
        options={"zipmap": [True, False, "columns"], "nocl": [True, False]},
    )
    skl2onnx.update_registered_converter(
        BackpropMLPRegressor,
        "SkbackpropBackpropMLPRegressor",
        _regressor_output_shapes,
        _convert_regressor,
    )


def to_onnx(model, X_sample, *, target_opset=None, options=None):
    """Convert a fitted estimator (or a Pipeline containing one) to ONNX.

    Needs the optional ``onnx`` extra (skl2onnx, onnx, onnxruntime).

    Parameters
    ----------
    model : BackpropMLPClassifier, BackpropMLPRegressor or Pipeline
        A fitted model; in a Pipeline, every other step must be convertible
        by skl2onnx (e.g. StandardScaler).
    X_sample : ndarray or DataFrame of shape (n_samples, n_features)
        A few input rows; their dtype (float32 or float64) and number of
        columns define the ONNX input ``X``.  For a Pipeline, a DataFrame
        gives one input per column, named after it, as skl2onnx does (what
        a ColumnTransformer that selects columns by name needs).
    target_opset : int, default=None
        ONNX opset; skl2onnx's default when None.
    options : dict, default=None
        skl2onnx conversion options, e.g. ``{"zipmap": False}`` for a
        classifier to get probabilities as a matrix instead of a list of
        dicts (plain options apply to the classifier, also inside a
        Pipeline; skl2onnx's ``{id(model): {...}}`` form works too).

    Returns
    -------
    onnx_model : onnx.ModelProto
        A classifier's graph has two outputs, ``label`` and
        ``probabilities``; a regressor's has ``variable`` of shape
        ``(n_samples, n_outputs)``.

    Raises
    ------
    NotFittedError
        For an unfitted model.
    TypeError, ValueError
        For a sparse sample, one that is not 2-D, or one with another number
        of features than the model's.
    NotImplementedError
        For multilabel classifiers, for a float64 sample with the
        ``gelu`` activation (onnxruntime has no float64 ``Erf``), and for
        the tabular estimators (their table encoder has no converter).

    Notes
    -----
    ONNX's ``ZipMap`` (skl2onnx's default output of a classifier's
    probabilities, a list of ``{label: probability}`` dicts) carries float32
    values only: with a float64 ``X_sample`` the probabilities are cast to
    float32 before it.  Pass ``options={"zipmap": False}`` for a float64
    matrix of probabilities.

    Examples
    --------
    >>> import numpy as np, onnxruntime as rt
    >>> from sklearn.datasets import load_iris
    >>> from skbackprop import BackpropMLPClassifier, to_onnx
    >>> X, y = load_iris(return_X_y=True)
    >>> X = X.astype(np.float32)
    >>> clf = BackpropMLPClassifier(solver="lbfgs", random_state=0).fit(X, y)
    >>> onx = to_onnx(clf, X[:1], options={"zipmap": False})
    >>> sess = rt.InferenceSession(onx.SerializeToString())
    >>> label, proba = sess.run(None, {"X": X})
    >>> bool((label == clf.predict(X)).all())
    True
    """
    for step in [step for _, step in getattr(model, "steps", ())] or [model]:
        getattr(step, "_refuse_onnx", lambda: None)()  # e.g. a tabular MLP
    skl2onnx, _ = _skl2onnx()
    X_sample = _check_export(model, X_sample)
    register_onnx_converters()
    if _is_frame(X_sample):  # skl2onnx types each column
        float64 = any(dtype == np.float64 for dtype in X_sample.dtypes)
    else:
        if X_sample.dtype != np.float64:
            X_sample = X_sample.astype(np.float32)
        float64 = X_sample.dtype == np.float64
    if options and all(isinstance(key, str) for key in options):
        # plain options apply to the classifier, also inside a Pipeline
        options = {BackpropMLPClassifier: options}
    onx = skl2onnx.to_onnx(
        model, X_sample, target_opset=target_opset, options=options
    )
    if float64:
        _float_zipmap(onx)
    return onx


def _is_frame(X):
    return hasattr(X, "columns") and hasattr(X, "dtypes")


def _check_export(model, X_sample):
    """A fitted model and a dense 2-D sample of its number of features
    (checked before converting, with scikit-learn's wording); returns the
    sample as an array, or as given for a DataFrame and a Pipeline (whose
    steps may select columns by name)."""
    from sklearn.utils.validation import check_array, check_is_fitted

    check_is_fitted(model)
    if issparse(X_sample):
        raise TypeError(
            "to_onnx needs a dense X_sample (it only fixes the input's dtype "
            "and number of columns), got a sparse matrix; pass "
            "X_sample[:1].toarray()."
        )
    array = check_array(
        X_sample, dtype=None, ensure_all_finite=False, ensure_min_samples=0
    )
    n_features = getattr(model, "n_features_in_", None)
    if n_features is not None and array.shape[1] != n_features:
        raise ValueError(
            f"X has {array.shape[1]} features, but {type(model).__name__} "
            f"is expecting {n_features} features as input."
        )
    ours = (BackpropMLPClassifier, BackpropMLPRegressor)
    if _is_frame(X_sample) and not isinstance(model, ours):
        return X_sample
    return array


def _float_zipmap(onx):
    """ONNX's ZipMap takes and returns float32 probabilities only: with a
    float64 input, cast the probabilities it receives to float32 (the
    ``label`` output, and ``zipmap=False``'s matrix, stay exact)."""
    from onnx import TensorProto, helper

    graph = onx.graph
    names = {n.name for n in graph.node}
    nodes, zipped = [], set()
    for node in graph.node:
        if node.op_type == "ZipMap":
            name = next(f"{node.name}_Cast{i}" for i in range(len(names) + 1)
                        if f"{node.name}_Cast{i}" not in names)
            source = node.input[0]
            nodes.append(helper.make_node(
                "Cast", [source], [name + "_output"], to=TensorProto.FLOAT,
                name=name,
            ))
            node.input[0] = name + "_output"
            zipped.add(node.output[0])
        nodes.append(node)
    if not zipped:
        return
    del graph.node[:]
    graph.node.extend(nodes)
    for value in list(graph.output) + list(graph.value_info):
        if value.name in zipped:
            kind = value.type.sequence_type.elem_type.map_type.value_type
            kind.tensor_type.elem_type = TensorProto.FLOAT
