"""The backpropagation engine: pure numpy/scipy, no scikit-learn imports.

Modules pair each forward computation with its derivative:

- :mod:`.activations` -- hidden and output activations and derivatives;
- :mod:`.losses` -- losses with fused canonical-link output deltas;
- :mod:`.network` -- forward/backward passes over one flat parameter buffer;
- :mod:`.optimizers` -- SGD (momentum/Nesterov), Adam, L-BFGS-B;
- :mod:`.gradcheck` -- finite-difference verification.
"""

from .activations import ACTIVATIONS, OUTPUT_ACTIVATIONS, get_activation
from .gradcheck import gradcheck, numerical_gradient
from .losses import LOSSES, get_loss
from .network import Network, Workspace
from .optimizers import SGD, Adam, minimize_lbfgs, optimizer_from_state

__all__ = [
    "ACTIVATIONS",
    "OUTPUT_ACTIVATIONS",
    "LOSSES",
    "SGD",
    "Adam",
    "Network",
    "Workspace",
    "get_activation",
    "get_loss",
    "gradcheck",
    "minimize_lbfgs",
    "numerical_gradient",
    "optimizer_from_state",
]
