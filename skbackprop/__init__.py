"""skbackprop: a drop-in scikit-learn MLP trained by a from-scratch numpy
backpropagation engine."""

from ._engine.gradcheck import gradcheck
from ._mlp import BackpropMLPClassifier, BackpropMLPRegressor
from ._onnx import register_onnx_converters, to_onnx
from ._tabular import TabularMLPClassifier, TabularMLPRegressor

__version__ = "0.1.0"

__all__ = [
    "BackpropMLPClassifier",
    "BackpropMLPRegressor",
    "TabularMLPClassifier",
    "TabularMLPRegressor",
    "gradcheck",
    "register_onnx_converters",
    "to_onnx",
    "__version__",
]
