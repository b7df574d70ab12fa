"""Small numerical helpers shared by the claims (sampling, exactness tests, JSON).

Nothing here computes a map, an energy or a theory quantity of the library: the claims
call the library for those.  What is here is independent arithmetic used to *build*
instances and *state* conclusions (separations, gaps, sphere samples, the rounding
bounds of dot products).
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np

EPS = float(np.finfo(np.float64).eps)


def gamma(n: int) -> float:
    """The rounding bound of an ``n``-term float64 sum or dot product, relative to the sum
    of the absolute values of its terms: ``γ_n = n u / (1 − n u)``, ``u = eps/2``
    (Higham, *Accuracy and Stability of Numerical Algorithms*, §3.1)."""
    u = EPS / 2
    return n * u / (1.0 - n * u)


def log_uniform(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(10.0 ** rng.uniform(math.log10(lo), math.log10(hi)))


def sphere(rng: np.random.Generator, n: int, d: int, radius: float = 1.0) -> np.ndarray:
    """``n`` points uniform on the sphere of ``radius`` in R^d (normalized Gaussians)."""
    g = rng.standard_normal((n, d))
    return radius * g / np.linalg.norm(g, axis=1, keepdims=True)


def simplex_point(rng: np.random.Generator, n: int, sparse: bool = False) -> np.ndarray:
    """A point of the probability simplex (a face of it when ``sparse``)."""
    w = rng.exponential(size=n)
    if sparse and n > 1:
        keep = rng.integers(1, n + 1)
        w[rng.permutation(n)[keep:]] = 0.0
    return w / w.sum()


def capped_simplex_point(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    """A point of ``{μ ∈ [0,1]^n, Σμ = k}``: a convex combination of k-subset indicators."""
    m = rng.integers(1, 4)
    w = simplex_point(rng, m)
    mu = np.zeros(n)
    for wi in w:
        a = np.zeros(n)
        a[rng.permutation(n)[:k]] = 1.0
        mu += wi * a
    return np.clip(mu, 0.0, 1.0)


def exact_gap(hi: float, lo: float) -> Fraction:
    """``hi − lo`` in exact rational arithmetic (no rounding)."""
    return Fraction(float(hi)) - Fraction(float(lo))


def support(p: np.ndarray) -> np.ndarray:
    """Indices of the strictly positive entries (the maps return exact zeros off it)."""
    return np.flatnonzero(np.asarray(p) > 0.0)


def one_hot_error(p: np.ndarray, i: int) -> float:
    """``max |p − e_i|``; and ``inf`` when an entry off ``i`` is not exactly 0."""
    p = np.asarray(p, dtype=np.float64)
    off = np.delete(p, i)
    if off.size and np.any(off != 0.0):
        return math.inf
    return abs(float(p[i]) - 1.0)


def separations(X: np.ndarray) -> np.ndarray:
    """``Δ_i = x_iᵀx_i − max_{j≠i} x_iᵀx_j`` for all i (math §6 T4), in float64."""
    G = X @ X.T
    d = np.diag(G).copy()
    np.fill_diagonal(G, -np.inf)
    return d - G.max(axis=1)


def to_jsonable(obj: Any) -> Any:
    """Recursively convert numpy values to JSON types (non-finite floats as strings)."""
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, (np.bool_, bool)):
        return bool(obj)
    if isinstance(obj, (np.integer, int)):
        return int(obj)
    if isinstance(obj, (np.floating, float)):
        x = float(obj)
        if math.isnan(x):
            return "nan"
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
        return x
    if obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, Fraction):
        return float(obj)
    return repr(obj)


def size_of(obj: Any) -> int:
    """Total number of array entries in an instance (to pick the smallest
    counterexample)."""
    if isinstance(obj, dict):
        return sum(size_of(v) for v in obj.values())
    if isinstance(obj, (list, tuple)):
        return sum(size_of(v) for v in obj) if obj else 0
    if isinstance(obj, np.ndarray):
        return int(obj.size)
    return 1
