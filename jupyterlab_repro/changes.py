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
import threading
from collections import OrderedDict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from . import guardrails
from .errors import InvalidRequest, ReproError
from .fileio import atomic_write
from .nbdiff import classify
from .repo_config import RepoConfig, load_repo_config
from .vcs import parse_porcelain_v2, require_repository, run_git

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

    def as_dict(self) -> dict[str, Any]:
        return {
            "root": str(self.root),
            "files": [f.as_dict() for f in self.files],
            "max_file_mb": self.config.max_file_mb,
        }


def list_changes(
    path: str | os.PathLike[str],
    *,
    cache: ClassificationCache | None = None,
    timeout: float = 30.0,
) -> ChangesReport:
    """Changed files of the repository containing ``path``.

    Untracked folders are expanded to their files (ignored files stay out).
    """
    root = require_repository(path)
    config = load_repo_config(root)
    proc = run_git(
        ["status", "--porcelain=v2", "-z", "--untracked-files=all"],
        root,
        timeout=timeout,
        read_only=True,
    )
    _, entries = parse_porcelain_v2(proc.stdout)
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
    head_blobs = _head_blobs(root, [*notebooks, *renamed_from.values()], timeout)
    stats: dict[str, os.stat_result | None] = {}
    for entry in entries:
        try:
            stats[entry.path] = (root / entry.path).stat()
        except OSError:
            stats[entry.path] = None
    lfs = guardrails.lfs_tracked(
        root,
        [e.path for e in entries if stats[e.path] is not None and not e.path.endswith(".ipynb")],
        timeout=timeout,
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
        if is_nb and st is not None and entry.kind != "conflicted":
            blob = head_blobs.get(entry.path)
            if blob is None and entry.path in renamed_from:
                blob = head_blobs.get(renamed_from[entry.path])
            key = (str(full), st.st_mtime_ns, st.st_size, blob, config.clean)
            classification = cache.get(key) if cache else None
            if classification is None:
                try:
                    head_text = _blob_text(root, blob, timeout) if blob else None
                    classification = classify(full.read_bytes(), head_text, config.clean)
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
    return ChangesReport(root=root, files=files, config=config)


def _head_blobs(root: Path, paths: list[str], timeout: float) -> dict[str, str]:
    """Blob ids of ``paths`` in HEAD (one ``ls-tree`` call); absent paths are left out."""
    if not paths:
        return {}
    try:
        out = run_git(
            ["ls-tree", "-z", "HEAD", "--", *[f":(literal){p}" for p in paths]],
            root,
            timeout=timeout,
            read_only=True,
        ).stdout
    except ReproError:
        return {}  # no commits yet
    blobs: dict[str, str] = {}
    for record in os.fsdecode(out).split("\0"):
        if not record:
            continue
        meta, _, name = record.partition("\t")
        parts = meta.split()
        if len(parts) == 3 and parts[1] == "blob":
            blobs[name] = parts[2]
    return blobs


def _blob_text(root: Path, blob: str, timeout: float) -> bytes:
    return run_git(["cat-file", "blob", blob], root, timeout=timeout, read_only=True).stdout


def diff_notebook(
    path: str | os.PathLike[str],
    *,
    from_rev: str | None = "HEAD",
    to_rev: str | None = None,
    timeout: float = 30.0,
) -> dict[str, Any]:
    """Output-blind diff of a notebook between two revisions.

    ``to_rev=None`` means the working copy; a side where the notebook does
    not exist (new or deleted) is diffed as empty. Returns the
    :class:`~jupyterlab_repro.nbdiff.NotebookDiff` as a dict plus its text
    rendering and the repository-relative path.
    """
    from .nbdiff import diff_texts

    target = Path(os.path.abspath(path))
    root = require_repository(target.parent, target.name)
    try:
        rel = Path(os.path.realpath(target)).relative_to(root).as_posix()
    except ValueError:  # a symlink that leads out of the repository
        raise InvalidRequest(f"{target.name} is not in the repository at {root.name}.") from None
    config = load_repo_config(root)
    for rev in (from_rev, to_rev):
        if rev is not None and (not rev or rev.startswith("-")):
            raise InvalidRequest(f"Invalid revision {rev!r}.")
    old = _file_at(root, from_rev, rel, timeout) if from_rev else None
    if to_rev is None:
        new = target.read_bytes() if target.exists() else None
    else:
        new = _file_at(root, to_rev, rel, timeout)
    if old is None and new is None:
        raise InvalidRequest(f"{rel} exists in neither revision.")
    result = diff_texts(old, new, config.clean)
    data = result.to_dict()
    data["path"] = rel
    data["from"] = from_rev
    data["to"] = to_rev
    data["text"] = result.diff_text()
    return data


def _file_at(root: Path, rev: str, rel: str, timeout: float) -> bytes | None:
    """The file's content at ``rev`` (``None`` when it does not exist there)."""
    try:
        run_git(["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], root, read_only=True)
    except ReproError:
        if rev == "HEAD":
            return None  # no commits yet
        raise InvalidRequest(f"Unknown revision {rev!r}.") from None
    try:
        return run_git(
            ["cat-file", "blob", f"{rev}:{rel}"], root, timeout=timeout, read_only=True
        ).stdout
    except ReproError:
        return None


#: Copies written by :func:`notebook_at_commit` (kept out of ``git status``).
COPY_PATTERN = "*@[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f].ipynb"


def notebook_at_commit(path: str | os.PathLike[str], commit: str, *, timeout: float = 30.0) -> Path:
    """Write the notebook as it was at ``commit`` next to it, read-only.

    The copy is named ``<stem>@<short sha>.ipynb`` (e.g. ``train@a1b2c3d.ipynb``),
    the current notebook is not touched, and the name pattern is added to the
    repository's local ``.git/info/exclude`` so copies never show as changes.
    ``commit`` may be a hidden snapshot (``refs/repro/snapshots/…``).
    """
    target = Path(os.path.abspath(path))
    root = require_repository(target.parent, target.name)
    if not commit or commit.startswith("-") or not all(c.isalnum() or c in "/._-" for c in commit):
        raise InvalidRequest(f"Invalid commit {commit!r}.")
    rel = Path(os.path.realpath(target)).relative_to(root).as_posix()
    try:
        sha = (
            run_git(
                ["rev-parse", "--verify", "--quiet", f"{commit}^{{commit}}"], root, read_only=True
            )
            .stdout.decode()
            .strip()
        )
    except ReproError:
        raise InvalidRequest(
            f"Unknown commit {commit!r} (was the snapshot garbage-collected?)."
        ) from None
    data = _file_at(root, sha, rel, timeout)
    if data is None:
        raise InvalidRequest(f"{rel} does not exist at {sha[:7]}.")
    copy = target.with_name(f"{target.stem}@{sha[:7]}{target.suffix}")
    if not copy.exists():
        atomic_write(copy, data)
    os.chmod(copy, 0o444)
    git_dir = Path(
        run_git(["rev-parse", "--absolute-git-dir"], root, read_only=True).stdout.decode().strip()
    )
    exclude = git_dir / "info" / "exclude"
    lines = exclude.read_text(encoding="utf-8").splitlines() if exclude.exists() else []
    if COPY_PATTERN not in lines:
        exclude.parent.mkdir(parents=True, exist_ok=True)
        with exclude.open("a", encoding="utf-8") as handle:
            handle.write(f"# notebooks as they were for a run (jupyterlab-repro)\n{COPY_PATTERN}\n")
    return copy
