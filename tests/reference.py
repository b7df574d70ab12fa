"""High-precision (mpmath, 50 digits) reference solutions, for the tests only.

Each function treats its float64 input as exact, finds the threshold by bisection in
50-digit arithmetic (then polishes it on the found support), and rounds the answer
to float64 once at the end.  Slow and obviously correct; independent of the library.
"""

from __future__ import annotations

import math
from fractions import Fraction

import mpmath as mp
import numpy as np

DPS = 50


def _dps_for(alpha):
    """Digits needed: for alpha > 2 a probability p sits on a base p**(alpha-1) above
    the threshold, so resolving p >= 1e-16 takes about 16 (alpha - 1) more digits."""
    if alpha is None or not math.isfinite(alpha) or alpha <= 2:
        return DPS
    return DPS + int(16 * (alpha - 1))


def _bisect(f, lo, hi):
    """Root of a decreasing ``f`` in ``[lo, hi]`` (``f(lo) >= 0 >= f(hi)``), bisected
    until the midpoint stops moving (relative precision 10**-50 at any scale)."""
    lo = mp.mpf(lo)
    hi = mp.mpf(hi)
    # enough halvings to exhaust the working precision at any magnitude down to 2**-1100
    for _ in range(mp.mp.prec + 1200):
        mid = (lo + hi) / 2
        if mid == lo or mid == hi:
            break
        if f(mid) >= 0:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def _power_tau(t, a):
    """tau with sum_i [t_i - tau]_+^a = 1, t_i <= 0, max t = 0 (mp numbers)."""

    def f(tau):
        return mp.fsum((ti - tau) ** a for ti in t if ti > tau) - 1

    return _bisect(f, -1, 0)


def entmax(z, alpha):
    """alpha-entmax of a 1-D float64 vector (alpha > 1, finite)."""
    with mp.workdps(_dps_for(alpha)):
        z = [mp.mpf(float(x)) if np.isfinite(x) else None for x in z]
        m = max(x for x in z if x is not None)
        c = mp.mpf(alpha) - 1
        a = 1 / c
        t = [c * (x - m) if x is not None else mp.mpf(-10) ** 9 for x in z]
        tau = _power_tau(t, a)
        p = [(ti - tau) ** a if ti > tau else mp.mpf(0) for ti in t]
        return np.array([float(x) for x in p]), p


def normmax(z, alpha):
    """alpha-normmax of a 1-D float64 vector (alpha > 1; np.inf allowed)."""
    with mp.workdps(DPS):
        z = [mp.mpf(float(x)) if np.isfinite(x) else None for x in z]
        m = max(x for x in z if x is not None)
        t = [x - m if x is not None else mp.mpf(-10) ** 9 for x in z]
        if math.isinf(alpha):
            a, e = mp.mpf(1), mp.mpf(0)
        else:
            al = mp.mpf(alpha)
            a, e = al / (al - 1), 1 / (al - 1)
        tau = _power_tau(t, a)
        v = [(ti - tau) ** e if ti > tau else mp.mpf(0) for ti in t]
        s = mp.fsum(v)
        p = [x / s for x in v]
        return np.array([float(x) for x in p]), p


def softmax(z):
    with mp.workdps(DPS):
        z = [mp.mpf(float(x)) if np.isfinite(x) else None for x in z]
        m = max(x for x in z if x is not None)
        e = [mp.exp(x - m) if x is not None else mp.mpf(0) for x in z]
        s = mp.fsum(e)
        p = [x / s for x in e]
        return np.array([float(x) for x in p]), p


def capped(z, upper, total):
    """clip(z - tau, 0, upper) summing to ``total`` (k-subsets / constrained sparsemax)."""
    with mp.workdps(DPS):
        zz = [mp.mpf(float(x)) if np.isfinite(x) else None for x in z]
        uu = [mp.mpf(float(u)) if np.isfinite(u) else mp.inf for u in upper]
        fin = [x for x in zz if x is not None]
        m = max(fin)
        t = [x - m if x is not None else None for x in zz]

        def f(tau):
            return mp.fsum(
                min(max(ti - tau, 0), ui) for ti, ui in zip(t, uu, strict=True) if ti is not None
            ) - total

        lo = min(ti for ti in t if ti is not None) - total - 1
        tau = _bisect(f, lo, 0)
        # closed form on the found free set
        free = [i for i, ti in enumerate(t) if ti is not None and 0 < ti - tau < uu[i]]
        if free:
            capsum = mp.fsum(
                uu[i] for i, ti in enumerate(t) if ti is not None and ti - tau >= uu[i]
            )
            tau = (capsum + mp.fsum(t[i] for i in free) - total) / len(free)
        p = [
            mp.mpf(0) if ti is None else min(max(ti - tau, mp.mpf(0)), uu[i])
            for i, ti in enumerate(t)
        ]
        return np.array([float(x) for x in p]), p


def entmax_two(g, alpha):
    """alpha-entmax of ``(g, 0)`` solved in probability space: with ``p = p_1``,
    ``p**(alpha-1) - (1-p)**(alpha-1) = (alpha-1) g`` (both entries in the support,
    ``(alpha-1) g < 1``).  Well-conditioned at any alpha: no threshold is formed."""
    with mp.workdps(DPS):
        al = mp.mpf(alpha)
        gg = mp.mpf(float(g))
        c = (al - 1) * gg

        def f(p):
            return p ** (al - 1) - (1 - p) ** (al - 1) - c

        # f is increasing on [1/2, 1]: f(1/2) = -c <= 0, f(1) = 1 - c > 0
        lo, hi = mp.mpf(1) / 2, mp.mpf(1)
        for _ in range(5000):
            mid = (lo + hi) / 2
            if mid == lo or mid == hi:
                break
            if f(mid) <= 0:
                lo = mid
            else:
                hi = mid
        p = (lo + hi) / 2
        return np.array([float(p), float(1 - p)])


# ---- α as an mp number (0 < α, any), for finite differences in α (issue 18) ---------------
def _mp_scores(z):
    return [mp.mpf(float(x)) if np.isfinite(x) else None for x in z]


def entmax_mp(z, alpha):
    """α-entmax of a 1-D float64 vector for an mp number ``alpha > 0`` (working
    precision set by the caller), as a list of mp numbers.  ``alpha < 1``: the dense
    form ``p_i = (s + (1-alpha)(max z - z_i))^(-1/(1-alpha))`` with ``s`` bisected in
    ``[1, n^(1-alpha)]``; ``alpha = 1``: softmax; ``alpha > 1``: as :func:`entmax`."""
    zz = _mp_scores(z)
    m = max(x for x in zz if x is not None)
    al = mp.mpf(alpha)
    if al == 1:
        e = [mp.exp(x - m) if x is not None else mp.mpf(0) for x in zz]
        s = mp.fsum(e)
        return [x / s for x in e]
    if al < 1:
        q = 1 - al
        d = [q * (m - x) for x in zz if x is not None]
        n = len(d)

        def f(s):
            return mp.fsum((s + di) ** (-1 / q) for di in d) - 1

        s = _bisect(f, 1, mp.mpf(n) ** q)
        return [(s + q * (m - x)) ** (-1 / q) if x is not None else mp.mpf(0) for x in zz]
    c = al - 1
    t = [c * (x - m) if x is not None else mp.mpf(-10) ** 9 for x in zz]
    tau = _power_tau(t, 1 / c)
    return [(ti - tau) ** (1 / c) if ti > tau else mp.mpf(0) for ti in t]


def normmax_mp(z, alpha):
    """α-normmax (``alpha > 1`` an mp number) as a list of mp numbers."""
    zz = _mp_scores(z)
    m = max(x for x in zz if x is not None)
    t = [x - m if x is not None else mp.mpf(-10) ** 9 for x in zz]
    al = mp.mpf(alpha)
    tau = _power_tau(t, al / (al - 1))
    v = [(ti - tau) ** (1 / (al - 1)) if ti > tau else mp.mpf(0) for ti in t]
    s = mp.fsum(v)
    return [x / s for x in v]


def tsallis_omega_mp(p, alpha):
    al = mp.mpf(alpha)
    if al == 1:
        return mp.fsum(x * mp.log(x) for x in p if x > 0)
    # sum p (p^(a-1) - 1): equal on the simplex, and exact for a y whose float64
    # entries do not sum to exactly 1 (no O(1e-16)/(a-1) term)
    return mp.fsum(x * (x ** (al - 1) - 1) for x in p if x > 0) / (al * (al - 1))


def norm_omega_mp(p, alpha):
    al = mp.mpf(alpha)
    return mp.fsum(x**al for x in p if x > 0) ** (1 / al) - 1


def dalpha_fd(fn, z, alpha, h=1e-15, dps=None):
    """Central finite difference in α of the exact map ``fn`` (``entmax_mp`` or
    ``normmax_mp``) at the float64 ``alpha``, in ``dps`` digits (default 60, more for
    large α).  Truncation ``O(h^2)`` and rounding ``10^-dps / h``: about 1e-30 of the
    scale with the defaults."""
    if dps is None:
        dps = 60 + (int(16 * (alpha - 1)) if alpha > 2 else 0)
    with mp.workdps(dps):
        a = mp.mpf(float(alpha))
        hp = mp.mpf(h)
        up = fn(z, a + hp)
        dn = fn(z, a - hp)
        return np.array([float((u - d) / (2 * hp)) for u, d in zip(up, dn, strict=True)])


def loss_dalpha_fd(fn, omega, z, y, alpha, h=1e-15, dps=60):
    """Central finite difference in α of the exact FY loss
    ``Omega(y) - Omega(p) + <z - max z, p - y>`` (masked entries: ``y`` must be 0)."""
    with mp.workdps(dps):
        zz = _mp_scores(z)
        m = max(x for x in zz if x is not None)
        yy = [mp.mpf(float(v)) for v in y]

        def loss(a):
            p = fn(z, a)
            dot = mp.fsum((x - m) * (pi - yi) for x, pi, yi in zip(zz, p, yy, strict=True)
                          if x is not None)
            return omega(yy, a) - omega(p, a) + dot

        a = mp.mpf(float(alpha))
        hp = mp.mpf(h)
        return float((loss(a + hp) - loss(a - hp)) / (2 * hp))


def softmax_products(Qs, X, exact_scores=True):
    """``(X^T p, sum_i p_i |x_i|, sum_i exp(z_i - max z))`` per row to 50 digits, ``p``
    the softmax of the exact
    scores ``Qs X^T`` (rationals).  ``exact_scores``: the inputs are dyadic and small,
    and the float64 scores ``Z`` returned are checked to be exact."""
    Z = Qs @ X.T
    out = []
    with mp.workdps(50):
        for r in range(Qs.shape[0]):
            z = [sum(Fraction(q) * Fraction(x) for q, x in zip(Qs[r], xr, strict=True))
                 for xr in X]
            assert not exact_scores or all(Fraction(Z[r, i]) == z[i] for i in range(len(z)))
            m = max(z)
            w = [mp.exp(mp.mpf((zi - m).numerator) / (zi - m).denominator)
                 for zi in z]
            S = mp.fsum(w)
            out.append(([mp.fsum(wi * xi for wi, xi in zip(w, X[:, j], strict=True)) / S
                         for j in range(X.shape[1])],
                        [mp.fsum(wi * abs(xi) for wi, xi in zip(w, X[:, j], strict=True)) / S
                         for j in range(X.shape[1])], S))
    return Z, out


def dyadic_step_case(rng, N, B, scale, offset):
    """Patterns and queries (times beta) whose scores are exact in float64: entries in
    multiples of 1/64, ``D = 3``; ``offset`` adds an exact common offset to every score,
    ``scale > 1`` sorts the patterns by the first row's scores (rising)."""
    X = rng.integers(-64, 65, (N, 3)) / 64.0
    Qs = rng.integers(-64, 65, (B, 3)) / 64.0 * scale
    if offset:  # every score gains the same exact offset
        X[:, 0] = 1.0
        Qs[:, 0] = offset
    if scale > 1:  # scores rising along the patterns: the maximum grows block by block
        X = X[np.argsort(X @ Qs[0], kind="stable")]
    return Qs, X
