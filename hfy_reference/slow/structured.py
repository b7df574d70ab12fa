r"""Slow, independent solutions of SparseMAP over sequential k-subsets (tests only).

Nothing here uses the Numba kernels.  For small ``N`` the structures (binary chains
with exactly ``k`` ones) are enumerated, and

* :func:`sequential_ksubsets_qp` solves the problem as a QP over the convex hull of
  the structures with :func:`scipy.optimize.minimize` (SLSQP on the simplex of
  structure weights; objective and gradient written from the definition);
* :func:`certify` takes a candidate set of structures, solves the KKT system on it in
  exact rational arithmetic (:class:`fractions.Fraction`) and checks the optimality
  conditions against *every* structure exactly; on success it returns the exact
  marginals rounded once to float64 -- a certificate, not an approximation.

Problem (standard convention):
``max_{alpha in simplex} sum_y alpha_y (z^T a_y + w b_y) - ½ ||sum_y alpha_y a_y||^2``
(``a_y`` the structure's indicator vector, ``b_y`` its number of adjacent pairs of
ones).  The "lp-sparsemap" convention regularizes both binary states of every
position, ``½ sum_i (mu_i^2 + (1 - mu_i)^2)``.
"""

from __future__ import annotations

import math
from fractions import Fraction
from itertools import combinations

import numpy as np

__all__ = ["enumerate_structures", "sequential_ksubsets_qp", "certify", "objective"]


def enumerate_structures(n: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """All binary chains of length ``n`` with ``k`` ones: ``(A, b)`` with ``A`` of
    shape (C(n, k), n) (0/1 float rows) and ``b`` their numbers of adjacent pairs."""
    if math.comb(n, k) > 100_000:
        raise ValueError("too many structures to enumerate")
    rows = []
    for comb in combinations(range(n), k):
        a = np.zeros(n)
        a[list(comb)] = 1.0
        rows.append(a)
    A = np.array(rows)
    b = np.sum(A[:, 1:] * A[:, :-1], axis=1)
    return A, b


def objective(alpha, A, b, z, w, convention="standard"):
    """The (maximized) SparseMAP objective at structure weights ``alpha``."""
    mu = alpha @ A
    lin = alpha @ (A @ z + w * b)
    if convention == "standard":
        return lin - 0.5 * mu @ mu
    return lin - 0.5 * (mu @ mu + (1.0 - mu) @ (1.0 - mu))


def sequential_ksubsets_qp(z, k: int, w: float = 0.0, convention: str = "standard"):
    """Marginals by SLSQP over the simplex of structure weights; returns
    ``(mu, alpha, A)``."""
    from scipy.optimize import minimize

    z = np.asarray(z, dtype=np.float64)
    n = z.size
    A, b = enumerate_structures(n, k)
    s = A @ z + w * b
    G = A @ A.T
    S = A.shape[0]

    if convention == "standard":
        def f(al):
            return 0.5 * al @ G @ al - s @ al

        def g(al):
            return G @ al - s
    else:
        ones = np.ones(n)

        def f(al):
            mu = al @ A
            return 0.5 * (mu @ mu + (ones - mu) @ (ones - mu)) - s @ al

        def g(al):
            mu = al @ A
            return A @ (2.0 * mu - ones) - s

    x0 = np.full(S, 1.0 / S)
    res = minimize(
        f, x0, jac=g, method="SLSQP", bounds=[(0.0, 1.0)] * S,
        constraints=[{"type": "eq", "fun": lambda al: al.sum() - 1.0,
                      "jac": lambda al: np.ones_like(al)}],
        options={"ftol": 1e-16, "maxiter": 2000},
    )
    al = np.clip(res.x, 0.0, None)
    al /= al.sum()
    return al @ A, al, A


def _solve_fraction(M, r):
    """Gaussian elimination in exact rationals; ``None`` if singular."""
    n = len(M)
    Aug = [list(M[i]) + [r[i]] for i in range(n)]
    for col in range(n):
        piv = next((i for i in range(col, n) if Aug[i][col] != 0), None)
        if piv is None:
            return None
        Aug[col], Aug[piv] = Aug[piv], Aug[col]
        p = Aug[col][col]
        for i in range(n):
            if i != col and Aug[i][col] != 0:
                f = Aug[i][col] / p
                Aug[i] = [a - f * c for a, c in zip(Aug[i], Aug[col], strict=True)]
    return [Aug[i][n] / Aug[i][i] for i in range(n)]


def certify(z, k: int, w: float, candidates: np.ndarray, convention: str = "standard"):
    """Exact optimality certificate for the support ``candidates`` (rows: 0/1 vectors).

    Solves the KKT system on the candidates in rationals; succeeds when every weight is
    > 0 and no structure has a reduced score above ``tau`` (checked exactly over all
    structures).  Returns ``(mu, alpha)`` with ``mu`` the exact marginals rounded once,
    or ``None`` when the candidates are not the exact optimal support.
    """
    zf = [Fraction(float(v)) for v in np.asarray(z, dtype=np.float64)]
    wf = Fraction(float(w))
    if convention == "lp-sparsemap":
        # max <z,mu> + w nu - ||mu||^2 (+ const) = 2 * standard problem at (z/2, w/2)
        zf = [v / 2 for v in zf]
        wf = wf / 2
    n = len(zf)
    C = [tuple(int(v) for v in row) for row in np.asarray(candidates)]
    m = len(C)

    def score(y):
        return sum(zf[i] for i in range(n) if y[i]) + wf * sum(
            y[i - 1] * y[i] for i in range(1, n))

    Mx = [[Fraction(sum(a * b for a, b in zip(C[p], C[q], strict=True))) for q in range(m)]
          + [Fraction(1)] for p in range(m)]
    Mx.append([Fraction(1)] * m + [Fraction(0)])
    rhs = [score(y) for y in C] + [Fraction(1)]
    sol = _solve_fraction(Mx, rhs)
    if sol is None:
        return None
    alpha, tau = sol[:m], sol[m]
    if any(a <= 0 for a in alpha):
        return None
    mu = [sum(alpha[p] * C[p][i] for p in range(m)) for i in range(n)]
    for comb in combinations(range(n), k):
        y = [0] * n
        for i in comb:
            y[i] = 1
        red = score(y) - sum(mu[i] for i in comb)
        if red > tau:
            return None
    return np.array([float(v) for v in mu]), np.array([float(a) for a in alpha])


def solve_sequential(z, k: int, w: float = 0.0, convention: str = "standard"):
    """The slow path of :class:`~hfy_reference.SequentialKSubsets` (``slow.solve(z,
    "sequential_ksubsets", k=..., w=..., convention=...)``).

    The QP over the enumerated structures (:func:`sequential_ksubsets_qp`) gives a
    candidate support, which :func:`certify` checks exactly; the certified marginals are
    exact (``error_estimate = 0``, method ``"enumeration+exact"``).  When the candidate
    set is not the exact optimal support (a near-degenerate input), the QP's marginals
    are returned with ``error_estimate = 1e-6`` (method ``"slsqp"``).  Scores must be
    finite (no ``-inf`` masks); ``C(N, k) <= 100000``.
    """
    from .. import _validation as V
    from . import SlowSolution, _scores

    z = _scores(z)
    if not np.all(np.isfinite(z)):
        raise ValueError("the slow sequential k-subsets path takes finite scores "
                         "(no -inf masks)")
    kk = V.check_k(k, z.size)
    wv = V.check_nonnegative(w, "w")
    V.check_choice(convention, "convention", ("standard", "lp-sparsemap"))
    mu, al, A = sequential_ksubsets_qp(z, kk, wv, convention)
    cand = A[al > 1e-7 * float(al.max())]
    cert = certify(z, kk, wv, cand, convention)
    if cert is not None:
        mu, al = cert
        A = cand
        err, method = 0.0, "enumeration+exact"
    else:
        err, method = 1e-6, "slsqp"
    b = np.sum(A[:, 1:] * A[:, :-1], axis=1)
    half = convention == "lp-sparsemap"
    om = 0.5 * math.fsum(mu * mu) - 0.5 * kk
    om = 2.0 * om if half else om
    value = math.fsum(np.concatenate([z * mu, [wv * math.fsum(al * b), -om]]))
    return SlowSolution(mu, value, om, None, err, 0.0, method)
