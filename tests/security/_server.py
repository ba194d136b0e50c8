"""A real Jupyter server with jupyterlab_repro in a subprocess, and a small HTTP client for it.

Run as a script, this module is the server process: it initializes a
``ServerApp`` with the given command line, writes the routes tornado will
dispatch (read from the application itself, :mod:`_routes`) and the port to
``--info``, then serves until SIGTERM. With ``--no-start`` it only writes the
routes and exits (collection-time discovery; no port is bound).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import http.client
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _routes import Route, discover_routes, routes_from_json, routes_to_json

STARTUP_TIMEOUT = 90.0


@dataclass
class Response:
    """What the server answered: ``status`` 0 when it closed the connection unanswered,
    -1 when it did not answer within the client's timeout."""

    status: int
    body: bytes
    headers: dict[str, str]

    def text(self, limit: int = 4000) -> str:
        text = self.body.decode("utf-8", "replace")
        return text if len(text) <= limit else text[:limit] + f"… ({len(text)} chars)"

    def json(self) -> Any:
        return json.loads(self.body)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_argv(root: Path, token: str, port: int, extra: list[str] | None = None) -> list[str]:
    """The ``ServerApp`` command line: only 127.0.0.1, this token, this root, the extension on."""
    argv = [
        "--ServerApp.jpserver_extensions={'jupyterlab_repro': True}",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        "--ServerApp.open_browser=False",
        "--ServerApp.allow_remote_access=False",
        *(["--ServerApp.allow_root=True"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []),
        *(extra or []),
    ]
    return argv


def jupyter_env(base: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """An environment whose Jupyter user paths live below ``base`` (no developer config)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "JUPYTER_"))}
    for name in ("config", "data", "runtime"):
        (base / f"jupyter-{name}").mkdir(parents=True, exist_ok=True)
    env.update(
        HOME=str(base),
        JUPYTER_CONFIG_DIR=str(base / "jupyter-config"),
        JUPYTER_DATA_DIR=str(base / "jupyter-data"),
        JUPYTER_RUNTIME_DIR=str(base / "jupyter-runtime"),
        JUPYTER_PLATFORM_DIRS="1",
        REPRO_TRACKING_WARM="0",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra or {})
    return env


class ReproServer:
    """One ``jupyter server`` process on a free 127.0.0.1 port; stop it with :meth:`stop`."""

    def __init__(self, root: Path, workdir: Path, env: dict[str, str], extra: list[str]) -> None:
        self.root = root
        self.workdir = workdir
        self.env = env
        self.extra = extra
        self.token = secrets.token_hex(16)
        self.port = 0
        self.log_path = workdir / "server.log"
        self.info: dict[str, Any] = {}
        self.proc: subprocess.Popen[bytes] | None = None

    # -- life cycle ----------------------------------------------------------

    def start(self) -> None:
        for _attempt in range(3):  # a port taken between free_port() and the bind: retry
            self.port = free_port()
            info = self.workdir / "server-info.json"
            info.unlink(missing_ok=True)
            self.info = {}
            argv = server_argv(self.root, self.token, self.port, self.extra)
            with self.log_path.open("ab") as log:
                self.proc = subprocess.Popen(
                    [sys.executable, str(Path(__file__)), "--info", str(info), "--", *argv],
                    cwd=self.workdir,
                    env=self.env,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            if self._wait_ready(info):
                return
            self.stop()
        raise RuntimeError(f"the Jupyter server did not start:\n{self.log_tail()}")

    def _wait_ready(self, info: Path) -> bool:
        assert self.proc is not None
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            if info.exists() and not self.info:
                with contextlib.suppress(ValueError):
                    self.info = json.loads(info.read_text(encoding="utf-8"))
            if self.info:
                with contextlib.suppress(OSError, http.client.HTTPException):
                    if self.request("GET", self.url("api", "status")).status == 200:
                        return True
            time.sleep(0.1)
        return False

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=15)

    # -- requests ------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return str(self.info.get("base_url", "/"))

    def url(self, *parts: str) -> str:
        return self.base_url.rstrip("/") + "/" + "/".join(p.strip("/") for p in parts)

    def request(
        self,
        method: str,
        target: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        *,
        auth: bool = True,
        timeout: float = 180.0,
    ) -> Response:
        """Send one request (``target``: path and query, already encoded) on a new connection."""
        sent = {"Authorization": f"token {self.token}"} if auth else {}
        if body is not None:
            sent["Content-Type"] = "application/json"
        sent.update(headers or {})
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            try:
                conn.request(method, target, body=body, headers=sent)
                reply = conn.getresponse()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                return Response(0, b"", {})
            except TimeoutError:
                return Response(-1, b"", {})
            data = reply.read()
            return Response(reply.status, data, {k.lower(): v for k, v in reply.getheaders()})
        finally:
            conn.close()

    # -- the log -------------------------------------------------------------

    def log_offset(self) -> int:
        return self.log_path.stat().st_size if self.log_path.exists() else 0

    def log_since(self, offset: int, limit: int = 6000) -> str:
        if not self.log_path.exists():
            return ""
        with self.log_path.open("rb") as handle:
            handle.seek(offset)
            text = handle.read().decode("utf-8", "replace")
        return text if len(text) <= limit else "…" + text[-limit:]

    def log_tail(self, limit: int = 6000) -> str:
        return self.log_since(max(0, self.log_offset() - limit), limit)


@contextlib.contextmanager
def running_server(
    root: Path, workdir: Path, env: dict[str, str], extra: list[str] | None = None
) -> Iterator[ReproServer]:
    server = ReproServer(root, workdir, env, extra or [])
    server.start()
    try:
        yield server
    finally:
        server.stop()


def discover_in_subprocess() -> list[dict[str, Any]]:
    """The extension's routes as a real ``ServerApp`` registers them (no port bound, no serving)."""
    with tempfile.TemporaryDirectory(prefix="repro-routes-") as tmp:
        base = Path(tmp)
        root = base / "root"
        root.mkdir()
        info = base / "info.json"
        env = jupyter_env(base, {"MLFLOW_TRACKING_URI": f"sqlite:///{base / 'mlflow.db'}"})
        argv = server_argv(root, secrets.token_hex(8), free_port())
        proc = subprocess.run(
            [sys.executable, str(Path(__file__)), "--no-start", "--info", str(info), "--", *argv],
            cwd=base,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=STARTUP_TIMEOUT,
            check=False,
        )
        if proc.returncode != 0 or not info.exists():
            raise RuntimeError(f"route discovery failed:\n{proc.stdout}\n{proc.stderr}")
        return list(json.loads(info.read_text(encoding="utf-8"))["routes"])


@functools.cache
def collected_routes() -> tuple[Route, ...]:
    """The extension's routes, read once per session from a real ``ServerApp`` (subprocess)."""
    routes = tuple(routes_from_json(discover_in_subprocess()))
    if not routes:
        raise RuntimeError("no jupyterlab-repro route was discovered: the tests would be vacuous")
    return routes


# --- the server process ------------------------------------------------------


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--info", required=True, type=Path)
    parser.add_argument("--no-start", action="store_true")
    parser.add_argument("server_args", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    server_args = [a for a in args.server_args if a != "--"]

    from jupyter_server.serverapp import ServerApp

    app = ServerApp.instance()
    app.initialize(argv=server_args, new_httpserver=not args.no_start)
    routes = discover_routes(app.web_app, app.base_url)
    tmp = args.info.with_suffix(".tmp")
    tmp.write_text(
        json.dumps({"port": app.port, "base_url": app.base_url, "routes": routes_to_json(routes)}),
        encoding="utf-8",
    )
    os.replace(tmp, args.info)
    if args.no_start:
        return 0
    app.start()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
