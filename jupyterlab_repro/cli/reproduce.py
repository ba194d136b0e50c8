"""``jupyter repro reproduce RUN_ID`` and ``jupyter repro env RUN_ID``.

The same core as ``POST runs/reproduce`` (:mod:`jupyterlab_repro.reproduce`),
in this process: run it inside the run's repository. Progress goes to
stderr (a bar on a terminal, a line per cell otherwise); ``--json`` prints
the finished job on stdout. Ctrl-C cancels cleanly: the kernel is shut
down, the temporary work tree removed, the verdict ``cancelled``.

Exit codes of ``reproduce``: 0 ``exact`` or ``within-tolerance``, 1
``differs``, 3 ``failed`` (or any error), 4 refused by ``--strict`` (the
environment or the data differ), 130 cancelled.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

from ..errors import EnvironmentDiffers, InvalidRequest
from .base import EXIT_CHANGES, EXIT_ERROR, EXIT_OK, tracking_service

#: ``--strict`` refused: the environment or the data differ.
EXIT_REFUSED = 4
EXIT_CANCELLED = 130
#: Seconds one MLflow call may take before the store counts as unavailable.
TRACKING_TIMEOUT = 10.0

_EXIT = {"exact": EXIT_OK, "within-tolerance": EXIT_OK, "differs": EXIT_CHANGES}


def add_parser(subparsers: Any) -> None:
    from ..reproduce.verdict import DEFAULT_ATOL, DEFAULT_RTOL

    rep = subparsers.add_parser(
        "reproduce",
        help="re-execute a run's code in a clean kernel and compare its metrics",
        description=(
            "Check out the code a run ran (its commit, or its hidden snapshot; fetched from "
            "the remote when only there) into a temporary work tree beside yours, check this "
            "kernel environment and the declared inputs against what the run recorded, run "
            "the notebook in a fresh kernel of the run's kernelspec in the order the run "
            "executed its cells, with its seed, and compare the metrics: exact, "
            "within-tolerance, differs or failed. The reproduction is an MLflow run tagged "
            "repro.reproduces=RUN_ID, with the executed notebook as an artifact. Your HEAD, "
            "index, branch and files never change. Exit status: 0 exact or within "
            "tolerance, 1 differs, 3 failed, 4 refused by --strict, 130 cancelled."
        ),
    )
    rep.add_argument("run_id", metavar="RUN_ID", help="the MLflow run")
    rep.add_argument(
        "--strict",
        action="store_true",
        help="refuse to run when the environment or the data differ from the run's",
    )
    rep.add_argument(
        "--rtol", type=float, default=DEFAULT_RTOL, metavar="X",
        help=f"relative tolerance of the metrics (numpy.isclose; default {DEFAULT_RTOL:g})",
    )  # fmt: skip
    rep.add_argument(
        "--atol", type=float, default=DEFAULT_ATOL, metavar="X",
        help=f"absolute tolerance of the metrics (default {DEFAULT_ATOL:g})",
    )  # fmt: skip
    rep.add_argument(
        "--timeout", type=float, metavar="S", help="seconds all cells may take (default: no limit)"
    )
    _tracking_options(rep)
    rep.add_argument("--json", action="store_true", help="print the finished job as JSON")
    rep.set_defaults(func=cmd_reproduce)

    env = subparsers.add_parser(
        "env",
        help="what recreates a run's environment: pinned requirements, conda, Dockerfile",
        description=(
            "Write what recreates the environment a run executed in, from its lock "
            "(repro.env.lock: every distribution, conda packages, Python, platform, image): "
            "a pinned requirements file, a conda environment.yml, or a Dockerfile FROM the "
            "recorded image that installs them. Without an option: a summary. Run it inside "
            "the run's repository (the lock is kept there; fetched when only the remote has it)."
        ),
    )
    env.add_argument("run_id", metavar="RUN_ID", help="the MLflow run")
    kind = env.add_mutually_exclusive_group()
    kind.add_argument("--requirements", action="store_true", help="pinned requirements.txt")
    kind.add_argument("--conda", action="store_true", help="a conda environment.yml")
    kind.add_argument("--dockerfile", action="store_true", help="a Dockerfile")
    env.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    _tracking_options(env)
    env.add_argument("--json", action="store_true", help="print the lock as JSON")
    env.set_defaults(func=cmd_env)


def _tracking_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--tracking-uri",
        metavar="URI",
        help="MLflow tracking URI (default: $MLFLOW_TRACKING_URI, else ./mlflow.db)",
    )
    parser.add_argument(
        "--tracking-timeout",
        type=float,
        default=TRACKING_TIMEOUT,
        metavar="SECONDS",
        help=f"give up on an unresponsive tracking store after this long ({TRACKING_TIMEOUT:g})",
    )


def _service(args: argparse.Namespace) -> Any:
    return tracking_service(args.tracking_uri, args.tracking_timeout)


def cmd_env(args: argparse.Namespace) -> int:
    from ..deadline import Deadline
    from ..git.repository import find_repository
    from ..reproduce.environment import (
        conda_text,
        dockerfile_text,
        requirements_text,
        run_lock,
    )

    service = _service(args)
    lock, note, run = run_lock(
        service, find_repository(Path.cwd()), args.run_id, deadline=Deadline(120.0, "env")
    )
    if lock is None:
        raise InvalidRequest(f"Run {args.run_id} recorded no environment ({note}).")
    if args.json:
        text = json.dumps({**lock, "note": note} if note else lock, indent=2, sort_keys=True) + "\n"
    elif args.requirements:
        text = requirements_text(lock, run["run_id"])
    elif args.conda:
        text = conda_text(lock, run["run_id"])
    elif args.dockerfile:
        text = dockerfile_text(lock, run["run_id"])
    else:
        text = _summary(lock, run["run_id"])
    if note and not args.json:
        print(f"note: {note}", file=sys.stderr)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return EXIT_OK


def _summary(lock: dict[str, Any], run_id: str) -> str:
    lines = [f"environment of run {run_id}"]
    for key in ("python", "implementation", "platform", "image", "cuda", "gpu", "gpu_driver"):
        if lock.get(key):
            lines.append(f"  {key:<15}{lock[key]}")
    lines.append(f"  {'packages':<15}{len(lock.get('packages') or {})}")
    if lock.get("conda"):
        lines.append(f"  {'conda':<15}{len(lock['conda'])}")
    lines.append("(--requirements, --conda or --dockerfile write what recreates it)")
    return "\n".join(lines) + "\n"


def cmd_reproduce(args: argparse.Namespace) -> int:
    from ..deadline import Deadline
    from ..git.repository import require_repository
    from ..reproduce.job import Options, check_environment, refuse_if_strict
    from ..reproduce.plan import prepare

    options = Options(strict=args.strict, rtol=args.rtol, atol=args.atol, timeout=args.timeout)
    root = require_repository(Path.cwd(), "the current folder")
    service = _service(args)
    deadline = Deadline(600.0, "preparing the reproduction")
    plan = prepare(service, root, args.run_id, deadline=deadline)
    progress = Progress(sys.stderr, quiet=False)
    progress.plan(plan)
    check = check_environment(plan, deadline=deadline)
    progress.check(check)
    try:
        refuse_if_strict(plan, check, options)
    except EnvironmentDiffers as exc:
        if args.json:
            print(json.dumps({"error": str(exc), "check": exc.check}, indent=2))
        print(f"jupyter repro: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    job = asyncio.run(_run(plan, check, options, service, progress))
    progress.done(job)
    data = job.as_dict()
    if args.json:
        print(json.dumps(data, indent=2, allow_nan=False, default=str))
    else:
        print(format_verdict(data))
    verdict = (data.get("verdict") or {}).get("verdict")
    if verdict == "cancelled":
        return EXIT_CANCELLED
    return _EXIT.get(verdict or "", EXIT_ERROR)


async def _run(plan: Any, check: Any, options: Any, service: Any, progress: Progress) -> Any:
    from ..reproduce.job import Job, new_job_id, run_job
    from ..tracking.bounded import BoundedMlflow

    job = Job(new_job_id(), plan, options, check)
    job.cancel_event = asyncio.Event()
    job.on_change = progress.update
    loop = asyncio.get_running_loop()

    def interrupted() -> None:
        progress.say("cancelling: the kernel is shut down, the work tree removed …")
        job.cancel()
        try:
            loop.remove_signal_handler(signal.SIGINT)  # a second Ctrl-C interrupts at once
        except (NotImplementedError, RuntimeError):
            pass

    try:
        loop.add_signal_handler(signal.SIGINT, interrupted)
    except (NotImplementedError, RuntimeError):  # pragma: no cover - Windows
        pass
    writer = BoundedMlflow(service.tracking_uri, timeout=60.0)
    await run_job(job, service=service, writer=writer, tracking_uri=service.tracking_uri)
    return job


class Progress:
    """The job's progress on stderr: a bar on a terminal, plain lines otherwise."""

    WIDTH = 24

    def __init__(self, stream: Any, *, quiet: bool = False) -> None:
        self.stream = stream
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.quiet = quiet
        self._last: tuple[Any, ...] | None = None
        self._started = time.monotonic()
        self._bar = False

    def say(self, text: str) -> None:
        if self.quiet:
            return
        if self._bar:
            self.stream.write("\n")
            self._bar = False
        self.stream.write(text + "\n")
        self.stream.flush()

    def plan(self, plan: Any) -> None:
        kind = "hidden snapshot" if plan.snapshot else "commit"
        self.say(
            f"reproducing run {plan.run_id}"
            + (f" ({plan.run_name})" if plan.run_name else "")
            + f": {plan.notebook} at {kind} {plan.code[:7]}, {len(plan.cells)} cells"
            + (" in the run's order" if plan.order_note is None else f" ({plan.order_note})")
        )
        if plan.fetched:
            self.say(f"fetched {len(plan.fetched)} ref(s) from {plan.remote}")

    def check(self, check: dict[str, Any]) -> None:
        self.say(f"environment and data: {check['summary']}")
        for row in check["environment"]["differences"][:50]:
            self.say(
                f"  {row['kind']} {row['name']}: recorded {row['recorded'] or '-'}, "
                f"now {row['now'] or '-'}"
            )
        for row in check["inputs"]["differences"][:50]:
            self.say(f"  input {row['path']}: {row['change']}")

    def update(self, job: Any) -> None:
        progress = job.progress or {}
        key = (job.phase, progress.get("step"), job.state)
        if key == self._last or self.quiet:
            return
        self._last = key
        elapsed = time.monotonic() - self._started
        if job.phase == "cells" and progress:
            step, steps = progress["step"], progress["steps"]
            text = f"cell {step}/{steps} (notebook cell {progress['cell']}) {elapsed:5.1f}s  {progress['source']}"
            if self.tty:
                filled = int(self.WIDTH * (step - 1) / max(steps, 1))
                bar = "#" * filled + "-" * (self.WIDTH - filled)
                try:
                    columns = os.get_terminal_size(self.stream.fileno()).columns
                except (OSError, ValueError):
                    columns = 100
                line = f"[{bar}] {text}"[: max(columns - 1, 20)]
                self.stream.write("\r\x1b[K" + line)
                self.stream.flush()
                self._bar = True
            else:
                self.say(text)
        elif job.phase in ("checkout", "kernel", "recording"):
            words = {
                "checkout": "checking out the run's code into a temporary work tree",
                "kernel": "starting a fresh kernel",
                "recording": "recording the reproduction",
            }
            self.say(words[job.phase])

    def done(self, job: Any) -> None:
        if self._bar:
            self.stream.write("\n")
            self._bar = False
        self.stream.flush()


def format_verdict(data: dict[str, Any]) -> str:
    verdict = data.get("verdict") or {}
    lines = [
        f"verdict: {verdict.get('verdict', 'unknown')}"
        + (
            f" (reproduction run {data['reproduction_run_id']})"
            if data.get("reproduction_run_id")
            else ""
        )
    ]
    failure = verdict.get("failure")
    if failure:
        where = f"cell {failure['cell']}" if failure.get("cell") else "the kernel"
        lines.append(f"  failed in {where}: {failure.get('ename')}: {failure.get('evalue')}")
        if failure.get("source"):
            lines.append(f"    {failure['source']}")
        if failure.get("hint"):
            lines.append(f"  hint: {failure['hint']}")
    rows = verdict.get("metrics") or []
    if rows:
        table = [["METRIC", "RECORDED", "REPRODUCED", "DIFFERENCE", ""]]
        for row in rows:
            mark = "=" if row["exact"] else "~" if row["within"] else "!"
            table.append(
                [
                    row["key"],
                    _num(row["recorded"]),
                    _num(row["reproduced"]),
                    _num(row["difference"]),
                    mark,
                ]
            )
        widths = [max(len(r[i]) for r in table) for i in range(5)]
        lines += [
            "  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
            for r in table
        ]
    if verdict.get("params"):
        lines.append("  params that differ:")
        for row in verdict["params"]:
            lines.append(
                f"    {row['key']}: recorded {row['recorded']}, reproduced {row['reproduced']}"
            )
    elif verdict.get("params_equal"):
        lines.append("  params: equal")
    for note in verdict.get("notes") or []:
        lines.append(f"  note: {note}")
    if data.get("error"):
        lines.append(f"  error: {data['error']}")
    return "\n".join(lines)


def _num(value: Any) -> str:
    if value is None:
        return "-"
    return f"{value:.6g}" if isinstance(value, float) else str(value)
