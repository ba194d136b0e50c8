"""A run's declared inputs as MLflow dataset inputs, so the MLflow UI lists them too.

A run-context provider answers tags *before* MLflow creates the run, so it
cannot log inputs to it. :class:`DatasetInputs` remembers the inputs each
``start_run`` recorded and, after the cell that started the run finished
(IPython's ``post_run_cell``), finds the runs tagged with that manifest since
then and logs one dataset per declared pattern (name: the pattern; digest:
of its files' digests; source: the folder; profile: files and bytes) with
``MlflowClient.log_inputs`` — where the store supports dataset inputs
(MLflow ≥ 2.4's entities; a store that refuses is left alone). Failures are
logged, never raised into the user's cell.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sys
import threading
import time
from pathlib import Path
from typing import Any

from ..tags import REPRO_INPUTS

log = logging.getLogger(__name__)

#: The dataset input's context tag (``mlflow.data.context``) on runs.
CONTEXT = "repro.inputs"
#: Most runs one flush looks at, and most datasets one run gets.
MAX_RUNS = 100
MAX_DATASETS = 50


def datasets_of(manifest: dict[str, Any], root: Path) -> list[dict[str, Any]]:
    """One dataset description per declared pattern: name, digest, source, profile."""
    files: dict[str, Any] = manifest.get("files") or {}
    out = []
    for pattern in list(manifest.get("patterns") or [])[:MAX_DATASETS]:
        prefix = pattern.replace("\\", "/").strip("/")
        mine = {
            rel: info
            for rel, info in files.items()
            if rel == prefix or rel.startswith(prefix + "/") or _glob_match(rel, prefix)
        }
        digest = hashlib.sha256()
        for rel, info in sorted(mine.items()):
            digest.update(f"{rel}\0{info.get('sha256')}\n".encode())
        out.append(
            {
                "name": pattern,
                "digest": digest.hexdigest()[:16],
                "source": json.dumps(
                    {"uri": (root / prefix).as_uri() if prefix else root.as_uri()}
                ),
                "profile": json.dumps(
                    {
                        "num_files": len(mine),
                        "num_bytes": sum(int(i.get("size", 0)) for i in mine.values()),
                    }
                ),
            }
        )
    return out


def _glob_match(rel: str, pattern: str) -> bool:
    from fnmatch import fnmatchcase

    return fnmatchcase(rel, pattern) or fnmatchcase(rel, pattern + "/*")


class DatasetInputs:
    """Logs recorded inputs as dataset inputs after the cell that started the runs."""

    def __init__(self, shell: Any) -> None:
        self._mutex = threading.Lock()
        self._pending: list[tuple[str, list[dict[str, Any]], int]] = []
        if shell is not None:
            try:
                shell.events.register("post_run_cell", self._post_run_cell)
            except Exception as exc:
                log.debug("cannot listen to post_run_cell: %s", exc)

    def expect(self, ident: str, manifest: dict[str, Any], root: Path) -> None:
        """A run is being started with the inputs ``ident``: log them once it exists."""
        since = int(time.time() * 1000) - 1000
        with self._mutex:
            if not any(p[0] == ident for p in self._pending):
                self._pending.append((ident, datasets_of(manifest, root), since))

    def _post_run_cell(self, *_args: Any) -> None:
        with self._mutex:
            pending, self._pending = self._pending, []
        if pending:
            try:
                self.flush(pending)
            except Exception as exc:
                log.warning("jupyterlab_repro: the inputs were not logged as datasets: %s", exc)

    def flush(self, pending: list[tuple[str, list[dict[str, Any]], int]]) -> None:
        mlflow = sys.modules.get("mlflow")
        if mlflow is None:
            return
        from mlflow.entities import Dataset, DatasetInput, InputTag
        from mlflow.tracking import MlflowClient

        client = MlflowClient()
        experiments: set[str] = set()
        last = mlflow.last_active_run()
        if last is not None:
            experiments.add(last.info.experiment_id)
        active = mlflow.active_run()
        if active is not None:
            experiments.add(active.info.experiment_id)
        if not experiments:
            return
        for ident, datasets, since in pending:
            runs = client.search_runs(
                sorted(experiments),
                f"tags.`{REPRO_INPUTS}` = '{ident}' and attributes.start_time >= {since}",
                max_results=MAX_RUNS,
            )
            for run in runs:
                have = {
                    (d.dataset.name, d.dataset.digest)
                    for d in (getattr(run.inputs, "dataset_inputs", None) or [])
                }
                new = [
                    DatasetInput(
                        Dataset(
                            name=d["name"],
                            digest=d["digest"],
                            source_type="local",
                            source=d["source"],
                            profile=d["profile"],
                        ),
                        tags=[InputTag(key="mlflow.data.context", value=CONTEXT)],
                    )
                    for d in datasets
                    if (d["name"], d["digest"]) not in have
                ]
                if new:
                    client.log_inputs(run.info.run_id, datasets=new)
