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

import hashlib
import logging
import os
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .errors import ConfigInvalid, GitError, NotebookInvalid, SnapshotError
from .notebook_clean import CleanConfig, clean_text
from .vcs import run_git

log = logging.getLogger(__name__)

#: Namespace of the hidden refs.
SNAPSHOT_REF_PREFIX = "refs/repro/snapshots/"

#: Seconds each git call may take.
SNAPSHOT_TIMEOUT = 10.0

#: Used only when git has no identity at all (a fresh container).
FALLBACK_IDENTITY = {
    "GIT_AUTHOR_NAME": "jupyterlab-repro",
    "GIT_AUTHOR_EMAIL": "jupyterlab-repro@localhost",
    "GIT_COMMITTER_NAME": "jupyterlab-repro",
    "GIT_COMMITTER_EMAIL": "jupyterlab-repro@localhost",
}


@dataclass(frozen=True)
class SnapshotResult:
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


def snapshot_worktree(
    repo_root: str | os.PathLike[str],
    notebook_rel: str,
    *,
    clean_config: CleanConfig | None = None,
    timeout: float = SNAPSHOT_TIMEOUT,
) -> SnapshotResult:
    """Record the working copy (tracked files + cleaned notebook) on a hidden ref.

    Parameters
    ----------
    repo_root
        Top-level directory of the repository.
    notebook_rel
        The notebook's path relative to ``repo_root`` (``/``-separated).
    clean_config
        Cleaning rules; by default the repository's own (``repo_config``).
    timeout
        Seconds allowed per git call.

    Raises
    ------
    SnapshotError
        HEAD cannot be read, the notebook is missing or not a valid notebook,
        or git failed. Nothing was changed.
    """
    root = Path(repo_root)
    rel = _check_relative(notebook_rel)
    notebook = root.joinpath(*PurePosixPath(rel).parts)
    try:
        data = notebook.read_bytes()
    except OSError as exc:
        raise SnapshotError(f"Cannot read the notebook {rel}: {exc.strerror or exc}") from exc
    config = clean_config if clean_config is not None else _repo_clean_config(root)
    cleaned = _clean_notebook_bytes(rel, data, config)

    try:
        return _snapshot(root, rel, cleaned, config, timeout)
    except GitError as exc:
        raise SnapshotError(f"Cannot snapshot {rel}: {exc}") from exc


def _snapshot(
    root: Path, rel: str, cleaned: bytes, config: CleanConfig, timeout: float
) -> SnapshotResult:
    info = _head_info(root, timeout)
    head = info.head

    blob = _git(root, ["hash-object", "-w", "--stdin"], timeout, input=cleaned)
    # HEAD's mode is kept (the executable bit on disk is unreliable on mounted volumes).
    mode = "100644"
    if head is not None:
        entry = _head_entry(root, head, rel, timeout)
        if entry is not None:
            mode, head_blob = entry
            if head_blob != blob and _cleaned_digest(
                root, rel, head_blob, config, timeout
            ) == _digest(cleaned):
                blob = head_blob  # only outputs/noise differ from HEAD: not a change

    tmp_index = info.index.parent / f"repro-snapshot-{os.getpid()}-{secrets.token_hex(6)}.index"
    env = {"GIT_INDEX_FILE": str(tmp_index)}
    try:
        if info.index.is_file():
            shutil.copyfile(info.index, tmp_index)
        elif head is not None:
            run_git(["read-tree", head], root, timeout=timeout, env=env)
        run_git(
            ["add", "--update", "--", ":/", f":(top,exclude,literal){rel}"],
            root,
            timeout=timeout,
            env=env,
        )
        run_git(
            ["update-index", "-z", "--index-info"],
            root,
            timeout=timeout,
            env=env,
            input=f"{mode} {blob}\t{rel}\0".encode(),
        )
        tree = _git(root, ["write-tree"], timeout, env=env)
    finally:
        for leftover in (tmp_index, tmp_index.with_name(tmp_index.name + ".lock")):
            try:
                leftover.unlink()
            except FileNotFoundError:
                pass
            except OSError as exc:  # pragma: no cover - e.g. a virus scanner holds it
                log.warning("could not remove the temporary index %s: %s", leftover, exc)

    if head is not None and tree == info.tree:
        return SnapshotResult(
            head, None, reused=False, dirty=False, head=head, tree=tree, branch=info.branch
        )

    ref = f"{SNAPSHOT_REF_PREFIX}{head or 'unborn'}/{tree}"
    existing = _existing_snapshot(root, ref, tree, timeout)
    if existing is not None:
        return SnapshotResult(
            existing, ref, reused=True, dirty=True, head=head, tree=tree, branch=info.branch
        )

    commit = _commit_tree(root, tree, head, f"repro snapshot of {rel}", timeout)
    try:
        run_git(
            ["update-ref", "-m", f"repro: snapshot of {rel}", ref, commit, ""],
            root,
            timeout=timeout,
        )
    except GitError:
        # Another process made the same snapshot a moment ago: use its commit.
        existing = _existing_snapshot(root, ref, tree, timeout)
        if existing is None:
            raise
        return SnapshotResult(
            existing, ref, reused=True, dirty=True, head=head, tree=tree, branch=info.branch
        )
    log.debug("snapshot %s of %s on %s", commit, rel, ref)
    return SnapshotResult(
        commit, ref, reused=False, dirty=True, head=head, tree=tree, branch=info.branch
    )


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
        from .repo_config import load_repo_config

        return load_repo_config(root).clean
    except (ConfigInvalid, ImportError) as exc:  # ImportError: no tomli on Python 3.10
        log.warning("ignoring the repository's cleaning rules (%s); using the defaults", exc)
        return CleanConfig()


def _clean_notebook_bytes(rel: str, data: bytes, config: CleanConfig) -> bytes:
    """Cleaned ``.ipynb`` bytes; other files (Jupytext ``.py``/``.md``) unchanged."""
    if not rel.lower().endswith(".ipynb"):
        return data
    try:
        text, _report = clean_text(data, config)
    except NotebookInvalid as exc:
        raise SnapshotError(f"{rel}: {exc}") from exc
    return text.encode("utf-8")


def _git(
    root: Path,
    args: list[str],
    timeout: float,
    *,
    input: bytes | None = None,
    env: dict[str, str] | None = None,
) -> str:
    proc = run_git(args, root, timeout=timeout, input=input, env=env)
    return proc.stdout.decode("utf-8", "replace").strip()


@dataclass(frozen=True)
class _HeadInfo:
    index: Path  # the real index file
    head: str | None  # None when the branch has no commit yet
    tree: str | None
    branch: str | None  # None when detached


def _head_info(root: Path, timeout: float) -> _HeadInfo:
    """HEAD's commit, tree and branch, and where the real index lives (one git call).

    Raises :class:`SnapshotError` when HEAD exists but cannot be resolved.
    """
    try:
        proc = run_git(
            [
                "rev-parse",
                "--git-path",
                "index",
                "HEAD^{commit}",
                "HEAD^{tree}",
                "--abbrev-ref",
                "HEAD",
                "--",
            ],
            root,
            timeout=timeout,
            read_only=True,
        )
        index_rel, head, tree, branch = proc.stdout.decode("utf-8", "replace").split("\n")[:4]
        return _HeadInfo(root / index_rel, head, tree, None if branch == "HEAD" else branch)
    except GitError:
        pass
    # No HEAD commit: a repository without commits, or a broken one.
    index_rel = _git_read(root, ["rev-parse", "--git-path", "index"], timeout)
    try:
        ref = _git_read(root, ["symbolic-ref", "-q", "HEAD"], timeout)
    except GitError as exc:
        raise SnapshotError(f"HEAD is broken in {root}: {_reason(exc)}") from exc
    if _git_read(root, ["for-each-ref", "--format=%(objectname)", "--", ref], timeout):
        raise SnapshotError(f"HEAD is broken in {root}: {ref} does not point to a readable commit.")
    return _HeadInfo(root / index_rel, None, None, ref.removeprefix("refs/heads/"))


def _git_read(root: Path, args: list[str], timeout: float) -> str:
    proc = run_git(args, root, timeout=timeout, read_only=True)
    return proc.stdout.decode("utf-8", "replace").strip()


def _reason(exc: GitError) -> str:
    lines = [ln for ln in exc.stderr.splitlines() if ln.strip()]
    return lines[-1] if lines else str(exc)


def _head_entry(root: Path, head: str, rel: str, timeout: float) -> tuple[str, str] | None:
    """(mode, blob id) of ``rel`` in ``head``, or ``None`` when it is not a file there."""
    out = run_git(
        ["ls-tree", "-z", "--full-tree", head, "--", rel], root, timeout=timeout, read_only=True
    ).stdout
    for entry in out.split(b"\0"):
        meta, _, path = entry.partition(b"\t")
        fields = meta.decode("ascii", "replace").split()
        if path.decode("utf-8", "surrogateescape") == rel and len(fields) == 3:
            mode, kind, oid = fields
            if kind == "blob" and mode in ("100644", "100755"):
                return mode, oid
    return None


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


def _cleaned_digest(
    root: Path, rel: str, blob: str, config: CleanConfig, timeout: float
) -> str | None:
    """Digest of ``blob`` cleaned as ``rel``; ``None`` when it is not a valid notebook."""
    key = (blob, "ipynb" if rel.lower().endswith(".ipynb") else "raw", config)
    digest = _CLEANED_BLOBS.get(key)
    if digest is None:
        data = run_git(["cat-file", "blob", blob], root, timeout=timeout, read_only=True).stdout
        try:
            digest = _digest(_clean_notebook_bytes(rel, data, config))
        except SnapshotError:
            digest = ""  # not a notebook: differs from any cleaned one
        _CLEANED_BLOBS.put(key, digest)
    return digest or None


def _existing_snapshot(root: Path, ref: str, tree: str, timeout: float) -> str | None:
    out = _git_read(root, ["for-each-ref", "--format=%(objectname) %(tree)", "--", ref], timeout)
    for line in out.splitlines():
        commit, _, commit_tree = line.partition(" ")
        if commit_tree == tree:
            return commit
    return None


def _commit_tree(root: Path, tree: str, head: str | None, message: str, timeout: float) -> str:
    args = ["commit-tree", "--no-gpg-sign", "-m", message]
    if head is not None:
        args += ["-p", head]
    args.append(tree)
    try:
        return _git(root, args, timeout)
    except GitError as exc:
        text = exc.stderr.lower()
        if "ident" not in text and "email" not in text and "who you are" not in text:
            raise
    log.info("git has no identity here; the snapshot commit is authored by jupyterlab-repro")
    return _git(root, args, timeout, env=FALLBACK_IDENTITY)
