"""REST API under ``/jupyterlab-repro/``: thin tornado handlers over the core.

Every handler parses its input, confines paths to the server root, runs the
blocking core function in a worker thread and serializes the result. Errors
from the core are mapped to HTTP statuses in :data:`ERROR_STATUS`.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import anyio
import tornado.web
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join

from . import errors, vcs
from .config import Repro
from .paths import resolve_in_root
from .status import status_report

T = TypeVar("T")

#: Core exception → (HTTP status, machine-readable reason).
ERROR_STATUS: dict[type[errors.ReproError], tuple[int, str]] = {
    errors.InvalidRequest: (400, "invalid-request"),
    errors.PathOutsideRoot: (403, "path-outside-root"),
    errors.PathNotFound: (404, "not-found"),
    errors.NotARepository: (409, "not-a-repository"),
    errors.RepositoryExists: (409, "repository-exists"),
    errors.IdentityMissing: (409, "identity-missing"),
    errors.UnsafeRepository: (409, "unsafe-repository"),
    errors.GitTimeout: (504, "git-timeout"),
    errors.GitError: (500, "git-error"),
    errors.GitNotInstalled: (500, "git-not-installed"),
}

SETTINGS_KEY = "jupyterlab_repro"


def bad_request(message: str) -> tornado.web.HTTPError:
    """A 400 whose JSON body has the same ``reason`` as core :class:`InvalidRequest`."""
    return tornado.web.HTTPError(400, "%s", message, reason="invalid-request")


class ReproHandler(APIHandler):
    """Base handler: root confinement, worker threads, error mapping."""

    @property
    def repro(self) -> dict[str, Any]:
        return self.settings[SETTINGS_KEY]

    @property
    def config_obj(self) -> Repro:
        return self.repro["config"]

    @property
    def root_dir(self) -> str:
        return self.repro["root_dir"]

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
        """Run blocking core work in a worker thread, mapping core errors."""
        call = functools.partial(self._translate, fn, *args, **kwargs)
        limiter = self.repro.get("limiter")
        if limiter is None:  # created lazily: it needs a running event loop
            limiter = self.repro["limiter"] = anyio.CapacityLimiter(self.config_obj.worker_threads)
        return await anyio.to_thread.run_sync(call, limiter=limiter)

    def _translate(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        try:
            return fn(*args, **kwargs)
        except errors.ReproError as exc:
            status, reason = _status_for(exc)
            message = str(exc)
            if isinstance(exc, errors.GitError) and exc.stderr and exc.stderr not in message:
                message = f"{message}\n{exc.stderr}"
            raise tornado.web.HTTPError(status, "%s", message, reason=reason) from exc

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """JSON errors; the message is formatted so '%' in it survives logging."""
        exc = (kwargs.get("exc_info") or (None, None, None))[1]
        if isinstance(exc, tornado.web.HTTPError) and exc.log_message and exc.args:
            self.set_header("Content-Type", "application/json")
            message = exc.log_message % exc.args
            self.log.warning("wrote error: %r", message)
            self.finish({"message": message, "reason": exc.reason})
            return
        super().write_error(status_code, **kwargs)

    def write_json(self, data: Any, status: int = 200) -> None:
        self.set_status(status)
        self.finish(data)


def _status_for(exc: errors.ReproError) -> tuple[int, str]:
    for cls in type(exc).__mro__:
        if cls in ERROR_STATUS:
            return ERROR_STATUS[cls]  # type: ignore[index]
    return 500, "error"


class StatusHandler(ReproHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        target = self.resolve(self.get_query_argument("path", "", strip=False))
        report = await self.run(
            status_report, self.root_dir, target, timeout=self.config_obj.status_timeout
        )
        self.write_json(report)


class InitHandler(ReproHandler):
    @tornado.web.authenticated
    async def post(self) -> None:
        body = self.json_body()
        target = self.resolve(body.get("path", ""))
        name, email = body.get("name"), body.get("email")
        if not all(v is None or isinstance(v, str) for v in (name, email)):
            raise bad_request("'name' and 'email' must be strings.")
        await self.run(vcs.init_repository, target, name=name, email=email)
        report = await self.run(
            status_report, self.root_dir, target, timeout=self.config_obj.status_timeout
        )
        self.write_json(report, status=201)


class IdentityHandler(ReproHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        target = self.resolve(self.get_query_argument("path", "", strip=False))
        directory = target if target.is_dir() else target.parent
        identity = await self.run(vcs.get_identity, directory)
        self.write_json(identity.as_dict())

    @tornado.web.authenticated
    async def post(self) -> None:
        body = self.json_body()
        target = self.resolve(body.get("path", ""))
        name, email = body.get("name"), body.get("email")
        scope = body.get("scope", "repository")
        if not (isinstance(name, str) and isinstance(email, str) and isinstance(scope, str)):
            raise bad_request("'name', 'email' and 'scope' must be strings.")
        directory = target if target.is_dir() else target.parent
        identity = await self.run(vcs.set_identity, directory, name, email, scope=scope)
        self.write_json(identity.as_dict())


def setup_handlers(server_app: Any) -> None:
    """Build the service objects once and register the routes."""
    web_app = server_app.web_app
    config = Repro(config=server_app.config)
    root_dir = getattr(server_app.contents_manager, "root_dir", None) or server_app.root_dir
    web_app.settings[SETTINGS_KEY] = {
        "config": config,
        "root_dir": os.path.realpath(os.path.expanduser(root_dir)),
    }
    base = url_path_join(web_app.settings["base_url"], "jupyterlab-repro")
    web_app.add_handlers(
        ".*$",
        [
            (url_path_join(base, "status"), StatusHandler),
            (url_path_join(base, "init"), InitHandler),
            (url_path_join(base, "identity"), IdentityHandler),
        ],
    )
