"""The README fits on a screen and points into the documentation that exists.

Everything a user needs beyond the first minutes lives in the docs site
(``docs/``, ``make docs``); the README keeps what it is, one picture, the two
commands, a short tour, install, and links.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
#: The most the README may hold (issue 26).
MAX_BYTES = 10 * 1024


def test_the_readme_fits_in_10_kb() -> None:
    size = len(README.read_bytes())
    assert size <= MAX_BYTES, f"README.md is {size} bytes (at most {MAX_BYTES})"


def test_every_relative_link_and_picture_of_the_readme_exists() -> None:
    text = README.read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text)
    local = [t for t in targets if "://" not in t]
    assert local, "the README links into the docs"
    missing = [t for t in local if not (ROOT / t).exists()]
    assert missing == []


def test_the_readme_links_every_user_guide_page() -> None:
    text = README.read_text(encoding="utf-8")
    pages = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "docs/user-guide").glob("*.md"))
    unlinked = [p for p in pages if p not in text and not p.endswith("index.md")]
    assert unlinked == []
