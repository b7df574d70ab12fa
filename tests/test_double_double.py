"""Every copy of the error-free transformations is the same function, bit for bit.

The NumPy core :mod:`hfy_reference._dd` and the scalar copies in the two Numba kernel
files (kept per file because Numba's on-disk cache is invalidated per file) are
compared on random inputs over the whole float64 exponent range, including inputs
near the overflow threshold of Veltkamp's split (``|a| > 6e299``).  The error-free
property itself is checked against exact rational arithmetic.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from hfy_reference import _dd
from hfy_reference._kernels import alpha as kalpha
from hfy_reference._kernels import simplex, sparsemap

RNG = np.random.default_rng(20261129)


def _inputs(n: int = 400):
    """Pairs (a, b) with finite, normal products: random exponents, near-overflow."""
    m = RNG.uniform(0.5, 1.0, size=(2, n)) * RNG.choice([-1.0, 1.0], size=(2, n))
    ea = RNG.integers(-480, 480, size=n)
    a = np.ldexp(m[0], ea)
    b = np.ldexp(m[1], RNG.integers(-480, 480, size=n) // 2 - ea // 2)
    # near overflow of the split: |a| in (6e299, 1.7e308), b small enough for a finite product
    # (mantissas below 1 - 2**-26: above, the high half rounds up to 2**1024 and
    # overflows in every copy alike -- the documented limit of the split)
    big = np.ldexp(np.minimum(m[0, :100], 0.99999998), RNG.integers(996, 1024, size=100))
    small = np.ldexp(m[1, :100], RNG.integers(-700, -30, size=100))
    edge = np.array([6.0e299, np.nextafter(6.0e299, np.inf), 1.79e308, -1.79e308,
                     1.0, -1.0, 0.0, 3.0])
    a = np.concatenate([a, big, small, edge])
    b = np.concatenate([b, small, big, np.array([1e-300, 1e-300, 1e-10, 1e-10, 1.0, 0.0,
                                                   5.0, np.nextafter(1.0, 2.0)])])
    return a, b


def _bits(x) -> np.ndarray:
    return np.asarray(x, dtype=np.float64).view(np.int64)


A, B = _inputs()


@pytest.mark.parametrize("name, fn", [
    ("simplex.split", simplex.split), ("sparsemap._split", sparsemap._split),
    ("alpha._split", kalpha._split)])
def test_split_copies_bitwise(name, fn):
    hi, lo = _dd.split(A)
    got = np.array([fn(float(x)) for x in A])
    assert np.array_equal(_bits(got[:, 0]), _bits(hi)), name
    assert np.array_equal(_bits(got[:, 1]), _bits(lo)), name
    # hi + lo = a exactly, and no overflow near the threshold
    assert np.all(np.isfinite(hi)) and np.all(np.isfinite(lo))
    for x, h, lw in zip(A[-120:], hi[-120:], lo[-120:], strict=True):
        assert Fraction(float(h)) + Fraction(float(lw)) == Fraction(float(x))


@pytest.mark.parametrize("name, fn", [
    ("simplex.two_prod", simplex.two_prod), ("sparsemap._two_prod", sparsemap._two_prod),
    ("alpha._two_prod", kalpha._two_prod)])
def test_two_prod_copies_bitwise(name, fn):
    p, e = _dd.two_prod(A, B)
    got = np.array([fn(float(x), float(y)) for x, y in zip(A, B, strict=True)])
    assert np.array_equal(_bits(got[:, 0]), _bits(p)), name
    assert np.array_equal(_bits(got[:, 1]), _bits(e)), name


@pytest.mark.parametrize("name, fn", [
    ("simplex.two_sum", simplex.two_sum), ("sparsemap._two_sum", sparsemap._two_sum),
    ("alpha._two_sum", kalpha._two_sum)])
def test_two_sum_copies_bitwise(name, fn):
    # sums of mixed and of similar magnitudes, finite
    b = np.where(np.abs(A) > 1e300, B, np.roll(A, 1) * 0.25)
    s, e = _dd.two_sum(A, b)
    got = np.array([fn(float(x), float(y)) for x, y in zip(A, b, strict=True)])
    assert np.array_equal(_bits(got[:, 0]), _bits(s)), name
    assert np.array_equal(_bits(got[:, 1]), _bits(e)), name


def test_two_prod_is_error_free():
    p, e = _dd.two_prod(A, B)
    exact = [Fraction(float(x)) * Fraction(float(y)) for x, y in zip(A, B, strict=True)]
    # exact where the error term is representable (no underflow of e)
    ok = np.abs(e) >= 2.0 ** -1022 * 2.0 ** 53
    ok |= e == 0.0
    bad = [i for i in np.flatnonzero(ok)
           if Fraction(float(p[i])) + Fraction(float(e[i])) != exact[i]]
    assert not bad, [(A[i], B[i]) for i in bad[:3]]
    assert ok.sum() > 0.8 * len(A)


def test_two_sum_is_error_free():
    b = np.where(np.abs(A) > 1e300, B, np.roll(A, 1) * 0.25)
    s, e = _dd.two_sum(A, b)
    for x, y, u, v in zip(A, b, s, e, strict=True):
        assert Fraction(float(u)) + Fraction(float(v)) == Fraction(float(x)) + Fraction(float(y))


def test_negative_control_unguarded_split_overflows():
    # the copy without the guard (as sparsemap had it) breaks near overflow: the pin
    # above would catch a copy that drifted back
    a = np.float64(1.0e301)
    with np.errstate(over="ignore", invalid="ignore"):
        c = np.float64(_dd.SPLIT) * a
        hi = c - (c - a)
    assert not np.isfinite(hi) or hi != _dd.split(np.array([a]))[0][0]


def test_method_codes_agree_with_the_kernel():
    from hfy_reference import maps

    assert maps._METHODS == {"auto": simplex.METHOD_PIVOT, "pivot": simplex.METHOD_PIVOT,
                             "sort": simplex.METHOD_SORT, "bisect": simplex.METHOD_BISECT}
