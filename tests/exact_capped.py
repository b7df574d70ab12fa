"""Exact rational solution of ``clip(z - tau, 0, u)`` summing to ``K`` (for the tests)."""
import math
from fractions import Fraction


def capped_exact(z, upper, K):
    """Exact ``tau`` (Fraction) and the exact solution (list of Fractions) of
    ``sum_i clip(z_i - tau, 0, u_i) = K``; ``-inf`` scores are masks, ``inf`` caps allowed."""
    K = Fraction(K)
    zz = [None if (isinstance(x, float) and math.isinf(x)) else Fraction(x) for x in z]
    uu = [None if math.isinf(u) else Fraction(u) for u in upper]
    idx = [i for i, x in enumerate(zz) if x is not None and (uu[i] is None or uu[i] > 0)]

    def f(tau):
        s = Fraction(0)
        for i in idx:
            d = zz[i] - tau
            if d > 0:
                s += d if uu[i] is None or d < uu[i] else uu[i]
        return s - K

    # f is piecewise linear, non-increasing; breakpoints z_i and z_i - u_i
    bps = sorted({zz[i] for i in idx} | {zz[i] - uu[i] for i in idx if uu[i] is not None})
    # find consecutive breakpoints with f(b_lo) >= 0 >= f(b_hi)
    lo_i, hi_i = 0, len(bps) - 1
    f0 = f(bps[0])
    if f0 < 0:  # below every breakpoint only the uncapped entries still move
        ninf = sum(1 for i in idx if uu[i] is None)
        if ninf == 0:
            raise ValueError("infeasible")
        tau = bps[0] + f0 / ninf
        return tau, _solution(zz, uu, idx, tau)
    if f(bps[-1]) >= 0:  # only possible when f(max z) = -K >= 0: never for K > 0
        raise AssertionError
    while hi_i - lo_i > 1:
        mid = (lo_i + hi_i) // 2
        if f(bps[mid]) >= 0:
            lo_i = mid
        else:
            hi_i = mid
    a, b = bps[lo_i], bps[hi_i]
    fa, fb = f(a), f(b)
    tau = a if fa == 0 else a + (b - a) * fa / (fa - fb)  # linear in between
    return tau, _solution(zz, uu, idx, tau)


def _solution(zz, uu, idx, tau):
    p = []
    keep = set(idx)
    for i, x in enumerate(zz):
        if x is None or i not in keep:
            p.append(Fraction(0))
            continue
        d = x - tau
        p.append(Fraction(0) if d <= 0 else (d if uu[i] is None or d < uu[i] else uu[i]))
    return p
