"""The oracle as a backend author adopts it (issue 12): no false positives on a
correct textbook backend, the error model's sum checks, the overflow class, the
controls (tolerance scale, baseline, fail fast), judging one's own inputs (also inside
a hypothesis test), sizes/shapes/layouts, low precision, and planted bugs that only
the new cases catch.  torch/JAX adapters: tests/test_testing_adapters.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import textbook as TB
from hypothesis import given
from hypothesis import strategies as st

import hfy_reference as H
from hfy_reference import regularizers as RG
from hfy_reference.testing import (
    K_for,
    assert_matches,
    cases,
    check_backend,
    check_inputs,
    reference,
)
from hfy_reference.testing import _build as B
from hfy_reference.testing import _harness as HN
from hfy_reference.testing import _oracle as O
from hfy_reference.testing import strategies as hst

F64, F32 = np.float64, np.float32


def prepared(family, dtype=F64, **params):
    fam = O.parse_family(family, params)
    return {p.case.name: p for p in B.build_suite(fam, O.parse_precision(dtype))}


# ---------------------------------------------------------------------------------------
# item 4: a correct textbook backend passes everything, in float64 and float32
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("family,params,fn", TB.BACKENDS, ids=[b[0] for b in TB.BACKENDS])
@pytest.mark.parametrize("dtype", [F64, F32])
def test_textbook_backend_passes_every_case(family, params, fn, dtype):
    """Sort-based sparsemax and 1.5-entmax with a sequential cumsum (tests/textbook.py,
    written from the maths, computing in the input dtype), their VJPs, FY losses and
    loss gradients: no case fails; the losses overflow (only) on the overflow class."""
    rep = check_backend(fn, family, dtype=dtype, **params)
    assert rep.passed, rep.failure_message()
    over = {r.name for r in rep.overflow_failures}
    assert over == ({"full_range/target=spread"} if family.endswith("_loss") else set())
    judged = [r for r in rep.results if r.status != "skip"]
    assert len(judged) >= 20
    # the sequential cumsum is really exercised at the block sizes
    names = {r.name.split("/")[0] for r in judged}
    assert names & {"n1023", "n1025", "n4096", "n65537"}, names


def test_textbook_uses_a_sequential_cumsum():
    """The premise: np.cumsum adds left to right (its last entry differs from the
    pairwise np.sum on these values), so the backend above is the issue's case."""
    x = np.full(2**20, 0.1, dtype=np.float32)
    assert np.cumsum(x)[-1] != np.sum(x)
    assert abs(float(np.cumsum(x)[-1]) - 0.1 * 2**20) > 100 * abs(float(np.sum(x))
                                                                  - 0.1 * 2**20)


def test_error_model_multiplier():
    """K = 4 max(1 + ceil(log2 N), ceil(sqrt N)): pairwise growth for small N, the
    sqrt N growth of sequential and blocked reductions beyond."""
    assert [K_for(n) for n in (1, 2, 7, 64, 100, 1024, 65536, 100_000)] == \
        [4, 8, 16, 32, 40, 128, 1024, 4 * 317]


SUM_FAMILIES = [("sparsemax", {}), ("entmax", {"alpha": 1.5}), ("softmax", {}),
                ("normmax", {"alpha": 2.0}), ("ksubsets", {"k": 2}),
                ("constrained_sparsemax", {}), ("entmax_vjp", {"alpha": 1.5}),
                ("sparsemax_loss_grad", {})]


@pytest.mark.parametrize("family,params", SUM_FAMILIES)
def test_sum_checks_never_fail_an_output_whose_entries_pass(family, params):
    """The sum checks are consistent with the per-entry tolerances: outputs with every
    entry within its tolerance -- all errors of one sign (the worst case for a sum),
    or random -- pass every case; one sign at 1.5 tol fails wherever tol > 0 matters."""
    preps = [p for p in prepared(family, **params).values() if not p.skip]
    rng = np.random.default_rng(5)
    for p in preps:
        for kind in ("plus", "minus", "random"):
            u = {"plus": 1.0, "minus": -1.0}.get(kind)
            if u is None:
                u = rng.uniform(-1, 1, p.expected.shape)
            with np.errstate(all="ignore"):
                out = np.where(np.isfinite(p.expected), p.expected + 0.8 * u * p.tol,
                               p.expected)
            res = HN.compare(p, out, support=False)
            bad = [s for s in res.reasons if not s.startswith("support")]
            assert not bad, (p.case.name, kind, bad)
    # a negative control: every entry at 1.5 tol fails (entries and, one-signed, sums)
    p = next(q for q in preps if q.case.name.startswith("unit_scores"))
    res = HN.compare(p, p.expected + 1.5 * p.tol, support=False)
    assert res.status == "fail" and "exceed the tolerance" in res.reasons[0]


def test_overflow_class_is_named_and_shown_apart():
    """Scores whose differences exceed the float maximum form the overflow class: the
    textbook loss overflows there (<z - max z, y> with z - max z = -1.75 max float);
    the report shows it apart, and judge_overflow=True counts it."""
    cs = {c.name: c for c in cases("sparsemax_loss")}
    assert cs["full_range/target=spread"].overflow
    assert not cs["huge_scale/target=max"].overflow
    assert {c.name for c in cases("sparsemax") if c.overflow} == {"full_range"}
    fn = TB.sparsemax_loss

    def plain(z, y):  # the textbook loss without its max(L, 0)/mask care: still plain
        return fn(z, y)

    rep = check_backend(plain, "sparsemax_loss")
    assert rep.passed  # overflow-class failures are not counted ...
    assert [r.name for r in rep.overflow_failures] == ["full_range/target=spread"]
    assert "1 overflow-class failures not counted" in rep.header()
    text = repr(rep)
    assert text.index("overflow class") < text.index("full_range/target=spread  ")
    strict = check_backend(plain, "sparsemax_loss", judge_overflow=True)
    assert strict.failing_cases == ["full_range/target=spread"]


def test_tolerance_scale_and_baseline():
    def off(z):  # every entry off by 2.5 tolerances of its own (same sign)
        p = prepared("sparsemax")
        q = [v for v in p.values() if not v.skip and v.args and v.args[0].shape == z.shape
             and np.array_equal(v.args[0], z, equal_nan=True)]
        return q[0].expected + 2.5 * q[0].tol

    names = ["unit_scores", "dense_support"]
    rep = check_backend(off, "sparsemax", cases=names)
    assert rep.failing_cases == names
    assert check_backend(off, "sparsemax", cases=names, tol_scale=3.0).passed
    assert "x tol_scale 3" in check_backend(off, "sparsemax", cases=names,
                                            tol_scale=3.0).header()
    assert not check_backend(off, "sparsemax", cases=names, tol_scale=2.0).passed
    base = check_backend(off, "sparsemax", cases=names, expected_failures=names)
    assert base.passed and [r.status for r in base.results] == ["xfail", "xfail"]
    good = check_backend(H.sparsemax, "sparsemax", cases=names,
                         expected_failures=["unit_scores"])
    assert good.passed and good.unexpected_passes[0].name == "unit_scores"
    assert "now pass: update the baseline" in good.header()


def test_fail_fast_gives_one_message():
    calls = []

    def broken(z):
        calls.append(z.shape)
        raise TypeError("expected a torch.Tensor, got numpy.ndarray")

    rep = check_backend(broken, "entmax", alpha=1.5)
    assert not rep.passed and len(calls) == HN.FAIL_FAST
    text = repr(rep)
    assert text.count("expected a torch.Tensor") == 2  # header and one table line
    assert "stopped there" in text
    msg = rep.failure_message()
    assert msg.count("expected a torch.Tensor") == 1 and "\n" not in msg
    with pytest.raises(AssertionError, match="all raised TypeError"):
        from hfy_reference.testing import assert_backend_matches

        assert_backend_matches(broken, "entmax", alpha=1.5)
    # a backend that raises only on some cases is judged case by case
    def small_only(z):
        if z.shape[-1] > 10:
            raise MemoryError("too big")
        return H.sparsemax(z)

    rep = check_backend(small_only, "sparsemax", fail_fast=True)
    assert rep.aborted is None and rep["unit_scores"].status == "pass"
    assert rep["random_n100"].exception == "MemoryError: too big"
    assert len(check_backend(broken, "sparsemax", fail_fast=False).failures) > 40


# ---------------------------------------------------------------------------------------
# item 1: judge any input
# ---------------------------------------------------------------------------------------
def test_reference_returns_the_answer_and_its_tolerances():
    z = np.array([[0.5, 0.25, -1.0], [0.0, -np.inf, 0.0]])
    ref = reference("sparsemax", z)
    np.testing.assert_array_equal(ref.expected, [[0.625, 0.375, 0.0], [0.5, 0.0, 0.5]])
    assert ref.tol.shape == z.shape and np.all(ref.tol[:, :2][ref.expected[:, :2] > 0] > 0)
    assert ref.must_be_zero[0, 2] and ref.must_be_zero[1, 1]
    assert ref.tol[0, 2] == 0 and ref.sum_target.tolist() == [1.0, 1.0]
    assert ref.check(ref.expected).passed
    assert not ref.check(ref.expected + 3 * ref.tol).passed
    # a 4-D input, float32: the answer for the float32-rounded scores
    z4 = np.random.default_rng(0).standard_normal((2, 3, 4, 5)).astype(F32)
    r4 = reference("entmax", z4, alpha=1.5)
    assert r4.expected.shape == z4.shape and r4.precision == "float32"
    np.testing.assert_allclose(r4.expected, H.entmax(z4.astype(F64), 1.5), rtol=0,
                               atol=1e-15)
    # losses, index targets, Jacobian products
    t = np.array([0, 2])
    rl = reference("entmax_loss", z, t, alpha=1.5, target="index")
    assert rl.expected.shape == (2,) and rl.sum_tol is None
    reg = RG.Tsallis(1.5)
    np.testing.assert_allclose(rl.expected, reg.loss(z, np.eye(3)[t]), rtol=1e-15)
    rv = reference("entmax_vjp", z, np.ones_like(z), alpha=1.5)
    assert np.all(np.abs(rv.expected) <= rv.tol)  # J^T 1 = 0
    # bad inputs name the argument
    with pytest.raises(TypeError, match="takes 2 arrays"):
        reference("entmax_vjp", z, alpha=1.5)
    with pytest.raises(ValueError, match="g must have the shape of z"):
        reference("entmax_vjp", z, np.ones(3), alpha=1.5)
    with pytest.raises(ValueError, match="target indices"):
        reference("entmax_loss", z, np.array([0, 3]), alpha=1.5, target="index")
    with pytest.raises(TypeError, match="floating-point"):
        reference("softmax", np.array([1, 2]))
    assert "Reference('sparsemax', float64" in repr(ref)


def test_check_inputs_and_assert_matches():
    z = np.array([[1.0, 1.0, -0.5], [0.3, -np.inf, 0.1]])
    rep = check_inputs(TB.entmax15, "entmax", z, alpha=1.5)
    assert rep.passed and rep.results[0].name == "inputs"
    assert assert_matches(TB.sparsemax, "sparsemax", z).passed
    with pytest.raises(AssertionError, match=r"case 'inputs'.*\n.*exceed"):
        assert_matches(lambda x: H.entmax(x, 1.6), "entmax", z, alpha=1.5)
    # the backend gets a copy: a backend that writes into its input changes nothing
    def clobber(x):
        p = H.sparsemax(x)
        x[...] = 0
        return p

    z0 = z.copy()
    assert check_inputs(clobber, "sparsemax", z).passed
    np.testing.assert_array_equal(z, z0)


@given(hst.scores(dtype=np.float32, max_scale=1e30))
def test_user_hypothesis_test_with_the_oracle(z):
    """The pattern of the docs: the oracle inside one's own hypothesis test, on scores
    of any shape (..., N) in float32."""
    assert_matches(TB.entmax15, "entmax", z, alpha=1.5)
    assert_matches(TB.sparsemax, "sparsemax", z)


@given(hst.scores(max_leading_dims=1, max_size=12), st.sampled_from([1.5, 2.0]))
def test_user_hypothesis_test_catches_a_wrong_alpha(z, alpha):
    """Negative control: the same test with the wrong alpha fails wherever the answer
    depends on alpha (two or more entries in a support)."""
    ref = reference("entmax", z, alpha=alpha)
    wrong = H.entmax(z, alpha + 0.25)
    res = ref.check(wrong)
    differs = np.abs(wrong - ref.expected) > ref.tol
    assert res.passed == (not differs.any())


# ---------------------------------------------------------------------------------------
# item 2: sizes, shapes, layouts
# ---------------------------------------------------------------------------------------
def test_sizes_shapes_and_layouts_are_in_the_suite():
    cs = {c.name: c for c in cases("entmax", alpha=1.5)}
    for n in (1023, 1024, 1025, 2048, 4096, 8192, 65535, 65536, 65537):
        assert cs[f"n{n}"].shape == (1, n)
    assert cs["batch_4096_rows"].shape == (4096, 24)
    assert cs["attention_4d"].shape == (2, 3, 16, 16)
    assert cs["strided_view"].layout == "strided"
    assert cs["transposed_view"].layout == "transposed"
    seen = {}

    def spy(z):
        seen[z.shape] = (z.flags.c_contiguous, z.ndim)
        return H.entmax(z, 1.5)

    rep = check_backend(spy, "entmax", alpha=1.5)
    assert rep.passed, rep.failure_message()
    assert seen[(2, 3, 16, 16)] == (True, 4)
    assert seen[(5, 100)] == (False, 2) and seen[(7, 33)] == (False, 2)
    # the supports of the block cases are wide (the reductions matter) but not full
    p = prepared("sparsemax")
    for n in (1025, 65537):
        k = int((p[f"n{n}"].expected > 0).sum())
        assert 50 < k < n, (n, k)


@pytest.mark.parametrize("family,params", [("sparsemax", {}), ("entmax", {"alpha": 1.5})])
@pytest.mark.parametrize("dtype", [F64, F32])
def test_large_cases_satisfy_the_optimality_conditions(family, params, dtype):
    """An independent check of the references too big for mpmath (block sizes, 4096
    rows, 4-D): the threshold tau recomputed from the support with correctly rounded
    sums (math.fsum) reproduces every entry within tol/2, and the entries off the
    support are at or below tau."""
    a = params.get("alpha", 2.0)
    for name, p in prepared(family, dtype, **params).items():
        if p.skip or not ({"block", "batch", "layout"} & p.case.tags):
            continue
        Z = p.case.inputs["z"].astype(F64) * (a - 1)
        for z, e, tol in zip(Z, p.expected, p.tol, strict=True):
            s = e > 0
            zs = z[s]
            if a == 2.0:
                tau = (math.fsum(zs) - 1) / s.sum()
                val = np.maximum(z - tau, 0)
            else:  # sum (z_i - tau)^2 = 1 on the support: a quadratic in tau
                k, m1 = s.sum(), math.fsum(zs)
                mean = m1 / k
                var = math.fsum((zs - mean) ** 2)
                tau = mean - math.sqrt((1 - var) / k)
                val = np.maximum(z - tau, 0) ** 2
            fin = np.isfinite(z)
            own = 32 * np.finfo(F64).eps * np.abs(val)  # this check's own rounding
            assert np.all(np.abs(val[fin] - e[fin]) <= tol[fin] / 2 + own[fin]), name
            assert np.all(z[~s & fin] <= tau + 1e-12 * abs(tau)), name


# ---------------------------------------------------------------------------------------
# item 3: low precision, separate input/compute/output dtypes
# ---------------------------------------------------------------------------------------
def _bf16():
    ml = pytest.importorskip("ml_dtypes")
    return np.dtype(ml.bfloat16)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_low_precision_inputs_compute_and_output(dtype):
    """The textbook backend computing in float32 on float16/bfloat16 inputs and
    rounding its output to the input dtype passes when the model is told so; the
    library in float64 rounded to the low dtype passes too."""
    dt = _bf16() if dtype == "bfloat16" else np.dtype(np.float16)

    def low(fn):
        def backend(z):
            return fn(z.astype(np.float32)).astype(dt)
        return backend

    for fam, params, fn in TB.BACKENDS[:2]:
        rep = check_backend(low(fn), fam, dtype=dtype, compute_dtype=np.float32,
                            output_dtype=dtype, **params)
        assert rep.passed, rep.failure_message()
        assert rep.dtype == f"{dtype} (compute float32, output {dtype})"
        # the model matters: declared as all-float32 (no output rounding), it fails
        strict = check_backend(low(fn), fam, dtype=dtype, compute_dtype=np.float32,
                               output_dtype=np.float32, **params)
        assert not strict.passed
    rep = check_backend(lambda z: H.entmax(z.astype(F64), 1.5).astype(dt), "entmax",
                        alpha=1.5, dtype=dtype, compute_dtype=F64)
    assert rep.passed, rep.failure_message()
    judged = [r for r in rep.results if r.status != "skip"]
    assert len(judged) >= 25
    # the inputs really are in the low dtype, with its own scales
    cs = {c.name: c for c in cases("entmax", alpha=1.5, dtype=dtype)}
    assert cs["unit_scores"].inputs["z"].dtype == dt


# ---------------------------------------------------------------------------------------
# item 5: planted bugs that only the new cases catch, each named
# ---------------------------------------------------------------------------------------
BLOCK_IN_RANGE = {"n1023", "n1024", "n1025", "n2047", "n2048", "n2049", "n4096", "n8191",
                  "n8192", "n8193", "n65535", "n65536"}


def _softmax_blocks(z, accumulate):
    """softmax whose multi-block path (1000 < N <= 65536) sums the denominator by
    blocks of 1024 with ``accumulate(block sums)``."""
    n = z.shape[-1]
    if not 1000 < n <= 65536:
        return H.softmax(z)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    nb = -(-n // 1024)
    parts = [e[..., i * 1024:(i + 1) * 1024].sum(axis=-1, keepdims=True) for i in range(nb)]
    return e / accumulate(parts, n)


def test_planted_bugs_for_1000_lt_n_le_65536_are_caught_at_the_block_sizes():
    def f32_accumulation(parts, n):  # the block sums accumulated in float32
        return sum(np.float32(p) for p in parts).astype(np.float64)

    rep = check_backend(lambda z: _softmax_blocks(z, f32_accumulation), "softmax")
    assert set(rep.failing_cases) == BLOCK_IN_RANGE, rep.failing_cases
    assert rep["n1025"].worst_ratio > 1e3
    assert check_backend(lambda z: _softmax_blocks(z, f32_accumulation), "softmax",
                         dtype=F32).passed  # in float32 that is no bug

    def drop_partial(parts, n):  # the last, partial block is forgotten
        keep = parts[:-1] if n % 1024 else parts
        return sum(keep) if keep else np.zeros_like(parts[0])

    rep = check_backend(lambda z: _softmax_blocks(z, drop_partial), "softmax")
    assert set(rep.failing_cases) == {n for n in BLOCK_IN_RANGE if int(n[1:]) % 1024}
    # before issue 12 the suite had no N between 1000 and 10^5: both bugs passed it
    old = [c.name for c in cases("softmax") if not ({"block", "batch", "layout"} & c.tags)]
    assert check_backend(lambda z: _softmax_blocks(z, drop_partial), "softmax",
                         cases=old).passed


def test_planted_bug_only_in_bfloat16_is_caught():
    dt = _bf16()

    def kernel(z):  # the bf16 path forgets the max shift (float32 compute, bf16 output)
        x = z.astype(np.float32)
        if z.dtype == dt:
            return _entmax15_unshifted(x).astype(dt)
        return TB.entmax15(x).astype(z.dtype)

    assert check_backend(kernel, "entmax", alpha=1.5, dtype="float16",
                         compute_dtype=F32).passed
    assert check_backend(kernel, "entmax", alpha=1.5, dtype=F32).passed
    rep = check_backend(kernel, "entmax", alpha=1.5, dtype="bfloat16", compute_dtype=F32)
    assert set(rep.failing_cases) == {"huge_scale", "huge_scale_ties"}, repr(rep)
    assert rep["huge_scale"].nonfinite == 7


def _entmax15_unshifted(x):
    """1.5-entmax bisecting tau on the raw scores: resolution of tau ~ eps |max z|."""
    t = x / 2
    lo = np.max(t, axis=-1, keepdims=True) - 1
    hi = np.max(t, axis=-1, keepdims=True)
    for _ in range(40):
        mid = (lo + hi) / 2
        f = np.sum(np.maximum(t - mid, 0) ** 2, axis=-1, keepdims=True)
        lo = np.where(f > 1, mid, lo)
        hi = np.where(f > 1, hi, mid)
    p = np.maximum(t - lo, 0) ** 2
    return p / p.sum(axis=-1, keepdims=True)


def test_planted_bug_only_for_non_contiguous_inputs_is_caught():
    def kernel(z):  # reads memory as if C-contiguous (a kernel ignoring strides)
        if not z.flags.c_contiguous:
            z = np.lib.stride_tricks.as_strided(z, shape=z.shape,
                                                strides=(z.shape[-1] * z.itemsize,
                                                         z.itemsize))
        return H.sparsemax(np.array(z))

    rep = check_backend(kernel, "sparsemax")
    assert set(rep.failing_cases) == {"strided_view", "transposed_view"}


@pytest.mark.parametrize("dtype", [F64, F32])
def test_softmax_loss_needs_the_log_sum_term(dtype, monkeypatch):
    """Negative control for the ``K eps`` term of the softmax loss tolerance: without
    it, the textbook cross-entropy (log of the rounded sum S, as torch and optax
    compute it) is reported wrong, although no correct kernel does better."""
    orig = O.loss_tolerance

    def without(fam, Z, Y, P, L, eps, tiny):
        tol = orig(fam, Z, Y, P, L, eps, tiny)
        return np.where(np.isfinite(L), tol - O.K_for(Z.shape[1]) * eps, tol)

    monkeypatch.setattr(O, "loss_tolerance", without)
    B.build_suite.cache_clear()  # suites are cached with their tolerances
    try:
        rep = check_backend(TB.softmax_loss, "softmax_loss", dtype=dtype)
    finally:
        B.build_suite.cache_clear()
    assert not rep.passed
    assert any(r.name.startswith("batch_mixed_supports") for r in rep.failures)
