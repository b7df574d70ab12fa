r"""T3 continued: the energy as a difference of two Fenchel-Young losses, and convergence
of the CCCP iterates (math §5; Santos et al., HFY networks).

**Difference of FY losses.**  With ``u`` the barycenter of Ω's domain (``1/N``) and the FY
losses ``L_Ω(θ; y) = Ω*(θ) + Ω(y) − ⟨θ, y⟩``, ``L_Ψ(v; q) = Ψ*(v) + Ψ(q) − ⟨v, q⟩``:

.. math::

    E(q) = -\beta^{-1} L_\Omega(\beta X q;\, u) + L_\Psi(X^\top u;\, q) + \kappa',
    \qquad \kappa' = \max_i \Psi^*(x_i) - \Psi^*(X^\top u),

because ``−β⁻¹L_Ω(βXq; u) + L_Ψ(Xᵀu; q) = −β⁻¹Ω*(βXq) + Ψ(q) − β⁻¹Ω(u) + Ψ*(Xᵀu)``
(the two inner products cancel) and ``E = −β⁻¹Ω*(βXq) + Ψ(q) + H(u)/β + max_i Ψ*(x_i)``.
The constant is computed here from Ψ* of the patterns, not from the library's.

**Convergence.**  For ``Ψ = ½‖·‖²`` the update ``q⁺ = Xᵀŷ(βXq) = ∇F(q)``,
``F(q) = β⁻¹Ω*(βXq)`` convex, so ``F(q⁺) ≥ F(q) + ⟨q⁺, q⁺ − q⟩`` and

.. math::

    E(q_t) - E(q_{t+1}) \ge \tfrac12 \|q_{t+1} - q_t\|^2 \quad\text{(sufficient decrease)},

hence ``Σ_t ‖q_{t+1} − q_t‖² ≤ 2(E(q_0) − E(q_T)) ≤ 2E(q_0)`` (E ≥ 0): the steps are
square-summable, ``min_{t<T} ‖q_{t+1} − q_t‖ ≤ √(2E(q_0)/T)``, and every limit point is a
fixed point (the update is continuous), i.e. a stationary point of E.  Checked along
trajectories of 60 steps, with the final residual ``‖∇E(q_T)‖ = ‖q_{T+1} − q_T‖`` against
``√(2(E(q_0) − E(q_T))/T)``.
"""

from __future__ import annotations

import math

import numpy as np

from .._num import gamma, log_uniform, sphere
from ..registry import Checks, Claim, MapSpec, Subject
from . import _hop as H
from .t03_energy import _scale

POSTS = (None, "l2", "layernorm", "sign", "tanh")


def _psi_parts(net, post):
    """``(Ψ, Ψ*)`` as functions of one vector (closed form for ½‖·‖²)."""
    if post is None:
        return (lambda q: 0.5 * float(q @ q)), (lambda v: 0.5 * float(v @ v))
    return (lambda q: float(net.post.psi(q))), (lambda v: float(net.post.conjugate(v)))


def difference_claim(spec: MapSpec, subject: Subject) -> Claim:
    reg = spec.reg

    def generate(rng, idx):
        n, d = H.sizes(rng, idx, d_min=3, d_max=10)
        X = sphere(rng, n, d) * rng.uniform(0.3, 2.0, (n, 1))
        return {"X": X, "beta": log_uniform(rng, 0.1, 30.0), "post": POSTS[idx % 5],
                "v": rng.standard_normal((3, d)) * float(rng.choice([0.3, 1.0, 3.0]))}

    def check(inst):
        X, beta, post = inst["X"], inst["beta"], inst["post"]
        n, d = X.shape
        c = Checks()
        net = H.network(subject, X, spec, beta, post)
        psi, psi_star = _psi_parts(net, post)
        u = np.full(n, 1.0 / n)
        v = X.T @ u
        kappa = max(psi_star(x) for x in X) - psi_star(v)
        Hu = -spec.omega_spec(u)[0]
        for vv in inst["v"]:
            q = np.asarray(net.post.argmax(vv), dtype=np.float64) if post else vv
            E = float(net.energy(q))
            LO = float(reg.loss(beta * (X @ q), u))
            LP = psi_star(v) + psi(q) - float(v @ q)
            rhs = -LO / beta + LP + kappa
            S = _scale(X, q, beta, Hu, d) + abs(LO) / beta + abs(LP) + abs(kappa)
            c.note(q=q, E=E, L_Omega=LO, L_Psi=LP, kappa=kappa)
            c.close("E(q) = −β⁻¹L_Ω(βXq; u) + L_Ψ(Xᵀu; q) + max_i Ψ*(x_i) − Ψ*(Xᵀu)", E,
                    rhs, 16 * gamma(n + d + 8) * S)
        return c

    return Claim(
        id=f"T3.fy-difference[{spec.name}]", theorem="T3", kind="theorem", map=spec.name,
        title=f"energy = difference of two FY losses ({spec.name}, every Ψ)",
        statement=("The HFY energy is −β⁻¹ times the FY loss of Ω at (βXq, u) plus the FY "
                   "loss of Ψ at (Xᵀu, q), plus the constant max_i Ψ*(x_i) − Ψ*(Xᵀu)."),
        formula="E(q) = −β⁻¹L_Ω(βXq; u) + L_Ψ(Xᵀu; q) + max_i Ψ*(x_i) − Ψ*(Xᵀu)",
        source=H.PAPER + "; seed summary ('energy as the difference between two FY losses')",
        tolerance=("16·γ_{N+D+8} of the size of the terms (E's scale plus |L_Ω|/β, |L_Ψ|, "
                   "|κ'|)"),
        generate=generate, check=check, n=(10, 100),
        requires=("hopfield.HopfieldNetwork",),
    )


def convergence_claim(spec: MapSpec, subject: Subject) -> Claim:
    T = 60

    def generate(rng, idx):
        n, d = H.sizes(rng, idx, d_min=2, d_max=10)
        n = max(n, (spec.k or 1) + 1)
        X = sphere(rng, n, d) * rng.uniform(0.3, 2.0, (n, 1))
        # k-subsets: every other instance with averaging, q ← Xᵀμ/k and
        # E = −Ω*(βXq)/(βk) + ½‖q‖² (the same CCCP argument, F = Ω*(βX·)/(βk))
        average = spec.family == "ksubsets" and idx % 2 == 1
        return {"X": X, "beta": log_uniform(rng, 0.1, 30.0), "average": average,
                "q0": rng.standard_normal(d) * float(rng.choice([0.3, 1.0, 3.0]))}

    def check(inst):
        X, beta, q = inst["X"], inst["beta"], inst["q0"]
        n, d = X.shape
        c = Checks()
        kw = {"average": True} if inst.get("average") else {}
        net = H.network(subject, X, spec, beta, **kw)
        Hu = -float(spec.reg.uniform_omega(n))
        qs = [q]
        for _ in range(T + 1):
            qs.append(np.asarray(net.step(qs[-1]), dtype=np.float64))
        E = [float(e) for e in np.asarray(net.energy(np.array(qs)), dtype=np.float64)]
        steps = [float(np.sum((qs[t + 1] - qs[t]) ** 2)) for t in range(T + 1)]
        S = max(_scale(X, x, beta, Hu, 0) for x in qs)
        tol = 8 * gamma(n + d + 8) * S
        worst = min(range(T), key=lambda t: E[t] - E[t + 1] - 0.5 * steps[t])
        c.note(energies=E[: T + 1], squared_steps=steps)
        c.geq("E(q_t) − E(q_{t+1}) ≥ ½‖q_{t+1} − q_t‖² (sufficient decrease)",
              E[worst] - E[worst + 1], 0.5 * steps[worst], tol)
        c.leq("Σ_t ‖q_{t+1} − q_t‖² ≤ 2(E(q_0) − E(q_T))", math.fsum(steps[:T]),
              2 * (E[0] - E[T]), 2 * T * tol)
        c.leq("min_t ‖q_{t+1} − q_t‖² ≤ 2(E(q_0) − E(q_T))/T", min(steps[:T]),
              2 * (E[0] - E[T]) / T, 2 * tol)
        c.geq("E(q_T) ≥ 0 (bounded below)", E[T], 0.0, tol)
        c.metric(final_step=math.sqrt(steps[T]))
        return c

    return Claim(
        id=f"T3.convergence[{spec.name}]", theorem="T3", kind="theorem", map=spec.name,
        title=f"CCCP iterates converge ({spec.name}, Ψ = ½‖·‖²"
              + (", sum and average conventions)" if spec.family == "ksubsets" else ")"),
        statement=("Each update decreases the energy by at least half its squared length, "
                   "so the steps are square-summable (Σ‖Δq‖² ≤ 2E(q_0)), tend to 0, and "
                   "every limit point of the iterates is a stationary point of E."),
        formula=("E(q_t) − E(q_{t+1}) ≥ ½‖q_{t+1} − q_t‖² ⇒ Σ_t ‖Δq_t‖² ≤ 2E(q_0), "
                 "min_{t<T}‖Δq_t‖ ≤ √(2E(q_0)/T)"),
        source=H.PAPER + "; CCCP (Yuille & Rangarajan 2003; Sriperumbudur & Lanckriet 2009)",
        tolerance=("8·γ_{N+D+8} of the energy's scale per step (the sum: T of them)"),
        generate=generate, check=check, n=(8, 80),
        requires=("hopfield.HopfieldNetwork",),
    )


def claims(subject: Subject) -> list[Claim]:
    out = []
    for spec in subject.maps.values():
        if spec.family != "ksubsets":
            out.append(difference_claim(spec, subject))
    for spec in subject.maps.values():
        out.append(convergence_claim(spec, subject))
    return out
