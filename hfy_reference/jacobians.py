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
    """``J v`` for softmax, ``J = diag(p) - p p^T`` (rows); the weighted form below with
    ``g = p`` (``sum p = 1``), so a dominant entry (``p_j`` near 1) keeps its digits."""
    supp = p > 0
    logg = np.full_like(p, -np.inf)
    np.log(p, out=logg, where=supp)
    return _weighted_jvp(logg, v)


def _weighted_jvp(logg: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``g * v - g (g . v) / sum g`` per row, from ``log g`` (``-inf`` off the support).

    The weighted mean uses ``w = g / max g`` (no overflow); each entry is
    ``g_i (v_i - vbar)`` with its own ``g_i`` (finite unless the product itself is out of
    range); the dominant entry ``j`` uses the cancellation-free
    ``(J v)_j = (w_j / sum w) sum_{l != j} g_l (v_j - v_l)``, since ``v_j - vbar`` is a
    difference of nearly equal numbers there.
    """
    out = np.zeros_like(v)
    ok = np.isfinite(logg).any(axis=-1)
    if not ok.any():
        return out
    lg, v = logg[ok], v[ok]
    r = np.arange(lg.shape[0])
    j = np.argmax(lg, axis=-1)
    top = lg[r, j][:, None]
    with np.errstate(over="ignore", under="ignore"):
        w = np.exp(lg - top)  # in [0, 1], 1 at j
        wsum = w.sum(axis=-1)
        vbar = np.sum(w * v, axis=-1) / wsum
        g = np.exp(lg)
        d = v - vbar[:, None]
        res = np.where(d != 0.0, g * np.where(d != 0.0, d, 1.0), 0.0)
        vj = v[r, j][:, None]
        dj = vj - v
        terms = np.where((dj != 0.0) & (g > 0), g * np.where(dj != 0.0, dj, 1.0), 0.0)
        terms[r, j] = 0.0
        res[r, j] = terms.sum(axis=-1) / wsum
    out[ok] = res
    return out


def _col(alpha):
    """A float, or per-row values as a column ``(rows, 1)``."""
    if isinstance(alpha, np.ndarray):
        return alpha.reshape(-1, 1)
    return alpha


def entmax_jvp(p: np.ndarray, v: np.ndarray, alpha) -> np.ndarray:
    """``J v`` for α-entmax at output ``p`` (``alpha > 0``; ``inf`` gives 0; ``alpha``
    a float or one value per row).

    ``g = p^{2-alpha}`` is handled through ``log g = (2 - alpha) log p``, so that it does
    not overflow for large ``alpha`` (``p = 1e-20``, ``alpha = 30``: ``g = 1e560``) while
    ``J v`` is finite.  For ``0 < alpha < 1`` every unmasked entry is in the support."""
    a = _col(alpha)
    if np.all(np.isinf(a)):
        return np.zeros_like(v)
    supp = p > 0
    logg = np.full_like(p, -np.inf)
    np.log(p, out=logg, where=supp)
    if isinstance(a, np.ndarray):
        fac = np.where(np.isinf(a), 0.0, 2.0 - a)
        logg = np.where(supp, np.where(a == 2.0, 0.0, np.where(supp, logg, 0.0) * fac),
                        -np.inf)
        out = _weighted_jvp(logg, v)
        out[np.isinf(a[:, 0])] = 0.0
        return out
    if alpha == 2.0:
        logg[supp] = 0.0
    else:
        logg[supp] *= 2.0 - alpha
    return _weighted_jvp(logg, v)


def normmax_jvp(p: np.ndarray, v: np.ndarray, alpha) -> np.ndarray:
    """``J v`` for α-normmax at output ``p`` (``alpha > 1``; ``inf`` gives 0; ``alpha``
    a float or one value per row).

    The factors ``c = ||p||_alpha^{alpha-1}/(alpha-1)`` and ``b_i = p_i^{2-alpha}`` are
    combined in log space: for large ``alpha`` one underflows and the other overflows
    while their product ``(||p||_alpha / p_i)^{alpha-1} p_i / (alpha-1)`` is moderate."""
    a = _col(alpha)
    zero = np.isinf(a) | (a == 1.0)
    if np.all(zero):
        return np.zeros_like(v)
    if isinstance(a, np.ndarray):
        a = np.where(zero, 2.0, a)
    supp = p > 0
    logp = np.full_like(p, -np.inf)
    np.log(p, out=logp, where=supp)
    pmax = p.max(axis=-1, keepdims=True)
    lognorm = np.log(pmax) + np.log(np.sum((p / pmax) ** a, axis=-1, keepdims=True)) / a
    logb = (2.0 - a) * np.where(supp, logp, 0.0)
    logcb = (a - 1.0) * lognorm - np.log(a - 1.0) + logb
    with np.errstate(over="ignore", under="ignore"):
        cb = np.where(supp, np.exp(logcb), 0.0)
        u = cb * (v - np.sum(p * v, axis=-1, keepdims=True))
        out = u - p * np.sum(u, axis=-1, keepdims=True)
    if isinstance(a, np.ndarray):
        out[zero[:, 0]] = 0.0
    return out


def free_set_jvp(free: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``J v = 1_F v - 1_F (sum_F v)/|F|`` (k-subsets, constrained sparsemax)."""
    f = free.astype(np.float64)
    n = f.sum(axis=-1, keepdims=True)
    mean = np.divide(np.sum(f * v, axis=-1, keepdims=True), n,
                     out=np.zeros_like(n), where=n > 0)
    return f * (v - mean)
