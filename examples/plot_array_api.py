"""
Training through the array API (torch tensors, ready for a GPU)
================================================================

Under scikit-learn's array API dispatch, skbackprop's estimators train and
predict on the arrays of any namespace scikit-learn supports, on their
device: torch tensors on a CUDA GPU, CuPy arrays, or, as here so that the
example builds anywhere, torch tensors on the CPU (``array_api_strict``
arrays where torch is not installed).  The pipeline below is the one a GPU
would run: change ``device`` to ``"cuda"`` and nothing else.

Two switches turn it on: ``SCIPY_ARRAY_API=1`` in the environment before
scipy is imported (set at the top of this script), and
``sklearn.config_context(array_api_dispatch=True)`` around the calls.  See
:doc:`/array_api` for the conventions.
"""

# %%
# The environment variable comes first, before numpy, scipy or scikit-learn
# is imported.
import os

os.environ.setdefault("SCIPY_ARRAY_API", "1")

import warnings  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn import config_context  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils._array_api import move_to  # noqa: E402

from skbackprop import BackpropMLPClassifier  # noqa: E402

try:
    import torch

    device = "cpu"  # "cuda" on a GPU machine
    name = f"torch ({device})"

    def to_namespace(array):
        return torch.asarray(array, device=device)

except ImportError:  # torch is optional: array_api_strict implements the standard
    import array_api_strict

    name = "array_api_strict"

    def to_namespace(array):
        return array_api_strict.asarray(array)


def to_numpy(array):
    return move_to(array, xp=np, device="cpu")


# every fit below runs its 30 epochs, on purpose
warnings.filterwarnings("ignore", category=ConvergenceWarning)

# %%
# The same pipeline, fitted on numpy arrays and on the namespace's arrays
# -----------------------------------------------------------------------
#
# ``StandardScaler`` supports the array API too, so the whole pipeline
# computes on the device.  The labels can be given on the device as well; the
# estimator encodes them on the host and sends the encoded targets to the
# device once.  The same ``random_state`` gives the same initial weights and
# the same mini-batches (they are drawn on the host), so in float64 the two
# fits are the same computation, up to rounding.

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)


def pipeline():
    return make_pipeline(
        StandardScaler(),
        BackpropMLPClassifier(
            hidden_layer_sizes=(64,), max_iter=30, tol=0.0, random_state=0
        ),
    )


with np.errstate(divide="ignore", invalid="ignore"):
    # (array_api_strict computes with numpy, which would warn about a 0 / 0
    # that StandardScaler's array-API code discards)
    reference = pipeline().fit(X_train, y_train)
    with config_context(array_api_dispatch=True):
        fits = {}
        for dtype in ("float64", "float32"):
            model = pipeline().fit(
                to_namespace(X_train.astype(dtype)), to_namespace(y_train)
            )
            X_test_ns = to_namespace(X_test.astype(dtype))
            fits[dtype] = (
                model,
                to_numpy(model.predict_proba(X_test_ns)),
                model.score(X_test_ns, to_namespace(y_test)),
            )

mlp = fits["float32"][0][-1]
print(f"namespace: {name}")
print(f"coefs_[0]: {type(mlp.coefs_[0]).__module__}, dtype {mlp.coefs_[0].dtype}")
print(f"classes_: {type(mlp.classes_).__module__} (labels stay on the host)")
print(f"numpy pipeline, test accuracy: {reference.score(X_test, y_test):.4f}")
for dtype, (model, proba, score) in fits.items():
    gap = np.abs(proba - reference.predict_proba(X_test)).max()
    print(
        f"{name} {dtype}: test accuracy {score:.4f}, largest difference "
        f"of predict_proba from the numpy pipeline {gap:.1e}"
    )

# %%
# The loss curves
# ---------------
#
# Left, the training loss per epoch: the float64 fit on the namespace lies on
# the numpy fit's curve, and so does the float32 fit, within float32's
# rounding.  Right, how far each curve is from the numpy one (an exact match
# is drawn at 1e-17).

ref_curve = np.asarray(reference[-1].loss_curve_)
epochs = np.arange(1, len(ref_curve) + 1)
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
left.plot(epochs, ref_curve, color="0.7", linewidth=5, label="numpy, float64")
styles = {"float64": ("C0", "o"), "float32": ("C1", "x")}
for dtype, (model, _, _) in fits.items():
    curve = np.asarray(model[-1].loss_curve_)
    color, marker = styles[dtype]
    left.plot(epochs, curve, color=color, marker=marker, linestyle="none",
              label=f"{name}, {dtype}")
    right.semilogy(epochs, np.maximum(np.abs(curve - ref_curve), 1e-17),
                   color=color, marker=marker, label=f"{name}, {dtype}")
left.set(xlabel="epoch", ylabel="training loss", title="Loss curves")
left.legend()
right.set(xlabel="epoch", ylabel="|loss - numpy loss|",
          title="Difference from the numpy fit", ylim=(1e-18, 1e-2))
right.legend()
plt.show()

# %%
# Back to numpy
# -------------
#
# A model fitted on the device keeps its weights there; scikit-learn's
# ``move_estimator_to`` returns a numpy copy (optimizer state included), and
# pickle, joblib and skops files of a device model hold numpy arrays anyway.

from sklearn.utils._array_api import move_estimator_to  # noqa: E402

with config_context(array_api_dispatch=True):
    on_host = move_estimator_to(fits["float32"][0], np, "cpu")
print(type(on_host[-1].coefs_[0]), on_host.score(X_test.astype(np.float32), y_test))
