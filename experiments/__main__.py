"""``python -m experiments``: see :mod:`experiments.cli`."""

import sys

from hfy_reference._cli import run_main

from .cli import main

if __name__ == "__main__":
    sys.exit(run_main(main))
