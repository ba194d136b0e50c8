"""Deadlines that hold and pools that stay apart, through a real Jupyter server.

Real slowness, not mocks: a ``git`` on PATH that sleeps before every call, a
pre-commit hook that never ends, and an MLflow "server" that accepts
connections and never answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import shutil
import socket
import stat
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

Fetch = Callable[..., Any]
Git = Callable[..., str]


def _processes_with(token: str) -> list[str]:
    """Command lines of live processes that mention ``token``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if token in cmdline:
            found.append(cmdline)
    return found


def _wait_until_gone(token: str, seconds: float = 2.0) -> list[str]:
    until = time.monotonic() + seconds
    while (left := _processes_with(token)) and time.monotonic() < until:
        time.sleep(0.05)
    return left


def _sleep_token() -> tuple[str, str]:
    """A ``sleep`` argument that adds nothing measurable and marks the process: ``0.000123456``."""
    digits = "".join(secrets.choice("123456789") for _ in range(6))
    return f"0.000{digits}", f"0.000{digits}"


# --- status with a slow git ----------------------------------------------------


@pytest.fixture
def slow_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A ``git`` first on PATH that sleeps 2 s before running the real one; returns its token."""
    real = shutil.which("git")
    assert real is not None
    arg, token = _sleep_token()
    bin_dir = tmp_path / "slow-bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "git"
    wrapper.write_text(f'#!/bin/sh\nsleep 2 {arg}\nexec "{real}" "$@"\n', encoding="utf-8")
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return token


@pytest.mark.alone
class TestStatusDeadline:
    @pytest.fixture
    def jp_server_config(self, jp_server_config: dict[str, Any]) -> dict[str, Any]:
        return {**jp_server_config, "Repro": {"status_timeout": 0.5}}

    async def test_the_whole_request_is_bounded(
        self,
        jp_fetch: Fetch,
        jp_root_dir: Path,
        repo_at: Callable[..., Path],
        slow_git: str,
    ) -> None:
        """Five git calls of 2 s each, a 0.5 s budget: 504 within 1 s of the budget.

        Before the deadline was shared, each call had its own timeout (and the
        identity and discovery calls 30 s each): 4 s and more.
        """
        repo_at(jp_root_dir / "work")  # made with the real git (the fixture's git is on PATH now)
        started = time.monotonic()
        response = await jp_fetch(
            "jupyterlab-repro",
            "status",
            params={"path": "work"},
            raise_error=False,
            request_timeout=30,
        )
        took = time.monotonic() - started
        assert response.code == 504, response.body
        body = json.loads(response.body)
        assert body["reason"] == "git-timeout"
        assert "0.5 s" in body["message"] and "GET status request" in body["message"]
        assert took < 0.5 + 1.0, f"status answered after {took:.2f} s"
        # The sleeping wrapper (and its sleep) went with the process group.
        assert _wait_until_gone(slow_git) == []


# --- a hook that never ends ----------------------------------------------------


def _notebook() -> str:
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": 1,
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
    return json.dumps(nb, indent=1) + "\n"


def _refs(git: Git, repo: Path) -> str:
    return git(repo, "for-each-ref", "--format=%(refname) %(objectname)") + git(
        repo, "rev-parse", "HEAD"
    )


@pytest.mark.alone
class TestHookDeadline:
    @pytest.fixture
    def jp_server_config(self, jp_server_config: dict[str, Any]) -> dict[str, Any]:
        return {**jp_server_config, "Repro": {"write_timeout": 1.5}}

    async def test_a_hanging_hook_is_killed_and_reported(
        self, jp_fetch: Fetch, jp_root_dir: Path, repo_at: Callable[..., Path], run_git_cmd: Git
    ) -> None:
        repo = repo_at(jp_root_dir / "work")
        (repo / "nb.ipynb").write_text(_notebook(), encoding="utf-8")
        arg, token = _sleep_token()
        hook = repo / ".git" / "hooks" / "pre-commit"
        # The hook starts a child of its own, as pre-commit frameworks do.
        hook.write_text(f"#!/bin/sh\necho checking\nsleep 60 {arg} &\nwait\n", encoding="utf-8")
        hook.chmod(0o755)
        before = _refs(run_git_cmd, repo)
        index_before = (repo / ".git" / "index").read_bytes()
        body = json.dumps({"path": "work/nb.ipynb", "message": "add nb"})
        started = time.monotonic()
        response = await jp_fetch(
            "jupyterlab-repro",
            "snapshot",
            method="POST",
            body=body,
            raise_error=False,
            request_timeout=60,
        )
        took = time.monotonic() - started
        assert response.code == 504, response.body
        data = json.loads(response.body)
        assert data["reason"] == "hook-timeout"
        assert "pre-commit" in data["message"] and "1.5 s" in data["message"]
        assert "checking" in data["output"]
        assert took < 1.5 + 2.0, f"the snapshot answered after {took:.2f} s"
        assert _wait_until_gone(token) == []
        assert _refs(run_git_cmd, repo) == before
        assert (repo / ".git" / "index").read_bytes() == index_before
        # The lock went with the failed request: the next snapshot goes through at once.
        hook.unlink()
        started = time.monotonic()
        again = await jp_fetch(
            "jupyterlab-repro", "snapshot", method="POST", body=body, request_timeout=60
        )
        assert again.code == 200
        assert json.loads(again.body)["committed"] is True
        assert time.monotonic() - started < 5


# --- MLflow hanging, status answering -----------------------------------------


class _SilentServer:
    """A loopback TCP server that accepts connections and never answers."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(conn)

    def close(self) -> None:
        # Stop accepting first (shutdown wakes the blocked accept), then close what was
        # accepted: closing the connections first raced with one more accept (a leak).
        self._closed.set()
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        self._thread.join(timeout=10)
        for conn in self.accepted:
            conn.close()


@pytest.fixture
def silent_mlflow() -> Iterator[_SilentServer]:
    server = _SilentServer()
    yield server
    server.close()


@pytest.mark.alone
@pytest.mark.mlflow
class TestMlflowHanging:
    @pytest.fixture
    def jp_server_config(
        self,
        jp_server_config: dict[str, Any],
        silent_mlflow: _SilentServer,
        monkeypatch: pytest.MonkeyPatch,
    ) -> dict[str, Any]:
        monkeypatch.setenv("REPRO_TRACKING_WARM", "0")
        # Once the silent server closes, the hung calls end at once instead of retrying.
        monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
        repro = {
            "tracking_uri": f"http://127.0.0.1:{silent_mlflow.port}",
            # Long enough that every runs request is still waiting when status is asked.
            "tracking_timeout": 60.0,
        }
        return {**jp_server_config, "Repro": repro}

    async def test_status_answers_while_runs_requests_hang(
        self,
        jp_fetch: Fetch,
        jp_root_dir: Path,
        repo_at: Callable[..., Path],
        silent_mlflow: _SilentServer,
    ) -> None:
        import mlflow.tracking  # noqa: F401  (imported here, not timed below)

        repo = repo_at(jp_root_dir / "work")
        (repo / "nb.ipynb").write_text(_notebook(), encoding="utf-8")
        await jp_fetch("jupyterlab-repro", "status", params={"path": "work"})  # warm
        runs = [
            asyncio.ensure_future(
                jp_fetch(
                    "jupyterlab-repro",
                    "runs",
                    params={"path": "work/nb.ipynb"},
                    raise_error=False,
                    request_timeout=120,
                )
            )
            for _ in range(8)
        ]
        try:
            until = time.monotonic() + 30
            while len(silent_mlflow.accepted) < 1 and time.monotonic() < until:
                await asyncio.sleep(0.05)
            assert silent_mlflow.accepted, "no runs request reached the MLflow server"
            await asyncio.sleep(0.3)  # the other requests queue up behind the hanging ones
            assert not any(task.done() for task in runs)
            started = time.monotonic()
            status = await jp_fetch(
                "jupyterlab-repro", "status", params={"path": "work"}, request_timeout=30
            )
            took = time.monotonic() - started
            assert status.code == 200
            assert took < 0.5, f"status answered after {took:.2f} s behind hanging runs requests"
            assert not any(task.done() for task in runs)
        finally:
            silent_mlflow.close()  # the hanging calls fail now; the requests end
            for task in runs:
                task.cancel()
            await asyncio.gather(*runs, return_exceptions=True)
