"""``GET runs/notebook`` (the notebook as it was, writing nothing), ``POST runs/restore`` and
``GET/POST runs/kept-outputs`` (the outputs a restore kept aside)."""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from jupyterlab_repro.kernel.hidden_snapshots import snapshot_worktree

Fetch = Callable[..., Any]
Git = Callable[..., str]


def run_git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout.strip()


def notebook(source: str, *, ran: bool = False) -> str:
    """A one-cell notebook as committed; ``ran``: with the outputs a run leaves on disk."""
    cell: dict[str, Any] = {
        "cell_type": "code",
        "execution_count": 7 if ran else None,
        "id": "c0",
        "metadata": {},
        "outputs": (
            [{"name": "stdout", "output_type": "stream", "text": ["loss 0.25\n"]}] if ran else []
        ),
        "source": [source],
    }
    nb = {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(nb, indent=1, sort_keys=True) + "\n"


def state(repo: Path, root: Path) -> tuple[str, ...]:
    """What a refused request must leave as it was: refs, HEAD, index, stash, every file."""
    every = sorted(
        (p.relative_to(root).as_posix(), p.read_bytes())
        for p in root.rglob("*")
        if p.is_file() and ".git" not in p.parts
    )
    return (
        run_git(repo, "for-each-ref"),
        run_git(repo, "symbolic-ref", "HEAD"),
        run_git(repo, "ls-files", "-s"),
        run_git(repo, "stash", "list"),
        repr(every),
    )


async def call(
    jp_fetch: Fetch, route: str, body: Any = None, params: dict[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    kwargs: dict[str, Any] = {"raise_error": False}
    if body is not None:
        kwargs.update(method="POST", body=json.dumps(body))
    if params is not None:
        kwargs["params"] = params
    response = await jp_fetch("jupyterlab-repro", *route.split("/"), **kwargs)
    return response.code, json.loads(response.body)


@pytest.fixture
def repo(jp_root_dir: Path, repo_at: Callable[..., Path]) -> Path:
    return repo_at(jp_root_dir / "work", files={"train.ipynb": notebook("lr = 0.1")})


@pytest.fixture
def snapshot(repo: Path) -> str:
    path = repo / "train.ipynb"
    path.write_text(notebook("lr = 0.01"), encoding="utf-8")
    snap = snapshot_worktree(repo, "train.ipynb")
    path.write_text(notebook("lr = 0.1"), encoding="utf-8")
    return snap.commit


def files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if ".git" not in p.parts)


async def test_the_notebook_as_it_was_writes_nothing(
    jp_fetch: Fetch, repo: Path, snapshot: str, jp_root_dir: Path
) -> None:
    before = files(jp_root_dir), (repo / ".git" / "info" / "exclude").read_bytes()
    code, data = await call(
        jp_fetch, "runs/notebook", params={"path": "work/train.ipynb", "commit": snapshot}
    )
    assert code == 200, data
    assert data["snapshot"] is True and data["commit"] == snapshot
    assert data["label"] == f"train.ipynb @ {snapshot[:7]}"
    assert data["path"] == "work/train.ipynb"
    assert data["content"]["cells"][0]["source"] == ["lr = 0.01"]
    assert (files(jp_root_dir), (repo / ".git" / "info" / "exclude").read_bytes()) == before


async def test_a_version_3_notebook_as_it_was_comes_as_version_4(
    jp_fetch: Fetch, jp_root_dir: Path, repo_at: Callable[..., Path], corpus_dir: Path
) -> None:
    """As the contents API converts it when the lab opens the file, minus the save warning."""
    old = (corpus_dir / "nbformat__test3.ipynb").read_text(encoding="utf-8")
    repo = repo_at(jp_root_dir / "old", files={"v3.ipynb": old})
    head = run_git(repo, "rev-parse", "HEAD")
    code, data = await call(
        jp_fetch, "runs/notebook", params={"path": "old/v3.ipynb", "commit": head}
    )
    assert code == 200, data
    content = data["content"]
    assert content["nbformat"] == 4 and "worksheets" not in content
    assert "orig_nbformat" not in content["metadata"]
    v3_cells = json.loads(old)["worksheets"][0]["cells"]
    assert len(content["cells"]) == len(v3_cells)
    first_code = next(c for c in v3_cells if c["cell_type"] == "code")
    code_cells = [c for c in content["cells"] if c["cell_type"] == "code"]
    assert "".join(code_cells[0]["source"]) == "".join(first_code["input"])


@pytest.mark.parametrize(
    "text",
    ["{not json", "[1, 2]", '{"nbformat": 3, "worksheets": 7}', '{"nbformat": 3}'],
)
async def test_a_file_at_a_commit_that_is_not_a_notebook_is_a_clear_4xx(
    jp_fetch: Fetch, jp_root_dir: Path, repo_at: Callable[..., Path], text: str
) -> None:
    repo = repo_at(jp_root_dir / "bad", files={"nb.ipynb": text})
    head = run_git(repo, "rev-parse", "HEAD")
    code, data = await call(
        jp_fetch, "runs/notebook", params={"path": "bad/nb.ipynb", "commit": head}
    )
    assert code == 400, data
    assert "nb.ipynb" in data["message"]


@pytest.mark.parametrize("commit", ["0" * 40, "-p", "HEAD\x00", ""])
async def test_the_notebook_as_it_was_bad_commits(jp_fetch: Fetch, repo: Path, commit: str) -> None:
    code, data = await call(
        jp_fetch, "runs/notebook", params={"path": "work/train.ipynb", "commit": commit}
    )
    assert code == 400, data


async def test_restore_as_a_branch_switches_when_nothing_open_changes(
    jp_fetch: Fetch, repo: Path, snapshot: str, run_git_cmd: Git
) -> None:
    code, data = await call(
        jp_fetch,
        "runs/restore",
        {"path": "work/train.ipynb", "commit": snapshot, "name": "swift owl", "run_id": "r1"},
    )
    assert code == 201, data
    assert data["branch"] == "exp/swift-owl" and data["checked_out"] is True
    assert run_git_cmd(repo, "symbolic-ref", "--short", "HEAD") == "exp/swift-owl"


async def test_restore_as_a_branch_refuses_when_an_open_notebook_would_change(
    jp_fetch: Fetch, repo: Path, snapshot: str, jp_root_dir: Path
) -> None:
    """409 naming the notebook (open with unsaved work); no branch is left behind."""
    before = state(repo, jp_root_dir)
    code, data = await call(
        jp_fetch,
        "runs/restore",
        {
            "path": "work/train.ipynb",
            "commit": snapshot,
            "name": "owl",
            "open_paths": ["work/train.ipynb"],
        },
    )
    assert code == 409, data
    assert data["reason"] == "restore-refused" and data["kind"] == "open-notebooks"
    assert data["files"] == ["work/train.ipynb"]
    assert "train.ipynb is open in the lab" in data["message"]
    assert state(repo, jp_root_dir) == before


async def test_restore_with_outputs_on_disk_switches_and_brings_them_back(
    jp_fetch: Fetch, repo: Path, snapshot: str, jp_root_dir: Path, run_git_cmd: Git
) -> None:
    """The notebook was run: outputs kept in a stash, switched; back on main, brought back."""
    ran = notebook("lr = 0.1", ran=True).encode()
    (repo / "train.ipynb").write_bytes(ran)
    code, data = await call(
        jp_fetch,
        "runs/restore",
        {"path": "work/train.ipynb", "commit": snapshot, "name": "swift owl", "run_id": "r1"},
    )
    assert code == 201, data
    assert data["checked_out"] is True and data["branch"] == "exp/swift-owl"
    assert data["changed_files"] == ["work/train.ipynb"]
    kept = data["kept_outputs"]
    assert kept["files"] == ["work/train.ipynb"] and kept["branch"] == "main"
    assert kept["ref"] == "stash@{0}" and "before restoring run swift owl" in kept["message"]
    assert run_git_cmd(repo, "symbolic-ref", "--short", "HEAD") == "exp/swift-owl"
    assert "lr = 0.01" in (repo / "train.ipynb").read_text(encoding="utf-8")
    # Listed, but not ready on the restored branch; a POST now is a 409 that changes nothing.
    code, listing = await call(jp_fetch, "runs/kept-outputs", params={"path": "work"})
    assert code == 200, listing
    [entry] = listing["kept"]
    assert entry["commit"] == kept["commit"] and entry["ready"] is False
    assert "switch back to main" in entry["reason"]
    before = state(repo, jp_root_dir)
    code, refused = await call(jp_fetch, "runs/kept-outputs", {"path": "work/train.ipynb"})
    assert code == 409 and refused["kind"] == "other-code", refused
    assert refused["files"] == ["work/train.ipynb"]
    assert state(repo, jp_root_dir) == before
    # Back on main (as the lab sees on its next status poll): ready, and brought back.
    run_git_cmd(repo, "switch", "-q", "main")
    code, listing = await call(jp_fetch, "runs/kept-outputs", params={"path": "work/train.ipynb"})
    assert [e["ready"] for e in listing["kept"]] == [True]
    code, back = await call(
        jp_fetch, "runs/kept-outputs", {"path": "work/train.ipynb", "commit": kept["commit"]}
    )
    assert code == 200, back
    assert back["files"] == ["work/train.ipynb"]
    assert (repo / "train.ipynb").read_bytes() == ran
    assert run_git_cmd(repo, "stash", "list") == ""
    code, listing = await call(jp_fetch, "runs/kept-outputs", params={"path": "work"})
    assert listing == {"kept": []}


async def test_restoring_the_run_of_saved_edits_keeps_the_notebook_as_it_is(
    jp_fetch: Fetch, repo: Path, run_git_cmd: Git
) -> None:
    """Saved before it ran (the lab's default): the branch has that code, the outputs stay."""
    ran = notebook("lr = 0.7", ran=True).encode()
    (repo / "train.ipynb").write_bytes(ran)
    snap = snapshot_worktree(repo, "train.ipynb")
    code, data = await call(
        jp_fetch, "runs/restore", {"path": "work/train.ipynb", "commit": snap.commit, "name": "e"}
    )
    assert code == 201, data
    assert data["checked_out"] is True and data["kept_outputs"] is None
    assert data["carried_outputs"] == ["work/train.ipynb"]
    assert (repo / "train.ipynb").read_bytes() == ran
    assert run_git_cmd(repo, "stash", "list") == ""


async def test_restore_over_source_changes_is_a_409_naming_the_files(
    jp_fetch: Fetch, repo: Path, snapshot: str, jp_root_dir: Path
) -> None:
    (repo / "train.ipynb").write_text(notebook("lr = 0.5  # my work", ran=True), encoding="utf-8")
    before = state(repo, jp_root_dir)
    code, data = await call(
        jp_fetch, "runs/restore", {"path": "work/train.ipynb", "commit": snapshot, "name": "owl"}
    )
    assert code == 409, data
    assert data["files"] == ["work/train.ipynb"] and data["kind"] == "local-changes"
    assert data["message"].startswith("Not switched to exp/owl: train.ipynb has changes")
    assert "working copy" in data["message"] and "error:" not in data["message"]
    assert state(repo, jp_root_dir) == before


async def test_restore_without_switching_makes_the_branch_only(
    jp_fetch: Fetch, repo: Path, snapshot: str, run_git_cmd: Git
) -> None:
    (repo / "train.ipynb").write_text(notebook("lr = 0.5  # my work"), encoding="utf-8")
    code, data = await call(
        jp_fetch,
        "runs/restore",
        {"path": "work/train.ipynb", "commit": snapshot, "name": "owl", "switch": False},
    )
    assert code == 201, data
    assert data["checked_out"] is False and data["kept_outputs"] is None
    assert run_git_cmd(repo, "symbolic-ref", "--short", "HEAD") == "main"
    assert run_git_cmd(repo, "rev-parse", "exp/owl") == data["commit"]
    assert "my work" in (repo / "train.ipynb").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "body",
    [{"commit": "not hex"}, {"commit": "f" * 40}, {"commit": 7}, {"path": "../x"}, {}],
)
async def test_bad_bring_backs_change_nothing(
    jp_fetch: Fetch, repo: Path, jp_root_dir: Path, body: Any
) -> None:
    before = state(repo, jp_root_dir)
    code, data = await call(jp_fetch, "runs/kept-outputs", {"path": "work", **body})
    assert 400 <= code < 500, data
    assert data["message"]
    assert state(repo, jp_root_dir) == before


async def test_restore_as_a_working_copy(
    jp_fetch: Fetch, repo: Path, snapshot: str, jp_root_dir: Path
) -> None:
    body = {"path": "work/train.ipynb", "commit": snapshot, "mode": "copy", "name": "owl"}
    code, data = await call(jp_fetch, "runs/restore", body)
    assert code == 201, data
    assert data["copy"] == "work/train-owl.ipynb"
    assert "lr = 0.01" in (jp_root_dir / data["copy"]).read_text(encoding="utf-8")
    code, again = await call(jp_fetch, "runs/restore", body)
    assert again["copy"] == "work/train-owl-2.ipynb"


async def test_a_double_click_on_restore_makes_one_branch(
    jp_fetch: Fetch, repo: Path, snapshot: str, run_git_cmd: Git
) -> None:
    """The branch named after the run: the second and third clicks use it again."""
    body = {"path": "work/train.ipynb", "commit": snapshot, "name": "owl", "run_id": "r1"}
    answers = await asyncio.gather(*(call(jp_fetch, "runs/restore", body) for _ in range(3)))
    assert [code for code, _ in answers] == [201, 201, 201], answers
    assert {data["branch"] for _, data in answers} == {"exp/owl"}
    assert sorted(data["reused"] for _, data in answers) == [False, True, True]
    assert len({data["commit"] for _, data in answers}) == 1
    assert run_git_cmd(repo, "for-each-ref", "--format=%(refname)", "refs/heads/exp") == (
        "refs/heads/exp/owl"
    )


async def test_a_branch_asked_for_by_name_twice_at_once_is_one_branch_and_a_clear_400(
    jp_fetch: Fetch, repo: Path, snapshot: str, run_git_cmd: Git
) -> None:
    body = {"path": "work/train.ipynb", "commit": snapshot, "branch": "exp/mine"}
    answers = await asyncio.gather(*(call(jp_fetch, "runs/restore", body) for _ in range(3)))
    assert sorted(code for code, _ in answers) == [201, 400, 400], answers
    assert all("already exists" in data["message"] for code, data in answers if code == 400)
    assert run_git_cmd(repo, "for-each-ref", "--format=%(refname)", "refs/heads/exp") == (
        "refs/heads/exp/mine"
    )


@pytest.mark.parametrize(
    "body",
    [
        {"mode": "teleport"},
        {"branch": "main"},
        {"branch": "exp/../x"},
        {"commit": "nope"},
        {"open_paths": ["../outside.ipynb"]},
        {"name": "x\x00y", "mode": "copy"},
    ],
)
async def test_bad_restores_change_nothing(
    jp_fetch: Fetch, repo: Path, snapshot: str, run_git_cmd: Git, jp_root_dir: Path, body: Any
) -> None:
    before = run_git_cmd(repo, "for-each-ref"), files(jp_root_dir)
    code, data = await call(
        jp_fetch, "runs/restore", {"path": "work/train.ipynb", "commit": snapshot, **body}
    )
    assert 400 <= code < 500, data
    assert (run_git_cmd(repo, "for-each-ref"), files(jp_root_dir)) == before
