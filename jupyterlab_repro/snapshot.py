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

import contextlib
import hashlib
import logging
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from . import guardrails
from .errors import (
    GitBusy,
    GitError,
    GuardrailViolation,
    HookRejected,
    IdentityMissing,
    InvalidRequest,
)
from .fileio import atomic_write
from .notebook_clean import clean_text
from .repo_config import load_repo_config
from .vcs import get_identity, require_repository, run_git

try:  # POSIX; on other systems the in-process lock alone serializes
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

COMMIT_TYPES = ("feat", "fix", "exp", "refactor", "docs", "chore")
LOCK_WAIT = 30.0
_EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
#: File names are names, not glob patterns ("a[1].ipynb" must not match "a1.ipynb").
_LITERAL = {"GIT_LITERAL_PATHSPECS": "1"}

_thread_locks: dict[str, threading.Lock] = {}
_thread_locks_guard = threading.Lock()


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


def format_message(message: str, commit_type: str | None, body: str | None = None) -> str:
    """``type: subject`` (Conventional Commits) plus an optional body."""
    subject = " ".join((message or "").split())
    if not subject:
        raise InvalidRequest("A commit message is required.")
    if commit_type:
        if commit_type not in COMMIT_TYPES:
            raise InvalidRequest(
                f"Unknown commit type {commit_type!r}; use one of {', '.join(COMMIT_TYPES)}."
            )
        if not re.match(rf"^{re.escape(commit_type)}(\([^)]*\))?!?:", subject):
            subject = f"{commit_type}: {subject}"
    text = subject
    if body and body.strip():
        text += "\n\n" + body.strip()
    return text + "\n"


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
    timeout: float = 60.0,
) -> SnapshotResult:
    """Commit the cleaned ``notebooks`` plus ``files`` (absolute or cwd-relative paths).

    Raises
    ------
    NotARepository, InvalidRequest, IdentityMissing, GitBusy,
    GuardrailViolation, HookRejected, NotebookInvalid, GitError
    """
    if not notebooks and not files:
        raise InvalidRequest("Nothing to snapshot: give at least one notebook or file.")
    text = format_message(message, commit_type, body)
    paths = [Path(os.path.abspath(p)) for p in [*notebooks, *files]]
    start = paths[0].parent
    while not start.is_dir() and start != start.parent:  # a deleted file's deleted folder
        start = start.parent
    root = require_repository(start, paths[0].name)
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
    if get_identity(root).missing:
        raise IdentityMissing("git does not know who you are: set user.name and user.email first.")
    if branch is not None:
        _check_new_ref(root, "refs/heads/", branch, must_start="exp/")
    if tag is not None:
        _check_new_ref(root, "refs/tags/", tag)

    config = load_repo_config(root)
    violations = guardrails.check_files(root, file_rels, max_file_mb=config.max_file_mb)
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
        and guardrails.lfs_tracked(root, file_rels)
    ):
        file_rels.append(".gitattributes")

    with repository_lock(root):
        return _snapshot_locked(
            root,
            nb_rels,
            file_rels,
            text,
            config=config,
            tag=tag,
            tag_message=tag_message,
            branch=branch,
            clear_outputs=clear_outputs,
            timeout=timeout,
        )


def _snapshot_locked(
    root: Path,
    nb_rels: list[str],
    file_rels: list[str],
    text: str,
    *,
    config: Any,
    tag: str | None,
    tag_message: str | None,
    branch: str | None,
    clear_outputs: bool,
    timeout: float,
) -> SnapshotResult:
    git_dir = Path(_read(root, ["rev-parse", "--absolute-git-dir"], timeout))
    if (git_dir / "index.lock").exists():
        raise GitBusy(
            "Another git operation is running in this repository (.git/index.lock exists). "
            "Wait for it to finish, or remove the lock if no git process is running."
        )
    head = _resolve(root, "HEAD", timeout)
    head_ref = _symbolic_head(root, timeout)

    # 1. Clean the notebooks and write their blobs (no file is written).
    cleaned: dict[str, bytes] = {}
    originals: dict[str, str] = {}  # content digests, to notice a save during the snapshot
    results: list[NotebookResult] = []
    for rel in nb_rels:
        raw, originals[rel] = _read_notebook(root / rel)
        clean, report = clean_text(raw, config.clean)
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

    with _temporary_index(git_dir) as index_file:
        env = {"GIT_INDEX_FILE": str(index_file)}
        if head is not None:
            run_git(["read-tree", "HEAD"], root, env=env, timeout=timeout)
        else:
            run_git(["read-tree", "--empty"], root, env=env, timeout=timeout)
        for rel, data in cleaned.items():
            blob = (
                run_git(
                    ["hash-object", "-w", "--no-filters", "--stdin"],
                    root,
                    input=data,
                    timeout=timeout,
                )
                .stdout.decode()
                .strip()
            )
            mode = _mode_in_head(root, head, rel, timeout) or "100644"
            run_git(
                ["update-index", "--add", "--cacheinfo", f"{mode},{blob},{rel}"],
                root,
                env=env,
                timeout=timeout,
            )
        if file_rels:
            # Through git so clean/LFS filters and executable bits apply.
            run_git(
                ["add", "--all", "--", *file_rels], root, env={**env, **_LITERAL}, timeout=timeout
            )
        tree = _read(root, ["write-tree"], timeout, env=env)
        head_tree = _resolve(root, "HEAD^{tree}", timeout) if head else _EMPTY_TREE
        for result in results:
            result.changed_in_commit = _changed(root, head, env, result.path, timeout)
        if tree == head_tree:
            return SnapshotResult(
                committed=False,
                message=text.strip(),
                parent=head,
                notebooks=results,
                files=file_rels,
                reason="nothing-to-commit",
                working_copy_cleared=(
                    _clear_working_copy(root, cleaned, originals, results) if clear_outputs else []
                ),
            )

        # 2. The repository's hooks, against the index being committed.
        hook_output = _run_hook(root, "pre-commit", [], env, timeout)
        tree = _read(root, ["write-tree"], timeout, env=env)  # hooks may re-stage
        msg_file = git_dir / "COMMIT_EDITMSG"
        msg_file.write_text(text, encoding="utf-8")
        hook_output += _run_hook(root, "commit-msg", [str(msg_file)], env, timeout)
        final_message = msg_file.read_text(encoding="utf-8")
        if not final_message.strip():  # git commit aborts on an empty message too
            raise HookRejected("The commit-msg hook left an empty commit message.", hook_output)

        # 3. The commit, and HEAD moved only if nobody moved it meanwhile.
        parents = ["-p", head] if head else []
        commit = (
            run_git(
                ["commit-tree", tree, *parents, "-F", "-"],
                root,
                input=final_message.encode("utf-8"),
                timeout=timeout,
            )
            .stdout.decode()
            .strip()
        )

    subject = final_message.strip().splitlines()[0] if final_message.strip() else ""
    target_ref = head_ref
    if branch is not None:
        target_ref = f"refs/heads/{branch}"
        run_git(
            ["update-ref", "-m", f"branch (repro): {subject}", target_ref, commit, ""],
            root,
            timeout=timeout,
        )
        try:
            run_git(["symbolic-ref", "-m", f"repro: switch to {branch}", "HEAD", target_ref], root)
        except GitError:
            run_git(["update-ref", "-d", target_ref, commit], root)
            raise
    else:
        try:
            run_git(
                ["update-ref", "-m", f"commit (repro): {subject}", "HEAD", commit, head or ""],
                root,
                timeout=timeout,
            )
        except GitError as exc:
            if _resolve(root, "HEAD", timeout) != head:
                # Somebody committed meanwhile (outside this lock): nothing was moved.
                raise GitBusy(
                    "HEAD moved while the snapshot was being made (another git operation "
                    "committed); nothing was changed, try again."
                ) from exc
            raise

    try:
        if tag is not None:
            run_git(
                ["tag", "-a", "-m", tag_message or subject, "--", tag, commit],
                root,
                timeout=timeout,
            )
        # Committed paths now match HEAD in the real index as well.
        _sync_real_index(root, git_dir, commit, cleaned, file_rels, timeout)
    except GitError:
        _undo(root, head, head_ref, branch, commit, timeout)
        raise

    hook_output += _run_hook(root, "post-commit", [], {}, timeout, check=False)
    cleared = _clear_working_copy(root, cleaned, originals, results) if clear_outputs else []
    return SnapshotResult(
        committed=True,
        message=final_message.strip(),
        commit=commit,
        short_sha=commit[:7],
        parent=head,
        branch=branch or (head_ref.removeprefix("refs/heads/") if head_ref else None),
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
            current = _digest(path)
        except OSError:
            current = None
        if current != originals[rel]:
            # Saved again since it was read: never overwrite newer work.
            warnings[rel].append("changed while snapshotting: outputs were not cleared")
            continue
        if current != hashlib.sha256(data).hexdigest():
            atomic_write(path, data)
        cleared.append(rel)
    return cleared


_CHUNK = 8 * 1024 * 1024


def _read_notebook(path: Path) -> tuple[bytes, str]:
    """A notebook's bytes and their SHA-256.

    The bytes go to :func:`clean_text` as they are: it checks UTF-8 itself
    and never decodes the output payloads it drops, so a snapshot holds about
    the file once (decoding it here first doubled that).
    """
    data = path.read_bytes()
    return data, hashlib.sha256(data).hexdigest()


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _sync_real_index(
    root: Path,
    git_dir: Path,
    commit: str,
    cleaned: dict[str, bytes],
    file_rels: list[str],
    timeout: float,
) -> None:
    """Point the committed paths of the real index at the new commit.

    ``git reset -- <nb>`` would leave the notebook's entry with zeroed stat
    data, and every later ``git status`` (our polls included) would re-hash
    the whole notebook with its outputs (measured: 0.1 s at 50 MB, 0.6 s at
    200 MB, per call). Staging the cleaned text from a scratch work tree
    records its real size instead, so git sees at once that the working copy
    (with outputs) differs. An entry that does not come out as the committed
    blob (e.g. a clean filter configured for notebooks) falls back to reset.
    """
    if file_rels:
        run_git(["reset", "-q", commit, "--", *file_rels], root, env=_LITERAL, timeout=timeout)
    if not cleaned:
        return
    tree = run_git(["ls-tree", "-z", commit, "--", *cleaned], root, env=_LITERAL, timeout=timeout)
    committed = {name: meta.split() for meta, name in _records(tree.stdout)}  # mode, type, sha
    scratch = Path(tempfile.mkdtemp(prefix="repro-worktree-", dir=git_dir))
    try:
        for rel, data in cleaned.items():
            target = scratch / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            if committed.get(rel, ["100644"])[0] == "100755":
                os.chmod(target, 0o755)
        run_git(
            [f"--work-tree={scratch}", "update-index", "--add", "--", *cleaned],
            root,
            env=_LITERAL,
            timeout=timeout,
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    staged = run_git(["ls-files", "-s", "-z", "--", *cleaned], root, env=_LITERAL, timeout=timeout)
    in_index = {name: meta.split()[1] for meta, name in _records(staged.stdout)}
    wrong = [rel for rel in cleaned if in_index.get(rel) != committed.get(rel, [None] * 3)[2]]
    if wrong:
        run_git(["reset", "-q", commit, "--", *wrong], root, env=_LITERAL, timeout=timeout)


def _records(output: bytes) -> Iterator[tuple[str, str]]:
    """(metadata, path) pairs of ``-z`` output from ``ls-tree`` / ``ls-files -s``."""
    for record in os.fsdecode(output).split("\0"):
        meta, _, name = record.partition("\t")
        if name:
            yield meta, name


# --------------------------------------------------------------------------
# locking


@contextlib.contextmanager
def repository_lock(root: Path, wait: float = LOCK_WAIT) -> Iterator[None]:
    """Serialize snapshots of one repository across threads and processes."""
    key = os.path.realpath(root)
    with _thread_locks_guard:
        lock = _thread_locks.setdefault(key, threading.Lock())
    if not lock.acquire(timeout=wait):
        raise GitBusy("Another snapshot of this repository is still running.")
    try:
        git_dir = Path(_read(root, ["rev-parse", "--absolute-git-dir"], 30))
        if fcntl is None:
            yield
            return
        with open(git_dir / "repro-snapshot.lock", "a+b") as handle:
            deadline = time.monotonic() + wait
            while True:
                try:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise GitBusy(
                            "Another snapshot of this repository is still running."
                        ) from None
                    time.sleep(0.05)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    finally:
        lock.release()


@contextlib.contextmanager
def _temporary_index(git_dir: Path) -> Iterator[Path]:
    fd, name = tempfile.mkstemp(prefix="repro-index-", dir=git_dir)
    os.close(fd)
    os.unlink(name)  # git wants to create it itself
    path = Path(name)
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)
        Path(f"{name}.lock").unlink(missing_ok=True)


# --------------------------------------------------------------------------
# helpers


def _relative(root: Path, path: Path) -> str:
    real = Path(os.path.realpath(path))
    try:
        return real.relative_to(root).as_posix()
    except ValueError:
        raise InvalidRequest(f"{path.name} is not in the repository at {root.name}.") from None


def _read(root: Path, args: list[str], timeout: float, env: dict[str, str] | None = None) -> str:
    return run_git(args, root, timeout=timeout, env=env).stdout.decode().strip()


def _resolve(root: Path, rev: str, timeout: float) -> str | None:
    try:
        return _read(root, ["rev-parse", "--verify", "--quiet", rev], timeout)
    except GitError:
        return None


def _symbolic_head(root: Path, timeout: float) -> str | None:
    try:
        return _read(root, ["symbolic-ref", "-q", "HEAD"], timeout)
    except GitError:
        return None  # detached


def _mode_in_head(root: Path, head: str | None, rel: str, timeout: float) -> str | None:
    if head is None:
        return None
    out = _read(root, ["ls-tree", head, "--", rel], timeout, env=_LITERAL)
    return out.split(" ", 1)[0] if out else None


def _changed(root: Path, head: str | None, env: dict[str, str], rel: str, timeout: float) -> bool:
    if head is None:
        return True
    try:
        run_git(
            ["diff-index", "--cached", "--quiet", head, "--", rel],
            root,
            env={**env, **_LITERAL},
            timeout=timeout,
        )
    except GitError:
        return True
    return False


def _check_new_ref(root: Path, prefix: str, name: str, must_start: str | None = None) -> None:
    kind = "branch" if prefix == "refs/heads/" else "tag"
    if not name or name.startswith("-") or (must_start and not name.startswith(must_start)):
        hint = f" (it must start with '{must_start}')" if must_start else ""
        raise InvalidRequest(f"Invalid {kind} name {name!r}{hint}.")
    try:
        run_git(["check-ref-format", f"{prefix}{name}"], root, read_only=True)
    except GitError:
        raise InvalidRequest(f"Invalid {kind} name {name!r}.") from None
    full = f"{prefix}{name}"
    parts = full.split("/")
    ancestors = ["/".join(parts[:i]) for i in range(3, len(parts))]  # below refs/heads/
    out = run_git(
        ["for-each-ref", "--format=%(refname)", full, *ancestors], root, read_only=True
    ).stdout.decode("utf-8", "replace")
    for existing in out.splitlines():
        if existing == full:
            raise InvalidRequest(f"The {kind} {name!r} already exists.")
        if existing.startswith(full + "/") or existing in ancestors:
            other = existing.removeprefix(prefix)
            raise InvalidRequest(
                f"The {kind} name {name!r} clashes with the existing {kind} {other!r}."
            )


def _run_hook(
    root: Path,
    hook: str,
    args: list[str],
    env: dict[str, str],
    timeout: float,
    *,
    check: bool = True,
) -> str:
    """Run one of the repository's hooks (if installed) and return its output."""
    try:
        proc = run_git(
            ["hook", "run", "--ignore-missing", hook, "--", *args], root, env=env, timeout=timeout
        )
    except GitError as exc:
        if "is not a git command" in exc.stderr or "unknown subcommand" in exc.stderr:
            raise GitError("git 2.36 or newer is needed to run hooks (git hook run).") from exc
        if check:
            raise HookRejected(f"The {hook} hook rejected the commit.", exc.stderr) from None
        log.warning("%s hook failed: %s", hook, exc.stderr)
        return exc.stderr
    return (proc.stdout + proc.stderr).decode("utf-8", "replace")


def _undo(
    root: Path,
    head: str | None,
    head_ref: str | None,
    branch: str | None,
    commit: str,
    timeout: float,
) -> None:
    """Move refs back after a failure that followed update-ref."""
    try:
        if branch is not None:
            if head_ref:
                run_git(["symbolic-ref", "HEAD", head_ref], root, timeout=timeout)
            else:
                run_git(["update-ref", "--no-deref", "HEAD", head or ""], root, timeout=timeout)
            run_git(["update-ref", "-d", f"refs/heads/{branch}", commit], root, timeout=timeout)
        elif head is not None:
            run_git(["update-ref", "HEAD", head, commit], root, timeout=timeout)
        else:
            run_git(["update-ref", "-d", "HEAD", commit], root, timeout=timeout)
    except GitError:
        log.exception("could not undo the snapshot commit %s", commit)
