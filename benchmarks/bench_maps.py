"""Benchmark of the maps: median times and ratios to NumPy softmax, measured in one run.

Usage::

    python benchmarks/bench_maps.py [--repeat 5] [--shapes 1x10 1x100000 1000x100 10000x1000]
                                    [--no-backends] [--accuracy-rows 3]
                                    [--long [N ...]] [--no-memory]

For every shape and map it prints the median wall time, the ratio to a plain NumPy
softmax (``exp(z - max) / sum``) timed in the same process, ``scipy.special.softmax``,
and, when torch and the PyPI ``entmax`` package are installed, their CPU float64 times
for the same map (and our speed-up over them).  It also reports the cold first-call cost
(Numba compilation into an empty cache, in a subprocess), the warm import time, and the
accuracy at that speed: the largest error against a 50-digit mpmath reference on a few
sampled rows, the largest |sum - 1| over all rows (exact sum), and whether the supports
match.  ``--long`` adds one row of N = 10**3 ... 10**7 entries (ms per 10**6 entries,
flat when the time is linear in N) and the peak memory beyond the input at the largest
N.  Nothing here is asserted: the numbers are for reading.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from _timing import median_time, np_softmax  # noqa: E402 (benchmarks/ is on sys.path)

sys.path.insert(0, os.path.join(ROOT, "tests"))

import hfy_reference as H  # noqa: E402

MAPS = {
    "softmax": (lambda z: H.softmax(z), ("softmax", {})),
    "sparsemax": (lambda z: H.sparsemax(z), ("entmax", {"alpha": 2.0})),
    "entmax 1.5": (lambda z: H.entmax(z, 1.5), ("entmax", {"alpha": 1.5})),
    "entmax 1.3": (lambda z: H.entmax(z, 1.3), ("entmax", {"alpha": 1.3})),
    "entmax 3": (lambda z: H.entmax(z, 3.0), ("entmax", {"alpha": 3.0})),
    "normmax 2": (lambda z: H.normmax(z, 2.0), ("normmax", {"alpha": 2.0})),
    "normmax 5": (lambda z: H.normmax(z, 5.0), ("normmax", {"alpha": 5.0})),
    "k-subsets k=5": (lambda z: H.sparsemap_ksubsets(z, min(5, z.shape[-1])),
                      ("capped", {"k": 5})),
    "constrained u=0.3": (lambda z: H.constrained_sparsemax(z, 0.3 if z.shape[-1] > 3 else 1.0),
                          ("capped", {"upper": 0.3})),
    "argmax": (lambda z: H.argmax(z), None),
}


def torch_backends():
    """The same maps in torch (CPU, float64) and the PyPI entmax package, if installed."""
    try:
        import entmax as E
        import torch
    except ImportError:
        return {}
    torch.set_grad_enabled(False)

    def wrap(fn):
        return lambda z: fn(torch.from_numpy(z)).numpy()

    return {
        "softmax": ("torch.softmax", wrap(lambda t: torch.softmax(t, dim=-1))),
        "sparsemax": ("entmax.sparsemax", wrap(lambda t: E.sparsemax(t, dim=-1))),
        "entmax 1.5": ("entmax.entmax15", wrap(lambda t: E.entmax15(t, dim=-1))),
        "entmax 1.3": ("entmax.entmax_bisect", wrap(lambda t: E.entmax_bisect(t, 1.3, dim=-1))),
        "entmax 3": ("entmax.entmax_bisect", wrap(lambda t: E.entmax_bisect(t, 3.0, dim=-1))),
        "normmax 2": ("entmax.normmax_bisect",
                      wrap(lambda t: E.normmax_bisect(t, 2.0, dim=-1))),
        "normmax 5": ("entmax.normmax_bisect",
                      wrap(lambda t: E.normmax_bisect(t, 5.0, dim=-1))),
    }


def accuracy(name, z, p, kind, rows):
    """(max error vs the 50-digit reference on sampled rows, max |sum - target|,
    supports equal) -- or None entries where no reference applies."""
    import reference as R

    if kind is None:
        return None, None, None
    fam, prm = kind
    target = float(prm.get("k", 1)) if fam == "capped" and "k" in prm else 1.0
    if fam == "capped" and "k" in prm:
        target = float(min(prm["k"], z.shape[-1]))
    sum_err = max(abs(math.fsum(row) - target) for row in p)
    if z.shape[-1] > 2000:  # the 50-digit reference is too slow on long rows
        return float("nan"), sum_err, True
    rng = np.random.default_rng(0)
    idx = rng.choice(z.shape[0], size=min(rows, z.shape[0]), replace=False)
    err, same = 0.0, True
    for r in idx:
        zr = z[r]
        if fam == "softmax":
            ref, _ = R.softmax(zr)
        elif fam == "entmax":
            ref, _ = R.entmax(zr, prm["alpha"])
        elif fam == "normmax":
            ref, _ = R.normmax(zr, prm["alpha"])
        elif "k" in prm:
            ref, _ = R.capped(zr, np.ones_like(zr), min(prm["k"], len(zr)))
        else:
            u = prm["upper"] if len(zr) > 3 else 1.0
            ref, _ = R.capped(zr, np.full_like(zr, u), 1)
        err = max(err, float(np.max(np.abs(p[r] - ref))))
        same &= bool(np.array_equal(p[r] > 0, ref > 0))
    return err, sum_err, same


def cold_start():
    """First-call cost into an empty Numba cache, and warm import time (subprocesses)."""
    code = (
        "import time; t0 = time.perf_counter(); import hfy_reference as H; "
        "t1 = time.perf_counter(); import numpy as np; z = np.random.rand(4, 8); "
        "H.softmax(z); H.sparsemax(z); H.entmax(z, 1.3); H.normmax(z, 2.0); "
        "H.sparsemap_ksubsets(z, 2); H.softmax(np.random.rand(64, 1024)); "
        "H.sparsemax(np.random.rand(64, 1024)); t2 = time.perf_counter(); "
        "print(t1 - t0, t2 - t1)"
    )
    out = {}
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        for label in ("cold (empty cache)", "warm (cache filled)"):
            r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                               env=env, cwd=ROOT, check=True)
            imp, first = (float(x) for x in r.stdout.split())
            out[label] = (imp, first)
    return out


_MEM_CODE = """
import sys
import numpy as np
sys.path.insert(0, {root!r})
sys.path.insert(0, {bench!r})
from bench_maps import MAPS


def status(key):
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(key):
                return int(line.split()[1]) * 1024


f = MAPS[{name!r}][0]
f(np.random.default_rng(1).standard_normal(1000))  # compiled / loaded
z = np.random.default_rng(0).standard_normal({n})
before = status("VmRSS:")
with open("/proc/self/clear_refs", "w") as fh:  # reset the peak (VmHWM) to the current RSS
    fh.write("5")
p = f(z)
print((status("VmHWM:") - before) / z.nbytes)
"""


def long_rows(sizes, repeat, memory):
    """One row of N entries: ms per 10**6 entries for each N (linear time means a flat
    line), and the peak memory beyond the input, in units of the input's size
    (measured in a fresh subprocess as the peak resident set during the call, Linux
    ``VmHWM`` reset through ``/proc/self/clear_refs``, minus the resident set before it:
    an output written in full counts as one, a zeroed output of which only the support
    was written as the pages written)."""
    names = [m for m in MAPS if m != "argmax"]
    print("\n== one row of N entries: ms per 10**6 entries"
          + (" | peak memory beyond the input (x input, output included) at the largest N"
             if memory else ""))
    print(f"{'map':18s}" + "".join(f"{'N=' + format(n, '.0e'):>11s}" for n in sizes)
          + (f"{'memory':>9s}" if memory else ""))
    rng = np.random.default_rng(0)
    zs = {n: rng.standard_normal(n) for n in sizes}
    np_line = "".join(
        f"{median_time(lambda z=zs[n]: np_softmax(z), repeat) / n * 1e9:11.2f}"
        for n in sizes)
    print(f"{'(NumPy softmax)':18s}{np_line}")
    for name in names:
        f = MAPS[name][0]
        line = f"{name:18s}"
        for n in sizes:
            t = median_time(lambda f=f, z=zs[n]: f(z), repeat)
            line += f"{t / n * 1e9:11.2f}"
        if memory:
            code = _MEM_CODE.format(root=ROOT, bench=os.path.dirname(os.path.abspath(__file__)),
                                    name=name, n=max(sizes))
            r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                               check=True)
            line += f"{float(r.stdout):9.2f}"
        print(line, flush=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--shapes", nargs="*", default=["1x10", "1x100000", "1000x100", "10000x1000"])
    ap.add_argument("--no-backends", action="store_true", help="skip torch / PyPI entmax")
    ap.add_argument("--accuracy-rows", type=int, default=3)
    ap.add_argument("--no-cold", action="store_true", help="skip the cold-start subprocess")
    ap.add_argument("--long", nargs="*", type=float, metavar="N",
                    help="also time one row of N entries for each N (default "
                         "1e3 1e4 1e5 1e6 1e7: ms per 10**6 entries) and the peak memory "
                         "at the largest N")
    ap.add_argument("--no-memory", action="store_true", help="with --long: skip memory")
    args = ap.parse_args(argv)

    import numba
    import scipy
    import scipy.special

    print(f"numpy {np.__version__}, scipy {scipy.__version__}, numba {numba.__version__}, "
          f"{numba.config.NUMBA_NUM_THREADS} threads, {os.cpu_count()} cores")
    if not args.no_cold:
        for label, (imp, first) in cold_start().items():
            print(f"{label:20s}: import hfy_reference {imp:6.3f} s, first calls {first:7.2f} s")
    backends = {} if args.no_backends else torch_backends()
    if backends:
        import entmax
        import torch

        print(f"torch {torch.__version__} ({torch.get_num_threads()} threads), "
              f"entmax {getattr(entmax, '__version__', '?')}")

    rng = np.random.default_rng(0)
    for shape_s in args.shapes:
        shape = tuple(int(x) for x in shape_s.split("x"))
        z = rng.standard_normal(shape)
        base = median_time(lambda z=z: np_softmax(z), args.repeat)
        sp = median_time(lambda z=z: scipy.special.softmax(z, axis=-1), args.repeat)
        print(f"\n== shape {shape_s}: NumPy softmax {base * 1e3:9.3f} ms (=1), "
              f"scipy.special.softmax {sp * 1e3:9.3f} ms ({sp / base:5.2f}x)")
        print(f"{'map':18s} {'ms':>10s} {'/np':>6s}  {'max err vs 50-digit':>20s} "
              f"{'max|sum-1|':>11s} {'supp':>5s}  {'backend':28s} {'ms':>10s} {'speed-up':>8s}")
        for name, (f, kind) in MAPS.items():
            t = median_time(lambda f=f, z=z: f(z), args.repeat)
            p = f(z)
            err, serr, same = accuracy(name, z, p, kind, args.accuracy_rows)
            if err is None:  # no reference for this map (argmax)
                acc = f"{'':20s} {'':11s} {'':5s}"
            elif math.isnan(err):
                acc = f"{'n/a (N > 2000)':>20s} {serr:11.1e} {'':5s}"
            else:
                acc = f"{err:20.1e} {serr:11.1e} {'ok' if same else 'DIFF':>5s}"
            line = f"{name:18s} {t * 1e3:10.3f} {t / base:6.2f}  {acc}"
            if name in backends:
                bname, bf = backends[name]
                reps = 1 if z.size >= 10**6 and "bisect" in bname else max(1, args.repeat // 2)
                tb = median_time(lambda bf=bf, z=z: bf(z), reps, min_time=0.0)
                line += f"  {bname:28s} {tb * 1e3:10.3f} {tb / t:7.1f}x"
            print(line, flush=True)
    if args.long is not None:
        sizes = [int(n) for n in (args.long or [1e3, 1e4, 1e5, 1e6, 1e7])]
        long_rows(sizes, args.repeat, not args.no_memory)


if __name__ == "__main__":
    main()
