r"""Image retrieval: capacity (success against the number of stored images) and
robustness (success against the noise and the masking of the queries).

Protocol
--------
``N`` images drawn without replacement from scikit-learn's 8×8 digits, scaled to
``[-1, 1]^{64}``, are stored; a query is a stored image ``x_i`` plus Gaussian noise of
standard deviation ``σ``, with its bottom rows masked to 0 (the mid grey).  Every model
makes at most ``steps`` updates (``retrieve(q0, max_iter=steps)``); a query succeeds when
``cos(q_T, target(x_i)) > 0.9``, ``target`` being what exact retrieval of ``x_i`` returns
(``x_i`` itself; ``ŷ_Ψ(x_i)`` for a post-transformation Ψ; ``sign(x_i)`` for the
sign-based models, which store ``sign(X)``).

* ``retrieval-capacity``: ``N`` varies; ``σ = 0.1`` and the bottom half masked.
* ``retrieval-robustness``: ``N = 100``; ``σ`` varies (no mask), then the masked
  fraction of rows varies (no noise).

The HFY networks use ``β = 1`` (scores ``x_j^T q`` of order 10-50 for these images).
Models: the classical Hopfield network, polynomial (n = 3) and exponential dense
associative memories, and softmax / 1.5-entmax / sparsemax / 2- and 5-normmax with
Ψ ∈ {½‖·‖², ℓ2, layer norm}; ℓ2 and layer normalization return vectors of norm
``√D = 8``, the scale of the images.
"""

from __future__ import annotations

import numpy as np

from ._common import (
    ALL_MODELS,
    CLASSICAL_MODELS,
    MAPS,
    POSTS,
    Experiment,
    cosine,
    digits,
    format_table,
    make_model,
    mean_std,
    model_label,
)
from ._executor import task_seed

__all__ = ["CAPACITY", "ROBUSTNESS", "corrupt", "run_task"]

_SUCCESS_COS = 0.9
_SIDE = 8  # the digits are 8×8


def corrupt(X: np.ndarray, sigma: float, mask_frac: float, rng: np.random.Generator):
    """Queries: ``X`` plus N(0, σ²) noise, the bottom ``round(8 mask_frac)`` pixel rows
    set to 0 (images of 8×8 pixels, row-major)."""
    Q = X + sigma * rng.standard_normal(X.shape) if sigma > 0 else X.copy()
    rows = int(round(_SIDE * mask_frac))
    if rows:
        Q[:, (_SIDE - rows) * _SIDE:] = 0.0
    return Q


def run_task(task: dict) -> dict:
    """One model on one draw of stored images and queries: the success rate and the
    mean cosine of the retrieved states."""
    Xall, _ = digits()
    rng = np.random.default_rng(task["data_seed"])
    N = task["N"]
    idx = rng.choice(Xall.shape[0], size=N, replace=False)
    X = Xall[idx]
    qi = np.sort(rng.choice(N, size=min(N, task["n_queries"]), replace=False))
    Q = corrupt(X[qi], task["sigma"], task["mask"], rng)
    model, target = make_model(task["model"], X, task["beta"])
    res = model.retrieve(Q, max_iter=task["steps"])
    cos = cosine(res.q, target(X[qi]))
    return {"success": float(np.mean(cos > _SUCCESS_COS)), "cos": float(np.mean(cos))}


# ---------------------------------------------------------------------------------
# retrieval-capacity
# ---------------------------------------------------------------------------------
class _Capacity(Experiment):
    name = "retrieval-capacity"
    description = "success rate against the number of stored digit images"
    run_task = staticmethod(run_task)
    full = {"Ns": [10, 20, 50, 100, 200, 500, 1000, 1797], "reps": 5, "n_queries": 100,
            "sigma": 0.1, "mask": 0.5, "beta": 1.0, "steps": 5, "models": list(ALL_MODELS)}
    quick = {**full, "Ns": [10, 100, 1000], "reps": 1, "n_queries": 30}
    needs = ("sklearn",)

    def make_tasks(self, s: dict, seed: int) -> list[dict]:
        return [{"rep": r, "N": N, "model": m, "data_seed": task_seed(seed, r, iN),
                 "n_queries": s["n_queries"], "sigma": s["sigma"], "mask": s["mask"],
                 "beta": s["beta"], "steps": s["steps"]}
                for r in range(s["reps"]) for iN, N in enumerate(s["Ns"])
                for m in s["models"]]

    def summarize(self, s, tasks, results) -> dict:
        rates = {m: {} for m in s["models"]}
        for t, r in zip(tasks, results, strict=True):
            rates[t["model"]].setdefault(t["N"], []).append(r["success"])
        summ = {m: {str(N): mean_std(v) for N, v in d.items()} for m, d in rates.items()}
        rows = [[model_label(m)] + [f"{summ[m][str(N)][0]:.2f}" for N in s["Ns"]]
                for m in s["models"]]
        table = format_table(["model"] + [f"N={N}" for N in s["Ns"]], rows)
        return {"success_rate": summ, "table": table}

    def plot(self, s, summary):
        return _curves(s["models"], s["Ns"], [summary["success_rate"]],
                       ["number of stored images N"], log=True,
                       title="retrieval capacity (σ = {}, bottom half masked)".format(
                           s["sigma"]))


# ---------------------------------------------------------------------------------
# retrieval-robustness
# ---------------------------------------------------------------------------------
class _Robustness(Experiment):
    name = "retrieval-robustness"
    description = "success rate against query noise and masking"
    run_task = staticmethod(run_task)
    full = {"N": 100, "sigmas": [0.0, 0.25, 0.5, 1.0, 1.5, 2.0],
            "masks": [0.0, 0.25, 0.5, 0.75], "reps": 5, "n_queries": 100, "beta": 1.0,
            "steps": 5, "models": list(ALL_MODELS)}
    quick = {**full, "sigmas": [0.0, 0.5, 1.5], "masks": [0.25, 0.75], "reps": 1,
             "n_queries": 30}
    needs = ("sklearn",)

    def make_tasks(self, s: dict, seed: int) -> list[dict]:
        common = {"N": s["N"], "n_queries": s["n_queries"], "beta": s["beta"],
                  "steps": s["steps"]}
        tasks = []
        for r in range(s["reps"]):
            # the same stored images and noise draws for every corruption level
            ds = task_seed(seed, r)
            for m in s["models"]:
                tasks += [{"rep": r, "model": m, "kind": "noise", "sigma": sg, "mask": 0.0,
                           "data_seed": ds, **common} for sg in s["sigmas"]]
                tasks += [{"rep": r, "model": m, "kind": "mask", "sigma": 0.0, "mask": mk,
                           "data_seed": ds, **common} for mk in s["masks"]]
        return tasks

    def summarize(self, s, tasks, results) -> dict:
        acc: dict = {"noise": {m: {} for m in s["models"]}, "mask": {m: {} for m in s["models"]}}
        for t, r in zip(tasks, results, strict=True):
            lvl = t["sigma"] if t["kind"] == "noise" else t["mask"]
            acc[t["kind"]][t["model"]].setdefault(lvl, []).append(r["success"])
        summ = {k: {m: {str(lvl): mean_std(v) for lvl, v in d.items()}
                    for m, d in acc[k].items()} for k in acc}
        rows = [[model_label(m)]
                + [f"{summ['noise'][m][str(sg)][0]:.2f}" for sg in s["sigmas"]]
                + [f"{summ['mask'][m][str(mk)][0]:.2f}" for mk in s["masks"]]
                for m in s["models"]]
        table = format_table(["model"] + [f"σ={sg:g}" for sg in s["sigmas"]]
                             + [f"mask {mk:g}" for mk in s["masks"]], rows)
        return {"success_rate": summ, "table": table}

    def plot(self, s, summary):
        return _curves(s["models"], None, [summary["success_rate"]["noise"],
                                           summary["success_rate"]["mask"]],
                       ["query noise σ", "masked fraction of rows"], log=False,
                       title=f"retrieval robustness (N = {s['N']})",
                       xs_list=[s["sigmas"], s["masks"]])


CAPACITY = _Capacity()
ROBUSTNESS = _Robustness()


def _curves(models, xs, summaries, xlabels, *, log, title, xs_list=None):
    """One row of panels per summary, one panel per Ψ; the sign models in every panel."""
    from matplotlib.figure import Figure

    xs_list = xs_list or [xs] * len(summaries)
    posts = [p for p in POSTS if any(m.endswith("/" + p) for m in models)] or ["id"]
    fig = Figure(figsize=(3.2 * len(posts), 2.6 * len(summaries)), layout="constrained")
    axes = fig.subplots(len(summaries), len(posts), squeeze=False, sharey=True)
    colors = dict(zip(MAPS, ["C0", "C1", "C2", "C3", "C4"], strict=True))
    greys = dict(zip(CLASSICAL_MODELS, ["0.2", "0.45", "0.7"], strict=True))
    for row, (summ, xs_r, xl) in enumerate(zip(summaries, xs_list, xlabels, strict=True)):
        for col, p in enumerate(posts):
            ax = axes[row, col]
            for m in models:
                if m in CLASSICAL_MODELS:
                    kw = {"color": greys[m], "ls": "--"}
                elif m.endswith("/" + p):
                    kw = {"color": colors.get(m.split("/")[0], "k")}
                else:
                    continue
                y = [summ[m][str(x)][0] for x in xs_r]
                ax.plot(xs_r, y, marker="o", ms=3, lw=1.2, label=model_label(m), **kw)
            if log:
                ax.set_xscale("log")
            ax.set_ylim(-0.03, 1.03)
            ax.set_xlabel(xl)
            if col == 0:
                ax.set_ylabel("success rate (cos > 0.9)")
            ax.set_title({"id": "Ψ = ½‖·‖²", "l2": "Ψ = ℓ2 norm.", "ln": "Ψ = layer norm"}[p],
                         fontsize=9)
            ax.grid(alpha=0.3)
            if row == 0:
                ax.legend(fontsize=6, loc="best")
    fig.suptitle(title, fontsize=10)
    return fig
