"""Tests of hfy_reference.continuous: q-Gaussian closed forms, sampler, FY loss,
Wasserstein-2, 1-D Ω-RPM slow path, continuous attention and its Jacobian.

Every closed form is checked against an independent computation: scipy.stats at α = 1,
scipy.integrate.quad / nquad of the density written from its definition
[(α−1) f − τ]₊^{1/(α−1)} (so τ is checked by the mass being 1), the 1-D Ω-RPM slow path
(root finding + quadrature), mpmath finite differences, and Kolmogorov–Smirnov /
chi-square tests with their power stated.
"""

# ruff: noqa: B023  (the lambdas in loops are called at once, inside the iteration)
from __future__ import annotations

import math
import warnings

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import integrate, stats

from hfy_reference.continuous import (
    EntmaxGaussian,
    GaussianRBF,
    QuadraticScore,
    attention,
    fy_loss,
    fy_loss_grad,
    integer_beta,
    wasserstein2,
)
from hfy_reference.continuous.slow import fy_loss_1d, omega_1d, rpm_1d

QUAD = {"epsabs": 0.0, "epsrel": 1e-13, "limit": 500}
ALPHAS = [1.1, 4 / 3, 1.5, 2.0, 3.0, 5.0]


@pytest.fixture(autouse=True)
def _quiet_quadpack():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", integrate.IntegrationWarning)
        yield


def _spd(rng, d, cond=10.0):
    Q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    w = np.exp(rng.uniform(0, math.log(cond), d)) * rng.uniform(0.2, 2.0)
    S = (Q * w) @ Q.T
    return 0.5 * (S + S.T)


# ---- α = 1 is the Gaussian ------------------------------------------------------------
@pytest.mark.parametrize("D", [1, 2, 3, 5, 12])  # 12: the solve_triangular path (D > 8)
def test_alpha1_matches_scipy_multivariate_normal(D):
    rng = np.random.default_rng(D)
    mu, S = rng.standard_normal(D), _spd(rng, D)
    p, g = EntmaxGaussian(mu, S, 1.0), stats.multivariate_normal(mu, S)
    x = mu + 3 * rng.standard_normal((200, D))
    lp, lg = p.logpdf(x), g.logpdf(x)
    assert np.max(np.abs(lp - lg) / np.maximum(1.0, np.abs(lg))) < 4e-15
    assert np.allclose(p.pdf(x), g.pdf(x), rtol=1e-13, atol=0)
    assert abs(p.entropy() - g.entropy()) < 4e-15 * max(1.0, abs(g.entropy()))
    assert np.array_equal(p.cov(), p.scale) and np.array_equal(p.mean(), mu)
    assert p.support_radius == math.inf and math.isinf(p.beta)
    # τ = log Z = log((2π)^{D/2} |Σ|^{1/2}); Ω* = τ (log-partition)
    assert abs(p.tau - (0.5 * D * math.log(2 * math.pi) + 0.5 * np.linalg.slogdet(S)[1])) \
        < 1e-14 * max(1.0, abs(p.tau))
    assert p.conjugate() == p.tau


# ---- closed forms against quadrature --------------------------------------------------
def _quad1d(p: EntmaxGaussian, g):
    """∫ g(t) h(t) dt with h = [(α−1)f − τ]₊^β written from the definition (τ from p)."""
    mu, s2, a = p.loc[0], p.scale[0, 0], p.alpha
    if a == 1.0:
        lo, hi = mu - 40 * math.sqrt(s2), mu + 40 * math.sqrt(s2)

        def h(t):
            return math.exp(-0.5 * (t - mu) ** 2 / s2 - p.tau)
    else:
        half = math.sqrt(-2.0 * p.tau / (a - 1.0) * s2)  # where (α−1) f = τ
        lo, hi = mu - half, mu + half
        b = 1.0 / (a - 1.0)

        def h(t):
            v = (a - 1.0) * (-0.5 * (t - mu) ** 2 / s2) - p.tau
            return v ** b if v > 0 else 0.0
    return integrate.quad(lambda t: g(t) * h(t), lo, hi, points=[mu], **QUAD)[0], h


def _pdf_rtol(p, fv):
    """Relative rounding bound of the reference h = v^β, v = (α−1)f − τ: β times the
    relative rounding of v, largest at the edge of the support (plus 1e-13)."""
    eps = np.finfo(float).eps
    if p.alpha == 1:
        return 1e-13 + 4 * eps * (np.abs(fv) + abs(p.tau))
    a = p.alpha
    v = np.maximum((a - 1) * fv - p.tau, 1e-300)
    return 1e-13 + 4 * eps / (a - 1) * ((a - 1) * np.abs(fv) + abs(p.tau)) / v


@pytest.mark.parametrize("alpha", [1.0, 1.001, *ALPHAS, 50.0])  # the definition-based
# reference [(α−1)f − τ]^β amplifies rounding by β: α − 1 ≥ 1e-3 here, mpmath below
def test_closed_forms_1d_vs_quad(alpha):
    rng = np.random.default_rng(int(alpha * 1000))
    for _ in range(3):
        mu, s2 = rng.normal(), 10 ** rng.uniform(-2, 1)
        p = EntmaxGaussian(mu, s2, alpha)
        mass, h = _quad1d(p, lambda t: 1.0)
        var = _quad1d(p, lambda t: (t - mu) ** 2)[0]
        ef = _quad1d(p, lambda t: -0.5 * (t - mu) ** 2 / s2)[0]
        if alpha == 1.0:
            om = _quad1d(p, lambda t: -0.5 * (t - mu) ** 2 / s2 - p.tau)[0]  # ∫ p log p
        else:
            om = (_quad1d(p, lambda t: h(t) ** (alpha - 1.0))[0] - 1) / (alpha * (alpha - 1))
        assert abs(mass - 1.0) < 1e-12
        assert abs(var / p.cov()[0, 0] - 1) < 1e-12
        assert abs(ef / p.expected_score() - 1) < 1e-12
        # the reference's own error: quad's 1e-13 plus h^α's rounding (β ulps of v) on
        # ∫h^α, divided by α(α−1) (cancels as α → 1; the closed form is checked against
        # mpmath below)
        eps = np.finfo(float).eps
        ref_err = 0.0 if alpha == 1 else (1e-13 + 4 * eps / (alpha - 1)) / (alpha * (alpha - 1))
        assert abs(om - p.omega()) < 1e-12 * abs(p.omega()) + ref_err
        # the normalizer: p = g(r)/Z, and pdf agrees with the definition
        t = mu + math.sqrt(s2) * rng.uniform(-1, 1, 25) * min(p.support_radius, 6.0)
        rt = _pdf_rtol(p, -0.5 * (t - mu) ** 2 / s2)
        assert np.all(np.abs(p.pdf(t) - [h(x) for x in t]) <= rt * p.pdf(t))


@pytest.mark.parametrize("alpha", [1.1, 4 / 3, 1.5, 2.0, 3.0])
def test_closed_forms_2d_vs_nquad(alpha):
    rng = np.random.default_rng(7)
    mu = rng.normal(size=2)
    S = _spd(rng, 2, cond=5.0)
    p = EntmaxGaussian(mu, S, alpha)
    P = np.linalg.inv(S)
    b, tau = 1.0 / (alpha - 1.0), p.tau
    r2max = -2.0 * tau / (alpha - 1.0)  # from τ only
    X = math.sqrt(r2max / (P[0, 0] - P[0, 1] ** 2 / P[1, 1]))

    def ylim(x):
        dx = x - mu[0]
        disc = max(P[0, 1] ** 2 * dx * dx - P[1, 1] * (P[0, 0] * dx * dx - r2max), 0.0)
        c, w = -P[0, 1] * dx / P[1, 1], math.sqrt(disc) / P[1, 1]
        return [mu[1] + c - w, mu[1] + c + w]

    def h(y, x):
        dx, dy = x - mu[0], y - mu[1]
        v = (alpha - 1) * (-0.5 * (P[0, 0] * dx * dx + 2 * P[0, 1] * dx * dy
                                    + P[1, 1] * dy * dy)) - tau
        return v ** b if v > 0 else 0.0

    def nq(g):
        return integrate.nquad(lambda y, x: g(y, x) * h(y, x),
                               [ylim, [mu[0] - X, mu[0] + X]], opts=[QUAD, QUAD])[0]

    assert abs(nq(lambda y, x: 1.0) - 1.0) < 1e-12
    C = p.cov()
    assert abs(nq(lambda y, x: (x - mu[0]) ** 2) / C[0, 0] - 1) < 1e-12
    assert abs(nq(lambda y, x: (x - mu[0]) * (y - mu[1])) / C[0, 1] - 1) < 1e-12
    assert abs(nq(lambda y, x: (y - mu[1]) ** 2) / C[1, 1] - 1) < 1e-12
    ipa = nq(lambda y, x: h(y, x) ** (alpha - 1.0))
    assert abs((ipa - 1) / (alpha * (alpha - 1)) / p.omega() - 1) < 1e-12
    # pdf = h at points inside and outside the support
    pts = mu + rng.normal(size=(50, 2)) * math.sqrt(r2max) * 0.7
    ref = np.array([h(y, x) for x, y in pts])
    assert np.all(np.abs(p.pdf(pts) - ref) <= _pdf_rtol(p, p.score(pts)) * ref)
    assert np.any(ref == 0) and np.all((p.pdf(pts) == 0) == (ref == 0))


def test_omega_near_alpha_one_against_mpmath():
    """Ω = (∫p^α − 1)/(α(α−1)) is computed without cancellation as α → 1: against the
    same closed form in 50-digit arithmetic."""
    with mp.workdps(50):
        _omega_vs_mpmath()
    # and the limit: Ω → the Gaussian's −(differential entropy)
    g = EntmaxGaussian(0.0, 0.7, 1.0).omega()
    assert abs(EntmaxGaussian(0.0, 0.7, 1 + 1e-10).omega() - g) < 1e-9


def _omega_vs_mpmath():
    for a in (1 + 1e-12, 1 + 1e-8, 1 + 1e-4, 1.01, 2.0, 10.0):
        for D, S in ((1, 0.7), (3, np.diag([2.0, 0.5, 1.5]))):
            p = EntmaxGaussian(np.zeros(D), S, a)
            A = mp.mpf(a)
            b, h = 1 / (A - 1), mp.mpf(D) / 2
            logr = (mp.loggamma(b + 1 + h) - mp.loggamma(b + 1) - h * mp.log(mp.pi)
                    - mp.mpf(p.logdet) / 2 - b * mp.log((A - 1) / 2)) / (2 * b + D)
            ref = (A * mp.exp(2 * logr) / (D + 2 * b + 2) - 1) / (A * (A - 1))
            # 1e-14: Ω is small against ∫p^α (≈ 1.13 at α = 10): the subtraction of 1 costs
            # a factor ~10 at large α; near α = 1 the rearranged form keeps ~1e-15
            assert abs(float((p.omega() - ref) / ref)) < (2e-15 if a < 2 else 1e-14)
            assert abs(float((p.support_radius - mp.exp(logr)) / mp.exp(logr))) < 4e-15


@pytest.mark.parametrize("alpha", [1.0, 1.25, 1.5, 2.0, 3.0, 7.0])
def test_slow_path_matches_closed_forms(alpha):
    mu, s2 = 0.3, 0.7
    p = EntmaxGaussian(mu, s2, alpha)
    r = rpm_1d(lambda t: -(t - mu) ** 2 / (2 * s2), (-9.0, 11.0), alpha)
    assert abs(r.tau - p.tau) <= 2e-15 * abs(p.tau)
    assert abs(r.omega() / p.omega() - 1) < 1e-13
    assert abs(r.conjugate() / p.conjugate() - 1) < 1e-13
    assert abs(r.mass() - 1) < 1e-13
    if alpha > 1:
        (lo, hi), = r.support
        half = math.sqrt(s2) * p.support_radius
        assert abs(lo - (mu - half)) < 1e-14 and abs(hi - (mu + half)) < 1e-14
    else:
        assert r.support == [(-9.0, 11.0)]


@given(mu=st.floats(-3, 3), log_s2=st.floats(-2, 1.5), alpha=st.floats(1.0, 4.0))
def test_hypothesis_slow_path_tau(mu, log_s2, alpha):
    s2 = 10.0 ** log_s2
    p = EntmaxGaussian(mu, s2, alpha)
    w = 12 * math.sqrt(s2) + (math.sqrt(s2) * p.support_radius if alpha > 1 else 0)
    w = min(w, 60 * math.sqrt(s2))
    r = rpm_1d(lambda t: -(t - mu) ** 2 / (2 * s2), (mu - w, mu + w * 1.3), alpha)
    assert abs(r.tau - p.tau) <= 1e-13 * max(1.0, abs(p.tau))


@given(data=st.data(), D=st.integers(1, 4), alpha=st.floats(1.0, 6.0))
def test_hypothesis_density_properties(data, D, alpha):
    seed = data.draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    mu, S = rng.normal(size=D) * 3, _spd(rng, D, cond=100.0)
    p = EntmaxGaussian(mu, S, alpha)
    x = mu + rng.normal(size=(40, D)) * 2
    lp = p.logpdf(x)
    r2 = np.einsum("ij,jk,ik->i", x - mu, np.linalg.inv(S), x - mu)
    assert np.all(np.isfinite(lp) == (r2 < p.support_radius ** 2 * (1 - 1e-12))
                  | ~(np.abs(r2 / p.support_radius ** 2 - 1) > 1e-12))
    assert np.all(p.pdf(x) >= 0) and np.allclose(np.exp(lp), p.pdf(x), rtol=0, atol=0)
    assert np.allclose(p.mahalanobis2(x), r2, rtol=1e-10)
    if alpha - 1 >= 1e-6:  # the density is the map [(α−1) f − τ]₊^β at every point
        h = np.maximum((alpha - 1) * (-0.5 * r2) - p.tau, 0.0) ** (1 / (alpha - 1))
        # plus the reference's own r² rounding (inv(S), cond ≤ 100): δr² ≈ 4·cond·eps·r²
        # moves h by β·(α−1)δr²/(2v) = δr²/(2v) relative, large near the edge
        v = np.maximum((alpha - 1) * (-0.5 * r2) - p.tau, 1e-300)
        dr2 = 4 * np.linalg.cond(S) * np.finfo(float).eps * r2
        tol = _pdf_rtol(p, -0.5 * r2) + dr2 / (2 * v)
        assert np.all(np.abs(p.pdf(x) - h) <= tol * h)
    elif alpha > 1:  # the reference v^β is useless at β > 1e6: against the Gaussian,
        # which the q-Gaussian approaches at rate O((α − 1)(1 + r²)²)
        g = stats.multivariate_normal(mu, S).pdf(x)
        assert np.all(np.abs(p.pdf(x) - g) <= (1e-12 + 10 * (alpha - 1) * (1 + r2) ** 2) * g)
    # covariance formula, entropy = −Ω, conjugate by Danskin
    assert np.allclose(p.cov(), p.radial_second_moment() / D * S, rtol=1e-15)
    assert p.entropy() == -p.omega()
    # FY loss: L(f; p̂[f]) = 0 and L ≥ 0 against another member
    f = QuadraticScore(mu, S)
    assert abs(fy_loss(f, p)) <= 1e-13 * (1 + abs(p.omega()) + abs(p.expected_score()))
    q = EntmaxGaussian(mu + rng.normal(size=D), _spd(rng, D), alpha)
    assert fy_loss(f, q) > -1e-13 * (1 + abs(q.omega()))


# ---- FY loss ----------------------------------------------------------------------------
@pytest.mark.parametrize("alpha", [1.0, 1.5, 2.0, 3.0])
@pytest.mark.parametrize("D", [1, 2, 3])
def test_fy_loss_gradient_identity(alpha, D):
    """∇ of L(f_θ; q) w.r.t. the natural parameters θ = (η, P) of
    f(t) = ηᵀt − ½ tᵀPt equals E_p̂[φ] − E_q[φ]: central differences of the loss."""
    rng = np.random.default_rng(D * 10 + int(alpha * 3))
    f = QuadraticScore(rng.normal(size=D), _spd(rng, D, 4.0))
    q = EntmaxGaussian(rng.normal(size=D), _spd(rng, D, 4.0), alpha)
    g_eta, g_P = fy_loss_grad(f, q)
    eta, P = f.eta, f.precision
    h = 1e-5

    def L(e, PP):
        return fy_loss(QuadraticScore.from_natural(e, PP), q)

    for i in range(D):
        e = np.zeros(D)
        e[i] = h
        fd = (L(eta + e, P) - L(eta - e, P)) / (2 * h)
        assert abs(fd - g_eta[i]) < 1e-7 * (1 + abs(g_eta[i]))
    for i in range(D):
        for j in range(i, D):
            E = np.zeros((D, D))
            E[i, j] = E[j, i] = h
            fd = (L(eta, P + E) - L(eta, P - E)) / (2 * h)
            want = g_P[i, j] * (2 if i != j else 1)
            assert abs(fd - want) < 1e-7 * (1 + abs(want))
    # and the loss is ≥ 0, = 0 only at q = p̂[f]
    assert fy_loss(f, q) > 0
    assert abs(fy_loss(f, f.entmax(alpha))) < 1e-13


@pytest.mark.parametrize("alpha", [1.0, 1.5, 2.0])
def test_fy_loss_against_slow_path_any_density(alpha):
    """L(f; q) ≥ 0 for densities q outside the family (uniform, triangular), all by
    quadrature; and the closed form equals the slow path inside the family."""
    mu, s2 = 0.2, 0.5
    f = lambda t: -(t - mu) ** 2 / (2 * s2)  # noqa: E731
    iv = (-8.0, 8.0)
    for q, sup in ((lambda t: 0.25 if -2 <= t <= 2 else 0.0, [(-2.0, 2.0)]),
                   (lambda t: max(1 - abs(t - 0.5), 0.0), [(-0.5, 1.5)])):
        assert fy_loss_1d(f, iv, q, sup, alpha) > 1e-3
    qq = EntmaxGaussian(-0.4, 0.9, alpha)
    lo, hi = (-8.0, 8.0) if alpha == 1 else (-0.4 - 0.95 * qq.support_radius,
                                                -0.4 + 0.95 * qq.support_radius)
    if alpha > 1:
        half = math.sqrt(0.9) * qq.support_radius
        lo, hi = -0.4 - half, -0.4 + half
    slow = fy_loss_1d(f, iv, lambda t: float(qq.pdf(t)), [(lo, hi)], alpha)
    assert abs(slow - fy_loss(QuadraticScore(mu, s2), qq)) < 1e-12
    assert abs(omega_1d(lambda t: float(qq.pdf(t)), [(lo, hi)], alpha) / qq.omega() - 1) < 1e-12


# ---- Wasserstein-2 ----------------------------------------------------------------------
def _support_1d(d):
    """An interval holding all the mass of a 1-D member (±40 sd at α = 1)."""
    half = 40 * math.sqrt(d.scale[0, 0]) if d.alpha == 1 else \
        math.sqrt(d.scale[0, 0]) * d.support_radius
    return d.loc[0] - half, d.loc[0] + half


def _cdf_by_quad(d, n=401):
    """The CDF by quadrature of the density: a table of ∫ over grid cells, plus one
    quad from the cell's left end (no closed-form CDF involved)."""
    lo, hi = _support_1d(d)
    grid = np.linspace(lo, hi, n)

    def pdf(t):
        return float(d.pdf(t))
    cells = [integrate.quad(pdf, a, b, epsabs=0, epsrel=1e-13)[0]
             for a, b in zip(grid[:-1], grid[1:], strict=True)]
    F = np.concatenate([[0.0], np.cumsum(cells)])

    def cdf(x):
        k = int(np.clip(np.searchsorted(grid, x) - 1, 0, n - 2))
        return F[k] + integrate.quad(pdf, grid[k], x, epsabs=0, epsrel=1e-13)[0]
    return cdf, grid, F


def _w2_quantiles(p, q):
    """W2 in 1-D from the quantile functions: ∫_0^1 (F_p⁻¹ − F_q⁻¹)² by 40-point
    Gauss–Legendre after v = (1 − cos θ)/2.  The quantiles are ``ppf1d`` (incomplete
    Beta inverse), each checked here against the quadrature CDF: cdf(ppf(v)) = v."""
    nodes, w = np.polynomial.legendre.leggauss(40)
    th = (nodes + 1) * math.pi / 2
    v = (1 - np.cos(th)) / 2
    jac = np.sin(th) / 2 * math.pi / 2
    for d in (p, q):
        cdf, _, _ = _cdf_by_quad(d)
        assert max(abs(cdf(x) - vv) for x, vv in zip(d.ppf1d(v), v, strict=True)) < 1e-11
    vals = (p.ppf1d(v) - q.ppf1d(v)) ** 2
    return math.sqrt(float(np.sum(w * jac * vals)))


@pytest.mark.parametrize("alpha", [1.0, 1.5, 2.0, 3.0])
def test_wasserstein2_closed_form_by_quantiles(alpha):
    p = EntmaxGaussian(0.3, 0.5, alpha)
    q = EntmaxGaussian(-0.2, 2.0, alpha)
    w_quant = _w2_quantiles(p, q)
    w = wasserstein2(p, q)
    assert abs(w - w_quant) < 2e-5 * w  # 40-point quadrature of the quantile integral
    # Gelbrich with the scale parameters Σ instead of the covariances is wrong for α > 1
    wrong = math.sqrt(0.5 ** 2 + (math.sqrt(0.5) - math.sqrt(2.0)) ** 2)
    assert (abs(wrong - w_quant) > 1e-2) == (alpha > 1)


def test_wasserstein2_multivariate_identities():
    rng = np.random.default_rng(3)
    for alpha in (1.0, 1.5, 2.0):
        S1, S2 = _spd(rng, 3), _spd(rng, 3)
        p = EntmaxGaussian(rng.normal(size=3), S1, alpha)
        q = EntmaxGaussian(rng.normal(size=3), S2, alpha)
        assert wasserstein2(p, p) < 1e-7 * math.sqrt(np.trace(p.cov()))
        assert abs(wasserstein2(p, q) - wasserstein2(q, p)) < 1e-12
        # the affine map T(x) = μ_q + A(x − μ_p) pushes p to q: transported samples have
        # q's covariance and the mean squared displacement equals W2²
        Cp, Cq = p.cov(), q.cov()
        w_, V = np.linalg.eigh(Cp)
        rp = (V * np.sqrt(w_)) @ V.T
        irp = (V / np.sqrt(w_)) @ V.T
        m_, U = np.linalg.eigh(rp @ Cq @ rp)
        A = irp @ ((U * np.sqrt(m_)) @ U.T) @ irp
        assert np.allclose(A @ Cp @ A.T, Cq, rtol=1e-10, atol=1e-12)
        x = p.rvs(200_000, random_state=1)
        d2 = np.mean(np.sum((x - p.loc - (x - p.loc) @ A.T - (q.loc - p.loc)) ** 2, axis=1))
        # Monte Carlo: relative standard error < 0.5 % at n = 2e5 here
        assert abs(d2 / wasserstein2(p, q) ** 2 - 1) < 0.02


# ---- sampler ------------------------------------------------------------------------------
@pytest.mark.parametrize("alpha", [1.0, 4 / 3, 2.0, 3.0])
def test_rvs_1d_ks_against_quadrature_cdf(alpha):
    """KS test, n = 20 000, level 1e-3: the critical distance is 1.95/√n = 0.0138, so a
    sampler whose CDF is off by ≥ 0.02 anywhere is rejected with probability > 0.99.
    The reference CDF is the quadrature of the (independently checked) density."""
    p = EntmaxGaussian(0.5, 0.8, alpha)
    _, grid, F = _cdf_by_quad(p)
    assert np.max(np.abs(p.cdf1d(grid) - F)) < 1e-12  # the closed-form CDF = quadrature
    cdf = p.cdf1d
    x = p.rvs(20_000, random_state=11)[:, 0]
    assert stats.kstest(x, cdf).pvalue > 1e-3
    # negative control: a sampler with the wrong Beta parameter (β instead of β+1) is
    # rejected by the same test
    if alpha > 1:
        rng = np.random.default_rng(11)
        s = rng.beta(0.5, p.beta, 20_000)
        sg = np.sign(rng.standard_normal(20_000))
        bad = 0.5 + math.sqrt(0.8) * p.support_radius * np.sqrt(s) * sg
        assert stats.kstest(bad, cdf).pvalue < 1e-6


@pytest.mark.parametrize("alpha", [1.0, 1.5, 2.0, 4.0])
def test_rvs_2d_moments_and_regions(alpha):
    """Moments: n = 4·10⁵ draws, each tested entry within 6 standard errors (estimated
    from the draws; a bias of 8 standard errors is detected with probability > 0.97)."""
    rng = np.random.default_rng(2)
    mu, S = np.array([0.4, -1.0]), _spd(rng, 2, 6.0)
    p = EntmaxGaussian(mu, S, alpha)
    n = 400_000
    x = p.rvs(n, random_state=5)
    assert x.shape == (n, 2)
    se = x.std(axis=0) / math.sqrt(n)
    assert np.all(np.abs(x.mean(axis=0) - mu) < 6 * se)
    c = x - mu
    prods = np.stack([c[:, 0] ** 2, c[:, 0] * c[:, 1], c[:, 1] ** 2], axis=1)
    C = p.cov()
    want = np.array([C[0, 0], C[0, 1], C[1, 1]])
    assert np.all(np.abs(prods.mean(0) - want) < 6 * prods.std(0) / math.sqrt(n))
    if alpha > 1:
        assert np.all(p.mahalanobis2(x) <= p.support_radius ** 2 * (1 + 1e-12))
    # radial law: KS of r = Mahalanobis radius against P(r ≤ ρ) = 2π|Σ|^½ ∫_0^ρ p(u) u du
    # (the density along a ray, integrated by quad; 4·10⁵ draws: critical KS distance
    # 0.0031 at level 1e-3); angular law: chi-square over 12 sectors of L⁻¹(t − μ)
    r = np.sqrt(p.mahalanobis2(x[:40_000]))
    Lc = np.linalg.cholesky(S)
    rmax = p.support_radius if alpha > 1 else 40.0
    rays = np.linspace(0, rmax, 201)
    dens = lambda u: float(p.pdf(mu + Lc @ np.array([u, 0.0]))) * u  # noqa: E731
    cells = [integrate.quad(dens, a_, b_, epsabs=0, epsrel=1e-12)[0]
             for a_, b_ in zip(rays[:-1], rays[1:], strict=True)]
    Fr = 2 * math.pi * math.sqrt(np.linalg.det(S)) * np.concatenate([[0.0], np.cumsum(cells)])
    assert abs(Fr[-1] - 1) < 1e-10
    rad_cdf = lambda q: np.interp(q, rays, Fr)  # noqa: E731  (interpolation error < 1e-4)
    assert stats.kstest(r, rad_cdf).pvalue > 1e-3
    u = np.linalg.solve(Lc, (x[:40_000] - mu).T)
    ang = np.floor((np.arctan2(u[1], u[0]) + math.pi) / (2 * math.pi) * 12).astype(int) % 12
    assert stats.chisquare(np.bincount(ang, minlength=12)).pvalue > 1e-3


def test_rvs_shapes_and_seeds():
    p = EntmaxGaussian([0.0, 1.0, 2.0], 1.0, 1.5)
    assert p.rvs((4, 5), random_state=0).shape == (4, 5, 3)
    assert p.rvs(0).shape == (0, 3)
    assert np.array_equal(p.rvs(3, random_state=7), p.rvs(3, random_state=7))
    assert np.array_equal(p.rvs(3, random_state=np.random.default_rng(7)),
                          p.rvs(3, random_state=7))


# ---- attention ----------------------------------------------------------------------------
def _attn_ref(mu, s2, alpha, c, s):
    """E_p[ψ] by quad, the density from its definition with the support half-width
    solved from the mass condition (not from the library)."""
    kw = {"epsabs": 0.0, "epsrel": 1e-13, "limit": 500}

    def psi(t):
        return math.exp(-0.5 * ((t - c) / s) ** 2) / (s * math.sqrt(2 * math.pi))
    if alpha == 1:
        v = math.sqrt(s2)
        return integrate.quad(lambda t: psi(t) * math.exp(-0.5 * (t - mu) ** 2 / s2)
                              / (v * math.sqrt(2 * math.pi)), mu - 40 * v, mu + 40 * v,
                              points=[c] if abs(c - mu) < 40 * v else None, **kw)[0]
    b = 1 / (alpha - 1)
    k = ((alpha - 1) / (2 * s2)) ** b   # p = k (A² − (t−μ)²)₊^β, mass k A^{2β+1} B(½, β+1)
    A = (1 / (k * math.exp(math.lgamma(0.5) + math.lgamma(b + 1) - math.lgamma(b + 1.5)))) \
        ** (1 / (2 * b + 1))
    lo, hi = mu - A, mu + A

    def g(t):
        return k * psi(t)
    if lo < c < hi:
        return (integrate.quad(lambda t: g(t) * (hi - t) ** b, lo, c, weight="alg",
                               wvar=(b, 0), **kw)[0]
                + integrate.quad(lambda t: g(t) * (t - lo) ** b, c, hi, weight="alg",
                                 wvar=(0, b), **kw)[0])
    return integrate.quad(g, lo, hi, weight="alg", wvar=(b, b), **kw)[0]


@pytest.mark.parametrize("alpha", [1.0, 2.0, 1.5, 4 / 3, 3.0, 1.7])
def test_attention_vs_quad(alpha):
    """Class: μ ~ U(0, 1), σ² ~ 10^U(−3, 0), centres ~ U(−0.5, 1.5), widths ~ 10^U(−2, 0).
    Every entry (above the underflow range) ≤ 1e-12 relative, which implies normwise."""
    rng = np.random.default_rng(int(alpha * 100))
    for _ in range(6):
        mu, s2 = rng.uniform(0, 1), 10 ** rng.uniform(-3, 0)
        rbf = GaussianRBF(rng.uniform(-0.5, 1.5, 8), 10 ** rng.uniform(-2, 0, 8))
        r = attention(mu, s2, alpha, rbf)
        ref = np.array([_attn_ref(mu, s2, alpha, c, s)
                        for c, s in zip(rbf.centers, rbf.widths, strict=True)])
        assert np.max(np.abs(r - ref)) <= 1e-12 * ref.max()
        big = ref >= 1e-290
        assert np.all(np.abs(r - ref)[big] <= 1e-12 * ref[big])
        assert np.all(r >= 0)


def test_attention_methods_agree():
    rng = np.random.default_rng(0)
    rbf = GaussianRBF(np.linspace(0, 1, 12), 0.08)
    for alpha in (2.0, 1.5, 4 / 3):
        rc, jc = attention(0.4, 0.05, alpha, rbf, jacobian=True, method="closed")
        rj, jj = attention(0.4, 0.05, alpha, rbf, jacobian=True, method="jacobi")
        rq, jq = attention(0.4, 0.05, alpha, rbf, jacobian=True, method="quad")
        for x, y in ((rc, rq), (rj, rq), (jc, jq), (jj, jq)):
            assert np.max(np.abs(x - y)) <= 1e-12 * np.max(np.abs(y))
    assert integer_beta(2.0) == 1 and integer_beta(1.5) == 2 and integer_beta(4 / 3) == 3
    assert integer_beta(3.0) is None and integer_beta(1.0) is None
    del rng


def _mp_context(mu, s2, alpha, c, s):
    """r(μ, σ²) in mpmath (30 digits), from the definition; the support half-width from
    the mass condition k A^{2β+1} B(½, β+1) = 1."""
    mu, s2, c, s = (mp.mpf(v) for v in (mu, s2, c, s))
    if alpha == 1:
        v = s2 + s * s
        return mp.exp(-(mu - c) ** 2 / (2 * v)) / mp.sqrt(2 * mp.pi * v)
    a = mp.mpf(alpha)
    b = 1 / (a - 1)
    k = ((a - 1) / (2 * s2)) ** b
    A = (1 / (k * mp.beta(mp.mpf(1) / 2, b + 1))) ** (1 / (2 * b + 1))

    def f(t):
        return k * (A * A - (t - mu) ** 2) ** b * mp.exp(-(t - c) ** 2 / (2 * s * s)) \
            / (s * mp.sqrt(2 * mp.pi))
    pts = [mu - A] + ([c] if mu - A < c < mu + A else []) + [mu + A]
    return mp.quad(f, pts)


@pytest.mark.parametrize("alpha", [1.0, 2.0, 1.5, 4 / 3, 3.0])
def test_attention_jacobian_vs_mpmath_finite_differences(alpha):
    with mp.workdps(30):
        _jacobian_vs_mpmath(alpha)


def _jacobian_vs_mpmath(alpha):
    rng = np.random.default_rng(4)
    mu, s2 = 0.45, 0.03
    # the last RBF sits far outside the support (the edge rule), the second is wide
    rbf = GaussianRBF([0.1, 0.4, 0.6, 0.9, 1.25], [0.05, 0.2, 0.1, 0.3, 0.05])
    _, jac = attention(mu, s2, alpha, rbf, jacobian=True)
    for j in range(len(rbf)):
        c, s = rbf.centers[j], rbf.widths[j]
        dmu = mp.diff(lambda m: _mp_context(m, s2, alpha, c, s), mp.mpf(mu))
        ds2 = mp.diff(lambda v: _mp_context(mu, v, alpha, c, s), mp.mpf(s2))
        scale = float(max(abs(dmu), abs(ds2)))  # per basis function
        assert abs(jac[j, 0] - float(dmu)) <= 1e-11 * scale
        assert abs(jac[j, 1] - float(ds2)) <= 1e-11 * scale
    del rng


# ---- bad input ----------------------------------------------------------------------------
@pytest.mark.parametrize("args, match", [
    ((0.0, 1.0, 0.5), "alpha must be a finite number >= 1"),
    ((0.0, 1.0, math.inf), "alpha must be a finite number >= 1"),
    ((0.0, 1.0, math.nan), "alpha must be a finite number >= 1"),
    ((math.nan, 1.0, 2.0), "loc must be finite"),
    (([0.0, 0.0], [[1.0, 2.0], [2.0, 1.0]], 2.0), "symmetric positive definite"),
    (([0.0, 0.0], [[1.0, 0.5], [0.0, 1.0]], 2.0), "must be symmetric"),
    (([0.0, 0.0], np.eye(3), 2.0), "dimension mismatch"),
    ((0.0, -1.0, 2.0), "symmetric positive definite"),
    ((0.0, [[np.inf]], 2.0), "scale must be finite"),
    (([], 1.0, 2.0), "at least one entry"),
])
def test_bad_input_distribution(args, match):
    with pytest.raises(ValueError, match=match):
        EntmaxGaussian(*args)


def test_bad_input_methods():
    p = EntmaxGaussian([0.0, 0.0], np.eye(2), 2.0)
    with pytest.raises(ValueError, match="dimension mismatch"):
        p.pdf(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="x must be finite"):
        p.logpdf([np.nan, 0.0])
    with pytest.raises(TypeError, match="alpha must be a real number"):
        EntmaxGaussian(0.0, 1.0, "2")
    with pytest.raises(ValueError, match="same alpha"):
        wasserstein2(p, EntmaxGaussian([0.0, 0.0], np.eye(2), 1.5))
    with pytest.raises(ValueError, match="dimension mismatch"):
        fy_loss(QuadraticScore(0.0, 1.0), p)
    with pytest.raises(ValueError, match="D = 1 only"):
        p.cdf1d(0.0)
    rbf = GaussianRBF([0.0, 1.0], 0.1)
    with pytest.raises(ValueError, match=r"sigma2 must be in \(0, inf\)"):
        attention(0.0, 0.0, 2.0, rbf)
    with pytest.raises(ValueError, match="mu must be finite"):
        attention(math.nan, 1.0, 2.0, rbf)
    with pytest.raises(ValueError, match="no closed form"):
        attention(0.0, 1.0, 3.0, rbf, method="closed")
    with pytest.raises(ValueError, match="method must be"):
        attention(0.0, 1.0, 2.0, rbf, method="exact")
    with pytest.raises(ValueError, match="widths must be > 0"):
        GaussianRBF([0.0], 0.0)
    with pytest.raises(ValueError, match="interval must be finite"):
        rpm_1d(lambda t: t, (1.0, 0.0), 2.0)
    # inputs are not modified
    loc, S = np.array([1.0, 2.0]), np.array([[2.0, 0.1], [0.1, 1.0]])
    EntmaxGaussian(loc, S, 2.0).rvs(3)
    assert np.array_equal(loc, [1.0, 2.0]) and S[0, 1] == 0.1


def test_repr_and_support():
    p = EntmaxGaussian([0.0, 1.0], np.eye(2), 2.0)
    assert "alpha=2" in repr(p) and "EntmaxGaussian" in repr(p)
    R = p.support_radius
    pts = np.array([[R * (1 - 1e-9), 1.0], [R * (1 + 1e-9), 1.0]])
    assert p.pdf(pts)[0] > 0 and p.pdf(pts)[1] == 0 and p.logpdf(pts)[1] == -np.inf
    assert np.all(p.in_support(pts) == [True, False])


def test_docstring_examples_run():
    import doctest

    from hfy_reference.continuous import _qgaussian

    res = doctest.testmod(_qgaussian, optionflags=doctest.ELLIPSIS)
    assert res.attempted > 0 and res.failed == 0


@pytest.mark.parametrize("alpha", [1.0, 1.5, 2.0, 3.0])
def test_slow_path_any_score_two_piece_support(alpha):
    """A bimodal score f(t) = −4(t² − 1)² + 0.3t on [−2.5, 2.5]: the density is the map of
    f (pointwise), has mass 1 by an independent fine Riemann sum, and maximizes
    E_p[f] − Ω(p): every admissible perturbation lowers the objective (by quadrature).
    For α ≥ 1.5 the support is two intervals around ±1."""
    f = lambda t: -4.0 * (t * t - 1.0) ** 2 + 0.3 * t  # noqa: E731
    r = rpm_1d(f, (-2.5, 2.5), alpha)
    t = np.linspace(-2.5, 2.5, 400_001)
    p = r.pdf(t)
    ft = f(t)
    eps = np.finfo(float).eps
    if alpha == 1:
        want = np.exp(ft - r.tau)
        tol = 1e-15 + 4 * eps * (np.abs(ft) + abs(r.tau))  # exp: |argument|·eps relative
    else:
        v = (alpha - 1) * ft - r.tau
        want = np.maximum(v, 0.0) ** (1 / (alpha - 1))
        tol = 1e-15 + 4 * eps / (alpha - 1) * ((alpha - 1) * np.abs(ft) + abs(r.tau)) / \
            np.maximum(np.abs(v), 1e-300)
    assert np.all(np.abs(p - want) <= tol * want) and np.all((p == 0) == (want == 0))
    dt = t[1] - t[0]
    assert abs(np.sum((p[1:] + p[:-1]) / 2) * dt - 1) < 1e-6  # trapezoid, kinks at the ends
    if alpha >= 1.5:
        assert len(r.support) == 2
        (a0, b0), (a1, b1) = r.support
        assert a0 < -1 < b0 < 0 < a1 < 1 < b1
        for e in (a0, b0, a1, b1):  # endpoints are roots of (α−1) f = τ
            assert abs((alpha - 1) * f(e) - r.tau) < 1e-12
    obj = r.expect(f) - r.omega()
    # perturbations q = p + ε(g − E_p... ) kept ≥ 0 and of mass 1: mixtures with other densities
    for other in (lambda x: 0.2 if abs(x) <= 2.5 else 0.0,
                  lambda x: max(0.0, 1 - abs(x - 1.0))):
        for eps in (1e-1, 1e-3):
            q = lambda x, o=other, e=eps: (1 - e) * r._p(x) + e * o(x)  # noqa: E731
            sup = [(-2.5, 2.5)]
            eq = integrate.quad(lambda x: q(x) * f(x), -2.5, 2.5, points=[-1, 0, 1],
                                limit=400)[0]
            assert eq - omega_1d(q, sup, alpha, [-1.0, 0.0, 1.0]) < obj + 1e-12


@given(mu=st.floats(0, 1), log_s2=st.floats(-3, 0), which=st.integers(0, 3),
       seed=st.integers(0, 2**32 - 1))
def test_hypothesis_attention_closed_vs_quad(mu, log_s2, which, seed):
    alpha = (2.0, 1.5, 4 / 3, 1.0)[which]
    rng = np.random.default_rng(seed)
    rbf = GaussianRBF(rng.uniform(-0.5, 1.5, 4), 10 ** rng.uniform(-2, 0, 4))
    r = attention(mu, 10 ** log_s2, alpha, rbf)
    ref = np.array([_attn_ref(mu, 10 ** log_s2, alpha, c, s)
                    for c, s in zip(rbf.centers, rbf.widths, strict=True)])
    big = ref >= 1e-290  # per entry, also deep in the tail (the edge rule)
    assert np.all(np.abs(r - ref)[big] <= 1e-12 * ref[big])
