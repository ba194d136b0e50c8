"""git repository access: discovery, status facts, initialization, identity.

git is driven through its command line with argument lists (never a shell
string), a timeout on every call and ``--`` before paths. Read-only calls set
``GIT_OPTIONAL_LOCKS=0`` so a status poll never takes ``index.lock`` away from
the user's own git commands.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .errors import (
    GitError,
    GitNotInstalled,
    GitTimeout,
    IdentityMissing,
    InvalidRequest,
    NotARepository,
    RepositoryExists,
    UnsafeRepository,
)

log = logging.getLogger(__name__)

#: Seconds a single git call may take before it is killed.
DEFAULT_TIMEOUT = 30.0

#: Ignore rules for ML work, written by :func:`init_repository`.
ML_GITIGNORE_RULES: tuple[str, ...] = (
    "# Model weights and checkpoints",
    "*.pt",
    "*.pth",
    "*.ckpt",
    "*.h5",
    "*.onnx",
    "*.safetensors",
    "# Experiment tracking and logs",
    "mlruns/",
    "mlflow.db",
    "logs/",
    "# Python and Jupyter",
    ".ipynb_checkpoints/",
    "__pycache__/",
    "# Secrets",
    ".env",
)

INITIAL_COMMIT_MESSAGE = "chore: initialize repository"


def run_git(
    args: Sequence[str],
    cwd: str | os.PathLike[str],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    input: bytes | None = None,
    env: Mapping[str, str] | None = None,
    read_only: bool = False,
) -> subprocess.CompletedProcess[bytes]:
    """Run ``git *args`` in ``cwd`` and return the completed process.

    Raises :class:`GitError` (with git's stderr) on a non-zero exit,
    :class:`GitTimeout` after ``timeout`` seconds and
    :class:`GitNotInstalled` when there is no git.
    """
    full_env = dict(os.environ)
    full_env.update(
        {
            "GIT_TERMINAL_PROMPT": "0",  # never wait for a password
            "LC_ALL": "C",  # parseable messages
            "LANGUAGE": "C",
        }
    )
    if read_only:
        full_env["GIT_OPTIONAL_LOCKS"] = "0"
    if env:
        full_env.update(env)
    argv = ["git", *args]
    try:
        proc = subprocess.run(
            argv,
            cwd=os.fspath(cwd),
            input=input,
            capture_output=True,
            timeout=timeout,
            env=full_env,
            check=False,
        )
    except FileNotFoundError as exc:
        if shutil.which("git") is None:
            raise GitNotInstalled("git is not installed or not on PATH.") from exc
        raise
    except subprocess.TimeoutExpired as exc:
        raise GitTimeout(f"git {_command_name(args)} did not finish within {timeout:g} s.") from exc
    if proc.returncode != 0:
        stderr = proc.stderr.decode("utf-8", "replace").strip()
        last = stderr.splitlines()[-1] if stderr else f"exit status {proc.returncode}"
        raise GitError(f"git {_command_name(args)} failed: {last}", stderr=stderr)
    return proc


_REPOSITORY_IDS: dict[str, tuple[float, str]] = {}
_REPOSITORY_IDS_LOCK = threading.Lock()


def repository_id(
    root: str | os.PathLike[str],
    *,
    max_age: float | None = None,
    timeout: float = DEFAULT_TIMEOUT,
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
    key = os.path.realpath(root)
    with _REPOSITORY_IDS_LOCK:  # concurrent callers wait for one walk
        cached = _REPOSITORY_IDS.get(key)
        now = time.monotonic()
        if cached is not None and (max_age is None or now - cached[0] <= max_age):
            return cached[1]
        try:
            proc = run_git(
                ["rev-list", "--max-parents=0", "HEAD", "--"], key, timeout=timeout, read_only=True
            )
        except GitError:  # no commits yet (cheap to ask again), or a timeout
            return None
        roots = _out(proc).split()
        if not roots:
            return None
        _REPOSITORY_IDS[key] = (now, min(roots))
        return min(roots)


def _command_name(args: Sequence[str]) -> str:
    """The git subcommand in ``args`` (skipping ``-c key=value`` and other global options)."""
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg in ("-c", "-C"):
            skip = True
        elif not arg.startswith("-"):
            return arg
    return args[0] if args else ""


def _out(proc: subprocess.CompletedProcess[bytes]) -> str:
    return proc.stdout.decode("utf-8", "replace").strip()


def _directory_of(path: Path) -> Path:
    return path if path.is_dir() else path.parent


def find_repository(path: str | os.PathLike[str]) -> Path | None:
    """The work-tree root of the repository containing ``path``, or ``None``."""
    directory = _directory_of(Path(path))
    try:
        proc = run_git(["rev-parse", "--show-toplevel"], directory, read_only=True)
    except GitError as exc:
        if isinstance(exc, GitTimeout):
            raise
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
    # A path, not text: decode it the way the OS does so that names which are
    # not valid UTF-8 still round-trip.
    top = os.fsdecode(proc.stdout.rstrip(b"\r\n"))
    return Path(os.path.realpath(top)) if top else None


def require_repository(path: str | os.PathLike[str], name: str | None = None) -> Path:
    """Like :func:`find_repository`, but :class:`NotARepository` (naming ``name``) instead of None."""
    root = find_repository(path)
    if root is None:
        label = name or Path(path).name or os.fspath(path)
        raise NotARepository(f"{label} is not inside a git repository.")
    return root


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


def get_identity(directory: str | os.PathLike[str]) -> Identity:
    """``user.name`` / ``user.email`` as git resolves them here (env vars win)."""
    values: dict[str, str] = {}
    try:
        proc = run_git(
            ["config", "--get-regexp", r"^user\.(name|email)$"], directory, read_only=True
        )
        for line in _out(proc).splitlines():
            key, _, value = line.partition(" ")
            values[key] = value
    except GitError as exc:
        if isinstance(exc, GitTimeout):
            raise
        # exit status 1: neither key is set
    name = os.environ.get("GIT_AUTHOR_NAME") or values.get("user.name")
    email = os.environ.get("GIT_AUTHOR_EMAIL") or values.get("user.email")
    return Identity(name=name or None, email=email or None)


def set_identity(
    directory: str | os.PathLike[str], name: str, email: str, *, scope: str = "repository"
) -> Identity:
    """Store ``user.name`` / ``user.email`` for this repository or globally."""
    name, email = _valid_identity(name, email)
    if scope not in ("repository", "global"):
        raise InvalidRequest("scope must be 'repository' or 'global'.")
    flag = ["--global"] if scope == "global" else ["--local"]
    if scope == "repository" and find_repository(directory) is None:
        raise NotARepository("Cannot store a repository identity outside a repository.")
    run_git(["config", *flag, "user.name", name], directory)
    run_git(["config", *flag, "user.email", email], directory)
    return get_identity(directory)


_EMAIL = re.compile(r"[^@\s<>]+@[^@\s<>]+")


def _valid_identity(name: str, email: str) -> tuple[str, str]:
    """Stripped ``(name, email)``; :class:`InvalidRequest` when git could not use them."""
    name, email = name.strip(), email.strip()
    if not name or not email:
        raise InvalidRequest("A git identity needs a name and an e-mail address.")
    if any(c in name for c in "<>\n\r\0"):
        raise InvalidRequest("The name must not contain '<', '>' or line breaks.")
    if not _EMAIL.fullmatch(email):
        raise InvalidRequest(f"Not an e-mail address: {email!r}")
    return name, email


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
            entries.append(StatusEntry(fields[-1], "changed", fields[1]))
        elif rec[0] == "2":
            fields = rec.split(" ", 9)
            orig = records[i] if i < len(records) else None
            i += 1  # the original path of a rename follows as its own record
            entries.append(StatusEntry(fields[-1], "renamed", fields[1], orig))
        elif rec[0] == "u":
            fields = rec.split(" ", 10)
            entries.append(StatusEntry(fields[-1], "conflicted", fields[1]))
        elif rec[0] == "?":
            entries.append(StatusEntry(rec[2:], "untracked", "??"))
    return header, entries


def repository_status(path: str | os.PathLike[str], *, timeout: float = 10.0) -> RepositoryStatus:
    """Status of the repository containing ``path`` (a directory or a file).

    Two git calls: ``status --porcelain=v2 --branch`` (branch, upstream,
    ahead/behind and the change counts; no history walk, and no re-hash of
    unchanged files thanks to the index's stat cache) and, when there is a
    commit, ``log -1`` for HEAD. Raises :class:`NotARepository`.
    """
    target = Path(path)
    top = find_repository(target)
    if top is None:
        raise NotARepository(f"{_directory_of(target)} is not inside a git repository.")
    proc = run_git(
        ["status", "--porcelain=v2", "--branch", "-z", "--untracked-files=normal"],
        top,
        timeout=timeout,
        read_only=True,
    )
    rel_file: str | None = None
    if target.is_file():
        rel_file = Path(os.path.realpath(target)).relative_to(top).as_posix()

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
        tracked = run_git(
            ["ls-files", "-z", "--cached", "--", f":(literal){rel_file}"],
            top,
            timeout=timeout,
            read_only=True,
        )
        if not tracked.stdout:
            file_state = "ignored"

    has_commits = oid not in (None, "(initial)")
    head = _head_commit(top, timeout) if has_commits else None
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


def _head_commit(top: Path, timeout: float) -> HeadCommit:
    fmt = "%H%x00%h%x00%s%x00%an%x00%ae%x00%aI%x00%cI"
    proc = run_git(
        ["log", "-1", f"--format={fmt}", "HEAD", "--"], top, timeout=timeout, read_only=True
    )
    sha, short, subject, name, email, authored, committed = (
        proc.stdout.decode("utf-8", "replace").rstrip("\n").split("\0")
    )
    return HeadCommit(sha, short, subject, name, email, authored, committed)


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
) -> InitResult:
    """Create a repository in ``directory`` with an ML ``.gitignore`` and a first commit.

    Refuses when ``directory`` already lies inside a repository. The first
    commit holds only ``.gitignore`` (existing rules kept, missing ML rules
    appended). When git has no identity and none is given,
    :class:`IdentityMissing` is raised before anything is written. On any
    failure the directory is left as it was.
    """
    target = Path(directory)
    if not target.is_dir():
        raise InvalidRequest(f"Not a directory: {target.name}")
    existing = find_repository(target)
    if existing is not None:
        raise RepositoryExists(f"{target.name or target} is already inside a git repository.")
    if os.path.lexists(target / ".git"):
        raise RepositoryExists(f"{target.name or target} has a .git entry that git cannot read.")
    if (name is None) != (email is None):
        raise InvalidRequest("Give both a name and an e-mail address, or neither.")
    if name is not None and email is not None:
        name, email = _valid_identity(name, email)  # before anything is written
    elif get_identity(target).missing:
        raise IdentityMissing("git does not know who you are: set user.name and user.email first.")

    gitignore = target / ".gitignore"
    previous = gitignore.read_bytes() if gitignore.exists() else None
    try:
        init_args = ["init", "--quiet"]
        if not _configured(target, "init.defaultBranch"):
            init_args.append("--initial-branch=main")
        run_git(init_args, target)
        if name is not None and email is not None:
            set_identity(target, name, email, scope="repository")
        _write_gitignore(gitignore, previous)
        run_git(["add", "--", ".gitignore"], target)
        run_git(["commit", "--quiet", "--no-verify", "-m", INITIAL_COMMIT_MESSAGE], target)
    except BaseException:
        shutil.rmtree(target / ".git", ignore_errors=True)
        gitignore.with_name(_TMP_NAME).unlink(missing_ok=True)
        if previous is None:
            gitignore.unlink(missing_ok=True)
        else:
            gitignore.write_bytes(previous)
        raise
    status = repository_status(target)
    assert status.head is not None
    return InitResult(
        root=status.root,
        branch=status.branch or "",
        commit=status.head.sha,
        gitignore_created=previous is None,
    )


def _configured(directory: Path, key: str) -> bool:
    try:
        return bool(_out(run_git(["config", "--get", key], directory, read_only=True)))
    except GitError:
        return False


_TMP_NAME = ".gitignore.repro-tmp"


def _missing_rules(present: set[str]) -> list[str]:
    """The ML rules not in ``present``, each group under its comment header."""
    out: list[str] = []
    header: str | None = None
    for rule in ML_GITIGNORE_RULES:
        if rule.startswith("#"):
            header = rule
        elif rule not in present:
            if header is not None:
                out.append(header)
                header = None
            out.append(rule)
    return out


def _write_gitignore(path: Path, previous: bytes | None) -> None:
    """Write (or append to) ``.gitignore`` atomically; existing bytes are kept as they are."""
    data = previous or b""
    present = {line.strip().decode("utf-8", "replace") for line in data.splitlines()}
    missing = _missing_rules(present)
    if not missing:
        return
    if data and not data.endswith(b"\n"):
        data += b"\n"
    if data:
        data += b"\n# Added by jupyterlab-repro\n"
    data += ("\n".join(missing) + "\n").encode("utf-8")
    tmp = path.with_name(_TMP_NAME)
    tmp.write_bytes(data)
    os.replace(tmp, path)
