"""Cells → an importable Python module.

A notebook, a selection of its code cells and a target path give the text of
a module that imports without IPython, a kernel or the notebook:

Selection (:func:`parse_selection`)
    ``export`` (default): code cells tagged ``export``; ``tag:NAME``: tagged
    ``NAME``; ``all``: every code cell; ``1,3-5``: cell numbers, **1-based**
    and counted over *all* cells (markdown too), top to bottom, as a user
    counts them in the notebook; ``id:abc,id:def``: nbformat cell ids (items
    may be mixed). Cells are always exported in notebook order. Cells tagged
    ``main`` are selected by the tag selectors as well, and wherever they are
    selected they form the body of ``def main() -> None`` run under
    ``if __name__ == "__main__":``; they add nothing to ``__all__``.

IPython syntax (:func:`transform_cell`)
    IPython's own token finders (``IPython.core.inputtransformer2``) locate
    special syntax; instead of calling IPython it is turned into comments
    marked ``# [repro] <kind>: <original>``: line magics, ``!cmd``, ``x = !cmd``,
    ``x = %magic``, ``obj?``/``??obj`` and statements calling ``get_ipython()``.
    ``%time STATEMENT`` keeps the statement (``%time x = f()`` defines ``x`` in
    the notebook, so the module must too); ``%timeit`` is dropped (it runs in a
    namespace of its own), as are all other line magics. Names that only
    IPython would bind (``x = !ls``, ``%%capture out``) and ``display()`` calls
    are reported as warnings. Cells that are plain Python are kept byte for
    byte; IPython is imported only when a cell needs its tokenizer (see
    :mod:`jupyterlab_repro.ipysyntax`), never by the module. Cells under
    ``%%time``, ``%%capture`` or ``%%prun``
    keep their body; any other cell magic (``%%bash``, ``%%writefile``,
    ``%%html`` …) leaves the cell out with a comment saying so. A commented
    line inside a block becomes ``pass  # [repro] …`` so no block is left
    empty. Line counts are kept, so errors name the line the user sees.
    ``from __future__`` imports move to the top of the module.

Result (:func:`build_module`)
    A header naming the notebook (relative to its repository), the commit
    (12-digit sha, "with uncommitted changes" when the notebook file is
    modified, staged, untracked or ignored) and the selection — no timestamp,
    so an unchanged notebook re-exports byte for byte; ``__all__`` (public
    functions, classes and UPPER_CASE constants of two or more characters
    defined at module level, in definition order); one ``# %% cell N (id X)``
    block per cell (jupytext's percent format, so editors can jump between
    them), two blank lines apart. The module is ``compile()``d before it is
    returned (piece by piece, see :func:`_check_compiles`); a cell that is not
    Python (after the rewriting above, e.g. a top-level ``await``) raises
    :class:`CellSyntaxError` with its number, id and line.

Reading
    Only the cells are needed, so the notebook is parsed by
    :func:`~jupyterlab_repro.nbskeleton.parse_notebook_skeleton`: output
    payloads are never decoded.

Writing (:func:`write_module`)
    Atomic (temporary file in the target's directory + ``os.replace``, the old
    file's mode kept), skipped when the bytes are equal, and refused for an
    existing file without the generated-file marker unless ``force``.
    :func:`check_module` answers ``--check``: it ignores the ``# Commit:``
    line, so committing the notebook and its module together does not make
    the module "out of date".

Remembered settings live in the notebook's metadata,
``metadata.jupyterlab_repro.export = {"module": "../src/train.py", "cells": "export"}``;
``module`` is relative to the notebook's folder and, when read back, must stay
inside the notebook's repository (or ``root``, or its folder outside git). This
module never writes the notebook: :func:`with_export_settings` returns updated
metadata for the caller (the UI) to save.
"""

from __future__ import annotations

import ast
import concurrent.futures
import dataclasses
import difflib
import io
import keyword
import logging
import os
import re
import sys
import tokenize
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, NoReturn

from .errors import (
    CellSyntaxError,
    ExportError,
    ForeignFile,
    GitError,
    GitNotInstalled,
    GitTimeout,
    InvalidRequest,
    NotebookInvalid,
    PathNotFound,
    PathOutsideRoot,
)
from .fileio import atomic_write
from .ipysyntax import (
    CellCode,
    compile_cell,
    compiling,
    normalize_newlines,
    safe_comment,
    split_lines,
    statement_blocks,
    transform_cell,  # noqa: F401  (public: part of the export API)
    translate_cell,
)
from .nbskeleton import parse_notebook_skeleton
from .notebook_clean import source_text
from .vcs import find_repository, run_git

log = logging.getLogger(__name__)

#: First words of the first line of every generated module.
MARKER = "# Generated by jupyterlab-repro export"
#: Header line that :func:`check_module` ignores.
COMMIT_PREFIX = "# Commit: "
EXPORT_TAG = "export"
MAIN_TAG = "main"
METADATA_KEY = "jupyterlab_repro"
#: Cell magics whose body runs in the user's namespace: the body is kept.
SHA_LENGTH = 12

_CELL_ID_RE = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_TAG_RE = re.compile(r"^[^\s,]{1,100}$")
_CONSTANT_RE = re.compile(r"^[A-Z][A-Z0-9_]+$")
#: Statement fields holding nested blocks that still run at module level.
_BLOCK_FIELDS = ("body", "orelse", "finalbody")
_HEADER_LINES = 5
_GIT_TIMEOUT = 10.0


# --------------------------------------------------------------------------
# notebook model


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
        data = p.read_bytes()
    except FileNotFoundError:
        raise PathNotFound(f"No such notebook: {p.name}") from None
    except IsADirectoryError:
        raise InvalidRequest(f"Not a notebook file but a folder: {p.name}") from None
    except OSError as exc:
        raise NotebookInvalid(f"Cannot read {p.name}: {exc.strerror}") from None
    return load_notebook(data)


# --------------------------------------------------------------------------
# selection


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


# --------------------------------------------------------------------------
# module text


@dataclass(frozen=True)
class Provenance:
    """Where the exported cells come from, for the module header."""

    notebook: str  # relative to the repository (or the given root), "/"-separated
    commit: str | None  # SHA_LENGTH hex digits
    dirty: bool
    state: Literal["committed", "uncommitted", "no-commits", "no-repository", "no-git"]

    @property
    def commit_line(self) -> str:
        if self.state == "no-repository":
            return f"{COMMIT_PREFIX}none (not in a git repository)"
        if self.state == "no-git":
            return f"{COMMIT_PREFIX}none (git is not available)"
        if self.state == "no-commits":
            return f"{COMMIT_PREFIX}none (the repository has no commits yet)"
        suffix = " (with uncommitted changes)" if self.dirty else ""
        return f"{COMMIT_PREFIX}{self.commit}{suffix}"


@dataclass(frozen=True)
class ModuleText:
    """A built module: text, ``__all__`` names, exported cell numbers, warnings."""

    text: str
    names: tuple[str, ...]
    cells: tuple[int, ...]
    main_cells: tuple[int, ...]
    warnings: tuple[str, ...]


def build_module(notebook: Notebook, selection: Selection, provenance: Provenance) -> ModuleText:
    """The module text for ``selection`` of ``notebook``; raises, never returns broken code.

    Raises :class:`CellSyntaxError` naming the cell (number and id) and the
    line, and :class:`ExportError` / :class:`InvalidRequest` for selections.
    """
    body = _build_body(notebook, selection)
    return _with_header(body, provenance, selection)


def _with_header(body: ModuleText, provenance: Provenance, selection: Selection) -> ModuleText:
    # The header is comment lines only, with control characters escaped: the
    # compiled body stays valid.
    return dataclasses.replace(body, text=_header(provenance, selection) + body.text)


def _build_body(notebook: Notebook, selection: Selection) -> ModuleText:
    # One warnings filter and one pause of the cyclic GC for all the parsing.
    with compiling():
        return _compose(notebook, selection)


def _compose(notebook: Notebook, selection: Selection) -> ModuleText:
    selected = select_cells(notebook, selection)
    warns = list(selected.warnings)
    futures: list[str] = []
    top: list[tuple[Cell, CellCode]] = []
    main: list[tuple[Cell, CellCode]] = []
    names: dict[str, None] = {}  # ordered, and O(1) membership for thousands of cells
    user_all = False
    defines_main: Cell | None = None
    for cell in selected.all:
        try:
            result = translate_cell(cell.source)
        except SyntaxError as exc:
            raise _cell_error(cell, exc) from None
        warns.extend(f"{cell.label}: {note}" for note in result.notes)
        if result.left_out:
            warns.append(f"{cell.label}: left out, {result.left_out}")
        for future in result.futures:
            if future not in futures:
                futures.append(future)
        if MAIN_TAG in cell.tags:
            main.append((cell, result))
            continue
        top.append((cell, result))
        body = result.tree.body
        names.update(dict.fromkeys(_public_names(body)))
        user_all = user_all or any(_assigns(node, "__all__") for node in body)
        if defines_main is None and any(_assigns(node, "main") for node in body):
            defines_main = cell
    warns.extend(_display_warnings([*top, *main]))
    if main and defines_main is not None:
        raise ExportError(
            f"{defines_main.label} defines 'main', which the cells tagged {MAIN_TAG!r} become: "
            "rename it, or untag those cells."
        )
    head = "".join(f"{future}\n" for future in futures)
    if user_all:
        warns.append("the exported cells define __all__ themselves; it is kept as written")
    else:
        head += ("\n" if futures else "") + _format_all(names)
    blocks = [_cell_marker(c) + r.code.rstrip("\n") + "\n" for c, r in top]
    text = head + ("\n\n" + "\n\n".join(blocks) if blocks else "")
    main_text = ""
    if main:
        body_text = "\n".join(
            _indent(_cell_marker(c) + r.code.rstrip("\n") + "\n") for c, r in main
        )
        if not any(r.tree.body for _, r in main):
            body_text += "    pass\n"
        main_text = "def main() -> None:\n" + body_text
        main_text += '\n\nif __name__ == "__main__":\n    main()\n'
        text += "\n\n" + main_text
    _check_compiles(text, head, top, main, main_text, whole=bool(futures))
    return ModuleText(
        text=text,
        names=tuple(names) if not user_all else (),
        cells=tuple(c.number for c, _ in top),
        main_cells=tuple(c.number for c, _ in main),
        warnings=tuple(warns),
    )


def _check_compiles(
    text: str,
    head: str,
    top: Sequence[tuple[Cell, CellCode]],
    main: Sequence[tuple[Cell, CellCode]],
    main_text: str,
    *,
    whole: bool,
) -> None:
    """Compile the module ``text``; a failure names the cell to blame.

    The text is ``head`` (``__all__``), the top cells and ``main_text``, each a
    complete run of statements, so it compiles exactly when each piece does,
    and the pieces are compiled one by one: a top cell from the tree its code
    text already parsed to, which saves parsing everything twice (at 200 MB
    of notebook 0.3 s instead of 0.6 s). Two module-wide rules cross pieces,
    and then the whole text is compiled: ``from __future__`` imports
    (``whole``) change how every piece compiles, and a module-level ``global``
    statement constrains uses of its names in other pieces.
    """
    if whole or any(_declares_global(r.tree.body) for _, r in top):
        try:
            compile(text, "<module>", "exec", dont_inherit=True)
        except SyntaxError as exc:
            _blame([*top, *main], exc, "module")
        return
    compile(head, "<module>", "exec", dont_inherit=True)  # generated: string literals only
    for cell, result in top:
        try:
            compile(result.tree, "<module>", "exec", dont_inherit=True)
        except SyntaxError as exc:
            raise _cell_error(cell, exc) from None
    try:
        compile(main_text, "<module>", "exec", dont_inherit=True)
    except SyntaxError as exc:
        _blame(main, exc, "main()")


def _blame(cells: Sequence[tuple[Cell, CellCode]], exc: SyntaxError, what: str) -> NoReturn:
    """Raise for the first of ``cells`` that does not compile on its own, else for ``what``."""
    for cell, result in cells:
        try:
            compile_cell(result.tree, MAIN_TAG in cell.tags)
        except SyntaxError as cell_exc:
            raise _cell_error(cell, cell_exc) from None
    raise ExportError(
        f"The exported {what} is not valid Python at line {exc.lineno}: {exc.msg}"
    ) from None


def _declares_global(body: Sequence[ast.stmt]) -> bool:
    """Whether a ``global`` statement runs at module level (nested blocks included)."""
    for node in body:
        if isinstance(node, ast.Global):
            return True
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and any(
            _declares_global(block) for block in statement_blocks(node)
        ):
            return True
    return False


def _display_warnings(cells: Sequence[tuple[Cell, CellCode]]) -> list[str]:
    """``display()`` is an IPython builtin: warn where the module would call it unbound."""
    if not any("display" in r.code for _, r in cells):
        return []
    if any(
        _assigns(node, "display")
        for _, r in cells
        for node in ast.walk(r.tree)
        if isinstance(node, ast.stmt)
    ):
        return []
    return [
        f"{cell.label}: line {node.lineno}: display() exists only inside IPython; "
        "import it (from IPython.display import display) or remove the call"
        for cell, r in cells
        for node in ast.walk(r.tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "display"
    ]


def _cell_error(cell: Cell, exc: SyntaxError) -> CellSyntaxError:
    line = exc.lineno
    code = ""
    if line is not None:
        src = cell.source.split("\n")
        if 1 <= line <= len(src):
            code = src[line - 1].strip()
    where = f"line {line}" if line else "somewhere"
    shown = f": {safe_comment(code)[:120]}" if code else ""
    return CellSyntaxError(
        f"Cannot export {cell.label}: {where} is not valid Python ({exc.msg}){shown}",
        cell=cell.number,
        cell_id=cell.id,
        line=line,
    )


def _cell_marker(cell: Cell) -> str:
    return f"# %% cell {cell.number}" + (f" (id {cell.id})" if cell.id else "") + "\n"


def _header(provenance: Provenance, selection: Selection) -> str:
    return (
        f"{MARKER} from {safe_comment(provenance.notebook)}; edit the notebook, not this file.\n"
        f"{provenance.commit_line}\n"
        f"# Cells: {safe_comment(str(selection))}\n"
        "\n"
    )


def _format_all(names: Sequence[str]) -> str:
    if not names:
        return "__all__: list[str] = []\n"
    one_line = "__all__ = [" + ", ".join(f'"{n}"' for n in names) + "]\n"
    if len(one_line) <= 100:
        return one_line
    return "__all__ = [\n" + "".join(f'    "{n}",\n' for n in names) + "]\n"


def _public_names(body: Sequence[ast.stmt]) -> Iterator[str]:
    """Functions, classes and UPPER_CASE constants bound at module level, in order."""
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if not node.name.startswith("_"):
                yield node.name
            continue
        alias = getattr(ast, "TypeAlias", None)
        if alias is not None and isinstance(node, alias) and isinstance(node.name, ast.Name):
            if not node.name.id.startswith("_"):
                yield node.name.id
            continue
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets = [node.target]
        for target in targets:
            for n in _target_names(target):
                if _CONSTANT_RE.match(n):
                    yield n
        for name in _BLOCK_FIELDS:  # if/try/with/for bodies at module level
            block = getattr(node, name, None)
            if isinstance(block, list):
                yield from _public_names(block)
        for handler in getattr(node, "handlers", []) or []:
            yield from _public_names(handler.body)


def _target_names(target: ast.expr) -> Iterator[str]:
    if isinstance(target, ast.Name):
        yield target.id
    elif isinstance(target, (ast.Tuple, ast.List)):
        for elt in target.elts:
            yield from _target_names(elt)


def _assigns(node: ast.stmt, name: str) -> bool:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return node.name == name
    if isinstance(node, ast.Assign):
        return any(name in _target_names(t) for t in node.targets)
    if isinstance(node, (ast.AnnAssign, ast.AugAssign)):
        return name in _target_names(node.target)
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return any((a.asname or a.name.split(".")[0]) == name for a in node.names)
    return False


def _indent(text: str) -> str:
    """Indent by four spaces, except lines that continue a multi-line string."""
    lines = split_lines(text)
    inside: set[int] = set()
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.end[0] > tok.start[0]:
                inside.update(range(tok.start[0] + 1, tok.end[0] + 1))
    except (tokenize.TokenError, SyntaxError):
        pass
    return "".join(
        line if (i in inside or not line.strip()) else "    " + line
        for i, line in enumerate(lines, start=1)
    )


# --------------------------------------------------------------------------
# provenance (git)


def notebook_provenance(
    notebook_path: str | os.PathLike[str],
    *,
    root: str | os.PathLike[str] | None = None,
    timeout: float = _GIT_TIMEOUT,
) -> Provenance:
    """Repository-relative path, HEAD commit and dirtiness of the notebook file.

    Outside a repository the path is relative to ``root`` when the notebook
    lies inside it, else just the file name. Two read-only git calls.
    """
    nb = Path(os.path.realpath(notebook_path))
    try:
        top = find_repository(nb.parent)
    except GitNotInstalled:
        log.warning("git is not installed: exporting %s without a commit", nb.name)
        return Provenance(nb.name, None, False, "no-git")
    if top is None:
        shown = nb.name
        if root is not None:
            real_root = Path(os.path.realpath(root))
            if real_root in nb.parents:
                shown = nb.relative_to(real_root).as_posix()
        return Provenance(shown, None, False, "no-repository")
    rel = nb.relative_to(top).as_posix()
    try:
        proc = run_git(
            [
                "status",
                "--porcelain=v2",
                "--branch",
                "-z",
                "--untracked-files=all",
                "--ignored=matching",
                "--",
                rel,
            ],
            top,
            timeout=timeout,
            read_only=True,
            env={"GIT_LITERAL_PATHSPECS": "1"},  # "exp[1].ipynb" is a name, not a glob
        )
    except GitTimeout:
        raise
    except GitError as exc:
        raise GitError(f"Cannot read the repository state of {rel}: {exc}", exc.stderr) from None
    oid = None
    dirty = False
    for record in proc.stdout.decode("utf-8", "surrogateescape").split("\0"):
        if record.startswith("# branch.oid "):
            oid = record[len("# branch.oid ") :].strip()
        elif record[:2] in ("1 ", "2 ", "u ", "? ", "! "):
            dirty = True
    if oid in (None, "(initial)"):
        return Provenance(rel, None, dirty, "no-commits")
    return Provenance(rel, oid[:SHA_LENGTH], dirty, "uncommitted" if dirty else "committed")


# --------------------------------------------------------------------------
# writing and checking


def is_generated(text: str) -> bool:
    """Whether ``text`` carries the marker of a module written by this export."""
    return any(line.startswith(MARKER) for line in text.split("\n", _HEADER_LINES)[:_HEADER_LINES])


def _code_part(text: str) -> str:
    lines = text.split("\n")
    head = [line for line in lines[:_HEADER_LINES] if not line.startswith(COMMIT_PREFIX)]
    return "\n".join(head + lines[_HEADER_LINES:])


def check_module(text: str, target: str | os.PathLike[str]) -> bool:
    """``True`` when ``target`` is out of date: missing, or its code differs from ``text``.

    The ``# Commit:`` header line is ignored (see the module docs).
    """
    try:
        existing = Path(target).read_bytes().decode("utf-8", "replace")
    except FileNotFoundError:
        return True
    return _code_part(normalize_newlines(existing)) != _code_part(text)


def module_diff(old: str | None, new: str, name: str) -> str:
    """Unified diff from ``old`` (``None``: no file yet) to ``new``."""
    return "".join(
        difflib.unified_diff(
            (old or "").splitlines(keepends=True),
            new.splitlines(keepends=True),
            fromfile="/dev/null" if old is None else f"a/{name}",
            tofile=f"b/{name}",
        )
    )


def write_module(text: str, target: str | os.PathLike[str], *, force: bool = False) -> bool:
    """Write ``text`` to ``target`` atomically; return whether the file changed.

    Refuses (:class:`ForeignFile`) to replace an existing file that lacks the
    generated-file marker unless ``force``. ``text`` must compile
    (:class:`ExportError` otherwise); on any failure the old file is untouched.
    """
    path = Path(os.path.realpath(target))
    try:
        with compiling():
            compile(text, path.name, "exec", dont_inherit=True)
    except SyntaxError as exc:
        raise ExportError(f"Refusing to write {path.name}: line {exc.lineno}: {exc.msg}") from None
    return _write_compiled(text, path, force=force)


def _write_compiled(text: str, path: Path, *, force: bool) -> bool:
    data = text.encode("utf-8")
    try:
        old: bytes | None = path.read_bytes()
    except FileNotFoundError:
        old = None
    except IsADirectoryError:
        raise InvalidRequest(f"The output {path.name} is a folder.") from None
    if old is not None:
        if old == data:
            return False
        if not force and not is_generated(old.decode("utf-8", "replace")):
            raise ForeignFile(
                f"{path.name} exists and was not written by export; "
                "it is left alone (overwrite it with force)."
            )
    atomic_write(path, data)
    log.info("exported module written: %s", path)
    return True


# --------------------------------------------------------------------------
# remembered settings (notebook metadata)


@dataclass(frozen=True)
class ExportSettings:
    """``metadata.jupyterlab_repro.export``: target module and cell selector."""

    module: str | None = None
    cells: str | None = None


def read_export_settings(metadata: Mapping[str, Any] | None) -> ExportSettings:
    """The remembered export settings in notebook ``metadata`` (ill-typed values ignored)."""
    section = (metadata or {}).get(METADATA_KEY)
    export = section.get("export") if isinstance(section, Mapping) else None
    if not isinstance(export, Mapping):
        return ExportSettings()
    module, cells = export.get("module"), export.get("cells")
    return ExportSettings(
        module=module if isinstance(module, str) and module.strip() else None,
        cells=cells if isinstance(cells, str) and cells.strip() else None,
    )


def with_export_settings(
    metadata: Mapping[str, Any] | None, *, module: str, cells: str | None = None
) -> dict[str, Any]:
    """A copy of notebook ``metadata`` remembering ``module`` and ``cells``.

    ``cells`` is normalized (:func:`parse_selection`); other keys are kept.
    """
    selector = str(parse_selection(cells))
    out = dict(metadata or {})
    section = out.get(METADATA_KEY)
    section = dict(section) if isinstance(section, Mapping) else {}
    section["export"] = {"module": module, "cells": selector}
    out[METADATA_KEY] = section
    return out


def module_setting(
    notebook_path: str | os.PathLike[str], output_path: str | os.PathLike[str]
) -> str:
    """``output_path`` as remembered in metadata: relative to the notebook's folder."""
    base = os.path.realpath(Path(notebook_path).parent)
    return Path(os.path.relpath(os.path.realpath(output_path), base)).as_posix()


def resolve_module_setting(
    notebook_path: str | os.PathLike[str],
    module: str,
    *,
    root: str | os.PathLike[str] | None = None,
) -> Path:
    """Resolve a remembered ``module`` path; it must stay inside the notebook's
    repository, or ``root``, or (outside both) the notebook's folder."""
    if "\x00" in module or os.path.isabs(module) or module.startswith(("/", "\\")):
        raise PathOutsideRoot(f"The remembered module path {module!r} must be relative.")
    nb_dir = Path(os.path.realpath(Path(notebook_path).parent))
    if root is not None:
        base = Path(os.path.realpath(root))
    else:
        base = find_repository(nb_dir) or nb_dir
    real = Path(os.path.realpath(nb_dir / module))
    if real != base and base not in real.parents:
        raise PathOutsideRoot(
            f"The remembered module path {module!r} leads outside {base.name or base}."
        )
    return real


# --------------------------------------------------------------------------
# the entry point


@dataclass
class ExportResult:
    """What :func:`export_notebook` did (or, for a dry run, would do)."""

    notebook: Path
    output: Path
    text: str
    diff: str
    selector: str
    cells: list[int]  # 1-based numbers of the module-level cells
    main_cells: list[int]  # 1-based numbers of the cells in main()
    names: list[str]  # __all__
    written: bool
    #: The file's bytes differ from ``text`` (a write changes, or changed, it).
    changed: bool
    #: The code differs from the file's (the ``# Commit:`` line ignored): ``--check``.
    out_of_date: bool
    #: An existing file without the generated-file marker is in the way.
    foreign: bool
    warnings: list[str]
    #: ``output`` relative to the notebook's folder, for :func:`with_export_settings`.
    module_setting: str
    provenance: Provenance

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready; no absolute paths (callers add theirs)."""
        return {
            "text": self.text,
            "diff": self.diff,
            "selector": self.selector,
            "cells": self.cells,
            "main_cells": self.main_cells,
            "names": self.names,
            "written": self.written,
            "changed": self.changed,
            "out_of_date": self.out_of_date,
            "foreign": self.foreign,
            "warnings": self.warnings,
            "settings": {"module": self.module_setting, "cells": self.selector},
            "source": {
                "notebook": self.provenance.notebook,
                "commit": self.provenance.commit,
                "dirty": self.provenance.dirty,
                "state": self.provenance.state,
            },
        }


def export_notebook(
    notebook_path: str | os.PathLike[str],
    output_path: str | os.PathLike[str] | None = None,
    selector: str | None = None,
    *,
    root: str | os.PathLike[str] | None = None,
    dry_run: bool = False,
    force: bool = False,
    timeout: float = _GIT_TIMEOUT,
) -> ExportResult:
    """Export cells of a notebook to a module; the one door for the CLI and REST.

    Parameters
    ----------
    notebook_path
        The ``.ipynb`` file.
    output_path
        The ``.py`` module; ``None``: the one remembered in the notebook's
        metadata (confined by :func:`resolve_module_setting`).
    selector
        See :func:`parse_selection`; ``None``: the remembered one, else ``export``.
    root
        Where a remembered module path must stay and what the header's path is
        relative to outside git (the REST layer passes the server root).
    dry_run
        Compute text, diff and flags; write nothing.
    force
        Overwrite an existing file that export did not write.

    Nothing is written unless every check passes. Raises
    :class:`PathNotFound`, :class:`NotebookInvalid`, :class:`InvalidRequest`,
    :class:`PathOutsideRoot`, :class:`ExportError` / :class:`CellSyntaxError`,
    :class:`ForeignFile` and git errors.
    """
    nb_path = Path(notebook_path)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        # The git facts are only needed for the header: ask git while parsing.
        git_facts = pool.submit(notebook_provenance, nb_path, root=root, timeout=timeout)
        notebook = read_notebook(nb_path)
        settings = read_export_settings(notebook.metadata)
        selection = parse_selection(selector if selector is not None else settings.cells)
        if output_path is None:
            if settings.module is None:
                raise InvalidRequest(
                    "No output module: give one (e.g. -o train.py); the notebook does not "
                    "remember one in its metadata."
                )
            target = resolve_module_setting(nb_path, settings.module, root=root)
        else:
            target = Path(os.path.realpath(output_path))
        warns = _check_output(nb_path, target)
        body = _build_body(notebook, selection)
        provenance = git_facts.result()
    module = _with_header(body, provenance, selection)
    warns.extend(module.warnings)

    try:
        old: str | None = target.read_bytes().decode("utf-8", "replace")
    except FileNotFoundError:
        old = None
    changed = old != module.text
    foreign = old is not None and not is_generated(old)
    if old is not None:
        old = normalize_newlines(old)
    out_of_date = old is None or _code_part(old) != _code_part(module.text)
    written = False
    if not dry_run and changed:
        written = _write_compiled(module.text, target, force=force)
    return ExportResult(
        notebook=nb_path,
        output=target,
        text=module.text,
        diff=module_diff(old, module.text, target.name) if changed else "",
        selector=str(selection),
        cells=list(module.cells),
        main_cells=list(module.main_cells),
        names=list(module.names),
        written=written,
        changed=changed,
        out_of_date=out_of_date,
        foreign=foreign,
        warnings=warns,
        module_setting=module_setting(nb_path, target),
        provenance=provenance,
    )


def _check_output(nb_path: Path, target: Path) -> list[str]:
    """Refuse outputs that cannot be a module next to this notebook; warn about odd names."""
    if target.suffix != ".py":
        raise InvalidRequest(f"The output must be a .py file, not {target.name!r}.")
    if target.is_dir():
        raise InvalidRequest(f"The output {target.name} is a folder.")
    if not target.parent.is_dir():
        raise InvalidRequest(f"The output's folder does not exist: {target.parent.name}")
    if target == Path(os.path.realpath(nb_path)):
        raise InvalidRequest("The output cannot be the notebook itself.")
    stem = target.stem
    warns = []
    if not stem.isidentifier() or keyword.iskeyword(stem):
        warns.append(f"{target.name}: not an importable module name (use letters, digits, _)")
    elif stem in getattr(sys, "stdlib_module_names", ()):
        warns.append(
            f"{target.name}: shadows the standard library module {stem!r} "
            "for code run from its folder"
        )
    return warns
