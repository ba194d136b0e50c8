"""The built documentation covers the code: every CLI subcommand and option, every
``c.Repro`` option, every REST route, every lab command and setting.

The references are generated from the code (``docs/_ext/repro_docs.py``,
sphinx-argparse, autodoc-traits); these tests read the *built* HTML, so a
reference that silently dropped something fails here.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
from pathlib import Path

import pytest

from jupyterlab_repro.cli.main import build_parser
from jupyterlab_repro.server.config import Repro
from jupyterlab_repro.server.extension import routes

ROOT = Path(__file__).resolve().parents[2]
HTML = Path(os.environ.get("REPRO_DOCS_HTML", ROOT / "docs" / "_build" / "html"))


def _text(page: str) -> str:
    path = HTML / page
    assert path.is_file(), f"{page} was not built"
    raw = path.read_text(encoding="utf-8")
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", raw)).split())


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    found: dict[str, argparse.ArgumentParser] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found[name] = sub
                for deeper, subsub in _subcommands(sub).items():
                    found[f"{name} {deeper}"] = subsub
    return found


def test_every_cli_subcommand_and_option_is_documented() -> None:
    text = _text("reference/cli.html")
    subcommands = _subcommands(build_parser())
    assert subcommands
    for name, sub in subcommands.items():
        assert f"jupyter repro {name}" in text, f"subcommand {name!r} missing"
        for action in sub._actions:
            if isinstance(action, argparse._HelpAction):
                continue  # argparse's own --help
            for flag in action.option_strings:
                if flag.startswith("--"):
                    assert flag in text, f"{name} {flag} missing"


def test_every_server_option_is_documented() -> None:
    text = _text("reference/server.html")
    names = Repro.class_trait_names(config=True)
    assert names
    for name in names:
        assert f"Repro.{name}" in text, f"c.Repro.{name} missing"
        help_start = " ".join(Repro.class_traits()[name].help.split())[:40]
        assert help_start in text, f"c.Repro.{name}'s help missing"


def test_every_rest_route_is_documented() -> None:
    text = _text("reference/rest.html")
    found = routes()
    assert found
    for path, handler in found:
        assert path in text, f"route {path} missing"
        first = (handler.__doc__ or "").strip().splitlines()[0]
        # Compared without spaces: markup adds them around literals.
        words = re.sub(r"[`*\s]", "", first)[:30]
        assert words in re.sub(r"\s", "", text), f"{path}'s description missing"


def test_every_lab_command_and_setting_is_documented() -> None:
    text = _text("reference/lab.html")
    ids = re.findall(
        r"'(jupyterlab-repro:[\w-]+)'", (ROOT / "src/common/commandIds.ts").read_text()
    )
    assert ids
    for schema_file in sorted((ROOT / "schema").glob("*.json")):
        schema = json.loads(schema_file.read_text(encoding="utf-8"))
        ids += re.findall(
            r'"command": "(jupyterlab-repro:[\w-]+)"', schema_file.read_text(encoding="utf-8")
        )
        for key in schema.get("properties", {}):
            assert key in text, f"setting {key} of {schema_file.name} missing"
    for command in set(ids):
        assert command in text, f"command {command} missing"


@pytest.mark.parametrize("page", ["index.html", "getting-started.html"])
def test_pictures_of_the_ui_tests_are_in_the_site(page: str) -> None:
    raw = (HTML / page).read_text(encoding="utf-8")
    pictures = re.findall(r'<img[^>]+src="([^"]+\.png)"', raw)
    assert pictures, f"{page} shows no picture"
    for src in pictures:
        assert (HTML / page).parent.joinpath(src).resolve().is_file(), src


def test_the_site_has_search_and_the_theme() -> None:
    raw = (HTML / "index.html").read_text(encoding="utf-8")
    assert "pydata-sphinx-theme" in raw or "pydata_sphinx_theme" in raw
    assert (HTML / "search.html").is_file() and (HTML / "searchindex.js").is_file()
