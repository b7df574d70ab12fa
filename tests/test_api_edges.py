"""The edges of the API follow one rule each, everywhere.

* ``alpha = 1`` is the limit ``alpha -> 1`` in every call that takes an ``alpha``: entmax
  and ``Tsallis(1)`` are softmax / Shannon, normmax and ``NormEntropy(1)`` the argmax,
  ``threshold(z, 1)`` the threshold of the limit map.
* Pattern indices lie in ``[0, N)``: negative indices are refused everywhere.
* Losses take target distributions or integer class indices (one per row).
* Reference solvers and constructors have no hidden defaults and no placeholder bounds.

References are independent of the code under test: ``scipy.special.logsumexp``, explicit
formulas, and the ``alpha -> 1`` limit approached from ``alpha > 1``.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from scipy.special import logsumexp as sp_logsumexp
from scipy.special import xlogy

from hfy_reference import (
    KSubsets,
    NormEntropy,
    Shannon,
    Tsallis,
    entmax,
    fy_loss,
    normmax,
    slow,
    softmax,
    sparsemap_ksubsets,
    theory,
    threshold,
)
from hfy_reference.registry import examples

RNG = np.random.default_rng(20261129)
Z = np.vstack([RNG.standard_normal((6, 7)) * s for s in (0.1, 1.0, 30.0)])
Z[0, 3] = -np.inf  # a masked entry
Z[1, :2] = Z[1].max() + 1.0  # a tie at the max


def _onehot(idx, n):
    out = np.zeros((len(idx), n))
    out[np.arange(len(idx)), idx] = 1.0
    return out


# --- alpha = 1 --------------------------------------------------------------------------
def test_tsallis_1_is_shannon_in_every_method():
    T, S = Tsallis(1), Shannon()
    assert T.label == "softmax" and T.margin is None
    P = softmax(Z)
    np.testing.assert_array_equal(T.argmax(Z), P)
    np.testing.assert_array_equal(entmax(Z, alpha=1), P)
    Y = _onehot(RNG.integers(0, 7, size=len(Z)), 7)
    Y[0] = [0.5, 0.5, 0, 0, 0, 0, 0]  # mass off the masked entry
    finite = np.where(np.isfinite(Z), Z, 0.0)
    # independent references: logsumexp, cross-entropy minus the entropy of y
    np.testing.assert_allclose(T.conjugate(Z), sp_logsumexp(Z, axis=-1), rtol=1e-15)
    ref = sp_logsumexp(Z, axis=-1) - np.sum(Y * finite, axis=-1) + xlogy(Y, Y).sum(-1)
    np.testing.assert_allclose(T.loss(Z, Y), ref, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(T.omega(P), xlogy(P, P).sum(-1), rtol=1e-15, atol=0)
    V = RNG.standard_normal(Z.shape)
    np.testing.assert_array_equal(T.jvp(Z, V), S.jvp(Z, V))


@pytest.mark.parametrize("delta", [1e-4, 1e-6])
def test_tsallis_1_is_the_limit_of_tsallis_alpha(delta):
    """|L_{1+δ} - L_1| shrinks like δ: alpha = 1 continues the family."""
    Zf = Z[np.isfinite(Z).all(axis=1)]
    Y = _onehot(np.argmin(Zf, axis=1), Zf.shape[1])
    diff = np.abs(Tsallis(1 + delta).loss(Zf, Y) - Tsallis(1).loss(Zf, Y))
    scale = 1.0 + np.abs(Zf).max(axis=1) ** 2
    assert (diff <= 10 * delta * scale).all()
    np.testing.assert_allclose(entmax(Zf, alpha=1 + delta), softmax(Zf),
                               atol=20 * delta * (1 + np.abs(Zf).max()))


def test_normentropy_1_is_the_argmax_with_margin_0():
    N1 = NormEntropy(1)
    assert N1.label == "argmax" and N1.margin == 0.0
    P = N1.argmax(Z)
    np.testing.assert_array_equal(P, normmax(Z, alpha=1))
    top = Z == Z.max(axis=1, keepdims=True)
    np.testing.assert_array_equal(P, top / top.sum(axis=1, keepdims=True))
    k = np.argmin(np.where(np.isfinite(Z), Z, np.inf), axis=1)
    Zf = np.where(np.isfinite(Z), Z, 0.0)
    # L(z; e_k) = max z - z_k (Omega = 0 on the simplex), 0 at the argmax
    np.testing.assert_allclose(N1.loss(Z, _onehot(k, 7)),
                               Z.max(axis=1) - Zf[np.arange(len(k)), k], rtol=1e-15)
    assert (N1.loss(Z, P) == 0).all()
    assert (N1.jvp(Z, RNG.standard_normal(Z.shape)) == 0).all()
    np.testing.assert_array_equal(N1.omega(P), np.zeros(len(Z)))


def test_normmax_approaches_the_argmax_as_alpha_decreases_to_1():
    z = np.array([0.3, 1.2, -0.5, 1.0])  # no tie
    gaps = [np.abs(normmax(z, alpha=1 + d) - normmax(z, alpha=1)).max()
            for d in (1e-1, 1e-2, 1e-3)]
    assert gaps[0] > gaps[1] > gaps[2] and gaps[2] < 1e-30


def test_threshold_at_alpha_1_is_the_limit_map_threshold():
    tau, n = threshold(Z, 1)
    np.testing.assert_allclose(tau, sp_logsumexp(Z, axis=-1), rtol=1e-15)
    np.testing.assert_array_equal(n, np.isfinite(Z).sum(axis=1))
    tau_n, n_n = threshold(Z, 1, family="normmax")
    np.testing.assert_array_equal(tau_n, Z.max(axis=1) - 1.0)
    np.testing.assert_array_equal(n_n, (Z == Z.max(axis=1, keepdims=True)).sum(axis=1))
    # the normmax threshold is continuous at alpha = 1 (dual norm -> sup norm)
    tau_d, _ = threshold(Z[2:], 1 + 1e-7, family="normmax")
    np.testing.assert_allclose(tau_d, tau_n[2:], atol=1e-4)


@pytest.mark.parametrize("bad", [0.5, -1.0, np.nan])
def test_alpha_below_1_refused_with_the_same_range_everywhere(bad):
    msgs = set()
    for call in (lambda: Tsallis(bad), lambda: NormEntropy(bad),
                 lambda: threshold(Z, bad), lambda: normmax(Z, alpha=bad),
                 lambda: threshold(Z, bad, family="normmax")):
        with pytest.raises(ValueError, match=r"alpha must be >= 1") as exc:
            call()
        msgs.add(str(exc.value).split(";")[0])
    assert len(msgs) == 1, msgs


# --- indices ---------------------------------------------------------------------------
X = np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]])


@pytest.mark.parametrize("call", [
    lambda i: theory.separation(X, i),
    lambda i: theory.one_step_condition(X, X[0], i, Tsallis(2.0), 2.0),
    lambda i: theory.epsilon_ball_radius(X, i, Tsallis(2.0), 2.0),
    lambda i: theory.structured_separation(X, np.array([i, 1])),
], ids=["separation", "one_step_condition", "epsilon_ball_radius", "subset"])
def test_negative_pattern_indices_refused_everywhere(call):
    with pytest.raises(ValueError, match=re.escape("[0, 3)")):
        call(-1)
    call(0)  # index 0 is fine


# --- loss targets ----------------------------------------------------------------------
def _index_regs():
    # one-hot targets are in the domain of the maps onto the simplex (k-subsets: k = 1)
    return [r for r in examples() if getattr(r, "k", 1) == 1]


@pytest.mark.parametrize("reg", _index_regs(), ids=lambda r: r.label)
def test_class_index_targets_equal_one_hot_targets(reg):
    Zf = np.where(np.isfinite(Z), Z, -3.0)
    idx = RNG.integers(0, 7, size=len(Zf))
    want = reg.loss(Zf, _onehot(idx, 7))
    np.testing.assert_array_equal(reg.loss(Zf, idx), want)
    np.testing.assert_array_equal(fy_loss(Zf, idx, reg), want)
    # along another axis, and a single vector with a Python int
    np.testing.assert_array_equal(reg.loss(Zf.T, idx, axis=0), want)
    assert reg.loss(Zf[0], int(idx[0])) == want[0]


def test_class_index_on_a_masked_score_is_an_infinite_loss():
    assert Shannon().loss(Z[0], 3) == np.inf  # Z[0, 3] is masked


@pytest.mark.parametrize("y, match", [
    (np.array([0, 7, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), r"\[0, 7\)"),
    (-np.ones(18, dtype=int), r"\[0, 7\)"),
    (np.zeros(5, dtype=int), r"class indices of shape \(18,\)"),
])
def test_bad_class_indices_name_the_allowed_range(y, match):
    with pytest.raises(ValueError, match=match):
        Shannon().loss(Z, y)


def test_float_targets_of_the_batch_shape_are_not_read_as_indices():
    with pytest.raises(ValueError, match="same shape as z"):
        Shannon().loss(Z, np.zeros(len(Z)))


def test_integer_one_hot_of_the_scores_shape_is_a_distribution():
    y = np.array([0, 0, 1])  # same shape as z: a distribution, not 3 indices
    z = np.array([1.0, 2.0, 3.0])
    assert Shannon().loss(z, y) == Shannon().loss(z, y.astype(float))


# --- no hidden defaults, no placeholder bounds -----------------------------------------
@pytest.mark.parametrize("family", ["entmax", "normmax"])
def test_slow_solve_needs_alpha(family):
    with pytest.raises(TypeError, match=f"{family} needs the parameter alpha"):
        slow.solve(np.array([1.0, 2.0, 3.0]), family)
    sol = slow.solve(np.array([1.0, 2.0, 3.0]), family, alpha=2.0)
    np.testing.assert_allclose(sol.p, (entmax if family == "entmax" else normmax)(
        np.array([1.0, 2.0, 3.0]), alpha=2.0), atol=1e-14)


@pytest.mark.parametrize("k, exc", [(0, ValueError), (-2, ValueError), (1.5, TypeError),
                                    (True, TypeError)])
def test_ksubsets_k_message_has_no_placeholder(k, exc):
    with pytest.raises(exc) as err:
        KSubsets(k)
    assert "922337" not in str(err.value) and "k must be an integer" in str(err.value)


def test_ksubsets_k_above_the_unmasked_entries_names_the_real_bound():
    with pytest.raises(ValueError, match=r"1 <= k <= 3"):
        sparsemap_ksubsets(np.array([1.0, 2.0, 3.0]), 4)
