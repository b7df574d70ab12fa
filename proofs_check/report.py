"""Reports: the terminal table, a progress bar, and the JSON document.

JSON layout (``schema: "hfy-proofs/1"``)::

    {"schema", "seed", "mode", "selection": [ids],
     "environment": {python, numpy, scipy, numba, hfy_reference},
     "summary": {"claims", "verified", "refuted", "skipped", "error",
                 "refuted_theorems": [ids], "errata": [ids], "exit_code"},
     "claims": [record, ...],
     "timing": {"total_seconds", "claims": {id: seconds}}}

Determinism: for the same seed, mode, selection and environment, everything except the
top-level ``"timing"`` key is byte-identical between runs (keys sorted, floats written
with ``repr``); wall-clock times live only under ``"timing"``.
"""

from __future__ import annotations

import json
import platform
import sys
import time
from typing import TextIO

from .runner import exit_code

SCHEMA = "hfy-proofs/1"


def environment() -> dict:
    import numba
    import numpy
    import scipy

    import hfy_reference

    return {
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "numba": numba.__version__,
        "hfy_reference": getattr(hfy_reference, "__version__", "?"),
    }


def summary(records: list[dict]) -> dict:
    def ids(pred):
        return [r["id"] for r in records if pred(r)]

    return {
        "claims": len(records),
        "verified": len(ids(lambda r: r["status"] == "verified")),
        "refuted": len(ids(lambda r: r["status"] == "refuted")),
        "skipped": len(ids(lambda r: r["status"] == "skipped")),
        "error": len(ids(lambda r: r["status"] == "error")),
        "refuted_theorems": ids(lambda r: r["status"] == "refuted"
                                and r["kind"] == "theorem"),
        "errata": ids(lambda r: r["status"] == "refuted" and r["kind"] == "published"),
        "exit_code": exit_code(records),
    }


def document(records: list[dict], seed: int, quick: bool, total_seconds: float) -> dict:
    claims = [{k: v for k, v in r.items() if k != "seconds"} for r in records]
    return {
        "schema": SCHEMA,
        "seed": int(seed),
        "mode": "quick" if quick else "full",
        "selection": [r["id"] for r in records],
        "environment": environment(),
        "summary": summary(records),
        "claims": claims,
        "timing": {"total_seconds": round(total_seconds, 3),
                   "claims": {r["id"]: round(r.get("seconds", 0.0), 3) for r in records}},
    }


def dumps(doc: dict) -> str:
    return json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False, allow_nan=False)


def deterministic_part(doc: dict) -> dict:
    """The document without ``"timing"`` (the part that must be identical run to run)."""
    return {k: v for k, v in doc.items() if k != "timing"}


# ---------------------------------------------------------------------------------------
class Progress:
    """A one-line progress bar on a terminal (nothing when the stream is not a tty)."""

    def __init__(self, stream: TextIO | None = None, width: int = 24,
                 enabled: bool | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.enabled = (enabled if enabled is not None
                        else bool(getattr(self.stream, "isatty", lambda: False)()))
        self.t0 = time.perf_counter()
        self.failed = 0

    def __call__(self, done: int, total: int, claim_id: str, record: dict | None) -> None:
        if record is not None and record["status"] in ("refuted", "error"):
            self.failed += 1
        if not self.enabled:
            return
        frac = done / total if total else 1.0
        fill = int(round(frac * self.width))
        bar = "#" * fill + "-" * (self.width - fill)
        el = time.perf_counter() - self.t0
        what = claim_id if record is None else ""
        line = (f"\r[{bar}] {done:>3}/{total} {el:6.1f}s "
                f"{'!' * min(self.failed, 1)}{what[:44]:<44}")
        self.stream.write(line)
        if done == total and record is not None:
            self.stream.write("\r" + " " * len(line) + "\r")
        self.stream.flush()


# ---------------------------------------------------------------------------------------
def _fmt(x) -> str:
    if isinstance(x, str):
        return x
    if x is None:
        return "-"
    if x == 0:
        return "0"
    return f"{x:.2g}"


def _worst(r: dict) -> str:
    w = r.get("worst")
    if not w:
        return ""
    return f"{_fmt(w['slack'])} (tol {_fmt(w['tol'])}) {w['cond']}"


def _boundary(r: dict) -> str:
    b = r.get("boundary")
    if not b:
        return ""
    s = b.get("status", "")
    if "measured" in b and "theory" in b:
        s += f" {_fmt(b['measured'])} vs {_fmt(b['theory'])}"
    for k, v in (r.get("metrics") or {}).items():
        if "over_guaranteed" in k:
            s += f"; measured/guaranteed {_fmt(v['median'])} ({_fmt(v['min'])}–{_fmt(v['max'])})"
    return s


STATUS_MARK = {"verified": "ok", "refuted": "REFUTED", "skipped": "skip", "error": "ERROR"}


def table(records: list[dict], width: int = 132) -> str:
    """The human-readable table (one line per claim) followed by the findings."""
    head = (f"{'claim':<34} {'kind':<9} {'status':<8} {'n':>5} {'time':>6}  "
            f"{'worst slack':<40} boundary")
    lines = [head, "-" * min(width, len(head) + 30)]
    for r in records:
        status = STATUS_MARK.get(r["status"], r["status"])
        if r["status"] == "refuted" and r["kind"] == "published":
            status = "ERRATUM"
        worst = _worst(r)
        if len(worst) > 40:
            worst = worst[:39] + "…"
        lines.append(
            f"{r['id']:<34} {r['kind']:<9} {status:<8} {r['n_instances']:>5} "
            f"{r.get('seconds', 0.0):>5.1f}s  {worst:<40} {_boundary(r)}"
        )
    return "\n".join(lines)


def findings(records: list[dict]) -> str:
    """Errata, refuted theorems, errors and skipped claims, with their counterexamples."""
    out = []
    errata = [r for r in records if r["status"] == "refuted" and r["kind"] == "published"]
    refuted = [r for r in records if r["status"] == "refuted" and r["kind"] == "theorem"]
    if errata:
        out.append("")
        out.append("=" * 30 + f" ERRATA: {len(errata)} published statement(s) refuted "
                   + "=" * 30)
        for r in errata:
            out.append(_finding(r))
    if refuted:
        out.append("")
        out.append("=" * 30 + f" REFUTED THEOREMS: {len(refuted)} " + "=" * 30)
        for r in refuted:
            out.append(_finding(r))
    for r in records:
        if r["status"] == "error":
            out.append(f"\nERROR {r['id']}: {r['error']}")
    skipped = [r for r in records if r["status"] == "skipped"]
    if skipped:
        miss = sorted({m for r in skipped for m in r["missing"]})
        out.append(f"\nskipped {len(skipped)} claim(s): library part(s) not available: "
                   + ", ".join(miss))
    return "\n".join(out)


def _short(v, n: int = 160) -> str:
    s = json.dumps(v, ensure_ascii=False, allow_nan=False)
    return s if len(s) <= n else s[: n - 1] + "…"


def _finding(r: dict) -> str:
    ce = r.get("counterexample") or {}
    lines = [f"* {r['id']} ({r['source']})", f"  claim: {r['formula']}"]
    for f in ce.get("failed", [])[:3]:
        lines.append(f"  fails: {f['cond']}  slack {_fmt(f['slack'])} (tol {_fmt(f['tol'])})")
    inst = ce.get("instance")
    if inst is not None:
        lines.append(f"  counterexample: {_short(inst)}")
    vals = ce.get("values")
    if vals:
        lines.append(f"  values: {_short(vals)}")
    if ce.get("from"):
        rest = {k: v for k, v in ce.items() if k != "from"}
        lines.append(f"  ({ce['from']}) {_short(rest, 300)}")
    return "\n".join(lines)


def studies(records: list[dict]) -> str:
    """The capacity tables (T7): failure rate at the largest N each bound allows."""
    out = []
    for r in records:
        st = r.get("study")
        if not st or "rows" not in st:
            continue
        d = st.get("design", {})
        out.append(f"\n{r['id']}: exact one-step retrieval, failure rate at the largest N "
                   f"each bound allows (p = {_fmt(st['p'])}, M = {_fmt(st['M'])}, "
                   f"m = {_fmt(st['margin'])}); {d.get('trials', '?')} trials per cell, "
                   f"exact binomial test at {_fmt(d.get('level'))} per judged cell, power "
                   f"{d.get('power', 0):.4f} against a failure rate "
                   f"{_fmt(d.get('alternative'))}")
        for row in st["rows"]:
            tag = "judged" if row["judged"] else "report"
            eps = f"ε={row['eps']:.3g}" if row["eps"] else "ε=0"
            out.append(f"  D={row['D']} β={_fmt(row['beta'])} {eps:<10} {row['bound']:<11}"
                       f" N={row['N']:<4} failures {row['failures']}/{row['trials']} "
                       f"(rate {row['failure_rate']:.3f}, CP lower {row['cp_lower']:.3f}, "
                       f"p-value {_fmt(row['p_value'])}) [{tag}]")
        for s in st.get("summaries", []):
            mu, mp = s.get("measured_over_union"), s.get("measured_over_paper")
            out.append(f"  D={s['D']}: measured capacity {s['measured_capacity']} = "
                       f"×{_fmt(mu)} the union bound, ×{_fmt(mp)} the printed bound; at "
                       f"2× the union bound the failure rate is {s['rate_at_2x_union']:.2f}")
    return "\n".join(out)


def render(records: list[dict], total_seconds: float, quick: bool, seed: int) -> str:
    s = summary(records)
    tail = (f"\n{s['claims']} claims ({'quick' if quick else 'full'}, seed {seed}): "
            f"{s['verified']} verified, {len(s['refuted_theorems'])} theorem(s) refuted, "
            f"{len(s['errata'])} erratum/errata in published statements, "
            f"{s['skipped']} skipped, {s['error']} error(s); {total_seconds:.1f} s; "
            f"exit code {s['exit_code']}")
    return (table(records) + "\n" + studies(records) + "\n" + findings(records) + "\n"
            + tail)
