"""The attacked server (a real Jupyter server in a subprocess) and the check every request passes.

Properties checked for each request by :func:`exchange`:

* the answer is never a 5xx (nor a dropped connection, unless the request
  line is longer than tornado's header limit);
* a 4xx body is a JSON object with a string ``message`` and a string ``reason``;
* after a 4xx the repository is exactly as before (HEAD, refs, index bytes,
  ``.git/info/exclude``, ``.git/config``, lock files, the global git config,
  every path below the server root);
* whatever the answer, nothing outside the server root changes.

After a request that changed anything the root is restored from its
pristine copy, so every request starts from the same state.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _inputs import plausible_values, server_keys, shown
from _routes import Endpoint, routes_from_json
from _server import ReproServer, Response, jupyter_env, running_server
from _workspace import (
    NOTEBOOK,
    Workspace,
    build_tracking_store,
    build_workspace,
    capture,
    describe_change,
    restore,
)

from jupyterlab_repro.tracking import bounded

#: A request line longer than tornado's ``max_header_size`` (64 KiB) is dropped unanswered
#: by the HTTP layer before any handler runs; below this length an unanswered request is a bug.
UNANSWERED_OK_FROM = 60_000

#: After a ``tracking-unavailable`` 503 the product's MLflow breaker stays open this long;
#: waiting it out keeps the next request's answer its own (not the previous one's).
BREAKER_SECONDS = float(getattr(bounded, "BREAKER_SECONDS", 5.0)) + 0.3

_EXCEPTION_LINE = re.compile(r"^\s*([A-Za-z_][\w.]*(?:Error|Exception|Warning)\b.*)$", re.M)


@dataclass
class Target:
    """The attacked server, its root and the plausible values of the fields it reads."""

    ws: Workspace
    server: ReproServer
    plausible: dict[str, list[Any]]
    known_keys: tuple[str, ...]

    def __repr__(self) -> str:
        return f"Target(server on 127.0.0.1:{self.server.port}, root {self.ws.root})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # hypothesis' failure report
        printer.text(repr(self))

    def url(self, endpoint: Endpoint) -> str:
        """The endpoint's URL as the attacked server itself registered it."""
        live = {r.name: r for r in routes_from_json(self.server.info["routes"])}
        assert endpoint.route.name in live, f"{endpoint} is not served by the attacked server"
        return live[endpoint.route.name].url


@contextlib.contextmanager
def serving(base: Path) -> Iterator[Target]:
    """A Jupyter server with the extension on a free 127.0.0.1 port, over the test repository.

    Git reads only the workspace's global config (with the test identity);
    MLflow is a real SQLite store outside the root with one run of the
    notebook. Timeouts are generous: a slow CI machine must not turn into 504s.
    """
    ws = build_workspace(base / "workspace")
    uri, run_id = build_tracking_store(base / "mlflow.db", ws)
    env = jupyter_env(
        base / "home",
        {
            "GIT_CONFIG_GLOBAL": str(ws.gitconfig),
            "GIT_CONFIG_NOSYSTEM": "1",
            "MLFLOW_TRACKING_URI": uri,
        },
    )
    extra = [
        "--Repro.status_timeout=60",
        "--Repro.read_timeout=60",
        "--Repro.write_timeout=120",
        "--Repro.tracking_timeout=60",
    ]
    with running_server(ws.root, base, env, extra) as server:
        target = Target(ws, server, plausible_values(ws, run_id), server_keys())
        warm = server.request("GET", server.url("jupyterlab-repro", "runs") + f"?path={NOTEBOOK}")
        assert warm.status == 200, (warm.status, warm.text(), server.log_tail())
        assert run_id in warm.text(100_000), warm.text()
        restore(ws)
        yield target


def exception_in(log: str) -> str | None:
    """The last exception line of a traceback in ``log`` (``UnicodeEncodeError: …``)."""
    found = _EXCEPTION_LINE.findall(log)
    return found[-1].strip() if found else None


class PropertyFailure(AssertionError):
    """A request broke a property; ``kind``, ``status`` and ``exception`` group failures by cause."""

    def __init__(self, message: str, kind: str, status: int, exception: str | None) -> None:
        super().__init__(message)
        self.kind = kind
        self.status = status
        self.exception = exception


#: Seconds a job an accepted request started may take to end once cancelled.
JOB_SETTLE_SECONDS = 120.0


def settle(server: ReproServer, response: Response) -> None:
    """Cancel the background job an accepted request started, and wait until it has ended.

    ``POST runs/reproduce`` answers ``202`` with a job that goes on checking
    out, starting a kernel and recording after the answer: left running, it
    changes the repository under the *next* request (which a busy server
    refuses with ``409 reproduction-running``) and that request would be
    blamed for it.
    """
    if response.status != 202:
        return
    try:
        job = json.loads(response.body).get("job")
    except (ValueError, AttributeError):
        return
    if not isinstance(job, str):
        return
    url = server.url("jupyterlab-repro", "runs", "reproduce") + f"?job={job}"
    server.request("DELETE", url)
    deadline = time.monotonic() + JOB_SETTLE_SECONDS
    while time.monotonic() < deadline:
        state = server.request("GET", url)
        if state.status != 200 or json.loads(state.body).get("state") == "finished":
            return
        time.sleep(0.1)
    raise AssertionError(f"job {job} did not end within {JOB_SETTLE_SECONDS:g} s of its cancel")


def exchange(
    target: Target,
    endpoint: Endpoint,
    url: str,
    body: bytes | None,
    shown_input: str,
    headers: dict[str, str] | None = None,
) -> Response:
    """Send one request and check every property (raises :class:`PropertyFailure`)."""
    ws, server = target.ws, target.server
    before = capture(ws)
    offset = server.log_offset()
    response = server.request(endpoint.method, url, body, headers)
    settle(server, response)
    after = capture(ws)
    if response.status == 503 and b"tracking-unavailable" in response.body:
        time.sleep(BREAKER_SECONDS)
    try:
        log = server.log_since(offset)
        status = response.status

        def fail(kind: str, detail: str = "") -> PropertyFailure:
            exception = exception_in(log) if status >= 500 else None
            message = (
                f"{endpoint}: {kind}{detail}\n"
                f"input: {shown_input}\n"
                f"request: {endpoint.method} {shown(url, 300)}\n"
                f"answer: {status} {response.text(3000)}\n"
                f"server log:\n{log}"
            )
            return PropertyFailure(message, kind, status, exception)

        if status == -1:
            raise fail("gave no answer within the client's timeout")
        if status == 0 and len(url) < UNANSWERED_OK_FROM:
            raise fail("closed the connection without an answer")
        if status >= 500:
            raise fail(f"answered {status} (must never be 5xx)")
        if after["outside the root"] != before["outside the root"]:
            raise fail(
                "changed files outside the server root", "\n" + describe_change(before, after)
            )
        if 400 <= status < 500 and endpoint.method != "HEAD":  # HEAD answers carry no body
            try:
                data = json.loads(response.body)
            except ValueError:
                data = None
            if not isinstance(data, dict):
                raise fail("a 4xx whose body is not a JSON object")
            if not isinstance(data.get("message"), str):
                raise fail("a 4xx without a string 'message'")
            if not isinstance(data.get("reason"), str):
                raise fail("a 4xx without a string 'reason'")
        if (400 <= status < 500 or status == 0) and after != before:
            raise fail(
                f"a refused request ({status}) changed the repository",
                "\n" + describe_change(before, after),
            )
        return response
    finally:
        if after != before:
            restore(ws)
