"""Run code across clones: two clones of one bare remote, one tracking store.

Clone A runs a notebook with uncommitted changes (a hidden snapshot run) and
pushes its run code; clone B sees the run without its code, fetches it, opens
the notebook as it was, compares it with a run of its own and restores it as
a branch. Prune deletes only the snapshots no run, branch, tag or release needs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from mlflow.tracking import MlflowClient

from jupyterlab_repro.errors import InvalidRequest
from jupyterlab_repro.git.repository import repository_id
from jupyterlab_repro.git.runner import Git
from jupyterlab_repro.git.share import local_snapshots, push_snapshots, remote_snapshots
from jupyterlab_repro.kernel.hidden_snapshots import snapshot_worktree
from jupyterlab_repro.notebook.clean import clean_text
from jupyterlab_repro.runs.compare import compare_runs
from jupyterlab_repro.runs.restore import notebook_at, restore_branch
from jupyterlab_repro.runs.share import fetch_run_code, prune_snapshots, share_run_code
from jupyterlab_repro.tracking.store import TrackingService

pytestmark = pytest.mark.mlflow

NB = "train.ipynb"


def git(cwd: Path, *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return proc.stdout.strip()


def notebook(lr: str, output: str = "") -> str:
    cell: dict[str, Any] = {
        "cell_type": "code",
        "execution_count": 1 if output else None,
        "id": "c1",
        "metadata": {},
        "outputs": [{"name": "stdout", "output_type": "stream", "text": [output]}]
        if output
        else [],
        "source": [f"lr = {lr}\n", "print(lr)"],
    }
    nb = {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(nb, indent=1) + "\n"


@dataclass
class Team:
    remote: Path
    a: Path
    b: Path
    uri: str
    client: MlflowClient
    service: TrackingService

    def run(self, clone: Path, *, name: str, snapshot: bool, lr: str = "0.1") -> str:
        """An MLflow run tagged as the kernel plugin tags one started in ``clone``."""
        head = git(clone, "rev-parse", "HEAD")
        tags = {
            "repro.notebook": NB,
            "mlflow.source.git.commit": head,
            "repro.repo": repository_id(clone) or "",
            "repro.git.dirty": "true" if snapshot else "false",
        }
        if snapshot:
            tags["repro.snapshot"] = snapshot_worktree(clone, NB).commit
        run = self.client.create_run("0", run_name=name, tags=tags)
        self.client.log_param(run.info.run_id, "lr", lr)
        self.client.log_metric(run.info.run_id, "acc", float(lr))
        self.client.set_terminated(run.info.run_id)
        return str(run.info.run_id)


@pytest.fixture
def team(tmp_path: Path) -> Team:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "--quiet", "--bare", "--initial-branch=main", str(remote))
    a = tmp_path / "a"
    a.mkdir()
    git(a, "init", "--quiet", "--initial-branch=main")
    (a / NB).write_text(clean_text(notebook("0.1"))[0], encoding="utf-8")
    git(a, "add", NB)
    git(a, "commit", "--quiet", "-m", "feat: train")
    git(a, "remote", "add", "origin", str(remote))
    git(a, "push", "--quiet", "origin", "main")
    b = tmp_path / "b"
    git(tmp_path, "clone", "--quiet", str(remote), str(b))
    uri = "sqlite:///" + (tmp_path / "mlflow.db").as_posix()
    client = MlflowClient(uri)
    return Team(remote, a, b, uri, client, TrackingService(uri, timeout=30.0))


def groups_of(team: Team, clone: Path) -> dict[str, dict[str, Any]]:
    data = team.service.runs_for_notebook(clone, NB)
    return {g["commit"]: g for g in data["groups"]}


def test_a_teammate_gets_the_code_of_a_snapshot_run(team: Team) -> None:
    # Clone A runs with an uncommitted edit: the code lives on a hidden ref, in A only.
    (team.a / NB).write_text(notebook("0.01", output="0.01\n"), encoding="utf-8")
    theirs = team.run(team.a, name="a-edit", snapshot=True, lr="0.01")
    snapshot = team.client.get_run(theirs).data.tags["repro.snapshot"]
    ours = team.run(team.b, name="b-base", snapshot=False, lr="0.1")

    group = groups_of(team, team.b)[snapshot]
    assert group["snapshot"] and not group["known"]  # listed, "code not here"
    with pytest.raises(InvalidRequest):
        notebook_at(team.b / NB, snapshot)

    shared = share_run_code(team.a, service=team.service)
    assert shared["remote"] == "origin" and len(shared["transferred"]) == 1
    assert shared["unpublished_parents"] == [] and shared["unpublished_commits"] == []
    assert snapshot in remote_snapshots(Git(team.a), "origin").values()
    again = share_run_code(team.a, service=team.service)  # nothing new: nothing pushed
    assert again["transferred"] == {} and len(again["already"]) == 1

    fetched = fetch_run_code(team.b, team.service, [theirs, ours])
    assert [(r.run_id, r.here) for r in fetched.runs] == [(theirs, True), (ours, True)]
    assert groups_of(team, team.b)[snapshot]["known"]

    version = notebook_at(team.b / NB, snapshot)
    assert version.snapshot and b"lr = 0.01" in version.content
    assert json.loads(version.content)["cells"][0]["outputs"] == []  # committed cleaned

    compared = compare_runs(team.service, [ours, theirs], repo_root=team.b)
    (code,) = compared["code"]
    assert code["known"], code
    assert "-lr = 0.1" in code["notebook_text"] and "+lr = 0.01" in code["notebook_text"]

    restored = restore_branch(team.b / NB, snapshot, branch="exp/a-edit", run_id=theirs)
    assert git(team.b, "rev-parse", "exp/a-edit") == restored.commit
    assert git(team.b, "rev-parse", "exp/a-edit^{tree}") == git(
        team.b, "rev-parse", f"{snapshot}^{{tree}}"
    )
    assert b"lr = 0.01" in (team.b / NB).read_bytes()


def test_the_same_code_snapshotted_in_two_clones_is_never_overwritten(team: Team) -> None:
    """Same parent, same tree, different commits: the second goes under a suffixed name."""
    edit = notebook("0.5")
    for clone in (team.a, team.b):
        (clone / NB).write_text(edit, encoding="utf-8")
        time.sleep(1.1)  # a different committer time: a different commit of the same code
        team.run(clone, name=clone.name, snapshot=True, lr="0.5")
    (sa,), (sb,) = local_snapshots(Git(team.a)), local_snapshots(Git(team.b))
    assert sa.ref == sb.ref and sa.commit != sb.commit

    push_snapshots(Git(team.a))
    pushed = push_snapshots(Git(team.b))
    assert pushed.transferred == {sb.ref: f"{sb.ref}-{sb.commit[:12]}"}
    there = remote_snapshots(Git(team.a), "origin")
    assert there == {sa.ref: sa.commit, f"{sb.ref}-{sb.commit[:12]}": sb.commit}

    fetched = fetch_run_code(team.a, None, [])
    assert fetched.share.transferred == {f"{sb.ref}-{sb.commit[:12]}": f"{sb.ref}-{sb.commit[:12]}"}
    assert {s.commit for s in local_snapshots(Git(team.a))} == {sa.commit, sb.commit}
    assert fetch_run_code(team.a, None, []).share.transferred == {}  # idempotent


def test_shares_and_fetches_at_once_lose_nothing(team: Team) -> None:
    """Two tabs pressing Share (or Fetch) at once: one transfers, the other finds it done."""
    runs = []
    for lr in ("0.2", "0.3", "0.4"):
        (team.a / NB).write_text(notebook(lr), encoding="utf-8")
        runs.append(team.run(team.a, name=f"a-{lr}", snapshot=True, lr=lr))
    mine = {s.ref: s.commit for s in local_snapshots(Git(team.a))}
    assert len(mine) == 3

    def at_once(work: Any) -> list[Any]:
        start = threading.Barrier(3)

        def one(_: int) -> Any:
            start.wait()
            return work()

        with ThreadPoolExecutor(max_workers=3) as pool:
            return list(pool.map(one, range(3)))

    shared = at_once(lambda: share_run_code(team.a))
    assert sorted(len(r["transferred"]) for r in shared) == [0, 0, 3]
    assert remote_snapshots(Git(team.a), "origin") == mine
    fetched = at_once(lambda: fetch_run_code(team.b, team.service, runs))
    assert sorted(len(r.share.transferred) for r in fetched) == [0, 0, 3]
    assert all(all(code.here for code in r.runs) for r in fetched)
    assert {s.ref: s.commit for s in local_snapshots(Git(team.b))} == mine
    assert git(team.b, "fsck", "--strict", "--no-progress") == ""


def test_a_run_whose_commit_was_never_pushed_says_so(team: Team) -> None:
    (team.a / "more.py").write_text("x = 1\n", encoding="utf-8")
    git(team.a, "add", "more.py")
    git(team.a, "commit", "--quiet", "-m", "feat: more")  # not pushed
    run = team.run(team.a, name="unpushed", snapshot=False)
    commit = git(team.a, "rev-parse", "HEAD")
    shared = share_run_code(team.a, service=team.service)
    assert shared["unpublished_commits"] == [commit]
    fetched = fetch_run_code(team.b, team.service, [run])
    (state,) = fetched.runs
    assert not state.here and "not on origin" in (state.reason or "")


@pytest.mark.parametrize("remote", ["nope", "--upload-pack=touch pwned", "file:///tmp/x", ""])
def test_only_configured_remotes_are_used(team: Team, remote: str) -> None:
    before = git(team.a, "for-each-ref")
    if remote == "":  # the default: origin
        assert share_run_code(team.a, remote)["remote"] == "origin"
        return
    with pytest.raises(InvalidRequest, match="No remote named"):
        share_run_code(team.a, remote)
    with pytest.raises(InvalidRequest, match="No remote named"):
        fetch_run_code(team.a, None, [], remote)
    assert git(team.a, "for-each-ref") == before
    assert not Path("pwned").exists()


def test_a_repository_without_a_remote_is_refused(tmp_path: Path) -> None:
    repo = tmp_path / "solo"
    repo.mkdir()
    git(repo, "init", "--quiet")
    (repo / "f").write_text("1\n")
    git(repo, "add", "f")
    git(repo, "commit", "--quiet", "-m", "one")
    with pytest.raises(InvalidRequest, match="no remote"):
        share_run_code(repo)


def _age(repo: Path, ref: str, days: float) -> None:
    """Move a snapshot commit's committer date into the past (a new commit on the same ref)."""
    old = git(repo, "rev-parse", ref)
    when = f"{int(time.time() - days * 86400)} +0000"
    env = {**os.environ, "GIT_COMMITTER_DATE": when}
    tree, parent = git(repo, "rev-parse", f"{old}^{{tree}}"), git(repo, "rev-parse", f"{old}^")
    new = subprocess.run(
        ["git", "commit-tree", tree, "-p", parent, "-m", "repro snapshot"],
        cwd=repo, env=env, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    git(repo, "update-ref", ref, new, old)


def test_prune_keeps_what_runs_branches_tags_and_releases_need(team: Team) -> None:
    a = team.a

    def snap(lr: str, *, run: bool) -> tuple[str, str | None]:
        (a / NB).write_text(notebook(lr), encoding="utf-8")
        if run:
            run_id = team.run(a, name=f"lr-{lr}", snapshot=True, lr=lr)
            return team.client.get_run(run_id).data.tags["repro.snapshot"], run_id
        return snapshot_worktree(a, NB).commit, None

    orphan, _ = snap("0.2", run=False)  # no run ever used it
    used, _ = snap("0.3", run=True)
    released, released_run = snap("0.4", run=True)
    team.client.set_tag(released_run, "repro.release", "v1")  # released, tag since deleted
    branched, _ = snap("0.6", run=False)
    git(a, "branch", "exp/kept", branched)
    tagged, gone_run = snap("0.7", run=True)
    git(a, "tag", "-a", "v0", "-m", "release", tagged)
    team.client.delete_run(gone_run)
    ref_of = {s.commit: s.ref for s in local_snapshots(Git(a))}

    dry = prune_snapshots(a, team.service, dry_run=True)
    assert dry.deleted == [ref_of[orphan]] and len(local_snapshots(Git(a))) == 5
    result = prune_snapshots(a, team.service)
    assert result.deleted == [ref_of[orphan]]
    assert (
        result.kept[ref_of[branched]] == result.kept[ref_of[tagged]] == ("a branch or tag holds it")
    )
    assert {s.commit for s in local_snapshots(Git(a))} == {used, released, branched, tagged}

    for commit in (used, released):
        _age(a, ref_of[commit], days=40)
    # the aged commits are new objects: tag the runs' snapshot ids onto them again
    aged = {s.ref: s.commit for s in local_snapshots(Git(a))}
    for run in team.client.search_runs(["0"]):
        old = run.data.tags.get("repro.snapshot")
        if old in (used, released):
            team.client.set_tag(run.info.run_id, "repro.snapshot", aged[ref_of[old]])
    kept = prune_snapshots(a, team.service, older_than_days=30, keep_released=True)
    assert kept.deleted == [ref_of[used]]
    assert kept.kept[ref_of[released]] == "a released run ran it"
    gone = prune_snapshots(a, team.service, older_than_days=30)
    assert gone.deleted == [ref_of[released]]


def test_prune_refuses_a_store_that_knows_nothing_of_the_repository(
    team: Team, tmp_path: Path
) -> None:
    (team.a / NB).write_text(notebook("0.9"), encoding="utf-8")
    snapshot_worktree(team.a, NB)
    other = TrackingService("sqlite:///" + (tmp_path / "other.db").as_posix(), timeout=30.0)
    MlflowClient(other.tracking_uri).create_run("0")  # a store, but not this repository's
    with pytest.raises(InvalidRequest, match="right tracking store"):
        prune_snapshots(team.a, other)
    assert len(local_snapshots(Git(team.a))) == 1
    with pytest.raises(InvalidRequest, match="age limit"):
        prune_snapshots(team.a, team.service, older_than_days=-1)


def cli(cwd: Path, uri: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jupyterlab_repro.cli", *args, "--tracking-uri", uri],
        cwd=cwd, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_cli_push_fetch_prune(team: Team) -> None:
    (team.a / NB).write_text(notebook("0.01"), encoding="utf-8")
    run = team.run(team.a, name="cli", snapshot=True)
    proc = cli(team.a, team.uri, "push")
    assert proc.returncode == 0, proc.stderr
    assert "pushed 1 snapshot ref(s) to origin" in proc.stdout
    proc = cli(team.b, team.uri, "fetch", "origin", run, "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["runs"][0]["here"] and len(data["transferred"]) == 1
    proc = cli(team.b, team.uri, "fetch", "f" * 32)
    assert proc.returncode == 3 and "No run" in proc.stderr
    proc = cli(team.a, team.uri, "prune", "--dry-run", "--older-than", "30d")
    assert proc.returncode == 0, proc.stderr
    assert "would delete 0 snapshot ref(s), kept 1" in proc.stdout
    proc = cli(team.a, team.uri, "prune", "--older-than", "soon")
    assert proc.returncode == 3 and "Not an age" in proc.stderr
    proc = cli(team.a, team.uri, "push", "nope")
    assert proc.returncode == 3 and "No remote named 'nope'" in proc.stderr
