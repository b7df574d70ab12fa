"""Helpers shared by the figure modules: which maps, and access to the library."""

from __future__ import annotations

import numpy as np

from hfy_reference import REGULARIZERS, KSubsets

__all__ = [
    "simplex_regularizers",
    "path_regularizers",
    "support_key",
    "support_change_temperatures",
    "locate_support_changes",
]


def simplex_regularizers() -> list:
    """The five maps onto the simplex of the papers' figures, in the registry's order:
    softmax, 1.5-entmax, sparsemax, 2-normmax, 5-normmax."""
    return list(REGULARIZERS.values())


def sequential_2_subsets(w: float = 0.5):
    """Sequential 2-subsets SparseMAP (pairwise reward ``w`` for consecutive items)."""
    from hfy_reference.structured import SequentialKSubsets

    return SequentialKSubsets(2, w=w)


def path_regularizers() -> list:
    """The seven maps of the regularization-path figure."""
    regs = simplex_regularizers() + [KSubsets(2)]
    try:
        regs.append(sequential_2_subsets())
    except ImportError:  # structured module not landed yet
        pass
    return regs


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


def locate_support_changes(z, reg, t_max: float, n_scan: int = 2000) -> np.ndarray:
    """Support changes of ``T ↦ reg.argmax(z / T)`` on ``(0, t_max]``, located by a scan
    on ``n_scan`` temperatures and bisection (may miss changes that undo each other
    within one scan step)."""
    z = np.asarray(z, dtype=np.float64)
    grid = np.linspace(t_max / n_scan, t_max, n_scan)
    P = reg.argmax(z[None, :] / grid[:, None])
    keys = [support_key(p) for p in P]
    out = []
    for j in range(n_scan - 1):
        if keys[j] == keys[j + 1]:
            continue
        lo, hi = grid[j], grid[j + 1]
        k_lo = keys[j]
        while hi - lo > 4 * np.finfo(float).eps * hi:
            mid = 0.5 * (lo + hi)
            if mid in (lo, hi):
                break
            if support_key(reg.argmax(z / mid)) == k_lo:
                lo = mid
            else:
                hi = mid
        out.append(hi)
    return np.asarray(out)
