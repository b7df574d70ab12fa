"""The slow path (hfy_reference.slow) against hand-derived closed forms and the mpmath
reference, its independence from the fast path, and its input validation.

Tolerances.  Every smooth solution carries ``error_estimate``, a first-order bound on
``max_i |p_i - p*_i|`` (the module documents it and how it was measured); a solution
is checked against an exact value ``p*`` computed here in closed form (rounded once to
float64, so ``+ 1 ulp``) with ``error_estimate + EPS``.  Where the module documents an
absolute accuracy (well-conditioned maps: ``1e-13 (1 + R)``) the estimate itself is
checked against that claim, so the estimate cannot grow silently.
"""

from __future__ import annotations

import ast
import inspect
import math
import os
import pathlib
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import reference as R

from hfy_reference import slow

EPS = np.finfo(np.float64).eps
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def doc_accuracy(z) -> float:
    """The documented accuracy of the well-conditioned maps: 1e-13 (1 + R)."""
    z = np.asarray(z, dtype=float)
    zf = z[np.isfinite(z)]
    return 1e-13 * (1.0 + float(zf.max() - zf.min()))


def check(sol, exact, z=None, conditioned=True, what=""):
    """``sol.p`` equals ``exact`` (float64 values of the exact solution) within the
    solution's own error estimate plus one rounding of ``exact``."""
    exact = np.asarray(exact, dtype=float)
    err = float(np.max(np.abs(sol.p - exact)))
    tol = sol.error_estimate + EPS
    assert err <= tol, f"{what}: max |p - p*| = {err:.3e} > {tol:.3e}; p = {sol.p!r}"
    if conditioned and z is not None:
        assert sol.error_estimate <= doc_accuracy(z), (
            f"{what}: error estimate {sol.error_estimate:.3e} above the documented "
            f"1e-13 (1 + R) = {doc_accuracy(z):.3e}"
        )
    np.testing.assert_array_equal(sol.p >= 0, True)
    assert abs(math.fsum(sol.p) - math.fsum(exact)) <= 8 * EPS * max(1.0, math.fsum(exact))


# ---------------------------------------------------------------------------------------
# independence from the fast path
# ---------------------------------------------------------------------------------------
FORBIDDEN = ("hfy_reference.maps", "hfy_reference.regularizers", "hfy_reference._kernels",
             "hfy_reference.jacobians")


def test_source_imports_nothing_from_the_fast_path():
    # every module of the package hfy_reference.slow
    pkg = pathlib.Path(inspect.getfile(slow)).parent
    tree = ast.Module(body=[], type_ignores=[])
    for path in sorted(pkg.glob("*.py")):
        tree.body += ast.parse(path.read_text(encoding="utf-8")).body
    assert len(list(pkg.glob("*.py"))) >= 2  # __init__ and structured
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = ("hfy_reference." if node.level else "") + (node.module or "")
            names += [base.rstrip(".") + "." + a.name for a in node.names] + [base]
    bad = [n for n in names if any(n == f or n.startswith(f + ".") or
                                    n.endswith("." + f.split(".")[-1]) for f in FORBIDDEN)]
    assert not bad, f"hfy_reference/slow/ imports {bad}"
    assert "numba" not in " ".join(names)


def _run(code: str) -> str:
    res = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=REPO,
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    return res.stdout


def test_fresh_interpreter_slow_alone_loads_no_fast_module():
    # the package's __init__ imports the fast maps, so load hfy_reference.slow with
    # the package object created but its __init__ not run: slow.py (and the
    # validation module it uses) must work on their own
    out = _run("""
        import importlib.util, sys, os
        spec = importlib.util.spec_from_file_location(
            "hfy_reference", os.path.join("hfy_reference", "__init__.py"),
            submodule_search_locations=["hfy_reference"])
        pkg = importlib.util.module_from_spec(spec)
        sys.modules["hfy_reference"] = pkg          # __init__ deliberately not executed
        from hfy_reference import slow
        import numpy as np
        z = [1.0, 0.5, -np.inf, -1.0]
        for which, prm in [("softmax", {}), ("entmax", {"alpha": 1.5}), ("sparsemax", {}),
                           ("normmax", {"alpha": 2.0}), ("normmax", {"alpha": np.inf}),
                           ("argmax", {}), ("sparsemap_ksubsets", {"k": 2}),
                           ("constrained_sparsemax", {"upper": 0.6})]:
            slow.solve(z, which, **prm)
            if which != "sparsemap_ksubsets":
                slow.fy_loss(z, [1 / 3, 0.0, 1 / 3, 1 / 3], which, **prm)
        mods = sorted(m for m in sys.modules if m.startswith("hfy_reference") or m == "numba")
        print(" ".join(mods))
    """)
    loaded = out.split()
    assert "hfy_reference.slow" in loaded
    for m in (*FORBIDDEN, "hfy_reference._kernels.simplex", "numba"):
        assert m not in loaded, f"{m} was imported by the slow path: {loaded}"


def test_fresh_interpreter_package_import_never_loads_kernels():
    out = _run("""
        import sys
        import numpy as np
        import hfy_reference.slow as slow
        slow.entmax([1.0, 0.5, -1.0], 1.5); slow.normmax([1.0, 0.5], 3.0)
        slow.sparsemap_ksubsets([3.0, 1.0, 0.5], 2)
        print(" ".join(m for m in sys.modules if "_kernels" in m or m == "numba"))
    """)
    assert out.split() == [], f"the kernels were loaded: {out}"


# ---------------------------------------------------------------------------------------
# closed forms derived by hand
# ---------------------------------------------------------------------------------------
TS = [-3.0, -1.5, -0.9, -0.3, 0.0, 1e-9, 0.25, 0.7, 0.999, 1.0, 1.7, 2.5, 40.0]


@pytest.mark.parametrize("t", TS)
def test_two_entries_softmax(t):
    # p1 = 1 / (1 + e^-t)
    p1 = 1.0 / (1.0 + math.exp(-t))
    check(slow.solve([t, 0.0], "softmax"), [p1, 1.0 - p1], [t, 0.0], what=f"t={t}")


@pytest.mark.parametrize("t", TS)
def test_two_entries_sparsemax(t):
    # projection of (t, 0) onto the segment: p1 = clip((1 + t)/2, 0, 1)
    p1 = min(max((1.0 + t) / 2.0, 0.0), 1.0)
    check(slow.solve([t, 0.0], "sparsemax"), [p1, 1.0 - p1], [t, 0.0], what=f"t={t}")


@pytest.mark.parametrize("t", TS)
def test_two_entries_entmax15(t):
    # sqrt(p1) - sqrt(p2) = t/2 and p1 + p2 = 1  =>  sqrt(p1) = (t/2 + sqrt(2 - t^2/4))/2
    # while |t| < 2 = 1/(alpha - 1); one-hot beyond
    if abs(t) >= 2.0:
        p1 = 1.0 if t > 0 else 0.0
    else:
        a = (t / 2.0 + math.sqrt(2.0 - t * t / 4.0)) / 2.0
        p1 = a * a
    check(slow.solve([t, 0.0], "entmax", alpha=1.5), [p1, 1.0 - p1], [t, 0.0],
          what=f"t={t}")


@pytest.mark.parametrize("t", TS)
def test_two_entries_entmax3(t):
    # p1^2 - p2^2 = 2t and p1 + p2 = 1  =>  p1 = 1/2 + t while |t| < 1/2
    p1 = min(max(0.5 + t, 0.0), 1.0)
    sol = slow.solve([t, 0.0], "entmax", alpha=3.0)
    # alpha > 2: the estimate carries the map's conditioning (no documented cap)
    check(sol, [p1, 1.0 - p1], [t, 0.0], conditioned=False, what=f"t={t}")
    assert sol.error_estimate <= 1e-12


@pytest.mark.parametrize("t", TS)
def test_two_entries_normmax2(t):
    # v = [t - tau, -tau]_+, v1^2 + v2^2 = 1, v1 - v2 = t  =>  p1 = 1/2 + t/(2 sqrt(2 - t^2))
    # while |t| < 1 (margin 1)
    if abs(t) >= 1.0:
        p1 = 1.0 if t > 0 else 0.0
    else:
        p1 = 0.5 + t / (2.0 * math.sqrt(2.0 - t * t))
    check(slow.solve([t, 0.0], "normmax", alpha=2.0), [p1, 1.0 - p1], [t, 0.0],
          what=f"t={t}")


@pytest.mark.parametrize("t", [-3.0, -0.999, -0.3, 0.0, 0.5, 0.999, 1.001, 2.5])
def test_two_entries_normmax_inf(t):
    # max <z,p> - max(p) + 1 on the segment: uniform while |t| < 1, one-hot beyond
    p1 = 0.5 if abs(t) < 1.0 else (1.0 if t > 0 else 0.0)
    sol = slow.solve([t, 0.0], "normmax", alpha=np.inf)
    assert sol.method == "linprog"
    check(sol, [p1, 1.0 - p1], what=f"t={t}")


@pytest.mark.parametrize("n", [1, 2, 3, 7, 50])
@pytest.mark.parametrize("c", [0.0, -7.5, 1e6])
def test_uniform_scores(n, c):
    z = np.full(n, c)
    u = np.full(n, 1.0 / n)
    # conjugate at a constant vector: c - Omega(u)
    cases = [
        ("softmax", {}, math.log(n)),
        ("sparsemax", {}, (1.0 - 1.0 / n) / 2.0),
        ("entmax", {"alpha": 1.5}, (1.0 - n ** -0.5) / 0.75),
        ("entmax", {"alpha": 1.01}, (1.0 - n ** -0.01) / (1.01 * 0.01)),
        ("normmax", {"alpha": 2.0}, 1.0 - n ** -0.5),
        ("normmax", {"alpha": 4.0}, 1.0 - n ** -0.75),
        ("normmax", {"alpha": np.inf}, 1.0 - 1.0 / n),
    ]
    for which, prm, h in cases:
        sol = slow.solve(z, which, **prm)
        check(sol, u, z, what=f"{which} {prm}")
        assert abs(sol.value - (c + h)) <= 8 * EPS * (abs(c) + 1.0) + 4 * EPS * n, (which, prm)
    for k in range(1, n + 1):
        check(slow.solve(z, "sparsemap_ksubsets", k=k), np.full(n, k / n), z, what=f"k={k}")


@pytest.mark.parametrize("alpha", [1.01, 1.25, 1.5, 2.0, 3.0, 6.0])
@pytest.mark.parametrize("scale", [1.0, 1e4])
def test_entmax_one_hot_beyond_margin(alpha, scale):
    m = 1.0 / (alpha - 1.0)
    rest = np.array([0.0, -0.5, -3.0, -np.inf]) * scale
    # gap exactly m and beyond: the corner e_1
    for gap in (m, m * (1 + 1e-6), 2 * m + 1):
        z = np.concatenate([[gap], rest])
        check(slow.solve(z, "entmax", alpha=alpha), np.eye(5)[0], z, conditioned=alpha <= 2,
              what=f"gap={gap}")
    # just below the margin: the runner-up gets mass, (alpha-1)(m - gap) = p2^(alpha-1)
    # to first order; here only its sign is derived by hand
    z = np.concatenate([[m * (1 - 1e-3)], rest])
    assert slow.entmax(z, alpha)[1] > 0


@pytest.mark.parametrize("alpha", [1.1, 1.5, 2.0, 5.0, np.inf])
def test_normmax_one_hot_beyond_margin_one(alpha):
    rest = np.array([0.0, -0.25, -2.0])
    for gap in (1.0, 1.0 + 1e-6, 3.0):
        z = np.concatenate([[gap], rest])
        # alpha > 2: not Lipschitz at the margin (p_2 ~ (gap - 1)^(1/(alpha-1)))
        check(slow.solve(z, "normmax", alpha=alpha), np.eye(4)[0], z,
              conditioned=alpha <= 2 or math.isinf(alpha), what=f"gap={gap}")
    z = np.concatenate([[1.0 - 1e-3], rest])
    assert slow.normmax(z, alpha)[1] > 0


@pytest.mark.parametrize("k", [1, 2, 3])
@pytest.mark.parametrize("gap", [1.0, 1.5])
def test_ksubsets_top_k_beyond_gap_one(k, gap):
    top = [6.0, 5.5, 5.2][:k]
    low = min(top) - gap  # z_(k) - z_(k+1) = gap >= 1: mu is the top-k indicator
    z = np.array(top + [low, low - 0.5, -3.0, -np.inf])
    expect = np.zeros(len(z))
    expect[:k] = 1.0
    check(slow.solve(z, "sparsemap_ksubsets", k=k), expect, z, what=f"k={k}")
    # below gap 1 the runner-up gets mass: for k = 1 and z = (1/2, 0), mu = clip(z - tau)
    # with tau = -1/4: (3/4, 1/4)
    check(slow.solve([0.5, 0.0], "sparsemap_ksubsets", k=1), [0.75, 0.25], [0.5, 0.0])


def test_ksubsets_hand_example():
    # z = (3, 1, 0.5, -2), k = 2: tau with clip(z - tau, 0, 1) summing to 2: tau = 0.25
    # gives (1, 0.75, 0.25, 0)
    check(slow.solve([3.0, 1.0, 0.5, -2.0], "sparsemap_ksubsets", k=2), [1, 0.75, 0.25, 0],
          [3.0, 1.0, 0.5, -2.0])


@pytest.mark.parametrize("z,u,expect", [
    # cap binds on the top entry: p1 = 0.5, the rest 0.5 goes to entry 2 (tau = 0.5)
    ([2.0, 1.0, 0.0], [0.5, 1.0, 1.0], [0.5, 0.5, 0.0]),
    # caps summing to exactly 1: the domain is a point
    ([0.0, 5.0, -3.0, 1.0], [0.25, 0.25, 0.25, 0.25], [0.25, 0.25, 0.25, 0.25]),
    # two caps binding, free entry takes 1 - 0.3 - 0.2 = 0.5
    ([4.0, 3.0, 1.0, -5.0], [0.3, 0.2, np.inf, np.inf], [0.3, 0.2, 0.5, 0.0]),
    # zero caps and masks
    ([9.0, 1.0, -np.inf, 0.5], [0.0, 1.0, 1.0, 1.0], [0.0, 0.75, 0.0, 0.25]),
    # a non-binding cap: plain sparsemax (0.75, 0.25, 0)
    ([1.0, 0.5, -1.0], [0.9, 1.0, 1.0], [0.75, 0.25, 0.0]),
])
def test_constrained_sparsemax_binding_caps(z, u, expect):
    check(slow.solve(z, "constrained_sparsemax", upper=u), expect, z, what=f"{z} {u}")


def test_argmax_ties_and_masks():
    check(slow.solve([1.0, 3.0, 3.0], "argmax"), [0, 0.5, 0.5])
    check(slow.solve([-np.inf, 2.0, -np.inf, 2.0, 2.0, 1.0], "argmax"),
          [0, 1 / 3, 0, 1 / 3, 1 / 3, 0])
    check(slow.solve([1e8, 1e8 - 1.0], "argmax"), [1.0, 0.0])
    check(slow.solve([1.0, 3.0], "entmax", alpha=np.inf), [0.0, 1.0])
    check(slow.solve([1.0, 3.0, 3.0], "normmax", alpha=1.0), [0, 0.5, 0.5])


@pytest.mark.parametrize("which,prm", [
    ("softmax", {}), ("entmax", {"alpha": 1.5}), ("entmax", {"alpha": 4.0}),
    ("sparsemax", {}), ("normmax", {"alpha": 3.0}), ("normmax", {"alpha": np.inf}),
    ("sparsemap_ksubsets", {"k": 2}), ("constrained_sparsemax", {"upper": 0.7}),
])
def test_masks_get_zero_and_do_not_move_the_rest(which, prm):
    z = np.array([0.3, -np.inf, 1.1, 0.2, -np.inf, -0.4])
    keep = np.isfinite(z)
    full = slow.solve(z, which, **prm)
    part = slow.solve(z[keep], which, **prm)
    assert np.all(full.p[~keep] == 0.0)
    err = np.max(np.abs(full.p[keep] - part.p))
    assert err <= full.error_estimate + part.error_estimate + EPS
    assert abs(full.value - part.value) <= 1e-15 * (1 + abs(part.value))


def test_single_finite_entry():
    for which, prm in [("softmax", {}), ("entmax", {"alpha": 1.5}), ("normmax", {"alpha": 2.0}),
                       ("sparsemax", {}), ("argmax", {}), ("normmax", {"alpha": np.inf})]:
        sol = slow.solve([-np.inf, 1e300, -np.inf], which, **prm)
        np.testing.assert_array_equal(sol.p, [0.0, 1.0, 0.0])
        assert sol.value == 1e300


# ---------------------------------------------------------------------------------------
# conjugates, Omega and Fenchel-Young losses by hand
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("z", [[0.3, -1.2, 2.0], [10.0, 10.0, 9.5, -40.0], [1e-9, 0.0]])
def test_softmax_conjugate_is_logsumexp(z):
    m = max(z)
    lse = m + math.log(math.fsum(math.exp(x - m) for x in z))
    assert abs(slow.conjugate(z, "softmax") - lse) <= 8 * EPS * (abs(lse) + 1)
    for i in range(len(z)):
        y = np.eye(len(z))[i]
        assert abs(slow.fy_loss(z, y, "softmax") - (lse - z[i])) <= 16 * EPS * (abs(lse) + 1)


@pytest.mark.parametrize("t", [-0.9, -0.2, 0.0, 0.4, 0.99])
def test_sparsemax_conjugate_two_entries(t):
    # p = ((1+t)/2, (1-t)/2): <z,p> - (|p|^2 - 1)/2 = (1 + t)^2 / 4
    assert abs(slow.conjugate([t, 0.0], "sparsemax") - (1 + t) ** 2 / 4) <= 4 * EPS
    # FY loss at e_1: Omega*(z) + 0 - t = (1 - t)^2 / 4
    assert abs(slow.fy_loss([t, 0.0], [1.0, 0.0], "sparsemax") - (1 - t) ** 2 / 4) <= 4 * EPS


def test_fy_loss_zero_beyond_margin_and_infinite_on_masks():
    assert slow.fy_loss([3.0, 1.0], [1.0, 0.0], "sparsemax") == 0.0
    assert slow.fy_loss([2.0, 0.0], [1.0, 0.0], "entmax", alpha=1.5) <= 4 * EPS
    assert slow.fy_loss([1.0, 0.0, -0.5], [1.0, 0.0, 0.0], "normmax", alpha=7.0) <= 4 * EPS
    assert slow.fy_loss([0.0, -np.inf], [0.5, 0.5], "softmax") == math.inf
    # k-subsets: the top-2 indicator beyond gap 1 has loss 0
    assert slow.fy_loss([3.0, 2.5, 0.0], [1.0, 1.0, 0.0], "sparsemap_ksubsets", k=2) <= 4 * EPS


def test_omega_values_by_hand():
    u4 = np.full(4, 0.25)
    assert abs(slow.omega_shannon(u4) + math.log(4)) <= 4 * EPS
    assert slow.omega_shannon([0.0, 1.0, 0.0]) == 0.0
    assert abs(slow.omega_tsallis(u4, 2.0) - (0.25 - 1) / 2) <= 4 * EPS
    assert abs(slow.omega_tsallis(u4, 1.5) - (4 * 0.125 - 1) / 0.75) <= 4 * EPS
    assert slow.omega_tsallis([1.0, 0.0], 3.0) == 0.0
    assert slow.omega_tsallis(u4, np.inf) == 0.0
    assert abs(slow.omega_tsallis(u4, 1.0) + math.log(4)) <= 4 * EPS
    assert abs(slow.omega_norm(u4, 2.0) - (0.5 - 1)) <= 4 * EPS
    assert abs(slow.omega_norm([0.5, 0.5], np.inf) + 0.5) <= 4 * EPS
    assert slow.omega_norm([0.0, 1.0], 3.0) == 0.0
    assert slow.omega_ksubsets([1.0, 1.0, 0.0], 2) == 0.0
    assert abs(slow.omega_ksubsets([0.5, 0.5, 1.0], 2) - (1.5 / 2 - 1)) <= 4 * EPS
    assert abs(slow.omega_constrained([0.5, 0.5], [0.5, 1.0]) + 0.25) <= 4 * EPS


# ---------------------------------------------------------------------------------------
# against the 50-digit reference on small random inputs
# ---------------------------------------------------------------------------------------
def _random_inputs(seed, count=12):
    rng = np.random.default_rng(seed)
    out = []
    for i in range(count):
        n = int(rng.integers(2, 9))
        z = rng.uniform(-3, 3, n) * 10.0 ** rng.choice([-6, -2, 0, 0, 1, 3])
        if i % 3 == 0:
            z[rng.integers(n)] = z.max()  # a tie at the maximum
        if i % 4 == 1:
            z[rng.integers(n)] = -np.inf
        out.append(z)
    return out


@pytest.mark.parametrize("alpha", [1.001, 1.2, 1.5, 2.0, 2.5, 4.0])
def test_entmax_vs_mpmath(alpha):
    for z in _random_inputs(int(alpha * 1000)):
        ref = R.entmax(z, alpha)[0]
        check(slow.solve(z, "entmax", alpha=alpha), ref, z, conditioned=alpha <= 2,
              what=f"alpha={alpha} z={z.tolist()}")


@pytest.mark.parametrize("alpha", [1.1, 1.5, 2.0, 3.0, 8.0, np.inf])
def test_normmax_vs_mpmath(alpha):
    for z in _random_inputs(int(min(alpha, 99) * 1000) + 1):
        ref = R.normmax(z, alpha)[0]
        check(slow.solve(z, "normmax", alpha=alpha), ref, z, conditioned=alpha <= 2,
              what=f"alpha={alpha} z={z.tolist()}")


def test_softmax_vs_mpmath():
    for z in _random_inputs(7):
        check(slow.solve(z, "softmax"), R.softmax(z)[0], z, what=f"z={z.tolist()}")


def test_capped_vs_mpmath():
    rng = np.random.default_rng(11)
    for z in _random_inputs(12):
        n = len(z)
        fin = np.isfinite(z)
        for k in range(1, int(fin.sum()) + 1):
            ref = R.capped(z, np.ones(n), k)[0]
            check(slow.solve(z, "sparsemap_ksubsets", k=k), ref, z, what=f"k={k} z={z}")
        u = rng.uniform(0.1, 0.8, n)
        if u[fin].sum() < 1.0:
            u[fin] *= 1.2 / u[fin].sum()
        ref = R.capped(z, u, 1)[0]
        check(slow.solve(z, "constrained_sparsemax", upper=u), ref, z, what=f"u={u}")


# ---------------------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("z,exc,match", [
    ([[1.0, 2.0]], ValueError, "1-D"),
    ([1.0, np.nan], ValueError, "NaN"),
    ([1.0, np.inf], ValueError, r"\+inf"),
    ([-np.inf, -np.inf], ValueError, "entirely -inf"),
    ([], ValueError, "empty"),
    (3.0, ValueError, "0-d"),
    (np.array([1 + 1j, 0]), TypeError, "real"),
    (np.array(["a", "b"]), TypeError, "real numbers"),
    ([1e308, -1e308], ValueError, "overflows"),
])
def test_bad_scores(z, exc, match):
    with pytest.raises(exc, match=match):
        slow.solve(z, "sparsemax")


@pytest.mark.parametrize("call,exc,match", [
    (lambda: slow.entmax([1.0, 0.0], 0.5), ValueError, "alpha must be >= 1"),
    (lambda: slow.entmax([1.0, 0.0], np.nan), ValueError, "alpha"),
    (lambda: slow.normmax([1.0, 0.0], "2"), TypeError, "alpha must be a real number"),
    (lambda: slow.sparsemap_ksubsets([1.0, 0.0, -np.inf], 3), ValueError, "1 <= k <= 2"),
    (lambda: slow.sparsemap_ksubsets([1.0, 0.0], 0), ValueError, "k"),
    (lambda: slow.sparsemap_ksubsets([1.0, 0.0], 1.5), TypeError, "integer"),
    (lambda: slow.constrained_sparsemax([1.0, 0.0], [0.3, 0.3]), ValueError, "infeasible"),
    (lambda: slow.constrained_sparsemax([1.0, 0.0], [-0.3, 2]), ValueError, ">= 0"),
    (lambda: slow.constrained_sparsemax([1.0, 0.0], [1.0, 1, 1]), ValueError, "broadcast"),
    (lambda: slow.constrained_sparsemax([1.0, 0.0], [np.nan, 1]), ValueError, "NaN"),
    (lambda: slow.solve([1.0, 0.0], "entmaxx"), ValueError, "which must be one of"),
    (lambda: slow.solve([1.0, 0.0], "softmax", alpha=2.0), TypeError, "parameters"),
    (lambda: slow.solve([1.0, 0.0], "sparsemap_ksubsets"), TypeError, "needs the parameter k"),
    (lambda: slow.fy_loss([1.0, 0.0], [0.5, 0.6], "softmax"), ValueError, "sum to 1"),
    (lambda: slow.fy_loss([1.0, 0.0], [1.5, -0.5], "softmax"), ValueError, ">= 0"),
    (lambda: slow.fy_loss([1.0, 0.0], [1.0, 0.0, 0.0], "softmax"), ValueError, "same shape"),
    (lambda: slow.fy_loss([1.0, 0.0], [np.nan, 1.0], "softmax"), ValueError, "finite"),
    (lambda: slow.fy_loss([1.0, 0.0, 0.0], [1.5, 0.5, 0], "sparsemap_ksubsets", k=2),
     ValueError, "<= upper"),
    (lambda: slow.omega_tsallis([0.5, 0.5], 0.9), ValueError, "alpha"),
    (lambda: slow.omega([1.0, 1.0], "sparsemap_ksubsets"), TypeError, "needs the parameter k"),
    (lambda: slow.omega([1.0, 0.0], "softmax", k=2), TypeError, "parameters"),
])
def test_bad_parameters(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_inputs_are_not_modified():
    z = np.array([1.0, -np.inf, 0.5])
    u = np.array([0.6, 1.0, 1.0])
    y = np.array([1.0, 0.0, 0.0])
    z0, u0, y0 = z.copy(), u.copy(), y.copy()
    slow.constrained_sparsemax(z, u)
    slow.fy_loss(z, y, "entmax", alpha=1.5)
    np.testing.assert_array_equal(z, z0)
    np.testing.assert_array_equal(u, u0)
    np.testing.assert_array_equal(y, y0)


def test_lp_near_ties():
    # normmax alpha = inf around the sparsemax threshold (gap 1 to the runner-up): the
    # objective at uniform-on-T is (sum_T z - 1)/|T|, so gap 1 - d gives the pair, 1 + d
    # the corner, and exactly 1 a tie that the convention (smallest support) resolves
    for gap, expect in [(1.0, [1, 0, 0]), (1.0 + 1e-12, [1, 0, 0]),
                        (1.0 - 1e-12, [0.5, 0.5, 0]), (1.0 - 2.0**-52, [0.5, 0.5, 0])]:
        sol = slow.solve([gap, 0.0, -3.0], "normmax", alpha=np.inf)
        assert sol.error_estimate == 0.0
        np.testing.assert_array_equal(sol.p, expect)
    # argmax: a near-tie below the LP tolerance is flagged as unresolved, not answered
    assert slow.solve([0.0, 2.22507e-319, -1e-8], "argmax").error_estimate == 1.0
    np.testing.assert_array_equal(slow.solve([0.0, 1e-3, -1e-8], "argmax").p, [0, 1, 0])


def test_softmax_restarts_when_newton_cycles_from_a_poor_slsqp_point():
    """With one BLAS thread SLSQP ends at a point from which the active-set Newton method
    cycled (last step 8e-4, "did not converge"); the restart from the barycenter solves
    it.  Reference: scipy's logsumexp."""
    from scipy.special import logsumexp as sp_lse

    z = np.array([0.9041023405562543, 2.129785534089663, -2.1587974956150466,
                  -2.581255311072263, 0.0, 0.0, 1.8829662360147346, 1.8829662360147346,
                  0.07682602582441156, -1.6126391539576166, 0.9041023405562543,
                  2.615693620024942, 0.75])
    sol = slow.solve(z, "softmax")
    assert abs(sol.value - sp_lse(z)) <= 8 * np.finfo(float).eps * 4
    np.testing.assert_allclose(sol.p, np.exp(z - sp_lse(z)), rtol=0, atol=1e-15)
