"""``reproduce``: ``POST runs/reproduce`` on a real Jupyter server, from the request to the
finished job (code checked out into a temporary work tree, environment and data checked, the
notebook executed in a fresh kernel through nbclient, the verdict recorded in MLflow, the work
tree removed), vs ``jupyter nbconvert --to notebook --execute`` of the same notebook at the
same commit: (ours − 1 s) / nbconvert ≤ 1.2. ``jupyter-repro reproduce`` (the CLI, process
start and ``import mlflow`` included) for information. Results in ``reproduce.{json,md}``."""

from __future__ import annotations

import json
import re
import statistics
import time
from typing import Any

from .harness import Bench, Feature
from .results import Budget
from .server import Server
from .timing import log, rounds, summary, timed

#: The bench notebook: a seeded numpy "training" of a few seconds that logs to MLflow.
TRAINING = [
    "import numpy as np\nimport mlflow\nfrom jupyterlab_repro import set_seed\nset_seed(0)",
    "X = np.random.rand(3000, 150)\ntrue_w = np.random.rand(150)\n"
    "y = X @ true_w + np.random.normal(0, 0.1, 3000)",
    "losses = []\nfor epoch in range(40):\n"
    "    w, *_ = np.linalg.lstsq(X + 0.001 * epoch, y, rcond=None)\n"
    "    losses.append(float(np.mean((X @ w - y) ** 2)))",
    "with mlflow.start_run() as run:\n"
    "    mlflow.log_param('epochs', 40)\n"
    "    mlflow.log_metric('loss', losses[-1])\n"
    "    mlflow.log_metric('w_err', float(np.abs(w - true_w).mean()))\n"
    "print(run.info.run_id)",
]


def notebook(sources: list[str]) -> str:
    cells: list[dict[str, Any]] = [
        {"cell_type": "code", "execution_count": None, "id": f"c{i}", "metadata": {},
         "outputs": [], "source": src}
        for i, src in enumerate(sources)
    ]  # fmt: skip
    nb = {
        "cells": cells,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(nb, indent=1, sort_keys=True) + "\n"


def run(bench: Bench) -> None:
    repo = bench.work / "proj"
    repo.mkdir()
    store = bench.work / "store"
    store.mkdir()
    uri = f"sqlite:///{store / 'mlflow.db'}"
    bench.git(repo, "init", "-q")
    (repo / "train.ipynb").write_text(notebook(TRAINING))
    bench.git(repo, "add", "--all")
    bench.git(repo, "commit", "-qm", "exp: train")
    env = {**bench.env, "MLFLOW_TRACKING_URI": uri}
    # The original run: the notebook executed as the lab would, the plugin on.
    out = bench.work / "out"
    out.mkdir()
    original = timed(
        [str(bench.bin / "jupyter"), "nbconvert", "--to", "notebook", "--execute",
         "train.ipynb", "--output", str(out / "original.ipynb")],
        repo, {**env, "JPY_SESSION_NAME": str(repo / "train.ipynb")},
    )  # fmt: skip
    executed = json.loads((out / "original.ipynb").read_text())
    printed = "".join("".join(o.get("text", "")) for o in executed["cells"][-1]["outputs"])
    run_id = re.findall(r"\b[0-9a-f]{32}\b", printed)[-1]
    log(f"reproduce: original run {run_id} in {original.seconds:.1f} s")
    server = Server(
        repo, env, bench.work / "logs",
        extra_args=[f"--Repro.tracking_uri={uri}", "--Repro.tracking_timeout=60"],
    )  # fmt: skip
    verdicts: list[str] = []
    phases: list[dict[str, float]] = []
    try:

        def rest() -> float:
            start = time.perf_counter()
            status, job, _ = server.request(
                "POST", "/jupyterlab-repro/runs/reproduce", {"run_id": run_id}
            )
            if status != 202:
                raise RuntimeError(f"POST runs/reproduce: {status} {job}")
            seen: dict[str, float] = {}
            while True:
                _, data, _ = server.request(
                    "GET", "/jupyterlab-repro/runs/reproduce", query={"job": job["job"]}
                )
                seen.setdefault(data["phase"], time.perf_counter() - start)
                if data["state"] == "finished":
                    break
                time.sleep(0.05)
            seconds = time.perf_counter() - start
            verdicts.append(data["verdict"]["verdict"])
            phases.append(seen)
            return seconds

        def cli() -> float:
            proc = timed(
                [str(bench.bin / "jupyter-repro"), "reproduce", run_id, "--json"], repo, env
            )
            verdicts.append(json.loads(proc.stdout)["verdict"]["verdict"])
            return proc.seconds

        def nbconvert() -> float:
            return timed(
                [str(bench.bin / "jupyter"), "nbconvert", "--to", "notebook", "--execute",
                 "train.ipynb", "--output", str(out / "baseline.ipynb")],
                repo, env,
            ).seconds  # fmt: skip

        rest()  # warm: MLflow loaded in the server, the kernelspec found once
        verdicts.clear()
        phases.clear()
        samples = rounds(
            {"nbconvert": nbconvert, "rest": rest, "cli": cli}, bench.reps(2 if bench.quick else 5)
        )
    finally:
        server.stop()
    base = statistics.median(samples["nbconvert"])
    ours = statistics.median(samples["rest"])
    cli_med = statistics.median(samples["cli"])
    bench.sections["reproduce"] = {
        "run_id": run_id,
        "nbconvert": summary(samples["nbconvert"]),
        "rest": summary(samples["rest"]),
        "cli": summary(samples["cli"]),
        "verdicts": verdicts,
        "rest_phases_first_seen": phases,
    }
    if set(verdicts) != {"exact"}:
        bench.notes.append(f"reproduce: verdicts were {sorted(set(verdicts))}, not all exact")
    bench.budgets.append(
        Budget(
            "reproduce-rest",
            "POST runs/reproduce → finished job (worktree, environment check, kernel, verdict) "
            f"minus 1 s / jupyter nbconvert --execute — {ours:.2f} s vs {base:.2f} s; the CLI "
            f"(process start, import mlflow) {cli_med:.2f} s = {(cli_med - 1) / base:.2f}x",
            ours - 1.0, base, 1.2,
        )
    )  # fmt: skip


FEATURE = Feature("reproduce", run, report="reproduce")
