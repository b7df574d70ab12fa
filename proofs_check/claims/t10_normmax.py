r"""T10: normmax attractors — uniform averages of patterns (math §6 T10).

Raw scores tied at ``c`` on a set S and below ``c`` off S:

* ``normmax_α(βs)`` is uniform on S iff ``β(c − max_{j∉S} s_j) ≥ |S|^{(1−α)/α}``
  (τ with ``|S|(βc − τ)^{α/(α−1)} = 1`` must exclude every j ∉ S);
* entmax analogue: uniform on S iff ``(c − max_{j∉S} s_j) ≥ |S|^{1−α}/((α−1)β)``;
* α → ∞ (``NormEntropy(inf)``): the average ``x̄_S`` of the patterns in S is a fixed
  point of the Hopfield update iff ``supp sparsemax(βX x̄_S) = S``.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from .._num import EPS, log_uniform
from ..registry import Checks, Claim, MapSpec, Subject
from . import _hop as H

SRC = "math §6 T10; Santos et al., HFY networks (JMLR), normmax attractors"


def _threshold(spec: MapSpec, s: int) -> float:
    a = spec.alpha
    if spec.family == "norm":
        return 1.0 / s if math.isinf(a) else s ** ((1 - a) / a)
    return s ** (1 - a) / (a - 1)


def uniform_claim(spec: MapSpec) -> Claim:
    reg = spec.reg

    def generate(rng, idx):
        s = 1 + idx % 4 if idx < 8 else int(rng.integers(1, 7))
        n = s + 1 + int(rng.integers(0, 5))
        beta = log_uniform(rng, 0.1, 10.0)
        thr = _threshold(spec, s)
        inside = idx % 2 == 0
        delta = H.side_delta(rng, 1e-9 if inside else 1e-6, 0.9)
        gap = thr / beta * (1 + delta if inside else 1 - delta)
        cval = float(rng.normal())
        z_raw = np.empty(n)
        z_raw[:s] = cval
        z_raw[s] = cval - gap
        z_raw[s + 1:] = cval - gap - rng.uniform(0, 2, n - s - 1)
        perm = rng.permutation(n)
        z_raw = z_raw[perm]
        S = np.sort(np.argsort(perm)[:s])
        z = beta * z_raw  # the map sees βs; ties stay exact (same float times β)
        # the assumption on the float input: β(c − max) vs the threshold, exactly
        g = Fraction(float(z[S[0]])) - max(Fraction(float(v)) for v in np.delete(z, S))
        holds = g >= Fraction(thr)
        return {"z": z, "S": S, "beta": beta, "threshold": thr, "gap_times_beta": float(g),
                "assumption_holds": bool(holds)}

    def check(inst):
        z, S = inst["z"], inst["S"]
        c = Checks()
        p = np.asarray(reg.argmax(z), dtype=np.float64)
        c.note(y_hat=p)
        off = np.setdiff1d(np.arange(len(z)), S)
        if inst["assumption_holds"]:
            c.true("β(c − max_{j∉S} s_j) ≥ threshold ⇒ zero off S (exactly)",
                   bool(np.all(p[off] == 0.0)))
            c.close("… and uniform on S", p[S], 1.0 / len(S), 2 * EPS)
        else:
            c.true("below the threshold ⇒ mass off S", bool(np.any(p[off] > 0.0)))
        return c

    def boundary(rng, quick):
        rows = []
        refutes = None
        for s in (1, 2, 3, 5):
            thr = _threshold(spec, s)

            def uniform(g, s=s):
                z = np.concatenate([np.zeros(s), [-g, -g - 0.5]])
                p = np.asarray(reg.argmax(z))
                return bool(np.all(p[s:] == 0.0))

            lo, hi = 0.0, 4.0 * thr
            for _ in range(80):
                mid = 0.5 * (lo + hi)
                if mid <= lo or mid >= hi:
                    break
                if uniform(mid):
                    hi = mid
                else:
                    lo = mid
            rows.append({"S": s, "measured": hi, "theory": thr})
            # thr itself is rounded (a power): allow 8 ulps of it
            if abs(hi - thr) > 8 * EPS * thr and refutes is None:
                refutes = {"S": s, "gap_found": hi, "threshold_claimed": thr}
        out = {"status": "fails outside" if refutes is None else "threshold differs",
               "measured": rows[-1]["measured"], "theory": rows[-1]["theory"],
               "probes": rows,
               "note": "smallest gap c − max_{j∉S} s_j (β = 1) with ŷ uniform on S, by "
                       "bisection, for |S| = 1, 2, 3, 5"}
        if refutes is not None:
            out["refutes"] = True
            out["counterexample"] = refutes
        return out

    fam = spec.family
    a = spec.alpha
    txt = ("|S|^{(1−α)/α}" if fam == "norm" and not math.isinf(a) else
           "1/|S|" if fam == "norm" else "|S|^{1−α}/(α−1)")
    return Claim(
        id=f"T10.uniform[{spec.name}]", theorem="T10", kind="theorem", map=spec.name,
        title=f"{spec.name}(βs) uniform on tied set S ⇔ β·gap ≥ {txt}",
        statement=(f"With scores tied at c on S and below c off S, {spec.name}(βs) is the "
                   f"uniform distribution on S exactly when β(c − max_{{j∉S}} s_j) ≥ {txt}."),
        formula=f"ŷ(βs) = 1_S/|S| ⇔ β(c − max_{{j∉S}} s_j) ≥ {txt}",
        source=SRC,
        tolerance=("exact zeros off S, 1/|S| to 2 ulps on S; the gap is 1e-9 (relative) or "
                   "more above the threshold, 1e-6 or more below it; decided on the float "
                   "input with fractions"),
        generate=generate, check=check, boundary=boundary, boundary_decides=True,
        n=(16, 160), method="exact")


def attractor_claim(subject: Subject) -> Claim:
    from hfy_reference import NormEntropy

    spec = MapSpec("inf-normmax", NormEntropy(math.inf), "norm", alpha=math.inf)

    def sparsemax_support(z):
        """math §1: sorted (s) in supp sparsemax(z) iff Σ_{j<s}(z_(j) − z_(s)) < 1
        (exactly, with fractions)."""
        order = np.argsort(-z, kind="stable")
        zs = [Fraction(float(v)) for v in z[order]]
        keep = []
        for s in range(len(zs)):
            if sum((zs[j] - zs[s] for j in range(s)), Fraction(0)) < 1:
                keep.append(int(order[s]))
        return np.sort(np.array(keep))

    def generate(rng, idx):
        n = 2 + idx % 4 if idx < 8 else int(rng.integers(2, 9))
        d = n + int(rng.integers(0, 4))
        X = H.make_patterns(rng, n, d, "unit")
        s = int(rng.integers(1, n + 1))
        S = np.sort(rng.permutation(n)[:s])
        beta = log_uniform(rng, 0.1, 100.0)
        xbar = X[S].mean(axis=0)
        # keep β where the support decision is unambiguous: every math §1 sum at least
        # 1e-9 away from 1 (far above the rounding of the scores)
        for _ in range(200):
            zs = np.sort((beta * xbar) @ X.T)[::-1]
            sums = [float(np.sum(zs[:t] - zs[t])) for t in range(len(zs))]
            if all(abs(v - 1.0) > 1e-9 for v in sums):
                break
            beta *= 1.01
        return {"X": X, "S": S, "beta": beta, "xbar": xbar}

    def check(inst):
        X, S, beta, xbar = inst["X"], inst["S"], inst["beta"], inst["xbar"]
        c = Checks()
        net = subject.hopfield.HopfieldNetwork(X, spec.reg, beta=beta)
        z = np.asarray(net.probabilities(xbar))  # only for the note
        zs = (beta * xbar) @ X.T
        supp = sparsemax_support(zs)
        pred_fixed = np.array_equal(supp, S)
        q1 = np.asarray(net.step(xbar), dtype=np.float64)
        err = float(np.max(np.abs(q1 - xbar)))
        tol = (len(S) + 4) * EPS * float(np.max(np.abs(X))) * 2
        c.note(q1=q1, support_predicted=supp, p=z, error=err)
        if pred_fixed:
            c.leq("supp sparsemax(βX x̄_S) = S ⇒ x̄_S is a fixed point", err, 0.0, tol)
        else:
            c.true("supp sparsemax(βX x̄_S) ≠ S ⇒ x̄_S is not a fixed point", err > tol)
        return c

    return Claim(
        id="T10.inf-attractor[inf-normmax]", theorem="T10", kind="theorem",
        map="inf-normmax", source=SRC,
        title="α → ∞ normmax: x̄_S fixed ⇔ supp sparsemax(βX x̄_S) = S",
        statement=("With NormEntropy(inf) (uniform on the support of sparsemax), the "
                   "average x̄_S of a set of patterns is a fixed point iff the support of "
                   "sparsemax(βX x̄_S) is S."),
        formula="step(x̄_S) = x̄_S ⇔ supp sparsemax(βX x̄_S) = S",
        tolerance=("x̄_S to (|S|+4)·2 ulps of max|X| (averaging order); the support is "
                   "decided exactly on the float scores (math §1 criterion, fractions); "
                   "patterns of full row rank so other averages differ"),
        generate=generate, check=check, n=(12, 120), method="exact",
        requires=("hopfield.HopfieldNetwork",))


def claims(subject: Subject) -> list[Claim]:
    from hfy_reference import NormEntropy

    out = []
    for spec in subject.maps.values():
        if spec.family in ("tsallis", "norm") and spec.margin:
            out.append(uniform_claim(spec))
    out.append(uniform_claim(MapSpec("inf-normmax", NormEntropy(math.inf), "norm",
                                     alpha=math.inf)))
    out.append(attractor_claim(subject))
    return out
