"""Benchmark of learnable α: α per row against one α, ∂p/∂α against the map, and dense
entmax (0 < α < 1) against NumPy softmax, all measured in one run.

Usage::

    python benchmarks/bench_alpha.py [--repeat 5] [--shape 10000x1000] [--no-backends]

Ratios printed (the issue-18 targets in brackets):

* ``per-row / single``: ``entmax(z, alpha_array)`` with every row's α equal to the
  scalar, against ``entmax(z, alpha)`` [<= 1.2]; same for normmax; and a per-row α
  drawn at random from the same family (work differs with α, so this one is for
  reading only);
* ``dalpha / map``: ``entmax_dalpha(z, alpha)`` (which computes the map, then the
  derivative) against ``entmax(z, alpha)`` [<= 1.5]; same for normmax;
* dense entmax (α < 1) against NumPy softmax, and, when torch and the PyPI ``entmax``
  are installed, ``entmax_bisect`` forward and forward+backward with a learnable α
  (float64, CPU).

The median of ``--repeat`` runs is used; on a shared machine the absolute times are
noisy, the ratios measured back to back in one process much less so.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from _timing import median_time as _median_time  # noqa: E402 (benchmarks/ on sys.path)
from _timing import np_softmax  # noqa: E402

import hfy_reference as H  # noqa: E402


def median_time(f, repeat):
    return _median_time(f, repeat, min_time=0.0)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--shape", default="10000x1000")
    ap.add_argument("--no-backends", action="store_true")
    args = ap.parse_args(argv)
    if args.repeat < 1:
        ap.error("--repeat must be >= 1")
    try:
        rows, n = (int(x) for x in args.shape.split("x"))
    except ValueError:
        ap.error(f"--shape must look like 10000x1000; got {args.shape!r}")
    rng = np.random.default_rng(0)
    z = rng.standard_normal((rows, n))
    r = args.repeat
    t_soft = median_time(lambda: np_softmax(z), r)
    print(f"shape {rows}x{n}, median of {r}; NumPy softmax {t_soft * 1e3:.1f} ms")
    print(f"{'map':<10}{'alpha':>8}{'single ms':>11}{'per-row ms':>12}{'ratio':>8}"
          f"{'dalpha ms':>11}{'dalpha/map':>12}")
    for fam, alphas in (("entmax", (1.5, 1.3, 2.0, 3.0, 0.5)), ("normmax", (2.0, 2.5, 5.0))):
        f = getattr(H, fam)
        d = getattr(H, fam + "_dalpha")
        for a in alphas:
            av = np.full(rows, a)
            ts = median_time(lambda f=f, a=a: f(z, a), r)
            tv = median_time(lambda f=f, av=av: f(z, av), r)
            td = median_time(lambda d=d, a=a: d(z, a), r)
            print(f"{fam:<10}{a:>8g}{ts * 1e3:>11.1f}{tv * 1e3:>12.1f}{tv / ts:>8.2f}"
                  f"{td * 1e3:>11.1f}{td / ts:>12.2f}")
    av = rng.uniform(1.2, 2.0, rows)
    tv = median_time(lambda: H.entmax(z, av), r)
    print(f"entmax, alpha ~ U(1.2, 2) per row: {tv * 1e3:.1f} ms "
          f"({tv / t_soft:.1f}x NumPy softmax)")
    for a in (0.5, 0.9):
        t = median_time(lambda a=a: H.entmax(z, a), r)
        print(f"dense entmax alpha={a}: {t * 1e3:.1f} ms ({t / t_soft:.1f}x NumPy softmax)")
    if args.no_backends:
        return 0
    try:
        import torch
        from entmax import entmax_bisect
    except ImportError:
        print("torch / entmax not installed: no backend comparison")
        return 0
    torch.set_num_threads(2)
    X = torch.from_numpy(z)
    for a in (1.5, 0.5):
        A = torch.full((rows, 1), a, dtype=torch.float64)
        t_f = median_time(lambda A=A: entmax_bisect(X, A, dim=-1), r)

        def fb(A=A):
            Xg = X.clone().requires_grad_(True)
            Ag = A.clone().requires_grad_(True)
            P = entmax_bisect(Xg, Ag, dim=-1)
            P.backward(torch.ones_like(P))

        t_fb = median_time(fb, r)
        t_ours = median_time(lambda a=a: H.entmax(z, a), r)
        t_d = median_time(lambda a=a: H.entmax_dalpha(z, a), r)
        print(f"entmax_bisect alpha={a}: forward {t_f * 1e3:.1f} ms (ours "
              f"{t_ours * 1e3:.1f} ms), forward+backward with d/dalpha {t_fb * 1e3:.1f} ms "
              f"(our entmax_dalpha {t_d * 1e3:.1f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
