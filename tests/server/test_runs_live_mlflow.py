"""The runs panel against a real ``mlflow server`` over HTTP (MLflow's REST store).

DESIGN.md's team deployment: ``mlflow server`` with PostgreSQL as its backend
store, reached at ``http://…``. Module-scoped fixtures start a throwaway
PostgreSQL cluster (Debian's ``postgresql``, which ``make system-deps``
installs; SQLite when it is not installed, or with
``REPRO_LIVE_MLFLOW_BACKEND=sqlite``; with ``CI`` set, PostgreSQL or a
failure, never SQLite and never a skip) and ``mlflow server`` from
``.venv-mlflow-server`` (``make mlflow-server-venv``: the full ``mlflow`` at
the version of the project's ``mlflow-skinny``), both on 127.0.0.1 and free
ports. Runs are logged over HTTP with ``MlflowClient`` and the tags the
run-context plugin writes; the tests read them through a real Jupyter server
with ``c.Repro.tracking_uri = "http://127.0.0.1:<port>"``.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import math
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from test_runs_api import ODD, TRAIN, _free_port, _git, get, keys

pytestmark = pytest.mark.mlflow

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _kernel_helpers() -> Any:
    """``tests/kernel/_kernels.py`` (real kernels started by the server), as pytest imports it."""
    module = sys.modules.get("_kernels")
    if module is None:
        path = PROJECT_ROOT / "tests" / "kernel" / "_kernels.py"
        spec = importlib.util.spec_from_file_location("_kernels", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["_kernels"] = module
        spec.loader.exec_module(module)
    return module


kernels = _kernel_helpers()
SERVER_VENV = PROJECT_ROOT / ".venv-mlflow-server"
#: ``postgresql`` or ``sqlite``; unset: PostgreSQL when it is installed.
BACKEND_ENV = "REPRO_LIVE_MLFLOW_BACKEND"
#: Seconds ``mlflow server`` may take to answer ``/health`` (11–20 s measured).
STARTUP_TIMEOUT = 180.0
#: The tracking timeout of the "MLflow goes down" test, and the slack its 503 gets.
DOWN_TIMEOUT = 2.0
DOWN_MARGIN = 10.0
#: Seconds after the server resumes within which the panel answers again
#: (the breaker's 5 s, the call's timeout, and slack for a loaded machine).
BACK_WITHIN = 30.0

#: Both quote characters: the query is a LIKE that the service re-checks.
QUOTES = 'nb/say "hi" it\'s.ipynb'
#: What that LIKE also matches (``_`` matches any one character): must not be listed.
NEAR_QUOTES = "nb/say _hi_ it_s.ipynb"
FOREIGN_REPO = "f" * 40
T0 = 1_700_000_000_000


def _notebook(source: str) -> str:
    cell = {
        "cell_type": "code",
        "execution_count": None,
        "id": "c1",
        "metadata": {},
        "outputs": [],
        "source": [source],
    }
    doc = {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(doc, indent=1) + "\n"


# --- PostgreSQL --------------------------------------------------------------


def _initdb() -> Path | None:
    """Debian's newest ``initdb`` (``/usr/lib/postgresql/<ver>/bin``), else one on PATH."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0,
    )
    if found:
        return found[-1]
    which = shutil.which("initdb")
    return Path(which) if which else None


def _on_ci(environ: Mapping[str, str] | None = None) -> bool:
    """``CI`` set and not empty (``.ci/run`` runs with ``CI=true``)."""
    return bool((os.environ if environ is None else environ).get("CI", "").strip())


def _backend(environ: Mapping[str, str] | None = None, installed: bool | None = None) -> str:
    """The backend store these tests run on: ``postgresql`` or ``sqlite``.

    ``REPRO_LIVE_MLFLOW_BACKEND`` chooses; unset, PostgreSQL when it is
    installed, else SQLite, except on CI: there always PostgreSQL, and the
    cluster's fixture fails when it cannot start (CI must not pass without
    ever touching PostgreSQL).
    """
    environ = os.environ if environ is None else environ
    wanted = environ.get(BACKEND_ENV, "").strip().lower()
    if wanted or _on_ci(environ):
        return wanted or "postgresql"
    if installed is None:
        installed = _initdb() is not None
    return "postgresql" if installed else "sqlite"


def _require_backend(backend: str, environ: Mapping[str, str] | None = None) -> None:
    """Fail (never skip) on CI when the backend is not PostgreSQL."""
    if backend != "postgresql" and _on_ci(environ):
        pytest.fail(
            f"CI is set: the live mlflow server tests run on PostgreSQL, not {backend!r} "
            f"(unset {BACKEND_ENV}; `make system-deps` installs Debian's postgresql)."
        )


def _postgres_cluster() -> Iterator[str]:
    """A throwaway cluster on 127.0.0.1 and a free port; yields its ``mlflow`` database URI.

    PostgreSQL refuses to run as root: as root, the cluster belongs to the
    ``postgres`` user that Debian's package creates. Its data folder is a
    fresh temp folder outside pytest's (whose folders only their owner may
    enter), removed at the end.
    """
    initdb = _initdb()
    if initdb is None:
        pytest.fail(
            "PostgreSQL is not installed (`make system-deps` installs Debian's postgresql); "
            f"{BACKEND_ENV}=sqlite runs these tests against SQLite instead."
        )
    bindir = initdb.parent
    base = Path(tempfile.mkdtemp(prefix="repro-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(base)
            pytest.fail("running as root, and there is no 'postgres' user to run PostgreSQL as")
        os.chown(base, owner.pw_uid, owner.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    data, log = base / "data", base / "postgres.log"
    port = _free_port()

    def run(*argv: str | Path, check: bool = True) -> None:
        proc = subprocess.run(
            [*as_user, *map(str, argv)],
            cwd=base,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if check and proc.returncode != 0:
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            pytest.fail(
                f"{Path(argv[0]).name} failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}{tail}"
            )

    started = False
    try:
        initdb_options = ["-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync"]
        run(bindir / "initdb", "-D", data, *initdb_options)
        options = f"-c listen_addresses=127.0.0.1 -p {port} -k {base} -c fsync=off"
        started = True  # from here on, stop it (even half started)
        run(bindir / "pg_ctl", "-D", data, "-l", log, "-w", "-t", "60", "-o", options, "start")
        run(bindir / "createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "mlflow")
        # SQLAlchemy 2.1 maps a bare postgresql:// to psycopg 3: name the driver installed
        yield f"postgresql+psycopg2://postgres@127.0.0.1:{port}/mlflow"
    finally:
        if started:
            run(bindir / "pg_ctl", "-D", data, "-m", "fast", "-w", "stop", check=False)
        shutil.rmtree(base, ignore_errors=True)


# --- mlflow server -----------------------------------------------------------


@dataclass
class MlflowServer:
    uri: str
    process: subprocess.Popen[bytes]
    log: Path
    #: how it was started (:meth:`restart` starts it again the same way, on the same port)
    argv: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    cwd: Path | None = None

    @classmethod
    def start(cls, uri: str, argv: list[str], env: dict[str, str], cwd: Path) -> MlflowServer:
        return cls(uri, _popen(argv, env, cwd), cwd / "server.log", argv, env, cwd)

    def restart(self) -> None:
        """Stop it (connections are refused from then on), start it again and wait until healthy."""
        self.stop()
        self.process = _popen(self.argv, self.env, self.cwd or Path.cwd())
        _wait_healthy(self)

    def pause(self) -> None:
        """SIGSTOP the server's process group: connections hang, nothing is refused."""
        os.killpg(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.killpg(self.process.pid, signal.SIGCONT)

    def log_tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:]

    def stop(self) -> None:
        """Terminate the process group, wait, then kill what is left."""
        pid = self.process.pid
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGCONT)
                os.killpg(pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)
                self.process.wait(timeout=30)
        # a uvicorn worker that outlived its parent
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def mlflow_executable() -> Path:
    exe = SERVER_VENV / "bin" / "mlflow"
    if not exe.is_file():
        reason = (
            f"{SERVER_VENV.name} is missing: `make mlflow-server-venv` installs the "
            "`mlflow server` these tests run (`make test` does)"
        )
        if _on_ci():
            pytest.fail(f"CI is set, and {reason}")
        pytest.skip(reason)
    return exe


@pytest.fixture(scope="module", params=[_backend()])
def backend_store(
    request: pytest.FixtureRequest,
    mlflow_executable: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    """The server's backend store URI: PostgreSQL (DESIGN's team deployment) or SQLite."""
    _require_backend(request.param)
    if request.param == "postgresql":
        yield from _postgres_cluster()
    elif request.param == "sqlite":
        yield "sqlite:///" + (tmp_path_factory.mktemp("mlflow-db") / "mlflow.db").as_posix()
    else:
        pytest.fail(f"{BACKEND_ENV}={request.param!r}: use 'postgresql' or 'sqlite'")


@pytest.fixture(scope="module")
def mlflow_server(
    mlflow_executable: Path,
    backend_store: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[MlflowServer]:
    """``mlflow server`` on 127.0.0.1 and a free port, healthy; stopped at the end."""
    base = tmp_path_factory.mktemp("mlflow-server")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env |= {
        "PATH": f"{SERVER_VENV / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        "PYTHONUNBUFFERED": "1",
        # The runs panel needs no server-side jobs; their runner loads the CPU.
        "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
    }
    argv = [
        str(mlflow_executable),
        "server",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--backend-store-uri",
        backend_store,
        "--artifacts-destination",
        (base / "artifacts").as_uri(),
    ]
    server = MlflowServer.start(f"http://127.0.0.1:{port}", argv, env, base)
    try:
        _wait_healthy(server)
        yield server
    finally:
        server.stop()


def _popen(argv: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen[bytes]:
    """``argv`` in its own session (to stop its workers with it), logging to ``server.log``."""
    with (cwd / "server.log").open("ab") as out:
        return subprocess.Popen(
            argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def _wait_healthy(server: MlflowServer) -> None:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while True:
        code = server.process.poll()
        if code is not None:
            pytest.fail(
                f"mlflow server exited ({code}) before it was healthy:\n{server.log_tail()}"
            )
        with contextlib.suppress(OSError):
            with opener.open(f"{server.uri}/health", timeout=5) as response:
                if response.status == 200:
                    return
        if time.monotonic() > deadline:
            pytest.fail(
                f"mlflow server at {server.uri} not healthy within {STARTUP_TIMEOUT:g} s:\n"
                + server.log_tail()
            )
        time.sleep(0.25)


# --- runs logged over HTTP ---------------------------------------------------


@dataclass
class Live:
    server: MlflowServer
    repo: Path
    commits: dict[str, str]
    #: ``"<notebook>@<label>"`` → run ids, newest first (what the panel must list)
    runs: dict[str, list[str]] = field(default_factory=dict)
    #: run id → metric key → [(step, value, timestamp)] as logged
    histories: dict[str, dict[str, list[tuple[int, float, int]]]] = field(default_factory=dict)
    params: dict[str, dict[str, str]] = field(default_factory=dict)


def _make_repo(base: Path) -> tuple[Path, dict[str, str]]:
    """Commits c1, c2, a hidden snapshot of uncommitted work on c2, then c3."""
    repo = base / "repo"
    (repo / "nb").mkdir(parents=True)
    _git(repo, "init", "--quiet", "--initial-branch=main")
    for rel in (ODD, QUOTES):
        (repo / rel).write_text(_notebook("pass\n"), encoding="utf-8")
    commits: dict[str, str] = {}
    subjects = {
        "c1": "exp: baseline",
        "c2": "exp: wider layers",
        "c3": "fix: seed the split — ünïcode",
    }
    for label in ("c1", "c2", "snap", "c3"):
        (repo / TRAIN).write_text(_notebook(f"step = {label!r}\n"), encoding="utf-8")
        if label == "snap":  # a commit only a hidden ref points at
            _git(repo, "switch", "--quiet", "-c", "repro-tmp")
            _git(repo, "commit", "--quiet", "-am", "repro snapshot")
            commits[label] = _git(repo, "rev-parse", "HEAD")
            tree = _git(repo, "rev-parse", "HEAD^{tree}")
            _git(repo, "update-ref", f"refs/repro/snapshots/{commits['c2']}/{tree}", "HEAD")
            _git(repo, "switch", "--quiet", "main")
            _git(repo, "branch", "--quiet", "-D", "repro-tmp")
            continue
        _git(repo, "add", "--all")
        _git(repo, "commit", "--quiet", "-m", subjects[label])
        commits[label] = _git(repo, "rev-parse", "HEAD")
    return repo, commits


@pytest.fixture(scope="module")
def live(mlflow_server: MlflowServer, tmp_path_factory: pytest.TempPathFactory) -> Live:
    """A repository and its runs, logged to the server with ``MlflowClient("http://…")``."""
    from mlflow.entities import Metric, Param
    from mlflow.tracking import MlflowClient

    repo, commits = _make_repo(tmp_path_factory.mktemp("live-mlflow"))
    root = _git(repo, "rev-list", "--max-parents=0", "HEAD")
    live = Live(server=mlflow_server, repo=repo, commits=commits)
    client = MlflowClient(tracking_uri=mlflow_server.uri)
    exp_a = client.create_experiment("repro live a")
    exp_b = client.create_experiment("repro live b")
    # (notebook, commit label, experiment, what else), in start-time order
    plan = [
        (TRAIN, "c1", exp_a, None),
        (TRAIN, "c1", exp_a, None),
        (TRAIN, "c2", exp_a, None),
        (TRAIN, "snap", exp_b, None),
        (TRAIN, "c3", exp_a, None),
        (TRAIN, "c3", exp_b, None),
        (ODD, "c3", exp_a, None),
        (ODD, "c3", exp_b, None),
        (QUOTES, "c3", exp_a, None),
        (NEAR_QUOTES, "c3", exp_a, None),  # no such notebook: never listed
        (TRAIN, "c3", exp_a, None),
        (TRAIN, "c3", exp_a, "foreign"),  # the same path in another repository
        (TRAIN, "c3", exp_b, "deleted"),
    ]
    for i, (notebook, label, experiment, other) in enumerate(plan):
        snapshot = label == "snap"
        listed = other is None and notebook != NEAR_QUOTES
        tags = {
            "mlflow.source.name": notebook,
            "mlflow.source.type": "NOTEBOOK",
            "mlflow.source.git.commit": commits["c2" if snapshot else label],
            "mlflow.source.git.branch": "main",
            "repro.notebook": notebook,
            "repro.git.dirty": "true" if snapshot else "false",
            "repro.repo": FOREIGN_REPO if other == "foreign" else root,
        }
        if snapshot:
            tags["repro.snapshot"] = commits["snap"]
        start = T0 + i * 60_000
        run = client.create_run(experiment, start_time=start, tags=tags, run_name=f"{label}-{i}")
        run_id = run.info.run_id
        params = {"lr": str(10 ** -(i % 3 + 1)), "epochs": str(i + 1)}
        loss = [(s, 1 / (s + 1) + i, start + s) for s in range(30)]
        if i == 4:
            loss[7] = (7, math.nan, start + 7)
        acc = [(s, s / 10, start + s) for s in range(3)]
        client.log_batch(
            run_id,
            metrics=[Metric("loss", v, t, s) for s, v, t in loss]
            + [Metric("acc", v, t, s) for s, v, t in acc],
            params=[Param(k, v) for k, v in params.items()],
        )
        client.set_terminated(run_id, end_time=start + 5_000)
        if other == "deleted":
            client.delete_run(run_id)
        if listed:
            live.runs.setdefault(f"{notebook}@{label}", []).insert(0, run_id)
        live.histories[run_id] = {"loss": loss, "acc": acc}
        live.params[run_id] = params
    return live


# --- the Jupyter server ------------------------------------------------------


@pytest.fixture
def tracking_config(live: Live) -> dict[str, Any]:
    # Generous: these tests are about answers, not time (see TestMlflowDown).
    return {"tracking_uri": live.server.uri, "tracking_timeout": 30.0}


@pytest.fixture
def jp_server_config(jp_server_config: dict[str, Any], tracking_config: dict[str, Any]) -> Any:
    return {**jp_server_config, "Repro": tracking_config}


@pytest.fixture
def repo(live: Live, jp_root_dir: Path) -> Path:
    """The repository, copied (same commits and hidden refs) under the server root as ``work``."""
    target = jp_root_dir / "work"
    shutil.copytree(live.repo, target, symlinks=True)
    return target


def run_ids(data: dict[str, Any]) -> list[str]:
    return [r["run_id"] for g in data["groups"] for r in g["runs"]]


# --- GET runs ------------------------------------------------------------------


async def test_runs_grouped_by_commit_newest_first(jp_fetch: Any, live: Live, repo: Path) -> None:
    data = await get(jp_fetch, "runs", {"path": f"work/{TRAIN}"})
    c = live.commits
    assert data["tracking"] == {"uri_kind": "http", "uri": live.server.uri, "ui_url": None}
    assert data["notebook"] == TRAIN and data["next_page_token"] is None
    assert keys(data) == [c["c3"], c["snap"], c["c2"], c["c1"]]
    c3, snap, c2, c1 = data["groups"]
    for group, label in ((c3, "c3"), (snap, "snap"), (c2, "c2"), (c1, "c1")):
        assert [r["run_id"] for r in group["runs"]] == live.runs[f"{TRAIN}@{label}"], label
        assert group["known"] and group["commit"] == c[label]
    assert (c3["subject"], c2["subject"], c1["subject"]) == (
        "fix: seed the split — ünïcode",
        "exp: wider layers",
        "exp: baseline",
    )
    assert (snap["snapshot"], snap["subject"], snap["parent"], snap["parent_subject"]) == (
        True,
        "repro snapshot",
        c["c2"],
        "exp: wider layers",
    )
    assert not c2["snapshot"] and c2["parent"] is None and c2["branch"] == "main"
    assert {r["experiment_name"] for r in c3["runs"]} == {"repro live a", "repro live b"}
    run = snap["runs"][0]
    assert run["dirty"] is True and run["status"] == "FINISHED" and run["duration"] == 5.0
    assert run["params"] == live.params[run["run_id"]]
    assert run["metrics"] == {"loss": pytest.approx(1 / 30 + 3), "acc": pytest.approx(0.2)}
    assert run["tags"]["repro.snapshot"] == c["snap"]
    assert set(run["tags"]) == {
        "repro.notebook",
        "repro.git.dirty",
        "repro.repo",
        "repro.snapshot",
    }
    assert run["run_name"] == "snap-3" and run["url"] is None
    assert all(r["dirty"] is False for r in c1["runs"] + c2["runs"] + c3["runs"])


async def test_pages_list_every_run_once(jp_fetch: Any, live: Live, repo: Path) -> None:
    seen: list[str] = []
    order: list[str] = []
    token: str | None = None
    for _ in range(20):
        params = {"path": f"work/{TRAIN}", "max_results": "2"}
        if token:
            params["page_token"] = token
        page = await get(jp_fetch, "runs", params)
        assert sum(len(g["runs"]) for g in page["groups"]) <= 2
        seen += run_ids(page)
        for key in keys(page):  # a group may continue on the next page
            if not order or order[-1] != key:
                order.append(key)
        token = page["next_page_token"]
        if not token:
            break
    else:
        pytest.fail("no last page after 20 pages")
    expected = [r for k, ids in live.runs.items() if k.startswith(f"{TRAIN}@") for r in ids]
    assert len(seen) == len(set(seen)) and set(seen) == set(expected)
    c = live.commits
    assert order == [c["c3"], c["snap"], c["c2"], c["c1"]]


async def test_bad_page_token_is_a_bad_request(jp_fetch: Any, repo: Path) -> None:
    data = await get(jp_fetch, "runs", {"path": f"work/{TRAIN}", "page_token": "garbage"}, 400)
    assert data["reason"] == "invalid-request" and "MLflow rejected" in data["message"]


async def test_commit_and_filter(jp_fetch: Any, live: Live, repo: Path) -> None:
    c = live.commits
    data = await get(jp_fetch, "runs", {"path": f"work/{TRAIN}", "commit": "HEAD~1"})
    assert data["commit"] == c["c2"] and keys(data) == [c["snap"], c["c2"]]
    data = await get(jp_fetch, "runs", {"path": f"work/{TRAIN}", "commit": c["snap"][:10]})
    assert data["commit"] == c["snap"] and keys(data) == [c["snap"]]
    data = await get(jp_fetch, "runs", {"path": f"work/{TRAIN}", "commit": c["c1"]})
    assert run_ids(data) == live.runs[f"{TRAIN}@c1"]
    bad = await get(jp_fetch, "runs", {"path": f"work/{TRAIN}", "commit": "nope"}, 400)
    assert bad["reason"] == "invalid-request"
    lr = await get(jp_fetch, "runs", {"path": f"work/{TRAIN}", "filter": "params.lr = '0.01'"})
    assert run_ids(lr) and all(r["params"]["lr"] == "0.01" for g in lr["groups"] for r in g["runs"])
    wrong = await get(jp_fetch, "runs", {"path": f"work/{TRAIN}", "filter": "what is this"}, 400)
    assert wrong["reason"] == "invalid-request"


@pytest.mark.parametrize("notebook", [ODD, QUOTES], ids=["quote-space-unicode", "both-quotes"])
async def test_odd_notebook_names(jp_fetch: Any, live: Live, repo: Path, notebook: str) -> None:
    data = await get(jp_fetch, "runs", {"path": f"work/{notebook}"})
    assert data["notebook"] == notebook
    assert run_ids(data) == live.runs[f"{notebook}@c3"]
    assert {r["tags"]["repro.notebook"] for g in data["groups"] for r in g["runs"]} == {notebook}


# --- GET runs/metrics ------------------------------------------------------------


async def test_metric_histories_over_rest(
    jp_fetch: Any, jp_serverapp: Any, live: Live, repo: Path
) -> None:
    ids = live.runs[f"{TRAIN}@c3"][-2:]  # the oldest two: one has a NaN at step 7
    data = await get(jp_fetch, "runs/metrics", [("run_id", i) for i in ids])
    assert set(data["runs"]) == set(ids)
    for run_id in ids:
        assert set(data["runs"][run_id]) == {"loss", "acc"}
        for key, points in live.histories[run_id].items():
            series = data["runs"][run_id][key]
            assert series["steps"] == [s for s, _, _ in points]
            assert series["timestamps"] == [t for _, _, t in points]
            want = [None if math.isnan(v) else pytest.approx(v) for _, v, _ in points]
            assert series["values"] == want
    assert any(None in data["runs"][i]["loss"]["values"] for i in ids)
    only = await get(jp_fetch, "runs/metrics", [("run_id", ids[0]), ("key", "acc")])
    assert set(only["runs"][ids[0]]) == {"acc"}
    # The histories came through the client API, not the SQL store's session.
    service = jp_serverapp.web_app.settings["jupyterlab_repro"]["tracking"]
    assert not hasattr(service.mlflow.client()._tracking_client.store, "ManagedSessionMaker")


async def test_metric_histories_of_an_unknown_run(jp_fetch: Any, live: Live, repo: Path) -> None:
    """A run deleted from the store since the panel listed it: no metrics, as on the SQL path."""
    known, unknown = live.runs[f"{TRAIN}@c1"][0], "0" * 32
    data = await get(jp_fetch, "runs/metrics", [("run_id", known), ("run_id", unknown)])
    assert data["runs"][unknown] == {} and set(data["runs"][known]) == {"loss", "acc"}
    assert keys(await get(jp_fetch, "runs", {"path": f"work/{TRAIN}"}))


# --- GET runs/notebook ----------------------------------------------------------


@pytest.mark.parametrize("label", ["c1", "snap"])
async def test_notebook_as_of_a_runs_commit(
    jp_fetch: Any, live: Live, repo: Path, label: str
) -> None:
    data = await get(jp_fetch, "runs", {"path": f"work/{TRAIN}"})
    group = next(g for g in data["groups"] if g["commit"] == live.commits[label])
    before = (repo / TRAIN).read_bytes()
    version = await get(
        jp_fetch, "runs/notebook", {"path": f"work/{TRAIN}", "commit": group["commit"]}
    )
    assert version["commit"] == group["commit"]
    source = "".join("".join(c["source"]) for c in version["content"]["cells"])
    assert f"step = {label!r}" in source
    assert (repo / TRAIN).read_bytes() == before
    assert _git(repo, "status", "--porcelain", "--untracked-files=all") == ""
    posted = await jp_fetch(
        "jupyterlab-repro",
        "runs",
        "notebook",
        method="POST",
        body=json.dumps({"path": f"work/{TRAIN}", "commit": group["commit"]}),
        raise_error=False,
    )
    assert posted.code == 405  # the old copy beside the notebook is gone
    assert _git(repo, "status", "--porcelain", "--untracked-files=all") == ""


# --- MLflow goes down mid-session ------------------------------------------------


async def _answers_again(runs: Any, since: float, what: str) -> Any:
    """Poll ``GET runs`` until it answers 200 (503 meanwhile), within :data:`BACK_WITHIN` of ``since``."""
    while True:
        back = await runs()
        if back.code == 200:
            return back
        assert back.code == 503, back.body
        waited = time.monotonic() - since
        assert waited < BACK_WITHIN, f"GET runs still 503 {waited:.0f} s after {what}"
        await asyncio.sleep(0.5)


class TestMlflowDown:
    @pytest.fixture
    def tracking_config(self, live: Live) -> dict[str, Any]:
        return {"tracking_uri": live.server.uri, "tracking_timeout": DOWN_TIMEOUT}

    @pytest.fixture
    def runs(self, jp_fetch: Any, repo: Path) -> Any:
        async def runs() -> Any:
            return await jp_fetch(
                "jupyterlab-repro",
                "runs",
                params={"path": f"work/{TRAIN}"},
                raise_error=False,
                request_timeout=120,
            )

        return runs

    async def test_503_within_the_timeout_then_back(
        self, jp_fetch: Any, live: Live, runs: Any
    ) -> None:
        first = await runs()
        assert first.code == 200, first.body
        expected = keys(json.loads(first.body))
        live.server.pause()
        try:
            started = time.monotonic()
            down = await runs()
            elapsed = time.monotonic() - started
            assert down.code == 503, down.body
            data = json.loads(down.body)
            assert data["reason"] == "tracking-unavailable" and "127.0.0.1" in data["message"]
            # the product contract: the panel hears within the tracking timeout
            assert elapsed < DOWN_TIMEOUT + DOWN_MARGIN
            status = await jp_fetch(
                "jupyterlab-repro", "status", params={"path": "work"}, request_timeout=30
            )
            assert status.code == 200
            assert json.loads(status.body)["repository"]["head"]["sha"] == live.commits["c3"]
            again = await runs()
            assert again.code == 503
        finally:
            live.server.resume()
        # The server's MLflow calls never outlive their timeout (no HTTP retries behind
        # the caller's back), so the panel is back once the breaker closes.
        back = await _answers_again(runs, time.monotonic(), "SIGCONT")
        assert keys(json.loads(back.body)) == expected

    async def test_back_soon_after_a_restart(self, live: Live, runs: Any) -> None:
        """While the server restarts, connections are refused; the panel answers once it is up.

        MLflow's client retries a refused connection 5-7 times with doubling
        back-off; a call of the server's kept doing so behind the 503 and
        held the breaker open up to two minutes after the server was back.
        """
        first = await runs()
        assert first.code == 200, first.body
        expected = keys(json.loads(first.body))
        live.server.stop()
        try:
            for _ in range(3):  # the panel polling an MLflow that is down
                down = await runs()
                assert down.code == 503, down.body
                assert json.loads(down.body)["reason"] == "tracking-unavailable"
                await asyncio.sleep(1.0)
        finally:
            live.server.restart()
        back = await _answers_again(runs, time.monotonic(), "the restart")
        assert keys(json.loads(back.body)) == expected


# --- GET runs/compare ------------------------------------------------------------


async def test_compare_a_snapshot_run_with_a_committed_one(
    jp_fetch: Any, live: Live, repo: Path
) -> None:
    """Params, metrics, histories from the server; the code from the copy's commits and refs."""
    c1, snap = live.runs[f"{TRAIN}@c1"][-1], live.runs[f"{TRAIN}@snap"][0]
    query = [("run_id", c1), ("run_id", snap), ("metric", "loss"), ("path", f"work/{TRAIN}")]
    data = await get(jp_fetch, "runs/compare", query)
    assert data["baseline"] == c1 and [r["run_id"] for r in data["runs"]] == [c1, snap]
    assert [(r["commit"], r["snapshot"], r["code"]) for r in data["runs"]] == [
        (live.commits["c1"], None, live.commits["c1"]),
        (live.commits["c2"], live.commits["snap"], live.commits["snap"]),
    ]
    params = {p["key"]: p for p in data["params"]}
    assert params["lr"]["values"] == [live.params[c1]["lr"], live.params[snap]["lr"]]
    assert params["epochs"]["differs"] is True
    (code,) = data["code"]
    assert code["known"] and code["from_code"] == live.commits["c1"]
    assert code["to_code"] == live.commits["snap"]  # the hidden snapshot, not c2
    assert "-step = 'c1'" in code["notebook_text"] and "+step = 'snap'" in code["notebook_text"]
    for run_id in (c1, snap):
        series = data["histories"]["loss"][run_id]
        assert series["steps"] == [s for s, _, _ in live.histories[run_id]["loss"]]
        want = [pytest.approx(v, rel=1e-5) for _, v, _ in live.histories[run_id]["loss"]]
        assert series["values"] == want  # 6 significant digits
    bad = await get(jp_fetch, "runs/compare", [("run_id", c1), ("run_id", "0" * 32)], 400)
    assert bad["reason"] == "invalid-request" and "0" * 32 in bad["message"]


# --- a notebook's runs, logged by a kernel through the server; released ---------


#: The notebook's second cell; its first is ``lr = …``. As JupyterLab saves sources: no
#: newline at the end of a cell.
LOG_CELL = """import mlflow

mlflow.set_experiment("repro live kernel")
with mlflow.start_run() as run:
    mlflow.log_param("lr", lr)
    for step in range(4):
        mlflow.log_metric("acc", lr * step, step=step)
print(run.info.run_id)"""


def _team_notebook(cells: list[str]) -> str:
    return kernels.notebook_text([src.splitlines(keepends=True) for src in cells])


@pytest.fixture
def clients() -> Iterator[list[Any]]:
    opened: list[Any] = []
    yield opened
    for client in opened:
        client.stop_channels()


@kernels.needs_plugin
async def test_kernel_runs_listed_compared_and_released(
    jp_fetch: Any,
    jp_serverapp: Any,
    jp_root_dir: Path,
    live: Live,
    clients: list[Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The team path end to end: the plugin tags runs logged over HTTP, the panel lists them,
    compares them and releases one (git tag here, ``repro.release`` on the server)."""
    from mlflow.tracking import MlflowClient

    from jupyterlab_repro.tracking.store import EXPERIMENTS_TTL

    repo = jp_root_dir / "team"
    repo.mkdir()
    _git(repo, "init", "--quiet", "--initial-branch=main")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", live.server.uri)  # the kernel inherits it
    kernel = None
    commits, run_ids = [], []
    for lr in ("0.1", "0.01"):
        cells = [f"lr = {lr}", LOG_CELL]
        (repo / "train.ipynb").write_text(_team_notebook(cells), encoding="utf-8")
        _git(repo, "add", "--all")
        _git(repo, "commit", "--quiet", "-m", f"exp: lr {lr}")
        commits.append(_git(repo, "rev-parse", "HEAD"))
        if kernel is None:
            kernel = await kernels.start_kernel(
                jp_fetch, jp_serverapp, clients, "team/train.ipynb", send_name=True
            )
        for i, source in enumerate(cells):
            out, _ = await kernel.run(source, cell_id=f"c{i}")
        run_ids.append(out.strip().splitlines()[-1])
    a, b = run_ids

    # The experiment is new: a tracking server's experiment list is reused for
    # EXPERIMENTS_TTL seconds, so the panel's next poll after that lists the runs.
    deadline = time.monotonic() + EXPERIMENTS_TTL + 10
    while not (listed := await get(jp_fetch, "runs", {"path": "team/train.ipynb"}))["groups"]:
        assert time.monotonic() < deadline, "the kernel's runs are not listed"
        await asyncio.sleep(0.25)
    assert listed["tracking"]["uri"] == live.server.uri
    assert keys(listed) == commits[::-1]
    assert [[r["run_id"] for r in g["runs"]] for g in listed["groups"]] == [[b], [a]]
    for group, lr in zip(listed["groups"], ("0.01", "0.1"), strict=True):
        (run,) = group["runs"]
        assert run["dirty"] is False and run["status"] == "FINISHED"
        assert run["params"] == {"lr": lr} and run["experiment_name"] == "repro live kernel"
        assert run["tags"]["repro.notebook"] == "train.ipynb"
        assert run["tags"]["repro.repo"] == _git(repo, "rev-list", "--max-parents=0", "HEAD")

    query = [("run_id", a), ("run_id", b), ("metric", "acc"), ("path", "team/train.ipynb")]
    compared = await get(jp_fetch, "runs/compare", query)
    assert [p for p in compared["params"] if p["differs"]] == [
        {"key": "lr", "values": ["0.1", "0.01"], "differs": True}
    ]
    (code,) = compared["code"]
    assert code["known"] and (code["from_code"], code["to_code"]) == tuple(commits)
    assert "-lr = 0.1" in code["notebook_text"] and "+lr = 0.01" in code["notebook_text"]
    for run_id, lr in ((a, 0.1), (b, 0.01)):
        series = compared["histories"]["acc"][run_id]
        assert series["steps"] == [0, 1, 2, 3]
        assert series["values"] == [pytest.approx(lr * s) for s in range(4)]

    response = await jp_fetch(
        "jupyterlab-repro",
        "runs",
        "release",
        method="POST",
        body=json.dumps({"path": "team", "run_id": b, "name": "v1.0", "message": "lr 0.01"}),
        raise_error=False,
        request_timeout=60,
    )
    assert response.code == 201, response.body
    released = json.loads(response.body)
    assert (released["tag"], released["commit"], released["snapshot"]) == (
        "v1.0",
        commits[1],
        False,
    )
    assert _git(repo, "cat-file", "-t", "v1.0") == "tag"
    assert _git(repo, "rev-parse", "v1.0^{commit}") == commits[1]
    annotation = _git(repo, "tag", "-l", "--format=%(contents)", "v1.0")
    assert f"run_id: {b}" in annotation and annotation.rstrip().endswith("lr 0.01")
    # The MLflow tag is on the server (PostgreSQL), not only in the panel's cache.
    tags = MlflowClient(tracking_uri=live.server.uri).get_run(b).data.tags
    assert tags["repro.release"] == "v1.0"
    assert "repro.release" not in MlflowClient(tracking_uri=live.server.uri).get_run(a).data.tags
    listed = await get(jp_fetch, "runs", {"path": "team/train.ipynb"})
    assert listed["groups"][0]["runs"][0]["tags"]["repro.release"] == "v1.0"
    again = await get(jp_fetch, "runs/compare", query)
    assert [r["release"] for r in again["runs"]] == [None, "v1.0"]


# --- the direct reader over MLflow's REST API --------------------------------------


@pytest.mark.parametrize("max_results", [100, 2])
def test_the_rest_reader_answers_what_mlflow_answers(live: Live, max_results: int) -> None:
    """Before MLflow's client is ready the panel reads the server with urllib: same answers."""
    from jupyterlab_repro.tracking.store import TrackingService

    direct = TrackingService(live.server.uri, timeout=30.0)
    client = TrackingService(live.server.uri, timeout=30.0)
    client.mlflow.client()
    for commit in (None, live.commits["c2"], live.commits["snap"]):
        token = None
        while True:
            kwargs = {"commit": commit, "max_results": max_results, "page_token": token}
            mine = direct.runs_for_notebook(live.repo, TRAIN, **kwargs)
            theirs = client.runs_for_notebook(live.repo, TRAIN, **kwargs)
            assert mine == theirs
            token = theirs["next_page_token"]
            if not token:
                break
    assert not direct.mlflow.ready


# --- CI runs these tests on PostgreSQL -----------------------------------------------


@pytest.mark.parametrize(
    ("environ", "installed", "backend"),
    [
        ({}, True, "postgresql"),
        ({}, False, "sqlite"),
        ({BACKEND_ENV: "SQLite"}, True, "sqlite"),
        ({"CI": "true"}, False, "postgresql"),  # not installed: the cluster's fixture fails
        ({"CI": " "}, False, "sqlite"),  # blank is unset
        ({"CI": "1", BACKEND_ENV: "sqlite"}, True, "sqlite"),  # refused below
    ],
)
def test_the_backend_chosen(environ: dict[str, str], installed: bool, backend: str) -> None:
    assert _backend(environ, installed) == backend


def test_ci_refuses_anything_but_postgresql() -> None:
    with pytest.raises(pytest.fail.Exception, match="CI is set"):
        _require_backend("sqlite", {"CI": "true"})
    _require_backend("sqlite", {})
    _require_backend("postgresql", {"CI": "true"})


def test_on_ci_the_live_tests_fail_rather_than_use_sqlite(tmp_path: Path) -> None:
    """The whole file under ``CI`` with SQLite asked for: failures, no test passes or skips."""
    env = {**os.environ, "CI": "true", BACKEND_ENV: "sqlite"}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-q",
            "-rfEs",
            "--rootdir",
            str(PROJECT_ROOT),
            "-k",
            "test_runs_grouped_by_commit_newest_first",
            str(Path(__file__)),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 1, proc.stdout[-3000:]
    assert "run on PostgreSQL, not 'sqlite'" in proc.stdout and " skipped" not in proc.stdout
    assert " passed" not in proc.stdout.splitlines()[-1]
