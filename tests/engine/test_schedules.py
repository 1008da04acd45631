"""Schedules (:mod:`skbackprop._engine.schedules`): each shape against its
formula, the warm-up, the horizon and the names refused."""

import math

import numpy as np
import pytest

from skbackprop._engine import SCHEDULES, schedule_factor
from skbackprop._engine.schedules import check_schedule

Q = np.linspace(0.0, 1.0, 33)


def _coslog(q, cycles):
    # pytabkit's CoslogFunc, written from its published formula
    return 0.5 * (1 - np.cos(2 * np.pi * np.log2(1 + (2**cycles - 1) * q)))


@pytest.mark.parametrize("name, formula", [
    ("cosine", lambda q: 0.5 * (1 + np.cos(np.pi * q))),
    ("linear", lambda q: 1 - q),
    ("coslog4", lambda q: _coslog(q, 4)),
    ("flat_cos", lambda q: np.where(q <= 0.5, 1.0,
                                    0.5 * (1 + np.cos(np.pi * (2 * q - 1))))),
])
def test_each_shape_follows_its_formula(name, formula):
    got = [SCHEDULES[name](q) for q in Q]
    np.testing.assert_allclose(got, formula(Q), atol=1e-12)


def test_coslog4_has_four_cycles_each_twice_as_long():
    # zeros at q = (2**k - 1) / 15, peaks of 1 half way in log scale
    for k in range(5):
        assert SCHEDULES["coslog4"]((2**k - 1) / 15) == pytest.approx(0, abs=1e-12)
    for k in range(4):
        peak = (2 ** (k + 0.5) - 1) / 15
        assert SCHEDULES["coslog4"](peak) == pytest.approx(1.0)


def test_factor_runs_over_the_horizon_and_stays_at_its_end():
    horizon = 40
    factors = [schedule_factor("linear", k, horizon) for k in range(60)]
    assert factors[0] == 1.0
    assert factors[20] == pytest.approx(0.5)
    assert factors[39] == pytest.approx(1 / 40)
    assert factors[40:] == [0.0] * 20  # past the horizon: its end value


def test_no_schedule_is_one_and_the_warm_up_rises_linearly():
    assert [schedule_factor(None, k, 10) for k in range(12)] == [1.0] * 12
    horizon, warm = 100, 0.1
    ramp = [schedule_factor(None, k, horizon, warm) for k in range(12)]
    np.testing.assert_allclose(ramp[:10], np.arange(1, 11) / 10)
    assert ramp[10:] == [1.0, 1.0]
    # the schedule runs over the steps after the warm-up
    after = [schedule_factor("cosine", k, horizon, warm) for k in (10, 55, 99)]
    expected = [0.5 * (1 + math.cos(math.pi * q)) for q in (0, 0.5, 89 / 90)]
    np.testing.assert_allclose(after, expected, atol=1e-12)
    assert schedule_factor("cosine", 4, horizon, warm) == pytest.approx(0.5)


def test_unknown_names_and_bad_warm_ups_are_refused_by_name():
    with pytest.raises(ValueError, match="Unknown learning-rate schedule 'cos'"):
        check_schedule("cos", what="learning-rate schedule")
    for warmup in (-0.1, 1.0):
        with pytest.raises(ValueError, match="warm-up fraction"):
            check_schedule("cosine", warmup)
