"""The papers' figures, regenerated from the library.

Each figure is a function returning a :class:`matplotlib.figure.Figure` (nothing is
saved); its data are computed by :mod:`hfy_reference`.  Run them all with::

    python -m figures --out DIR [--only NAME ...] [--format png|pdf]

========================  ============================================================
name                      function
========================  ============================================================
``regularization_path``   :func:`figures.regularization_path.regularization_path`
``margins``               :func:`figures.margins.margins`
``maps_2d_3d``            :func:`figures.maps_2d_3d.maps_2d_3d`
``energy_contours``       :func:`figures.energy_contours.energy_contours`
``basins``                :func:`figures.basins.basins`
``capacity``              :func:`figures.capacity.capacity`
``sparsity``              :func:`figures.sparsity.sparsity`
``metastable``            :func:`figures.metastable.metastable`
``mixed_simplex``         :func:`figures.mixed_simplex.mixed_simplex`
========================  ============================================================

The functions are not re-exported here (a module and its function share a name):
use :func:`get` or ``from figures.basins import basins``.  Only this package imports
matplotlib; ``hfy_reference`` never does.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

__all__ = ["NAMES", "QUICK", "get"]

#: Figure names, in the order the CLI renders them.
NAMES: tuple[str, ...] = (
    "regularization_path",
    "margins",
    "maps_2d_3d",
    "energy_contours",
    "basins",
    "capacity",
    "sparsity",
    "metastable",
    "mixed_simplex",
)

#: Small settings for each figure (smoke tests and ``--quick``): same code paths,
#: coarser grids and fewer Monte Carlo draws.
QUICK: dict[str, dict] = {
    "regularization_path": {"n_points": 120},
    "margins": {"n_points": 101},
    "maps_2d_3d": {"n_grid": 41, "n_dots": 11, "n_surface": 15},
    "energy_contours": {"n_grid": 30, "n_random": 1, "max_steps": 20},
    "basins": {"n_grid": 16, "n_random": 1, "max_iter": 15},
    "capacity": {"dims": (4,), "n_values": (2, 8, 32), "n_trials": 10},
    "sparsity": {"n": 20, "n_draws": 20, "betas": (0.1, 1.0, 10.0)},
    "metastable": {"n_patterns": 60, "n_queries": 30, "dim": 16},
    "mixed_simplex": {"n_samples": 400},
}


def get(name: str) -> Callable:
    """The figure function called ``name`` (imported on demand)."""
    if name not in NAMES:
        raise ValueError(f"unknown figure {name!r}; choose from {', '.join(NAMES)}")
    module = importlib.import_module(f"{__name__}.{name}")
    return getattr(module, name)
