"""The runs panel's core (:mod:`jupyterlab_repro.tracking.store`) against a real SQLite store.

One store and one repository are built per module (MLflow's schema migration
takes seconds); the tests only read them, except those that build their own.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from jupyterlab_repro.deadline import Deadline
from jupyterlab_repro.errors import InvalidRequest, TrackingUnavailable
from jupyterlab_repro.tracking.queries import tag_equals
from jupyterlab_repro.tracking.store import TrackingService
from jupyterlab_repro.tracking.uri import default_tracking_uri, redact_uri, uri_kind

TRAIN = "nb/train.ipynb"
ODD = "odd dir/it's 实验 1.ipynb"  # space, single quote, unicode
BOTH = "q'\"x.ipynb"  # both quote characters: needs the LIKE fallback
DECOY = "q__x.ipynb"  # matches BOTH's LIKE pattern, must not be listed for it
OTHER = "other.ipynb"
# MLflow's SQL store uses an SQLAlchemy 2.1 deprecated loader (not ours to fix).
pytestmark = [
    pytest.mark.mlflow,
    pytest.mark.filterwarnings("ignore:.*noload.*:DeprecationWarning"),
]

GONE = "0123456789abcdef0123456789abcdef01234567"  # a snapshot git no longer has

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
    for var in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        env.pop(var, None)
    proc = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
    return proc.stdout.strip()


@dataclass
class Store:
    uri: str
    repo: Path
    commits: dict[str, str]  # c1, c2, c3, snap
    runs: dict[str, list[str]] = field(default_factory=dict)  # group label → run ids, newest first
    experiments: dict[str, str] = field(default_factory=dict)


def build_store(base: Path) -> Store:
    """A repository with three commits and a hidden snapshot, and runs in three experiments."""
    from mlflow.tracking import MlflowClient

    repo = base / "repo"
    (repo / "nb").mkdir(parents=True)
    _git(repo, "init", "--quiet", "--initial-branch=main")
    commits = {}
    for label, subject in (("c1", "feat: first"), ("c2", "exp: lr sweep"), ("c3", "fix: data")):
        (repo / "nb" / "train.ipynb").write_text(f"{{}} {label}\n", encoding="utf-8")
        _git(repo, "add", "--all")
        _git(repo, "commit", "--quiet", "-m", subject)
        commits[label] = _git(repo, "rev-parse", "HEAD")
    tree = _git(repo, "rev-parse", "HEAD^{tree}")
    snap = _git(repo, "commit-tree", tree, "-p", commits["c2"], "-m", f"repro snapshot of {TRAIN}")
    _git(repo, "update-ref", f"refs/repro/snapshots/{commits['c2']}/{tree}", snap)
    commits["snap"] = snap

    uri = "sqlite:///" + (base / "mlflow.db").as_posix()
    client = MlflowClient(uri)
    store = Store(uri=uri, repo=repo, commits=commits)
    store.experiments = {
        "Default": "0",
        "exp-a": client.create_experiment("exp-a"),
        "exp-b": client.create_experiment("exp-b"),
    }
    clock = [1_700_000_000_000]

    def run(
        notebook: str, group: str, experiment: str, *, n: int = 1, running: bool = False
    ) -> None:
        for _ in range(n):
            clock[0] += 1000
            tags = {
                "mlflow.source.type": "NOTEBOOK",
                "mlflow.source.name": notebook,
                "repro.notebook": notebook,
                "mlflow.user": "alice",
                "mlflow.source.git.branch": "main",
            }
            head, snapshot = {
                "c1": (commits["c1"], None),
                "c2": (commits["c2"], None),
                "c3": (commits["c3"], None),
                "snap": (commits["c2"], commits["snap"]),
                "gone": (commits["c3"], GONE),
                "none": (None, None),
            }[group]
            if head:
                tags["mlflow.source.git.commit"] = head
            tags["repro.git.dirty"] = "true" if snapshot else "false"
            if snapshot:
                tags["repro.snapshot"] = snapshot
            r = client.create_run(
                store.experiments[experiment], start_time=clock[0], tags=tags, run_name=None
            )
            if notebook == TRAIN:
                store.runs.setdefault(group, []).insert(0, r.info.run_id)
            if running:  # few writes: SQLite commits are slow on this disk
                continue
            from mlflow.entities import Metric, Param

            client.log_batch(
                r.info.run_id,
                metrics=[Metric("loss", 1.0 / (s + 1), clock[0] + s, s) for s in range(3)]
                + [Metric("acc", 0.5 + (clock[0] % 7) / 100, clock[0], 0)],
                params=[Param("lr", "0.1"), Param("group", group)],
            )
            client.set_terminated(r.info.run_id, end_time=clock[0] + 2500)

    run(TRAIN, "c1", "exp-a", n=3)
    run(TRAIN, "c2", "exp-a", n=2)
    run(TRAIN, "c2", "exp-b", n=2)
    run(TRAIN, "snap", "exp-b", n=2)
    run(TRAIN, "none", "Default")
    run(OTHER, "c3", "exp-a", n=3)  # another notebook: never listed for TRAIN
    run(ODD, "c3", "exp-b", n=2)
    run(BOTH, "c3", "exp-a")
    run(DECOY, "c3", "exp-a")
    run(TRAIN, "gone", "exp-a")
    run(
        TRAIN, "c3", "Default", n=98, running=True
    )  # TRAIN: 3+4+2+1+1+98 = 109 runs > one page of 100
    return store


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    return build_store(tmp_path_factory.mktemp("tracking"))


@pytest.fixture(scope="module")
def service(store: Store) -> Iterator[TrackingService]:
    yield TrackingService(store.uri, timeout=30.0, ui_url="http://mlflow.example/")


def all_pages(service: TrackingService, store: Store, **kwargs: Any) -> list[dict[str, Any]]:
    """Every page, groups merged by key the way the panel appends pages."""
    merged: dict[Any, dict[str, Any]] = {}
    token = None
    while True:
        page = service.runs_for_notebook(store.repo, TRAIN, page_token=token, **kwargs)
        for group in page["groups"]:
            if group["key"] in merged:
                merged[group["key"]]["runs"].extend(group["runs"])
            else:
                merged[group["key"]] = group
        token = page["next_page_token"]
        if not token:
            return list(merged.values())


# --- grouping, ordering, shape ---------------------------------------------


def test_groups_by_commit_newest_first(service: TrackingService, store: Store) -> None:
    page = service.runs_for_notebook(store.repo, TRAIN)
    assert page["tracking"] == {
        "uri_kind": "sqlite",
        "uri": store.uri,
        "ui_url": "http://mlflow.example",
    }
    assert page["notebook"] == TRAIN and page["commit"] is None
    c = store.commits
    # newest run first: 98 runs at c3, one of a gc'ed snapshot, one without a commit
    assert [g["key"] for g in page["groups"]] == [c["c3"], GONE, None]
    assert [len(g["runs"]) for g in page["groups"]] == [98, 1, 1]
    running = page["groups"][0]["runs"][0]
    assert (running["status"], running["end_time"], running["duration"]) == ("RUNNING", None, None)
    assert (running["params"], running["metrics"]) == ({}, {})
    starts = [r["start_time"] for g in page["groups"] for r in g["runs"]]
    assert starts == sorted(starts, reverse=True)
    assert page["next_page_token"]


def test_all_pages_hold_every_run_once(service: TrackingService, store: Store) -> None:
    groups = all_pages(service, store)
    c = store.commits
    assert [g["key"] for g in groups] == [c["c3"], GONE, None, c["snap"], c["c2"], c["c1"]]
    by_key = {g["key"]: g for g in groups}
    assert [r["run_id"] for r in by_key[c["c2"]]["runs"]] == store.runs["c2"]
    assert [r["run_id"] for r in by_key[c["snap"]]["runs"]] == store.runs["snap"]
    ids = [r["run_id"] for g in groups for r in g["runs"]]
    assert len(ids) == len(set(ids)) == 109


def test_group_facts(service: TrackingService, store: Store) -> None:
    c = store.commits
    groups = {g["key"]: g for g in all_pages(service, store)}
    c2 = groups[c["c2"]]
    assert (c2["commit"], c2["short_sha"], c2["subject"]) == (c["c2"], c["c2"][:7], "exp: lr sweep")
    assert (c2["snapshot"], c2["parent"], c2["known"], c2["branch"]) == (False, None, True, "main")
    assert c2["committed_at"] and c2["committed_at"][:4].isdigit()
    snap = groups[c["snap"]]
    assert snap["snapshot"] is True and snap["known"] is True
    assert snap["subject"] == f"repro snapshot of {TRAIN}"
    assert (snap["parent"], snap["parent_short_sha"]) == (c["c2"], c["c2"][:7])
    assert snap["parent_subject"] == "exp: lr sweep"
    gone = groups[GONE]  # a snapshot git no longer has: listed, without a subject
    assert (gone["snapshot"], gone["known"], gone["subject"]) == (True, False, None)
    assert gone["parent_subject"] == "fix: data"
    none = groups[None]  # a run without any commit tag
    assert (none["commit"], none["short_sha"], none["subject"], none["snapshot"]) == (
        None,
        None,
        None,
        False,
    )


def test_run_fields(service: TrackingService, store: Store) -> None:
    c = store.commits
    groups = {g["key"]: g for g in all_pages(service, store)}
    run = groups[c["snap"]]["runs"][0]
    assert run["run_id"] == store.runs["snap"][0]
    assert run["experiment_id"] == store.experiments["exp-b"]
    assert run["experiment_name"] == "exp-b"
    assert run["status"] == "FINISHED"
    assert run["end_time"] - run["start_time"] == 2500 and run["duration"] == 2.5
    assert run["params"] == {"lr": "0.1", "group": "snap"}
    assert set(run["metrics"]) == {"loss", "acc"}
    assert run["metrics"]["loss"] == pytest.approx(1 / 3)  # the latest value
    assert run["tags"] == {
        "repro.notebook": TRAIN,
        "repro.git.dirty": "true",
        "repro.snapshot": c["snap"],
    }
    assert run["dirty"] is True and run["user"] == "alice" and run["run_name"]
    assert run["url"] == (
        f"http://mlflow.example/#/experiments/{run['experiment_id']}/runs/{run['run_id']}"
    )
    json.dumps(run, allow_nan=False)  # plain JSON


def test_runs_span_all_experiments(service: TrackingService, store: Store) -> None:
    groups = all_pages(service, store)
    names = {r["experiment_name"] for g in groups for r in g["runs"]}
    assert names == {"Default", "exp-a", "exp-b"}


# --- pagination and filters ------------------------------------------------


def test_small_pages(service: TrackingService, store: Store) -> None:
    first = service.runs_for_notebook(store.repo, TRAIN, max_results=5)
    assert sum(len(g["runs"]) for g in first["groups"]) == 5
    second = service.runs_for_notebook(
        store.repo, TRAIN, max_results=5, page_token=first["next_page_token"]
    )
    ids1 = {r["run_id"] for g in first["groups"] for r in g["runs"]}
    ids2 = {r["run_id"] for g in second["groups"] for r in g["runs"]}
    assert len(ids2) == 5 and not ids1 & ids2
    assert len(all_pages(service, store, max_results=40)) == 6


def test_commit_filter(service: TrackingService, store: Store) -> None:
    c = store.commits
    page = service.runs_for_notebook(store.repo, TRAIN, commit="HEAD~1")  # c2
    assert page["commit"] == c["c2"]
    # the commit's runs, and runs of uncommitted changes on top of it
    assert [g["key"] for g in page["groups"]] == [c["snap"], c["c2"]]
    assert len(page["groups"][1]["runs"]) == 4
    short = service.runs_for_notebook(store.repo, TRAIN, commit=c["c1"][:8])
    assert [g["key"] for g in short["groups"]] == [c["c1"]]
    snap = service.runs_for_notebook(store.repo, TRAIN, commit=c["snap"])
    assert [g["key"] for g in snap["groups"]] == [c["snap"]]
    assert [r["run_id"] for r in snap["groups"][0]["runs"]] == store.runs["snap"]
    gone = service.runs_for_notebook(store.repo, TRAIN, commit=GONE)  # unknown to git
    assert gone["groups"] == []  # the sha filters runs by mlflow.source.git.commit


@pytest.mark.parametrize("rev", ["no-such-branch", "--all", "HEAD~99", "a\x00b", " "])
def test_bad_commit_is_rejected(service: TrackingService, store: Store, rev: str) -> None:
    if rev.strip():
        with pytest.raises(InvalidRequest):
            service.runs_for_notebook(store.repo, TRAIN, commit=rev)
    else:  # blank: no filter at all
        assert service.runs_for_notebook(store.repo, TRAIN, commit=rev)["commit"] is None


def test_commit_filter_needs_a_repository(service: TrackingService) -> None:
    with pytest.raises(InvalidRequest, match="not in a git repository"):
        service.runs_for_notebook(None, "/abs/x.ipynb", commit="HEAD")


def test_mlflow_filter_is_joined(service: TrackingService, store: Store) -> None:
    page = service.runs_for_notebook(store.repo, TRAIN, filter_text="params.group = 'c2'")
    assert [g["key"] for g in page["groups"]] == [store.commits["c2"]]
    none = service.runs_for_notebook(store.repo, TRAIN, filter_text="metrics.acc > 5")
    assert none["groups"] == [] and none["next_page_token"] is None


def test_bad_filter_is_invalid_request(service: TrackingService, store: Store) -> None:
    with pytest.raises(InvalidRequest, match="MLflow rejected"):
        service.runs_for_notebook(store.repo, TRAIN, filter_text="nonsense ~~ 3")
    # the store is still available afterwards
    assert service.runs_for_notebook(store.repo, TRAIN, max_results=1)["groups"]


@pytest.mark.parametrize("bad", [0, -1, 1001])
def test_page_size_bounds(service: TrackingService, store: Store, bad: int) -> None:
    with pytest.raises(InvalidRequest):
        service.runs_for_notebook(store.repo, TRAIN, max_results=bad)


# --- notebook names ----------------------------------------------------------


def test_name_with_space_quote_unicode(service: TrackingService, store: Store) -> None:
    page = service.runs_for_notebook(store.repo, ODD)
    runs = [r for g in page["groups"] for r in g["runs"]]
    assert len(runs) == 2 and {r["tags"]["repro.notebook"] for r in runs} == {ODD}
    assert page["groups"][0]["subject"] == "fix: data"


def test_name_with_both_quotes(service: TrackingService, store: Store) -> None:
    runs = [r for g in service.runs_for_notebook(store.repo, BOTH)["groups"] for r in g["runs"]]
    assert [r["tags"]["repro.notebook"] for r in runs] == [BOTH]  # the decoy is left out
    decoy = service.runs_for_notebook(store.repo, DECOY)["groups"]
    assert [r["tags"]["repro.notebook"] for g in decoy for r in g["runs"]] == [DECOY]


def test_other_notebooks_are_excluded(service: TrackingService, store: Store) -> None:
    notebooks = {r["tags"]["repro.notebook"] for g in all_pages(service, store) for r in g["runs"]}
    assert notebooks == {TRAIN}
    other = service.runs_for_notebook(store.repo, OTHER)["groups"]
    assert sum(len(g["runs"]) for g in other) == 3


def test_same_notebook_path_in_another_repository_is_excluded(tmp_path: Path) -> None:
    from mlflow.tracking import MlflowClient

    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "--quiet", "--initial-branch=main")
    (repo / "train.ipynb").write_text("{}\n", encoding="utf-8")
    _git(repo, "add", "--all")
    _git(repo, "commit", "--quiet", "-m", "feat: first")
    root = _git(repo, "rev-parse", "HEAD")
    uri = "sqlite:///" + (tmp_path / "mlflow.db").as_posix()
    client = MlflowClient(uri)
    ids = {}
    for label, repo_tag in (("ours", root), ("older", None), ("theirs", "f" * 40)):
        tags = {"repro.notebook": "train.ipynb", "mlflow.source.git.commit": root}
        if repo_tag:
            tags["repro.repo"] = repo_tag
        ids[label] = client.create_run("0", tags=tags).info.run_id
    page = TrackingService(uri, timeout=30.0).runs_for_notebook(repo, "train.ipynb")
    listed = {r["run_id"] for g in page["groups"] for r in g["runs"]}
    # Another repository's train.ipynb logging to the same store is not ours;
    # runs from before the tag existed still are.
    assert listed == {ids["ours"], ids["older"]}


def test_notebook_without_runs(service: TrackingService, store: Store) -> None:
    page = service.runs_for_notebook(store.repo, "nb/never-run.ipynb")
    assert page["groups"] == [] and page["next_page_token"] is None


def test_tag_equals_quoting() -> None:
    assert tag_equals("repro.notebook", "a b.ipynb") == (
        "tags.`repro.notebook` = 'a b.ipynb'",
        False,
    )
    assert tag_equals("repro.notebook", "it's") == ('tags.`repro.notebook` = "it\'s"', False)
    assert tag_equals("k", "a'\"%_\\b") == ("tags.`k` LIKE 'a_____b'", True)
    with pytest.raises(InvalidRequest):
        tag_equals("a`b", "x")


# --- metric histories -------------------------------------------------------


def test_metric_histories(service: TrackingService, store: Store) -> None:
    ids = store.runs["c2"][:2]
    data = service.metric_histories(ids, ["loss"])
    assert set(data["runs"]) == set(ids)
    for run_id in ids:
        loss = data["runs"][run_id]["loss"]
        assert loss["steps"] == [0, 1, 2]
        assert loss["values"] == pytest.approx([1.0, 0.5, 1 / 3])
        assert len(loss["timestamps"]) == 3
        assert set(data["runs"][run_id]) == {"loss"}
    every = service.metric_histories(ids[:1])
    assert set(every["runs"][ids[0]]) == {"loss", "acc"}


def test_metric_histories_unknown_run_is_empty(service: TrackingService) -> None:
    assert service.metric_histories(["f" * 32], ["loss"])["runs"] == {"f" * 32: {}}


@pytest.mark.parametrize(
    ("run_ids", "keys"),
    [([], ["loss"]), (["x' OR 1=1 --"], []), ([f"r{i}" for i in range(51)], [])],
)
def test_metric_histories_bad_input(
    service: TrackingService, run_ids: list[str], keys: list[str]
) -> None:
    with pytest.raises(InvalidRequest):
        service.metric_histories(run_ids, keys)


def test_metric_histories_through_the_client_api(store: Store) -> None:
    """A non-SQL store (e.g. a tracking server) goes through the client, in parallel."""
    from jupyterlab_repro.tracking import queries

    service = TrackingService(store.uri, timeout=30.0)
    ids = store.runs["c1"]
    direct = service.metric_histories(ids, ["loss", "acc"])
    client = service.mlflow.client()
    rows = queries.client_metric_rows(client, ids, ["loss", "acc"])
    assert {(r[0], r[1]) for r in rows} == {(i, k) for i in ids for k in ("loss", "acc")}
    for run_id, key, step, value, _ts in rows:
        i = direct["runs"][run_id][key]["steps"].index(step)
        assert direct["runs"][run_id][key]["values"][i] == pytest.approx(value)
    every = queries.client_metric_rows(client, ids[:1], [])
    assert {r[1] for r in every} == {"loss", "acc"}


def test_sqlite_metric_rows_are_mlflows_rows(tmp_path: Path) -> None:
    """The sqlite3 read of histories gives the rows MLflow's SQL store gives, NaN included."""
    from mlflow.entities import Metric
    from mlflow.tracking import MlflowClient

    from jupyterlab_repro.tracking import queries
    from jupyterlab_repro.tracking.direct_store import SqliteReader

    uri = "sqlite:///" + (tmp_path / "mlflow.db").as_posix()
    client = MlflowClient(uri)
    ids = []
    for n in range(3):
        run_id = client.create_run("0").info.run_id
        points = [Metric("loss", 1.0 / (s + 1), 1000 + s, s) for s in range(5)]
        points += [Metric("loss", 9.0, 999, 2)]  # the same step twice: ordered by time
        points += [Metric("acc", v, 2000 + i, i) for i, v in enumerate([0.5, math.nan, math.inf])]
        client.log_batch(run_id, metrics=points)
        if n < 2:
            ids.append(run_id)
    store = client._tracking_client.store
    for keys in (["loss"], ["loss", "acc"], []):
        ours = SqliteReader(str(tmp_path / "mlflow.db")).metric_rows(ids, keys, Deadline(30, "t"))
        theirs = queries.sql_metric_rows(client, store, ids, keys)
        assert [r[:3] for r in ours] == [r[:3] for r in theirs]
        assert [r[4] for r in ours] == [r[4] for r in theirs]
        for a, b in zip(ours, theirs, strict=True):
            assert a[3] == b[3] or (math.isnan(a[3]) and math.isnan(b[3]))
        assert {r[0] for r in ours} == set(ids)  # the third run is not asked for
    service = TrackingService(uri, timeout=30.0)
    acc = service.metric_histories(ids, ["acc"])["runs"][ids[0]]["acc"]
    # NaN is null in JSON; MLflow itself stores infinity as the largest float
    assert acc["values"] == [0.5, None, sys.float_info.max]
    loss = service.metric_histories(ids, ["loss"])["runs"][ids[0]]["loss"]
    assert loss["steps"] == [0, 1, 2, 2, 3, 4]
    assert loss["values"][2:4] == [9.0, pytest.approx(1 / 3)]  # step 2 at t=999 first


def test_a_run_in_a_new_experiment_is_in_the_next_query(tmp_path: Path) -> None:
    """``mlflow.set_experiment("new")`` then a run: the panel's next read lists it."""
    from mlflow.tracking import MlflowClient

    uri = "sqlite:///" + (tmp_path / "mlflow.db").as_posix()
    client = MlflowClient(uri)
    tags = {"repro.notebook": "train.ipynb"}
    first = client.create_run("0", tags=tags).info.run_id
    service = TrackingService(uri, timeout=30.0)
    for ready in (False, True):  # the direct reader first, then MLflow's client
        if ready:
            service.warm()
        listed = service.runs_for_notebook(None, "train.ipynb")
        ids = [r["run_id"] for g in listed["groups"] for r in g["runs"]]
        assert first in ids
        experiment = client.create_experiment(f"new-{ready}")
        new = client.create_run(experiment, tags=tags).info.run_id
        listed = service.runs_for_notebook(None, "train.ipynb")  # well within any cache age
        ids = [r["run_id"] for g in listed["groups"] for r in g["runs"]]
        assert new in ids, "the run of the experiment created a moment ago is missing"
        first = new


# --- configuration, availability --------------------------------------------


def test_missing_sqlite_store_is_not_created(tmp_path: Path) -> None:
    uri = default_tracking_uri(tmp_path)
    assert uri == "sqlite:///" + (tmp_path / "mlflow.db").as_posix() or "MLFLOW_TRACKING_URI" in (
        os.environ
    )
    service = TrackingService("sqlite:///" + (tmp_path / "mlflow.db").as_posix())
    service.warm()
    page = service.runs_for_notebook(tmp_path, "x.ipynb")
    assert page["groups"] == [] and page["tracking"]["uri_kind"] == "sqlite"
    assert service.metric_histories(["a" * 32])["runs"] == {"a" * 32: {}}
    assert not (tmp_path / "mlflow.db").exists()
    (tmp_path / "mlflow.db").touch()  # an empty file is no store either: left empty
    assert service.runs_for_notebook(tmp_path, "x.ipynb")["groups"] == []
    assert (tmp_path / "mlflow.db").stat().st_size == 0


def test_missing_file_store_is_not_created(tmp_path: Path) -> None:
    for uri in (str(tmp_path / "mlruns"), (tmp_path / "mlruns").as_uri()):
        service = TrackingService(uri)
        assert service.runs_for_notebook(tmp_path, "x.ipynb")["tracking"]["uri_kind"] == "file"
        assert not (tmp_path / "mlruns").exists()


def test_default_uri_prefers_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://tracker:5000")
    assert default_tracking_uri(tmp_path) == "http://tracker:5000"
    monkeypatch.delenv("MLFLOW_TRACKING_URI")
    assert default_tracking_uri(tmp_path) == f"sqlite:///{tmp_path.resolve().as_posix()}/mlflow.db"


@pytest.mark.parametrize(
    ("uri", "kind", "shown"),
    [
        ("sqlite:////data/mlflow.db", "sqlite", "sqlite:////data/mlflow.db"),
        ("https://bob:s3cret@mlflow.example/x?token=abc", "http", "https://mlflow.example/x"),
        (
            "postgresql+psycopg2://u:pw@db:5432/mlflow",
            "postgresql",
            "postgresql+psycopg2://db:5432/mlflow",
        ),
        ("/home/u/mlruns", "file", "/home/u/mlruns"),
        ("file:///home/u/mlruns", "file", "file:///home/u/mlruns"),
        ("databricks", "databricks", "databricks"),
        ("databricks://profile", "databricks", "databricks://profile"),
    ],
)
def test_uri_kind_and_redaction(uri: str, kind: str, shown: str) -> None:
    assert uri_kind(uri) == kind
    assert redact_uri(uri) == shown
    assert TrackingService(uri).describe() == {"uri_kind": kind, "uri": shown, "ui_url": None}


def test_unreachable_server_is_reported_quickly(free_port: int) -> None:
    service = TrackingService(
        f"http://user:pw@127.0.0.1:{free_port}", timeout=1.0, startup_timeout=60.0
    )
    with pytest.raises(TrackingUnavailable) as info:
        service.runs_for_notebook(None, "x.ipynb")
    message = str(info.value)
    assert "127.0.0.1" in message and "pw" not in message and "user" not in message
    # the breaker answers at once, with the same message, while it is open
    with pytest.raises(TrackingUnavailable, match="127.0.0.1"):
        service.metric_histories(["a" * 32])


def test_corrupt_store_is_unavailable(tmp_path: Path) -> None:
    db = tmp_path / "mlflow.db"
    db.write_bytes(b"this is not a database" * 100)
    service = TrackingService("sqlite:///" + db.as_posix(), timeout=30.0)
    with pytest.raises(TrackingUnavailable, match="unavailable"):
        service.runs_for_notebook(tmp_path, "x.ipynb")
    assert db.read_bytes() == b"this is not a database" * 100


@pytest.fixture
def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_importing_the_server_glue_does_not_import_mlflow() -> None:
    code = (
        "import sys, jupyterlab_repro, jupyterlab_repro.server.extension, jupyterlab_repro.server.runs,"
        " jupyterlab_repro.tracking.store, jupyterlab_repro.cli\n"
        "print(sorted(m for m in sys.modules if m == 'mlflow' or m.startswith('mlflow.')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


# --- the CLI -------------------------------------------------------------------


def run_cli(argv: list[str]) -> int:
    import argparse

    from jupyterlab_repro.cli.runs import add_parser

    parser = argparse.ArgumentParser(prog="jupyter repro")
    add_parser(parser.add_subparsers())
    args = parser.parse_args(argv)
    return args.func(args)


def test_cli_table(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    nb = str(store.repo / TRAIN)
    assert run_cli(["runs", nb, "--tracking-uri", store.uri, "--commit", "HEAD~1"]) == 0
    out = capsys.readouterr().out
    c = store.commits
    assert f"runs of {TRAIN} in {store.uri}" in out
    assert (
        f"{c['snap'][:7]}  repro snapshot of {TRAIN}  [uncommitted changes on {c['c2'][:7]}]" in out
    )
    assert f"{c['c2'][:7]}  exp: lr sweep" in out
    assert out.index(c["snap"][:7]) < out.index(f"{c['c2'][:7]}  exp: lr sweep")
    for run_id in store.runs["c2"] + store.runs["snap"]:
        assert run_id[:8] in out
    assert "loss=0.3333" in out and "FINISHED" in out and "2.5s" in out


def test_cli_json_and_limit(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    nb = str(store.repo / TRAIN)
    assert run_cli(["runs", nb, "--tracking-uri", store.uri, "--json", "--limit", "105"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert sum(len(g["runs"]) for g in data["groups"]) == 105
    assert data["next_page_token"]  # 109 in all
    assert [g["key"] for g in data["groups"]][:3] == [store.commits["c3"], GONE, None]


def test_cli_no_runs_and_errors(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nb = str(store.repo / "nb" / "never.ipynb")
    assert run_cli(["runs", nb, "--tracking-uri", store.uri]) == 0
    assert capsys.readouterr().out.rstrip().endswith("no runs")
    with pytest.raises(InvalidRequest):
        run_cli(["runs", str(store.repo / "nb"), "--tracking-uri", store.uri])
    with pytest.raises(InvalidRequest):
        run_cli(["runs", nb, "--tracking-uri", store.uri, "--commit", "nope"])
    with pytest.raises(Exception, match="No such directory"):
        run_cli(["runs", str(tmp_path / "no" / "x.ipynb"), "--tracking-uri", store.uri])


# --- the direct reader (the first queries, while MLflow loads) ------------------------


def mlflow_only(uri: str) -> TrackingService:
    """A service that asks MLflow's client for everything: the reference answers."""
    service = TrackingService(uri, timeout=30.0)
    service._direct = None  # a SQLite store is otherwise always read with sqlite3
    service.mlflow.client()
    return service


@pytest.mark.parametrize(
    ("notebook", "commit", "max_results"),
    [
        (TRAIN, None, 100),
        (TRAIN, None, 7),
        (TRAIN, "c2", 100),
        (TRAIN, "snap", 100),
        (ODD, None, 100),
        (BOTH, None, 100),
        (DECOY, None, 100),
        ("never-ran.ipynb", None, 100),
    ],
)
def test_the_direct_reader_answers_what_mlflow_answers(
    store: Store, notebook: str, commit: str | None, max_results: int
) -> None:
    """Page for page, field for field: the SQLite reader and MLflow's client agree."""
    direct = TrackingService(store.uri, timeout=30.0)
    client = mlflow_only(store.uri)
    assert not direct.mlflow.ready and client.mlflow.ready
    rev = store.commits[commit] if commit else None
    tokens: list[str | None] = [None]
    pages = 0
    while tokens[-1] is not None or pages == 0:
        kwargs = {"commit": rev, "max_results": max_results, "page_token": tokens[-1]}
        mine = direct.runs_for_notebook(store.repo, notebook, **kwargs)
        theirs = client.runs_for_notebook(store.repo, notebook, **kwargs)
        assert mine == theirs
        assert not direct.mlflow.ready  # still no MLflow client behind the direct pages
        tokens.append(theirs["next_page_token"])
        pages += 1
    assert pages >= (3 if max_results == 7 and notebook == TRAIN and not commit else 1)


def test_direct_pages_continue_with_mlflow(store: Store) -> None:
    """A page token from the direct reader is MLflow's: the next page may come from either."""
    direct = TrackingService(store.uri, timeout=30.0)
    first = direct.runs_for_notebook(store.repo, TRAIN, max_results=5)
    client = mlflow_only(store.uri)
    second = client.runs_for_notebook(
        store.repo, TRAIN, max_results=5, page_token=first["next_page_token"]
    )
    reference = [
        r["run_id"]
        for page in (client.runs_for_notebook(store.repo, TRAIN, max_results=10),)
        for g in page["groups"]
        for r in g["runs"]
    ]
    ids = [r["run_id"] for page in (first, second) for g in page["groups"] for r in g["runs"]]
    assert ids == reference


def test_a_user_filter_goes_to_mlflow(store: Store) -> None:
    service = TrackingService(store.uri, timeout=30.0)
    page = service.runs_for_notebook(store.repo, TRAIN, filter_text="params.group = 'c1'")
    assert service.mlflow.ready
    assert [len(g["runs"]) for g in page["groups"]] == [3]


def test_the_direct_reader_imports_no_mlflow(store: Store) -> None:
    code = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from jupyterlab_repro.tracking.store import TrackingService\n"
        f"page = TrackingService({store.uri!r}).runs_for_notebook(Path({str(store.repo)!r}), "
        f"{TRAIN!r}, max_results=3)\n"
        "print(json.dumps([len(page['groups']), 'mlflow' in sys.modules]))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    groups, imported = json.loads(proc.stdout.strip().splitlines()[-1])
    assert groups >= 1 and imported is False


AWKWARD_TAGS = {
    "quotes": 'it\'s "quoted"',
    "lines": "line\nbreak\ttab\r\n",
    "unicode": "实验 🚀 é",
    "backslash": "C:\\path\\to",
    "json": '{"json": [1, 2], "s": "x"}',
    "empty": "",
    "control": "a\x01b\x1fc",
}


def _awkward_store(base: Path) -> tuple[str, list[str]]:
    """Runs whose tags, params, names and metrics are what people really log."""
    from mlflow.entities import Metric, Param
    from mlflow.tracking import MlflowClient

    uri = "sqlite:///" + (base / "mlflow.db").as_posix()
    client = MlflowClient(uri)
    ids = []
    values = [0.1 + 0.2, 1e-300, -2.5e300, math.nan, math.inf, -math.inf, -0.0, 123456789.12345679]
    for n, name in enumerate(["実験 #1", None, "a'b\"c", "same-start", "same-start-too", ""]):
        start = 1_700_000_000_000 + (n if n < 4 else 3) * 1000  # two runs start at once
        tags = {"repro.notebook": "train.ipynb", **{f"k.{k}": v for k, v in AWKWARD_TAGS.items()}}
        run = client.create_run("0", start_time=start, tags=tags, run_name=name)
        client.log_batch(
            run.info.run_id,
            metrics=[Metric(f"m{i}", v, start, 0) for i, v in enumerate(values)],
            params=[Param("long", "x" * 500), Param("unicode", "λ=0.1"), Param("n", str(n))],
        )
        ids.append(run.info.run_id)
    no_start = client.create_run("0", tags={"repro.notebook": "train.ipynb"})
    ids.append(no_start.info.run_id)
    return uri, ids


@pytest.mark.parametrize("json_functions", [True, False])
def test_awkward_values_read_directly_are_mlflows(tmp_path: Path, json_functions: bool) -> None:
    """Quotes, newlines, control characters, unicode, empty values, NaN and infinities,
    runs starting at the same millisecond: the sqlite3 page (one JSON row, or one row
    per value on an SQLite without JSON functions) is MLflow's, field for field."""
    from jupyterlab_repro.tracking.direct_store import SqliteReader

    uri, ids = _awkward_store(tmp_path)
    direct = TrackingService(uri, timeout=30.0)
    assert isinstance(direct._direct, SqliteReader)
    if not json_functions:
        direct._direct._json = False  # the branch an SQLite built without JSON takes
    client = mlflow_only(uri)
    for size in (100, 2, 1):
        token: str | None = None
        while True:
            mine = direct.runs_for_notebook(None, "train.ipynb", max_results=size, page_token=token)
            theirs = client.runs_for_notebook(
                None, "train.ipynb", max_results=size, page_token=token
            )
            if theirs["next_page_token"] and not mine["next_page_token"]:
                # MLflow before 3 offers a last, empty page; the reader (like MLflow 3) does not
                last = client.runs_for_notebook(
                    None, "train.ipynb", max_results=size, page_token=theirs["next_page_token"]
                )
                assert last["groups"] == []
                theirs["next_page_token"] = None
            assert json.dumps(mine, sort_keys=True) == json.dumps(theirs, sort_keys=True)
            token = theirs["next_page_token"]
            if token is None:
                break
    assert not direct.mlflow.ready
    assert direct._direct._json is json_functions
    page = direct.runs_for_notebook(None, "train.ipynb")
    listed = [r for g in page["groups"] for r in g["runs"]]
    assert {r["run_id"] for r in listed} == set(ids)
    (run,) = (r for r in listed if r["run_name"] == "実験 #1")
    assert run["params"]["long"] == "x" * 500 and run["params"]["unicode"] == "λ=0.1"


def test_a_sqlite_read_stops_at_its_deadline(tmp_path: Path) -> None:
    """A statement still running when the request's deadline passes is interrupted."""
    from jupyterlab_repro.tracking.direct_store import SqliteReader

    db = tmp_path / "mlflow.db"
    sqlite3_connect = __import__("sqlite3").connect
    sqlite3_connect(db).execute("CREATE TABLE t (x)").connection.commit()
    reader = SqliteReader(str(db))
    endless = (
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 100000000) "
        "SELECT count(*) FROM c"
    )
    with pytest.raises(TrackingUnavailable, match="did not answer within"):
        reader._query(Deadline(0.05, "the runs query"), endless)
    assert reader._query(Deadline(30, "t"), "SELECT count(*) FROM t") == [(0,)]


def test_a_sqlite_store_warms_up_after_the_first_answer(store: Store) -> None:
    """MLflow's import waits for the panel's first answer (at most ``wait`` seconds)."""
    import time

    service = TrackingService(store.uri, timeout=30.0)
    thread = service.warm_in_background(wait=60)
    time.sleep(0.5)
    assert thread.is_alive() and not service.mlflow.ready  # still waiting: no import beside it
    assert service.runs_for_notebook(store.repo, TRAIN, max_results=5)["groups"]
    thread.join(120)
    assert not thread.is_alive() and service.mlflow.ready

    nobody = TrackingService(store.uri, timeout=30.0)
    thread = nobody.warm_in_background(wait=0.2)  # no panel ever asks: it warms up anyway
    thread.join(120)
    assert not thread.is_alive() and nobody.mlflow.ready


def test_loading_mlflow_does_not_eat_the_stores_budget(store: Store) -> None:
    """A fresh process (every CLI command) loads MLflow before it asks the store anything.

    On a busy machine that takes longer than the store's whole budget; the
    budget starts once MLflow is loaded (CI saw ``restore`` fail with "did not
    answer within 10 s" while the SQLite store answered in milliseconds).
    """
    run_id = store.runs["c1"][0]
    script = (
        "import sys, time\n"
        "from jupyterlab_repro.tracking.store import TrackingService\n"
        "service = TrackingService(sys.argv[1], timeout=0.25)\n"
        "started = time.perf_counter()\n"
        "run = service.get_run(sys.argv[2])\n"
        "print(run['run_id'], time.perf_counter() - started)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script, store.uri, run_id],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    got, seconds = proc.stdout.split()
    assert got == run_id
    # The premise: loading MLflow alone took longer than the 0.25 s budget.
    assert float(seconds) > 0.25
