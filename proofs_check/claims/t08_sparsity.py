r"""T8 continued: "sparsity increases with α" (seed slides, entmax) -- a theorem, with
nested supports, for α-entmax and for α-normmax.

**Statement.**  For ``1 < α₁ < α₂`` and any ``z``: ``supp ŷ_{α₂}(z) ⊆ supp ŷ_{α₁}(z)``.

**Proof.**  Sort nothing; for an index ``j`` let ``d_i = z_i − z_j > 0`` over the ``i`` with
``z_i > z_j``.  Entry ``j`` is in the support iff ``f_j(α) < 1`` with

* entmax (``p_i = [(α−1)z_i − τ]_+^{1/(α−1)}``, ``Σp = 1``):
  ``f_j(α) = Σ_i ((α−1)d_i)^{1/(α−1)}`` (the mass the larger entries would have with
  ``τ = (α−1)z_j``);
* normmax (``z_i − ‖p‖_α^{1−α}p_i^{α−1} = τ`` on the support, so ``Σ_i [z_i − τ]_+^{α/(α−1)}
  = 1``): ``f_j(α) = Σ_i d_i^{α/(α−1)}``.

Each term is ``g(x) = x^{1/t}``-like: for entmax, with ``t = α − 1``,
``d/dt log (t d)^{1/t} = (1 − log(t d))/t²``, positive whenever ``t d < e``; for normmax,
``d^{α/(α−1)}`` increases with α whenever ``d < 1``.  Where ``f_j(α) = 1`` every term is
≤ 1, i.e. ``t d_i ≤ 1`` (resp. ``d_i ≤ 1``), so ``f_j`` is strictly increasing at every
crossing of 1: it crosses once, upward, and an entry that leaves the support never
returns.  (α → ∞ gives argmax for entmax and sparsemax's support for normmax, the
smallest supports; softmax, α = 1, has full support.)

**Checks**, per instance: the library's support at a grid of α (including just below and
just above every crossing ``α*_j``, found by bisection on ``f_j``) is nested and
decreasing; it agrees with the criterion ``f_j(α) < 1`` evaluated at 50 digits (mpmath)
wherever ``|f_j − 1| > 1e-9``; and entry j is in the support at ``α*_j(1 − 1e-7)`` and out
at ``α*_j(1 + 1e-7)`` (both sides of each exit).  A statement with the inclusion reversed
("sparsity decreases with α") is refuted by the same instances (negative control).
"""

from __future__ import annotations

import math

import numpy as np

from ..registry import Checks, Claim, Subject

SRC = ("seed slides 'Entmax (Peters et al., 2019a)': 'sparsity increases with α'; "
       "math §1 (entmax and normmax thresholds)")


def _f(z: np.ndarray, j: int, alpha: float, family: str) -> float:
    d = z[z > z[j]] - z[j]
    if family == "tsallis":
        t = alpha - 1.0
        return float(np.sum(np.exp(np.log(t * d) / t))) if d.size else 0.0
    return float(np.sum(d ** (alpha / (alpha - 1.0)))) if d.size else 0.0


def _f_mp(z: np.ndarray, j: int, alpha: float, family: str):
    """``f_j(α)`` at 50 digits (mpmath); without mpmath (it is a test extra, not a
    dependency) in float64, whose relative error here is below 1e-13 -- far inside the
    1e-9 margin the check keeps from 1."""
    try:
        import mpmath as mp
    except ImportError:  # pragma: no cover - mpmath is installed with the test extra
        return _f(z, j, alpha, family)

    with mp.workdps(50):
        a = mp.mpf(float(alpha))
        s = mp.mpf(0)
        for zi in z:
            if zi > z[j]:
                d = mp.mpf(float(zi)) - mp.mpf(float(z[j]))
                s += (((a - 1) * d) ** (1 / (a - 1)) if family == "tsallis"
                      else d ** (a / (a - 1)))
        return s


def crossing(z, j, family, lo=1.0 + 1e-6, hi=1e6) -> float | None:
    """The α where ``f_j(α) = 1`` (bisection in log α − 1), or None if it stays < 1 or
    ≥ 1 on [lo, hi]."""
    flo, fhi = _f(z, j, lo, family), _f(z, j, hi, family)
    if not (flo < 1.0 <= fhi):
        return None
    a, b = math.log(lo - 1), math.log(hi - 1)
    for _ in range(200):
        m = 0.5 * (a + b)
        if _f(z, j, 1 + math.exp(m), family) < 1.0:
            a = m
        else:
            b = m
        if b - a < 1e-15:
            break
    return 1 + math.exp(0.5 * (a + b))


def make_claim(subject: Subject, family: str, name: str, reverse: bool = False) -> Claim:
    base = next((s for s in subject.maps.values() if s.family == family), None)
    cls = type(base.reg) if base is not None else None

    def generate(rng, idx):
        n = 3 + idx % 4 if idx < 8 else int(rng.integers(3, 11))
        z = rng.standard_normal(n) * float(rng.choice([0.3, 1.0, 3.0]))
        if idx % 3 == 1:  # ties
            z[rng.integers(0, n)] = z[rng.integers(0, n)]
        grid = sorted({float(1 + log_u) for log_u in 10 ** rng.uniform(-1.5, 1.2, 6)})
        return {"z": z, "alphas": grid}

    def supp(alpha, z):
        return np.asarray(cls(alpha).argmax(z), dtype=np.float64) > 0

    def check(inst):
        z, grid = inst["z"], list(inst["alphas"])
        c = Checks()
        extra = []
        for j in range(len(z)):
            a = crossing(z, j, family)
            if a is not None and a > 1.001:
                extra.append((j, a))
                grid += [a * (1 - 1e-7), a * (1 + 1e-7)]
        grid = sorted(grid)
        S = [supp(a, z) for a in grid]
        c.note(z=z, alphas=grid, support_sizes=[int(s.sum()) for s in S])
        for a, s in zip(grid, S, strict=True):
            for j in range(len(z)):
                f = _f_mp(z, j, a, family)
                if abs(float(f) - 1.0) > 1e-9:
                    c.true("library support = {j: f_j(α) < 1} (50 digits)",
                           bool(s[j]) == bool(f < 1))
        for (a1, s1), (a2, s2) in zip(zip(grid, S, strict=True),
                                      zip(grid[1:], S[1:], strict=True), strict=False):
            if reverse:
                ok = bool(np.all(s1 <= s2))
                name_ = "α₁ < α₂ ⇒ supp ŷ_{α₁} ⊆ supp ŷ_{α₂} (reversed statement)"
            else:
                ok = bool(np.all(s2 <= s1))
                name_ = "α₁ < α₂ ⇒ supp ŷ_{α₂} ⊆ supp ŷ_{α₁}"
            if not ok:
                c.note(alpha1=a1, alpha2=a2, support1=s1, support2=s2)
            c.true(name_, ok)
        for j, a in extra:
            lo, hi = supp(a * (1 - 1e-7), z), supp(a * (1 + 1e-7), z)
            c.true("entry j in the support just below its exit α*_j, out just above",
                   bool(lo[j]) and not bool(hi[j]))
        return c

    fam_text = {"tsallis": "entmax: f_j = Σ((α−1)(z_i − z_j))_+^{1/(α−1)}",
                "norm": "normmax: f_j = Σ(z_i − z_j)_+^{α/(α−1)}"}[family]
    return Claim(
        id=f"T8.sparsity-alpha{'.reversed' if reverse else ''}[{name}]", theorem="T8",
        kind="theorem", map=name,
        title=f"sparsity increases with α ({name}): nested supports",
        statement=(f"For 1 < α₁ < α₂ the support of {name}_α₂(z) is contained in that of "
                   f"{name}_α₁(z) (an entry that leaves never returns)"
                   + (" -- REVERSED, a negative control" if reverse else "") + "."),
        formula=(f"α₁ < α₂ ⇒ supp ŷ_α₂(z) ⊆ supp ŷ_α₁(z); j ∈ supp ⇔ f_j(α) < 1 ({fam_text})"),
        source=SRC,
        tolerance=("supports compared exactly (p_j > 0); the criterion at 50 digits where "
                   "|f_j − 1| > 1e-9; crossings α*_j by bisection to 1e-15, probed at "
                   "α*_j(1 ± 1e-7)"),
        generate=generate, check=check, n=(10, 80), method="exact",
        requires=(),
    )


def claims(subject: Subject) -> list[Claim]:
    out = []
    if any(s.family == "tsallis" for s in subject.maps.values()):
        out.append(make_claim(subject, "tsallis", "entmax"))
    if any(s.family == "norm" for s in subject.maps.values()):
        out.append(make_claim(subject, "norm", "normmax"))
    return out
