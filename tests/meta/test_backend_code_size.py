"""The code written for one backend -- each backend's form of what the
numpy reference engine states -- stays small.

The count is ``code_lines`` of ``tests/meta/test_architecture.py`` (no blank,
comment or docstring lines).  The set is explicit:

In (a backend's form, or the choice between backends):

- ``_engine/kernels.py``: the compiled kernels
  (:class:`NumbaKernels`), the array-API kernels (:class:`ArrayApiKernels`)
  and the choice of kernels (``select_kernels``, ``tiny_epoch_loop``, the
  lazy numba import and its thresholds).
- ``_engine/_numba_kernels.py``: the compiled loops of the kernels.
- ``_engine/compiled_epoch.py``: the compiled epoch of tiny networks (the
  one special case: its activation and loss switches restate the registry's
  formulas as scalar code, which numba compiles and caches on disk).
- ``_engine/namespace.py``: what the engine knows of an array-API namespace.
- ``_onnx.py``: the ONNX export (the per-activation graphs live in the
  registry entries; this module builds the network's graph from them and
  plugs it into skl2onnx).

Out:

- ``_engine/numpy_ops.py`` (:class:`NumpyKernels`): the reference every
  backend is checked against, not a backend's copy of it.
- The registry entries (``activations.py``, ``losses.py``,
  ``optimizers.py``): each entry holds its backends' forms beside its
  numpy form, which is the point of the registry (one place per formula).
- ``_engine/trainer.py``'s ``TinyTrainer`` and ``ArrayApiTrainer``, and
  ``_engine/masks.py``'s ``DeviceMasks``: the training loop's adapters to a
  backend, owned with the loop.
- ``_array_api.py``: the estimators' input checks and transfers for array-API
  inputs (scikit-learn's side, not the engine's).
"""

import ast
from pathlib import Path

from meta.test_architecture import code_lines

ENGINE = Path(__file__).resolve().parents[2] / "skbackprop" / "_engine"
BACKEND_CODE = [
    ENGINE / "kernels.py",
    ENGINE / "_numba_kernels.py",
    ENGINE / "compiled_epoch.py",
    ENGINE / "namespace.py",
    ENGINE.parent / "_onnx.py",
]

MAX_LINES = 651
"""The backend-specific code lines reached: kernels 158, compiled loops 67,
compiled epoch 202, namespace 41, ONNX 183.

The compiled epoch no longer restates any activation's or loss's formula:
its switches are generated from the registry entries' scalar forms (which
live in ``activations.py`` / ``losses.py``, beside their numpy forms), and
the 80 lines of hand-written switches became a generator of about the same
size (the module it writes, outside the package, is not counted).  The
kernels lost ``matmul_transposed`` and ``matmul_by_transpose`` (a layer
multiplies by a transpose with ``matmul``).  What is left, and why it is
not a restatement that could go: the compiled epoch's matrix loops (numba
cannot call BLAS faster than numpy for these sizes; measured earlier), the
fused Adam/SGD loops (``_numba_kernels.py``: bit-identical to
``numpy_step``; deriving them from a scalar form of the optimizer would move
them into ``optimizers.py``), the array-API kernels (one line of
arithmetic per operation, each different from numpy's in-place form), the
namespace's transfers, and the ONNX converters' plumbing (skl2onnx's
registration, shape calculators, labels, float64 ``ZipMap``), which
skl2onnx's own MLP converter does not offer for the registry's activations.
(701 before the compiled loops took the numpy steps' arguments and the ONNX
export read the model's network; 655 before the generated compiled epoch.)"""


def backend_code_lines():
    """``{module name: code lines}`` of the set above."""
    return {path.name: len(code_lines(path.read_text())) for path in BACKEND_CODE}


def test_the_backend_specific_code_stays_within_its_budget():
    counts = backend_code_lines()
    assert sum(counts.values()) <= MAX_LINES, counts


def test_the_numpy_reference_is_left_out_of_the_count():
    """The reference lives in its own module, outside the set: no counted
    module defines the numpy kernels."""
    assert ENGINE / "numpy_ops.py" not in BACKEND_CODE
    for path in BACKEND_CODE:
        classes = {node.name for node in ast.parse(path.read_text()).body
                   if isinstance(node, ast.ClassDef)}
        assert "NumpyKernels" not in classes, path.name
