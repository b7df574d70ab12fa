r"""The maps in two and three dimensions.

Left: the two-dimensional maps :math:`t \mapsto \hat y_\Omega([t, 0])_1` (argmax
dashed).  Right, one column per map: on top, the three-dimensional map as a surface,
:math:`(t_1, t_2) \mapsto \hat y_\Omega([t_1, t_2, 0])_1` (the talk's "sparsemax in 2D
and 3D", after Martins & Astudillo, 2016: sparsemax is piecewise linear, with flat
regions at 0 and 1, softmax smooth); below it, where the outputs
:math:`\hat y_\Omega([z_1, z_2, 0])` land on the 3-simplex for scores on a uniform
grid of the plane (each output a dot); below, the score plane shaded by the face of
the simplex the output lies on (a vertex: one-hot; an edge: two nonzero entries; the
interior: dense).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.colors import ListedColormap, to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Polygon

from hfy_reference import Tsallis

from . import style
from ._common import simplex_regularizers

__all__ = ["maps_2d_3d", "face_dimension", "to_triangle"]

_TRIANGLE = np.array([[0.0, 0.0], [1.0, 0.0], [0.5, np.sqrt(3.0) / 2.0]])
_FACE_NAMES = ("vertex (one-hot)", "edge (2 nonzero)", "interior (dense)")
_TINTS = (1.0, 0.55, 0.18)  # fraction of the map colour for vertex, edge, interior


def face_dimension(P: np.ndarray) -> np.ndarray:
    """Dimension of the smallest face of the simplex containing each row of ``P``
    (number of nonzero entries minus one)."""
    return np.count_nonzero(P, axis=-1) - 1


def to_triangle(P: np.ndarray) -> np.ndarray:
    """Barycentric coordinates on the 3-simplex to points of the plane (an equilateral
    triangle with ``e_1`` at the origin)."""
    return np.asarray(P) @ _TRIANGLE


def _tint(color, f: float):
    c = np.array(to_rgb(color))
    return tuple(1.0 - f * (1.0 - c))


def maps_2d_3d(regs: Sequence | None = None, *, t_range: float = 3.0,
               score_range: float = 3.0, n_grid: int = 161, n_dots: int = 41,
               n_surface: int = 41) -> Figure:
    """Two- and three-dimensional views of the maps.

    Parameters
    ----------
    regs : sequence of Regularizer, optional
        Default: softmax, 1.5-entmax, sparsemax, 2-normmax, 5-normmax.
    t_range : float
        The 2-D panel shows ``t ∈ [-t_range, t_range]``.
    score_range : float
        The score plane is ``[-score_range, score_range]²`` (third score 0).
    n_grid : int
        Resolution of the shaded score plane (``n_grid²`` scores).
    n_dots : int
        Scores per side whose outputs are drawn as dots on the simplex.
    n_surface : int
        Scores per side of the surface plots (on ``[-score_range, score_range]²``).

    Returns
    -------
    matplotlib.figure.Figure
    """
    regs = list(simplex_regularizers() if regs is None else regs)
    t = np.linspace(-t_range, t_range, 601)
    T = np.column_stack([t, np.zeros_like(t)])
    g = np.linspace(-score_range, score_range, n_grid)
    G1, G2 = np.meshgrid(g, g)
    Zgrid = np.stack([G1, G2, np.zeros_like(G1)], axis=-1)
    d = np.linspace(-score_range, score_range, n_dots)
    D1, D2 = np.meshgrid(d, d)
    Zdots = np.column_stack([D1.ravel(), D2.ravel(), np.zeros(D1.size)])
    u = np.linspace(-score_range, score_range, n_surface)
    U1, U2 = np.meshgrid(u, u)
    Zsurf = np.stack([U1, U2, np.zeros_like(U1)], axis=-1)

    with style.context():
        ncol = len(regs)
        fig = style.new_figure(style.FULL, 5.2)
        gs = fig.add_gridspec(3, ncol + 1, width_ratios=[1.9] + [1.0] * ncol,
                              height_ratios=[1.55, 1.0, 1.0])
        ax2 = fig.add_subplot(gs[:, 0])
        for reg in regs:
            ax2.plot(t, reg.argmax(T)[:, 0], color=style.map_color(reg), label=reg.label)
        amax = Tsallis(np.inf)
        ax2.plot(t, amax.argmax(T)[:, 0], color=style.map_color(amax), lw=0.9,
                 ls=(0, (4, 2)), label=amax.label)
        ax2.set_xlim(-t_range, t_range)
        ax2.set_ylim(-0.02, 1.02)
        ax2.set_xlabel(r"score $t$")
        ax2.set_ylabel(r"$\hat{y}_\Omega([t,\, 0])_1$")
        ax2.set_title(r"2-D: $t \mapsto \hat{y}_\Omega([t, 0])_1$")
        ax2.grid(True)
        ax2.legend(loc="upper left")

        for j, reg in enumerate(regs):
            col = style.map_color(reg)
            shades = [_tint(col, f) for f in _TINTS]
            # top: the 3-D map as a surface
            ax3 = fig.add_subplot(gs[0, j + 1], projection="3d")
            ax3.plot_surface(U1, U2, reg.argmax(Zsurf)[..., 0], color=col, lw=0.15,
                             edgecolor=_tint(col, 0.45), alpha=0.9, rstride=2, cstride=2,
                             shade=True, antialiased=True)
            ax3.set_zlim(0.0, 1.0)
            ax3.set_box_aspect((1.0, 1.0, 0.85), zoom=1.18)
            ax3.view_init(elev=26, azim=-58)
            ax3.set_xticks([-score_range, 0, score_range])
            ax3.set_yticks([-score_range, 0, score_range])
            ax3.set_zticks([0, 0.5, 1])
            ax3.tick_params(labelsize=5, pad=-2)
            ax3.set_xlabel("$t_1$", labelpad=-9, fontsize=6.5)
            ax3.set_ylabel("$t_2$", labelpad=-9, fontsize=6.5)
            ax3.set_title(reg.label, color=col, pad=0)
            if j == 0:
                ax3.text2D(-0.12, 0.5, r"3-D: $\hat{y}_\Omega([t_1, t_2, 0])_1$",
                           transform=ax3.transAxes, rotation=90, ha="center",
                           va="center", fontsize=7)
            # middle: outputs on the simplex
            axs = fig.add_subplot(gs[1, j + 1])
            P = reg.argmax(Zdots)
            faces = face_dimension(P)
            reached = set(faces.tolist())
            axs.add_patch(Polygon(_TRIANGLE, closed=True, facecolor=shades[2] if 2 in reached
                                  else "white", edgecolor="0.4", lw=0.6, zorder=0))
            if 1 in reached:
                axs.add_patch(Polygon(_TRIANGLE, closed=True, fill=False, edgecolor=shades[1],
                                      lw=2.2, zorder=1))
            xy = to_triangle(P)
            axs.scatter(xy[:, 0], xy[:, 1], s=1.2, color=col, lw=0, alpha=0.8, zorder=2)
            if 0 in reached:
                axs.scatter(_TRIANGLE[:, 0], _TRIANGLE[:, 1], s=14, color=col, zorder=3,
                            clip_on=False)
            for k, name in enumerate(("$e_1$", "$e_2$", "$e_3$")):
                # clear of the vertex dots (radius about 0.04 in these units)
                off = [(-0.1, -0.1), (0.1, -0.1), (0.16, 0.0)][k]
                axs.text(*(_TRIANGLE[k] + off), name, ha="center", va="center", fontsize=7)
            axs.set_xlim(-0.18, 1.18)
            axs.set_ylim(-0.18, 0.92)
            axs.set_aspect("equal")
            axs.axis("off")
            # bottom: score plane shaded by face
            axp = fig.add_subplot(gs[2, j + 1])
            F = face_dimension(reg.argmax(Zgrid))
            axp.imshow(F, origin="lower", extent=(g[0], g[-1], g[0], g[-1]),
                       cmap=ListedColormap(shades), vmin=-0.5, vmax=2.5,
                       interpolation="nearest")
            axp.set_aspect("equal")
            axp.set_xlabel(r"$z_1$", labelpad=0.5)
            if j == 0:
                axp.set_ylabel(r"$z_2$  ($z_3 = 0$)")
            else:
                axp.set_yticklabels([])
            fr = [np.mean(F == k) for k in range(3)]
            axp.set_title(f"{100 * fr[0]:.0f}% / {100 * fr[1]:.0f}% / {100 * fr[2]:.0f}%",
                          fontsize=6.5)
        # legend for the faces, in neutral greys
        grey = "#555555"
        handles = [Patch(facecolor=_tint(grey, f), edgecolor="0.4", lw=0.4, label=nm)
                   for f, nm in zip(_TINTS, _FACE_NAMES, strict=True)]
        handles.append(Line2D([], [], ls="", marker=".", color=grey,
                              label=r"output $\hat{y}_\Omega(z)$"))
        fig.legend(handles=handles, loc="outside lower center", ncol=4,
                   title="face of the simplex where the output lies (percentages: share of "
                   "the score square giving a vertex / an edge / the interior)")
        fig.suptitle(r"The maps in 2-D and 3-D, and on the 3-simplex: "
                     r"$\hat{y}_\Omega(z) = \mathrm{argmax}_{p \in \triangle}\ "
                     r"\langle z, p\rangle - \Omega(p)$")
    return fig
