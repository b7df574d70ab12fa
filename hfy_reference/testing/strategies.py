"""Hypothesis strategies for scores, parameters and simplex points.

Public, like :mod:`hypothesis.extra.numpy`: other projects can draw the inputs on
which sparse maps are most often wrong (exact ties, ``-inf`` masks, a single finite
entry, scales from 1e-8 to 1e8, points just off a support threshold) in their own
test suites::

    from hypothesis import given
    from hfy_reference.testing import strategies as hst

    @given(hst.score_vectors(), hst.entmax_alphas())
    def test_my_entmax(z, alpha): ...

Every strategy here builds its values by construction (no ``assume`` filtering), and
each is tested in ``tests/test_strategies.py`` (it reaches ties, masks and both
ends of its scale range, and its "just above/below" labels are right against the
50-digit reference).  Importing this module needs ``hypothesis``.

Strategies
----------
``scores``, ``score_vectors``, ``score_batches``
    Scores with exact ties (also at the maximum), ``-inf`` masks, a single finite
    entry, scales from ``min_scale`` to ``max_scale`` (up to 1e-300 .. 1e300), shifts;
    ``dtype=np.float32`` rounds them for float32 backends.
``near_threshold_scores``
    Scores with one entry a few ulps to ``2**20`` ulps above or below the support
    threshold of entmax, sparsemax or normmax (``with_info=True``: also its index and
    side).
``near_margin_scores``
    A maximum whose gap to the runner-up is the margin plus or minus a few ulps (the
    FY loss against the one-hot target is 0 exactly on the ``+`` side).
``entmax_alphas``, ``normmax_alphas``, ``alphas``
    ``alpha`` in a domain, its special values drawn often.
``simplex_points``, ``capped_simplex_points``, ``scores_and_targets``
    Targets for losses: points of the simplex (corners, faces), of the capped simplex
    ``{mu in [0,1]^N, sum mu = k}`` (structures and mixtures), class indices of
    unmasked scores.
``constrained_problems``
    ``(z, upper)`` pairs for constrained sparsemax, feasible by construction.
``hopfield_patterns``
    Pattern matrices (ties, duplicates, scales) and queries for one Hopfield step.
``scales``
    Positive scale factors, log-uniform, both ends drawn often.
``regularizers``
    Instances of every map of the registry (:mod:`hfy_reference.registry`), each over
    its declared parameter domain.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st

__all__ = [
    "scores",
    "score_vectors",
    "score_batches",
    "near_threshold_scores",
    "near_margin_scores",
    "entmax_alphas",
    "normmax_alphas",
    "alphas",
    "simplex_points",
    "capped_simplex_points",
    "scores_and_targets",
    "constrained_problems",
    "hopfield_patterns",
    "scales",
    "regularizers",
]


def scales(min_scale: float = 1e-8, max_scale: float = 1e8) -> st.SearchStrategy[float]:
    """Positive scale factors, log-uniform over ``[min_scale, max_scale]``, with both
    ends and 1 drawn often."""
    lo, hi = np.log10(min_scale), np.log10(max_scale)
    return st.one_of(
        st.sampled_from(sorted({min_scale, 1.0, max_scale})),
        st.floats(lo, hi).map(lambda e: float(10.0**e)),
    )


@st.composite
def score_vectors(
    draw,
    min_size: int = 1,
    max_size: int = 40,
    *,
    ties: bool = True,
    masks: bool = True,
    min_scale: float = 1e-8,
    max_scale: float = 1e8,
    min_finite: int = 1,
    dtype=np.float64,
) -> np.ndarray:
    """1-D score vectors (float64, or ``dtype``).

    Entries are standard-normal-like values times a drawn scale, plus a drawn shift;
    with ``ties`` some entries are copies of others (exact ties, also at the
    maximum); with ``masks`` some are ``-inf`` (at least ``min_finite`` stay finite).
    ``dtype=np.float32`` rounds the result (keep ``max_scale`` below 1e37 then).
    """
    n = draw(st.integers(max(min_size, min_finite), max_size))
    base = draw(
        st.lists(st.floats(-3.0, 3.0, allow_nan=False), min_size=n, max_size=n)
    )
    z = np.array(base, dtype=np.float64)
    scale = draw(scales(min_scale, max_scale))
    z = z * scale
    if draw(st.booleans()):
        z = z + draw(st.sampled_from([0.0, 1.0, -7.5, 1e3])) * scale
    if ties and n > 1 and draw(st.booleans()):
        n_copies = draw(st.integers(1, n - 1))
        src = draw(st.lists(st.integers(0, n - 1), min_size=n_copies, max_size=n_copies))
        dst = draw(st.lists(st.integers(0, n - 1), min_size=n_copies, max_size=n_copies))
        for s, d in zip(src, dst, strict=True):
            z[d] = z[s]
        if draw(st.booleans()):  # a tie at the maximum
            z[draw(st.integers(0, n - 1))] = z.max()
    if masks and n > min_finite and draw(st.booleans()):
        n_mask = draw(st.integers(1, n - min_finite))
        idx = draw(st.permutations(range(n)))[:n_mask]
        z[list(idx)] = -np.inf
    if np.dtype(dtype) != np.float64:
        with np.errstate(over="ignore", under="ignore"):
            z = z.astype(dtype)
    return z


@st.composite
def score_batches(
    draw,
    max_rows: int = 5,
    min_size: int = 1,
    max_size: int = 20,
    **kwargs,
) -> np.ndarray:
    """2-D float64 arrays whose rows are :func:`score_vectors` of one common length
    (rows differ in scale, ties, masks and hence in support)."""
    n = draw(st.integers(max(min_size, kwargs.get("min_finite", 1)), max_size))
    rows = draw(st.integers(1, max_rows))
    vec = score_vectors(min_size=n, max_size=n, **kwargs)
    return np.stack([draw(vec) for _ in range(rows)])


@st.composite
def scores(
    draw,
    min_size: int = 1,
    max_size: int = 20,
    *,
    max_leading_dims: int = 2,
    max_dim: int = 3,
    **kwargs,
) -> np.ndarray:
    """Score arrays of any shape ``(..., N)``: a vector, a batch of rows, or a 3-D/4-D
    tensor (attention-like), each row a :func:`score_vectors` draw of one common
    length ``N`` (rows differ in scale, ties and masks).  ``dtype=np.float32`` (or
    ``np.float16``) rounds the result.  The problems are along the last axis, as the
    oracle's :func:`~hfy_reference.testing.assert_matches` expects."""
    n = draw(st.integers(max(min_size, kwargs.get("min_finite", 1)), max_size))
    lead = tuple(draw(st.lists(st.integers(1, max_dim), min_size=0,
                               max_size=max_leading_dims)))
    vec = score_vectors(min_size=n, max_size=n, **kwargs)
    rows = [draw(vec) for _ in range(int(np.prod(lead, dtype=int)))]
    return np.stack(rows).reshape(lead + (n,))


def entmax_alphas(
    *, min_alpha: float = 1.0 + 1e-3, max_alpha: float = 100.0, include_inf: bool = False
) -> st.SearchStrategy[float]:
    """α for entmax: the closed forms 1.5 and 2, values near 1 and large values drawn
    often, else log-uniform in ``(min_alpha - 1, max_alpha - 1)`` above 1."""
    special = [a for a in (1.001, 1.01, 1.1, 1.5, 2.0, 3.0, 10.0, 30.0, 100.0)
               if min_alpha <= a <= max_alpha]
    lo, hi = np.log10(min_alpha - 1.0), np.log10(max_alpha - 1.0)
    out = st.one_of(
        st.sampled_from(special),
        st.floats(lo, hi).map(lambda e: float(1.0 + 10.0**e)),
    )
    if include_inf:
        out = st.one_of(out, st.just(float("inf")))
    return out


def normmax_alphas(
    *, min_alpha: float = 1.1, max_alpha: float = 100.0, include_inf: bool = True
) -> st.SearchStrategy[float]:
    """α for normmax (closed form at 2; ``inf`` = uniform on sparsemax's support)."""
    return entmax_alphas(min_alpha=min_alpha, max_alpha=max_alpha,
                         include_inf=include_inf)


@st.composite
def simplex_points(draw, n: int, *, sparse: bool = True) -> np.ndarray:
    """Points of the probability simplex in R^n, including corners and faces."""
    w = np.array(draw(st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n)))
    if sparse and draw(st.booleans()):
        keep = draw(st.integers(1, n))
        idx = draw(st.permutations(range(n)))[:keep]
        mask = np.zeros(n, bool)
        mask[list(idx)] = True
        w = np.where(mask, w, 0.0)
    if w.sum() == 0.0:
        w[draw(st.integers(0, n - 1))] = 1.0
    return w / w.sum()


def alphas(lo: float, hi: float, *, include_lo: bool = False, include_hi: bool = True,
           special=(1.001, 1.01, 1.1, 1.5, 2.0, 3.0, 5.0, 10.0, 30.0, 100.0)
           ) -> st.SearchStrategy[float]:
    """``alpha`` in the domain between ``lo`` and ``hi`` (ends included or not; ``hi`` may
    be ``inf``): the listed special values inside the domain drawn often, the ends when
    included, else log-uniform in ``alpha - lo``."""
    lo, hi = float(lo), float(hi)
    inside = [a for a in special if (lo < a or (include_lo and a == lo))
              and (a < hi or (include_hi and a == hi))]
    ends = ([lo] if include_lo else []) + ([hi] if include_hi else [])
    top = min(hi, lo + 1e3) if math.isinf(hi) else hi
    width = top - lo
    first = math.nextafter(lo, math.inf)
    last = math.nextafter(hi, -math.inf)

    def inside_open(e):  # lo < a < hi even after rounding
        return min(max(lo + width * 10.0**e, first), last)

    parts = [st.floats(-6.0, 0.0).map(inside_open)]
    if inside or ends:
        parts.insert(0, st.sampled_from(sorted(set(inside + ends))))
    return st.one_of(*parts)


def _eps(dtype) -> float:
    return float(np.finfo(dtype).eps)


@st.composite
def near_threshold_scores(draw, family: str = "entmax", alpha: float = 1.5, *,
                          side: int | None = None, min_ulps: float = 4.0,
                          max_ulps: float = 2.0**20, max_size: int = 12,
                          dtype=np.float64, with_info: bool = False):
    """Scores with one entry just above (``side=+1``) or below (``-1``) the support
    threshold of ``family`` ("entmax", "sparsemax" or "normmax", at ``alpha``).

    A support of ``s`` scores (1 to 5; ties drawn too) is built so that all of them are
    in the support; the threshold score ``x*`` of that support comes from the exact
    path (:func:`hfy_reference.threshold`); the candidate is ``x* + side * G eps |x*|``
    with ``G`` log-uniform in ``[min_ulps, max_ulps]``; the other entries lie far below
    (some ``-inf``).  ``min_ulps >= 4`` keeps the side exact after rounding.  With
    ``with_info``, returns ``(z, index, side)``."""
    from .. import maps

    if family == "sparsemax":
        family, alpha = "entmax", 2.0
    if family not in ("entmax", "normmax"):
        raise ValueError(f"family must be 'entmax', 'sparsemax' or 'normmax'; got {family!r}")
    a = float(alpha)
    s = draw(st.integers(1, 5))
    k = max(s - 1, 1)
    if family == "normmax":
        h = min(0.1, 0.5 * (1.0 / k) ** ((a - 1.0) / a) / k)
        m = 1.0
    else:
        h = min(0.1, 0.5 * (1.0 / k) ** (a - 1.0) / k) / (a - 1.0)
        m = 1.0 / (a - 1.0)
    steps = np.array(draw(st.lists(st.sampled_from([0.0, 0.5, 1.0]), min_size=s - 1,
                                   max_size=s - 1)), dtype=np.float64)
    base = -h * np.concatenate([[0.0], np.cumsum(steps)]) if s > 1 else np.zeros(1)
    base = base.astype(dtype).astype(np.float64)
    if family == "normmax":
        xs = float(maps.threshold(base, a, family="normmax")[0])
    else:
        xs = float(maps.threshold(base, a, family="entmax")[0]) / (a - 1.0)
    sd = side if side is not None else draw(st.sampled_from([1, -1]))
    G = 2.0 ** draw(st.floats(math.log2(min_ulps), math.log2(max_ulps)))
    x = float(np.asarray(xs + sd * G * _eps(dtype) * abs(xs)).astype(dtype))
    n_fill = draw(st.integers(0, max(0, max_size - s - 1)))
    fill = [-3.0 * m * (1.0 + j) if draw(st.booleans()) else -np.inf for j in range(n_fill)]
    z = np.concatenate([base, [x], fill])
    perm = np.array(draw(st.permutations(range(len(z)))))
    z = z[perm].astype(dtype)
    idx = int(np.flatnonzero(perm == s)[0])
    return (z, idx, sd) if with_info else z


@st.composite
def near_margin_scores(draw, margin: float, *, side: int | None = None,
                       min_ulps: float = 4.0, max_ulps: float = 2.0**20,
                       max_size: int = 8, dtype=np.float64, with_info: bool = False):
    """Scores whose maximum beats the runner-up by ``margin * (1 + side * G eps)``
    (``G`` log-uniform in ``[min_ulps, max_ulps]``), the rest far below or masked: the
    FY loss against the one-hot target of the maximum is 0 exactly iff ``side = +1``.
    With ``with_info``, returns ``(z, index of the maximum, side)``."""
    m = float(margin)
    sd = side if side is not None else draw(st.sampled_from([1, -1]))
    G = 2.0 ** draw(st.floats(math.log2(min_ulps), math.log2(max_ulps)))
    b = draw(st.sampled_from([0.0, 0.5, -3.0, 1e3])) * m
    gap = m + sd * G * _eps(dtype) * (abs(b) + m)  # relative to the size of b - gap
    n = draw(st.integers(2, max_size))
    rest = [b - gap - m * (1.0 + j) if draw(st.booleans()) else -np.inf
            for j in range(n - 2)]
    z = np.array([b, b - gap] + rest)
    perm = np.array(draw(st.permutations(range(n))))
    z = z[perm].astype(dtype)
    idx = int(np.flatnonzero(perm == 0)[0])
    return (z, idx, sd) if with_info else z


@st.composite
def capped_simplex_points(draw, n: int, k: int) -> np.ndarray:
    """Points of ``{mu in [0, 1]^n, sum mu = k}``: a structure (a ``k``-subset
    indicator) or a dyadic mixture of two, so that the sum is exactly ``k``."""
    a = np.zeros(n)
    a[list(draw(st.permutations(range(n)))[:k])] = 1.0
    if draw(st.booleans()):
        return a
    b = np.zeros(n)
    b[list(draw(st.permutations(range(n)))[:k])] = 1.0
    w = draw(st.integers(0, 16)) / 16.0
    return (1.0 - w) * a + w * b


@st.composite
def scores_and_targets(draw, **kwargs):
    """``(z, i)``: :func:`score_vectors` and the index of one of its finite entries
    (a class index, as loss backends with integer targets take)."""
    z = draw(score_vectors(**kwargs))
    fin = np.flatnonzero(np.isfinite(z))
    return z, int(draw(st.sampled_from(list(fin))))


@st.composite
def constrained_problems(draw, **kwargs):
    """``(z, upper)`` for constrained sparsemax: :func:`score_vectors` and bounds in
    {0, 1/8, 1/4, 1/2, 1, inf} whose unmasked entries sum to at least 1 (raised where
    needed), tight (summing to exactly 1) or not."""
    z = draw(score_vectors(**kwargs))
    n = len(z)
    u = np.array(draw(st.lists(st.sampled_from([0.0, 0.125, 0.25, 0.5, 1.0, np.inf]),
                               min_size=n, max_size=n)))
    fin = np.isfinite(z)
    total = u[fin].sum()
    if total < 1.0:
        j = int(np.flatnonzero(fin)[draw(st.integers(0, fin.sum() - 1))])
        u[j] += 1.0 - total  # now exactly 1: the tight case
    return z, u


@st.composite
def hopfield_patterns(draw, max_n: int = 12, max_d: int = 6, *, max_batch: int = 3,
                      min_scale: float = 1e-3, max_scale: float = 1e3):
    """``(X, q)``: patterns (N, D) with duplicated rows and a drawn scale, and queries
    (B, D): stored patterns, perturbed ones, 0, and random vectors."""
    n = draw(st.integers(1, max_n))
    d = draw(st.integers(1, max_d))
    vals = st.floats(-2.0, 2.0, allow_nan=False, allow_infinity=False, width=32)
    X = np.array(draw(st.lists(st.lists(vals, min_size=d, max_size=d), min_size=n,
                               max_size=n)), dtype=np.float64)
    if n > 1 and draw(st.booleans()):
        X[draw(st.integers(1, n - 1))] = X[0]  # a duplicated pattern
    X = X * draw(scales(min_scale, max_scale))
    b = draw(st.integers(1, max_batch))
    rows = []
    for _ in range(b):
        kind = draw(st.sampled_from(["pattern", "near", "zero", "random"]))
        i = draw(st.integers(0, n - 1))
        if kind == "pattern":
            rows.append(X[i].copy())
        elif kind == "near":
            rows.append(X[i] + 0.125 * np.array(draw(st.lists(vals, min_size=d,
                                                             max_size=d))))
        elif kind == "zero":
            rows.append(np.zeros(d))
        else:
            rows.append(np.array(draw(st.lists(vals, min_size=d, max_size=d))))
    return X, np.array(rows)


def regularizers(*, simplex_only: bool = False) -> st.SearchStrategy:
    """Regularizer instances of every family of the registry, each drawn from the
    parameter domain its entry declares (``MapEntry.strategy``); ``simplex_only``: only
    maps onto the simplex (``structure_size == 1``)."""
    from .. import registry

    parts = [e.hook("strategy")() for e in registry.entries()]
    s = st.one_of(*parts)
    if simplex_only:
        s = s.filter(lambda r: r.structure_size == 1)
    return s

