"""Runs side by side with the code that changed, and releases, against a real SQLite store."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from jupyterlab_repro.errors import InvalidRequest
from jupyterlab_repro.kernel.hidden_snapshots import snapshot_worktree
from jupyterlab_repro.runs.compare import compare_runs
from jupyterlab_repro.runs.downsample import MAX_POINTS, downsample_series, min_max_buckets
from jupyterlab_repro.runs.release import parse_release, release_run
from jupyterlab_repro.tracking.store import TrackingService

pytestmark = [
    pytest.mark.mlflow,
    pytest.mark.filterwarnings("ignore:.*noload.*:DeprecationWarning"),
]

GIT_ENV = {
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "Repro Tester",
    "GIT_AUTHOR_EMAIL": "tester@example.com",
    "GIT_COMMITTER_NAME": "Repro Tester",
    "GIT_COMMITTER_EMAIL": "tester@example.com",
}


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV}
    proc = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
    return proc.stdout.strip()


def notebook(*sources: str, output: str = "") -> str:
    cells = [
        {
            "cell_type": "code",
            "execution_count": 1,
            "id": f"c{i}",
            "metadata": {},
            "outputs": [{"name": "stdout", "output_type": "stream", "text": [output or f"{i}\n"]}],
            "source": [src],
        }
        for i, src in enumerate(sources)
    ]
    nb = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(nb, indent=1) + "\n"


@dataclass
class World:
    repo: Path
    uri: str
    commits: dict[str, str]
    runs: dict[str, str] = field(default_factory=dict)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    from mlflow.entities import Metric, Param
    from mlflow.tracking import MlflowClient

    base = tmp_path_factory.mktemp("compare")
    repo = base / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "--initial-branch=main")
    (repo / "train.ipynb").write_text(notebook("lr = 0.1", "fit(lr)", output="acc 0.9\n"))
    (repo / "train.py").write_text("EPOCHS = 3\n")
    (repo / "weights.bin").write_bytes(b"\x00\x01" * 10)
    git(repo, "add", "--all")
    git(repo, "commit", "-q", "-m", "feat: first")
    c1 = git(repo, "rev-parse", "HEAD")
    (repo / "train.ipynb").write_text(notebook("lr = 0.01", "fit(lr)", output="acc 0.95\n"))
    (repo / "train.py").write_text("EPOCHS = 5\n")
    (repo / "weights.bin").write_bytes(b"\x00\x02" * 10)
    (repo / "other.ipynb").write_text(notebook("print('other')"))
    git(repo, "add", "--all")
    git(repo, "commit", "-q", "-m", "exp: smaller lr")
    c2 = git(repo, "rev-parse", "HEAD")
    # an unsaved edit of c2's notebook, recorded as the kernel's plugin records it
    (repo / "train.ipynb").write_text(notebook("lr = 0.001", "fit(lr)"))
    snap = snapshot_worktree(repo, "train.ipynb").commit
    git(repo, "checkout", "-q", "--", "train.ipynb")
    world = World(
        repo=repo, uri=f"sqlite:///{base / 'mlflow.db'}", commits={"c1": c1, "c2": c2, "snap": snap}
    )
    client = MlflowClient(tracking_uri=world.uri)
    exp = client.create_experiment("compare")
    root = git(repo, "rev-list", "--max-parents=0", "HEAD")

    def run(label: str, lr: str, tags: dict[str, str], acc: list[float]) -> None:
        r = client.create_run(exp, run_name=f"run-{label}", tags=tags)
        metrics = [Metric("acc", a, 1_700_000_000_000 + s * 1000, s) for s, a in enumerate(acc)]
        metrics += [
            Metric("loss", 1 - a, 1_700_000_000_000 + s * 1000, s) for s, a in enumerate(acc)
        ]
        client.log_batch(
            r.info.run_id, metrics=metrics, params=[Param("lr", lr), Param("seed", "7")]
        )
        client.set_terminated(r.info.run_id)
        world.runs[label] = r.info.run_id

    common = {"repro.notebook": "train.ipynb", "repro.repo": root, "repro.env.python": "3.11.7"}
    run(
        "c1",
        "0.1",
        {**common, "mlflow.source.git.commit": c1, "repro.env.torch": "2.3"},
        [0.5, 0.9, 0.8],
    )
    run(
        "c2",
        "0.01",
        {**common, "mlflow.source.git.commit": c2, "repro.env.torch": "2.4"},
        [0.6, 0.95],
    )
    run(
        "snap",
        "0.001",
        {
            **common,
            "mlflow.source.git.commit": c2,
            "repro.snapshot": snap,
            "repro.git.dirty": "true",
            "repro.unsaved": "true",
            "repro.execution_order": "1,3,2",
            "repro.env.torch": "2.4",
        },
        [0.7],
    )
    run("script", "0.5", {}, [0.1, 0.2])  # logged from a script: no repro tags
    run(
        "other",
        "0.1",
        {**common, "repro.notebook": "other.ipynb", "mlflow.source.git.commit": c2},
        [0.3],
    )
    yield world


@pytest.fixture
def service(world: World) -> TrackingService:
    return TrackingService(world.uri, timeout=30.0)


def test_two_runs_of_two_commits(world: World, service: TrackingService) -> None:
    data = compare_runs(service, [world.runs["c1"], world.runs["c2"]], repo_root=world.repo)
    assert [r["run_name"] for r in data["runs"]] == ["run-c1", "run-c2"]
    assert data["baseline"] == world.runs["c1"]
    params = {p["key"]: p for p in data["params"]}
    assert params["lr"]["differs"] and params["lr"]["values"] == ["0.1", "0.01"]
    assert not params["seed"]["differs"]
    metrics = {m["key"]: m for m in data["metrics"]}
    acc = metrics["acc"]
    assert [c["latest"] for c in acc["values"]] == [0.8, 0.95] and acc["best"] == 1
    assert acc["values"][0]["max"] == 0.9 and acc["values"][0]["max_step"] == 1
    assert metrics["loss"]["direction"] == "min" and metrics["loss"]["best"] == 1
    env = {e["key"]: e["values"] for e in data["environment"]}
    assert env == {"repro.env.torch": ["2.3", "2.4"]}  # python is the same: not listed
    (code,) = data["code"]
    assert code["known"] and code["label"] == "train.ipynb"
    text = code["notebook_text"]
    assert "-lr = 0.1" in text and "+lr = 0.01" in text
    assert "acc 0.9" not in json.dumps(code)  # output-blind: no outputs anywhere
    changed = [c for c in code["notebook_diff"]["cells"] if c["source_changed"]]
    assert changed and all("lr = 0.1" in c["old_source"] for c in changed)
    assert all("lr = 0.01" in c["new_source"] for c in changed)  # both sides, for side by side
    kept = [c for c in code["notebook_diff"]["cells"] if not c["source_changed"]]
    assert all("old_source" not in c for c in kept)
    files = {f["path"]: f for f in code["files"]}
    assert set(files) == {"train.py", "weights.bin", "other.ipynb"}
    assert "+EPOCHS = 5" in files["train.py"]["diff"]
    assert files["weights.bin"]["binary"] and files["weights.bin"]["summary"] == "binary file"


def test_three_runs_and_a_chosen_baseline(world: World, service: TrackingService) -> None:
    ids = [world.runs["c1"], world.runs["c2"], world.runs["snap"]]
    data = compare_runs(service, ids, repo_root=world.repo, baseline=world.runs["c2"])
    assert [r["run_id"] for r in data["runs"]] == [ids[1], ids[0], ids[2]]
    assert [c["run_id"] for c in data["code"]] == [ids[0], ids[2]]
    params = {p["key"]: p["values"] for p in data["params"]}
    assert params["lr"] == ["0.01", "0.1", "0.001"]


def test_a_snapshot_run_with_unsaved_code(world: World, service: TrackingService) -> None:
    data = compare_runs(service, [world.runs["c2"], world.runs["snap"]], repo_root=world.repo)
    card = data["runs"][1]
    assert card["snapshot"] == world.commits["snap"] and card["code"] == world.commits["snap"]
    assert card["unsaved"] and card["out_of_order"]
    (code,) = data["code"]
    assert code["to_code"] == world.commits["snap"]
    assert "+lr = 0.001" in code["notebook_text"] and "-lr = 0.01" in code["notebook_text"]
    assert code["files"] == []  # only the notebook changed


def test_a_run_without_repro_tags_compares_params_and_metrics(
    world: World, service: TrackingService
) -> None:
    data = compare_runs(service, [world.runs["c1"], world.runs["script"]], repo_root=world.repo)
    (code,) = data["code"]
    assert not code["known"] and "unknown" in code["reason"]
    assert {p["key"] for p in data["params"]} == {"lr", "seed"}
    assert data["metrics"][0]["values"][1]["latest"] == 0.2


def test_runs_of_two_notebooks(world: World, service: TrackingService) -> None:
    data = compare_runs(service, [world.runs["c2"], world.runs["other"]], repo_root=world.repo)
    (code,) = data["code"]
    assert code["label"] == "train.ipynb → other.ipynb" and code["notebook"] is None
    assert "+print('other')" in code["notebook_text"]


def test_histories_for_charts(world: World, service: TrackingService) -> None:
    data = compare_runs(
        service, [world.runs["c1"], world.runs["c2"]], repo_root=world.repo, metrics=["acc"]
    )
    series = data["histories"]["acc"][world.runs["c1"]]
    assert series["steps"] == [0, 1, 2] and series["values"] == [0.5, 0.9, 0.8]
    assert series["seconds"] == [0.0, 1.0, 2.0] and series["points"] == 3


@pytest.mark.parametrize(
    ("ids", "match"),
    [
        ([], "2 to 10"),
        (["a" * 32], "2 to 10"),
        (["a" * 32] * 11, "2 to 10"),
        (["x!", "y"], "Not a run id"),
    ],
)
def test_bad_comparisons(service: TrackingService, ids: list[str], match: str) -> None:
    with pytest.raises(InvalidRequest, match=match):
        compare_runs(service, ids)


def test_unknown_runs_and_baselines(world: World, service: TrackingService) -> None:
    with pytest.raises(InvalidRequest, match="No run"):
        compare_runs(service, [world.runs["c1"], "f" * 32])
    with pytest.raises(InvalidRequest, match="baseline"):
        compare_runs(service, [world.runs["c1"], world.runs["c2"]], baseline=world.runs["snap"])


def test_downsampling_keeps_first_last_min_and_max() -> None:
    n = 10_000
    values: list[float | None] = [math.sin(i / 300) + (5 if i == 4321 else 0) for i in range(n)]
    values[7777] = -9.0
    values[100] = None
    series = {"steps": list(range(n)), "values": values, "timestamps": list(range(n))}
    small = downsample_series(series)
    assert len(small["values"]) <= MAX_POINTS + 2 and small["points"] == n
    assert small["steps"][0] == 0 and small["steps"][-1] == n - 1
    finite = [v for v in values if v is not None]
    assert max(v for v in small["values"] if v is not None) == max(finite)
    assert min(v for v in small["values"] if v is not None) == min(finite)
    assert 4321 in small["steps"] and 7777 in small["steps"]
    assert min_max_buckets([1.0, 2.0], 1000) == [0, 1]


# --- release ------------------------------------------------------------------------


def test_release_a_run(world: World, service: TrackingService) -> None:
    result = release_run(
        service, world.runs["c2"], "v1.0", repo_root=world.repo, message="first release"
    )
    assert result.commit == world.commits["c2"] and not result.snapshot
    assert git(world.repo, "cat-file", "-t", "v1.0") == "tag"
    assert git(world.repo, "rev-parse", "v1.0^{commit}") == world.commits["c2"]
    parsed = parse_release(git(world.repo, "tag", "-l", "--format=%(contents)", "v1.0"))
    fields = parsed["fields"]
    assert fields["run_id"] == world.runs["c2"] and fields["notebook"] == "train.ipynb"
    assert fields["commit"] == world.commits["c2"] and fields["metric.acc"] == "0.95"
    assert fields["param.lr"] == "0.01" and fields["env.torch"] == "2.4"
    assert parsed["text"] == "first release"
    assert parsed["subject"].startswith("Release v1.0: run run-c2")
    assert service.get_run(world.runs["c2"])["all_tags"]["repro.release"] == "v1.0"


def test_release_a_snapshot_run_with_a_model_card(world: World, service: TrackingService) -> None:
    result = release_run(
        service, world.runs["snap"], "v1.1-rc", repo_root=world.repo, with_model_card=True
    )
    assert result.snapshot and result.code == world.commits["snap"]
    assert git(world.repo, "rev-parse", "v1.1-rc^{commit}^") == world.commits["snap"]
    card = git(world.repo, "show", "v1.1-rc:MODEL_CARD.md")
    assert "# Model card: v1.1-rc" in card and "| acc | 0.7 |" in card and "## Limitations" in card
    assert "lr = 0.001" in git(world.repo, "show", "v1.1-rc:train.ipynb")
    assert not (world.repo / "MODEL_CARD.md").exists()  # the working copy is untouched
    assert git(world.repo, "symbolic-ref", "--short", "HEAD") == "main"


@pytest.mark.parametrize(
    ("name", "match"), [("v1.0", "already exists"), ("main", "shadow"), ("a..b", "Invalid")]
)
def test_release_names_that_clash_change_nothing(
    world: World, service: TrackingService, name: str, match: str
) -> None:
    if not git(world.repo, "tag", "-l", "v1.0"):
        release_run(service, world.runs["c2"], "v1.0", repo_root=world.repo)
    refs = git(world.repo, "for-each-ref")
    with pytest.raises(InvalidRequest, match=match):
        release_run(service, world.runs["c1"], name, repo_root=world.repo)
    assert git(world.repo, "for-each-ref") == refs


def test_two_releases_under_one_name_at_once_make_one_tag(
    world: World, service: TrackingService
) -> None:
    """A double click on Release: one tag, one run marked, a clear "already exists" for the other."""
    start = threading.Barrier(2)

    def release(key: str) -> object:
        start.wait()
        try:
            return release_run(service, world.runs[key], "v-race", repo_root=world.repo)
        except InvalidRequest as exc:
            return exc

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(release, ["c1", "c2"]))
    (won,) = [r for r in results if not isinstance(r, Exception)]
    (lost,) = [r for r in results if isinstance(r, Exception)]
    assert "already exists" in str(lost)
    assert git(world.repo, "rev-parse", "v-race^{commit}") == won.commit  # type: ignore[attr-defined]
    marked = [
        k
        for k in ("c1", "c2")
        if service.get_run(world.runs[k])["all_tags"].get("repro.release") == "v-race"
    ]
    assert len(marked) == 1


def test_a_run_without_code_cannot_be_released(world: World, service: TrackingService) -> None:
    with pytest.raises(InvalidRequest, match="code is unknown"):
        release_run(service, world.runs["script"], "v9", repo_root=world.repo)
    assert not git(world.repo, "tag", "-l", "v9")


# --- CLI ------------------------------------------------------------------------------


def cli(world: World, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jupyterlab_repro.cli", *args, "--tracking-uri", world.uri],
        cwd=world.repo,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **GIT_ENV},
    )


def test_cli_compare(world: World) -> None:
    proc = cli(world, "compare", world.runs["c1"], world.runs["c2"], "--metric", "acc")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "params that differ:" in out and "lr" in out and "0.01" in out
    assert "0.95*" in out  # the best latest acc
    assert "+lr = 0.01" in out and "+EPOCHS = 5" in out
    js = cli(world, "compare", world.runs["c1"], world.runs["c2"], "--json")
    assert json.loads(js.stdout)["params"][0]["key"] == "lr"
    bad = cli(world, "compare", world.runs["c1"])
    assert bad.returncode == 3 and "2 to 10" in bad.stderr


def test_cli_tag(world: World) -> None:
    proc = cli(world, "tag", world.runs["c1"], "v0.1", "--message", "baseline model", "--json")
    assert proc.returncode == 0, proc.stderr
    result: dict[str, Any] = json.loads(proc.stdout)
    assert result["tag"] == "v0.1" and result["commit"] == world.commits["c1"]
    again = cli(world, "tag", world.runs["c1"], "v0.1")
    assert again.returncode == 3 and "already exists" in again.stderr
