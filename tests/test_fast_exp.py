"""The vectorized exp of the softmax kernels (``_kernels.simplex.exp_pairs``).

``vh + vl = exp(x - m)`` with ``x - m`` taken exactly.  Checked against mpmath at 60
digits over a grid covering the whole range: results of order 1 down to the smallest
subnormal, offsets ``m`` that make ``x - m`` inexact, and the exact zeros below the
underflow (``x - m < -750``, ``-inf`` masks, differences that overflow).  A negative
control shows the same check failing for ``exp`` of the rounded difference.
"""

from __future__ import annotations

import platform
import re

import mpmath as mp
import numpy as np
import pytest
import reference as R
from numba import njit

import hfy_reference as H
from hfy_reference._kernels import simplex as K

TINY = 2.0**-1022
OFFSETS = [0.0, 3.3, -1e3, 1e5, 1e15]


def _grid(m, rng):
    """Scores ``x`` with ``x - m`` spread over ``[-746, 0]`` (uniform, and dense near 0,
    near the reduction boundaries ``(j + 1/2) ln 2`` and in the subnormal range)."""
    d = np.concatenate([
        -rng.uniform(0.0, 746.0, 1500),
        -rng.uniform(0.0, 1.0, 300) ** 4,
        -(np.arange(1, 1077, 4) + 0.5) * np.log(2.0) + rng.uniform(-1e-9, 1e-9, 269),
        -rng.uniform(708.0, 746.0, 400),
        [0.0, -5e-324, -1e-300, -1e-17, -2.0**-53, -745.1, -745.2],
    ])
    return (d + m) if m else d


def _errors(x, m, vh, vl):
    """Worst errors of ``vh + vl`` against ``exp(x - m)``: in ulps of the exact value
    where it is at least ``2**-968`` (the pair), of ``fl(vh + vl)`` for ``[2**-1022,
    2**-968)`` (``vl`` is subnormal there), in units of ``2**-1074`` below ``2**-1022``."""
    worst_pair = worst_low = worst_sub = 0.0
    with mp.workdps(60):
        for xi, h, lo in zip(x, vh, vl, strict=True):
            ex = mp.exp(mp.mpf(float(xi)) - mp.mpf(m))
            if ex >= 2.0**-968:
                e = abs(mp.mpf(float(h)) + mp.mpf(float(lo)) - ex) / np.spacing(float(ex))
                worst_pair = max(worst_pair, float(e))
            elif ex >= TINY:
                e = abs(mp.mpf(float(h + lo)) - ex) / np.spacing(float(ex))
                worst_low = max(worst_low, float(e))
            else:
                e = abs(mp.mpf(float(h + lo)) - ex) / mp.mpf(2.0**-1074)
                worst_sub = max(worst_sub, float(e))
    return worst_pair, worst_low, worst_sub


def _pairs(x, m):
    vh = np.empty_like(x)
    vl = np.empty_like(x)
    K.exp_pairs(x, m, vh, vl)
    return vh, vl


@pytest.mark.parametrize("m", OFFSETS)
def test_exp_pairs_accurate_over_the_whole_range(m):
    rng = np.random.default_rng(11)
    x = _grid(m, rng)
    vh, vl = _pairs(x, m)
    pair, low, sub = _errors(x, m, vh, vl)
    # measured on this grid (five offsets): pair <= 0.10, low <= 0.67, subnormal <= 0.71
    assert pair <= 0.2, pair
    assert low <= 1.0, low
    assert sub <= 1.0, sub


def test_exp_pairs_exact_zero_below_the_underflow():
    m = 3.3
    x = np.array([m - 745.2, m - 746.0, m - 750.0, m - 751.0, m - 1e4, -1e308, -np.inf])
    vh, vl = _pairs(x, m)
    # exp(-745.2) < 2**-1075 rounds to 0; so does everything further down
    assert np.all(vh == 0.0) and np.all(vl == 0.0), (vh, vl)
    # a difference that overflows (z - m = -inf) and masks next to finite entries
    x = np.array([-1.7e308, 1.7e308, -np.inf, 1.7e308 - 1e292])
    vh, vl = _pairs(x, 1.7e308)
    assert vh[0] == 0.0 and vh[2] == 0.0 and vl[0] == 0.0 and vl[2] == 0.0
    assert vh[1] == 1.0 and vl[1] == 0.0
    assert vh[3] == 0.0  # 1e292 below the maximum


def test_exp_pairs_negative_control():
    """``exp`` of the rounded difference (the previous shift) fails the same check."""
    m = 3.3
    x = _grid(m, np.random.default_rng(11))
    with np.errstate(under="ignore"):
        naive = np.exp(x - m)
    pair, _, _ = _errors(x, m, naive, np.zeros_like(naive))
    vh, vl = _pairs(x, m)
    ours, _, _ = _errors(x, m, vh, vl)
    assert ours <= 0.2 < 50.0 < pair, (ours, pair)


@pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"),
                    reason="checks x86 packed instructions")
@pytest.mark.parametrize("kernel", ["_exp_block", "_weights_sum"])
def test_exp_block_is_vectorized(kernel):
    """The exp loops compile to packed double arithmetic (a branch or a call in the loop
    would make LLVM keep it scalar, about 4x slower): packed fused multiply-adds (the
    reduction and the polynomial go through ``_fma``) and products; ``_weights_sum``
    (the Hopfield step's weights and their TwoSum lanes) also packed sums."""
    f = njit(cache=False)(getattr(K, kernel).py_func)
    x = np.linspace(-700.0, 0.0, 256)
    if kernel == "_exp_block":
        f(x, 0.5, np.empty(256), np.empty(256), np.empty(256, np.int64))
    else:
        f(x, 0.5, np.empty(32), np.empty(32))
    asm = "\n".join(f.inspect_asm().values())
    packed = len(re.findall(r"\bv?mulpd\b|\bvfn?m(?:add|sub)\d+pd\b", asm))
    assert packed >= 10, "exp loop not vectorized"
    if kernel == "_weights_sum":
        assert len(re.findall(r"\bv?addpd\b", asm)) >= 4, "lanes not vectorized"


# ---------------------------------------------------------------------------------------
# softmax through the fast exp, per class of input (docs/accuracy.md states the numbers)
# ---------------------------------------------------------------------------------------
def _softmax_classes():
    rng = np.random.default_rng(7)
    out = {}
    for off in (0.0, 3.3, 1e3, -1e5, 1e15, 1e300):
        out[f"offsets to e**-745, offset {off:g}"] = [
            off - np.sort(rng.uniform(0.0, 745.0, 40)) for _ in range(6)]
    out["normal, n = 200"] = [rng.standard_normal(200) for _ in range(10)]
    out["normal x 30, n = 200"] = [30.0 * rng.standard_normal(200) for _ in range(10)]
    for scale in (1.0, 30.0, 300.0, 700.0, 1e5, 1e300):
        out[f"uniform spread {scale:g}"] = [
            rng.uniform(-1.0, 1.0, 24) * scale + rng.choice([0.0, 3.3, 1e3, -1e5, 1e15])
            for _ in range(6)]
    masked = []
    for _ in range(20):
        z = 10.0 * rng.standard_normal(50)
        z[rng.random(50) < 0.4] = -np.inf
        z[0] = 1.0
        masked.append(z)
    out["-inf masks"] = masked
    out["subnormal outputs"] = [np.concatenate([[0.0], -rng.uniform(700.0, 746.0, 29)])
                                for _ in range(20)]
    out["near ties"] = [rng.uniform(-1e-14, 0.0, 30) + rng.choice([0.0, 1.0, 1e3])
                        for _ in range(20)]
    return out


def _softmax_errors(z):
    """Worst error in ulps of the exact value (entries >= 2**-1022) and in units of
    2**-1074 below, and whether the support is that of the exact solution."""
    got = H.softmax(z)
    _, exact = R.softmax(z)
    worst = worst_sub = 0.0
    same = True
    with mp.workdps(60):
        for g, r in zip(got, exact, strict=True):
            if (float(g) > 0) != (float(r) > 0):
                same = False
            if r == 0:
                worst_sub = max(worst_sub, 0.0 if g == 0 else np.inf)
            elif r >= TINY:
                worst = max(worst, float(abs(mp.mpf(float(g)) - r) / np.spacing(float(r))))
            else:
                worst_sub = max(worst_sub, float(abs(mp.mpf(float(g)) - r) / 2.0**-1074))
    return worst, worst_sub, same


def test_softmax_within_one_ulp_on_every_class():
    """Measured: at most 0.57 ulp (entries >= 2**-1022) and 0.62 units of 2**-1074
    (subnormal entries) over the 12 504 entries of these classes; the previous kernel
    (libm exp per entry, the numerator as v + v e) reached 1.30 ulp on them."""
    for name, rows in _softmax_classes().items():
        for z in rows:
            worst, worst_sub, same = _softmax_errors(z)
            assert same, name
            assert worst <= 1.0, (name, worst)
            assert worst_sub <= 1.0, (name, worst_sub)


def test_softmax_classes_negative_control():
    """NumPy's softmax (``exp`` of the rounded shift, plain sum and division) fails the
    same check on the first class: hundreds of ulp at e**-700."""
    z = _softmax_classes()["offsets to e**-745, offset 3.3"][0]
    with np.errstate(under="ignore"):
        e = np.exp(z - z.max())
    naive = e / e.sum()
    _, exact = R.softmax(z)
    with mp.workdps(60):
        worst = max(float(abs(mp.mpf(float(g)) - r) / np.spacing(float(r)))
                    for g, r in zip(naive, exact, strict=True) if r >= TINY)
    assert _softmax_errors(z)[0] <= 1.0 < 20.0 < worst, worst


def test_softmax_subnormal_entry_from_a_subnormal_numerator():
    """Found by the adversarial search: exp(-744.158) = 1.33 * 2**-1074, and the entry,
    half of it, is 0.66 * 2**-1074.  Rounding the numerator first (to 2**-1074) and then
    halving gave a tie, rounded to 0; the quotient now works on numerators scaled by
    2**64 and rounds the entry once."""
    z = np.array([-100079.89438822438, -99335.73602314963, -100000.0, -99335.73602314963,
                  -100000.0, -99617.00598225923, -100079.89438822438])
    worst, worst_sub, same = _softmax_errors(z)
    assert same and worst <= 1.0 and worst_sub <= 0.5, (worst, worst_sub)
    assert H.softmax(z)[0] == 2.0**-1074


@pytest.mark.parametrize("n", [1, 3, 10, 33, 128, 129, 300])
def test_short_rows_by_groups_equal_rows_one_by_one(n):
    """Rows of at most 128 entries go through one exp loop several at a time, each row
    with its own maximum: the batch equals the rows mapped one by one, bit for bit, and
    stays within 1 ulp of the 50-digit reference."""
    rng = np.random.default_rng(n)
    Z = rng.standard_normal((37, n)) * rng.choice([1.0, 30.0, 300.0], size=(37, 1))
    Z += rng.choice([0.0, 3.3, -1e5, 1e15], size=(37, 1))
    Z[rng.random(Z.shape) < 0.2] = -np.inf
    Z[:, 0] = np.where(np.isinf(Z[:, 0]), 0.0, Z[:, 0])
    P = H.softmax(Z)
    L = H.logsumexp(Z)
    for i in range(0, 37, 6):
        assert np.array_equal(P[i], H.softmax(Z[i]))
        assert L[i] == H.logsumexp(Z[i])
        worst, worst_sub, same = _softmax_errors(Z[i])
        assert same and worst <= 1.0 and worst_sub <= 1.0, (i, worst, worst_sub)


@pytest.mark.parametrize("n", [65537, 70001])
def test_long_rows_without_row_long_scratch_are_bitwise_the_same(n):
    """Rows longer than 2**16 keep only one block of low parts (the second pass recomputes
    them): softmax and logsumexp equal the one-row kernels bit for bit, masks and
    large spreads included."""
    from hfy_reference._kernels import simplex as K

    rng = np.random.default_rng(n)
    for scale in (1.0, 40.0, 400.0):
        z = rng.standard_normal((1, n)) * scale
        if scale == 40.0:
            z[0, ::7] = -np.inf
        m = np.array([z[np.isfinite(z)].max()])
        o = np.empty_like(z)
        K.softmax_rows_serial(z, m, o)
        scratch = (np.empty(256, np.int64), np.empty(32), np.empty(32))
        want = np.empty(n)
        K._softmax_row_s(z[0], m[0], want, np.empty(n), *scratch)
        assert np.array_equal(o[0], want)
        lse = np.empty(1)
        K.logsumexp_rows_serial(z, m, lse)
        sh, sl = K._exp_sum(z[0], m[0], np.empty(n), np.empty(n), *scratch)
        assert lse[0] == np.log(sh) + sl / sh
