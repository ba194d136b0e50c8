"""Outputs kept aside so that a restore can switch branches, and brought back later.

A notebook that has been run differs from its commit by its outputs (and
execution counts, the kernel's ``language_info`` …): exactly what a snapshot
strips. git refuses to switch to a branch that holds another version of such
a notebook. :func:`switch_blockers` says which local changes are in the way
and whether they are only what a snapshot strips (the repository's cleaning
rules and the output-blind classification decide, as for the sidebar's
"outputs only"); :func:`keep_outputs` puts those files in a **git stash
entry** whose message names them and the run::

    stash@{0}: On main: jupyterlab-repro: outputs of train.ipynb before restoring run swift-owl-7

A stash rather than a hidden ref: ``git stash list`` shows it, ``git stash
pop`` brings it back, and every git tool (jupyterlab-git's stash list too)
knows it. :func:`kept_outputs` lists the entries made here and says which
can come back onto the code checked out now (the same version of each file
as when it was kept, and no change to it since); :func:`bring_back` pops one,
byte for byte as it was.

A notebook whose local version is the *branch's* code plus outputs (a run of
uncommitted edits, saved before it ran, restored as a branch) keeps its
outputs where they belong: :func:`carry_over` stashes it for the switch and
writes it back, byte for byte, onto the branch (:func:`carry_back`); the
stash entry is a safety net dropped once the file is back.

Nothing here moves a branch or HEAD; callers hold the repository's lock.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..commit.rules import load_repo_config
from ..deadline import Deadline
from ..errors import GitError, GitTimeout, InvalidRequest, ReproError, RestoreRefused
from ..files import read_file
from ..git.lock import repository_lock
from ..git.repository import require_repository
from ..git.revisions import read_blob, resolve_commit, tree_blobs
from ..git.runner import LITERAL_PATHSPECS, Git
from ..git.status import parse_porcelain_v2
from ..kernel.hidden_snapshots import write_as_someone
from ..notebook.clean import CleanConfig
from ..notebook.diff import classify

log = logging.getLogger(__name__)

#: How the message of every stash entry made here begins (after git's "On <branch>: ").
STASH_PREFIX = "jupyterlab-repro: outputs of "
#: Seconds listing or bringing back kept outputs may take when the caller gives no deadline.
KEPT_TIMEOUT = 30.0
#: Newest stash entries looked at when listing (older ones are git's to show).
MAX_LISTED = 50
#: Files named in a stash message before "…".
_NAMED_IN_MESSAGE = 3

_SHA = re.compile(r"^[0-9a-f]{7,64}$")


@dataclass
class Blockers:
    """Local changes that keep git from switching to a branch, by what they are."""

    #: Notebooks whose only changes are what a snapshot strips (outputs, counts, kernel facts).
    outputs: list[str] = field(default_factory=list)
    #: Notebooks that are the branch's version plus what a snapshot strips: they come along.
    carried: list[str] = field(default_factory=list)
    #: Tracked files with changes of their own (sources, other files, deletions, conflicts).
    changes: list[str] = field(default_factory=list)
    #: Files git does not track where the branch has a file (or a folder).
    untracked: list[str] = field(default_factory=list)

    @property
    def refused(self) -> bool:
        return bool(self.changes or self.untracked)

    def refusal(self, branch: str, root: Path) -> RestoreRefused:
        """Our sentence for the files in the way: every file named, the choices offered."""
        parts = []
        if self.changes:
            parts.append(
                f"{_names(self.changes)} {_have(self.changes)} changes of {_its(self.changes)} "
                "own (not only outputs) that the branch's version would overwrite"
            )
        if self.untracked:
            parts.append(
                f"{_names(self.untracked)} {_is(self.untracked)} not tracked by git, and the "
                "branch has files there"
            )
        files = [*self.changes, *self.untracked]
        message = (
            f"Not switched to {branch}: {'; '.join(parts)}. "
            "Commit them first (a snapshot) or move them away, then restore again; "
            "or open the run's notebook as a working copy instead. Nothing was changed."
        )
        kind = "local-changes" if self.changes else "untracked"
        return RestoreRefused(message, files, kind=kind, root=root)


@dataclass
class KeptOutputs:
    """A stash entry holding the outputs a restore kept aside."""

    #: The stash commit (stable; ``ref`` moves as other entries come and go).
    commit: str
    #: ``stash@{N}`` when it was listed.
    ref: str
    #: The branch it was made on (``None``: a detached HEAD).
    branch: str | None
    #: Repository-relative paths of the files it holds.
    files: list[str]
    #: The stash message (without git's "On <branch>: ").
    message: str
    #: Whether it can come back onto the code checked out now (``None``: not looked at).
    ready: bool | None = None
    #: Why it cannot (``None`` when ready).
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def switch_blockers(git: Git, target: str, config: CleanConfig | None = None) -> Blockers:
    """The local changes git would refuse to switch from HEAD to ``target`` over.

    A tracked file changed (in the index or on disk) where ``target``'s tree
    differs from HEAD's is in the way; it counts as outputs only when it is a
    notebook whose working copy — and staged version, if any — cleans to
    HEAD's blob. An untracked file is in the way where ``target`` has a file
    of that name, or a file where it is a folder (or the reverse).
    """
    if config is None:
        config = load_repo_config(git.cwd).clean
    diff = git.run(
        "diff", "--name-only", "-z", "--no-renames", "HEAD", target, "--", read_only=True
    ).stdout
    changed = {p for p in os.fsdecode(diff).split("\0") if p}
    folders = {parent for p in changed for parent in _parents(p)}

    def in_the_way(path: str) -> bool:
        path = path.rstrip("/")
        return (
            path in changed
            or path in folders
            or any(parent in changed for parent in _parents(path))
        )

    status = git.run(
        "status", "--porcelain=v2", "-z", "--untracked-files=all", read_only=True
    ).stdout
    _, entries = parse_porcelain_v2(status)
    notebooks = [e.path for e in entries if e.kind == "changed" and _notebook(e.path)]
    at_target = tree_blobs(git, target, notebooks)
    blockers = Blockers()
    for entry in entries:
        if entry.kind == "untracked":
            if in_the_way(entry.path):
                blockers.untracked.append(entry.path)
            continue
        names = [entry.path] + ([entry.orig_path] if entry.orig_path else [])
        if not any(in_the_way(name) for name in names):
            continue
        if _strips_to(git, entry, config, entry.head_blob):
            blockers.outputs.append(entry.path)
        elif _strips_to(git, entry, config, at_target.get(entry.path)):
            blockers.carried.append(entry.path)
        else:
            blockers.changes.append(entry.path)
    return blockers


def _notebook(path: str) -> bool:
    return path.lower().endswith(".ipynb")


def _strips_to(git: Git, entry: Any, config: CleanConfig, blob: str | None) -> bool:
    """Whether a changed notebook (on disk, and staged if it is) cleans to ``blob``."""
    if (
        blob is None
        or entry.kind != "changed"
        or not _notebook(entry.path)
        or entry.head_blob is None
        or "D" in entry.xy
        or "A" in entry.xy
    ):
        return False
    try:
        other = read_blob(git, blob)
        versions = [read_file(git.cwd / entry.path, within=git.cwd)]
        if entry.index_blob is not None and entry.index_blob != entry.head_blob:
            versions.append(read_blob(git, entry.index_blob))
        return all(classify(v, other, config) in ("outputs-only", "clean") for v in versions)
    except GitTimeout:
        raise
    except (ReproError, OSError) as exc:
        log.info("%s is counted as changed: %s", entry.path, exc)
        return False


def keep_outputs(git: Git, files: list[str], what: str) -> KeptOutputs:
    """Put ``files`` (their local changes) in a stash entry; the working copy gets HEAD's version.

    ``what`` names the run in the message (``run swift-owl-7``).
    """
    shown = ", ".join(files[:_NAMED_IN_MESSAGE]) + (" …" if len(files) > _NAMED_IN_MESSAGE else "")
    message = f"{STASH_PREFIX}{shown} before restoring {what}"
    args = ["stash", "push", "--quiet", "-m", message, "--", *files]
    write_as_someone(git.with_env(**LITERAL_PATHSPECS), *args)
    commit = resolve_commit(git, "refs/stash")
    if commit is None:  # git stashed nothing: it found no change
        raise GitError(f"git stash kept nothing of {shown}.")
    branch = _current_branch(git)
    return KeptOutputs(commit, "stash@{0}", branch, list(files), message)


def carry_over(git: Git, files: list[str], branch: str) -> str:
    """Stash ``files`` for the switch to ``branch``; :func:`carry_back` writes them back there.

    Returns the stash commit. Its message is not ours to list: were the
    restore to stop between the two, ``git stash list`` still shows it.
    """
    message = f"jupyterlab-repro: {', '.join(files)} carried over to {branch}"
    args = ["stash", "push", "--quiet", "-m", message, "--", *files]
    write_as_someone(git.with_env(**LITERAL_PATHSPECS), *args)
    commit = resolve_commit(git, "refs/stash")
    if commit is None:
        raise GitError(f"git stash kept nothing of {', '.join(files)}.")
    return commit


def carry_back(git: Git, commit: str, files: list[str]) -> None:
    """Write ``files`` from the stash entry ``commit`` over the working copy (not the index), drop it."""
    literal = git.with_env(**LITERAL_PATHSPECS)
    literal.run("restore", f"--source={commit}", "--worktree", "--", *files)
    ref = _ref_of(git, commit)
    if ref is not None:
        literal.run("stash", "drop", "--quiet", ref)


def put_back(git: Git, kept: KeptOutputs | str) -> None:
    """Undo :func:`keep_outputs` (or :func:`carry_over`, by commit) at once: a switch failed."""
    ref = _ref_of(git, kept if isinstance(kept, str) else kept.commit)
    if ref is not None:
        git.with_env(**LITERAL_PATHSPECS).run("stash", "pop", "--quiet", ref)


def kept_outputs(
    path: str | os.PathLike[str], *, deadline: Deadline | None = None
) -> list[KeptOutputs]:
    """The stash entries made by restores in ``path``'s repository, newest first.

    Each says whether it can come back now (``ready``) and, when not, why.
    """
    deadline = deadline or Deadline(KEPT_TIMEOUT, "listing the kept outputs")
    git = Git(require_repository(path, deadline=deadline), deadline)
    entries = _listed(git)
    for entry in entries:
        why = _not_ready(git, entry)
        entry.reason = why[1] if why else None
        entry.ready = why is None
    return entries


def bring_back(
    path: str | os.PathLike[str], commit: str | None = None, *, deadline: Deadline | None = None
) -> KeptOutputs:
    """Pop the kept outputs ``commit`` (default: the newest that can come back now).

    Raises :class:`RestoreRefused` (nothing changed) when they do not belong
    to the code checked out now, or the files changed since they were kept.
    """
    deadline = deadline or Deadline(KEPT_TIMEOUT, "bringing back the kept outputs")
    root = require_repository(path, deadline=deadline)
    git = Git(root, deadline)
    if commit is not None:
        commit = commit.strip().lower()
        if not _SHA.match(commit):
            raise InvalidRequest("'commit' must be the hex id of kept outputs (git stash list).")
    with repository_lock(git):
        entries = _listed(git)
        if commit is not None:
            chosen = [e for e in entries if e.commit.startswith(commit)]
            if len(chosen) != 1:
                raise InvalidRequest(
                    f"No kept outputs {commit[:12]} here (jupyter repro bring-back --list)."
                    if not chosen
                    else f"{commit} names more than one entry: give more of it."
                )
            entry = chosen[0]
            why = _not_ready(git, entry)
            if why is not None:
                raise RestoreRefused(why[1], entry.files, kind=why[0], root=root)
        else:
            if not entries:
                raise RestoreRefused(
                    "No outputs kept by a restore to bring back.", [], kind="none", root=root
                )
            reasons = [(e, _not_ready(git, e)) for e in entries]
            ready = [e for e, why in reasons if why is None]
            if not ready:
                first, why = reasons[0]
                kind, reason = why or ("none", "")
                raise RestoreRefused(reason, first.files, kind=kind, root=root)
            entry = ready[0]
        ref = _ref_of(git, entry.commit)
        if ref is None:  # gone since it was listed
            raise RestoreRefused(
                "Those kept outputs are gone from git stash list.", entry.files, kind="none"
            )
        git.with_env(**LITERAL_PATHSPECS).run("stash", "pop", "--quiet", ref)
    entry.ref, entry.ready, entry.reason = ref, True, None
    return entry


def _listed(git: Git) -> list[KeptOutputs]:
    """Our entries of ``git stash list``, newest first, with their files."""
    if resolve_commit(git, "refs/stash") is None:
        return []
    out = git.read(
        "stash", "list", f"--max-count={MAX_LISTED}", "--format=%H%x00%gd%x00%gs"
    ).splitlines()
    entries = []
    for line in out:
        parts = line.split("\0")
        if len(parts) != 3:
            continue
        sha, ref, subject = parts
        where, _, message = subject.partition(": ")
        if not message.startswith(STASH_PREFIX):
            continue
        branch = where[3:] if where.startswith("On ") else None
        if branch == "(no branch)":
            branch = None
        names = git.run(
            "diff", "--name-only", "-z", "--no-renames", f"{sha}^1", sha, "--", read_only=True
        ).stdout
        files = [p for p in os.fsdecode(names).split("\0") if p]
        entries.append(KeptOutputs(sha, ref, branch, files, message))
    return entries


def _not_ready(git: Git, entry: KeptOutputs) -> tuple[str, str] | None:
    """(kind, reason) ``entry`` cannot come back onto the code checked out now; ``None``: it can.

    ``other-code``: HEAD holds another version of a file; ``changed-since``:
    a file changed after its outputs were kept.
    """
    names = _names(entry.files)
    if not entry.files:
        return "none", "These kept outputs hold no file."
    base = f"{entry.commit}^1"
    literal = git.with_env(**LITERAL_PATHSPECS)
    if not literal.succeeds("diff", "--quiet", "--no-ext-diff", base, "HEAD", "--", *entry.files):
        where = f"on {entry.branch}" if entry.branch else "on a detached HEAD"
        now = _current_branch(git)
        switch = f"switch back to {entry.branch}" if entry.branch else "check out its commit"
        return "other-code", (
            f"The outputs of {names} were kept {where}, and "
            f"{f'{now} holds' if now else 'the commit checked out holds'} another version of "
            f"{_it(entry.files)}: {switch} to bring them back."
        )
    status = literal.run(
        "status",
        "--porcelain=v2",
        "-z",
        "--untracked-files=no",
        "--",
        *entry.files,
        read_only=True,
    ).stdout
    _, changes = parse_porcelain_v2(status)
    if changes:
        return "changed-since", (
            f"{_names([c.path for c in changes])} changed since {_its(entry.files)} outputs "
            f"were kept: bringing them back would mix them in. They stay in {entry.ref} "
            f"(git stash show -p {entry.ref})."
        )
    return None


def _ref_of(git: Git, commit: str) -> str | None:
    """``stash@{N}`` of the stash entry ``commit`` now, or ``None`` when it is gone."""
    if resolve_commit(git, "refs/stash") is None:
        return None
    for line in git.read("stash", "list", "--format=%H%x00%gd").splitlines():
        sha, _, ref = line.partition("\0")
        if sha == commit:
            return ref
    return None


def _current_branch(git: Git) -> str | None:
    try:
        return git.read("symbolic-ref", "-q", "--short", "HEAD") or None
    except GitTimeout:
        raise
    except GitError:
        return None


def _parents(path: str) -> list[str]:
    parts = path.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]


def _names(files: list[str]) -> str:
    if len(files) <= 1:
        return "".join(files)
    return ", ".join(files[:-1]) + " and " + files[-1]


def _have(files: list[str]) -> str:
    return "has" if len(files) == 1 else "have"


def _is(files: list[str]) -> str:
    return "is" if len(files) == 1 else "are"


def _its(files: list[str]) -> str:
    return "its" if len(files) == 1 else "their"


def _it(files: list[str]) -> str:
    return "it" if len(files) == 1 else "them"
