"""Input validation: the only place where public inputs are checked.

Every public function goes through these helpers, so that every bad input gets the
same kind of error: ``TypeError`` for a wrong kind (complex, object, string dtype;
a non-integer ``k``), ``ValueError`` for a wrong value (NaN, +inf, a slice that is
entirely -inf, an empty or 0-d array, a parameter outside its domain, mismatched
shapes), and numpy's ``AxisError`` for an axis out of bounds.  Messages name the
argument, the offending value and the allowed range.

The canonical form handed to the kernels is a C-contiguous float64 array of shape
``(rows, N)`` with the reduced axis last.  It is a *view* of the caller's array
whenever possible and is never written to.
"""

from __future__ import annotations

import math
import numbers
import operator
from dataclasses import dataclass

import numpy as np

try:  # numpy >= 2
    from numpy.lib.array_utils import normalize_axis_index
except ImportError:  # pragma: no cover - numpy 1.x
    from numpy.core.multiarray import normalize_axis_index  # type: ignore

__all__ = [
    "Rows",
    "as_rows",
    "as_float_array",
    "check_alpha",
    "check_k",
    "check_positive",
    "check_same_shape",
    "check_axis",
]


def _dtype_out(dt: np.dtype, name: str) -> np.dtype:
    """Return the output dtype for an input dtype, or raise ``TypeError``."""
    kind = dt.kind
    if kind in "iub":
        return np.dtype(np.float64)
    if kind == "f":
        if dt.itemsize > 8:
            raise TypeError(
                f"{name} has dtype {dt}; extended-precision floats are not supported "
                "(results are computed in float64): convert with "
                f"{name}.astype(np.float64)"
            )
        return dt
    if kind == "c":
        raise TypeError(
            f"{name} must be real-valued; got complex dtype {dt}. "
            "Pass the real part explicitly if that is what you mean."
        )
    raise TypeError(
        f"{name} must be an array of real numbers (integer or float dtype); "
        f"got dtype {dt}"
    )


def as_float_array(x, name: str, allow_0d: bool = False) -> tuple[np.ndarray, np.dtype]:
    """``x`` as a float64 ndarray (a view when possible) and the dtype to return."""
    if isinstance(x, np.ndarray):
        a = x
    else:
        try:
            a = np.asarray(x)
        except (ValueError, TypeError) as exc:  # ragged lists and the like
            raise TypeError(
                f"{name} must be an array-like of real numbers ({exc})"
            ) from None
    out_dtype = _dtype_out(a.dtype, name)
    if a.ndim == 0 and not allow_0d:
        raise ValueError(
            f"{name} must have at least one dimension; got a 0-d array ({a!r}). "
            f"Wrap a single score in a list: [{name}]"
        )
    if a.size == 0:
        raise ValueError(f"{name} is empty (shape {a.shape}); at least one entry is required")
    if a.dtype.kind in "iu" and a.dtype.itemsize >= 8:
        _check_exact_ints(a, name)
    return np.asarray(a, dtype=np.float64), out_dtype


_INT_EXACT = 2**53  # every integer of magnitude <= 2**53 is a float64


def _check_exact_ints(a: np.ndarray, name: str) -> None:
    """Refuse 64-bit integers that float64 cannot hold exactly (as longdouble is
    refused): the results are exact for the float64 input, so a silent rounding of the
    input would be the only inexact step."""
    lo, hi = int(a.min()), int(a.max())
    if max(-lo, hi) > _INT_EXACT:
        bad = hi if hi > _INT_EXACT else lo
        raise ValueError(
            f"{name} has integer entries above 2**53 in magnitude (e.g. {bad}), which "
            "float64 cannot represent exactly (results are computed in float64); "
            f"convert explicitly with {name}.astype(np.float64) to accept the rounding"
        )


def check_axis(axis, ndim: int, name: str = "axis") -> int:
    """Normalize ``axis`` (an integer in ``[-ndim, ndim)``)."""
    try:
        ax = operator.index(axis)
    except TypeError:
        raise TypeError(f"{name} must be an integer; got {axis!r}") from None
    return normalize_axis_index(ax, ndim)


@dataclass(frozen=True)
class Rows:
    """A batch of score vectors in canonical form, and how to undo it.

    Attributes
    ----------
    data : ndarray, shape (rows, N), float64, C-contiguous
        The slices along ``axis``, one per row (never written to).
    rowmax : ndarray, shape (rows,)
        The maximum of each row (finite; -inf entries are masks).
    axis : int
        The normalized axis of the original array.
    moved_shape : tuple
        Shape of the original array with ``axis`` moved last.
    dtype : numpy dtype
        Floating dtype of the result.
    """

    data: np.ndarray
    rowmax: np.ndarray
    axis: int
    moved_shape: tuple
    dtype: np.dtype

    @property
    def n(self) -> int:
        return self.data.shape[1]

    @property
    def shape(self) -> tuple:
        """Shape of the caller's array."""
        shape = list(self.moved_shape)
        shape.insert(self.axis, shape.pop())
        return tuple(shape)

    def like(self, x, name: str) -> np.ndarray:
        """Validate ``x`` (same shape as the scores, finite) and put it in the same
        canonical ``(rows, N)`` layout."""
        a, _ = as_float_array(x, name)
        if a.shape != self.shape:
            raise ValueError(
                f"{name} must have the same shape as z {self.shape}; got {a.shape}"
            )
        if not np.isfinite(a).all():
            bad = ~np.isfinite(a)
            raise ValueError(
                f"{name} must be finite; found NaN or inf at {_locate(bad)}"
            )
        moved = np.moveaxis(a, self.axis, -1)
        return np.ascontiguousarray(moved.reshape(self.data.shape))

    def restore(self, out2d: np.ndarray) -> np.ndarray:
        """Reshape a ``(rows, N)`` result back to the caller's layout and dtype."""
        out = out2d.reshape(self.moved_shape)
        out = np.moveaxis(out, -1, self.axis)
        return np.ascontiguousarray(out, dtype=self.dtype)

    def restore_reduced(self, out1d: np.ndarray) -> np.ndarray:
        """Reshape a per-row result (shape ``(rows,)``) to the batch shape."""
        out = out1d.reshape(self.moved_shape[:-1]).astype(self.dtype, copy=False)
        return out if out.ndim else out[()]


def _locate(mask: np.ndarray) -> str:
    idx = np.argwhere(mask)
    first = tuple(int(i) for i in idx[0])
    return f"{len(idx)} entr{'y' if len(idx) == 1 else 'ies'} (first at index {first})"


def _raise_nonfinite(a: np.ndarray, name: str, axis: int) -> None:
    nan = np.isnan(a)
    if nan.any():
        raise ValueError(
            f"{name} contains NaN at {_locate(nan)}; scores must be real numbers "
            "(-inf is allowed as a mask)"
        )
    pinf = np.isposinf(a)
    if pinf.any():
        raise ValueError(
            f"{name} contains +inf at {_locate(pinf)}; +inf is not a valid score "
            "(-inf is allowed as a mask: probability 0)"
        )


def as_rows(z, axis: int = -1, name: str = "z", allow_empty_rows: bool = False) -> Rows:
    """Validate scores ``z`` and put them in canonical ``(rows, N)`` form.

    Raises
    ------
    TypeError
        complex, object, string or extended-precision dtype; non-integer axis.
    ValueError
        0-d or empty array; NaN or +inf entries; a slice along ``axis`` that is
        entirely -inf.
    numpy.exceptions.AxisError
        ``axis`` out of bounds.
    """
    a, out_dtype = as_float_array(z, name)
    ax = check_axis(axis, a.ndim)
    moved = np.moveaxis(a, ax, -1)
    data = np.ascontiguousarray(moved.reshape(-1, moved.shape[-1]))
    rowmax = data.max(axis=1)  # NaN propagates; +inf and all -inf show up here
    if not np.isfinite(rowmax).all():
        _raise_nonfinite(a, name, ax)
        bad = np.argwhere(np.isneginf(rowmax).reshape(moved.shape[:-1]))
        if len(bad) and not allow_empty_rows:
            where = tuple(int(i) for i in bad[0])
            raise ValueError(
                f"{name} has {len(bad)} slice(s) along axis {axis} that are entirely "
                f"-inf (first at batch index {where}); every slice needs at least "
                "one finite score"
            )
    return Rows(data, rowmax, ax, moved.shape, out_dtype)


def _real_scalar(x, name: str) -> float:
    if isinstance(x, (bool, np.bool_)):
        raise TypeError(f"{name} must be a real number; got {x!r}")
    if isinstance(x, np.ndarray) and x.ndim == 0:
        x = x[()]
    if not isinstance(x, numbers.Real):
        raise TypeError(f"{name} must be a real number; got {x!r} ({type(x).__name__})")
    return float(x)


def check_alpha(alpha, *, name: str = "alpha", lower: float = 1.0,
                lower_inclusive: bool = True, hint: str = "") -> float:
    """``alpha`` as a float in ``[lower, inf]`` (or ``(lower, inf]``)."""
    a = _real_scalar(alpha, name)
    ok = (a >= lower) if lower_inclusive else (a > lower)
    if math.isnan(a) or not ok:
        op = ">=" if lower_inclusive else ">"
        msg = f"{name} must be {op} {lower:g} (np.inf allowed); got {a!r}"
        if hint:
            msg += f"; {hint}"
        raise ValueError(msg)
    return a


def check_positive(x, name: str, *, allow_inf: bool = False) -> float:
    """A finite (or +inf when allowed) real number > 0."""
    v = _real_scalar(x, name)
    if math.isnan(v) or v <= 0 or (math.isinf(v) and not allow_inf):
        rng = "(0, inf]" if allow_inf else "(0, inf) and finite"
        raise ValueError(f"{name} must be in {rng}; got {v!r}")
    return v


def check_k(k, n_min: int, name: str = "k") -> int:
    """An integer ``1 <= k <= n_min`` (``n_min``: the fewest unmasked entries)."""
    if isinstance(k, (bool, np.bool_)):
        raise TypeError(f"{name} must be an integer; got {k!r}")
    try:
        kk = operator.index(k)
    except TypeError:
        raise TypeError(f"{name} must be an integer; got {k!r}") from None
    if kk < 1 or kk > n_min:
        raise ValueError(
            f"{name} must satisfy 1 <= {name} <= {n_min} (the number of unmasked "
            f"entries of the smallest slice); got {kk}"
        )
    return kk


def check_same_shape(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    if a.shape != b.shape:
        raise ValueError(
            f"{name_a} and {name_b} must have the same shape; got {a.shape} and {b.shape}"
        )


def caps_below(U: np.ndarray, total: float) -> np.ndarray:
    """Rows of the caps ``U`` (shape ``(rows, N)``, entries in ``[0, inf]``, masked
    entries set to 0) whose *exact* sum is below ``total`` (infeasible capped simplex).

    A float64 sum can decide this wrongly in both directions (``3 * fl(1/3) < 1``
    exactly, but sums to 1.0 in float64).  The float sum decides the rows that are
    clearly on one side (its error is below ``N eps`` of the sum); the others are
    decided by ``math.fsum`` of the row and ``-total``, whose sign is exact (``fsum``
    is correctly rounded and the exact result is a multiple of ``2**-1074``).
    """
    n = U.shape[1]
    C = np.minimum(U, total)  # a cap above the total decides alone; no overflow
    s = C.sum(axis=1)
    slack = 2.0 * (n + 2) * np.finfo(np.float64).eps * total
    below = s < total - slack
    unsure = np.flatnonzero(~below & (s <= total + slack))
    for r in unsure:
        below[r] = math.fsum([*C[r].tolist(), -total]) < 0.0
    return below
