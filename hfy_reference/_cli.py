"""Support shared by the project's command lines (``proofs_check``, ``figures``, ...).

The library itself never imports a command line; the command lines import this module
for the behaviour they must share:

* :class:`OneLineParser`: an :class:`argparse.ArgumentParser` whose errors are one line
  on stderr and exit status 2 (no usage block);
* :func:`output_file_error` / :func:`output_dir_error`: check, *before any work*, that an
  output path can be written;
* :func:`compile_notice`: the one-line notice printed when the Numba kernels are not in
  the on-disk cache yet (the first run of a copy of the package compiles them).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from typing import NoReturn, TextIO

__all__ = [
    "OneLineParser",
    "output_file_error",
    "output_dir_error",
    "kernels_cached",
    "compile_notice",
    "FIRST_COMPILE_SECONDS",
    "run_main",
]

#: Measured time of the first Numba compilation of all kernels a run uses (seconds, on
#: the 2-core Xeon these numbers come from; ``proofs_check --quick`` took 42 s cold and
#: 3 s warm).
FIRST_COMPILE_SECONDS = 40


class OneLineParser(argparse.ArgumentParser):
    """An argument parser that reports a bad command line in one line, exit status 2."""

    def error(self, message: str) -> NoReturn:
        hint = "" if "(see --" in message else " (see --help)"
        self.exit(2, f"{self.prog}: error: {message}{hint}\n")


def _probe_folder(folder: str) -> str | None:
    """Create and delete a temporary file in ``folder``: the one test of writability
    that also holds for root and for read-only mounts.  Returns the OS error or None."""
    try:
        fd, name = tempfile.mkstemp(prefix=".hfy-probe-", dir=folder)
    except OSError as exc:
        return exc.strerror or str(exc)
    os.close(fd)
    os.unlink(name)
    return None


def output_file_error(path: str, option: str) -> str | None:
    """Why ``path`` cannot be written as a file, or ``None`` when it can.

    The file may exist (it is overwritten) but must not be a folder; its folder must
    exist and be writable.  Nothing is left behind.
    """
    if not path:
        return f"{option}: empty path"
    full = os.path.abspath(path)
    if os.path.isdir(full):
        return f"{option} {path!r} is a folder, not a file"
    parent = os.path.dirname(full)
    if not os.path.isdir(parent):
        return f"{option} {path!r}: folder {parent!r} does not exist"
    if os.path.exists(full) and not os.access(full, os.W_OK):
        return f"{option} {path!r} exists and is not writable"
    err = _probe_folder(parent)
    if err:
        return f"{option} {path!r}: folder {parent!r} is not writable ({err})"
    return None


def output_dir_error(path: str, option: str) -> str | None:
    """Why ``path`` cannot be used as an output folder, or ``None`` when it can.

    A missing folder is created (with its parents) here, so that a path that cannot be
    created is reported before any work; an existing path must be a writable folder.
    """
    if not path:
        return f"{option}: empty path"
    full = os.path.abspath(path)
    if os.path.exists(full) and not os.path.isdir(full):
        return f"{option} {path!r} exists and is not a folder"
    try:
        os.makedirs(full, exist_ok=True)
    except OSError as exc:
        return f"{option} {path!r} cannot be created ({exc.strerror or exc})"
    err = _probe_folder(full)
    if err:
        return f"{option} {path!r} is not writable ({err})"
    return None


def _kernel_dir() -> str:
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "_kernels")


def kernels_cached() -> bool:
    """Whether Numba's on-disk cache holds compiled kernels of this copy of the package.

    Numba writes its cache beside the sources (``_kernels/__pycache__``) or, when that
    folder is not writable or ``NUMBA_CACHE_DIR`` is set, under that folder.  Any index
    file (``*.nbi``) of ``simplex.py`` counts as cached.
    """
    places = [os.path.join(_kernel_dir(), "__pycache__")]
    env = os.environ.get("NUMBA_CACHE_DIR")
    if env:
        places.append(env)
    for place in places:
        for _root, _dirs, files in os.walk(place):
            if any(f.startswith("simplex.") and f.endswith(".nbi") for f in files):
                return True
    return False


def compile_notice(stream: TextIO | None = None) -> bool:
    """Print the first-run notice if the kernels are not cached; return whether it did."""
    if kernels_cached():
        return False
    stream = sys.stderr if stream is None else stream
    pkg = os.path.dirname(os.path.abspath(__file__))
    stream.write(
        f"note: first run of the hfy_reference at {pkg}: Numba compiles its kernels now "
        f"(about {FIRST_COMPILE_SECONDS} s on 2 cores, once; later runs load them from "
        "the cache)\n"
    )
    stream.flush()
    return True


def run_main(main, argv=None) -> int:
    """Call ``main(argv)`` for ``python -m``; a reader that closes the pipe early
    (``... --list | head``) ends the command quietly with the shell's status for SIGPIPE,
    141, instead of a traceback."""
    try:
        code = main(argv)
        sys.stdout.flush()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    return int(code or 0)
