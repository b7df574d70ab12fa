r"""T6: the ε-ball — the library's ``m/β + 2Mε`` and the slides' ``1/(mβ) + 2Mε``.

If ``‖x_j‖ ≤ M`` for all j and ``Δ_i ≥ m/β + 2Mε``, every ``q₀`` with
``‖q₀ − x_i‖ ≤ ε`` is mapped to ``x_i`` exactly in one step (T5, since
``q₀ᵀ(x_i − x_j) ≥ Δ_i − ε‖x_i − x_j‖ ≥ Δ_i − 2Mε``).

Queries: for every j the worst point of the ball for the pair (i, j),
``x_i − ε(x_i − x_j)/‖x_i − x_j‖``, plus random points on and inside the sphere of
radius ε.  How conservative the bound is: the exact radius of the retrieval region is
``min_j (x_iᵀ(x_i − x_j) − m/β)/‖x_i − x_j‖``; it is confirmed with the library (retrieval
just inside, failure just outside) and reported as measured/guaranteed.  The bound is
tight for two antipodal patterns (``‖x_i − x_j‖ = 2M``): the boundary search shows
failure at ``ε(1 + 1e-6)`` there.  The slides print ``Δ_i ≥ 1/(mβ) + 2Mε`` (for
normalized patterns): a published claim, decided the same way.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from .._num import EPS, sphere
from ..registry import Checks, Claim, MapSpec, Subject
from . import _hop as H

TOL_TEXT = (
    "q₁ = x_i: ‖step(q₀) − x_i‖∞ ≤ 2 ulps of max|X| (γ_{D+2} more with a normalizing Ψ); "
    "the assumption ‖q₀ − x_i‖ ≤ ε and Δ_i ≥ thr/β + 2Mε is verified exactly (fractions; "
    "M² exact), with the threshold raised by 4ρ (the rounding bound of z = βXq₀) so the "
    "float decision is the exact one; theory.epsilon_ball_radius: 8 ulps of its terms."
)


def _worst_queries(X, i, eps):
    d = X[i] - np.delete(X, i, axis=0)
    u = d / np.linalg.norm(d, axis=1, keepdims=True)
    return X[i] - eps * u


def _assumption_exact(X, i, Q, eps, beta, thr_x, extra=Fraction(0)) -> bool:
    """‖q − x_i‖² ≤ ε² for every q, and Δ_i − thr/β − extra ≥ 2Mε (exactly)."""
    e2 = Fraction(eps) ** 2
    for q in Q:
        dq = q - X[i]
        if H.dot_exact(dq, dq) > e2:  # q − x_i rounded: recompute exactly
            r = sum((Fraction(float(a)) - Fraction(float(b))) ** 2
                    for a, b in zip(q, X[i], strict=True))
            if r > e2:
                return False
    M2 = max(H.dot_exact(x, x) for x in X)
    rhs = H.exact_separation(X, i) - thr_x / Fraction(beta) - extra
    return rhs >= 0 and 4 * M2 * e2 <= rhs * rhs


def make_claim(spec: MapSpec, subject: Subject, published: bool, post=None,
               mode: str | None = None, cid: str | None = None,
               theorem: str = "T6") -> Claim:
    m = spec.margin
    thr, thr_x, thr_txt = H.thresholds(spec, published)
    mode = mode or ("unit" if published else "free")

    def generate(rng, idx):
        if idx == 0 and mode != "layernorm":
            # two antipodal unit patterns: the bound is attained
            X = np.array([[1.0, 0.0], [-1.0, 0.0]])
            i, beta, eps = 0, thr, 0.5
            r = 0.5 * (1 - 1e-12) * math.sqrt(0.5)
            Q = np.array([[0.5, 0.0], [1.0 - r, r]])
            ok = _assumption_exact(X, i, Q, eps, beta, thr_x)
            return {"X": X, "i": i, "beta": beta, "eps": eps, "queries": Q,
                    "assumption_holds": bool(ok), "tight_instance": True}
        n, d = H.sizes(rng, idx, d_min=3 if mode == "layernorm" else 2)
        i = int(rng.integers(0, n))
        X = H.make_patterns(rng, n, d, mode, i)
        Delta = float(H.exact_separation(X, i))
        M = float(np.max(np.linalg.norm(X, axis=1)))
        beta = thr / Delta * (1 + 1e-3 + float(rng.choice([0.01, 0.3, 1.0, 9.0])) * rng.random())
        rho = H.rounding_rho(X, np.abs(X[i]) + M, beta, m)  # |q₀| ≤ |x_i| + ε, ε < M
        raise_by = Fraction(4 * rho * m) / Fraction(beta)
        eps = ((Delta - thr / beta - float(raise_by)) / (2 * M)
               * (1 - H.side_delta(rng, 1e-9, 0.5)))
        eps = max(eps, 0.0)
        # radius used for the queries: ε less the rounding of x_i ± (a vector of norm ε)
        r_use = max(eps * (1 - 1e-12) - 4 * math.sqrt(d) * EPS * float(np.max(np.abs(X[i]))),
                    0.0)
        Q = _worst_queries(X, i, r_use)
        R = sphere(rng, 3, d, r_use) + X[i]
        Rin = sphere(rng, 2, d, 1.0) * (r_use * rng.random((2, 1))) + X[i]
        Q = np.vstack([Q, R, Rin])
        ok = _assumption_exact(X, i, Q, eps, beta, thr_x, raise_by)
        return {"X": X, "i": i, "beta": beta, "eps": eps, "queries": Q,
                "assumption_holds": bool(ok), "tight_instance": False}

    def check(inst):
        X, i, beta, Q = inst["X"], inst["i"], inst["beta"], inst["queries"]
        c = Checks()
        c.true("instance satisfies the assumption exactly (generator)", inst["assumption_holds"])
        net = H.network(subject, X, spec, beta, post)
        Q1 = np.asarray(net.step(Q), dtype=np.float64)
        err = np.max(np.abs(Q1 - X[i]), axis=1)
        tol = H.exact_tol(X, post)
        worst = int(np.argmax(err))
        c.note(q0_worst=Q[worst], q1_worst=Q1[worst], error=float(err[worst]))
        c.leq(f"Δ_i ≥ {'1/(mβ)' if published else 'm/β'} + 2Mε ⇒ q₁ = x_i on the ε-ball",
              float(err[worst]), 0.0, tol)
        if not published:
            M = float(np.max(np.linalg.norm(X, axis=1)))
            Delta = float(H.exact_separation(X, i))
            if subject.theory is not None:
                r = float(subject.theory.epsilon_ball_radius(X, i, spec.reg, beta))
                mine = (Delta - m / beta) / (2 * M)
                c.close("theory.epsilon_ball_radius = (Δ_i − m/β)/(2M)", r, mine,
                        8 * EPS * (Delta + m / beta) / (2 * M) + 8 * EPS * abs(mine))
            # conservativeness: the exact radius of the retrieval region, confirmed
            d = X[i] - np.delete(X, i, axis=0)
            nd = np.linalg.norm(d, axis=1)
            true_r = (d @ X[i] - m / beta) / nd
            j = int(np.argmin(true_r))
            r_true = float(true_r[j])
            guaranteed = (Delta - m / beta) / (2 * M)
            if r_true > 0 and guaranteed > 0:
                u = d[j] / nd[j]
                inside = X[i] - r_true * (1 - 1e-6) * u
                outside = X[i] - r_true * (1 + 1e-6) * u
                o = np.asarray(net.step(np.vstack([inside, outside])))
                po = np.asarray(net.probabilities(outside))
                c.leq("exact radius confirmed: retrieval just inside", float(
                    np.max(np.abs(o[0] - X[i]))), 0.0, tol)
                # just outside, ŷ ≠ e_i: the exact support decision (the deviation of q₁
                # itself can be below rounding, ~ shortfall^(1/(α−1)))
                c.true("exact radius confirmed: ŷ ≠ e_i just outside",
                       bool(np.any(np.delete(po, i) > 0.0)))
                c.metric(radius_measured_over_guaranteed=r_true / guaranteed)
        return c

    def boundary(rng, quick):
        # two antipodal patterns x, −x on Ψ's set: Δ_0 = 2M², ‖x_0 − x_1‖ = 2M
        x = np.array([1.0, -1.0]) if mode == "layernorm" else np.array([1.0, 0.0])
        X = np.array([x, -x])
        M = float(np.linalg.norm(x))
        rows = []
        refutes = None
        for beta_mult in (1.0, 2.0, 8.0):
            beta = thr * beta_mult / (M * M)
            eps_claim = (2 * M * M - thr / beta) / (2 * M)
            for rel in (1e-6, 1e-3):
                q0 = x * (1.0 - eps_claim * (1 + rel) / M)
                q1 = np.asarray(H.network(subject, X, spec, beta, post).step(q0))
                fails = float(np.max(np.abs(q1 - X[0]))) > H.exact_tol(X, post)
                rows.append({"beta": beta, "eps_claimed": eps_claim, "beyond": rel,
                             "fails": fails})
            q0 = x * (1.0 - eps_claim / M)
            q1 = np.asarray(H.network(subject, X, spec, beta, post).step(q0))
            if float(np.max(np.abs(q1 - X[0]))) > H.exact_tol(X, post) and refutes is None:
                refutes = {"X": X, "i": 0, "beta": beta, "eps": eps_claim, "q0": q0,
                           "q1": q1}
        tight = all(r["fails"] for r in rows)
        out = {"status": "fails outside" if tight else "holds outside", "probes": rows,
               "note": ("antipodal pair x, −x (‖x_i − x_j‖ = 2M): q₀ at ε(1 + 1e-6), "
                        "ε(1 + 1e-3); a normalizing Ψ maps (p₀ − p₁)x back to x, so there "
                        "the bound is not attained")}
        if refutes is not None:
            out["refutes"] = True
            out["status"] = "fails inside"
            out["counterexample"] = refutes
        return out

    kind = "published" if published else "theorem"
    pid = cid or f"{theorem}.eps-ball{'.slides' if published else ''}[{spec.name}]"
    post_txt = f" with Ψ = {post}" if post else ""
    return Claim(
        id=pid, theorem=theorem, kind=kind, map=spec.name,
        title=(f"ε-ball if Δ_i ≥ {'1/(mβ)' if published else 'm/β'} + 2Mε{post_txt} "
               f"({spec.name}, m={m:g})"),
        statement=(f"If every pattern has norm ≤ M and Δ_i ≥ "
                   f"{'1/(mβ) + 2Mε (as printed in the slides, normalized patterns)' if published else 'm/β + 2Mε'}, "  # noqa: E501
                   f"every query within ε of x_i is mapped to x_i in one update{post_txt}."),
        formula=(f"‖x_j‖ ≤ M, Δ_i ≥ {'1/(mβ)' if published else 'm/β'} + 2Mε, "
                 f"‖q₀ − x_i‖ ≤ ε ⇒ q₁ = x_i,  m = {m:g}"),
        source=H.SLIDES if published else H.PAPER,
        tolerance=TOL_TEXT,
        generate=generate, check=check, boundary=boundary, boundary_decides=True,
        n=(12, 120), requires=("hopfield.HopfieldNetwork",), method="exact",
    )


def claims(subject: Subject) -> list[Claim]:
    return H.margin_map_claims(subject, make_claim)
