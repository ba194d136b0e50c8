"""Output-blind, cell-level notebook diff.

Cells are matched by ``id`` first. Cells left over (no id on one side, as in
nbformat < 4.5, or ids that changed because a tool added them) are matched
by content: identical (type, source) first, then the most similar sources of
the same cell type (``difflib`` ratio >= :data:`SIMILARITY_THRESHOLD`),
best pairs first. Identical cells are found anywhere; similar ones only
near the same position among the leftovers (a window of
``_SIMILARITY_WINDOW`` unmatched cells), which keeps large id-less notebooks
fast: an edited cell that moved past many other edited cells may show as
removed + added. Two cells that both carry ids but different ones are never
paired: ids say they are different cells. (nbdime's multilevel sequence
matching does this in more passes; this is the simple version.)

Outputs and execution counts are ignored: diff *cleaned* notebooks
(:func:`diff_texts` cleans for you). A matched cell whose position changed
relative to the other matched cells (not just shifted by insertions or
deletions) is ``moved``.
"""

from __future__ import annotations

import bisect
import copy
import difflib
import itertools
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from .clean import CleanConfig, clean_notebook, clean_text, dumps_notebook
from .validate import check_notebook, parse_notebook, source_text

#: Minimum ``SequenceMatcher.ratio()`` for two id-less cells to count as one.
SIMILARITY_THRESHOLD = 0.5
#: Sources longer than this (characters, both sides) and of more than two
#: lines are compared line by line, shorter ones character by character.
_CHAR_COMPARE_LIMIT = 200
#: Leftover cells are compared only with leftovers at about the same rank (± this).
_SIMILARITY_WINDOW = 10

Status = Literal["added", "removed", "moved", "modified", "unchanged"]
Classification = Literal["clean", "outputs-only", "source"]


@dataclass
class CellDiff:
    """One cell of the diff.

    ``status`` is ``modified`` when the source, type, attachments or metadata
    changed (``source_changed`` / ``metadata_changed`` say which; a modified
    cell may also be ``moved``); ``source_diff`` holds unified-diff lines
    (``" "``/``"-"``/``"+"``/``"@@"``), all ``+`` for added and ``-`` for
    removed cells. ``old_source``/``new_source`` hold the whole sources of a
    cell whose source changed, only when asked for (side-by-side views).
    """

    status: Status
    cell_type: str
    old_index: int | None
    new_index: int | None
    cell_id: str | None
    old_cell_type: str | None = None
    moved: bool = False
    source_changed: bool = False
    metadata_changed: list[str] = field(default_factory=list)
    attachments_changed: bool = False
    source_diff: list[str] = field(default_factory=list)
    old_source: str | None = None
    new_source: str | None = None

    @property
    def metadata_only(self) -> bool:
        return (
            self.status == "modified"
            and not self.source_changed
            and not self.attachments_changed
            and self.old_cell_type is None
        )


@dataclass
class NotebookDiff:
    """Cell-level changes between two notebooks, plus notebook-level metadata."""

    cells: list[CellDiff] = field(default_factory=list)
    metadata_changed: list[str] = field(default_factory=list)
    format_change: str | None = None
    match_method: Literal["id", "content", "mixed", "none"] = "none"

    @property
    def has_changes(self) -> bool:
        return (
            bool(self.metadata_changed)
            or self.format_change is not None
            or any(c.status != "unchanged" for c in self.cells)
        )

    def summary(self) -> dict[str, int]:
        counts = dict.fromkeys(("added", "removed", "moved", "modified", "unchanged"), 0)
        for cell in self.cells:
            counts[cell.status] += 1
        counts["metadata_only"] = sum(1 for c in self.cells if c.metadata_only)
        return counts

    def to_dict(self) -> dict[str, Any]:
        return {
            "cells": [_cell_dict(c) for c in self.cells],
            "metadata_changed": list(self.metadata_changed),
            "format_change": self.format_change,
            "match_method": self.match_method,
            "summary": self.summary(),
            "has_changes": self.has_changes,
        }

    def diff_text(self) -> str:
        """Compact, stable text rendering (unchanged cells omitted)."""
        lines: list[str] = []
        if self.format_change:
            lines.append(f"nbformat changed: {self.format_change}")
        if self.metadata_changed:
            lines.append("notebook metadata changed: " + ", ".join(self.metadata_changed))
        for cell in self.cells:
            if cell.status == "unchanged":
                continue
            lines.append(_header(cell))
            lines.extend(cell.source_diff)
        if not lines:
            return "no changes (outputs ignored)\n"
        return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------
# public API


def diff_notebooks(
    old: dict[str, Any] | None, new: dict[str, Any] | None, *, sources: bool = False
) -> NotebookDiff:
    """Diff two (cleaned) notebook dicts; ``None`` is a missing file.

    ``sources``: keep both whole sources of each cell whose source changed.
    """
    old_cells = _cells(old) if old is not None else []
    new_cells = _cells(new) if new is not None else []
    pairs, method = _match(old_cells, new_cells)
    moved = _moved_pairs(pairs)
    matched_old = {o for o, _ in pairs}
    matched_new = {n for _, n in pairs}
    entries: list[tuple[tuple[int, int, int], CellDiff]] = []
    for o, n in pairs:
        diff = _compare(old_cells[o], new_cells[n], (o, n) in moved)
        diff.old_index, diff.new_index = o, n
        if sources and diff.source_changed:
            diff.old_source, diff.new_source = old_cells[o].source, new_cells[n].source
        entries.append(((n, 0, 0), diff))
    for n, cell in enumerate(new_cells):
        if n not in matched_new:
            lines = _lines_diff("", cell.source)
            entries.append(
                ((n, 0, 0), CellDiff("added", cell.cell_type, None, n, cell.id, source_diff=lines))
            )
    old_to_new = dict(pairs)
    anchor = -1
    for o, cell in enumerate(old_cells):
        if o in matched_old:
            anchor = old_to_new[o]
            continue
        lines = _lines_diff(cell.source, "")
        entries.append(
            (
                (anchor, 1, o),
                CellDiff("removed", cell.cell_type, o, None, cell.id, source_diff=lines),
            )
        )
    entries.sort(key=lambda item: item[0])
    result = NotebookDiff(cells=[e for _, e in entries], match_method=method)
    old_meta = (old or {}).get("metadata", {}) if old is not None else {}
    new_meta = (new or {}).get("metadata", {}) if new is not None else {}
    if old is not None and new is not None:
        result.metadata_changed = _dict_changes(old_meta, new_meta)
        old_fmt = f"{old.get('nbformat')}.{old.get('nbformat_minor')}"
        new_fmt = f"{new.get('nbformat')}.{new.get('nbformat_minor')}"
        if old_fmt != new_fmt:
            result.format_change = f"{old_fmt} -> {new_fmt}"
    return result


def diff_texts(
    old: bytes | str | None,
    new: bytes | str | None,
    config: CleanConfig | None = None,
    *,
    sources: bool = False,
) -> NotebookDiff:
    """Clean both sides (raw file contents or ``None``) and diff them."""
    return diff_notebooks(_cleaned(old, config), _cleaned(new, config), sources=sources)


def classify(
    working: bytes | str | dict[str, Any],
    head: bytes | str | dict[str, Any] | None,
    config: CleanConfig | None = None,
) -> Classification:
    """How the working copy relates to the committed (clean) blob.

    ``"clean"``: the working copy is byte-identical to HEAD's blob (HEAD's
    blob is assumed to be clean; it is not re-cleaned).
    ``"outputs-only"``: it differs, but cleaning it yields exactly HEAD's blob
    (a snapshot would commit nothing). ``"source"``: cleaning it yields a
    different blob (or there is no blob; or HEAD's blob was committed
    uncleaned, so a snapshot would commit the cleaned version).
    Dicts are compared in their normalized serialization.

    Raises
    ------
    NotebookInvalid
        The working copy (or HEAD's blob) is not a valid notebook.
    """
    working_raw = _as_text(working)
    if head is None:
        clean_text(working_raw, config)  # still report an invalid working copy
        return "source"
    head_raw = _as_text(head)
    if working_raw == head_raw:
        return "clean"
    cleaned, _ = clean_text(working_raw, config)
    return "outputs-only" if cleaned == head_raw else "source"


# --------------------------------------------------------------------------
# internals


@dataclass
class _Cell:
    cell_type: str
    source: str
    id: str | None
    metadata: dict[str, Any]
    attachments: Any


def _cells(nb: dict[str, Any]) -> list[_Cell]:
    major = nb.get("nbformat", 4)
    if major == 3:
        raw = [c for ws in nb.get("worksheets", []) for c in ws.get("cells", [])]
    else:
        raw = nb.get("cells", [])
    out = []
    for cell in raw:
        cid = cell.get("id") if major == 4 else None
        out.append(
            _Cell(
                cell_type=str(cell.get("cell_type", "?")),
                source=source_text(cell, major),
                id=cid if isinstance(cid, str) else None,
                metadata=cell.get("metadata") or {},
                attachments=cell.get("attachments"),
            )
        )
    return out


def _match(old: list[_Cell], new: list[_Cell]) -> tuple[list[tuple[int, int]], Any]:
    """Pairs (old index, new index) sorted by old index, and how they were found."""
    pairs: list[tuple[int, int]] = []
    new_by_id: dict[str, int] = {}
    for n, cell in enumerate(new):
        if cell.id is not None:
            new_by_id.setdefault(cell.id, n)
    used_new: set[int] = set()
    for o, cell in enumerate(old):
        if cell.id is not None and cell.id in new_by_id and new_by_id[cell.id] not in used_new:
            n = new_by_id[cell.id]
            pairs.append((o, n))
            used_new.add(n)
    by_id = len(pairs)
    left_old = [o for o in range(len(old)) if o not in {p[0] for p in pairs}]
    left_new = [n for n in range(len(new)) if n not in used_new]

    def eligible(o: int, n: int) -> bool:
        return old[o].id is None or new[n].id is None

    # 1. identical type and source, in order
    exact: dict[tuple[str, str], list[int]] = {}
    for n in left_new:
        exact.setdefault((new[n].cell_type, new[n].source), []).append(n)
    still_old = []
    for o in left_old:
        candidates = exact.get((old[o].cell_type, old[o].source), [])
        pick = next((n for n in candidates if eligible(o, n)), None)
        if pick is None:
            still_old.append(o)
        else:
            candidates.remove(pick)
            pairs.append((o, pick))
            used_new.add(pick)
    still_new = [n for n in left_new if n not in used_new]
    # 2. most similar sources of the same type, best pairs first
    scored: list[tuple[float, int, int, int]] = []
    scale = len(still_new) / len(still_old) if still_old else 0.0
    for rank, o in enumerate(still_old):
        a = old[o].source
        centre = round(rank * scale)
        for n in still_new[max(0, centre - _SIMILARITY_WINDOW) : centre + _SIMILARITY_WINDOW + 1]:
            if new[n].cell_type != old[o].cell_type or not eligible(o, n):
                continue
            ratio = _similarity(a, new[n].source)
            if ratio >= SIMILARITY_THRESHOLD:
                scored.append((-ratio, abs(o - n), o, n))
    scored.sort()
    taken_old: set[int] = set()
    for _, _, o, n in scored:
        if o in taken_old or n in used_new:
            continue
        pairs.append((o, n))
        taken_old.add(o)
        used_new.add(n)
    pairs.sort()
    by_content = len(pairs) - by_id
    if by_id and by_content:
        method = "mixed"
    elif by_id:
        method = "id"
    elif by_content:
        method = "content"
    else:
        method = "none"
    return pairs, method


def _similarity(a: str, b: str) -> float:
    if a == b:
        return 1.0
    a_lines, b_lines = a.splitlines(), b.splitlines()
    short = len(a) + len(b) <= _CHAR_COMPARE_LIMIT
    few_lines = len(a_lines) <= 2 and len(b_lines) <= 2 and len(a) + len(b) <= 2000
    if short or few_lines:
        matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    else:
        matcher = difflib.SequenceMatcher(None, a_lines, b_lines, autojunk=False)
    if matcher.real_quick_ratio() < SIMILARITY_THRESHOLD:
        return 0.0
    if matcher.quick_ratio() < SIMILARITY_THRESHOLD:
        return 0.0
    return matcher.ratio()


def _moved_pairs(pairs: list[tuple[int, int]]) -> set[tuple[int, int]]:
    """Pairs outside a longest increasing run of new indices (pairs sorted by old)."""
    if not pairs:
        return set()
    news = [n for _, n in pairs]
    tails: list[int] = []  # tails[k]: index into news of the smallest tail of a run of k+1
    tail_values: list[int] = []
    prev = [-1] * len(news)
    for i, value in enumerate(news):
        k = bisect.bisect_left(tail_values, value)
        if k > 0:
            prev[i] = tails[k - 1]
        if k == len(tails):
            tails.append(i)
            tail_values.append(value)
        else:
            tails[k] = i
            tail_values[k] = value
    keep: set[int] = set()
    i = tails[-1] if tails else -1
    while i != -1:
        keep.add(i)
        i = prev[i]
    return {pair for i, pair in enumerate(pairs) if i not in keep}


def _compare(old: _Cell, new: _Cell, moved: bool) -> CellDiff:
    source_changed = old.source != new.source
    type_changed = old.cell_type != new.cell_type
    attachments_changed = (old.attachments or {}) != (new.attachments or {})
    metadata_changed = _dict_changes(old.metadata, new.metadata)
    modified = source_changed or type_changed or attachments_changed or bool(metadata_changed)
    status: Status = "modified" if modified else ("moved" if moved else "unchanged")
    return CellDiff(
        status=status,
        cell_type=new.cell_type,
        old_index=None,
        new_index=None,
        cell_id=new.id if new.id is not None else old.id,
        old_cell_type=old.cell_type if type_changed else None,
        moved=moved,
        source_changed=source_changed,
        metadata_changed=metadata_changed,
        attachments_changed=attachments_changed,
        source_diff=_lines_diff(old.source, new.source) if source_changed else [],
    )


def _dict_changes(old: Any, new: Any, prefix: str = "", depth: int = 3) -> list[str]:
    """Sorted dotted paths whose values differ (recursing ``depth`` levels into dicts)."""
    if not isinstance(old, dict) or not isinstance(new, dict):
        return [prefix] if old != new and prefix else []
    changes: list[str] = []
    for key in sorted(set(old) | set(new), key=str):
        path = f"{prefix}.{key}" if prefix else str(key)
        if key not in old or key not in new:
            changes.append(path)
        elif old[key] != new[key]:
            if depth > 1 and isinstance(old[key], dict) and isinstance(new[key], dict):
                changes.extend(_dict_changes(old[key], new[key], path, depth - 1))
            else:
                changes.append(path)
    return changes


def _lines_diff(old: str, new: str) -> list[str]:
    a = old.splitlines(True)
    b = new.splitlines(True)
    if not a or not b:  # added or removed cell: the whole source
        sign = "+" if b else "-"
        return [sign + _strip_eol(line) for line in (b or a)]
    ending_differs = a[-1].endswith(("\n", "\r")) != b[-1].endswith(("\n", "\r"))
    out: list[str] = []
    lines = difflib.unified_diff(a, b, n=3, lineterm="\n")
    # The two file headers come first, once; after them a line beginning with
    # "---" or "+++" is a removed "--…" or an added "++…" line, and stays.
    for line in itertools.islice(lines, 2, None):
        stripped = _strip_eol(line)
        out.append(stripped)
        if ending_differs and stripped == line and not line.startswith("@@"):
            out.append("\\ No newline at end of cell")
    return out


def _strip_eol(line: str) -> str:
    if line.endswith("\r\n"):
        return line[:-2]
    if line.endswith(("\n", "\r")):
        return line[:-1]
    return line


def _header(cell: CellDiff) -> str:
    kind = cell.cell_type
    if cell.old_cell_type:
        kind = f"{cell.old_cell_type} -> {cell.cell_type}"
    if cell.status == "removed":
        return f"## cell {cell.old_index} ({kind}) removed"
    if cell.status == "added":
        return f"## cell {cell.new_index} ({kind}) added"
    if cell.status == "moved":
        return f"## cell {cell.old_index} -> {cell.new_index} ({kind}) moved"
    where = f"{cell.new_index}"
    if cell.old_index != cell.new_index:
        where = f"{cell.old_index} -> {cell.new_index}"
    notes = []
    if cell.moved:
        notes.append("moved")
    if cell.metadata_changed:
        notes.append("metadata: " + ", ".join(cell.metadata_changed))
    if cell.attachments_changed:
        notes.append("attachments")
    if cell.metadata_only:
        notes.insert(0, "metadata only")
    suffix = f" [{'; '.join(notes)}]" if notes else ""
    return f"## cell {where} ({kind}) modified{suffix}"


def _as_text(value: bytes | str | dict[str, Any]) -> str:
    if isinstance(value, dict):
        # the raw form of a dict is its normalized serialization
        check_notebook(value)
        return dumps_notebook(copy.deepcopy(value))
    if isinstance(value, (bytes, bytearray)):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            parse_notebook(value)  # raises a clear NotebookInvalid
            raise
    return value


def _cell_dict(cell: CellDiff) -> dict[str, Any]:
    data = asdict(cell) | {"metadata_only": cell.metadata_only}
    if cell.old_source is None and cell.new_source is None:
        del data["old_source"], data["new_source"]
    return data


def _cleaned(value: bytes | str | None, config: CleanConfig | None) -> dict[str, Any] | None:
    if value is None:
        return None
    nb, _ = clean_notebook(parse_notebook(value), config, in_place=True)
    return nb
