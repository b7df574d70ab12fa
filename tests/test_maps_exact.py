"""Exactness of the maps: against a 50-digit reference, KKT conditions, closed forms,
identities, limits and the exact support thresholds of math §1.

Tolerances.  The maps claim each entry to be the exact solution for the float64
input rounded once (up to libm's ``pow``/``exp``), so against the mpmath reference we
allow 2 ulp of the largest entry (``ULP2 = 4.5e-16``); sums are checked with an exact
sum (``math.fsum``) to 4 ulp of 1; supports must match exactly.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
import reference as R
from exact_capped import capped_exact
from hypothesis import given, settings
from hypothesis import strategies as st

import hfy_reference as H
from hfy_reference.testing import strategies as hst

EPS = np.finfo(np.float64).eps
ULP2 = 2 * EPS  # 2 ulp at 1 (every output lies in [0, 1])
SUM_TOL = 4 * EPS

ENTMAX_ALPHAS = [1.001, 1.01, 1.1, 1.3, 1.5, 2.0, 2.5, 3.0, 10.0, 30.0]
NORMMAX_ALPHAS = [1.1, 1.5, 2.0, 3.0, 5.0, 30.0, np.inf]


def assert_exact(got, ref_float, ref_mp, what):
    err = np.max(np.abs(got - ref_float))
    assert err <= ULP2, f"{what}: max |error| {err:.3e} > 2 ulp"
    # the support of the float result is that of the correctly rounded reference
    # (an exact probability below 2**-1075 rounds to 0)
    np.testing.assert_array_equal(got > 0, ref_float > 0, err_msg=f"{what}: support differs")
    exact_supp = np.array([x > 0 for x in ref_mp])
    # an entry the map sets to 0 is exactly 0, or its exact value rounds to 0
    # (e.g. 8e-12959 for z = [0, 1000] at alpha = 1.001)
    zero = got == 0
    assert np.all(~exact_supp[zero] | (ref_float[zero] == 0))


def assert_sum_one(p, total=1.0):
    s = math.fsum(p)
    assert abs(s - total) <= SUM_TOL * max(1.0, total), f"sum {s!r} off {total} by {s - total:.2e}"


# ---------------------------------------------------------------------------------------
# against the 50-digit reference
# ---------------------------------------------------------------------------------------
@settings(max_examples=30)
@given(hst.score_vectors(max_size=25, min_scale=1e-3, max_scale=1e3),
       st.sampled_from(ENTMAX_ALPHAS))
def test_entmax_matches_50_digit_reference(z, alpha):
    got = H.entmax(z, alpha)
    ref, ref_mp = R.entmax(z, alpha)
    assert_exact(got, ref, ref_mp, f"entmax alpha={alpha}")
    assert_sum_one(got)


@settings(max_examples=30)
@given(hst.score_vectors(max_size=25, min_scale=1e-3, max_scale=1e3),
       st.sampled_from(NORMMAX_ALPHAS))
def test_normmax_matches_50_digit_reference(z, alpha):
    got = H.normmax(z, alpha)
    ref, ref_mp = R.normmax(z, alpha)
    assert_exact(got, ref, ref_mp, f"normmax alpha={alpha}")
    assert_sum_one(got)


@given(hst.score_vectors(max_size=30))
def test_softmax_matches_50_digit_reference(z):
    got = H.softmax(z)
    ref, _ = R.softmax(z)
    # exp carries its own rounding: allow 2 ulp relative per entry; a subnormal entry
    # (below 2**-1022) has only absolute precision: 2 units of 2**-1074 (the fuzz
    # profile found exp(-713) off by one unit, as numpy's exp(z - m) / sum is)
    np.testing.assert_allclose(got, ref, rtol=4 * EPS, atol=2 * 2.0**-1074)
    assert_sum_one(got)


@given(hst.score_vectors(max_size=25, min_scale=1e-3, max_scale=1e3), st.data())
def test_ksubsets_matches_50_digit_reference(z, data):
    nfin = int(np.isfinite(z).sum())
    k = data.draw(st.integers(1, nfin))
    got = H.sparsemap_ksubsets(z, k)
    ref, ref_mp = R.capped(z, np.ones_like(z), k)
    err = np.max(np.abs(got - ref))
    assert err <= k * ULP2
    # the support and the capped entries against the exact rational solution: the
    # 50-digit bisection can land inside a plateau of f and call a capped entry
    # 1 - 1e-42 (fuzz: z = [0, -1.7e-42, -1.7e-42], k = 3, where every entry is 1), and
    # cannot hold an entry of 9e-297 next to 1 (fuzz: z = [1, 1.8e-296], k = 1)
    exact = capped_exact(list(z), [1.0] * len(z), k)[1]
    np.testing.assert_array_equal(got > 0, np.array([x > 0 for x in exact]))
    # an entry at its cap is 1 exactly (one below it may round to 1: z = [1, 4.7e-89])
    assert all(g == 1.0 for g, x in zip(got, exact, strict=True) if x == 1)
    for g, x in zip(got, exact, strict=True):  # within 1 ulp of the exact value
        assert abs(Fraction(float(g)) - x) <= Fraction(float(np.spacing(float(x)))), (g, x)
    assert_sum_one(got, k)


@given(hst.score_vectors(max_size=25, min_scale=1e-3, max_scale=1e3), st.data())
def test_constrained_sparsemax_matches_50_digit_reference(z, data):
    n = len(z)
    u = np.array(data.draw(st.lists(st.sampled_from([0.0, 0.05, 0.2, 0.5, 1.0, np.inf]),
                                    min_size=n, max_size=n)))
    # feasible iff the caps sum to >= 1 exactly (a float sum of 0.2 + 0.5 + 0.2 + 0.05 +
    # 0.05 rounds to 1.0 but is below 1): open the largest score's cap otherwise
    caps = np.where(np.isfinite(z), u, 0.0)
    if not np.isinf(caps).any() and sum(Fraction(float(x)) for x in caps) < 1:
        u[int(np.argmax(z))] = np.inf
    got = H.constrained_sparsemax(z, u)
    ref, ref_mp = R.capped(z, u, 1)
    assert np.max(np.abs(got - ref)) <= ULP2
    # the support against the exact rational solution: 50 digits cannot hold an entry
    # of 3.4e-131 next to 1 (found by the fuzz profile: z = (6.8e-131, 1), u = (0.05,
    # inf), where the 50-digit solution drops the small entry and the exact one keeps it)
    _, exact = capped_exact(list(z), list(u), 1)
    want = np.array([float(x) for x in exact])
    np.testing.assert_array_equal(got > 0, want > 0)
    # within 1 ulp of the exact value, relative to each entry (docs/accuracy.md)
    for g, x, w in zip(got, exact, want, strict=True):
        assert abs(Fraction(float(g)) - x) <= Fraction(float(np.spacing(w))), (g, w)
    assert np.all(got <= u)
    assert_sum_one(got)


@pytest.mark.parametrize("alpha", [30.0, 100.0, 1000.0])
@pytest.mark.parametrize("q", [0.001, 0.3, 0.9, 0.999999])
def test_entmax_large_alpha_two_entries_in_probability_space(alpha, q):
    """For large alpha the threshold sits within p**(alpha-1) (e.g. 1e-300) of the
    smaller score, far below float64 resolution; the probabilities are still
    well-conditioned.  Reference: p**(alpha-1) - (1-p)**(alpha-1) = (alpha-1) g,
    bisected in 50-digit arithmetic in p (no threshold formed)."""
    g = q / (alpha - 1.0)  # (alpha - 1) g = q < 1: both entries in the support
    got = H.entmax([g, 0.0], alpha)
    ref = R.entmax_two(g, alpha)
    assert np.max(np.abs(got - ref)) <= ULP2, (got, ref)
    assert np.all(got > 0)


def test_entmax_large_alpha_matches_high_precision_reference():
    # a 4-entry case at alpha = 50 against a ~850-digit bisection on tau
    z = np.array([0.013, 0.0, -0.004, 0.011])
    got = H.entmax(z, 50.0)
    ref, ref_mp = R.entmax(z, 50.0)
    assert_exact(got, ref, ref_mp, "entmax alpha=50")
    assert np.count_nonzero(got) >= 2


# ---------------------------------------------------------------------------------------
# algorithms agree, KKT conditions, closed forms
# ---------------------------------------------------------------------------------------
@given(hst.score_batches(max_rows=4, max_size=40), st.sampled_from([1.5, 2.0]))
def test_pivot_sort_and_bisection_agree_on_closed_forms(Z, alpha):
    a = H.entmax(Z, alpha, method="pivot")
    b = H.entmax(Z, alpha, method="sort")
    c = H.entmax(Z, alpha, method="bisect")
    np.testing.assert_allclose(a, b, rtol=0, atol=EPS)
    np.testing.assert_allclose(a, c, rtol=0, atol=EPS)
    np.testing.assert_array_equal(a > 0, b > 0)
    np.testing.assert_array_equal(a > 0, c > 0)
    n2a = H.normmax(Z, 2.0, method="pivot")
    n2b = H.normmax(Z, 2.0, method="sort")
    np.testing.assert_allclose(n2a, n2b, rtol=0, atol=EPS)


@given(hst.score_batches(max_rows=3, max_size=40), hst.entmax_alphas(max_alpha=30.0))
def test_newton_and_bisection_agree_for_general_alpha(Z, alpha):
    a = H.entmax(Z, alpha, method="auto")
    c = H.entmax(Z, alpha, method="bisect")
    np.testing.assert_allclose(a, c, rtol=0, atol=2 * EPS)
    np.testing.assert_array_equal(a > 0, c > 0)


@given(hst.score_vectors(max_size=40), hst.entmax_alphas(max_alpha=2.0))
def test_entmax_kkt(z, alpha):
    """p_i^(alpha-1) = (alpha-1) z_i - tau on the support, (alpha-1) z_i <= tau off it."""
    p = H.entmax(z, alpha)
    tau, n = H.threshold(z, alpha)
    fin = np.isfinite(z)
    t = (alpha - 1.0) * z
    scale = (alpha - 1.0) * np.max(np.abs(z[fin])) + 1.0
    supp = p > 0
    # the support has n entries; those that are 0 in float64 underflowed
    assert n >= np.count_nonzero(p)
    gone = np.sort(t[fin])[::-1][np.count_nonzero(p):n]
    assert np.all((gone - tau) ** (1.0 / (alpha - 1.0)) < 1e-300) if len(gone) else True
    lhs = p[supp] ** (alpha - 1.0)
    # a few ulps of the input's scale (tau and t are of the size of (alpha-1)|z|), plus
    # for a subnormal p, what rounding p itself moves p**(alpha - 1): (alpha - 1) lhs
    # times p's relative rounding 2**-1074 / p (found by the fuzz profile: p = 4.9e-314
    # at alpha = 1.001, 33 significant bits, moves lhs by 5e-15); normal p: no extra term
    ps = p[supp]
    rel = np.where(ps < 2.0**-1022, 2.0**-1074 / ps, 0.0)
    tol = 8 * EPS * scale + (alpha - 1.0) * lhs * rel
    assert np.all(np.abs(lhs - (t[supp] - tau)) <= tol)
    # off the support: the entries with p = 0 except the n - nnz support entries that
    # underflowed (the largest of them; found by the fuzz profile: exp-like 1e-435 at
    # alpha = 1.001)
    off = np.sort(t[fin & ~supp])[::-1][n - np.count_nonzero(p):]
    assert np.all(off <= tau + 8 * EPS * scale)


def test_sparsemax_closed_forms():
    # two entries with gap d < 1: p = ((1+d)/2, (1-d)/2)
    for d in [0.0, 0.25, 0.5, 0.999]:
        np.testing.assert_allclose(H.sparsemax([d, 0.0]), [(1 + d) / 2, (1 - d) / 2],
                                   rtol=0, atol=EPS)
    np.testing.assert_array_equal(H.sparsemax([1.0, 0.0]), [1.0, 0.0])  # gap = margin
    np.testing.assert_array_equal(H.sparsemax(np.zeros(7)), np.full(7, 1 / 7))
    # known projection: (1, 0.5, -1) -> tau = 0.25
    np.testing.assert_array_equal(H.sparsemax([1.0, 0.5, -1.0]), [0.75, 0.25, 0.0])


def test_entmax15_closed_form_two_entries():
    # t = z/2; p_i = (t_i - tau)^2 with (-tau)^2 + (t2 - tau)^2 = 1 on 2 entries
    z = np.array([1.0, 0.5])
    t2 = (z[1] - z[0]) / 2
    u = (-t2 + math.sqrt(2 - t2 * t2)) / 2  # -tau
    expected = np.array([u * u, (t2 + u) ** 2])
    np.testing.assert_allclose(H.entmax(z, 1.5), expected, rtol=0, atol=2 * EPS)


def test_normmax_matches_powered_entmax_identity():
    """normmax_alpha(z) = normalize(entmax_{2-1/alpha}(alpha z/(alpha-1))^{1/alpha})."""
    rng = np.random.default_rng(11)
    for alpha in [1.2, 1.5, 2.0, 3.0, 7.0]:
        z = rng.standard_normal((5, 9))
        q = H.entmax(alpha * z / (alpha - 1.0), 2.0 - 1.0 / alpha) ** (1.0 / alpha)
        np.testing.assert_allclose(H.normmax(z, alpha), q / q.sum(-1, keepdims=True),
                                   rtol=0, atol=4 * EPS)


# ---------------------------------------------------------------------------------------
# exact support thresholds (math §1), on both sides
# ---------------------------------------------------------------------------------------
def _support_condition(zs, k, beta, alpha, family):
    d = beta * (zs[:k] - zs[k])
    if family == "entmax":
        return np.sum(((alpha - 1.0) * d) ** (1.0 / (alpha - 1.0))) < 1.0
    return np.sum(d ** (alpha / (alpha - 1.0))) < 1.0


@pytest.mark.parametrize("family,alpha", [("entmax", 1.5), ("entmax", 2.0),
                                          ("entmax", 1.2), ("entmax", 4.0),
                                          ("normmax", 2.0), ("normmax", 1.5),
                                          ("normmax", 5.0)])
def test_support_thresholds(family, alpha):
    rng = np.random.default_rng(5)
    fn = H.entmax if family == "entmax" else H.normmax
    for _ in range(20):
        z = np.sort(rng.standard_normal(7))[::-1]
        beta = 10.0 ** rng.uniform(-1, 1.5)
        p = fn(beta * z, alpha)
        for k in range(1, 7):
            assert (p[k] > 0) == _support_condition(z, k, beta, alpha, family), (z, beta, k)


@pytest.mark.parametrize("alpha", [1.5, 2.0, 3.0])
def test_second_entry_joins_exactly_at_its_threshold(alpha):
    """z = (g, 0): the second entry is in the support iff (alpha-1) g < 1."""
    m = 1.0 / (alpha - 1.0)
    below = np.nextafter(m, 0.0)
    assert H.entmax([m, 0.0], alpha)[1] == 0.0
    assert H.entmax([below, 0.0], alpha)[1] > 0.0
    assert H.normmax([1.0, 0.0], alpha)[1] == 0.0
    assert H.normmax([np.nextafter(1.0, 0.0), 0.0], alpha)[1] > 0.0


# ---------------------------------------------------------------------------------------
# limits
# ---------------------------------------------------------------------------------------
def test_entmax_limits():
    rng = np.random.default_rng(2)
    z = rng.standard_normal((4, 12))
    # alpha -> 1: softmax (the difference is O(alpha - 1))
    np.testing.assert_allclose(H.entmax(z, 1 + 1e-7), H.softmax(z), atol=1e-5)
    np.testing.assert_array_equal(H.entmax(z, 1.0), H.softmax(z))
    # alpha -> inf: argmax (gaps here are > 1e-3, so alpha = 1e4 is one-hot)
    np.testing.assert_array_equal(H.entmax(z, 1e4), H.argmax(z))
    np.testing.assert_array_equal(H.entmax(z, np.inf), H.argmax(z))
    # beta -> 0: uniform; beta -> inf: argmax
    np.testing.assert_allclose(H.entmax(1e-9 * z, 1.5), np.full_like(z, 1 / 12), atol=1e-9)
    np.testing.assert_array_equal(H.entmax(1e9 * z, 1.5), H.argmax(z))


def test_normmax_limits():
    rng = np.random.default_rng(4)
    z = rng.standard_normal((6, 10))
    supp = H.sparsemax(z) > 0
    uniform = supp / supp.sum(-1, keepdims=True)
    np.testing.assert_array_equal(H.normmax(z, np.inf), uniform)
    np.testing.assert_allclose(H.normmax(z, 1e6), uniform, atol=1e-4)
    np.testing.assert_array_equal(H.normmax(z, 1.0), H.argmax(z))


def test_argmax_splits_ties_uniformly():
    np.testing.assert_array_equal(H.argmax([1.0, 3.0, 3.0, -np.inf]), [0, 0.5, 0.5, 0])
    np.testing.assert_array_equal(H.argmax([[2.0, 2.0, 2.0]]), [[1 / 3, 1 / 3, 1 / 3]])


def test_ksubsets_limits_and_margin():
    z = np.array([3.0, 2.0, 0.5, -1.0, 0.25])
    # mu is the top-k indicator iff z_(k) - z_(k+1) >= 1 (here k=2: 2.0 - 0.5 = 1.5)
    np.testing.assert_array_equal(H.sparsemap_ksubsets(z, 2), [1, 1, 0, 0, 0])
    # gap exactly 1: still the indicator; just below: not
    np.testing.assert_array_equal(H.sparsemap_ksubsets([2.0, 1.0, 0.0], 1), [1, 0, 0])
    assert H.sparsemap_ksubsets([2.0, np.nextafter(1.0, 2.0), 0.0], 1)[1] > 0
    # beta -> 0 gives k/N
    np.testing.assert_allclose(H.sparsemap_ksubsets(1e-12 * z, 2), np.full(5, 0.4), atol=1e-11)
    # k = 1 is sparsemax, k = N all ones
    rng = np.random.default_rng(0)
    Z = rng.standard_normal((5, 8))
    np.testing.assert_allclose(H.sparsemap_ksubsets(Z, 1), H.sparsemax(Z), atol=EPS)
    np.testing.assert_array_equal(H.sparsemap_ksubsets(Z, 8), np.ones_like(Z))


def test_constrained_sparsemax_reduces_to_sparsemax_with_loose_caps():
    rng = np.random.default_rng(1)
    Z = rng.standard_normal((5, 9))
    np.testing.assert_allclose(H.constrained_sparsemax(Z, np.inf), H.sparsemax(Z), atol=EPS)
    np.testing.assert_allclose(H.constrained_sparsemax(Z, 1.0), H.sparsemax(Z), atol=EPS)
    # binding caps: exactly the cap
    p = H.constrained_sparsemax([5.0, 4.0, 0.0], [0.3, 0.3, 1.0])
    np.testing.assert_allclose(p, [0.3, 0.3, 0.4], atol=EPS)


# ---------------------------------------------------------------------------------------
# masks, shifts, shapes, dtypes, scales
# ---------------------------------------------------------------------------------------
MAPS = {
    "softmax": lambda z, **kw: H.softmax(z, **kw),
    "sparsemax": lambda z, **kw: H.sparsemax(z, **kw),
    "entmax1.5": lambda z, **kw: H.entmax(z, 1.5, **kw),
    "entmax1.2": lambda z, **kw: H.entmax(z, 1.2, **kw),
    "entmax3": lambda z, **kw: H.entmax(z, 3.0, **kw),
    "normmax2": lambda z, **kw: H.normmax(z, 2.0, **kw),
    "normmax5": lambda z, **kw: H.normmax(z, 5.0, **kw),
    "normmax_inf": lambda z, **kw: H.normmax(z, np.inf, **kw),
    "argmax": lambda z, **kw: H.argmax(z, **kw),
    "ksubsets2": lambda z, **kw: H.sparsemap_ksubsets(z, 2, **kw),
    "constrained": lambda z, **kw: H.constrained_sparsemax(z, 0.6, **kw),
}


@pytest.mark.parametrize("name", sorted(MAPS))
def test_masks_are_exact_zeros_and_do_not_move_the_rest(name):
    f = MAPS[name]
    rng = np.random.default_rng(3)
    z = rng.standard_normal(9)
    zm = z.copy()
    zm[[1, 4]] = -np.inf
    p = f(zm)
    assert p[1] == 0.0 and p[4] == 0.0
    keep = np.ones(9, bool)
    keep[[1, 4]] = False
    np.testing.assert_array_equal(p[keep], f(z[keep]))


@pytest.mark.parametrize("name", sorted(MAPS))
def test_axis_and_batches(name):
    f = MAPS[name]
    rng = np.random.default_rng(8)
    X = rng.standard_normal((3, 6, 4))
    out = f(X, axis=1)
    assert out.shape == X.shape
    for i in range(3):
        for j in range(4):
            np.testing.assert_array_equal(out[i, :, j], f(X[i, :, j]))
    np.testing.assert_array_equal(f(X, axis=-2), out)


@pytest.mark.parametrize("name", sorted(MAPS))
def test_dtypes_and_inputs_untouched(name):
    f = MAPS[name]
    z32 = np.array([0.5, 0.1, -0.3, 0.2], dtype=np.float32)
    before = z32.copy()
    out = f(z32)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(z32, before)
    np.testing.assert_allclose(out, f(z32.astype(np.float64)), atol=1e-7)
    zi = np.array([3, 1, 0, 2])
    assert f(zi).dtype == np.float64
    np.testing.assert_array_equal(f(zi), f(zi.astype(np.float64)))
    assert f([3, 1, 0, 2]).dtype == np.float64


@pytest.mark.parametrize("name", sorted(MAPS))
def test_shift_invariance(name):
    f = MAPS[name]
    z = np.array([0.75, 0.5, -0.25, 0.0, 0.125])  # dyadic: z + c is exact for these c
    for c in [1.0, -64.0, 2.0**20]:
        np.testing.assert_array_equal(f(z + c), f(z))


@pytest.mark.parametrize("name", sorted(MAPS))
@pytest.mark.parametrize("scale", [1e-308, 1e-300, 1e300, 1.7e308])
def test_extreme_scales_no_warnings_and_valid(name, scale):
    f = MAPS[name]
    z = np.array([1.0, -1.0, 0.5, 0.0, -0.999]) * scale
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # no RuntimeWarning
        p = f(z)
    assert np.all(np.isfinite(p)) and np.all(p >= 0)
    total = 2.0 if name == "ksubsets2" else 1.0
    assert_sum_one(p, total)


@pytest.mark.parametrize("name", ["sparsemax", "entmax1.5", "entmax3", "normmax2",
                                  "softmax", "ksubsets2"])
def test_long_vectors(name):
    f = MAPS[name]
    rng = np.random.default_rng(12)
    z = rng.standard_normal(100_000)
    p = f(z)
    total = 2.0 if name == "ksubsets2" else 1.0
    assert_sum_one(p, total)
    if name != "ksubsets2":
        assert f(z[:1]).tolist() == [1.0]


@pytest.mark.parametrize("alpha", [1.5, 2.0, 10.0, 100.0])
def test_many_exact_ties_are_exactly_uniform(alpha):
    # for alpha = 100 and 1e4 ties, tau = -1e4**-99 underflows; the answer is still 1/N
    for n in [1, 2, 3, 10_000]:
        p = H.entmax(np.zeros(n), alpha)
        np.testing.assert_array_equal(p, np.full(n, 1.0 / n))
    p = H.entmax(np.array([0.0] * 5000 + [-1e-300] * 5), 100.0)
    assert np.all(p[5000:] == 0.0) and np.all(p[:5000] == 1 / 5000)


@pytest.mark.parametrize("alpha", [4.0, 12.0])
def test_entmax_anchor_on_scores_below_the_resolution_of_the_shift(alpha):
    """Regression (found by the convexity property test): -8.5e-220 and 0 are equal
    after shifting by 1e-8 even in double-double; the anchor must still be the
    smallest raw score, else a negative base gave NaN."""
    z = np.array([0.0, 0.0, 0.0, 1e-8, -8.48596098e-220])
    got = H.entmax(z, alpha)
    ref, ref_mp = R.entmax(z, alpha)
    assert_exact(got, ref, ref_mp, f"entmax alpha={alpha}")
