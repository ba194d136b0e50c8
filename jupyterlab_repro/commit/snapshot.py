"""Snapshot & commit: commit cleaned notebooks without touching the working copy.

The cleaned notebook is written straight into git's object store and staged
in a *temporary* index seeded from HEAD, together with the other files the
user chose; the repository's own ``pre-commit`` and ``commit-msg`` hooks run
against that index (``git hook run``), then ``write-tree`` / ``commit-tree``
/ ``update-ref`` (compare-and-swap on the old HEAD) make the commit. Only the
committed paths of the real index are then reset to the new HEAD.

Invariants (DESIGN 1): the working copy is never rewritten unless
``clear_outputs`` is asked for; if anything fails before the ref moves, HEAD,
index, refs and files are exactly as before (the temporary index is
deleted, stray objects are unreachable); branch and tag names are checked
before the commit so nothing after ``update-ref`` is expected to fail, and if
it does, HEAD is moved back.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from ..deadline import Deadline
from ..errors import (
    GitBusy,
    GitError,
    GuardrailViolation,
    HookRejected,
    IdentityMissing,
    InvalidRequest,
    RefMoved,
    UnsafeFile,
)
from ..files import atomic_write, check_outside_git_dir, file_digest, read_file, realpath
from ..git.hooks import run_hook
from ..git.index import point_paths_at, tracked_paths
from ..git.lfs import lfs_tracked
from ..git.lock import repository_lock
from ..git.objects import (
    EMPTY_TREE,
    commit_tree,
    delete_ref,
    move_ref,
    set_ref,
    staging,
    write_blob,
)
from ..git.refs import BRANCHES, TAGS, check_new_ref, point_head
from ..git.repository import get_identity, git_dir, require_repository
from ..git.revisions import resolve_commit, symbolic_head, tree_entry, tree_of
from ..git.runner import Git
from ..git.tags import write_annotated_tag
from ..inputs import MAX_MESSAGE, check_optional_text
from ..notebook.clean import REMEMBERED_EXPORT_KEY, clean_text
from . import guardrails
from .message import format_message
from .rules import RepoConfig, load_repo_config

#: Bytes of a notebook that may remember export settings (``metadata.jupyterlab_repro``).
_REMEMBERED_EXPORT = b'"jupyterlab_repro"'

log = logging.getLogger(__name__)

#: Characters of the subject kept in reflog messages.
REFLOG_SUBJECT = 200
#: Seconds a whole snapshot (hooks included) may take when the caller gives no deadline.
SNAPSHOT_TIMEOUT = 300.0


@dataclass
class NotebookResult:
    path: str  # relative to the repository
    changed_in_commit: bool
    outputs_removed: int
    warnings: list[str] = field(default_factory=list)


@dataclass
class SnapshotResult:
    committed: bool
    message: str
    commit: str | None = None
    short_sha: str | None = None
    parent: str | None = None
    branch: str | None = None
    tag: str | None = None
    files: list[str] = field(default_factory=list)
    notebooks: list[NotebookResult] = field(default_factory=list)
    hook_output: str = ""
    reason: str | None = None  # e.g. "nothing-to-commit"
    working_copy_cleared: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def snapshot(
    notebooks: Sequence[str | os.PathLike[str]],
    message: str,
    *,
    commit_type: str | None = None,
    body: str | None = None,
    files: Sequence[str | os.PathLike[str]] = (),
    tag: str | None = None,
    tag_message: str | None = None,
    branch: str | None = None,
    clear_outputs: bool = False,
    deadline: Deadline | None = None,
) -> SnapshotResult:
    """Commit the cleaned ``notebooks`` plus ``files`` (absolute or cwd-relative paths).

    Every git call and hook shares ``deadline`` (default :data:`SNAPSHOT_TIMEOUT`).

    Raises
    ------
    NotARepository, InvalidRequest, IdentityMissing, GitBusy,
    GuardrailViolation, HookRejected, HookTimeout, NotebookInvalid, GitError
    """
    deadline = deadline or Deadline(SNAPSHOT_TIMEOUT, "the snapshot")
    if not notebooks and not files:
        raise InvalidRequest("Nothing to snapshot: give at least one notebook or file.")
    text = format_message(message, commit_type, body)
    check_optional_text(tag_message, "tag_message", max_length=MAX_MESSAGE, multiline=True)
    paths = [Path(os.path.abspath(p)) for p in [*notebooks, *files]]
    start = paths[0].parent
    while not start.is_dir() and start != start.parent:  # a deleted file's deleted folder
        start = start.parent
    root = require_repository(start, paths[0].name, deadline=deadline)
    git = Git(root, deadline)
    nb_rels = [_relative(root, Path(os.path.abspath(p))) for p in notebooks]
    file_rels = [_relative(root, Path(os.path.abspath(p))) for p in files]
    # A notebook passed among the other files is cleaned too: outputs never reach
    # a commit. Each path is committed once.
    nb_rels += [r for r in file_rels if r.lower().endswith(".ipynb") and (root / r).is_file()]
    nb_rels = list(dict.fromkeys(nb_rels))
    file_rels = [r for r in dict.fromkeys(file_rels) if r not in nb_rels]
    for rel in nb_rels:
        if not (root / rel).is_file():
            raise InvalidRequest(f"Not a notebook file: {rel}")
        if clear_outputs:  # refused now, not after the commit (the door refuses the rewrite)
            check_outside_git_dir(root / rel, within=root)
    _check_files_exist(git, file_rels)
    if get_identity(root, deadline=deadline).missing:
        raise IdentityMissing("git does not know who you are: set user.name and user.email first.")
    if branch is not None:
        check_new_ref(git, BRANCHES, branch, must_start="exp/")
    if tag is not None:
        check_new_ref(git, TAGS, tag)

    config = load_repo_config(root)
    violations = guardrails.check_files(git, file_rels, max_file_mb=config.max_file_mb)
    # Notebooks: the folder and name rules (.ipynb_checkpoints/ …); their size is
    # checked once cleaned, below.
    violations += [
        v
        for v in (guardrails.check_path(rel, 0, max_file_mb=0) for rel in nb_rels)
        if v is not None
    ]
    if violations:
        raise GuardrailViolation(
            "Refusing to commit "
            + ", ".join(f"{v.path} ({v.kind})" for v in violations)
            + ": add them to .gitignore or track them with Git LFS.",
            [v.as_dict() for v in violations],
        )

    # Committing LFS-tracked files without the .gitattributes that says so would
    # leave pointer files in every clone: the rules travel with the files.
    if (
        file_rels
        and ".gitattributes" not in file_rels
        and (root / ".gitattributes").is_file()
        and lfs_tracked(git, file_rels)
    ):
        file_rels.append(".gitattributes")

    with repository_lock(git):
        return _snapshot_locked(
            git,
            nb_rels,
            file_rels,
            text,
            config=config,
            tag=tag,
            tag_message=tag_message,
            branch=branch,
            clear_outputs=clear_outputs,
        )


def _snapshot_locked(
    git: Git,
    nb_rels: list[str],
    file_rels: list[str],
    text: str,
    *,
    config: RepoConfig,
    tag: str | None,
    tag_message: str | None,
    branch: str | None,
    clear_outputs: bool,
) -> SnapshotResult:
    root = git.cwd
    gdir = git_dir(git)
    if (gdir / "index.lock").exists():
        raise GitBusy(
            "Another git operation is running in this repository (.git/index.lock exists). "
            "Wait for it to finish, or remove the lock if no git process is running."
        )
    head = resolve_commit(git, "HEAD")
    head_ref = symbolic_head(git)

    # 1. Clean the notebooks and write their blobs (no file is written).
    cleaned: dict[str, bytes] = {}
    originals: dict[str, str] = {}  # content digests, to notice a save during the snapshot
    # What "clear outputs in my notebook too" writes: the committed text, plus
    # the export settings the lab remembers in the notebook (never committed).
    cleared_text: dict[str, bytes] = {}
    results: list[NotebookResult] = []
    for rel in nb_rels:
        raw, originals[rel] = _read_notebook(root, rel)
        clean, report = clean_text(raw, config.clean)
        if clear_outputs and _REMEMBERED_EXPORT in raw:
            keep = replace(config.clean, keep_keys=(*config.clean.keep_keys, REMEMBERED_EXPORT_KEY))
            cleared_text[rel] = clean_text(raw, keep)[0].encode("utf-8")
        del raw
        data = clean.encode("utf-8")
        max_bytes = config.max_file_mb * 1024 * 1024
        if config.max_file_mb > 0 and len(data) > max_bytes:
            raise GuardrailViolation(
                f"{rel} is {len(data) / 1e6:.1f} MB even without outputs "
                f"(limit {config.max_file_mb:g} MB).",
                [guardrails.Violation(rel, "too large", len(data), rel, False).as_dict()],
            )
        cleaned[rel] = data
        warnings = list(report.warnings) + [
            f"cell {o.cell_index + 1}: dropped a {o.size}-byte {o.output_type} output "
            "of a keep-output cell (over the size limit)"
            for o in report.kept_outputs_over_limit
        ]
        results.append(NotebookResult(rel, False, report.outputs_removed, warnings))

    with staging(git, gdir) as staged:
        staged.read_tree(head)
        entries = []
        for rel, data in cleaned.items():
            blob = write_blob(git, data)
            entry = tree_entry(git, head, rel) if head is not None else None
            entries.append((entry[0] if entry is not None else "100644", blob, rel))
        staged.set_entries(entries)
        # Through git so clean/LFS filters and executable bits apply.
        staged.add(file_rels)
        tree = staged.write_tree()
        head_tree = tree_of(git, head) if head else EMPTY_TREE
        for result in results:
            result.changed_in_commit = head is None or staged.differs(head, result.path)
        if tree == head_tree:
            return SnapshotResult(
                committed=False,
                message=text.strip(),
                parent=head,
                notebooks=results,
                files=file_rels,
                reason="nothing-to-commit",
                working_copy_cleared=(
                    _clear_working_copy(root, {**cleaned, **cleared_text}, originals, results)
                    if clear_outputs
                    else []
                ),
            )

        # 2. The repository's hooks, against the index being committed.
        hook_output = run_hook(staged.git, "pre-commit")
        tree = staged.write_tree()  # hooks may re-stage
        # A file of our own (O_EXCL, random name), not COMMIT_EDITMSG: a name
        # anyone could have planted a symlink under. Hooks get its path ($1).
        fd, name = tempfile.mkstemp(prefix="repro-COMMIT_EDITMSG-", dir=gdir)
        msg_file = Path(name)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(text.encode("utf-8"))
            hook_output += run_hook(staged.git, "commit-msg", [str(msg_file)])
            final_message = read_file(msg_file, within=gdir).decode("utf-8", "replace")
        finally:
            msg_file.unlink(missing_ok=True)
        if not final_message.strip():  # git commit aborts on an empty message too
            raise HookRejected("The commit-msg hook left an empty commit message.", hook_output)

        # 3. The commit (as the user: there is an identity, checked above).
        commit = commit_tree(
            git, tree, [head] if head else [], final_message, fallback_identity=False
        )

    subject = final_message.strip().splitlines()[0] if final_message.strip() else ""
    reflog = subject[:REFLOG_SUBJECT]  # a reflog message is a process argument
    # HEAD (or the new branch) moved only if nobody moved it meanwhile.
    if branch is not None:
        target_ref = BRANCHES + branch
        move_ref(git, target_ref, commit, None, reason=f"branch (repro): {reflog}")
        try:
            point_head(git, target_ref, reason=f"repro: switch to {branch}")
        except BaseException:
            _undo(root, head, head_ref, branch, commit, tag=None)
            raise
    else:
        try:
            move_ref(git, "HEAD", commit, head, reason=f"commit (repro): {reflog}")
        except RefMoved as exc:
            # Somebody committed meanwhile (outside this lock): nothing was moved.
            raise GitBusy(
                "HEAD moved while the snapshot was being made (another git operation "
                "committed); nothing was changed, try again."
            ) from exc

    tagged = None
    try:
        if tag is not None:
            write_annotated_tag(git, tag, commit, tag_message or subject)
            tagged = tag
        # Committed paths now match HEAD in the real index as well.
        point_paths_at(git, gdir, commit, cleaned, file_rels)
    except BaseException:
        _undo(root, head, head_ref, branch, commit, tag=tagged)
        raise

    hook_output += run_hook(git, "post-commit", check=False)
    cleared = (
        _clear_working_copy(root, {**cleaned, **cleared_text}, originals, results)
        if clear_outputs
        else []
    )
    return SnapshotResult(
        committed=True,
        message=final_message.strip(),
        commit=commit,
        short_sha=commit[:7],
        parent=head,
        branch=branch or (head_ref.removeprefix(BRANCHES) if head_ref else None),
        tag=tag,
        files=file_rels,
        notebooks=results,
        hook_output=hook_output,
        working_copy_cleared=cleared,
    )


def _clear_working_copy(
    root: Path,
    cleaned: dict[str, bytes],
    originals: dict[str, str],
    results: list[NotebookResult],
) -> list[str]:
    """Write the cleaned text over notebooks the user did not change meanwhile."""
    cleared: list[str] = []
    warnings = {r.path: r.warnings for r in results}
    for rel, data in cleaned.items():
        path = root / rel
        try:
            current: str | None = file_digest(path, within=root)
        except (OSError, UnsafeFile):
            current = None
        if current != originals[rel]:
            # Saved again since it was read: never overwrite newer work.
            warnings[rel].append("changed while snapshotting: outputs were not cleared")
            continue
        if current != hashlib.sha256(data).hexdigest():
            atomic_write(path, data, within=root)
        cleared.append(rel)
    return cleared


def _read_notebook(root: Path, rel: str) -> tuple[bytes, str]:
    """A notebook's bytes and their SHA-256 (through the file door: no FIFO, no symlink).

    The bytes go to :func:`clean_text` as they are: it checks UTF-8 itself
    and never decodes the output payloads it drops, so a snapshot holds about
    the file once (decoding it here first doubled that).
    """
    data = read_file(root / rel, within=root)
    return data, hashlib.sha256(data).hexdigest()


def _check_files_exist(git: Git, rels: list[str]) -> None:
    """Each file is on disk or known to git (a deletion to commit); else 400, before any write."""
    gone = [rel for rel in rels if not os.path.lexists(git.cwd / rel)]
    if not gone:
        return
    tracked = tracked_paths(git, gone)
    missing = [rel for rel in gone if rel not in tracked]
    if missing:
        raise InvalidRequest(
            "No such file: " + ", ".join(missing[:5]) + (" …" if len(missing) > 5 else "")
        )


def _relative(root: Path, path: Path) -> str:
    real = Path(realpath(path))
    try:
        return real.relative_to(root).as_posix()
    except ValueError:
        raise InvalidRequest(f"{path.name} is not in the repository at {root.name}.") from None


#: Seconds the undo of a failed snapshot may take (a deadline of its own: the
#: snapshot's may be what ran out).
UNDO_TIMEOUT = 10.0


def _undo(
    root: Path,
    head: str | None,
    head_ref: str | None,
    branch: str | None,
    commit: str,
    *,
    tag: str | None,
) -> None:
    """Move refs back (and drop the tag made) after a failure that followed update-ref."""
    git = Git(root, Deadline(UNDO_TIMEOUT, "undoing the snapshot"))
    try:
        if tag is not None:
            delete_ref(git, TAGS + tag)
        if branch is not None:
            if head_ref:
                point_head(git, head_ref)
            else:
                set_ref(git, "HEAD", head or "", no_deref=True)
            delete_ref(git, BRANCHES + branch, commit)
        elif head is not None:
            set_ref(git, "HEAD", head, commit)
        else:
            delete_ref(git, "HEAD", commit)
    except GitError:
        log.exception("could not undo the snapshot commit %s", commit)
