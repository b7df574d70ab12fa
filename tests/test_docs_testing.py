"""docs/testing.md's Python examples run and print what the page says they print
(the convention of tests/test_readme.py); the torch and JAX examples need torch and
jax (skipped without them)."""

from __future__ import annotations

import contextlib
import io
import pathlib
import re

import pytest
from test_readme import expected_output

ROOT = pathlib.Path(__file__).resolve().parents[1]
PAGE = (ROOT / "docs" / "testing.md").read_text()
BLOCKS = re.findall(r"```python\n(.*?)```", PAGE, flags=re.S)


def test_page_has_the_examples():
    assert len(BLOCKS) >= 4
    assert any("import torch" in b for b in BLOCKS) and any("import jax" in b for b in BLOCKS)


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
