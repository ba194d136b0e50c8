"""Snapshot, changes, diff, guardrail fixes and tags through a real Jupyter server."""

from __future__ import annotations

import asyncio
import csv
import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from jupyterlab_repro.notebook.clean import clean_text

Git = Callable[..., str]
Fetch = Callable[..., Any]


async def api(
    jp_fetch: Fetch,
    endpoint: str,
    *,
    body: Any = None,
    params: dict[str, str] | None = None,
    expect: int = 200,
) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"raise_error": False}
    if body is not None:
        kwargs.update(method="POST", body=body if isinstance(body, str) else json.dumps(body))
    if params is not None:
        kwargs["params"] = params
    parts = endpoint.split("/")
    response = await jp_fetch("jupyterlab-repro", *parts, **kwargs)
    assert response.code == expect, response.body
    return json.loads(response.body)


def notebook(source: str = "x = 1", output: str = "1\n") -> bytes:
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": 1,
                "id": "c0",
                "metadata": {},
                "outputs": [{"name": "stdout", "output_type": "stream", "text": [output]}],
                "source": [source],
            }
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return (json.dumps(nb, indent=1) + "\n").encode()


def repo_state(root: Path) -> dict[str, Any]:
    def out(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True).stdout

    return {
        "head": out("rev-parse", "HEAD"),
        "symref": out("symbolic-ref", "-q", "HEAD"),
        "refs": out("for-each-ref"),
        "index": (root / ".git" / "index").read_bytes(),
        "files": {
            p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*"))
            if p.is_file() and p.relative_to(root).parts[0] != ".git"
        },
    }


@pytest.fixture
def proj(jp_root_dir: Path, repo_at: Callable[..., Path]) -> Path:
    """A repository below the server root with one notebook (with outputs) in it."""
    repo = repo_at(jp_root_dir / "proj")
    (repo / "a.ipynb").write_bytes(notebook())
    return repo


def hook(root: Path, name: str, script: str) -> None:
    path = root / ".git" / "hooks" / name
    path.write_text("#!/bin/sh\n" + script, encoding="utf-8")
    path.chmod(0o755)


# --------------------------------------------------------------------------
# snapshot


async def test_a_subject_too_long_for_a_line_is_a_400_that_commits_nothing(
    jp_fetch: Fetch, proj: Path, run_git_cmd: Git
) -> None:
    """2,255 characters pasted into the subject: refused, the body takes any length."""
    before = repo_state(proj)
    long = "tuned the learning rate " * 94  # 2,255 characters once joined
    data = await api(
        jp_fetch,
        "snapshot",
        body={"path": "proj/a.ipynb", "message": long.strip(), "type": "exp"},
        expect=400,
    )
    assert data["reason"] == "invalid-request"
    assert "2,260 characters long" in data["message"] and "in the body" in data["message"]
    assert repo_state(proj) == before
    subject = "x" * (200 - len("exp: "))
    done = await api(
        jp_fetch,
        "snapshot",
        body={"path": "proj/a.ipynb", "message": subject, "type": "exp", "body": long},
    )
    assert done["committed"] is True
    assert run_git_cmd(proj, "log", "-1", "--format=%s") == f"exp: {subject}"


async def test_snapshot(jp_fetch: Fetch, proj: Path, run_git_cmd: Git) -> None:
    result = await api(
        jp_fetch,
        "snapshot",
        body={"path": "proj/a.ipynb", "message": "try", "type": "exp", "body": "more"},
    )
    assert result["committed"] is True
    assert result["commit"] == run_git_cmd(proj, "rev-parse", "HEAD")
    assert result["message"] == "exp: try\n\nmore"
    assert result["branch"] == "main" and result["reason"] is None
    assert result["notebooks"] == [
        {"path": "a.ipynb", "changed_in_commit": True, "outputs_removed": 1, "warnings": []}
    ]
    assert result["working_copy_cleared"] == []
    assert (proj / "a.ipynb").read_bytes() == notebook()
    committed = run_git_cmd(proj, "cat-file", "blob", "HEAD:a.ipynb") + "\n"
    assert committed == clean_text(notebook())[0]

    again = await api(jp_fetch, "snapshot", body={"path": "proj/a.ipynb", "message": "again"})
    assert (again["committed"], again["reason"], again["commit"]) == (
        False,
        "nothing-to-commit",
        None,
    )
    assert run_git_cmd(proj, "rev-parse", "HEAD") == result["commit"]


async def test_snapshot_with_files_and_clear_outputs(
    jp_fetch: Fetch, proj: Path, run_git_cmd: Git
) -> None:
    (proj / "train.py").write_text("print(1)\n", encoding="utf-8")
    result = await api(
        jp_fetch,
        "snapshot",
        body={
            "path": "proj/a.ipynb",
            "message": "x",
            "files": ["proj/train.py"],
            "clear_outputs": True,
        },
    )
    assert result["files"] == ["train.py"]
    assert result["working_copy_cleared"] == ["a.ipynb"]
    assert (proj / "a.ipynb").read_text(encoding="utf-8") == clean_text(notebook())[0]
    assert run_git_cmd(proj, "status", "--porcelain") == ""


async def test_corpus_names_and_a_few_notebooks(
    jp_fetch: Fetch,
    jp_root_dir: Path,
    repo_at: Callable[..., Path],
    corpus_dir: Path,
    run_git_cmd: Git,
) -> None:
    repo = repo_at(jp_root_dir / "实验 repo")
    with (corpus_dir / "MANIFEST.tsv").open(encoding="utf-8", newline="") as fh:
        rows = [
            r
            for r in csv.DictReader(fh, delimiter="\t")
            if "/" not in r["file"] and r["valid"].startswith("yes") and int(r["bytes"]) < 50_000
        ]
    sources = [corpus_dir / r["file"] for r in rows[:4]]
    sources += sorted((corpus_dir / "names").glob("*.ipynb"))
    for source in sources:
        shutil.copyfile(source, repo / source.name)
        result = await api(
            jp_fetch, "snapshot", body={"path": f"实验 repo/{source.name}", "message": source.name}
        )
        assert result["committed"], source.name
        assert (repo / source.name).read_bytes() == source.read_bytes()
        blob = subprocess.run(
            ["git", "cat-file", "blob", f"HEAD:{source.name}"], cwd=repo, capture_output=True
        ).stdout
        assert blob == clean_text(source.read_bytes())[0].encode()
    assert run_git_cmd(repo, "diff", "--cached", "--name-only") == ""


async def test_malformed_notebooks_are_422_and_change_nothing(
    jp_fetch: Fetch, proj: Path, corpus_dir: Path
) -> None:
    files = sorted((corpus_dir / "malformed").glob("*.ipynb"))
    for source in files:
        shutil.copyfile(source, proj / source.name)
    before = repo_state(proj)
    for source in files:
        body = await api(
            jp_fetch,
            "snapshot",
            body={"path": f"proj/{source.name}", "message": "x"},
            expect=422,
        )
        assert body["reason"] == "notebook-invalid", source.name
        assert body["message"].strip()
        assert body["problems"] and all(isinstance(p, str) for p in body["problems"])
        assert repo_state(proj) == before


async def test_six_concurrent_requests_lose_nothing(
    jp_fetch: Fetch, proj: Path, run_git_cmd: Git
) -> None:
    start = run_git_cmd(proj, "rev-parse", "HEAD")
    names = [f"nb{i}.ipynb" for i in range(6)]
    for i, name in enumerate(names):
        (proj / name).write_bytes(notebook(f"x = {i}"))
    results = await asyncio.gather(
        *(api(jp_fetch, "snapshot", body={"path": f"proj/{n}", "message": n}) for n in names)
    )
    assert all(r["committed"] for r in results)
    chain = run_git_cmd(proj, "rev-list", "--parents", f"{start}..HEAD").splitlines()
    assert len(chain) == 6 and all(len(line.split()) == 2 for line in chain)
    assert {line.split()[0]: line.split()[1] for line in chain} == {
        r["commit"]: r["parent"] for r in results
    }
    assert set(names) <= set(run_git_cmd(proj, "ls-tree", "--name-only", "HEAD").splitlines())
    assert run_git_cmd(proj, "fsck", "--strict", "--no-progress") == ""
    assert run_git_cmd(proj, "diff", "--cached", "--name-only") == ""
    for i, name in enumerate(names):  # the working copies still have their outputs
        assert (proj / name).read_bytes() == notebook(f"x = {i}")


async def test_hook_rejection_is_422_with_output(jp_fetch: Fetch, proj: Path) -> None:
    hook(proj, "pre-commit", "echo 'nbqa: cell 3 fails flake8'\nexit 1\n")
    before = repo_state(proj)
    body = await api(
        jp_fetch, "snapshot", body={"path": "proj/a.ipynb", "message": "x"}, expect=422
    )
    assert body["reason"] == "hook-rejected"
    assert "pre-commit" in body["message"]
    assert "nbqa: cell 3 fails flake8" in body["output"]
    assert repo_state(proj) == before


async def test_missing_identity_is_409(
    jp_fetch: Fetch, proj: Path, request: pytest.FixtureRequest
) -> None:
    request.getfixturevalue("no_identity")
    before = repo_state(proj)
    body = await api(
        jp_fetch, "snapshot", body={"path": "proj/a.ipynb", "message": "x"}, expect=409
    )
    assert body["reason"] == "identity-missing"
    assert repo_state(proj) == before


async def test_index_lock_is_409_busy(jp_fetch: Fetch, proj: Path) -> None:
    (proj / ".git" / "index.lock").write_bytes(b"")
    before = repo_state(proj)
    body = await api(
        jp_fetch, "snapshot", body={"path": "proj/a.ipynb", "message": "x"}, expect=409
    )
    assert body["reason"] == "git-busy"
    assert "another git operation" in body["message"].lower()
    assert repo_state(proj) == before


@pytest.mark.parametrize("branch", ["exp/..", "main", "-x", "exp/old", "exp/old/x", "wip"])
async def test_invalid_branch_is_400(
    jp_fetch: Fetch, proj: Path, run_git_cmd: Git, branch: str
) -> None:
    run_git_cmd(proj, "branch", "exp/old")
    before = repo_state(proj)
    body = await api(
        jp_fetch,
        "snapshot",
        body={"path": "proj/a.ipynb", "message": "x", "branch": branch},
        expect=400,
    )
    assert body["reason"] == "invalid-request" and "branch" in body["message"]
    assert repo_state(proj) == before


async def test_branch_and_tag(jp_fetch: Fetch, proj: Path, run_git_cmd: Git) -> None:
    main = run_git_cmd(proj, "rev-parse", "main")
    result = await api(
        jp_fetch,
        "snapshot",
        body={
            "path": "proj/a.ipynb",
            "message": "lr sweep",
            "branch": "exp/lr",
            "tag": "lr-1",
            "tag_message": "acc 0.93",
        },
    )
    assert result["branch"] == "exp/lr" and result["tag"] == "lr-1"
    assert run_git_cmd(proj, "symbolic-ref", "HEAD") == "refs/heads/exp/lr"
    assert run_git_cmd(proj, "rev-parse", "main") == main
    listed = await api(jp_fetch, "tags", params={"path": "proj"})
    assert [(t["name"], t["commit"], t["subject"], t["annotated"]) for t in listed["tags"]] == [
        ("lr-1", result["commit"], "acc 0.93", True)
    ]
    # An existing tag is refused before anything is committed.
    (proj / "a.ipynb").write_bytes(notebook("x = 2"))
    before = repo_state(proj)
    body = await api(
        jp_fetch,
        "snapshot",
        body={"path": "proj/a.ipynb", "message": "y", "tag": "lr-1"},
        expect=400,
    )
    assert "already exists" in body["message"]
    assert repo_state(proj) == before


async def test_bad_snapshot_requests(
    jp_fetch: Fetch, proj: Path, jp_root_dir: Path, tmp_path: Path
) -> None:
    (tmp_path / "secret.txt").write_text("s", encoding="utf-8")
    before = repo_state(proj)
    cases: list[tuple[Any, int]] = [
        ("not json", 400),
        ([1, 2], 400),
        ({"path": "proj/a.ipynb"}, 400),  # no message
        ({"path": "proj/a.ipynb", "message": " "}, 400),
        ({"path": "proj/a.ipynb", "message": "x", "clear_outputs": "yes"}, 400),
        ({"path": "proj/a.ipynb", "message": "x", "files": "train.py"}, 400),
        ({"path": "proj/a.ipynb", "message": "x", "type": "wip"}, 400),
        ({"path": "proj", "message": "x"}, 400),
        ({"path": 3, "message": "x"}, 400),
        ({"path": "proj/missing.ipynb", "message": "x"}, 404),
        ({"path": "../a.ipynb", "message": "x"}, 403),
        ({"path": "proj/a.ipynb", "message": "x", "files": ["../secret.txt"]}, 403),
    ]
    for body, status in cases:
        answer = await api(jp_fetch, "snapshot", body=body, expect=status)
        assert answer["message"], body
    assert repo_state(proj) == before


# --------------------------------------------------------------------------
# guardrails


async def test_guardrail_refusal_and_gitignore_fix(
    jp_fetch: Fetch, proj: Path, run_git_cmd: Git
) -> None:
    (proj / "model.pt").write_bytes(b"weights")
    before = repo_state(proj)
    body = await api(
        jp_fetch,
        "snapshot",
        body={"path": "proj/a.ipynb", "message": "x", "files": ["proj/model.pt"]},
        expect=409,
    )
    assert body["reason"] == "guardrail"
    assert body["violations"] == [
        {
            "path": "model.pt",
            "kind": "model weights",
            "size": 7,
            "rule": "*.pt",
            "lfs_possible": True,
        }
    ]
    assert repo_state(proj) == before

    changes = await api(jp_fetch, "changes", params={"path": "proj"})
    files = {f["path"]: f for f in changes["files"]}
    assert files["model.pt"]["violation"]["rule"] == "*.pt"
    assert files["model.pt"]["server_path"] == "proj/model.pt"
    assert files["a.ipynb"]["classification"] == "source"
    assert changes["root"] == "proj" and isinstance(changes["lfs_available"], bool)

    fixed = await api(
        jp_fetch, "guardrails/fix", body={"path": "proj", "action": "gitignore", "rules": ["*.pt"]}
    )
    assert "*.pt" in fixed["added"]
    files = {f["path"] for f in (await api(jp_fetch, "changes", params={"path": "proj"}))["files"]}
    assert "model.pt" not in files and ".gitignore" in files


async def test_lfs_fix(jp_fetch: Fetch, proj: Path, run_git_cmd: Git) -> None:
    if subprocess.run(["git", "lfs", "version"], capture_output=True).returncode != 0:
        pytest.skip("git-lfs is not installed (`git lfs version` failed)")
    (proj / "model.pt").write_bytes(b"weights" * 100)
    fixed = await api(
        jp_fetch,
        "guardrails/fix",
        body={"path": "proj/a.ipynb", "action": "lfs", "rules": ["*.pt"]},
    )
    assert fixed == {"tracked": ["*.pt"]}
    changes = await api(jp_fetch, "changes", params={"path": "proj"})
    assert changes["lfs_available"] is True
    assert {f["path"]: f["violation"] for f in changes["files"]}["model.pt"] is None
    result = await api(
        jp_fetch,
        "snapshot",
        body={
            "path": "proj/a.ipynb",
            "message": "weights via lfs",
            "files": ["proj/model.pt", "proj/.gitattributes"],
        },
    )
    assert result["committed"]
    pointer = run_git_cmd(proj, "cat-file", "blob", "HEAD:model.pt")
    assert pointer.startswith("version https://git-lfs.github.com/spec/v1")


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"path": "proj", "action": "delete", "rules": ["*.pt"]}, 400),
        ({"path": "proj", "action": "gitignore", "rules": ["!*.pt"]}, 400),
        ({"path": "proj", "action": "gitignore", "rules": ["a\nb"]}, 400),
        ({"path": "proj", "action": "gitignore", "rules": [" "]}, 400),
        ({"path": "proj", "action": "gitignore", "rules": "*.pt"}, 400),
        ({"path": "..", "action": "gitignore", "rules": ["*.pt"]}, 403),
        ({"path": "plain", "action": "gitignore", "rules": ["*.pt"]}, 409),
    ],
)
async def test_bad_fix_requests(
    jp_fetch: Fetch, proj: Path, jp_root_dir: Path, body: dict[str, Any], status: int
) -> None:
    (jp_root_dir / "plain").mkdir()
    before = repo_state(proj)
    answer = await api(jp_fetch, "guardrails/fix", body=body, expect=status)
    assert answer["message"]
    assert repo_state(proj) == before
    assert not (jp_root_dir / "plain" / ".gitignore").exists()


# --------------------------------------------------------------------------
# changes, diff, tags


async def test_changes_classifications_and_cache(
    jp_fetch: Fetch, proj: Path, run_git_cmd: Git, jp_serverapp: Any
) -> None:
    await api(jp_fetch, "snapshot", body={"path": "proj/a.ipynb", "message": "x"})
    (proj / "b.ipynb").write_text("{broken", encoding="utf-8")
    (proj / "a.ipynb").write_bytes(notebook(output="new output"))
    first = await api(jp_fetch, "changes", params={"path": "proj/a.ipynb"})
    files = {f["path"]: f for f in first["files"]}
    assert files["a.ipynb"]["classification"] == "outputs-only"
    assert files["b.ipynb"]["classification"] == "invalid" and files["b.ipynb"]["error"]
    cache = jp_serverapp.web_app.settings["jupyterlab_repro"]["classifications"]
    hits = cache.hits
    assert await api(jp_fetch, "changes", params={"path": "proj"}) == first
    assert cache.hits == hits + 1


async def test_changes_errors(jp_fetch: Fetch, jp_root_dir: Path) -> None:
    (jp_root_dir / "plain").mkdir()
    body = await api(jp_fetch, "changes", params={"path": "plain"}, expect=409)
    assert body["reason"] == "not-a-repository"
    assert (await api(jp_fetch, "changes", params={"path": "../"}, expect=403))["reason"] == (
        "path-outside-root"
    )


async def test_diff(jp_fetch: Fetch, proj: Path, run_git_cmd: Git) -> None:
    first = (await api(jp_fetch, "snapshot", body={"path": "proj/a.ipynb", "message": "1"}))[
        "commit"
    ]
    (proj / "a.ipynb").write_bytes(notebook("x = 2", output="other"))
    data = await api(jp_fetch, "diff", params={"path": "proj/a.ipynb"})
    assert (data["path"], data["from"], data["to"]) == ("a.ipynb", "HEAD", None)
    assert "-x = 1" in data["text"] and "+x = 2" in data["text"] and "other" not in data["text"]
    second = (await api(jp_fetch, "snapshot", body={"path": "proj/a.ipynb", "message": "2"}))[
        "commit"
    ]
    between = await api(
        jp_fetch, "diff", params={"path": "proj/a.ipynb", "from": first, "to": second}
    )
    assert between["text"] == data["text"]
    same = await api(jp_fetch, "diff", params={"path": "proj/a.ipynb"})
    assert same["has_changes"] is False

    for params, status in [
        ({"path": "proj/a.ipynb", "from": "nope"}, 400),
        ({"path": "proj/a.ipynb", "to": "--output=x"}, 400),
        ({"path": "proj"}, 400),
        ({"path": "../a.ipynb"}, 403),
        ({"path": "/etc/passwd"}, 403),
        ({"path": "proj/ghost.ipynb"}, 404),
    ]:
        body = await api(jp_fetch, "diff", params=params, expect=status)
        assert body["message"], params


async def test_tags_api(jp_fetch: Fetch, proj: Path, run_git_cmd: Git) -> None:
    head = run_git_cmd(proj, "rev-parse", "HEAD")
    assert (await api(jp_fetch, "tags", params={"path": "proj"})) == {"tags": []}
    created = await api(
        jp_fetch,
        "tags",
        body={"path": "proj", "name": "best", "message": "acc 0.97\n\nseed 1"},
        expect=201,
    )
    assert (created["name"], created["commit"], created["subject"], created["body"]) == (
        "best",
        head,
        "acc 0.97",
        "seed 1",
    )
    listed = await api(jp_fetch, "tags", params={"path": "proj/a.ipynb"})
    assert listed["tags"] == [created]
    before = repo_state(proj)
    for body, status in [
        ({"path": "proj", "name": "best", "message": "m"}, 400),
        ({"path": "proj", "name": "-x", "message": "m"}, 400),
        ({"path": "proj", "name": "ok", "message": ""}, 400),
        ({"path": "proj", "name": "ok", "message": "m", "rev": "nope"}, 400),
        ({"path": "proj", "name": 1, "message": "m"}, 400),
        ({"path": "../", "name": "ok", "message": "m"}, 403),
    ]:
        answer = await api(jp_fetch, "tags", body=body, expect=status)
        assert answer["message"]
    assert repo_state(proj) == before
