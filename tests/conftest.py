import importlib.util

import numpy as np
import pytest


def has_module(name):
    return importlib.util.find_spec(name) is not None


@pytest.fixture
def rng():
    return np.random.RandomState(0)
