"""Original runs for the reproduction tests: real kernels, real git, a real MLflow SQLite store.

:func:`original_run` starts a kernel as Jupyter Server does for a notebook
session (``JPY_SESSION_NAME`` = the notebook's path; the plugin finds its
notebook from it), sends each cell as JupyterLab does (an
``execute_request`` with ``metadata.cellId``), in the order and with the
sources the test gives — which may differ from the saved notebook (unsaved
edits) — and returns the id of the run the last cell printed.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import time
import warnings
from pathlib import Path
from typing import Any

EXECUTE_TIMEOUT = 180.0


def notebook(sources: list[str], *, kernel: bool = True) -> str:
    """A saved notebook (nbformat 4.5, ids ``c0``, ``c1`` …), outputs cleared."""
    cells = [
        {
            "cell_type": "code",
            "execution_count": None,
            "id": f"c{i}",
            "metadata": {},
            "outputs": [],
            "source": src,
        }
        for i, src in enumerate(sources)
    ]
    metadata: dict[str, Any] = {}
    if kernel:
        metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        }
    nb = {"cells": cells, "metadata": metadata, "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(nb, indent=1, sort_keys=True) + "\n"


def git(cwd: Path, *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return proc.stdout.strip()


def make_project(repo: Path, files: dict[str, str], *, message: str = "feat: train") -> str:
    """A repository at ``repo`` with ``files`` committed; HEAD."""
    repo.mkdir(parents=True, exist_ok=True)
    if not (repo / ".git").exists():
        git(repo, "init", "--quiet", "--initial-branch=main")
    for rel, text in files.items():
        path = repo / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def repo_state(repo: Path) -> dict[str, Any]:
    """HEAD, every branch, the index's bytes, the working copy's files (bytes and modes)."""
    files = {}
    for path in sorted(repo.rglob("*")):
        rel = path.relative_to(repo)
        if ".git" in rel.parts or not path.is_file():
            continue
        files[rel.as_posix()] = (path.read_bytes(), path.stat().st_mode)
    return {
        "HEAD": (repo / ".git" / "HEAD").read_bytes(),
        "head commit": git(repo, "rev-parse", "HEAD"),
        "heads": git(repo, "for-each-ref", "refs/heads"),
        "index": (repo / ".git" / "index").read_bytes(),
        "files": files,
    }


def worktrees(repo: Path) -> list[str]:
    out = git(repo, "worktree", "list", "--porcelain")
    return [line.split(" ", 1)[1] for line in out.splitlines() if line.startswith("worktree ")]


async def original_run(
    repo: Path,
    notebook_rel: str,
    cells: list[tuple[str, str]],
    db: Path,
    *,
    env: dict[str, str] | None = None,
) -> str:
    """Run ``cells`` (cell id, source) in a fresh kernel of ``repo/notebook_rel``; the run id printed last."""
    from jupyter_client.manager import AsyncKernelManager

    path = repo / notebook_rel
    kernel_env = {
        k: v for k, v in os.environ.items() if not k.startswith(("JPY_", "REPRO_REPRODUC"))
    }
    kernel_env.update(
        {"JPY_SESSION_NAME": str(path), "MLFLOW_TRACKING_URI": f"sqlite:///{db}", **(env or {})}
    )
    km = AsyncKernelManager(kernel_name="python3")
    await km.start_kernel(cwd=str(path.parent), env=kernel_env)
    kc = km.client()
    kc.start_channels()
    out = ""
    try:
        await kc.wait_for_ready(timeout=EXECUTE_TIMEOUT)
        for cell_id, source in cells:
            out = await _run_cell(kc, source, cell_id)
    finally:
        kc.stop_channels()
        await km.shutdown_kernel(now=False)
    lines = [line for line in out.splitlines() if line.strip()]
    assert lines, "the last cell printed no run id"
    return lines[-1].strip()


async def _run_cell(kc: Any, code: str, cell_id: str) -> str:
    content = {
        "code": code,
        "silent": False,
        "store_history": True,
        "user_expressions": {},
        "allow_stdin": False,
        "stop_on_error": True,
    }
    msg = kc.session.msg("execute_request", content, metadata={"cellId": cell_id})
    kc.shell_channel.send(msg)
    msg_id = msg["header"]["msg_id"]
    out: list[str] = []
    err: list[str] = []
    while True:
        io = await kc.get_iopub_msg(timeout=EXECUTE_TIMEOUT)
        if io["parent_header"].get("msg_id") != msg_id:
            continue
        kind = io["msg_type"]
        if kind == "status" and io["content"]["execution_state"] == "idle":
            break
        if kind == "stream":
            (out if io["content"]["name"] == "stdout" else err).append(io["content"]["text"])
        elif kind == "error":
            err.append("\n".join(io["content"]["traceback"]))
    while True:
        reply = await kc.get_shell_msg(timeout=EXECUTE_TIMEOUT)
        if reply["parent_header"].get("msg_id") == msg_id:
            break
    assert reply["content"]["status"] == "ok", "".join(err)
    return "".join(out)


def make_store(db: Path) -> None:
    """Create the SQLite store (its Default experiment keeps artifacts beside it, not in a repo)."""
    from sqlalchemy.exc import SADeprecationWarning

    here = os.getcwd()
    os.chdir(db.parent)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SADeprecationWarning)
            client(db).search_experiments()
    finally:
        os.chdir(here)


def client(db: Path) -> Any:
    from mlflow.tracking import MlflowClient

    logging.getLogger("alembic").setLevel(logging.WARNING)
    return MlflowClient(tracking_uri=f"sqlite:///{db}")


def get_run(db: Path, run_id: str) -> Any:
    from sqlalchemy.exc import SADeprecationWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SADeprecationWarning)
        return client(db).get_run(run_id)


def artifacts(db: Path, run_id: str, path: str = "reproduction") -> dict[str, bytes]:
    """The run's artifacts below ``path``: name → bytes."""
    import mlflow.artifacts

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        uri = get_run(db, run_id).info.artifact_uri
        local = mlflow.artifacts.download_artifacts(artifact_uri=f"{uri}/{path}")
    return {p.name: p.read_bytes() for p in Path(local).iterdir()}


def kernel_processes(marker: str) -> list[int]:
    """Processes whose environment holds ``marker`` (``NAME=value``): the kernels a job started."""
    found = []
    needle = marker.encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            state = (entry / "stat").read_text().split()[2]
        except OSError:
            continue
        if state != "Z" and needle in environ.split(b"\0"):
            found.append(int(entry.name))
    return found


def wait_until(predicate: Any, timeout: float = 120.0, every: float = 0.1) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(every)
    raise AssertionError("timed out waiting")
