"""Sequential k-subsets far from 0, against exact references (outside CI).

Three kinds of rows, drawn in turn until the time budget is spent:

* ``k = 1, w = 0`` (sparsemax, exact in this library) on N(0, 1) rows scaled by
  ``10**U(-3, 3)`` and offset by ``±10**U(0, 300)``, a third of them with one entry far
  below the others;
* scores on a grid of ``2**-20`` shifted by ``±2**p`` (``p`` in 0 … 32: the shift is
  exact), ``k`` in 1 … 3, ``w`` in {0, 0.3, 1, 2.5}: the returned active set must be
  certified optimal in exact rationals (``slow.certify``), and the marginals are
  compared with the certified ones;
* the same ``k, w`` on N(0, 1) rows scaled by ``10**U(-2, 1)`` and offset by
  ``±10**U(0, 15)`` (rounded, so near-ties and exact ties occur).  A row whose active
  set is not certified (a degenerate row: the weights are not unique) is compared with
  the slow path on the row less its maximum, a shift that is exact there (checked).

Usage (from the repository root)::

    nice -n 10 python scripts/sequential_campaign.py --minutes 3 --seed 1

It prints the rows of each kind, the certified ones, and the largest differences in
units of ``eps`` (the marginals lie in [0, 1]); every error of the solver is printed
with its input.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import hfy_reference as H
from hfy_reference.slow import structured as slow

EPS = np.finfo(float).eps


def _units(a, b) -> float:
    return float(np.max(np.abs(np.asarray(a, float) - np.asarray(b, float)))) / EPS


def _certified(z, k, w):
    """``(difference in eps, how)`` of the solver's marginals against an exact
    reference: the certificate of its own active set, else the slow path on the row
    less its maximum (exact shift)."""
    sol = H.SequentialKSubsets(k, w).solve(z)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cert = slow.certify(z, k, w, sol.structures)
        if cert is not None:
            return _units(sol.mu, cert[0]), "certified"
        zs = z - z.max()
        if not np.array_equal(zs + z.max(), z):
            return None, "no exact shift"
        ref = slow.solve_sequential(zs, k, w)
    return _units(sol.mu, ref.p), ref.method


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=3.0)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    if not args.minutes > 0:
        ap.error("--minutes must be > 0")
    rng = np.random.default_rng(args.seed)
    stats: dict[str, dict[str, float]] = {}

    def note(kind, how, diff):
        st = stats.setdefault(f"{kind} ({how})", {"rows": 0, "worst": 0.0})
        st["rows"] += 1
        st["worst"] = max(st["worst"], diff)

    t0 = time.time()
    while time.time() - t0 < 60.0 * args.minutes:
        n = int(rng.integers(2, 12))
        c = float(rng.choice([1.0, -1.0]) * 10 ** rng.uniform(0, 300))
        z = rng.standard_normal(n) * 10 ** rng.uniform(-3, 3) + c
        if rng.random() < 1 / 3:
            z[rng.integers(n)] = c - abs(c) * rng.uniform(0.5, 1.0)
        try:
            note("k = 1 vs sparsemax", "exact",
                 _units(H.SequentialKSubsets(1).argmax(z), H.sparsemax(z)))
        except Exception as e:
            print(f"ERROR k = 1: {type(e).__name__}: {e}: {z.tolist()}", flush=True)
        for kind in ("exact 2**p shift", "offset 10**U(0, 15)"):
            k = int(rng.integers(1, 4))
            n = int(rng.integers(k + 1, 8))
            w = float(rng.choice([0.0, 0.3, 1.0, 2.5]))
            sign = float(rng.choice([1.0, -1.0]))
            if kind.startswith("exact"):
                z = (np.round(rng.standard_normal(n) * 2.0**20) / 2.0**20
                     + sign * 2.0 ** int(rng.integers(0, 33)))
            else:
                z = (rng.standard_normal(n) * 10 ** rng.uniform(-2, 1)
                     + sign * 10 ** rng.uniform(0, 15))
            try:
                diff, how = _certified(z, k, w)
            except Exception as e:
                print(f"ERROR {kind}: {type(e).__name__}: {e}: k={k} w={w} {z.tolist()}",
                      flush=True)
                continue
            if diff is None:
                print(f"NO REFERENCE {kind}: k={k} w={w} {z.tolist()}", flush=True)
                continue
            note(kind, how, diff)
    for name, st in stats.items():
        print(f"{name:<52} rows {int(st['rows']):>8}  worst {st['worst']:.3g} eps")


if __name__ == "__main__":
    main()
