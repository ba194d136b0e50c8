"""Is this a notebook? Parsing and the structural check every reader shares.

:func:`parse_notebook` decodes UTF-8 and JSON and runs :func:`check_notebook`,
a fast structural check (no ``nbformat.validate`` on the hot path: it costs
more than parsing on large notebooks) that lists every problem found. nbformat
3 and 4 are read; other major versions raise
:class:`~jupyterlab_repro.errors.UnsupportedNotebook`.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..errors import NotebookInvalid, UnsupportedNotebook

_CELL_ID_RE = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_V4_TYPES = {"code", "markdown", "raw"}
_V3_TYPES = {"code", "markdown", "raw", "heading"}


def parse_notebook(data: bytes | str) -> dict[str, Any]:
    """Parse notebook bytes/text and check its structure.

    Raises
    ------
    NotebookInvalid
        Not UTF-8, not JSON, or not a structurally valid notebook.
    UnsupportedNotebook
        A notebook format other than 3 or 4.
    """
    if isinstance(data, (bytes, bytearray, memoryview)):
        try:
            text = bytes(data).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise NotebookInvalid(
                f"not a notebook: not valid UTF-8 (byte {exc.start}: {exc.reason})"
            ) from None
    else:
        text = data
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        nb = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NotebookInvalid(
            f"not a notebook: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    except RecursionError:
        raise NotebookInvalid("not a notebook: JSON nested too deeply") from None
    check_notebook(nb)
    return nb


def check_notebook(nb: Any) -> None:
    """Raise :class:`NotebookInvalid` unless ``nb`` is a structurally valid notebook."""
    problems = _problems(nb)
    if problems:
        extra = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        raise NotebookInvalid(f"invalid notebook: {problems[0]}{extra}", problems)


def source_text(cell: dict[str, Any], nbformat_major: int = 4) -> str:
    """A cell's source as one string (``input`` for nbformat 3 code cells)."""
    key = "input" if nbformat_major == 3 and cell.get("cell_type") == "code" else "source"
    value = cell.get(key, "")
    if isinstance(value, list):
        return join_v3(value) if nbformat_major == 3 else "".join(value)
    return value


def join_v3(lines: list[str]) -> str:
    # nbformat.v3.rwbase._join_lines: lists not written by splitlines(True)
    # were written by splitlines() and are joined with newlines.
    if lines and lines[0].endswith(("\n", "\r")):
        return "".join(lines)
    return "\n".join(lines)


# --------------------------------------------------------------------------
# validation


def _problems(nb: Any) -> list[str]:
    if not isinstance(nb, dict):
        return [f"top level is {_kind(nb)}, not an object"]
    if "nbformat" not in nb:
        return ["'nbformat' is missing (is this a notebook?)"]
    major = nb["nbformat"]
    if not isinstance(major, int) or isinstance(major, bool):
        return [f"'nbformat' must be an integer, got {_kind(major)}"]
    if major not in (3, 4):
        raise UnsupportedNotebook(
            f"nbformat {major} notebooks are not supported (only 3 and 4); "
            "convert it with `jupyter nbconvert --to notebook`"
        )
    problems: list[str] = []
    minor = nb.get("nbformat_minor")
    if "nbformat_minor" not in nb:
        problems.append("'nbformat_minor' is missing")
    elif not isinstance(minor, int) or isinstance(minor, bool) or minor < 0:
        problems.append(f"'nbformat_minor' must be a non-negative integer, got {minor!r}")
    meta = nb.get("metadata", {} if major == 3 else None)
    if not isinstance(meta, dict):
        problems.append(
            "'metadata' is missing"
            if meta is None
            else f"'metadata' must be an object, not {_kind(meta)}"
        )
    else:
        problems += _notebook_meta_problems(meta)
    if major == 3:
        problems += _v3_problems(nb)
    else:
        problems += _v4_problems(nb, minor if isinstance(minor, int) else 0)
    return problems


def _notebook_meta_problems(meta: dict[str, Any]) -> list[str]:
    problems = []
    ks = meta.get("kernelspec")
    if ks is not None:
        if not isinstance(ks, dict):
            problems.append(f"metadata.kernelspec must be an object, not {_kind(ks)}")
        else:
            for key in ("name", "display_name"):
                if key in ks and not isinstance(ks[key], str):
                    problems.append(f"metadata.kernelspec.{key} must be a string")
    li = meta.get("language_info")
    if li is not None and (not isinstance(li, dict) or not isinstance(li.get("name", ""), str)):
        problems.append("metadata.language_info must be an object with a string 'name'")
    authors = meta.get("authors")
    if authors is not None and not (
        isinstance(authors, list) and all(isinstance(a, dict) for a in authors)
    ):
        problems.append("metadata.authors must be a list of objects")
    return problems


def _v4_problems(nb: dict[str, Any], minor: int) -> list[str]:
    cells = nb.get("cells")
    if cells is None:
        return ["'cells' is missing"]
    if not isinstance(cells, list):
        return [f"'cells' must be a list, not {_kind(cells)}"]
    problems: list[str] = []
    seen: dict[str, int] = {}
    for index, cell in enumerate(cells):
        where = f"cell {index}"
        if not isinstance(cell, dict):
            problems.append(f"{where} is {_kind(cell)}, not an object")
            continue
        if "id" in cell:
            cid = cell["id"]
            where = f"cell {index} (id {cid!r})"
            if minor >= 5:
                if not isinstance(cid, str) or not _CELL_ID_RE.match(cid):
                    problems.append(
                        f"{where}: invalid cell id (1-64 characters from a-z, A-Z, 0-9, - and _)"
                    )
                elif cid in seen:
                    problems.append(f"{where}: duplicate cell id (also cell {seen[cid]})")
                else:
                    seen[cid] = index
        ctype = cell.get("cell_type")
        if ctype is None:
            problems.append(f"{where}: 'cell_type' is missing")
            continue
        if not isinstance(ctype, str):
            problems.append(f"{where}: 'cell_type' must be a string")
            continue
        problems += _cell_meta_problems(cell, where, required=ctype in _V4_TYPES)
        if ctype not in _V4_TYPES:
            continue  # an unrecognized (future) cell type: passed through
        if "source" not in cell:
            problems.append(f"{where}: 'source' is missing")
        elif not is_multiline(cell["source"]):
            problems.append(f"{where}: 'source' must be a string or a list of strings")
        if ctype == "code":
            problems += _outputs_problems(cell, where, "outputs")
        if "attachments" in cell and not isinstance(cell["attachments"], dict):
            problems.append(f"{where}: 'attachments' must be an object")
    return problems


def _v3_problems(nb: dict[str, Any]) -> list[str]:
    worksheets = nb.get("worksheets")
    if worksheets is None:
        return ["'worksheets' is missing (nbformat 3)"]
    if not isinstance(worksheets, list):
        return [f"'worksheets' must be a list, not {_kind(worksheets)}"]
    problems: list[str] = []
    index = 0
    for w, ws in enumerate(worksheets):
        if not isinstance(ws, dict) or not isinstance(ws.get("cells", []), list):
            problems.append(f"worksheet {w} must be an object with a 'cells' list")
            continue
        for cell in ws.get("cells", []):
            where = f"cell {index}"
            index += 1
            if not isinstance(cell, dict):
                problems.append(f"{where} is {_kind(cell)}, not an object")
                continue
            ctype = cell.get("cell_type")
            if ctype not in _V3_TYPES:
                problems.append(f"{where}: unknown or missing 'cell_type' {ctype!r}")
                continue
            problems += _cell_meta_problems(cell, where, required=False)
            key = "input" if ctype == "code" else "source"
            if key not in cell:
                problems.append(f"{where}: {key!r} is missing")
            elif not is_multiline(cell[key]):
                problems.append(f"{where}: {key!r} must be a string or a list of strings")
            if ctype == "code":
                problems += _outputs_problems(cell, where, "outputs")
    return problems


def _cell_meta_problems(cell: dict[str, Any], where: str, *, required: bool) -> list[str]:
    if "metadata" not in cell:
        return [f"{where}: 'metadata' is missing"] if required else []
    meta = cell["metadata"]
    if not isinstance(meta, dict):
        return [f"{where}: 'metadata' must be an object, not {_kind(meta)}"]
    problems = []
    tags = meta.get("tags")
    if tags is not None and not (isinstance(tags, list) and all(isinstance(t, str) for t in tags)):
        problems.append(f"{where}: metadata.tags must be a list of strings")
    for key in ("jupyter", "execution"):
        if key in meta and not isinstance(meta[key], dict):
            problems.append(f"{where}: metadata.{key} must be an object, not {_kind(meta[key])}")
    for key in ("name", "format"):
        if key in meta and not isinstance(meta[key], str):
            problems.append(f"{where}: metadata.{key} must be a string")
    for key in ("deletable", "editable"):
        if key in meta and not isinstance(meta[key], bool):
            problems.append(f"{where}: metadata.{key} must be true or false")
    return problems


def _outputs_problems(cell: dict[str, Any], where: str, key: str) -> list[str]:
    outputs = cell.get(key, [])
    if not isinstance(outputs, list):
        return [f"{where}: {key!r} must be a list, not {_kind(outputs)}"]
    for i, out in enumerate(outputs):
        if not isinstance(out, dict) or not isinstance(out.get("output_type"), str):
            return [f"{where}: output {i} must be an object with an 'output_type'"]
    return []


def is_multiline(value: Any) -> bool:
    return isinstance(value, str) or (
        isinstance(value, list) and all(isinstance(line, str) for line in value)
    )


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", type(None): "null"}.get(
        type(value), type(value).__name__
    )
