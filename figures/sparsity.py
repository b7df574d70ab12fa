r"""Sparsity against the inverse temperature β.

For random scores ``z ~ N(0, I_N)``: the support size of :math:`\hat y_\Omega(\beta z)`
(mean over the draws) and the fraction of one-hot outputs,
against β.  The support only shrinks as β grows (math §6, T8); an output is one-hot exactly
when ``β (z_(1) - z_(2)) ≥ m``, so the one-hot curves are ordered by the margin ``m``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from . import style
from ._common import simplex_regularizers

__all__ = ["sparsity"]


def sparsity(regs: Sequence | None = None, *, n: int = 100, n_draws: int = 500,
             betas: Sequence[float] | None = None, seed: int = 0) -> Figure:
    """Support size and one-hot frequency of the maps against β.

    Parameters
    ----------
    regs : sequence of Regularizer, optional
        Default: softmax, 1.5-entmax, sparsemax, 2-normmax, 5-normmax.
    n : int
        Number of scores.
    n_draws : int
        Score vectors drawn (``z ~ N(0, I_n)``, seeded).
    betas : sequence of float, optional
        Inverse temperatures; default 61 values log-spaced in ``[0.1, 100]`` (an upper
        end where softmax does not underflow to exact zeros).
    seed : int

    Returns
    -------
    matplotlib.figure.Figure
        Two panels: (a) mean support size, (b) fraction
        of one-hot outputs.
    """
    regs = list(simplex_regularizers() if regs is None else regs)
    betas = np.logspace(-1, 2, 61) if betas is None else np.asarray(betas, dtype=float)
    rng = np.random.default_rng(seed)
    Z = rng.standard_normal((n_draws, n))
    B = betas[:, None, None] * Z[None, :, :]  # (n_beta, n_draws, n)

    with style.context():
        fig = style.new_figure(style.FULL, 2.5)
        ax_s, ax_o = fig.subplots(1, 2)
        # maps with equal margins have equal one-hot curves (theory): every curve is
        # solid; the later maps of a margin are thinner, with open markers every few
        # points, so that all stay visible and each legend matches its own panel
        first: dict = {}
        for reg in regs:
            c = style.map_color(reg)
            S = np.count_nonzero(reg.argmax(B), axis=-1)  # (n_beta, n_draws)
            ax_s.plot(betas, S.mean(axis=1), color=c, label=reg.label)
            k = len(first.setdefault(reg.margin, []))
            first[reg.margin].append(reg)
            label = _margin_label(reg)
            if k:
                label += f": same as {first[reg.margin][0].label} by theory"
            ax_o.plot(betas, np.mean(S == 1, axis=1), color=c, ls="-",
                      lw=1.3 if k == 0 else 0.7, marker=("", "s", "^", "D")[min(k, 3)],
                      mfc="none", ms=3.0 + k, markevery=(2 * k, 6), label=label,
                      zorder=2 + k)
        ax_s.set_xscale("log")
        ax_s.set_yscale("log")
        ax_s.set_xlabel(r"inverse temperature $\beta$")
        ax_s.set_ylabel(r"support size $|\mathrm{supp}\,\hat{y}_\Omega(\beta z)|$")
        ax_s.set_title(f"(a) mean support size, $N = {n}$")
        ax_s.set_ylim(0.8, n * 1.25)
        ax_s.grid(True, which="major")
        ax_s.legend(loc="lower left")
        ax_o.set_xscale("log")
        ax_o.set_xlabel(r"inverse temperature $\beta$")
        ax_o.set_ylabel("fraction of one-hot outputs")
        ax_o.set_ylim(-0.02, 1.02)
        ax_o.set_title(r"(b) one-hot: $\beta\,(z_{(1)} - z_{(2)}) \geq m$")
        ax_o.grid(True, which="major")
        ax_o.legend(loc="upper left")
        fig.suptitle(f"Sparsity against $\\beta$ for scores $z \\sim \\mathcal{{N}}(0, I_{{{n}}})$"
                     f" ({n_draws} draws)")
    return fig


def _margin_label(reg) -> str:
    m = reg.margin
    return f"{reg.label} (no margin)" if m is None else f"{reg.label} ($m = {m:g}$)"
