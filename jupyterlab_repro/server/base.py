"""What every handler shares: root confinement, deadlines, worker pools, error mapping.

Handlers parse their input, confine paths to the server root, run the
blocking core function in a worker thread of their *pool* and serialize the
result; errors from the core are mapped to HTTP statuses in one place,
:data:`ERROR_STATUS`.

Pools (DESIGN invariant 5): ``polls`` (status, changes, diff, tags and
identity reads), ``writes`` (snapshot, tags, fixes, export, init, identity)
and ``tracking`` (MLflow) are separate ``anyio`` capacity limiters, so a
hanging MLflow or a slow hook never delays a status poll.
"""

from __future__ import annotations

import errno
import functools
import json
import os
from collections.abc import Callable, Mapping
from http import HTTPStatus
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import anyio
import tornado.web
from jupyter_server.base.handlers import APIHandler

from .. import errors
from ..deadline import Deadline
from ..files import (
    check_outside_git_dir,
    is_within,
    realpath,
    relative_to_root,
    resolve_in_root,
)
from ..git.repository import require_repository, writable_git_dir
from ..git.runner import Git
from .config import Repro
from .fields import PATH, Field, parse_fields

T = TypeVar("T")

SETTINGS_KEY = "jupyterlab_repro"

#: Core exception → (HTTP status, machine-readable reason); the most specific class wins.
ERROR_STATUS: dict[type[errors.ReproError], tuple[int, str]] = {
    errors.InvalidRequest: (400, "invalid-request"),
    errors.PathOutsideRoot: (403, "path-outside-root"),
    errors.PathNotFound: (404, "not-found"),
    errors.UnsafeFile: (409, "unsafe-file"),
    errors.InsideGitDirectory: (403, "inside-git-directory"),
    errors.NotARepository: (409, "not-a-repository"),
    errors.RepositoryExists: (409, "repository-exists"),
    errors.IdentityMissing: (409, "identity-missing"),
    errors.UnsafeRepository: (409, "unsafe-repository"),
    errors.GitBusy: (409, "git-busy"),
    errors.RestoreRefused: (409, "restore-refused"),
    errors.TrackingUnavailable: (503, "tracking-unavailable"),
    errors.GuardrailViolation: (409, "guardrail"),
    errors.HookTimeout: (504, "hook-timeout"),
    errors.HookRejected: (422, "hook-rejected"),
    errors.UnsupportedNotebook: (422, "notebook-unsupported"),
    errors.NotebookInvalid: (422, "notebook-invalid"),
    errors.ConfigInvalid: (422, "config-invalid"),
    errors.ForeignFile: (409, "foreign-file"),
    errors.ExportError: (422, "export-error"),
    errors.GitTimeout: (504, "git-timeout"),
    errors.RepositoryReadOnly: (409, "repository-read-only"),
    errors.GitError: (500, "git-error"),
    errors.GitNotInstalled: (500, "git-not-installed"),
    errors.RunCodeMissing: (409, "code-unavailable"),
    errors.EnvironmentDiffers: (409, "environment-differs"),
    errors.ReproductionRunning: (409, "reproduction-running"),
    errors.JobNotFound: (404, "not-found"),
}

#: Operating-system errors a request can meet → (HTTP status, reason); others are 500s.
OS_ERROR_STATUS: dict[int, tuple[int, str]] = {
    errno.EACCES: (409, "permission-denied"),
    errno.EPERM: (409, "permission-denied"),
    errno.EROFS: (409, "read-only-file-system"),
    errno.ENOSPC: (507, "no-space"),
    errno.EDQUOT: (507, "no-space"),
    errno.ENOENT: (404, "not-found"),
    errno.ENAMETOOLONG: (400, "invalid-request"),
    errno.ENOTDIR: (400, "invalid-request"),
    errno.EISDIR: (400, "invalid-request"),
    errno.ELOOP: (409, "unsafe-file"),
}

_CODES = {status.value for status in HTTPStatus}
#: Reasons for errors tornado raises itself (undecodable query, a bad multipart body …).
_REASONS = {
    400: "invalid-request",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    413: "too-large",
    415: "unsupported-media-type",
}

#: Pool name → the ``Repro`` setting that sizes it.
POOLS = {
    "polls": "worker_threads",
    "writes": "write_threads",
    "tracking": "tracking_threads",
    "reproduce": "reproduce_threads",
}


def limiter_for(settings: dict[str, Any], name: str) -> anyio.CapacityLimiter:
    """The ``name`` pool's limiter, made on first use (it needs a running event loop)."""
    limiters: dict[str, anyio.CapacityLimiter] = settings.setdefault("limiters", {})
    limiter = limiters.get(name)
    if limiter is None:
        limiter = limiters[name] = anyio.CapacityLimiter(getattr(settings["config"], POOLS[name]))
    return limiter


async def prepare_pools(settings: dict[str, Any]) -> None:
    """Make every pool's limiter and start a worker thread, once the event loop runs.

    The first limiter imports anyio's event-loop backend and the first
    worker call starts a thread: ~0.1 s of imports holding the GIL, which the
    first request of a fresh server paid (and, by contention, the SQLite
    reads running beside it).
    """
    for name in POOLS:
        limiter_for(settings, name)
    await anyio.to_thread.run_sync(lambda: None, limiter=limiter_for(settings, "polls"))


def bad_request(message: str) -> tornado.web.HTTPError:
    """A 400 whose JSON body has the same ``reason`` as core :class:`InvalidRequest`."""
    return tornado.web.HTTPError(400, "%s", message, reason="invalid-request")


class ReproHandler(APIHandler):
    """Base handler: root confinement, worker pools, deadlines, error mapping."""

    #: The pool this handler's blocking work runs in; ``None``: ``polls`` for
    #: GET, ``writes`` for everything else.
    pool: ClassVar[str | None] = None

    @property
    def repro(self) -> dict[str, Any]:
        return self.settings[SETTINGS_KEY]

    @property
    def config_obj(self) -> Repro:
        return self.repro["config"]

    @property
    def root_dir(self) -> str:
        return self.repro["root_dir"]

    def deadline(self, setting: str) -> Deadline:
        """The request's one deadline, from the ``Repro`` setting ``setting``."""
        route = self.request.path.rsplit("/jupyterlab-repro/", 1)[-1]
        label = f"the {self.request.method} {route} request"
        return Deadline(getattr(self.config_obj, setting), label)

    def writable_repository(self, target: Path, deadline: Deadline) -> Path:
        """The top of ``target``'s repository, if writes to it may go through this server.

        Blocking (git): call it with :meth:`run`. A ``.git`` that leads out of
        the server root is refused (:func:`~jupyterlab_repro.git.repository.writable_git_dir`),
        and so is a repository whose work tree lies in a git directory (a
        repository made inside another one's ``.git``): writing to it would
        change that ``.git``.
        """
        top = require_repository(target, deadline=deadline)
        check_outside_git_dir(top)
        writable_git_dir(Git(top, deadline), self.root_dir)
        return top

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """A route's ``path`` field is :data:`~.fields.PATH`: omitted, it is the server root."""
        super().__init_subclass__(**kwargs)
        for name in ("QUERY", "BODY"):
            spec = getattr(cls, name, None) or {}
            if "path" in spec and spec["path"] is not PATH:
                raise TypeError(
                    f"{cls.__name__}.{name}['path'] must be fields.PATH: an omitted path "
                    "means the server root on every route."
                )

    def target(self, values: Mapping[str, Any]) -> Path:
        """The real path the request's ``path`` names; omitted or empty: the server root.

        The one reading of ``path`` every route shares, query or body alike.
        """
        return self.resolve(values.get("path") or "")

    def resolve(self, relative: Any) -> Path:
        if not isinstance(relative, str):
            raise bad_request("'path' must be a string.")
        return self._translate(resolve_in_root, self.root_dir, relative)

    def json_body(self) -> dict[str, Any]:
        raw = self.request.body
        if not raw.strip():
            return {}
        try:
            body = json.loads(raw)
        except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
            raise bad_request("The request body is not valid JSON.") from None
        if not isinstance(body, dict):
            raise bad_request("The request body must be a JSON object.")
        return body

    def body(self, spec: Mapping[str, Field]) -> dict[str, Any]:
        """The JSON body checked against ``spec`` (400 naming the field otherwise)."""
        return self._translate(parse_fields, spec, self.json_body())

    def query(self, spec: Mapping[str, Field]) -> dict[str, Any]:
        """The query arguments checked against ``spec``."""
        values: dict[str, Any] = {}
        for key, field in spec.items():
            given = self.get_query_arguments(key, strip=False)
            if given:
                values[key] = field.from_query(given)
        return self._translate(parse_fields, spec, values)

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run blocking core work in a worker thread of this handler's pool, mapping errors."""
        call = functools.partial(self._translate, fn, *args, **kwargs)
        return await anyio.to_thread.run_sync(call, limiter=self._limiter())

    def _limiter(self) -> anyio.CapacityLimiter:
        name = self.pool or ("polls" if self.request.method in ("GET", "HEAD") else "writes")
        return limiter_for(self.repro, name)

    def _translate(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Call ``fn``; typed core errors and OS errors become HTTP errors, said once."""
        try:
            return fn(*args, **kwargs)
        except errors.ReproError as exc:
            status, reason = _status_for(exc)
            message = str(exc)
            if (
                isinstance(exc, errors.GitError)
                and not isinstance(exc, (errors.GitTimeout, errors.RepositoryReadOnly))
                and exc.stderr
                and exc.stderr not in message
            ):
                message = f"{message}\n{exc.stderr}"
            error = tornado.web.HTTPError(status, "%s", self._relative(message), reason=reason)
            details = {
                k: self._relative(v) if isinstance(v, str) else v for k, v in _details(exc).items()
            }
            if isinstance(exc, errors.RestoreRefused) and exc.root is not None:
                details["files"] = self.server_paths(Path(exc.root), exc.files)
            error.details = details  # type: ignore[attr-defined]
            raise error from exc
        except OSError as exc:
            if exc.errno not in OS_ERROR_STATUS:
                raise
            status, reason = OS_ERROR_STATUS[exc.errno]
            name = os.path.basename(os.fsdecode(exc.filename)) if exc.filename else ""
            text = f"{exc.strerror or exc}" + (f": {name}" if name else "")
            raise tornado.web.HTTPError(status, "%s", text, reason=reason) from exc

    def server_paths(self, top: Path, paths: list[str]) -> list[str]:
        """Repository-relative ``paths`` of the repository at ``top`` as server paths.

        Joined by name (a file may be gone, or be a link: nothing is resolved).
        Files outside the server root (a repository that starts above it) are left out.
        """
        if is_within(top, self.root_dir):
            prefix = relative_to_root(self.root_dir, top)
            return [f"{prefix}/{rel}" if prefix else rel for rel in paths]
        inside = Path(self.root_dir).relative_to(realpath(top)).as_posix() + "/"
        return [rel[len(inside) :] for rel in paths if rel.startswith(inside)]

    def _relative(self, text: str) -> str:
        """``text`` with the server root's absolute path taken out (paths relative to it)."""
        root = self.root_dir.rstrip("/")
        return text.replace(root + "/", "").replace(root, ".") if root else text

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """JSON errors; the message is formatted so '%' in it survives logging.

        Anything unexpected answers 500 with a message naming the route; its
        traceback goes to the server log only (tornado logs it).
        """
        exc = (kwargs.get("exc_info") or (None, None, None))[1]
        self.set_header("Content-Type", "application/json")
        if isinstance(exc, tornado.web.HTTPError):  # ours, or tornado's (bad query, body …)
            phrase = HTTPStatus(status_code).phrase if status_code in _CODES else "Error"
            text = phrase
            if exc.log_message:
                text = exc.log_message % exc.args if exc.args else exc.log_message
            reason = exc.reason or _REASONS.get(status_code, "error")
            self.log.warning("wrote error: %r", text)
            self.finish({**getattr(exc, "details", {}), "message": text, "reason": reason})
            return
        route = self.request.path.rsplit("/jupyterlab-repro/", 1)[-1]
        self.finish(
            {
                "message": (
                    f"Unexpected error in {self.request.method} {route} "
                    f"({type(exc).__name__}); the server log has the details."
                ),
                "reason": "internal-error",
            }
        )

    def write_json(self, data: Any, status: int = 200) -> None:
        self.set_status(status)
        self.finish(data)


def _details(exc: errors.ReproError) -> dict[str, Any]:
    """Extra, machine-readable fields some errors carry to the client."""
    if isinstance(exc, errors.GuardrailViolation):
        return {"violations": exc.violations}
    if isinstance(exc, errors.HookRejected):
        return {"output": exc.output}
    if isinstance(exc, errors.GitTimeout) and exc.output:
        return {"output": exc.output}
    if isinstance(exc, errors.NotebookInvalid):
        return {"problems": list(getattr(exc, "problems", []) or [])[:20]}
    if isinstance(exc, errors.RestoreRefused):
        return {"files": list(exc.files), "kind": exc.kind}
    if isinstance(exc, errors.EnvironmentDiffers):
        return {"check": exc.check}
    if isinstance(exc, errors.ReproductionRunning):
        return {"job": exc.job}
    return {}


def _status_for(exc: errors.ReproError) -> tuple[int, str]:
    for cls in type(exc).__mro__:
        if cls in ERROR_STATUS:
            return ERROR_STATUS[cls]
    return 500, "error"
