"""One writer at a time per repository: what moves a branch, HEAD, the index or a tag.

A double click (two requests for the same new name at once) gets one ref
and a clear "already exists" for the others, never git's "cannot lock ref"
(a 500). A writer in another process (a second lab server, the CLI) holding
the lock makes the others wait, then answer "busy", and change nothing.
Transfers of run code have a lock of their own.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest

from jupyterlab_repro.commit.snapshot import snapshot
from jupyterlab_repro.deadline import Deadline
from jupyterlab_repro.errors import GitBusy, InvalidRequest, UnsafeFile
from jupyterlab_repro.git.lock import repository_lock
from jupyterlab_repro.git.runner import Git as GitRunner
from jupyterlab_repro.git.tags import create_tag
from jupyterlab_repro.kernel.hidden_snapshots import snapshot_worktree
from jupyterlab_repro.runs.restore import restore_branch

Git = Callable[..., str]
NB = "train.ipynb"


def notebook(source: str) -> str:
    cell = {
        "cell_type": "code",
        "execution_count": None,
        "id": "c0",
        "metadata": {},
        "outputs": [],
        "source": [source],
    }
    nb = {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(nb, indent=1, sort_keys=True) + "\n"


@pytest.fixture
def repo(make_repo: Callable[..., Path]) -> Path:
    return make_repo(files={NB: notebook("lr = 0.1")})


@pytest.fixture
def run_commit(repo: Path) -> str:
    """A run's hidden snapshot of the notebook edited (the file is put back)."""
    path = repo / NB
    path.write_text(notebook("lr = 0.01"), encoding="utf-8")
    commit = snapshot_worktree(repo, NB).commit
    path.write_text(notebook("lr = 0.1"), encoding="utf-8")
    return commit


def refs(run_git_cmd: Git, repo: Path) -> str:
    return run_git_cmd(repo, "for-each-ref", "--format=%(refname) %(objectname)")


def at_once(n: int, work: Callable[[int], object]) -> list[object]:
    """``work(0..n-1)`` started together; each result, or the exception it raised."""
    start = threading.Barrier(n)

    def one(i: int) -> object:
        start.wait()
        try:
            return work(i)
        except Exception as exc:
            return exc

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(one, range(n)))


WRITERS = ["restore", "tag"]


def write(
    kind: str, repo: Path, commit: str, name: str, deadline: Deadline | None = None
) -> object:
    if kind == "restore":
        return restore_branch(repo / NB, commit, branch=f"exp/{name}", deadline=deadline)
    return create_tag(repo, name, "acc=0.9", rev=commit, deadline=deadline)


@pytest.mark.parametrize("kind", WRITERS)
def test_a_double_click_makes_one_ref_and_says_so_to_the_others(
    repo: Path, run_commit: str, run_git_cmd: Git, kind: str
) -> None:
    results = at_once(4, lambda _: write(kind, repo, run_commit, "owl"))
    failures = [r for r in results if isinstance(r, Exception)]
    assert len(failures) == 3, results
    assert all(isinstance(f, InvalidRequest) and "already exists" in str(f) for f in failures)
    names = run_git_cmd(repo, "for-each-ref", "--format=%(refname)", "refs/heads/exp", "refs/tags")
    assert names.splitlines() == ["refs/heads/exp/owl" if kind == "restore" else "refs/tags/owl"]
    assert run_git_cmd(repo, "fsck", "--strict", "--no-progress") == ""


def test_a_restore_and_snapshots_at_once_leave_a_consistent_repository(
    repo: Path, run_commit: str, run_git_cmd: Git
) -> None:
    """A restore switches HEAD; snapshots commit on it and reset the index: one after the other."""
    names = [f"nb{i}.ipynb" for i in range(3)]
    for i, name in enumerate(names):
        (repo / name).write_text(notebook(f"x = {i}"), encoding="utf-8")

    def work(i: int) -> object:
        if i == 0:
            return restore_branch(repo / NB, run_commit, branch="exp/owl")
        return snapshot([repo / names[i - 1]], f"feat: nb{i - 1}")

    results = at_once(4, work)
    assert not [r for r in results if isinstance(r, Exception)], results
    committed = {r.commit for r in results[1:]}  # type: ignore[attr-defined]
    reachable = set(run_git_cmd(repo, "rev-list", "--all").splitlines())
    assert committed <= reachable
    assert run_git_cmd(repo, "diff", "--cached", "--name-only") == ""  # index = HEAD
    assert run_git_cmd(repo, "fsck", "--strict", "--no-progress") == ""


@contextmanager
def held_elsewhere(repo: Path, filename: str) -> Iterator[None]:
    """The lock file ``flock``-ed by another process, as a second lab server would hold it."""
    code = (
        "import fcntl, sys\n"
        "f = open(sys.argv[1], 'a+b')\n"
        "fcntl.flock(f, fcntl.LOCK_EX)\n"
        "print('held', flush=True)\n"
        "sys.stdin.read()\n"
    )
    with subprocess.Popen(
        [sys.executable, "-c", code, str(repo / ".git" / filename)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as proc:
        assert proc.stdin is not None and proc.stdout is not None
        try:
            assert proc.stdout.readline().strip() == "held"
            yield
        finally:
            proc.stdin.close()
            proc.wait(10)


@pytest.mark.parametrize("kind", WRITERS)
def test_a_writer_in_another_process_makes_it_busy_and_nothing_changes(
    repo: Path, run_commit: str, run_git_cmd: Git, kind: str
) -> None:
    before = refs(run_git_cmd, repo), run_git_cmd(repo, "symbolic-ref", "HEAD")
    with held_elsewhere(repo, "repro-snapshot.lock"):
        with pytest.raises(GitBusy, match="Another change to this repository"):
            write(kind, repo, run_commit, "owl", Deadline(0.5, "test"))
    assert (refs(run_git_cmd, repo), run_git_cmd(repo, "symbolic-ref", "HEAD")) == before
    write(kind, repo, run_commit, "owl")  # once it is free, it works


def test_a_writer_waits_for_the_lock_rather_than_failing(
    repo: Path, run_commit: str, run_git_cmd: Git
) -> None:
    git = GitRunner(repo, Deadline(30.0, "test"))
    release = threading.Event()

    def holder() -> None:
        with repository_lock(git):
            release.wait(10)

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        threading.Timer(0.3, release.set).start()
        result = restore_branch(repo / NB, run_commit, branch="exp/owl")
    finally:
        release.set()
        thread.join(10)
    assert result.checked_out
    assert run_git_cmd(repo, "symbolic-ref", "--short", "HEAD") == "exp/owl"


def test_the_share_lock_does_not_hold_up_a_snapshot(repo: Path, run_git_cmd: Git) -> None:
    """A slow push or fetch (the share lock) never blocks a commit (the write lock)."""
    (repo / "nb.ipynb").write_text(notebook("x = 1"), encoding="utf-8")
    with held_elsewhere(repo, "repro-share.lock"):
        result = snapshot([repo / "nb.ipynb"], "feat: nb", deadline=Deadline(5.0, "test"))
    assert result.committed


@pytest.mark.parametrize("filename", ["repro-snapshot.lock", "repro-share.lock"])
def test_a_lock_file_planted_as_a_link_is_refused(
    repo: Path, tmp_path: Path, filename: str
) -> None:
    outside = tmp_path / "outside"
    outside.write_bytes(b"")
    (repo / ".git" / filename).unlink(missing_ok=True)
    (repo / ".git" / filename).symlink_to(outside)
    kind = "write" if filename == "repro-snapshot.lock" else "share"
    with pytest.raises(UnsafeFile, match="symbolic link"):
        with repository_lock(GitRunner(repo, Deadline(5.0, "test")), kind=kind):
            pytest.fail("the lock was taken through a link")
    assert outside.read_bytes() == b""
