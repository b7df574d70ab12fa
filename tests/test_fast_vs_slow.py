"""Every fast map against the independent slow path (hfy_reference.slow).

Inputs come from :mod:`hfy_reference.testing.strategies` (exact ties, ``-inf`` masks,
scales 1e-8 ... 1e8, N = 1 ... 40), plus a few fixed large cases (N = 100 ... 500:
SLSQP is O(N^3) per iteration, so large N stays out of the generated inputs).

Tolerances, derived and never tuned:

* maps: ``|p_fast - p_slow| <= error_estimate + 4 eps``.  ``error_estimate`` is the
  slow path's documented bound on its own error for that input (the last Newton step
  plus ``|J| dg``, the map's Jacobian times the rounding of the gradients; measured in
  ``tests/test_slow.py`` against closed forms and the 50-digit reference); ``4 eps``
  is the fast maps' documented accuracy (each entry the exact solution rounded once,
  a few ulps of 1).
* Fenchel-Young losses: both sides evaluate ``<z - max z, p_hat - y> - Omega(p_hat) +
  Omega(y)``; each term is rounded with a relative error of a few ulps, so the bound is
  ``16 eps (1 + sum_i |z_i - max z| (p_i + y_i) + |Omega(p)| + |Omega(y)|)``.  The slow
  path's error in ``p`` moves the optimal value only to second order,
  ``sum_i h_i dp_i^2 / 2`` with ``h`` the Hessian diagonal and ``dp_i <~ dg_i / h_i``,
  i.e. ``sum_i dg_i^2 / h_i``: below the rounding of the sums.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, note
from hypothesis import strategies as st

import hfy_reference as H
from hfy_reference import slow
from hfy_reference.testing import strategies as hst

EPS = float(np.finfo(np.float64).eps)
FAST_TOL = 4 * EPS
MAXN = 40
MAXN_LOSS = 20  # the loss is checked on top of the map: shorter vectors suffice


def assert_close(p_fast, sol, what=""):
    p_fast = np.asarray(p_fast, dtype=float)
    err = float(np.max(np.abs(p_fast - sol.p)))
    tol = sol.error_estimate + FAST_TOL
    assert err <= tol, (
        f"{what}: fast and slow differ by {err:.3e} > {tol:.3e} (slow error estimate "
        f"{sol.error_estimate:.3e});\n fast {p_fast!r}\n slow {sol.p!r}"
    )


def n_finite(z) -> int:
    return int(np.isfinite(z).sum())


# ---------------------------------------------------------------------------------------
# the maps, on generated inputs
# ---------------------------------------------------------------------------------------
@given(z=hst.score_vectors(max_size=MAXN))
def test_softmax(z):
    assert_close(H.softmax(z), slow.solve(z, "softmax"), "softmax")


@given(z=hst.score_vectors(max_size=MAXN))
def test_sparsemax(z):
    assert_close(H.sparsemax(z), slow.solve(z, "sparsemax"), "sparsemax")


@given(z=hst.score_vectors(max_size=MAXN), alpha=hst.entmax_alphas(max_alpha=5.0))
def test_entmax(z, alpha):
    assert_close(H.entmax(z, alpha), slow.solve(z, "entmax", alpha=alpha), f"entmax {alpha}")


def assert_same_value(p_fast, z, sol, which, prm):
    """The objective ``<z, p> - Omega(p)`` at the fast solution equals the slow optimal
    value (used for the LPs, where it is linear in ``p``: no second-order slack).
    Rounding: a few ulps of ``1 + |max z| + sum_i |z_i - max z| p_i``; when the LP left
    a near-tie unresolved (``error_estimate > 0``) also its 1e-10 tolerance, scaled."""
    fin = np.isfinite(z)
    zmax = float(np.max(z[fin]))
    zs = np.where(fin, z - zmax, 0.0)
    pf = np.asarray(p_fast, dtype=float)
    val = zmax * math.fsum(pf) + math.fsum(zs * pf) - slow.omega(pf, which, **prm)
    tol = 16 * EPS * (1.0 + abs(zmax) + float(np.sum(np.abs(zs) * pf)))
    if sol.error_estimate > 0:
        tol += 1e-9 * (1.0 + float(np.ptp(z[fin])))
    assert abs(val - sol.value) <= tol, f"{which}: value {val!r} vs slow {sol.value!r}"


@given(z=hst.score_vectors(max_size=MAXN), alpha=hst.normmax_alphas(max_alpha=5.0))
def test_normmax(z, alpha):
    sol = slow.solve(z, "normmax", alpha=alpha)
    pf = H.normmax(z, alpha)
    assert_close(pf, sol, f"normmax {alpha}")
    if math.isinf(alpha):
        assert sol.error_estimate == 0.0  # the LP's vertex is certified exact
        assert_same_value(pf, z, sol, "normmax", {"alpha": alpha})


@given(z=hst.score_vectors(max_size=MAXN))
def test_argmax(z):
    sol = slow.solve(z, "argmax")
    pf = H.argmax(z)
    assert_close(pf, sol, "argmax")
    assert_same_value(pf, z, sol, "argmax", {})


@given(z=hst.score_vectors(max_size=MAXN), data=st.data())
def test_sparsemap_ksubsets(z, data):
    k = data.draw(st.integers(1, n_finite(z)), label="k")
    assert_close(H.sparsemap_ksubsets(z, k), slow.solve(z, "sparsemap_ksubsets", k=k),
                 f"k-subsets k={k}")


@st.composite
def feasible_caps(draw, z):
    """Upper bounds in [0, 1] or inf whose unmasked entries sum to >= 1, by
    construction (scaled up when short), some of them binding."""
    n = len(z)
    u = np.array(draw(st.lists(
        st.one_of(st.floats(0.0, 1.0), st.just(np.inf), st.just(0.0)), min_size=n, max_size=n)))
    fin = np.isfinite(z)
    total = float(np.sum(np.where(fin, u, 0.0)))
    if total < 1.0:
        pos = fin & (u > 0)
        if pos.any():
            u[pos] *= 1.0 / float(np.sum(u[pos])) * draw(st.sampled_from([1.0, 1.1, 2.0]))
        else:
            u[np.flatnonzero(fin)[0]] = draw(st.sampled_from([1.0, np.inf]))
        # the scaling rounds: nudge the largest bound up until the exact sum reaches 1
        j = int(np.argmax(np.where(fin, u, -1.0)))
        while math.fsum(u[fin]) < 1.0 or float(np.sum(u[fin])) < 1.0:
            u[j] = np.nextafter(u[j], np.inf)
    return u


@given(z=hst.score_vectors(max_size=MAXN), data=st.data())
def test_constrained_sparsemax(z, data):
    u = data.draw(feasible_caps(z), label="upper")
    assert_close(H.constrained_sparsemax(z, u),
                 slow.solve(z, "constrained_sparsemax", upper=u), "constrained")


# ---------------------------------------------------------------------------------------
# Fenchel-Young losses
# ---------------------------------------------------------------------------------------
def _loss_tol(z, y, sol, which, prm):
    fin = np.isfinite(z)
    zs = np.where(fin, z - np.max(z[fin]), 0.0)
    terms = np.sum(np.abs(zs) * (sol.p + y)) + abs(sol.omega) + abs(slow.omega(y, which, **prm))
    return 16 * EPS * (1.0 + terms)


def _point(draw, z, k=1):
    """A point of the domain supported on the unmasked entries: for k = 1 a simplex
    point (corners and faces included); for k > 1 a mix of two k-subset indicators."""
    fin = np.flatnonzero(np.isfinite(z))
    y = np.zeros(len(z))
    if k == 1:
        y[fin] = draw(hst.simplex_points(len(fin)))
        return y
    a = draw(st.permutations(list(fin)))[:k]
    b = draw(st.permutations(list(fin)))[:k]
    t = draw(st.sampled_from([0.0, 0.25, 0.5, 1.0]))
    y[a] += t
    y[b] += 1.0 - t
    return y


LOSS_CASES = [
    ("softmax", {}, lambda: H.Shannon()),
    ("entmax", {"alpha": 1.5}, lambda: H.Tsallis(1.5)),
    ("entmax", {"alpha": 1.1}, lambda: H.Tsallis(1.1)),
    ("entmax", {"alpha": 3.0}, lambda: H.Tsallis(3.0)),
    ("sparsemax", {}, lambda: H.Tsallis(2.0)),
    ("normmax", {"alpha": 2.0}, lambda: H.NormEntropy(2.0)),
    ("normmax", {"alpha": 4.0}, lambda: H.NormEntropy(4.0)),
    ("normmax", {"alpha": np.inf}, lambda: H.NormEntropy(np.inf)),
]


@given(z=hst.score_vectors(max_size=MAXN_LOSS), case=st.sampled_from(LOSS_CASES), data=st.data())
def test_fy_loss(z, case, data):
    which, prm, make = case
    y = _point(data.draw, z)
    note(f"y = {y!r}")
    fast = float(make().loss(z, y))
    sol = slow.solve(z, which, **prm)
    ref = slow.fy_loss(z, y, which, **prm)
    tol = _loss_tol(z, y, sol, which, prm)
    assert abs(fast - ref) <= tol, f"{which} {prm}: fast {fast!r}, slow {ref!r}, tol {tol:.2e}"


@given(z=hst.score_vectors(max_size=MAXN_LOSS), data=st.data())
def test_fy_loss_ksubsets(z, data):
    k = data.draw(st.integers(1, n_finite(z)), label="k")
    y = _point(data.draw, z, k)
    prm = {"k": k}
    fast = float(H.KSubsets(k).loss(z, y))
    sol = slow.solve(z, "sparsemap_ksubsets", **prm)
    ref = slow.fy_loss(z, y, "sparsemap_ksubsets", **prm)
    tol = _loss_tol(z, y, sol, "sparsemap_ksubsets", prm)
    assert abs(fast - ref) <= tol, f"k={k}: fast {fast!r}, slow {ref!r}, tol {tol:.2e}"


@given(z=hst.score_vectors(max_size=MAXN))
def test_conjugate_softmax_is_logsumexp(z):
    # Omega* from the slow optimum against the fast logsumexp
    fast = float(H.logsumexp(z))
    ref = slow.conjugate(z, "softmax")
    assert abs(fast - ref) <= 16 * EPS * (1.0 + abs(fast) + float(np.ptp(z[np.isfinite(z)])))


# ---------------------------------------------------------------------------------------
# fixed cases: large N, large alpha
# ---------------------------------------------------------------------------------------
def _big(n, seed, ties=True, masks=True, scale=1.0):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=n) * scale
    if ties:
        z[rng.integers(n, size=n // 10)] = z[rng.integers(n, size=n // 10)]
        z[rng.integers(n, size=3)] = z.max()
    if masks:
        z[rng.integers(n, size=n // 20)] = -np.inf
    return z


@pytest.mark.parametrize("name,fast,which,prm,n", [
    ("sparsemax", lambda z: H.sparsemax(z), "sparsemax", {}, 500),
    ("k-subsets", lambda z: H.sparsemap_ksubsets(z, 25), "sparsemap_ksubsets", {"k": 25}, 200),
    ("softmax", lambda z: H.softmax(z), "softmax", {}, 120),
    ("1.5-entmax", lambda z: H.entmax(z, 1.5), "entmax", {"alpha": 1.5}, 150),
    ("2-normmax", lambda z: H.normmax(z, 2.0), "normmax", {"alpha": 2.0}, 100),
    ("inf-normmax", lambda z: H.normmax(z, np.inf), "normmax", {"alpha": np.inf}, 300),
    ("constrained", lambda z: H.constrained_sparsemax(z, 0.05), "constrained_sparsemax",
     {"upper": 0.05}, 150),
])
def test_large_n(name, fast, which, prm, n):
    z = _big(n, seed=n + len(name), scale=0.3)
    assert_close(fast(z), slow.solve(z, which, **prm), f"{name} N={n}")


@pytest.mark.parametrize("alpha", [7.0, 10.0, 30.0])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_entmax_large_alpha(alpha, seed):
    # scores of order 1/(alpha - 1), where supports of several entries occur
    rng = np.random.default_rng(seed)
    z = rng.uniform(-1, 1, 12) / (alpha - 1.0)
    z[3] = z[7]
    sol = slow.solve(z, "entmax", alpha=alpha)
    assert_close(H.entmax(z, alpha), sol, f"entmax {alpha}")
    assert (sol.p > 0).sum() >= 2  # the case is not a trivial one-hot
    nsol = slow.solve(z * (alpha - 1.0), "normmax", alpha=alpha)
    assert_close(H.normmax(z * (alpha - 1.0), alpha), nsol, f"normmax {alpha}")


def test_fast_and_slow_share_the_mask_convention():
    z = np.array([-np.inf, 0.4, -np.inf, 0.1, 2.0])
    for name, f, which, prm in [
        ("entmax", lambda z: H.entmax(z, 1.3), "entmax", {"alpha": 1.3}),
        ("normmax", lambda z: H.normmax(z, 3.0), "normmax", {"alpha": 3.0}),
        ("k-subsets", lambda z: H.sparsemap_ksubsets(z, 3), "sparsemap_ksubsets", {"k": 3}),
    ]:
        sol = slow.solve(z, which, **prm)
        assert_close(f(z), sol, name)
        assert np.all(sol.p[[0, 2]] == 0) and np.all(f(z)[[0, 2]] == 0)
    assert math.isinf(slow.fy_loss(z, [0.5, 0.5, 0, 0, 0], "softmax"))
    assert math.isinf(float(H.Shannon().loss(z, [0.5, 0.5, 0, 0, 0])))


def test_fy_loss_softmax_large_scores():
    # found by test_fy_loss: softmax p = (1/2, 0, ..., 0, 1/2) (exp(-1e8) = 0), so the
    # exact loss at y = e_1 is logsumexp(z) - z_1 = log 2
    z = np.array([1e8, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1e8])
    y = np.eye(8)[0]
    assert slow.fy_loss(z, y, "softmax") == pytest.approx(math.log(2.0), abs=4 * EPS)
    fast = float(H.Shannon().loss(z, y))
    # every term of <z - max z, p - y> - Omega(p) + Omega(y) is O(1) here
    tol = _loss_tol(z, y, slow.solve(z, "softmax"), "softmax", {})
    assert tol < 1e-14
    assert abs(fast - math.log(2.0)) <= tol
