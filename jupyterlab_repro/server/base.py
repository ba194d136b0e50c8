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

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import anyio
import tornado.web
from jupyter_server.base.handlers import APIHandler

from .. import errors
from ..deadline import Deadline
from ..files import resolve_in_root
from ..git.repository import require_repository, writable_git_dir
from ..git.runner import Git
from .config import Repro

T = TypeVar("T")

SETTINGS_KEY = "jupyterlab_repro"

#: Core exception → (HTTP status, machine-readable reason); the most specific class wins.
ERROR_STATUS: dict[type[errors.ReproError], tuple[int, str]] = {
    errors.InvalidRequest: (400, "invalid-request"),
    errors.PathOutsideRoot: (403, "path-outside-root"),
    errors.PathNotFound: (404, "not-found"),
    errors.UnsafeFile: (409, "unsafe-file"),
    errors.NotARepository: (409, "not-a-repository"),
    errors.RepositoryExists: (409, "repository-exists"),
    errors.IdentityMissing: (409, "identity-missing"),
    errors.UnsafeRepository: (409, "unsafe-repository"),
    errors.GitBusy: (409, "git-busy"),
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
    errors.GitError: (500, "git-error"),
    errors.GitNotInstalled: (500, "git-not-installed"),
}

#: Pool name → the ``Repro`` setting that sizes it.
POOLS = {"polls": "worker_threads", "writes": "write_threads", "tracking": "tracking_threads"}


def bad_request(message: str) -> tornado.web.HTTPError:
    """A 400 whose JSON body has the same ``reason`` as core :class:`InvalidRequest`."""
    return tornado.web.HTTPError(400, "%s", message, reason="invalid-request")


def string_list(body: dict[str, Any], key: str) -> list[str]:
    """``body[key]`` as a list of strings (``[]`` when absent); 400 otherwise."""
    value = body.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise bad_request(f"'{key}' must be a list of strings.")
    return value


def optional_string(body: dict[str, Any], key: str) -> str | None:
    """``body[key]`` as a string, ``None`` when absent or empty; 400 otherwise."""
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        raise bad_request(f"'{key}' must be a string.")
    return value or None


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
        the server root is refused (:func:`~jupyterlab_repro.git.repository.writable_git_dir`).
        """
        top = require_repository(target, deadline=deadline)
        writable_git_dir(Git(top, deadline), self.root_dir)
        return top

    def resolve(self, relative: Any) -> Path:
        if not isinstance(relative, str):
            raise bad_request("'path' must be a string.")
        return self._translate(resolve_in_root, self.root_dir, relative)

    def json_body(self) -> dict[str, Any]:
        try:
            body = self.get_json_body()
        except (tornado.web.HTTPError, UnicodeDecodeError) as exc:
            raise bad_request("The request body is not valid JSON.") from exc
        if body is None:
            return {}
        if not isinstance(body, dict):
            raise bad_request("The request body must be a JSON object.")
        return body

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run blocking core work in a worker thread of this handler's pool, mapping errors."""
        call = functools.partial(self._translate, fn, *args, **kwargs)
        return await anyio.to_thread.run_sync(call, limiter=self._limiter())

    def _limiter(self) -> anyio.CapacityLimiter:
        name = self.pool or ("polls" if self.request.method in ("GET", "HEAD") else "writes")
        limiters: dict[str, anyio.CapacityLimiter] = self.repro.setdefault("limiters", {})
        limiter = limiters.get(name)
        if limiter is None:  # created lazily: it needs a running event loop
            size = getattr(self.config_obj, POOLS[name])
            limiter = limiters[name] = anyio.CapacityLimiter(size)
        return limiter

    def _translate(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        try:
            return fn(*args, **kwargs)
        except errors.ReproError as exc:
            status, reason = _status_for(exc)
            message = str(exc)
            if (
                isinstance(exc, errors.GitError)
                and not isinstance(exc, errors.GitTimeout)
                and exc.stderr
                and exc.stderr not in message
            ):
                message = f"{message}\n{exc.stderr}"
            error = tornado.web.HTTPError(status, "%s", message, reason=reason)
            error.details = _details(exc)  # type: ignore[attr-defined]
            raise error from exc

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """JSON errors; the message is formatted so '%' in it survives logging."""
        exc = (kwargs.get("exc_info") or (None, None, None))[1]
        if isinstance(exc, tornado.web.HTTPError) and exc.log_message and exc.args:
            self.set_header("Content-Type", "application/json")
            message = exc.log_message % exc.args
            self.log.warning("wrote error: %r", message)
            self.finish({**getattr(exc, "details", {}), "message": message, "reason": exc.reason})
            return
        super().write_error(status_code, **kwargs)

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
    return {}


def _status_for(exc: errors.ReproError) -> tuple[int, str]:
    for cls in type(exc).__mro__:
        if cls in ERROR_STATUS:
            return ERROR_STATUS[cls]
    return 500, "error"
