r"""α-entmax densities of a quadratic score: multivariate q-Gaussians (q = 2 − α).

The Ω-regularized prediction map of a score function :math:`f` over :math:`\mathbb R^D`
with the Tsallis regularizer :math:`\Omega_\alpha(p) = (\int p^\alpha - 1)/(\alpha(\alpha-1))`
(:math:`\int p\log p` at α = 1) is

.. math::

    \hat p_{\Omega_\alpha}[f](t) = [(\alpha-1) f(t) - \tau]_+^{1/(\alpha-1)}
    \quad(\alpha > 1), \qquad \exp(f(t) - \tau) \quad (\alpha = 1),

with τ such that the density integrates to 1.  For the quadratic score
:math:`f(t) = -\tfrac12 (t-\mu)^\top\Sigma^{-1}(t-\mu)` it is, with β = 1/(α−1),
:math:`r^2 = (t-\mu)^\top\Sigma^{-1}(t-\mu)` and the Mahalanobis support radius R,

.. math::

    p(t) = \frac{1}{Z}\,[1 - r^2/R^2]_+^{\beta},\quad
    R^{2\beta+D} = \frac{\Gamma(\beta+1+D/2)}{\Gamma(\beta+1)\,\pi^{D/2}\,|\Sigma|^{1/2}
    \,((\alpha-1)/2)^{\beta}},\quad
    Z = \frac{\pi^{D/2}|\Sigma|^{1/2} R^D\,\Gamma(\beta+1)}{\Gamma(\beta+1+D/2)},\quad
    \tau = -\frac{(\alpha-1)R^2}{2}.

The derivation is in ``docs/continuous.md``.  References: Martins, Treviso, Farinhas,
Aguiar, Figueiredo, Blondel & Niculae, *Sparse continuous distributions and
Fenchel-Young losses*, JMLR 23(257), 2022 [MTF22]; Martins et al., *Sparse and
continuous attention mechanisms*, NeurIPS 2020 [MFT20].
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import linalg as sla
from scipy import special as sp

from .._validation import (
    as_points,
    check_alpha_finite,
    check_instance,
    check_loc_scale,
    check_same_dim,
)

__all__ = ["EntmaxGaussian", "QuadraticScore", "fy_loss", "fy_loss_grad", "wasserstein2"]

_LOG_PI = math.log(math.pi)


# Bernoulli numbers B_2k for the Stirling series of log Γ
_B2K = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510)


def _stirling_tail(x: float) -> float:
    return sum(b / (2 * k * (2 * k - 1) * x ** (2 * k - 1)) for k, b in enumerate(_B2K, 1))


def lgamma_ratio(x: float, h: float) -> float:
    """log Γ(x + h) − log Γ(x) for x > 0, h ≥ 0, to ~1e-15 relative also for huge x
    (the plain difference of ``gammaln`` loses digits: 5e-11 relative at x = 1e6).
    Stirling's series for x ≥ 10 (8 terms: truncation < 1e-20), else ``gammaln``."""
    if x < 10.0:
        return float(sp.gammaln(x + h) - sp.gammaln(x))
    return ((x + h - 0.5) * math.log1p(h / x) + h * math.log(x) - h
            + _stirling_tail(x + h) - _stirling_tail(x))


def _lg_shifted(b: float, h: float) -> float:
    """log Γ(b+1+h) − log Γ(b+1) − h log b, without the cancellation of the last two
    terms for large b."""
    x = b + 1.0
    if x < 10.0:
        return lgamma_ratio(x, h) - h * math.log(b)
    return ((x + h - 0.5) * math.log1p(h / x) + h * math.log1p(1.0 / b) - h
            + _stirling_tail(x + h) - _stirling_tail(x))


def _radius_terms(alpha: float, D: int, logdet: float) -> tuple[float, float, float]:
    """(log R, log Z, τ) for α > 1 (closed form, in logs)."""
    b = 1.0 / (alpha - 1.0)
    h = 0.5 * D
    lg = lgamma_ratio(b + 1.0, h)  # log Γ(β+1+D/2) − log Γ(β+1)
    log_r = (lg - h * _LOG_PI - 0.5 * logdet
             - b * math.log(0.5 * (alpha - 1.0))) / (2.0 * b + D)
    log_z = h * _LOG_PI + 0.5 * logdet + D * log_r - lg
    tau = -0.5 * (alpha - 1.0) * math.exp(2.0 * log_r)
    return float(log_r), float(log_z), float(tau)


class EntmaxGaussian:
    r"""The α-entmax density of the quadratic score: a multivariate q-Gaussian.

    A frozen distribution in the style of :func:`scipy.stats.multivariate_normal`: the
    output of the Ω-regularized prediction map (Tsallis α-entropy) for the score
    :math:`f(t) = -\tfrac12 (t-\mu)^\top\Sigma^{-1}(t-\mu)`,

    .. math:: p(t) = [(\alpha-1) f(t) - \tau]_+^{1/(\alpha-1)} \;(\alpha>1),\qquad
              p(t) = \exp(f(t) - \tau) \;(\alpha = 1),

    the Gaussian :math:`\mathcal N(\mu,\Sigma)` at α = 1 and a truncated paraboloid at
    α = 2 (continuous sparsemax).  For α > 1 the support is the ellipsoid
    :math:`\{t: (t-\mu)^\top\Sigma^{-1}(t-\mu) \le R^2\}`.

    Parameters
    ----------
    loc : array_like, shape (D,) or scalar
        μ, the location (and mean).
    scale : array_like, shape (D, D), (D,) or scalar
        Σ, the scale of the score (symmetric positive definite; a vector is a
        diagonal, a scalar a multiple of the identity).  It is the covariance only at
        α = 1: :meth:`cov` is :math:`R^2\Sigma/(D + 2\beta + 2)`.
    alpha : float, >= 1, finite

    Attributes
    ----------
    dim : int
        D.
    beta : float
        1/(α−1) (``inf`` at α = 1), the exponent of the density.
    support_radius : float
        R, the Mahalanobis radius (w.r.t. Σ) of the support; ``inf`` at α = 1.
    tau : float
        τ of the map above (at α = 1, τ = log Z, the log-partition function).
    normalizer : float
        Z, such that :math:`p = [1 - r^2/R^2]_+^\beta / Z` (α > 1) or
        :math:`p = \exp(-r^2/2)/Z` (α = 1).  Continuous in α at α = 1.

    Raises
    ------
    ValueError
        α < 1, α not finite, NaN/inf in ``loc`` or ``scale``, ``scale`` not symmetric
        positive definite, or a dimension mismatch.

    Notes
    -----
    Closed forms (Gamma functions, derivation in ``docs/continuous.md``); measured
    against ``scipy.integrate.quad``/``nquad`` to ≤ 1e-12 relative (``tests/
    test_continuous.py``).  :meth:`rvs` uses the Beta + sphere construction
    :math:`t = \mu + R\sqrt{s}\,L\theta`, :math:`s\sim\mathrm{Beta}(D/2, \beta+1)`,
    θ uniform on the unit sphere, :math:`LL^\top = \Sigma`.

    References
    ----------
    [MTF22] Martins et al., Sparse continuous distributions and Fenchel-Young losses,
    JMLR 2022.

    Examples
    --------
    >>> from hfy_reference.continuous import EntmaxGaussian
    >>> p = EntmaxGaussian(0.0, 1.0, alpha=2.0)
    >>> round(p.support_radius, 12), round(float(p.pdf(0.0)), 12)   # (3/2)^(1/3), R²/2
    (1.144714242553, 0.655185348552)
    """

    def __init__(self, loc: Any, scale: Any, alpha: float = 2.0) -> None:
        self.alpha = check_alpha_finite(alpha)
        self.loc, self.scale, self._chol = check_loc_scale(loc, scale)
        self.loc.setflags(write=False)
        self.scale.setflags(write=False)
        self.dim = int(self.loc.shape[0])
        self.logdet = float(2.0 * np.sum(np.log(np.diag(self._chol))))
        D = self.dim
        if self.alpha == 1.0:
            self.beta = math.inf
            self.support_radius = math.inf
            self.log_normalizer = 0.5 * D * math.log(2.0 * math.pi) + 0.5 * self.logdet
            self.tau = self.log_normalizer
        else:
            self.beta = 1.0 / (self.alpha - 1.0)
            log_r, self.log_normalizer, self.tau = _radius_terms(self.alpha, D, self.logdet)
            self.support_radius = math.exp(log_r)
        self.normalizer = math.exp(self.log_normalizer)

    def __repr__(self) -> str:
        loc = np.array2string(self.loc, precision=4, separator=", ")
        return (f"EntmaxGaussian(loc={loc}, scale=<{self.dim}x{self.dim}>, "
                f"alpha={self.alpha:g})")

    # ---- density -------------------------------------------------------------------
    def mahalanobis2(self, x: Any) -> np.ndarray:
        r"""Squared Mahalanobis distance :math:`r^2 = (x-\mu)^\top\Sigma^{-1}(x-\mu)`,
        shape ``x.shape[:-1]``."""
        X = as_points(x, self.dim)
        return _mahalanobis2(X, self.loc, self._chol)

    def logpdf(self, x: Any) -> np.ndarray:
        """log p(x); ``-inf`` outside the support.  ``x`` has shape ``(..., D)`` (for D = 1
        any shape: every entry is a point); the result has shape ``x.shape[:-1]``."""
        r2 = self.mahalanobis2(x)
        if self.alpha == 1.0:
            return -0.5 * r2 - self.log_normalizer
        w = np.minimum(r2 * (1.0 / self.support_radius ** 2), 1.0)
        with np.errstate(divide="ignore"):  # log1p(-1) = -inf: outside the support
            out = self.beta * np.log1p(-w) - self.log_normalizer
        return out[()] if out.ndim == 0 else out

    def pdf(self, x: Any) -> np.ndarray:
        """p(x) (0 outside the support), shape ``x.shape[:-1]``."""
        return np.exp(self.logpdf(x))

    def score(self, x: Any) -> np.ndarray:
        r"""The score :math:`f(x) = -r^2/2` whose α-entmax density this is."""
        return -0.5 * self.mahalanobis2(x)

    def in_support(self, x: Any) -> np.ndarray:
        """Boolean mask of the points where p > 0."""
        return self.mahalanobis2(x) < self.support_radius ** 2

    # ---- sampling ------------------------------------------------------------------
    def rvs(self, size: int | tuple[int, ...] = 1, random_state: Any = None) -> np.ndarray:
        r"""Draws, shape ``size + (D,)`` (never squeezed).

        Beta + sphere: :math:`t = \mu + R\sqrt{s}\,L\theta` with
        :math:`s \sim \mathrm{Beta}(D/2, \beta+1)` and θ = g/‖g‖, g standard normal
        (α = 1: :math:`t = \mu + Lg`).  The Beta variable is drawn as
        :math:`s = G/(G+W)`, :math:`G = \|g\|^2/2 \sim \Gamma(D/2)`,
        :math:`W \sim \Gamma(\beta+1)`, which is independent of θ, so
        :math:`R\sqrt s\,\theta = R g/\sqrt{\|g\|^2 + 2W}`.
        ``random_state``: None, an int seed or a :class:`numpy.random.Generator`.
        """
        rng = np.random.default_rng(random_state)
        sizes: tuple = (size,) if np.ndim(size) == 0 else tuple(size)  # type: ignore[arg-type]
        shape = tuple(int(s) for s in sizes)
        if any(s < 0 for s in shape):
            raise ValueError(f"size must be non-negative; got {size!r}")
        n = int(np.prod(shape, dtype=np.int64))
        D = self.dim
        g = rng.standard_normal((D, n))  # one row per coordinate: contiguous row ops
        if self.alpha > 1.0:
            # s = G/(G + W) with G = |g|²/2 ~ Gamma(D/2) and W ~ Gamma(β+1) independent is
            # Beta(D/2, β+1) and independent of g/|g|, so R√s·g/|g| = R·g/√(|g|² + 2W)
            # (one Gamma draw instead of a Beta, no division by |g| twice)
            w = rng.standard_gamma(self.beta + 1.0, size=n)
            g2 = np.einsum("ij,ij->j", g, g)
            g *= self.support_radius / np.sqrt(g2 + 2.0 * w)
        out = np.empty((n, D))
        for i in range(D):  # t_i = μ_i + Σ_{k ≤ i} L_ik u_k (L lower triangular)
            col = out[:, i]
            np.multiply(g[0], self._chol[i, 0], out=col)
            for k in range(1, i + 1):
                col += self._chol[i, k] * g[k]
            col += self.loc[i]
        return out.reshape(*shape, D)

    # ---- moments and functionals -----------------------------------------------------
    def mean(self) -> np.ndarray:
        """The mean, μ."""
        return self.loc.copy()

    def radial_second_moment(self) -> float:
        r""":math:`E[r^2]`: D at α = 1, :math:`D R^2/(D + 2\beta + 2)` for α > 1."""
        if self.alpha == 1.0:
            return float(self.dim)
        return self.dim * self.support_radius ** 2 / (self.dim + 2.0 * self.beta + 2.0)

    def cov(self) -> np.ndarray:
        r"""The covariance :math:`E[r^2]/D\cdot\Sigma = R^2\Sigma/(D+2\beta+2)`."""
        return self.radial_second_moment() / self.dim * self.scale

    def expected_score(self) -> float:
        r""":math:`E_p[f] = -E[r^2]/2` for the score of this density."""
        return -0.5 * self.radial_second_moment()

    def omega(self) -> float:
        r"""Ω_α(p): :math:`(\int p^\alpha - 1)/(\alpha(\alpha-1))` with
        :math:`\int p^\alpha = \alpha R^2/(D + 2\beta + 2)`; at α = 1,
        :math:`\int p\log p = -\tfrac D2(1+\log 2\pi) - \tfrac12\log|\Sigma|`."""
        a, D, b = self.alpha, self.dim, self.beta
        if a == 1.0:
            return -0.5 * D * (1.0 + math.log(2.0 * math.pi)) - 0.5 * self.logdet
        # log ∫p^α = log α + 2 log R − log(D + 2β + 2), rearranged so that no two large
        # terms cancel as α → 1 (β → ∞): then ∫p^α − 1 = expm1(.) is O(α − 1) and is
        # obtained to full relative precision
        x = (math.log(a) + (2.0 * _lg_shifted(b, 0.5 * D) - D * math.log(2.0 * math.pi)
                            - self.logdet) / (2.0 * b + D)
             - math.log1p((D + 2.0) / (2.0 * b)))
        return math.expm1(x) / (a * (a - 1.0))

    def entropy(self) -> float:
        """The Tsallis α-entropy −Ω_α(p) (the differential Shannon entropy at α = 1)."""
        return -self.omega()

    def conjugate(self) -> float:
        r"""Ω*(f) for this density's score f: :math:`E_p[f] - \Omega(p)` (Danskin);
        at α = 1 it is τ = log Z."""
        if self.alpha == 1.0:
            return self.tau
        return self.expected_score() - self.omega()

    def second_moment(self) -> np.ndarray:
        r""":math:`E[tt^\top] = \mathrm{cov} + \mu\mu^\top`."""
        return self.cov() + np.outer(self.loc, self.loc)

    # 1-D helpers (quantiles, for Wasserstein checks and figures)
    def cdf1d(self, x: Any) -> np.ndarray:
        """CDF (D = 1 only): ½ + ½ sign(u) I_{u²}(½, β+1), u = (x−μ)/(σR)."""
        self._need_1d("cdf1d")
        x = np.asarray(x, dtype=np.float64)
        sig = math.sqrt(self.scale[0, 0])
        if self.alpha == 1.0:
            return sp.ndtr((x - self.loc[0]) / sig)
        u = np.clip((x - self.loc[0]) / (sig * self.support_radius), -1.0, 1.0)
        return 0.5 + 0.5 * np.sign(u) * sp.betainc(0.5, self.beta + 1.0, u * u)

    def ppf1d(self, v: Any) -> np.ndarray:
        """Quantile function (D = 1 only), the inverse of :meth:`cdf1d`."""
        self._need_1d("ppf1d")
        v = np.asarray(v, dtype=np.float64)
        sig = math.sqrt(self.scale[0, 0])
        if self.alpha == 1.0:
            return self.loc[0] + sig * sp.ndtri(v)
        w = np.abs(2.0 * v - 1.0)
        u = np.sign(v - 0.5) * np.sqrt(sp.betaincinv(0.5, self.beta + 1.0, w))
        return self.loc[0] + sig * self.support_radius * u

    def _need_1d(self, what: str) -> None:
        if self.dim != 1:
            raise ValueError(f"{what} is defined for D = 1 only; this density has D = "
                             f"{self.dim}")


def _mahalanobis2(X: np.ndarray, loc: np.ndarray, L: np.ndarray) -> np.ndarray:
    """(x − μ)ᵀ(LLᵀ)⁻¹(x − μ) over the last axis of X, by forward substitution."""
    D = loc.shape[0]
    shp = X.shape[:-1]
    Xf = X.reshape(-1, D)
    if D > 8:
        u = sla.solve_triangular(L, (Xf - loc).T, lower=True, check_finite=False)
        return np.einsum("ij,ij->j", u, u).reshape(shp)
    us: list[np.ndarray] = []
    acc = np.zeros(Xf.shape[0])
    for i in range(D):  # u_i = (x_i − μ_i − Σ_{k<i} L_ik u_k) / L_ii, column by column
        ui = Xf[:, i] - loc[i]
        for k in range(i):
            ui -= L[i, k] * us[k]
        ui *= 1.0 / L[i, i]
        us.append(ui)
        acc = acc + ui * ui
    return acc.reshape(shp)


class QuadraticScore:
    r"""The quadratic score :math:`f(t) = -\tfrac12 (t-\mu)^\top\Sigma^{-1}(t-\mu)`.

    Equivalently :math:`f(t) = \eta^\top t - \tfrac12 t^\top P t + c` with precision
    :math:`P = \Sigma^{-1}` and :math:`\eta = P\mu` (the natural parameters of the
    family; FY losses do not depend on the constant c).

    Parameters
    ----------
    loc : array_like, shape (D,) or scalar
    scale : array_like, shape (D, D), (D,) or scalar
        Symmetric positive definite.
    """

    def __init__(self, loc: Any, scale: Any) -> None:
        self.loc, self.scale, self._chol = check_loc_scale(loc, scale)
        self.dim = int(self.loc.shape[0])
        self.precision = sla.cho_solve((self._chol, True), np.eye(self.dim))
        self.precision = 0.5 * (self.precision + self.precision.T)

    @classmethod
    def from_natural(cls, eta: Any, precision: Any) -> QuadraticScore:
        """The score :math:`\\eta^\\top t - \\tfrac12 t^\\top P t` (up to a constant)."""
        _, P, L = check_loc_scale(eta, precision, "eta", "precision")
        S = sla.cho_solve((L, True), np.eye(P.shape[0]))
        return cls(S @ np.asarray(eta, dtype=np.float64).reshape(-1), 0.5 * (S + S.T))

    def __repr__(self) -> str:
        return f"QuadraticScore(loc={np.array2string(self.loc, precision=4)}, D={self.dim})"

    def __call__(self, t: Any) -> np.ndarray:
        return -0.5 * _mahalanobis2(as_points(t, self.dim, "t"), self.loc, self._chol)

    @property
    def eta(self) -> np.ndarray:
        return self.precision @ self.loc

    def entmax(self, alpha: float) -> EntmaxGaussian:
        r""":math:`\hat p_{\Omega_\alpha}[f]`, the α-entmax density of this score."""
        return EntmaxGaussian(self.loc, self.scale, alpha)

    def conjugate(self, alpha: float) -> float:
        r"""Ω*_α(f) = :math:`E_{\hat p}[f] - \Omega_\alpha(\hat p)`."""
        return self.entmax(alpha).conjugate()

    def expectation(self, q: EntmaxGaussian) -> float:
        r""":math:`E_q[f] = -\tfrac12[\mathrm{tr}(P C_q) + (\mu_q-\mu)^\top P(\mu_q-\mu)]`
        (C_q the covariance of q)."""
        check_same_dim(self.dim, q.dim)
        d = q.loc - self.loc
        return -0.5 * (float(np.sum(self.precision * q.cov())) + float(d @ self.precision @ d))


def fy_loss(score: QuadraticScore, q: EntmaxGaussian, alpha: float | None = None) -> float:
    r"""Fenchel-Young loss :math:`L_{\Omega_\alpha}(f; q) = \Omega^*(f) + \Omega(q) - E_q[f]`.

    Parameters
    ----------
    score : QuadraticScore
        f.
    q : EntmaxGaussian
        A density of the family; its α is the loss's α unless ``alpha`` is given
        (then Ω_α(q) is still in closed form only when ``alpha == q.alpha``).

    Returns
    -------
    float
        ≥ 0, and 0 iff q is the α-entmax density of f (same loc, scale and α).
        Computed in the shift-free form
        :math:`[E_{\hat p}f - E_q f] + [\Omega(q) - \Omega(\hat p)]`.
    """
    q = check_instance(q, EntmaxGaussian, "q")
    check_instance(score, QuadraticScore, "score")
    check_same_dim(score.dim, q.dim)
    a = q.alpha if alpha is None else check_alpha_finite(alpha)
    if a != q.alpha:
        raise ValueError(f"alpha ({a}) must equal q.alpha ({q.alpha}): Ω_α(q) has a closed "
                         "form only within the family; use continuous.slow for other pairs")
    p = score.entmax(a)
    return float((p.expected_score() - score.expectation(q)) + (q.omega() - p.omega()))


def fy_loss_grad(score: QuadraticScore, q: EntmaxGaussian) -> tuple[np.ndarray, np.ndarray]:
    r"""Gradient of :math:`L(f;q)` w.r.t. the natural parameters (η, P) of
    :math:`f(t) = \eta^\top t - \tfrac12 t^\top P t`:
    :math:`(E_{\hat p}[t] - E_q[t],\; -\tfrac12(E_{\hat p}[tt^\top] - E_q[tt^\top]))`,
    i.e. :math:`\nabla_f L = \hat p - q` paired with the sufficient statistics."""
    q = check_instance(q, EntmaxGaussian, "q")
    check_same_dim(score.dim, q.dim)
    p = score.entmax(q.alpha)
    return p.mean() - q.mean(), -0.5 * (p.second_moment() - q.second_moment())


def _sqrtm_psd(C: np.ndarray) -> np.ndarray:
    w, V = np.linalg.eigh(0.5 * (C + C.T))
    return (V * np.sqrt(np.clip(w, 0.0, None))) @ V.T


def wasserstein2(p: EntmaxGaussian, q: EntmaxGaussian) -> float:
    r"""Wasserstein-2 distance between two α-entmax densities of the same α and D.

    Both are affine images :math:`t = \mu + A u` of one spherical law (u = √s θ, s ~
    Beta(D/2, β+1)), so the optimal map is affine and the Gelbrich formula is exact
    with the **covariances** :math:`C_p, C_q` (not the scale matrices Σ):

    .. math:: W_2^2 = \|\mu_p-\mu_q\|^2 + \mathrm{tr}\,C_p + \mathrm{tr}\,C_q
              - 2\,\mathrm{tr}(C_p^{1/2} C_q C_p^{1/2})^{1/2}.

    Raises ``ValueError`` when α or D differ (then this is only a lower bound).
    """
    p, q = check_instance(p, EntmaxGaussian, "p"), check_instance(q, EntmaxGaussian, "q")
    if p.alpha != q.alpha or p.dim != q.dim:
        raise ValueError(f"p and q must have the same alpha and D for the closed form; got "
                         f"alpha {p.alpha}, {q.alpha} and D {p.dim}, {q.dim}")
    d = p.loc - q.loc
    Cp, Cq = p.cov(), q.cov()
    if p.dim == 1:
        return math.sqrt(float(d @ d) + (math.sqrt(Cp[0, 0]) - math.sqrt(Cq[0, 0])) ** 2)
    rp = _sqrtm_psd(Cp)
    cross = _sqrtm_psd(rp @ Cq @ rp)
    w2 = float(d @ d) + float(np.trace(Cp) + np.trace(Cq) - 2.0 * np.trace(cross))
    return math.sqrt(max(w2, 0.0))
