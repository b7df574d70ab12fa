"""A hand-rolled progress bar (no tqdm): redrawn in place on a terminal, and on a pipe
one line per tenth of the work, flushed at once (so CI logs and ``| tee`` show it)."""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["ProgressBar"]


class ProgressBar:
    """``ProgressBar(total, label)``; call :meth:`update` once per finished task and
    :meth:`close` at the end.

    Parameters
    ----------
    total : int
        Number of tasks.
    label : str
        Shown before the bar.
    stream : text stream, default ``sys.stderr``
    width : int
        Characters of the bar.
    """

    def __init__(self, total: int, label: str = "", stream: TextIO | None = None,
                 width: int = 24):
        self.total = max(int(total), 0)
        self.label = label
        self.done = 0
        self.width = width
        self.stream = sys.stderr if stream is None else stream
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.start = time.perf_counter()
        self._last_tenth = -1

    def __repr__(self):
        return f"ProgressBar({self.done}/{self.total}, label={self.label!r})"

    def _line(self) -> str:
        frac = self.done / self.total if self.total else 1.0
        filled = round(self.width * frac)
        elapsed = time.perf_counter() - self.start
        eta = elapsed / self.done * (self.total - self.done) if self.done else float("nan")
        eta_s = f"eta {eta:6.1f} s" if self.done and self.done < self.total else ""
        return (f"{self.label} [{'#' * filled}{'-' * (self.width - filled)}] "
                f"{self.done}/{self.total} {elapsed:6.1f} s {eta_s}").rstrip()

    def update(self, n: int = 1) -> None:
        """Mark ``n`` more tasks done and redraw."""
        self.done = min(self.done + n, self.total)
        if self.tty:
            self.stream.write("\r\033[K" + self._line())
            self.stream.flush()
            return
        tenth = (10 * self.done) // self.total if self.total else 10
        if tenth != self._last_tenth:
            self._last_tenth = tenth
            self.stream.write(self._line() + "\n")
            self.stream.flush()

    def close(self) -> None:
        """Finish the line (on a terminal)."""
        if self.tty:
            self.stream.write("\r\033[K" + self._line() + "\n")
            self.stream.flush()
