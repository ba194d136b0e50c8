"""Timing helpers every feature shares: timed processes, interleaved rounds, medians, profiles."""

from __future__ import annotations

import contextlib
import cProfile
import io
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


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


def last_json_line(text: str) -> Any:
    """The JSON a probe printed last (earlier lines are the libraries' chatter)."""
    return json.loads(text.strip().splitlines()[-1])


def clock(fn: Callable[[], Any]) -> Callable[[], float]:
    """``fn`` as a tool for :func:`rounds`: the seconds one call takes."""

    def run() -> float:
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start

    return run


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


def summary(samples: list[float]) -> dict[str, Any]:
    return {
        "median": statistics.median(samples),
        "min": min(samples),
        "max": max(samples),
        "n": len(samples),
        "samples": [round(s, 4) for s in samples],
    }


def summaries(
    samples: dict[str, list[float]],
) -> tuple[dict[str, dict[str, Any]], dict[str, float]]:
    """Per tool: its :func:`summary`, and its median alone (what the budgets compare)."""
    stats = {tool: summary(s) for tool, s in samples.items()}
    return stats, {tool: s["median"] for tool, s in stats.items()}


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
