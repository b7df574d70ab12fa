r"""Regularized prediction maps onto the simplex and the capped simplex.

Every map here solves a small convex program exactly in float64,

.. math::

    \hat y_\Omega(z) = \operatorname*{argmax}_{p \in \triangle_N}\;
        \langle z, p\rangle - \Omega(p),

along ``axis`` of an array of any shape (like :func:`scipy.special.softmax`).
Conventions shared by all maps:

* array-likes in, an array of the same shape out; float16/32/64 inputs give the same
  dtype back (the computation is always float64), integer and bool inputs give
  float64;
* ``-inf`` entries are masks: they get probability exactly 0 and do not move the
  others; a slice that is entirely ``-inf``, any NaN and any ``+inf`` raise
  ``ValueError``;
* the input is never modified.

Accuracy (float64).  The threshold ``tau`` is found on the exact support and refined
in double-double arithmetic, so that each returned entry is the exact solution for
the given float64 input, rounded once (up to the last-bit accuracy of ``exp``/``pow``
in the general-α maps): the KKT conditions hold to a few ulps of the input's scale,
sums are 1 to a few ulps (measured: see ``tests/test_maps_exact.py``), and the support
is exactly ``{i : t_i > tau}``.

Limits (measured).  The guarantee is on the absolute error (at most 2 ulp of 1 against
a 50-digit reference).  Tiny entries carry a larger *relative* error where the map is
ill-conditioned: for α-normmax with α > 2 an entry whose base ``z_i - tau`` is below
about 1e-25 sits within that distance of the threshold, where one ulp of ``z`` moves it
by O(1) (measured: 2.4e-7 relative at α = 100 on such an entry); for α-entmax near
α = 1, entries below about 1e-200 have ~60 ulp relative error (at α = 1.001, where
``p = base^1000`` amplifies the 1e-32 resolution of the base).

References: [MA16]_ sparsemax, [PNM19]_ entmax, [BMN20]_ Fenchel-Young losses,
[SNMM24]_ normmax and Hopfield-Fenchel-Young networks, [NMBC18]_ SparseMAP,
[MFA18]_ constrained sparsemax.  Full entries are in the README.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from . import _validation as V

__all__ = [
    "softmax",
    "sparsemax",
    "entmax",
    "normmax",
    "argmax",
    "sparsemap_ksubsets",
    "constrained_sparsemax",
    "logsumexp",
    "threshold",
]

# the METHOD_* codes of _kernels.simplex (not imported here: importing numba is slow);
# tests/test_double_double.py checks that they agree
_METHODS = {"auto": 0, "pivot": 0, "sort": 1, "bisect": 2}


def _kernels():
    # Imported on first use so that ``import hfy_reference`` stays fast.
    from ._kernels import simplex

    return simplex


#: Inputs with fewer entries than this run on one thread.  Waking Numba's thread pool
#: costs ~20 us on an idle machine, but on a loaded one a parallel region can wait a
#: whole scheduler time slice (measured: 8 ms instead of 0.8 ms at 1000 x 100), which
#: two threads only repay on large arrays.  Set it to 0 to always go parallel.
PARALLEL_MIN_SIZE = 1 << 20


def _kernel(name: str, data: np.ndarray):
    """The parallel kernel ``name``, or its serial twin for small inputs."""
    k = _kernels()
    if data.shape[0] > 1 and data.size >= PARALLEL_MIN_SIZE:
        return getattr(k, name)
    return getattr(k, name + "_serial")


def _method_code(method: str, closed_form: bool, what: str) -> int:
    try:
        code = _METHODS[method]
    except (KeyError, TypeError):
        raise ValueError(
            f"method must be one of {sorted(_METHODS)}; got {method!r}"
        ) from None
    if code == 1 and not closed_form:
        raise ValueError(
            f"method='sort' needs a closed-form threshold, which {what} does not have; "
            "use method='pivot' or method='bisect'"
        )
    return code


def _power(rows: V.Rows, c: float, a: float, e: float, normalize: bool, method: int):
    out = np.empty_like(rows.data)
    info = np.empty((rows.data.shape[0], 3))
    _kernel("power_rows", rows.data)(rows.data, rows.rowmax, c, a, e, normalize, method,
                                     out, info)
    return out, info


# ---- row-level maps on validated canonical rows (used by the regularizers) ----------
def softmax_rows(rows: V.Rows) -> np.ndarray:
    out = np.empty_like(rows.data)
    _kernel("softmax_rows", rows.data)(rows.data, rows.rowmax, out)
    return out


def argmax_rows(rows: V.Rows) -> np.ndarray:
    out = np.empty_like(rows.data)
    _kernel("argmax_rows", rows.data)(rows.data, rows.rowmax, out)
    return out


def entmax_rows(rows: V.Rows, alpha: float, method: int = 0) -> np.ndarray:
    if alpha == 1.0:
        return softmax_rows(rows)
    if math.isinf(alpha):
        return argmax_rows(rows)
    c = alpha - 1.0
    return _power(rows, c, 1.0 / c, 1.0 / c, False, method)[0]


def normmax_rows(rows: V.Rows, alpha: float, method: int = 0) -> np.ndarray:
    if alpha == 1.0:
        return argmax_rows(rows)
    if math.isinf(alpha):
        return _power(rows, 1.0, 1.0, 0.0, True, method)[0]
    return _power(rows, 1.0, alpha / (alpha - 1.0), 1.0 / (alpha - 1.0), True, method)[0]


def ksubsets_rows(rows: V.Rows, k: int) -> np.ndarray:
    out = np.empty_like(rows.data)
    info = np.empty((rows.data.shape[0], 3))
    dummy = np.ones((1, 1))
    _kernel("capped_rows", rows.data)(rows.data, rows.rowmax, dummy, 1.0, True, float(k),
                                      out, info)
    return out


def logsumexp_shifted_rows(rows: V.Rows) -> np.ndarray:
    """``log sum_i exp(z_i - max z)`` per row (in [0, log N]; no cancellation with
    ``max z`` at large scores)."""
    out = np.empty(rows.data.shape[0])
    _kernel("logsumexp_rows", rows.data)(rows.data, rows.rowmax, out)
    return out


def min_unmasked(rows: V.Rows) -> int:
    """The fewest unmasked (finite) entries of any row."""
    n = rows.data.shape[1]
    if np.isneginf(rows.data.min()):
        return int(np.isfinite(rows.data).sum(axis=1).min())
    return n


# ---- public maps -----------------------------------------------------------------------
def softmax(z: ArrayLike, axis: int = -1) -> np.ndarray:
    r"""Softmax, the Shannon-entropy regularized argmax.

    .. math::

        \operatorname{softmax}(z)_i = \frac{e^{z_i}}{\sum_j e^{z_j}}
        = \operatorname*{argmax}_{p\in\triangle} \langle z,p\rangle
          - \textstyle\sum_i p_i \log p_i .

    Parameters
    ----------
    z : array_like of float, shape (..., N, ...)
        Scores; ``-inf`` entries are masks.
    axis : int, default -1
        Axis along which the map acts.

    Returns
    -------
    ndarray, same shape as ``z``
        Probabilities, summing to 1 along ``axis``.

    Notes
    -----
    One fused pass per row (shift by the maximum, exponentiate, compensated sum,
    divide); rows in parallel.  Each entry is within about 2 ulp (relative) of the
    exact value; sums are 1 to a few ulps.

    Examples
    --------
    >>> import numpy as np
    >>> from hfy_reference import softmax
    >>> p = softmax([1.0, 2.0, -np.inf])
    >>> p.round(6), float(p.sum())
    (array([0.268941, 0.731059, 0.      ]), 1.0)
    """
    rows = V.as_rows(z, axis)
    return rows.restore(softmax_rows(rows))


def logsumexp(z: ArrayLike, axis: int = -1) -> np.ndarray:
    r"""``log sum_i exp(z_i)`` along ``axis`` (the conjugate of the negative Shannon
    entropy, :math:`\Omega^*` of :func:`softmax`).  ``-inf`` entries are masks."""
    rows = V.as_rows(z, axis)
    return rows.restore_reduced(logsumexp_shifted_rows(rows) + rows.rowmax)


def sparsemax(z: ArrayLike, axis: int = -1, *, method: str = "auto") -> np.ndarray:
    r"""Sparsemax: the Euclidean projection of ``z`` onto the simplex [MA16]_.

    .. math::

        \operatorname{sparsemax}(z) = \operatorname*{argmin}_{p\in\triangle}\|p-z\|^2
        = \operatorname*{argmax}_{p\in\triangle}\langle z,p\rangle-\tfrac12\|p\|^2,
        \qquad p_i = [z_i - \tau]_+,\ \textstyle\sum_i p_i = 1 .

    This is :func:`entmax` with ``alpha=2``; its FY loss has margin 1.

    Parameters
    ----------
    z : array_like of float, shape (..., N, ...)
        Scores; ``-inf`` entries are masks.
    axis : int, default -1
    method : {"auto", "pivot", "sort", "bisect"}
        How the support is found (all give the same result): pivoting on breakpoints
        in expected linear time (``"auto"``), a full sort, or bisection.

    Returns
    -------
    ndarray, same shape as ``z``

    Notes
    -----
    ``tau = (sum_{i in S} z_i - 1)/|S|`` is computed in double-double on the exact
    support ``S``, so each entry is ``z_i - tau`` rounded once.

    Examples
    --------
    >>> from hfy_reference import sparsemax
    >>> sparsemax([1.0, 0.5, -1.0])
    array([0.75, 0.25, 0.  ])
    """
    return entmax(z, 2.0, axis, method=method)


def entmax(z: ArrayLike, alpha: float = 1.5, axis: int = -1, *,
           method: str = "auto") -> np.ndarray:
    r"""α-entmax: the Tsallis-entropy regularized argmax [PNM19]_.

    .. math::

        \alpha\text{-entmax}(z) = \operatorname*{argmax}_{p\in\triangle}
          \langle z,p\rangle - \frac{\sum_i p_i^\alpha - 1}{\alpha(\alpha-1)},
        \qquad p_i = [(\alpha-1) z_i - \tau]_+^{1/(\alpha-1)},\ \textstyle\sum_i p_i=1.

    ``alpha = 1`` is :func:`softmax`, ``alpha = 2`` is :func:`sparsemax`,
    ``alpha = np.inf`` is :func:`argmax`.  The FY loss has margin ``1/(alpha-1)``.

    Parameters
    ----------
    z : array_like of float, shape (..., N, ...)
        Scores; ``-inf`` entries are masks.
    alpha : float, >= 1 (``np.inf`` allowed)
    axis : int, default -1
    method : {"auto", "pivot", "sort", "bisect"}
        How the support is found; all three give the same result.  ``"auto"`` pivots
        on breakpoints (expected linear time); ``"sort"`` sorts (only for
        ``alpha`` in {1.5, 2}, whose threshold has a closed form on a prefix);
        ``"bisect"`` bisects on ``tau`` until the bracket stops shrinking.

    Returns
    -------
    ndarray, same shape as ``z``

    Raises
    ------
    ValueError
        ``alpha < 1`` or NaN; NaN/+inf scores; an all ``-inf`` slice.

    Notes
    -----
    With ``t = (alpha - 1)(z - max z)`` (exact as a double-double), ``tau`` lies in
    ``[-1, -k^{1-alpha}]``.  The support is found first; on it ``tau`` is computed in
    closed form (``alpha = 2``: linear; ``alpha = 1.5``: quadratic) or by Newton's
    method on ``log sum_i (t_i - tau)^{1/(alpha-1)}`` safeguarded by bisection, then
    refined by Newton steps in double-double until the step stops shrinking, and the
    support is checked against the refined ``tau``.  Exact ties on the support give
    exactly uniform weights, also where ``tau`` would underflow (large ``alpha``,
    many ties).

    Examples
    --------
    >>> from hfy_reference import entmax
    >>> p = entmax([1.0, 0.5, -1.0], alpha=1.5)
    >>> p.round(6), float(p.sum())
    (array([0.673993, 0.326007, 0.      ]), 1.0)
    """
    a = V.check_alpha(alpha, hint="alpha = 1 is softmax, alpha = inf is argmax")
    closed = a in (1.0, 1.5, 2.0) or math.isinf(a)
    code = _method_code(method, closed, f"entmax with alpha={a}")
    rows = V.as_rows(z, axis)
    return rows.restore(entmax_rows(rows, a, code))


def normmax(z: ArrayLike, alpha: float = 2.0, axis: int = -1, *,
            method: str = "auto") -> np.ndarray:
    r"""α-normmax: the norm-entropy regularized argmax [SNMM24]_.

    .. math::

        \alpha\text{-normmax}(z) = \operatorname*{argmax}_{p\in\triangle}
          \langle z,p\rangle - (\|p\|_\alpha - 1),
        \qquad p = v / \textstyle\sum_j v_j,\ v_i = [z_i-\tau]_+^{1/(\alpha-1)},

    with ``tau`` solving ``sum_i [z_i - tau]_+^{alpha/(alpha-1)} = 1`` (KKT:
    ``d||p||_alpha / dp_i = (p_i/||p||_alpha)^{alpha-1}``).  ``alpha = np.inf`` gives
    the uniform distribution on the support of :func:`sparsemax`; ``alpha = 1``
    (where the regularizer vanishes on the simplex) gives :func:`argmax`.  The FY loss
    has margin 1 for every ``alpha``.

    Parameters
    ----------
    z : array_like of float, shape (..., N, ...)
        Scores; ``-inf`` entries are masks.
    alpha : float, >= 1 (``np.inf`` allowed)
    axis : int, default -1
    method : {"auto", "pivot", "sort", "bisect"}
        As in :func:`entmax`; ``"sort"`` for ``alpha`` in {2, inf}.

    Returns
    -------
    ndarray, same shape as ``z``

    Notes
    -----
    Same engine as :func:`entmax`, with exponent ``alpha/(alpha-1)`` in the threshold
    equation; the normalization ``v / sum v`` uses a compensated sum.

    Examples
    --------
    >>> from hfy_reference import normmax
    >>> p = normmax([1.0, 0.5, -1.0], alpha=2.0)
    >>> p.round(6), float(p.sum())
    (array([0.688982, 0.311018, 0.      ]), 1.0)
    """
    a = V.check_alpha(alpha, hint="alpha = 1 is argmax")
    closed = a in (1.0, 2.0) or math.isinf(a)
    code = _method_code(method, closed, f"normmax with alpha={a}")
    rows = V.as_rows(z, axis)
    return rows.restore(normmax_rows(rows, a, code))


def argmax(z: ArrayLike, axis: int = -1) -> np.ndarray:
    r"""The unregularized argmax (``Omega = 0``) as a distribution.

    Ties are split uniformly: ``p_i = 1/|T|`` on ``T = {i : z_i = max z}``.  This is
    the limit of :func:`entmax` as ``alpha -> inf`` and of every map as ``beta -> inf``.

    Examples
    --------
    >>> from hfy_reference import argmax
    >>> argmax([1.0, 3.0, 3.0])
    array([0. , 0.5, 0.5])
    """
    rows = V.as_rows(z, axis)
    return rows.restore(argmax_rows(rows))


def sparsemap_ksubsets(z: ArrayLike, k: int, axis: int = -1) -> np.ndarray:
    r"""SparseMAP over the subsets of size ``k`` [NMBC18]_ (the capped simplex).

    .. math::

        \mu = \operatorname*{argmax}_{\mu\in[0,1]^N,\ \sum\mu = k}
          \langle z,\mu\rangle - \tfrac12\|\mu\|^2
        = \operatorname{clip}(z - \tau, 0, 1),\ \textstyle\sum_i \mu_i = k .

    ``mu`` are the marginals of a sparse distribution over ``k``-subsets.  ``k = 1`` is
    :func:`sparsemax`.  ``mu`` is the indicator of the top ``k`` iff
    ``z_(k) - z_(k+1) >= 1`` (structured margin 1).

    Parameters
    ----------
    z : array_like of float, shape (..., N, ...)
        Scores; ``-inf`` entries are masks (marginal 0).
    k : int, 1 <= k <= the number of unmasked entries of every slice
    axis : int, default -1

    Returns
    -------
    ndarray, same shape as ``z``, entries in [0, 1], summing to ``k`` along ``axis``.

    Notes
    -----
    The breakpoints ``z_i`` and ``z_i - 1`` are pivoted on in expected linear time;
    ``tau`` is then the closed form ``(#capped + sum_free z - k)/#free`` in
    double-double, so free entries are ``z_i - tau`` rounded once and capped entries
    are exactly 1.

    Examples
    --------
    >>> from hfy_reference import sparsemap_ksubsets
    >>> sparsemap_ksubsets([3.0, 1.0, 0.5, -2.0], k=2)
    array([1.  , 0.75, 0.25, 0.  ])
    """
    rows = V.as_rows(z, axis)
    kk = V.check_k(k, min_unmasked(rows))
    return rows.restore(ksubsets_rows(rows, kk))


def constrained_sparsemax(z: ArrayLike, upper: ArrayLike, axis: int = -1) -> np.ndarray:
    r"""Sparsemax with upper bounds (the free-recall / fertility baseline) [MFA18]_.

    .. math::

        p = \operatorname*{argmin}_{p\in\triangle,\ p\le u}\|p-z\|^2
          = \operatorname{clip}(z-\tau, 0, u),\ \textstyle\sum_i p_i = 1 .

    Parameters
    ----------
    z : array_like of float, shape (..., N, ...)
        Scores; ``-inf`` entries are masks.
    upper : array_like of float, broadcastable to ``z``
        Upper bounds ``u_i >= 0`` (``np.inf`` allowed); the problem is feasible iff the
        bounds of the unmasked entries of each slice sum to at least 1.
    axis : int, default -1

    Returns
    -------
    ndarray, same shape as ``z``

    Examples
    --------
    >>> from hfy_reference import constrained_sparsemax
    >>> constrained_sparsemax([2.0, 1.0, 0.0], upper=[0.5, 1.0, 1.0])
    array([0.5, 0.5, 0. ])
    """
    rows = V.as_rows(z, axis)
    u = V.as_upper(upper, rows.shape)
    scalar = u.strides == (0,) * u.ndim  # one cap for every entry: no array needed
    if scalar:
        c = float(u.flat[0])
        U = np.ones((1, 1))
        total = c * np.isfinite(rows.data).sum(axis=1) if np.isneginf(rows.data.min()) \
            else np.full(rows.data.shape[0], c * rows.data.shape[1])
    else:
        U = np.ascontiguousarray(np.moveaxis(u, rows.axis, -1).reshape(rows.data.shape))
        if np.isneginf(rows.data.min()):
            total = np.where(np.isneginf(rows.data), 0.0, U).sum(axis=1)
        else:
            total = U.sum(axis=1)
    if (total < 1.0).any():
        r = int(np.argmin(total))
        raise ValueError(
            "constrained_sparsemax is infeasible: the upper bounds of the unmasked "
            f"entries must sum to >= 1 in every slice; slice {r} sums to {float(total[r])!r}"
        )
    out = np.empty_like(rows.data)
    info = np.empty((rows.data.shape[0], 3))
    if scalar:
        _kernel("capped_rows", rows.data)(rows.data, rows.rowmax, U, c, True, 1.0, out, info)
    else:
        _kernel("capped_rows", rows.data)(rows.data, rows.rowmax, U, 0.0, False, 1.0, out, info)
    return rows.restore(out)


def threshold(z: ArrayLike, alpha: float = 1.5, axis: int = -1, *,
              family: str = "entmax") -> tuple[np.ndarray, np.ndarray]:
    r"""The threshold ``tau`` and the support size of entmax or normmax.

    For ``family="entmax"``, ``tau`` is returned in the original coordinates,
    ``p_i = [(alpha-1) z_i - tau]_+^{1/(alpha-1)}``; for ``family="normmax"``,
    ``p_i ∝ [z_i - tau]_+^{1/(alpha-1)}``.  ``tau`` is the high part of the
    double-double threshold (it may round to ``(alpha-1) max z`` for huge ``alpha``).

    ``alpha = 1`` is the limit ``alpha -> 1``, as everywhere in the library.  For
    entmax the formula above degenerates there (its ``tau`` tends to ``-1`` for every
    ``z``), so the threshold of the limit map, softmax, is returned: the normalizer
    ``tau = logsumexp(z)`` of ``p_i = exp(z_i - tau)``, with every finite entry in the
    support.  For normmax, ``tau -> max z - 1`` (the dual-norm condition
    ``||[z - tau]_+||_inf = 1``) and the support of the limit map, the argmax, is the
    set of largest entries.

    Returns
    -------
    tau : ndarray, shape of ``z`` without ``axis``
    support_size : ndarray of int, same shape
    """
    if family not in ("entmax", "normmax"):
        raise ValueError(f"family must be 'entmax' or 'normmax'; got {family!r}")
    a = V.check_alpha(alpha, lower=1.0)
    rows = V.as_rows(z, axis)
    if a == 1.0:
        if family == "entmax":
            tau = rows.rowmax + logsumexp_shifted_rows(rows)
            n = np.isfinite(rows.data).sum(axis=1)
        else:
            tau = rows.rowmax - 1.0
            n = (rows.data == rows.rowmax[:, None]).sum(axis=1)
        shape = rows.moved_shape[:-1]
        tau, n = tau.reshape(shape), n.astype(np.int64).reshape(shape)
        return (tau if tau.ndim else tau[()]), (n if n.ndim else n[()])
    if family == "entmax":
        if math.isinf(a):
            raise ValueError("alpha must be finite for family='entmax' (argmax)")
        c = a - 1.0
        _, info = _power(rows, c, 1.0 / c, 1.0 / c, False, 0)
        tau = info[:, 0] + info[:, 1] + c * rows.rowmax
    else:
        if math.isinf(a):
            _, info = _power(rows, 1.0, 1.0, 0.0, True, 0)
        else:
            _, info = _power(rows, 1.0, a / (a - 1.0), 1.0 / (a - 1.0), True, 0)
        tau = info[:, 0] + info[:, 1] + rows.rowmax
    shape = rows.moved_shape[:-1]
    tau = tau.reshape(shape)
    n = info[:, 2].astype(np.int64).reshape(shape)
    return (tau if tau.ndim else tau[()]), (n if n.ndim else n[()])
