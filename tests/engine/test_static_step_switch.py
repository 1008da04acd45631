"""Which trainer a fit on an array-API namespace gets: the switch
``SKBACKPROP_CAPTURE`` of :func:`skbackprop._engine.captured.static_step_mode`
(no array library needed: the namespace is described, not imported)."""

import numpy as np
import pytest

from skbackprop._engine.captured import CAPTURE_MODES, static_step_mode
from skbackprop._engine.optimizers import SGD, Adam


class Described:
    """What the switch reads of an :class:`ArrayNamespace`."""

    def __init__(self, is_torch, device):
        self.is_torch, self.device = is_torch, device


class Device:
    def __init__(self, type):
        self.type = type


ADAM, SGD_ = Adam(3, np.float64), SGD(3, np.float64)
TORCH_CUDA, TORCH_CPU = Described(True, Device("cuda")), Described(True, Device("cpu"))
STRICT = Described(False, "device1")


@pytest.mark.parametrize("mode,ns,expected", [
    (None, TORCH_CUDA, "graph"),  # unset: auto
    ("auto", TORCH_CUDA, "graph"),
    ("auto", TORCH_CPU, None),  # the old step: faster on a CPU
    ("on", TORCH_CPU, "eager"),
    ("on", TORCH_CUDA, "graph"),
    ("eager", TORCH_CUDA, "eager"),
    ("off", TORCH_CUDA, None),
    ("on", STRICT, None),  # torch only
    (" ON ", TORCH_CPU, "eager"),
])
def test_the_switch(mode, ns, expected):
    environ = {} if mode is None else {"SKBACKPROP_CAPTURE": mode}
    assert static_step_mode(ns, ADAM, environ) == expected
    assert static_step_mode(ns, SGD_, environ) == expected


def test_only_the_optimizers_it_knows_and_not_lbfgs():
    class Other(Adam):  # another update rule: its settings are unknown here
        pass

    for optimizer in (Other(3, np.float64), None):
        assert static_step_mode(TORCH_CUDA, optimizer, {}) is None


def test_a_value_it_does_not_know_is_refused():
    assert CAPTURE_MODES == ("auto", "on", "eager", "off")
    with pytest.raises(ValueError, match=r"SKBACKPROP_CAPTURE='always' is not "
                                         r"one of auto, on, eager, off"):
        static_step_mode(TORCH_CPU, ADAM, {"SKBACKPROP_CAPTURE": "always"})
