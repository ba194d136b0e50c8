"""Server-side settings, configurable like any Jupyter server option.

Set them in ``jupyter_server_config.py`` (``c.Repro.status_timeout = 20``) or on
the command line (``--Repro.status_timeout=20``).
"""

from __future__ import annotations

from traitlets import Bool, Float, Int, Unicode
from traitlets.config import Configurable


class Repro(Configurable):
    """Settings of the jupyterlab-repro server extension."""

    status_timeout = Float(
        10.0,
        min=0.1,
        config=True,
        help=(
            "Seconds a status request may take in all (every git call it makes) before "
            "it answers 504."
        ),
    )
    read_timeout = Float(
        30.0,
        min=0.1,
        config=True,
        help=(
            "Seconds the other read requests (changed files, diffs, tags, identity) may "
            "take in all before they answer 504."
        ),
    )
    write_timeout = Float(
        120.0,
        min=1.0,
        config=True,
        help=(
            "Seconds a request that writes (snapshot with its hooks, tag, fix, export, "
            "init, restore, release, share, fetch) may take in all; a hook, filter or git "
            "process still running then is killed with every process it started, and the "
            "request answers 504 once they are gone."
        ),
    )
    worker_threads = Int(
        4,
        min=1,
        config=True,
        help=(
            "Threads for the polls (status, changes, diff …). Writes and MLflow queries "
            "have pools of their own (write_threads, tracking_threads), so a slow hook "
            "or a hanging MLflow never delays a status poll."
        ),
    )
    write_threads = Int(
        2,
        min=1,
        config=True,
        help="Threads for requests that write (snapshot, tags, fixes, export, init).",
    )
    tracking_threads = Int(
        4,
        min=1,
        config=True,
        help="Threads for MLflow queries (runs panel).",
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
    kernels_use_tracking_uri = Bool(
        True,
        config=True,
        help=(
            "Give the kernels this server starts the tracking URI the runs panel reads "
            "(tracking_uri, else <server root>/mlflow.db) as MLFLOW_TRACKING_URI, so that "
            "runs logged from a notebook in any folder are found; without it MLflow logs "
            "to a store in the kernel's working directory (the notebook's folder). Never "
            "overrides a URI set elsewhere: MLFLOW_TRACKING_URI in the server's environment "
            "(kernels inherit it) or in a kernel spec's env, or mlflow.set_tracking_uri() "
            "in the notebook. False: kernels get nothing from here."
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
    reproduce_concurrency = Int(
        1,
        min=1,
        max=16,
        config=True,
        help=(
            "Reproductions (POST runs/reproduce) that may run at once; one more answers 409 "
            "naming the running job. Each runs a kernel of its own."
        ),
    )
    reproduce_timeout = Float(
        24 * 3600.0,
        min=1.0,
        config=True,
        help=(
            "Seconds a reproduction's cells may take together when the request names no "
            "'timeout'; past it the cell running is stopped and the verdict is 'failed'."
        ),
    )
    reproduce_threads = Int(
        2,
        min=1,
        config=True,
        help=(
            "Threads for the blocking work of reproductions (the environment check, the "
            "temporary work tree, recording the verdict), apart from every other pool."
        ),
    )
