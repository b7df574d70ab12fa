"""The version lives in one place: ``hfy_reference.__version__``, which pyproject.toml
reads (setuptools dynamic version) instead of repeating it."""

from __future__ import annotations

import ast
import pathlib
import re

import hfy_reference

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_version_is_defined_once():
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    project = text.split("[project]", 1)[1].split("\n[", 1)[0]
    assert not re.search(r"^version\s*=", project, re.M), "a static version in [project]"
    assert re.search(r'^dynamic\s*=\s*\[[^\]]*"version"', project, re.M)
    assert re.search(r'^version\s*=\s*\{\s*attr\s*=\s*"hfy_reference.__version__"\s*\}',
                     text, re.M)
    # a literal in __init__.py, so that setuptools reads it without importing the package
    tree = ast.parse((ROOT / "hfy_reference" / "__init__.py").read_text(encoding="utf-8"))
    lits = [n.value.value for n in tree.body if isinstance(n, ast.Assign)
            and any(getattr(t, "id", None) == "__version__" for t in n.targets)
            and isinstance(n.value, ast.Constant)]
    assert lits == [hfy_reference.__version__]
    assert re.fullmatch(r"\d+\.\d+\.\d+([.-]?\w+)?", hfy_reference.__version__)


def test_setuptools_reads_the_same_version():
    from setuptools.config.pyprojecttoml import read_configuration

    conf = read_configuration(ROOT / "pyproject.toml")
    assert conf["project"]["version"] == hfy_reference.__version__
