r"""K-MIL on scikit-learn's 8×8 digits with a Hopfield-Fenchel-Young pooling layer.

Task
----
A *bag* holds ``bag_size`` digit images; it is positive iff it holds at least ``K``
images of the target digit (9).  Half the bags are positive, with ``K`` to
``min(K + 2, bag_size)`` targets; the negative ones hold ``0`` to ``K - 1`` targets (so
for ``K > 1`` a negative bag can hold ``K - 1`` of them: counting matters).  Training and
test bags are built from disjoint halves of the 1797 images.

Model
-----
Each instance ``x_j`` (64 pixels in [-1, 1]) is embedded as ``h_j = tanh(W x_j + b)``
(``d`` dimensions).  The pooling layer is one HFY update with a learned query ``q``
over the bag's embeddings ``H`` (rows ``h_j``):

.. math::

    \text{pool}(H) = H^\top \hat y_\Omega(\beta H q) / s, \qquad
    \text{logit} = v^\top \text{pool}(H) + c,

``s = k`` for SparseMAP k-subsets (the average of the ``k`` retrieved embeddings),
``s = 1`` for the maps onto the simplex; ``β = 1`` (the scale of ``q`` is learned).
The loss is the mean logistic loss plus ``wd/2 ‖θ‖²``; it is minimized full-batch by
``scipy.optimize.minimize(method="L-BFGS-B")`` on the exact gradient, whose only
non-elementary factor is ``J_Ω(z)^T g``, the library's exact Jacobian product
``reg.vjp(z, g)``.  Each task first checks that gradient against (Richardson-extrapolated
central) finite differences along random directions (the error relative to the
gradient's norm is recorded in the results as ``fd_rel_err``).

Maps: those of the talk's table -- softmax, 1.5-entmax, sparsemax, 2- and 5-normmax,
SparseMAP k-subsets with k ∈ {2, 3, 5} -- for K ∈ {1, 2, 3, 5}, over several seeds;
a seed fixes the bags and the initial parameters, shared by all maps (paired
comparison).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit

from ._common import Experiment, digits, format_table, make_regularizer, mean_std, model_label
from ._executor import task_seed

__all__ = ["MIL", "make_bags", "loss_and_grad", "init_params", "fit", "run_task",
           "MIL_MAPS"]

MIL_MAPS: tuple[str, ...] = ("softmax", "entmax15", "sparsemax", "normmax2", "normmax5",
                             "ksubsets2", "ksubsets3", "ksubsets5")
TARGET = 9


def make_bags(X: np.ndarray, y: np.ndarray, n_bags: int, bag_size: int, K: int,
              rng: np.random.Generator, target: int = TARGET):
    """``(bags (n_bags, bag_size, D), labels (n_bags,), n_targets (n_bags,),
    is_target (n_bags, bag_size))``: half positive (K .. min(K+2, bag_size) targets),
    half negative (0 .. K-1 targets), instances drawn with replacement from ``X``."""
    if not 1 <= K <= bag_size:
        raise ValueError(f"K must be in [1, bag_size = {bag_size}]; got {K}")
    tgt = np.flatnonzero(y == target)
    other = np.flatnonzero(y != target)
    labels = np.zeros(n_bags, dtype=np.int64)
    labels[: n_bags // 2 + n_bags % 2] = 1
    labels = rng.permutation(labels)
    hi = min(K + 2, bag_size)
    n_t = np.where(labels == 1, rng.integers(K, hi + 1, size=n_bags),
                   rng.integers(0, K, size=n_bags))
    bags = np.empty((n_bags, bag_size, X.shape[1]))
    is_t = np.zeros((n_bags, bag_size), dtype=bool)
    for i in range(n_bags):
        idx = np.concatenate([rng.choice(tgt, n_t[i]), rng.choice(other, bag_size - n_t[i])])
        perm = rng.permutation(bag_size)
        bags[i] = X[idx[perm]]
        is_t[i] = (np.arange(bag_size) < n_t[i])[perm]
    return bags, labels, n_t, is_t


def _sizes(d: int, D: int) -> list[tuple[str, tuple[int, ...]]]:
    return [("W", (d, D)), ("b", (d,)), ("q", (d,)), ("v", (d,)), ("c", (1,))]


def _unpack(theta: np.ndarray, d: int, D: int) -> dict:
    out, o = {}, 0
    for name, shape in _sizes(d, D):
        n = int(np.prod(shape))
        out[name] = theta[o:o + n].reshape(shape)
        o += n
    return out


def init_params(d: int, D: int, rng: np.random.Generator) -> np.ndarray:
    """Small random initial parameters (``q`` small, so every map starts near uniform)."""
    parts = {"W": rng.standard_normal((d, D)) / np.sqrt(D), "b": np.zeros(d),
             "q": 0.1 * rng.standard_normal(d), "v": rng.standard_normal(d) / np.sqrt(d),
             "c": np.zeros(1)}
    return np.concatenate([parts[n].ravel() for n, _ in _sizes(d, D)])


def _forward(theta, bags, reg, s, beta, d):
    p = _unpack(theta, d, bags.shape[2])
    H = np.tanh(bags @ p["W"].T + p["b"])                 # (B, n, d)
    Z = beta * (H @ p["q"])                               # (B, n)
    P = reg.argmax(Z)                                     # (B, n)
    pooled = np.einsum("bn,bnd->bd", P, H) / s            # (B, d)
    logit = pooled @ p["v"] + p["c"][0]
    return p, H, Z, P, pooled, logit


def loss_and_grad(theta: np.ndarray, bags: np.ndarray, labels: np.ndarray, reg,
                  s: float, beta: float, d: int, wd: float) -> tuple[float, np.ndarray]:
    """The training objective and its exact gradient (backpropagation by hand; the
    map's Jacobian enters only through ``reg.vjp``)."""
    p, H, Z, P, pooled, logit = _forward(theta, bags, reg, s, beta, d)
    B = bags.shape[0]
    loss = float(np.mean(np.logaddexp(0.0, logit) - labels * logit)
                 + 0.5 * wd * theta @ theta)
    gl = (expit(logit) - labels) / B                      # d loss / d logit
    gv = pooled.T @ gl
    gc = np.array([gl.sum()])
    gpool = gl[:, None] * p["v"][None, :]                 # (B, d)
    gP = np.einsum("bnd,bd->bn", H, gpool) / s            # (B, n)
    gH = P[:, :, None] * gpool[:, None, :] / s
    gZ = reg.vjp(Z, gP)                                   # J_Omega(z)^T g, exact
    gq = beta * np.einsum("bn,bnd->d", gZ, H)
    gH += beta * gZ[:, :, None] * p["q"][None, None, :]
    gA = gH * (1.0 - H * H)
    gW = np.einsum("bnd,bnD->dD", gA, bags)
    gb = gA.sum(axis=(0, 1))
    g = np.concatenate([gW.ravel(), gb, gq, gv, gc]) + wd * theta
    return loss, g


def fd_check(theta, args, rng, n_dirs: int = 3, eps: float = 1e-5) -> float:
    """Largest error of the directional derivative ``g·u`` against finite differences
    over ``n_dirs`` random unit directions ``u``, relative to ``‖g‖`` (the largest
    ``|g·u|`` can be).

    The difference is central and Richardson-extrapolated,
    ``(4 D(ε/2) - D(ε)) / 3`` with ``D(h) = (f(θ+hu) - f(θ-hu)) / 2h``, which cancels the
    ``h²`` term: near the edge of its support 5-normmax has third derivatives large
    enough that plain central differences at ``ε = 1e-5`` are off by up to 2e-6 (an
    error that shrinks as ``ε²``), while the extrapolated ones reach the rounding floor,
    about 1e-11 here.
    """
    _, g = loss_and_grad(theta, *args)
    scale = max(float(np.linalg.norm(g)), 1e-300)

    def central(u, h):
        fp = loss_and_grad(theta + h * u, *args)[0]
        fm = loss_and_grad(theta - h * u, *args)[0]
        return (fp - fm) / (2 * h)

    worst = 0.0
    for _ in range(n_dirs):
        u = rng.standard_normal(theta.size)
        u /= np.linalg.norm(u)
        fd = (4.0 * central(u, eps / 2) - central(u, eps)) / 3.0
        worst = max(worst, abs(fd - float(g @ u)) / scale)
    return worst


def fit(bags, labels, reg, *, s, beta, d, wd, maxiter, theta0):
    """L-BFGS-B, full batch; returns ``(theta, scipy result)``."""
    args = (bags, labels, reg, s, beta, d, wd)
    res = minimize(loss_and_grad, theta0, args=args, jac=True, method="L-BFGS-B",
                   options={"maxiter": maxiter})
    return res.x, res


def _scale(name: str) -> float:
    return float(name[len("ksubsets"):]) if name.startswith("ksubsets") else 1.0


def run_task(task: dict) -> dict:
    """Train one pooling map for one K and seed; test accuracy and pooling statistics."""
    X, y = digits()
    rng = np.random.default_rng(task["data_seed"])
    half = rng.permutation(X.shape[0])
    tr, te = half[: X.shape[0] // 2], half[X.shape[0] // 2:]
    K, n = task["K"], task["bag_size"]
    Btr, ytr, _, _ = make_bags(X[tr], y[tr], task["n_train"], n, K, rng)
    Bte, yte, nte, tte = make_bags(X[te], y[te], task["n_test"], n, K, rng)
    d = task["d"]
    theta0 = init_params(d, X.shape[1], rng)
    reg = make_regularizer(task["map"])
    s = _scale(task["map"])
    beta, wd = task["beta"], task["wd"]
    sub = slice(0, min(32, Btr.shape[0]))
    fd = fd_check(theta0, (Btr[sub], ytr[sub], reg, s, beta, d, wd),
                  np.random.default_rng(task["data_seed"] + 1))
    theta, res = fit(Btr, ytr, reg, s=s, beta=beta, d=d, wd=wd,
                     maxiter=task["maxiter"], theta0=theta0)
    _, _, _, Pte, _, logit = _forward(theta, Bte, reg, s, beta, d)
    _, _, _, _, _, logit_tr = _forward(theta, Btr, reg, s, beta, d)
    pos = yte == 1
    supp = (Pte > (0.01 if task["map"] == "softmax" else 0.0)).sum(axis=1)
    on_t = (Pte * tte).sum(axis=1) / Pte.sum(axis=1)
    return {
        "test_acc": float(np.mean((logit > 0) == (yte == 1))),
        "train_acc": float(np.mean((logit_tr > 0) == (ytr == 1))),
        "loss": float(res.fun), "n_iter": int(res.nit), "fd_rel_err": fd,
        "support_pos": float(supp[pos].mean()), "targets_pos": float(nte[pos].mean()),
        "weight_on_targets_pos": float(on_t[pos].mean()),
    }


class _MIL(Experiment):
    name = "mil"
    description = "K-MIL on digit bags; pooling = one HFY update with a learned query"
    run_task = staticmethod(run_task)
    full = {"Ks": [1, 2, 3, 5], "maps": list(MIL_MAPS), "reps": 5, "bag_size": 10,
            "n_train": 400, "n_test": 400, "d": 16, "beta": 1.0, "wd": 1e-3,
            "maxiter": 300}
    quick = {**full, "reps": 1, "n_train": 80, "n_test": 200, "d": 8, "maxiter": 40}
    needs = ("sklearn",)

    def make_tasks(self, s: dict, seed: int) -> list[dict]:
        keep = ("bag_size", "n_train", "n_test", "d", "beta", "wd", "maxiter")
        return [{"rep": r, "K": K, "map": m, "data_seed": task_seed(seed, r, K),
                 **{k: s[k] for k in keep}}
                for r in range(s["reps"]) for K in s["Ks"] for m in s["maps"]]

    def summarize(self, s, tasks, results) -> dict:
        acc: dict = {m: {K: [] for K in s["Ks"]} for m in s["maps"]}
        supp: dict = {m: {K: [] for K in s["Ks"]} for m in s["maps"]}
        wt: dict = {m: {K: [] for K in s["Ks"]} for m in s["maps"]}
        for t, r in zip(tasks, results, strict=True):
            acc[t["map"]][t["K"]].append(100 * r["test_acc"])
            supp[t["map"]][t["K"]].append(r["support_pos"])
            wt[t["map"]][t["K"]].append(r["weight_on_targets_pos"])
        A = {m: {str(K): mean_std(v) for K, v in d.items()} for m, d in acc.items()}
        S = {m: {str(K): mean_std(v) for K, v in d.items()} for m, d in supp.items()}
        Wt = {m: {str(K): mean_std(v) for K, v in d.items()} for m, d in wt.items()}
        def cell(mu_sd):  # one seed: no spread to show
            return f"{mu_sd[0]:.1f}" if s["reps"] == 1 else f"{mu_sd[0]:.1f} ± {mu_sd[1]:.1f}"

        rows = [[model_label(m)] + [cell(A[m][str(K)]) for K in s["Ks"]] for m in s["maps"]]
        table = format_table(["pooling map"] + [f"K={K}" for K in s["Ks"]], rows)
        rows2 = [[model_label(m)] + [f"{S[m][str(K)][0]:.2f} / {Wt[m][str(K)][0]:.2f}"
                                     for K in s["Ks"]] for m in s["maps"]]
        table2 = format_table(["pooling map"] + [f"K={K}" for K in s["Ks"]], rows2)
        notes = ["", "Support size / weight on target instances, positive test bags:", "",
                 table2, ""] + _claims(s, A, acc)
        fd = max(r["fd_rel_err"] for r in results)
        notes.append(f"largest relative error of the gradient against finite differences: "
                     f"{fd:.1e}")
        return {"accuracy": A, "support_pos": S, "weight_on_targets_pos": Wt,
                "table": table, "table_support": table2, "notes": notes,
                "max_fd_rel_err": fd}

    def plot(self, s, summary):
        from matplotlib.figure import Figure

        fig = Figure(figsize=(6.4, 3.0), layout="constrained")
        ax = fig.subplots()
        Ks = s["Ks"]
        w = 0.8 / len(s["maps"])
        for i, m in enumerate(s["maps"]):
            mu = [summary["accuracy"][m][str(K)][0] for K in Ks]
            sd = [summary["accuracy"][m][str(K)][1] for K in Ks]
            ax.bar(np.arange(len(Ks)) + (i - len(s["maps"]) / 2 + 0.5) * w, mu, w,
                   yerr=sd, label=model_label(m), capsize=1.5)
        ax.set_xticks(np.arange(len(Ks)), [f"K={K}" for K in Ks])
        lo = min(summary["accuracy"][m][str(K)][0] for m in s["maps"] for K in Ks)
        ax.set_ylim(max(0.0, lo - 10), 100.5)
        ax.set_ylabel("test accuracy (%)")
        ax.legend(fontsize=6, ncol=4, loc="lower left")
        ax.set_title(f"K-MIL on digits (bags of {s['bag_size']}, {s['reps']} seed(s))",
                     fontsize=10)
        return fig


_SIMPLEX = ("softmax", "entmax15", "sparsemax", "normmax2", "normmax5")


def _claims(s, A, per_seed=None) -> list[str]:
    """What the table says about the talk's two claims, in words.

    ``A[map][K] = (mean, std)``; ``per_seed[map][K]`` the accuracies in seed order
    (paired differences between maps are then reported).
    """
    out = []
    Ks = s["Ks"]
    maps = s["maps"]
    simplex = [m for m in maps if m in _SIMPLEX]
    for K in Ks:
        order = sorted(maps, key=lambda m: -A[m][str(K)][0])
        ranks = {m: order.index(m) + 1 for m in maps}
        nm = [f"{model_label(m)} #{ranks[m]}" for m in ("normmax2", "normmax5") if m in maps]
        line = (f"K={K}: best {model_label(order[0])} ({A[order[0]][str(K)][0]:.1f}); "
                f"normmax ranks: {', '.join(nm)} of {len(maps)}")
        if simplex:
            sbest = max(simplex, key=lambda m: A[m][str(K)][0])
            line += f"; best map onto the simplex: {model_label(sbest)}"
        out.append(line)
    ks = [m for m in maps if m.startswith("ksubsets")]
    for K in Ks:
        if K == 1 or f"ksubsets{K}" not in ks:
            continue
        best = max(ks, key=lambda m: A[m][str(K)][0])
        mk, sk = A[f"ksubsets{K}"][str(K)]
        mb, sb = A[best][str(K)]
        if best == f"ksubsets{K}":
            verdict = "k = K is the best k-subsets"
            others = [m for m in ks if m != best]
            if others and per_seed is not None:
                nxt = max(others, key=lambda m: A[m][str(K)][0])
                diff = np.subtract(per_seed[best][K], per_seed[nxt][K])
                dm, ds = mean_std(diff)
                verdict += (f" (over {model_label(nxt)}: {dm:+.1f} ± {ds:.1f} points, "
                            f"paired over {diff.size} seed(s), better in "
                            f"{int(np.sum(diff > 0))}/{diff.size})")
        else:
            verdict = (f"k = K is not the best k-subsets ({model_label(best)}: {mb:.1f} ± "
                       f"{sb:.1f} vs {mk:.1f} ± {sk:.1f})")
        out.append(f"K={K}: {verdict}")
    return out


MIL = _MIL()
