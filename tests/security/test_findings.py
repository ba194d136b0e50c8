"""Each finding of the hardening review, as a test against a real server over real repositories.

Writes and reads outside the server root through files inside it, FIFOs,
bad input that answered 500, a failed snapshot that left HEAD moved, a
read-only object store. Every test checks what the attacker wanted did not
happen (the outside file untouched, the repository unchanged), not only the
status code.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import stat
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from jupyterlab_repro.git.remotes import strip_credentials

Fetch = Callable[..., Any]
Git = Callable[..., str]

SECRET = b"secret outside the root\n"


def notebook(source: str = "x = 1") -> str:
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": 1,
                "id": "c0",
                "metadata": {"tags": ["export"]},
                "outputs": [{"name": "stdout", "output_type": "stream", "text": ["1\n"]}],
                "source": [source],
            }
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(nb, indent=1) + "\n"


async def call(
    jp_fetch: Fetch,
    route: str,
    body: Any = None,
    params: dict[str, str] | None = None,
    *,
    timeout: float = 20,
) -> tuple[int, dict[str, Any]]:
    kwargs: dict[str, Any] = {"raise_error": False, "request_timeout": timeout}
    if body is not None:
        kwargs.update(method="POST", body=body if isinstance(body, str) else json.dumps(body))
    if params is not None:
        kwargs["params"] = params
    response = await jp_fetch("jupyterlab-repro", *route.split("/"), **kwargs)
    return response.code, json.loads(response.body or b"{}")


def state(git: Git, repo: Path) -> tuple[str, str, bytes]:
    """HEAD, every ref with its target, and the index's bytes."""
    head = git(repo, "rev-parse", "HEAD")
    refs = git(repo, "for-each-ref", "--format=%(refname) %(objectname)")
    index = (repo / ".git" / "index").read_bytes()
    return head, refs, index


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder beside the server root holding a file an attacker wants to read or change."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "target").write_bytes(SECRET)
    (folder / "target").chmod(0o640)
    return folder


def untouched(outside: Path) -> bool:
    files = sorted(p.name for p in outside.iterdir())
    target = outside / "target"
    return (
        files == ["target"]
        and target.read_bytes() == SECRET
        and stat.S_IMODE(target.stat().st_mode) == 0o640
    )


@pytest.fixture
def repo(jp_root_dir: Path, repo_at: Callable[..., Path], run_git_cmd: Git) -> Path:
    repo = repo_at(jp_root_dir / "work")
    (repo / "nb.ipynb").write_text(notebook(), encoding="utf-8")
    run_git_cmd(repo, "add", "nb.ipynb")
    run_git_cmd(repo, "commit", "-q", "-m", "feat: nb")
    return repo


# --- planted symlinks under every name the server writes ------------------------------


async def test_the_notebook_as_it_was_writes_nothing_through_planted_symlinks(
    jp_fetch: Fetch, repo: Path, outside: Path, run_git_cmd: Git
) -> None:
    """The old copy beside the notebook (and its ``info/exclude`` line) is not written at all."""
    head = run_git_cmd(repo, "rev-parse", "HEAD")
    (repo / f"nb@{head[:7]}.ipynb").symlink_to(outside / "target")
    exclude = repo / ".git" / "info" / "exclude"
    exclude.unlink(missing_ok=True)
    exclude.symlink_to(outside / "target")
    code, body = await call(
        jp_fetch, "runs/notebook", params={"path": "work/nb.ipynb", "commit": head}
    )
    assert code == 200, body
    assert body["commit"] == head and body["content"]["cells"]
    code, _ = await call(jp_fetch, "runs/notebook", {"path": "work/nb.ipynb", "commit": head})
    assert code == 405
    assert untouched(outside)


async def test_init_with_a_symlinked_gitignore_and_its_temporary_file(
    jp_fetch: Fetch, jp_root_dir: Path, outside: Path
) -> None:
    folder = jp_root_dir / "fresh"
    folder.mkdir()
    (folder / ".gitignore").symlink_to(outside / "target")
    code, body = await call(jp_fetch, "init", {"path": "fresh"})
    assert code == 409, body
    assert not (folder / ".git").exists()
    assert untouched(outside)
    # The old fixed temporary name: a planted link there is never written through.
    (folder / ".gitignore").unlink()
    (folder / ".gitignore.repro-tmp").symlink_to(outside / "target")
    code, body = await call(jp_fetch, "init", {"path": "fresh"})
    assert code == 201, body
    assert untouched(outside)
    assert "*.pt" in (folder / ".gitignore").read_text(encoding="utf-8")


async def test_guardrail_fix_in_a_clone_with_a_committed_gitignore_symlink(
    jp_fetch: Fetch, jp_root_dir: Path, tmp_path: Path, outside: Path, run_git_cmd: Git
) -> None:
    """The link survives ``git clone``: one click in the clone must not write through it."""
    origin = tmp_path / "origin"
    origin.mkdir()
    run_git_cmd(origin, "init", "-q", "--initial-branch=main")
    (origin / ".gitignore").symlink_to(outside / "target")
    run_git_cmd(origin, "add", ".gitignore")
    run_git_cmd(origin, "commit", "-q", "-m", "chore: a link")
    run_git_cmd(jp_root_dir, "clone", "-q", str(origin), "clone")
    clone = jp_root_dir / "clone"
    assert (clone / ".gitignore").is_symlink()
    before = state(run_git_cmd, clone)
    code, body = await call(
        jp_fetch, "guardrails/fix", {"path": "clone", "action": "gitignore", "rules": ["*.pt"]}
    )
    assert code == 409, body
    assert body["reason"] == "unsafe-file"
    assert untouched(outside)
    assert state(run_git_cmd, clone) == before


@pytest.mark.skipif(shutil.which("git-lfs") is None, reason="git-lfs: make test installs it")
async def test_lfs_fix_with_a_symlinked_gitattributes(
    jp_fetch: Fetch, repo: Path, outside: Path
) -> None:
    (repo / ".gitattributes").symlink_to(outside / "target")
    code, body = await call(
        jp_fetch, "guardrails/fix", {"path": "work", "action": "lfs", "rules": ["*.pt"]}
    )
    assert code == 409, body
    assert untouched(outside)


@pytest.mark.parametrize("kind", ["file", "folder"])
async def test_export_target_or_its_folder_symlinked_out(
    jp_fetch: Fetch, repo: Path, outside: Path, kind: str
) -> None:
    if kind == "file":
        (repo / "mod.py").symlink_to(outside / "target")
        output = "work/mod.py"
    else:
        (repo / "pkg").symlink_to(outside)
        output = "work/pkg/mod.py"
    code, body = await call(
        jp_fetch, "export", {"path": "work/nb.ipynb", "output": output, "force": True}
    )
    assert code == 403, body
    assert untouched(outside)


async def test_export_raced_by_a_folder_swapped_for_a_symlink(
    jp_fetch: Fetch, repo: Path, outside: Path
) -> None:
    """A folder swapped for a symlink between the checks and the write (bounded swap loop)."""
    real = repo / "pkg"
    real.mkdir()
    stop = threading.Event()
    swaps = 0

    def swap() -> None:
        nonlocal swaps
        while not stop.is_set():
            parked = repo / "pkg-parked"
            os.rename(real, parked)
            os.symlink(outside, real)
            time.sleep(0.0005)
            os.unlink(real)
            os.rename(parked, real)
            swaps += 1

    thread = threading.Thread(target=swap, daemon=True)
    thread.start()
    codes = []
    try:
        for i in range(40):
            code, _ = await call(
                jp_fetch,
                "export",
                {
                    "path": "work/nb.ipynb",
                    "output": "work/pkg/mod.py",
                    "cells": "all",
                    "force": True,
                },
            )
            codes.append(code)
            (repo / "nb.ipynb").write_text(notebook(f"x = {i}"), encoding="utf-8")
    finally:
        stop.set()
        thread.join(5)
    assert swaps > 10
    assert all(code < 500 for code in codes), codes
    assert untouched(outside), sorted(p.name for p in outside.iterdir())


async def test_snapshot_with_symlinks_planted_in_the_git_directory(
    jp_fetch: Fetch, repo: Path, outside: Path, run_git_cmd: Git
) -> None:
    """COMMIT_EDITMSG (a name git uses) and the lock file, planted as links: nothing written out."""
    (repo / ".git" / "COMMIT_EDITMSG").unlink(missing_ok=True)
    (repo / ".git" / "COMMIT_EDITMSG").symlink_to(outside / "target")
    (repo / "nb.ipynb").write_text(notebook("y = 2"), encoding="utf-8")
    code, body = await call(jp_fetch, "snapshot", {"path": "work/nb.ipynb", "message": "y"})
    assert code == 200, body
    assert untouched(outside)
    (repo / ".git" / "repro-snapshot.lock").unlink(missing_ok=True)
    (repo / ".git" / "repro-snapshot.lock").symlink_to(outside / "target")
    (repo / "nb.ipynb").write_text(notebook("y = 3"), encoding="utf-8")
    before = state(run_git_cmd, repo)
    code, body = await call(jp_fetch, "snapshot", {"path": "work/nb.ipynb", "message": "z"})
    assert code == 409, body
    assert state(run_git_cmd, repo) == before
    assert untouched(outside)


class TestGitDirOutsideTheRoot:
    async def test_writes_refused_reads_allowed(
        self,
        jp_fetch: Fetch,
        jp_root_dir: Path,
        tmp_path: Path,
        repo_at: Callable[..., Path],
        run_git_cmd: Git,
    ) -> None:
        elsewhere = repo_at(tmp_path / "elsewhere")
        work = jp_root_dir / "linked"
        work.mkdir()
        (work / ".git").symlink_to(elsewhere / ".git")
        (work / "nb.ipynb").write_text(notebook(), encoding="utf-8")
        before = state(run_git_cmd, elsewhere)
        code, _ = await call(jp_fetch, "status", params={"path": "linked"})
        assert code == 200
        for route, body in [
            ("snapshot", {"path": "linked/nb.ipynb", "message": "x"}),
            ("tags", {"path": "linked", "name": "v1", "message": "m"}),
            ("identity", {"path": "linked", "name": "X", "email": "x@example.org"}),
            ("guardrails/fix", {"path": "linked", "action": "gitignore", "rules": ["*.pt"]}),
        ]:
            code, data = await call(jp_fetch, route, body)
            assert code == 403, (route, data)
            assert ".git" in data["message"]
        assert state(run_git_cmd, elsewhere) == before
        assert not (work / ".gitignore").exists()


# --- the server root inside a larger repository ------------------------------------------


class TestRootInsideARepository:
    @pytest.fixture
    def big_repo(self, jp_root_dir: Path, run_git_cmd: Git) -> Path:
        """The repository's top is the root's parent: ``<top>/root_dir`` is all the server sees."""
        top = jp_root_dir.parent
        run_git_cmd(top, "init", "-q", "--initial-branch=main")
        (top / "above.txt").write_text("x\n", encoding="utf-8")
        (top / "big-above.bin").write_bytes(b"0" * 1024)
        (jp_root_dir / "nb.ipynb").write_text(notebook(), encoding="utf-8")
        (jp_root_dir / "model.pt").write_bytes(b"w")
        run_git_cmd(top, "add", "above.txt")
        run_git_cmd(top, "commit", "-q", "-m", "feat: first")
        return top

    async def test_nothing_above_the_root_is_listed_or_written(
        self, jp_fetch: Fetch, jp_root_dir: Path, big_repo: Path
    ) -> None:
        gitignore_above = (big_repo / ".gitignore").exists()
        code, status = await call(jp_fetch, "status", params={"path": ""})
        assert code == 200
        assert status["repository"]["contains_server_root"] is True
        assert status["repository"]["root"] is None
        code, changes = await call(jp_fetch, "changes", params={"path": ""})
        assert code == 200
        assert changes["above_root"] is True and changes["root"] is None
        listed = {f["path"] for f in changes["files"]}
        assert listed and all(p.startswith(jp_root_dir.name + "/") for p in listed), listed
        assert "big-above.bin" not in json.dumps(changes)
        code, fixed = await call(
            jp_fetch,
            "guardrails/fix",
            {"path": "", "action": "gitignore", "rules": ["*.pt", f"/{jp_root_dir.name}/data/"]},
        )
        assert code == 200, fixed
        assert (big_repo / ".gitignore").exists() == gitignore_above
        written = (jp_root_dir / ".gitignore").read_text(encoding="utf-8").splitlines()
        assert "*.pt" in written and "/data/" in written
        code, refused = await call(
            jp_fetch, "guardrails/fix", {"path": "", "action": "gitignore", "rules": ["/above.txt"]}
        )
        assert code == 400, refused
        assert "outside the server root" in refused["message"]


# --- FIFOs ---------------------------------------------------------------------------------


async def test_fifo_notebooks_are_refused_before_any_read(jp_fetch: Fetch, repo: Path) -> None:
    os.mkfifo(repo / "x.ipynb")
    os.mkfifo(repo / "pyproject.toml")
    requests = [
        ("diff", None, {"path": "work/x.ipynb"}),
        ("changes", None, {"path": "work"}),
        ("status", None, {"path": "work/x.ipynb"}),
        ("snapshot", {"path": "work/x.ipynb", "message": "m"}, None),
        ("export", {"path": "work/x.ipynb", "output": "work/x.py"}, None),
        ("runs", None, {"path": "work/x.ipynb"}),
    ]
    # Four at once used to block every worker forever; now each answers at once.
    results = await asyncio.gather(
        *[call(jp_fetch, r, b, p, timeout=10) for r, b, p in requests * 2]
    )
    for (route, _, _), (code, body) in zip(requests * 2, results, strict=True):
        assert code < 500, (route, body)
    code, _ = await call(jp_fetch, "status", params={"path": "work"}, timeout=5)
    assert code == 200


# --- a failed request changes nothing ---------------------------------------------------


@pytest.mark.parametrize(
    "extra",
    [
        {"tag": "v1", "tag_message": "bad\x00message"},
        {"tag": "v1", "tag_message": "lone \ud800 surrogate"},
        {"tag": "bad\x00tag"},
        {"branch": "exp/bad\x00branch"},
        {"body": "bad\x00body"},
        {"message": "bad\x00message"},
        {"message": "lone \udcff surrogate"},
        {"message": "x" * (300 * 1024)},
        {"files": ["work/deleted-meanwhile.csv"]},
        {"type": "wip"},
    ],
)
async def test_bad_snapshot_input_changes_nothing(
    jp_fetch: Fetch, repo: Path, run_git_cmd: Git, extra: dict[str, Any]
) -> None:
    (repo / "nb.ipynb").write_text(notebook("changed = True"), encoding="utf-8")
    before = state(run_git_cmd, repo)
    worktree = (repo / "nb.ipynb").read_bytes()
    body = {"path": "work/nb.ipynb", "message": "m", **extra}
    raw = json.dumps(body)  # \ud800 is escaped, as a browser would send it
    code, data = await call(jp_fetch, "snapshot", raw)
    assert code == 400, data
    assert isinstance(data["message"], str) and data["reason"] == "invalid-request"
    assert state(run_git_cmd, repo) == before
    assert (repo / "nb.ipynb").read_bytes() == worktree


async def test_a_long_message_is_committed_through_stdin(
    jp_fetch: Fetch, repo: Path, run_git_cmd: Git
) -> None:
    """A 200 KiB message used to fail with "argument list too long".

    The text goes to git on stdin: a 200 KiB body and tag annotation commit.
    A subject line that long is refused (400, nothing written): a subject
    takes at most 200 characters, the body the rest.
    """
    (repo / "nb.ipynb").write_text(notebook("long = True"), encoding="utf-8")
    text = "s" * (200 * 1024)
    before = state(run_git_cmd, repo)
    code, data = await call(jp_fetch, "snapshot", {"path": "work/nb.ipynb", "message": text})
    assert code == 400 and "in the body" in data["message"], data
    assert state(run_git_cmd, repo) == before
    code, data = await call(
        jp_fetch,
        "snapshot",
        {
            "path": "work/nb.ipynb",
            "message": "long",
            "body": text,
            "tag": "long",
            "tag_message": text,
        },
    )
    assert code == 200, data
    assert run_git_cmd(repo, "log", "-1", "--format=%b") == text
    assert run_git_cmd(repo, "tag", "-l", "--format=%(contents:subject)", "long") == text


async def test_any_failure_after_the_commit_moves_head_back(
    jp_fetch: Fetch, repo: Path, run_git_cmd: Git, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fault we cannot cause for real: the index sync raising something that is not a GitError."""
    from jupyterlab_repro.commit import snapshot as snapshot_module

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk vanished")

    monkeypatch.setattr(snapshot_module, "point_paths_at", broken)
    (repo / "nb.ipynb").write_text(notebook("z = 9"), encoding="utf-8")
    before = state(run_git_cmd, repo)
    code, data = await call(
        jp_fetch, "snapshot", {"path": "work/nb.ipynb", "message": "m", "tag": "v9"}
    )
    assert code == 500, data
    assert data["reason"] == "internal-error"
    assert "POST snapshot" in data["message"] and "disk vanished" not in data["message"]
    assert "Traceback" not in json.dumps(data)
    assert state(run_git_cmd, repo) == before


# --- bad input answers 4xx ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("route_name", "body", "params"),
    [
        ("tags", {"path": "work", "name": "v\x001", "message": "m"}, None),
        ("tags", {"path": "work", "name": "HEAD", "message": "m"}, None),
        ("tags", {"path": "work", "name": "main", "message": "m"}, None),
        ("tags", {"path": "work", "name": "refs/heads/main", "message": "m"}, None),
        ("tags", {"path": "work", "name": "t" * 600, "message": "m"}, None),
        ("tags", {"path": "work", "name": "ok", "message": "m", "rev": "HEAD\x00"}, None),
        ("tags", {"path": "work", "name": "ok", "message": "a\ud800"}, None),
        ("identity", {"path": "work", "name": "X", "email": "x\x00@example.org"}, None),
        ("identity", {"path": "work", "name": "X\ud800", "email": "x@example.org"}, None),
        ("identity", {"path": "work", "name": "X", "email": "x@example.org", "scope": 3}, None),
        ("status", None, {"path": "/".join(["a"] * 5000)}),
        ("status", None, {"path": "n" * 300}),
        ("diff", None, {"path": "work/nb.ipynb", "from": "HEAD\x00"}),
        ("diff", None, {"path": "work/nb.ipynb", "to": "-p"}),
        ("runs/notebook", None, {"path": "work/nb.ipynb", "commit": "HEAD\x00"}),
        ("export", {"path": "work/nb.ipynb", "cells": "1\x00"}, None),
        ("runs", None, {"path": "work/nb.ipynb", "max_results": "9" * 40}),
    ],
)
async def test_bad_input_answers_4xx_and_changes_nothing(
    jp_fetch: Fetch,
    repo: Path,
    run_git_cmd: Git,
    route_name: str,
    body: dict[str, Any] | None,
    params: dict[str, str] | None,
) -> None:
    before = state(run_git_cmd, repo)
    config = (repo / ".git" / "config").read_bytes()
    code, data = await call(jp_fetch, route_name, json.dumps(body) if body else None, params)
    assert 400 <= code < 500, (route_name, data)
    assert isinstance(data.get("message"), str) and isinstance(data.get("reason"), str)
    assert state(run_git_cmd, repo) == before
    assert (repo / ".git" / "config").read_bytes() == config


async def test_error_messages_name_no_server_path(
    jp_fetch: Fetch, repo: Path, jp_root_dir: Path
) -> None:
    root = os.path.realpath(jp_root_dir)
    probes = [
        ("diff", None, {"path": "work/nb.ipynb", "from": "no-such-rev"}),
        ("status", None, {"path": "missing/nb.ipynb"}),
        ("runs/notebook", None, {"path": "work/nb.ipynb", "commit": "0" * 40}),
        ("tags", {"path": "work", "name": "a..b", "message": "m"}, None),
    ]
    for route, body, params in probes:
        code, data = await call(jp_fetch, route, body, params)
        assert code >= 400
        assert root not in json.dumps(data), (route, data)


# --- a read-only object store, as an unprivileged user -------------------------------------


class TestReadOnlyObjectStore:
    """git runs as ``nobody`` (root ignores file permissions), the repository belongs to root."""

    @pytest.fixture
    def jp_root_dir(self) -> Iterator[Path]:
        """A server root ``nobody`` can reach (pytest's own temp folders are root-only)."""
        shared = Path(tempfile.mkdtemp(prefix="repro-ro-", dir="/tmp"))
        shared.chmod(0o755)
        yield shared
        shutil.rmtree(shared, ignore_errors=True)

    @pytest.fixture
    def unprivileged_git(
        self, jp_root_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """git on PATH runs as ``nobody`` (BUILD-NOTES: setpriv)."""
        setpriv, real = shutil.which("setpriv"), shutil.which("git")
        if os.geteuid() != 0 or setpriv is None or real is None:
            pytest.fail("this test needs root and setpriv (CI runs as root)")
        config = jp_root_dir.parent / f"{jp_root_dir.name}.gitconfig"
        config.write_text(
            "[safe]\n\tdirectory = *\n[user]\n\tname = Nobody\n\temail = nobody@example.org\n",
            encoding="utf-8",
        )
        config.chmod(0o644)
        bin_dir = tmp_path / "nobody-bin"
        bin_dir.mkdir()
        wrapper = bin_dir / "git"
        wrapper.write_text(
            "#!/bin/sh\n"
            f'GIT_CONFIG_GLOBAL="{config}" exec "{setpriv}" --reuid=nobody --regid=nogroup '
            f'--clear-groups "{real}" "$@"\n',
            encoding="utf-8",
        )
        wrapper.chmod(0o755)
        monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")

    async def test_a_snapshot_answers_409_and_changes_nothing(
        self, jp_fetch: Fetch, jp_root_dir: Path, run_git_cmd: Git, unprivileged_git: None
    ) -> None:
        repo = jp_root_dir / "ro"
        env = {**os.environ, "PATH": os.defpath}  # the real git, as root

        def root_git(*args: str) -> str:
            return subprocess.run(
                ["git", "-C", str(repo), *args], check=True, env=env, capture_output=True, text=True
            ).stdout

        repo.mkdir()
        root_git("init", "-q", "--initial-branch=main")
        (repo / "nb.ipynb").write_text(notebook(), encoding="utf-8")
        root_git("add", "nb.ipynb")
        root_git("commit", "-qm", "x")
        (repo / "nb.ipynb").write_text(notebook("changed = 1"), encoding="utf-8")
        head, index = root_git("rev-parse", "HEAD"), (repo / ".git" / "index").read_bytes()
        code, data = await call(jp_fetch, "snapshot", {"path": "ro/nb.ipynb", "message": "m"})
        assert code == 409, data
        assert data["reason"] == "repository-read-only"
        assert "cannot write" in data["message"]
        assert root_git("rev-parse", "HEAD") == head
        assert (repo / ".git" / "index").read_bytes() == index
        code, _ = await call(jp_fetch, "status", params={"path": "ro"})
        assert code == 200  # reading still works


# --- remote URLs ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("user:pw@host:group/repo.git", "user@host:group/repo.git"),
        ("user:pw@host:repo.git?x=1#frag", "user@host:repo.git"),
        ("git@github.com:org/repo.git", "git@github.com:org/repo.git"),
        ("ssh://u:p@host:22/r.git?q=1#f", "ssh://u@host:22/r.git"),
        ("git://host/r.git#frag", "git://host/r.git"),
        ("https://tok@host/r.git#frag", "https://host/r.git"),
        ("ftp://a:b@host/r.git", "ftp://a@host/r.git"),
        ("u:p@[::1]:repo", "u@[::1]:repo"),
        ("/srv/git/r.git", "/srv/git/r.git"),
        ("../sibling/r.git", "../sibling/r.git"),
        ("C:\\repos\\r.git", "C:\\repos\\r.git"),
    ],
)
def test_remote_urls_lose_every_secret(url: str, expected: str) -> None:
    assert strip_credentials(url) == expected
