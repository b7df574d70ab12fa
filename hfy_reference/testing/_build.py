"""Assemble the case suite of a family: inputs, reference answers, tolerances.

Reference answers come from the library's exact path (:mod:`hfy_reference.maps`,
:mod:`hfy_reference.regularizers`), called once per distinct row length N on the
stacked rows of all cases of that length (each row is an independent problem, so
stacking does not change any answer; it only saves the kernels' per-call cost).
"""

from __future__ import annotations

import functools
import math

import numpy as np

from . import _oracle as O
from . import _suite as S

# generic score cases reused by the loss and Jacobian families
_LOSS_BASES = (
    "single_entry", "two_entries", "unit_scores", "dense_support", "sparse_support",
    "ties_at_max", "single_finite", "masked_mixed", "masked_negative", "huge_scale",
    "tiny_scale", "shift_exact_up", "shift_exact_down", "full_range",
    "batch_mixed_supports", "random_n1000", "n100000_sparse",
)
_JVP_BASES = (
    "single_entry", "two_entries", "unit_scores", "dense_support", "sparse_support",
    "ties_at_max", "ties_below_max", "single_finite", "masked_mixed", "masked_first_last",
    "huge_scale", "tiny_scale", "shift_exact_up", "batch_mixed_supports", "random_n100",
    "random_n1000", "n100000_wide",
)


def _eps_tiny(dtype):
    fi = np.finfo(dtype)
    return float(fi.eps), float(fi.tiny)


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
def _score_cases(fam: O.Family, dtype) -> list[tuple]:
    """(name, note, z64-unrounded, tags, extra) for the map's scores, in suite order."""
    m = fam.margin
    out: list[tuple] = [(n, note, z, tags, {}) for n, note, z, tags in S.generic_scores(m, dtype)]
    if fam.map == "softmax":
        out += [(n, note, z, tags, {}) for n, note, z, tags in S.softmax_extra(dtype)]
    elif fam.map in ("sparsemax", "entmax", "normmax"):
        tf = "normmax" if fam.map == "normmax" else "entmax"
        for G, side, z, cols in S.threshold_cases(tf, fam.smooth_alpha, m, dtype):
            sign, where = ("+", "above") if side > 0 else ("-", "below")
            out.append((f"threshold{sign}{G}eps",
                        f"one score {G} eps {where} the support threshold of supports of "
                        "sizes 1, 2, 3, 6 (size 1: the margin)", z,
                        frozenset({"threshold", "margin"}), {"cols": cols}))
    elif fam.map == "ksubsets":
        for G in S.GAPS:
            for side, sign in ((+1, "+"), (-1, "-")):
                z = S.topk_margin_rows(fam.k, G, side, dtype)
                out.append((f"topk_margin{sign}{G}eps",
                            f"z_(k) - z_(k+1) = 1 {sign} {G} eps", z,
                            frozenset({"margin"}), {}))
        out += _capped(S.capped_cases("ksubsets", fam.k, dtype))
    else:
        out += _capped(S.capped_cases("constrained", 1, dtype))
    return out


def _capped(raw):
    out = []
    for what, G, side, Z, U, cols in raw:
        sign, where = ("+", "above") if side > 0 else ("-", "below")
        reach = "its upper bound" if what == "cap" else "zero"
        out.append((f"{what}{sign}{G}eps",
                    f"one score {G} eps {where} the breakpoint where it reaches {reach}", Z,
                    frozenset({"threshold"}), {"upper": U, "cols": cols}))
    return out


def _round_inputs(fam, dtype, z, extra):
    """Round the scores (and bounds); return (inputs, Z64, U64, skip reason)."""
    zd = S._cast(z, dtype)
    inputs = {"z": zd}
    skip = None
    if S._overflowed(z, zd):
        skip = f"not representable in {np.dtype(dtype).name}"
    Z = zd.astype(np.float64)
    U = None
    if fam.map == "constrained_sparsemax":
        U = extra.get("upper")
        if U is None:
            U = S.default_upper(Z)
        Ud = S._cast(U, dtype)
        U = Ud.astype(np.float64)
        inputs["upper"] = Ud
    if skip is None and fam.map == "ksubsets":
        n_unmasked = int(np.isfinite(Z).sum(axis=1).min())
        if fam.k > n_unmasked:
            skip = f"k = {fam.k} exceeds the {n_unmasked} unmasked entries of a row"
    return inputs, Z, U, skip


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
    big = float(np.finfo(dtype).max)
    with np.errstate(all="ignore"):
        over = np.isfinite(E) & (np.abs(E) > big)
        if over.any():
            E = np.where(over, np.copysign(np.inf, E), E)
            tol = np.where(over, 0.0, tol)
    return E, tol


def _skipped(name, note, tags, inputs, reason):
    return O.Prepared(S.Case(name, note, inputs, tags), (), np.empty(0), np.empty(0),
                      skip=reason)


def _map_refs(fam, Zs, Us):
    if fam.map == "constrained_sparsemax":
        return grouped(lambda Z, U: O.reference_map(fam, Z, U), Zs, Us)
    return grouped(lambda Z: O.reference_map(fam, Z), Zs)


# ---- the suites --------------------------------------------------------------------------
def _map_suite(fam, dtype):
    eps, tiny = _eps_tiny(dtype)
    raw = []
    for name, note, z, tags, extra in _score_cases(fam, dtype):
        inputs, Z, U, skip = _round_inputs(fam, dtype, z, extra)
        raw.append((name, note, tags, inputs, Z, U, skip))
    Zs = [r[4] if not r[6] else None for r in raw]
    Us = [r[5] for r in raw]
    Ps = _map_refs(fam, Zs, Us)
    out = []
    for (name, note, tags, inputs, Z, U, skip), P in zip(raw, Ps, strict=True):
        skip = skip or reference_defect(fam, P, U)
        if skip:
            out.append(_skipped(name, note, tags, inputs, skip))
            continue
        mt = O.map_tolerance(fam, Z, P, U, eps, tiny)
        K = O.K_for(Z.shape[1])
        T = np.full(Z.shape[0], fam.total)
        args = tuple(inputs[a] for a in fam.argnames())
        out.append(O.Prepared(S.Case(name, note, inputs, tags), args, P, mt.tol,
                              mt.hard_zero, mt.zone, T, K * eps * T))
    return out


def _loss_inputs(fam, dtype):
    """(name, note, z64, tags, Y) for the loss families."""
    m = fam.margin
    gen = {n: (note, z, tags) for n, note, z, tags in S.generic_scores(m, dtype)}
    out = []
    for base in _LOSS_BASES:
        note, z, tags = gen[base]
        zd = S._cast(z, dtype).astype(np.float64)
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
            out.append((f"{base}/target=top-k", note + "; target: the top-k structure", z,
                        tags, top))
            out.append((f"{base}/target=low-k", note + "; target: the lowest-k structure",
                        z, tags, low))
            out.append((f"{base}/target=mixed", note + "; target: half top-k, half low-k",
                        z, tags, 0.5 * (top + low)))
            continue
        rows = np.arange(zd.shape[0])
        Y = np.zeros_like(zd)
        Y[rows, order[:, 0]] = 1.0
        out.append((f"{base}/target=max", note + "; target: the first maximum", z, tags, Y))
        if int(nfin.min()) > 1:
            Y2 = np.zeros_like(zd)
            Y2[rows, order[rows, nfin - 1]] = 1.0
            out.append((f"{base}/target=min", note + "; target: the smallest finite score",
                        z, tags, Y2))
            if fam.target == "distribution":
                Y3 = S.dyadic_distribution(zd.shape, 7, allowed=fin)
                out.append((f"{base}/target=spread", note + "; target: a dense distribution",
                            z, tags, Y3))
    eps = float(np.finfo(dtype).eps)
    if fam.map == "ksubsets":
        for G in S.GAPS:
            for side, sign in ((+1, "+"), (-1, "-")):
                z = S.topk_margin_rows(fam.k, G, side, dtype)
                order = np.argsort(-z, axis=1, kind="stable")
                top = np.zeros_like(z)
                np.put_along_axis(top, order[:, : fam.k], 1.0, axis=1)
                out.append((f"topk_margin{sign}{G}eps",
                            f"structured margin 1 {sign} {G} eps; target: the top-k", z,
                            frozenset({"margin"}), top))
        return out
    for G in S.GAPS:
        for side, sign in ((+1, "+"), (-1, "-")):
            rows = []
            for base in (0.0, 3.0 * m):
                gap = m + side * G * eps * (abs(base) + m)
                rows.append([base, base - gap, base - 3 * m, base - 4 * m, base - 2 * m])
            z = np.array(rows)
            Y = np.zeros_like(z)
            Y[:, 0] = 1.0
            where = "above" if side > 0 else "below"
            out.append((f"margin{sign}{G}eps",
                        f"gap to the runner-up {G} eps {where} the margin; target: the "
                        "maximum (loss 0 iff gap >= margin)", z, frozenset({"margin"}), Y))
    if fam.target == "distribution":
        z = np.array([[0.5, -np.inf, 0.25, 0.0]]) * m
        Y = np.array([[0.5, 0.25, 0.25, 0.0]])
        out.append(("target_on_mask", "target puts mass on a -inf score: loss +inf", z,
                    frozenset({"mask"}), Y))
    return out


def _loss_suite(fam, dtype):
    eps, tiny = _eps_tiny(dtype)
    reg = fam.regularizer()
    raw = []
    for name, note, z, tags, Y in _loss_inputs(fam, dtype):
        inputs, Z, U, skip = _round_inputs(fam, dtype, z, {})
        Yd = S._cast(Y, dtype)
        if fam.target == "index":
            inputs["target"] = np.argmax(Y, axis=1).astype(np.int64)
        else:
            inputs["y"] = Yd
        raw.append((name, note, tags, inputs, Z, Yd.astype(np.float64), skip))
    Zs = [r[4] if not r[6] else None for r in raw]
    Ys = [r[5] for r in raw]
    Ps = _map_refs(fam, Zs, [None] * len(Zs))
    if fam.kind == "loss":
        Ls = grouped(lambda Z, Y: reg.loss(Z, Y), Zs, Ys)
    out = []
    for i, ((name, note, tags, inputs, Z, Y, skip), P) in enumerate(zip(raw, Ps,
                                                                      strict=True)):
        skip = skip or reference_defect(fam, P)
        if skip:
            out.append(_skipped(name, note, tags, inputs, skip))
            continue
        args = tuple(inputs[a] for a in fam.argnames())
        if fam.kind == "loss":
            L = Ls[i].reshape(Z.shape[0])
            if np.isnan(L).any():
                out.append(_skipped(name, note, tags, inputs, "the reference loss is NaN "
                                    "(library defect; case not judged)"))
                continue
            tol = O.loss_tolerance(fam, Z, Y, P, L, eps, tiny)
            L, tol = to_dtype_range(L, tol, dtype)
            out.append(O.Prepared(S.Case(name, note, inputs, tags), args, L, tol))
            continue
        mt = O.map_tolerance(fam, Z, P, None, eps, tiny)
        K = O.K_for(Z.shape[1])
        E = P - Y
        hard = mt.hard_zero & (Y == 0)
        tol = np.where(hard, 0.0, mt.tol + K * eps * np.abs(E))
        sum_tol = K * eps * (fam.total + np.abs(E).sum(axis=1))
        out.append(O.Prepared(S.Case(name, note, inputs, tags), args, E, tol, hard, mt.zone,
                              np.zeros(Z.shape[0]), sum_tol))
    return out


def _jvp_suite(fam, dtype):
    eps, tiny = _eps_tiny(dtype)
    from .. import jacobians as J

    reg = fam.regularizer()
    raw = []
    for i, (name, note, z, tags, extra) in enumerate(_score_cases(fam, dtype)):
        near = ("threshold" in tags or "margin" in tags) and not name.endswith(
            f"{S.GAPS[0]}eps")
        if not (name in _JVP_BASES or near):
            continue
        inputs, Z, U, skip = _round_inputs(fam, dtype, z, extra)
        Vd = S._cast(S.dyadic_normal(Z.shape, 100 + i), dtype)
        inputs["v" if fam.kind == "jvp" else "g"] = Vd
        raw.append((name, note, tags, inputs, Z, U, Vd.astype(np.float64), skip))
    Zs = [r[4] if not r[7] else None for r in raw]
    Ps = _map_refs(fam, Zs, [r[5] for r in raw])
    Vs = [r[6] for r in raw]
    if reg is not None:
        Es = grouped(lambda Z, V: reg.jvp(Z, V), Zs, Vs)
    out = []
    for i, ((name, note, tags, inputs, Z, U, V, skip), P) in enumerate(zip(raw, Ps,
                                                                         strict=True)):
        skip = skip or reference_defect(fam, P, U)
        if skip:
            out.append(_skipped(name, note, tags, inputs, skip))
            continue
        mt = O.map_tolerance(fam, Z, P, U, eps, tiny)
        jump = None
        if mt.zone.any():
            jump = O.jvp_zone_jump(fam, P, V, mt)
            if jump is None:
                out.append(_skipped(name, note, tags, inputs,
                                    "support not determined at this precision (an entry "
                                    "in the rounding zone, where the Jacobian jumps)"))
                continue
        E = Es[i] if reg is not None else J.free_set_jvp((P > 0) & (P < U), V)
        if not np.isfinite(E).all():
            out.append(_skipped(name, note, tags, inputs,
                                "the reference Jacobian product is not finite (library "
                                "defect; case not judged)"))
            continue
        tol, sum_tol = O.jvp_tolerance(fam, Z, P, V, mt, eps, tiny, U)
        eps64 = float(np.finfo(np.float64).eps)
        if dtype != np.float64:  # the reference's own check, at float64 precision
            _, sum_tol64 = O.jvp_tolerance(fam, Z, P, V, mt, eps64, 0.0, U)
        else:
            sum_tol64 = sum_tol
        ref_sum = np.abs([math.fsum(r) for r in E])
        if (ref_sum > sum_tol64).any():
            r = int(np.argmax(ref_sum - sum_tol64))
            out.append(_skipped(name, note, tags, inputs,
                                f"the reference Jacobian product (the library's exact path) "
                                f"fails its own sum check: row {r} sums to "
                                f"{ref_sum[r]:.3g} (library defect; case not judged)"))
            continue
        if jump is not None:
            tol = tol + jump
        hard = mt.hard_zero
        tol = np.where(hard, 0.0, tol)
        E, tol = to_dtype_range(E, tol, dtype)
        args = tuple(inputs[a] for a in fam.argnames())
        out.append(O.Prepared(S.Case(name, note, inputs, tags), args, E, tol, hard, None,
                              np.zeros(Z.shape[0]), sum_tol))
    return out


@functools.lru_cache(maxsize=128)
def build_suite(fam: O.Family, dtype_str: str) -> tuple:
    """The prepared cases of ``fam`` for a dtype (cached)."""
    dtype = np.dtype(dtype_str)
    # floating-point warnings of the exact path (e.g. overflowing Jacobian weights at
    # large alpha) are not errors here: defects are detected and reported per case
    with np.errstate(all="ignore"):
        if fam.kind == "map":
            return tuple(_map_suite(fam, dtype))
        if fam.kind in ("loss", "loss_grad"):
            return tuple(_loss_suite(fam, dtype))
        return tuple(_jvp_suite(fam, dtype))
