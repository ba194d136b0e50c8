"""New tag and branch names that clash with existing refs: 4xx in every route, nothing changed.

One check (``git/refs.py``) serves ``POST tags`` and ``POST snapshot``; before
it, the same clash answered 500 in one route and 400 in the other, and a tag
called like a branch was created (shadowing it).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

Fetch = Callable[..., Any]
Git = Callable[..., str]

NOTEBOOK = {
    "cells": [
        {
            "cell_type": "code",
            "execution_count": None,
            "id": "c0",
            "metadata": {},
            "outputs": [],
            "source": ["x = 1"],
        }
    ],
    "metadata": {},
    "nbformat": 4,
    "nbformat_minor": 5,
}

#: (name, why it is refused) for tags; the repository has branch main, branch
#: exp/a/b, tag v1/rc and a remote-tracking ref origin/main.
TAG_CLASHES = [
    ("v1", "clashes"),  # v1/rc exists: v1 cannot be a file and a folder
    ("v1/rc", "already exists"),
    ("v1/rc/2", "clashes"),
    ("main", "shadow"),  # the branch main
    ("exp/a/b", "shadow"),  # the branch exp/a/b
    ("origin/main", "shadow"),  # the remote-tracking branch
    ("HEAD", "mistaken"),
    ("FETCH_HEAD", "mistaken"),
    ("refs/heads/main", "mistaken"),
    ("0123456789abcdef0123456789abcdef01234567", "mistaken"),
    ("x" * 600, "too long"),
    ("bad\x00name", "NUL"),
    ("-f", "Invalid tag name"),
    ("a..b", "Invalid tag name"),
]

BRANCH_CLASHES = [
    ("exp/a", "clashes"),  # exp/a/b exists
    ("exp/a/b", "already exists"),
    ("exp/a/b/c", "clashes"),
    ("exp/v1", None),  # fine: shown as a control
    ("v1/rc", "must start with 'exp/'"),
    ("exp/" + "x" * 600, "too long"),
]


@pytest.fixture
def repo(jp_root_dir: Path, repo_at: Callable[..., Path], run_git_cmd: Git) -> Path:
    repo = repo_at(jp_root_dir / "work")
    (repo / "nb.ipynb").write_text(json.dumps(NOTEBOOK, indent=1) + "\n", encoding="utf-8")
    run_git_cmd(repo, "branch", "exp/a/b")
    run_git_cmd(repo, "tag", "-a", "-m", "rc", "v1/rc")
    head = run_git_cmd(repo, "rev-parse", "HEAD")
    run_git_cmd(repo, "update-ref", "refs/remotes/origin/main", head)
    return repo


def _state(git: Git, repo: Path) -> tuple[str, str, bytes]:
    refs = git(repo, "for-each-ref", "--format=%(refname) %(objectname)")
    return refs, git(repo, "symbolic-ref", "HEAD"), (repo / ".git" / "index").read_bytes()


async def _post(jp_fetch: Fetch, route: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = await jp_fetch(
        "jupyterlab-repro", route, method="POST", body=json.dumps(body), raise_error=False
    )
    return response.code, json.loads(response.body)


@pytest.mark.parametrize(("name", "why"), TAG_CLASHES)
async def test_tags_route(
    jp_fetch: Fetch, repo: Path, run_git_cmd: Git, name: str, why: str
) -> None:
    before = _state(run_git_cmd, repo)
    code, body = await _post(jp_fetch, "tags", {"path": "work", "name": name, "message": "m"})
    assert code == 400, body
    assert body["reason"] == "invalid-request"
    assert why in body["message"]
    assert _state(run_git_cmd, repo) == before


@pytest.mark.parametrize(("name", "why"), TAG_CLASHES)
async def test_snapshot_route_tag(
    jp_fetch: Fetch, repo: Path, run_git_cmd: Git, name: str, why: str
) -> None:
    before = _state(run_git_cmd, repo)
    code, body = await _post(
        jp_fetch, "snapshot", {"path": "work/nb.ipynb", "message": "add nb", "tag": name}
    )
    assert code == 400, body
    assert why in body["message"]
    assert _state(run_git_cmd, repo) == before


@pytest.mark.parametrize(("name", "why"), BRANCH_CLASHES)
async def test_snapshot_route_branch(
    jp_fetch: Fetch, repo: Path, run_git_cmd: Git, name: str, why: str | None
) -> None:
    before = _state(run_git_cmd, repo)
    code, body = await _post(
        jp_fetch, "snapshot", {"path": "work/nb.ipynb", "message": "add nb", "branch": name}
    )
    if why is None:
        assert code == 200, body
        assert body["branch"] == name
        assert run_git_cmd(repo, "symbolic-ref", "--short", "HEAD") == name
        return
    assert code == 400, body
    assert why in body["message"]
    assert _state(run_git_cmd, repo) == before


async def test_a_fine_tag_is_still_created(jp_fetch: Fetch, repo: Path, run_git_cmd: Git) -> None:
    code, body = await _post(
        jp_fetch, "tags", {"path": "work", "name": "v2", "message": "top-1 acc 76.3%"}
    )
    assert code == 201, body
    assert body["name"] == "v2" and body["subject"] == "top-1 acc 76.3%"
    assert run_git_cmd(repo, "rev-parse", "v2^{commit}") == run_git_cmd(repo, "rev-parse", "HEAD")
