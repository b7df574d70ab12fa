"""Learnable α (issue 18): α per row (bitwise equal to row-by-row calls), ∂p/∂α and
∂L/∂α against 50-digit finite differences of the exact map, and dense entmax for
0 < α < 1 against the 50-digit reference and the scipy slow path."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest
import reference as R

import hfy_reference as H
from hfy_reference import alpha as HA

EPS = np.finfo(np.float64).eps
RNG_SEED = 18


def _scores(rng, rows, n, mask=True):
    Z = rng.standard_normal((rows, n)) * rng.choice([0.1, 1.0, 5.0], size=(rows, 1))
    if mask:
        m = rng.random((rows, n)) < 0.15
        m[:, 0] = False
        Z[m] = -np.inf
    # a few exact ties
    Z[::5, 1] = Z[::5, 2]
    return Z


ENTMAX_ALPHAS = np.array([0.2, 0.7, 0.999, 1.0, 1.001, 1.2, 1.5, 2.0, 2.5, 3.0, 7.0, np.inf])
NORMMAX_ALPHAS = np.array([1.0, 1.05, 1.5, 2.0, 3.0, 7.0, np.inf])


# ---- α per row: bitwise equal to one call per row -----------------------------------------
@pytest.mark.parametrize("fam", ["entmax", "normmax"])
def test_per_row_alpha_is_bitwise_row_by_row(fam):
    rng = np.random.default_rng(RNG_SEED)
    Z = _scores(rng, 60, 9)
    alphas = ENTMAX_ALPHAS if fam == "entmax" else NORMMAX_ALPHAS
    A = rng.choice(alphas, size=60)
    Y = np.zeros_like(Z)
    Y[np.arange(60), 0] = 1.0
    Vt = rng.standard_normal(Z.shape)
    mp_, dal, jvp = ((H.entmax, H.entmax_dalpha, HA.entmax_jvp) if fam == "entmax"
                     else (H.normmax, H.normmax_dalpha, HA.normmax_jvp))
    for fn, args in [(mp_, ()), (dal, ()), (jvp, (Vt,))]:
        got = fn(Z, *args, A) if args else fn(Z, A)
        want = np.stack([(fn(Z[r], args[0][r], A[r]) if args else fn(Z[r], A[r]))
                         for r in range(60)])
        assert np.array_equal(got, want), fn.__name__
    # the losses
    loss, dloss = ((H.entmax_loss, H.entmax_loss_dalpha) if fam == "entmax"
                   else (H.normmax_loss, H.normmax_loss_dalpha))
    for fn in (loss, dloss):
        got = fn(Z, Y, A)
        want = np.array([fn(Z[r], Y[r], A[r]) for r in range(60)])
        assert np.array_equal(got, want), fn.__name__


def test_per_row_alpha_matches_the_regularizer_objects():
    """Row by row, the functional API is the Regularizer's result, bitwise."""
    rng = np.random.default_rng(RNG_SEED + 1)
    Z = _scores(rng, 30, 7)
    A = rng.choice([0.5, 1.3, 1.5, 2.0, 4.0], size=30)
    Y = H.softmax(rng.standard_normal(Z.shape) + np.where(np.isinf(Z), -np.inf, 0.0))
    Vt = rng.standard_normal(Z.shape)
    L = H.entmax_loss(Z, Y, A)
    Jv = HA.entmax_jvp(Z, Vt, A)
    for r in range(30):
        reg = H.Tsallis(A[r])
        assert L[r] == reg.loss(Z[r], Y[r])
        assert np.array_equal(Jv[r], reg.jvp(Z[r], Vt[r]))
    A2 = rng.choice([1.0, 1.5, 2.0, 5.0], size=30)
    L2 = H.normmax_loss(Z, Y, A2)
    Jv2 = HA.normmax_jvp(Z, Vt, A2)
    for r in range(30):
        reg = H.NormEntropy(A2[r])
        assert L2[r] == reg.loss(Z[r], Y[r])
        assert np.array_equal(Jv2[r], reg.jvp(Z[r], Vt[r]))


def test_alpha_broadcasting_and_axis():
    rng = np.random.default_rng(RNG_SEED + 2)
    z = rng.standard_normal((2, 6, 3))  # the map acts along axis 1
    a = np.array([[1.2, 1.5, 2.0], [3.0, 0.5, 1.0]])  # shape of z without axis 1
    p = H.entmax(z, a, axis=1)
    for i in range(2):
        for k in range(3):
            assert np.array_equal(p[i, :, k], H.entmax(z[i, :, k], a[i, k]))
    # broadcasting (one alpha per k) and the keepdim layout give the same
    ak = np.array([1.2, 1.5, 2.0])
    assert np.array_equal(H.entmax(z, ak, axis=1), H.entmax(z, np.broadcast_to(ak, (2, 3)),
                                                            axis=1))
    assert np.array_equal(H.entmax(z, a[:, None, :], axis=1), p)
    # an array of one value is the scalar call
    assert np.array_equal(H.entmax(z, np.array([1.5]), axis=1), H.entmax(z, 1.5, axis=1))
    # float32 in, float32 out
    assert H.entmax(z.astype(np.float32), a, axis=1).dtype == np.float32


@pytest.mark.parametrize("bad, exc, msg", [
    (np.array([1.5, 2.0]), ValueError, r"alpha must broadcast against the shape of z"),
    (np.ones((3, 2)), ValueError, r"size 1 along axis 1"),
    (np.array([1.5, np.nan, 2.0]), ValueError, r"alpha must be > 0 .* got nan at 1 entry"),
    (np.array([1.5, -1.0, 2.0]), ValueError, r"got -1.0 at 1 entry \(first at index \(1,\)\)"),
    (np.array([True, False, True]), TypeError, r"alpha must be a real number or an array"),
    (np.array(["1.5"] * 3), TypeError, r"alpha must be a real number or an array"),
])
def test_bad_alpha_arrays(bad, exc, msg):
    z = np.zeros((3, 4))
    with pytest.raises(exc, match=msg):
        H.entmax(z, bad)


def test_alpha_domains():
    z = np.zeros((2, 3))
    with pytest.raises(ValueError, match=r"alpha must be >= 1 .* got 0.5"):
        H.normmax(z, np.array([1.5, 0.5]))
    with pytest.raises(ValueError, match=r"alpha must be > 0"):
        H.entmax([1.0, 2.0], 0.0)
    with pytest.raises(ValueError, match=r"alpha must be >= 1"):
        H.normmax_loss([1.0, 2.0], [1.0, 0.0], 0.5)
    with pytest.raises(ValueError, match="y must have the same shape"):
        H.entmax_loss(z, [1.0, 0.0], np.array([1.5, 2.0]))
    with pytest.raises(ValueError, match="y must lie on the simplex"):
        H.entmax_loss_dalpha([1.0, 2.0], [2.0, -1.0], 1.5)


# ---- dense entmax, 0 < alpha < 1 -------------------------------------------------------------
@pytest.mark.parametrize("alpha", [0.05, 0.5, 0.9, 0.999, 1 - 1e-7])
def test_dense_entmax_is_exact(alpha):
    """Against the 50-digit reference: every entry within one ulp of 1 in absolute
    terms and 4 ulp relative (measured over 480 inputs, alpha from 0.02 to 1 - 1e-9:
    0.505 ulp absolute, 1.85 ulp relative, also on entries near 1e-14 at
    alpha = 1 - 1e-7, where p = b^(-1e7) amplifies every error of the exponent)."""
    rng = np.random.default_rng(RNG_SEED + 3)
    worst_rel = 0.0
    for _ in range(6):
        n = int(rng.integers(2, 9))
        z = rng.standard_normal(n) * rng.choice([0.1, 1.0, 10.0])
        if n > 2:
            z[rng.integers(1, n)] = -np.inf
        p = H.entmax(z, alpha)
        with mp.workdps(50):
            ref = np.array([float(x) for x in R.entmax_mp(z, mp.mpf(alpha))])
        assert np.all(p[np.isfinite(z)] > 0) and np.all(p[~np.isfinite(z)] == 0)
        assert np.max(np.abs(p - ref)) <= EPS
        assert abs(p.sum() - 1.0) <= 4 * EPS
        pos = ref > 0
        worst_rel = max(worst_rel, float(np.max(np.abs(p - ref)[pos] / ref[pos])))
    assert worst_rel <= 4 * EPS


def test_dense_entmax_masks_limits_and_ordering():
    rng = np.random.default_rng(RNG_SEED + 4)
    z = rng.standard_normal(7)
    zm = np.concatenate([z, [-np.inf, -np.inf]])
    for a in (0.3, 0.8):
        p = H.entmax(z, a)
        # masks do not move the others, bitwise
        assert np.array_equal(H.entmax(zm, a)[:7], p)
        # order preserved, strictly (dense, monotone)
        o = np.argsort(z)
        assert np.all(np.diff(p[o]) > 0)
        # shift invariance
        assert np.allclose(H.entmax(z + 1e3, a), p, rtol=1e-12, atol=0)
    # alpha -> 1 from below approaches softmax (continuity), alpha -> 0: p_i -> 1/(s + d_i)
    s = H.softmax(z)
    gaps = [np.max(np.abs(H.entmax(z, 1 - h) - s)) for h in (1e-2, 1e-4, 1e-6)]
    assert gaps[0] > gaps[1] > gaps[2] and gaps[2] < 1e-5
    # huge scores: entries far below underflow to exactly 0, others exact
    p = H.entmax([0.0, -1e300, -1e308], 0.5)
    assert p[0] == 1.0 and p[1] < 1e-299


def test_dense_entmax_kkt_and_threshold_bracket():
    """KKT of the Tsallis program at alpha < 1: z_i - p_i^(alpha-1)/(alpha-1) is the
    same for every unmasked entry (all are interior), to a few ulps of its scale."""
    rng = np.random.default_rng(RNG_SEED + 5)
    for a in (0.2, 0.6, 0.95):
        for _ in range(20):
            z = rng.standard_normal(12) * 3
            p = H.entmax(z, a)
            g = z - p ** (a - 1.0) / (a - 1.0)
            scale = np.max(np.abs(z)) + np.max(np.abs(p ** (a - 1.0) / (a - 1.0)))
            assert np.ptp(g) <= 64 * EPS * scale * (1.0 / (1.0 - a))


def test_dense_entmax_loss_and_jacobian():
    """FY loss: zero iff y = p, gradient p - y (finite differences), Jacobian products
    against finite differences of the map; margin is None (no finite margin)."""
    rng = np.random.default_rng(RNG_SEED + 6)
    reg = H.Tsallis(0.5)
    assert reg.margin is None
    z = rng.standard_normal(6)
    p = H.entmax(z, 0.5)
    assert reg.loss(z, p) <= 1e-15
    y = np.eye(6)[2]
    assert reg.loss(z, y) > 0
    # no finite margin: even a huge gap leaves a positive loss and a dense p
    assert reg.loss([1e3, 0.0], [1.0, 0.0]) > 0 and H.entmax([1e3, 0.0], 0.5)[1] > 0
    h = 1e-6
    grad = np.array([(reg.loss(z + h * e, y) - reg.loss(z - h * e, y)) / (2 * h)
                     for e in np.eye(6)])
    assert np.max(np.abs(grad - (p - y))) < 1e-8
    v = rng.standard_normal(6)
    fd = (H.entmax(z + h * v, 0.5) - H.entmax(z - h * v, 0.5)) / (2 * h)
    assert np.max(np.abs(reg.jvp(z, v) - fd)) < 1e-8
    assert np.max(np.abs(HA.entmax_jvp(z, v, [0.5]) - fd)) < 1e-8


# ---- ∂p/∂α against 50-digit finite differences of the exact map ----------------------------
def _fd_cases():
    rng = np.random.default_rng(RNG_SEED + 7)
    zs = [rng.standard_normal(int(rng.integers(3, 7))) * s for s in (0.3, 1.0, 4.0)]
    zs.append(np.array([1.0, 0.4, -0.3, -np.inf, 0.4]))
    return zs


ENT_FD_ALPHAS = [0.1, 0.6, 0.999, 1 - 1e-7, 1.0, 1 + 1e-7, 1.001, 1.3, 1.5, 2.0, 2.7, 6.0]


@pytest.mark.parametrize("alpha", ENT_FD_ALPHAS)
def test_entmax_dalpha_against_mpmath(alpha):
    """Measured: at most 4 ulp of max(1, |dp/dalpha|) over 40 random inputs per alpha
    (docs/alpha.md); asserted at 8."""
    for z in _fd_cases():
        d = H.entmax_dalpha(z, alpha)
        fd = R.dalpha_fd(R.entmax_mp, z, alpha)
        assert np.max(np.abs(d - fd)) <= 8 * EPS * max(1.0, np.max(np.abs(fd))), (z, alpha)
        assert np.all(d[H.entmax(z, alpha) == 0] == 0)


@pytest.mark.parametrize("alpha", [1.05, 1.5, 2.0, 3.0, 10.0])
def test_normmax_dalpha_against_mpmath(alpha):
    for z in _fd_cases():
        d = H.normmax_dalpha(z, alpha)
        fd = R.dalpha_fd(R.normmax_mp, z, alpha)
        assert np.max(np.abs(d - fd)) <= 8 * EPS * max(1.0, np.max(np.abs(fd))), (z, alpha)


def test_entmax_dalpha_near_a_support_change():
    """z = (0, -g): the second entry enters the support at alpha* = 1 + 1/g.  Just
    above alpha* (in the support, p_2 tiny) and just below, against finite
    differences that do not straddle alpha*; for alpha* < 2 both sides agree (the map
    is differentiable there), for alpha* > 2 the derivative jumps."""
    for g, off in [(2.0, 1e-9), (0.8, 1e-6)]:
        astar = 1.0 + 1.0 / g
        z = np.array([0.0, -g, -5.0])
        for a in (astar - off, astar + off):
            d = H.entmax_dalpha(z, a)
            fd = R.dalpha_fd(R.entmax_mp, z, a, h=mp.mpf(off) / 1000)
            assert np.max(np.abs(d - fd)) <= 1e-9 * max(1.0, np.max(np.abs(fd))), (g, a)
        lo = H.entmax_dalpha(z, astar - off)
        hi = H.entmax_dalpha(z, astar + off)
        if astar < 2.0:
            assert np.max(np.abs(lo - hi)) < 1e-3
        else:
            assert np.max(np.abs(lo - hi)) > 0.1


def test_dalpha_limits():
    z = np.array([0.3, 0.1, -0.2, -np.inf])
    # alpha = 1: the closed-form limit p_i (sum p l^2 - l_i^2) / 2
    p = H.softmax(z)
    lg = np.log(np.where(p > 0, p, 1.0))
    lim = np.where(p > 0, p * (np.sum(p * lg**2) - lg**2) / 2, 0.0)
    assert np.max(np.abs(H.entmax_dalpha(z, 1.0) - lim)) <= 4 * EPS
    # continuity across alpha = 1 (no cancellation blow-up next to it).  Above 1 from
    # 1e-9 on: at alpha = 1 + 1e-12 the map itself (the alpha > 1 engine, first-order
    # correction of pow) is off by 3e-10, which its derivative inherits
    for h in (1e-12, 1e-9, 1e-6):
        if h >= 1e-9:
            assert np.max(np.abs(H.entmax_dalpha(z, 1 + h) - lim)) < 10 * h + 4 * EPS
        assert np.max(np.abs(H.entmax_dalpha(z, 1 - h) - lim)) < 10 * h + 4 * EPS
    # alpha = inf and normmax alpha in {1, inf}: 0; large alpha: exactly 0 past the margin
    assert not np.any(H.entmax_dalpha(z, np.inf))
    assert not np.any(H.normmax_dalpha(z, 1.0)) and not np.any(H.normmax_dalpha(z, np.inf))
    assert not np.any(H.entmax_dalpha(z, 100.0))  # gap 0.2 >= margin 1/99: one-hot
    # sums to zero along the axis
    Z = np.random.default_rng(0).standard_normal((50, 8))
    for a in (0.4, 1.3, 4.0):
        assert np.max(np.abs(H.entmax_dalpha(Z, a).sum(axis=1))) <= 16 * EPS * np.max(
            np.abs(H.entmax_dalpha(Z, a)))


@pytest.mark.parametrize("fam, alpha", [("entmax", 0.4), ("entmax", 1.0), ("entmax", 1.0001),
                                        ("entmax", 1.5), ("entmax", 3.0), ("normmax", 1.2),
                                        ("normmax", 2.0), ("normmax", 4.0)])
def test_loss_dalpha_against_mpmath(fam, alpha):
    rng = np.random.default_rng(RNG_SEED + 8)
    for _ in range(3):
        z = rng.standard_normal(5)
        for y in (np.eye(5)[int(rng.integers(5))], H.softmax(rng.standard_normal(5))):
            if fam == "entmax":
                got = H.entmax_loss_dalpha(z, y, alpha)
                ref = R.loss_dalpha_fd(R.entmax_mp, R.tsallis_omega_mp, z, y, alpha)
            else:
                got = H.normmax_loss_dalpha(z, y, alpha)
                ref = R.loss_dalpha_fd(R.normmax_mp, R.norm_omega_mp, z, y, alpha)
            # measured: 3.3 ulp for alpha >= 1, 36 ulp at alpha = 0.3 (the factor
            # 1/alpha^2 and cancellation among terms of size ~1)
            tol = 8 * EPS * max(1.0, abs(ref)) / min(1.0, alpha) ** 2
            assert abs(got - ref) <= tol, (z, y, alpha)


def test_docstring_examples_run():
    import doctest

    res = doctest.testmod(HA, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert res.attempted >= 7 and res.failed == 0


def test_dense_entmax_against_the_slow_path():
    """The scipy path (SLSQP + Newton on the Tsallis program, no threshold) agrees
    within its error estimate and 2e-16 (measured 1.2e-16 over 200 inputs)."""
    from hfy_reference import slow

    rng = np.random.default_rng(RNG_SEED + 9)
    for _ in range(25):
        n = int(rng.integers(2, 10))
        z = rng.standard_normal(n) * rng.choice([0.01, 1.0, 30.0])
        if n > 2:
            z[rng.integers(1, n)] = -np.inf
        a = float(rng.choice([0.05, 0.5, 0.9, 0.9999]))
        sol = slow.solve(z, "entmax", alpha=a)
        p = H.entmax(z, a)
        err = np.max(np.abs(sol.p - p))
        assert err <= max(2e-16, sol.error_estimate)
        assert abs(slow.fy_loss(z, np.eye(n)[0], "entmax", alpha=a)
                   - H.entmax_loss(z, np.eye(n)[0], a)) <= 1e-13 * (1 + np.ptp(z[np.isfinite(z)]))


# ---- the verifier's claims for alpha < 1 have teeth (negative controls) -----------------------
class _TruncatedDense(H.Tsallis):
    """0.5-entmax with its smallest unmasked entry set to 0 and renormalized."""

    def _map(self, rows):
        P = super()._map(rows).copy()
        Q = np.where(P > 0, P, np.inf)
        P[np.arange(len(P)), np.argmin(Q, axis=1)] = 0.0
        return P / P.sum(axis=1, keepdims=True)


class _MarginDense(H.Tsallis):
    """0.5-entmax that snaps to one-hot beyond a gap of 5 (a fake finite margin)."""

    def _map(self, rows):
        P = super()._map(rows).copy()
        srt = np.sort(rows.data, axis=1)
        big = srt[:, -1] - srt[:, -2] >= 5.0
        P[big] = (rows.data[big] == rows.rowmax[big, None]).astype(float)
        return P


def _run(claim):
    from proofs_check import runner
    from proofs_check.registry import Subject

    with np.errstate(all="ignore"):
        return runner.run_claim(claim, Subject.default(), seed=0, quick=True)


def test_alpha_claims_hold_and_refute_broken_parts():
    from proofs_check.claims import c_alpha
    from proofs_check.registry import MapSpec

    good = MapSpec("0.5-entmax", H.Tsallis(0.5), "tsallis", alpha=0.5)
    for claim in (c_alpha.dense_claim(good), c_alpha.no_margin_claim(good),
                  c_alpha.limit_claim(), c_alpha.dalpha_claim()):
        rec = _run(claim)
        assert rec["status"] == "verified", (claim.id, rec["counterexample"])
        if claim.boundary is not None:
            assert rec["boundary"]["status"] == "fails outside", claim.id
    bad = MapSpec("0.5-entmax", _TruncatedDense(0.5), "tsallis", alpha=0.5)
    assert _run(c_alpha.dense_claim(bad))["status"] == "refuted"
    bad = MapSpec("0.5-entmax", _MarginDense(0.5), "tsallis", alpha=0.5)
    assert _run(c_alpha.no_margin_claim(bad))["status"] == "refuted"
    # a derivative off by 1 %, and a map that ignores alpha below 1 (softmax)
    assert _run(c_alpha.dalpha_claim(
        dalpha=lambda z, a: 1.01 * H.entmax_dalpha(z, a)))["status"] == "refuted"
    assert _run(c_alpha.limit_claim(
        entmax=lambda z, a: H.softmax(z) if a < 1 else H.entmax(z, a)))["status"] == "refuted"


# ---- the oracle's learnable-alpha suite ---------------------------------------------------------
def _own(kind, fam):
    f = getattr(H, fam if kind == "rows" else fam + "_dalpha")

    def run(z, a, g=None):
        out = f(z.astype(np.float64), a[:, 0].astype(np.float64))
        if kind == "alpha_vjp":
            out = np.array([np.sum(r) for r in out * g.astype(np.float64)])
        return out.astype(z.dtype)
    return run


@pytest.mark.parametrize("fam, alpha", [("entmax", 1.5), ("entmax", 0.5), ("entmax", 3.0),
                                        ("normmax", 2.0)])
def test_alpha_oracle_accepts_the_exact_answers(fam, alpha):
    from hfy_reference.testing import check_alpha_backend

    for dt in (np.float64, np.float32):
        for kind in ("rows", "dalpha", "alpha_vjp"):
            rep = check_alpha_backend(_own(kind, fam), f"{fam}_{kind}", alpha=alpha, dtype=dt)
            assert rep.passed, rep.failure_message()


def test_alpha_oracle_rejects_wrong_backends():
    from hfy_reference.testing import assert_alpha_backend_matches, check_alpha_backend

    # 0.1 % off; the alpha-derivative with alpha and 1/alpha swapped in one row
    rep = check_alpha_backend(lambda z, a: 1.001 * H.entmax_dalpha(z, a[:, 0]),
                              "entmax_dalpha", alpha=1.5)
    assert len(rep.failures) == len(rep.results)
    # per-row alpha ignored (the first row's alpha for all rows)
    rep = check_alpha_backend(lambda z, a: H.entmax(z, float(a[0, 0])), "entmax_rows",
                              alpha=1.5, cases="per-row")
    assert rep.failing_cases == ["per-row"]

    # the textbook form ((p - g)/(alpha-1) - (p log p - g L))/(alpha-1) in float32:
    # passes except where it cancels, next to alpha = 1
    def naive32(z, a, g):
        p = H.entmax(z.astype(np.float64), a[:, 0].astype(np.float64)).astype(np.float32)
        c = (a - 1).astype(np.float32)
        with np.errstate(all="ignore"):
            lp = np.where(p > 0, np.log(np.where(p > 0, p, 1)), 0).astype(np.float32)
            gg = np.where(p > 0, np.exp((1 - c) * lp), 0).astype(np.float32)
            gh = gg / gg.sum(1, keepdims=True)
            d = ((p - gh) / c - (p * lp - gh * (p * lp).sum(1, keepdims=True))) / c
        return (d * g).sum(1)

    rep = check_alpha_backend(naive32, "entmax_alpha_vjp", alpha=2.0, dtype=np.float32)
    assert rep.failing_cases == ["near-one"]
    with pytest.raises(AssertionError, match="near-one"):
        assert_alpha_backend_matches(naive32, "entmax_alpha_vjp", alpha=2.0,
                                     dtype=np.float32)
    with pytest.raises(ValueError, match="unknown family"):
        check_alpha_backend(naive32, "entmax_grad", alpha=2.0)
    with pytest.raises(ValueError, match="1 < alpha < inf"):
        check_alpha_backend(naive32, "normmax_rows", alpha=0.5)


def test_pypi_entmax_bisect_alpha_gradient_runs():
    """The PyPI package's entmax_bisect (per-row alpha, alpha-gradient by autograd)
    goes through the suite; the findings are in docs/alpha.md."""
    pytest.importorskip("torch")
    pytest.importorskip("entmax")
    from hfy_reference.testing import _alpha as TA

    res = TA.pypi_run(dtypes=(np.float64,), entmax_alphas=(1.5,), normmax_alphas=())
    assert [r[0] for r in res] == ["entmax_bisect(alpha=1.5, per row)",
                                   "entmax_bisect alpha-grad(alpha=1.5)"]
    for _, _, rep in res:
        assert len(rep.results) == 8 and not any(r.exception for r in rep.results)


def test_dense_threshold():
    """threshold() for 0 < alpha < 1: p_i = ((alpha-1) z_i - tau)^(1/(alpha-1)) on every
    finite entry, and entmax's domain is the same everywhere (alpha > 0)."""
    z = np.array([[0.3, -1.0, 2.0, -np.inf], [1e3, 1e3 - 1, 1e3 + 2, 1e3]])
    for a in (0.3, 0.9):
        tau, n = H.threshold(z, a)
        assert n.tolist() == [3, 4]
        p = H.entmax(z, a)
        with np.errstate(divide="ignore"):
            rec = np.where(np.isfinite(z), ((a - 1) * z - tau[:, None]) ** (1 / (a - 1)), 0.0)
        assert np.max(np.abs(rec[0] - p[0])) < 1e-14
        assert np.max(np.abs(rec[1] - p[1])) < 1e-10  # tau ~ (a-1) 1e3: 1e-13 absolute
    for call in (lambda a: H.entmax([1.0, 0.0], a), lambda a: H.Tsallis(a),
                 lambda a: H.threshold([1.0, 0.0], a), lambda a: H.entmax_dalpha([1.0], a)):
        with pytest.raises(ValueError, match=r"alpha must be > 0"):
            call(-0.5)
