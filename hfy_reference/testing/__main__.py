"""``python -m hfy_reference.testing``: run the oracle on an importable function.

Examples::

    python -m hfy_reference.testing --backend mypkg.ops:entmax --family entmax --alpha 1.5
    python -m hfy_reference.testing --backend entmax:entmax_bisect --adapter torch \\
        --family entmax --alpha 1.5 --dtype float32
    python -m hfy_reference.testing findings --write docs/findings.md

The family's parameters (``--alpha``, ``--k``) are given once: they select the
reference and are passed on to the backend when its signature takes them (``--kw
NAME=VALUE`` passes anything else, e.g. ``--kw budget=2``).

Prints the report (one line per case; ``--details`` adds the worst entries of each
failing case).  Exit status: 0 when every case passes, 1 when one fails, 2 on a
usage error (bad arguments, a backend that cannot be imported).  ``findings``
regenerates the documented findings on real libraries (see
:mod:`hfy_reference.testing._findings`).
"""

from __future__ import annotations

import argparse
import ast
import importlib
import inspect
import sys


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
    dts = ("float64", "float32", "float16", "bfloat16")
    p.add_argument("--dtype", choices=dts, default="float64",
                   help="dtype of the arrays handed to the backend")
    p.add_argument("--compute-dtype", choices=dts,
                   help="dtype the backend computes in (default: --dtype)")
    p.add_argument("--output-dtype", choices=dts,
                   help="dtype of the backend's output (default: --dtype)")
    p.add_argument("--adapter", choices=("numpy", "torch", "jax"), default="numpy",
                   help="numpy: the function takes and returns NumPy arrays; torch / jax: "
                        "it takes tensors (gradients, JVPs and VJPs by autodiff)")
    p.add_argument("--device", help="torch adapter: the device, e.g. cuda")
    p.add_argument("--kw", action="append", default=[], metavar="NAME=VALUE",
                   help="keyword argument passed to the backend (a Python literal), "
                        "e.g. --kw budget=2; repeatable")
    p.add_argument("--tol-scale", type=float, default=1.0,
                   help="multiply every tolerance by this factor")
    p.add_argument("--expected-failures", metavar="CASES",
                   help="comma-separated case names expected to fail (a baseline)")
    p.add_argument("--judge-overflow", action="store_true",
                   help="count the overflow-class cases in the verdict")
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


def _accepts(fn, name: str) -> bool:
    """True when ``fn``'s signature takes a keyword ``name`` (or ``**kwargs``)."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return False
    for prm in sig.parameters.values():
        if prm.kind is prm.VAR_KEYWORD:
            return True
        if prm.name == name and prm.kind in (prm.KEYWORD_ONLY, prm.POSITIONAL_OR_KEYWORD):
            return True
    return False


def backend_kwargs(fn, params: dict, kw: dict) -> dict:
    """The keyword arguments for the backend: ``--kw`` ones, plus the family's
    ``alpha``/``k`` where the signature takes them.  A ``--kw`` that repeats a family
    parameter with another value is a usage error."""
    out = dict(kw)
    for key in ("alpha", "k"):
        if key not in params:
            continue
        if key in out:
            if out[key] != params[key]:
                raise ValueError(f"--kw {key}={out[key]!r} contradicts --{key} "
                                 f"{params[key]!r}; give it once, as --{key}")
            continue
        if _accepts(fn, key):
            out[key] = params[key]
    return out


def main(argv=None) -> int:
    from . import cases, check_backend
    from ._adapters import from_jax, from_torch

    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["findings"]:
        from . import _findings

        return _findings.main(argv[1:])
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
        if a.device is not None and a.adapter != "torch":
            p.error("--device needs --adapter torch")
        fn = _load(a.backend)
        kw = backend_kwargs(fn, params, _kwargs(a.kw))
        if a.adapter == "torch":
            backend = from_torch(fn, a.family, device=a.device, **kw)
        elif a.adapter == "jax":
            backend = from_jax(fn, a.family, **kw)
        elif kw:
            def backend(*args):
                return fn(*args, **kw)
        else:
            backend = fn
        xf = None
        if a.expected_failures:
            xf = [c.strip() for c in a.expected_failures.split(",") if c.strip()]
        report = check_backend(backend, a.family, dtype=a.dtype,
                               compute_dtype=a.compute_dtype, output_dtype=a.output_dtype,
                               cases=a.case, name=a.backend, tol_scale=a.tol_scale,
                               expected_failures=xf, judge_overflow=a.judge_overflow,
                               **params)
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
