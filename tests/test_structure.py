"""The module boundaries of the package hold.

* Input validators are functions of ``hfy_reference/_validation.py`` only: no other
  module of the library defines a module-level ``check_*``/``as_*``/``_check_*``
  function (methods such as ``_check_domain`` are per-class domain hooks that call the
  validators).
* The post-transformations live in ``hfy_reference/post.py``; the old import paths
  (``hfy_reference.hopfield``, ``hfy_reference.theory``'s input helpers,
  ``hfy_reference._slow_structured``) still give the same objects.
* The sparsemap kernel's status codes are named (no bare integer status).
"""

from __future__ import annotations

import ast
import importlib
import pathlib
import warnings

import pytest

import hfy_reference

PKG = pathlib.Path(hfy_reference.__file__).parent


def _modules():
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(PKG)
        if rel.parts[0] in ("testing",):  # the oracle parses its own family parameters
            continue
        yield rel, ast.parse(path.read_text(encoding="utf-8"))


def test_validators_live_in_validation_only():
    bad = []
    for rel, tree in _modules():
        if str(rel) == "_validation.py":
            continue
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name.lstrip("_").startswith(
                    ("check_", "as_")):
                bad.append(f"{rel}:{node.name}")
    assert not bad, bad


def test_negative_control_the_scan_sees_a_validator():
    tree = ast.parse("def _check_dim(D):\n    return D\n")
    assert [n.name for n in tree.body if isinstance(n, ast.FunctionDef)
            and n.name.lstrip("_").startswith(("check_", "as_"))] == ["_check_dim"]


def test_old_import_paths_give_the_same_objects():
    from hfy_reference import _validation as V
    from hfy_reference import hopfield, post, theory

    for name in post.__all__:
        assert getattr(hopfield, name) is getattr(post, name)
        assert getattr(hfy_reference, name) is getattr(post, name)
    assert theory.as_patterns is V.as_patterns and theory.as_query is V.as_query
    assert theory.check_beta is V.check_beta
    import sys

    from hfy_reference.slow import structured
    sys.modules.pop("hfy_reference._slow_structured", None)
    with pytest.warns(DeprecationWarning, match="slow.structured"):
        old = importlib.import_module("hfy_reference._slow_structured")
    for name in structured.__all__:
        assert getattr(old, name) is getattr(structured, name)


def test_sparsemap_status_codes_are_named():
    src = (PKG / "_kernels" / "sparsemap.py").read_text(encoding="utf-8")
    tree = ast.parse(src)
    bare = [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "status"
                                                    for t in node.targets)
            and isinstance(node.value, ast.Constant)]
    assert not bare, f"bare status codes at lines {bare}"
    from hfy_reference._kernels import sparsemap

    codes = [v for k, v in vars(sparsemap).items() if k.startswith("STATUS_")
             and isinstance(v, int)]
    assert sorted(codes) == list(range(len(codes)))
    assert set(sparsemap.STATUS_MESSAGES) == set(codes)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert sparsemap.STATUS_MESSAGES[sparsemap.STATUS_CONVERGED] == "converged"
