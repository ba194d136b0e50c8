"""A way back to a run's code: the notebook as it was, a branch at it, a working copy."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from jupyterlab_repro.errors import InvalidRequest
from jupyterlab_repro.runs.hidden_snapshots import snapshot_worktree
from jupyterlab_repro.runs.restore import (
    branch_name,
    notebook_at,
    restore_branch,
    restore_copy,
)

Git = Callable[..., str]


def notebook(source: str) -> str:
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": None,
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
    return json.dumps(nb, indent=1, sort_keys=True) + "\n"


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


def test_no_switch_when_an_open_notebook_would_change(repo: Path, run_git_cmd: Git) -> None:
    commit = snapshot_of(repo, "lr = 0.5")
    before = run_git_cmd(repo, "rev-parse", "HEAD"), (repo / "train.ipynb").read_bytes()
    result = restore_branch(
        repo / "train.ipynb", commit, branch="exp/open", open_paths=["train.ipynb"]
    )
    assert not result.checked_out and "train.ipynb" in (result.reason or "")
    assert run_git_cmd(repo, "rev-parse", "exp/open^{tree}")  # the branch exists
    assert (run_git_cmd(repo, "rev-parse", "HEAD"), (repo / "train.ipynb").read_bytes()) == before
    assert run_git_cmd(repo, "symbolic-ref", "--short", "HEAD") == "main"


def test_no_switch_over_local_changes(repo: Path, run_git_cmd: Git) -> None:
    commit = snapshot_of(repo, "lr = 0.7")
    (repo / "train.ipynb").write_text(notebook("lr = 0.9  # my work"), encoding="utf-8")
    result = restore_branch(repo / "train.ipynb", commit, branch="exp/local")
    assert not result.checked_out and result.reason
    assert "my work" in (repo / "train.ipynb").read_text(encoding="utf-8")


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
