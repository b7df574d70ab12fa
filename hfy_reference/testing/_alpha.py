r"""The oracle for learnable α: per-row α, ∂p/∂α and its VJP, and dense entmax (α < 1).

:func:`check_alpha_backend` runs a backend on a suite of its own and compares it with
the library (``hfy_reference.entmax`` / ``normmax`` with an array ``alpha``,
``entmax_dalpha`` / ``normmax_dalpha``).  Families and the call each expects (arrays
in the dtype under test, one problem per row, along the last axis; ``alpha`` of shape
(rows, 1), the ``keepdim`` layout of PyTorch's ``entmax_bisect``)::

    "entmax_rows", "normmax_rows"        fn(z, alpha) -> p                 (rows, N)
    "entmax_dalpha", "normmax_dalpha"    fn(z, alpha) -> dp/dalpha         (rows, N)
    "entmax_alpha_vjp",                  fn(z, alpha, g) -> sum_i g_i dp_i/dalpha,
    "normmax_alpha_vjp"                  shape (rows,) (what autograd gives for alpha)

``alpha`` (the keyword) sets the α of most rows; cases add rows with other α (a
spread, ``alpha`` close to 1, ...).  ``entmax`` families take ``alpha`` in (0, 1) too
(dense maps).

Tolerances follow the oracle's error model (backward stability in the dtype, see
:mod:`hfy_reference.testing`): for the per-row maps with ``alpha > 1`` they *are* the
oracle's map tolerances (computed row group by row group with that α); for dense
entmax, ``K eps |p| + (|J| K eps |z - max z|)_i + tiny`` with the dense Jacobian
``J = diag(g) - g g^T / sum g``, ``g = p^(2-alpha)``, and no exact zeros but the masks.
For ``dp/dalpha`` the first-order effect of the perturbation is not in closed form;
it is *measured* on the exact derivative: the largest change of ``dp/dalpha`` over
the four perturbed inputs ``z - max z`` scaled by ``1 +- K eps`` and ``alpha``
scaled by ``1 +- K eps``, and over four relative perturbations of ``p`` by ``K eps``
with random signs pushed through the exact formula of ``dp/dalpha`` as a function of
``p`` (a backend computes the derivative from its own forward output), doubled, plus
``K eps (|dp/dalpha| + max_row |dp/dalpha|)`` and ``tiny``.  Where the support
changes within the perturbation (``alpha >= 2``, where the derivative jumps) the
measured change covers the jump.  The VJP's tolerance
is ``sum_i |g_i| tol_i + K eps sum_i |g_i dp_i/dalpha|``.
"""

from __future__ import annotations

import math

import numpy as np

from . import _oracle as O
from ._harness import _backend_name, _check_dtype, _fmt_exc, compare
from ._report import BackendReport, CaseResult
from ._suite import Case

ALPHA_FAMILIES = ("entmax_rows", "normmax_rows", "entmax_dalpha", "normmax_dalpha",
                  "entmax_alpha_vjp", "normmax_alpha_vjp")


def _parse(family: str, alpha) -> tuple[str, str, float]:
    if not isinstance(family, str) or family not in ALPHA_FAMILIES:
        raise ValueError(f"unknown family {family!r}; choose one of: "
                         f"{', '.join(ALPHA_FAMILIES)}")
    mp, _, kind = family.partition("_")
    if alpha is None:
        raise ValueError(f"family {family!r} needs alpha=...")
    a = float(alpha)
    lo = 0.0 if mp == "entmax" else 1.0
    if not (a > lo and np.isfinite(a)) or a == 1.0:
        rng = "0 < alpha < inf, alpha != 1" if mp == "entmax" else "1 < alpha < inf"
        raise ValueError(f"alpha must satisfy {rng}; got {alpha!r}")
    return mp, kind, a


def _suite(mp: str, a: float, dt: np.dtype) -> list[tuple[Case, np.ndarray]]:
    """``[(case, alpha per row)]``: inputs rounded to ``dt``, α rounded to ``dt``."""
    rng = np.random.default_rng(18)
    out = []

    def add(name, note, Z, A, tags=()):
        Z = np.asarray(Z, dtype=dt)
        A = np.asarray(A, dtype=dt).reshape(-1, 1)
        out.append((Case(name, note, {"z": Z, "alpha": A}, frozenset(tags)), A))

    rows = 24
    add("random", "N(0, 1) scores, one alpha", rng.standard_normal((rows, 12)),
        np.full(rows, a))
    sc = np.array([1e-3, 1e-1, 1.0, 10.0, 100.0])
    Z = rng.standard_normal((len(sc) * 4, 10)) * np.repeat(sc, 4)[:, None]
    add("scales", "scores of scale 1e-3 ... 1e2", Z, np.full(len(Z), a), ("scale",))
    Z = rng.standard_normal((rows, 9))
    Z[rng.random(Z.shape) < 0.3] = -np.inf
    Z[:, 0] = rng.standard_normal(rows)
    Z[0, 1:] = -np.inf  # a single finite entry
    add("masks", "-inf masks, one row with a single finite entry", Z, np.full(rows, a),
        ("mask",))
    Z = np.round(rng.standard_normal((rows, 8)) * 2) / 2
    add("ties", "exact ties (scores on a grid of 1/2)", Z, np.full(rows, a), ("ties",))
    Z = rng.standard_normal((rows, 12)) + 1e4
    add("shift", "scores shifted by 1e4", Z, np.full(rows, a), ("shift",))
    if mp == "entmax":
        spread = ([0.3, 0.7, 0.95, a, 1.05, 1.3, 1.5, 2.0, 3.0] if a < 1
                  else [1.05, 1.2, a, 1.5, 2.0, 2.5, 4.0])
        near1 = [1 + 1e-3, 1 + 1e-2, 1 - 1e-3, 1 - 1e-2] if a < 1 else [1 + 1e-3, 1 + 1e-2]
    else:
        spread = [1.1, 1.5, a, 2.0, 3.0, 5.0, 10.0]
        near1 = [1.01, 1.05]
    A = np.resize(np.array(spread), 36)
    add("per-row", "one alpha per row, spread " + ", ".join(f"{x:g}" for x in spread),
        rng.standard_normal((36, 12)), A, ("batch",))
    add("near-one", "alpha within 1e-2 of 1 on some rows",
        rng.standard_normal((12, 10)), np.resize(np.array(near1 + [a]), 12), ("batch",))
    add("wide", "N = 1000", rng.standard_normal((4, 1000)), np.full(4, a), ("large",))
    return out


def _exact(mp: str, Z: np.ndarray, A: np.ndarray):
    import hfy_reference as H

    with np.errstate(all="ignore"):
        if mp == "entmax":
            return H.entmax(Z, A[:, 0]), H.entmax_dalpha(Z, A[:, 0])
        return H.normmax(Z, A[:, 0]), H.normmax_dalpha(Z, A[:, 0])


def _dense_tol(Z, P, A, eps, tiny):
    K = O.K_for(Z.shape[1])
    fin, D, W = O._shifted(Z)
    Delta = np.where(fin, K * eps * W, 0.0)
    with np.errstate(all="ignore"):
        g = np.where(P > 0, P ** (2.0 - A), 0.0)
    c = O._weighted_abs_jac(g, Delta)
    return np.where(fin, K * eps * np.abs(P) + c + tiny, 0.0), ~fin


def _map_prep(mp, case, Z, A, eps, tiny):
    P, _ = _exact(mp, Z, A)
    tol = np.zeros_like(P)
    hard = np.zeros(P.shape, dtype=bool)
    zone = np.zeros(P.shape, dtype=bool)
    for a in np.unique(A[:, 0]):
        r = A[:, 0] == a
        if a < 1.0:
            t, h = _dense_tol(Z[r], P[r], a, eps, tiny)
            tol[r], hard[r] = t, h
            continue
        if a == 1.0:
            fam = O.Family("softmax", "map")
        else:
            fam = O.Family(mp, "map", alpha=float(a))
        mt = O.map_tolerance(fam, Z[r], P[r], None, eps, tiny)
        tol[r], hard[r], zone[r] = mt.tol, mt.hard_zero, mt.zone
    K = O.K_for(Z.shape[1])
    return O.Prepared(case, (Z, A), P, tol, hard, zone, np.ones(len(P)),
                      np.full(len(P), K * eps))


def _dalpha_tol(mp, Z, A, D, eps, tiny):
    """The measured first-order effect of the backward-error perturbation (module doc)."""
    K = O.K_for(Z.shape[1])
    fin = np.isfinite(Z)
    m = np.max(np.where(fin, Z, -np.inf), axis=1, keepdims=True)
    S = np.where(fin, Z - m, -np.inf)
    worst = np.zeros_like(D)
    for fz, fa in ((1 + K * eps, 1.0), (1 - K * eps, 1.0), (1.0, 1 + K * eps),
                   (1.0, 1 - K * eps)):
        Ap = A * fa
        if mp == "normmax":
            Ap = np.maximum(Ap, 1.0)
        _, Dp = _exact(mp, np.where(fin, S * fz, -np.inf), Ap)
        worst = np.maximum(worst, np.abs(Dp - D))
    # computing dp/dalpha from an output p that is itself K eps accurate: the change
    # of the exact formula (the library's kernel, a function of p) under relative
    # perturbations of p by K eps with random signs
    from .._kernels import alpha as ka

    P, _ = _exact(mp, Z, A)
    rng = np.random.default_rng(7)
    Af = np.ascontiguousarray(A[:, 0], dtype=np.float64)
    for _ in range(4):
        Pp = np.ascontiguousarray(P * (1.0 + K * eps * rng.choice([-1.0, 1.0], P.shape)))
        with np.errstate(all="ignore"):
            ka.dalpha_rows_serial(Pp, Af, Pp, mp == "normmax")
        worst = np.maximum(worst, np.abs(Pp - D))
    rowmax = np.max(np.abs(D), axis=1, keepdims=True)
    return 2.0 * worst + K * eps * (np.abs(D) + rowmax) + tiny


def _prepare(mp, kind, case, A, dt, g=None):
    eps = float(np.finfo(dt).eps)
    tiny = float(np.finfo(dt).tiny)
    Z = case.inputs["z"].astype(np.float64)
    A64 = A.astype(np.float64)
    if kind == "rows":
        return _map_prep(mp, case, Z, A64, eps, tiny)
    _, D = _exact(mp, Z, A64)
    tol = _dalpha_tol(mp, Z, A64, D, eps, tiny)
    if kind == "dalpha":
        return O.Prepared(case, (case.inputs["z"], A), D, tol)
    G = g.astype(np.float64)
    ref = np.array([math.fsum(x) for x in G * D])
    K = O.K_for(Z.shape[1])
    vt = np.sum(np.abs(G) * tol, axis=1) + K * eps * np.sum(np.abs(G * D), axis=1) + tiny
    return O.Prepared(case, (case.inputs["z"], A, g), ref, vt)


def check_alpha_backend(fn, family: str, *, alpha=None, dtype=np.float64, cases=None,
                        name: str | None = None) -> BackendReport:
    """Run ``fn`` on the learnable-α suite of ``family`` (see the module docstring for
    the calls) and compare it with the library's exact answers.

    Parameters
    ----------
    fn : callable
    family : str
        One of :data:`ALPHA_FAMILIES`.
    alpha : float
        The α of most rows (entmax: ``0 < alpha``, ``!= 1``; normmax: ``> 1``).
    dtype : np.float64 or np.float32
    cases : None, str or list of str
        Only these case names.
    name : str, optional

    Returns
    -------
    BackendReport
        As :func:`~hfy_reference.testing.check_backend`; whatever ``fn`` does is
        recorded as a failed case, never raised.
    """
    dt = _check_dtype(dtype)
    mp, kind, a = _parse(family, alpha)
    suite = _suite(mp, a, dt)
    if cases is not None:
        wanted = [cases] if isinstance(cases, str) else list(cases)
        names = [c.name for c, _ in suite]
        unknown = [c for c in wanted if c not in names]
        if unknown:
            raise ValueError(f"unknown case names {unknown}; this family's cases are {names}")
        suite = [(c, A) for c, A in suite if c.name in wanted]
    rng = np.random.default_rng(1818)
    results = []
    for case, A in suite:
        g = None
        if kind == "alpha_vjp":
            g = rng.standard_normal(case.inputs["z"].shape).astype(dt)
            case = Case(case.name, case.note, {**case.inputs, "g": g}, case.tags)
        try:
            prep = _prepare(mp, kind, case, A, dt, g)
        except Exception as exc:  # pragma: no cover - a bug of the oracle itself
            results.append(CaseResult(case.name, case.note, case.shape, "skip",
                                      [f"reference failed ({_fmt_exc(exc)})"]))
            continue
        args = tuple(np.array(x, copy=True) for x in prep.args)
        try:
            with np.errstate(all="ignore"):
                out = fn(*args)
        except Exception as exc:
            results.append(CaseResult(case.name, case.note, case.shape, "fail",
                                      [f"raised {_fmt_exc(exc)}"], exception=_fmt_exc(exc)))
            continue
        try:
            res = compare(prep, out, support=kind == "rows")
        except Exception as exc:
            res = CaseResult(case.name, case.note, case.shape, "fail",
                             [f"output could not be compared ({_fmt_exc(exc)})"])
        results.append(res)
    return BackendReport(name or _backend_name(fn), family, {"alpha": a}, dt.name,
                         float(np.finfo(dt).eps), results)


def assert_alpha_backend_matches(fn, family: str, **kw) -> BackendReport:
    """:func:`check_alpha_backend`, raising ``AssertionError`` with the diff when a case
    fails."""
    rep = check_alpha_backend(fn, family, **kw)
    if not rep.passed:
        raise AssertionError(rep.failure_message())
    return rep


# ---- the PyPI entmax package ------------------------------------------------------------------
def pypi_backends(entmax_alphas=(0.5, 0.9, 1.001, 1.01, 1.5, 2.0, 3.0, 10.0),
                  normmax_alphas=(1.5, 2.0, 5.0)):
    """``[(label, family, alpha, fn)]`` for ``entmax_bisect`` / ``normmax_bisect`` of the
    PyPI ``entmax`` package: per-row α maps and the α-gradient through autograd (the
    package's own backward).  Imports torch and entmax when called."""
    import torch
    from entmax import entmax_bisect, normmax_bisect

    def rows_fn(f):
        def run(z, alpha):
            with torch.no_grad():
                return f(torch.from_numpy(z), torch.from_numpy(alpha), dim=-1).numpy()
        return run

    def vjp_fn(f):
        def run(z, alpha, g):
            A = torch.from_numpy(alpha).clone().requires_grad_(True)
            P = f(torch.from_numpy(z), A, dim=-1)
            (gA,) = torch.autograd.grad(P, A, grad_outputs=torch.from_numpy(g))
            return gA.detach().numpy()[:, 0]
        return run

    out = []
    for a in entmax_alphas:
        out.append((f"entmax_bisect(alpha={a:g}, per row)", "entmax_rows", a,
                    rows_fn(entmax_bisect)))
        out.append((f"entmax_bisect alpha-grad(alpha={a:g})", "entmax_alpha_vjp", a,
                    vjp_fn(entmax_bisect)))
    for a in normmax_alphas:
        out.append((f"normmax_bisect(alpha={a:g}, per row)", "normmax_rows", a,
                    rows_fn(normmax_bisect)))
    return out


def pypi_run(dtypes=(np.float64, np.float32), **kw) -> list[tuple]:
    """``[(label, dtype name, report)]`` for every PyPI backend and dtype."""
    import torch

    torch.set_num_threads(1)
    out = []
    for label, fam, a, fn in pypi_backends(**kw):
        for dt in dtypes:
            out.append((label, np.dtype(dt).name,
                        check_alpha_backend(fn, fam, alpha=a, dtype=dt, name=label)))
    return out


def main() -> None:  # pragma: no cover - documentation helper
    import entmax
    import torch

    from ._entmax_pypi import markdown

    print(f"torch {torch.__version__}, entmax {entmax.__version__}\n")
    print(markdown(pypi_run()))


if __name__ == "__main__":  # pragma: no cover
    main()
