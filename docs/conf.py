"""Sphinx configuration of the jupyterlab-repro documentation (``make docs``).

MyST Markdown pages, the theme JupyterLab's own documentation uses, and
references generated from the code at build time: the CLI from its argparse
parsers (sphinx-argparse), the server options from the traitlets class
(autodoc-traits), the REST API from the registered routes and their handlers'
docstrings, the lab's commands and settings from ``schema/*.json`` and
``src/common/commandIds.ts`` (``_ext/repro_docs.py``). Pictures are the UI
tests' screenshots (``ui-tests/screenshots/`` when a UI run made them, else the
committed ``docs/images/``), copied into the ignored ``_generated/images/``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(DOCS / "_ext"))

project = "jupyterlab-repro"
author = "jupyterlab-repro developers"
copyright = "the jupyterlab-repro developers"
release = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))["version"]
version = release

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinxarg.ext",
    "autodoc_traits",
    "sphinx_design",
    "sphinx_copybutton",
    "repro_docs",
]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build", "_generated/README.md", "examples", "images"]
myst_enable_extensions = ["colon_fence", "deflist", "fieldlist", "attrs_inline"]
myst_heading_anchors = 4
# `--json` stays two hyphens (no en dash), quotes stay straight: this documents a CLI.
smartquotes = False

html_theme = "pydata_sphinx_theme"
html_title = "jupyterlab-repro"
html_theme_options = {
    "navigation_with_keys": True,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_static_path: list[str] = []
html_show_sourcelink = False
autodoc_typehints = "none"
