"""Mixed distributions on the simplex (hfy_reference.mixed): every number checked against an
independent route.

* face probabilities: the alternating sum of orthant probabilities (the library) against
  (a) the identity sum = 1, (b) the integral of the library's direct-sum density over
  each face (a different formula: Gaussian density times a *conditional* orthant
  probability), (c) Monte Carlo frequencies of ``rvs`` (which goes through the sparsemax
  kernel, not through any of the formulas);
* K = 2: the double-sided rectified Gaussian written with scipy.stats.norm;
* densities: scipy.integrate.quad / dblquad over each face;
* entropies, KL, mutual information: the library's Gauss rules against Monte Carlo and
  against closed forms;
* the maximum entropy: the Laguerre formula against exact rationals,
  scipy.special.eval_genlaguerre and a numerical maximisation over face masses and
  Dirichlet face-conditionals.

Monte Carlo tolerances: ``|estimate - exact| <= 4.5 standard errors`` per compared
number (two-sided false-alarm rate 7e-6 each); the power is stated next to each test.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from scipy import integrate, optimize, special, stats

from hfy_reference import mixed as M

EPS = float(np.finfo(float).eps)
Z_MC = 4.5


def _random_gs(rng, K, scale=1.0):
    A = rng.standard_normal((K, K))
    C = scale * (A @ A.T / K + 0.2 * np.eye(K))
    return M.GaussianSparsemax(0.6 * rng.standard_normal(K), C)


# ---------------------------------------------------------------------------------------
# orthant probabilities
def _bvn_mpmath(h, k, rho):
    import mpmath as mp

    mp.mp.dps = 30
    s = mp.sqrt(1 - mp.mpf(rho) ** 2)
    f = lambda x: mp.npdf(x) * mp.ncdf((k - rho * x) / s)  # noqa: E731
    # split at 0 and at the kink x = k/ρ of the integrand (a near-step for |ρ| → 1)
    cuts = sorted(c for c in (0.0, k / rho if rho else None) if c is not None and c < h)
    return float(mp.quad(f, [-mp.inf, *cuts, h], maxdegree=10))


@pytest.mark.parametrize("h,k,rho", [
    (0.0, 0.0, 0.3), (0.0, 1.3, -0.7), (0.0, -2.0, 0.5), (1.1, 0.0, 0.9), (-0.4, 0.0, -0.2),
    (1.5, -0.3, 0.6), (-2.5, -1.0, -0.95), (3.0, 4.0, 0.99), (-6.0, 2.0, 0.1),
    (0.7, 0.7, -0.999), (2.0, -2.0, 0.0),
])
def test_bvn_cdf_is_exact_to_a_few_ulps(h, k, rho):
    ref = _bvn_mpmath(h, k, rho)
    assert abs(float(M.bvn_cdf(h, k, rho)) - ref) <= 4 * EPS


def test_bvn_cdf_random_sweep():
    rng = np.random.default_rng(11)
    for _ in range(15):
        h, k = 3 * rng.standard_normal(2)
        rho = rng.uniform(-0.999, 0.999)
        assert abs(float(M.bvn_cdf(h, k, rho)) - _bvn_mpmath(h, k, rho)) <= 4 * EPS


def test_orthant_dimension_three_against_scipy_qmc():
    C = np.array([[1.0, 0.3, -0.2], [0.3, 2.0, 0.5], [-0.2, 0.5, 1.5]])
    m = np.array([0.2, -0.5, 0.1])
    ref = stats.multivariate_normal.cdf(-m, cov=C, abseps=1e-8, releps=0,
                                        rng=np.random.default_rng(0))
    assert abs(float(M.orthant_probability(m, C)) - ref) <= 3e-8


# ---------------------------------------------------------------------------------------
# face probabilities
@pytest.mark.parametrize("K,n_inst", [(2, 20), (3, 20), (4, 3)])
def test_face_probabilities_sum_to_one(K, n_inst):
    rng = np.random.default_rng(K)
    worst = 0.0
    for i in range(n_inst):
        d = _random_gs(rng, K, scale=[0.05, 1.0, 10.0][i % 3])
        P = d.face_probabilities()
        assert set(P) == set(M.faces(K)) and len(P) == 2**K - 1
        assert all(0.0 <= p <= 1.0 for p in P.values())
        worst = max(worst, abs(math.fsum(P.values()) - 1.0))
    assert worst <= 1e-14


def test_face_probabilities_sum_to_one_for_ill_conditioned_covariances():
    # cond(Σ) up to 1e4: measured worst 9.8e-15 over 3000 instances (docs/mixed.md)
    rng = np.random.default_rng(9)
    worst = 0.0
    for _ in range(60):
        Q, _ = np.linalg.qr(rng.standard_normal((3, 3)))
        ev = 10.0 ** (rng.uniform(0, 4, 3) + rng.uniform(-4, 4))
        d = M.GaussianSparsemax(rng.standard_normal(3) * 10 ** rng.uniform(-2, 1),
                                (Q * ev) @ Q.T)
        worst = max(worst, abs(math.fsum(d.face_probabilities().values()) - 1.0))
    assert worst <= 1e-14


def test_moments_of_u_are_accurate_to_one_ulp():
    rng = np.random.default_rng(3)
    A = rng.standard_normal((4, 4)) * 1e4
    d = M.GaussianSparsemax(rng.standard_normal(4), A @ A.T + np.eye(4))
    z = [Fraction(v) for v in d.loc]
    C = [[Fraction(v) for v in row] for row in d.cov]
    for S in [(0,), (1, 3), (0, 1, 2), (0, 1, 2, 3)]:
        s = len(S)
        mean, cov = d._U(S)
        u = [[Fraction(int(a == b)) - (Fraction(1, s) if b in S else 0) for b in range(4)]
             for a in range(4)]
        for a in range(4):
            m = sum(u[a][i] * z[i] for i in range(4)) + Fraction(1, s)
            assert abs(mean[a] - float(m)) <= np.spacing(abs(float(m)))
            for b in range(4):
                c = sum(u[a][i] * C[i][j] * u[b][j] for i in range(4) for j in range(4))
                assert abs(cov[a, b] - float(c)) <= np.spacing(abs(float(c)))


@pytest.mark.parametrize("K,seed", [(3, 0), (3, 1), (4, 2)])
def test_face_probability_is_the_integral_of_the_density_over_the_face(K, seed):
    # two formulas: alternating orthant sum vs ∫_S N(y) Pr{W ≤ 0 | y} dμ_S (Gauss rule)
    d = _random_gs(np.random.default_rng(seed), K)
    P = d.face_probabilities()
    for S in M.faces(K):
        if len(S) == 1:
            continue
        y, w = M._face_points(S, K, M._QUAD_N[len(S) - 1][1])
        assert abs(math.fsum(w * d.pdf(y)) - P[S]) <= 1e-13, S


@pytest.mark.parametrize("K,seed", [(2, 0), (3, 1), (3, 2), (4, 3)])
def test_face_probabilities_agree_with_monte_carlo(K, seed):
    # n = 200 000 draws; a face probability wrong by δ ≥ (4.5 + 1.65)·se, se ≤ 1.1e-3,
    # i.e. δ ≥ 7e-3, is detected with probability ≥ 95 %
    d = _random_gs(np.random.default_rng(seed), K)
    P = d.face_probabilities()
    f, se = M.empirical_face_probabilities(d, 200_000, random_state=seed)
    for S in P:
        tol = Z_MC * max(se[S], math.sqrt(P[S] * (1 - P[S]) / 200_000), 1e-6)
        assert abs(P[S] - f[S]) <= tol, (S, P[S], f[S], se[S])


def test_face_probabilities_k5_state_their_error():
    d = _random_gs(np.random.default_rng(5), 5)
    P, E = d.face_probabilities(abseps=1e-6, return_error=True)
    assert abs(math.fsum(P.values()) - 1.0) <= math.fsum(E.values())
    f, se = M.empirical_face_probabilities(d, 100_000, random_state=5)
    for S in P:
        assert abs(P[S] - f[S]) <= Z_MC * max(se[S], 1e-5) + E[S], S


# ---------------------------------------------------------------------------------------
# K = 2: the double-sided rectified Gaussian
@pytest.mark.parametrize("loc,cov", [
    ([0.3, -0.1], [[0.5, 0.2], [0.2, 0.3]]), ([2.0, 0.0], 0.1), ([0.0, 0.0], [[1.0, 0.9],
                                                                             [0.9, 1.0]]),
    ([-1.0, 1.5], [[4.0, -1.0], [-1.0, 2.0]]),
])
def test_k2_is_the_double_sided_rectified_gaussian(loc, cov):
    d = M.GaussianSparsemax(loc, cov)
    C = d.cov
    m = (loc[0] - loc[1] + 1.0) / 2.0
    sd = math.sqrt(C[0, 0] + C[1, 1] - 2 * C[0, 1]) / 2.0
    N = stats.norm(m, sd)
    P = d.face_probabilities()
    assert abs(P[(1,)] - N.cdf(0.0)) <= 2 * EPS  # Y_0 = 0: the vertex e_1
    assert abs(P[(0,)] - N.sf(1.0)) <= 2 * EPS
    assert abs(P[(0, 1)] - (N.cdf(1.0) - N.cdf(0.0))) <= 4 * EPS
    t = np.linspace(0.01, 0.99, 41)
    y = np.column_stack([t, 1 - t])
    np.testing.assert_allclose(d.logpdf(y), N.logpdf(t), rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(d.logpdf([[1.0, 0.0], [0.0, 1.0]]),
                               [math.log(N.sf(1.0)), math.log(N.cdf(0.0))], rtol=1e-14)
    # samples: Y_0 = clip(D, 0, 1) with D built from the same scores
    X = d.sample_scores(1000, random_state=7)
    Y = d.rvs(1000, random_state=7)
    np.testing.assert_allclose(Y[:, 0], np.clip((X[:, 0] - X[:, 1] + 1) / 2, 0, 1),
                               rtol=0, atol=4 * EPS)
    # entropy: H(F) + P(edge) h(Y | edge), written with scipy
    pe = P[(0, 1)]
    h = integrate.quad(lambda u: -N.pdf(u) / pe * math.log(N.pdf(u) / pe), 0, 1,
                       epsabs=1e-14, epsrel=1e-13)[0]
    HF = -sum(p * math.log(p) for p in P.values() if p > 0)
    assert abs(d.entropy() - (HF + pe * h)) <= 1e-12


# ---------------------------------------------------------------------------------------
# face-conditional densities integrate to 1 over their face (scipy.integrate)
@pytest.mark.parametrize("seed", [0, 1])
def test_face_conditional_densities_integrate_to_one(seed):
    d = _random_gs(np.random.default_rng(seed), 3)
    for S in M.faces(3, dim=1):
        def f(t, S=S):
            y = np.zeros(3)
            y[S[0]], y[S[1]] = t, 1.0 - t
            return float(np.exp(d.face_logpdf(y, S)))

        assert abs(integrate.quad(f, 0, 1, epsabs=1e-13, epsrel=1e-12)[0] - 1) <= 1e-11, S

    def g(b, a):
        return float(np.exp(d.face_logpdf([a, b, 1.0 - a - b], (0, 1, 2))))

    v = integrate.dblquad(g, 0, 1, 0, lambda a: 1 - a, epsabs=1e-11, epsrel=1e-10)[0]
    assert abs(v - 1.0) <= 1e-9


def test_face_logpdf_rejects_points_off_the_face():
    d = M.GaussianSparsemax([0.0, 0.1, 0.2], 0.5)
    with pytest.raises(ValueError, match="relative interior of face"):
        d.face_logpdf([0.5, 0.5, 0.0], (0, 1, 2))


# ---------------------------------------------------------------------------------------
# sampling
def test_rvs_shape_zeros_and_sums():
    d = M.GaussianSparsemax(np.linspace(-1, 1, 10), 0.5)
    Y = d.rvs((3, 500), random_state=0)
    assert Y.shape == (3, 500, 10)
    assert np.all(Y >= 0.0)
    assert np.max(np.abs(Y.sum(-1) - 1.0)) <= 12 * EPS
    assert np.any(Y == 0.0)
    assert d.rvs(random_state=1).shape == (10,)
    # the same generator state gives the same draws
    np.testing.assert_array_equal(d.rvs(5, random_state=3), d.rvs(5, random_state=3))


def test_inputs_are_not_modified():
    loc, cov = np.array([0.2, 0.0, -0.3]), np.eye(3) * 0.4
    lc, cc = loc.copy(), cov.copy()
    d = M.GaussianSparsemax(loc, cov)
    y = d.rvs(20, random_state=0)
    yc = y.copy()
    d.logpdf(y)
    np.testing.assert_array_equal(loc, lc)
    np.testing.assert_array_equal(cov, cc)
    np.testing.assert_array_equal(y, yc)


# ---------------------------------------------------------------------------------------
# information theory
@pytest.mark.parametrize("K,seed", [(2, 0), (3, 1), (3, 2)])
def test_entropy_quadrature_against_monte_carlo(K, seed):
    # n = 200 000: se ≈ 1e-3 nats; an entropy wrong by ≥ 6e-3 nats is caught w.p. ≥ 95 %
    d = _random_gs(np.random.default_rng(seed), K)
    H, err = M.entropy(d, return_error=True)
    assert err <= 1e-10
    Hm, se = M.entropy(d, "mc", n=200_000, random_state=seed, return_error=True)
    assert abs(H - Hm) <= Z_MC * se
    assert H <= M.max_entropy(K)


def test_entropy_in_bits_adds_the_precision_of_the_continuous_part():
    d = _random_gs(np.random.default_rng(0), 3)
    P = d.face_probabilities()
    mean_dim = sum(p * (len(S) - 1) for S, p in P.items())
    assert abs(M.entropy(d, bits=8) - (d.entropy() / math.log(2) + 8 * mean_dim)) <= 1e-12
    assert M.entropy(d, bits=8) <= M.max_entropy(3, bits=8)


def test_kl_divergence_k2_against_closed_form_pieces():
    p = M.GaussianSparsemax([0.3, -0.1], [[0.5, 0.2], [0.2, 0.3]])
    q = M.GaussianSparsemax([0.0, 0.2], 0.7)

    def rect(d):
        m = (d.loc[0] - d.loc[1] + 1) / 2
        sd = math.sqrt(d.cov[0, 0] + d.cov[1, 1] - 2 * d.cov[0, 1]) / 2
        return stats.norm(m, sd)

    Np, Nq = rect(p), rect(q)
    ref = (Np.cdf(0) * math.log(Np.cdf(0) / Nq.cdf(0))
           + Np.sf(1) * math.log(Np.sf(1) / Nq.sf(1))
           + integrate.quad(lambda u: Np.pdf(u) * (Np.logpdf(u) - Nq.logpdf(u)), 0, 1,
                            epsabs=1e-14, epsrel=1e-13)[0])
    assert abs(M.kl_divergence(p, q) - ref) <= 1e-12
    assert M.kl_divergence(p, p) == pytest.approx(0.0, abs=1e-14)


def test_kl_divergence_k3_quadrature_against_monte_carlo_and_infinite_against_dirichlet():
    rng = np.random.default_rng(4)
    p, q = _random_gs(rng, 3), _random_gs(rng, 3)
    kl = M.kl_divergence(p, q)
    km, se = M.kl_divergence(p, q, "mc", n=200_000, random_state=1, return_error=True)
    assert kl > 0 and abs(kl - km) <= Z_MC * se
    assert M.kl_divergence(p, M.Dirichlet([1.0, 1.0, 1.0])) == math.inf


def test_mutual_information():
    rng = np.random.default_rng(6)
    a, b = _random_gs(rng, 3), _random_gs(rng, 3)
    w = [0.3, 0.7]
    I = M.mutual_information([a, b], w)
    Hw = -sum(x * math.log(x) for x in w)
    assert 0.0 < I <= Hw
    # I = H(Y) - H(Y | X), a second formula
    mix = M.Mixture([a, b], w)
    I2 = M.entropy(mix) - (w[0] * a.entropy() + w[1] * b.entropy())
    assert abs(I - I2) <= 1e-10
    Im, se = M.mutual_information([a, b], w, "mc", n=100_000, random_state=2,
                                  return_error=True)
    assert abs(I - Im) <= Z_MC * se + 1e-12
    assert M.mutual_information([a, a], w) == pytest.approx(0.0, abs=1e-13)


# ---------------------------------------------------------------------------------------
# maximum entropy
def test_max_entropy_k2_is_log2_of_2_plus_2_to_the_n():
    for N in range(0, 40):
        assert abs(M.max_entropy(2, bits=N) - math.log2(2 + 2.0**N)) <= 2 * EPS * (N + 2)


@pytest.mark.parametrize("K", [2, 3, 4, 5, 8, 12])
@pytest.mark.parametrize("N", [None, 0, 1, 4, 16])
def test_max_entropy_is_a_generalized_laguerre_polynomial(K, N):
    c = Fraction(1) if N is None else Fraction(2**N)
    exact = sum(Fraction(math.comb(K, d + 1)) * c**d / math.factorial(d) for d in range(K))
    lag = special.eval_genlaguerre(K - 1, 1.0, -float(c))
    got = M.max_entropy(K, bits=N)
    base = math.e if N is None else 2.0
    assert abs(got - math.log(float(exact), base)) <= 4 * EPS * max(1.0, abs(got))
    assert abs(got - math.log(lag, base)) <= 1e-12 * max(1.0, abs(got))
    P = M.max_entropy_face_masses(K, bits=N)
    assert abs(math.fsum(P.values()) - 1.0) <= 1e-14


def _dirichlet_entropy(a):
    """The Dirichlet's differential entropy (the textbook closed form)."""
    a0 = a.sum()
    return float(np.sum(special.gammaln(a)) - special.gammaln(a0)
                 + (a0 - len(a)) * special.digamma(a0)
                 - np.sum((a - 1) * special.digamma(a)))


def test_dirichlet_entropy_helper_is_scipys():
    for a in ([1.0, 1.0], [0.5, 2.0, 3.0], [1.0, 1.0, 1.0, 1.0], [4.0, 0.3, 1.2, 2.5]):
        assert abs(_dirichlet_entropy(np.array(a)) - stats.dirichlet(a).entropy()) <= 1e-13


def _entropy_of_face_mixture(K, params, N):
    """H⊕ in bits (N bits of precision) of face masses softmax(params[:F]) and Dirichlet
    face-conditionals exp(params[F:]) — written with scipy.special only."""
    fs = list(M.faces(K))
    P = special.softmax(params[: len(fs)])
    i, H = len(fs), 0.0
    for S, p in zip(fs, P, strict=True):
        d = len(S) - 1
        h = 0.0
        if d:
            h = _dirichlet_entropy(np.exp(params[i: i + d + 1])) / math.log(2)
            i += d + 1
        H += p * (-math.log2(p) + h + N * d)
    return H


@pytest.mark.parametrize("K,N", [(2, 0), (2, 3), (3, 0), (3, 2), (4, 1)])
def test_max_entropy_by_numerical_maximisation(K, N):
    # maximise over face masses *and* Dirichlet face-conditionals (uniform = all ones)
    n_par = (2**K - 1) + sum(len(S) for S in M.faces(K) if len(S) > 1)
    rng = np.random.default_rng(K * 10 + N)
    x0 = 0.3 * rng.standard_normal(n_par)
    res = optimize.minimize(lambda x: -_entropy_of_face_mixture(K, x, N), x0,
                            method="BFGS", options={"gtol": 1e-10, "maxiter": 2000})
    assert abs(-res.fun - M.max_entropy(K, bits=N)) <= 1e-7
    # and the formula is an upper bound: random points never exceed it
    for _ in range(50):
        assert _entropy_of_face_mixture(K, rng.standard_normal(n_par), N) \
            <= M.max_entropy(K, bits=N) + 1e-12


# ---------------------------------------------------------------------------------------
# Hard Concrete, Logistic-Normal, Dirichlet
@pytest.mark.parametrize("loc,lam,tau", [([0.3, -0.2], 0.7, 1.6), ([1.0, 0.0], 2.0, 3.0),
                                         ([0.0, 0.5], 0.3, 1.05)])
def test_hard_concrete_k2_is_the_binary_hard_concrete(loc, lam, tau):
    hc = M.HardConcrete(loc, temperature=lam, stretch=tau)
    P = hc.face_probabilities()
    gamma, zeta, log_alpha = -(tau - 1) / 2, (tau + 1) / 2, loc[0] - loc[1]
    # Louizos et al. (2018): P(z = 0) = sigmoid(beta log(-gamma/zeta) - log alpha)
    p_zero = special.expit(lam * math.log(-gamma / zeta) - log_alpha)
    p_one = 1 - special.expit(lam * math.log((1 - gamma) / (zeta - 1)) - log_alpha)
    assert abs(P[(1,)] - p_zero) <= 4 * EPS and abs(P[(0,)] - p_one) <= 4 * EPS
    # Louizos's sampler against ours, in distribution (two-sample KS, n = 20 000)
    u = np.random.default_rng(1).uniform(size=20_000)
    s = special.expit((np.log(u) - np.log1p(-u) + log_alpha) / lam)
    zl = np.clip(s * (zeta - gamma) + gamma, 0, 1)
    y = hc.rvs(20_000, random_state=2)[:, 0]
    assert stats.ks_2samp(zl, y).pvalue > 1e-4
    f, se = M.empirical_face_probabilities(hc, 200_000, random_state=3)
    for S in P:
        assert abs(f[S] - P[S]) <= Z_MC * max(se[S], 1e-6)
    edge = integrate.quad(lambda t: float(hc.pdf([t, 1 - t])), 0, 1, epsabs=1e-14,
                          epsrel=1e-12)[0]
    assert abs(edge - P[(0, 1)]) <= 1e-11


def test_hard_concrete_k3_stretch_controls_sparsity():
    loc = [0.4, 0.0, -0.3]
    mean_dim = []
    for tau in (1.0, 1.5, 3.0, 10.0):
        f, _ = M.empirical_face_probabilities(M.HardConcrete(loc, 0.5, tau), 20_000, 0)
        mean_dim.append(sum(p * (len(S) - 1) for S, p in f.items()))
    assert mean_dim[0] == 2.0  # tau = 1: the Concrete, all in the interior
    assert all(a > b for a, b in zip(mean_dim, mean_dim[1:], strict=False))
    with pytest.raises(NotImplementedError, match="empirical_face_probabilities"):
        M.HardConcrete(loc, 0.5, 2.0).face_probabilities()


def test_logistic_normal_density_integrates_to_one_and_has_no_boundary_mass():
    ln = M.LogisticNormal([0.3, 0.0, -0.2], [[0.5, 0.1, 0.0], [0.1, 0.4, 0.0],
                                             [0.0, 0.0, 0.3]])
    v = integrate.dblquad(lambda b, a: float(ln.pdf([a, b, 1 - a - b])), 0, 1, 0,
                          lambda a: 1 - a, epsabs=1e-7, epsrel=1e-7)[0]
    assert abs(v - 1.0) <= 1e-6
    f, _ = M.empirical_face_probabilities(ln, 10_000, 0)
    assert f[(0, 1, 2)] == 1.0 and ln.face_probabilities()[(0, 1, 2)] == 1.0
    H = ln.entropy()
    Hm, se = M.entropy(ln, "mc", n=100_000, random_state=1, return_error=True)
    assert abs(H - Hm) <= Z_MC * se


def test_dirichlet_matches_scipy():
    a = np.array([1.5, 2.0, 0.8])
    d = M.Dirichlet(a)
    y = d.rvs(50, random_state=0)
    np.testing.assert_allclose(d.logpdf(y), stats.dirichlet(a).logpdf(y.T), rtol=1e-12)
    # Gauss rule vs closed form: accurate for a density smooth up to the boundary, and
    # its error estimate covers the error when p log p is not (y^0.5 log y at the edge)
    for alpha, tol in (([3.0, 4.0, 5.0], 1e-8), ([1.5, 2.0, 3.0], None)):
        dd = M.Dirichlet(alpha)
        H, err = M.entropy(dd, "quad", return_error=True)
        assert abs(H - dd.entropy()) <= (err if tol is None else tol)
    Hm, se = M.entropy(d, "mc", n=100_000, random_state=1, return_error=True)
    assert abs(d.entropy() - Hm) <= Z_MC * se


# ---------------------------------------------------------------------------------------
# bad input
@pytest.mark.parametrize("make,match", [
    (lambda: M.GaussianSparsemax([0.0], 1.0), "loc must have K >= 2"),
    (lambda: M.GaussianSparsemax([0.0, np.nan], 1.0), "loc must be finite"),
    (lambda: M.GaussianSparsemax([0.0, 1.0], [[1.0, 2.0], [2.0, 1.0]]),
     "cov must be symmetric positive definite"),
    (lambda: M.GaussianSparsemax([0.0, 1.0], [[1.0, 0.5], [0.0, 1.0]]),
     "cov must be symmetric"),
    (lambda: M.GaussianSparsemax([0.0, 1.0], np.eye(3)), r"cov must have shape \(2, 2\)"),
    (lambda: M.GaussianSparsemax([0.0, 1.0], [[1.0, np.nan], [np.nan, 1.0]]),
     "cov must be finite"),
    (lambda: M.GaussianSparsemax([0.0, 1.0], 0.0), "cov must be symmetric positive"),
    (lambda: M.HardConcrete([0.0, 1.0], 1.0, 0.5), "stretch must be finite and >= 1"),
    (lambda: M.HardConcrete([0.0, 1.0], 1.0, np.nan), "stretch must be finite"),
    (lambda: M.HardConcrete([0.0, 1.0], 0.0, 2.0), "temperature must be finite and > 0"),
    (lambda: M.HardConcrete([0.0], 1.0, 2.0), "loc must have K >= 2"),
    (lambda: M.LogisticNormal([0.0, 1.0], -1.0), "cov must be symmetric positive"),
    (lambda: M.Dirichlet([1.0, -1.0]), "alpha must be > 0"),
    (lambda: M.GaussianSparsemax([0.0, 1.0], 1.0).logpdf([0.7, 0.7]), "summing to 1"),
    (lambda: M.GaussianSparsemax([0.0, 1.0], 1.0).logpdf([1.1, -0.1]), "entries >= 0"),
    (lambda: M.GaussianSparsemax([0.0, 1.0], 1.0).logpdf([np.nan, 1.0]), "y must be finite"),
    (lambda: M.GaussianSparsemax([0.0, 1.0], 1.0).logpdf([1.0, 0.0, 0.0]), "length K = 2"),
    (lambda: M.max_entropy(1), "K must be >= 2"),
    (lambda: M.entropy(M.GaussianSparsemax(np.zeros(5), 1.0)), "K <= 4"),
    (lambda: M.entropy(M.GaussianSparsemax(np.zeros(2), 1.0), "exact"), "method must be"),
])
def test_bad_input_names_the_argument(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_wrong_types():
    with pytest.raises(TypeError, match="stretch must be a real number"):
        M.HardConcrete([0.0, 1.0], 1.0, "2")
    with pytest.raises(TypeError, match="K must be an integer"):
        M.max_entropy(2.0)


def test_reprs():
    assert repr(M.GaussianSparsemax([0.0, 1.0], 1.0)).startswith("GaussianSparsemax(loc=")
    assert "stretch=1.5" in repr(M.HardConcrete([0.0, 1.0], 1.0, 1.5))


# ---------------------------------------------------------------------------------------
# the proofs_check claims M1-M3 and their negative controls
def _run_mixed_claims(mixed_module, ids):
    from proofs_check import runner
    from proofs_check.claims import c_mixed
    from proofs_check.registry import Subject

    s = Subject(maps={})
    s.mixed = mixed_module
    claims = [c for c in c_mixed.claims(s) if c.id in ids]
    with np.errstate(all="ignore"):
        return {r["id"]: r for r in runner.run(claims, s, seed=0, quick=True)}


def test_mixed_claims_hold_for_the_library():
    recs = _run_mixed_claims(M, {"M1.k2-rectified-gaussian", "M2.faces-sum-to-one",
                                 "M3.max-entropy"})
    assert {k: r["status"] for k, r in recs.items()} == dict.fromkeys(recs, "verified")
    assert len(recs) == 3


class _DiagonalCov(M.GaussianSparsemax):
    """Drops the covariance's off-diagonal terms (a plausible bug)."""

    def __init__(self, loc, cov=1.0):
        c = np.array(cov, dtype=float)
        super().__init__(loc, np.diag(np.diag(c)) if c.ndim == 2 else cov)


class _FirstTermOnly(M.GaussianSparsemax):
    """Keeps only the T = ∅ term of the alternating orthant sum."""

    def _compute_probs(self, abseps):
        P, E = {}, {}
        for S in M.faces(self.K):
            mu, C = self._U(S)
            out = [j for j in range(self.K) if j not in S]
            P[S] = float(M.orthant_probability(mu[out], C[np.ix_(out, out)]))
            E[S] = 0.0
        return P, E


class _SwappedEdges(M.GaussianSparsemax):
    """Right total, wrong split: two edges' probabilities swapped (K = 3)."""

    def _compute_probs(self, abseps):
        P, E = super()._compute_probs(abseps)
        if self.K == 3:
            P[(0, 1)], P[(1, 2)] = P[(1, 2)], P[(0, 1)]
        return P, E


@pytest.mark.parametrize("broken,cid", [
    (_DiagonalCov, "M1.k2-rectified-gaussian"),
    (_FirstTermOnly, "M2.faces-sum-to-one"),
    (_SwappedEdges, "M2.faces-sum-to-one"),
])
def test_mixed_claims_refute_a_broken_gaussian_sparsemax(broken, cid):
    from proofs_check.registry import patched_module

    recs = _run_mixed_claims(patched_module(M, GaussianSparsemax=broken), {cid})
    assert recs[cid]["status"] == "refuted", recs[cid]


@pytest.mark.parametrize("wrong", [
    # the Euclidean (Hausdorff) volume sqrt(d+1)/d! of a face instead of 1/d!
    lambda K, bits=None: math.log2(sum(math.comb(K, d + 1) * math.sqrt(d + 1)
                                       * 2.0 ** (d * (bits or 0)) / math.factorial(d)
                                       for d in range(K))),
    # the purely discrete maximum log2 K (no continuous part)
    lambda K, bits=None: math.log2(K),
    # a Laguerre polynomial of the wrong order
    lambda K, bits=None: math.log2(special.eval_genlaguerre(K, 1.0, -(2.0 ** (bits or 0)))),
])
def test_mixed_claims_refute_a_wrong_max_entropy(wrong):
    from proofs_check.registry import patched_module

    recs = _run_mixed_claims(patched_module(M, max_entropy=wrong), {"M3.max-entropy"})
    assert recs["M3.max-entropy"]["status"] == "refuted"
