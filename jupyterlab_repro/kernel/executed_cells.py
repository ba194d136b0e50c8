"""The code that actually ran in this kernel, cell by cell (DESIGN invariant 3).

The kernel runs what is in the browser, not what is on disk: an unsaved
edit, a cell run and then deleted, a cell not saved yet. :class:`ExecutedCells`
listens to IPython's ``pre_run_cell`` event (its ``raw_cell`` and, from
JupyterLab through ipykernel, the ``cell_id``) from the moment the plugin
loads, and reads IPython's input history for what ran before (sources
without ids).

:func:`as_executed` turns the notebook on disk into the notebook *as
executed*: each executed cell's source replaces the saved one, cells that ran
but are not in the file are added after the cell that ran before them, and
the order in which cells last ran is kept. An execution is matched to a
saved cell by its id, else by an equal source; one without an id (IPython's
history of what ran before the plugin loaded) also by the most similar
source (``difflib`` ratio ≥ :data:`SIMILARITY`) that no later execution
claimed. Only executions with an id become cells of their own: input without
one, once the front end has sent ids, came from a console attached to the
kernel. Import-light: the kernel plugin loads it on every ``import mlflow``.
"""

from __future__ import annotations

import difflib
import hashlib
import logging
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from ..tags import ran_out_of_order

log = logging.getLogger(__name__)

#: Lowest ``SequenceMatcher.ratio()`` for an executed source to count as an edit of a saved cell.
SIMILARITY = 0.6
#: Seconds :func:`as_executed` may spend comparing sources for similarity; past it, an
#: execution no saved cell equals is a new cell (with an id) or left out (without one).
SIMILARITY_BUDGET = 0.1
#: Longest source (characters) compared for similarity: a pasted data cell is matched
#: only when equal.
SIMILAR_MAX_CHARS = 20_000
#: Executions remembered (the oldest are forgotten first).
MAX_EXECUTIONS = 5000

_CELL_ID_RE = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


@dataclass(frozen=True)
class Execution:
    """One cell execution: its order, the cell's id when the front end sent one, the source."""

    seq: int
    cell_id: str | None
    source: str
    from_history: bool = False


class ExecutedCells:
    """Everything a kernel has executed, for the run-context plugin.

    ``shell`` is the running ``InteractiveShell`` (``None``: nothing is
    recorded, e.g. a plain Python process).
    """

    def __init__(self, shell: Any) -> None:
        self._lock = threading.Lock()
        self._seq = 0
        self._timeline: list[Execution] = []
        self._shell = shell
        if shell is None:
            return
        self._read_history(shell)
        try:
            shell.events.register("pre_run_cell", self._pre_run_cell)
        except Exception as exc:  # an IPython without events: history only
            log.debug("cannot listen to pre_run_cell: %s", exc)

    def _next(self) -> int:
        self._seq += 1
        return self._seq

    def _read_history(self, shell: Any) -> None:
        """Sources run before the plugin loaded (IPython's ``In``; no cell ids)."""
        try:
            history = list(shell.history_manager.input_hist_raw)[1:]
        except Exception:
            return
        current = _current_cell_id(shell)
        for i, source in enumerate(history):
            if not isinstance(source, str) or not source.strip():
                continue
            cell_id = current if i == len(history) - 1 else None
            self._add(cell_id, source, from_history=True)

    def _pre_run_cell(self, info: Any) -> None:
        try:
            if getattr(info, "silent", False) or not getattr(info, "store_history", True):
                return
            source = getattr(info, "raw_cell", None)
            if not isinstance(source, str):
                return
            self._add(getattr(info, "cell_id", None), source)
        except Exception:  # never disturb the user's cell
            log.debug("recording an execution failed", exc_info=True)

    def _add(self, cell_id: object, source: str, *, from_history: bool = False) -> None:
        valid = cell_id if isinstance(cell_id, str) and _CELL_ID_RE.match(cell_id) else None
        with self._lock:
            self._timeline.append(Execution(self._next(), valid, source, from_history))
            del self._timeline[:-MAX_EXECUTIONS]

    def executions(self) -> list[Execution]:
        """Every execution remembered, oldest first."""
        with self._lock:
            return list(self._timeline)

    def digest(self) -> str:
        """A digest of :meth:`executions` (cache key: nothing ran since when it is equal)."""
        h = hashlib.sha256()
        for e in self.executions():
            h.update(f"{e.seq}\0{e.cell_id}\0".encode())
            h.update(e.source.encode("utf-8", "surrogatepass"))
            h.update(b"\0")
        return h.hexdigest()

    @property
    def execution_count(self) -> int | None:
        """IPython's current execution count (the cell being run), if there is a shell."""
        count = getattr(self._shell, "execution_count", None)
        return count if isinstance(count, int) else None


def _current_cell_id(shell: Any) -> str | None:
    """The id of the cell being executed, from the execute_request ipykernel is handling."""
    try:
        parent = shell.kernel.get_parent()
    except Exception:
        parent = getattr(shell, "parent_header", None)
    if not isinstance(parent, dict):
        return None
    cell_id = (parent.get("metadata") or {}).get("cellId")
    return cell_id if isinstance(cell_id, str) else None


@dataclass
class ExecutedNotebook:
    """What :func:`as_executed` did to a notebook."""

    #: Cells whose executed source differs from the saved one, or that are not saved at all.
    replaced: int = 0
    added: int = 0
    #: 1-based numbers of the cells (in the notebook as executed) in the order they last ran.
    order: list[int] = field(default_factory=list)

    @property
    def unsaved(self) -> bool:
        return bool(self.replaced or self.added)

    @property
    def out_of_order(self) -> bool:
        return ran_out_of_order(self.order)


def as_executed(nb: dict[str, Any], executions: list[Execution]) -> ExecutedNotebook:
    """Change the parsed notebook ``nb`` (nbformat 4, or 3) into the notebook as executed, in place.

    Executions with a cell id (JupyterLab sends one with every cell) are
    cells: matched by id; when the file has no ids (nbformat before 4.5, or
    3, not saved since the lab gave its cells ids), by an equal, else a
    similar source; else added as cells of their own. Every run of one id is
    the same cell, its latest run deciding which. Executions without an id
    are matched to a saved cell (an equal or similar source) or left out:
    they are what ran before the plugin loaded (IPython's history), or, once
    the front end has sent ids, input from a console attached to the kernel,
    which is not the notebook.
    """
    report = ExecutedNotebook()
    found = _cells(nb)
    if found is None or not executions:
        return report
    cells, key = found
    code = [i for i, c in enumerate(cells) if isinstance(c, dict) and c.get("cell_type") == "code"]
    by_id = {cells[i].get("id"): i for i in code if isinstance(cells[i].get("id"), str)}
    idless = {i for i in code if not isinstance(cells[i].get("id"), str)}
    sources = {i: _source(cells[i], key) for i in code}
    ids_seen = any(e.cell_id and not e.from_history for e in executions)
    executions = [e for e in executions if e.cell_id or e.from_history or not ids_seen]

    # 1. Which saved cell each execution was (the newest execution of a cell wins).
    until = time.monotonic() + SIMILARITY_BUDGET
    assigned: dict[int, Execution] = {}
    resolved: dict[str, int | None] = {}  # cell id → its saved cell, None: not saved
    new: list[Execution] = []
    for execution in sorted(executions, key=lambda e: e.seq, reverse=True):
        cell_id = execution.cell_id
        if cell_id is not None and cell_id in resolved:
            continue  # an older run of a cell its latest run placed
        index = by_id.get(cell_id) if cell_id else None
        if index is None:
            # Without an id, any saved cell; with one, only cells the file has no id for.
            unclaimed = [i for i in code if i not in assigned and (cell_id is None or i in idless)]
            # The last equal one: newest first, a top-to-bottom run meets the lowest first.
            index = max((i for i in unclaimed if _same(sources[i], execution)), default=None)
            if index is None:
                index = _most_similar(execution.source, unclaimed, sources, until)
        if cell_id is not None:
            resolved[cell_id] = index
        if index is not None:
            assigned.setdefault(index, execution)
        elif cell_id is not None:
            new.append(execution)

    # 2. Executed sources replace saved ones.
    for index, execution in assigned.items():
        if not _same(sources[index], execution):
            cells[index][key] = execution.source
            report.replaced += 1

    # 3. Cells not in the file go after the saved cell that ran just before them
    # (any run of it, not only its latest).
    final = {i: _source(cells[i], key) for i in code}
    saved_by_seq = []
    for e in executions:
        if e.cell_id is not None:
            index = resolved.get(e.cell_id)
        else:
            index = next((j for j in code if _same(final[j], e)), None)
        if index is not None:
            saved_by_seq.append((e.seq, index))
    saved_by_seq.sort()
    after: dict[int, list[tuple[int, dict[str, Any]]]] = {}
    minor = nb.get("nbformat_minor", 0) if nb.get("nbformat") == 4 else None
    for execution in new:
        before = [i for seq, i in saved_by_seq if seq < execution.seq]
        anchor = before[-1] if before else len(cells) - 1
        after.setdefault(anchor, []).append((execution.seq, _new_cell(execution, minor)))
    saved = list(cells)
    out: list[dict[str, Any]] = []
    for i, cell in enumerate(saved):
        out.append(cell)
        out.extend(c for _, c in sorted(after.get(i, []), key=lambda p: p[0]))
    out.extend(c for _, c in sorted(after.get(-1, []), key=lambda p: p[0]))  # empty notebook
    cells[:] = out
    report.added = len(new)

    # 4. The order cells last ran in, as 1-based numbers of the notebook as executed.
    position = {id(cell): n for n, cell in enumerate(out, start=1)}
    ran = [(e.seq, position[id(saved[i])]) for i, e in assigned.items()]
    ran += [(seq, position[id(cell)]) for pairs in after.values() for seq, cell in pairs]
    report.order = [n for _, n in sorted(ran)]
    return report


def _cells(nb: dict[str, Any]) -> tuple[list[Any], str] | None:
    """The notebook's cell list and the key of a cell's source, or ``None`` if unknown.

    nbformat 4 keeps ``cells[].source``; nbformat 3 ``worksheets[0].cells[].input``
    (JupyterLab shows it converted to 4, so that is what the kernel runs).
    """
    if nb.get("nbformat") == 4:
        cells = nb.get("cells")
        return (cells, "source") if isinstance(cells, list) else None
    if nb.get("nbformat") == 3:
        sheets = nb.get("worksheets")
        if isinstance(sheets, list) and sheets and isinstance(sheets[0], dict):
            cells = sheets[0].get("cells")
            return (cells, "input") if isinstance(cells, list) else None
    return None


def _same(saved: str, execution: Execution) -> bool:
    """Whether a saved cell's source is what ``execution`` ran.

    IPython's history keeps a cell without its trailing newlines, so those
    do not count for an execution read from it (a saved ``x = 1\n`` is
    what ran as ``x = 1``); what the front end sent is compared as it is.
    """
    if execution.from_history:
        return saved.rstrip("\n") == execution.source.rstrip("\n")
    return saved == execution.source


def _source(cell: dict[str, Any], key: str = "source") -> str:
    value = cell.get(key, "")
    return "".join(value) if isinstance(value, list) else str(value)


def _most_similar(
    source: str, candidates: list[int], sources: dict[int, str], until: float
) -> int | None:
    """The candidate whose source is most like ``source`` (ratio ≥ :data:`SIMILARITY`), if any.

    Branch and bound on difflib's cheap upper bounds (as in
    ``difflib.get_close_matches``): candidates are compared best bound
    first, and the search stops when no bound left can beat the best ratio
    found — an edited cell is usually found at the first comparison. Once
    the monotonic clock passes ``until`` nothing more is compared (what was
    not found by then is not found). Of equal ratios, the last cell wins.
    """
    if len(source) > SIMILAR_MAX_CHARS:
        return None
    matcher = difflib.SequenceMatcher(None, autojunk=False)
    matcher.set_seq2(source)  # the side difflib indexes, once
    bounds: list[tuple[float, int]] = []
    for i in candidates:
        if time.monotonic() > until:
            return None
        if len(sources[i]) > SIMILAR_MAX_CHARS:
            continue
        matcher.set_seq1(sources[i])
        if matcher.real_quick_ratio() >= SIMILARITY:
            bound = matcher.quick_ratio()
            if bound >= SIMILARITY:
                bounds.append((bound, i))
    bounds.sort(key=lambda pair: (-pair[0], -pair[1]))
    best, best_ratio = None, SIMILARITY
    for bound, i in bounds:
        if bound < best_ratio or time.monotonic() > until:
            break
        matcher.set_seq1(sources[i])
        ratio = matcher.ratio()
        if ratio > best_ratio or (ratio == best_ratio and (best is None or i > best)):
            best, best_ratio = i, ratio
    return best


def _new_cell(execution: Execution, minor: int | None) -> dict[str, Any]:
    """A code cell for ``execution``: nbformat 4 (``minor``, ids from 4.5) or 3 (``None``)."""
    if minor is None:
        return {
            "cell_type": "code",
            "collapsed": False,
            "input": execution.source,
            "language": "python",
            "metadata": {},
            "outputs": [],
        }
    cell: dict[str, Any] = {
        "cell_type": "code",
        "execution_count": None,
        "metadata": {},
        "outputs": [],
        "source": execution.source,
    }
    if minor >= 5:
        valid = execution.cell_id and _CELL_ID_RE.match(execution.cell_id)
        digest = hashlib.sha256(execution.source.encode("utf-8", "surrogatepass")).hexdigest()
        cell["id"] = execution.cell_id if valid else "repro-" + digest[:12]
    return cell
