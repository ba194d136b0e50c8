"""A real ``jupyter server`` on 127.0.0.1 for the REST measurements, and Chromium beside it."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A real ``jupyter server`` on 127.0.0.1 (the extension loads as installed)."""

    def __init__(
        self,
        root_dir: Path,
        env: dict[str, str],
        log_dir: Path,
        extra_args: list[str] | None = None,
        poll: float = 0.2,
    ) -> None:
        self.root_dir = root_dir
        self.token = secrets.token_hex(16)
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = log_dir / f"server-{time.strftime('%H%M%S')}-{secrets.token_hex(3)}.log"
        last_error = ""
        for _ in range(3):  # a free port can be taken between the probe and the bind
            self.port = free_port()
            argv = [
                str(Path(sys.executable).parent / "jupyter"),
                "server",
                "--ServerApp.ip=127.0.0.1",
                f"--ServerApp.port={self.port}",
                "--ServerApp.port_retries=0",
                f"--ServerApp.token={self.token}",
                f"--ServerApp.root_dir={root_dir}",
                "--ServerApp.open_browser=False",
                "--allow-root",
                *(extra_args or []),
            ]
            self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
            self.started_at = time.time()  # wall clock: compared with the server's log
            self.proc = subprocess.Popen(
                argv,
                cwd=root_dir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            if self._wait_ready(90.0, poll):
                self.ready_at = time.time()
                return
            last_error = self.log_path.read_text(errors="replace")[-3000:]
            self.stop()
        raise RuntimeError(f"jupyter server did not start:\n{last_error}")

    @property
    def lab_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/lab?token={self.token}"

    def _wait_ready(self, limit: float, poll: float) -> bool:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                status, _, _ = self.request("GET", "/api/status")
                if status == 200:
                    return True
            except OSError:
                pass
            time.sleep(poll)
        return False

    def request(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        query: dict[str, str] | None = None,
        timeout: float = 600.0,
    ) -> tuple[int, Any, float]:
        """One HTTP request: (status, decoded JSON or text, seconds)."""
        url = path + ("?" + urllib.parse.urlencode(query) if query else "")
        headers = {"Authorization": f"token {self.token}"}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            start = time.perf_counter()
            conn.request(method, url, body=payload, headers=headers)
            response = conn.getresponse()
            data = response.read()
            seconds = time.perf_counter() - start
        finally:
            conn.close()
        try:
            decoded: Any = json.loads(data) if data else None
        except ValueError:
            decoded = data.decode("utf-8", "replace")
        return response.status, decoded, seconds

    def ok(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        query: dict[str, str] | None = None,
        expect: int = 200,
    ) -> tuple[Any, float]:
        """:meth:`request` that must answer ``expect``: (decoded body, seconds)."""
        status, data, seconds = self.request(method, path, body, query)
        if status != expect:
            raise RuntimeError(f"{method} {path} answered {status}: {str(data)[:300]}")
        return data, seconds

    def memory(self) -> dict[str, int]:
        """``VmRSS`` and ``VmHWM`` (peak) of the server process, in bytes."""
        facts: dict[str, int] = {}
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    facts[key] = int(value.split()[0]) * 1024
        return facts

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self._log.close()


def browser() -> tuple[str, str] | str:
    """``node`` and the system Chromium (``CHROMIUM_PATH``) to drive with ui-tests'
    Playwright, or what is missing (``make system-deps ui-deps``)."""
    chromium = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    node = shutil.which("node")
    if node is None or not Path(chromium).exists():
        return f"node or {chromium} missing"
    return node, chromium
