r"""T3: the HFY energy never increases along the update, for every Ω and Ψ (math §5).

``E(q) = −β⁻¹Ω*(βXq) + Ψ(q) + c``; the update ``q ← ŷ_Ψ(Xᵀŷ_Ω(βXq))`` is the
concave-convex procedure, so ``E(q_{t+1}) ≤ E(q_t)`` from any ``q_0`` in Ψ's domain.
For Ψ = ½‖·‖², moreover

* ``E_L(q) ≤ E(q) ≤ E_L(q) + H(u)/β`` with ``E_L(q) = ½‖q‖² − max_i x_iᵀq + ½M²``
  (``Ω(e_i) = 0`` and ``Ω ≥ Ω(u) = −H(u)``), hence ``E ≥ 0``;
* ``∇E(q) = q − Xᵀŷ_Ω(βXq)``: since Ω* is convex, ``E(q + hd) ≤ E(q) + h⟨∇E, d⟩ +
  ½h²‖d‖²`` for every h of both signs, which no other vector satisfies for small h;
* fixed points are stationary: at a converged ``q*`` the same inequality holds with
  ``∇E = 0``.

The classical network (``E = −½‖Xq‖²``, ``q ← sign(XᵀXq)``, sync and async) and the
dense associative memories (``E = −Σ F(x_iᵀq)``, F = s^n₊ or exp) descend too: both are
maximizations of a convex function by its linearization over the cube.
"""

from __future__ import annotations

import math

import numpy as np

from .._num import EPS, gamma, log_uniform, sphere
from ..registry import Checks, Claim, MapSpec, Subject
from . import _hop as H

POSTS = (None, "l2", "layernorm", "sign", "tanh")

TOL_TEXT = (
    "each energy is a sum of O(N + D) terms of size ≤ S = M‖q‖ + ½‖q‖² + ½M² + H(u)/β "
    "(+ D(1 + 1/β) for an entropic Ψ): E values are compared to 8·γ_{N+D+8}·S; the "
    "gradient inequality adds the same for E(q ± hd)."
)


def _scale(X, q, beta, Hu, D):
    M = float(np.max(np.linalg.norm(X, axis=1)))
    nq = float(np.linalg.norm(q))
    return M * nq + 0.5 * nq * nq + 0.5 * M * M + Hu / beta + D * (1 + 1 / beta)


def descent_claim(spec: MapSpec, subject: Subject) -> Claim:
    reg = spec.reg

    def generate(rng, idx):
        n, d = H.sizes(rng, idx, d_min=3, d_max=10)
        X = sphere(rng, n, d) * rng.uniform(0.3, 2.0, (n, 1)) * float(rng.choice([0.5, 1, 3]))
        post = POSTS[idx % len(POSTS)]
        beta = log_uniform(rng, 0.1, 30.0)
        v = rng.standard_normal(d) * float(rng.choice([0.3, 1.0, 3.0]))
        return {"X": X, "beta": beta, "post": post, "v": v}

    def check(inst):
        X, beta, post, v = inst["X"], inst["beta"], inst["post"], inst["v"]
        c = Checks()
        net = H.network(subject, X, spec, beta, post)
        # a start in Ψ's domain: ŷ_Ψ(v) (for Ψ = ½‖·‖², v itself)
        q = np.asarray(net.post.argmax(v), dtype=np.float64) if post else v
        Hu = -float(reg.uniform_omega(X.shape[0]))
        qs = [q]
        for _ in range(12):
            qs.append(np.asarray(net.step(qs[-1]), dtype=np.float64))
        E = [float(net.energy(qq)) for qq in qs]
        c.note(energies=E, post=post)
        c.true("energy finite along the trajectory", all(math.isfinite(e) for e in E))
        n, d = X.shape
        for t in range(len(E) - 1):
            S = max(_scale(X, qs[t], beta, Hu, d), _scale(X, qs[t + 1], beta, Hu, d))
            c.leq("E(q_{t+1}) ≤ E(q_t)", E[t + 1], E[t], 8 * gamma(n + d + 8) * S)
        res = net.retrieve(q, max_iter=12)
        Er = np.asarray(res.energies, dtype=np.float64)
        c.close("retrieve().energies = energies of the iterates", Er[: len(E)],
                np.asarray(E[: len(Er)]), 8 * gamma(n + d + 8) * max(
                    _scale(X, qq, beta, Hu, d) for qq in qs))
        return c

    return Claim(
        id=f"T3.descent[{spec.name}]", theorem="T3", kind="theorem", map=spec.name,
        title=f"energy descent, {spec.name}, every Ψ",
        statement=("The HFY energy does not increase along the update, for Ψ ∈ {½‖·‖², ℓ2 "
                   "ball, layer norm, sign (cube), tanh (binary entropy)}, from a start in "
                   "Ψ's domain; retrieve() reports the same energies."),
        formula="E(q) = −β⁻¹Ω*(βXq) + Ψ(q) + c:  E(q_{t+1}) ≤ E(q_t)",
        source=H.PAPER + "; CCCP (Yuille & Rangarajan 2003)",
        tolerance=TOL_TEXT, generate=generate, check=check, n=(10, 100),
        requires=("hopfield.HopfieldNetwork",),
    )


def bounds_claim(spec: MapSpec, subject: Subject) -> Claim:
    def generate(rng, idx):
        n, d = H.sizes(rng, idx, d_min=2, d_max=10)
        X = sphere(rng, n, d) * rng.uniform(0.3, 2.0, (n, 1))
        beta = log_uniform(rng, 0.1, 30.0)
        q = rng.standard_normal(d) * float(rng.choice([0.1, 1.0, 3.0]))
        dirs = rng.standard_normal((2, d))
        dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
        return {"X": X, "beta": beta, "q": q, "directions": dirs}

    def check(inst):
        X, beta, q = inst["X"], inst["beta"], inst["q"]
        n, d = X.shape
        c = Checks()
        net = H.network(subject, X, spec, beta, None)
        u = np.full(n, 1.0 / n)
        Hu = -spec.omega_spec(u)[0]  # H(u) from the contract's formula, not the library
        M = float(np.max(np.linalg.norm(X, axis=1)))
        E = float(net.energy(q))
        EL = 0.5 * float(q @ q) - float(np.max(X @ q)) + 0.5 * M * M
        S = _scale(X, q, beta, Hu, 0)
        tol = 8 * gamma(n + d + 8) * S
        c.note(E=E, E_L=EL, H_u_over_beta=Hu / beta)
        c.geq("E(q) ≥ E_L(q) = ½‖q‖² − max_i x_iᵀq + ½M²", E, EL, tol)
        c.leq("E(q) ≤ E_L(q) + H(u)/β", E, EL + Hu / beta, tol)
        c.geq("E(q) ≥ 0", E, 0.0, tol)
        g = np.asarray(net.grad_energy(q), dtype=np.float64)
        p = np.asarray(net.probabilities(q), dtype=np.float64)
        c.close("grad_energy = q − Xᵀŷ(βXq)", g, q - X.T @ p,
                2 * gamma(n + 2) * (float(np.max(np.abs(q))) + M))
        # the quadratic upper bound pins the gradient (both signs of h)
        for dvec in inst["directions"]:
            for h0 in (1e-2, 1e-4):
                h = h0 * (1 + float(np.linalg.norm(q)))
                for s in (1.0, -1.0):
                    E1 = float(net.energy(q + s * h * dvec))
                    gap = E1 - E - s * h * float(g @ dvec) - 0.5 * h * h
                    c.leq("E(q+hd) ≤ E(q) + h⟨grad_energy, d⟩ + ½h²", gap, 0.0,
                          3 * tol + 4 * EPS * h * float(np.abs(g) @ np.abs(dvec)))
        # a converged retrieval is a stationary point of E
        res = net.retrieve(q, max_iter=200, tol=0.0)
        conv = bool(np.all(res.converged))
        if conv:
            qs = np.asarray(res.q, dtype=np.float64)
            Es = float(net.energy(qs))
            Ss = _scale(X, qs, beta, Hu, 0)
            for dvec in inst["directions"]:
                h = 1e-3 * (1 + float(np.linalg.norm(qs)))
                for s in (1.0, -1.0):
                    E1 = float(net.energy(qs + s * h * dvec))
                    c.leq("fixed point q*: E(q*+hd) ≤ E(q*) + ½h² (stationary)",
                          E1 - Es - 0.5 * h * h, 0.0, 3 * 8 * gamma(n + d + 8) * Ss)
        return c

    return Claim(
        id=f"T3.bounds[{spec.name}]", theorem="T3", kind="theorem", map=spec.name,
        title=f"energy bounds, gradient, stationary fixed points ({spec.name})",
        statement=("With Ψ = ½‖·‖²: E_L ≤ E ≤ E_L + H(u)/β (so E ≥ 0), ∇E(q) = q − "
                   "Xᵀŷ(βXq), and converged fixed points are stationary points of E."),
        formula=("E_L(q) ≤ E(q) ≤ E_L(q) + H(u)/β, E_L = ½‖q‖² − max_i x_iᵀq + ½M²; "
                 "∇E = q − Xᵀŷ(βXq); q* = step(q*) ⇒ ∇E(q*) = 0"),
        source=H.PAPER,
        tolerance=TOL_TEXT, generate=generate, check=check, n=(10, 100),
        requires=("hopfield.HopfieldNetwork",),
    )


def sign_claims(subject: Subject) -> list[Claim]:
    def gen(rng, idx):
        n = 2 + idx % 4 if idx < 8 else int(rng.integers(2, 16))
        d = int(rng.integers(3, 24))
        X = rng.choice([-1.0, 1.0], size=(n, d))
        q = rng.choice([-1.0, 1.0], size=d)
        return {"X": X, "q": q}

    def make(name, factory, exact):
        def check(inst):
            X, q = inst["X"], inst["q"]
            c = Checks()
            net = factory(X)
            res = net.retrieve(q, max_iter=30)
            E = np.asarray(res.energies, dtype=np.float64)
            c.note(energies=E)
            scale = float(np.max(np.abs(E))) if E.size else 0.0
            tol = 0.0 if exact else 8 * gamma(X.shape[0] + 8) * scale
            for t in range(len(E) - 1):
                c.leq("E(q_{t+1}) ≤ E(q_t)", float(E[t + 1]), float(E[t]), tol)
            qs = [q]
            for _ in range(5):
                qs.append(np.asarray(net.step(qs[-1]), dtype=np.float64))
            Es = [float(net.energy(v)) for v in qs]
            for t in range(len(Es) - 1):
                c.leq("E(step(q)) ≤ E(q)", Es[t + 1], Es[t], tol)
            return c

        return Claim(
            id=f"T3.descent[{name}]", theorem="T3", kind="theorem", map=name,
            title=f"energy descent, {name}",
            statement=(f"The {name} energy does not increase along its update (a convex "
                       "energy maximized by its linearization over the cube)."),
            formula={"classical": "E = −½‖Xq‖², q ← sign(XᵀXq): E non-increasing",
                     "classical-async": "E = −½‖Xq‖², asynchronous sign updates: E "
                                        "non-increasing",
                     "dam-poly": "E = −Σ_i F(x_iᵀq), F(s) = s³₊, q ← sign(XᵀF'(Xq))",
                     "dam-exp": "E = −Σ_i exp(x_iᵀq), q ← sign(Xᵀexp(Xq))"}[name],
            source="math §5; Hopfield (1982); Krotov & Hopfield (2016); Demircigil et al. "
                   "(2017)",
            tolerance=("integer energies: exact" if exact else
                       "8·γ_{N+8} of max|E| (sums of N exponentials)"),
            generate=gen, check=check, n=(10, 100),
            requires=("hopfield.ClassicalHopfield", "hopfield.DenseAssociativeMemory"),
        )

    hop = subject.hopfield

    def classical(X):
        return hop.ClassicalHopfield(X, mode="sync")

    def classical_async(X):
        return hop.ClassicalHopfield(X, mode="async")

    def dam_poly(X):
        return hop.DenseAssociativeMemory(X, F="poly", n=3)

    def dam_exp(X):
        return hop.DenseAssociativeMemory(X, F="exp")

    out = [make("classical", classical, True), make("dam-poly", dam_poly, True),
           make("dam-exp", dam_exp, False)]
    out.insert(1, make("classical-async", classical_async, True))
    return out


def claims(subject: Subject) -> list[Claim]:
    out = []
    for spec in subject.maps.values():
        out.append(descent_claim(spec, subject))
    for spec in subject.maps.values():
        if spec.family != "ksubsets":
            out.append(bounds_claim(spec, subject))
    out += sign_claims(subject)
    return out
