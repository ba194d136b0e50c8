"""``compare``: ``GET /jupyterlab-repro/runs/compare`` of 10 runs x 3 metrics x 10,000 steps
(histories downsampled for charts) vs the ``MlflowClient`` loop a notebook would write
(``get_run`` + ``get_metric_history`` per run and metric); the reply's size; and the compare
view drawing its charts in Chromium once that reply arrived
(``ui-tests/bench/compare-render.mjs``, the view's ``data-repro-render-ms``; needs
``make ui-deps``)."""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import textwrap
import urllib.parse
from pathlib import Path
from typing import Any

from .harness import Bench, Feature
from .results import Budget
from .server import PROJECT, Server, browser
from .timing import clock, last_json_line, rounds, summary, timed

METRICS = ("loss", "acc", "lr")


def run(bench: Bench) -> None:
    try:
        from mlflow.tracking import MlflowClient
    except ImportError as exc:
        bench.skip("compare", f"mlflow not importable: {exc!r}")
        return
    facts = compare_store(bench)
    config = bench.work / "compare-server-config.py"
    config.write_text(f"c.Repro.tracking_uri = {facts['uri']!r}\nc.Repro.read_timeout = 120.0\n")
    server = bench.server(Path(facts["repo"]).parent, [f"--config={config}"])
    query = [("run_id", r) for r in facts["run_ids"]]
    query += [("metric", m) for m in METRICS] + [("path", "repo/train.ipynb")]
    route = "/jupyterlab-repro/runs/compare?" + urllib.parse.urlencode(query)
    client = MlflowClient(facts["uri"])
    try:
        body, _ = server.ok("GET", route)
        size = len(json.dumps(body))

        def client_loop() -> None:
            for run_id in facts["run_ids"]:
                client.get_run(run_id)
                for key in METRICS:
                    client.get_metric_history(run_id, key)

        samples = rounds(
            {"rest": lambda: server.ok("GET", route)[1], "client_loop": clock(client_loop)},
            bench.reps(5),
        )
        render = _render(bench, server, facts)
    finally:
        bench.stop_servers()
    med = {k: statistics.median(v) for k, v in samples.items()}
    section: dict[str, Any] = {
        "runs": len(facts["run_ids"]),
        "metrics": 3,
        "steps": 10000,
        "response_bytes": size,
        "samples": {k: summary(v) for k, v in samples.items()},
    }
    bench.sections["compare"] = section
    bench.budgets.append(
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
        section["render_skipped"] = render
    else:
        section["render_ms"] = summary(render["render_ms"])
        section["render_canvases"] = render["canvases"]
        bench.budgets.append(
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
    bench.budgets.append(
        Budget(
            "compare.size",
            "GET runs/compare response, 10 runs x 3 metrics x 10,000 steps (MB)",
            size / 1e6,
            None,
            1.0,
            unit="MB",
        )
    )


def compare_store(bench: Bench) -> dict[str, Any]:
    """10 runs x 3 metrics x 10,000 steps over two commits (cached under bench/work)."""
    path = bench.work / f"compare-store-s{bench.seed}"
    facts_file = path / "facts.json"
    if facts_file.is_file():
        found: dict[str, Any] = json.loads(facts_file.read_text())
        return found
    shutil.rmtree(path, ignore_errors=True)
    repo = path / "repo"
    repo.mkdir(parents=True)
    bench.git(repo, "init", "-q", "--initial-branch=main")
    commits = []
    for lr in ("0.1", "0.01"):
        text = json.dumps(
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
        bench.git(repo, "add", "--all")
        bench.git(repo, "commit", "-q", "-m", f"exp: lr {lr}")
        commits.append(bench.git(repo, "rev-parse", "HEAD"))
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
    proc = timed([sys.executable, str(seed_script)], path, bench.env)
    ids = last_json_line(proc.stdout)
    facts = {"uri": uri, "repo": str(repo), "run_ids": ids, "commits": commits}
    facts_file.write_text(json.dumps(facts))
    return facts


def _render(bench: Bench, server: Server, facts: dict[str, Any]) -> dict[str, Any] | str:
    """Chromium draws the comparison (ui-tests/bench/compare-render.mjs), or why not."""
    script = PROJECT / "ui-tests" / "bench" / "compare-render.mjs"
    if not (PROJECT / "ui-tests" / "node_modules" / "@playwright" / "test").is_dir():
        return "ui-tests/node_modules missing (make ui-deps)"
    tools = browser()
    if isinstance(tools, str):
        return tools
    node, _chromium = tools
    args = {"runIds": facts["run_ids"], "path": "repo/train.ipynb", "metrics": list(METRICS)}
    proc = subprocess.run(
        [node, str(script), server.lab_url, json.dumps(args), str(bench.reps(5))],
        cwd=PROJECT / "ui-tests",
        env=bench.env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"compare-render.mjs failed:\n{proc.stderr[-3000:]}")
    result: dict[str, Any] = last_json_line(proc.stdout)
    return result


FEATURE = Feature("compare", run)
