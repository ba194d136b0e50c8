"""``GET /jupyterlab-repro/status`` and ``/identity`` through a real Jupyter server."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from jupyter_server.utils import url_path_join
from tornado.httpclient import HTTPResponse

from jupyterlab_repro import __version__

Git = Callable[..., str]
Fetch = Callable[..., Any]


async def status(jp_fetch: Fetch, path: str, expect: int = 200) -> dict[str, Any]:
    response = await jp_fetch(
        "jupyterlab-repro", "status", params={"path": path}, raise_error=False
    )
    assert response.code == expect, response.body
    return json.loads(response.body)


def commit_file(repo: Path, git: Git, name: str, text: str = "x\n") -> None:
    (repo / name).write_text(text, encoding="utf-8")
    git(repo, "add", "--", name)
    git(repo, "commit", "--quiet", "-m", f"add {name}")


# --- repository facts --------------------------------------------------------


async def test_clean_repository(
    jp_fetch: Fetch, jp_root_dir: Path, repo_at: Callable[..., Path], run_git_cmd: Git
) -> None:
    repo = repo_at(jp_root_dir / "clean")
    report = await status(jp_fetch, "clean")
    assert report["version"] == __version__
    assert (report["path"], report["kind"], report["directory"]) == ("clean", "directory", "clean")
    assert report["reason"] is None
    assert report["identity"] == {
        "name": "Repro Tester",
        "email": "tester@example.com",
        "missing": False,
    }
    r = report["repository"]
    assert r["root"] == "clean" and r["contains_server_root"] is False
    assert (r["branch"], r["detached"], r["has_commits"]) == ("main", False, True)
    assert (r["upstream"], r["ahead"], r["behind"]) == (None, None, None)
    assert r["dirty"] is False
    assert r["changes"] == {
        "staged": 0,
        "unstaged": 0,
        "untracked": 0,
        "conflicted": 0,
        "dirty": False,
    }
    assert r["file_state"] is None
    head = r["head"]
    assert set(head) == {
        "sha",
        "short_sha",
        "subject",
        "author_name",
        "author_email",
        "authored_at",
        "committed_at",
    }
    assert head["sha"] == run_git_cmd(repo, "rev-parse", "HEAD")
    assert head["subject"] == "feat: first commit"
    assert head["author_email"] == "tester@example.com"
    assert str(jp_root_dir) not in json.dumps(report)  # only paths relative to the root


async def test_dirty_repository(
    jp_fetch: Fetch, jp_root_dir: Path, repo_at: Callable[..., Path], run_git_cmd: Git
) -> None:
    repo = repo_at(jp_root_dir / "dirty", files={"a.txt": "a\n", "b.txt": "b\n"})
    (repo / "a.txt").write_text("modified\n", encoding="utf-8")
    (repo / "b.txt").write_text("staged\n", encoding="utf-8")
    run_git_cmd(repo, "add", "b.txt")
    (repo / "c.txt").write_text("new\n", encoding="utf-8")
    (repo / "d.txt").write_text("new\n", encoding="utf-8")
    r = (await status(jp_fetch, "dirty"))["repository"]
    assert r["changes"] == {
        "staged": 1,
        "unstaged": 1,
        "untracked": 2,
        "conflicted": 0,
        "dirty": True,
    }
    assert r["dirty"] is True


async def test_detached_head(
    jp_fetch: Fetch, jp_root_dir: Path, repo_at: Callable[..., Path], run_git_cmd: Git
) -> None:
    repo = repo_at(jp_root_dir / "det")
    commit_file(repo, run_git_cmd, "second.txt")
    run_git_cmd(repo, "checkout", "--quiet", "HEAD~1")
    r = (await status(jp_fetch, "det"))["repository"]
    assert (r["branch"], r["detached"]) == (None, True)
    assert r["head"]["subject"] == "feat: first commit"


async def test_repository_without_commits(
    jp_fetch: Fetch, jp_root_dir: Path, repo_at: Callable[..., Path]
) -> None:
    repo_at(jp_root_dir / "fresh", commit=False)
    report = await status(jp_fetch, "fresh")
    assert report["reason"] == "no-commits"
    r = report["repository"]
    assert (r["has_commits"], r["head"], r["branch"], r["root"]) == (False, None, "main", "fresh")
    assert r["changes"]["untracked"] == 1


async def test_folder_outside_any_repository(jp_fetch: Fetch, jp_root_dir: Path) -> None:
    (jp_root_dir / "plain" / "deep").mkdir(parents=True)
    report = await status(jp_fetch, "plain/deep")
    assert report["repository"] is None
    assert report["reason"] == "not-a-repository"
    assert report["path"] == "plain/deep"
    root_report = await status(jp_fetch, "")
    assert (root_report["path"], root_report["directory"]) == ("", "")
    assert root_report["reason"] == "not-a-repository"


async def test_nested_subfolder_reports_root_relative(
    jp_fetch: Fetch, jp_root_dir: Path, repo_at: Callable[..., Path]
) -> None:
    repo_at(jp_root_dir / "group" / "proj", files={"src/models/m.py": "x = 1\n"})
    report = await status(jp_fetch, "group/proj/src/models")
    assert report["directory"] == "group/proj/src/models"
    assert report["repository"]["root"] == "group/proj"


async def test_notebook_file_state(
    jp_fetch: Fetch, jp_root_dir: Path, repo_at: Callable[..., Path]
) -> None:
    repo = repo_at(jp_root_dir / "nbs", files={"exp/train.ipynb": "{}\n", "other.ipynb": "{}\n"})
    (repo / "exp" / "train.ipynb").write_text('{"cells": []}\n', encoding="utf-8")
    (repo / "exp" / "new.ipynb").write_text("{}\n", encoding="utf-8")
    report = await status(jp_fetch, "nbs/exp/train.ipynb")
    assert (report["kind"], report["path"], report["directory"]) == (
        "file",
        "nbs/exp/train.ipynb",
        "nbs/exp",
    )
    assert report["repository"]["file_state"] == "modified"
    assert (await status(jp_fetch, "nbs/exp/new.ipynb"))["repository"]["file_state"] == "untracked"
    assert (await status(jp_fetch, "nbs/other.ipynb"))["repository"]["file_state"] == "unmodified"


async def test_upstream_ahead_and_behind(
    jp_fetch: Fetch,
    jp_root_dir: Path,
    tmp_path: Path,
    repo_at: Callable[..., Path],
    run_git_cmd: Git,
) -> None:
    repo = repo_at(jp_root_dir / "tracked")
    remote = tmp_path / "remote.git"
    run_git_cmd(tmp_path, "init", "--quiet", "--bare", str(remote))
    run_git_cmd(repo, "remote", "add", "origin", str(remote))
    run_git_cmd(repo, "push", "--quiet", "-u", "origin", "main")
    commit_file(repo, run_git_cmd, "local.txt")
    r = (await status(jp_fetch, "tracked"))["repository"]
    assert (r["upstream"], r["ahead"], r["behind"]) == ("origin/main", 1, 0)

    clone = tmp_path / "clone"
    run_git_cmd(tmp_path, "clone", "--quiet", str(remote), str(clone))
    commit_file(clone, run_git_cmd, "remote.txt")
    run_git_cmd(clone, "push", "--quiet")
    run_git_cmd(repo, "fetch", "--quiet")
    r = (await status(jp_fetch, "tracked"))["repository"]
    assert (r["ahead"], r["behind"]) == (1, 1)


async def test_repository_above_the_server_root(
    jp_fetch: Fetch, jp_root_dir: Path, tmp_path: Path, run_git_cmd: Git
) -> None:
    outer = tmp_path  # jp_root_dir lies inside it
    run_git_cmd(outer, "init", "--quiet")
    (outer / "outside-secret.txt").write_text("s\n", encoding="utf-8")
    run_git_cmd(outer, "add", "outside-secret.txt")
    run_git_cmd(outer, "commit", "--quiet", "-m", "outer commit")
    (jp_root_dir / "nb.ipynb").write_text("{}\n", encoding="utf-8")
    report = await status(jp_fetch, "nb.ipynb")
    r = report["repository"]
    assert r["root"] is None and r["contains_server_root"] is True
    assert r["head"]["subject"] == "outer commit"
    assert r["file_state"] == "untracked"
    assert str(tmp_path) not in json.dumps(report)


@pytest.mark.parametrize("name", ["-x", "实验 1", "a&b=c #1%+ x"])
async def test_unusual_names(
    jp_fetch: Fetch, jp_root_dir: Path, repo_at: Callable[..., Path], run_git_cmd: Git, name: str
) -> None:
    repo = repo_at(jp_root_dir / name, files={f"{name}.ipynb": "{}\n", "sub/x": "x"})
    (repo / f"{name}.ipynb").write_text("{ }\n", encoding="utf-8")
    report = await status(jp_fetch, f"{name}/{name}.ipynb")
    assert report["path"] == f"{name}/{name}.ipynb"
    assert report["directory"] == name
    assert report["repository"]["root"] == name
    assert report["repository"]["file_state"] == "modified"
    assert (await status(jp_fetch, f"{name}/sub"))["repository"]["root"] == name


async def test_concurrent_requests(
    jp_fetch: Fetch, jp_root_dir: Path, repo_at: Callable[..., Path]
) -> None:
    repo = repo_at(jp_root_dir / "busy")
    (repo / "u.txt").write_text("u\n", encoding="utf-8")
    (jp_root_dir / "plain").mkdir()
    paths = ["busy", "plain"] * 5
    reports = await asyncio.gather(*(status(jp_fetch, p) for p in paths))
    assert len(reports) == 10
    for path, report in zip(paths, reports, strict=True):
        assert report["path"] == path
        if path == "busy":
            assert report["repository"]["changes"]["untracked"] == 1
        else:
            assert report["reason"] == "not-a-repository"


# --- errors and confinement --------------------------------------------------


async def test_missing_path_is_404(jp_fetch: Fetch) -> None:
    body = await status(jp_fetch, "nope/x.ipynb", expect=404)
    assert body["reason"] == "not-found"
    assert "nope/x.ipynb" in body["message"]


@pytest.mark.parametrize("path", ["..", "../secret", "a/../..", "/etc", "/", "C:\\x"])
async def test_paths_outside_the_root_are_refused(
    jp_fetch: Fetch, jp_root_dir: Path, tmp_path: Path, path: str
) -> None:
    (tmp_path / "secret").mkdir()
    (tmp_path / "secret" / "token.txt").write_text("hunter2", encoding="utf-8")
    body = await status(jp_fetch, path, expect=403)
    assert body["reason"] == "path-outside-root"
    assert str(tmp_path) not in body["message"]
    assert "hunter2" not in json.dumps(body)


async def test_symlink_out_of_the_root_is_refused(
    jp_fetch: Fetch, jp_root_dir: Path, tmp_path: Path, repo_at: Callable[..., Path]
) -> None:
    """A symlink to a repository outside: no status, nothing about it in the answer."""
    outside = repo_at(tmp_path / "private", files={"secret.txt": "hunter2"})
    (jp_root_dir / "escape").symlink_to(outside)
    (jp_root_dir / "escape-file").symlink_to(outside / "secret.txt")
    for path in ("escape", "escape/secret.txt", "escape-file"):
        body = await status(jp_fetch, path, expect=403)
        assert body["reason"] == "path-outside-root"
        text = json.dumps(body)
        assert "private" not in text and "hunter2" not in text and "main" not in text


async def test_symlink_inside_the_root_is_followed(
    jp_fetch: Fetch, jp_root_dir: Path, repo_at: Callable[..., Path]
) -> None:
    repo_at(jp_root_dir / "real")
    (jp_root_dir / "alias").symlink_to(jp_root_dir / "real")
    report = await status(jp_fetch, "alias")
    assert report["path"] == "real" and report["repository"]["root"] == "real"


async def test_git_failure_maps_to_a_clear_message(
    jp_fetch: Fetch, jp_root_dir: Path, repo_at: Callable[..., Path]
) -> None:
    repo = repo_at(jp_root_dir / "broken")
    (repo / ".git" / "index").write_bytes(b"not an index")
    body = await status(jp_fetch, "broken", expect=500)
    assert body["reason"] == "git-error"
    assert body["message"].startswith("git status failed: fatal: ")
    assert "index" in body["message"]


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0,
    reason="needs root to make a repository owned by another user",
)
async def test_repository_owned_by_another_user(
    jp_fetch: Fetch, jp_root_dir: Path, repo_at: Callable[..., Path]
) -> None:
    repo = repo_at(jp_root_dir / "foreign")
    for entry in [repo, *repo.rglob("*")]:
        os.lchown(entry, 4242, -1)
    body = await status(jp_fetch, "foreign", expect=409)
    assert body["reason"] == "unsafe-repository"
    assert "safe.directory" in body["message"]


class TestUntrustedRepository:
    async def test_a_poll_never_runs_the_repositorys_fsmonitor(
        self,
        jp_fetch: Fetch,
        jp_root_dir: Path,
        repo_at: Callable[..., Path],
        run_git_cmd: Git,
        tmp_path: Path,
    ) -> None:
        """A shared or crafted repository names a program as its fsmonitor: polls ignore it.

        (Slow git and the 504 it gives: tests/faults/test_deadlines.py.)
        """
        repo = repo_at(jp_root_dir / "shared")
        marker = tmp_path / "fsmonitor-ran"
        run_git_cmd(repo, "config", "core.fsmonitor", f"touch {marker}; false")
        (repo / "new.txt").write_text("x\n", encoding="utf-8")
        body = await status(jp_fetch, "shared")
        assert body["repository"]["changes"]["untracked"] == 1
        for route in ("changes", "diff"):
            params = {"path": "shared"} if route == "changes" else {"path": "shared/README.md"}
            response = await jp_fetch("jupyterlab-repro", route, params=params, raise_error=False)
            assert response.code < 500, response.body
        assert not marker.exists()


# --- authentication ----------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "endpoint", "body"),
    [
        ("GET", "status", None),
        ("GET", "identity", None),
        ("POST", "identity", {"path": "", "name": "X", "email": "x@example.org"}),
        ("POST", "init", {"path": "target"}),
    ],
)
async def test_requests_without_credentials_are_refused(
    http_server_client: Any,
    jp_base_url: str,
    jp_root_dir: Path,
    isolated_git: Path,
    method: str,
    endpoint: str,
    body: dict[str, Any] | None,
) -> None:
    (jp_root_dir / "target").mkdir()
    before = isolated_git.read_bytes()
    url = url_path_join(jp_base_url, "jupyterlab-repro", endpoint) + "?" + urlencode({"path": ""})
    response: HTTPResponse = await http_server_client.fetch(
        url,
        method=method,
        body=None if body is None else json.dumps(body),
        raise_error=False,
        follow_redirects=False,
    )
    assert response.code == 403
    assert b"Repro Tester" not in response.body
    assert not (jp_root_dir / "target" / ".git").exists()
    assert isolated_git.read_bytes() == before


# --- identity ----------------------------------------------------------------


async def identity(jp_fetch: Fetch, expect: int = 200, **body: Any) -> dict[str, Any]:
    if body:
        response = await jp_fetch(
            "jupyterlab-repro", "identity", method="POST", body=json.dumps(body), raise_error=False
        )
    else:
        response = await jp_fetch("jupyterlab-repro", "identity", raise_error=False)
    assert response.code == expect, response.body
    return json.loads(response.body)


async def test_identity_get(jp_fetch: Fetch) -> None:
    assert await identity(jp_fetch) == {
        "name": "Repro Tester",
        "email": "tester@example.com",
        "missing": False,
    }


async def test_identity_get_missing(jp_fetch: Fetch, no_identity: None) -> None:
    assert await identity(jp_fetch) == {"name": None, "email": None, "missing": True}


async def test_identity_post_repository_scope(
    jp_fetch: Fetch,
    jp_root_dir: Path,
    repo_at: Callable[..., Path],
    run_git_cmd: Git,
    isolated_git: Path,
) -> None:
    repo = repo_at(jp_root_dir / "实验 1", files={"nb.ipynb": "{}"})
    global_before = isolated_git.read_bytes()
    got = await identity(jp_fetch, path="实验 1/nb.ipynb", name="Ada", email="ada@example.org")
    assert got == {"name": "Ada", "email": "ada@example.org", "missing": False}
    assert run_git_cmd(repo, "config", "--local", "user.name") == "Ada"
    assert isolated_git.read_bytes() == global_before
    response = await jp_fetch(
        "jupyterlab-repro", "identity", params={"path": "实验 1"}, raise_error=False
    )
    assert json.loads(response.body)["name"] == "Ada"


async def test_identity_post_global_scope(
    jp_fetch: Fetch, isolated_git: Path, no_identity: None
) -> None:
    got = await identity(jp_fetch, path="", name="Grace", email="grace@example.org", scope="global")
    assert got["missing"] is False
    assert "grace@example.org" in isolated_git.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("body", "expect", "reason"),
    [
        ({"path": "r", "name": "A", "email": "not-an-email"}, 400, "invalid-request"),
        ({"path": "r", "name": "", "email": "a@example.org"}, 400, "invalid-request"),
        (
            {"path": "r", "name": "A", "email": "a@example.org", "scope": "x"},
            400,
            "invalid-request",
        ),
        ({"path": "r", "name": 1, "email": "a@example.org"}, 400, "invalid-request"),
        ({"path": "r", "email": "a@example.org"}, 400, "invalid-request"),
        ({"path": ["r"], "name": "A", "email": "a@example.org"}, 400, "invalid-request"),
        ({"path": "r\x00", "name": "A", "email": "a@example.org"}, 400, "invalid-request"),
        ({"path": "../", "name": "A", "email": "a@example.org"}, 403, "path-outside-root"),
        ({"path": "gone", "name": "A", "email": "a@example.org"}, 404, "not-found"),
        ({"path": "plain", "name": "A", "email": "a@example.org"}, 409, "not-a-repository"),
    ],
)
async def test_identity_post_bad_input_changes_nothing(
    jp_fetch: Fetch,
    jp_root_dir: Path,
    repo_at: Callable[..., Path],
    isolated_git: Path,
    body: dict[str, Any],
    expect: int,
    reason: str,
) -> None:
    repo = repo_at(jp_root_dir / "r")
    (jp_root_dir / "plain").mkdir()
    config_before = (repo / ".git" / "config").read_bytes()
    global_before = isolated_git.read_bytes()
    answer = await identity(jp_fetch, expect=expect, **body)
    assert answer["reason"] == reason
    assert answer["message"]
    assert (repo / ".git" / "config").read_bytes() == config_before
    assert isolated_git.read_bytes() == global_before


async def test_identity_post_body_must_be_a_json_object(jp_fetch: Fetch) -> None:
    for raw in ("[1, 2]", "{not json", "\xff"):
        response = await jp_fetch(
            "jupyterlab-repro", "identity", method="POST", body=raw, raise_error=False
        )
        assert response.code == 400
        assert json.loads(response.body)["reason"] == "invalid-request"


async def test_the_demo_notebook_opened_in_the_lab_is_outputs_only(
    jp_fetch: Fetch, jp_root_dir: Path, run_git_cmd: Git
) -> None:
    """The lab writes the kernel's language_info (then outputs): a snapshot would commit nothing."""
    import importlib.util

    import nbformat

    script = Path(__file__).resolve().parents[2] / "demo" / "make_workspace.py"
    spec = importlib.util.spec_from_file_location("repro_demo_workspace", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    demo = module.make_workspace(jp_root_dir / "demo")
    path = demo / "train.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.metadata["language_info"] = {
        "codemirror_mode": {"name": "ipython", "version": 3},
        "file_extension": ".py",
        "mimetype": "text/x-python",
        "name": "python",
        "nbconvert_exporter": "python",
        "pygments_lexer": "ipython3",
        "version": "3.11.2",
    }
    nbformat.write(nb, path)  # what the contents API writes when the lab saves it
    assert run_git_cmd(demo, "status", "--porcelain") == "M train.ipynb"
    report = await status(jp_fetch, "demo/train.ipynb")
    assert report["repository"]["file_state"] == "outputs-only"
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", text="accuracy 0.93\n")]
    nb.cells[1].execution_count = 2
    nbformat.write(nb, path)
    assert (await status(jp_fetch, "demo/train.ipynb"))["repository"]["file_state"] == (
        "outputs-only"
    )
    nb.cells[1].source += "\n# my change"
    nbformat.write(nb, path)
    assert (await status(jp_fetch, "demo/train.ipynb"))["repository"]["file_state"] == "modified"
