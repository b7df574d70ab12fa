"""``check_backend`` and ``assert_backend_matches``: run a backend on the suite."""

from __future__ import annotations

import math

import numpy as np

from . import _build as B
from . import _oracle as O
from ._report import BackendReport, CaseResult


def _backend_name(fn) -> str:
    mod = getattr(fn, "__module__", None)
    qn = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None)
    if qn is None:
        return type(fn).__name__
    return f"{mod}.{qn}" if mod and mod != "__main__" else qn


def _check_dtype(dtype) -> np.dtype:
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype must be np.float64 or np.float32; got {dtype!r}") from None
    if dt not in (np.dtype(np.float64), np.dtype(np.float32)):
        raise ValueError(f"dtype must be float64 or float32; got {dt}")
    return dt


def _fmt_exc(exc: BaseException) -> str:
    msg = str(exc).strip().splitlines()
    first = msg[0] if msg else ""
    if len(first) > 160:
        first = first[:157] + "..."
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def _row_sums(o: np.ndarray) -> np.ndarray:
    return np.array([math.fsum(row) for row in o]) if o.ndim == 2 else np.array([])


def compare(prep, out, *, support: bool) -> CaseResult:
    """Compare a backend's output with a prepared case (never raises)."""
    case = prep.case
    res = CaseResult(case.name, case.note, case.shape, "pass")
    exp = prep.expected
    try:
        o = np.asarray(out)
    except Exception as exc:
        res.status = "fail"
        res.reasons.append(f"output not convertible to an array ({_fmt_exc(exc)})")
        return res
    if o.dtype.kind not in "fiub":
        res.status = "fail"
        res.reasons.append(f"returned dtype {o.dtype}, expected real floats")
        return res
    if o.shape != exp.shape:
        if o.size == exp.size and np.squeeze(o).shape == np.squeeze(exp).shape:
            o = o.reshape(exp.shape)
        else:
            res.status = "fail"
            res.reasons.append(f"returned shape {o.shape}, expected {exp.shape}")
            return res
    o = o.astype(np.float64)
    tol = prep.tol
    with np.errstate(all="ignore"):
        fin_e = np.isfinite(exp)
        nan = np.isnan(o)
        bad_inf = np.isinf(o) & (o != exp)
        bad_inf |= ~fin_e & ~nan & (o != exp)
        res.nonfinite = int((nan | bad_inf).sum())
        both = fin_e & np.isfinite(o)
        err = np.where(both, np.abs(o - exp), 0.0)
        res.max_abs_err = float(err.max()) if err.size else 0.0
        nz = both & (exp != 0)
        rel = np.where(nz, err / np.where(nz, np.abs(exp), 1.0), 0.0)
        res.max_rel_err = float(rel.max()) if rel.size else 0.0
        ratio = np.where(err > 0, err / np.where(tol > 0, tol, 0.0), 0.0)
        ratio = np.where(nan | bad_inf, np.inf, ratio)
        res.worst_ratio = float(ratio.max()) if ratio.size else 0.0
        over = (err > tol) & both
    if res.nonfinite:
        kinds = []
        if nan.any():
            kinds.append(f"NaN in {int(nan.sum())} entries")
        if bad_inf.any():
            kinds.append(f"wrong infinity in {int(bad_inf.sum())} entries")
        res.reasons.append("produced " + " and ".join(kinds))
    if over.any():
        idx = np.unravel_index(int(np.argmax(np.where(over, ratio, -1.0))), exp.shape)
        res.reasons.append(
            f"{int(over.sum())} entries exceed the tolerance (worst {res.worst_ratio:.3g} x "
            f"tol at {tuple(int(i) for i in idx)}: expected {float(exp[idx])!r}, "
            f"got {float(o[idx])!r})")
    # support
    hard = np.zeros(exp.shape, dtype=bool)
    if prep.hard_zero is None:
        res.support_mismatches = res.hard_support_mismatches = None
    else:  # NaN entries are reported as such, not here
        hz = prep.hard_zero & ~nan
        extra_nz = hz & (o != 0)
        if support:
            mism = ((o != 0) != (exp != 0)) & fin_e & ~nan
            missing = (exp != 0) & (o == 0) & ~prep.zone & (np.abs(exp) > tol)
            hard = extra_nz | missing
        else:
            mism = extra_nz
            hard = extra_nz
        res.support_mismatches = int(mism.sum())
        res.hard_support_mismatches = int(hard.sum())
        if res.hard_support_mismatches:
            n_extra = int(extra_nz.sum())
            n_miss = res.hard_support_mismatches - n_extra
            parts = []
            if n_extra:
                parts.append(f"{n_extra} nonzero where the answer is exactly 0")
            if n_miss:
                parts.append(f"{n_miss} zero where the answer is nonzero")
            res.reasons.append("support mismatch: " + ", ".join(parts))
    # sums
    if prep.sum_target is not None and o.ndim == 2:
        with np.errstate(all="ignore"):
            s = _row_sums(np.where(np.isfinite(o), o, np.nan))
            serr = np.abs(s - prep.sum_target)
        if np.isnan(serr).any():
            res.sum_err = float("nan")
        else:
            # the row worst relative to its own tolerance (rows differ in scale)
            with np.errstate(all="ignore"):
                rel = np.where(serr > 0, serr / np.maximum(prep.sum_tol, 1e-300), 0.0)
            r = int(np.argmax(rel))
            res.sum_err = float(serr[r])
            res.sum_tol = float(prep.sum_tol[r])
            if serr[r] > prep.sum_tol[r]:
                res.reasons.append(
                    f"sum off by {serr[r]:.3g} in row {r} (tolerance {prep.sum_tol[r]:.3g})")
    # the worst entries, for the diff
    flagged = over | nan | bad_inf | hard
    if flagged.any():
        order = np.argsort(-np.where(flagged, ratio, -1.0), axis=None)[:8]
        for flat in order:
            idx = np.unravel_index(int(flat), exp.shape)
            if not flagged[idx]:
                break
            res.diff.append((tuple(int(i) for i in idx), float(exp[idx]), float(o[idx]),
                             float(tol[idx])))
    if res.reasons:
        res.status = "fail"
    return res


def _select(suite, cases):
    if cases is None:
        return list(suite)
    names = [p.case.name for p in suite]
    if callable(cases):
        return [p for p in suite if cases(p.case)]
    wanted = [cases] if isinstance(cases, str) else list(cases)
    unknown = [c for c in wanted if c not in names]
    if unknown:
        raise ValueError(f"unknown case names {unknown}; this family's cases are {names}")
    return [p for p in suite if p.case.name in wanted]


def check_backend(fn, family: str, *, dtype=np.float64, cases=None, name: str | None = None,
                  **params) -> BackendReport:
    """Run ``fn`` on the adversarial case suite of ``family`` and compare it with the
    exact answers.

    Parameters
    ----------
    fn : callable
        The backend, taking and returning NumPy arrays along the last axis.  Its
        arguments depend on the family (all 2-D, one row per problem, in ``dtype``):

        ==========================  ==============================================
        family                      call
        ==========================  ==============================================
        map (``"softmax"``,         ``fn(z) -> p``, shape (rows, N)
        ``"sparsemax"``,
        ``"entmax"``, ``"normmax"``,
        ``"ksubsets"``)
        ``"constrained_sparsemax"``  ``fn(z, upper) -> p``
        ``"<map>_loss"``            ``fn(z, y) -> loss`` of shape (rows,); with
                                    ``target="index"``: ``fn(z, target)``,
                                    ``target`` int64 of shape (rows,)
        ``"<map>_loss_grad"``       the same arguments ``-> dL/dz``, (rows, N)
        ``"<map>_jvp"``              ``fn(z, v) -> J v``; constrained:
                                    ``fn(z, upper, v)``
        ``"<map>_vjp"``              ``fn(z, g) -> J^T g``
        ``"hopfield_step"``         ``fn(X, q) -> q_next``, X (N, D), q (B, D)
        ``"registered"``            ``fn(z) -> p``: the map of ``reg``, any
                                    regularizer of the registry onto the simplex
        ==========================  ==============================================

    family : str
        One of the names above (see ``hfy_reference.testing.FAMILIES``).
    dtype : np.float64 or np.float32
        The dtype of the arrays handed to ``fn``; the tolerances scale with its
        epsilon.  References are the exact answers for the rounded inputs.
    cases : None, str, list of str or callable
        Run only these cases (names, or a predicate on :class:`Case`).
    name : str, optional
        The backend's name in the report.
    **params
        ``alpha`` (entmax, normmax: 1 < alpha < inf), ``k`` (ksubsets),
        ``target`` ("distribution" or "index", losses); for ``hopfield_step``:
        ``reg`` (a Regularizer or a name of ``REGULARIZERS``), ``beta``, ``post``;
        for ``registered``: ``reg`` (a registered Regularizer instance).

    Returns
    -------
    BackendReport
        Per case: errors, sum error, support mismatches, non-finite outputs, the
        exception if ``fn`` raised.  ``report.passed`` is the verdict.

    Raises
    ------
    ValueError, TypeError
        Only for a bad ``family``, parameter or ``dtype``; whatever ``fn`` does
        (raise, return NaN, a wrong shape or type) is recorded as a failed case.
    """
    dt = _check_dtype(dtype)
    if family == "hopfield_step":
        from . import _hopfield

        fam, suite = _hopfield.suite(params, dt)
        support = False
        shown_params = fam.params
    elif family == "registered":
        from . import _registered

        fam, suite = _registered.suite(params, dt)
        support = fam.sparse
        shown_params = fam.params
    else:
        fam = O.parse_family(family, params)
        suite = B.build_suite(fam, dt.str)
        support = fam.kind == "map" and fam.map != "softmax"
        shown_params = fam.params
    results = []
    for prep in _select(suite, cases):
        case = prep.case
        if prep.skip:
            results.append(CaseResult(case.name, case.note, case.shape, "skip",
                                      [prep.skip]))
            continue
        args = tuple(np.array(a, copy=True) for a in prep.args)
        try:
            with np.errstate(all="ignore"):
                out = fn(*args)
        except Exception as exc:
            res = CaseResult(case.name, case.note, case.shape, "fail",
                             [f"raised {_fmt_exc(exc)}"], exception=_fmt_exc(exc))
            results.append(res)
            continue
        try:
            res = compare(prep, out, support=support)
        except Exception as exc:
            res = CaseResult(case.name, case.note, case.shape, "fail",
                             [f"output could not be compared ({_fmt_exc(exc)})"])
        results.append(res)
    return BackendReport(name or _backend_name(fn), family, shown_params, dt.name,
                         float(np.finfo(dt).eps), results)


def assert_backend_matches(fn, family: str, *, dtype=np.float64, cases=None,
                           name: str | None = None, **params) -> BackendReport:
    """Like :func:`check_backend`, but raise ``AssertionError`` listing the failing
    cases, their reasons and their worst entries (index, expected, got, tolerance).
    Returns the report when every case passes."""
    report = check_backend(fn, family, dtype=dtype, cases=cases, name=name, **params)
    if not report.passed:
        raise AssertionError(report.failure_message())
    return report
