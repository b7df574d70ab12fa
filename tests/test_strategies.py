"""The public hypothesis strategies of ``hfy_reference.testing.strategies``: each one
reaches its edge cases (ties, masks, a single finite entry, both ends of its scale
range, both sides of a threshold or margin), and its values satisfy what it promises
(checked against the 50-digit mpmath reference where a label depends on the maps).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import reference as R
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st

import hfy_reference as H
from hfy_reference.testing import strategies as hst

# found by generation alone (no shrinking: the witness only has to exist)
FIND = settings(database=None, max_examples=2000, derandomize=True,
                phases=(Phase.generate,))


def reaches(strategy, condition):
    """``condition`` holds for some drawn value (found by hypothesis, deterministic)."""
    return find(strategy, condition, settings=FIND)


def has_tie(z):
    f = z[np.isfinite(z)]
    return len(np.unique(f)) < len(f)


# ---- scores ------------------------------------------------------------------------------
def test_score_vectors_reach_ties_masks_single_finite_and_both_scales():
    s = hst.score_vectors(min_scale=1e-300, max_scale=1e300)
    reaches(s, has_tie)
    reaches(s, lambda z: has_tie(z) and len(z) > 1 and (z == z[np.isfinite(z)].max()).sum() > 1)
    reaches(s, lambda z: np.isneginf(z).any())
    reaches(s, lambda z: len(z) > 1 and np.isfinite(z).sum() == 1)
    reaches(s, lambda z: np.max(np.abs(z[np.isfinite(z)])) >= 1e299)
    reaches(s, lambda z: 0 < np.max(np.abs(z[np.isfinite(z)])) <= 3e-300)
    reaches(s, lambda z: len(z) == 1)


@settings(max_examples=40)
@given(hst.score_vectors(min_scale=1e-300, max_scale=1e300, min_finite=2))
def test_score_vectors_are_valid_scores(z):
    assert z.dtype == np.float64 and z.ndim == 1
    assert not np.isnan(z).any() and not np.isposinf(z).any()
    assert np.isfinite(z).sum() >= 2


def test_score_vectors_in_float32():
    s = hst.score_vectors(max_scale=1e30, min_scale=1e-30, dtype=np.float32)
    z = reaches(s, lambda z: np.isneginf(z).any())
    assert z.dtype == np.float32
    reaches(s, lambda z: np.max(np.abs(z[np.isfinite(z)])) >= 1e29)


def _sparsemax_support_size(z):
    """Size of sparsemax's support by the sort-based rule (a cheap predicate)."""
    f = np.sort(z[np.isfinite(z)])[::-1]
    f = f - f[0]
    k = np.arange(1, len(f) + 1)
    return int(np.max(k[1 + k * f > np.cumsum(f)]))


def test_score_batches_reach_rows_with_different_supports():
    def different_supports(Z):
        return len({_sparsemax_support_size(r) for r in Z}) >= 3

    Z = reaches(hst.score_batches(max_rows=5, min_size=4), different_supports)
    assert Z.ndim == 2
    reaches(hst.score_batches(), lambda Z: np.isneginf(Z).any() and Z.shape[0] > 1)


# ---- thresholds and margins: the labels are right (50 digits) ----------------------------
@pytest.mark.parametrize("family,alpha", [("entmax", 1.5), ("sparsemax", 2.0),
                                          ("entmax", 3.0), ("normmax", 2.0),
                                          ("normmax", 1.5)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@settings(max_examples=10)
@given(data=st.data())
def test_near_threshold_scores_are_on_the_side_they_say(family, alpha, dtype, data):
    z, i, side = data.draw(hst.near_threshold_scores(family, alpha, dtype=dtype,
                                                     with_info=True))
    assert z.dtype == dtype
    z64 = z.astype(np.float64)
    ref = R.normmax if family == "normmax" else R.entmax
    _, p = ref(z64, alpha)
    assert (p[i] > 0) == (side > 0)
    # and just off it: the gap to the threshold is at most 2**20 eps of its size
    if family == "normmax":
        xs = float(H.threshold(np.where(np.arange(len(z)) == i, -np.inf, z64), alpha,
                               family="normmax")[0])
    else:
        a = 2.0 if family == "sparsemax" else alpha
        others = np.where(np.arange(len(z)) == i, -np.inf, z64)
        xs = float(H.threshold(others, a)[0]) / (a - 1.0)
    assert abs(z64[i] - xs) <= 2.0**21 * np.finfo(dtype).eps * abs(xs)


def test_near_threshold_scores_reach_both_sides_and_both_gap_ends():
    s = hst.near_threshold_scores("entmax", 1.5, with_info=True)
    reaches(s, lambda t: t[2] > 0)
    reaches(s, lambda t: t[2] < 0)
    reaches(s, lambda t: np.isneginf(t[0]).any())
    eps = np.finfo(float).eps

    def gap_ulps(t):
        z, i, _ = t
        xs = float(H.threshold(np.where(np.arange(len(z)) == i, -np.inf, z), 1.5)[0]) / 0.5
        return abs(z[i] - xs) / (eps * abs(xs))

    reaches(s, lambda t: gap_ulps(t) < 16)
    reaches(s, lambda t: gap_ulps(t) > 2.0**18)


@pytest.mark.parametrize("alpha", [1.5, 2.0, 10.0])
@settings(max_examples=15)
@given(data=st.data())
def test_near_margin_scores_zero_loss_exactly_on_the_plus_side(alpha, data):
    m = 1.0 / (alpha - 1.0)
    z, i, side = data.draw(hst.near_margin_scores(m, with_info=True))
    fin = np.flatnonzero(np.isfinite(z))
    others = np.delete(z, i)
    gap = z[i] - others.max()
    assert (gap >= m) == (side > 0)
    assert abs(gap - m) <= 2.0**21 * np.finfo(float).eps * (abs(z[i]) + m)
    _, p = R.entmax(z, alpha)
    assert (p[i] == 1) == (side > 0)  # 50 digits: one-hot iff the gap reaches m
    assert len(fin) >= 2


def test_near_margin_scores_reach_offsets_and_masks():
    s = hst.near_margin_scores(1.0, with_info=True)
    reaches(s, lambda t: abs(t[0][t[1]]) >= 1e3)
    reaches(s, lambda t: np.isneginf(t[0]).any())
    reaches(s, lambda t: t[2] < 0)


# ---- parameters ---------------------------------------------------------------------------
def test_alpha_strategies_stay_in_their_domain_and_reach_its_ends():
    a = hst.entmax_alphas()
    reaches(a, lambda x: x < 1.002)
    reaches(a, lambda x: x >= 100)
    reaches(a, lambda x: x == 1.5)
    assert reaches(hst.normmax_alphas(), math.isinf)
    d = hst.alphas(1.0, 2.0, include_hi=False)
    reaches(d, lambda x: x - 1.0 < 1e-5)
    reaches(d, lambda x: 2.0 - x < 1e-3 or x == 1.5)
    reaches(hst.alphas(1.0, math.inf), math.isinf)
    reaches(hst.alphas(1.0, 3.0, include_lo=True), lambda x: x == 1.0)


@settings(max_examples=60)
@given(hst.alphas(1.0, 2.0, include_hi=False), hst.alphas(2.0, math.inf, include_hi=False))
def test_alphas_open_ends_are_excluded(a, b):
    assert 1.0 < a < 2.0
    assert 2.0 < b < math.inf


# ---- targets and bounds ------------------------------------------------------------------
@settings(max_examples=30)
@given(st.integers(1, 8).flatmap(lambda n: st.tuples(
    st.just(n), st.integers(1, n).flatmap(lambda k: st.tuples(
        st.just(k), hst.capped_simplex_points(n, k))))))
def test_capped_simplex_points_lie_in_the_capped_simplex(args):
    n, (k, mu) = args
    assert mu.shape == (n,)
    assert math.fsum(mu) == k
    assert mu.min() >= 0 and mu.max() <= 1


def test_capped_simplex_points_reach_structures_and_mixtures():
    s = hst.capped_simplex_points(6, 2)
    reaches(s, lambda mu: set(np.unique(mu)) == {0.0, 1.0})
    reaches(s, lambda mu: ((mu > 0) & (mu < 1)).sum() >= 2)


def test_simplex_points_reach_corners_and_faces():
    s = hst.simplex_points(5)
    reaches(s, lambda p: p.max() == 1.0)
    reaches(s, lambda p: 1 < (p > 0).sum() < 5)
    reaches(s, lambda p: (p > 0).sum() == 5)


@settings(max_examples=30)
@given(hst.scores_and_targets(), hst.constrained_problems())
def test_targets_and_constrained_problems_are_valid(zt, zu):
    z, i = zt
    assert np.isfinite(z[i])
    z, u = zu
    assert u.shape == z.shape and u.min() >= 0
    assert u[np.isfinite(z)].sum() >= 1.0
    p = H.constrained_sparsemax(z, u)  # feasible: no error
    assert abs(math.fsum(p) - 1.0) < 1e-14


def test_constrained_problems_reach_tight_and_infinite_bounds():
    s = hst.constrained_problems()
    reaches(s, lambda t: math.fsum(t[1][np.isfinite(t[0])]) == 1.0)
    reaches(s, lambda t: np.isposinf(t[1]).any() and np.isneginf(t[0]).any())


def test_hopfield_patterns_reach_duplicates_zero_queries_and_scales():
    s = hst.hopfield_patterns()
    reaches(s, lambda t: len(np.unique(t[0], axis=0)) < len(t[0]))
    reaches(s, lambda t: (np.abs(t[1]).sum(axis=1) == 0).any())
    reaches(s, lambda t: np.abs(t[0]).max() >= 1e2)
    reaches(s, lambda t: 0 < np.abs(t[0]).max() <= 2e-3)
    X, q = reaches(s, lambda t: t[0].shape[0] > 3)
    assert X.shape[1] == q.shape[1]


def test_scales_reach_both_ends():
    s = hst.scales(1e-300, 1e300)
    reaches(s, lambda x: x == 1e-300)
    reaches(s, lambda x: x == 1e300)
    reaches(s, lambda x: 1e-10 < x < 1e10 and x != 1.0)
