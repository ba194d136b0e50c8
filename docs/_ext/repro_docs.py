"""References generated from the code, and the screenshots of the UI tests.

Directives (each parses the reStructuredText it generates into the page):

- ``repro-rest-routes``: every route the server extension registers
  (:func:`jupyterlab_repro.server.extension.routes`), its methods and its
  handler's docstring;
- ``repro-lab-commands``: every command id of ``src/common/commandIds.ts``
  with its comment, and where ``schema/*.json`` puts it (menu, context menu,
  toolbar, shortcut);
- ``repro-lab-settings``: every setting of ``schema/*.json`` with its type,
  default and description.

On ``builder-inited`` the pictures are copied into ``_generated/images/``: the
committed ``docs/images/``, then what the UI tests wrote to
``ui-tests/screenshots/`` (newer when a UI run made them), so ``make test``
documents what its own browser run saw, without a second browser run.
"""

from __future__ import annotations

import inspect
import json
import re
import shutil
from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.parsers.rst import Parser
from docutils.utils import new_document
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

DOCS = Path(__file__).resolve().parents[1]
ROOT = DOCS.parent
GENERATED = DOCS / "_generated"
logger = logging.getLogger(__name__)
HTTP_METHODS = ("get", "post", "put", "patch", "delete", "head")

_COMMAND = re.compile(
    r"/\*\*(?P<doc>(?:(?!\*/).)*)\*/\s*export const (?P<name>\w+) = '(?P<id>[^']+)';", re.S
)


def _clean_doc(doc: str) -> str:
    lines = [line.strip().lstrip("*").strip() for line in doc.strip().splitlines()]
    return " ".join(line for line in lines if line)


def command_ids() -> list[tuple[str, str]]:
    """``(command id, its comment)`` in the order ``commandIds.ts`` declares them."""
    text = (ROOT / "src" / "common" / "commandIds.ts").read_text(encoding="utf-8")
    return [(m["id"], _clean_doc(m["doc"])) for m in _COMMAND.finditer(text)]


def schemas() -> list[tuple[str, dict[str, Any]]]:
    """``(plugin file name, schema)`` of every settings schema."""
    return [
        (path.name, json.loads(path.read_text(encoding="utf-8")))
        for path in sorted((ROOT / "schema").glob("*.json"))
    ]


def _walk_menu(items: list[dict[str, Any]], trail: list[str], out: dict[str, list[str]]) -> None:
    for item in items:
        label = item.get("label") or item.get("id") or ""
        if "command" in item:
            out.setdefault(item["command"], []).append(" → ".join([*trail, label]).strip(" →"))
        submenu = item.get("submenu") or {}
        _walk_menu(submenu.get("items", []), [*trail, submenu.get("label", label)], out)


def command_places() -> dict[str, list[str]]:
    """Command id → where the schema puts it (menus, context menus, toolbars, keys)."""
    places: dict[str, list[str]] = {}
    for _, schema in schemas():
        menus = schema.get("jupyter.lab.menus", {})
        for menu in menus.get("main", []):
            name = menu.get("label") or str(menu.get("id", "")).removeprefix("jp-mainmenu-")
            _walk_menu(menu.get("items", []), [f"{name.title()} menu"], places)
        for item in menus.get("context", []):
            places.setdefault(item["command"], []).append(
                f"context menu of ``{item.get('selector', '?')}``"
            )
        for toolbar, items in schema.get("jupyter.lab.toolbars", {}).items():
            for item in items:
                if "command" in item:
                    places.setdefault(item["command"], []).append(f"toolbar {toolbar}")
        for shortcut in schema.get("jupyter.lab.shortcuts", []):
            keys = " ".join(shortcut.get("keys", []))
            places.setdefault(shortcut["command"], []).append(f"keys ``{keys}``")
    return places


def _rst_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("*", "\\*").replace("`", "\\`").replace("|", "\\|")


class _Generated(SphinxDirective):
    has_content = False

    def lines(self) -> list[str]:
        raise NotImplementedError

    def run(self) -> list[nodes.Node]:
        # Generated as reStructuredText whatever the page's own markup (MyST here).
        settings = self.state.document.settings
        document = new_document("<generated>", settings)
        document.reporter.stream = None  # problems go to Sphinx's log below, not stderr
        Parser().parse("\n".join(self.lines()), document)
        for problem in list(document.findall(nodes.system_message)):
            if problem["level"] >= 2:  # warnings and errors: the build fails with -W
                logger.warning("%s: %s", self.name, problem.astext(), location=self.get_location())
            problem.parent.remove(problem)
        return list(document.children)


class RestRoutes(_Generated):
    """Every REST route with its methods and docstring."""

    def lines(self) -> list[str]:
        from tornado.web import RequestHandler

        from jupyterlab_repro.server.extension import routes

        out: list[str] = []
        for path, handler in routes():
            methods = [
                m.upper()
                for m in HTTP_METHODS
                if getattr(handler, m) is not getattr(RequestHandler, m)
            ]
            out += [f"``{path}``", "~" * (len(path) + 4), ""]
            out += [f"Methods: {', '.join(f'``{m}``' for m in methods)}", ""]
            doc = inspect.getdoc(handler) or ""
            out += [line for line in doc.splitlines()] + [""]
        return out


class LabCommands(_Generated):
    """Every command id, what it does and where the lab offers it."""

    def lines(self) -> list[str]:
        places = command_places()
        out = [".. list-table::", "   :header-rows: 1", "   :widths: 25 50 25", ""]
        out += ["   * - Command id", "     - What it does", "     - Where"]
        for command, doc in command_ids():
            where = "; ".join(places.get(command, [])) or "palette or views"
            out += [f"   * - ``{command}``", f"     - {_rst_escape(doc)}", f"     - {where}"]
        return out


class LabSettings(_Generated):
    """Every setting of every schema: name, type, default, description."""

    def lines(self) -> list[str]:
        out: list[str] = []
        for name, schema in schemas():
            plugin = f"jupyterlab-repro:{Path(name).stem}"
            out += [f"Settings of ``{plugin}`` ({_rst_escape(schema.get('title', ''))})", ""]
            if not schema.get("properties"):
                out += ["None: this plugin only declares menus.", ""]
                continue
            out += [".. list-table::", "   :header-rows: 1", "   :widths: 22 12 16 50", ""]
            out += ["   * - Setting", "     - Type", "     - Default", "     - Meaning"]
            for key, prop in schema.get("properties", {}).items():
                kind = prop.get("type", "")
                kind = " or ".join(kind) if isinstance(kind, list) else kind
                default = json.dumps(prop.get("default"))
                text = " ".join(
                    part for part in (prop.get("title", ""), prop.get("description", "")) if part
                )
                out += [
                    f"   * - ``{key}``",
                    f"     - {kind}",
                    f"     - ``{default}``",
                    f"     - {_rst_escape(text)}",
                ]
            out.append("")
        return out


def copy_images(app: Sphinx) -> None:
    """The committed pictures, then the UI tests' newer screenshots, into ``_generated/images``."""
    target = GENERATED / "images"
    target.mkdir(parents=True, exist_ok=True)
    for source in (DOCS / "images", ROOT / "ui-tests" / "screenshots"):
        for picture in sorted(source.glob("*.png")):
            shutil.copy2(picture, target / picture.name)


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("repro-rest-routes", RestRoutes)
    app.add_directive("repro-lab-commands", LabCommands)
    app.add_directive("repro-lab-settings", LabSettings)
    app.connect("builder-inited", copy_images)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
