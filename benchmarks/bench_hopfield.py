"""Benchmark: the cost of a Hopfield-Fenchel-Young step against its two matrix products.

Run with ``python benchmarks/bench_hopfield.py [--quick]``.  Prints, for each map:

* ``step``: one ``HopfieldNetwork.step`` on a batch (N = 1e5 patterns, D = 64,
  B = 256 queries);
* ``matmuls``: the two matrix products alone, ``(beta Q) X^T`` and ``P X`` with a dense
  ``P`` -- the floor of any implementation that does not exploit sparsity;
* ``map``: the map ``y_hat(beta X q)`` alone on the same scores;
* ``ratio = step / matmuls`` (target <= 1.3: the map must not dominate; sparse maps
  take the second product over the support only, so they can go below 1).

Then ``retrieve`` on N = 1e4 (B = 256, 10 updates): its time per update against the
same two products (the loop is over updates only: no Python loop over patterns).

Timings are the best of a few repeats, measured in the same run (ratios, not absolute
numbers, are what compare across machines).  Nothing here asserts: the tests never
time anything.

OpenBLAS keeps its worker threads spinning for a while after each product (about
``2**28`` cycles by default): on a machine with few cores they compete with the map's
threads, which run right after the first product.  ``OPENBLAS_THREAD_TIMEOUT=4 python
benchmarks/bench_hopfield.py`` makes them sleep at once; the header says which applies.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)  # the checkout, not an installed copy

from hfy_reference import (  # noqa: E402
    HopfieldNetwork,
    KSubsets,
    NormEntropy,
    SequentialKSubsets,
    Shannon,
    Tsallis,
)


def best_of(f, repeats):
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t0)
    return best


def patterns(rng, N, D):
    X = rng.standard_normal((N, D))
    return X / np.linalg.norm(X, axis=1, keepdims=True)


def bench_step(N, D, B, beta, repeats, regs):
    rng = np.random.default_rng(0)
    X = patterns(rng, N, D)
    Q = X[:B] + 0.3 * rng.standard_normal((B, D)) / np.sqrt(D)
    Pd = rng.random((B, N))
    Pd /= Pd.sum(1, keepdims=True)
    t_mm = best_of(lambda: ((beta * Q) @ X.T, Pd @ X), repeats)
    Z = (beta * Q) @ X.T
    print(f"\nstep: N = {N}, D = {D}, B = {B}, beta = {beta}")
    print(f"  two matrix products alone: {t_mm * 1e3:8.1f} ms")
    print(f"  {'map':<34}{'step ms':>9}{'map ms':>9}{'support':>9}{'ratio':>8}")
    for reg in regs:
        net = HopfieldNetwork(X, reg, beta)
        net.step(Q[:2])  # compile / load kernels
        t_step = best_of(lambda net=net: net.step(Q), repeats)
        t_map = best_of(lambda reg=reg: reg.argmax(Z), repeats)
        supp = float(np.mean(np.count_nonzero(net.probabilities(Q[:16]), axis=1)))
        print(f"  {reg.label:<34}{t_step * 1e3:9.1f}{t_map * 1e3:9.1f}{supp:9.1f}"
              f"{t_step / t_mm:8.2f}")


def bench_retrieve(N, D, B, beta, iters, repeats, regs):
    rng = np.random.default_rng(1)
    X = patterns(rng, N, D)
    Q = X[:B] + 0.5 * rng.standard_normal((B, D)) / np.sqrt(D)
    Pd = rng.random((B, N))
    Pd /= Pd.sum(1, keepdims=True)
    t_mm = best_of(lambda: ((beta * Q) @ X.T, Pd @ X), repeats)
    print(f"\nretrieve: N = {N}, D = {D}, B = {B}, beta = {beta}, {iters} updates")
    print(f"  two matrix products alone: {t_mm * 1e3:8.1f} ms")
    print(f"  {'map':<34}{'ms/update':>10}{'ratio':>8}{'converged':>11}")
    for reg in regs:
        net = HopfieldNetwork(X, reg, beta)
        net.retrieve(Q[:2], max_iter=2)
        # tol = 0 with max_iter: rows that converge exactly stop early; time per update
        # counts every row as if it ran all the updates (conservative)
        res = None

        def run(net=net):
            nonlocal res
            res = net.retrieve(Q, max_iter=iters)

        t = best_of(run, repeats)
        per = t / max(int(res.n_steps.max()), 1)
        print(f"  {reg.label:<34}{per * 1e3:10.1f}{per / t_mm:8.2f}"
              f"{int(res.converged.sum()):>7}/{B}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes, one repeat")
    args = ap.parse_args(argv)
    import numba

    spin = os.environ.get("OPENBLAS_THREAD_TIMEOUT", "default (2**28 cycles)")
    print(f"numpy {np.__version__}, numba {numba.__version__}, "
          f"{numba.get_num_threads()} threads; OPENBLAS_THREAD_TIMEOUT = {spin}")
    regs = [Shannon(), Tsallis(1.5), Tsallis(2.0), NormEntropy(2.0), NormEntropy(5.0),
            KSubsets(2)]
    if args.quick:
        bench_step(10_000, 64, 64, 8.0, 1, regs)
        bench_retrieve(2_000, 64, 64, 8.0, 5, 1, regs + [SequentialKSubsets(2, 0.5)])
    else:
        bench_step(100_000, 64, 256, 8.0, 3, regs)
        bench_retrieve(10_000, 64, 256, 8.0, 10, 2, regs + [SequentialKSubsets(2, 0.5)])


if __name__ == "__main__":
    main()
