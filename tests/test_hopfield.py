"""Hopfield-Fenchel-Young networks, post-transformations and the classical memories.

What is checked, and against what:

* energy descent along ``step`` for every (Ω, Ψ) pair (hypothesis), ``E >= 0`` and the
  bounds ``E_L <= E <= E_L + H(u)/beta``;
* fixed points are stationary: the energy's finite-difference gradient vanishes there,
  and ``grad_energy`` matches finite differences elsewhere;
* softmax is the modern Hopfield update and energy (numpy/scipy written out), sparsemax
  the sparse modern Hopfield update (an independent sort-based sparsemax);
* T4/T5/T6/T9 thresholds on hand-built instances where the threshold is hit exactly,
  each with a "teeth" companion just outside the assumptions;
* every post-transformation against a numerical argmax of ``<v,q> - Psi(q)``
  (scipy.optimize) and the Fenchel-Young (in)equality;
* the k-subset update is the sum (average) of the retrieved patterns;
* retrieval bookkeeping, classical Hopfield and dense associative memories, bad input.
"""

import math

import numba
import numpy as np
import pytest
import reference as R
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import logsumexp as sp_logsumexp

from hfy_reference import (
    ClassicalHopfield,
    DenseAssociativeMemory,
    HopfieldNetwork,
    KSubsets,
    L2Ball,
    LayerNorm,
    NormEntropy,
    Quadratic,
    SequentialKSubsets,
    Shannon,
    Sign,
    Tanh,
    Tsallis,
    registry,
    sparsemap_ksubsets,
)
from hfy_reference import _validation as V
from hfy_reference import maps as M
from hfy_reference import theory as T
from hfy_reference._kernels import simplex as K

EPS = np.finfo(np.float64).eps

# every registered map (registry examples), plus the other convention of sequential
# k-subsets
REGS = list(dict.fromkeys(registry.examples() + [
    SequentialKSubsets(2, 0.5, convention="lp-sparsemap")]))
POSTS = [None, L2Ball(1.5), LayerNorm(), LayerNorm(gain=[1.0, 2.0, 0.5], bias=[0.1, 0.0, -0.2]),
         Sign(), Tanh(2.0)]


def _id(x):
    return getattr(x, "label", None) or repr(x)


@pytest.fixture(autouse=True, scope="module")
def _one_numba_thread():
    """The maps' kernels run rows in parallel; with tiny batches on a busy 2-core
    machine each parallel region waits a scheduler time slice (about 25 ms), which would
    dominate these many small calls.  One thread runs the same compiled code."""
    old = numba.get_num_threads()
    numba.set_num_threads(1)
    yield
    numba.set_num_threads(old)


def _energy_tol(net, Q):
    """Rounding bound of one energy evaluation: every term is at most ``scale`` and is
    computed from O(N + D)-term sums."""
    qn = float(np.max(np.linalg.norm(np.atleast_2d(Q), axis=-1)))
    scale = (abs(net.constant) + net._k * net.M * qn + 0.5 * qn * qn
             + abs(net.entropy_range) / net.beta + 1.0)
    return 16 * (net.N + net.D) * EPS * scale


# ---------------------------------------------------------------------------------------
# energy descent for every (Omega, Psi) pair
# ---------------------------------------------------------------------------------------
def _instance(draw, D):
    n = draw(st.integers(2, 6))
    X = np.array(draw(st.lists(st.lists(st.floats(-2, 2, allow_nan=False), min_size=D,
                                        max_size=D), min_size=n, max_size=n)))
    beta = draw(st.floats(-1.3, 1.3).map(lambda e: float(10.0**e)))
    Q = np.array(draw(st.lists(st.lists(st.floats(-3, 3, allow_nan=False), min_size=D,
                                        max_size=D), min_size=1, max_size=3)))
    return X, beta, Q


@pytest.mark.parametrize("post", POSTS, ids=_id)
@pytest.mark.parametrize("reg", REGS, ids=_id)
@settings(max_examples=12)
@given(data=st.data())
def test_energy_never_increases(reg, post, data):
    X, beta, Q = _instance(data.draw, 3)
    average = data.draw(st.booleans())
    net = HopfieldNetwork(X, reg, beta, post=post, average=average)
    try:
        res = net.retrieve(Q, max_iter=20, record_path=True)
    except ValueError as exc:  # a set-valued point of Psi was reached: check it is real
        assert "set-valued" in str(exc)
        return
    E = res.energies
    tol = _energy_tol(net, res.path)
    assert np.all(E[:, 1:] <= E[:, :-1] + tol), (E, tol)
    assert np.all(np.isfinite(E[:, 1:]))  # after one step q lies in the domain of Psi
    assert np.all(E[:, 1:] >= -tol)  # the constant makes E >= 0 for every Psi


def test_energy_descent_teeth_usual_layernorm():
    """Teeth for descent: the familiar ``g * LN(v)`` with a per-coordinate gain is not
    the argmax of <v, q> - Psi(q) (not a CCCP step) and can increase the energy, while the
    exact post-transformation from the same state does not."""
    rng = np.random.default_rng(0)
    g = np.array([1.0, 0.1, 3.0])
    post = LayerNorm(gain=g)
    for _ in range(3000):
        X = rng.standard_normal((int(rng.integers(2, 5)), 3))
        net = HopfieldNetwork(X, Tsallis(2.0), float(rng.choice([0.5, 1.0, 2.0, 4.0])),
                              post=post)
        q0 = post.argmax(rng.standard_normal(3))
        v = X.T @ net.probabilities(q0)
        if np.ptp(v) == 0:
            continue
        q_usual = g * (v - v.mean()) / v.std()
        assert post.psi(q_usual) == 0.0  # a point of the set, so E is finite
        if net.energy(q_usual) > net.energy(q0) + 1e-6:
            assert net.energy(net.step(q0)) <= net.energy(q0) + _energy_tol(net, q0)
            return
    raise AssertionError("no instance found where the usual layer norm increases E")


@settings(max_examples=40)
@given(data=st.data(), reg=st.sampled_from([r for r in REGS if not hasattr(r, "k")]))
def test_energy_bounds(data, reg):
    """E_L <= E <= E_L + H(u)/beta, E_L(q) = ½||q||^2 - max_i x_i^T q + ½M^2 (math §5)."""
    X, beta, Q = _instance(data.draw, 3)
    net = HopfieldNetwork(X, reg, beta)
    E = net.energy(Q)
    EL = 0.5 * np.sum(Q * Q, 1) - (Q @ X.T).max(1) + 0.5 * net.M**2
    np.testing.assert_allclose(net.lower_energy(Q), EL, rtol=1e-14, atol=1e-14)
    tol = _energy_tol(net, Q)
    H = -reg.uniform_omega(len(X))
    assert H == net.entropy_range
    assert np.all(EL - tol <= E) and np.all(E <= EL + H / beta + tol)
    assert np.all(E >= -tol)


def test_energy_bounds_are_attained():
    """Teeth: both bounds are tight -- the upper one where p is one-hot (Omega*(z) =
    max z, at an exact fixed point of a sparse map), the lower one where p is uniform
    (Omega*(z) = max z + H(u))."""
    X = np.array([[1.0, 0.0], [-1.0, 0.0]])
    net = HopfieldNetwork(X, Tsallis(2.0), beta=4.0)
    H = net.entropy_range
    assert H == 0.25  # sparsemax: -Omega(u) = (1 - 1/N)/2
    assert net.energy(X[0]) == net.lower_energy(X[0]) + H / 4.0
    q = np.array([0.0, 0.3])  # both scores equal
    assert net.energy(q) == pytest.approx(net.lower_energy(q), abs=1e-15)


# ---------------------------------------------------------------------------------------
# stationarity and the gradient
# ---------------------------------------------------------------------------------------
def _fd_grad(net, q, h=1e-6):
    return np.array([(net.energy(q + h * e) - net.energy(q - h * e)) / (2 * h)
                     for e in np.eye(len(q))])


@pytest.mark.parametrize("reg", [Shannon(), Tsallis(1.5), Tsallis(2.0), NormEntropy(2.0),
                                 KSubsets(2)], ids=_id)
def test_grad_energy_matches_finite_differences(reg):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((6, 4))
    net = HopfieldNetwork(X, reg, beta=0.8)
    for _ in range(4):
        q = rng.standard_normal(4)
        np.testing.assert_allclose(net.grad_energy(q), _fd_grad(net, q), atol=2e-7)


@pytest.mark.parametrize("average", [False, True])
@pytest.mark.parametrize("reg", [Shannon(), Tsallis(1.5), Tsallis(2.0), NormEntropy(2.0),
                                 NormEntropy(5.0), KSubsets(2), SequentialKSubsets(2, 0.3)],
                         ids=_id)
def test_fixed_points_are_stationary(reg, average):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((7, 3))
    net = HopfieldNetwork(X, reg, beta=1.3, average=average)
    smooth = isinstance(reg, Shannon)  # converges only linearly, to rounding level
    for q0 in rng.standard_normal((4, 3)):
        res = net.retrieve(q0, max_iter=3000, tol=1e-14 if smooth else 0.0)
        assert res.converged
        q = res.q
        if smooth:
            assert np.linalg.norm(net.grad_energy(q)) <= 1e-13
        else:  # an exact fixed point of the float map
            assert np.array_equal(net.step(q), q)
            assert np.all(net.grad_energy(q) == 0.0)
        # independent of grad_energy: the energy is flat there
        np.testing.assert_allclose(_fd_grad(net, q), 0.0, atol=2e-7)


def test_non_fixed_points_are_not_stationary():
    X = np.array([[1.0, 0.0], [0.0, 1.0]])
    net = HopfieldNetwork(X, Tsallis(2.0), beta=1.0)
    q = np.array([0.7, 0.1])  # p = sparsemax(0.7, 0.1) = (0.8, 0.2)
    assert not np.array_equal(net.step(q), q)
    assert np.linalg.norm(_fd_grad(net, q)) > 1e-3


# ---------------------------------------------------------------------------------------
# known networks
# ---------------------------------------------------------------------------------------
def test_softmax_is_the_modern_hopfield_network():
    """Ramsauer et al.: xi <- X^T softmax(beta X xi); E = -lse(beta X xi)/beta + ½ xi^T xi
    + log(N)/beta + ½ M^2."""
    rng = np.random.default_rng(2)
    X = rng.standard_normal((50, 8))
    Q = rng.standard_normal((6, 8))
    beta = 0.7
    net = HopfieldNetwork(X, Shannon(), beta)
    Z = beta * Q @ X.T
    P = np.exp(Z - Z.max(1, keepdims=True))
    P /= P.sum(1, keepdims=True)
    np.testing.assert_allclose(net.probabilities(Q), P, rtol=1e-13, atol=0)
    np.testing.assert_allclose(net.step(Q), P @ X, rtol=1e-12, atol=1e-15)
    M = np.linalg.norm(X, axis=1).max()
    E = -sp_logsumexp(Z, axis=1) / beta + 0.5 * np.sum(Q * Q, 1) + np.log(50) / beta \
        + 0.5 * M**2
    np.testing.assert_allclose(net.energy(Q), E, rtol=1e-13)


def _sparsemax_sort(z):
    zs = np.sort(z)[::-1]
    cs = np.cumsum(zs)
    r = np.arange(1, len(z) + 1)
    kk = r[1 + r * zs > cs].max()
    return np.maximum(z - (cs[kk - 1] - 1) / kk, 0.0)


def test_sparsemax_is_the_sparse_modern_hopfield_network():
    """Hu et al. 2023: xi <- X^T sparsemax(beta X xi)."""
    rng = np.random.default_rng(3)
    X = rng.standard_normal((40, 5))
    net = HopfieldNetwork(X, Tsallis(2.0), beta=3.0)
    for q in rng.standard_normal((5, 5)):
        p = _sparsemax_sort(3.0 * X @ q)
        np.testing.assert_allclose(net.probabilities(q), p, atol=1e-14)
        np.testing.assert_allclose(net.step(q), X.T @ p, atol=1e-13)


def test_sparse_and_dense_second_products_agree():
    """The update takes X^T p over the support when p is sparse; both paths agree."""
    rng = np.random.default_rng(4)
    X = rng.standard_normal((200, 6))
    for beta in (0.01, 5.0):  # dense support, then a handful of patterns
        net = HopfieldNetwork(X, Tsallis(2.0), beta)
        Q = rng.standard_normal((4, 6))
        P = net.probabilities(Q)
        np.testing.assert_allclose(net.step(Q), P @ X, rtol=1e-13, atol=1e-13)


# ---------------------------------------------------------------------------------------
# T4: stationary patterns, exactly at the threshold
# ---------------------------------------------------------------------------------------
MARGIN_REGS = [Tsallis(1.5), Tsallis(2.0), Tsallis(3.0), Tsallis(1.25), NormEntropy(2.0),
               NormEntropy(5.0), KSubsets(1)]


@pytest.mark.parametrize("reg", MARGIN_REGS, ids=_id)
def test_t4_fixed_point_exactly_at_m_over_beta(reg):
    X = np.array([[1.0, 0.0], [0.5, 0.75], [-0.25, -1.0]])
    delta = T.separation(X, 0)
    assert delta == 0.5  # x_0^T x_0 - x_0^T x_1, exactly
    m = reg.margin
    beta = m / delta  # exact: m is a dyadic number here
    assert T.stationary_threshold(reg, beta) == delta
    for b in (beta, np.nextafter(beta, np.inf), 2 * beta):
        net = HopfieldNetwork(X, reg, b)
        assert net.probabilities(X[0]).tolist() == [1.0, 0.0, 0.0]
        assert np.array_equal(net.step(X[0]), X[0])
        assert np.all(net.grad_energy(X[0]) == 0.0)
    # teeth: one ulp below the threshold x_0 is no longer a fixed point of the map
    net = HopfieldNetwork(X, reg, np.nextafter(beta, 0.0))
    assert net.probabilities(X[0])[1] > 0.0
    net = HopfieldNetwork(X, reg, beta * (1 - 2.0**-20))
    assert not np.array_equal(net.step(X[0]), X[0])


def test_t4_the_slides_threshold_fails_when_m_is_not_1():
    """The slides print 1/(m beta); with 1.5-entmax (m = 2) at beta = 4 a pattern with
    1/(m beta) = 1/8 <= Delta = 1/4 < m/beta = 1/2 is not a fixed point."""
    X = np.array([[1.0, 0.0], [0.75, 0.5]])
    delta = T.separation(X, 0)
    reg, beta = Tsallis(1.5), 4.0
    assert 1 / (reg.margin * beta) <= delta < reg.margin / beta
    net = HopfieldNetwork(X, reg, beta)
    assert net.probabilities(X[0])[1] > 0
    assert not np.array_equal(net.step(X[0]), X[0])


def test_t4_softmax_has_no_threshold():
    X = np.array([[1.0, 0.0], [0.5, 0.75]])
    net = HopfieldNetwork(X, Shannon(), 50.0)
    assert net.probabilities(X[0])[1] > 0
    assert T.stationary_threshold(Shannon(), 50.0) == math.inf


# ---------------------------------------------------------------------------------------
# T5 one-step retrieval and T6 the epsilon ball
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("post", [None, "l2"])
@pytest.mark.parametrize("reg", [Tsallis(1.5), Tsallis(2.0), NormEntropy(3.0)], ids=_id)
def test_t5_one_step_retrieval_at_the_margin(reg, post):
    X = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]])  # unit norm (for the l2 Psi)
    m = reg.margin
    beta = 2.0
    q0 = np.array([m / beta, 0.0])  # beta q0^T (x_0 - x_1) = m exactly
    assert T.one_step_condition(X, q0, 0, reg, beta)
    net = HopfieldNetwork(X, reg, beta, post=post)
    assert np.array_equal(net.step(q0), X[0])
    # teeth: violate the condition by a hair
    q_bad = np.array([m / beta, 2.0**-40])
    assert not T.one_step_condition(X, q_bad, 0, reg, beta)
    assert not np.array_equal(net.step(q_bad), X[0])


def test_t6_epsilon_ball_and_its_worst_direction():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((5, 3))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    reg = Tsallis(2.0)
    i = 0
    d = T.separation(X, i)
    beta = 4.0 / d  # Delta_i = 4 m / beta: a positive radius
    eps = T.epsilon_ball_radius(X, i, reg, beta)
    assert eps > 0
    net = HopfieldNetwork(X, reg, beta)
    U = rng.standard_normal((300, 3))
    U /= np.linalg.norm(U, axis=1, keepdims=True)
    Q = X[i] + eps * (1 - 1e-9) * U
    assert np.all(net.step(Q) == X[i])
    # teeth: along -(x_i - x_j) for the binding j, retrieval fails beyond
    # (Delta_ij - m/beta)/||x_i - x_j|| (>= eps; equal when ||x_i - x_j|| = 2M)
    gaps = X[i] @ X[i] - X @ X[i]
    cands = [((gaps[j] - reg.margin / beta) / np.linalg.norm(X[i] - X[j]), j)
             for j in range(len(X)) if j != i]
    e_fail, j = min(cands)
    u = (X[i] - X[j]) / np.linalg.norm(X[i] - X[j])
    assert e_fail >= eps * (1 - 1e-12)
    assert not np.array_equal(net.step(X[i] - 1.01 * e_fail * u), X[i])


# ---------------------------------------------------------------------------------------
# structured maps: the update is the sum (average) of retrieved patterns; T9
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("average", [False, True])
def test_ksubset_update_is_sum_of_retrieved_patterns(average):
    rng = np.random.default_rng(6)
    X = rng.standard_normal((9, 4))
    net = HopfieldNetwork(X, KSubsets(3), beta=0.9, average=average)
    Q = rng.standard_normal((5, 4))
    mu = sparsemap_ksubsets(0.9 * Q @ X.T, 3)  # independent: the capped-simplex map
    np.testing.assert_allclose(net.probabilities(Q), mu, atol=1e-14)
    expect = mu @ X / (3 if average else 1)
    np.testing.assert_allclose(net.step(Q), expect, rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("average", [False, True])
@pytest.mark.parametrize("reg", [KSubsets(2), SequentialKSubsets(2, 0.0)], ids=_id)
def test_t9_structured_fixed_point_exactly_at_threshold(reg, average):
    X = np.array([[1.0, 0.0], [0.75, 0.5], [-0.5, 0.25], [0.0, -1.0]])
    y = np.array([0, 1])
    s_y = X[0] + X[1]
    dy = T.structured_separation(X, y)
    c = X @ s_y  # exact for these dyadic patterns
    assert dy == min(c[0], c[1]) - max(c[2], c[3])
    k = 2
    beta = (k if average else 1) / dy  # threshold x k for the average
    q = s_y / k if average else s_y
    for b in (beta, 2 * beta):
        net = HopfieldNetwork(X, reg, b, average=average)
        assert net.probabilities(q).tolist() == [1.0, 1.0, 0.0, 0.0]
        assert np.array_equal(net.step(q), q)
    net = HopfieldNetwork(X, reg, beta * (1 - 2.0**-30), average=average)  # teeth
    assert not np.array_equal(net.step(q), q)


def test_t9_structured_one_step():
    X = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 0.5], [-1.0, 0.0]])
    q0 = np.array([1.0, 0.0])  # scores 1, 1, 0, -1: gap exactly 1 between y and the rest
    assert T.structured_one_step_condition(X, q0, [0, 1], 1.0)
    net = HopfieldNetwork(X, KSubsets(2), 1.0)
    assert np.array_equal(net.step(q0), X[0] + X[1])
    net = HopfieldNetwork(X, KSubsets(2), 1.0, average=True)
    assert np.array_equal(net.step(q0), (X[0] + X[1]) / 2)
    b = np.nextafter(1.0, 0.0)  # teeth: one ulp below, mu is no longer a vertex
    assert not T.structured_one_step_condition(X, q0, [0, 1], b)
    assert HopfieldNetwork(X, KSubsets(2), b).probabilities(q0)[2] > 0
    b = 1.0 - 2.0**-30
    assert not np.array_equal(HopfieldNetwork(X, KSubsets(2), b).step(q0), X[0] + X[1])


def test_sequential_w_prefers_consecutive_patterns():
    X = np.array([[1.0, 0.0], [0.0, 1.0], [0.9, 0.1], [0.1, 0.9]])
    q = np.array([1.0, 0.2])  # scores 4 * (1, 0.2, 0.92, 0.28): top-2 = {0, 2}
    mu0 = HopfieldNetwork(X, SequentialKSubsets(2, 0.0), 4.0).probabilities(q)
    assert mu0.tolist() == [1.0, 0.0, 1.0, 0.0]
    net = HopfieldNetwork(X, SequentialKSubsets(2, 5.0), 4.0)
    sol = SequentialKSubsets(2, 5.0).solve(4.0 * X @ q)
    np.testing.assert_array_equal(net.probabilities(q), sol.mu)
    for s in sol.structures:  # a large w retrieves only consecutive pairs
        i = np.flatnonzero(s)
        assert i[1] == i[0] + 1
    np.testing.assert_allclose(net.step(q), sol.mu @ X, rtol=1e-15)


# ---------------------------------------------------------------------------------------
# post-transformations against a numerical argmax
# ---------------------------------------------------------------------------------------
def _numerical_argmax(post, v):
    from scipy.optimize import minimize

    D = len(v)
    if isinstance(post, Quadratic):
        r = minimize(lambda q: 0.5 * q @ q - v @ q, np.zeros(D), jac=lambda q: q - v,
                     method="BFGS", options={"gtol": 1e-12})
        return r.x
    if isinstance(post, L2Ball):
        R = post.radius
        r = minimize(lambda q: -v @ q, np.zeros(D), jac=lambda q: -v, method="SLSQP",
                     constraints=[{"type": "ineq", "fun": lambda q: R * R - q @ q,
                                   "jac": lambda q: -2 * q}], options={"ftol": 1e-15})
        return r.x
    if isinstance(post, LayerNorm):
        g = np.broadcast_to(post.gain, (D,))
        b = np.broadcast_to(post.bias, (D,))
        r = minimize(lambda u: -v @ (g * u + b), np.full(D, 0.1) * np.arange(D),
                     jac=lambda u: -(g * v), method="SLSQP",
                     constraints=[{"type": "eq", "fun": lambda u: u.sum(),
                                   "jac": lambda u: np.ones(D)},
                                  {"type": "ineq", "fun": lambda u: D - u @ u,
                                   "jac": lambda u: -2 * u}], options={"ftol": 1e-15})
        return g * r.x + b
    if isinstance(post, Sign):
        from scipy.optimize import linprog

        return linprog(-v, bounds=[(-1, 1)] * D).x
    if isinstance(post, Tanh):
        bt = post.beta

        def f(q):
            return (0.5 * ((1 + q) * np.log1p(q) + (1 - q) * np.log1p(-q)).sum() / bt
                    - v @ q)

        def g(q):
            return np.arctanh(q) / bt - v

        lim = 1 - 1e-12
        r = minimize(f, np.zeros(D), jac=g, method="L-BFGS-B", bounds=[(-lim, lim)] * D,
                     options={"ftol": 1e-15, "gtol": 1e-12})
        return r.x
    raise AssertionError(post)


@pytest.mark.parametrize("post", [Quadratic(), L2Ball(2.0), LayerNorm(),
                                  LayerNorm(gain=[1.0, -2.0, 0.5, 3.0], bias=[0.5, 0, 1, -1]),
                                  LayerNorm(gain=2.0, bias=-1.0), Sign(), Tanh(0.7)], ids=_id)
def test_post_transform_is_the_argmax(post):
    rng = np.random.default_rng(7)
    with np.errstate(all="ignore"):  # scipy's line searches may probe the boundary
        for _ in range(6):
            v = rng.standard_normal(4)
            q = post.argmax(v)
            np.testing.assert_allclose(q, _numerical_argmax(post, v), atol=2e-6)
            # Fenchel-Young equality at the argmax, inequality elsewhere
            assert post.conjugate(v) == pytest.approx(v @ q - post.psi(q), abs=1e-13)
            for _ in range(5):
                q2 = post.argmax(rng.standard_normal(4))  # a point of the domain
                assert post.conjugate(v) >= v @ q2 - post.psi(q2) - 1e-13
    # batches equal rows
    V = rng.standard_normal((3, 4))
    np.testing.assert_array_equal(post.argmax(V), np.stack([post.argmax(r) for r in V]))
    np.testing.assert_allclose(post.conjugate(V), [post.conjugate(r) for r in V], rtol=1e-15)


def test_layernorm_plain_is_the_usual_layer_norm_and_gain_enters_before():
    v = np.array([1.0, 4.0, -2.0, 0.5])
    usual = (v - v.mean()) / v.std()
    np.testing.assert_allclose(LayerNorm().argmax(v), usual, rtol=1e-15, atol=1e-15)
    np.testing.assert_allclose(LayerNorm(gain=3.0, bias=1.0).argmax(v), 3 * usual + 1,
                               rtol=1e-15)
    # teeth: with a per-coordinate gain the usual g * LN(v) + b is not the argmax: its
    # objective <v, q> is lower than the exact one's
    g = np.array([1.0, 0.1, 2.0, 1.0])
    post = LayerNorm(gain=g)
    q_usual = g * usual
    assert post.psi(q_usual) == 0.0  # feasible ...
    assert v @ q_usual < v @ post.argmax(v) - 1e-3  # ... but not optimal


def test_post_transform_set_valued_points():
    with pytest.raises(ValueError, match="v = 0 is a set-valued point"):
        L2Ball().argmax(np.zeros(3))
    with pytest.raises(ValueError, match="set-valued point of the layer-norm"):
        LayerNorm().argmax(np.full(3, 2.5))
    with pytest.raises(ValueError, match="set-valued point of the layer-norm"):
        LayerNorm().argmax(np.zeros((2, 3)))
    # documented convention for the cube: sign(0) = 0, a maximizer of <0, q>
    assert Sign().argmax([0.0, -0.0, 2.0]).tolist() == [0.0, 0.0, 1.0]
    # never NaN: the closed forms at extreme scales
    q = L2Ball().argmax([1e-300, 0.0, 0.0])
    assert q.tolist() == [1.0, 0.0, 0.0]
    q = L2Ball().argmax([1e300, 1e300])
    np.testing.assert_allclose(q, [2**-0.5, 2**-0.5], rtol=1e-15)
    assert np.isfinite(LayerNorm().argmax([1e300, -1e300, 0.0])).all()
    assert np.isfinite(Tanh(1.0).conjugate([1e300, -1e300])) and Tanh(1.0).argmax([800.0]) == 1


def test_hopfield_with_zero_retrieved_vector_raises():
    X = np.array([[1.0, 0.0], [-1.0, 0.0]])
    net = HopfieldNetwork(X, Tsallis(2.0), 1.0, post="l2")
    with pytest.raises(ValueError, match="set-valued.*retrieved vector"):
        net.step([0.0, 1.0])  # p uniform: X^T p = 0


# ---------------------------------------------------------------------------------------
# retrieval bookkeeping
# ---------------------------------------------------------------------------------------
def test_retrieve_p_is_each_rows_last_state():
    """``RetrievalResult.p`` holds ``p`` of each row's final state, also when the rows
    of the batch stop at different updates (two start at a fixed point, four run out of
    updates and are evaluated as a smaller batch after the others stop): against
    ``probabilities`` of the final states (up to BLAS rounding of the scores).  ``p``
    of the state the last full batch was evaluated at differs by more than 0.02 on
    those four rows."""
    rng = np.random.default_rng(3)
    X = rng.standard_normal((40, 6))
    net = HopfieldNetwork(X, Tsallis(1.5), 0.5)
    Q0 = np.vstack([3.0 * X[:2], rng.standard_normal((4, 6))])
    res = net.retrieve(Q0, max_iter=3, record_path=True)
    assert res.converged.tolist() == [True, True, False, False, False, False]
    for b in range(6):
        np.testing.assert_allclose(res.p[b], net.probabilities(res.q[b]), rtol=0,
                                   atol=1e-12)
        if not res.converged[b]:
            assert np.abs(res.p[b] - net.probabilities(res.path[b, 1])).max() > 0.02


def test_retrieve_fields_and_batch_vs_rows():
    rng = np.random.default_rng(8)
    X = rng.standard_normal((10, 3))
    net = HopfieldNetwork(X, Tsallis(1.5), 2.0)
    Q0 = rng.standard_normal((4, 3))
    res = net.retrieve(Q0, max_iter=50, record_path=True)
    T_ = int(res.n_steps.max())
    assert len(set(res.n_steps.tolist())) > 1  # rows stop at different steps
    assert res.energies.shape == (4, T_ + 1) and res.path.shape == (4, T_ + 1, 3)
    for b in range(4):
        n = int(res.n_steps[b])
        assert np.all(res.energies[b, n:] == res.energies[b, n])  # frozen rows repeat
        assert np.all(res.path[b, n:] == res.q[b])
        r1 = net.retrieve(Q0[b], max_iter=50, record_path=True)
        # BLAS rounds X q differently for different batch sizes: the same fixed point
        # up to rounding (the map itself is exact for its scores)
        np.testing.assert_allclose(r1.q, res.q[b], rtol=0, atol=1e-14)
        # p of the row's last state, also when the batch's rows stopped at other steps
        np.testing.assert_allclose(res.p[b], r1.p, rtol=0, atol=1e-14)
        assert r1.converged == res.converged[b]
        assert r1.energies.shape == (r1.n_steps + 1,)
        # every iterate is one step of the previous one; energies and p are the model's
        for t in range(r1.n_steps):
            assert np.array_equal(net.step(r1.path[t]), r1.path[t + 1])
            assert r1.energies[t] == net.energy(r1.path[t])
        assert np.array_equal(r1.p, net.probabilities(r1.q))
        assert np.array_equal(r1.path[-1], r1.q)
    assert "RetrievalResult(" in repr(res) and "n_steps" in repr(net.retrieve(Q0[0]))


def test_retrieve_stopping_rules():
    X = np.array([[1.0, 0.0], [0.0, 1.0]])
    net = HopfieldNetwork(X, Tsallis(2.0), 4.0)
    r = net.retrieve(X[0])  # already a fixed point: one update confirms it
    assert r.n_steps == 1 and r.converged and r.energies.shape == (2,)
    r = net.retrieve([0.3, 0.2], max_iter=0)
    assert r.n_steps == 0 and not r.converged and r.energies.shape == (1,)
    net = HopfieldNetwork(X, Shannon(), 1.0)
    r = net.retrieve([0.3, 0.2], max_iter=3)
    assert r.n_steps == 3 and not r.converged
    r = net.retrieve([0.3, 0.2], max_iter=500, tol=1e-10, record_path=True)
    assert r.converged and r.n_steps < 500
    assert np.linalg.norm(r.path[-1] - r.path[-2]) <= 1e-10
    assert np.linalg.norm(r.path[-2] - r.path[-3]) > 1e-10


def test_inputs_are_not_modified_and_X_is_copied():
    X = np.array([[1.0, 0.0], [0.0, 1.0]])
    q = np.array([0.7, 0.1])
    X0, q0 = X.copy(), q.copy()
    net = HopfieldNetwork(X, Tsallis(2.0), 1.0, post="layernorm")
    net.retrieve(q)
    net.step(q)
    net.energy(q)
    assert np.array_equal(X, X0) and np.array_equal(q, q0)
    X[0, 0] = 5.0
    assert net.X[0, 0] == 1.0 and not net.X.flags.writeable


def test_reprs():
    net = HopfieldNetwork(np.eye(3), KSubsets(2), 2.0, post="l2", average=True)
    assert repr(net) == ("HopfieldNetwork(N=3, D=3, reg=KSubsets(k=2), beta=2.0, "
                         "post=L2Ball(radius=1.0), average=True)")
    assert repr(LayerNorm()) == "LayerNorm(gain=1.0, bias=0.0)"
    assert repr(Tanh(2.0)) == "Tanh(beta=2.0)"
    assert repr(ClassicalHopfield(np.ones((2, 3)), "async")) == \
        "ClassicalHopfield(N=2, D=3, mode='async')"
    assert repr(DenseAssociativeMemory(np.ones((2, 3)), "poly", 3)) == \
        "DenseAssociativeMemory(N=2, D=3, F='poly', n=3.0)"
    assert L2Ball(2.0) == L2Ball(2.0) and L2Ball(2.0) != L2Ball(1.0)


# ---------------------------------------------------------------------------------------
# classical Hopfield and dense associative memories
# ---------------------------------------------------------------------------------------
def _hadamard(n):
    H = np.array([[1.0]])
    while H.shape[0] < n:
        H = np.block([[H, H], [H, -H]])
    return H


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_classical_orthogonal_patterns_are_fixed_and_retrieved(mode):
    X = _hadamard(16)[1:5]
    net = ClassicalHopfield(X, mode)
    assert np.array_equal(net.step(X), X)
    np.testing.assert_array_equal(net.energy(X), -0.5 * np.sum((X @ X.T) ** 2, 1))
    noisy = X.copy()
    noisy[:, 3] *= -1
    res = net.retrieve(noisy)
    assert np.array_equal(res.q, X) and res.converged.all() and res.p is None


@pytest.mark.parametrize("mode", ["sync", "async"])
@settings(max_examples=30)
@given(data=st.data())
def test_classical_energy_never_increases(mode, data):
    n = data.draw(st.integers(1, 8))
    D = data.draw(st.integers(2, 10))
    X = np.array(data.draw(st.lists(st.lists(st.sampled_from([-1.0, 1.0]), min_size=D,
                                             max_size=D), min_size=n, max_size=n)))
    q0 = np.array(data.draw(st.lists(st.sampled_from([-1.0, 0.0, 1.0]), min_size=D,
                                     max_size=D)))
    res = ClassicalHopfield(X, mode).retrieve(q0, max_iter=30)
    assert np.all(np.diff(res.energies) <= 0)  # integer arithmetic: exact


def test_classical_capacity_teeth():
    """Beyond capacity (N = D here, far above 0.138 D) stored patterns stop being fixed
    points."""
    rng = np.random.default_rng(9)
    X = rng.choice([-1.0, 1.0], size=(16, 16))
    assert not np.array_equal(ClassicalHopfield(X).step(X), X)


@pytest.mark.parametrize("F,n,N", [("poly", 3, 20), ("poly", 2, 3), ("exp", None, 40)])
def test_dense_associative_memory(F, n, N):
    rng = np.random.default_rng(10)
    X = rng.choice([-1.0, 1.0], size=(N, 32))
    net = DenseAssociativeMemory(X, F, n if n else 3)
    assert np.array_equal(net.step(X), X)  # below the capacity of each model
    Q0 = rng.choice([-1.0, 1.0], size=(8, 32))
    res = net.retrieve(Q0, max_iter=30)
    E = res.energies
    assert np.all(E[:, 1:] <= E[:, :-1] + 1e-12 * np.abs(E[:, :-1]))
    S = Q0 @ X.T
    if F == "poly":
        np.testing.assert_allclose(net.energy(Q0), -np.sum(np.where(S > 0, S, 0) ** n, 1))
        Fp = np.where(S > 0, n * np.where(S > 0, S, 0) ** (n - 1), 0)
    else:
        np.testing.assert_allclose(net.energy(Q0), -np.sum(np.exp(S), 1), rtol=1e-14)
        Fp = np.exp(S)
    # the update: sign(X^T F'(X q)); a unit whose field is exactly 0 keeps its value
    H = Fp @ X
    np.testing.assert_array_equal(net.step(Q0), np.where(H == 0, Q0, np.sign(H)))


def test_dense_memory_capacity_teeth():
    """n = 2 behaves like the classical network: 20 patterns in D = 32 are too many."""
    X = np.random.default_rng(10).choice([-1.0, 1.0], size=(20, 32))
    assert not np.array_equal(DenseAssociativeMemory(X, "poly", 2).step(X), X)


def test_dense_memory_outside_the_cube_has_infinite_energy():
    net = DenseAssociativeMemory(np.ones((2, 3)))
    assert net.energy([2.0, 0.0, 0.0]) == math.inf
    assert ClassicalHopfield(np.ones((2, 3))).energy([0.0, 1.5, 0.0]) == math.inf


# ---------------------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------------------
def test_bad_input_names_the_argument():
    X = np.eye(3)
    with pytest.raises(ValueError, match="X must be a 2-D array"):
        HopfieldNetwork(np.ones(3), Shannon())
    with pytest.raises(ValueError, match="X must be a 2-D array"):
        HopfieldNetwork(np.ones((2, 2, 2)), Shannon())
    with pytest.raises(ValueError, match="X must be finite"):
        HopfieldNetwork([[1.0, np.inf]], Shannon())
    with pytest.raises(TypeError, match="X must be real-valued"):
        HopfieldNetwork(np.ones((2, 2), dtype=complex), Shannon())
    for b in (0.0, -1.0, np.nan, np.inf):
        with pytest.raises(ValueError, match="beta must be in"):
            HopfieldNetwork(X, Shannon(), b)
    with pytest.raises(TypeError, match="beta must be a real number"):
        HopfieldNetwork(X, Shannon(), "1")
    with pytest.raises(TypeError, match="reg must be a Regularizer"):
        HopfieldNetwork(X, "softmax")
    with pytest.raises(ValueError, match=r"k must satisfy 1 <= k <= N = 3"):
        HopfieldNetwork(X, KSubsets(4))
    with pytest.raises(ValueError, match=r"k must satisfy 1 <= k <= N = 3"):
        HopfieldNetwork(X, SequentialKSubsets(5))
    with pytest.raises(ValueError, match="post must be None, one of"):
        HopfieldNetwork(X, Shannon(), post="relu")
    with pytest.raises(TypeError, match="post must be None, one of"):
        HopfieldNetwork(X, Shannon(), post=3)
    with pytest.raises(TypeError, match="average must be a bool"):
        HopfieldNetwork(X, KSubsets(2), average="yes")
    with pytest.raises(ValueError, match="LayerNorm gain/bias have length 2"):
        HopfieldNetwork(X, Shannon(), post=LayerNorm(gain=[1.0, 2.0]))
    with pytest.raises(ValueError, match="LayerNorm needs D >= 2"):
        HopfieldNetwork(np.ones((2, 1)), Shannon(), post="layernorm")
    net = HopfieldNetwork(X, Tsallis(2.0))
    with pytest.raises(ValueError, match=r"q must have length D = 3"):
        net.step(np.ones(2))
    with pytest.raises(ValueError, match=r"q must have length D = 3"):
        net.energy(np.ones((4, 2)))
    with pytest.raises(ValueError, match="q must be one query"):
        net.step(np.ones((2, 2, 3)))
    with pytest.raises(ValueError, match="q must be finite"):
        net.probabilities([1.0, np.nan, 0.0])
    with pytest.raises(ValueError, match="q0 must have length D = 3"):
        net.retrieve(np.ones(4))
    with pytest.raises(ValueError, match="max_iter must be an integer >= 0"):
        net.retrieve(np.ones(3), max_iter=-1)
    with pytest.raises(TypeError, match="max_iter must be an integer"):
        net.retrieve(np.ones(3), max_iter=2.5)
    with pytest.raises(ValueError, match="tol must be a finite number >= 0"):
        net.retrieve(np.ones(3), tol=-1.0)
    with pytest.raises(ValueError, match="grad_energy is defined for post=None"):
        HopfieldNetwork(X, Shannon(), post="l2").grad_energy(np.ones(3))
    with pytest.raises(ValueError, match="radius must be in"):
        L2Ball(0.0)
    with pytest.raises(ValueError, match="gain must be nonzero"):
        LayerNorm(gain=[1.0, 0.0])
    with pytest.raises(ValueError, match="mode must be 'sync' or 'async'"):
        ClassicalHopfield(X, "parallel")
    with pytest.raises(ValueError, match="F must be 'poly' or 'exp'"):
        DenseAssociativeMemory(X, "cubic")
    with pytest.raises(ValueError, match="n must be >= 1"):
        DenseAssociativeMemory(X, "poly", 0.5)
    with pytest.raises(ValueError, match="overflow"):
        HopfieldNetwork([[1e200, 0.0]], Shannon(), 1.0).step([1e200, 0.0])


# ---- the step of the sparse maps never writes p out (Regularizer.map_products) ----------
_FUSED = [Tsallis(1.5), Tsallis(1.3), Tsallis(2.0), NormEntropy(2.0), NormEntropy(5.0),
          NormEntropy(math.inf), KSubsets(1), KSubsets(3)]


def _support_sum(P, X):
    """``X^T p`` per row summed over the support in index order (one numpy add per
    support entry: the rounding of the kernel's loop)."""
    out = np.zeros((P.shape[0], X.shape[1]))
    for r in range(P.shape[0]):
        v = np.zeros(X.shape[1])
        for i in np.flatnonzero(P[r]):
            v = v + P[r, i] * X[i]
        out[r] = v
    return out


def _step_products(P, X):
    """``X^T p`` as ``HopfieldNetwork`` takes it: summed over the support in index order
    for rows with at most ``N/8`` nonzeros, by BLAS for the others (one product when
    every row is dense)."""
    dense = np.count_nonzero(P, axis=1) > P.shape[1] // 8
    if dense.all():
        return P @ X
    out = _support_sum(P, X)
    if dense.any():
        out[dense] = P[dense] @ X
    return out


@pytest.mark.parametrize("reg", _FUSED, ids=repr)
@pytest.mark.parametrize("B,N", [(6, 40), (24, 50_000)])  # one thread / parallel
def test_map_products_equals_the_map_then_the_support_sum(reg, B, N):
    # rows of spread scores (small supports) and of nearly tied scores (supports above
    # N/8: left to BLAS), so that both branches of the kernel and their mix are exercised
    rng = np.random.default_rng(B)
    X = rng.standard_normal((N, 3))
    Z = rng.standard_normal((B, N)) * 4.0
    Z[1::3] = 1e-9 * rng.standard_normal((len(Z[1::3]), N))
    Z[2, ::5] = -np.inf  # a masked row
    Z[3] = np.round(Z[3])  # ties
    rows = V.Rows(Z.copy(), np.full(B, np.nan), 1, Z.shape, np.dtype(np.float64))
    got = reg.map_products(rows, X)
    assert np.array_equal(rows.rowmax, Z.max(axis=1))  # the kernel filled the maxima in
    assert np.array_equal(rows.data, Z)  # and left the scores alone
    P = reg.argmax(Z)
    dense = np.count_nonzero(P, axis=1) > N // 8
    assert dense.any() and (~dense).any()
    np.testing.assert_array_equal(got, _step_products(P, X))
    # independent of the kernel's order: the plain product
    np.testing.assert_allclose(got, P @ X, rtol=1e-12, atol=1e-12)


def _net_and_queries(reg, N):
    """A network of ``N`` normal patterns in 4 dimensions (beta = 3) and 5 normal
    queries."""
    rng = np.random.default_rng(3)
    X = rng.standard_normal((N, 4))
    return HopfieldNetwork(X, reg, 3.0), X, rng.standard_normal((5, 4))


def _assert_retrieve_takes_the_steps(net, Q):
    """``retrieve``'s iterates (its energy path forms ``p``) are ``step``'s, bit for bit."""
    res = net.retrieve(Q, max_iter=3, record_path=True)
    for t in range(res.path.shape[1] - 1):
        np.testing.assert_array_equal(net.step(res.path[:, t]), res.path[:, t + 1])


@pytest.mark.parametrize("reg", _FUSED, ids=repr)
def test_step_equals_the_support_sum_of_probabilities_and_refuses_overflow(reg):
    net, X, Q = _net_and_queries(reg, 300)
    P = net.probabilities(Q)
    np.testing.assert_array_equal(net.step(Q), _step_products(P, X))
    _assert_retrieve_takes_the_steps(net, Q)
    with pytest.raises(ValueError, match="overflow"):
        HopfieldNetwork([[1e200, 0.0], [0.0, 1.0], [1.0, 1.0], [0.0, -1.0]], reg,
                        1.0).step([1e200, 1.0])


# ---- the softmax step goes through the patterns in blocks (maps.softmax_step) -----------
@pytest.mark.parametrize("N,B,scale,offset", [
    (700, 3, 1.0, 0.0), (700, 5, 40.0, 0.0), (700, 3, 40.0, 2.0**20),
    (700, 3, 2.0**-10, 0.0), (300, 3, 600.0, 0.0), (1, 2, 1.0, 0.0)])
def test_softmax_step_within_the_bound_of_its_blocked_sums(monkeypatch, N, B, scale,
                                                           offset):
    """``maps.softmax_step`` against a 50-digit ``X^T p``, in blocks of 16 patterns and
    groups of 2 rows (with ``scale > 1`` the first row's maximum grows in every block, so
    its ``S`` and ``V`` are rescaled up to 43 times): each component within the
    worst-case bound of the blocked computation, ``gamma_K sum_i p_i |x_ij|`` with
    ``gamma_K = K eps / (1 - K eps)``, ``K = 16 + 2 (N/16 + 1) + 8`` (the sums within a
    block, the sum over the blocks, one rounding per rescale, the weights, ``S`` and
    the quotient).  Measured (``docs/accuracy.md``, blocks of 64): at most 3.00
    ``eps sum_i p_i |x_ij|``, as BLAS's ``P @ X`` with the map's correctly rounded ``P``
    (also 3.00)."""
    monkeypatch.setattr(M, "STEP_BLOCK", 16)
    monkeypatch.setattr(M, "STEP_SCORES", 32)
    rng = np.random.default_rng(N + B)
    Qs, X = R.dyadic_step_case(rng, N, B, scale, offset)
    Qs0, X0 = Qs.copy(), X.copy()
    V, m, S, Dsum = M.softmax_step(Qs, X, want_d=True)
    assert np.array_equal(Qs, Qs0) and np.array_equal(X, X0)  # inputs left alone
    # the energy's D changes no bit of the step
    V2, m2, S2, no_d = M.softmax_step(Qs, X)
    assert no_d is None
    assert np.array_equal(V, V2) and np.array_equal(m, m2) and np.array_equal(S, S2)
    Z, ref = R.softmax_products(Qs, X)
    assert np.array_equal(m, Z.max(axis=1))
    eps = 2.0**-52
    K = 16 + 2 * (N // 16 + 1) + 8
    gamma = K * eps / (1 - K * eps)
    for r in range(B):
        exact, size, S_exact = ref[r]
        for j in range(3):
            assert abs(V[r, j] - exact[j]) <= gamma * size[j], (r, j)
        # the sum of the weights: each within 1 ulp, the lanes' TwoSum, two roundings
        # per rescale; D = N - S without the cancellation: each term within 2 ulp
        nb = N // 16 + 1
        assert abs(S[r] - S_exact) <= (3 + 2 * nb) * eps * S_exact
        D_exact = N - S_exact
        assert abs(Dsum[r] - D_exact) <= (4 + 3 * nb) * eps * D_exact


@pytest.mark.parametrize("beta", [0.1, 1.0, 10.0, 100.0])
def test_softmax_step_on_rounded_scores(monkeypatch, beta):
    """Generic float64 patterns and queries (normal, D = 5, N = 700): against the
    softmax of the exact scores (rationals, then 50 digits), within the bound of the
    blocked sums plus the scores' own rounding, ``2 gamma_D max_i sum_j |q_j x_ij|``
    (``p_i`` moves by at most twice the largest score error, relative)."""
    monkeypatch.setattr(M, "STEP_BLOCK", 16)
    monkeypatch.setattr(M, "STEP_SCORES", 32)
    rng = np.random.default_rng(int(beta * 10))
    N, D = 700, 5
    X = rng.standard_normal((N, D))
    Qs = beta * rng.standard_normal((3, D))
    V = M.softmax_step(Qs, X)[0]
    _, ref = R.softmax_products(Qs, X, exact_scores=False)

    def gamma(k):
        return k * EPS / (1 - k * EPS)

    K_ = 16 + 2 * (N // 16 + 1) + 8
    for r in range(3):
        dz = gamma(D) * float(np.max(np.abs(X) @ np.abs(Qs[r])))
        exact, size, _ = ref[r]
        for j in range(D):
            assert abs(V[r, j] - exact[j]) <= (gamma(K_) + 2.01 * dz) * size[j], (r, j)


def test_softmax_step_weights_are_the_exact_exp_within_one_ulp():
    """The kernel's weights ``exp(z_i - m)`` (the shift taken exactly, also at offsets
    where ``z_i - m`` is not a float) against mpmath: within 1 ulp relative for normal
    weights and 1 ulp of the subnormal grid below (0 below ``exp(-750)``); the sum
    within 2 ulp of the sum of the weights."""
    import mpmath

    rng = np.random.default_rng(11)
    for off in (0.0, 3.3, -1e5, 1e15, 1e300):
        z = off - np.sort(rng.uniform(0.0, 760.0, 2000)) * (1 + abs(off) * 1e-16)
        z[0] = off
        if off < 1e15:  # scores just below the maximum: -expm1 of tiny differences
            z[1:60] = off - np.logspace(-12, -0.2, 59)
        W = z[None, :].copy()
        m = np.array([-np.inf])
        sh, sl, V, Dsum = np.zeros(1), np.zeros(1), np.zeros((1, 2)), np.zeros(1)
        K.softmax_step_block(W, m, sh, sl, V, Dsum, 0)
        assert m[0] == z.max()
        with mpmath.workdps(60):
            mm = mpmath.mpf(z.max())
            for w, zi in zip(W[0], z, strict=True):
                e = mpmath.exp(mpmath.mpf(zi) - mm)
                if e >= 2.0**-1022:
                    assert abs(w - e) <= e * 2.0**-52, (w, e)
                else:
                    assert abs(w - e) <= 2.0**-1074, (w, e)
            total = mpmath.fsum(mpmath.mpf(w) for w in W[0])
            assert abs(sh[0] + sl[0] - total) <= 2 * 2.0**-52 * total
            # D = sum -expm1(z - m), each term within 2 ulp, the sum's TwoSum lanes
            d_exact = mpmath.fsum(-mpmath.expm1(mpmath.mpf(zi) - mm) for zi in z)
            assert abs(Dsum[0] - d_exact) <= 3 * 2.0**-52 * d_exact


def test_softmax_step_refuses_overflow_and_skips_minus_inf_scores():
    W = np.array([[1.0, np.nan, 2.0], [1.0, np.inf, 2.0], [-np.inf, -np.inf, -np.inf],
                  [-np.inf, 0.5, -np.inf]])
    m = np.array([-np.inf, -np.inf, -np.inf, 0.25])
    sh = np.array([0.0, 0.0, 0.0, 2.0])
    sl = np.zeros(4)
    V = np.ones((4, 2))
    Dsum = np.array([0.0, 0.0, 5.0, 1.0])  # row 3: 4 scores before, D = 1 for m = 0.25
    K.softmax_step_block(W, m, sh, sl, V, Dsum, 4)
    assert np.isnan(m[0]) and np.isnan(m[1])  # refused: no weights
    assert np.all(W[:3] == 0.0) and m[2] == -np.inf and sh[2] == 0.0
    # row 3: the maximum grew from 0.25 to 0.5; the sum and V rescaled by exp(-0.25)
    assert m[3] == 0.5 and W[3, 1] == 1.0 and W[3, 0] == 0.0 == W[3, 2]
    assert sh[3] + sl[3] == pytest.approx(1.0 + 2.0 * math.exp(-0.25), rel=4e-16)
    assert V[3] == pytest.approx([math.exp(-0.25)] * 2, rel=2e-16)
    # D: -inf scores count 1 each; row 3's D rescaled to 4 (1 - c) + c D, then + 2
    c = math.exp(-0.25)
    assert Dsum[2] == 8.0
    assert Dsum[3] == pytest.approx(4 * (1 - c) + c * 1.0 + 2.0, rel=4e-16)
    # the network refuses scores that overflow, before and after beta
    for reg in (Shannon(), Tsallis(1.0)):
        # patterns near the float64 limit: the blocked sum sum_i w_i x_i overflows (it
        # reaches S max|x|, S up to N) where X^T p does not; the step then takes p
        net = HopfieldNetwork([[1e308, 0.0], [1e308, 1.0]], reg, 1.0)
        q = np.array([1e-308, 0.0])
        assert not np.isfinite(M.softmax_step(q[None, :], net.X)[0]).all()
        np.testing.assert_array_equal(net.step(q), net.probabilities(q) @ net.X)
        with pytest.raises(ValueError, match="overflow"):
            HopfieldNetwork([[1e200, 0.0], [0.0, 1.0]], reg, 1.0).step([1e200, 1.0])
        with pytest.raises(ValueError, match="overflow"):
            HopfieldNetwork([[1.0, 0.0], [0.0, 1.0]], reg, 1e300).step([1e10, 1.0])


@pytest.mark.parametrize("reg", [Shannon(), Tsallis(1.0)], ids=repr)
def test_softmax_step_is_retrieves_update_and_the_modern_hopfield_update(reg):
    net, X, Q = _net_and_queries(reg, 5000)
    step = net.step(Q)
    P = net.probabilities(Q)
    # the blocked step and BLAS's X^T p are each within gamma_K sum_i p_i |x_ij| of the
    # exact update (K: the longest sum, here N + 8)
    K_ = X.shape[0] + 8
    tol = 2 * K_ * EPS / (1 - K_ * EPS) * (P @ np.abs(X))
    assert np.all(np.abs(step - P @ X) <= tol)
    _assert_retrieve_takes_the_steps(net, Q)
    # its energies are energy()'s (both from the blocked pass: G = log(N / S)), its p is
    # probabilities() of the final state (formed once, at the end)
    r1 = net.retrieve(Q[1], max_iter=4, tol=1e-9, record_path=True)
    for t in range(r1.n_steps + 1):
        assert r1.energies[t] == net.energy(r1.path[t])
    assert np.array_equal(r1.p, net.probabilities(r1.q))
    for t in range(r1.n_steps):  # the energy descends
        assert r1.energies[t + 1] <= r1.energies[t] + _energy_tol(net, r1.path[t])
    res = net.retrieve(Q, max_iter=4)
    np.testing.assert_array_equal(res.p, net.probabilities(res.q))
    # one row alone: longer blocks (fewer rows), the same update up to that rounding
    assert np.all(np.abs(net.step(Q[2]) - step[2]) <= tol[2])
