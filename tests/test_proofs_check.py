"""Tests of the theorem verifier: it has teeth, it is deterministic, its CLI and JSON.

The negative controls hand the verifier a deliberately broken part of the library (a
map with the wrong margin, a threshold τ off by a little, a Hopfield energy without its
constant, a post-transformation that is not its argmax, a theory helper with the slides'
threshold) and require the claims that depend on it to come out ``refuted``.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest

from hfy_reference import NormEntropy, Tsallis
from proofs_check import cli, report, runner
from proofs_check.claims import all_claims
from proofs_check.registry import Checks, Cond, MapSpec, Subject, patched_module

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


@pytest.fixture(autouse=True)
def _errstate():
    # the library and the verifier handle their own floating-point states
    with np.errstate(all="ignore"):
        yield


@pytest.fixture(scope="module")
def subject():
    return Subject.default()


def run_ids(subject, ids, seed=0):
    claims = cli.select(all_claims(subject), ids)
    assert claims, ids
    return {r["id"]: r for r in runner.run(claims, subject, seed=seed, quick=True)}


def with_map(subject, name, reg):
    maps = dict(subject.maps)
    maps[name] = maps[name].with_reg(reg)
    return Subject(maps=maps, hopfield=subject.hopfield, theory=subject.theory,
                   structured=subject.structured)


# ---------------------------------------------------------------------------------------
# deliberately broken maps
# ---------------------------------------------------------------------------------------
class ScaledEntmax(Tsallis):
    """entmax(1.05 z): a map whose true margin is m/1.05 (the wrong margin)."""

    def _map(self, rows):
        from hfy_reference import _validation as V

        return super()._map(V.Rows(rows.data * 1.05, rows.rowmax * 1.05, rows.axis,
                                   rows.moved_shape, rows.dtype))


class WrongMarginAttr(Tsallis):
    """The right map, a wrong declared margin."""

    @property
    def margin(self):
        return 1.1 / (self.alpha - 1.0)


class ShiftedTauSparsemax(Tsallis):
    """sparsemax with τ off by 1e-7 (so ŷ sums to 1 − |S|·1e-7)."""

    def _map(self, rows):
        P = super()._map(rows)
        return np.where(P > 0, np.maximum(P - 1e-7, 0.0), 0.0)


class ShiftedTauRenormalized(Tsallis):
    """sparsemax with τ off by 1e-7 on one entry, renormalized: a distribution that is
    not the argmax."""

    def _map(self, rows):
        P = super()._map(rows).copy()
        j = np.argmax(P, axis=1)
        P[np.arange(len(P)), j] += 1e-7
        return P / P.sum(axis=1, keepdims=True)


class TauOffNormmax(NormEntropy):
    """normmax whose weights use τ off by 1e-6: p ∝ [z − τ − 1e-6]₊ (α = 2)."""

    def _map(self, rows):
        from hfy_reference.maps import threshold

        tau, _ = threshold(rows.data, self.alpha, family="normmax")
        V = np.maximum(rows.data - tau[:, None] - 1e-6, 0.0) ** (1 / (self.alpha - 1))
        return V / V.sum(axis=1, keepdims=True)


@pytest.mark.parametrize(
    "name, reg, ids",
    [
        ("1.5-entmax", ScaledEntmax(1.5),
         ["T1.fy[1.5-entmax]", "T2.margin[1.5-entmax]", "T4.stationary[1.5-entmax]",
          "T5.one-step[1.5-entmax]", "T8.path[1.5-entmax]", "T10.uniform[1.5-entmax]"]),
        ("1.5-entmax", WrongMarginAttr(1.5),
         ["T2.margin[1.5-entmax]", "T4.stationary[1.5-entmax]",
          "T6.eps-ball[1.5-entmax]"]),
        ("sparsemax", ShiftedTauSparsemax(2.0),
         ["T1.fy[sparsemax]", "T2.margin[sparsemax]", "T8.beta-to-0[sparsemax]"]),
        ("sparsemax", ShiftedTauRenormalized(2.0),  # right wherever ŷ is one-hot
         ["T1.fy[sparsemax]", "T8.beta-to-0[sparsemax]"]),
        ("2-normmax", TauOffNormmax(2.0),
         ["T1.fy[2-normmax]", "T2.margin[2-normmax]", "T10.uniform[2-normmax]"]),
    ],
    ids=["scaled-entmax", "wrong-margin-attr", "tau-off", "tau-off-renormalized",
         "normmax-tau-off"],
)
def test_broken_map_is_refuted(subject, name, reg, ids):
    recs = run_ids(with_map(subject, name, reg), ids)
    for cid in ids:
        r = recs[cid]
        assert r["status"] == "refuted", (cid, r["status"], r.get("error"))
        assert r["counterexample"], cid
        json.dumps(r["counterexample"], allow_nan=False)  # JSON-serializable


def test_wrong_margin_attribute_reaches_theory_helpers(subject):
    """theory.stationary_threshold uses reg.margin: a wrong one shows in T4's check."""
    recs = run_ids(with_map(subject, "sparsemax", WrongMarginAttr(2.0)),
                   ["T4.stationary[sparsemax]"])
    failed = {f["cond"] for f in recs["T4.stationary[sparsemax]"]["counterexample"]["failed"]}
    assert any("stationary_threshold" in f for f in failed)


needs_hopfield = pytest.mark.skipif(
    Subject.default().hopfield is None, reason="hfy_reference.hopfield not available")


@needs_hopfield
def test_energy_without_constant_is_refuted(subject):
    H = subject.hopfield

    class NoConstant(H.HopfieldNetwork):
        def energy(self, q):
            return super().energy(q) - self.constant

    s = Subject(maps=subject.maps, hopfield=patched_module(H, HopfieldNetwork=NoConstant),
                theory=subject.theory, structured=subject.structured)
    recs = run_ids(s, ["T3.bounds[sparsemax]", "T3.bounds[softmax]"])
    for r in recs.values():
        assert r["status"] == "refuted"
        conds = {f["cond"] for f in r["counterexample"]["failed"]}
        assert any("E_L" in c or "E(q) ≥ 0" in c for c in conds)


@needs_hopfield
def test_energy_that_increases_is_refuted(subject):
    H = subject.hopfield

    class Increasing(H.HopfieldNetwork):
        def energy(self, q):
            return -super().energy(q)

    s = Subject(maps=subject.maps, hopfield=patched_module(H, HopfieldNetwork=Increasing),
                theory=subject.theory, structured=subject.structured)
    assert run_ids(s, ["T3.descent[1.5-entmax]"])["T3.descent[1.5-entmax]"][
        "status"] == "refuted"


@needs_hopfield
def test_post_that_is_not_the_argmax_is_refuted(subject):
    H = subject.hopfield

    class NotArgmaxBall(H.L2Ball):
        def argmax(self, v):
            return np.asarray(super().argmax(v)) * (1 + 1e-6)

        def _argmax(self, Vv):
            return super()._argmax(Vv) * (1 + 1e-6)

    class NotArgmaxSign(H.Sign):
        def argmax(self, v):
            return -np.asarray(super().argmax(v))

    s = Subject(maps=subject.maps,
                hopfield=patched_module(H, L2Ball=NotArgmaxBall, Sign=NotArgmaxSign),
                theory=subject.theory, structured=subject.structured)
    recs = run_ids(s, ["T11.psi[l2]", "T11.psi[sign]", "T11.l2[sparsemax]"])
    for cid, r in recs.items():
        assert r["status"] == "refuted", cid


@needs_hopfield
def test_theory_with_the_slides_threshold_is_refuted(subject):
    th = subject.theory

    def slides_threshold(reg, beta):
        return 1.0 / (reg.margin * beta)

    s = Subject(maps=subject.maps, hopfield=subject.hopfield,
                theory=patched_module(th, stationary_threshold=slides_threshold),
                structured=subject.structured)
    r = run_ids(s, ["T4.stationary[1.5-entmax]"])["T4.stationary[1.5-entmax]"]
    assert r["status"] == "refuted"


# ---------------------------------------------------------------------------------------
# the published statements are decided, with a counterexample
# ---------------------------------------------------------------------------------------
@needs_hopfield
def test_slides_threshold_is_an_erratum_for_entmax_not_for_m_equal_1(subject):
    recs = run_ids(subject, ["T4.stationary.slides[1.5-entmax]",
                             "T4.stationary.slides[sparsemax]",
                             "T4.stationary.slides[3-entmax]",
                             "T4.stationary[1.5-entmax]"])
    e = recs["T4.stationary.slides[1.5-entmax]"]
    assert e["status"] == "refuted" and e["erratum"] and e["kind"] == "published"
    inst = e["counterexample"]["instance"]
    assert inst["assumption_holds"] and inst["beta_times_separation"] == 0.5
    assert recs["T4.stationary.slides[3-entmax]"]["status"] == "refuted"
    assert recs["T4.stationary.slides[sparsemax]"]["status"] == "verified"
    t = recs["T4.stationary[1.5-entmax]"]
    assert t["status"] == "verified"
    assert t["boundary"]["measured"] == pytest.approx(2.0, rel=1e-12)
    assert runner.exit_code(list(recs.values())) == 0


# ---------------------------------------------------------------------------------------
# determinism
# ---------------------------------------------------------------------------------------
DET_IDS = ["T2.margin[sparsemax]", "T8.path[2-normmax]", "T7.angle-probability",
           "T4.stationary[1.5-entmax]", "T9.sequential[k=2,w>0]"]


def _doc(subject, ids, seed):
    claims = cli.select(all_claims(subject), ids)
    recs = runner.run(claims, subject, seed=seed, quick=True)
    return report.document(recs, seed, True, 1.0)


def test_same_seed_same_json(subject):
    ids = [i for i in DET_IDS if not subject.available(
        next(c for c in all_claims(subject) if c.id == i).requires)]
    a = report.dumps(report.deterministic_part(_doc(subject, ids, 7)))
    b = report.dumps(report.deterministic_part(_doc(subject, ids, 7)))
    assert a == b
    c = report.dumps(report.deterministic_part(_doc(subject, ids, 8)))
    assert c != a  # the seed matters


def test_record_does_not_depend_on_the_selection(subject):
    one = _doc(subject, ["T2.margin[sparsemax]"], 3)["claims"][0]
    many = _doc(subject, ["T2.margin[sparsemax]", "T2.margin[2-normmax]"], 3)["claims"]
    assert json.dumps(one, sort_keys=True) == json.dumps(
        next(r for r in many if r["id"] == one["id"]), sort_keys=True)


# ---------------------------------------------------------------------------------------
# CLI, exit codes, JSON schema
# ---------------------------------------------------------------------------------------
def test_cli_list(capsys):
    assert cli.main(["--list"]) == 0
    out = capsys.readouterr().out
    ids = [line.split()[0] for line in out.splitlines()]
    for t in range(1, 12):
        assert any(i.startswith(f"T{t}.") for i in ids), t
    assert "T4.stationary.slides[1.5-entmax]" in ids
    assert len(ids) == len(set(ids))


def test_cli_only_patterns(capsys):
    assert cli.main(["--list", "--only", "T2", "T8.path[sparsemax]"]) == 0
    ids = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert "T8.path[sparsemax]" in ids and "T8.path[2-normmax]" not in ids
    assert all(i.startswith("T2.") or i == "T8.path[sparsemax]" for i in ids)
    assert cli.main(["--list", "--only", "T*[sparsemax]"]) == 0
    ids = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert ids and all(i.endswith("[sparsemax]") for i in ids)
    with pytest.raises(SystemExit) as exc:  # one line on stderr, exit 2
        cli.main(["--list", "--only", "T99"])
    assert exc.value.code == 2


def _broken_default(monkeypatch, subject):
    broken = with_map(subject, "1.5-entmax", ScaledEntmax(1.5))
    monkeypatch.setattr(cli.Subject, "default", classmethod(lambda cls: broken))


def test_cli_exit_code_1_iff_theorem_refuted(monkeypatch, subject, tmp_path, capsys):
    _broken_default(monkeypatch, subject)
    path = tmp_path / "r.json"
    rc = cli.main(["--quick", "--no-progress", "--only", "T2.margin[1.5-entmax]",
                   "--json", str(path)])
    assert rc == 1
    out = capsys.readouterr().out
    assert "REFUTED THEOREMS" in out and "T2.margin[1.5-entmax]" in out
    doc = json.loads(path.read_text())
    assert doc["summary"]["exit_code"] == 1
    assert doc["summary"]["refuted_theorems"] == ["T2.margin[1.5-entmax]"]


@needs_hopfield
def test_cli_erratum_exits_0(capsys, tmp_path):
    path = tmp_path / "e.json"
    rc = cli.main(["--quick", "--no-progress", "--only", "T5.one-step.slides[1.5-entmax]",
                   "--json", str(path)])
    assert rc == 0
    assert "ERRATA" in capsys.readouterr().out
    doc = json.loads(path.read_text())
    assert doc["summary"]["errata"] == ["T5.one-step.slides[1.5-entmax]"]
    assert doc["summary"]["exit_code"] == 0


def test_exit_code_rules():
    def rec(kind, status):
        return {"kind": kind, "status": status}

    assert runner.exit_code([rec("theorem", "verified"), rec("published", "refuted")]) == 0
    assert runner.exit_code([rec("theorem", "refuted")]) == 1
    assert runner.exit_code([rec("theorem", "error")]) == 2
    assert runner.exit_code([rec("theorem", "refuted"), rec("theorem", "error")]) == 1
    assert runner.exit_code([rec("theorem", "skipped")]) == 0


RECORD_KEYS = {
    "id": str, "theorem": str, "title": str, "kind": str, "statement": str,
    "formula": str, "source": str, "tolerance": str, "requires": list, "status": str,
    "n_instances": int, "n_failed": int, "conditions": dict, "metrics": dict,
    "erratum": bool, "missing": list,
}


def test_json_schema(subject, tmp_path):
    path = tmp_path / "s.json"
    rc = cli.main(["--quick", "--no-progress", "--seed", "3", "--json", str(path), "--only",
                   "T1.fy[softmax]", "T2.margin[sparsemax]", "T7.angle-probability"])
    assert rc in (0, 1)
    text = path.read_text()
    doc = json.loads(text)  # valid JSON, no NaN/inf literals
    assert "NaN" not in text and "Infinity" not in text
    assert doc["schema"] == report.SCHEMA
    assert doc["seed"] == 3 and doc["mode"] == "quick"
    assert set(doc) == {"schema", "seed", "mode", "selection", "environment", "summary",
                        "claims", "timing"}
    assert doc["selection"] == [r["id"] for r in doc["claims"]]
    assert set(doc["timing"]["claims"]) == set(doc["selection"])
    for r in doc["claims"]:
        for k, t in RECORD_KEYS.items():
            assert isinstance(r[k], t), (r["id"], k)
        assert r["kind"] in ("theorem", "published")
        assert r["status"] in ("verified", "refuted", "skipped", "error")
        assert "seconds" not in r  # timings only under "timing"
        if r["status"] in ("verified", "refuted"):
            assert r["n_instances"] > 0
            w = r["worst"]
            assert set(w) == {"cond", "slack", "tol"}
            for c in r["conditions"].values():
                assert set(c) == {"worst_slack", "tol", "n"}
        if r["status"] == "refuted":
            assert r["counterexample"]
    s = doc["summary"]
    assert s["claims"] == len(doc["claims"])
    assert s["verified"] + s["refuted"] + s["skipped"] + s["error"] == s["claims"]


def test_python_dash_m_runs():
    out = subprocess.run([sys.executable, "-m", "proofs_check", "--list", "--only", "T2"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "T2.margin[sparsemax]" in out.stdout


# ---------------------------------------------------------------------------------------
# the building blocks
# ---------------------------------------------------------------------------------------
def test_cond_semantics():
    assert Cond("a", 0.0, 0.0).ok and Cond("a", -1e-16, 1e-15).ok
    assert not Cond("a", -2e-15, 1e-15).ok
    assert not Cond("a", math.nan, 1.0).ok
    c = Checks()
    c.close("x", [1.0, 2.0], [1.0, 2.0 + 1e-15], 1e-14)
    c.leq("y", 1.0, 0.5, 0.1)
    assert [x.ok for x in c.conds] == [True, False]


def test_verifier_errors_are_not_refutations(subject):
    from proofs_check.registry import Claim

    def bad_check(inst):
        raise KeyError("bug in the verifier")

    claim = Claim(id="X.bug", theorem="X", title="t", statement="s", formula="f",
                  source="s", kind="theorem", tolerance="t",
                  generate=lambda rng, i: {"a": 1}, check=bad_check, n=(2, 2))
    r = runner.run_claim(claim, subject, quick=True)
    assert r["status"] == "error" and "KeyError" in r["error"]
    assert runner.exit_code([r]) == 2


def test_library_exceptions_are_refutations(subject):
    """An exception raised inside hfy_reference while checking is a failed instance."""
    from proofs_check.registry import Claim

    def check(inst):
        c = Checks()
        Tsallis(2.0).omega(np.array([0.7, 0.7]))  # off the simplex: the library raises
        return c

    claim = Claim(id="X.lib", theorem="X", title="t", statement="s", formula="f",
                  source="s", kind="theorem", tolerance="t",
                  generate=lambda rng, i: {"a": 1}, check=check, n=(2, 2))
    r = runner.run_claim(claim, subject, quick=True)
    assert r["status"] == "refuted"
    assert "library raised ValueError" in r["counterexample"]["failed"][0]["cond"]


def test_mapspec_margins_are_the_spec_values():
    assert MapSpec("a", None, "tsallis", alpha=1.5).margin == 2.0
    assert MapSpec("a", None, "tsallis", alpha=3.0).margin == 0.5
    assert MapSpec("a", None, "norm", alpha=5.0).margin == 1.0
    assert MapSpec("a", None, "ksubsets", k=2).margin == 1.0
    assert MapSpec("a", None, "shannon").margin is None
