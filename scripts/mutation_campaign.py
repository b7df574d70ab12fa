"""Mutation campaign: plant semantic mutants one at a time and see who kills them.

Each mutant is one textual edit of one file -- in the library (``hfy_reference``: maps,
margins, conjugates, losses, Ψ, the Hopfield energy and scores, the theory helpers,
structured maps, capacity constants, interior perturbations of a map) or in a theorem
statement of the verifier (``proofs_check``: margins, thresholds, β, constants of the
statements).  For every mutant, in a temporary copy of the tree (never in place):

* **tests**: the test files relevant to the mutated part (listed per mutant; running
  the whole suite per mutant is too slow on a shared 2-core machine) -- the mutant is
  killed if pytest fails;
* **verifier**: ``python -m proofs_check --quick`` (every claim) -- the mutant is killed
  if a theorem claim is refuted (exit 1) or, reported apart, the verifier errors (exit
  2).

A library mutant that the verifier does not kill means the claims do not pin that part;
a statement mutant states something false about the correct library, so "killed" means
the verifier refutes the false statement.  Usage::

    python scripts/mutation_campaign.py                # all mutants (~20-40 min)
    python scripts/mutation_campaign.py --list
    python scripts/mutation_campaign.py --only L03 S02 --json out.json

Not run in CI.  The copy keeps the Numba cache of the tree it is made from, and every
mutated file gets its original bytes and modification time back after its mutant (so
the cache stays valid); mutants of kernel files recompile.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

T_MAPS = ("tests/test_maps_exact.py", "tests/test_losses.py")
T_HOP = ("tests/test_hopfield.py",)
T_THEORY = ("tests/test_theory.py",)
T_STRUCT = ("tests/test_structured.py",)
T_PROOFS = ("tests/test_proofs_check.py",)

PERTURB = ("(lambda P: (lambda Q: Q / Q.sum(axis=1, keepdims=True))(np.where(P > 0, P * "
           "(1.0 + 1e-9 * (2.0 * (np.arange(P.shape[1]) % 2) - 1.0)), 0.0)))(")


@dataclass(frozen=True)
class Mutant:
    id: str
    what: str
    path: str
    old: str
    new: str
    tests: tuple[str, ...]


REG = "hfy_reference/regularizers.py"
MAPS = "hfy_reference/maps.py"
HOP = "hfy_reference/hopfield.py"
POST = "hfy_reference/post.py"
TH = "hfy_reference/theory.py"
ST = "hfy_reference/structured.py"

MUTANTS = [
    # ---- library: maps, margins, Ω, conjugates, losses -----------------------------
    Mutant("L01", "entmax margin 1/(α−1) → 1/α", REG,
           "        return 0.0 if math.isinf(self.alpha) else 1.0 / (self.alpha - 1.0)",
           "        return 0.0 if math.isinf(self.alpha) else 1.0 / self.alpha", T_MAPS),
    Mutant("L02", "normmax margin 1 → 0.5", REG,
           "        return 0.0 if self.alpha == 1.0 else 1.0\n",
           "        return 0.0 if self.alpha == 1.0 else 0.5\n", T_MAPS),
    Mutant("L03", "entmax interior entries × (1 ± 1e-9), renormalized", MAPS,
           "    return _power(rows, c, 1.0 / c, 1.0 / c, False, method)[0]",
           "    return " + PERTURB + "_power(rows, c, 1.0 / c, 1.0 / c, False, method)[0])",
           T_MAPS),
    Mutant("L04", "normmax interior entries × (1 ± 1e-9), renormalized", MAPS,
           "    return _power(rows, 1.0, alpha / (alpha - 1.0), 1.0 / (alpha - 1.0), True, "
           "method)[0]",
           "    return " + PERTURB + "_power(rows, 1.0, alpha / (alpha - 1.0), 1.0 / "
           "(alpha - 1.0), True, method)[0])", T_MAPS),
    Mutant("L05", "Tsallis Ω divided by (α−1) instead of α(α−1)", REG,
           "        return np.sum(P * np.expm1((a - 1.0) * lp), axis=1) / (a * (a - 1.0))",
           "        return np.sum(P * np.expm1((a - 1.0) * lp), axis=1) / (a - 1.0)", T_MAPS),
    Mutant("L06", "softmax conjugate + 1e-9", REG,
           "        return M.logsumexp(z, axis)", "        return M.logsumexp(z, axis) + 1e-9",
           T_MAPS),
    Mutant("L07", "conjugate: ⟨z,p⟩ shift by max z once instead of max z·Σp (k-subsets)",
           REG, "               + rows.rowmax * P.sum(axis=1))",
           "               + rows.rowmax)", T_MAPS),
    Mutant("L08", "FY loss without Ω(y)", REG,
           "        return self._omega(Y) - self._omega(P) + _shifted_dot(rows.data, "
           "rows.rowmax, P - Y)",
           "        return - self._omega(P) + _shifted_dot(rows.data, rows.rowmax, P - Y)",
           T_MAPS),
    Mutant("L09", "k-subsets Ω = ½‖μ‖² − ½ (not − k/2)", REG,
           "        return 0.5 * np.sum(P * P, axis=1) - 0.5 * self.k\n\n    def _check_domain"
           "(self, P, name, n_min):\n        if P.shape[1] < self.k:\n            raise "
           "ValueError(\n                f\"{name} has {P.shape[1]} entries along the axis; "
           "KSubsets",
           "        return 0.5 * np.sum(P * P, axis=1) - 0.5\n\n    def _check_domain"
           "(self, P, name, n_min):\n        if P.shape[1] < self.k:\n            raise "
           "ValueError(\n                f\"{name} has {P.shape[1]} entries along the axis; "
           "KSubsets", T_MAPS),
    Mutant("L10", "k-subsets interior entries × (1 + 1e-9)", MAPS,
           "                                      out, info)\n    return out",
           "                                      out, info)\n    return np.where((out > 0) "
           "& (out < 1), out * (1 + 1e-9), out)", T_MAPS),
    # ---- library: Hopfield energy, scores, Ψ -------------------------------------------
    Mutant("L11", "energy constant H(u)·β instead of H(u)/β", HOP,
           "        self.constant = (H + bonus) / (self.beta * self._s) + kappa",
           "        self.constant = (H + bonus) * self.beta / self._s + kappa", T_HOP),
    Mutant("L12", "scores β²Xq instead of βXq", HOP,
           "            Z = (self.beta * Q) @ self.X.T",
           "            Z = (self.beta * self.beta * Q) @ self.X.T", T_HOP),
    Mutant("L13", "energy −Ω*/β without the averaging factor s", HOP,
           "        E = -conj / (self.beta * self._s) + self.post._psi(Q) + self.constant",
           "        E = -conj / self.beta + self.post._psi(Q) + self.constant", T_HOP),
    Mutant("L14", "layer norm Ψ argmax √(D−1) instead of √D", POST,
           "        return self.bias + self.gain * (math.sqrt(Vv.shape[1]) * U)",
           "        return self.bias + self.gain * (math.sqrt(Vv.shape[1] - 1) * U)", T_HOP),
    Mutant("L15", "sign Ψ* = ‖v‖₂ instead of ‖v‖₁", POST,
           "        return np.abs(Vv).sum(axis=1)",
           "        return np.sqrt((Vv * Vv).sum(axis=1))", T_HOP),
    Mutant("L16", "tanh Ψ argmax tanh(v) (β dropped)", POST,
           "        return np.tanh(self.beta * Vv)", "        return np.tanh(Vv)", T_HOP),
    Mutant("L17", "ℓ2-ball Ψ* = r‖v‖² instead of r‖v‖", POST,
           "        return self.radius * _norms(Vv)\n",
           "        return self.radius * _norms(Vv) ** 2\n", T_HOP),
    # ---- library: theory helpers (thresholds, β, capacity constants) --------------------
    Mutant("L18", "stationary threshold 1/(mβ) (the slides) instead of m/β", TH,
           "    if m is None:\n        return math.inf\n    return m / b",
           "    if m is None:\n        return math.inf\n    return 1.0 / (m * b) if m else 0.0",
           T_THEORY),
    Mutant("L19", "ε-ball radius (Δ − m/β)/M instead of /(2M)", TH,
           "    return (d - thr) / (2.0 * M)", "    return (d - thr) / M", T_THEORY),
    Mutant("L20", "one-step condition with margin m/2", TH,
           "    return _exact_gap_ok(Xs, e_x, qs, e_q, b, m, np.array([ii]), outs)",
           "    return _exact_gap_ok(Xs, e_x, qs, e_q, b, 0.5 * m, np.array([ii]), outs)",
           T_THEORY),
    Mutant("L21", "capacity bound p ζ^((D−1)/2) instead of √p ζ^((D−1)/2)", TH,
           "    logv = 0.5 * math.log(pv) + 0.5 * (d - 1) * math.log(z)",
           "    logv = math.log(pv) + 0.5 * (d - 1) * math.log(z)", T_THEORY),
    Mutant("L22", "capacity ε: (M)(1 − cos) instead of (M/2)(1 − cos)", TH,
           "    return sep / (2.0 * Mv) - m / (2.0 * b * Mv)",
           "    return sep / Mv - m / (2.0 * b * Mv)", T_THEORY),
    Mutant("L23", "angle probability with I_{sin²θ}(D/2, ½)", TH,
           "    half = 0.5 * betainc(0.5 * (d - 1), 0.5, s2)",
           "    half = 0.5 * betainc(0.5 * d, 0.5, s2)", T_THEORY),
    Mutant("L24", "union bound N(N−1)/8 (capacity inflated 2×)", TH,
           "    return min(1.0, 0.5 * n * (n - 1) * angle_probability(theta, D))",
           "    return min(1.0, 0.125 * n * (n - 1) * angle_probability(theta, D))", T_THEORY),
    Mutant("L25", "sequential vertex condition with ‖a_y − a'‖² (not ½)", TH,
           "        if lhs < 0.5 * float(d @ d):", "        if lhs < float(d @ d):",
           T_THEORY + T_STRUCT),
    # ---- library: structured maps --------------------------------------------------------
    Mutant("L26", "sequential conjugate counts the pairwise score twice (off by w·Σν)", ST,
           "               + self.w * nu - self._omega(P))",
           "               + 2.0 * self.w * nu - self._omega(P))", T_STRUCT),
    Mutant("L27", "sequential loss w(Σν + b_y) instead of w(Σν − b_y)", ST,
           "                   + _shifted_dot(rows.data, rows.rowmax, P - Y) + self.w * "
           "(nu - by))",
           "                   + _shifted_dot(rows.data, rows.rowmax, P - Y) + self.w * "
           "(nu + by))", T_STRUCT),
    Mutant("L28", "sequential solver ignores w", ST,
           "        return self._run_w(Z, 0.5 * self.w if self._half else self.w)",
           "        return self._run_w(Z, 0.0)", T_STRUCT),
    # ---- theorem statements of the verifier ---------------------------------------------
    Mutant("S01", "statement: entmax margin 1/α", "proofs_check/registry.py",
           "            return 0.0 if math.isinf(self.alpha) else 1.0 / (self.alpha - 1.0)",
           "            return 0.0 if math.isinf(self.alpha) else 1.0 / self.alpha", T_PROOFS),
    Mutant("S02", "statement: T4-T6 threshold 1/m (the slides' reading as the theorem)",
           "proofs_check/claims/_hop.py", '    return float(mf), mf, "m"',
           '    return float(1 / mf), 1 / mf, "m"', T_PROOFS),
    Mutant("S03", "statement: T6 radius (Δ − m/β)/M (2 dropped)",
           "proofs_check/claims/t06_eps_ball.py",
           "        eps = ((Delta - thr / beta - float(raise_by)) / (2 * M)",
           "        eps = ((Delta - thr / beta - float(raise_by)) / M", T_PROOFS),
    Mutant("S04", "statement: T5 without β (q₀ᵀ(x_i − x_j) ≥ m)",
           "proofs_check/claims/t05_one_step.py",
           "        holds = Fraction(beta) * G >= thr_x\n",
           "        holds = G >= thr_x\n", T_PROOFS),
    Mutant("S05", "statement: T9 structured margin ½ instead of 1",
           "proofs_check/claims/t09_structured.py", "        thr = k if average else 1\n",
           "        thr = k if average else 0.5\n", T_PROOFS),
    Mutant("S06", "statement: T10 normmax threshold |S|^(1−α) instead of |S|^((1−α)/α)",
           "proofs_check/claims/t10_normmax.py",
           "        return 1.0 / s if math.isinf(a) else s ** ((1 - a) / a)",
           "        return 1.0 / s if math.isinf(a) else s ** (1 - a)", T_PROOFS),
    Mutant("S07", "statement: T7 union-bound capacity inflated 2×",
           "proofs_check/claims/t07_capacity.py",
           "        n_u0 = union_capacity(th, p, theta0, D)",
           "        n_u0 = 2 * union_capacity(th, p, theta0, D)", T_PROOFS),
    Mutant("S08", "statement: T7 capacity ε with M(1 − cos) (not M/2)",
           "proofs_check/claims/t07_capacity.py",
           "        mine = 0.5 * M * (1 - math.cos(1 / zeta)) - m / (2 * beta * M)",
           "        mine = M * (1 - math.cos(1 / zeta)) - m / (2 * beta * M)", T_PROOFS),
    Mutant("S09", "statement: CCCP decrease ≥ ‖Δq‖² (not ½‖Δq‖²)",
           "proofs_check/claims/t03_cccp.py",
           "              E[worst] - E[worst + 1], 0.5 * steps[worst], tol)",
           "              E[worst] - E[worst + 1], 1.0 * steps[worst], tol)", T_PROOFS),
    Mutant("S10", "statement: FY-difference constant + Ψ*(Xᵀu) (sign)",
           "proofs_check/claims/t03_cccp.py",
           "        kappa = max(psi_star(x) for x in X) - psi_star(v)",
           "        kappa = max(psi_star(x) for x in X) + psi_star(v)", T_PROOFS),
    Mutant("S11", "statement: sparsity decreases with α (inclusion reversed)",
           "proofs_check/claims/t08_sparsity.py",
           "                ok = bool(np.all(s2 <= s1))",
           "                ok = bool(np.all(s1 <= s2))", T_PROOFS),
    Mutant("S12", "statement: sequential vertex condition with ‖a_y − a'‖² (not ½)",
           "proofs_check/claims/t09_sequential.py",
           "    return Fraction(float(d @ d)) / 2 - Fraction(w) * (by - b)",
           "    return Fraction(float(d @ d)) - Fraction(w) * (by - b)", T_PROOFS),
    Mutant("S13", "statement: KKT of entmax without the factor α−1",
           "proofs_check/claims/_kkt.py", "        u = am1 * s\n", "        u = s\n", T_PROOFS),
    Mutant("S15", "generator guard of T5 without β (only moves published instances off m)",
           "proofs_check/claims/t05_one_step.py",
           "                if abs(beta * float(G) / m - 1) > 4 * rho + 1e-5:",
           "                if abs(float(G) / m - 1) > 4 * rho + 1e-5:", T_PROOFS),
    Mutant("S14", "statement: T10 entmax threshold |S|^(1−α) (the 1/(α−1) dropped)",
           "proofs_check/claims/t10_normmax.py", "    return s ** (1 - a) / (a - 1)",
           "    return s ** (1 - a)", T_PROOFS),
]


# ---------------------------------------------------------------------------------------
def copy_tree(dst: Path) -> None:
    shutil.copytree(ROOT, dst, symlinks=True, ignore=shutil.ignore_patterns(
        ".git", ".pytest_cache", ".hypothesis", "*.egg-info", "build", "dist"))


def run(cmd: list[str], cwd: Path, timeout: float) -> tuple[int | str, str, float]:
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    env.pop("PYTHONPATH", None)
    t0 = time.perf_counter()
    try:
        p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                           env=env)
    except subprocess.TimeoutExpired:
        return "timeout", "", time.perf_counter() - t0
    return p.returncode, p.stdout + p.stderr, time.perf_counter() - t0


def first_failure(out: str) -> str:
    for line in out.splitlines():
        if line.startswith("FAILED") or line.startswith("ERROR"):
            return line.split(" - ")[0].replace("FAILED ", "").replace("ERROR ", "")[:100]
    return ""


def refuted_claims(json_path: Path) -> list[str]:
    try:
        doc = json.loads(json_path.read_text())
    except (OSError, ValueError):
        return []
    return [r["id"] for r in doc["claims"] if r["status"] in ("refuted", "error")]


def run_mutant(mut: Mutant | None, tree: Path, timeout: float,
               test_baseline: bool = False) -> dict:
    rec: dict = {"id": mut.id if mut else "baseline", "what": mut.what if mut else "",
                 "path": mut.path if mut else "", "tests": list(mut.tests) if mut else []}
    target = tree / mut.path if mut else None
    saved = None
    if mut:
        text = target.read_text(encoding="utf-8")
        n = text.count(mut.old)
        if n != 1:
            rec["status"] = f"not applied: the snippet occurs {n} times"
            return rec
        st = target.stat()
        saved = (text, st.st_atime_ns, st.st_mtime_ns)
        target.write_text(text.replace(mut.old, mut.new), encoding="utf-8")
    try:
        jpath = tree / "_mutation_report.json"
        rc2, out2, sec2 = run([sys.executable, "-m", "proofs_check", "--quick",
                               "--no-progress", "--json", str(jpath)], tree, timeout)
        rec["verifier_rc"] = rc2
        rec["verifier_killed"] = rc2 in (1, 2)
        rec["verifier_error"] = rc2 == 2
        rec["verifier_claims"] = refuted_claims(jpath)[:12]
        rec["verifier_seconds"] = round(sec2, 1)
        if mut is not None or test_baseline:
            tests = list(mut.tests) if mut else sorted({t for m in MUTANTS for t in m.tests})
            rc, out, sec = run([sys.executable, "-m", "pytest", "-q", "-x",
                                "-p", "no:cacheprovider", *tests], tree, timeout)
            rec["tests_rc"] = rc
            rec["tests_killed"] = rc != 0
            rec["tests_first_failure"] = first_failure(out) if rc != 0 else ""
            rec["tests_seconds"] = round(sec, 1)
        rec["status"] = "ran"
    finally:
        if saved is not None:
            target.write_text(saved[0], encoding="utf-8")
            os.utime(target, ns=(saved[1], saved[2]))
    return rec


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", nargs="+", metavar="ID")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--timeout", type=float, default=900.0)
    ap.add_argument("--json", metavar="PATH")
    ap.add_argument("--test-baseline", action="store_true",
                    help="also run every listed test file on the unmutated copy first "
                         "(slow; the baseline verifier run is always done)")
    args = ap.parse_args(argv)
    chosen = [m for m in MUTANTS if not args.only or m.id in args.only]
    if args.only and len(chosen) != len(args.only):
        print(f"error: unknown mutant id in {args.only}", file=sys.stderr)
        return 2
    if args.list:
        for m in chosen:
            print(f"{m.id}  {m.path:<40} {m.what}")
        return 0
    results = []
    with tempfile.TemporaryDirectory(prefix="hfy-mutants-") as tmp:
        tree = Path(tmp) / "tree"
        copy_tree(tree)
        base = run_mutant(None, tree, args.timeout, args.test_baseline)
        print(f"baseline: verifier rc {base['verifier_rc']} ({base['verifier_seconds']} s)"
              + (f", tests rc {base['tests_rc']} ({base['tests_seconds']} s)"
                 if "tests_rc" in base else ""), flush=True)
        if base["verifier_rc"] != 0 or base.get("tests_rc", 0) != 0:
            print("error: the unmutated tree does not pass; no campaign", file=sys.stderr)
            return 2
        for k, m in enumerate(chosen):
            r = run_mutant(m, tree, args.timeout)
            results.append(r)
            if r["status"] != "ran":
                print(f"[{k + 1}/{len(chosen)}] {m.id} {r['status']}", flush=True)
                continue
            print(f"[{k + 1}/{len(chosen)}] {m.id} tests "
                  f"{'KILLED' if r['tests_killed'] else 'survived'} "
                  f"({r['tests_seconds']} s) verifier "
                  f"{'KILLED' if r['verifier_killed'] else 'survived'} "
                  f"({r['verifier_seconds']} s)  {m.what}", flush=True)
    ran = [r for r in results if r["status"] == "ran"]
    for area, pref in (("library", "L"), ("statements", "S"), ("all", "")):
        rs = [r for r in ran if r["id"].startswith(pref)]
        if rs:
            t = sum(r["tests_killed"] for r in rs)
            v = sum(r["verifier_killed"] for r in rs)
            print(f"{area}: {len(rs)} mutants; tests kill {t} ({100 * t / len(rs):.0f} %), "
                  f"verifier kills {v} ({100 * v / len(rs):.0f} %)")
    for r in ran:
        if not (r["tests_killed"] and r["verifier_killed"]):
            who = [w for w, k in (("tests", r["tests_killed"]),
                                  ("verifier", r["verifier_killed"])) if not k]
            print(f"survivor ({', '.join(who)}): {r['id']} {r['what']}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n",
                                   encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
