"""``check_backend`` and ``assert_backend_matches``: run a backend on the suite."""

from __future__ import annotations

import math

import numpy as np

from . import _build as B
from . import _oracle as O
from . import _suite as S
from ._report import BackendReport, CaseResult

#: check_backend stops when the first this many cases all raised the same error.
FAIL_FAST = 5


def _backend_name(fn) -> str:
    mod = getattr(fn, "__module__", None)
    qn = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None)
    if qn is None:
        return type(fn).__name__
    return f"{mod}.{qn}" if mod and mod != "__main__" else qn


def _check_dtype(dtype) -> np.dtype:
    """Input dtype of the built-in suites: float64, float32, float16 or bfloat16."""
    return S.as_dtype(dtype)


def _fmt_exc(exc: BaseException) -> str:
    msg = str(exc).strip().splitlines()
    first = msg[0] if msg else ""
    if len(first) > 160:
        first = first[:157] + "..."
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def _row_sums(o: np.ndarray, minus=None) -> np.ndarray:
    """Correctly rounded row sums (minus ``minus[r]`` when given)."""
    if o.ndim != 2:
        return np.array([])
    if minus is None:
        return np.array([math.fsum(row) for row in o])
    return np.array([math.fsum([*row, -float(t)]) for row, t in zip(o, minus, strict=True)])


def _backend_shape(case, exp) -> tuple:
    """The shape the backend should return: the case's batch shape along the rows."""
    if case.batch_shape is None:
        return exp.shape
    return tuple(case.batch_shape[:-1]) + exp.shape[1:]


def compare(prep, out, *, support: bool, tol_scale: float = 1.0) -> CaseResult:
    """Compare a backend's output with a prepared case (never raises)."""
    case = prep.case
    res = CaseResult(case.name, case.note, case.shape, "pass", overflow=case.overflow)
    exp = prep.expected
    try:
        o = np.asarray(out)
    except Exception as exc:
        res.status = "fail"
        res.reasons.append(f"output not convertible to an array ({_fmt_exc(exc)})")
        return res
    if o.dtype.kind not in "fiub" and o.dtype.name != "bfloat16":
        res.status = "fail"
        res.reasons.append(f"returned dtype {o.dtype}, expected real floats")
        return res
    if o.shape != exp.shape:
        if o.shape == _backend_shape(case, exp) or (
                o.size == exp.size and np.squeeze(o).shape == np.squeeze(exp).shape):
            o = o.reshape(exp.shape)
        else:
            res.status = "fail"
            res.reasons.append(f"returned shape {o.shape}, expected "
                               f"{_backend_shape(case, exp)}")
            return res
    o = o.astype(np.float64)
    tol = prep.tol * tol_scale
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
            # sum_i o_i - T correctly rounded (a difference of rounded sums near 1
            # would carry half an ulp of 1)
            serr = np.abs(_row_sums(np.where(np.isfinite(o), o, np.nan), prep.sum_target))
        if np.isnan(serr).any():
            res.sum_err = float("nan")
        else:
            # the row worst relative to its own tolerance (rows differ in scale)
            with np.errstate(all="ignore"):
                rel = np.where(serr > 0, serr / np.maximum(prep.sum_tol, 1e-300), 0.0)
            r = int(np.argmax(rel))
            stol = prep.sum_tol * tol_scale
            res.sum_err = float(serr[r])
            res.sum_tol = float(stol[r])
            if serr[r] > stol[r]:
                res.reasons.append(
                    f"sum off by {serr[r]:.3g} in row {r} (tolerance {stol[r]:.3g})")
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


def _check_scale(tol_scale) -> float:
    try:
        t = float(tol_scale)
    except (TypeError, ValueError):
        raise TypeError(f"tol_scale must be a positive number; got {tol_scale!r}") from None
    if not (t > 0 and math.isfinite(t)):
        raise ValueError(f"tol_scale must be positive and finite; got {tol_scale!r}")
    return t


def _check_expected(expected_failures, suite) -> frozenset:
    if expected_failures is None:
        return frozenset()
    if isinstance(expected_failures, str):
        expected_failures = [expected_failures]
    try:
        wanted = frozenset(expected_failures)
    except TypeError:
        raise TypeError("expected_failures must be an iterable of case names; got "
                        f"{expected_failures!r}") from None
    names = {p.case.name for p in suite}
    unknown = sorted(wanted - names)
    if unknown:
        raise ValueError(f"expected_failures names unknown cases {unknown}; this family's "
                         f"cases are {sorted(names)}")
    return wanted


def run_prepared(fn, preps, *, support: bool, tol_scale: float = 1.0,
                 expected=frozenset(), judge_overflow: bool = False,
                 fail_fast: bool = True, call=None):
    """Run ``fn`` on prepared cases; returns (results, aborted message or None)."""
    results = []
    errors: list[str] | None = []  # the exceptions of the cases so far, while all raised
    aborted = None
    for prep in preps:
        case = prep.case
        if aborted is not None:
            results.append(CaseResult(case.name, case.note, case.shape, "notrun",
                                      ["not run: " + aborted], overflow=case.overflow))
            continue
        if prep.skip:
            results.append(CaseResult(case.name, case.note, case.shape, "skip",
                                      [prep.skip], overflow=case.overflow))
            continue
        args = call(prep) if call is not None else tuple(
            S.lay_out(a, case.batch_shape, case.layout) for a in prep.args)
        try:
            with np.errstate(all="ignore"):
                out = fn(*args)
        except Exception as exc:
            msg = _fmt_exc(exc)
            res = CaseResult(case.name, case.note, case.shape, "fail", [f"raised {msg}"],
                             exception=msg, overflow=case.overflow)
            if errors is not None:
                errors.append(msg)
        else:
            errors = None
            try:
                res = compare(prep, out, support=support, tol_scale=tol_scale)
            except Exception as exc:
                res = CaseResult(case.name, case.note, case.shape, "fail",
                                 [f"output could not be compared ({_fmt_exc(exc)})"],
                                 overflow=case.overflow)
        if res.status == "fail" and case.overflow and not judge_overflow:
            res.status = "ofail"
        if case.name in expected:
            res.status = {"fail": "xfail", "ofail": "xfail", "pass": "xpass"}[res.status]
        results.append(res)
        if fail_fast and errors is not None and len(errors) >= FAIL_FAST and \
                len(set(errors)) == 1:
            aborted = (f"the first {len(errors)} cases all raised {errors[0]}; stopped "
                       "there (fail_fast=False runs every case)")
    return results, aborted


def check_backend(fn, family: str, *, dtype=np.float64, compute_dtype=None,
                  output_dtype=None, cases=None, name: str | None = None,
                  tol_scale: float = 1.0, expected_failures=None,
                  judge_overflow: bool = False, fail_fast: bool = True,
                  **params) -> BackendReport:
    """Run ``fn`` on the adversarial case suite of ``family`` and compare it with the
    exact answers.

    Parameters
    ----------
    fn : callable
        The backend, taking and returning NumPy arrays along the last axis.  Its
        arguments depend on the family (one row per problem, in ``dtype``; most cases
        are 2-D, the ``attention_4d`` case is (B, H, L, L), and the ``strided_view``
        and ``transposed_view`` cases are not C-contiguous):

        ============================  ==============================================
        family                        call
        ============================  ==============================================
        map (``"softmax"``,           ``fn(z) -> p``, shape (rows, N)
        ``"sparsemax"``,
        ``"entmax"``, ``"normmax"``,
        ``"ksubsets"``)
        ``"constrained_sparsemax"``   ``fn(z, upper) -> p``
        ``"<map>_loss"``              ``fn(z, y) -> loss`` of shape (rows,); with
                                      ``target="index"``: ``fn(z, target)``,
                                      ``target`` int64 of shape (rows,)
        ``"<map>_loss_grad"``         the same arguments ``-> dL/dz``, (rows, N)
        ``"<map>_jvp"``               ``fn(z, v) -> J v``; constrained:
                                      ``fn(z, upper, v)``
        ``"<map>_vjp"``               ``fn(z, g) -> J^T g``
        ``"hopfield_step"``           ``fn(X, q) -> q_next``, X (N, D), q (B, D)
        ``"registered"``              ``fn(z) -> p``: the map of ``reg``, any
                                      regularizer of the registry onto the simplex
        ============================  ==============================================

    family : str
        One of the names above (see ``hfy_reference.testing.FAMILIES``).
    dtype : float64, float32, float16 or "bfloat16"
        The dtype of the arrays handed to ``fn`` (bfloat16 arrays are
        ``ml_dtypes.bfloat16``).  References are the exact answers for the rounded
        inputs.
    compute_dtype, output_dtype : dtype, optional
        The dtype ``fn`` computes in (its ``eps`` scales the tolerances) and the
        dtype of its output (one more rounding); both default to ``dtype``.  E.g.
        ``dtype="bfloat16", compute_dtype=np.float32``.
    cases : None, str, list of str or callable
        Run only these cases (names, or a predicate on :class:`Case`).
    name : str, optional
        The backend's name in the report.
    tol_scale : float
        Multiply every tolerance (per entry and per row sum) by this factor: > 1 to
        accept a backend less accurate than the model, < 1 to demand more.
    expected_failures : iterable of str, optional
        A baseline: these cases are expected to fail (status ``xfail``, not counted);
        if one passes it is reported as ``xpass`` (update the baseline).  Unknown
        names raise ``ValueError``.
    judge_overflow : bool
        Count failures in the *overflow class* (cases where ``z_i - max z`` exceeds
        the largest number of the compute dtype, so that a plain formula overflows)
        in the verdict.  By default they are shown apart and not counted.
    fail_fast : bool
        Stop when the first five cases all raise the same error (one message
        instead of the same traceback for every case).
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
        Only for a bad ``family``, parameter, dtype, ``tol_scale`` or baseline;
        whatever ``fn`` does (raise, return NaN, a wrong shape or type) is recorded
        as a failed case.
    """
    prec = O.parse_precision(dtype, compute_dtype, output_dtype)
    scale = _check_scale(tol_scale)
    if family == "hopfield_step":
        from . import _hopfield

        if not (prec.input == prec.compute == prec.output) or prec.input not in (
                "float64", "float32"):
            raise ValueError("hopfield_step is judged in float64 or float32 only "
                             f"(one dtype); got {prec.label}")
        fam, suite = _hopfield.suite(params, np.dtype(prec.input))
        support = False
        shown_params = fam.params
    elif family == "registered":
        from . import _registered

        if not (prec.input == prec.compute == prec.output) or prec.input not in (
                "float64", "float32"):
            raise ValueError("the registered family is judged in float64 or float32 only "
                             f"(one dtype); got {prec.label}")
        fam, suite = _registered.suite(params, np.dtype(prec.input))
        support = fam.sparse
        shown_params = fam.params
    else:
        fam = O.parse_family(family, params)
        suite = B.build_suite(fam, prec)
        support = fam.kind == "map" and fam.map != "softmax"
        shown_params = fam.params
    expected = _check_expected(expected_failures, suite)
    results, aborted = run_prepared(fn, _select(suite, cases), support=support,
                                    tol_scale=scale, expected=expected,
                                    judge_overflow=judge_overflow, fail_fast=fail_fast)
    return BackendReport(name or _backend_name(fn), family, shown_params, prec.label,
                         prec.eps, results, tol_scale=scale, aborted=aborted)


def assert_backend_matches(fn, family: str, **kwargs) -> BackendReport:
    """Like :func:`check_backend` (same arguments), but raise ``AssertionError``
    listing the failing cases, their reasons and their worst entries (index,
    expected, got, tolerance).  Returns the report when every case passes."""
    report = check_backend(fn, family, **kwargs)
    if not report.passed:
        raise AssertionError(report.failure_message())
    return report
