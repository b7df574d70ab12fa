"""Sphinx configuration of the hfy-reference documentation.

Build with ``python -m sphinx -W -b html docs docs/_build/html`` (warnings are errors).
"""

from __future__ import annotations

import os
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, ROOT)  # document the source tree, not an installed copy

from hfy_reference import __version__  # noqa: E402

project = "hfy-reference"
author = "hfy-reference developers"
copyright = "2026, hfy-reference developers"
version = release = __version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    "sphinx.ext.intersphinx",
    "numpydoc",
]

source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build", "readme", "Thumbs.db", ".DS_Store"]

myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3
suppress_warnings = ["myst.header", "ref.citation"]  # an uncited bibliography entry is fine

# citations ([KEY]_) are defined once, in references.md: numpydoc must not rename them
numpydoc_citation_re = r"(?!x)x"

numpydoc_show_class_members = False
numpydoc_xref_param_type = False
autodoc_default_options = {"members": True, "undoc-members": False}
autodoc_typehints = "none"
autodoc_mock_imports = ["torch", "jax", "jaxlib", "entmax", "dask", "distributed", "sklearn"]

intersphinx_mapping = {}

html_theme = "alabaster"
html_title = f"hfy-reference {release}"
