r"""Logistic-Normal against Gaussian-sparsemax on the 2-simplex (Farinhas et al., ICLR
2022; the talk's "Logistic-Normal vs Gaussian-Sparsemax" slide).

The same Gaussian scores :math:`X \sim \mathcal N(z, \Sigma)` are mapped by softmax
(left: every sample in the relative interior) and by sparsemax (middle: samples in the
interior, *on the edges*, and *on the vertices*).  Vertex discs have an area proportional
to the vertex probability, and every face is annotated with its exact probability
(:meth:`hfy_reference.mixed.GaussianSparsemax.face_probabilities`).  Right: the mass per
face dimension, exact (bars) against the fraction of the drawn samples (markers).
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Polygon

from hfy_reference.mixed import GaussianSparsemax, LogisticNormal, faces

from . import style

__all__ = ["mixed_simplex", "to_triangle", "from_triangle"]

_TRIANGLE = np.array([[0.0, 0.0], [1.0, 0.0], [0.5, np.sqrt(3.0) / 2.0]])
_DIM_NAMES = ("vertices", "edges", "interior")


def to_triangle(P: np.ndarray) -> np.ndarray:
    """Barycentric coordinates (rows of ``P``) to points of the plane (``e_1`` at the
    origin, ``e_2`` at (1, 0), ``e_3`` on top)."""
    return np.asarray(P) @ _TRIANGLE


def from_triangle(xy: np.ndarray) -> np.ndarray:
    """The inverse of :func:`to_triangle`."""
    xy = np.atleast_2d(np.asarray(xy, dtype=np.float64))
    A = np.vstack([_TRIANGLE.T, np.ones(3)])  # 3 x 3
    return np.linalg.solve(A, np.vstack([xy.T, np.ones(xy.shape[0])])).T


def _draw_triangle(ax) -> None:
    ax.add_patch(Polygon(_TRIANGLE, closed=True, fill=False, lw=0.6, color="0.35",
                         zorder=1))
    for i, (dx, dy) in enumerate([(-0.08, -0.07), (0.08, -0.07), (0.0, 0.07)]):
        x, y = _TRIANGLE[i]
        ax.text(x + dx, y + dy, f"$e_{i + 1}$", ha="center", va="center")
    ax.set_xlim(-0.12, 1.12)
    ax.set_ylim(-0.1, 1.0)
    ax.set_aspect("equal")
    ax.set_axis_off()


def mixed_simplex(loc=(0.3, 0.0, -0.2), cov=0.35, *, n_samples: int = 2000,
                  seed: int = 0) -> Figure:
    """Samples of the Logistic-Normal and of Gaussian-sparsemax with the same scores.

    Parameters
    ----------
    loc : array_like, shape (3,)
        The mean scores :math:`z`.
    cov : array_like, shape (3, 3), or scalar
        The covariance :math:`\\Sigma` (SPD).
    n_samples : int
        Number of draws (the same Gaussian scores for both panels).
    seed : int
        Seed of the draws.

    Returns
    -------
    matplotlib.figure.Figure
    """
    gs = GaussianSparsemax(loc, cov)
    ln = LogisticNormal(loc, cov)
    if gs.K != 3:
        raise ValueError(f"loc must have 3 entries (the 2-simplex); got {gs.K}")
    # the same seed draws the same Gaussian scores X for both: softmax(X), sparsemax(X)
    Y_ln = ln.rvs(n_samples, random_state=seed)
    Y_gs = gs.rvs(n_samples, random_state=seed)
    P = gs.face_probabilities()
    nnz = np.count_nonzero(Y_gs, axis=1)
    c_ln, c_gs = style.map_color("softmax"), style.map_color("sparsemax")

    with style.context():
        fig = style.new_figure(style.FULL, 2.6)
        ax_ln, ax_gs, ax_bar = fig.subplots(1, 3, width_ratios=[1.0, 1.0, 0.8])

        _draw_triangle(ax_ln)
        pts = to_triangle(Y_ln)
        sc = ax_ln.scatter(pts[:, 0], pts[:, 1], s=1.5, color=c_ln, alpha=0.5, lw=0,
                           zorder=2)
        sc.set_gid("ln-samples")
        ax_ln.set_title("Logistic-Normal: softmax$(X)$\nall mass in the interior")

        _draw_triangle(ax_gs)
        inner = to_triangle(Y_gs[nnz == 3])
        sc = ax_gs.scatter(inner[:, 0], inner[:, 1], s=1.5, color=c_gs, alpha=0.45, lw=0,
                           zorder=2)
        sc.set_gid("gs-interior")
        edge = to_triangle(Y_gs[nnz == 2])
        sc = ax_gs.scatter(edge[:, 0], edge[:, 1], s=4, color="0.15", alpha=0.6, lw=0,
                           zorder=3)
        sc.set_gid("gs-edges")
        pv = np.array([P[(i,)] for i in range(3)])
        sc = ax_gs.scatter(_TRIANGLE[:, 0], _TRIANGLE[:, 1], s=900 * pv, color=c_gs,
                           edgecolor="k", lw=0.6, zorder=4)
        sc.set_gid("gs-vertices")
        for i in range(3):  # vertex probabilities, outside the triangle
            x, y = _TRIANGLE[i]
            off = [(-0.13, 0.07), (0.13, 0.07), (0.13, -0.02)][i]
            t = ax_gs.text(x + off[0], y + off[1], f"{P[(i,)]:.3f}", ha="center",
                           va="center", fontsize=6.5)
            t.set_gid(f"P{(i,)}")
        centre = _TRIANGLE.mean(axis=0)
        for S in faces(3, dim=1):
            mid = _TRIANGLE[list(S)].mean(axis=0)
            pos = mid + 0.5 * (mid - centre) + np.array([0.0, -0.015])
            t = ax_gs.text(*pos, f"{P[S]:.3f}", ha="center", va="center", fontsize=6.5,
                           color="0.15")
            t.set_gid(f"P{S}")
        t = ax_gs.text(*centre, f"{P[(0, 1, 2)]:.3f}", ha="center", va="center",
                       fontsize=6.5, color="k",
                       bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none",
                             "alpha": 0.8})
        t.set_gid(f"P{(0, 1, 2)}")
        ax_gs.set_title("Gaussian-sparsemax: sparsemax$(X)$\nmass on edges and vertices")
        ax_gs.legend(
            [Line2D([], [], color=c_gs, marker=".", ls="none", ms=4),
             Line2D([], [], color="0.15", marker=".", ls="none", ms=4),
             Line2D([], [], color=c_gs, marker="o", mec="k", ls="none", ms=6)],
            ["interior", "on an edge", "on a vertex (area ∝ P)"], loc="lower center",
            ncol=3, fontsize=5.5, handletextpad=0.1, columnspacing=0.6, borderaxespad=0.0,
            title="numbers: the exact face probabilities", title_fontsize=5.5)
        ax_gs.set_ylim(-0.42, 1.0)

        dims = np.arange(3)
        exact_gs = [sum(p for S, p in P.items() if len(S) == d + 1) for d in dims]
        exact_ln = [0.0, 0.0, 1.0]
        freq_gs = [float(np.mean(nnz == d + 1)) for d in dims]
        freq_ln = [float(np.mean(np.count_nonzero(Y_ln, axis=1) == d + 1)) for d in dims]
        w = 0.38
        b1 = ax_bar.bar(dims - w / 2, exact_ln, w, color=c_ln, alpha=0.8,
                        label="Logistic-Normal")
        b2 = ax_bar.bar(dims + w / 2, exact_gs, w, color=c_gs, alpha=0.8,
                        label="Gaussian-sparsemax")
        for b, gid in ((b1, "bars-ln"), (b2, "bars-gs")):
            for patch in b.patches:
                patch.set_gid(gid)
        m1 = ax_bar.plot(dims - w / 2, freq_ln, "k_", ms=9, mew=1.2)[0]
        m2 = ax_bar.plot(dims + w / 2, freq_gs, "k_", ms=9, mew=1.2)[0]
        m1.set_gid("freq-ln")
        m2.set_gid("freq-gs")
        ax_bar.set_xticks(dims, ["0\nvertices", "1\nedges", "2\ninterior"])
        ax_bar.set_xlabel("face dimension")
        ax_bar.set_ylabel("probability")
        ax_bar.set_ylim(0, 1.05)
        ax_bar.set_title("mass per face dimension")
        handles = [b1, b2, Line2D([], [], color="k", marker="_", ls="none", ms=9, mew=1.2)]
        ax_bar.legend(handles, ["Logistic-Normal (exact)", "Gaussian-sparsemax (exact)",
                                f"fraction of {n_samples} samples"], loc="upper left",
                      fontsize=6)
        z = np.asarray(gs.loc)
        fig.suptitle("The same Gaussian scores $X \\sim \\mathcal{N}(z, \\Sigma)$, "
                     f"$z = ({z[0]:g}, {z[1]:g}, {z[2]:g})$, through softmax and sparsemax")
    return fig
