"""The tracking URI kernels log to: the one the runs panel reads, unless the user set one.

MLflow's default store is relative to the working directory of the process
that logs (``mlflow.db``, or ``mlruns/`` with MLflow 2), and a kernel runs in
its notebook's folder: a notebook in ``sub/`` logs to ``sub/mlflow.db`` while
the runs panel reads ``<root>/mlflow.db``. Kernels started for a session (a
notebook or a console) get their environment from the session manager's
``get_kernel_env``, jupyter_server's documented place for it; this wraps that
method of the server's own session manager so the environment it returns
holds ``MLFLOW_TRACKING_URI`` when it does not already. A kernel spec's
``env`` is applied after it by jupyter_client, so it still wins; so does
``mlflow.set_tracking_uri()`` in the notebook. Nothing is set in the
server's own process environment (terminals, hooks and tests in the same
process see no change).
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable, Mapping
from typing import Any

log = logging.getLogger(__name__)

#: The variable MLflow reads.
ENV_VAR = "MLFLOW_TRACKING_URI"


def give_kernels_tracking_uri(session_manager: Any, uri: str) -> bool:
    """Make ``session_manager`` start kernels with ``MLFLOW_TRACKING_URI=uri`` when unset.

    Returns whether it did (nothing to wrap, or the server's environment sets
    the variable already: kernels inherit that, and it is left alone).
    """
    if os.environ.get(ENV_VAR, "").strip():
        return False
    original = getattr(session_manager, "get_kernel_env", None)
    if original is None or getattr(original, "_repro_tracking_uri", None) is not None:
        return False
    session_manager.get_kernel_env = _with_tracking_uri(original, uri)
    return True


def _with_tracking_uri(
    original: Callable[..., Mapping[str, str]], uri: str
) -> Callable[..., dict[str, str]]:
    @functools.wraps(original)
    def get_kernel_env(*args: Any, **kwargs: Any) -> dict[str, str]:
        env = dict(original(*args, **kwargs))
        if not env.get(ENV_VAR, "").strip():
            env[ENV_VAR] = uri
        return env

    get_kernel_env._repro_tracking_uri = uri  # type: ignore[attr-defined]
    return get_kernel_env
