"""The optimizers' options on torch's static step
(:mod:`skbackprop._engine.captured`), checked without torch: a schedule is
per-step settings, which the static step's tables carry; weight decay and
per-parameter factors are steps of their own, which send a fit to the
:class:`ArrayApiTrainer`."""

import numpy as np
import pytest

from skbackprop._engine import captured
from skbackprop._engine.captured import static_step_mode
from skbackprop._engine.optimizers import SGD, Adam


class _Torch:
    is_torch, device = True, "cuda"


@pytest.mark.parametrize("make", [Adam, SGD])
def test_decay_and_factors_leave_the_static_step(make):
    assert static_step_mode(_Torch(), make(3, np.float64), {}) == "graph"
    assert static_step_mode(_Torch(), make(3, np.float64, schedule="cosine"),
                            {}) == "graph"
    for options in (dict(weight_decay=0.1), dict(lr_factors=np.ones(3))):
        assert static_step_mode(_Torch(), make(3, np.float64, **options),
                                {}) is None


@pytest.mark.parametrize("make, rates, column", [
    (lambda: SGD(3, np.float64, learning_rate_init=0.1, schedule="coslog4",
                 warmup=0.1), captured._sgd_rates, 0),
    (lambda: Adam(3, np.float64, learning_rate_init=0.1, schedule="cosine"),
     captured._adam_rates, 2),
], ids=["sgd", "adam"])
def test_an_epochs_rates_follow_the_schedule_and_advance_it(make, rates, column):
    table_made, one_by_one = make(), make()
    for opt in (table_made, one_by_one):
        opt.set_horizon(20)
    for _ in range(2):  # two epochs of 7 steps
        table = rates(table_made, 7)
        expected = [one_by_one.step_settings()[column] for _ in range(7)]
        np.testing.assert_array_equal(table, expected)
    assert table_made.schedule_step == one_by_one.schedule_step == 14
