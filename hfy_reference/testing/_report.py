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
    status : {"pass", "fail", "skip", "xfail", "xpass", "ofail", "notrun"}
        ``xfail``/``xpass``: a case of the ``expected_failures`` baseline that failed /
        passed; ``ofail``: a failure in the overflow class, shown apart and not
        counted (unless ``judge_overflow=True``); ``notrun``: not run after a
        fail-fast stop.
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
        The worst entries: ``(index, expected, got, tolerance)``, indices into the
        rows-by-N view of the case.
    overflow : bool
        The case belongs to the overflow class (``z_i - max z`` beyond the largest
        number of the compute dtype).
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
    overflow: bool = False

    @property
    def passed(self) -> bool:
        return self.status not in ("fail", "notrun")


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
    tol_scale: float = 1.0
    aborted: str | None = None

    @property
    def passed(self) -> bool:
        return self.aborted is None and all(r.passed for r in self.results)

    @property
    def failures(self) -> list:
        return [r for r in self.results if r.status == "fail"]

    @property
    def overflow_failures(self) -> list:
        """Failures in the overflow class, not counted in the verdict."""
        return [r for r in self.results if r.status == "ofail"]

    @property
    def expected_failures(self) -> list:
        return [r for r in self.results if r.status == "xfail"]

    @property
    def unexpected_passes(self) -> list:
        """Cases of the baseline that now pass (update the baseline)."""
        return [r for r in self.results if r.status == "xpass"]

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
        nn = sum(r.status == "notrun" for r in self.results)
        if self.aborted:
            verdict = "FAILED: " + self.aborted
        else:
            verdict = "PASSED" if self.passed else f"FAILED {nf} of {n - ns} cases"
        extra = []
        if self.overflow_failures:
            extra.append(f"{len(self.overflow_failures)} overflow-class failures not "
                         "counted")
        if self.expected_failures:
            extra.append(f"{len(self.expected_failures)} expected failures")
        if self.unexpected_passes:
            extra.append(f"{len(self.unexpected_passes)} expected failures now pass: "
                         "update the baseline")
        more = "".join(f"; {e}" for e in extra)
        scale = f" x tol_scale {self.tol_scale:g}" if self.tol_scale != 1.0 else ""
        return (f"check_backend({self.backend}, family={self.family!r}{ps}, "
                f"dtype={self.dtype}): {verdict} ({n - ns - nn} run, {ns} skipped{more}); "
                f"tolerance K eps{scale} with K = 4 max(1 + ceil(log2 N), ceil(sqrt N)), "
                f"eps = {self.eps:.3g}")

    def table(self, only_failures: bool = False) -> str:
        w = max([len(r.name) for r in self.results] + [4])
        head = (f"{'case'.ljust(w)}  {'shape'.ljust(9)}  {'max abs'.ljust(9)}  "
                f"{'max rel'.ljust(9)}  {'err/tol'.ljust(9)}  {'sum err'.ljust(9)}  "
                f"{'supp'.ljust(5)}  {'nonfin'.ljust(6)}  status")
        lines = [head, "-" * len(head)]
        if self.aborted:  # one message, not the same error once per case
            ran = [r for r in self.results if r.status not in ("notrun", "skip")]
            return "\n".join(lines + [f"{ran[0].name}..{ran[-1].name} ({len(ran)} cases): "
                                      f"all raised {ran[0].exception}"])
        overflow = [r for r in self.results if r.overflow]
        plain = [r for r in self.results if not r.overflow]
        rows = plain + ([None] + overflow if overflow else [])
        for r in rows:
            if r is None:
                lines.append("overflow class (z_i - max z beyond the largest number: a "
                             "plain formula overflows; failures shown, not counted):")
                continue
            if only_failures and r.status not in ("fail", "ofail"):
                continue
            shape = "x".join(str(s) for s in r.shape) if r.shape else "-"
            status = r.status
            if r.status in ("fail", "ofail", "xfail") and r.reasons:
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
        if self.aborted:
            return "\n".join(out[:1])
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
