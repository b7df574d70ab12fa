r"""Mixed distributions on the simplex: Gaussian-sparsemax, K-D Hard Concrete, and the
information theory of the direct-sum measure.

A *mixed* random variable :math:`Y` on the simplex :math:`\triangle_{K-1}` may put
probability on every face of the simplex -- vertices, edges, ..., the relative interior
-- [FANM22]_.  A face is named by its vertex set :math:`S \subseteq \{0,\dots,K-1\}`
(here the sorted tuple of indices); :math:`Y` lies in the relative interior of face
:math:`S` iff its support is exactly :math:`S`.  The distribution is given *intrinsically*
by the face probabilities :math:`P_F(S) = \Pr\{\operatorname{supp} Y = S\}` and the
face-conditional densities :math:`p_{Y\mid F}(y\mid S)`.

Base measure (the direct-sum measure).  :math:`\mu^\oplus = \sum_S \mu_S` where
:math:`\mu_S` is the counting measure on a vertex and, on a face of dimension
:math:`d = |S|-1 \ge 1`, the Lebesgue measure in any :math:`d` of its :math:`d+1`
coordinates (the choice does not matter: dropping a coordinate has Jacobian 1); the
face then has volume :math:`1/d!`.  This is the normalisation under which the maximum
entropy for :math:`K = 2` at :math:`N` bits is :math:`\log_2(2 + 2^N)`.  All densities
and entropies here are with respect to :math:`\mu^\oplus`, in nats unless stated.

Gaussian-sparsemax.  :math:`Y = \operatorname{sparsemax}(X)`, :math:`X \sim
\mathcal N(z, \Sigma)`.  With :math:`s = |S|` and
:math:`U^S = X - (\tfrac1s \mathbf 1_S^\top X - \tfrac1s)\mathbf 1` (the scores minus
the sparsemax threshold of support :math:`S`), :math:`\operatorname{supp} Y = S` iff
:math:`U^S_S > 0` and :math:`U^S_{\bar S} < 0`, and then :math:`Y_S = U^S_S`.  Hence

.. math::

    P_F(S) = \sum_{T \subsetneq S} (-1)^{|T|}\,
        \Pr\{U^S_T \le 0,\; U^S_{\bar S} \le 0\},

an alternating sum of Gaussian orthant probabilities of dimension
:math:`|T| + K - s \le K - 1` (the term :math:`T = S` vanishes since
:math:`\mathbf 1^\top U^S_S = 1`), and on face :math:`S` (:math:`s \ge 2`)

.. math::

    p^\oplus(y) = \mathcal N\big(y_{S'};\, \mathbb E U^S_{S'}, \operatorname{Cov} U^S_{S'}
        \big)\; \Pr\{U^S_{\bar S} \le 0 \mid U^S_{S'} = y_{S'}\},

with :math:`S'` the face's indices but the last (the free coordinates).  Orthant
probabilities of dimension 1 and 2 are closed forms (:math:`\Phi`, and Owen's
:math:`T` function for the bivariate normal), dimension 3 is one adaptive quadrature of
the bivariate closed form, dimension :math:`\ge 4` is
:func:`scipy.stats.multivariate_normal.cdf` (randomized quasi-Monte Carlo, absolute
error target ``abseps``).

References: [FANM22]_ A. Farinhas, W. Aziz, V. Niculae, A. F. T. Martins, *Sparse
communication via mixed distributions*, ICLR 2022.  [LWK18]_ C. Louizos, M. Welling,
D. P. Kingma, *Learning sparse neural networks through L0 regularization*, ICLR 2018
(binary Hard Concrete).  [MMT17]_ C. J. Maddison, A. Mnih, Y. W. Teh, *The Concrete
distribution*, ICLR 2017.  [Owe56]_ D. B. Owen, *Tables for computing bivariate normal
probabilities*, Ann. Math. Statist. 27 (1956).

Importing this module is cheap (NumPy only); SciPy is imported on first use.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from . import _validation as V

__all__ = [
    "GaussianSparsemax",
    "HardConcrete",
    "LogisticNormal",
    "Dirichlet",
    "Mixture",
    "faces",
    "face_volume",
    "max_entropy",
    "max_entropy_face_masses",
    "entropy",
    "kl_divergence",
    "mutual_information",
    "empirical_face_probabilities",
    "bvn_cdf",
    "orthant_probability",
]

Face = tuple[int, ...]


# ---------------------------------------------------------------------------------------
# validation
def _rng(random_state) -> np.random.Generator:
    if isinstance(random_state, np.random.Generator):
        return random_state
    return np.random.default_rng(random_state)


def _size(size) -> tuple[int, ...]:
    if size is None:
        return ()
    if isinstance(size, (int, np.integer)):
        size = (int(size),)
    size = tuple(int(s) for s in size)
    if any(s < 0 for s in size):
        raise ValueError(f"size must be non-negative; got {size}")
    return size


# ---------------------------------------------------------------------------------------
# faces and volumes
def faces(K: int, dim: int | None = None) -> Iterator[Face]:
    """Every face of the simplex with ``K`` vertices (of dimension ``dim`` if given), as
    sorted tuples of vertex indices, by dimension then lexicographically."""
    dims = range(K) if dim is None else [dim]
    for d in dims:
        yield from itertools.combinations(range(K), d + 1)


def face_volume(d: int) -> float:
    r""":math:`\mu_S(S) = 1/d!` for a face of dimension ``d`` (1 for a vertex)."""
    return 1.0 / math.factorial(d)


# ---------------------------------------------------------------------------------------
# Gaussian orthant probabilities
def bvn_cdf(h: ArrayLike, k: ArrayLike, rho: ArrayLike) -> np.ndarray:
    r"""Standard bivariate normal CDF :math:`\Pr\{X \le h, Y \le k\}`, correlation
    :math:`\rho`, :math:`|\rho| < 1`, by Owen's closed form [Owe56]_:

    .. math::

        \Phi_2(h, k; \rho) = \tfrac12\Phi(h) + \tfrac12\Phi(k)
            - T\Big(h, \tfrac{k - \rho h}{h\sqrt{1-\rho^2}}\Big)
            - T\Big(k, \tfrac{h - \rho k}{k\sqrt{1-\rho^2}}\Big) - \beta,

    :math:`\beta = \tfrac12` if :math:`hk < 0` or (:math:`hk = 0` and :math:`h + k < 0`),
    else 0; :math:`T(0, \pm\infty) = \pm\tfrac14`.  Vectorized (broadcasting).

    Accuracy: absolute error within a few ulps of 1 (measured against mpmath quadrature
    in ``tests/test_mixed.py``); the relative error of tiny values is not controlled.
    """
    from scipy.special import ndtr, owens_t

    h, k, rho = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (h, k, rho)))
    s = np.sqrt((1.0 - rho) * (1.0 + rho))
    with np.errstate(divide="ignore", invalid="ignore"):
        ah = (k - rho * h) / (h * s)
        ak = (h - rho * k) / (k * s)
        th = np.where(h == 0.0, 0.25 * np.sign(k), owens_t(h, np.where(h == 0.0, 0.0, ah)))
        tk = np.where(k == 0.0, 0.25 * np.sign(h), owens_t(k, np.where(k == 0.0, 0.0, ak)))
    beta = np.where((h * k < 0) | ((h * k == 0) & (h + k < 0)), 0.5, 0.0)
    out = 0.5 * ndtr(h) + 0.5 * ndtr(k) - th - tk - beta
    both0 = (h == 0.0) & (k == 0.0)
    if np.any(both0):
        out = np.where(both0, 0.25 + np.arcsin(rho) / (2 * np.pi), out)
    return np.clip(out, 0.0, 1.0)


def _tvn_cdf(x: np.ndarray, corr: np.ndarray) -> float:
    """Trivariate standard normal CDF at ``x`` by one adaptive quadrature over the first
    coordinate of the bivariate closed form (conditional on it)."""
    from scipy.integrate import quad
    from scipy.special import ndtr

    r12, r13, r23 = corr[0, 1], corr[0, 2], corr[1, 2]
    s12, s13 = math.sqrt((1 - r12) * (1 + r12)), math.sqrt((1 - r13) * (1 + r13))
    rc = (r23 - r12 * r13) / (s12 * s13)
    rc = min(max(rc, -1.0), 1.0)

    def f(t):
        a = (x[1] - r12 * t) / s12
        b = (x[2] - r13 * t) / s13
        if abs(rc) >= 1.0 - 1e-15:  # degenerate conditional: comonotone / antitone
            v = min(ndtr(a), ndtr(b)) if rc > 0 else max(ndtr(a) + ndtr(b) - 1.0, 0.0)
        else:
            v = float(bvn_cdf(a, b, rc))
        return math.exp(-0.5 * t * t) / math.sqrt(2 * math.pi) * v

    lo = -40.0
    if x[0] <= lo:
        return 0.0
    val, _ = quad(f, lo, float(x[0]), epsabs=1e-16, epsrel=1e-13, limit=200)
    return min(max(val, 0.0), 1.0)


def orthant_probability(mean: ArrayLike, cov: ArrayLike, *, abseps: float = 1e-6,
                        random_state=0) -> np.ndarray:
    r""":math:`\Pr\{V \le 0\}` for :math:`V \sim \mathcal N(m, C)` (``mean`` of shape
    ``(..., d)``, one shared ``cov`` of shape ``(d, d)``).

    ``d = 0``: 1; ``d = 1``: :math:`\Phi(-m/\sigma)`; ``d = 2``: :func:`bvn_cdf` (exact to
    a few ulps, absolute); ``d = 3``: adaptive quadrature of the bivariate closed form
    (absolute error below about 1e-14); ``d >= 4``:
    :func:`scipy.stats.multivariate_normal.cdf` with absolute error target ``abseps``
    (a randomized quasi-Monte Carlo estimate seeded by ``random_state``, not a bound).
    """
    from scipy.special import ndtr

    m = np.asarray(mean, dtype=np.float64)
    C = np.asarray(cov, dtype=np.float64)
    d = m.shape[-1]
    if d == 0:
        return np.ones(m.shape[:-1])
    sd = np.sqrt(np.diag(C))
    x = -m / sd
    if d == 1:
        return ndtr(x[..., 0])
    R = C / np.outer(sd, sd)
    if d == 2:
        return bvn_cdf(x[..., 0], x[..., 1], R[0, 1])
    flat = x.reshape(-1, d)
    if d == 3:
        out = np.array([_tvn_cdf(row, R) for row in flat])
    else:
        from scipy.stats import multivariate_normal

        out = np.atleast_1d(multivariate_normal.cdf(
            flat, mean=np.zeros(d), cov=R, abseps=abseps, releps=0.0,
            maxpts=max(1000 * d, int(4.0 / abseps) if abseps < 1e-5 else 1000 * d),
            rng=np.random.default_rng(random_state)))
    return np.clip(out, 0.0, 1.0).reshape(x.shape[:-1])


def _orthant_error(d: int, abseps: float) -> float:
    """The stated absolute error of :func:`orthant_probability` in dimension ``d``."""
    if d <= 2:
        return 8 * np.finfo(float).eps
    if d == 3:
        return 1e-14
    return abseps


# ---------------------------------------------------------------------------------------
class _MixedBase:
    """What every distribution on the simplex here offers (the intrinsic view)."""

    K: int

    def face_probabilities(self) -> dict[Face, float]:  # pragma: no cover - abstract
        raise NotImplementedError

    def logpdf(self, y: ArrayLike) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def rvs(self, size=None, random_state=None) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def pdf(self, y: ArrayLike) -> np.ndarray:
        """``exp(logpdf(y))``: the density w.r.t. the direct-sum measure."""
        return np.exp(self.logpdf(y))

    def face_logpdf(self, y: ArrayLike, face: Sequence[int]) -> np.ndarray:
        r""":math:`\log p_{Y\mid F}(y \mid S)` for points ``y`` in the relative interior
        of ``face`` (entries off the face exactly 0)."""
        S = tuple(sorted(int(i) for i in face))
        a = V.as_simplex_points(y, self.K)
        on = np.zeros(self.K, bool)
        on[list(S)] = True
        if np.any(a[..., ~on] != 0) or np.any(a[..., on] <= 0):
            raise ValueError(f"y must lie in the relative interior of face {S} (entries "
                             "> 0 on the face, exactly 0 off it)")
        P = self.face_probabilities()[S]
        return self.logpdf(a) - math.log(P)

    def entropy(self, method: str = "quad", **kw) -> float:
        """The direct-sum entropy :math:`H^\\oplus` in nats: see :func:`entropy`."""
        return entropy(self, method=method, **kw)


def _face_of_rows(a: np.ndarray) -> np.ndarray:
    """Bitmask of the support of each row (int64)."""
    K = a.shape[-1]
    return (a > 0).astype(np.int64) @ (1 << np.arange(K, dtype=np.int64))


def _mask_to_face(mask: int, K: int) -> Face:
    return tuple(i for i in range(K) if mask >> i & 1)


@dataclass(frozen=True)
class _FaceGaussian:
    """Per-face quantities of Gaussian-sparsemax (see the module notes)."""

    face: Face
    free: np.ndarray  # indices S'
    out: np.ndarray  # indices of the complement
    mean_g: np.ndarray
    chol_g: np.ndarray
    logdet_g: float
    reg: np.ndarray  # E[W | G] = mean_w + reg @ (g - mean_g)
    mean_w: np.ndarray
    cov_w: np.ndarray  # conditional covariance of W given G


class GaussianSparsemax(_MixedBase):
    r"""Gaussian-sparsemax: :math:`Y = \operatorname{sparsemax}(z + \Sigma^{1/2} N)`,
    :math:`N \sim \mathcal N(0, I_K)` [FANM22]_.

    The sparsemax counterpart of the Logistic-Normal: it puts probability on every face
    of the simplex.  For :math:`K = 2`, :math:`Y_0` is the double-sided rectified
    Gaussian :math:`\min(1, \max(0, D))`, :math:`D \sim \mathcal N(\tfrac{z_0 - z_1 + 1}2,
    \tfrac{\Sigma_{00} + \Sigma_{11} - 2\Sigma_{01}}4)`.

    Parameters
    ----------
    loc : array_like of float, shape (K,), K >= 2
        The mean scores :math:`z`.
    cov : array_like of float, shape (K, K), or a scalar / length-K diagonal
        The covariance :math:`\Sigma`, symmetric positive definite.

    Notes
    -----
    ``face_probabilities()`` uses closed forms and one-dimensional quadratures for
    :math:`K \le 4` (measured: the probabilities sum to 1 within 1e-15 for K = 2, 3, 4
    over random ``loc`` and well-conditioned ``cov``; within 1e-14 up to
    cond(``cov``) = 1e4, growing like eps * sqrt(cond) beyond: 7e-12 at 1e12).  For
    :math:`K \ge 5` it uses SciPy's randomized QMC for orthants of dimension
    :math:`\ge 4` (error target ``abseps`` per term; the per-face bound is
    returned by ``face_probabilities(return_error=True)``).  The number of faces is
    :math:`2^K - 1` and of orthant terms about :math:`3^K`, so the intrinsic view is
    meant for small ``K``; sampling has no such limit.

    Examples
    --------
    >>> from hfy_reference.mixed import GaussianSparsemax
    >>> d = GaussianSparsemax([0.2, 0.0, -0.1], 0.3)
    >>> P = d.face_probabilities()
    >>> round(sum(P.values()), 14), len(P)
    (1.0, 7)
    """

    def __init__(self, loc: ArrayLike, cov: ArrayLike = 1.0):
        self.loc = V.as_simplex_scores(loc, "loc")
        self.K = int(self.loc.shape[0])
        self.cov, self._chol = V.as_spd_matrix(cov, self.K, "cov")
        self._faces: dict = {}  # per-face moments and _FaceGaussian, filled lazily
        self._probs: dict[float, tuple[dict[Face, float], dict[Face, float]]] = {}

    def __repr__(self) -> str:
        return (f"GaussianSparsemax(loc={np.array2string(self.loc, precision=4)}, "
                f"cov={np.array2string(self.cov, precision=4)})")

    # -- extrinsic ----------------------------------------------------------------------
    def sample_scores(self, size=None, random_state=None) -> np.ndarray:
        """Draws of :math:`X = z + \\Sigma^{1/2} N`, shape ``(*size, K)``."""
        rng = _rng(random_state)
        shape = _size(size)
        n = rng.standard_normal((*shape, self.K))
        return n @ self._chol.T + self.loc

    def rvs(self, size=None, random_state=None) -> np.ndarray:
        """Draws of :math:`Y`, shape ``(*size, K)``: Gaussian scores, then one batched
        sparsemax pass (exact zeros off the support)."""
        from .maps import sparsemax

        return sparsemax(self.sample_scores(size, random_state), axis=-1)

    # -- intrinsic ----------------------------------------------------------------------
    def _U(self, S: Face) -> tuple[np.ndarray, np.ndarray]:
        """Mean and covariance of :math:`U^S = MX + 1/s` (rank K - 1), each entry
        within one ulp of its exact value for the float64 ``loc`` and ``cov``.

        ``s Cov(U_a, U_b) s = s^2 Σ_ab - s Σ_{a,S} - s Σ_{b,S} + Σ_{S,S}`` is an integer
        combination of entries of Σ, summed by ``math.fsum`` (correctly rounded; repeated
        terms instead of products by s, which could round), then divided by s^2: no
        cancellation error even when Σ is large along 1 and U's variance is small.
        """
        key = ("U", S)
        hit = self._faces.get(key)
        if hit is not None:
            return hit
        K, s = self.K, len(S)
        z, C = self.loc.tolist(), self.cov.tolist()
        zS = [z[i] for i in S]
        mean = np.array([math.fsum([z[a]] * s + [-v for v in zS] + [1.0]) / s
                         for a in range(K)])
        CSS = [C[i][j] for i in S for j in S]
        rowS = [[C[a][i] for i in S] for a in range(K)]
        cov = np.empty((K, K))
        for a in range(K):
            for b in range(a, K):
                terms = [C[a][b]] * (s * s) + CSS
                for v in rowS[a]:
                    terms += [-v] * s
                for v in rowS[b]:
                    terms += [-v] * s
                cov[a, b] = cov[b, a] = math.fsum(terms) / (s * s)
        self._faces[key] = (mean, cov)
        return mean, cov

    def _face(self, S: Face) -> _FaceGaussian:
        f = self._faces.get(S)
        if f is not None:
            return f
        mu, C = self._U(S)
        free = np.array(S[:-1], dtype=np.intp)
        out = np.array([j for j in range(self.K) if j not in S], dtype=np.intp)
        Cg = C[np.ix_(free, free)]
        Lg = np.linalg.cholesky(Cg) if len(free) else np.zeros((0, 0))
        Cwg = C[np.ix_(out, free)]
        if len(free):
            reg = np.linalg.solve(Cg, Cwg.T).T
        else:
            reg = np.zeros((len(out), 0))
        cov_w = C[np.ix_(out, out)] - reg @ Cwg.T
        f = _FaceGaussian(S, free, out, mu[free], Lg,
                          float(2 * np.sum(np.log(np.diag(Lg)))), reg, mu[out],
                          0.5 * (cov_w + cov_w.T))
        self._faces[S] = f
        return f

    def face_probabilities(self, *, abseps: float = 1e-6, return_error: bool = False):
        r"""The face probabilities :math:`P_F(S)`, a dict ``{face: probability}`` over all
        :math:`2^K - 1` faces (sorted tuples of vertex indices).

        Computed from orthant probabilities (module notes):
        :math:`P_F(S) = \sum_{T \subsetneq S} (-1)^{|T|}\Pr\{U^S_T \le 0, U^S_{\bar S}
        \le 0\}`, with orthants of dimension up to :math:`K - 1`.

        Parameters
        ----------
        abseps : float
            Absolute error target of SciPy's QMC for orthants of dimension >= 4
            (K >= 5 only).
        return_error : bool
            Also return ``{face: error bound}`` (the sum over the face's terms of the
            stated orthant errors).
        """
        abseps = V.check_finite_scalar(abseps, "abseps", 0.0, False)
        key = abseps
        if key not in self._probs:
            self._probs[key] = self._compute_probs(abseps)
        P, E = self._probs[key]
        return (dict(P), dict(E)) if return_error else dict(P)

    def _compute_probs(self, abseps: float):
        K = self.K
        terms: list[tuple[Face, int, np.ndarray, np.ndarray]] = []
        for S in faces(K):
            mu, C = self._U(S)
            out = [j for j in range(K) if j not in S]
            for r in range(len(S)):
                for T in itertools.combinations(S, r):
                    idx = list(T) + out
                    terms.append((S, -1 if r % 2 else 1, mu[idx], C[np.ix_(idx, idx)]))
        vals = np.empty(len(terms))
        # vectorize the closed forms by dimension
        from scipy.special import ndtr

        by_dim: dict[int, list[int]] = {}
        for t, (_, _, m, _) in enumerate(terms):
            by_dim.setdefault(len(m), []).append(t)
        for d, ts in by_dim.items():
            if d == 0:
                vals[ts] = 1.0
            elif d == 1:
                m = np.array([terms[t][2][0] for t in ts])
                sd = np.sqrt([terms[t][3][0, 0] for t in ts])
                vals[ts] = ndtr(-m / sd)
            elif d == 2:
                m = np.array([terms[t][2] for t in ts])
                C = np.array([terms[t][3] for t in ts])
                sd = np.sqrt(np.stack([C[:, 0, 0], C[:, 1, 1]], axis=1))
                vals[ts] = bvn_cdf(-m[:, 0] / sd[:, 0], -m[:, 1] / sd[:, 1],
                                   C[:, 0, 1] / (sd[:, 0] * sd[:, 1]))
            else:
                for t in ts:
                    vals[t] = orthant_probability(terms[t][2], terms[t][3], abseps=abseps,
                                                  random_state=t)
        P: dict[Face, list[float]] = {S: [] for S in faces(K)}
        E: dict[Face, float] = {S: 0.0 for S in faces(K)}
        for (S, sign, m, _), v in zip(terms, vals, strict=True):
            P[S].append(sign * v)
            E[S] += _orthant_error(len(m), abseps) + 2 * np.finfo(float).eps * abs(v)
        probs = {S: min(max(math.fsum(v), 0.0), 1.0) for S, v in P.items()}
        return probs, E

    def logpdf(self, y: ArrayLike) -> np.ndarray:
        r"""Log-density w.r.t. the direct-sum measure, :math:`\log P_F(S) + \log
        p_{Y\mid F}(y\mid S)` with :math:`S = \operatorname{supp} y` (on a vertex: the log
        face probability).  ``y`` has shape ``(..., K)`` and must lie on the simplex."""
        a = V.as_simplex_points(y, self.K)
        flat = a.reshape(-1, self.K)
        masks = _face_of_rows(flat)
        out = np.empty(flat.shape[0])
        P = None
        for mask in np.unique(masks):
            rows = np.nonzero(masks == mask)[0]
            S = _mask_to_face(int(mask), self.K)
            if len(S) == 1:
                P = self.face_probabilities() if P is None else P
                out[rows] = math.log(P[S]) if P[S] > 0 else -np.inf
                continue
            f = self._face(S)
            g = flat[np.ix_(rows, f.free)]
            r = g - f.mean_g
            from scipy.linalg import solve_triangular

            z = solve_triangular(f.chol_g, r.T, lower=True)
            lg = (-0.5 * np.sum(z * z, axis=0) - 0.5 * f.logdet_g
                  - 0.5 * len(f.free) * math.log(2 * math.pi))
            if len(f.out):
                mw = f.mean_w + r @ f.reg.T
                with np.errstate(divide="ignore"):
                    lo = np.log(orthant_probability(mw, f.cov_w))
            else:
                lo = 0.0
            out[rows] = lg + lo
        return out.reshape(a.shape[:-1])


# ---------------------------------------------------------------------------------------
class HardConcrete(_MixedBase):
    r"""K-D Hard Concrete: :math:`Y = \operatorname{sparsemax}(\tau Y')`,
    :math:`Y' \sim \operatorname{Concrete}(z, \lambda)` (stretch-and-project,
    [FANM22]_).

    :math:`Y' = \operatorname{softmax}((z + G)/\lambda)` with i.i.d. standard Gumbel
    :math:`G` [MMT17]_; the stretch :math:`\tau \ge 1` pushes mass onto the boundary
    (:math:`\tau = 1` gives the Concrete itself, no boundary mass).  For :math:`K = 2`
    this is the binary Hard Concrete of [LWK18]_ with the symmetric stretch
    :math:`(\gamma, \zeta) = (-\tfrac{\tau-1}2, \tfrac{\tau+1}2)`, whose intrinsic view
    is closed form: with :math:`\Delta = z_0 - z_1` and :math:`\sigma` the logistic
    function, :math:`\Pr\{Y'_0 \le u\} = \sigma(\lambda\,\mathrm{logit}\,u - \Delta)`,
    :math:`P_F(\{1\}) = \Pr\{Y'_0 \le \tfrac{\tau-1}{2\tau}\}`,
    :math:`P_F(\{0\}) = 1 - \Pr\{Y'_0 \le \tfrac{\tau+1}{2\tau}\}`.
    For :math:`K \ge 3` use :func:`empirical_face_probabilities` (Monte Carlo).

    Parameters
    ----------
    loc : array_like of float, shape (K,), K >= 2
        The Concrete's log-locations :math:`z` (:math:`\log\alpha`).
    temperature : float, > 0
        The Concrete's temperature :math:`\lambda`.
    stretch : float, >= 1
        The stretch :math:`\tau`.
    """

    def __init__(self, loc: ArrayLike, temperature: float = 1.0, stretch: float = 1.5):
        self.loc = V.as_simplex_scores(loc, "loc")
        self.K = int(self.loc.shape[0])
        self.temperature = V.check_finite_scalar(temperature, "temperature", 0.0, False)
        self.stretch = V.check_finite_scalar(stretch, "stretch", 1.0, True)

    def __repr__(self) -> str:
        return (f"HardConcrete(loc={np.array2string(self.loc, precision=4)}, "
                f"temperature={self.temperature:g}, stretch={self.stretch:g})")

    def sample_concrete(self, size=None, random_state=None) -> np.ndarray:
        """Draws of the Concrete :math:`Y'`, shape ``(*size, K)``."""
        from .maps import softmax

        rng = _rng(random_state)
        g = rng.gumbel(size=(*_size(size), self.K))
        return softmax((self.loc + g) / self.temperature, axis=-1)

    def rvs(self, size=None, random_state=None) -> np.ndarray:
        """Draws of :math:`Y = \\operatorname{sparsemax}(\\tau Y')`, shape ``(*size, K)``."""
        from .maps import sparsemax

        return sparsemax(self.stretch * self.sample_concrete(size, random_state), axis=-1)

    def _need_k2(self, what: str) -> None:
        if self.K != 2:
            raise NotImplementedError(
                f"HardConcrete.{what} is closed form only for K = 2 (got K = {self.K}); "
                "use hfy_reference.mixed.empirical_face_probabilities for K >= 3")

    def _log_cdf_y1(self, u):
        """log Pr{Y'_0 <= u} (vectorized, 0 < u < 1)."""
        from scipy.special import log_expit, logit

        return log_expit(self.temperature * logit(u) - (self.loc[0] - self.loc[1]))

    def face_probabilities(self) -> dict[Face, float]:
        """The face probabilities (K = 2 only; closed form)."""
        self._need_k2("face_probabilities")
        from scipy.special import expit, logit

        t, lam, dz = self.stretch, self.temperature, self.loc[0] - self.loc[1]
        if t == 1.0:
            return {(0,): 0.0, (1,): 0.0, (0, 1): 1.0}
        p1 = float(expit(lam * logit((t - 1) / (2 * t)) - dz))
        p0 = float(expit(-(lam * logit((t + 1) / (2 * t)) - dz)))
        return {(0,): p0, (1,): p1, (0, 1): max(1.0 - p0 - p1, 0.0)}

    def logpdf(self, y: ArrayLike) -> np.ndarray:
        """Log-density w.r.t. the direct-sum measure (K = 2 only; closed form)."""
        self._need_k2("logpdf")
        from scipy.special import log_expit, logit

        a = V.as_simplex_points(y, 2)
        P = self.face_probabilities()
        y0 = a[..., 0]
        t, lam, dz = self.stretch, self.temperature, self.loc[0] - self.loc[1]
        out = np.empty(y0.shape)
        v0, v1 = y0 == 1.0, y0 == 0.0
        inner = ~(v0 | v1)
        with np.errstate(divide="ignore"):
            out[v0] = math.log(P[(0,)]) if P[(0,)] > 0 else -np.inf
            out[v1] = math.log(P[(1,)]) if P[(1,)] > 0 else -np.inf
        u = (y0[inner] + 0.5 * (t - 1)) / t
        x = lam * logit(u) - dz
        # d/du sigmoid(x(u)) = sigmoid(x) sigmoid(-x) lam / (u (1 - u)); then / tau
        out[inner] = (log_expit(x) + log_expit(-x) + math.log(lam) - np.log(u) - np.log1p(-u)
                      - math.log(t))
        return out


# ---------------------------------------------------------------------------------------
class LogisticNormal(_MixedBase):
    r"""Logistic-Normal: :math:`Y = \operatorname{softmax}(z + \Sigma^{1/2}N)`.

    Continuous on the relative interior (every face but the maximal one has
    probability 0).  Density w.r.t. Lebesgue measure in the first :math:`K-1`
    coordinates, through the additive log-ratio :math:`x = \log(y_{<K}/y_K) \sim
    \mathcal N(Az, A\Sigma A^\top)`, :math:`A = [I_{K-1}, -\mathbf 1]`:
    :math:`p(y) = \mathcal N(x; Az, A\Sigma A^\top) / \prod_{i} y_i`.

    Parameters
    ----------
    loc : array_like, shape (K,), K >= 2
    cov : array_like, shape (K, K), SPD (or a scalar / length-K diagonal)
    """

    def __init__(self, loc: ArrayLike, cov: ArrayLike = 1.0):
        self.loc = V.as_simplex_scores(loc, "loc")
        self.K = int(self.loc.shape[0])
        self.cov, self._chol = V.as_spd_matrix(cov, self.K, "cov")
        A = np.hstack([np.eye(self.K - 1), -np.ones((self.K - 1, 1))])
        self._m = A @ self.loc
        C = A @ self.cov @ A.T
        self._L = np.linalg.cholesky(0.5 * (C + C.T))

    def __repr__(self) -> str:
        return (f"LogisticNormal(loc={np.array2string(self.loc, precision=4)}, "
                f"cov={np.array2string(self.cov, precision=4)})")

    def rvs(self, size=None, random_state=None) -> np.ndarray:
        from .maps import softmax

        rng = _rng(random_state)
        n = rng.standard_normal((*_size(size), self.K))
        return softmax(n @ self._chol.T + self.loc, axis=-1)

    def face_probabilities(self) -> dict[Face, float]:
        return {S: (1.0 if len(S) == self.K else 0.0) for S in faces(self.K)}

    def logpdf(self, y: ArrayLike) -> np.ndarray:
        from scipy.linalg import solve_triangular

        a = V.as_simplex_points(y, self.K)
        flat = a.reshape(-1, self.K)
        out = np.full(flat.shape[0], -np.inf)
        inner = np.all(flat > 0, axis=1)
        f = flat[inner]
        x = np.log(f[:, :-1]) - np.log(f[:, -1:])
        z = solve_triangular(self._L, (x - self._m).T, lower=True)
        d = self.K - 1
        out[inner] = (-0.5 * np.sum(z * z, axis=0) - np.sum(np.log(np.diag(self._L)))
                      - 0.5 * d * math.log(2 * math.pi) - np.sum(np.log(f), axis=1))
        return out.reshape(a.shape[:-1])


class Dirichlet(_MixedBase):
    r"""Dirichlet(:math:`\alpha`), through :class:`scipy.stats.dirichlet` (continuous
    on the relative interior; density w.r.t. Lebesgue in the first :math:`K-1`
    coordinates, as here)."""

    def __init__(self, alpha: ArrayLike):
        a = V.as_simplex_scores(alpha, "alpha")
        if np.any(a <= 0):
            raise ValueError(f"alpha must be > 0 entrywise; got min {float(a.min())!r}")
        self.alpha = a
        self.K = int(a.shape[0])

    def __repr__(self) -> str:
        return f"Dirichlet(alpha={np.array2string(self.alpha, precision=4)})"

    def rvs(self, size=None, random_state=None) -> np.ndarray:
        rng = _rng(random_state)
        return rng.dirichlet(self.alpha, size=_size(size) or None)

    def face_probabilities(self) -> dict[Face, float]:
        return {S: (1.0 if len(S) == self.K else 0.0) for S in faces(self.K)}

    def logpdf(self, y: ArrayLike) -> np.ndarray:
        from scipy.special import gammaln, xlogy

        a = V.as_simplex_points(y, self.K)
        c = gammaln(self.alpha.sum()) - gammaln(self.alpha).sum()
        inner = np.all(a > 0, axis=-1)
        out = np.full(a.shape[:-1], -np.inf)
        out[inner] = c + np.sum(xlogy(self.alpha - 1.0, a[inner]), axis=-1)
        return out

    def entropy(self, method: str = "closed", **kw) -> float:
        """Differential entropy (SciPy's closed form) unless ``method`` is given."""
        if method == "closed":
            from scipy.stats import dirichlet

            return float(dirichlet(self.alpha).entropy())
        return entropy(self, method=method, **kw)


class Mixture(_MixedBase):
    r"""A finite mixture :math:`\sum_k w_k p_k` of distributions on the same simplex
    (itself a mixed distribution: face probabilities and densities mix)."""

    def __init__(self, components: Sequence[_MixedBase], weights: ArrayLike):
        comps = list(components)
        if not comps:
            raise ValueError("components must be a non-empty sequence")
        K = comps[0].K
        if any(c.K != K for c in comps):
            raise ValueError("components must all live on the same simplex (same K)")
        w = np.array(weights, dtype=np.float64)
        if w.shape != (len(comps),) or not np.all(np.isfinite(w)) or np.any(w < 0) \
                or abs(w.sum() - 1.0) > 1e-12:
            raise ValueError("weights must be a probability vector with one entry per "
                             f"component; got {weights!r}")
        self.components, self.weights, self.K = comps, w, K

    def rvs(self, size=None, random_state=None) -> np.ndarray:
        rng = _rng(random_state)
        shape = _size(size)
        n = int(np.prod(shape))
        k = rng.choice(len(self.components), size=n, p=self.weights)
        out = np.empty((n, self.K))
        for j, c in enumerate(self.components):
            idx = np.nonzero(k == j)[0]
            out[idx] = c.rvs(len(idx), rng)
        return out.reshape(*shape, self.K)

    def face_probabilities(self) -> dict[Face, float]:
        Ps = [c.face_probabilities() for c in self.components]
        return {S: math.fsum(w * P[S] for w, P in zip(self.weights, Ps, strict=True))
                for S in faces(self.K)}

    def logpdf(self, y: ArrayLike) -> np.ndarray:
        from scipy.special import logsumexp

        with np.errstate(divide="ignore"):
            lw = np.log(self.weights)
        L = np.stack([c.logpdf(y) for c in self.components], axis=-1)
        return logsumexp(L + lw, axis=-1)


# ---------------------------------------------------------------------------------------
# quadrature over the faces
@functools.lru_cache(maxsize=32)
def _simplex_rule(d: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Collapsed-cube Gauss-Legendre rule on {u >= 0, sum u <= 1} in R^d: nodes (m, d)
    and weights (m,) (the weights sum to 1/d!)."""
    x, w = np.polynomial.legendre.leggauss(n)
    t, wt = 0.5 * (x + 1.0), 0.5 * w
    grids = np.meshgrid(*([t] * d), indexing="ij")
    T = np.stack([g.ravel() for g in grids], axis=1)
    W = np.ones(T.shape[0])
    for wg in np.meshgrid(*([wt] * d), indexing="ij"):
        W = W * wg.ravel()
    U = np.empty_like(T)
    rest = np.ones(T.shape[0])
    for i in range(d):  # u_i = t_i prod_{j<i} (1 - t_j); Jacobian prod_i prod_{j<i}(1 - t_j)
        U[:, i] = rest * T[:, i]
        W = W * rest
        rest = rest * (1.0 - T[:, i])
    U.flags.writeable = False
    W.flags.writeable = False
    return U, W


def _face_points(S: Face, K: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    d = len(S) - 1
    if d == 0:
        y = np.zeros((1, K))
        y[0, S[0]] = 1.0
        return y, np.ones(1)
    U, W = _simplex_rule(d, n)
    y = np.zeros((U.shape[0], K))
    y[:, list(S[:-1])] = U
    y[:, S[-1]] = np.maximum(1.0 - U.sum(axis=1), 0.0)
    keep = y[:, S[-1]] > 0
    return y[keep], W[keep]


_QUAD_N = {1: (96, 192), 2: (64, 128), 3: (24, 40)}


def _expect_quad(dist: _MixedBase, g: Callable[[np.ndarray, np.ndarray], np.ndarray],
                 n: int | None = None) -> tuple[float, float]:
    r""":math:`\int g(y, \log p^\oplus(y))\, p^\oplus(y)\, d\mu^\oplus(y)` by Gauss rules on
    each face (K <= 4), with the difference between two orders as error estimate."""
    K = dist.K
    if K > 4:
        raise ValueError(f"method='quad' needs K <= 4 (got K = {K}); use method='mc'")
    vals = []
    for level in (0, 1):
        total = []
        for S in faces(K):
            d = len(S) - 1
            m = _QUAD_N[d][level] if d and n is None else (n or 1) * (1 + level)
            y, w = _face_points(S, K, m)
            lp = dist.logpdf(y)
            p = np.exp(lp)
            with np.errstate(invalid="ignore"):
                v = np.where(p > 0, p * g(y, lp), 0.0)
            total.append(math.fsum(w * v))
        vals.append(math.fsum(total))
    return vals[1], abs(vals[1] - vals[0])


def _expect_mc(dist, g, n: int, random_state) -> tuple[float, float]:
    y = dist.rvs(n, random_state)
    v = g(y, dist.logpdf(y))
    return float(np.mean(v)), float(np.std(v, ddof=1) / math.sqrt(n))


def _expect(dist, g, method, n, random_state, return_error):
    if method == "quad":
        val, err = _expect_quad(dist, g)
    elif method == "mc":
        n = 100_000 if n is None else int(n)
        val, err = _expect_mc(dist, g, n, random_state)
    else:
        raise ValueError(f"method must be 'quad' or 'mc'; got {method!r}")
    return (val, err) if return_error else val


def entropy(dist: _MixedBase, method: str = "quad", *, n: int | None = None,
            random_state=None, return_error: bool = False, bits: int | None = None):
    r"""Direct-sum entropy :math:`H^\oplus(Y) = H(F) + \sum_S P_F(S)\, h(Y\mid F=S)`.

    Equivalently :math:`-\int \log p^\oplus\, dP` (vertices contribute their discrete
    entropy, the other faces their differential entropy w.r.t. :math:`\mu_S`).  In nats;
    with ``bits=N`` it is in bits at :math:`N` bits of precision per continuous
    coordinate, :math:`H^\oplus/\log 2 + N\,\mathbb E[\dim F]` [FANM22]_.

    Parameters
    ----------
    dist : a distribution of this module
    method : {"quad", "mc"}
        ``"quad"``: Gauss rules on every face (K <= 4); error estimate = difference of two
        orders.  ``"mc"``: Monte Carlo, ``n`` draws, error = one standard error.
    return_error : bool
        Return ``(value, error estimate)``.
    """
    val, err = _expect(dist, lambda y, lp: -lp, method, n, random_state, True)
    if bits is not None:
        N = V.check_finite_scalar(bits, "bits", 0.0, True)
        P = dist.face_probabilities()
        mean_dim = math.fsum(p * (len(S) - 1) for S, p in P.items())
        val, err = val / math.log(2) + N * mean_dim, err / math.log(2)
    return (val, err) if return_error else val


def kl_divergence(p: _MixedBase, q: _MixedBase, method: str = "quad", *,
                  n: int | None = None, random_state=None, return_error: bool = False):
    r"""Direct-sum KL divergence :math:`\mathrm{KL}^\oplus(p\|q) = \sum_S P(S)\log
    \tfrac{P(S)}{Q(S)} + \sum_S P(S)\,\mathrm{KL}(p_{\cdot\mid S}\|q_{\cdot\mid S})
    = \mathbb E_p[\log p^\oplus(Y) - \log q^\oplus(Y)]` (``inf`` when ``p`` puts mass
    where ``q`` has none).  ``method`` as in :func:`entropy`."""
    if p.K != q.K:
        raise ValueError(f"p and q must live on the same simplex; got K = {p.K} and {q.K}")
    P, Q = p.face_probabilities(), q.face_probabilities()
    if any(P[S] > 0 and Q[S] == 0 for S in P):
        return (math.inf, 0.0) if return_error else math.inf
    return _expect(p, lambda y, lp: lp - q.logpdf(y), method, n, random_state,
                   return_error)


def mutual_information(components: Sequence[_MixedBase], weights: ArrayLike,
                       method: str = "quad", *, n: int | None = None, random_state=None,
                       return_error: bool = False):
    r"""Mutual information :math:`I(X; Y)` of a discrete :math:`X` (``P(X=k) =
    weights[k]``) and a mixed :math:`Y \mid X=k \sim` ``components[k]``:
    :math:`I = H^\oplus(Y) - H^\oplus(Y\mid X) = \sum_k w_k\,\mathrm{KL}^\oplus(p_k \|
    \bar p)`, :math:`\bar p = \sum_k w_k p_k` (so :math:`0 \le I \le H(X)`)."""
    mix = Mixture(components, weights)
    vals, errs = [], []
    for w, c in zip(mix.weights, mix.components, strict=True):
        if w == 0:
            continue
        v, e = kl_divergence(c, mix, method, n=n, random_state=random_state,
                             return_error=True)
        vals.append(w * v)
        errs.append(w * e)
    val, err = math.fsum(vals), math.fsum(errs)
    return (val, err) if return_error else val


def empirical_face_probabilities(dist: _MixedBase, n: int = 100_000,
                                 random_state=None) -> tuple[dict[Face, float],
                                                             dict[Face, float]]:
    """Monte Carlo face frequencies from ``n`` draws of ``dist.rvs``, and their standard
    errors :math:`\\sqrt{\\hat p(1-\\hat p)/n}`."""
    y = dist.rvs(int(n), random_state)
    masks = _face_of_rows(y.reshape(-1, dist.K))
    counts = np.bincount(masks, minlength=1 << dist.K)
    freq, se = {}, {}
    for S in faces(dist.K):
        p = counts[sum(1 << i for i in S)] / n
        freq[S], se[S] = float(p), float(math.sqrt(p * (1 - p) / n))
    return freq, se


# ---------------------------------------------------------------------------------------
# maximum entropy
def max_entropy(K: int, bits: int | None = None) -> float:
    r"""The largest direct-sum entropy of a mixed random variable on the simplex with
    ``K`` vertices.

    .. math::

        \max H^\oplus = \log \sum_{d=0}^{K-1} \binom{K}{d+1} \frac{c^d}{d!}
            = \log L^{(1)}_{K-1}(-c),

    a generalized Laguerre polynomial, with :math:`c = 1` in nats (``bits=None``) and
    :math:`c = 2^N`, :math:`\log = \log_2` in bits at ``N = bits`` bits of precision
    (:math:`\log_2(2 + 2^N)` for :math:`K = 2`).  Attained by the face masses
    :func:`max_entropy_face_masses` with uniform face-conditional densities.  Derivation
    in ``docs/mixed.md``.
    """
    if isinstance(K, (bool, np.bool_)) or not isinstance(K, (int, np.integer)):
        raise TypeError(f"K must be an integer; got {K!r}")
    if K < 2:
        raise ValueError(f"K must be >= 2; got {K}")
    if bits is None:
        terms = [math.comb(K, d + 1) / math.factorial(d) for d in range(K)]
        return math.log(math.fsum(terms))
    N = V.check_finite_scalar(bits, "bits", 0.0, True)
    # log2 sum_d C(K, d+1) 2^(N d) / d!, summed in log space
    logs = [math.log2(math.comb(K, d + 1)) + N * d - math.log2(math.factorial(d))
            for d in range(K)]
    top = max(logs)
    return top + math.log2(math.fsum(2.0 ** (v - top) for v in logs))


def max_entropy_face_masses(K: int, bits: int | None = None) -> dict[Face, float]:
    r"""The face masses of the maximum-entropy distribution:
    :math:`P(S) \propto c^{d}/d!` for a face of dimension :math:`d` (see
    :func:`max_entropy`)."""
    H = max_entropy(K, bits)
    out = {}
    for S in faces(K):
        d = len(S) - 1
        if bits is None:
            out[S] = math.exp(-math.lgamma(d + 1) - H)
        else:
            out[S] = 2.0 ** (float(bits) * d - math.log2(math.factorial(d)) - H)
    return out
