r"""Margins of the Tsallis and norm-entropy families in two dimensions.

For each family, at several α: the regularizer :math:`\Omega([p, 1-p])`, the first
coordinate of the map :math:`\hat y_\Omega([s, 0])_1` and the Fenchel-Young loss
:math:`L_\Omega([s, 0]; e_1)` against the score gap ``s``.  The loss reaches 0 exactly
at ``s = m`` (the margin ``reg.margin``: ``1/(α-1)`` for α-entmax, 1 for every
α-normmax, none for softmax), which is marked.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from hfy_reference import NormEntropy, Shannon, Tsallis

from . import style

__all__ = ["margins", "TSALLIS_FAMILY", "NORM_FAMILY"]

#: Maps of the top row (α = 1 is softmax).
TSALLIS_FAMILY = (Shannon(), Tsallis(1.5), Tsallis(2.0), Tsallis(4.0))
#: Maps of the bottom row.
NORM_FAMILY = (NormEntropy(1.5), NormEntropy(2.0), NormEntropy(5.0), NormEntropy(np.inf))


def margins(*, tsallis: Sequence | None = None, norm: Sequence | None = None,
            s_range: tuple[float, float] = (-2.5, 3.0), n_points: int = 801) -> Figure:
    """Regularizer, map and FY loss of two families of maps, with their margins.

    Parameters
    ----------
    tsallis, norm : sequence of Regularizer, optional
        The maps of the two rows; default :data:`TSALLIS_FAMILY` and
        :data:`NORM_FAMILY`.
    s_range : (float, float)
        Range of the score gap ``s`` in the map and loss panels.
    n_points : int
        Points per curve.

    Returns
    -------
    matplotlib.figure.Figure
        2 × 3 panels: rows = families, columns = ``Ω([p, 1-p])``, ``ŷ([s, 0])_1``,
        ``L([s, 0]; e_1)``.  Margins are marked by dotted vertical lines (gid
        ``"margin"``) in the loss panels.
    """
    rows = [
        (r"Tsallis $\alpha$-entropies ($\alpha$-entmax)",
         list(TSALLIS_FAMILY if tsallis is None else tsallis)),
        (r"norm entropies ($\alpha$-normmax)", list(NORM_FAMILY if norm is None else norm)),
    ]
    p = np.linspace(0.0, 1.0, n_points)
    P = np.column_stack([p, 1.0 - p])
    s = np.linspace(s_range[0], s_range[1], n_points)
    S = np.column_stack([s, np.zeros_like(s)])
    E1 = np.tile([1.0, 0.0], (n_points, 1))

    with style.context():
        fig = style.new_figure(style.FULL, 3.7)
        axes = fig.subplots(2, 3)
        for r, (family, regs) in enumerate(rows):
            ax_o, ax_m, ax_l = axes[r]
            for reg in regs:
                c = style.map_color(reg)
                lab = display_label(reg)
                ax_o.plot(p, reg.omega(P), color=c, label=lab)
                ax_m.plot(s, reg.argmax(S)[:, 0], color=c, label=lab)
                ax_l.plot(s, reg.loss(S, E1), color=c, label=lab)
                m = reg.margin
                if m is not None and s_range[0] <= m <= s_range[1]:
                    ax_l.axvline(m, color=c, lw=0.8, ls=":", gid="margin")
                    ax_l.plot([m], [0.0], "o", color=c, ms=3.5, mec="white", mew=0.5,
                              zorder=3, clip_on=False)
            ax_o.set_xlabel(r"$p$")
            ax_o.set_ylabel(r"$\Omega([p,\, 1-p])$")
            ax_o.set_xlim(0.0, 1.0)
            ax_o.set_title(f"regularizer: {family}")
            ax_m.set_xlabel(r"score gap $s$")
            ax_m.set_ylabel(r"$\hat{y}_\Omega([s,\, 0])_1$")
            ax_m.set_xlim(*s_range)
            ax_m.set_ylim(-0.02, 1.02)
            ax_m.set_title("map")
            ax_l.set_xlabel(r"score gap $s$")
            ax_l.set_ylabel(r"$L_\Omega([s,\, 0];\, e_1)$")
            ax_l.set_xlim(*s_range)
            ax_l.set_ylim(bottom=-0.05)
            ax_l.set_title(r"FY loss (dotted: margin $m$)")
            for ax in (ax_o, ax_m, ax_l):
                ax.grid(True)
            ax_l.legend(loc="center left", bbox_to_anchor=(1.02, 0.5))
        fig.suptitle(r"Margins: $L_\Omega([s, 0]; e_1) = 0 \Leftrightarrow s \geq m$"
                     r" ($m = 1/(\alpha-1)$ for $\alpha$-entmax, $m = 1$ for $\alpha$-normmax,"
                     r" none for softmax)")
    return fig


def display_label(reg) -> str:
    """``reg.label`` with ``inf`` typeset as ∞ and the margin appended."""
    lab = reg.label.replace("inf-", r"$\infty$-")
    m = reg.margin
    if m is None:
        return f"{lab} (no margin)"
    return f"{lab} ($m = {m:.3g}$)"
