r"""T4: stationary patterns — the library's ``m/β`` and the slides' ``1/(mβ)``.

If ``x_i`` is not in the convex hull of the other patterns and ŷ_Ω has margin ``m``,
``x_i`` is a fixed point of ``q ← Xᵀŷ_Ω(βXq)`` iff ``β Δ_i ≥ m``, with
``Δ_i = x_iᵀx_i − max_{j≠i} x_iᵀx_j``.  (Why: ``z = βXx_i`` has ``z_i − max_{j≠i} z_j =
βΔ_i``; ŷ = e_i iff that gap is ≥ m (T2); and ``Xᵀŷ = x_i`` with ŷ ≠ e_i would put
x_i in the hull of the others.)

The slides print the threshold as ``Δ_i ≥ 1/(mβ)``.  Both are held as claims and decided
the same way: instances on both sides of the claimed threshold (β = thr/Δ_i·(1 ± δ)),
and a bisection on β for the smallest β at which x_i is fixed, compared with the claimed
``m`` or ``1/m``.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from .._num import EPS
from ..registry import Checks, Claim, MapSpec, Subject
from . import _hop as H

TOL_TEXT = (
    "fixed point: ‖step(x_i) − x_i‖∞ ≤ 2 ulps of max|X| (ŷ = e_i exactly gives x_i); "
    "instances sit at least 4ρ (relative) from m, ρ the rounding bound of z = βXq "
    "(2γ_{D+2}·β·max|X||q|/m), so the float decision is the exact one; outside the "
    "threshold δ ≥ 1e-5 so the deviation (≥ δ^max(1,1/(α−1))·‖x_j − x_i‖) is far above "
    "tolerance; theory.separation: 1 ulp of the exact Δ_i (computed here with fractions)."
)


def make_claim(spec: MapSpec, subject: Subject, published: bool, post=None,
               mode: str = "free", cid: str | None = None, theorem: str = "T4") -> Claim:
    m = spec.margin
    thr, thr_x, thr_txt = H.thresholds(spec, published)
    mx = H.m_exact(spec)

    def generate(rng, idx):
        if idx < 2 and mode != "layernorm":
            X = np.eye(2) if mode != "free" else np.array([[1.0, 0.0], [0.0, 0.5]])
            i, Delta = 0, Fraction(1)
            beta = thr if idx == 0 else 0.5 * thr
            canon = True
        else:
            canon = False
            n, d = H.sizes(rng, idx, d_min=3 if mode == "layernorm" else 2)
            i = int(rng.integers(0, n))
            X = H.make_patterns(rng, n, d, mode, i)
            Delta = H.exact_separation(X, i)
            b0 = thr / float(Delta)
            rho = H.rounding_rho(X, X[i], b0 * 2, m)
            inside = idx % 2 == 0
            for _ in range(100):
                delta = H.side_delta(rng, max(4 * rho, 1e-9 if inside else 1e-5), 0.9)
                beta = b0 * (1 + delta) if inside else b0 * (1 - delta)
                # stay clear of the true threshold m too (matters when thr = 1/m)
                if abs(beta * float(Delta) / m - 1) > 4 * rho + 1e-5:
                    break
        in_claim = Fraction(beta) * Delta >= thr_x
        is_fixed = Fraction(beta) * Delta >= mx  # what the theorem predicts (for values)
        return {"X": X, "i": i, "beta": beta, "separation": float(Delta),
                "beta_times_separation": beta * float(Delta), "claimed_threshold": thr,
                "assumption_holds": bool(in_claim), "canonical": canon,
                "theory_predicts_fixed": bool(is_fixed)}

    def check(inst):
        X, i, beta = inst["X"], inst["i"], inst["beta"]
        c = Checks()
        net = H.network(subject, X, spec, beta, post)
        q1 = np.asarray(net.step(X[i]), dtype=np.float64)
        err = float(np.max(np.abs(q1 - X[i])))
        tol = H.exact_tol(X, post)
        c.note(step_x_i=q1, error=err)
        if inst["assumption_holds"]:
            c.leq(f"βΔ_i ≥ {thr_txt} ⇒ x_i is a fixed point", err, 0.0, tol)
        else:
            c.true(f"βΔ_i < {thr_txt} ⇒ x_i is not a fixed point", err > tol)
        if not published and subject.theory is not None:
            th = subject.theory
            sep = float(th.separation(X, i))
            c.close("theory.separation = exact Δ_i (1 ulp)", sep, inst["separation"],
                    EPS * abs(inst["separation"]))
            st = float(th.stationary_threshold(spec.reg, beta))
            c.close("theory.stationary_threshold = m/β", st, m / beta, 2 * EPS * m / beta)
        return c

    def boundary(rng, quick):
        rows = []
        refutes = None
        for k, (X, i) in enumerate([(np.array([[1.0, 0.0], [0.0, 0.5]]), 0),
                                    (H.make_patterns(rng, 5, 4, mode, 0), 0)]):
            if mode == "layernorm" and k == 0:
                continue
            Delta = float(H.exact_separation(X, i))
            tol = H.exact_tol(X, post)

            def fixed(b, X=X, i=i, tol=tol):
                # exact decision: ŷ(βXx_i) is e_i (support {i}) and step(x_i) = x_i
                net = H.network(subject, X, spec, b, post)
                p = np.asarray(net.probabilities(X[i]))
                q1 = np.asarray(net.step(X[i]))
                return (bool(np.all(np.delete(p, i) == 0.0))
                        and float(np.max(np.abs(q1 - X[i]))) <= tol)

            hi = 4 * max(m, 1 / m) / Delta
            lo, hi = H.bisect_beta(fixed, 0.0, hi)
            meas = hi * Delta
            rho = H.rounding_rho(X, X[i], hi, m)
            rows.append({"X": X, "i": i, "separation": Delta,
                         "measured_beta_times_separation": meas})
            if abs(meas - thr) > (4 * rho + 4 * EPS) * thr and refutes is None:
                refutes = {"X": X, "i": i, "separation": Delta,
                           "smallest_beta_fixed": hi,
                           "beta_times_separation_found": meas,
                           "claimed_threshold": thr_txt + f" = {thr:g}",
                           "beta_at_claimed_threshold": thr / Delta,
                           "step_at_claimed_threshold": np.asarray(
                               H.network(subject, X, spec, thr / Delta * (1 + 1e-9), post)
                               .step(X[i]))}
        meas = rows[-1]["measured_beta_times_separation"]
        out = {"status": "fails outside" if refutes is None else "threshold differs",
               "measured": meas, "theory": thr, "m": m, "one_over_m": 1 / m,
               "probes": rows,
               "note": "βΔ_i at the smallest β making x_i a fixed point (bisection)"}
        if refutes is not None:
            out["refutes"] = True
            out["counterexample"] = refutes
        return out

    kind = "published" if published else "theorem"
    pid = cid or (f"{theorem}.stationary{'.slides' if published else ''}[{spec.name}]")
    post_txt = f" with Ψ = {post}" if post else ""
    return Claim(
        id=pid, theorem=theorem, kind=kind, map=spec.name,
        title=(f"x_i fixed ⇔ Δ_i ≥ {'1/(mβ)' if published else 'm/β'}{post_txt} "
               f"({spec.name}, m={m:g})"),
        statement=(f"A pattern outside the convex hull of the others is a fixed point of "
                   f"the {spec.name} HFY update{post_txt} iff its separation Δ_i is at least "
                   + ("1/(mβ) (as printed in the talk's slides)" if published
                      else "m/β")),
        formula=(f"x_i ∉ conv(x_j, j≠i): step(x_i) = x_i ⇔ Δ_i ≥ "
                 f"{'1/(mβ)' if published else 'm/β'},  m = {m:g}"),
        source=H.SLIDES if published else H.PAPER,
        tolerance=TOL_TEXT,
        generate=generate, check=check, boundary=boundary, boundary_decides=True,
        n=(16, 160), requires=("hopfield.HopfieldNetwork",), method="exact",
    )


def claims(subject: Subject) -> list[Claim]:
    return H.margin_map_claims(subject, make_claim)
