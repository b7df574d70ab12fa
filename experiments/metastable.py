r"""Metastable states: how many final states are mixtures of patterns, and how large.

Synthetic clustered data (no download): ``n_classes`` random ±1 prototypes in
``R^dim``; each stored pattern and each query is a prototype plus Gaussian noise
(standard deviation ``noise``), clipped to ``[-1, 1]``.  Every query makes at most
``steps`` updates of the HFY network ``HopfieldNetwork(X, Ω, β)`` (Ψ = ½‖·‖²); its final
weights ``p = ŷ_Ω(βXq)`` give the *support size* (entries ``> 0``; ``> 0.01`` for
softmax, which is dense): 1 is a single retrieved pattern, more is a metastable state,
a mixture of patterns.  Reported per map and ``β``: the mean support size, the
fraction of single-pattern states, and the number of distinct metastable states
(distinct final supports of size ≥ 2 among the queries).
"""

from __future__ import annotations

import numpy as np

from hfy_reference import HopfieldNetwork

from ._common import Experiment, format_table, make_regularizer, mean_std, model_label, support_size
from ._executor import task_seed

__all__ = ["METASTABLE", "clustered", "run_task", "support_stats"]


def clustered(n: int, dim: int, protos: np.ndarray, noise: float,
              rng: np.random.Generator) -> np.ndarray:
    """``n`` samples: a random prototype (row of ``protos``) plus N(0, noise²) noise,
    clipped to [-1, 1]."""
    cls = rng.integers(0, protos.shape[0], size=n)
    return np.clip(protos[cls] + noise * rng.standard_normal((n, dim)), -1.0, 1.0)


def run_task(task: dict) -> dict:
    """One map and β on one draw of patterns and queries: support-size statistics."""
    rng = np.random.default_rng(task["data_seed"])
    dim = task["dim"]
    protos = rng.choice([-1.0, 1.0], size=(task["n_classes"], dim))
    X = clustered(task["n_patterns"], dim, protos, task["noise"], rng)
    Q = clustered(task["n_queries"], dim, protos, task["noise"], rng)
    net = HopfieldNetwork(X, make_regularizer(task["map"]), beta=task["beta"])
    res = net.retrieve(Q, max_iter=task["steps"])
    return support_stats(res.p, task["map"] == "softmax", task["max_size"])


def support_stats(P: np.ndarray, softmax: bool, max_size: int) -> dict:
    """Statistics of the final weights ``P`` (one row per query): mean support size,
    fraction of single-pattern states, number of distinct supports of size >= 2, and
    the histogram of sizes ``1, ..., max_size`` and ``> max_size`` (size 0, possible
    only with softmax's threshold, is left out of the histogram)."""
    thr = 0.01 if softmax else 0.0
    sizes = support_size(P, softmax=softmax)
    meta = {tuple(np.flatnonzero(row > thr)) for row, k in zip(P, sizes, strict=True)
            if k >= 2}
    hist = np.bincount(np.minimum(sizes, max_size + 1), minlength=max_size + 2)[1:]
    return {"mean_size": float(sizes.mean()), "single": float(np.mean(sizes == 1)),
            "n_metastable": len(meta), "hist": hist.tolist()}


class _Metastable(Experiment):
    name = "metastable"
    description = "counts and sizes of metastable states per map against β"
    run_task = staticmethod(run_task)
    needs: tuple[str, ...] = ()
    full = {"betas": [0.01, 0.03, 0.1, 0.3, 1.0], "reps": 3, "n_patterns": 1000,
            "n_queries": 500, "dim": 64, "n_classes": 10, "noise": 1.0, "steps": 5,
            "max_size": 10, "maps": ["softmax", "entmax15", "sparsemax", "normmax2",
                                     "normmax5", "ksubsets2"]}
    quick = {**full, "betas": [0.1, 1.0], "reps": 1, "n_patterns": 300, "n_queries": 150}

    def make_tasks(self, s: dict, seed: int) -> list[dict]:
        keep = ("n_patterns", "n_queries", "dim", "n_classes", "noise", "steps", "max_size")
        return [{"rep": r, "beta": b, "map": m, "data_seed": task_seed(seed, r),
                 **{k: s[k] for k in keep}}
                for r in range(s["reps"]) for b in s["betas"] for m in s["maps"]]

    def summarize(self, s, tasks, results) -> dict:
        acc: dict = {}
        for t, r in zip(tasks, results, strict=True):
            d = acc.setdefault(t["map"], {}).setdefault(str(t["beta"]), {})
            for key in ("mean_size", "single", "n_metastable"):
                d.setdefault(key, []).append(r[key])
            d.setdefault("hist", []).append(r["hist"])
        summ = {m: {b: {"mean_size": mean_std(d["mean_size"]),
                        "single": mean_std(d["single"]),
                        "n_metastable": mean_std(d["n_metastable"]),
                        "hist": np.sum(d["hist"], axis=0).tolist()}
                    for b, d in bd.items()} for m, bd in acc.items()}
        rows = [[model_label(m)] + [
            f"{summ[m][str(b)]['mean_size'][0]:.2f} / {summ[m][str(b)]['single'][0]:.2f} / "
            f"{summ[m][str(b)]['n_metastable'][0]:.0f}" for b in s["betas"]]
            for m in s["maps"]]
        table = format_table(["map"] + [f"β={b:g}" for b in s["betas"]], rows)
        notes = ["", "cells: mean support size / fraction of single-pattern states / "
                 "distinct metastable states (mean over runs)"]
        return {"stats": summ, "table": table, "notes": notes}

    def plot(self, s, summary):
        from matplotlib.figure import Figure

        betas = s["betas"]
        fig = Figure(figsize=(2.4 * len(betas), 2.6), layout="constrained")
        axes = fig.subplots(1, len(betas), squeeze=False, sharey=True)[0]
        w = 0.8 / len(s["maps"])
        sizes = np.arange(1, s["max_size"] + 2)
        for ax, b in zip(axes, betas, strict=True):
            for i, m in enumerate(s["maps"]):
                h = np.asarray(summary["stats"][m][str(b)]["hist"], dtype=float)
                ax.bar(sizes + (i - len(s["maps"]) / 2 + 0.5) * w, h / h.sum(), w,
                       label=model_label(m))
            ax.set_title(f"β = {b:g}", fontsize=9)
            ax.set_xlabel("support size")
            ax.set_xticks(sizes, [str(k) for k in sizes[:-1]] + [f">{s['max_size']}"],
                          fontsize=6)
        axes[0].set_ylabel("fraction of queries")
        axes[0].legend(fontsize=6)
        fig.suptitle("metastable states: final support sizes", fontsize=10)
        return fig


METASTABLE = _Metastable()
