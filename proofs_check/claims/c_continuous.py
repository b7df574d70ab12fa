r"""Continuous sparse distributions (the talk's "Sparse and Continuous" part).

Claims about :mod:`hfy_reference.continuous`, each checked against references that do
not use its closed forms: the 1-D Ω-RPM slow path (τ by root finding, integrals by
quadrature, :mod:`hfy_reference.continuous.slow`) and ``scipy.integrate.quad``.

* ``C1.fy[α]``: the continuous Fenchel-Young properties for quadratic scores:
  Ω*(f) and Ω(q) equal their quadrature values, ``L(f; q) ≥ 0`` (also for densities
  outside the family), ``L(f; q) = 0`` iff ``q = p̂[f]``, and the gradient identity
  ``∇_θ L = E_p̂[φ] − E_q[φ]`` (φ = (t, −½ttᵀ), θ the natural parameters).
* ``C2.support``: the α-entmax density of a quadratic score has compact support iff
  α > 1 (radius R: p > 0 just inside, = 0 just outside, mass 1 inside; unbounded
  support at α = 1); the slow path's support agrees.
* ``C3.attention[α]``: continuous attention with Gaussian RBFs in closed form (α = 2
  as the talk, and α = 1, 3/2, 4/3) equals quadrature, with a Jacobian equal to
  central differences.
* ``C4.w2.slides[α]``: the talk's "Wasserstein distances computable in closed form":
  for two members of the same α, W2 is Gelbrich's formula with the covariances (checked
  in 1-D against the quantile-function integral).  Kind ``published``.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import integrate

from ..registry import Checks, Claim, Subject

REQ = ("continuous",)
_Q = {"epsabs": 0.0, "epsrel": 1e-13, "limit": 400}


def _quad(g, lo, hi, points=None):
    import warnings

    pts = [p for p in (points or []) if lo < p < hi]
    with np.errstate(all="ignore"), warnings.catch_warnings():
        # QUADPACK warns when it cannot reach epsrel 1e-13; the tolerances stated by each
        # claim are far above what it does reach
        warnings.simplefilter("ignore", integrate.IntegrationWarning)
        return float(integrate.quad(g, lo, hi, points=pts or None, **_Q)[0])


def _slow():
    from hfy_reference.continuous import slow

    return slow


def _score_1d(mu, s2):
    return lambda t: -(t - mu) ** 2 / (2 * s2)


# ---- C1: FY properties -----------------------------------------------------------------
def _fy_claim(subject: Subject, alpha: float) -> Claim:
    C = subject.continuous

    def generate(rng, i):
        return {"mu_f": float(rng.uniform(-1, 1)), "s2_f": float(10 ** rng.uniform(-1, 0.5)),
                "mu_q": float(rng.uniform(-1, 1)), "s2_q": float(10 ** rng.uniform(-1, 0.5)),
                "direction": rng.standard_normal(2).tolist(), "alpha": alpha}

    def check(inst):
        c = Checks()
        a = inst["alpha"]
        mf, sf, mq, sq = inst["mu_f"], inst["s2_f"], inst["mu_q"], inst["s2_q"]
        f = C.QuadraticScore(mf, sf)
        q = C.EntmaxGaussian(mq, sq, a)
        p = f.entmax(a)
        slow = _slow()
        w = 14.0 * math.sqrt(max(sf, sq)) + 3.0
        iv = (min(mf, mq) - w, max(mf, mq) + w)
        rp = slow.rpm_1d(_score_1d(mf, sf), iv, a)
        # Ω* and Ω(q) against quadrature (independent of the closed forms)
        conj = float(f.conjugate(a))
        c.close("Ω*(f) = slow path (root finding + quad)", conj, rp.conjugate(),
                1e-12 * max(1.0, abs(conj)))
        rq = slow.rpm_1d(_score_1d(mq, sq), iv, a)  # q is p̂ of its own score
        c.close("Ω(q) = quadrature", float(q.omega()), rq.omega(),
                1e-12 * max(1.0, abs(rq.omega())))
        L = float(C.fy_loss(f, q))
        eq = rq.expect(_score_1d(mf, sf))
        L_ref = rp.conjugate() + rq.omega() - eq
        scale = 1.0 + abs(conj) + abs(eq) + abs(rq.omega())
        c.close("L(f;q) = Ω*(f) + Ω(q) − E_q f (quadrature)", L, L_ref, 1e-12 * scale)
        c.geq("L(f;q) ≥ 0", L, 0.0, 1e-13 * scale)
        L0 = float(C.fy_loss(f, p))
        c.leq("L(f; p̂[f]) = 0", abs(L0), 0.0, 1e-13 * scale)
        dist = abs(mq - mf) + abs(sq - sf)
        if dist > 1e-2:
            c.geq("L(f;q) > 0 for q ≠ p̂[f]", L, 1e-9, 0.0)
        # p̂ maximizes: L ≥ 0 against a density outside the family (uniform on [μ_q ± 1])
        unif = slow.fy_loss_1d(_score_1d(mf, sf), iv, lambda t: 0.5 if abs(t - mq) <= 1 else 0.0,
                               [(mq - 1.0, mq + 1.0)], a)
        c.geq("L(f; uniform) ≥ 0 (quadrature)", unif, 0.0, 1e-12 * scale)
        # gradient identity in the natural parameters θ = (η, P) of f = ηt − ½Pt²
        g_eta, g_P = C.fy_loss_grad(f, q)
        d = np.asarray(inst["direction"], dtype=float)
        eta, P = float(f.eta[0]), float(f.precision[0, 0])
        h = 1e-4 * min(1.0, P)

        def Lat(s):
            return float(C.fy_loss(C.QuadraticScore.from_natural(eta + s * h * d[0],
                                                                 P + s * h * d[1]), q))
        fd = (Lat(1.0) - Lat(-1.0)) / (2.0 * h)
        want = float(g_eta[0]) * d[0] + float(g_P[0, 0]) * d[1]
        # central difference: truncation O(h²)·L''' and rounding eps·|L|/h
        c.close("∇_θ L = E_p̂[φ] − E_q[φ] (central difference)", fd, want,
                1e-6 * (1.0 + abs(want)) + 1e-12 * scale / h)
        c.note(L=L, L_ref=L_ref, conj=conj)
        return c

    return Claim(
        id=f"C1.fy[alpha={alpha:g}]", theorem="C1",
        title=f"continuous FY loss properties, α = {alpha:g}",
        statement=("For quadratic scores f and q-Gaussians q of the same α: Ω*(f) and Ω(q) "
                   "equal their quadrature values; L(f;q) = Ω*(f) + Ω(q) − E_q[f] ≥ 0, also "
                   "against densities outside the family; L = 0 iff q = p̂_Ω[f]; "
                   "∇_θ L = E_p̂[φ] − E_q[φ] in the natural parameters."),
        formula="L(f;q) ≥ 0; L = 0 ⇔ q = p̂_Ω[f]; ∇_θ L(f_θ; q) = E_{p̂}[φ(t)] − E_q[φ(t)]",
        source="talk 'Ω-Regularized Prediction Map'; Martins et al. (JMLR 2022), Prop. 1",
        kind="theorem",
        tolerance=("1e-12 relative to the size of the terms for closed form vs quadrature "
                   "(quad at epsrel 1e-13); the central difference: 1e-6 relative plus "
                   "1e-12·scale/h rounding, h = 1e-4·min(1, P)."),
        generate=generate, check=check, n=(4, 25), requires=REQ, map=f"{alpha:g}-entmax")


# ---- C2: compact support iff α > 1 ----------------------------------------------------------
def _support_claim(subject: Subject) -> Claim:
    C = subject.continuous

    def generate(rng, i):
        D = int(1 + i % 3)
        A = rng.standard_normal((D, D))
        S = A @ A.T + 0.3 * np.eye(D)
        alpha = 1.0 if i % 4 == 0 else float(rng.choice([1.0 + 10 ** rng.uniform(-3, 0),
                                                           rng.uniform(1.0, 5.0)]))
        return {"D": D, "mu": rng.standard_normal(D).tolist(), "S": S.tolist(),
                "alpha": alpha, "dirs": rng.standard_normal((3, D)).tolist()}

    def check(inst):
        c = Checks()
        a, D = inst["alpha"], inst["D"]
        mu, S = np.asarray(inst["mu"]), np.asarray(inst["S"])
        p = C.EntmaxGaussian(mu, S, a)
        R = float(p.support_radius)
        L = np.linalg.cholesky(S)
        c.note(alpha=a, R=R)
        if a == 1.0:
            c.true("α = 1: support radius = ∞", math.isinf(R))
            for d in inst["dirs"]:
                u = np.asarray(d) / np.linalg.norm(d)
                c.true("α = 1: p > 0 at Mahalanobis radius 30", float(p.pdf(mu + 30 * L @ u)) > 0)
            sp = _slow().rpm_1d(_score_1d(0.0, 1.0), (-12.0, 12.0), 1.0).support
            c.true("α = 1: slow-path support = the whole interval", sp == [(-12.0, 12.0)])
            return c
        c.true("α > 1: support radius finite", math.isfinite(R) and R > 0)
        if not math.isfinite(R):
            return c
        for d in inst["dirs"]:
            u = np.asarray(d) / np.linalg.norm(d)
            # log p (p itself underflows there for large β = 1/(α−1))
            c.true("p > 0 just inside (log p finite at r = R(1 − 1e-9))",
                   math.isfinite(float(p.logpdf(mu + R * (1 - 1e-9) * L @ u))))
            c.true("p = 0 just outside (r = R(1 + 1e-9))",
                   float(p.pdf(mu + R * (1 + 1e-9) * L @ u)) == 0.0)
        # mass inside the ellipsoid = 1: |S_{D−1}| |Σ|^½ ∫_0^R p(r) r^{D−1} dr
        u0 = np.zeros(D)
        u0[0] = 1.0
        area = 2 * math.pi ** (D / 2) / math.gamma(D / 2)
        mass = area * math.sqrt(np.linalg.det(S)) * _quad(
            lambda r: float(p.pdf(mu + r * (L @ u0))) * r ** (D - 1), 0.0, R)
        c.close("mass inside r ≤ R is 1", mass, 1.0, 1e-11)
        # 1-D slow path: the support of p̂[f] is [μ ± σR]
        rs = _slow().rpm_1d(_score_1d(0.0, 1.0), (-12.0, 12.0), a)
        p1 = C.EntmaxGaussian(0.0, 1.0, a)
        R1 = float(p1.support_radius)
        if R1 < 12.0:
            c.true("slow path: one support piece", len(rs.support) == 1)
            lo, hi = rs.support[0]
            c.close("slow path: support = [−R, R] (D = 1)", [lo, hi], [-R1, R1], 1e-13 * (1 + R1))
        return c

    return Claim(
        id="C2.support", theorem="C2", title="compact support iff α > 1",
        statement=("The α-entmax density of a quadratic score has compact support "
                   "(the ellipsoid r ≤ R, with all the mass) iff α > 1; at α = 1 it is "
                   "positive everywhere."),
        formula="supp p̂_Ωα[f] = {t: (t−μ)ᵀΣ⁻¹(t−μ) ≤ R²} with R < ∞ ⇔ α > 1",
        source="talk 'Sparse and Continuous' (q-Gaussians for α = 2 − q > 1)",
        kind="theorem",
        tolerance="exact zero/positivity at r = R(1 ± 1e-9); mass by quad to 1e-11; "
                  "slow-path endpoints to 1e-13 relative.",
        generate=generate, check=check, n=(8, 40), requires=REQ)


# ---- C3: attention closed forms -----------------------------------------------------------------
def _attention_claim(subject: Subject, alpha: float) -> Claim:
    C = subject.continuous

    def generate(rng, i):
        J = 6
        return {"mu": float(rng.uniform(0, 1)), "s2": float(10 ** rng.uniform(-2.5, -0.5)),
                "centers": rng.uniform(-0.2, 1.2, J).tolist(),
                "widths": (10 ** rng.uniform(-1.5, -0.3, J)).tolist(), "alpha": alpha}

    def check(inst):
        c = Checks()
        a, mu, s2 = inst["alpha"], inst["mu"], inst["s2"]
        rbf = C.GaussianRBF(inst["centers"], inst["widths"])
        r, jac = C.attention(mu, s2, a, rbf, jacobian=True, method="closed")
        r = np.asarray(r, dtype=float)
        # the density from the slow path's τ (root finding; no closed form)
        w = 30.0 * math.sqrt(s2) + 1.0
        sp = _slow().rpm_1d(_score_1d(mu, s2), (mu - w, mu + w), a)
        lo, hi = sp.support[0][0], sp.support[-1][1]
        ref = []
        for cj, sj in zip(inst["centers"], inst["widths"], strict=True):
            def g(t, cj=cj, sj=sj):
                return sp._p(t) * math.exp(-0.5 * ((t - cj) / sj) ** 2) / (
                    sj * math.sqrt(2 * math.pi))
            ref.append(_quad(g, lo, hi, [mu, cj]))
        ref = np.asarray(ref)
        top = float(ref.max())
        c.close("E_p[ψ_j] closed form = quadrature (normwise)", r / top, ref / top, 1e-11)
        big = ref >= 1e-4 * top
        c.close("… per entry ≥ 1e-4·max (relative)", r[big] / ref[big], 1.0, 1e-11)
        # Jacobian against central differences of the closed form
        for k, (dm, ds) in enumerate(((1.0, 0.0), (0.0, 1.0))):
            h = 1e-5 * (1.0 if dm else s2)
            rp = np.asarray(C.attention(mu + h * dm, s2 + h * ds, a, rbf, method="closed"))
            rm = np.asarray(C.attention(mu - h * dm, s2 - h * ds, a, rbf, method="closed"))
            fd = (rp - rm) / (2 * h)
            js = float(np.max(np.abs(jac[:, k])))
            c.close(f"∂r/∂{'μ' if dm else 'σ²'} = central difference", jac[:, k] / js, fd / js,
                    1e-6)
        c.note(r=r, ref=ref)
        return c

    name = {1.0: "1", 2.0: "2", 1.5: "3/2", 4 / 3: "4/3"}[alpha]
    return Claim(
        id=f"C3.attention[alpha={name}]", theorem="C3",
        title=f"continuous attention closed form, α = {name}",
        statement=("For a 1-D α-entmax density of a quadratic score and Gaussian RBFs, "
                   "E_p[ψ_j(t)] and its Jacobian w.r.t. (μ, σ²) have closed forms (erf/exp) "
                   "at α = 1 and α = k/(k−1): they equal quadrature."),
        formula="E_p[N(t; c_j, s_j²)] = Σ_k coef_k · truncated Gaussian moments (erf, exp)",
        source="talk 'Multivariate q-Gaussians' (α = 2 − q = k/(k−1)); Martins et al. "
               "(NeurIPS 2020)",
        kind="theorem",
        tolerance="1e-11 normwise and per entry ≥ 1e-4·max against quad (epsrel 1e-13) of "
                  "the slow-path density; Jacobian 1e-6 (central differences, h = 1e-5).",
        generate=generate, check=check, n=(4, 25), requires=REQ, map=f"{name}-entmax")


# ---- C4: Wasserstein-2 ---------------------------------------------------------------
def _w2_claim(subject: Subject, alpha: float) -> Claim:
    C = subject.continuous

    def generate(rng, i):
        return {"mu": rng.uniform(-1, 1, 2).tolist(), "s2": (10 ** rng.uniform(-1, 1, 2)).tolist(),
                "alpha": alpha}

    def check(inst):
        c = Checks()
        a = inst["alpha"]
        p = C.EntmaxGaussian(inst["mu"][0], inst["s2"][0], a)
        q = C.EntmaxGaussian(inst["mu"][1], inst["s2"][1], a)
        w = float(C.wasserstein2(p, q))
        # quantile functions by root finding on the slow path's CDF (quadrature)
        from scipy.optimize import brentq

        def ppf_of(mu, s2):
            wd = 40.0 * math.sqrt(s2)
            sp = _slow().rpm_1d(_score_1d(mu, s2), (mu - wd, mu + wd), a)
            lo, hi = sp.support[0][0], sp.support[-1][1]
            grid = np.linspace(lo, hi, 65)
            cells = [_quad(sp._p, x0, x1) for x0, x1 in zip(grid[:-1], grid[1:], strict=True)]
            F = np.concatenate([[0.0], np.cumsum(cells)])

            def cdf(x):
                k = int(np.clip(np.searchsorted(grid, x) - 1, 0, len(grid) - 2))
                return F[k] + _quad(sp._p, grid[k], x)
            return lambda v: brentq(lambda x: cdf(x) - v, lo, hi, xtol=1e-13)

        Fp, Fq = ppf_of(inst["mu"][0], inst["s2"][0]), ppf_of(inst["mu"][1], inst["s2"][1])
        nodes, wts = np.polynomial.legendre.leggauss(24)
        th = (nodes + 1) * math.pi / 2
        v = (1 - np.cos(th)) / 2
        jac = np.sin(th) / 2 * math.pi / 2
        wq = math.sqrt(float(sum(wi * ji * (Fp(x) - Fq(x)) ** 2
                                 for wi, ji, x in zip(wts, jac, v, strict=True))))
        c.close("W2 closed form = ∫(F_p⁻¹ − F_q⁻¹)² (quantiles)", w, wq, 1e-4 * max(w, 1e-3))
        c.note(w2_closed=w, w2_quantiles=wq)
        return c

    return Claim(
        id=f"C4.w2.slides[alpha={alpha:g}]", theorem="C4",
        title=f"Wasserstein-2 in closed form, α = {alpha:g}",
        statement=("The talk: for multivariate q-Gaussians 'Wasserstein distances [are] "
                   "computable in closed form'.  Two members of the same α are affine images "
                   "of one spherical law, so W2² = ‖μ_p − μ_q‖² + tr C_p + tr C_q − "
                   "2 tr(C_p^½ C_q C_p^½)^½ with the covariances C (not the scales Σ)."),
        formula="W2²(p, q) = ‖Δμ‖² + (√C_p − √C_q)² in 1-D, C = R²Σ/(D + 2β + 2)",
        source="talk 'Multivariate q-Gaussians' (nice properties); Gelbrich (1990)",
        kind="published",
        tolerance=("1e-4 relative: the quantile integral by 24-point Gauss–Legendre after "
                   "v = (1 − cos θ)/2, quantiles by brentq on a quadrature CDF."),
        generate=generate, check=check, n=(2, 10), requires=REQ, map=f"{alpha:g}-entmax")


def claims(subject: Subject) -> list[Claim]:
    out = [_fy_claim(subject, a) for a in (1.0, 1.5, 2.0, 3.0)]
    out.append(_support_claim(subject))
    out += [_attention_claim(subject, a) for a in (2.0, 1.0, 1.5, 4 / 3)]
    out += [_w2_claim(subject, a) for a in (1.0, 2.0, 3.0)]
    return out
