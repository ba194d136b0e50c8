"""Stash entries: local changes put aside and brought back (``git stash``), by name.

Paths are names, never patterns. An entry is made with the user's identity,
or :data:`~.objects.FALLBACK_IDENTITY` where git has none.
"""

from __future__ import annotations

from collections.abc import Sequence

from .objects import write_with_identity
from .revisions import resolve_commit
from .runner import LITERAL_PATHSPECS, Git

#: The ref of the newest stash entry.
STASH = "refs/stash"


def push(git: Git, files: Sequence[str], message: str) -> str | None:
    """Stash the local changes of ``files``; the new entry's commit (``None``: nothing stashed)."""
    args = ["stash", "push", "--quiet", "-m", message, "--", *files]
    write_with_identity(git.with_env(**LITERAL_PATHSPECS), *args)
    return resolve_commit(git, STASH)


def pop(git: Git, ref: str) -> None:
    """Apply the entry ``ref`` (``stash@{N}``) to the work tree and drop it."""
    git.with_env(**LITERAL_PATHSPECS).run("stash", "pop", "--quiet", ref)


def drop(git: Git, ref: str) -> None:
    git.run("stash", "drop", "--quiet", ref)


def entries(git: Git, *, max_count: int | None = None) -> list[tuple[str, str, str]]:
    """``(commit, "stash@{N}", subject)`` of the stash entries, newest first."""
    if resolve_commit(git, STASH) is None:
        return []
    limit = [f"--max-count={max_count}"] if max_count is not None else []
    out = git.read("stash", "list", *limit, "--format=%H%x00%gd%x00%gs")
    found = []
    for line in out.splitlines():
        parts = line.split("\0")
        if len(parts) == 3:
            found.append((parts[0], parts[1], parts[2]))
    return found


def write_files_from(git: Git, commit: str, files: Sequence[str]) -> None:
    """Write ``files`` as ``commit`` holds them over the work tree (the index is untouched)."""
    git.with_env(**LITERAL_PATHSPECS).run(
        "restore", f"--source={commit}", "--worktree", "--", *files
    )
