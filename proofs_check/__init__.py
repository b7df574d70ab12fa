"""proofs_check: the theorem verifier of hfy-reference.

Every claim of math §6 (T1-T11), for every map it applies to, is tested on instances
that satisfy its assumptions by construction, with its conclusion checked to a stated
tolerance, and probed just outside its assumptions.  Statements as printed in the seed
slides (the ``1/(mβ)`` thresholds) are held as ``published`` claims and decided the
same way.  Run ``python -m proofs_check --quick``; see :mod:`proofs_check.cli`.

Threads: the instances are small, and on a shared machine starting BLAS or Numba thread
pools costs more than it saves (10x slower per call under load), so the verifier runs
single-threaded: importing this package sets ``OPENBLAS_NUM_THREADS``,
``OMP_NUM_THREADS`` and ``MKL_NUM_THREADS`` to 1 unless they are already set (effective
when numpy is not imported yet, as with ``python -m proofs_check``), and the runner sets
Numba's thread count to 1 while it runs.  No result depends on the thread count.
"""

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from .registry import Checks, Claim, Cond, MapSpec, Subject  # noqa: E402

__all__ = ["Checks", "Claim", "Cond", "MapSpec", "Subject"]
