"""Run a sweep -- a list of independent tasks -- locally or on a Dask cluster.

Every experiment is a list of small task descriptions (plain dicts of numbers and
strings, so that they pickle and serialize to JSON) and a module-level function
``fn(task) -> dict``.  Each task carries its own seed, so its result depends on the
task alone: not on the order in which tasks run, on the worker that runs them, or on
how many run at once.  Each task runs with one BLAS thread (``threadpoolctl`` when it
is installed, and the usual environment variables in the local worker processes), so
that matrix products round the same way everywhere.  A sweep therefore gives
bit-identical results whether it runs serially, on local processes or on a Dask
cluster (``tests/test_experiments.py`` checks this on a ``distributed.LocalCluster``).

Backends
--------
* ``workers=1``: serially in this process (tests, debugging).
* default: a :class:`concurrent.futures.ProcessPoolExecutor` with one process per core
  (``spawn`` start method: each worker imports numpy and loads the compiled kernels from
  Numba's on-disk cache); nothing to set up, and Dask is not needed.
* ``scheduler="tcp://HOST:PORT"`` (or a ``distributed.Client``): the tasks are mapped
  onto an existing Dask cluster, whose workers must be able to import ``experiments``
  and ``hfy_reference`` (same code on every worker, e.g. the same checkout on a shared
  file system or an installed wheel).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["run_tasks", "task_seed"]

_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                "NUMBA_NUM_THREADS")


def task_seed(seed: int, *key: int) -> int:
    """A 63-bit seed for the task ``key`` of a sweep with master seed ``seed``.

    Built with :class:`numpy.random.SeedSequence` (``spawn_key=key``): independent
    streams for different keys, and the same stream for the same key whatever the
    order of the sweep.  Tasks that must share data (the models compared on one
    draw) use the same key.
    """
    import numpy as np

    ss = np.random.SeedSequence(int(seed), spawn_key=tuple(int(k) for k in key))
    return int(ss.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


def _one_thread():
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        return contextlib.nullcontext()
    return threadpool_limits(limits=1)


def _call(fn: Callable[[dict], Any], task: dict) -> tuple[Any, float]:
    """Run one task with one BLAS thread (the unit of work on every backend); returns
    ``(result, CPU seconds of the calling thread)``."""
    import time

    with _one_thread():
        t0 = time.thread_time()
        out = fn(task)
        return out, time.thread_time() - t0


@contextlib.contextmanager
def _single_thread_env():
    old = {v: os.environ.get(v) for v in _THREAD_VARS}
    for v in _THREAD_VARS:
        os.environ[v] = "1"
    try:
        yield
    finally:
        for v, val in old.items():
            if val is None:
                os.environ.pop(v, None)
            else:
                os.environ[v] = val


def run_tasks(fn: Callable[[dict], Any], tasks: Sequence[dict], *,
              scheduler: Any = None, workers: int | None = None,
              progress: Any = None, cpu_seconds: list | None = None) -> list:
    """``[fn(t) for t in tasks]``, computed in parallel; results in task order.

    Parameters
    ----------
    fn : callable
        A module-level function (it is pickled by reference) taking one task.
    tasks : sequence of dict
    scheduler : None, str or distributed.Client
        ``None``: local processes (or serial, see ``workers``).  A string
        ``"tcp://HOST:PORT"`` (any address ``distributed.Client`` accepts) or a
        ``Client``: run on that Dask cluster.
    workers : int, optional
        Local processes (default: the number of cores, at most the number of tasks);
        ``1`` runs serially in this process.  Ignored with a scheduler.
    progress : object with ``update(n)``, optional
        Called once per finished task.
    cpu_seconds : list, optional
        Filled with the CPU time of each task (in task order): the cost of the sweep
        on an idle machine, whatever the load when it ran.

    Returns
    -------
    list
        ``fn(task)`` for each task, in the order of ``tasks``.
    """
    pairs = _run(fn, list(tasks), scheduler, workers, progress)
    if cpu_seconds is not None:
        cpu_seconds[:] = [c for _, c in pairs]
    return [r for r, _ in pairs]


def _run(fn, tasks, scheduler, workers, progress) -> list:
    n = len(tasks)
    tick = progress.update if progress is not None else (lambda k=1: None)
    if n == 0:
        return []
    if scheduler is not None:
        return _run_dask(fn, tasks, scheduler, tick)
    if workers is None:
        workers = os.cpu_count() or 1
    workers = max(1, min(int(workers), n))
    if workers == 1:
        out = []
        for t in tasks:
            out.append(_call(fn, t))
            tick(1)
        return out
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor, as_completed

    results: list = [None] * n
    with _single_thread_env(), ProcessPoolExecutor(
            max_workers=workers, mp_context=mp.get_context("spawn")) as pool:
        futs = {pool.submit(_call, fn, t): i for i, t in enumerate(tasks)}
        for f in as_completed(futs):
            results[futs[f]] = f.result()
            tick(1)
    return results


def _run_dask(fn, tasks, scheduler, tick) -> list:
    from distributed import Client, as_completed

    own = not isinstance(scheduler, Client)
    client = Client(scheduler) if own else scheduler
    try:
        futs = client.map(_call, [fn] * len(tasks), tasks, pure=False)
        for _ in as_completed(futs):
            tick(1)
        return client.gather(futs)
    finally:
        if own:
            client.close()
