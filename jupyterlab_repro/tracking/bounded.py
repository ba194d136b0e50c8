"""MLflow calls that never hang a request: a deadline per call, a breaker, daemon threads.

:class:`BoundedMlflow` owns the MLflow client of one tracking store. Every
call runs in a daemon thread of its own and is waited for until the caller's
:class:`~jupyterlab_repro.deadline.Deadline` (at most :attr:`timeout`); a call
that fails to reach the store, or misses its deadline, raises
:class:`~jupyterlab_repro.errors.TrackingUnavailable` and opens a short
*breaker*: until it closes, and while a timed-out call is still running,
further calls fail at once instead of piling up threads.

Daemon threads, not a pool: a call stuck on a dead server must never keep
the Jupyter server from exiting.

MLflow's HTTP client retries a server that does not answer for minutes
(``MLFLOW_HTTP_REQUEST_MAX_RETRIES``, 5-7 tries with doubling back-off). In
the server that patience is wasted: the caller stopped waiting at its
deadline, and while such a call goes on the breaker stays open, so a panel
kept saying "unavailable" for up to two minutes after the store was back.
The calls made here therefore run with MLflow's HTTP settings of the CLI
(:func:`~jupyterlab_repro.tracking.uri.bounded_http_env`: no retries, a
request timeout of the call's own), read by MLflow in *these threads only*
(:func:`bound_mlflow_http`). The server's environment is not changed:
kernels inherit it, and a training run keeps MLflow's patient defaults.
"""

from __future__ import annotations

import concurrent.futures
import logging
import re
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from ..deadline import Deadline
from ..errors import InvalidRequest, TrackingUnavailable
from ..mlflow_compat import install as install_mlflow_shims
from .uri import bounded_http_env, redact_uri

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Seconds a failed store is reported unavailable without being asked again.
BREAKER_SECONDS = 5.0
#: MLflow error codes that mean "your query is wrong", not "the store is down".
_BAD_REQUEST_CODES = frozenset({"INVALID_PARAMETER_VALUE", "BAD_REQUEST"})

#: MLflow's HTTP settings for the calls of the current thread (see :func:`bound_mlflow_http`).
_HTTP_SETTINGS = threading.local()


class BoundedMlflow:
    """The MLflow client of one store, called under deadlines with a breaker.

    Parameters
    ----------
    tracking_uri:
        The store (``sqlite:///…``, ``http://…``, ``postgresql://…``).
    timeout:
        Seconds one call may take at most before the store counts as unavailable.
    startup_timeout:
        Seconds importing MLflow and building the client may take.
    """

    def __init__(
        self, tracking_uri: str, *, timeout: float = 5.0, startup_timeout: float = 60.0
    ) -> None:
        self.tracking_uri = tracking_uri
        self.timeout = float(timeout)
        self.startup_timeout = max(float(startup_timeout), self.timeout)
        self._lock = threading.Lock()
        self._client: Any = None
        self._client_future: concurrent.futures.Future[Any] | None = None
        self._stuck: list[concurrent.futures.Future[Any]] = []
        self._down_until = 0.0
        self._down_message = ""

    @property
    def ready(self) -> bool:
        """Whether the client is built (calls no longer wait for MLflow to load)."""
        return self._client is not None

    def client(self) -> Any:
        """The ``MlflowClient`` (built in a worker on first use, within ``startup_timeout``)."""
        if self._client is not None:
            return self._client
        with self._lock:
            if self._client is not None:
                return self._client
            self._check_breaker()
            future = self._client_future
            if future is None or (future.done() and future.exception() is not None):
                future = self._client_future = submit(self._build_client)
        try:
            client = future.result(timeout=self.startup_timeout)
        except concurrent.futures.TimeoutError as exc:
            raise self._trip(
                f"The MLflow client for {redact_uri(self.tracking_uri)} was not ready "
                f"within {self.startup_timeout:g} s."
            ) from exc
        except TrackingUnavailable:
            raise
        except Exception as exc:
            raise self._trip(self._unavailable_message(exc)) from exc
        self._client = client
        return client

    def call(self, fn: Callable[..., T], *args: Any, deadline: Deadline | None = None) -> T:
        """``fn(client, *args)`` in a worker, waited for until the deadline; MLflow errors mapped.

        Raises :class:`InvalidRequest` when MLflow rejects the query and
        :class:`TrackingUnavailable` when the store cannot answer in time.
        """
        client = self.client()
        wait, budget = self.timeout, f"{self.timeout:g} s"
        if deadline is not None and deadline.remaining() < self.timeout:
            wait, budget = deadline.remaining(), deadline.describe()
        with self._lock:
            self._check_breaker()
            future = submit(fn, client, *args, http_settings=bounded_http_env(wait))
        try:
            return future.result(timeout=wait)
        except concurrent.futures.TimeoutError as exc:
            with self._lock:
                self._stuck.append(future)
            raise self._trip(
                f"The MLflow tracking store at {redact_uri(self.tracking_uri)} did not answer "
                f"within {budget}."
            ) from exc
        except (InvalidRequest, TrackingUnavailable):
            raise
        except Exception as exc:
            code = getattr(exc, "error_code", None)
            if code in _BAD_REQUEST_CODES:
                raise InvalidRequest(f"MLflow rejected the query: {first_line(exc)}") from exc
            raise self._trip(self._unavailable_message(exc)) from exc

    def _build_client(self) -> Any:
        install_mlflow_shims()  # the plugin does it too, unless entry points are off
        from mlflow.tracking import MlflowClient

        bound_mlflow_http()

        started = time.perf_counter()
        client = MlflowClient(tracking_uri=self.tracking_uri)
        # Build the store now (SQL engines connect and check the schema).
        _ = client._tracking_client.store
        log.debug("MLflow client ready in %.2f s", time.perf_counter() - started)
        return client

    def _check_breaker(self) -> None:
        self._stuck = [f for f in self._stuck if not f.done()]
        if self._stuck or time.monotonic() < self._down_until:
            raise TrackingUnavailable(
                self._down_message or "The MLflow tracking store is unavailable."
            )

    def _trip(self, message: str) -> TrackingUnavailable:
        with self._lock:
            self._down_until = time.monotonic() + BREAKER_SECONDS
            self._down_message = message
        log.warning("MLflow tracking store unavailable: %s", message)
        return TrackingUnavailable(message)

    def _unavailable_message(self, exc: BaseException) -> str:
        detail = first_line(exc)
        # MLflow's messages repeat the URL it called; never echo credentials.
        detail = detail.replace(self.tracking_uri, redact_uri(self.tracking_uri))
        detail = re.sub(r"//[^/@\s]+@", "//", detail)
        return f"The MLflow tracking store at {redact_uri(self.tracking_uri)} is unavailable: " + (
            detail[:300] or type(exc).__name__
        )


def bound_mlflow_http() -> None:
    """Let MLflow read its HTTP settings from :data:`_HTTP_SETTINGS` in the threads that set them.

    MLflow reads ``MLFLOW_HTTP_REQUEST_*`` at every request through
    ``_EnvironmentVariable.get_raw``; this wraps that reader of the variables
    :func:`bounded_http_env` sets, so a value set for the current thread comes first, then the
    environment as before. Other threads, and every other process, see
    MLflow unchanged. Idempotent; a variable an MLflow release lacks is
    skipped.
    """
    import mlflow.environment_variables as variables

    for name in bounded_http_env(1.0):
        variable = getattr(variables, name, None)
        raw = getattr(variable, "get_raw", None)
        if raw is None or getattr(raw, "_repro_per_thread", False):
            continue

        def per_thread(name: str = name, raw: Callable[[], str | None] = raw) -> str | None:
            values = getattr(_HTTP_SETTINGS, "values", None)
            if values is not None and name in values:
                return str(values[name])
            return raw()

        per_thread._repro_per_thread = True  # type: ignore[attr-defined]
        variable.get_raw = per_thread  # type: ignore[union-attr]


def submit(
    fn: Callable[..., T], *args: Any, http_settings: dict[str, str] | None = None
) -> concurrent.futures.Future[T]:
    """Run ``fn(*args)`` in a new daemon thread (see the module docs for why not a pool).

    MLflow reads ``http_settings`` there (:func:`bound_mlflow_http`); by
    default the thread inherits the caller's.
    """
    future: concurrent.futures.Future[T] = concurrent.futures.Future()
    settings = http_settings or getattr(_HTTP_SETTINGS, "values", None)

    def work() -> None:
        if not future.set_running_or_notify_cancel():
            return
        _HTTP_SETTINGS.values = settings
        try:
            future.set_result(fn(*args))
        except BaseException as exc:  # handed to the waiting caller
            future.set_exception(exc)

    threading.Thread(target=work, name="repro-mlflow", daemon=True).start()
    return future


def parallel(fn: Callable[[Any], T], items: Sequence[Any], workers: int = 8) -> list[T]:
    """``[fn(x) for x in items]`` in at most ``workers`` of :func:`submit`'s daemon threads.

    The first error is raised.
    """
    results: list[Any] = [None] * len(items)
    todo = iter(enumerate(items))
    lock = threading.Lock()

    def work() -> None:
        while True:
            with lock:
                job = next(todo, None)
            if job is None:
                return
            results[job[0]] = fn(job[1])

    for worker in [submit(work) for _ in range(min(workers, len(items)))]:
        worker.result()
    return results


def first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "message", None) or exc).strip()
    return text.splitlines()[0] if text else ""
