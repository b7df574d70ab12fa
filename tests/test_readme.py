"""The Python examples of the README and of the documentation pages (``docs/*.md``) run
and print what the text says they print.

Convention: in a ```python block, the run of ``# ...`` comment lines directly after a
line with ``print(`` is that print's expected output.  Every block is executed in a
fresh namespace (later blocks may not depend on earlier ones), and the captured output
must equal the concatenated expected lines.  A block written as an interactive session
(``>>>`` prompts) is run as a doctest.
"""

from __future__ import annotations

import contextlib
import doctest
import io
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
PAGES = [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md"))
BLOCKS = [(page.relative_to(ROOT).as_posix(), k, code)
          for page in PAGES
          for k, code in enumerate(re.findall(r"```python\n(.*?)```", page.read_text(),
                                              flags=re.S))]


def expected_output(code: str) -> str:
    out, lines = [], code.splitlines()
    for i, line in enumerate(lines):
        if "print(" in line and not line.lstrip().startswith("#"):
            j = i + 1
            while j < len(lines) and lines[j].startswith("# "):
                out.append(lines[j][2:])
                j += 1
    return "\n".join(out)


def test_readme_has_examples():
    assert sum(page == "README.md" for page, _, _ in BLOCKS) >= 1
    assert len(BLOCKS) >= 4


@pytest.mark.parametrize("page, k, code", BLOCKS, ids=[f"{p}#{k}" for p, k, _ in BLOCKS])
def test_readme_block(page, k, code, monkeypatch):
    monkeypatch.chdir(ROOT)
    if code.lstrip().startswith(">>>"):
        test = doctest.DocTestParser().get_doctest(code, {}, f"{page} block {k}", page, 0)
        runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
        buf = io.StringIO()
        runner.run(test, out=buf.write)
        assert runner.failures == 0, buf.getvalue()
        return
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        exec(compile(code, f"{page} block {k}", "exec"), {"__name__": "__readme__"})
    got = "\n".join(line.rstrip() for line in buf.getvalue().strip().splitlines())
    want = "\n".join(line.rstrip() for line in expected_output(code).strip().splitlines())
    assert got == want


def test_setup_commands_are_the_ones_ci_runs():
    """The README's test command is the one .ci/run executes."""
    ci = (ROOT / ".ci" / "run").read_text()
    assert 'pip install ".[test]" && python -m pytest' in README
    assert "pip install . && python -m proofs_check --quick" in README
    assert re.search(r"^python -m pytest\s*$", ci, flags=re.M)
