"""The adversarial case suite: named inputs on which fast kernels usually break.

Each builder returns :class:`Case` objects holding *inputs only*, already rounded to the
dtype under test; reference answers and tolerances are attached by
:mod:`hfy_reference.testing._oracle`.  Everything here is deterministic (fixed vectors
and seeded generators), so a case name always denotes the same input for a given
dtype and parameters.

Scales follow the dtype: "huge" is 1e300 in float64 and 1e30 in float32, "tiny" is
1e-300 and 1e-30, "subnormal" 1e-310 and 1e-40.  Gaps to a support threshold or a
margin are ``G * eps * s`` with ``eps`` the dtype's machine epsilon, ``G`` in
{8, 256, 8192} and ``s`` the size of the shifted scores involved, so that the
8-eps cases lie inside the rounding zone that the tolerances allow for and the others
outside it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["Case", "DTYPES", "LOW_DTYPES", "dtype_scales", "gaps", "GAPS", "as_dtype", "finfo"]

DTYPES = (np.dtype(np.float64), np.dtype(np.float32))
#: Low-precision input/output dtypes (``bfloat16`` needs the ``ml_dtypes`` package,
#: which jax and torch-free installs of ``ml_dtypes`` provide).
LOW_DTYPES = ("float16", "bfloat16")

#: Gaps to a threshold or margin, in units of ``eps * scale`` (float64, float32).
GAPS = (8, 256, 8192)
_LOW_GAPS = {"float16": (2, 8, 64), "bfloat16": (1, 4, 16)}


def as_dtype(dtype) -> np.dtype:
    """``dtype`` as a NumPy dtype; ``"bfloat16"`` through ``ml_dtypes``.  Raises
    ``ValueError``/``TypeError`` naming the allowed dtypes."""
    allowed = "float64, float32, float16 or bfloat16"
    if isinstance(dtype, str) and dtype == "bfloat16" or getattr(dtype, "__name__", "") == \
            "bfloat16" or str(dtype) == "bfloat16":
        try:
            import ml_dtypes
        except ImportError:  # pragma: no cover - ml_dtypes comes with jax
            raise ValueError("dtype bfloat16 needs the ml_dtypes package "
                             "(pip install ml_dtypes)") from None
        return np.dtype(ml_dtypes.bfloat16)
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype must be {allowed}; got {dtype!r}") from None
    if dt.name not in ("float64", "float32", "float16"):
        raise ValueError(f"dtype must be {allowed}; got {dt}")
    return dt


def finfo(dtype):
    """``np.finfo`` that also knows bfloat16."""
    dt = as_dtype(dtype)
    if dt.name == "bfloat16":
        import ml_dtypes

        return ml_dtypes.finfo(dt)
    return np.finfo(dt)


def gaps(dtype) -> tuple:
    """The gaps (in eps) of the threshold and margin cases for ``dtype``."""
    return _LOW_GAPS.get(as_dtype(dtype).name, GAPS)

# a fixed vector with distinct dyadic entries (exact in every float format)
_V7 = np.array([1.25, 0.5, -0.75, 0.0, 2.0, -3.5, 1.0])


@dataclass(frozen=True)
class Case:
    """One named input of the suite.

    Attributes
    ----------
    name : str
        Stable identifier (the same input for the same family, parameters and dtype).
    note : str
        What the case is about, in a few words.
    inputs : dict of str -> ndarray
        The arrays of the problem, in the dtype under test, one row per problem
        (``z`` scores of shape (rows, N); ``upper``, ``y``, ``target``, ``v``, ``X``,
        ``q`` as the family needs).
    tags : frozenset of str
        Coarse labels (``mask``, ``ties``, ``scale``, ``shift``, ``threshold``,
        ``margin``, ``large``, ``batch``, ``size``, ``block``, ``layout``, ``overflow``)
        used to select cases.  ``overflow`` marks the *overflow class*: a difference
        ``z_i - max z`` of finite scores lies beyond the dtype's largest number, so a
        plain formula must overflow (reports show these cases apart).
    batch_shape : tuple or None
        The shape of ``z`` handed to the backend when it is not (rows, N), e.g. a 4-D
        attention tensor (B, H, L, L); the problems are its last axis.
    layout : str
        ``"contiguous"``, or how the backend's arrays are laid out in memory:
        ``"strided"`` (every other element of a wider buffer) or ``"transposed"`` (the
        last axis is not the contiguous one).
    """

    name: str
    note: str
    inputs: dict = field(compare=False)
    tags: frozenset = frozenset()
    batch_shape: tuple | None = None
    layout: str = "contiguous"

    @property
    def shape(self) -> tuple:
        """The shape of the scores handed to the backend."""
        if self.batch_shape is not None:
            return tuple(self.batch_shape)
        first = next(iter(self.inputs.values()))
        return tuple(first.shape)

    @property
    def overflow(self) -> bool:
        """True for the overflow class (see ``tags``)."""
        return "overflow" in self.tags


def dtype_scales(dtype) -> dict:
    """The extreme magnitudes used for ``dtype`` (float64 or float32)."""
    dt = as_dtype(dtype)
    if dt == np.float64:
        return {"huge": 1e300, "tiny": 1e-300, "subnormal": 1e-310, "bits": 53}
    if dt == np.float32:
        return {"huge": 1e30, "tiny": 1e-30, "subnormal": 1e-40, "bits": 24}
    if dt == np.float16:
        return {"huge": 1e4, "tiny": 1e-4, "subnormal": 1e-7, "bits": 11}
    return {"huge": 1e30, "tiny": 1e-30, "subnormal": 1e-40, "bits": 8}  # bfloat16


def _rows(*rows) -> np.ndarray:
    return np.array([np.asarray(r, dtype=np.float64) for r in rows])


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def _dyadic(x: np.ndarray, bits: int = 10) -> np.ndarray:
    """Round to multiples of 2**-bits (exact in float32 for |x| < 2**(23 - bits))."""
    return np.round(x * 2.0**bits) / 2.0**bits


def _cast(z: ArrayLike, dtype) -> np.ndarray:
    with np.errstate(over="ignore", under="ignore"):
        return np.asarray(z, dtype=np.float64).astype(dtype)


def _overflowed(z64: np.ndarray, zd: np.ndarray) -> bool:
    with np.errstate(invalid="ignore"):
        return bool((np.isfinite(z64) & ~np.isfinite(zd)).any())


# ---- scores shared by the map families ---------------------------------------------------
def generic_scores(m: float, dtype) -> list[tuple[str, str, np.ndarray, frozenset]]:
    """Score arrays (rows, N) in float64 (not yet rounded), in units of the map's
    natural scale ``m`` (its margin; 1 for softmax)."""
    sc = dtype_scales(dtype)
    bits = sc["bits"]
    inf = np.inf
    mm = float(m)
    m2 = 2.0 ** round(math.log2(mm))  # a power of two near m (exact shifts)
    fmax = float(finfo(dtype).max)
    out = []

    def add(name, note, z, *tags):
        out.append((name, note, np.atleast_2d(np.asarray(z, dtype=np.float64)), frozenset(tags)))

    add("single_entry", "N = 1", [[0.375]], "size")
    add("two_entries", "N = 2, gap m/4", [[0.5 * mm, 0.25 * mm]], "size")
    add("unit_scores", "fixed distinct scores of order 1 (unscaled)", [_V7])
    add("dense_support", "fixed scores spread over m/2", [_V7 * mm / 4])
    add("sparse_support", "fixed scores spread over 5.5 m", [_V7 * mm])
    add("ties_at_max", "three-way exact tie at the maximum",
        [np.array([1.0, 1.0, -0.5, 1.0, 0.25, -2.0]) * mm], "ties")
    add("ties_below_max", "exact ties inside and outside the support",
        [np.array([0.0, -0.25, -0.25, -0.25, -3.0, -3.0]) * mm], "ties")
    add("all_equal", "N = 1000 equal scores (uniform answer)", [np.full(1000, 0.7)], "ties",
        "size")
    add("single_finite", "one finite score, the rest -inf", [[-inf, 0.75, -inf, -inf, -inf]],
        "mask")
    add("masked_mixed", "-inf masks between finite scores",
        [np.array([0.3, -inf, -0.2, -inf, 0.1, -inf]) * mm], "mask")
    add("masked_negative", "all finite scores negative: a mask read as 0 would win",
        [np.array([-0.5, -inf, -0.75, -inf, -0.625]) * mm], "mask")
    add("masked_first_last", "masks at both ends, tie at the maximum",
        [np.array([-inf, 0.25, 0.25, -0.5, -inf]) * mm], "mask", "ties")
    add("huge_scale", f"fixed scores times {sc['huge']:g}", [_V7 * sc["huge"]], "scale")
    add("huge_scale_ties", f"tied maximum at scale {sc['huge']:g}",
        [np.array([1.0, 1.0, 0.5, -1.0]) * sc["huge"]], "scale", "ties")
    add("full_range", "scores near +-max float: differences overflow",
        [[0.75 * fmax, -0.75 * fmax, 0.0, 0.75 * fmax, -fmax]], "scale", "ties")
    add("tiny_scale", f"fixed scores times {sc['tiny']:g}", [_V7 * sc["tiny"]], "scale")
    add("subnormal_scale", f"fixed scores times {sc['subnormal']:g} (subnormal)",
        [_V7 * sc["subnormal"]], "scale")
    shift = 2.0 ** (bits - 12) * m2
    base = _V7 * m2 / 4
    add("shift_exact_up", f"dense_support-like scores plus {shift:g} (exact)",
        [base + shift], "shift")
    add("shift_exact_down", f"the same scores minus {shift:g} (exact)", [base - shift], "shift")
    add("one_hot_far", "maximum far above the rest (10 m)",
        [np.array([0.0, -10.0, -20.0, -10.0]) * mm])
    rng = _rng(1234)
    add("random_n100", "100 normal scores times m", [_dyadic(rng.standard_normal(100)) * mm],
        "size")
    add("random_n1000", "1000 normal scores times m/4",
        [_dyadic(rng.standard_normal(1000)) * mm / 4], "size")
    add("n100000_wide", "10^5 scores within 1e-4 m: wide support",
        [_dyadic(rng.standard_normal(100_000), 20) * mm * 1e-4], "size", "large")
    add("n100000_sparse", "10^5 normal scores times 3 m: small support",
        [_dyadic(rng.standard_normal(100_000)) * 3 * mm], "size", "large")
    add("batch_mixed_supports", "rows with supports of sizes 1, 6, 3 (masked), 2 and 4",
        _rows(np.array([0.0, -10, -10, -10, -10, -10]) * mm,
              np.zeros(6),
              np.array([0.0, -inf, -0.125, -0.25, -inf, -5.0]) * mm,
              np.array([0.5, 0.5, -3.0, -3.0, -3.0, -3.0]) * mm,
              np.array([0.0, -0.03125, -0.0625, -0.09375, -4.0, -inf]) * mm),
        "batch", "mask", "ties")
    return out


#: The row lengths of the block-boundary cases: the powers of two where kernels switch
#: block sizes, one below and one above (65536 = 2^16 is the largest block of many
#: GPU kernels; 1023..1025 the warp-multiple boundaries of 1024-thread blocks).
BLOCK_SIZES = (1023, 1024, 1025, 2047, 2048, 2049, 4096, 8191, 8192, 8193,
               65535, 65536, 65537)


def shape_scores(m: float, dtype) -> list[tuple]:
    """Cases about sizes, shapes and memory layouts: ``(name, note, z rows, tags,
    batch_shape, layout)``, ``z`` unrounded float64 of shape (rows, N)."""
    mm = float(m)
    out: list[tuple] = []
    rng = _rng(4321)
    for n in BLOCK_SIZES:
        # a wide support: every entry counts in the reductions over the row
        z = _dyadic(rng.standard_normal(n), 12) * mm / (4.0 * math.sqrt(n))
        out.append((f"n{n}", f"N = {n} (a block boundary), scores spread over about m",
                    np.atleast_2d(z), frozenset({"size", "block"}), None, "contiguous"))
    R, N = 4096, 24
    scale = np.exp2(rng.integers(-3, 4, size=(R, 1)))  # rows with different supports
    z = _dyadic(rng.standard_normal((R, N)), 10) * mm * scale
    out.append(("batch_4096_rows", "4096 rows of 24 scores, row scales 1/8 to 8",
                z, frozenset({"batch", "size"}), None, "contiguous"))
    B, H, L = 2, 3, 16
    z = _dyadic(rng.standard_normal((B, H, L, L)), 10) * mm
    z[..., np.triu_indices(L, 1)[0], np.triu_indices(L, 1)[1]] = -np.inf  # causal mask
    out.append(("attention_4d", f"a causal attention tensor (B, H, L, L) = ({B}, {H}, {L}, "
                f"{L}) along the last axis", z.reshape(-1, L), frozenset({"batch", "mask"}),
                (B, H, L, L), "contiguous"))
    z = _dyadic(rng.standard_normal((5, 100)), 10) * mm
    out.append(("strided_view", "5 x 100 scores, every other element of a 5 x 200 buffer",
                z, frozenset({"layout"}), None, "strided"))
    z = _dyadic(rng.standard_normal((7, 33)), 10) * mm
    out.append(("transposed_view", "7 x 33 scores stored column-major (the last axis is "
                "not contiguous)", z, frozenset({"layout"}), None, "transposed"))
    return out


def lay_out(a: np.ndarray, batch_shape, layout: str) -> np.ndarray:
    """A fresh array with the values of ``a`` (rows, ...) in the case's shape and memory
    layout (``"strided"``: a view of every other element of a wider buffer;
    ``"transposed"``: the last axis is not the contiguous one)."""
    a = np.asarray(a)
    if batch_shape is not None:
        lead = tuple(batch_shape[:-1])
        a = a.reshape(lead + a.shape[1:])
    if a.ndim < 2 or layout == "contiguous":
        return np.array(a, copy=True)
    if layout == "strided":
        buf = np.zeros(a.shape[:-1] + (2 * a.shape[-1],), dtype=a.dtype)
        view = buf[..., ::2]
        view[...] = a
        return view
    if layout == "transposed":
        return np.ascontiguousarray(np.swapaxes(a, -1, -2)).swapaxes(-1, -2)
    raise ValueError(f"unknown layout {layout!r}")


def softmax_extra(dtype) -> list:
    """Cases on the exp underflow boundaries of ``dtype``."""
    fi = finfo(dtype)
    lt = -math.log(float(fi.tiny))
    ls = -math.log(float(fi.smallest_subnormal))
    z = np.array([0.0, -(lt - 1), -lt, -(lt + 1), -(ls - 1), -(ls + 1)])
    return [("exp_underflow", "exp(z - max) at the normal and subnormal limits",
             np.atleast_2d(_dyadic(z)), frozenset({"scale"}))]


# ---- support thresholds of the smooth families -------------------------------------------
def _support_spacing(family: str, alpha: float, s: int) -> float:
    """A spacing h such that s scores 0, -h, ..., -(s-1)h are all in the support."""
    if s <= 1:
        return 0.0
    k = s - 1
    if family == "normmax":
        return min(0.1, 0.5 * (1.0 / k) ** ((alpha - 1.0) / alpha) / k)
    # entmax (t-space spacing, converted to z-space)
    ht = min(0.1, 0.5 * (1.0 / k) ** (alpha - 1.0) / k)
    return ht / (alpha - 1.0)


def threshold_cases(family: str, alpha: float, m: float, dtype, sizes=(1, 2, 3, 6),
                    n: int = 9) -> list[tuple]:
    """For every gap ``G`` in :data:`GAPS` and side (+1 above, -1 below): rows with
    ``s`` support scores (``s`` in ``sizes``) and one candidate score placed ``G * eps *
    |x*|`` from the support threshold ``x*``.  Returns ``[(G, side, z, columns)]``;
    rows whose side does not survive rounding to ``dtype`` (or whose answer underflows
    there) are dropped, as checked on the exact path."""
    from .. import maps

    eps = float(finfo(dtype).eps)
    smax = max(sizes)
    bases = np.full((len(sizes), smax), -np.inf)
    for r, s in enumerate(sizes):
        h = _support_spacing(family, alpha, s)
        bases[r, :s] = _cast(-h * np.arange(s), dtype).astype(np.float64)
    if family == "normmax":
        xstar = np.asarray(maps.threshold(bases, alpha, family="normmax")[0], dtype=float)
    else:
        tau = np.asarray(maps.threshold(bases, alpha, family="entmax")[0], dtype=float)
        xstar = tau / (alpha - 1.0)
    built = []  # (G, side, row, col)
    for G in gaps(dtype):
        for side in (+1, -1):
            for r, s in enumerate(sizes):
                xs = float(xstar[r])
                if not abs(xs) > float(finfo(dtype).tiny) * 2.0**20:
                    continue
                x = _cast(xs + side * G * eps * abs(xs), dtype).astype(np.float64)
                fill = -3.0 * m * (1.0 + np.arange(n - s - 1) / 4.0)
                row = np.concatenate([bases[r, :s], [x], fill])
                perm = _rng(r).permutation(n)
                built.append((G, side, _cast(row[perm], dtype).astype(np.float64),
                              int(np.flatnonzero(perm == s)[0])))
    if not built:
        return []
    Z = np.array([b[2] for b in built])
    # the side is checked on the exact path, for the rounded input
    P = maps.normmax(Z, alpha) if family == "normmax" else maps.entmax(Z, alpha)
    out = []
    for G in gaps(dtype):
        for side in (+1, -1):
            rows = [(b[2], b[3]) for i, b in enumerate(built)
                    if b[0] == G and b[1] == side and (P[i, b[3]] > 0) == (side > 0)]
            if rows:
                out.append((G, side, np.array([r for r, _ in rows]), [c for _, c in rows]))
    return out


# ---- breakpoints of the capped families ---------------------------------------------------
def capped_cases(kind: str, k: int, dtype) -> list[tuple]:
    """Rows for k-subsets (``kind="ksubsets"``) or constrained sparsemax with one entry
    ``G * eps * scale`` above or below a breakpoint: ``what="cap"`` (where ``z - tau``
    reaches the upper bound) or ``"floor"`` (where it reaches 0).  Returns
    ``[(what, G, side, z, upper, columns)]``, sides checked on the exact path."""
    eps = float(finfo(dtype).eps)
    inf = np.inf
    frees = ([0.6, 0.3], [0.7, 0.5, 0.3], [0.6])
    zs, us = [], []
    for free in frees:
        if kind == "ksubsets":
            caps = [2.0 + 0.5 * j for j in range(k - 1)]
            zs.append(caps + free + [-1.0, -2.0])
            us.append([1.0] * (len(caps) + len(free) + 2))
        else:
            zs.append([2.0] + free + [-1.0, -2.0, 1.5])
            us.append([0.25] + [inf] * len(free) + [inf, 0.5, 0.125])
    n = max(len(z) for z in zs)
    Z0 = np.empty((len(zs), n))
    U0 = np.full((len(zs), n), 1.0 if kind == "ksubsets" else inf)
    for i, (z, u) in enumerate(zip(zs, us, strict=True)):
        filler = -3.0 - np.arange(n - len(z))  # far below every breakpoint
        Z0[i] = _cast(np.concatenate([z, filler]), dtype)
        U0[i, : len(u)] = u
    M0 = _capped_ref(kind, Z0, U0, k)
    built = []  # (what, G, side, row, urow, col)
    for i in range(len(zs)):
        z, u, mu = Z0[i], U0[i], M0[i]
        free = (mu > 0) & (mu < u)
        if not free.any():
            continue
        tau = float(np.mean(z[free] - mu[free]))
        for what in ("cap", "floor"):
            if what == "cap":
                cand = np.flatnonzero(mu == u)
                if len(cand) == 0:
                    continue
                col = int(cand[0])
                xstar = tau + u[col]
            else:
                col = int(np.flatnonzero((mu == 0) & np.isfinite(z))[0])
                xstar = tau
            scale = max(abs(xstar), abs(xstar - z.max()))
            for G in gaps(dtype):
                for side in (+1, -1):
                    zz = z.copy()
                    zz[col] = xstar + side * G * eps * scale
                    built.append((what, G, side, _cast(zz, dtype).astype(np.float64), u, col))
    if not built:
        return []
    Z = np.array([b[3] for b in built])
    U = np.array([b[4] for b in built])
    M = _capped_ref(kind, Z, U, k)
    out = []
    for what in ("cap", "floor"):
        for G in gaps(dtype):
            for side in (+1, -1):
                sel = []
                for i, b in enumerate(built):
                    if b[:3] != (what, G, side):
                        continue
                    c = b[5]
                    if what == "cap":
                        ok = (M[i, c] == U[i, c]) if side > 0 else (M[i, c] < U[i, c])
                    else:
                        ok = (M[i, c] > 0) if side > 0 else (M[i, c] == 0)
                    if ok:
                        sel.append(i)
                if sel:
                    out.append((what, G, side, Z[sel], U[sel], [built[i][5] for i in sel]))
    return out


def _capped_ref(kind, z, u, k):
    from .. import maps

    if kind == "ksubsets":
        return maps.sparsemap_ksubsets(z, k)
    return maps.constrained_sparsemax(z, u)


def topk_margin_rows(k: int, gap_units: int, side: int, dtype):
    """k-subsets rows whose k-th and (k+1)-th scores differ by ``1 + side * gap``: the
    top-k indicator (side +1) or just not (side -1)."""
    eps = float(finfo(dtype).eps)
    rows = []
    for base in (0.0, 3.0):
        top = base + 0.25 * np.arange(k)[::-1]  # k scores, the k-th is ``base``
        scale = abs(base) + 1.0
        nxt = base - 1.0 - side * gap_units * eps * scale
        z = np.concatenate([top, [nxt, nxt - 2.0, nxt - 3.0]])  # unmasked: margins only
        rows.append(_cast(z, dtype).astype(np.float64))
    return np.array(rows)


def default_upper(z: np.ndarray) -> np.ndarray:
    """Upper bounds for constrained sparsemax on a generic case: a fixed pattern,
    replaced by +inf on rows whose unmasked bounds would sum to less than 1."""
    pattern = np.array([0.5, np.inf, 0.25, 1.0, 0.125, np.inf, 0.75, 0.375])
    n = z.shape[-1]
    u = np.resize(pattern, n)
    U = np.broadcast_to(u, z.shape).copy()
    tot = np.where(np.isneginf(z), 0.0, U).sum(axis=-1)
    U[tot < 1.0] = np.inf
    return U


def dyadic_normal(shape, seed: int, bits: int = 8) -> np.ndarray:
    """Seeded normal values rounded to multiples of 2**-bits (exact in float32)."""
    return _dyadic(np.clip(_rng(seed).standard_normal(shape), -8, 8), bits)


def dyadic_distribution(shape, seed: int, allowed: np.ndarray | None = None,
                        bits: int = 12) -> np.ndarray:
    """Rows of nonnegative multiples of 2**-bits summing to exactly 1 (zero where
    ``allowed`` is False)."""
    rng = _rng(seed)
    R, N = shape
    out = np.zeros(shape)
    for r in range(R):
        idx = np.arange(N) if allowed is None else np.flatnonzero(allowed[r])
        w = rng.random(len(idx)) + 0.05
        c = np.floor(w / w.sum() * 2**bits)
        c[np.argmax(c)] += 2**bits - c.sum()
        out[r, idx] = c / 2**bits
    return out
