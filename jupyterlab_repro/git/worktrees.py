"""Temporary work trees: a commit checked out beside the user's, never in it.

:func:`add_detached` checks a commit out into a folder of its own with ``git
worktree add --detach``: the user's HEAD, branch, index and files are not
touched (git only adds ``.git/worktrees/<name>/``, which :func:`remove`
deletes again). Repository hooks do not run (``post-checkout`` would run
the repository's code before the user asked for anything).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ..errors import GitError, GitTimeout
from .runner import Git

#: No hook of the repository runs for a temporary work tree.
_NO_HOOKS = ("-c", f"core.hooksPath={os.devnull}")


def add_detached(git: Git, path: str | os.PathLike[str], commit: str) -> Path:
    """Check ``commit`` (a full sha) out into the new folder ``path``; the folder's real path."""
    target = Path(path)
    git.run(*_NO_HOOKS, "worktree", "add", "--detach", "--quiet", os.fspath(target), commit)
    return target


def remove(git: Git, path: str | os.PathLike[str]) -> None:
    """Remove the work tree at ``path`` and git's record of it, whatever state it is in."""
    target = Path(path)
    try:
        git.run("worktree", "remove", "--force", "--force", os.fspath(target))
    except GitTimeout:
        raise
    except GitError:
        pass  # gone already, or git's record was lost: remove what is left below
    if target.exists():
        shutil.rmtree(target, ignore_errors=True)
    prune(git)


def prune(git: Git) -> None:
    """Forget work trees whose folders are gone (``git worktree prune``)."""
    try:
        git.run("worktree", "prune")
    except GitTimeout:
        raise
    except GitError:
        pass


def list_worktrees(git: Git) -> list[Path]:
    """Every work tree of the repository (the main one first)."""
    out = git.run("worktree", "list", "--porcelain", "-z", read_only=True).stdout
    found = []
    for record in os.fsdecode(out).split("\0"):
        if record.startswith("worktree "):
            found.append(Path(record[len("worktree ") :]))
    return found


def switch(git: Git, branch: str, *, discard_changes: bool = False, detach: bool = False) -> None:
    """Switch the work tree to ``branch`` (a commit with ``detach``), like ``git switch``.

    git refuses (:class:`GitError`) when local changes are in the way, unless
    ``discard_changes``.
    """
    flags = ["--discard-changes"] if discard_changes else []
    flags += ["--detach"] if detach else []
    git.run("switch", "--quiet", *flags, branch)
