"""``POST /jupyterlab-repro/init`` through a real Jupyter server."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from jupyterlab_repro.commit.gitignore import ML_GITIGNORE_RULES
from jupyterlab_repro.commit.init import INITIAL_COMMIT_MESSAGE

Git = Callable[..., str]
Fetch = Callable[..., Any]

RULES = [r for r in ML_GITIGNORE_RULES if not r.startswith("#")]


async def init(jp_fetch: Fetch, body: Any, expect: int = 201) -> dict[str, Any]:
    raw = body if isinstance(body, str) else json.dumps(body)
    response = await jp_fetch(
        "jupyterlab-repro", "init", method="POST", body=raw, raise_error=False
    )
    assert response.code == expect, response.body
    return json.loads(response.body)


def tree(path: Path) -> dict[str, bytes | None]:
    """Every entry below ``path`` with its bytes: the 'nothing changed' witness."""
    return {
        p.relative_to(path).as_posix(): None if p.is_dir() else p.read_bytes()
        for p in sorted(path.rglob("*"))
    }


def test_rules_cover_the_issue() -> None:
    assert set(RULES) == {
        "*.pt",
        "*.pth",
        "*.ckpt",
        "*.h5",
        "*.onnx",
        "*.safetensors",
        "mlruns/",
        "mlflow.db",
        "logs/",
        ".ipynb_checkpoints/",
        "__pycache__/",
        ".env",
    }


@pytest.mark.parametrize("name", ["project", "-x", "实验 1"])
async def test_init_creates_repository_gitignore_and_first_commit(
    jp_fetch: Fetch, jp_root_dir: Path, run_git_cmd: Git, name: str
) -> None:
    target = jp_root_dir / name
    target.mkdir()
    (target / "train.ipynb").write_text("{}\n", encoding="utf-8")
    (target / "model.pt").write_bytes(b"\0weights")
    report = await init(jp_fetch, {"path": name})

    assert report["path"] == name and report["reason"] is None
    repo = report["repository"]
    assert repo["root"] == name and repo["branch"] == "main"
    assert repo["head"]["subject"] == INITIAL_COMMIT_MESSAGE
    assert repo["head"]["sha"] == run_git_cmd(target, "rev-parse", "HEAD")
    # the notebook is untracked, the weights ignored: one untracked entry
    assert repo["changes"]["untracked"] == 1 and repo["changes"]["staged"] == 0

    assert run_git_cmd(target, "log", "--format=%s") == INITIAL_COMMIT_MESSAGE
    assert run_git_cmd(target, "ls-tree", "-r", "--name-only", "HEAD") == ".gitignore"
    lines = (target / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert set(RULES) <= set(lines)
    assert run_git_cmd(target, "check-ignore", "model.pt") == "model.pt"
    assert run_git_cmd(target, "log", "--format=%an <%ae>") == "Repro Tester <tester@example.com>"


async def test_init_the_server_root(jp_fetch: Fetch, jp_root_dir: Path) -> None:
    report = await init(jp_fetch, {})
    assert report["path"] == "" and report["repository"]["root"] == ""
    assert (jp_root_dir / ".git").is_dir()


async def test_init_keeps_an_existing_gitignore(
    jp_fetch: Fetch, jp_root_dir: Path, run_git_cmd: Git
) -> None:
    target = jp_root_dir / "p"
    target.mkdir()
    mine = "# my rules\ndata/\n*.pt\n.env"
    (target / ".gitignore").write_text(mine, encoding="utf-8")
    await init(jp_fetch, {"path": "p"})
    text = (target / ".gitignore").read_text(encoding="utf-8")
    assert text.startswith(mine + "\n")
    lines = text.splitlines()
    assert set(RULES) <= set(lines)
    assert lines.count("*.pt") == 1 and lines.count(".env") == 1  # no duplicates
    assert run_git_cmd(target, "show", "HEAD:.gitignore") == text.rstrip("\n")


async def test_init_refuses_an_existing_repository(
    jp_fetch: Fetch, jp_root_dir: Path, repo_at: Callable[..., Path], run_git_cmd: Git
) -> None:
    repo = repo_at(jp_root_dir / "existing", files={"sub/x.txt": "x\n"})
    head = run_git_cmd(repo, "rev-parse", "HEAD")
    before = tree(repo)
    for path in ("existing", "existing/sub"):
        body = await init(jp_fetch, {"path": path}, expect=409)
        assert body["reason"] == "repository-exists"
        assert "already inside a git repository" in body["message"]
    assert tree(repo) == before
    assert run_git_cmd(repo, "rev-parse", "HEAD") == head


async def test_init_refuses_an_unreadable_git_entry(jp_fetch: Fetch, jp_root_dir: Path) -> None:
    target = jp_root_dir / "odd"
    target.mkdir()
    (target / ".git").write_text("gitdir: /nowhere/at/all\n", encoding="utf-8")
    before = tree(target)
    body = await init(jp_fetch, {"path": "odd"}, expect=409)
    assert body["reason"] == "repository-exists"
    assert tree(target) == before


async def test_init_without_identity_is_refused_and_writes_nothing(
    jp_fetch: Fetch, jp_root_dir: Path, no_identity: None
) -> None:
    target = jp_root_dir / "anon"
    target.mkdir()
    (target / "nb.ipynb").write_text("{}\n", encoding="utf-8")
    before = tree(target)
    body = await init(jp_fetch, {"path": "anon"}, expect=409)
    assert body["reason"] == "identity-missing"
    assert "user.name" in body["message"]
    assert tree(target) == before
    assert not (target / ".git").exists()


async def test_init_with_identity_in_the_body(
    jp_fetch: Fetch, jp_root_dir: Path, no_identity: None, run_git_cmd: Git, isolated_git: Path
) -> None:
    target = jp_root_dir / "named"
    target.mkdir()
    global_before = isolated_git.read_bytes()
    report = await init(jp_fetch, {"path": "named", "name": "Ada", "email": "ada@example.org"})
    assert report["identity"] == {"name": "Ada", "email": "ada@example.org", "missing": False}
    assert report["repository"]["head"]["author_name"] == "Ada"
    assert run_git_cmd(target, "config", "--local", "user.name") == "Ada"
    assert run_git_cmd(target, "config", "--local", "user.email") == "ada@example.org"
    assert isolated_git.read_bytes() == global_before


@pytest.mark.parametrize(
    ("body", "expect", "reason"),
    [
        ({"path": "t", "name": "Ada"}, 400, "invalid-request"),
        ({"path": "t", "name": "Ada", "email": "nope"}, 400, "invalid-request"),
        ({"path": "t", "name": 3, "email": "a@example.org"}, 400, "invalid-request"),
        ({"path": 7}, 400, "invalid-request"),
        ({"path": "t/file.txt"}, 400, "invalid-request"),
        ("[]", 400, "invalid-request"),
        ("{broken", 400, "invalid-request"),
        ({"path": "../"}, 403, "path-outside-root"),
        ({"path": "/tmp"}, 403, "path-outside-root"),
        ({"path": "escape"}, 403, "path-outside-root"),
        ({"path": "t/missing"}, 404, "not-found"),
    ],
)
async def test_init_bad_input_changes_nothing(
    jp_fetch: Fetch,
    jp_root_dir: Path,
    tmp_path: Path,
    body: Any,
    expect: int,
    reason: str,
) -> None:
    (jp_root_dir / "t").mkdir()
    (jp_root_dir / "t" / "file.txt").write_text("f\n", encoding="utf-8")
    outside = tmp_path / "outside"
    outside.mkdir()
    (jp_root_dir / "escape").symlink_to(outside)
    before_root, before_outside = tree(jp_root_dir), tree(tmp_path / "outside")
    answer = await init(jp_fetch, body, expect=expect)
    assert answer["reason"] == reason and answer["message"]
    assert str(outside) not in answer["message"]
    assert tree(jp_root_dir) == before_root
    assert tree(outside) == before_outside
    assert not (tmp_path / ".git").exists()


async def test_init_failure_rolls_back_and_reports_git(
    jp_fetch: Fetch, jp_root_dir: Path, isolated_git: Path
) -> None:
    """A real git failure after ``git init`` (signing that cannot succeed): 500, nothing left."""
    with isolated_git.open("a", encoding="utf-8") as fh:
        fh.write("[commit]\n\tgpgsign = true\n[gpg]\n\tprogram = false\n")
    target = jp_root_dir / "signed"
    target.mkdir()
    (target / ".gitignore").write_text("keep me\n", encoding="utf-8")
    before = tree(target)
    body = await init(jp_fetch, {"path": "signed"}, expect=500)
    assert body["reason"] == "git-error"
    assert body["message"].startswith("git commit failed:")
    assert tree(target) == before


async def test_init_then_status_agree(jp_fetch: Fetch, jp_root_dir: Path) -> None:
    (jp_root_dir / "s").mkdir()
    created = await init(jp_fetch, {"path": "s"})
    response = await jp_fetch("jupyterlab-repro", "status", params={"path": "s"})
    assert json.loads(response.body) == created
