"""``GET runs/compare`` and ``POST runs/release`` through a real Jupyter server and SQLite store."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from mlflow.entities import Metric, Param  # imported before the server warms MLflow up
from mlflow.tracking import MlflowClient

pytestmark = [
    pytest.mark.mlflow,
    pytest.mark.filterwarnings("ignore:.*noload.*:DeprecationWarning"),
]

Fetch = Callable[..., Any]


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True, env=os.environ.copy()
    ).stdout.strip()


def notebook(source: str) -> str:
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": 1,
                "id": "c0",
                "metadata": {},
                "outputs": [{"name": "stdout", "output_type": "stream", "text": ["OUT\n"]}],
                "source": [source],
            }
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(nb, indent=1) + "\n"


@pytest.fixture
def store_uri(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'mlflow.db'}"


@pytest.fixture
def jp_server_config(jp_server_config: dict[str, Any], store_uri: str) -> dict[str, Any]:
    return {**jp_server_config, "Repro": {"tracking_uri": store_uri, "tracking_timeout": 30.0}}


@pytest.fixture
def runs(jp_root_dir: Path, store_uri: str) -> dict[str, str]:
    repo = jp_root_dir / "work"
    repo.mkdir()
    git(repo, "init", "-q", "--initial-branch=main")
    commits = []
    for source in ("lr = 0.1", "lr = 0.01"):
        (repo / "train.ipynb").write_text(notebook(source), encoding="utf-8")
        git(repo, "add", "--all")
        git(repo, "commit", "-q", "-m", f"exp: {source}")
        commits.append(git(repo, "rev-parse", "HEAD"))
    client = MlflowClient(tracking_uri=store_uri)
    exp = client.create_experiment("api")
    out = {}
    for label, commit, lr in (("a", commits[0], "0.1"), ("b", commits[1], "0.01")):
        run = client.create_run(
            exp,
            run_name=f"<img src=x onerror=alert(1)> {label}",
            tags={"repro.notebook": "train.ipynb", "mlflow.source.git.commit": commit},
        )
        client.log_batch(
            run.info.run_id,
            metrics=[Metric("acc", 0.5 + s / 10, s, s) for s in range(3 if label == "a" else 4)],
            params=[Param("lr", lr), Param("note", "<b>html</b>")],
        )
        client.set_terminated(run.info.run_id)
        out[label] = run.info.run_id
    out["head"] = commits[1]
    return out


async def call(
    jp_fetch: Fetch, route: str, *, params: Any = None, body: Any = None
) -> tuple[int, dict[str, Any]]:
    kwargs: dict[str, Any] = {"raise_error": False, "request_timeout": 60}
    if params is not None:
        kwargs["params"] = params
    if body is not None:
        kwargs.update(method="POST", body=json.dumps(body))
    response = await jp_fetch("jupyterlab-repro", *route.split("/"), **kwargs)
    return response.code, json.loads(response.body)


async def test_compare_two_runs(jp_fetch: Fetch, runs: dict[str, str]) -> None:
    query = [("run_id", runs["a"]), ("run_id", runs["b"]), ("metric", "acc")]
    query.append(("path", "work/train.ipynb"))
    response = await jp_fetch(
        "jupyterlab-repro", "runs", "compare", params=query, raise_error=False, request_timeout=60
    )
    assert response.code == 200, response.body
    data = json.loads(response.body)
    assert [p["key"] for p in data["params"] if p["differs"]] == ["lr"]
    assert data["runs"][0]["run_name"].startswith("<img")  # as text: the client renders it so
    (code,) = data["code"]
    assert code["known"] and "+lr = 0.01" in code["notebook_text"] and "OUT" not in json.dumps(code)
    assert set(data["histories"]["acc"]) == {runs["a"], runs["b"]}
    assert len(response.body) < 1_000_000


@pytest.mark.parametrize(
    "params",
    [
        {"run_id": "x"},
        {"run_id": ["a" * 32]},
        {"run_id": ["x!", "y!"]},
    ],
)
async def test_bad_comparisons_are_400(jp_fetch: Fetch, runs: dict[str, str], params: Any) -> None:
    ids = params["run_id"] if isinstance(params["run_id"], list) else [params["run_id"]]
    response = await jp_fetch(
        "jupyterlab-repro",
        "runs",
        "compare",
        params=[("run_id", i) for i in ids],
        raise_error=False,
    )
    assert response.code == 400, response.body


async def test_release_a_run(jp_fetch: Fetch, jp_root_dir: Path, runs: dict[str, str]) -> None:
    repo = jp_root_dir / "work"
    code, data = await call(
        jp_fetch,
        "runs/release",
        body={"path": "work", "run_id": runs["b"], "name": "v2.9.0", "message": "top-1 acc 0.8"},
    )
    assert code == 201, data
    assert data["commit"] == runs["head"] and data["tag"] == "v2.9.0"
    assert git(repo, "cat-file", "-t", "v2.9.0") == "tag"
    assert "run_id: " + runs["b"] in git(repo, "tag", "-l", "--format=%(contents)", "v2.9.0")
    git(repo, "tag", "-a", "plain", "-m", "a tag\n\nrun_id: not a release: no blank line")
    code, tags = await call(jp_fetch, "tags", params={"path": "work"})
    listed_tags = {t["name"]: t for t in tags["tags"]}
    assert set(listed_tags) == {"v2.9.0", "plain"}
    release = listed_tags["v2.9.0"]["release"]  # the sidebar shows a release's key metrics
    assert release["run_id"] == runs["b"] and release["commit"] == runs["head"]
    assert any(k.startswith("metric.") for k in release)
    assert listed_tags["plain"]["release"] is None
    code, listed = await call(jp_fetch, "runs", params={"path": "work/train.ipynb"})
    released = [r for g in listed["groups"] for r in g["runs"] if r["run_id"] == runs["b"]]
    assert released[0]["tags"]["repro.release"] == "v2.9.0"


@pytest.mark.parametrize(
    "body",
    [
        {"name": "main"},
        {"name": "HEAD"},
        {"name": "bad\x00name"},
        {"name": "v1", "run_id": "f" * 32},
        {"name": "v1", "message": "x" * (300 * 1024)},
    ],
)
async def test_bad_releases_change_nothing(
    jp_fetch: Fetch, jp_root_dir: Path, runs: dict[str, str], body: dict[str, Any]
) -> None:
    repo = jp_root_dir / "work"
    refs = git(repo, "for-each-ref")
    code, data = await call(
        jp_fetch, "runs/release", body={"path": "work", "run_id": runs["a"], **body}
    )
    assert 400 <= code < 500, data
    assert git(repo, "for-each-ref") == refs
