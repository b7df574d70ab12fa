r"""T5: one-step retrieval — the library's ``m`` and the slides' ``1/m``.

If ``β q₀ᵀ(x_i − x_j) ≥ m`` for all ``j ≠ i``, then ``q₁ = x_i`` exactly (T2 on
``z = βXq₀``).  Queries are near a pattern or anywhere; ``i`` is the pattern that
``q₀`` scores highest (so x_i is an extreme point of the hull and the converse holds
too: below the threshold q₁ ≠ x_i, checked as the boundary).  The slides print
``q₀ᵀ(x_i − x_j) ≥ 1/(mβ)``: held as a published claim (a sufficient condition only,
so only its "⇒" is checked; it fails when ``1/m < m``).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from .._num import EPS
from ..registry import Checks, Claim, MapSpec, Subject
from . import _hop as H

TOL_TEXT = (
    "q₁ = x_i: ‖step(q₀) − x_i‖∞ ≤ 2 ulps of max|X| (more with a normalizing Ψ: γ_{D+2}); "
    "instances sit at least 4ρ (relative) from m, ρ the rounding bound of z = βXq₀; "
    "theory.one_step_condition must equal the exact decision (fractions)."
)


def make_claim(spec: MapSpec, subject: Subject, published: bool, post=None,
               mode: str = "free", cid: str | None = None, theorem: str = "T5") -> Claim:
    m = spec.margin
    thr, thr_x, thr_txt = H.thresholds(spec, published)
    mx = H.m_exact(spec)

    def generate(rng, idx):
        if idx < 2 and mode != "layernorm":
            X = np.eye(2) if mode != "free" else np.array([[1.0, 0.0], [0.0, 0.5]])
            q0 = np.array([0.75, 0.25])
            i = 0
            G = min(H.exact_gaps(X, q0, i))
            beta = thr / float(G) * (1.0 if idx == 0 else 0.5)
        else:
            n, d = H.sizes(rng, idx, d_min=3 if mode == "layernorm" else 2)
            X = H.make_patterns(rng, n, d, mode, int(rng.integers(0, n)))
            for _ in range(100):
                if rng.random() < 0.5:  # near a pattern
                    q0 = X[rng.integers(0, n)] + rng.standard_normal(d) * float(
                        rng.choice([0.01, 0.1, 0.5])) * float(np.max(np.abs(X)))
                else:
                    q0 = rng.standard_normal(d) * float(rng.choice([0.3, 1.0, 3.0]))
                s = [H.dot_exact(X[j], q0) for j in range(n)]
                i = max(range(n), key=lambda j: s[j])
                G = min(s[i] - s[j] for j in range(n) if j != i)
                if G > 0:
                    break
            b0 = thr / float(G)
            rho = H.rounding_rho(X, q0, 2 * b0, m)
            inside = published or idx % 2 == 0
            for _ in range(100):
                delta = H.side_delta(rng, max(4 * rho, 1e-9 if inside else 1e-5), 0.9)
                beta = b0 * (1 + delta) if inside else b0 * (1 - delta)
                if abs(beta * float(G) / m - 1) > 4 * rho + 1e-5:
                    break
        holds = Fraction(beta) * G >= thr_x
        return {"X": X, "q0": q0, "i": i, "beta": beta, "min_gap": float(G),
                "beta_times_gap": beta * float(G), "claimed_threshold": thr,
                "assumption_holds": bool(holds),
                "theory_predicts_retrieval": bool(Fraction(beta) * G >= mx)}

    def check(inst):
        X, q0, i, beta = inst["X"], inst["q0"], inst["i"], inst["beta"]
        c = Checks()
        net = H.network(subject, X, spec, beta, post)
        q1 = np.asarray(net.step(q0), dtype=np.float64)
        err = float(np.max(np.abs(q1 - X[i])))
        tol = H.exact_tol(X, post)
        c.note(q1=q1, error=err)
        if inst["assumption_holds"]:
            c.leq(f"βq₀ᵀ(x_i−x_j) ≥ {thr_txt} ∀j ⇒ q₁ = x_i", err, 0.0, tol)
        elif not published:
            c.true("below m ⇒ q₁ ≠ x_i (x_i is extreme)", err > tol)
        if not published and subject.theory is not None:
            got = bool(subject.theory.one_step_condition(X, q0, i, spec.reg, beta))
            c.true("theory.one_step_condition = exact decision",
                   got == inst["theory_predicts_retrieval"])
        return c

    def boundary(rng, quick):
        X = np.array([[1.0, 0.0], [0.0, 0.5]]) if mode != "layernorm" else \
            H.make_patterns(rng, 4, 5, mode, 0)
        q0 = X[0] * 0.75 + X[1] * 0.25
        i = 0
        G = float(min(H.exact_gaps(X, q0, i)))
        tol = H.exact_tol(X, post)

        def retrieved(b):
            net = H.network(subject, X, spec, b, post)
            p = np.asarray(net.probabilities(q0))
            q1 = np.asarray(net.step(q0))
            return (bool(np.all(np.delete(p, i) == 0.0))
                    and float(np.max(np.abs(q1 - X[i]))) <= tol)

        lo, hi = H.bisect_beta(retrieved, 0.0, 4 * max(m, 1 / m) / G)
        meas = hi * G
        rho = H.rounding_rho(X, q0, hi, m)
        out = {"measured": meas, "theory": thr, "m": m, "one_over_m": 1 / m,
               "X": X, "q0": q0, "min_gap": G,
               "note": "β·min_j q₀ᵀ(x_i−x_j) at the smallest β with q₁ = x_i (bisection)"}
        if abs(meas - m) <= (4 * rho + 4 * EPS) * m:
            # the true threshold is m: the claim's "⇒" fails below thr iff thr < m
            out["status"] = "fails outside" if abs(thr - m) <= 4 * EPS * m else (
                "claimed threshold too small" if thr < m else "claimed threshold conservative")
            if thr < m:
                b = thr / G
                while Fraction(b) * Fraction(G) < thr_x:
                    b = float(np.nextafter(b, np.inf))
                out["refutes"] = True
                out["counterexample"] = {"X": X, "q0": q0, "i": i, "beta": b,
                                         "beta_times_gap": b * G,
                                         "q1": np.asarray(H.network(subject, X, spec, b,
                                                                    post).step(q0))}
        else:
            out["status"] = "threshold differs from m"
            out["refutes"] = not published or thr < meas
            out["counterexample"] = {"X": X, "q0": q0, "i": i, "measured": meas}
        return out

    kind = "published" if published else "theorem"
    pid = cid or f"{theorem}.one-step{'.slides' if published else ''}[{spec.name}]"
    post_txt = f" with Ψ = {post}" if post else ""
    return Claim(
        id=pid, theorem=theorem, kind=kind, map=spec.name,
        title=(f"one-step retrieval if βq₀ᵀ(x_i−x_j) ≥ {thr_txt}{post_txt} "
               f"({spec.name}, m={m:g})"),
        statement=(f"If the query scores pattern i above every other by at least "
                   f"{'1/(mβ) (as printed in the slides)' if published else 'm/β'}, one "
                   f"update{post_txt} returns x_i exactly."),
        formula=(f"∀j≠i: q₀ᵀ(x_i − x_j) ≥ {'1/(mβ)' if published else 'm/β'} ⇒ "
                 f"q₁ = x_i,  m = {m:g}"),
        source=H.SLIDES if published else H.PAPER,
        tolerance=TOL_TEXT,
        generate=generate, check=check, boundary=boundary, boundary_decides=True,
        n=(16, 160), requires=("hopfield.HopfieldNetwork",), method="exact",
    )


def claims(subject: Subject) -> list[Claim]:
    return H.margin_map_claims(subject, make_claim)
