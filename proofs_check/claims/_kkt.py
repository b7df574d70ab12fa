r"""Optimality (KKT) residuals of a map's output, at the scale of ulps.

Value-based checks (``L(z; p) ≥ 0`` for perturbed ``p``) cannot see a map error smaller
than the perturbation step squared; the stationarity conditions can.  For ``ŷ = ŷ_Ω(z)``
and ``s = z − max z`` (computed in float64, each entry within half an ulp of ``|s_i|``):

* softmax: ``s_i − log ŷ_i`` is the same constant for every i (ŷ_i > 0 always);
* α-entmax: ``(α−1)s_i − ŷ_i^{α−1} = τ`` on the support, ``(α−1)s_j ≤ τ`` off it;
* α-normmax: ``s_i − c ŷ_i^{α−1} = τ`` on the support, ``c = ‖ŷ‖_α^{1−α}``, and
  ``s_j ≤ τ`` off it;
* k-subsets: ``s_i − ŷ_i = τ`` where ``0 < ŷ_i < 1``, ``s_j ≤ τ`` where ``ŷ_j = 0``,
  ``s_j − 1 ≥ τ`` where ``ŷ_j = 1``.

The residual is the spread ``max_i t_i − min_i t_i`` of the per-entry estimates ``t_i``
of τ (and the worst violation of the inequalities), compared with a rounding bound:
``t_i`` carries the rounding of ``s_i`` (``EPS|s_i|``), of the product by ``α − 1``, and
of ``ŷ_i^{α−1}`` given ``ŷ_i`` to ``R`` ulps (``((α−1)R + 2)·EPS·ŷ_i^{α−1}``); ``R = 4``
covers the normalization of ŷ (measured: the library's outputs sit well inside).
An interior entry moved by a relative 1e-9 moves its ``t_i`` by ``(α−1)·1e-9·ŷ_i^{α−1}``:
six orders of magnitude above the bound.
"""

from __future__ import annotations

import math

import numpy as np

from .._num import EPS

R_ULPS = 4.0


def kkt(spec, z: np.ndarray, p: np.ndarray, c) -> None:
    """Add the KKT conditions of ``p = ŷ(z)`` for ``spec`` to the :class:`Checks` ``c``."""
    z = np.asarray(z, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    s = z - np.max(z)
    fam = spec.family
    if fam == "shannon":
        ok = p > 1e-290  # log of a subnormal loses relative accuracy
        if ok.sum() < 2:
            return
        t = s[ok] - np.log(p[ok])
        tol = 4 * EPS * float(np.max(np.abs(s[ok]))) + (R_ULPS + 2) * EPS * 2
        c.leq("KKT: z_i − log ŷ_i constant (ulps)", float(np.ptp(t)), 0.0, tol)
        return
    if fam == "ksubsets":
        inner = (p > 0) & (p < 1)
        if inner.any():
            t = s[inner] - p[inner]
            tau_hi, tau_lo = float(np.max(t)), float(np.min(t))
            tol = 4 * EPS * (float(np.max(np.abs(s[inner]))) + 1.0)
            c.leq("KKT: z_i − μ_i constant where 0 < μ_i < 1 (ulps)", tau_hi - tau_lo, 0.0,
                  tol)
            zero, one = p == 0, p == 1
            if zero.any():
                c.leq("KKT: z_j ≤ τ where μ_j = 0", float(np.max(s[zero])), tau_lo, tol)
            if one.any():
                c.geq("KKT: z_j − 1 ≥ τ where μ_j = 1", float(np.min(s[one])) - 1.0, tau_hi,
                      tol)
        return
    a = spec.alpha
    if a is None or math.isinf(a):
        return
    supp = p > 0
    if not supp.any():
        return
    if fam == "tsallis":
        am1 = a - 1.0
        u = am1 * s
        pw = p[supp] ** am1
        t = u[supp] - pw
        name = "(α−1)z_i − ŷ_i^(α−1)"
    elif fam == "norm":
        am1 = a - 1.0
        nrm = float(np.sum(p**a)) ** (1.0 / a)
        cc = nrm ** (1.0 - a)
        u = s
        pw = cc * p[supp] ** am1
        t = u[supp] - pw
        name = "z_i − ‖ŷ‖_α^(1−α) ŷ_i^(α−1)"
        am1 = am1 + (a + 2) * abs(1.0 - a) / a  # the relative error of c: ≈ |1−α|·(α+2)/α ulps
    else:
        return
    tol = (4 * EPS * float(np.max(np.abs(u[supp])))
           + (am1 * R_ULPS + 4) * EPS * float(np.max(pw)))
    if t.size >= 2:
        c.leq(f"KKT: {name} constant on the support (ulps)", float(np.ptp(t)), 0.0, tol)
    off = ~supp
    if off.any():
        c.leq("KKT: off the support below the threshold", float(np.max(u[off])),
              float(np.min(t)), tol)
