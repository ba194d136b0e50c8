"""Issue 22: no request writes anything in a git directory.

``POST export {output: "work/.git/hooks/x.py"}`` answered 200 and wrote into
the repository's ``.git``. The file door now refuses every write there
(export, the working copy of a restored run, ``.gitignore`` fixes, any
future writer), so each case below answers 403 ``inside-git-directory``
and the whole server root, ``.git`` folders included, is byte for byte as
it was. The CLI is the same core: exit 3 and one line.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from jupyterlab_repro import cli
from jupyterlab_repro.cli import base

Fetch = Callable[..., Any]
Git = Callable[..., str]


def notebook(source: str = "x = 1", metadata: dict[str, Any] | None = None) -> str:
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": 1,
                "id": "c0",
                "metadata": {"tags": ["export"]},
                "outputs": [],
                "source": [source],
            }
        ],
        "metadata": metadata or {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(nb, indent=1) + "\n"


def tree(top: Path) -> dict[str, str]:
    """Every entry below ``top`` (``.git`` folders included): content hash, ``dir`` or link target."""
    out: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(top):
        for name in [*dirnames, *filenames]:
            path = Path(dirpath, name)
            st = path.lstat()
            if stat.S_ISLNK(st.st_mode):
                kind = "link:" + os.readlink(path)
            elif stat.S_ISDIR(st.st_mode):
                kind = "dir"
            else:
                kind = (
                    f"{stat.S_IMODE(st.st_mode):o}:" + hashlib.sha256(path.read_bytes()).hexdigest()
                )
            out[path.relative_to(top).as_posix()] = kind
    return out


async def call(jp_fetch: Fetch, route: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = await jp_fetch(
        "jupyterlab-repro",
        *route.split("/"),
        method="POST",
        body=json.dumps(body),
        raise_error=False,
        request_timeout=30,
    )
    return response.code, json.loads(response.body)


@pytest.fixture
def root(jp_root_dir: Path, repo_at: Callable[..., Path], run_git_cmd: Git) -> Path:
    """A server root with the places a write must never reach.

    ``work`` (a repository with a notebook, a folder ``sub`` and a nested
    repository ``sub/inner``; ``.GIT`` and ``.Git`` folders, which are its
    ``.git`` on a case-insensitive file system; ``hooks``, a symlink to its
    ``.git/hooks``), ``linked`` (a work tree whose git directory is
    ``store/linked.git``, named by a ``gitdir:`` file) and ``origin.git`` (a
    bare repository).
    """
    work = repo_at(jp_root_dir / "work", files={"nb.ipynb": notebook()})
    (work / "sub").mkdir()
    repo_at(work / "sub" / "inner", files={"nb.ipynb": notebook()})
    for name in (".GIT", ".Git"):
        (work / name / "hooks").mkdir(parents=True)
    (work / "hooks").symlink_to(Path(".git") / "hooks", target_is_directory=True)
    linked = jp_root_dir / "linked"
    linked.mkdir()
    (jp_root_dir / "store").mkdir()
    run_git_cmd(
        linked, "init", "-q", "--separate-git-dir", str(jp_root_dir / "store" / "linked.git")
    )
    run_git_cmd(jp_root_dir, "init", "-q", "--bare", "origin.git")
    return jp_root_dir


OUTPUTS = [
    "work/.git/hooks/x.py",  # the finding
    "work/.git/x.py",
    "work/.GIT/hooks/x.py",
    "work/.Git/x.py",
    "work/./.git/x.py",
    "work/sub/../.git/x.py",
    "work/.git/hooks/x.py/",
    "work/sub/inner/.git/x.py",  # a .git at any depth
    "work/hooks/x.py",  # a symlink into .git
    "store/linked.git/x.py",  # a git directory by another name
    "store/linked.git/hooks/x.py",
    "origin.git/hooks/x.py",  # a bare repository
]


@pytest.mark.parametrize("output", OUTPUTS)
@pytest.mark.parametrize("dry_run", [False, True], ids=["write", "dry-run"])
async def test_export_into_a_git_directory_is_refused(
    jp_fetch: Fetch, root: Path, output: str, dry_run: bool
) -> None:
    before = tree(root)
    body = {"path": "work/nb.ipynb", "output": output, "force": True, "dry_run": dry_run}
    code, data = await call(jp_fetch, "export", body)
    assert code == 403, data
    assert data["reason"] == "inside-git-directory"
    assert "git directory" in data["message"] and str(root) not in data["message"]
    assert tree(root) == before


async def test_the_remembered_module_path_into_git_is_refused(
    jp_fetch: Fetch, root: Path, run_git_cmd: Git
) -> None:
    """``output`` omitted: the path in the notebook's metadata is held to the same rule."""
    meta = {"jupyterlab_repro": {"export": {"module": ".git/hooks/x.py"}}}
    (root / "work" / "nb.ipynb").write_text(notebook(metadata=meta), encoding="utf-8")
    before = tree(root)
    code, data = await call(jp_fetch, "export", {"path": "work/nb.ipynb"})
    assert code == 403, data
    assert data["reason"] == "inside-git-directory"
    assert tree(root) == before


async def test_export_beside_a_git_directory_still_works(jp_fetch: Fetch, root: Path) -> None:
    """Names that only look like git's are written as before."""
    for output in ("work/.github/x.py", "work/sub/git_tools.py", "work/.gitx.py"):
        (root / output).parent.mkdir(parents=True, exist_ok=True)
        code, data = await call(jp_fetch, "export", {"path": "work/nb.ipynb", "output": output})
        assert code == 200, (output, data)
        assert (root / output).is_file()


async def test_restoring_a_copy_inside_a_git_directory_is_refused(
    jp_fetch: Fetch, root: Path, repo_at: Callable[..., Path], run_git_cmd: Git
) -> None:
    """The working copy goes beside the notebook: here that is inside ``.git``."""
    nested = repo_at(root / "work" / ".git" / "nested", files={"nb.ipynb": notebook()})
    head = run_git_cmd(nested, "rev-parse", "HEAD")
    before = tree(root)
    body = {"path": "work/.git/nested/nb.ipynb", "commit": head, "mode": "copy", "name": "r1"}
    code, data = await call(jp_fetch, "runs/restore", body)
    assert code == 403, data
    assert data["reason"] == "inside-git-directory"
    assert tree(root) == before


@pytest.mark.parametrize(
    ("where", "body"),
    [
        ("snapshot", {"path": "work/.git/nested/nb.ipynb", "message": "m"}),
        ("snapshot", {"path": "work/.git/nested/nb.ipynb", "message": "m", "clear_outputs": True}),
        ("tags", {"path": "work/.git/nested", "name": "v1", "message": "m"}),
        ("guardrails/fix", {"path": "work/.git/nested", "action": "gitignore", "rules": ["*.pt"]}),
    ],
)
async def test_a_repository_inside_a_git_directory_is_not_written(
    jp_fetch: Fetch,
    root: Path,
    repo_at: Callable[..., Path],
    where: str,
    body: dict[str, Any],
) -> None:
    """Its commits, tags and files would all land in the outer ``.git``."""
    nested = repo_at(root / "work" / ".git" / "nested", files={"nb.ipynb": notebook()})
    (nested / "nb.ipynb").write_text(notebook("changed = 1"), encoding="utf-8")
    before = tree(root)
    code, data = await call(jp_fetch, where, body)
    assert code == 403, data
    assert data["reason"] == "inside-git-directory"
    assert tree(root) == before


async def test_init_inside_a_git_directory_is_refused(jp_fetch: Fetch, root: Path) -> None:
    (root / "work" / ".git" / "sub").mkdir()
    before = tree(root)
    code, data = await call(jp_fetch, "init", {"path": "work/.git/sub"})
    assert code == 403, data
    assert data["reason"] == "inside-git-directory"
    assert tree(root) == before


@pytest.mark.parametrize("output", [".git/x.py", ".git/hooks/x.py", ".GIT/x.py", "hooks/x.py"])
def test_the_cli_refuses_too(
    root: Path,
    output: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``jupyter repro export NB -o .git/x.py``: exit 3, one line, nothing written."""
    monkeypatch.chdir(root / "work")
    before = tree(root)
    assert cli.main(["export", "nb.ipynb", "-o", output]) == base.EXIT_ERROR
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and "git directory" in err, err
    assert err.startswith("jupyter repro: error: ")
    assert tree(root) == before
