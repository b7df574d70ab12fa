r"""Reference answers and tolerances for every family of the oracle.

Error model (stated in the package docstring and in ``docs/testing.md``).  A
backend working in a dtype with machine epsilon ``eps`` passes a case when its output
is what an algorithm *backward stable in that dtype* could return: the exact answer
for scores whose shifted values ``z_i - max z`` are each perturbed by at most
``K eps |z_i - max z|``, with each output entry then rounded by at most ``K eps``
(relative), where

.. math::  K = K_0 \max\bigl(1 + \lceil\log_2 N\rceil, \lceil\sqrt N\rceil\bigr),
           \qquad K_0 = 4 .

``K_0 = 4`` allows a handful of roundings per elementary step (shift, scale,
threshold, power/exp, division); the second factor is the error growth of a
reduction over ``N`` entries: ``log2 N`` for pairwise summation (NumPy's, torch's and
XLA's CPU sums; worst case), ``sqrt N`` for blocked summation with blocks of about
``sqrt N`` (worst case ``2 sqrt N``) and for sequential summation with independent
rounding errors (Higham & Mary 2019; the sequential worst case, ``N``, is not
covered).  The maps are shift-invariant, so perturbations are measured relative to
``z - max z``: a backend that does not shift loses ``eps |max z|`` and fails the
shifted and huge-scale cases.

From the model, per entry (``p`` the exact answer, ``J`` its Jacobian, ``W = |z - max
z|``, ``Delta = K eps W``):

* value: ``|p_hat - p| <= K eps |p| + (|J| Delta)_i + tiny`` (first order), and, for an
  entry whose distance to the support threshold is within the perturbation (the
  *rounding zone*), any value between 0 and the map's value at that distance;
* support: outside the rounding zone, ``p_hat_i = 0`` exactly where ``p_i = 0``, and
  masked (``-inf``) entries are exactly 0 always;
* sum: ``|sum p_hat - T| <= sum_i tol_i`` (plus the reference's own distance to
  ``T``): implied by the entries, whatever the order of the backend's reductions
  (:func:`consistent_sum_tol`).

Losses: ``|L_hat - L| <= K eps (|L| + sum_i W_i (p_i + y_i) + |Omega(p)|_+ +
|Omega(y)|_+)``, where ``|Omega(.)|_+`` is the sum of the magnitudes of the terms that
make up Omega (each term of ``Omega(y) - Omega(p) + <z - max z, p - y>`` evaluated
with K roundings); for softmax plus ``K eps`` absolute: the loss takes the logarithm
of the sum ``S >= 1`` of the shifted exponentials, and rounding ``S`` (relative
``eps``) moves ``log S`` by ``eps`` absolute, however small the loss (at a
one-hot target on the maximum, ``L = log S`` can be far below ``eps``).
Gradients ``p - y``: the map tolerance plus ``K eps |p - y|``.
JVP/VJP ``J v``: ``K eps (|J| |v|)_i`` plus the first-order effect of the forward
tolerance on ``J`` (through ``g = p^{2-alpha}``); cases whose support is not
determined at the dtype's precision are skipped (the Jacobian jumps there).
``tiny`` is the smallest normal number of the dtype (below it, relative accuracy is
not representable).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import _suite as S

K0 = 4

MAPS = ("softmax", "sparsemax", "entmax", "normmax", "ksubsets", "constrained_sparsemax")
LOSS_MAPS = ("softmax", "sparsemax", "entmax", "normmax", "ksubsets")
KINDS = ("map", "loss", "loss_grad", "jvp", "vjp")


def family_names() -> list[str]:
    out = list(MAPS)
    out += [f"{m}_loss" for m in LOSS_MAPS] + [f"{m}_loss_grad" for m in LOSS_MAPS]
    out += [f"{m}_jvp" for m in MAPS] + [f"{m}_vjp" for m in MAPS]
    out.append("hopfield_step")
    out.append("registered")
    return out


@dataclass(frozen=True)
class Precision:
    """The dtypes a backend works in: ``input`` (the arrays it receives), ``compute``
    (its arithmetic: the ``eps`` of the error model) and ``output`` (what it returns:
    one more rounding, ``eps_out / 2`` relative, and values below the output's
    smallest normal number are judged absolutely)."""

    input: str = "float64"
    compute: str = "float64"
    output: str = "float64"

    @property
    def eps(self) -> float:
        return float(S.finfo(self.compute).eps)

    @property
    def out_eps(self) -> float:
        return float(S.finfo(self.output).eps)

    @property
    def tiny(self) -> float:
        return max(float(S.finfo(self.compute).tiny), float(S.finfo(self.output).tiny))

    @property
    def label(self) -> str:
        if self.input == self.compute == self.output:
            return self.input
        return f"{self.input} (compute {self.compute}, output {self.output})"

    def output_rounding(self, E: np.ndarray) -> np.ndarray:
        """The output's rounding of the exact answer ``E`` (0 when it is no coarser
        than the compute dtype: ``K eps`` covers it)."""
        if self.out_eps <= self.eps:
            return np.zeros_like(E)
        with np.errstate(over="ignore", invalid="ignore"):
            return np.where(np.isfinite(E), 0.5 * self.out_eps * np.abs(E), 0.0)


def parse_precision(dtype, compute_dtype=None, output_dtype=None) -> Precision:
    """Validate the three dtypes (``None``: the input dtype)."""
    dt = S.as_dtype(np.float64 if dtype is None else dtype)
    ct = dt if compute_dtype is None else S.as_dtype(compute_dtype)
    ot = dt if output_dtype is None else S.as_dtype(output_dtype)
    return Precision(dt.name, ct.name, ot.name)


def K_for(n: int) -> float:
    """The roundoff multiplier for vectors of length ``n``:
    ``K0 max(1 + ceil(log2 n), ceil(sqrt n))`` (see the module docstring)."""
    n = max(int(n), 1)
    return K0 * max(1 + math.ceil(math.log2(n)), math.isqrt(n - 1) + 1)


# ---- parsing a family name and its parameters --------------------------------------------
@dataclass(frozen=True)
class Family:
    """A parsed family: the map, what is compared (map/loss/loss_grad/jvp/vjp) and the
    parameters (``alpha``, ``k``, ``target``)."""

    map: str
    kind: str
    alpha: Any = None  # a float for entmax/normmax, else None
    k: Any = None  # an int for ksubsets, else None
    target: str = "distribution"

    @property
    def name(self) -> str:
        return self.map if self.kind == "map" else f"{self.map}_{self.kind}"

    @property
    def params(self) -> dict:
        d: dict[str, Any] = {}
        if self.alpha is not None:
            d["alpha"] = self.alpha
        if self.k is not None:
            d["k"] = self.k
        if self.kind in ("loss", "loss_grad"):
            d["target"] = self.target
        return d

    @property
    def margin(self) -> float:
        if self.map == "entmax":
            return 1.0 / (self.alpha - 1.0)
        return 1.0

    @property
    def total(self) -> float:
        return float(self.k) if self.map == "ksubsets" else 1.0

    @property
    def smooth_alpha(self) -> float:
        """The exponent of the entmax-like families (softmax = 1, sparsemax = 2)."""
        if self.map == "softmax":
            return 1.0
        if self.map == "sparsemax":
            return 2.0
        return float(self.alpha)

    def regularizer(self):
        """The library's regularizer of this map (from the registry), or ``None`` for a
        map without one (constrained sparsemax)."""
        from .. import registry

        if self.map == "sparsemax":
            return registry.entry("entmax").cls(2.0)
        try:
            e = registry.entry(self.map)
        except ValueError:
            return None
        prm = {n: v for n, v in (("alpha", self.alpha), ("k", self.k)) if v is not None}
        return e.cls(**prm)

    def argnames(self) -> tuple:
        """The backend's positional arguments, in order."""
        lead = ("z", "upper") if self.map == "constrained_sparsemax" else ("z",)
        if self.kind == "map":
            return lead
        if self.kind in ("loss", "loss_grad"):
            return lead + (("target",) if self.target == "index" else ("y",))
        return lead + (("v",) if self.kind == "jvp" else ("g",))


def parse_family(family: str, params: dict) -> Family:
    """Validate ``family`` and its parameters; raise ``ValueError`` with the remedy."""
    if not isinstance(family, str):
        raise TypeError(f"family must be a string such as 'entmax'; got {family!r}")
    names = family_names()
    if family not in names:
        raise ValueError(f"unknown family {family!r}; choose one of: {', '.join(names)}")
    if family in ("hopfield_step", "registered"):
        raise ValueError(f"use the {family} family through check_backend")
    kind = "map"
    mp = family
    for suffix in ("_loss_grad", "_loss", "_jvp", "_vjp"):
        if family.endswith(suffix):
            kind, mp = suffix[1:], family[: -len(suffix)]
            break
    params = dict(params)
    alpha = params.pop("alpha", None)
    k = params.pop("k", None)
    target = params.pop("target", "distribution")
    if params:
        raise ValueError(f"unexpected parameters for family {family!r}: {sorted(params)}")
    if mp in ("entmax", "normmax"):
        if alpha is None:
            raise ValueError(f"family {family!r} needs alpha=... (1 < alpha < inf)")
        a = float(alpha)
        if not (a > 1.0 and math.isfinite(a)):
            hint = " (alpha = 1 is the softmax family)" if mp == "entmax" else ""
            raise ValueError(f"alpha must satisfy 1 < alpha < inf; got {alpha!r}{hint}")
        alpha = a
    elif alpha is not None:
        raise ValueError(f"family {family!r} takes no alpha")
    if mp == "ksubsets":
        if k is None:
            raise ValueError(f"family {family!r} needs k=... (an integer >= 1)")
        if isinstance(k, bool) or int(k) != k or int(k) < 1:
            raise ValueError(f"k must be an integer >= 1; got {k!r}")
        k = int(k)
    elif k is not None:
        raise ValueError(f"family {family!r} takes no k")
    if kind in ("loss", "loss_grad"):
        if target not in ("distribution", "index"):
            raise ValueError(f"target must be 'distribution' or 'index'; got {target!r}")
        if target == "index" and mp == "ksubsets":
            raise ValueError("ksubsets losses take a point of the capped simplex: "
                             "target='distribution'")
    elif target != "distribution":
        raise ValueError(f"family {family!r} takes no target")
    return Family(mp, kind, alpha, k, target)


# ---- references ---------------------------------------------------------------------------
def reference_map(fam: Family, Z: np.ndarray, U: np.ndarray | None = None) -> np.ndarray:
    """The exact answer (float64) of the map on float64 scores ``Z`` (rows, N)."""
    from .. import maps

    if fam.map == "softmax":
        return maps.softmax(Z)
    if fam.map == "sparsemax":
        return maps.sparsemax(Z)
    if fam.map == "entmax":
        return maps.entmax(Z, fam.alpha)
    if fam.map == "normmax":
        return maps.normmax(Z, fam.alpha)
    if fam.map == "ksubsets":
        return maps.sparsemap_ksubsets(Z, fam.k)
    assert U is not None, "constrained_sparsemax needs its upper bounds"
    return maps.constrained_sparsemax(Z, U)


# ---- tolerances ---------------------------------------------------------------------------
@dataclass
class MapTolerance:
    tol: np.ndarray  # per entry
    hard_zero: np.ndarray  # entries that must be exactly 0
    zone: np.ndarray  # rounding zone: support membership may differ
    rel: np.ndarray  # tol / p on the support (0 elsewhere), for propagation


def _shifted(Z: np.ndarray):
    fin = np.isfinite(Z)
    m = np.max(np.where(fin, Z, -np.inf), axis=1, keepdims=True)
    with np.errstate(over="ignore", invalid="ignore"):
        D = np.where(fin, Z - m, -np.inf)  # may be -inf by overflow
    # a difference beyond the float64 range: its relative perturbation cannot bring
    # the entry near the threshold (it acts as a mask, which the answer treats it as)
    W = np.where(np.isfinite(D), np.abs(D), 0.0)
    return fin, D, W


def _weighted_abs_jac(g: np.ndarray, X: np.ndarray) -> np.ndarray:
    """``(|J| X)_i`` for ``J = diag(g) - g g^T / sum g`` (rows), exactly signed:
    ``g_i [(G - g_i)/G X_i + (sum_j g_j X_j - g_i X_i)/G]``; the dominant entry of each
    row is summed directly (no cancellation)."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        gX = np.where(g > 0, g * X, 0.0)
        G = g.sum(axis=1, keepdims=True)
        GX = gX.sum(axis=1, keepdims=True)
        others = G - g
        othersX = GX - gX
        j = np.argmax(g, axis=1)
        r = np.arange(g.shape[0])
        gj = g[r, j].copy()
        gXj = gX[r, j].copy()
        g[r, j] = 0.0
        gX[r, j] = 0.0
        others[r, j] = g.sum(axis=1)
        othersX[r, j] = gX.sum(axis=1)
        g[r, j] = gj
        gX[r, j] = gXj
        Gs = np.where(G > 0, G, 1.0)
        out = np.where(g > 0, g * (others / Gs * X + othersX / Gs), 0.0)
    return out


def _normmax_abs_jac(P: np.ndarray, alpha: float, X: np.ndarray, dense_max: int = 512):
    """``(|J| X)_i`` for the normmax Jacobian (dense on small supports, else a bound)."""
    out = np.zeros_like(P)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        for r in range(P.shape[0]):
            s = P[r] > 0
            p = P[r, s]
            x = X[r, s]
            b = p ** (2.0 - alpha)
            pm = p.max()
            norm = pm * np.sum((p / pm) ** alpha) ** (1.0 / alpha)
            c = norm ** (alpha - 1.0) / (alpha - 1.0)
            B = b.sum()
            if len(p) <= dense_max:
                Jm = -np.outer(b, p) - np.outer(p, b) + B * np.outer(p, p)
                Jm[np.diag_indices_from(Jm)] += b
                out[r, s] = c * (np.abs(Jm) @ x)
            else:
                px = p @ x
                out[r, s] = c * (b * x + b * px + p * (b @ x) + B * p * px)
    return out


def _phi(fam: Family, P: np.ndarray, d: np.ndarray, G=None) -> np.ndarray:
    """A bound on the value of an entry at distance ``d >= 0`` (scores) above the
    support threshold.  entmax: the entry's ``p`` solves ``p^(alpha-1) + (alpha-1) p / G
    = (alpha-1) d`` to first order (the threshold rises as it enters; ``G = sum_j
    p_j^(2-alpha)`` over the support), so ``p <= min(((alpha-1) d)^(1/(alpha-1)), G d)``;
    normmax: ``d^(1/(alpha-1)) ||p||_alpha`` (the threshold hardly moves)."""
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        if fam.map in ("ksubsets", "constrained_sparsemax", "sparsemax"):
            return np.minimum(d, 1.0)
        if fam.map == "entmax":
            a = fam.alpha
            out = ((a - 1.0) * d) ** (1.0 / (a - 1.0))
            if G is not None:
                out = np.minimum(out, G * d)
            return np.minimum(out, 1.0)
        if fam.map == "normmax":
            a = fam.alpha
            norm = _pnorm(P, a)
            return np.minimum(d ** (1.0 / (a - 1.0)) * norm, 1.0)
    return np.zeros_like(d)


def _pnorm(P: np.ndarray, a: float) -> np.ndarray:
    with np.errstate(under="ignore", invalid="ignore", divide="ignore"):
        pm = P.max(axis=1, keepdims=True)
        pms = np.where(pm > 0, pm, 1.0)
        return pm * np.sum((P / pms) ** a, axis=1, keepdims=True) ** (1.0 / a)


def map_tolerance(fam: Family, Z: np.ndarray, P: np.ndarray, U, eps: float, tiny: float,
                  extra: np.ndarray | None = None) -> MapTolerance:
    """Per-entry tolerances for the map's output ``P`` at scores ``Z`` (see the module
    docstring).  ``extra`` adds an absolute perturbation of the scores (e.g. the
    rounding of ``beta X q`` in a Hopfield step)."""
    N = Z.shape[1]
    K = K_for(N)
    fin, D, W = _shifted(Z)
    Delta = K * eps * W
    if extra is not None:
        Delta = Delta + extra
    Delta = np.where(fin, Delta, 0.0)
    mp = fam.map
    g: Any  # None for normmax (it has its own Jacobian bound)
    slack: Any
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        if mp in ("ksubsets", "constrained_sparsemax"):
            Ub = np.ones_like(P) if mp == "ksubsets" else np.asarray(U, dtype=np.float64)
            free = (P > 0) & (P < Ub)
            g = free.astype(np.float64)
            c = _weighted_abs_jac(g, Delta)
            nf = free.sum(axis=1, keepdims=True)
            pos = P > 0
            Dbar = np.where(
                nf > 0,
                np.where(free, Delta, 0.0).sum(axis=1, keepdims=True) / np.maximum(nf, 1),
                np.max(np.where(pos, Delta, 0.0), axis=1, keepdims=True),
            )
            # tau relative to max z: from the free entries, else mid of the feasible gap
            tau_free = np.where(free, D - P, 0.0).sum(axis=1, keepdims=True) / np.maximum(nf, 1)
            lo = np.max(np.where(fin & (P == 0), D, -np.inf), axis=1, keepdims=True)
            hi = np.min(np.where(P == Ub, D - Ub, np.inf), axis=1, keepdims=True)
            mid = np.where(np.isfinite(lo) & np.isfinite(hi), 0.5 * (lo + hi),
                           np.where(np.isfinite(lo), lo, hi))
            tau = np.where(nf > 0, tau_free, mid)
            s = D - tau
            dist = np.minimum(np.abs(s), np.abs(s - Ub))
            delta = Delta + Dbar
            zone_free = fin & (dist <= 2 * delta)
            # no free entry: the answer is locally constant unless the feasible interval
            # [lo, hi] of tau is within the perturbation (then its end points may move)
            width = hi - lo
            dmax = np.max(np.where(fin, delta, 0.0), axis=1, keepdims=True)
            closed = np.isfinite(width) & (width <= 4 * dmax)
            ends = ((P == 0) & (np.abs(D - lo) <= 2 * delta)) | (
                (P == Ub) & (np.abs(D - Ub - hi) <= 2 * delta))
            zone = np.where(nf > 0, zone_free, closed & ends & fin)
            slack = np.where(zone, np.minimum(4 * delta, Ub), 0.0)
        else:
            a = fam.smooth_alpha
            if mp == "softmax":
                g = P.copy()
            elif mp == "normmax":
                g = None
            elif a == 2.0:
                g = (P > 0).astype(np.float64)
            else:
                g = np.where(P > 0, P ** (2.0 - a), 0.0)
            if mp == "normmax":
                c = _normmax_abs_jac(P, a, Delta)
                Dbar = np.sum(P * Delta, axis=1, keepdims=True)
                pm = P.max(axis=1, keepdims=True)
                gap = (pm / _pnorm(P, a)) ** (a - 1.0)  # max z - tau
            else:
                c = _weighted_abs_jac(g, Delta)
                G = g.sum(axis=1, keepdims=True)
                Dbar = np.where(g > 0, g * Delta, 0.0).sum(axis=1, keepdims=True) / G
                pm = P.max(axis=1, keepdims=True)
                gap = pm ** (a - 1.0) / (a - 1.0) if mp != "softmax" else None
            if mp == "softmax":
                zone = np.zeros_like(fin)
                slack = 0.0
            else:
                # off the support: within the perturbation of the current threshold;
                # on it: the first-order change could reach 0, or (normmax, and entmax
                # with alpha <= 2) within the perturbation of the threshold.  For entmax
                # with alpha > 2 the threshold moves with a small entry (its distance is
                # second order), so only the first-order test applies there.
                dist = np.abs(D + gap)
                delta = Delta + Dbar
                off_zone = fin & (P == 0) & (dist <= 2 * delta)
                by_dist = (a <= 2.0) or mp == "normmax"
                on_zone = (P > 0) & ((P <= 2 * c) | (by_dist & (dist <= 2 * delta)))
                zone = off_zone | on_zone
                Gs = None if mp == "normmax" else g.sum(axis=1, keepdims=True)
                slack = np.where(zone, np.maximum(_phi(fam, P, 4 * delta, Gs), P), 0.0)
        base = K * eps * np.abs(P) + c + tiny
        base = np.where(np.isfinite(base), base, np.inf)
        if mp == "softmax":
            hard = ~fin
        else:
            hard = ~fin | ((P == 0) & ~zone)
        # an entry of the rounding zone that enters or leaves the support moves the
        # others too (through the threshold and the normalization), by at most its
        # own change in total
        row_slack = np.minimum(np.sum(np.where(zone, slack, 0.0), axis=1, keepdims=True),
                               fam.total)
        tol = np.where(hard, 0.0, base + slack + row_slack)
        rel = np.where(P > 0, tol / np.where(P > 0, P, 1.0), 0.0)
    return MapTolerance(tol, hard, zone, rel)


def omega_magnitude(fam: Family, P: np.ndarray) -> np.ndarray:
    """Sum of the magnitudes of the terms that make up Omega(P) (per row)."""
    from scipy.special import xlogy

    with np.errstate(under="ignore", invalid="ignore", divide="ignore"):
        if fam.map == "softmax":
            return np.abs(xlogy(P, P)).sum(axis=1)
        if fam.map in ("sparsemax", "entmax"):
            a = fam.smooth_alpha
            return (np.sum(P**a, axis=1) + 1.0) / (a * (a - 1.0))
        if fam.map == "normmax":
            return _pnorm(P, fam.alpha)[:, 0] + 1.0
        return 0.5 * np.sum(P * P, axis=1) + 0.5 * fam.k


def loss_tolerance(fam: Family, Z, Y, P, L, eps, tiny):
    K = K_for(Z.shape[1])
    fin, D, W = _shifted(Z)
    with np.errstate(over="ignore", invalid="ignore"):
        wsum = np.where((P + Y) > 0, W * (P + Y), 0.0).sum(axis=1)
        mag = np.abs(L) + wsum + omega_magnitude(fam, P) + omega_magnitude(fam, Y)
        if fam.map == "softmax":  # log of the rounded sum S >= 1 of exp(z - max z)
            mag = mag + 1.0
        tol = K * eps * mag + tiny
    return np.where(np.isfinite(L), tol, 0.0)


def jvp_tolerance(fam: Family, Z, P, V, mt: MapTolerance, eps, tiny, U=None):
    """Per-entry tolerance and per-row sum tolerance for ``J v``."""
    K = K_for(Z.shape[1])
    Va = np.abs(V)
    r = mt.rel
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        if fam.map in ("ksubsets", "constrained_sparsemax"):
            Ub = np.ones_like(P) if fam.map == "ksubsets" else np.asarray(U, dtype=np.float64)
            g = ((P > 0) & (P < Ub)).astype(np.float64)
            JV = _weighted_abs_jac(g, Va)
            prop = np.zeros_like(P)
        elif fam.map == "normmax":
            a = fam.alpha
            JV = _normmax_abs_jac(P, a, Va)
            b = np.where(P > 0, P ** (2.0 - a), 0.0)
            norm = _pnorm(P, a)
            c = norm ** (a - 1.0) / (a - 1.0)
            pv = np.sum(P * V, axis=1, keepdims=True)
            u = b * (V - pv)
            su = u.sum(axis=1, keepdims=True)
            Dpv = np.sum(r * P * Va, axis=1, keepdims=True)
            du = abs(2.0 - a) * r * np.abs(u) + b * Dpv
            sdu = du.sum(axis=1, keepdims=True)
            rmax = r.max(axis=1, keepdims=True)
            prop = c * (du + r * P * np.abs(su) + P * sdu) + (a - 1.0) * rmax * np.abs(
                c * (u - P * su))
        else:
            a = fam.smooth_alpha
            if fam.map == "softmax":
                g = P.copy()
            elif a == 2.0:
                g = (P > 0).astype(np.float64)
            else:
                g = np.where(P > 0, P ** (2.0 - a), 0.0)
            JV = _weighted_abs_jac(g, Va)
            G = g.sum(axis=1, keepdims=True)
            vbar = np.where(g > 0, g * V, 0.0).sum(axis=1, keepdims=True) / G
            dv = np.abs(V - vbar)
            t = np.where(g > 0, r * g * dv, 0.0)
            prop = abs(2.0 - a) * (t + g * t.sum(axis=1, keepdims=True) / G)
            if fam.map == "softmax":
                # the usual p * (v - <p, v>) takes <p_hat, v> without renormalizing
                # p_hat: the forward's errors enter through sum_j tol_j |v_j|
                prop = prop + g * np.where(g > 0, r * g * Va, 0.0).sum(axis=1,
                                                                       keepdims=True)
        tol = K * eps * JV + prop + tiny + at_max(Z, K * eps * JV.sum(axis=1))
        tol = np.where(np.isfinite(tol), tol, np.inf)
        sum_tol = K * eps * JV.sum(axis=1) + tiny * Z.shape[1]
    return tol, sum_tol


def at_max(Z: np.ndarray, amount: np.ndarray) -> np.ndarray:
    """``amount`` (per row) at the entries holding the row's maximum, 0 elsewhere.

    A backend that differentiates through its own shift ``z - max z`` (autograd of
    any max-shifted map) adds ``-sum_j (J^T g)_j`` -- exactly 0, in floating point the
    rounding of a reduction over the whole row -- to the maximum's entry."""
    with np.errstate(invalid="ignore"):
        fin = np.isfinite(Z)
        m = np.max(np.where(fin, Z, -np.inf), axis=1, keepdims=True)
        return np.where(fin & (Z == m), np.asarray(amount)[:, None], 0.0)


def jvp_zone_jump(fam: Family, P, V, mt: MapTolerance):
    """A bound on how much ``J v`` can change when entries of the rounding zone enter
    or leave the support, or ``None`` when it is not small (alpha >= 2: the Jacobian's
    weights ``p^(2-alpha)`` jump by 1 or more there).  For alpha < 2 an entry entering
    with value at most ``phi`` (bounded by its tolerance) adds a weight at most
    ``phi^(2-alpha)``; the bound is that weight times ``2 max |v|`` (times the
    normmax factor ``||p||^(alpha-1)/(alpha-1)``)."""
    if fam.map in ("ksubsets", "constrained_sparsemax", "sparsemax", "softmax"):
        return None
    a = fam.smooth_alpha
    if a >= 2.0:
        return None
    with np.errstate(under="ignore", over="ignore", invalid="ignore"):
        gam = np.where(mt.zone, mt.tol ** (2.0 - a), 0.0).max(axis=1, keepdims=True)
        vmax = np.abs(V).max(axis=1, keepdims=True)
        fac: Any = 1.0
        if fam.map == "normmax":
            fac = np.maximum(1.0, _pnorm(P, a) ** (a - 1.0) / (a - 1.0))
        jump = 2.0 * gam * vmax * fac
    return np.where(np.isfinite(jump), jump, np.inf)


def consistent_sum_tol(expected: np.ndarray, tol: np.ndarray, target) -> np.ndarray:
    """The row-sum tolerance implied by the per-entry ones: ``sum_i tol_i`` plus the
    reference's own distance to the target (``|fsum(expected) - T|``, a few float64
    ulps).  An output whose every entry is within its tolerance therefore always
    passes the sum check, whatever the order in which the backend summed (pairwise,
    blocked, sequential); the sum check reports common-mode errors (a shifted
    threshold, a wrong normalizer) as such, it never adds a stricter condition."""
    T = np.broadcast_to(np.asarray(target, dtype=np.float64), expected.shape[:1])
    with np.errstate(over="ignore", invalid="ignore"):
        ref = np.array([math.fsum([*r, -float(t)]) if np.isfinite(r).all() else np.inf
                        for r, t in zip(expected, T, strict=True)])
        tsum = np.array([math.fsum(r) for r in np.where(np.isfinite(tol), tol, np.inf)])
        return tsum * (1.0 + 2.0**-50) + np.abs(ref)


# ---- preparing a case for a family --------------------------------------------------------
@dataclass
class Prepared:
    """A case with its reference answer and tolerances."""

    case: S.Case
    args: tuple  # arrays handed to the backend, in order
    expected: np.ndarray  # float64
    tol: np.ndarray
    hard_zero: np.ndarray | None = None
    zone: np.ndarray | None = None
    sum_target: np.ndarray | None = None  # per row
    sum_tol: np.ndarray | None = None
    skip: str | None = None


def _f64(a):
    return np.asarray(a, dtype=np.float64)
