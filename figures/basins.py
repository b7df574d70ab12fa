r"""Basins of attraction of 2-D Hopfield-Fenchel-Young networks.

Every query of a grid is iterated with ``HopfieldNetwork.retrieve`` and coloured by the
pattern it reaches (``‖q - x_j‖ < 10⁻³``), white where it ends anywhere else (a mixture
of patterns: a metastable state).  Columns: softmax, 1.5-entmax, sparsemax, 2-normmax,
5-normmax.  Rows: the patterns (-1,-1), (-1,1), (1,-1) and seeded random sets, normalized
to unit norm, with the plain update (Ψ = ½‖·‖²); then the first random set with the
ℓ2-normalization Ψ and with layer normalization.

Layer normalization of a 2-D vector has only two possible values, so its row is computed
in ``R³``: the patterns are placed in the plane ``Σq = 0`` (an orthonormal basis of it
times ``√3``, which makes them layer-normalized: zero mean, unit biased standard
deviation) and so are the queries; the panel shows that plane in units of ``√3``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from . import style
from ._common import simplex_regularizers
from ._patterns import pattern_sets

__all__ = ["basins", "basin_labels", "TOLERANCE"]

#: A query has reached pattern j when its final state is this close to x_j.
TOLERANCE = 1e-3

_POSTS = {
    None: r"$\Psi = \frac{1}{2}\|\cdot\|^2$",
    "l2": r"$\Psi$: $\ell_2$ ball (normalization)",
    "layernorm": r"$\Psi$: layer norm ($D = 3$)",
}


def basin_labels(final: np.ndarray, X: np.ndarray, tol: float = TOLERANCE) -> np.ndarray:
    """``j + 1`` where row ``i`` of ``final`` is within ``tol`` of pattern ``x_j``, 0
    where it is close to none (patterns are farther than ``2 tol`` apart)."""
    d = np.linalg.norm(final[:, None, :] - X[None, :, :], axis=-1)
    near = d < tol
    return np.where(near.any(axis=1), np.argmax(near, axis=1) + 1, 0)


def _plane_basis() -> np.ndarray:
    """Orthonormal basis (3 × 2) of the plane ``{q ∈ R³ : Σq = 0}``."""
    return np.array([[1.0, -1.0, 0.0], [1.0, 1.0, -2.0]]).T / np.array([np.sqrt(2.0),
                                                                        np.sqrt(6.0)])


def basins(regs: Sequence | None = None, *, beta: float = 10.0, n_random: int = 2,
           posts: Sequence = ("l2", "layernorm"), post_set: int = 1, n_grid: int = 121,
           max_iter: int = 50,
           extent: float = 1.25, seed: int = 42) -> Figure:
    """Basins of attraction of the 2-D networks.

    Parameters
    ----------
    regs : sequence of Regularizer, optional
        Columns; default softmax, 1.5-entmax, sparsemax, 2-normmax, 5-normmax.
    beta : float
        Inverse temperature (10, as in the papers' figure).
    n_random : int
        Seeded random sets (5 patterns each) after the fixed one, plain update.
    posts : sequence of {"l2", "layernorm"}
        Post-transformation variants, each a row on the pattern set ``post_set``.
    post_set : int
        Index of the pattern set of the post-transformation rows (0 = the fixed set,
        1 = the first random set; default 1, where the maps differ).  With the fixed
        set, sparse maps reach ``p = (0, ½, ½)`` on the diagonal, where the retrieved
        vector ``X^T p`` is 0 and the ℓ2 post-transformation is set-valued: the library
        raises ``ValueError`` for the whole batch.
    n_grid : int
        ``n_grid²`` queries on ``[-extent, extent]²``.
    max_iter : int
        Updates per query (``HopfieldNetwork.retrieve(q0, max_iter)``).
    extent : float
    seed : int

    Returns
    -------
    matplotlib.figure.Figure
        Each panel's image holds the basin labels (0 = none, j = pattern j).
    """
    from hfy_reference.hopfield import HopfieldNetwork

    regs = list(simplex_regularizers() if regs is None else regs)
    sets = pattern_sets(n_random, seed=seed)
    ps = min(post_set, len(sets) - 1)
    rows = [(name, X, None) for name, X in sets] + [(sets[ps][0], sets[ps][1], p)
                                                     for p in posts]
    g = np.linspace(-extent, extent, n_grid)
    G1, G2 = np.meshgrid(g, g)
    Q2 = np.column_stack([G1.ravel(), G2.ravel()])
    n_max = max(X.shape[0] for _, X, _ in rows)
    colors = ["white"] + style.PATTERN_COLORS[:n_max]
    cmap = ListedColormap(colors)

    with style.context():
        nrows, ncols = len(rows), len(regs)
        fig = style.new_figure(style.FULL, 1.3 * nrows + 0.6)
        axes = fig.subplots(nrows, ncols, squeeze=False, sharex=True, sharey=True)
        for r, (set_name, X2, post) in enumerate(rows):
            if post == "layernorm":
                B = np.sqrt(3.0) * _plane_basis()
                X, Q = X2 @ B.T, Q2 @ B.T
            else:
                X, Q = X2, Q2
            for c, reg in enumerate(regs):
                ax = axes[r, c]
                net = HopfieldNetwork(X, reg, beta=beta, post=post)
                res = net.retrieve(Q, max_iter=max_iter)
                lab = basin_labels(np.asarray(res.q), X).reshape(G1.shape)
                ax.imshow(lab, origin="lower", extent=(-extent, extent, -extent, extent),
                          cmap=cmap, vmin=-0.5, vmax=n_max + 0.5, interpolation="nearest")
                for j, x in enumerate(X2):
                    ax.plot(*x, "s", mfc=style.PATTERN_COLORS[j], mec="black", mew=0.8,
                            ms=4.5)
                ax.set_aspect("equal")
                ax.set_xlim(-extent, extent)
                ax.set_ylim(-extent, extent)
                if r == 0:
                    ax.set_title(reg.label, color=style.map_color(reg))
                if r == nrows - 1:
                    ax.set_xlabel(r"$q_1$")
                if c == 0:
                    ax.set_ylabel(f"{set_name}\n{_POSTS[post]}\n" + r"$q_2$", fontsize=6.5)
        handles = [Line2D([], [], ls="", marker="s", mfc="0.85", mec="black",
                          label="pattern $x_j$ (basin in its colour)"),
                   Patch(facecolor="white", edgecolor="0.4", lw=0.5,
                         label=f"no single pattern within {TOLERANCE:g} (mixture / metastable)")]
        fig.legend(handles=handles, loc="outside lower center", ncol=2)
        fig.suptitle(f"Basins of attraction, $\\beta = {beta:g}$, unit-norm patterns, "
                     f"{max_iter} updates $q_{{t+1}} = \\hat{{y}}_\\Psi(X^\\top"
                     r"\hat{y}_\Omega(\beta X q_t))$")
    return fig
