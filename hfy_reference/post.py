r"""Post-transformations Ψ of the Hopfield-Fenchel-Young update.

A post-transformation is a convex ``Ψ`` on ``R^D`` applied to the retrieved vector:
the HFY update is :math:`q_{t+1} = \hat y_\Psi(X^\top \hat y_\Omega(\beta X q_t))`
and the energy carries ``Ψ(q)``.  This module holds the family -- :class:`Quadratic`
(``Ψ = ½‖·‖²``, the identity map), :class:`L2Ball`, :class:`LayerNorm`, :class:`Sign`,
:class:`Tanh` -- and :data:`POST_TRANSFORMS`, the names accepted by
``HopfieldNetwork(post=...)`` [SNMM24]_.  The classes are re-exported by
:mod:`hfy_reference.hopfield` and :mod:`hfy_reference`.

The references cited as ``[KEY]_`` are listed once, in the bibliography of the
documentation (``docs/references.md``).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from . import _validation as V
from ._validation import as_vectors as _rows
from ._validation import check_beta

__all__ = [
    "PostTransform",
    "Quadratic",
    "L2Ball",
    "LayerNorm",
    "Sign",
    "Tanh",
    "POST_TRANSFORMS",
]

_EPS = np.finfo(np.float64).eps


# ---------------------------------------------------------------------------------------
# small numerics
# ---------------------------------------------------------------------------------------
def _out(x: np.ndarray, single: bool):
    if x.ndim == 1:  # per-row scalars
        return float(x[0]) if single else x
    return x[0] if single else x


def _norms(A: np.ndarray) -> np.ndarray:
    """Row norms without overflow or underflow (scaled by the row's max |entry|)."""
    s = np.max(np.abs(A), axis=1)
    safe = np.where(s > 0, s, 1.0)
    U = A / safe[:, None]
    return s * np.sqrt(np.einsum("ij,ij->i", U, U))


def _centered(W: np.ndarray) -> np.ndarray:
    """``W - mean(W)`` per row, with the mean refined once (accurate deviations)."""
    R = W - W.mean(axis=1, keepdims=True)
    return R - R.mean(axis=1, keepdims=True)


def _topk_sum(vals: np.ndarray, k: int) -> float:
    return float(math.fsum(np.sort(vals)[::-1][:k].tolist()))


# ---------------------------------------------------------------------------------------
# post-transformations Ψ
# ---------------------------------------------------------------------------------------
class PostTransform:
    r"""Base class of the post-transformations ``Ψ`` (math §4).

    A post-transformation is a convex ``Ψ`` on ``R^D`` with its regularized prediction
    map and conjugate,

    .. math::

        \hat y_\Psi(v) = \operatorname*{argmax}_q \langle v, q\rangle - \Psi(q)
        = \nabla\Psi^*(v), \qquad \Psi^*(v) = \max_q \langle v,q\rangle - \Psi(q).

    Subclasses implement the row-level hooks ``_psi``, ``_argmax``, ``_conjugate`` (on
    finite float64 arrays of shape (B, D)) and ``sum_bound``.  The public methods take
    one vector (D,) or a batch (B, D).
    """

    #: short name for legends and reprs
    label = "Ψ"

    def psi(self, q: ArrayLike):
        """``Ψ(q)``: float for (D,), array (B,) for (B, D); ``+inf`` off the domain."""
        Q, single = _rows(q, "q", self._dim())
        return _out(self._psi(Q), single)

    def argmax(self, v: ArrayLike) -> np.ndarray:
        r""":math:`\hat y_\Psi(v)`, same shape as ``v``."""
        Vv, single = _rows(v, "v", self._dim())
        return _out(self._argmax(Vv), single)

    def conjugate(self, v: ArrayLike):
        r""":math:`\Psi^*(v)`: float for (D,), array (B,) for (B, D)."""
        Vv, single = _rows(v, "v", self._dim())
        return _out(self._conjugate(Vv), single)

    def sum_bound(self, X: np.ndarray, k: int) -> float:
        """An upper bound on ``Ψ*(sum of any k rows of X)`` (used for the energy
        constant of the sum convention of k-subsets)."""
        raise NotImplementedError(
            f"{type(self).__name__} does not provide sum_bound; it is needed for the "
            "energy constant of structured maps with the sum convention"
        )

    def _dim(self) -> int | None:
        return None

    def _check_dim(self, D: int) -> None:
        """Raise if this Ψ cannot act on vectors of length ``D``."""

    def __eq__(self, other):
        return type(self) is type(other) and self._key() == other._key()

    def __hash__(self):
        return hash((type(self).__name__, self._key()))

    def _key(self):
        return ()

    def __repr__(self):
        return f"{type(self).__name__}()"

    # hooks
    def _psi(self, Q):  # pragma: no cover - abstract
        raise NotImplementedError

    def _argmax(self, Vv):  # pragma: no cover - abstract
        raise NotImplementedError

    def _conjugate(self, Vv):  # pragma: no cover - abstract
        raise NotImplementedError


class Quadratic(PostTransform):
    r"""``Ψ(q) = ½‖q‖²`` on ``R^D``: ``ŷ_Ψ(v) = v``, ``Ψ*(v) = ½‖v‖²``.

    The plain HFY update (no post-transformation); with softmax it is the modern
    Hopfield update [RSL20]_.

    Examples
    --------
    >>> from hfy_reference import Quadratic
    >>> Quadratic().argmax([1.0, -2.0]), Quadratic().conjugate([1.0, -2.0])
    (array([ 1., -2.]), 2.5)
    """

    label = "identity"

    def _psi(self, Q):
        with np.errstate(over="ignore"):
            return 0.5 * np.einsum("ij,ij->i", Q, Q)

    def _argmax(self, Vv):
        return Vv.copy()

    def _conjugate(self, Vv):
        return self._psi(Vv)

    def sum_bound(self, X, k):
        r = _topk_sum(_norms(X), k)
        return 0.5 * r * r


class L2Ball(PostTransform):
    r"""``Ψ`` = indicator of the ball ``‖q‖ <= radius``: ℓ2-normalization.

    .. math::

        \hat y_\Psi(v) = r\,v/\|v\|, \qquad \Psi^*(v) = r\|v\| .

    At ``v = 0`` every point of the ball is a maximizer (set-valued): :meth:`argmax`
    raises ``ValueError`` there.  ``psi`` is 0 on the ball (up to a relative rounding
    tolerance of ``4 (D + 2) eps``) and ``+inf`` outside.

    Parameters
    ----------
    radius : float, > 0

    Examples
    --------
    >>> from hfy_reference import L2Ball
    >>> L2Ball().argmax([3.0, 4.0])
    array([0.6, 0.8])
    """

    label = "ℓ2-normalization"

    def __init__(self, radius: float = 1.0):
        self.radius = V.check_positive(radius, "radius")

    def _key(self):
        return (self.radius,)

    def __repr__(self):
        return f"L2Ball(radius={self.radius!r})"

    def _psi(self, Q):
        n = _norms(Q)
        tol = 4.0 * (Q.shape[1] + 2) * _EPS
        return np.where(n <= self.radius * (1.0 + tol), 0.0, np.inf)

    def _argmax(self, Vv):
        n = _norms(Vv)
        if (n == 0).any():
            rows = np.flatnonzero(n == 0)
            raise ValueError(
                "v = 0 is a set-valued point of the l2 post-transformation "
                f"{self!r} (every point of the ball maximizes <v, q>); got v = 0 in "
                f"row(s) {rows[:10].tolist()}"
            )
        s = np.max(np.abs(Vv), axis=1, keepdims=True)
        U = Vv / s
        return self.radius * (U / _norms(U)[:, None])

    def _conjugate(self, Vv):
        return self.radius * _norms(Vv)

    def sum_bound(self, X, k):
        return self.radius * _topk_sum(_norms(X), k)


class LayerNorm(PostTransform):
    r"""Layer normalization as an energy-minimizing post-transformation.

    ``Ψ`` is the indicator of the set
    ``{g ⊙ u + b : sum(u) = 0, ‖u‖ <= sqrt(D)}`` (gain ``g``, bias ``b``), whose
    prediction map is

    .. math::

        \hat y_\Psi(v) = b + g \odot \sqrt{D}\,\frac{w - \bar w}{\|w - \bar w\|},
        \qquad w = g \odot v, \qquad
        \Psi^*(v) = \langle v, b\rangle + \sqrt{D}\,\|w - \bar w\| .

    Without gain and bias this is the familiar layer norm (biased standard deviation,
    no epsilon): ``(v - mean v) / std v``.  With a *scalar* gain it is
    ``g LN(v) + b``.  With a per-coordinate gain the exact argmax normalizes
    ``g ⊙ v`` (not ``v``); it agrees with the usual ``g ⊙ LN(v) + b`` only when ``g``
    is constant -- the usual formula is not the gradient of a convex function, so the
    energy would not decrease along it.

    At constant ``w`` (for instance ``v = 0``) the map is set-valued and
    :meth:`argmax` raises ``ValueError``.  Needs ``D >= 2``.

    Parameters
    ----------
    gain : float or array_like of shape (D,), nonzero, optional (default 1)
    bias : float or array_like of shape (D,), optional (default 0)

    Examples
    --------
    >>> from hfy_reference import LayerNorm
    >>> LayerNorm().argmax([1.0, 2.0, 3.0]).round(6)
    array([-1.224745,  0.      ,  1.224745])
    """

    label = "layer norm"

    def __init__(self, gain=None, bias=None):
        self.gain = self._param(gain, "gain", 1.0)
        self.bias = self._param(bias, "bias", 0.0)
        if np.any(self.gain == 0):
            raise ValueError("gain must be nonzero in every coordinate")
        if self.gain.size > 1 and self.bias.size > 1 and self.gain.size != self.bias.size:
            raise ValueError(
                f"gain and bias must have the same length; got {self.gain.size} and "
                f"{self.bias.size}"
            )

    @staticmethod
    def _param(x, name, default):
        if x is None:
            a = np.array([default])
        else:
            a, _ = V.as_float_array(x, name, allow_0d=True)
            a = np.atleast_1d(np.array(a, dtype=np.float64))
            if a.ndim != 1:
                raise ValueError(f"{name} must be a scalar or a 1-D array; got {a.shape}")
            if not np.isfinite(a).all():
                raise ValueError(f"{name} must be finite")
        a.flags.writeable = False
        return a

    def _dim(self):
        n = max(self.gain.size, self.bias.size)
        return n if n > 1 else None

    def _check_dim(self, D):
        d = self._dim()
        if d is not None and d != D:
            raise ValueError(
                f"LayerNorm gain/bias have length {d} but the patterns have D = {D}"
            )
        if D < 2:
            raise ValueError("LayerNorm needs D >= 2 (for D = 1 every v is constant)")

    def _key(self):
        return (tuple(self.gain.tolist()), tuple(self.bias.tolist()))

    def __repr__(self):
        def fmt(a):
            return repr(float(a[0])) if a.size == 1 else f"array(shape=({a.size},))"

        return f"LayerNorm(gain={fmt(self.gain)}, bias={fmt(self.bias)})"

    def _psi(self, Q):
        D = Q.shape[1]
        U = (Q - self.bias) / self.gain
        n = _norms(U)
        scale = math.sqrt(D) + float(np.max(np.abs(self.bias / self.gain)))
        tol = 64.0 * (D + 2) * _EPS
        ok = (np.abs(U.sum(axis=1)) <= tol * D * scale) & (n <= math.sqrt(D) * (1 + tol)
                                                            + tol * scale)
        return np.where(ok, 0.0, np.inf)

    def _argmax(self, Vv):
        if Vv.shape[1] < 2:
            raise ValueError("LayerNorm needs D >= 2 (for D = 1 every v is constant)")
        W = self.gain * Vv
        const = W.max(axis=1) == W.min(axis=1)
        if const.any():
            rows = np.flatnonzero(const)
            raise ValueError(
                "v is a set-valued point of the layer-norm post-transformation "
                f"{self!r}: gain * v is constant (e.g. v = 0), so every point of the set "
                f"maximizes <v, q>; row(s) {rows[:10].tolist()}"
            )
        R = _centered(W)
        s = np.max(np.abs(R), axis=1, keepdims=True)
        U = R / s
        U = U / _norms(U)[:, None]
        return self.bias + self.gain * (math.sqrt(Vv.shape[1]) * U)

    def _conjugate(self, Vv):
        W = self.gain * Vv
        return Vv @ np.broadcast_to(self.bias, (Vv.shape[1],)) + math.sqrt(
            Vv.shape[1]) * _norms(_centered(W))

    def sum_bound(self, X, k):
        b = np.broadcast_to(self.bias, (X.shape[1],))
        per = np.abs(X @ b) + math.sqrt(X.shape[1]) * _norms(_centered(self.gain * X))
        return _topk_sum(per, k)


class Sign(PostTransform):
    r"""``Ψ`` = indicator of the hypercube ``[-1, 1]^D``: ``ŷ_Ψ(v) = sign(v)``,
    ``Ψ*(v) = ‖v‖_1`` (the classical Hopfield non-linearity [H82]_).

    Convention at the set-valued points: where ``v_i = 0`` every value in ``[-1, 1]``
    maximizes ``<v, q>``; :meth:`argmax` returns ``0`` there (the minimum-norm
    maximizer), so the energy still never increases.

    Examples
    --------
    >>> from hfy_reference import Sign
    >>> Sign().argmax([0.5, -2.0, 0.0])
    array([ 1., -1.,  0.])
    """

    label = "sign"

    def _psi(self, Q):
        return np.where(np.max(np.abs(Q), axis=1) <= 1.0, 0.0, np.inf)

    def _argmax(self, Vv):
        return np.sign(Vv)

    def _conjugate(self, Vv):
        return np.abs(Vv).sum(axis=1)

    def sum_bound(self, X, k):
        return _topk_sum(np.abs(X).sum(axis=1), k)


class Tanh(PostTransform):
    r"""Scaled binary entropy on the hypercube: ``ŷ_Ψ(v) = tanh(beta v)``.

    .. math::

        \Psi(q) = \frac1\beta \sum_i \Big[\tfrac{1+q_i}{2}\log(1+q_i)
          + \tfrac{1-q_i}{2}\log(1-q_i)\Big] \ (q \in [-1,1]^D),
        \qquad \Psi^*(v) = \frac1\beta \sum_i \log\cosh(\beta v_i),

    (the negative binary entropy of ``(1 ± q)/2``, shifted so that ``Ψ(0) = 0``);
    ``Ψ = +inf`` outside the cube.  Never set-valued.

    Parameters
    ----------
    beta : float, > 0

    Examples
    --------
    >>> from hfy_reference import Tanh
    >>> Tanh(2.0).argmax([0.0, 1.0]).round(6)
    array([0.      , 0.964028])
    """

    label = "tanh"

    def __init__(self, beta: float = 1.0):
        self.beta = check_beta(beta)

    def _key(self):
        return (self.beta,)

    def __repr__(self):
        return f"Tanh(beta={self.beta!r})"

    def _psi(self, Q):
        from scipy.special import xlogy

        inside = np.max(np.abs(Q), axis=1) <= 1.0
        Qc = np.clip(Q, -1.0, 1.0)
        a, b = 1.0 + Qc, 1.0 - Qc
        val = 0.5 * (xlogy(a, a) + xlogy(b, b)).sum(axis=1) / self.beta
        return np.where(inside, val, np.inf)

    def _argmax(self, Vv):
        return np.tanh(self.beta * Vv)

    def _conjugate(self, Vv):
        x = np.abs(self.beta * Vv)
        # log cosh x = x + log1p(exp(-2x)) - log 2, stable for every x
        return (x + np.log1p(np.exp(-2.0 * x)) - math.log(2.0)).sum(axis=1) / self.beta

    def sum_bound(self, X, k):
        return _topk_sum(np.abs(X).sum(axis=1), k)  # log cosh(b x)/b <= |x|


#: The named post-transformations accepted by ``HopfieldNetwork(post=...)``.
POST_TRANSFORMS = {
    "identity": Quadratic,
    "l2": L2Ball,
    "layernorm": LayerNorm,
    "sign": Sign,
    "tanh": Tanh,
}
