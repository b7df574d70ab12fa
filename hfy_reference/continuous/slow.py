r"""The 1-D Ω-regularized prediction map for any score on an interval: the slow path.

For a score :math:`f` on :math:`[l, u]` and α ≥ 1 it computes

.. math:: \hat p[f] = \operatorname{argmax}_p E_p[f] - \Omega_\alpha(p), \qquad
          \hat p(t) = [(\alpha-1) f(t) - \tau]_+^{1/(\alpha-1)}
          \;(\exp(f(t) - \tau) \text{ at } \alpha = 1),

with τ found by root finding (``scipy.optimize.brentq``) on the mass
:math:`\int \hat p = 1` and every integral by adaptive quadrature
(``scipy.integrate.quad``) on the pieces of the support, whose endpoints are the roots
of :math:`(\alpha-1)f(t) = \tau` (located on a grid, refined by ``brentq``).  It shares
no code with the closed forms of :class:`~hfy_reference.continuous.EntmaxGaussian`,
which it cross-checks.  Assumes f continuous with finitely many crossings of any level,
each separated by more than the grid step.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import integrate, optimize

from .._validation import check_alpha_finite

__all__ = ["RPM1D", "rpm_1d", "omega_1d", "fy_loss_1d"]

_QUAD = {"epsabs": 0.0, "epsrel": 1e-13, "limit": 400}


def _quad(g: Callable[[float], float], lo: float, hi: float,
          points: list[float] | None = None) -> float:
    pts = [p for p in (points or []) if lo < p < hi]
    return float(integrate.quad(g, lo, hi, points=pts or None, **_QUAD)[0])


@dataclass
class RPM1D:
    """The result of :func:`rpm_1d`: τ, the support and the density's functionals."""

    score: Callable[[float], float]
    interval: tuple[float, float]
    alpha: float
    tau: float
    support: list[tuple[float, float]]
    peaks: list[float] = field(default_factory=list)

    def pdf(self, t: Any) -> np.ndarray:
        """p̂(t) (0 outside the interval and the support)."""
        t = np.asarray(t, dtype=np.float64)
        f = np.vectorize(lambda x: float(self.score(x)))(t)
        inside = (t >= self.interval[0]) & (t <= self.interval[1])
        if self.alpha == 1.0:
            return np.where(inside, np.exp(f - self.tau), 0.0)
        h = np.maximum((self.alpha - 1.0) * f - self.tau, 0.0)
        return np.where(inside, h ** (1.0 / (self.alpha - 1.0)), 0.0)

    def _p(self, x: float) -> float:
        f = float(self.score(x))
        if self.alpha == 1.0:
            return math.exp(f - self.tau)
        h = (self.alpha - 1.0) * f - self.tau
        return h ** (1.0 / (self.alpha - 1.0)) if h > 0 else 0.0

    def expect(self, g: Callable[[float], float]) -> float:
        """:math:`E_p[g]` by quadrature over the support."""
        return sum(_quad(lambda x: self._p(x) * g(x), lo, hi, self.peaks)
                   for lo, hi in self.support)

    def mass(self) -> float:
        return self.expect(lambda x: 1.0)

    def omega(self) -> float:
        """Ω_α(p̂) by quadrature."""
        return omega_1d(self._p, self.support, self.alpha, self.peaks)

    def conjugate(self) -> float:
        r"""Ω*(f) = :math:`E_{\hat p}[f] - \Omega(\hat p)`."""
        return self.expect(lambda x: float(self.score(x))) - self.omega()


def omega_1d(q: Callable[[float], float], support: list[tuple[float, float]],
             alpha: float, points: list[float] | None = None) -> float:
    r"""Ω_α(q) = :math:`(\int q^\alpha - 1)/(\alpha(\alpha-1))` (:math:`\int q\log q` at
    α = 1) of a 1-D density q, by quadrature over ``support`` (a list of intervals)."""
    alpha = check_alpha_finite(alpha)
    if alpha == 1.0:
        def g(x):
            v = q(x)
            return v * math.log(v) if v > 0 else 0.0
        return sum(_quad(g, lo, hi, points) for lo, hi in support)
    s = sum(_quad(lambda x: q(x) ** alpha, lo, hi, points) for lo, hi in support)
    return (s - 1.0) / (alpha * (alpha - 1.0))


def fy_loss_1d(score: Callable[[float], float], interval: tuple[float, float],
               q: Callable[[float], float], q_support: list[tuple[float, float]],
               alpha: float) -> float:
    r"""FY loss :math:`\Omega^*(f) + \Omega(q) - E_q[f]` for any score and any density q
    on the interval (all by quadrature)."""
    p = rpm_1d(score, interval, alpha)
    eq = sum(_quad(lambda x: q(x) * float(score(x)), lo, hi) for lo, hi in q_support)
    return p.conjugate() + omega_1d(q, q_support, alpha) - eq


def _crossings(h: Callable[[float], float], grid: np.ndarray,
               hv: np.ndarray) -> list[tuple[float, float]]:
    """Maximal intervals of the grid's span where h > 0, endpoints refined by brentq."""
    pos = hv > 0
    out = []
    xt = 2.0 * np.finfo(float).eps * float(max(abs(grid[0]), abs(grid[-1])))
    kw = {"xtol": xt, "rtol": 4 * np.finfo(float).eps, "maxiter": 500}
    i = 0
    n = len(grid)
    while i < n:
        if not pos[i]:
            i += 1
            continue
        j = i
        while j + 1 < n and pos[j + 1]:
            j += 1
        lo = grid[0] if i == 0 else optimize.brentq(h, grid[i - 1], grid[i], **kw)
        hi = grid[-1] if j == n - 1 else optimize.brentq(h, grid[j], grid[j + 1], **kw)
        out.append((float(lo), float(hi)))
        i = j + 1
    return out


def rpm_1d(score: Callable[[float], float], interval: tuple[float, float], alpha: float,
           *, n_grid: int = 4001) -> RPM1D:
    r"""The α-entmax density of ``score`` on ``interval`` (τ by root finding).

    Parameters
    ----------
    score : callable float -> float
        f, continuous on the interval.
    interval : (float, float)
        Finite ``l < u``.
    alpha : float, >= 1
    n_grid : int
        Grid used to locate the maximum of f and the support's endpoints.

    Returns
    -------
    RPM1D
        τ (to the last bits of ``brentq``), the support pieces, ``pdf``, ``expect``,
        ``omega``, ``conjugate``.
    """
    alpha = check_alpha_finite(alpha)
    lo, hi = (float(v) for v in interval)
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ValueError(f"interval must be finite with l < u; got {interval!r}")
    grid = np.linspace(lo, hi, int(n_grid))
    fv = np.array([float(score(x)) for x in grid])
    if not np.all(np.isfinite(fv)):
        raise ValueError("score must be finite on the interval")
    k = int(np.argmax(fv))
    # refine the maximum (a peak the quadrature must see)
    a_, b_ = grid[max(k - 1, 0)], grid[min(k + 1, len(grid) - 1)]
    res = optimize.minimize_scalar(lambda x: -float(score(x)), bounds=(a_, b_),
                                   method="bounded", options={"xatol": 1e-12})
    peak = float(res.x) if -res.fun >= fv[k] else float(grid[k])
    fmax = max(float(score(peak)), float(fv[k]))
    if alpha == 1.0:
        s = _quad(lambda x: math.exp(float(score(x)) - fmax), lo, hi, [peak])
        return RPM1D(score, (lo, hi), alpha, fmax + math.log(s), [(lo, hi)], [peak])

    am1 = alpha - 1.0
    b = 1.0 / am1

    def support_at(tau: float) -> list[tuple[float, float]]:
        def h(x: float) -> float:
            return am1 * float(score(x)) - tau
        hv = am1 * fv - tau
        sup = _crossings(h, grid, hv)
        if not sup and am1 * fmax - tau > 0:  # the support is narrower than a grid step
            xt = 2.0 * np.finfo(float).eps * max(abs(lo), abs(hi))
            left = optimize.brentq(h, a_, peak, xtol=xt) if h(a_) < 0 else a_
            right = optimize.brentq(h, peak, b_, xtol=xt) if h(b_) < 0 else b_
            sup = [(float(left), float(right))]
        return sup

    def density(x: float, tau: float) -> float:
        # h^b, saturated at e^700 so that a far bracket end (τ ≪ its root, β large)
        # does not overflow; a monotone function of h, so the root is unchanged as long
        # as the density at the root stays below e^700
        h = am1 * float(score(x)) - tau
        return math.exp(min(b * math.log(h), 700.0)) if h > 0 else 0.0

    def mass_minus_one(tau: float) -> float:
        tot = 0.0
        for l_, u_ in support_at(tau):
            tot += _quad(lambda x: density(x, tau), l_, u_, [peak])
        return tot - 1.0

    # bracket: at τ_hi = (α−1) max f the mass is 0; at τ_lo = (α−1) min f − (u−l)^(1−α)
    # every point has p ≥ 1/(u − l), so the mass is ≥ 1
    t_hi = am1 * fmax
    t_lo = am1 * (2.0 * float(fv.min()) - fmax) - (hi - lo) ** (-am1)  # grid-min margin
    tau = optimize.brentq(mass_minus_one, t_lo, t_hi,
                          xtol=1e-17 * max(1.0, abs(t_lo), abs(t_hi)),
                          rtol=4 * np.finfo(float).eps, maxiter=500)
    return RPM1D(score, (lo, hi), alpha, float(tau), support_at(tau), [peak])
