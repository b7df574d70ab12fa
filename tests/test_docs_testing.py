"""docs/testing.md's torch and JAX examples (fenced ```py, so that
tests/test_readme.py, which runs the ```python blocks of every page, leaves them
alone) run and print what the page says they print; skipped without torch / jax."""

from __future__ import annotations

import contextlib
import io
import pathlib
import re

import pytest
from test_readme import expected_output

ROOT = pathlib.Path(__file__).resolve().parents[1]
PAGE = (ROOT / "docs" / "testing.md").read_text()
BLOCKS = [b for b in re.findall(r"```py\n(.*?)```", PAGE, flags=re.S)
          if re.search(r"^import (torch|jax)\b", b, flags=re.M)]


def test_page_has_the_examples():
    assert len(BLOCKS) == 2
    assert any("import torch" in b for b in BLOCKS) and any("import jax" in b for b in BLOCKS)
    assert len(re.findall(r"```python\n", PAGE)) >= 2  # the NumPy ones, in test_readme


@pytest.mark.parametrize("i", range(len(BLOCKS)))
def test_docs_testing_block(i, monkeypatch):
    code = BLOCKS[i]
    for mod in ("torch", "jax"):
        if re.search(rf"^import {mod}\b", code, flags=re.M):
            pytest.importorskip(mod)
    monkeypatch.chdir(ROOT)
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        exec(compile(code, f"docs/testing.md block {i}", "exec"), {"__name__": "__docs__"})
    got = "\n".join(line.rstrip() for line in buf.getvalue().strip().splitlines())
    want = "\n".join(line.rstrip() for line in expected_output(code).strip().splitlines())
    assert got == want
