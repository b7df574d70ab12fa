r"""Regularization path: :math:`\hat y_\Omega(\beta z)` against the temperature ``1/β``.

The talk's figure: one panel per map, one line per coordinate of the output, for the
scores ``z = [1.0716, -1.1221, -0.3288, 0.3368, 0.0425]``; the temperatures where the
support changes are marked with the exact values from
:func:`hfy_reference.theory.support_change_temperatures`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from . import style
from ._common import path_regularizers, support_change_temperatures

__all__ = ["TALK_SCORES", "regularization_path"]

#: The scores of the talk's regularization-path figure (math §7).
TALK_SCORES = np.array([1.0716, -1.1221, -0.3288, 0.3368, 0.0425])

#: gid of the vertical lines that mark an exact support change (read by the tests).
TRANSITION_GID = "transition"
#: gid of the marks located by bisection on the map (maps without a closed form).
LOCATED_GID = "transition-located"
_EXACT_LS = (0, (2, 1.5))
_LOCATED_LS = (0, (0.6, 1.2))


def regularization_path(z: Sequence[float] | None = None, *, t_max: float = 6.0,
                        n_points: int = 600, regs: Sequence | None = None,
                        ncols: int = 4) -> Figure:
    r"""The regularization path of sparse and structured maps.

    Parameters
    ----------
    z : array_like of float, shape (N,), optional
        Scores; default :data:`TALK_SCORES`.
    t_max : float, default 6
        Largest temperature ``1/β`` shown; the axis is ``(0, t_max]``.
    n_points : int, default 600
        Temperatures on a uniform grid of ``(0, t_max]``; the exact transition
        temperatures are added to the grid so that the kinks are drawn sharp.
    regs : sequence of Regularizer, optional
        Maps to show, one panel each; default softmax, 1.5-entmax, sparsemax,
        2-normmax, 5-normmax, SparseMAP 2-subsets and sequential 2-subsets.
    ncols : int, default 4
        Panels per row (the last cell holds the legend when there is room).

    Returns
    -------
    matplotlib.figure.Figure
        Each panel's lines have ``xdata`` = temperatures and ``ydata`` = one
        coordinate of ``reg.argmax(z / t)``; vertical lines with gid
        ``"transition"`` mark the temperatures returned by
        ``hfy_reference.theory.support_change_temperatures(z, reg, t_max)``; for maps
        it has no closed form for (sequential k-subsets) the changes are located by
        bisection on ``reg.argmax`` and drawn dotted, with gid
        ``"transition-located"``.
    """
    z = np.asarray(TALK_SCORES if z is None else z, dtype=np.float64)
    if z.ndim != 1:
        raise ValueError(f"z must be a vector of scores; got shape {z.shape}")
    regs = list(path_regularizers() if regs is None else regs)
    n = z.size
    grid = np.linspace(t_max / n_points, t_max, n_points)
    # colour of coordinate i by the rank of z_i (largest score darkest)
    rank = np.argsort(np.argsort(-z))
    ordered = style.coord_colors(n)
    coord_colors = [ordered[rank[i]] for i in range(n)]

    with style.context():
        nrows = -(-(len(regs) + 1) // ncols)
        fig = style.new_figure(style.FULL, 1.75 * nrows + 0.25)
        axes = fig.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False)
        flat = axes.ravel()
        any_located = False
        for ax, reg in zip(flat, regs, strict=False):
            marks, exact = support_change_temperatures(z, reg, t_max)
            t = np.union1d(grid, marks[(marks > 0) & (marks <= t_max)])
            P = reg.argmax(z[None, :] / t[:, None])
            for i in range(n):
                ax.plot(t, P[:, i], color=coord_colors[i], lw=1.2, label=f"$z_{{{i + 1}}}$")
            for tm in marks:
                ax.axvline(tm, color=style.map_color(reg), lw=0.7,
                           ls=_EXACT_LS if exact else _LOCATED_LS, alpha=0.9, zorder=0.5,
                           gid=TRANSITION_GID if exact else LOCATED_GID)
            any_located |= bool(len(marks)) and not exact
            ax.set_title(_title(reg), color=style.map_color(reg))
            ax.set_xlim(0.0, t_max)
            ax.set_ylim(-0.02, 1.02)
            ax.grid(True, axis="y")
        for ax in axes[-1]:
            ax.set_xlabel(r"temperature $1/\beta$")
        for ax in axes[:, 0]:
            ax.set_ylabel(r"$\hat{y}_\Omega(\beta z)_i$")
        spare = flat[len(regs):]
        for ax in spare:
            ax.axis("off")
        handles = [Line2D([], [], color=coord_colors[i], lw=1.2,
                          label=f"$z_{{{i + 1}}} = {z[i]:+.4f}$") for i in range(n)]
        handles.append(Line2D([], [], color="0.35", lw=0.7, ls=_EXACT_LS,
                              label="support change (exact)"))
        if any_located:
            handles.append(Line2D([], [], color="0.35", lw=0.7, ls=_LOCATED_LS,
                                  label="support change (bisection)"))
        if len(spare):
            spare[-1].legend(handles=handles, loc="center", title=r"coordinate $i$")
        else:
            fig.legend(handles=handles, loc="outside right center", title=r"coordinate $i$")
        fig.suptitle(r"Regularization path: $\hat{y}_\Omega(\beta z)$ against the "
                     r"temperature $1/\beta$")
    return fig


def _title(reg) -> str:
    w = getattr(reg, "w", None)
    if w is not None and "w" not in reg.label:
        return f"{reg.label} ($w = {w:g}$)"
    return reg.label
