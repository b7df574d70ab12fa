"""Fenchel-Young losses, conjugates and margins (math §3), for every regularizer.

Each property is the textbook statement: L >= 0; L = 0 at the prediction; the
gradient is y_hat - y (central finite differences); the Fenchel-Young inequality;
convexity; Danskin (grad Omega* = y_hat); the margin is exactly m (one-hot at gap m,
not below), and cross-entropy has none.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import hfy_reference as H
from hfy_reference import registry
from hfy_reference.testing import strategies as hst

# every registered map onto the simplex (registry examples), plus parameter values
# at the edges of the families
REGS = list(dict.fromkeys(
    [r for r in registry.examples() if r.structure_size == 1]
    + [H.Tsallis(1.2), H.Tsallis(4.0), H.NormEntropy(1.5), H.NormEntropy(np.inf)]))
IDS = [repr(r) for r in REGS]


def _target(reg, n, data):
    """A target y on the regularizer's domain."""
    return data.draw(hst.simplex_points(n))


@pytest.mark.parametrize("reg", REGS, ids=IDS)
@given(z=hst.score_vectors(max_size=12, masks=False, min_scale=1e-2, max_scale=1e2),
       data=st.data())
def test_loss_nonnegative_zero_at_prediction_and_fy_inequality(reg, z, data):
    y = _target(reg, len(z), data)
    L = reg.loss(z, y)
    assert L >= 0.0
    yhat = reg.argmax(z)
    scale = np.max(np.abs(z)) + 1.0
    assert reg.loss(z, yhat) <= 16 * np.finfo(float).eps * scale
    # Fenchel-Young inequality: Omega(y) + Omega*(z) >= <z, y>, gap = L
    gap = reg.omega(y) + reg.conjugate(z) - float(z @ y)
    assert gap >= -16 * np.finfo(float).eps * scale
    assert abs(gap - L) <= 1e-12 * scale


@pytest.mark.parametrize("reg", REGS, ids=IDS)
@given(z=hst.score_vectors(min_size=2, max_size=8, masks=False, ties=False,
                           min_scale=0.1, max_scale=3.0),
       data=st.data())
def test_gradient_is_prediction_minus_target(reg, z, data):
    y = _target(reg, len(z), data)
    g = reg.argmax(z) - y
    h = 1e-6
    fd = np.array([(reg.loss(z + h * e, y) - reg.loss(z - h * e, y)) / (2 * h)
                   for e in np.eye(len(z))])
    # central differences of a C^1 piecewise-smooth function: O(h) near kinks
    assert np.max(np.abs(fd - g)) <= 1e-5


@pytest.mark.parametrize("reg", REGS, ids=IDS)
@given(z1=hst.score_vectors(min_size=5, max_size=5, masks=False, max_scale=10.0),
       z2=hst.score_vectors(min_size=5, max_size=5, masks=False, max_scale=10.0),
       lam=st.floats(0.0, 1.0), data=st.data())
def test_loss_is_convex_in_z(reg, z1, z2, lam, data):
    y = _target(reg, 5, data)
    zm = lam * z1 + (1 - lam) * z2
    lhs = reg.loss(zm, y)
    rhs = lam * reg.loss(z1, y) + (1 - lam) * reg.loss(z2, y)
    assert lhs <= rhs + 1e-12 * (1 + np.abs(z1).max() + np.abs(z2).max())


@pytest.mark.parametrize("reg", REGS, ids=IDS)
def test_danskin_gradient_of_conjugate(reg):
    rng = np.random.default_rng(0)
    for _ in range(5):
        z = rng.standard_normal(6)
        h = 1e-6
        fd = np.array([(reg.conjugate(z + h * e) - reg.conjugate(z - h * e)) / (2 * h)
                       for e in np.eye(6)])
        np.testing.assert_allclose(fd, reg.argmax(z), atol=1e-6)


def test_shannon_is_cross_entropy_and_logsumexp():
    rng = np.random.default_rng(1)
    z = rng.standard_normal((4, 7))
    y = np.eye(7)[[0, 3, 6, 2]]
    ce = -np.sum(y * (z - np.log(np.sum(np.exp(z), -1, keepdims=True))), -1)
    np.testing.assert_allclose(H.Shannon().loss(z, y), ce, rtol=1e-14)
    np.testing.assert_allclose(H.Shannon().conjugate(z), np.log(np.exp(z).sum(-1)), rtol=1e-15)
    assert H.Shannon().margin is None


def test_omega_values_and_normalization():
    """Omega(e_i) = 0 (every regularizer); closed forms at the barycenter."""
    for reg in REGS:
        assert reg.omega(np.eye(4)[1]) == pytest.approx(0.0, abs=1e-15)
    n = 5
    u = np.full(n, 1 / n)
    assert H.Shannon().omega(u) == pytest.approx(-math.log(n), rel=1e-15)
    for a in [1.2, 1.5, 2.0, 4.0]:
        assert H.Tsallis(a).omega(u) == pytest.approx((n ** (1 - a) - 1) / (a * (a - 1)),
                                                      rel=1e-13)
        assert H.NormEntropy(a).omega(u) == pytest.approx(n ** (1 / a - 1) - 1, rel=1e-14)
    assert H.NormEntropy(np.inf).omega(u) == pytest.approx(1 / n - 1, rel=1e-15)
    assert H.KSubsets(2).omega(np.array([1.0, 1.0, 0.0])) == 0.0
    assert H.KSubsets(2).omega(np.array([0.5, 0.5, 1.0])) == pytest.approx(-0.25)


# ---------------------------------------------------------------------------------------
# margins: L(z; e_i) = 0 iff z_i - max_{j != i} z_j >= m, and m is the smallest such
# ---------------------------------------------------------------------------------------
MARGIN_REGS = [H.Tsallis(a) for a in (1.1, 1.25, 1.5, 2.0, 3.0, 10.0)] + [
    H.NormEntropy(a) for a in (1.1, 1.5, 2.0, 5.0, np.inf)]


def _exact_margin_gap(reg):
    """The smallest float gap g with g >= m exactly, m the margin of the float alpha
    (1/(alpha-1) rounded can sit just below the exact margin of the float alpha)."""
    if isinstance(reg, H.NormEntropy):
        return 1.0
    c = Fraction(reg.alpha) - 1
    g = 1.0 / float(c)
    while Fraction(g) * c < 1:
        g = np.nextafter(g, np.inf)
    while Fraction(np.nextafter(g, 0.0)) * c >= 1:
        g = np.nextafter(g, 0.0)
    return float(g)


@pytest.mark.parametrize("reg", MARGIN_REGS, ids=[repr(r) for r in MARGIN_REGS])
def test_margin_is_exact(reg):
    m = reg.margin
    expected = 1.0 if isinstance(reg, H.NormEntropy) else 1.0 / (reg.alpha - 1.0)
    assert m == expected
    g = _exact_margin_gap(reg)
    assert abs(g - m) <= 4 * np.spacing(m)
    rng = np.random.default_rng(3)
    for _ in range(10):
        rest = rng.uniform(-2.0, 0.0, size=4)
        rest[0] = 0.0  # the runner-up sits at 0
        e = np.eye(5)[0]
        at = np.concatenate([[g], rest])
        assert reg.loss(at, e) == 0.0
        np.testing.assert_array_equal(reg.argmax(at), e)
        # one ulp below the margin the runner-up has positive probability (the loss,
        # O(gap deficit^2) there, is below float64 resolution: it is checked a visible
        # distance below)
        below = np.concatenate([[np.nextafter(g, 0.0)], rest])
        assert reg.argmax(below)[1] > 0.0
        assert reg.loss(np.concatenate([[0.5 * g], rest]), e) > 0.0


@pytest.mark.parametrize("reg", MARGIN_REGS, ids=[repr(r) for r in MARGIN_REGS])
def test_margin_found_by_bisection_on_the_gap(reg):
    """The smallest gap that gives a one-hot output, found by bisection, is m."""
    lo, hi = 0.0, 4.0 * reg.margin + 1.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            break
        if np.all(reg.argmax(np.array([mid, 0.0, -0.5]))[1:] == 0.0):
            hi = mid
        else:
            lo = mid
    assert hi == _exact_margin_gap(reg)


def test_cross_entropy_has_no_margin():
    for gap in [1.0, 10.0, 30.0]:
        assert H.Shannon().loss([gap, 0.0], [1.0, 0.0]) > 0.0


def test_ksubsets_structured_margin_and_loss():
    reg = H.KSubsets(2)
    y = np.array([1.0, 1.0, 0.0, 0.0])
    assert reg.loss([2.0, 1.5, 0.5, 0.0], y) == 0.0  # z_(2) - z_(3) = 1.0
    assert reg.loss([2.0, 1.5, 0.5 + 1e-9, 0.0], y) > 0.0
    z = np.array([0.3, -0.2, 0.9, 0.1])
    h = 1e-6
    g = reg.argmax(z) - y
    fd = np.array([(reg.loss(z + h * e, y) - reg.loss(z - h * e, y)) / (2 * h)
                   for e in np.eye(4)])
    np.testing.assert_allclose(fd, g, atol=1e-6)
    assert reg.loss(z, reg.argmax(z)) == pytest.approx(0.0, abs=1e-15)


def test_masked_target_mass_gives_infinite_loss_and_masks_are_ignored():
    z = np.array([1.0, -np.inf, 0.0])
    for reg in REGS:
        assert reg.loss(z, [0.5, 0.5, 0.0]) == np.inf
        assert np.isfinite(reg.loss(z, [0.5, 0.0, 0.5]))
        assert reg.loss(z, [0.5, 0.0, 0.5]) == pytest.approx(
            reg.loss(np.array([1.0, 0.0]), [0.5, 0.5]), abs=1e-15)


@pytest.mark.parametrize("reg", REGS, ids=IDS)
def test_losses_at_huge_scores_are_finite_and_exact(reg):
    # Omega*(z) - <z, y> cancels catastrophically at 1e300; the shifted form does not
    z = np.array([1e300, 1e300 - 2e284, -1e300])
    y = np.array([0.0, 1.0, 0.0])
    with np.errstate(all="raise"):
        L = reg.loss(z, y)
    # the gap between the top two scores (2.0e284 after rounding) is all that matters
    gap = z[0] - z[1]
    assert L == pytest.approx(gap, rel=1e-12)


@pytest.mark.parametrize("k", [1, 2, 3])
def test_ksubsets_conjugate_value_shift_and_gradient(k):
    """SparseMAP k-subsets: Ω*(z) = ⟨z, μ⟩ − Ω(μ) computed directly, Ω*(z + c) = Ω*(z) +
    k·c (Σμ = k), and ∇Ω* = μ (central differences) -- at scores far from 0, where a
    conjugate that shifts by max z instead of k·max z is off by (k − 1)·max z."""
    reg = H.KSubsets(k)
    rng = np.random.default_rng(k)
    for shift in (0.0, 3.0, -40.0):
        z = rng.standard_normal(7) + shift
        mu = reg.argmax(z)
        direct = math.fsum(z * mu) - float(reg.omega(mu))
        assert float(reg.conjugate(z)) == pytest.approx(direct, rel=1e-14, abs=1e-13)
        assert float(reg.conjugate(z + 1.5)) == pytest.approx(direct + 1.5 * k, rel=1e-14,
                                                              abs=1e-13)
        h = 1e-6
        fd = np.array([(reg.conjugate(z + h * e) - reg.conjugate(z - h * e)) / (2 * h)
                       for e in np.eye(7)])
        np.testing.assert_allclose(fd, mu, atol=1e-6)
