"""Server-side settings, configurable like any Jupyter server option.

Set them in ``jupyter_server_config.py`` (``c.Repro.status_timeout = 20``) or on
the command line (``--Repro.status_timeout=20``).
"""

from __future__ import annotations

from traitlets import Float, Int, Unicode
from traitlets.config import Configurable


class Repro(Configurable):
    """Settings of the jupyterlab-repro server extension."""

    status_timeout = Float(
        10.0,
        min=0.1,
        config=True,
        help="Seconds the repository status may take before the request fails.",
    )
    worker_threads = Int(
        4,
        min=1,
        config=True,
        help="Threads that run blocking git work off the server's event loop.",
    )
    tracking_uri = Unicode(
        "",
        config=True,
        help=(
            "MLflow tracking URI the runs panel reads (sqlite:///…, http://…, "
            "postgresql://…). Empty: the MLFLOW_TRACKING_URI environment variable, "
            "else the embedded SQLite store <server root>/mlflow.db. Never taken "
            "from a request; credentials in it are never sent to the browser."
        ),
    )
    mlflow_ui_url = Unicode(
        "",
        config=True,
        help="Base URL of an MLflow UI for links from the runs panel (empty: no links).",
    )
    tracking_timeout = Float(
        5.0,
        min=0.5,
        config=True,
        help=(
            "Seconds one MLflow query may take before the runs panel reports the "
            "tracking store as unavailable."
        ),
    )
