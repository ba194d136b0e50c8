"""Issue 22: an omitted ``path`` means the server root on every route, as ``path=""`` does.

``GET runs/compare?run_id=A&run_id=B`` without ``path`` answered every code
diff as "No repository to read the code from." while the server root was the
repository; with ``path=`` it showed the diffs. The routes are walked as the
running server registers them (:func:`_routes.discover_routes`): every method
that reads ``path`` is called once without it and once with ``path=""``, from
the same repository state, and must answer the same, byte for byte.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from _routes import Endpoint, discover_routes, endpoints
from mlflow.entities import Metric, Param  # imported before the server warms MLflow up
from mlflow.tracking import MlflowClient

pytestmark = [
    pytest.mark.mlflow,
    pytest.mark.filterwarnings("ignore:.*noload.*:DeprecationWarning"),
]

Fetch = Callable[..., Any]
Git = Callable[..., str]

#: Fixed dates: a commit or tag made twice from the same state gets the same id.
DATE = "1700000000 +0000"


def notebook(source: str) -> str:
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": 1,
                "id": "c0",
                "metadata": {},
                "outputs": [],
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
def fixed_dates(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GIT_AUTHOR_DATE", "GIT_COMMITTER_DATE"):
        monkeypatch.setenv(name, DATE)


@pytest.fixture
def root_repo(jp_root_dir: Path, run_git_cmd: Git, fixed_dates: None) -> dict[str, str]:
    """The server root is the repository: two commits of a notebook."""
    run_git_cmd(jp_root_dir, "init", "-q", "--initial-branch=main")
    commits = []
    for source in ("lr = 0.1", "lr = 0.01"):
        (jp_root_dir / "train.ipynb").write_text(notebook(source), encoding="utf-8")
        run_git_cmd(jp_root_dir, "add", "--all")
        run_git_cmd(jp_root_dir, "commit", "-q", "-m", f"exp: {source}")
        commits.append(run_git_cmd(jp_root_dir, "rev-parse", "HEAD"))
    return {"first": commits[0], "head": commits[1]}


@pytest.fixture
def runs(root_repo: dict[str, str], store_uri: str) -> dict[str, str]:
    """Two MLflow runs, one per commit, of ``train.ipynb``."""
    client = MlflowClient(tracking_uri=store_uri)
    experiment = client.create_experiment("walk")
    out = {}
    for label, commit, lr in (("a", root_repo["first"], "0.1"), ("b", root_repo["head"], "0.01")):
        run = client.create_run(
            experiment,
            start_time=1_700_000_000_000,
            tags={"repro.notebook": "train.ipynb", "mlflow.source.git.commit": commit},
        )
        client.log_batch(
            run.info.run_id,
            metrics=[Metric("acc", 0.5 + s / 10, s, s) for s in range(3)],
            params=[Param("lr", lr)],
        )
        client.set_terminated(run.info.run_id, end_time=1_700_000_100_000)
        out[label] = run.info.run_id
    return {**root_repo, **out}


@pytest.fixture
def pristine(
    jp_root_dir: Path, tmp_path: Path, runs: dict[str, str]
) -> Iterator[Callable[[], None]]:
    """Puts the server root back as it was built (a write route runs twice from one state)."""
    copy = tmp_path / "pristine"
    shutil.copytree(jp_root_dir, copy, symlinks=True)

    def restore() -> None:
        for entry in jp_root_dir.iterdir():
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
        shutil.copytree(copy, jp_root_dir, symlinks=True, dirs_exist_ok=True)

    yield restore


def other_fields(endpoint: Endpoint, runs: dict[str, str]) -> dict[str, Any]:
    """What a request needs besides ``path`` to get past validation (empty: just ``path``)."""
    known: dict[tuple[str, str], dict[str, Any]] = {
        ("GET", "runs/compare"): {"run_id": [runs["a"], runs["b"]], "metric": ["acc"]},
        ("GET", "runs/notebook"): {"commit": runs["first"]},
        ("POST", "runs/restore"): {"commit": runs["first"], "mode": "copy", "name": "r"},
        ("POST", "runs/release"): {"run_id": runs["a"], "name": "v-walk"},
        ("POST", "identity"): {"name": "Repro Walker", "email": "walker@example.com"},
        ("POST", "tags"): {"name": "v-tag", "message": "walked"},
        ("POST", "guardrails/fix"): {"action": "gitignore", "rules": ["*.ckpt"]},
        ("POST", "snapshot"): {"message": "walked"},
        ("POST", "export"): {"output": "train.py"},
    }
    return known.get((endpoint.method, endpoint.route.name), {})


async def ask(
    jp_fetch: Fetch, endpoint: Endpoint, fields: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    kwargs: dict[str, Any] = {"raise_error": False, "request_timeout": 60}
    if endpoint.method in ("GET", "HEAD", "DELETE"):
        kwargs["params"] = [
            (key, item)
            for key, value in fields.items()
            for item in (value if isinstance(value, list) else [value])
        ]
    else:
        kwargs["body"] = json.dumps(fields)
    response = await jp_fetch(
        "jupyterlab-repro", *endpoint.route.name.split("/"), method=endpoint.method, **kwargs
    )
    return response.code, json.loads(response.body or b"{}")


async def test_an_omitted_path_is_the_server_root_on_every_route(
    jp_fetch: Fetch,
    jp_serverapp: Any,
    jp_base_url: str,
    runs: dict[str, str],
    pristine: Callable[[], None],
) -> None:
    routes = discover_routes(jp_serverapp.web_app, jp_base_url)
    taking_path = [e for e in endpoints(routes) if "path" in e.keys]
    names = {e.route.name for e in taking_path}
    assert {"status", "runs/compare", "export", "runs/restore"} <= names, names
    answered: dict[str, int] = {}
    for endpoint in taking_path:
        fields = other_fields(endpoint, runs)
        pristine()
        omitted = await ask(jp_fetch, endpoint, fields)
        pristine()
        empty = await ask(jp_fetch, endpoint, {**fields, "path": ""})
        assert omitted == empty, f"{endpoint}: omitted path {omitted} != path='' {empty}"
        assert omitted[0] < 500, (str(endpoint), omitted)
        answered[str(endpoint)] = omitted[0]
    # The walk reached the routes' real work, not only their validation.
    assert answered["GET status"] == answered["GET runs/compare"] == 200, answered
    assert answered["POST runs/release"] == answered["POST tags"] == 201, answered


async def test_compare_without_path_reads_the_code_from_the_root_repository(
    jp_fetch: Fetch, runs: dict[str, str]
) -> None:
    """The finding, as the compare view sends it (no notebook open: no ``path``)."""
    response = await jp_fetch(
        "jupyterlab-repro",
        "runs",
        "compare",
        params=[("run_id", runs["a"]), ("run_id", runs["b"])],
        raise_error=False,
        request_timeout=60,
    )
    assert response.code == 200, response.body
    (code,) = json.loads(response.body)["code"]
    assert code["known"], code
    assert "+lr = 0.01" in code["notebook_text"]
    assert "No repository" not in json.dumps(code)


def test_a_route_cannot_read_path_its_own_way() -> None:
    """A handler whose ``path`` field is not the shared one does not even import."""
    from jupyterlab_repro.server.base import ReproHandler
    from jupyterlab_repro.server.fields import PathText

    with pytest.raises(TypeError, match="omitted path means the server root"):
        type(
            "OwnPath",
            (ReproHandler,),
            {"QUERY": {"path": PathText(default_value=None)}, "__module__": __name__},
        )
