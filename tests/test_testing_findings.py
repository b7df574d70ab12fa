"""docs/findings.md is what ``python -m hfy_reference.testing findings`` generates:
each library's section is regenerated and compared with the committed page, whole
(skipped without the library's packages, or when they are at other versions than the
page records).  A full rerun takes minutes; these tests carry the ``backend`` marker.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hfy_reference.testing import _findings as FD

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "findings.md"
NEEDS = {"entmax": ("torch", "entmax"), "torch": ("torch",), "jax": ("jax", "optax")}


def _sections(text: str) -> dict:
    """library -> its section of the page (from its '## ' title to the next)."""
    out = {}
    titles = {v: k for k, v in FD._TITLES.items()}
    parts = re.split(r"^## ", text, flags=re.M)
    for part in parts[1:]:
        title = part.splitlines()[0].strip()
        out[titles[title]] = "## " + part
    return out


def test_page_is_generated_and_complete():
    text = PAGE.read_text()
    assert text.startswith(FD._HEAD)
    assert set(_sections(text)) == set(FD.LIBRARIES)


@pytest.mark.backend
@pytest.mark.parametrize("lib", FD.LIBRARIES)
def test_findings_section_matches_a_fresh_run(lib):
    for mod in NEEDS[lib]:
        pytest.importorskip(mod)
    committed = _sections(PAGE.read_text())[lib]
    ver = FD.versions(lib)
    if f"Measured with {ver}." not in committed:
        pytest.skip(f"the page was measured with other versions than {ver}")
    fresh = _sections(FD.markdown({lib: (ver, FD.run(lib))}))[lib]
    assert fresh.rstrip() == committed.rstrip()


def test_findings_cli_usage_error():
    from hfy_reference.testing.__main__ import main

    assert main(["findings", "--only", "numpy"]) == 2
