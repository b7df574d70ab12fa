r"""A: α-entmax below softmax (0 < α < 1) and the derivative in α (issue 18).

For ``0 < α < 1`` the Tsallis regularizer ``Ω_α(p) = (Σ p_i^α − 1)/(α(α−1))`` is still
convex (its Hessian is ``diag(p^(α−2)) ≻ 0``; the entropy −Ω is concave), so ``ŷ_α``,
the FY loss and its theory exist; but ``∂Ω/∂p_i = p_i^(α−1)/(α−1) → −∞`` as
``p_i → 0``, so the maximizer is interior:

* **holds** (claims below): the map is dense (every unmasked entry is > 0, masks are
  exactly 0), order-preserving, the KKT system ``z_i − p_i^(α−1)/(α−1) = τ`` holds on
  every unmasked entry; the FY loss is ≥ 0, zero exactly at ``y = ŷ``, convex, with
  gradient ``ŷ − y``; ``ŷ_α → softmax`` as ``α → 1⁻`` with the derivative
  ``p_i (Σ_j p_j ℓ_j² − ℓ_i²)/2`` (``ℓ = log p``); ``∂ŷ/∂α`` of the library agrees with
  finite differences of the map, for every α in ``(0, 2)``;
* **fails** (negative controls, probed by the boundaries): there is **no finite
  margin** (``ŷ(z) ≠ e_i`` and ``L(z; e_i) > 0`` at every gap), so the margin-based
  Hopfield results (T4–T6: exact retrieval in one step, ε-balls around stored patterns
  with a one-hot attention) do not apply; the margin of α > 1 (``1/(α−1)``) does not
  extend below 1.  At ``α ≥ 2`` the map has kinks in α where an entry enters the
  support (one-sided derivatives differ): the differentiability claim is stated for
  ``α < 2`` and its boundary shows the kink at ``α = 3``.
"""

from __future__ import annotations

import math

import numpy as np

from .._num import EPS, log_uniform
from ..registry import Checks, Claim, MapSpec, Subject

SRC = ("issue 18; Tsallis entropies for 0 < α < 1: Peters, Niculae & Martins (ACL 2019) "
       "§2; Blondel, Martins & Niculae (JMLR 2020) Prop. 2 (FY properties)")


def _specs(subject: Subject) -> list[MapSpec]:
    """The dense-entmax maps of the subject (``family == "tsallis"``, ``alpha < 1``), or
    0.5- and 0.9-entmax from the library."""
    out = [s for s in subject.maps.values()
           if s.family == "tsallis" and s.alpha is not None and s.alpha < 1.0]
    if out:
        return out
    from hfy_reference import Tsallis

    return [MapSpec(f"{a:g}-entmax", Tsallis(a), "tsallis", alpha=a) for a in (0.5, 0.9)]


def _scores(rng, i):
    n = 2 + i % 5 if i < 10 else int(rng.integers(2, 12))
    z = rng.standard_normal(n) * float(rng.choice([0.1, 1.0, 10.0]))
    if n > 2 and rng.random() < 0.4:
        z[int(rng.integers(1, n))] = -np.inf
    if n > 2 and rng.random() < 0.3:  # an exact tie
        z[0] = z[1] if np.isfinite(z[1]) else z[0]
    return z


# ---------------------------------------------------------------------------------------
def dense_claim(spec: MapSpec) -> Claim:
    reg, a = spec.reg, spec.alpha

    def generate(rng, i):
        return {"z": _scores(rng, i)}

    def check(inst):
        z = inst["z"]
        fin = np.isfinite(z)
        c = Checks()
        p = np.asarray(reg.argmax(z), dtype=np.float64)
        c.note(y_hat=p)
        c.true("every unmasked entry > 0 (dense)", bool(np.all(p[fin] > 0.0)))
        c.true("masked entries exactly 0", bool(np.all(p[~fin] == 0.0)))
        c.close("Σ ŷ = 1", math.fsum(p), 1.0, 2 * (len(z) + 1) * EPS)
        zf, pf = z[fin], p[fin]
        i, j = np.triu_indices(len(zf), 1)
        gt = zf[i] > zf[j]
        lt = zf[i] < zf[j]
        eq = zf[i] == zf[j]
        c.true("order preserved: z_i > z_j ⇒ p_i > p_j, z_i = z_j ⇒ p_i = p_j",
               bool(np.all(pf[i][gt] > pf[j][gt]) and np.all(pf[i][lt] < pf[j][lt])
                    and np.all(pf[i][eq] == pf[j][eq])))
        # KKT on every unmasked entry (all interior): z_i - p_i^(a-1)/(a-1) = tau
        g = pf ** (a - 1.0) / (a - 1.0)
        tau = zf - g
        scale = float(np.max(np.abs(zf)) + np.max(np.abs(g)))
        c.leq("KKT: z_i − p_i^(α−1)/(α−1) is the same for every unmasked i",
              float(np.ptp(tau)), 0.0, 16 * EPS * scale / (1.0 - a))
        return c

    def boundary(rng, quick):
        # outside the assumption (alpha > 1) a large enough gap gives exact zeros
        from hfy_reference import entmax

        z = np.array([3.0, 0.0, -1.0])
        p_out = entmax(z, 1.5)
        p_in = np.asarray(reg.argmax(z), dtype=np.float64)
        zero = bool(np.any(p_out == 0.0))
        return {"status": "fails outside" if zero else "holds outside",
                "alpha_outside": 1.5, "y_hat_outside": p_out, "y_hat": p_in,
                "note": "z = (3, 0, −1): exact zeros at α = 1.5, none at α < 1"}

    return Claim(
        id=f"A.dense[{spec.name}]",
        theorem="A",
        title=f"{spec.name} is dense and solves its KKT system",
        statement=(f"For α = {a:g} < 1 the map is dense: every unmasked entry is positive, "
                   "masks get exactly 0, it sums to 1, preserves the order of the scores, "
                   "and z_i − p_i^(α−1)/(α−1) is the same for every unmasked entry."),
        formula="0<α<1 ⇒ ŷ_i > 0 ∀ z_i > −∞; z_i − ŷ_i^(α−1)/(α−1) = τ ∀ z_i > −∞",
        source=SRC,
        kind="theorem",
        tolerance=("exact positivity and zeros; Σ = 1 to 2(N+1) ulps; the KKT spread within "
                   "16 ulps of max|z| + max|p^(α−1)/(α−1)|, times 1/(1−α) (the "
                   "conditioning of p^(α−1))."),
        generate=generate,
        check=check,
        boundary=boundary,
        n=(20, 200),
        map=spec.name,
    )


def no_margin_claim(spec: MapSpec) -> Claim:
    reg, a = spec.reg, spec.alpha

    def generate(rng, i):
        n = 2 + i % 4
        g = log_uniform(rng, 1e-3, 1e3)
        z = -rng.uniform(0.0, 2.0, n)
        z[0] = g
        z[1] = 0.0
        return {"z": z, "gap": g}

    def check(inst):
        z, g = inst["z"], inst["gap"]
        c = Checks()
        c.true("reg.margin is None (no finite margin)", reg.margin is None)
        p = np.asarray(reg.argmax(z), dtype=np.float64)
        c.note(y_hat=p)
        c.true("ŷ(z) ≠ e_i at every gap (mass off the top entry)", bool(np.all(p[1:] > 0)))
        e = np.zeros(len(z))
        e[0] = 1.0
        # p_2 ≥ (1 + (1−α) g)^(−1/(1−α)) is far above rounding for g ≤ 10
        if g <= 10.0:
            c.true("L(z; e_i) > 0 (gap ≤ 10)", bool(float(reg.loss(z, e)) > 0.0))
        return c

    def boundary(rng, quick):
        # the negative control: for alpha > 1 a finite margin exists (1/(alpha - 1))
        from hfy_reference import entmax

        out = {}
        for alpha in (1.5, 3.0):
            m = 1.0 / (alpha - 1.0)
            out[f"alpha={alpha:g}"] = bool(np.all(entmax([m, 0.0, -1.0], alpha)[1:] == 0))
        return {"status": "fails outside" if all(out.values()) else "holds outside",
                "one_hot_at_gap_1/(α−1)": out,
                "note": "for α > 1 the gap 1/(α−1) already gives e_i exactly"}

    return Claim(
        id=f"A.no-margin[{spec.name}]",
        theorem="A",
        title=f"{spec.name} has no finite margin",
        statement=(f"For α = {a:g} < 1 no gap makes the output one-hot: ŷ(z) ≠ e_i and "
                   "L(z; e_i) > 0 at every gap, so the margin-based Hopfield results "
                   "(T4–T6) do not apply."),
        formula="0<α<1 ⇒ ∀ g: ŷ([g, 0, …]) ≠ e_1, L([g, 0, …]; e_1) > 0",
        source=SRC,
        kind="theorem",
        tolerance="exact: entries off the top must be > 0 (not rounded to 0) for gaps ≤ 1e3.",
        generate=generate,
        check=check,
        boundary=boundary,
        n=(12, 120),
        map=spec.name,
    )


def fy_claim(spec: MapSpec) -> Claim:
    reg, a = spec.reg, spec.alpha

    def generate(rng, i):
        z = _scores(rng, i)
        n = len(z)
        fin = np.isfinite(z)
        y = np.zeros(n)
        if rng.random() < 0.5:
            y[int(rng.choice(np.flatnonzero(fin)))] = 1.0
        else:
            w = rng.exponential(size=n) * fin
            y = w / w.sum()
        return {"z": z, "y": y, "z2": np.where(fin, rng.standard_normal(n), -np.inf)}

    def check(inst):
        z, y, z2 = inst["z"], inst["y"], inst["z2"]
        c = Checks()
        p = np.asarray(reg.argmax(z), dtype=np.float64)
        L = float(reg.loss(z, y))
        fin = np.isfinite(z)
        zs = np.abs(z[fin] - np.max(z[fin]))
        scale = 1.0 + float(np.sum(zs)) + 1.0 / (a * (1.0 - a)) * len(z)
        c.geq("L(z; y) ≥ 0", L, 0.0)
        c.leq("L(z; ŷ(z)) = 0", float(reg.loss(z, p)), 0.0, 64 * EPS * scale)
        # gradient ŷ − y by central differences on the unmasked entries
        h = 1e-6 * (1.0 + float(np.max(np.abs(z[fin]))))
        grad = np.zeros(len(z))
        for k in np.flatnonzero(fin):
            e = np.zeros(len(z))
            e[k] = h
            grad[k] = (float(reg.loss(z + e, y)) - float(reg.loss(z - e, y))) / (2 * h)
        c.close("∇_z L = ŷ − y (central differences)", grad[fin], (p - y)[fin],
                1e-6 * (1.0 + float(np.max(np.abs(z[fin])))))
        # midpoint convexity in z (same masks)
        zm = np.where(fin, 0.5 * (z + z2), -np.inf)
        lhs = float(reg.loss(zm, y))
        rhs = 0.5 * (L + float(reg.loss(z2, y)))
        c.leq("convex: L((z+z')/2) ≤ (L(z)+L(z'))/2", lhs, rhs, 64 * EPS * scale)
        return c

    return Claim(
        id=f"A.fy[{spec.name}]",
        theorem="A",
        title=f"Fenchel-Young properties of {spec.name}",
        statement=(f"For α = {a:g} < 1 (Ω convex) the FY loss is ≥ 0, zero at y = ŷ(z), "
                   "convex in z, with gradient ŷ − y."),
        formula="0<α<1: L ≥ 0; L(z; ŷ(z)) = 0; L convex in z; ∇_z L = ŷ(z) − y",
        source=SRC,
        kind="theorem",
        tolerance=("L(z; ŷ) and convexity within 64 ulps of 1 + Σ|z − max z| + N/(α(1−α)) "
                   "(the size of the terms of Ω); the gradient to 1e-6 (1 + max|z|) (central "
                   "differences with step 1e-6 (1 + max|z|))."),
        generate=generate,
        check=check,
        n=(12, 120),
        map=spec.name,
    )


def limit_claim(entmax=None) -> Claim:
    """``entmax`` defaults to the library's (a test passes a broken one)."""
    from hfy_reference import softmax

    if entmax is None:
        from hfy_reference import entmax

    def generate(rng, i):
        n = 2 + i % 6
        return {"z": rng.standard_normal(n) * float(rng.choice([0.3, 1.0, 3.0]))}

    def check(inst):
        z = inst["z"]
        c = Checks()
        p = softmax(z)
        lg = np.log(p)
        d1 = p * (float(np.sum(p * lg**2)) - lg**2) / 2.0  # independent closed form
        r = []
        for h in (1e-3, 1e-4):
            r.append(float(np.max(np.abs(entmax(z, 1.0 - h) - p + h * d1))))
        c.note(remainders=np.array(r), d1=d1)
        # second-order remainder: 10x smaller h gives a 100x smaller remainder
        c.leq("entmax_{1−h} = softmax − h·p(Σpℓ² − ℓ²)/2 + O(h²)", r[1], 0.02 * r[0],
              1e-13)
        c.metric(remainder_ratio=r[1] / r[0] if r[0] > 0 else 0.0)
        return c

    return Claim(
        id="A.limit[alpha→1−]",
        theorem="A",
        title="α-entmax → softmax as α → 1⁻, with the closed-form derivative",
        statement=("As α → 1 from below, α-entmax(z) = softmax(z) − (1−α) d + O((1−α)²) with "
                   "d_i = p_i (Σ_j p_j log² p_j − log² p_i)/2, p = softmax(z)."),
        formula="‖entmax_{1−h}(z) − softmax(z) + h d‖ = O(h²)",
        source=SRC,
        kind="theorem",
        tolerance=("the remainder at h = 1e-4 is at most 2% of the one at h = 1e-3 (exactly "
                   "quadratic: 1%), plus 1e-13 (rounding of the maps)."),
        generate=generate,
        check=check,
        n=(12, 120),
        map="α-entmax",
    )


def dalpha_claim(dalpha=None, entmax=None) -> Claim:
    """∂ŷ/∂α against central differences of the map in α.  ``dalpha`` and ``entmax``
    default to the library's (a test passes broken ones as negative controls)."""
    import hfy_reference as H

    dalpha = dalpha if dalpha is not None else H.entmax_dalpha
    entmax = entmax if entmax is not None else H.entmax

    def generate(rng, i):
        z = _scores(rng, i)
        lo, hi = ((0.05, 0.98) if i % 2 == 0 else (1.02, 1.98))
        return {"z": z, "alpha": float(rng.uniform(lo, hi))}

    def check(inst):
        z, a = inst["z"], inst["alpha"]
        c = Checks()
        d = np.asarray(dalpha(z, a), dtype=np.float64)
        h = 1e-5
        fd = (entmax(z, a + h) - entmax(z, a - h)) / (2 * h)
        c.note(dalpha=d, finite_difference=fd)
        c.close("∂ŷ/∂α = central difference of ŷ in α", d, fd,
                1e-6 * (1.0 + float(np.max(np.abs(fd)))))
        c.close("Σ_i ∂ŷ_i/∂α = 0", math.fsum(d), 0.0,
                8 * len(z) * EPS * (1.0 + float(np.max(np.abs(d)))))
        return c

    def boundary(rng, quick):
        # alpha >= 2: at alpha* = 1 + 1/g the entry -g enters the support with a kink
        z = np.array([0.0, -0.5, -5.0])  # alpha* = 3
        h = 1e-6
        left = (entmax(z, 3.0 - h) - entmax(z, 3.0 - 2 * h)) / h
        right = (entmax(z, 3.0 + 2 * h) - entmax(z, 3.0 + h)) / h
        jump = float(np.max(np.abs(left - right)))
        return {"status": "fails outside" if jump > 1e-2 else "holds outside",
                "jump_of_the_one_sided_derivatives": jump, "alpha_star": 3.0,
                "note": "z = (0, −0.5, −5): the second entry enters the support at α = 3"}

    return Claim(
        id="A.dalpha[entmax]",
        theorem="A",
        title="∂(α-entmax)/∂α agrees with the map, 0 < α < 2",
        statement=("For 0 < α < 2 the map is differentiable in α and the library's "
                   "entmax_dalpha equals the central difference of entmax in α; the "
                   "derivative sums to 0."),
        formula="0<α<2: entmax_dalpha(z, α) = (ŷ_{α+h} − ŷ_{α−h})/2h + O(h²)",
        source=SRC,
        kind="theorem",
        tolerance=("1e-6 (1 + max|fd|): central differences with h = 1e-5 have truncation "
                   "O(h²) and rounding ~1e-11; the sum within 8N ulps of max|∂ŷ/∂α|."),
        generate=generate,
        check=check,
        boundary=boundary,
        n=(16, 160),
        map="α-entmax",
    )


def claims(subject: Subject) -> list[Claim]:
    out: list[Claim] = []
    for spec in _specs(subject):
        out += [dense_claim(spec), no_margin_claim(spec), fy_claim(spec)]
    out += [limit_claim(), dalpha_claim()]
    return out
