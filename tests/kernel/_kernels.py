"""Helpers for tests that drive real kernels started by a real Jupyter server."""

from __future__ import annotations

import json
import logging
import subprocess
import textwrap
import warnings
from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pytest

from jupyterlab_repro.notebook.clean import clean_text

Fetch = Callable[..., Any]

EXECUTE_TIMEOUT = 180.0  # a cold `import mlflow` plus the SQLite migrations on a busy machine


def entry_point_installed() -> bool:
    eps = entry_points(group="mlflow.run_context_provider")
    return any(ep.value == "jupyterlab_repro.kernel.context:ReproRunContext" for ep in eps)


needs_plugin = pytest.mark.skipif(
    not entry_point_installed(),
    reason="jupyterlab_repro is not installed with its mlflow.run_context_provider entry point "
    "(pip install -e .)",
)


def notebook_text(sources: list[str], *, outputs: bool = False) -> str:
    cells = [
        {
            "cell_type": "code",
            "execution_count": i + 1 if outputs else None,
            "id": f"c{i}",
            "metadata": {},
            "outputs": (
                [{"name": "stdout", "output_type": "stream", "text": [f"{i}\n"]}] if outputs else []
            ),
            "source": src,
        }
        for i, src in enumerate(sources)
    ]
    nb = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(nb, indent=1) + "\n"


def cleaned(text: str) -> str:
    return clean_text(text)[0]


def git(cwd: Path, *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return proc.stdout.strip()


def repo_state(repo: Path) -> dict[str, Any]:
    """HEAD, branch refs, the index bytes and the working copy."""
    files = {
        p.relative_to(repo).as_posix(): p.read_bytes()
        for p in sorted(repo.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(repo).parts
    }
    return {
        "HEAD": (repo / ".git" / "HEAD").read_bytes(),
        "heads": git(repo, "for-each-ref", "refs/heads"),
        "index": (repo / ".git" / "index").read_bytes(),
        "files": files,
    }


class Kernel:
    """A kernel started by the server for a notebook session, driven with jupyter_client."""

    def __init__(self, client: Any) -> None:
        self.client = client
        #: The MIME types of each display_data / execute_result, in order.
        self.displayed: list[set[str]] = []

    async def run(self, code: str, *, cell_id: str | None = None) -> tuple[str, str]:
        """Execute ``code``; return (stdout, stderr); fail on an exception in the kernel.

        With ``cell_id`` the request carries ``metadata.cellId``, as JupyterLab
        sends it for a notebook cell (the source is sent as it is, not dedented).
        """
        out: list[str] = []
        err: list[str] = []

        def hook(msg: dict[str, Any]) -> None:
            if msg["msg_type"] == "stream":
                (out if msg["content"]["name"] == "stdout" else err).append(msg["content"]["text"])
            elif msg["msg_type"] == "error":
                err.append("\n".join(msg["content"]["traceback"]))
            elif msg["msg_type"] in ("display_data", "execute_result"):
                self.displayed.append(set(msg["content"]["data"]))

        if cell_id is None:
            reply = await self.client.execute_interactive(
                textwrap.dedent(code), output_hook=hook, timeout=EXECUTE_TIMEOUT
            )
        else:
            reply = await self._run_cell(code, cell_id, hook)
        assert reply["content"]["status"] == "ok", "".join(err)
        return "".join(out), "".join(err)

    async def _run_cell(
        self, code: str, cell_id: str, hook: Callable[[dict[str, Any]], None]
    ) -> dict[str, Any]:
        content = {
            "code": code,
            "silent": False,
            "store_history": True,
            "user_expressions": {},
            "allow_stdin": False,
            "stop_on_error": True,
        }
        msg = self.client.session.msg("execute_request", content, metadata={"cellId": cell_id})
        self.client.shell_channel.send(msg)
        msg_id = msg["header"]["msg_id"]
        idle = False
        while not idle:
            io = await self.client.get_iopub_msg(timeout=EXECUTE_TIMEOUT)
            if io["parent_header"].get("msg_id") != msg_id:
                continue
            if io["msg_type"] == "status" and io["content"]["execution_state"] == "idle":
                idle = True
            else:
                hook(io)
        while True:
            reply = await self.client.get_shell_msg(timeout=EXECUTE_TIMEOUT)
            if reply["parent_header"].get("msg_id") == msg_id:
                return reply


async def start_kernel(
    jp_fetch: Fetch, jp_serverapp: Any, clients: list[Any], path: str, *, send_name: bool = False
) -> Kernel:
    """``POST /api/sessions`` for ``path`` (like JupyterLab) and connect to its kernel.

    JupyterLab also sends the file name, which makes the server pass an
    absolute ``JPY_SESSION_NAME``; without it the kernel gets the API path.
    """
    model: dict[str, Any] = {"path": path, "type": "notebook", "kernel": {"name": "python3"}}
    if send_name:
        model["name"] = Path(path).name
    response = await jp_fetch("api", "sessions", method="POST", body=json.dumps(model))
    kernel_id = json.loads(response.body)["kernel"]["id"]
    return await connect(jp_serverapp, clients, kernel_id)


async def connect(jp_serverapp: Any, clients: list[Any], kernel_id: str) -> Kernel:
    client = jp_serverapp.kernel_manager.get_kernel(kernel_id).client()
    clients.append(client)
    client.start_channels()
    await client.wait_for_ready(timeout=EXECUTE_TIMEOUT)
    return Kernel(client)


def mlflow_setup(db: Path) -> str:
    return f"""
    import mlflow
    mlflow.set_tracking_uri({f"sqlite:///{db}"!r})

    def new_run():
        with mlflow.start_run() as run:
            pass
        print(run.info.run_id)
    """


def run_tags(db: Path, run_id: str) -> tuple[dict[str, str], dict[str, str]]:
    from mlflow import MlflowClient
    from sqlalchemy.exc import SADeprecationWarning

    logging.getLogger("alembic").setLevel(logging.WARNING)
    with warnings.catch_warnings():
        # MLflow's SQL store uses SQLAlchemy's deprecated ``noload`` (not ours to fix)
        warnings.simplefilter("ignore", SADeprecationWarning)
        run = MlflowClient(tracking_uri=f"sqlite:///{db}").get_run(run_id.strip())
    return run.data.tags, run.data.params


async def new_run(kernel: Kernel, db: Path) -> tuple[dict[str, str], dict[str, str], str]:
    out, err = await kernel.run("new_run()")
    tags, params = run_tags(db, out)
    return tags, params, err
