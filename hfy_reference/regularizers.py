r"""Regularizers Ω: immutable carriers of a map, its Ω, Ω*, margin and Jacobian.

A regularizer bundles everything the Fenchel-Young loss, the Hopfield energy and the
theorem checks need about one convex ``Ω``:

* ``argmax(z)``: the regularized prediction map
  :math:`\hat y_\Omega(z) = \operatorname{argmax}_{p} \langle z,p\rangle - \Omega(p)`;
* ``omega(p)``: ``Ω(p)`` on its domain (the simplex, or the capped simplex for
  :class:`KSubsets`), normalized so that ``Ω(e_i) = 0`` (``Ω(a_y) = 0`` for structures);
* ``conjugate(z)``: :math:`\Omega^*(z) = \langle z,\hat y\rangle - \Omega(\hat y)`
  (Danskin; ``logsumexp`` for :class:`Shannon`);
* ``loss(z, y)``: the FY loss :math:`L_\Omega(z;y) = \Omega^*(z)+\Omega(y)-\langle z,y\rangle`;
* ``margin``: the smallest ``m`` with ``L(z; e_i) = 0 ⇔ z_i - max_{j≠i} z_j >= m``
  (``None`` when there is none);
* ``jvp(z, v)``, ``vjp(z, g)``: products with the Jacobian of ``argmax`` at ``z``.

Instances are frozen dataclasses: hashable, comparable, with a readable ``repr``
(usable as dict keys and pytest ids).  All methods take ``axis`` and act on arrays of
any shape like the functions in :mod:`hfy_reference.maps`, which remain the truth.

References: [BMN20]_ (FY losses and margins), [PNM19]_ (Tsallis/entmax),
[SNMM24]_ (norm entropies/normmax, k-subsets SparseMAP in Hopfield networks).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from . import _validation as V
from . import jacobians as J
from . import maps as M
from ._validation import check_simplex as _check_simplex  # noqa: F401 (old name)
from .registry import REGULARIZERS, register

__all__ = [
    "Regularizer",
    "Shannon",
    "Tsallis",
    "NormEntropy",
    "KSubsets",
    "fy_loss",
    "REGULARIZERS",
]


def _shifted_dot(Z: np.ndarray, m: np.ndarray, D: np.ndarray) -> np.ndarray:
    """Row sums of ``(z - m) * d`` over entries with ``d != 0``.

    ``-inf`` scores where ``d > 0`` give ``-inf`` and where ``d < 0`` give ``+inf`` (the
    exact limits); differences ``z - m`` that overflow are evaluated at half scale.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        S = Z - m[:, None]
        T = np.where(D != 0.0, S * D, 0.0)
        over = np.isinf(S) & np.isfinite(Z) & (D != 0.0)
        if over.any():  # |z - m| > 1.8e308: redo those terms at half scale
            half = (Z * 0.5 - m[:, None] * 0.5) * D
            T = np.where(over, half * 2.0, T)
        return T.sum(axis=1)


@dataclass(frozen=True)
class Regularizer:
    """Base class; subclasses implement the row-level hooks ``_map``, ``_omega`` and
    ``_jvp`` on canonical ``(rows, N)`` float64 arrays."""

    # ---- what the subclass provides ----------------------------------------------
    @property
    def margin(self) -> float | None:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def label(self) -> str:  # pragma: no cover - abstract
        """A short name for tables and plot legends, e.g. ``"1.5-entmax"``."""
        raise NotImplementedError

    def _map(self, rows: V.Rows) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _omega(self, P: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _jvp(self, P: np.ndarray, rows: V.Rows, Vt: np.ndarray) -> np.ndarray:
        raise NotImplementedError  # pragma: no cover - abstract

    def _check_domain(self, P: np.ndarray, name: str, n_min: int) -> None:
        V.check_simplex(P, name, total=1.0)

    def _validate_rows(self, rows: V.Rows) -> None:
        """Checks that depend on the scores (e.g. ``k`` against unmasked entries)."""

    # ---- public API ----------------------------------------------------------------
    def argmax(self, z: ArrayLike, axis: int = -1) -> np.ndarray:
        r""":math:`\hat y_\Omega(z)` along ``axis`` (same shape and dtype rules as the
        functions in :mod:`hfy_reference.maps`)."""
        rows = V.as_rows(z, axis)
        self._validate_rows(rows)
        return rows.restore(self._map(rows))

    def omega(self, p: ArrayLike, axis: int = -1) -> np.ndarray:
        """``Ω(p)`` along ``axis``; ``p`` must lie in the domain (simplex, or capped
        simplex for :class:`KSubsets`) up to rounding."""
        a, out_dtype = V.as_float_array(p, "p")
        ax = V.check_axis(axis, a.ndim)
        moved = np.moveaxis(a, ax, -1)
        P = np.ascontiguousarray(moved.reshape(-1, moved.shape[-1]))
        if not np.isfinite(P).all():
            raise ValueError("p must be finite (a point of the simplex)")
        self._check_domain(P, "p", P.shape[1])
        out = self._omega(np.clip(P, 0.0, None)).reshape(moved.shape[:-1])
        out = out.astype(out_dtype, copy=False)
        return out if out.ndim else out[()]

    def conjugate(self, z: ArrayLike, axis: int = -1) -> np.ndarray:
        r""":math:`\Omega^*(z) = \max_p \langle z,p\rangle - \Omega(p)` along ``axis``
        (Danskin: ``<z, y_hat> - Omega(y_hat)``, computed shifted by ``max z``).

        A conjugate beyond the float64 range (e.g. ``k max z`` above 1.8e308 for
        :class:`KSubsets`) is returned as ``inf`` (``-inf``), without a warning."""
        rows = V.as_rows(z, axis)
        self._validate_rows(rows)
        P = self._map(rows)
        # <z, P> = <z - m, P> + m sum(P)  (sum(P) = 1, or k for k-subsets); a value
        # beyond float64 (k max z > 1.8e308) is returned as +inf, without a warning
        with np.errstate(over="ignore"):
            val = (_shifted_dot(rows.data, rows.rowmax, P) - self._omega(P)
                   + rows.rowmax * P.sum(axis=1))
        return rows.restore_reduced(val)

    def loss(self, z: ArrayLike, y: ArrayLike, axis: int = -1) -> np.ndarray:
        r"""The Fenchel-Young loss :math:`L_\Omega(z; y)` along ``axis``.

        Computed in the shift-invariant form
        ``Omega(y) - Omega(y_hat) + <z - max z, y_hat - y>``, which avoids the
        cancellation of ``Omega*(z) - <z, y>`` at large scores.  The exact loss is
        ``>= 0``; the returned value is clipped at 0 (rounding can otherwise give
        ``-1e-17``).  ``+inf`` when ``y`` puts mass on a masked (``-inf``) score.

        ``y`` is a target distribution of the shape of ``z``, or integer class indices
        of the shape of ``z`` without ``axis`` (one per row, as torch's and the PyPI
        entmax losses take them): index ``k`` stands for the one-hot target ``e_k``.

        Raises
        ------
        ValueError
            ``y`` of another shape than ``z`` (or than its batch, for class indices), not
            finite, off the domain, or a class index outside ``[0, N)``.
        """
        rows = V.as_rows(z, axis)
        self._validate_rows(rows)
        Y = rows.targets(y, "y")
        self._check_domain(Y, "y", rows.n)
        Y = np.clip(Y, 0.0, None)
        val = self._loss_rows(rows, Y)
        return rows.restore_reduced(np.maximum(val, 0.0))

    def _loss_rows(self, rows: V.Rows, Y: np.ndarray) -> np.ndarray:
        P = self._map(rows)
        return self._omega(Y) - self._omega(P) + _shifted_dot(rows.data, rows.rowmax, P - Y)

    def jvp(self, z: ArrayLike, v: ArrayLike, axis: int = -1) -> np.ndarray:
        """``J(z) v``: the Jacobian of :meth:`argmax` at ``z`` times ``v`` (same shape)."""
        rows = V.as_rows(z, axis)
        self._validate_rows(rows)
        Vt = rows.like(v, "v")
        P = self._map(rows)
        return rows.restore(self._jvp(P, rows, Vt))

    def vjp(self, z: ArrayLike, g: ArrayLike, axis: int = -1) -> np.ndarray:
        """``J(z)^T g`` (the backward pass).  Every Jacobian here is symmetric, so this
        equals :meth:`jvp`; it is tested as the adjoint, ``<J v, g> = <v, J^T g>``."""
        return self.jvp(z, g, axis)

    def _omega_excess(self, P: np.ndarray, n: int) -> np.ndarray:
        r"""``Ω(p) - Ω(u) >= 0`` per row, ``u`` the barycenter of the domain in
        dimension ``n``; ``P`` holds the nonzero entries of each row (padded with zeros;
        the other ``n - P.shape[1]`` entries are 0).

        Used by the Hopfield energy, which divides it by ``beta``: at small ``beta``,
        ``p`` is close to ``u`` and ``Ω(p) - Ω(u)`` is ``O(beta**2)``.  The subclasses
        for separable ``Ω = sum_i ω(p_i)`` sum the Bregman terms
        ``ω(p_i) - ω(u) - ω'(u)(p_i - u) >= 0`` (``sum_i (p_i - u) = 0``), each accurate
        to ``2**-53 |p_i - u|``: no cancellation against ``Ω(u)``.  This fallback
        subtracts (absolute error ``2**-53 |Ω(u)|``), clipped at 0.
        """
        return np.maximum(self._omega(P) - self.uniform_omega(n), 0.0)

    # ---- hooks of HopfieldNetwork (the defaults fit a map onto the simplex) -------
    @property
    def structure_size(self) -> int:
        """``sum_i p_i`` on the domain: 1 for maps onto the simplex, ``k`` for maps onto
        the k-subsets (a retrieval then returns the sum of ``k`` patterns)."""
        return 1

    @property
    def max_pairwise_bonus(self) -> float:
        """The largest score a structure gets beyond ``<z, a_y>`` (pairwise scores of
        structured maps; 0 otherwise).  It enters the constant of the HFY energy."""
        return 0.0

    def map_with_bonus(self, rows: V.Rows) -> tuple[np.ndarray, np.ndarray | None]:
        """``(y_hat(z), bonus)`` on validated canonical rows: ``bonus`` is the per-row
        part of ``Omega*(z)`` beyond ``<z, y_hat> - Omega(y_hat)`` (the pairwise score
        of structured maps), ``None`` when there is none."""
        return self._map(rows), None

    def map_products(self, rows: V.Rows, X: np.ndarray) -> np.ndarray | None:
        r"""``X^T y_hat(z)`` per row, shape ``(rows, D)``, without writing ``y_hat`` out
        (the Hopfield update), or ``None`` when the map has no such kernel (the default:
        the caller forms ``y_hat`` with :meth:`map_with_bonus`).

        The maps of the exact sparse engines compute each row of ``y_hat`` (bit for bit
        the row :meth:`argmax` returns) into a scratch row and sum ``p_i x_i`` over its
        support in index order; rows with more than ``N/8`` nonzeros are multiplied by
        BLAS (softmax takes :meth:`step_products` instead).
        ``rows.rowmax`` may hold NaN ("not computed yet"): the kernel fills it in, and
        leaves a row whose maximum is not finite without a result for the caller to
        refuse.
        """
        return None

    def step_products(self, Qs: np.ndarray, X: np.ndarray, gap: bool = True
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None] | None:
        r"""``(X^T y_hat(z), max z, gap)`` per row ``q`` of ``Qs``, ``z = X q``, computed
        from the queries without forming the scores as a whole (the Hopfield update and
        energy: ``Qs`` is ``beta Q``), or ``None`` when the map has no such route (the
        default: the caller forms the scores, then :meth:`map_products` or ``y_hat``,
        and :meth:`energy_gap`).

        ``gap`` (``None`` when not asked for) is :meth:`energy_gap`'s
        ``k max z + H(u) + b - Omega*(z) >= 0``, bonus included.  Softmax takes this
        route (:func:`hfy_reference.maps.softmax_step`): its ``p`` has no zeros to skip,
        so the scores, the weights and the second product go block by block through the
        cache.  A row maximum that is NaN or ``+inf`` marks a row for the caller to
        refuse.
        """
        return None

    def conjugate_from_map(self, Z: np.ndarray, rowmax: np.ndarray, P: np.ndarray,
                           shifted_dot: np.ndarray | None = None,
                           support: np.ndarray | None = None,
                           rows: np.ndarray | None = None) -> np.ndarray:
        r"""``Omega*(z)`` (without the bonus of :meth:`map_with_bonus`) from
        ``P = y_hat(z)`` by Danskin's theorem,
        :math:`\Omega^*(z) = \langle z - m, p\rangle - \Omega(p) + m \sum_i p_i`
        (``m = max z``), for the rows ``rows`` of ``Z`` and ``P`` (all when None).

        ``shifted_dot`` (``<z - m, p>`` per selected row) and ``support`` (the nonzero
        values of each selected row of ``P``, zero-padded) may be given when already
        computed, e.g. by a scan over the support; ``Omega`` of the support values
        equals ``Omega(p)``.
        """
        m = rowmax if rows is None else rowmax[rows]
        if shifted_dot is None or support is None:
            Zs, Ps = (Z, P) if rows is None else (Z[rows], P[rows])
        lin = _shifted_dot(Zs, m, Ps) if shifted_dot is None else shifted_dot
        vals = Ps if support is None else support
        return lin - self._omega(vals) + self.structure_size * m

    def energy_gap(self, Z: np.ndarray, rowmax: np.ndarray, P: np.ndarray,
                   shifted_dot: np.ndarray | None = None,
                   support: np.ndarray | None = None) -> np.ndarray:
        r"""The gap ``k max z + H(u) - Omega*(z) >= 0`` per row (without the bonus of
        :meth:`map_with_bonus`; ``k = sum_i p_i``), from ``P = y_hat(z)``, summed from
        non-negative parts with no cancellation as ``z -> 0``:

        .. math::

            \langle m - z, p\rangle + (\Omega(p) - \Omega(u)) \ge 0 ,

        ``Omega(p) - Omega(u)`` from non-negative Bregman terms (``_omega_excess``).
        The Hopfield energy divides it by ``beta`` (``docs/accuracy.md``).  Arguments as
        in :meth:`conjugate_from_map`.
        """
        lin = _shifted_dot(Z, rowmax, P) if shifted_dot is None else shifted_dot
        vals = P if support is None else support
        return self._omega_excess(vals, Z.shape[1]) - lin

    def uniform_omega(self, n: int) -> float:
        """``Omega`` at the barycenter of the domain (``-H(u)``, ``H`` the entropy);
        ``Omega(e_i) = 0``, so ``H(u) = -uniform_omega(n)`` is the entropy's range."""
        return float(self.omega(self._barycenter(n)))

    def _barycenter(self, n: int) -> np.ndarray:
        return np.full(n, 1.0 / n)


def _power_bregman(P: np.ndarray, n: int, a: float) -> np.ndarray:
    r"""``sum_i [(1 + e_i)^a - 1 - a e_i] / (a - 1)`` per row, ``e_i = n p_i - 1``, over the
    ``n`` entries (``P`` holds the nonzero ones, the rest are 0).

    Each term is ``(1 + e) g - e`` with ``g = expm1((a - 1) log1p(e)) / (a - 1)``,
    accurate to ``2**-53 |e|`` for every ``a > 1`` (also as ``a -> 1``, where it tends to
    the Shannon term ``(1 + e) log1p(e) - e``); a zero entry (``e = -1``) gives 1.
    """
    c = a - 1.0
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        e = n * P - 1.0
        L = np.log1p(e)
        g = np.expm1(c * L) / c if c != 0.0 else L  # a = 1: the Shannon term
        T = np.where(P > 0, (1.0 + e) * g - e, 1.0)
    return T.sum(axis=1) + (n - P.shape[1])


# ---------------------------------------------------------------------------------------
# the registry entries (hfy_reference.registry) are declared with each class below; their
# parameter-domain strategies import hypothesis only when called
def _alphas(kind: str):
    from .testing import strategies as hst

    return hst.entmax_alphas() if kind == "entmax" else hst.normmax_alphas()


def _oracle_alpha(family: str, alpha: float) -> tuple[str, dict]:
    if family == "entmax" and alpha == 1.0:
        return "softmax", {}
    if math.isinf(alpha) or alpha == 1.0:
        raise ValueError(f"the oracle's {family} family takes 1 < alpha < inf; got {alpha!r}")
    return family, {"alpha": alpha}


# ---------------------------------------------------------------------------------------
@register(
    name="softmax",
    params=lambda r: {},
    function="hfy_reference.maps:softmax",
    examples=lambda cls: (cls(),),
    named=lambda cls: (cls(),),
    slow=lambda r: ("softmax", {}),
    oracle=lambda r: ("softmax", {}),
    strategy=lambda: __import__("hypothesis").strategies.just(Shannon()),
    path_events="hfy_reference.theory:_events_none",
    reference="shannon",
    colors={"softmax": "#0072B2"},  # blue
)
@dataclass(frozen=True)
class Shannon(Regularizer):
    r"""Negative Shannon entropy, :math:`\Omega(p) = \sum_i p_i \log p_i`.

    Map: :func:`~hfy_reference.softmax`; conjugate: ``logsumexp``; loss: cross-entropy
    (minus the entropy of ``y``); no margin (``margin is None``).

    Examples
    --------
    >>> from hfy_reference import Shannon
    >>> Shannon()
    Shannon()
    >>> round(float(Shannon().loss([1.0, 2.0], [0.0, 1.0])), 6)
    0.313262
    """

    @property
    def margin(self) -> float | None:
        return None

    @property
    def label(self) -> str:
        return "softmax"

    def _map(self, rows):
        return M.softmax_rows(rows)

    def step_products(self, Qs, X, gap=True):
        # the gap -log(mean exp(z - m)) = log(N / S) from the step's S = sum exp(z - m);
        # where it is below 1/2 (p near u) that cancels, and -log1p(-D / N) with the
        # step's D = sum -expm1(z - m) keeps its relative accuracy (as in energy_gap)
        V, m, S, Dsum = M.softmax_step(Qs, X, gap)
        if not gap:
            return V, m, None
        N = X.shape[0]
        with np.errstate(divide="ignore", invalid="ignore"):
            G = np.maximum(np.log(N / S), 0.0)
            near = G < 0.5
            G[near] = -np.log1p(-Dsum[near] / N)  # (D <= N - 1: the maximum's term is 0)
        return V, m, G

    def _omega(self, P):
        from scipy.special import xlogy

        return xlogy(P, P).sum(axis=1)

    def conjugate(self, z, axis=-1):
        return M.logsumexp(z, axis)

    def _omega_excess(self, P, n):
        # sum_i p log(n p) = sum_i [p log1p(e) - (p - u)], e = n p - 1 (zeros give u)
        u = 1.0 / n
        with np.errstate(divide="ignore", invalid="ignore"):
            e = n * P - 1.0
            T = np.where(P > 0, P * np.log1p(e) - (P - u), u)
        return np.maximum(T.sum(axis=1) + (n - P.shape[1]) * u, 0.0)

    def _loss_rows(self, rows, Y):
        lse = M.logsumexp_shifted_rows(rows)  # log sum exp(z - max z), no cancellation
        return lse + self._omega(Y) - _shifted_dot(rows.data, rows.rowmax, Y)

    def _jvp(self, P, rows, Vt):
        return J.softmax_jvp(P, Vt)

    def conjugate_from_map(self, Z, rowmax, P, shifted_dot=None, support=None, rows=None):
        # Omega*(z) = log sum exp z = z_j - log p_j for every j; the largest p_j gives
        # the most accurate value (no sum, no cancellation)
        r = np.arange(P.shape[0]) if rows is None else np.asarray(rows)
        j = (P if rows is None else P[r]).argmax(axis=1)
        return Z[r, j] - np.log(P[r, j])

    def energy_gap(self, Z, rowmax, P, shifted_dot=None, support=None):
        # G = max z + H(u) - lse(z) = -log(mean exp(z - m)) = log(N p_max) (p_max is at
        # z = m); where G < 1/2 that form cancels (p -> u as beta -> 0), and
        # G = -log1p(-D), D = mean(-expm1(z - m)) >= 0, keeps its relative accuracy
        B, N = P.shape
        G = np.log(N * P[np.arange(B), P.argmax(axis=1)])
        near = np.flatnonzero(G < 0.5)
        if near.size:
            Zn, mn = (Z, rowmax) if near.size == B else (Z[near], rowmax[near])  # no copy
            with np.errstate(under="ignore"):
                D = np.mean(-np.expm1(Zn - mn[:, None]), axis=1)
            G[near] = -np.log1p(-D)
        return G


_SHANNON = Shannon()


def tsallis_omega_rows(P: np.ndarray, a) -> np.ndarray:
    """``Omega_a(p)`` per row of ``P``; ``a`` a float or a column ``(rows, 1)`` of
    values ``> 0`` (``1``: Shannon, ``inf``: 0)."""
    if not isinstance(a, np.ndarray):
        if math.isinf(a):
            return np.zeros(P.shape[0])
        if a == 1.0:
            return _SHANNON._omega(P)
    # sum p^a - 1 = sum p (p^(a-1) - 1), accurate as a -> 1
    with np.errstate(divide="ignore"):
        lp = np.where(P > 0, np.log(np.where(P > 0, P, 1.0)), 0.0)
    if not isinstance(a, np.ndarray):
        return np.sum(P * np.expm1((a - 1.0) * lp), axis=1) / (a * (a - 1.0))
    a1 = a[:, 0]
    special = np.isinf(a1) | (a1 == 1.0)
    aa = np.where(special[:, None], 2.0, a)
    out = np.sum(P * np.expm1((aa - 1.0) * lp), axis=1) / (aa[:, 0] * (aa[:, 0] - 1.0))
    if special.any():
        out[np.isinf(a1)] = 0.0
        sh = a1 == 1.0
        if sh.any():
            out[sh] = _SHANNON._omega(P[sh])
    return out


@register(
    name="entmax",
    params=lambda r: {"alpha": r.alpha},
    function="hfy_reference.maps:entmax",
    examples=lambda cls: (cls(1.5), cls(2.0), cls(3.0)),
    named=lambda cls: (cls(1.5), cls(2.0)),
    slow=lambda r: ("entmax", {"alpha": r.alpha}),
    oracle=lambda r: ("sparsemax", {}) if r.alpha == 2.0 else _oracle_alpha("entmax", r.alpha),
    strategy=lambda: _alphas("entmax").map(Tsallis),
    path_events="hfy_reference.theory:_events_tsallis",
    reference="tsallis",
    colors={
        "1.5-entmax": "#E69F00",  # orange
        "sparsemax": "#D55E00",  # vermillion
        "3-entmax": "#AA4499",  # purple
        "argmax": "#000000",
        "4-entmax": "#661100",  # dark brown
    },
)
@dataclass(frozen=True)
class Tsallis(Regularizer):
    r"""Negative Tsallis α-entropy, :math:`\Omega_\alpha(p) = \frac{\sum_i p_i^\alpha - 1}
    {\alpha(\alpha-1)}` (``alpha > 0``).

    Map: :func:`~hfy_reference.entmax` (``alpha = 2``: sparsemax); margin
    ``1/(alpha-1)``.  ``alpha = np.inf`` is ``Ω = 0``: the argmax, margin 0.

    ``alpha = 1`` is the limit ``alpha -> 1``, as everywhere in the library:
    :math:`\Omega_1(p) = \sum_i p_i \log p_i` (the negative Shannon entropy), the map is
    softmax and there is no finite margin (``margin is None``; ``1/(alpha-1) -> inf``).
    ``Tsallis(1)`` computes exactly what :class:`Shannon` computes.

    For ``0 < alpha < 1`` ``Ω`` is still convex (the entropy concave) but the map is
    dense (every unmasked entry is positive) and there is no finite margin either
    (``margin is None``).

    Parameters
    ----------
    alpha : float, > 0 (``np.inf`` allowed)

    Examples
    --------
    >>> from hfy_reference import Tsallis
    >>> Tsallis(1.5), Tsallis(1.5).margin
    (Tsallis(alpha=1.5), 2.0)
    """

    alpha: float = 1.5

    def __post_init__(self):
        a = V.check_alpha(self.alpha, lower=0.0, lower_inclusive=False,
                          hint="alpha = 1 is softmax (the limit alpha -> 1), "
                               "0 < alpha < 1 is dense")
        object.__setattr__(self, "alpha", a)

    @property
    def margin(self) -> float | None:
        """``1/(alpha-1)``; ``None`` for ``alpha <= 1`` (no finite margin: the map is
        dense), 0 for ``alpha = inf``."""
        if self.alpha <= 1.0:
            return None
        return 0.0 if math.isinf(self.alpha) else 1.0 / (self.alpha - 1.0)

    @property
    def label(self) -> str:
        if self.alpha == 1.0:
            return "softmax"
        if math.isinf(self.alpha):
            return "argmax"
        if self.alpha == 2.0:
            return "sparsemax"
        return f"{self.alpha:g}-entmax"

    def _map(self, rows):
        return M.entmax_rows(rows, self.alpha)

    def step_products(self, Qs, X, gap=True):
        return _SHANNON.step_products(Qs, X, gap) if self.alpha == 1.0 else None

    def map_products(self, rows, X):
        a = self.alpha
        if a == 2.0:
            return M.ksubsets_step_rows(rows, X, 1)
        if 1.0 < a < math.inf:
            return M.power_step_rows(rows, X, a, "entmax")
        return None

    def _omega(self, P):
        return tsallis_omega_rows(P, self.alpha)

    def _omega_excess(self, P, n):
        a = self.alpha
        if math.isinf(a):
            return np.zeros(P.shape[0])
        T = _power_bregman(P, n, a)  # sum_i [(1 + e)^a - 1 - a e] / (a - 1)
        return np.maximum(T, 0.0) * (1.0 / n) ** a / a

    def _jvp(self, P, rows, Vt):
        if self.alpha == 1.0:
            return _SHANNON._jvp(P, rows, Vt)
        return J.entmax_jvp(P, Vt, self.alpha)

    # alpha = 1: Shannon's accurate forms (logsumexp, cross-entropy)
    def conjugate(self, z, axis=-1):
        if self.alpha == 1.0:
            return _SHANNON.conjugate(z, axis)
        return super().conjugate(z, axis)

    def _loss_rows(self, rows, Y):
        if self.alpha == 1.0:
            return _SHANNON._loss_rows(rows, Y)
        return super()._loss_rows(rows, Y)

    def conjugate_from_map(self, Z, rowmax, P, shifted_dot=None, support=None, rows=None):
        if self.alpha == 1.0:
            return _SHANNON.conjugate_from_map(Z, rowmax, P, shifted_dot, support, rows)
        return super().conjugate_from_map(Z, rowmax, P, shifted_dot, support, rows)

    def energy_gap(self, Z, rowmax, P, shifted_dot=None, support=None):
        if self.alpha == 1.0:
            return _SHANNON.energy_gap(Z, rowmax, P, shifted_dot, support)
        return super().energy_gap(Z, rowmax, P, shifted_dot, support)


@register(
    name="normmax",
    params=lambda r: {"alpha": r.alpha},
    function="hfy_reference.maps:normmax",
    examples=lambda cls: (cls(2.0), cls(5.0)),
    named=lambda cls: (cls(2.0), cls(5.0)),
    slow=lambda r: ("normmax", {"alpha": r.alpha}),
    oracle=lambda r: _oracle_alpha("normmax", r.alpha),
    strategy=lambda: _alphas("normmax").map(NormEntropy),
    path_events="hfy_reference.theory:_events_normmax",
    reference="norm",
    colors={
        "2-normmax": "#009E73",  # bluish green
        "5-normmax": "#CC79A7",  # reddish purple
        "1.5-normmax": "#999933",  # olive
        "inf-normmax": "#332288",  # indigo
    },
)
@dataclass(frozen=True)
class NormEntropy(Regularizer):
    r"""Norm entropy, :math:`\Omega(p) = \|p\|_\alpha - 1` (``alpha >= 1``).

    Map: :func:`~hfy_reference.normmax`; margin 1 for every ``alpha > 1``.
    ``alpha = np.inf`` (``Ω = max_i p_i - 1``) gives the uniform distribution on
    sparsemax's support.

    ``alpha = 1`` is the limit ``alpha -> 1``, as everywhere in the library:
    :math:`\Omega(p) = \|p\|_1 - 1 = 0` on the simplex, so the map is the argmax (ties
    share the mass equally, as :func:`~hfy_reference.normmax` does) and the margin is 0
    (the loss ``max_j z_j - z_k`` vanishes as soon as ``z_k`` is a largest score).

    Parameters
    ----------
    alpha : float, >= 1 (``np.inf`` allowed)

    Examples
    --------
    >>> from hfy_reference import NormEntropy
    >>> NormEntropy(2.0).label, NormEntropy(2.0).margin
    ('2-normmax', 1.0)
    """

    alpha: float = 2.0

    def __post_init__(self):
        a = V.check_alpha(self.alpha, lower=1.0,
                          hint="alpha = 1 is the argmax (the limit alpha -> 1)")
        object.__setattr__(self, "alpha", a)

    @property
    def margin(self) -> float:
        return 0.0 if self.alpha == 1.0 else 1.0

    @property
    def label(self) -> str:
        return "argmax" if self.alpha == 1.0 else f"{self.alpha:g}-normmax"

    def _map(self, rows):
        return M.normmax_rows(rows, self.alpha)

    def map_products(self, rows, X):
        if self.alpha == 1.0:
            return None
        return M.power_step_rows(rows, X, self.alpha, "normmax")

    def _omega(self, P):
        if self.alpha == 1.0:
            return P.sum(axis=1) - 1.0  # ||p||_1 - 1 (p >= 0)
        pmax = P.max(axis=1)
        if math.isinf(self.alpha):
            return pmax - 1.0
        R = P / pmax[:, None]
        return pmax * np.sum(R**self.alpha, axis=1) ** (1.0 / self.alpha) - 1.0

    def _omega_excess(self, P, n):
        a = self.alpha
        if math.isinf(a):  # uniform on its support S: max p - 1/n = (n - |S|)/(|S| n)
            s = np.count_nonzero(P > 0, axis=1).astype(np.float64)
            return (n - s) / (s * n)
        # ||p||_a - ||u||_a = ||u||_a ((1 + T/S_u)^(1/a) - 1), S_u = n^(1-a) = n u^a and
        # T = sum p^a - S_u = u^a (a - 1) sum_i [(1 + e_i) g_i - e_i] (no cancellation)
        T = np.maximum(_power_bregman(P, n, a), 0.0) * (a - 1.0) / n
        norm_u = float(n) ** (1.0 / a - 1.0)
        return norm_u * np.expm1(np.log1p(T) / a)

    def _jvp(self, P, rows, Vt):
        if self.alpha == 1.0:
            return np.zeros_like(Vt)  # the argmax is piecewise constant
        return J.normmax_jvp(P, Vt, self.alpha)


@register(
    name="ksubsets",
    params=lambda r: {"k": r.k},
    function="hfy_reference.maps:sparsemap_ksubsets",
    examples=lambda cls: (cls(2),),
    slow=lambda r: ("sparsemap_ksubsets", {"k": r.k}),
    oracle=lambda r: ("ksubsets", {"k": r.k}),
    strategy=lambda: __import__("hypothesis").strategies.integers(1, 4).map(KSubsets),
    path_events="hfy_reference.theory:_events_ksubsets",
    reference="ksubsets",
    colors={"SparseMAP 2-subsets": "#56B4E9"},  # sky blue
    key=lambda r: f"{r.k}-subsets",
)
@dataclass(frozen=True)
class KSubsets(Regularizer):
    r"""SparseMAP over the ``k``-subsets: :math:`\Omega(\mu) = \tfrac12\|\mu\|^2 - k/2`
    on the capped simplex :math:`\{\mu\in[0,1]^N, \sum\mu = k\}`.

    Map: :func:`~hfy_reference.sparsemap_ksubsets`; ``Ω(a_y) = 0`` at every structure;
    structured margin 1 (``mu`` is the top-``k`` indicator iff
    ``z_(k) - z_(k+1) >= 1``).  ``k = 1`` is sparsemax.  ``loss`` and ``omega`` take
    points of the capped simplex (entries in [0, 1] summing to ``k``).

    Parameters
    ----------
    k : int, >= 1 (and at most the number of unmasked scores when used)
    """

    k: int = 2

    def __post_init__(self):
        kk = V.check_k(self.k, n_min=None)
        object.__setattr__(self, "k", kk)

    @property
    def margin(self) -> float:
        return 1.0

    @property
    def label(self) -> str:
        return f"SparseMAP {self.k}-subsets"

    @property
    def structure_size(self) -> int:
        return self.k

    def _validate_rows(self, rows):
        V.check_k(self.k, M.min_unmasked(rows))

    def _map(self, rows):
        return M.ksubsets_rows(rows, self.k)

    def map_products(self, rows, X):
        return M.ksubsets_step_rows(rows, X, self.k)

    def _omega(self, P):
        return 0.5 * np.sum(P * P, axis=1) - 0.5 * self.k

    def _omega_excess(self, P, n):
        u = self.k / n  # 1/2 ||mu - u||^2 (sum (mu - u) = 0)
        return 0.5 * (np.sum((P - u) ** 2, axis=1) + (n - P.shape[1]) * u * u)

    def _check_domain(self, P, name, n_min):
        if P.shape[1] < self.k:
            raise ValueError(
                f"{name} has {P.shape[1]} entries along the axis; KSubsets(k={self.k}) "
                "needs at least k"
            )
        V.check_simplex(P, name, total=float(self.k), upper=1.0)

    def _jvp(self, P, rows, Vt):
        return J.free_set_jvp((P > 0) & (P < 1), Vt)

    def _barycenter(self, n):
        return np.full(n, self.k / n)


def fy_loss(z: ArrayLike, y: ArrayLike, reg: Regularizer, axis: int = -1) -> np.ndarray:
    r"""The Fenchel-Young loss :math:`L_\Omega(z; y) = \Omega^*(z) + \Omega(y) -
    \langle z, y\rangle` of ``reg`` [BMN20]_, along ``axis``.

    Properties (tested): ``L >= 0``; ``L = 0`` iff ``y = reg.argmax(z)``; convex in
    ``z``; gradient ``reg.argmax(z) - y``.

    Examples
    --------
    >>> from hfy_reference import fy_loss, Tsallis
    >>> float(fy_loss([3.0, 1.0], [1.0, 0.0], Tsallis(2.0)))  # gap 2 >= margin 1
    0.0
    """
    if not isinstance(reg, Regularizer):
        raise TypeError(
            f"reg must be a Regularizer (Shannon(), Tsallis(alpha), ...); got {reg!r}"
        )
    return reg.loss(z, y, axis)


# REGULARIZERS (label -> instance), imported above from the registry, holds the ``named``
# instances of every entry: softmax, 1.5-entmax, sparsemax, 2-normmax, 5-normmax.
