"""The git door: one deadline across calls, what a stopped call started killed, nothing late."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from jupyterlab_repro.deadline import Deadline
from jupyterlab_repro.errors import GitError, GitTimeout
from jupyterlab_repro.git.runner import Git, command_name, run_git


def _live(token: str) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if token in cmdline:
                found.append(cmdline)
    return found


def _gone(token: str, seconds: float = 2.0) -> bool:
    until = time.monotonic() + seconds
    while _live(token) and time.monotonic() < until:
        time.sleep(0.05)
    return not _live(token)


@pytest.mark.alone  # the first 0.4 s call must finish inside 0.6 s
def test_one_deadline_spans_several_calls(make_repo: Callable[..., Path]) -> None:
    """Two calls of 0.4 s under a 0.6 s deadline: the second one is cut, not the first."""
    git = Git(make_repo(), Deadline(0.6, "the test"))
    started = time.monotonic()
    git.run("-c", "alias.nap=!sleep 0.4", "nap")
    with pytest.raises(GitTimeout, match=r"git nap did not finish within 0\.6 s \(the test\)"):
        git.run("-c", "alias.nap=!sleep 0.4", "nap")
    assert time.monotonic() - started < 0.6 + 0.5


def test_nothing_is_started_once_the_deadline_passed(tmp_path: Path) -> None:
    deadline = Deadline(0.0, "the test")
    marker = tmp_path / "ran"
    with pytest.raises(GitTimeout, match="was not started"):
        run_git(["-c", f"alias.touch=!touch {marker}", "touch"], tmp_path, deadline=deadline)
    assert not marker.exists()


@pytest.mark.alone  # the kill within 1.5 s of the deadline
def test_the_process_group_goes_on_timeout(tmp_path: Path) -> None:
    """A command that leaves children behind (hooks do): all of them are killed."""
    digits = "".join(secrets.choice("123456789") for _ in range(6))
    token = f"0.000{digits}"
    alias = f"!sleep 30 {token} & sleep 30 {token}; wait"
    started = time.monotonic()
    with pytest.raises(GitTimeout) as caught:
        run_git(["-c", f"alias.linger={alias}", "linger"], tmp_path, deadline=Deadline(0.3))
    assert time.monotonic() - started < 0.3 + 1.5
    assert _gone(token), _live(token)
    assert caught.value.output == ""


def test_output_so_far_is_kept(tmp_path: Path) -> None:
    with pytest.raises(GitTimeout) as caught:
        run_git(
            ["-c", "alias.talk=!echo halfway; sleep 5", "talk"], tmp_path, deadline=Deadline(0.5)
        )
    assert "halfway" in caught.value.output


def test_git_errors_are_not_timeouts(tmp_path: Path) -> None:
    with pytest.raises(GitError) as caught:
        run_git(["rev-parse", "HEAD"], tmp_path, deadline=Deadline(10))
    assert not isinstance(caught.value, GitTimeout)


def test_stdin_is_never_inherited(make_repo: Callable[..., Path]) -> None:
    """A command that reads standard input sees it closed, not the server's terminal."""
    git = Git(make_repo(), Deadline(5))
    assert git.read("-c", "alias.cat=!cat", "cat") == ""


def test_deadline_within_never_extends() -> None:
    outer = Deadline(0.2, "outer")
    assert outer.within(10) is outer
    inner = outer.within(0.05, "inner")
    assert inner.label == "inner" and inner.remaining() <= 0.05


@pytest.mark.parametrize(
    ("args", "name"),
    [(["status"], "status"), (["-c", "a=b", "log"], "log"), (["-C", "x", "diff"], "diff")],
)
def test_command_name(args: list[str], name: str) -> None:
    assert command_name(args) == name


# --- nothing a stopped call started outlives it ---------------------------------------------

#: Hooks and filters as users write them. Each records the pids of its processes in "$PIDS" and
#: marks them with "$TOKEN" (an extra, negligible ``sleep`` argument).
LINGERING = {
    "exec": 'echo $$ >> "$PIDS"\nexec sleep 200 $TOKEN',
    "child-and-wait": 'echo $$ >> "$PIDS"\nsleep 200 $TOKEN &\necho $! >> "$PIDS"\nwait',
    "traps-sigterm": (
        'trap \'\' TERM INT HUP\necho $$ >> "$PIDS"\nsleep 200 $TOKEN &\necho $! >> "$PIDS"\nwait'
    ),
    # coreutils' timeout moves itself (and its child) to a process group of its own.
    "own-process-group": (
        'echo $$ >> "$PIDS"\n'
        """timeout 200 sh -c 'echo $$ >> "$PIDS"; exec sleep 200 $TOKEN' &\nwait"""
    ),
    # setsid: a session of its own (its parent still runs when the deadline comes).
    "own-session": (
        'echo $$ >> "$PIDS"\n'
        """setsid sh -c 'echo $$ >> "$PIDS"; exec sleep 200 $TOKEN' &\nwait"""
    ),
}


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, dead and waiting for its reaper, does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return False
    return stat[stat.rfind(b")") + 2 :].split()[0] not in (b"Z", b"X", b"x")


def lingering_env(tmp_path: Path) -> tuple[dict[str, str], Path, str]:
    """The environment the scripts above read, the pid file and the token."""
    pids = tmp_path / "pids"
    pids.touch()
    token = "0.000" + "".join(secrets.choice("123456789") for _ in range(6))
    return {"PIDS": str(pids), "TOKEN": token}, pids, token


def recorded(pids: Path) -> list[int]:
    return [int(p) for p in pids.read_text().split()]


def kill_leftovers(pids: Path) -> None:
    """After a failed check: kill what the script left running (never anything else)."""
    for pid in recorded(pids):
        if alive(pid):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)


@pytest.mark.alone  # the scripts must start their children within a 1 s deadline
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
@pytest.mark.parametrize("kind", LINGERING)
def test_everything_a_stopped_call_started_is_gone_when_it_raises(
    tmp_path: Path, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Checked at once, not polled: the caller answers right after the raise.

    Before, only git's process group was killed: a child in a group or session
    of its own (``timeout 200 …``, ``setsid …``) kept running after the 504.
    """
    program = {"own-process-group": "timeout", "own-session": "setsid"}.get(kind)
    if program is not None and shutil.which(program) is None:
        pytest.skip(f"{program} is not installed")
    env, pids, token = lingering_env(tmp_path)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    script = tmp_path / "linger.sh"
    script.write_text("#!/bin/sh\n" + LINGERING[kind] + "\n", encoding="utf-8")
    script.chmod(0o755)
    with pytest.raises(GitTimeout):
        run_git(["-c", f"alias.linger=!{script}", "linger"], tmp_path, deadline=Deadline(1.0))
    left = [pid for pid in recorded(pids) if alive(pid)]
    kill_leftovers(pids)
    assert left == [], f"{kind}: still running after the timeout: {left}"
    assert _live(token) == []
    # The script did start what it should have before the deadline.
    assert len(recorded(pids)) == (1 if kind == "exec" else 2), recorded(pids)
