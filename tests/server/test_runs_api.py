"""``GET /jupyterlab-repro/runs`` and ``runs/metrics`` through a real Jupyter server.

The tracking store is a real SQLite store built once per module; each test
copies the repository it refers to (same commits) under the server root.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

# MLflow's SQL store uses an SQLAlchemy 2.1 deprecated loader (not ours to fix).
pytestmark = [
    pytest.mark.mlflow,
    pytest.mark.filterwarnings("ignore:.*noload.*:DeprecationWarning"),
]

TRAIN = "nb/train.ipynb"
ODD = "nb/it's 实验 1.ipynb"
OTHER = "nb/other.ipynb"

GIT_ENV = {
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "Repro Tester",
    "GIT_AUTHOR_EMAIL": "tester@example.com",
    "GIT_COMMITTER_NAME": "Repro Tester",
    "GIT_COMMITTER_EMAIL": "tester@example.com",
}


def _git(cwd: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV}
    proc = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
    return proc.stdout.strip()


@dataclass
class Store:
    uri: str
    repo: Path
    commits: dict[str, str]
    runs: dict[str, list[str]]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    from mlflow.entities import Metric
    from mlflow.tracking import MlflowClient

    base = tmp_path_factory.mktemp("runs-api")
    repo = base / "repo"
    (repo / "nb").mkdir(parents=True)
    _git(repo, "init", "--quiet", "--initial-branch=main")
    for rel in (TRAIN, ODD, OTHER):
        (repo / rel).write_text("{}\n", encoding="utf-8")
    commits: dict[str, str] = {}
    for label in ("c1", "c2"):
        (repo / "README.md").write_text(label, encoding="utf-8")
        _git(repo, "add", "--all")
        _git(repo, "commit", "--quiet", "-m", f"exp: {label}")
        commits[label] = _git(repo, "rev-parse", "HEAD")
    tree = _git(repo, "rev-parse", "HEAD^{tree}")
    commits["snap"] = _git(repo, "commit-tree", tree, "-p", commits["c1"], "-m", "repro snapshot")
    _git(repo, "update-ref", f"refs/repro/snapshots/{commits['c1']}/{tree}", commits["snap"])

    uri = "sqlite:///" + (base / "mlflow.db").as_posix()
    client = MlflowClient(uri)
    experiments = [client.create_experiment("exp-a"), client.create_experiment("exp-b")]
    runs: dict[str, list[str]] = {}
    plan = [(TRAIN, "c1", 0), (TRAIN, "snap", 1), (TRAIN, "c2", 0), (TRAIN, "c2", 1)]
    plan += [(ODD, "c2", 1), (OTHER, "c2", 0)]
    for i, (notebook, label, exp) in enumerate(plan):
        tags = {"repro.notebook": notebook, "mlflow.source.git.commit": commits[label]}
        if label == "snap":
            tags |= {"mlflow.source.git.commit": commits["c1"], "repro.snapshot": commits["snap"]}
        run = client.create_run(experiments[exp], start_time=1_700_000_000_000 + i, tags=tags)
        client.log_batch(
            run.info.run_id, metrics=[Metric("loss", 1 / (s + 1), s, s) for s in range(3)]
        )
        runs.setdefault(f"{notebook}@{label}", []).insert(0, run.info.run_id)
    return Store(uri=uri, repo=repo, commits=commits, runs=runs)


@pytest.fixture
def tracking_config(store: Store) -> dict[str, Any]:
    return {"tracking_uri": store.uri, "mlflow_ui_url": "http://ui.example/"}


@pytest.fixture
def jp_server_config(jp_server_config: dict[str, Any], tracking_config: dict[str, Any]) -> Any:
    return {**jp_server_config, "Repro": tracking_config}


@pytest.fixture
def repo(store: Store, jp_root_dir: Path) -> Path:
    """The store's repository, copied (same commits) under the server root as ``work``."""
    target = jp_root_dir / "work"
    shutil.copytree(store.repo, target, symlinks=True)
    return target


async def get(jp_fetch: Any, route: str, params: Any, expect: int = 200) -> dict[str, Any]:
    response = await jp_fetch(
        "jupyterlab-repro",
        *route.split("/"),
        params=params,
        raise_error=False,
        request_timeout=30,
    )
    assert response.code == expect, response.body
    return json.loads(response.body)


def keys(data: dict[str, Any]) -> list[str | None]:
    return [g["key"] for g in data["groups"]]


# --- runs --------------------------------------------------------------------


async def test_runs_grouped_by_commit(jp_fetch: Any, store: Store, repo: Path) -> None:
    data = await get(jp_fetch, "runs", {"path": f"work/{TRAIN}"})
    c = store.commits
    assert data["tracking"] == {
        "uri_kind": "sqlite",
        "uri": store.uri,
        "ui_url": "http://ui.example",
    }
    assert data["path"] == f"work/{TRAIN}" and data["notebook"] == TRAIN
    assert keys(data) == [c["c2"], c["snap"], c["c1"]]
    assert data["next_page_token"] is None
    c2, snap, c1 = data["groups"]
    assert [r["run_id"] for r in c2["runs"]] == store.runs[f"{TRAIN}@c2"]
    assert {r["experiment_name"] for r in c2["runs"]} == {"exp-a", "exp-b"}
    assert (c2["subject"], c2["snapshot"], c1["subject"]) == ("exp: c2", False, "exp: c1")
    assert (snap["snapshot"], snap["parent"], snap["subject"]) == (
        True,
        c["c1"],
        "repro snapshot",
    )
    run = c2["runs"][0]
    assert run["url"].startswith("http://ui.example/#/experiments/")
    assert run["metrics"] == {"loss": pytest.approx(1 / 3)}


async def test_pagination_passes_tokens_through(jp_fetch: Any, repo: Path) -> None:
    first = await get(jp_fetch, "runs", {"path": f"work/{TRAIN}", "max_results": "3"})
    assert sum(len(g["runs"]) for g in first["groups"]) == 3 and first["next_page_token"]
    rest = await get(
        jp_fetch,
        "runs",
        {"path": f"work/{TRAIN}", "max_results": "3", "page_token": first["next_page_token"]},
    )
    assert sum(len(g["runs"]) for g in rest["groups"]) == 1 and rest["next_page_token"] is None


async def test_bad_page_token(jp_fetch: Any, repo: Path) -> None:
    data = await get(jp_fetch, "runs", {"path": f"work/{TRAIN}", "page_token": "garbage"}, 400)
    assert data["reason"] == "invalid-request"


@pytest.mark.parametrize("bad", ["0", "x", "1001"])
async def test_bad_page_size(jp_fetch: Any, repo: Path, bad: str) -> None:
    data = await get(jp_fetch, "runs", {"path": f"work/{TRAIN}", "max_results": bad}, 400)
    assert data["reason"] == "invalid-request" and "max_results" in data["message"]


async def test_commit_and_filter(jp_fetch: Any, store: Store, repo: Path) -> None:
    c = store.commits
    data = await get(jp_fetch, "runs", {"path": f"work/{TRAIN}", "commit": "HEAD~1"})
    assert data["commit"] == c["c1"] and keys(data) == [c["snap"], c["c1"]]
    data = await get(jp_fetch, "runs", {"path": f"work/{TRAIN}", "commit": c["snap"][:10]})
    assert keys(data) == [c["snap"]]
    bad = await get(jp_fetch, "runs", {"path": f"work/{TRAIN}", "commit": "nope"}, 400)
    assert bad["reason"] == "invalid-request" and "nope" in bad["message"]
    one = await get(
        jp_fetch,
        "runs",
        {"path": f"work/{TRAIN}", "filter": f"tags.`repro.snapshot` = '{c['snap']}'"},
    )
    assert keys(one) == [c["snap"]]
    wrong = await get(jp_fetch, "runs", {"path": f"work/{TRAIN}", "filter": "what is this"}, 400)
    assert wrong["reason"] == "invalid-request"


async def test_odd_notebook_name_and_other_notebooks(
    jp_fetch: Any, store: Store, repo: Path
) -> None:
    data = await get(jp_fetch, "runs", {"path": f"work/{ODD}"})
    runs = [r for g in data["groups"] for r in g["runs"]]
    assert [r["run_id"] for r in runs] == store.runs[f"{ODD}@c2"]
    assert data["notebook"] == ODD
    train = await get(jp_fetch, "runs", {"path": f"work/{TRAIN}"})
    listed = {r["tags"]["repro.notebook"] for g in train["groups"] for r in g["runs"]}
    assert listed == {TRAIN}


async def test_notebook_without_runs(jp_fetch: Any, repo: Path) -> None:
    (repo / "nb" / "new.ipynb").write_text("{}\n", encoding="utf-8")
    data = await get(jp_fetch, "runs", {"path": "work/nb/new.ipynb"})
    assert data["groups"] == [] and data["next_page_token"] is None


@pytest.mark.parametrize(
    ("path", "status", "reason"),
    [
        ("../outside.ipynb", 403, "path-outside-root"),
        ("/etc/passwd", 403, "path-outside-root"),
        ("work/nb/missing.ipynb", 404, "not-found"),
        ("work/nb", 400, "invalid-request"),
    ],
)
async def test_bad_paths(jp_fetch: Any, repo: Path, path: str, status: int, reason: str) -> None:
    data = await get(jp_fetch, "runs", {"path": path}, status)
    assert data["reason"] == reason and data["message"]


async def test_notebook_outside_a_repository(jp_fetch: Any, jp_root_dir: Path) -> None:
    (jp_root_dir / "loose.ipynb").write_text("{}\n", encoding="utf-8")
    data = await get(jp_fetch, "runs", {"path": "loose.ipynb"})
    assert data["groups"] == [] and data["notebook"] == str((jp_root_dir / "loose.ipynb").resolve())
    bad = await get(jp_fetch, "runs", {"path": "loose.ipynb", "commit": "HEAD"}, 400)
    assert "not in a git repository" in bad["message"]


# --- metrics -----------------------------------------------------------------


async def test_metric_histories(jp_fetch: Any, store: Store, repo: Path) -> None:
    ids = store.runs[f"{TRAIN}@c2"]
    data = await get(
        jp_fetch, "runs/metrics", [("run_id", ids[0]), ("run_id", ids[1]), ("key", "loss")]
    )
    assert set(data["runs"]) == set(ids)
    assert data["runs"][ids[0]]["loss"]["steps"] == [0, 1, 2]
    assert data["runs"][ids[0]]["loss"]["values"] == pytest.approx([1, 1 / 2, 1 / 3])


@pytest.mark.parametrize("params", [[], [("run_id", "x'; drop table runs; --")]])
async def test_metric_histories_bad_input(jp_fetch: Any, repo: Path, params: Any) -> None:
    data = await get(jp_fetch, "runs/metrics", params, 400)
    assert data["reason"] == "invalid-request"


# --- the store down or absent ------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class TestUnreachable:
    @pytest.fixture
    def tracking_config(self) -> dict[str, Any]:
        uri = f"http://admin:hunter2@127.0.0.1:{_free_port()}"
        return {"tracking_uri": uri, "tracking_timeout": 1.0}

    async def test_503_while_the_rest_works(self, jp_fetch: Any, repo: Path) -> None:
        response = await jp_fetch(
            "jupyterlab-repro",
            "runs",
            params={"path": f"work/{TRAIN}"},
            raise_error=False,
            request_timeout=10,  # the answer must come within the tracking timeout
        )
        assert response.code == 503, response.body
        data = json.loads(response.body)
        assert data["reason"] == "tracking-unavailable"
        assert "127.0.0.1" in data["message"]
        assert "hunter2" not in response.body.decode() and "admin" not in data["message"]
        status = await jp_fetch(
            "jupyterlab-repro", "status", params={"path": "work"}, request_timeout=10
        )
        assert status.code == 200
        again = await jp_fetch(
            "jupyterlab-repro",
            "runs",
            "metrics",
            params={"run_id": "a" * 32},
            raise_error=False,
            request_timeout=10,
        )
        assert again.code == 503


class TestNoStoreYet:
    @pytest.fixture
    def tracking_config(self, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
        monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
        return {}  # the default: <root>/mlflow.db

    async def test_empty_and_not_created(
        self, jp_fetch: Any, jp_root_dir: Path, repo: Path
    ) -> None:
        data = await get(jp_fetch, "runs", {"path": f"work/{TRAIN}"})
        assert data["groups"] == [] and data["tracking"]["uri_kind"] == "sqlite"
        assert data["tracking"]["uri"].endswith("/mlflow.db") and data["tracking"]["ui_url"] is None
        assert not (jp_root_dir / "mlflow.db").exists()


# --- loading the extension ----------------------------------------------------


def test_loading_the_extension_does_not_import_mlflow(tmp_path: Path) -> None:
    """Loading returns before MLflow is imported; the import happens in the warm-up thread."""
    script = textwrap.dedent(
        """
        import importlib.abc, sys, threading, types
        from tornado.web import Application
        from traitlets.config import Config

        importers = []

        class Spy(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name == "mlflow":
                    importers.append(threading.current_thread().name)
                return None

        sys.meta_path.insert(0, Spy())
        import jupyterlab_repro

        app = types.SimpleNamespace(
            web_app=Application(base_url="/"),
            config=Config({"Repro": {"tracking_uri": "sqlite:///%(db)s"}}),
            contents_manager=types.SimpleNamespace(root_dir=%(root)r),
            root_dir=%(root)r,
            log=types.SimpleNamespace(info=lambda *a: None),
        )
        jupyterlab_repro._load_jupyter_server_extension(app)
        service = app.web_app.settings["jupyterlab_repro"]["tracking"]
        print(importers)  # nothing yet: loading returned before the import
        # a SQLite store warms up after the panel's first answer (read without MLflow)
        service.runs_for_notebook(None, "x.ipynb")
        for thread in threading.enumerate():
            if thread.name == "repro-mlflow-warm":
                thread.join(120)
        print(importers)
        """
    ) % {"db": (tmp_path / "mlflow.db").as_posix(), "root": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=180
    ).stdout
    # importing MLflow takes seconds: only the warm-up thread does it, after the first answer
    assert out.split() == ["[]", "['repro-mlflow-warm']"]


async def test_worker_pools_are_ready_before_the_first_request(jp_serverapp: Any) -> None:
    """The server makes its pools when it loads: the first request does not pay for them."""
    import asyncio

    settings = jp_serverapp.web_app.settings["jupyterlab_repro"]
    for _ in range(200):  # the callback runs once the event loop turns
        if len(settings.get("limiters", {})) == 4:
            break
        await asyncio.sleep(0.01)
    limiters = settings["limiters"]
    assert sorted(limiters) == ["polls", "reproduce", "tracking", "writes"]
    config = settings["config"]
    assert limiters["polls"].total_tokens == config.worker_threads
    assert limiters["writes"].total_tokens == config.write_threads
    assert limiters["tracking"].total_tokens == config.tracking_threads
    assert limiters["reproduce"].total_tokens == config.reproduce_threads


async def test_other_stores_in_the_notebooks_folder_are_named(jp_fetch: Any, repo: Path) -> None:
    """Where a kernel without a tracking URI logged: the panel can say so instead of "no runs"."""
    path = {"path": f"work/{TRAIN}"}
    assert (await get(jp_fetch, "runs", path))["other_stores"] == []
    folder = repo / "nb"
    (folder / "mlruns" / "0").mkdir(parents=True)  # a file store's experiment: a store
    (folder / "mlruns" / "0" / "meta.yaml").write_text("name: Default\n", encoding="utf-8")
    assert (await get(jp_fetch, "runs", path))["other_stores"] == ["work/nb/mlruns"]
    (folder / "mlflow.db").write_bytes(b"SQLite format 3\x00")
    data = await get(jp_fetch, "runs", path)
    assert data["other_stores"] == ["work/nb/mlflow.db", "work/nb/mlruns"]
    assert data["groups"]  # the runs of the store it reads are still there
