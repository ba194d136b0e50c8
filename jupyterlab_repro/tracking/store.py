"""The runs panel's queries: a notebook's runs, grouped by the commit that ran.

:class:`TrackingService` is built once from server configuration (never from
a request). MLflow is imported lazily: ``import mlflow`` and building a client
cost seconds, so :meth:`TrackingService.warm_in_background` does both in a
thread when the extension loads, and nothing here imports MLflow at module
import time.

Bounded
    Every MLflow call goes through :class:`~jupyterlab_repro.tracking.bounded.BoundedMlflow`
    (a deadline per request, a breaker, daemon threads); every git call
    through the ``git`` room with the same deadline.

Grouping
    Runs are grouped by the code that ran: ``repro.snapshot`` (a hidden
    snapshot commit of uncommitted changes, whose parent is
    ``mlflow.source.git.commit``) when present, else
    ``mlflow.source.git.commit``. Groups are ordered by their newest run
    (MLflow returns runs newest first); a group may continue on the next page,
    where it appears again with the same ``key``.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..deadline import Deadline
from ..errors import GitError, InvalidRequest, TrackingUnavailable
from ..git.refs import is_snapshot_commit
from ..git.repository import repository_id
from ..git.revisions import check_revision, commit_summaries, is_full_sha, resolve_commit
from ..git.runner import Git
from ..tags import (
    GIT_BRANCH,
    GIT_COMMIT,
    MLFLOW_RUN_NAME,
    MLFLOW_USER,
    REPRO_DIRTY,
    REPRO_EXECUTION_ORDER,
    REPRO_NOTEBOOK,
    REPRO_PREFIX,
    REPRO_REPO,
    REPRO_REPRODUCES,
    REPRO_REPRODUCTION_RUN,
    REPRO_REPRODUCTION_VERDICT,
    REPRO_SNAPSHOT,
    REPRO_UNSAVED,
    parse_order,
    ran_out_of_order,
)
from .bounded import BoundedMlflow
from .direct_store import DirectReader, SqliteReader, page_offset
from .queries import (
    client_metric_rows,
    finite,
    list_experiments,
    run_or_none,
    search_runs,
    set_tag,
    sql_metric_rows,
    tag_equals,
)
from .uri import redact_uri, sqlite_path, uri_kind

log = logging.getLogger(__name__)

#: Largest page a caller may ask for.
MAX_PAGE_SIZE = 1000
#: Most runs :meth:`TrackingService.metric_histories` accepts at once.
MAX_HISTORY_RUNS = 50
#: Most metric keys :meth:`TrackingService.metric_histories` accepts at once.
MAX_HISTORY_KEYS = 50
#: Seconds the list of experiments is reused before it is read again.
EXPERIMENTS_TTL = 2.0
#: Seconds the warm-up of a SQLite store waits for the panel's first answer.
WARM_WAIT = 20.0
#: Seconds a repository's root commit (its identity) is reused before git is asked again.
REPOSITORY_ID_TTL = 60.0
#: Commit subjects remembered (commits never change).
SUBJECT_CACHE_SIZE = 4096

_ID_RE = re.compile(r"^[0-9A-Za-z_-]{1,64}$")
_TOKEN_RE = re.compile(r"^[A-Za-z0-9+/=_-]{1,4096}$")


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
        self.mlflow = BoundedMlflow(tracking_uri, timeout=timeout, startup_timeout=startup_timeout)
        self.timeout = self.mlflow.timeout
        self.ui_url = (ui_url or "").rstrip("/") or None
        self.kind = uri_kind(tracking_uri)
        self._direct = DirectReader.for_uri(tracking_uri)
        self._lock = threading.Lock()  # the caches below
        self._experiments: dict[str, str] = {}
        self._experiments_at = -math.inf
        self._subjects: OrderedDict[tuple[str, str], dict[str, Any]] = OrderedDict()
        self._answered = threading.Event()  # the panel's first query was answered

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
                import mlflow.tracking  # noqa: F401  (the import is most of the first query)

                return
            names = self.mlflow.call(list_experiments)  # imports MLflow, builds the client
            self._experiments, self._experiments_at = names, time.monotonic()
            ids = list(names)
            if ids:
                # The first query of a shape compiles its SQL and loads the
                # search code: make it here, once with no match and once
                # with a match (which also loads tags, params and metrics).
                key = f"tags.`{REPRO_NOTEBOOK}`"
                self.mlflow.call(search_runs, ids, f"{key} = ''", 100, None)
                self.mlflow.call(search_runs, ids, f"{key} LIKE '%'", 1, None)
        except TrackingUnavailable as exc:
            log.warning("MLflow tracking store not ready: %s", exc)
        except Exception:  # never let a warm-up thread die noisily
            log.exception("warming up the MLflow client failed")

    def warm_in_background(self, *, wait: float = WARM_WAIT) -> threading.Thread:
        """Start :meth:`warm` in a daemon thread and return it.

        For a SQLite store the panel never needs MLflow, so the thread first
        waits for the panel's first answer (at most ``wait`` seconds):
        importing MLflow holds the GIL for seconds, and ``sqlite3`` hands the
        GIL over for every row, so a first query beside the import was slow.
        Other stores warm up at once: their first queries need the client soon.
        """

        def run() -> None:
            if isinstance(self._direct, SqliteReader):
                self._answered.wait(wait)
            self.warm()

        thread = threading.Thread(target=run, name="repro-mlflow-warm", daemon=True)
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
        deadline: Deadline | None = None,
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
        deadline:
            Shared by every MLflow and git call (default: :attr:`timeout`).
        """
        try:
            return self._notebook_runs(
                repo_root, notebook_rel, commit, page_token, max_results, filter_text, deadline
            )
        finally:
            self._answered.set()  # the warm-up of a SQLite store may start now

    def _notebook_runs(
        self,
        repo_root: Path | None,
        notebook_rel: str,
        commit: str | None,
        page_token: str | None,
        max_results: int,
        filter_text: str | None,
        deadline: Deadline | None,
    ) -> dict[str, Any]:
        deadline = deadline or Deadline(self.timeout, "the runs query")
        if not isinstance(notebook_rel, str) or not notebook_rel:
            raise InvalidRequest("A notebook path is required.")
        if not 1 <= int(max_results) <= MAX_PAGE_SIZE:
            raise InvalidRequest(f"max_results must be between 1 and {MAX_PAGE_SIZE}.")
        if page_token:
            self._check_page_token(page_token)
        clause, recheck = tag_equals(REPRO_NOTEBOOK, notebook_rel)
        clauses = [clause]
        exact = {REPRO_NOTEBOOK: notebook_rel}  # the same query for the direct reader
        resolved = None
        commit = (commit or "").strip() or None
        if commit:
            if repo_root is None:
                raise InvalidRequest("The notebook is not in a git repository: no commits.")
            resolved, is_snapshot = self._resolve_commit(Git(repo_root, deadline), commit)
            key = REPRO_SNAPSHOT if is_snapshot else GIT_COMMIT
            clauses.append(f"tags.`{key}` = '{resolved}'")
            exact[key] = resolved
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
        direct = self._direct_reader() if not (filter_text and filter_text.strip()) else None
        runs, token, names = None, None, {}
        if direct is not None:
            try:
                names = self._experiment_names(deadline=deadline, direct_ok=True)
                runs, token = direct.search(
                    list(names), exact, int(max_results), page_token or None, deadline
                )
                recheck = False
            except (TrackingUnavailable, InvalidRequest) as exc:
                log.debug("reading the store directly failed (%s); asking MLflow", exc)
                runs = None
        if runs is None:
            names = self._experiment_names(deadline=deadline)
            if not names:
                return result
            runs, token = self.mlflow.call(
                search_runs,
                list(names),
                " and ".join(clauses),
                int(max_results),
                page_token or None,
                deadline=deadline,
            )
        names = self._names_for(runs, names, deadline)
        if recheck:
            runs = [r for r in runs if r.data.tags.get(REPRO_NOTEBOOK) == notebook_rel]
        git = Git(repo_root, deadline) if repo_root is not None else None
        runs = self._same_repository(git, runs)
        result["groups"] = self._group(git, [self._run_dict(r, names) for r in runs])
        result["next_page_token"] = token or None
        return result

    def _same_repository(self, git: Git | None, runs: list[Any]) -> list[Any]:
        """Drop runs of a same-named notebook in another repository (another ``repro.repo``).

        Runs without the tag (older versions, or logged before the first
        commit) stay. Filtered here rather than in the MLflow query, which has
        no "tag missing or equal"; a page may then hold fewer runs than asked.
        """
        if git is None:
            return runs
        ours = repository_id(git.cwd, max_age=REPOSITORY_ID_TTL, deadline=git.deadline)
        if ours is None:
            return runs
        return [r for r in runs if r.data.tags.get(REPRO_REPO, ours) == ours]

    def _answer_deadline(self, deadline: Deadline | None, label: str) -> Deadline:
        """The caller's deadline, else ``timeout`` for the store to answer, from when MLflow is loaded.

        Loading MLflow (seconds on a busy machine: a CLI pays it on every
        command) has its own budget, ``startup_timeout``; it must not eat the
        store's, or a slow import reads as a store that did not answer.
        """
        if deadline is not None:
            return deadline
        self.mlflow.client()
        return Deadline(self.timeout, label)

    def get_run(self, run_id: str, *, deadline: Deadline | None = None) -> dict[str, Any]:
        """One run as the panel shows it, plus all its tags (``all_tags``) and code commit.

        Raises :class:`InvalidRequest` for an id the store does not know.
        """
        if not isinstance(run_id, str):
            raise InvalidRequest(f"Not a run id: {run_id!r}")
        return self.get_runs([run_id], deadline=deadline)[0]

    def get_runs(
        self, run_ids: Sequence[str], *, deadline: Deadline | None = None
    ) -> list[dict[str, Any]]:
        """Several runs as :meth:`get_run` gives them, in ``run_ids`` order, in one query.

        Raises :class:`InvalidRequest` naming a run the store does not know.
        """
        ids = list(dict.fromkeys(run_ids))
        for run_id in ids:
            if not _ID_RE.match(run_id):
                raise InvalidRequest(f"Not a run id: {run_id!r}")
        if self._store_missing():
            raise InvalidRequest("No such runs: the tracking store is empty.")
        deadline = self._answer_deadline(deadline, "reading the runs")
        names = self._experiment_names(deadline=deadline)
        quoted = ", ".join(f"'{run_id}'" for run_id in ids)
        found: dict[str, Any] = {}
        if names:
            runs, _ = self.mlflow.call(
                search_runs,
                list(names),
                f"attributes.run_id IN ({quoted})",
                len(ids),
                None,
                deadline=deadline,
            )
            found = {r.info.run_id: r for r in runs}
        for run_id in ids:
            if run_id not in found:  # e.g. in a deleted experiment: ask for it alone
                run = self.mlflow.call(run_or_none, run_id, deadline=deadline)
                if run is None:
                    raise InvalidRequest(f"No run {run_id!r} in {redact_uri(self.tracking_uri)}.")
                found[run_id] = run
        names = self._names_for(list(found.values()), names, deadline)
        out = []
        for run_id in ids:
            run = found[run_id]
            data = self._run_dict(run, names)
            data.pop("_branch")
            commit, snapshot = data.pop("_commit"), data.pop("_snapshot")
            data.update(
                all_tags=dict(run.data.tags),
                commit=commit,
                snapshot=snapshot,
                code=snapshot or commit,
            )
            out.append(data)
        return out

    def runs_tagged(
        self, key: str, value: str, *, max_results: int = 1, deadline: Deadline | None = None
    ) -> list[dict[str, Any]]:
        """Active runs (any active experiment) whose tag ``key`` is ``value``: id and tags."""
        if self._store_missing():
            return []
        deadline = self._answer_deadline(deadline, "the runs query")
        names = self._experiment_names(deadline=deadline)
        if not names:
            return []
        clause, recheck = tag_equals(key, value)
        runs, _ = self.mlflow.call(
            search_runs, list(names), clause, max_results, None, deadline=deadline
        )
        if recheck:
            runs = [r for r in runs if r.data.tags.get(key) == value]
        return [{"run_id": r.info.run_id, "tags": dict(r.data.tags)} for r in runs]

    def set_tag(
        self, run_id: str, key: str, value: str, *, deadline: Deadline | None = None
    ) -> None:
        """Set one tag on a run (the only write the server makes to MLflow: releases)."""
        if not _ID_RE.match(run_id):
            raise InvalidRequest(f"Not a run id: {run_id!r}")
        self.mlflow.call(set_tag, run_id, key, value, deadline=deadline)

    def metric_histories(
        self,
        run_ids: Sequence[str],
        keys: Sequence[str] | None = None,
        *,
        deadline: Deadline | None = None,
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
        deadline = deadline or Deadline(self.timeout, "the metric histories")
        rows: list[tuple[str, str, int, float, int]]
        if isinstance(self._direct, SqliteReader):
            rows = self._direct.metric_rows(run_ids, keys, deadline)
        else:
            client = self.mlflow.client()
            store = getattr(client, "_tracking_client", None)
            store = getattr(store, "store", None)
            if store is not None and hasattr(store, "ManagedSessionMaker"):
                rows = self.mlflow.call(sql_metric_rows, store, run_ids, keys, deadline=deadline)
            else:
                rows = self.mlflow.call(client_metric_rows, run_ids, keys, deadline=deadline)
        isfinite = math.isfinite
        for (run_id, key), group in groupby(rows, key=itemgetter(0, 1)):
            points = list(group)
            out["runs"].setdefault(run_id, {})[key] = {
                "steps": [int(p[2]) for p in points],
                "values": [
                    v if isfinite(v) else None
                    for v in (float(p[3]) if p[3] is not None else math.nan for p in points)
                ],
                "timestamps": [int(p[4]) for p in points],
            }
        return out

    # -- internals: the store -----------------------------------------------

    def _check_page_token(self, token: str) -> None:
        """Refuse a page token the store did not make, before MLflow chokes on it.

        MLflow's SQL stores make base64 JSON ``{"offset": N}``; a tracking
        server's tokens are opaque but base64 too. Anything else made MLflow
        raise errors that looked like an outage (and opened the breaker).
        """
        if self.kind in ("sqlite", "postgresql", "mysql", "mssql"):
            page_offset(token)
        elif not _TOKEN_RE.match(token):
            raise InvalidRequest("Invalid page token.")

    def _direct_reader(self) -> DirectReader | None:
        """The MLflow-free reader (see direct_store): always for SQLite, for HTTP until MLflow is ready.

        On SQLite, ``sqlite3`` answers the panel's query as MLflow does, and
        faster: MLflow's ORM pays ~0.3 s for its first query of this shape in
        a server process (then ~60 ms), which was the first panel refresh.
        """
        if isinstance(self._direct, SqliteReader):
            return self._direct
        return None if self.mlflow.ready else self._direct

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

    # -- internals: experiments, commits, runs -------------------------------

    def _experiment_names(
        self, *, refresh: bool = False, deadline: Deadline | None = None, direct_ok: bool = False
    ) -> dict[str, str]:
        """``{experiment_id: name}`` of the active experiments.

        A SQLite store is listed on every call, with ``sqlite3`` (well under a
        millisecond), so the first run of an experiment created a moment ago
        is in the very next query. Other stores are listed through MLflow
        (or the direct REST reader before MLflow is ready) and the list is
        reused for :data:`EXPERIMENTS_TTL` seconds; a run whose experiment is
        not in it (found by a query by id) refreshes it at once.
        """
        deadline = deadline or Deadline(self.timeout, "listing the experiments")
        if isinstance(self._direct, SqliteReader):
            try:
                names = self._direct.experiments(deadline)
            except TrackingUnavailable as exc:  # e.g. locked: MLflow's client retries
                log.debug("listing the experiments with sqlite3 failed (%s)", exc)
            else:
                self._experiments, self._experiments_at = names, time.monotonic()
                return names
        if refresh or time.monotonic() - self._experiments_at > EXPERIMENTS_TTL:
            direct = self._direct_reader() if direct_ok else None
            if direct is not None:
                names = direct.experiments(deadline)
            else:
                names = self.mlflow.call(list_experiments, deadline=deadline)
            self._experiments, self._experiments_at = names, time.monotonic()
        return self._experiments

    def _names_for(
        self, runs: list[Any], names: dict[str, str], deadline: Deadline
    ) -> dict[str, str]:
        if all(r.info.experiment_id in names for r in runs):
            return names
        return self._experiment_names(refresh=True, deadline=deadline)

    def _resolve_commit(self, git: Git, rev: str) -> tuple[str, bool]:
        """Full sha of ``rev`` and whether it is a hidden snapshot commit."""
        rev = rev.strip()
        try:
            check_revision(rev)
        except InvalidRequest:
            raise InvalidRequest(f"Not a revision: {rev!r}") from None
        sha = resolve_commit(git, rev)
        if sha is None:
            if not is_full_sha(rev.lower()):
                raise InvalidRequest(f"Unknown revision: {rev!r}")
            sha = rev.lower()  # a commit gc'ed or never fetched: still a key
        return sha, is_snapshot_commit(git, sha)

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
            "metrics": {k: finite(v) for k, v in data.metrics.items()},
            "tags": {k: v for k, v in tags.items() if k.startswith(REPRO_PREFIX)},
            "dirty": tags.get(REPRO_DIRTY) == "true",
            "unsaved": tags.get(REPRO_UNSAVED) == "true",
            "out_of_order": _out_of_order(tags.get(REPRO_EXECUTION_ORDER)),
            "reproduction": _reproduction(tags),
            "reproduces": tags.get(REPRO_REPRODUCES) or None,
            "url": self.run_url(info.experiment_id, info.run_id),
            "_commit": tags.get(GIT_COMMIT),
            "_snapshot": tags.get(REPRO_SNAPSHOT),
            "_branch": tags.get(GIT_BRANCH),
        }

    def _group(self, git: Git | None, runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
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
        facts = self._commit_facts(git, shas)
        for group in groups.values():
            fact = facts.get(group["commit"] or "")
            if fact:
                group.update(subject=fact["subject"], committed_at=fact["time"], known=True)
            parent = facts.get(group["parent"] or "")
            if parent:
                group["parent_subject"] = parent["subject"]
        return list(groups.values())

    def _commit_facts(
        self, git: Git | None, shas: Iterable[str | None]
    ) -> dict[str, dict[str, Any]]:
        """``{sha: {"subject", "time"}}`` for the commits git knows, in one git call."""
        if git is None:
            return {}
        root = str(git.cwd)
        wanted = sorted({s.lower() for s in shas if s and is_full_sha(s.lower())})
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
            found.update(commit_summaries(git, missing))
        except GitError as exc:
            log.warning("commit subjects unavailable in %s: %s", git.cwd.name, exc)
            return found
        with self._lock:
            for sha in missing:
                if sha in found:
                    self._subjects[(root, sha)] = found[sha]
            while len(self._subjects) > SUBJECT_CACHE_SIZE:
                self._subjects.popitem(last=False)
        return found


def _reproduction(tags: Mapping[str, str]) -> dict[str, str] | None:
    """The last reproduction of a run: ``{"verdict", "run_id"}`` (its badge), or ``None``."""
    run_id = tags.get(REPRO_REPRODUCTION_RUN)
    verdict = tags.get(REPRO_REPRODUCTION_VERDICT)
    if not run_id or not verdict:
        return None
    return {"verdict": verdict, "run_id": run_id}


def _out_of_order(order: str | None) -> bool:
    """Whether ``repro.execution_order`` (``1-3,5,4``) says cells ran out of order."""
    numbers = parse_order(order)
    return numbers is not None and ran_out_of_order(numbers)
