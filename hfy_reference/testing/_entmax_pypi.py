"""The PyPI ``entmax`` package (torch) as backends of the oracle.

Used by ``python -m hfy_reference.testing findings`` (``docs/findings.md``, see
:mod:`._findings`)::

    python -m hfy_reference.testing findings --only entmax   # prints the page

Each backend is :func:`~hfy_reference.testing.from_torch` of the package's function:
``torch.from_numpy`` in, ``.numpy()`` out; gradients and VJPs go through
``torch.autograd`` (the package's own backward).
Imports torch and entmax only when called.
"""

from __future__ import annotations

import numpy as np

ENTMAX_ALPHAS = (1.001, 1.01, 1.5, 2.0, 10.0, 30.0, 100.0)
NORMMAX_ALPHAS = (1.1, 1.5, 2.0, 5.0, 10.0, 100.0)


def backends(entmax_alphas=ENTMAX_ALPHAS, normmax_alphas=NORMMAX_ALPHAS) -> list[tuple]:
    """``[(label, family, params, fn)]`` for the package's maps, losses (index
    targets), loss gradients and VJPs."""
    import entmax as E

    from ._adapters import from_torch

    out = []

    def add(label, fam, params, fwd, loss=None, **kw):
        out.append((label, fam, params, from_torch(fwd, fam, **kw)))
        if loss is not None:
            out.append((label.replace("(", "_loss("), f"{fam}_loss",
                        {**params, "target": "index"}, from_torch(loss, f"{fam}_loss", **kw)))
            out.append((label.replace("(", "_loss grad("), f"{fam}_loss_grad",
                        {**params, "target": "index"},
                        from_torch(loss, f"{fam}_loss_grad", **kw)))
        out.append((label.replace("(", " vjp("), f"{fam}_vjp", params,
                    from_torch(fwd, f"{fam}_vjp", **kw)))

    add("sparsemax()", "sparsemax", {}, E.sparsemax, E.sparsemax_loss)
    add("entmax15()", "entmax", {"alpha": 1.5}, E.entmax15, E.entmax15_loss)
    for a in entmax_alphas:
        add(f"entmax_bisect(alpha={a:g})", "entmax", {"alpha": a}, E.entmax_bisect,
            E.entmax_bisect_loss, alpha=a)
    for a in normmax_alphas:
        add(f"normmax_bisect(alpha={a:g})", "normmax", {"alpha": a}, E.normmax_bisect,
            E.normmax_bisect_loss, alpha=a)
    out.append(("budget_bisect(budget=2)", "ksubsets", {"k": 2},
                from_torch(E.budget_bisect, "ksubsets", budget=2)))
    return out


def run(dtypes=(np.float64, np.float32), labels=None, **kw) -> list[tuple]:
    """``[(label, dtype name, report)]`` for every backend (or those in ``labels``)
    and dtype.  torch runs on one thread (as measured for the README; two threads on
    a loaded two-core machine are many times slower)."""
    import torch

    from . import check_backend

    torch.set_num_threads(1)
    out = []
    for label, family, params, fn in backends(**kw):
        if labels is not None and label not in labels:
            continue
        for dt in dtypes:
            rep = check_backend(fn, family, dtype=dt, name=label, **params)
            out.append((label, np.dtype(dt).name, rep))
    return out


def _cell(rep, limit: int = 3) -> str:
    if rep.aborted:
        return f"**fail**: {rep.aborted}"
    if rep.passed:
        return "pass"
    judged = len(rep.results) - len(rep.skipped)
    parts = [f"{r.name} ({_why(r)})" for r in rep.failures[:limit]]
    more = len(rep.failures) - limit
    if more > 0:
        parts.append(f"+{more} more")
    return f"**fail {len(rep.failures)}/{judged}**: " + "; ".join(parts)


def _why(r) -> str:
    if r.exception:
        return r.exception.split(":")[0]
    bits = []
    if r.nonfinite:
        bits.append(f"{r.nonfinite} NaN/inf")
    if r.hard_support_mismatches:
        bits.append(f"{r.hard_support_mismatches} support")
    if r.worst_ratio is not None and np.isfinite(r.worst_ratio) and r.worst_ratio > 1:
        bits.append(f"err {r.max_abs_err:.1e} = {r.worst_ratio:.1e} tol")
    if any(s.startswith("sum") for s in r.reasons):
        bits.append(f"sum err {r.sum_err:.1e}")
    return ", ".join(bits) or r.reasons[0]


def markdown(results) -> str:
    """A summary table (one row per backend: its verdict in float64 and float32, with
    the first failing cases and their numbers), then the full list of failing cases."""
    rows: dict = {}
    for label, dt, rep in results:
        rows.setdefault(label, {})[dt] = rep
    lines = ["| backend | float64 | float32 |", "|---|---|---|"]
    for label, d in rows.items():
        lines.append(f"| `{label}` | {_cell(d['float64'])} | {_cell(d['float32'])} |")
    lines += ["", "<details><summary>Every failing case, per backend and dtype</summary>",
              ""]
    for label, dt, rep in results:
        names = ", ".join(rep.failing_cases) if not rep.passed else "pass"
        lines.append(f"- `{label}` {dt}: {names}")
    lines += ["", "</details>"]
    return "\n".join(lines)


