"""Hidden snapshot commits of the working copy, for MLflow runs (DESIGN invariant 3).

:func:`snapshot_worktree` records "the code that ran" — the tracked files as
they are on disk plus the notebook, cleaned — as a commit whose parent is
HEAD, reachable only from ``refs/repro/snapshots/<HEAD>/<tree>``. It builds
the tree in a *temporary* index inside the git directory, so HEAD, the
branch, the real index (byte for byte) and the working copy are never
touched; hidden refs are not pushed or shown by ``git log --all``-less tools,
and they keep the snapshot safe from ``git gc``.

How the tree is built
    The real index is copied (keeping git's stat cache, so only files that
    changed on disk are re-hashed even in a 20,000-file repository; files
    staged with ``git add`` count as tracked), ``git add --update`` brings
    every tracked file except the notebook to its working-copy content, and
    the notebook's entry is set to its cleaned text. When the cleaned
    notebook equals the cleaned HEAD version (an output-only change), HEAD's
    blob is kept, so such a change does not make the state dirty. Untracked
    files other than the notebook are not included.

Dirty and reuse
    The state is *dirty* when that tree differs from HEAD's; only then is a
    commit made. The ref name holds HEAD and the tree, so the same dirty
    state on the same HEAD reuses the existing snapshot commit.

Repository without commits
    A parentless snapshot is made (ref ``refs/repro/snapshots/unborn/<tree>``):
    a run started before the first commit still knows its code.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import os
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Any

from ..deadline import Deadline
from ..errors import (
    ConfigInvalid,
    GitError,
    NotebookInvalid,
    RefMoved,
    SnapshotError,
    UnsafeFile,
)
from ..files import read_file
from ..git.objects import make_commit, staging, write_blob
from ..git.refs import commit_on_ref, snapshot_ref
from ..git.revisions import head_state, read_blob, tree_entry
from ..git.runner import Git
from ..notebook.clean import CleanConfig, clean_parsed, clean_text, parse_for_clean
from .executed_cells import ExecutedNotebook, Execution, as_executed

log = logging.getLogger(__name__)

#: Seconds all git calls of one snapshot may take when the caller gives no deadline.
SNAPSHOT_TIMEOUT = 20.0

#: Seconds a run that would record unsaved code waits for a save in flight:
#: the lab saves a notebook when its cells are scheduled (``saveBeforeRun``),
#: and a kernel with everything imported can reach ``start_run`` first.
SAVE_GRACE = 0.5
_SAVE_POLL = 0.02


@dataclass(frozen=True)
class HiddenSnapshot:
    """The commit recording the current state of the working copy.

    When the state is clean (``dirty`` false) no snapshot is made: ``commit``
    is HEAD and ``ref`` is ``None``.
    """

    commit: str
    ref: str | None
    reused: bool
    dirty: bool
    head: str | None  # None in a repository without commits
    tree: str
    branch: str | None = None  # short name; None when HEAD is detached
    #: What the kernel ran that the saved notebook lacks (``None``: not asked).
    executed: ExecutedNotebook | None = None

    @property
    def unsaved(self) -> bool:
        """Cells ran with sources the saved notebook does not have."""
        return self.executed is not None and self.executed.unsaved


def snapshot_worktree(
    repo_root: str | os.PathLike[str],
    notebook_rel: str,
    *,
    clean_config: CleanConfig | None = None,
    deadline: Deadline | None = None,
    executions: list[Execution] | None = None,
) -> HiddenSnapshot:
    """Record the working copy (tracked files + cleaned notebook) on a hidden ref.

    Parameters
    ----------
    repo_root
        Top-level directory of the repository.
    notebook_rel
        The notebook's path relative to ``repo_root`` (``/``-separated).
    clean_config
        Cleaning rules; by default the repository's own (``commit.rules``).
    deadline
        Shared by every git call (default :data:`SNAPSHOT_TIMEOUT`).
    executions
        What the kernel executed (:mod:`~jupyterlab_repro.kernel.executed_cells`):
        the notebook is recorded *as executed* (unsaved edits, cells run and
        deleted, cells not saved yet), and ``executed`` says what differed.

    Raises
    ------
    SnapshotError
        HEAD cannot be read, the notebook is missing or not a valid notebook,
        or git failed (or ran out of time). Nothing was changed.
    """
    root = Path(repo_root)
    rel = _check_relative(notebook_rel)
    config = clean_config if clean_config is not None else _repo_clean_config(root)
    executed: ExecutedNotebook | None = None
    if rel.lower().endswith(".ipynb"):
        if executions:
            nb, executed = _as_executed(root, rel, config, executions)
        else:
            nb = _parsed_notebook(root, rel, config)
        cleaned = clean_parsed(nb, config).encode("utf-8")
    else:  # Jupytext .py/.md: committed as it is
        cleaned = _read(root, rel)
    git = Git(root, deadline or Deadline(SNAPSHOT_TIMEOUT, "the run's snapshot"))
    try:
        return replace(_snapshot(git, rel, cleaned, config), executed=executed)
    except GitError as exc:
        raise SnapshotError(f"Cannot snapshot {rel}: {exc}") from exc


def _snapshot(git: Git, rel: str, cleaned: bytes, config: CleanConfig) -> HiddenSnapshot:
    info = head_state(git)
    head = info.commit

    blob = write_blob(git, cleaned)
    # HEAD's mode is kept (the executable bit on disk is unreliable on mounted volumes).
    mode = "100644"
    if head is not None:
        entry = tree_entry(git, head, rel)
        if entry is not None:
            mode, head_blob = entry
            if head_blob != blob and (
                _cleaned_digest(git, rel, head_blob, config) == _digest(cleaned)
                or _same_but_kernel_facts(git, rel, head_blob, cleaned, config)
            ):
                blob = head_blob  # only outputs/noise differ from HEAD: not a change

    with staging(git, info.index.parent, copy_of=info.index) as staged:
        if not staged.path.is_file() and head is not None:
            staged.read_tree(head)
        staged.update_tracked(except_path=rel)
        staged.set_entries([(mode, blob, rel)])
        tree = staged.write_tree()

    if head is not None and tree == info.tree:
        return HiddenSnapshot(
            head, None, reused=False, dirty=False, head=head, tree=tree, branch=info.branch
        )

    ref = snapshot_ref(head, tree)
    existing = commit_on_ref(git, ref, tree)
    if existing is not None:
        return HiddenSnapshot(
            existing, ref, reused=True, dirty=True, head=head, tree=tree, branch=info.branch
        )

    try:
        commit = make_commit(
            git,
            tree,
            [head] if head is not None else [],
            f"repro snapshot of {rel}",
            ref=ref,
            old=None,
            reason=f"repro: snapshot of {rel}",
        )
    except RefMoved:
        # Another process made the same snapshot a moment ago: use its commit.
        existing = commit_on_ref(git, ref, tree)
        if existing is None:
            raise
        return HiddenSnapshot(
            existing, ref, reused=True, dirty=True, head=head, tree=tree, branch=info.branch
        )
    log.debug("snapshot %s of %s on %s", commit, rel, ref)
    return HiddenSnapshot(
        commit, ref, reused=False, dirty=True, head=head, tree=tree, branch=info.branch
    )


def _as_executed(
    root: Path, rel: str, config: CleanConfig, executions: list[Execution]
) -> tuple[dict[str, Any], ExecutedNotebook]:
    """The notebook as executed; when that differs from the file, after a save in flight lands.

    Waits at most :data:`SAVE_GRACE` for the file to change, and only when
    the executed sources differ from it (a sweep of runs in one cell pays it
    once: the snapshot is reused).
    """
    path = root.joinpath(*PurePosixPath(rel).parts)
    stamp = _stamp(path)
    nb = _parsed_notebook(root, rel, config)
    executed = as_executed(nb, executions)
    end = time.monotonic() + SAVE_GRACE
    while executed.unsaved and time.monotonic() < end:
        time.sleep(_SAVE_POLL)
        now = _stamp(path)
        if now == stamp:
            continue
        stamp = now
        try:
            fresh = _parsed_notebook(root, rel, config)
        except SnapshotError:
            continue  # read while it was being written: the next change completes it
        nb, executed = fresh, as_executed(fresh, executions)
    return nb, executed


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def _check_relative(notebook_rel: str) -> str:
    rel = str(notebook_rel).replace("\\", "/")
    parts = PurePosixPath(rel).parts
    if (
        not rel
        or "\x00" in rel
        or rel.startswith("/")
        or PurePosixPath(rel).is_absolute()
        or any(p in ("..", ".") for p in parts)
        or (parts and parts[0] == ".git")
    ):
        raise SnapshotError(f"Not a path inside the repository: {notebook_rel!r}")
    return PurePosixPath(*parts).as_posix()


def _repo_clean_config(root: Path) -> CleanConfig:
    try:
        from ..commit.rules import load_repo_config

        return load_repo_config(root).clean
    except (ConfigInvalid, ImportError) as exc:  # ImportError: no tomli on Python 3.10
        log.warning("ignoring the repository's cleaning rules (%s); using the defaults", exc)
        return CleanConfig()


def prewarm(repo_root: str | os.PathLike[str], notebook_rel: str) -> None:
    """Pay now (beside ``import mlflow``) what the first snapshot would pay.

    Parses the notebook (kept while its file does not change) and cleans
    HEAD's version of it (the digest is kept: blobs never change), so the
    first ``start_run`` of a large notebook neither reads nor parses it.
    """
    root = Path(repo_root)
    rel = _check_relative(notebook_rel)
    if not rel.lower().endswith(".ipynb"):
        return
    config = _repo_clean_config(root)
    _parsed_notebook(root, rel, config)
    git = Git(root, Deadline(SNAPSHOT_TIMEOUT, "pre-warming the run's snapshot"))
    head = head_state(git).commit
    entry = tree_entry(git, head, rel) if head is not None else None
    if entry is not None:
        _cleaned_digest(git, rel, entry[1], config)


#: Seconds a read waits for a save in progress to finish (see :func:`_read`).
SAVE_WAIT = 2.0
#: A save's backup older than this (by its ctime) is a leftover, not a save in progress.
_STALE_BACKUP = 30.0


def _read(root: Path, rel: str) -> bytes:
    """The file's bytes, once a Jupyter save in progress has finished.

    jupyter_server saves a notebook in place (``atomic_writing`` keeps the old
    bytes in ``.~<name>`` beside it while it writes), so a run started right
    as the lab saves (save before run, autosave) could read half a notebook.
    While that backup exists and is fresh, or the JSON visibly stops short,
    the read waits (at most :data:`SAVE_WAIT`) and reads again.
    """
    path = root.joinpath(*PurePosixPath(rel).parts)
    notebook = rel.lower().endswith(".ipynb")
    until = time.monotonic() + SAVE_WAIT
    while True:
        try:
            data = read_file(path, within=root)
        except (OSError, UnsafeFile) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            raise SnapshotError(f"Cannot read the notebook {rel}: {reason}") from exc
        if not notebook or not _being_saved(path, data) or time.monotonic() >= until:
            return data
        time.sleep(0.01)


def _being_saved(path: Path, data: bytes) -> bool:
    """Whether a Jupyter save of ``path`` is under way (or ``data`` is cut short)."""
    if not data.rstrip().endswith(b"}"):
        return True
    try:
        backup = os.lstat(path.with_name(".~" + path.name))
    except OSError:
        return False
    return time.time() - backup.st_ctime < _STALE_BACKUP


class _ParsedNotebooks:
    """Parsed notebooks (outputs stubbed) by path, kept while the file's stat is the same.

    A 50 MB notebook parses in ~70 ms; its parse without the dropped outputs
    is a few hundred kB. Bounded; the oldest entries go first.
    """

    def __init__(self, size: int = 4) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[tuple[Any, ...], dict[str, Any]]] = {}

    def get(self, path: str, key: tuple[Any, ...]) -> dict[str, Any] | None:
        with self._lock:
            found = self._entries.get(path)
        return copy.deepcopy(found[1]) if found is not None and found[0] == key else None

    def put(self, path: str, key: tuple[Any, ...], nb: dict[str, Any]) -> None:
        with self._lock:
            self._entries.pop(path, None)
            if len(self._entries) >= self._size:
                self._entries.pop(next(iter(self._entries)))
            self._entries[path] = (key, copy.deepcopy(nb))


_PARSED = _ParsedNotebooks()


def _parsed_notebook(root: Path, rel: str, config: CleanConfig) -> dict[str, Any]:
    """The notebook parsed for cleaning, from the cache when its file has not changed."""
    path = root.joinpath(*PurePosixPath(rel).parts)
    try:
        st = os.lstat(path)
        key: tuple[Any, ...] | None = (
            st.st_mtime_ns,
            st.st_size,
            st.st_ino,
            st.st_ctime_ns,
            config,
        )
    except OSError:
        key = None
    if key is not None:
        cached = _PARSED.get(str(path), key)
        if cached is not None:
            return cached
    data = _read(root, rel)
    try:
        nb = parse_for_clean(data, config)
    except NotebookInvalid as exc:
        raise SnapshotError(f"{rel}: {exc}") from exc
    if key is not None:
        _PARSED.put(str(path), key, nb)
    return nb


def _clean_notebook_bytes(rel: str, data: bytes, config: CleanConfig) -> bytes:
    """Cleaned ``.ipynb`` bytes; other files (Jupytext ``.py``/``.md``) unchanged."""
    if not rel.lower().endswith(".ipynb"):
        return data
    try:
        text, _report = clean_text(data, config)
    except NotebookInvalid as exc:
        raise SnapshotError(f"{rel}: {exc}") from exc
    return text.encode("utf-8")


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class _CleanedBlobCache:
    """Digest of the cleaned text of a blob, per (blob id, rules): blobs never change.

    Spares reading and cleaning HEAD's notebook again on every run of a
    dirty notebook. Bounded; the oldest entries go first.
    """

    def __init__(self, size: int = 64) -> None:
        self._size = size
        self._entries: dict[tuple[str, str, CleanConfig], str] = {}

    def get(self, key: tuple[str, str, CleanConfig]) -> str | None:
        return self._entries.get(key)

    def put(self, key: tuple[str, str, CleanConfig], digest: str) -> None:
        if len(self._entries) >= self._size:
            self._entries.pop(next(iter(self._entries)))
        self._entries[key] = digest


_CLEANED_BLOBS = _CleanedBlobCache()


def _cleaned_digest(git: Git, rel: str, blob: str, config: CleanConfig) -> str | None:
    """Digest of ``blob`` cleaned as ``rel``; ``None`` when it is not a valid notebook."""
    key = (blob, "ipynb" if rel.lower().endswith(".ipynb") else "raw", config)
    digest = _CLEANED_BLOBS.get(key)
    if digest is None:
        try:
            text = _clean_notebook_bytes(rel, read_blob(git, blob), config)
            digest = _digest(text)
            # What _same_but_kernel_facts needs to know of it, without reading it again.
            _HEAD_FACTS[key] = (b'"language_info"' in text, len(text))
            while len(_HEAD_FACTS) > 64:
                _HEAD_FACTS.pop(next(iter(_HEAD_FACTS)))
        except SnapshotError:
            digest = ""  # not a notebook: differs from any cleaned one
        _CLEANED_BLOBS.put(key, digest)
    return digest or None


#: Per cleaned blob (as keyed in _CLEANED_BLOBS): whether it has
#: ``language_info``, and its length.
_HEAD_FACTS: dict[tuple[str, str, CleanConfig], tuple[bool, int]] = {}


#: Cleaned notebooks larger than this are not compared key by key (see below).
_KERNEL_FACTS_LIMIT = 4 * 1024 * 1024
#: How much longer ``language_info`` with its name makes a cleaned notebook, at most.
_KERNEL_FACTS_BYTES = 512


def _same_but_kernel_facts(
    git: Git, rel: str, head_blob: str, cleaned: bytes, config: CleanConfig
) -> bool:
    """Whether the cleaned notebook equals HEAD's but for ``metadata.language_info``.

    The lab writes ``language_info`` (what the kernel said it is) into a
    notebook once a kernel starts, so a notebook committed before it ever ran
    would otherwise make its first run "uncommitted changes". It describes
    the kernel, not the code. Only notebooks that mention it, and whose
    cleaned text (no outputs) is small, are compared.
    """
    if not rel.lower().endswith(".ipynb") or len(cleaned) > _KERNEL_FACTS_LIMIT:
        return False
    facts = _HEAD_FACTS.get((head_blob, "ipynb", config))
    if facts is None:
        return False
    head_has_it, head_length = facts
    # Only HEAD without it and ours with it, a few bytes longer, can be this
    # case; anything else is a real change (and costs nothing more here).
    if head_has_it or not 0 < len(cleaned) - head_length <= _KERNEL_FACTS_BYTES:
        return False
    if b'"language_info"' not in cleaned:
        return False
    try:
        ours = json.loads(cleaned)
        theirs = json.loads(_clean_notebook_bytes(rel, read_blob(git, head_blob), config))
    except (SnapshotError, GitError, ValueError):
        return False
    if not isinstance(ours, dict) or not isinstance(theirs, dict):
        return False
    for nb in (ours, theirs):
        metadata = nb.get("metadata")
        if isinstance(metadata, dict):
            metadata.pop("language_info", None)
    return bool(ours == theirs)
