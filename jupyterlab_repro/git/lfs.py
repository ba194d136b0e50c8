"""Git LFS: which paths it tracks, whether it is installed, tracking patterns."""

from __future__ import annotations

import os
from pathlib import Path

from ..deadline import Deadline
from ..errors import GitError, GitTimeout
from .runner import Git, run_git


def lfs_tracked(git: Git, rels: list[str]) -> set[str]:
    """The paths among ``rels`` whose ``filter`` attribute is ``lfs`` (one git call)."""
    if not rels:
        return set()
    out = git.run(
        "check-attr",
        "--stdin",
        "-z",
        "filter",
        input=b"".join(os.fsencode(rel) + b"\0" for rel in rels),
        read_only=True,
    ).stdout
    fields = os.fsdecode(out).split("\0")
    return {fields[i] for i in range(0, len(fields) - 2, 3) if fields[i + 2] == "lfs"}


def lfs_available(root: Path, *, deadline: Deadline | None = None) -> bool:
    """Whether ``git lfs`` is installed (it is a separate program)."""
    try:
        run_git(["lfs", "version"], root, deadline=deadline or Deadline(10.0), read_only=True)
    except GitTimeout:
        return False
    except GitError:
        return False
    return True


def lfs_track(git: Git, patterns: list[str]) -> None:
    """``git lfs install --local`` then ``git lfs track`` the patterns (edits .gitattributes)."""
    if not patterns:
        return
    try:
        git.run("lfs", "install", "--local")
    except GitTimeout:
        raise
    except GitError as exc:
        # Typically "Hook already exists: pre-push": without LFS's hooks a push
        # would send pointers without their objects, so do not track anything.
        reason = exc.stderr.strip().splitlines()[0] if exc.stderr.strip() else str(exc)
        raise GitError(
            f"Git LFS could not be set up in this repository ({reason.rstrip('.')}); "
            "merge its hooks by hand (git lfs update --manual), then try again.",
            exc.stderr,
        ) from exc
    git.run("lfs", "track", "--", *patterns)
