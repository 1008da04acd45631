"""The backpropagation engine: pure numpy/scipy, no scikit-learn imports.

Modules pair each forward computation with its derivative:

- :mod:`.activations` -- hidden and output activations and derivatives,
  each entry with its array-API and ONNX forms beside the numpy one;
- :mod:`.losses` -- losses with fused canonical-link output deltas;
- :mod:`.layers` -- the layers, each with its parameters, buffers, forward
  and backward pass;
- :mod:`.table_layers` -- layer kinds for tables: a per-feature scale,
  categorical, periodic and piecewise-linear embeddings, a parametric
  activation;
- :mod:`.network` -- a sequence of layers over one flat parameter buffer
  (the estimators' dense layers, or any list: ``Network.from_layers``),
  and the one forward/backward loop;
- :mod:`.masks` -- dropout masks as hashes of (row, seed, epoch, layer, unit);
- :mod:`.optimizers` -- SGD (momentum/Nesterov), Adam, L-BFGS-B, with
  decoupled weight decay, learning-rate schedules and per-parameter
  learning-rate factors;
- :mod:`.schedules` -- factors that follow training's progress (cosine,
  linear, multi-cycle, flat then cosine; a warm-up);
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
from .layers import Dense
from .losses import LOSSES, get_loss, smooth_targets
from .namespace import ArrayNamespace
from .network import Network, Workspace
from .optimizers import (
    SGD,
    Adam,
    lr_factor_vector,
    minimize_lbfgs,
    optimizer_from_state,
)
from .schedules import SCHEDULES, schedule_factor
from .table_layers import CategoricalEmbedding, PeriodicEmbedding, Scale
from .trainer import Trainer, batch_plan, make_trainer, predict

__all__ = [
    "ACTIVATIONS",
    "ArrayNamespace",
    "CategoricalEmbedding",
    "Dense",
    "OUTPUT_ACTIVATIONS",
    "PeriodicEmbedding",
    "LOSSES",
    "SCHEDULES",
    "SGD",
    "Scale",
    "Adam",
    "Network",
    "Trainer",
    "Workspace",
    "batch_plan",
    "get_activation",
    "get_loss",
    "gradcheck",
    "lr_factor_vector",
    "make_trainer",
    "minimize_lbfgs",
    "numerical_gradient",
    "optimizer_from_state",
    "predict",
    "schedule_factor",
    "smooth_targets",
]
