r"""Learnable α: α per row, derivatives with respect to α, and the FY losses of the
entmax and normmax families as functions of ``(z, y, alpha)``.

Every function here takes ``alpha`` as a float or as an array with one value per
slice along ``axis`` (it broadcasts against the shape of ``z`` with ``axis`` removed,
or has ``z``'s number of dimensions with size 1 along ``axis``, PyTorch's ``keepdim``
layout); each row of the result is bitwise the result of calling with that row's α
alone.

Derivative of the map (entmax).  On the support ``S``,
:math:`p_i = ((\alpha-1) z_i - \tau)^{1/(\alpha-1)}` with :math:`\sum_i p_i = 1`.
Differentiating :math:`\log p_i` with respect to α and eliminating
:math:`d\tau/d\alpha` with :math:`\sum_i dp_i/d\alpha = 0` gives, with
:math:`g_i = p_i^{2-\alpha}`, :math:`\hat g = g / \sum_j g_j` and :math:`\ell = \log p`,

.. math::

    \frac{\partial p_i}{\partial\alpha}
      = \frac{1}{\alpha-1}\Big[\frac{p_i - \hat g_i}{\alpha-1}
        - \big(p_i\ell_i - \hat g_i \textstyle\sum_{j\in S} p_j\ell_j\big)\Big],
    \qquad 0 \text{ off } S .

Both brackets vanish as α → 1; the form evaluated for :math:`|\alpha-1| \le 1` is the
same quantity rewritten without cancellation (``c = alpha - 1``,
:math:`y_i = -c\ell_i`, :math:`r_i = (e^{y_i} - 1 - y_i)/c^2`,
:math:`R = \sum_j p_j r_j`, :math:`L = \sum_j p_j\ell_j`):

.. math::

    \frac{\partial p_i}{\partial\alpha}
      = \frac{p_i R - p_i r_i + c\,(L\,p_i r_i - R\,p_i\ell_i)}{\sum_j p_j^{1-c}},
    \qquad \lim_{\alpha\to1} \frac{\partial p_i}{\partial\alpha}
      = \frac{p_i}{2}\Big(\textstyle\sum_j p_j\ell_j^2 - \ell_i^2\Big).

Derivative of the map (normmax).  With :math:`c = \alpha - 1`,
:math:`N = \|p\|_\alpha`, :math:`w_j = (p_j/N)^\alpha`,
:math:`W = \sum_j w_j \log(p_j/N)` and :math:`Q_i = (e^{c\log(N/p_i)} - 1)/c`,

.. math::

    \frac{\partial p_i}{\partial\alpha}
      = -\frac{p_i(\ell_i - \sum_j p_j\ell_j)}{c}
        + \frac{N W}{\alpha}\Big(p_i Q_i - p_i \textstyle\sum_j p_j Q_j\Big),

from :math:`p = v/\sum v`, :math:`v_i = (z_i-\tau)^{1/c}`,
:math:`\sum_i (z_i-\tau)^{\alpha/c} = 1` (so that :math:`\sum_j v_j = 1/N` and
:math:`z_i - \tau = (p_i/N)^c`).

Derivative of the losses.  By Danskin's theorem
:math:`\partial_\alpha \Omega_\alpha^*(z) = -(\partial_\alpha\Omega_\alpha)(\hat p)`, so
:math:`\partial_\alpha L_\alpha(z; y) = (\partial_\alpha\Omega_\alpha)(y) -
(\partial_\alpha\Omega_\alpha)(\hat p)` with, for Tsallis (:math:`u = c\ell`),

.. math::

    \partial_\alpha\Omega_\alpha(p) = \frac{1}{\alpha^2}\sum_i p_i\ell_i
      \Big[\ell_i\,\frac{u_i e^{u_i} - e^{u_i} + 1}{u_i^2}
      + e^{u_i} - 2\,\frac{e^{u_i}-1}{u_i}\Big]
      \quad\Big(\alpha = 1:\ \textstyle\sum_i p_i(\ell_i^2/2 - \ell_i)\Big),

and for the norm entropy :math:`\partial_\alpha \|p\|_\alpha = N W / \alpha`.

References: [PNM19]_ (entmax), [BMN20]_ (FY losses), [SNMM24]_ (normmax); G. M.
Correia, V. Niculae, A. F. T. Martins, *Adaptively sparse transformers*, EMNLP 2019
(α learned per attention head, with the α-gradient that the PyPI ``entmax_bisect``
implements in the form that cancels near α = 1).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from . import _validation as V
from . import jacobians as J
from . import maps as M
from . import regularizers as Rg

__all__ = [
    "entmax_dalpha",
    "normmax_dalpha",
    "entmax_loss",
    "normmax_loss",
    "entmax_loss_dalpha",
    "normmax_loss_dalpha",
    "entmax_jvp",
    "normmax_jvp",
    "entmax_vjp",
    "normmax_vjp",
]

_ENTMAX = dict(lower=0.0, lower_inclusive=False,
               hint="alpha = 1 is softmax, alpha = inf is argmax, 0 < alpha < 1 is dense")
_NORMMAX = dict(lower=1.0, lower_inclusive=True, hint="alpha = 1 is argmax")


def _alpha(alpha, rows: V.Rows, kw: dict):
    return V.check_alpha_rows(alpha, rows, **kw)


def _per_row(a, nrows: int) -> np.ndarray:
    return a if isinstance(a, np.ndarray) else np.full(nrows, a)


def _dalpha_kernel(normmax: bool, P: np.ndarray, A: np.ndarray) -> np.ndarray:
    """∂p/∂α from the map's output ``P`` (a fresh array, overwritten in place: it is 0
    off the support, where the derivative is 0 too)."""
    from ._kernels import alpha as ka

    # The kernel only visits the support: on sparse outputs it is a scan costing a few
    # percent of the map, where starting threads costs more than it saves (measured on
    # a loaded two-core machine: 30-90 ms parallel against 1.7 ms serial at 2000 x
    # 1000).  Threads only for dense outputs (alpha <= 1), where every entry needs a
    # log and an exp.
    big = (P.shape[0] > 1 and P.size >= M.PARALLEL_MIN_SIZE and not normmax
           and bool(np.any(A <= 1.0)))
    (ka.dalpha_rows if big else ka.dalpha_rows_serial)(P, A, P, normmax)
    return P


# ---- derivatives of the maps ------------------------------------------------------
def _one_alpha_above_1(alpha, inf_ok: bool) -> bool:
    """One real ``alpha > 1`` (``< inf`` unless ``inf_ok``): the map then runs on the
    power or capped engine, which can compute the row maxima itself (``defer_max``)."""
    if isinstance(alpha, (bool, np.bool_)) or np.ndim(alpha) != 0:
        return False
    try:
        x = float(alpha)
    except (TypeError, ValueError):
        return False
    return x > 1.0 and (inf_ok or x < math.inf)


def entmax_dalpha(z: ArrayLike, alpha=1.5, axis: int = -1) -> np.ndarray:
    r"""∂(α-entmax(z))/∂α, the derivative of :func:`~hfy_reference.entmax` with respect
    to α, in closed form on the support (see the module notes for the formula).

    Parameters
    ----------
    z : array_like of float, shape (..., N, ...)
        Scores; ``-inf`` entries are masks (derivative 0).
    alpha : float or array_like, > 0 (``np.inf`` allowed)
        One value, or one per slice along ``axis``.  ``alpha = 1`` gives the
        derivative at softmax (the map is analytic in α there:
        ``p_i (sum_j p_j log^2 p_j - log^2 p_i) / 2``); ``alpha = inf`` gives 0 (for
        every ``z`` the map is constant for ``alpha`` large enough).
    axis : int, default -1

    Returns
    -------
    ndarray, same shape as ``z``
        Zero off the support; sums to 0 along ``axis`` (up to rounding).

    Notes
    -----
    The derivative is taken on the support of ``entmax(z, alpha)`` (entries at 0 get
    0).  Where an entry is exactly at the edge of the support (it enters as α
    changes, ``p_i = b_i^{1/(alpha-1)}`` with a base ``b_i`` crossing 0 linearly), the
    map is still differentiable for ``alpha < 2`` (both one-sided derivatives equal
    the returned value); for ``alpha >= 2`` the returned value is the one-sided
    derivative on the side where the entry stays at 0.  The kernel uses the
    cancellation-free form for ``|alpha - 1| <= 1`` and the log-space weights ``g``
    above.  Accuracy (measured against 50-digit finite differences of the exact map,
    see ``docs/alpha.md``): a few ulps of ``max |dp/dalpha|`` times the conditioning
    of the map.

    Examples
    --------
    >>> import numpy as np
    >>> from hfy_reference import entmax_dalpha
    >>> d = entmax_dalpha([1.0, 0.5, -1.0], alpha=1.5)
    >>> d.round(6), abs(float(d.sum())) < 1e-15
    (array([ 0.123886, -0.123886,  0.      ]), True)
    """
    rows = V.as_rows(z, axis, defer_max=_one_alpha_above_1(alpha, inf_ok=False))
    a = _alpha(alpha, rows, _ENTMAX)
    P = M.entmax_rows(rows, a)
    rows.check_deferred()
    A = _per_row(a, rows.data.shape[0])
    inf = np.isinf(A)
    out = _dalpha_kernel(False, P, np.where(inf, 2.0, A))
    if inf.any():
        out[inf] = 0.0
    return rows.restore(out)


def normmax_dalpha(z: ArrayLike, alpha=2.0, axis: int = -1) -> np.ndarray:
    r"""∂(α-normmax(z))/∂α, the derivative of :func:`~hfy_reference.normmax` with
    respect to α, in closed form on the support (formula in the module notes).

    Parameters
    ----------
    z : array_like of float, shape (..., N, ...)
    alpha : float or array_like, >= 1 (``np.inf`` allowed)
        ``alpha = 1`` (argmax: constant in α near 1) and ``alpha = inf`` give 0.
    axis : int, default -1

    Returns
    -------
    ndarray, same shape as ``z``

    Examples
    --------
    >>> from hfy_reference import normmax_dalpha
    >>> normmax_dalpha([1.0, 0.5, -1.0], alpha=2.0).round(6)
    array([-0.145882,  0.145882,  0.      ])
    """
    rows = V.as_rows(z, axis, defer_max=_one_alpha_above_1(alpha, inf_ok=True))
    a = _alpha(alpha, rows, _NORMMAX)
    P = M.normmax_rows(rows, a)
    rows.check_deferred()
    A = _per_row(a, rows.data.shape[0])
    zero = np.isinf(A) | (A == 1.0)
    out = _dalpha_kernel(True, P, np.where(zero, 2.0, A))
    if zero.any():
        out[zero] = 0.0
    return rows.restore(out)


# ---- losses ----------------------------------------------------------------------------
def _tsallis_domega(P: np.ndarray, a: np.ndarray) -> np.ndarray:
    """``d Omega_alpha(p) / d alpha`` per row (Tsallis; ``a`` per row, finite)."""
    a = a.reshape(-1, 1)
    c = a - 1.0
    with np.errstate(divide="ignore"):
        lp = np.where(P > 0, np.log(np.where(P > 0, P, 1.0)), 0.0)
    u = c * lp
    small = np.abs(u) < 0.5
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        # |u| < 1/2: series for (u e^u - e^u + 1)/u^2 = sum_{k>=2} (k-1) u^(k-2) / k!
        psi = np.zeros_like(u)
        pw = np.ones_like(u)
        us = np.where(small, u, 0.0)
        for k in range(2, 22):
            psi += (k - 1) / math.factorial(k) * pw
            pw = pw * us
        em = np.where(u == 0.0, 1.0, np.expm1(u) / np.where(u == 0.0, 1.0, u))
        term_small = P * lp * (lp * psi + np.exp(u) - 2.0 * em)
        # |u| >= 1/2: p e^u = p^a, p (e^u - 1) = p^a - p, in closed form
        pa = np.where(P > 0, np.exp(a * lp), 0.0)
        cc = np.where(c == 0.0, 1.0, c)
        term_big = (u * pa - (pa - P)) / (cc * cc) + lp * pa - 2.0 * (pa - P) / cc
        term = np.where(P > 0, np.where(small, term_small, term_big), 0.0)
    return term.sum(axis=1) / (a[:, 0] * a[:, 0])


def _norm_domega(P: np.ndarray, a: np.ndarray) -> np.ndarray:
    """``d ||p||_alpha / d alpha = (N / alpha) sum_j w_j log(p_j / N)`` per row."""
    a = a.reshape(-1, 1)
    pmax = P.max(axis=1, keepdims=True)
    with np.errstate(divide="ignore", under="ignore"):
        lognrm = np.log(pmax) + np.log(np.sum((P / pmax) ** a, axis=1, keepdims=True)) / a
        lp = np.where(P > 0, np.log(np.where(P > 0, P, 1.0)), 0.0)
        d = lp - lognrm
        w = np.where(P > 0, np.exp(a * d), 0.0)
    W = np.sum(w * d, axis=1)
    return np.exp(lognrm[:, 0]) * W / a[:, 0]


def _loss_setup(z, y, alpha, axis, kw):
    rows = V.as_rows(z, axis)
    a = _alpha(alpha, rows, kw)
    Y = rows.like(y, "y")
    V.check_simplex(Y, "y", total=1.0)
    return rows, a, np.clip(Y, 0.0, None)


def entmax_loss(z: ArrayLike, y: ArrayLike, alpha=1.5, axis: int = -1) -> np.ndarray:
    r"""The entmax (Tsallis) Fenchel-Young loss :math:`L_\alpha(z; y)` along ``axis``,
    with one α or one per slice.

    ``alpha = 1``: the softmax loss (:class:`~hfy_reference.Shannon`);
    ``0 < alpha < 1`` and ``alpha > 1``: :class:`~hfy_reference.Tsallis`;
    ``alpha = inf``: the argmax loss ``max z - <z, y>``.  Computed in the shift-invariant
    form ``Omega(y) - Omega(p) + <z - max z, p - y>`` (clipped at 0, ``+inf`` when ``y``
    has mass on a masked score).

    Returns
    -------
    ndarray, shape of ``z`` without ``axis`` (a float for 1-D ``z``)

    Examples
    --------
    >>> from hfy_reference import entmax_loss
    >>> entmax_loss([[3.0, 1.0], [3.0, 1.0]], [[1.0, 0.0], [1.0, 0.0]], alpha=[2.0, 1.2])
    array([0.        , 0.03614885])
    """
    rows, a, Y = _loss_setup(z, y, alpha, axis, _ENTMAX)
    if not isinstance(a, np.ndarray):
        reg = Rg.Shannon() if a == 1.0 else Rg.Tsallis(a)
        val = reg._loss_rows(rows, Y)
        return rows.restore_reduced(np.maximum(val, 0.0))
    P = M.entmax_rows(rows, a)
    val = (Rg.tsallis_omega_rows(Y, a.reshape(-1, 1))
           - Rg.tsallis_omega_rows(P, a.reshape(-1, 1))
           + Rg._shifted_dot(rows.data, rows.rowmax, P - Y))
    one = a == 1.0
    if one.any():  # bitwise the Shannon loss of a single-alpha call
        sub = M._sub(rows, np.flatnonzero(one))
        val[one] = Rg.Shannon()._loss_rows(sub, Y[one])
    return rows.restore_reduced(np.maximum(val, 0.0))


def normmax_loss(z: ArrayLike, y: ArrayLike, alpha=2.0, axis: int = -1) -> np.ndarray:
    r"""The normmax (norm-entropy) Fenchel-Young loss along ``axis``, with one α or one
    per slice (``alpha >= 1``, ``np.inf`` allowed; ``alpha = 1`` is the argmax loss,
    the limit).  See :func:`entmax_loss`.

    Examples
    --------
    >>> from hfy_reference import normmax_loss
    >>> float(normmax_loss([2.0, 1.0], [1.0, 0.0], alpha=3.0))  # gap 1 >= margin 1
    0.0
    """
    rows, a, Y = _loss_setup(z, y, alpha, axis, _NORMMAX)
    if not isinstance(a, np.ndarray):
        val = Rg.NormEntropy(a)._loss_rows(rows, Y)
        return rows.restore_reduced(np.maximum(val, 0.0))
    P = M.normmax_rows(rows, a)
    val = (_norm_omega_rows(Y, a) - _norm_omega_rows(P, a)
           + Rg._shifted_dot(rows.data, rows.rowmax, P - Y))
    return rows.restore_reduced(np.maximum(val, 0.0))


def _norm_omega_rows(P: np.ndarray, a: np.ndarray) -> np.ndarray:
    """``||p||_a - 1`` per row, as :meth:`NormEntropy._omega` row by row."""
    pmax = P.max(axis=1)
    inf = np.isinf(a)
    one = a == 1.0
    aa = np.where(inf | one, 2.0, a)[:, None]
    R = P / pmax[:, None]
    out = pmax * np.sum(R**aa, axis=1) ** (1.0 / aa[:, 0]) - 1.0
    out[inf] = pmax[inf] - 1.0
    out[one] = P[one].sum(axis=1) - 1.0
    return out


def entmax_loss_dalpha(z: ArrayLike, y: ArrayLike, alpha=1.5, axis: int = -1) -> np.ndarray:
    r""":math:`\partial L_\alpha(z; y) / \partial\alpha` of the entmax FY loss:
    :math:`(\partial_\alpha\Omega_\alpha)(y) - (\partial_\alpha\Omega_\alpha)(\hat p)`
    (Danskin; formula in the module notes).  ``alpha = inf`` gives 0 (the limit).

    Returns
    -------
    ndarray, shape of ``z`` without ``axis``

    Examples
    --------
    >>> from hfy_reference import entmax_loss_dalpha
    >>> round(float(entmax_loss_dalpha([1.0, 0.0], [1.0, 0.0], alpha=1.5)), 6)
    -0.263654
    """
    rows, a, Y = _loss_setup(z, y, alpha, axis, _ENTMAX)
    P = M.entmax_rows(rows, a)
    A = _per_row(a, rows.data.shape[0])
    inf = np.isinf(A)
    Af = np.where(inf, 2.0, A)
    val = _tsallis_domega(Y, Af) - _tsallis_domega(P, Af)
    val[inf] = 0.0
    return rows.restore_reduced(val)


def normmax_loss_dalpha(z: ArrayLike, y: ArrayLike, alpha=2.0, axis: int = -1) -> np.ndarray:
    r""":math:`\partial L_\alpha(z; y) / \partial\alpha` of the normmax FY loss,
    :math:`\partial_\alpha\|y\|_\alpha - \partial_\alpha\|\hat p\|_\alpha` with
    :math:`\partial_\alpha\|p\|_\alpha = (N/\alpha)\sum_j w_j\log(p_j/N)`.
    ``alpha = inf`` gives 0 (the limit).

    Examples
    --------
    >>> from hfy_reference import normmax_loss_dalpha
    >>> round(float(normmax_loss_dalpha([0.5, 0.0], [1.0, 0.0], alpha=2.0)), 6)
    0.085939
    """
    rows, a, Y = _loss_setup(z, y, alpha, axis, _NORMMAX)
    P = M.normmax_rows(rows, a)
    A = _per_row(a, rows.data.shape[0])
    inf = np.isinf(A)
    Af = np.where(inf, 2.0, A)
    val = _norm_domega(Y, Af) - _norm_domega(P, Af)
    val[inf] = 0.0
    return rows.restore_reduced(val)


# ---- Jacobian products with one alpha per row ---------------------------------------------
def entmax_jvp(z: ArrayLike, v: ArrayLike, alpha=1.5, axis: int = -1) -> np.ndarray:
    r"""``J(z) v`` for α-entmax, ``J = diag(g) - g g^T / sum g`` with
    ``g = p^{2-alpha}`` on the support (``alpha = 1``: softmax's Jacobian;
    ``alpha = inf``: 0), one α or one per slice.  Same as
    ``Tsallis(alpha).jvp(z, v, axis)`` row by row (bitwise).

    Examples
    --------
    >>> from hfy_reference.alpha import entmax_jvp
    >>> entmax_jvp([1.0, 0.5, -1.0], [1.0, 0.0, 0.0], alpha=[2.0]) + 0.0
    array([ 0.5, -0.5,  0. ])
    """
    rows = V.as_rows(z, axis)
    a = _alpha(alpha, rows, _ENTMAX)
    Vt = rows.like(v, "v")
    P = M.entmax_rows(rows, a)
    return rows.restore(J.entmax_jvp(P, Vt, a))


def normmax_jvp(z: ArrayLike, v: ArrayLike, alpha=2.0, axis: int = -1) -> np.ndarray:
    r"""``J(z) v`` for α-normmax (``alpha >= 1``; ``1`` and ``inf`` give 0), one α or
    one per slice; bitwise ``NormEntropy(alpha).jvp`` row by row."""
    rows = V.as_rows(z, axis)
    a = _alpha(alpha, rows, _NORMMAX)
    Vt = rows.like(v, "v")
    P = M.normmax_rows(rows, a)
    return rows.restore(J.normmax_jvp(P, Vt, a))


def entmax_vjp(z: ArrayLike, g: ArrayLike, alpha=1.5, axis: int = -1) -> np.ndarray:
    """``J(z)^T g`` for α-entmax (the Jacobian is symmetric: equals :func:`entmax_jvp`)."""
    return entmax_jvp(z, g, alpha, axis)


def normmax_vjp(z: ArrayLike, g: ArrayLike, alpha=2.0, axis: int = -1) -> np.ndarray:
    """``J(z)^T g`` for α-normmax (symmetric Jacobian: equals :func:`normmax_jvp`)."""
    return normmax_jvp(z, g, alpha, axis)
