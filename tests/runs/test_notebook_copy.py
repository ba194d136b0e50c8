"""A read-only copy of a notebook as it was at a run's commit (or snapshot)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from jupyterlab_repro.errors import InvalidRequest, NotARepository
from jupyterlab_repro.runs.notebook_copy import COPY_PATTERN, notebook_at_commit


def _nb(source: str) -> str:
    cell = {
        "cell_type": "code",
        "execution_count": None,
        "id": "c1",
        "metadata": {},
        "outputs": [],
        "source": [source],
    }
    return json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


@pytest.fixture
def repo(make_repo, run_git_cmd) -> Path:
    path = make_repo("proj", files={"exp 1/train.ipynb": _nb("x = 1\n")})
    (path / "exp 1" / "train.ipynb").write_text(_nb("x = 2\n"), encoding="utf-8")
    run_git_cmd(path, "commit", "-qam", "exp: two")
    (path / "exp 1" / "train.ipynb").write_text(_nb("x = 3  # unsaved idea\n"), encoding="utf-8")
    return path


def test_copy_of_an_older_commit_leaves_the_notebook_alone(repo: Path, run_git_cmd) -> None:
    first = run_git_cmd(repo, "rev-parse", "HEAD~1")
    nb = repo / "exp 1" / "train.ipynb"
    before = nb.read_bytes()

    copy = notebook_at_commit(nb, first)

    assert copy.name == f"train@{first[:7]}.ipynb"
    assert "x = 1" in copy.read_text(encoding="utf-8")
    assert nb.read_bytes() == before
    assert not os.stat(copy).st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    # The copy never shows up as a change.
    status = run_git_cmd(repo, "status", "--porcelain", "--untracked-files=all")
    assert "@" not in status
    assert COPY_PATTERN in (repo / ".git" / "info" / "exclude").read_text(encoding="utf-8")


def test_copy_from_a_hidden_snapshot_ref(repo: Path, run_git_cmd) -> None:
    nb = repo / "exp 1" / "train.ipynb"
    blob = run_git_cmd(repo, "hash-object", "-w", "--", "exp 1/train.ipynb")
    env_index = repo / ".git" / "tmp-index"
    os.environ["GIT_INDEX_FILE"] = str(env_index)
    try:
        run_git_cmd(repo, "read-tree", "HEAD")
        run_git_cmd(repo, "update-index", "--cacheinfo", f"100644,{blob},exp 1/train.ipynb")
        tree = run_git_cmd(repo, "write-tree")
    finally:
        del os.environ["GIT_INDEX_FILE"]
        env_index.unlink(missing_ok=True)
    snap = run_git_cmd(repo, "commit-tree", tree, "-p", "HEAD", "-m", "snapshot")
    run_git_cmd(repo, "update-ref", "refs/repro/snapshots/test", snap)

    copy = notebook_at_commit(nb, snap)

    assert "unsaved idea" in copy.read_text(encoding="utf-8")
    assert run_git_cmd(repo, "rev-parse", "HEAD") != snap


def test_second_request_reuses_the_copy(repo: Path, run_git_cmd) -> None:
    head = run_git_cmd(repo, "rev-parse", "HEAD")
    nb = repo / "exp 1" / "train.ipynb"
    first = notebook_at_commit(nb, head)
    again = notebook_at_commit(nb, head)
    assert first == again
    text = (repo / ".git" / "info" / "exclude").read_text(encoding="utf-8")
    assert text.count(COPY_PATTERN) == 1


@pytest.mark.parametrize("commit", ["", "-x", "deadbeef" * 5, "HEAD; rm -rf /", "a b"])
def test_bad_or_unknown_commits_are_refused_and_write_nothing(repo: Path, commit: str) -> None:
    nb = repo / "exp 1" / "train.ipynb"
    with pytest.raises(InvalidRequest):
        notebook_at_commit(nb, commit)
    assert sorted(p.name for p in nb.parent.iterdir()) == ["train.ipynb"]


def test_notebook_missing_at_that_commit(make_repo, run_git_cmd) -> None:
    repo = make_repo("late")
    first = run_git_cmd(repo, "rev-parse", "HEAD")
    nb = repo / "new.ipynb"
    nb.write_text(_nb("y = 1\n"), encoding="utf-8")
    with pytest.raises(InvalidRequest, match="does not exist"):
        notebook_at_commit(nb, first)


def test_outside_a_repository(tmp_path: Path) -> None:
    nb = tmp_path / "loose.ipynb"
    nb.write_text(_nb("z = 1\n"), encoding="utf-8")
    with pytest.raises(NotARepository):
        notebook_at_commit(nb, "HEAD")


async def test_rest_route_writes_the_copy_inside_the_root(
    jp_fetch, jp_root_dir: Path, repo_at, run_git_cmd
) -> None:
    repo = repo_at(jp_root_dir / "proj", files={"train.ipynb": _nb("a = 1\n")})
    head = run_git_cmd(repo, "rev-parse", "HEAD")
    response = await jp_fetch(
        "jupyterlab-repro",
        "runs",
        "notebook",
        method="POST",
        body=json.dumps({"path": "proj/train.ipynb", "commit": head}),
    )
    assert response.code == 201
    assert json.loads(response.body) == {"path": f"proj/train@{head[:7]}.ipynb"}
    assert (repo / f"train@{head[:7]}.ipynb").is_file()


async def test_rest_route_refuses_paths_outside_the_root(jp_fetch) -> None:
    from tornado.httpclient import HTTPClientError

    with pytest.raises(HTTPClientError) as info:
        await jp_fetch(
            "jupyterlab-repro",
            "runs",
            "notebook",
            method="POST",
            body=json.dumps({"path": "../x.ipynb", "commit": "HEAD"}),
        )
    assert info.value.code == 403
