r"""T1: Fenchel-Young properties, for every Ω (math §3).

For scores ``z`` and a point ``y`` of the domain (simplex, or capped simplex for
k-subsets), with ``ŷ = ŷ_Ω(z)``:

* Ω is the math §1 formula (``reg.omega`` against the table);
* ``ŷ`` satisfies the optimality (KKT) conditions to a few ulps (:mod:`._kkt`): value
  checks cannot see an error below their step squared, this one sees a relative 1e-9
  perturbation of interior entries;
* ``ŷ`` lies in the domain (entries ≥ 0, ≤ 1 for k-subsets, summing to 1 or k);
* ``ŷ`` maximizes ``⟨z,p⟩ − Ω(p)``: ``L(z; p) = Ω(p) − Ω(ŷ) − ⟨z, p − ŷ⟩ ≥ 0`` for
  random ``p`` and for ``p = ŷ + h(e_j − e_i)`` (h down to 1e-7: a wrong ``ŷ`` loses at
  first order in h, the true one gains at second order) -- this is ``L ≥ 0``;
* ``L(z; ŷ) = 0`` and ``L(z; y) > 0`` for ``y ≠ ŷ`` (``≥ σ‖y − ŷ‖²/2`` where Ω is
  σ-strongly convex); ``reg.loss`` equals ``Ω*(z) + Ω(y) − ⟨z,y⟩`` and
  ``Ω*(z) = ⟨z,ŷ⟩ − Ω(ŷ)`` (for softmax a real check: ``logsumexp`` vs the entropy form);
* ``∇_z L = ŷ − y`` and convexity: ``L(z + s h d) − L(z) − s h ⟨ŷ − y, d⟩ ≥ 0`` for both
  signs ``s`` (a convex function's unique subgradient is its gradient, so any other
  vector fails this at small ``h``), ``≤ h²‖d‖²/(2σ)`` when σ is known (∇Ω* is
  1/σ-Lipschitz), and ``L`` below its chords.
"""

from __future__ import annotations

import math

import numpy as np

from .._num import EPS, capped_simplex_point, gamma, log_uniform, simplex_point
from ..registry import Checks, Claim, MapSpec, Subject
from ._kkt import kkt

TOL_TEXT = (
    "Ω values: 4·γ_{N+2}·S (S = Σ|terms| of the contract's formula; γ_n = n·eps/2, the bound of "
    "an n-term float sum, Higham §3.1) plus 4 ulps; L from library values: the sum of the "
    "two Ω tolerances plus 2·γ_{N+2}·Σ|z_i − max z|(|p_i| + |ŷ_i|); sums of ŷ: 2(N+1) ulps "
    "of the total (each entry is rounded once, up to the last-bit accuracy of pow); KKT: "
    "the spread of the per-entry threshold estimates within 4 ulps of max|s_i| plus "
    "((α−1)·4 + 4) ulps of max ŷ_i^(α−1) (measured ≤ 0.35 of it over 3000 inputs per map)."
)


def _scores(rng: np.random.Generator, n: int, spec: MapSpec, kind: str) -> np.ndarray:
    if kind == "near-margin" and spec.margin:
        # an exact gap just above/below the margin: z = [g, 0, 0?, -r...]
        m = spec.margin
        if rng.random() < 0.3:
            g = float(np.nextafter(m, 0.0 if rng.random() < 0.5 else 2 * m))
        else:
            g = m * (1.0 + rng.choice([-1.0, 1.0]) * log_uniform(rng, 1e-15, 1e-1))
        z = -rng.uniform(0.0, 2.0, n) * m
        z[0] = g
        z[1] = 0.0
        if spec.family == "ksubsets":  # structured margin between z_(k) and z_(k+1)
            z[: spec.k] = g
            z[spec.k] = 0.0
        return z[rng.permutation(n)]
    scale = float(rng.choice([0.1, 1.0, 3.0]))
    z = rng.standard_normal(n) * scale
    if kind == "ties" and n > 2:
        z[rng.integers(0, n)] = z[rng.integers(0, n)]
        z[rng.integers(0, n)] = z.max()
    return z


def make_claim(spec: MapSpec) -> Claim:
    reg = spec.reg
    total = spec.total
    sig = spec.sigma

    def domain_point(rng, n):
        if spec.family == "ksubsets":
            return capped_simplex_point(rng, n, spec.k)
        if rng.random() < 0.2:
            return np.eye(n)[rng.integers(0, n)]
        return simplex_point(rng, n, sparse=rng.random() < 0.5)

    def generate(rng, i):
        kmin = (spec.k or 1) + 1
        n = kmin + (i % 3) if i < 6 else int(rng.integers(kmin, 13))
        kind = ("gaussian", "ties", "near-margin")[i % 3]
        z = _scores(rng, n, spec, kind)
        y = domain_point(rng, n)
        extra = np.stack([domain_point(rng, n) for _ in range(2)])
        d = rng.standard_normal((2, n))
        d /= np.linalg.norm(d, axis=1, keepdims=True)
        z2 = _scores(rng, n, spec, "gaussian")
        return {"z": z, "y": y, "others": extra, "directions": d, "z2": z2,
                "lam": float(rng.uniform(0.1, 0.9)), "kind": kind}

    def omega_tol(q):
        _, s = spec.omega_spec(q)
        return 4 * gamma(len(q) + 2) * s + 4 * EPS * max(1.0, abs(_))

    def check(inst):
        z, y = inst["z"], inst["y"]
        n = len(z)
        c = Checks()
        p = np.asarray(reg.argmax(z), dtype=np.float64)
        c.note(z=z, y_hat=p)
        # -- ŷ in the domain --------------------------------------------------------
        ok = c.geq("ŷ ≥ 0", float(p.min()), 0.0)
        if spec.family == "ksubsets":
            ok &= c.leq("ŷ ≤ 1", float(p.max()), 1.0)
        ok &= c.close("Σŷ = total", math.fsum(p), total, 2 * (n + 1) * EPS * total)
        if not ok:
            return c
        # -- ŷ is optimal to the ulp: KKT residuals (see _kkt) ----------------------
        kkt(spec, z, p, c)
        # -- Ω is the contract's formula --------------------------------------------------
        for name, q in (("ŷ", p), ("y", y), ("p", inst["others"][0])):
            w, _ = spec.omega_spec(q)
            c.close(f"Ω({name}) = contract's formula", float(reg.omega(q)), w, omega_tol(q))
        om_p = float(reg.omega(p))
        zs = z - z.max()

        def L_def(q):
            """Ω(q) − Ω(ŷ) − ⟨z − max z, q − ŷ⟩ and its rounding bound."""
            val = float(reg.omega(q)) - om_p - float(np.dot(zs, q - p))
            tol = (omega_tol(q) + omega_tol(p)
                   + 2 * gamma(n + 2) * float(np.dot(np.abs(zs), np.abs(q) + np.abs(p))))
            return val, tol

        # -- optimality: L(z; p) ≥ 0 on random points and on pair perturbations -------
        cands = [y, *inst["others"]]
        supp = np.flatnonzero(p > 0)
        room = np.flatnonzero(p < 1.0) if spec.family == "ksubsets" else np.arange(n)
        pairs = [(a, b) for a in supp for b in room if a != b][:8]
        for a, b in pairs:
            for rel in (1e-2, 1e-4, 1e-7):
                h = rel * min(p[a], 1.0 - p[b] if spec.family == "ksubsets" else 1.0)
                q = p.copy()
                q[a] -= h
                q[b] += h
                if q[a] < 0 or (spec.family == "ksubsets" and q[b] > 1):
                    continue
                cands.append(q)
        worst = None
        for q in cands:
            val, tol = L_def(q)
            if worst is None or val + tol < worst[0] + worst[1]:
                worst = (val, tol, q)
        c.geq("L(z;p) ≥ 0 (ŷ maximizes ⟨z,p⟩−Ω(p))", worst[0], 0.0, worst[1])
        if worst[0] < -worst[1]:
            c.note(p_violating=worst[2], L_value=worst[0])
        # -- L(z;ŷ) = 0, L(z;y) > 0, loss = definition, conjugate by Danskin ----------
        Lp = float(reg.loss(z, p))
        c.leq("L(z;ŷ) = 0", Lp, 0.0, L_def(p)[1])
        Ly = float(reg.loss(z, y))
        conj = float(reg.conjugate(z))
        ty = float(np.dot(z, y))
        big = abs(conj) + abs(float(reg.omega(y))) + float(np.dot(np.abs(z), y))
        tol_def = 4 * gamma(n + 4) * big + omega_tol(y) + L_def(y)[1]
        c.close("loss = Ω*(z) + Ω(y) − ⟨z,y⟩", Ly, max(0.0, conj + float(reg.omega(y)) - ty),
                tol_def)
        dan = float(np.dot(z, p)) - om_p
        tol_dan = 4 * gamma(n + 4) * (abs(conj) + float(np.dot(np.abs(z), p))) + omega_tol(p)
        c.close("Ω*(z) = ⟨z,ŷ⟩ − Ω(ŷ)", conj, dan, tol_dan)
        dist = float(np.linalg.norm(y - p))
        if dist >= 1e-3:
            Lval, Ltol = L_def(y)
            if sig is not None:
                c.geq("L(z;y) ≥ σ‖y−ŷ‖²/2", Ly, 0.5 * sig * dist**2, Ltol)
            else:
                c.geq("L(z;y) > 0 for y ≠ ŷ", Ly, 10 * Ltol, 0.0)
        # -- gradient ŷ − y and convexity ------------------------------------------
        g = p - y
        L0 = Ly
        for d in inst["directions"]:
            for rel in (1e-3, 1e-6):
                h = rel * (1.0 + float(np.max(np.abs(z))))
                for s in (1.0, -1.0):
                    zz = z + s * h * d
                    L1 = float(reg.loss(zz, y))
                    p1 = np.asarray(reg.argmax(zz), dtype=np.float64)
                    D = L1 - L0 - s * h * float(np.dot(g, d))
                    tol = (2 * L_def(y)[1] + omega_tol(p1)
                           + 4 * gamma(n + 2) * h * float(np.dot(np.abs(g), np.abs(d)))
                           + 4 * EPS * (abs(L0) + abs(L1)))
                    c.geq("L(z+hd) − L(z) − h⟨ŷ−y,d⟩ ≥ 0 (gradient)", D, 0.0, tol)
                    if sig is not None:
                        c.leq("… ≤ h²/(2σ) (1/σ-Lipschitz ŷ)", D, 0.5 * h * h / sig, tol)
        lam = inst["lam"]
        z2 = inst["z2"]
        zm = lam * z + (1 - lam) * z2
        L2 = float(reg.loss(z2, y))
        Lm = float(reg.loss(zm, y))
        tol = 3 * L_def(y)[1] + 4 * EPS * (abs(L2) + abs(Lm) + abs(L0)) + 4 * gamma(n + 2) * (
            float(np.dot(np.abs(z2 - z2.max()), y + 1.0 / n)) + float(np.dot(np.abs(zs), y)))
        c.leq("L convex in z (below its chord)", Lm, lam * L0 + (1 - lam) * L2, tol)
        return c

    formula = spec.ref.formula(spec.reg) if spec.family == "custom" else {
        "shannon": "Ω(p)=Σp log p",
        "tsallis": f"Ω(p)=(Σp^α−1)/(α(α−1)), α={spec.alpha:g}" if spec.alpha else "",
        "norm": f"Ω(p)=‖p‖_α−1, α={spec.alpha:g}" if spec.alpha else "",
        "ksubsets": f"Ω(μ)=½‖μ‖²−k/2 on {{μ∈[0,1]^N, Σμ={spec.k}}}",
    }[spec.family]
    return Claim(
        id=f"T1.fy[{spec.name}]",
        theorem="T1",
        title=f"Fenchel-Young properties of {spec.name}",
        statement=(
            "Ω is the contract's formula; ŷ_Ω(z) lies in the domain and maximizes ⟨z,p⟩ − Ω(p); "
            "the FY loss L(z;y) = Ω*(z) + Ω(y) − ⟨z,y⟩ is ≥ 0, zero exactly at y = ŷ, "
            "convex in z with gradient ŷ − y."
        ),
        formula=(f"{formula}: KKT(ŷ_Ω(z)) to ulps; L ≥ 0; L = 0 ⇔ y = ŷ_Ω(z); L convex "
                 "in z; ∇_z L = ŷ_Ω(z) − y"),
        source="math §3; Blondel, Martins & Niculae (JMLR 2020), Prop. 2",
        kind="theorem",
        tolerance=TOL_TEXT,
        generate=generate,
        check=check,
        n=(12, 120),
        map=spec.name,
    )


def claims(subject: Subject) -> list[Claim]:
    return [make_claim(s) for s in subject.maps.values()]
