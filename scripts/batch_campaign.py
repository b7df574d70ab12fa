"""Batches against rows, and against 50 digits, for the engines that carry state from row
to row (outside CI).

The kernels carry guesses from one row of a batch to the next (the capped engine's bound
on the k-th largest score, 1.5-entmax's guess of tau).  None of them may change a bit of
a row: each batch is compared, row by row and bit for bit, with the same rows mapped one
at a time (a single row carries no guess), and its first rows with the 50-digit
reference of ``scripts/adversarial_search.py``.

Rows are drawn from eight kinds, mixed within a batch: N(0, 1); N(0, 1) times
``10**U(-12, 3)``; quarter-integer ties; ``±10**U(100, 300)`` spreads; one entry lifted
by up to 3; near-ties ``c + 2**-(30 ... 60) N(0, 1)``; a shift of 1e15; non-positive
scores with maximum 0.  2 to 59 entries or 60 to 299 (half the batches each: the
candidate scan works on blocks of 64), 2 to 39 rows.

Usage (from the repository root)::

    nice -n 10 python scripts/batch_campaign.py --minutes 8 --seed 11

``--zeroed-batches`` maps each batch into an output that arrives zeroed (the path of
outputs of at least ``maps.ZEROED_MIN_BYTES``, where the kernels write the support only),
and the rows alone as usual.

It prints, per map, the rows compared with the reference, the largest error in ulp
(relative, and absolute in ulps of 1) with its input, and the number of rows whose batch
result differed from the row alone (each such row is printed).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

import adversarial_search as A  # noqa: E402

import hfy_reference as H  # noqa: E402
from hfy_reference import maps as M  # noqa: E402

MAPS = {
    "1.5-entmax": (lambda z: H.entmax(z, 1.5), lambda z: A._ref_entmax(z, 1.5)),
    "2-normmax": (lambda z: H.normmax(z, 2.0), lambda z: A._ref_normmax(z, 2.0)),
    "1.3-entmax": (lambda z: H.entmax(z, 1.3), lambda z: A._ref_entmax(z, 1.3)),
    "sparsemax": (H.sparsemax, lambda z: A._ref_capped(z, [1.0] * len(z), 1)),
    "2-subsets": (lambda z: H.sparsemap_ksubsets(z, 2),
                  lambda z: A._ref_capped(z, [1.0] * len(z), 2)),
    "constrained 0.5": (lambda z: H.constrained_sparsemax(z, 0.5),
                        lambda z: A._ref_capped(z, [0.5] * len(z), 1)),
}


def row(rng, n):
    kind = int(rng.integers(0, 8))
    if kind == 0:
        return rng.standard_normal(n)
    if kind == 1:
        return rng.standard_normal(n) * 10 ** rng.uniform(-12, 3)
    if kind == 2:
        return np.round(rng.standard_normal(n) * 4) / 4
    if kind == 3:
        return rng.standard_normal(n) * 10 ** rng.uniform(100, 300) * rng.choice([-1, 1])
    if kind == 4:
        z = rng.standard_normal(n)
        z[rng.integers(n)] += rng.uniform(0, 3)
        return z
    if kind == 5:
        return rng.standard_normal() + rng.standard_normal(n) * 2.0 ** -rng.integers(30, 60)
    if kind == 6:
        return rng.standard_normal(n) + 1e15
    z = -np.abs(rng.standard_normal(n)) * rng.uniform(0, 5)
    z[0] = 0.0
    return z


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=5.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--zeroed-batches", action="store_true",
                    help="map each batch into a zeroed output (maps.ZEROED_MIN_BYTES = 0)")
    args = ap.parse_args(argv)
    if not args.minutes > 0:
        ap.error("--minutes must be > 0")
    rng = np.random.default_rng(args.seed)
    default = M.ZEROED_MIN_BYTES
    stats = {name: {"rows": 0, "checked": 0, "worst_ulp": 0.0, "abs": 0.0, "mismatch": 0,
                    "input": None} for name in MAPS}
    t0 = time.time()
    while time.time() - t0 < 60.0 * args.minutes:
        # short rows, and rows over several 64-entry blocks of the candidate scan
        n = int(rng.integers(2, 60) if rng.random() < 0.5 else rng.integers(60, 300))
        Z = np.array([row(rng, n) for _ in range(int(rng.integers(2, 40)))])
        for name, (f, ref) in MAPS.items():
            M.ZEROED_MIN_BYTES = 0 if args.zeroed_batches else default
            P = f(Z)
            M.ZEROED_MIN_BYTES = default
            st = stats[name]
            for r, z in enumerate(Z):
                st["rows"] += 1
                if not np.array_equal(f(z), P[r]):
                    st["mismatch"] += 1
                    print(f"MISMATCH {name}: {z.tolist()}", flush=True)
                if r < 3:
                    rel, ab = A._ulps(P[r], ref(z))
                    st["checked"] += 1
                    st["abs"] = max(st["abs"], ab)
                    if rel > st["worst_ulp"]:
                        st["worst_ulp"] = rel
                        st["input"] = z.tolist()
    for name, st in stats.items():
        print(f"{name:<12} rows {st['rows']:>8}  vs 50 digits {st['checked']:>7}  "
              f"worst {st['worst_ulp']:.3g} ulp (absolute: {st['abs']:.3g} ulp of 1)  "
              f"batch != row: {st['mismatch']}")
    for name, st in stats.items():
        print(f"worst input of {name}: {st['input']}")


if __name__ == "__main__":
    main()
