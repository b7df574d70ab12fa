r"""Hopfield-Fenchel-Young networks and the classical associative memories.

One energy/update interface for every associative memory of math §5:

* :class:`HopfieldNetwork` -- the Hopfield-Fenchel-Young (HFY) network [SNMM24]_ with
  any regularizer ``Ω`` (softmax gives the modern Hopfield network [RSL20]_, sparsemax
  the sparse modern Hopfield network [HYW23]_, entmax/normmax the HFY networks,
  SparseMAP the structured ones) and any post-transformation ``Ψ``;
* :class:`ClassicalHopfield` -- sign dynamics with Hebbian weights [H82]_;
* :class:`DenseAssociativeMemory` -- polynomial [KH16]_ or exponential [DHL17]_
  interaction functions.

Each has ``energy(q)``, ``step(q)`` and ``retrieve(q0, max_iter, tol)``; ``q`` is one
query of shape ``(D,)`` or a batch of shape ``(B, D)``.

The HFY energy and update
-------------------------
With patterns ``X`` (N, D) as rows, inverse temperature ``beta`` and ``s = k`` when
averaging the ``k`` patterns retrieved by a structured map (``s = 1`` otherwise),

.. math::

    E(q) = -\frac{1}{\beta s}\,\Omega^*(\beta X q) + \Psi(q) + c, \qquad
    q_{t+1} = \hat y_\Psi\big(X^\top \hat y_\Omega(\beta X q_t) / s\big),

the update being the concave-convex procedure on ``E`` (so ``E`` never increases).
The constant ``c = (H(u) + b)/(beta s) + kappa`` makes ``E >= 0``: ``H(u) = -Ω(u)`` is
the entropy at the barycenter ``u`` of the domain, ``b`` the largest pairwise bonus of
a structure (``w (k-1)`` for sequential k-subsets, else 0) and ``kappa`` bounds
``Ψ*`` over the retrieved points: ``max_i Ψ*(x_i)`` for maps onto the simplex, which
for ``Ψ = ½‖·‖²`` is ``½M²`` with ``M = max_i ||x_i||`` -- the contract's
``c = H(u)/beta + ½M²``.  For the sum convention of k-subsets, ``kappa`` is the bound
of :meth:`PostTransform.sum_bound` (for ``Ψ = ½‖·‖²``: ``½ R²``, ``R`` the sum of the
``k`` largest pattern norms, which bounds ``||X^T mu||``).

The references cited as ``[KEY]_`` are listed once, in the bibliography of the
documentation (``docs/references.md``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from . import _validation as V
from ._validation import as_patterns, as_query, check_beta
from ._validation import as_post as _as_post
from ._validation import as_vectors as _rows  # noqa: F401 (old name)
from ._validation import check_iter as _check_iter
from .post import (  # noqa: F401 (re-exported: the Ψ family lives in post.py)
    POST_TRANSFORMS,
    L2Ball,
    LayerNorm,
    PostTransform,
    Quadratic,
    Sign,
    Tanh,
    _centered,
    _norms,
    _out,
    _topk_sum,
)
from .regularizers import Regularizer

__all__ = [
    "PostTransform",
    "Quadratic",
    "L2Ball",
    "LayerNorm",
    "Sign",
    "Tanh",
    "POST_TRANSFORMS",
    "RetrievalResult",
    "HopfieldNetwork",
    "ClassicalHopfield",
    "DenseAssociativeMemory",
]

_EPS = np.finfo(np.float64).eps


# ---------------------------------------------------------------------------------------
# retrieval result and the shared dynamics loop
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RetrievalResult:
    """The outcome of :meth:`HopfieldNetwork.retrieve` (and of the classical models).

    Attributes
    ----------
    q : ndarray, shape (D,) or (B, D)
        The final state.
    p : ndarray, shape (N,) or (B, N), or None
        ``y_hat_Omega(beta X q)`` at the final state (probabilities over patterns, or
        marginals for structured maps); ``None`` for the classical models.
    energies : ndarray, shape (T + 1,) or (B, T + 1)
        The energy of every iterate ``q_0, ..., q_T`` (``T`` the largest ``n_steps`` of
        the batch; a row that stopped earlier repeats its last energy).
    n_steps : int or ndarray of int, shape (B,)
        Updates applied, including the one that found convergence (a fixed point
        ``q0`` gives 1).
    converged : bool or ndarray of bool, shape (B,)
        Whether ``||q_t - q_{t-1}||_2 <= tol`` was reached (``tol = 0``: exactly equal)
        within ``max_iter`` updates.
    path : ndarray, shape (T + 1, D) or (B, T + 1, D), or None
        Every iterate, when requested with ``record_path=True``.
    """

    q: np.ndarray
    p: np.ndarray | None
    energies: np.ndarray
    n_steps: int | np.ndarray
    converged: bool | np.ndarray
    path: np.ndarray | None = None

    def __repr__(self):
        if np.ndim(self.converged) == 0:
            q = np.array2string(self.q, threshold=8)
            return (f"RetrievalResult(n_steps={self.n_steps}, converged={self.converged}, "
                    f"energy={float(self.energies[-1]):.6g}, q={q})")
        conv = np.asarray(self.converged)
        return (f"RetrievalResult(batch={conv.size}, converged={int(conv.sum())}/{conv.size}, "
                f"max n_steps={int(np.max(self.n_steps))})")


def _loop(model, Q0, mi, t, record_path):
    """The retrieval loop: returns ``(Q, P, energies (B, T+1), n_steps, conv, path)``.

    Each call of ``model._energy_step`` returns the energy (and ``p``) of the current
    iterates together with the next ones, so the map is evaluated once per update.
    """
    B = Q0.shape[0]
    Q = Q0.copy()
    n_steps = np.zeros(B, dtype=np.int64)
    conv = np.zeros(B, dtype=bool)
    cols = []  # column t: the energy of iterate t (rows that stopped repeat their last)
    path = [Q.copy()] if record_path else None
    active = np.arange(B)
    E_last = np.empty(B)
    P_last = None

    p_at_end = False  # some evaluation gave no p: p of the final states at the end

    def store(idx, E, P):
        nonlocal P_last, p_at_end
        E_last[idx] = E
        p_at_end |= P is None
        if P is not None:
            if idx.size == B:  # every row, in order: P is fresh, keep it (no copy)
                P_last = P
                return
            if P_last is None:
                P_last = np.empty((B, P.shape[1]))
            P_last[idx] = P

    for it in range(mi + 1):
        want = it < mi
        E, Qn, P = model._energy_step(Q[active], want)
        store(active, E, P)
        cols.append(E_last.copy())
        if not want:
            break
        QA = Q[active]
        done = np.all(Qn == QA, axis=1) if t == 0.0 else _norms(Qn - QA) <= t
        Q[active] = Qn
        n_steps[active] += 1
        fin = active[done]
        conv[fin] = True
        if record_path:
            path.append(Q.copy())
        if fin.size and t > 0.0:  # exactly equal states keep their energy and p
            E2, _, P2 = model._energy_step(Q[fin], False)
            store(fin, E2, P2)
        active = active[~done]
        if active.size == 0:
            cols.append(E_last.copy())
            break
    Emat = np.stack(cols, axis=1)
    if p_at_end:
        P_last = model._final_p(Q)
    return Q, P_last, Emat, n_steps, conv, (np.stack(path, axis=1) if record_path else None)


class _Base:
    """Shared public API of the three memory models."""

    D: int

    def _energy_step(self, Q, want_step):  # pragma: no cover - abstract
        """Return ``(E(Q), step(Q) or None, P or None)`` for rows Q (B, D)."""
        raise NotImplementedError

    def _final_p(self, Q):
        """``p`` of the final states of a retrieval whose energy path gave none (the
        classical models have none)."""
        return None

    def energy(self, q: ArrayLike):
        """The energy ``E(q)``: float for (D,), array (B,) for (B, D)."""
        Q, single = as_query(q, self.D)
        return _out(self._energy_step(Q, False)[0], single)

    def step(self, q: ArrayLike) -> np.ndarray:
        """One update; same shape as ``q``."""
        Q, single = as_query(q, self.D)
        return _out(self._step(Q), single)

    def retrieve(self, q0: ArrayLike, max_iter: int = 100, tol: float = 0.0, *,
                 record_path: bool = False) -> RetrievalResult:
        """Iterate :meth:`step` from ``q0`` until two iterates are within ``tol``.

        Stops a row at the first ``t`` with ``||q_t - q_{t-1}||_2 <= tol`` (``tol = 0``:
        exactly equal), or after ``max_iter`` updates.  Rows of a batch converge
        independently; a converged row is not updated any further.  Each update also
        yields the energy of the state it started from, so the energies come at no
        extra cost.

        Parameters
        ----------
        q0 : array_like, shape (D,) or (B, D)
        max_iter : int, >= 0
        tol : float, >= 0
        record_path : bool, default False
            Also return every iterate (``RetrievalResult.path``).

        Returns
        -------
        RetrievalResult
        """
        Q0, single = as_query(q0, self.D, "q0")
        mi, t = _check_iter(max_iter, tol)
        Q, P, Emat, n_steps, conv, path = _loop(self, Q0, mi, t, record_path)
        if single:
            return RetrievalResult(
                Q[0], None if P is None else P[0], Emat[0], int(n_steps[0]), bool(conv[0]),
                None if path is None else path[0])
        return RetrievalResult(Q, P, Emat, n_steps, conv, path)

    def _step(self, Q):
        return self._energy_step(Q, True)[1]


# ---------------------------------------------------------------------------------------
# the HFY network
# ---------------------------------------------------------------------------------------
def _kern():
    from ._kernels import simplex

    return simplex


def _map_bonus(reg: Regularizer, rows: V.Rows):
    """``(y_hat(z), bonus)`` by the regularizer's hook :meth:`Regularizer.map_with_bonus`."""
    return reg.map_with_bonus(rows)


def _refuse_overflow():
    raise ValueError(
        "the scores beta * X @ q overflow float64 (inf or NaN); rescale the patterns, "
        "the query or beta"
    )


class HopfieldNetwork(_Base):
    r"""A Hopfield-Fenchel-Young network [SNMM24]_.

    .. math::

        E(q) = -\frac{1}{\beta s}\Omega^*(\beta X q) + \Psi(q) + c, \qquad
        q_{t+1} = \hat y_\Psi\big(X^\top \hat y_\Omega(\beta X q_t)/s\big),

    with ``s = k`` when ``average=True`` for a structured ``reg`` (else ``s = 1``) and
    ``c`` the constant of the module docstring (math §5: ``E >= 0``).  Special cases:
    ``Shannon()`` is the modern Hopfield network [RSL20]_, ``Tsallis(2.0)`` the sparse
    modern Hopfield network [HYW23]_, ``KSubsets(k)`` / ``SequentialKSubsets(k, w)`` the
    structured HFY networks (``q_{t+1} = X^T mu``, the *sum* of the retrieved
    patterns).

    Parameters
    ----------
    X : array_like, shape (N, D)
        The stored patterns, one per row (copied; finite).
    reg : Regularizer
        ``Shannon()``, ``Tsallis(alpha)``, ``NormEntropy(alpha)``, ``KSubsets(k)``,
        ``SequentialKSubsets(k, w)``, ... (``k <= N``).
    beta : float, > 0 and finite
        Inverse temperature.
    post : None, {"identity", "l2", "layernorm", "sign", "tanh"} or PostTransform
        The post-transformation ``Ψ``; ``None`` is ``Quadratic()`` (``Ψ = ½‖·‖²``).
    average : bool, keyword-only, default False
        Divide the retrieved vector by ``k`` (structured maps): the average of the
        retrieved patterns instead of their sum.  Maps onto the simplex already return
        a weighted average (``sum p = 1``): there it changes nothing.

    Attributes
    ----------
    X, reg, beta, post, average
    M : float
        ``max_i ||x_i||``.
    N, D : int
    constant : float
        The constant ``c`` of the energy.

    Notes
    -----
    *Cost.*  A step is one matrix product ``(beta Q) X^T`` (BLAS), the map, and
    ``X^T p``: over the support of ``p`` only (a one-pass kernel) when it holds at most
    ``N/8`` patterns, else BLAS.  For the maps of the exact sparse engines (entmax with
    ``alpha > 1``, normmax, k-subsets; :meth:`Regularizer.map_products`) :meth:`step`
    does not write ``p`` out: each row of ``p`` goes to a scratch row, its support sum
    is taken there, and the row maxima are found in the same pass -- the same numbers,
    bit for bit, with three passes over a ``(B, N)`` array fewer.  Softmax
    (:meth:`Regularizer.step_products`, :func:`hfy_reference.maps.softmax_step`) goes
    through the patterns in blocks, with the scores of a block in cache: ``step`` is
    ``sum_i exp(z_i - m) x_i / sum_i exp(z_i - m)`` with a running maximum ``m``,
    within a few ``eps sum_i p_i |x_ij|`` of the exact ``X^T p`` (as the product of
    the exact ``p`` by BLAS would be), not bit for bit ``X^T`` of
    :meth:`probabilities`; :meth:`retrieve` takes the same steps, and the energy comes
    from the same pass (``G = log(N / S)``, ``S = sum_i exp(z_i - m)``), so that for
    softmax ``p`` is formed only once, at the final states.  Each :meth:`retrieve`
    iteration evaluates the map once and returns the energy of the current iterate with
    the next one; the energy uses ``Ω`` on the support values only.

    *The energy at small beta.*  ``E`` is computed as
    ``G/(beta s) - k max z/(beta s) + Psi(q) + kappa`` with the gap
    ``G = <m - z, p> + (Ω(p) - Ω(u)) + (b - bonus) >= 0`` summed from non-negative parts
    (Bregman terms for ``Ω(p) - Ω(u)``; softmax: ``G = -log mean exp(z - m)``, as
    ``log(N / S)`` from the step's sum, or where ``G < 1/2`` as ``-log1p(-D)``,
    ``D = mean(-expm1(z - m))`` summed in the same pass), so no two terms of size ``1/beta``
    cancel: measured, the softmax energy is within 1e-14 (relative) of a high-precision
    reference for beta from 1 to 1e-300, and every map keeps ``E >= E_L >= 0`` there
    (``docs/accuracy.md``).  The pairwise bonus of sequential k-subsets,
    ``(b - bonus)/(beta s)``, is accurate to ``2**-53 b/(beta s)`` absolute.

    *Exactness.*  The maps are exact for the scores they receive.  The scores come from
    BLAS, whose rounding (and so the last bits of a step) can depend on the batch size:
    a batch and its rows one at a time agree to rounding, not bit for bit.  On
    instances whose products are exact (e.g. dyadic patterns and queries, ``beta`` a
    power of two) the thresholds of the theory are hit exactly: ``x_i`` is returned bit
    for bit when ``beta Δ_i >= m`` (tested at equality).  ``X^T p`` over a support is
    accumulated in index order, so it does not depend on the batch.

    Examples
    --------
    >>> import numpy as np
    >>> from hfy_reference import HopfieldNetwork, Tsallis
    >>> X = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]])
    >>> net = HopfieldNetwork(X, Tsallis(2.0), beta=2.0)
    >>> net.step([0.9, 0.2])
    array([1., 0.])
    >>> res = net.retrieve([0.6, 0.5])
    >>> res.q, res.n_steps, res.converged
    (array([1., 0.]), 5, True)
    >>> res.energies.round(4)  # never increases; the fixed point repeats its energy
    array([0.2917, 0.2817, 0.2517, 0.1767, 0.1667, 0.1667])
    """

    def __init__(self, X: ArrayLike, reg: Regularizer, beta: float = 1.0, post=None, *,
                 average: bool = False):
        self.X = as_patterns(X)
        if not isinstance(reg, Regularizer):
            raise TypeError(
                "reg must be a Regularizer (Shannon(), Tsallis(alpha), NormEntropy(alpha), "
                f"KSubsets(k), SequentialKSubsets(k, w), ...); got {reg!r}"
            )
        self.reg = reg
        self.beta = check_beta(beta)
        self.post = _as_post(post)
        if not isinstance(average, (bool, np.bool_)):
            raise TypeError(f"average must be a bool; got {average!r}")
        self.average = bool(average)
        self.N, self.D = self.X.shape
        self.post._check_dim(self.D)
        k = reg.structure_size
        if k > self.N:
            raise ValueError(
                f"k must satisfy 1 <= k <= N = {self.N} (the number of patterns); "
                f"{reg!r} has k = {k}"
            )
        self._k = int(k)
        self._s = float(self._k) if self.average else 1.0
        self.M = float(np.max(_norms(self.X)))
        H = -float(reg.uniform_omega(self.N))
        bonus = float(reg.max_pairwise_bonus)
        if self._k == 1 or self._s != 1.0:
            # maps onto the simplex (exact max over the hull, Ψ* convex) and averages
            kappa = float(np.max(self.post._conjugate(self.X)))
        else:
            kappa = float(self.post.sum_bound(self.X, self._k))
        self._H = H
        self._bonus = bonus
        self.constant = (H + bonus) / (self.beta * self._s) + kappa
        self._kappa = kappa

    def __repr__(self):
        avg = ", average=True" if self.average else ""
        return (f"HopfieldNetwork(N={self.N}, D={self.D}, reg={self.reg!r}, "
                f"beta={self.beta!r}, post={self.post!r}{avg})")

    # ---- internals -------------------------------------------------------------------
    def _scores(self, Q: np.ndarray, defer: bool = False) -> V.Rows:
        """The scores ``beta X q`` as rows; with ``defer`` their maxima are left NaN
        ("not computed yet") for a kernel of :meth:`Regularizer.map_products` to fill
        in, and :meth:`_check_max` checks them afterwards."""
        with np.errstate(over="ignore", invalid="ignore"):
            Z = (self.beta * Q) @ self.X.T
        rows = V.Rows(Z, np.full(Z.shape[0], np.nan), 1, Z.shape, np.dtype(np.float64))
        if not defer:
            self._check_max(rows)
        return rows

    @staticmethod
    def _check_max(rows: V.Rows) -> None:
        """Computes the row maxima still NaN and refuses scores that overflowed."""
        m = rows.rowmax
        todo = np.isnan(m)
        if todo.all():
            m[:] = rows.data.max(axis=1)
        elif todo.any():
            m[todo] = rows.data[todo].max(axis=1)
        if not np.isfinite(m).all():
            _refuse_overflow()

    def _products(self, P: np.ndarray, rows: V.Rows, bonus, want_conj: bool):
        """``(X^T p / s, gap or None)`` per row, with the gap
        ``k max z + H(u) + b - Omega*(z) >= 0`` (see ``_energy_step``).

        Rows whose support holds at most N/8 patterns are handled by a kernel that
        scans ``p`` once and accumulates ``p_i x_i`` over the support only (in index
        order: the result does not depend on the batch); denser rows use BLAS.  The
        gap is ``<m - z, p> + (Omega(p) - Omega(u)) + (b - bonus)`` (Danskin), with
        ``Omega(p) - Omega(u)`` summed from non-negative Bregman terms over the support
        values (:meth:`Regularizer.energy_gap`); for softmax it is
        ``-log(mean exp(z - m))``, from the scores.
        """
        B, N = P.shape
        Vv = np.empty((B, self.D))
        lin = np.zeros(B)
        kern = _kern()
        cap = max(1, N // 8)
        counts = np.empty(B, dtype=np.int64)
        idx = np.empty((B, cap), dtype=np.int64)
        run = kern.support_products if (B >= 4 and B * N >= 200_000) \
            else kern.support_products_serial
        run(P, rows.data, rows.rowmax, self.X, cap, Vv, idx, counts, lin)
        sparse = counts <= cap
        dense = ~sparse
        if dense.all():
            Vv = P @ self.X
        elif dense.any():
            Vv[dense] = P[dense] @ self.X
        if self._s != 1.0:
            Vv /= self._s
        if not want_conj:
            return Vv, None
        Z, m = rows.data, rows.rowmax
        gap = np.empty(B)

        def sel(a, mask):  # the rows of mask, without a copy when it is every row
            return a if mask.all() else a[mask]

        if sparse.any():
            rs = np.flatnonzero(sparse)
            width = int(counts[rs].max())
            cols = idx[rs, :width]
            valid = np.arange(width)[None, :] < counts[rs][:, None]
            vals = np.where(valid, P[rs[:, None], np.where(valid, cols, 0)], 0.0)
            gap[sparse] = self.reg.energy_gap(sel(Z, sparse), sel(m, sparse),
                                              sel(P, sparse), sel(lin, sparse), vals)
        if dense.any():
            gap[dense] = self.reg.energy_gap(sel(Z, dense), sel(m, dense), sel(P, dense))
        if bonus is not None:
            gap += self._bonus - bonus
        elif dense.any():
            # Omega*(z) >= <z, u> - Omega(u) bounds the gap by <m - z, u> = k mean(m - z):
            # at beta below ~1e-16 the rounding of p (2**-53 u) dominates p - u, and
            # Omega(p) - Omega(u) (true size beta**2) would be lost in it.  Only rows
            # with more than N/8 nonzeros can be near u; on the others the gap lies far
            # below the bound (p vanishes on 7/8 of the entries), which is not computed
            bound = self._k * np.mean(sel(m, dense)[:, None] - sel(Z, dense), axis=1)
            gap[dense] = np.minimum(gap[dense], bound)
        return Vv, gap

    def _energy_step(self, Q, want_step):
        fused = self._fused_step(Q, True)  # the same steps as step(); no p (None)
        if fused is not None:
            Vv, m, gap = fused
            bs = self.beta * self._s
            E = gap / bs - (self._k / bs) * m + self.post._psi(Q) + self._kappa
            return E, (self._post_argmax(Vv) if want_step else None), None
        rows = self._scores(Q)
        P, bonus = _map_bonus(self.reg, rows)
        Vv, gap = self._products(P, rows, bonus, True)
        # E = -Omega*(z)/(beta s) + Psi(q) + (H(u) + b)/(beta s) + kappa, written as
        # gap/(beta s) - k max(z)/(beta s) + Psi(q) + kappa with the gap
        # max z k + H(u) + b - Omega*(z) = <m - z, p> + (Omega(p) - Omega(u)) + (b - bonus)
        # >= 0 summed from non-negative parts: no terms of size 1/beta cancel
        bs = self.beta * self._s
        E = gap / bs - (self._k / bs) * rows.rowmax + self.post._psi(Q) + self._kappa
        Qn = self._post_argmax(Vv) if want_step else None
        return E, Qn, P

    def _post_argmax(self, Vv):
        try:
            return self.post._argmax(Vv)
        except ValueError as exc:
            raise ValueError(
                f"{exc} (the retrieved vector X^T p of the HopfieldNetwork step)"
            ) from None

    def _fused_step(self, Q, gap):
        """``(X^T y_hat(beta X q) / s, max z, gap or None)`` per row by
        :meth:`Regularizer.step_products` (``None`` when the map has no such route, or
        when its sums overflowed); scores that overflowed are refused."""
        with np.errstate(over="ignore", invalid="ignore"):
            res = self.reg.step_products(self.beta * Q, self.X, gap)
        if res is None:
            return None
        Vv, m, gap = res
        if not np.isfinite(m).all():
            _refuse_overflow()
        if not np.isfinite(Vv).all():
            # the unnormalized sum of weights times patterns overflowed (patterns near
            # 1.8e308 / N): the route through p, whose sums stay below max |x|
            return None
        if self._s != 1.0:
            Vv /= self._s
        return Vv, m, gap

    def _step(self, Q):
        fused = self._fused_step(Q, False)
        if fused is not None:
            return self._post_argmax(fused[0])
        rows = self._scores(Q, defer=True)
        Vv = self.reg.map_products(rows, self.X)  # p never written out
        # the maxima the kernel left (all of them when there is none); overflow refused
        self._check_max(rows)
        if Vv is None:
            P, _ = _map_bonus(self.reg, rows)
            Vv = self._products(P, rows, None, False)[0]
        elif self._s != 1.0:
            Vv /= self._s
        return self._post_argmax(Vv)

    def _final_p(self, Q):
        return _map_bonus(self.reg, self._scores(Q))[0]

    # ---- public ----------------------------------------------------------------------
    def probabilities(self, q: ArrayLike) -> np.ndarray:
        r""":math:`\hat y_\Omega(\beta X q)`: shape (N,) or (B, N) (marginals for
        structured maps)."""
        Q, single = as_query(q, self.D)
        P, _ = _map_bonus(self.reg, self._scores(Q))
        return _out(P, single)

    def grad_energy(self, q: ArrayLike) -> np.ndarray:
        r""":math:`\nabla E(q) = q - X^\top \hat y_\Omega(\beta X q)/s` (only for
        ``Ψ = ½‖·‖²``); zero exactly at the fixed points."""
        if not isinstance(self.post, Quadratic):
            raise ValueError(
                f"grad_energy is defined for post=None (Psi = 1/2 ||q||^2); this network "
                f"has post={self.post!r}, whose Psi is not differentiable"
            )
        Q, single = as_query(q, self.D)
        rows = self._scores(Q)
        P, _ = _map_bonus(self.reg, rows)
        return _out(Q - self._products(P, rows, None, False)[0], single)

    def lower_energy(self, q: ArrayLike):
        r"""``E_L(q) = ½‖q‖² - max_i x_i^T q + ½M²`` (simplex maps, ``Ψ = ½‖·‖²``): the
        energy bounds ``E_L <= E <= E_L + H(u)/beta`` of math §5."""
        if not isinstance(self.post, Quadratic) or self._k != 1:
            raise ValueError("lower_energy is defined for maps onto the simplex with "
                             "post=None")
        Q, single = as_query(q, self.D)
        val = 0.5 * _norms(Q) ** 2 - (Q @ self.X.T).max(axis=1) + 0.5 * self.M ** 2
        return _out(val, single)

    @property
    def entropy_range(self) -> float:
        """``H(u) = -Omega(u)``, the entropy at the barycenter (``Omega(e_i) = 0``)."""
        return self._H


# ---------------------------------------------------------------------------------------
# classical models
# ---------------------------------------------------------------------------------------
def _sign_keep(H: np.ndarray, Q: np.ndarray) -> np.ndarray:
    """``sign(H)``, keeping the current value where the field is exactly 0."""
    return np.where(H > 0, 1.0, np.where(H < 0, -1.0, Q))


def _cube_inf(Q: np.ndarray) -> np.ndarray:
    return np.where(np.max(np.abs(Q), axis=1) <= 1.0, 0.0, np.inf)


class ClassicalHopfield(_Base):
    r"""The classical Hopfield network [H82]_ with Hebbian weights ``W = X^T X``.

    .. math::

        E(q) = -\tfrac12 \|X q\|^2 \ (q \in [-1,1]^D;\ +\infty \text{ outside}),
        \qquad q \leftarrow \operatorname{sign}(X^\top X q),

    the HFY form with ``Ω* = ½‖·‖²`` on ``R^N`` and ``Ψ`` the indicator of the cube.
    Where a local field is exactly 0 the unit keeps its value (so the energy never
    increases, in both modes: ``W`` is positive semidefinite).  Capacity about
    ``0.138 D`` random patterns.

    Parameters
    ----------
    X : array_like, shape (N, D)
        Patterns, usually in ``{-1, +1}``.
    mode : {"sync", "async"}
        ``"sync"``: all units at once (2-cycles are possible); ``"async"``: one sweep
        over the units in index order per :meth:`step`, each using the latest state.
    """

    def __init__(self, X: ArrayLike, mode: str = "sync"):
        self.X = as_patterns(X)
        if mode not in ("sync", "async"):
            raise ValueError(f"mode must be 'sync' or 'async'; got {mode!r}")
        self.mode = mode
        self.N, self.D = self.X.shape
        self.W = self.X.T @ self.X
        self.W.flags.writeable = False

    def __repr__(self):
        return f"ClassicalHopfield(N={self.N}, D={self.D}, mode={self.mode!r})"

    def _energy_step(self, Q, want_step):
        Z = Q @ self.X.T
        E = -0.5 * np.einsum("ij,ij->i", Z, Z) + _cube_inf(Q)
        Qn = None
        if want_step:
            if self.mode == "sync":
                Qn = _sign_keep(Z @ self.X, Q)
            else:
                Qn = Q.copy()
                Hf = Z @ self.X  # fields, kept up to date
                for i in range(self.D):
                    new = _sign_keep(Hf[:, i], Qn[:, i])
                    delta = new - Qn[:, i]
                    if np.any(delta != 0):
                        Qn[:, i] = new
                        Hf += delta[:, None] * self.W[i][None, :]
        return E, Qn, None


class DenseAssociativeMemory(_Base):
    r"""Dense associative memory [KH16]_, [DHL17]_.

    .. math::

        E(q) = -\sum_i F(x_i^\top q) \ (q\in[-1,1]^D), \qquad
        q \leftarrow \operatorname{sign}\big(X^\top F'(X q)\big),

    with ``F(s) = s^n`` for ``s >= 0`` and 0 otherwise (``F="poly"``, Krotov &
    Hopfield) or ``F(s) = exp(s)`` (``F="exp"``, Demircigil et al.).  ``F`` is convex,
    so this synchronous sign update is the concave-convex procedure and the energy
    never increases; a unit whose field is exactly 0 keeps its value.  ``F'`` is
    rescaled by its largest value before the product (the sign is unchanged), so the
    update never overflows (for the polynomial model only when the unscaled values would
    exceed 1e300: integer patterns then give exact integer fields, so exact ties are
    recognized); the energy of the exponential model overflows to ``-inf`` beyond
    ``e^709``.

    Parameters
    ----------
    X : array_like, shape (N, D)
    F : {"poly", "exp"}
    n : float, >= 1 (polynomial degree; ignored for ``F="exp"``)
    """

    def __init__(self, X: ArrayLike, F: str = "poly", n: float = 3):
        self.X = as_patterns(X)
        if F not in ("poly", "exp"):
            raise ValueError(f"F must be 'poly' or 'exp'; got {F!r}")
        self.F = F
        self.n = V.check_alpha(n, name="n", lower=1.0) if F == "poly" else None
        if self.n is not None and math.isinf(self.n):
            raise ValueError("n must be finite")
        self.N, self.D = self.X.shape
        self.M = float(np.max(_norms(self.X)))

    def __repr__(self):
        extra = f", n={self.n!r}" if self.F == "poly" else ""
        return f"DenseAssociativeMemory(N={self.N}, D={self.D}, F={self.F!r}{extra})"

    def _energy_step(self, Q, want_step):
        S = Q @ self.X.T
        with np.errstate(over="ignore"):
            if self.F == "poly":
                Fv = np.where(S > 0, np.abs(S) ** self.n, 0.0)
            else:
                Fv = np.exp(S)
            E = -Fv.sum(axis=1) + _cube_inf(Q)
        Qn = None
        if want_step:
            smax = S.max(axis=1, keepdims=True)
            if self.F == "poly":
                pos = S > 0
                Sp = np.where(pos, S, 0.0)
                big = float(np.max(np.abs(S))) if S.size else 0.0
                if big ** max(self.n - 1.0, 0.0) * self.N * self.M < 1e300:
                    # unscaled: integer patterns and degree give exact integer fields
                    G = np.where(pos, Sp ** (self.n - 1.0), 0.0)
                else:
                    scale = np.where(smax > 0, smax, 1.0)
                    G = np.where(pos, (Sp / scale) ** (self.n - 1.0), 0.0)
            else:
                G = np.exp(S - smax)
            Qn = _sign_keep(G @ self.X, Q)
        return E, Qn, None
