"""Assemble the cases of a family: inputs, reference answers, tolerances.

A case starts as a :class:`Raw` record (unrounded float64 rows, one problem per row,
and what the family needs besides the scores); :func:`prepare` rounds it to the input
dtype and attaches the exact answer and the tolerances.  The built-in suites
(:func:`build_suite`) and the user's own inputs (:func:`hfy_reference.testing.reference`)
go through the same :func:`prepare`, so a family added here is judged the same way on
both.  To add a family kind, write its ``_<kind>_raws`` (the suite) and its
``_prepare_<kind>`` (answer and tolerance) and register both in :data:`KINDS`.

Reference answers come from the library's exact path (:mod:`hfy_reference.maps`,
:mod:`hfy_reference.regularizers`), called once per distinct row length N on the
stacked rows of all cases of that length (each row is an independent problem, so
stacking does not change any answer; it only saves the kernels' per-call cost).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import numpy as np

from . import _oracle as O
from . import _suite as S

# generic score cases reused by the loss and Jacobian families
_LOSS_BASES = (
    "single_entry", "two_entries", "unit_scores", "dense_support", "sparse_support",
    "ties_at_max", "single_finite", "masked_mixed", "masked_negative", "huge_scale",
    "tiny_scale", "shift_exact_up", "shift_exact_down", "full_range",
    "batch_mixed_supports", "random_n1000", "n100000_sparse",
    "n1025", "n65537", "attention_4d", "strided_view", "transposed_view",
)
_JVP_BASES = (
    "single_entry", "two_entries", "unit_scores", "dense_support", "sparse_support",
    "ties_at_max", "ties_below_max", "single_finite", "masked_mixed", "masked_first_last",
    "huge_scale", "tiny_scale", "shift_exact_up", "batch_mixed_supports", "random_n100",
    "random_n1000", "n100000_wide", "n1023", "n4096", "n65537", "attention_4d",
    "strided_view", "transposed_view",
)


@dataclass
class Raw:
    """A case before rounding: float64 rows ``z`` (rows, N) and, in ``extra``,
    ``upper`` (constrained sparsemax), ``y`` (loss targets, rows x N; with
    ``target="index"`` one-hot rows), ``v`` (Jacobian products) and ``cols``."""

    name: str
    note: str
    z: np.ndarray
    tags: frozenset = frozenset()
    extra: dict = field(default_factory=dict)
    batch_shape: tuple | None = None
    layout: str = "contiguous"


def grouped(func, *columns):
    """``func`` applied to the stacked rows of all arrays of the same width.

    ``columns`` are equal-length lists of 2-D arrays (``None`` entries are skipped);
    returns the list of per-array results (2-D, or 1-D for per-row results)."""
    n = len(columns[0])
    groups: dict = {}
    for i in range(n):
        if columns[0][i] is not None:
            groups.setdefault(columns[0][i].shape[1], []).append(i)
    out = [None] * n
    for _, idx in groups.items():
        stacked = [np.concatenate([c[i] for i in idx]) for c in columns]
        res = np.asarray(func(*stacked), dtype=np.float64)
        off = 0
        for i in idx:
            r = columns[0][i].shape[0]
            out[i] = res[off: off + r]
            off += r
    return out


# ---- the raw cases of a family -----------------------------------------------------------
def _generic(fam: O.Family, dtype) -> dict:
    """name -> Raw of the generic score cases (sizes and layouts included)."""
    m = fam.margin
    out = {}
    for n, note, z, tags in S.generic_scores(m, dtype):
        out[n] = Raw(n, note, z, tags)
    for n, note, z, tags, bshape, layout in S.shape_scores(m, dtype):
        out[n] = Raw(n, note, z, tags, {}, bshape, layout)
    return out


def _score_raws(fam: O.Family, dtype) -> list[Raw]:
    """The map's score cases, in suite order."""
    out = list(_generic(fam, dtype).values())
    m = fam.margin
    if fam.map == "softmax":
        out += [Raw(n, note, z, tags) for n, note, z, tags in S.softmax_extra(dtype)]
    elif fam.map in ("sparsemax", "entmax", "normmax"):
        tf = "normmax" if fam.map == "normmax" else "entmax"
        for G, side, z, cols in S.threshold_cases(tf, fam.smooth_alpha, m, dtype):
            sign, where = ("+", "above") if side > 0 else ("-", "below")
            out.append(Raw(f"threshold{sign}{G}eps",
                           f"one score {G} eps {where} the support threshold of supports of "
                           "sizes 1, 2, 3, 6 (size 1: the margin)", z,
                           frozenset({"threshold", "margin"}), {"cols": cols}))
    elif fam.map == "ksubsets":
        for G in S.gaps(dtype):
            for side, sign in ((+1, "+"), (-1, "-")):
                z = S.topk_margin_rows(fam.k, G, side, dtype)
                out.append(Raw(f"topk_margin{sign}{G}eps",
                               f"z_(k) - z_(k+1) = 1 {sign} {G} eps", z,
                               frozenset({"margin"})))
        out += _capped(S.capped_cases("ksubsets", fam.k, dtype))
    else:
        out += _capped(S.capped_cases("constrained", 1, dtype))
    return out


def _capped(raw):
    out = []
    for what, G, side, Z, U, cols in raw:
        sign, where = ("+", "above") if side > 0 else ("-", "below")
        reach = "its upper bound" if what == "cap" else "zero"
        out.append(Raw(f"{what}{sign}{G}eps",
                       f"one score {G} eps {where} the breakpoint where it reaches {reach}", Z,
                       frozenset({"threshold"}), {"upper": U, "cols": cols}))
    return out


def _map_raws(fam, dtype):
    return _score_raws(fam, dtype)


def _loss_raws(fam, dtype):
    m = fam.margin
    gen = _generic(fam, dtype)
    out = []

    def add(base, suffix, note, Y):
        out.append(Raw(f"{base.name}/target={suffix}", base.note + note, base.z, base.tags,
                       {"y": Y}, base.batch_shape, base.layout))

    for name in _LOSS_BASES:
        base = gen[name]
        zd = S._cast(base.z, dtype).astype(np.float64)
        fin = np.isfinite(zd)
        nfin = fin.sum(axis=1)
        order = np.argsort(-np.where(fin, zd, -np.inf), axis=1, kind="stable")
        if fam.map == "ksubsets":
            k = fam.k
            if int(nfin.min()) < k:
                continue
            top = np.zeros_like(zd)
            np.put_along_axis(top, order[:, :k], 1.0, axis=1)
            low = np.zeros_like(zd)
            for r in range(zd.shape[0]):
                low[r, order[r, nfin[r] - k: nfin[r]]] = 1.0
            add(base, "top-k", "; target: the top-k structure", top)
            add(base, "low-k", "; target: the lowest-k structure", low)
            add(base, "mixed", "; target: half top-k, half low-k", 0.5 * (top + low))
            continue
        rows = np.arange(zd.shape[0])
        Y = np.zeros_like(zd)
        Y[rows, order[:, 0]] = 1.0
        add(base, "max", "; target: the first maximum", Y)
        if int(nfin.min()) > 1:
            Y2 = np.zeros_like(zd)
            Y2[rows, order[rows, nfin - 1]] = 1.0
            add(base, "min", "; target: the smallest finite score", Y2)
            if fam.target == "distribution" and base.batch_shape is None and \
                    zd.shape[0] < 64:
                Y3 = S.dyadic_distribution(zd.shape, 7, allowed=fin)
                add(base, "spread", "; target: a dense distribution", Y3)
    eps = float(S.finfo(dtype).eps)
    if fam.map == "ksubsets":
        for G in S.gaps(dtype):
            for side, sign in ((+1, "+"), (-1, "-")):
                z = S.topk_margin_rows(fam.k, G, side, dtype)
                order = np.argsort(-z, axis=1, kind="stable")
                top = np.zeros_like(z)
                np.put_along_axis(top, order[:, : fam.k], 1.0, axis=1)
                out.append(Raw(f"topk_margin{sign}{G}eps",
                               f"structured margin 1 {sign} {G} eps; target: the top-k", z,
                               frozenset({"margin"}), {"y": top}))
        return out
    for G in S.gaps(dtype):
        for side, sign in ((+1, "+"), (-1, "-")):
            rows = []
            for base in (0.0, 3.0 * m):
                gap = m + side * G * eps * (abs(base) + m)
                rows.append([base, base - gap, base - 3 * m, base - 4 * m, base - 2 * m])
            z = np.array(rows)
            Y = np.zeros_like(z)
            Y[:, 0] = 1.0
            where = "above" if side > 0 else "below"
            out.append(Raw(f"margin{sign}{G}eps",
                           f"gap to the runner-up {G} eps {where} the margin; target: the "
                           "maximum (loss 0 iff gap >= margin)", z, frozenset({"margin"}),
                           {"y": Y}))
    if fam.target == "distribution":
        z = np.array([[0.5, -np.inf, 0.25, 0.0]]) * m
        Y = np.array([[0.5, 0.25, 0.25, 0.0]])
        out.append(Raw("target_on_mask", "target puts mass on a -inf score: loss +inf", z,
                       frozenset({"mask"}), {"y": Y}))
    return out


def _jvp_raws(fam, dtype):
    out = []
    for i, r in enumerate(_score_raws(fam, dtype)):
        near = ("threshold" in r.tags or "margin" in r.tags) and not r.name.endswith(
            f"{S.gaps(dtype)[0]}eps")
        if not (r.name in _JVP_BASES or near):
            continue
        r.extra = dict(r.extra, v=S.dyadic_normal(r.z.shape, 100 + i))
        out.append(r)
    return out


# ---- rounding, defects, ranges ------------------------------------------------------------
def _overflow_class(Z: np.ndarray, prec: O.Precision) -> bool:
    """True when a difference ``z_i - max z`` of finite scores exceeds the compute
    dtype's largest number (a plain formula must overflow there)."""
    big = float(S.finfo(prec.compute).max)
    with np.errstate(all="ignore"):
        fin = np.isfinite(Z)
        if not fin.any():
            return False
        m = np.max(np.where(fin, Z, -np.inf), axis=1, keepdims=True)
        D = np.abs(np.where(fin, Z, m) - m)
        return bool((D > big).any())


def _round_inputs(fam, prec, raw: Raw):
    """Round the scores (and bounds); return (inputs, Z64, U64, skip reason, tags)."""
    dtype = S.as_dtype(prec.input)
    zd = S._cast(raw.z, dtype)
    inputs = {"z": zd}
    skip = None
    if S._overflowed(raw.z, zd):
        skip = f"not representable in {dtype.name}"
    Z = zd.astype(np.float64)
    U = None
    if fam.map == "constrained_sparsemax":
        U = raw.extra.get("upper")
        if U is None:
            U = S.default_upper(Z)
        Ud = S._cast(U, dtype)
        U = Ud.astype(np.float64)
        inputs["upper"] = Ud
    if skip is None and fam.map == "ksubsets":
        n_unmasked = int(np.isfinite(Z).sum(axis=1).min())
        if fam.k > n_unmasked:
            skip = f"k = {fam.k} exceeds the {n_unmasked} unmasked entries of a row"
    tags = raw.tags
    if _overflow_class(Z, prec):
        tags = tags | {"overflow"}
    return inputs, Z, U, skip, tags


def reference_defect(fam, P, U=None) -> str | None:
    """A reason when the exact path's answer ``P`` fails its own feasibility check
    (nonnegative, below the bounds, rows summing to T within K eps64 T); such a case
    is not judged (a library defect, to be reported), never compared against."""
    T = fam.total
    K = O.K_for(P.shape[1])
    sums = np.array([math.fsum(r) for r in P])
    err = np.abs(sums - T)
    bad = err > K * float(np.finfo(np.float64).eps) * T
    if (P < 0).any():
        return "the reference has negative entries (library defect; case not judged)"
    if U is not None and (P > U).any():
        return "the reference exceeds its upper bounds (library defect; case not judged)"
    if bad.any():
        r = int(np.argmax(err))
        return (f"the reference (the library's exact path) fails its own sum check: row {r} "
                f"sums to {float(sums[r])!r} (library defect; case not judged)")
    return None


def to_dtype_range(E, tol, dtype):
    """Values beyond the dtype's largest finite number round to +-inf there: that is
    the answer a backend in ``dtype`` must give (exactly)."""
    big = float(S.finfo(dtype).max)
    with np.errstate(all="ignore"):
        over = np.isfinite(E) & (np.abs(E) > big)
        if over.any():
            E = np.where(over, np.copysign(np.inf, E), E)
            tol = np.where(over, 0.0, tol)
    return E, tol


def _case(raw, inputs, tags):
    return S.Case(raw.name, raw.note, inputs, tags, raw.batch_shape, raw.layout)


def _skipped(raw, inputs, tags, reason):
    return O.Prepared(_case(raw, inputs, tags), (), np.empty(0), np.empty(0), skip=reason)


def _map_refs(fam, Zs, Us):
    if fam.map == "constrained_sparsemax":
        return grouped(lambda Z, U: O.reference_map(fam, Z, U), Zs, Us)
    return grouped(lambda Z: O.reference_map(fam, Z), Zs)


def _finish(prec, E, tol, hard):
    """Add the output's rounding, zero the hard entries, map overflowing values to
    +-inf in the output dtype."""
    tol = np.where(hard, 0.0, tol + prec.output_rounding(E)) if hard is not None else \
        tol + prec.output_rounding(E)
    return to_dtype_range(E, tol, S.as_dtype(prec.output))


# ---- answers and tolerances, per kind -------------------------------------------------------
def _prepare_map(fam, prec, raws):
    eps, tiny = prec.eps, prec.tiny
    rounded = [_round_inputs(fam, prec, r) for r in raws]
    Zs = [ro[1] if not ro[3] else None for ro in rounded]
    Ps = _map_refs(fam, Zs, [ro[2] for ro in rounded])
    out = []
    for raw, (inputs, Z, U, skip, tags), P in zip(raws, rounded, Ps, strict=True):
        skip = skip or reference_defect(fam, P, U)
        if skip:
            out.append(_skipped(raw, inputs, tags, skip))
            continue
        mt = O.map_tolerance(fam, Z, P, U, eps, tiny)
        E, tol = _finish(prec, P, mt.tol, mt.hard_zero)
        T = np.full(Z.shape[0], fam.total)
        args = tuple(inputs[a] for a in fam.argnames())
        out.append(O.Prepared(_case(raw, inputs, tags), args, E, tol, mt.hard_zero,
                              mt.zone, T, O.consistent_sum_tol(E, tol, T)))
    return out


def _prepare_loss(fam, prec, raws):
    eps, tiny = prec.eps, prec.tiny
    dtype = S.as_dtype(prec.input)
    reg = fam.regularizer()
    rounded = []
    for raw in raws:
        inputs, Z, U, skip, tags = _round_inputs(fam, prec, raw)
        Y = raw.extra["y"]
        Yd = S._cast(Y, dtype)
        if fam.target == "index":
            inputs["target"] = np.argmax(Y, axis=1).astype(np.int64)
            Y64 = np.zeros_like(Z)
            Y64[np.arange(Z.shape[0]), inputs["target"]] = 1.0
        else:
            inputs["y"] = Yd
            Y64 = Yd.astype(np.float64)
        rounded.append((inputs, Z, Y64, skip, tags))
    Zs = [ro[1] if not ro[3] else None for ro in rounded]
    Ys = [ro[2] for ro in rounded]
    Ps = _map_refs(fam, Zs, [None] * len(Zs))
    if fam.kind == "loss":
        Ls = grouped(lambda Z, Y: reg.loss(Z, Y), Zs, Ys)
    out = []
    for i, (raw, (inputs, Z, Y, skip, tags), P) in enumerate(zip(raws, rounded, Ps,
                                                                 strict=True)):
        skip = skip or reference_defect(fam, P)
        if skip:
            out.append(_skipped(raw, inputs, tags, skip))
            continue
        args = tuple(inputs[a] for a in fam.argnames())
        if fam.kind == "loss":
            L = Ls[i].reshape(Z.shape[0])
            if np.isnan(L).any():
                out.append(_skipped(raw, inputs, tags, "the reference loss is NaN "
                                    "(library defect; case not judged)"))
                continue
            tol = O.loss_tolerance(fam, Z, Y, P, L, eps, tiny)
            L, tol = _finish(prec, L, tol, None)
            out.append(O.Prepared(_case(raw, inputs, tags), args, L, tol))
            continue
        mt = O.map_tolerance(fam, Z, P, None, eps, tiny)
        K = O.K_for(Z.shape[1])
        E = P - Y
        hard = mt.hard_zero & (Y == 0)
        tol = mt.tol + K * eps * np.abs(E) + O.at_max(Z, K * eps * np.abs(E).sum(axis=1))
        E, tol = _finish(prec, E, tol, hard)
        T = np.zeros(Z.shape[0])
        out.append(O.Prepared(_case(raw, inputs, tags), args, E, tol, hard, mt.zone, T,
                              O.consistent_sum_tol(E, tol, T)))
    return out


def _prepare_jvp(fam, prec, raws):
    eps, tiny = prec.eps, prec.tiny
    dtype = S.as_dtype(prec.input)
    from .. import jacobians as J

    reg = fam.regularizer()
    rounded = []
    for raw in raws:
        inputs, Z, U, skip, tags = _round_inputs(fam, prec, raw)
        Vd = S._cast(raw.extra["v"], dtype)
        inputs["v" if fam.kind == "jvp" else "g"] = Vd
        rounded.append((inputs, Z, U, Vd.astype(np.float64), skip, tags))
    Zs = [ro[1] if not ro[4] else None for ro in rounded]
    Ps = _map_refs(fam, Zs, [ro[2] for ro in rounded])
    Vs = [ro[3] for ro in rounded]
    if reg is not None:
        Es = grouped(lambda Z, V: reg.jvp(Z, V), Zs, Vs)
    out = []
    eps64 = float(np.finfo(np.float64).eps)
    for i, (raw, (inputs, Z, U, V, skip, tags), P) in enumerate(zip(raws, rounded, Ps,
                                                                    strict=True)):
        skip = skip or reference_defect(fam, P, U)
        if skip:
            out.append(_skipped(raw, inputs, tags, skip))
            continue
        mt = O.map_tolerance(fam, Z, P, U, eps, tiny)
        jump = None
        if mt.zone.any():
            jump = O.jvp_zone_jump(fam, P, V, mt)
            if jump is None:
                out.append(_skipped(raw, inputs, tags,
                                    "support not determined at this precision (an entry "
                                    "in the rounding zone, where the Jacobian jumps)"))
                continue
        E = Es[i] if reg is not None else J.free_set_jvp((P > 0) & (P < U), V)
        if not np.isfinite(E).all():
            out.append(_skipped(raw, inputs, tags,
                                "the reference Jacobian product is not finite (library "
                                "defect; case not judged)"))
            continue
        tol, _ = O.jvp_tolerance(fam, Z, P, V, mt, eps, tiny, U)
        # the reference's own check, at float64 precision
        _, sum_tol64 = O.jvp_tolerance(fam, Z, P, V, mt, eps64, 0.0, U)
        ref_sum = np.abs([math.fsum(r) for r in E])
        if (ref_sum > sum_tol64).any():
            r = int(np.argmax(ref_sum - sum_tol64))
            out.append(_skipped(raw, inputs, tags,
                                f"the reference Jacobian product (the library's exact path) "
                                f"fails its own sum check: row {r} sums to "
                                f"{ref_sum[r]:.3g} (library defect; case not judged)"))
            continue
        if jump is not None:
            tol = tol + jump
        hard = mt.hard_zero
        E, tol = _finish(prec, E, tol, hard)
        T = np.zeros(Z.shape[0])
        args = tuple(inputs[a] for a in fam.argnames())
        out.append(O.Prepared(_case(raw, inputs, tags), args, E, tol, hard, None, T,
                              O.consistent_sum_tol(E, tol, T)))
    return out


#: kind -> (the suite's raw cases, answers and tolerances)
KINDS = {
    "map": (_map_raws, _prepare_map),
    "loss": (_loss_raws, _prepare_loss),
    "loss_grad": (_loss_raws, _prepare_loss),
    "jvp": (_jvp_raws, _prepare_jvp),
    "vjp": (_jvp_raws, _prepare_jvp),
}


def prepare(fam: O.Family, prec: O.Precision, raws: list) -> list:
    """Round ``raws`` to ``prec.input`` and attach answers and tolerances."""
    # floating-point warnings of the exact path (e.g. overflowing Jacobian weights at
    # large alpha) are not errors here: defects are detected and reported per case
    with np.errstate(all="ignore"):
        return KINDS[fam.kind][1](fam, prec, raws)


@functools.lru_cache(maxsize=128)
def build_suite(fam: O.Family, prec) -> tuple:
    """The prepared cases of ``fam`` (cached); ``prec`` a :class:`Precision` or an
    input dtype name."""
    if not isinstance(prec, O.Precision):
        prec = O.parse_precision(prec)
    dtype = S.as_dtype(prec.input)
    with np.errstate(all="ignore"):
        raws = KINDS[fam.kind][0](fam, dtype)
    return tuple(prepare(fam, prec, raws))
