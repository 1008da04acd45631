"""The backpropagation engine: pure numpy/scipy, no scikit-learn imports.

Modules pair each forward computation with its derivative:

- :mod:`.activations` -- hidden and output activations and derivatives,
  each entry with its array-API and ONNX forms beside the numpy one;
- :mod:`.losses` -- losses with fused canonical-link output deltas;
- :mod:`.layers` -- the layers, each with its parameters, buffers, forward
  and backward pass;
- :mod:`.network` -- a sequence of layers over one flat parameter buffer,
  and the one forward/backward loop;
- :mod:`.masks` -- dropout masks as hashes of (row, seed, epoch, layer, unit);
- :mod:`.optimizers` -- SGD (momentum/Nesterov), Adam, L-BFGS-B;
- :mod:`.kernels` -- the backends of a step's array work: numpy, compiled
  loops, or any array-API namespace (torch, CuPy, ...);
- :mod:`.compiled_epoch` -- a tiny network's whole epoch as one compiled
  loop (numba), generated with the registry entries' scalar forms;
- :mod:`.namespace` -- what the engine knows of an array-API namespace;
- :mod:`.trainer` -- what a fit asks of the engine (batch steps, epochs,
  the L-BFGS objective, predictions), behind which the kernels are chosen;
- :mod:`.gradcheck` -- finite-difference verification.
"""

from .activations import ACTIVATIONS, OUTPUT_ACTIVATIONS, get_activation
from .gradcheck import gradcheck, numerical_gradient
from .losses import LOSSES, get_loss
from .namespace import ArrayNamespace
from .network import Network, Workspace
from .optimizers import SGD, Adam, minimize_lbfgs, optimizer_from_state
from .trainer import Trainer, batch_plan, make_trainer, predict

__all__ = [
    "ACTIVATIONS",
    "ArrayNamespace",
    "OUTPUT_ACTIVATIONS",
    "LOSSES",
    "SGD",
    "Adam",
    "Network",
    "Trainer",
    "Workspace",
    "batch_plan",
    "get_activation",
    "get_loss",
    "gradcheck",
    "make_trainer",
    "minimize_lbfgs",
    "numerical_gradient",
    "optimizer_from_state",
    "predict",
]
