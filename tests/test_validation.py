"""Bad input gets a clear error, never a silent NaN (math §0, issue 2 item 6).

A namespace-wide sweep (scipy's ``test_nan_inputs`` idea): every public map and
regularizer method is called on every kind of bad input, and must raise the right
exception type with a message that names the argument and the allowed range.
"""

from __future__ import annotations

import numpy as np
import pytest

import hfy_reference as H


def _first_corner(z, axis=-1):
    """A valid target for ``z`` (e_0 along ``axis``), or ``z`` itself when it has no
    valid target (0-d, empty: the error under test must then come from ``z``)."""
    a = np.asarray(z)
    if a.ndim == 0 or a.size == 0 or a.dtype.kind not in "fiu" or not isinstance(axis, int) \
            or not -a.ndim <= axis < a.ndim:
        return z
    y = np.zeros(a.shape)
    idx = [slice(None)] * a.ndim
    idx[axis] = 0
    y[tuple(idx)] = 1.0
    return y


# every public entry point that takes scores z, as (name, callable(z, axis=-1))
SCORE_FUNCS = {
    "softmax": lambda z, **kw: H.softmax(z, **kw),
    "sparsemax": lambda z, **kw: H.sparsemax(z, **kw),
    "entmax": lambda z, **kw: H.entmax(z, 1.5, **kw),
    "entmax3": lambda z, **kw: H.entmax(z, 3.0, **kw),
    "normmax": lambda z, **kw: H.normmax(z, 2.0, **kw),
    "argmax": lambda z, **kw: H.argmax(z, **kw),
    "ksubsets": lambda z, **kw: H.sparsemap_ksubsets(z, 1, **kw),
    "constrained": lambda z, **kw: H.constrained_sparsemax(z, 1.0, **kw),
    "logsumexp": lambda z, **kw: H.logsumexp(z, **kw),
    "threshold": lambda z, **kw: H.threshold(z, 1.5, **kw),
    "Shannon.conjugate": lambda z, **kw: H.Shannon().conjugate(z, **kw),
    "Tsallis.argmax": lambda z, **kw: H.Tsallis(1.5).argmax(z, **kw),
    "NormEntropy.conjugate": lambda z, **kw: H.NormEntropy(2.0).conjugate(z, **kw),
    "KSubsets.argmax": lambda z, **kw: H.KSubsets(1).argmax(z, **kw),
    "Tsallis.loss": lambda z, **kw: H.Tsallis(1.5).loss(z, _first_corner(z, **kw), **kw),
    "Tsallis.jvp": lambda z, **kw: H.Tsallis(1.5).jvp(z, np.ones(np.shape(z)), **kw),
}
NAMES = sorted(SCORE_FUNCS)


@pytest.mark.parametrize("name", NAMES)
def test_nan_is_an_error_naming_z(name):
    with pytest.raises(ValueError, match=r"z contains NaN at 1 entry \(first at index \(1,\)\)"):
        SCORE_FUNCS[name](np.array([0.0, np.nan, 1.0]))


@pytest.mark.parametrize("name", NAMES)
def test_plus_inf_is_an_error_and_minus_inf_a_mask(name):
    with pytest.raises(ValueError, match=r"z contains \+inf"):
        SCORE_FUNCS[name](np.array([0.0, np.inf, 1.0]))
    SCORE_FUNCS[name](np.array([0.0, -np.inf, 1.0]))  # a mask: fine


@pytest.mark.parametrize("name", NAMES)
def test_all_masked_slice_is_an_error(name):
    z = np.array([[0.0, 1.0, 2.0], [-np.inf, -np.inf, -np.inf]])
    with pytest.raises(ValueError, match=r"entirely -inf \(first at batch index \(1,\)\)"):
        SCORE_FUNCS[name](z)


@pytest.mark.parametrize("name", NAMES)
def test_empty_and_zero_d_are_errors(name):
    with pytest.raises(ValueError, match="z is empty"):
        SCORE_FUNCS[name](np.zeros((3, 0)))
    with pytest.raises(ValueError, match="z is empty"):
        SCORE_FUNCS[name]([])
    with pytest.raises(ValueError, match="z must have at least one dimension"):
        SCORE_FUNCS[name](np.float64(1.0))


@pytest.mark.parametrize("name", NAMES)
def test_bad_axis(name):
    with pytest.raises(np.exceptions.AxisError, match="axis 2 is out of bounds"):
        SCORE_FUNCS[name](np.zeros((2, 3)), axis=2)
    with pytest.raises(TypeError, match="axis must be an integer"):
        SCORE_FUNCS[name](np.zeros((2, 3)), axis=1.0)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("bad,msg", [
    (np.array([1 + 1j, 0j]), "z must be real-valued; got complex dtype"),
    (np.array([1.0, None], dtype=object), "z must be an array of real numbers"),
    (np.array(["a", "b"]), "z must be an array of real numbers"),
    (np.array([1.0, 2.0], dtype=np.longdouble), "extended-precision floats are not supported"),
])
def test_wrong_dtypes_are_type_errors(name, bad, msg):
    if bad.dtype == np.longdouble and np.dtype(np.longdouble).itemsize <= 8:
        pytest.skip("longdouble is float64 on this platform")
    with pytest.raises(TypeError, match=msg):
        SCORE_FUNCS[name](bad)


def test_ragged_input_is_a_type_error():
    with pytest.raises(TypeError, match="z must be an array-like of real numbers"):
        H.softmax([[1.0, 2.0], [1.0]])


@pytest.mark.parametrize("alpha", [0.5, 0.999, -1.0, np.nan])
def test_alpha_out_of_domain(alpha):
    with pytest.raises(ValueError, match=r"alpha must be >= 1"):
        H.normmax([1.0, 2.0], alpha)
    with pytest.raises(ValueError, match=r"alpha must be >= 1"):
        H.NormEntropy(alpha)
    if alpha > 0:  # 0 < alpha < 1: dense entmax (issue 18)
        return
    with pytest.raises(ValueError, match=r"alpha must be > 0 \(np.inf allowed\)"):
        H.entmax([1.0, 2.0], alpha)
    with pytest.raises(ValueError, match=r"alpha must be > 0"):
        H.Tsallis(alpha)


def test_alpha_advice_and_kinds():
    with pytest.raises(ValueError, match=r"alpha = 1 is softmax"):
        H.Tsallis(-0.5)
    with pytest.raises(TypeError, match="alpha must be a real number"):
        H.entmax([1.0, 2.0], "1.5")
    with pytest.raises(TypeError, match="alpha must be a real number"):
        H.entmax([1.0, 2.0], 1.5 + 0j)
    with pytest.raises(ValueError, match="method must be one of"):
        H.entmax([1.0, 2.0], 1.5, method="newton")
    with pytest.raises(ValueError, match="method='sort' needs a closed-form threshold"):
        H.entmax([1.0, 2.0], 1.7, method="sort")


def test_k_out_of_domain():
    with pytest.raises(ValueError, match=r"k must satisfy 1 <= k <= 3"):
        H.sparsemap_ksubsets([1.0, 2.0, 3.0], 4)
    with pytest.raises(ValueError, match=r"k must satisfy 1 <= k <= 3"):
        H.sparsemap_ksubsets([1.0, 2.0, 3.0], 0)
    with pytest.raises(ValueError, match=r"k must satisfy 1 <= k <= 2"):  # masks count
        H.sparsemap_ksubsets([1.0, -np.inf, 3.0], 3)
    with pytest.raises(TypeError, match="k must be an integer; got 2.5"):
        H.sparsemap_ksubsets([1.0, 2.0, 3.0], 2.5)
    with pytest.raises(TypeError, match="k must be an integer"):
        H.KSubsets(True)
    with pytest.raises(ValueError, match=r"k must be an integer >= 1; got 0"):
        H.KSubsets(0)
    with pytest.raises(ValueError, match=r"k must satisfy 1 <= k <= 2"):
        H.KSubsets(3).argmax([1.0, 2.0])


def test_constrained_upper_errors():
    with pytest.raises(ValueError, match="infeasible.*sums to 0.6"):
        H.constrained_sparsemax([1.0, 2.0], [0.3, 0.3])
    with pytest.raises(ValueError, match="upper must be >= 0"):
        H.constrained_sparsemax([1.0, 2.0], [-0.3, 2.0])
    with pytest.raises(ValueError, match="upper contains NaN"):
        H.constrained_sparsemax([1.0, 2.0], [np.nan, 2.0])
    with pytest.raises(ValueError, match="upper must be broadcastable"):
        H.constrained_sparsemax([1.0, 2.0], [1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="infeasible"):  # a masked entry's cap is unusable
        H.constrained_sparsemax([1.0, -np.inf], [0.5, 5.0])


REGS = [H.Shannon(), H.Tsallis(1.5), H.NormEntropy(2.0), H.KSubsets(2)]


@pytest.mark.parametrize("reg", REGS, ids=repr)
def test_loss_shape_and_domain_errors(reg):
    z = np.array([0.5, 0.1, -0.3])
    good = np.array([1.0, 1.0, 0.0]) if isinstance(reg, H.KSubsets) else np.eye(3)[0]
    with pytest.raises(ValueError, match=r"y must have the same shape as z \(3,\); got \(2,\)"):
        reg.loss(z, good[:2])
    with pytest.raises(ValueError, match="y must be finite"):
        reg.loss(z, np.array([np.nan, 1.0, 0.0]))
    with pytest.raises(ValueError, match="y must (lie|sum)"):
        reg.loss(z, good * 0.9)
    with pytest.raises(ValueError, match=r"entries must be >= 0"):
        reg.loss(z, good + np.array([-1.5, 0.5, 1.0]))
    with pytest.raises(ValueError, match="p must (lie|sum)"):
        reg.omega(good * 2)
    with pytest.raises(ValueError, match=r"v must have the same shape as z"):
        reg.jvp(z, np.ones(4))
    with pytest.raises(TypeError, match="reg must be a Regularizer"):
        H.fy_loss(z, good, "softmax")


def test_ksubsets_domain_is_the_capped_simplex():
    with pytest.raises(ValueError, match=r"entries must be <= 1"):
        H.KSubsets(2).loss([0.5, 0.1, -0.3], [1.5, 0.5, 0.0])
    with pytest.raises(ValueError, match="y must sum to 2"):
        H.KSubsets(2).loss([0.5, 0.1, -0.3], [1.0, 0.0, 0.0])


@pytest.mark.parametrize("name", NAMES)
def test_inputs_are_never_modified(name):
    z = np.array([[0.5, -np.inf, 0.25, 2.0], [1.0, 1.0, 1.0, -3.0]])
    before = z.copy()
    SCORE_FUNCS[name](z)
    np.testing.assert_array_equal(z, before)
    zt = np.asfortranarray(z)  # a non-contiguous layout and another axis
    SCORE_FUNCS[name](zt.T, axis=0)
    np.testing.assert_array_equal(zt, before)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("scale", [1e-308, 5e-324, 1e308, -1e308])
def test_no_floating_point_warning_at_any_scale(name, scale):
    """No RuntimeWarning: overflow, invalid and divide raise; underflow to 0 (which
    numpy never reports by default) is the correct rounding of tiny results."""
    z = np.array([[1.0, 0.3, -0.7, 0.0], [0.0, 0.0, 0.0, 0.0]]) * scale
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        out = SCORE_FUNCS[name](z)
    assert np.all(np.isfinite(out))


@pytest.mark.parametrize("n", [1, 7, 8, 9, 33])
def test_parallel_rowmax_equals_numpy_max(n, monkeypatch):
    """Large inputs take their row maxima from a parallel kernel: the same values,
    NaN, +inf and all -inf rows included, hence the same errors."""
    from hfy_reference import _validation as V
    from hfy_reference import maps as M

    monkeypatch.setattr(M, "PARALLEL_MIN_SIZE", 0)
    rng = np.random.default_rng(n)
    Z = rng.standard_normal((12, n))
    Z[1, 0] = np.nan
    Z[2, -1] = np.nan
    Z[3, :] = -np.inf
    Z[4, n // 2] = np.inf
    Z[5, :] = -np.inf
    Z[5, -1] = np.nan
    mx, ninf = V._rowmax(Z)
    assert np.array_equal(mx, Z.max(axis=1), equal_nan=True)
    assert np.array_equal(ninf, np.isneginf(Z).sum(axis=1))
    ok = rng.standard_normal((6, max(n, 2)))
    ok[2, 0] = -np.inf
    rows = V.as_rows(ok)
    assert np.array_equal(rows.rowmax, ok.max(axis=1))
    assert np.array_equal(rows.masked_counts(), np.isneginf(ok).sum(axis=1))
    assert V.as_rows(ok[3:]).masked_counts() is None
    with pytest.raises(ValueError, match="NaN"):
        V.as_rows(Z[1:3])
    with pytest.raises(ValueError, match=r"\+inf"):
        V.as_rows(Z[4:5])
    with pytest.raises(ValueError, match="entirely"):
        V.as_rows(Z[3:4])


@pytest.mark.parametrize("fn", [
    lambda z: H.entmax(z, 1.5), lambda z: H.entmax(z, 1.3), H.sparsemax,
    lambda z: H.sparsemax(z, method="sort"), lambda z: H.normmax(z, 2.0),
    lambda z: H.normmax(z, np.inf), lambda z: H.entmax(z, 4.0),
    lambda z: H.sparsemap_ksubsets(z, 3), lambda z: H.constrained_sparsemax(z, 0.3),
    lambda z: H.constrained_sparsemax(z, np.inf), lambda z: H.constrained_sparsemax(z, 2),
    lambda z: H.entmax_dalpha(z, 1.5), lambda z: H.entmax_dalpha(z, 2.0),
    lambda z: H.normmax_dalpha(z, 3.0), lambda z: H.normmax_dalpha(z, np.inf)])
def test_deferred_row_maxima_same_results_and_errors(fn, monkeypatch):
    """On large inputs the power and capped engines compute the row maxima themselves
    and count the masks (one pass fewer): the maps, k-subsets, constrained sparsemax with
    one cap and the α-derivatives give the results of the eager path, bit for bit; a
    NaN, a +inf or an all -inf slice raises the same error; the input is untouched."""
    from hfy_reference import maps as M

    rng = np.random.default_rng(1)
    Z = rng.standard_normal((6, 40))
    Z[1, :30] = -np.inf
    want = fn(Z)  # small: eager maxima
    monkeypatch.setattr(M, "PARALLEL_MIN_SIZE", 0)  # every input "large": deferred
    assert np.array_equal(fn(Z), want)
    for bad, msg in [((2, 3), "NaN"), ((4, 0), r"\+inf")]:
        Zb = Z.copy()
        Zb[bad] = np.nan if msg == "NaN" else np.inf
        with pytest.raises(ValueError, match=msg):
            fn(Zb)
    Zb = Z.copy()
    Zb[5] = -np.inf
    with pytest.raises(ValueError, match="entirely -inf"):
        fn(Zb)
    Zc = Z.copy()
    fn(Zc)
    assert np.array_equal(Zc, Z)  # input untouched


@pytest.mark.parametrize("large", [False, True])
def test_deferred_capped_feasibility_errors(large, monkeypatch):
    """The checks that need the mask counts (k <= unmasked entries; caps summing to 1,
    decided exactly) give the same errors whether the counts come from the validation
    or from the kernel."""
    from hfy_reference import maps as M

    if large:
        monkeypatch.setattr(M, "PARALLEL_MIN_SIZE", 0)
    Z = np.random.default_rng(2).standard_normal((4, 12))
    Z[2, 3:] = -np.inf  # 3 unmasked entries
    with pytest.raises(ValueError, match=r"1 <= k <= 3"):
        H.sparsemap_ksubsets(Z, 4)
    with pytest.raises(ValueError, match="infeasible"):
        H.constrained_sparsemax(Z, 0.3)  # 3 * 0.3 < 1
    with pytest.raises(ValueError, match="infeasible"):
        H.constrained_sparsemax(Z, 1.0 / 3.0)  # 3 fl(1/3) < 1 exactly (= 1 in float)
    with pytest.raises(ValueError, match=r"upper must be >= 0"):
        H.constrained_sparsemax(Z, -1.0)
    p = H.constrained_sparsemax(Z, 0.34)
    assert np.all(p <= 0.34) and np.allclose(p.sum(axis=1), 1.0)


@pytest.mark.parametrize("parallel", [False, True])
@pytest.mark.parametrize("fn", [
    lambda z: H.entmax(z, 1.5), lambda z: H.entmax(z, 1.3), H.sparsemax,
    lambda z: H.normmax(z, 2.0), lambda z: H.normmax(z, np.inf),
    lambda z: H.entmax(z, np.array([1.5, 1.3, 2.0, 3.0, 1.5, 1.7])[:, None]),
    lambda z: H.normmax(z, np.array([2.0, 5.0, 2.0, np.inf, 3.0, 2.0])[:, None]),
    lambda z: H.sparsemap_ksubsets(z, 3), lambda z: H.constrained_sparsemax(z, 0.3)])
def test_zeroed_outputs_same_results(fn, parallel, monkeypatch):
    """Large outputs are allocated zeroed (``maps.ZEROED_MIN_BYTES``) and the kernels
    then write the support only: the results of the small-output path, bit for bit,
    masked rows and the errors of refused rows included."""
    from hfy_reference import maps as M

    rng = np.random.default_rng(3)
    Z = rng.standard_normal((6, 300)) * np.array([1.0, 10.0, 1e-3, 1.0, 100.0, 1.0])[:, None]
    Z[1, :290] = -np.inf
    want = fn(Z)
    if parallel:
        monkeypatch.setattr(M, "PARALLEL_MIN_SIZE", 0)
    monkeypatch.setattr(M, "ZEROED_MIN_BYTES", 0)
    assert np.array_equal(fn(Z), want)
    Zb = Z.copy()
    Zb[4, 7] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        fn(Zb)


@pytest.mark.parametrize("kernel", ["power", "power_v", "capped"])
def test_kernels_zero_the_output_unless_it_arrives_zeroed(kernel):
    """``zeroed=False``: every entry off the support is written 0 (an output full of NaN
    comes back equal to one that arrived zeroed); ``zeroed=True``: only the support is
    written (the NaN stay off it)."""
    from hfy_reference import maps as M
    from hfy_reference._kernels import simplex as S

    Z = np.random.default_rng(4).standard_normal((5, 200))
    mx = Z.max(axis=1)
    c, a, alo, e, elo = M._exponents(1.5, "entmax")
    col = np.ones(5)

    def run(out, zeroed):
        info = np.empty((5, 3))
        if kernel == "power":
            S.power_rows_serial(Z, mx.copy(), c, a, alo, e, elo, False, 0, out, info, zeroed)
        elif kernel == "power_v":
            S.power_rows_v_serial(Z, mx.copy(), c * col, a * col, alo * col, e * col,
                                  elo * col, False, 0, out, info, zeroed)
        else:
            S.capped_rows_serial(Z, mx.copy(), np.ones((1, 1)), 1.0, True, 3.0, out, info,
                                 np.empty(0, np.int64), zeroed)
        return out

    ref = run(np.zeros_like(Z), True)
    assert 0 < np.count_nonzero(ref) < Z.size // 4
    np.testing.assert_array_equal(run(np.full_like(Z, np.nan), False), ref)
    got = run(np.full_like(Z, np.nan), True)
    assert np.array_equal(np.isnan(got), ref == 0)
    assert np.array_equal(got[ref != 0], ref[ref != 0])
