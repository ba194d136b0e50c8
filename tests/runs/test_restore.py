"""A way back to a run's code: the notebook as it was, a branch at it, a working copy."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from jupyterlab_repro.errors import InvalidRequest, RestoreRefused
from jupyterlab_repro.kernel.hidden_snapshots import snapshot_worktree
from jupyterlab_repro.runs.kept_outputs import STASH_PREFIX, bring_back, kept_outputs
from jupyterlab_repro.runs.restore import (
    branch_name,
    notebook_at,
    restore_branch,
    restore_copy,
)

Git = Callable[..., str]


def notebook(source: str, *, ran: bool = False) -> str:
    """A one-cell notebook as a snapshot commits it; ``ran``: as the lab saves it after a run."""
    cell: dict[str, Any] = {
        "cell_type": "code",
        "execution_count": None,
        "id": "c0",
        "metadata": {},
        "outputs": [],
        "source": [source],
    }
    metadata: dict[str, Any] = {}
    if ran:
        cell["execution_count"] = 3
        cell["outputs"] = [
            {"name": "stdout", "output_type": "stream", "text": ["accuracy 0.93\n"]},
            {
                "data": {"image/png": "iVBORw0KGgo=\n", "text/plain": ["<Figure>"]},
                "metadata": {},
                "output_type": "display_data",
            },
        ]
        cell["metadata"] = {"execution": {"iopub.status.idle": "2026-01-01T00:00:00Z"}}
        metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    nb = {
        "cells": [cell],
        "metadata": metadata,
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(nb, indent=1, sort_keys=True) + "\n"


def state(repo: Path, run_git_cmd: Git) -> tuple[str, ...]:
    """Everything a refused restore must leave as it was: refs, HEAD, index, stash, files."""
    files = sorted(
        (p.relative_to(repo).as_posix(), p.read_bytes())
        for p in repo.rglob("*")
        if p.is_file() and ".git" not in p.parts
    )
    return (
        run_git_cmd(repo, "for-each-ref"),
        run_git_cmd(repo, "symbolic-ref", "HEAD"),
        run_git_cmd(repo, "ls-files", "-s"),
        run_git_cmd(repo, "stash", "list"),
        repr(files),
    )


@pytest.fixture
def repo(make_repo: Callable[..., Path], run_git_cmd: Git) -> Path:
    repo = make_repo(files={"train.ipynb": notebook("lr = 0.1"), "README.md": "x\n"})
    return repo


def snapshot_of(repo: Path, source: str) -> str:
    """A run's hidden snapshot of ``train.ipynb`` edited to ``source`` (the file is put back)."""
    path = repo / "train.ipynb"
    saved = path.read_text(encoding="utf-8")
    path.write_text(notebook(source), encoding="utf-8")
    snap = snapshot_worktree(repo, "train.ipynb")
    path.write_text(saved, encoding="utf-8")
    assert snap.dirty and snap.ref
    return snap.commit


def test_notebook_at_a_snapshot(repo: Path) -> None:
    commit = snapshot_of(repo, "lr = 0.01")
    version = notebook_at(repo / "train.ipynb", commit)
    assert version.snapshot and version.commit == commit
    assert "lr = 0.01" in version.content.decode()
    assert version.label() == f"train.ipynb @ {commit[:7]}"
    with pytest.raises(InvalidRequest, match="Unknown commit"):
        notebook_at(repo / "train.ipynb", "0" * 40)


def test_restore_a_snapshot_run_as_a_branch(repo: Path, run_git_cmd: Git) -> None:
    head = run_git_cmd(repo, "rev-parse", "HEAD")
    commit = snapshot_of(repo, "lr = 0.01")
    result = restore_branch(repo / "train.ipynb", commit, branch="exp/lr-0.01", run_id="abc")
    assert result.checked_out and result.reason is None
    assert run_git_cmd(repo, "symbolic-ref", "--short", "HEAD") == "exp/lr-0.01"
    # A commit of the snapshot's tree on top of the commit the run started from.
    assert run_git_cmd(repo, "rev-parse", "HEAD^") == head
    assert run_git_cmd(repo, "rev-parse", "HEAD^{tree}") == run_git_cmd(
        repo, "rev-parse", f"{commit}^{{tree}}"
    )
    assert "restored by jupyterlab-repro" in run_git_cmd(repo, "log", "-1", "--format=%s")
    assert "lr = 0.01" in (repo / "train.ipynb").read_text(encoding="utf-8")


def test_an_open_notebook_that_would_change_is_a_refusal_that_changes_nothing(
    repo: Path, run_git_cmd: Git
) -> None:
    commit = snapshot_of(repo, "lr = 0.5")
    before = state(repo, run_git_cmd)
    with pytest.raises(RestoreRefused) as refused:
        restore_branch(repo / "train.ipynb", commit, branch="exp/open", open_paths=["train.ipynb"])
    assert refused.value.files == ["train.ipynb"] and refused.value.kind == "open-notebooks"
    assert "train.ipynb is open in the lab" in str(refused.value)
    assert "working copy" in str(refused.value)
    assert state(repo, run_git_cmd) == before  # no branch left behind either


def test_source_changes_in_the_way_are_a_refusal_naming_every_file(
    repo: Path, run_git_cmd: Git
) -> None:
    """Our sentence, with each file and the choices; not git's text cut before the list."""
    (repo / "utils.py").write_text("A = 1\n", encoding="utf-8")
    run_git_cmd(repo, "add", "utils.py")
    run_git_cmd(repo, "commit", "-qm", "feat: utils")
    commit = snapshot_of(repo, "lr = 0.7")
    # A run's code that also changed utils.py: a committed run on a side branch.
    run_git_cmd(repo, "switch", "-q", "-c", "side")
    (repo / "train.ipynb").write_text(notebook("lr = 0.7"), encoding="utf-8")
    (repo / "utils.py").write_text("A = 2\n", encoding="utf-8")
    run_git_cmd(repo, "commit", "-qam", "exp: side")
    commit = run_git_cmd(repo, "rev-parse", "HEAD")
    run_git_cmd(repo, "switch", "-q", "main")
    (repo / "train.ipynb").write_text(notebook("lr = 0.9  # my work"), encoding="utf-8")
    (repo / "utils.py").write_text("A = 3  # mine\n", encoding="utf-8")
    before = state(repo, run_git_cmd)
    with pytest.raises(RestoreRefused) as refused:
        restore_branch(repo / "train.ipynb", commit, branch="exp/local")
    error = refused.value
    assert sorted(error.files) == ["train.ipynb", "utils.py"] and error.kind == "local-changes"
    text = str(error)
    assert text.startswith("Not switched to exp/local: ")
    assert "train.ipynb and utils.py have changes of their own" in text
    assert "Commit them first" in text and "working copy" in text
    assert "error:" not in text and "would be overwritten" not in text  # not git's words
    assert state(repo, run_git_cmd) == before
    assert "my work" in (repo / "train.ipynb").read_text(encoding="utf-8")


def test_an_untracked_file_in_the_way_is_a_refusal_naming_it(repo: Path, run_git_cmd: Git) -> None:
    run_git_cmd(repo, "switch", "-q", "-c", "side")
    (repo / "data").mkdir()
    (repo / "data" / "split.csv").write_text("a,b\n", encoding="utf-8")
    run_git_cmd(repo, "add", "data/split.csv")
    run_git_cmd(repo, "commit", "-qm", "exp: split")
    commit = run_git_cmd(repo, "rev-parse", "HEAD")
    run_git_cmd(repo, "switch", "-q", "main")
    (repo / "data").mkdir()
    (repo / "data" / "split.csv").write_text("mine\n", encoding="utf-8")
    before = state(repo, run_git_cmd)
    with pytest.raises(RestoreRefused) as refused:
        restore_branch(repo / "train.ipynb", commit, branch="exp/untracked")
    assert refused.value.files == ["data/split.csv"] and refused.value.kind == "untracked"
    assert "data/split.csv is not tracked by git" in str(refused.value)
    assert state(repo, run_git_cmd) == before


def test_outputs_in_the_way_are_kept_in_a_stash_and_the_switch_happens(
    repo: Path, run_git_cmd: Git
) -> None:
    """The common case: the notebook was run, the commit has no outputs."""
    commit = snapshot_of(repo, "lr = 0.01")
    ran = notebook("lr = 0.1", ran=True).encode()
    (repo / "train.ipynb").write_bytes(ran)
    result = restore_branch(
        repo / "train.ipynb",
        commit,
        branch="exp/owl",
        run_id="0123456789abcdef",
        run_name="swift-owl-7",
    )
    assert result.checked_out and run_git_cmd(repo, "symbolic-ref", "--short", "HEAD") == "exp/owl"
    assert "lr = 0.01" in (repo / "train.ipynb").read_text(encoding="utf-8")
    assert result.changed_files == ["train.ipynb"]
    kept = result.kept_outputs
    assert kept is not None and kept["files"] == ["train.ipynb"] and kept["branch"] == "main"
    assert kept["ref"] == "stash@{0}"
    assert kept["message"] == (
        f"{STASH_PREFIX}train.ipynb before restoring run swift-owl-7 (01234567)"
    )
    listed = run_git_cmd(repo, "stash", "list")
    assert listed == f"stash@{{0}}: On main: {kept['message']}"
    assert run_git_cmd(repo, "rev-parse", "stash@{0}") == kept["commit"]
    # On the restored branch they belong to other code: refused, nothing changed.
    before = state(repo, run_git_cmd)
    [entry] = kept_outputs(repo)
    assert entry.ready is False and "switch back to main" in (entry.reason or "")
    with pytest.raises(RestoreRefused) as refused:
        bring_back(repo)
    assert refused.value.kind == "other-code" and refused.value.files == ["train.ipynb"]
    assert state(repo, run_git_cmd) == before
    # Back on main: they come back, byte for byte, and the stash entry is gone.
    run_git_cmd(repo, "switch", "-q", "main")
    [entry] = kept_outputs(repo)
    assert entry.ready is True and entry.reason is None and entry.commit == kept["commit"]
    back = bring_back(repo, kept["commit"][:12])
    assert back.files == ["train.ipynb"]
    assert (repo / "train.ipynb").read_bytes() == ran
    assert run_git_cmd(repo, "stash", "list") == ""
    assert run_git_cmd(repo, "diff", "--cached", "--name-only") == ""


def test_a_notebook_that_is_the_runs_code_keeps_its_outputs_on_the_branch(
    repo: Path, run_git_cmd: Git
) -> None:
    """Edited, saved, run: restoring that run carries the notebook over, outputs and all."""
    ran = notebook("lr = 0.7", ran=True).encode()
    (repo / "train.ipynb").write_bytes(ran)
    snap = snapshot_worktree(repo, "train.ipynb")  # what the run-context plugin records
    assert snap.dirty and snap.commit
    result = restore_branch(repo / "train.ipynb", snap.commit, branch="exp/edit")
    assert result.checked_out and result.carried_outputs == ["train.ipynb"]
    assert result.kept_outputs is None
    assert run_git_cmd(repo, "symbolic-ref", "--short", "HEAD") == "exp/edit"
    assert (repo / "train.ipynb").read_bytes() == ran  # byte for byte, on the branch
    assert run_git_cmd(repo, "stash", "list") == ""  # the safety net is gone
    assert "lr = 0.7" in run_git_cmd(repo, "show", "HEAD:train.ipynb")
    assert run_git_cmd(repo, "diff", "--cached", "--name-only") == ""
    # On the branch the notebook is outputs only.
    from jupyterlab_repro.commit.changes import list_changes

    [changed] = list_changes(repo).files
    assert changed.path == "train.ipynb" and changed.classification == "outputs-only"


def test_a_failure_after_the_switch_puts_everything_back(
    repo: Path, run_git_cmd: Git, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fault we cannot cause for real: writing the carried notebook back raising."""
    from jupyterlab_repro.runs import restore as restore_module

    (repo / "other.ipynb").write_text(notebook("b = 1"), encoding="utf-8")
    run_git_cmd(repo, "add", "other.ipynb")
    run_git_cmd(repo, "commit", "-qm", "feat: other")
    (repo / "other.ipynb").write_text(notebook("b = 2", ran=True), encoding="utf-8")
    (repo / "train.ipynb").write_text(notebook("lr = 0.7", ran=True), encoding="utf-8")
    snap = snapshot_worktree(repo, "other.ipynb")  # the run: other.ipynb at b = 2
    (repo / "train.ipynb").write_text(notebook("lr = 0.1", ran=True), encoding="utf-8")
    # train.ipynb: outputs only (kept); other.ipynb: the run's code plus outputs (carried).
    before = state(repo, run_git_cmd)

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk vanished")

    monkeypatch.setattr(restore_module, "carry_back", broken)
    with pytest.raises(RuntimeError, match="disk vanished"):
        restore_branch(repo / "other.ipynb", snap.commit, branch="exp/fault")
    assert state(repo, run_git_cmd) == before


def test_kept_outputs_do_not_come_back_over_a_file_changed_since(
    repo: Path, run_git_cmd: Git
) -> None:
    commit = snapshot_of(repo, "lr = 0.01")
    (repo / "train.ipynb").write_text(notebook("lr = 0.1", ran=True), encoding="utf-8")
    restore_branch(repo / "train.ipynb", commit, branch="exp/owl")
    run_git_cmd(repo, "switch", "-q", "main")
    (repo / "train.ipynb").write_text(notebook("lr = 0.2  # new work"), encoding="utf-8")
    before = state(repo, run_git_cmd)
    with pytest.raises(RestoreRefused) as refused:
        bring_back(repo)
    assert refused.value.kind == "changed-since"
    assert "train.ipynb changed since its outputs were kept" in str(refused.value)
    assert state(repo, run_git_cmd) == before
    with pytest.raises(InvalidRequest, match="No kept outputs"):
        bring_back(repo, "f" * 40)
    with pytest.raises(InvalidRequest, match="hex id"):
        bring_back(repo, "--all")
    assert state(repo, run_git_cmd) == before


def test_outputs_and_source_changes_together_are_refused_without_a_stash(
    repo: Path, run_git_cmd: Git
) -> None:
    run_git_cmd(repo, "switch", "-q", "-c", "side")
    (repo / "train.ipynb").write_text(notebook("lr = 0.3"), encoding="utf-8")
    (repo / "README.md").write_text("side\n", encoding="utf-8")
    run_git_cmd(repo, "commit", "-qam", "exp: side")
    commit = run_git_cmd(repo, "rev-parse", "HEAD")
    run_git_cmd(repo, "switch", "-q", "main")
    (repo / "train.ipynb").write_text(notebook("lr = 0.1", ran=True), encoding="utf-8")
    (repo / "README.md").write_text("my notes\n", encoding="utf-8")
    before = state(repo, run_git_cmd)
    with pytest.raises(RestoreRefused) as refused:
        restore_branch(repo / "train.ipynb", commit, branch="exp/both")
    assert refused.value.files == ["README.md"]  # the notebook's outputs were not the problem
    assert state(repo, run_git_cmd) == before


def test_outputs_are_kept_without_a_git_identity(
    repo: Path, run_git_cmd: Git, no_identity: None
) -> None:
    commit = snapshot_of(repo, "lr = 0.01")
    ran = notebook("lr = 0.1", ran=True).encode()
    (repo / "train.ipynb").write_bytes(ran)
    result = restore_branch(repo / "train.ipynb", commit, branch="exp/anon")
    assert result.checked_out and result.kept_outputs is not None
    run_git_cmd(repo, "switch", "-q", "main")
    bring_back(repo)
    assert (repo / "train.ipynb").read_bytes() == ran


def test_a_committed_run_branches_at_its_commit(repo: Path, run_git_cmd: Git) -> None:
    head = run_git_cmd(repo, "rev-parse", "HEAD")
    result = restore_branch(repo / "train.ipynb", head, branch="exp/as-is", checkout=False)
    assert result.commit == head and not result.checked_out
    assert run_git_cmd(repo, "rev-parse", "exp/as-is") == head


@pytest.mark.parametrize(
    ("branch", "match"),
    [("main", "must start with 'exp/'"), ("exp/a..b", "Invalid branch"), ("exp/x", "exists")],
)
def test_bad_branches_change_nothing(repo: Path, run_git_cmd: Git, branch: str, match: str) -> None:
    run_git_cmd(repo, "branch", "exp/x")
    refs = run_git_cmd(repo, "for-each-ref")
    with pytest.raises(InvalidRequest, match=match):
        restore_branch(repo / "train.ipynb", "HEAD", branch=branch)
    assert run_git_cmd(repo, "for-each-ref") == refs


def test_a_name_made_from_the_run_is_used_again_for_its_code_or_suffixed(
    repo: Path, run_git_cmd: Git
) -> None:
    """Restoring a run twice switches to its branch; another run of that name gets -2."""
    commit = snapshot_of(repo, "lr = 0.01")
    first = restore_branch(repo / "train.ipynb", commit, branch="exp/owl", any_free_name=True)
    assert first.branch == "exp/owl" and first.checked_out and not first.reused
    run_git_cmd(repo, "switch", "--quiet", "main")
    again = restore_branch(repo / "train.ipynb", commit, branch="exp/owl", any_free_name=True)
    assert again.branch == "exp/owl" and again.reused and again.checked_out
    assert again.commit == first.commit
    run_git_cmd(repo, "switch", "--quiet", "main")
    other = snapshot_of(repo, "lr = 0.5")
    third = restore_branch(repo / "train.ipynb", other, branch="exp/owl", any_free_name=True)
    assert third.branch == "exp/owl-2" and not third.reused
    assert "lr = 0.5" in run_git_cmd(repo, "show", "exp/owl-2:train.ipynb")
    run_git_cmd(repo, "switch", "--quiet", "main")
    # A committed run: its own commit is the branch tip.
    head = run_git_cmd(repo, "rev-parse", "HEAD")
    run_git_cmd(repo, "branch", "exp/base", head)
    same = restore_branch(repo / "train.ipynb", head, branch="exp/base", any_free_name=True)
    assert same.branch == "exp/base" and same.reused
    branches = run_git_cmd(repo, "for-each-ref", "--format=%(refname:short)", "refs/heads/exp")
    assert branches.splitlines() == ["exp/base", "exp/owl", "exp/owl-2"]


def test_a_name_made_from_the_run_skips_names_that_clash(repo: Path, run_git_cmd: Git) -> None:
    run_git_cmd(repo, "branch", "exp/owl/old")  # exp/owl cannot exist beside it
    commit = snapshot_of(repo, "lr = 0.01")
    result = restore_branch(
        repo / "train.ipynb", commit, branch="exp/owl", any_free_name=True, checkout=False
    )
    assert result.branch == "exp/owl-2"
    with pytest.raises(InvalidRequest, match="clashes"):  # asked for by name: refused
        restore_branch(repo / "train.ipynb", commit, branch="exp/owl")


def test_a_name_made_from_the_run_is_still_checked(repo: Path, run_git_cmd: Git) -> None:
    refs = run_git_cmd(repo, "for-each-ref")
    with pytest.raises(InvalidRequest, match="Invalid branch"):
        restore_branch(repo / "train.ipynb", "HEAD", branch="exp/a..b", any_free_name=True)
    assert run_git_cmd(repo, "for-each-ref") == refs


def test_a_working_copy_never_overwrites(repo: Path) -> None:
    commit = snapshot_of(repo, "lr = 0.02")
    first = restore_copy(repo / "train.ipynb", commit, name="bold cat/1")
    assert first.copy == "train-bold-cat-1.ipynb"
    assert "lr = 0.02" in (repo / first.copy).read_text(encoding="utf-8")
    (repo / "train-bold-cat-1-2.ipynb").symlink_to(repo / "README.md")  # planted
    readme = (repo / "README.md").read_bytes()
    second = restore_copy(repo / "train.ipynb", commit, name="bold cat/1")
    assert second.copy == "train-bold-cat-1-3.ipynb"
    assert (repo / "README.md").read_bytes() == readme


@pytest.mark.parametrize(
    ("name", "run_id", "expected"),
    [
        ("bold-cat-123", "x", "exp/bold-cat-123"),
        ("lr=0.1 / bs 32", "x", "exp/lr-0.1-bs-32"),
        ("", "0123456789abcdef", "exp/0123456789ab"),
        ("...", None, "exp/run"),
    ],
)
def test_branch_names(name: str, run_id: str | None, expected: str) -> None:
    assert branch_name(name, run_id) == expected


@pytest.mark.mlflow
def test_the_cli_restores_a_run_from_the_tracking_store(
    repo: Path, run_git_cmd: Git, tmp_path: Path
) -> None:
    from mlflow.tracking import MlflowClient

    commit = snapshot_of(repo, "lr = 0.03")
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri)
    experiment = client.create_experiment("cli")
    run = client.create_run(
        experiment,
        run_name="swift-owl-7",
        tags={
            "repro.notebook": "train.ipynb",
            "repro.snapshot": commit,
            "mlflow.source.git.commit": run_git_cmd(repo, "rev-parse", "HEAD"),
        },
    )
    proc = subprocess.run(
        [sys.executable, "-m", "jupyterlab_repro.cli", "restore", run.info.run_id]
        + ["--tracking-uri", uri, "--json"],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    result: dict[str, Any] = json.loads(proc.stdout)
    assert result["branch"] == "exp/swift-owl-7" and result["checked_out"] is True
    assert "lr = 0.03" in (repo / "train.ipynb").read_text(encoding="utf-8")
    unknown = subprocess.run(
        [sys.executable, "-m", "jupyterlab_repro.cli", "restore", "f" * 32]
        + ["--tracking-uri", uri],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert unknown.returncode == 3 and "No run" in unknown.stderr


@pytest.mark.mlflow
def test_the_cli_keeps_outputs_refuses_with_a_status_and_brings_them_back(
    repo: Path,
    run_git_cmd: Git,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Exit 0 only when it did what was asked; the text says where the outputs are."""
    from mlflow.tracking import MlflowClient

    from jupyterlab_repro.cli.main import main

    commit = snapshot_of(repo, "lr = 0.03")
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri)
    run = client.create_run(
        client.create_experiment("cli"),
        run_name="calm-fox-3",
        tags={
            "repro.notebook": "train.ipynb",
            "repro.snapshot": commit,
            "mlflow.source.git.commit": run_git_cmd(repo, "rev-parse", "HEAD"),
        },
    )
    run_id = run.info.run_id
    monkeypatch.chdir(repo)
    track = ["--tracking-uri", uri]

    # Source changes in the way: exit 3, the file named, nothing changed.
    mine = notebook("lr = 0.9  # my work").encode()
    (repo / "train.ipynb").write_bytes(mine)
    before = state(repo, run_git_cmd)
    assert main(["restore", run_id, *track, "--json"]) == 3
    out, err = capsys.readouterr()
    answer = json.loads(out)
    assert answer["files"] == ["train.ipynb"] and answer["kind"] == "local-changes"
    assert "train.ipynb has changes of its own" in err
    assert state(repo, run_git_cmd) == before

    # --no-switch asks for the branch only: done, exit 0.
    assert main(["restore", run_id, *track, "--no-switch", "--branch", "exp/only"]) == 0
    assert "created exp/only" in capsys.readouterr().out
    assert run_git_cmd(repo, "symbolic-ref", "--short", "HEAD") == "main"

    # Outputs only: kept in a stash entry, switched, and the way back told.
    ran = notebook("lr = 0.1", ran=True).encode()
    (repo / "train.ipynb").write_bytes(ran)
    assert main(["restore", run_id, *track]) == 0
    out = capsys.readouterr().out
    assert "switched to exp/calm-fox-3" in out
    assert "kept the outputs of train.ipynb in stash@{0}" in out
    assert "git switch main && jupyter repro bring-back" in out
    assert run_git_cmd(repo, "symbolic-ref", "--short", "HEAD") == "exp/calm-fox-3"

    # Not on main: nothing brought back, exit 3.
    assert main(["bring-back"]) == 3
    assert "switch back to main" in capsys.readouterr().err
    assert main(["bring-back", "--list", "--json"]) == 0
    [listed] = json.loads(capsys.readouterr().out)
    assert listed["ready"] is False and listed["files"] == ["train.ipynb"]

    run_git_cmd(repo, "switch", "-q", "main")
    assert main(["bring-back"]) == 0
    assert "brought back the outputs of train.ipynb" in capsys.readouterr().out
    assert (repo / "train.ipynb").read_bytes() == ran
    assert main(["bring-back"]) == 3  # nothing left
    assert "No outputs kept" in capsys.readouterr().err
