"""REST routes of the runs panel: ``/jupyterlab-repro/runs`` and ``runs/metrics``.

Thin handlers over :mod:`jupyterlab_repro.tracking`; the tracking store comes
from server configuration (``c.Repro.tracking_uri``), never from a request.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import tornado.web
from jupyter_server.utils import url_path_join

from .handlers import ReproHandler, bad_request
from .tracking import MAX_PAGE_SIZE, TrackingService, default_tracking_uri

#: Key of the :class:`TrackingService` in the extension's settings.
TRACKING_KEY = "tracking"


def build_service(config: Any, root_dir: str) -> TrackingService:
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
        )
        data["path"] = self.get_query_argument("path", "", strip=False)
        self.write_json(data)


class RunMetricsHandler(ReproHandler):
    """``GET runs/metrics?run_id=…&run_id=…[&key=…&key=…]``: metric histories."""

    @tornado.web.authenticated
    async def get(self) -> None:
        run_ids = self.get_query_arguments("run_id")
        keys = self.get_query_arguments("key", strip=False)
        if not run_ids:
            raise bad_request("Give at least one 'run_id'.")
        service: TrackingService = self.repro[TRACKING_KEY]
        self.write_json(await self.run(service.metric_histories, run_ids, keys))


def register(web_app: Any, base_url_path: str, settings: dict[str, Any]) -> None:
    """Add the runs routes and build the tracking service (warmed in the background).

    ``base_url_path`` is the extension's prefix (``<base_url>/jupyterlab-repro``);
    ``settings`` the extension's settings dict (holds ``config`` and ``root_dir``).
    """
    service = build_service(settings["config"], settings["root_dir"])
    settings[TRACKING_KEY] = service
    web_app.add_handlers(
        ".*$",
        [
            (url_path_join(base_url_path, "runs"), RunsHandler),
            (url_path_join(base_url_path, "runs", "metrics"), RunMetricsHandler),
        ],
    )
    if os.environ.get("REPRO_TRACKING_WARM", "1") not in ("0", "false", "off"):
        service.warm_in_background()
