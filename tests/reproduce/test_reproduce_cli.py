"""``jupyter repro reproduce`` / ``env`` / ``compare``: a teammate's clone, --strict, Ctrl-C.

Real kernels make the original runs (:mod:`_originals`); the CLI runs in
this process (``main([...])``) or, for Ctrl-C, as a process of its own.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from _originals import (
    get_run,
    git,
    kernel_processes,
    make_project,
    make_store,
    notebook,
    original_run,
    repo_state,
    worktrees,
)

from jupyterlab_repro.cli import main

pytestmark = [
    pytest.mark.mlflow,
    pytest.mark.filterwarnings("ignore:.*noload.*:DeprecationWarning"),
]

SEEDED = [
    "import numpy as np\nimport mlflow\nfrom jupyterlab_repro import set_seed\nset_seed(7)",
    "scale = 1.0",
    "with mlflow.start_run() as run:\n"
    "    mlflow.log_param('scale', scale)\n"
    "    mlflow.log_metric('draw', float(np.random.rand() * scale))\n"
    "print(run.info.run_id)",
]
PLAIN = [
    "import mlflow",
    "with mlflow.start_run() as run:\n    mlflow.log_metric('m', 1.0)\nprint(run.info.run_id)",
]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "store" / "mlflow.db"
    path.parent.mkdir()
    make_store(path)
    return path


def cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_a_teammates_run_is_reproduced_after_fetch_in_a_second_clone(
    tmp_path: Path, db: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "--quiet", "--bare", "-b", "main", str(remote))
    alice = tmp_path / "alice"
    make_project(alice, {"train.ipynb": notebook(SEEDED)})
    git(alice, "remote", "add", "origin", str(remote))
    git(alice, "push", "--quiet", "origin", "main")
    ran = [(f"c{i}", s) for i, s in enumerate(SEEDED)]
    ran[1] = ("c1", "scale = 3.0")  # an unsaved edit: the code is a hidden snapshot
    run_id = asyncio.run(original_run(alice, "train.ipynb", ran, db))
    tags = get_run(db, run_id).data.tags
    snapshot, lock = tags["repro.snapshot"], tags["repro.env.lock"]
    monkeypatch.chdir(alice)
    code, _, err = cli(["push", "--tracking-uri", f"sqlite:///{db}"], capsys)
    assert code == 0, err

    bob = tmp_path / "bob"
    git(tmp_path, "clone", "--quiet", "--no-local", str(remote), str(bob))
    assert subprocess.run(["git", "cat-file", "-e", snapshot], cwd=bob).returncode != 0
    before = repo_state(bob)
    monkeypatch.chdir(bob)
    code, out, err = cli(
        ["reproduce", run_id, "--tracking-uri", f"sqlite:///{db}", "--json"], capsys
    )

    assert code == 0, err
    data = json.loads(out)
    assert data["verdict"]["verdict"] == "exact", data["verdict"]
    assert data["plan"]["code"] == snapshot and data["plan"]["remote"] == "origin"
    assert f"refs/repro/envs/{lock}" in data["plan"]["fetched"]
    assert git(bob, "cat-file", "-t", snapshot) == "commit"
    assert data["check"]["environment"]["compared"] is True
    assert get_run(db, data["reproduction_run_id"]).data.params["scale"] == "3.0"
    assert repo_state(bob) == before and worktrees(bob) == [str(bob)]
    assert "reproducing run" in err and "cell 3/3" in err  # plain progress lines off a terminal


def test_strict_refuses_env_writes_what_recreates_it_and_compare_lists_packages(
    tmp_path: Path, db: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    extra = tmp_path / "extra-site"
    meta = extra / "fakepkg_repro-1.0.dist-info"
    meta.mkdir(parents=True)
    (meta / "METADATA").write_text("Metadata-Version: 2.1\nName: fakepkg-repro\nVersion: 1.0\n")
    repo = tmp_path / "proj"
    make_project(repo, {"nb.ipynb": notebook(PLAIN)})
    cells = [(f"c{i}", s) for i, s in enumerate(PLAIN)]
    with_fake = asyncio.run(
        original_run(repo, "nb.ipynb", cells, db, env={"PYTHONPATH": str(extra)})
    )
    without = asyncio.run(original_run(repo, "nb.ipynb", cells, db))
    monkeypatch.chdir(repo)
    uri = f"sqlite:///{db}"
    before = repo_state(repo)

    code, out, err = cli(
        ["reproduce", with_fake, "--strict", "--tracking-uri", uri, "--json"], capsys
    )
    assert code == 4, (out, err)
    refused = json.loads(out)
    assert {"kind": "package", "name": "fakepkg-repro", "recorded": "1.0", "now": None} in refused[
        "check"
    ]["environment"]["differences"]
    assert "package fakepkg-repro: recorded 1.0, now -" in err
    assert repo_state(repo) == before and worktrees(repo) == [str(repo)]

    code, out, _ = cli(["env", with_fake, "--requirements", "--tracking-uri", uri], capsys)
    assert code == 0 and "\nfakepkg-repro==1.0\n" in out and "\nmlflow-skinny==" in out
    code, out, _ = cli(["env", with_fake, "--dockerfile", "--tracking-uri", uri], capsys)
    assert code == 0 and "\nFROM python:" in out and "fakepkg-repro==1.0" in out
    code, out, _ = cli(["env", with_fake, "--tracking-uri", uri], capsys)
    assert code == 0 and "packages" in out

    code, out, _ = cli(["compare", with_fake, without, "--tracking-uri", uri, "--json"], capsys)
    assert code == 0
    (packages,) = json.loads(out)["packages"]
    assert packages["known"] and packages["removed"] == {"fakepkg-repro": "1.0"}
    assert packages["added"] == {} and packages["changed"] == {}
    code, out, _ = cli(["compare", with_fake, without, "--tracking-uri", uri], capsys)
    assert "  - fakepkg-repro==1.0" in out


def test_ctrl_c_cancels_cleanly(tmp_path: Path, db: Path) -> None:
    sources = [
        "import os, time, mlflow",
        "with mlflow.start_run() as run:\n    mlflow.log_metric('m', 1.0)",
        "time.sleep(float(os.environ.get('REPRO_TEST_SLEEP', '0')))\nprint(run.info.run_id)",
    ]
    repo = tmp_path / "proj"
    make_project(repo, {"slow.ipynb": notebook(sources)})
    run_id = asyncio.run(
        original_run(repo, "slow.ipynb", [(f"c{i}", s) for i, s in enumerate(sources)], db)
    )
    before = repo_state(repo)
    env = {**os.environ, "REPRO_TEST_SLEEP": "600", "MLFLOW_TRACKING_URI": f"sqlite:///{db}"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab_repro.cli", "reproduce", run_id, "--json"],
        cwd=repo, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    lines: list[str] = []
    try:
        assert proc.stderr is not None
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            line = proc.stderr.readline()
            assert line, "".join(lines)
            lines.append(line)
            if line.startswith("cell 3/3"):
                break
        time.sleep(1.0)  # well inside the cell's sleep
        marker = f"REPRO_REPRODUCES={run_id}"
        assert kernel_processes(marker)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, "".join(lines) + err
    data: dict[str, Any] = json.loads(out)
    assert data["verdict"]["verdict"] == "cancelled"
    assert "cancelling" in err
    assert not kernel_processes(marker)
    assert worktrees(repo) == [str(repo)]
    assert repo_state(repo) == before
