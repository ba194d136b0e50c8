"""Where exported cells come from: the notebook's path, commit and dirtiness, for the header.

"Dirty" is what a snapshot would commit: a notebook whose only changes are
outputs, execution counts or other metadata cleaning strips (the lab writes
``language_info`` once a kernel starts; a run leaves outputs) exports code
that is exactly its commit's, and its header says so.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..commit.rules import load_repo_config
from ..deadline import Deadline
from ..errors import GitError, GitNotInstalled, GitTimeout, ReproError
from ..files import read_file, realpath
from ..git.repository import find_repository
from ..git.revisions import read_blob
from ..git.runner import Git
from ..git.status import porcelain_status
from ..notebook.diff import classify
from .writer import COMMIT_PREFIX

log = logging.getLogger(__name__)

#: Hex digits of the commit in the header.
SHA_LENGTH = 12
#: Seconds the git facts may take when the caller gives no deadline.
PROVENANCE_TIMEOUT = 10.0


@dataclass(frozen=True)
class Provenance:
    """Where the exported cells come from, for the module header."""

    notebook: str  # relative to the repository (or the given root), "/"-separated
    commit: str | None  # SHA_LENGTH hex digits
    dirty: bool
    state: Literal["committed", "uncommitted", "no-commits", "no-repository", "no-git"]

    @property
    def commit_line(self) -> str:
        if self.state == "no-repository":
            return f"{COMMIT_PREFIX}none (not in a git repository)"
        if self.state == "no-git":
            return f"{COMMIT_PREFIX}none (git is not available)"
        if self.state == "no-commits":
            return f"{COMMIT_PREFIX}none (the repository has no commits yet)"
        suffix = " (with uncommitted changes)" if self.dirty else ""
        return f"{COMMIT_PREFIX}{self.commit}{suffix}"


def notebook_provenance(
    notebook_path: str | os.PathLike[str],
    *,
    root: str | os.PathLike[str] | None = None,
    deadline: Deadline | None = None,
) -> Provenance:
    """Repository-relative path, HEAD commit and dirtiness of the notebook file.

    Outside a repository the path is relative to ``root`` when the notebook
    lies inside it, else just the file name. Two read-only git calls.
    """
    deadline = deadline or Deadline(PROVENANCE_TIMEOUT, "reading the notebook's commit")
    nb = Path(realpath(notebook_path))
    try:
        top = find_repository(nb.parent, deadline=deadline)
    except GitNotInstalled:
        log.warning("git is not installed: exporting %s without a commit", nb.name)
        return Provenance(nb.name, None, False, "no-git")
    if top is None:
        shown = nb.name
        if root is not None:
            real_root = Path(realpath(root))
            if real_root in nb.parents:
                shown = nb.relative_to(real_root).as_posix()
        return Provenance(shown, None, False, "no-repository")
    rel = nb.relative_to(top).as_posix()
    try:
        # "exp[1].ipynb" is a name, not a pattern.
        status = porcelain_status(Git(top, deadline), [rel], branch=True, ignored="matching")
    except GitTimeout:
        raise
    except GitError as exc:
        raise GitError(f"Cannot read the repository state of {rel}: {exc}", exc.stderr) from None
    oid = None
    dirty = False
    head_blob: str | None = None
    for record in status.decode("utf-8", "surrogateescape").split("\0"):
        if record.startswith("# branch.oid "):
            oid = record[len("# branch.oid ") :].strip()
        elif record[:2] in ("1 ", "2 ", "u ", "? ", "! "):
            dirty = True
            fields = record.split(" ", 8)
            if record[:2] == "1 " and len(fields) == 9 and set(fields[1]) <= {".", "M"}:
                head_blob = fields[6]  # changed in place: maybe only outputs
    if oid in (None, "(initial)"):
        return Provenance(rel, None, dirty, "no-commits")
    if dirty and head_blob and head_blob.strip("0") and rel.lower().endswith(".ipynb"):
        dirty = not _outputs_only(Git(top, deadline), top, rel, head_blob)
    return Provenance(rel, oid[:SHA_LENGTH], dirty, "uncommitted" if dirty else "committed")


def _outputs_only(git: Git, top: Path, rel: str, head_blob: str) -> bool:
    """Whether the notebook differs from HEAD's blob only by what a snapshot strips."""
    try:
        config = load_repo_config(top).clean
        data = read_file(top / rel, within=top)
        return classify(data, read_blob(git, head_blob), config) in ("outputs-only", "clean")
    except GitTimeout:
        raise
    except (ReproError, OSError) as exc:  # unreadable, invalid, a bad config: it counts as changed
        log.info("%s counts as changed for the export header: %s", rel, exc)
        return False
