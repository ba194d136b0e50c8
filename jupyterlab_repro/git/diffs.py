"""Files that differ between two commits, and their text diffs, bounded.

Diffs never run a program the repository configures (``--no-ext-diff``,
``--no-textconv``): a crafted ``.git/config`` or ``.gitattributes`` cannot
turn a comparison into code execution.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from .runner import LITERAL_PATHSPECS, Git

#: Files listed at most; more are counted, not listed.
MAX_FILES = 200
#: Files whose text diff is included at most (the rest are listed with their counts).
MAX_DIFFS = 30
#: Lines of one file's diff at most; a longer diff is summarized.
MAX_DIFF_LINES = 400

_NO_PROGRAMS = ("--no-color", "--no-ext-diff", "--no-textconv")


@dataclass
class ChangedFile:
    path: str
    old_path: str | None
    status: str  # added, deleted, modified, renamed, copied, type-changed
    additions: int | None  # None for a binary file
    deletions: int | None
    binary: bool
    diff: str | None  # unified diff text, None when summarized
    summary: str | None  # why there is no diff (binary, too long, too many files)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


_STATUS = {
    "A": "added",
    "D": "deleted",
    "M": "modified",
    "R": "renamed",
    "C": "copied",
    "T": "type-changed",
}


def changed_paths(
    git: Git, old: str, new: str, paths: Sequence[str] = (), *, renames: bool = True
) -> list[str]:
    """Paths that differ from ``old`` to ``new`` (revisions), among ``paths`` (names) when given."""
    out = git.run(
        "diff",
        "--name-only",
        "-z",
        *([] if renames else ["--no-renames"]),
        old,
        new,
        "--",
        *paths,
        env=LITERAL_PATHSPECS,
        read_only=True,
    ).stdout
    return [p for p in os.fsdecode(out).split("\0") if p]


def same_paths(git: Git, old: str, new: str, paths: Sequence[str]) -> bool:
    """Whether ``paths`` (names) are the same in revisions ``old`` and ``new``."""
    return git.succeeds(
        "diff", "--quiet", "--no-ext-diff", old, new, "--", *paths, env=LITERAL_PATHSPECS
    )


def changed_files(
    git: Git, old: str, new: str, *, exclude: tuple[str, ...] = ()
) -> tuple[list[ChangedFile], int]:
    """Files that differ from commit ``old`` to ``new`` (``exclude``: repository paths left out).

    Returns the files (at most :data:`MAX_FILES`, the first :data:`MAX_DIFFS`
    with their diff) and how many differ in all.
    """
    excludes = [f":(exclude,literal,top){path}" for path in exclude]
    numstat = git.run(
        "diff",
        *_NO_PROGRAMS,
        "--numstat",
        "-z",
        "-M",
        old,
        new,
        "--",
        ":/",
        *excludes,
        read_only=True,
    ).stdout
    names = git.run(
        "diff",
        *_NO_PROGRAMS,
        "--name-status",
        "-z",
        "-M",
        old,
        new,
        "--",
        ":/",
        *excludes,
        read_only=True,
    ).stdout
    statuses = _name_status(names)
    files: list[ChangedFile] = []
    total = 0
    for path, old_path, added, deleted in _numstat(numstat):
        total += 1
        if len(files) >= MAX_FILES:
            continue
        binary = added is None
        status = statuses.get(path, "modified")
        files.append(ChangedFile(path, old_path, status, added, deleted, binary, None, None))
    for n, item in enumerate(files):
        if item.binary:
            item.summary = "binary file"
        elif n >= MAX_DIFFS:
            item.summary = f"diff not shown: more than {MAX_DIFFS} files changed"
        elif (item.additions or 0) + (item.deletions or 0) > MAX_DIFF_LINES:
            item.summary = (
                f"diff not shown: {item.additions} added, {item.deletions} removed lines "
                f"(more than {MAX_DIFF_LINES})"
            )
        else:
            paths = [p for p in (item.old_path, item.path) if p]
            item.diff = git.run(
                "diff",
                *_NO_PROGRAMS,
                "-M",
                old,
                new,
                "--",
                *paths,
                env=LITERAL_PATHSPECS,
                read_only=True,
            ).stdout.decode("utf-8", "replace")
    return files, total


def _numstat(output: bytes) -> list[tuple[str, str | None, int | None, int | None]]:
    """(path, old path of a rename, added, deleted) from ``--numstat -z``."""
    fields = os.fsdecode(output).split("\0")
    out = []
    i = 0
    while i < len(fields):
        record = fields[i]
        i += 1
        if not record:
            continue
        added, deleted, path = (record.split("\t", 2) + ["", ""])[:3]
        old_path = None
        if not path:  # a rename: the two paths follow as records of their own
            old_path, path = fields[i], fields[i + 1]
            i += 2
        out.append(
            (
                path,
                old_path,
                int(added) if added.isdigit() else None,
                int(deleted) if deleted.isdigit() else None,
            )
        )
    return out


def _name_status(output: bytes) -> dict[str, str]:
    fields = os.fsdecode(output).split("\0")
    out: dict[str, str] = {}
    i = 0
    while i < len(fields):
        code = fields[i]
        i += 1
        if not code:
            continue
        kind = _STATUS.get(code[0], "modified")
        if code[0] in ("R", "C"):
            i += 1  # old path
        if i < len(fields):
            out[fields[i]] = kind
            i += 1
    return out
