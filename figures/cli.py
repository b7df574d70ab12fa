"""``python -m figures``: render the papers' figures into a folder.

::

    python -m figures --out DIR [--only NAME ...] [--format png|pdf] [--dpi N] [--quick]
                      [--threads N]

Each figure is written as ``DIR/NAME.png`` (or ``.pdf``).  A progress bar on stderr
shows which figure is rendering; the exit status is 1 if any figure failed (the others
are still written).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from collections.abc import Sequence
from typing import TextIO

from . import NAMES, QUICK, get

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


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m figures",
        description="Regenerate the papers' figures from hfy_reference.",
    )
    p.add_argument("--out", required=True, help="output folder (created if missing)")
    p.add_argument("--only", nargs="+", metavar="NAME", choices=NAMES,
                   help=f"render only these figures (from: {', '.join(NAMES)})")
    p.add_argument("--format", choices=("png", "pdf"), default="png",
                   help="file format (default png)")
    p.add_argument("--dpi", type=int, default=200, help="resolution of PNGs (default 200)")
    p.add_argument("--quick", action="store_true",
                   help="small settings (coarse grids, few draws): a smoke test")
    p.add_argument("--threads", type=int, default=1,
                   help="Numba threads for the library's kernels (default 1: the figures "
                   "make many small calls, for which starting threads costs more than it "
                   "saves)")
    return p


def _set_threads(n: int) -> None:
    import numba

    numba.set_num_threads(max(1, min(n, numba.config.NUMBA_NUM_THREADS)))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m figures`` and of the ``hfy-figures`` script."""
    args = _parser().parse_args(argv)
    import matplotlib

    matplotlib.use("Agg")
    _set_threads(args.threads)
    names = [n for n in NAMES if args.only is None or n in args.only]
    os.makedirs(args.out, exist_ok=True)
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
