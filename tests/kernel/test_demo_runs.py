"""The `make lab` demo, end to end: run the demo notebook in a real kernel, then
find its run in the runs API under the commit that produced it, and open the
notebook as it was for that run."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest
from _kernels import EXECUTE_TIMEOUT, Fetch, git, needs_plugin, start_kernel

PROJECT = Path(__file__).resolve().parents[2]


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
    pytest.importorskip("sklearn")
    demo = jp_root_dir / "demo"
    _make_workspace()(demo)
    head = git(demo, "rev-parse", "HEAD")

    kernel = await start_kernel(jp_fetch, jp_serverapp, clients, "demo/train.ipynb", send_name=True)
    await kernel.run(
        f"import os; os.chdir({str(demo)!r}); "
        f"os.environ['MLFLOW_TRACKING_URI'] = 'sqlite:///{demo}/mlflow.db'"
    )
    notebook = json.loads((demo / "train.ipynb").read_text(encoding="utf-8"))
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            await kernel.run("".join(cell["source"]))

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
    assert run["params"]["n_estimators"] == "30"
    assert 0.5 < run["metrics"]["accuracy"] <= 1.0
    assert run["tags"]["repro.notebook"] == "train.ipynb"
    assert run["tags"]["repro.git.dirty"] == "false"

    response = await jp_fetch(
        "jupyterlab-repro",
        "runs",
        "notebook",
        method="POST",
        body=json.dumps({"path": "demo/train.ipynb", "commit": group["commit"]}),
    )
    copy = json.loads(response.body)["path"]
    assert copy == f"demo/train@{head[:7]}.ipynb"
    assert (
        json.loads((jp_root_dir / copy).read_text(encoding="utf-8"))["cells"] == notebook["cells"]
    )
    assert git(demo, "status", "--porcelain") == ""  # the copy is not a change
