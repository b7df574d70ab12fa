"""Input checks of :mod:`hfy_reference.continuous` (locations, scale matrices, α)."""

from __future__ import annotations

import math
import numbers

import numpy as np

__all__ = ["check_alpha_cont", "check_loc_scale", "as_points"]


def _real(x, name: str) -> float:
    if isinstance(x, (bool, np.bool_)):
        raise TypeError(f"{name} must be a real number; got {x!r}")
    if isinstance(x, np.ndarray) and x.ndim == 0:
        x = x[()]
    if not isinstance(x, numbers.Real):
        raise TypeError(f"{name} must be a real number; got {x!r} ({type(x).__name__})")
    return float(x)


def check_alpha_cont(alpha, name: str = "alpha") -> float:
    """α as a float in ``[1, inf)``."""
    a = _real(alpha, name)
    if not (a >= 1.0) or math.isinf(a):
        raise ValueError(
            f"{name} must be a finite number >= 1 (1: Gaussian, 2: continuous sparsemax); "
            f"got {a!r}"
        )
    return a


def _real_array(x, name: str) -> np.ndarray:
    a = np.asarray(x)
    if a.dtype.kind not in "iuf" or a.dtype == np.bool_:
        raise TypeError(f"{name} must be real-valued (integer or float); got dtype {a.dtype}")
    a = a.astype(np.float64)
    if not np.all(np.isfinite(a)):
        bad = int(np.count_nonzero(~np.isfinite(a)))
        raise ValueError(f"{name} must be finite; it has {bad} NaN or infinite entr"
                         f"{'y' if bad == 1 else 'ies'}")
    return a


def check_loc_scale(loc, scale, name_loc: str = "loc",
                    name_scale: str = "scale") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(loc (D,), scale (D, D), lower Cholesky factor) of a location and a symmetric
    positive definite scale matrix.

    ``scale`` may be a scalar (times the identity), a vector (the diagonal) or a
    ``(D, D)`` matrix; ``loc`` a scalar (D = 1, or broadcast to the scale's D) or a
    vector.  Raises ``ValueError`` for NaN/inf, a dimension mismatch, a matrix that is
    not symmetric (to 1e-12 relative) or not positive definite.
    """
    mu = _real_array(loc, name_loc)
    S = _real_array(scale, name_scale)
    if mu.ndim > 1:
        raise ValueError(f"{name_loc} must be a scalar or a 1-D vector; got shape {mu.shape}")
    if S.ndim > 2:
        raise ValueError(f"{name_scale} must be a scalar, a vector (diagonal) or a (D, D) "
                         f"matrix; got shape {S.shape}")
    if mu.ndim == 0:
        d = 1 if S.ndim == 0 else S.shape[0]
        mu = np.full(d, float(mu))
    D = mu.shape[0]
    if D == 0:
        raise ValueError(f"{name_loc} must have at least one entry (D >= 1)")
    if S.ndim == 0:
        S = np.eye(D) * float(S)
    elif S.ndim == 1:
        S = np.diag(S)
    if S.shape != (D, D):
        raise ValueError(f"dimension mismatch: {name_loc} has D = {D} but {name_scale} has "
                         f"shape {S.shape} (need ({D}, {D}))")
    big = float(np.max(np.abs(S)))
    if float(np.max(np.abs(S - S.T))) > 1e-12 * big:
        raise ValueError(f"{name_scale} must be symmetric (|S - S.T| <= 1e-12 max|S|)")
    S = 0.5 * (S + S.T)
    try:
        L = np.linalg.cholesky(S)
    except np.linalg.LinAlgError:
        L = None
    if L is None or not np.all(np.diag(L) > 0) or not np.all(np.isfinite(L)):
        w = np.linalg.eigvalsh(S)
        raise ValueError(f"{name_scale} must be symmetric positive definite; its smallest "
                         f"eigenvalue is {w[0]!r}")
    return mu, S, L


def as_points(x, D: int, name: str = "x") -> np.ndarray:
    """Points as an array of shape ``(..., D)`` (for D = 1 a trailing axis is added
    unless the last axis already has length 1)."""
    a = _real_array(x, name)
    if a.ndim >= 1 and a.shape[-1] == D:
        return a
    if D == 1:
        return a[..., None]
    raise ValueError(f"dimension mismatch: {name} must have shape (..., {D}); got {a.shape}")
