"""Reports: the terminal table, a progress bar, and the JSON document.

JSON layout (``schema: "hfy-proofs/2"``)::

    {"schema", "seed", "mode", "selection": [ids],
     "environment": {python, numpy, scipy, numba, hfy_reference},
     "summary": {"claims", "verified", "refuted", "erratum", "skipped", "error",
                 "refuted_theorems": [ids], "errata": [ids], "exit_code"},
     "claims": [record, ...],
     "timing": {"total_seconds", "claims": {id: seconds}}}

Statuses (one vocabulary, :data:`proofs_check.runner.STATUSES`): ``verified``,
``refuted`` (a theorem claim: the library is wrong), ``erratum`` (a published statement
decided false: the printed statement is wrong), ``skipped``, ``error``.  Version 2 of
the schema: ``erratum`` is a status of its own (version 1 reported errata as
``refuted`` with ``erratum: true``; the ``erratum`` flag is kept), records carry
``method`` (how the claim was decided: exact rationals, sampled, Monte Carlo with trials,
level and power) and ``refuted_by``, and ``worst`` carries the ``instance_index`` where
the worst condition occurred.

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

SCHEMA = "hfy-proofs/2"


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
        "erratum": len(ids(lambda r: r["status"] == "erratum")),
        "skipped": len(ids(lambda r: r["status"] == "skipped")),
        "error": len(ids(lambda r: r["status"] == "error")),
        "refuted_theorems": ids(lambda r: r["status"] == "refuted"),
        "errata": ids(lambda r: r["status"] == "erratum"),
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
    """Progress of a run on ``stream`` (stderr by default).

    On a terminal: one bar redrawn in place.  Otherwise (a pipe, ``| tee``, a CI log):
    plain lines, flushed at once -- one when a claim starts after 5 s without output,
    and one when a claim that took 2 s or more ends -- so a long first run (Numba
    compiling) shows what it is doing.  ``enabled=False`` prints nothing.
    """

    def __init__(self, stream: TextIO | None = None, width: int = 24,
                 enabled: bool | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.enabled = True if enabled is None else bool(enabled)
        self.t0 = time.perf_counter()
        self.last_line = self.t0
        self.started = self.t0
        self.failed = 0

    def __call__(self, done: int, total: int, claim_id: str, record: dict | None) -> None:
        if record is not None and record["status"] in ("refuted", "error"):
            self.failed += 1
        if not self.enabled:
            return
        now = time.perf_counter()
        el = now - self.t0
        if not self.tty:
            if record is None:
                self.started = now
                if now - self.last_line >= 5.0:
                    self.stream.write(f"[{done:>3}/{total}] {el:6.1f} s  running {claim_id}\n")
                    self.last_line = now
            elif now - self.started >= 2.0 or done == total:
                self.stream.write(f"[{done:>3}/{total}] {el:6.1f} s  {claim_id}: "
                                  f"{record['status']} ({now - self.started:.1f} s)\n")
                self.last_line = now
            self.stream.flush()
            return
        frac = done / total if total else 1.0
        fill = int(round(frac * self.width))
        bar = "#" * fill + "-" * (self.width - fill)
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


def short_method(r: dict) -> str:
    """The method column: ``exact n``, ``sampled n``, ``MC …`` with its power."""
    kind = r.get("method_kind", "sampled")
    n = r.get("n_instances", 0)
    d = (r.get("study") or {}).get("design")
    if d:
        return f"sampled {n} + MC {d['trials']}/cell pw {d['power']:.4f}"
    if kind == "Monte Carlo":
        d = r.get("design") or {}
        return f"MC {n}×{d.get('trials', '?')} pw {d.get('power', float('nan')):.4f}"
    return f"{'exact' if kind == 'exact' else 'sampled'} {n}"


def worst_text(r: dict) -> str:
    """The worst condition, whole: ``slack (tol) name``; the same in every view."""
    w = r.get("worst")
    if not w:
        return "-"
    return f"{_fmt(w['slack'])} (tol {_fmt(w['tol'])}) {w['cond']}"


def table(records: list[dict], width: int = 132) -> str:
    """The table, one line per claim: status, method, instances, time, boundary search,
    and the worst condition (slack, tolerance, whole name) last."""
    idw = max([34] + [len(r["id"]) for r in records])
    mw = max([14] + [len(short_method(r)) for r in records])
    head = (f"{'claim':<{idw}} {'kind':<9} {'status':<8} {'method':<{mw}} {'time':>6}  "
            f"{'boundary':<24} worst slack (tol) condition")
    lines = [head, "-" * min(width, len(head))]
    for r in records:
        lines.append(
            f"{r['id']:<{idw}} {r['kind']:<9} {r['status']:<8} {short_method(r):<{mw}} "
            f"{r.get('seconds', 0.0):>5.1f}s  {_boundary(r):<24} {worst_text(r)}"
        )
    return "\n".join(lines)


def findings(records: list[dict]) -> str:
    """Errata, refuted theorems, errors and skipped claims, with their counterexamples."""
    out = []
    errata = [r for r in records if r["status"] == "erratum"]
    refuted = [r for r in records if r["status"] == "refuted"]
    if errata:
        out.append("")
        out.append("=" * 30 + f" ERRATA: {len(errata)} published statement(s) decided "
                   "false (the library is right) " + "=" * 30)
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
    lines = [f"* {r['id']} ({r['source']})", f"  claim: {r['formula']}",
             f"  {r['status']} by: {r.get('refuted_by')}"]
    w = r.get("worst")
    if w:
        lines.append(f"  worst: {worst_text(r)}  (instance {w.get('instance_index')})")
    if ce.get("failed"):
        lines.append(f"  smallest counterexample (instance {ce.get('instance_index')}):")
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
            f"{s['verified']} verified, {s['refuted']} refuted, {s['erratum']} erratum, "
            f"{s['skipped']} skipped, {s['error']} error; {total_seconds:.1f} s; "
            f"exit code {s['exit_code']}")
    return (table(records) + "\n" + studies(records) + "\n" + findings(records) + "\n"
            + tail)
