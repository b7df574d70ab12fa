r"""2-D q-Gaussians: contours of the α-entmax density of a quadratic score.

For :math:`f(t) = -\tfrac12 (t-\mu)^\top\Sigma^{-1}(t-\mu)` with a correlated Σ, the
density's contours are the ellipses of Σ; for α > 1 the support is the ellipse
:math:`r = R` (drawn), outside of which the density is exactly 0.  A few draws of the
sampler are overlaid.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from hfy_reference.continuous import EntmaxGaussian

from . import style

__all__ = ["qgaussian_contours"]

_SIGMA = np.array([[1.0, 0.6], [0.6, 0.7]])
_MU = np.array([0.0, 0.0])


def qgaussian_contours(alphas: Sequence[float] = (1.0, 1.5, 2.0), *, n_grid: int = 241,
                       n_draws: int = 300, seed: int = 0) -> Figure:
    """Contours of 2-D α-entmax densities (one panel per α), support ellipse and draws.

    Parameters
    ----------
    alphas : sequence of float
    n_grid : int
        Grid points per axis on ``[−3, 3]²``.
    n_draws : int
        Sampler draws shown as dots.
    seed : int

    Returns
    -------
    matplotlib.figure.Figure
        One panel per α: filled contours of the density (same levels in every panel),
        the support boundary (gid ``"support"``) and draws.
    """
    g = np.linspace(-3.0, 3.0, n_grid)
    X, Y = np.meshgrid(g, g)
    pts = np.stack([X, Y], axis=-1)
    dens = [EntmaxGaussian(_MU, _SIGMA, a) for a in alphas]
    Z = [d.pdf(pts) for d in dens]
    top = max(float(z.max()) for z in Z)
    # the lowest band starts just above 0, so that the whole support is filled and the
    # region where the density is exactly 0 stays white
    levels = np.concatenate([[np.finfo(float).tiny], np.linspace(0.0, top, 12)[1:]])
    with style.context():
        fig = style.new_figure(style.FULL, 2.55)
        axes = fig.subplots(1, len(alphas), sharey=True)
        axes = np.atleast_1d(axes)
        for i, (ax, d, z) in enumerate(zip(axes, dens, Z, strict=True)):
            cs = ax.contourf(X, Y, np.where(z > 0, z, np.nan), levels=levels, cmap="YlGnBu")
            if d.alpha > 1:
                th = np.linspace(0, 2 * np.pi, 400)
                L = np.linalg.cholesky(_SIGMA)
                e = (L @ np.stack([np.cos(th), np.sin(th)])) * d.support_radius
                ax.plot(e[0] + _MU[0], e[1] + _MU[1], color="k", lw=1.0, gid="support",
                        label=r"support boundary $r = R$")
            x = d.rvs(n_draws, random_state=seed)
            ax.plot(x[:, 0], x[:, 1], ".", ms=1.6, color="#D55E00", alpha=0.8,
                    label=f"{n_draws} draws")
            ax.set_aspect("equal")
            ax.set_xlim(g[0], g[-1])
            ax.set_ylim(g[0], g[-1])
            name = {1.0: "1 (Gaussian)", 1.5: "3/2", 2.0: "2 (continuous sparsemax)"}.get(
                d.alpha, f"{d.alpha:g}")
            ax.set_title(rf"$\alpha$ = {name}")
            ax.set_xlabel(r"$t_1$")
            if i == 0:
                ax.set_ylabel(r"$t_2$")
            style.panel_label(ax, f"({chr(97 + i)})")
        axes[-1].legend(loc="lower right", fontsize=6.5)
        cb = fig.colorbar(cs, ax=list(axes), shrink=0.85, label="density")
        cb.ax.yaxis.set_major_formatter("{x:.2f}")
        fig.suptitle(r"2-D $q$-Gaussians: $\alpha$-entmax of "
                     r"$f(t) = -\frac{1}{2}(t-\mu)^\top\Sigma^{-1}(t-\mu)$, "
                     r"$\Sigma = [[1, 0.6], [0.6, 0.7]]$")
    return fig
