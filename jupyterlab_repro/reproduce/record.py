"""The reproduction written into MLflow: its run, its executed notebook, its verdict.

The notebook's own ``mlflow.start_run()`` makes the reproduction's run (the
plugin tags it ``repro.reproduces`` and ``repro.reproduction.job``:
:func:`find_reproduction` finds it by the job). When it made none (a cell
failed before, or the notebook logs to a store of its own), a stand-in run
is made in the original's experiment, so every reproduction has a run to
hold its notebook and verdict. The functions taking ``client`` run inside
:meth:`~jupyterlab_repro.tracking.bounded.BoundedMlflow.call`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..tags import (
    GIT_COMMIT,
    MLFLOW_RUN_NAME,
    REPRO_NOTEBOOK,
    REPRO_REPO,
    REPRO_REPRODUCES,
    REPRO_REPRODUCTION_JOB,
)
from ..tracking.store import TrackingService

#: Where a reproduction's files go among its run's artifacts.
ARTIFACT_DIR = "reproduction"


def find_reproduction(
    service: TrackingService,
    job_id: str,
    run_name: str | None,
    params: dict[str, str],
    deadline: Any,
) -> dict[str, Any] | None:
    """The run the notebook logged in job ``job_id`` (several: the one most like the original)."""
    found = service.runs_tagged(REPRO_REPRODUCTION_JOB, job_id, max_results=50, deadline=deadline)
    if not found:
        return None
    runs = service.get_runs([r["run_id"] for r in found], deadline=deadline)

    def likeness(run: dict[str, Any]) -> tuple[int, int, int]:
        same_name = int(bool(run_name) and run.get("run_name") == run_name)
        same_params = len(set(run.get("params") or {}) & set(params))
        return (same_name, same_params, int(run.get("start_time") or 0))

    return max(runs, key=likeness)


def create_stand_in(
    client: Any,
    experiment_id: str,
    run_id: str,
    job_id: str,
    *,
    run_name: str | None,
    notebook: str,
    code: str,
    repo: str | None,
) -> str:
    """A run for a reproduction whose notebook logged none; its id."""
    tags = {
        REPRO_REPRODUCES: run_id,
        REPRO_REPRODUCTION_JOB: job_id,
        REPRO_NOTEBOOK: notebook,
        GIT_COMMIT: code,
        MLFLOW_RUN_NAME: f"reproduce-{run_name or run_id[:8]}",
    }
    if repo:
        tags[REPRO_REPO] = repo
    run = client.create_run(experiment_id, tags=tags)
    return str(run.info.run_id)


def set_tags(client: Any, run_id: str, tags: dict[str, str]) -> None:
    from mlflow.entities import RunTag

    client.log_batch(run_id, tags=[RunTag(k, v) for k, v in tags.items()])


def terminate(client: Any, run_id: str, status: str) -> None:
    """End ``run_id`` with ``status`` unless it ended already with that status."""
    run = client.get_run(run_id)
    if run.info.status != status:
        client.set_terminated(run_id, status=status)


def log_files(client: Any, run_id: str, paths: list[Path]) -> None:
    for path in paths:
        client.log_artifact(run_id, str(path), ARTIFACT_DIR)
