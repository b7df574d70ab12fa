r"""Structured SparseMAP: sequential k-subsets (math §2).

Structures are binary chains ``y`` in ``{0,1}^N`` with exactly ``k`` ones, scored

.. math::

    s(y) = \sum_i z_i y_i + w \sum_{i\ge 2} y_{i-1} y_i ,

so that ``w >= 0`` rewards retrieving consecutive items.  SparseMAP [NMBC18]_
regularizes only the unary marginals:

.. math::

    \mu = \operatorname*{argmax}_{(\mu,\nu)\in\mathcal M_{seq}}\;
      \langle z, \mu\rangle + w \textstyle\sum_i \nu_i - \tfrac12\|\mu\|^2,

where ``M_seq`` is the marginal polytope (the convex hull of the structures' unary
and pairwise indicator vectors).  The solution is a sparse combination of structures,
``mu = sum_y alpha_y a_y``.  With ``w = 0`` the unary polytope is the capped simplex
and the map equals :class:`~hfy_reference.KSubsets` (tested).

The references cited as ``[KEY]_`` are listed once, in the bibliography of the
documentation (``docs/references.md``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from . import _validation as V
from . import maps as M
from .registry import NotProvided, register
from .regularizers import Regularizer, _shifted_dot

__all__ = ["SequentialKSubsets", "SparseMAPSolution"]

_EPS = np.finfo(np.float64).eps
_CONVENTIONS = ("standard", "lp-sparsemap")


def _kernels():
    from ._kernels import sparsemap

    return sparsemap


class SparseMAPSolution(NamedTuple):
    """The solution of one SparseMAP problem.

    Attributes
    ----------
    mu : ndarray, shape (N,)
        Unary marginals, ``mu = structures.T @ weights``.
    structures : ndarray of bool, shape (S, N)
        The active structures (rows: indicator vectors of the retrieved positions).
    weights : ndarray, shape (S,)
        Their weights, ``> 0`` and summing to 1.
    """

    mu: np.ndarray
    structures: np.ndarray
    weights: np.ndarray


@register(
    name="sequential_ksubsets",
    params=lambda r: {"k": r.k, "w": r.w, "convention": r.convention},
    function=NotProvided("no function of its own: SequentialKSubsets(k, w).argmax(z)"),
    examples=lambda cls: (cls(2, 0.5),),
    slow=lambda r: ("sequential_ksubsets", {"k": r.k, "w": r.w, "convention": r.convention}),
    oracle=NotProvided("the oracle has no sequential k-subsets family"),
    strategy=lambda: _strategy(),
    path_events=NotProvided("no closed form: the figures scan the temperature"),
    reference="sequential_ksubsets",
    verifier=NotProvided("its structured claims (T9) take KSubsets and SequentialKSubsets "
                         "directly"),
    colors={"sequential 2-subsets": "#882255"},  # wine
)
@dataclass(frozen=True)
class SequentialKSubsets(Regularizer):
    r"""SparseMAP over sequential k-subsets (binary chains with exactly ``k`` ones).

    ``argmax(z)`` returns the unary marginals ``mu`` of

    .. math::

        \max_{(\mu,\nu)\in\mathcal M_{seq}} \langle z,\mu\rangle
          + w\textstyle\sum_i\nu_i - \Omega(\mu),\qquad
        \Omega(\mu) = \tfrac12\|\mu\|^2 - \tfrac k2,

    solved exactly by the active-set method of [NMBC18]_ with an O(N k) dynamic-program
    MAP oracle; :meth:`solve` also returns the active structures and their weights.

    Parameters
    ----------
    k : int, >= 1 (at most the number of unmasked scores when used)
    w : float, >= 0 and finite
        Score of every pair of consecutive ones (not scaled by ``beta`` in a
        :class:`~hfy_reference.HopfieldNetwork`).
    convention : {"standard", "lp-sparsemap"}
        ``"standard"`` regularizes the unary marginals, ``½‖mu‖²`` (math §2).
        ``"lp-sparsemap"`` is the convention of the authors' code (through the
        lp-sparsemap library [NM20]_): both binary states of every position are
        regularized, ``½ sum_i (mu_i^2 + (1 - mu_i)^2)``, i.e.
        ``Omega(mu) = ||mu||^2 - k``; its solution is the standard one at half the
        scores, ``mu_lp(z; w) = mu(z/2; w/2)``, its conjugate is
        ``2 Omega*(z/2; w/2)`` and its margin is 2.

    Notes
    -----
    *Conjugate and loss.*  ``conjugate(z) = max <z,mu> + w sum nu - Omega(mu)`` includes
    the pairwise score.  ``loss(z, y)`` is the FY loss of the target structure
    ``y`` (a 0/1 vector with ``k`` ones; for ``w = 0`` any point of the capped simplex):
    ``conjugate(z) + Omega(y) - <z, y> - w b_y``, ``b_y`` the number of adjacent pairs.

    *Margin.*  ``margin`` is 1 (2 for "lp-sparsemap"): the structured margin of the
    unary part -- exact for ``w = 0`` (``mu = a_y`` iff
    ``min_{i in y} z_i - max_{j not in y} z_j >= 1``, as for :class:`KSubsets`).  For
    ``w > 0`` the exact statement is the vertex condition
    ``z^T(a_y - a_y') + w (b_y - b_y') >= ½ ||a_y - a_y'||^2`` for all ``y'``
    (:func:`hfy_reference.theory.sequential_vertex_condition`).

    *Accuracy.*  The solver stops when no structure improves the objective by more than
    ``64 eps (sum_{top k} |z_i| + w (k - 1) + k)`` (the oracle's reduced score minus
    ``tau``); the weights are then polished on the final active set by iterative
    refinement with residuals in double-double (scores summed exactly).  Tests certify
    the returned active set exactly (KKT solved in rationals, every structure checked)
    and find the marginals within 1-2 ulps of that exact solution; with ``w = 0`` they
    agree with :func:`~hfy_reference.sparsemap_ksubsets` to 1-2 ulps.

    *Jacobian.*  With ``A`` the active structures' indicator vectors (columns) and
    ``Z = (A^T A)^{-1}``: ``J = A (Z - Z 1 1^T Z / 1^T Z 1) A^T`` (half of it at
    ``z/2`` for "lp-sparsemap"); ``w`` does not enter.

    Examples
    --------
    >>> import numpy as np
    >>> from hfy_reference import SequentialKSubsets, KSubsets
    >>> z = np.array([1.0716, -1.1221, -0.3288, 0.3368, 0.0425])
    >>> np.allclose(SequentialKSubsets(2).argmax(z), KSubsets(2).argmax(z))  # w = 0
    True
    >>> sol = SequentialKSubsets(2, w=1.0).solve(z)
    >>> sol.mu.round(2)
    array([0.48, 0.27, 0.08, 0.73, 0.45])
    >>> sol.structures.astype(int)
    array([[1, 0, 0, 1, 0],
           [0, 0, 0, 1, 1],
           [1, 1, 0, 0, 0],
           [0, 0, 1, 1, 0]])
    >>> sol.weights.round(2), float(sol.weights.sum())
    (array([0.21, 0.45, 0.27, 0.08]), 1.0)
    """

    k: int = 2
    w: float = 0.0
    convention: str = "standard"

    def __post_init__(self):
        kk = V.check_k(self.k, n_min=np.iinfo(np.int64).max)
        object.__setattr__(self, "k", kk)
        object.__setattr__(self, "w", V.check_nonnegative(self.w, "w"))
        if self.convention not in _CONVENTIONS:
            raise ValueError(
                f"convention must be one of {_CONVENTIONS}; got {self.convention!r}"
            )

    # ---- properties ------------------------------------------------------------------
    @property
    def _half(self) -> bool:
        return self.convention == "lp-sparsemap"

    @property
    def margin(self) -> float:
        return 2.0 if self._half else 1.0

    @property
    def label(self) -> str:
        extra = ", lp-sparsemap" if self._half else ""
        return f"sequential {self.k}-subsets (w={self.w:g}{extra})"

    @property
    def max_pairwise_bonus(self) -> float:
        """``max_y w b_y = w (k - 1)``: the largest pairwise score of a structure."""
        return self.w * (self.k - 1)

    # ---- solver ----------------------------------------------------------------------
    @staticmethod
    def _max_iter(n):
        return 1000 + 20 * n

    def _shift_tol(self, Z: np.ndarray, w: float):
        """``(shift, tol)`` per row of the scores ``Z`` the solver sees (halved in the
        ``lp-sparsemap`` convention): the row maximum, and the tolerance of the gap test,
        ``64 eps k`` times the mean distance of the ``k`` largest scores to the maximum
        plus ``(w (k - 1) + k) / k``, the size of the shifted structure scores the test
        compares.  Refuses rows whose finite scores spread over more than
        ``2**1023 / k`` (the shifted score of a structure, a sum of ``k`` of them, would
        overflow)."""
        k = self.k
        # (validated rows: no NaN or +inf, at least k unmasked entries)
        shift = Z.max(axis=1)
        low = np.where(np.isfinite(Z), Z, np.inf).min(axis=1)
        with np.errstate(over="ignore"):
            spread = shift - low
        lim = 2.0**1023 / k
        if not (spread <= lim).all():
            r = int(np.flatnonzero(~(spread <= lim))[0])
            f = 2.0 if self._half else 1.0
            raise ValueError(
                f"z has finite entries from {f * low[r]:.4g} to {f * shift[r]:.4g}; "
                f"{self!r} needs them within 2**1023 / k{' * 2' if self._half else ''} = "
                f"{f * lim:.4g} of each other (its solver adds the k shifted scores of a "
                "structure, which would overflow)"
            )
        # the k largest scores' mean distance to the maximum (at most the spread)
        top_k = -np.partition(-Z, k - 1, axis=1)[:, :k]
        d = ((shift[:, None] - top_k) / k).sum(axis=1)
        tol = 64.0 * _EPS * k * (d + (w * (k - 1) + k) / k)
        return np.ascontiguousarray(shift), tol

    def _check_status(self, info):
        kern = _kernels()
        st = info[:, kern.INFO_STATUS]
        if (st != kern.STATUS_CONVERGED).any():
            r = int(np.flatnonzero(st != kern.STATUS_CONVERGED)[0])
            why = kern.STATUS_MESSAGES.get(int(st[r]), "unknown status")
            gap = info[r, kern.INFO_GAP]
            raise RuntimeError(
                f"SequentialKSubsets active-set solver did not converge on row {r}: {why} "
                f"(remaining improvement {gap:.3g}); please report this input"
            )

    def _map_info(self, rows: V.Rows):
        Z = rows.data
        if self._half:
            Z = 0.5 * Z
        return self._run_w(Z, 0.5 * self.w if self._half else self.w)

    def _run_w(self, Z, w):
        R, n = Z.shape
        kern = _kernels()
        mu = np.empty((R, n))
        info = np.empty((R, kern.N_INFO))
        k = self.k
        shift, tol = self._shift_tol(Z, w)
        # parallel only when there is enough work to amortize waking the threads
        run = kern.seq_ksubsets_rows if R >= 4 and R * n * k >= 50_000 \
            else kern.seq_ksubsets_rows_serial
        run(np.ascontiguousarray(Z), w, k, tol, self._max_iter(n), n + 1, mu, info, shift)
        self._check_status(info)
        return mu, info

    def _solve_row(self, z: np.ndarray) -> SparseMAPSolution:
        """Standard-or-lp solution of one canonical row, with its structures."""
        kern = _kernels()
        zz = 0.5 * z if self._half else z
        w = 0.5 * self.w if self._half else self.w
        n = z.shape[0]
        k = self.k
        cap = n + 1
        idx = np.empty((cap, k), dtype=np.int64)
        alpha = np.empty(cap)
        mu = np.empty(n)
        info = np.empty(kern.N_INFO)
        shift, tol = self._shift_tol(zz[None, :], w)  # as in _run_w
        na = kern.seq_ksubsets_solve(np.ascontiguousarray(zz), w, k, float(tol[0]),
                                     self._max_iter(n), cap, idx, alpha, mu, info,
                                     float(shift[0]))
        self._check_status(info[None, :])
        S = np.zeros((na, n), dtype=bool)
        for a in range(na):
            S[a, idx[a]] = True
        return SparseMAPSolution(mu, S, alpha[:na].copy())

    # ---- Regularizer hooks -----------------------------------------------------------
    def _validate_rows(self, rows):
        V.check_k(self.k, M.min_unmasked(rows))

    def _map(self, rows):
        return self._map_info(rows)[0]

    def _omega(self, P):
        val = 0.5 * np.sum(P * P, axis=1) - 0.5 * self.k
        return 2.0 * val if self._half else val

    def _check_domain(self, P, name, n_min):
        if P.shape[1] < self.k:
            raise ValueError(
                f"{name} has {P.shape[1]} entries along the axis; {self!r} needs at least k"
            )
        V.check_simplex(P, name, total=float(self.k), upper=1.0)

    def _barycenter(self, n):
        return np.full(n, self.k / n)

    def _conj_from(self, rows: V.Rows, P: np.ndarray, info: np.ndarray) -> np.ndarray:
        """``<z,mu> + w sum nu - Omega(mu)`` from the solution, shifted by ``max z``."""
        kern = _kernels()
        nu = info[:, kern.INFO_NU]
        val = (_shifted_dot(rows.data, rows.rowmax, P) + self.k * rows.rowmax
               + self.w * nu - self._omega(P))
        return val

    def _map_conjugate(self, rows: V.Rows, want_conj: bool = True):
        """``(mu, Omega*(z))`` for validated rows (the hook used by HopfieldNetwork)."""
        P, info = self._map_info(rows)
        if not want_conj:
            return P, None
        return P, self._conj_from(rows, P, info)

    @property
    def structure_size(self) -> int:
        return self.k

    def map_with_bonus(self, rows: V.Rows):
        """``(mu, w sum nu)``: the marginals and the pairwise part of the conjugate,
        ``Omega*(z) = <z, mu> + w sum nu - Omega(mu)`` (both conventions)."""
        P, info = self._map_info(rows)
        return P, self.w * info[:, _kernels().INFO_NU]

    _map_with_bonus = map_with_bonus  # the old name

    def conjugate(self, z: ArrayLike, axis: int = -1) -> np.ndarray:
        r""":math:`\Omega^*(z) = \max_{(\mu,\nu)} \langle z,\mu\rangle + w\sum\nu -
        \Omega(\mu)` along ``axis`` (includes the pairwise score)."""
        rows = V.as_rows(z, axis)
        self._validate_rows(rows)
        P, conj = self._map_conjugate(rows, True)
        return rows.restore_reduced(conj)

    def _loss_rows(self, rows, Y):
        P, info = self._map_info(rows)
        kern = _kernels()
        nu = info[:, kern.INFO_NU]
        by = np.sum(Y[:, 1:] * Y[:, :-1], axis=1)
        if self.w != 0.0:
            binary = np.all((Y == 0.0) | (Y == 1.0), axis=1)
            if not binary.all():
                r = int(np.flatnonzero(~binary)[0])
                raise ValueError(
                    "y must be a structure (0/1 entries, k ones) when w > 0: the pairwise "
                    f"marginals of a fractional y are not determined by it; slice {r} "
                    "is fractional"
                )
        with np.errstate(invalid="ignore"):
            val = (self._omega(Y) - self._omega(P)
                   + _shifted_dot(rows.data, rows.rowmax, P - Y) + self.w * (nu - by))
        return val

    def _jvp(self, P, rows, Vt):
        out = np.empty_like(Vt)
        for r in range(rows.data.shape[0]):
            sol = self._solve_row(rows.data[r])
            out[r] = _active_jacobian(sol.structures) @ Vt[r]
        if self._half:
            out *= 0.5
        return out

    # ---- public extras ---------------------------------------------------------------
    def solve(self, z: ArrayLike) -> SparseMAPSolution | list[SparseMAPSolution]:
        """The marginals, the active structures and their weights.

        Parameters
        ----------
        z : array_like, shape (N,) or (B, N)
            Scores (``-inf`` entries are masks).

        Returns
        -------
        SparseMAPSolution ``(mu, structures, weights)`` for one vector, a list of them
        for a batch.
        """
        rows = V.as_rows(z, -1)
        self._validate_rows(rows)
        sols = [self._solve_row(rows.data[r]) for r in range(rows.data.shape[0])]
        return sols[0] if np.ndim(z) == 1 else sols

    def jacobian(self, z: ArrayLike) -> np.ndarray:
        r"""The Jacobian ``d mu / d z`` at ``z`` (shape (N,) only), ``A(Z - Z11^TZ/1^TZ1)A^T``."""
        rows = V.as_rows(z, -1)
        if rows.data.shape[0] != 1 or np.ndim(z) != 1:
            raise ValueError("jacobian takes one score vector of shape (N,)")
        self._validate_rows(rows)
        J = _active_jacobian(self._solve_row(rows.data[0]).structures)
        return 0.5 * J if self._half else J


def _strategy():
    from hypothesis import strategies as st

    return st.builds(SequentialKSubsets, st.integers(1, 3),
                     st.sampled_from([0.0, 0.25, 0.5, 2.0]),
                     st.sampled_from(_CONVENTIONS))


def _active_jacobian(S: np.ndarray) -> np.ndarray:
    """``A (Z - Z 1 1^T Z / 1^T Z 1) A^T`` with ``A = S^T`` and ``Z = (A^T A)^{-1}``."""
    A = S.T.astype(np.float64)
    G = A.T @ A
    Zi = np.linalg.inv(G)
    one = np.ones(G.shape[0])
    z1 = Zi @ one
    inner = Zi - np.outer(z1, z1) / (one @ z1)
    return A @ inner @ A.T
