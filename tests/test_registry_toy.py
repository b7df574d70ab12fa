"""A map registered at run time is picked up with no other edit.

The toy is a rescaled sparsemax, ``Omega_c(p) = (c/2)(||p||^2 - 1)`` on the simplex:
its map is ``sparsemax(z / c)``, its margin ``c``, its Jacobian ``J_sparsemax / c``.  It
is written here (class and registry entry, nothing else), registered for the duration
of each test, and then

* the slow path solves its convex program (declared as a ``SlowProgram`` written from
  the definition of ``Omega_c``) and agrees with the map and with an independent
  50-digit reference;
* the oracle's ``registered`` family builds a suite for it: an independent NumPy
  implementation passes, wrong ones (no rescaling; softmax) fail;
* the verifier's generic claims (T1: Fenchel-Young properties, T2: the margin) are built
  for it from its entry and come out verified; with a wrong declared margin, or a
  broken ``Omega``, they come out refuted;
* the completeness check, the figure colour, ``HopfieldNetwork`` and
  ``proofs_check``'s default maps see it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction

import numpy as np
import pytest
import reference as R
from test_registry import missing

import hfy_reference as H
from hfy_reference import jacobians as J
from hfy_reference import registry, slow
from hfy_reference.registry import MapReference, NotProvided, SlowProgram

EPS = np.finfo(np.float64).eps


@dataclass(frozen=True)
class ScaledSparsemax(H.Regularizer):
    """``Omega(p) = (c/2)(||p||^2 - 1)``: ``sparsemax(z / c)``, margin ``c``."""

    c: float = 2.0

    @property
    def margin(self) -> float:
        return float(self.c)

    @property
    def label(self) -> str:
        return f"{self.c:g}-scaled sparsemax"

    def _map(self, rows):
        return H.sparsemax(rows.data / self.c)

    def _omega(self, P):
        return 0.5 * self.c * (np.sum(P * P, axis=1) - 1.0)

    def _jvp(self, P, rows, Vt):
        return J.free_set_jvp(P > 0, Vt) / self.c


class _ScaledQuadratic:
    """The slow path's program: value, gradient and inverse Hessian of Omega_c, from the
    definition."""

    dense = False

    def __init__(self, c):
        self.c = c

    def value(self, p):
        return 0.5 * self.c * (float(np.sum(p * p)) - 1.0)

    def grad(self, p):
        return self.c * p

    grad_kkt = grad

    def inv_hess(self, p):
        return np.full_like(p, 1.0 / self.c)


def _omega_ref(reg, p):
    s = float(np.dot(p, p))
    return 0.5 * reg.c * (s - 1.0), 0.5 * reg.c * (s + 1.0)


REFERENCE = MapReference(
    omega=_omega_ref,
    margin=lambda r: Fraction(r.c),
    sigma=lambda r: float(r.c),
    formula=lambda r: f"Ω(p)=c/2 (‖p‖²−1), c={r.c:g}",
)

ENTRY = dict(
    name="toy_scaled_sparsemax",
    params=lambda r: {"c": r.c},
    function=NotProvided("a toy: no public function"),
    examples=(ScaledSparsemax(2.0), ScaledSparsemax(4.0)),
    slow=lambda r: ("toy_scaled_sparsemax", {"c": r.c}),
    slow_program=SlowProgram(params=("c",), factory=lambda prm, n: _ScaledQuadratic(prm["c"])),
    oracle=lambda r: ("registered", {"reg": r}),
    strategy=lambda: __import__("hypothesis").strategies.sampled_from(
        [1.0, 2.0, 4.0]).map(ScaledSparsemax),
    path_events=NotProvided("a toy"),
    reference=REFERENCE,
    colors={"2-scaled sparsemax": "#117733", "4-scaled sparsemax": "#117733"},
)


@pytest.fixture
def toy():
    registry.register(**ENTRY)(ScaledSparsemax)
    try:
        yield ScaledSparsemax(2.0)
    finally:
        registry.unregister("toy_scaled_sparsemax")


def test_registered_toy_is_complete_and_listed(toy):
    e = registry.entry_for(toy)
    assert e.name == "toy_scaled_sparsemax"
    assert missing(e) == []
    assert toy in registry.examples()
    from proofs_check.registry import default_maps

    assert "2-scaled sparsemax" in default_maps()
    from figures.style import map_color

    assert map_color(toy) == "#117733"
    assert "toy_scaled_sparsemax" in slow.families()


def test_unregistered_toy_is_gone():
    registry.register(**ENTRY)(ScaledSparsemax)
    registry.unregister("toy_scaled_sparsemax")
    with pytest.raises(LookupError):
        registry.entry_for(ScaledSparsemax(2.0))
    with pytest.raises(ValueError, match="which must be one of"):
        slow.solve([0.0, 1.0], "toy_scaled_sparsemax", c=2.0)


def test_slow_path_picks_up_the_toy(toy):
    rng = np.random.default_rng(0)
    for reg in (toy, ScaledSparsemax(4.0)):
        for n in (2, 4, 7):
            z = rng.standard_normal(n) * 3
            sol = registry.slow_solve(reg, z)
            assert sol.method == "slsqp+newton" or sol.method == "trivial"
            # the independent 50-digit reference: sparsemax(z / c) = capped(z / c, inf, 1)
            ref = R.capped(z / reg.c, np.full(n, np.inf), 1.0)[0]
            assert np.max(np.abs(sol.p - ref)) <= sol.error_estimate + 4 * EPS
            assert np.max(np.abs(reg.argmax(z) - ref)) <= 4 * EPS
            assert abs(sol.value - float(reg.conjugate(z))) <= 1e-12 * (1 + np.abs(z).max())
    # the slow path's omega and FY loss for the registered program
    p = np.array([0.5, 0.25, 0.25])
    assert slow.omega(p, "toy_scaled_sparsemax", c=2.0) == pytest.approx(
        float(toy.omega(p)), abs=4 * EPS)
    z = np.array([0.3, -0.2, 0.9])
    assert slow.fy_loss(z, p, "toy_scaled_sparsemax", c=2.0) == pytest.approx(
        float(toy.loss(z, p)), abs=1e-13)


def _sparsemax_np(z, c):
    """An independent NumPy sparsemax(z / c) by sorting (the backend under test)."""
    z = np.asarray(z, dtype=np.float64) / c
    out = np.zeros_like(z)
    for r, row in enumerate(z):
        fin = np.isfinite(row)
        v = row[fin] - row[fin].max()
        s = np.sort(v)[::-1]
        cs = np.cumsum(s)
        ks = np.arange(1, s.size + 1)
        k = ks[1 + ks * s > cs][-1]
        tau = (cs[k - 1] - 1) / k
        out[r, fin] = np.maximum(v - tau, 0.0)
    return out


def test_oracle_picks_up_the_toy(toy):
    from hfy_reference.testing import check_backend

    rep = check_backend(lambda z: _sparsemax_np(z, 2.0), "registered", reg=toy)
    assert rep.passed, rep.failure_message()
    ran = [c for c in rep.results if c.status != "skip"]
    assert len(ran) >= 15
    # negative controls: no rescaling; a dense map
    assert not check_backend(lambda z: _sparsemax_np(z, 1.0), "registered", reg=toy).passed
    assert not check_backend(lambda z: H.softmax(z / 2.0), "registered", reg=toy).passed
    # float32 backend, its own tolerance
    rep32 = check_backend(lambda z: _sparsemax_np(z.astype(np.float64), 2.0).astype(
        np.float32), "registered", reg=toy, dtype=np.float32)
    assert rep32.passed, rep32.failure_message()


def _verifier_records(spec):
    from proofs_check import runner
    from proofs_check.claims import t01_fy, t02_margins
    from proofs_check.registry import Subject

    subject = Subject(maps={spec.name: spec})
    claims = t01_fy.claims(subject) + t02_margins.claims(subject)
    assert {c.theorem for c in claims} == {"T1", "T2"}
    return runner.run(claims, subject, seed=0, quick=True)


def test_verifier_generic_claims_pick_up_the_toy(toy):
    from proofs_check.registry import spec_of

    spec = spec_of(toy)
    assert spec.family == "custom" and spec.margin == 2.0
    recs = _verifier_records(spec)
    assert {r["status"] for r in recs} == {"verified"}, [
        (r["id"], r["status"], r.get("counterexample")) for r in recs]


def test_verifier_refutes_a_wrong_toy(toy):
    from proofs_check.registry import spec_of

    # a wrong declared margin (c/2): the margin claim is refuted
    spec = spec_of(toy)
    bad_ref = replace(REFERENCE, margin=lambda r: Fraction(r.c) / 2)
    recs = _verifier_records(replace(spec, ref=bad_ref))
    assert any(r["status"] == "refuted" and r["id"].startswith("T2") for r in recs)

    # a broken Omega (the wrong scale): the Fenchel-Young claim is refuted
    @dataclass(frozen=True)
    class Broken(ScaledSparsemax):
        def _omega(self, P):
            return 0.5 * (np.sum(P * P, axis=1) - 1.0)

    recs = _verifier_records(replace(spec, reg=Broken(2.0)))
    assert any(r["status"] == "refuted" and r["id"].startswith("T1") for r in recs)


def test_whole_verifier_on_the_toy_refutes_nothing(toy):
    """Every claim module builds only the claims it can state for a map of a family it
    does not model (T1, T2 and the map-independent ones): none is refuted."""
    from proofs_check import runner
    from proofs_check.claims import all_claims
    from proofs_check.registry import Subject, spec_of

    subject = Subject.default()
    spec = spec_of(toy)
    subject.maps = {spec.name: spec}
    claims = [c for c in all_claims(subject) if c.map == spec.name]
    assert {c.theorem for c in claims} >= {"T1", "T2"}
    recs = runner.run(claims, subject, seed=0, quick=True)
    assert {r["status"] for r in recs} <= {"verified", "skipped"}, [
        (r["id"], r["status"]) for r in recs if r["status"] not in ("verified", "skipped")]


def test_hopfield_network_takes_the_toy(toy):
    rng = np.random.default_rng(5)
    X = rng.standard_normal((5, 3))
    net = H.HopfieldNetwork(X, toy, beta=4.0)
    res = net.retrieve(X[1] + 0.05 * rng.standard_normal(3), max_iter=30)
    assert np.all(np.diff(res.energies) <= 1e-12 * (1 + np.abs(res.energies).max()))
    assert res.energies.min() >= -1e-12
