"""The candidate scan of the sparse kernels (``_kernels.simplex._collect_all_above``).

Every exact engine (entmax, normmax, sparsemax, k-subsets, constrained sparsemax) first
collects the entries of a row above a float threshold, in index order; the support is
then found among them.  The collection works on blocks of 64 entries through a bit
mask, so its edge cases are the lengths around multiples of 64, a block with every
bit set (bit 63 included) and blocks with none.  Checked against NumPy's
``flatnonzero(z > thr)``, an independent computation of the same set.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hfy_reference._kernels import simplex as K

VALUES = st.sampled_from([-np.inf, -1e308, -2.0, -1.0, -5e-324, 0.0, 5e-324, 0.5, 1.0,
                          1.0 + 2.0**-52, 3.0, 1e308, np.nan])
LENGTHS = [0, 1, 63, 64, 65, 127, 128, 129, 1000]


def _check(z, thr):
    n = z.size
    z0 = z.copy()
    th = np.full(n, 7.0)
    pos = np.full(n, -1, np.int64)
    k = K._collect_all_above(z, thr, th, pos)
    want = np.flatnonzero(z > thr)
    assert k == want.size
    np.testing.assert_array_equal(pos[:k], want)
    np.testing.assert_array_equal(th[:k], z[want])
    np.testing.assert_array_equal(z, z0)  # the input is not modified


@given(st.lists(VALUES, min_size=0, max_size=200), VALUES)
def test_collect_matches_flatnonzero(values, thr):
    _check(np.array(values, dtype=np.float64), thr)


@pytest.mark.parametrize("n", LENGTHS)
@pytest.mark.parametrize("kept", [0.0, 0.02, 0.5, 1.0])
def test_collect_lengths_and_densities(n, kept):
    """Lengths around the block size, with none, few, half and all entries kept (the
    full mask sets bit 63; the last partial block goes through the scalar tail)."""
    rng = np.random.default_rng(n + int(100 * kept))
    z = rng.standard_normal(n)
    thr = np.quantile(z, 1.0 - kept) if n and 0.0 < kept < 1.0 else (-np.inf if kept else np.inf)
    _check(z, thr)
    if n:
        _check(np.where(rng.random(n) < 0.3, -np.inf, z), thr)  # masked entries


def test_collect_catches_a_dropped_bit():
    """Negative control: a collection that misses the top bit of each block (a mask
    built from 63 comparisons) fails the same check."""
    z = np.arange(128.0)

    def broken(z, thr, th, pos):
        idx = [i for i in range(z.size) if z[i] > thr and i % 64 != 63]
        th[:len(idx)] = z[idx]
        pos[:len(idx)] = idx
        return len(idx)

    saved = K._collect_all_above
    try:
        K._collect_all_above = broken
        with pytest.raises(AssertionError):
            _check(z, -1.0)
    finally:
        K._collect_all_above = saved
