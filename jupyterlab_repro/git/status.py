"""Repository status: branch, HEAD, upstream, change counts, the state of one file.

:func:`repository_status` costs two or three git calls (``status
--porcelain=v2 --branch``, ``log -1`` for HEAD, ``ls-files`` for a clean
file): no history walk, and no re-hash of unchanged files thanks to the
index's stat cache. :func:`status_report` is what the REST API and the CLI
show.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..deadline import Deadline
from ..errors import NotARepository
from ..files import realpath, relative_to_root
from .repository import find_repository, get_identity
from .runner import LITERAL_PATHSPECS, Git

#: Seconds a status may take when the caller gives no deadline.
STATUS_TIMEOUT = 10.0


@dataclass
class HeadCommit:
    sha: str
    short_sha: str
    subject: str
    author_name: str
    author_email: str
    authored_at: str  # ISO 8601 with offset
    committed_at: str


@dataclass
class Changes:
    staged: int = 0
    unstaged: int = 0
    untracked: int = 0
    conflicted: int = 0

    @property
    def dirty(self) -> bool:
        return bool(self.staged or self.unstaged or self.untracked or self.conflicted)


@dataclass
class RepositoryStatus:
    """Facts about the repository that contains a path."""

    root: Path
    branch: str | None  # None when HEAD is detached
    detached: bool
    has_commits: bool
    head: HeadCommit | None
    upstream: str | None
    ahead: int | None
    behind: int | None
    changes: Changes = field(default_factory=Changes)
    #: git's porcelain state of the requested file, when the path is a file
    #: (``"modified"``, ``"added"``, ``"untracked"``, ``"unmodified"`` …).
    file_state: str | None = None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["root"] = str(self.root)
        data["changes"]["dirty"] = self.changes.dirty
        data["dirty"] = self.changes.dirty
        return data


_XY_STATES = {
    "M": "modified",
    "A": "added",
    "D": "deleted",
    "R": "renamed",
    "C": "copied",
    "T": "modified",
}


@dataclass
class StatusEntry:
    """One record of ``git status --porcelain=v2``."""

    path: str  # relative to the repository, '/'-separated ("dir/" for an untracked folder)
    kind: str  # "changed", "renamed", "conflicted", "untracked"
    xy: str  # git's two-letter code ("??" for untracked)
    orig_path: str | None = None  # the old path of a rename/copy
    #: Blob ids in HEAD and in the index (changed and renamed entries; ``None`` otherwise).
    head_blob: str | None = None
    index_blob: str | None = None

    @property
    def staged(self) -> bool:
        return self.kind in ("changed", "renamed") and self.xy[0] != "."

    @property
    def unstaged(self) -> bool:
        return self.kind in ("changed", "renamed") and self.xy[1] != "."

    @property
    def state(self) -> str:
        """``modified``/``added``/``deleted``/``renamed``/``untracked``/``conflicted``."""
        if self.kind in ("untracked", "conflicted"):
            return self.kind
        code = self.xy[1] if self.xy[1] != "." else self.xy[0]
        return _XY_STATES.get(code, "modified")


def parse_porcelain_v2(data: bytes) -> tuple[dict[str, Any], list[StatusEntry]]:
    """Parse ``git status --porcelain=v2 --branch -z`` output.

    Returns the branch header (``oid``, ``head``, ``upstream``, ``ahead``,
    ``behind``) and the entries.
    """
    header: dict[str, Any] = {}
    entries: list[StatusEntry] = []
    records = os.fsdecode(data).split("\0") if data else []
    i = 0
    while i < len(records):
        rec = records[i]
        i += 1
        if not rec:
            continue
        if rec.startswith("# branch.oid "):
            header["oid"] = rec[len("# branch.oid ") :]
        elif rec.startswith("# branch.head "):
            header["head"] = rec[len("# branch.head ") :]
        elif rec.startswith("# branch.upstream "):
            header["upstream"] = rec[len("# branch.upstream ") :]
        elif rec.startswith("# branch.ab "):
            a, b = rec[len("# branch.ab ") :].split()
            header["ahead"], header["behind"] = int(a), -int(b)
        elif rec[0] == "1":
            fields = rec.split(" ", 8)
            entries.append(
                StatusEntry(fields[-1], "changed", fields[1], None, *_blobs(fields[6], fields[7]))
            )
        elif rec[0] == "2":
            fields = rec.split(" ", 9)
            orig = records[i] if i < len(records) else None
            i += 1  # the original path of a rename follows as its own record
            entries.append(
                StatusEntry(fields[-1], "renamed", fields[1], orig, *_blobs(fields[6], fields[7]))
            )
        elif rec[0] == "u":
            fields = rec.split(" ", 10)
            entries.append(StatusEntry(fields[-1], "conflicted", fields[1]))
        elif rec[0] == "?":
            entries.append(StatusEntry(rec[2:], "untracked", "??"))
    return header, entries


def _blobs(head: str, index: str) -> tuple[str | None, str | None]:
    """HEAD's and the index's blob ids of an entry; all zeros (absent there) is ``None``."""
    return (None if not head.strip("0") else head), (None if not index.strip("0") else index)


def porcelain_status(
    git: Git,
    paths: Sequence[str] = (),
    *,
    untracked: str = "all",
    branch: bool = False,
    ignored: str | None = None,
) -> bytes:
    """``git status --porcelain=v2 -z`` (for :func:`parse_porcelain_v2`), of ``paths`` (names).

    ``untracked`` and ``ignored`` are git's modes (``all``/``normal``/``no``,
    ``matching``…); ``branch`` adds the ``# branch.*`` headers.
    """
    args = ["status", "--porcelain=v2", *(["--branch"] if branch else []), "-z"]
    args.append(f"--untracked-files={untracked}")
    if ignored is not None:
        args.append(f"--ignored={ignored}")
    if paths:
        args += ["--", *paths]
    return git.run(*args, env=LITERAL_PATHSPECS, read_only=True).stdout


def repository_status(
    path: str | os.PathLike[str], *, deadline: Deadline | None = None
) -> RepositoryStatus:
    """Status of the repository containing ``path`` (a directory or a file).

    Raises :class:`NotARepository`; every git call shares ``deadline``.
    """
    deadline = deadline or Deadline(STATUS_TIMEOUT, "the status")
    target = Path(path)
    top = find_repository(target, deadline=deadline)
    if top is None:
        directory = target if target.is_dir() else target.parent
        raise NotARepository(f"{directory.name or 'This folder'} is not inside a git repository.")
    git = Git(top, deadline)
    proc = git.run(
        "status", "--porcelain=v2", "--branch", "-z", "--untracked-files=normal", read_only=True
    )
    rel_file: str | None = None
    if target.is_file():
        rel_file = Path(realpath(target)).relative_to(top).as_posix()

    header, entries = parse_porcelain_v2(proc.stdout)
    oid, branch = header.get("oid"), header.get("head")
    upstream, ahead, behind = header.get("upstream"), header.get("ahead"), header.get("behind")
    changes = Changes()
    file_state = "unmodified" if rel_file is not None else None
    for entry in entries:
        if entry.kind == "untracked":
            changes.untracked += 1
            # An untracked folder is listed once, as "dir/": its files are untracked too.
            if rel_file is not None and (
                entry.path == rel_file
                or (entry.path.endswith("/") and rel_file.startswith(entry.path))
            ):
                file_state = "untracked"
        elif entry.kind == "conflicted":
            changes.conflicted += 1
            if entry.path == rel_file:
                file_state = "conflicted"
        else:
            if entry.staged:
                changes.staged += 1
            if entry.unstaged:
                changes.unstaged += 1
            if entry.path == rel_file:
                file_state = entry.state

    if file_state == "unmodified" and rel_file is not None:
        # Not listed by status: either tracked and clean, or ignored.
        tracked = git.run(
            "ls-files", "-z", "--cached", "--", f":(literal){rel_file}", read_only=True
        )
        if not tracked.stdout:
            file_state = "ignored"

    has_commits = oid not in (None, "(initial)")
    head = head_commit(git) if has_commits else None
    detached = branch == "(detached)"
    return RepositoryStatus(
        root=top,
        branch=None if detached else branch,
        detached=detached,
        has_commits=has_commits,
        head=head,
        upstream=upstream,
        ahead=ahead,
        behind=behind,
        changes=changes,
        file_state=file_state,
    )


def head_commit(git: Git) -> HeadCommit:
    """HEAD's sha, subject, author and dates (one ``git log -1``)."""
    fmt = "%H%x00%h%x00%s%x00%an%x00%ae%x00%aI%x00%cI"
    proc = git.run("log", "-1", f"--format={fmt}", "HEAD", "--", read_only=True)
    sha, short, subject, name, email, authored, committed = (
        proc.stdout.decode("utf-8", "replace").rstrip("\n").split("\0")
    )
    return HeadCommit(sha, short, subject, name, email, authored, committed)


def status_report(
    root: str | os.PathLike[str], target: Path, *, deadline: Deadline | None = None
) -> dict[str, Any]:
    """Repository facts for ``target`` (a real path inside ``root``).

    ``repository`` is ``None`` (with a ``reason``) when ``target`` is not in
    a repository. Paths are reported relative to ``root``; a repository
    whose work tree starts above ``root`` has ``root: null`` and
    ``contains_server_root: true``. All git calls share ``deadline``.
    """
    deadline = deadline or Deadline(STATUS_TIMEOUT, "the status")
    directory = target if target.is_dir() else target.parent
    report: dict[str, Any] = {
        "path": relative_to_root(root, target),
        "kind": "directory" if target.is_dir() else "file",
        "directory": relative_to_root(root, directory),
        "repository": None,
        "reason": None,
        "identity": get_identity(directory, deadline=deadline).as_dict(),
    }
    try:
        status = repository_status(target, deadline=deadline)
    except NotARepository:
        report["reason"] = "not-a-repository"
        return report
    repo = status.as_dict()
    real_root = Path(realpath(root))
    inside = status.root == real_root or real_root in status.root.parents
    repo["root"] = relative_to_root(root, status.root) if inside else None
    repo["contains_server_root"] = not inside
    report["repository"] = repo
    if not status.has_commits:
        report["reason"] = "no-commits"
    return report
