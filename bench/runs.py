"""``runs``: the runs panel on a store of 10,000 runs / 1,000 commits: ``GET
/jupyterlab-repro/runs`` (warm, and the first query after a fresh server answers or after
JupyterLab started in Chromium) vs a warm ``MlflowClient.search_runs`` with the same filter;
``GET runs/metrics`` for 20 runs vs ``get_metric_history`` per run per key;
``jupyter-repro runs --json`` for information."""

from __future__ import annotations

import contextlib
import json
import statistics
import sys
import textwrap
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import generate
from .harness import Bench, Feature
from .results import Budget, fmt_seconds
from .runs_startup import (
    first_queries,
    first_queries_after_lab_start,
    runs_server,
    runs_store,
    tracking_timeline,
)
from .server import Server
from .timing import clock, log, profile, rounds, summaries, timed

#: Runs per page the runs panel asks for (``pageSize`` in src/runsModel.ts).
RUNS_PAGE_SIZE = 50

# A Python process doing what ``jupyter-repro runs --json`` does with MLflow's client
# (argv: uri, filter, max_results): the CLI's counterpart, process start included.
RUNS_CLIENT_SCRIPT = textwrap.dedent(
    """
    import sys

    from mlflow.tracking import MlflowClient

    uri, query, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    client = MlflowClient(tracking_uri=uri)
    ids = [e.experiment_id for e in client.search_experiments()]
    print(len(client.search_runs(ids, filter_string=query, max_results=count)))
    """
)


@dataclass
class Store:
    """The seeded store and what the panel asks of it."""

    facts: dict[str, Any]
    repo: Path
    nb: str
    uri: str
    run_ids: list[str]
    keys: list[str]
    page: int = RUNS_PAGE_SIZE

    @property
    def query_string(self) -> str:
        return f"tags.`repro.notebook` = '{self.nb}'"

    @property
    def metrics_route(self) -> str:
        return "/jupyterlab-repro/runs/metrics?" + urllib.parse.urlencode(
            [("run_id", r) for r in self.run_ids] + [("key", k) for k in self.keys]
        )

    def get_runs(self, server: Server) -> tuple[float, dict[str, Any]]:
        status, body, seconds = server.request(
            "GET", "/jupyterlab-repro/runs", query={"path": self.nb, "max_results": str(self.page)}
        )
        count = sum(len(g["runs"]) for g in body["groups"]) if status == 200 else -1
        if count != self.page:
            raise RuntimeError(f"GET runs answered {status} with {count} runs: {body}")
        return seconds, body


def run(bench: Bench) -> None:
    try:
        from mlflow.tracking import MlflowClient  # noqa: F401

        from jupyterlab_repro.tracking.store import TrackingService  # noqa: F401
    except Exception as exc:
        bench.skip("runs", f"mlflow or jupyterlab_repro.tracking.store not importable: {exc!r}")
        return
    facts = runs_store(bench)
    store = Store(
        facts,
        Path(facts["repo"]),
        facts["notebook"],
        facts["uri"],
        facts["history_run_ids"],
        facts["metric_keys"],
    )
    label = (
        f"{facts['notebook_runs']:,} runs of {store.nb} / {facts['commits']:,} commits "
        f"(+{facts['runs_total'] - facts['notebook_runs']:,} other runs)"
    )
    log(f"runs: {label}; seeded in {facts['seconds']:.1f} s")
    # Budget 2: the first query, sent as soon as a fresh server answers /api/status.
    starts = first_queries(bench, facts, store.get_runs)
    # Budget 2 as DESIGN words it: the first query after *the lab* started,
    # i.e. once JupyterLab is up in a browser that opened it as soon as the
    # server answered (the server's MLflow warm-up runs meanwhile).
    lab_starts = first_queries_after_lab_start(bench, facts, store.get_runs)
    samples, late_first, late_timeline, service = _warm(bench, store)
    stats, med = summaries(samples)
    profiles = {}
    if not bench.args.no_profile:
        run_ids, keys, page = store.run_ids, store.keys, store.page
        with inline_tracking_calls():
            profiles[f"runs_for_notebook() warm, {page} runs (in-process)"] = profile(
                lambda: service.runs_for_notebook(store.repo, store.nb, max_results=page)
            )
            profiles[f"metric_histories() {len(run_ids)} runs x {len(keys)} keys"] = profile(
                lambda: service.metric_histories(run_ids, keys)
            )
    bench.sections["runs"] = {
        # No absolute paths in the results (they are committed).
        "store": {
            k: v for k, v in facts.items() if k not in ("history_run_ids", "repo", "db", "uri")
        },
        "page_size": store.page,
        "history_runs": len(store.run_ids),
        "metric_keys": store.keys,
        "filter": store.query_string,
        "seconds": stats,
        "starts": starts,
        "lab_starts": lab_starts,
        "first_get_after_warmup_seconds": late_first,
        "late_server_timeline": late_timeline,
        "profiles": profiles,
    }
    _budgets(bench, store, label, med, starts, lab_starts, late_first)


def _warm(bench: Bench, store: Store) -> tuple[dict[str, list[float]], float, dict[str, Any], Any]:
    """On one server, once its start-up warm-up is surely over: every warm comparison.

    Returns the samples, the first ``GET runs`` 10 s after the start, that
    server's timeline and the in-process tracking service (for the profiles).
    """
    from mlflow.tracking import MlflowClient

    from jupyterlab_repro.tracking.store import TrackingService

    repo, nb, uri, page = store.repo, store.nb, store.uri, store.page
    run_ids, keys, query_string = store.run_ids, store.keys, store.query_string
    get_runs = store.get_runs
    server, trace = runs_server(bench, store.facts)
    try:
        # The same first query once the start-up warm-up is surely over.
        time.sleep(10.0)
        late_first, first_body = get_runs(server)
        rest_ids = [r["run_id"] for g in first_body["groups"] for r in g["runs"]]
        client = MlflowClient(tracking_uri=uri)
        experiment_ids = [e.experiment_id for e in client.search_experiments()]
        service = TrackingService(uri)
        service.warm()

        def client_search() -> list[Any]:
            return list(
                client.search_runs(experiment_ids, filter_string=query_string, max_results=page)
            )

        if [r.info.run_id for r in client_search()] != rest_ids:
            raise RuntimeError("GET runs and MlflowClient.search_runs list other runs")
        if rest_ids[: len(run_ids)] != run_ids:
            raise RuntimeError("the newest runs are not the seeded history runs")

        def client_loop() -> dict[tuple[str, str], Any]:
            return {(r, k): client.get_metric_history(r, k) for r in run_ids for k in keys}

        def check_metrics(body: dict[str, Any]) -> None:
            for r in run_ids:
                for k in keys:
                    steps = body["runs"][r][k]["steps"]
                    if steps != list(range(generate.HISTORY_STEPS)):
                        raise RuntimeError(f"runs/metrics {r} {k}: steps {steps}")

        check_metrics(server.ok("GET", store.metrics_route)[0])
        check_metrics(service.metric_histories(run_ids, keys))
        if any(len(h) != generate.HISTORY_STEPS for h in client_loop().values()):
            raise RuntimeError("get_metric_history does not return the seeded histories")
        for _ in range(2):  # warm every path before timing
            client_search()
            get_runs(server)
            service.runs_for_notebook(repo, nb, max_results=page)

        def cli() -> float:
            argv = [str(bench.bin / "jupyter-repro"), "runs", nb, "--json"]
            argv += ["--limit", str(page), "--tracking-uri", uri]
            proc = timed(argv, repo, bench.env)
            data = json.loads(proc.stdout)
            if sum(len(g["runs"]) for g in data["groups"]) != page:
                raise RuntimeError(f"jupyter-repro runs listed other runs: {proc.stdout[:500]}")
            return proc.seconds

        def client_process() -> float:
            argv = [sys.executable, "-c", RUNS_CLIENT_SCRIPT, uri, query_string, str(page)]
            proc = timed(argv, repo, bench.env)
            if proc.stdout.strip() != str(page):
                raise RuntimeError(f"the search_runs script printed {proc.stdout!r}")
            return proc.seconds

        tools: dict[str, Callable[[], float]] = {
            "rest_runs": lambda: get_runs(server)[0],
            "client_search_runs": clock(client_search),
            "ours_inprocess": clock(lambda: service.runs_for_notebook(repo, nb, max_results=page)),
            "jupyter_api_status": lambda: server.ok("GET", "/api/status")[1],
            "rest_metrics": lambda: server.ok("GET", store.metrics_route)[1],
            "client_history_loop": clock(client_loop),
            "ours_histories_inprocess": clock(lambda: service.metric_histories(run_ids, keys)),
            "cli": cli,
            "client_process": client_process,
        }
        # The processes take seconds each and are only informative: fewer repetitions.
        few = 2 if bench.quick else 3
        once = None if bench.args.reps else {"cli": few, "client_process": few}
        samples = rounds(tools, bench.reps(5 if bench.quick else 9), once)
        late_timeline = tracking_timeline(server, trace)
    finally:
        bench.stop_servers()
    return samples, late_first, late_timeline, service


def _budgets(
    bench: Bench,
    store: Store,
    label: str,
    med: dict[str, float],
    starts: list[dict[str, Any]],
    lab_starts: list[dict[str, float]] | str,
    late_first: float,
) -> None:
    run_ids, keys, page = store.run_ids, store.keys, store.page
    first = statistics.median(s["first_get_seconds"] for s in starts)
    floor = med["jupyter_api_status"]
    bench.budgets.append(
        Budget(
            "runs.panel",
            f"GET /jupyterlab-repro/runs (warm, first page of {page}), {label} / "
            "MlflowClient.search_runs (warm, same filter)",
            med["rest_runs"],
            med["client_search_runs"],
            1.2,
            note=f"HTTP floor (GET /api/status) {floor * 1000:.1f} ms; in-process "
            f"runs_for_notebook() {med['ours_inprocess'] / med['client_search_runs']:.2f}x",
        )
    )

    def after_start(key: str, what: str) -> str:
        found = [s[key] for s in starts if key in s]
        return f", {what} {statistics.median(found):.2f} s" if found else ""

    if isinstance(lab_starts, list):
        lab_first: float | None = statistics.median(s["first_get_seconds"] for s in lab_starts)
        lab_note = (
            f"median of {len(lab_starts)} fresh servers; JupyterLab took "
            f"{statistics.median(s['lab_start'] for s in lab_starts):.2f} s to start in "
            "Chromium (opened as soon as the server answered)"
        )
    else:
        lab_first, lab_note = None, f"not measured: {lab_starts}"
    bench.budgets.append(
        Budget(
            "runs.first_query",
            f"First GET runs after the lab started, {label} (seconds)",
            lab_first,
            None,
            0.3,
            unit="seconds",
            note=f"{lab_note}. A GET sent the moment the server answers /api/status: "
            f"{first:.2f} s (after the process started"
            + after_start("extension_loaded", "our extension loaded")
            + after_start("server_up", "/api/status answered")
            + after_start("client_ready", "MLflow client ready (warm-up thread)")
            + f"); 10 s after start the first GET takes {late_first * 1000:.0f} ms",
        )
    )
    bench.budgets.append(
        Budget(
            "runs.metrics",
            f"GET runs/metrics, {len(run_ids)} runs x {len(keys)} keys / "
            f"MlflowClient.get_metric_history loop ({len(run_ids) * len(keys)} calls)",
            med["rest_metrics"],
            med["client_history_loop"],
            0.2,
            note="in-process metric_histories() "
            f"{med['ours_histories_inprocess'] / med['client_history_loop']:.3f}x",
        )
    )


@contextlib.contextmanager
def inline_tracking_calls() -> Iterator[None]:
    """Run the tracking service's MLflow calls in the calling thread, so cProfile sees them.

    :class:`~jupyterlab_repro.tracking.store.TrackingService` runs each call in a
    worker thread of its own (for its deadline); a profile of the caller
    would only show the wait.
    """
    import concurrent.futures
    from unittest import mock

    from jupyterlab_repro.tracking import bounded

    def inline(fn: Callable[..., Any], *args: Any, **_: Any) -> concurrent.futures.Future[Any]:
        """``bounded.submit`` in the calling thread (``http_settings``, which bound MLflow's
        HTTP calls in the worker thread, do not apply: the bench's stores are SQLite)."""
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        try:
            future.set_result(fn(*args))
        except BaseException as exc:
            future.set_exception(exc)
        return future

    with mock.patch.object(bounded, "submit", inline):
        yield


def markdown(runs: dict[str, Any]) -> list[str]:
    if not runs.get("seconds"):
        return []
    s, st = runs["seconds"], runs["store"]
    n_runs, n_keys = runs["history_runs"], len(runs["metric_keys"])
    lines = [
        "",
        f"## Runs panel ({st['notebook_runs']:,} runs of `{st['notebook']}` over "
        f"{st['commits']:,} commits, {st['snapshot_runs']:,} from hidden snapshots; "
        f"{st['runs_total']:,} runs in all, {st['metric_rows']:,} metric points)",
        "",
        f"Filter `{runs['filter']}`, {runs['page_size']} runs per page (the panel's page). "
        f"Store seeded in {st['seconds']:.1f} s (git {st['repo_seconds']:.1f} s, bulk "
        f"insert {st['insert_seconds']:.1f} s, read back through MlflowClient "
        f"{st['check_seconds']:.1f} s)"
        + (" in this run." if st.get("seeded_this_run") else f", cached in `{st['folder']}`."),
        "",
        "| GET runs (warm) | runs_for_notebook() in-process | MlflowClient.search_runs "
        "| GET /api/status (HTTP floor) | `jupyter-repro runs --json` | python + "
        "search_runs (process) |",
        "|---|---|---|---|---|---|",
        "| "
        + " | ".join(
            f"{fmt_seconds(s[t]['median'])} (n={s[t]['n']})"
            for t in (
                "rest_runs",
                "ours_inprocess",
                "client_search_runs",
                "jupyter_api_status",
                "cli",
                "client_process",
            )
        )
        + " |",
        "",
        f"| GET runs/metrics ({n_runs} runs x {n_keys} keys) | metric_histories() "
        f"in-process | get_metric_history loop ({n_runs * n_keys} calls) |",
        "|---|---|---|",
        "| "
        + " | ".join(
            fmt_seconds(s[t]["median"])
            for t in ("rest_metrics", "ours_histories_inprocess", "client_history_loop")
        )
        + " |",
        "",
        "Fresh servers (seconds after the process started; the client-ready and "
        "warm-up lines are the tracking module's debug log):",
        "",
        "| first GET runs | extension loaded | /api/status answered | MLflow client ready "
        "| warm-up's last query started | first query started |",
        "|---|---|---|---|---|---|",
    ]
    for r in runs["starts"]:
        cells = [
            f"{r[k]:.2f} s" if k in r else "–"
            for k in (
                "extension_loaded",
                "server_up",
                "client_ready",
                "warmup_last_query_started",
                "first_user_query_started",
            )
        ]
        lines.append(f"| {fmt_seconds(r['first_get_seconds'])} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "The same first GET 10 s after the server started (warm-up over): "
        f"{fmt_seconds(runs['first_get_after_warmup_seconds'])}.",
    ]
    lab = runs.get("lab_starts")
    if isinstance(lab, list):
        lines += [
            "",
            "JupyterLab opened in Chromium as soon as the server answered, then the "
            "first GET runs (the budget):",
            "",
            "| lab started after | first GET runs |",
            "|---|---|",
            *(
                f"| {fmt_seconds(s['lab_start'])} | {fmt_seconds(s['first_get_seconds'])} |"
                for s in lab
            ),
        ]
    elif lab:
        lines += ["", f"The first GET after the lab started was not measured: {lab}."]
    return lines


FEATURE = Feature("runs", run, markdown=markdown, own_time=True)
