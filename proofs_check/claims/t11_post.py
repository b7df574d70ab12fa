r"""T11: post-transformed dynamics (math §4, §6 T11).

* Every Ψ of math §4 is the argmax it claims: ``ŷ_Ψ(v) = argmax_q ⟨v,q⟩ − Ψ(q)``
  (checked against random points of Ψ's domain and perturbations of ŷ_Ψ(v) inside it),
  equal to the closed form (v; r v/‖v‖; √D(v − v̄)/‖v − v̄‖; sign v; tanh(βv)), with
  ``Ψ*(v) = ⟨v, ŷ_Ψ(v)⟩ − Ψ(ŷ_Ψ(v))``; at v = 0 (constant v for layer norm) no NaN.
* With the ℓ2 Ψ and unit-norm patterns, T4–T6 hold verbatim (``ŷ_Ψ(x_i) = x_i``); with
  layer norm, for layer-normalized patterns (mean 0, ‖x‖ = √D, so M = √D).
* Energy descent for every Ψ is part of T3 (``T3.descent[*]``).
"""

from __future__ import annotations

import math

import numpy as np

from .._num import EPS, gamma, log_uniform, sphere
from ..registry import Checks, Claim, MapSpec, Subject
from . import t04_stationary, t05_one_step, t06_eps_ball

SRC = "math §4, §6 T11; Santos et al., HFY networks (JMLR), post-transformations"


def combined_claim(spec: MapSpec, subject: Subject, post: str) -> Claim:
    mode = "unit" if post == "l2" else "layernorm"
    parts = [
        t04_stationary.make_claim(spec, subject, False, post=post, mode=mode,
                                  cid="_", theorem="T11"),
        t05_one_step.make_claim(spec, subject, False, post=post, mode=mode,
                                cid="_", theorem="T11"),
        t06_eps_ball.make_claim(spec, subject, False, post=post, mode=mode,
                                cid="_", theorem="T11"),
    ]
    names = ("T4 stationary", "T5 one-step", "T6 ε-ball")

    def generate(rng, idx):
        part = idx % 3
        inst = parts[part].generate(rng, idx // 3)
        inst["part"] = names[part]
        return inst

    def check(inst):
        return parts[names.index(inst["part"])].check(inst)

    def boundary(rng, quick):
        res = {n: p.boundary(rng, quick) for n, p in zip(names, parts, strict=True)}
        out = {"status": "; ".join(f"{n}: {r.get('status')}" for n, r in res.items()),
               "parts": res}
        for n, r in res.items():
            if r.get("refutes"):
                out["refutes"] = True
                out["counterexample"] = {"part": n, **r.get("counterexample", {})}
                break
        return out

    what = ("unit-norm patterns, Ψ = ℓ2 ball (q ← Xᵀŷ/‖Xᵀŷ‖)" if post == "l2" else
            "layer-normalized patterns, Ψ = layer norm (q ← √D(v − v̄)/‖v − v̄‖)")
    return Claim(
        id=f"T11.{post}[{spec.name}]", theorem="T11", kind="theorem", map=spec.name,
        title=f"T4–T6 verbatim with Ψ = {post} ({spec.name}, m={spec.margin:g})",
        statement=(f"With {what}, the stationary-pattern, one-step and ε-ball theorems hold "
                   "unchanged (M = 1, resp. √D)."),
        formula=("Δ_i ≥ m/β ⇔ x_i fixed; βq₀ᵀ(x_i − x_j) ≥ m ⇒ q₁ = x_i; Δ_i ≥ m/β + 2Mε "
                 "⇒ ε-ball retrieved — with q₁ = ŷ_Ψ(Xᵀŷ_Ω(βXq₀))"),
        source=SRC, tolerance=t04_stationary.TOL_TEXT + " (γ_{D+2} more for the "
        "normalization)",
        generate=generate, check=check, boundary=boundary, boundary_decides=True,
        n=(18, 150), method="exact", requires=("hopfield.HopfieldNetwork", "hopfield.L2Ball",
                               "hopfield.LayerNorm"),
    )


# ---------------------------------------------------------------------------------------
def _project(name, q, D, r=1.0, eps_in=1e-12):
    """A point of Ψ's domain near q (independent of the library)."""
    if name == "quadratic":
        return q
    if name == "l2":
        n = float(np.linalg.norm(q))
        return q if n <= r else q * (r / n) * (1 - eps_in)
    if name == "layernorm":
        c = q - q.mean()
        n = float(np.linalg.norm(c))
        lim = math.sqrt(D)
        return c if n <= lim else c * (lim / n) * (1 - eps_in)
    if name == "sign":
        return np.clip(q, -1.0, 1.0)
    if name == "tanh":
        return np.clip(q, -1 + 1e-9, 1 - 1e-9)
    raise ValueError(name)


def psi_claim(subject: Subject, name: str) -> Claim:
    def make(h, params):
        if name == "quadratic":
            return h.Quadratic()
        if name == "l2":
            return h.L2Ball(radius=params["r"])
        if name == "layernorm":
            return h.LayerNorm()
        if name == "sign":
            return h.Sign()
        return h.Tanh(beta=params["b"])

    def closed(v, params):
        D = len(v)
        if name == "quadratic":
            return v
        if name == "l2":
            return params["r"] * v / np.linalg.norm(v)
        if name == "layernorm":
            cen = v - v.mean()
            return math.sqrt(D) * cen / np.linalg.norm(cen)
        if name == "sign":
            return np.sign(v)
        return np.tanh(params["b"] * v)

    def generate(rng, idx):
        d = 2 + idx % 4 if idx < 8 else int(rng.integers(2, 12))
        if name == "layernorm":
            d = max(d, 2)
        v = rng.standard_normal(d) * log_uniform(rng, 0.01, 10.0)
        params = {"r": float(rng.choice([0.5, 1.0, 3.0])), "b": log_uniform(rng, 0.1, 10.0)}
        others = rng.standard_normal((4, d)) * float(rng.choice([0.3, 1.0, 3.0]))
        dirs = sphere(rng, 3, d)
        return {"v": v, "params": params, "others": others, "directions": dirs}

    def check(inst):
        v, params = inst["v"], inst["params"]
        d = len(v)
        c = Checks()
        obj = make(subject.hopfield, params)
        yq = np.asarray(obj.argmax(v), dtype=np.float64)
        cf = closed(v, params)
        scale = max(1.0, float(np.max(np.abs(cf))))
        tol_cf = (2 * gamma(d + 2) + 4 * EPS) * scale
        c.note(argmax=yq, closed_form=cf)
        c.close(f"ŷ_Ψ(v) = closed form ({name})", yq, cf, tol_cf)
        psi_y = float(obj.psi(yq))
        c.true("Ψ(ŷ_Ψ(v)) finite (ŷ in the domain)", math.isfinite(psi_y))
        if not math.isfinite(psi_y):
            return c
        f_y = float(v @ yq) - psi_y

        def f(q):
            return float(v @ q) - float(obj.psi(q))

        pts = [_project(name, q, d, params["r"]) for q in inst["others"]]
        for dv in inst["directions"]:
            for h in (1e-2, 1e-5):
                pts.append(_project(name, yq + h * scale * dv, d, params["r"]))
        for q in pts:
            fq = f(q)
            S = float(np.abs(v) @ (np.abs(q) + np.abs(yq))) + abs(psi_y) + abs(
                float(obj.psi(q))) + d
            c.geq("⟨v,ŷ⟩ − Ψ(ŷ) ≥ ⟨v,q⟩ − Ψ(q) on Ψ's domain", f_y, fq, 8 * gamma(d + 4) * S)
        conj = float(obj.conjugate(v))
        c.close("Ψ*(v) = ⟨v,ŷ⟩ − Ψ(ŷ)", conj, f_y,
                8 * gamma(d + 4) * (float(np.abs(v) @ np.abs(yq)) + abs(psi_y) + 1))
        if name in ("l2", "layernorm", "sign"):
            outside = yq * 1.5  # |ŷ| = 1 (sign), ‖ŷ‖ = r (ball), √D (layer norm)
            c.true("Ψ = +∞ off its set (an indicator)", float(obj.psi(outside)) == math.inf)
        # the set-valued point: a clear error or a finite convention, never NaN
        zero = np.zeros(d) if name != "layernorm" else np.full(d, 0.7)
        try:
            y0 = np.asarray(obj.argmax(zero), dtype=np.float64)
            c.true("at v = 0 (constant v): finite output", bool(np.all(np.isfinite(y0))))
        except ValueError:
            c.true("at v = 0 (constant v): ValueError", True)
        return c

    label = {"quadratic": "½‖q‖² (identity)", "l2": "indicator of ‖q‖ ≤ r (ℓ2 normalize)",
             "layernorm": "indicator of {Σq = 0, ‖q‖ ≤ √D} (layer norm)",
             "sign": "indicator of [−1,1]^D (sign)",
             "tanh": "scaled binary entropy (tanh)"}[name]
    return Claim(
        id=f"T11.psi[{name}]", theorem="T11", kind="theorem", map=name, source=SRC,
        title=f"Ψ = {label}: ŷ_Ψ is its argmax",
        statement=(f"For Ψ = {label}, argmax(v) maximizes ⟨v,q⟩ − Ψ(q), equals the math §4 "
                   "closed form, and conjugate(v) is the maximum value."),
        formula="ŷ_Ψ(v) = argmax_q ⟨v,q⟩ − Ψ(q) = closed form; Ψ*(v) = ⟨v,ŷ⟩ − Ψ(ŷ)",
        tolerance=("closed form: 2γ_{D+2} + 4 ulps of max|ŷ|; maximization and conjugate: "
                   "8γ_{D+4} of the terms' sizes"),
        generate=generate, check=check, n=(10, 100),
        requires=("hopfield.Quadratic", "hopfield.L2Ball", "hopfield.LayerNorm",
                  "hopfield.Sign", "hopfield.Tanh"),
    )


def claims(subject: Subject) -> list[Claim]:
    out = [psi_claim(subject, n) for n in ("quadratic", "l2", "layernorm", "sign", "tanh")]
    for post in ("l2", "layernorm"):
        for spec in subject.maps.values():
            if spec.family in ("tsallis", "norm") and spec.margin:
                out.append(combined_claim(spec, subject, post))
    return out
