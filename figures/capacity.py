r"""Capacity: Monte Carlo exact-retrieval curves against the bound of T7.

``N`` patterns i.i.d. uniform on the sphere of radius ``M`` in ``R^D``; each pattern is
queried from the boundary of its ε-ball (``q_0 = x_i + ε u``, ``u`` a uniform unit
vector) and a trial succeeds when every query is retrieved exactly in one update:
``ŷ_Ω(β X q_0) = e_i`` (``HopfieldNetwork.probabilities``), so that ``q_1 = x_i``.
(Checking ``q_1 == x_i`` in floating point would also accept softmax outputs whose other
weights, e.g. ``1e-60``, vanish below the rounding of ``x_i``.)

The empirical success rate is plotted against ``N`` for each map, next to the guarantee
of T7: with ``ζ`` the largest value for which ``ε ≤ capacity_epsilon(M, ζ, m, β)``,
success has probability ``≥ 1 - p`` whenever ``N ≤ capacity_bound(D, p, ζ)``, so the
curve ``N ↦ 1 - p(N)`` is a lower bound on the success rate.  The tighter intermediate
bound of the proof, ``1 - min_angle_failure_probability(N, 1/ζ, D)``, is drawn too.
Maps with equal margins retrieve exactly on the same queries (one-hot iff every gap is
``≥ m/β``), so their curves coincide by theory: every Monte Carlo curve is a solid line,
and the later maps of a margin are drawn with open markers of their own shape on top of
the first, their legend entries saying so.  Dashed and dotted lines are only the bounds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from . import style
from ._common import simplex_regularizers

__all__ = ["capacity", "zeta_for_epsilon", "guaranteed_success"]


def zeta_for_epsilon(eps: float, M: float, margin: float, beta: float) -> float:
    """The largest ``ζ`` with ``capacity_epsilon(M, ζ, margin, beta) ≥ eps`` (found by
    root finding on the library's function; ``nan`` if no ``ζ`` works)."""
    from scipy.optimize import brentq

    from hfy_reference.theory import capacity_epsilon

    def f(zeta):
        return capacity_epsilon(M, zeta, margin, beta) - eps

    lo = 1.0 / math.pi  # largest angle 1/ζ = π
    if f(lo) < 0:
        return math.nan
    hi = 2.0 * lo
    while f(hi) >= 0:  # capacity_epsilon decreases in ζ
        lo, hi = hi, 2.0 * hi
        if hi > 1e12:
            return math.inf
    return brentq(f, lo, hi, xtol=1e-12, rtol=1e-12)


def guaranteed_success(N: np.ndarray, D: int, zeta: float) -> np.ndarray:
    """``1 - p`` with ``p`` the smallest failure probability for which
    ``capacity_bound(D, p, zeta) ≥ N`` (0 where no ``p ≤ 1`` works)."""
    from hfy_reference.theory import capacity_bound

    if not np.isfinite(zeta):
        return np.zeros(len(N))
    full = capacity_bound(D, 1.0, zeta)  # the bound at p = 1
    out = []
    for n in N:
        if n > full:
            out.append(0.0)
            continue
        # capacity_bound is increasing in p: bisect on log p
        lo, hi = -745.0, 0.0
        for _ in range(80):
            mid = 0.5 * (lo + hi)
            if capacity_bound(D, math.exp(mid), zeta) >= n:
                hi = mid
            else:
                lo = mid
        out.append(1.0 - math.exp(hi))
    return np.array(out)


def capacity(regs: Sequence | None = None, *, dims: Sequence[int] = (3, 5),
             n_values: Sequence[int] | None = None, n_trials: int = 100,
             beta: float = 100.0, eps: float = 0.01, M: float = 1.0,
             seed: int = 0) -> Figure:
    """Exact one-step retrieval from the ε-ball: Monte Carlo against T7.

    Parameters
    ----------
    regs : sequence of Regularizer, optional
        Default: softmax, 1.5-entmax, sparsemax, 2-normmax, 5-normmax.
    dims : sequence of int
        Dimensions ``D``, one panel each.
    n_values : sequence of int, optional
        Numbers of patterns; default 12 values log-spaced in ``[2, 256]``.
    n_trials : int
        Pattern sets drawn per ``(D, N)``.
    beta, eps, M : float
        Inverse temperature, query radius, pattern norm.
    seed : int

    Returns
    -------
    matplotlib.figure.Figure
    """
    from hfy_reference.hopfield import HopfieldNetwork
    from hfy_reference.theory import min_angle_failure_probability

    regs = list(simplex_regularizers() if regs is None else regs)
    if n_values is None:
        n_values = np.unique(np.round(np.logspace(np.log10(2), np.log10(256), 12)).astype(int))
    n_values = np.asarray(n_values, dtype=int)
    rng = np.random.default_rng(seed)

    with style.context():
        fig = style.new_figure(style.FULL, 2.7)
        axes = fig.subplots(1, len(dims), squeeze=False, sharey=True)[0]
        for ax, D in zip(axes, dims, strict=True):
            success = {reg: np.zeros(len(n_values)) for reg in regs}
            for k, N in enumerate(n_values):
                eye = np.eye(N)
                for _ in range(n_trials):
                    X = rng.standard_normal((N, D))
                    X *= M / np.linalg.norm(X, axis=1, keepdims=True)
                    U = rng.standard_normal((N, D))
                    U /= np.linalg.norm(U, axis=1, keepdims=True)
                    Q0 = X + eps * U
                    for reg in regs:
                        P = np.asarray(HopfieldNetwork(X, reg, beta=beta).probabilities(Q0))
                        success[reg][k] += np.array_equal(P, eye)
            first: dict = {}
            for reg in regs:
                lab = reg.label + (" (never exact)" if reg.margin is None else
                                   f" ($m = {reg.margin:g}$)")
                j = len([r for r in first.get(reg.margin, ())])
                first.setdefault(reg.margin, []).append(reg)
                if j:
                    lab += f": same as {first[reg.margin][0].label} by theory"
                ax.plot(n_values, success[reg] / n_trials, ls="-",
                        marker=_MARKERS[j % len(_MARKERS)],
                        mfc=style.map_color(reg) if j == 0 else "none",
                        color=style.map_color(reg), ms=2.8 + 1.2 * j, mew=0.9,
                        lw=1.1 if j == 0 else 0.6, label=lab, zorder=3 + j)
            # the bounds, one per distinct margin
            grid = np.unique(np.round(np.logspace(0, np.log10(n_values.max()), 200)))
            bound_handles = []
            for m in sorted({reg.margin for reg in regs if reg.margin is not None},
                            reverse=True):
                zeta = zeta_for_epsilon(eps, M, m, beta)
                c = _margin_color(regs, m)
                h1, = ax.plot(grid, guaranteed_success(grid, D, zeta), ls=(0, (4, 2)),
                              color=c, lw=1.0,
                              label=f"T7 bound, $m = {m:g}$ ($\\zeta = {zeta:.2f}$)")
                union = [1.0 - min_angle_failure_probability(int(n), 1.0 / zeta, D)
                         if np.isfinite(zeta) else 0.0 for n in grid]
                h2, = ax.plot(grid, union, ls=(0, (1, 1.5)), color=c, lw=1.0,
                              label=f"min-angle union bound, $m = {m:g}$")
                bound_handles += [h1, h2]
            ax.set_xscale("log")
            ax.set_xlabel("number of patterns $N$")
            ax.set_title(f"$D = {D}$")
            ax.set_ylim(-0.03, 1.03)
            ax.grid(True, which="major")
        axes[0].set_ylabel("P(all $N$ patterns retrieved\nexactly in one step)")
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside right center",
                   title=f"solid, markers: Monte Carlo ({n_trials} sets per point)\n"
                   "equal margins $m$: identical curves by theory\n"
                   "(one-hot iff every gap $\\geq m/\\beta$)\n"
                   r"dashed: T7, $1 - p$ at $N = \sqrt{p}\,\zeta^{(D-1)/2}$"
                   "\ndotted: its union bound on angles $< 1/\\zeta$")
        fig.suptitle(f"Exact retrieval from the $\\varepsilon$-ball: Monte Carlo ({n_trials} "
                     f"sets per point) against T7; $\\beta = {beta:g}$, "
                     f"$\\varepsilon = {eps:g}$, $M = {M:g}$")
    return fig


_MARKERS = ("o", "s", "^", "D", "v")


def _margin_color(regs, m) -> str:
    """The bound for margin ``m`` takes the colour of the first map with that margin."""
    for reg in regs:
        if reg.margin == m:
            return style.map_color(reg)
    return "0.3"  # pragma: no cover
