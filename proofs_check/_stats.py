"""Exact binomial tests for the Monte Carlo claims: level, critical count and power.

A probabilistic claim "the failure probability is at most ``p``" is tested with the exact
one-sided binomial test: with ``k`` failures in ``n`` independent trials it is refuted at
level ``α`` iff ``P(Bin(n, p) ≥ k) ≤ α``, which is the same as "the one-sided
Clopper-Pearson lower confidence limit of the failure rate, at confidence ``1 − α``,
exceeds ``p``".  The test never refutes a true statement with probability more than
``α`` (whatever the true rate ``≤ p``), and refutes a statement whose true failure rate is
``f`` with probability ``power = P(Bin(n, f) ≥ k*)``, ``k*`` the critical count.

A two-sided version (``two_sided``) tests ``P = p`` for the sampled frequency of an event
whose probability the library computes (T7's angle probability).
"""

from __future__ import annotations

import math

from scipy.stats import beta as beta_dist
from scipy.stats import binom


def critical_count(n: int, p: float, alpha: float) -> int:
    """The smallest ``k`` with ``P(Bin(n, p) ≥ k) ≤ α`` (``n + 1`` if none)."""
    k = int(binom.isf(alpha, n, p))  # P(X > k) <= alpha  ->  P(X >= k + 1) <= alpha
    k = max(k, 0)
    while k > 0 and binom.sf(k - 2, n, p) <= alpha:
        k -= 1
    while k <= n and binom.sf(k - 1, n, p) > alpha:
        k += 1
    return k


def upper_test(k: int, n: int, p: float, alpha: float) -> dict:
    """One-sided exact test of ``rate ≤ p`` with ``k`` failures in ``n`` trials."""
    pval = float(binom.sf(k - 1, n, p)) if k > 0 else 1.0
    lo = float(beta_dist.ppf(alpha, k, n - k + 1)) if k > 0 else 0.0
    return {"failures": int(k), "trials": int(n), "rate": k / n, "p_value": pval,
            "cp_lower": lo, "refutes": bool(pval <= alpha)}


def design(n: int, p: float, alpha: float, f_alt: float) -> dict:
    """The test of ``rate ≤ p`` with ``n`` trials at level ``alpha``: its critical count,
    its exact size (≤ alpha) and its power against a true rate ``f_alt``."""
    k = critical_count(n, p, alpha)
    size = float(binom.sf(k - 1, n, p)) if k <= n else 0.0
    power = float(binom.sf(k - 1, n, f_alt)) if k <= n else 0.0
    return {"trials": int(n), "p": p, "level": alpha, "critical_failures": int(k),
            "size": size, "alternative": f_alt, "power": power}


def two_sided(k: int, n: int, p: float, alpha: float) -> dict:
    """Exact two-sided test of ``P = p`` (sum of the two one-sided tails, each at α/2)."""
    lo_tail = float(binom.cdf(k, n, p))
    hi_tail = float(binom.sf(k - 1, n, p)) if k > 0 else 1.0
    pval = min(1.0, 2.0 * min(lo_tail, hi_tail))
    return {"hits": int(k), "trials": int(n), "freq": k / n, "p_value": pval,
            "refutes": bool(pval <= alpha)}


def two_sided_power(n: int, p: float, alpha: float, delta: float) -> float:
    """Power of :func:`two_sided` against ``P = p ± delta`` (the smaller of the two)."""
    lo = int(binom.ppf(alpha / 2, n, p))
    while lo >= 0 and binom.cdf(lo, n, p) > alpha / 2:
        lo -= 1
    hi = critical_count(n, p, alpha / 2)
    out = math.inf
    for f in (p - delta, p + delta):
        if not 0.0 <= f <= 1.0:
            continue
        pw = (float(binom.cdf(lo, n, f)) if lo >= 0 else 0.0) + (
            float(binom.sf(hi - 1, n, f)) if hi <= n else 0.0)
        out = min(out, pw)
    return 0.0 if math.isinf(out) else out
