r"""Basins of attraction of 2-D Hopfield-Fenchel-Young networks.

Every query of a grid is iterated with ``HopfieldNetwork.retrieve`` and coloured by
the *attractor* it reaches, read off the final attention ``p = ŷ_Ω(βXq)``:

* the colour of pattern ``x_j``: exact retrieval, ``p = e_j`` (only sparse maps);
* a light tint of that colour: approximate retrieval, ``p_j ≥ 0.9`` but ``p ≠ e_j``
  (softmax never retrieves exactly);
* dark grey: a uniform average of two or more patterns (every entry of ``p`` above
  ``10⁻³`` equal to the others within ``10⁻³``, the rest summing to at most ``10⁻³``);
* white: any other mixture (a metastable state).

Columns: two families at growing α, so that the talk's point can be seen: as α grows,
α-entmax (softmax = 1, 1.5, sparsemax = 2, 4) converges to single patterns more often,
α-normmax (2, 5, 10) to uniform averages of several.  Rows: the patterns (-1,-1),
(-1,1), (1,-1) and seeded random sets, normalized to unit norm, with the plain update
(Ψ = ½‖·‖²); then the first random set with norms from 0.5 to 1.5, with the plain
update and with the ℓ2-normalization Ψ at β = 3 (on unit-norm patterns, or at β = 10,
the ℓ2 ball changes under 3 % of the basins, so the rows would look identical); last,
layer normalization.

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
from ._patterns import pattern_sets

__all__ = ["basins", "basin_labels", "attractor_labels", "default_maps", "TOLERANCE",
           "APPROXIMATE", "UNIFORM_COLOR"]

#: A query has reached pattern j when its final state is this close to x_j
#: (:func:`basin_labels`); also the resolution of the uniform-average test.
TOLERANCE = 1e-3
#: Attention on one pattern from which a non-exact final state counts as its approximate
#: retrieval.
APPROXIMATE = 0.9
#: Fill of the queries that end at a uniform average of several patterns.
UNIFORM_COLOR = "#5a5a5a"


def default_maps() -> list:
    """The columns: α-entmax for α = 1 (softmax), 1.5, 2 (sparsemax), 4, and α-normmax
    for α = 2, 5, 10."""
    from hfy_reference import NormEntropy, Tsallis
    from hfy_reference.regularizers import Shannon

    return [Shannon(), Tsallis(1.5), Tsallis(2.0), Tsallis(4.0), NormEntropy(2.0),
            NormEntropy(5.0), NormEntropy(10.0)]


def attractor_labels(p: np.ndarray, tol: float = TOLERANCE,
                     approximate: float = APPROXIMATE) -> np.ndarray:
    """Classify final attentions ``p`` (rows, shape ``(B, N)``) into the figure's codes.

    ``j + 1``: exact retrieval of pattern ``j`` (``p = e_j`` exactly); ``N + j + 1``:
    approximate retrieval (``p_j >= approximate``, not exact); ``2N + 1``: a uniform
    average of two or more patterns (the entries above ``tol`` are equal within ``tol``
    and the others sum to at most ``tol``); ``0``: any other mixture.
    """
    p = np.asarray(p, dtype=np.float64)
    n = p.shape[1]
    j = np.argmax(p, axis=1)
    top = p[np.arange(p.shape[0]), j]
    exact = (top == 1.0) & (np.count_nonzero(p, axis=1) == 1)
    active = p > tol
    k = active.sum(axis=1)
    hi = np.where(active, p, -np.inf).max(axis=1)
    lo = np.where(active, p, np.inf).min(axis=1)
    rest = np.where(active, 0.0, p).sum(axis=1)
    uniform = (k >= 2) & (hi - lo <= tol) & (rest <= tol)
    out = np.zeros(p.shape[0], dtype=np.int64)
    out[uniform] = 2 * n + 1
    approx = ~exact & ~uniform & (top >= approximate)
    out[approx] = n + j[approx] + 1
    out[exact] = j[exact] + 1
    return out

_POSTS = {
    None: r"$\Psi = \frac{1}{2}\|\cdot\|^2$",
    "plain-scaled": r"$\Psi = \frac{1}{2}\|\cdot\|^2$, norms 0.5–1.5",
    "l2": r"$\Psi$: $\ell_2$ ball, norms 0.5–1.5",
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


def _tint(color: str, amount: float = 0.55) -> tuple:
    """``color`` mixed with white (``amount`` of white)."""
    from matplotlib.colors import to_rgb

    return tuple(c + (1.0 - c) * amount for c in to_rgb(color))


#: Norms of the rescaled pattern set of the Ψ rows.
SCALED_NORMS = (0.5, 0.75, 1.0, 1.25, 1.5)


def basins(regs: Sequence | None = None, *, beta: float = 10.0, n_random: int = 2,
           posts: Sequence = ("plain-scaled", "l2", "layernorm"), post_set: int = 1,
           post_beta: float = 3.0, n_grid: int = 121, max_iter: int = 50,
           extent: float = 1.25, seed: int = 42) -> Figure:
    """Basins of attraction of the 2-D networks.

    Parameters
    ----------
    regs : sequence of Regularizer, optional
        Columns; default :func:`default_maps` (α-entmax at α = 1, 1.5, 2, 4 and
        α-normmax at α = 2, 5, 10).
    beta : float
        Inverse temperature (10, as in the papers' figure).
    n_random : int
        Seeded random sets (5 patterns each) after the fixed one, plain update.
    posts : sequence of {"plain-scaled", "l2", "layernorm"}
        Extra rows on the pattern set ``post_set``: ``"plain-scaled"`` and ``"l2"``
        rescale its patterns to the norms :data:`SCALED_NORMS` (plain update, and the
        ℓ2-normalization Ψ), ``"layernorm"`` embeds it in ``R³`` (see the module).
    post_beta : float
        Inverse temperature of the ``"plain-scaled"`` and ``"l2"`` rows (default 3:
        at β = 10 these two rows differ on under 1 % of the queries, at β = 3 on up to
        70 %, so the effect of the normalization can be seen).
    post_set : int
        Index of the pattern set of the extra rows (0 = the fixed set, 1 = the first
        random set; default 1, where the maps differ).  With the fixed set, sparse maps
        reach ``p = (0, ½, ½)`` on the diagonal, where the retrieved vector ``X^T p`` is
        0 and the ℓ2 post-transformation is set-valued: the library raises
        ``ValueError`` for the whole batch.
    n_grid : int
        ``n_grid²`` queries on ``[-extent, extent]²``.
    max_iter : int
        Updates per query (``HopfieldNetwork.retrieve(q0, max_iter)``).
    extent : float
    seed : int

    Returns
    -------
    matplotlib.figure.Figure
        Each panel's image holds the codes of :func:`attractor_labels` (0 other
        mixture, ``j`` exact retrieval of pattern ``j``, ``N + j`` approximate,
        ``2N + 1`` uniform average; ``N`` the largest pattern count of the figure).
    """
    from hfy_reference.hopfield import HopfieldNetwork

    regs = list(default_maps() if regs is None else regs)
    sets = pattern_sets(n_random, seed=seed)
    ps = min(post_set, len(sets) - 1)
    scaled = sets[ps][1] * np.asarray(SCALED_NORMS[:len(sets[ps][1])])[:, None]
    rows = [(name, X, None) for name, X in sets]
    for post in posts:
        X = scaled if post in ("plain-scaled", "l2") else sets[ps][1]
        rows.append((sets[ps][0], X, post))
    g = np.linspace(-extent, extent, n_grid)
    G1, G2 = np.meshgrid(g, g)
    Q2 = np.column_stack([G1.ravel(), G2.ravel()])
    n_max = max(X.shape[0] for _, X, _ in rows)
    pcol = style.PATTERN_COLORS[:n_max]
    cmap = ListedColormap(["white"] + pcol + [_tint(c) for c in pcol] + [UNIFORM_COLOR])

    with style.context():
        nrows, ncols = len(rows), len(regs)
        fig = style.new_figure(style.FULL, 1.08 * nrows + 0.9)
        axes = fig.subplots(nrows, ncols, squeeze=False, sharex=True, sharey=True)
        for r, (set_name, X2, post) in enumerate(rows):
            if post == "layernorm":
                B = np.sqrt(3.0) * _plane_basis()
                X, Q = X2 @ B.T, Q2 @ B.T
            else:
                X, Q = X2, Q2
            n = X.shape[0]
            for c, reg in enumerate(regs):
                ax = axes[r, c]
                b = post_beta if post in ("plain-scaled", "l2") else beta
                net = HopfieldNetwork(X, reg, beta=b,
                                      post=None if post == "plain-scaled" else post)
                res = net.retrieve(Q, max_iter=max_iter)
                code = attractor_labels(np.asarray(res.p))
                # codes of this panel (n patterns) onto the figure's (n_max) colours
                lab = np.where((code > n) & (code <= 2 * n), code - n + n_max, code)
                lab = np.where(code == 2 * n + 1, 2 * n_max + 1, lab).reshape(G1.shape)
                ax.imshow(lab, origin="lower", extent=(-extent, extent, -extent, extent),
                          cmap=cmap, vmin=-0.5, vmax=2 * n_max + 1.5,
                          interpolation="nearest")
                if post == "l2":  # where the normalized states live
                    t = np.linspace(0.0, 2.0 * np.pi, 200)
                    ax.plot(np.cos(t), np.sin(t), ls=(0, (2, 2)), lw=0.5, color="0.3")
                for j, x in enumerate(X2):
                    ax.plot(*x, "s", mfc=style.PATTERN_COLORS[j], mec="black", mew=0.7,
                            ms=3.8)
                ax.set_aspect("equal")
                ax.set_xlim(-extent, extent)
                ax.set_ylim(-extent, extent)
                ax.set_xticks([-1, 0, 1])
                ax.set_yticks([-1, 0, 1])
                if r == 0:
                    ax.set_title(reg.label, color=style.map_color(reg), fontsize=8)
                if r == nrows - 1:
                    ax.set_xlabel(r"$q_1$")
                if c == 0:
                    name = "fixed set" if set_name.startswith("$(") else set_name
                    b = post_beta if post in ("plain-scaled", "l2") else beta
                    ax.set_ylabel(f"{name}, $\\beta = {b:g}$\n{_POSTS[post]}\n"
                                  + r"$q_2$", fontsize=7)
        handles = [Line2D([], [], ls="", marker="s", mfc="0.85", mec="black",
                          label="pattern $x_j$"),
                   Patch(facecolor=pcol[0], edgecolor="0.4", lw=0.5,
                         label="exact retrieval of $x_j$ ($p = e_j$)"),
                   Patch(facecolor=_tint(pcol[0]), edgecolor="0.4", lw=0.5,
                         label=f"approximate ($p_j \\geq {APPROXIMATE:g}$)"),
                   Patch(facecolor=UNIFORM_COLOR, edgecolor="0.4", lw=0.5,
                         label=r"uniform average of $\geq 2$ patterns"),
                   Patch(facecolor="white", edgecolor="0.4", lw=0.5,
                         label="other mixture (metastable)")]
        fig.legend(handles=handles, loc="outside lower center", ncol=5,
                   handlelength=1.2, columnspacing=0.8)
        fig.suptitle("Basins of attraction, "
                     f"{max_iter} updates $q_{{t+1}} = \\hat{{y}}_\\Psi(X^\\top"
                     r"\hat{y}_\Omega(\beta X q_t))$: as $\alpha$ grows, entmax "
                     "retrieves single patterns more often, normmax uniform averages")
    return fig
