r"""Jacobians of the prediction maps, as Jacobian-vector products.

Every map ``p = y_hat(z)`` here has a symmetric Jacobian ``J = dp/dz``, so the
vector-Jacobian product equals the JVP; both are offered so that a backend's
``backward`` can be checked against ``vjp`` and its forward-mode against ``jvp``.
The functions take the *output* ``p`` of the map (canonical rows: float64, shape
``(rows, N)``, reduced axis last) and the tangent ``v`` in the same layout:

============================  ==========================================================
map                           ``J v``
============================  ==========================================================
softmax                       ``p * v - p (p . v)``
α-entmax (sparsemax α=2)      ``g * v - g (g . v) / sum g``, ``g_i = p_i^{2-α}`` on the
                              support, 0 off it (sparsemax: the support indicator)
α-normmax                     ``c (I - p 1^T) diag(b) (I - 1 p^T) v``, ``b_i = p_i^{2-α}``
                              on the support, ``c = ||p||_α^{α-1} / (α-1)``
k-subsets, constrained        ``1_F * v - 1_F (sum_F v) / |F|``, ``F`` = entries strictly
sparsemax                     between their bounds (0 when ``F`` is empty)
argmax (and normmax α=inf)    0 (piecewise constant)
============================  ==========================================================

Numerics.  For ``α > 2`` the entmax weights ``g_i = p_i^{2-α}`` of entries near the
threshold are huge (``p = 0.05``, ``α = 30`` gives ``g ≈ 1e36``); the row's dominant
weight ``g_j`` is then handled with the cancellation-free form
``(J v)_j = (g_j / sum g) sum_{l != j} g_l (v_j - v_l)``, so the result keeps its relative
accuracy.  Each formula is tested against finite differences of the map.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "softmax_jvp",
    "entmax_jvp",
    "normmax_jvp",
    "free_set_jvp",
]


def softmax_jvp(p: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``J v`` for softmax, ``J = diag(p) - p p^T`` (rows)."""
    return p * (v - np.sum(p * v, axis=-1, keepdims=True))


def _weighted_jvp(g: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``g * v - g (g . v) / sum g`` per row, accurate when one ``g`` dominates."""
    out = np.zeros_like(v)
    gsum = g.sum(axis=-1, keepdims=True)
    ok = gsum[:, 0] > 0
    if not ok.any():
        return out
    g, v, gsum = g[ok], v[ok], gsum[ok]
    vbar = np.sum(g * v, axis=-1, keepdims=True) / gsum
    res = g * (v - vbar)
    # the dominant entry of each row, recomputed without cancellation
    j = np.argmax(g, axis=-1)
    r = np.arange(g.shape[0])
    vj = v[r, j][:, None]
    others = g * (vj - v)
    others[r, j] = 0.0
    res[r, j] = (g[r, j] / gsum[:, 0]) * others.sum(axis=-1)
    out[ok] = res
    return out


def entmax_jvp(p: np.ndarray, v: np.ndarray, alpha: float) -> np.ndarray:
    """``J v`` for α-entmax at output ``p`` (``alpha > 1``; ``inf`` gives 0)."""
    if np.isinf(alpha):
        return np.zeros_like(v)
    supp = p > 0
    if alpha == 2.0:
        g = supp.astype(np.float64)
    else:
        g = np.zeros_like(p)
        np.power(p, 2.0 - alpha, out=g, where=supp)
    return _weighted_jvp(g, v)


def normmax_jvp(p: np.ndarray, v: np.ndarray, alpha: float) -> np.ndarray:
    """``J v`` for α-normmax at output ``p`` (``alpha > 1``; ``inf`` gives 0)."""
    if np.isinf(alpha):
        return np.zeros_like(v)
    supp = p > 0
    b = np.zeros_like(p)
    np.power(p, 2.0 - alpha, out=b, where=supp)
    pmax = p.max(axis=-1, keepdims=True)
    norm = pmax * np.sum((p / pmax) ** alpha, axis=-1, keepdims=True) ** (1.0 / alpha)
    c = norm ** (alpha - 1.0) / (alpha - 1.0)
    u = b * (v - np.sum(p * v, axis=-1, keepdims=True))
    return c * (u - p * np.sum(u, axis=-1, keepdims=True))


def free_set_jvp(free: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``J v = 1_F v - 1_F (sum_F v)/|F|`` (k-subsets, constrained sparsemax)."""
    f = free.astype(np.float64)
    n = f.sum(axis=-1, keepdims=True)
    mean = np.divide(np.sum(f * v, axis=-1, keepdims=True), n,
                     out=np.zeros_like(n), where=n > 0)
    return f * (v - mean)
