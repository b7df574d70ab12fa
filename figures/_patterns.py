"""The 2-D pattern sets of the energy and basin figures (math §7)."""

from __future__ import annotations

import numpy as np

__all__ = ["FIXED_PATTERNS", "pattern_sets", "normalize_rows"]

#: The three patterns of the papers' 2-D figures, before normalization.
FIXED_PATTERNS = np.array([[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0]])


def normalize_rows(X: np.ndarray) -> np.ndarray:
    """Rows scaled to unit Euclidean norm."""
    X = np.asarray(X, dtype=np.float64)
    return X / np.linalg.norm(X, axis=1, keepdims=True)


def pattern_sets(n_random: int, n_patterns: int = 5, seed: int = 42):
    """``[(name, X), ...]``: the fixed set, then ``n_random`` seeded sets of
    ``n_patterns`` Gaussian patterns in R², all normalized to unit norm."""
    rng = np.random.default_rng(seed)
    sets = [("$(-1,-1), (-1,1), (1,-1)$", normalize_rows(FIXED_PATTERNS))]
    for r in range(n_random):
        sets.append((f"random set {r + 1}",
                     normalize_rows(rng.standard_normal((n_patterns, 2)))))
    return sets
