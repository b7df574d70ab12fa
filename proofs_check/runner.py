"""Run claims: draw instances, check them, probe the boundary, build one record per claim.

Randomness: each claim draws from its own generator, seeded by ``(seed, crc32(id),
stream)``, so a claim's record does not depend on which other claims run, nor in which
order (``--only`` gives the same record as the full selection).

Outcome per claim (``status``):

``verified``  every instance satisfied every condition (and the boundary search, when it
              decides, found the conclusion failing where the statement says it must);
``refuted``   a ``theorem`` claim: some instance violated a condition (the smallest such
              instance is the counterexample), or the deciding boundary search or the
              study (a statistical test) refuted it -- the library is wrong;
``erratum``   a ``published`` claim (a statement as printed in the seeds) decided false
              the same way: the printed statement is wrong, not the library (the run
              does not fail);
``skipped``   a library module the claim needs is not available;
``error``     the verifier itself failed (an exception raised in ``proofs_check``): the
              claim was not decided.

``STATUSES`` lists them; the table, the JSON and the docs use exactly these words.

The *worst* condition of a claim (``record["worst"]``) is the first in the order of
:func:`severity` over every condition of every instance -- the largest violation beyond
its tolerance if any, else the least room in tolerances (``slack / tol``) -- with the
index of the instance where it occurred; the table, the ERRATA / REFUTED blocks and
the JSON show this same number.  The *counterexample* is the smallest failing instance
(fewest array entries), which may be another instance.

An exception raised *inside the library* while checking an instance (for example
``omega`` rejecting the map's own output as off the simplex) is a violated condition of
that instance, not an error of the verifier.
"""

from __future__ import annotations

import contextlib
import math
import time
import traceback
import zlib
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from ._num import size_of, to_jsonable
from .registry import Checks, Claim, Cond, Subject

STATUSES = ("verified", "refuted", "erratum", "skipped", "error")


def severity(c: Cond) -> tuple[int, float]:
    """The order of "worst" (smaller is worse): a violated condition before any that
    holds, violations by how far they exceed their tolerance (``slack + tol``, most
    negative first; NaN worst of all), conditions that hold by their room in tolerances
    (``slack / tol``)."""
    if math.isnan(c.slack):
        return (0, -math.inf)
    if not c.ok:
        return (0, c.slack + c.tol)
    return (1, c.ratio)


def claim_rng(seed: int, claim_id: str, stream: int) -> np.random.Generator:
    """The generator of one claim's stream (0 instances, 1 boundary, 2 study)."""
    key = zlib.crc32(claim_id.encode("utf-8"))
    return np.random.default_rng(np.random.SeedSequence([int(seed), key, stream]))


def _origin(exc: BaseException) -> str:
    """``"library"`` if the deepest frame of our two packages that the exception passed
    through is in ``hfy_reference``, else ``"verifier"``."""
    origin = "verifier"
    for frame in traceback.extract_tb(exc.__traceback__):
        f = frame.filename.replace("\\", "/")
        if "/hfy_reference/" in f:
            origin = "library"
        elif "/proofs_check/" in f:
            origin = "verifier"
    return origin


def _exc_text(exc: BaseException) -> str:
    tb = traceback.extract_tb(exc.__traceback__)
    where = f" at {tb[-1].filename.rsplit('/', 2)[-1]}:{tb[-1].lineno}" if tb else ""
    return f"{type(exc).__name__}: {exc}{where}"


class VerifierError(Exception):
    pass


def _run_check(claim: Claim, inst: dict) -> Checks:
    try:
        with np.errstate(all="ignore"):
            return claim.check(inst)
    except Exception as exc:
        if _origin(exc) == "verifier":
            raise VerifierError(_exc_text(exc)) from exc
        c = Checks()
        c.conds.append(Cond(f"library raised {_exc_text(exc)}", -math.inf, 0.0))
        return c


def _summ(values: list[float]) -> dict:
    a = np.asarray(values, dtype=np.float64)
    return {"min": float(a.min()), "median": float(np.median(a)), "max": float(a.max()),
            "n": int(a.size)}


def run_claim(claim: Claim, subject: Subject, seed: int = 0, quick: bool = False) -> dict:
    """Evaluate one claim; returns its record (JSON-able) with ``"seconds"`` apart."""
    t0 = time.perf_counter()
    rec: dict[str, Any] = claim.describe()
    rec.update(status=None, n_instances=0, n_failed=0, worst=None, conditions={},
               metrics={}, boundary=None, study=None, counterexample=None,
               erratum=False, refuted_by=None, error=None, missing=[], method=None)
    missing = subject.available(claim.requires)
    if missing:
        rec.update(status="skipped", missing=missing)
        rec["method"] = method_text(rec)
        rec["seconds"] = time.perf_counter() - t0
        return rec
    n = claim.n[0] if quick else claim.n[1]
    try:
        rng = claim_rng(seed, claim.id, 0)
        conds: dict[str, tuple[float, float, int]] = {}
        cond_n: dict[str, int] = {}
        metrics: dict[str, list[float]] = {}
        failures: list[tuple[int, int, dict, Checks]] = []
        for i in range(n):
            with np.errstate(all="ignore"):
                inst = claim.generate(rng, i)
            chk = _run_check(claim, inst)
            for c in chk.conds:
                prev = conds.get(c.name)
                if prev is None or severity(Cond(c.name, *prev[:2])) > severity(c):
                    conds[c.name] = (c.slack, c.tol, i)
                cond_n[c.name] = cond_n.get(c.name, 0) + 1
            for k, v in chk.metrics.items():
                metrics.setdefault(k, []).append(v)
            if not chk.ok:
                failures.append((size_of(inst), i, inst, chk))
        rec["n_instances"] = n
        rec["n_failed"] = len(failures)
        rec["conditions"] = {k: {"worst_slack": s, "tol": t, "n": cond_n[k]}
                             for k, (s, t, _) in sorted(conds.items())}
        if conds:
            name = min(sorted(conds), key=lambda k: severity(Cond(k, *conds[k][:2])))
            s, t, where = conds[name]
            rec["worst"] = {"cond": name, "slack": s, "tol": t, "instance_index": where}
        rec["metrics"] = {k: _summ(v) for k, v in sorted(metrics.items())}
        refuted = bool(failures)
        refuted_by = "instances" if failures else None
        if failures:
            _, idx, inst, chk = min(failures, key=lambda f: (f[0], f[1]))
            rec["counterexample"] = {
                "instance_index": idx,
                "instance": inst,
                "failed": [{"cond": c.name, "slack": c.slack, "tol": c.tol}
                           for c in chk.conds if not c.ok],
                "values": chk.values,
            }
        if claim.boundary is not None:
            with np.errstate(all="ignore"):
                b = claim.boundary(claim_rng(seed, claim.id, 1), quick)
            rec["boundary"] = b
            if claim.boundary_decides and b.get("refutes") and not refuted:
                refuted = True
                refuted_by = "boundary search"
                rec["counterexample"] = {"from": "boundary search",
                                         **b.get("counterexample", {})}
        if claim.study is not None:
            with np.errstate(all="ignore"):
                st = claim.study(claim_rng(seed, claim.id, 2), quick)
            rec["study"] = st
            if st.get("refutes") and not refuted:
                refuted = True
                refuted_by = "study"
                rec["counterexample"] = {"from": "study", **st.get("counterexample", {})}
        rec["method"] = method_text(rec)
        rec["status"] = (("erratum" if claim.kind == "published" else "refuted")
                         if refuted else "verified")
        rec["erratum"] = rec["status"] == "erratum"
        rec["refuted_by"] = refuted_by
    except VerifierError as exc:
        rec.update(status="error", error=str(exc))
    except Exception as exc:
        rec.update(status="error", error=_exc_text(exc))
    rec = to_jsonable(rec)
    rec["seconds"] = time.perf_counter() - t0
    return rec


def method_text(rec: dict) -> str:
    """How the claim was decided, in words: ``exact n`` (decisions against exact
    rationals), ``sampled n`` (instances to a stated rounding tolerance), ``Monte Carlo``
    with trials per cell, level and power."""
    kind = rec.get("method_kind", "sampled")
    n = rec.get("n_instances", 0)
    base = f"{'exact rationals' if kind == 'exact' else 'sampled'} n={n}"
    st = rec.get("study") or {}
    d = st.get("design")
    if d:
        base += (f"; Monte Carlo {d['trials']} trials/cell, level "
                 f"{d.get('family_level', d['level']):.0e}, power {d['power']:.4f} vs rate "
                 f"{d['alternative']:.2f}")
    elif kind == "Monte Carlo":
        d = rec.get("design") or {}
        base = (f"Monte Carlo n={n} × {d.get('trials', '?')} trials, level "
                f"{d.get('level', float('nan')):.0e} each, power "
                f"{d.get('power', float('nan')):.4f} vs {d.get('alternative', '?')}")
    return base


@contextlib.contextmanager
def numba_threads(n: int | None):
    """Run Numba's parallel kernels on ``n`` threads inside the block (None: unchanged).

    The instances are small (N ≤ a few hundred rows); on a shared machine the cost of
    starting a parallel region (~10 ms under load) would dominate every call, so the
    verifier uses one thread by default.  Results do not depend on the thread count (the
    kernels parallelize over independent rows only).
    """
    if n is None:
        yield
        return
    import numba

    old = numba.get_num_threads()
    numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))
    try:
        yield
    finally:
        numba.set_num_threads(old)


def run(claims: Iterable[Claim], subject: Subject, seed: int = 0, quick: bool = False,
        progress: Callable[[int, int, str, dict | None], None] | None = None,
        threads: int | None = 1) -> list[dict]:
    """Run claims in order; ``progress(done, total, claim_id, record_or_None)``."""
    claims = list(claims)
    out = []
    with numba_threads(threads):
        for k, claim in enumerate(claims):
            if progress:
                progress(k, len(claims), claim.id, None)
            out.append(run_claim(claim, subject, seed, quick))
            if progress:
                progress(k + 1, len(claims), claim.id, out[-1])
    return out


def exit_code(records: list[dict]) -> int:
    """1 iff a ``theorem`` claim is refuted; 2 if none is but the verifier failed on a
    claim (``error``); else 0 (errata -- published statements decided false -- exit 0)."""
    if any(r["status"] == "refuted" and r["kind"] == "theorem" for r in records):
        return 1
    if any(r["status"] == "error" for r in records):
        return 2
    return 0
