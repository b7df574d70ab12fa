"""The classes of input where exactness used to break, each checked over a grid.

Every check is against an independent reference: exact rationals (``fractions``, the
capped simplex and sparsemax are piecewise linear, ``tests/exact_capped.py``) or mpmath
at 50+ digits (``tests/reference.py``).  Errors are measured per entry in ulps of the
exact value (relative; entries below 2**-1022 in units of 2**-1074), and supports must
be those of the correctly rounded solution.  Several classes carry a negative control:
the previous computation on the same grid, shown to fail the same check.

Classes (docs/accuracy.md states the measured numbers):

1. alpha -> 1 for entmax and normmax, alpha - 1 down to 2**-52;
2. the capped engine (k-subsets, constrained sparsemax) at score spreads 1e15 ... 1.8e308
   with mixed signs;
3. tiny positive entries (1e-300 ... 2**-60, and exact ties at the threshold):
   k = 1 and a cap of 1 equal sparsemax bit for bit;
4. softmax per entry, down to e**-700;
5. the Hopfield energy at small beta (1 ... 1e-300);
6. cap feasibility decided exactly;
7. integers above 2**53; extreme scores without warnings.
"""

from __future__ import annotations

import math
from fractions import Fraction

import mpmath as mp
import numpy as np
import pytest
import reference as R
from exact_capped import capped_exact

import hfy_reference as H
from hfy_reference import maps as M

TINY = 2.0**-1022


def ulp_errors(got, exact):
    """Per-entry error in ulps of the exact value (Fractions or mpf), and whether the
    support of ``got`` is that of the correctly rounded exact solution."""
    errs = []
    same_support = True
    for g, r in zip(got, exact, strict=True):
        r = _frac(r)
        if (float(g) > 0) != (float(r) > 0):
            same_support = False
        if r == 0:
            errs.append(0.0 if g == 0 else math.inf)
            continue
        unit = Fraction(np.spacing(float(r))) if r >= TINY else Fraction(2.0**-1074)
        errs.append(float(abs(Fraction(float(g)) - r) / unit))
    return max(errs), same_support


def _frac(x):
    if isinstance(x, Fraction):
        return x
    if isinstance(x, mp.mpf):
        m, e = x.man_exp
        return Fraction(int(m)) * Fraction(2) ** int(e)
    return Fraction(x)


# ---------------------------------------------------------------------------------------
# 1. alpha -> 1
# ---------------------------------------------------------------------------------------
ALPHA_M1 = [1e-3, 1e-6, 1e-9, 1e-12, 2.0**-40, 2.0**-48, 2.0**-52]


def _near_one_vectors(seed, family, dm):
    rng = np.random.default_rng(seed)
    out = []
    for scale in (1.0, 30.0):
        z = rng.normal(size=6) * scale
        if family == "normmax":  # spreads of order alpha - 1 keep several entries alive
            z = z * dm
        out.append(z)
    return out


@pytest.mark.parametrize("dm", ALPHA_M1)
@pytest.mark.parametrize("family", ["entmax", "normmax"])
def test_alpha_near_one_is_exact(family, dm):
    alpha = 1.0 + dm
    f, ref = (H.entmax, R.entmax) if family == "entmax" else (H.normmax, R.normmax)
    for z in _near_one_vectors(7, family, dm):
        p = f(z, alpha)
        err, same = ulp_errors(p, ref(z, alpha)[1])
        assert same, f"{family} alpha=1+{dm:g}: support differs on {z.tolist()}"
        assert err <= 2.0, f"{family} alpha=1+{dm:g}: {err:.3g} ulp on {z.tolist()}"
        assert abs(math.fsum(p) - 1.0) <= 4 * np.finfo(float).eps


def test_alpha_near_one_negative_control():
    """The exponent 1/(alpha-1) rounded to float64 (the previous computation, low part
    dropped) moves a probability of 1e-222 by tens of ulp; the check sees it."""
    alpha = 1.001
    z = np.array([0.0, -200.0, -400.0, -600.0, -690.0])
    rows = H._validation.as_rows(z)
    c = alpha - 1.0
    a = 1.0 / c
    p_old = M._power(rows, c, a, a, False, 0, 0.0, 0.0)[0][0]
    ref = R.entmax(z, alpha)[1]
    err_old, _ = ulp_errors(p_old, ref)
    err_new, _ = ulp_errors(H.entmax(z, alpha), ref)
    assert err_new <= 2.0 < 20.0 < err_old


# ---------------------------------------------------------------------------------------
# 2. the capped engine at large score spreads
# ---------------------------------------------------------------------------------------
SPREADS = [1e15, 1e16, 1e17, 1e20, 1e100, 1e300, 1.7976931348623157e308]
CAPS = [0.2, 0.3, 0.5, 1.0, np.inf, 1e-300, 2.0**-60]


def _spread_vectors(spread, seed):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(6):
        n = int(rng.integers(3, 8))
        z = rng.uniform(-3.0, 3.0, size=n)
        big = rng.random(n) < 0.5
        big[0] = True
        z[big] = rng.choice([-1.0, 1.0], size=big.sum()) * rng.uniform(0.1, 1.0, big.sum())
        z[big] *= spread
        out.append(z)
    return out


@pytest.mark.parametrize("spread", SPREADS)
def test_capped_engine_exact_at_every_spread(spread):
    rng = np.random.default_rng(11)
    for z in _spread_vectors(spread, 3):
        n = len(z)
        for k in range(1, n + 1):
            mu = H.sparsemap_ksubsets(z, k)
            err, same = ulp_errors(mu, capped_exact(list(z), [1.0] * n, k)[1])
            assert same and err <= 1.0, (z.tolist(), k, mu.tolist(), err)
        u = rng.choice(CAPS, size=n)
        u[rng.integers(n)] = np.inf  # feasible
        p = H.constrained_sparsemax(z, u)
        err, same = ulp_errors(p, capped_exact(list(z), list(u), 1)[1])
        assert same and err <= 1.0, (z.tolist(), u.tolist(), p.tolist(), err)


# ---------------------------------------------------------------------------------------
# 3. tiny entries; k = 1 and a cap of 1 are sparsemax
# ---------------------------------------------------------------------------------------
TINIES = [0.0, 1e-300, 1e-200, 1e-100, 1e-30, 2.0**-60, 1e-17]


def _tiny_vectors(seed):
    """Scores with one entry placed at (a float64 next to) ``tau + tiny`` of sparsemax,
    and tiny scores that enter the threshold's sum."""
    rng = np.random.default_rng(seed)
    out = []
    for tiny in TINIES:
        for _ in range(3):
            z = rng.normal(size=int(rng.integers(3, 8)))
            zs = np.sort(z)[::-1]
            # the exact threshold on the top-2 support, and an entry just above it
            tau = Fraction(float(zs[0])) / 2 + Fraction(float(zs[1])) / 2 - Fraction(1, 2)
            if zs[0] - zs[1] >= 1:
                tau = Fraction(float(zs[0])) - 1
            z[np.argmin(z)] = float(tau + Fraction(tiny))
            out.append(z)
    out.append(np.array([-2.7648843648299514e-201, 0.5663378188029604, -0.047481385907954976,
                         -0.315549358897277, 0.2, -0.0037447483427353045, -0.0]))
    out.append(np.array([-0.6072944425657671, 0.3927055574342328]))
    out.append(np.array([1.0, 1e-300, 1e-200, 5e-324]))
    return out


def test_tiny_entries_are_exact_and_k1_equals_sparsemax():
    for z in _tiny_vectors(5):
        n = len(z)
        p = H.sparsemax(z)
        err, same = ulp_errors(p, capped_exact(list(z), [math.inf] * n, 1)[1])
        assert same and err <= 1.0, (z.tolist(), p.tolist(), err)
        np.testing.assert_array_equal(p, H.sparsemap_ksubsets(z, 1))
        np.testing.assert_array_equal(p, H.constrained_sparsemax(z, 1.0))
        np.testing.assert_array_equal(p, H.constrained_sparsemax(z, np.ones(n)))
        np.testing.assert_array_equal(p, H.entmax(z, 2.0))


def test_tiny_entries_negative_control():
    """The double-double engine (sparsemax's method="sort") cannot resolve a probability
    of 4.6e-202 whose threshold depends on a score of -2.8e-201: the exact engine can."""
    z = _tiny_vectors(5)[-3]
    exact = capped_exact(list(z), [math.inf] * len(z), 1)[1]
    _, same_dd = ulp_errors(H.sparsemax(z, method="sort"), exact)
    _, same_exact = ulp_errors(H.sparsemax(z), exact)
    assert same_exact and not same_dd


# ---------------------------------------------------------------------------------------
# 4. softmax per entry
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("offset", [0.0, 3.3, 1e3, -1e5, 1e15])
def test_softmax_each_entry_within_2_ulp(offset):
    rng = np.random.default_rng(2)
    worst = 0.0
    for scale in (1.0, 30.0, 300.0, 700.0):
        for _ in range(4):
            z = rng.uniform(-1.0, 1.0, size=12) * scale + offset
            err, same = ulp_errors(H.softmax(z), R.softmax(z)[1])
            assert same
            worst = max(worst, err)
    assert worst <= 2.0, worst


def test_softmax_negative_control():
    """Rounding ``z - max z`` (the previous shift) is hundreds of ulp off at e**-700."""
    z = np.array([1000.0, 300.1, 300.7, 999.9])
    m = z.max()
    naive = np.exp(z - m) / np.exp(z - m).sum()
    err_naive, _ = ulp_errors(naive, R.softmax(z)[1])
    err, _ = ulp_errors(H.softmax(z), R.softmax(z)[1])
    assert err <= 2.0 < 20.0 < err_naive


# ---------------------------------------------------------------------------------------
# 5. the Hopfield energy at small beta
# ---------------------------------------------------------------------------------------
BETAS = [1.0, 1e-4, 1e-8, 1e-12, 1e-16, 1e-20, 1e-100, 1e-300]


def _hopfield_instance():
    rng = np.random.default_rng(4)
    return rng.normal(size=(6, 3)), rng.normal(size=3)


def _softmax_energy_mp(X, q, beta):
    """E = -lse(beta X q)/beta + |q|^2/2 + log(N)/beta + M^2/2, at enough digits."""
    digits = 60 + int(2 * abs(math.log10(beta)))
    with mp.workdps(digits):
        b = mp.mpf(beta)
        xq = [mp.fsum(mp.mpf(float(a)) * mp.mpf(float(c)) for a, c in zip(x, q, strict=True))
              for x in X]
        m = max(xq)
        G = -mp.log(mp.fsum(mp.exp(b * (v - m)) for v in xq) / len(xq))
        M2 = max(mp.fsum(mp.mpf(float(a)) ** 2 for a in x) for x in X)
        qq = mp.fsum(mp.mpf(float(a)) ** 2 for a in q)
        return G / b - m + qq / 2 + M2 / 2


@pytest.mark.parametrize("beta", BETAS)
def test_softmax_energy_accurate_for_every_beta(beta):
    X, q = _hopfield_instance()
    e = float(H.HopfieldNetwork(X, H.Shannon(), beta=beta).energy(q))
    ref = _softmax_energy_mp(X, q, beta)
    assert abs(Fraction(e) - _frac(ref)) <= Fraction(1, 10**14) * abs(_frac(ref))


REGS = [H.Tsallis(1.5), H.Tsallis(2.0), H.Tsallis(1.0001), H.Tsallis(3.0),
        H.NormEntropy(2.0), H.NormEntropy(np.inf), H.KSubsets(2)]


@pytest.mark.parametrize("reg", REGS, ids=lambda r: r.label)
def test_energy_bounds_and_small_beta_limit(reg):
    """E >= E_L >= 0 at every beta, and E -> |q|^2/2 - k <Xq, u> + kappa as beta -> 0
    (the map tends to the barycenter u; the limit is summed with fsum)."""
    X, q = _hopfield_instance()
    k = getattr(reg, "k", 1)
    for beta in BETAS:
        net = H.HopfieldNetwork(X, reg, beta=beta)
        E = float(net.energy(q))
        assert E >= 0.0
        if k == 1:
            assert E >= float(net.lower_energy(q)) - 1e-15 * (1 + abs(E))
        if beta <= 1e-8:
            # the limit beta -> 0: -k <X q, u> + Psi(q) + kappa (the map tends to u)
            xq = [math.fsum(float(a) * float(c) for a, c in zip(x, q, strict=True)) for x in X]
            lim = -k * math.fsum(xq) / len(xq) + 0.5 * math.fsum(q * q) + net._kappa
            assert abs(E - lim) <= 1e-6 * (1 + abs(lim)), (beta, E, lim)


def test_energy_negative_control():
    """The previous form -Omega*(beta X q)/beta + c cancels two terms of size 1/beta:
    at beta = 1e-16 it is off by more than 0.1, while the gap form is exact."""
    X, q = _hopfield_instance()
    beta = 1e-16
    net = H.HopfieldNetwork(X, H.Tsallis(1.5), beta=beta)
    z = beta * (X @ q)
    old = -float(H.Tsallis(1.5).conjugate(z)) / beta + 0.5 * q @ q + net.constant
    new = float(net.energy(q))
    lim = -float(np.mean(X @ q)) + 0.5 * q @ q + net._kappa
    assert abs(new - lim) <= 1e-12 * abs(lim) and abs(old - lim) > 0.1


# ---------------------------------------------------------------------------------------
# 6. cap feasibility, exactly
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("n", [3, 5, 6, 7, 10, 11, 25, 49, 100])
def test_scalar_cap_feasibility_is_exact(n):
    for c in (1.0 / n, np.nextafter(1.0 / n, 2.0), np.nextafter(1.0 / n, 0.0)):
        z = np.linspace(0.0, 1.0, n)
        if Fraction(float(c)) * n >= 1:
            p = H.constrained_sparsemax(z, c)
            assert np.all(p <= c) and abs(math.fsum(p) - 1.0) <= 4 * np.finfo(float).eps
        else:
            with pytest.raises(ValueError, match="infeasible"):
                H.constrained_sparsemax(z, c)


def test_per_entry_cap_feasibility_is_exact():
    rng = np.random.default_rng(9)
    cases = [[0.1, 0.2, 0.7], [0.3, 0.5, 0.2], [0.7, 0.2, 0.1], [1 / 3] * 3,
             [0.25] * 4, [0.1] * 10, [0.6, 0.3, 0.1]]
    cases += [list(rng.dirichlet(np.ones(5))) for _ in range(20)]
    for u in cases:
        u = np.array(u, dtype=np.float64)
        z = np.arange(len(u), dtype=np.float64)
        exact = sum(Fraction(float(x)) for x in u)
        if exact >= 1:
            p = H.constrained_sparsemax(z, u)
            assert np.all(p <= u)
            err, same = ulp_errors(p, capped_exact(list(z), list(u), 1)[1])
            assert same and err <= 1.0
        else:
            with pytest.raises(ValueError, match="infeasible"):
                H.constrained_sparsemax(z, u)


# ---------------------------------------------------------------------------------------
# 7. integers above 2**53, extreme scores
# ---------------------------------------------------------------------------------------
MAPS = [H.softmax, H.sparsemax, lambda z: H.entmax(z, 1.5), lambda z: H.normmax(z, 3.0),
        lambda z: H.sparsemap_ksubsets(z, 1), lambda z: H.constrained_sparsemax(z, 1.0),
        H.logsumexp, H.argmax]


@pytest.mark.parametrize("f", MAPS)
def test_integers_beyond_float64_are_refused_like_longdouble(f):
    for bad in (np.array([2**53 + 1, 0]), np.array([-(2**60), 3]),
                np.array([2**64 - 1, 0], dtype=np.uint64)):
        with pytest.raises(ValueError, match="2\\*\\*53"):
            f(bad)
    with pytest.raises(TypeError, match="extended-precision"):
        f(np.array([1, 2], dtype=np.longdouble))
    ok = f(np.array([2**53, 2**53 - 1, -(2**53)]))
    assert np.all(np.isfinite(ok))


EXTREME = [np.array([1.7e308, -1.7e308, 0.0]), np.array([-1.7e308, 1.7e308, 1.7e308]),
           np.array([1.7976931348623157e308, -1.7976931348623157e308, 1.0]),
           np.array([-1.7e308, -1.7e308, -1.69e308])]


@pytest.mark.parametrize("z", EXTREME, ids=range(len(EXTREME)))
def test_conjugates_and_thresholds_at_extreme_scores_without_warnings(z):
    """conftest turns numpy warnings into errors: these must not warn."""
    for alpha in (1.0001, 1.5, 2.0, 3.0, 10.0):
        for family in ("entmax", "normmax"):
            tau, n = H.threshold(z, alpha, family=family)
            c = (alpha - 1.0) if family == "entmax" else 1.0
            if abs(c * float(z.max())) > 1.7976931348623157e308:
                assert math.isinf(tau)
            else:
                assert math.isfinite(tau) and n >= 1
    for reg in (H.Shannon(), H.Tsallis(1.5), H.Tsallis(3.0), H.NormEntropy(2.0),
                H.KSubsets(2)):
        val = float(reg.conjugate(z))
        k = getattr(reg, "k", 1)
        if abs(k * float(z.max())) > 1.7976931348623157e308:
            assert val == math.inf * np.sign(z.max())
        else:
            assert math.isfinite(val) and val >= float(z.max()) * k - 1e-300


# 8. the capped engine's fast candidate pass (one cap for all entries): the threshold
# guessed from the previous row of a batch must never change a result
def _mixed_batch(rng, n):
    """Rows of very different spreads and shapes one after another, so that the guess
    carried from row to row is too high, too low and far off in turn."""
    rows = []
    for r in range(24):
        kind = r % 6
        if kind == 0:
            z = rng.standard_normal(n)
        elif kind == 1:
            z = rng.standard_normal(n) * 1e-3
        elif kind == 2:
            z = rng.standard_normal(n) * 50.0
        elif kind == 3:
            z = np.round(rng.standard_normal(n) * 2) / 2  # ties at the breakpoints
        elif kind == 4:
            z = rng.standard_normal(n) * 1e200
        else:
            z = np.full(n, 0.5)
            z[: n // 3] = 1e-300 * np.arange(n // 3)
        rows.append(z)
    return np.array(rows)


@pytest.mark.parametrize("upper,k", [(1.0, 1), (1.0, 3), (1.0, 7), (0.3, 1), (0.05, 1)])
def test_capped_guessed_threshold_never_changes_a_row(upper, k):
    rng = np.random.default_rng(11)
    Z = _mixed_batch(rng, 40)
    if upper == 1.0:
        P = H.sparsemap_ksubsets(Z, k)
        one = [H.sparsemap_ksubsets(z, k) for z in Z]
    else:
        P = H.constrained_sparsemax(Z, upper)
        one = [H.constrained_sparsemax(z, upper) for z in Z]
    for r, z in enumerate(Z):
        assert np.array_equal(P[r], one[r]), r  # batch == row by row, bit for bit
        _, exact = capped_exact(list(z), [upper] * len(z), k)
        want = np.array([float(x) for x in exact])  # exact, rounded once
        assert np.array_equal(P[r], want), r


# 9. the power engine's starting point: the count bound is a lower bound on tau
def _count_bound_cases():
    rng = np.random.default_rng(3)
    for r in range(40):
        n = int(rng.integers(2, 300))
        kind = r % 4
        if kind == 0:
            t = -rng.random(n)
        elif kind == 1:  # entries exactly on the bin edges (j/32 - 1)
            t = -rng.integers(0, 33, n) / 32.0
        elif kind == 2:  # many near the top: the bound is tight there
            t = -rng.random(n) * 1e-3
        else:
            t = -np.abs(rng.standard_normal(n)) * 0.2
        t[0] = 0.0
        yield t, float(rng.choice([4.0 / 3.0, 2.0, 10.0 / 3.0, 5.0, 1.25]))


def _tau_mp(t, a):
    with mp.workdps(40):
        tt = [mp.mpf(float(x)) for x in t]
        return R._power_tau(tt, mp.mpf(a))


def test_count_bound_is_below_tau():
    from hfy_reference._kernels.simplex import _count_bound, power_table

    for t, a in _count_bound_cases():
        th = np.array(t)
        bound = _count_bound(th, len(th), a, np.empty(0))
        assert -1.0 <= bound <= _tau_mp(t, a), (len(t), a)
        # the powers tabulated once per batch give the same bound, bit for bit
        assert _count_bound(th, len(th), a, power_table(a, len(th) + 5)) == bound
        assert _count_bound(th, len(th), a, power_table(a, 2)) == bound  # short table


def test_count_bound_negative_control():
    """Counting one entry too many (the rounding the 2**-40 margins guard against) gives
    a 'bound' above tau: the test above can fail."""
    broken = False
    for t, a in _count_bound_cases():
        m = int(np.sum(np.asarray(t) >= -1.0 / 32))  # M for the edge y = -1/32
        wrong = -1.0 / 32 - float(m + 1) ** (-1.0 / a)
        broken |= wrong > _tau_mp(t, a)
    assert broken


# 10. the rough log of dd_pow's correction term: 4e-6 relative over the normal range
def test_log_rough_within_4e_6():
    from hfy_reference._kernels.simplex import _log_rough

    rng = np.random.default_rng(5)
    x = np.exp(rng.uniform(-708.0, 709.0, 20000))
    x = np.concatenate([x, [1.0, 0.5, 2.0, math.sqrt(0.5), np.nextafter(math.sqrt(0.5), 1),
                            np.nextafter(1.0, 0.0), 2.2250738585072014e-308, 1.7e308]])
    worst = 0.0
    for v in x:
        exact = mp.log(mp.mpf(float(v)))
        if exact != 0:
            worst = max(worst, float(abs((mp.mpf(_log_rough(v)) - exact) / exact)))
        else:
            assert _log_rough(v) == 0.0
    assert worst <= 4e-6
    # negative control: the series cut after two terms is off by more than the bound
    s = (math.sqrt(2.0) - 1.0) / (math.sqrt(2.0) + 1.0)
    two_terms = 2.0 * s * (1.0 + s * s / 3.0)
    assert abs(two_terms - math.log(math.sqrt(2.0))) / math.log(math.sqrt(2.0)) > 4e-6


# 10. 1.5-entmax: a guessed candidate bound, and tau from the support alone
def _entmax15_tau(Z):
    """``(tau_hi, tau_lo)`` per row from the power kernel, one thread (rows in order)."""
    from hfy_reference._kernels import simplex as S

    c, a, alo, e, elo = M._exponents(1.5, "entmax")
    out = np.empty_like(Z)
    info = np.empty((Z.shape[0], 3))
    S.power_rows_serial(Z, Z.max(axis=1), c, a, alo, e, elo, False, 0, out, info, False)
    return out, info[:, :2]


def test_entmax15_tau_depends_on_the_support_only():
    # the same support in another order, and with other candidates below tau: the
    # double-double tau is the same bits (the support is sorted by value and the polish
    # starts from its closed form), which is what makes the guessed bound safe
    rng = np.random.default_rng(5)
    done = 0
    for trial in range(60):
        n = int(rng.integers(5, 200))
        z = rng.standard_normal(n) * float(rng.choice([0.05, 0.3, 1.0, 3.0]))
        if trial % 3 == 0:  # exact ties in and out of the support
            z = np.round(z * 8.0) / 8.0
        p, tau = _entmax15_tau(z[None, :])
        supp = p[0] > 0
        cut = z[supp].min() if supp.any() else z.max()
        # extra entries between tau and max z - 2 (candidates, never in the support)
        tau_z = z.max() + 2.0 * tau[0, 0]
        lo_c = z.max() - 2.0 + 1e-9
        hi_c = min(tau_z, cut) - 1e-12
        if hi_c <= lo_c:
            continue
        extra = rng.uniform(lo_c, hi_c, size=int(rng.integers(1, 80)))
        perm = rng.permutation(n)
        z2 = np.concatenate([z[perm], extra, [-np.inf] * (trial % 4)])  # and masks
        p2, tau2 = _entmax15_tau(z2[None, :])
        assert np.array_equal(tau2, tau), trial
        assert np.array_equal(p2[0, :n], p[0, perm]) and not p2[0, n:].any(), trial
        done += 1
    assert done >= 50  # (a trial with no room for extra candidates is skipped)


def test_entmax15_guessed_bound_never_changes_a_row():
    rng = np.random.default_rng(11)
    Z = _mixed_batch(rng, 40)
    scale = rng.choice([0.2, 1.0, 4.0], 40)[:, None]
    Z = np.concatenate([Z, rng.standard_normal((40, 40)) * scale])
    P = H.entmax(Z, 1.5)
    rev = H.entmax(Z[::-1], 1.5)[::-1]  # another history of guesses
    for r, z in enumerate(Z):
        one = H.entmax(z, 1.5)  # a row alone: no guess
        assert np.array_equal(P[r], one), r
        assert np.array_equal(rev[r], one), r
