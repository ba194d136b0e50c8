"""Composing the module: cells in order, ``main()``, ``__all__``, the header."""

from __future__ import annotations

import ast
import dataclasses
import io
import re
import tokenize
from collections.abc import Container, Iterable, Iterator, Sequence
from dataclasses import dataclass

from ..errors import ExportError
from ..notebook.ipysyntax import (
    CellCode,
    bound_names,
    compiling,
    safe_comment,
    split_lines,
    translate_cell,
)
from .cells import Cell, Notebook
from .compile_check import cell_error, check_compiles
from .provenance import Provenance
from .selection import MAIN_TAG, Selection, select_cells
from .writer import MARKER

_CONSTANT_RE = re.compile(r"^[A-Z][A-Z0-9_]+$")
#: Statement fields holding nested blocks that still run at module level.
_BLOCK_FIELDS = ("body", "orelse", "finalbody")


@dataclass(frozen=True)
class ModuleText:
    """A built module: text, ``__all__`` names, exported cell numbers, warnings."""

    text: str
    names: tuple[str, ...]
    cells: tuple[int, ...]
    main_cells: tuple[int, ...]
    warnings: tuple[str, ...]


def with_header(body: ModuleText, provenance: Provenance, selection: Selection) -> ModuleText:
    # The header is comment lines only, with control characters escaped: the
    # compiled body stays valid.
    return dataclasses.replace(body, text=_header(provenance, selection) + body.text)


def build_body(notebook: Notebook, selection: Selection) -> ModuleText:
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
    shadowing = _EarlierBindings(notebook)
    for cell in selected.all:
        try:
            result = translate_cell(cell.source, bound=shadowing.before(cell))
        except SyntaxError as exc:
            raise cell_error(cell, exc) from None
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
    check_compiles(text, head, top, main, main_text, whole=bool(futures))
    return ModuleText(
        text=text,
        names=tuple(names) if not user_all else (),
        cells=tuple(c.number for c, _ in top),
        main_cells=tuple(c.number for c, _ in main),
        warnings=tuple(warns),
    )


class _EarlierBindings:
    """Names the code cells before a cell bind (automagics they shadow are Python).

    Every code cell counts, exported or not: IPython ran them all before.
    Read only when a cell has a line that may be an automagic.
    """

    def __init__(self, notebook: Notebook) -> None:
        self._cells = [c for c in notebook.cells if c.cell_type == "code"]
        self._before: dict[int, frozenset[str]] | None = None

    def before(self, cell: Cell) -> Container[str]:
        return _Lazy(self, cell.number)

    def names_before(self, number: int) -> frozenset[str]:
        if self._before is None:
            self._before, seen = {}, frozenset[str]()
            for cell in self._cells:
                self._before[cell.number] = seen
                try:
                    seen = seen | bound_names(translate_cell(cell.source, bound=seen).tree)
                except SyntaxError:  # reported when (if) that cell is exported
                    pass
        return self._before.get(number, frozenset())


@dataclass(frozen=True)
class _Lazy:
    bindings: _EarlierBindings
    number: int

    def __contains__(self, name: object) -> bool:
        return name in self.bindings.names_before(self.number)


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


def _cell_marker(cell: Cell) -> str:
    return f"# %% cell {cell.number}" + (f" (id {cell.id})" if cell.id else "") + "\n"


def _header(provenance: Provenance, selection: Selection) -> str:
    return (
        f"{MARKER} from {safe_comment(provenance.notebook)}; edit the notebook, not this file.\n"
        f"{provenance.commit_line}\n"
        f"# Cells: {safe_comment(str(selection))}\n"
        "\n"
    )


def _format_all(names: Iterable[str]) -> str:
    names = list(names)
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
