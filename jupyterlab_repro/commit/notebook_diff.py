"""The output-blind diff of a notebook between two revisions (or the working copy)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..deadline import Deadline
from ..errors import InvalidRequest
from ..files import read_file_if_exists, realpath
from ..git.repository import require_repository
from ..git.revisions import check_revision, file_at, resolve_commit
from ..git.runner import Git
from ..notebook.diff import diff_texts
from .rules import load_repo_config

#: Seconds a diff may take when the caller gives no deadline.
DIFF_TIMEOUT = 30.0


def diff_notebook(
    path: str | os.PathLike[str],
    *,
    from_rev: str | None = "HEAD",
    to_rev: str | None = None,
    deadline: Deadline | None = None,
) -> dict[str, Any]:
    """Output-blind diff of a notebook between two revisions.

    ``to_rev=None`` means the working copy; a side where the notebook does
    not exist (new or deleted) is diffed as empty. Returns the
    :class:`~jupyterlab_repro.notebook.diff.NotebookDiff` as a dict plus its
    text rendering and the repository-relative path.
    """
    deadline = deadline or Deadline(DIFF_TIMEOUT, "the diff")
    for rev in (from_rev, to_rev):
        if rev is not None:
            check_revision(rev)
    target = Path(os.path.abspath(path))
    root = require_repository(target.parent, target.name, deadline=deadline)
    try:
        rel = Path(realpath(target)).relative_to(root).as_posix()
    except ValueError:  # a symlink that leads out of the repository
        raise InvalidRequest(f"{target.name} is not in the repository at {root.name}.") from None
    git = Git(root, deadline)
    config = load_repo_config(root)
    old = _file_at(git, from_rev, rel) if from_rev else None
    if to_rev is None:
        new = read_file_if_exists(root / rel, within=root)
    else:
        new = _file_at(git, to_rev, rel)
    if old is None and new is None:
        raise InvalidRequest(f"{rel} exists in neither revision.")
    result = diff_texts(old, new, config.clean)
    data = result.to_dict()
    data["path"] = rel
    data["from"] = from_rev
    data["to"] = to_rev
    data["text"] = result.diff_text()
    return data


def _file_at(git: Git, rev: str, rel: str) -> bytes | None:
    """The file at ``rev`` (``None`` when it does not exist there, or HEAD is unborn)."""
    commit = resolve_commit(git, rev)
    if commit is None:
        if rev == "HEAD":
            return None  # no commits yet
        raise InvalidRequest(f"Unknown revision {rev!r}.")
    return file_at(git, commit, rel)
