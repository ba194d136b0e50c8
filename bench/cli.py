"""``python -m bench``: the ``--only`` dispatch over the features, and the results files.

A full run (no ``--quick``, ``--only`` or ``--reps``) writes
``bench/results/latest.{json,md}``, ``bench/results/host-<host>.json`` and
``bench/results/reproduce.{json,md}``; any other run writes the files of the
features it ran to ``bench/work/results/`` (``--results`` chooses), so a smoke
run never overwrites the committed numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from . import (
    compare,
    export,
    generate,
    inputs,
    lock,
    plugin_import,
    reproduce,
    runcontext,
    runs,
    snapshot,
    status,
)
from .harness import Bench, Feature
from .results import MB, RESULTS, budget_row, budget_row_fine, fmt_seconds, machine, machine_line
from .timing import log

#: Every ``--only`` name, in the order a full run takes them.
FEATURES: dict[str, Feature] = {
    m.FEATURE.name: m.FEATURE
    for m in (
        snapshot,
        status,
        export,
        runcontext,
        runs,
        compare,
        plugin_import,
        lock,
        inputs,
        reproduce,
    )
}

QUICK_NOTE = (
    "quick run: no 200 MB cases, a 1,000-commit/2,000-file repository instead of "
    "10,000/20,000 and fewer repetitions — the status and run-context ratios are not "
    "the DESIGN budgets' conditions (fixed per-call costs weigh more on a small repo); "
    "the runs section uses the same 10,000-run store in both modes."
)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description="jupyterlab-repro benchmarks (see bench/README.md)."
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: no 200 MB notebooks, a 1k-commit/2k-file repository, 256 MB of "
        "inputs, fewer repetitions",
    )
    parser.add_argument("--only", help=f"comma-separated features: {', '.join(FEATURES)}")
    parser.add_argument("--reps", type=int, help="repetitions per measurement (default: per case)")
    parser.add_argument("--seed", type=int, default=generate.DEFAULT_SEED)
    parser.add_argument("--no-profile", action="store_true", help="skip the cProfile runs")
    parser.add_argument(
        "--plugin-module",
        help="plugin_import: the module to time (default: the one MLflow's entry point names)",
    )
    parser.add_argument(
        "--work", type=Path, default=generate.WORK, help="inputs cache (default bench/work)"
    )
    parser.add_argument(
        "--results",
        type=Path,
        help="results folder (default: bench/results for a full run, else bench/work/results)",
    )
    args = parser.parse_args(argv)
    args.sections = list(FEATURES)
    if args.only:
        args.sections = [s.strip() for s in args.only.split(",") if s.strip()]
        unknown = sorted(set(args.sections) - set(FEATURES))
        if unknown or not args.sections:
            what = f"unknown feature(s) {', '.join(unknown)}" if unknown else "no feature named"
            parser.error(f"--only: {what}; use {', '.join(FEATURES)}")
    if args.reps is not None and args.reps < 1:
        parser.error("--reps must be at least 1")
    return args


def run_report(
    args: argparse.Namespace, report: str, names: list[str]
) -> tuple[Bench, dict[str, Any], list[str]]:
    """Run ``names`` (features of one report) on one :class:`Bench`: it, the facts every
    report records (duration, load) and the features that failed."""
    bench = Bench(args, report)
    if args.quick and report == "latest":
        bench.notes.append(QUICK_NOTE)
    started = time.perf_counter()
    load_before = os.getloadavg()
    failed: list[str] = []
    try:
        for name in names:
            log(f"{name}: measuring")
            try:
                FEATURES[name].run(bench)
            except Exception as exc:
                traceback.print_exc()
                failed.append(name)
                bench.notes.append(f"{name}: FAILED — {type(exc).__name__}: {exc}"[:600])
                bench.sections.setdefault(name, {"error": f"{type(exc).__name__}: {exc}"})
    finally:
        bench.stop_servers()
    facts = {
        "duration_seconds": time.perf_counter() - started,
        "load_before": load_before,
        "load_after": os.getloadavg(),
    }
    return bench, facts, failed


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    full = not args.quick and not args.only and args.reps is None
    results_dir = args.results or (RESULTS if full else args.work / "results")
    results_dir.mkdir(parents=True, exist_ok=True)
    command = " ".join(["python -m bench", *(argv if argv is not None else sys.argv[1:])])
    mode = "quick" if args.quick else "full"
    failed: list[str] = []
    for report in ("latest", "reproduce"):
        names = [n for n in args.sections if FEATURES[n].report == report]
        if not names:
            continue
        bench, facts, report_failed = run_report(args, report, names)
        failed += report_failed
        if report == "latest":
            data: dict[str, Any] = {
                "command": command,
                "mode": mode,
                "sections_run": names,
                "seed": args.seed,
                **facts,
                "machine": machine(bench.env),
            }
        else:
            data = {"command": command, "mode": mode, **facts, "machine": machine_line()}
        data |= {
            "budgets": [b.as_dict() for b in bench.budgets],
            "sections": bench.sections,
            "notes": bench.notes,
        }
        text = markdown(data) if report == "latest" else reproduce_markdown(data)
        if report == "latest":
            dumped = json.dumps(data, indent=2, sort_keys=False) + "\n"
            (results_dir / "latest.json").write_text(dumped)
            (results_dir / "latest.md").write_text(text)
            if full:
                host = "".join(
                    c if c.isalnum() or c in "-_." else "_" for c in socket.gethostname()
                )
                (results_dir / f"host-{host}.json").write_text(dumped)
        else:
            (results_dir / "reproduce.json").write_text(json.dumps(data, indent=2) + "\n")
            (results_dir / "reproduce.md").write_text(text)
            shutil.rmtree(bench.work, ignore_errors=True)
        log(f"results: {results_dir / f'{report}.md'}")
        print(text)
        misses = [b.id for b in bench.budgets if b.result == "MISS"]
        if misses:
            log(f"budgets missed: {', '.join(misses)}")
    return 1 if failed else 0


def markdown(data: dict[str, Any]) -> str:
    """``latest.md``: the budgets, then each feature's tables, its profiles, the notes."""
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
        *(budget_row(b) for b in data["budgets"]),
    ]
    sections = data["sections"]
    latest = [f for f in FEATURES.values() if f.report == "latest"]
    for feature in latest:
        if feature.markdown:
            lines += feature.markdown(sections.get(feature.name, {}))
    for feature in latest:
        lines += profiles_markdown(sections.get(feature.name, {}), feature.own_time)
    if data["notes"]:
        lines += ["", "## Notes", ""] + [f"- {n}" for n in data["notes"]]
    return "\n".join(lines) + "\n"


def profiles_markdown(section: dict[str, Any], own_time: bool) -> list[str]:
    lines: list[str] = []
    for label, p in section.get("profiles", {}).items():
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
        if own_time:
            lines += ["", "By own time:", "", "```", p["top"]["tottime"], "```"]
    return lines


def reproduce_markdown(data: dict[str, Any]) -> str:
    """``reproduce.md``: the budgets, the notes and the sections as JSON."""
    lines = [
        "# jupyterlab-repro benchmarks: reproduce (issue 24)",
        "",
        f"`{data['command']}` — {data['mode']} run, {data['duration_seconds']:.0f} s.",
        "",
        f"Machine: {data['machine']}; load average {data['load_before'][0]:.2f} before, "
        f"{data['load_after'][0]:.2f} after.",
        "",
        "| Budget | Measured | Limit | Result |",
        "|---|---|---|---|",
        *(budget_row_fine(b) for b in data["budgets"]),
    ]
    for note in data["notes"]:
        lines += ["", f"- {note}"]
    lines += ["", "```json", json.dumps(data["sections"], indent=1)[:6000], "```", ""]
    return "\n".join(lines)
