"""Revisions: checking what a caller names, resolving it, reading files and trees at it.

One resolver for the whole product (:func:`resolve_commit`): ``rev-parse
--verify --quiet --end-of-options <rev>^{commit}``, so a revision is never
taken for an option and always names a commit.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import GitError, GitTimeout, InvalidRequest
from .runner import LITERAL_PATHSPECS, Git, fs_path

#: Longest revision expression accepted from a caller.
MAX_REVISION_LENGTH = 1024

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SHA_RE = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")


def check_revision(rev: object, what: str = "revision") -> str:
    """``rev`` if it can be handed to git as a revision; :class:`InvalidRequest` if not.

    Refused before git runs: non-strings, empty values, a leading ``-``
    (an option), control characters (NUL cannot even be passed to a
    process) and anything over :data:`MAX_REVISION_LENGTH` characters.
    """
    if not isinstance(rev, str) or not rev.strip():
        raise InvalidRequest(f"Invalid {what} {rev!r}.")
    if rev.startswith("-") or _CONTROL.search(rev) or len(rev) > MAX_REVISION_LENGTH:
        raise InvalidRequest(f"Invalid {what} {rev[:80]!r}.")
    return rev


def is_full_sha(value: str) -> bool:
    """A full SHA-1 or SHA-256 object name in lower case."""
    return bool(_SHA_RE.match(value))


def resolve_commit(git: Git, rev: str) -> str | None:
    """The full sha of the commit ``rev`` names, or ``None`` when it names none."""
    check_revision(rev)
    try:
        sha = git.read("rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}")
    except GitTimeout:
        raise
    except GitError:
        return None
    return sha or None


def require_commit(git: Git, rev: str, *, what: str = "revision", hint: str = "") -> str:
    """:func:`resolve_commit`, raising :class:`InvalidRequest` for an unknown revision."""
    sha = resolve_commit(git, check_revision(rev, what))
    if sha is None:
        raise InvalidRequest(f"Unknown {what} {rev[:80]!r}{hint}.")
    return sha


def tree_of(git: Git, rev: str) -> str:
    """The tree of the commit ``rev`` (:class:`GitError` when it names none)."""
    return git.read("rev-parse", "--verify", "--end-of-options", f"{rev}^{{tree}}")


def symbolic_head(git: Git) -> str | None:
    """The ref HEAD points at (``refs/heads/main``), ``None`` when detached."""
    try:
        return git.read("symbolic-ref", "-q", "HEAD") or None
    except GitTimeout:
        raise
    except GitError:
        return None


def current_branch(git: Git) -> str | None:
    """The short name of the branch HEAD points at, ``None`` when detached."""
    ref = symbolic_head(git)
    return ref.removeprefix("refs/heads/") if ref else None


def trees_and_parents(git: Git, *revs: str) -> list[str]:
    """``"<tree> <parents…>"`` of each commit ``revs`` names, in one call."""
    return git.read("show", "--no-patch", "--format=%T %P", *revs, "--").splitlines()


@dataclass(frozen=True)
class HeadState:
    """Where HEAD is: its commit and tree (``None`` before the first commit) and branch."""

    index: Path  # the real index file
    commit: str | None
    tree: str | None
    branch: str | None  # short name; None when detached


def head_state(git: Git) -> HeadState:
    """HEAD's commit, tree and branch, and where the real index lives (one git call).

    Raises :class:`GitError` when HEAD exists but cannot be resolved (a broken
    repository); a repository without commits gives ``commit=None``.
    """
    try:
        proc = git.run(
            "rev-parse",
            "--git-path",
            "index",
            "HEAD^{commit}",
            "HEAD^{tree}",
            "--abbrev-ref",
            "HEAD",
            "--",
            read_only=True,
        )
        index_rel, head, tree, branch = os.fsdecode(proc.stdout).split("\n")[:4]
        return HeadState(git.cwd / index_rel, head, tree, None if branch == "HEAD" else branch)
    except GitTimeout:
        raise
    except GitError:
        pass
    # No HEAD commit: a repository without commits, or a broken one.
    index_rel = fs_path(git.run("rev-parse", "--git-path", "index", read_only=True).stdout)
    try:
        ref = git.read("symbolic-ref", "-q", "HEAD")
    except GitTimeout:
        raise
    except GitError as exc:
        raise GitError(f"HEAD is broken in {git.cwd.name}: {_reason(exc)}", exc.stderr) from exc
    if git.read("for-each-ref", "--format=%(objectname)", "--", ref):
        raise GitError(
            f"HEAD is broken in {git.cwd.name}: {ref} does not point to a readable commit."
        )
    return HeadState(git.cwd / index_rel, None, None, ref.removeprefix("refs/heads/"))


def _reason(exc: GitError) -> str:
    lines = [ln for ln in exc.stderr.splitlines() if ln.strip()]
    return lines[-1] if lines else str(exc)


def tree_entry(git: Git, rev: str, rel: str) -> tuple[str, str] | None:
    """(mode, blob id) of the file ``rel`` at ``rev``, or ``None`` when it is no file there."""
    out = git.run(
        "ls-tree", "-z", "--full-tree", rev, "--", rel, read_only=True, env=LITERAL_PATHSPECS
    ).stdout
    for meta, path in records(out):
        fields = meta.split()
        if path == rel and len(fields) == 3:
            mode, kind, oid = fields
            if kind == "blob" and mode in ("100644", "100755"):
                return mode, oid
    return None


def tree_blobs(git: Git, rev: str, paths: list[str]) -> dict[str, str]:
    """Blob ids of ``paths`` at ``rev`` (one call); absent paths and a missing rev: left out."""
    if not paths:
        return {}
    try:
        out = git.run(
            "ls-tree", "-z", "--full-tree", rev, "--", *paths, read_only=True, env=LITERAL_PATHSPECS
        ).stdout
    except GitTimeout:
        raise
    except GitError:
        return {}  # no commits yet
    blobs: dict[str, str] = {}
    for meta, name in records(out):
        parts = meta.split()
        if len(parts) == 3 and parts[1] == "blob":
            blobs[name] = parts[2]
    return blobs


def read_blob(git: Git, blob: str) -> bytes:
    """The content of a blob (by id, or ``rev:path``)."""
    return git.run("cat-file", "blob", blob, read_only=True).stdout


def file_at(git: Git, commit: str, rel: str) -> bytes | None:
    """The file ``rel`` as it is in ``commit`` (a resolved sha); ``None`` when absent there."""
    try:
        return read_blob(git, f"{commit}:{rel}")
    except GitTimeout:
        raise
    except GitError:
        return None


def records(output: bytes) -> list[tuple[str, str]]:
    """(metadata, path) pairs of ``-z`` output from ``ls-tree`` / ``ls-files -s``."""
    pairs = []
    for record in os.fsdecode(output).split("\0"):
        meta, _, name = record.partition("\t")
        if name:
            pairs.append((meta, name))
    return pairs


def commit_summaries(git: Git, shas: list[str]) -> dict[str, dict[str, Any]]:
    """``{sha: {"subject", "time"}}`` for the full shas git knows (one call; others left out)."""
    wanted = [s for s in shas if is_full_sha(s)]
    if not wanted:
        return {}
    proc = git.run(
        "log",
        "--no-walk=unsorted",
        "--ignore-missing",
        "--format=%H%x1f%cI%x1f%s%x1e",
        *wanted,
        "--",
        read_only=True,
    )
    found: dict[str, dict[str, Any]] = {}
    for record in proc.stdout.decode("utf-8", "replace").split("\x1e"):
        fields = record.strip("\n").split("\x1f")
        if len(fields) == 3:
            sha, when, subject = fields
            found[sha] = {"subject": subject, "time": when}
    return found
