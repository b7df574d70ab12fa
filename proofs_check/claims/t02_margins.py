r"""T2: margins (math §3).

The margin of ``L_Ω`` is the smallest ``m ≥ 0`` with
``L(z; e_i) = 0 ⇔ ŷ_Ω(z) = e_i ⇔ z_i − max_{j≠i} z_j ≥ m``.  math §1: ``m = 1/(α−1)`` for
α-entmax, ``m = 1`` for α-normmax, structured margin 1 for k-subsets (``μ = a_y ⇔
min_{i∈y} z_i − max_{j∉y} z_j ≥ 1``), none for softmax.

Instances put the gap ``g`` exactly (z = [g, 0, −r…] has ``z_i − max_{j≠i} z_j = g``
with no rounding) on both sides of ``m``: ``g = m(1 ± δ)`` with δ from one ulp to 10.
The boundary search bisects on ``g`` for the smallest float gap with a one-hot output
and compares it with ``m`` (to the ulp: the maps decide their support exactly).
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from .._num import EPS, log_uniform
from ..registry import Checks, Claim, MapSpec, Subject

TOL_TEXT = (
    "one-hot means exactly: entries off i are exactly 0 (the maps return exact zeros off "
    "their support) and |ŷ_i − 1| ≤ 2 ulps; off the margin ŷ must still be a distribution "
    "(Σŷ = 1 to 2(N+1) ulps); L(z; e_i) = 0 means ≤ 4 ulps of max|z|; the bisected "
    "threshold must equal m to 2 ulps of m."
)


def _gap_side(rng, m, i):
    """(gap, inside) with gap = m(1 ± δ), δ ∈ {0, 1 ulp, log-uniform}; inside ⇔ g ≥ m."""
    inside = i % 2 == 0
    r = rng.random()
    if inside:
        if r < 0.25:
            g = m
        elif r < 0.4:
            g = float(np.nextafter(m, math.inf))
        else:
            g = m * (1.0 + log_uniform(rng, 1e-12, 10.0))
    else:
        if r < 0.25:
            g = float(np.nextafter(m, 0.0))
        else:
            g = m * (1.0 - log_uniform(rng, 1e-12, 0.999))
    return g, inside


def _exact_margin(spec: MapSpec) -> Fraction:
    if spec.family == "tsallis":
        return Fraction(1) / (Fraction(spec.alpha) - 1)
    if spec.family == "custom":
        return Fraction(spec.ref.margin(spec.reg))
    return Fraction(1)


def make_margin_claim(spec: MapSpec) -> Claim:
    reg = spec.reg
    m = spec.margin
    m_exact = _exact_margin(spec)
    k = spec.k or 1

    def generate(rng, i):
        n = k + 1 + (i // 2) % 3 if i < 12 else int(rng.integers(k + 1, 11))
        g, _ = _gap_side(rng, m, i)
        scale = float(rng.choice([0.1, 1.0, 10.0]))
        z = -rng.uniform(0.0, 3.0, n) * scale * m
        top = rng.permutation(n)[:k]
        rest = np.setdiff1d(np.arange(n), top)
        z[rest[0]] = 0.0  # the runner-up
        if rng.random() < 0.3 and len(rest) > 1:
            z[rest[1]] = 0.0  # tie at the runner-up
        z[top] = g
        if k > 1 and rng.random() < 0.5:  # unequal top scores, same minimum
            z[top[1:]] = g + rng.uniform(0, 2, k - 1) * m
        inside = Fraction(float(z[top].min())) - Fraction(0.0) >= m_exact
        return {"z": z, "top": np.sort(top), "gap": g, "inside": bool(inside)}

    def check(inst):
        z, top, inside = inst["z"], inst["top"], inst["inside"]
        n = len(z)
        c = Checks()
        c.close("reg.margin = contract's margin", float(reg.margin), m, 2 * EPS * m)
        p = np.asarray(reg.argmax(z), dtype=np.float64)
        c.note(y_hat=p)
        a = np.zeros(n)
        a[top] = 1.0
        off = np.setdiff1d(np.arange(n), top)
        if inside:
            c.true("gap ≥ m ⇒ entries off the top set exactly 0", bool(np.all(p[off] == 0.0)))
            c.close("gap ≥ m ⇒ ŷ = e_i (a_y)", p[top], 1.0, 2 * EPS)
            L = float(reg.loss(z, a))
            c.leq("gap ≥ m ⇒ L(z; e_i) = 0", L, 0.0, 4 * EPS * float(np.max(np.abs(z))))
        else:
            if inst["gap"] <= m * (1 - 1e-12):
                # the exact off-top mass is ≥ ~δ^max(1, 1/(α−1)) > 0; the maps return exact
                # zeros only off their support, so it must show (1 ulp below m the exact
                # deviation is itself an ulp: only validity is checked there)
                c.true("gap < m ⇒ ŷ ≠ e_i (mass off the top set)",
                       bool(np.any(p[off] > 0.0)))
            c.close("ŷ is a distribution (Σ = total)", math.fsum(p), spec.total,
                    2 * (n + 1) * EPS * spec.total)
            c.geq("ŷ ≥ 0", float(p.min()), 0.0)
            if inst["gap"] <= m * (1 - 1e-4):  # L ~ δ^(1+1/(α−1)) ≫ rounding there
                c.true("gap ≤ m(1−1e-4) ⇒ L(z; e_i) > 0", bool(float(reg.loss(z, a)) > 0.0))
        return c

    def one_hot(g, n=4):
        z = np.zeros(n)
        z[:k] = g
        z[-1] = -0.5 * m
        p = np.asarray(reg.argmax(z), dtype=np.float64)
        return bool(np.all(p[k:] == 0.0)), p

    def boundary(rng, quick):
        lo, hi = 0.0, 4.0 * m
        if not one_hot(hi)[0]:
            return {"status": "holds outside", "refutes": True, "note": "no one-hot at 4m",
                    "counterexample": {"gap": hi, "y_hat": one_hot(hi)[1]}}
        steps = 0
        while float(np.nextafter(lo, math.inf)) < hi and steps < 2000:
            mid = 0.5 * (lo + hi)
            if mid <= lo or mid >= hi:
                break
            if one_hot(mid)[0]:
                hi = mid
            else:
                lo = mid
            steps += 1
        measured = hi
        ok = abs(measured - m) <= 2 * EPS * m
        res = {
            "status": "fails outside" if ok else "threshold differs",
            "measured": measured,
            "theory": m,
            "relative_difference": (measured - m) / m,
            "probes": steps,
            "just_below": {"gap": lo, "y_hat": one_hot(lo)[1]},
            "note": "smallest float gap g with ŷ([g,…,0,0,−m/2]) one-hot (bisection)",
        }
        if not ok:
            res["refutes"] = True
            res["counterexample"] = {"gap_found": measured, "margin_claimed": m,
                                     "y_hat_at_margin": one_hot(m)[1]}
        return res

    structured = spec.family == "ksubsets"
    what = (f"μ = a_y ⇔ min_{{i∈y}} z_i − max_{{j∉y}} z_j ≥ {m:g} (k = {k})" if structured
            else f"ŷ(z) = e_i ⇔ L(z;e_i) = 0 ⇔ z_i − max_{{j≠i}} z_j ≥ m = {m:g}")
    return Claim(
        id=f"T2.margin[{spec.name}]",
        theorem="T2",
        title=f"margin of {spec.name} is {m:g}",
        statement=(
            f"The FY loss of {spec.name} has margin {m:g}: the output is "
            f"{'the top-k indicator' if structured else 'one-hot'} exactly when the gap "
            f"reaches {m:g}, and {m:g} is the smallest such number."
        ),
        formula=what,
        source=("math §3, §2 (structured margin); Blondel et al. (JMLR 2020) Prop. 6 "
                "(entmax m = 1/(α−1)); Santos et al. (ICML 2024) (normmax m = 1)"),
        kind="theorem",
        tolerance=TOL_TEXT,
        generate=generate,
        check=check,
        boundary=boundary,
        boundary_decides=True,
        n=(20, 200), method="exact",
        map=spec.name,
    )


def make_softmax_claim(spec: MapSpec) -> Claim:
    reg = spec.reg

    def generate(rng, i):
        n = 2 + i % 4 if i < 8 else int(rng.integers(2, 11))
        g = log_uniform(rng, 1e-6, 700.0)
        z = -rng.uniform(0, 1, n) * max(700.0 - g, 0.0)  # all gaps to z_i stay ≤ 700
        z[0] = g
        z[1] = 0.0
        return {"z": z[rng.permutation(n)], "gap": g}

    def check(inst):
        z = inst["z"]
        c = Checks()
        c.true("reg.margin is None (no margin)", reg.margin is None)
        p = np.asarray(reg.argmax(z), dtype=np.float64)
        c.note(y_hat=p)
        c.true("softmax(z) > 0 everywhere (never one-hot)", bool(np.all(p > 0.0)))
        i = int(np.argmax(z))
        e = np.zeros(len(z))
        e[i] = 1.0
        if inst["gap"] <= 30.0:  # L = log(1 + Σe^(z_j−z_i)) ≥ e^(−30) ≫ eps·max|z|
            c.true("L(z; e_i) > 0 (gap ≤ 30)", bool(float(reg.loss(z, e)) > 0.0))
        return c

    return Claim(
        id=f"T2.no-margin[{spec.name}]",
        theorem="T2",
        title="cross-entropy has no margin",
        statement=("Softmax is never one-hot: for every finite gap every entry is > 0 "
                   "(checked for gaps up to 700, where e^(−gap) is still a normal float64) "
                   "and L(z; e_i) > 0 (checked up to gap 30, beyond which L < eps·|z|)."),
        formula="∀ g < ∞: softmax(z) > 0, L(z; e_i) > 0",
        source="math §3; Blondel et al. (JMLR 2020), corollary on cross-entropy",
        kind="theorem",
        tolerance="exact: every entry strictly positive, L strictly positive",
        generate=generate,
        check=check,
        n=(10, 100),
        map=spec.name,
    )


def claims(subject: Subject) -> list[Claim]:
    out = []
    for spec in subject.maps.values():
        if spec.family == "shannon":
            out.append(make_softmax_claim(spec))
        elif spec.margin:
            out.append(make_margin_claim(spec))
    return out
