"""proofs_check claims C1-C4 (continuous distributions): verified on the library, and
refuted on a deliberately broken module (negative controls)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from proofs_check import cli, runner
from proofs_check.claims import all_claims
from proofs_check.registry import Subject, patched_module

cont = pytest.importorskip("hfy_reference.continuous")


def run_ids(subject, ids, seed=0):
    claims = cli.select(all_claims(subject), ids)
    assert claims, ids
    return {r["id"]: r for r in runner.run(claims, subject, seed=seed, quick=True)}


def with_continuous(**overrides):
    s = Subject.default()
    s.continuous = patched_module(cont, **overrides)
    return s


def test_claims_verified_on_the_library():
    recs = run_ids(Subject.default(), ["C1", "C2", "C3", "C4"])
    assert len(recs) == 12
    for r in recs.values():
        assert r["status"] == "verified", (r["id"], r["counterexample"])
    assert runner.exit_code(list(recs.values())) == 0


def test_skipped_without_the_module():
    s = Subject.default()
    s.continuous = None
    recs = run_ids(s, ["C1.fy[alpha=2]"])
    assert recs["C1.fy[alpha=2]"]["status"] == "skipped"


class WrongOmega(cont.EntmaxGaussian):
    def omega(self):
        return super().omega() * (1 + 1e-6)


def wrong_grad(score, q):
    g_eta, g_P = cont.fy_loss_grad(score, q)
    return g_eta, 2.0 * g_P  # the −½ of the sufficient statistic dropped


def test_C1_refuted_by_wrong_omega_and_wrong_gradient():
    r = run_ids(with_continuous(EntmaxGaussian=WrongOmega), ["C1.fy[alpha=2]"])
    assert r["C1.fy[alpha=2]"]["status"] == "refuted"
    r = run_ids(with_continuous(fy_loss_grad=wrong_grad), ["C1.fy[alpha=1.5]"])
    rec = r["C1.fy[alpha=1.5]"]
    assert rec["status"] == "refuted"
    assert any("∇_θ L" in f["cond"] for f in rec["counterexample"]["failed"])


class WiderSupport(cont.EntmaxGaussian):
    def __init__(self, loc, scale, alpha=2.0):
        super().__init__(loc, scale, alpha)
        if self.alpha > 1:
            self.support_radius *= 1.001


class TruncatedGaussian(cont.EntmaxGaussian):
    """α = 1 claimed to have compact support (a Gaussian cut at radius 8)."""

    def __init__(self, loc, scale, alpha=2.0):
        super().__init__(loc, scale, alpha)
        if self.alpha == 1:
            self.support_radius = 8.0

    def logpdf(self, x):
        lp = super().logpdf(x)
        return np.where(self.mahalanobis2(x) < 64.0, lp, -np.inf)


@pytest.mark.parametrize("broken", [WiderSupport, TruncatedGaussian])
def test_C2_refuted(broken):
    rec = run_ids(with_continuous(EntmaxGaussian=broken), ["C2.support"])["C2.support"]
    assert rec["status"] == "refuted"


def test_C3_refuted_by_a_wrong_constant():
    def attention(mu, sigma2, alpha, rbf, **kw):
        out = cont.attention(mu, sigma2, alpha, rbf, **kw)
        if isinstance(out, tuple):
            return out[0] * (1 + 1e-9), out[1]
        return out * (1 + 1e-9)

    rec = run_ids(with_continuous(attention=attention),
                  ["C3.attention[alpha=2]"])["C3.attention[alpha=2]"]
    assert rec["status"] == "refuted"


def test_C4_with_the_scale_matrices_is_an_erratum_except_at_alpha_1():
    """Gelbrich's formula with Σ in place of the covariances: right at α = 1 only."""
    def w2_with_scales(p, q):
        d = float(p.loc[0] - q.loc[0])
        return math.sqrt(d * d + (math.sqrt(p.scale[0, 0]) - math.sqrt(q.scale[0, 0])) ** 2)

    recs = run_ids(with_continuous(wasserstein2=w2_with_scales), ["C4"])
    assert recs["C4.w2.slides[alpha=1]"]["status"] == "verified"
    for a in ("2", "3"):
        e = recs[f"C4.w2.slides[alpha={a}]"]
        assert e["status"] == "erratum" and e["kind"] == "published"
    assert runner.exit_code(list(recs.values())) == 0  # errata do not fail the run
