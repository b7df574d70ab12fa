"""A correct backend written from the maths, as a backend author would write it.

Sort-based sparsemax (Martins & Astudillo 2016) and 1.5-entmax (Peters, Niculae &
Martins 2019, Algorithm 2), their VJPs and their Fenchel-Young losses and gradients,
in NumPy, computed *in the dtype of the input* (float32 stays float32).  Nothing here
calls hfy_reference: it is the "correct textbook backend" the oracle must never fail.

Deliberate textbook choices (each a legitimate implementation, each a source of
rounding the oracle's error model has to admit):

* the cumulative sums are ``np.cumsum``, which adds **sequentially** (left to right;
  NumPy's ``np.sum`` is pairwise, its ``cumsum`` is not);
* the scores are shifted by their maximum first (``d = z - max z``), as every
  practical implementation does;
* 1.5-entmax's threshold uses the variance as ``mean(s^2) - mean(s)^2`` (the
  published formula, with its cancellation);
* the VJPs are the closed forms ``s * (g - mean_S g)`` and ``w * (g - <w, g>/sum w)``,
  ``w = sqrt(p)``, on the backend's own forward output;
* the losses are ``Omega(y) - Omega(p) + <z - max z, p - y>``.
"""

from __future__ import annotations

import numpy as np


def _shift(z):
    z = np.asarray(z)
    with np.errstate(invalid="ignore", over="ignore"):
        m = np.max(z, axis=-1, keepdims=True)
        return z - m  # -inf masks stay -inf; a difference past -max float is -inf


def _support_sizes(ok):
    """The support size: the largest k with ok[k-1] true (ok is monotone in k)."""
    return np.sum(ok, axis=-1, keepdims=True)


def sparsemax(z):
    dt = np.asarray(z).dtype
    with np.errstate(invalid="ignore", over="ignore"):
        d = _shift(z)
        s = -np.sort(-d, axis=-1)
        k = np.arange(1, d.shape[-1] + 1, dtype=dt)
        cs = np.cumsum(s, axis=-1, dtype=dt)  # sequential
        ok = 1 + k * s > cs
        n = _support_sizes(ok)
        tau = (np.take_along_axis(cs, n - 1, axis=-1) - 1) / n.astype(dt)
        return np.maximum(d - tau, 0).astype(dt)


def entmax15(z):
    dt = np.asarray(z).dtype
    with np.errstate(invalid="ignore", over="ignore"):
        x = _shift(z) / 2
        s = -np.sort(-x, axis=-1)
        k = np.arange(1, x.shape[-1] + 1, dtype=dt)
        fin = np.isfinite(s)
        sf = np.where(fin, s, 0)
        mean = np.cumsum(sf, axis=-1, dtype=dt) / k
        mean_sq = np.cumsum(sf * sf, axis=-1, dtype=dt) / k
        ss = k * (mean_sq - mean * mean)
        delta = np.maximum((1 - ss) / k, 0)
        tau = mean - np.sqrt(delta)
        ok = (tau <= s) & fin
        n = _support_sizes(ok)
        t = np.take_along_axis(tau, n - 1, axis=-1)
        return (np.maximum(x - t, 0) ** 2).astype(dt)


def sparsemax_vjp(z, g):
    p = sparsemax(z)
    s = (p > 0).astype(p.dtype)
    gm = np.sum(g * s, axis=-1, keepdims=True) / np.sum(s, axis=-1, keepdims=True)
    return (s * (g - gm)).astype(p.dtype)


def entmax15_vjp(z, g):
    p = entmax15(z)
    w = np.sqrt(p)
    q = np.sum(g * w, axis=-1, keepdims=True) / np.sum(w, axis=-1, keepdims=True)
    return (w * (g - q)).astype(p.dtype)


def _fy_loss(z, y, p, omega):
    with np.errstate(invalid="ignore", over="ignore"):
        d = _shift(z)
        on_mask = np.any((y > 0) & np.isneginf(d), axis=-1)
        dp = np.sum(np.where(p > 0, d * p, 0), axis=-1)
        dy = np.sum(np.where(y > 0, d * y, 0), axis=-1)
        L = omega(y) - omega(p) + dp - dy
        L = np.where(on_mask, np.inf, np.maximum(L, 0))
    return L.astype(p.dtype)


def sparsemax_loss(z, y):
    return _fy_loss(z, y, sparsemax(z), lambda q: (np.sum(q * q, axis=-1) - 1) / 2)


def entmax15_loss(z, y):
    return _fy_loss(z, y, entmax15(z),
                    lambda q: (np.sum(q * np.sqrt(q), axis=-1) - 1) / 0.75)


def sparsemax_loss_grad(z, y):
    return sparsemax(z) - y


def entmax15_loss_grad(z, y):
    return entmax15(z) - y


def softmax_loss(z, y):
    """Cross-entropy as the frameworks compute it: ``log S - <z - max z, y> +
    sum y log y`` with ``S = sum exp(z - max z)`` rounded to the dtype (``S >= 1``)."""
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        d = _shift(z)
        S = np.sum(np.exp(d), axis=-1)
        on_mask = np.any((y > 0) & np.isneginf(d), axis=-1)
        dy = np.sum(np.where(y > 0, d * y, 0), axis=-1)
        ent = np.sum(np.where(y > 0, y * np.log(np.where(y > 0, y, 1)), 0), axis=-1)
        L = np.log(S) - dy + ent
        L = np.where(on_mask, np.inf, np.maximum(L, 0))
    return L.astype(z.dtype)


#: (family, params, fn) of every textbook backend
BACKENDS = [
    ("sparsemax", {}, sparsemax),
    ("entmax", {"alpha": 1.5}, entmax15),
    ("sparsemax_vjp", {}, sparsemax_vjp),
    ("entmax_vjp", {"alpha": 1.5}, entmax15_vjp),
    ("sparsemax_loss", {}, sparsemax_loss),
    ("entmax_loss", {"alpha": 1.5}, entmax15_loss),
    ("sparsemax_loss_grad", {}, sparsemax_loss_grad),
    ("entmax_loss_grad", {"alpha": 1.5}, entmax15_loss_grad),
    ("softmax_loss", {}, softmax_loss),
]
