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
ends of its scale range).  Importing this module needs ``hypothesis``.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

__all__ = [
    "score_vectors",
    "score_batches",
    "entmax_alphas",
    "normmax_alphas",
    "simplex_points",
    "scales",
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
) -> np.ndarray:
    """1-D float64 score vectors.

    Entries are standard-normal-like values times a drawn scale, plus a drawn shift;
    with ``ties`` some entries are copies of others (exact ties, also at the
    maximum); with ``masks`` some are ``-inf`` (at least ``min_finite`` stay finite).
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
