"""The registry of maps is complete, and what is built from it agrees with the maps.

* Every entry declares every hook (or says why one does not apply), a slow path that
  :mod:`hfy_reference.slow` accepts, an oracle family the oracle knows, a parameter
  strategy, path events, an independent test reference and a figure colour for each of
  its examples; a broken entry is reported (negative control).
* The public function equals ``reg.argmax``; the slow path agrees with the fast map
  within its error estimate; the independent reference (50-digit mpmath, or exact
  rationals for sequential k-subsets) agrees with the fast map to a few ulps; the
  declared path events are where the support changes; ``HopfieldNetwork`` runs on
  every example with a non-increasing energy.
* ``HopfieldNetwork`` uses only the hooks of the base class (no ``getattr`` probing, no
  private calls on the regularizer, no concrete class named).
"""

from __future__ import annotations

import ast
import inspect
import math
from dataclasses import replace

import numpy as np
import pytest
import reference as R
from hypothesis import given, settings
from hypothesis import strategies as st

import hfy_reference as H
from hfy_reference import registry, slow
from hfy_reference.registry import MapEntry, MapReference, NotProvided
from hfy_reference.slow import structured as slow_structured
from hfy_reference.testing import _oracle
from hfy_reference.testing import strategies as hst

EPS = np.finfo(np.float64).eps
ENTRIES = registry.entries()
EXAMPLES = registry.examples()


def _ids(xs):
    return [x.name if isinstance(x, MapEntry) else repr(x) for x in xs]


# ---- the independent test references, by the entry's ``reference`` name ------------------
def _seq_reference(reg, z):
    """Exact marginals of sequential k-subsets: the support found by the QP, certified in
    rational arithmetic over every structure."""
    mu, al, A = slow_structured.sequential_ksubsets_qp(z, reg.k, reg.w, reg.convention)
    cert = slow_structured.certify(z, reg.k, reg.w, A[al > 1e-7 * al.max()], reg.convention)
    assert cert is not None, "the QP's support could not be certified"
    return cert[0]


TEST_REFERENCES = {
    "shannon": lambda reg, z: R.softmax(z)[0],
    "tsallis": lambda reg, z: (R.entmax(z, reg.alpha)[0] if math.isfinite(reg.alpha)
                               else np.eye(len(z))[int(np.argmax(z))]),
    "norm": lambda reg, z: R.normmax(z, reg.alpha)[0],
    "ksubsets": lambda reg, z: R.capped(z, np.ones(len(z)), reg.k)[0],
    "sequential_ksubsets": _seq_reference,
}


def missing(e: MapEntry) -> list[str]:
    """What an entry fails to declare (empty when complete)."""
    out = []
    from hfy_reference.regularizers import Regularizer

    if not (isinstance(e.cls, type) and issubclass(e.cls, Regularizer)):
        out.append("cls is not a Regularizer subclass")
    for name, value in registry.iter_hooks(e):
        if value is None:
            out.append(f"{name} missing")
        elif isinstance(value, NotProvided) and not value.reason.strip():
            out.append(f"{name} declared NotProvided without a reason")
    if not e.examples:
        out.append("no examples")
    if any(not isinstance(r, e.cls) for r in e.examples + e.named):
        out.append("an example is not an instance of the class")
    if e.slow is None or isinstance(e.slow, NotProvided):
        out.append("no slow path")
    else:
        for r in e.examples:
            which, _ = registry.resolve(e.slow)(r)
            if which not in slow.families():
                out.append(f"slow family {which!r} unknown to hfy_reference.slow")
    if isinstance(e.oracle, NotProvided) is False and e.oracle is not None:
        for r in e.examples:
            try:
                fam, _ = registry.resolve(e.oracle)(r)
            except ValueError:  # e.g. alpha = inf, outside the oracle's families
                continue
            if fam not in _oracle.family_names():
                out.append(f"oracle family {fam!r} unknown to the oracle")
    if not (isinstance(e.reference, MapReference) or e.reference in TEST_REFERENCES):
        out.append(f"no test reference ({e.reference!r})")
    colors = registry.map_colors()
    for r in e.examples + e.named:
        if r.label not in colors and r.label.split(" (")[0] not in colors:
            out.append(f"no figure colour for {r.label!r}")
    return out


@pytest.mark.parametrize("e", ENTRIES, ids=_ids(ENTRIES))
def test_every_entry_is_complete(e):
    assert missing(e) == []
    assert registry.entry(e.name) is e
    assert e.cls.registry_entry is e
    for r in e.examples:
        assert registry.entry_for(r) is e
        assert isinstance(r.structure_size, int) and r.structure_size >= 1
        assert r.max_pairwise_bonus >= 0.0


def test_completeness_check_fails_on_a_broken_entry():
    e = registry.entry("entmax")
    assert missing(e) == []
    assert "slow missing" in missing(replace(e, slow=None))
    assert "path_events missing" in missing(replace(e, path_events=None))
    assert "path_events declared NotProvided without a reason" in missing(
        replace(e, path_events=NotProvided("")))
    assert any("test reference" in m for m in missing(replace(e, reference="nonsense")))
    assert any("figure colour" in m for m in missing(replace(e, colors={}, examples=(
        H.Tsallis(1.7),))))
    assert any("slow family" in m for m in missing(
        replace(e, slow=lambda r: ("no_such_program", {}))))
    assert any("oracle family" in m for m in missing(
        replace(e, oracle=lambda r: ("no_such_family", {}))))


def test_registry_builds_the_lists():
    assert list(H.REGULARIZERS) == ["softmax", "1.5-entmax", "sparsemax", "2-normmax",
                                    "5-normmax"]
    assert H.REGULARIZERS is registry.REGULARIZERS
    assert [e.name for e in ENTRIES][:5] == ["softmax", "entmax", "normmax", "ksubsets",
                                             "sequential_ksubsets"]
    from proofs_check.registry import default_maps

    assert list(default_maps()) == ["softmax", "1.5-entmax", "sparsemax", "3-entmax",
                                     "2-normmax", "5-normmax", "2-subsets"]


# ---- what is built from the entries agrees with the maps ---------------------------------
def _scores(rng, n, reg):
    return rng.standard_normal(n) * rng.choice([0.3, 1.0, 4.0])


@pytest.mark.parametrize("reg", EXAMPLES, ids=_ids(EXAMPLES))
def test_public_function_is_argmax(reg):
    e = registry.entry_for(reg)
    if isinstance(e.function, NotProvided):
        pytest.skip(e.function.reason)
    f = e.hook("function")
    rng = np.random.default_rng(1)
    Z = rng.standard_normal((6, 7)) * 3
    Z[0, 2] = -np.inf
    assert np.array_equal(f(Z, **e.params(reg)), reg.argmax(Z))


@pytest.mark.parametrize("reg", EXAMPLES, ids=_ids(EXAMPLES))
def test_slow_path_agrees_with_the_map(reg):
    rng = np.random.default_rng(2)
    for n in (2, 5, 6):
        z = _scores(rng, n, reg)
        sol = registry.slow_solve(reg, z)
        p = reg.argmax(z)
        err = float(np.max(np.abs(sol.p - p)))
        assert err <= sol.error_estimate + 8 * EPS * (1 + float(np.max(p))), (z, sol)
        assert abs(sol.value - float(reg.conjugate(z))) <= 1e-12 * (1 + np.abs(z).max())


@pytest.mark.parametrize("reg", EXAMPLES, ids=_ids(EXAMPLES))
def test_test_reference_agrees_with_the_map(reg):
    e = registry.entry_for(reg)
    if isinstance(e.reference, MapReference):
        pytest.skip("checked through the verifier's reference (test_toy_map_is_picked_up)")
    ref = TEST_REFERENCES[e.reference]
    rng = np.random.default_rng(3)
    for n in (3, 6):
        z = _scores(rng, n, reg)
        assert np.max(np.abs(ref(reg, z) - reg.argmax(z))) <= 4 * EPS


LIMITS = [H.Tsallis(1.0), H.Tsallis(np.inf), H.NormEntropy(1.0), H.NormEntropy(np.inf)]


@pytest.mark.parametrize("reg", EXAMPLES + LIMITS, ids=_ids(EXAMPLES + LIMITS))
def test_path_events_are_support_changes(reg):
    e = registry.entry_for(reg)
    if isinstance(e.path_events, NotProvided):
        pytest.skip(e.path_events.reason)
    from hfy_reference import theory

    z = np.array([1.3, 0.9, 0.2, -0.4, -1.1])
    ev = theory.path_events(z, reg, t_max=50.0)
    if not ev:  # no events declared: the support does not change
        supports = {tuple(reg.argmax(z / T) > 0) for T in np.geomspace(0.1, 50.0, 40)}
        assert len(supports) == 1
    for T, _, _ in ev:
        lo = reg.argmax(z / (T * (1 - 1e-9)))
        hi = reg.argmax(z / (T * (1 + 1e-9)))
        key_lo = ((lo > 0) & (lo < 1)).tolist(), (lo > 0).tolist()
        key_hi = ((hi > 0) & (hi < 1)).tolist(), (hi > 0).tolist()
        assert key_lo != key_hi, (T, lo, hi)


@pytest.mark.parametrize("reg", EXAMPLES, ids=_ids(EXAMPLES))
def test_hopfield_runs_on_every_example(reg):
    rng = np.random.default_rng(4)
    X = rng.standard_normal((6, 3))
    net = H.HopfieldNetwork(X, reg, beta=2.0)
    res = net.retrieve(X[0] + 0.1 * rng.standard_normal(3), max_iter=20)
    E = res.energies
    assert np.all(np.diff(E) <= 1e-12 * (1 + np.abs(E).max()))
    assert E.min() >= -1e-12


@pytest.mark.parametrize("e", ENTRIES, ids=_ids(ENTRIES))
def test_strategy_draws_instances(e):
    from hypothesis import find

    s = e.hook("strategy")()
    assert isinstance(s, st.SearchStrategy)
    r = find(s, lambda r: True)
    assert isinstance(r, e.cls)


@settings(max_examples=40, deadline=None)
@given(reg=hst.regularizers(), data=st.data())
def test_any_registered_map_is_a_fenchel_young_map(reg, data):
    """For an instance drawn from any entry's domain: the prediction lies in the domain
    (entries in [0, 1], summing to structure_size); the loss at a vertex of the domain
    (a structure: ``k`` ones) is >= 0, and 0 when that vertex is the prediction."""
    k = reg.structure_size
    n = data.draw(st.integers(max(2, k), 7))
    z = np.array(data.draw(st.lists(st.floats(-3, 3), min_size=n, max_size=n)))
    p = reg.argmax(z)
    assert np.all(p >= 0) and np.all(p <= 1 + 4 * EPS)
    assert abs(p.sum() - k) <= 8 * EPS * n
    idx = data.draw(st.permutations(range(n)))[:k]
    y = np.zeros(n)
    y[list(idx)] = 1.0
    tol = 16 * EPS * (1 + np.abs(z).max()) * k
    assert float(reg.loss(z, y)) >= 0.0
    if np.all((p == 0) | (p == 1)):
        assert float(reg.loss(z, p)) <= tol


# ---- HopfieldNetwork uses the base-class hooks only -------------------------------------
def test_hopfield_network_uses_declared_hooks_only():
    from hfy_reference import hopfield

    src = inspect.getsource(hopfield.HopfieldNetwork) + inspect.getsource(hopfield._map_bonus)
    tree = ast.parse(src.replace("\n    ", "\n") if src.startswith("    ") else src)
    bad = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) in (
                "getattr", "hasattr"):
            bad.append("getattr/hasattr")
        if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            base = ast.unparse(node.value)
            if base in ("reg", "self.reg"):
                bad.append(f"{base}.{node.attr}")
        if isinstance(node, ast.Name) and node.id in (
                "Shannon", "Tsallis", "NormEntropy", "KSubsets", "SequentialKSubsets"):
            bad.append(node.id)
    assert not bad, bad
    hooks = ["structure_size", "max_pairwise_bonus", "map_with_bonus", "map_products",
             "step_products", "conjugate_from_map", "uniform_omega"]
    for h in hooks:
        assert h in vars(H.Regularizer), h
