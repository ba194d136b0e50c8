"""The `make lab` demo, end to end: run the demo notebook in a real kernel, then
find its run in the runs API under the commit that produced it, and open the
notebook as it was for that run."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import re
from pathlib import Path
from typing import Any

import pytest
from _kernels import EXECUTE_TIMEOUT, Fetch, git, needs_plugin, start_kernel

from jupyterlab_repro.mlflow_compat import version_tuple

pytestmark = pytest.mark.mlflow

PROJECT = Path(__file__).resolve().parents[2]
#: A line in the format of the logging set-up in MLflow's ``alembic.ini`` (``INFO  [name] …``).
MIGRATION_INFO = re.compile(r"^INFO  \[[\w.]+\] .*\n?", re.MULTILINE)


def _mlflow_version() -> tuple[int, ...]:
    return version_tuple(importlib.metadata.version("mlflow-skinny"))


def _make_workspace() -> Any:
    script = PROJECT / "demo" / "make_workspace.py"
    spec = importlib.util.spec_from_file_location("repro_demo_make_workspace", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.make_workspace


@pytest.fixture
def jp_server_config(jp_root_dir: Path) -> dict[str, Any]:
    """The extension, with the runs panel reading the demo's SQLite store."""
    return {
        "ServerApp": {"jpserver_extensions": {"jupyterlab_repro": True}},
        "Repro": {"tracking_uri": f"sqlite:///{jp_root_dir}/demo/mlflow.db"},
    }


@needs_plugin
async def test_the_demo_notebook_run_shows_up_under_its_commit(
    jp_fetch: Fetch, jp_serverapp: Any, jp_root_dir: Path, clients: list[Any]
) -> None:
    """Run every cell in a real kernel: a plot, a metric history, quiet MLflow, and the run."""
    demo = jp_root_dir / "demo"
    _make_workspace()(demo)
    head = git(demo, "rev-parse", "HEAD")

    kernel = await start_kernel(jp_fetch, jp_serverapp, clients, "demo/train.ipynb", send_name=True)
    await kernel.run(
        f"import os; os.chdir({str(demo)!r}); "
        f"os.environ['MLFLOW_TRACKING_URI'] = 'sqlite:///{demo}/mlflow.db'"
    )
    notebook = json.loads((demo / "train.ipynb").read_text(encoding="utf-8"))
    stderr = []
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            _, err = await kernel.run("".join(cell["source"]), cell_id=cell["id"])
            stderr.append(err)
    red = "".join(stderr)
    if _mlflow_version() < (3, 7):
        # Before 3.7, MLflow's migration script runs logging.config.fileConfig: alembic
        # and each migration log at INFO to stderr when the demo's database is created,
        # whatever level the notebook set.
        red = MIGRATION_INFO.sub("", red)
    assert not red.strip(), stderr  # no red MLflow INFO lines in the notebook
    assert any("image/png" in mimes for mimes in kernel.displayed)  # the plot

    response = await jp_fetch(
        "jupyterlab-repro",
        "runs",
        params={"path": "demo/train.ipynb"},
        request_timeout=EXECUTE_TIMEOUT,
    )
    data = json.loads(response.body)
    assert data["tracking"]["uri_kind"] == "sqlite"
    (group,) = data["groups"]
    assert group["commit"] == head
    assert group["subject"] == "feat: sample training notebook"
    assert group["snapshot"] is False
    (run,) = group["runs"]
    assert run["status"] == "FINISHED"
    assert run["params"]["learning_rate"] == "0.001"
    assert 0.5 < run["metrics"]["accuracy"] <= 1.0
    assert run["tags"]["repro.notebook"] == "train.ipynb"
    assert run["tags"]["repro.git.dirty"] == "false"

    response = await jp_fetch(
        "jupyterlab-repro",
        "runs",
        "metrics",
        params={"run_id": run["run_id"], "key": "val_loss"},
        request_timeout=EXECUTE_TIMEOUT,
    )
    loss = json.loads(response.body)["runs"][run["run_id"]]["val_loss"]
    assert loss["steps"] == list(range(1, 16))  # one point per epoch
    assert loss["values"][-1] < loss["values"][0]  # it learns

    response = await jp_fetch(
        "jupyterlab-repro",
        "runs",
        "notebook",
        params={"path": "demo/train.ipynb", "commit": group["commit"]},
    )
    version = json.loads(response.body)
    assert version["commit"] == head
    assert [c["source"] for c in version["content"]["cells"]] == [
        c["source"] for c in notebook["cells"]
    ]
    assert git(demo, "status", "--porcelain") == ""


def test_the_suggested_edit_changes_the_metrics(tmp_path: Path) -> None:
    """The notebook's own suggestion (learning rate 0.01) moves the accuracy: two runs differ."""
    pytest.importorskip("sklearn", reason="scikit-learn (the demo extra) is not installed")
    notebook = json.loads((PROJECT / "demo" / "train.ipynb").read_text(encoding="utf-8"))
    cells = {c["id"]: "".join(c["source"]) for c in notebook["cells"]}
    setup = cells["imports"] + "\n" + cells["model"]
    train = cells["train"].replace("with mlflow.start_run() as run:", "if True:")
    train = train.replace("mlflow.log_params(params)", "pass")
    train = "\n".join(
        line
        for line in train.splitlines()
        if "mlflow.log_metrics" not in line and "run." not in line
    )
    results = []
    for edit in (None, ('"learning_rate": 0.001', '"learning_rate": 0.01')):
        code = setup if edit is None else setup.replace(*edit)
        assert edit is None or code != setup
        scope: dict[str, Any] = {}
        exec(compile(code + "\n" + train, "train", "exec"), scope)  # noqa: S102
        results.append(scope["accuracy"])
    assert abs(results[1] - results[0]) > 0.05, results
