"""The experiments CLI (``python -m experiments``): metrics on hand-computed cases,
the MIL gradient against finite differences, reproducibility, the executor (local
processes and Dask give the same results) and the CLI's argument checks."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("sklearn")

from experiments import NAMES, get
from experiments._common import (
    cosine,
    format_table,
    levenshtein,
    mean_std,
    normalized_levenshtein_score,
    support_size,
    unique_ratio,
)
from experiments._executor import run_tasks, task_seed
from experiments.cli import main
from experiments.runner import run_experiment

# ---------------------------------------------------------------------------------
# metrics, hand-computed
# ---------------------------------------------------------------------------------


def test_levenshtein_hand_cases():
    assert levenshtein("kitten", "sitting") == 3
    assert levenshtein([], [1, 2]) == 2
    assert levenshtein([0, 1, 2], [0, 1, 2]) == 0
    assert levenshtein([0, 2, 1], [0, 1, 2]) == 2  # two substitutions
    assert normalized_levenshtein_score([0, 1, 0, 0, 0], list(range(5))) == 1 - 3 / 5
    assert normalized_levenshtein_score([], []) == 1.0


def test_unique_ratio_cosine_support_meanstd():
    assert unique_ratio([0, 1, 1, 2], 4) == 0.75
    np.testing.assert_allclose(cosine([[1.0, 0.0], [1.0, 1.0]], [[2.0, 0.0], [0.0, 3.0]]),
                               [1.0, 1 / np.sqrt(2.0)], rtol=1e-15)
    assert cosine([[0.0, 0.0]], [[1.0, 0.0]])[0] == 0.0  # zero row: 0, not NaN
    P = np.array([[0.5, 0.5, 0.0], [0.995, 0.005, 0.0]])
    assert support_size(P).tolist() == [2, 2]
    assert support_size(P, softmax=True).tolist() == [2, 1]  # 0.005 < 0.01
    assert mean_std([1.0, 3.0]) == (2.0, pytest.approx(np.sqrt(2.0)))
    assert mean_std([5.0]) == (5.0, 0.0)


def test_format_table():
    t = format_table(["a", "b"], [["x", 1.5]])
    assert t.splitlines() == ["| a |   b |", "|---|----:|", "| x | 1.5 |"]


# ---------------------------------------------------------------------------------
# seeds and executor
# ---------------------------------------------------------------------------------


def test_task_seed_depends_on_key_only():
    assert task_seed(0, 1, 2) == task_seed(0, 1, 2)
    seeds = {task_seed(0, r, k) for r in range(4) for k in range(4)}
    assert len(seeds) == 16
    assert task_seed(1, 0) != task_seed(0, 0)
    assert 0 <= task_seed(2**62, 7) < 2**63


def _tiny(name):
    over = {
        "metastable": {"betas": [0.1, 1.0], "reps": 2, "n_patterns": 40, "n_queries": 20,
                       "dim": 16, "maps": ["sparsemax", "normmax2", "ksubsets2"]},
        "retrieval-capacity": {"Ns": [5, 20], "reps": 1, "n_queries": 5,
                               "models": ["dam-exp", "sparsemax/id", "entmax15/ln"]},
        "free-recall": {"N": 6, "D": 32, "penalties": [0.0, 8.0], "reps": 2,
                        "fertilities": [1.0], "models": ["sparsemax", "softmax"]},
        "sequential-recall": {"N": 6, "D": 32, "penalties": [8.0], "reps": 2,
                              "models": ["seqksubsets2:8", "sparsemax"]},
        "retrieval-robustness": {"sigmas": [0.0, 1.0], "masks": [0.5], "reps": 1,
                                 "n_queries": 5, "N": 10,
                                 "models": ["classical", "softmax/l2"]},
        "mil": {"Ks": [2], "reps": 1, "n_train": 16, "n_test": 20, "d": 4, "maxiter": 5,
                "maps": ["softmax", "ksubsets2"]},
    }
    return over[name]


@pytest.mark.parametrize("name", NAMES)
def test_each_experiment_is_reproducible(name):
    a = run_experiment(name, quick=True, seed=3, workers=1, overrides=_tiny(name),
                       progress=False)
    b = run_experiment(name, quick=True, seed=3, workers=1, overrides=_tiny(name),
                       progress=False)
    c = run_experiment(name, quick=True, seed=4, workers=1, overrides=_tiny(name),
                       progress=False)
    assert a["results"] == b["results"]
    assert a["summary"]["table"] == b["summary"]["table"]
    assert [t["data_seed"] for t in a["tasks"]] != [t["data_seed"] for t in c["tasks"]]
    assert isinstance(a["summary"]["table"], str) and a["summary"]["table"].count("\n") >= 2
    json.dumps(a)  # the record serializes


def test_local_processes_give_the_serial_results():
    over = _tiny("metastable")
    serial = run_experiment("metastable", quick=True, seed=1, workers=1, overrides=over,
                            progress=False)
    procs = run_experiment("metastable", quick=True, seed=1, workers=2, overrides=over,
                           progress=False)
    assert procs["results"] == serial["results"]


def test_dask_local_cluster_gives_the_local_results():
    distributed = pytest.importorskip("distributed")
    over = _tiny("retrieval-capacity")
    local = run_experiment("retrieval-capacity", quick=True, seed=2, workers=1,
                           overrides=over, progress=False)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster:
        dask = run_experiment("retrieval-capacity", quick=True, seed=2,
                              scheduler=cluster.scheduler_address, overrides=over,
                              progress=False)
    assert dask["results"] == local["results"]
    assert dask["backend"] == "dask"


def test_run_tasks_keeps_task_order_and_counts_progress():
    class Bar:
        n = 0

        def update(self, k=1):
            self.n += k

    bar = Bar()
    cpu: list = []
    out = run_tasks(float, [3, 1, 2], workers=1, progress=bar, cpu_seconds=cpu)
    assert out == [3.0, 1.0, 2.0] and bar.n == 3 and len(cpu) == 3
    assert run_tasks(float, []) == []


# ---------------------------------------------------------------------------------
# retrieval
# ---------------------------------------------------------------------------------


def test_corrupt_masks_the_bottom_rows_and_copies():
    from experiments.retrieval import corrupt

    X = np.ones((2, 64))
    Q = corrupt(X, 0.0, 0.5, np.random.default_rng(0))
    assert (Q[:, :32] == 1).all() and (Q[:, 32:] == 0).all()
    assert (X == 1).all()  # input untouched
    Q2 = corrupt(X, 0.0, 0.25, np.random.default_rng(0))
    assert (Q2[:, :48] == 1).all() and (Q2[:, 48:] == 0).all()


def test_retrieval_success_follows_the_separation_theorem():
    """Uncorrupted queries of digits that are separated (β Δ_i >= 1 for sparsemax) are
    fixed points: success 1 and cosine 1.  On the same draw, digits whose separation
    is negative (a duplicate-like neighbour) are not all retrieved by sparsemax at a
    tiny β (negative control)."""
    from experiments._common import digits
    from experiments.retrieval import run_task

    Xall, _ = digits()
    base = {"N": 10, "n_queries": 10, "sigma": 0.0, "mask": 0.0, "steps": 5}
    for seed in range(30):
        rng = np.random.default_rng(seed)
        X = Xall[rng.choice(Xall.shape[0], size=10, replace=False)]
        G = X @ X.T
        delta = np.diag(G) - np.max(G - np.diag(np.full(10, np.inf)), axis=1)
        if delta.min() >= 1.0:
            break
    else:  # pragma: no cover - the digits are well separated in most draws
        pytest.skip("no separated draw")
    r = run_task({**base, "model": "sparsemax/id", "beta": 1.0, "data_seed": seed})
    assert r["success"] == 1.0 and r["cos"] == pytest.approx(1.0, abs=1e-15)
    r0 = run_task({**base, "model": "sparsemax/id", "beta": 1e-4, "data_seed": seed})
    assert r0["success"] < 1.0  # β Δ < 1: the patterns are no longer fixed points


def test_metastable_support_stats_hand_case():
    from experiments.metastable import support_stats

    P = np.array([[1.0, 0, 0, 0], [0.5, 0.5, 0, 0], [0.5, 0.5, 0, 0], [0, 0.25, 0.25, 0.5]])
    st = support_stats(P, softmax=False, max_size=2)
    assert st == {"mean_size": (1 + 2 + 2 + 3) / 4, "single": 0.25, "n_metastable": 2,
                  "hist": [1, 2, 1]}
    Ps = np.array([[0.995, 0.005, 0.0, 0.0]])  # softmax: 0.005 is below the threshold
    assert support_stats(Ps, softmax=True, max_size=2)["single"] == 1.0


def test_metastable_identical_patterns_make_one_metastable_state():
    """Two copies of a pattern: a query equal to it has two tied scores, so sparsemax
    returns weight 1/2 on each (a metastable state of size 2)."""
    from experiments.metastable import support_stats
    from hfy_reference import HopfieldNetwork, Tsallis

    X = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    res = HopfieldNetwork(X, Tsallis(2.0), beta=4.0).retrieve(np.array([[1.0, 0.0]]),
                                                              max_iter=3)
    assert res.p[0].tolist() == [0.5, 0.5, 0.0]
    assert support_stats(res.p, False, 10)["n_metastable"] == 1


# ---------------------------------------------------------------------------------
# recall
# ---------------------------------------------------------------------------------


def test_sequential_recall_hand_case():
    """Orthonormal patterns, β = w = 8: the pair (c, c+1) beats (c-1, c) iff λ > β/2.
    λ = 8 recalls 0, 1, 2, 3, 4; λ = 2 recalls 0, 1 and then stays on 0 (pair (0, 1),
    tie broken by the score, then the index), worked out by hand."""
    from experiments.recall import recall_run

    X = np.eye(5)
    assert recall_run(X, X[0], "seqksubsets2:8", 8.0, 8.0) == [0, 1, 2, 3, 4]
    assert recall_run(X, X[0], "seqksubsets2:8", 8.0, 2.0) == [0, 1, 0, 0, 0]


def test_free_recall_hand_cases():
    """Orthonormal patterns, sparsemax, β = 8: without a penalty the state stays on its
    first memory (unique ratio 1/N); with λ = 16 every memory is recalled once.
    Constrained sparsemax with fertility 1 spends memory 0 at step 1, then spreads
    over the others uniformly (all scores equal) and recalls the lowest index."""
    from experiments.recall import recall_run

    X = np.eye(4)
    assert recall_run(X, X[0], "sparsemax", 8.0, 0.0) == [0, 0, 0, 0]
    assert sorted(recall_run(X, X[0], "sparsemax", 8.0, 16.0)) == [0, 1, 2, 3]
    assert recall_run(X, X[0], "constrained-sparsemax", 8.0, 0.0, fertility=1.0) \
        == [0, 1, 1, 1]


# ---------------------------------------------------------------------------------
# MIL
# ---------------------------------------------------------------------------------


def _mil_problem(K=2, n_bags=12, seed=0):
    from experiments._common import digits
    from experiments.mil import make_bags

    X, y = digits()
    rng = np.random.default_rng(seed)
    return make_bags(X, y, n_bags, 6, K, rng), X, y


def test_make_bags_labels_follow_the_counts():
    (bags, labels, n_t, is_t), X, y = _mil_problem(K=3, n_bags=40)
    assert labels.sum() == 20
    assert ((n_t >= 3) == (labels == 1)).all()
    assert (is_t.sum(axis=1) == n_t).all()
    targets = {tuple(r) for r in X[y == 9]}
    for b in range(bags.shape[0]):
        for j in range(bags.shape[1]):
            assert (tuple(bags[b, j]) in targets) == is_t[b, j]


@pytest.mark.parametrize("name", ["softmax", "entmax15", "sparsemax", "normmax2",
                                  "normmax5", "ksubsets2", "ksubsets3", "ksubsets5"])
def test_mil_gradient_matches_finite_differences(name):
    from experiments._common import make_regularizer
    from experiments.mil import _scale, fd_check, init_params

    (bags, labels, _, _), _, _ = _mil_problem()
    d = 4
    rng = np.random.default_rng(1)
    theta = init_params(d, 64, rng)
    theta[-1 - 3 * d:-1 - 2 * d] *= 20.0  # a larger query: sparse weights
    args = (bags, labels, make_regularizer(name), _scale(name), 1.0, d, 1e-3)
    assert fd_check(theta, args, np.random.default_rng(2), n_dirs=4) < 1e-8


def test_mil_gradient_check_catches_a_wrong_jacobian():
    """Negative control: a pooling whose vjp is replaced by the identity (softmax's
    Jacobian is not) fails the finite-difference check."""
    from experiments.mil import fd_check, init_params
    from hfy_reference import Shannon

    class WrongVjp(Shannon):
        def vjp(self, z, g, axis=-1):
            return np.asarray(g, dtype=float)

    (bags, labels, _, _), _, _ = _mil_problem()
    theta = init_params(4, 64, np.random.default_rng(1))
    theta[-1 - 12:-1 - 8] *= 20.0
    err = fd_check(theta, (bags, labels, WrongVjp(), 1.0, 1.0, 4, 1e-3),
                   np.random.default_rng(2), n_dirs=4)
    assert err > 1e-3


def test_mil_training_lowers_the_loss():
    from experiments._common import make_regularizer
    from experiments.mil import fit, init_params, loss_and_grad

    (bags, labels, _, _), _, _ = _mil_problem(K=1, n_bags=20)
    reg = make_regularizer("normmax2")
    theta0 = init_params(4, 64, np.random.default_rng(0))
    args = (bags, labels, reg, 1.0, 1.0, 4, 1e-3)
    theta, res = fit(bags, labels, reg, s=1.0, beta=1.0, d=4, wd=1e-3, maxiter=15,
                     theta0=theta0)
    assert res.fun < loss_and_grad(theta0, *args)[0]
    assert res.fun == pytest.approx(loss_and_grad(theta, *args)[0], rel=1e-12)


def test_mil_claims_text_reads_the_table():
    from experiments.mil import _claims

    s = {"Ks": [1, 2], "maps": ["normmax2", "ksubsets2", "ksubsets3"]}
    A = {"normmax2": {"1": (90.0, 1.0), "2": (80.0, 1.0)},
         "ksubsets2": {"1": (85.0, 1.0), "2": (70.0, 2.0)},
         "ksubsets3": {"1": (80.0, 1.0), "2": (75.0, 1.0)}}
    lines = _claims(s, A)
    assert lines[0].startswith("K=1: best 2-normmax (90.0)")
    assert lines[-1] == ("K=2: k = K is not the best k-subsets (3-subsets: 75.0 ± 1.0 vs "
                         "70.0 ± 2.0)")


# ---------------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------------


@pytest.mark.parametrize("argv", [
    [], ["nope"], ["mil", "--seed", "-1"], ["mil", "--seed", "x"],
    ["mil", "--workers", "0"], ["mil", "--scheduler", "localhost:8786"],
    ["mil", "--workers", "2", "--scheduler", "tcp://h:1"], ["mil", "--bogus"],
])
def test_cli_rejects_bad_arguments_with_one_line(argv, capsys, tmp_path):
    try:
        code = main(argv + ["--out", str(tmp_path / "o")])
    except SystemExit as e:
        code = e.code
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "error" in err
    assert not (tmp_path / "o").exists()  # no work done


def test_cli_rejects_an_output_path_that_is_a_file(tmp_path, capsys):
    f = tmp_path / "file"
    f.write_text("x")
    assert main(["metastable", "--quick", "--out", str(f)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--out" in err and "not a folder" in err
    assert f.read_text() == "x"


def test_cli_runs_and_writes_json_and_figure(tmp_path, capsys, monkeypatch):
    import experiments.metastable as ms

    monkeypatch.setattr(ms.METASTABLE, "quick", {**ms.METASTABLE.quick, **_tiny("metastable")})
    assert main(["metastable", "--quick", "--workers", "1", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    rec = json.loads((tmp_path / "metastable.json").read_text())
    assert rec["summary"]["table"] in out
    assert (tmp_path / "metastable.png").stat().st_size > 1000
    assert len(rec["results"]) == len(rec["tasks"]) == 12


def test_cli_list():
    assert main(["--list"]) == 0


def test_library_never_imports_experiments():
    code = "import sys, hfy_reference; print('experiments' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "False"
    assert get("mil").name == "mil"
