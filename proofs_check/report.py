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
    """The capacity tables (T7): retrieval rate vs N against the bound."""
    out = []
    for r in records:
        st = r.get("study")
        if not st or "rows" not in st:
            continue
        out.append(f"\n{r['id']}: exact one-step retrieval rate vs N (p = {_fmt(st['p'])}, "
                   f"M = {_fmt(st['M'])}, m = {_fmt(st['margin'])}; "
                   f"{st['rows'][0].get('trials', '?')} trials per cell)")
        by = {}
        for row in st["rows"]:
            by.setdefault((row["D"], row["beta"]), []).append(row)
        for (D, beta), rows in by.items():
            summ = next((x for x in rows if x.get("summary")), {})
            cells = []
            for x in rows:
                if x.get("summary"):
                    continue
                en = x.get("success_rate_epsN")
                cells.append(f"{x['N']}:{x['success_rate_eps0']:.2f}"
                             + (f"/{en:.2f}" if en is not None else ""))
            meas = summ.get("measured_capacity_eps0")
            ratio = summ.get("measured_over_bound")
            out.append(f"  D={D} β={_fmt(beta)}: bound N≤{_fmt(summ.get('bound_N_eps0'))} "
                       f"(ε=0), measured {meas if meas is not None else '-'}"
                       + (f" (×{ratio:.2g})" if ratio else "")
                       + "  N:rate(ε=0)[/rate(ε_N)] " + " ".join(cells))
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
