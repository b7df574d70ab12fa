r"""The ``registered`` family: the map of any regularizer of the registry.

The backend is called as ``fn(z) -> p`` (rows, N) like the other map families, with the
parameter ``reg`` (a :class:`~hfy_reference.Regularizer` instance).  It is how a map
added through :mod:`hfy_reference.registry` gets an oracle suite with no edit of the
oracle: a registry entry points its ``oracle`` hook here with
``oracle=lambda r: ("registered", {"reg": r})``.

Cases: the generic score suite of the map families (:func:`_suite.generic_scores`, in
units of the map's margin; 1 when it has none) up to ``N = 1000``, rounded to the dtype
under test.  Reference: ``reg.argmax`` on the rounded inputs (the library's exact path).

Tolerance (a generic first-order backward-stability model, without the per-family
analysis of the dedicated families): a backend computing in the dtype's precision
returns the map at scores perturbed by ``K eps |z_j - max z|`` (the shift by the
maximum), plus ``K eps p_i`` of its own rounding, so

.. math::

    \mathrm{tol}_i = K\epsilon \Big(\sum_j |J_{ij}|\,|z_j - \max z| + p_i\Big) + \text{tiny},

with ``J`` the Jacobian of the map (``reg.jvp`` on the unit vectors), taken as the
entrywise maximum over ``z`` and the two perturbed points ``z ± K eps |z - max z|``
(so that an entry at a kink of a piecewise-smooth map gets the larger of its two
sides).  When ``reg`` has a margin (a sparse map), entries that are exactly 0 in the
reference must be exactly 0, except in the *rounding zone*: the zero entries that
become nonzero at ``z + K eps |z - max z| s`` with ``s = +1`` on the zero entries and
``-1`` on the support (the perturbation that most favours entering the support); those
may take any value up to the map's value there.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import _oracle as O
from . import _suite as S

_N_MAX = 1000


@dataclass(frozen=True)
class RegisteredFamily:
    reg: Any

    @property
    def params(self) -> dict:
        return {"reg": self.reg}

    @property
    def sparse(self) -> bool:
        return self.reg.margin is not None


def parse(params: dict) -> RegisteredFamily:
    from .. import registry
    from ..regularizers import Regularizer

    params = dict(params)
    reg = params.pop("reg", None)
    if params:
        raise ValueError(f"unexpected parameters for the registered family: {sorted(params)}")
    if not isinstance(reg, Regularizer):
        raise TypeError(f"the registered family needs reg=<a Regularizer instance>; got {reg!r}")
    registry.entry_for(reg)  # LookupError when it is not registered
    if reg.structure_size != 1:
        raise ValueError("the registered family models maps onto the simplex "
                         f"(structure_size 1); got {reg!r}")
    return RegisteredFamily(reg)


def _abs_jacobian(reg, z: np.ndarray) -> np.ndarray:
    n = z.size
    J = reg.jvp(np.broadcast_to(z, (n, n)), np.eye(n))
    return np.abs(J)


def _perturbed(z, fin, d, step):
    with np.errstate(over="ignore", invalid="ignore"):
        zp = np.where(fin, z + step * d, z)
    return zp if np.all(np.isfinite(zp[fin])) else None


def _tolerance(reg, z, p, eps, tiny, K):
    """``(tol, zone)`` of one row (see the module notes)."""
    fin = np.isfinite(z)
    m = np.max(z[fin])
    with np.errstate(over="ignore", invalid="ignore"):
        d = np.where(fin, np.abs(z - m), 0.0)
    d = np.where(np.isfinite(d), d, np.finfo(np.float64).max)
    A = _abs_jacobian(reg, z)
    for s in (-1.0, 1.0):
        zp = _perturbed(z, fin, d, s * K * eps)
        if zp is not None:
            A = np.maximum(A, _abs_jacobian(reg, zp))
    with np.errstate(over="ignore", invalid="ignore"):
        tol = K * eps * (A @ d + p) + tiny
    zone = np.zeros(z.size, dtype=bool)
    zp = _perturbed(z, fin, d, K * eps * np.where(p == 0, 1.0, -1.0))
    if zp is not None:
        pe = np.asarray(reg.argmax(zp), dtype=np.float64)
        zone = (p == 0) & (pe > 0) & fin
        tol = np.where(zone, np.maximum(tol, pe), tol)
    return tol, zone


@functools.lru_cache(maxsize=16)
def _suite_cached(fam: RegisteredFamily, dtype_str: str) -> tuple:
    dtype = np.dtype(dtype_str)
    fi = np.finfo(dtype)
    eps, tiny = float(fi.eps), float(fi.tiny)
    m = fam.reg.margin or 1.0
    out = []
    for name, note, z, tags in S.generic_scores(m, dtype):
        zd = S._cast(z, dtype)
        case = S.Case(name, note, {"z": zd}, tags)
        if z.shape[1] > _N_MAX:
            out.append(O.Prepared(case, (), np.empty(0), np.empty(0),
                                  skip=f"N > {_N_MAX} (the generic tolerance needs J)"))
            continue
        if S._overflowed(z, zd):
            out.append(O.Prepared(case, (), np.empty(0), np.empty(0),
                                  skip=f"not representable in {dtype.name}"))
            continue
        Z = zd.astype(np.float64)
        with np.errstate(all="ignore"):
            P = np.asarray(fam.reg.argmax(Z), dtype=np.float64)
            K = O.K_for(Z.shape[1])
            tz = [_tolerance(fam.reg, Z[r], P[r], eps, tiny, K) for r in range(Z.shape[0])]
        tol = np.stack([t for t, _ in tz])
        zone = np.stack([zn for _, zn in tz])
        hard = ((P == 0.0) & ~zone) if fam.sparse else None
        T = np.ones(Z.shape[0])
        # the sum check implied by the per-entry tolerances (see _oracle)
        out.append(O.Prepared(case, (zd,), P, tol, hard, zone, T,
                              O.consistent_sum_tol(P, tol, T)))
    return tuple(out)


def suite(params: dict, dtype) -> tuple:
    fam = parse(params)
    return fam, _suite_cached(fam, np.dtype(dtype).str)
