"""MLflow queries for the runs panel: a notebook's runs, grouped by the commit that ran.

:class:`TrackingService` is built once from server configuration (never from
a request). MLflow is imported lazily: ``import mlflow`` and building a client
cost seconds, so :meth:`TrackingService.warm_in_background` does both in a
thread when the extension loads, and nothing here imports MLflow at module
import time.

Bounded
    Every MLflow call runs in the service's own worker threads with a
    deadline (:attr:`TrackingService.timeout`). A call that fails to reach the
    store, or misses its deadline, raises :class:`TrackingUnavailable` and
    opens a short *breaker*: until it closes, and while a timed-out call is
    still running, further queries fail at once instead of piling up threads.
    ``MLFLOW_HTTP_REQUEST_TIMEOUT`` / ``MLFLOW_HTTP_REQUEST_MAX_RETRIES`` are
    not changed in the server's environment, because kernels inherit it and a
    training run should keep MLflow's patient defaults; the CLI, a process of
    its own, lowers them (see :func:`bounded_http_env`).

Grouping
    Runs are grouped by the code that ran: ``repro.snapshot`` (a hidden
    snapshot commit of uncommitted changes, whose parent is
    ``mlflow.source.git.commit``) when present, else
    ``mlflow.source.git.commit``. Groups are ordered by their newest run
    (MLflow returns runs newest first); a group may continue on the next page,
    where it appears again with the same ``key``.
"""

from __future__ import annotations

import concurrent.futures
import logging
import math
import os
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from .errors import GitError, GitTimeout, InvalidRequest, TrackingUnavailable
from .vcs import repository_id, run_git

log = logging.getLogger(__name__)

T = TypeVar("T")

REPRO_NOTEBOOK = "repro.notebook"
REPRO_SNAPSHOT = "repro.snapshot"
REPRO_DIRTY = "repro.git.dirty"
REPRO_REPO = "repro.repo"
GIT_COMMIT = "mlflow.source.git.commit"
GIT_BRANCH = "mlflow.source.git.branch"
MLFLOW_USER = "mlflow.user"
MLFLOW_RUN_NAME = "mlflow.runName"

#: Largest page a caller may ask for.
MAX_PAGE_SIZE = 1000
#: Most runs :meth:`TrackingService.metric_histories` accepts at once.
MAX_HISTORY_RUNS = 50
#: Most metric keys :meth:`TrackingService.metric_histories` accepts at once.
MAX_HISTORY_KEYS = 50
#: Seconds a failed store is reported unavailable without being asked again.
BREAKER_SECONDS = 5.0
#: Seconds the list of experiments is reused before it is read again.
EXPERIMENTS_TTL = 2.0
#: Seconds each git call may take.
GIT_TIMEOUT = 10.0
#: Seconds a repository's root commit (its identity) is reused before git is asked again.
REPOSITORY_ID_TTL = 60.0
#: Commit subjects remembered (commits never change).
SUBJECT_CACHE_SIZE = 4096

_SHA_RE = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")
_ID_RE = re.compile(r"^[0-9A-Za-z_-]{1,64}$")
#: MLflow error codes that mean "your query is wrong", not "the store is down".
_BAD_REQUEST_CODES = frozenset({"INVALID_PARAMETER_VALUE", "BAD_REQUEST"})


# --- URIs ------------------------------------------------------------------


def default_tracking_uri(root_dir: str | os.PathLike[str]) -> str:
    """``MLFLOW_TRACKING_URI`` if set, else the embedded store ``<root>/mlflow.db``."""
    env = os.environ.get("MLFLOW_TRACKING_URI", "").strip()
    if env:
        return env
    return "sqlite:///" + Path(os.path.realpath(root_dir), "mlflow.db").as_posix()


def uri_kind(uri: str) -> str:
    """``sqlite``, ``http``, ``file``, ``postgresql``, ``mysql``, ``databricks`` …"""
    if uri.strip().lower() in ("databricks", "databricks-uc", "uc"):
        return "databricks"
    try:
        scheme = urlsplit(uri).scheme.lower()
    except ValueError:
        return "unknown"
    if len(scheme) == 1:  # a Windows drive letter: a local path
        return "file"
    scheme = scheme.split("+", 1)[0]
    if scheme in ("http", "https"):
        return "http"
    if scheme in ("", "file"):
        return "file"
    if scheme == "postgres":
        return "postgresql"
    return scheme


def redact_uri(uri: str) -> str:
    """``uri`` without user, password, query or fragment (which may hold secrets)."""
    try:
        netloc = urlsplit(uri).netloc
    except ValueError:
        return "<invalid uri>"
    base = re.split(r"[?#]", uri, maxsplit=1)[0]
    if "@" in netloc:
        base = base.replace(netloc, netloc.rpartition("@")[2], 1)
    return base


def sqlite_path(uri: str) -> Path | None:
    """The database file of a ``sqlite:///path`` URI (``None`` for in-memory / others)."""
    if not uri.lower().startswith("sqlite:"):
        return None
    rest = uri[len("sqlite:") :]
    if not rest.startswith("///"):
        return None
    path = rest[3:].split("?", 1)[0]
    if not path or path == ":memory:":
        return None
    # sqlite:////abs → "/abs"; sqlite:///rel → "rel" (relative to the cwd)
    return Path(path if path.startswith("/") or re.match(r"^[A-Za-z]:", path) else path)


def bounded_http_env(timeout: float) -> dict[str, str]:
    """Environment values that make MLflow's HTTP client give up within ``timeout``.

    Only for processes of our own (the CLI): kernels inherit the server's
    environment, so the server does not set these.
    """
    return {
        "MLFLOW_HTTP_REQUEST_TIMEOUT": str(max(1, math.ceil(timeout))),
        "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0",
        "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "0",
    }


# --- filters ---------------------------------------------------------------


def _quote(value: str) -> str | None:
    """``value`` as an MLflow filter string literal, or ``None`` if it cannot be one.

    MLflow's grammar has no escapes: a value is quoted with ``'`` or ``"``,
    whichever it does not contain.
    """
    if "'" not in value:
        return f"'{value}'"
    if '"' not in value:
        return f'"{value}"'
    return None


def tag_equals(key: str, value: str) -> tuple[str, bool]:
    """A filter clause for ``tags.`key` = value`` and whether results need re-checking.

    A value holding both quote characters cannot be written as a literal:
    the clause is then a ``LIKE`` that matches a superset (quotes,
    backslashes, ``%`` and ``_`` match any one character) and the caller keeps
    only exact matches.
    """
    if "`" in key:
        raise InvalidRequest(f"Tag key may not contain a backtick: {key!r}")
    quoted = _quote(value)
    if quoted is not None:
        return f"tags.`{key}` = {quoted}", False
    pattern = re.sub(r"['\"\\%_]", "_", value)
    return f"tags.`{key}` LIKE '{pattern}'", True


# --- the service -----------------------------------------------------------


class TrackingService:
    """Read-only queries against one MLflow tracking store.

    Parameters
    ----------
    tracking_uri:
        The store (``sqlite:///…``, ``http://…``, ``postgresql://…``).
    timeout:
        Seconds one MLflow call may take before the store counts as unavailable.
    startup_timeout:
        Seconds importing MLflow and building the client may take.
    ui_url:
        Base URL of an MLflow UI for links (``None``: no links).
    """

    def __init__(
        self,
        tracking_uri: str,
        *,
        timeout: float = 5.0,
        startup_timeout: float = 60.0,
        ui_url: str | None = None,
    ) -> None:
        self.tracking_uri = tracking_uri
        self.timeout = float(timeout)
        self.startup_timeout = max(float(startup_timeout), self.timeout)
        self.ui_url = (ui_url or "").rstrip("/") or None
        self.kind = uri_kind(tracking_uri)
        self._lock = threading.Lock()
        self._client: Any = None
        self._client_future: concurrent.futures.Future[Any] | None = None
        self._stuck: list[concurrent.futures.Future[Any]] = []
        self._down_until = 0.0
        self._down_message = ""
        self._experiments: dict[str, str] = {}
        self._experiments_at = -math.inf
        self._refreshing = False
        self._subjects: OrderedDict[tuple[str, str], dict[str, Any]] = OrderedDict()

    # -- description ---------------------------------------------------------

    def describe(self) -> dict[str, Any]:
        """What a client may know about the store: its kind, redacted URI and UI link."""
        return {"uri_kind": self.kind, "uri": redact_uri(self.tracking_uri), "ui_url": self.ui_url}

    def run_url(self, experiment_id: str, run_id: str) -> str | None:
        """Link to a run in the configured MLflow UI, or ``None``."""
        if not self.ui_url:
            return None
        return f"{self.ui_url}/#/experiments/{experiment_id}/runs/{run_id}"

    # -- life cycle ----------------------------------------------------------

    def warm(self) -> None:
        """Import MLflow, build the client and read the experiments (errors are logged)."""
        try:
            if self._store_missing():
                self._import_mlflow()
                return
            ids = list(self._experiment_names(refresh=True))
            if ids:
                # The first query of a shape compiles its SQL and loads the
                # search code: make it here, once with no match and once
                # with a match (which also loads tags, params and metrics).
                key = f"tags.`{REPRO_NOTEBOOK}`"
                self._call(_search_runs, ids, f"{key} = ''", 100, None)
                self._call(_search_runs, ids, f"{key} LIKE '%'", 1, None)
        except TrackingUnavailable as exc:
            log.warning("MLflow tracking store not ready: %s", exc)
        except Exception:  # never let a warm-up thread die noisily
            log.exception("warming up the MLflow client failed")

    def warm_in_background(self) -> threading.Thread:
        """Start :meth:`warm` in a daemon thread and return it."""
        thread = threading.Thread(target=self.warm, name="repro-mlflow-warm", daemon=True)
        thread.start()
        return thread

    # -- queries -------------------------------------------------------------

    def runs_for_notebook(
        self,
        repo_root: Path | None,
        notebook_rel: str,
        *,
        commit: str | None = None,
        page_token: str | None = None,
        max_results: int = 100,
        filter_text: str | None = None,
    ) -> dict[str, Any]:
        """The notebook's runs across all experiments, grouped by commit, newest first.

        Parameters
        ----------
        repo_root:
            The repository holding the notebook (``None`` outside one: no
            commit subjects, ``commit`` not allowed).
        notebook_rel:
            The ``repro.notebook`` tag value: the path relative to the
            repository (``/``-separated), absolute outside one.
        commit:
            Only runs of this revision (resolved with git); for a hidden
            snapshot commit, the runs of that snapshot.
        page_token, max_results:
            MLflow pagination, passed through.
        filter_text:
            An extra MLflow filter expression, joined with ``and``
            (``metrics.acc > 0.9 and params.lr = '0.1'``).
        """
        if not isinstance(notebook_rel, str) or not notebook_rel:
            raise InvalidRequest("A notebook path is required.")
        if not 1 <= int(max_results) <= MAX_PAGE_SIZE:
            raise InvalidRequest(f"max_results must be between 1 and {MAX_PAGE_SIZE}.")
        clause, recheck = tag_equals(REPRO_NOTEBOOK, notebook_rel)
        clauses = [clause]
        resolved = None
        commit = (commit or "").strip() or None
        if commit:
            if repo_root is None:
                raise InvalidRequest("The notebook is not in a git repository: no commits.")
            resolved, is_snapshot = self._resolve_commit(repo_root, commit)
            clauses.append(f"tags.`{REPRO_SNAPSHOT if is_snapshot else GIT_COMMIT}` = '{resolved}'")
        if filter_text and filter_text.strip():
            clauses.append(filter_text.strip())
        result: dict[str, Any] = {
            "tracking": self.describe(),
            "notebook": notebook_rel,
            "commit": resolved,
            "groups": [],
            "next_page_token": None,
        }
        if self._store_missing():
            return result  # no store yet: no runs (and do not create one)
        names = self._experiment_names()
        if not names:
            return result
        runs, token = self._call(
            _search_runs,
            list(names),
            " and ".join(clauses),
            int(max_results),
            page_token or None,
        )
        names = self._names_for(runs, names)
        if recheck:
            runs = [r for r in runs if r.data.tags.get(REPRO_NOTEBOOK) == notebook_rel]
        runs = self._same_repository(repo_root, runs)
        result["groups"] = self._group(repo_root, [self._run_dict(r, names) for r in runs])
        result["next_page_token"] = token or None
        return result

    def _same_repository(self, repo_root: Path | None, runs: list[Any]) -> list[Any]:
        """Drop runs of a same-named notebook in another repository (another ``repro.repo``).

        Runs without the tag (older versions, or logged before the first
        commit) stay. Filtered here rather than in the MLflow query, which has
        no "tag missing or equal"; a page may then hold fewer runs than asked.
        """
        if repo_root is None:
            return runs
        ours = repository_id(repo_root, max_age=REPOSITORY_ID_TTL, timeout=GIT_TIMEOUT)
        if ours is None:
            return runs
        return [r for r in runs if r.data.tags.get(REPRO_REPO, ours) == ours]

    def metric_histories(
        self, run_ids: Sequence[str], keys: Sequence[str] | None = None
    ) -> dict[str, Any]:
        """Full metric histories of a few runs, for comparison charts.

        Returns ``{"runs": {run_id: {key: {"steps": [...], "values": [...],
        "timestamps": [...]}}}}``, points ordered by step then time; NaN and
        infinities become ``null``. With no ``keys``, every metric of the runs.
        """
        run_ids = list(dict.fromkeys(run_ids))
        keys = list(dict.fromkeys(keys or []))
        if not run_ids:
            raise InvalidRequest("At least one run_id is required.")
        if len(run_ids) > MAX_HISTORY_RUNS or len(keys) > MAX_HISTORY_KEYS:
            raise InvalidRequest(
                f"At most {MAX_HISTORY_RUNS} runs and {MAX_HISTORY_KEYS} metric keys at once."
            )
        for run_id in run_ids:
            if not _ID_RE.match(run_id):
                raise InvalidRequest(f"Not a run id: {run_id!r}")
        out: dict[str, Any] = {"tracking": self.describe(), "runs": {r: {} for r in run_ids}}
        if self._store_missing():
            return out
        client = self._get_client()
        store = getattr(client, "_tracking_client", None)
        store = getattr(store, "store", None)
        if store is not None and hasattr(store, "ManagedSessionMaker"):
            rows = self._call(_sql_metric_rows, store, run_ids, keys)
        else:
            rows = self._call(_client_metric_rows, run_ids, keys)
        for run_id, key, step, value, timestamp in rows:
            series = (
                out["runs"]
                .setdefault(run_id, {})
                .setdefault(key, {"steps": [], "values": [], "timestamps": []})
            )
            series["steps"].append(int(step))
            series["values"].append(_finite(value))
            series["timestamps"].append(int(timestamp))
        return out

    # -- internals: the client and its deadline ------------------------------

    def _store_missing(self) -> bool:
        """True for a local store that does not exist yet (or an empty SQLite file).

        MLflow would create the file and its tables; a read-only panel must not.
        """
        if self.kind == "file":  # a local mlruns folder: MLflow would create it
            parts = urlsplit(self.tracking_uri)
            return not Path(parts.path if parts.scheme == "file" else self.tracking_uri).exists()
        path = sqlite_path(self.tracking_uri)
        if path is None:
            return False
        try:
            return path.stat().st_size == 0
        except FileNotFoundError:
            return True

    def _import_mlflow(self) -> None:
        import mlflow.tracking  # noqa: F401

    def _get_client(self) -> Any:
        if self._client is not None:
            return self._client
        with self._lock:
            if self._client is not None:
                return self._client
            self._check_breaker()
            future = self._client_future
            if future is None or (future.done() and future.exception() is not None):
                future = self._client_future = _submit(self._build_client)
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

    def _build_client(self) -> Any:
        from mlflow.tracking import MlflowClient

        started = time.perf_counter()
        client = MlflowClient(tracking_uri=self.tracking_uri)
        # Build the store now (SQL engines connect and check the schema).
        _ = client._tracking_client.store
        log.debug("MLflow client for %s ready in %.2f s", self.kind, time.perf_counter() - started)
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

    def _call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(client, *args)`` in a worker with the deadline; map MLflow errors."""
        client = self._get_client()
        with self._lock:
            self._check_breaker()
            future = _submit(fn, client, *args)
        try:
            return future.result(timeout=self.timeout)
        except concurrent.futures.TimeoutError as exc:
            with self._lock:
                self._stuck.append(future)
            raise self._trip(
                f"The MLflow tracking store at {redact_uri(self.tracking_uri)} did not answer "
                f"within {self.timeout:g} s."
            ) from exc
        except (InvalidRequest, TrackingUnavailable):
            raise
        except Exception as exc:
            code = getattr(exc, "error_code", None)
            if code in _BAD_REQUEST_CODES:
                raise InvalidRequest(f"MLflow rejected the query: {_first_line(exc)}") from exc
            raise self._trip(self._unavailable_message(exc)) from exc

    def _unavailable_message(self, exc: BaseException) -> str:
        detail = _first_line(exc)
        # MLflow's messages repeat the URL it called; never echo credentials.
        detail = detail.replace(self.tracking_uri, redact_uri(self.tracking_uri))
        detail = re.sub(r"//[^/@\s]+@", "//", detail)
        return f"The MLflow tracking store at {redact_uri(self.tracking_uri)} is unavailable: " + (
            detail[:300] or type(exc).__name__
        )

    # -- internals: experiments, commits, runs -------------------------------

    def _experiment_names(self, *, refresh: bool = False) -> dict[str, str]:
        """``{experiment_id: name}`` of the active experiments.

        Read once, then reused: when older than :data:`EXPERIMENTS_TTL` it is
        returned as it is and read again in the background, so a query does
        not pay for listing experiments (an experiment created meanwhile
        shows up on the next query).
        """
        if refresh or self._experiments_at == -math.inf:
            names = self._call(_list_experiments)
            self._experiments, self._experiments_at = names, time.monotonic()
        elif time.monotonic() - self._experiments_at > EXPERIMENTS_TTL:
            with self._lock:
                start = not self._refreshing
                self._refreshing = True
            if start:
                threading.Thread(
                    target=self._refresh_experiments, name="repro-mlflow-experiments", daemon=True
                ).start()
        return self._experiments

    def _refresh_experiments(self) -> None:
        try:
            self._experiment_names(refresh=True)
        except Exception as exc:  # the next query reports it
            log.debug("refreshing the experiments failed: %s", exc)
        finally:
            self._refreshing = False

    def _names_for(self, runs: list[Any], names: dict[str, str]) -> dict[str, str]:
        if all(r.info.experiment_id in names for r in runs):
            return names
        return self._experiment_names(refresh=True)

    def _resolve_commit(self, repo_root: Path, rev: str) -> tuple[str, bool]:
        """Full sha of ``rev`` and whether it is a hidden snapshot commit."""
        rev = rev.strip()
        if not rev or rev.startswith("-") or "\x00" in rev:
            raise InvalidRequest(f"Not a revision: {rev!r}")
        try:
            proc = run_git(
                ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"],
                repo_root,
                timeout=GIT_TIMEOUT,
                read_only=True,
            )
            sha = proc.stdout.decode("ascii", "replace").strip()
        except GitError as exc:
            if _SHA_RE.match(rev.lower()):  # a commit gc'ed or never fetched: still a key
                sha = rev.lower()
            elif isinstance(exc, GitTimeout):
                raise
            else:
                raise InvalidRequest(f"Unknown revision: {rev!r}") from exc
        proc = run_git(
            ["for-each-ref", "--count=1", "--format=%(refname)", "--points-at", sha, "--"]
            + ["refs/repro/snapshots/"],
            repo_root,
            timeout=GIT_TIMEOUT,
            read_only=True,
        )
        return sha, bool(proc.stdout.strip())

    def _run_dict(self, run: Any, names: Mapping[str, str]) -> dict[str, Any]:
        info, data = run.info, run.data
        tags = data.tags
        start, end = info.start_time, info.end_time
        return {
            "run_id": info.run_id,
            "run_name": info.run_name or tags.get(MLFLOW_RUN_NAME),
            "experiment_id": info.experiment_id,
            "experiment_name": names.get(info.experiment_id),
            "status": info.status,
            "start_time": start,
            "end_time": end,
            "duration": (end - start) / 1000.0 if start is not None and end else None,
            "user": tags.get(MLFLOW_USER) or info.user_id or None,
            "params": dict(data.params),
            "metrics": {k: _finite(v) for k, v in data.metrics.items()},
            "tags": {k: v for k, v in tags.items() if k.startswith("repro.")},
            "dirty": tags.get(REPRO_DIRTY) == "true",
            "url": self.run_url(info.experiment_id, info.run_id),
            "_commit": tags.get(GIT_COMMIT),
            "_snapshot": tags.get(REPRO_SNAPSHOT),
            "_branch": tags.get(GIT_BRANCH),
        }

    def _group(self, repo_root: Path | None, runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        groups: dict[str | None, dict[str, Any]] = {}
        for run in runs:
            head, snap, branch = run.pop("_commit"), run.pop("_snapshot"), run.pop("_branch")
            snapshot = bool(snap)
            key = snap or head or None
            group = groups.get(key)
            if group is None:
                group = groups[key] = {
                    "key": key,
                    "commit": key,
                    "short_sha": key[:7] if key else None,
                    "subject": None,
                    "committed_at": None,
                    "known": False,
                    "snapshot": snapshot,
                    "parent": head if snapshot else None,
                    "parent_short_sha": head[:7] if snapshot and head else None,
                    "parent_subject": None,
                    "branch": branch,
                    "runs": [],
                }
            group["runs"].append(run)
        shas = {g["commit"] for g in groups.values()} | {g["parent"] for g in groups.values()}
        facts = self._commit_facts(repo_root, shas)
        for group in groups.values():
            fact = facts.get(group["commit"] or "")
            if fact:
                group.update(subject=fact["subject"], committed_at=fact["time"], known=True)
            parent = facts.get(group["parent"] or "")
            if parent:
                group["parent_subject"] = parent["subject"]
        return list(groups.values())

    def _commit_facts(
        self, repo_root: Path | None, shas: Iterable[str | None]
    ) -> dict[str, dict[str, Any]]:
        """``{sha: {"subject", "time"}}`` for the commits git knows, in one git call."""
        if repo_root is None:
            return {}
        root = str(repo_root)
        wanted = sorted({s.lower() for s in shas if s and _SHA_RE.match(s.lower())})
        found: dict[str, dict[str, Any]] = {}
        missing = []
        with self._lock:
            for sha in wanted:
                cached = self._subjects.get((root, sha))
                if cached is not None:
                    found[sha] = cached
                else:
                    missing.append(sha)
        if not missing:
            return found
        try:
            proc = run_git(
                ["log", "--no-walk=unsorted", "--ignore-missing", "--format=%H%x1f%cI%x1f%s%x1e"]
                + missing
                + ["--"],
                repo_root,
                timeout=GIT_TIMEOUT,
                read_only=True,
            )
        except GitError as exc:
            log.warning("commit subjects unavailable in %s: %s", repo_root, exc)
            return found
        for record in proc.stdout.decode("utf-8", "replace").split("\x1e"):
            fields = record.strip("\n").split("\x1f")
            if len(fields) != 3:
                continue
            sha, when, subject = fields
            found[sha] = {"subject": subject, "time": when}
        with self._lock:
            for sha in missing:
                if sha in found:
                    self._subjects[(root, sha)] = found[sha]
            while len(self._subjects) > SUBJECT_CACHE_SIZE:
                self._subjects.popitem(last=False)
        return found


# --- calls run in the worker threads --------------------------------------


def _submit(fn: Callable[..., T], *args: Any) -> concurrent.futures.Future[T]:
    """Run ``fn(*args)`` in a new daemon thread.

    Daemon threads, not a pool: a call stuck on a dead server (MLflow's own
    retries can last minutes) must never keep the server from exiting.
    """
    future: concurrent.futures.Future[T] = concurrent.futures.Future()

    def work() -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            future.set_result(fn(*args))
        except BaseException as exc:  # handed to the waiting caller
            future.set_exception(exc)

    threading.Thread(target=work, name="repro-mlflow", daemon=True).start()
    return future


def _list_experiments(client: Any) -> dict[str, str]:
    from mlflow.entities import ViewType

    names: dict[str, str] = {}
    token = None
    while True:
        page = client.search_experiments(
            view_type=ViewType.ACTIVE_ONLY, max_results=1000, page_token=token
        )
        names.update((e.experiment_id, e.name) for e in page)
        token = page.token
        if not token:
            return names


def _search_runs(
    client: Any,
    experiment_ids: list[str],
    filter_string: str,
    max_results: int,
    page_token: str | None,
) -> tuple[list[Any], str | None]:
    from mlflow.entities import ViewType

    log.debug("search_runs %s", filter_string)
    page = client.search_runs(
        experiment_ids,
        filter_string=filter_string,
        run_view_type=ViewType.ACTIVE_ONLY,
        max_results=max_results,
        order_by=["attributes.start_time DESC", "attributes.run_id ASC"],
        page_token=page_token,
    )
    token = page.token
    if isinstance(token, bytes):  # the SQL store's tokens are base64 bytes
        token = token.decode("ascii")
    return list(page), token


def _sql_metric_rows(
    client: Any, store: Any, run_ids: list[str], keys: list[str]
) -> list[tuple[str, str, int, float, int]]:
    """One read-only query through MLflow's SQLAlchemy store."""
    try:
        from mlflow.store.tracking.dbmodels.models import SqlMetric
    except ImportError:  # another MLflow layout: the public API still works
        return _client_metric_rows(client, run_ids, keys)

    with store.ManagedSessionMaker() as session:
        query = session.query(
            SqlMetric.run_uuid,
            SqlMetric.key,
            SqlMetric.step,
            SqlMetric.value,
            SqlMetric.timestamp,
            SqlMetric.is_nan,
        ).filter(SqlMetric.run_uuid.in_(run_ids))
        if keys:
            query = query.filter(SqlMetric.key.in_(keys))
        rows = query.order_by(
            SqlMetric.run_uuid, SqlMetric.key, SqlMetric.step, SqlMetric.timestamp
        ).all()
    return [
        (run, key, step, math.nan if is_nan else value, ts)
        for run, key, step, value, ts, is_nan in rows
    ]


def _client_metric_rows(
    client: Any,
    run_ids: list[str],
    keys: list[str],
) -> list[tuple[str, str, int, float, int]]:
    """The client API, one history per (run, key), fetched in parallel."""
    pairs: list[tuple[str, str]] = []
    if keys:
        pairs = [(r, k) for r in run_ids for k in keys]
    else:
        for run in _parallel(lambda r: _run_or_none(client, r), run_ids):
            if run is not None:  # unknown to the store: no metrics, as on the SQL path
                pairs.extend((run.info.run_id, k) for k in sorted(run.data.metrics))
    rows: list[tuple[str, str, int, float, int]] = []
    histories = _parallel(lambda p: client.get_metric_history(*p), pairs)
    for (run_id, key), history in zip(pairs, histories, strict=True):
        points = sorted(history, key=lambda m: (m.step, m.timestamp))
        rows.extend((run_id, key, m.step, m.value, m.timestamp) for m in points)
    return rows


def _run_or_none(client: Any, run_id: str) -> Any:
    """``client.get_run(run_id)``, or ``None`` for a run the store does not know."""
    try:
        return client.get_run(run_id)
    except Exception as exc:
        if getattr(exc, "error_code", None) == "RESOURCE_DOES_NOT_EXIST":
            return None
        raise


def _parallel(fn: Callable[[Any], T], items: Sequence[Any], workers: int = 8) -> list[T]:
    """``[fn(x) for x in items]`` in at most ``workers`` of :func:`_submit`'s daemon threads.

    Not a ``ThreadPoolExecutor``: the interpreter joins its threads at exit,
    so a call stuck on a hung MLflow server (minutes of HTTP retries) would
    keep the Jupyter server from exiting. The first error is raised.
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

    for worker in [_submit(work) for _ in range(min(workers, len(items)))]:
        worker.result()
    return results


def _finite(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "message", None) or exc).strip()
    return text.splitlines()[0] if text else ""
