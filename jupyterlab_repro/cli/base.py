"""What every subcommand shares: exit codes, usage errors, the tracking service."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

EXIT_OK = 0
EXIT_CHANGES = 1
EXIT_USAGE = 2
EXIT_ERROR = 3


class UsageError(Exception):
    """Wrong combination of arguments (exit status 2)."""


def tracking_service(uri: str | None, timeout: float) -> Any:
    """The tracking service of ``uri`` (default: the environment's, else ./mlflow.db).

    Our own process: MLflow's HTTP client may give up at ``timeout`` here
    (the server does not do this; kernels inherit its environment).
    """
    from ..tracking.store import TrackingService
    from ..tracking.uri import bounded_http_env, default_tracking_uri

    for key, value in bounded_http_env(timeout).items():
        os.environ.setdefault(key, value)
    return TrackingService(uri or default_tracking_uri(Path.cwd()), timeout=timeout)
