r"""Continuous attention over a 1-D signal: continuous softmax vs continuous sparsemax.

A signal sampled at L points of [0, 1] is represented with J Gaussian RBFs
:math:`\psi_j` (ridge regression gives the value coefficients :math:`b_j`).  A query's
density p over [0, 1] -- the α-entmax density of :math:`f(t) = -(t-\mu)^2/(2\sigma^2)`,
α = 1 (softmax, a Gaussian) or α = 2 (sparsemax, a truncated parabola) with the same
(μ, σ²) -- gives the context :math:`c = \sum_j b_j E_p[\psi_j(t)] = E_p[\hat s(t)]`
[MFT20].  Sparsemax attends only to the window :math:`[\mu \pm \sigma R]`: the basis
functions far from it get (almost) no weight.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from hfy_reference.continuous import EntmaxGaussian, GaussianRBF, attention

from . import style

__all__ = ["continuous_attention", "demo_signal"]


def demo_signal(n: int = 200, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A seeded 1-D signal on [0, 1]: two bumps on a slow oscillation plus noise."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0.0, 1.0, n)
    s = (0.6 * np.sin(2 * np.pi * 2.0 * t) + 1.2 * np.exp(-0.5 * ((t - 0.62) / 0.04) ** 2)
         - 0.8 * np.exp(-0.5 * ((t - 0.25) / 0.06) ** 2) + 0.08 * rng.standard_normal(n))
    return t, s


def continuous_attention(*, mu: float = 0.6, sigma2: float = 0.004, n_basis: int = 32,
                         n_samples: int = 200, ridge: float = 1e-3,
                         seed: int = 0) -> Figure:
    """Continuous softmax and sparsemax attention over a 1-D signal.

    Parameters
    ----------
    mu, sigma2 : float
        The query's score ``f(t) = −(t − μ)²/(2σ²)`` (shared by both densities).
    n_basis : int
        Number J of RBFs (centres evenly on [0, 1], widths 1.5/J).
    n_samples : int
        Length L of the signal.
    ridge : float
        Ridge penalty of the value regression.
    seed : int

    Returns
    -------
    matplotlib.figure.Figure
        (a) the signal, its RBF reconstruction and the contexts; (b) the two densities
        over [0, 1]; (c) the attention weights ``E_p[ψ_j]`` per basis function.
    """
    t, s = demo_signal(n_samples, seed)
    rbf = GaussianRBF(np.linspace(0.0, 1.0, n_basis), 1.5 / n_basis)
    Psi = rbf(t)  # (L, J)
    B = np.linalg.solve(Psi.T @ Psi + ridge * np.eye(n_basis), Psi.T @ s)
    fine = np.linspace(0.0, 1.0, 800)
    recon = rbf(fine) @ B
    maps = [(1.0, "softmax"), (2.0, "sparsemax")]
    with style.context():
        fig = style.new_figure(style.FULL, 2.6)
        ax_s, ax_p, ax_w = fig.subplots(1, 3, width_ratios=[1.3, 1.0, 1.0])
        ax_s.plot(t, s, ".", ms=2.0, color="#888888", label="signal $s(t_i)$")
        ax_s.plot(fine, recon, color="k", lw=1.0,
                  label=rf"RBF fit $\hat s = \sum_j b_j\psi_j$ (J = {n_basis})")
        for a, name in maps:
            c = style.map_color(name)
            r = attention(mu, sigma2, a, rbf)
            ctx = float(B @ r)
            p = EntmaxGaussian(mu, sigma2, a)
            ax_s.axhline(ctx, color=c, lw=1.0, ls="--", label=f"context $c$ ({name})")
            ax_p.plot(fine, p.pdf(fine), color=c, label=name)
            if a > 1:
                half = np.sqrt(sigma2) * p.support_radius
                ax_p.axvspan(mu - half, mu + half, color=c, alpha=0.12, lw=0,
                             label="sparsemax support")
            ax_w.plot(rbf.centers, r, "o-", ms=2.5, lw=0.9, color=c, label=name)
        ax_s.set_xlabel(r"$t$")
        ax_s.set_ylabel("value")
        ax_s.set_title("signal, RBF values and contexts")
        lo, hi = float(np.min(s)), float(np.max(s))
        ax_s.set_ylim(lo - 0.05 * (hi - lo), hi + 0.75 * (hi - lo))  # room for the legend
        ax_s.legend(loc="upper left", fontsize=6, ncol=1)
        ax_p.set_xlabel(r"$t$")
        ax_p.set_ylabel(r"density $p(t)$")
        ax_p.set_title(rf"densities, $\mu$ = {mu:g}, $\sigma^2$ = {sigma2:g}")
        ax_p.legend(loc="upper left", fontsize=6.5)
        ax_p.set_xlim(0, 1)
        ax_p.set_ylim(0, None)
        ax_w.set_xlabel(r"basis centre $c_j$")
        ax_w.set_ylabel(r"weight $E_p[\psi_j(t)]$")
        ax_w.set_title("attention over basis functions")
        ax_w.legend(loc="upper left", fontsize=6.5)
        for ax, lab in zip((ax_s, ax_p, ax_w), "abc", strict=True):
            style.panel_label(ax, f"({lab})")
        fig.suptitle("Continuous attention over a 1-D signal: continuous softmax "
                     r"($\alpha$ = 1) vs continuous sparsemax ($\alpha$ = 2)")
    return fig
