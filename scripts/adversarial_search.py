"""Adversarial search for the largest error of the maps (outside CI).

For every map and every class of input, hypothesis generates inputs and steers them
with ``target()`` towards the largest error in ulp against an independent reference:
the 50-digit mpmath solutions of ``tests/reference.py`` (softmax, entmax, normmax)
and the exact rational solution of ``tests/exact_capped.py`` (sparsemax, k-subsets,
constrained sparsemax).

The error of an entry is ``|p - p_ref| / ulp(p_ref)`` (relative, for
``p_ref >= 2**-1022``; below that, in units of the smallest subnormal); a support that
differs from the exact one counts as ``inf``.  The absolute error in units of
``2**-52`` (an ulp of 1) is reported as well.

Usage (from the repository root)::

    nice -n 10 python scripts/adversarial_search.py --minutes 30 [--only entmax] \
        [--out adversarial.jsonl]

The budget is split evenly over the (map, class) pairs; each pair runs hypothesis in
rounds of ``--chunk`` examples (fresh seeds) until its share is used, and the worst
input found is printed (and appended to ``--out`` as one JSON line).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from fractions import Fraction

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests"))

import mpmath as mp  # noqa: E402
from hypothesis import HealthCheck, given, settings, target  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import hfy_reference as H  # noqa: E402

TINY = 2.0**-1022


def _ulps(got, ref):
    """(max relative ulp error, max absolute error in ulps of 1) against exact values."""
    rel = 0.0
    ab = 0.0
    for g, r in zip(got, ref, strict=True):
        r = Fraction(r) if not isinstance(r, Fraction) else r
        g = Fraction(float(g))
        if (g > 0) != (float(r) > 0):  # the support of the correctly rounded solution
            return math.inf, math.inf
        d = abs(g - r)
        ab = max(ab, float(d / Fraction(2.0**-52)))
        if r == 0:
            continue
        unit = Fraction(np.spacing(float(r))) if r >= TINY else Fraction(2.0**-1074)
        rel = max(rel, float(d / unit))
    return rel, ab


def _mp_to_frac(x):
    m, e = mp.mpf(x).man_exp
    return Fraction(int(m)) * (Fraction(2) ** int(e)) if e >= 0 else Fraction(int(m), 2 ** int(-e))


# ---------------------------------------------------------------------------------------
# input classes
# ---------------------------------------------------------------------------------------
def _vec(draw, n_max, scale_exp):
    n = draw(st.integers(2, n_max))
    e = draw(st.integers(*scale_exp))
    xs = draw(st.lists(st.floats(-1.0, 1.0, allow_nan=False), min_size=n, max_size=n))
    return np.array(xs) * 10.0**e


@st.composite
def moderate(draw):
    return _vec(draw, 12, (-2, 2))


@st.composite
def wide(draw):
    """Spreads 1e15 ... 1.8e308 with mixed signs, plus a few entries near 0."""
    n = draw(st.integers(2, 10))
    out = []
    for _ in range(n):
        kind = draw(st.integers(0, 2))
        if kind == 0:
            e = draw(st.integers(15, 307))
            out.append(draw(st.sampled_from([-1.0, 1.0])) * draw(st.floats(1.0, 9.99)) * 10.0**e)
        else:
            out.append(draw(st.floats(-3.0, 3.0, allow_nan=False)))
    return np.array(out)


@st.composite
def near_threshold(draw):
    """An entry placed just above (or at) the threshold of sparsemax: tiny probabilities."""
    z = _vec(draw, 8, (-1, 1))
    p = H.sparsemax(z)
    off = z[p == 0]
    if off.size == 0:
        return z
    tau = float(np.max(z[p > 0] - p[p > 0]))
    j = int(np.flatnonzero(p == 0)[0])
    z = z.copy()
    z[j] = tau + draw(st.sampled_from([0.0, 1e-300, 1e-200, 1e-30, 2.0**-60, 1e-17]))
    return z


@st.composite
def huge_exponent(draw):
    """Large differences for softmax: entries e**-700 ... and offsets."""
    z = _vec(draw, 10, (0, 2)) * 7.0
    return z + draw(st.sampled_from([0.0, 1e3, -1e5, 3.3]))


ALPHA_NEAR_1 = st.sampled_from([1e-3, 1e-6, 1e-9, 1e-12, 2.0**-40, 2.0**-48, 2.0**-52]).map(
    lambda d: 1.0 + d)
ALPHA_GENERAL = st.floats(1.05, 8.0)


# ---------------------------------------------------------------------------------------
# maps and their references
# ---------------------------------------------------------------------------------------
def _ref_entmax(z, alpha):
    import reference as R
    return [_mp_to_frac(x) for x in R.entmax(z, alpha)[1]]


def _ref_normmax(z, alpha):
    import reference as R
    return [_mp_to_frac(x) for x in R.normmax(z, alpha)[1]]


def _ref_softmax(z):
    """50-digit softmax; terms below e**-2000 of the maximum are dropped (they change
    the sum by less than 1e-800 relative, and mpmath's exp of -1e308 is very slow)."""
    with mp.workdps(50):
        m = max(float(x) for x in z)
        e = []
        for x in z:
            d = mp.mpf(float(x)) - mp.mpf(m)
            e.append(mp.exp(d) if d > -2000 else mp.mpf(0))
        s = mp.fsum(e)
        return [_mp_to_frac(x / s) for x in e]


def _ref_capped(z, u, K):
    from exact_capped import capped_exact
    return capped_exact(list(z), list(u), K)[1]


def case(map_name, cls):
    """A hypothesis test for one (map, class) pair; returns (test, record)."""
    rec = {"worst": 0.0, "abs": 0.0, "input": None, "n": 0}
    zs = {"moderate": moderate(), "wide": wide(), "near_threshold": near_threshold(),
          "huge_exponent": huge_exponent()}.get(cls, moderate())
    if map_name in ("entmax", "normmax"):
        alphas = ALPHA_NEAR_1 if cls == "alpha_near_1" else ALPHA_GENERAL
        zs = moderate() if cls == "alpha_near_1" else zs
    else:
        alphas = st.just(None)
    extra = st.integers(1, 10)

    @given(zs, alphas, extra, st.data())
    def test(z, alpha, kk, data):
        z = np.asarray(z, dtype=np.float64)
        if map_name == "softmax":
            got, ref = H.softmax(z), _ref_softmax(z)
        elif map_name == "sparsemax":
            got, ref = H.sparsemax(z), _ref_capped(z, [math.inf] * len(z), 1)
        elif map_name == "entmax":
            if cls == "alpha_near_1":
                z = z * data.draw(st.sampled_from([1.0, 100.0]))
            got, ref = H.entmax(z, alpha), _ref_entmax(z, alpha)
        elif map_name == "normmax":
            if cls == "alpha_near_1":  # spreads of order alpha - 1 keep entries alive
                z = z * (alpha - 1.0) * data.draw(st.sampled_from([1.0, 30.0]))
            got, ref = H.normmax(z, alpha), _ref_normmax(z, alpha)
        elif map_name == "ksubsets":
            k = min(kk, len(z))
            got, ref = H.sparsemap_ksubsets(z, k), _ref_capped(z, [1.0] * len(z), k)
        else:  # constrained
            u = np.array(data.draw(st.lists(
                st.sampled_from([0.0, 1e-300, 2.0**-60, 0.2, 0.3, 0.5, 1.0, math.inf]),
                min_size=len(z), max_size=len(z))))
            if math.fsum([*np.minimum(u, 1.0).tolist(), -1.0]) < 0:
                u[0] = math.inf
            got, ref = H.constrained_sparsemax(z, u), _ref_capped(z, u, 1)
        rel, ab = _ulps(got, ref)
        rec["n"] += 1
        target(min(rel, 1e300), label="ulp")
        if rel > rec["worst"] or (rel == rec["worst"] and ab > rec["abs"]):
            rec["worst"], rec["abs"] = rel, ab
            rec["input"] = {"z": [float(x) for x in z], "alpha": alpha,
                            "k": kk if map_name == "ksubsets" else None,
                            "u": [float(x) for x in u] if map_name == "constrained" else None}

    return test, rec


PAIRS = [
    ("softmax", "moderate"), ("softmax", "huge_exponent"), ("softmax", "wide"),
    ("sparsemax", "moderate"), ("sparsemax", "near_threshold"), ("sparsemax", "wide"),
    ("entmax", "moderate"), ("entmax", "alpha_near_1"), ("entmax", "near_threshold"),
    ("normmax", "moderate"), ("normmax", "alpha_near_1"),
    ("ksubsets", "moderate"), ("ksubsets", "near_threshold"), ("ksubsets", "wide"),
    ("constrained", "moderate"), ("constrained", "near_threshold"), ("constrained", "wide"),
]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=30.0)
    ap.add_argument("--chunk", type=int, default=200)
    ap.add_argument("--only", default=None, help="run only the pairs of this map")
    ap.add_argument("--out", default=None, help="append one JSON line per pair")
    args = ap.parse_args(argv)
    if not args.minutes > 0 or args.chunk < 1:
        ap.error("--minutes must be > 0 and --chunk >= 1")
    pairs = [p for p in PAIRS if args.only in (None, p[0])]
    if not pairs:
        ap.error(f"--only must be one of {sorted({p[0] for p in PAIRS})}")
    share = 60.0 * args.minutes / len(pairs)
    np.seterr(all="ignore")
    t_all = time.time()
    for i, (m, c) in enumerate(pairs):
        test, rec = case(m, c)
        run = settings(max_examples=args.chunk, deadline=None, database=None,
                       suppress_health_check=list(HealthCheck))(test)
        t0 = time.time()
        while time.time() - t0 < share:
            run()
        line = {"map": m, "class": c, "examples": rec["n"], "worst_ulp": rec["worst"],
                "abs_ulp_of_1": rec["abs"], "seconds": round(time.time() - t0, 1),
                "input": rec["input"]}
        print(f"[{i + 1}/{len(pairs)}] {m:12s} {c:15s} examples={rec['n']:6d} "
              f"worst={rec['worst']:.3g} ulp (abs {rec['abs']:.3g} ulp of 1)", flush=True)
        if args.out:
            with open(args.out, "a") as f:
                f.write(json.dumps(line) + "\n")
    print(f"total {time.time() - t_all:.0f} s")


if __name__ == "__main__":
    main()
