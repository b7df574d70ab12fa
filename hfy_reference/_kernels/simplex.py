"""Numba kernels for the maps onto the simplex and the capped simplex.

These are the jitted cores of the functions in :mod:`hfy_reference.maps`.  They trust
their inputs: ``Z`` is a C-contiguous float64 array of shape ``(rows, N)`` with no NaN
and no +inf, every row has at least one finite entry, ``rowmax`` holds the row maxima
and every output array is preallocated by the caller.  (The power and capped engines
also accept ``rowmax[r] = NaN``: they then compute the maximum and check the row
themselves, zeroing a row with a NaN, +inf or no finite entry; see ``_have_max``.)
Kernels that call each other live in this one file, so that Numba's on-disk cache is
invalidated together.

Exactness.  Scores are shifted by their row maximum with an error-free transformation,
``z_i - max z = s_hi + s_lo`` exactly, and every quantity that decides a threshold
(the shifted scores, the threshold ``tau``, the bases ``t_i - tau``) is carried as a
double-double (an unevaluated sum of two float64 numbers, about 32 significant digits).
The support is found by pivoting on breakpoints (expected linear time), ``tau`` on the
found support by a closed form (``a = 1``, ``a = 2``) or a safeguarded Newton method,
and is then refined by Newton steps in double-double until the step stops shrinking.
Each output entry is then rounded once from its double-double value.
"""

import math
from fractions import Fraction

import numpy as np
from llvmlite import ir
from numba import njit, prange, types
from numba.core import config
from numba.core.extending import intrinsic

_SPLIT = 134217729.0  # 2**27 + 1, Veltkamp's splitter for float64
_C_MAX_DD = 1e290  # above this scale factor the split would overflow

# how power_threshold finds the support (the ``method`` argument of the kernels)
METHOD_PIVOT = 0  # pivoting on breakpoints, or Newton on the norm (the default, "auto")
METHOD_SORT = 1  # sort and scan (closed-form thresholds only)
METHOD_BISECT = 2  # bisection on tau


# --------------------------------------------------------------------------------------
# error-free transformations and double-double helpers (two_sum, split, two_prod are
# pinned bit for bit to hfy_reference/_dd.py by tests/test_double_double.py)
# --------------------------------------------------------------------------------------
@njit(cache=True)
def two_sum(a, b):
    """``a + b = s + e`` exactly (Knuth)."""
    s = a + b
    bp = s - a
    return s, (a - (s - bp)) + (b - bp)


@njit(cache=True)
def fast_two_sum(a, b):
    """``a + b = s + e`` exactly, assuming ``|a| >= |b|`` or ``a == 0`` (Dekker)."""
    s = a + b
    return s, b - (s - a)


@njit(cache=True)
def split(a):
    """Veltkamp split of ``a`` into two halves of 26 bits; inputs above ``2**995`` are
    split at a scale of ``2**-28`` (exact) so that ``2**27 a`` cannot overflow."""
    if abs(a) > 6.0e299:
        b = a * 3.725290298461914e-09  # 2**-28
        c = _SPLIT * b
        hi = c - (c - b)
        return hi * 268435456.0, (b - hi) * 268435456.0
    c = _SPLIT * a
    hi = c - (c - a)
    return hi, a - hi


@njit(cache=True)
def two_prod(a, b):
    """``a * b = p + e`` exactly (Dekker), unless the product over- or underflows."""
    p = a * b
    ah, al = split(a)
    bh, bl = split(b)
    e = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    return p, e


@njit(cache=True)
def dd_add(ah, al, bh, bl):
    """Double-double sum."""
    s, e = two_sum(ah, bh)
    e += al + bl
    return fast_two_sum(s, e)


@njit(cache=True)
def dd_mul_d(ah, al, c):
    """Double-double times float64 ``c`` (``c < 1e290``)."""
    p, e = two_prod(ah, c)
    e += al * c
    return fast_two_sum(p, e)


@njit(cache=True)
def dd_div_int(ah, al, n):
    """Double-double divided by a positive integer ``n``."""
    fn = float(n)
    q = ah / fn
    p, e = two_prod(q, fn)
    r = ((ah - p) - e + al) / fn
    return fast_two_sum(q, r)


@njit(cache=True)
def dd_gt(ah, al, bh, bl):
    """``(ah + al) > (bh + bl)``."""
    return ah > bh or (ah == bh and al > bl)


@njit(cache=True)
def dd_base(th, tl, uh, ul):
    """``(th + tl) - (uh + ul)`` as a double-double."""
    s, e = two_sum(th, -uh)
    e += tl - ul
    return fast_two_sum(s, e)


@njit(cache=True)
def neumaier(s, c, x):
    """One step of Neumaier's compensated summation: returns the new ``(s, c)``."""
    t = s + x
    if abs(s) >= abs(x):
        c += (s - t) + x
    else:
        c += (x - t) + s
    return t, c


@njit(cache=True)
def _log_rough(x):
    """``log(x)`` to 4e-6 relative (``x > 0``, normal; measured max 3.7e-6 on 10**5
    points over 1e-300 ... 1e300): ``x = f 2**e`` with
    ``f`` in ``[1/sqrt 2, sqrt 2)``, ``log f = 2 atanh(s)``, ``s = (f - 1)/(f + 1)``,
    three terms of the series (``|s| <= 0.172``: the next one is below 2e-7 |log f|).
    Enough for the term ``alo log b`` of ``dd_pow`` (``alo`` is ~1e-16 of the
    exponent), without a libm call."""
    f, e = math.frexp(x)
    if f < 0.7071067811865476:
        f *= 2.0
        e -= 1
    s = (f - 1.0) / (f + 1.0)
    s2 = s * s
    return e * 0.6931471805599453 + 2.0 * s * (1.0 + s2 * (1.0 / 3.0 + s2 * 0.2))


@njit(cache=True)
def dd_pow(bh, bl, a, alo, mode):
    """``(bh + bl) ** (a + alo)`` as an unnormalized pair, for ``bh > 0``.

    ``mode``: 0 for ``a == 0``, 1 for ``a == 1``, 2 for ``a == 2`` (exact; ``alo`` must
    be 0), 3 otherwise: libm ``pow`` of the high parts times ``exp(d)`` with
    ``d = a log1p(bl/bh) + alo log(bh)`` (``|bl/bh| <= 2**-52``, so ``log1p(x) = x``
    to ``2**-105``).  The exponent ``a + alo`` is the double-double of the exact
    exponent (``1/(alpha - 1)`` is not a float64): without ``alo`` a tiny entry
    ``p = b**a`` is off by ``|log p| 2**-53`` relative (up to ~400 ulp).  ``d`` reaches
    ~0.5 when ``a`` is near ``2**52`` (α - 1 near ``2**-52``), where a first-order
    correction is not enough: ``expm1`` is used once ``|d| > 1e-8``.  The result is
    within the accuracy of ``pow`` (about 1 ulp) of the exact power.  ``log(bh)`` is
    needed to a few digits only (``_log_rough``, 4e-6 relative): ``|alo log bh| <=
    2**-53 |a log bh| <= 2**-53 * 745`` wherever ``p`` does not underflow, so its error
    moves ``p`` by less than 4e-19 relative.
    """
    if mode == 1:
        return bh, bl
    if mode == 2:
        p, e = two_prod(bh, bh)
        return p, e + 2.0 * bh * bl
    if mode == 0:
        return 1.0, 0.0
    p = bh**a
    d = a * (bl / bh)
    if alo != 0.0:
        d += alo * _log_rough(bh)
    if abs(d) < 1e-8:
        return p, p * d
    return p, p * math.expm1(d)


@njit(cache=True)
def swap3(th, tl, zc, i, j):
    """Swap entries ``i`` and ``j`` of the three parallel candidate arrays."""
    th[i], th[j] = th[j], th[i]
    tl[i], tl[j] = tl[j], tl[i]
    zc[i], zc[j] = zc[j], zc[i]


@njit(cache=True)
def _reorder3(th, tl, zc, order):
    """Put the first ``len(order)`` entries of the three parallel candidate arrays in
    the order ``order`` (a permutation of ``range(len(order))``)."""
    k = order.shape[0]
    sh = th[:k][order].copy()
    sl = tl[:k][order].copy()
    sz = zc[:k][order].copy()
    th[:k] = sh
    tl[:k] = sl
    zc[:k] = sz


@njit(cache=True)
def _canonical_order(th, tl, zc, n):
    """Sort the first ``n`` candidates by decreasing ``th + tl`` (double-double order;
    entries equal in both parts are the same number, so their order does not matter):
    an order that depends on the values only.  Insertion sort on short supports, else a
    sort of the high parts with the runs of equal high parts then ordered by ``tl``."""
    if n > 48:
        _reorder3(th, tl, zc, np.argsort(-th[:n]))
    for i in range(1, n):  # (sorted by th already when n > 48: only ties move)
        h = th[i]
        lw = tl[i]
        zz = zc[i]
        j = i - 1
        while j >= 0 and (th[j] < h or (th[j] == h and tl[j] < lw)):
            th[j + 1] = th[j]
            tl[j + 1] = tl[j]
            zc[j + 1] = zc[j]
            j -= 1
        th[j + 1] = h
        tl[j + 1] = lw
        zc[j + 1] = zz


@njit(cache=True)
def exp_mode(a):
    if a == 0.0:
        return 0
    if a == 1.0:
        return 1
    if a == 2.0:
        return 2
    return 3


@njit(cache=True)
def shifted(x, m, c, ch_ok):
    """``c * (x - m)`` as a double-double (``x - m`` is exact as a pair).

    Returns ``(-inf, 0)`` when ``x - m`` overflows (then the entry is far outside any
    support).  ``ch_ok`` is False when ``c`` is too large for an exact product.
    """
    sh, sl = two_sum(x, -m)
    if sh == -np.inf:
        return -np.inf, 0.0
    if c == 1.0:
        return sh, sl
    if not ch_ok:
        return c * sh, c * sl
    if c * sh < -2.0:  # clearly outside, and keeps the split from overflowing
        return c * sh, 0.0
    if is_pow2(c):  # exact product (alpha = 1.5, 3, 5, ...): no splitting needed
        return c * sh, c * sl
    return dd_mul_d(sh, sl, c)


@njit(cache=True)
def is_pow2(c):
    """``c`` is a power of two (then ``c * x`` is exact barring under/overflow)."""
    m, _ = math.frexp(c)
    return m == 0.5


# --------------------------------------------------------------------------------------
# the power-threshold engine:  sum_i [t_i - tau]_+^a = 1
# --------------------------------------------------------------------------------------
@njit(cache=True)
def _eval_power(th, tl, n, uh, ul, a, alo, mode):
    """``G = sum [t_i - tau]_+^a`` (double-double) and ``D = -dG/dtau`` over ``n`` entries.

    For ``a = 1`` the bases are not clipped: on a fixed support ``G`` is then linear, so
    that one Newton step from a float64 ``tau`` above a support entry (an entry whose
    probability is below the float64 resolution of ``tau``) is exact.
    """
    s = 0.0
    cc = 0.0
    d = 0.0
    for i in range(n):
        bh, bl = dd_base(th[i], tl[i], uh, ul)
        if bh <= 0.0 and mode != 1:
            continue
        ph, pl = dd_pow(bh, bl, a, alo, mode)
        s, cc = neumaier(s, cc, ph)
        cc += pl
        if mode == 1:
            d += 1.0
        else:
            d += ph / bh
    gh, gl = fast_two_sum(s, cc) if abs(s) >= abs(cc) else two_sum(s, cc)
    return gh, gl, a * d


@njit(cache=True)
def _reclassify_power(th, tl, zc, nin, nu, lo_h, lo_l, hi_h, hi_l, s1, s2):
    """Move entries of the undetermined block ``[nin, nin + nu)`` that the bracket
    ``[lo, hi]`` decides: ``t >= hi`` to the in-set, ``t <= lo`` out of the arrays."""
    j = nin
    end = nin + nu
    while j < end:
        if not dd_gt(hi_h, hi_l, th[j], tl[j]):  # t >= hi: in
            swap3(th, tl, zc, nin, j)
            s1 += th[nin]
            s2 += th[nin] * th[nin]
            nin += 1
            j += 1
        elif not dd_gt(th[j], tl[j], lo_h, lo_l):  # t <= lo: out
            end -= 1
            swap3(th, tl, zc, end, j)
        else:
            j += 1
    return nin, end - nin, s1, s2


@njit(cache=True)
def _median3(th, i, j, k):
    a, b, c = th[i], th[j], th[k]
    if (a <= b) == (b <= c):
        return j
    if (b <= a) == (a <= c):
        return i
    return k


@njit(cache=True)
def _newton_power(th, tl, n, a, mode, lo, hi):
    """Float64 root of ``sum_{i<n} [t_i - tau]_+^a = 1`` in ``[lo, hi]``.

    Newton's method on ``log G(tau)`` safeguarded by bisection, until the bracket or
    the step stops shrinking.
    """
    x = 0.5 * (lo + hi)
    for _ in range(200):
        g, gl, d = _eval_power(th, tl, n, x, 0.0, a, 0.0, mode)
        g += gl
        if g > 1.0:
            lo = x
        elif g < 1.0:
            hi = x
        else:
            return x
        if g > 0.0 and d > 0.0:
            xn = x + math.log(g) * g / d
        else:
            xn = 0.5 * (lo + hi)
        if not (lo < xn < hi):
            xn = 0.5 * (lo + hi)
        if xn == x or not (lo < xn < hi):
            return x
        if abs(xn - x) <= 1e-16 * abs(x):
            return xn
        x = xn
    return x


@njit(cache=True)
def _initial_tau(th, tl, n, a, mode, lo, hi):
    """Float64 approximation of tau on the support ``t[:n]``."""
    if mode == 1:
        s = 0.0
        for i in range(n):
            s += th[i]
        return (s - 1.0) / n
    if mode == 2:
        mu = 0.0
        for i in range(n):
            mu += th[i]
        mu /= n
        var = 0.0
        for i in range(n):
            var += (th[i] - mu) ** 2
        var /= n
        r = 1.0 / n - var
        return mu - math.sqrt(r if r > 0.0 else 0.0)
    return _newton_power(th, tl, n, a, mode, lo, hi)


@njit(cache=True)
def _polish_power(th, tl, n, a, alo, mode, xh):
    """Newton steps on ``tau`` in double-double, from ``xh``.

    The residual ``r = sum_i (t_i - tau)^a - 1`` is evaluated in double-double.  The
    step ``r / D`` changes the sum of the output by about ``r``, so once
    ``|r| <= 2**-55`` (a quarter ulp of 1) the step is taken and the iteration stops.
    For ``a = 1`` one step is exact (the equation is linear).  A step that does not
    shrink is not taken (rounding noise in the residual).
    """
    uh = xh
    ul = 0.0
    prev = np.inf
    for _ in range(30):
        gh, gl, d = _eval_power(th, tl, n, uh, ul, a, alo, mode)
        if d <= 0.0:
            break
        r = (gh - 1.0) + gl
        step = r / d
        if not (abs(step) < prev):
            break
        uh, ul = dd_add(uh, ul, step, 0.0)
        prev = abs(step)
        if mode == 1 or abs(r) <= 2.0**-55:
            break
    return uh, ul


@njit(cache=True)
def anchored_d(zi, zj, c, ch_ok):
    """``c (z_i - z_j)`` as a double-double, accurate relative to itself."""
    h, lw = two_sum(zi, -zj)
    if c == 1.0:
        return h, lw
    if not ch_ok:
        return c * h, c * lw
    return dd_mul_d(h, lw, c)


@njit(cache=True)
def _anchored_f(dh, dl, nin, n0, imax, x, w, a, alo):
    """``F(x) = n0 x + sum_{d_i > 0} (d_i + w)^a - 1`` and ``F'(x)`` for
    ``_anchored_solve``, with ``w = x^c``.

    The term of the largest score (``imax``) is summed, when ``b > 1/2``, as
    ``b^a - 1 = expm1(a log1p(b - 1))``, exact relative to itself, so that ``F`` keeps
    its relative accuracy when it is far below 1 (a probability near 1e-17 just inside
    the margin is decided by ``1 - b^a``, which ``pow`` alone rounds away).
    """
    s = n0 * x
    cc = 0.0
    fp = float(n0)
    if imax < 0:
        s, cc = neumaier(s, cc, -1.0)
    for i in range(nin):
        if dh[i] == 0.0 and dl[i] == 0.0:
            continue
        bh, bl = dd_add(dh[i], dl[i], w, 0.0)
        if i == imax and bh > 0.5:  # b - 1 is exact here (Sterbenz)
            y = (bh - 1.0) + bl
            ly = math.log1p(y)
            term = math.expm1(a * ly + alo * ly)
            s, cc = neumaier(s, cc, term)
            ph = term + 1.0
        elif i == imax:  # far from 1 there is nothing to cancel
            ph, pl = dd_pow(bh, bl, a, alo, 3)
            s, cc = neumaier(s, cc, ph)
            s, cc = neumaier(s, cc, -1.0)
            cc += pl
        else:
            ph, pl = dd_pow(bh, bl, a, alo, 3)
            s, cc = neumaier(s, cc, ph)
            cc += pl
        if x > 0.0:
            fp += (ph / bh) * (w / x)
    return s + cc, fp


@njit(cache=True)
def _anchored_solve(th, tl, zc, k, nin, a, alo, c, dh, dl, out):
    """Entmax for ``alpha > 2`` (``a = 1/(alpha-1) < 1``), anchored at the smallest
    support score ``z_j``.

    With ``d_i = c (z_i - z_j) >= 0`` and ``w = x^c``, where ``x`` is the probability of
    the entries tied with ``z_j``, the support entries are ``p_i = (d_i + w)^a`` and
    ``x`` solves ``F(x) = n0 x + sum_{d_i > 0} (d_i + x^c)^a - 1 = 0``.  Every term is
    a sum of non-negative numbers, so no cancellation hides ``w`` (which is far below
    the resolution of ``tau`` when ``alpha`` is large), and the term of the largest
    score carries its distance to 1 exactly (``_anchored_f``).  ``F`` is convex and
    increasing (each term is an l_c norm of ``(d_i^{1/c}, x)``), so Newton's method
    from ``x0 = -F(0)/n0 >= x*`` decreases monotonically to the root; it stops when the
    iterate stops decreasing.  ``z_j`` is in the support iff ``F(0) < 0``.

    The support ``th[:nin]`` (from the pivot phase) is corrected in place; ``out``
    receives ``(z_j, x, w, support size)``.
    """
    ch_ok = c < _C_MAX_DD
    x = 1.0
    w = 1.0
    zj = zc[0]
    for _ in range(4 * k + 8):
        # anchor: the smallest support score (compared on the raw scores: t = c (z - m)
        # is monotone in z but may not resolve differences far below |z - m|)
        j = 0
        imax = 0
        for i in range(1, nin):
            if zc[i] < zc[j]:
                j = i
            if zc[i] > zc[imax]:
                imax = i
        zj = zc[j]
        n0 = 0
        for i in range(nin):
            dh[i], dl[i] = anchored_d(zc[i], zj, c, ch_ok)
            if dh[i] == 0.0 and dl[i] == 0.0:
                n0 += 1
        if dh[imax] == 0.0 and dl[imax] == 0.0:
            imax = -1  # all tied
        f0, _ = _anchored_f(dh, dl, nin, n0, imax, 0.0, 0.0, a, alo)
        if f0 >= 0.0:
            # z_j is not in the support: drop it and its ties
            newn = 0
            for i in range(nin):
                if not (dh[i] == 0.0 and dl[i] == 0.0):
                    swap3(th, tl, zc, newn, i)
                    newn += 1
            nin = newn
            continue
        x = -f0 / n0
        if x > 1.0:
            x = 1.0
        # Newton from the right
        for _ in range(200):
            w = x**c
            f, fp = _anchored_f(dh, dl, nin, n0, imax, x, w, a, alo)
            xn = x - f / fp
            if not (xn < x) or xn <= 0.0:
                break
            x = xn
        w = x**c
        # support check: candidates below z_j with c (z_k - z_j) + w > 0 join
        changed = False
        for i in range(nin, k):
            hh, ll = anchored_d(zc[i], zj, c, ch_ok)
            bh, bl = dd_add(hh, ll, w, 0.0)
            if bh > 0.0:
                swap3(th, tl, zc, nin, i)
                nin += 1
                changed = True
        if not changed:
            break
    out[0] = zj
    out[1] = x
    out[2] = w
    out[3] = nin


_NB = 64  # bins of _count_bound
_MT = 4096  # counts tabulated by power_table


@njit(cache=True)
def power_table(a, n):
    """The powers ``_count_bound`` needs for exponent ``a`` and rows of ``n`` entries,
    computed once for many rows: ``[0, _NB]`` hold ``(d/_NB - 2**-40)^a`` (``d`` bins
    apart), ``_NB + 1 + M`` holds ``M^(-1/a)`` for ``M = 0 ... min(n, _MT)`` (larger
    counts are computed when needed: long rows stay cheap in time and memory; an empty
    table: every power is computed when needed)."""
    n = min(n, _MT)
    t = np.empty(_NB + 2 + n)
    for d in range(_NB + 1):
        b = d / _NB - 2.0**-40
        t[d] = (b * b if a == 2.0 else b**a) if b > 0.0 else 0.0
    for mm in range(n + 1):
        t[_NB + 1 + mm] = float(mm) ** (-1.0 / a) if mm > 0 else np.inf
    return t


@njit(cache=True)
def _count_bound(th, k, a, ptab):
    """A lower bound on ``tau`` (better than -1) from a histogram of the candidates.

    On 64 bins of ``[-1, 0]`` with lower edges ``e_j``, every entry of bin ``j`` has
    ``t >= e_j - eps`` (its bin may be off by rounding: ``eps = 2**-40`` covers it), so
    ``G(y) = sum_i [t_i - y]_+^a >= L(y) = sum_j cnt_j [e_j - eps - y]_+^a``.  Where
    ``L(y) > 1`` also ``G(y) > 1``, i.e. ``y < tau``; the largest such edge is found by
    bisection on the edges (``L`` decreases), and it is combined with the count bound
    ``tau >= y - M**(-1/a)`` (``M`` entries have ``t >= y``: else those ``M`` terms
    alone would sum to more than 1).  ``ptab``: ``power_table(a, n)`` (or empty: the
    powers are then computed here).
    """
    nb = _NB
    eps = 2.0**-40
    tab = ptab.shape[0] > 0
    cnt = np.zeros(nb + 1, np.int64)
    for i in range(k):
        j = int((th[i] + 1.0) * nb)
        if j < 0:
            j = 0
        elif j > nb:
            j = nb
        cnt[j] += 1
    best = -1.0
    m = 0
    for j in range(nb, 0, -1):
        m += cnt[j]
        y = (j / nb - 1.0) - eps
        if y <= best:  # lower edges only decrease, and M**(-1/a) > 0
            break
        if m > 0:
            y -= ptab[nb + 1 + m] if m < ptab.shape[0] - nb - 1 else float(m) ** (-1.0 / a)
            if y > best:
                best = y
    # bisection on the edges for the largest i with L(e_i) > 1 (L(e_0) may not be)
    lo = -1
    hi = nb
    while hi - lo > 1:
        mid = (lo + hi) // 2
        g = 0.0
        for j in range(mid + 1, nb + 1):
            if cnt[j] > 0:
                if tab:
                    g += cnt[j] * ptab[j - mid]
                else:
                    b = (j - mid) / nb - eps
                    g += cnt[j] * (b * b if a == 2.0 else b**a)
        if g > 1.0 + 1e-9:
            lo = mid
        else:
            hi = mid
    if lo >= 0:
        y = lo / nb - 1.0
        if y > best:
            best = y
    return max(best - eps, -1.0)  # tau >= -1 always (the largest t is 0)


@njit(cache=True)
def _newton_norm_support(th, tl, zc, k, a, ptab):
    """Support for ``a > 1`` by Newton's method on ``h(tau) = ||[t - tau]_+||_a - 1``.

    ``h`` is convex and decreasing (a norm of coordinatewise convex, non-negative
    functions of ``tau``) and nearly linear, so Newton from ``tau = -1`` (where
    ``h >= 0``) increases monotonically to the root in a few steps.  Entries that fall
    below the iterate are moved out for good.  Returns ``(n, tau)``: the candidates
    ``t[:n]`` above the last iterate (the last step was below ``1e-9 |tau|``), which
    the caller polishes and checks: entries between the iterate and the root are
    recovered by the support check.
    """
    x = _count_bound(th, k, a, ptab)
    n = k
    inv = 1.0 / a
    for _ in range(100):
        g = 0.0
        d = 0.0
        i = 0
        while i < n:
            b = (th[i] - x) + tl[i]
            if b <= 0.0:
                n -= 1
                swap3(th, tl, zc, i, n)
                continue
            pb = b * b if a == 2.0 else b**a
            g += pb
            d += pb / b
            i += 1
        if not (g > 1.0) or d <= 0.0:
            break
        step = (g - g ** (1.0 - inv)) / d
        xn = x + step
        if not (xn > x):
            break
        x = xn
        if step <= 1e-9 * abs(x):  # the double-double polish takes it from here
            break
    return n, x


@njit(cache=True)
def _sort_support(th, tl, zc, k, a, mode):
    """Support by a full sort (closed forms, ``a`` in {1, 2}); returns (n, lo, hi)."""
    _reorder3(th, tl, zc, np.argsort(-th[:k]))
    s1 = 0.0
    s2 = 0.0
    n = 1
    for j in range(1, k + 1):
        t = th[j - 1]
        s1 += t
        s2 += t * t
        if mode == 1:
            tau = (s1 - 1.0) / j
        else:
            mu = s1 / j
            r = 1.0 / j - (s2 / j - mu * mu)
            tau = mu - math.sqrt(r if r > 0.0 else 0.0)
        if t > tau:
            n = j
    lo = th[n] if n < k else -1.0
    hi = th[n - 1]
    return n, lo, hi


@njit(cache=True)
def _bisect_support(th, tl, zc, k, a, mode):
    """Support by bisection on ``[-1, 0]`` until the bracket stops shrinking."""
    lo = -1.0
    hi = 0.0
    while True:
        mid = 0.5 * (lo + hi)
        if mid <= lo or mid >= hi:
            break
        f = 0.0
        for i in range(k):
            b = (th[i] - mid) + tl[i]
            if b > 0.0:
                f += b**a
        if f >= 1.0:
            lo = mid
        else:
            hi = mid
    n = 0
    for i in range(k):
        if th[i] >= hi:
            swap3(th, tl, zc, n, i)
            n += 1
    if n == 0:
        n = 1
    return n, lo, hi


@njit(cache=True)
def power_threshold(th, tl, zc, k, a, alo, c, anchored, method, dh, dl, out, m, lazy,
                    ptab):
    """Solve ``sum_i [t_i - tau]_+^a = 1`` for the threshold ``tau``.

    ``th + tl`` (double-double, length >= ``k``) are the candidate values
    ``t_i = c (z_i - max z)``, all ``> -1`` with maximum exactly 0, and ``zc`` the raw
    scores ``z_i``; the three arrays are permuted together in place so that the
    support comes first.  ``a > 0``.  ``dh, dl`` are scratch arrays (length >= ``k``).

    ``method`` finds the support: 0 pivots on breakpoints (``a`` in {1, 2}, or
    ``a < 1``) or runs Newton's method on ``||[t - tau]_+||_a`` (other ``a > 1``), both
    expected linear time; 1 sorts (``a`` in {1, 2}); 2 bisects on ``[-1, 0]`` until
    the bracket stops shrinking.  All then share the solve on the support, the
    double-double polish and the support check.  ``anchored`` (entmax with
    ``a < 1``) replaces the solve for ``tau`` by the solve for the probability of the
    smallest support entry (``_anchored_solve``).

    ``lazy``: ``th`` holds only float64 approximations ``fl(c (z - m))`` (``tl = 0``) of
    candidates that include every ``t > -1``; Newton's method on the norm (which must
    then be the method) runs on them, and the exact double-doubles are computed
    afterwards for the entries it leaves in play only (``m``: the row maximum).

    On return ``out[0], out[1]`` hold ``tau`` as a double-double, ``out[2]`` the
    support size and ``out[3]`` the kind of solution: 0 (``tau``), 1 (the support is a
    set of exactly tied values: uniform on it, even where ``tau`` underflows) or 2
    (anchored: ``out[4:7] = (z_j, x, w)``).
    """
    mode = exp_mode(a)
    lo_h, lo_l = -1.0, 0.0
    hi_h, hi_l = 0.0, 0.0
    nu = 0
    s1 = 0.0
    s2 = 0.0
    x0 = np.nan
    # (a = 2: pivoting is cheaper on a few candidates, Newton's method on many)
    if lazy or (method == METHOD_PIVOT and a > 1.0 and (mode == 3 or (mode == 2 and k > 64))):
        nin, x0 = _newton_norm_support(th, tl, zc, k, a, ptab)
        # the iterates stay below the root (up to rounding): entries left behind well
        # below the last one are outside the support for good, and are not checked again
        cut = x0 - 2.0**-30 * (abs(x0) + 1.0)
        kk = nin
        for i in range(nin, k):
            if th[i] > cut:
                swap3(th, tl, zc, kk, i)
                kk += 1
        k = kk
        if lazy:  # the exact values of the entries still in play
            ch_ok = c < _C_MAX_DD
            kk = nin
            for i in range(k):
                h, lw = shifted(zc[i], m, c, ch_ok)
                th[i] = h
                tl[i] = lw
                if i >= nin and _is_candidate(h, lw):
                    swap3(th, tl, zc, kk, i)
                    kk += 1
            k = kk
    elif method == METHOD_SORT:
        nin, lo_h, hi_h = _sort_support(th, tl, zc, k, a, mode)
    elif method == METHOD_BISECT:
        nin, lo_h, hi_h = _bisect_support(th, tl, zc, k, a, mode)
    else:
        nin, nu, s1, s2 = _reclassify_power(
            th, tl, zc, 0, k, lo_h, lo_l, hi_h, hi_l, 0.0, 0.0
        )
    # ---- pivot on breakpoints until the bracket holds none (support identified)
    while nu > 0:
        j = _median3(th, nin, nin + nu // 2, nin + nu - 1)
        ph, pl = th[j], tl[j]
        if mode == 1:
            f = s1 - nin * ph
        elif mode == 2:
            f = s2 - 2.0 * ph * s1 + nin * ph * ph
        else:
            f = 0.0
            for i in range(nin):
                b = (th[i] - ph) + (tl[i] - pl)
                f += b**a
        for i in range(nin, nin + nu):
            b = (th[i] - ph) + (tl[i] - pl)
            if b > 0.0:
                f += b**a if mode == 3 else (b if mode == 1 else b * b)
        if f > 1.0:
            lo_h, lo_l = ph, pl
        elif f < 1.0:
            hi_h, hi_l = ph, pl
        else:
            lo_h, lo_l = ph, pl
            hi_h, hi_l = ph, pl
        nin, nu, s1, s2 = _reclassify_power(
            th, tl, zc, nin, nu, lo_h, lo_l, hi_h, hi_l, s1, s2
        )
    if anchored:
        _anchored_solve(th, tl, zc, k, nin, a, alo, c, dh, dl, out[4:])
        out[2] = out[7]
        out[3] = 2.0
        return
    # ---- solve on the support, polish, and check the support against the result
    lo = lo_h
    hi = hi_h
    for _ in range(64):
        tied = True
        for i in range(1, nin):
            if th[i] != th[0] or tl[i] != tl[0]:
                tied = False
                break
        if tied:
            w = float(nin) ** (-1.0 / a)
            uh, ul = dd_add(th[0], tl[0], -w, 0.0)
        else:
            if mode == 2:
                # tau from the support alone (its values in decreasing order, the
                # closed-form start): the same bits whichever candidates below tau were
                # given, so a guessed candidate bound (_power_row) cannot change a row
                _canonical_order(th, tl, zc, nin)
                x = _initial_tau(th, tl, nin, a, mode, lo, hi)
                x0 = np.nan
            elif x0 == x0:  # from the Newton phase: already converged in float64
                x = x0
                x0 = np.nan
            else:
                x = _initial_tau(th, tl, nin, a, mode, lo, hi)
            uh, ul = _polish_power(th, tl, nin, a, alo, mode, x)
        # consistency: support = {t > tau}
        changed = False
        newn = 0
        t0h, t0l = th[0], tl[0]
        for i in range(k):
            bh, bl = dd_base(th[i], tl[i], uh, ul)
            inside = bh > 0.0 or (tied and th[i] == t0h and tl[i] == t0l)
            if inside:
                if i >= nin:
                    changed = True
                swap3(th, tl, zc, newn, i)
                newn += 1
            elif i < nin:
                changed = True
        if not changed or newn == 0:
            break
        nin = newn
        lo, hi = -1.0, 0.0
    out[0] = uh
    out[1] = ul
    out[2] = nin
    out[3] = 1.0 if tied else 0.0


@njit(cache=True)
def _is_candidate(h, lw):
    return h > -1.0 or (h == -1.0 and lw > 0.0)


@njit(cache=True)
def _power_solve(z, m, c, a, alo, g, normalize, method, W, Wi, res, ptab):
    """Collect the candidates of a row, every entry with ``t = c (z - m) > -g``
    (``0 < g <= 1``; ``g = 1`` is every possible one: ``tau >= -1``), and solve for
    ``tau`` on them (``power_threshold``, into ``res``).  Returns their number ``k``
    (``W``, ``Wi`` hold them, the support first)."""
    th = W[0]
    tl = W[1]
    zc = W[2]
    pos = Wi[0]
    ch_ok = c < _C_MAX_DD
    k = 0
    # conservative pre-test: z > m - g (1 + 1e-9)/c - 4e-16 |m| keeps every entry with
    # c (z - m) > -g (and a few more); the exact double-double test follows
    thr = m - (g + 1e-9 * g) / c - 4e-16 * abs(m)
    kc = _collect_all_above(z, thr, zc, pos)
    amode = exp_mode(a)
    # many candidates for Newton's method on the norm: their exact double-doubles are
    # computed only for the entries it leaves in play (power_threshold, ``lazy``)
    lazy = method == METHOD_PIVOT and a > 1.0 and (amode == 3 or (amode == 2 and kc > 64))
    for q in range(kc):
        if lazy:
            h = c * (zc[q] - m)
            lw = 0.0
            keep = h > -1.0 - 2.0**-40
        else:
            h, lw = shifted(zc[q], m, c, ch_ok)
            keep = _is_candidate(h, lw)
        if keep:
            th[k] = h
            tl[k] = lw
            zc[k] = zc[q]
            pos[k] = pos[q]
            k += 1
    anchored = (not normalize) and a < 1.0
    power_threshold(th, tl, zc, k, a, alo, c, anchored, method, W[3], W[4], res, m, lazy,
                    ptab)
    return k


@njit(cache=True)
def _power_row(z, m, c, a, alo, e, elo, normalize, method, out, info, W, Wi, res, ptab,
               gap):
    """One row of entmax / normmax / sparsemax (see ``power_rows``) into ``out``, which
    arrives zeroed (only the support is written); ``W`` (5, n), ``Wi`` (1, n) and
    ``res`` (8,) are scratch space.

    For 1.5-entmax (``a = 2``) the candidates are first collected above a
    guess ``-g`` of ``tau`` (``g = gap[0]``: from the previous rows, which tend to be
    alike).  The guess is checked: if the ``tau`` found on those candidates is
    ``>= -g``, every entry left out has ``t < -g <= tau`` and is outside the support,
    so ``tau`` solves the row's equation; else the row is solved again on every
    candidate.  The ``tau`` of ``a = 2`` depends on the support only
    (``power_threshold``), so the guess never changes a bit of the result.
    """
    th = W[0]
    tl = W[1]
    pos = Wi[0]
    ch_ok = c < _C_MAX_DD
    guessing = a == 2.0 and method == METHOD_PIVOT and not normalize
    g = gap[0] if guessing and gap[0] < 1.0 else 1.0  # (NaN: no guess yet)
    k = _power_solve(z, m, c, a, alo, g, normalize, method, W, Wi, res, ptab)
    if g < 1.0 and not (res[3] == 0.0 and (res[0] > -g or (res[0] == -g and res[1] >= 0.0))):
        k = _power_solve(z, m, c, a, alo, 1.0, normalize, method, W, Wi, res, ptab)
    if guessing and res[3] == 0.0:
        # the next row's guess: a margin over this row's -tau, or the previous guess
        # decaying by 3 % a row (after a row with a far larger -tau)
        want = 1.15 * -res[0] + 1e-3
        gp = gap[0]
        gap[0] = min(1.0, max(want, 0.97 * gp) if gp == gp else want)
    uh, ul = res[0], res[1]
    nsupp = int(res[2])
    kind = res[3]  # 0: tau, 1: tied support, 2: anchored at z_j
    zj, xj, wj = res[4], res[5], res[6]
    if kind == 2.0:  # tau = c (z_j - max z) - w, for information
        jh, jl = shifted(zj, m, c, ch_ok)
        uh, ul = dd_add(jh, jl, -wj, 0.0)
    t0h, t0l = th[0], tl[0]
    emode = exp_mode(e)
    vs = 0.0
    vc = 0.0
    # a float test that leaves out entries certainly below tau (c (z - m) is within
    # 2**-50 of its float value relative to itself)
    cut = uh - 2.0**-40 * (abs(uh) + 1.0)
    for q in range(k):
        i = pos[q]
        if kind == 0.0 and c * (z[i] - m) < cut * (1.0 + 2.0**-40):
            continue
        h, lw = shifted(z[i], m, c, ch_ok)
        val = 0.0
        if kind == 1.0:
            if h == t0h and lw == t0l:
                val = 1.0 / nsupp
        elif kind == 2.0:
            dh, dl = anchored_d(z[i], zj, c, ch_ok)
            if dh == 0.0 and dl == 0.0:
                val = xj
            else:
                bh, bl = dd_add(dh, dl, wj, 0.0)
                if bh > 0.0:
                    ph, pl = dd_pow(bh, bl, e, elo, emode)
                    val = ph + pl
        else:
            bh, bl = dd_base(h, lw, uh, ul)
            if bh > 0.0:
                ph, pl = dd_pow(bh, bl, e, elo, emode)
                val = ph + pl
                if normalize:
                    vs, vc = neumaier(vs, vc, ph)
                    vc += pl
        out[i] = val
    if normalize and kind == 0.0:
        total = vs + vc
        for q in range(k):
            out[pos[q]] = out[pos[q]] / total
    info[0] = uh
    info[1] = ul
    info[2] = nsupp


# ``cap`` of the chunk loops for a plain map (no Hopfield step): each output row is
# zeroed by the loop, or the output arrives zeroed and only the support is written
_MAP_ZERO_ROWS = -1
_MAP_OUT_ZEROED = -2


@njit(cache=True)
def _no_step(zeroed):
    """The step arguments ``(X, cap, V, counts)`` of a plain map: ``cap`` is
    ``_MAP_OUT_ZEROED`` when ``out`` arrives zeroed, else ``_MAP_ZERO_ROWS``."""
    cap = _MAP_OUT_ZEROED if zeroed else _MAP_ZERO_ROWS
    return np.empty((0, 0)), cap, np.empty((0, 0)), np.empty(0, np.int64)


@njit(cache=True)
def support_sum(p, X, cap, v, idx):
    """``v = sum_i p_i x_i`` (``x_i = X[i]``) over the nonzero ``p_i``, accumulated in
    index order, their indices going to ``idx[:count]``.  Returns ``count``, or ``cap +
    1`` (``v`` untouched) as soon as the support exceeds ``cap``."""
    c = 0
    for i in range(p.shape[0]):
        if p[i] != 0.0:
            if c == cap:
                return cap + 1
            idx[c] = i
            c += 1
    D = X.shape[1]
    for d in range(D):
        v[d] = 0.0
    for t in range(c):
        i = idx[t]
        pi = p[i]
        for d in range(D):
            v[d] += pi * X[i, d]
    return c


@njit(cache=True)
def _support_row(p, z, m, X, cap, v, idx):
    """:func:`support_sum` and ``<z - m, p>`` over the support.  Returns ``(count,
    <z - m, p>)``; ``count = cap + 1`` marks a row left to BLAS."""
    c = support_sum(p, X, cap, v, idx)
    lin = 0.0
    if c <= cap:
        for t in range(c):
            i = idx[t]
            lin += (z[i] - m) * p[i]
    return c, lin


@njit(cache=True, parallel=True)
def support_products(P, Z, rowmax, X, cap, V, idx, counts, lin):
    """Per row (in parallel): ``V[r] = X^T P[r]`` over the support, its indices
    ``idx[r, :counts[r]]`` and ``lin[r] = <Z[r] - rowmax[r], P[r]>``; ``counts[r] = cap +
    1`` marks a row whose support is larger than ``cap`` (``V[r]`` then undefined)."""
    for r in prange(P.shape[0]):
        c, s = _support_row(P[r], Z[r], rowmax[r], X, cap, V[r], idx[r])
        counts[r] = c
        lin[r] = s


@njit(cache=True)
def support_products_serial(P, Z, rowmax, X, cap, V, idx, counts, lin):
    """As :func:`support_products`, one row after the other (small batches)."""
    for r in range(P.shape[0]):
        c, s = _support_row(P[r], Z[r], rowmax[r], X, cap, V[r], idx[r])
        counts[r] = c
        lin[r] = s


@njit(cache=True)
def _step_row(buf, X, cap, v, idx, out_row, counts, r):
    """The Hopfield update of one row whose map is in the scratch ``buf``: ``v = X^T
    buf`` over the support (:func:`support_sum`) when it holds at most ``cap`` entries,
    else ``buf`` is copied to ``out_row`` for the caller's matrix product; ``counts[r]``
    gets the support size (``cap + 1`` for a copied row).  ``buf`` is left zeroed for
    the next row (only its support is reset when the support is known)."""
    c = support_sum(buf, X, cap, v, idx)
    if c > cap:
        out_row[:] = buf
        buf[:] = 0.0
    else:
        for t in range(c):
            buf[idx[t]] = 0.0
    counts[r] = c


@njit(cache=True)
def _have_max(Z, rowmax, out, info, r, ninf, need):
    """``rowmax[r]`` NaN means "not computed yet" (validation deferred to this pass over
    the row): compute it here, and the row's number of -inf entries into ``ninf[r]``
    (if ``ninf`` is not empty).  Returns False, with the row's output zeroed, when the
    maximum is not finite (NaN, +inf or an all -inf row) or the row has fewer than
    ``need`` unmasked entries: the caller raises."""
    m = rowmax[r]
    if m == m:
        return True
    # (the count is needed for ninf, or for need > 1: a finite maximum is one entry)
    m, cnt = _row_max(Z[r], ninf.shape[0] > 0 or need > 1)
    rowmax[r] = m
    if ninf.shape[0] > 0:
        ninf[r] = cnt
    if -np.inf < m < np.inf and Z.shape[1] - cnt >= need:
        return True
    out[r, :] = 0.0
    info[r, :] = np.nan
    return False


@njit(cache=True)
def _power_chunk(Z, rowmax, c, a, alo, e, elo, normalize, method, out, info, r0, r1,
                 X, cap, V, counts):
    """Rows ``r0:r1`` of ``power_rows``, with one scratch allocation (each output row is
    zeroed, unless ``cap = _MAP_OUT_ZEROED`` says that ``out`` arrives zeroed, then its support
    written); with ``cap >= 0`` the rows of ``power_rows_step`` (see
    :func:`_step_row`)."""
    n = Z.shape[1]
    W = np.empty((5, n))
    Wi = np.empty((1, n), np.int64)
    res = np.empty(8)
    nocount = np.empty(0, np.int64)
    # (the table costs ~n powers: worth it over many rows only)
    ptab = power_table(a, min(n, 64 * (r1 - r0))) if a > 1.0 and r1 - r0 >= 8 else np.empty(0)
    gap = np.full(1, np.nan)  # _power_row's guess, from row to row
    buf = np.zeros(n if cap >= 0 else 0)  # (kept zeroed by _step_row)
    idx = np.empty(max(cap, 0), np.int64)
    for r in range(r0, r1):
        if not _have_max(Z, rowmax, out, info, r, nocount, 0):
            continue
        o = buf
        if cap < 0:
            o = out[r]
            if cap == _MAP_ZERO_ROWS:
                o[:] = 0.0
        _power_row(Z[r], rowmax[r], c, a, alo, e, elo, normalize, method, o, info[r], W, Wi,
                   res, ptab, gap)
        if cap >= 0:
            _step_row(buf, X, cap, V[r], idx, out[r], counts, r)


@njit(cache=True, parallel=True)
def power_rows(Z, rowmax, c, a, alo, e, elo, normalize, method, out, info, zeroed):
    """Rows of ``p_i = [c (z_i - max z) - tau]_+^e`` (normalized if ``normalize``),
    with ``tau`` solving ``sum_i [c (z_i - max z) - tau]_+^a = 1``.

    * α-entmax: ``c = α - 1``, ``a = e = 1/(α - 1)``; sparsemax is ``c = a = e = 1``;
    * α-normmax: ``c = 1``, ``a = α/(α-1)``, ``e = 1/(α-1)``, ``normalize=True``
      (``α = inf``: ``a = 1``, ``e = 0``, uniform on sparsemax's support).

    ``alo`` and ``elo`` are the low parts of the exponents (``a + alo`` and ``e + elo``
    are the double-doubles of the exact rationals; 0 for ``a, e`` in {0, 1, 2}).

    ``info[r]`` receives ``(tau_hi, tau_lo, support size)`` of row ``r``, with ``tau``
    in the shifted coordinates ``c (z - max z)``.  ``zeroed``: ``out`` arrives zeroed,
    and only the support of each row is written (else each row is zeroed first).  Chunks
    of rows run in parallel.
    """
    nr = Z.shape[0]
    nch = min(nr, 256)
    for ch in prange(nch):
        _power_chunk(Z, rowmax, c, a, alo, e, elo, normalize, method, out, info,
                     ch * nr // nch, (ch + 1) * nr // nch, *_no_step(zeroed))


@njit(cache=True)
def power_rows_serial(Z, rowmax, c, a, alo, e, elo, normalize, method, out, info,
                      zeroed):
    """``power_rows`` on one thread (small inputs: no thread start-up)."""
    _power_chunk(Z, rowmax, c, a, alo, e, elo, normalize, method, out, info, 0,
                 Z.shape[0], *_no_step(zeroed))


@njit(cache=True, parallel=True)
def power_rows_step(Z, rowmax, c, a, alo, e, elo, normalize, method, X, cap, out, info,
                    V, counts):
    """The Hopfield update through ``power_rows``: ``V[r] = X^T p_r`` with ``p_r`` the
    row ``r`` of ``power_rows`` (bit for bit), computed into a scratch row and never
    written to ``out`` unless its support exceeds ``cap`` (see :func:`_step_row`)."""
    nr = Z.shape[0]
    nch = min(nr, 256)
    for ch in prange(nch):
        _power_chunk(Z, rowmax, c, a, alo, e, elo, normalize, method, out, info,
                     ch * nr // nch, (ch + 1) * nr // nch, X, cap, V, counts)


@njit(cache=True)
def power_rows_step_serial(Z, rowmax, c, a, alo, e, elo, normalize, method, X, cap, out,
                           info, V, counts):
    """``power_rows_step`` on one thread."""
    _power_chunk(Z, rowmax, c, a, alo, e, elo, normalize, method, out, info, 0,
                 Z.shape[0], X, cap, V, counts)


# ---- one (c, a, e) per row (alpha per row, issue 18): the same row kernel, parameters
# ---- read from arrays, so that every row is bitwise the row of a single-alpha call
@njit(cache=True)
def _power_chunk_v(Z, rowmax, C, A, ALO, E, ELO, normalize, method, out, info, r0, r1,
                   zeroed):
    """Rows ``r0:r1`` of ``power_rows_v``, with one scratch allocation (each output row
    zeroed unless ``zeroed``, then its support written)."""
    n = Z.shape[1]
    W = np.empty((5, n))
    Wi = np.empty((1, n), np.int64)
    res = np.empty(8)
    noptab = np.empty(0)
    gap = np.full(1, np.nan)
    # the count bound's table (power_table) for an alpha met on two rows in a row (rows
    # of one alpha share it; a different alpha on every row computes its powers as needed)
    ptab = noptab
    tab_a = np.nan
    prev_a = np.nan
    for r in range(r0, r1):
        a = A[r]
        if a > 1.0 and a == prev_a and a != tab_a and r1 - r0 >= 8:
            ptab = power_table(a, min(n, 64 * (r1 - r0)))
            tab_a = a
        if a != prev_a:
            gap[0] = np.nan  # (the guess is in the units of one alpha)
        prev_a = a
        if not zeroed:
            out[r, :] = 0.0
        _power_row(Z[r], rowmax[r], C[r], a, ALO[r], E[r], ELO[r], normalize, method,
                   out[r], info[r], W, Wi, res, ptab if a == tab_a else noptab, gap)


@njit(cache=True, parallel=True)
def power_rows_v(Z, rowmax, C, A, ALO, E, ELO, normalize, method, out, info, zeroed):
    """``power_rows`` with the parameters ``(c, a, alo, e, elo)`` of row ``r`` in
    ``C[r], A[r], ALO[r], E[r], ELO[r]`` (α per row); chunks of rows run in parallel.
    ``zeroed`` as in ``power_rows``."""
    nr = Z.shape[0]
    nch = min(nr, 256)
    for ch in prange(nch):
        _power_chunk_v(Z, rowmax, C, A, ALO, E, ELO, normalize, method, out, info,
                       ch * nr // nch, (ch + 1) * nr // nch, zeroed)


@njit(cache=True)
def power_rows_v_serial(Z, rowmax, C, A, ALO, E, ELO, normalize, method, out, info,
                        zeroed):
    """``power_rows_v`` on one thread."""
    _power_chunk_v(Z, rowmax, C, A, ALO, E, ELO, normalize, method, out, info, 0,
                   Z.shape[0], zeroed)


# --------------------------------------------------------------------------------------
# the row maximum (validation of large inputs)
# --------------------------------------------------------------------------------------
@njit(cache=True)
def _row_max(row, count=True):
    """``(max(row), number of -inf entries)``; the maximum is NaN if the row holds a NaN
    (as ``numpy.max``).  Eight independent maxima (LLVM vectorizes them) and integer
    counts, instead of one dependent chain of comparisons.  ``count=False``: the
    number is not counted (returned as 0), one pass over the row fewer."""
    n = row.shape[0]
    m0 = m1 = m2 = m3 = m4 = m5 = m6 = m7 = -np.inf
    nan = 0
    ninf = 0
    if count:
        for i in range(n):
            ninf += 1 if row[i] == -np.inf else 0
    i = 0
    while i + 8 <= n:
        x0 = row[i]
        x1 = row[i + 1]
        x2 = row[i + 2]
        x3 = row[i + 3]
        x4 = row[i + 4]
        x5 = row[i + 5]
        x6 = row[i + 6]
        x7 = row[i + 7]
        m0 = x0 if x0 > m0 else m0
        m1 = x1 if x1 > m1 else m1
        m2 = x2 if x2 > m2 else m2
        m3 = x3 if x3 > m3 else m3
        m4 = x4 if x4 > m4 else m4
        m5 = x5 if x5 > m5 else m5
        m6 = x6 if x6 > m6 else m6
        m7 = x7 if x7 > m7 else m7
        nan |= ((x0 != x0) | (x1 != x1) | (x2 != x2) | (x3 != x3)
                | (x4 != x4) | (x5 != x5) | (x6 != x6) | (x7 != x7))
        i += 8
    m = max(max(max(m0, m1), max(m2, m3)), max(max(m4, m5), max(m6, m7)))
    while i < n:
        x = row[i]
        nan |= x != x
        if x > m:
            m = x
        i += 1
    return (np.nan if nan else m), ninf


@njit(cache=True, parallel=True)
def rowmax_rows(Z, out, ninf):
    """``out[r] = max(Z[r])`` (NaN if the row holds one) and ``ninf[r]`` its number of
    -inf entries, rows in parallel."""
    for r in prange(Z.shape[0]):
        out[r], ninf[r] = _row_max(Z[r])


# --------------------------------------------------------------------------------------
# softmax and argmax
# --------------------------------------------------------------------------------------
# exp(z_i - m) as a pair, in plain arithmetic that LLVM vectorizes (no libm call per
# entry; Numba has no SVML here).  For x = d + e (d = fl(z_i - m), e its exact low part):
# Cody-Waite reduction x = k ln2 + rh + rl, k = round(d / ln2), ln2 = _LN2_HI + _LN2_LO
# (_LN2_HI has 41 significant bits, so k _LN2_HI is exact for |k| < 2**12, and
# rh = d - k _LN2_HI is exact by Sterbenz; rl = e - k _LN2_LO, |rl| < 2**-32; both, the
# polynomial and the correction by rl are fused multiply-adds, _fma);
# exp(rh + rl) = (1 + rh + rh**2 p(rh)) (1 + rl) + O(rl**2) with p a degree-10 Chebyshev
# fit of (exp(r) - 1 - r) / r**2 on |r| <= ln2/2 + 2**-30 (relative error of the fitted
# exp with these float64 coefficients: 3.4e-19 = 2**-61.4); the result is kept as
# s + sl (s = fl(1 + fl(rh + t)), sl the rest) times 2**(k + 64), exact and normal for
# k >= -1082; the sum and exp_pairs scale by 2**-64 (one rounding, also for subnormal
# results), the quotient scales its result last.  Below d = -750 the entry is 0
# (exp(-750) < 2**-1082).
_SM_BLOCK = 256  # entries per block of the vectorized exp
_SM_LANES = 32  # independent TwoSum accumulators of the sum
_SM_SHORT = 128  # rows up to this length: several per exp loop, one TwoSum chain each
_SM_LONG = 1 << 16  # longer rows, few of them: no low parts kept (_softmax_long)
_INV_LN2 = 1.4426950408889634
_ROUND_SHIFT = 6755399441055744.0  # 1.5 * 2**52: (x + S) - S rounds x to an integer
_LN2_HI = 0.6931471805598903  # ln 2 truncated to 41 significant bits
_LN2_LO = 5.497923018708371e-14  # ln 2 - _LN2_HI, rounded
_EXP_LOW = -750.0
_TWO_M64 = 2.0**-64
_EP0 = 2.0914679376787926e-09
_EP1 = 2.510520637424267e-08
_EP2 = 2.7557273661348145e-07
_EP3 = 2.755725542574575e-06
_EP4 = 2.4801587325533363e-05
_EP5 = 0.00019841269874800493
_EP6 = 0.0013888888888883752
_EP7 = 0.008333333333326141
_EP8 = 0.04166666666666667
_EP9 = 0.1666666666666667
_EP10 = 0.5


if config.DISABLE_JIT:  # type: ignore[attr-defined]  # kernels run as Python: same values

    def _fma(a, b, c):
        """``a b + c`` rounded once (exact rationals, then one rounding)."""
        if not (math.isfinite(a) and math.isfinite(b) and math.isfinite(c)):
            return a * b + c
        return float(Fraction(a) * Fraction(b) + Fraction(c))

    def _bits_f64(b):
        """The float64 whose bits are the ``int64`` ``b``."""
        return float(np.array(b, np.int64).view(np.float64))

else:

    @intrinsic
    def _fma(typingctx, a, b, c):
        """``a b + c`` rounded once (LLVM's ``llvm.fma.f64``: one ``vfmadd`` instruction on
        CPUs with FMA, vectorized with the loop; elsewhere the C library's ``fma``, the same
        bits).  An exact IEEE operation, not a fast-math licence: nothing is reassociated."""
        if not (a == b == c == types.float64):
            return None

        def codegen(context, builder, signature, args):
            d = ir.DoubleType()
            fn = builder.module.declare_intrinsic("llvm.fma", [d],
                                                  ir.FunctionType(d, [d, d, d]))
            return builder.call(fn, args)

        return types.float64(types.float64, types.float64, types.float64), codegen

    @intrinsic
    def _bits_f64(typingctx, b):
        """The float64 whose bits are the ``int64`` ``b`` (a bit cast, no conversion)."""
        if b != types.int64:
            return None

        def codegen(context, builder, signature, args):
            return builder.bitcast(args[0], ir.DoubleType())

        return types.float64(types.int64), codegen


@njit(cache=True)
def _exp_core(xi, m):
    """``exp(xi - m) = (s + sl) 2**(k + 64) 2**-64``: returns ``s`` (in [0.7, 1.42]),
    ``sl`` and the bits of ``2**(k + 64)``.  Branch-free; ``m`` finite, ``xi <= m`` or
    ``-inf``."""
    d = xi - m
    bp = d - xi
    e = (xi - (d - bp)) + (-m - bp)  # z_i - m = d + e exactly (NaN when d = -inf)
    e = e if d >= _EXP_LOW else 0.0
    d = max(d, _EXP_LOW)
    kf = (d * _INV_LN2 + _ROUND_SHIFT) - _ROUND_SHIFT
    rh = _fma(-kf, _LN2_HI, d)  # exact
    rl = _fma(-kf, _LN2_LO, e)  # |rl| < 2**-32
    p = _fma(_EP0, rh, _EP1)
    p = _fma(p, rh, _EP2)
    p = _fma(p, rh, _EP3)
    p = _fma(p, rh, _EP4)
    p = _fma(p, rh, _EP5)
    p = _fma(p, rh, _EP6)
    p = _fma(p, rh, _EP7)
    p = _fma(p, rh, _EP8)
    p = _fma(p, rh, _EP9)
    p = _fma(p, rh, _EP10)
    t = (rh * rh) * p  # exp(rh) = 1 + rh + t
    t += _fma(rl, rh + t, rl)  # exp(rh + rl) = exp(rh) (1 + rl) + O(rl**2)
    s = 1.0 + (rh + t)
    return s, ((1.0 - s) + rh) + t, (np.int64(kf) + 1087) << 52  # k >= -1082


@njit(cache=True)
def _exp_block(x, m, vh, vl, kb):
    """``_exp_core`` over a block: writes ``vh_j``, ``vl_j`` and ``kb_j``, the bits of
    ``2**(k_j + 64)`` (one elementwise loop, vectorized)."""
    for j in range(x.shape[0]):
        vh[j], vl[j], kb[j] = _exp_core(x[j], m)


@njit(cache=True)
def _scale_block(vh, vl, f):
    """Second half of ``_exp_block``: ``(vh, vl) *= 2**(k + 64) 2**-64``."""
    for j in range(vh.shape[0]):
        vh[j] = (vh[j] * f[j]) * _TWO_M64
        vl[j] = (vl[j] * f[j]) * _TWO_M64


@njit(cache=True)
def _scale_sum_block(vh, vl, f, acc, err):
    """``(vh, vl) *= 2**(k + 64)`` (exact: the pair of ``exp(x - m) 2**64``, normal down
    to ``x - m = -750``, kept for the quotient so that subnormal results are rounded
    once) and the sum of ``exp(x - m)``: entry ``j`` goes to lane ``j`` by TwoSum
    (Knuth), ``acc_j + err_j`` gaining ``vh_j + vl_j`` up to the rounding of ``err_j``."""
    for j in range(vh.shape[0]):
        h64 = vh[j] * f[j]
        l64 = vl[j] * f[j]
        vh[j] = h64
        vl[j] = l64
        h = h64 * _TWO_M64
        lo = l64 * _TWO_M64
        a = acc[j]
        t = a + h
        bp = t - a
        acc[j] = t
        err[j] += ((a - (t - bp)) + (h - bp)) + lo


@njit(cache=True)
def _lanes_sum(acc, err, L):
    """``sum_j acc_j + err_j`` over ``L`` lanes, pairwise by TwoSum: ``(sh, sl)``."""
    while L > 1:
        h = L // 2
        o = L - h
        for j in range(h):
            a = acc[j]
            b = acc[j + o]
            t = a + b
            bp = t - a
            acc[j] = t
            err[j] += ((a - (t - bp)) + (b - bp)) + err[j + o]
        L = o
    return fast_two_sum(acc[0], err[0])


@njit(cache=True)
def _exp_sum(row, m, oh, ol, kb, acc, err):
    """``oh + ol = exp(row - m) 2**64`` per entry and the sum ``(sh, sl)`` of
    ``exp(row - m)``; ``kb``, ``acc``, ``err`` are scratch of ``_SM_BLOCK``,
    ``_SM_LANES``, ``_SM_LANES`` entries."""
    f = kb.view(np.float64)
    n = row.shape[0]
    if n <= _SM_SHORT:  # one block, one TwoSum chain: no lanes to set up and combine
        _exp_block(row, m, oh, ol, kb)
        a = 0.0
        c = 0.0
        for j in range(n):
            h64 = oh[j] * f[j]
            l64 = ol[j] * f[j]
            oh[j] = h64
            ol[j] = l64
            h = h64 * _TWO_M64
            lo = l64 * _TWO_M64
            t = a + h
            bp = t - a
            c += ((a - (t - bp)) + (h - bp)) + lo
            a = t
        return fast_two_sum(a, c)
    L = min(n, _SM_LANES)
    acc[:L] = 0.0
    err[:L] = 0.0
    for i0 in range(0, n, _SM_BLOCK):
        i1 = min(i0 + _SM_BLOCK, n)
        _exp_block(row[i0:i1], m, oh[i0:i1], ol[i0:i1], kb)
        for j0 in range(i0, i1, _SM_LANES):
            j1 = min(j0 + _SM_LANES, i1)
            _scale_sum_block(oh[j0:j1], ol[j0:j1], f[j0 - i0:j1 - i0], acc, err)
    return _lanes_sum(acc, err, L)


@njit(cache=True)
def exp_pairs(x, m, vh, vl):
    """``vh + vl = exp(x - m)`` elementwise (``x - m`` taken exactly), as computed by the
    softmax kernels; for the tests (``tests/test_fast_exp.py``)."""
    kb = np.empty(_SM_BLOCK, np.int64)
    f = kb.view(np.float64)
    n = x.shape[0]
    for i0 in range(0, n, _SM_BLOCK):
        i1 = min(i0 + _SM_BLOCK, n)
        _exp_block(x[i0:i1], m, vh[i0:i1], vl[i0:i1], kb)
        _scale_block(vh[i0:i1], vl[i0:i1], f[:i1 - i0])


@njit(cache=True)
def _short_exp(Z, rowmax, r0, r1, vh, vl, kb, M):
    """``vh + vl = exp(z - max z) 2**64`` for the rows ``r0:r1`` of a C-contiguous ``Z``
    taken as one block of ``(r1 - r0) n <= _SM_BLOCK`` entries (short rows: one
    vectorized loop for several rows); ``M`` is scratch for the maxima."""
    n = Z.shape[1]
    k = (r1 - r0) * n
    for i in range(r1 - r0):
        M[i * n:(i + 1) * n] = rowmax[r0 + i]
    x = Z[r0:r1].reshape(k)
    for j in range(k):
        vh[j], vl[j], kb[j] = _exp_core(x[j], M[j])
    f = kb.view(np.float64)
    for j in range(k):
        vh[j] *= f[j]
        vl[j] *= f[j]


@njit(cache=True)
def _short_sum(vh, vl, i0, i1):
    """``(sh, sl)``: the sum of ``(vh + vl) 2**-64`` over ``i0:i1``, one TwoSum chain."""
    a = 0.0
    c = 0.0
    for j in range(i0, i1):
        h = vh[j] * _TWO_M64
        t = a + h
        bp = t - a
        c += ((a - (t - bp)) + (h - bp)) + vl[j] * _TWO_M64
        a = t
    return fast_two_sum(a, c)


@njit(cache=True)
def _touch(x, sink):
    """Load one entry per 64-byte line of ``x`` (the next row) so that its cache misses
    overlap: the exp loop is too long for the out-of-order window to run ahead into the
    next row, and the hardware prefetcher does not (measured: the serial softmax kernel on
    10**4 x 10**3 went from 59 to 39 ms).  ``sink`` is written only if the sum is NaN,
    which no valid row gives; the test keeps the loads alive."""
    t = 0.0
    for i in range(0, x.shape[0], 8):
        t += x[i]
    if t != t:
        sink[0] = t


@njit(cache=True)
def _quotient(o, lo, sh, sl):
    """``o_i <- (o_i + lo_i) / (sh + sl) 2**-64``, rounded once from a value within
    about ``2**-76`` relative (the numerators carry ``2**64``, so that a subnormal
    result is rounded to its grid from a 53-bit value, not from a rounded numerator).
    ``1 / (sh + sl) = c1 + c2`` with ``c1`` of 26 bits and
    ``c2 = (1 - c1 (sh + sl)) / sh`` (``c1 sh`` exact by Dekker's product, ``|c2|`` about
    ``2**-27 c1``); ``o_i = a + b`` is split into 26-bit halves (Veltkamp), so ``a c1`` and
    ``b c1`` are exact and only ``o_i c2 + lo_i c1``, of relative size ``2**-26``, and the
    final sum are rounded."""
    r = 1.0 / sh
    c = _SPLIT * r
    c1 = c - (c - r)
    p, pe = two_prod(c1, sh)
    c2 = (((1.0 - p) - pe) - c1 * sl) * r
    for i in range(o.shape[0]):
        v = o[i]
        c = _SPLIT * v
        a = c - (c - v)
        b = v - a
        o[i] = (a * c1 + (b * c1 + (v * c2 + lo[i] * c1))) * _TWO_M64


@njit(cache=True)
def _sum_long(row, m, oh, lob, kb, acc, err):
    """The sum ``(sh, sl)`` of ``exp(row - m)`` as ``_exp_sum`` computes it (the same
    lanes, bit for bit), keeping the low parts of one block at a time only (``lob``:
    ``_SM_BLOCK`` entries); ``oh`` receives the high parts (row-long, or block-long when
    ``len(oh) == _SM_BLOCK``: then it is overwritten block after block)."""
    f = kb.view(np.float64)
    n = row.shape[0]
    per_block = oh.shape[0] < n
    L = min(n, _SM_LANES)
    acc[:L] = 0.0
    err[:L] = 0.0
    for i0 in range(0, n, _SM_BLOCK):
        i1 = min(i0 + _SM_BLOCK, n)
        b0 = 0 if per_block else i0
        hb = oh[b0:b0 + i1 - i0]
        _exp_block(row[i0:i1], m, hb, lob[:i1 - i0], kb)
        for j0 in range(0, i1 - i0, _SM_LANES):
            j1 = min(j0 + _SM_LANES, i1 - i0)
            _scale_sum_block(hb[j0:j1], lob[j0:j1], f[j0:j1], acc, err)
    return _lanes_sum(acc, err, L)


@njit(cache=True)
def _softmax_long(row, m, o, lob, kb, acc, err):
    """``_softmax_row_s`` for a long row without a row-long scratch array: the first
    pass keeps only the sum (the low parts of each block are dropped after summing), the
    second recomputes each block's exp pairs (the same values: the exp is deterministic)
    and divides them.  Peak memory beyond the output: ``_SM_BLOCK`` entries, not ``n``;
    about a third more time.  The result is that of ``_softmax_row_s``, bit for bit."""
    f = kb.view(np.float64)
    n = row.shape[0]
    sh, sl = _sum_long(row, m, o, lob, kb, acc, err)
    for i0 in range(0, n, _SM_BLOCK):
        i1 = min(i0 + _SM_BLOCK, n)
        _exp_block(row[i0:i1], m, o[i0:i1], lob[:i1 - i0], kb)
        for j in range(i1 - i0):
            o[i0 + j] *= f[j]
            lob[j] *= f[j]
        _quotient(o[i0:i1], lob[:i1 - i0], sh, sl)


@njit(cache=True)
def _softmax_row_s(row, m, o, lo, kb, acc, err):
    sh, sl = _exp_sum(row, m, o, lo, kb, acc, err)
    _quotient(o, lo, sh, sl)


@njit(cache=True)
def _softmax_row(row, m, o):
    """Softmax of one row, each entry of at least ``2**-1022`` within 2 ulp of the exact
    value (measured: at most 0.57 ulp, ``docs/accuracy.md``).

    The shift is error-free, ``z_i - m = d + e`` exactly, and ``exp(d + e)`` is computed
    by ``_exp_block`` as a pair ``v + vl`` within about ``2**-56`` relative (``e`` enters
    the reduced argument; rounding ``z_i - m`` alone would move a small entry by
    ``|z_i - m| 2**-53`` relative, hundreds of ulp at ``e**-700``).  The sum
    ``S = sh + sl`` is kept in 32 TwoSum lanes, and the quotient ``(v + vl) / S`` by
    ``_quotient`` is rounded once from a value within ``2**-76``, so the error is the
    final rounding plus a tenth of an ulp.  Branch-free loops over blocks of 256
    entries, vectorized by LLVM (no ``math.exp`` call per entry).
    """
    n = row.shape[0]
    _softmax_row_s(row, m, o, np.empty(n), np.empty(_SM_BLOCK, np.int64),
                   np.empty(_SM_LANES), np.empty(_SM_LANES))


@njit(cache=True)
def _logsumexp_row(row, m):
    n = row.shape[0]
    vh = np.empty(n)
    sh, sl = _exp_sum(row, m, vh, np.empty(n), np.empty(_SM_BLOCK, np.int64),
                      np.empty(_SM_LANES), np.empty(_SM_LANES))
    return math.log(sh) + sl / sh


@njit(cache=True)
def _argmax_row(row, m, o):
    cnt = 0
    for i in range(row.shape[0]):
        if row[i] == m:
            cnt += 1
    v = 1.0 / cnt
    for i in range(row.shape[0]):
        o[i] = v if row[i] == m else 0.0


@njit(cache=True)
def _softmax_chunk(Z, rowmax, out, r0, r1):
    """Rows ``r0:r1``; rows of at most ``_SM_SHORT`` entries go by groups through one
    exp loop (``_short_exp``), longer ones one by one (``_softmax_row_s``)."""
    n = Z.shape[1]
    # a row-long scratch is one input's worth of memory for a single row, a small part
    # of a batch: only few long rows go without it (at a third more time)
    nolo = n > _SM_LONG and Z.shape[0] < 8
    lo = np.empty(_SM_BLOCK if nolo else max(n, _SM_BLOCK))
    kb = np.empty(_SM_BLOCK, np.int64)
    acc = np.empty(_SM_LANES)
    err = np.empty(_SM_LANES)
    if n <= _SM_SHORT:
        vh = np.empty(_SM_BLOCK)
        M = np.empty(_SM_BLOCK)
        G = _SM_BLOCK // max(n, 1)
        for g0 in range(r0, r1, G):
            g1 = min(g0 + G, r1)
            if g1 < r1:
                _touch(Z[g1:min(g1 + G, r1)].reshape((min(g1 + G, r1) - g1) * n), acc)
            _short_exp(Z, rowmax, g0, g1, vh, lo, kb, M)
            for i in range(g1 - g0):
                sh, sl = _short_sum(vh, lo, i * n, (i + 1) * n)
                o = out[g0 + i]
                o[:] = vh[i * n:(i + 1) * n]
                _quotient(o, lo[i * n:(i + 1) * n], sh, sl)
        return
    for r in range(r0, r1):
        if nolo:
            _softmax_long(Z[r], rowmax[r], out[r], lo, kb, acc, err)
            continue
        if r + 1 < Z.shape[0]:
            _touch(Z[r + 1], acc)
        _softmax_row_s(Z[r], rowmax[r], out[r], lo, kb, acc, err)


@njit(cache=True, parallel=True)
def softmax_rows(Z, rowmax, out):
    """Rows of ``exp(z - max z) / sum exp(z - max z)`` (compensated sum), in parallel
    (64 chunks of rows, each with its own scratch)."""
    R = Z.shape[0]
    nch = min(R, 64)
    for c in prange(nch):
        _softmax_chunk(Z, rowmax, out, c * R // nch, (c + 1) * R // nch)


@njit(cache=True)
def softmax_rows_serial(Z, rowmax, out):
    """``softmax_rows`` on one thread."""
    _softmax_chunk(Z, rowmax, out, 0, Z.shape[0])


@njit(cache=True)
def _lanes_add(h, acc, err):
    """``acc_j + err_j`` gains ``h_j`` by TwoSum (Knuth), lane ``j`` for entry ``j``."""
    for j in range(h.shape[0]):
        a = acc[j]
        t = a + h[j]
        bp = t - a
        acc[j] = t
        err[j] += (a - (t - bp)) + (h[j] - bp)


@njit(cache=True)
def _lanes_total(x, acc, err):
    """``sum_j x_j`` as ``(sh, sl)``: ``x`` into ``_SM_LANES`` TwoSum lanes
    (``_lanes_add``, a vectorized loop), then the lanes pairwise (``_lanes_sum``)."""
    n = x.shape[0]
    L = min(n, _SM_LANES)
    acc[:L] = 0.0
    err[:L] = 0.0
    for j0 in range(0, n, _SM_LANES):
        _lanes_add(x[j0:min(j0 + _SM_LANES, n)], acc, err)
    return _lanes_sum(acc, err, L)


@njit(cache=True)
def _weights_sum(z, m, acc, err):
    """``z_j <- exp(z_j - m)`` in place (``z_j - m`` taken exactly, ``_exp_core``; one
    rounding of ``s 2**k``: within 1 ulp, 0 below ``exp(-750)``) and their sum
    ``(sh, sl)`` (``_lanes_total``).  Two loops, each vectorized: the exp map over the
    row, then the lanes (fused into one loop, the lane accumulators keep LLVM from
    vectorizing it)."""
    for j in range(z.shape[0]):
        s, _, kb = _exp_core(z[j], m)
        z[j] = (s * _bits_f64(kb)) * _TWO_M64
    return _lanes_total(z, acc, err)


_K0_BITS = 1087 << 52  # the bits of 2**(k + 64) for k = 0 (_exp_core)


@njit(cache=True)
def _neg_expm1(s, sl, kb, w):
    """``-expm1(z - m) = 1 - w`` from ``_exp_core``'s ``(s, sl, kb)`` and the weight
    ``w``: for ``k = 0`` (``|z - m| < ln2/2``) ``(1 - s) - sl`` (``1 - s`` exact by
    Sterbenz, ``sl`` the rounding error of ``s``: no cancellation), else ``1 - w``
    (at least 0.29)."""
    return ((1.0 - s) - sl) if kb == _K0_BITS else 1.0 - w


@njit(cache=True)
def _weights_sum_d(z, m, acc, err, e1):
    """``_weights_sum`` (the same weights and sum, bit for bit) and also
    ``D = sum_j -expm1(z_j - m)`` (each term by ``_neg_expm1``; ``e1`` scratch of
    ``len(z)``), as ``(sh, sl, D)``."""
    n = z.shape[0]
    for j in range(n):
        s, sl, kb = _exp_core(z[j], m)
        w = (s * _bits_f64(kb)) * _TWO_M64
        z[j] = w
        e1[j] = _neg_expm1(s, sl, kb, w)
    h, lo = _lanes_total(z, acc, err)
    dh, dl = _lanes_total(e1, acc, err)
    return h, lo, dh + dl


@njit(cache=True)
def softmax_step_block(W, m, sh, sl, V, D, n0):
    """One block of patterns of the softmax Hopfield step (one thread, rows in order).

    On entry ``W[r]`` holds the scores of row ``r`` against the block's patterns; on
    exit the weights ``exp(z - m[r])`` (``_weights_sum``) of the updated running
    maximum ``m[r]``, for the caller to add ``W X_block`` to ``V``.  ``(sh + sl)[r]``
    is the running sum of the weights and ``V[r]`` the weighted sum of patterns so far:
    when the maximum grows from ``m0`` to ``m1`` both are multiplied by
    ``c = exp(m0 - m1)`` (an exact shift, as for every weight).  ``m[r] = -inf``: no
    finite score yet; ``m[r] = NaN``: the row holds a NaN or ``+inf`` score, left with
    zero weights for the caller to refuse.

    ``D`` of length ``len(W)`` (else length 0: not computed): the running
    ``D[r] = sum_j -expm1(z_j - m[r])`` over the ``n0`` scores before this block and
    this block's, for the energy near the uniform distribution; when the maximum grows
    it becomes ``n0 (1 - c) + c D[r]`` (two non-negative terms: no cancellation).
    """
    acc = np.empty(_SM_LANES)
    err = np.empty(_SM_LANES)
    want_d = D.shape[0] > 0
    e1 = np.empty(W.shape[1] if want_d else 0)
    for r in range(W.shape[0]):
        z = W[r]
        mr = m[r]
        mb = _row_max(z, False)[0] if mr == mr else np.nan
        if mb != mb or mb == np.inf:
            m[r] = np.nan
            z[:] = 0.0
            continue
        if mb > mr:
            if mr > -np.inf:
                s, slo, kb = _exp_core(mr, mb)
                sc = (s * _bits_f64(kb)) * _TWO_M64
                sh[r], sl[r] = fast_two_sum(sh[r] * sc, sl[r] * sc)
                for d in range(V.shape[1]):
                    V[r, d] *= sc
                if want_d:
                    D[r] = n0 * _neg_expm1(s, slo, kb, sc) + sc * D[r]
            m[r] = mb
            mr = mb
        if mr == -np.inf:  # every score so far is -inf: no weight
            z[:] = 0.0
            if want_d:
                D[r] += z.shape[0]
            continue
        if want_d:
            h, lo, dsum = _weights_sum_d(z, mr, acc, err, e1)
            D[r] += dsum
        else:
            h, lo = _weights_sum(z, mr, acc, err)
        sh[r], sl[r] = dd_add(sh[r], sl[r], h, lo)


@njit(cache=True)
def _logsumexp_chunk(Z, rowmax, out, r0, r1):
    n = Z.shape[1]
    vh = np.empty(max(n, _SM_BLOCK) if n <= _SM_LONG else _SM_BLOCK)
    vl = np.empty(max(n, _SM_BLOCK) if n <= _SM_LONG else _SM_BLOCK)
    kb = np.empty(_SM_BLOCK, np.int64)
    acc = np.empty(_SM_LANES)
    err = np.empty(_SM_LANES)
    if n <= _SM_SHORT:
        M = np.empty(_SM_BLOCK)
        G = _SM_BLOCK // max(n, 1)
        for g0 in range(r0, r1, G):
            g1 = min(g0 + G, r1)
            _short_exp(Z, rowmax, g0, g1, vh, vl, kb, M)
            for i in range(g1 - g0):
                sh, sl = _short_sum(vh, vl, i * n, (i + 1) * n)
                out[g0 + i] = math.log(sh) + sl / sh
        return
    for r in range(r0, r1):
        if n > _SM_LONG:  # block-long scratch only
            sh, sl = _sum_long(Z[r], rowmax[r], vh, vl, kb, acc, err)
        else:
            if r + 1 < Z.shape[0]:
                _touch(Z[r + 1], acc)
            sh, sl = _exp_sum(Z[r], rowmax[r], vh, vl, kb, acc, err)
        out[r] = math.log(sh) + sl / sh


@njit(cache=True, parallel=True)
def logsumexp_rows(Z, rowmax, out):
    """``log sum exp(z - max z)`` per row (the caller adds ``max z``), in parallel."""
    R = Z.shape[0]
    nch = min(R, 64)
    for c in prange(nch):
        _logsumexp_chunk(Z, rowmax, out, c * R // nch, (c + 1) * R // nch)


@njit(cache=True)
def logsumexp_rows_serial(Z, rowmax, out):
    """``logsumexp_rows`` on one thread."""
    _logsumexp_chunk(Z, rowmax, out, 0, Z.shape[0])


@njit(cache=True, parallel=True)
def argmax_rows(Z, rowmax, out):
    """Rows of the uniform distribution on ``{i : z_i = max z}``, in parallel."""
    for r in prange(Z.shape[0]):
        _argmax_row(Z[r], rowmax[r], out[r])


@njit(cache=True)
def argmax_rows_serial(Z, rowmax, out):
    """``argmax_rows`` on one thread."""
    for r in range(Z.shape[0]):
        _argmax_row(Z[r], rowmax[r], out[r])


# --------------------------------------------------------------------------------------
# the capped-simplex engine:  sum_i clip(t_i - tau, 0, v_i) = K
# --------------------------------------------------------------------------------------
@njit(cache=True)
def _capped_f(ch, cl, K, nl, sh, sl, lsh, lsl, ph, pl):
    """``C + sum_L (t_i - p) - K`` as a double-double, with the linear sum kept relative
    to the shift ``s``: ``sum_L (t_i - p) = LS_s - nl (p - s)``."""
    fh, fl = dd_add(ch, cl, -K, 0.0)
    if nl > 0:
        dh, dl = dd_base(ph, pl, sh, sl)
        xh, xl = dd_mul_d(dh, dl, float(nl))
        fh, fl = dd_add(fh, fl, lsh, lsl)
        fh, fl = dd_add(fh, fl, -xh, -xl)
    return fh, fl


@njit(cache=True)
def _ge(ah, al, bh, bl):
    """``a >= b`` for double-doubles."""
    return not dd_gt(bh, bl, ah, al)


@njit(cache=True)
def _inner_bp(th, tl, wh, wl, i, loh, lol, hih, hil):
    """A breakpoint of entry ``i`` strictly inside ``(lo, hi)`` (it has one)."""
    if dd_gt(th[i], tl[i], loh, lol) and dd_gt(hih, hil, th[i], tl[i]):
        return th[i], tl[i]
    return wh[i], wl[i]


@njit(cache=True)
def _grow(e, m, b):
    """Add ``b`` to the expansion ``e[:m]`` in place (Shewchuk's grow-expansion with
    zero elimination): ``e[:m']`` are non-overlapping float64 numbers of increasing
    magnitude whose exact sum is the old sum plus ``b``.  Returns ``m'``."""
    if b == 0.0 and m > 0:  # nothing to add (the low parts of most pairs are 0)
        return m
    q = b
    k = 0
    for i in range(m):
        q, h = two_sum(q, e[i])
        if h != 0.0:
            e[k] = h
            k += 1
    if q != 0.0 or k == 0:
        e[k] = q
        k += 1
    return k


@njit(cache=True)
def _exp_value(e, m):
    """The sum of the expansion ``e[:m]``, rounded (smallest components first: within
    an ulp of the exact sum; its sign is exact)."""
    x = 0.0
    for i in range(m):
        x += e[i]
    return x


@njit(cache=True)
def _numerator(e, m, nl, dh, dl, vi, T):
    """``T[:k] = nl (dh + dl) - E - nl vi`` exactly (``E = e[:m]``; ``vi = 0`` for the
    plain numerator).  Returns ``k``."""
    k = 0
    for i in range(m):
        T[i] = -e[i]
    k = m
    ph, pe = two_prod(dh, float(nl))
    k = _grow(T, k, pe)
    k = _grow(T, k, ph)
    if dl != 0.0:
        ph, pe = two_prod(dl, float(nl))
        k = _grow(T, k, pe)
        k = _grow(T, k, ph)
    if vi != 0.0:
        ph, pe = two_prod(vi, float(nl))
        k = _grow(T, k, -pe)
        k = _grow(T, k, -ph)
    return k


@njit(cache=True)
def _capped_solve(th, v, n, state, K, E):
    """The exact threshold for given states (0 zero, 1 linear, 2 capped).

    ``tau = s + E / nl`` with ``s`` the first linear entry, ``nl`` the number of linear
    entries and ``E = sum_capped v + sum_linear (t - s) - K`` summed *exactly* into the
    expansion ``E`` (every ``t - s`` is an exact pair).  An entry ``j`` then has the
    exact numerator ``nl (t_j - s) - E = nl (t_j - tau)`` (``_numerator``): its state
    and its value ``p_j = numerator / nl`` (two roundings) need no rounded ``tau``,
    so that a probability of 1e-300 next to ones of order 1 is resolved.  Returns
    ``(nl, m, s)`` (``m`` components in ``E``; ``nl = 0``: ``tau`` is not determined,
    the states alone give the solution).
    """
    m = 0
    sh = 0.0
    nl = 0
    for i in range(n):
        if state[i] == 1:
            sh = th[i]
            nl += 1
            break
    for i in range(n):
        if state[i] == 2:
            m = _grow(E, m, v[i])
        elif state[i] == 1:
            dh, dl = two_sum(th[i], -sh)
            m = _grow(E, m, dl)
            m = _grow(E, m, dh)
    m = _grow(E, m, -K)
    nl = 0
    for i in range(n):
        if state[i] == 1:
            nl += 1
    return nl, m, sh


@njit(cache=True)
def _capped_f_float(th, v, n, K, x):
    """``(f(x), number of linear entries, error bound)`` in float64 for
    ``f(x) = sum_i clip(t_i - x, 0, v_i) - K`` (``tl = 0``).  Every term
    ``clip(fl(t_i - x), 0, v_i)`` is within ``2**-53`` of its exact value relative to
    itself (the subtraction is correctly rounded, the clip monotone), and the sum of
    ``n + 1`` terms adds at most ``n 2**-53`` of their total: ``|f - f(x)| <= bound``."""
    f = -K
    s = 0.0
    nl = 0
    for i in range(n):
        b = th[i] - x  # +-inf on overflow: then the clip gives v_i or 0, as it should
        term = min(max(b, 0.0), v[i])
        f += term
        s += term
        nl += 1 if (b > 0.0) & (b < v[i]) else 0
    return f, nl, (n + 4) * 2.0**-52 * (s + K)


@njit(cache=True)
def _capped_tighten(th, tl, v, n, K, loh, lol, hih, hil):
    """A narrower bracket for ``capped_threshold`` (float64 scores, ``tl = 0``).

    A float64 root ``x`` of ``f`` by Newton's method on the piecewise-linear ``f``,
    safeguarded by regula falsi (Illinois) and bisection; then ``x - d`` and ``x + d``
    (``d = 2**-40 (|x| + K)``) replace the ends of ``[lo, hi]`` where the sign of ``f``
    there is certain (the float64 value exceeds its rigorous error bound,
    ``_capped_f_float``).  The exact solve that follows does not depend on the bracket,
    only its cost does."""
    if loh == -np.inf:
        return loh, lol, hih, hil
    lo = loh
    hi = hih
    x = lo
    f, nl, _ = _capped_f_float(th, v, n, K, x)
    flo, fhi = f, -K
    side = 0
    for _ in range(100):
        if f > 0.0:
            if side == 1:
                fhi *= 0.5
            lo, flo, side = x, f, 1
        elif f < 0.0:
            if side == -1:
                flo *= 0.5
            hi, fhi, side = x, f, -1
        else:
            break
        xn = np.nan
        if nl > 0:
            step = f / nl
            if abs(step) <= 2.0**-50 * (abs(x) + K):
                break
            xn = x + step
        if not (lo < xn < hi):
            den = flo - fhi
            if den > 0.0:
                xn = lo + flo * ((hi - lo) / den)
            if not (lo < xn < hi):
                xn = 0.5 * lo + 0.5 * hi
        if xn == x:
            break
        x = xn
        f, nl, _ = _capped_f_float(th, v, n, K, x)
    d = 2.0**-40 * (abs(x) + K)
    a = x - d
    if a > loh or (a == loh and lol < 0.0):
        f, _, err = _capped_f_float(th, v, n, K, a)
        if f > err:
            loh, lol = a, 0.0
    b = x + d
    if b < hih or (b == hih and hil > 0.0):
        f, _, err = _capped_f_float(th, v, n, K, b)
        if f < -err:
            hih, hil = b, 0.0
    return loh, lol, hih, hil


@njit(cache=True)
def capped_threshold(th, tl, wh, wl, v, n, K, loh, lol, hih, hil, state, idx, out, E, T):
    """Solve ``sum_i clip(t_i - tau, 0, v_i) = K`` for ``tau``.

    ``th + tl`` (double-double) are finite, ``0 < v_i <= K`` (a cap above ``K`` is
    never reached: the caller clips it to ``K``) with ``sum_i v_i >= K`` (decided
    exactly by the caller), and ``wh + wl = t - v`` exactly (the lower breakpoints).
    ``[lo, hi]`` (double-doubles) brackets ``tau``: ``f(lo) >= 0 > f(hi)``; pass
    ``lo = -inf`` for the widest bracket (the smallest lower breakpoint, where every
    entry is at its cap).  Entries with ``t_i <= lo`` may be left out.  ``idx`` is
    scratch (length >= ``n``); ``E`` and ``T`` are scratch for expansions (length
    >= 64 and 72).  The final solve needs ``tl = 0`` (float64 scores).  Writes the
    state of every entry (0: zero, 1: strictly inside, 2: at its cap) to ``state``,
    ``out[0:3] = (s, nl, m)`` and the expansion ``E[:m]`` of ``_capped_solve``
    (``tau = s + E / nl``; ``nl = 0``: the states alone give the solution).

    Exactness.  Every breakpoint comparison is made on double-doubles, and the sign of
    ``f`` at a pivot is decided on a double-double sum of terms of size ``O(K)``: the
    linear entries are summed relative to the first of them (they all lie within
    ``K`` of each other and of the bracket), never relative to the maximum score, so
    that a score spread up to 1.8e308 loses nothing.  On the found states the
    threshold is then exact (an expansion), every state is re-checked exactly, and
    each free entry is its exact numerator rounded, divided by ``nl``.  Pivots are
    medians of three breakpoints (expected linear time).
    """
    if loh == -np.inf:
        loh, lol = np.inf, 0.0
        for i in range(n):
            if dd_gt(loh, lol, wh[i], wl[i]):
                loh, lol = wh[i], wl[i]
    nu = 0
    ch, cl = 0.0, 0.0
    sh, sl = 0.0, 0.0
    lsh, lsl = 0.0, 0.0
    nl = 0
    for i in range(n):
        state[i] = -1
        idx[nu] = i
        nu += 1
    while True:
        # reclassify the undetermined entries against [lo, hi]
        j = 0
        while j < nu:
            i = idx[j]
            if _ge(loh, lol, th[i], tl[i]):  # t <= lo
                state[i] = 0
            elif _ge(wh[i], wl[i], hih, hil):  # t - v >= hi
                state[i] = 2
                ch, cl = dd_add(ch, cl, v[i], 0.0)
            elif _ge(loh, lol, wh[i], wl[i]) and _ge(th[i], tl[i], hih, hil):
                state[i] = 1
                if nl == 0:
                    sh, sl = th[i], tl[i]
                dh, dl = dd_base(th[i], tl[i], sh, sl)
                lsh, lsl = dd_add(lsh, lsl, dh, dl)
                nl += 1
            else:
                j += 1
                continue
            nu -= 1
            idx[j] = idx[nu]
        if nu == 0:
            break
        # a pivot: a breakpoint strictly inside (lo, hi), median of three entries
        a0h, a0l = _inner_bp(th, tl, wh, wl, idx[0], loh, lol, hih, hil)
        a1h, a1l = _inner_bp(th, tl, wh, wl, idx[(nu - 1) // 2], loh, lol, hih, hil)
        a2h, a2l = _inner_bp(th, tl, wh, wl, idx[nu - 1], loh, lol, hih, hil)
        ph, pl = a1h, a1l
        if dd_gt(a0h, a0l, a1h, a1l) != dd_gt(a0h, a0l, a2h, a2l):
            ph, pl = a0h, a0l
        elif dd_gt(a2h, a2l, a0h, a0l) != dd_gt(a2h, a2l, a1h, a1l):
            ph, pl = a2h, a2l
        # f(p) = C + sum_L (t - p) + sum_U clip(t - p, 0, v) - K, in double-double
        fh, fl = _capped_f(ch, cl, K, nl, sh, sl, lsh, lsl, ph, pl)
        far = 4.0 * K  # t - p beyond +-far: no subtraction (it may overflow)
        for jj in range(nu):
            i = idx[jj]
            if th[i] > ph + far:
                fh, fl = dd_add(fh, fl, v[i], 0.0)
                continue
            if th[i] < ph - far:
                continue
            bh, bl = dd_base(th[i], tl[i], ph, pl)
            if bh > 0.0:
                if dd_gt(bh, bl, v[i], 0.0):
                    fh, fl = dd_add(fh, fl, v[i], 0.0)
                else:
                    fh, fl = dd_add(fh, fl, bh, bl)
        if fh > 0.0 or (fh == 0.0 and fl > 0.0):
            loh, lol = ph, pl
        elif fh < 0.0 or fl < 0.0:
            hih, hil = ph, pl
        else:
            loh, lol = ph, pl
            hih, hil = ph, pl
    # exact closed form on the found states; every state is re-checked exactly (a
    # pivot within ~1e-31 K of tau may have been decided on a rounded sign)
    for _ in range(8):
        nl, m, sh = _capped_solve(th, v, n, state, K, E)
        if nl == 0:
            break
        qh, ql = _exp_tau(E, m, nl)  # tau - s as a double-double: a fast first test
        changed = False
        for i in range(n):
            # tau - s is in [-K, 0) (s is a linear entry): far entries need no subtraction
            if th[i] > sh + 4.0 * K:
                st = 2
            elif th[i] < sh - 4.0 * K:
                st = 0
            else:
                dh, dl = two_sum(th[i], -sh)
                bh, bl = dd_add(dh, dl, -qh, -ql)  # t - tau to 2**-100 (K + |t - s|)
                tol = 2.0**-96 * (K + abs(dh))
                if bh < -tol:
                    st = 0
                elif bh > tol and v[i] - bh > tol:
                    st = 1
                elif bh - v[i] > tol:
                    st = 2
                else:  # within the double-double's resolution: decide exactly
                    st = _exact_state(E, m, nl, dh, dl, v[i], T)
                if st != state[i]:
                    state[i] = st
                    changed = True
                continue
            if st != state[i]:
                state[i] = st
                changed = True
        if not changed:
            break
    out[0] = sh
    out[1] = float(nl)
    out[2] = float(m)


@njit(cache=True)
def _exp_tau(E, m, nl):
    """``E / nl`` as a double-double (``tau - s`` of ``_capped_solve``), to ``2**-102``
    relative."""
    qh, ql = 0.0, 0.0
    for j in range(m):
        qh, ql = dd_add(qh, ql, E[j], 0.0)
    return dd_div_int(qh, ql, nl)


@njit(cache=True)
def _exact_state(E, m, nl, dh, dl, vi, T):
    """The state of an entry from the exact signs of ``nl (t - tau)`` and
    ``nl (t - tau - v)`` (``t - s = dh + dl``)."""
    k = _numerator(E, m, nl, dh, dl, 0.0, T)
    if T[k - 1] <= 0.0:  # the sign of an expansion is that of its top
        return 0
    k = _numerator(E, m, nl, dh, dl, vi, T)
    return 2 if T[k - 1] >= 0.0 else 1


@njit(cache=True)
def _heap_push(heap, size, x):
    """Insert ``x`` into the min-heap ``heap[:size]`` (sift up)."""
    j = size
    heap[j] = x
    while j > 0:
        parent = (j - 1) // 2
        if heap[parent] > heap[j]:
            heap[parent], heap[j] = heap[j], heap[parent]
            j = parent
        else:
            break


@njit(cache=True)
def _heap_replace_top(heap, size, x):
    """Replace the minimum of ``heap[:size]`` by ``x`` (sift down)."""
    heap[0] = x
    j = 0
    while True:
        left = 2 * j + 1
        if left >= size:
            break
        small = left
        if left + 1 < size and heap[left + 1] < heap[left]:
            small = left + 1
        if heap[small] < heap[j]:
            heap[small], heap[j] = heap[j], heap[small]
            j = small
        else:
            break


@intrinsic
def _trailing_zeros(typingctx, x):
    """The number of trailing zero bits of a nonzero ``uint64`` (LLVM's ``cttz``: one
    ``tzcnt`` instruction)."""
    if x != types.uint64:
        return None

    def codegen(context, builder, signature, args):
        return builder.cttz(args[0], ir.Constant(ir.IntType(1), 1))

    return types.uint64(types.uint64), codegen


_COLLECT_BLOCK = 64  # entries per bit mask of _collect_all_above


@njit(cache=True)
def _collect_all_above(z, thr, th, pos):
    """``th[:k], pos[:k]``: the entries ``z_i > thr`` and their indices, in index order;
    returns ``k``.

    Blocks of 64 entries: the comparisons go into the bits of one ``uint64`` (a loop
    LLVM vectorizes, with no store per entry), and only the set bits are then visited
    (``tzcnt``).  Measured on 10**4 rows of 1000 (2 threads, row maxima and zeroing
    included): 7.3-7.4 ms at 1.7 % kept and 7.9-8.1 ms at 12 %, against 9.5-9.6 and
    11.6-11.8 ms for the loops it replaced (a branch per entry, or a branch-free loop
    storing every index; ``docs/speed.md``).
    """
    n = z.shape[0]
    k = 0
    i0 = 0
    while i0 + _COLLECT_BLOCK <= n:
        mask = np.uint64(0)
        for j in range(_COLLECT_BLOCK):  # (a constant trip count: vectorized)
            mask |= np.uint64(1 if z[i0 + j] > thr else 0) << np.uint64(j)
        while mask != np.uint64(0):
            i = i0 + np.int64(_trailing_zeros(mask))
            th[k] = z[i]
            pos[k] = i
            k += 1
            mask &= mask - np.uint64(1)
        i0 += _COLLECT_BLOCK
    for i in range(i0, n):
        if z[i] > thr:
            th[k] = z[i]
            pos[k] = i
            k += 1
    return k


@njit(cache=True)
def _kth_largest(x, n, kk, heap):
    """The ``kk``-th largest of ``x[:n]`` (``kk <= n``, ``kk <= len(heap)``): a min-heap
    of the ``kk`` largest."""
    for i in range(kk):
        _heap_push(heap, i, x[i])
    for i in range(kk, n):
        if x[i] > heap[0]:
            _heap_replace_top(heap, kk, x[i])
    return heap[0]


@njit(cache=True)
def _capped_candidates_const(z, m, c, kk, gap, th, pos, heap):
    """Candidates of a row with one cap ``c`` for every entry (the fast path of
    ``_capped_row``): returns ``(k, zk)`` with ``zk = z_(kk)`` (the ``kk``-th largest
    score) and ``th[:k], pos[:k]`` every entry above ``zk - c`` (and maybe a few more),
    in index order; ``k = -1`` when the guess failed (the caller then takes the
    general path).

    The scores below ``z_(kk) - c`` are zeros, so only a threshold is needed: for
    ``kk = 1`` it is ``max z - c``; otherwise the guess ``max z - gap`` (``gap``: the
    largest ``max z - (z_(kk) - c)`` of the previous rows, decaying by 5 % a row; a
    batch's rows tend to be alike) is
    checked against the ``kk``-th largest found above it, and the row is collected
    again above the true bound when the guess was too high.  The result does not
    depend on the guess (the candidates are every entry above a bound, in index order).
    """
    if kk == 1:
        thr = m - c - 2.0**-50 * (abs(m) + c)
        return _collect_all_above(z, thr, th, pos), m
    k = -1
    if gap > 0.0:
        thr = m - gap - 2.0**-50 * (abs(m) + gap)
        k = _collect_all_above(z, thr, th, pos)
    if k >= kk:
        zk = _kth_largest(th, k, kk, heap)
    else:  # no guess, or too few above it: the kk-th largest of the whole row
        if z.shape[0] < kk:
            return -1, m
        zk = _kth_largest(z, z.shape[0], kk, heap)
        if zk == -np.inf:  # fewer than kk unmasked entries
            return -1, m
        thr = np.inf
    bound = zk - c - 2.0**-50 * (abs(zk) + c)
    if bound < thr:
        k = _collect_all_above(z, bound, th, pos)
    return k, zk


@njit(cache=True)
def _capped_row(z, m, vrow, vconst, use_const, K, out, info, W, Wi, res, E, T, gap):
    """One row of ``capped_rows`` into ``out``, which arrives zeroed (only the nonzero
    entries are written); ``W`` (6, n), ``Wi`` (3, n), ``res`` (64,), ``E`` (64,) and
    ``T`` (72,) scratch.

    The scores are used as they are (no shift by the maximum, which would overflow
    for spreads above 1.8e308 and round away the low part of a score far below the
    maximum); caps are clipped at ``K`` (``p_i <= K`` always), so every lower
    breakpoint ``z_i - v_i`` is an exact double-double.

    Bracket.  With one cap ``c`` for all entries (k-subsets: ``c = 1``), let
    ``m = ceil(K / min(c, K))``: at ``tau = z_(m) - c`` the ``m`` largest entries sit at
    their cap, so ``f >= m c - K >= 0`` and ``tau >= z_(m) - c`` (exact double-double);
    ``z_(m)`` comes from a min-heap kept during the first pass (``m <= 64``) or a
    partition.  For k-subsets also ``tau < z_(K)``.  With per-entry caps,
    ``tau > max z - 1`` when ``f(max z - 1) > 0`` (checked with a margin in the same
    pass), else the bracket starts at the smallest lower breakpoint.  Entries at or
    below the bracket are zeros and are not visited again.
    """
    n = z.shape[0]
    kk = 0
    small = False
    c = K
    if use_const:
        c = min(vconst, K)
        kk = int(math.ceil(K / c))
        while kk * c < K:
            kk += 1
        small = kk <= 64
    sv = W[0]
    th = W[1]
    vv = W[3]
    pos = Wi[0]
    if small and vconst > 0.0:
        k, zk = _capped_candidates_const(z, m, c, kk, gap[0], th, pos, res)
        if k >= 0:
            for j in range(k):
                vv[j] = c
            loh, lol = two_sum(zk, -c)
            gap[0] = max(m - loh, 0.95 * gap[0]) if gap[0] > 0.0 else m - loh
            hih, hil = m, 0.0
            if vconst == 1.0 and kk == int(K):  # k-subsets: tau < z_(K)
                hih = zk
            return _capped_finish(z, K, out, info, W, Wi, res, E, T, k, loh, lol, hih, hil)
    nf = 0
    g = 0.0  # ~ f(max z - 1) + K, for per-entry caps
    gc = 0.0
    # one pass: the bracket's data, and the candidates above a running lower bound
    # (the k-th largest so far minus c, or max z - 1; a margin keeps the float tests
    # conservative) -- the exact test against the final bound follows
    k = 0
    m1 = m - 1.0 - 2.0**-50 * (abs(m) + 1.0)
    for i in range(n):
        vi = vconst if use_const else vrow[i]
        zi = z[i]
        if zi == -np.inf or vi <= 0.0:
            continue
        if not use_const:
            t = zi - m
            if t > -1.0:
                g, gc = neumaier(g, gc, min(t + 1.0, vi))
            keep = zi > m1
        elif small:
            if nf < kk:
                _heap_push(res, nf, zi)
                keep = True
            else:
                if zi > res[0]:
                    _heap_replace_top(res, kk, zi)
                keep = zi > res[0] - c - 2.0**-50 * (abs(res[0]) + c)
        else:
            sv[nf] = zi
            keep = False
        nf += 1
        if keep:
            th[k] = zi
            vv[k] = min(vi, K)
            pos[k] = i
            k += 1
    hih, hil = m, 0.0
    if use_const and kk <= nf:
        zk = res[0] if small else np.partition(sv[:nf], nf - kk)[nf - kk]
        loh, lol = two_sum(zk, -c)
        if vconst == 1.0 and kk == int(K):  # k-subsets: tau < z_(K)
            hih = zk
    elif not use_const and (g + gc) - K >= 1e-9 * K:  # f(max z - 1) > 0
        loh, lol = two_sum(m, -1.0)
    else:
        loh, lol = -np.inf, 0.0
    if (use_const and not small) or loh == -np.inf:  # not collected above: all entries
        k = 0
        for i in range(n):
            vi = vconst if use_const else vrow[i]
            if z[i] == -np.inf or vi <= 0.0:
                continue
            th[k] = z[i]
            vv[k] = min(vi, K)
            pos[k] = i
            k += 1
    if use_const and small:
        gap[0] = max(m - loh, 0.95 * gap[0]) if gap[0] > 0.0 else m - loh
    _capped_finish(z, K, out, info, W, Wi, res, E, T, k, loh, lol, hih, hil)


@njit(cache=True)
def _capped_finish(z, K, out, info, W, Wi, res, E, T, k, loh, lol, hih, hil):
    """The rest of ``_capped_row`` once the candidates ``W[1][:k]`` (scores), ``W[3][:k]``
    (caps) and ``Wi[0][:k]`` (indices) and the bracket are known."""
    th = W[1]
    tl = W[2]
    vv = W[3]
    wh = W[4]
    wl = W[5]
    pos = Wi[0]
    # the exact test against the final bound, and the breakpoints.  Both compactions
    # are branch-free (every entry is written at ``kept <= j``, which advances for the
    # kept ones only): on N(0, 1) rows with k = 5 the first keeps about half of the
    # candidates and the second about a quarter, so a branch would often mispredict
    kept = 0
    for j in range(k):
        zi = th[j]
        vj = vv[j]
        th[kept] = zi
        tl[kept] = 0.0
        vv[kept] = vj
        wh[kept], wl[kept] = two_sum(zi, -vj)
        pos[kept] = pos[j]
        kept += 1 if (zi > loh) | ((zi == loh) & (lol < 0.0)) else 0
    k = kept
    if k > 2:  # a float64 solve narrows the bracket; entries at or below it are zeros
        loh, lol, hih, hil = _capped_tighten(th, tl, vv, k, K, loh, lol, hih, hil)
        kept = 0
        for j in range(k):
            zi = th[j]
            th[kept] = zi
            vv[kept] = vv[j]
            wh[kept] = wh[j]
            wl[kept] = wl[j]
            pos[kept] = pos[j]
            kept += 1 if (zi > loh) | ((zi == loh) & (lol < 0.0)) else 0
        k = kept
    state = Wi[1]
    capped_threshold(th, tl, wh, wl, vv, k, K, loh, lol, hih, hil, state, Wi[2], res,
                     E, T)
    sh = res[0]
    nl = int(res[1])
    m = int(res[2])
    qh, ql = _exp_tau(E, m, nl) if nl > 0 else (0.0, 0.0)
    for i in range(k):
        s = state[i]
        if s == 2:
            out[pos[i]] = vv[i]
        elif s == 1:
            dh, dl = two_sum(th[i], -sh)
            bh, bl = dd_add(dh, dl, -qh, -ql)
            if bh > 2.0**-44 * (K + abs(dh)):  # the double-double is within 2**-56 of p
                out[pos[i]] = bh + bl
                continue
            # tiny: the exact numerator N = nl (t_i - tau) over nl, corrected by the
            # exact remainder N - q nl
            kk = _numerator(E, m, nl, dh, dl, 0.0, T)
            q = _exp_value(T, kk) / nl
            if nl > 1:
                ph, pe = two_prod(q, float(nl))
                kk = _grow(T, kk, -pe)
                kk = _grow(T, kk, -ph)
                q += _exp_value(T, kk) / nl
            out[pos[i]] = q
    if nl > 0:
        info[0], info[1] = dd_add(sh, 0.0, qh, ql)
    else:
        info[0], info[1] = np.nan, 0.0
    info[2] = nl


@njit(cache=True)
def _capped_chunk(Z, rowmax, V, vconst, use_const, K, out, info, ninf, r0, r1, X, cap, Vx,
                  counts):
    """Rows ``r0:r1`` of ``capped_rows``, with one scratch allocation (each output row is
    zeroed, unless ``cap = _MAP_OUT_ZEROED`` says that ``out`` arrives zeroed, then its
    nonzero entries written); with ``cap >= 0`` the rows of ``capped_rows_step`` (see
    :func:`_step_row`)."""
    n = Z.shape[1]
    need = 0  # unmasked entries a row needs to be feasible (one cap c: c need >= K)
    if use_const and vconst > 0.0:
        c = min(vconst, K)
        need = int(math.ceil(K / c))
        while need * c < K:  # (a float product below K means an exact one below K)
            need += 1
    W = np.empty((6, n))
    Wi = np.empty((3, n), np.int64)
    res = np.empty(64)
    E = np.empty(64)
    T = np.empty(72)
    gap = np.full(1, np.nan)  # carried from row to row (see _capped_candidates_const)
    buf = np.zeros(n if cap >= 0 else 0)  # (kept zeroed by _step_row)
    idx = np.empty(max(cap, 0), np.int64)
    for r in range(r0, r1):
        if not _have_max(Z, rowmax, out, info, r, ninf, need):
            continue
        vrow = V[0] if use_const else V[r]
        o = buf
        if cap < 0:
            o = out[r]
            if cap == _MAP_ZERO_ROWS:
                o[:] = 0.0
        _capped_row(Z[r], rowmax[r], vrow, vconst, use_const, K, o, info[r], W, Wi, res, E,
                    T, gap)
        if cap >= 0:
            _step_row(buf, X, cap, Vx[r], idx, out[r], counts, r)


@njit(cache=True, parallel=True)
def capped_rows(Z, rowmax, V, vconst, use_const, K, out, info, ninf, zeroed):
    """Rows of ``clip(z - max z - tau, 0, v)`` with ``tau`` such that the row sums to ``K``.

    k-subsets SparseMAP: ``v = 1`` (``use_const``), ``K = k``.  Constrained sparsemax:
    ``v = V[r]`` per entry, ``K = 1``.  ``-inf`` entries and entries with ``v = 0``
    get 0.  ``info[r] = (tau_hi, tau_lo, #entries strictly inside (0, v))``, with ``tau`` in
    the coordinates of ``z`` (NaN when no entry is strictly inside).  Where
    ``rowmax[r]`` is NaN the row's maximum and its number of -inf entries (into
    ``ninf[r]``) are computed here (``_have_max``); a row with too few unmasked entries
    for one cap is then left at zero for the caller to refuse.  ``zeroed`` as in
    ``power_rows``.  Chunks of rows run in parallel.
    """
    nr = Z.shape[0]
    nch = min(nr, 256)
    for ch in prange(nch):
        _capped_chunk(Z, rowmax, V, vconst, use_const, K, out, info, ninf,
                      ch * nr // nch, (ch + 1) * nr // nch, *_no_step(zeroed))


@njit(cache=True)
def capped_rows_serial(Z, rowmax, V, vconst, use_const, K, out, info, ninf, zeroed):
    """``capped_rows`` on one thread (small inputs: no thread start-up)."""
    _capped_chunk(Z, rowmax, V, vconst, use_const, K, out, info, ninf, 0, Z.shape[0],
                  *_no_step(zeroed))


@njit(cache=True, parallel=True)
def capped_rows_step(Z, rowmax, V, vconst, use_const, K, X, cap, out, info, ninf, Vx,
                     counts):
    """The Hopfield update through ``capped_rows``: ``Vx[r] = X^T mu_r`` with ``mu_r``
    the row ``r`` of ``capped_rows`` (bit for bit), computed into a scratch row and never
    written to ``out`` unless its support exceeds ``cap`` (see :func:`_step_row`)."""
    nr = Z.shape[0]
    nch = min(nr, 256)
    for ch in prange(nch):
        _capped_chunk(Z, rowmax, V, vconst, use_const, K, out, info, ninf,
                      ch * nr // nch, (ch + 1) * nr // nch, X, cap, Vx, counts)


@njit(cache=True)
def capped_rows_step_serial(Z, rowmax, V, vconst, use_const, K, X, cap, out, info, ninf,
                            Vx, counts):
    """``capped_rows_step`` on one thread."""
    _capped_chunk(Z, rowmax, V, vconst, use_const, K, out, info, ninf, 0, Z.shape[0], X,
                  cap, Vx, counts)
