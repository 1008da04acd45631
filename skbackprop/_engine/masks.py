r"""Dropout masks that are a function of the sample, not of its position.

A fit's mask entry for training row :math:`x`, hidden layer :math:`l`, unit
:math:`u` at epoch :math:`e` is

.. math::

    M_l[x, u] = \frac{[\,U \ge p_l\,]}{1 - p_l},\qquad
    U = 2^{-64}\,\mathrm{mix}\bigl(\mathrm{mix}(\mathrm{key}(x) \oplus
        s_{e,l}) + (u + 1)\,\gamma\bigr) \in [0, 1),

a counter-based hash (no stream, no state): ``mix`` is splitmix64's
finaliser (a bijection of 64-bit words with full avalanche), ``gamma`` its
odd increment ``0x9E3779B97F4A7C15``, :math:`s_{e,l}` a salt hashed from
the fit's seed, the epoch and the layer (:func:`mask_salt`), and
:math:`\mathrm{key}(x)` a 64-bit hash of the row's values (:func:`row_keys`)
computed once per fit.  The key sums ``mix(bits(x_j) ^ c_j)`` over the
row's non-zero entries (``bits``: the float64 bit pattern, ``c_j`` a salt
of column ``j``), so a dense row and its CSR form (any order of the stored
entries, explicit zeros or not) and its float32 and float64 forms (when
equal in value) share a key.

Consequences: a row repeated ``k`` times gets, in every epoch, the mask of
the same row given weight ``k`` -- in any order and any batch -- so integer
sample weights are exactly repeated rows; identical rows share their mask
within an epoch; masks are independent across epochs, layers and units
(distinct salts and counters hashed), and ``U`` is uniform up to the
hash's quality, so a unit is kept with probability :math:`1 - p_l`.

On an array-API device (:class:`DeviceMasks`) the same hash runs on each
64-bit word held as two int64 arrays, its high and low 32-bit halves --
torch has no uint64 ``+``, ``<<`` or ``>>`` -- with int64 operations whose
intermediates stay below ``2**63``: xor and shifts half by half, additions
carrying from the low half, products by the 64-bit constants assembled from
16-bit by 32-bit partial products.  The masks are equal bit for bit to
numpy's and computed on the device with no transfer; only the row keys are
computed on the host, once per fit (a float's bit pattern has no array-API
view), and sent once as halves.
"""

import numpy as np
from scipy.sparse import issparse

__all__ = ["DeviceMasks", "MaskScratch", "fill_mask", "mask_salt", "row_keys",
           "unit_counters"]

_M64 = (1 << 64) - 1
_GAMMA = 0x9E3779B97F4A7C15
_C1, _C2 = 0xBF58476D1CE4E5B9, 0x94D049BB133111EB
_U = np.uint64
_S30, _S27, _S31 = _U(30), _U(27), _U(31)
_BLOCK = 1 << 16  # entries hashed at a time: the temporaries stay in cache


def _mix(v, t):
    """splitmix64's finaliser of the uint64 array ``v``, in place (``t``:
    a scratch array of the same shape); returns ``v``."""
    np.right_shift(v, _S30, out=t)
    v ^= t
    v *= _U(_C1)
    np.right_shift(v, _S27, out=t)
    v ^= t
    v *= _U(_C2)
    np.right_shift(v, _S31, out=t)
    v ^= t
    return v


def _mix_int(x):
    """:func:`_mix` of one Python integer (modulo 2**64)."""
    x &= _M64
    x = ((x ^ (x >> 30)) * _C1) & _M64
    x = ((x ^ (x >> 27)) * _C2) & _M64
    return x ^ (x >> 31)


def mask_salt(seed, epoch, layer):
    """The salt ``s_{e,l}`` of the masks of hidden ``layer`` at ``epoch``
    for the fit's ``seed`` (non-negative integers)."""
    salt = _mix_int(seed + _GAMMA)
    for x in (epoch, layer):
        salt = _mix_int(salt + (x + 1) * _GAMMA)
    return salt


def _column_salts(n_columns):
    salts = (np.arange(1, n_columns + 1, dtype=_U) * _U(_GAMMA)) ^ _U(_C2)
    return _mix(salts, np.empty_like(salts))


def _entry_terms(values, salts):
    """``mix(bits(v) ^ salt)`` of the entries ``values`` (float64), 0 where
    ``v == 0`` (-0.0 included)."""
    h = np.bitwise_xor(values.view(_U), salts)
    _mix(h, np.empty_like(h))
    h[values == 0] = 0
    return h


def row_keys(X):
    """The 64-bit key of every row of ``X`` (dense, or sparse with
    ``tocsr``), an ``(n,)`` uint64 array; O(n * d) for dense ``X``, O(nnz)
    for sparse ``X``, in blocks of rows (bounded temporaries)."""
    n, d = X.shape
    salts = _column_salts(d)
    sums = np.empty(n, dtype=_U)
    if issparse(X):
        X = X.tocsr()
        if not X.has_canonical_format:
            X = X.copy()
            X.sum_duplicates()
        data = np.asarray(X.data, dtype=np.float64)
        terms = np.zeros(data.size + 1, dtype=_U)
        for a in range(0, data.size, _BLOCK):
            b = min(a + _BLOCK, data.size)
            terms[a + 1:b + 1] = _entry_terms(data[a:b], salts[X.indices[a:b]])
        np.cumsum(terms, out=terms)  # wraps modulo 2**64, as the sums
        np.subtract(terms[X.indptr[1:]], terms[X.indptr[:-1]], out=sums)
    else:
        rows = max(1, _BLOCK // max(d, 1))
        for a in range(0, n, rows):
            block = np.ascontiguousarray(X[a:a + rows], dtype=np.float64)
            np.add.reduce(_entry_terms(block, salts), axis=1, out=sums[a:a + rows])
    sums += _U(_GAMMA)
    return _mix(sums, np.empty_like(sums))


def fill_mask(mask, keys, salt, p, counters, bits, base):
    """Write the dropout mask of rate ``p`` for the rows of keys ``keys``
    into ``mask`` (shape ``(n, units)``, a float dtype): ``1 / (1 - p)``
    where ``U >= p``, else 0 (the module's formula, with salt ``salt``).

    ``counters`` is :func:`unit_counters` of ``units``; ``bits``
    (``2 * n * units`` or more uint64) and ``base`` (``n`` or more uint64)
    are scratch buffers, overwritten.
    """
    n, units = mask.shape
    v = bits[: n * units].reshape(n, units)
    t = bits[n * units: 2 * n * units].reshape(n, units)
    b = np.bitwise_xor(keys, _U(salt), out=base[:n])
    _mix(b, t[:, 0])
    np.add(b[:, None], counters, out=v)
    _mix(v, t)
    # U >= p  <=>  v >= ceil(p * 2**64) (exact: p * 2**64 is a float64)
    threshold = _U(min(int(np.ceil(p * 2.0**64)), _M64))
    np.greater_equal(v, threshold, out=mask)
    mask *= 1.0 / (1.0 - p)
    return mask


def unit_counters(units):
    """The counters ``(u + 1) * gamma`` of ``units`` units (uint64)."""
    return np.arange(1, units + 1, dtype=_U) * _U(_GAMMA)


class MaskScratch:
    """The uint64 buffers of the masks of a :class:`.network.Workspace`
    with dropout (empty without): ``keys``, a batch's row keys (gathered
    by the trainer), and ``base``/``bits``, :func:`fill_mask`'s scratch --
    written and read within one batch's masks (after the keys' gather).

    Parameters
    ----------
    masks : list of (ndarray or None)
        The mask storage of each layer (shape ``(capacity, units)`` for a
        hidden layer with dropout, else None).
    capacity : int
        Most rows per batch.
    numbers : list of int
        Each layer's number (1-based), which the masks' salt hashes.
    """

    def __init__(self, masks, capacity, numbers):
        widths = [m.shape[1] for m in masks if m is not None]
        rows = capacity if widths else 0
        self.numbers = list(numbers)
        self.counters = [None if m is None else unit_counters(m.shape[1])
                         for m in masks]
        self.keys = np.empty(rows, _U)
        self.base = np.empty(rows, _U)
        self.bits = np.empty(2 * rows * max(widths, default=0), _U)

    def buffers(self):
        return [self.keys, self.base, self.bits]

    def draw(self, masks, rates, keys, seed, epoch):
        """Write ``masks[i][:n]`` (rate ``rates[i]``) for the ``n`` rows of
        ``keys`` at ``epoch`` (:func:`fill_mask`, salt :func:`mask_salt`
        of the layer's number)."""
        n = keys.shape[0]
        for i, (p, mask) in enumerate(zip(rates, masks)):
            if mask is not None:
                fill_mask(mask[:n], keys, mask_salt(seed, epoch, self.numbers[i]),
                          p, self.counters[i], self.bits, self.base)


_M32 = (1 << 32) - 1


class DeviceMasks:
    """:func:`fill_mask`'s masks computed on an array-API device, equal to
    numpy's bit for bit.

    torch has no uint64 ``+``, ``<<`` or ``>>``, so a 64-bit word is held as
    two int64 arrays, its high and low 32-bit halves (each in ``[0,
    2**32)``), and the hash is computed on them with int64 operations
    whose every intermediate stays below ``2**63``: xor and shifts act
    half by half, an addition carries from the low half, and a product by a
    64-bit constant is assembled from 16-bit by 32-bit partial products.
    The row keys are computed once per fit on the host (the bit pattern of
    a float has no array-API view; :func:`row_keys`) and sent once; every
    batch's masks are then computed on the device, with no transfer.

    Parameters
    ----------
    ns : ArrayNamespace
    widths : list of int or None
        Each layer's units where it has dropout, else None.
    """

    def __init__(self, ns, widths):
        self.ns = ns
        self.counters = [None if w is None else self.halves(unit_counters(w))
                         for w in widths]

    def halves(self, words):
        """The uint64 host array ``words`` as device ``(high, low)``."""
        words = np.asarray(words, dtype=_U)
        high = (words >> _U(32)).astype(np.int64)
        low = (words & _U(_M32)).astype(np.int64)
        return self.ns.asarray(high), self.ns.asarray(low)

    def draw(self, keys, seed, epoch, rates, numbers, dtype):
        """The masks (device arrays of ``dtype``; None where a rate is 0)
        of the rows whose keys are ``keys`` (device halves)."""
        salts = []
        for number in numbers:
            salt = mask_salt(seed, epoch, number)
            salts.append((salt >> 32, salt & _M32))
        return self.draw_salted(keys, salts, rates, dtype)

    def draw_salted(self, keys, salts, rates, dtype):
        """:meth:`draw` with each layer's salt given as ``(high, low)``
        halves: Python integers, or 0-d int64 device arrays (a step that
        must not depend on the epoch's Python values, :mod:`.captured`)."""
        masks = []
        for counters, p, salt in zip(self.counters, rates, salts):
            if counters is None:
                masks.append(None)
                continue
            base = _mix_halves(keys[0] ^ salt[0], keys[1] ^ salt[1])
            v = _add_halves((base[0][:, None], base[1][:, None]), counters)
            high, low = _mix_halves(*v)
            threshold = min(int(np.ceil(p * 2.0**64)), _M64)
            t_high, t_low = threshold >> 32, threshold & _M32
            keep = (high > t_high) | ((high == t_high) & (low >= t_low))
            masks.append(self.ns.xp.astype(keep, dtype) * (1.0 / (1.0 - p)))
        return masks


def _add_halves(a, b):
    """``a + b`` modulo ``2**64`` on halves."""
    low = a[1] + b[1]
    high = (a[0] + b[0] + (low >> 32)) & _M32
    return high, low & _M32


def _shift_xor_halves(high, low, s):
    """``v ^ (v >> s)`` on halves, ``0 < s < 32``."""
    carried = (high & ((1 << s) - 1)) << (32 - s)
    return high ^ (high >> s), low ^ ((low >> s) | carried)


def _times_halves(high, low, c):
    """``v * c`` modulo ``2**64`` on halves, ``c`` a Python integer
    constant: every partial product is below ``2**49``."""
    c_high, c_low = c >> 32, c & _M32

    def low32_product(x, y):  # (x * y) mod 2**32 for x, y < 2**32
        return x * (y & 0xFFFF) + (((x * (y >> 16)) & 0xFFFF) << 16)

    p0, p1 = low * (c_low & 0xFFFF), low * (c_low >> 16)
    s = (p0 & _M32) + ((p1 & 0xFFFF) << 16)
    carry = (p0 >> 32) + (p1 >> 16) + (s >> 32)
    new_high = low32_product(high, c_low) + low32_product(low, c_high) + carry
    return new_high & _M32, s & _M32


def _mix_halves(high, low):
    """:func:`_mix` on halves."""
    high, low = _shift_xor_halves(high, low, 30)
    high, low = _times_halves(high, low, _C1)
    high, low = _shift_xor_halves(high, low, 27)
    high, low = _times_halves(high, low, _C2)
    return _shift_xor_halves(high, low, 31)
