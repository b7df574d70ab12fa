"""Shared pieces of the Hopfield claims (T3-T7, T9-T11): pattern sets built to satisfy
the theorems' assumptions, exact separations and gaps, and the network under test.

Separations and gaps are computed here in exact rational arithmetic (``fractions``), not
with ``hfy_reference.theory``: the instances must not depend on the code under test
(the claims compare ``theory`` with these values separately).
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from .._num import EPS, gamma, log_uniform, sphere

SLIDES = "talk slides, 'Exact Convergence to Single Pattern' (seeds/001, A. Martins 2024)"
PAPER = "math §6; Santos, Niculae, McNamee & Martins (ICML 2024; JMLR), HFY networks"


def fr(x) -> list[Fraction]:
    return [Fraction(float(v)) for v in np.asarray(x, dtype=np.float64).ravel()]


def dot_exact(a, b) -> Fraction:
    return sum((x * y for x, y in zip(fr(a), fr(b), strict=True)), Fraction(0))


def exact_gaps(X: np.ndarray, q: np.ndarray, i: int) -> list[Fraction]:
    """``q^T (x_i − x_j)`` for every ``j ≠ i``, exactly."""
    s = [dot_exact(X[j], q) for j in range(X.shape[0])]
    return [s[i] - s[j] for j in range(X.shape[0]) if j != i]


def exact_separation(X: np.ndarray, i: int) -> Fraction:
    """``Δ_i = x_iᵀx_i − max_{j≠i} x_iᵀx_j``, exactly."""
    return min(exact_gaps(X, X[i], i))


def rounding_rho(X: np.ndarray, q: np.ndarray, beta: float, m: float) -> float:
    """A bound, relative to ``m``, on how much the rounding of ``z = βXq`` can move any
    gap ``z_i − z_j`` (γ_{D+2} per dot product, both entries, plus the product by β)."""
    D = X.shape[1]
    a = np.abs(X) @ np.abs(q)
    return 2.0 * (gamma(D + 2) + EPS) * beta * float(a.max()) / m


def make_patterns(rng: np.random.Generator, n: int, d: int, mode: str,
                  i: int = 0) -> np.ndarray:
    """``n`` patterns in R^d with pattern ``i`` an extreme point of their convex hull.

    ``"unit"``: uniform on the unit sphere (every pattern is extreme);
    ``"free"``: random directions, norms in [0.3, 1)·s with ``‖x_i‖ = s`` the strict
    maximum (a point of maximal norm is extreme), s ∈ {0.5, 1, 3};
    ``"layernorm"``: rows with mean 0 and ‖x‖ = √d (layer-normalized, biased std 1).
    """
    if mode == "unit":
        return sphere(rng, n, d)
    if mode == "free":
        s = float(rng.choice([0.5, 1.0, 3.0]))
        r = rng.uniform(0.3, 0.999, n) * s
        r[i] = s
        return sphere(rng, n, d) * r[:, None]
    if mode == "layernorm":
        G = rng.standard_normal((n, d))
        G -= G.mean(axis=1, keepdims=True)
        return math.sqrt(d) * G / np.linalg.norm(G, axis=1, keepdims=True)
    raise ValueError(mode)


def sizes(rng: np.random.Generator, idx: int, n_max: int = 12, d_min: int = 2,
          d_max: int = 12) -> tuple[int, int]:
    """(N, D): the smallest sizes for the first instances, random later."""
    if idx < 6:
        return 2 + idx % 3, d_min + idx % 2
    return int(rng.integers(2, n_max + 1)), int(rng.integers(d_min, d_max + 1))


def side_delta(rng: np.random.Generator, lo: float = 1e-9, hi: float = 1.0) -> float:
    r = rng.random()
    if r < 0.2:
        return lo
    return log_uniform(rng, lo, hi)


POSTS = {
    None: lambda h: None,
    "l2": lambda h: h.L2Ball(1.0),
    "layernorm": lambda h: h.LayerNorm(),
    "sign": lambda h: h.Sign(),
    "tanh": lambda h: h.Tanh(1.0),
}


def post_object(subject, post: str | None):
    """The post-transformation ``post`` (a name) built from the subject's module, so that
    a negative control can substitute a broken one."""
    return POSTS[post](subject.hopfield)


def network(subject, X, spec, beta, post=None, **kw):
    return subject.hopfield.HopfieldNetwork(X, spec.reg, beta=beta,
                                            post=post_object(subject, post), **kw)


def exact_tol(X: np.ndarray, post: str | None) -> float:
    """How close ``step(q)`` must be to ``x_i`` to count as *exactly* ``x_i``.

    Without a post-transformation, ``Xᵀŷ`` with ``ŷ = e_i`` (exact zeros, ``ŷ_i`` within
    2 ulps of 1) is ``x_i`` to 2 ulps of max|x|.  The ℓ2 and layer-norm Ψ divide by a
    norm computed from D squares: γ_D (plus the centring for layer norm) relative.
    """
    D = X.shape[1]
    s = float(np.max(np.abs(X)))
    if post is None:
        return 2 * EPS * s
    if post == "l2":
        return (gamma(D + 2) + 4 * EPS) * s
    return (2 * gamma(D + 2) + 8 * EPS) * s


def m_exact(spec) -> Fraction:
    """The contract's margin as an exact rational: 1/(α−1) for the float α (entmax), 1 else."""
    if spec.family == "tsallis":
        return Fraction(1) / (Fraction(spec.alpha) - 1)
    return Fraction(1)


def thresholds(spec, published: bool) -> tuple[float, Fraction, str]:
    """The threshold on β·(separation or gap) a claim states: ``m`` (theorem) or ``1/m``
    (the slides), as float, exact rational and text."""
    mf = m_exact(spec)
    if published:
        return float(1 / mf), 1 / mf, "1/m"
    return float(mf), mf, "m"


def bisect_beta(fixed, lo: float, hi: float, iters: int = 60) -> tuple[float, float]:
    """Smallest β (to ~1e-16 relative) with ``fixed(β)`` true, given ``fixed(lo)`` false
    and ``fixed(hi)`` true and monotonicity; returns (lo, hi) bracketing it."""
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        if mid <= lo or mid >= hi:
            break
        if fixed(mid):
            hi = mid
        else:
            lo = mid
    return lo, hi


def margin_map_claims(subject, make_claim) -> list:
    """For every map with a margin (Tsallis and norm families), the library's statement
    and the slides' printed one (``published=True``), built by ``make_claim``."""
    out = []
    for spec in subject.maps.values():
        if spec.family in ("tsallis", "norm") and spec.margin:
            out.append(make_claim(spec, subject, published=False))
            out.append(make_claim(spec, subject, published=True))
    return out
