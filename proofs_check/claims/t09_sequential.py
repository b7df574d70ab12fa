r"""Sequential k-subsets through the whole stack: FY loss and conjugate (T1), energy
descent (T3), structured stationary / one-step / ε-ball retrieval (T9).

Structures: the 0/1 vectors ``a_y`` with ``k`` ones; ``b_y = Σ_i y_{i−1}y_i`` the number of
adjacent pairs; score ``s_y(z) = zᵀa_y + w b_y``.  With ``Ω(μ) = ½‖μ‖² − k/2`` on the
marginal polytope (``½‖a_y‖² = k/2``, so ``Ω(a_y) = 0``):

* ``Ω*(z) = max_λ Σλ_y s_y − ½‖Σλ_y a_y‖² + k/2`` over distributions λ on structures;
  its optimality conditions: with ``μ = Σλ_y a_y`` and ``g_y = s_y − a_yᵀμ``, ``g_y = τ``
  on the active structures and ``g_y ≤ τ`` on all others; then ``Ω*(z) = τ + ½‖μ‖² + k/2``
  (``Σλ_y(τ + a_yᵀμ) − ½‖μ‖² + k/2``).  Every structure is enumerated (C(N,k) ≤ 126),
  so the library's ``solve`` (active set, weights) and ``conjugate`` are certified
  independently: a conjugate off by ``w·Σν`` (the pairwise term counted twice) fails
  ``Ω*(z) = τ + ½‖μ‖² + k/2``;
* the FY loss of a structure, ``L(z; a_y) = Ω*(z) − s_y ≥ 0``, is 0 iff ``μ = a_y`` iff the
  vertex condition ``zᵀ(a_y − a') + w(b_y − b') ≥ ½‖a_y − a'‖²`` holds for all y'
  (decided in exact rationals), convex in z with gradient ``μ − a_y``;
* the Hopfield update ``q ← Xᵀμ(βXq)`` (w not scaled by β) descends
  ``E(q) = −β⁻¹Ω*(βXq) + ½‖q‖²`` (CCCP: Ω* is convex);
* with ``s_y = Xᵀa_y`` and X of full row rank (so ``Xᵀμ = s_y`` iff ``μ = a_y``):
  ``s_y`` is a fixed point iff the vertex condition holds at ``z = βXs_y``; one step from
  ``q₀`` returns ``s_y`` iff it holds at ``z = βXq₀``; and every ``q₀`` within ε of ``s_y``
  returns ``s_y`` if ``β(g_{y'} − ε‖Xᵀ(a_y − a_{y'})‖) ≥ ½‖a_y − a_{y'}‖² − w(b_y − b_{y'})``
  for all y' (``g_{y'} = s_yᵀXᵀ(a_y − a_{y'})``) -- tight along ``Xᵀ(a_y − a_{y'})`` for
  the y' that binds, so one ε above it fails there.

These are the structured conditions of Santos et al. (ICML 2024) for the sequential
structure: the margin "1" of k-subsets becomes the structure-dependent right-hand side
``½‖a_y − a_{y'}‖² − w(b_y − b_{y'})``.
"""

from __future__ import annotations

import math
from dataclasses import replace
from fractions import Fraction
from itertools import combinations

import numpy as np

from .._num import EPS, gamma
from ..registry import Checks, Claim, MapSpec, Subject
from . import _hop as H
from .t03_energy import descent_claim

SRC = ("math §2, §3, §5, §6 T9; Niculae et al., SparseMAP (ICML 2018); Santos et al., "
       "'Sparse and structured Hopfield networks' (ICML 2024)")

CONFIGS = ((2, 0.5), (3, 0.3), (2, 0.0))


def structures(n: int, k: int) -> list[tuple[np.ndarray, int]]:
    out = []
    for comb in combinations(range(n), k):
        a = np.zeros(n)
        a[list(comb)] = 1.0
        out.append((a, int(np.sum(a[1:] * a[:-1]))))
    return out


def _fr(v) -> list[Fraction]:
    return [Fraction(float(x)) for x in np.asarray(v, dtype=np.float64).ravel()]


def vertex_rhs(y: np.ndarray, a: np.ndarray, by: int, b: int, w: float) -> Fraction:
    """``½‖a_y − a'‖² − w(b_y − b')`` exactly."""
    d = y - a
    return Fraction(float(d @ d)) / 2 - Fraction(w) * (by - b)


def vertex_holds(zf: list[Fraction], y, by, w, structs) -> bool:
    """The vertex condition at exact scores ``zf``, against every structure."""
    for a, b in structs:
        d = y - a
        if not d.any():
            continue
        lhs = sum((zi * Fraction(float(di)) for zi, di in zip(zf, d, strict=True)
                   if di), Fraction(0))
        if lhs < vertex_rhs(y, a, by, b, w):
            return False
    return True


def _reg(subject, k, w):
    return subject.structured.SequentialKSubsets(k, w)


def _name(k, w):
    return f"seq-{k}-subsets,w={w:g}"


# ---------------------------------------------------------------------------------------
def fy_claim(subject: Subject, k: int, w: float) -> Claim:
    name = _name(k, w)

    def generate(rng, idx):
        n = k + 2 + idx % 3 if idx < 6 else int(rng.integers(k + 1, 10))
        z = rng.standard_normal(n) * float(rng.choice([0.3, 1.0, 3.0]))
        y = np.zeros(n)
        y[rng.permutation(n)[:k]] = 1.0
        if idx % 3 == 2:  # make y nearly the answer: z on the vertex boundary's side
            z = z * 0.1 + (1.0 + float(rng.choice([-1e-6, 1e-6, 0.2]))) * y
        d = rng.standard_normal((2, n))
        d /= np.linalg.norm(d, axis=1, keepdims=True)
        return {"z": z, "y": y, "directions": d, "z2": rng.standard_normal(n),
                "lam": float(rng.uniform(0.1, 0.9))}

    def check(inst):
        z, y = inst["z"], inst["y"]
        n = len(z)
        c = Checks()
        reg = _reg(subject, k, w)
        sol = reg.solve(z)
        mu = np.asarray(reg.argmax(z), dtype=np.float64)
        S = np.asarray(sol.structures, dtype=np.float64)
        lam = np.asarray(sol.weights, dtype=np.float64)
        c.note(z=z, mu=mu, structures=S, weights=lam)
        scale = float(np.sum(np.sort(np.abs(z))[::-1][:k])) + w * (k - 1) + k
        tol = 8 * gamma(2 * k + 4) * scale + 8 * EPS * scale
        c.close("argmax = solve().mu", mu, sol.mu, 0.0)
        c.close("μ = Σ λ_y a_y (active structures)", mu, lam @ S, 2 * (len(lam) + 1) * EPS)
        c.geq("λ > 0", float(lam.min()), 0.0)
        c.close("Σλ = 1", math.fsum(lam), 1.0, 2 * (len(lam) + 1) * EPS)
        structs = structures(n, k)
        g_all = np.array([float(z @ a) + w * b - float(a @ mu) for a, b in structs])
        b_act = S[:, 1:] * S[:, :-1]
        g_act = S @ z + w * b_act.sum(axis=1) - S @ mu
        tau = float(np.mean(g_act))
        c.leq("KKT: g_y = sᵧ − a_yᵀμ equal on the active structures (ulps)",
              float(np.ptp(g_act)), 0.0, tol)
        c.leq("KKT: g_y ≤ τ for every structure (all C(N,k) enumerated)",
              float(np.max(g_all)), tau, tol)
        conj = float(reg.conjugate(z))
        c.close("Ω*(z) = τ + ½‖μ‖² + k/2 (optimality certificate)", conj,
                tau + 0.5 * float(mu @ mu) + 0.5 * k, 2 * tol)
        s_all = np.array([float(z @ a) + w * b for a, b in structs])
        c.geq("Ω*(z) ≥ max_y s_y (value of a vertex)", conj, float(np.max(s_all)), tol)
        # FY loss of the structure y
        by = int(np.sum(y[1:] * y[:-1]))
        sy = float(z @ y) + w * by
        L = float(reg.loss(z, y))
        c.close("loss(z, a_y) = Ω*(z) − s_y", L, conj - sy, 2 * tol)
        c.geq("loss ≥ 0", L, 0.0, tol)
        holds = vertex_holds(_fr(z), y, by, w, structs)
        if holds:
            c.leq("vertex condition ⇒ loss = 0", L, 0.0, 2 * tol)
            c.close("vertex condition ⇒ μ = a_y", mu, y, 2 * EPS * k)
        else:
            c.true("vertex condition fails ⇒ μ ≠ a_y", bool(np.any(mu != y)))
        # gradient μ − a_y and 1-Lipschitz μ, convexity
        gvec = mu - y
        for d in inst["directions"]:
            for rel in (1e-3, 1e-6):
                h = rel * (1.0 + float(np.max(np.abs(z))))
                for sgn in (1.0, -1.0):
                    L1 = float(reg.loss(z + sgn * h * d, y))
                    D = L1 - L - sgn * h * float(gvec @ d)
                    t2 = 4 * tol + 4 * EPS * (abs(L) + abs(L1))
                    c.geq("L(z+hd) − L(z) − h⟨μ−a_y,d⟩ ≥ 0 (gradient)", D, 0.0, t2)
                    c.leq("… ≤ h²/2 (1-Lipschitz μ)", D, 0.5 * h * h, t2)
        lam_c, z2 = inst["lam"], inst["z2"]
        L2 = float(reg.loss(z2, y))
        Lm = float(reg.loss(lam_c * z + (1 - lam_c) * z2, y))
        c.leq("L convex in z (below its chord)", Lm, lam_c * L + (1 - lam_c) * L2,
              8 * tol + 8 * gamma(n + 4) * (abs(L2) + float(np.sum(np.abs(z2)))))
        return c

    return Claim(
        id=f"T1.fy[{name}]", theorem="T1", kind="theorem", map=name,
        title=f"FY loss and conjugate of sequential {k}-subsets (w={w:g})",
        statement=("The sequential k-subsets SparseMAP solution is certified optimal over "
                   "all C(N,k) structures; Ω*(z) = τ + ½‖μ‖² + k/2 includes the pairwise "
                   "score once; the FY loss of a structure is Ω*(z) − s_y ≥ 0, zero iff "
                   "μ = a_y (vertex condition, exact), convex with gradient μ − a_y."),
        formula=("g_y = zᵀa_y + w b_y − a_yᵀμ = τ (active) ≤ τ (all y); Ω* = τ + ½‖μ‖² + k/2; "
                 "L(z;a_y) = Ω* − s_y ≥ 0, = 0 ⇔ vertex condition; ∇L = μ − a_y"),
        source=SRC,
        tolerance=("g_y and Ω*: 8·γ_{2k+4}·S + 8 ulps of S, S = Σ_top-k|z_i| + w(k−1) + k "
                   "(the solver's scale); μ = a_y to 2 ulps; the vertex condition exactly"),
        generate=generate, check=check, n=(10, 80), method="exact",
        requires=("structured.SequentialKSubsets",),
    )


# ---------------------------------------------------------------------------------------
def _patterns(rng, n, d, k):
    """Nearly orthonormal rows (full row rank, N ≤ D)."""
    G = rng.standard_normal((d, n))
    Q, _ = np.linalg.qr(G)
    eta = float(rng.uniform(0.0, 0.15)) / k
    X = Q.T + eta * rng.standard_normal((n, d)) / math.sqrt(d)
    return X * float(rng.choice([0.5, 1.0, 2.0]))


def _exact_scores(X, q) -> list[Fraction]:
    """``Xq`` exactly (one rational per pattern)."""
    return [H.dot_exact(X[j], q) for j in range(X.shape[0])]


def beta_interval(zf, y, by, w, structs) -> tuple[Fraction, Fraction | None]:
    """The exact set of β with the vertex condition at ``β·zf``: ``[lo, hi]`` (hi None:
    unbounded; lo > hi: empty)."""
    lo, hi = Fraction(0), None
    for a, b in structs:
        d = y - a
        if not d.any():
            continue
        g = sum((zi * Fraction(float(di)) for zi, di in zip(zf, d, strict=True) if di),
                Fraction(0))
        h = vertex_rhs(y, a, by, b, w)
        if g > 0:
            lo = max(lo, h / g)
        elif g < 0:
            hi = h / g if hi is None else min(hi, h / g)
        elif h > 0:
            return Fraction(1), Fraction(0)
    return lo, hi


def _sum_tol(X, k):
    return (k + 2) * EPS * float(np.max(np.sum(np.abs(X), axis=0)))


def retrieval_claims(subject: Subject, k: int, w: float) -> list[Claim]:
    name = _name(k, w)

    def base(rng, idx):
        n = k + 2 + idx % 3 if idx < 6 else int(rng.integers(k + 2, 9))
        d = n + int(rng.integers(0, 3))
        X = _patterns(rng, n, d, k)
        y = np.zeros(n)
        y[sorted(rng.permutation(n)[:k])] = 1.0
        return X, y

    def pick_beta(rng, lo, idx, X, q):
        b0 = float(lo)
        rho = H.rounding_rho(X, q, 2 * b0, 1.0)
        inside = idx % 2 == 0
        delta = H.side_delta(rng, max(64 * k * rho, 1e-9 if inside else 1e-6), 0.5)
        return b0 * (1 + delta) if inside else b0 * (1 - delta)

    common = dict(kind="theorem", map=name, source=SRC, theorem="T9", method="exact",
                  requires=("hopfield.HopfieldNetwork", "structured.SequentialKSubsets"))
    rhs = "½‖a_y − a_y'‖² − w(b_y − b_y')"

    def net(X, beta, average=False):
        return subject.hopfield.HopfieldNetwork(X, _reg(subject, k, w), beta=beta,
                                                average=average)

    # stationary ------------------------------------------------------------------------
    def stationary(average: bool) -> Claim:
        div = k if average else 1
        sy = "s_y/k" if average else "s_y"

        def tol_of(X, q):
            return _sum_tol(X, k) / div + 2 * EPS * float(np.max(np.abs(q)))

        def gen_stat(rng, idx):
            for _ in range(20):
                X, y = base(rng, idx)
                q = y @ X / div
                structs = structures(X.shape[0], k)
                by = int(np.sum(y[1:] * y[:-1]))
                lo, hi = beta_interval(_exact_scores(X, q), y, by, w, structs)
                if lo > 0 and hi is None:
                    break
            beta = pick_beta(rng, lo, idx, X, q)
            holds = Fraction(beta) >= lo
            return {"X": X, "y": y, "beta": beta, "q": q, "beta_threshold": float(lo),
                    "assumption_holds": bool(holds)}

        def check_stat(inst):
            X, y, beta, q = inst["X"], inst["y"], inst["beta"], inst["q"]
            c = Checks()
            nt = net(X, beta, average)
            q1 = np.asarray(nt.step(q), dtype=np.float64)
            mu = np.asarray(nt.probabilities(q), dtype=np.float64)
            err = float(np.max(np.abs(q1 - q)))
            c.note(q1=q1, mu=mu, error=err)
            if inst["assumption_holds"]:
                c.leq(f"vertex condition at βX{sy} ⇒ {sy} is a fixed point", err, 0.0,
                      tol_of(X, q))
            else:
                c.true(f"vertex condition fails at βX{sy} ⇒ {sy} is not a fixed point",
                       err > tol_of(X, q) and bool(np.any(mu != y)))
            return c

        def boundary_stat(rng, quick):
            X, y = base(rng, 0)
            q = y @ X / div
            by = int(np.sum(y[1:] * y[:-1]))
            lo, hi = beta_interval(_exact_scores(X, q), y, by, w,
                                   structures(X.shape[0], k))
            tol = tol_of(X, q)

            def fixed(b):
                nt = net(X, b, average)
                mu = np.asarray(nt.probabilities(q))
                return bool(np.all(mu == y)) and float(
                    np.max(np.abs(np.asarray(nt.step(q)) - q))) <= tol

            if lo <= 0 or hi is not None:
                return {"status": "n/a", "note": "no finite lower threshold here"}
            blo, bhi = H.bisect_beta(fixed, 0.0, 8 * float(lo))
            rel = abs(bhi - float(lo)) / float(lo)
            rho = H.rounding_rho(X, q, bhi, 1.0)
            ok = rel <= 64 * k * rho + 1e-12
            out = {"status": "fails outside" if ok else "threshold differs",
                   "measured": bhi, "theory": float(lo), "relative_difference": rel,
                   "note": f"smallest β with {sy} fixed (bisection) vs the exact threshold"}
            if not ok:
                out["refutes"] = True
                out["counterexample"] = {"X": X, "y": y, "beta_found": bhi,
                                         "beta_exact": float(lo)}
            return out

        return Claim(
            id=f"T9.seq-stationary{'-average' if average else ''}[{name}]",
            title=(f"sequential: {sy} fixed ⇔ vertex condition at βX{sy} (k={k}, w={w:g}"
                   + (", average" if average else "") + ")"),
            statement=(f"For patterns of full row rank, {sy} (s_y = Xᵀa_y) is a fixed point "
                       "of the sequential k-subsets Hopfield update"
                       + (" with averaging (q ← Xᵀμ/k)" if average else "")
                       + f" iff β(X{sy})ᵀ(a_y − a_y') ≥ {rhs} for every structure y'."),
            formula=f"{sy} fixed ⇔ ∀y': β(X{sy})ᵀ(a_y − a_y') ≥ {rhs}",
            tolerance=("the condition decided in exact rationals; β at least 64kρ (and "
                       f"1e-9) inside, 1e-6 outside the exact threshold; {sy} to (k+2) "
                       "ulps of Σ|x_i|" + ("/k plus 2 ulps" if average else "")),
            generate=gen_stat, check=check_stat, boundary=boundary_stat,
            boundary_decides=True, n=(10, 80), **common)

    # one step ---------------------------------------------------------------------------
    def gen_one(rng, idx):
        for _ in range(50):
            X, _ = base(rng, idx)
            n, d = X.shape
            q0 = X[rng.permutation(n)[:k]].sum(axis=0) + rng.standard_normal(d) * float(
                rng.choice([0.05, 0.3]))
            zf = _exact_scores(X, q0)
            y = np.zeros(n)
            y[np.argsort(-np.array([float(v) for v in zf]))[:k]] = 1.0
            by = int(np.sum(y[1:] * y[:-1]))
            lo, hi = beta_interval(zf, y, by, w, structures(n, k))
            if lo > 0 and hi is None:
                break
        beta = pick_beta(rng, lo, idx, X, q0)
        return {"X": X, "q0": q0, "y": y, "beta": beta, "beta_threshold": float(lo),
                "assumption_holds": bool(Fraction(beta) >= lo)}

    def check_one(inst):
        X, q0, y, beta = inst["X"], inst["q0"], inst["y"], inst["beta"]
        c = Checks()
        nt = net(X, beta)
        q1 = np.asarray(nt.step(q0), dtype=np.float64)
        sy = y @ X
        err = float(np.max(np.abs(q1 - sy)))
        c.note(q1=q1, s_y=sy, error=err)
        if inst["assumption_holds"]:
            c.leq("vertex condition at βXq₀ ⇒ q₁ = s_y", err, 0.0, _sum_tol(X, k))
        else:
            c.true("vertex condition fails at βXq₀ ⇒ q₁ ≠ s_y", err > _sum_tol(X, k))
        return c

    # ε-ball ------------------------------------------------------------------------------
    def gen_eps(rng, idx):
        for _ in range(20):
            X, y = base(rng, idx)
            n, d = X.shape
            sy = y @ X
            by = int(np.sum(y[1:] * y[:-1]))
            structs = structures(n, k)
            lo, hi = beta_interval(_exact_scores(X, sy), y, by, w, structs)
            if lo > 0 and hi is None:
                break
        beta = float(lo) * (1.2 + float(rng.choice([0.1, 1.0, 3.0])) * rng.random())
        # ε_max = min over y' of (g − h/β)/‖Xᵀ(a_y − a')‖ and the binding direction
        best = None
        zf = _exact_scores(X, sy)
        for a, b in structs:
            dd = y - a
            if not dd.any():
                continue
            g = float(sum((zi * Fraction(float(di)) for zi, di in zip(zf, dd, strict=True)
                           if di), Fraction(0)))
            h = float(vertex_rhs(y, a, by, b, w))
            u = dd @ X
            nu = float(np.linalg.norm(u))
            e = (g - h / beta) / nu
            if best is None or e < best[0]:
                best = (e, u / nu)
        eps_max, u = best
        inside = idx % 2 == 0
        rho = H.rounding_rho(X, np.abs(sy) + 1.0, beta, 1.0) * 64 * k
        if inside:
            eps = eps_max * (1 - H.side_delta(rng, max(1e-9, rho), 0.5))
            Q = [sy - eps * u] + list(sy + eps * _unit_rows(rng, 3, X.shape[1]))
        else:
            eps = eps_max * (1 + H.side_delta(rng, max(1e-6, rho), 0.5))
            Q = [sy - eps * u]
        return {"X": X, "y": y, "beta": beta, "eps": eps, "eps_max": eps_max,
                "queries": np.array(Q), "assumption_holds": inside}

    def check_eps(inst):
        X, y, beta, Q = inst["X"], inst["y"], inst["beta"], inst["queries"]
        c = Checks()
        Q1 = np.asarray(net(X, beta).step(Q), dtype=np.float64)
        sy = y @ X
        err = np.max(np.abs(Q1 - sy), axis=1)
        wst = int(np.argmax(err))
        c.note(q0=Q[wst], q1=Q1[wst])
        if inst["assumption_holds"]:
            c.leq("β(g_y' − ε‖Xᵀ(a_y − a_y')‖) ≥ ½‖a_y − a_y'‖² − w(b_y − b_y') ∀y' ⇒ "
                  "the ε-ball maps to s_y", float(err[wst]), 0.0, _sum_tol(X, k))
        else:
            c.true("ε above the bound ⇒ the binding direction's point is not retrieved",
                   float(err[0]) > _sum_tol(X, k))
        return c

    return [
        stationary(False),
        stationary(True),
        Claim(id=f"T9.seq-one-step[{name}]",
              title=f"sequential: one-step retrieval of s_y (k={k}, w={w:g})",
              statement=("One update from q₀ returns s_y iff the vertex condition holds at "
                         "z = βXq₀ (both sides checked)."),
              formula=f"q₁ = s_y ⇔ ∀y': β(Xq₀)ᵀ(a_y − a_y') ≥ {rhs}",
              tolerance="as the stationary claim",
              generate=gen_one, check=check_one, n=(10, 80), **common),
        Claim(id=f"T9.seq-eps-ball[{name}]",
              title=f"sequential: ε-ball around s_y (k={k}, w={w:g})",
              statement=("If β(g_y' − ε‖Xᵀ(a_y − a_y')‖) ≥ ½‖a_y − a_y'‖² − w(b_y − b_y') for "
                         "every y', every q₀ within ε of s_y is mapped to s_y; for ε above "
                         "the largest such ε the binding direction fails."),
              formula=f"∀y': β((Xs_y)ᵀ(a_y − a_y') − ε‖Xᵀ(a_y − a_y')‖) ≥ {rhs} ⇒ "
                      "B_ε(s_y) ↦ s_y",
              tolerance=("ε at least max(1e-9, 64kρ) (relative) inside, 1e-6 outside; s_y to "
                         "(k+2) ulps"),
              generate=gen_eps, check=check_eps, n=(10, 80), **common),
    ]


def _unit_rows(rng, n, d):
    g = rng.standard_normal((n, d))
    return g / np.linalg.norm(g, axis=1, keepdims=True)


def _at_least(claim: Claim, n_min: int) -> Claim:
    """The claim with instances redrawn until they have at least ``n_min`` patterns."""
    gen = claim.generate

    def generate(rng, idx):
        inst = gen(rng, idx)
        while inst["X"].shape[0] < n_min:
            inst = gen(rng, idx + 6)  # past the smallest sizes: random N
        return inst

    return replace(claim, generate=generate)


def claims(subject: Subject) -> list[Claim]:
    if subject.structured is None or not hasattr(subject.structured, "SequentialKSubsets"):
        return []
    out = []
    for k, w in CONFIGS:
        out.append(fy_claim(subject, k, w))
    for k, w in CONFIGS[:2]:
        spec = MapSpec(_name(k, w), _reg(subject, k, w), "ksubsets", k=k)
        out.append(_at_least(descent_claim(spec, subject), k + 1))
    for k, w in CONFIGS[:2]:
        out += retrieval_claims(subject, k, w)
    return out

