"""Shared test configuration: hypothesis profiles and helpers.

Profiles (select with ``HYPOTHESIS_PROFILE=<name>``):

* ``ci`` (default): derandomized, so that a green run is reproducible;
* ``dev``: random, 100 examples per test;
* ``fuzz``: random, 10 000 examples per test (the heavy run, on request).
"""

import os
import sys

# One BLAS thread: the scipy.optimize slow path makes many tiny BLAS calls, which a
# multi-threaded OpenBLAS slows down 5-12x on a shared 2-core machine.  This must run
# before numpy is imported.
_NUMPY_WAS_LOADED = "numpy" in sys.modules  # then the setting comes too late
for _var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=60,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "dev",
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "fuzz",
    max_examples=10_000,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# tests/reference.py (the mpmath oracle) is imported as a plain module
sys.path.insert(0, os.path.dirname(__file__))

# NaN-producing, overflowing or dividing operations anywhere in the tests are errors
# (underflow to 0 is normal: exp(-800) in a softmax)
np.seterr(over="raise", invalid="raise", divide="raise", under="ignore")
