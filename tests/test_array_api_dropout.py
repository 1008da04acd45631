"""Dropout on an array-API namespace: the masks are computed on the device
with the same hash as numpy's (in 32-bit halves held in int64, since torch
has no uint64 ``+``, ``<<`` or ``>>``), so they equal numpy's bit for bit,
and a fit with dropout equals the numpy fit to rounding."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from skb_test_helpers import fit_quietly
from sklearn import config_context
from sklearn.datasets import load_digits

from skbackprop import BackpropMLPClassifier, BackpropMLPRegressor
from skbackprop._engine import ArrayNamespace
from skbackprop._engine.masks import DeviceMasks, fill_mask, row_keys, unit_counters

xp = pytest.importorskip("array_api_strict")


def _ns():
    return ArrayNamespace(xp, xp.Device("CPU_DEVICE"), np.asarray)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_device_masks_equal_numpys_bit_for_bit(p, dtype):
    rng = np.random.RandomState(0)
    keys = row_keys(rng.randn(300, 7))
    widths = [33, None, 5]
    masks = DeviceMasks(_ns(), widths)
    device = masks.draw(masks.halves(keys), 123456789123, 4, [p, 0.0, p],
                        [1, 2, 3], getattr(xp, np.dtype(dtype).name))
    assert device[1] is None
    for number, (width, mask) in enumerate(zip(widths, device), 1):
        if width is None:
            continue
        expected = np.empty((300, width), dtype)
        fill_mask(expected, keys, _salt(number), p, unit_counters(width),
                  np.empty(2 * 300 * width, np.uint64), np.empty(300, np.uint64))
        got = np.asarray(mask)
        assert got.dtype == dtype
        assert_array_equal(got, expected)
        assert 0 < (got == 0).mean() < 1  # both kept and dropped entries


def _salt(number):
    from skbackprop._engine.masks import mask_salt

    return mask_salt(123456789123, 4, number)


def _data(n=300):
    X, y = load_digits(return_X_y=True)
    return X[:n] / 16.0, y[:n]


@pytest.mark.parametrize("Est", [BackpropMLPClassifier, BackpropMLPRegressor])
def test_fit_with_dropout_equals_the_numpy_fit(Est):
    X, y = _data()
    target = y if Est is BackpropMLPClassifier else y / 9.0
    sw = np.random.RandomState(1).uniform(0.5, 2.0, len(y))
    params = dict(hidden_layer_sizes=(20, 10), activation=["gelu", "relu"],
                  dropout=[0.3, 0.2], batch_size=32, max_iter=4, alpha=1e-3,
                  random_state=0)
    ref = fit_quietly(Est(**params), X, target, sample_weight=sw)
    dev = Est(**params)
    to = lambda a: xp.asarray(a, device=xp.Device("CPU_DEVICE"))  # noqa: E731
    with config_context(array_api_dispatch=True):
        fit_quietly(dev, to(X),
                    to(target) if Est is BackpropMLPRegressor else target,
                    sample_weight=to(sw))
    assert_allclose(dev.loss_curve_, ref.loss_curve_, rtol=1e-10)
    for a, b in zip(dev.coefs_ + dev.intercepts_, ref.coefs_ + ref.intercepts_):
        assert_allclose(np.asarray(a), b, rtol=1e-9, atol=1e-12)
    # dropout made a difference: the same fit without it differs
    off = fit_quietly(Est(**{**params, "dropout": 0.0}), X, target,
                      sample_weight=sw)
    assert not np.allclose(off.loss_curve_, ref.loss_curve_)
