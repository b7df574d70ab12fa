"""The claims, one module per theorem of math §6 (t01_fy … t11_post).

Each module exports ``claims(subject) -> list[Claim]``; :func:`all_claims` concatenates
them in theorem order.  A claim closes over the parts of the :class:`~proofs_check.
registry.Subject` it checks, so a test can hand in a subject with a broken part.
"""

from __future__ import annotations

import importlib

from ..registry import Claim, Subject

MODULES = (
    "t01_fy",
    "t02_margins",
    "t03_energy",
    "t04_stationary",
    "t05_one_step",
    "t06_eps_ball",
    "t07_capacity",
    "t08_limits",
    "t09_structured",
    "t10_normmax",
    "t11_post",
    "t09_sequential",
    "t03_cccp",
    "t08_sparsity",
    "c_continuous",
    "c_mixed",
    "c_alpha",
)


def all_claims(subject: Subject | None = None) -> list[Claim]:
    """Every claim, for ``subject`` (default: the installed library)."""
    subject = subject if subject is not None else Subject.default()
    out: list[Claim] = []
    for name in MODULES:
        try:
            mod = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"{__name__}.{name}":
                continue  # not written yet
            raise
        out.extend(mod.claims(subject))
    ids = [c.id for c in out]
    dup = {i for i in ids if ids.count(i) > 1}
    if dup:
        raise RuntimeError(f"duplicate claim ids: {sorted(dup)}")
    return out
