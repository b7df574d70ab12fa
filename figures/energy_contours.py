r"""Energy landscapes of 2-D Hopfield-Fenchel-Young networks, with trajectories.

Rows: the patterns (-1,-1), (-1,1), (1,-1) and seeded random sets, normalized to unit
norm; columns: softmax, 1.5-entmax, sparsemax, 2-normmax, 5-normmax.  Each panel shows
the contours of the energy
:math:`E(q) = -\beta^{-1}\Omega^*(\beta X q) + \tfrac12\|q\|^2 + c`
(``HopfieldNetwork.energy``) and the trajectories of the update
:math:`q_{t+1} = X^\top \hat y_\Omega(\beta X q_t)` (``HopfieldNetwork.step``) from a few
seeded starting queries.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from . import style
from ._common import simplex_regularizers
from ._patterns import pattern_sets

#: Font size (pt) of the row labels and colour-bar labels: the axis-label size.
ROW_LABEL_SIZE = 8.0

__all__ = ["energy_contours"]


def energy_contours(regs: Sequence | None = None, *, beta: float = 1.0, n_random: int = 2,
                    n_grid: int = 121, n_starts: int = 3, max_steps: int = 60,
                    extent: float = 1.25, seed: int = 42) -> Figure:
    """Contours of the HFY energy and update trajectories in 2-D.

    Parameters
    ----------
    regs : sequence of Regularizer, optional
        Columns; default softmax, 1.5-entmax, sparsemax, 2-normmax, 5-normmax.
    beta : float
        Inverse temperature.
    n_random : int
        Number of seeded random pattern sets (5 patterns each) after the fixed one.
    n_grid : int
        Energy evaluated on ``n_grid²`` queries of ``[-extent, extent]²``.
    n_starts : int
        Seeded starting queries per row (the same in every column).
    max_steps : int
        Most updates drawn (a trajectory stops once it moves less than 1e-6).
    extent : float
    seed : int
        Seed of the random pattern sets and of the starting queries.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from hfy_reference.hopfield import HopfieldNetwork

    regs = list(simplex_regularizers() if regs is None else regs)
    sets = pattern_sets(n_random, seed=seed)
    g = np.linspace(-extent, extent, n_grid)
    G1, G2 = np.meshgrid(g, g)
    Q = np.column_stack([G1.ravel(), G2.ravel()])
    rng = np.random.default_rng(seed + 1)

    with style.context():
        nrows, ncols = len(sets), len(regs)
        fig = style.new_figure(style.FULL, 1.32 * nrows + 0.55)
        axes = fig.subplots(nrows, ncols, squeeze=False, sharex=True, sharey=True)
        for r, (set_name, X) in enumerate(sets):
            starts = rng.uniform(-0.9 * extent, 0.9 * extent, size=(n_starts, 2))
            nets = [HopfieldNetwork(X, reg, beta=beta) for reg in regs]
            Es = [np.asarray(net.energy(Q), dtype=float).reshape(G1.shape) for net in nets]
            lo = min(E.min() for E in Es)
            hi = max(E.max() for E in Es)
            # denser near the minima, where the landscapes differ
            levels = lo + (hi - lo) * np.linspace(0.0, 1.0, 16) ** 2
            for c, (net, E) in enumerate(zip(nets, Es, strict=True)):
                ax = axes[r, c]
                reg = regs[c]
                col = style.map_color(reg)
                cf = ax.contourf(G1, G2, E, levels=levels, cmap="Greys", alpha=0.75)
                ax.contour(G1, G2, E, levels=levels, colors="0.45", linewidths=0.3)
                paths = _trajectories(net, starts, max_steps)
                for q0, path in zip(starts, paths, strict=True):
                    ax.plot(path[:, 0], path[:, 1], "-", color=col, lw=1.0, zorder=3)
                    ax.plot(path[:, 0], path[:, 1], ".", color=col, ms=2.5, zorder=3)
                    ax.plot(*q0, "o", mfc="white", mec=col, ms=4, mew=1.0, zorder=4)
                    ax.plot(*path[-1], "*", color=col, mec="black", mew=0.4, ms=7, zorder=5)
                ax.plot(X[:, 0], X[:, 1], "s", mfc="white", mec="black", mew=0.8, ms=4.5,
                        zorder=6)
                ax.set_xlim(-extent, extent)
                ax.set_ylim(-extent, extent)
                ax.set_aspect("equal")
                if r == 0:
                    ax.set_title(reg.label, color=col)
                if r == nrows - 1:
                    ax.set_xlabel(r"$q_1$")
                if c == 0:
                    name = ("fixed set\n" + set_name) if set_name.startswith("$(") else set_name
                    ax.set_ylabel(f"{name}\n" + r"$q_2$", fontsize=ROW_LABEL_SIZE)
            cb = fig.colorbar(cf, ax=axes[r, :].tolist(), shrink=0.9, pad=0.01, aspect=14,
                              spacing="proportional")
            ticks = MaxNLocator(4).tick_values(lo, hi)
            cb.set_ticks(ticks[(ticks >= lo) & (ticks <= hi)])
            cb.set_label(r"energy $E(q)$", fontsize=ROW_LABEL_SIZE)
            cb.ax.tick_params(labelsize=6)
        handles = [
            Line2D([], [], ls="", marker="s", mfc="white", mec="black", label="pattern $x_i$"),
            Line2D([], [], ls="", marker="o", mfc="white", mec="0.3", label="query $q_0$"),
            Line2D([], [], color="0.3", marker=".", ms=2.5, label="iterates $q_t$"),
            Line2D([], [], ls="", marker="*", color="0.3", mec="black", mew=0.4, ms=7,
                   label="last iterate"),
        ]
        fig.legend(handles=handles, loc="outside lower center", ncol=4)
        fig.suptitle(r"Energy $E(q) = -\beta^{-1}\Omega^*(\beta Xq) + \frac{1}{2}\|q\|^2 + c$"
                     f" and trajectories of $q_{{t+1}} = X^\\top \\hat{{y}}_\\Omega(\\beta X q_t)$,"
                     f" $\\beta = {beta:g}$, unit-norm patterns")
    return fig


def _trajectories(net, starts: np.ndarray, max_steps: int) -> list[np.ndarray]:
    """Iterates of the update from each starting query
    (``HopfieldNetwork.retrieve(..., record_path=True)``), stopped once a step moves
    less than 1e-6 (invisible at this scale) or after ``max_steps`` updates."""
    res = net.retrieve(np.asarray(starts, dtype=float), max_iter=max_steps, tol=1e-6,
                       record_path=True)
    n_steps = np.atleast_1d(res.n_steps)
    return [traj[: int(n) + 1] for traj, n in zip(res.path, n_steps, strict=True)]
