"""Changed files of a repository, with an output-blind class for each notebook.

Each changed notebook is ``source`` (cleaning it gives a blob that differs
from HEAD: a snapshot would commit something), ``outputs-only`` (only what
cleaning removes changed: a snapshot commits nothing) or ``clean`` (byte
-identical to HEAD's blob). Classes are cached by (path, mtime, size, HEAD
blob), so a status poll re-reads only notebooks that changed since.
"""

from __future__ import annotations

import logging
import os
import stat
import threading
from collections import OrderedDict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..deadline import Deadline
from ..errors import ReproError
from ..files import is_within, read_file, realpath
from ..git.lfs import lfs_tracked
from ..git.repository import require_repository
from ..git.revisions import read_blob, tree_blobs
from ..git.runner import Git
from ..git.status import parse_porcelain_v2, porcelain_status
from ..notebook.diff import classify
from . import guardrails
from .rules import RepoConfig, load_repo_config

log = logging.getLogger(__name__)


class ClassificationCache:
    """A small thread-safe LRU of notebook classes, owned by its user (server or CLI)."""

    def __init__(self, max_entries: int = 4096) -> None:
        self._data: OrderedDict[tuple[Any, ...], str] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_entries
        self.hits = 0
        self.misses = 0

    def get(self, key: tuple[Any, ...]) -> str | None:
        with self._lock:
            value = self._data.get(key)
            if value is None:
                self.misses += 1
            else:
                self.hits += 1
                self._data.move_to_end(key)
            return value

    def put(self, key: tuple[Any, ...], value: str) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self._max:
                self._data.popitem(last=False)


@dataclass
class ChangedFile:
    path: str  # relative to the repository
    state: str  # modified / added / deleted / renamed / untracked / conflicted
    staged: bool
    notebook: bool
    classification: str | None  # notebooks: source / outputs-only / clean / invalid
    size: int | None
    violation: dict[str, Any] | None  # the guardrail it would break, if any
    error: str | None = None
    orig_path: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ChangesReport:
    root: Path
    files: list[ChangedFile]
    config: RepoConfig
    #: The repository's top lies above the server root: only files below it are listed.
    above_root: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "root": str(self.root),
            "files": [f.as_dict() for f in self.files],
            "max_file_mb": self.config.max_file_mb,
            "above_root": self.above_root,
        }


#: Seconds listing the changes may take when the caller gives no deadline.
CHANGES_TIMEOUT = 30.0


def list_changes(
    path: str | os.PathLike[str],
    *,
    cache: ClassificationCache | None = None,
    deadline: Deadline | None = None,
    within: Path | None = None,
) -> ChangesReport:
    """Changed files of the repository containing ``path``.

    Untracked folders are expanded to their files (ignored files stay out).
    With ``within`` (the server root) inside the repository, only files below
    it are listed (``above_root`` is then true). Files are looked at without
    following symlinks, and read through the file door (a FIFO is reported
    as ``invalid``, never read). All git calls share ``deadline``.
    """
    deadline = deadline or Deadline(CHANGES_TIMEOUT, "listing the changes")
    root = require_repository(path, deadline=deadline)
    git = Git(root, deadline)
    config = load_repo_config(root)
    _, entries = parse_porcelain_v2(porcelain_status(git))
    above_root = False
    if within is not None and not is_within(root, within):
        above_root = True
        inside = Path(realpath(within)).relative_to(root).as_posix() + "/"
        entries = [e for e in entries if e.path.startswith(inside)]
    notebooks = [
        e.path
        for e in entries
        if e.path.endswith(".ipynb") and e.kind in ("changed", "renamed", "untracked")
    ]
    # A renamed notebook is compared with the blob it was renamed from.
    renamed_from = {
        e.path: e.orig_path
        for e in entries
        if e.kind == "renamed" and e.orig_path and e.path.endswith(".ipynb")
    }
    head_blobs = tree_blobs(git, "HEAD", [*notebooks, *renamed_from.values()])
    stats: dict[str, os.stat_result | None] = {}
    for entry in entries:
        try:
            stats[entry.path] = os.lstat(root / entry.path)
        except OSError:
            stats[entry.path] = None
    lfs = lfs_tracked(
        git,
        [e.path for e in entries if stats[e.path] is not None and not e.path.endswith(".ipynb")],
    )
    files: list[ChangedFile] = []
    for entry in entries:
        full = root / entry.path
        st = stats[entry.path]
        size = st.st_size if st else None
        is_nb = entry.path.endswith(".ipynb")
        violation = None
        if size is not None and not is_nb:
            found = guardrails.check_path(
                entry.path, size, max_file_mb=config.max_file_mb, lfs=entry.path in lfs
            )
            violation = found.as_dict() if found else None
        elif size is not None:
            found = guardrails.check_path(entry.path, 0, max_file_mb=config.max_file_mb)
            violation = found.as_dict() if found else None
        classification = error = None
        if is_nb and st is not None and stat.S_ISLNK(st.st_mode):
            pass  # committed as a link: its target is not read
        elif is_nb and st is not None and entry.kind != "conflicted":
            blob = head_blobs.get(entry.path)
            if blob is None and entry.path in renamed_from:
                blob = head_blobs.get(renamed_from[entry.path])
            key = (str(full), st.st_mtime_ns, st.st_size, blob, config.clean)
            classification = cache.get(key) if cache else None
            if classification is None:
                try:
                    head_text = read_blob(git, blob) if blob else None
                    data = read_file(full, within=root)
                    classification = classify(data, head_text, config.clean)
                except ReproError as exc:
                    classification, error = "invalid", str(exc)
                if cache is not None and error is None:
                    cache.put(key, classification)
        files.append(
            ChangedFile(
                path=entry.path,
                state=entry.state,
                staged=entry.staged,
                notebook=is_nb,
                classification=classification,
                size=size,
                violation=violation,
                error=error,
                orig_path=entry.orig_path,
            )
        )
    return ChangesReport(root=root, files=files, config=config, above_root=above_root)


def refine_file_state(
    report: dict[str, Any],
    target: Path,
    *,
    cache: ClassificationCache | None = None,
    deadline: Deadline | None = None,
) -> dict[str, Any]:
    """A status report whose notebook ``file_state`` says ``outputs-only`` when that is all.

    git calls a notebook "modified" when its outputs alone changed (a run, or
    the ``language_info`` the lab writes once a kernel starts); a snapshot
    would commit nothing for it. One ``git status`` of that file and, unless
    ``cache`` knows it, one read of it and of HEAD's blob. Anything that
    cannot be read leaves ``modified``.
    """
    repo = report.get("repository")
    if (
        not repo
        or repo.get("file_state") != "modified"
        or not target.name.lower().endswith(".ipynb")
    ):
        return report
    try:
        if classify_notebook(target, cache=cache, deadline=deadline) in ("outputs-only", "clean"):
            repo["file_state"] = "outputs-only"
    except ReproError as exc:
        log.info("%s stays 'modified': %s", target.name, exc)
    return report


def classify_notebook(
    target: Path, *, cache: ClassificationCache | None = None, deadline: Deadline | None = None
) -> str | None:
    """The output-blind class of one changed notebook (``None``: not a changed tracked file)."""
    deadline = deadline or Deadline(CHANGES_TIMEOUT, "classifying the notebook")
    root = require_repository(target.parent, deadline=deadline)
    git = Git(root, deadline)
    rel = Path(realpath(target)).relative_to(root).as_posix()
    _, entries = parse_porcelain_v2(porcelain_status(git, [rel], untracked="no"))
    entry = next((e for e in entries if e.path == rel and e.kind == "changed"), None)
    if entry is None or entry.head_blob is None:
        return None
    st = os.lstat(target)
    if not stat.S_ISREG(st.st_mode):
        return None
    config = load_repo_config(root)
    key = (str(root / rel), st.st_mtime_ns, st.st_size, entry.head_blob, config.clean)
    found = cache.get(key) if cache else None
    if found is None:
        found = classify(
            read_file(root / rel, within=root), read_blob(git, entry.head_blob), config.clean
        )
        if cache is not None:
            cache.put(key, found)
    return found
