"""``runcontext``: the time the MLflow run-context provider adds to ``mlflow.start_run()`` in a
"kernel" (``ipykernel`` imported, ``JPY_SESSION_NAME`` = a dirty 50 MB notebook), against the
same ``start_run()`` with ``REPRO_RUN_CONTEXT=0``; also without ``JPY_SESSION_NAME``, and
``ReproRunContext().tags()`` / ``in_context()`` directly. Each probe process also records how
long ``import mlflow`` + the plugin took (``import_seconds``); the plugin's own import is the
``plugin_import`` feature."""

from __future__ import annotations

import statistics
import sys
import textwrap
from typing import Any

from .harness import Bench, Feature
from .results import Budget, fmt_seconds
from .server import PROJECT
from .timing import git_trace_summary, last_json_line, log, timed

RUNCONTEXT_PROBE = textwrap.dedent(
    '''
    """Probe run by bench/runcontext.py in a "kernel" (JPY_SESSION_NAME = the notebook)."""
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


def run(bench: Bench) -> None:
    probe = bench.work / "runcontext_probe.py"
    probe.write_text(RUNCONTEXT_PROBE)
    check = timed(
        [sys.executable, "-c", "import mlflow, jupyterlab_repro.kernel.context"],
        PROJECT,
        bench.env,
        check=False,
    )
    if check.returncode != 0:
        bench.skip("runcontext", f"run_context or mlflow not importable: {check.stderr[-500:]}")
        return
    repo = bench.large_repo()
    bench.reset(repo)
    nbs = bench.notebooks(50)  # DESIGN: a 50 MB dirty notebook's hidden snapshot included
    rel = "analysis/run_context.ipynb"
    # The edited version is a source change: the state is dirty.
    path, _ = bench.edited_notebook(repo, rel, nbs, "base for the run-context notebook")
    log(f"runcontext: {repo.name}")

    def probe_process(db_name: str, **extra: str) -> dict[str, Any]:
        """The probe in a fresh process on a fresh store; its hidden snapshots dropped after."""
        db = bench.work / db_name
        db.unlink(missing_ok=True)
        env = {
            **bench.env,
            "JPY_SESSION_NAME": str(path),
            "MLFLOW_TRACKING_URI": f"sqlite:///{db}",
            **extra,
        }
        found: dict[str, Any] = last_json_line(
            timed([sys.executable, str(probe)], path.parent, env).stdout
        )
        bench.drop_hidden_refs(repo)  # the next process makes its first snapshot again
        return found

    reps = str(bench.reps(5 if bench.quick else 9))
    runs = [
        probe_process(f"mlflow-{i}.db", BENCH_REPS=reps) for i in range(2 if bench.quick else 3)
    ]
    profiles = {}
    if not bench.args.no_profile:
        trace = bench.work / "runcontext-trace2.txt"
        trace.unlink(missing_ok=True)
        found = probe_process(
            "mlflow-profile.db", BENCH_REPS="1", BENCH_PROFILE="1", GIT_TRACE2_PERF=str(trace)
        )
        profiles["first mlflow.start_run() + end_run() with the provider"] = {
            "seconds": found["seconds"],
            "top": {"cumulative": found["cumulative"].rstrip()},
            "git_commands": git_trace_summary(trace),
        }

    def median(fn: Any) -> float:
        return statistics.median(fn(r) for r in runs)

    first_added = median(lambda r: r["first_enabled"] - r["disabled"]["median"])
    warm_added = median(lambda r: r["enabled"]["median"] - r["disabled"]["median"])
    outside = median(lambda r: r["no_session"]["median"] - r["disabled"]["median"])
    sweep_on = median(lambda r: r["sweep_enabled"]["median"])
    sweep_off = median(lambda r: r["sweep_disabled"]["median"])
    bench.sections["runcontext"] = {
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
    bench.budgets.append(
        Budget(
            "runcontext.repeated_start_run",
            "Added to a repeated mlflow.start_run() with nothing changed (seconds)",
            warm_added,
            None,
            0.010,
            unit="seconds",
        )
    )
    bench.budgets.append(
        Budget(
            "runcontext.sweep",
            "100 runs in one loop with the plugin / without it + 0.2 s (ratio, <= 1.1)",
            sweep_on,
            sweep_off * 1.1 + 0.2,
            1.0,
            note=f"with {sweep_on:.2f} s, without {sweep_off:.2f} s",
        )
    )
    bench.budgets.append(
        Budget(
            "runcontext.start_run",
            "Added to the first mlflow.start_run() in a kernel, 50 MB dirty notebook, "
            f"{bench.large_label()} (seconds)",
            first_added,
            None,
            0.150,
            unit="seconds",
            note=f"later start_runs {warm_added * 1000:+.0f} ms; "
            f"outside a notebook {outside * 1000:+.0f} ms; "
            f"tags() {median(lambda r: r['tags']['median']) * 1000:.0f} ms",
        )
    )


def markdown(rc: dict[str, Any]) -> list[str]:
    if not rc.get("processes"):
        return []
    first = rc["processes"][0]
    lines = [
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
    return lines


FEATURE = Feature("runcontext", run, markdown=markdown)
