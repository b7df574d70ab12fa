r"""Continuous attention in 1-D with Gaussian RBF basis functions.

For a 1-D α-entmax density :math:`p = \hat p_{\Omega_\alpha}[f]` of the quadratic score
:math:`f(t) = -(t-\mu)^2/(2\sigma^2)` and basis functions
:math:`\psi_j(t) = \mathcal N(t; c_j, s_j^2)`, the context vector is
:math:`r_j = E_p[\psi_j(t)]` (the attention output is :math:`B r` for a value matrix B),
and its Jacobian is taken w.r.t. (μ, σ²) [MFT20].

Closed forms (in erf/exp):

* α = 1: :math:`r_j = \mathcal N(\mu; c_j, \sigma^2 + s_j^2)`.
* α = k/(k−1), k = 2, 3, ... (β = 1/(α−1) = k − 1 a positive integer: α = 2, 3/2,
  4/3, ...): on its support :math:`|y| \le a` (:math:`y = t-\mu`, :math:`a = \sigma R`)
  the density is the polynomial :math:`p = c\,(a^2-y^2)^\beta` with
  :math:`c = ((\alpha-1)/(2\sigma^2))^\beta`, and :math:`r_j` is a combination of
  truncated Gaussian moments :math:`\int z^k \mathcal N(z; m, s^2)\,dz`, given by
  :math:`\Phi` differences and the recursion
  :math:`I_k = m I_{k-1} + (k-1)s^2 I_{k-2} - s^2[z^{k-1}\mathcal N(z;m,s^2)]_{l}^{u}`.
  The polynomial is expanded about the point of the support nearest to :math:`c_j`
  (no cancellation in the expansion when the RBF sits at the edge).  Where the moment
  recursion would cancel, a quadrature exact to rounding replaces it: RBFs wider than
  a/4 by 60-point Gauss–Jacobi over the support; RBFs centred more than 2 widths outside
  the support by Gauss–Legendre in the distance from the nearest edge (the far tail).

Accuracy (measured against ``scipy.integrate.quad`` over μ ∈ [0, 1], σ² ∈ [1e-3, 1],
centres in [−0.5, 1.5], widths in [1e-2, 1]; ``docs/continuous.md``): every entry above
1e-290 within 1e-12 relative (largest seen 8e-13, on the Gauss–Jacobi path).

Jacobian (α > 1, the integrand vanishes at ±a so no boundary terms):
:math:`\partial r/\partial\mu = 2\beta c\int y\,(a^2-y^2)^{\beta-1}\psi`,
:math:`\partial r/\partial\sigma^2 = -\tfrac{\beta}{\sigma^2} r
+ \tfrac{2\beta^2 a^2}{(2\beta+1)\sigma^2}\,c\int (a^2-y^2)^{\beta-1}\psi`
(from :math:`a \propto (\sigma^2)^{\beta/(2\beta+1)}` and
:math:`c \propto (\sigma^2)^{-\beta}`).  Other α: the same integrals by Gauss–Jacobi
quadrature with weight :math:`(1-u^2)^{\beta}` (or ``method="quad"``: scipy's QAWS,
``quad(weight="alg")``, one call per basis function).

References: [MFT20] Martins, Farinhas, Treviso, Niculae, Aguiar & Figueiredo, *Sparse
and continuous attention mechanisms*, NeurIPS 2020; [MTF22] (JMLR 2022).
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np
from scipy import special as sp

from .._validation import (
    as_rbf,
    check_alpha_finite,
    check_instance,
    check_positive,
    check_real_finite,
)
from ._qgaussian import _radius_terms

__all__ = ["GaussianRBF", "attention", "integer_beta"]

_SQRT2 = math.sqrt(2.0)
_INV_SQRT2PI = 1.0 / math.sqrt(2.0 * math.pi)


class GaussianRBF:
    r"""Gaussian basis functions :math:`\psi_j(t) = \mathcal N(t; c_j, s_j^2)`.

    Parameters
    ----------
    centers : array_like, shape (J,)
    widths : array_like, shape (J,) or scalar
        Standard deviations :math:`s_j > 0`.
    """

    def __init__(self, centers: Any, widths: Any) -> None:
        self.centers, self.widths = as_rbf(centers, widths)

    def __len__(self) -> int:
        return self.centers.shape[0]

    def __repr__(self) -> str:
        return f"GaussianRBF(J={len(self)})"

    def __call__(self, t: Any) -> np.ndarray:
        """ψ(t), shape ``t.shape + (J,)``."""
        t = np.asarray(t, dtype=np.float64)[..., None]
        z = (t - self.centers) / self.widths
        return np.exp(-0.5 * z * z) * _INV_SQRT2PI / self.widths


def integer_beta(alpha: float) -> int | None:
    """β = 1/(α−1) when it is a positive integer (α = k/(k−1)), to 1e-12 relative;
    else None."""
    if alpha == 1.0:
        return None
    b = 1.0 / (alpha - 1.0)
    n = round(b)
    if n >= 1 and abs(b - n) <= 1e-12 * n:
        return int(n)
    return None


# ---------------------------------------------------------------------------------------
def _poly_shift(n: int, a2: float, y0: np.ndarray) -> np.ndarray:
    """Coefficients (J, 2n+1), increasing powers of z, of (a² − (y0 + z)²)^n."""
    base = np.stack([a2 - y0 * y0, -2.0 * y0, -np.ones_like(y0)], axis=1)  # (J, 3)
    out = np.zeros((y0.shape[0], 2 * n + 1))
    out[:, 0] = 1.0
    deg = 0
    for _ in range(n):
        new = np.zeros_like(out)
        for i in range(3):
            new[:, i:deg + 1 + i] += base[:, i:i + 1] * out[:, :deg + 1]
        out = new
        deg += 2
    return out


def _phi_diff(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Φ(hi) − Φ(lo) (standard normal), accurate in both tails: a difference of erfc
    in the upper tail, of erfc of the negated ends in the lower tail, and
    1 − (upper + lower tails) when the interval holds the centre."""
    a, b = lo / _SQRT2, hi / _SQRT2
    ea, eb = sp.erfc(a), sp.erfc(b)
    fa, fb = sp.erfc(-a), sp.erfc(-b)
    return np.where(lo > 0, 0.5 * (ea - eb),
                    np.where(hi < 0, 0.5 * (fb - fa), 1.0 - 0.5 * (eb + fa)))


def _trunc_moments(kmax: int, m: np.ndarray, s: np.ndarray, lo: np.ndarray,
                   hi: np.ndarray) -> np.ndarray:
    """I_k = ∫_lo^hi z^k N(z; m, s²) dz for k = 0..kmax, shape (J, kmax+1)."""
    zl = (lo - m) / s
    zh = (hi - m) / s
    gl = np.exp(-0.5 * zl * zl) * _INV_SQRT2PI / s
    gh = np.exp(-0.5 * zh * zh) * _INV_SQRT2PI / s
    s2 = s * s
    out = np.empty((m.shape[0], kmax + 1))
    out[:, 0] = _phi_diff(zl, zh)
    pl = np.ones_like(m)  # lo^(k-1)
    ph = np.ones_like(m)
    for k in range(1, kmax + 1):
        v = m * out[:, k - 1] - s2 * (ph * gh - pl * gl)
        if k >= 2:
            v += (k - 1) * s2 * out[:, k - 2]
        out[:, k] = v
        pl = pl * lo
        ph = ph * hi
    return out


#: RBFs at least this many support half-widths wide are integrated by Gauss–Jacobi (the
#: Φ-difference recursion cancels when the interval is narrow against the RBF).
WIDE = 0.25
#: Gauss–Jacobi nodes for the wide RBFs (the integrand is a Gaussian at least WIDE
#: wide on [-1, 1]: exp(-8u²) at worst; the rule's error bound 8^60/60! < 1e-27).
WIDE_NODES = 60


def _closed_integrals(n: int, a: float, mu: float, rbf: GaussianRBF,
                      jac: bool) -> list[np.ndarray]:
    """For every j: [∫ (a² − y²)^n ψ_j(μ+y) dy] and, if ``jac``, also
    ∫ (a² − y²)^(n−1) ψ_j and ∫ y (a² − y²)^(n−1) ψ_j (over [−a, a]); closed form (erf/exp,
    one set of truncated moments shared by the three) for RBFs narrower than ``WIDE·a``,
    Gauss–Jacobi for the wider ones."""
    J = len(rbf)
    k = 3 if jac else 1
    out = [np.empty(J) for _ in range(k)]
    wide = rbf.widths >= WIDE * a
    far, dead = _split_far(a, mu, rbf)
    far &= ~wide
    for o in out:
        o[dead] = 0.0
    far &= ~dead
    if np.any(wide):
        sub = _Sub(rbf.centers[wide], rbf.widths[wide])
        out[0][wide] = _jacobi_integrals(float(n), a, mu, sub, WIDE_NODES)
        if jac:
            out[1][wide] = _jacobi_integrals(n - 1.0, a, mu, sub, WIDE_NODES)
            out[2][wide] = _jacobi_integrals(n - 1.0, a, mu, sub, WIDE_NODES, True)
    if np.any(far):
        sub = _Sub(rbf.centers[far], rbf.widths[far])
        for o, v in zip(out, _edge_closed(n, a, mu, sub, jac), strict=True):
            o[far] = v
    nar = ~(wide | far | dead)
    if np.any(nar):
        m = rbf.centers[nar] - mu     # RBF centre in y units
        sd = rbf.widths[nar]
        y0 = np.clip(m, -a, a)        # expansion point: the support point nearest the centre
        mom = _trunc_moments(2 * n, m - y0, sd, -a - y0, a - y0)   # powers of z = y − y0
        cn = _poly_shift(n, a * a, y0)
        v = np.einsum("jk,jk->j", cn, mom)
        out[0][nar] = np.maximum(v, 0.0)  # ≥ 0 exactly; rounding in the far tail
        if jac:
            c1 = _poly_shift(n - 1, a * a, y0)          # degree 2n − 2
            d = c1.shape[1]
            out[1][nar] = np.maximum(np.einsum("jk,jk->j", c1, mom[:, :d]), 0.0)
            # y (a² − y²)^(n−1) = (y0 + z)(...): degree 2n − 1
            out[2][nar] = (y0 * np.einsum("jk,jk->j", c1, mom[:, :d])
                           + np.einsum("jk,jk->j", c1, mom[:, 1:d + 1]))
    return out


class _Sub(GaussianRBF):
    """A subset of an already validated GaussianRBF (no re-validation)."""

    def __init__(self, centers: np.ndarray, widths: np.ndarray) -> None:
        self.centers, self.widths = centers, widths


#: RBFs whose centre lies more than FAR widths outside the support are integrated near the
#: edge by Gauss–Legendre (the moment recursion cancels in that tail).
FAR = 2.0
#: Gauss–Legendre nodes of the edge rule (the integrand is a polynomial times
#: exp(−λw − w²/2s²) on [0, 60/λ]; measured: 1e-13 relative at 48 nodes, 2e-6 at 24).
EDGE_NODES = 56
_GL_X, _GL_W = np.polynomial.legendre.leggauss(EDGE_NODES)


def _edge_integrals(b: float, a: float, mu: float, rbf: GaussianRBF,
                    extra_y: bool = False) -> np.ndarray:
    """∫_{−a}^{a} (a² − y²)^b [y] ψ_j(μ + y) dy for RBFs centred outside the support, by
    Gauss–Legendre in the distance w from the nearest edge over [0, L],
    L = min(2a, 60 s²/d) (d the centre's distance to the edge): beyond L the integrand
    is below e^-60 of its value at the edge.  (a² − y²) = w(2a − w) exactly."""
    m = rbf.centers - mu
    s = rbf.widths
    sgn = np.where(m >= 0, 1.0, -1.0)
    d = np.abs(m) - a                                  # > 0: distance outside
    L = np.minimum(2.0 * a, 60.0 * s * s / d)          # (J,)
    # weight w^b at the edge: Gauss–Jacobi in u with weight (1 + u)^b, w = (1 + u) L/2
    # (plain Gauss–Legendre when b is an integer: w^b is then a polynomial)
    if b == round(b):
        x, wt, pw = _GL_X, _GL_W, float(b)
    else:
        x, wt = _edge_rule(b)
        pw = 0.0
    w = 0.5 * (x[:, None] + 1.0) * L                   # (N, J) nodes in [0, L]
    y = sgn * (a - w)
    z = (y - m) / s
    f = np.exp(-0.5 * z * z) * _INV_SQRT2PI / s
    f = f * (2.0 * a - w) ** b
    if pw:
        f = f * w ** pw
    if extra_y:
        f = f * y
    scale = 0.5 * L if pw or b == 0 else (0.5 * L) ** (b + 1.0)
    return scale * (wt @ f)


def _edge_closed(n: int, a: float, mu: float, rbf: GaussianRBF,
                 jac: bool) -> list[np.ndarray]:
    """The integrals of :func:`_closed_integrals` (integer β = n) for far RBFs, by the
    Gauss–Legendre edge rule with nodes shared by the three integrands."""
    m = rbf.centers - mu
    s = rbf.widths
    sgn = np.where(m >= 0, 1.0, -1.0)
    d = np.abs(m) - a
    L = np.minimum(2.0 * a, 60.0 * s * s / d)
    w = 0.5 * (_GL_X[:, None] + 1.0) * L
    y = sgn * (a - w)
    z = (y - m) / s
    psi = np.exp(-0.5 * z * z) * _INV_SQRT2PI / s
    base = w * (2.0 * a - w)                  # a² − y², exactly
    g1 = psi * base ** (n - 1) if n > 1 else psi
    h = 0.5 * L
    out = [h * (_GL_W @ (g1 * base))]
    if jac:
        out += [h * (_GL_W @ g1), h * (_GL_W @ (g1 * y))]
    return out


@functools.lru_cache(maxsize=32)
def _edge_rule(b: float) -> tuple[np.ndarray, np.ndarray]:
    x, w = sp.roots_jacobi(EDGE_NODES, 0.0, b)
    return x, w


def _split_far(a: float, mu: float, rbf: GaussianRBF) -> tuple[np.ndarray, np.ndarray]:
    """Masks of the RBFs centred more than FAR widths outside [μ − a, μ + a], and of
    those so far that ψ_j < e^-760 on the whole support (their integrals, and the
    Jacobian's, are 0 in float64)."""
    d = np.abs(rbf.centers - mu) - a
    far = d > FAR * rbf.widths
    u = np.where(far, d / rbf.widths, 0.0)
    dead = far & (0.5 * u * u + np.log(rbf.widths) > 760.0)
    return far, dead


def _jacobi_integrals(b: float, a: float, mu: float, rbf: GaussianRBF, n_nodes: int,
                      extra_y: bool = False) -> np.ndarray:
    """∫_{−a}^{a} (a² − y²)^b [y] ψ_j(μ + y) dy by Gauss–Jacobi (weight (1−u²)^b)."""
    u, w = sp.roots_jacobi(n_nodes, b, b)
    vals = rbf(mu + a * u)  # (n_nodes, J)
    if extra_y:
        vals = vals * (a * u)[:, None]
    return a ** (2.0 * b + 1.0) * (w @ vals)


def _quad_integrals(b: float, a: float, mu: float, rbf: GaussianRBF,
                    extra_y: bool = False) -> np.ndarray:
    """The same integrals by scipy's QAWS (``quad(weight="alg")``), split at the RBF
    centre when it lies inside the support."""
    from scipy.integrate import quad

    kw = {"epsabs": 0.0, "epsrel": 1e-13, "limit": 200}
    out = np.empty(len(rbf))
    for j, (cj, sj) in enumerate(zip(rbf.centers, rbf.widths, strict=True)):
        def f(y, cj=cj, sj=sj):
            z = (mu + y - cj) / sj
            v = math.exp(-0.5 * z * z) * _INV_SQRT2PI / sj
            return v * y if extra_y else v
        pk = cj - mu
        if -a < pk < a:  # (y + a)^b (a − y)^b: one factor in the weight, one in f
            v1 = quad(lambda y, f=f: f(y) * (a - y) ** b, -a, pk, weight="alg",
                      wvar=(b, 0.0), **kw)[0]
            v2 = quad(lambda y, f=f: f(y) * (a + y) ** b, pk, a, weight="alg",
                      wvar=(0.0, b), **kw)[0]
            out[j] = v1 + v2
        else:
            out[j] = quad(f, -a, a, weight="alg", wvar=(b, b), **kw)[0]
    return out


def attention(mu: float, sigma2: float, alpha: float, rbf: GaussianRBF, *,
              jacobian: bool = False, method: str = "auto",
              n_nodes: int | None = None) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    r"""Context :math:`r_j = E_p[\psi_j(t)]` of a 1-D α-entmax density, and its Jacobian.

    Parameters
    ----------
    mu : float
        Location μ of the score :math:`f(t) = -(t-\mu)^2/(2\sigma^2)`.
    sigma2 : float, > 0
        σ² (the scale; the variance only at α = 1).
    alpha : float, >= 1
    rbf : GaussianRBF
        The J basis functions.
    jacobian : bool
        Also return the (J, 2) Jacobian :math:`[\partial r/\partial\mu,
        \partial r/\partial\sigma^2]`.
    method : {"auto", "closed", "jacobi", "quad"}
        ``auto``: closed form at α = 1 and α = k/(k−1) (integer β), Gauss–Jacobi
        otherwise; ``closed`` raises for other α; ``quad``: scipy ``quad`` per basis
        function (slow; an independent path).
    n_nodes : int, optional
        Gauss–Jacobi nodes (default: enough to resolve the narrowest RBF,
        ``64 + 12 a / min s_j``, at most 4000).

    Returns
    -------
    r : ndarray, shape (J,)
    jac : ndarray, shape (J, 2), only if ``jacobian``
    """
    mu = check_real_finite(mu, "mu")
    s2 = check_positive(sigma2, "sigma2")
    a_ = check_alpha_finite(alpha)
    check_instance(rbf, GaussianRBF, "rbf")
    if method not in ("auto", "closed", "jacobi", "quad"):
        raise ValueError(f"method must be 'auto', 'closed', 'jacobi' or 'quad'; got {method!r}")
    if a_ == 1.0:
        if method in ("jacobi", "quad"):
            raise ValueError("alpha = 1 has unbounded support: use method 'auto' or 'closed'")
        v = s2 + rbf.widths ** 2
        d = mu - rbf.centers
        r = np.exp(-0.5 * d * d / v) * _INV_SQRT2PI / np.sqrt(v)
        if not jacobian:
            return r
        jac = np.stack([-d / v * r, 0.5 * r * (d * d / v - 1.0) / v], axis=1)
        return r, jac
    b = 1.0 / (a_ - 1.0)
    a = math.sqrt(s2) * math.exp(_radius_terms(a_, 1, math.log(s2))[0])  # σR
    c = (0.5 * (a_ - 1.0) / s2) ** b
    n_int = integer_beta(a_)
    if method == "closed" and n_int is None:
        raise ValueError(f"no closed form for alpha = {a_!r}: closed forms exist at alpha = 1 "
                         "and alpha = k/(k-1) (2, 3/2, 4/3, ...); use method 'auto'")
    if method == "auto":
        method = "closed" if n_int is not None else "jacobi"
    if method == "closed":
        assert n_int is not None  # checked above
        parts = _closed_integrals(n_int, a, mu, rbf, jacobian)
        r = c * parts[0]
        if not jacobian:
            return r
        m0, m1 = parts[1], parts[2]
        d_mu = 2.0 * b * c * m1
        d_s2 = -b / s2 * r + 2.0 * b * b * a * a / ((2.0 * b + 1.0) * s2) * c * m0
        return r, np.stack([d_mu, d_s2], axis=1)
    if method == "jacobi":
        nn = n_nodes if n_nodes is not None else int(
            min(4000, 64 + math.ceil(12.0 * a / float(rbf.widths.min()))))

        far, dead = _split_far(a, mu, rbf)
        far &= (rbf.widths < WIDE * a) & ~dead
        near = ~(far | dead)
        near_rbf = _Sub(rbf.centers[near], rbf.widths[near])
        far_rbf = _Sub(rbf.centers[far], rbf.widths[far])

        def integ(bb, ey=False):
            out = np.zeros(len(rbf))
            if np.any(near):
                out[near] = _jacobi_integrals(bb, a, mu, near_rbf, nn, ey)
            if np.any(far):
                out[far] = _edge_integrals(bb, a, mu, far_rbf, ey)
            return out
    else:
        def integ(bb, ey=False):
            return _quad_integrals(bb, a, mu, rbf, ey)
    r = c * integ(b)
    if not jacobian:
        return r
    m0 = integ(b - 1.0)
    m1 = integ(b - 1.0, True)
    d_mu = 2.0 * b * c * m1
    d_s2 = -b / s2 * r + 2.0 * b * b * a * a / ((2.0 * b + 1.0) * s2) * c * m0
    return r, np.stack([d_mu, d_s2], axis=1)
