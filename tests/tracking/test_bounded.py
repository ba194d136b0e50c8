"""The server's MLflow calls: bounded in their own threads, MLflow unchanged everywhere else.

A call against a store that refuses connections must end when its caller
stops waiting, not minutes later after MLflow's HTTP retries: while it goes
on, the breaker reports the store unavailable, so a store back up was not
asked again for up to two minutes. Real MLflow clients, real sockets.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from jupyterlab_repro.errors import TrackingUnavailable
from jupyterlab_repro.tracking import bounded
from jupyterlab_repro.tracking.bounded import BoundedMlflow, parallel
from jupyterlab_repro.tracking.queries import list_experiments

VARIABLES = (
    "MLFLOW_HTTP_REQUEST_TIMEOUT",
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR",
)

pytestmark = pytest.mark.mlflow


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def fast_breaker(monkeypatch: pytest.MonkeyPatch) -> float:
    monkeypatch.setattr(bounded, "BREAKER_SECONDS", 0.5)
    return 0.5


def _calls_running() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "repro-mlflow" and t.is_alive()]


def _wait_calls_ended(before: set[threading.Thread], seconds: float) -> list[threading.Thread]:
    until = time.monotonic() + seconds
    while True:
        left = [t for t in _calls_running() if t not in before]
        if not left or time.monotonic() > until:
            return left
        time.sleep(0.05)


class _Listener:
    """A socket on ``port`` that accepts connections and closes them unanswered."""

    def __init__(self, port: int) -> None:
        self.accepted = 0
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", port))
        self._sock.listen(8)
        self._sock.settimeout(0.1)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                continue
            self.accepted += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._sock.close()


@pytest.fixture
def listener_on(closed_port: int) -> Iterator[Any]:
    made: list[_Listener] = []

    def start() -> _Listener:
        made.append(_Listener(closed_port))
        return made[-1]

    yield start
    for listener in made:
        listener.close()


@pytest.mark.alone
def test_a_refused_call_ends_with_its_caller(closed_port: int, fast_breaker: float) -> None:
    """MLflow gives up at the first refusal: no thread goes on retrying after the 503."""
    before = set(_calls_running())
    mlflow = BoundedMlflow(f"http://127.0.0.1:{closed_port}", timeout=3.0)
    started = time.monotonic()
    with pytest.raises(TrackingUnavailable, match=f"127.0.0.1:{closed_port}.*unavailable"):
        mlflow.call(list_experiments)
    assert time.monotonic() - started < 3.0  # refused, not waited out
    assert _wait_calls_ended(before, 1.0) == []


def test_a_store_back_is_asked_again_once_the_breaker_closes(
    closed_port: int, fast_breaker: float, listener_on: Any
) -> None:
    """The call after an outage reaches the store, instead of waiting for a stuck retrying one."""
    mlflow = BoundedMlflow(f"http://127.0.0.1:{closed_port}", timeout=1.0)
    with pytest.raises(TrackingUnavailable):
        mlflow.call(list_experiments)
    # while the breaker is open, nothing is asked
    listener = listener_on()
    with pytest.raises(TrackingUnavailable):
        mlflow.call(list_experiments)
    assert listener.accepted == 0
    time.sleep(fast_breaker + 0.2)
    with pytest.raises(TrackingUnavailable):  # the listener does not speak MLflow
        mlflow.call(list_experiments)
    assert listener.accepted == 1  # asked, and once: no retries behind the caller's back


def test_the_bounds_hold_in_the_calls_threads_only(
    closed_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Inside a call (and the threads it starts) MLflow reads the bounds; elsewhere, as before."""
    import mlflow.environment_variables as variables

    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "3")
    monkeypatch.delenv("MLFLOW_HTTP_REQUEST_TIMEOUT", raising=False)
    environ = dict(os.environ)
    mlflow = BoundedMlflow(f"http://127.0.0.1:{closed_port}", timeout=4.0)

    def read(_client: Any) -> list[Any]:
        return [getattr(variables, name).get() for name in VARIABLES]

    inside = mlflow.call(read)
    nested = mlflow.call(lambda client: parallel(lambda _: read(client), [1, 2]))
    assert inside == [4, 0, 0]
    assert nested == [inside, inside]
    # this thread, and the processes started from it (kernels), see MLflow's own settings
    default_timeout = variables.MLFLOW_HTTP_REQUEST_TIMEOUT.default
    assert read(None)[:2] == [default_timeout, 3]
    assert dict(os.environ) == environ
    other: list[Any] = []
    thread = threading.Thread(target=lambda: other.append(read(None)))
    thread.start()
    thread.join(10)
    assert other == [read(None)]


def test_installing_the_bounds_twice_wraps_once(closed_port: int) -> None:
    import mlflow.environment_variables as variables

    BoundedMlflow(f"http://127.0.0.1:{closed_port}").client()
    first = variables.MLFLOW_HTTP_REQUEST_MAX_RETRIES.get_raw
    bounded.bound_mlflow_http()
    assert variables.MLFLOW_HTTP_REQUEST_MAX_RETRIES.get_raw is first
