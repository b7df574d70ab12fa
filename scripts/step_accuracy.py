"""The softmax Hopfield step against a 50-digit reference (outside CI).

``python scripts/step_accuracy.py [--seed S] [--library-blocks]`` draws patterns and
queries whose scores are exact in float64 (``tests/reference.py:dyadic_step_case``:
N = 200, 1000, 3000 -- 5000 and 9000 with ``--library-blocks`` --, beta-scales
2**-10 ... 600, offsets 0, 2**20, -2**30, four rows each), and compares two updates with
the exact ``X^T p`` (``tests/reference.py:softmax_products``), in units of
``eps sum_i p_i |x_ij|``:

* ``maps.softmax_step`` (the library's step), in blocks of 64 patterns and groups of
  2 rows (``--library-blocks``: its own block sizes, one block per row here);
* BLAS's product ``P @ X`` of the map's correctly rounded softmax ``P``.

Prints the largest error of each and the number of components where the step's is the
larger.  ``docs/accuracy.md`` quotes the runs.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests"))

import reference as R  # noqa: E402

from hfy_reference import Shannon  # noqa: E402
from hfy_reference import maps as M  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--library-blocks", action="store_true",
                    help="the library's block sizes (else 64 patterns, 2 rows)")
    args = ap.parse_args(argv)
    if not args.library_blocks:
        M.STEP_BLOCK, M.STEP_SCORES = 64, 128
    sizes = (5000, 9000) if args.library_blocks else (200, 1000, 3000)
    eps = 2.0**-52
    rng = np.random.default_rng(args.seed)
    worst_step = worst_blas = 0.0
    n = larger = 0
    for N in sizes:
        for scale in (2.0**-10, 1.0, 8.0, 40.0, 600.0):
            for offset in (0.0, 2.0**20, -2.0**30):
                Qs, X = R.dyadic_step_case(rng, N, 4, scale, offset)
                V = M.softmax_step(Qs, X)[0]
                Z, ref = R.softmax_products(Qs, X)
                Vb = Shannon().argmax(Z) @ X
                for r in range(Qs.shape[0]):
                    exact, size, _ = ref[r]
                    for j in range(X.shape[1]):
                        e_step = float(abs(V[r, j] - exact[j]) / size[j]) / eps
                        e_blas = float(abs(Vb[r, j] - exact[j]) / size[j]) / eps
                        worst_step = max(worst_step, e_step)
                        worst_blas = max(worst_blas, e_blas)
                        larger += e_step > e_blas
                        n += 1
    print(f"{n} components (seed {args.seed}, "
          f"{'library blocks' if args.library_blocks else 'blocks of 64'}): step at most "
          f"{worst_step:.2f}, BLAS with the exact p at most {worst_blas:.2f} "
          f"eps sum p|x|; the step's error the larger on {larger}")


if __name__ == "__main__":
    main()
