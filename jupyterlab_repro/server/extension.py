"""Loading the server extension: settings, service objects, routes."""

from __future__ import annotations

import os
from typing import Any

from jupyter_server.utils import url_path_join

from ..commit.changes import ClassificationCache
from ..files import realpath
from . import commit, export, repository, reproduce, runs
from .base import SETTINGS_KEY, prepare_pools
from .config import Repro
from .kernel_env import give_kernels_tracking_uri


def routes() -> list[tuple[str, Any]]:
    """Every route (path under ``jupyterlab-repro/``, handler class), as registered.

    The documentation's REST reference is generated from this list and the
    handlers' docstrings.
    """
    return [*repository.ROUTES, *commit.ROUTES, *export.ROUTES, *runs.ROUTES, *reproduce.ROUTES]


def setup_handlers(server_app: Any) -> None:
    """Build the service objects once and register every route under ``<base_url>/jupyterlab-repro/``."""
    web_app = server_app.web_app
    config = Repro(config=server_app.config)
    root_dir = getattr(server_app.contents_manager, "root_dir", None) or server_app.root_dir
    root_dir = realpath(os.path.expanduser(root_dir))
    web_app.settings[SETTINGS_KEY] = {
        "config": config,
        "root_dir": root_dir,
        "classifications": ClassificationCache(),
        runs.TRACKING_KEY: runs.build_service(config, root_dir),
    }
    service = web_app.settings[SETTINGS_KEY][runs.TRACKING_KEY]
    if config.kernels_use_tracking_uri:
        sessions = getattr(server_app, "session_manager", None)
        if give_kernels_tracking_uri(sessions, service.tracking_uri):
            server_app.log.info(
                "jupyterlab_repro: kernels log MLflow runs to %s (c.Repro.kernels_use_tracking_uri)",
                service.describe()["uri"],
            )
    base = url_path_join(web_app.settings["base_url"], "jupyterlab-repro")
    web_app.add_handlers(
        ".*$", [(url_path_join(base, *path.split("/")), h) for path, h in routes()]
    )
    io_loop = getattr(server_app, "io_loop", None)  # ServerApp makes it before extensions load
    if io_loop is not None:
        io_loop.add_callback(prepare_pools, web_app.settings[SETTINGS_KEY])
    if os.environ.get("REPRO_TRACKING_WARM", "1") not in ("0", "false", "off"):
        web_app.settings[SETTINGS_KEY][runs.TRACKING_KEY].warm_in_background()
