"""Typed exceptions raised by the core modules.

The HTTP layer (:mod:`jupyterlab_repro.server.base`) and the CLI map these to
status codes and exit codes in one place each; the core never knows about
either.
"""

from __future__ import annotations

from typing import Any


class ReproError(Exception):
    """Base class: a failure with a message meant for the user."""


class PathOutsideRoot(ReproError):
    """A requested path resolves outside the allowed root directory."""


class PathNotFound(ReproError):
    """A requested path does not exist."""


class UnsafeFile(ReproError):
    """A file the product would read or write is a symlink, a FIFO, a device or a socket.

    Nothing was read or written through it (see :mod:`jupyterlab_repro.files`).
    """


class InsideGitDirectory(UnsafeFile):
    """A write would create or change a file in a git directory (``.git`` or another).

    Refused by the file door before anything is written: no request writes
    where git keeps its hooks, config and refs (see :mod:`jupyterlab_repro.files`).
    """


class InvalidRequest(ReproError):
    """The request is malformed (wrong types, missing fields, bad values)."""


class RefTaken(InvalidRequest):
    """A new branch or tag name is taken: it exists, clashes with a ref or would shadow one."""


class RestoreRefused(ReproError):
    """A restore (or bringing kept outputs back) cannot do what was asked; nothing was changed.

    ``files`` names every file in the way, relative to ``root`` (the
    repository); ``kind`` says why: ``local-changes`` (changes of their own,
    not only outputs), ``untracked`` (files git does not track where the
    branch has files), ``open-notebooks`` (open in the lab with work the
    switch would replace), ``other-code`` / ``changed-since`` (kept outputs
    that do not belong to the code checked out now) or ``git`` (git refused).
    """

    def __init__(self, message: str, files: list[str], *, kind: str, root: Any = None) -> None:
        super().__init__(message)
        self.files = list(files)
        self.kind = kind
        self.root = root


class NotARepository(ReproError):
    """The path is not inside a git repository."""


class RepositoryExists(ReproError):
    """A repository already exists where a new one was requested."""


class IdentityMissing(ReproError):
    """git has no user.name / user.email to author a commit with."""


class GitError(ReproError):
    """A git command failed; ``stderr`` holds git's own explanation."""

    def __init__(self, message: str, stderr: str = "") -> None:
        super().__init__(message)
        self.stderr = stderr


class GitTimeout(GitError):
    """A git command did not finish within what was left of its deadline.

    The message names the command and the deadline's label; ``output`` holds
    what the command (and any hook it ran) printed before it was killed.
    """

    def __init__(self, message: str, stderr: str = "", output: str = "") -> None:
        super().__init__(message, stderr)
        self.output = output


class RepositoryReadOnly(GitError):
    """git cannot write to the repository (permissions, a read-only file system, no space)."""


class GitNotInstalled(ReproError):
    """The git executable cannot be found."""


class NotebookInvalid(ReproError):
    """A notebook file is not valid JSON or not a structurally valid notebook.

    ``problems`` lists every problem found; the message names the first.
    """

    def __init__(self, message: str, problems: list[str] | tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.problems = list(problems) or [message]


class UnsupportedNotebook(NotebookInvalid):
    """A notebook in a format version this extension does not handle (not 3 or 4)."""


class ConfigInvalid(ReproError):
    """Repository configuration (pyproject.toml / .jupyterlab-repro.toml) is invalid."""


class SnapshotError(ReproError):
    """A hidden snapshot commit could not be made (broken HEAD, unreadable notebook …).

    Nothing was changed: HEAD, the branch, the index and the working copy are
    as they were.
    """


class ExportError(ReproError):
    """Cells cannot be exported to a module (nothing selected, code that is not Python)."""


class CellSyntaxError(ExportError):
    """An exported cell is not valid Python once IPython syntax is commented out.

    ``cell`` is the 1-based position of the cell in the notebook, ``cell_id``
    its nbformat id (``None`` before nbformat 4.5) and ``line`` the 1-based
    line in the cell's source.
    """

    def __init__(self, message: str, *, cell: int, cell_id: str | None, line: int | None) -> None:
        super().__init__(message)
        self.cell = cell
        self.cell_id = cell_id
        self.line = line


class ForeignFile(ReproError):
    """The export target exists and was not written by an export; it is left alone."""


class RefMoved(GitError):
    """A ref no longer points where the caller saw it (compare-and-swap lost); nothing changed."""


class UnsafeRepository(GitError):
    """git refuses a repository owned by another user (``safe.directory``)."""


class GitBusy(ReproError):
    """Another git operation (or snapshot) holds the repository's lock."""


class GuardrailViolation(ReproError):
    """Files a snapshot refuses to commit (weights, logs, too large …)."""

    def __init__(self, message: str, violations: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.violations = violations or []


class HookRejected(ReproError):
    """A repository hook (pre-commit, commit-msg) rejected the commit."""

    def __init__(self, message: str, output: str = "") -> None:
        super().__init__(message)
        self.output = output


class HookTimeout(HookRejected):
    """A hook outlived the request's deadline: it was killed, nothing was committed."""


class TrackingUnavailable(ReproError):
    """The MLflow tracking store cannot be reached or did not answer in time."""


class RunCodeMissing(ReproError):
    """The code a run ran is neither in this repository nor on its remote."""


class EnvironmentDiffers(ReproError):
    """A strict reproduction refused to run: the environment or the data differ from the run's.

    ``check`` is the environment check (what differs: package, recorded, now).
    """

    def __init__(self, message: str, check: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.check = check or {}


class ReproductionRunning(ReproError):
    """The server runs as many reproductions as it may; ``job`` is (one of) the running one(s)."""

    def __init__(self, message: str, job: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.job = job or {}


class JobNotFound(ReproError):
    """No reproduction job of that id (finished ones are kept for a while, then forgotten)."""
