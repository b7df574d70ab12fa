r"""1-D α-entmax densities of a quadratic score (the talk's "Sparse and Continuous").

The α-entmax density of :math:`f(t) = -t^2/2` is the q-Gaussian (q = 2 − α)
:math:`p(t) = [(\alpha-1)f(t) - \tau]_+^{1/(\alpha-1)}`: the standard Gaussian at
α = 1, a truncated parabola at α = 2; for α > 1 its support is :math:`[-R, R]`, marked.
Right: draws of the Beta + sphere sampler against the density.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from hfy_reference.continuous import EntmaxGaussian

from . import style

__all__ = ["continuous_densities", "ALPHAS"]

#: The α of the talk's figure.
ALPHAS = (1.0, 4 / 3, 1.5, 2.0, 3.0)
_NAMES = {1.0: ("1", "softmax"), 4 / 3: ("4/3", None), 1.5: ("3/2", "1.5-entmax"),
          2.0: ("2", "sparsemax"), 3.0: ("3", "3-entmax")}


def _label_color(alpha: float) -> tuple[str, str]:
    name, map_name = _NAMES.get(alpha, (f"{alpha:g}", None))
    label = rf"$\alpha$ = {name}" + (f" ({map_name})" if map_name else "")
    return label, style.map_color(map_name or f"{alpha:g}-entmax")


def continuous_densities(alphas: Sequence[float] = ALPHAS, *, n_points: int = 1201,
                         n_draws: int = 200_000, sampler_alpha: float = 2.0,
                         seed: int = 0) -> Figure:
    """α-entmax densities of ``f(t) = −t²/2`` and a check of the sampler.

    Parameters
    ----------
    alphas : sequence of float
        α ≥ 1 of the curves.
    n_points : int
        Points per curve on ``[−3.2, 3.2]``.
    n_draws : int
        Draws for the histogram of the right panel.
    sampler_alpha : float
        α of the right panel.
    seed : int

    Returns
    -------
    matplotlib.figure.Figure
        (a) the densities, support ends dotted (gid ``"support"``); (b) a histogram of
        ``EntmaxGaussian.rvs`` draws with the density on top.
    """
    t = np.linspace(-3.2, 3.2, n_points)
    with style.context():
        fig = style.new_figure(style.FULL, 2.5)
        ax, ax2 = fig.subplots(1, 2, width_ratios=[1.6, 1.0])
        for a in alphas:
            p = EntmaxGaussian(0.0, 1.0, a)
            label, c = _label_color(a)
            ax.plot(t, p.pdf(t), color=c, label=label)
            if a > 1:
                for s in (-1.0, 1.0):
                    ax.axvline(s * p.support_radius, color=c, lw=0.7, ls=":", gid="support")
        ax.set_xlabel(r"$t$")
        ax.set_ylabel(r"density $\hat p_{\Omega_\alpha}[f](t)$")
        ax.set_title(r"$\alpha$-entmax of $f(t) = -t^2/2$ (dotted: support ends $\pm R$)")
        ax.set_xlim(t[0], t[-1])
        ax.set_ylim(0, None)
        ax.legend(loc="upper right")
        style.panel_label(ax, "(a)")

        p = EntmaxGaussian(0.0, 1.0, sampler_alpha)
        x = p.rvs(n_draws, random_state=seed)[:, 0]
        R = p.support_radius
        bins = np.linspace(-1.1 * R, 1.1 * R, 45)
        label, c = _label_color(sampler_alpha)
        ax2.hist(x, bins=bins, density=True, color=c, alpha=0.35,
                 label=f"{n_draws:,} draws (Beta + sphere)")
        tt = np.linspace(-1.1 * R, 1.1 * R, 400)
        ax2.plot(tt, p.pdf(tt), color=c, label="density")
        ax2.set_xlabel(r"$t$")
        ax2.set_ylabel("density")
        ax2.set_title(f"sampler, {label}")
        ax2.set_ylim(0, 1.35 * float(p.pdf(0.0)))
        ax2.legend(loc="upper center", fontsize=6.5)
        style.panel_label(ax2, "(b)")
        fig.suptitle(r"Continuous $\alpha$-entmax: $q$-Gaussians ($q = 2-\alpha$), "
                     r"compact support for $\alpha > 1$")
    return fig
