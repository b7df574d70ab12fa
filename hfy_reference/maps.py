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

Accuracy (float64, measured: ``docs/accuracy.md``, ``tests/test_exactness_classes.py``).
The support is found first, then the threshold on it: for sparsemax, k-subsets and
constrained sparsemax exactly (a floating-point expansion), so that every entry is
within 1 ulp of the exact solution for the given float64 input, relative to itself,
also for entries of 1e-300 next to entries of order 1 and at score spreads up to
1.8e308; for softmax each entry (``>= 2**-1022``) is within 2 ulp relative; for
entmax and normmax the threshold is refined in double-double with the exponent
``1/(alpha-1)`` carried as a double-double, so that entries are within 2 ulp of 1
absolute for every ``alpha > 1`` (down to ``alpha - 1 = 2**-52``; on the grid
``alpha - 1`` in 1e-3 ... ``2**-52`` within 2.13 ulp relative).  Supports are exact
and sums are 1 to a few ulps.

Limits (measured).  For entmax and normmax with ``alpha`` not in {1.5, 2} the threshold
equation is evaluated with libm's ``pow`` (about 1 ulp), so ``tau`` is accurate to
about ``2**-53`` absolute and an entry ``p = b**e`` with a small base ``b`` carries a
relative error of about ``2**-53 / b``: measured 189 ulp (relative) on an entry of
1e-24 at alpha = 1.3, with an absolute error of 1e-8 ulp of 1.  That is the
conditioning of the problem: one ulp of change in a score moves such an entry as much.

References: [MA16]_ sparsemax, [PNM19]_ entmax, [BMN20]_ Fenchel-Young losses,
[SNMM24]_ normmax and Hopfield-Fenchel-Young networks, [NMBC18]_ SparseMAP,
[MFA18]_ constrained sparsemax.  Full entries are in the README.
"""

from __future__ import annotations

import math
from fractions import Fraction

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
_ENTMAX_HINT = "alpha = 1 is softmax, alpha = inf is argmax, 0 < alpha < 1 is dense"


def _kernels():
    # Imported on first use so that ``import hfy_reference`` stays fast.
    from ._kernels import simplex

    return simplex


#: Inputs with fewer entries than this run on one thread.  Waking Numba's thread pool
#: costs ~20 us on an idle machine, but on a loaded one a parallel region can wait a
#: whole scheduler time slice (measured: 8 ms instead of 0.8 ms at 1000 x 100), which
#: two threads only repay on large arrays.  Set it to 0 to always go parallel.
PARALLEL_MIN_SIZE = 1 << 20

# Outputs of the sparse engines of at least this many bytes are allocated by numpy.zeros
# and the kernels write each row's support only; smaller ones by numpy.empty, each row
# zeroed by the kernel.  A block this large is mapped fresh from the system (glibc maps
# every block above 32 MiB on its own), whose pages are zero already: calloc makes no
# pass over it, and the kernel's own zeroing would be one more write over the output
# (sparsemax and k-subsets: 0.7-4.1 ms less per call at 10**4 x 10**3, docs/speed.md).
# A smaller block may be reused heap memory, which calloc clears on one thread: slower
# than the kernel's zeroing, row by row next to the row's work (0.1-0.6 ms more at
# 2000 x 1000).
ZEROED_MIN_BYTES = 1 << 25


def _support_output(shape: tuple[int, ...]) -> tuple[np.ndarray, bool]:
    """``(out, zeroed)``: a float64 output of ``shape`` for a kernel that writes the
    support of each row, and whether it arrives zeroed (``ZEROED_MIN_BYTES``)."""
    if 8 * math.prod(shape) >= ZEROED_MIN_BYTES:
        return np.zeros(shape), True
    return np.empty(shape), False


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


def _dd(q: Fraction) -> tuple[float, float]:
    """The double-double ``hi + lo`` nearest to the rational ``q``."""
    hi = float(q)
    return hi, float(q - Fraction(hi))


def _exponents(alpha: float, family: str) -> tuple[float, float, float, float, float]:
    """``(c, a, alo, e, elo)`` for ``power_rows``: the scale ``c`` of the scores and the
    exponents of the threshold equation (``a``) and of the output (``e``) as
    double-doubles of their exact values for the float64 ``alpha`` (``alpha > 1``).

    ``1/(alpha - 1)`` is not a float64; rounding it moves a tiny output ``p = b**e`` by
    ``|log p| 2**-53`` relative, hence the low parts.
    """
    if math.isinf(alpha):  # normmax only: uniform on sparsemax's support
        return 1.0, 1.0, 0.0, 0.0, 0.0
    al = Fraction(alpha)
    if family == "entmax":
        c = alpha - 1.0  # exact for alpha <= 2**53
        a, alo = _dd(1 / Fraction(c))
        return c, a, alo, a, alo
    a, alo = _dd(al / (al - 1))
    e, elo = _dd(1 / (al - 1))
    return 1.0, a, alo, e, elo


def _power(rows: V.Rows, c: float, a: float, e: float, normalize: bool, method: int,
           alo: float = 0.0, elo: float = 0.0):
    out, zeroed = _support_output(rows.data.shape)
    info = np.empty((rows.data.shape[0], 3))
    _kernel("power_rows", rows.data)(rows.data, rows.rowmax, c, a, alo, e, elo, normalize,
                                     method, out, info, zeroed)
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


def entmax_rows(rows: V.Rows, alpha, method: int = 0) -> np.ndarray:
    """α-entmax of canonical rows; ``alpha`` a float or one value per row."""
    if isinstance(alpha, np.ndarray):
        return _per_row(rows, alpha, method, normmax=False)
    if alpha == 1.0:
        return softmax_rows(rows)
    if math.isinf(alpha):
        return argmax_rows(rows)
    if alpha < 1.0:
        return dense_rows(rows, np.full(rows.data.shape[0], 1.0 - alpha))[0]
    if alpha == 2.0 and method == 0:  # sparsemax = k-subsets with k = 1 (exact engine)
        return ksubsets_rows(rows, 1)
    c, a, alo, e, elo = _exponents(alpha, "entmax")
    return _power(rows, c, a, e, False, method, alo, elo)[0]


def normmax_rows(rows: V.Rows, alpha, method: int = 0) -> np.ndarray:
    """α-normmax of canonical rows; ``alpha`` a float or one value per row."""
    if isinstance(alpha, np.ndarray):
        return _per_row(rows, alpha, method, normmax=True)
    if alpha == 1.0:
        return argmax_rows(rows)
    c, a, alo, e, elo = _exponents(alpha, "normmax")
    return _power(rows, c, a, e, True, method, alo, elo)[0]


def dense_rows(rows: V.Rows, Q: np.ndarray):
    """α-entmax for ``0 < alpha < 1`` (``Q = 1 - alpha`` per row): ``(p, info)``."""
    from ._kernels import alpha as ka

    out = np.empty_like(rows.data)
    info = np.empty((rows.data.shape[0], 3))
    big = rows.data.shape[0] > 1 and rows.data.size >= PARALLEL_MIN_SIZE
    (ka.dense_rows if big else ka.dense_rows_serial)(rows.data, rows.rowmax, Q, out, info)
    return out, info


def _sub(rows: V.Rows, idx: np.ndarray) -> V.Rows:
    return V.Rows(np.ascontiguousarray(rows.data[idx]), rows.rowmax[idx], rows.axis,
                  (len(idx), rows.n), rows.dtype)


def _per_row(rows: V.Rows, alpha: np.ndarray, method: int, normmax: bool) -> np.ndarray:
    """One α per row.  The rows with ``1 < alpha < inf`` (and ``alpha = inf`` for
    normmax) go through one call of the power-threshold kernel with the parameters
    ``(c, a, e)`` read per row, so each row is bitwise the single-α result; the
    special values (``alpha = 1``, ``inf``, ``< 1``) are gathered and mapped by their
    own kernels."""
    one = alpha == 1.0
    inf = np.isinf(alpha)
    if normmax:
        general = ~one
        special = [(one, lambda r: argmax_rows(r))]
    else:
        low = alpha < 1.0
        # sparsemax (alpha = 2, default method) runs on the exact capped engine, as in
        # the single-alpha call
        two = (alpha == 2.0) & (method == 0)
        general = ~(one | inf | low | two)
        special = [(one, softmax_rows), (inf, argmax_rows),
                   (low, lambda r: dense_rows(r, 1.0 - alpha[low])[0]),
                   (two, lambda r: ksubsets_rows(r, 1))]
    for mask, fn in special:
        if mask.all():  # one kind of row only: no gathering, no copy
            return fn(rows)
    out = np.empty_like(rows.data)
    if general.any():
        g = general.all()
        sub = rows if g else _sub(rows, np.flatnonzero(general))
        ag = alpha if g else alpha[general]
        # the exponents of each distinct alpha, as the single-alpha call computes them
        # (double-doubles of the exact rationals)
        vals, inv = np.unique(ag, return_inverse=True)
        fam = "normmax" if normmax else "entmax"
        par = np.array([_exponents(float(v), fam) for v in vals]).reshape(-1, 5)[inv]
        C, A, ALO, E, ELO = (np.ascontiguousarray(par[:, j]) for j in range(5))
        res, zeroed = _support_output(sub.data.shape)
        info = np.empty((sub.data.shape[0], 3))
        _kernel("power_rows_v", sub.data)(sub.data, sub.rowmax, C, A, ALO, E, ELO,
                                          normmax, method, res, info, zeroed)
        if g:
            return res
        out[general] = res
    for mask, fn in special:
        if mask.any():
            out[mask] = fn(_sub(rows, np.flatnonzero(mask)))
    return out


def _capped(rows: V.Rows, U: np.ndarray, vconst: float, use_const: bool, K: float,
            count: bool = True):
    """The capped engine on ``rows``: ``(out, rows)``, the returned rows carrying the
    -inf counts when the kernel computed the maxima (``rows.deferred``) and ``count``
    (``False``: the caller needs no counts, one pass over each row fewer)."""
    out, zeroed = _support_output(rows.data.shape)
    info = np.empty((rows.data.shape[0], 3))
    ninf = np.zeros(rows.data.shape[0] if rows.deferred and count else 0, np.int64)
    _kernel("capped_rows", rows.data)(rows.data, rows.rowmax, U, vconst, use_const, K, out,
                                      info, ninf, zeroed)
    return out, (rows.with_counts(ninf) if rows.deferred and count else rows)


def ksubsets_rows(rows: V.Rows, k: int) -> np.ndarray:
    return _capped(rows, np.ones((1, 1)), 1.0, True, float(k), count=False)[0]


# ---- the Hopfield update X^T y_hat(z) without writing y_hat out (HopfieldNetwork.step) ---
def _kernel_products(rows: V.Rows, X: np.ndarray, name: str, args: tuple,
                     ninf: bool) -> np.ndarray:
    """``X^T y_hat(z_r)`` for every row by the kernel ``name`` (``power_rows_step`` or
    ``capped_rows_step``): each row's map is computed, bit for bit the map's row, into a
    scratch row, and ``X^T p`` is summed over its support in index order; a row whose
    support holds more than ``N/8`` entries is written out and multiplied by BLAS.
    ``rows.rowmax`` may be NaN (deferred): the kernel then fills it in, and a row whose
    maximum is not finite gets no result (the caller checks ``rows.rowmax``)."""
    B, N = rows.data.shape
    cap = max(1, N // 8)
    out = np.empty_like(rows.data)  # never touched (nor paged in) unless a row is dense
    info = np.empty((B, 3))
    Vx = np.empty((B, X.shape[1]))
    counts = np.zeros(B, np.int64)
    extra = (np.empty(0, np.int64),) if ninf else ()
    big = B > 1 and rows.data.size >= PARALLEL_MIN_SIZE
    kern = getattr(_kernels(), name if big else name + "_serial")
    kern(rows.data, rows.rowmax, *args, X, cap, out, info, *extra, Vx, counts)
    return _dense_products(Vx, counts, cap, out, X)


def power_step_rows(rows: V.Rows, X: np.ndarray, alpha: float, family: str) -> np.ndarray:
    """``X^T y_hat(z)`` per row for α-entmax or α-normmax (``family``), one
    ``alpha > 1`` (finite for entmax)."""
    c, a, alo, e, elo = _exponents(alpha, family)
    return _kernel_products(rows, X, "power_rows_step",
                            (c, a, alo, e, elo, family == "normmax", 0), False)


STEP_BLOCK = 4096  # patterns per block of the softmax Hopfield step
STEP_SCORES = 1 << 20  # scores per block (8 MiB): rows per block = STEP_SCORES // block


def softmax_step(Qs: np.ndarray, X: np.ndarray, want_d: bool = False
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    r"""``(X^T softmax(X q), m, S, D)`` per row ``q`` of ``Qs``, with
    ``m = max_i x_i^T q``, ``S = sum_i exp(x_i^T q - m)`` (in ``[1, N]``) and, with
    ``want_d``, ``D = sum_i -expm1(x_i^T q - m) = N - S`` without the cancellation
    (else ``None``); blocked: the scores are never formed as a whole.

    The patterns go in blocks of ``C = max(STEP_BLOCK, STEP_SCORES // B)`` (or all
    ``N``), the ``B`` rows of ``Qs`` in groups of ``STEP_SCORES // C``.  Per block, BLAS
    forms the scores ``W = Qs X_b^T``; the kernel (one thread) turns them into the
    weights ``w_i = exp(z_i - m)`` of the running row maximum ``m`` (an error-free shift
    and an exp within 1 ulp) and adds them to a compensated sum ``S``; BLAS adds
    ``W X_b`` to ``V``.  When ``m`` grows, ``S`` and ``V`` are rescaled by
    ``exp(m_old - m_new)``.  The result is ``V / S``:

    .. math:: X^\top \operatorname{softmax}(z) = \frac{\sum_i e^{z_i - m} x_i}
              {\sum_i e^{z_i - m}}.

    Each component is within a few ``eps sum_i p_i |x_ij|`` of the exact value for the
    computed scores (the products' own rounding, as for ``X^T p`` by BLAS with the
    exact ``p``; ``docs/accuracy.md``), but not bit for bit ``X^T`` of
    :func:`softmax`'s ``p``.  A row whose maximum is NaN or ``+inf`` (scores that
    overflowed) comes back with ``m`` NaN, for the caller to refuse.  ``V`` before the
    division reaches ``S max |x|`` (``S`` up to ``N``): with patterns near
    ``1.8e308 / N`` it can overflow where ``X^T p`` does not (``HopfieldNetwork`` then
    takes the route through ``p``).
    """
    k = _kernels()
    B = Qs.shape[0]
    N, D = X.shape
    C = min(N, max(STEP_BLOCK, STEP_SCORES // B))  # few rows: longer blocks
    R = max(1, STEP_SCORES // C)
    V = np.zeros((B, D))
    m = np.full(B, -np.inf)
    sh = np.zeros(B)
    sl = np.zeros(B)
    buf = np.empty(min(B, R) * C)
    part = np.empty((min(B, R), D))
    Dm = np.zeros(B if want_d else 0)
    with np.errstate(over="ignore", invalid="ignore"):
        for r0 in range(0, B, R):
            r1 = min(B, r0 + R)
            Q = Qs[r0:r1]
            Vr = V[r0:r1]
            for c0 in range(0, N, C):
                c1 = min(N, c0 + C)
                Xb = X[c0:c1]
                W = buf[:(r1 - r0) * (c1 - c0)].reshape(r1 - r0, c1 - c0)
                np.matmul(Q, Xb.T, out=W)
                k.softmax_step_block(W, m[r0:r1], sh[r0:r1], sl[r0:r1], Vr,
                                     Dm[r0:r1] if want_d else Dm, c0)
                Pr = part[:r1 - r0]
                np.matmul(W, Xb, out=Pr)
                Vr += Pr
    S = sh + sl
    V /= np.where(np.isfinite(m), S, 1.0)[:, None]  # (refused rows: S = 0)
    return V, m, S, (Dm if want_d else None)


def _dense_products(Vx, counts, cap, P, X):
    """``Vx[r] = X^T P[r]`` by BLAS for the rows whose support exceeded ``cap`` (the
    rows of ``P`` that were written out), as ``HopfieldNetwork`` does it: one product
    of the whole ``P`` when every row is dense."""
    dense = counts > cap
    if dense.all():
        return P @ X
    if dense.any():
        Vx[dense] = P[dense] @ X
    return Vx


def ksubsets_step_rows(rows: V.Rows, X: np.ndarray, k: int) -> np.ndarray:
    """``X^T mu`` per row for k-subsets SparseMAP (sparsemax for ``k = 1``)."""
    return _kernel_products(rows, X, "capped_rows_step",
                            (np.ones((1, 1)), 1.0, True, float(k)), True)


def logsumexp_shifted_rows(rows: V.Rows) -> np.ndarray:
    """``log sum_i exp(z_i - max z)`` per row (in [0, log N]; no cancellation with
    ``max z`` at large scores)."""
    out = np.empty(rows.data.shape[0])
    _kernel("logsumexp_rows", rows.data)(rows.data, rows.rowmax, out)
    return out


def min_unmasked(rows: V.Rows) -> int:
    """The fewest unmasked (finite) entries of any row."""
    n = rows.data.shape[1]
    ninf = rows.masked_counts()
    return n if ninf is None else n - int(ninf.max())


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
    Two passes per row (error-free shift by the maximum, a vectorized ``exp`` of the
    exact difference kept as a pair, a sum in TwoSum lanes; then the quotient rounded
    once); rows in parallel.  Each entry of at least ``2**-1022`` is within 2 ulp
    (relative) of the exact value (measured: at most 0.57 ulp on 12 500 entries down to
    ``e**-745``, offsets up to ``1e300``, ``-inf`` masks, against a 50-digit reference;
    ``docs/accuracy.md``); sums are 1 to a few ulps.

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
    ``method="auto"`` (or ``"pivot"``) solves it as the capped simplex with ``k = 1``
    (:func:`sparsemap_ksubsets`, bit for bit): ``tau = (sum_{i in S} z_i - 1)/|S|`` is
    summed exactly on the exact support ``S`` and each entry is the exact
    ``|S| (z_i - tau)`` rounded, divided by ``|S|`` and corrected by its exact
    remainder: within 1 ulp of the exact value, also for entries of 1e-300 next to
    entries of order 1 (measured: ``docs/accuracy.md``).  ``"sort"`` and ``"bisect"``
    use the double-double engine of :func:`entmax` (the same result to 2**-104
    absolute).

    Examples
    --------
    >>> from hfy_reference import sparsemax
    >>> sparsemax([1.0, 0.5, -1.0])
    array([0.75, 0.25, 0.  ])
    """
    return entmax(z, 2.0, axis, method=method)


def entmax(z: ArrayLike, alpha: float | ArrayLike = 1.5, axis: int = -1, *,
           method: str = "auto") -> np.ndarray:
    r"""α-entmax: the Tsallis-entropy regularized argmax [PNM19]_.

    .. math::

        \alpha\text{-entmax}(z) = \operatorname*{argmax}_{p\in\triangle}
          \langle z,p\rangle - \frac{\sum_i p_i^\alpha - 1}{\alpha(\alpha-1)},
        \qquad p_i = [(\alpha-1) z_i - \tau]_+^{1/(\alpha-1)},\ \textstyle\sum_i p_i=1.

    ``alpha = 1`` is :func:`softmax`, ``alpha = 2`` is :func:`sparsemax`,
    ``alpha = np.inf`` is :func:`argmax`.  The FY loss has margin ``1/(alpha-1)``.
    For ``0 < alpha < 1`` the regularizer is still convex but the map is dense,
    ``p_i = ((1-alpha)(max z - z_i) + s)^{-1/(1-alpha)}`` with ``s`` such that the
    entries sum to 1 (every unmasked entry is positive; no finite margin).

    Parameters
    ----------
    z : array_like of float, shape (..., N, ...)
        Scores; ``-inf`` entries are masks.
    alpha : float or array_like of float, > 0 (``np.inf`` allowed)
        One α, or one per slice along ``axis``: an array that broadcasts against
        the shape of ``z`` with ``axis`` removed (or has ``z``'s number of
        dimensions with size 1 along ``axis``).  Each slice is then bitwise the
        result of a call with its own α (see ``docs/alpha.md``).
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
        ``alpha <= 0`` or NaN; NaN/+inf scores; an all ``-inf`` slice; an ``alpha``
        array that does not broadcast.

    Notes
    -----
    For ``0 < alpha < 1`` (``_kernels/alpha.py``): with ``q = 1 - alpha`` and the
    bases ``q (max z - z_i) + s`` in double-double (sums of non-negative numbers),
    ``s`` in ``[1, n^q]`` by Newton's method on the concave
    ``(sum_i p_i)^{-q}``, polished in double-double; measured within half an ulp of
    1 (absolute) and 1 ulp (relative) of a 50-digit reference, down to
    ``alpha = 1 - 1e-7``.

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
    if np.ndim(alpha) == 0:
        a = V.check_alpha(alpha, lower=0.0, lower_inclusive=False, hint=_ENTMAX_HINT)
        closed = a in (1.0, 1.5, 2.0) or a < 1.0 or math.isinf(a)
        code = _method_code(method, closed, f"entmax with alpha={a}")
        # 1 < alpha < inf: the power or capped engine, which can take the row maxima
        rows = V.as_rows(z, axis, defer_max=1.0 < a < math.inf)
        out = entmax_rows(rows, a, code)
        rows.check_deferred()
        return rows.restore(out)
    rows = V.as_rows(z, axis)
    a = V.check_alpha_rows(alpha, rows, lower=0.0, lower_inclusive=False,
                           hint=_ENTMAX_HINT)
    closed = bool(np.all((a == 1.0) | (a == 1.5) | (a == 2.0) | (a < 1.0) | np.isinf(a)))
    code = _method_code(method, closed, "entmax with these alpha")
    return rows.restore(entmax_rows(rows, a, code))


def normmax(z: ArrayLike, alpha: float | ArrayLike = 2.0, axis: int = -1, *,
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
    alpha : float or array_like of float, >= 1 (``np.inf`` allowed)
        One α, or one per slice along ``axis`` (as in :func:`entmax`).
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
    if np.ndim(alpha) == 0:
        a = V.check_alpha(alpha, hint="alpha = 1 is argmax")
        closed = a in (1.0, 2.0) or math.isinf(a)
        code = _method_code(method, closed, f"normmax with alpha={a}")
        rows = V.as_rows(z, axis, defer_max=a > 1.0)  # alpha > 1: the power engine
        out = normmax_rows(rows, a, code)
        rows.check_deferred()
        return rows.restore(out)
    rows = V.as_rows(z, axis)
    a = V.check_alpha_rows(alpha, rows, hint="alpha = 1 is argmax")
    closed = bool(np.all((a == 1.0) | (a == 2.0) | np.isinf(a)))
    code = _method_code(method, closed, "normmax with these alpha")
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
    The breakpoints ``z_i`` and ``z_i - 1`` are pivoted on in expected linear time
    (double-double comparisons, on the scores as given: no shift that could overflow);
    ``tau`` is then the closed form ``(#capped + sum_free z - k)/#free``, summed exactly
    (a floating-point expansion), so that each free entry is within 1 ulp of
    ``z_i - tau`` relative to itself (also an entry of 1e-300, at any score spread up to
    1.8e308) and capped entries are exactly 1.  ``k = 1`` is :func:`sparsemax`, bit for
    bit.

    Examples
    --------
    >>> from hfy_reference import sparsemap_ksubsets
    >>> sparsemap_ksubsets([3.0, 1.0, 0.5, -2.0], k=2)
    array([1.  , 0.75, 0.25, 0.  ])
    """
    rows = V.as_rows(z, axis, defer_max=True)
    kk = V.check_k(k, rows.n)  # (the unmasked entries are counted below)
    if rows.deferred is None:
        kk = V.check_k(k, min_unmasked(rows))
        return rows.restore(ksubsets_rows(rows, kk))
    # large input: the kernel computes the maxima and counts the masks; rows with
    # fewer than k unmasked entries are left at zero and refused here
    out, rows = _capped(rows, np.ones((1, 1)), 1.0, True, float(kk))
    rows.check_deferred()
    V.check_k(k, min_unmasked(rows))
    return rows.restore(out)


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
        bounds of the unmasked entries of each slice sum to at least 1, decided
        exactly (a cap of ``1/3`` on three entries is infeasible: ``3 fl(1/3) < 1``).
    axis : int, default -1

    Notes
    -----
    The engine of :func:`sparsemap_ksubsets` with per-entry caps: each entry within
    1 ulp of the exact solution relative to itself, at every score spread and for
    caps down to 1e-300 (``docs/accuracy.md``).

    Returns
    -------
    ndarray, same shape as ``z``

    Examples
    --------
    >>> from hfy_reference import constrained_sparsemax
    >>> constrained_sparsemax([2.0, 1.0, 0.0], upper=[0.5, 1.0, 1.0])
    array([0.5, 0.5, 0. ])
    """
    a = np.asarray(upper)
    cap = float(a) if a.ndim == 0 and a.dtype.kind in "fiu" else math.nan
    # one positive cap on a large input: the kernel computes the maxima and counts the
    # masks, and the checks below run on its counts (an infeasible row is left at zero)
    rows = V.as_rows(z, axis, defer_max=cap > 0.0)
    u = V.as_upper(upper, rows.shape)
    scalar = u.strides == (0,) * u.ndim  # one cap for every entry: no array needed
    out = None
    if rows.deferred is not None:
        out, rows = _capped(rows, np.ones((1, 1)), float(u.flat[0]), True, 1.0)
        rows.check_deferred()
    ninf = rows.masked_counts()
    masked = ninf is not None
    if scalar:  # feasible iff c * (number of unmasked entries) >= 1, decided exactly
        c = float(u.flat[0])
        U = np.ones((1, 1))
        count = rows.data.shape[1] - ninf if masked else np.full(rows.data.shape[0],
                                                                  rows.data.shape[1])
        cmin = int(count.min())
        if not math.isinf(c) and Fraction(c) * cmin < 1:
            r = int(np.argmin(count))
            raise ValueError(
                "constrained_sparsemax is infeasible: the upper bounds of the unmasked "
                f"entries must sum to >= 1 in every slice; slice {r} has {cmin} unmasked "
                f"entries with upper = {c!r}, which sum to {Fraction(c) * cmin} exactly"
            )
    else:
        U = np.ascontiguousarray(np.moveaxis(u, rows.axis, -1).reshape(rows.data.shape))
        Um = np.where(np.isneginf(rows.data), 0.0, U) if masked else U
        bad = V.caps_below(Um, 1.0)
        if bad.any():
            r = int(np.flatnonzero(bad)[0])
            raise ValueError(
                "constrained_sparsemax is infeasible: the upper bounds of the unmasked "
                f"entries must sum to >= 1 in every slice; slice {r} sums to "
                f"{math.fsum(Um[r].tolist())!r} (exactly below 1)"
            )
    if out is None:
        out = _capped(rows, U, c, True, 1.0)[0] if scalar else \
            _capped(rows, U, 0.0, False, 1.0)[0]
    return rows.restore(out)


def threshold(z: ArrayLike, alpha: float = 1.5, axis: int = -1, *,
              family: str = "entmax") -> tuple[np.ndarray, np.ndarray]:
    r"""The threshold ``tau`` and the support size of entmax or normmax.

    For ``family="entmax"``, ``tau`` is returned in the original coordinates,
    ``p_i = [(alpha-1) z_i - tau]_+^{1/(alpha-1)}``; for ``family="normmax"``,
    ``p_i ∝ [z_i - tau]_+^{1/(alpha-1)}``.  ``tau`` is the high part of the
    double-double threshold (it may round to ``(alpha-1) max z`` for huge ``alpha``),
    and ``+-inf``, without a warning, where ``(alpha-1) max z`` is beyond float64
    (``|max z|`` near 1.8e308 and ``alpha > 2``).

    For entmax with ``0 < alpha < 1`` the same formula holds on every finite entry
    (``(alpha-1) z_i - tau > 0``, a negative power): the support size is the number
    of finite entries.

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
    if family == "entmax":
        a = V.check_alpha(alpha, lower=0.0, lower_inclusive=False, hint=_ENTMAX_HINT)
    else:
        a = V.check_alpha(alpha, lower=1.0)
    rows = V.as_rows(z, axis)
    if a < 1.0:  # dense entmax: p_i = ((alpha-1) z_i - tau)^(1/(alpha-1)) on every entry
        _, info = dense_rows(rows, np.full(rows.data.shape[0], 1.0 - a))
        tau = info[:, 0] + info[:, 1] + (a - 1.0) * rows.rowmax
        shape = rows.moved_shape[:-1]
        tau = tau.reshape(shape)
        n = info[:, 2].astype(np.int64).reshape(shape)
        return (tau if tau.ndim else tau[()]), (n if n.ndim else n[()])
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
        c, ea, alo, e, elo = _exponents(a, "entmax")
        _, info = _power(rows, c, ea, e, False, 0, alo, elo)
        with np.errstate(over="ignore"):  # (alpha - 1) max z beyond float64: +-inf
            tau = info[:, 0] + info[:, 1] + c * rows.rowmax
    else:
        c, ea, alo, e, elo = _exponents(a, "normmax")
        _, info = _power(rows, c, ea, e, True, 0, alo, elo)
        tau = info[:, 0] + info[:, 1] + rows.rowmax
    shape = rows.moved_shape[:-1]
    tau = tau.reshape(shape)
    n = info[:, 2].astype(np.int64).reshape(shape)
    return (tau if tau.ndim else tau[()]), (n if n.ndim else n[()])
