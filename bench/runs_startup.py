"""The runs panel after a start: the seeded store, fresh servers that log when their MLflow
warm-up got where, and JupyterLab opened in Chromium before the first ``GET runs``.

Part of the ``runs`` feature (:mod:`bench.runs`), apart because it is about starting.
"""

from __future__ import annotations

import contextlib
import secrets
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import generate
from .harness import Bench
from .server import PROJECT, Server, browser
from .timing import log

#: A ``GET runs`` on a server: its seconds and the reply.
GetRuns = Callable[[Server], tuple[float, dict[str, Any]]]

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


def runs_store(bench: Bench) -> dict[str, Any]:
    """The seeded repository + MLflow store (cached under bench/work, keyed by seed)."""
    path = bench.work / f"runs-store-c1000-r10-n2000-s{bench.seed}"
    facts, took = bench.built(
        f"seeded {path.name}",
        lambda: generate.build_runs_store(
            path, commits=1000, runs_per_commit=10, noise_runs=2000, seed=bench.seed
        ),
    )
    return {**facts, "folder": path.name, "seeded_this_run": took > 1}


def runs_server(bench: Bench, facts: dict[str, Any]) -> tuple[Server, Path]:
    """A fresh server on the store's repository, its tracking module logging to a file.

    The ``jupyterlab_repro.tracking`` debug lines (client ready, each
    ``search_runs``) carry wall-clock times, to show when the start-up
    warm-up got where.
    """
    logs = bench.work / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    trace = logs / f"tracking-{time.strftime('%H%M%S')}-{secrets.token_hex(3)}.log"
    config = bench.work / "runs-server-config.py"
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
    server = bench.server(Path(facts["repo"]), [f"--config={config}"], poll=0.02)
    return server, trace


def first_queries(bench: Bench, facts: dict[str, Any], get_runs: GetRuns) -> list[dict[str, Any]]:
    """Per fresh server: the first ``GET runs``, sent as soon as it answers ``/api/status``,
    and when its start-up got where (:func:`tracking_timeline`)."""
    starts = []
    for _ in range(bench.reps(2 if bench.quick else 3)):
        server, trace = runs_server(bench, facts)
        try:
            seconds, _ = get_runs(server)
            up = server.ready_at - server.started_at
        finally:
            bench.stop_servers()
        timeline = tracking_timeline(server, trace)
        starts.append({"first_get_seconds": seconds, "server_up": up, **timeline})
        log(f"runs: first GET {seconds:.3f} s, server up after {up:.2f} s, {timeline}")
    return starts


def first_queries_after_lab_start(
    bench: Bench, facts: dict[str, Any], get_runs: GetRuns
) -> list[dict[str, float]] | str:
    """Per fresh server: JupyterLab's start in Chromium, then the first ``GET runs``.

    Returns the samples, or why they could not be taken (no Chromium or
    Playwright: ``make system-deps ui-deps``).
    """
    tools = browser()
    playwright = PROJECT / "ui-tests" / "node_modules" / "playwright-core"
    if isinstance(tools, str) or not playwright.is_dir():
        return "needs Chromium, node and ui-tests' Playwright (make system-deps ui-deps)"
    node, chromium = tools
    script = bench.work / "lab_probe.js"
    script.write_text(LAB_PROBE_JS)
    samples = []
    for _ in range(bench.reps(2 if bench.quick else 3)):
        probe = subprocess.Popen(
            [node, str(script), str(playwright), chromium],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert probe.stdin is not None and probe.stdout is not None
            if probe.stdout.readline().strip() != "ready":
                return f"Chromium did not start: {probe.communicate(timeout=30)[1][-500:]}"
            server, _trace = runs_server(bench, facts)
            try:
                probe.stdin.write(server.lab_url + "\n")
                probe.stdin.flush()
                answer = probe.stdout.readline().split()
                if answer[:1] != ["started"]:
                    return f"JupyterLab did not start: {probe.communicate(timeout=30)[1][-500:]}"
                seconds, _ = get_runs(server)
            finally:
                bench.stop_servers()
            lab = int(answer[1]) / 1000
            samples.append({"lab_start": lab, "first_get_seconds": seconds})
            log(f"runs: lab started in {lab:.2f} s, then the first GET took {seconds:.3f} s")
        finally:
            if probe.poll() is None:
                probe.kill()
            probe.wait()
    return samples


def tracking_timeline(server: Server, trace: Path) -> dict[str, Any]:
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
