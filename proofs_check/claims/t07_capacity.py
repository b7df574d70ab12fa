r"""T7: storage capacity with exact one-step retrieval (SPEC §6 T7).

N patterns i.i.d. uniform on the sphere of radius M in R^D.  If
``N ≤ √p ζ^{(D−1)/2}`` then with probability ≥ 1 − p every pattern is exactly
retrievable in one step from every point of its ε-ball, provided
``ε ≤ (M/2)(1 − cos(1/ζ)) − m/(2βM)``.

Checked three ways:

* the mechanism, exactly, on every instance: if the minimum pairwise angle is ≥ 1/ζ
  then every pattern is retrieved from the worst point of its ε-ball with
  ``ε = theory.capacity_epsilon(M, ζ, m, β)`` (T6 with Δ_i ≥ M²(1 − cos(1/ζ)));
* the probability, by Monte Carlo (the ``study``): at each N the success rate of exact
  retrieval from the ε-balls, compared with 1 − p whenever the theorem applies (a
  one-sided binomial test at level 1e-6 refutes), and the measured capacity (largest N
  with success ≥ 1 − p at ε = 0) against the bound ``theory.capacity_bound``;
* the union bound's ingredient ``theory.angle_probability`` against the incomplete-beta
  formula and against sampled angles (claim ``T7.angle-probability``).
"""

from __future__ import annotations

import math

import numpy as np

from .._num import EPS, sphere
from ..registry import Checks, Claim, MapSpec, Subject
from . import _hop as H

P_FAIL = 0.1
ALPHA_TEST = 1e-6


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
                 "P(all exactly retrievable from their ε-balls) ≥ 1 − p"),
        source=H.PAPER + "; slides 'Storage Capacity with Exact Retrieval'",
        tolerance=("retrieval exact to 2 ulps of M; ζ set 1e-9 (relative) inside the "
                   "sampled minimum angle; queries 1e-9 plus rounding inside the ball; "
                   "Monte Carlo: one-sided binomial test at level 1e-6 against 1 − p"),
        generate=generate, check=check, study=study, n=(10, 100),
        requires=("hopfield.HopfieldNetwork", "theory.capacity_epsilon",
                  "theory.capacity_bound"),
    )


# ---------------------------------------------------------------------------------------
def capacity_table(spec: MapSpec, subject: Subject, rng: np.random.Generator,
                   quick: bool) -> dict:
    """Exact one-step retrieval rate vs N (several D and β), against the bound."""
    from scipy.stats import binom

    th = subject.theory
    m = spec.margin
    M = 1.0
    p = P_FAIL
    trials = 20 if quick else 100
    n_max = 300 if quick else 600
    configs = [(4, 50.0), (8, 20.0)] if quick else [
        (4, 50.0), (4, 200.0), (6, 30.0), (8, 20.0), (8, 60.0)]
    rows = []
    refutes = None
    for D, beta in configs:
        beta = beta * m  # same m/β across maps: the curves differ only through exactness
        # the bound at ε = 0: (M/2)(1 − cos(1/ζ₀)) = m/(2βM)
        c0 = 1 - m / (beta * M * M)
        zeta0 = 1.0 / math.acos(c0)
        n_bound0 = float(th.capacity_bound(D, p, zeta0))
        grid = sorted({max(2, int(round(v))) for v in
                       np.geomspace(2, min(n_max, max(8.0, 40 * n_bound0)),
                                    7 if quick else 10)})
        measured_cap = None
        for N in grid:
            zeta_n = (N / math.sqrt(p)) ** (2.0 / (D - 1))
            eps_n = float(th.capacity_epsilon(M, zeta_n, spec.reg, beta))
            ok0 = okn = 0
            mech_viol = 0
            for _ in range(trials):
                X = sphere(rng, N, D, M)
                net = H.network(subject, X, spec, beta)
                s0 = _retrieved_all(net, X, X)
                ok0 += s0
                if eps_n > 0:
                    r_use = eps_n * (1 - 1e-9) - 4 * math.sqrt(D) * EPS * M
                    sn = _retrieved_all(net, X, _worst_points(X, r_use))
                    okn += sn
                    if not sn and _min_angle(X) >= (1 / zeta_n) * (1 + 1e-9):
                        mech_viol += 1
            rate0 = ok0 / trials
            raten = okn / trials if eps_n > 0 else None
            if rate0 >= 1 - p:
                measured_cap = N
            row = {"D": D, "beta": beta, "N": N, "trials": trials,
                   "success_rate_eps0": rate0,
                   "bound_N_eps0": n_bound0, "theorem_applies_eps0": N <= n_bound0,
                   "zeta_N": zeta_n, "eps_N": eps_n, "success_rate_epsN": raten,
                   "mechanism_violations": mech_viol}
            rows.append(row)
            for applies, rate, what in ((N <= n_bound0, rate0, "ε = 0"),
                                        (eps_n > 0, raten, f"ε = {eps_n:.3g}")):
                if applies and rate is not None:
                    k_fail = trials - round(rate * trials)
                    pval = float(binom.sf(k_fail - 1, trials, p)) if k_fail > 0 else 1.0
                    if pval < ALPHA_TEST and refutes is None:
                        refutes = {"D": D, "beta": beta, "N": N, "eps": what,
                                   "failures": k_fail, "trials": trials, "p": p,
                                   "p_value": pval}
            if mech_viol and refutes is None:
                refutes = {"D": D, "beta": beta, "N": N,
                           "mechanism_violations": mech_viol}
        rows.append({"D": D, "beta": beta, "summary": True,
                     "bound_N_eps0": n_bound0, "measured_capacity_eps0": measured_cap,
                     "measured_over_bound": (measured_cap / n_bound0
                                             if measured_cap and n_bound0 >= 1 else None)})
    out = {"p": p, "M": M, "margin": m, "rows": rows,
           "note": ("success = every pattern retrieved exactly in one step from the worst "
                    "point of its ε-ball; ε = 0: every pattern a fixed point; ε_N = "
                    "capacity_epsilon at ζ_N = (N/√p)^(2/(D−1)), the largest ζ the bound "
                    "allows at N")}
    if refutes is not None:
        out["refutes"] = True
        out["counterexample"] = refutes
    return out


def angle_claim(subject: Subject) -> Claim:
    def generate(rng, idx):
        d = 2 + idx % 4 if idx < 8 else int(rng.integers(2, 30))
        theta = float(rng.uniform(0.01, math.pi - 0.01))
        return {"D": d, "theta": theta, "samples": 4000,
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
        ph = float(np.mean(ang <= theta))
        sd = math.sqrt(max(mine * (1 - mine), 1e-12) / inst["samples"])
        c.leq("Monte Carlo P(angle ≤ θ) within 6σ", abs(ph - mine), 6 * sd + 1e-12)
        return c

    return Claim(
        id="T7.angle-probability", theorem="T7", kind="theorem", map=None,
        title="P(angle ≤ θ) of two uniform directions",
        statement=("theory.angle_probability(θ, D) is P(angle(u, v) ≤ θ) for independent "
                   "uniform directions in R^D: ½ I_{sin²θ}((D−1)/2, ½) for θ ≤ π/2."),
        formula="P(∠(u,v) ≤ θ) = ½ I_{sin²θ}((D−1)/2, ½)",
        source="SPEC §6 T7 (union bound); standard spherical-cap area",
        tolerance=("16 ulps against scipy's betainc; sampled frequency within 6 binomial "
                   "standard deviations"),
        generate=generate, check=check, n=(10, 60),
        requires=("theory.angle_probability",),
    )


def claims(subject: Subject) -> list[Claim]:
    out = []
    for name in ("1.5-entmax", "sparsemax", "2-normmax"):
        if name in subject.maps:
            out.append(mechanism_claim(subject.maps[name], subject))
    out.append(angle_claim(subject))
    return out

