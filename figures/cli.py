"""``python -m figures``: render the papers' figures into a folder.

::

    python -m figures --out DIR [--only NAME ...] [--format png|pdf] [--dpi N] [--quick]
                      [--threads N]

Each figure is written as ``DIR/NAME.png`` (or ``.pdf``).  A progress bar on stderr
shows which figure is rendering.  Exit status: 0 all figures written; 1 a figure
failed (the others are still written); 2 a bad command line or an output folder that
cannot be written, reported in one line before any figure is computed.
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from collections.abc import Sequence
from typing import TextIO

from hfy_reference._cli import OneLineParser, compile_notice, output_dir_error

from . import NAMES, QUICK, get

#: Allowed resolutions of PNG output (dots per inch).
DPI_RANGE = (10, 1200)

__all__ = ["main", "ProgressBar"]


class ProgressBar:
    """A one-line text progress bar (redrawn in place on a terminal, one line per step
    otherwise, e.g. in CI logs)."""

    def __init__(self, total: int, stream: TextIO | None = None, width: int = 24):
        self.total = total
        self.done = 0
        self.width = width
        self.stream = sys.stderr if stream is None else stream
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.start = time.perf_counter()

    def _bar(self) -> str:
        filled = round(self.width * self.done / max(self.total, 1))
        return "[" + "#" * filled + "-" * (self.width - filled) + "]"

    def _write(self, text: str, final: bool) -> None:
        if self.tty:
            self.stream.write("\r\033[K" + text + ("\n" if final else ""))
        elif final:
            self.stream.write(text + "\n")
        self.stream.flush()

    def begin(self, name: str) -> None:
        """Show that ``name`` is being rendered."""
        elapsed = time.perf_counter() - self.start
        self._write(f"{self._bar()} {self.done}/{self.total}  {elapsed:6.1f} s  "
                    f"rendering {name} ...", final=False)

    def advance(self, name: str, seconds: float, status: str = "ok") -> None:
        """Mark ``name`` finished (``status`` ``"ok"`` or ``"FAILED"``)."""
        self.done += 1
        elapsed = time.perf_counter() - self.start
        self._write(f"{self._bar()} {self.done}/{self.total}  {elapsed:6.1f} s  "
                    f"{name}: {status} ({seconds:.1f} s)", final=True)


def _parser() -> OneLineParser:
    p = OneLineParser(
        prog="python -m figures",
        description="Regenerate the papers' figures from hfy_reference (measured on 2 "
        "idle cores: 25 s for all 12 figures once compiled; the first run of a copy of "
        "the package also compiles the Numba kernels, about 40 s).  Exit status: 0 all "
        "written, 1 a figure failed, 2 a bad command line.",
    )
    p.add_argument("--out", required=True, help="output folder (created if missing)")
    p.add_argument("--only", nargs="+", metavar="NAME", choices=NAMES,
                   help=f"render only these figures (from: {', '.join(NAMES)})")
    p.add_argument("--format", choices=("png", "pdf"), default="png",
                   help="file format (default png)")
    p.add_argument("--dpi", type=int, default=200,
                   help=f"resolution of PNGs, {DPI_RANGE[0]} to {DPI_RANGE[1]} (default 200)")
    p.add_argument("--quick", action="store_true",
                   help="small settings (coarse grids, few draws): a smoke test")
    p.add_argument("--threads", type=int, default=1,
                   help="Numba threads for the library's kernels, 1 to the number of cores "
                   "(default 1: the figures make many small calls, for which starting "
                   "threads costs more than it saves)")
    return p


def _max_threads() -> int:
    import numba

    return int(numba.config.NUMBA_NUM_THREADS)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m figures`` and of the ``hfy-figures`` script."""
    parser = _parser()
    args = parser.parse_args(argv)
    lo, hi = DPI_RANGE
    if not lo <= args.dpi <= hi:
        parser.error(f"--dpi must be an integer from {lo} to {hi}, got {args.dpi}")
    n_max = _max_threads()
    if not 1 <= args.threads <= n_max:
        parser.error(f"--threads must be from 1 to {n_max} (the cores Numba may use), "
                     f"got {args.threads}")
    problem = output_dir_error(args.out, "--out")
    if problem:
        parser.error(problem)
    import matplotlib
    import numba

    matplotlib.use("Agg")
    numba.set_num_threads(args.threads)
    compile_notice()
    names = [n for n in NAMES if args.only is None or n in args.only]
    bar = ProgressBar(len(names))
    failed = []
    for name in names:
        bar.begin(name)
        t0 = time.perf_counter()
        try:
            fig = get(name)(**(QUICK[name] if args.quick else {}))
            path = os.path.join(args.out, f"{name}.{args.format}")
            fig.savefig(path, format=args.format, dpi=args.dpi, bbox_inches="tight",
                        pad_inches=0.02)
        except Exception:  # report, keep rendering the others
            failed.append(name)
            bar.advance(name, time.perf_counter() - t0, status="FAILED")
            traceback.print_exc(file=sys.stderr)
            continue
        bar.advance(name, time.perf_counter() - t0)
    total = time.perf_counter() - bar.start
    written = len(names) - len(failed)
    print(f"wrote {written} figure(s) to {args.out} in {total:.1f} s"
          + (f"; FAILED: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0
