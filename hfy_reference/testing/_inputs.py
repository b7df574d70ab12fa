"""Judge a backend on the user's own inputs: :func:`reference`, :func:`check_inputs`,
:func:`assert_matches`.

The same rounding, exact answers and tolerances as the built-in suite
(:func:`hfy_reference.testing._build.prepare`), on arrays the user supplies -- for
example drawn by hypothesis inside the user's own test.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _build as B
from . import _oracle as O
from ._report import BackendReport, CaseResult


@dataclass
class Reference:
    """The exact answer for one input and the tolerances it is judged by.

    Attributes
    ----------
    family : str
    params : dict
    precision : str
        The input/compute/output dtypes, e.g. ``"bfloat16 (compute float32, output
        bfloat16)"``.
    expected : ndarray (float64)
        The exact answer for the inputs as rounded to the input dtype, in the shape
        the backend returns (``z.shape`` for maps, gradients and Jacobian products,
        ``z.shape[:-1]`` for losses).  Values beyond the output dtype's range are
        ``+-inf``.
    tol : ndarray (float64)
        Per-entry tolerance (same shape); 0 where the answer must be exact (outside
        the support, masked scores, values rounding to infinity).
    sum_tol : ndarray or None
        Tolerance of the sums along the last axis (``sum_i tol_i`` plus the
        reference's own rounding; ``None`` for losses); the sums must be
        ``sum_target`` (1, ``k``, or 0 for gradients and Jacobian products).
    must_be_zero : ndarray of bool or None
        Entries that must be exactly 0 (outside the support and its rounding zone).
    skipped : str or None
        Why this input cannot be judged (e.g. not representable in the dtype, or a
        Jacobian at a support not determined at this precision); ``expected`` and
        ``tol`` are then empty.
    """

    family: str
    params: dict
    precision: str
    expected: np.ndarray
    tol: np.ndarray
    sum_tol: np.ndarray | None
    sum_target: np.ndarray | None
    must_be_zero: np.ndarray | None
    skipped: str | None
    _prep: object = None
    _support: bool = False

    def check(self, output, *, tol_scale: float = 1.0) -> CaseResult:
        """Judge ``output`` (array-like) against this reference."""
        from ._harness import _check_scale, compare

        if self.skipped:
            c = self._prep.case  # type: ignore[attr-defined]
            return CaseResult(c.name, c.note, c.shape, "skip", [self.skipped])
        return compare(self._prep, output, support=self._support,
                       tol_scale=_check_scale(tol_scale))

    def __repr__(self) -> str:
        ps = "".join(f", {k}={v!r}" for k, v in self.params.items())
        state = f"skipped: {self.skipped}" if self.skipped else (
            f"shape {self.expected.shape}, max tol {float(np.max(self.tol, initial=0)):.3g}")
        return f"Reference({self.family!r}{ps}, {self.precision}; {state})"


def _as_array(a, name):
    if a is None:
        raise TypeError(f"{name} is missing")
    if hasattr(a, "detach") and hasattr(a, "cpu"):  # a torch tensor
        t = a.detach().cpu()
        if str(t.dtype) == "torch.bfloat16":
            import ml_dtypes

            return t.float().numpy().astype(ml_dtypes.bfloat16)
        return t.numpy()
    return np.asarray(a)


def _raw(fam: O.Family, arrays: tuple) -> tuple:
    names = fam.argnames()
    if len(arrays) != len(names):
        raise TypeError(f"family {fam.name!r} takes {len(names)} arrays "
                        f"({', '.join(names)}); got {len(arrays)}")
    arrs = {n: _as_array(a, n) for n, a in zip(names, arrays, strict=True)}
    z = arrs["z"]
    if z.ndim < 1 or z.shape[-1] < 1:
        raise ValueError(f"z must have at least one entry along its last axis; got shape "
                         f"{z.shape}")
    if z.dtype.kind != "f" and z.dtype.name != "bfloat16":
        raise TypeError(f"z must be a floating-point array; got dtype {z.dtype}")
    N = z.shape[-1]
    rows = z.reshape(-1, N).astype(np.float64)
    extra = {}
    for n, a in arrs.items():
        if n == "z":
            continue
        if n == "target":
            if a.shape != z.shape[:-1] or a.dtype.kind not in "iu":
                raise ValueError(f"target must be integers of shape {z.shape[:-1]}; got "
                                 f"{a.dtype} of shape {a.shape}")
            t = a.reshape(-1)
            if ((t < 0) | (t >= N)).any():
                raise ValueError(f"target indices must be in [0, {N}); got {a}")
            Y = np.zeros_like(rows)
            Y[np.arange(len(t)), t] = 1.0
            extra["y"] = Y
            continue
        if a.shape != z.shape:
            raise ValueError(f"{n} must have the shape of z {z.shape}; got {a.shape}")
        extra[{"g": "v"}.get(n, n)] = a.reshape(-1, N).astype(np.float64)
    bshape = None if z.ndim == 2 else tuple(z.shape)
    return B.Raw("inputs", "the inputs supplied", rows, frozenset(), extra, bshape), z


def _prepared(family, arrays, dtype, compute_dtype, output_dtype, params):
    fam = O.parse_family(family, params)
    raw, z = _raw(fam, arrays)
    prec = O.parse_precision(z.dtype if dtype is None else dtype, compute_dtype,
                             output_dtype)
    (prep,) = B.prepare(fam, prec, [raw])
    return fam, prec, prep


def reference(family: str, *arrays, dtype=None, compute_dtype=None, output_dtype=None,
              **params) -> Reference:
    """The exact answer for ``family`` at the given inputs, and its tolerances.

    Parameters
    ----------
    family : str
        A family of :func:`check_backend` (not ``hopfield_step``).
    *arrays : array-like
        The backend's arguments in its order (``z``; ``z, upper``; ``z, y`` or ``z,
        target``; ``z, v``; ``z, g``), NumPy arrays or torch tensors, of any shape
        ``(..., N)``: the problems are along the last axis.
    dtype : dtype, optional
        The input dtype (default: that of ``z``); the inputs are rounded to it and
        the answer is exact for the rounded inputs.
    compute_dtype, output_dtype : dtype, optional
        As in :func:`check_backend` (default: ``dtype``).
    **params
        ``alpha``, ``k``, ``target`` as the family needs.

    Examples
    --------
    >>> import numpy as np
    >>> from hfy_reference.testing import reference
    >>> ref = reference("sparsemax", np.array([0.5, 0.25, -1.0]))
    >>> ref.expected
    array([0.625, 0.375, 0.   ])
    >>> bool(ref.check(np.array([0.625, 0.375, 0.0])).passed)
    True
    """
    fam, prec, prep = _prepared(family, arrays, dtype, compute_dtype, output_dtype, params)
    support = fam.kind == "map" and fam.map != "softmax"
    if prep.skip:
        return Reference(fam.name, fam.params, prec.label, np.empty(0), np.empty(0), None,
                         None, None, prep.skip, prep, support)
    z = _as_array(arrays[0], "z")
    lead = z.shape[:-1]

    def shaped(a):
        return None if a is None else a.reshape(lead + a.shape[1:])

    sum_tol = None if prep.sum_tol is None else prep.sum_tol.reshape(lead)
    target = None if prep.sum_target is None else prep.sum_target.reshape(lead)
    return Reference(fam.name, fam.params, prec.label, shaped(prep.expected),
                     shaped(prep.tol), sum_tol, target, shaped(prep.hard_zero), None, prep,
                     support)


def check_inputs(fn, family: str, *arrays, dtype=None, compute_dtype=None,
                 output_dtype=None, name: str | None = None, tol_scale: float = 1.0,
                 **params) -> BackendReport:
    """Run ``fn`` on the user's ``arrays`` and judge its output against the exact
    answer (one case, named ``"inputs"``).  ``fn`` receives copies of the arrays
    (NumPy, same dtype and shape); arguments as in :func:`reference`."""
    from ._harness import _backend_name, _check_scale, run_prepared

    fam, prec, prep = _prepared(family, arrays, dtype, compute_dtype, output_dtype, params)
    arrs = tuple(np.array(_as_array(a, "array"), copy=True, order="K") for a in arrays)
    results, _ = run_prepared(fn, [prep], support=fam.kind == "map" and fam.map != "softmax",
                              tol_scale=_check_scale(tol_scale), judge_overflow=True,
                              fail_fast=False, call=lambda p: arrs)
    return BackendReport(name or _backend_name(fn), family, fam.params, prec.label,
                         prec.eps, results, tol_scale=float(tol_scale))


def assert_matches(fn, family: str, *arrays, **kwargs) -> BackendReport:
    """Like :func:`check_inputs`, but raise ``AssertionError`` with the worst entries
    (index, expected, got, tolerance) when the output is not within tolerance.  For
    use inside one's own (hypothesis) tests:

    .. code-block:: python

        @given(strategies.scores(dtype=np.float32))
        def test_my_entmax(z):
            assert_matches(my_entmax_numpy, "entmax", z, alpha=1.5)
    """
    report = check_inputs(fn, family, *arrays, **kwargs)
    if not report.passed:
        raise AssertionError(report.failure_message())
    return report


__all__ = ["Reference", "reference", "check_inputs", "assert_matches"]
