"""proofs_check: the theorem verifier of hfy-reference.

Every claim of SPEC §6 (T1-T11), for every map it applies to, is tested on instances
that satisfy its assumptions by construction, with its conclusion checked to a stated
tolerance, and probed just outside its assumptions.  Statements as printed in the seed
slides (the ``1/(mβ)`` thresholds) are held as ``published`` claims and decided the
same way.  Run ``python -m proofs_check --quick``; see :mod:`proofs_check.cli`.
"""

from .registry import Checks, Claim, Cond, MapSpec, Subject

__all__ = ["Checks", "Claim", "Cond", "MapSpec", "Subject"]
