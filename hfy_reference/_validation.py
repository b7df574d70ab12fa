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
import sys
from dataclasses import dataclass, replace

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
    "check_simplex",
    "as_patterns",
    "as_query",
    "as_vectors",
    "check_beta",
    "check_index",
    "check_subset",
    "check_margin",
    "one_query",
    "check_iter",
    "as_post",
    "as_upper",
    "check_alpha_finite",
    "check_loc_scale",
    "as_points",
    "check_real_finite",
    "check_same_dim",
    "check_instance",
    "as_rbf",
    "check_nonnegative",
    "check_choice",
    "check_dim",
    "check_probability",
    "check_family",
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
    ninf : ndarray of int, shape (rows,), or None
        The number of -inf entries of each row, when the validation counted them.
    """

    data: np.ndarray
    rowmax: np.ndarray
    axis: int
    moved_shape: tuple
    dtype: np.dtype
    ninf: np.ndarray | None = None  # -inf entries per row, when counted with the maxima
    deferred: tuple | None = None  # (array, name, axis) while the maxima are deferred

    def with_counts(self, ninf: np.ndarray) -> Rows:
        """The same rows with the -inf counts a kernel computed (deferred maxima)."""
        return replace(self, ninf=ninf)

    def check_deferred(self) -> None:
        """The checks of :func:`as_rows` on maxima that a kernel computed
        (``defer_max=True``): raises as ``as_rows`` would have; a no-op otherwise."""
        if self.deferred is not None:
            a, name, axis = self.deferred
            _check_rowmax(self.rowmax, a, name, self.axis, axis, self.moved_shape, False)

    def masked_counts(self) -> np.ndarray | None:
        """The number of -inf entries of each row, or None if no row has one."""
        if self.ninf is not None:
            return self.ninf if self.ninf.any() else None
        if not np.isneginf(self.data.min()):
            return None
        return np.isneginf(self.data).sum(axis=1)

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

    def targets(self, y, name: str = "y") -> np.ndarray:
        """Targets of a loss in the canonical ``(rows, N)`` layout.

        ``y`` is either a distribution of the same shape as the scores (any real dtype),
        or -- the convention of torch and of the PyPI entmax losses -- integer class
        indices of the scores' shape without ``axis`` (one index per row; a Python
        ``int`` for a single vector of scores), read as one-hot rows.  Indices must lie
        in ``[0, N)``.
        """
        a = np.asarray(y)
        batch = self.moved_shape[:-1]
        if a.dtype.kind in "iu" and a.shape != self.shape and a.shape == batch:
            idx = a.reshape(-1).astype(np.int64)
            n = self.n
            if idx.size and (idx.min() < 0 or idx.max() >= n):
                bad = idx[(idx < 0) | (idx >= n)][0]
                raise ValueError(f"{name} as class indices must lie in [0, {n}) "
                                 f"(N = {n} scores along axis {self.axis}); got {int(bad)}")
            out = np.zeros(self.data.shape)
            out[np.arange(idx.size), idx] = 1.0
            return out
        if a.dtype.kind in "iu" and a.shape != self.shape:
            raise ValueError(
                f"{name} must be a distribution of the shape of z {self.shape}, or integer "
                f"class indices of shape {batch} (the shape of z without axis "
                f"{self.axis}); got an integer array of shape {a.shape}"
            )
        return self.like(y, name)

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


def _parallel(data: np.ndarray) -> bool:
    """Whether the kernels take their parallel path on ``data`` (``(rows, N)``).  False
    while the fast maps are not loaded (the slow path validates without them)."""
    maps = sys.modules.get(__package__ + ".maps")
    if maps is None:
        return False
    return data.shape[0] > 1 and data.size >= maps.PARALLEL_MIN_SIZE and data.shape[1] > 0


def _rowmax(data: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """``(data.max(axis=1), number of -inf entries per row or None)``.  On large inputs
    one parallel pass gives both (the same maxima, NaN included; 3.7 ms instead of
    5.4 ms on 10**4 x 10**3 with 2 threads, and no second pass to count masks)."""
    if _parallel(data):
        maps = sys.modules[__package__ + ".maps"]
        out = np.empty(data.shape[0])
        ninf = np.empty(data.shape[0], np.int64)
        maps._kernels().rowmax_rows(data, out, ninf)
        return out, ninf
    return data.max(axis=1), None


def as_rows(z, axis: int = -1, name: str = "z", allow_empty_rows: bool = False,
            defer_max: bool = False) -> Rows:
    """Validate scores ``z`` and put them in canonical ``(rows, N)`` form.

    ``defer_max=True`` (large inputs only, for kernels that compute a row's maximum
    themselves where ``rowmax`` is NaN: the power and capped engines) leaves the
    maxima and the checks that depend on them to the kernel and to
    :meth:`Rows.check_deferred`, which the caller must call on the result: one pass
    over the input fewer.

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
    if defer_max and not allow_empty_rows and _parallel(data):
        # the kernel computes each row's maximum where it first reads the row (NaN
        # marks "not yet"), and Rows.check_deferred raises the same errors afterwards
        return Rows(data, np.full(data.shape[0], np.nan), ax, moved.shape, out_dtype,
                    None, (a, name, axis))
    rowmax, ninf = _rowmax(data)  # NaN propagates; +inf and all -inf show up here
    _check_rowmax(rowmax, a, name, ax, axis, moved.shape, allow_empty_rows)
    return Rows(data, rowmax, ax, moved.shape, out_dtype, ninf)


def _check_rowmax(rowmax: np.ndarray, a: np.ndarray, name: str, ax: int, axis,
                  moved_shape: tuple, allow_empty_rows: bool) -> None:
    if not np.isfinite(rowmax).all():
        _raise_nonfinite(a, name, ax)
        bad = np.argwhere(np.isneginf(rowmax).reshape(moved_shape[:-1]))
        if len(bad) and not allow_empty_rows:
            where = tuple(int(i) for i in bad[0])
            raise ValueError(
                f"{name} has {len(bad)} slice(s) along axis {axis} that are entirely "
                f"-inf (first at batch index {where}); every slice needs at least "
                "one finite score"
            )


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


def check_k(k, n_min: int | None, name: str = "k") -> int:
    """An integer ``1 <= k <= n_min`` (``n_min``: the fewest unmasked entries; ``None``
    when no scores are known yet, e.g. at construction: then only ``k >= 1``)."""
    if isinstance(k, (bool, np.bool_)):
        raise TypeError(f"{name} must be an integer; got {k!r}")
    try:
        kk = operator.index(k)
    except TypeError:
        raise TypeError(f"{name} must be an integer; got {k!r}") from None
    if n_min is None:
        if kk < 1:
            raise ValueError(f"{name} must be an integer >= 1; got {kk}")
        return kk
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


def check_alpha_rows(alpha, rows: Rows, *, name: str = "alpha", lower: float = 1.0,
                     lower_inclusive: bool = True, hint: str = ""):
    """``alpha`` as a float (scalar input, :func:`check_alpha`) or, for an array, as a
    float64 array of shape ``(rows,)``: one value per slice of ``rows``.

    An array must broadcast against the shape of the scores with the map's axis
    removed (one α per row, per head, ...), or have the scores' number of dimensions
    with size 1 along the axis (the ``keepdim`` layout of PyTorch's ``entmax_bisect``).
    Every entry must be in ``[lower, inf]`` (``(lower, inf]``); NaN raises.
    """
    if np.ndim(alpha) == 0:
        return check_alpha(alpha, name=name, lower=lower,
                           lower_inclusive=lower_inclusive, hint=hint)
    a = np.asarray(alpha)
    if a.dtype.kind == "b" or a.dtype.kind not in "iuf":
        raise TypeError(
            f"{name} must be a real number or an array of real numbers; got dtype {a.dtype}"
        )
    a = a.astype(np.float64, copy=False)
    zshape = rows.shape
    batch = rows.moved_shape[:-1]
    if a.ndim == len(zshape):
        if a.shape[rows.axis] != 1:
            raise ValueError(
                f"{name} with as many dimensions as z must have size 1 along axis "
                f"{rows.axis} (one value per slice); got shape {a.shape} for z of shape "
                f"{zshape}"
            )
        a = np.squeeze(a, axis=rows.axis)
    try:
        a = np.broadcast_to(a, batch)
    except ValueError:
        raise ValueError(
            f"{name} must broadcast against the shape of z without axis {rows.axis}, "
            f"{batch} (one value per slice); got shape {np.shape(alpha)}"
        ) from None
    flat = np.ascontiguousarray(a).reshape(-1)
    ok = (flat >= lower) if lower_inclusive else (flat > lower)
    if not ok.all():  # NaN fails both comparisons
        bad = ~ok.reshape(a.shape) if a.ndim else np.array(~ok[0])
        i = int(np.flatnonzero(~ok)[0])
        op = ">=" if lower_inclusive else ">"
        where = _locate(bad) if a.ndim else "its only entry"
        msg = (f"{name} must be {op} {lower:g} (np.inf allowed) in every entry; got "
               f"{float(flat[i])!r} at {where}")
        if hint:
            msg += f"; {hint}"
        raise ValueError(msg)
    return flat


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


def check_simplex(P: np.ndarray, name: str, total: float, upper: float | None = None):
    """``P`` rows in ``{p >= 0, (p <= upper), sum p = total}`` up to rounding."""
    n = P.shape[1]
    tol = 64 * np.finfo(np.float64).eps * max(1.0, total) * math.sqrt(n)
    pmin = P.min()
    if pmin < -tol:
        raise ValueError(
            f"{name} must lie on the {'capped ' if upper else ''}simplex: entries must be "
            f">= 0; got min({name}) = {float(pmin)!r}"
        )
    if upper is not None:
        pmax = P.max()
        if pmax > upper + tol:
            raise ValueError(
                f"{name} must lie in the capped simplex: entries must be <= {upper:g}; "
                f"got max({name}) = {float(pmax)!r}"
            )
    err = np.abs(P.sum(axis=1) - total)
    if err.max() > tol:
        r = int(np.argmax(err))
        raise ValueError(
            f"{name} must sum to {total:g} along the axis (tolerance {tol:.1e}); slice "
            f"{r} sums to {float(P[r].sum())!r}"
        )


# ---- Hopfield networks and the theory's conditions ----------------------------------
def as_patterns(X, name: str = "X") -> np.ndarray:
    """``X`` as a finite, read-only, C-contiguous float64 (N, D) copy."""
    a, _ = as_float_array(X, name)
    if a.ndim != 2:
        raise ValueError(
            f"{name} must be a 2-D array of patterns, shape (N, D) (one pattern per row); "
            f"got an array of shape {a.shape}"
        )
    if not np.isfinite(a).all():
        bad = np.argwhere(~np.isfinite(a))[0]
        raise ValueError(
            f"{name} must be finite; found NaN or inf at index {tuple(int(i) for i in bad)}"
        )
    out = np.array(a, dtype=np.float64, order="C", copy=True)
    out.flags.writeable = False
    return out


def as_query(q, D: int, name: str = "q") -> tuple[np.ndarray, bool]:
    """``q`` as a finite float64 (B, D) array and whether it was a single (D,) vector."""
    a, _ = as_float_array(q, name)
    if a.ndim == 1:
        single = True
        a = a[None, :]
    elif a.ndim == 2:
        single = False
    else:
        raise ValueError(
            f"{name} must be one query of shape (D,) = ({D},) or a batch of shape (B, D) "
            f"= (B, {D}); got an array of shape {a.shape}"
        )
    if a.shape[1] != D:
        raise ValueError(
            f"{name} must have length D = {D} (the pattern dimension) along its last axis; "
            f"got shape {a.shape if not single else a.shape[1:]}"
        )
    if not np.isfinite(a).all():
        bad = np.argwhere(~np.isfinite(a))[0]
        where = int(bad[1]) if single else tuple(int(i) for i in bad)
        raise ValueError(f"{name} must be finite; found NaN or inf at index {where}")
    return np.ascontiguousarray(a, dtype=np.float64), single


def check_beta(beta, name: str = "beta") -> float:
    """``beta`` as a finite float > 0."""
    return check_positive(beta, name)


def check_index(i, n: int, name: str = "i") -> int:
    """A pattern index in ``[0, n)``.  Negative indices are refused, as in every other
    call that takes pattern indices (a k-subset's indices, a loss's class indices): an
    index of -1 is far more often an off-by-one than a wish for the last pattern."""
    if isinstance(i, (bool, np.bool_)):
        raise TypeError(f"{name} must be an integer pattern index; got {i!r}")
    try:
        ii = operator.index(i)
    except TypeError:
        raise TypeError(f"{name} must be an integer pattern index; got {i!r}") from None
    if not 0 <= ii < n:
        raise ValueError(f"{name} must be a pattern index in [0, {n}) (N = {n}); got {ii}")
    return ii


def check_subset(y, n: int, name: str = "y") -> np.ndarray:
    """A k-subset given as indices or as a boolean/0-1 mask, as a boolean mask."""
    a = np.asarray(y)
    is_mask = a.dtype == bool or (
        a.dtype.kind == "f" and a.shape == (n,) and bool(np.isin(a, (0.0, 1.0)).all())
    )
    if is_mask:
        if a.shape != (n,):
            raise ValueError(f"{name} as a mask must have shape ({n},); got {a.shape}")
        mask = a.astype(bool)
    else:
        if a.ndim != 1 or a.dtype.kind not in "iu":
            raise TypeError(
                f"{name} must be a 1-D array of distinct integer pattern indices or a "
                f"boolean mask of length N = {n}; got {y!r}"
            )
        if a.size and (a.min() < 0 or a.max() >= n):
            raise ValueError(f"{name} indices must lie in [0, {n}); got {a.tolist()}")
        if np.unique(a).size != a.size:
            raise ValueError(f"{name} indices must be distinct; got {a.tolist()}")
        mask = np.zeros(n, dtype=bool)
        mask[a] = True
    if not mask.any():
        raise ValueError(f"{name} must select at least one pattern")
    return mask


def check_margin(reg) -> float | None:
    """The margin of a ``Regularizer``, or a margin given as a number (>= 0) or None."""
    from .regularizers import Regularizer

    if isinstance(reg, Regularizer):
        return reg.margin
    if reg is None:
        return None
    m = _real_scalar(reg, "margin")
    if math.isnan(m) or m < 0:
        raise ValueError(f"margin must be >= 0 (or None for no margin); got {m!r}")
    return m


def one_query(q0, D: int) -> np.ndarray:
    """``q0`` as a (1, D) array; a batch is an error (the conditions are per query)."""
    q, single = as_query(q0, D, "q0")
    if not single:
        raise ValueError(f"q0 must be one query of shape ({D},); got {q.shape}")
    return q


def as_vectors(v, name: str, D: int | None = None) -> tuple[np.ndarray, bool]:
    """``v`` (D,) or (B, D) as a finite float64 2-D array and a 'single' flag."""
    a, _ = as_float_array(v, name)
    if a.ndim not in (1, 2):
        raise ValueError(f"{name} must have shape (D,) or (B, D); got shape {a.shape}")
    single = a.ndim == 1
    a2 = a[None, :] if single else a
    if D is not None and a2.shape[1] != D:
        raise ValueError(
            f"{name} must have length D = {D} along its last axis; got shape {a.shape}"
        )
    if not np.isfinite(a2).all():
        bad = np.argwhere(~np.isfinite(a))[0]
        raise ValueError(
            f"{name} must be finite; found NaN or inf at index "
            f"{tuple(int(i) for i in bad)}"
        )
    return np.ascontiguousarray(a2, dtype=np.float64), single



def check_iter(max_iter, tol) -> tuple[int, float]:
    """``max_iter`` (an integer >= 0) and ``tol`` (a finite float >= 0)."""
    if isinstance(max_iter, (bool, np.bool_)):
        raise TypeError(f"max_iter must be an integer >= 0; got {max_iter!r}")
    try:
        mi = operator.index(max_iter)
    except TypeError:
        raise TypeError(f"max_iter must be an integer >= 0; got {max_iter!r}") from None
    if mi < 0:
        raise ValueError(f"max_iter must be an integer >= 0; got {mi}")
    t = _real_scalar(tol, "tol")
    if not (t >= 0 and math.isfinite(t)):
        raise ValueError(f"tol must be a finite number >= 0; got {t!r}")
    return mi, t



def as_post(post):
    """``post`` (None, a name of ``POST_TRANSFORMS`` or a ``PostTransform``) as a
    ``PostTransform`` instance."""
    from .post import POST_TRANSFORMS, PostTransform, Quadratic

    if post is None:
        return Quadratic()
    if isinstance(post, PostTransform):
        return post
    if isinstance(post, str):
        try:
            return POST_TRANSFORMS[post]()
        except KeyError:
            raise ValueError(
                f"post must be None, one of {sorted(POST_TRANSFORMS)} or a PostTransform "
                f"instance; got {post!r}"
            ) from None
    raise TypeError(
        f"post must be None, one of {sorted(POST_TRANSFORMS)} or a PostTransform instance "
        f"(Quadratic(), L2Ball(radius), LayerNorm(gain, bias), Sign(), Tanh(beta)); "
        f"got {post!r}"
    )


def as_upper(upper, shape: tuple) -> np.ndarray:
    """Upper bounds (constrained sparsemax) broadcast to ``shape`` (a read-only view):
    real, no NaN, ``>= 0`` (``np.inf`` allowed)."""
    u0, _ = as_float_array(upper, "upper", allow_0d=True)
    try:
        u = np.broadcast_to(u0, shape)
    except ValueError:
        raise ValueError(
            f"upper must be broadcastable to the shape of z {shape}; got {u0.shape}"
        ) from None
    # the values of the broadcast are those of u0: checked once each, not once per
    # entry of z (a scalar cap would be read 10**7 times on a 10**4 x 10**3 input)
    umin = u0.min() if u0.size else 0.0  # NaN propagates
    if np.isnan(umin):
        raise ValueError("upper contains NaN; upper bounds must be in [0, inf]")
    if umin < 0:
        raise ValueError(
            f"upper must be >= 0 (np.inf allowed); got min(upper) = {float(umin)!r}"
        )
    return u


def check_nonnegative(x, name: str) -> float:
    """A finite real number ``>= 0``."""
    v = _real_scalar(x, name)
    if not (math.isfinite(v) and v >= 0.0):
        raise ValueError(f"{name} must be a finite number >= 0; got {v!r}")
    return v


def check_choice(value, name: str, choices: tuple):
    """``value`` if it is one of ``choices``."""
    if not any(value == c and type(value) is type(c) for c in choices):
        raise ValueError(f"{name} must be one of {choices}; got {value!r}")
    return value


def check_dim(D, name: str = "D") -> int:
    """An integer dimension ``>= 2`` (the sphere ``S^(D-1)`` in ``R^D``)."""
    if isinstance(D, (bool, np.bool_)):
        raise TypeError(f"{name} must be an integer >= 2; got {D!r}")
    try:
        d = operator.index(D)
    except TypeError:
        raise TypeError(f"{name} must be an integer >= 2; got {D!r}") from None
    if d < 2:
        raise ValueError(
            f"{name} must be an integer >= 2 (the sphere S^({name}-1) in R^{name}); got {d}")
    return d


def check_probability(p, name: str = "p") -> float:
    """A probability in ``(0, 1]``."""
    v = _real_scalar(p, name)
    if not 0.0 < v <= 1.0:
        raise ValueError(f"{name} must be a probability in (0, 1]; got {v!r}")
    return v


def check_family(which, params: dict, families: dict) -> tuple:
    """``which`` a key of ``families`` (name -> parameter names) and ``params`` among
    its parameters; returns the parameter names."""
    if not isinstance(which, str) or which not in families:
        raise ValueError(f"which must be one of {sorted(families)}; got {which!r}")
    extra = set(params) - set(families[which])
    if extra:
        raise TypeError(
            f"{which} takes the parameters {families[which] or '()'}; got {sorted(extra)}"
        )
    return families[which]


# ---- continuous distributions (hfy_reference.continuous) ----------------------------
_cont_real = _real_scalar  # the same check as every other real parameter


def check_alpha_finite(alpha, name: str = "alpha") -> float:
    """α as a float in ``[1, inf)``."""
    a = _cont_real(alpha, name)
    if not (a >= 1.0) or math.isinf(a):
        raise ValueError(
            f"{name} must be a finite number >= 1 (1: Gaussian, 2: continuous sparsemax); "
            f"got {a!r}"
        )
    return a


def _cont_real_array(x, name: str) -> np.ndarray:
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
    mu = _cont_real_array(loc, name_loc)
    S = _cont_real_array(scale, name_scale)
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
    a = _cont_real_array(x, name)
    if a.ndim >= 1 and a.shape[-1] == D:
        return a
    if D == 1:
        return a[..., None]
    raise ValueError(f"dimension mismatch: {name} must have shape (..., {D}); got {a.shape}")


def check_real_finite(x, name: str) -> float:
    """A real, finite scalar, 0-d arrays included (``TypeError`` for other kinds)."""
    v = np.asarray(x)
    if v.ndim != 0 or v.dtype.kind not in "iuf" or v.dtype == np.bool_:
        raise TypeError(f"{name} must be a real scalar; got {x!r}")
    f = float(v)
    if not math.isfinite(f):
        raise ValueError(f"{name} must be finite; got {f!r}")
    return f


def check_same_dim(a: int, b: int, what_a: str = "the score",
                   what_b: str = "the density") -> None:
    if a != b:
        raise ValueError(f"dimension mismatch: {what_a} has D = {a}, {what_b} D = {b}")


def check_instance(obj, cls, name: str):
    """``obj`` if it is an instance of ``cls``, else ``TypeError``."""
    if not isinstance(obj, cls):
        raise TypeError(f"{name} must be a {cls.__name__}; got {type(obj).__name__}")
    return obj


def as_rbf(centers, widths) -> tuple[np.ndarray, np.ndarray]:
    """Read-only (centres (J,), widths (J,)) of Gaussian RBFs: finite, widths > 0."""
    c = np.asarray(centers)
    w = np.asarray(widths)
    for name, v in (("centers", c), ("widths", w)):
        if v.dtype.kind not in "iuf" or v.dtype == np.bool_:
            raise TypeError(f"{name} must be real-valued; got dtype {v.dtype}")
    c = np.atleast_1d(c.astype(np.float64))
    if c.ndim != 1 or c.size == 0:
        raise ValueError(f"centers must be a non-empty 1-D array; got shape {c.shape}")
    try:
        w = np.broadcast_to(w.astype(np.float64), c.shape).copy()
    except ValueError:
        raise ValueError(f"widths must be a scalar or have the shape of centers "
                         f"{c.shape}; got {w.shape}") from None
    if not (np.all(np.isfinite(c)) and np.all(np.isfinite(w))):
        raise ValueError("centers and widths must be finite (no NaN or inf)")
    if not np.all(w > 0):
        raise ValueError(f"widths must be > 0; got min {float(w.min())!r}")
    c.setflags(write=False)
    w.setflags(write=False)
    return c, w


# --- distributions on the simplex (hfy_reference.mixed) ------------------------------
def as_simplex_scores(loc, name: str = "loc") -> np.ndarray:
    try:
        a = np.array(loc, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a 1-D array of real numbers; got {loc!r}") from None
    if a.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one score per vertex); got shape {a.shape}")
    if a.shape[0] < 2:
        raise ValueError(
            f"{name} must have K >= 2 entries (the simplex of K = 1 is a point); "
            f"got K = {a.shape[0]}")
    bad = ~np.isfinite(a)
    if bad.any():
        raise ValueError(f"{name} must be finite; got {int(bad.sum())} NaN/inf entr"
                         f"{'y' if bad.sum() == 1 else 'ies'} (first at index "
                         f"{int(np.argmax(bad))})")
    return a


def as_spd_matrix(cov, K: int, name: str = "cov") -> tuple[np.ndarray, np.ndarray]:
    """``cov`` as a (K, K) SPD matrix (a scalar means ``cov * I``), and its Cholesky factor."""
    try:
        c = np.array(cov, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a real (K, K) matrix or a scalar; got {cov!r}") \
            from None
    if c.ndim == 0:
        c = c * np.eye(K)
    elif c.ndim == 1 and c.shape[0] == K:
        c = np.diag(c)
    if c.shape != (K, K):
        raise ValueError(f"{name} must have shape ({K}, {K}) (or be a scalar or a "
                         f"length-{K} diagonal); got shape {c.shape}")
    if not np.all(np.isfinite(c)):
        raise ValueError(f"{name} must be finite; got {int((~np.isfinite(c)).sum())} "
                         "NaN/inf entries")
    if not np.allclose(c, c.T, rtol=1e-12, atol=0.0):
        raise ValueError(f"{name} must be symmetric; max |cov - cov.T| = "
                         f"{float(np.max(np.abs(c - c.T))):.3g}")
    c = 0.5 * (c + c.T)
    try:
        L = np.linalg.cholesky(c)
    except np.linalg.LinAlgError:
        w = float(np.linalg.eigvalsh(c).min())
        raise ValueError(f"{name} must be symmetric positive definite; its smallest "
                         f"eigenvalue is {w:.3g}") from None
    if not np.all(np.diag(L) > 0):
        raise ValueError(f"{name} must be symmetric positive definite (Cholesky factor "
                         "has a zero pivot)")
    return c, L


def as_simplex_points(y, K: int, name: str = "y") -> np.ndarray:
    """``y`` as a float64 array (..., K) of points of the simplex (not modified)."""
    a = np.array(y, dtype=np.float64)
    if a.ndim == 0 or a.shape[-1] != K:
        raise ValueError(f"{name} must have last axis of length K = {K}; got shape {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} must be finite; got {int((~np.isfinite(a)).sum())} "
                         "NaN/inf entries")
    if np.any(a < 0):
        raise ValueError(f"{name} must be a point of the simplex: entries >= 0 (got "
                         f"{float(a.min())!r})")
    err = np.abs(a.sum(axis=-1) - 1.0)
    if err.size and float(err.max()) > 64 * K * np.finfo(float).eps:
        raise ValueError(f"{name} must be a point of the simplex: entries summing to 1 "
                         f"(off by up to {float(err.max()):.3g})")
    return a


def check_finite_scalar(x, name: str, lo: float, lo_inclusive: bool) -> float:
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, (int, float, np.integer,
                                                             np.floating)):
        raise TypeError(f"{name} must be a real number; got {x!r}")
    v = float(x)
    ok = (v >= lo) if lo_inclusive else (v > lo)
    if math.isnan(v) or math.isinf(v) or not ok:
        op = ">=" if lo_inclusive else ">"
        raise ValueError(f"{name} must be finite and {op} {lo:g}; got {v!r}")
    return v
