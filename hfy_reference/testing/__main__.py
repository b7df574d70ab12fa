"""``python -m hfy_reference.testing``: run the oracle on an importable function.

Examples::

    python -m hfy_reference.testing --backend mypkg.ops:entmax --family entmax --alpha 1.5
    python -m hfy_reference.testing --backend entmax:entmax_bisect --adapter torch \\
        --family entmax --alpha 1.5 --kw alpha=1.5 --dtype float32

Prints the report (one line per case; ``--details`` adds the worst entries of each
failing case).  Exit status: 0 when every case passes, 1 when one fails, 2 on a
usage error (bad arguments, a backend that cannot be imported).
"""

from __future__ import annotations

import argparse
import ast
import importlib
import sys

import numpy as np


def _parser() -> argparse.ArgumentParser:
    from . import FAMILIES

    p = argparse.ArgumentParser(
        prog="python -m hfy_reference.testing",
        description="Check a fast backend against hfy-reference's exact answers on an "
                    "adversarial case suite.")
    p.add_argument("--backend", metavar="MODULE:FUNCTION",
                   help="the function to check, e.g. mypkg.ops:entmax")
    p.add_argument("--family", choices=FAMILIES, metavar="FAMILY",
                   help="what the function computes: " + ", ".join(FAMILIES))
    p.add_argument("--alpha", type=float, help="alpha of entmax/normmax families")
    p.add_argument("--k", type=int, help="k of the ksubsets families")
    p.add_argument("--target", choices=("distribution", "index"),
                   help="loss families: y as a distribution (default) or class indices")
    p.add_argument("--dtype", choices=("float64", "float32"), default="float64")
    p.add_argument("--adapter", choices=("numpy", "torch"), default="numpy",
                   help="numpy: the function takes and returns NumPy arrays; torch: it "
                        "takes tensors (gradients and VJPs through torch.autograd)")
    p.add_argument("--kw", action="append", default=[], metavar="NAME=VALUE",
                   help="keyword argument passed to the backend (a Python literal), "
                        "e.g. --kw alpha=1.5; repeatable")
    p.add_argument("--case", action="append", metavar="NAME",
                   help="run only this case (repeatable)")
    p.add_argument("--details", action="store_true",
                   help="also print the worst entries of each failing case")
    p.add_argument("--list-cases", action="store_true",
                   help="list the family's case names and exit")
    return p


def _load(spec: str):
    mod, sep, name = spec.partition(":")
    if not sep or not mod or not name:
        raise ValueError(f"--backend must look like module:function; got {spec!r}")
    obj = importlib.import_module(mod)
    for part in name.split("."):
        obj = getattr(obj, part)
    if not callable(obj):
        raise ValueError(f"{spec} is not callable")
    return obj


def _kwargs(items) -> dict:
    out = {}
    for item in items:
        key, sep, val = item.partition("=")
        if not sep or not key.isidentifier():
            raise ValueError(f"--kw must look like NAME=VALUE; got {item!r}")
        try:
            out[key] = ast.literal_eval(val)
        except (ValueError, SyntaxError):
            out[key] = val
    return out


def main(argv=None) -> int:
    from . import cases, check_backend
    from ._adapters import from_torch

    p = _parser()
    a = p.parse_args(argv)
    if a.family is None:
        p.error("--family is required")
    params = {}
    if a.alpha is not None:
        params["alpha"] = a.alpha
    if a.k is not None:
        params["k"] = a.k
    if a.target is not None:
        params["target"] = a.target
    try:
        if a.list_cases:
            for c in cases(a.family, dtype=a.dtype, **params):
                print(f"{c.name:28s} {c.note}")
            return 0
        if a.backend is None:
            p.error("--backend is required")
        fn = _load(a.backend)
        kw = _kwargs(a.kw)
        if a.adapter == "torch":
            backend = from_torch(fn, a.family, **kw)
        elif kw:
            def backend(*args):
                return fn(*args, **kw)
        else:
            backend = fn
        report = check_backend(backend, a.family, dtype=np.dtype(a.dtype), cases=a.case,
                               name=a.backend, **params)
    except (ValueError, TypeError, ImportError, AttributeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(report)
    if a.details and not report.passed:
        print()
        print(report.failure_message())
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main())
