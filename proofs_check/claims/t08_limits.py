r"""T8: limits and regularization paths (math §1, §6 T8).

* α-entmax: α → 1 gives softmax (first-order convergence), α → ∞ gives argmax (exactly,
  uniform on tied maxima, as soon as (α−1)·gap ≥ 1);
* α-normmax: α → 1⁺ gives argmax, α → ∞ gives the uniform distribution on the support
  of sparsemax (``NormEntropy(inf)`` exactly);
* β → ∞ gives argmax (exactly once β·gap ≥ m for the sparse maps; softmax within
  ``Σ_{j≠i} e^{−β(z_i − z_j)}``), β → 0 gives the barycenter (uniform, or (k/N)1 for
  k-subsets) within ``β‖z − z̄‖/σ`` where Ω is σ-strongly convex;
* the support of ŷ(βz) only shrinks as β grows, and changes exactly at the math §1
  thresholds: the sorted entry (s) is in the support iff
  ``Σ_{j<s} ((α−1)β(z_(j) − z_(s)))^{1/(α−1)} < 1`` (entmax),
  ``Σ_{j<s} (β(z_(j) − z_(s)))^{α/(α−1)} < 1`` (normmax); k-subsets: the support
  shrinks, the saturated set grows, and μ is the top-k indicator once
  ``β(z_(k) − z_(k+1)) ≥ 1``;
* ``theory.support_change_temperatures`` returns exactly these temperatures, and the
  path is constant between them.
"""

from __future__ import annotations

import math

import numpy as np

from .._num import EPS, gamma, log_uniform
from ..registry import Checks, Claim, MapSpec, Subject

SRC = "math §1, §6 T8; Peters et al. (ACL 2019); Santos et al. (ICML 2024)"


def _spaced_scores(rng, n, min_gap=1e-3, tie_prob=0.2, scale=1.0):
    """Descending scores with distinct values at least ``min_gap·scale`` apart (exact ties
    allowed with probability ``tie_prob``), shuffled."""
    inc = np.where(rng.random(n - 1) < tie_prob, 0.0,
                   rng.uniform(min_gap, 1.0, n - 1)) * scale
    z = float(rng.normal()) * scale - np.concatenate([[0.0], np.cumsum(inc)])
    return z[rng.permutation(n)]


def _pattern(p):
    """Sign pattern of a map's output: 0 (zero), 1 (free), 2 (saturated at 1)."""
    p = np.asarray(p)
    return np.where(p == 0.0, 0, np.where(p == 1.0, 2, 1))


def _spec_temperatures(z, spec: MapSpec):
    """[(T_s, indices of the sorted entry (s) and its ties)]: entry (s) is in the support
    of ŷ(z/T) iff T > T_s (math §1 formulas, evaluated independently of the library)."""
    order = np.argsort(-z, kind="stable")
    zs = z[order]
    out = []
    a = spec.alpha
    seen = set()
    for s in range(1, len(zs)):
        if zs[s] in seen:
            continue
        d = zs[:s] - zs[s]
        d = d[d > 0]
        if d.size == 0:
            continue
        seen.add(zs[s])
        if spec.family == "tsallis":
            e = 1.0 / (a - 1.0)
            T = (a - 1.0) * math.fsum((d**e).tolist()) ** (a - 1.0)
        else:
            e = a / (a - 1.0)
            T = math.fsum((d**e).tolist()) ** (1.0 / e)
        out.append((T, np.flatnonzero(z == zs[s])))
    return out


# ---------------------------------------------------------------------------------------
def entmax_alpha_claims(spec_any: MapSpec) -> list[Claim]:
    from hfy_reference import Shannon, Tsallis, argmax

    def gen1(rng, i):
        n = 2 + i % 5 if i < 10 else int(rng.integers(2, 11))
        return {"z": _spaced_scores(rng, n, tie_prob=0.0, scale=float(rng.uniform(0.3, 3)))}

    def check1(inst):
        z = inst["z"]
        c = Checks()
        ref = np.asarray(Shannon().argmax(z))
        errs = []
        for k in range(2, 7):
            errs.append(float(np.max(np.abs(np.asarray(Tsallis(1 + 10.0**-k).argmax(z)) - ref))))
        c.note(errors_for_alpha_minus_1_1e2_to_1e6=errs)
        for a, b in zip(errs[:-1], errs[1:], strict=True):
            c.true("error decreases as α → 1", b < a)
        # first order: the ratio of successive errors is ~10 (within a factor 2), as long
        # as the error is far above the rounding of the maps (4 ulps)
        for a, b in zip(errs[:-1], errs[1:], strict=True):
            if b > 1e3 * EPS:
                c.geq("order-1 convergence: err(δ)/err(δ/10) ≥ 5", a / b, 5.0)
                c.leq("order-1 convergence: err(δ)/err(δ/10) ≤ 20", a / b, 20.0)
        c.metric(err_at_alpha_1_plus_1e6=errs[-1])
        return c

    def gen2(rng, i):
        n = 2 + i % 5 if i < 10 else int(rng.integers(2, 11))
        t = int(rng.integers(1, min(3, n - 1) + 1)) if n > 2 else 1
        g = log_uniform(rng, 1e-2, 10.0)
        z = -g - rng.uniform(0, 3, n)
        z[:t] = 0.0
        z[t] = -g
        return {"z": z[rng.permutation(n)], "gap": g, "ties": t,
                "delta": log_uniform(rng, 1e-8, 10.0)}

    def check2(inst):
        z, g, t = inst["z"], inst["gap"], inst["ties"]
        c = Checks()
        top = np.flatnonzero(z == z.max())
        expected = np.zeros(len(z))
        expected[top] = 1.0 / t
        c.close("argmax(z) = uniform on the maxima", np.asarray(argmax(z)), expected, 2 * EPS)
        c.close("Tsallis(inf) = argmax", np.asarray(Tsallis(math.inf).argmax(z)), expected,
                2 * EPS)
        a0 = 1.0 + (1.0 + inst["delta"]) / g
        for a in (a0, 10 * a0, 1e4 * a0):
            p = np.asarray(Tsallis(a).argmax(z))
            c.true(f"(α−1)·gap ≥ 1 ⇒ exact zeros off the maxima (α={a:.3g})",
                   bool(np.all(np.delete(p, top) == 0.0)))
            c.close("… and uniform on the maxima", p[top], 1.0 / t, 2 * EPS)
        return c

    common = dict(theorem="T8", kind="theorem", source=SRC, map="entmax")
    return [
        Claim(id="T8.alpha-to-1[entmax]", title="α-entmax → softmax as α → 1",
              statement="α-entmax converges to softmax as α → 1, at first order in α − 1.",
              formula="‖entmax_{1+δ}(z) − softmax(z)‖∞ = Θ(δ), δ = 1e-2 … 1e-6",
              tolerance=("errors decrease and successive ratios (δ/10 steps) lie in "
                         "[5, 20] while the error exceeds 1000 ulps"),
              generate=gen1, check=check1, n=(8, 60), **common),
        Claim(id="T8.alpha-to-inf[entmax]", title="α-entmax → argmax as α → ∞",
              statement=("α-entmax equals the argmax (uniform on tied maxima) exactly once "
                         "(α−1)·gap ≥ 1, hence for all large α; Tsallis(inf) is the argmax."),
              formula="(α−1)(z_max − z_next) ≥ 1 ⇒ entmax_α(z) = 1_T/|T|, T = argmax set",
              tolerance="exact zeros off the maxima, entries 1/|T| to 2 ulps",
              generate=gen2, check=check2, n=(10, 100), **common),
    ]


def normmax_alpha_claim() -> Claim:
    from hfy_reference import NormEntropy

    def gen(rng, i):
        s = 1 + i % 4 if i < 8 else int(rng.integers(1, 6))
        n_off = int(rng.integers(1, 5))
        u = rng.dirichlet(np.ones(s)) * 0.8 + 0.2 / s  # gaps z_i − τ ≥ 0.2/s, Σ = 1
        tau = float(rng.normal())
        z_on = tau + u
        z_off = tau - rng.uniform(0.1, 2.0, n_off)
        z = np.concatenate([z_on, z_off])
        perm = rng.permutation(len(z))
        return {"z": z[perm], "support": np.sort(np.argsort(perm)[:s])}

    def check(inst):
        z, S = inst["z"], inst["support"]
        c = Checks()
        uni = np.zeros(len(z))
        uni[S] = 1.0 / len(S)
        # math §1: (s) in sparsemax's support iff Σ_{j<s}(z_(j) − z_(s)) < 1; by construction
        # the support is S (z_i − τ > 0 on S with Σ = 1, z_j < τ off S)
        p_inf = np.asarray(NormEntropy(math.inf).argmax(z))
        c.close("NormEntropy(inf) = uniform on supp sparsemax(z)", p_inf, uni,
                2 * (len(z) + 1) * EPS)
        errs = [float(np.max(np.abs(np.asarray(NormEntropy(a).argmax(z)) - uni)))
                for a in (10.0, 100.0, 1000.0, 10000.0)]
        c.note(errors_alpha_10_to_1e4=errs)
        for a, b in zip(errs[:-1], errs[1:], strict=True):
            c.true("normmax_α → uniform on the support as α → ∞ (error decreases)",
                   b < a or b <= 4 * EPS)
        # α → 1⁺: argmax (gap ≥ 1 one-hot for every α; smaller gaps decay like
        # (1 − gap)^(1/(α−1)))
        top = int(np.argmax(z))
        e = np.zeros(len(z))
        e[top] = 1.0
        if np.sum(z == z.max()) == 1:
            errs1 = [float(np.max(np.abs(np.asarray(NormEntropy(1 + d).argmax(z)) - e)))
                     for d in (1e-1, 1e-2, 1e-3)]
            c.note(errors_alpha_1_plus_1e1_to_1e3=errs1)
            for a, b in zip(errs1[:-1], errs1[1:], strict=True):
                c.true("normmax_α → argmax as α → 1⁺ (error decreases)", b < a or b == 0.0)
        return c

    return Claim(
        id="T8.alpha-limits[normmax]", theorem="T8", kind="theorem", source=SRC,
        map="normmax", title="α-normmax → uniform on sparsemax support / argmax",
        statement=("NormEntropy(inf) is the uniform distribution on the support of "
                   "sparsemax(z); α-normmax tends to it as α → ∞ and to argmax as α → 1⁺."),
        formula="normmax_∞(z) = 1_S/|S|, S = supp sparsemax(z); normmax_α → it (α → ∞)",
        tolerance="NormEntropy(inf): 2(N+1) ulps; limits: errors decrease along α",
        generate=gen, check=check, n=(8, 80))


# ---------------------------------------------------------------------------------------
def beta_claims(spec: MapSpec) -> list[Claim]:
    reg = spec.reg
    m = spec.margin
    k = spec.k or 1

    def gen_inf(rng, i):
        n = k + 1 + i % 4 if i < 8 else int(rng.integers(k + 1, 11))
        z = _spaced_scores(rng, n, min_gap=1e-2, tie_prob=0.0,
                           scale=float(rng.uniform(0.3, 3)))
        return {"z": z, "delta": log_uniform(rng, 1e-8, 1.0)}

    def check_inf(inst):
        z = inst["z"]
        n = len(z)
        c = Checks()
        order = np.argsort(-z)
        top = order[:k]
        gap = float(z[order[k - 1]] - z[order[k]])
        a = np.zeros(n)
        a[top] = 1.0
        if m:
            b_hi = (m / gap) * (1 + inst["delta"])
            b_lo = (m / gap) * (1 - inst["delta"] / 2)
            c.close("β·gap ≥ m ⇒ ŷ(βz) = argmax (top-k indicator) exactly",
                    np.asarray(reg.argmax(b_hi * z)), a, 2 * EPS)
            c.true("… exact zeros off the top", bool(np.all(
                np.delete(np.asarray(reg.argmax(b_hi * z)), top) == 0.0)))
            c.true("β·gap < m ⇒ not yet the argmax",
                   bool(np.any(np.delete(np.asarray(reg.argmax(b_lo * z)), top) > 0.0)))
        else:  # softmax: 1 − p_i ≤ Σ_{j≠i} e^{−β(z_i − z_j)}
            i = int(top[0])
            prev = math.inf
            for b in np.geomspace(1.0, 600.0 / gap, 8):
                p = np.asarray(reg.argmax(b * z))
                bound = math.fsum(np.exp(-b * (z[i] - np.delete(z, i))).tolist())
                c.leq("1 − softmax(βz)_i ≤ Σ_{j≠i} e^{−β(z_i−z_j)}", 1.0 - p[i], bound,
                      2 * EPS + 4 * gamma(n + 2) * bound)
                err = float(np.max(np.abs(p - a)))
                c.true("error decreases as β grows", err <= prev)
                prev = err
        return c

    sig = spec.sigma

    def gen_0(rng, i):
        n = k + 1 + i % 4 if i < 8 else int(rng.integers(k + 1, 11))
        return {"z": rng.normal(size=n) * float(rng.uniform(0.3, 3))}

    def check_0(inst):
        z = inst["z"]
        n = len(z)
        c = Checks()
        u = np.full(n, spec.total / n)
        dev = float(np.linalg.norm(z - z.mean()))
        errs = []
        # β·(max z − min z)·N ≤ 1e-2: every map has full support there and is analytic,
        # so the first-order term dominates (the limit, not the sparse regime)
        rng_z = float(z.max() - z.min())
        for b in 10.0 ** -np.arange(2, 8) / (n * rng_z):
            p = np.asarray(reg.argmax(b * z))
            err = float(np.linalg.norm(p - u))
            errs.append(err)
            if sig is not None:
                c.leq("‖ŷ(βz) − u‖₂ ≤ β‖z − z̄‖₂/σ", err, b * dev / sig,
                      2 * (n + 1) * EPS * spec.total)
        c.note(errors_beta_1e2_to_1e7_over_N_range=errs)
        for a, b in zip(errs[:-1], errs[1:], strict=True):
            if b > 1e3 * EPS:
                c.geq("order 1 in β: err(β)/err(β/10) ≥ 5", a / b, 5.0)
                c.leq("order 1 in β: err(β)/err(β/10) ≤ 20", a / b, 20.0)
        return c

    common = dict(theorem="T8", kind="theorem", source=SRC, map=spec.name)
    bar = "(k/N)1" if spec.family == "ksubsets" else "u = 1/N"
    out = [
        Claim(id=f"T8.beta-to-0[{spec.name}]", title=f"{spec.name}: β → 0 gives {bar}",
              statement=(f"ŷ(βz) tends to the barycenter {bar} as β → 0, at first order; "
                         + ("within β‖z − z̄‖/σ (ŷ is 1/σ-Lipschitz and shift-invariant)"
                            if sig else "")),
              formula=(f"‖ŷ(βz) − {bar}‖₂ ≤ β‖z − z̄‖₂/σ, σ = {sig:g}" if sig else
                       f"‖ŷ(βz) − {bar}‖ = Θ(β)"),
              tolerance=("β = 10^-k/(N·(max z − min z)), k = 2..7; bound: 2(N+1) ulps of the "
                         "total; order: successive ratios in [5, 20] while the error exceeds "
                         "1000 ulps"),
              generate=gen_0, check=check_0, n=(8, 60), **common),
        Claim(id=f"T8.beta-to-inf[{spec.name}]",
              title=f"{spec.name}: β → ∞ gives argmax",
              statement=("ŷ(βz) is exactly the argmax (top-k indicator) once β·gap ≥ m, and "
                         "not before" if m else
                         "softmax(βz) → argmax with 1 − p_max ≤ Σ_{j≠i} e^{−β(z_i − z_j)}"),
              formula=("β(z_(k) − z_(k+1)) ≥ m ⇔ ŷ(βz) = a_top" if m else
                       "1 − softmax(βz)_i ≤ Σ_{j≠i} e^{−β(z_i − z_j)} → 0"),
              tolerance=("exact zeros off the top, top entries 1 to 2 ulps; β chosen "
                         "1e-8 (relative) or more from m/gap, far above the rounding of βz"
                         if m else "2 ulps + 4γ_{N+2} of the bound"),
              generate=gen_inf, check=check_inf, n=(8, 60), **common),
    ]
    return out


# ---------------------------------------------------------------------------------------
def path_claim(spec: MapSpec) -> Claim:
    reg = spec.reg

    def gen(rng, i):
        n = 3 + i % 5 if i < 10 else int(rng.integers(3, 13))
        return {"z": _spaced_scores(rng, n, scale=float(rng.uniform(0.3, 3)))}

    def check(inst):
        z = inst["z"]
        c = Checks()
        temps = _spec_temperatures(z, spec)
        c.note(spec_temperatures=[t for t, _ in temps])
        for T, idx in temps:
            for d, inside in ((1e-9, True), (-1e-9, False)):
                p = np.asarray(reg.argmax(z / (T * (1 + d))))
                if inside:
                    c.true("T slightly above T_s ⇒ entry (s) and its ties in the support",
                           bool(np.all(p[idx] > 0.0)))
                else:
                    c.true("T slightly below T_s ⇒ entry (s) and its ties out",
                           bool(np.all(p[idx] == 0.0)))
        # nested supports along a grid of β, equal to the contract's prediction
        tmax = max([t for t, _ in temps] + [1.0])
        grid = np.geomspace(tmax * 4, tmax * 1e-3, 25)
        prev = None
        for T in grid:
            if any(abs(T / t - 1) < 1e-6 for t, _ in temps):
                continue
            p = np.asarray(reg.argmax(z / T))
            supp = p > 0.0
            pred = np.zeros(len(z), bool)
            pred[z == z.max()] = True
            for t, idx in temps:
                if T > t:
                    pred[idx] = True
            c.true("support of ŷ(z/T) = {(s): T > T_s} (math §1)", bool(np.all(supp == pred)))
            if prev is not None:
                c.true("support only shrinks as β grows", bool(np.all(supp <= prev)))
            prev = supp
        return c

    fam = ("Σ_{j<s}((α−1)β(z_(j)−z_(s)))^{1/(α−1)} < 1" if spec.family == "tsallis"
           else "Σ_{j<s}(β(z_(j)−z_(s)))^{α/(α−1)} < 1")
    return Claim(
        id=f"T8.path[{spec.name}]", theorem="T8", kind="theorem", source=SRC,
        map=spec.name, title=f"{spec.name}: support path, exact thresholds",
        statement=("The support of ŷ(βz) only shrinks as β grows, and the sorted entry (s) "
                   "is in it exactly when the math §1 inequality holds."),
        formula=f"(s) ∈ supp ŷ(βz) ⇔ {fam}",
        tolerance=("thresholds evaluated with fsum; the support is probed at T_s(1 ± 1e-9), "
                   "far outside the rounding of βz (distinct scores ≥ 1e-3·scale apart)"),
        generate=gen, check=check, n=(8, 80))


def ksubsets_path_claim(spec: MapSpec) -> Claim:
    reg = spec.reg
    k = spec.k

    def gen(rng, i):
        n = k + 2 + i % 4 if i < 8 else int(rng.integers(k + 1, 12))
        return {"z": _spaced_scores(rng, n, scale=float(rng.uniform(0.3, 3))),
                "delta": log_uniform(rng, 1e-8, 1.0)}

    def check(inst):
        z = inst["z"]
        n = len(z)
        c = Checks()
        order = np.argsort(-z, kind="stable")
        gap = float(z[order[k - 1]] - z[order[k]])
        grid = np.geomspace(1e-4, 1e3 / max(gap, 1e-3), 30)
        prev = None
        for b in grid:
            mu = np.asarray(reg.argmax(b * z))
            pat = _pattern(mu)
            if prev is not None:
                c.true("support shrinks as β grows", bool(np.all((pat > 0) <= (prev > 0))))
                c.true("saturated set grows as β grows",
                       bool(np.all((prev == 2) <= (pat == 2))))
            prev = pat
        if gap > 0:
            a = np.zeros(n)
            a[order[:k]] = 1.0
            b = (1 + inst["delta"]) / gap
            c.close("β(z_(k) − z_(k+1)) ≥ 1 ⇒ μ = top-k indicator", np.asarray(reg.argmax(b * z)),
                    a, 2 * EPS)
            b = (1 - inst["delta"] / 2) / gap
            c.true("β(z_(k) − z_(k+1)) < 1 ⇒ μ ≠ top-k indicator",
                   bool(np.any(np.asarray(reg.argmax(b * z)) != a)))
        return c

    return Claim(
        id=f"T8.path[{spec.name}]", theorem="T8", kind="theorem", source=SRC,
        map=spec.name, title=f"{spec.name}: path, top-k once β·gap ≥ 1",
        statement=("Along β, the support of μ = SparseMAP_k(βz) only shrinks and the set "
                   "of saturated entries (μ = 1) only grows; μ is the top-k indicator "
                   "exactly once β(z_(k) − z_(k+1)) ≥ 1."),
        formula="β(z_(k) − z_(k+1)) ≥ 1 ⇔ μ(βz) = a_top-k; supp ↓, {μ = 1} ↑ in β",
        tolerance="exact zeros and ones; entries 2 ulps; β ≥ 1e-8 (relative) off 1/gap",
        generate=gen, check=check, n=(8, 80))


def temperatures_claim(spec: MapSpec, subject: Subject) -> Claim:
    reg = spec.reg

    def gen(rng, i):
        n = 3 + i % 5 if i < 10 else int(rng.integers(3, 12))
        if spec.family == "ksubsets":
            n = max(n, spec.k + 1)
        return {"z": _spaced_scores(rng, n, scale=float(rng.uniform(0.3, 3)))}

    def check(inst):
        th = subject.theory
        z = inst["z"]
        c = Checks()
        t_max = 1e4
        temps = np.asarray(th.support_change_temperatures(z, reg, t_max=t_max), dtype=float)
        c.note(theory_temperatures=temps)
        if spec.family in ("tsallis", "norm"):
            mine = sorted(t for t, _ in _spec_temperatures(z, spec))
            c.note(spec_temperatures=mine)
            c.true("same number of transition temperatures as math §1",
                   len(mine) == len(temps))
            if len(mine) == len(temps):
                tol = 16 * (len(z) + 2) * EPS * max(1.0, spec.alpha - 1.0)
                for a, b in zip(temps, mine, strict=True):
                    c.close("temperature = math §1 closed form (relative)", a / b, 1.0, tol)
        # the sign pattern is constant inside every interval and changes across each point
        edges = [0.0, *temps.tolist(), t_max]
        for lo, hi in zip(edges[:-1], edges[1:], strict=True):
            if hi <= lo * (1 + 1e-6):
                continue
            pts = (np.geomspace(max(lo, hi * 1e-6) * (1 + 1e-7), hi * (1 - 1e-7), 7)
                   if lo > 0 else np.geomspace(hi * 1e-4, hi * (1 - 1e-7), 7))
            pats = [_pattern(reg.argmax(z / t)) for t in pts]
            c.true("path constant between consecutive temperatures",
                   all(np.array_equal(pats[0], q) for q in pats[1:]))
        for t in temps:
            a = _pattern(reg.argmax(z / (t * (1 + 1e-9))))
            b = _pattern(reg.argmax(z / (t * (1 - 1e-9))))
            c.true("the support (or saturation) changes at each temperature",
                   not np.array_equal(a, b))
        return c

    return Claim(
        id=f"T8.temperatures[{spec.name}]", theorem="T8", kind="theorem", source=SRC,
        map=spec.name, title=f"{spec.name}: theory.support_change_temperatures",
        statement=("theory.support_change_temperatures(z, reg) returns exactly the "
                   "temperatures 1/β where the support (or, for k-subsets, the saturated "
                   "set) of ŷ(βz) changes: the map is constant between them and changes "
                   "across each."),
        formula="T ∈ result ⇔ pattern of ŷ(z/T) changes at T",
        tolerance=("against the contract's closed forms: 16(N+2)·max(1, α−1) ulps relative "
                   "(sums of "
                   "N powers, raised to the power α−1); changes probed at T(1 ± 1e-9)"),
        generate=gen, check=check, n=(6, 60),
        requires=("theory.support_change_temperatures",))


def claims(subject: Subject) -> list[Claim]:
    maps = subject.maps
    out = []
    any_spec = next(iter(maps.values()))
    out += entmax_alpha_claims(any_spec)
    out.append(normmax_alpha_claim())
    for spec in maps.values():
        out += beta_claims(spec)
    for spec in maps.values():
        if spec.family in ("tsallis", "norm"):
            out.append(path_claim(spec))
        elif spec.family == "ksubsets":
            out.append(ksubsets_path_claim(spec))
    for spec in maps.values():
        if _has_path_events(spec):
            out.append(temperatures_claim(spec, subject))
    return out


def _has_path_events(spec: MapSpec) -> bool:
    """Whether the library declares support-change temperatures for this map: the
    families with closed forms (not softmax, whose support never changes), and a map of
    another family when its registry entry declares ``path_events``."""
    if spec.family != "custom":
        return spec.family != "shannon"
    from hfy_reference import registry

    try:
        return bool(registry.entry_for(spec.reg).path_events)
    except LookupError:
        return False
