"""Git LFS: which paths it tracks, whether it is installed, tracking patterns."""

from __future__ import annotations

import os
from pathlib import Path

from ..deadline import Deadline
from ..errors import GitError, GitTimeout
from ..files import atomic_write, read_file_if_exists
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


def lfs_track(git: Git, patterns: list[str], *, folder: Path | None = None) -> list[str]:
    """Track ``patterns`` with Git LFS in ``folder`` (default: the work tree's top).

    ``git lfs install --local`` sets up LFS's hooks; the rules are then
    written to ``folder/.gitattributes`` as ``git lfs track`` writes them,
    but through the file door: ``git lfs track`` writes through a symlinked
    ``.gitattributes``. Returns the lines added.
    """
    if not patterns:
        return []
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
    folder = folder or git.cwd
    path = folder / ".gitattributes"
    data = read_file_if_exists(path, within=folder) or b""
    tracked = {
        line.split()[0]
        for line in data.decode("utf-8", "replace").splitlines()
        if "filter=lfs" in line.split()[1:]
    }
    added: list[str] = []
    for pattern in patterns:
        escaped = lfs_pattern(pattern)
        if escaped not in tracked and escaped not in (a.split()[0] for a in added):
            added.append(f"{escaped} filter=lfs diff=lfs merge=lfs -text")
    if added:
        if data and not data.endswith(b"\n"):
            data += b"\n"
        atomic_write(path, data + ("\n".join(added) + "\n").encode("utf-8"), within=folder)
    return added


def lfs_pattern(pattern: str) -> str:
    """A pattern as ``git lfs track`` writes it (white space as ``[[:space:]]``, ``#`` escaped)."""
    escaped = "".join("[[:space:]]" if c.isspace() else c for c in pattern)
    return "\\" + escaped if escaped.startswith("#") else escaped
