"""The runs panel's first page without MLflow: the store read directly while MLflow loads.

``import mlflow`` and building a client cost 1.5–2.5 s, and right after the
lab starts the browser competes for the same cores; the panel's first query
waited for that. :class:`DirectReader` answers the two queries the panel
makes (active experiments; a notebook's runs, optionally of one commit) with
no MLflow import:

- ``sqlite:///…`` stores with the standard library's ``sqlite3``, read-only,
  against MLflow's own schema (``experiments``, ``runs``, ``tags``,
  ``params``, ``latest_metrics``), in MLflow's order and with MLflow's page
  tokens, so the next page may come from either reader;
- ``http(s)://`` tracking servers through MLflow's REST API with ``urllib``
  (basic auth from the URI or ``MLFLOW_TRACKING_USERNAME``/``PASSWORD``, a
  bearer ``MLFLOW_TRACKING_TOKEN``); any other authentication set up in the
  environment leaves the query to MLflow's client.

It is used for SQLite stores always and for HTTP servers until the MLflow
client is ready, and only for queries without a user filter (MLflow's filter
grammar is MLflow's); results are the client's, field for field (tested
against it). Imports the standard library and the filter quoting of
:mod:`.queries` (one quoting for both doors), never MLflow.
"""

from __future__ import annotations

import base64
import json
import math
import os
import sqlite3
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ..deadline import Deadline
from ..errors import InvalidRequest, TrackingUnavailable
from .queries import quote
from .uri import redact_uri, sqlite_path, uri_kind

#: Environment variables that mean "authentication only MLflow's client knows".
_OTHER_AUTH = (
    "MLFLOW_TRACKING_AUTH",
    "MLFLOW_TRACKING_CLIENT_CERT_PATH",
    "MLFLOW_TRACKING_SERVER_CERT_PATH",
    "MLFLOW_TRACKING_INSECURE_TLS",
    "DATABRICKS_HOST",
)


#: SQLite virtual-machine steps between two deadline checks (~30 ms of work).
PROGRESS_STEPS = 200_000


@dataclass
class RunInfo:
    run_id: str
    run_name: str | None
    experiment_id: str
    status: str
    start_time: int | None
    end_time: int | None
    user_id: str | None


@dataclass
class RunData:
    tags: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)


@dataclass
class Run:
    """The parts of an MLflow ``Run`` the runs panel reads."""

    info: RunInfo
    data: RunData


def page_token(offset: int) -> str:
    """MLflow's SQL-store page token for ``offset`` (base64 of ``{"offset": N}``)."""
    return base64.b64encode(json.dumps({"offset": offset}).encode("utf-8")).decode("ascii")


def page_offset(token: str | None) -> int:
    if not token:
        return 0
    try:
        offset = json.loads(base64.b64decode(token, validate=True))["offset"]
    except (ValueError, TypeError, KeyError, IndexError):
        raise InvalidRequest("Invalid page token.") from None
    if not isinstance(offset, int) or offset < 0:
        raise InvalidRequest("Invalid page token.")
    return offset


class DirectReader:
    """Reads one store without MLflow; build it with :meth:`for_uri`."""

    def experiments(self, deadline: Deadline) -> dict[str, str]:
        raise NotImplementedError

    def search(
        self,
        experiment_ids: list[str],
        tags: dict[str, str],
        max_results: int,
        page: str | None,
        deadline: Deadline,
    ) -> tuple[list[Run], str | None]:
        """Active runs carrying every tag in ``tags``, newest first (MLflow's order)."""
        raise NotImplementedError

    @staticmethod
    def for_uri(uri: str) -> DirectReader | None:
        """A reader for ``uri``, or ``None`` when only MLflow's client can read it."""
        kind = uri_kind(uri)
        if kind == "sqlite":
            path = sqlite_path(uri)
            return SqliteReader(os.fspath(path)) if path is not None else None
        if kind == "http" and not any(os.environ.get(name) for name in _OTHER_AUTH):
            return HttpReader(uri)
        return None


class SqliteReader(DirectReader):
    """MLflow's SQLite schema, read-only with ``sqlite3``."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._json: bool | None = None  # whether this SQLite has JSON functions (None: untried)

    def _connect(self, deadline: Deadline) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(
                f"file:{self.path}?mode=ro", uri=True, timeout=max(deadline.remaining(), 0.01)
            )
        except sqlite3.Error as exc:
            raise TrackingUnavailable(f"The MLflow store cannot be opened: {exc}") from exc

        def past_deadline() -> int:
            return 1 if deadline.expired else 0  # non-zero interrupts the statement

        # Every call takes the GIL, which costs a switch interval when another
        # thread holds it: ~30 ms of SQLite work between two checks.
        conn.set_progress_handler(past_deadline, PROGRESS_STEPS)
        return conn

    def _query(self, deadline: Deadline, sql: str, args: tuple[Any, ...] = ()) -> list[Any]:
        conn = self._connect(deadline)
        try:
            return conn.execute(sql, args).fetchall()
        except sqlite3.OperationalError as exc:
            if deadline.expired:
                raise TrackingUnavailable(
                    f"The MLflow store did not answer within {deadline.describe()}."
                ) from exc
            raise TrackingUnavailable(f"The MLflow store cannot be read: {exc}") from exc
        except sqlite3.Error as exc:
            raise TrackingUnavailable(f"The MLflow store cannot be read: {exc}") from exc
        finally:
            conn.close()

    def experiments(self, deadline: Deadline) -> dict[str, str]:
        rows = self._query(
            deadline,
            "SELECT experiment_id, name FROM experiments WHERE lifecycle_stage = 'active'",
        )
        return {str(eid): name for eid, name in rows}

    def search(
        self,
        experiment_ids: list[str],
        tags: dict[str, str],
        max_results: int,
        page: str | None,
        deadline: Deadline,
    ) -> tuple[list[Run], str | None]:
        offset = page_offset(page)
        if not experiment_ids:
            return [], None
        joins: list[str] = []
        args: list[Any] = []
        for n, (key, value) in enumerate(tags.items()):
            joins.append(
                f"JOIN tags t{n} ON t{n}.run_uuid = r.run_uuid AND t{n}.key = ? AND t{n}.value = ?"
            )
            args += [key, value]
        marks = ",".join("?" * len(experiment_ids))
        sql = (
            "SELECT r.run_uuid, r.name, r.experiment_id, r.status, r.start_time, r.end_time, "
            f"r.user_id FROM runs r {' '.join(joins)} "
            f"WHERE r.lifecycle_stage = 'active' AND r.experiment_id IN ({marks}) "
            "ORDER BY r.start_time IS NULL, r.start_time DESC, r.run_uuid ASC LIMIT ? OFFSET ?"
        )
        ids = [int(e) for e in experiment_ids if e.isdigit()]
        # One run more than the page: a next page only when there is one (as MLflow 3 does)
        args += [*ids, max_results + 1, offset]
        runs = None
        if self._json is not False:
            try:
                runs = self._page_as_json(sql, tuple(args), deadline)
                self._json = True
            except _NoJson:
                self._json = False  # an SQLite without JSON functions: one row per value
        if runs is None:
            rows = self._query(deadline, sql, tuple(args))
            runs = {
                uuid: Run(RunInfo(uuid, name, str(eid), status, start, end, user), RunData())
                for uuid, name, eid, status, start, end, user in rows
            }
        more = len(runs) > max_results
        if more:
            runs = dict(list(runs.items())[:max_results])
        if self._json is False and runs:
            self._fill(runs, deadline, ("tags", "params"))
        if runs:
            self._fill(runs, deadline, ("latest_metrics",))
        return list(runs.values()), page_token(offset + max_results) if more else None

    def _page_as_json(self, sql: str, args: tuple[Any, ...], deadline: Deadline) -> dict[str, Run]:
        """The page with its tags and params as one JSON row.

        ``sqlite3`` hands the GIL back and forth for every row it steps
        through, and a thread holding it (MLflow loading, the lab starting)
        makes each hand-over wait a switch interval (5 ms): a page of 50 runs
        with their tags and params was ~800 rows, 0.3–0.9 s right after the
        lab started. As one row it is one hand-over. Tags and params are
        text, which JSON carries exactly; metric values are not (SQLite's
        float-to-text is not exact before 3.43) and come as rows.
        """
        page = (
            f"WITH page AS ({sql}) SELECT json_group_array(json_array("
            "p.run_uuid, p.name, p.experiment_id, p.status, p.start_time, p.end_time, p.user_id, "
            "(SELECT json_group_object(key, value) FROM tags WHERE run_uuid = p.run_uuid), "
            "(SELECT json_group_object(key, value) FROM params WHERE run_uuid = p.run_uuid)"
            ")) FROM page p"
        )
        try:
            (text,) = self._query(deadline, page, args)[0]
        except TrackingUnavailable as exc:
            if "no such function" in str(exc):
                raise _NoJson from exc
            raise
        rows = json.loads(text) if text else []
        # json_group_array keeps no promised order: MLflow's, again
        rows.sort(key=lambda r: (r[4] is None, -(r[4] or 0), r[0]))
        return {
            uuid: Run(
                RunInfo(uuid, name, str(eid), status, start, end, user),
                RunData(tags=tags or {}, params=params or {}),
            )
            for uuid, name, eid, status, start, end, user, tags, params in rows
        }

    def metric_rows(
        self, run_ids: list[str], keys: list[str], deadline: Deadline
    ) -> list[tuple[str, str, int, float, int]]:
        """Every point of ``keys`` (all keys when empty) of ``run_ids``, by run, key, step, time.

        The same rows as MLflow's SQL store gives (NaN where ``is_nan``), read
        with ``sqlite3``: charts of 10 runs x 10,000 steps are 300,000 rows,
        and building SQLAlchemy objects for them took seconds.
        """
        if not run_ids:
            return []
        sql = (
            "SELECT run_uuid, key, step, value, timestamp, is_nan FROM metrics "
            f"WHERE run_uuid IN ({','.join('?' * len(run_ids))})"
        )
        args: tuple[Any, ...] = tuple(run_ids)
        if keys:
            sql += f" AND key IN ({','.join('?' * len(keys))})"
            args += tuple(keys)
        sql += " ORDER BY run_uuid, key, step, timestamp"
        nan = math.nan
        return [
            (run, key, step, nan if is_nan else value, ts)
            for run, key, step, value, ts, is_nan in self._query(deadline, sql, args)
        ]

    def _fill(self, runs: dict[str, Run], deadline: Deadline, tables: tuple[str, ...]) -> None:
        """Add the rows of ``tables`` (``tags``, ``params``, ``latest_metrics``) to ``runs``."""
        marks = ",".join("?" * len(runs))
        keys = tuple(runs)
        if "tags" in tables:
            for uuid, key, value in self._query(
                deadline, f"SELECT run_uuid, key, value FROM tags WHERE run_uuid IN ({marks})", keys
            ):
                runs[uuid].data.tags[key] = value
        if "params" in tables:
            for uuid, key, value in self._query(
                deadline,
                f"SELECT run_uuid, key, value FROM params WHERE run_uuid IN ({marks})",
                keys,
            ):
                runs[uuid].data.params[key] = value
        if "latest_metrics" in tables:
            for uuid, key, value, is_nan in self._query(
                deadline,
                "SELECT run_uuid, key, value, is_nan FROM latest_metrics "
                f"WHERE run_uuid IN ({marks})",
                keys,
            ):
                runs[uuid].data.metrics[key] = math.nan if is_nan else float(value)


class _NoJson(Exception):
    """This SQLite has no JSON functions (built without them, before 3.38)."""


class HttpReader(DirectReader):
    """MLflow's REST API (``/api/2.0/mlflow/…``) with ``urllib``."""

    def __init__(self, uri: str) -> None:
        parts = urlsplit(uri)
        self._headers = {"Content-Type": "application/json"}
        user, password = parts.username, parts.password
        user = user or os.environ.get("MLFLOW_TRACKING_USERNAME")
        password = password or os.environ.get("MLFLOW_TRACKING_PASSWORD")
        token = os.environ.get("MLFLOW_TRACKING_TOKEN")
        if user and password:
            basic = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
            self._headers["Authorization"] = f"Basic {basic}"
        elif token:
            self._headers["Authorization"] = f"Bearer {token}"
        netloc = parts.netloc.rpartition("@")[2]
        self._base = urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))
        self._shown = redact_uri(uri)

    def _post(self, endpoint: str, body: dict[str, Any], deadline: Deadline) -> dict[str, Any]:
        request = urllib.request.Request(
            f"{self._base}/api/2.0/mlflow/{endpoint}",
            data=json.dumps(body).encode("utf-8"),
            headers=self._headers,
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=max(deadline.remaining(), 0.01)) as reply:
                return json.loads(reply.read() or b"{}")
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:300].decode("utf-8", "replace")
            if 400 <= exc.code < 500 and "INVALID_PARAMETER_VALUE" in detail:
                raise InvalidRequest(f"MLflow rejected the query: {detail}") from None
            raise TrackingUnavailable(
                f"The MLflow tracking store at {self._shown} is unavailable: HTTP {exc.code}"
            ) from None
        except (OSError, ValueError) as exc:
            raise TrackingUnavailable(
                f"The MLflow tracking store at {self._shown} is unavailable: {exc}"
            ) from None

    def experiments(self, deadline: Deadline) -> dict[str, str]:
        names: dict[str, str] = {}
        token = None
        while True:
            body: dict[str, Any] = {"max_results": 1000, "view_type": "ACTIVE_ONLY"}
            if token:
                body["page_token"] = token
            reply = self._post("experiments/search", body, deadline)
            names.update((e["experiment_id"], e["name"]) for e in reply.get("experiments", []))
            token = reply.get("next_page_token")
            if not token:
                return names

    def search(
        self,
        experiment_ids: list[str],
        tags: dict[str, str],
        max_results: int,
        page: str | None,
        deadline: Deadline,
    ) -> tuple[list[Run], str | None]:
        if not experiment_ids:
            return [], None
        clauses = []
        for key, value in tags.items():
            quoted = quote(value)
            if quoted is None or "`" in key:
                raise InvalidRequest("not expressible")  # the caller falls back to MLflow
            clauses.append(f"tags.`{key}` = {quoted}")
        body: dict[str, Any] = {
            "experiment_ids": experiment_ids,
            "filter": " and ".join(clauses),
            "run_view_type": "ACTIVE_ONLY",
            "max_results": max_results,
            "order_by": ["attributes.start_time DESC", "attributes.run_id ASC"],
        }
        if page:
            body["page_token"] = page
        reply = self._post("runs/search", body, deadline)
        runs = [_run_from_json(r) for r in reply.get("runs", [])]
        return runs, reply.get("next_page_token") or None


def _run_from_json(run: dict[str, Any]) -> Run:
    info, data = run.get("info", {}), run.get("data", {})
    return Run(
        RunInfo(
            run_id=info.get("run_id") or info.get("run_uuid"),
            run_name=info.get("run_name"),
            experiment_id=str(info.get("experiment_id")),
            status=info.get("status"),
            start_time=_int(info.get("start_time")),
            end_time=_int(info.get("end_time")),
            user_id=info.get("user_id"),
        ),
        RunData(
            tags={t["key"]: t.get("value", "") for t in data.get("tags", [])},
            params={p["key"]: p.get("value", "") for p in data.get("params", [])},
            metrics={m["key"]: _float(m.get("value")) for m in data.get("metrics", [])},
        ),
    )


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _float(value: Any) -> float:
    if isinstance(value, str):  # the REST API writes NaN and infinities as strings
        return float(value)
    return float(value) if value is not None else math.nan
