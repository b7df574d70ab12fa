"""Helpers shared by the figure modules: which maps, and access to the library."""

from __future__ import annotations

import numpy as np

from hfy_reference import REGULARIZERS, registry

__all__ = [
    "simplex_regularizers",
    "path_regularizers",
    "support_key",
    "support_change_temperatures",
    "locate_support_changes",
]


def simplex_regularizers() -> list:
    """The named maps onto the simplex of the papers' figures (``REGULARIZERS``, from
    the registry), in the registry's order: softmax, 1.5-entmax, sparsemax, 2-normmax,
    5-normmax."""
    return list(REGULARIZERS.values())


def sequential_2_subsets(w: float = 0.5):
    """Sequential 2-subsets SparseMAP with reward ``w`` for two consecutive items (the
    talk does not give its ``w``; with ``w = 0`` it would equal SparseMAP 2-subsets)."""
    from hfy_reference.structured import SequentialKSubsets

    return SequentialKSubsets(2, w=w)


def path_regularizers() -> list:
    """The maps of the regularization-path figure: the named maps, then the examples of
    the registry entries without named instances (SparseMAP 2-subsets and
    :func:`sequential_2_subsets`)."""
    return simplex_regularizers() + [
        r for e in registry.entries() if not e.named for r in e.examples]


def support_key(p: np.ndarray) -> tuple:
    """What changes at a kink of the path: which entries are nonzero and which are
    saturated at 1 (the latter only happens for k-subsets)."""
    p = np.asarray(p)
    return tuple((p > 0).tolist()) + tuple((p >= 1).tolist())


def support_change_temperatures(z, reg, t_max: float) -> tuple[np.ndarray, bool]:
    """Temperatures ``1/β ∈ (0, t_max]`` where the support of ``reg.argmax(z / T)``
    changes, and whether they are exact.

    Exact values come from :func:`hfy_reference.theory.support_change_temperatures`.
    For maps it has no closed form for (sequential k-subsets), the changes are located
    on the library's map: a scan of the temperature, then bisection of each bracket
    down to a relative width of ``4 eps``; these are returned with ``exact=False``.
    """
    from hfy_reference.theory import support_change_temperatures as exact

    try:
        return np.asarray(exact(z, reg, t_max=t_max), dtype=np.float64).reshape(-1), True
    except NotImplementedError:
        return locate_support_changes(z, reg, t_max), False


def locate_support_changes(z, reg, t_max: float, n_scan: int = 2000,
                           n_split: int = 32) -> np.ndarray:
    """Support changes of ``T ↦ reg.argmax(z / T)`` on ``(0, t_max]``: a scan on
    ``n_scan`` temperatures, then every bracket where the support differs is refined
    by splitting it into ``n_split`` parts per round (all brackets in one batched call)
    until its relative width is ``4 eps``; returns the upper end of each bracket.  Two
    changes that undo each other within one scan step are missed."""
    z = np.asarray(z, dtype=np.float64)
    grid = np.linspace(t_max / n_scan, t_max, n_scan)
    keys = _keys(reg, z, grid)
    idx = [j for j in range(n_scan - 1) if keys[j] != keys[j + 1]]
    lo = grid[idx].copy()
    hi = grid[[j + 1 for j in idx]].copy()
    k_lo = [keys[j] for j in idx]
    frac = np.linspace(0.0, 1.0, n_split + 1)[1:-1]
    while len(lo) and np.any(hi - lo > 4 * np.finfo(float).eps * hi):
        pts = lo[:, None] + (hi - lo)[:, None] * frac[None, :]
        kp = _keys(reg, z, pts.ravel())
        for b in range(len(lo)):
            row = kp[b * frac.size:(b + 1) * frac.size]
            same = [i for i, k in enumerate(row) if k == k_lo[b]]
            # the support only changes once in a bracket this small: advance to the
            # last point that still has the support of the lower end
            last = max(same) if same else -1
            new_lo = pts[b, last] if last >= 0 else lo[b]
            new_hi = pts[b, last + 1] if last + 1 < frac.size else hi[b]
            if new_lo == lo[b] and new_hi == hi[b]:  # no float strictly inside
                lo[b] = hi[b]
                continue
            lo[b], hi[b] = new_lo, new_hi
    return hi


def _keys(reg, z: np.ndarray, temps: np.ndarray) -> list[tuple]:
    P = reg.argmax(z[None, :] / np.asarray(temps)[:, None])
    return [support_key(p) for p in P]
