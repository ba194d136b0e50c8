"""Routes of the runs panel: ``runs``, ``runs/metrics`` and ``runs/notebook``.

Thin handlers over :mod:`jupyterlab_repro.runs.store`; the tracking store
comes from server configuration (``c.Repro.tracking_uri``), never from a
request. MLflow work runs in the ``tracking`` pool.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import tornado.web

from ..files import relative_to_root
from ..runs.notebook_copy import notebook_at_commit
from ..runs.store import MAX_PAGE_SIZE, TrackingService
from ..runs.tracking_uri import default_tracking_uri
from .base import ReproHandler, bad_request
from .config import Repro

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
    root = next((p for p in path.parents if os.path.lexists(p / ".git")), None)
    if root is None:
        return None, str(path)
    return root, path.relative_to(root).as_posix()


class RunsHandler(ReproHandler):
    """``GET runs?path=NB[&commit=REV][&page_token=…][&max_results=N][&filter=…]``."""

    pool = "tracking"

    @tornado.web.authenticated
    async def get(self) -> None:
        notebook = self.resolve(self.get_query_argument("path", "", strip=False))
        if not notebook.is_file():
            raise bad_request("'path' must be a notebook file.")
        raw_max = self.get_query_argument("max_results", "100")
        try:
            max_results = int(raw_max)
        except ValueError:
            raise bad_request("'max_results' must be an integer.") from None
        if not 1 <= max_results <= MAX_PAGE_SIZE:
            raise bad_request(f"'max_results' must be between 1 and {MAX_PAGE_SIZE}.")
        service: TrackingService = self.repro[TRACKING_KEY]
        repo_root, rel = await self.run(notebook_key, notebook)
        data = await self.run(
            service.runs_for_notebook,
            repo_root,
            rel,
            commit=self.get_query_argument("commit", None) or None,
            page_token=self.get_query_argument("page_token", None) or None,
            max_results=max_results,
            filter_text=self.get_query_argument("filter", None, strip=False) or None,
            deadline=self.deadline("tracking_timeout"),
        )
        data["path"] = self.get_query_argument("path", "", strip=False)
        self.write_json(data)


class RunMetricsHandler(ReproHandler):
    """``GET runs/metrics?run_id=…&run_id=…[&key=…&key=…]``: metric histories."""

    pool = "tracking"

    @tornado.web.authenticated
    async def get(self) -> None:
        run_ids = self.get_query_arguments("run_id")
        keys = self.get_query_arguments("key", strip=False)
        if not run_ids:
            raise bad_request("Give at least one 'run_id'.")
        service: TrackingService = self.repro[TRACKING_KEY]
        data = await self.run(
            service.metric_histories, run_ids, keys, deadline=self.deadline("tracking_timeout")
        )
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
        copy = await self.run(
            notebook_at_commit,
            notebook,
            commit,
            deadline=self.deadline("write_timeout"),
            within=self.root_dir,
        )
        self.write_json({"path": relative_to_root(self.root_dir, copy)}, status=201)


ROUTES: list[tuple[str, Any]] = [
    ("runs", RunsHandler),
    ("runs/metrics", RunMetricsHandler),
    ("runs/notebook", NotebookAtCommitHandler),
]
