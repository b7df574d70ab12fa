"""Old location of :mod:`hfy_reference.slow.structured` (kept so that old imports work)."""

from .slow.structured import *  # noqa: F403
from .slow.structured import __all__  # noqa: F401
