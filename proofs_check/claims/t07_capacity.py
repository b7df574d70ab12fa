r"""T7: storage capacity with exact one-step retrieval (math §6 T7).

N patterns i.i.d. uniform on the sphere of radius M in R^D.  If
``N ≤ √p ζ^{(D−1)/2}`` then with probability ≥ 1 − p every pattern is exactly
retrievable in one step from every point of its ε-ball, provided
``ε ≤ (M/2)(1 − cos(1/ζ)) − m/(2βM)``.

Checked three ways:

* the mechanism, exactly, on every instance: if the minimum pairwise angle is ≥ 1/ζ
  then every pattern is retrieved from the worst point of its ε-ball with
  ``ε = theory.capacity_epsilon(M, ζ, m, β)`` (T6 with Δ_i ≥ M²(1 − cos(1/ζ)));
* the probability, by Monte Carlo (the ``study``, see :func:`capacity_table`): at the
  largest N each bound allows -- the printed ``√p ζ^((D−1)/2)`` and the union bound
  ``C(N,2)·P(angle ≤ 1/ζ) ≤ p`` it is proved with -- the failure rate of exact
  retrieval must be ≤ p: an exact one-sided binomial test per cell (family level 1e-6)
  refutes, with its trials, level and power against ``1 − (1 − p)⁴`` reported.  The
  printed bound is loose: ``P(fail) ≤ C(N,2)·P(angle ≤ θ) ≤ N²θ^(D−1)/(2π)`` (the cap
  probability is at most ``θ^(D−1)/π``, attained for D = 2), so with N up to
  ``k√p ζ^((D−1)/2)`` the failure probability is ≤ ``k²p/(2π)``: **the printed bound
  inflated by any k ≤ √(2π) ≈ 2.5 is still a theorem** and no test can refute it.  The
  union-bound capacity is sharp (its 2× inflation fails about 1 − (1 − p)⁴ of the time),
  so it is where a wrong bound or a wrong ``min_angle_failure_probability`` is caught;
* the union bound's ingredient ``theory.angle_probability`` against the incomplete-beta
  formula and against sampled angles (claim ``T7.angle-probability``).
"""

from __future__ import annotations

import math

import numpy as np

from .._num import EPS, sphere
from .._stats import design, two_sided, two_sided_power, upper_test
from ..registry import Checks, Claim, MapSpec, Subject
from . import _hop as H

P_FAIL = 0.1
ANGLE_SAMPLES = 20_000
ANGLE_LEVEL = 1e-8
ANGLE_POWER = min(two_sided_power(ANGLE_SAMPLES, q, ANGLE_LEVEL, 0.03)
                  for q in (0.1, 0.3, 0.5, 0.7, 0.9))


def _min_angle(X: np.ndarray) -> float:
    U = X / np.linalg.norm(X, axis=1, keepdims=True)
    G = U @ U.T
    np.fill_diagonal(G, -np.inf)
    i, j = np.unravel_index(int(np.argmax(G)), G.shape)
    chord = float(np.linalg.norm(U[i] - U[j]))
    return 2.0 * math.asin(min(1.0, 0.5 * chord))


def _worst_points(X: np.ndarray, eps: float) -> np.ndarray:
    """For every i the worst point of its ε-ball: x_i − ε(x_i − x_j*)/‖x_i − x_j*‖ with j*
    minimizing x_iᵀ(x_i − x_j) − ε‖x_i − x_j‖ (the gap left at the pair's worst point)."""
    n = X.shape[0]
    if eps <= 0:
        return X.copy()
    G = X @ X.T
    d2 = np.maximum(np.diag(G)[:, None] + np.diag(G)[None, :] - 2 * G, 0.0)
    nd = np.sqrt(d2)
    val = np.diag(G)[:, None] - G - eps * nd
    np.fill_diagonal(val, np.inf)
    j = np.argmin(val, axis=1)
    diff = X - X[j]
    return X - eps * diff / nd[np.arange(n), j][:, None]


def _retrieved_all(net, X: np.ndarray, Q: np.ndarray) -> bool:
    Q1 = np.asarray(net.step(Q), dtype=np.float64)
    return bool(np.max(np.abs(Q1 - X)) <= 2 * EPS * float(np.max(np.abs(X))))


def mechanism_claim(spec: MapSpec, subject: Subject) -> Claim:
    m = spec.margin

    def generate(rng, idx):
        d = 2 + idx % 3 if idx < 6 else int(rng.integers(2, 11))
        n = 2 + idx % 4 if idx < 6 else int(rng.integers(2, 61))
        M = float(rng.choice([0.5, 1.0, 2.0]))
        X = sphere(rng, n, d, M)
        theta = _min_angle(X)
        zeta = 1.0 / (theta * (1 - 1e-9))  # min angle ≥ 1/ζ, with room for its rounding
        sep = M * M * (1 - math.cos(1 / zeta))
        beta = m / sep * (1.0 + float(rng.choice([0.01, 0.3, 3.0])) * rng.random() + 1e-3)
        return {"X": X, "M": M, "zeta": zeta, "beta": beta, "min_angle": theta}

    def check(inst):
        X, M, zeta, beta = inst["X"], inst["M"], inst["zeta"], inst["beta"]
        c = Checks()
        th = subject.theory
        eps = float(th.capacity_epsilon(M, zeta, spec.reg, beta))
        mine = 0.5 * M * (1 - math.cos(1 / zeta)) - m / (2 * beta * M)
        c.close("theory.capacity_epsilon = (M/2)(1 − cos(1/ζ)) − m/(2βM)", eps, mine,
                8 * EPS * (M + m / (beta * M)))
        n, d = X.shape
        cb = float(th.capacity_bound(d, P_FAIL, zeta))
        c.close("theory.capacity_bound = √p ζ^((D−1)/2) (relative)", cb / (
            math.sqrt(P_FAIL) * zeta ** ((d - 1) / 2)), 1.0, 8 * d * EPS)
        # queries strictly inside the ball, clear of the rounding of x_i − εu and of z
        r_use = max(eps * (1 - 1e-9) - 4 * math.sqrt(d) * EPS * M, 0.0)
        rho = H.rounding_rho(X, np.abs(X[0]) + M, beta, m)
        r_use = max(r_use - 4 * rho * m / (beta * 2 * M), 0.0)
        Q = _worst_points(X, r_use)
        net = H.network(subject, X, spec, beta)
        Q1 = np.asarray(net.step(Q), dtype=np.float64)
        err = np.max(np.abs(Q1 - X), axis=1)
        k = int(np.argmax(err))
        c.note(eps=eps, worst_pattern=k, q0=Q[k], q1=Q1[k])
        c.leq("min angle ≥ 1/ζ ⇒ every pattern retrieved from its ε-ball", float(err[k]),
              0.0, 2 * EPS * float(np.max(np.abs(X))))
        return c

    def study(rng, quick):
        return capacity_table(spec, subject, rng, quick)

    return Claim(
        id=f"T7.capacity[{spec.name}]", theorem="T7", kind="theorem", map=spec.name,
        title=f"capacity: exact retrieval from ε-balls ({spec.name}, m={m:g})",
        statement=("Patterns on the sphere of radius M with minimum pairwise angle ≥ 1/ζ "
                   "are all retrieved exactly in one step from their ε-balls, "
                   "ε = (M/2)(1 − cos(1/ζ)) − m/(2βM); for N ≤ √p ζ^((D−1)/2) uniform "
                   "patterns this happens with probability ≥ 1 − p."),
        formula=("N ≤ √p ζ^((D−1)/2), ε ≤ (M/2)(1 − cos(1/ζ)) − m/(2βM) ⇒ "
                 "P(all exactly retrievable from their ε-balls) ≥ 1 − p; the same with "
                 "C(N,2)·P(∠ ≤ 1/ζ) ≤ p in place of the bound on N"),
        source=H.PAPER + "; slides 'Storage Capacity with Exact Retrieval'",
        tolerance=("retrieval exact to 2 ulps of M; ζ set 1e-9 (relative) inside the "
                   "sampled minimum angle; queries 1e-9 plus rounding inside the ball; "
                   "Monte Carlo: exact one-sided binomial test of failure rate ≤ p at the "
                   "largest N each bound allows, family level 1e-6 (Bonferroni over the "
                   "judged cells), trials and power in the study's design"),
        generate=generate, check=check, study=study, n=(10, 100),
        requires=("hopfield.HopfieldNetwork", "theory.capacity_epsilon",
                  "theory.capacity_bound", "theory.min_angle_failure_probability"),
    )


# ---------------------------------------------------------------------------------------
LEVEL = 1e-6  # family-wise level of each capacity claim (Bonferroni over its judged cells)


def alternative(p: float) -> float:
    """The failure rate a 2× larger N gives when failures are Poisson-many close pairs:
    the pair count ×4, so ``1 − (1 − p)⁴`` (0.344 for p = 0.1)."""
    return 1.0 - (1.0 - p) ** 4


def union_capacity(th, p: float, theta: float, D: int, n_max: int = 10_000) -> int:
    """The largest N with ``theory.min_angle_failure_probability(N, θ, D) ≤ p`` (the
    union bound the theorem is proved with), at least 2."""
    N = 2
    while N < n_max and float(th.min_angle_failure_probability(N + 1, theta, D)) <= p:
        N += 1
    return N


def _union_exact(N: int, theta: float, D: int) -> float:
    """``C(N,2)·P(angle ≤ θ)`` from scipy's incomplete beta (independent of theory)."""
    from scipy.special import betainc

    half = 0.5 * float(betainc((D - 1) / 2, 0.5, math.sin(theta) ** 2))
    return 0.5 * N * (N - 1) * (half if theta <= math.pi / 2 else 1 - half)


def capacity_table(spec: MapSpec, subject: Subject, rng: np.random.Generator,
                   quick: bool) -> dict:
    """Monte Carlo of the probabilistic part of T7, with a stated design.

    For each configuration (D, β) two angles: θ₀ with ``(M/2)(1 − cos θ₀) = m/(2βM)``
    (ε = 0: success ⇔ every pattern is a fixed point ⇔ min angle ≥ θ₀, by T4) and θ₁
    with ``1 − cos θ₁ = 2m/(βM²)`` (ε = ``capacity_epsilon`` = m/(2βM) > 0, queries at
    the worst point of every ε-ball).  Judged cells (the theorem applies there, so the
    failure rate must be ≤ p):

    * ``union``: N = the largest N with ``theory.min_angle_failure_probability(N, θ, D)
      ≤ p`` (the union bound the theorem is proved with; at ε = 0 and at ε > 0);
    * ``paper``: N = ⌊theory.capacity_bound(D, p, 1/θ₀)⌋ (the printed bound).

    Each judged cell is an exact one-sided binomial test of ``rate ≤ p`` at level
    ``LEVEL / #cells``; a significant excess refutes.  Reported, not judged: the cell at
    1.25, 1.5 and 2 times the union capacity (how sharp the bound is), the measured
    capacity (the largest N of that sweep with an observed rate ≤ p) over the bounds;
    and every trial where the mechanism (ε = 0: success ⇔ min angle ≥ θ₀) is violated,
    which refutes.
    """
    th = subject.theory
    m = spec.margin
    M = 1.0
    p = P_FAIL
    trials = 200 if quick else 400
    configs = [(4, 200.0)] if quick else [(4, 200.0), (6, 30.0), (3, 50.0)]
    f_alt = alternative(p)
    plan = []
    for D, bm in configs:
        beta = bm * m  # the same m/β for every map: the event is the same
        theta0 = math.acos(1 - m / (beta * M * M))
        theta1 = math.acos(1 - 2 * m / (beta * M * M))
        n_u0 = union_capacity(th, p, theta0, D)
        n_u1 = union_capacity(th, p, theta1, D)
        n_pap = int(math.floor(float(th.capacity_bound(D, p, 1 / theta0))))
        plan.append((D, beta, theta0, 0.0, "union", n_u0, True))
        eps1 = float(th.capacity_epsilon(M, 1 / theta1, spec.reg, beta))
        plan.append((D, beta, theta1, eps1, "union", n_u1, True))
        if n_pap >= 2:
            plan.append((D, beta, theta0, 0.0, "paper", n_pap, True))
        for r in (1.25, 1.5):
            plan.append((D, beta, theta0, 0.0, f"{r:g}× union", int(r * n_u0), False))
        plan.append((D, beta, theta0, 0.0, "2× union", 2 * n_u0, False))
    judged = sum(1 for c in plan if c[6])
    alpha_cell = LEVEL / judged
    des = design(trials, p, alpha_cell, f_alt)
    rows = []
    refutations = []
    for D, beta, theta, eps, which, N, is_judged in plan:
        fails = mech = 0
        for _ in range(trials):
            X = sphere(rng, N, D, M)
            net = H.network(subject, X, spec, beta)
            if eps > 0:
                r_use = eps * (1 - 1e-9) - 4 * math.sqrt(D) * EPS * M
                ok = _retrieved_all(net, X, _worst_points(X, r_use))
            else:
                ok = _retrieved_all(net, X, X)
            fails += not ok
            ang = _min_angle(X)
            if eps == 0 and ((not ok and ang >= theta * (1 + 1e-9))
                             or (ok and ang <= theta * (1 - 1e-9))):
                mech += 1
            if eps > 0 and not ok and ang >= theta * (1 + 1e-9):
                mech += 1
        t = upper_test(fails, trials, p, alpha_cell)
        ub_lib = float(th.min_angle_failure_probability(N, theta, D))
        row = {"D": D, "beta": beta, "theta": theta, "eps": eps, "bound": which, "N": N,
               "judged": is_judged, "trials": trials, "failures": fails,
               "failure_rate": fails / trials, "cp_lower": t["cp_lower"],
               "p_value": t["p_value"], "union_bound_at_N": ub_lib,
               "mechanism_violations": mech}
        rows.append(row)
        if mech:
            refutations.append({"D": D, "beta": beta, "N": N, "eps": eps,
                                "mechanism_violations": mech,
                                "why": "retrieval disagrees with the minimum-angle event"})
        if is_judged and which == "union" and abs(
                ub_lib - _union_exact(N, theta, D)) > 1e-12 * max(1.0, ub_lib):
            refutations.append({"D": D, "N": N, "theta": theta,
                                "union_bound_library": ub_lib,
                                "union_bound_scipy": _union_exact(N, theta, D),
                                "why": "min_angle_failure_probability is not "
                                       "C(N,2)·P(angle ≤ θ)"})
        if is_judged and t["refutes"]:
            refutations.append({"D": D, "beta": beta, "N": N, "eps": eps, "bound": which,
                                "failures": fails, "trials": trials, "p": p,
                                "p_value": t["p_value"], "level": alpha_cell,
                                "why": "failure rate significantly above p where the "
                                       "bound applies"})
    summaries = []
    for D, bm in configs:
        sub = [r for r in rows if r["D"] == D and r["eps"] == 0.0]
        ok = [r["N"] for r in sub if r["failure_rate"] <= p]
        meas = max(ok) if ok else None
        u = next(r["N"] for r in sub if r["bound"] == "union")
        if u not in ok:  # the largest N of a prefix of the ε = 0 sweep, in order of N
            meas = None
        else:
            meas = u
            for r in sorted(sub, key=lambda r: r["N"]):
                if r["N"] > u and r["failure_rate"] <= p:
                    meas = r["N"]
                elif r["N"] > u:
                    break
        pap = next((r["N"] for r in sub if r["bound"] == "paper"), None)
        two = next(r for r in sub if r["bound"] == "2× union")
        summaries.append({"D": D, "beta": bm * m, "union_capacity": u, "paper_bound": pap,
                          "measured_capacity": meas,
                          "measured_over_union": meas / u if meas else None,
                          "measured_over_paper": meas / pap if (meas and pap) else None,
                          "rate_at_2x_union": two["failure_rate"],
                          "2x_union_significantly_above_p": two["p_value"] <= alpha_cell})
    out = {"p": p, "M": M, "margin": m, "rows": rows, "summaries": summaries,
           "design": {**des, "test": "exact one-sided binomial (Clopper-Pearson) per "
                      "judged cell", "family_level": LEVEL, "judged_cells": judged,
                      "alternative_meaning": "1 − (1 − p)^4: the failure rate at a "
                      "2× larger N when failures are Poisson-many close pairs"},
           "note": ("success = every pattern retrieved exactly in one step from the worst "
                    "point of its ε-ball (ε = 0: every pattern a fixed point)")}
    if refutations:
        out["refutes"] = True
        out["refutations"] = refutations
        out["counterexample"] = refutations[0]
    return out


def angle_claim(subject: Subject) -> Claim:
    def generate(rng, idx):
        d = 2 + idx % 4 if idx < 8 else int(rng.integers(2, 30))
        theta = float(rng.uniform(0.01, math.pi - 0.01))
        return {"D": d, "theta": theta, "samples": ANGLE_SAMPLES,
                "mc_seed": int(rng.integers(0, 2**32))}

    def check(inst):
        from scipy.special import betainc

        d, theta = inst["D"], inst["theta"]
        c = Checks()
        th = subject.theory
        got = float(th.angle_probability(theta, d))
        half = 0.5 * float(betainc((d - 1) / 2, 0.5, math.sin(theta) ** 2))
        mine = half if theta <= math.pi / 2 else 1 - half
        c.close("angle_probability = ½ I_{sin²θ}((D−1)/2, ½) (θ ≤ π/2; 1 − … above)",
                got, mine, 16 * EPS)
        if d == 2:
            c.close("D = 2: θ/π", got, theta / math.pi, 1e-12)
        if d == 3:
            c.close("D = 3: (1 − cos θ)/2", got, (1 - math.cos(theta)) / 2, 1e-12)
        rng = np.random.default_rng(inst["mc_seed"])
        U = sphere(rng, inst["samples"], d)
        V = sphere(rng, inst["samples"], d)
        ang = np.arccos(np.clip(np.sum(U * V, axis=1), -1, 1))
        hits = int(np.sum(ang <= theta))
        t = two_sided(hits, inst["samples"], min(max(got, 0.0), 1.0), ANGLE_LEVEL)
        c.note(sampled_frequency=t["freq"], p_value=t["p_value"])
        # slack: log10 of p-value over level (≥ 0 iff the exact test does not refute)
        c.geq("sampled frequency of angle ≤ θ agrees with it (exact two-sided binomial "
              "test)", math.log10(max(t["p_value"], 1e-300)), math.log10(ANGLE_LEVEL))
        return c

    return Claim(
        id="T7.angle-probability", theorem="T7", kind="theorem", map=None,
        title="P(angle ≤ θ) of two uniform directions",
        statement=("theory.angle_probability(θ, D) is P(angle(u, v) ≤ θ) for independent "
                   "uniform directions in R^D: ½ I_{sin²θ}((D−1)/2, ½) for θ ≤ π/2."),
        formula="P(∠(u,v) ≤ θ) = ½ I_{sin²θ}((D−1)/2, ½)",
        source="math §6 T7 (union bound); standard spherical-cap area",
        tolerance=(f"16 ulps against scipy's betainc; the sampled frequency of "
                   f"{ANGLE_SAMPLES} pairs per instance by an exact two-sided binomial test "
                   f"at level {ANGLE_LEVEL:g} per instance (≤ 1e-6 over ≤ 100 instances); "
                   f"power ≥ {ANGLE_POWER:.3f} against a probability off by 0.03"),
        generate=generate, check=check, n=(10, 60), method="Monte Carlo",
        design={"trials": ANGLE_SAMPLES, "level": ANGLE_LEVEL, "power": ANGLE_POWER,
                "alternative": "P off by ±0.03",
                "test": "exact two-sided binomial"},
        requires=("theory.angle_probability",),
    )


def claims(subject: Subject) -> list[Claim]:
    out = []
    for name in ("1.5-entmax", "sparsemax", "2-normmax"):
        if name in subject.maps:
            out.append(mechanism_claim(subject.maps[name], subject))
    out.append(angle_claim(subject))
    return out

