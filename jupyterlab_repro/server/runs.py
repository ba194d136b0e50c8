"""Routes of the runs: ``runs``, ``runs/metrics``, ``runs/notebook``, ``runs/restore``,
``runs/kept-outputs``, ``runs/compare``, ``runs/release``, ``runs/share``, ``runs/fetch``.

Thin handlers over :mod:`jupyterlab_repro.tracking.store`; the tracking store
comes from server configuration (``c.Repro.tracking_uri``), never from a
request. MLflow work runs in the ``tracking`` pool.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar

import tornado.web

from ..files import is_within, relative_to_root, resolve_in_root
from ..git.repository import require_repository
from ..git.revisions import MAX_REVISION_LENGTH
from ..runs.compare import compare_runs
from ..runs.kept_outputs import bring_back, kept_outputs
from ..runs.release import release_run
from ..runs.restore import branch_name, notebook_at, restore_branch, restore_copy
from ..runs.share import fetch_run_code, share_run_code
from ..tracking.store import MAX_PAGE_SIZE, TrackingService
from ..tracking.uri import default_tracking_uri, other_stores
from .base import ReproHandler, bad_request
from .config import Repro
from .fields import PATH, PATHS, Bool, Field, Int, Text, Texts

#: Longest MLflow filter expression.
MAX_FILTER = 16 * 1024

#: Key of the :class:`TrackingService` in the extension's settings.
TRACKING_KEY = "tracking"


def build_service(config: Repro, root_dir: str) -> TrackingService:
    """The tracking service described by the ``Repro`` configuration."""
    uri = (config.tracking_uri or "").strip() or default_tracking_uri(root_dir)
    return TrackingService(
        uri, timeout=config.tracking_timeout, ui_url=config.mlflow_ui_url or None
    )


def notebook_key(path: Path) -> tuple[Path | None, str]:
    """The repository holding ``path`` and the ``repro.notebook`` value of its runs.

    The work tree is found by looking for ``.git`` (a folder, or a file in
    worktrees and submodules) upwards, as git does, without starting git:
    this runs on every panel refresh.
    """
    root = repository_of(path.parent)
    if root is None:
        return None, str(path)
    return root, path.relative_to(root).as_posix()


def repository_top(target: Path, deadline: Any) -> Path:
    """The work tree holding ``target`` (git's answer; :class:`NotARepository` outside one)."""
    return require_repository(target, deadline=deadline)


def repository_of(folder: Path) -> Path | None:
    """The work tree holding ``folder`` (itself included), found by its ``.git``, without git."""
    return next((p for p in (folder, *folder.parents) if os.path.lexists(p / ".git")), None)


class RunsHandler(ReproHandler):
    """``GET runs?path=NB[&commit=REV][&page_token=…][&max_results=N][&filter=…]``.

    ``other_stores`` lists the MLflow stores in the notebook's folder that
    are not the one read here (``sub/mlflow.db``): runs logged by a kernel
    that had no tracking URI of its own may be there.
    """

    pool = "tracking"

    QUERY: ClassVar[dict[str, Field]] = {
        "path": PATH,
        "commit": Text(max_length=MAX_REVISION_LENGTH),
        "page_token": Text(max_length=4096),  # checked against the store's format below
        "max_results": Int(minimum=1, maximum=MAX_PAGE_SIZE, default_value=100),
        "filter": Text(max_length=MAX_FILTER),
    }

    @tornado.web.authenticated
    async def get(self) -> None:
        query = self.query(self.QUERY)
        notebook = self.target(query)
        if not notebook.is_file():
            raise bad_request("'path' must be a notebook file.")
        service: TrackingService = self.repro[TRACKING_KEY]
        repo_root, rel = await self.run(notebook_key, notebook)
        data = await self.run(
            service.runs_for_notebook,
            repo_root,
            rel,
            commit=query["commit"],
            page_token=query["page_token"],
            max_results=query["max_results"],
            filter_text=query["filter"],
            deadline=self.deadline("tracking_timeout"),
        )
        data["path"] = query["path"]
        # Where a kernel in the notebook's folder logged when it had no URI of its own.
        stores = await self.run(other_stores, notebook.parent, service.tracking_uri)
        data["other_stores"] = [
            relative_to_root(self.root_dir, p) for p in stores if is_within(p, self.root_dir)
        ]
        self.write_json(data)


class RunMetricsHandler(ReproHandler):
    """``GET runs/metrics?run_id=…&run_id=…[&key=…&key=…]``: metric histories."""

    pool = "tracking"

    QUERY: ClassVar[dict[str, Field]] = {
        "run_id": Texts(max_items=1000, item=Text(max_length=64, keep_empty=True)),
        "key": Texts(max_items=1000, item=Text(max_length=250, keep_empty=True)),
    }

    @tornado.web.authenticated
    async def get(self) -> None:
        query = self.query(self.QUERY)
        run_ids, keys = query["run_id"], query["key"]
        if not run_ids:
            raise bad_request("Give at least one 'run_id'.")
        service: TrackingService = self.repro[TRACKING_KEY]
        data = await self.run(
            service.metric_histories, run_ids, keys, deadline=self.deadline("tracking_timeout")
        )
        self.write_json(data)


class NotebookAtCommitHandler(ReproHandler):
    """``GET runs/notebook?path=&commit=``: the notebook as a run's commit held it (writes nothing)."""

    QUERY: ClassVar[dict[str, Field]] = {
        "path": PATH,
        "commit": Text(required=True, max_length=MAX_REVISION_LENGTH),
    }

    @tornado.web.authenticated
    async def get(self) -> None:
        query = self.query(self.QUERY)
        notebook = self.target(query)
        version = await self.run(
            notebook_at, notebook, query["commit"], deadline=self.deadline("read_timeout")
        )
        content = await self.run(version.as_json)  # a big notebook parses off the loop
        self.write_json(
            {
                "path": relative_to_root(self.root_dir, notebook),
                "commit": version.commit,
                "snapshot": version.snapshot,
                "label": version.label(),
                "content": content,
            }
        )


class RestoreHandler(ReproHandler):
    """``POST runs/restore {path, commit, mode: branch|copy, name?, run_id?, branch?, open_paths?,
    switch?}``.

    ``branch``: ``exp/<run name>`` at the run's code, switched to unless
    ``switch`` is false. Outputs in the way are kept in a git stash entry
    (``kept_outputs``); other local changes in the way, or a notebook in
    ``open_paths`` (server paths of notebooks open with unsaved work) that
    would change, answer 409 with ``files`` and change nothing. ``copy``: the
    notebook as it was, under a new name beside it. A notebook that is the
    run's code plus outputs keeps them on the branch (``carried_outputs``).
    Paths in the answer (``copy``, ``changed_files``, ``carried_outputs``,
    ``kept_outputs.files``) are server paths.
    """

    BODY: ClassVar[dict[str, Field]] = {
        "path": PATH,
        "commit": Text(required=True, max_length=MAX_REVISION_LENGTH),
        "mode": Text(default_value="branch", max_length=16),
        "name": Text(max_length=250),
        "run_id": Text(max_length=64),
        "branch": Text(max_length=800),
        "open_paths": PATHS,
        "switch": Bool(default_value=True),
    }

    @tornado.web.authenticated
    async def post(self) -> None:
        body = self.body(self.BODY)
        notebook = self.target(body)
        if not notebook.is_file():
            raise bad_request("'path' must be a notebook file.")
        deadline = self.deadline("write_timeout")
        if body["mode"] == "copy":
            result = await self.run(
                restore_copy,
                notebook,
                body["commit"],
                name=body["name"] or body["run_id"] or body["commit"][:7],
                deadline=deadline,
                within=self.root_dir,
            )
        elif body["mode"] == "branch":
            top = await self.run(self.writable_repository, notebook, deadline)
            open_paths = []
            for path in body["open_paths"]:
                real = self._translate(resolve_in_root, self.root_dir, path, must_exist=False)
                if is_within(real, top):
                    open_paths.append(real.relative_to(top).as_posix())
            result = await self.run(
                restore_branch,
                notebook,
                body["commit"],
                branch=body["branch"] or branch_name(body["name"], body["run_id"]),
                run_id=body["run_id"],
                run_name=body["name"],
                open_paths=open_paths,
                checkout=body["switch"],
                any_free_name=not body["branch"],
                deadline=deadline,
            )
        else:
            raise bad_request("'mode' must be 'branch' or 'copy'.")
        data = result.as_dict()
        if result.copy is not None:
            copy = notebook.parent / Path(result.copy).name
            data["copy"] = relative_to_root(self.root_dir, copy)
        if body["mode"] == "branch":
            data["changed_files"] = self.server_paths(top, result.changed_files)
            data["carried_outputs"] = self.server_paths(top, result.carried_outputs)
            if result.kept_outputs is not None:
                kept = dict(result.kept_outputs)
                kept["files"] = self.server_paths(top, kept["files"])
                data["kept_outputs"] = kept
        self.write_json(data, status=201)


class KeptOutputsHandler(ReproHandler):
    """``GET runs/kept-outputs?path=``: the outputs restores kept aside (git stash entries),
    each ``ready`` when it can come back onto the code checked out now;
    ``POST runs/kept-outputs {path, commit?}``: bring one back (default: the newest ready one).

    A refusal (the outputs belong to other code, or the files changed since)
    answers 409 with ``files`` and changes nothing.
    """

    QUERY: ClassVar[dict[str, Field]] = {"path": PATH}
    BODY: ClassVar[dict[str, Field]] = {"path": PATH, "commit": Text(max_length=64)}

    @tornado.web.authenticated
    async def get(self) -> None:
        target = self.target(self.query(self.QUERY))
        deadline = self.deadline("read_timeout")
        top = await self.run(repository_top, target, deadline)
        entries = await self.run(kept_outputs, target, deadline=deadline)
        self.write_json({"kept": [self._entry(top, e) for e in entries]})

    @tornado.web.authenticated
    async def post(self) -> None:
        body = self.body(self.BODY)
        target = self.target(body)
        deadline = self.deadline("write_timeout")
        top = await self.run(self.writable_repository, target, deadline)
        entry = await self.run(bring_back, target, body["commit"], deadline=deadline)
        self.write_json(self._entry(top, entry))

    def _entry(self, top: Path, entry: Any) -> dict[str, Any]:
        data: dict[str, Any] = entry.as_dict()
        data["files"] = self.server_paths(top, entry.files)
        return data


class CompareHandler(ReproHandler):
    """``GET runs/compare?run_id=A&run_id=B[…][&metric=NAME…][&baseline=A][&path=NB]``.

    ``path`` (a notebook or folder; omitted: the server root) says which
    repository holds the runs' code.
    """

    pool = "tracking"
    QUERY: ClassVar[dict[str, Field]] = {
        "run_id": Texts(max_items=100, item=Text(max_length=64, keep_empty=True)),
        "metric": Texts(max_items=100, item=Text(max_length=250, keep_empty=True)),
        "baseline": Text(max_length=64),
        "path": PATH,
    }

    @tornado.web.authenticated
    async def get(self) -> None:
        query = self.query(self.QUERY)
        target = self.target(query)
        folder = target if target.is_dir() else target.parent
        repo_root = await self.run(repository_of, folder)
        service: TrackingService = self.repro[TRACKING_KEY]
        data = await self.run(
            compare_runs,
            service,
            query["run_id"],
            repo_root=repo_root,
            metrics=query["metric"],
            baseline=query["baseline"],
            deadline=self.deadline("read_timeout"),
        )
        self.write_json(data)


class ReleaseHandler(ReproHandler):
    """``POST runs/release {path, run_id, name, message?, model_card?}``: a run as an annotated tag."""

    pool = "tracking"
    BODY: ClassVar[dict[str, Field]] = {
        "path": PATH,
        "run_id": Text(required=True, max_length=64),
        "name": Text(required=True, max_length=800, keep_empty=True),
        "message": Text(max_length=256 * 1024, multiline=True),
        "model_card": Bool(),
    }

    @tornado.web.authenticated
    async def post(self) -> None:
        body = self.body(self.BODY)
        target = self.target(body)
        deadline = self.deadline("write_timeout")
        top = await self.run(self.writable_repository, target, deadline)
        service: TrackingService = self.repro[TRACKING_KEY]
        result = await self.run(
            release_run,
            service,
            body["run_id"],
            body["name"],
            repo_root=top,
            message=body["message"],
            with_model_card=body["model_card"],
            deadline=deadline,
        )
        self.write_json(result.as_dict(), status=201)


class ShareHandler(ReproHandler):
    """``POST runs/share {path, remote?}``: push the hidden snapshot refs to a configured remote."""

    pool = "tracking"
    BODY: ClassVar[dict[str, Field]] = {"path": PATH, "remote": Text(max_length=250)}

    @tornado.web.authenticated
    async def post(self) -> None:
        body = self.body(self.BODY)
        target = self.target(body)
        deadline = self.deadline("write_timeout")
        top = await self.run(self.writable_repository, target, deadline)
        service: TrackingService = self.repro[TRACKING_KEY]
        data = await self.run(
            share_run_code, top, body["remote"], service=service, deadline=deadline
        )
        self.write_json(data)


class FetchCodeHandler(ReproHandler):
    """``POST runs/fetch {path, remote?, run_ids?}``: snapshot refs and the commits runs need."""

    pool = "tracking"
    BODY: ClassVar[dict[str, Field]] = {
        "path": PATH,
        "remote": Text(max_length=250),
        "run_ids": Texts(max_items=100, item=Text(max_length=64, keep_empty=True)),
    }

    @tornado.web.authenticated
    async def post(self) -> None:
        body = self.body(self.BODY)
        target = self.target(body)
        deadline = self.deadline("write_timeout")
        top = await self.run(self.writable_repository, target, deadline)
        service: TrackingService = self.repro[TRACKING_KEY]
        result = await self.run(
            fetch_run_code, top, service, body["run_ids"], body["remote"], deadline=deadline
        )
        self.write_json(result.as_dict())


ROUTES: list[tuple[str, Any]] = [
    ("runs", RunsHandler),
    ("runs/metrics", RunMetricsHandler),
    ("runs/notebook", NotebookAtCommitHandler),
    ("runs/restore", RestoreHandler),
    ("runs/kept-outputs", KeptOutputsHandler),
    ("runs/compare", CompareHandler),
    ("runs/release", ReleaseHandler),
    ("runs/share", ShareHandler),
    ("runs/fetch", FetchCodeHandler),
]
