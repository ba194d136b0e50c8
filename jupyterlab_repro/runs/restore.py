"""A way back to a run's code: the notebook as it was, as a branch, or as a working copy.

``notebook_at`` reads the notebook as a run's commit (or hidden snapshot)
holds it, for a read-only view that writes nothing. ``restore_branch``
makes ``exp/<run-name>`` point at the run's code — for a snapshot run, a
commit of the snapshot's tree on top of its parent (the commit the run
started from) — and switches to it (like DVC's ``exp branch``). Local
changes in the way that are only what a snapshot strips (a notebook that has
been run has outputs on disk, its commit has none) are kept in a git stash
entry and the switch goes on (:mod:`.kept_outputs`); any other change in the
way, or a notebook open in the lab that the switch would change, is a
:class:`~jupyterlab_repro.errors.RestoreRefused` naming every file, and
nothing is changed (no branch is left behind). ``restore_copy`` writes that
version under a new name beside the notebook, never over an existing file.
"""

from __future__ import annotations

import json
import logging
import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..deadline import Deadline
from ..errors import GitError, GitTimeout, InvalidRequest, RefTaken, RestoreRefused
from ..files import create_file, realpath, relative_to_root
from ..git.lock import repository_lock
from ..git.refs import BRANCHES, check_new_ref, is_snapshot_commit
from ..git.repository import require_repository
from ..git.revisions import file_at, require_commit, resolve_commit
from ..git.runner import LITERAL_PATHSPECS, Git
from ..inputs import check_text
from ..kernel.hidden_snapshots import write_as_someone
from .kept_outputs import (
    KeptOutputs,
    carry_back,
    carry_over,
    keep_outputs,
    put_back,
    switch_blockers,
)

log = logging.getLogger(__name__)

#: Seconds a restore may take when the caller gives no deadline.
RESTORE_TIMEOUT = 60.0
#: Seconds the undo of a failed restore may take (its own deadline: the request's may be spent).
UNDO_TIMEOUT = 10.0
#: Most changed files a restore's answer lists.
MAX_CHANGED_FILES = 1000

_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass
class NotebookVersion:
    """A notebook as a commit holds it."""

    path: str  # relative to the repository
    commit: str
    content: bytes
    snapshot: bool  # the commit is a hidden snapshot of a run

    def label(self) -> str:
        """``train.ipynb @ a1b2c3d`` — how a view of it is titled."""
        return f"{Path(self.path).name} @ {self.commit[:7]}"

    def as_json(self) -> dict[str, Any]:
        """The notebook parsed, in nbformat 4 as the lab shows it (version 3 is converted).

        Raises :class:`InvalidRequest` when the file at that commit is not a notebook.
        """
        where = f"{self.path} at {self.commit[:7]}"
        try:
            content = json.loads(self.content)
        except (ValueError, RecursionError):
            raise InvalidRequest(f"{where} is not a notebook.") from None
        if not isinstance(content, dict):
            raise InvalidRequest(f"{where} is not a notebook.")
        if content.get("nbformat") == 3:
            import nbformat  # the server's dependency; only a version 3 file needs it

            try:  # as the contents API reads it when the lab opens the file
                converted = nbformat.reads(self.content.decode("utf-8", "replace"), as_version=4)
            except Exception as exc:  # nbformat fails in many ways on a broken file
                raise InvalidRequest(f"{where} is a broken version 3 notebook: {exc}") from None
            content = json.loads(nbformat.writes(converted, version=4))
            # A read-only view is never saved: no "converted, will be saved as v4" dialog.
            content.get("metadata", {}).pop("orig_nbformat", None)
        return content


@dataclass
class RestoreResult:
    branch: str | None
    commit: str
    checked_out: bool
    #: Why the branch was not checked out (``None`` when it was, or when not asked).
    reason: str | None = None
    #: The working copy written, relative to the repository.
    copy: str | None = None
    #: The branch was there already, at the run's code (the same run restored again).
    reused: bool = False
    #: Local outputs put aside so the switch could happen (a git stash entry), if any.
    kept_outputs: dict[str, Any] | None = None
    #: Notebooks that were the branch's code plus outputs: they kept their outputs (repo paths).
    carried_outputs: list[str] = field(default_factory=list)
    #: Files the switch changed, relative to the repository (at most MAX_CHANGED_FILES).
    changed_files: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _locate(path: str | os.PathLike[str], commit: str, deadline: Deadline) -> tuple[Git, str, str]:
    target = Path(os.path.abspath(path))
    root = require_repository(target.parent, target.name, deadline=deadline)
    git = Git(root, deadline)
    rel = Path(realpath(target)).relative_to(root).as_posix()
    check_text(commit, "commit", max_length=1024)
    sha = require_commit(git, commit, what="commit", hint=" (was the snapshot garbage-collected?)")
    return git, rel, sha


def notebook_at(
    path: str | os.PathLike[str], commit: str, *, deadline: Deadline | None = None
) -> NotebookVersion:
    """The notebook ``path`` as ``commit`` (a run's commit or hidden snapshot) holds it."""
    deadline = deadline or Deadline(RESTORE_TIMEOUT, "reading the notebook as it was")
    git, rel, sha = _locate(path, commit, deadline)
    data = file_at(git, sha, rel)
    if data is None:
        raise InvalidRequest(f"{rel} does not exist at {sha[:7]}.")
    return NotebookVersion(rel, sha, data, is_snapshot_commit(git, sha))


def branch_name(run_name: str | None, run_id: str | None = None) -> str:
    """``exp/<run name>`` with what a ref name cannot hold replaced by ``-``."""
    base = _UNSAFE_NAME.sub("-", (run_name or "").strip()).strip("-.") or (run_id or "run")[:12]
    return f"exp/{base[:80]}"


def restore_branch(
    path: str | os.PathLike[str],
    commit: str,
    *,
    branch: str,
    run_id: str | None = None,
    run_name: str | None = None,
    open_paths: list[str] | None = None,
    checkout: bool = True,
    any_free_name: bool = False,
    deadline: Deadline | None = None,
) -> RestoreResult:
    """Create ``branch`` at the run's code and (unless ``checkout`` is false) switch to it.

    Local changes that are only what a snapshot strips are kept in a git
    stash entry first (``kept_outputs`` in the result says which). Raises
    :class:`RestoreRefused`, having changed nothing, when other local changes
    or untracked files are in the way, or when one of ``open_paths`` (the
    repository-relative paths of notebooks open in the lab with work the
    switch would replace) would change. An existing ``branch`` is refused,
    unless ``any_free_name`` (the name was made from the run's, not asked
    for): then a branch already at the run's code is used again (the same
    run restored twice) and otherwise the first free ``<branch>-2``, ``-3`` …
    is made.
    """
    deadline = deadline or Deadline(RESTORE_TIMEOUT, "restoring the run")
    git, rel, sha = _locate(path, commit, deadline)
    what = _run_label(run_id, run_name, sha)
    with repository_lock(git):
        return _restore_branch_locked(
            git, sha, branch, what, open_paths or [], checkout, any_free_name
        )


def _run_label(run_id: str | None, run_name: str | None, sha: str) -> str:
    """``run swift-owl-7 (0123abcd)``: how messages and the stash entry name the run."""
    if run_name and run_id:
        return f"run {run_name} ({run_id[:8]})"
    if run_name or run_id:
        return f"run {run_name or run_id}"
    return f"the code of {sha[:7]}"


def _restore_branch_locked(
    git: Git,
    sha: str,
    branch: str,
    what: str,
    open_paths: list[str],
    checkout: bool,
    any_free_name: bool,
) -> RestoreResult:
    snapshot = is_snapshot_commit(git, sha)
    name, existing = _branch_for(git, branch, sha, snapshot, any_free_name)
    if existing is not None:
        target = existing
    elif snapshot:
        # A commit of the snapshot's tree on top of the commit the run started from.
        parent = resolve_commit(git, f"{sha}^")
        subject = f"exp: the code of {what} (restored by jupyterlab-repro)"
        args = ["commit-tree", f"{sha}^{{tree}}", "-m", subject]
        if parent:
            args[2:2] = ["-p", parent]
        target = write_as_someone(git, *args)
    else:
        target = sha
    if checkout:
        in_the_way = _changed_paths(git, target, open_paths)
        if in_the_way:
            raise _open_refusal(name, in_the_way, git.cwd)
    created = existing is None
    if created:
        full = BRANCHES + name
        git.run("update-ref", "-m", f"repro: restore {what}", full, target, "")
    result = RestoreResult(branch=name, commit=target, checked_out=False, reused=not created)
    if not checkout:
        return result
    aside = _Aside(origin=_where(git))
    try:
        changed = _tree_changes(git, target)
        try:
            git.run("switch", "--quiet", name)
        except GitTimeout:
            raise
        except GitError as refused:
            _put_aside(git, target, name, what, refused, aside)
            git.run("switch", "--quiet", name)
        if aside.carried is not None:
            carry_back(git, aside.carried, aside.carried_files)
    except BaseException:
        _undo(git.cwd, name, created, target, aside)
        raise
    result.checked_out = True
    result.changed_files = changed
    result.kept_outputs = aside.kept.as_dict() if aside.kept else None
    result.carried_outputs = aside.carried_files
    return result


@dataclass
class _Aside:
    """What a restore put aside to switch: kept outputs, and notebooks carried over."""

    #: Where HEAD was: ``refs/heads/<branch>``, or a commit (detached).
    origin: str = ""
    kept: KeptOutputs | None = None
    carried: str | None = None  # the stash commit
    carried_files: list[str] = field(default_factory=list)


def _put_aside(
    git: Git, target: str, name: str, what: str, refused: GitError, aside: _Aside
) -> None:
    """After git refused the switch: stash what is in the way, or raise our refusal."""
    blockers = switch_blockers(git, target)
    if blockers.refused:
        raise blockers.refusal(name, git.cwd)
    if not blockers.outputs and not blockers.carried:  # git refused over something we miss
        said = " ".join(refused.stderr.split()) or str(refused)
        files = [ln.strip() for ln in refused.stderr.splitlines() if ln.startswith("\t")]
        raise RestoreRefused(
            f"Not switched to {name}: git refused ({said}). Nothing was changed.",
            files,
            kind="git",
            root=git.cwd,
        )
    if blockers.carried:
        aside.carried = carry_over(git, blockers.carried, name)
        aside.carried_files = blockers.carried
    if blockers.outputs:
        aside.kept = keep_outputs(git, blockers.outputs, what)


def _open_refusal(name: str, files: list[str], root: Path) -> RestoreRefused:
    listed = ", ".join(files[:-1]) + " and " + files[-1] if len(files) > 1 else files[0]
    verb = "is" if len(files) == 1 else "are"
    return RestoreRefused(
        f"Not switched to {name}: {listed} {verb} open in the lab with changes that are not "
        "saved, and the branch holds another version. Save (and commit) or close without "
        "saving, then restore again; or open the run's notebook as a working copy instead. "
        "Nothing was changed.",
        files,
        kind="open-notebooks",
        root=root,
    )


def _tree_changes(git: Git, target: str) -> list[str]:
    """Files that differ between HEAD and ``target`` (what a switch rewrites)."""
    out = git.run(
        "diff", "--name-only", "-z", "--no-renames", "HEAD", target, "--", read_only=True
    ).stdout
    return [p for p in os.fsdecode(out).split("\0") if p][:MAX_CHANGED_FILES]


def _undo(root: Path, branch: str, created: bool, target: str, aside: _Aside) -> None:
    """Put back what a failed restore changed: HEAD, what it stashed, the branch it made."""
    git = Git(root, Deadline(UNDO_TIMEOUT, "undoing the restore"))
    try:
        if aside.origin and _where(git) != aside.origin:  # it failed after the switch
            back = aside.origin.removeprefix(BRANCHES)
            detach = [] if aside.origin.startswith(BRANCHES) else ["--detach"]
            git.run("switch", "--quiet", "--discard-changes", *detach, back)
        if aside.kept is not None:
            put_back(git, aside.kept)
        if aside.carried is not None:
            put_back(git, aside.carried)
        if created:
            git.run("update-ref", "-d", BRANCHES + branch, target)
    except GitError:
        log.exception("could not undo the restore of %s fully", branch)


def _where(git: Git) -> str:
    """``refs/heads/<branch>`` HEAD points at, or HEAD's commit when detached."""
    try:
        return git.read("symbolic-ref", "-q", "HEAD")
    except GitTimeout:
        raise
    except GitError:
        return resolve_commit(git, "HEAD") or ""


#: Most ``-N`` suffixes tried for a free branch name.
MAX_SUFFIX = 100


def _branch_for(
    git: Git, branch: str, sha: str, snapshot: bool, any_free_name: bool
) -> tuple[str, str | None]:
    """The branch name to restore to, and its tip when it already holds the run's code."""
    if not any_free_name:
        check_new_ref(git, BRANCHES, branch, must_start="exp/")
        return branch, None
    for n in range(1, MAX_SUFFIX + 1):
        name = branch if n == 1 else f"{branch}-{n}"
        tip = resolve_commit(git, BRANCHES + name)
        if tip is not None:
            if _same_code(git, tip, sha, snapshot):
                return name, tip
            continue
        try:
            check_new_ref(git, BRANCHES, name, must_start="exp/")
        except RefTaken:  # clashes with or shadows another ref: the next name
            continue
        return name, None
    raise InvalidRequest(f"Too many branches named {branch}-N: delete some, or name the branch.")


def _same_code(git: Git, tip: str, sha: str, snapshot: bool) -> bool:
    """Whether the branch tip ``tip`` is the run's code ``sha`` as a restore makes it."""
    if tip == sha:
        return True
    if not snapshot:
        return False
    # Tree and parents of both, in one call: a restore copies the snapshot's tree and parent.
    tree_and_parents = git.read("show", "--no-patch", "--format=%T %P", tip, sha).splitlines()
    return len(tree_and_parents) == 2 and tree_and_parents[0] == tree_and_parents[1]


def _changed_paths(git: Git, target: str, paths: list[str]) -> list[str]:
    if not paths:
        return []
    out = git.run(
        "diff",
        "--name-only",
        "-z",
        "HEAD",
        target,
        "--",
        *paths,
        env=LITERAL_PATHSPECS,
        read_only=True,
    ).stdout
    return [p for p in os.fsdecode(out).split("\0") if p]


def restore_copy(
    path: str | os.PathLike[str],
    commit: str,
    *,
    name: str,
    deadline: Deadline | None = None,
    within: str | os.PathLike[str] | None = None,
) -> RestoreResult:
    """Write the notebook as ``commit`` holds it as ``<stem>-<name>.ipynb`` beside it.

    An existing file is never overwritten: ``-2``, ``-3`` … are tried.
    """
    deadline = deadline or Deadline(RESTORE_TIMEOUT, "restoring the run")
    version = notebook_at(path, commit, deadline=deadline)
    real = Path(realpath(path))
    base = Path(realpath(within)) if within is not None else real.parent
    slug = _UNSAFE_NAME.sub("-", name.strip()).strip("-.")[:80] or version.commit[:7]
    for n in range(1, 100):
        suffix = "" if n == 1 else f"-{n}"
        candidate = real.with_name(f"{real.stem}-{slug}{suffix}{real.suffix}")
        try:
            create_file(candidate, version.content, within=base)
        except FileExistsError:
            continue
        root = require_repository(real.parent, deadline=deadline)
        return RestoreResult(
            branch=None,
            commit=version.commit,
            checked_out=False,
            copy=relative_to_root(root, candidate),
        )
    raise InvalidRequest(f"Too many copies of {real.name} named {slug}: remove some first.")
