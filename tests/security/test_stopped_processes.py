"""Issue 22: nothing a request stopped at its deadline outlives its answer.

Real hooks in real repositories behind a real Jupyter server, with a small
``write_timeout``. Each hook writes the pids of its processes to a file; the
check runs as soon as the server has answered (no polling: "gone" means gone
when the 504 arrives). A process that is dead and waits for its reaper
(a zombie) is gone.

Before the fix only git's process group was killed, and the answer did not
wait for the kill to land: a hook child in a process group of its own
(``timeout 200 …``, as pre-commit hooks bound their linters) or in a session
of its own (``setsid …``) kept running after the 504.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from jupyterlab_repro import cli
from jupyterlab_repro.cli import base

pytestmark = [
    pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc"),
    # The hooks must start their children within a 1 s deadline: not beside a loaded machine.
    pytest.mark.alone,
]

Fetch = Callable[..., Any]
Git = Callable[..., str]

WRITE_TIMEOUT = 1.0

#: Hook bodies as users write them; ``{pids}`` is the file each process writes its pid to.
HOOKS = {
    "exec": "echo $$ >> {pids}\nexec sleep 200\n",
    "child-and-wait": "echo $$ >> {pids}\nsleep 200 &\necho $! >> {pids}\nwait\n",
    "traps-sigterm": (
        "trap '' TERM INT HUP\necho $$ >> {pids}\nsleep 200 &\necho $! >> {pids}\nwait\n"
    ),
    "own-process-group": (
        "echo $$ >> {pids}\ntimeout 200 sh -c 'echo $$ >> {pids}; exec sleep 200' &\nwait\n"
    ),
    "own-session": "echo $$ >> {pids}\nsetsid sh -c 'echo $$ >> {pids}; exec sleep 200' &\nwait\n",
}
#: How many pids each hook records before the deadline.
RECORDED = {"exec": 1}
#: The program a hook needs besides sh and sleep.
NEEDS = {"own-process-group": "timeout", "own-session": "setsid"}


def needs(kind: str) -> None:
    program = NEEDS.get(kind)
    if program is not None and shutil.which(program) is None:
        pytest.skip(f"{program} is not installed")


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, dead and waiting for its reaper, does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return False
    return stat[stat.rfind(b")") + 2 :].split()[0] not in (b"Z", b"X", b"x")


class Recorder:
    """The pid file a hook writes to, and what is left running of what it names."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.touch()

    @property
    def pids(self) -> list[int]:
        return [int(p) for p in self.path.read_text().split()]

    def running(self) -> list[int]:
        return [pid for pid in self.pids if alive(pid)]

    def kill_leftovers(self) -> None:
        """After a failed check: end what the hook left (only the pids it recorded)."""
        for pid in self.running():
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)


@pytest.fixture
def recorder(tmp_path: Path) -> Iterator[Recorder]:
    found = Recorder(tmp_path / "pids")
    yield found
    found.kill_leftovers()


def install_hook(repo: Path, name: str, body: str, pids: Path) -> None:
    hook = repo / ".git" / "hooks" / name
    hook.write_text("#!/bin/sh\n" + body.format(pids=pids), encoding="utf-8")
    hook.chmod(0o755)


def notebook(source: str = "x = 1") -> str:
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": 1,
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
    return json.dumps(nb, indent=1) + "\n"


def repo_state(git: Git, repo: Path) -> tuple[str, str, bytes]:
    refs = git(repo, "for-each-ref", "--format=%(refname) %(objectname)")
    return git(repo, "rev-parse", "HEAD"), refs, (repo / ".git" / "index").read_bytes()


@pytest.fixture
def jp_server_config(jp_server_config: dict[str, Any]) -> dict[str, Any]:
    return {**jp_server_config, "Repro": {"write_timeout": WRITE_TIMEOUT}}


@pytest.fixture
def repo(jp_root_dir: Path, repo_at: Callable[..., Path]) -> Path:
    repo = repo_at(jp_root_dir / "work")
    (repo / "nb.ipynb").write_text(notebook(), encoding="utf-8")
    return repo


@pytest.mark.parametrize("kind", HOOKS)
async def test_a_hook_stopped_at_the_deadline_is_gone_when_the_snapshot_answers(
    jp_fetch: Fetch, repo: Path, recorder: Recorder, run_git_cmd: Git, kind: str
) -> None:
    needs(kind)
    install_hook(repo, "pre-commit", HOOKS[kind], recorder.path)
    before = repo_state(run_git_cmd, repo)
    started = time.monotonic()
    response = await jp_fetch(
        "jupyterlab-repro",
        "snapshot",
        method="POST",
        body=json.dumps({"path": "work/nb.ipynb", "message": "add nb"}),
        raise_error=False,
        request_timeout=60,
    )
    left = recorder.running()  # at once: the answer is the moment that counts
    assert response.code == 504, response.body
    assert json.loads(response.body)["reason"] == "hook-timeout"
    assert left == [], f"{kind}: still running after the 504: {left}"
    assert len(recorder.pids) == RECORDED.get(kind, 2), recorder.pids
    assert time.monotonic() - started < WRITE_TIMEOUT + 5
    assert repo_state(run_git_cmd, repo) == before


async def test_a_transport_stopped_at_the_deadline_is_gone_when_share_answers(
    jp_fetch: Fetch,
    repo: Path,
    tmp_path: Path,
    recorder: Recorder,
    run_git_cmd: Git,
    repo_at: Callable[..., Path],
) -> None:
    """The tracking pool's git calls (share pushes, fetch fetches) end the same way.

    The remote's ``uploadpack`` program is what ``git ls-remote`` starts
    first; here it hangs with a child in a session of its own.
    """
    needs("own-session")
    remote = repo_at(tmp_path / "remote")
    program = tmp_path / "slow-upload-pack"
    program.write_text("#!/bin/sh\n" + HOOKS["own-session"].format(pids=recorder.path))
    program.chmod(0o755)
    run_git_cmd(repo, "remote", "add", "origin", str(remote))
    run_git_cmd(repo, "config", "remote.origin.uploadpack", str(program))
    before = repo_state(run_git_cmd, repo)
    response = await jp_fetch(
        "jupyterlab-repro",
        "runs",
        "share",
        method="POST",
        body=json.dumps({"path": "work"}),
        raise_error=False,
        request_timeout=60,
    )
    left = recorder.running()
    assert response.code == 504, response.body
    assert left == [], f"still running after the 504: {left}"
    assert len(recorder.pids) == 2, recorder.pids
    assert repo_state(run_git_cmd, repo) == before


@pytest.mark.parametrize("kind", ["own-process-group", "own-session"])
def test_the_cli_snapshot_ends_the_same_way(
    make_repo: Callable[..., Path],
    recorder: Recorder,
    run_git_cmd: Git,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    kind: str,
) -> None:
    """``jupyter repro snapshot`` has the core's deadline: past it, one line, exit 3, nothing left."""
    needs(kind)
    monkeypatch.setattr("jupyterlab_repro.commit.snapshot.SNAPSHOT_TIMEOUT", WRITE_TIMEOUT)
    repo = make_repo()
    (repo / "nb.ipynb").write_text(notebook(), encoding="utf-8")
    install_hook(repo, "pre-commit", HOOKS[kind], recorder.path)
    before = repo_state(run_git_cmd, repo)
    code = cli.main(["snapshot", str(repo / "nb.ipynb"), "-m", "add nb"])
    left = recorder.running()
    assert code == base.EXIT_ERROR
    assert left == [], f"{kind}: still running after the CLI returned: {left}"
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("jupyter repro: error: The pre-commit hook did not finish"), err
    assert repo_state(run_git_cmd, repo) == before
