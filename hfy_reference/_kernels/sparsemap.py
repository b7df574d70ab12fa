r"""Numba kernels for SparseMAP over sequential k-subsets.

These are the jitted cores of :class:`hfy_reference.structured.SequentialKSubsets`.
They trust their inputs: ``z`` rows are float64 without NaN or +inf, with at least
``k`` finite entries (``-inf`` entries are masks), ``1 <= k <= N``, ``w`` finite, and
every output array is preallocated by the caller.  Kernels that call each other live in
this one file (Numba's on-disk cache is invalidated per file).

Problem.  Structures are binary chains ``y`` in ``{0,1}^N`` with exactly ``k`` ones,
scored ``s(y) = sum_i z_i y_i + w sum_{i>=1} y_{i-1} y_i``.  SparseMAP solves

.. math::

    \max_{\alpha \in \triangle}\ \sum_y \alpha_y s(y) - \tfrac12 \|A\alpha\|^2,
    \qquad \mu = A\alpha,

(``A``: the structures' unary indicator vectors as columns) by the active-set method of
Niculae et al. (ICML 2018): warm start at the MAP structure; on the active set ``S``
solve the KKT system ``[A_S^T A_S, 1; 1^T, 0] [alpha; tau] = [s_S; 1]``; if some weight
is negative, step towards the solution until a weight vanishes and drop that
structure; otherwise ask the MAP oracle for the structure maximizing
``s(y) - <a_y, mu>`` (scores ``z - mu``) and stop when it does not beat ``tau``.  An
improving structure in the affine hull of ``S`` (possible when ``w != 0``) is brought
in by a degenerate exchange step that keeps ``mu``.

MAP oracle: a dynamic program over (position, ones so far, previous state), O(N k) time
and memory.
"""

import numpy as np
from numba import njit, prange

# info columns written per row
INFO_NU = 0  # sum_y alpha_y b_y (expected number of adjacent pairs of ones)
INFO_TAU = 1  # the KKT multiplier tau
INFO_NACTIVE = 2  # active structures
INFO_ITER = 3  # iterations
INFO_STATUS = 4  # one of the STATUS_* codes below
INFO_GAP = 5  # max_y [s(y) - <a_y, mu>] - tau at exit (<= tol when converged)
N_INFO = 6

# status codes (info[INFO_STATUS])
STATUS_CONVERGED = 0
STATUS_ITERATION_CAP = 1  # the iteration cap was reached
STATUS_STALLED = 2  # the oracle re-proposed an active structure
STATUS_ACTIVE_SET_CAP = 3  # the active set reached N + 1 structures
STATUS_UNBOUNDED = 4  # an exchange step was unbounded (impossible in exact arithmetic)
#: a sentence per status code, for error messages
STATUS_MESSAGES = {
    STATUS_CONVERGED: "converged",
    STATUS_ITERATION_CAP: "the iteration cap was reached",
    STATUS_STALLED: "the oracle re-proposed an active structure (numerical stall)",
    STATUS_ACTIVE_SET_CAP: "the active set reached N + 1 structures",
    STATUS_UNBOUNDED: "an exchange step was unbounded",
}


# --------------------------------------------------------------------------------------
# error-free transformations.  Copies of the helpers of simplex.py and of
# hfy_reference/_dd.py: Numba's on-disk cache is invalidated per file, so kernels that
# call each other must live in one file.  tests/test_double_double.py pins these copies
# to hfy_reference._dd bit for bit (random inputs, including near overflow).
# --------------------------------------------------------------------------------------
@njit(cache=True)
def _two_sum(a, b):
    s = a + b
    bp = s - a
    return s, (a - (s - bp)) + (b - bp)


@njit(cache=True)
def _split(a):
    if abs(a) > 6.0e299:  # 2**27 a would overflow: split at the scale 2**-28 (exact)
        b = a * 3.725290298461914e-09
        c = 134217729.0 * b
        hi = c - (c - b)
        return hi * 268435456.0, (b - hi) * 268435456.0
    c = 134217729.0 * a
    hi = c - (c - a)
    return hi, a - hi


@njit(cache=True)
def _two_prod(a, b):
    p = a * b
    ah, al = _split(a)
    bh, bl = _split(b)
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


@njit(cache=True)
def _dd_add(h, lo, x):
    """``(h + lo) + x`` as a double-double."""
    s, e = _two_sum(h, x)
    e += lo
    return _two_sum(s, e)


@njit(cache=True)
def _refine(z, w, k, idx, alpha, bpair, na, tau, shift):
    """Iterative refinement of the KKT solution on the final active set, with residuals
    ``s_a - sum_b |a ∩ b| alpha_b - tau`` and ``1 - sum alpha`` evaluated in double-double
    (scores summed exactly, less ``k shift``: ``s_a`` and ``tau`` of the shifted scores,
    from the unrounded ``z``).  Returns the refined ``tau``; ``alpha`` is updated in place
    unless a weight would leave ``(0, 1]`` (then nothing changes)."""
    n = na
    G = np.empty((n, n))
    for a in range(n):
        for b in range(n):
            G[a, b] = _overlap(idx[a], idx[b])
    sh = np.empty(n)
    sl = np.empty(n)
    for a in range(n):
        h = 0.0
        lo = 0.0
        for t in range(k):
            h, lo = _dd_add(h, lo, z[idx[a, t]])
        p, e = _two_prod(w, bpair[a])
        h, lo = _dd_add(h, lo, p)
        h, lo = _dd_add(h, lo, e)
        p, e = _two_prod(float(k), shift)
        h, lo = _dd_add(h, lo, -p)
        h, lo = _dd_add(h, lo, -e)
        sh[a] = h
        sl[a] = lo
    K = np.zeros((n + 1, n + 1))
    for a in range(n):
        for b in range(n):
            K[a, b] = G[a, b]
        K[a, n] = 1.0
        K[n, a] = 1.0
    x = np.empty(n + 1)
    for a in range(n):
        x[a] = alpha[a]
    x[n] = tau
    r = np.empty(n + 1)
    for _ in range(3):
        for a in range(n):
            h = sh[a]
            lo = sl[a]
            for b in range(n):
                p, e = _two_prod(G[a, b], x[b])
                h, lo = _dd_add(h, lo, -p)
                h, lo = _dd_add(h, lo, -e)
            h, lo = _dd_add(h, lo, -x[n])
            r[a] = h + lo
        h = 1.0
        lo = 0.0
        for b in range(n):
            h, lo = _dd_add(h, lo, -x[b])
        r[n] = h + lo
        d = np.linalg.solve(K, r)
        for t in range(n + 1):
            x[t] += d[t]
    for a in range(n):
        if not (x[a] > 0.0 and x[a] <= 1.0):
            return tau
    for a in range(n):
        alpha[a] = x[a]
    return x[n]


@njit(cache=True)
def seq_map(u, w, k, back0, back1, out_idx):
    """MAP structure of the chain: ``argmax_y sum_i u_i y_i + w sum y_{i-1} y_i`` over
    ``y`` with exactly ``k`` ones; writes its sorted positions to ``out_idx`` (k,) and
    returns the score.  ``back0``/``back1`` are (N, k+1) uint8 work arrays.

    Ties are broken towards ``y_i = 0`` at later positions (deterministic)."""
    n = u.shape[0]
    ninf = -np.inf
    v0 = np.full(k + 1, ninf)  # best prefix score, y_i = 0, c ones
    v1 = np.full(k + 1, ninf)  # best prefix score, y_i = 1, c ones
    n0 = np.empty(k + 1)
    n1 = np.empty(k + 1)
    v0[0] = 0.0
    if k >= 1:
        v1[1] = u[0]
    for i in range(1, n):
        for c in range(k + 1):
            # y_i = 0
            a = v0[c]
            b = v1[c]
            if b > a:
                n0[c] = b
                back0[i, c] = 1
            else:
                n0[c] = a
                back0[i, c] = 0
            # y_i = 1
            if c == 0:
                n1[c] = ninf
                back1[i, c] = 0
            else:
                a = v0[c - 1]
                b = v1[c - 1] + w
                if b > a:
                    n1[c] = b + u[i]
                    back1[i, c] = 1
                else:
                    n1[c] = a + u[i]
                    back1[i, c] = 0
        for c in range(k + 1):
            v0[c] = n0[c]
            v1[c] = n1[c]
    # backtrack
    if v1[k] > v0[k]:
        s = 1
        best = v1[k]
    else:
        s = 0
        best = v0[k]
    c = k
    j = k - 1
    for i in range(n - 1, -1, -1):
        if s == 1:
            out_idx[j] = i
            j -= 1
            if i > 0:
                s = back1[i, c]
            c -= 1
        else:
            if i > 0:
                s = back0[i, c]
    return best


@njit(cache=True)
def _overlap(a, b):
    """``|a ∩ b|`` for sorted index arrays of equal length."""
    k = a.shape[0]
    i = 0
    j = 0
    c = 0
    while i < k and j < k:
        if a[i] == b[j]:
            c += 1
            i += 1
            j += 1
        elif a[i] < b[j]:
            i += 1
        else:
            j += 1
    return c


@njit(cache=True)
def _pairs(idx):
    """Number of adjacent pairs of ones, ``sum_i y_{i-1} y_i``."""
    c = 0
    for t in range(1, idx.shape[0]):
        if idx[t] == idx[t - 1] + 1:
            c += 1
    return c


@njit(cache=True)
def _same(a, b):
    for t in range(a.shape[0]):
        if a[t] != b[t]:
            return False
    return True


@njit(cache=True)
def _kkt_solve(G, s, n):
    """Solve ``[G 1; 1^T 0] [x; tau] = [s; 1]`` (n active), with one step of iterative
    refinement.  Returns (x, tau, ok)."""
    K = np.zeros((n + 1, n + 1))
    rhs = np.zeros(n + 1)
    for a in range(n):
        for b in range(n):
            K[a, b] = G[a, b]
        K[a, n] = 1.0
        K[n, a] = 1.0
        rhs[a] = s[a]
    rhs[n] = 1.0
    sol = np.linalg.solve(K, rhs)
    for _ in range(2):
        r = rhs - K @ sol
        sol = sol + np.linalg.solve(K, r)
    ok = True
    for t in range(n + 1):
        if not np.isfinite(sol[t]):
            ok = False
    return sol[:n].copy(), sol[n], ok


@njit(cache=True)
def _affine_coeffs(G, g_new, n):
    """Least-squares affine coefficients ``c`` (sum c = 1) of a new structure on the
    active ones, and the squared residual ``||A c - a_new||^2`` given ``g_new = A^T a_new``
    and ``||a_new||^2 = k`` (added by the caller)."""
    c, lam, ok = _kkt_solve(G, g_new, n)
    # ||A c - a||^2 = c^T G c - 2 c^T g + ||a||^2
    q = 0.0
    for a in range(n):
        for b in range(n):
            q += c[a] * G[a, b] * c[b]
        q -= 2.0 * c[a] * g_new[a]
    return c, q, ok


@njit(cache=True)
def zmax_ok(z):
    """Whether every finite score is below 1e290 (error-free products do not overflow)."""
    for i in range(z.shape[0]):
        if np.isfinite(z[i]) and abs(z[i]) > 1e290:
            return False
    return True



@njit(cache=True)
def _drop_zero_weights(idx, alpha, sc, bpair, G, na, k):
    """Compact the active structures to those with positive weight (order kept) and
    rebuild their Gram matrix; returns the new count."""
    m = 0
    for a in range(na):
        if alpha[a] > 0.0:
            if m != a:
                for t in range(k):
                    idx[m, t] = idx[a, t]
                alpha[m] = alpha[a]
                sc[m] = sc[a]
                bpair[m] = bpair[a]
            m += 1
    for a in range(m):
        for b in range(m):
            G[a, b] = _overlap(idx[a], idx[b])
    return m


@njit(cache=True)
def active_set(z, w, k, tol, max_iter, cap, idx, alpha, mu, info, shift):
    """Active-set SparseMAP for one row.

    Parameters (trusted): ``z`` (N,) scores; ``w`` pairwise score; ``k`` ones; ``tol``
    the absolute tolerance on ``s(y) - <a_y, mu> - tau``; ``shift`` (the row's maximum):
    the iterations work on ``z - shift`` (every structure has ``k`` ones, so the
    solution is the same; the scores near the top are small, so rounding stays far
    below ``tol`` whatever the size of ``z``), and the final polish on the exact
    ``z`` less ``k shift`` (double-double); ``max_iter``; ``cap`` the most
    active structures; outputs ``idx`` (cap, k) int64 positions of the active
    structures, ``alpha`` (cap,) their weights, ``mu`` (N,) the marginals and ``info``
    (N_INFO,).  Returns the number of active structures."""
    n = z.shape[0]
    back0 = np.zeros((n, k + 1), dtype=np.uint8)
    back1 = np.zeros((n, k + 1), dtype=np.uint8)
    gcap = min(cap, 16)  # the Gram matrix grows on demand (cap may be ~N)
    G = np.zeros((gcap, gcap))
    sc = np.zeros(cap)
    bpair = np.zeros(cap)
    ynew = np.empty(k, dtype=np.int64)
    u = np.empty(n)
    zs = np.empty(n)
    for i in range(n):
        zs[i] = z[i] - shift

    seq_map(zs, w, k, back0, back1, ynew)
    na = 1
    for t in range(k):
        idx[0, t] = ynew[t]
    G[0, 0] = k
    bpair[0] = _pairs(ynew)
    s0 = w * bpair[0]
    for t in range(k):
        s0 += zs[ynew[t]]
    sc[0] = s0
    alpha[0] = 1.0
    tau = 0.0
    status = STATUS_ITERATION_CAP
    gap = 0.0
    it = 0
    while it < max_iter:
        it += 1
        x, tau, ok = _kkt_solve(G, sc, na)
        neg = False
        for a in range(na):
            if x[a] < 0.0:
                neg = True
        if neg:
            # step from alpha towards x until the first weight vanishes
            tstep = 1.0
            jblock = -1
            for a in range(na):
                if x[a] < 0.0:
                    r = alpha[a] / (alpha[a] - x[a])
                    if r < tstep:
                        tstep = r
                        jblock = a
            for a in range(na):
                alpha[a] = alpha[a] + tstep * (x[a] - alpha[a])
            if jblock < 0:  # pragma: no cover - cannot happen with a negative x
                jblock = 0
            alpha[jblock] = 0.0
            # drop every structure at zero weight, rebuild the Gram matrix
            na = _drop_zero_weights(idx, alpha, sc, bpair, G, na, k)
            continue
        for a in range(na):
            alpha[a] = x[a]
        # marginals and the oracle
        for i in range(n):
            mu[i] = 0.0
        for a in range(na):
            for t in range(k):
                mu[idx[a, t]] += alpha[a]
        for i in range(n):
            u[i] = zs[i] - mu[i]
        val = seq_map(u, w, k, back0, back1, ynew)
        gap = val - tau
        if gap <= tol:
            status = STATUS_CONVERGED
            break
        present = False
        for a in range(na):
            if _same(idx[a], ynew):
                present = True
        if present:
            status = STATUS_STALLED
            break
        if na == cap:
            status = STATUS_ACTIVE_SET_CAP
            break
        if na == gcap:
            gcap = min(cap, 2 * gcap)
            G2 = np.zeros((gcap, gcap))
            for a in range(na):
                for b in range(na):
                    G2[a, b] = G[a, b]
            G = G2
        # the new structure's Gram row and score
        gnew = np.empty(na)
        for a in range(na):
            gnew[a] = _overlap(idx[a], ynew)
        bnew = _pairs(ynew)
        snew = w * bnew
        for t in range(k):
            snew += zs[ynew[t]]
        c, resid, okc = _affine_coeffs(G, gnew, na)
        resid += k
        if okc and resid <= 1e-9 * k:
            # degenerate exchange: a_new = sum_a c_a a_a; move along e_new - c
            tstep = np.inf
            jblock = -1
            for a in range(na):
                if c[a] > 0.0:
                    r = alpha[a] / c[a]
                    if r < tstep:
                        tstep = r
                        jblock = a
            if jblock < 0:  # the objective is unbounded along the line: cannot happen
                status = STATUS_UNBOUNDED
                break
            for a in range(na):
                alpha[a] = alpha[a] - tstep * c[a]
            # replace the blocking structure by the new one
            for t in range(k):
                idx[jblock, t] = ynew[t]
            alpha[jblock] = tstep
            sc[jblock] = snew
            bpair[jblock] = bnew
            for a in range(na):
                G[jblock, a] = _overlap(idx[jblock], idx[a])
                G[a, jblock] = G[jblock, a]
            # drop every structure at zero weight, rebuild the Gram matrix
            na = _drop_zero_weights(idx, alpha, sc, bpair, G, na, k)
            continue
        for t in range(k):
            idx[na, t] = ynew[t]
        for a in range(na):
            G[a, na] = gnew[a]
            G[na, a] = gnew[a]
        G[na, na] = k
        sc[na] = snew
        bpair[na] = bnew
        alpha[na] = 0.0
        na += 1
    # polish the weights on the final active set (scores summed exactly), unless the
    # scores are so large that the error-free products could overflow
    if status == STATUS_CONVERGED and zmax_ok(z):
        tau = _refine(z, w, k, idx, alpha, bpair, na, tau, shift)
    # final marginals from the final weights
    for i in range(n):
        mu[i] = 0.0
    nu = 0.0
    for a in range(na):
        for t in range(k):
            mu[idx[a, t]] += alpha[a]
        nu += alpha[a] * bpair[a]
    info[INFO_NU] = nu
    info[INFO_TAU] = tau + k * shift  # (rounded: for information)
    info[INFO_NACTIVE] = na
    info[INFO_ITER] = it
    info[INFO_STATUS] = status
    info[INFO_GAP] = gap
    return na


@njit(cache=True, parallel=True)
def seq_ksubsets_rows(Z, w, k, tol, max_iter, cap, mu_out, info_out, shift):
    """Marginals of every row of ``Z`` (rows in parallel); ``tol`` and ``shift`` (rows,)
    per row."""
    rows = Z.shape[0]
    for r in prange(rows):
        idx = np.empty((cap, k), dtype=np.int64)
        alpha = np.empty(cap)
        active_set(Z[r], w, k, tol[r], max_iter, cap, idx, alpha, mu_out[r], info_out[r],
                   shift[r])


@njit(cache=True)
def seq_ksubsets_rows_serial(Z, w, k, tol, max_iter, cap, mu_out, info_out, shift):
    """As :func:`seq_ksubsets_rows`, one row after the other (small batches: a parallel
    region costs a scheduler time slice on a busy machine)."""
    rows = Z.shape[0]
    for r in range(rows):
        idx = np.empty((cap, k), dtype=np.int64)
        alpha = np.empty(cap)
        active_set(Z[r], w, k, tol[r], max_iter, cap, idx, alpha, mu_out[r], info_out[r],
                   shift[r])


@njit(cache=True)
def seq_ksubsets_solve(z, w, k, tol, max_iter, cap, idx, alpha, mu, info, shift):
    """One row with its active structures (see :func:`active_set`)."""
    return active_set(z, w, k, tol, max_iter, cap, idx, alpha, mu, info, shift)
