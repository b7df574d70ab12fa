"""Old location of :mod:`hfy_reference.slow.structured` (deprecated; kept so that old
imports work)."""

import warnings

from .slow.structured import *  # noqa: F403
from .slow.structured import __all__  # noqa: F401

warnings.warn("hfy_reference._slow_structured moved to hfy_reference.slow.structured",
              DeprecationWarning, stacklevel=2)
