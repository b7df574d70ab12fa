r"""Conditions and bounds of the Hopfield-Fenchel-Young theory, as plain functions.

Each function computes the quantity of one statement of math §6 (T4-T10) and says
which statement in its docstring; none of them runs any dynamics.  The theorem
verifier (``proofs_check``) builds instances with these functions and checks the
conclusions against :class:`~hfy_reference.hopfield.HopfieldNetwork`.

Exactness.  The decisions that sit exactly on a threshold are computed exactly:

* the separations :func:`separation` and :func:`structured_separation` are the exact
  values of ``x_i^T x_i - max_{j != i} x_i^T x_j`` (resp. ``Δ_y``) for the given float64
  patterns, rounded once (the inner products are found approximately with BLAS, the
  candidates for the extremes within a rigorous error bound of it are re-evaluated
  with error-free products and :func:`math.fsum`);
* :func:`one_step_condition` and :func:`structured_one_step_condition` decide the sign
  of ``beta q0^T (x_i - x_j) - m`` exactly (error-free triple products, ``fsum``);
* :func:`support_change_temperatures` evaluates the closed-form transition
  temperatures with exactly rounded sums (sparsemax, ``inf``-normmax, k-subsets: the
  result is the exact temperature rounded at most twice; general ``alpha``: up to the
  rounding of the powers).

Error-free products split each float into two halves (Veltkamp); patterns are first
scaled by a power of two, so the results are exact unless entries span more than about
``2**500`` in magnitude (products of the tiny ones would then underflow).

The references cited as ``[KEY]_`` are listed once, in the bibliography of the
documentation (``docs/references.md``).
"""

from __future__ import annotations

import math
import operator

import numpy as np
from numpy.typing import ArrayLike

from . import _dd
from . import _validation as V
from ._validation import as_patterns, as_query, check_beta  # noqa: F401 (re-exported)
from ._validation import check_dim as _check_dim
from ._validation import check_index as _index
from ._validation import check_margin as _margin_of
from ._validation import check_probability as _check_prob
from ._validation import check_subset as _subset
from ._validation import one_query as _one_query

__all__ = [
    "separation",
    "structured_separation",
    "stationary_threshold",
    "one_step_condition",
    "structured_one_step_condition",
    "epsilon_ball_radius",
    "angle_separation_bound",
    "capacity_bound",
    "capacity_epsilon",
    "angle_probability",
    "min_angle_failure_probability",
    "min_pairwise_angle",
    "sequential_vertex_condition",
    "support_change_temperatures",
    "path_events",
]

_EPS = np.finfo(np.float64).eps


# ---------------------------------------------------------------------------------------
# error-free products
# ---------------------------------------------------------------------------------------
def _pow2(a: np.ndarray) -> tuple[np.ndarray, int]:
    """``a = s * 2**e`` with ``max |s|`` in [0.5, 1) (exact)."""
    amax = float(np.max(np.abs(a))) if a.size else 0.0
    if amax == 0.0:
        return a, 0
    e = math.frexp(amax)[1]
    return np.ldexp(a, -e), e


def _two_prod(a, b):
    """Elementwise ``a * b = p + e`` exactly (|a|, |b| <= 1 after scaling)."""
    return _dd.two_prod(a, b)


def _terms(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Floats whose exact sum is ``<a, b>`` (a and b already scaled)."""
    p, e = _two_prod(a, b)
    return np.concatenate([p.ravel(), e.ravel()])


def _terms3(c: float, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Floats whose exact sum is ``c * <a, b>``."""
    p, e = _two_prod(a, b)
    out = []
    for t in (p, e):
        h, lo = _two_prod(np.full_like(t, c), t)
        out += [h.ravel(), lo.ravel()]
    return np.concatenate(out)


def _tiny(*arrays) -> bool:
    """Whether error-free products of these (scaled) arrays could underflow."""
    for a in arrays:
        nz = np.abs(a[a != 0])
        if nz.size and float(nz.min()) < 2.0**-480:
            return True
    return False


def _fdot(a, b):
    """``<a, b>`` as an exact :class:`fractions.Fraction` (slow path)."""
    from fractions import Fraction

    return sum((Fraction(float(u)) * Fraction(float(v)) for u, v in zip(a, b, strict=True)),
               Fraction(0))


def _fsum(terms) -> float:
    return math.fsum(terms.tolist() if isinstance(terms, np.ndarray) else terms)


def _gamma(n: int) -> float:
    """A safe bound factor for an n-term floating-point dot product."""
    return 2.0 * (n + 4) * _EPS


# ---------------------------------------------------------------------------------------
# separations (T4, T6, T9)
# ---------------------------------------------------------------------------------------
def separation(X: ArrayLike, i: int | None = None):
    r"""Separation of pattern ``i`` from the others, :math:`\Delta_i = x_i^\top x_i -
    \max_{j\ne i} x_i^\top x_j` (all patterns when ``i`` is None).

    Statement (T4, [SNMM24]_): if ``x_i`` is not in the convex hull of the other patterns
    and the map has margin ``m``, then ``x_i`` is a fixed point of the update
    ``q <- X^T y_hat(beta X q)`` iff ``beta Δ_i >= m``.

    Parameters
    ----------
    X : array_like, shape (N, D)
        Patterns as rows.
    i : int, optional
        Pattern index; ``None`` gives all ``N`` separations.

    Returns
    -------
    float, or ndarray of shape (N,)
        The exact separation rounded once; ``+inf`` when ``N = 1``.

    Examples
    --------
    >>> from hfy_reference.theory import separation
    >>> separation([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]])
    array([0.4, 0.2, 0.2])
    """
    Xa = as_patterns(X)
    n = Xa.shape[0]
    idx: list[int] | range
    if i is not None:
        idx = [_index(i, n)]
    else:
        idx = range(n)
    Xs, e_common = _pow2(Xa)  # a common power-of-two scale: exact, undone at the end
    absX = np.abs(Xs)
    slow = _tiny(Xs)
    out = np.empty(len(idx))
    gam = _gamma(Xa.shape[1])
    chunk = max(1, min(len(idx), 2_000_000 // max(n, 1)))
    idx = list(idx)
    for start in range(0, len(idx), chunk):
        rows = idx[start:start + chunk]
        G = Xs[rows] @ Xs.T  # (r, N) approximate Gram rows
        A = absX[rows] @ absX.T  # bounds
        for r, ii in enumerate(rows):
            if n == 1:
                out[start + r] = np.inf
                continue
            g = G[r].copy()
            err = gam * A[r]
            g[ii] = -np.inf
            jmax = int(np.argmax(g))
            # candidates: every j whose exact value can reach the approximate max
            cand = np.flatnonzero(g + err >= g[jmax] - err[jmax])
            cand = cand[cand != ii]
            if slow:  # entries spanning > 2**480: exact rationals
                out[start + r] = float(min(_fdot(Xa[ii], Xa[ii]) - _fdot(Xa[ii], Xa[j])
                                           for j in cand))
                continue
            best = np.inf
            base = _terms(Xs[ii], Xs[ii])
            for j in cand:
                val = _fsum(np.concatenate([base, -_terms(Xs[ii], Xs[j])]))
                best = min(best, val)
            out[start + r] = math.ldexp(best, 2 * e_common)
    return out if i is None else float(out[0])


def structured_separation(X: ArrayLike, y) -> float:
    r"""Structured separation of the k-subset ``y`` (sum convention),
    :math:`\Delta_y = \min_{i\in y} x_i^\top s_y - \max_{j\notin y} x_j^\top s_y` with
    :math:`s_y = \sum_{i\in y} x_i`.

    Statement (T9 (a), [SNMM24]_): for SparseMAP over k-subsets with the update
    ``q <- X^T mu`` (the *sum* of the retrieved patterns), ``s_y`` is a fixed point iff
    ``beta Δ_y >= 1`` (when ``s_y`` is not reachable from another point of the marginal
    polytope).  With ``average=True`` (``q <- X^T mu / k``) the point is
    ``s_y / k`` and the condition reads ``beta Δ_y >= k``.

    Parameters
    ----------
    X : array_like, shape (N, D)
    y : array_like of int (distinct indices) or bool mask of shape (N,)

    Returns
    -------
    float
        Exact value rounded once; ``+inf`` when ``y`` holds every pattern.
    """
    Xa = as_patterns(X)
    n = Xa.shape[0]
    mask = _subset(y, n)
    if mask.all():
        return math.inf
    Xs, e = _pow2(Xa)
    sy = Xs[mask].sum(axis=0)
    c = Xs @ sy
    abs_s = np.abs(Xs[mask]).sum(axis=0)
    err = _gamma(Xa.shape[1] + int(mask.sum())) * (np.abs(Xs) @ abs_s)
    cin = np.where(mask, c, np.inf)
    cout = np.where(mask, -np.inf, c)
    imin = int(np.argmin(cin))
    jmax = int(np.argmax(cout))
    cand_i = np.flatnonzero(mask & (c - err <= c[imin] + err[imin]))
    cand_j = np.flatnonzero(~mask & (c + err >= c[jmax] - err[jmax]))
    Ys = Xs[mask]

    def terms(r):
        return _terms(np.broadcast_to(Xs[r], Ys.shape), Ys)

    if _tiny(Xs):  # entries spanning > 2**480: exact rationals
        cy = {int(r): sum((_fdot(Xa[r], Xa[l]) for l in np.flatnonzero(mask)), start=0)
              for r in np.concatenate([cand_i, cand_j])}
        return float(min(cy[int(a)] for a in cand_i) - max(cy[int(b)] for b in cand_j))
    ti = {int(r): terms(r) for r in cand_i}
    tj = {int(r): terms(r) for r in cand_j}
    best = min(_fsum(np.concatenate([ti[a], -tj[b]])) for a in ti for b in tj)
    return math.ldexp(best, 2 * e)


def stationary_threshold(reg, beta: float) -> float:
    r"""The stationarity threshold ``m / beta`` on the separation (T4).

    Statement (T4, the library's reading of [SNMM24]_): a pattern ``x_i`` outside the
    convex hull of the others is a fixed point of the HFY update iff
    ``Δ_i >= m / beta``, with ``m`` the margin of the regularizer.  (The talk's slides
    print ``1/(m beta)``, which agrees only when ``m = 1``; ``proofs_check`` decides
    between the two by search.)

    Parameters
    ----------
    reg : Regularizer or float
        The regularizer (its ``margin``) or the margin itself.
    beta : float, > 0

    Returns
    -------
    float
        ``m / beta``; ``inf`` when the map has no margin (softmax: patterns are never
        exact fixed points when ``N > 1``); ``0`` for the argmax (``m = 0``).
    """
    b = check_beta(beta)
    m = _margin_of(reg)
    if m is None:
        return math.inf
    return m / b


def _exact_gap_ok(Xs, e_x, qs, e_q, beta, m, ins, outs) -> bool:
    """``beta * (min_{a in ins} x_a^T q - max_{b in outs} x_b^T q) >= m`` exactly."""
    if len(outs) == 0:
        return True
    bs, e_b = _pow2(np.array([beta]))
    bval = float(bs[0])
    e_tot = e_x + e_q + e_b
    c = Xs @ qs
    err = _gamma(Xs.shape[1]) * (np.abs(Xs) @ np.abs(qs))
    cin = c[ins]
    cout = c[outs]
    a0 = int(np.argmin(cin))
    b0 = int(np.argmax(cout))
    cand_a = ins[cin - err[ins] <= cin[a0] + err[ins][a0]]
    cand_b = outs[cout + err[outs] >= cout[b0] - err[outs][b0]]
    if _tiny(Xs, qs, bs) or abs(e_tot) > 900:  # exact rationals
        from fractions import Fraction

        fb, fm = Fraction(beta), Fraction(m)
        q = [math.ldexp(float(v), e_q) for v in qs]
        xs = [[math.ldexp(float(v), e_x) for v in Xs[r]] for r in range(Xs.shape[0])]
        ca = {int(a): fb * _fdot(xs[a], q) for a in cand_a}
        cb = {int(b): fb * _fdot(xs[b], q) for b in cand_b}
        return min(ca.values()) - max(cb.values()) >= fm
    # m * 2**(-e_tot): exact power-of-two scaling (m is a float)
    m_s = math.ldexp(m, -e_tot) if m else 0.0
    for a in cand_a:
        ta = _terms3(bval, Xs[a], qs)
        for b in cand_b:
            tb = _terms3(bval, Xs[b], qs)
            s = _fsum(np.concatenate([ta, -tb, [-m_s]]))
            if s < 0:
                return False
    return True


def one_step_condition(X: ArrayLike, q0: ArrayLike, i: int, reg, beta: float) -> bool:
    r"""Whether ``beta q0^T (x_i - x_j) >= m`` for every ``j != i`` (decided exactly).

    Statement (T5, [SNMM24]_): if this holds, one update from ``q0`` gives exactly
    ``q1 = x_i`` (with ``Ψ = ½‖·‖²``; also with the ℓ2 post-transformation and
    unit-norm patterns).

    Parameters
    ----------
    X : array_like, shape (N, D)
    q0 : array_like, shape (D,)
    i : int
    reg : Regularizer or float
        The regularizer or its margin ``m`` (``None``: no margin; the condition then
        holds only vacuously, when ``N = 1``).
    beta : float, > 0

    Returns
    -------
    bool
    """
    Xa = as_patterns(X)
    n = Xa.shape[0]
    q = _one_query(q0, Xa.shape[1])
    ii = _index(i, n)
    b = check_beta(beta)
    m = _margin_of(reg)
    outs = np.array([j for j in range(n) if j != ii], dtype=np.int64)
    if m is None:
        return outs.size == 0
    Xs, e_x = _pow2(Xa)
    qs, e_q = _pow2(q[0])
    return _exact_gap_ok(Xs, e_x, qs, e_q, b, m, np.array([ii]), outs)


def structured_one_step_condition(X: ArrayLike, q0: ArrayLike, y, beta: float,
                                  *, average: bool = False) -> bool:
    r"""Whether ``beta (min_{i in y} x_i^T q0 - max_{j not in y} x_j^T q0) >= 1``.

    Statement (T9 (b), [SNMM24]_): for SparseMAP over k-subsets (margin 1) this gives
    ``q1 = s_y = sum_{i in y} x_i`` exactly (``s_y / k`` with ``average=True``; the
    condition is on the scores ``beta X q0`` and is the same in both conventions).

    Parameters
    ----------
    X : array_like, shape (N, D)
    q0 : array_like, shape (D,)
    y : array_like of int or bool mask
    beta : float, > 0
    average : bool
        Accepted for symmetry with :class:`~hfy_reference.hopfield.HopfieldNetwork`;
        the condition does not depend on it.
    """
    Xa = as_patterns(X)
    n = Xa.shape[0]
    q = _one_query(q0, Xa.shape[1])
    mask = _subset(y, n)
    b = check_beta(beta)
    Xs, e_x = _pow2(Xa)
    qs, e_q = _pow2(q[0])
    return _exact_gap_ok(Xs, e_x, qs, e_q, b, 1.0, np.flatnonzero(mask),
                         np.flatnonzero(~mask))


def epsilon_ball_radius(X: ArrayLike, i: int, reg, beta: float) -> float:
    r"""The largest ``eps`` with ``Δ_i >= m/beta + 2 M eps``, i.e.
    ``(Δ_i - m/beta) / (2M)`` with ``M = max_j ||x_j||``.

    Statement (T6, [SNMM24]_): if ``||x_j|| <= M`` for all ``j`` and
    ``Δ_i >= m/beta + 2 M eps``, every ``q0`` with ``||q0 - x_i|| <= eps`` reaches
    ``x_i`` exactly in one step.

    Returns
    -------
    float
        The radius; negative when even ``q0 = x_i`` is not covered (``Δ_i < m/beta``),
        ``-inf`` without a margin, ``+inf`` when ``N = 1``.
    """
    Xa = as_patterns(X)
    ii = _index(i, Xa.shape[0])
    thr = stationary_threshold(reg, beta)
    d = separation(Xa, ii)
    if math.isinf(d):
        return math.inf
    if math.isinf(thr):
        return -math.inf
    M = float(np.max(np.linalg.norm(Xa, axis=1)))
    if M == 0.0:
        return math.inf if d - thr >= 0 else -math.inf
    return (d - thr) / (2.0 * M)


# ---------------------------------------------------------------------------------------
# capacity (T7)
# ---------------------------------------------------------------------------------------
def angle_separation_bound(M: float, zeta: float) -> float:
    r"""``M^2 (1 - cos(1/zeta))``: the separation of patterns on the sphere of radius
    ``M`` whose pairwise angles are all ``>= 1/zeta`` (T7's mechanism:
    ``x_i^T x_i - x_i^T x_j = M^2 (1 - cos angle)``).  Computed as
    ``2 M^2 sin^2(1/(2 zeta))`` (no cancellation)."""
    Mv = V.check_positive(M, "M")
    z = V.check_positive(zeta, "zeta")
    return 2.0 * Mv * Mv * math.sin(0.5 / z) ** 2


def capacity_bound(D: int, p: float, zeta: float) -> float:
    r"""The capacity bound ``sqrt(p) zeta^((D-1)/2)`` (T7).

    Statement (T7, [SNMM24]_): ``N`` patterns i.i.d. uniform on the sphere of radius
    ``M`` in ``R^D``; if ``N <= sqrt(p) zeta^((D-1)/2)`` then with probability
    ``>= 1 - p`` every pattern is exactly retrievable in one step from its ε-ball,
    provided ``eps <= capacity_epsilon(M, zeta, m, beta)``.

    Parameters
    ----------
    D : int, >= 2
    p : float in (0, 1]
        Allowed failure probability.
    zeta : float, > 0
        ``1/zeta`` is the minimum pairwise angle the bound relies on.

    Returns
    -------
    float
        The bound (``inf`` if it overflows).
    """
    d = _check_dim(D)
    pv = _check_prob(p)
    z = V.check_positive(zeta, "zeta")
    logv = 0.5 * math.log(pv) + 0.5 * (d - 1) * math.log(z)
    return math.exp(logv) if logv < 709.0 else math.inf


def capacity_epsilon(M: float, zeta: float, margin, beta: float) -> float:
    r"""The ε condition of T7: ``(M/2)(1 - cos(1/zeta)) - m / (2 beta M)``.

    With minimum pairwise angle ``>= 1/zeta``, ``Δ_i >= M^2 (1 - cos(1/zeta))``; T6
    then gives exact one-step retrieval from the ε-ball for every ``eps`` up to this
    value.

    Parameters
    ----------
    M : float, > 0
    zeta : float, > 0
    margin : float, a Regularizer, or None
        ``None`` (softmax) gives ``-inf``: no exact retrieval.
    beta : float, > 0

    Returns
    -------
    float (negative when no ε works)
    """
    Mv = V.check_positive(M, "M")
    b = check_beta(beta)
    m = _margin_of(margin)
    sep = angle_separation_bound(Mv, zeta)
    if m is None:
        return -math.inf
    return sep / (2.0 * Mv) - m / (2.0 * b * Mv)


def angle_probability(theta: ArrayLike, D: int):
    r"""``P(angle(u, v) <= theta)`` for independent uniform directions in ``R^D``.

    .. math::

        P(\angle \le \theta) = \tfrac12 I_{\sin^2\theta}\big(\tfrac{D-1}{2},
        \tfrac12\big) \quad (0 \le \theta \le \pi/2),

    and ``1 - ½ I_{sin²θ}((D-1)/2, ½)`` for ``θ`` in ``(π/2, π]`` (T7's union bound;
    ``I`` is the regularized incomplete beta function).  ``D = 2`` gives ``θ/π``,
    ``D = 3`` gives ``(1 - cos θ)/2``.

    Parameters
    ----------
    theta : float or array_like, in [0, pi]
    D : int, >= 2
    """
    from scipy.special import betainc

    d = _check_dim(D)
    t, _ = V.as_float_array(theta, "theta", allow_0d=True)
    if np.isnan(t).any() or (t < 0).any() or (t > math.pi).any():
        raise ValueError("theta must lie in [0, pi] (angles in radians)")
    s2 = np.sin(t) ** 2
    half = 0.5 * betainc(0.5 * (d - 1), 0.5, s2)
    out = np.where(t <= 0.5 * math.pi, half, 1.0 - half)
    return float(out) if out.ndim == 0 else out


def min_angle_failure_probability(N: int, theta: float, D: int) -> float:
    r"""Union bound ``min(1, N(N-1)/2 * P(angle <= theta))`` on the probability that some
    pair of ``N`` uniform directions in ``R^D`` is closer than ``theta`` (T7)."""
    n = operator.index(N)
    if n < 1:
        raise ValueError(f"N must be >= 1; got {n}")
    return min(1.0, 0.5 * n * (n - 1) * angle_probability(theta, D))


def min_pairwise_angle(X: ArrayLike) -> float:
    """The smallest angle (radians) between two patterns (rows of X, nonzero)."""
    Xa = as_patterns(X)
    norms = np.linalg.norm(Xa, axis=1)
    if (norms == 0).any():
        raise ValueError("X has a zero pattern; its angle to the others is undefined")
    if Xa.shape[0] < 2:
        return math.pi
    U = Xa / norms[:, None]
    C = np.clip(U @ U.T, -1.0, 1.0)
    np.fill_diagonal(C, -np.inf)
    i, j = np.unravel_index(int(np.argmax(C)), C.shape)
    # angle via the chord, accurate for small angles
    chord = float(np.linalg.norm(U[i] - U[j]))
    return 2.0 * math.asin(min(1.0, 0.5 * chord))


# ---------------------------------------------------------------------------------------
# structured vertex condition (T9, sequential)
# ---------------------------------------------------------------------------------------
def sequential_vertex_condition(z: ArrayLike, y, w: float = 0.0) -> bool:
    r"""Whether the structure ``y`` is the SparseMAP solution of sequential k-subsets.

    Statement (T9, sequential): ``a_y`` solves
    ``max_{(mu, nu)} <z, mu> + w sum nu - ½||mu||^2`` iff for every other structure y'
    (binary chain with the same number k of ones)

    .. math::

        z^\top(a_y - a_{y'}) + w (b_y - b_{y'}) \ge \tfrac12 \|a_y - a_{y'}\|^2,

    with ``b_y`` the number of adjacent pairs of ones (first-order optimality of a
    concave objective at a vertex of the polytope, checked against every vertex).
    Decided here by enumerating the structures (small ``N`` only, ``C(N, k) <= 2e5``).
    """
    from itertools import combinations

    za = np.asarray(z, dtype=np.float64)
    if za.ndim != 1 or not np.isfinite(za).all():
        raise ValueError("z must be a finite 1-D score vector")
    n = za.shape[0]
    mask = _subset(y, n)
    k = int(mask.sum())
    if math.comb(n, k) > 200_000:
        raise ValueError(f"C(N={n}, k={k}) structures are too many to enumerate (> 2e5)")
    wv = V._real_scalar(w, "w")
    ya = mask.astype(np.float64)
    by = float(np.sum(ya[1:] * ya[:-1]))
    for comb in combinations(range(n), k):
        a = np.zeros(n)
        a[list(comb)] = 1.0
        b = float(np.sum(a[1:] * a[:-1]))
        d = ya - a
        lhs = _fsum(np.concatenate([za * d, [wv * (by - b)]]))
        if lhs < 0.5 * float(d @ d):
            return False
    return True


# ---------------------------------------------------------------------------------------
# regularization path (T8): exact support-change temperatures
# ---------------------------------------------------------------------------------------
def _sorted_finite(z) -> np.ndarray:
    za = np.asarray(z)
    rows = V.as_rows(za, -1, "z")
    if rows.data.shape[0] != 1:
        raise ValueError(f"z must be one score vector (1-D); got shape {za.shape}")
    v = rows.data[0]
    v = v[np.isfinite(v)]
    return np.sort(v)[::-1].copy()


def _exact_sum_minus(vals: np.ndarray, c: float, n: int) -> float:
    """``sum(vals) - n * c`` rounded once."""
    p, e = _two_prod(np.array([float(n)]), np.array([c]))  # n*c = p + e exactly
    return _fsum(np.concatenate([vals, [-float(p[0]), -float(e[0])]]))


def _entmax_temps(zs: np.ndarray, alpha: float, family: str) -> list[tuple[float, int]]:
    """(T_s, s) for every sorted position s >= 1: (s) is in the support iff T > T_s."""
    out = []
    for s in range(1, zs.size):
        d = zs[:s] - zs[s]  # >= 0
        if not (d > 0).any():
            continue
        if family == "entmax":
            if alpha == 2.0:
                T = _exact_sum_minus(zs[:s], zs[s], s)
            else:
                e = 1.0 / (alpha - 1.0)
                dn = d[d > 0]
                dm = dn.max()
                S = _fsum((dn / dm) ** e)
                T = (alpha - 1.0) * dm * S ** (alpha - 1.0)
        else:  # normmax
            if math.isinf(alpha):
                T = _exact_sum_minus(zs[:s], zs[s], s)
            else:
                e = alpha / (alpha - 1.0)
                dn = d[d > 0]
                dm = dn.max()
                S = _fsum((dn / dm) ** e)
                T = dm * S ** ((alpha - 1.0) / alpha)
        out.append((T, s))
    return out


def _ksubsets_events(zs: np.ndarray, k: int) -> list[tuple[float, int, str]]:
    """Support-leave and saturation temperatures of SparseMAP k-subsets (see
    :func:`support_change_temperatures`)."""
    n = zs.size
    ev = []
    # leaving the support: sorted position s (0-based) with s >= k
    for s in range(k, n):
        d = zs[:s] - zs[s]  # descending, >= 0
        if int((d > 0).sum()) < k:
            continue  # in the support at every temperature
        for c in range(k):
            # c entries capped at 1, the others free: T = sum_{j>=c} d_j / (k - c)
            T = _exact_sum_minus(zs[c:s], zs[s], s - c) / (k - c)
            if d[c] <= T:
                ev.append((T, s, "leaves support"))
                break
    # saturating at 1: sorted position o < k
    for o in range(k):
        n_ge = int(np.sum(zs >= zs[o]))
        if n_ge > k or n == k:
            continue
        below = zs[zs < zs[o]]  # descending, so d ascending
        e = zs[o] - below
        need = k - n_ge + 1  # at least this many entries below must be active
        for c in range(max(need, 1), below.size + 1):
            T = -_exact_sum_minus(below[:c], zs[o], c) / (n_ge + c - k)
            nxt = e[c] if c < below.size else math.inf
            if T <= nxt:
                ev.append((T, o, "saturates"))
                break
    return ev


# the path events of each family (the hooks MapEntry.path_events of the registry)
def _events_none(zs: np.ndarray, reg) -> list:
    """Softmax and argmax never change support."""
    return []


def _events_tsallis(zs: np.ndarray, reg) -> list:
    a = reg.alpha  # alpha = 1: softmax, alpha = inf: argmax; neither changes support
    return [] if (math.isinf(a) or a == 1.0) else [
        (T, s, "leaves support") for T, s in _entmax_temps(zs, a, "entmax")]


def _events_normmax(zs: np.ndarray, reg) -> list:
    if reg.alpha == 1.0:  # the argmax: its support never changes
        return []
    return [(T, s, "leaves support") for T, s in _entmax_temps(zs, reg.alpha, "normmax")]


def _events_ksubsets(zs: np.ndarray, reg) -> list:
    V.check_k(reg.k, zs.size)
    return _ksubsets_events(zs, reg.k)


def path_events(z: ArrayLike, reg, t_max: float = 6.0) -> list[tuple[float, int, str]]:
    """The events of the regularization path ``T -> y_hat(z / T)`` in ``(0, t_max]``.

    Returns a list of ``(T, rank, kind)`` sorted by decreasing temperature ``T``:
    ``rank`` is the 0-based position of the entry in ``z`` sorted in decreasing order
    (masked ``-inf`` entries dropped), ``kind`` is ``"leaves support"`` (for ``T <= T_event``
    the entry is 0) or ``"saturates"`` (k-subsets: for ``T <= T_event`` the entry is 1).
    See :func:`support_change_temperatures` for the formulas.
    """
    from . import registry

    tm = V.check_positive(t_max, "t_max")
    zs = _sorted_finite(z)
    try:
        events = registry.entry_for(reg).hook("path_events")
    except (LookupError, NotImplementedError) as exc:
        raise NotImplementedError(
            f"support_change_temperatures has closed forms for the maps whose registry "
            f"entry declares path_events (Shannon, Tsallis, NormEntropy, KSubsets); got "
            f"{reg!r} ({exc}; for SequentialKSubsets, scan the temperature with "
            "reg.argmax)"
        ) from None
    ev = events(zs, reg)
    ev = [e for e in ev if 0.0 < e[0] <= tm]
    ev.sort(key=lambda e: (-e[0], e[1]))
    return ev


def support_change_temperatures(z: ArrayLike, reg, t_max: float = 6.0) -> np.ndarray:
    r"""Exact temperatures ``T = 1/beta`` in ``(0, t_max]`` where the support of
    ``y_hat(beta z)`` changes (sorted increasing).

    Statement (T8): the support of ``y_hat(beta z)`` only shrinks as ``beta`` grows, with
    the exact thresholds of math §1.  With ``z`` sorted decreasingly and
    ``d_j = z_(j) - z_(s)``, the entry ``(s)`` is in the support iff ``T > T_s``:

    * α-entmax: ``T_s = (α-1) (sum_{j<s} d_j^{1/(α-1)})^{α-1}``
      (from ``sum_{j<s} ((α-1) beta d_j)^{1/(α-1)} < 1``); sparsemax:
      ``T_s = sum_{j<s} d_j``;
    * α-normmax: ``T_s = (sum_{j<s} d_j^{α/(α-1)})^{(α-1)/α}``
      (from ``sum_{j<s} (beta d_j)^{α/(α-1)} < 1``); ``α = inf``: ``sum_{j<s} d_j``;
    * SparseMAP k-subsets (``mu = clip(beta z - tau, 0, 1)``, the capped simplex): the
      entry ``(s)``, ``s >= k``, is in the support iff ``sum_j min(d_j/T, 1) < k``,
      giving ``T_s = sum_{j=c}^{s-1} d_j / (k - c)`` with ``c`` the number of entries
      capped at 1 there; and the entry ``(o)``, ``o < k``, is saturated (``mu = 1``) iff
      ``T <= T_o`` with ``#{z_i >= z_(o)} + sum_{z_i < z_(o)} [1 - (z_(o) - z_i)/T]_+ = k``,
      i.e. ``T_o = sum_{i<c} e_i / (#{z >= z_(o)} + c - k)`` over the ``c`` smallest gaps
      ``e_i = z_(o) - z_i``.  Both kinds of events are returned (they are the kinks of
      the path).

    Softmax and argmax (``Tsallis(inf)``) never change support: empty result.

    Parameters
    ----------
    z : array_like, shape (N,)
        Scores (``-inf`` entries are masks and are ignored).
    reg : Shannon, Tsallis, NormEntropy or KSubsets
    t_max : float, > 0

    Returns
    -------
    ndarray of float, sorted increasing, without duplicates (ties change together).

    Raises
    ------
    NotImplementedError
        For regularizers without a closed form (e.g. ``SequentialKSubsets``).

    Examples
    --------
    >>> from hfy_reference import Tsallis
    >>> from hfy_reference.theory import support_change_temperatures
    >>> support_change_temperatures([1.0, 0.5, -1.0], Tsallis(2.0))
    array([0.5, 3.5])
    """
    ev = path_events(z, reg, t_max)
    return np.unique(np.array([e[0] for e in ev], dtype=np.float64))

