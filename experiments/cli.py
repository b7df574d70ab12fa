"""``python -m experiments``: rerun the papers' experiments.

::

    python -m experiments NAME [--quick] [--seed S] [--out DIR]
                               [--scheduler tcp://HOST:PORT | --workers N]
    python -m experiments --list

Prints the experiment's table, writes ``DIR/NAME.json`` (settings, every task with its
seed and result, the summary) and ``DIR/NAME.png``, and shows a progress bar on stderr.
Arguments are checked before any work: a bad one exits with status 2 and one line.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Sequence

from hfy_reference._cli import OneLineParser, compile_notice, output_dir_error

from . import NAMES

__all__ = ["main"]


def _parser() -> OneLineParser:
    p = OneLineParser(prog="python -m experiments",
                description="Rerun the HFY papers' experiments with hfy_reference.")
    p.add_argument("name", nargs="?", help=f"one of: {', '.join(NAMES)}")
    p.add_argument("--list", action="store_true", help="list the experiments and exit")
    p.add_argument("--quick", action="store_true",
                   help="small settings (under a minute on two cores)")
    p.add_argument("--seed", default="0", help="master seed, an integer >= 0 (default 0)")
    p.add_argument("--out", default="experiments_out",
                   help="output folder for NAME.json and NAME.png (default experiments_out)")
    p.add_argument("--scheduler", default=None,
                   help="address of a running Dask scheduler, e.g. tcp://HOST:8786 "
                   "(default: local processes)")
    p.add_argument("--workers", default=None,
                   help="local worker processes (default: one per core; 1 = serial)")
    return p


def _fail(msg: str) -> int:
    sys.stderr.write(f"python -m experiments: error: {msg}\n")
    return 2


def _int(text: str, name: str, lo: int) -> int | None:
    try:
        v = int(text, 10)
    except (TypeError, ValueError):
        return None
    return v if v >= lo else None


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m experiments``; returns the exit status."""
    args = _parser().parse_args(argv)
    if args.list:
        from . import get

        for n in NAMES:
            print(f"{n:22s} {get(n).description}")
        return 0
    if args.name is None:
        return _fail(f"an experiment name is required (one of: {', '.join(NAMES)})")
    if args.name not in NAMES:
        return _fail(f"unknown experiment {args.name!r}; choose from {', '.join(NAMES)}")
    seed = _int(args.seed, "seed", 0)
    if seed is None or seed >= 2**63:
        return _fail(f"--seed must be an integer in [0, 2**63); got {args.seed!r}")
    workers = None
    if args.workers is not None:
        workers = _int(args.workers, "workers", 1)
        if workers is None:
            return _fail(f"--workers must be an integer >= 1; got {args.workers!r}")
        if args.scheduler is not None:
            return _fail("--workers and --scheduler exclude each other")
    if args.scheduler is not None:
        if "://" not in args.scheduler:
            return _fail("--scheduler must be an address like tcp://HOST:PORT; "
                         f"got {args.scheduler!r}")
        if importlib.util.find_spec("distributed") is None:
            return _fail("--scheduler needs dask[distributed] "
                         "(pip install 'hfy-reference[experiments]')")
    from . import get

    exp = get(args.name)
    for mod in exp.needs:
        if importlib.util.find_spec(mod) is None:
            return _fail(f"{args.name} needs {mod} "
                         "(pip install 'hfy-reference[experiments]')")
    err = output_dir_error(args.out, "--out")  # creates the folder
    if err:
        return _fail(err)
    client = None
    if args.scheduler is not None:
        from distributed import Client

        try:
            client = Client(args.scheduler, timeout="20s")
        except (OSError, TimeoutError, ValueError) as exc:
            msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            return _fail(f"cannot connect to the Dask scheduler {args.scheduler!r}: {msg}")
    from .runner import run_experiment

    compile_notice()
    try:
        rec = run_experiment(args.name, quick=args.quick, seed=seed, out=args.out,
                             scheduler=client, workers=workers)
    finally:
        if client is not None:
            client.close()
    print(f"## {args.name} ({'quick' if args.quick else 'full'}, seed {seed})\n")
    print(rec["summary"]["table"])
    for line in rec["summary"].get("notes", []):
        print(line)
    print(f"\n{rec['n_tasks']} tasks in {rec['seconds']:.1f} s "
          f"({rec['cpu_seconds']:.1f} CPU s in the tasks); wrote "
          f"{os.path.join(args.out, args.name)}.json and .png")
    return 0
