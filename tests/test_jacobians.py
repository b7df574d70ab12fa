"""Jacobians, three ways (STYLE habit 11): JVP against central finite differences of
the map at several scales, VJP as the adjoint (<J v, g> = <v, J^T g>), and the
structural identities J 1 = 0 (shift invariance) and 1^T J = 0 (outputs sum to a
constant)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import hfy_reference as H
from hfy_reference import registry
from hfy_reference.testing import strategies as hst

# every registered map (registry examples), plus parameter values at the edges
REGS = list(dict.fromkeys(registry.examples() + [
    H.Tsallis(1.2), H.Tsallis(np.inf), H.NormEntropy(1.5), H.NormEntropy(4.0),
    H.NormEntropy(np.inf), H.KSubsets(1)]))
IDS = [repr(r) for r in REGS]


def _fd(reg, z, v, h):
    return (reg.argmax(z + h * v) - reg.argmax(z - h * v)) / (2 * h)


@pytest.mark.parametrize("reg", REGS, ids=IDS)
@pytest.mark.parametrize("scale", [0.1, 1.0, 10.0])
def test_jvp_matches_finite_differences(reg, scale):
    rng = np.random.default_rng(hash((repr(reg), scale)) % 2**32)
    checked = 0
    for _ in range(20):
        z = rng.standard_normal(7) * scale
        v = rng.standard_normal(7)
        jv = reg.jvp(z, v)
        # skip points within h of a kink (support change): there J is one-sided
        h = 1e-7 * scale
        a, b = _fd(reg, z, v, h), _fd(reg, z, v, h / 2)
        if np.max(np.abs(a - b)) > 1e-5 * (1 + np.abs(a).max()):
            continue
        np.testing.assert_allclose(jv, a, atol=1e-6 * (1 + np.abs(jv).max()))
        checked += 1
    assert checked >= 10


@pytest.mark.parametrize("reg", REGS, ids=IDS)
@given(z=hst.score_vectors(min_size=2, max_size=10, min_scale=1e-2, max_scale=1e2),
       data=st.data())
def test_vjp_is_the_adjoint_and_structure(reg, z, data):
    n = len(z)
    if np.isfinite(z).sum() < reg.structure_size:
        z = np.where(np.isfinite(z), z, 0.0)
    v = np.array(data.draw(st.lists(st.floats(-1, 1), min_size=n, max_size=n)))
    g = np.array(data.draw(st.lists(st.floats(-1, 1), min_size=n, max_size=n)))
    jv = reg.jvp(z, v)
    jtg = reg.vjp(z, g)
    scale = 1 + np.abs(jv).max() + np.abs(jtg).max()
    assert abs(jv @ g - v @ jtg) <= 1e-12 * scale * n
    # J 1 = 0 and 1^T J = 0
    assert np.abs(reg.jvp(z, np.ones(n))).max() <= 1e-12 * scale
    assert abs(jv.sum()) <= 1e-12 * scale * n
    # masked entries neither move nor are moved
    masked = ~np.isfinite(z)
    assert np.all(jv[masked] == 0.0)


def test_closed_form_jacobian_matrices():
    z = np.array([0.9, 0.4, -0.3, 0.2])
    # sparsemax: support {0, 1, 3}; J = I_S - 1_S 1_S^T / |S|
    S = H.sparsemax(z) > 0
    Jm = np.column_stack([H.Tsallis(2.0).jvp(z, e) for e in np.eye(4)])
    expected = np.diag(S * 1.0) - np.outer(S, S) / S.sum()
    np.testing.assert_allclose(Jm, expected, atol=1e-15)
    # softmax: diag(p) - p p^T
    p = H.softmax(z)
    Jm = np.column_stack([H.Shannon().jvp(z, e) for e in np.eye(4)])
    np.testing.assert_allclose(Jm, np.diag(p) - np.outer(p, p), atol=1e-16)


@pytest.mark.parametrize("alpha,low", [(10.0, -1e-13), (30.0, -1e-22)])
def test_entmax_jvp_stays_accurate_for_large_alpha(alpha, low):
    """g = p^(2-alpha) spans 30 orders of magnitude here; the naive
    ``g v - g (g.v)/sum g`` loses every digit of the dominant entries.  Reference:
    the same formula evaluated in high precision on the exact p (mpmath)."""
    import mpmath as mp
    import reference as R

    reg = H.Tsallis(alpha)
    z = np.array([1e-8, 0.0, 0.0, low])
    p = reg.argmax(z)
    assert np.all(p > 0)  # full support, with g from ~1e6 to ~1e30
    v = np.array([0.3, -0.7, 0.4, 0.25])
    _, p_mp = R.entmax(z, alpha)
    with mp.workdps(R._dps_for(alpha)):
        g = [x ** (2 - mp.mpf(alpha)) for x in p_mp]
        gsum = mp.fsum(g)
        gv = mp.fsum(gi * mp.mpf(vi) for gi, vi in zip(g, v, strict=True))
        ref = np.array([float(gi * mp.mpf(vi) - gi * gv / gsum)
                        for gi, vi in zip(g, v, strict=True)])
    jv = reg.jvp(z, v)
    assert np.max(np.abs(jv - ref)) <= 1e-12 * np.max(np.abs(ref))
