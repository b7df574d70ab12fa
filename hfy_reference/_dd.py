r"""Error-free transformations on NumPy arrays (the one vectorised double-double core).

``two_sum(a, b)`` returns ``(s, e)`` with ``s = fl(a + b)`` and ``a + b = s + e``
exactly (Knuth); ``two_prod(a, b)`` returns ``(p, e)`` with ``p = fl(a b)`` and
``a b = p + e`` exactly (Dekker, with Veltkamp's split), unless the product over- or
underflows.  They act elementwise on float64 arrays and are used by
:mod:`hfy_reference.theory` for its exact decisions.

The Numba kernels need the same operations on scalars inside jitted code.  Numba's
on-disk cache is invalidated per file: a kernel that called a helper in another file
would keep a stale compiled copy when that helper changed.  So the scalar helpers exist
once per kernel file (:mod:`hfy_reference._kernels.simplex` and
:mod:`hfy_reference._kernels.sparsemap`), written exactly like the functions here, and
``tests/test_double_double.py`` pins every copy to this one bit for bit, on random
inputs including ones near the overflow threshold.

Near overflow: ``split`` multiplies by ``2**27 + 1``, which would overflow for
``|a| > 6e299``; such inputs are split at the scale ``2**-28`` (exact: a power of two)
and scaled back, as in the kernels.  The split is exact for
``|a| < (1 - 2**-27) 2**1024``; above (the last 2**-27 of the float64 range) the high
half rounds up to ``2**1024`` and overflows, in every copy alike.
"""

from __future__ import annotations

import numpy as np

__all__ = ["SPLIT", "split", "two_sum", "two_prod"]

SPLIT = 134217729.0  # 2**27 + 1, Veltkamp's splitter for float64
_BIG = 6.0e299  # above this, SPLIT * a could overflow
_DOWN = 3.725290298461914e-09  # 2**-28
_UP = 268435456.0  # 2**28


def split(a):
    """``a = hi + lo`` exactly, each half with at most 26 significant bits."""
    a = np.asarray(a, dtype=np.float64)
    big = np.abs(a) > _BIG
    if big.any():
        b = np.where(big, a * _DOWN, a)
        s = np.where(big, _UP, 1.0)
        c = SPLIT * b
        hi = c - (c - b)
        return hi * s, (b - hi) * s
    c = SPLIT * a
    hi = c - (c - a)
    return hi, a - hi


def two_sum(a, b):
    """``a + b = s + e`` exactly (Knuth), elementwise."""
    s = a + b
    bp = s - a
    return s, (a - (s - bp)) + (b - bp)


def two_prod(a, b):
    """``a * b = p + e`` exactly (Dekker), unless the product over- or underflows."""
    p = a * b
    ah, al = split(a)
    bh, bl = split(b)
    e = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    return p, e
