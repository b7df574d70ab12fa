"""SparseMAP over sequential k-subsets: the DP oracle, the active-set solver, the
lp-sparsemap convention, the Jacobian, conjugate and loss, and bad input.

Independent references: brute-force enumeration of the structures, an SLSQP QP over
their convex hull, and an exact rational certificate (KKT solved in fractions on the
returned active set, optimality checked against every structure) -- all in
``hfy_reference.slow.structured``, which does not use the kernels.
"""

from itertools import combinations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hfy_reference import KSubsets, SequentialKSubsets, sparsemap_ksubsets
from hfy_reference.slow import structured as slow
from hfy_reference.theory import sequential_vertex_condition

EPS = np.finfo(np.float64).eps


def _pairs(a):
    return float(np.sum(a[1:] * a[:-1]))


def _ulps(a, b, scale=1.0):
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b)))) / (EPS * scale)


# ---------------------------------------------------------------------------------------
# the MAP oracle (dynamic program) against brute force
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("n,k", [(1, 1), (4, 1), (5, 2), (6, 3), (7, 7), (8, 4)])
@pytest.mark.parametrize("w", [0.0, 0.4, 3.0])
def test_dp_oracle_matches_enumeration(n, k, w):
    from hfy_reference._kernels.sparsemap import seq_map

    rng = np.random.default_rng(100 * n + k)
    A, b = slow.enumerate_structures(n, k)
    for _ in range(20):
        u = np.round(rng.standard_normal(n), 1)  # ties are frequent
        scores = A @ u + w * b
        out = np.empty(k, dtype=np.int64)
        val = seq_map(u, w, k, np.zeros((n, k + 1), np.uint8), np.zeros((n, k + 1), np.uint8),
                      out)
        assert val == pytest.approx(scores.max(), abs=1e-12)
        y = np.zeros(n)
        y[out] = 1.0
        assert y.sum() == k and len(set(out.tolist())) == k
        assert float(u @ y + w * _pairs(y)) == pytest.approx(scores.max(), abs=1e-12)


def test_dp_oracle_respects_masks():
    from hfy_reference._kernels.sparsemap import seq_map

    u = np.array([5.0, -np.inf, 4.0, 3.0, -np.inf])
    out = np.empty(2, dtype=np.int64)
    seq_map(u, 10.0, 2, np.zeros((5, 3), np.uint8), np.zeros((5, 3), np.uint8), out)
    # the pair bonus (10) is reachable only through (2, 3); the masks are never chosen
    assert out.tolist() == [2, 3]


# ---------------------------------------------------------------------------------------
# the active-set solver against the QP and the exact certificate
# ---------------------------------------------------------------------------------------
CASES = [(n, k, w) for n in (3, 5, 7) for k in range(1, n + 1)
         for w in (0.0, 0.3, 1.0, 2.5)]


@pytest.mark.parametrize("convention", ["standard", "lp-sparsemap"])
@pytest.mark.parametrize("n,k,w", CASES)
def test_solver_exact_certificate(n, k, w, convention):
    """The returned active set is certified optimal in exact arithmetic, and the
    marginals equal the exact solution to a few ulps of the scores' scale."""
    rng = np.random.default_rng(1000 * n + 10 * k + int(10 * w))
    reg = SequentialKSubsets(k, w, convention=convention)
    for trial in range(3):
        z = rng.standard_normal(n) * (0.5, 2.0, 5.0)[trial]
        sol = reg.solve(z)
        # primal feasibility, exactly as returned
        assert np.all(sol.weights > 0)
        assert abs(sol.weights.sum() - 1.0) <= 4 * len(sol.weights) * EPS
        assert np.array_equal(sol.structures.sum(axis=1), np.full(len(sol.weights), k))
        np.testing.assert_allclose(sol.mu, sol.weights @ sol.structures, rtol=0,
                                   atol=4 * len(sol.weights) * EPS)
        assert np.array_equal(reg.argmax(z), sol.mu)
        # exact certificate (generic instances: the optimal support is unique)
        cert = slow.certify(z, k, w, sol.structures, convention)
        assert cert is not None, (z, sol)
        # the weights are polished with exactly summed scores: the marginals are the
        # exact solution rounded to within 2 ulps (absolute; entries lie in [0, 1])
        assert _ulps(sol.mu, cert[0]) <= 2, (sol.mu, cert[0])
        assert _ulps(sol.weights, cert[1]) <= 4


@pytest.mark.parametrize("convention", ["standard", "lp-sparsemap"])
@pytest.mark.parametrize("n,k,w", [(5, 2, 0.0), (5, 3, 1.0), (7, 2, 1.0), (7, 3, 0.3)])
def test_solver_vs_qp(n, k, w, convention):
    """Against an SLSQP solution of the QP over the convex hull of every structure
    (written from the definition; SLSQP is accurate to about 1e-8 here)."""
    rng = np.random.default_rng(n + 7 * k)
    z = rng.standard_normal(n) * 2.0
    mu = SequentialKSubsets(k, w, convention=convention).argmax(z)
    mu_qp, _, _ = slow.sequential_ksubsets_qp(z, k, w, convention)
    np.testing.assert_allclose(mu, mu_qp, rtol=0, atol=2e-6)


@settings(max_examples=30)
@given(
    st.integers(2, 7).flatmap(lambda n: st.tuples(
        st.just(n), st.integers(1, n),
        st.lists(st.integers(-6, 6), min_size=n, max_size=n))),
    st.sampled_from([0.0, 0.5, 1.0, 2.0]),
)
def test_solver_with_ties(case, w):
    """Integer-valued scores (many exact ties) stay exact: checked against every
    structure, and against the QP."""
    n, k, zi = case
    z = np.array(zi, dtype=np.float64) / 4.0
    reg = SequentialKSubsets(k, w)
    sol = reg.solve(z)
    mu = sol.mu
    assert abs(mu.sum() - k) <= 8 * n * EPS
    assert mu.min() >= 0.0 and mu.max() <= 1.0 + 4 * EPS
    # optimality over all structures: reduced scores never exceed the active ones'
    A, b = slow.enumerate_structures(n, k)
    red = A @ (z - mu) + w * b
    act = np.array([float(a @ (z - mu) + w * _pairs(a)) for a in sol.structures.astype(float)])
    tau = act.mean()
    # reduced scores are sums of k + n terms of size <= scale: rounding <= (k + n) eps scale
    tol = 4 * (k + n) * EPS * (1 + np.abs(z).sum() + w * k)
    assert np.ptp(act) <= tol
    assert red.max() <= tau + tol


@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_w_zero_is_ksubsets(k):
    """With w = 0 the unary polytope is the capped simplex: same map as KSubsets
    (independent algorithm: sorting the breakpoints)."""
    rng = np.random.default_rng(k)
    Z = rng.standard_normal((30, 9)) * np.array([[0.1], [1.0], [10.0]]).repeat(10, 0)
    mu = SequentialKSubsets(k).argmax(Z)
    ref = sparsemap_ksubsets(Z, k)
    assert _ulps(mu, ref) <= 2
    # and the conjugate equals KSubsets' value <z, mu> - Omega(mu)
    conj = SequentialKSubsets(k).conjugate(Z)
    direct = np.sum(Z * ref, axis=1) - KSubsets(k).omega(ref)
    np.testing.assert_allclose(conj, direct, rtol=1e-13, atol=1e-13)


def test_lp_convention_is_half_scores():
    rng = np.random.default_rng(5)
    for w in (0.0, 0.8):
        z = rng.standard_normal(8) * 3
        lp = SequentialKSubsets(3, w, convention="lp-sparsemap")
        std = SequentialKSubsets(3, w / 2)
        assert np.array_equal(lp.argmax(z), std.argmax(z / 2))
        assert lp.conjugate(z) == pytest.approx(2 * std.conjugate(z / 2), rel=1e-14)
        assert lp.margin == 2.0 and std.margin == 1.0
        # Omega_lp = ||mu||^2 - k = sum_i ½(mu_i^2 + (1 - mu_i)^2) - N/2 on sum mu = k
        mu = lp.argmax(z)
        assert lp.omega(mu) == pytest.approx(
            0.5 * np.sum(mu**2 + (1 - mu) ** 2) - 0.5 * len(z), abs=1e-14)


def test_masks_get_zero_and_sum_is_k():
    z = np.array([2.0, -np.inf, 1.5, 1.4, 0.3, -np.inf, 1.0])
    for w in (0.0, 1.0):
        mu = SequentialKSubsets(2, w).argmax(z)
        assert mu[1] == 0.0 and mu[5] == 0.0
        assert abs(mu.sum() - 2) <= 8 * EPS
        # a very low finite score in place of each mask gives the same problem (those
        # entries are then never retrieved): certify the solution exactly on it
        sol = SequentialKSubsets(2, w).solve(z)
        cert = slow.certify(np.where(np.isfinite(z), z, -100.0), 2, w, sol.structures)
        assert cert is not None
        assert _ulps(mu, cert[0]) <= 2


def test_batches_and_axis():
    rng = np.random.default_rng(7)
    Z = rng.standard_normal((3, 6, 4))
    reg = SequentialKSubsets(2, 0.5)
    out = reg.argmax(Z, axis=1)
    for i in range(3):
        for j in range(4):
            assert np.array_equal(out[i, :, j], reg.argmax(Z[i, :, j]))
    sols = reg.solve(Z[0].T)
    assert isinstance(sols, list) and len(sols) == 4


# ---------------------------------------------------------------------------------------
# conjugate, loss, vertex condition
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("convention", ["standard", "lp-sparsemap"])
def test_conjugate_is_the_maximum_and_its_gradient_is_mu(convention):
    rng = np.random.default_rng(11)
    reg = SequentialKSubsets(2, 0.7, convention=convention)
    for _ in range(5):
        z = rng.standard_normal(6)
        _, al, A = slow.sequential_ksubsets_qp(z, 2, 0.7, convention)
        _, b = slow.enumerate_structures(6, 2)
        # the value of the QP solution (optimal to ~1e-8 in mu: ~1e-12 in value)
        ref = (al @ (A @ z + 0.7 * b)) - reg.omega(al @ A)
        assert reg.conjugate(z) == pytest.approx(ref, abs=1e-9)
        h = 1e-6
        g = [(reg.conjugate(z + h * e) - reg.conjugate(z - h * e)) / (2 * h) for e in np.eye(6)]
        np.testing.assert_allclose(g, reg.argmax(z), atol=1e-7)


def test_loss_zero_at_solution_positive_elsewhere():
    reg = SequentialKSubsets(2, 1.0)
    z = np.array([3.0, 2.9, -1.0, 0.0, -2.0])
    y = np.array([1.0, 1.0, 0.0, 0.0, 0.0])
    assert np.array_equal(reg.argmax(z), y)
    assert reg.loss(z, y) == 0.0
    y2 = np.array([1.0, 0.0, 0.0, 1.0, 0.0])
    # L(z; a_y') = Omega*(z) - s(y') = s(y) - s(y') here (mu is the vertex a_y)
    expect = (z @ y + 1.0 * _pairs(y)) - (z @ y2 + 1.0 * _pairs(y2))
    assert reg.loss(z, y2) == pytest.approx(expect, rel=1e-15)
    with pytest.raises(ValueError, match="structure"):
        reg.loss(z, np.array([0.5, 0.5, 0.5, 0.5, 0.0]))
    # with w = 0 fractional targets are fine (capped simplex)
    assert SequentialKSubsets(2).loss(z, np.array([0.5, 0.5, 0.5, 0.5, 0.0])) > 0


def _vertex_by_enumeration(z, y, w):
    n = len(z)
    k = int(y.sum())
    for comb in combinations(range(n), k):
        a = np.zeros(n)
        a[list(comb)] = 1
        d = y - a
        if z @ d + w * (_pairs(y) - _pairs(a)) < 0.5 * d @ d:
            return False
    return True


def test_vertex_condition_decides_vertex_solutions():
    """T9 (sequential): a_y is the solution iff the vertex condition holds; both sides
    occur (teeth), including exactly at the boundary."""
    rng = np.random.default_rng(3)
    seen = {True: 0, False: 0}
    for _ in range(60):
        z = rng.integers(-4, 5, size=6) / 2.0
        w = float(rng.choice([0.0, 0.5, 1.0]))
        mu = SequentialKSubsets(2, w).argmax(z)
        y = np.zeros(6)
        y[np.argsort(-z, kind="stable")[:2]] = 1.0
        cond = sequential_vertex_condition(z, y.astype(bool), w)
        assert cond == _vertex_by_enumeration(z, y, w)
        assert cond == bool(np.array_equal(mu, y))
        seen[cond] += 1
    assert seen[True] > 5 and seen[False] > 5
    # exactly at the boundary: z gap 1 with w = 0 is still a vertex (>=)
    z = np.array([1.0, 1.0, 0.0, 0.0])
    assert sequential_vertex_condition(z, np.array([True, True, False, False]), 0.0)
    assert np.array_equal(SequentialKSubsets(2).argmax(z), [1.0, 1.0, 0.0, 0.0])
    z2 = np.array([1.0, 1.0, np.nextafter(0.0, 1.0) + 2**-40, 0.0])
    assert not sequential_vertex_condition(z2, np.array([True, True, False, False]), 0.0)
    assert SequentialKSubsets(2).argmax(z2)[2] > 0


# ---------------------------------------------------------------------------------------
# Jacobian
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("convention", ["standard", "lp-sparsemap"])
@pytest.mark.parametrize("k,w", [(1, 0.0), (2, 0.0), (2, 0.6), (3, 1.5)])
def test_jacobian_vs_finite_differences(k, w, convention):
    rng = np.random.default_rng(17 * k)
    reg = SequentialKSubsets(k, w, convention=convention)
    for _ in range(4):
        z = rng.standard_normal(7) * 1.5
        J = reg.jacobian(z)
        h = 1e-7
        Jfd = np.column_stack([(reg.argmax(z + h * e) - reg.argmax(z - h * e)) / (2 * h)
                               for e in np.eye(7)])
        np.testing.assert_allclose(J, Jfd, atol=1e-6)
        np.testing.assert_allclose(J, J.T, atol=1e-14)
        v = rng.standard_normal(7)
        np.testing.assert_allclose(reg.jvp(z, v), J @ v, atol=1e-14)
        np.testing.assert_allclose(reg.vjp(z, v), J @ v, atol=1e-14)
        # the marginals always sum to k: 1^T J = 0
        np.testing.assert_allclose(np.ones(7) @ J, 0.0, atol=1e-13)


def test_jacobian_matches_ksubsets_for_w0():
    z = np.array([0.3, 1.2, -0.4, 0.9, 0.1, 1.0])
    J = SequentialKSubsets(2).jacobian(z)
    v = np.eye(6)
    Jk = np.column_stack([KSubsets(2).jvp(z, e) for e in v])
    np.testing.assert_allclose(J, Jk, atol=1e-14)


# ---------------------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------------------
def test_bad_parameters():
    with pytest.raises(ValueError, match="k must"):
        SequentialKSubsets(0)
    with pytest.raises(TypeError, match="k must be an integer"):
        SequentialKSubsets(2.5)
    with pytest.raises(ValueError, match="w must be a finite number >= 0"):
        SequentialKSubsets(2, -1.0)
    with pytest.raises(ValueError, match="w must be a finite number >= 0"):
        SequentialKSubsets(2, np.nan)
    with pytest.raises(ValueError, match="convention must be one of"):
        SequentialKSubsets(2, 0.0, convention="lp")
    with pytest.raises(ValueError, match="k must satisfy"):
        SequentialKSubsets(4).argmax([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="k must satisfy"):
        SequentialKSubsets(2).argmax([1.0, -np.inf, -np.inf])
    with pytest.raises(ValueError, match="NaN"):
        SequentialKSubsets(1).argmax([1.0, np.nan])


def test_input_not_modified_and_repr():
    z = np.array([0.5, 0.1, 0.9])
    z0 = z.copy()
    reg = SequentialKSubsets(2, 0.5)
    reg.argmax(z)
    reg.solve(z)
    reg.jacobian(z)
    assert np.array_equal(z, z0)
    assert repr(reg) == "SequentialKSubsets(k=2, w=0.5, convention='standard')"
    assert reg == SequentialKSubsets(2, 0.5) and hash(reg) == hash(SequentialKSubsets(2, 0.5))


# ---------------------------------------------------------------------------------------
# scores far from 0: the solver works on z - max z (issue 11, scale classes)
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("c", [1e3, 1e9, 1e12, 1e14, 1e16, 1e20, 1e100, 1e300, -1e300])
def test_sequential_1_subsets_is_sparsemax_at_every_offset(c):
    """k = 1, w = 0 is sparsemax (exact in this library) at any offset of the scores,
    and with one entry far below the others (its score rounded away from theirs).  The
    solver used to compare structure scores of size |z| against a tolerance of
    ``64 eps |z|``: wrong supports from offsets of about 1e12 (off by 0.01 on N(0, 1)
    rows plus 1e12; a vertex instead of the uniform point for five equal scores of 1e14)."""
    from hfy_reference import sparsemax

    rng = np.random.default_rng(abs(int(np.log10(abs(c)))))
    reg = SequentialKSubsets(1)
    for _ in range(20):
        z = rng.standard_normal(int(rng.integers(2, 9))) + c
        np.testing.assert_allclose(reg.argmax(z), sparsemax(z), rtol=0, atol=2 * EPS)
    ties = np.full(5, c)
    np.testing.assert_allclose(reg.argmax(ties), np.full(5, 0.2), rtol=0, atol=2 * EPS)
    far = np.array([0.0, 0.3, 0.1, -0.2, 0.05, -abs(c)])
    np.testing.assert_allclose(reg.argmax(far), sparsemax(far), rtol=0, atol=2 * EPS)


@pytest.mark.parametrize("p", [10, 20, 32])
@pytest.mark.parametrize("k,w", [(2, 0.0), (2, 0.7), (3, 0.3), (3, 2.5)])
def test_sequential_exact_under_exact_shifts(p, k, w):
    """Scores on a grid of 2**-20 shifted by 2**p (exactly representable): the returned
    active set is certified optimal in exact rationals for the shifted scores, and the
    marginals are those of the unshifted scores to 2 ulps (the problem is the same:
    every structure has k ones)."""
    rng = np.random.default_rng(100 * p + 10 * k + int(10 * w))
    reg = SequentialKSubsets(k, w)
    for _ in range(4):
        z = np.round(rng.standard_normal(7) * 2.0**20) / 2.0**20
        zc = z + 2.0**p
        assert np.array_equal(zc - 2.0**p, z)  # the shift is exact
        sol = reg.solve(zc)
        cert = slow.certify(zc, k, w, sol.structures)
        assert cert is not None, (zc, sol)
        assert _ulps(sol.mu, cert[0]) <= 2
        assert _ulps(reg.argmax(zc), reg.argmax(z)) <= 2


def test_sequential_spread_limit():
    """Finite scores spread over at most 2**1023 / k are solved without a warning (the
    conftest turns warnings into errors) at any magnitude, ties and mixed signs
    included; a wider spread is refused with a ValueError naming the limit (it used to
    raise numpy's LinAlgError from the solver's linear systems)."""
    rng = np.random.default_rng(8)
    for k in (1, 2, 3, 5):
        lim = 2.0**1023 / k
        reg = SequentialKSubsets(k, 0.5)
        for _ in range(20):
            n = int(rng.integers(k + 1, 9))
            top = float(rng.choice([lim, np.finfo(float).max, 1.0, -lim / 2]))
            z = top - rng.choice([0.0, 0.0, 0.25, 0.5, 1.0], size=n) * (lim * (1 - 2**-40))
            mu = reg.argmax(z)
            assert np.all((mu >= 0) & (mu <= 1)) and abs(mu.sum() - k) <= 8 * k * EPS
        z = np.array([lim / 2, -lim / 2 - lim * 2**-40] + [0.0] * k)
        with pytest.raises(ValueError, match=r"2\*\*1023 / k"):
            reg.argmax(z)
    lp = SequentialKSubsets(2, 0.5, convention="lp-sparsemap")  # halved scores: twice
    lp.argmax(np.array([8e307, -8e306, 0.0]))  # spread 8.8e307 <= 2**1023
    with pytest.raises(ValueError, match=r"2\*\*1023 / k \* 2"):
        lp.argmax(np.array([1.7e308, -1.7e308, 0.0]))
