"""`make bench` (issue 24): reproduce, the environment lock and the input fingerprints, measured.

Budgets (DESIGN "Performance budgets"):

``reproduce``
    ``POST runs/reproduce`` on a real Jupyter server, from the request to the
    finished job (code checked out into a temporary work tree, environment
    and data checked, the notebook executed in a fresh kernel through
    nbclient, the verdict recorded in MLflow, the work tree removed), vs
    ``jupyter nbconvert --to notebook --execute`` of the same notebook at the
    same commit: (ours − 1 s) / nbconvert ≤ 1.2. ``jupyter-repro reproduce``
    (the CLI, process start and ``import mlflow`` included) for information.
``lock``
    The environment lock of an interpreter with 400 distributions, first
    computed in a fresh process: ≤ 50 ms; a repeated ``start_run`` with the
    environment unchanged (``RunRecords.tags``: the lock's cache check, the
    inputs' rules, the record already kept): ≤ 2 ms.
``inputs``
    The fingerprints of 1 GB of declared inputs (64 files of 16 MB, random
    bytes) when nothing changed, after the first run: ≤ 20 ms (one ``stat``
    per file); the first run (hashing it all) and a new kernel (the digests
    the first one saved in the git directory) for information.

Each measurement is repeated, tools interleaved round by round, the median
compared. Results: ``bench/results/reproduce.{json,md}`` for a full run,
``bench/work/results/`` otherwise. Run with the project's venv::

    .venv/bin/python bench/reproduce.py [--quick] [--only lock,inputs,reproduce] [--reps N]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import run as harness  # noqa: E402

SECTIONS = ("lock", "inputs", "reproduce")
WORK = HERE / "work" / "reproduce"

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
    cells = [
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


class ReproduceBench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.quick: bool = args.quick
        self.work: Path = args.work
        if self.work.exists():
            shutil.rmtree(self.work)
        self.work.mkdir(parents=True)
        self.bin = Path(sys.executable).parent
        self.budgets: list[harness.Budget] = []
        self.sections: dict[str, Any] = {}
        self.notes: list[str] = []
        home = self.work / "home"
        (home / "jupyter-config").mkdir(parents=True)
        gitconfig = home / "gitconfig"
        gitconfig.write_text(
            "[user]\n\tname = Bench User\n\temail = bench@example.invalid\n"
            "[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n"
        )
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
        for key in ("JPY_SESSION_NAME", "REPRO_RUN_CONTEXT", "MLFLOW_TRACKING_URI", "PYTHONPATH"):
            self.env.pop(key, None)

    def reps(self, full: int, quick: int) -> int:
        return self.args.reps or (quick if self.quick else full)

    def python(self, code: str, *, env: dict[str, str] | None = None) -> Any:
        """Run ``code`` in a fresh interpreter; the JSON it prints last."""
        proc = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(code)],
            env=env or self.env, capture_output=True, text=True, check=False, cwd=self.work,
        )  # fmt: skip
        if proc.returncode != 0:
            raise RuntimeError(proc.stderr[-3000:])
        return json.loads(proc.stdout.strip().splitlines()[-1])

    # -- the lock ------------------------------------------------------------------

    def bench_lock(self) -> None:
        site = self.work / "site-packages"
        count = 400
        for i in range(count):
            name = f"pkg_{i:03d}"
            meta = site / f"{name}-1.{i}.0.dist-info"
            meta.mkdir(parents=True)
            (meta / "METADATA").write_text(
                f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.{i}.0\n\n"
            )
            (meta / "RECORD").write_text(f"{name}/__init__.py,,\n")
            (meta / "INSTALLER").write_text("pip\n")
            if i % 40 == 0:
                (meta / "direct_url.json").write_text('{"url": "file:///src", "dir_info": {}}')
            (site / name).mkdir()
            (site / name / "__init__.py").write_text("")
        repo = self.work / "lock-repo"
        repo.mkdir()
        harness.git(repo, self.env, "init", "-q")
        (repo / "a.txt").write_text("a\n")
        harness.git(repo, self.env, "add", "a.txt")
        harness.git(repo, self.env, "commit", "-qm", "a")
        probe = f"""
        import json, sys, time
        sys.path[:0] = [{str(site)!r}]
        from pathlib import Path
        from jupyterlab_repro.kernel.lock import compute_lock, LockCache
        from jupyterlab_repro.kernel.records import RunRecords
        start = time.perf_counter()
        lock = compute_lock(gpu={{}})
        first = time.perf_counter() - start
        records = RunRecords()
        records.tags(Path({str(repo)!r}))  # the first run: computes and keeps the lock
        samples = []
        for _ in range(200):
            t = time.perf_counter()
            records.tags(Path({str(repo)!r}))
            samples.append(time.perf_counter() - t)
        cache = LockCache()
        cache.get()
        t = time.perf_counter()
        for _ in range(1000):
            cache.get()
        check = (time.perf_counter() - t) / 1000
        print(json.dumps({{"first": first, "packages": len(lock["packages"]),
                          "repeated": sorted(samples)[len(samples) // 2], "cache_check": check,
                          "path_entries": len(sys.path)}}))
        """
        firsts, repeated, checks = [], [], []
        packages = 0
        for _ in range(self.reps(7, 3)):
            out = self.python(probe)
            firsts.append(out["first"])
            repeated.append(out["repeated"])
            checks.append(out["cache_check"])
            packages = out["packages"]
        this_venv = self.python(
            """
            import json, time
            from jupyterlab_repro.kernel.lock import compute_lock
            t = time.perf_counter(); lock = compute_lock(gpu={})
            print(json.dumps({"seconds": time.perf_counter() - t, "packages": len(lock["packages"])}))
            """
        )
        self.sections["lock"] = {
            "distributions": packages,
            "first": harness.summary(firsts),
            "repeated_tags": harness.summary(repeated),
            "cache_check": harness.summary(checks),
            "this_venv": this_venv,
        }
        med = statistics.median
        self.budgets.append(
            harness.Budget(
                "lock-first",
                f"Environment lock, first computation in a fresh process, {packages} distributions "
                f"(seconds) — this venv's {this_venv['packages']}: {this_venv['seconds'] * 1000:.1f} ms",
                med(firsts), None, 0.050, unit="seconds",
            )
        )  # fmt: skip
        self.budgets.append(
            harness.Budget(
                "lock-unchanged",
                "Added to a repeated start_run with the environment unchanged: RunRecords.tags "
                f"(lock cache check {med(checks) * 1e6:.0f} µs, rules, record kept) (seconds)",
                med(repeated), None, 0.002, unit="seconds",
            )
        )  # fmt: skip

    # -- inputs --------------------------------------------------------------------

    def bench_inputs(self) -> None:
        repo = self.work / "inputs-repo"
        data = repo / "data"
        data.mkdir(parents=True)
        files, size = 64, 16 * 1024 * 1024
        if self.quick:
            files = 16
        chunk = os.urandom(1 << 20)
        for i in range(files):
            with open(data / f"part-{i:03d}.bin", "wb") as handle:
                for j in range(size >> 20):
                    handle.write(chunk[j:] + chunk[:j])
        (repo / "pyproject.toml").write_text('[tool.jupyterlab-repro]\ninputs = ["data/"]\n')
        (repo / ".gitignore").write_text("data/\n")
        harness.git(repo, self.env, "init", "-q")
        harness.git(repo, self.env, "add", "--all")
        harness.git(repo, self.env, "commit", "-qm", "inputs")
        probe = f"""
        import json, time
        from pathlib import Path
        from jupyterlab_repro.kernel.records import RunRecords
        root = Path({str(repo)!r})
        records = RunRecords()
        t = time.perf_counter(); tags = records.tags(root); first = time.perf_counter() - t
        samples = []
        for _ in range(30):
            t = time.perf_counter(); again = records.tags(root); samples.append(time.perf_counter() - t)
        assert again == tags
        print(json.dumps({{"first": first, "repeated": sorted(samples)[len(samples) // 2]}}))
        """
        cache = repo / ".git" / "repro" / "inputs-cache.json"
        firsts, repeated, new_kernel = [], [], []
        for _ in range(self.reps(5, 2)):
            cache.unlink(missing_ok=True)
            out = self.python(probe)  # no digests yet: hashes the gigabyte
            firsts.append(out["first"])
            repeated.append(out["repeated"])
            again = self.python(probe)  # a new kernel: the digests the first one saved
            new_kernel.append(again["first"])
            repeated.append(again["repeated"])
        total = files * size
        self.sections["inputs"] = {
            "files": files,
            "bytes": total,
            "first_run_hashing": harness.summary(firsts),
            "new_kernel_first_run": harness.summary(new_kernel),
            "unchanged": harness.summary(repeated),
        }
        med = statistics.median
        self.budgets.append(
            harness.Budget(
                "inputs-unchanged",
                f"Input fingerprints of {total / 1e9:.2f} GB ({files} files) unchanged, after the "
                f"first run (seconds) — first run (hashing) {med(firsts):.2f} s; a new kernel "
                f"(digests saved in .git) {med(new_kernel) * 1000:.1f} ms",
                med(repeated), None, 0.020, unit="seconds",
            )
        )  # fmt: skip

    # -- reproduce -----------------------------------------------------------------

    def bench_reproduce(self) -> None:
        repo = self.work / "proj"
        repo.mkdir()
        store = self.work / "store"
        store.mkdir()
        uri = f"sqlite:///{store / 'mlflow.db'}"
        harness.git(repo, self.env, "init", "-q")
        (repo / "train.ipynb").write_text(notebook(TRAINING))
        harness.git(repo, self.env, "add", "--all")
        harness.git(repo, self.env, "commit", "-qm", "exp: train")
        env = {**self.env, "MLFLOW_TRACKING_URI": uri}
        # The original run: the notebook executed as the lab would, the plugin on.
        out = self.work / "out"
        out.mkdir()
        original = harness.timed(
            [str(self.bin / "jupyter"), "nbconvert", "--to", "notebook", "--execute",
             "train.ipynb", "--output", str(out / "original.ipynb")],
            repo, {**env, "JPY_SESSION_NAME": str(repo / "train.ipynb")},
        )  # fmt: skip
        executed = json.loads((out / "original.ipynb").read_text())
        printed = "".join("".join(o.get("text", "")) for o in executed["cells"][-1]["outputs"])
        run_id = re.findall(r"\b[0-9a-f]{32}\b", printed)[-1]
        harness.log(f"reproduce: original run {run_id} in {original.seconds:.1f} s")
        server = harness.Server(
            repo, env, self.work / "logs",
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
                proc = harness.timed(
                    [str(self.bin / "jupyter-repro"), "reproduce", run_id, "--json"], repo, env
                )
                verdicts.append(json.loads(proc.stdout)["verdict"]["verdict"])
                return proc.seconds

            def nbconvert() -> float:
                return harness.timed(
                    [str(self.bin / "jupyter"), "nbconvert", "--to", "notebook", "--execute",
                     "train.ipynb", "--output", str(out / "baseline.ipynb")],
                    repo, env,
                ).seconds  # fmt: skip

            rest()  # warm: MLflow loaded in the server, the kernelspec found once
            verdicts.clear()
            phases.clear()
            samples = harness.rounds(
                {"nbconvert": nbconvert, "rest": rest, "cli": cli}, self.reps(5, 2)
            )
        finally:
            server.stop()
        base = statistics.median(samples["nbconvert"])
        ours = statistics.median(samples["rest"])
        cli_med = statistics.median(samples["cli"])
        self.sections["reproduce"] = {
            "run_id": run_id,
            "nbconvert": harness.summary(samples["nbconvert"]),
            "rest": harness.summary(samples["rest"]),
            "cli": harness.summary(samples["cli"]),
            "verdicts": verdicts,
            "rest_phases_first_seen": phases,
        }
        if set(verdicts) != {"exact"}:
            self.notes.append(f"reproduce: verdicts were {sorted(set(verdicts))}, not all exact")
        self.budgets.append(
            harness.Budget(
                "reproduce-rest",
                "POST runs/reproduce → finished job (worktree, environment check, kernel, verdict) "
                f"minus 1 s / jupyter nbconvert --execute — {ours:.2f} s vs {base:.2f} s; the CLI "
                f"(process start, import mlflow) {cli_med:.2f} s = {(cli_med - 1) / base:.2f}x",
                ours - 1.0, base, 1.2,
            )
        )  # fmt: skip


def markdown(data: dict[str, Any]) -> str:
    lines = [
        "# jupyterlab-repro benchmarks: reproduce (issue 24)",
        "",
        f"`bench/reproduce.py` — {data['mode']} run, {data['duration_seconds']:.0f} s.",
        "",
        f"Machine: {data['machine']}; load average {data['load_before'][0]:.2f} before, "
        f"{data['load_after'][0]:.2f} after.",
        "",
        "| Budget | Measured | Limit | Result |",
        "|---|---|---|---|",
    ]
    for b in data["budgets"]:
        if b["unit"] == "ratio":
            measured = (
                f"{b['value']:.3f}× ({harness.fmt_seconds(b['ours'])} vs "
                f"{harness.fmt_seconds(b['baseline'])})"
                if b["value"] is not None
                else "-"
            )
            limit = f"≤ {b['limit']:g}×"
        elif b["ours"] is not None and b["ours"] < 0.001:
            measured = f"{b['ours'] * 1e6:.0f} µs"
            limit = f"≤ {b['limit'] * 1000:g} ms"
        else:
            measured = harness.fmt_seconds(b["ours"]) if b["ours"] is not None else "-"
            limit = f"≤ {b['limit'] * 1000:g} ms"
        lines.append(f"| {b['description']} | {measured} | {limit} | **{b['result']}** |")
    for note in data["notes"]:
        lines += ["", f"- {note}"]
    lines += ["", "```json", json.dumps(data["sections"], indent=1)[:6000], "```", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions, 256 MB of inputs")
    parser.add_argument("--only", help=f"comma-separated sections: {', '.join(SECTIONS)}")
    parser.add_argument("--reps", type=int, help="repetitions per measurement")
    parser.add_argument("--work", type=Path, default=WORK, help="scratch folder (emptied first)")
    args = parser.parse_args(argv)
    sections = [s.strip() for s in (args.only or ",".join(SECTIONS)).split(",") if s.strip()]
    full = not args.quick and not args.only and args.reps is None
    bench = ReproduceBench(args)
    started = time.perf_counter()
    load_before = os.getloadavg()
    failed = []
    for name in sections:
        try:
            harness.log(f"reproduce bench: {name}")
            getattr(bench, f"bench_{name}")()
        except Exception as exc:
            import traceback

            traceback.print_exc()
            failed.append(name)
            bench.notes.append(f"{name}: FAILED — {type(exc).__name__}: {exc}"[:600])
    import platform

    data = {
        "command": " ".join(["bench/reproduce.py", *(argv if argv is not None else sys.argv[1:])]),
        "mode": "quick" if args.quick else "full",
        "duration_seconds": time.perf_counter() - started,
        "load_before": load_before,
        "load_after": os.getloadavg(),
        "machine": f"{os.cpu_count()} CPUs, {platform.platform()}, Python {platform.python_version()}",
        "budgets": [b.as_dict() for b in bench.budgets],
        "sections": bench.sections,
        "notes": bench.notes,
    }
    results = HERE / "results" if full else HERE / "work" / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / "reproduce.json").write_text(json.dumps(data, indent=2) + "\n")
    (results / "reproduce.md").write_text(markdown(data))
    print(markdown(data))
    shutil.rmtree(bench.work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
