"""A new repository for a folder: ``git init``, an ML ``.gitignore``, a first commit."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..deadline import Deadline
from ..errors import IdentityMissing, InvalidRequest, RepositoryExists
from ..files import atomic_write, check_outside_git_dir, realpath
from ..git.repository import (
    create_repository,
    find_repository,
    first_commit,
    get_identity,
    set_identity,
    valid_identity,
)
from ..git.runner import Git
from .gitignore import read_gitignore, write_ml_gitignore

INITIAL_COMMIT_MESSAGE = "chore: initialize repository"

#: Seconds initializing may take when the caller gives no deadline.
INIT_TIMEOUT = 60.0


@dataclass
class InitResult:
    root: Path
    branch: str
    commit: str
    gitignore_created: bool


def init_repository(
    directory: str | os.PathLike[str],
    *,
    name: str | None = None,
    email: str | None = None,
    deadline: Deadline | None = None,
) -> InitResult:
    """Create a repository in ``directory`` with an ML ``.gitignore`` and a first commit.

    Refuses when ``directory`` already lies inside a repository or inside a
    git directory (:class:`InsideGitDirectory`). The first commit holds only
    ``.gitignore`` (existing rules kept, missing ML rules appended). When git
    has no identity and none is given,
    :class:`IdentityMissing` is raised before anything is written. On any
    failure the directory is left as it was.
    """
    deadline = deadline or Deadline(INIT_TIMEOUT, "initializing the repository")
    target = Path(directory)
    if not target.is_dir():
        raise InvalidRequest(f"Not a directory: {target.name}")
    check_outside_git_dir(target)  # git init would write there, not the file door
    if find_repository(target, deadline=deadline) is not None:
        raise RepositoryExists(f"{target.name or target} is already inside a git repository.")
    if os.path.lexists(target / ".git"):
        raise RepositoryExists(f"{target.name or target} has a .git entry that git cannot read.")
    if (name is None) != (email is None):
        raise InvalidRequest("Give both a name and an e-mail address, or neither.")
    if name is not None and email is not None:
        name, email = valid_identity(name, email)  # before anything is written
    elif get_identity(target, deadline=deadline).missing:
        raise IdentityMissing("git does not know who you are: set user.name and user.email first.")

    git = Git(target, deadline)
    previous = read_gitignore(target)
    try:
        create_repository(git, default_branch="main")
        if name is not None and email is not None:
            set_identity(target, name, email, scope="repository", deadline=deadline)
        write_ml_gitignore(target, previous)
        commit, branch = first_commit(git, [".gitignore"], INITIAL_COMMIT_MESSAGE)
    except BaseException:
        shutil.rmtree(target / ".git", ignore_errors=True)
        gitignore = target / ".gitignore"
        if previous is None:
            gitignore.unlink(missing_ok=True)
        else:
            atomic_write(gitignore, previous, within=target)
        raise
    return InitResult(
        root=Path(realpath(target)),
        branch=branch,
        commit=commit,
        gitignore_created=previous is None,
    )
