"""Timing helpers shared by the benchmark scripts (each script is run as
``python benchmarks/NAME.py``, so this folder is on ``sys.path``)."""

from __future__ import annotations

import time

import numpy as np

__all__ = ["np_softmax", "median_time"]


def np_softmax(z):
    """The NumPy baseline every benchmark reports its ratios against."""
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def median_time(f, repeat, min_time=0.2):
    """Median over ``repeat`` runs; each run loops ``f`` enough times to last ~min_time
    (so that microsecond calls are not timer noise; ``min_time=0``: one call a run)."""
    f()
    t0 = time.perf_counter()
    f()
    one = max(time.perf_counter() - t0, 1e-7)
    inner = max(1, int(min_time / one)) if one < min_time else 1
    ts = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(inner):
            f()
        ts.append((time.perf_counter() - t0) / inner)
    return float(np.median(ts))
