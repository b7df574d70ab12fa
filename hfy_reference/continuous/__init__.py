r"""Continuous sparse distributions: α-entmax densities over ℝᴰ and continuous attention.

The Ω-regularized prediction map extended from the simplex to densities,
:math:`\hat p_\Omega[f] = \operatorname{argmax}_p E_p[f(t)] - \Omega(p)`, with the
Tsallis α-entropy (α ≥ 1):

* :class:`EntmaxGaussian` -- the α-entmax density of a quadratic score (multivariate
  q-Gaussian, q = 2 − α): pdf, sampling, moments, τ, normalizer, entropy, Ω, all in
  closed form; :class:`QuadraticScore`, :func:`fy_loss`, :func:`fy_loss_grad`,
  :func:`wasserstein2`.
* :func:`attention` with :class:`GaussianRBF` -- continuous attention in 1-D: the
  context :math:`E_p[\psi(t)]` and its Jacobian w.r.t. (μ, σ²).
* :mod:`hfy_reference.continuous.slow` -- the 1-D Ω-RPM for any score on an interval
  (τ by root finding, integrals by quadrature): the independent slow path.

See ``docs/continuous.md`` for the derivations and the measured accuracy.
"""

from ._qgaussian import EntmaxGaussian, QuadraticScore, fy_loss, fy_loss_grad, wasserstein2
from .attention import GaussianRBF, attention, integer_beta

__all__ = [
    "EntmaxGaussian",
    "QuadraticScore",
    "fy_loss",
    "fy_loss_grad",
    "wasserstein2",
    "GaussianRBF",
    "attention",
    "integer_beta",
]
