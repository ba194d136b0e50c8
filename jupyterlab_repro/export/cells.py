"""The notebook as export reads it: numbered cells with their source, id and tags."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InvalidRequest, NotebookInvalid, PathNotFound
from ..files import read_file
from ..notebook.ipysyntax import normalize_newlines
from ..notebook.skeleton import parse_notebook_skeleton
from ..notebook.validate import source_text

_CELL_ID_RE = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


@dataclass(frozen=True)
class Cell:
    """One notebook cell as export sees it."""

    number: int  # 1-based position in the notebook
    cell_type: str
    source: str
    id: str | None = None
    tags: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """``cell 3 (id 'ab12')`` — how messages name the cell."""
        return f"cell {self.number}" + (f" (id {self.id!r})" if self.id else "")


@dataclass(frozen=True)
class Notebook:
    """The parts of a notebook export reads (nbformat 3 worksheets flattened)."""

    cells: tuple[Cell, ...]
    metadata: dict[str, Any]


def load_notebook(data: bytes | str) -> Notebook:
    """Parse notebook bytes/text (nbformat 3 or 4) into :class:`Notebook`.

    Raises :class:`NotebookInvalid` (or :class:`UnsupportedNotebook`).
    """
    nb = parse_notebook_skeleton(data)
    major = nb["nbformat"]
    if major == 3:
        raw = [c for ws in nb["worksheets"] for c in ws.get("cells", [])]
    else:
        raw = nb["cells"]
    cells = []
    for number, cell in enumerate(raw, start=1):
        ctype = cell.get("cell_type")
        meta = cell.get("metadata") or {}
        tags = meta.get("tags") if isinstance(meta, dict) else None
        cid = cell.get("id")
        cells.append(
            Cell(
                number=number,
                cell_type=ctype if isinstance(ctype, str) else "",
                source=normalize_newlines(source_text(cell, major)),
                id=cid if isinstance(cid, str) and _CELL_ID_RE.match(cid) else None,
                tags=tuple(tags) if isinstance(tags, list) else (),
            )
        )
    return Notebook(cells=tuple(cells), metadata=nb.get("metadata") or {})


def read_notebook(path: str | os.PathLike[str]) -> Notebook:
    """Read and parse the notebook at ``path``."""
    p = Path(path)
    try:
        data = read_file(p)
    except FileNotFoundError:
        raise PathNotFound(f"No such notebook: {p.name}") from None
    except IsADirectoryError:
        raise InvalidRequest(f"Not a notebook file but a folder: {p.name}") from None
    except OSError as exc:
        raise NotebookInvalid(f"Cannot read {p.name}: {exc.strerror}") from None
    return load_notebook(data)
