"""Command line: ``python -m proofs_check [--quick] [--only ID ...] [--seed N] [--json PATH]
[--list]`` (also installed as ``hfy-proofs``).

Exit status: 0 when no ``theorem`` claim is refuted (refuted ``published`` statements are
errata, reported but not failures); 1 when a ``theorem`` claim is refuted; 2 when the
verifier could not decide a claim (an internal error) or the command line is wrong.
"""

from __future__ import annotations

import argparse
import re
import sys
import time

from hfy_reference._cli import OneLineParser, compile_notice, output_file_error

from . import report, runner
from .claims import all_claims
from .registry import Claim, Subject


def select(claims: list[Claim], patterns: list[str] | None) -> list[Claim]:
    """Claims whose id matches one of ``patterns``: the exact id, a prefix ending at a
    ``.`` or ``[`` boundary (``T4`` matches ``T4.stationary[sparsemax]``), or a shell glob
    with ``*`` and ``?`` (``'T*[sparsemax]'``; brackets are literal).  Raises
    ``ValueError`` for a pattern that matches nothing."""
    if not patterns:
        return claims
    chosen: set[str] = set()
    for pat in patterns:
        # glob with * and ? only: brackets are literal (they are part of the ids)
        rx = re.compile(re.escape(pat).replace(r"\*", ".*").replace(r"\?", ".") + r"\Z")
        hit = [c.id for c in claims
               if c.id == pat
               or (c.id.startswith(pat) and c.id[len(pat):len(pat) + 1] in (".", "["))
               or rx.match(c.id)]
        if not hit:
            raise ValueError(f"--only {pat!r} matches no claim (see --list)")
        chosen.update(hit)
    return [c for c in claims if c.id in chosen]


def build_parser() -> argparse.ArgumentParser:
    p = OneLineParser(
        prog="python -m proofs_check",
        description="Machine check of the theorems of hfy-reference: each claim "
                    "is tested on instances built to satisfy its assumptions, and probed "
                    "just outside them.  Exit status: 0 no theorem refuted (errata in "
                    "published statements are reported, not failures), 1 a theorem was "
                    "refuted, 2 a bad command line or a claim the verifier could not "
                    "decide.  The first run of a copy of the package compiles the Numba "
                    "kernels once (about 40 s on 2 cores).",
    )
    p.add_argument("--quick", action="store_true",
                   help="fewer instances and a smaller capacity study (measured on 2 "
                   "idle cores: 7 s once compiled, 43 s on the first run, which compiles "
                   "the kernels; the full run 42 s; see docs/proofs_check.md)")
    p.add_argument("--only", nargs="+", metavar="ID",
                   help="claim ids, prefixes (T4, T4.stationary) or globs ('T*[sparsemax]')")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--json", metavar="PATH", help="write the full report as JSON to PATH "
                   "('-' for standard output)")
    p.add_argument("--list", action="store_true", help="list the claims and exit")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.seed < 0:
        parser.error(f"--seed must be a non-negative integer, got {args.seed}")
    if args.json and args.json != "-":
        problem = output_file_error(args.json, "--json")
        if problem:
            parser.error(problem)
    subject = Subject.default()
    claims = all_claims(subject)
    try:
        chosen = select(claims, args.only)
    except ValueError as exc:
        parser.error(str(exc))
    if args.list:
        for c in chosen:
            miss = subject.available(c.requires)
            extra = f"  [needs {', '.join(miss)}]" if miss else ""
            print(f"{c.id:<36} {c.kind:<9} {c.title}{extra}")
        return 0
    compile_notice()
    progress = report.Progress(enabled=False if args.no_progress else None)
    t0 = time.perf_counter()
    records = runner.run(chosen, subject, seed=args.seed, quick=args.quick,
                         progress=progress)
    total = time.perf_counter() - t0
    out = sys.stdout
    if args.json == "-":
        out = sys.stderr
    print(report.render(records, total, args.quick, args.seed), file=out)
    if args.json:
        doc = report.document(records, args.seed, args.quick, total)
        text = report.dumps(doc) + "\n"
        if args.json == "-":
            sys.stdout.write(text)
        else:
            try:
                with open(args.json, "w", encoding="utf-8") as fh:
                    fh.write(text)
            except OSError as exc:  # checked before the run; the disk may still refuse
                print(f"python -m proofs_check: error: --json {args.json!r}: {exc.strerror}",
                      file=sys.stderr)
                return 2
    return runner.exit_code(records)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
