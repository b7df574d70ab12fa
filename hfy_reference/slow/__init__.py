r"""The independent slow path: every map solved as a convex program with scipy.optimize.

**For tests and cross-checks only.**  Each function here solves the same convex
program as the fast maps of :mod:`hfy_reference.maps`,

.. math::

    \hat y_\Omega(z) = \operatorname*{argmax}_{p \in \mathcal D}\;
        \langle z, p\rangle - \Omega(p),
    \qquad \mathcal D = \{p : 0 \le p \le u,\ \textstyle\sum_i p_i = T\},

but from ``Omega`` alone: the objective, its gradient and its Hessian are written
here from the definition of ``Omega`` (no threshold, no closed form, no sorting),
and the program is handed to a general-purpose solver.  This module never imports
:mod:`hfy_reference.maps`, :mod:`hfy_reference.regularizers` or
:mod:`hfy_reference._kernels` (a test checks it), so an error in those cannot hide
itself by being repeated here.

Algorithm (smooth ``Omega``: Shannon, Tsallis, norm, quadratic)
    1. ``scipy.optimize.minimize(method="SLSQP")`` on ``-c (<z - max z, p> - Omega(p))``
       with the objective's gradient, bounds ``0 <= p <= min(u, T)`` and the
       equality ``sum p = T``, started at the barycenter of the domain.  The factor
       ``c > 0`` (the argmax is the same for every ``c``) makes the objective's range
       over the domain about 1.  SLSQP alone reaches about 1e-8 in ``p`` (its line
       search stops at the rounding level of the objective *value*); its point gives
       the *active set* (entries at 0 or at their cap) and the start of step 2.
    2. A primal active-set Newton method on the KKT system of that face,
       ``z_F - grad Omega(p)_F = tau 1``, ``sum p = T``, with the Hessian of ``Omega``
       (bordered Newton system, in ``z - z_ref`` with ``z_ref`` the score of a free
       entry, so that large scores do not cancel).  An entry that a step would take
       out of the domain is put at the root of its own 1-D KKT equation
       (``scipy.optimize.brentq`` on ``log p_i``; 0 or the cap when there is none)
       for separable ``Omega``, or fixed at its bound / moved 15/16 of the way to it
       for the norm.  When the step stops shrinking, the sign conditions of the fixed
       entries are checked and the worst violator is released.  This stage only uses
       gradients, so it reaches the rounding level of the KKT residual instead of
       the objective's.
    3. Feasibility, the last Newton step and the sign conditions are checked; if they
       are not at the rounding level a ``RuntimeError`` is raised (an unconverged
       answer is never returned silently).  Each solution carries
       ``error_estimate``: the last step plus ``max_i (|J| dg)_i``, the map's
       Jacobian on the found face times the rounding of the gradients.

Piecewise-linear ``Omega`` (argmax, ``Omega = 0``; normmax with ``alpha = inf``,
``Omega(p) = max_i p_i - 1`` via an epigraph variable ``s >= p_i``) are linear
programs solved with ``scipy.optimize.linprog`` (HiGHS dual simplex, tolerances
1e-10).  Their solution is not unique on a set of measure zero (exact ties for
argmax; some ``z_i`` exactly at the sparsemax threshold for normmax); a second LP
then picks the convention of the fast maps: for argmax, the least ``max_i p_i`` among
the maximizers (uniform on the tied maxima); for normmax, the largest ``max_i p_i``
(the smallest support, ``{i : z_i > tau}``).  The optimal vertex, uniform on a set
``S``, is then rounded to the exact ``1/|S|``.  For normmax the last simplex steps
are then taken in exact rational arithmetic (move to a better neighbouring vertex,
``S`` plus or minus one entry, until there is none), so the result is exact even on
near-ties that HiGHS's 1e-10 tolerance cannot resolve.  For argmax the vertex is
certified by float comparisons (equal scores on ``S``, all others strictly smaller);
a near-tie the LP could not resolve (e.g. scores ``0`` and ``2e-319``) is reported
with ``error_estimate = 1`` (unresolved) rather than as an answer.

Measured accuracy (float64; N = 2 ... 40 with ties, masks and scales 1e-8 ... 1e8,
several thousand inputs against the fast maps and the 50-digit mpmath reference; see
``tests/test_slow.py`` and ``tests/test_fast_vs_slow.py``).  ``R = max z - min z``
over the unmasked entries.

* softmax, sparsemax, entmax with ``1 < alpha <= 2``, normmax with ``alpha <= 2``,
  k-subsets, constrained sparsemax: ``max_i |p_i - p*_i| <= 4e-16`` observed (a
  few ulps); the error estimate stayed below ``1e-13 (1 + R)``, the documented
  accuracy (also tested for ``N`` up to 500);
* entmax and normmax with ``alpha > 2``: the map is not Lipschitz at the edge of its
  support (``dp/dz ~ p^(2-alpha)``), so the error depends on the input; observed
  errors up to ``2e-14`` (``alpha = 10``), always within ``error_estimate``;
  at an entry exactly on a support threshold the estimate (and the error) can reach
  ``((alpha-1) eps (1 + R))^(1/(alpha-1))``;
* in every case the actual error was at most 0.5 ``error_estimate`` (the estimate
  is a bound with a factor 2 to spare);
* normmax ``alpha = inf``: exact; argmax: exact (certified vertex), or flagged
  ``error_estimate = 1`` on a near-tie below the LP tolerance;
* the optimal value :func:`conjugate` and :func:`fy_loss`: a few ulps of
  ``1 + sum_i |z_i - max z| (p_i + y_i)``;
* ``RuntimeError`` (no convergence): not observed, including 800 random inputs with
  ``alpha`` in 7 ... 100 for entmax and normmax (nearly flat inputs, ``|z| ~ 1e-8``,
  are the hardest: supports of many entries with ``p^(alpha-1)`` near underflow).

Conventions: 1-D float64 input only (batches are not supported: loop over the rows
yourself); ``-inf`` entries are masks and get exactly 0; NaN, ``+inf`` and an all
``-inf`` vector raise ``ValueError``; results are float64.  Time (one core): SLSQP is
``O(N^3)`` per iteration -- about 10 ms for ``N = 40``, 3 s for ``N = 500``.

References: [BMN20]_ (Fenchel-Young losses, Danskin), [PNM19]_ (Tsallis/entmax),
[SNMM24]_ (norm entropies), [NMBC18]_ (SparseMAP), [MFA18]_ (constrained sparsemax).
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import brentq, linprog, minimize

from .. import _validation as V

__all__ = [
    "softmax",
    "entmax",
    "sparsemax",
    "normmax",
    "argmax",
    "sparsemap_ksubsets",
    "constrained_sparsemax",
    "omega_shannon",
    "omega_tsallis",
    "omega_norm",
    "omega_ksubsets",
    "omega_constrained",
    "omega",
    "conjugate",
    "fy_loss",
    "solve",
    "SlowSolution",
    "FAMILIES",
]

_EPS = float(np.finfo(np.float64).eps)
_TINY = float(np.finfo(np.float64).tiny)

#: The map names accepted by :func:`solve`, :func:`conjugate`, :func:`fy_loss` and
#: :func:`omega`, with their parameters.
FAMILIES: dict[str, tuple[str, ...]] = {
    "softmax": (),
    "entmax": ("alpha",),
    "sparsemax": (),
    "normmax": ("alpha",),
    "argmax": (),
    "sparsemap_ksubsets": ("k",),
    "constrained_sparsemax": ("upper",),
    "sequential_ksubsets": ("k", "w", "convention"),
}


def families() -> dict[str, tuple[str, ...]]:
    """The families :func:`solve` accepts, with their parameters: the built-in
    :data:`FAMILIES` and the programs declared by registry entries
    (:attr:`hfy_reference.registry.MapEntry.slow_program`) for other families."""
    from .. import registry

    return dict(FAMILIES) | {name: sp.params for name, sp in registry.slow_programs().items()}


def _params_of(which, params: dict) -> tuple[str, ...]:
    """The parameter names of the family ``which`` (validated against ``params``)."""
    fams = families() if isinstance(which, str) and which not in FAMILIES else FAMILIES
    return V.check_family(which, params, fams)


# ---------------------------------------------------------------------------------------
# Omega, its gradient and Hessian, written from the definitions (private objects)
# ---------------------------------------------------------------------------------------
def _log0(p: np.ndarray) -> np.ndarray:
    """``log p`` with ``log 0 = -inf`` and no floating-point warning."""
    with np.errstate(divide="ignore"):
        return np.log(p)


class _Shannon:
    """``Omega(p) = sum_i p_i log p_i`` (0 log 0 = 0); gradient ``log p + 1``; Hessian
    ``diag(1/p)``."""

    dense = False

    def value(self, p):
        lp = _log0(np.where(p > 0, p, 1.0))
        return math.fsum(p * lp)

    def grad(self, p):
        # log 0 = -inf would stall SLSQP; below the smallest normal float the entry
        # is treated as 0 (documented: values < 2.2e-308 are returned as 0)
        return np.log(np.maximum(p, _TINY)) + 1.0

    def grad_kkt(self, p):
        return np.log(np.maximum(p, _TINY))

    def inv_hess(self, p):
        return p.copy()


class _Tsallis:
    """``Omega(p) = sum_i (p_i^alpha - p_i) / (alpha (alpha - 1))``: on the simplex this
    is ``(sum p^alpha - 1)/(alpha (alpha - 1))``; the extra linear term is constant on
    the domain and makes the value accurate as ``alpha -> 1`` (``expm1``)."""

    dense = False

    def __init__(self, alpha: float):
        self.a = alpha

    def _pm1(self, p):
        """``p^(alpha-1) - 1`` accurately, ``-1`` at ``p = 0``."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(p > 0, np.expm1((self.a - 1.0) * _log0(np.where(p > 0, p, 1.0))),
                            -1.0)

    def value(self, p):
        a = self.a
        return math.fsum(p * self._pm1(p)) / (a * (a - 1.0))

    def grad(self, p):
        a = self.a
        return self._pm1(p) / (a - 1.0) + 1.0 / a

    def grad_kkt(self, p):
        # grad Omega up to a constant (the KKT conditions only see differences):
        # (p^(a-1) - 1)/(a-1) for a < 2 (accurate as a -> 1), p^(a-1)/(a-1) for a >= 2
        # (no constant 1/(a-1) to swamp the tiny p^(a-1) of large a)
        a = self.a
        if a < 2.0:
            return self._pm1(p) / (a - 1.0)
        with np.errstate(under="ignore"):
            return p ** (a - 1.0) / (a - 1.0)

    def inv_hess(self, p):
        # (p^(alpha-2))^(-1); 0 at p = 0 for alpha < 2, +inf for alpha > 2
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            if self.a == 2.0:
                return np.ones_like(p)
            return np.where(p > 0, np.exp((2.0 - self.a) * _log0(np.where(p > 0, p, 1.0))),
                            0.0 if self.a < 2.0 else np.inf)


class _Quadratic:
    """``Omega(p) = (||p||^2 - T)/2`` on ``{sum p = T}``: ``(||p||^2 - 1)/2`` for
    sparsemax, ``||mu||^2/2 - k/2`` for k-subsets (0 at every structure)."""

    dense = False

    def __init__(self, total: float = 1.0):
        self.total = total

    def value(self, p):
        return 0.5 * math.fsum(p * p) - 0.5 * self.total

    def grad(self, p):
        return p.copy()

    grad_kkt = grad

    def inv_hess(self, p):
        return np.ones_like(p)


class _Norm:
    """``Omega(p) = ||p||_alpha - 1``; gradient ``(p/||p||)^(alpha-1)``; Hessian
    ``(alpha-1)/||p|| (diag(r^(alpha-2)) - w w^T)`` with ``r = p/||p||``,
    ``w = r^(alpha-1)`` (singular along ``p``, positive definite on ``sum d = 0``)."""

    dense = True

    def __init__(self, alpha: float):
        self.a = alpha

    def _norm(self, p):
        m = float(np.max(p))
        if m <= 0.0:
            return 0.0
        return m * float(np.sum((p / m) ** self.a)) ** (1.0 / self.a)

    def value(self, p):
        return self._norm(p) - 1.0

    def grad(self, p):
        nrm = self._norm(p)
        if nrm == 0.0:
            return np.zeros_like(p)
        with np.errstate(under="ignore"):
            return (p / nrm) ** (self.a - 1.0)

    grad_kkt = grad

    def hess(self, p):
        a = self.a
        nrm = self._norm(p)
        r = p / nrm
        with np.errstate(divide="ignore", over="ignore", under="ignore"):
            d = np.where(r > 0, r ** (a - 2.0), 0.0 if a > 2.0 else np.inf)
            w = r ** (a - 1.0)
        d = np.minimum(d, 1e300)
        return (a - 1.0) / nrm * (np.diag(d) - np.outer(w, w))


# ---------------------------------------------------------------------------------------
# the solvers
# ---------------------------------------------------------------------------------------
class SlowSolution:
    """The result of :func:`solve`.

    Attributes
    ----------
    p : ndarray, shape (N,)
        The solution (``-inf`` scores get exactly 0).
    value : float
        The optimal value ``Omega*(z) = <z, p> - Omega(p)`` (masked entries omitted).
    omega : float
        ``Omega(p)``.
    tau : float or None
        The multiplier of ``sum p = T`` (for smooth ``Omega``: ``z_i - dOmega/dp_i`` on
        the free entries, up to the constant that ``Omega``'s gradient is written
        with), in the coordinates of ``z``; ``None`` for the LPs.
    error_estimate : float
        A bound on ``max_i |p_i - p*_i|`` (``p*`` the exact solution for this float64
        input): the last Newton step plus the first-order effect of rounding the
        gradients, ``max_i (|J| dg)_i`` with ``J`` the Jacobian of the map on the
        found face and ``dg_i = 4 eps (|z_i - z_ref| + |grad_i| + |tau|)``.  Measured
        (see the module notes) to bound the actual error.  0 for a certified LP
        vertex and for a domain that is a single point; 1 for an LP near-tie that
        could not be resolved.
    kkt_residual : float
        The largest KKT violation left: the last Newton step (units of ``p``) or a sign
        condition of a fixed entry (units of ``z``).
    method : str
        ``"slsqp+newton"``, ``"linprog"`` or ``"trivial"``.
    slsqp_iterations, newton_iterations : int
        Work done by each stage.
    """

    __slots__ = ("p", "value", "omega", "tau", "error_estimate", "kkt_residual", "method",
                 "slsqp_iterations", "newton_iterations")

    def __init__(self, p, value, omega, tau, error_estimate, kkt_residual, method,
                 slsqp_iterations=0, newton_iterations=0):
        self.p = p
        self.value = value
        self.omega = omega
        self.tau = tau
        self.error_estimate = error_estimate
        self.kkt_residual = kkt_residual
        self.method = method
        self.slsqp_iterations = slsqp_iterations
        self.newton_iterations = newton_iterations

    def __repr__(self) -> str:
        return (f"SlowSolution(p={self.p!r}, value={self.value!r}, tau={self.tau!r}, "
                f"error_estimate={self.error_estimate!r}, method={self.method!r})")


def _grad_at(reg, p: np.ndarray, i: int, t: float) -> float:
    """``dOmega/dp_i`` at ``p`` with ``p_i`` replaced by ``t``."""
    if not reg.dense:  # separable: the i-th partial derivative depends on p_i only
        return float(reg.grad_kkt(np.array([t]))[0])
    q = p.copy()
    q[i] = t
    return float(reg.grad_kkt(q)[i])


def _coord_root(reg, zs, p, i: int, tau: float, hi: float) -> float:
    """The value of ``p_i`` in ``[0, hi]`` that satisfies its own KKT condition
    ``zs_i - dOmega/dp_i = tau`` (the others fixed): 0 or ``hi`` when the condition
    has no root inside.  ``brentq`` on ``log p_i``, so that tiny values are found to
    full relative precision."""

    def phi(t):
        return zs[i] - _grad_at(reg, p, i, t) - tau

    if not phi(_TINY) > 0:
        return 0.0
    if phi(hi) >= 0:
        return float(hi)
    s = brentq(lambda s: phi(math.exp(s)), math.log(_TINY), math.log(hi),
               xtol=1e-15, rtol=4 * _EPS, maxiter=1000)
    return min(math.exp(s), float(hi))


def _newton_step(reg, p, F, g, r):
    """Solve the bordered Newton system on the free set ``F``:
    ``H_FF d + lam 1 = g_F``, ``1^T d = r``.  Returns ``(d, lam)``."""
    gF = g[F]
    c0 = float(np.median(gF))  # a constant shift, absorbed by lam, against cancellation
    gs = gF - c0
    if reg.dense:
        H = reg.hess(p)[np.ix_(F, F)]
        m = len(F)
        K = np.zeros((m + 1, m + 1))
        K[:m, :m] = H
        K[:m, m] = 1.0
        K[m, :m] = 1.0
        rhs = np.concatenate([gs, [r]])
        try:
            sol = np.linalg.solve(K, rhs)
        except np.linalg.LinAlgError:
            sol = np.linalg.lstsq(K, rhs, rcond=None)[0]
        return sol[:m], float(sol[m]) + c0
    w = np.minimum(reg.inv_hess(p[F]), 1e300)
    sw = float(np.sum(w))
    if not sw > 0:  # every free entry has infinite curvature (p = 0, alpha < 2)
        return np.zeros(len(F)), c0
    lam = math.fsum(w * gs) / sw - r / sw
    d = w * (gs - lam)
    # the entry of largest w (smallest curvature) takes what the constraint leaves:
    # d_b = r - sum_{j != b} d_j, exact where w_b (gs_b - lam) would cancel
    b = int(np.argmax(w))
    d[b] = 0.0
    d[b] = r - math.fsum(d)
    return d, lam + c0


def _sign_violations(reg, zs, p, low, up, u, tau):
    """KKT sign conditions of the fixed entries: ``zs_i - dOmega_i(0) <= tau`` at 0,
    ``zs_i - dOmega_i(u_i) >= tau`` at the cap.  Returns the largest violation
    beyond rounding (units of ``z``) and the entries to release."""
    worst = 0.0
    release = []
    for i in np.flatnonzero(low | up):
        at_low = bool(low[i])
        gi = zs[i] - _grad_at(reg, p, i, _TINY if at_low else u[i])
        v = gi - tau if at_low else tau - gi
        tol = 8 * _EPS * (abs(zs[i]) + abs(tau) + abs(zs[i] - gi))
        if v > tol:
            worst = max(worst, v)
            release.append((v, i))
    return worst, [i for _, i in sorted(release, reverse=True)]


def _multiplier(reg, zs, p, low, up, free, u) -> float:
    """The multiplier ``tau`` of ``sum p = T`` at ``p``: the Newton estimate on the free
    entries (their ``Omega``-weighted mean of ``zs - grad Omega``), or, when every
    entry is at a bound, the middle of the interval the sign conditions allow."""
    F = np.flatnonzero(free)
    if len(F):
        return _newton_step(reg, p, F, zs - reg.grad_kkt(p), 0.0)[1]
    gl = [zs[i] - _grad_at(reg, p, int(i), _TINY) for i in np.flatnonzero(low)]
    gu = [zs[i] - _grad_at(reg, p, int(i), u[i]) for i in np.flatnonzero(up)]
    lo_t = max(gl) if gl else -np.inf
    hi_t = min(gu) if gu else np.inf
    if np.isfinite(lo_t) and np.isfinite(hi_t):
        return 0.5 * (lo_t + hi_t)
    return float(lo_t if np.isfinite(lo_t) else hi_t)


def _polish(reg, zs, u, total, p, max_iter):
    """Primal active-set Newton method from the SLSQP point (see the module notes).

    Returns ``(p, tau, iterations, step, sign_violation)``: ``step`` is the last
    Newton step (an estimate of the distance to the exact solution, units of ``p``).
    """
    # a cap u_i >= T is implied by sum p = T, p >= 0: it is never an active bound
    u = np.where(u >= total, np.inf, u)
    thr = 1e-9 * total
    low = p <= thr
    up = (p >= u - thr) & ~low
    free = ~(low | up)
    p = np.where(low, 0.0, np.where(up, u, p))
    tau = float(np.median(zs - reg.grad_kkt(p)))
    best, since_best, dmax = np.inf, 0, np.inf
    released = np.zeros(len(p), dtype=np.int64)  # how often each entry was released
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 - the count is reported
        F = np.flatnonzero(free)
        r = total - math.fsum(p)
        if len(F) == 0:
            if abs(r) > 4 * _EPS * total:  # free one entry to take up the slack
                cand = np.flatnonzero(low if r > 0 else up)
                gb = np.array([zs[i] - _grad_at(reg, p, i, _TINY if r > 0 else u[i])
                               for i in cand])
                i = int(cand[np.argmax(gb) if r > 0 else np.argmin(gb)])
                p[i] = min(u[i], r) if r > 0 else max(0.0, u[i] + r)
                low[i] = up[i] = False
                free[i] = True
                continue
            dmax = 0.0
        else:
            g = zs - reg.grad_kkt(p)
            d, tau = _newton_step(reg, p, F, g, r)
            dmax = float(np.max(np.abs(d))) if len(d) else 0.0
            new = p[F] + d
            for j in np.flatnonzero((new <= 0.0) | (new >= np.minimum(u[F], total))):
                # a step out of the domain
                i = F[j]
                hi = min(u[i], total)
                if not reg.dense:  # separable: solve this entry's own KKT equation
                    t = _coord_root(reg, zs, p, i, tau, hi)
                    if t == 0.0 and released[i] >= 2:
                        # released twice and thrown out again by the (stale) tau of a
                        # long step: approach the bound instead of cycling
                        t = p[i] / 16.0
                elif new[j] <= 0.0:  # fix it at 0 if its multiplier says so, else shrink
                    out = zs[i] - _grad_at(reg, p, i, _TINY) <= tau
                    t = 0.0 if out else p[i] / 16.0
                else:
                    at_cap = u[i] < total and zs[i] - _grad_at(reg, p, i, u[i]) >= tau
                    t = u[i] if at_cap else hi - (hi - p[i]) / 16.0
                new[j] = t
                if t == 0.0:
                    low[i], free[i] = True, False
                elif t == u[i]:
                    up[i], free[i] = True, False
            p = p.copy()
            p[F] = new
            if dmax < best:
                best, since_best = dmax, 0
            else:
                since_best += 1
            converged = dmax <= 8 * _EPS * max(float(np.max(p)), _TINY) and (
                abs(total - math.fsum(p)) <= 8 * _EPS * total)
            stalled = since_best >= 6 and best <= 1e-6 * max(float(np.max(p)), _TINY)
            if not (converged or stalled):
                continue
        # this face is solved: the multiplier at the current point, then the fixed
        # entries' sign conditions; release the worst violator
        tau = _multiplier(reg, zs, p, low, up, free, u)
        _, release = _sign_violations(reg, zs, p, low, up, u, tau)
        moved = False
        for i in release:  # the worst violator that can move (classic active set)
            t = _coord_root(reg, zs, p, i, tau, min(u[i], total))
            if t != p[i]:
                p[i] = t
                low[i] = up[i] = False
                free[i] = True
                released[i] += 1
                moved = True
                break
        if not moved:
            break
        best, since_best = np.inf, 0
    F = np.flatnonzero(free)
    if len(F):
        d, _ = _newton_step(reg, p, F, zs - reg.grad_kkt(p), total - math.fsum(p))
        dmax = float(np.max(np.abs(d)))
    else:
        dmax = 0.0
    tau = _multiplier(reg, zs, p, low, up, free, u)
    viol, _ = _sign_violations(reg, zs, p, low, up, u, tau)
    step = max(dmax, abs(total - math.fsum(p)))
    fe = _forward_error(reg, zs, p, F, tau) + 2 * _EPS * float(np.max(p))
    return p, tau, it, step, viol, fe


def _forward_error(reg, zs, p, F, tau) -> float:
    """First-order bound on ``max_i |p_i - p*_i|`` caused by rounding the gradients.

    The free entries solve ``zs_F - grad Omega(p)_F = tau 1``; each gradient entry is
    evaluated with a relative error of a few ulps, ``dg_i = 4 eps (|zs_i| +
    |grad_i| + |tau|)``, which moves ``p_F`` by ``J dg`` with ``J`` the Jacobian of
    the map on this face (the ``H``-block of the inverse bordered KKT matrix).  The
    bound is ``max_i (|J| dg)_i``.  It is large exactly where the map is ill
    conditioned (entmax/normmax with ``alpha > 2`` and entries near the threshold,
    where ``dp/dz ~ p^(2-alpha)``)."""
    if len(F) == 0:
        return 0.0
    gk = reg.grad_kkt(p)[F]
    dg = 4 * _EPS * (np.abs(zs[F]) + np.abs(gk) + abs(tau))
    if reg.dense:
        m = len(F)
        K = np.zeros((m + 1, m + 1))
        K[:m, :m] = reg.hess(p)[np.ix_(F, F)]
        K[:m, m] = 1.0
        K[m, :m] = 1.0
        try:
            J = np.linalg.inv(K)[:m, :m]
        except np.linalg.LinAlgError:
            return np.inf
        return float(np.max(np.abs(J) @ dg))
    # J = diag(w) - w w^T / sum w (w = diagonal of H^-1); |J_ii| = w_i s_i / sum w with
    # s_i = sum_{j != i} w_j, computed without cancellation when one w dominates
    w = np.minimum(reg.inv_hess(p[F]), 1e300)
    sw = float(np.sum(w))
    if not sw > 0:
        return 0.0
    big = int(np.argmax(w))
    rest = math.fsum(np.delete(w, big))
    s_other = rest - w + w[big]
    s_other[big] = rest
    wdg = w * dg
    off = float(np.sum(wdg)) - wdg  # sum_{j != i} w_j dg_j
    return float(np.max(w / sw * (s_other * dg + off)))


def _solve_smooth(reg, zf, u, total):
    """argmax of ``<z, p> - Omega(p)`` on ``{0 <= p <= u, sum p = total}`` (``zf``
    finite with a finite range, ``sum min(u, total) >= total``).

    Returns ``(p, info)`` with ``info = (tau, step, sign_violation, z_ref,
    slsqp_iterations, newton_iterations, error_estimate)``, or ``info = None`` when the domain is a
    single point.  The Newton stage works with ``z - z_ref``, ``z_ref`` the score of
    the largest entry of the SLSQP point: the scores of the free entries lie within
    the range of ``grad Omega`` of ``z_ref``, so these differences are exact (Sterbenz)
    even when ``|z|`` is large, and ``tau`` is returned as ``z_ref + tau_rel``.
    """
    ucap = np.minimum(u, total)
    pos = ucap > 0
    if not pos.all():  # entries capped at 0 are fixed at 0: solve without them
        p = np.zeros(len(zf))
        pp, info = _solve_smooth(reg, zf[pos], u[pos], total)
        p[pos] = pp
        return p, info
    n = len(zf)
    usum = math.fsum(ucap)
    if n == 1 or usum <= total:  # the domain is a single point
        return ucap * (total / usum), None
    zs = zf - float(np.max(zf))
    p0 = ucap * (total / usum)
    R = -float(np.min(zs))
    with np.errstate(all="ignore"):
        c = 1.0 / max(R * total + abs(reg.value(p0)), 1e-300)

    def f(p):
        return -c * (float(zs @ p) - reg.value(p))

    def jac(p):
        return -c * (zs - reg.grad(p))

    with np.errstate(all="ignore"):
        res = minimize(
            f, p0, jac=jac, method="SLSQP",
            bounds=list(zip(np.zeros(n), ucap, strict=True)),
            constraints=[{"type": "eq", "fun": lambda p: np.array([np.sum(p) - total]),
                          "jac": lambda p: np.ones((1, n))}],
            options={"ftol": 1e-12, "maxiter": 200 + 2 * n},
        )
        x = np.clip(np.asarray(res.x, dtype=np.float64), 0.0, ucap)
        if not (np.all(np.isfinite(x)) and abs(math.fsum(x) - total) <= 1e-6 * total):
            x = p0  # SLSQP failed: Newton starts from the barycenter
        # the reference: the largest entry strictly between its bounds (a free entry,
        # so that the other free entries' scores are within the range of grad Omega)
        inside = (x > 1e-9 * total) & (x < ucap - 1e-9 * total)
        ref = int(np.argmax(np.where(inside, x, -1.0))) if inside.any() else int(np.argmax(x))
        z_ref = float(zf[ref])
        zr = zf - z_ref
        p, tau, nit, step, viol, err = _polish(reg, zr, ucap, total, x, 200 + 4 * n)
        if step > 1e-12 * total + 4 * err and x is not p0:
            # the active-set Newton method can cycle from a poor SLSQP point (seen for
            # softmax with one BLAS thread): start it again from the barycenter, and
            # keep whichever run ended with the smaller step
            z_ref0 = float(zf[int(np.argmax(p0))])
            retry = _polish(reg, zf - z_ref0, ucap, total, p0, 200 + 4 * n)
            if retry[3] < step:
                z_ref = z_ref0
                p, tau, nit2, step, viol, err = retry
                nit += nit2
    return p, (tau + z_ref, step, viol, z_ref, int(res.nit), nit, err)


def _lp_solve(c, A_ub, b_ub, A_eq, b_eq, bounds):
    res = linprog(c, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=b_eq, bounds=bounds,
                  method="highs-ds",
                  options={"primal_feasibility_tolerance": 1e-10,
                           "dual_feasibility_tolerance": 1e-10})
    if res.status != 0:
        return None
    return res


def _snap_vertex(x: np.ndarray) -> tuple[np.ndarray, float]:
    """Round an LP solution to the vertex it approximates.

    Both LPs here (argmax with its tie-breaking LP, and ``Omega = max p - 1`` with its
    epigraph variable ``s >= p_i``) have optimal vertices with every positive entry
    equal (``p_i in {0, s}``, ``s = 1/|S|``): at a vertex of
    ``{p >= 0, p_i <= s, sum p = 1}`` each entry has an active bound.  HiGHS returns
    such a vertex up to its tolerances (1e-10); it is replaced by the exact
    ``1/|S|`` on ``S = {i : x_i > max x / 2}`` when that is within 1e-7 of ``x``
    (otherwise ``x`` is returned unchanged).  Returns ``(p, error_estimate)``."""
    x = np.clip(x, 0.0, 1.0) + 0.0  # + 0.0: no -0.0
    S = x > 0.5 * float(np.max(x))
    v = np.where(S, 1.0 / int(S.sum()), 0.0)
    if float(np.max(np.abs(v - x))) <= 1e-7:
        return v, 0.0
    return x, 1e-7


def _solve_argmax(zs):
    """LP ``max <zs, p>`` on the simplex; ties: least ``max p`` (a second LP)."""
    n = len(zs)
    if n == 1:
        return np.ones(1), 0.0
    R = -float(np.min(zs))
    zn = zs / R if R > 0 else np.zeros(n)
    st1 = _lp_solve(-zn, None, None, np.ones((1, n)), [1.0], [(0, None)] * n)
    if st1 is None:  # pragma: no cover - HiGHS failure
        raise RuntimeError("slow argmax: linprog failed on the first LP")
    V1 = -st1.fun
    # variables (p, s): minimize s  s.t. p_i - s <= 0, -<zn, p> <= -V1, sum p = 1
    A_ub = np.zeros((n + 1, n + 1))
    A_ub[:n, :n] = np.eye(n)
    A_ub[:n, n] = -1.0
    A_ub[n, :n] = -zn
    b_ub = np.zeros(n + 1)
    b_ub[n] = -V1
    A_eq = np.zeros((1, n + 1))
    A_eq[0, :n] = 1.0
    cc = np.zeros(n + 1)
    cc[n] = 1.0
    st2 = _lp_solve(cc, A_ub, b_ub, A_eq, [1.0], [(0, None)] * (n + 1))
    x = st2.x[:n] if st2 is not None else st1.x
    p, err = _snap_vertex(x)
    # certificate (exact float comparisons): the support holds equal scores and every
    # other score is strictly smaller; otherwise the LP stopped within its tolerance
    # on a near-tie that it cannot resolve, and the estimate says so
    S = p > 0
    top = zs[S]
    if not (err == 0.0 and np.all(top == top[0]) and np.all(zs[~S] < top[0])):
        err = 1.0
    return p, err


def _solve_normmax_inf(zs):
    """LP ``max <zs, p> - s`` s.t. ``p_i <= s`` on the simplex (``Omega = max p - 1``);
    several maximizers: the largest ``s`` (a second LP)."""
    n = len(zs)
    if n == 1:
        return np.ones(1), 0.0
    R = -float(np.min(zs))
    c = 1.0 / (1.0 + R)
    A_ub = np.zeros((n, n + 1))
    A_ub[:, :n] = np.eye(n)
    A_ub[:, n] = -1.0
    b_ub = np.zeros(n)
    A_eq = np.zeros((1, n + 1))
    A_eq[0, :n] = 1.0
    obj = np.concatenate([-c * zs, [c]])  # minimize -c(<zs,p> - s)
    bounds = [(0, None)] * (n + 1)
    st1 = _lp_solve(obj, A_ub, b_ub, A_eq, [1.0], bounds)
    if st1 is None:  # pragma: no cover - HiGHS failure
        raise RuntimeError("slow normmax(alpha=inf): linprog failed on the first LP")
    V1 = st1.fun
    A2 = np.vstack([A_ub, obj[None, :]])
    b2 = np.concatenate([b_ub, [V1]])
    cc = np.zeros(n + 1)
    cc[n] = -1.0  # maximize s
    st2 = _lp_solve(cc, A2, b2, A_eq, [1.0], bounds)
    x = st2.x[:n] if st2 is not None else st1.x[:n]
    p, err = _snap_vertex(x)
    if err == 0.0:
        S = _pivot_to_optimum(zs, p > 0)
        p = np.where(S, 1.0 / int(S.sum()), 0.0)
    return p, err


def _pivot_to_optimum(zs, S) -> np.ndarray:
    """Finish the normmax-inf LP from the vertex ``uniform on S`` in exact rational
    arithmetic on the float64 scores, with the fast maps' convention (the largest
    ``s``, i.e. the smallest optimal ``S``).

    The neighbours of that vertex on the polytope ``{p >= 0, p_i <= s, sum p = 1}``
    (never degenerate: exactly N + 1 active constraints) are the uniform
    distributions on ``S + {j}`` and ``S - {i}``, and the objective at ``uniform on
    T`` is ``F(T) = (sum_T z - 1)/|T|``; the best neighbours add the largest score
    outside ``S`` or drop the smallest inside.  Simplex steps: move to a better
    neighbour, or to a smaller equally good one, until there is none (each step
    raises ``F`` or shrinks ``S``).  HiGHS normally stops at the optimum already; this
    settles the near-ties its 1e-10 tolerance cannot."""
    S = S.copy()
    zf = [Fraction(float(x)) for x in zs]
    for _ in range(2 * len(zs) + 2):
        idx = np.flatnonzero(S)
        k = len(idx)
        sum_s = sum((zf[i] for i in idx), Fraction(0))
        val = (sum_s - 1) / k
        if k < len(zs):
            j = int(np.flatnonzero(~S)[np.argmax(zs[~S])])
            if (sum_s + zf[j] - 1) / (k + 1) > val:
                S[j] = True
                continue
        if k > 1:
            i = int(idx[np.argmin(zs[idx])])
            if (sum_s - zf[i] - 1) / (k - 1) >= val:
                S[i] = False
                continue
        break
    return S


# ---------------------------------------------------------------------------------------
# validation and dispatch
# ---------------------------------------------------------------------------------------
def _scores(z, name="z") -> np.ndarray:
    a, _ = V.as_float_array(z, name)
    if a.ndim != 1:
        raise ValueError(
            f"hfy_reference.slow takes one score vector (1-D); got {name} with shape "
            f"{a.shape}. Batches are not supported: loop over the rows."
        )
    V.as_rows(a, -1, name)  # NaN, +inf, all -inf: ValueError with the location
    return np.array(a, dtype=np.float64)


def _family(which: str, params: dict, n: int, finite: np.ndarray):
    """``(kind, reg, upper, total)`` for a family name and its parameters."""
    _params_of(which, params)
    inf = np.full(n, np.inf)
    if which not in FAMILIES:  # a program declared by a registry entry
        from .. import registry

        sp = registry.slow_programs()[which]
        upper = inf if sp.upper is None else np.array(
            np.broadcast_to(sp.upper(params, n), (n,)), dtype=np.float64)
        return "smooth", sp.factory(params, n), upper, float(sp.total(params))
    if which == "sequential_ksubsets":
        return "structured", None, inf, float(params.get("k", 0))
    if which == "softmax":
        return "smooth", _Shannon(), inf, 1.0
    if which == "sparsemax":
        return "smooth", _Quadratic(1.0), inf, 1.0
    if which == "argmax":
        return "argmax", None, inf, 1.0
    if which in ("entmax", "normmax") and "alpha" not in params:
        raise TypeError(f"{which} needs the parameter alpha (alpha >= 1; no default)")
    if which == "entmax":
        a = V.check_alpha(params["alpha"],
                          hint="alpha = 1 is softmax, alpha = inf is argmax")
        if a == 1.0:
            return "smooth", _Shannon(), inf, 1.0
        if math.isinf(a):
            return "argmax", None, inf, 1.0
        if a == 2.0:
            return "smooth", _Quadratic(1.0), inf, 1.0
        return "smooth", _Tsallis(a), inf, 1.0
    if which == "normmax":
        a = V.check_alpha(params["alpha"], hint="alpha = 1 is argmax")
        if a == 1.0:
            return "argmax", None, inf, 1.0
        if math.isinf(a):
            return "normmax_inf", None, inf, 1.0
        return "smooth", _Norm(a), inf, 1.0
    if which == "sparsemap_ksubsets":
        if "k" not in params:
            raise TypeError("sparsemap_ksubsets needs the parameter k")
        k = V.check_k(params["k"], int(finite.sum()))
        return "smooth", _Quadratic(float(k)), np.ones(n), float(k)
    # constrained_sparsemax
    if "upper" not in params:
        raise TypeError("constrained_sparsemax needs the parameter upper")
    u = np.array(V.as_upper(params["upper"], (n,)), dtype=np.float64)
    tot = math.fsum(np.minimum(u[finite], 1.0))
    if tot < 1.0:
        raise ValueError(
            "constrained_sparsemax is infeasible: the upper bounds of the unmasked "
            f"entries must sum to >= 1; they sum to {math.fsum(u[finite])!r}"
        )
    return "smooth", _Quadratic(1.0), u, 1.0


def solve(z: ArrayLike, which: str, **params) -> SlowSolution:
    r"""Solve :math:`\max_{p\in\mathcal D} \langle z,p\rangle - \Omega(p)` numerically.

    Parameters
    ----------
    z : array_like of float, shape (N,)
        Scores; ``-inf`` entries are masks (they get exactly 0).
    which : str
        One of :data:`FAMILIES`: ``"softmax"``, ``"entmax"`` (``alpha``),
        ``"sparsemax"``, ``"normmax"`` (``alpha``), ``"argmax"``,
        ``"sparsemap_ksubsets"`` (``k``), ``"constrained_sparsemax"`` (``upper``).  A
        family's parameters have no defaults: a reference solver does not guess.
    **params
        The family's parameters.

    Returns
    -------
    SlowSolution
        ``p``, the optimal ``value`` (``Omega*(z)``), the multiplier ``tau``, the final
        KKT residual and the work done.  See the module notes for the algorithm and
        the measured accuracy.

    Raises
    ------
    ValueError, TypeError
        Bad scores (not 1-D, NaN, ``+inf``, all ``-inf``, complex, ...), unknown
        family, parameters out of their domain, an infeasible ``upper``.
    RuntimeError
        The solver did not reach a KKT point at the rounding level (never observed in
        the tests; it is raised rather than returning an unconverged answer).
    """
    z = _scores(z)
    finite = np.isfinite(z)
    kind, reg, upper, total = _family(which, params, len(z), finite)
    if kind == "structured":
        from .structured import solve_sequential

        return solve_sequential(z, **params)
    zf = z[finite]
    zmax = float(np.max(zf))
    with np.errstate(over="ignore", invalid="ignore"):
        zs = zf - zmax
    if not np.all(np.isfinite(zs)):
        raise ValueError(
            "the range of the unmasked scores overflows float64 (max z - min z > 1.8e308); "
            "the slow path needs max z - min z to be finite"
        )
    p = np.zeros(len(z))
    tau = None
    info = None
    kres = err = 0.0
    nit = nnewt = 0
    if kind in ("argmax", "normmax_inf"):
        pf, err = _solve_argmax(zs) if kind == "argmax" else _solve_normmax_inf(zs)
        method = "linprog"
        omega_val = 0.0 if kind == "argmax" else float(np.max(pf)) - 1.0
    else:
        pf, info = _solve_smooth(reg, zf, upper[finite], total)
        with np.errstate(all="ignore"):
            omega_val = reg.value(pf)
        if info is None:
            method = "trivial"
        else:
            method = "slsqp+newton"
            tau, step, viol, z_ref, nit, nnewt, fe = info
            kres = max(step, viol)
            err = fe + step
            zscale = 1.0 + abs(tau - z_ref) + float(-np.min(zs))
            feasible = bool(np.all(pf >= 0) and np.all(pf <= upper[finite])
                            and abs(math.fsum(pf) - total) <= 1e-12 * total)
            if not (feasible and step <= 1e-12 * total + 4 * fe and viol <= 1e-9 * zscale):
                raise RuntimeError(
                    f"slow {which}: the solver did not converge (last Newton step "
                    f"{step:.3e}, KKT sign violation {viol:.3e}); input z = "
                    f"{z.tolist()!r}, parameters {params!r}"
                )
    p[finite] = pf
    if info is not None:  # <z, p> = z_ref sum p + <z - z_ref, p>, exact on the support
        value = math.fsum((zf - z_ref) * pf) - omega_val + z_ref * math.fsum(pf)
    else:
        value = math.fsum(zs * pf) - omega_val + zmax * math.fsum(pf)
    return SlowSolution(p, value, omega_val, tau, err, kres, method, nit, nnewt)


# ---------------------------------------------------------------------------------------
# the maps
# ---------------------------------------------------------------------------------------
def softmax(z: ArrayLike) -> np.ndarray:
    r"""Softmax by SLSQP + Newton on :math:`\max_{p\in\triangle}\langle z,p\rangle -
    \sum_i p_i\log p_i` (slow; for tests).

    Entries whose exact value is below the smallest normal float (2.2e-308) are
    returned as 0.  Accuracy: within ``1e-13 (1 + R)`` of the exact softmax
    (``R = max z - min z``; measured: a few ulps).

    Examples
    --------
    >>> from hfy_reference import slow
    >>> slow.softmax([0.0, 0.0]).tolist()
    [0.5, 0.5]
    """
    return solve(z, "softmax").p


def entmax(z: ArrayLike, alpha: float = 1.5) -> np.ndarray:
    r"""α-entmax by SLSQP + Newton on :math:`\max_{p\in\triangle}\langle z,p\rangle -
    \frac{\sum_i p_i^\alpha - 1}{\alpha(\alpha-1)}` (slow; for tests).

    ``alpha = 1`` solves the Shannon program (softmax), ``alpha = inf`` the argmax LP.
    Accuracy: ``1e-13 (1 + R)`` for ``alpha <= 2`` (measured: a few ulps); for
    ``alpha > 2`` it depends on the conditioning, see :attr:`SlowSolution.error_estimate`
    (:func:`solve` returns it).

    Examples
    --------
    >>> from hfy_reference import slow
    >>> slow.entmax([1.0, -1.0], alpha=1.5).round(12).tolist()  # gap 2 = margin 1/(a-1)
    [1.0, 0.0]
    """
    return solve(z, "entmax", alpha=alpha).p


def sparsemax(z: ArrayLike) -> np.ndarray:
    r"""Sparsemax by SLSQP + Newton on :math:`\max_{p\in\triangle}\langle z,p\rangle -
    \tfrac12(\|p\|^2 - 1)` (slow; for tests).  Measured: ``1e-13 (1 + R)``.

    Examples
    --------
    >>> from hfy_reference import slow
    >>> slow.sparsemax([1.0, 0.5, -1.0]).round(12).tolist()
    [0.75, 0.25, 0.0]
    """
    return solve(z, "sparsemax").p


def normmax(z: ArrayLike, alpha: float = 2.0) -> np.ndarray:
    r"""α-normmax by SLSQP + Newton on :math:`\max_{p\in\triangle}\langle z,p\rangle -
    (\|p\|_\alpha - 1)` (slow; for tests).

    ``alpha = inf`` is the LP :math:`\max \langle z,p\rangle - s`, :math:`p_i \le s`
    (``linprog``, exact vertex); ``alpha = 1`` is the argmax LP.  Accuracy as
    :func:`entmax` (the Hessian of the norm is dense: ``O(N^3)`` per Newton step).

    Examples
    --------
    >>> from hfy_reference import slow
    >>> slow.normmax([1.0, 0.5, -1.0], alpha=np.inf).round(12).tolist()
    [0.5, 0.5, 0.0]
    """
    return solve(z, "normmax", alpha=alpha).p


def argmax(z: ArrayLike) -> np.ndarray:
    r"""The LP :math:`\max_{p\in\triangle}\langle z,p\rangle` (``linprog``); ties: the
    maximizer with the least ``max p`` (uniform on the tied maxima).

    Examples
    --------
    >>> from hfy_reference import slow
    >>> slow.argmax([1.0, 3.0, 3.0]).round(12).tolist()
    [0.0, 0.5, 0.5]
    """
    return solve(z, "argmax").p


def sparsemap_ksubsets(z: ArrayLike, k: int) -> np.ndarray:
    r"""SparseMAP k-subsets marginals by SLSQP + Newton on
    :math:`\max_{\mu\in[0,1]^N, \sum\mu = k}\langle z,\mu\rangle - \tfrac12\|\mu\|^2`
    (slow; for tests).  ``1 <= k <=`` the number of unmasked entries.  Measured:
    ``1e-13 (1 + R)``.

    Examples
    --------
    >>> from hfy_reference import slow
    >>> slow.sparsemap_ksubsets([3.0, 1.0, 0.5, -2.0], k=2).round(12).tolist()
    [1.0, 0.75, 0.25, 0.0]
    """
    return solve(z, "sparsemap_ksubsets", k=k).p


def constrained_sparsemax(z: ArrayLike, upper: ArrayLike) -> np.ndarray:
    r"""Constrained sparsemax by SLSQP + Newton on
    :math:`\max_{p\in\triangle, p\le u}\langle z,p\rangle - \tfrac12\|p\|^2`
    (slow; for tests).  ``upper`` broadcasts to ``z``, entries in ``[0, inf]``, the
    unmasked ones summing to at least 1.  Measured: ``1e-13 (1 + R)``.

    Examples
    --------
    >>> from hfy_reference import slow
    >>> slow.constrained_sparsemax([2.0, 1.0, 0.0], upper=[0.5, 1.0, 1.0]).round(12).tolist()
    [0.5, 0.5, 0.0]
    """
    return solve(z, "constrained_sparsemax", upper=upper).p


# ---------------------------------------------------------------------------------------
# Omega, conjugate, Fenchel-Young loss
# ---------------------------------------------------------------------------------------
def _domain_point(p, name: str, total: float, upper=None) -> np.ndarray:
    a, _ = V.as_float_array(p, name)
    if a.ndim != 1:
        raise ValueError(f"{name} must be 1-D; got shape {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} must be finite (a point of the domain)")
    n = a.shape[0]
    tol = 64 * _EPS * max(1.0, total) * math.sqrt(n)
    if a.min() < -tol:
        raise ValueError(f"{name} must be >= 0; got min({name}) = {a.min()!r}")
    if upper is not None and np.any(a > upper + tol):
        i = int(np.argmax(a - upper))
        raise ValueError(
            f"{name} must be <= upper (the cap); {name}[{i}] = {a[i]!r} > {upper[i]!r}"
        )
    s = math.fsum(a)
    if abs(s - total) > tol:
        raise ValueError(f"{name} must sum to {total:g} (tolerance {tol:.1e}); got {s!r}")
    a = np.clip(a, 0.0, None)
    if upper is not None:
        a = np.minimum(a, upper)
    return a


def omega_shannon(p: ArrayLike) -> float:
    r""":math:`\Omega(p) = \sum_i p_i \log p_i` (``0 log 0 = 0``) for ``p`` on the
    simplex (negative Shannon entropy; ``Omega(e_i) = 0``)."""
    return _Shannon().value(_domain_point(p, "p", 1.0))


def omega_tsallis(p: ArrayLike, alpha: float) -> float:
    r""":math:`\Omega_\alpha(p) = \frac{\sum_i p_i^\alpha - 1}{\alpha(\alpha-1)}` for
    ``p`` on the simplex (``alpha > 1``; ``alpha = 1``: Shannon; ``alpha = inf``: 0).
    Evaluated as ``sum_i p_i expm1((alpha-1) log p_i) / (alpha (alpha-1))``."""
    a = V.check_alpha(alpha, hint="alpha = 1 is the Shannon entropy")
    q = _domain_point(p, "p", 1.0)
    if a == 1.0:
        return _Shannon().value(q)
    if math.isinf(a):
        return 0.0
    return _Tsallis(a).value(q)


def omega_norm(p: ArrayLike, alpha: float) -> float:
    r""":math:`\Omega(p) = \|p\|_\alpha - 1` for ``p`` on the simplex (``alpha >= 1``,
    ``alpha = inf``: ``max_i p_i - 1``; ``alpha = 1``: 0 on the simplex)."""
    a = V.check_alpha(alpha, hint="alpha = 1 gives 0 on the simplex")
    q = _domain_point(p, "p", 1.0)
    if math.isinf(a):
        return float(np.max(q)) - 1.0
    if a == 1.0:
        return math.fsum(q) - 1.0
    return _Norm(a).value(q)


def omega_ksubsets(mu: ArrayLike, k: int) -> float:
    r""":math:`\Omega(\mu) = \tfrac12\|\mu\|^2 - k/2` on the capped simplex
    ``{mu in [0,1]^N, sum mu = k}`` (0 at every k-subset indicator)."""
    a, _ = V.as_float_array(mu, "mu")
    kk = V.check_k(k, a.shape[-1] if a.ndim else 0)
    q = _domain_point(mu, "mu", float(kk), upper=np.ones(a.shape[-1]))
    return _Quadratic(float(kk)).value(q)


def omega_constrained(p: ArrayLike, upper: ArrayLike) -> float:
    r""":math:`\Omega(p) = \tfrac12(\|p\|^2 - 1)` on ``{p in simplex, p <= upper}``
    (constrained sparsemax; ``+inf`` outside, which raises here)."""
    a, _ = V.as_float_array(p, "p")
    u, _ = V.as_float_array(upper, "upper", allow_0d=True)
    u = np.broadcast_to(u, a.shape).astype(np.float64)
    q = _domain_point(a, "p", 1.0, upper=u)
    return _Quadratic(1.0).value(q)


def omega(p: ArrayLike, which: str, **params) -> float:
    """``Omega(p)`` of a family of :func:`families` (``argmax``: 0)."""
    names = _params_of(which, params)
    if which == "sequential_ksubsets":
        raise ValueError("omega of sequential_ksubsets is not provided: its domain is the "
                         "marginal polytope of the chains (see slow.structured)")
    if which not in FAMILIES:
        from .. import registry

        sp = registry.slow_programs()[which]
        arr, _ = V.as_float_array(p, "p")
        up = None if sp.upper is None else np.broadcast_to(sp.upper(params, arr.size),
                                                             arr.shape)
        q = _domain_point(arr, "p", float(sp.total(params)), upper=up)
        return float(sp.factory(params, arr.size).value(q))
    for name in ("k", "upper"):
        if name in names and name not in params:
            raise TypeError(f"{which} needs the parameter {name}")
    if which == "softmax":
        return omega_shannon(p)
    if which == "sparsemax":
        return omega_tsallis(p, 2.0)
    if which == "entmax":
        return omega_tsallis(p, params.get("alpha", 1.5))
    if which == "normmax":
        a = V.check_alpha(params.get("alpha", 2.0))
        return omega_norm(p, a)
    if which == "argmax":
        _domain_point(p, "p", 1.0)
        return 0.0
    if which == "sparsemap_ksubsets":
        return omega_ksubsets(p, params["k"])
    return omega_constrained(p, params["upper"])


def conjugate(z: ArrayLike, which: str, **params) -> float:
    r"""The conjugate :math:`\Omega^*(z) = \max_p \langle z,p\rangle - \Omega(p)`, the
    optimal value of the program solved by :func:`solve` (Danskin:
    ``<z, p_hat> - Omega(p_hat)``).  Measured: ``1e-13 (1 + |max z| + R)``.

    Examples
    --------
    >>> from hfy_reference import slow
    >>> round(slow.conjugate([0.0, 0.0], "softmax"), 12)  # log 2
    0.69314718056
    """
    return solve(z, which, **params).value


def fy_loss(z: ArrayLike, y: ArrayLike, which: str, **params) -> float:
    r"""The Fenchel-Young loss :math:`L(z; y) = \Omega^*(z) + \Omega(y) - \langle z,y\rangle`
    from the slow solution.

    Computed as ``[<z - max z, p_hat> - Omega(p_hat)] + Omega(y) - <z - max z, y>``
    (``sum p_hat = sum y``), so that large scores do not cancel; ``+inf`` when ``y``
    puts mass on a masked score.  Measured: ``1e-13 (1 + R)``.

    Parameters
    ----------
    z : array_like of float, shape (N,)
    y : array_like of float, shape (N,)
        A point of the domain (simplex; capped simplex for k-subsets and constrained
        sparsemax).
    which, **params
        As in :func:`solve`.

    Examples
    --------
    >>> from hfy_reference import slow
    >>> slow.fy_loss([3.0, 1.0], [1.0, 0.0], "sparsemax")  # gap 2 >= margin 1
    0.0
    """
    zz = _scores(z)
    sol = solve(zz, which, **params)
    finite = np.isfinite(zz)
    yy, _ = V.as_float_array(y, "y")
    if yy.shape != zz.shape:
        raise ValueError(f"y must have the same shape as z {zz.shape}; got {yy.shape}")
    oy = omega(yy, which, **params)  # validates the domain
    yy = np.clip(yy, 0.0, None)
    if np.any(yy[~finite] > 0):
        return math.inf
    zmax = float(np.max(zz[finite]))
    zs = zz[finite] - zmax
    p = sol.p[finite]
    val = math.fsum(np.concatenate([zs * p, -zs * yy[finite]])) - sol.omega + oy
    return max(val, 0.0)
