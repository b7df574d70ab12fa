"""Run one experiment: tasks -> executor -> summary, table, figure and JSON."""

from __future__ import annotations

import os
import platform
import sys
import time
from typing import Any

from . import get
from ._common import write_json
from ._executor import run_tasks
from ._progress import ProgressBar

__all__ = ["run_experiment"]


def run_experiment(name: str, *, quick: bool = False, seed: int = 0, out: str | None = None,
                   scheduler: Any = None, workers: int | None = None,
                   overrides: dict | None = None, progress: bool = True,
                   stream=None) -> dict:
    """Run the experiment ``name`` and return its record.

    Parameters
    ----------
    name : str
        One of :data:`experiments.NAMES`.
    quick : bool
        The small settings (each run well under a minute on two cores).
    seed : int
        Master seed; every task derives its own from it.
    out : str, optional
        Folder for ``NAME.json`` and ``NAME.png`` (nothing written when ``None``).
    scheduler, workers
        Passed to :func:`experiments._executor.run_tasks`.
    overrides : dict, optional
        Settings replacing those of ``quick``/``full`` (tests use tiny ones).
    progress : bool
        Show a progress bar on stderr.

    Returns
    -------
    dict
        ``{"experiment", "seed", "quick", "settings", "tasks", "results", "summary",
        "seconds", "cpu_seconds", ...}`` -- what the JSON file holds (``seconds`` the wall
        time, ``cpu_seconds`` the CPU time summed over the tasks).
    """
    exp = get(name)
    settings = dict(exp.quick if quick else exp.full)
    settings.update(overrides or {})
    tasks = exp.make_tasks(settings, seed)
    bar = ProgressBar(len(tasks), label=name, stream=stream) if progress else None
    t0 = time.perf_counter()
    cpu: list = []
    results = run_tasks(exp.run_task, tasks, scheduler=scheduler, workers=workers,
                        progress=bar, cpu_seconds=cpu)
    if bar is not None:
        bar.close()
    seconds = time.perf_counter() - t0
    summary = exp.summarize(settings, tasks, results)
    record = {
        "experiment": name, "seed": seed, "quick": quick, "settings": settings,
        "seconds": seconds, "cpu_seconds": float(sum(cpu)), "n_tasks": len(tasks),
        "backend": "dask" if scheduler is not None else f"local(workers={workers})",
        "python": sys.version.split()[0], "machine": platform.machine(),
        "summary": summary, "tasks": tasks, "results": results, "task_cpu_seconds": cpu,
    }
    if out is not None:
        os.makedirs(out, exist_ok=True)
        write_json(os.path.join(out, f"{name}.json"), record)
        import matplotlib

        matplotlib.use("Agg")
        fig = exp.plot(settings, summary)
        fig.savefig(os.path.join(out, f"{name}.png"), dpi=150, bbox_inches="tight")
    return record
