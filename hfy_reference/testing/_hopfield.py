r"""The ``hopfield_step`` family: one update ``q -> y_Psi(X^T y_Omega(beta X q))``.

The backend is called as ``fn(X, q)`` with patterns ``X`` (N, D) and queries ``q``
(B, D) in the dtype under test, and returns the next queries (B, D).  The reference
is :meth:`hfy_reference.hopfield.HopfieldNetwork.step` on the rounded inputs.

Tolerance (same backward-stability model as the maps): the scores ``z = beta X q``
may carry the rounding of a length-D dot product, ``K_D eps beta (|X||q|)_i``; the map
then has its own tolerance at those perturbed scores (``tol_p``); the product
``X^T p`` adds ``K_N eps (|X|^T p)``, so ``tol_v = |X|^T tol_p + K_N eps |X|^T p``.
Post-transformations: identity (``post=None``), ``"l2"`` (``r v/||v||``, tolerance
``r (tol_v + |u| ||tol_v||)/||v|| + K eps |q'|``) and ``"tanh"`` (``tanh(b v)``,
tolerance ``b (1 - q'^2) tol_v + K eps |q'|``).  ``"sign"`` and ``"layernorm"`` are not
offered: sign is discontinuous at 0, where no tolerance is meaningful.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import _oracle as O
from . import _suite as S


@dataclass(frozen=True)
class HopfieldFamily:
    reg: Any
    beta: float
    post: str | None

    @property
    def params(self) -> dict:
        return {"reg": self.reg, "beta": self.beta, "post": self.post}

    def map_family(self) -> O.Family:
        """The oracle's map family of ``reg`` (its registry entry's ``oracle`` hook)."""
        from .. import registry

        family, prm = registry.entry_for(self.reg).hook("oracle")(self.reg)
        return O.Family(family, "map", **prm)


def parse(params: dict) -> HopfieldFamily:
    from .. import regularizers as R

    params = dict(params)
    reg = params.pop("reg", "softmax")
    beta = params.pop("beta", 1.0)
    post = params.pop("post", None)
    if params:
        raise ValueError(f"unexpected parameters for hopfield_step: {sorted(params)}")
    if isinstance(reg, str):
        try:
            reg = R.REGULARIZERS[reg]
        except KeyError:
            raise ValueError(f"reg must be a Regularizer or one of {sorted(R.REGULARIZERS)}; "
                             f"got {reg!r}") from None
    try:
        HopfieldFamily(reg, 1.0, None).map_family()
    except (LookupError, NotImplementedError, ValueError, TypeError):
        raise ValueError("hopfield_step supports the regularizers whose registry entry "
                         "declares an oracle family (Shannon(), Tsallis(alpha), "
                         "NormEntropy(alpha) with finite alpha, and KSubsets(k)); "
                         f"got {reg!r}") from None
    b = float(beta)
    if not (b > 0 and math.isfinite(b)):
        raise ValueError(f"beta must be > 0 and finite; got {beta!r}")
    if post not in (None, "l2", "tanh"):
        raise ValueError(f"post must be None, 'l2' or 'tanh' for the oracle; got {post!r} "
                         "(sign is discontinuous at 0, layer norm not modelled)")
    return HopfieldFamily(reg, b, post)


def _patterns(dtype):
    """(name, note, X, Q, tags) before rounding."""
    sc = S.dtype_scales(dtype)
    rng = S._rng(77)
    out = []
    X = S._dyadic(rng.standard_normal((8, 5)), 8)
    Q = X[[0, 3, 5, 7]] + S._dyadic(0.25 * rng.standard_normal((4, 5)), 8)
    out.append(("random_patterns", "8 patterns in R^5, queries near four of them", X, Q,
                frozenset()))
    out.append(("query_is_pattern", "each query equals a stored pattern", X, X.copy(),
                frozenset()))
    Xt = np.concatenate([X[:4], X[:2]])
    out.append(("tied_patterns", "duplicated patterns: tied scores", Xt, Xt[[0, 1, 2]],
                frozenset({"ties"})))
    out.append(("zero_query", "q = 0: every score 0", X, np.zeros((2, 5)),
                frozenset({"ties"})))
    out.append(("single_pattern", "N = 1", X[:1], Q[:2], frozenset({"size"})))
    out.append(("orthonormal", "X = I, queries along the axes and the diagonal",
                np.eye(4), np.array([[1.0, 0, 0, 0], [0.5, 0.5, 0, 0], [0.25] * 4]),
                frozenset()))
    big = math.sqrt(sc["huge"]) / 16
    out.append(("huge_scores", f"queries scaled to scores near {sc['huge']:g}", X, Q * big,
                frozenset({"scale"})))
    out.append(("tiny_scores", f"queries scaled by {sc['tiny']:g}", X, Q * sc["tiny"],
                frozenset({"scale"})))
    Xs = X + 2.0 ** (sc["bits"] - 20)
    out.append(("shifted_patterns", "patterns plus a large constant (exact)", Xs, Q,
                frozenset({"shift"})))
    Xl = S._dyadic(rng.standard_normal((100_000, 4)), 8)
    Ql = Xl[[5, 77]] + 0.125
    out.append(("n100000_patterns", "10^5 patterns in R^4", Xl, Ql,
                frozenset({"size", "large"})))
    return out


def _margin_cases(fam: HopfieldFamily, dtype):
    """Two patterns whose separation is the stationary threshold m/beta +- G eps: the
    query x_1 is a fixed point exactly at and above it (math §6, T4)."""
    mf = fam.map_family()
    m = mf.margin
    if mf.map == "softmax" or mf.map == "ksubsets":
        return []
    eps = float(np.finfo(dtype).eps)
    out = []
    for G in (256, 8192):
        for side, sign in ((+1, "+"), (-1, "-")):
            delta = m / fam.beta * (1.0 + side * G * eps)
            x1 = np.array([1.0, 0.0, 0.0])
            x2 = np.array([1.0 - delta, 0.75, 0.0])
            x3 = np.array([-1.0, 0.0, 0.5])
            X = np.array([x1, x2, x3])
            out.append((f"separation{sign}{G}eps",
                        f"separation of x_1 = m/beta (1 {sign} {G} eps); query x_1",
                        X, X[:1].copy(), frozenset({"margin"})))
    return out


def _tolerance(fam, X, Q, P, Qn, dtype):
    eps = float(np.finfo(dtype).eps)
    tiny = float(np.finfo(dtype).tiny)
    N, D = X.shape
    mf = fam.map_family()
    with np.errstate(all="ignore"):
        Z = (fam.beta * Q) @ X.T
        Ax = np.abs(X)
        dz = O.K_for(D) * eps * fam.beta * (np.abs(Q) @ Ax.T)
        mt = O.map_tolerance(mf, Z, P, None, eps, tiny, extra=dz)
        tol_v = mt.tol @ Ax + O.K_for(N) * eps * (P @ Ax) + tiny
        K = O.K_for(D)
        if fam.post is None:
            return tol_v
        from .. import hopfield as H

        Vv = P @ X
        if fam.post == "l2":
            r = H.L2Ball().radius
            nv = np.linalg.norm(Vv, axis=1, keepdims=True)
            u = Vv / nv
            nt = np.linalg.norm(tol_v, axis=1, keepdims=True)
            return r * (tol_v + np.abs(u) * nt) / nv + K * eps * np.abs(Qn) + tiny
        b = H.Tanh().beta
        return b * (1.0 - Qn**2) * tol_v + K * eps * np.abs(Qn) + tiny


@functools.lru_cache(maxsize=32)
def _suite_cached(fam: HopfieldFamily, dtype_str: str):
    from .. import hopfield as H

    dtype = np.dtype(dtype_str)
    out = []
    for name, note, X, Q, tags in _patterns(dtype) + _margin_cases(fam, dtype):
        Xd, Qd = S._cast(X, dtype), S._cast(Q, dtype)
        case = S.Case(name, note, {"X": Xd, "q": Qd}, tags)
        X64, Q64 = Xd.astype(np.float64), Qd.astype(np.float64)
        if S._overflowed(X, Xd) or S._overflowed(Q, Qd):
            out.append(O.Prepared(case, (), np.empty(0), np.empty(0),
                                  skip=f"not representable in {dtype.name}"))
            continue
        k = fam.reg.structure_size
        if k > X64.shape[0]:
            out.append(O.Prepared(case, (), np.empty(0), np.empty(0),
                                  skip=f"k = {k} exceeds the number of patterns"))
            continue
        with np.errstate(all="ignore"):
            net = H.HopfieldNetwork(X64, fam.reg, fam.beta, fam.post)
            try:
                Qn = np.asarray(net.step(Q64), dtype=np.float64)
                P = np.asarray(net.probabilities(Q64), dtype=np.float64)
            except ValueError as exc:  # e.g. l2 post at v = 0
                out.append(O.Prepared(case, (), np.empty(0), np.empty(0),
                                      skip=f"the reference step is undefined here ({exc})"))
                continue
            tol = _tolerance(fam, X64, Q64, P, Qn, dtype)
        from ._build import to_dtype_range

        Qn, tol = to_dtype_range(Qn, np.where(np.isfinite(tol), tol, np.inf), dtype)
        out.append(O.Prepared(case, (Xd, Qd), Qn, tol))
    return tuple(out)


def suite(params: dict, dtype) -> tuple:
    fam = parse(params)
    return fam, _suite_cached(fam, np.dtype(dtype).str)
