"""``POST runs/share`` and ``POST runs/fetch`` through a real Jupyter server, two real clones."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from mlflow.tracking import MlflowClient  # imported before the server warms MLflow up

from jupyterlab_repro.git.repository import repository_id
from jupyterlab_repro.kernel.hidden_snapshots import snapshot_worktree

pytestmark = [
    pytest.mark.mlflow,
    pytest.mark.filterwarnings("ignore:.*noload.*:DeprecationWarning"),
]

Fetch = Callable[..., Any]
NB = "train.ipynb"


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True, env=os.environ.copy()
    ).stdout.strip()


def notebook(source: str) -> str:
    cell = {
        "cell_type": "code",
        "execution_count": None,
        "id": "c0",
        "metadata": {},
        "outputs": [],
        "source": [source],
    }
    return json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


@pytest.fixture
def store_uri(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'mlflow.db'}"


@pytest.fixture
def jp_server_config(jp_server_config: dict[str, Any], store_uri: str) -> dict[str, Any]:
    return {**jp_server_config, "Repro": {"tracking_uri": store_uri, "tracking_timeout": 30.0}}


@pytest.fixture
def clones(jp_root_dir: Path, tmp_path: Path, store_uri: str) -> dict[str, Any]:
    """``a`` and ``b`` (under the server root) of one bare remote; A made a snapshot run."""
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "--initial-branch=main", str(remote))
    a = jp_root_dir / "a"
    a.mkdir()
    git(a, "init", "-q", "--initial-branch=main")
    (a / NB).write_text(notebook("lr = 0.1"), encoding="utf-8")
    git(a, "add", NB)
    git(a, "commit", "-q", "-m", "feat: train")
    git(a, "remote", "add", "origin", str(remote))
    git(a, "push", "-q", "origin", "main")
    git(jp_root_dir, "clone", "-q", str(remote), "b")
    (a / NB).write_text(notebook("lr = 0.01"), encoding="utf-8")
    snapshot = snapshot_worktree(a, NB).commit
    client = MlflowClient(store_uri)
    run = client.create_run(
        "0",
        tags={
            "repro.notebook": NB,
            "mlflow.source.git.commit": git(a, "rev-parse", "HEAD"),
            "repro.snapshot": snapshot,
            "repro.repo": repository_id(a) or "",
        },
    )
    return {"a": a, "b": jp_root_dir / "b", "run": run.info.run_id, "snapshot": snapshot}


async def call(jp_fetch: Fetch, route: str, body: Any) -> tuple[int, dict[str, Any]]:
    response = await jp_fetch(
        "jupyterlab-repro",
        *route.split("/"),
        method="POST",
        body=json.dumps(body),
        raise_error=False,
        request_timeout=120,
    )
    return response.code, json.loads(response.body)


async def runs_of(jp_fetch: Fetch, path: str) -> dict[str, dict[str, Any]]:
    """``GET runs``: the group of each run, by run id."""
    response = await jp_fetch("jupyterlab-repro", "runs", params={"path": path}, method="GET")
    groups = json.loads(response.body)["groups"]
    return {run["run_id"]: group for group in groups for run in group["runs"]}


async def test_share_then_fetch_in_the_other_clone(jp_fetch: Fetch, clones: dict[str, Any]) -> None:
    # B's runs panel lists A's run, with code not here.
    groups = await runs_of(jp_fetch, f"b/{NB}")
    assert groups[clones["run"]]["known"] is False
    assert groups[clones["run"]]["commit"] == clones["snapshot"]

    code, data = await call(jp_fetch, "runs/fetch", {"path": "b", "run_ids": [clones["run"]]})
    assert code == 200, data
    assert data["runs"][0]["here"] is False and "not on origin" in data["runs"][0]["reason"]

    code, data = await call(jp_fetch, "runs/share", {"path": f"a/{NB}"})
    assert code == 200, data
    assert data["remote"] == "origin" and len(data["transferred"]) == 1

    code, data = await call(jp_fetch, "runs/fetch", {"path": "b", "run_ids": [clones["run"]]})
    assert code == 200, data
    assert data["runs"] == [
        {"run_id": clones["run"], "code": clones["snapshot"], "here": True, "reason": None}
    ]
    response = await jp_fetch(
        "jupyterlab-repro",
        "runs",
        "notebook",
        params={"path": f"b/{NB}", "commit": clones["snapshot"]},
    )
    assert "lr = 0.01" in json.dumps(json.loads(response.body)["content"])
    assert (await runs_of(jp_fetch, f"b/{NB}"))[clones["run"]]["known"] is True


async def test_a_teammate_compares_and_restores_a_fetched_run(
    jp_fetch: Fetch, clones: dict[str, Any], store_uri: str
) -> None:
    """Clone B fetches A's snapshot run, compares it with its own run and restores it as a branch."""
    b = clones["b"]
    assert (await call(jp_fetch, "runs/share", {"path": f"a/{NB}"}))[0] == 200
    assert (await call(jp_fetch, "runs/fetch", {"path": "b", "run_ids": [clones["run"]]}))[0] == 200
    client = MlflowClient(store_uri)
    own = client.create_run(
        "0",
        tags={
            "repro.notebook": NB,
            "mlflow.source.git.commit": git(b, "rev-parse", "HEAD"),
            "repro.repo": repository_id(b) or "",
        },
    ).info.run_id
    client.log_param(own, "lr", "0.1")
    client.log_param(clones["run"], "lr", "0.01")

    response = await jp_fetch(
        "jupyterlab-repro",
        "runs",
        "compare",
        params=[("run_id", own), ("run_id", clones["run"]), ("path", f"b/{NB}")],
        method="GET",
        request_timeout=120,
    )
    data = json.loads(response.body)
    (diff,) = data["code"]
    assert diff["known"] and "-lr = 0.1" in diff["notebook_text"]
    assert "+lr = 0.01" in diff["notebook_text"]
    assert [p["key"] for p in data["params"] if p["differs"]] == ["lr"]

    before = git(b, "rev-parse", "HEAD")
    code, data = await call(
        jp_fetch,
        "runs/restore",
        {
            "path": f"b/{NB}",
            "commit": clones["snapshot"],
            "mode": "branch",
            "run_id": clones["run"],
        },
    )
    assert code == 201, data
    branch = data["branch"]
    assert branch.startswith("exp/")
    assert "lr = 0.01" in git(b, "show", f"refs/heads/{branch}:{NB}")
    assert git(b, "rev-parse", f"refs/heads/{branch}~1") == before  # on top of B's own commit


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"path": "a", "remote": "nope"}, 400, "No remote named"),
        ({"path": "a", "remote": "--upload-pack=touch /tmp/repro-pwned"}, 400, "No remote"),
        ({"path": "a", "remote": "/tmp/elsewhere.git"}, 400, "No remote"),
        ({"path": "a", "remote": ["origin"]}, 400, "remote"),
        ({"path": "../outside"}, 403, ""),
        ({"path": "missing"}, 404, ""),
    ],
)
async def test_bad_share_requests_change_nothing(
    jp_fetch: Fetch, clones: dict[str, Any], body: dict[str, Any], status: int, words: str
) -> None:
    before = git(clones["a"], "for-each-ref"), git(clones["b"], "for-each-ref")
    for route in ("runs/share", "runs/fetch"):
        code, data = await call(jp_fetch, route, body)
        assert code == status, (route, data)
        assert words in data["message"]
    assert (git(clones["a"], "for-each-ref"), git(clones["b"], "for-each-ref")) == before
    assert not Path("/tmp/repro-pwned").exists()


async def test_fetching_an_unknown_run_is_400(jp_fetch: Fetch, clones: dict[str, Any]) -> None:
    code, data = await call(jp_fetch, "runs/fetch", {"path": "b", "run_ids": ["f" * 32]})
    assert code == 400 and "No run" in data["message"]
    code, data = await call(jp_fetch, "runs/fetch", {"path": "b", "run_ids": ["x' OR 1=1"]})
    assert code == 400
