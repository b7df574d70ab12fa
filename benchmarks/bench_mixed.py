"""Benchmark of the mixed distributions: sampling cost against its floor, intrinsic view.

Usage::

    python benchmarks/bench_mixed.py [--repeat 5] [--n 1000000] [--K 10]

Prints, measured in one run (median of ``--repeat``):

* ``GaussianSparsemax.rvs(n)`` at ``K`` against its floor: drawing the same Gaussians
  (``standard_normal`` + Cholesky product + loc) plus one batched sparsemax pass over
  them, and the ratio (target <= 2);
* NumPy softmax over the same (n, K) array, as the library's usual yardstick;
* ``face_probabilities()`` for K = 2, 3, 4 (fresh object each call; target K = 3 < 10 ms);
* ``logpdf`` per point at K = 3, and ``entropy()`` (Gauss rules on every face) at K = 3.

Nothing is asserted: the numbers are for reading (the machine may be shared).
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from _timing import median_time as _median_time  # noqa: E402 (benchmarks/ on sys.path)

from hfy_reference import mixed as M  # noqa: E402
from hfy_reference.maps import sparsemax  # noqa: E402


def median_time(f, repeat):
    return _median_time(f, repeat, min_time=0.0)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="bench_mixed.py")
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--n", type=int, default=1_000_000)
    p.add_argument("--K", type=int, default=10)
    a = p.parse_args(argv)
    if a.repeat < 1 or a.n < 1 or a.K < 2:
        p.error("--repeat >= 1, --n >= 1, --K >= 2")
    rng = np.random.default_rng(0)
    A = rng.standard_normal((a.K, a.K))
    d = M.GaussianSparsemax(rng.standard_normal(a.K), A @ A.T / a.K + 0.1 * np.eye(a.K))
    L = np.linalg.cholesky(d.cov)

    def floor():
        g = np.random.default_rng(1).standard_normal((a.n, a.K))
        return sparsemax(g @ L.T + d.loc, axis=-1)

    def gauss():
        return np.random.default_rng(1).standard_normal((a.n, a.K)) @ L.T + d.loc

    X = gauss()

    def np_softmax():
        e = np.exp(X - X.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)

    t_rvs = median_time(lambda: d.rvs(a.n, random_state=1), a.repeat)
    t_floor = median_time(floor, a.repeat)
    t_gauss = median_time(gauss, a.repeat)
    t_sm = median_time(lambda: sparsemax(X, axis=-1), a.repeat)
    t_soft = median_time(np_softmax, a.repeat)
    print(f"GaussianSparsemax.rvs  n={a.n} K={a.K}")
    print(f"  rvs                         {t_rvs * 1e3:9.1f} ms")
    print(f"  floor (Gaussians + 1 pass)  {t_floor * 1e3:9.1f} ms   ratio rvs/floor "
          f"{t_rvs / t_floor:5.2f}  (target <= 2)")
    print(f"    of which Gaussians        {t_gauss * 1e3:9.1f} ms")
    print(f"    of which sparsemax pass   {t_sm * 1e3:9.1f} ms   "
          f"({t_sm / t_soft:4.2f} x NumPy softmax, {t_soft * 1e3:.1f} ms)")
    print("face_probabilities() (fresh object each call)")
    for K in (2, 3, 4):
        r = np.random.default_rng(K)
        B = r.standard_normal((K, K))
        loc, cov = r.standard_normal(K), B @ B.T / K + 0.2 * np.eye(K)
        t = median_time(lambda loc=loc, cov=cov: M.GaussianSparsemax(loc, cov)
                        .face_probabilities(), a.repeat)
        extra = "  (target < 10 ms)" if K == 3 else ""
        print(f"  K={K}  {t * 1e3:9.3f} ms{extra}")
    d3 = M.GaussianSparsemax([0.2, 0.0, -0.1], 0.4)
    y = d3.rvs(100_000, random_state=0)
    t = median_time(lambda: d3.logpdf(y), a.repeat)
    print(f"logpdf K=3: {t / len(y) * 1e9:.0f} ns per point ({len(y)} points)")
    t = median_time(lambda: M.GaussianSparsemax([0.2, 0.0, -0.1], 0.4).entropy(), a.repeat)
    print(f"entropy() K=3 (Gauss rules, two orders): {t * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
