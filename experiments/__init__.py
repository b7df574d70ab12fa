"""The papers' experiments, rerun exactly on a CPU: ``python -m experiments NAME``.

===========================  ==============================================================
name                         what it measures
===========================  ==============================================================
``retrieval-capacity``       digit-image retrieval success against the number stored
``retrieval-robustness``     retrieval success against query noise and masking
``free-recall``              unique memories recalled (score penalty; fertility budgets)
``sequential-recall``        recall of a stored order with sequential 2-subsets
``metastable``               counts and sizes of metastable states per map against β
``mil``                      K-MIL on digit bags, one HFY update as the pooling layer
===========================  ==============================================================

Each experiment is a module-level object with ``name``, ``description``, ``full`` and
``quick`` settings, ``make_tasks(settings, seed)``, ``run_task(task)`` (a pure function
of the task, which carries its own seed), ``summarize(settings, tasks, results)`` and
``plot(settings, summary)``; :func:`experiments.runner.run_experiment` runs the tasks
through :func:`experiments._executor.run_tasks` (local processes or Dask) and writes the
table, the figure and the JSON.  This package is never imported by ``hfy_reference``.
See ``docs/experiments.md`` for the protocols and the results.
"""

from __future__ import annotations

import importlib

__all__ = ["NAMES", "get"]

#: name -> (module, attribute)
_REGISTRY: dict[str, tuple[str, str]] = {
    "retrieval-capacity": ("retrieval", "CAPACITY"),
    "retrieval-robustness": ("retrieval", "ROBUSTNESS"),
    "free-recall": ("recall", "FREE"),
    "sequential-recall": ("recall", "SEQUENTIAL"),
    "metastable": ("metastable", "METASTABLE"),
    "mil": ("mil", "MIL"),
}
NAMES: tuple[str, ...] = tuple(_REGISTRY)


def get(name: str):
    """The experiment object called ``name`` (its module is imported on demand)."""
    if name not in _REGISTRY:
        raise ValueError(f"unknown experiment {name!r}; choose from {', '.join(NAMES)}")
    mod, attr = _REGISTRY[name]
    return getattr(importlib.import_module(f".{mod}", __name__), attr)
