"""REST API under ``/jupyterlab-repro/``: thin tornado handlers over the core.

Every handler parses its input, confines paths to the server root, runs the
blocking core function in a worker thread and serializes the result. Errors
from the core are mapped to HTTP statuses in :data:`ERROR_STATUS`.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import anyio
import tornado.web
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join

from . import errors, guardrails, tags, vcs
from .changes import ClassificationCache, diff_notebook, list_changes, notebook_at_commit
from .config import Repro
from .export import export_notebook
from .paths import relative_to_root, resolve_in_root
from .snapshot import snapshot
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
    errors.GitBusy: (409, "git-busy"),
    errors.TrackingUnavailable: (503, "tracking-unavailable"),
    errors.GuardrailViolation: (409, "guardrail"),
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
    if isinstance(exc, errors.NotebookInvalid):
        return {"problems": list(getattr(exc, "problems", []) or [])[:20]}
    return {}


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


def _string_list(body: dict[str, Any], key: str) -> list[str]:
    value = body.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise bad_request(f"'{key}' must be a list of strings.")
    return value


def _optional_string(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        raise bad_request(f"'{key}' must be a string.")
    return value or None


class ChangesHandler(ReproHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        target = self.resolve(self.get_query_argument("path", "", strip=False))
        report = await self.run(list_changes, target, cache=self.repro["classifications"])
        lfs = await self._lfs_available(report.root)
        data = report.as_dict()
        data["root"] = self._server_path(report.root)
        for item in data["files"]:
            item["server_path"] = self._server_path(report.root / item["path"])
        data["lfs_available"] = lfs
        self.write_json(data)

    async def _lfs_available(self, root: Path) -> bool:
        """Whether ``git lfs`` is installed; asked at most once a minute (a process start)."""
        cached = self.repro.get("lfs_available")
        now = time.monotonic()
        if cached is None or now - cached[0] > 60:
            cached = self.repro["lfs_available"] = (
                now,
                await self.run(guardrails.lfs_available, root),
            )
        return cached[1]

    def _server_path(self, path: Path) -> str | None:
        real_root = Path(self.root_dir)
        real = Path(os.path.realpath(path)) if path.exists() else path
        if real != real_root and real_root not in real.parents:
            return None
        return relative_to_root(real_root, real)


class DiffHandler(ReproHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        target = self.resolve(self.get_query_argument("path", "", strip=False))
        from_rev = self.get_query_argument("from", "HEAD", strip=False) or None
        to_rev = self.get_query_argument("to", None, strip=False) or None
        if target.is_dir():
            raise bad_request("'path' must be a notebook, not a folder.")
        data = await self.run(diff_notebook, target, from_rev=from_rev, to_rev=to_rev)
        self.write_json(data)


class SnapshotHandler(ReproHandler):
    @tornado.web.authenticated
    async def post(self) -> None:
        body = self.json_body()
        notebook = self.resolve(body.get("path", ""))
        if not notebook.is_file():
            raise bad_request("'path' must be a notebook file.")
        files = [
            self._translate(resolve_in_root, self.root_dir, f, must_exist=False)
            for f in _string_list(body, "files")
        ]
        message = body.get("message")
        if not isinstance(message, str):
            raise bad_request("'message' must be a string.")
        clear = body.get("clear_outputs", False)
        if not isinstance(clear, bool):
            raise bad_request("'clear_outputs' must be true or false.")
        result = await self.run(
            snapshot,
            [notebook],
            message,
            commit_type=_optional_string(body, "type"),
            body=_optional_string(body, "body"),
            files=files,
            tag=_optional_string(body, "tag"),
            tag_message=_optional_string(body, "tag_message"),
            branch=_optional_string(body, "branch"),
            clear_outputs=clear,
        )
        self.write_json(result.as_dict())


class GuardrailFixHandler(ReproHandler):
    @tornado.web.authenticated
    async def post(self) -> None:
        body = self.json_body()
        target = self.resolve(body.get("path", ""))
        action = body.get("action")
        rules = _string_list(body, "rules")
        if any(not r.strip() or "\n" in r or "\r" in r or r.startswith("!") for r in rules):
            raise bad_request("Each rule must be one non-empty pattern line (no '!').")
        root = await self.run(vcs.require_repository, target)
        if action == "gitignore":
            added = await self.run(guardrails.add_gitignore_rules, root, rules)
            self.write_json({"added": added})
        elif action == "lfs":
            if not await self.run(guardrails.lfs_available, root):
                raise tornado.web.HTTPError(
                    409, "%s", "Git LFS is not installed (git lfs).", reason="lfs-missing"
                )
            await self.run(guardrails.lfs_track, root, rules)
            self.write_json({"tracked": rules})
        else:
            raise bad_request("'action' must be 'gitignore' or 'lfs'.")


class TagsHandler(ReproHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        target = self.resolve(self.get_query_argument("path", "", strip=False))
        found = await self.run(tags.list_tags, target)
        self.write_json({"tags": [t.as_dict() for t in found]})

    @tornado.web.authenticated
    async def post(self) -> None:
        body = self.json_body()
        target = self.resolve(body.get("path", ""))
        name, message = body.get("name"), body.get("message")
        rev = body.get("rev", "HEAD")
        if not (isinstance(name, str) and isinstance(message, str) and isinstance(rev, str)):
            raise bad_request("'name', 'message' and 'rev' must be strings.")
        tag = await self.run(tags.create_tag, target, name, message, rev=rev)
        self.write_json(tag.as_dict(), status=201)


class ExportHandler(ReproHandler):
    """``POST export {path, output?, cells?, dry_run?, force?}``: cells → module."""

    @tornado.web.authenticated
    async def post(self) -> None:
        body = self.json_body()
        notebook = self.resolve(body.get("path", ""))
        if not notebook.is_file():
            raise bad_request("'path' must be a notebook file.")
        output = _optional_string(body, "output")
        target = (
            self._translate(resolve_in_root, self.root_dir, output, must_exist=False)
            if output
            else None
        )
        dry_run, force = body.get("dry_run", False), body.get("force", False)
        if not isinstance(dry_run, bool) or not isinstance(force, bool):
            raise bad_request("'dry_run' and 'force' must be true or false.")
        result = await self.run(
            export_notebook,
            notebook,
            target,
            _optional_string(body, "cells"),
            root=self.root_dir,
            dry_run=dry_run,
            force=force,
        )
        data = result.as_dict()
        data["output"] = relative_to_root(self.root_dir, result.output)
        data["path"] = relative_to_root(self.root_dir, result.notebook)
        self.write_json(data)


class NotebookAtCommitHandler(ReproHandler):
    """``POST runs/notebook {path, commit}``: a read-only copy as of a run's commit."""

    @tornado.web.authenticated
    async def post(self) -> None:
        body = self.json_body()
        notebook = self.resolve(body.get("path", ""))
        commit = body.get("commit")
        if not isinstance(commit, str):
            raise bad_request("'commit' must be a string.")
        copy = await self.run(notebook_at_commit, notebook, commit)
        self.write_json({"path": relative_to_root(self.root_dir, copy)}, status=201)


def setup_handlers(server_app: Any) -> None:
    """Build the service objects once and register the routes."""
    web_app = server_app.web_app
    config = Repro(config=server_app.config)
    root_dir = getattr(server_app.contents_manager, "root_dir", None) or server_app.root_dir
    web_app.settings[SETTINGS_KEY] = {
        "config": config,
        "root_dir": os.path.realpath(os.path.expanduser(root_dir)),
        "classifications": ClassificationCache(),
    }
    base = url_path_join(web_app.settings["base_url"], "jupyterlab-repro")
    web_app.add_handlers(
        ".*$",
        [
            (url_path_join(base, "status"), StatusHandler),
            (url_path_join(base, "init"), InitHandler),
            (url_path_join(base, "identity"), IdentityHandler),
            (url_path_join(base, "changes"), ChangesHandler),
            (url_path_join(base, "diff"), DiffHandler),
            (url_path_join(base, "snapshot"), SnapshotHandler),
            (url_path_join(base, "guardrails", "fix"), GuardrailFixHandler),
            (url_path_join(base, "tags"), TagsHandler),
            (url_path_join(base, "export"), ExportHandler),
            (url_path_join(base, "runs", "notebook"), NotebookAtCommitHandler),
        ],
    )
    from . import runs_handlers  # local: runs_handlers imports this module

    runs_handlers.register(web_app, base, web_app.settings[SETTINGS_KEY])
