"""hfy_reference.theory: exact separations and decisions (against rational arithmetic),
threshold formulas, capacity quantities, and the exact support-change temperatures of
the regularization path (against the maps themselves, just above and just below).
"""

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hfy_reference import (
    KSubsets,
    NormEntropy,
    SequentialKSubsets,
    Shannon,
    Tsallis,
    entmax,
    normmax,
    sparsemap_ksubsets,
)
from hfy_reference import theory as T

TALK_Z = np.array([1.0716, -1.1221, -0.3288, 0.3368, 0.0425])


def _F(x):
    return Fraction(float(x))


def _exact_sep(X, i):
    xi = [_F(v) for v in X[i]]
    best = None
    for j in range(len(X)):
        if j == i:
            continue
        d = sum(a * (a - _F(b)) for a, b in zip(xi, X[j], strict=True))
        best = d if best is None or d < best else best
    return best


patterns = st.integers(2, 6).flatmap(lambda n: st.integers(1, 4).flatmap(
    lambda d: st.lists(st.lists(st.one_of(
        st.integers(-4, 4).map(lambda v: v / 4.0),  # dyadic: exact ties are common
        st.floats(-3, 3, allow_nan=False, width=64),
        st.floats(-1e-3, 1e-3, allow_nan=False)), min_size=d, max_size=d),
        min_size=n, max_size=n)))


@settings(max_examples=60)
@given(patterns)
def test_separation_is_the_exact_value_rounded_once(X):
    X = np.array(X)
    got = T.separation(X)
    for i in range(len(X)):
        assert got[i] == float(_exact_sep(X, i))
        assert T.separation(X, i) == got[i]


@settings(max_examples=40)
@given(patterns, st.data())
def test_structured_separation_exact(X, data):
    X = np.array(X)
    n = len(X)
    k = data.draw(st.integers(1, n - 1))
    y = sorted(data.draw(st.permutations(range(n)))[:k])
    s = [sum(_F(X[i][d]) for i in y) for d in range(X.shape[1])]
    c = [sum(_F(a) * b for a, b in zip(X[j], s, strict=True)) for j in range(n)]
    exact = min(c[i] for i in y) - max(c[j] for j in range(n) if j not in y)
    assert T.structured_separation(X, np.array(y)) == float(exact)
    mask = np.zeros(n, dtype=bool)
    mask[y] = True
    assert T.structured_separation(X, mask) == float(exact)


@settings(max_examples=60)
@given(patterns, st.data())
def test_one_step_condition_is_decided_exactly(X, data):
    X = np.array(X)
    n, D = X.shape
    i = data.draw(st.integers(0, n - 1))
    reg = data.draw(st.sampled_from([Tsallis(2.0), Tsallis(1.5), Tsallis(3.0), NormEntropy(5.0)]))
    beta = data.draw(st.sampled_from([0.5, 1.0, 2.0, 3.0, 0.1]))
    q0 = np.array(data.draw(st.lists(st.integers(-8, 8).map(lambda v: v / 8.0),
                                     min_size=D, max_size=D)))
    m = _F(reg.margin)
    exact = all(_F(beta) * sum(_F(q) * (_F(a) - _F(b)) for q, a, b in
                               zip(q0, X[i], X[j], strict=True)) >= m
                for j in range(n) if j != i)
    assert T.one_step_condition(X, q0, i, reg, beta) == exact


def test_one_step_condition_at_the_threshold_and_one_ulp_off():
    X = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]])
    q = np.array([1.0, 0.0])  # beta q^T (x_0 - x_1) = 1 = m exactly
    assert T.one_step_condition(X, q, 0, Tsallis(2.0), 1.0)
    q_off = np.array([1.0, 2.0**-52])
    assert not T.one_step_condition(X, q_off, 0, Tsallis(2.0), 1.0)
    # beta (1 - 2^-52) >= 1 needs beta >= 1/(1 - 2^-52): false at 1 + 2^-52 (the product
    # misses 1 by 2^-104, invisible in float64), true at 1 + 2^-51
    assert not T.one_step_condition(X, q_off, 0, Tsallis(2.0), 1.0 + 2.0**-52)
    assert T.one_step_condition(X, q_off, 0, Tsallis(2.0), 1.0 + 2.0**-51)
    # softmax has no margin: never (except vacuously, N = 1)
    assert not T.one_step_condition(X, q, 0, Shannon(), 100.0)
    assert T.one_step_condition(X[:1], q, 0, Shannon(), 1.0)


def test_structured_one_step_condition():
    X = np.array([[1.0, 0.0], [0.5, 0.5], [-1.0, 0.0], [0.0, -1.0]])
    q = np.array([2.0, 1.0])  # scores 2, 1.5, -2, -1: min_in - max_out = 2.5
    assert T.structured_one_step_condition(X, q, [0, 1], 0.4)  # 0.4 * 2.5 = 1 exactly
    assert not T.structured_one_step_condition(X, q, [0, 1], np.nextafter(0.4, 0.0))


def test_thresholds_and_radii():
    assert T.stationary_threshold(Tsallis(1.5), 4.0) == 0.5
    assert T.stationary_threshold(NormEntropy(7.0), 2.0) == 0.5
    assert T.stationary_threshold(Shannon(), 2.0) == math.inf
    assert T.stationary_threshold(Tsallis(np.inf), 2.0) == 0.0
    assert T.stationary_threshold(0.5, 0.25) == 2.0
    X = np.array([[1.0, 0.0], [0.6, 0.8], [-1.0, 0.0]])
    d = T.separation(X, 0)
    assert d == pytest.approx(0.4, abs=1e-16)
    r = T.epsilon_ball_radius(X, 0, Tsallis(2.0), 5.0)
    assert r == pytest.approx((0.4 - 0.2) / 2.0, rel=1e-15)
    assert T.epsilon_ball_radius(X, 0, Tsallis(2.0), 1.0) < 0  # 0.4 < m/beta = 1
    assert T.epsilon_ball_radius(X, 0, Shannon(), 1.0) == -math.inf
    assert T.epsilon_ball_radius(X[:1], 0, Shannon(), 1.0) == math.inf


def test_capacity_quantities_match_their_formulas():
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 40
    for D, p, zeta in [(2, 0.1, 3.0), (16, 0.05, 1.7), (64, 0.5, 1.2)]:
        exact = mp.sqrt(p) * mp.mpf(zeta) ** (mp.mpf(D - 1) / 2)
        assert T.capacity_bound(D, p, zeta) == pytest.approx(float(exact), rel=4e-16)
    for M, zeta, m, beta in [(1.0, 3.0, 1.0, 10.0), (2.0, 1.3, 2.0, 50.0), (1.0, 100.0, 1.0, 1.0)]:
        exact = mp.mpf(M) / 2 * (1 - mp.cos(1 / mp.mpf(zeta))) - mp.mpf(m) / (2 * beta * M)
        assert T.capacity_epsilon(M, zeta, m, beta) == pytest.approx(float(exact), rel=1e-14,
                                                                     abs=1e-300)
    assert T.capacity_epsilon(1.0, 2.0, None, 1.0) == -math.inf
    assert T.capacity_epsilon(1.0, 2.0, Tsallis(1.5), 4.0) == T.capacity_epsilon(1.0, 2.0, 2.0,
                                                                                  4.0)
    assert T.capacity_bound(10_000, 0.5, 10.0) == math.inf


def test_angle_separation_mechanism_is_tight():
    """T7's mechanism: min pairwise angle >= 1/zeta implies Delta_i >= M^2(1 - cos 1/zeta),
    with equality for a pair at exactly that angle (teeth: a smaller angle breaks it)."""
    zeta, M = 2.5, 1.5
    th = 1.0 / zeta
    X = M * np.array([[1.0, 0.0], [math.cos(th), math.sin(th)], [-1.0, 0.0]])
    bound = T.angle_separation_bound(M, zeta)
    assert T.min_pairwise_angle(X) == pytest.approx(th, rel=1e-14)
    assert T.separation(X, 0) == pytest.approx(bound, rel=1e-14)
    X2 = X.copy()
    X2[1] = M * np.array([math.cos(0.9 * th), math.sin(0.9 * th)])
    assert T.separation(X2, 0) < bound
    # epsilon radius from the bound is never larger than the instance's own radius
    reg, beta = Tsallis(2.0), 40.0
    eps = T.capacity_epsilon(M, zeta, reg, beta)
    assert T.epsilon_ball_radius(X, 0, reg, beta) >= eps * (1 - 1e-14)


def test_angle_probability():
    th = np.linspace(0.0, math.pi, 13)
    np.testing.assert_allclose(T.angle_probability(th, 2), th / math.pi, atol=1e-15)
    np.testing.assert_allclose(T.angle_probability(th, 3), (1 - np.cos(th)) / 2, atol=1e-15)
    np.testing.assert_allclose(T.angle_probability(th, 4),
                               (th - np.sin(th) * np.cos(th)) / math.pi, atol=1e-15)
    rng = np.random.default_rng(0)
    U = rng.standard_normal((200_000, 6))
    V = rng.standard_normal((200_000, 6))
    cos = np.sum(U * V, 1) / np.linalg.norm(U, axis=1) / np.linalg.norm(V, axis=1)
    for theta in (0.5, 1.2, 2.0):
        emp = np.mean(np.arccos(np.clip(cos, -1, 1)) <= theta)
        p = T.angle_probability(theta, 6)
        assert abs(emp - p) <= 5 * math.sqrt(p * (1 - p) / 200_000)
    assert T.min_angle_failure_probability(10, 0.1, 3) == pytest.approx(
        45 * (1 - math.cos(0.1)) / 2, rel=1e-14)
    assert T.min_angle_failure_probability(10, 0.5, 3) == 1.0  # the union bound is capped


# ---------------------------------------------------------------------------------------
# regularization path
# ---------------------------------------------------------------------------------------
def _support(reg, z, t):
    if isinstance(reg, Tsallis):
        return entmax(z / t, reg.alpha) > 0
    return normmax(z / t, reg.alpha) > 0


def test_sparsemax_temperatures_are_exact_sums():
    z = TALK_Z
    zs = sorted((_F(v) for v in z), reverse=True)
    expect = sorted(float(sum(zs[j] - zs[s] for j in range(s))) for s in range(1, 5))
    got = T.support_change_temperatures(z, Tsallis(2.0), t_max=100.0)
    assert got.tolist() == expect
    got_inf = T.support_change_temperatures(z, NormEntropy(np.inf), t_max=100.0)
    assert got_inf.tolist() == expect


@pytest.mark.parametrize("reg", [Tsallis(1.5), Tsallis(2.0), Tsallis(1.2), Tsallis(4.0),
                                 NormEntropy(2.0), NormEntropy(5.0), NormEntropy(1.5)],
                         ids=lambda r: r.label)
def test_support_changes_exactly_at_the_temperatures(reg):
    """Just above each temperature the entry is in the support, just below it is not;
    and between consecutive temperatures the support does not change (no event is
    missing)."""
    rng = np.random.default_rng(4)
    for z in [TALK_Z, rng.standard_normal(7), np.round(rng.standard_normal(8), 1)]:
        ev = T.path_events(z, reg, t_max=50.0)
        temps = T.support_change_temperatures(z, reg, t_max=50.0)
        assert np.all(np.diff(temps) > 0)
        zs = np.sort(z)[::-1]
        for t, s, kind in ev:
            assert kind == "leaves support"
            idx = np.flatnonzero(z == zs[s])
            assert _support(reg, z, t * (1 + 1e-9))[idx].all()
            assert not _support(reg, z, t * (1 - 1e-9))[idx].any()
        grid = np.concatenate([[1e-3], temps, [50.0]])
        for a, b in zip(grid[:-1], grid[1:], strict=True):
            lo, hi = a * (1 + 1e-7), b * (1 - 1e-7)
            if lo < hi:
                assert np.array_equal(_support(reg, z, lo), _support(reg, z, hi))


def test_softmax_and_argmax_never_change_support():
    assert T.support_change_temperatures(TALK_Z, Shannon()).size == 0
    assert T.support_change_temperatures(TALK_Z, Tsallis(np.inf)).size == 0


@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_ksubsets_events_exact(k):
    rng = np.random.default_rng(k)
    for z in [TALK_Z, rng.standard_normal(6), np.array([1.0, 1.0, 0.5, 0.0, -0.5])]:
        ev = T.path_events(z, KSubsets(k), t_max=50.0)
        zs = np.sort(z)[::-1]
        for t, s, kind in ev:
            idx = np.flatnonzero(z == zs[s])
            hi = sparsemap_ksubsets(z / (t * (1 + 1e-9)), k)[idx]
            lo = sparsemap_ksubsets(z / (t * (1 - 1e-9)), k)[idx]
            at = sparsemap_ksubsets(z / t, k)[idx]
            if kind == "leaves support":
                assert (hi > 0).all() and (lo == 0).all()
                assert np.all(at <= 1e-15)
            else:
                assert (hi < 1).all() and (lo == 1).all()
                assert np.all(at >= 1 - 1e-15)
        temps = T.support_change_temperatures(z, KSubsets(k), t_max=50.0)
        grid = np.concatenate([[1e-3], temps, [50.0]])

        def face(t, z=z):
            mu = sparsemap_ksubsets(z / t, k)
            return (mu > 0).tolist(), (mu == 1).tolist()

        for a, b in zip(grid[:-1], grid[1:], strict=True):
            lo, hi = a * (1 + 1e-7), b * (1 - 1e-7)
            if lo < hi:
                assert face(lo) == face(hi)


def test_t8_ksubsets_top_k_at_exact_margin_and_uniform_limit():
    z = np.array([3.0, 2.5, 1.5, 0.0])  # z_(2) - z_(3) = 1
    assert sparsemap_ksubsets(z * 1.0, 2).tolist() == [1.0, 1.0, 0.0, 0.0]
    assert sparsemap_ksubsets(z * np.nextafter(1.0, 0.0), 2)[2] > 0  # teeth
    mu = sparsemap_ksubsets(z * 1e-12, 2)
    np.testing.assert_allclose(mu, 0.5, atol=1e-11)


def test_path_validation():
    with pytest.raises(NotImplementedError, match="SequentialKSubsets"):
        T.support_change_temperatures(TALK_Z, SequentialKSubsets(2))
    with pytest.raises(ValueError, match="t_max"):
        T.support_change_temperatures(TALK_Z, Tsallis(2.0), t_max=0.0)
    with pytest.raises(ValueError, match="one score vector"):
        T.support_change_temperatures(np.ones((2, 3)), Tsallis(2.0))
    with pytest.raises(ValueError, match="k must satisfy"):
        T.support_change_temperatures([1.0, 2.0], KSubsets(3))
    # masks are ignored
    z = np.array([1.0, -np.inf, 0.0])
    assert T.support_change_temperatures(z, Tsallis(2.0)).tolist() == [1.0]


# ---------------------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------------------
def test_bad_input_names_the_argument():
    X = np.eye(3)
    with pytest.raises(ValueError, match="X must be a 2-D array"):
        T.separation(np.ones(3))
    with pytest.raises(ValueError, match="X must be finite"):
        T.separation(np.array([[1.0, np.nan]]))
    with pytest.raises(ValueError, match=r"i must be a pattern index in \[0, 3\)"):
        T.separation(X, 3)
    with pytest.raises(TypeError, match="i must be an integer"):
        T.separation(X, 1.5)
    with pytest.raises(ValueError, match="beta must be in"):
        T.stationary_threshold(Tsallis(2.0), 0.0)
    with pytest.raises(ValueError, match="beta must be in"):
        T.stationary_threshold(Tsallis(2.0), np.inf)
    with pytest.raises(ValueError, match="q0 must have length D = 3"):
        T.one_step_condition(X, np.ones(2), 0, Tsallis(2.0), 1.0)
    with pytest.raises(ValueError, match="y indices must lie"):
        T.structured_separation(X, [0, 5])
    with pytest.raises(ValueError, match="distinct"):
        T.structured_separation(X, [0, 0])
    with pytest.raises(ValueError, match="D must be an integer >= 2"):
        T.capacity_bound(1, 0.5, 2.0)
    with pytest.raises(ValueError, match=r"p must be a probability in \(0, 1\]"):
        T.capacity_bound(3, 0.0, 2.0)
    with pytest.raises(ValueError, match="zeta must be in"):
        T.capacity_bound(3, 0.5, -1.0)
    with pytest.raises(ValueError, match=r"theta must lie in \[0, pi\]"):
        T.angle_probability(4.0, 3)
    with pytest.raises(ValueError, match="margin must be >= 0"):
        T.stationary_threshold(-1.0, 1.0)


def test_per_query_conditions_refuse_a_batch():
    import numpy as np
    import pytest

    from hfy_reference import Tsallis, theory

    X = np.eye(3)
    q = np.ones((2, 3))
    with pytest.raises(ValueError, match=r"q0 must be one query of shape \(3,\); got \(2, 3\)"):
        theory.one_step_condition(X, q, 0, Tsallis(1.5), 1.0)
    with pytest.raises(ValueError, match=r"q0 must be one query of shape \(3,\)"):
        theory.structured_one_step_condition(X, q, [0, 1], 1.0)
