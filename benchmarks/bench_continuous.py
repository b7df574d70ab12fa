"""Benchmark of hfy_reference.continuous: pdf and rvs in D = 2, closed-form attention.

Usage::

    python benchmarks/bench_continuous.py [--repeat 5] [--n 1000000] [--basis 1000]

Prints median wall times and their ratio to a NumPy softmax over the same number of
entries, timed in the same process (the machine may be shared: read the ratios).
Targets from the issue: pdf / logpdf and rvs of 10⁶ points in D = 2 under 0.5 s each;
the closed-form attention over 10³ basis functions under 1 ms.  Nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from _timing import median_time, np_softmax  # noqa: E402 (benchmarks/ is on sys.path)

from hfy_reference.continuous import EntmaxGaussian, GaussianRBF, attention  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--basis", type=int, default=1000)
    args = ap.parse_args(argv)
    if args.repeat < 1 or args.n < 1 or args.basis < 1:
        ap.error("--repeat, --n and --basis must be >= 1")
    rng = np.random.default_rng(0)
    S = np.array([[1.0, 0.6], [0.6, 0.7]])
    x = rng.standard_normal((args.n, 2))
    z = rng.standard_normal(args.n)
    t_soft = median_time(lambda: np_softmax(z), args.repeat)
    print(f"NumPy softmax over {args.n:,} entries: {t_soft * 1e3:8.2f} ms (the unit below)")
    print(f"{'operation':<44} {'time':>10} {'/softmax':>9} {'target':>8}")
    for alpha in (1.0, 1.5, 2.0):
        p = EntmaxGaussian([0.1, -0.2], S, alpha)
        for name, f in (("pdf", lambda p=p: p.pdf(x)), ("logpdf", lambda p=p: p.logpdf(x)),
                        ("rvs", lambda p=p: p.rvs(args.n, random_state=1))):
            t = median_time(f, args.repeat)
            ok = "ok" if t < 0.5 else "MISSED"
            print(f"{name + f'  D=2, n={args.n:,}, alpha={alpha:g}':<44} {t * 1e3:8.2f} ms "
                  f"{t / t_soft:9.2f} {ok:>8}")
    rbf = GaussianRBF(np.linspace(0, 1, args.basis), 1.5 / args.basis ** 0.5 / 10)
    for alpha in (1.0, 2.0, 1.5, 4 / 3):
        for jac in (False, True):
            t = median_time(lambda a=alpha, j=jac: attention(0.4, 0.01, a, rbf, jacobian=j),
                            args.repeat)
            ok = "ok" if t < 1e-3 else "MISSED"
            label = f"attention J={args.basis}, alpha={alpha:.4g}" + (" +jac" if jac else "")
            print(f"{label:<44} {t * 1e6:8.1f} us {t / t_soft:9.4f} {ok:>8}")
    for alpha in (3.0,):
        t = median_time(lambda a=alpha: attention(0.4, 0.01, a, rbf), args.repeat)
        print(f"{f'attention J={args.basis}, alpha={alpha:g} (Gauss-Jacobi)':<44} "
              f"{t * 1e6:8.1f} us {t / t_soft:9.4f} {'-':>8}")


if __name__ == "__main__":
    main()
