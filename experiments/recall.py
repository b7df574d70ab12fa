r"""Memory recall: free recall (every stored item once, in any order) and sequential
recall (the stored order), by iterating HFY updates with per-memory score changes.

Patterns: ``N`` random unit vectors in ``R^D`` (Gaussian, normalized), stored in the
order ``0, ..., N-1``; inverse temperature ``β``.  A run makes ``N`` recall steps from
a cue ``q_0``; step ``t`` computes

.. math::

    z_t = \beta X q_t - \lambda\, r_t, \qquad p_t = \hat y_\Omega(z_t), \qquad
    q_{t+1} = X^\top p_t / \textstyle\sum_i p_{t,i},

where ``r_t`` is the 0/1 indicator of the items recalled so far (the *penalty on
recalled items*, strength ``λ``), and recalls the item ``argmax_i p_{t,i}`` (ties --
SparseMAP returns vertices with equal marginals -- broken by the larger score
``z_{t,i}``, then by the lower index).

* ``free-recall``: cue ``q_0`` a random unit vector; metric the *unique-memory ratio*,
  distinct items recalled over ``N``.  Maps: softmax, 1.5-entmax, sparsemax, 2- and
  5-normmax with the penalty; and, without a penalty, constrained sparsemax with
  *fertility budgets*: every item starts with budget ``u_i = f``, step ``t`` computes
  ``p_t = argmin_{p ∈ △, p ≤ u_t} ‖p - βXq_t‖²`` and spends it, ``u_{t+1} = u_t - p_t``
  (clipped at 0; the budgets sum to ``fN - t``, renormalized by the rounding
  amount if that drops below 1).
* ``sequential-recall``: cue ``q_0 = x_0``; metrics ``1 - d(r, (0..N-1)) / N`` with ``d``
  the Levenshtein distance between the recalled sequence ``r`` and the stored order,
  and the unique-memory ratio.  Maps: SparseMAP sequential 2-subsets (pairwise score
  ``w`` for consecutive items, which retrieve the pair (current, next)), plain
  2-subsets (``w = 0``) and the simplex maps, all with the penalty.  For sequential
  2-subsets at the state ``q = (x_{c-1} + x_c)/2`` the pair ``(c, c+1)`` beats
  ``(c-1, c)`` iff ``λ > β(1 + x_{c-1}^T x_c)/2 - β x_{c+1}^T q``, about ``β/2``.
"""

from __future__ import annotations

import numpy as np

from hfy_reference import constrained_sparsemax

from ._common import (
    MAPS,
    Experiment,
    format_table,
    make_regularizer,
    mean_std,
    model_label,
    normalized_levenshtein_score,
    unique_ratio,
)
from ._executor import task_seed

__all__ = ["FREE", "SEQUENTIAL", "recall_run", "random_patterns", "run_task"]


def random_patterns(N: int, D: int, rng: np.random.Generator) -> np.ndarray:
    """``N`` independent uniform points of the unit sphere in ``R^D``."""
    X = rng.standard_normal((N, D))
    return X / np.linalg.norm(X, axis=1, keepdims=True)


def _pick(p: np.ndarray, z: np.ndarray) -> int:
    """``argmax p``, ties broken by the larger ``z`` (then the lower index).

    Entries within ``8 eps`` of the largest count as tied: SparseMAP's marginals at a
    vertex are exact to 1-2 ulps, not necessarily bit-equal.
    """
    pmax = p.max()
    top = np.flatnonzero(p >= pmax - 8 * np.finfo(np.float64).eps * max(1.0, abs(pmax)))
    return int(top[np.argmax(z[top])])


def recall_run(X: np.ndarray, q0: np.ndarray, model: str, beta: float, penalty: float,
               fertility: float | None = None, steps: int | None = None) -> list[int]:
    """The recalled items of one run (see the module docstring).

    Parameters
    ----------
    X : ndarray (N, D)
    q0 : ndarray (D,)
    model : str
        A map name of :func:`experiments._common.make_regularizer`, or
        ``"constrained-sparsemax"`` (then ``fertility`` is the initial budget).
    beta, penalty : float
    steps : int, default N
    """
    N = X.shape[0]
    steps = N if steps is None else steps
    recalled: list[int] = []
    r = np.zeros(N)
    q = np.asarray(q0, dtype=np.float64)
    if model == "constrained-sparsemax":
        u = np.full(N, float(fertility))
        for _ in range(steps):
            z = beta * (X @ q)
            p = constrained_sparsemax(z, u)
            recalled.append(_pick(p, z))
            u = np.maximum(u - p, 0.0)
            tot = u.sum()
            if 0 < tot < 1:  # only by rounding: the budgets sum to f N - t >= 1
                u /= tot
            q = X.T @ p
        return recalled
    reg = make_regularizer(model)
    for _ in range(steps):
        z = beta * (X @ q) - penalty * r
        p = reg.argmax(z)
        i = _pick(p, z)
        recalled.append(i)
        r[i] = 1.0
        q = X.T @ p / p.sum()
    return recalled


def run_task(task: dict) -> dict:
    """One run: the unique-memory ratio and the order score."""
    rng = np.random.default_rng(task["data_seed"])
    X = random_patterns(task["N"], task["D"], rng)
    q0 = X[0] if task["cue"] == "first" else random_patterns(1, task["D"], rng)[0]
    rec = recall_run(X, q0, task["model"], task["beta"], task["penalty"],
                     task.get("fertility"))
    return {"recalled": rec, "unique": unique_ratio(rec, task["N"]),
            "order": normalized_levenshtein_score(rec, list(range(task["N"])))}


class _Recall(Experiment):
    run_task = staticmethod(run_task)
    needs: tuple[str, ...] = ()
    metric = "unique"

    def make_tasks(self, s: dict, seed: int) -> list[dict]:
        base = {"N": s["N"], "D": s["D"], "beta": s["beta"], "cue": self.cue}
        tasks = []
        for r in range(s["reps"]):
            ds = task_seed(seed, r)
            for m in s["models"]:
                for lam in s["penalties"]:
                    tasks.append({"rep": r, "model": m, "penalty": lam, "data_seed": ds,
                                  **base})
            for f in s.get("fertilities", []):
                tasks.append({"rep": r, "model": "constrained-sparsemax", "fertility": f,
                              "penalty": 0.0, "data_seed": ds, **base})
        return tasks

    def _key(self, t) -> str:
        if t["model"] == "constrained-sparsemax":
            return f"constrained sparsemax, fertility {t['fertility']:g}"
        return model_label(t["model"])

    def summarize(self, s, tasks, results) -> dict:
        vals: dict = {}
        for t, r in zip(tasks, results, strict=True):
            for metric in ("unique", "order"):
                vals.setdefault(metric, {}).setdefault(self._key(t), {}).setdefault(
                    str(t["penalty"]), []).append(r[metric])
        summ = {metric: {k: {lam: mean_std(v) for lam, v in d.items()}
                         for k, d in md.items()} for metric, md in vals.items()}
        lams = [str(float(lam)) for lam in s["penalties"]]
        tables = {}
        for metric in self.metrics:
            rows = []
            for k, d in summ[metric].items():
                rows.append([k] + [f"{d[lam][0]:.2f} ± {d[lam][1]:.2f}" if lam in d else "–"
                                   for lam in lams])
            tables[metric] = format_table(
                ["model"] + [f"λ={float(lam):g}" for lam in lams], rows)
        notes = []
        for metric in self.metrics[1:]:
            notes += ["", f"{self.metric_names[metric]}:", "", tables[metric]]
        return {"metrics": summ, "table": tables[self.metrics[0]], "tables": tables,
                "notes": notes}

    def plot(self, s, summary):
        from matplotlib.figure import Figure

        fig = Figure(figsize=(3.4 * len(self.metrics), 2.8), layout="constrained")
        axes = fig.subplots(1, len(self.metrics), squeeze=False)[0]
        lams = [float(x) for x in s["penalties"]]
        for ax, metric in zip(axes, self.metrics, strict=True):
            for k, d in summary["metrics"][metric].items():
                if len(d) == 1:
                    ax.axhline(next(iter(d.values()))[0], ls="--", lw=1, color="0.4",
                               label=k)
                    continue
                ax.errorbar(lams, [d[str(lam)][0] for lam in lams],
                            [d[str(lam)][1] for lam in lams], marker="o", ms=3, lw=1.2,
                            capsize=2, label=k)
            ax.set_xlabel("penalty λ on recalled items")
            ax.set_ylabel(self.metric_names[metric])
            ax.set_ylim(-0.03, 1.03)
            ax.grid(alpha=0.3)
        axes[0].legend(fontsize=6)
        fig.suptitle(f"{self.name} (N = {s['N']}, D = {s['D']}, β = {s['beta']:g}, "
                     f"{s['reps']} runs)", fontsize=10)
        return fig


class _Free(_Recall):
    name = "free-recall"
    description = "unique memories recalled: score penalty, or fertility budgets"
    cue = "random"
    metrics = ("unique",)
    metric_names = {"unique": "unique-memory ratio"}
    full = {"N": 20, "D": 256, "beta": 8.0, "penalties": [0.0, 1.0, 2.0, 4.0, 8.0, 16.0],
            "fertilities": [1.0, 2.0], "reps": 20, "models": list(MAPS)}
    quick = {**full, "penalties": [0.0, 2.0, 8.0], "reps": 3}


class _Sequential(_Recall):
    name = "sequential-recall"
    description = "recall of the stored order with sequential 2-subsets"
    cue = "first"
    metrics = ("order", "unique")
    metric_names = {"order": "1 - normalized Levenshtein distance",
                    "unique": "unique-memory ratio"}
    full = {"N": 20, "D": 256, "beta": 8.0, "penalties": [2.0, 4.0, 6.0, 8.0, 16.0],
            "reps": 20, "models": ["seqksubsets2:8", "seqksubsets2:4", "ksubsets2"]
            + list(MAPS)}
    quick = {**full, "penalties": [2.0, 8.0], "reps": 3}


FREE = _Free()
SEQUENTIAL = _Sequential()
