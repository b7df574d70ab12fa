r"""Metastable states: the distribution of final support sizes over queries.

A synthetic stand-in for the papers' MNIST experiment (no download): ``n_classes``
random ±1 prototypes in ``R^dim``; each stored pattern and each query is a prototype
plus Gaussian noise of standard deviation ``noise``, clipped to [-1, 1] (grey-level
"images" that form classes; continuous values, so that exact ties between patterns,
which integer-valued data would make common, have probability 0).

Every query is updated ``n_steps`` times with ``HopfieldNetwork.retrieve``; the
histogram shows the size of the support of the final ``ŷ_Ω(β X q)``
(``RetrievalResult.p``): 1 is a single retrieved pattern,
larger supports are metastable mixtures.  Softmax is dense, so its "support" is the
smallest number of its largest entries that hold 99 % of the mass (never 0: a
near-uniform softmax over 1000 patterns counts as ">10", where a cut-off of single
entries at 0.01 would count it as 0).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from hfy_reference import KSubsets

from . import style
from ._common import simplex_regularizers

__all__ = ["metastable", "clustered_patterns"]

#: Mass that the largest entries of a dense (softmax) output must hold to count as its
#: support.
SOFTMAX_MASS = 0.99


def mass_support_size(P: np.ndarray, mass: float = SOFTMAX_MASS) -> np.ndarray:
    """Per row: the smallest ``k`` such that the ``k`` largest entries sum to at least
    ``mass`` (at least 1)."""
    P = np.asarray(P, dtype=np.float64)
    c = np.cumsum(-np.sort(-P, axis=1), axis=1)
    return np.minimum(np.sum(c < mass * c[:, -1:], axis=1) + 1, P.shape[1])


def clustered_patterns(n: int, dim: int, n_classes: int, noise: float,
                       rng: np.random.Generator, prototypes: np.ndarray | None = None):
    """``(prototypes, samples)``: ``n`` samples in [-1, 1]^dim, each a random ±1
    prototype plus Gaussian noise (standard deviation ``noise``), clipped."""
    if prototypes is None:
        prototypes = rng.choice([-1.0, 1.0], size=(n_classes, dim))
    cls = rng.integers(0, prototypes.shape[0], size=n)
    samples = prototypes[cls] + noise * rng.standard_normal((n, dim))
    return prototypes, np.clip(samples, -1.0, 1.0)


def metastable(regs: Sequence | None = None, *, betas: Sequence[float] = (0.1, 1.0),
               n_patterns: int = 1000, n_queries: int = 500, dim: int = 64,
               n_classes: int = 10, noise: float = 1.0, n_steps: int = 5,
               max_size: int = 10, seed: int = 0) -> Figure:
    """Histograms of the final support sizes, one panel per β.

    Parameters
    ----------
    regs : sequence of Regularizer, optional
        Default: softmax, 1.5-entmax, sparsemax, 2-normmax, 5-normmax, SparseMAP
        2-subsets.
    betas : sequence of float
        Inverse temperatures, one panel each.
    n_patterns, n_queries, dim, n_classes, noise : synthetic data (see module doc).
    n_steps : int
        Updates per query.
    max_size : int
        Support sizes above it are pooled in the last bar.
    seed : int

    Returns
    -------
    matplotlib.figure.Figure
    """
    from hfy_reference.hopfield import HopfieldNetwork

    regs = list(simplex_regularizers() + [KSubsets(2)] if regs is None else regs)
    rng = np.random.default_rng(seed)
    protos, X = clustered_patterns(n_patterns, dim, n_classes, noise, rng)
    _, Q = clustered_patterns(n_queries, dim, n_classes, noise, rng, prototypes=protos)
    width = 0.8 / len(regs)

    with style.context():
        fig = style.new_figure(style.FULL, 2.6)
        axes = fig.subplots(1, len(betas), squeeze=False, sharey=True)[0]
        for ax, beta in zip(axes, betas, strict=True):
            supports = {}
            for reg in regs:
                net = HopfieldNetwork(X, reg, beta=beta)
                P = np.asarray(net.retrieve(Q, max_iter=n_steps).p)  # at the final state
                dense = reg.margin is None
                supports[reg] = (mass_support_size(P) if dense
                                 else np.count_nonzero(P, axis=1), dense)
            sizes = np.arange(1, max_size + 2)  # last bin: > max_size
            for k, reg in enumerate(regs):
                S, dense = supports[reg]
                counts = np.array([np.mean(S == s) for s in sizes[:-1]]
                                  + [np.mean(S > max_size)])
                lab = reg.label + (f" (entries holding {100 * SOFTMAX_MASS:g} % of mass)"
                                   if dense else "")
                ax.bar(sizes + (k - (len(regs) - 1) / 2) * width, 100 * counts, width=width,
                       color=style.map_color(reg), label=lab, lw=0)
            ax.set_xticks(sizes, [str(s) for s in sizes[:-1]] + [f">{max_size}"])
            ax.set_xlabel(r"support size of the final $\hat{y}_\Omega(\beta X q)$")
            ax.set_title(f"$\\beta = {beta:g}$")
            ax.grid(True, axis="y")
        axes[0].set_ylabel("queries (%)")
        axes[-1].legend(loc="upper right")
        fig.suptitle(f"Metastable states: support sizes after {n_steps} updates "
                     f"({n_queries} queries, {n_patterns} stored patterns in "
                     f"$\\mathbb{{R}}^{{{dim}}}$, {n_classes} classes)")
    return fig
