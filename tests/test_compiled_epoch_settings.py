"""The compiled epoch's per-step optimizer settings are those of one
``step_settings`` call per batch, bit for bit, however the epochs fall
across the table of Adam's coming steps."""

import numpy as np
import pytest

from skbackprop._engine import compiled_epoch
from skbackprop._engine import trainer as trainer_module
from skbackprop._engine.network import Network
from skbackprop._engine.optimizers import SGD, Adam
from skbackprop._engine.trainer import COMPILED_BATCH_FIELDS, TinyTrainer, batch_plan


def test_adam_rates_and_steps_equal_one_step_at_a_time():
    opt = Adam(3, np.float64, learning_rate_init=3e-3, beta_1=0.8, beta_2=0.995)
    rates, steps = opt.rates_and_steps(1, 3000)
    for t in range(3000):
        settings = opt.step_settings()
        assert (settings[2], opt.learning_rate) == (steps[t], rates[t])


def _settings_by_calls(opt, sizes):
    """The settings rows of epochs of ``sizes`` batches, one call a batch."""
    rows = []
    for size in sizes:
        rows += [opt.step_settings() for _ in range(size)]
    return rows


@pytest.mark.parametrize("make", [
    lambda n: Adam(n, np.float64, learning_rate_init=1e-2),
    lambda n: SGD(n, np.float64, learning_rate_init=0.3, momentum=0.5),
])
def test_epoch_settings_equal_a_call_per_batch(monkeypatch, make):
    monkeypatch.setattr(trainer_module, "ADAM_TABLE_STEPS", 7)  # epochs straddle tables
    net = Network([2, 3, 1], "relu", "squared_error")
    opt, reference = make(net.n_params), make(net.n_params)
    trainer = TinyTrainer(net, opt, 4, compiled_epoch.tiny_epoch)
    sizes = [3, 5, 0, 1, 7, 9, 2]
    expected = _settings_by_calls(reference, sizes)
    got = []
    for size in sizes:
        batches = batch_plan(4 * size, 4, None, None, 0.0, False,
                             COMPILED_BATCH_FIELDS)
        trainer._step_settings(batches)
        got += [tuple(row) for row in batches[opt.kind].tolist()]
    assert got == [tuple(row) for row in expected]
    assert vars(opt).keys() == vars(reference).keys()
    for name, value in vars(reference).items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(getattr(opt, name), value)
        else:
            assert getattr(opt, name) == value, name
