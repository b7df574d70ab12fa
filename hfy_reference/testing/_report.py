"""Result objects of :func:`hfy_reference.testing.check_backend` and their text form."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["CaseResult", "BackendReport"]


@dataclass
class CaseResult:
    """The outcome of one case.

    Attributes
    ----------
    name, note : str
        The case's name and description.
    shape : tuple
        Shape of the scores ``z`` (rows, N).
    status : {"pass", "fail", "skip"}
    reasons : list of str
        Why the case failed (or was skipped); empty when it passed.
    max_abs_err, max_rel_err : float or None
        Largest ``|got - expected|``, and the largest of it divided by ``|expected|``
        over nonzero expected entries (``None`` when the backend produced nothing
        comparable).
    worst_ratio : float or None
        Largest ``|got - expected| / tolerance`` (``inf`` where the tolerance is 0,
        e.g. a nonzero value off the support).
    sum_err, sum_tol : float or None
        ``|sum_i got_i - T|`` (``T`` = 1, ``k``, or 0 for gradients and Jacobian
        products) in the row worst relative to its tolerance, and that tolerance;
        ``None`` for losses.
    support_mismatches, hard_support_mismatches : int or None
        Entries whose zero/nonzero status differs from the reference, and those of
        them outside the rounding zone (which fail the case); ``None`` where there is
        no support (losses, Hopfield steps).
    nonfinite : int
        NaN or infinite entries where the reference is finite (or a wrong infinity).
    exception : str or None
        ``"TypeName: message"`` when the backend raised.
    diff : list of tuple
        The worst entries: ``(index, expected, got, tolerance)``.
    """

    name: str
    note: str
    shape: tuple
    status: str
    reasons: list = field(default_factory=list)
    max_abs_err: float | None = None
    max_rel_err: float | None = None
    worst_ratio: float | None = None
    sum_err: float | None = None
    sum_tol: float | None = None
    support_mismatches: int | None = 0
    hard_support_mismatches: int | None = 0
    nonfinite: int = 0
    exception: str | None = None
    diff: list = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.status != "fail"


def _num(x, width=9) -> str:
    if x is None:
        return "-".ljust(width)
    if x == 0:
        return "0".ljust(width)
    if not np.isfinite(x):
        return str(x).ljust(width)
    return f"{x:.2e}".ljust(width)


@dataclass
class BackendReport:
    """What :func:`check_backend` found: one :class:`CaseResult` per case.

    ``passed`` is True when no case failed (skipped cases do not count).  ``repr``
    (and ``str``) give a table, ``failures`` the failing cases, and
    :meth:`failure_message` the text that :func:`assert_backend_matches` raises.
    """

    backend: str
    family: str
    params: dict
    dtype: str
    eps: float
    results: list

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)

    @property
    def failures(self) -> list:
        return [r for r in self.results if r.status == "fail"]

    @property
    def failing_cases(self) -> list[str]:
        return [r.name for r in self.failures]

    @property
    def skipped(self) -> list:
        return [r for r in self.results if r.status == "skip"]

    def __getitem__(self, name: str) -> CaseResult:
        for r in self.results:
            if r.name == name:
                return r
        raise KeyError(name)

    def header(self) -> str:
        ps = "".join(f", {k}={v!r}" for k, v in self.params.items())
        n = len(self.results)
        nf, ns = len(self.failures), len(self.skipped)
        verdict = "PASSED" if self.passed else f"FAILED {nf} of {n - ns} cases"
        return (f"check_backend({self.backend}, family={self.family!r}{ps}, "
                f"dtype={self.dtype}): {verdict} ({n - ns} run, {ns} skipped); "
                f"tolerance K eps with K = 4 (1 + ceil(log2 N)), eps = {self.eps:.3g}")

    def table(self, only_failures: bool = False) -> str:
        w = max([len(r.name) for r in self.results] + [4])
        head = (f"{'case'.ljust(w)}  {'shape'.ljust(9)}  {'max abs'.ljust(9)}  "
                f"{'max rel'.ljust(9)}  {'err/tol'.ljust(9)}  {'sum err'.ljust(9)}  "
                f"{'supp'.ljust(5)}  {'nonfin'.ljust(6)}  status")
        lines = [head, "-" * len(head)]
        for r in self.results:
            if only_failures and r.status != "fail":
                continue
            shape = "x".join(str(s) for s in r.shape) if r.shape else "-"
            status = r.status
            if r.status == "fail" and r.reasons:
                status += ": " + r.reasons[0]
            elif r.status == "skip":
                status += ": " + (r.reasons[0] if r.reasons else "")
            supp = "-" if r.support_mismatches is None else (
                f"{r.support_mismatches}" + ("!" if r.hard_support_mismatches else ""))
            lines.append(
                f"{r.name.ljust(w)}  {shape.ljust(9)}  {_num(r.max_abs_err)}  "
                f"{_num(r.max_rel_err)}  {_num(r.worst_ratio)}  {_num(r.sum_err)}  "
                f"{supp.ljust(5)}  {str(r.nonfinite).ljust(6)}  {status}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.header() + "\n" + self.table()

    __str__ = __repr__

    def failure_message(self, max_entries: int = 5) -> str:
        """The failing cases, each with its reasons and its worst entries."""
        out = [self.header(), ""]
        for r in self.failures:
            out.append(f"case {r.name!r} ({r.note}), shape {r.shape}:")
            for reason in r.reasons:
                out.append(f"    - {reason}")
            if r.diff:
                out.append(f"    {'index'.ljust(14)}{'expected'.ljust(26)}"
                           f"{'got'.ljust(26)}tolerance")
                for idx, exp, got, tol in r.diff[:max_entries]:
                    out.append(f"    {str(idx).ljust(14)}{exp!r:<26}{got!r:<26}{tol:.3g}")
        return "\n".join(out)
