r"""Schedules: a factor that follows the progress of training.

A schedule is a shape :math:`s(q)` on the progress :math:`q \in [0, 1]`,
one registry entry each (:data:`SCHEDULES`).  :func:`schedule_factor`
evaluates it at step :math:`k` (0-based) of a horizon of :math:`H` steps,
with an optional linear warm-up over the first fraction :math:`w`:

.. math::

    f(k) = \min\Bigl(1, \frac{k + 1}{w H}\Bigr)\,
           s\Bigl(\frac{\max(k / H - w, 0)}{1 - w}\Bigr),

the progress clipped to 1 past the horizon (so a schedule that ends at 0
stays there).  The optimizers (:mod:`.optimizers`) multiply their learning
rate by it at each mini-batch step; the training loop scales the dropout
rates by it once per epoch.

=============  ==========================================================
``cosine``     :math:`\tfrac12 (1 + \cos \pi q)`: from 1 down to 0
``linear``     :math:`1 - q`
``coslog4``    :math:`\tfrac12 (1 - \cos(2\pi \log_2(1 + 15 q)))`: four
               cosine cycles from 0 to 1 and back, each twice as long as
               the one before (RealMLP's default learning-rate schedule,
               ``pytabkit``'s ``CoslogFunc(4)``)
``flat_cos``   1 for the first half, then :math:`\tfrac12 (1 + \cos
               \pi(2q - 1))` down to 0 (RealMLP's dropout schedule)
=============  ==========================================================

The factors are computed in Python floats, one step at a time, so a loop
that asks for many steps at once (:meth:`.optimizers.Adam.rates_and_steps`)
gets the same bits.
"""

import math

__all__ = ["SCHEDULES", "check_schedule", "schedule_factor"]


def _cosine(q):
    return 0.5 * (1.0 + math.cos(math.pi * q))


def _linear(q):
    return 1.0 - q


def _coslog4(q):
    # log2(1 + 15 q) runs from 0 to 4: one cycle per unit, each twice as
    # long in q as the one before
    return 0.5 * (1.0 - math.cos(2.0 * math.pi * math.log2(1.0 + 15.0 * q)))


def _flat_cos(q):
    return 1.0 if q <= 0.5 else _cosine(2.0 * q - 1.0)


SCHEDULES = {
    "cosine": _cosine,
    "linear": _linear,
    "coslog4": _coslog4,
    "flat_cos": _flat_cos,
}
"""The shapes :math:`s(q)` by name."""


def check_schedule(name, warmup=0.0, what="schedule"):
    """Raise ValueError, naming ``what``, for an unknown schedule name or a
    warm-up fraction outside ``[0, 1)``."""
    if name is not None and name not in SCHEDULES:
        raise ValueError(
            f"Unknown {what} {name!r}; expected None or one of "
            f"{sorted(SCHEDULES)}."
        )
    if not 0.0 <= warmup < 1.0:
        raise ValueError(f"The warm-up fraction must be in [0, 1), got {warmup!r}.")


def schedule_factor(name, step, horizon, warmup=0.0):
    """The factor of schedule ``name`` (None: 1, the warm-up only) at the
    0-based ``step`` of ``horizon`` steps, after a linear warm-up over the
    fraction ``warmup`` of them (see the module)."""
    horizon = max(int(horizon), 1)
    progress = min(step / horizon, 1.0)
    factor = 1.0
    if name is not None:
        factor = SCHEDULES[name](max(progress - warmup, 0.0) / (1.0 - warmup))
    if warmup > 0.0:
        factor *= min(1.0, (step + 1) / (warmup * horizon))
    return factor
