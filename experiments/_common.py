"""Shared pieces of the experiments: the models compared, data, metrics, tables, output.

Models are named by short strings (they travel inside the tasks, which must pickle and
serialize to JSON) and built on demand from the library's classes.
"""

from __future__ import annotations

import functools
import json
import math
import os
from collections.abc import Sequence

import numpy as np

from hfy_reference import (
    ClassicalHopfield,
    DenseAssociativeMemory,
    HopfieldNetwork,
    KSubsets,
    L2Ball,
    LayerNorm,
    NormEntropy,
    SequentialKSubsets,
    Shannon,
    Tsallis,
)

__all__ = [
    "MAPS", "MAP_LABELS", "POSTS", "HFY_MODELS", "CLASSICAL_MODELS", "ALL_MODELS",
    "make_regularizer", "make_model", "model_label", "digits", "cosine",
    "levenshtein", "normalized_levenshtein_score", "unique_ratio", "support_size",
    "mean_std", "format_table", "write_json", "SOFTMAX_THRESHOLD", "Experiment",
]

#: The maps of the papers' tables, by short name.
MAPS: tuple[str, ...] = ("softmax", "entmax15", "sparsemax", "normmax2", "normmax5")
MAP_LABELS = {
    "softmax": "softmax", "entmax15": "1.5-entmax", "sparsemax": "sparsemax",
    "normmax2": "2-normmax", "normmax5": "5-normmax",
}
#: The post-transformations Ψ: identity (Ψ = ½‖·‖²), ℓ2 and layer normalization.
POSTS: tuple[str, ...] = ("id", "l2", "ln")
POST_LABELS = {"id": "Ψ=id", "l2": "Ψ=ℓ2", "ln": "Ψ=LN"}
HFY_MODELS: tuple[str, ...] = tuple(f"{m}/{p}" for p in POSTS for m in MAPS)
CLASSICAL_MODELS: tuple[str, ...] = ("classical", "dam-poly3", "dam-exp")
ALL_MODELS: tuple[str, ...] = CLASSICAL_MODELS + HFY_MODELS

class Experiment:
    """The interface every experiment implements (one module-level instance each).

    Attributes
    ----------
    name, description : str
    full, quick : dict
        The default settings and the small ones of ``--quick``.
    needs : tuple of str
        Optional modules it imports (checked by the CLI before any work).

    Methods
    -------
    make_tasks(settings, seed) -> list of dict
        The sweep: independent tasks, each with its own seed.
    run_task(task) -> dict
        A pure function of the task (module-level, so that it pickles).
    summarize(settings, tasks, results) -> dict
        ``{"table": str, "notes": [str], ...}`` (JSON-serializable).
    plot(settings, summary) -> matplotlib.figure.Figure
    """

    name = ""
    description = ""
    full: dict = {}
    quick: dict = {}
    needs: tuple[str, ...] = ()

    def __repr__(self):
        return f"<experiment {self.name!r}: {self.description}>"


#: Softmax weights counted in its "support" (it is never sparse).
SOFTMAX_THRESHOLD = 0.01


def make_regularizer(name: str):
    """The regularizer of a map name: ``softmax``, ``entmax15``, ``sparsemax``,
    ``normmax2``, ``normmax5``, ``ksubsets<k>``, ``seqksubsets<k>:<w>``."""
    fixed = {"softmax": Shannon(), "entmax15": Tsallis(1.5), "sparsemax": Tsallis(2.0),
             "normmax2": NormEntropy(2.0), "normmax5": NormEntropy(5.0)}
    if name in fixed:
        return fixed[name]
    if name.startswith("ksubsets"):
        return KSubsets(int(name[len("ksubsets"):]))
    if name.startswith("seqksubsets"):
        k, w = name[len("seqksubsets"):].split(":")
        return SequentialKSubsets(int(k), float(w))
    raise ValueError(f"unknown map {name!r}")


def model_label(name: str) -> str:
    """A readable label: ``"sparsemax/l2"`` -> ``"sparsemax, Ψ=ℓ2"``."""
    if name == "classical":
        return "classical HN"
    if name.startswith("dam-poly"):
        return f"poly DAM (n={name[len('dam-poly'):]})"
    if name == "dam-exp":
        return "exp DAM"
    if "/" in name:
        m, p = name.split("/")
        return f"{MAP_LABELS.get(m, m)}, {POST_LABELS[p]}"
    if name.startswith("ksubsets"):
        return f"{name[len('ksubsets'):]}-subsets"
    if name.startswith("seqksubsets"):
        k, w = name[len("seqksubsets"):].split(":")
        return f"seq. {k}-subsets (w={w})"
    return MAP_LABELS.get(name, name)


def _post(p: str, D: int):
    # ℓ2 and layer normalization both return vectors of norm sqrt(D), the scale of
    # patterns in [-1, 1]^D
    return {"id": None, "l2": L2Ball(radius=math.sqrt(D)), "ln": LayerNorm()}[p]


def make_model(name: str, X: np.ndarray, beta: float):
    """``(model, target_fn)``: the memory storing ``X`` and the map from a stored
    pattern to the state that counts as retrieving it.

    The sign-based models (classical Hopfield, dense associative memories) store the
    binarized patterns ``sign(X)`` (0 -> +1) and are judged against them; an HFY network
    with post-transformation Ψ is judged against ``ŷ_Ψ(x_i)`` -- its fixed point when
    it retrieves ``x_i`` exactly (``x_i`` itself for Ψ = ½‖·‖², ``x_i`` rescaled for ℓ2,
    standardized for layer normalization).
    """
    if name in CLASSICAL_MODELS:
        Xs = np.where(X >= 0, 1.0, -1.0)
        if name == "classical":
            model = ClassicalHopfield(Xs)
        elif name == "dam-exp":
            model = DenseAssociativeMemory(Xs, "exp")
        else:
            model = DenseAssociativeMemory(Xs, "poly", float(name[len("dam-poly"):]))
        return model, (lambda P: np.where(P >= 0, 1.0, -1.0))
    m, p = name.split("/")
    post = _post(p, X.shape[1])
    model = HopfieldNetwork(X, make_regularizer(m), beta=beta, post=post)
    return model, (lambda P: P if post is None else post.argmax(P))


def digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 8×8 digits (shipped with the package, no download): ``(X, y)``
    with ``X`` (1797, 64) scaled from [0, 16] to [-1, 1] (fresh copies; loaded once per
    process)."""
    X, y = _digits()
    return X.copy(), y.copy()


@functools.lru_cache(maxsize=1)
def _digits():
    from sklearn.datasets import load_digits

    d = load_digits()
    return d.data / 8.0 - 1.0, d.target.astype(np.int64)


def cosine(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Row-wise cosine similarity (0 where a row is zero)."""
    A = np.atleast_2d(A)
    B = np.atleast_2d(B)
    na = np.linalg.norm(A, axis=1)
    nb = np.linalg.norm(B, axis=1)
    den = na * nb
    dot = np.einsum("ij,ij->i", A, B)
    return np.divide(dot, den, out=np.zeros_like(dot), where=den > 0)


def levenshtein(a: Sequence, b: Sequence) -> int:
    """Edit distance (insertions, deletions, substitutions of cost 1)."""
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i]
        for j, y in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y)))
        prev = cur
    return prev[-1]


def normalized_levenshtein_score(a: Sequence, b: Sequence) -> float:
    """``1 - levenshtein(a, b) / max(len(a), len(b))`` (1 for equal sequences)."""
    n = max(len(a), len(b))
    return 1.0 if n == 0 else 1.0 - levenshtein(a, b) / n


def unique_ratio(items: Sequence, n: int) -> float:
    """Distinct items among the recalled ones, over ``n`` (the number stored)."""
    return len(set(items)) / n


def support_size(P: np.ndarray, softmax: bool = False) -> np.ndarray:
    """Entries ``> 0`` per row (``> SOFTMAX_THRESHOLD`` for softmax, which is dense)."""
    thr = SOFTMAX_THRESHOLD if softmax else 0.0
    return (np.atleast_2d(P) > thr).sum(axis=1)


def mean_std(values) -> tuple[float, float]:
    """Mean and sample standard deviation (0 for a single value)."""
    v = np.asarray(values, dtype=np.float64)
    return float(v.mean()), float(v.std(ddof=1)) if v.size > 1 else 0.0


def format_table(header: Sequence[str], rows: Sequence[Sequence]) -> str:
    """A Markdown table (left-aligned first column)."""
    cells = [[str(c) for c in header]] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]

    def fmt(r):
        pairs = enumerate(zip(r, widths, strict=True))
        return "| " + " | ".join(c.ljust(w) if i == 0 else c.rjust(w)
                                 for i, (c, w) in pairs) + " |"

    sep = "|" + "|".join(("-" * (w + 2)) if i == 0 else ("-" * (w + 1) + ":")
                         for i, w in enumerate(widths)) + "|"
    return "\n".join([fmt(cells[0]), sep] + [fmt(r) for r in cells[1:]])


def write_json(path: str, obj) -> None:
    """Write ``obj`` as indented JSON (creating the folder)."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=1, sort_keys=False, allow_nan=True)
        f.write("\n")
