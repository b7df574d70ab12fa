r"""T9: structured retrieval with SparseMAP (k-subsets, sum convention; sequential).

With ``s_y = Σ_{i∈y} x_i`` and ``Δ_y = min_{i∈y} x_iᵀs_y − max_{j∉y} x_jᵀs_y``:

(a) ``s_y`` is a fixed point of ``q ← Xᵀ SparseMAP_k(βXq)`` iff ``βΔ_y ≥ 1`` (when s_y
    is reached from no other point of the marginal polytope: here X has full row rank,
    N ≤ D, so ``Xᵀμ`` is injective); with ``average=True`` the point is ``s_y/k`` and
    the condition ``βΔ_y ≥ k``;
(b) one step: ``β(min_{i∈y} x_iᵀq₀ − max_{j∉y} x_jᵀq₀) ≥ 1 ⇒ q₁ = s_y``;
(c) ε-ball: ``Δ_y ≥ 1/β + 2Mε`` ⇒ every ``q₀`` with ``‖q₀ − s_y‖ ≤ ε`` gives ``q₁ = s_y``;
(d) sequential k-subsets (score ``Σ z_i y_i + w Σ y_{i−1}y_i``): ``μ = a_y`` iff
    ``zᵀ(a_y − a_{y'}) + w(b_y − b_{y'}) ≥ ½‖a_y − a_{y'}‖²`` for every structure y'.

Why (a)-(c): the structured margin of k-subsets is 1 (T2): ``μ = a_y`` iff the k-th
score exceeds the (k+1)-th by ≥ 1.
"""

from __future__ import annotations

import math
from fractions import Fraction
from itertools import combinations

import numpy as np

from .._num import EPS, gamma, log_uniform, sphere
from ..registry import Checks, Claim, MapSpec, Subject
from . import _hop as H

SRC = "math §2, §6 T9; Santos et al., 'Sparse and structured Hopfield networks' (ICML 2024)"


def _sum_tol(X: np.ndarray, k: int) -> float:
    """``Xᵀa_y`` summed in another order than ``X[y].sum(0)``: k ulps of Σ|x_i|."""
    return (k + 2) * EPS * float(np.max(np.sum(np.abs(X), axis=0)))


def _patterns(rng, n, d, k):
    """Nearly orthonormal rows (full row rank, N ≤ D): Δ_y ≥ 1 − O(kη) > 0 for every y."""
    G = rng.standard_normal((d, n))
    Q, _ = np.linalg.qr(G)
    eta = float(rng.uniform(0.0, 0.15)) / k
    X = Q.T + eta * rng.standard_normal((n, d)) / math.sqrt(d)
    return X * float(rng.choice([0.5, 1.0, 2.0]))


def _gaps(X, q, y):
    """(min_{i∈y} x_iᵀq − max_{j∉y} x_jᵀq) exactly."""
    s = [H.dot_exact(X[j], q) for j in range(X.shape[0])]
    ins = [s[j] for j in y]
    outs = [s[j] for j in range(X.shape[0]) if j not in set(y)]
    return min(ins) - max(outs)


def _exact_sy(X, y):
    return [sum((Fraction(float(X[i, c])) for i in y), Fraction(0)) for c in range(X.shape[1])]


def _delta_y_exact(X, y) -> Fraction:
    s = _exact_sy(X, y)
    vals = [sum((Fraction(float(a)) * b for a, b in zip(X[j], s, strict=True)), Fraction(0))
            for j in range(X.shape[0])]
    return min(vals[i] for i in y) - max(vals[j] for j in range(X.shape[0]) if j not in y)


def ksubsets_claims(spec: MapSpec, subject: Subject) -> list[Claim]:
    k = spec.k

    def base(rng, idx):
        n = k + 1 + (idx % 3) if idx < 6 else int(rng.integers(k + 1, 10))
        d = n + int(rng.integers(0, 4))
        X = _patterns(rng, n, d, k)
        y = sorted(rng.permutation(n)[:k].tolist())
        return X, y

    # (a) stationary ---------------------------------------------------------------
    def make_stationary(average: bool):
        thr = k if average else 1

        def generate(rng, idx):
            X, y = base(rng, idx)
            q = X[y].sum(axis=0) / (k if average else 1)
            G = _gaps(X, q, y) * (k if average else 1)  # Δ_y at the float point
            b0 = thr / float(G)
            rho = H.rounding_rho(X, q, 2 * b0, 1.0)
            inside = idx % 2 == 0
            delta = H.side_delta(rng, max(4 * rho, 1e-9 if inside else 1e-5), 0.9)
            beta = b0 * (1 + delta) if inside else b0 * (1 - delta)
            return {"X": X, "y": y, "beta": beta, "q": q,
                    "beta_times_Delta_y": beta * float(G),
                    "assumption_holds": bool(Fraction(beta) * G >= thr)}

        def check(inst):
            X, y, beta, q = inst["X"], inst["y"], inst["beta"], inst["q"]
            c = Checks()
            net = H.network(subject, X, spec, beta, average=average)
            q1 = np.asarray(net.step(q), dtype=np.float64)
            err = float(np.max(np.abs(q1 - q)))
            tol = _sum_tol(X, k)
            c.note(q1=q1, error=err, mu=np.asarray(net.probabilities(q)))
            if inst["assumption_holds"]:
                c.leq(f"βΔ_y ≥ {thr} ⇒ s_y{'/k' if average else ''} is a fixed point",
                      err, 0.0, tol)
            else:
                c.true(f"βΔ_y < {thr} ⇒ not a fixed point", err > tol)
            if subject.theory is not None and hasattr(subject.theory,
                                                      "structured_separation"):
                ex = float(_delta_y_exact(X, y))
                got = float(subject.theory.structured_separation(X, np.array(y)))
                c.close("theory.structured_separation = exact Δ_y (1 ulp)", got, ex,
                        EPS * abs(ex))
            return c

        def boundary(rng, quick):
            X = _patterns(rng, k + 3, k + 4, k)
            y = list(range(k))
            q = X[y].sum(axis=0) / (k if average else 1)
            G = float(_gaps(X, q, y)) * (k if average else 1)
            tol = _sum_tol(X, k)

            def fixed(b):
                net = H.network(subject, X, spec, b, average=average)
                mu = np.asarray(net.probabilities(q))
                return (bool(np.all(np.delete(mu, y) == 0.0))
                        and float(np.max(np.abs(np.asarray(net.step(q)) - q))) <= tol)

            lo, hi = H.bisect_beta(fixed, 0.0, 8 * thr / G)
            meas = hi * G
            rho = H.rounding_rho(X, q, hi, 1.0)
            ok = abs(meas - thr) <= (4 * rho + 4 * EPS) * thr
            out = {"status": "fails outside" if ok else "threshold differs",
                   "measured": meas, "theory": thr, "X": X, "y": y,
                   "note": "βΔ_y at the smallest β with s_y fixed (bisection)"}
            if not ok:
                out["refutes"] = True
                out["counterexample"] = {"X": X, "y": y, "beta_found": hi,
                                         "beta_times_Delta_y": meas}
            return out

        name = f"T9.stationary{'-average' if average else ''}[{spec.name}]"
        return Claim(
            id=name, theorem="T9", kind="theorem", map=spec.name,
            title=(f"s_y{'/k' if average else ''} fixed ⇔ βΔ_y ≥ {thr} (k={k}"
                   f"{', average' if average else ''})"),
            statement=("The sum s_y of a k-subset of patterns is a fixed point of the "
                       "k-subsets SparseMAP Hopfield update iff βΔ_y ≥ 1"
                       + (" (average convention: s_y/k, iff βΔ_y ≥ k)" if average else "")),
            formula=(f"q ← Xᵀμ{'/k' if average else ''}: s_y{'/k' if average else ''} fixed "
                     f"⇔ βΔ_y ≥ {thr}, Δ_y = min_{{i∈y}} x_iᵀs_y − max_{{j∉y}} x_jᵀs_y"),
            source=SRC,
            tolerance=("s_y to (k+2) ulps of Σ|x_i| (summation order); β at least 4ρ "
                       "from the threshold (ρ the rounding bound of βXq); outside δ ≥ 1e-5"),
            generate=generate, check=check, boundary=boundary, boundary_decides=True,
            n=(12, 120), requires=("hopfield.HopfieldNetwork",), method="exact")

    # (b) one step -------------------------------------------------------------------
    def gen_one(rng, idx):
        X, _ = base(rng, idx)
        n, d = X.shape
        for _ in range(50):
            q0 = (X[rng.permutation(n)[:k]].sum(axis=0)
                  + rng.standard_normal(d) * float(rng.choice([0.05, 0.3, 1.0])))
            s = np.array([float(H.dot_exact(X[j], q0)) for j in range(n)])
            y = sorted(np.argsort(-s)[:k].tolist())
            G = _gaps(X, q0, y)
            if G > 0:
                break
        b0 = 1 / float(G)
        rho = H.rounding_rho(X, q0, 2 * b0, 1.0)
        inside = idx % 2 == 0
        delta = H.side_delta(rng, max(4 * rho, 1e-9 if inside else 1e-5), 0.9)
        beta = b0 * (1 + delta) if inside else b0 * (1 - delta)
        return {"X": X, "q0": q0, "y": y, "beta": beta,
                "assumption_holds": bool(Fraction(beta) * G >= 1)}

    def check_one(inst):
        X, q0, y, beta = inst["X"], inst["q0"], inst["y"], inst["beta"]
        c = Checks()
        net = H.network(subject, X, spec, beta)
        q1 = np.asarray(net.step(q0), dtype=np.float64)
        sy = X[y].sum(axis=0)
        err = float(np.max(np.abs(q1 - sy)))
        tol = _sum_tol(X, k)
        c.note(q1=q1, s_y=sy, error=err)
        if inst["assumption_holds"]:
            c.leq("β(min_{i∈y} x_iᵀq₀ − max_{j∉y} x_jᵀq₀) ≥ 1 ⇒ q₁ = s_y", err, 0.0, tol)
        else:
            c.true("below 1 ⇒ q₁ ≠ s_y", err > tol)
        th = subject.theory
        if th is not None and hasattr(th, "structured_one_step_condition"):
            got = bool(th.structured_one_step_condition(X, q0, np.array(y), beta))
            c.true("theory.structured_one_step_condition = exact decision",
                   got == inst["assumption_holds"])
        return c

    def boundary_one(rng, quick):
        X = _patterns(rng, k + 3, k + 4, k)
        y = list(range(k))
        q0 = X[y].sum(axis=0) * 0.8 + 0.1 * X[k]
        G = float(_gaps(X, q0, y))
        sy = X[y].sum(axis=0)
        tol = _sum_tol(X, k)

        def retrieved(b):
            net = H.network(subject, X, spec, b)
            mu = np.asarray(net.probabilities(q0))
            return (bool(np.all(np.delete(mu, y) == 0.0))
                    and float(np.max(np.abs(np.asarray(net.step(q0)) - sy))) <= tol)

        lo, hi = H.bisect_beta(retrieved, 0.0, 8.0 / G)
        meas = hi * G
        rho = H.rounding_rho(X, q0, hi, 1.0)
        ok = abs(meas - 1.0) <= 4 * rho + 4 * EPS
        out = {"status": "fails outside" if ok else "threshold differs", "measured": meas,
               "theory": 1.0, "X": X, "q0": q0, "y": y,
               "note": "β·gap at the smallest β with q₁ = s_y (bisection)"}
        if not ok:
            out["refutes"] = True
            out["counterexample"] = {"X": X, "q0": q0, "y": y, "beta_found": hi,
                                     "beta_times_gap": meas}
        return out

    # (c) ε-ball ---------------------------------------------------------------------
    def gen_eps(rng, idx):
        X, y = base(rng, idx)
        n, d = X.shape
        Dy = _delta_y_exact(X, y)
        M = float(np.max(np.linalg.norm(X, axis=1)))
        beta = 1 / float(Dy) * (1 + 1e-3 + float(rng.choice([0.01, 0.3, 3.0])) * rng.random())
        sy = X[y].sum(axis=0)
        rho = H.rounding_rho(X, np.abs(sy) + M, beta, 1.0)
        eps = (float(Dy) - (1 + 4 * rho) / beta) / (2 * M) * (1 - H.side_delta(rng, 1e-9, 0.5))
        eps = max(eps, 0.0)
        r_use = max(eps * (1 - 1e-12) - 4 * math.sqrt(d) * EPS * float(np.max(np.abs(sy))),
                    0.0)
        outs = [j for j in range(n) if j not in y]
        Q = [sy - r_use * (X[i] - X[j]) / np.linalg.norm(X[i] - X[j])
             for i in y for j in outs]
        Q += list(sphere(rng, 3, d, r_use) + sy)
        return {"X": X, "y": y, "beta": beta, "eps": eps, "queries": np.array(Q)}

    def check_eps(inst):
        X, y, beta, Q = inst["X"], inst["y"], inst["beta"], inst["queries"]
        c = Checks()
        net = H.network(subject, X, spec, beta)
        Q1 = np.asarray(net.step(Q), dtype=np.float64)
        sy = X[y].sum(axis=0)
        err = np.max(np.abs(Q1 - sy), axis=1)
        w = int(np.argmax(err))
        c.note(q0=Q[w], q1=Q1[w])
        c.leq("Δ_y ≥ 1/β + 2Mε, ‖q₀ − s_y‖ ≤ ε ⇒ q₁ = s_y", float(err[w]), 0.0,
              _sum_tol(X, k))
        return c

    common = dict(theorem="T9", kind="theorem", map=spec.name, source=SRC, method="exact",
                  requires=("hopfield.HopfieldNetwork",))
    return [
        make_stationary(False),
        make_stationary(True),
        Claim(id=f"T9.one-step[{spec.name}]",
              title=f"k-subsets one-step retrieval of s_y (k={k})",
              statement=("If β times the gap between the k-th and (k+1)-th scores of q₀ is "
                         "≥ 1, one update returns s_y, the sum of the top-k patterns."),
              formula="β(min_{i∈y} x_iᵀq₀ − max_{j∉y} x_jᵀq₀) ≥ 1 ⇒ q₁ = s_y",
              tolerance="(k+2) ulps of Σ|x_i|; β at least 4ρ from the threshold",
              generate=gen_one, check=check_one, boundary=boundary_one,
              boundary_decides=True, n=(12, 120), **common),
        Claim(id=f"T9.eps-ball[{spec.name}]",
              title=f"k-subsets ε-ball around s_y (k={k})",
              statement=("If Δ_y ≥ 1/β + 2Mε, every query within ε of s_y is mapped to s_y "
                         "in one update."),
              formula="Δ_y ≥ 1/β + 2Mε, ‖q₀ − s_y‖ ≤ ε ⇒ q₁ = s_y",
              tolerance=("(k+2) ulps of Σ|x_i|; queries inside the ball by 1e-12 plus "
                         "rounding; threshold raised by 4ρ"),
              generate=gen_eps, check=check_eps, n=(10, 100), **common),
    ]


# ---------------------------------------------------------------------------------------
def _structures(n, k):
    for comb in combinations(range(n), k):
        a = np.zeros(n)
        a[list(comb)] = 1.0
        yield a, float(np.sum(a[1:] * a[:-1]))


def sequential_claim(subject: Subject, k: int, w_kind: str) -> Claim:
    def generate(rng, idx):
        n = k + 2 + idx % 3 if idx < 6 else int(rng.integers(k + 1, 10))
        w = 0.0 if w_kind == "w=0" else log_uniform(rng, 0.05, 2.0)
        y = np.zeros(n)
        y[sorted(rng.permutation(n)[:k])] = 1.0
        r = rng.standard_normal(n) * float(rng.choice([0.3, 1.0]))
        by = float(np.sum(y[1:] * y[:-1]))
        # smallest t with z = t·a_y + r satisfying the vertex condition, exactly:
        # (t − 1)·½‖a_y − a'‖² + rᵀ(a_y − a') + w(b_y − b') ≥ 0 for all a'
        ts = []
        for a, b in _structures(n, k):
            dd = y - a
            h = Fraction(float(dd @ dd)) / 2
            if h == 0:
                continue
            lin = sum((Fraction(float(ri)) * Fraction(float(di)) for ri, di in
                       zip(r, dd, strict=True)), Fraction(0)) + Fraction(w) * Fraction(by - b)
            ts.append(1 - lin / h)
        t_star = max(ts)
        inside = idx % 2 == 0
        delta = H.side_delta(rng, 1e-9 if inside else 1e-5, 1.0)
        t = float(t_star) + (1 if inside else -1) * delta * max(1.0, abs(float(t_star)))
        z = t * y + r
        holds = all(
            (sum((Fraction(float(zi)) * Fraction(float(di)) for zi, di in
                  zip(z, y - a, strict=True)), Fraction(0))
             + Fraction(w) * Fraction(by - b) >= Fraction(float((y - a) @ (y - a))) / 2)
            for a, b in _structures(n, k))
        return {"z": z, "w": w, "k": k, "y": y, "vertex_condition_holds": bool(holds)}

    def check(inst):
        z, w, y = inst["z"], inst["w"], inst["y"]
        c = Checks()
        reg = subject.structured.SequentialKSubsets(k, w)
        mu = np.asarray(reg.argmax(z), dtype=np.float64)
        c.note(mu=mu)
        c.close("μ in the capped simplex: Σμ = k", math.fsum(mu), float(k),
                2 * (len(z) + 1) * EPS * k)
        if inst["vertex_condition_holds"]:
            c.close("vertex condition ⇒ μ = a_y", mu, y, 2 * EPS * k)
        else:
            c.true("vertex condition fails ⇒ μ ≠ a_y",
                   float(np.max(np.abs(mu - y))) > 4 * gamma(len(z)) * k)
        th = subject.theory
        if th is not None and hasattr(th, "sequential_vertex_condition"):
            got = bool(th.sequential_vertex_condition(z, y.astype(bool), w))
            c.true("theory.sequential_vertex_condition = exact decision",
                   got == inst["vertex_condition_holds"])
        return c

    return Claim(
        id=f"T9.sequential[k={k},{w_kind}]", theorem="T9", kind="theorem",
        map=f"sequential {k}-subsets", source=SRC,
        title=f"sequential {k}-subsets: vertex optimality ({w_kind})",
        statement=("Sequential k-subsets SparseMAP returns the structure y (μ = a_y) iff "
                   "the vertex-optimality condition holds against every other structure."),
        formula="μ = a_y ⇔ ∀y': zᵀ(a_y − a_y') + w(b_y − b_y') ≥ ½‖a_y − a_y'‖²",
        tolerance=("the condition is decided exactly (fractions, all C(N,k) structures); "
                   "z is 1e-9 (relative) or more inside, 1e-5 or more outside; μ = a_y to "
                   "2 ulps"),
        generate=generate, check=check, n=(10, 100), method="exact",
        requires=("structured.SequentialKSubsets",),
    )


def claims(subject: Subject) -> list[Claim]:
    from hfy_reference import KSubsets

    out = []
    for k in (2, 3):
        spec = subject.maps.get(f"{k}-subsets") or MapSpec(f"{k}-subsets", KSubsets(k),
                                                          "ksubsets", k=k)
        out += ksubsets_claims(spec, subject)
    for k in (1, 2, 3):
        out.append(sequential_claim(subject, k, "w=0" if k == 3 else "w>0"))
    out.append(sequential_claim(subject, 2, "w=0"))
    return out
