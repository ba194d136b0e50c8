"""Which repository holds a path, what it is called, who commits in it.

Discovery (:func:`find_repository`), the repository's identity across clones
(:func:`repository_id`), its git directory, and the author identity git would
use (:func:`get_identity` / :func:`set_identity`).
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..deadline import Deadline
from ..errors import (
    GitError,
    GitTimeout,
    InvalidRequest,
    NotARepository,
    PathOutsideRoot,
    UnsafeRepository,
)
from ..files import is_within, realpath
from ..inputs import check_text
from .runner import LITERAL_PATHSPECS, Git, fs_path, run_git, text

log = logging.getLogger(__name__)


def _directory_of(path: Path) -> Path:
    return path if path.is_dir() else path.parent


def find_repository(
    path: str | os.PathLike[str], *, deadline: Deadline | None = None
) -> Path | None:
    """The work-tree root of the repository containing ``path``, or ``None``."""
    directory = _directory_of(Path(path))
    try:
        proc = run_git(
            ["rev-parse", "--show-toplevel"], directory, deadline=deadline, read_only=True
        )
    except GitTimeout:
        raise
    except GitError as exc:
        if "dubious ownership" in exc.stderr:
            # A repository is there, but owned by another user (a mounted volume
            # in a container, typically): say so instead of "not a repository".
            raise UnsafeRepository(
                "git refuses to use this repository because another user owns it; "
                "trust it with: git config --global --add safe.directory <path>",
                stderr=exc.stderr,
            ) from exc
        log.debug("not a repository: %s (%s)", directory, exc.stderr)
        return None
    # A path, not text: names that are not valid UTF-8 still round-trip.
    top = fs_path(proc.stdout)
    return Path(realpath(top)) if top else None


def require_repository(
    path: str | os.PathLike[str], name: str | None = None, *, deadline: Deadline | None = None
) -> Path:
    """Like :func:`find_repository`, but :class:`NotARepository` (naming ``name``) instead of None."""
    root = find_repository(path, deadline=deadline)
    if root is None:
        label = name or Path(path).name or os.fspath(path)
        raise NotARepository(f"{label} is not inside a git repository.")
    return root


def common_git_dir(git: Git) -> Path:
    """The repository's common git directory (shared by its worktrees), absolute."""
    out = git.read("rev-parse", "--git-common-dir")
    return (git.cwd / out).resolve()


def git_dirs(git: Git) -> tuple[Path, Path]:
    """(git directory, common git directory) of ``git.cwd``'s repository, in one call."""
    out = git.read("rev-parse", "--absolute-git-dir", "--git-common-dir")
    gdir, _, common = out.partition("\n")
    return Path(gdir), Path(realpath(git.cwd / common.strip()))


def git_dir(git: Git) -> Path:
    """The repository's git directory (absolute; ``.git`` or a worktree's)."""
    return Path(fs_path(git.run("rev-parse", "--absolute-git-dir", read_only=True).stdout))


def writable_git_dir(git: Git, within: str | os.PathLike[str]) -> Path:
    """The git directory of ``git.cwd``'s repository, if it may be written for the server root ``within``.

    A work tree inside ``within`` whose ``.git`` (or common git directory, for
    worktrees) lies outside it — a symlinked ``.git``, or a ``gitdir:`` file
    pointing away — is refused with :class:`PathOutsideRoot`. A work tree that
    starts above ``within`` (the server serves a folder of a larger
    repository) keeps its git directory above it too: that is allowed.
    """
    out = git.run("rev-parse", "--absolute-git-dir", "--git-common-dir", read_only=True).stdout
    gdir_text, _, common_text = os.fsdecode(out).rstrip("\n").partition("\n")
    gdir = Path(realpath(gdir_text))
    common = Path(realpath(git.cwd / common_text)) if common_text else gdir
    if is_within(git.cwd, within) and not (is_within(gdir, within) and is_within(common, within)):
        raise PathOutsideRoot(
            "This repository's .git lies outside the server root (a symbolic link, or a "
            "gitdir: file pointing away): nothing is written to it from here."
        )
    return gdir


def create_repository(git: Git, *, default_branch: str) -> None:
    """``git init`` in ``git.cwd``; the first branch is ``default_branch`` unless git's
    configuration names one (``init.defaultBranch``)."""
    args = ["init", "--quiet"]
    if not config_value(git, "init.defaultBranch"):
        args.append(f"--initial-branch={default_branch}")
    git.run(*args)


def first_commit(git: Git, paths: list[str], message: str) -> tuple[str, str]:
    """Commit ``paths`` as the first commit of a new repository; (commit, branch).

    ``git commit`` itself (hooks skipped), not :mod:`.objects`: this is the
    user's first commit on their branch, signed when their configuration
    asks for it (and failing when it cannot be signed).
    """
    git.run("add", "--", *paths, env=LITERAL_PATHSPECS)
    git.run("commit", "--quiet", "--no-verify", "-m", message)
    return git.read("rev-parse", "HEAD"), git.read("symbolic-ref", "--short", "HEAD")


def config_value(git: Git, key: str) -> str | None:
    """``git config --get key`` here, or ``None`` when unset."""
    try:
        return git.read("config", "--get", key) or None
    except GitTimeout:
        raise
    except GitError:
        return None


_REPOSITORY_IDS: dict[str, tuple[float, str]] = {}
_REPOSITORY_IDS_LOCK = threading.Lock()


def repository_id(
    root: str | os.PathLike[str],
    *,
    max_age: float | None = None,
    deadline: Deadline | None = None,
) -> str | None:
    """The repository's identity in every clone, on every machine: its root commit.

    The smallest (hex) parentless commit in HEAD's history, so a history
    with several roots still gives one answer; ``None`` before the first
    commit or when git cannot tell. Walking the history costs ~50 ms at
    10,000 commits, so answers are kept per repository path: for
    ``max_age`` seconds, or for the life of the process when ``None``
    (roots change only when unrelated histories are merged or rewritten).
    ``None`` answers are not kept: the first commit may come any moment.
    """
    key = realpath(root)
    with _REPOSITORY_IDS_LOCK:  # concurrent callers wait for one walk
        cached = _REPOSITORY_IDS.get(key)
        now = time.monotonic()
        if cached is not None and (max_age is None or now - cached[0] <= max_age):
            return cached[1]
        try:
            proc = run_git(
                ["rev-list", "--max-parents=0", "HEAD", "--"],
                key,
                deadline=deadline,
                read_only=True,
            )
        except GitError:  # no commits yet (cheap to ask again), or a timeout
            return None
        roots = text(proc).split()
        if not roots:
            return None
        _REPOSITORY_IDS[key] = (now, min(roots))
        return min(roots)


@dataclass
class Identity:
    """The author git would use for a commit in a given place."""

    name: str | None
    email: str | None

    @property
    def missing(self) -> bool:
        return not (self.name and self.email)

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "email": self.email, "missing": self.missing}


def get_identity(
    directory: str | os.PathLike[str], *, deadline: Deadline | None = None
) -> Identity:
    """``user.name`` / ``user.email`` as git resolves them here (env vars win)."""
    values: dict[str, str] = {}
    try:
        proc = run_git(
            ["config", "--get-regexp", r"^user\.(name|email)$"],
            directory,
            deadline=deadline,
            read_only=True,
        )
        for line in text(proc).splitlines():
            key, _, value = line.partition(" ")
            values[key] = value
    except GitTimeout:
        raise
    except GitError:
        pass  # exit status 1: neither key is set
    name = os.environ.get("GIT_AUTHOR_NAME") or values.get("user.name")
    email = os.environ.get("GIT_AUTHOR_EMAIL") or values.get("user.email")
    return Identity(name=name or None, email=email or None)


def set_identity(
    directory: str | os.PathLike[str],
    name: str,
    email: str,
    *,
    scope: str = "repository",
    deadline: Deadline | None = None,
) -> Identity:
    """Store ``user.name`` / ``user.email`` for this repository or globally."""
    name, email = valid_identity(name, email)
    if scope not in ("repository", "global"):
        raise InvalidRequest("scope must be 'repository' or 'global'.")
    deadline = deadline or Deadline(30.0, "saving the identity")
    flag = "--global" if scope == "global" else "--local"
    if scope == "repository" and find_repository(directory, deadline=deadline) is None:
        raise NotARepository("Cannot store a repository identity outside a repository.")
    git = Git(Path(directory), deadline)
    git.write("config", flag, "user.name", name)
    git.write("config", flag, "user.email", email)
    return get_identity(directory, deadline=deadline)


#: What git strips from the ends of a name or e-mail address ("crud", ident.c).
_GIT_CRUD = " .,:;<>\"'\\\t"

#: Longest name or e-mail address of an identity.
MAX_IDENTITY = 256

_EMAIL = re.compile(r"[^@\s<>\x00-\x1f\x7f]+@[^@\s<>\x00-\x1f\x7f]+")


def valid_identity(name: str, email: str) -> tuple[str, str]:
    """Stripped ``(name, email)``; :class:`InvalidRequest` when git could not use them."""
    name = check_text(name, "name", max_length=MAX_IDENTITY).strip()
    email = check_text(email, "email", max_length=MAX_IDENTITY).strip()
    if not name or not email:
        raise InvalidRequest("A git identity needs a name and an e-mail address.")
    if any(c in name for c in "<>\n\r\0"):
        raise InvalidRequest("The name must not contain '<', '>' or line breaks.")
    # git strips these from both ends, and refuses what is left empty.
    if not name.strip(_GIT_CRUD):
        raise InvalidRequest("The name must contain more than punctuation.")
    if not _EMAIL.fullmatch(email) or not all(p.strip(_GIT_CRUD) for p in email.split("@")):
        raise InvalidRequest(f"Not an e-mail address: {email[:80]!r}")
    return name, email
