"""Kernels the lab starts log where the runs panel reads, unless the user said otherwise.

A notebook in a subfolder runs in that folder; with no tracking URI MLflow
would log to ``sub/mlflow.db`` while the panel reads ``<root>/mlflow.db``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from _kernels import Fetch, git, needs_plugin, notebook_text, start_kernel

pytestmark = [
    pytest.mark.mlflow,
    # MLflow's SQL store uses an SQLAlchemy 2.1 deprecated loader (not ours to fix).
    pytest.mark.filterwarnings("ignore:.*noload.*:DeprecationWarning"),
]

NOTEBOOK = "proj/sub/nb.ipynb"


@pytest.fixture
def unset_tracking_uri(monkeypatch: pytest.MonkeyPatch) -> None:
    """The user configured nothing: no MLFLOW_TRACKING_URI in the server's environment."""
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)


@pytest.fixture
def jp_server_config(unset_tracking_uri: None, jp_kernel_dir: Path) -> dict[str, Any]:
    """The extension with nothing about MLflow configured, and a kernel spec with a URI of its own."""
    own = jp_kernel_dir / "python3-own-store"
    own.mkdir()
    (own / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "Python 3 (own store)",
                "language": "python",
                "env": {"MLFLOW_TRACKING_URI": "sqlite:////kernel-spec/own.db"},
            }
        ),
        encoding="utf-8",
    )
    return {"ServerApp": {"jpserver_extensions": {"jupyterlab_repro": True}}}


@pytest.fixture
def project(jp_root_dir: Path, repo_at: Any) -> Path:
    return repo_at(
        jp_root_dir / "proj",
        files={"sub/nb.ipynb": notebook_text(["import mlflow"]), "README.md": "x\n"},
    )


@needs_plugin
async def test_a_run_from_a_subfolder_notebook_is_listed(
    jp_fetch: Fetch, jp_serverapp: Any, jp_root_dir: Path, project: Path, clients: list[Any]
) -> None:
    kernel = await start_kernel(jp_fetch, jp_serverapp, clients, NOTEBOOK, send_name=True)
    out, _ = await kernel.run(
        "import os; print(os.getcwd()); print(os.environ['MLFLOW_TRACKING_URI'])"
    )
    cwd, uri = out.split()
    assert Path(cwd) == project / "sub"  # where MLflow's default store would have been
    assert uri == f"sqlite:///{jp_root_dir.resolve()}/mlflow.db"
    out, _ = await kernel.run(
        """
        import logging, mlflow
        logging.getLogger("alembic").setLevel(logging.WARNING)
        with mlflow.start_run(run_name="found") as run:
            mlflow.log_metric("loss", 0.25)
        print(run.info.run_id)
        """
    )
    run_id = out.strip()
    assert not (project / "sub" / "mlflow.db").exists()
    response = await jp_fetch(
        "jupyterlab-repro", "runs", params={"path": NOTEBOOK}, request_timeout=60
    )
    data = json.loads(response.body)
    listed = [r for g in data["groups"] for r in g["runs"]]
    assert [r["run_id"] for r in listed] == [run_id]
    assert listed[0]["tags"]["repro.notebook"] == "sub/nb.ipynb"
    assert data["groups"][0]["commit"] == git(project, "rev-parse", "HEAD")
    assert data["other_stores"] == []


async def test_a_kernel_spec_uri_wins(
    jp_fetch: Fetch, jp_serverapp: Any, project: Path, clients: list[Any]
) -> None:
    model = {"path": NOTEBOOK, "type": "notebook", "kernel": {"name": "python3-own-store"}}
    response = await jp_fetch("api", "sessions", method="POST", body=json.dumps(model))
    kernel_id = json.loads(response.body)["kernel"]["id"]
    from _kernels import connect

    kernel = await connect(jp_serverapp, clients, kernel_id)
    out, _ = await kernel.run("import os; print(os.environ['MLFLOW_TRACKING_URI'])")
    assert out.strip() == "sqlite:////kernel-spec/own.db"


def test_the_server_environment_itself_is_left_alone(jp_serverapp: Any) -> None:
    import os

    assert "MLFLOW_TRACKING_URI" not in os.environ
    env = jp_serverapp.session_manager.get_kernel_env(NOTEBOOK)
    assert env["MLFLOW_TRACKING_URI"].endswith("/mlflow.db")
    assert env["JPY_SESSION_NAME"] == NOTEBOOK
