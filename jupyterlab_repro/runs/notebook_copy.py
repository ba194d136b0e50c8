"""The notebook as it was for a run: a read-only copy beside the notebook."""

from __future__ import annotations

import os
from pathlib import Path

from ..deadline import Deadline
from ..errors import InvalidRequest
from ..files import atomic_write, make_folders, read_file_if_exists, set_mode
from ..git.repository import git_dir, require_repository, writable_git_dir
from ..git.revisions import file_at, require_commit
from ..git.runner import Git

#: Copies written by :func:`notebook_at_commit` (kept out of ``git status``).
COPY_PATTERN = "*@[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f].ipynb"

#: Seconds writing a copy may take when the caller gives no deadline.
COPY_TIMEOUT = 30.0


def notebook_at_commit(
    path: str | os.PathLike[str],
    commit: str,
    *,
    deadline: Deadline | None = None,
    within: str | os.PathLike[str] | None = None,
) -> Path:
    """Write the notebook as it was at ``commit`` next to it, read-only.

    The copy is named ``<stem>@<short sha>.ipynb`` (e.g. ``train@a1b2c3d.ipynb``),
    the current notebook is not touched, and the name pattern is added to the
    repository's local ``.git/info/exclude`` so copies never show as changes.
    ``commit`` may be a hidden snapshot (``refs/repro/snapshots/…``).

    Both files are written through the file door below ``within`` (the
    server root; default: the notebook's folder): a symlink planted under the
    copy's name, or as ``.git/info/exclude``, is refused, never written
    through or ``chmod``-ed.
    """
    deadline = deadline or Deadline(COPY_TIMEOUT, "copying the notebook")
    target = Path(os.path.abspath(path))
    root = require_repository(target.parent, target.name, deadline=deadline)
    if not commit or commit.startswith("-") or not all(c.isalnum() or c in "/._-" for c in commit):
        raise InvalidRequest(f"Invalid commit {commit!r}.")
    git = Git(root, deadline)
    rel = Path(os.path.realpath(target)).relative_to(root).as_posix()
    sha = require_commit(git, commit, what="commit", hint=" (was the snapshot garbage-collected?)")
    data = file_at(git, sha, rel)
    if data is None:
        raise InvalidRequest(f"{rel} does not exist at {sha[:7]}.")
    real = Path(os.path.realpath(target))
    base = Path(os.path.realpath(within)) if within is not None else real.parent
    gdir = writable_git_dir(git, base) if within is not None else git_dir(git)
    copy = real.with_name(f"{real.stem}@{sha[:7]}{real.suffix}")
    if os.path.lexists(copy):
        set_mode(copy, 0o444, within=base)
    else:
        atomic_write(copy, data, within=base, mode=0o444)
    exclude = gdir / "info" / "exclude"
    make_folders(exclude.parent, within=gdir)
    text = read_file_if_exists(exclude, within=gdir) or b""
    if COPY_PATTERN.encode() not in text.splitlines():
        if text and not text.endswith(b"\n"):
            text += b"\n"
        text += f"# notebooks as they were for a run (jupyterlab-repro)\n{COPY_PATTERN}\n".encode()
        atomic_write(exclude, text, within=gdir)
    return copy
