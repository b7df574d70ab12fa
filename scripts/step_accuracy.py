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
larger.  ``--minutes M`` runs a random campaign instead: generic float64 inputs (normal
patterns, N = 1 ... 5000, D = 1 ... 8, up to 600 queries of which 3 are checked,
beta = 10**U(-3, 3), optional common offsets to 1e6 and patterns sorted by score), the
library's block sizes, each checked component within the worst-case bound of the
blocked sums plus twice the scores' rounding (as ``tests/test_hopfield.py``), and
``S`` within its bound (the same rounding included).  ``docs/accuracy.md`` quotes the runs.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests"))

import reference as R  # noqa: E402

from hfy_reference import Shannon  # noqa: E402
from hfy_reference import maps as M  # noqa: E402


def _gamma(k):
    eps = 2.0**-52
    return k * eps / (1 - k * eps)


def campaign(minutes, seed):
    rng = np.random.default_rng(seed)
    eps = 2.0**-52
    t_end = time.time() + 60 * minutes
    cases = comps = 0
    worst = worst_s = 0.0
    while time.time() < t_end:
        N = int(rng.integers(1, 5001))
        D = int(rng.integers(1, 9))
        B = int(rng.choice([1, 3, 40, 600]))
        beta = 10.0 ** rng.uniform(-3, 3)
        X = rng.standard_normal((N, D))
        Qs = beta * rng.standard_normal((B, D))
        if rng.random() < 0.3:  # a common offset: every score shifted
            X[:, 0] = 1.0
            Qs[:, 0] = 10.0 ** rng.uniform(0, 6) * rng.choice([-1.0, 1.0])
        if rng.random() < 0.3:  # rising scores: the maximum grows block by block
            X = X[np.argsort(X @ Qs[0], kind="stable")]
        V, m, S, _ = M.softmax_step(Qs, X)
        rows = rng.choice(B, size=min(B, 3), replace=False)
        _, ref = R.softmax_products(Qs[rows], X, exact_scores=False)
        C = min(N, max(M.STEP_BLOCK, M.STEP_SCORES // B))
        nb = -(-N // C)
        K = C + 2 * nb + 8
        for r, (exact, size, S_exact) in zip(rows, ref, strict=True):
            dz = _gamma(D) * float(np.max(np.abs(X) @ np.abs(Qs[r])))
            for j in range(D):
                err = abs(V[r, j] - exact[j])
                bound = (_gamma(K) + 2.01 * dz) * size[j]
                if err > bound:
                    raise AssertionError(f"N={N} D={D} B={B} beta={beta}: row {r} "
                                         f"component {j}: {err} > {bound}")
                worst = max(worst, float(err / bound))
                comps += 1
            es = float(abs(S[r] - S_exact) / S_exact) / eps
            sb = 3 + 2 * nb + 2.01 * dz / eps  # the scores' rounding moves S too
            if es > sb:
                raise AssertionError(f"S of row {r}: {es} eps")
            worst_s = max(worst_s, es / sb)
        cases += 1
    print(f"{cases} cases, {comps} components (seed {seed}, {minutes} min): every "
          f"component within its bound (largest error / bound: {worst:.3f}); S within "
          f"its bound (largest error / bound: {worst_s:.3f})")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--library-blocks", action="store_true",
                    help="the library's block sizes (else 64 patterns, 2 rows)")
    ap.add_argument("--minutes", type=float, default=0.0,
                    help="run the random campaign for this long instead")
    args = ap.parse_args(argv)
    if args.minutes > 0:
        campaign(args.minutes, args.seed)
        return
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
