"""`make bench`: jupyterlab-repro measured side by side with the tools users run instead.

Sections (``--only`` takes a comma-separated subset):

``snapshot``
    ``POST /jupyterlab-repro/snapshot`` on a real Jupyter server and
    ``jupyter-repro snapshot`` vs ``nbstripout NB && git add NB && git commit``
    (baseline A) and ``jupyter nbconvert --ClearOutputPreprocessor.enabled=True
    --inplace`` + add + commit (baseline B), plus the in-process floor (read,
    ``json.loads``, clean, ``zlib`` compress), at 50 and 200 MB in a small
    repository and in the 10k-commit / 20k-file one; peak RSS; a cProfile of
    the core ``snapshot()`` at 50 MB.
``status``
    ``GET /jupyterlab-repro/status`` and ``/changes`` vs ``git status --porcelain``.
``export``
    ``export_notebook()`` in-process and ``jupyter-repro export`` vs
    ``jupyter nbconvert --to script``.
``runcontext``
    Time the MLflow run-context provider adds to ``mlflow.start_run()``.
``runs``
    The runs panel on a store of 10,000 runs / 1,000 commits: ``GET
    /jupyterlab-repro/runs`` (warm, and the first query after a fresh server
    answers) vs a warm ``MlflowClient.search_runs`` with the same filter;
    ``GET runs/metrics`` for 20 runs vs ``get_metric_history`` per run per
    key; ``jupyter-repro runs --json`` for information.
``compare``
    ``GET /jupyterlab-repro/runs/compare`` of 10 runs x 3 metrics x 10,000
    steps (histories downsampled for charts) vs the ``MlflowClient`` loop a
    notebook would write (``get_run`` + ``get_metric_history`` per run and
    metric); the reply's size; and the compare view drawing its charts in
    Chromium once that reply arrived (``ui-tests/bench/compare-render.mjs``,
    the view's ``data-repro-render-ms``; needs ``make ui-deps``).

Every measurement is repeated (tools interleaved round by round, so machine
load hits all of them alike) and the median is compared. Results go to
``bench/results/latest.{json,md}`` and ``bench/results/host-<host>.json`` for
a full run; ``--quick`` / ``--only`` runs write ``bench/work/results/`` so
they never overwrite the committed numbers. Servers listen on 127.0.0.1 on
free ports and are stopped at the end. Run with the project's venv::

    .venv/bin/python bench/run.py [--quick] [--only snapshot,status] [--reps N]
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import http.client
import importlib.metadata
import io
import json
import os
import platform
import pstats
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import traceback
import urllib.parse
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402

SECTIONS = ("snapshot", "status", "export", "runcontext", "runs", "compare")
MB = 1_000_000
#: Runs per page the runs panel asks for (``pageSize`` in src/runsModel.ts).
RUNS_PAGE_SIZE = 50


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# processes and servers


@dataclass
class Proc:
    seconds: float
    maxrss: int  # bytes, the process and the children it waited for
    returncode: int
    stdout: str
    stderr: str


# Runs the command and reports its wall time and peak RSS. A small parent is
# needed: on Linux a child started with vfork from this (large) harness would
# report the harness's peak RSS as its own ``ru_maxrss``.
_MEASURE = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
code = subprocess.call(sys.argv[2:])
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
with open(sys.argv[1], "w") as f:
    json.dump({"seconds": seconds, "maxrss": peak, "returncode": code}, f)
"""


def timed(argv: list[str], cwd: Path, env: dict[str, str], *, check: bool = True) -> Proc:
    """Run ``argv``: wall time (process start included) and peak RSS of it and its children."""
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.NamedTemporaryFile(suffix=".json") as facts,
    ):
        subprocess.run(
            [sys.executable, "-I", "-S", "-c", _MEASURE, facts.name, *argv],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            check=False,
        )
        measured = json.loads(Path(facts.name).read_text() or "{}")
        out.seek(0)
        err.seek(0)
        result = Proc(
            measured.get("seconds", float("nan")),
            measured.get("maxrss", 0),
            measured.get("returncode", -1),
            out.read().decode("utf-8", "replace"),
            err.read().decode("utf-8", "replace"),
        )
    if check and result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(argv)} exited with {result.returncode}:\n{result.stderr[-2000:]}"
        )
    return result


def git(repo: Path, env: dict[str, str], *args: str, check: bool = True) -> str:
    proc = subprocess.run(
        ["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=False
    )
    if check and proc.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed in {repo}: {proc.stderr.strip()}")
    return proc.stdout.strip()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A real ``jupyter server`` on 127.0.0.1 (the extension loads as installed)."""

    def __init__(
        self,
        root_dir: Path,
        env: dict[str, str],
        log_dir: Path,
        extra_args: list[str] | None = None,
        poll: float = 0.2,
    ) -> None:
        self.root_dir = root_dir
        self.token = secrets.token_hex(16)
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = log_dir / f"server-{time.strftime('%H%M%S')}-{secrets.token_hex(3)}.log"
        last_error = ""
        for _ in range(3):  # a free port can be taken between the probe and the bind
            self.port = free_port()
            argv = [
                str(Path(sys.executable).parent / "jupyter"),
                "server",
                "--ServerApp.ip=127.0.0.1",
                f"--ServerApp.port={self.port}",
                "--ServerApp.port_retries=0",
                f"--ServerApp.token={self.token}",
                f"--ServerApp.root_dir={root_dir}",
                "--ServerApp.open_browser=False",
                "--allow-root",
                *(extra_args or []),
            ]
            self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
            self.started_at = time.time()  # wall clock: compared with the server's log
            self.proc = subprocess.Popen(
                argv,
                cwd=root_dir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            if self._wait_ready(90.0, poll):
                self.ready_at = time.time()
                return
            last_error = self.log_path.read_text(errors="replace")[-3000:]
            self.stop()
        raise RuntimeError(f"jupyter server did not start:\n{last_error}")

    def _wait_ready(self, limit: float, poll: float) -> bool:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                status, _, _ = self.request("GET", "/api/status")
                if status == 200:
                    return True
            except OSError:
                pass
            time.sleep(poll)
        return False

    def request(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        query: dict[str, str] | None = None,
        timeout: float = 600.0,
    ) -> tuple[int, Any, float]:
        """One HTTP request: (status, decoded JSON or text, seconds)."""
        url = path + ("?" + urllib.parse.urlencode(query) if query else "")
        headers = {"Authorization": f"token {self.token}"}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            start = time.perf_counter()
            conn.request(method, url, body=payload, headers=headers)
            response = conn.getresponse()
            data = response.read()
            seconds = time.perf_counter() - start
        finally:
            conn.close()
        try:
            decoded: Any = json.loads(data) if data else None
        except ValueError:
            decoded = data.decode("utf-8", "replace")
        return response.status, decoded, seconds

    def memory(self) -> dict[str, int]:
        """``VmRSS`` and ``VmHWM`` (peak) of the server process, in bytes."""
        facts: dict[str, int] = {}
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    facts[key] = int(value.split()[0]) * 1024
        return facts

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self._log.close()


# --------------------------------------------------------------------------
# statistics and results


def summary(samples: list[float]) -> dict[str, Any]:
    return {
        "median": statistics.median(samples),
        "min": min(samples),
        "max": max(samples),
        "n": len(samples),
        "samples": [round(s, 4) for s in samples],
    }


#: Opens JupyterLab in Chromium when told the URL (a line on stdin) and prints
#: "started <ms>" once the lab has started: its splash screen is gone, which
#: JupyterLab does after every plugin activated and the layout was restored.
LAB_PROBE_JS = r"""
const { chromium } = require(process.argv[2]);
const readline = require('readline');
(async () => {
  const browser = await chromium.launch({
    executablePath: process.argv[3],
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage();
  console.log('ready');
  const lines = readline.createInterface({ input: process.stdin });
  for await (const url of lines) {
    const begin = Date.now();
    await page.goto(url);
    await page.waitForSelector('#jp-main-dock-panel', { timeout: 90000 });
    await page.waitForSelector('#jupyterlab-splash', { state: 'detached', timeout: 90000 });
    console.log('started ' + (Date.now() - begin));
    break;
  }
  await browser.close();
})().catch(error => { console.error(String(error)); process.exit(1); });
"""


@dataclass
class Budget:
    id: str
    description: str
    ours: float | None
    baseline: float | None
    limit: float
    #: "ratio" (ours / baseline), or "seconds" / "x size" / "MB" (ours vs limit)
    unit: str = "ratio"
    note: str = ""

    @property
    def value(self) -> float | None:
        if self.ours is None:
            return None
        if self.unit == "ratio":
            return self.ours / self.baseline if self.baseline else None
        return self.ours

    @property
    def result(self) -> str:
        if self.value is None:
            return "SKIP"
        return "PASS" if self.value <= self.limit else "MISS"

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "description": self.description,
            "ours": self.ours,
            "baseline": self.baseline,
            "value": self.value,
            "limit": self.limit,
            "unit": self.unit,
            "result": self.result,
            "note": self.note,
        }


def rounds(
    tools: dict[str, Callable[[], float]], reps: int, reps_for: dict[str, int] | None = None
) -> dict[str, list[float]]:
    """Run each tool ``reps`` times, interleaved and rotated round by round."""
    names = list(tools)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for r in range(reps):
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            if reps_for and r >= reps_for.get(name, reps):
                continue
            samples[name].append(tools[name]())
    return samples


def git_trace_summary(path: Path) -> list[dict[str, Any]]:
    """Per git command: how many runs and their total seconds, from a GIT_TRACE2_PERF file."""
    totals: dict[str, list[float]] = {}
    current: dict[str, str] = {}
    with contextlib.suppress(OSError):
        for line in path.read_text(errors="replace").splitlines():
            parts = [p.strip() for p in line.split("|")]
            if len(parts) < 9:
                continue
            key = parts[1]  # nesting depth (d0, d1…): the commands run one after another
            if parts[3] == "cmd_name":
                current[key] = parts[8].split(" ")[0]
            elif parts[3] == "atexit" and parts[5]:
                name = current.pop(key, "?")
                entry = totals.setdefault(name, [0, 0.0])
                entry[0] += 1
                entry[1] += float(parts[5])
    rows = [{"command": k, "runs": int(v[0]), "seconds": round(v[1], 4)} for k, v in totals.items()]
    return sorted(rows, key=lambda r: -r["seconds"])


def profile(fn: Callable[[], Any], top: int = 12) -> dict[str, Any]:
    """cProfile ``fn`` once: its time, the top entries by cumulative and own time, and
    the time of each git command it ran (``GIT_TRACE2_PERF``)."""
    profiler = cProfile.Profile()
    with tempfile.TemporaryDirectory() as tmp:
        trace = Path(tmp) / "trace2.txt"
        os.environ["GIT_TRACE2_PERF"] = str(trace)
        start = time.perf_counter()
        profiler.enable()
        try:
            fn()
        finally:
            profiler.disable()
            seconds = time.perf_counter() - start
            del os.environ["GIT_TRACE2_PERF"]
        git_commands = git_trace_summary(trace)
    tables = {}
    for key in ("cumulative", "tottime"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(key).print_stats(top)
        text = out.getvalue()
        tables[key] = text[text.find("   ncalls") :].rstrip()
    return {"seconds": seconds, "top": tables, "git_commands": git_commands}


def traced_peak(fn: Callable[[], Any]) -> int:
    """Peak bytes Python allocated while ``fn`` ran (tracemalloc; excludes git children)."""
    import tracemalloc

    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# --------------------------------------------------------------------------
# the harness


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.quick: bool = args.quick
        self.seed: int = args.seed
        self.work: Path = args.work
        self.work.mkdir(parents=True, exist_ok=True)
        self.bin = Path(sys.executable).parent
        self.budgets: list[Budget] = []
        self.sections: dict[str, Any] = {}
        self.notes: list[str] = []
        home = self.work / "home"
        (home / "jupyter-config").mkdir(parents=True, exist_ok=True)
        gitconfig = home / "gitconfig"
        gitconfig.write_text(
            "[user]\n\tname = Bench User\n\temail = bench@example.invalid\n"
            "[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n"
        )
        # Only the machine's tools, not the user's git or Jupyter configuration.
        self.env = {
            **os.environ,
            "PATH": f"{self.bin}{os.pathsep}{os.environ.get('PATH', '')}",
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": str(gitconfig),
            "JUPYTER_CONFIG_DIR": str(home / "jupyter-config"),
            "JUPYTER_RUNTIME_DIR": str(home / "jupyter-runtime"),
            "JUPYTER_PLATFORM_DIRS": "1",
            "PYTHONWARNINGS": "ignore",
        }
        for key in ("JPY_SESSION_NAME", "REPRO_RUN_CONTEXT", "MLFLOW_TRACKING_URI"):
            self.env.pop(key, None)
        os.environ.update({k: self.env[k] for k in ("GIT_CONFIG_NOSYSTEM", "GIT_CONFIG_GLOBAL")})
        self._servers: list[Server] = []

    # -- inputs -----------------------------------------------------------

    @property
    def large_params(self) -> dict[str, int]:
        if self.quick:
            return {"commits": 1000, "files": 2000}
        return {"commits": 10_000, "files": 20_000}

    def small_repo(self) -> Path:
        return self._repo("small", commits=12, files=30)

    def large_repo(self) -> Path:
        return self._repo("large", **self.large_params)

    def _repo(self, kind: str, *, commits: int, files: int) -> Path:
        path = self.work / f"repo-{kind}-c{commits}-f{files}-s{self.seed}"
        start = time.perf_counter()
        generate.build_repo(path, commits=commits, files=files, seed=self.seed)
        took = time.perf_counter() - start
        if took > 1:
            log(f"built {path.name} in {took:.1f} s")
        return path

    def notebooks(self, size_mb: float) -> dict[str, Path]:
        start = time.perf_counter()
        paths = generate.notebook_set(size_mb, self.seed, self.work)
        took = time.perf_counter() - start
        if took > 1:
            log(f"generated the {size_mb:g} MB notebooks in {took:.1f} s")
        return paths

    def reset(self, repo: Path) -> None:
        """Back to the generated state: tip ``bench-base``, clean tree, no hidden refs."""
        git(repo, self.env, "checkout", "-q", "-f", "main")
        git(repo, self.env, "reset", "-q", "--hard", "bench-base")
        git(repo, self.env, "clean", "-q", "-f", "-d")
        self.drop_hidden_refs(repo)

    def drop_hidden_refs(self, repo: Path) -> None:
        refs = git(repo, self.env, "for-each-ref", "--format=%(refname)", "refs/repro/")
        for ref in refs.split():
            git(repo, self.env, "update-ref", "-d", ref)

    def server(
        self, root_dir: Path, extra_args: list[str] | None = None, poll: float = 0.2
    ) -> Server:
        server = Server(root_dir, self.env, self.work / "logs", extra_args, poll)
        self._servers.append(server)
        return server

    def stop_servers(self) -> None:
        while self._servers:
            self._servers.pop().stop()

    def reps(self, default: int) -> int:
        return self.args.reps or default

    # -- snapshot ---------------------------------------------------------

    def bench_snapshot(self) -> None:
        cases = [("small", 50)]
        if not self.quick:
            cases += [("small", 200), ("large", 50), ("large", 200)]
        section: dict[str, Any] = {"cases": []}
        self.sections["snapshot"] = section
        for repo_kind, size in cases:
            section["cases"].append(self._snapshot_case(repo_kind, size))
        if not self.args.no_profile:
            section["profiles"] = {"snapshot() at 50 MB": self._profile_snapshot(50)}

    def _snapshot_setup(self, repo: Path, size: int) -> tuple[str, Path, str, dict[str, Path]]:
        nbs = self.notebooks(size)
        self.reset(repo)
        rel = f"analysis/train_{size}mb.ipynb"
        path = repo / rel
        path.parent.mkdir(exist_ok=True)
        shutil.copyfile(nbs["base"], path)
        git(repo, self.env, "add", "--", rel)
        git(repo, self.env, "commit", "-q", "-m", f"base for the {size} MB notebook")
        base = git(repo, self.env, "rev-parse", "HEAD")
        shutil.copyfile(nbs["edited"], path)
        git(repo, self.env, "update-index", "-q", "--refresh", check=False)
        return rel, path, base, nbs

    def _snapshot_case(self, repo_kind: str, size: int) -> dict[str, Any]:
        repo = self.small_repo() if repo_kind == "small" else self.large_repo()
        rel, path, base, nbs = self._snapshot_setup(repo, size)
        file_size = path.stat().st_size
        label = f"{repo_kind} repo, {size} MB"
        log(f"snapshot: {label} ({file_size / MB:.1f} MB, {repo.name})")
        committed: dict[str, int] = {}
        rss: dict[str, int] = {}

        def check_commit(tool: str) -> None:
            head = git(repo, self.env, "rev-parse", "HEAD")
            if head == base:
                raise RuntimeError(f"{tool} did not commit in {repo}")
            committed[tool] = int(git(repo, self.env, "cat-file", "-s", f"HEAD:{rel}"))

        def restore(working_copy: bool) -> None:
            git(repo, self.env, "reset", "-q", "--soft", base)
            git(repo, self.env, "reset", "-q", base, "--", rel)
            if working_copy:
                shutil.copyfile(nbs["edited"], path)
            elif path.stat().st_size != file_size:
                raise RuntimeError(f"our snapshot changed the working copy {path}")

        def git_status_times() -> list[float]:
            argv = ["git", "status", "--porcelain"]
            return [timed(argv, repo, self.env).seconds for _ in range(3)]

        # The notebook's index entry still has its stat data (git add of the base).
        status_before = git_status_times()
        server = self.server(repo)
        try:
            status, body, _ = server.request("GET", "/jupyterlab-repro/status")
            if status != 200:
                raise RuntimeError(f"/jupyterlab-repro/status answered {status}: {body}")
            idle = server.memory()

            def rest() -> float:
                status, body, seconds = server.request(
                    "POST",
                    "/jupyterlab-repro/snapshot",
                    {"path": f"analysis/train_{size}mb.ipynb", "message": "bench", "type": "exp"},
                )
                if status != 200 or not body.get("committed"):
                    raise RuntimeError(f"REST snapshot answered {status}: {body}")
                check_commit("rest")
                restore(False)
                return seconds

            def cli() -> float:
                argv = [str(self.bin / "jupyter-repro"), "snapshot", "-m", "bench"]
                proc = timed([*argv, "--type", "exp", "--", rel], repo, self.env)
                rss["cli"] = max(rss.get("cli", 0), proc.maxrss)
                check_commit("cli")
                restore(False)
                return proc.seconds

            def nbstripout() -> float:
                script = 'nbstripout "$1" && git add -- "$1" && git commit -q -m bench'
                proc = timed(["sh", "-c", script, "sh", rel], repo, self.env)
                rss["nbstripout"] = max(rss.get("nbstripout", 0), proc.maxrss)
                check_commit("nbstripout")
                restore(True)
                return proc.seconds

            def nbconvert() -> float:
                script = (
                    "jupyter nbconvert --log-level=WARN --ClearOutputPreprocessor.enabled=True "
                    '--inplace "$1" && git add -- "$1" && git commit -q -m bench'
                )
                proc = timed(["sh", "-c", script, "sh", rel], repo, self.env)
                rss["nbconvert"] = max(rss.get("nbconvert", 0), proc.maxrss)
                check_commit("nbconvert")
                restore(True)
                return proc.seconds

            def floor() -> float:
                start = time.perf_counter()
                nb = json.loads(path.read_bytes())
                for cell in nb["cells"]:
                    if cell.get("cell_type") == "code":
                        cell["outputs"] = []
                        cell["execution_count"] = None
                text = json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False)
                zlib.compress(text.encode("utf-8"))
                return time.perf_counter() - start

            tools = {
                "rest": rest,
                "cli": cli,
                "nbstripout": nbstripout,
                "nbconvert": nbconvert,
                "floor": floor,
            }
            # nbconvert is the slowest tool and only informative: fewer repetitions.
            once = None if self.args.reps else {"nbconvert": 1 if size >= 200 or self.quick else 2}
            default = 2 if self.quick else 3 if size >= 200 else 5
            samples = rounds(tools, self.reps(default), once)
            peak = server.memory()
            # The state a user is in after a snapshot (commit kept): what does status cost?
            status, body, _ = server.request(
                "POST",
                "/jupyterlab-repro/snapshot",
                {"path": rel, "message": "bench", "type": "exp"},
            )
            if status != 200:
                raise RuntimeError(f"REST snapshot answered {status}: {body}")
            status_after = git_status_times()
            rest_status_after = [
                server.request("GET", "/jupyterlab-repro/status")[2] for _ in range(3)
            ]
            restore(False)
        finally:
            self.stop_servers()
        rss["server_idle"] = idle["VmRSS"]
        rss["server_peak"] = peak["VmHWM"]
        rss["server_increase"] = peak["VmHWM"] - idle["VmRSS"]
        stats = {tool: summary(s) for tool, s in samples.items()}
        med = {tool: s["median"] for tool, s in stats.items()}
        where = "" if repo_kind == "small" else f", {self._large_label()}"
        limit = 0.3 if size <= 50 else 0.5
        self.budgets.append(
            Budget(
                f"snapshot.rest.{repo_kind}.{size}mb",
                f"Snapshot via REST, {size} MB{where} / baseline A (nbstripout+add+commit)",
                med["rest"],
                med["nbstripout"],
                limit,
            )
        )
        if size <= 50:
            self.budgets.append(
                Budget(
                    f"snapshot.cli.{repo_kind}.{size}mb",
                    f"Snapshot via CLI, {size} MB{where} / baseline A",
                    med["cli"],
                    med["nbstripout"],
                    0.4,
                )
            )
        self.budgets.append(
            Budget(
                f"snapshot.rss.{repo_kind}.{size}mb",
                f"Server peak RSS increase during snapshot, {size} MB{where} (x file size)",
                rss["server_increase"] / file_size,
                None,
                3.0,
                unit="x size",
                note=f"CLI process peak RSS {rss['cli'] / file_size:.2f}x file size",
            )
        )
        return {
            "name": label,
            "repo": repo.name,
            "file_bytes": file_size,
            "file_sha256_16": generate.fingerprint(path),
            "seconds": stats,
            "ratios_vs_nbstripout": {t: med[t] / med["nbstripout"] for t in med},
            "ratios_vs_nbconvert": {t: med[t] / med["nbconvert"] for t in med},
            "committed_blob_bytes": committed,
            "git_status_seconds_before_snapshot": summary(status_before),
            "git_status_seconds_after_snapshot": summary(status_after),
            "rest_status_seconds_after_snapshot": summary(rest_status_after),
            "peak_rss_bytes": rss,
        }

    def _large_label(self) -> str:
        p = self.large_params
        return f"{p['commits']:,}-commit/{p['files']:,}-file repo"

    def _profile_snapshot(self, size: int) -> dict[str, Any]:
        from jupyterlab_repro.commit.snapshot import snapshot

        repo = self.small_repo()
        rel, path, base, _ = self._snapshot_setup(repo, size)
        log(f"snapshot: cProfile and tracemalloc of the core snapshot() at {size} MB")

        def run() -> None:
            result = snapshot([path], "bench", commit_type="exp")
            if not result.committed:
                raise RuntimeError(f"profiled snapshot did not commit: {result}")
            git(repo, self.env, "reset", "-q", "--soft", base)
            git(repo, self.env, "reset", "-q", base, "--", rel)

        report = profile(run)
        report["tracemalloc_peak_bytes"] = traced_peak(run)
        report["file_bytes"] = path.stat().st_size
        report["size_mb"] = size
        self.reset(repo)
        return report

    # -- status -----------------------------------------------------------

    def bench_status(self) -> None:
        repo = self.large_repo()
        self.reset(repo)
        log(f"status: {repo.name}")
        self._commit_canonical_notebooks(repo)
        changed = self._dirty_notebooks(repo)
        time.sleep(1.1)  # no racily-clean index entries
        git(repo, self.env, "status", "--porcelain")
        server = self.server(repo)
        try:
            status, body, _ = server.request("GET", "/api/contents", query={"content": "0"})
            if status != 200:
                raise RuntimeError(f"/api/contents answered {status}: {body}")

            def call(route: str) -> Callable[[], float]:
                def run() -> float:
                    status, body, seconds = server.request("GET", route, query={"path": ""})
                    if status != 200:
                        raise RuntimeError(f"{route} answered {status}: {body}")
                    return seconds

                return run

            cold_changes = call("/jupyterlab-repro/changes")()
            _, changes, _ = server.request("GET", "/jupyterlab-repro/changes", query={"path": ""})

            def git_status() -> float:
                return timed(["git", "status", "--porcelain"], repo, self.env).seconds

            samples = rounds(
                {
                    "git_status": git_status,
                    "rest_status": call("/jupyterlab-repro/status"),
                    "rest_changes": call("/jupyterlab-repro/changes"),
                    # Jupyter's own trivial route: the HTTP + auth overhead every call pays.
                    "jupyter_api_status": call("/api/status"),
                },
                self.reps(5 if self.quick else 9),
            )
        finally:
            self.stop_servers()
        stats = {tool: summary(s) for tool, s in samples.items()}
        med = {tool: s["median"] for tool, s in stats.items()}
        profiles = {}
        if not self.args.no_profile:
            from jupyterlab_repro.commit.changes import ClassificationCache, list_changes
            from jupyterlab_repro.git.status import status_report

            cache = ClassificationCache()
            list_changes(repo, cache=cache)
            profiles["status_report() (in-process)"] = profile(lambda: status_report(repo, repo))
            profiles["list_changes() warm cache (in-process)"] = profile(
                lambda: list_changes(repo, cache=cache)
            )
        label = self._large_label()
        for route in ("status", "changes"):
            self.budgets.append(
                Budget(
                    f"status.{route}",
                    f"GET /jupyterlab-repro/{route} (warm), {label} / git status --porcelain",
                    med[f"rest_{route}"],
                    med["git_status"],
                    1.5,
                    note=(
                        f"first (uncached) call {cold_changes:.3f} s = "
                        f"{cold_changes / med['git_status']:.2f}x"
                        if route == "changes"
                        else ""
                    ),
                )
            )
        self.sections["status"] = {
            "repo": repo.name,
            "changed_files": changed,
            "classifications": {
                f["path"]: f["classification"] for f in changes["files"] if f["notebook"]
            },
            "seconds": stats,
            "changes_first_call_seconds": cold_changes,
            "profiles": profiles,
        }

    def _commit_canonical_notebooks(self, repo: Path) -> None:
        """Commit the repository's notebooks as our snapshot would (canonical clean text).

        Then an output-only edit is classified ``outputs-only`` (a blob
        committed by another tool makes every edit ``source``, by design).
        """
        from jupyterlab_repro.notebook.clean import clean_text

        _, nbs = generate.repo_paths(0, 8)
        for rel in nbs:
            path = repo / rel
            path.write_text(clean_text(path.read_bytes())[0], encoding="utf-8")
        git(repo, self.env, "add", "--", *nbs)
        git(repo, self.env, "commit", "-q", "-m", "notebooks in canonical clean form")

    def _dirty_notebooks(self, repo: Path) -> list[str]:
        """A few changed notebooks (source, outputs-only, new) and one changed module."""
        _, nbs = generate.repo_paths(0, 8)
        rng_seed = self.seed
        changed = []
        for i, rel in enumerate(nbs[:3]):
            path = repo / rel
            nb = json.loads(path.read_text())
            full = generate.make_notebook(60_000, seed=rng_seed + i)
            code = [c for c in full["cells"] if c["cell_type"] == "code"]
            for cell, new in zip(
                (c for c in nb["cells"] if c["cell_type"] == "code"), code, strict=False
            ):
                cell["outputs"] = new["outputs"]
                cell["execution_count"] = new["execution_count"]
            if i == 0:  # a source change as well
                cell = next(c for c in nb["cells"] if c["cell_type"] == "code")
                cell["source"] = [*cell["source"], "\nprint('changed')"]
            path.write_text(generate.dumps(nb), encoding="utf-8")
            changed.append(rel)
        new = repo / "notebooks" / "new_experiment.ipynb"
        new.write_text(generate.dumps(generate.make_notebook(40_000, seed=rng_seed + 9)))
        changed.append("notebooks/new_experiment.ipynb")
        module = repo / "src" / "pkg000" / "mod_00000.py"
        module.write_text(module.read_text() + "# edited\n")
        changed.append(str(module.relative_to(repo)))
        return changed

    # -- export -----------------------------------------------------------

    def bench_export(self) -> None:
        try:
            from jupyterlab_repro.export.exporter import export_notebook
        except Exception as exc:  # the module is optional while it is being written
            self._skip("export", f"jupyterlab_repro.export.exporter not available: {exc!r}")
            return
        repo = self.small_repo()
        self.reset(repo)
        folder = repo / "export"
        folder.mkdir()
        out_dir = self.work / "export-out"
        shutil.rmtree(out_dir, ignore_errors=True)
        out_dir.mkdir()
        cli_ok, cli_note = self._export_cli_available()
        section: dict[str, Any] = {"cases": [], "cli_available": cli_ok, "cli_note": cli_note}
        self.sections["export"] = section
        sizes = [1, 50] if self.quick else [1, 50, 200]
        for size in sizes:
            nbs = self.notebooks(size)
            nb = folder / f"train_{size}mb.ipynb"
            shutil.copyfile(nbs["edited"], nb)
            ours_out = out_dir / f"ours_{size}mb.py"
            cli_out = out_dir / f"cli_{size}mb.py"
            log(f"export: {size} MB")

            def ours(nb: Path = nb, ours_out: Path = ours_out) -> float:
                ours_out.unlink(missing_ok=True)
                start = time.perf_counter()
                result = export_notebook(nb, ours_out, "all")
                seconds = time.perf_counter() - start
                if not result.written:
                    raise RuntimeError(f"export_notebook wrote nothing: {result}")
                return seconds

            def nbconvert_cli(nb: Path = nb, size: int = size) -> float:
                argv = [str(self.bin / "jupyter"), "nbconvert", "--log-level=WARN"]
                argv += ["--to", "script", str(nb), "--output-dir", str(out_dir)]
                argv += ["--output", f"nbconvert_{size}mb"]
                return timed(argv, repo, self.env).seconds

            def nbconvert_api(nb: Path = nb, size: int = size) -> float:
                from nbconvert.exporters import ScriptExporter

                start = time.perf_counter()
                body, resources = ScriptExporter().from_filename(str(nb))
                target = out_dir / f"api_{size}mb{resources.get('output_extension', '.py')}"
                target.write_text(body, encoding="utf-8")
                return time.perf_counter() - start

            def cli(nb: Path = nb, cli_out: Path = cli_out) -> float:
                cli_out.unlink(missing_ok=True)
                argv = [str(self.bin / "jupyter-repro"), "export", str(nb)]
                return timed([*argv, "-o", str(cli_out), "--cells", "all"], repo, self.env).seconds

            tools: dict[str, Callable[[], float]] = {
                "ours_inprocess": ours,
                "nbconvert_cli": nbconvert_cli,
                "nbconvert_inprocess": nbconvert_api,
            }
            if cli_ok and size >= 50:
                tools["ours_cli"] = cli
            reps = self.reps(2 if size >= 200 or self.quick else 3)
            samples = rounds(tools, reps)
            stats = {tool: summary(s) for tool, s in samples.items()}
            med = {tool: s["median"] for tool, s in stats.items()}
            section["cases"].append(
                {
                    "size_mb": size,
                    "file_bytes": nb.stat().st_size,
                    "seconds": stats,
                    "ratios_vs_nbconvert_cli": {t: med[t] / med["nbconvert_cli"] for t in med},
                    "ratios_vs_nbconvert_inprocess": {
                        t: med[t] / med["nbconvert_inprocess"] for t in med
                    },
                    "output_bytes": {
                        "ours": ours_out.stat().st_size,
                        "nbconvert": (out_dir / f"nbconvert_{size}mb.py").stat().st_size,
                    },
                }
            )
            if size == 50 and not self.args.no_profile:
                section["profiles"] = {
                    "export_notebook() at 50 MB": profile(lambda: ours(nb, ours_out))  # noqa: B023
                }
            if size <= 50:
                self.budgets.append(
                    Budget(
                        f"export.inprocess.{size}mb",
                        f"export_notebook() in-process, {size} MB / jupyter nbconvert --to script",
                        med["ours_inprocess"],
                        med["nbconvert_cli"],
                        0.1,
                        note="vs nbconvert's ScriptExporter in-process: "
                        f"{med['ours_inprocess'] / med['nbconvert_inprocess']:.3f}x",
                    )
                )
            if size >= 50:
                self.budgets.append(
                    Budget(
                        f"export.cli.{size}mb",
                        f"jupyter-repro export --cells all, {size} MB / jupyter nbconvert "
                        "--to script",
                        med.get("ours_cli"),
                        med["nbconvert_cli"],
                        0.25,
                        note="" if cli_ok else f"CLI not available: {cli_note}",
                    )
                )

    def _export_cli_available(self) -> tuple[bool, str]:
        argv = [str(self.bin / "jupyter-repro"), "export", "--help"]
        proc = timed(argv, PROJECT, self.env, check=False)
        if proc.returncode != 0:
            return False, "`jupyter-repro export` does not exist yet"
        if "--cells" not in proc.stdout or "-o" not in proc.stdout:
            return False, "`jupyter-repro export` has no -o/--cells options"
        return True, ""

    # -- run context ------------------------------------------------------

    def bench_runcontext(self) -> None:
        probe = self.work / "runcontext_probe.py"
        probe.write_text(RUNCONTEXT_PROBE)
        check = timed(
            [sys.executable, "-c", "import mlflow, jupyterlab_repro.kernel.context"],
            PROJECT,
            self.env,
            check=False,
        )
        if check.returncode != 0:
            self._skip("runcontext", f"run_context or mlflow not importable: {check.stderr[-500:]}")
            return
        repo = self.large_repo()
        self.reset(repo)
        nbs = self.notebooks(50)  # DESIGN: a 50 MB dirty notebook's hidden snapshot included
        rel = "analysis/run_context.ipynb"
        path = repo / rel
        path.parent.mkdir(exist_ok=True)
        shutil.copyfile(nbs["base"], path)
        git(repo, self.env, "add", "--", rel)
        git(repo, self.env, "commit", "-q", "-m", "base for the run-context notebook")
        shutil.copyfile(nbs["edited"], path)  # a source change: the state is dirty
        log(f"runcontext: {repo.name}")
        runs = []
        for i in range(2 if self.quick else 3):
            db = self.work / f"mlflow-{i}.db"
            db.unlink(missing_ok=True)
            env = {
                **self.env,
                "JPY_SESSION_NAME": str(path),
                "MLFLOW_TRACKING_URI": f"sqlite:///{db}",
                "BENCH_REPS": str(self.reps(5 if self.quick else 9)),
            }
            proc = timed([sys.executable, str(probe)], path.parent, env)
            runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
            self.drop_hidden_refs(repo)  # the next process makes its first snapshot again
        profiles = {}
        if not self.args.no_profile:
            db = self.work / "mlflow-profile.db"
            db.unlink(missing_ok=True)
            trace = self.work / "runcontext-trace2.txt"
            trace.unlink(missing_ok=True)
            env = {
                **self.env,
                "JPY_SESSION_NAME": str(path),
                "MLFLOW_TRACKING_URI": f"sqlite:///{db}",
                "BENCH_REPS": "1",
                "BENCH_PROFILE": "1",
                "GIT_TRACE2_PERF": str(trace),
            }
            proc = timed([sys.executable, str(probe)], path.parent, env)
            found = json.loads(proc.stdout.strip().splitlines()[-1])
            profiles["first mlflow.start_run() + end_run() with the provider"] = {
                "seconds": found["seconds"],
                "top": {"cumulative": found["cumulative"].rstrip()},
                "git_commands": git_trace_summary(trace),
            }
            self.drop_hidden_refs(repo)
        first_added = statistics.median(r["first_enabled"] - r["disabled"]["median"] for r in runs)
        warm_added = statistics.median(
            r["enabled"]["median"] - r["disabled"]["median"] for r in runs
        )
        outside = statistics.median(
            r["no_session"]["median"] - r["disabled"]["median"] for r in runs
        )
        sweep_on = statistics.median(r["sweep_enabled"]["median"] for r in runs)
        sweep_off = statistics.median(r["sweep_disabled"]["median"] for r in runs)
        self.sections["runcontext"] = {
            "repo": repo.name,
            "notebook": rel,
            "processes": runs,
            "added_first_start_run_seconds": first_added,
            "added_warm_start_run_seconds": warm_added,
            "added_outside_notebook_seconds": outside,
            "sweep_100_runs_enabled_seconds": sweep_on,
            "sweep_100_runs_disabled_seconds": sweep_off,
            "profiles": profiles,
        }
        self.budgets.append(
            Budget(
                "runcontext.repeated_start_run",
                "Added to a repeated mlflow.start_run() with nothing changed (seconds)",
                warm_added,
                None,
                0.010,
                unit="seconds",
            )
        )
        self.budgets.append(
            Budget(
                "runcontext.sweep",
                "100 runs in one loop with the plugin / without it + 0.2 s (ratio, <= 1.1)",
                sweep_on,
                sweep_off * 1.1 + 0.2,
                1.0,
                note=f"with {sweep_on:.2f} s, without {sweep_off:.2f} s",
            )
        )
        self.budgets.append(
            Budget(
                "runcontext.start_run",
                "Added to the first mlflow.start_run() in a kernel, 50 MB dirty notebook, "
                f"{self._large_label()} (seconds)",
                first_added,
                None,
                0.150,
                unit="seconds",
                note=f"later start_runs {warm_added * 1000:+.0f} ms; "
                f"outside a notebook {outside * 1000:+.0f} ms; "
                f"tags() {statistics.median(r['tags']['median'] for r in runs) * 1000:.0f} ms",
            )
        )

    # -- runs panel -------------------------------------------------------

    def runs_store(self) -> dict[str, Any]:
        """The seeded repository + MLflow store (cached under bench/work, keyed by seed)."""
        path = self.work / f"runs-store-c1000-r10-n2000-s{self.seed}"
        start = time.perf_counter()
        facts = generate.build_runs_store(
            path, commits=1000, runs_per_commit=10, noise_runs=2000, seed=self.seed
        )
        took = time.perf_counter() - start
        if took > 1:
            log(f"seeded {path.name} in {took:.1f} s")
        return {**facts, "folder": path.name, "seeded_this_run": took > 1}

    def _runs_server(self, facts: dict[str, Any]) -> tuple[Server, Path]:
        """A fresh server on the store's repository, its tracking module logging to a file.

        The ``jupyterlab_repro.runs`` debug lines (client ready, each
        ``search_runs``) carry wall-clock times, to show when the start-up
        warm-up got where.
        """
        logs = self.work / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        trace = logs / f"tracking-{time.strftime('%H%M%S')}-{secrets.token_hex(3)}.log"
        config = self.work / "runs-server-config.py"
        logging_config = {
            "formatters": {"bench": {"format": "%(created).6f %(threadName)s %(message)s"}},
            "handlers": {
                "bench_tracking": {
                    "class": "logging.FileHandler",
                    "filename": str(trace),
                    "formatter": "bench",
                    "level": "DEBUG",
                }
            },
            "loggers": {
                "jupyterlab_repro.tracking": {
                    "level": "DEBUG",
                    "handlers": ["bench_tracking"],
                    "propagate": False,
                }
            },
        }
        config.write_text(
            f"c.Repro.tracking_uri = {facts['uri']!r}\n"
            f"c.ServerApp.logging_config = {logging_config!r}\n"
        )
        # Poll readiness often: the first query is sent as soon as the server answers.
        server = self.server(Path(facts["repo"]), [f"--config={config}"], poll=0.02)
        return server, trace

    def _first_queries_after_lab_start(
        self, facts: dict[str, Any], get_runs: Callable[[Server], tuple[float, Any]]
    ) -> list[dict[str, float]] | str:
        """Per fresh server: JupyterLab's start in Chromium, then the first ``GET runs``.

        Returns the samples, or why they could not be taken (no Chromium or
        Playwright: ``make system-deps ui-deps``).
        """
        chromium = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
        playwright = PROJECT / "ui-tests" / "node_modules" / "playwright-core"
        node = shutil.which("node")
        if not (Path(chromium).exists() and playwright.is_dir() and node):
            return "needs Chromium, node and ui-tests' Playwright (make system-deps ui-deps)"
        script = self.work / "lab_probe.js"
        script.write_text(LAB_PROBE_JS)
        samples = []
        for _ in range(self.reps(2 if self.quick else 3)):
            browser = subprocess.Popen(
                [node, str(script), str(playwright), chromium],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            try:
                assert browser.stdin is not None and browser.stdout is not None
                if browser.stdout.readline().strip() != "ready":
                    return f"Chromium did not start: {browser.communicate(timeout=30)[1][-500:]}"
                server, _trace = self._runs_server(facts)
                try:
                    browser.stdin.write(
                        f"http://127.0.0.1:{server.port}/lab?token={server.token}\n"
                    )
                    browser.stdin.flush()
                    answer = browser.stdout.readline().split()
                    if answer[:1] != ["started"]:
                        return (
                            f"JupyterLab did not start: {browser.communicate(timeout=30)[1][-500:]}"
                        )
                    seconds, _ = get_runs(server)
                finally:
                    self.stop_servers()
                lab = int(answer[1]) / 1000
                samples.append({"lab_start": lab, "first_get_seconds": seconds})
                log(f"runs: lab started in {lab:.2f} s, then the first GET took {seconds:.3f} s")
            finally:
                if browser.poll() is None:
                    browser.kill()
                browser.wait()
        return samples

    @staticmethod
    def _tracking_timeline(server: Server, trace: Path) -> dict[str, Any]:
        """Seconds after the server process started: our extension loaded (the server's
        log, ms resolution), MLflow client ready, warm-up and first queries (``trace``)."""
        started_at = server.started_at
        found: dict[str, Any] = {}
        with contextlib.suppress(OSError):
            for line in server.log_path.read_text(errors="replace").splitlines():
                if "jupyterlab_repro" in line and "server extension loaded" in line:
                    stamp = line[3:26]  # "[I 2026-11-23 17:55:24.196 ServerApp] …"
                    with contextlib.suppress(ValueError):
                        at = time.mktime(time.strptime(stamp[:19], "%Y-%m-%d %H:%M:%S"))
                        found["extension_loaded"] = round(at + float(stamp[19:]) - started_at, 3)
        with contextlib.suppress(OSError):
            for line in trace.read_text(errors="replace").splitlines():
                stamp, _, rest = line.partition(" ")
                _, _, message = rest.partition(" ")
                try:
                    at = round(float(stamp) - started_at, 4)
                except ValueError:
                    continue
                if message.startswith("MLflow client ready"):
                    found.setdefault("client_ready", at)
                elif message.startswith("search_runs") and (
                    message.endswith("= ''") or message.endswith("LIKE '%'")
                ):
                    found["warmup_last_query_started"] = at
                elif message.startswith("search_runs"):
                    found.setdefault("first_user_query_started", at)
        return found

    # -- compare ----------------------------------------------------------

    def compare_store(self) -> dict[str, Any]:
        """10 runs x 3 metrics x 10,000 steps over two commits (cached under bench/work)."""
        path = self.work / f"compare-store-s{self.seed}"
        facts_file = path / "facts.json"
        if facts_file.is_file():
            return json.loads(facts_file.read_text())
        shutil.rmtree(path, ignore_errors=True)
        repo = path / "repo"
        repo.mkdir(parents=True)
        git(repo, self.env, "init", "-q", "--initial-branch=main")
        commits = []
        for lr in ("0.1", "0.01"):
            nb = (
                generate.small_notebook(f"lr = {lr}")
                if hasattr(generate, "small_notebook")
                else None
            )
            text = nb or json.dumps(
                {
                    "cells": [
                        {
                            "cell_type": "code",
                            "execution_count": None,
                            "id": "c0",
                            "metadata": {},
                            "outputs": [],
                            "source": [f"lr = {lr}\n", "train(lr)"],
                        }
                    ],
                    "metadata": {},
                    "nbformat": 4,
                    "nbformat_minor": 5,
                },
                indent=1,
            )
            (repo / "train.ipynb").write_text(text)
            (repo / "train.py").write_text(f"LR = {lr}\n")
            git(repo, self.env, "add", "--all")
            git(repo, self.env, "commit", "-q", "-m", f"exp: lr {lr}")
            commits.append(git(repo, self.env, "rev-parse", "HEAD"))
        db = path / "mlflow.db"
        uri = f"sqlite:///{db}"
        seed_script = path / "seed.py"
        seed_script.write_text(
            textwrap.dedent(
                f"""
                import json, math, sqlite3, sys
                from mlflow.tracking import MlflowClient
                client = MlflowClient({uri!r})
                exp = client.create_experiment("compare")
                ids = []
                for i in range(10):
                    run = client.create_run(exp, run_name=f"run-{{i}}", tags={{
                        "repro.notebook": "train.ipynb",
                        "mlflow.source.git.commit": {commits!r}[i % 2],
                    }})
                    client.log_param(run.info.run_id, "lr", str(0.1 / (i + 1)))
                    ids.append(run.info.run_id)
                conn = sqlite3.connect({str(db)!r})
                rows = [
                    (key, math.sin(step / 500 + i) / (step + 1) + i, 1700000000000 + step * 10,
                     run_id, step, 0)
                    for i, run_id in enumerate(ids)
                    for key in ("loss", "acc", "lr")
                    for step in range(10000)
                ]
                conn.executemany(
                    "INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) "
                    "VALUES (?, ?, ?, ?, ?, ?)", rows)
                conn.executemany(
                    "INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    [(k, v, t, s, n, r) for k, v, t, r, s, n in rows if s == 9999])
                conn.commit()
                print(json.dumps(ids))
                """
            )
        )
        proc = timed([sys.executable, str(seed_script)], path, self.env)
        ids = json.loads(proc.stdout.strip().splitlines()[-1])
        facts = {"uri": uri, "repo": str(repo), "run_ids": ids, "commits": commits}
        facts_file.write_text(json.dumps(facts))
        return facts

    def bench_compare(self) -> None:
        try:
            from mlflow.tracking import MlflowClient
        except ImportError as exc:
            self._skip("compare", f"mlflow not importable: {exc!r}")
            return
        facts = self.compare_store()
        config = self.work / "compare-server-config.py"
        config.write_text(
            f"c.Repro.tracking_uri = {facts['uri']!r}\nc.Repro.read_timeout = 120.0\n"
        )
        server = self.server(Path(facts["repo"]).parent, [f"--config={config}"])
        query = [("run_id", r) for r in facts["run_ids"]]
        query += [("metric", m) for m in ("loss", "acc", "lr")] + [("path", "repo/train.ipynb")]
        route = "/jupyterlab-repro/runs/compare?" + urllib.parse.urlencode(query)
        client = MlflowClient(facts["uri"])
        try:
            status, body, _ = server.request("GET", route)
            if status != 200:
                raise RuntimeError(f"GET runs/compare answered {status}: {str(body)[:300]}")
            size = len(json.dumps(body))

            def rest() -> float:
                status, _, seconds = server.request("GET", route)
                if status != 200:
                    raise RuntimeError(f"GET runs/compare answered {status}")
                return seconds

            def client_loop() -> float:
                begin = time.perf_counter()
                for run_id in facts["run_ids"]:
                    client.get_run(run_id)
                    for key in ("loss", "acc", "lr"):
                        client.get_metric_history(run_id, key)
                return time.perf_counter() - begin

            samples = rounds({"rest": rest, "client_loop": client_loop}, self.reps(5))
            render = self._compare_render(server, facts)
        finally:
            self.stop_servers()
        med = {k: statistics.median(v) for k, v in samples.items()}
        self.sections["compare"] = {
            "runs": len(facts["run_ids"]),
            "metrics": 3,
            "steps": 10000,
            "response_bytes": size,
            "samples": {k: summary(v) for k, v in samples.items()},
        }
        self.budgets.append(
            Budget(
                "compare.rest",
                "GET runs/compare, 10 runs x 3 metrics x 10,000 steps / MlflowClient loop "
                "(get_run + get_metric_history per run and metric)",
                med["rest"],
                med["client_loop"],
                0.2,
                note=f"response {size / 1e6:.2f} MB",
            )
        )
        if isinstance(render, str):
            self.sections["compare"]["render_skipped"] = render
        else:
            self.sections["compare"]["render_ms"] = summary(render["render_ms"])
            self.sections["compare"]["render_canvases"] = render["canvases"]
            self.budgets.append(
                Budget(
                    "compare.render",
                    "compare view: the charts of that reply drawn in Chromium, after it arrived (s)",
                    statistics.median(render["render_ms"]) / 1000,
                    None,
                    0.5,
                    unit="seconds",
                    note=f"{render['canvases']} chart canvases",
                )
            )
        self.budgets.append(
            Budget(
                "compare.size",
                "GET runs/compare response, 10 runs x 3 metrics x 10,000 steps (MB)",
                size / 1e6,
                None,
                1.0,
                unit="MB",
            )
        )

    def _compare_render(self, server: Server, facts: dict[str, Any]) -> dict[str, Any] | str:
        """Chromium draws the comparison (ui-tests/bench/compare-render.mjs), or why not."""
        script = PROJECT / "ui-tests" / "bench" / "compare-render.mjs"
        if not (PROJECT / "ui-tests" / "node_modules" / "@playwright" / "test").is_dir():
            return "ui-tests/node_modules missing (make ui-deps)"
        chromium = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
        node = shutil.which("node")
        if node is None or not Path(chromium).exists():
            return f"node or {chromium} missing"
        args = {
            "runIds": facts["run_ids"],
            "path": "repo/train.ipynb",
            "metrics": ["loss", "acc", "lr"],
        }
        url = f"http://127.0.0.1:{server.port}/lab?token={server.token}"
        proc = subprocess.run(
            [node, str(script), url, json.dumps(args), str(self.reps(5))],
            cwd=PROJECT / "ui-tests",
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"compare-render.mjs failed:\n{proc.stderr[-3000:]}")
        result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
        return result

    def bench_runs(self) -> None:
        try:
            from mlflow.tracking import MlflowClient

            from jupyterlab_repro.tracking.store import TrackingService
        except Exception as exc:
            self._skip("runs", f"mlflow or jupyterlab_repro.runs.store not importable: {exc!r}")
            return
        facts = self.runs_store()
        repo, nb, uri = Path(facts["repo"]), facts["notebook"], facts["uri"]
        run_ids, keys = facts["history_run_ids"], facts["metric_keys"]
        label = (
            f"{facts['notebook_runs']:,} runs of {nb} / {facts['commits']:,} commits "
            f"(+{facts['runs_total'] - facts['notebook_runs']:,} other runs)"
        )
        log(f"runs: {label}; seeded in {facts['seconds']:.1f} s")
        page = RUNS_PAGE_SIZE
        query_string = f"tags.`repro.notebook` = '{nb}'"
        metrics_route = "/jupyterlab-repro/runs/metrics?" + urllib.parse.urlencode(
            [("run_id", r) for r in run_ids] + [("key", k) for k in keys]
        )

        def get_runs(server: Server) -> tuple[float, dict[str, Any]]:
            status, body, seconds = server.request(
                "GET", "/jupyterlab-repro/runs", query={"path": nb, "max_results": str(page)}
            )
            count = sum(len(g["runs"]) for g in body["groups"]) if status == 200 else -1
            if count != page:
                raise RuntimeError(f"GET runs answered {status} with {count} runs: {body}")
            return seconds, body

        # Budget 2: the first query, sent as soon as a fresh server answers /api/status.
        starts = []
        for _ in range(self.reps(2 if self.quick else 3)):
            server, trace = self._runs_server(facts)
            try:
                seconds, _ = get_runs(server)
                up = server.ready_at - server.started_at
            finally:
                self.stop_servers()
            timeline = self._tracking_timeline(server, trace)
            starts.append({"first_get_seconds": seconds, "server_up": up, **timeline})
            log(f"runs: first GET {seconds:.3f} s, server up after {up:.2f} s, {timeline}")

        # Budget 2 as DESIGN words it: the first query after *the lab* started,
        # i.e. once JupyterLab is up in a browser that opened it as soon as the
        # server answered (the server's MLflow warm-up runs meanwhile).
        lab_starts = self._first_queries_after_lab_start(facts, get_runs)

        server, trace = self._runs_server(facts)
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

            status, body, _ = server.request("GET", metrics_route)
            if status != 200:
                raise RuntimeError(f"GET runs/metrics answered {status}: {body}")
            check_metrics(body)
            check_metrics(service.metric_histories(run_ids, keys))
            if any(len(h) != generate.HISTORY_STEPS for h in client_loop().values()):
                raise RuntimeError("get_metric_history does not return the seeded histories")
            for _ in range(2):  # warm every path before timing
                client_search()
                get_runs(server)
                service.runs_for_notebook(repo, nb, max_results=page)

            def clock(fn: Callable[[], Any]) -> Callable[[], float]:
                def run() -> float:
                    start = time.perf_counter()
                    fn()
                    return time.perf_counter() - start

                return run

            def rest_metrics() -> float:
                status, body, seconds = server.request("GET", metrics_route)
                if status != 200:
                    raise RuntimeError(f"GET runs/metrics answered {status}: {body}")
                return seconds

            def api_status() -> float:
                status, body, seconds = server.request("GET", "/api/status")
                if status != 200:
                    raise RuntimeError(f"/api/status answered {status}: {body}")
                return seconds

            def cli() -> float:
                argv = [str(self.bin / "jupyter-repro"), "runs", nb, "--json"]
                argv += ["--limit", str(page), "--tracking-uri", uri]
                proc = timed(argv, repo, self.env)
                data = json.loads(proc.stdout)
                if sum(len(g["runs"]) for g in data["groups"]) != page:
                    raise RuntimeError(f"jupyter-repro runs listed other runs: {proc.stdout[:500]}")
                return proc.seconds

            def client_process() -> float:
                argv = [sys.executable, "-c", RUNS_CLIENT_SCRIPT, uri, query_string, str(page)]
                proc = timed(argv, repo, self.env)
                if proc.stdout.strip() != str(page):
                    raise RuntimeError(f"the search_runs script printed {proc.stdout!r}")
                return proc.seconds

            tools: dict[str, Callable[[], float]] = {
                "rest_runs": lambda: get_runs(server)[0],
                "client_search_runs": clock(client_search),
                "ours_inprocess": clock(
                    lambda: service.runs_for_notebook(repo, nb, max_results=page)
                ),
                "jupyter_api_status": api_status,
                "rest_metrics": rest_metrics,
                "client_history_loop": clock(client_loop),
                "ours_histories_inprocess": clock(lambda: service.metric_histories(run_ids, keys)),
                "cli": cli,
                "client_process": client_process,
            }
            # The processes take seconds each and are only informative: fewer repetitions.
            few = 2 if self.quick else 3
            once = None if self.args.reps else {"cli": few, "client_process": few}
            samples = rounds(tools, self.reps(5 if self.quick else 9), once)
            late_timeline = self._tracking_timeline(server, trace)
        finally:
            self.stop_servers()
        stats = {tool: summary(s) for tool, s in samples.items()}
        med = {tool: s["median"] for tool, s in stats.items()}
        first = statistics.median(s["first_get_seconds"] for s in starts)
        profiles = {}
        if not self.args.no_profile:
            with inline_tracking_calls():
                profiles[f"runs_for_notebook() warm, {page} runs (in-process)"] = profile(
                    lambda: service.runs_for_notebook(repo, nb, max_results=page)
                )
                profiles[f"metric_histories() {len(run_ids)} runs x {len(keys)} keys"] = profile(
                    lambda: service.metric_histories(run_ids, keys)
                )
        self.sections["runs"] = {
            # No absolute paths in the results (they are committed).
            "store": {
                k: v for k, v in facts.items() if k not in ("history_run_ids", "repo", "db", "uri")
            },
            "page_size": page,
            "history_runs": len(run_ids),
            "metric_keys": keys,
            "filter": query_string,
            "seconds": stats,
            "starts": starts,
            "lab_starts": lab_starts,
            "first_get_after_warmup_seconds": late_first,
            "late_server_timeline": late_timeline,
            "profiles": profiles,
        }
        floor = med["jupyter_api_status"]
        self.budgets.append(
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
        self.budgets.append(
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
        self.budgets.append(
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

    # -- bookkeeping ------------------------------------------------------

    def _skip(self, section: str, why: str) -> None:
        log(f"{section}: skipped: {why}")
        self.sections[section] = {"skipped": why}
        self.notes.append(f"{section}: skipped — {why}")

    def machine(self) -> dict[str, Any]:
        def version(dist: str) -> str | None:
            try:
                return importlib.metadata.version(dist)
            except importlib.metadata.PackageNotFoundError:
                return None

        cpu_model = ""
        with contextlib.suppress(OSError):
            for line in Path("/proc/cpuinfo").read_text().splitlines():
                if line.startswith("model name"):
                    cpu_model = line.split(":", 1)[1].strip()
                    break
        mem = 0
        with contextlib.suppress(OSError, ValueError, IndexError):
            mem = int(Path("/proc/meminfo").read_text().split()[1]) * 1024
        return {
            "host": socket.gethostname(),
            "platform": platform.platform(),
            "cpu_count": os.cpu_count(),
            "cpus_usable": len(os.sched_getaffinity(0))
            if hasattr(os, "sched_getaffinity")
            else None,
            "cpu_model": cpu_model,
            "memory_bytes": mem,
            "python": platform.python_version(),
            "git": git(PROJECT, self.env, "--version"),
            "packages": {
                d: version(d)
                for d in (
                    "jupyterlab-repro",
                    "jupyter_server",
                    "nbformat",
                    "nbconvert",
                    "nbstripout",
                    "mlflow-skinny",
                )
            },
        }


RUNCONTEXT_PROBE = textwrap.dedent(
    '''
    """Probe run by bench/run.py in a "kernel" (JPY_SESSION_NAME = the notebook)."""
    import json
    import logging
    import os
    import statistics
    import time

    logging.disable(logging.WARNING)
    reps = int(os.environ["BENCH_REPS"])
    session = os.environ["JPY_SESSION_NAME"]
    import threading

    import ipykernel  # noqa: F401 - the provider reads JPY_SESSION_NAME only in a kernel

    start = time.perf_counter()
    import mlflow
    from jupyterlab_repro.kernel.context import ReproRunContext

    import_seconds = time.perf_counter() - start
    mlflow.set_experiment("bench")


    def start_run(mode):
        os.environ["JPY_SESSION_NAME"] = session
        os.environ.pop("REPRO_RUN_CONTEXT", None)
        if mode == "disabled":
            os.environ["REPRO_RUN_CONTEXT"] = "0"
        elif mode == "no_session":
            del os.environ["JPY_SESSION_NAME"]
        begin = time.perf_counter()
        run = mlflow.start_run()
        seconds = time.perf_counter() - begin
        tags = dict(run.data.tags)
        mlflow.end_run()
        return seconds, tags


    # Warm up the store (database schema, experiment) with the provider off.
    start_run("disabled")
    start_run("disabled")
    # A kernel runs the user's code between `import mlflow` and the first
    # start_run: the pre-warm that the import started is done by then.
    prewarm_began = time.perf_counter()
    for thread in threading.enumerate():
        if thread.name == "repro-prewarm":
            thread.join(30)
    prewarm_wait = time.perf_counter() - prewarm_began
    if os.environ.get("BENCH_PROFILE"):
        import cProfile
        import io
        import pstats

        profiler = cProfile.Profile()
        begin = time.perf_counter()
        profiler.enable()
        start_run("enabled")
        profiler.disable()
        seconds = time.perf_counter() - begin
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("cumulative").print_stats(14)
        text = out.getvalue()
        print(json.dumps({"seconds": seconds, "cumulative": text[text.find("   ncalls"):]}))
        raise SystemExit(0)
    first, first_tags = start_run("enabled")
    samples = {"disabled": [], "enabled": [], "no_session": []}
    for i in range(reps):
        for mode in ("disabled", "enabled", "no_session"):
            samples[mode].append(start_run(mode)[0])
    os.environ["JPY_SESSION_NAME"] = session
    os.environ.pop("REPRO_RUN_CONTEXT", None)
    provider = ReproRunContext()
    direct = {"in_context": [], "tags": []}
    for i in range(reps):
        begin = time.perf_counter()
        provider.in_context()
        direct["in_context"].append(time.perf_counter() - begin)
        begin = time.perf_counter()
        provider.tags()
        direct["tags"].append(time.perf_counter() - begin)


    def stats(values):
        return {"median": statistics.median(values), "min": min(values), "n": len(values)}


    def sweep(mode, n=100):
        """n runs in a row, as a loop in one cell does: the seconds they took in all."""
        begin = time.perf_counter()
        for _ in range(n):
            start_run(mode)
        return time.perf_counter() - begin


    sweeps = {"disabled": [], "enabled": []}
    for i in range(max(1, reps // 3)):
        for mode in ("disabled", "enabled"):
            sweeps[mode].append(sweep(mode))


    print(json.dumps({
        "prewarm_wait_seconds": prewarm_wait,
        "sweep_disabled": stats(sweeps["disabled"]),
        "sweep_enabled": stats(sweeps["enabled"]),
        "import_seconds": import_seconds,
        "first_enabled": first,
        "first_tags": sorted(k for k in first_tags if k.startswith(("repro.", "mlflow.source"))),
        "dirty": first_tags.get("repro.git.dirty"),
        **{mode: stats(values) for mode, values in samples.items()},
        **{name: stats(values) for name, values in direct.items()},
    }))
    '''
)


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


@contextlib.contextmanager
def inline_tracking_calls() -> Iterator[None]:
    """Run the tracking service's MLflow calls in the calling thread, so cProfile sees them.

    :class:`~jupyterlab_repro.runs.store.TrackingService` runs each call in a
    worker thread of its own (for its deadline); a profile of the caller
    would only show the wait.
    """
    import concurrent.futures

    from jupyterlab_repro.tracking import bounded

    def inline(fn: Callable[..., Any], *args: Any) -> concurrent.futures.Future[Any]:
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        try:
            future.set_result(fn(*args))
        except BaseException as exc:
            future.set_exception(exc)
        return future

    saved = bounded.submit
    bounded.submit = inline
    try:
        yield
    finally:
        bounded.submit = saved


# --------------------------------------------------------------------------
# report


def fmt_seconds(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.3f} s" if value >= 0.1 else f"{value * 1000:.1f} ms"


def markdown(data: dict[str, Any]) -> str:
    m = data["machine"]
    lines = [
        "# jupyterlab-repro benchmarks",
        "",
        f"`{data['command']}` — {data['mode']} run, seed {data['seed']}, "
        f"{data['duration_seconds']:.0f} s.",
        "",
        f"Machine: {m['cpu_count']} CPUs ({m['cpu_model'] or 'unknown model'}), "
        f"{m['memory_bytes'] / 2**30:.1f} GiB, {m['platform']}, Python {m['python']}, "
        f"{m['git']}; load average {data['load_before'][0]:.2f} before, "
        f"{data['load_after'][0]:.2f} after.",
        "",
        "Ratios are medians of interleaved repetitions: ours / the tool users run instead "
        "(lower is better).",
        "",
        "| Budget | Measured | Limit | Result |",
        "|---|---|---|---|",
    ]
    for b in data["budgets"]:
        value = b["value"]
        if b["unit"] == "ratio":
            measured = (
                f"{value:.3f}× ({fmt_seconds(b['ours'])} vs {fmt_seconds(b['baseline'])})"
                if value is not None
                else "–"
            )
            limit = f"≤ {b['limit']:g}×"
        elif b["unit"] == "seconds":
            measured = fmt_seconds(value)
            limit = f"≤ {b['limit'] * 1000:g} ms"
        elif b["unit"] == "MB":
            measured = f"{value:.2f} MB" if value is not None else "–"
            limit = f"≤ {b['limit']:g} MB"
        else:
            measured = f"{value:.2f}× file size" if value is not None else "–"
            limit = f"≤ {b['limit']:g}×"
        note = f" — {b['note']}" if b["note"] else ""
        lines.append(f"| {b['description']}{note} | {measured} | {limit} | **{b['result']}** |")
    sections = data["sections"]
    snap = sections.get("snapshot", {})
    if snap.get("cases"):
        lines += [
            "",
            "## Snapshot (median seconds; n per tool)",
            "",
            "| Case | REST | CLI | nbstripout+add+commit | nbconvert+add+commit | floor "
            "| server peak RSS +idle | CLI peak RSS | git status before → after a snapshot |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for c in snap["cases"]:
            s, r = c["seconds"], c["peak_rss_bytes"]
            cells = [
                f"{fmt_seconds(s[t]['median'])} (n={s[t]['n']})"
                for t in ("rest", "cli", "nbstripout", "nbconvert", "floor")
            ]
            lines.append(
                f"| {c['name']} ({c['file_bytes'] / MB:.1f} MB) | "
                + " | ".join(cells)
                + f" | {r['server_increase'] / MB:.0f} MB | {r['cli'] / MB:.0f} MB | "
                + f"{fmt_seconds(c['git_status_seconds_before_snapshot']['median'])} → "
                + f"{fmt_seconds(c['git_status_seconds_after_snapshot']['median'])} |"
            )
        lines.append("")
        lines.append(
            "Committed blob bytes per tool (all commit the notebook without outputs): "
            + "; ".join(
                f"{c['name']}: "
                + ", ".join(f"{t} {n:,}" for t, n in c["committed_blob_bytes"].items())
                for c in snap["cases"][:1]
            )
        )
    status = sections.get("status", {})
    if status.get("seconds"):
        s = status["seconds"]
        lines += [
            "",
            f"## Status ({status['repo']})",
            "",
            "| git status --porcelain | GET status | GET changes (warm) | GET changes (first) "
            "| GET /api/status (HTTP floor) |",
            "|---|---|---|---|---|",
            f"| {fmt_seconds(s['git_status']['median'])} | "
            f"{fmt_seconds(s['rest_status']['median'])} | "
            f"{fmt_seconds(s['rest_changes']['median'])} | "
            f"{fmt_seconds(status['changes_first_call_seconds'])} | "
            f"{fmt_seconds(s['jupyter_api_status']['median'])} |",
            "",
            "Classes: "
            + ", ".join(f"`{k}` {v}" for k, v in sorted(status["classifications"].items())),
        ]
    export = sections.get("export", {})
    if export.get("cases"):
        lines += [
            "",
            "## Export (median seconds)",
            "",
            "| Size | ours in-process | ours CLI | nbconvert CLI | nbconvert in-process |",
            "|---|---|---|---|---|",
        ]
        for c in export["cases"]:
            s = c["seconds"]
            cells = [
                fmt_seconds(s[t]["median"]) if t in s else "–"
                for t in ("ours_inprocess", "ours_cli", "nbconvert_cli", "nbconvert_inprocess")
            ]
            lines.append(f"| {c['file_bytes'] / MB:.1f} MB | " + " | ".join(cells) + " |")
        if not export.get("cli_available"):
            lines += ["", f"Our export CLI was not measured: {export.get('cli_note')}."]
    rc = sections.get("runcontext", {})
    if rc.get("processes"):
        first = rc["processes"][0]
        lines += [
            "",
            f"## Run context ({rc['repo']}, dirty `{rc['notebook']}`)",
            "",
            "| start_run, provider off | on (first) | on (later) | on, no notebook "
            "| tags() | in_context() |",
            "|---|---|---|---|---|---|",
        ]
        for r in rc["processes"]:
            lines.append(
                f"| {fmt_seconds(r['disabled']['median'])} | {fmt_seconds(r['first_enabled'])} | "
                f"{fmt_seconds(r['enabled']['median'])} | {fmt_seconds(r['no_session']['median'])}"
                f" | {fmt_seconds(r['tags']['median'])} | {fmt_seconds(r['in_context']['median'])}"
                " |"
            )
        lines += [
            "",
            f"Tags on the first run: {', '.join(first['first_tags'])} (dirty: {first['dirty']}).",
        ]
    runs = sections.get("runs", {})
    if runs.get("seconds"):
        s, st = runs["seconds"], runs["store"]
        n_runs, n_keys = runs["history_runs"], len(runs["metric_keys"])
        lines += [
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
    for name in SECTIONS:
        for label, p in sections.get(name, {}).get("profiles", {}).items():
            extra = ""
            if "tracemalloc_peak_bytes" in p:
                extra = (
                    f"; tracemalloc peak {p['tracemalloc_peak_bytes'] / MB:.0f} MB = "
                    f"{p['tracemalloc_peak_bytes'] / p['file_bytes']:.2f}x the file"
                )
            lines += [
                "",
                f"### cProfile: {label} ({p['seconds']:.3f} s under the profiler{extra})",
                "",
                "Top entries by cumulative time:",
                "",
                "```",
                p["top"]["cumulative"],
                "```",
            ]
            if p.get("git_commands"):
                lines += [
                    "",
                    "git commands (GIT_TRACE2_PERF): "
                    + ", ".join(
                        f"`{g['command']}` {g['runs']}× {fmt_seconds(g['seconds'])}"
                        for g in p["git_commands"]
                    ),
                ]
            if name in ("snapshot", "export", "runs"):
                lines += ["", "By own time:", "", "```", p["top"]["tottime"], "```"]
    if data["notes"]:
        lines += ["", "## Notes", ""] + [f"- {n}" for n in data["notes"]]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------
# main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="jupyterlab-repro benchmarks (see bench/README.md)."
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: no 200 MB notebooks, a 1k-commit/2k-file repository, fewer repetitions",
    )
    parser.add_argument("--only", help=f"comma-separated sections: {', '.join(SECTIONS)}")
    parser.add_argument("--reps", type=int, help="repetitions per measurement (default: per case)")
    parser.add_argument("--seed", type=int, default=generate.DEFAULT_SEED)
    parser.add_argument("--no-profile", action="store_true", help="skip the cProfile run")
    parser.add_argument(
        "--work", type=Path, default=generate.WORK, help="inputs cache (default bench/work)"
    )
    parser.add_argument(
        "--results",
        type=Path,
        help="results folder (default: bench/results for a full run, else bench/work/results)",
    )
    args = parser.parse_args(argv)
    args.sections = list(SECTIONS)
    if args.only:
        args.sections = [s.strip() for s in args.only.split(",") if s.strip()]
        unknown = sorted(set(args.sections) - set(SECTIONS))
        if unknown:
            parser.error(f"unknown section(s) {', '.join(unknown)}; use {', '.join(SECTIONS)}")
    if args.reps is not None and args.reps < 1:
        parser.error("--reps must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    full = not args.quick and not args.only and args.reps is None
    results_dir = args.results or (HERE / "results" if full else args.work / "results")
    bench = Bench(args)
    if args.quick:
        bench.notes.append(
            "quick run: no 200 MB cases, a 1,000-commit/2,000-file repository instead of "
            "10,000/20,000 and fewer repetitions — the status and run-context ratios are not "
            "the DESIGN budgets' conditions (fixed per-call costs weigh more on a small repo); "
            "the runs section uses the same 10,000-run store in both modes."
        )
    started = time.perf_counter()
    load_before = os.getloadavg()
    failed: list[str] = []
    try:
        for name in args.sections:
            try:
                getattr(bench, f"bench_{name}")()
            except Exception as exc:
                traceback.print_exc()
                failed.append(name)
                bench.notes.append(f"{name}: FAILED — {type(exc).__name__}: {exc}"[:600])
                bench.sections.setdefault(name, {"error": f"{type(exc).__name__}: {exc}"})
    finally:
        bench.stop_servers()
    data = {
        "command": " ".join(["bench/run.py", *(argv if argv is not None else sys.argv[1:])]),
        "mode": "quick" if args.quick else "full",
        "sections_run": args.sections,
        "seed": args.seed,
        "duration_seconds": time.perf_counter() - started,
        "load_before": load_before,
        "load_after": os.getloadavg(),
        "machine": bench.machine(),
        "budgets": [b.as_dict() for b in bench.budgets],
        "sections": bench.sections,
        "notes": bench.notes,
    }
    results_dir.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, indent=2, sort_keys=False) + "\n"
    (results_dir / "latest.json").write_text(text)
    (results_dir / "latest.md").write_text(markdown(data))
    if full:
        host = "".join(c if c.isalnum() or c in "-_." else "_" for c in socket.gethostname())
        (results_dir / f"host-{host}.json").write_text(text)
    log(f"results: {results_dir / 'latest.md'}")
    print(markdown(data))
    misses = [b.id for b in bench.budgets if b.result == "MISS"]
    if misses:
        log(f"budgets missed: {', '.join(misses)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
