"""Numba kernels for learnable α: dense α-entmax (0 < α < 1) and ∂p/∂α.

Jitted cores of :func:`hfy_reference.entmax` for ``0 < alpha < 1`` and of
:func:`hfy_reference.entmax_dalpha` / :func:`hfy_reference.normmax_dalpha`.  Same
contract as :mod:`hfy_reference._kernels.simplex`: ``Z`` (or ``P``) is a C-contiguous
float64 array of shape ``(rows, N)``, parameters come one per row, outputs are
preallocated by the caller, nothing is checked here.

This file is self-contained on purpose: Numba's on-disk cache is invalidated per
source file, so a kernel here must not call a jitted function of another file (a
change there would leave a stale compiled copy here).  The few double-double helpers
it needs are therefore written out again below; they are the same error-free
transformations as in ``simplex.py``.
"""

import math

import numpy as np
from numba import njit, prange

_SPLIT = 134217729.0  # 2**27 + 1 (Veltkamp)


# --------------------------------------------------------------------------------------
# error-free transformations (local copies, see the module note)
# --------------------------------------------------------------------------------------
@njit(cache=True)
def _two_sum(a, b):
    s = a + b
    bp = s - a
    return s, (a - (s - bp)) + (b - bp)


@njit(cache=True)
def _fast_two_sum(a, b):
    s = a + b
    return s, b - (s - a)


@njit(cache=True)
def _split(a):
    if abs(a) > 6.0e299:
        b = a * 3.725290298461914e-09  # 2**-28
        c = _SPLIT * b
        hi = c - (c - b)
        return hi * 268435456.0, (b - hi) * 268435456.0
    c = _SPLIT * a
    hi = c - (c - a)
    return hi, a - hi


@njit(cache=True)
def _two_prod(a, b):
    p = a * b
    ah, al = _split(a)
    bh, bl = _split(b)
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


@njit(cache=True)
def _dd_add(ah, al, bh, bl):
    s, e = _two_sum(ah, bh)
    e += al + bl
    return _fast_two_sum(s, e)


@njit(cache=True)
def _neumaier(s, c, x):
    t = s + x
    if abs(s) >= abs(x):
        c += (s - t) + x
    else:
        c += (x - t) + s
    return t, c


# --------------------------------------------------------------------------------------
# dense α-entmax, 0 < α < 1
# --------------------------------------------------------------------------------------
@njit(cache=True)
def _corr(bh, bl, e, ee):
    """``(bh + bl)^(-e-ee) / bh^(-e) - 1``: the relative correction of ``bh ** -e``
    for the low part of the base and of the exponent.  ``x = -e bl/bh - ee log bh``
    is tiny unless ``e`` is huge (``alpha`` within ~1e-8 of 1: ``e bl/bh`` reaches
    1e-4 at ``alpha = 1 - 1e-12``), where ``expm1(x)`` replaces the first order."""
    x = -e * (bl / bh) - ee * math.log(bh)
    if abs(x) < 1e-9:
        return x
    return math.expm1(x)


@njit(cache=True)
def _dense_eval(dh, dl, k, sh, sl, e, ee, pv, pw, pb):
    """``F(s) = sum_i (s + d_i)^(-e)`` (double-double, Neumaier) and
    ``D = sum_i (s + d_i)^(-e) / (s + d_i)`` over the ``k`` candidates; each term
    goes to ``pv + pw`` (unevaluated) and its base to ``pb``.  ``e + ee`` is the
    exponent ``1/q`` as a double-double: ``b^(-e-ee) = b^(-e) (1 - ee log b)``
    (the rounding of ``e = 1/q`` alone would cost ``|log p|`` ulps of relative
    accuracy, e.g. 12 ulp on ``p = 1e-14`` at ``alpha = 1 - 1e-7``)."""
    s = 0.0
    cc = 0.0
    d = 0.0
    for i in range(k):
        bh, bl = _dd_add(sh, sl, dh[i], dl[i])
        ph = bh ** (-e)
        pl = ph * _corr(bh, bl, e, ee)
        pv[i] = ph
        pw[i] = pl
        pb[i] = bh
        if ph == 0.0:
            continue
        s, cc = _neumaier(s, cc, ph)
        cc += pl
        d += ph / bh
    fh, fl = _two_sum(s, cc)
    return fh, fl, d


@njit(cache=True)
def _dense_row(z, m, q, out, info, dh, dl, pv, pw, pb, pos, isc):
    """One row of ``dense_rows``; ``dh, dl, pv, pw, pb, pos, isc`` (length N) are
    scratch space.

    With ``q = 1 - alpha`` and ``e = 1/q``, ``p_i = (s + d_i)^(-e)``,
    ``d_i = q (max z - z_i) >= 0`` (a double-double: ``max z - z_i`` is an exact pair),
    and ``s`` solves ``F(s) = sum_i (s + d_i)^(-e) = 1`` in ``[1, n^q]`` (``n`` finite
    entries).  Every base is a sum of non-negative numbers, so nothing cancels.
    ``h(s) = F(s)^(-1/e)`` is concave and increasing (a negative-exponent power mean
    of affine functions), so Newton's method on ``h = 1`` from ``s = 1`` (where
    ``F >= 1``) increases monotonically to the root; Newton steps on ``F`` in
    double-double then polish ``s`` until ``|F - 1| <= 2**-55`` or the step stops
    shrinking.  Candidates whose weight is below ``2**-64 / n`` at ``s = 1`` (hence
    at every ``s >= 1``) are left out of the solve, not out of the output.
    """
    n = z.shape[0]
    e = 1.0 / q
    eh, el = _two_prod(e, q)
    ee = ((1.0 - eh) - el) / q  # 1/q = e + ee
    nf = 0
    for i in range(n):
        if z[i] != -np.inf:
            nf += 1
    # d_i <= dmax  <=>  (1 + d_i)^(-e) >= 2**-64 / nf
    dmax = math.expm1((64.0 * math.log(2.0) + math.log(nf)) / e)
    k = 0
    for i in range(n):
        isc[i] = False
        if z[i] == -np.inf:
            continue
        h, lw = _two_sum(m, -z[i])
        if h == np.inf:
            continue
        ph, pl = _two_prod(h, q)
        ph, pl = _fast_two_sum(ph, pl + lw * q)
        if ph <= dmax:
            dh[k] = ph
            dl[k] = pl
            pos[k] = i
            isc[i] = True
            k += 1
    # Newton on h(s) = F(s)^(-1/e) = 1, from the left, in float64
    x = 1.0
    hi = math.exp(q * math.log(nf))
    for _ in range(100):
        f = 0.0
        d = 0.0
        for i in range(k):
            b = x + dh[i]
            w = b ** (-e)
            f += w
            d += w / b
        fm1 = f - 1.0
        if not (fm1 > 0.0) or d <= 0.0:
            break
        # 1 - F^(-1/e) without cancellation
        one_minus = -math.expm1(-math.log1p(fm1) / e)
        step = one_minus * f / ((1.0 - one_minus) * d)
        xn = x + step
        if xn > hi:
            xn = hi
        if not (xn > x):
            break
        x = xn
        if step <= 1e-9 * x:  # the double-double polish takes it from here
            break
    # polish in double-double: s <- s + (F - 1) / (e D); the last evaluation keeps
    # every candidate's p_i (double-double) and base in pv, pb
    sh, sl = x, 0.0
    prev = np.inf
    last = 0.0
    for _ in range(30):
        fh, fl, d = _dense_eval(dh, dl, k, sh, sl, e, ee, pv, pw, pb)
        if d <= 0.0:
            last = 0.0
            break
        r = (fh - 1.0) + fl
        step = r / (e * d)
        if not (abs(step) < prev):
            last = 0.0
            break
        sh, sl = _dd_add(sh, sl, step, 0.0)
        last = step
        prev = abs(step)
        if abs(r) <= 2.0**-55:
            break
    # output.  Candidates: their value at the last evaluation moved by the last step
    # to first order, p_i (1 - e step / b_i) (the second-order term is below
    # e^2 (step/b_i)^2 <= 1e-30 relative); the others (weights below 2**-64/n):
    # evaluated at the final s, rounded once from their double-double value
    for i in range(n):
        out[i] = 0.0
    for j in range(k):
        out[pos[j]] = pv[j] + (pw[j] - pv[j] * e * (last / pb[j]))
    for i in range(n):
        if z[i] == -np.inf or isc[i]:
            continue
        h, lw = _two_sum(m, -z[i])
        if h == np.inf:
            continue
        ph, pl = _two_prod(h, q)
        ph, pl = _fast_two_sum(ph, pl + lw * q)
        bh, bl = _dd_add(sh, sl, ph, pl)
        v = bh ** (-e)
        out[i] = v + v * _corr(bh, bl, e, ee)
    info[0] = -sh
    info[1] = -sl
    info[2] = nf


@njit(cache=True)
def _dense_chunk(Z, rowmax, Q, out, info, r0, r1):
    n = Z.shape[1]
    dh = np.empty(n)
    dl = np.empty(n)
    pv = np.empty(n)
    pw = np.empty(n)
    pb = np.empty(n)
    pos = np.empty(n, np.int64)
    isc = np.empty(n, np.bool_)
    for r in range(r0, r1):
        _dense_row(Z[r], rowmax[r], Q[r], out[r], info[r], dh, dl, pv, pw, pb, pos,
                   isc)


@njit(cache=True, parallel=True)
def dense_rows(Z, rowmax, Q, out, info):
    """Rows of α-entmax for ``0 < alpha < 1`` (``Q[r] = 1 - alpha_r``):
    ``p_i = (q (max z - z_i) + s)^(-1/q)`` with ``sum_i p_i = 1``.  ``info[r]``
    receives ``(tau_hi, tau_lo, #finite)`` with ``tau = -s`` (the threshold in the
    shifted coordinates ``(alpha - 1)(z - max z)``).  Chunks of rows in parallel."""
    nr = Z.shape[0]
    nch = min(nr, 256)
    for ch in prange(nch):
        _dense_chunk(Z, rowmax, Q, out, info, ch * nr // nch, (ch + 1) * nr // nch)


@njit(cache=True)
def dense_rows_serial(Z, rowmax, Q, out, info):
    """``dense_rows`` on one thread."""
    _dense_chunk(Z, rowmax, Q, out, info, 0, Z.shape[0])


# --------------------------------------------------------------------------------------
# ∂p/∂α
# --------------------------------------------------------------------------------------
@njit(cache=True)
def _phi2(y):
    """``(expm1(y) - y) / y**2 = sum_k y**k / (k+2)!`` for ``|y| < 1/2``: the Taylor
    series, summed until the next term is below 2**-60 of the sum (the terms shrink by
    a factor of at least 6; at most 18 terms)."""
    s = 0.5
    t = 0.5 * y / 3.0
    for k in range(1, 18):
        s += t
        if abs(t) <= 8.7e-19 * s:
            break
        t *= y / (k + 3.0)
    return s


@njit(cache=True)
def _expm1_over(y):
    """``expm1(y) / y`` (1 at 0)."""
    if y == 0.0:
        return 1.0
    return math.expm1(y) / y


@njit(cache=True)
def _support(p, idx):
    """List the support ``{i : p_i > 0}`` in ``idx``; returns its size."""
    k = 0
    for i in range(p.shape[0]):
        if p[i] > 0.0:
            idx[k] = i
            k += 1
    return k


@njit(cache=True)
def _entmax_dalpha_row(p, alpha, o, idx, lg, pr):
    """One row of ``dalpha_rows`` (entmax); ``idx, lg, pr`` are scratch (length N).
    ``o`` may be ``p`` itself: each support entry is read before it is written, and
    ``o`` is written on the support only (it must be 0 elsewhere).

    With ``c = alpha - 1``, ``l = log p`` and ``y_i = -c l_i`` on the support:
    for ``|c| <= 1``

        dp_i/dalpha = (p_i R - p_i r_i + c (L p_i r_i - R p_i l_i)) / sum_j p_j^(1-c),

    ``r_i = (expm1(y_i) - y_i)/c**2``, ``R = sum p_j r_j``, ``L = sum p_j l_j``
    (every term finite as ``c -> 0``, where it tends to ``p_i (E[l^2] - l_i^2)/2``);
    for ``c > 1`` the equivalent ``((p - g) / c - (p l - g L)) / c`` with
    ``g = p^(2-alpha) / sum p^(2-alpha)`` (computed in log space).
    """
    k = _support(p, idx)
    c = alpha - 1.0
    L = 0.0
    Lc = 0.0
    if abs(c) <= 1.0:
        R = 0.0
        Rc = 0.0
        S1 = 0.0  # sum p (p^-c - 1) / c  = (sum p^(1-c) - 1) / c
        S1c = 0.0
        for j in range(k):
            pi = p[idx[j]]
            li = math.log(pi)
            y = -c * li
            if abs(y) < 0.5:
                pq = -pi * li * _expm1_over(y)
                pri = pi * li * li * _phi2(y)
            else:
                a = math.exp((1.0 - c) * li)
                pq = (a - pi) / c
                pri = ((a - pi) + c * li * pi) / (c * c)
            lg[j] = li
            pr[j] = pri
            L, Lc = _neumaier(L, Lc, pi * li)
            R, Rc = _neumaier(R, Rc, pri)
            S1, S1c = _neumaier(S1, S1c, pq)
        L += Lc
        R += Rc
        den = 1.0 + c * (S1 + S1c)
        for j in range(k):
            pi = p[idx[j]]
            v = (pi * R - pr[j]) + c * (L * pr[j] - R * pi * lg[j])
            o[idx[j]] = v / den
        return
    # c > 1: log-space weights g = p^(1-c) / sum p^(1-c)
    gmax = -np.inf
    for j in range(k):
        pi = p[idx[j]]
        li = math.log(pi)
        lg[j] = li
        L, Lc = _neumaier(L, Lc, pi * li)
        w = (1.0 - c) * li
        if w > gmax:
            gmax = w
    L += Lc
    gs = 0.0
    for j in range(k):
        w = math.exp((1.0 - c) * lg[j] - gmax)
        pr[j] = w
        gs += w
    for j in range(k):
        pi = p[idx[j]]
        g = pr[j] / gs
        o[idx[j]] = ((pi - g) / c - (pi * lg[j] - g * L)) / c


@njit(cache=True)
def _normmax_dalpha_row(p, alpha, o, idx, lg, pq):
    """One row of ``dalpha_rows`` (normmax); ``idx, lg, pq`` scratch (length N); ``o``
    as in ``_entmax_dalpha_row``.

    With ``c = alpha - 1``, ``l = log p``, ``N = ||p||_alpha``, ``w = (p/N)^alpha``,
    ``W = sum_j w_j log(p_j / N)`` and ``Q_i = expm1(c log(N / p_i)) / c``:

        dp_i/dalpha = -p_i (l_i - sum_j p_j l_j) / c
                      + (N W / alpha) (p_i Q_i - p_i sum_j p_j Q_j).
    """
    k = _support(p, idx)
    c = alpha - 1.0
    pmax = 0.0
    for j in range(k):
        if p[idx[j]] > pmax:
            pmax = p[idx[j]]
    # N = pmax (sum (p/pmax)^alpha)^(1/alpha)
    s = 0.0
    for j in range(k):
        rj = (p[idx[j]] / pmax) ** alpha
        pq[j] = rj
        s += rj
    lognrm = math.log(pmax) + math.log(s) / alpha
    nrm = math.exp(lognrm)
    W = 0.0
    L = 0.0
    Lc = 0.0
    SQ = 0.0
    SQc = 0.0
    for j in range(k):
        pi = p[idx[j]]
        li = math.log(pi)
        lg[j] = li
        lam = lognrm - li  # log(N / p_i) >= 0 up to rounding
        W += (pq[j] / s) * (li - lognrm)  # w_j = (p_j/N)^alpha = (p_j/pmax)^alpha / s
        L, Lc = _neumaier(L, Lc, pi * li)
        u = c * lam
        if abs(u) < 0.5:
            v = pi * lam * _expm1_over(u)
        else:
            v = (math.exp(li + u) - pi) / c
        pq[j] = v
        SQ, SQc = _neumaier(SQ, SQc, v)
    L += Lc
    SQ += SQc
    f = nrm * W / alpha
    for j in range(k):
        pi = p[idx[j]]
        o[idx[j]] = -pi * (lg[j] - L) / c + f * (pq[j] - pi * SQ)


@njit(cache=True)
def _dalpha_chunk(P, A, out, r0, r1, normmax):
    n = P.shape[1]
    idx = np.empty(n, np.int64)
    lg = np.empty(n)
    pr = np.empty(n)
    for r in range(r0, r1):
        if normmax:
            _normmax_dalpha_row(P[r], A[r], out[r], idx, lg, pr)
        else:
            _entmax_dalpha_row(P[r], A[r], out[r], idx, lg, pr)


@njit(cache=True, parallel=True)
def dalpha_rows(P, A, out, normmax):
    """Rows of ∂p/∂α from the map's output ``P`` and ``A[r] = alpha_r``: α-entmax
    (``normmax=False``; ``alpha`` finite, > 0) or α-normmax (``alpha`` finite, > 1),
    written to ``out`` on the support of ``P`` only (``out`` must be 0 off it; it may
    be ``P`` itself, which is then overwritten).  Chunks of rows in parallel."""
    nr = P.shape[0]
    nch = min(nr, 256)
    for ch in prange(nch):
        _dalpha_chunk(P, A, out, ch * nr // nch, (ch + 1) * nr // nch, normmax)


@njit(cache=True)
def dalpha_rows_serial(P, A, out, normmax):
    """``dalpha_rows`` on one thread."""
    _dalpha_chunk(P, A, out, 0, P.shape[0], normmax)
