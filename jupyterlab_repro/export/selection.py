"""Which cells to export: selectors (``export``, ``tag:NAME``, ``all``, ``1,3-5``, ``id:…``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from ..errors import ExportError, InvalidRequest
from .cells import Cell, Notebook

EXPORT_TAG = "export"
MAIN_TAG = "main"
_CELL_ID_RE = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_TAG_RE = re.compile(r"^[^\s,]{1,100}$")


@dataclass(frozen=True)
class Selection:
    """Which cells to export; build it with :func:`parse_selection`.

    ``kind`` is ``"tag"`` (cells tagged ``tag``), ``"all"`` or ``"cells"``
    (``items``: 1-based numbers, ``(first, last)`` ranges and ids).
    """

    kind: Literal["tag", "all", "cells"]
    tag: str | None = None
    items: tuple[int | tuple[int, int] | str, ...] = ()

    def __str__(self) -> str:
        if self.kind == "all":
            return "all"
        if self.kind == "tag":
            return self.tag if self.tag == EXPORT_TAG else f"tag:{self.tag}"
        parts = []
        for item in self.items:
            if isinstance(item, tuple):
                parts.append(f"{item[0]}-{item[1]}")
            elif isinstance(item, str):
                parts.append(f"id:{item}")
            else:
                parts.append(str(item))
        return ",".join(parts)


def parse_selection(selector: str | None) -> Selection:
    """Parse a selector: ``export``, ``tag:NAME``, ``all``, ``1,3-5``, ``id:abc,2``.

    ``None`` or an empty string means ``export``. Raises
    :class:`InvalidRequest` with the offending part.
    """
    text = (selector or "").strip()
    if not text or text.lower() == EXPORT_TAG:
        return Selection("tag", tag=EXPORT_TAG)
    if text.lower() == "all":
        return Selection("all")
    if text.lower().startswith("tag:"):
        tag = text[4:].strip()
        if not _TAG_RE.match(tag):
            raise InvalidRequest(f"Invalid tag in cell selection {selector!r}.")
        return Selection("tag", tag=tag)
    items: list[int | tuple[int, int] | str] = []
    for raw in text.split(","):
        part = raw.strip()
        if part.lower().startswith("id:"):
            cid = part[3:].strip()
            if not _CELL_ID_RE.match(cid):
                raise InvalidRequest(
                    f"Invalid cell id {cid!r} in cell selection: ids are 1-64 characters "
                    "from a-z, A-Z, 0-9, - and _."
                )
            items.append(cid)
            continue
        m = re.fullmatch(r"(\d+)(?:\s*-\s*(\d+))?", part)
        if not m:
            raise InvalidRequest(
                f"Cannot read {part!r} in cell selection {selector!r}: use 'export', 'all', "
                "'tag:NAME', cell numbers like '1,3-5' or ids like 'id:abc'."
            )
        first = int(m.group(1))
        last = int(m.group(2)) if m.group(2) else first
        if first < 1:
            raise InvalidRequest("Cell numbers start at 1 (the first cell of the notebook).")
        if last < first:
            raise InvalidRequest(f"Empty cell range {part!r}: the first number is larger.")
        items.append(first if last == first else (first, last))
    return Selection("cells", items=tuple(items))


@dataclass(frozen=True)
class SelectedCells:
    """Selected code cells with code: module level (``top``) and ``main()`` body."""

    top: tuple[Cell, ...]
    main: tuple[Cell, ...]
    warnings: tuple[str, ...] = ()

    @property
    def all(self) -> tuple[Cell, ...]:
        return tuple(sorted(self.top + self.main, key=lambda c: c.number))


def select_cells(notebook: Notebook, selection: Selection) -> SelectedCells:
    """The code cells ``selection`` picks, split into module-level and ``main``.

    Raises :class:`InvalidRequest` for numbers or ids the notebook does not
    have, :class:`ExportError` when no code cell with code is selected.
    """
    cells = notebook.cells
    notes: list[str] = []
    if selection.kind == "all":
        chosen = [c for c in cells if c.cell_type == "code"]
    elif selection.kind == "tag":
        tag = selection.tag or EXPORT_TAG
        chosen = [c for c in cells if c.cell_type == "code" and {tag, MAIN_TAG} & set(c.tags)]
    else:
        numbers: set[int] = set()
        by_id = {c.id: c for c in cells if c.id}
        for item in selection.items:
            if isinstance(item, str):
                if item not in by_id:
                    raise InvalidRequest(f"No cell has the id {item!r}.")
                numbers.add(by_id[item].number)
                continue
            first, last = item if isinstance(item, tuple) else (item, item)
            if last > len(cells):
                raise InvalidRequest(
                    f"There is no cell {last}: the notebook has {len(cells)} cell(s) "
                    "(cells are numbered from 1, markdown cells included)."
                )
            numbers.update(range(first, last + 1))
            if first == last and cells[first - 1].cell_type != "code":
                notes.append(f"cell {first} is a {cells[first - 1].cell_type} cell; skipped")
        chosen = [c for c in cells if c.number in numbers and c.cell_type == "code"]
        for item in selection.items:
            if isinstance(item, str) and by_id[item].cell_type != "code":
                notes.append(f"{by_id[item].label} is a {by_id[item].cell_type} cell; skipped")
    chosen = [c for c in chosen if c.source.strip()]
    if not chosen:
        if selection.kind == "tag":
            raise ExportError(
                f"No code cell is tagged {selection.tag!r}: tag the cells to export "
                f"(or {MAIN_TAG!r} for the script's main()), or select 'all' or cell numbers."
            )
        raise ExportError(f"The selection {str(selection)!r} contains no code cell with code.")
    top = tuple(c for c in chosen if MAIN_TAG not in c.tags)
    main = tuple(c for c in chosen if MAIN_TAG in c.tags)
    return SelectedCells(top=top, main=main, warnings=tuple(notes))
