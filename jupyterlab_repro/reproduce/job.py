"""One reproduction, from the checked plan to the verdict: both doors run this.

1. :func:`~jupyterlab_repro.reproduce.plan.prepare` — what the run ran (fetched first when only
   the remote has it);
2. :func:`check_environment` — before anything runs: this kernel's environment
   against the run's lock and image, the data against its fingerprints;
   :func:`refuse_if_strict` stops here with :class:`EnvironmentDiffers` when
   anything differs (or nothing was recorded to compare) and ``strict``;
3. :func:`run_job` — the run's code checked out into a temporary work tree
   outside the user's (``git worktree add --detach`` in a temporary folder),
   the declared inputs put in, the notebook executed in a fresh kernel in the
   run's order (:mod:`~jupyterlab_repro.reproduce.execute`) with the seed, the
   tracking URI and the plugin on, then the verdict recorded
   (:mod:`~jupyterlab_repro.reproduce.record`) and the work tree removed —
   whatever happened, cancel included.

The user's HEAD, index, branch and files never change: the work tree is
another folder, and git only notes it in ``.git/worktrees/`` until it is
removed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import os
import re
import shutil
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

from ..deadline import Deadline
from ..errors import EnvironmentDiffers, InvalidRequest, ReproError
from ..git import worktrees
from ..git.blobs import store_record
from ..git.refs import INPUTS
from ..git.repository import repository_id
from ..git.runner import Git
from ..kernel import inputs as inputs_module
from ..kernel.inputs import DigestCache, OutOfTime
from ..kernel.records import REPRODUCES_ENV_VAR, REPRODUCTION_JOB_ENV_VAR
from ..tags import (
    REPRO_INPUTS,
    REPRO_REPRODUCTION_CELL,
    REPRO_REPRODUCTION_ERROR,
    REPRO_REPRODUCTION_RUN,
    REPRO_REPRODUCTION_SUMMARY,
    REPRO_REPRODUCTION_TOLERANCE,
    REPRO_REPRODUCTION_VERDICT,
)
from ..tracking.bounded import BoundedMlflow
from ..tracking.store import TrackingService
from . import record as rec
from .data import check_inputs, link_inputs
from .environment import KernelUnavailable, current_lock
from .environment import check as lock_check
from .execute import Executed, Failure, execute, explain
from .plan import Plan
from .verdict import (
    CANCELLED,
    DEFAULT_ATOL,
    DEFAULT_RTOL,
    FAILED,
    compare_metrics,
    compare_params,
    overall,
    summary_tag,
    tolerance_tag,
)

log = logging.getLogger(__name__)

T = TypeVar("T")
Blocking = Callable[[Callable[[], T]], Awaitable[T]]

#: Longest time a reproduction may be given (seconds).
MAX_TIMEOUT = 7 * 24 * 3600.0
#: Seconds the environment check may take (the kernel's interpreter asked for its lock).
CHECK_TIMEOUT = 60.0
#: Seconds the data check may hash inputs the kernels did not hash already.
INPUTS_TIMEOUT = 60.0
#: Seconds the MLflow writes of the verdict may take, each.
RECORD_TIMEOUT = 60.0
#: Seconds the git calls of the work tree may take.
WORKTREE_TIMEOUT = 300.0
#: Prefix of the temporary folders (``<prefix><server pid>-<job>``).
TEMP_PREFIX = "repro-reproduce-"

_JOB_ID = re.compile(r"^[0-9a-f]{32}$")


def new_job_id() -> str:
    return uuid.uuid4().hex


def check_job_id(value: object) -> str:
    if not isinstance(value, str) or not _JOB_ID.match(value):
        raise InvalidRequest("Not a reproduction job id (32 hexadecimal digits).")
    return value


@dataclass(frozen=True)
class Options:
    """How to reproduce: ``strict`` refuses on any difference; tolerances; time for all cells."""

    strict: bool = False
    rtol: float = DEFAULT_RTOL
    atol: float = DEFAULT_ATOL
    timeout: float | None = None

    def __post_init__(self) -> None:
        for name in ("rtol", "atol"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise InvalidRequest(f"'{name}' must be a number.")
            if not math.isfinite(value) or value < 0:
                raise InvalidRequest(f"'{name}' must be a finite number ≥ 0.")
        if self.timeout is not None:
            if isinstance(self.timeout, bool) or not isinstance(self.timeout, (int, float)):
                raise InvalidRequest("'timeout' must be a number of seconds.")
            if not math.isfinite(self.timeout) or not 0 < self.timeout <= MAX_TIMEOUT:
                raise InvalidRequest(
                    f"'timeout' must be between 0 and {MAX_TIMEOUT:g} seconds (exclusive of 0)."
                )

    def as_dict(self) -> dict[str, Any]:
        return {
            "strict": self.strict,
            "rtol": self.rtol,
            "atol": self.atol,
            "timeout": self.timeout,
        }


def check_environment(
    plan: Plan, *, cache: DigestCache | None = None, deadline: Deadline
) -> dict[str, Any]:
    """What differs between the run's recorded environment and data and what a kernel has now.

    ``{"environment": {"compared", "note", "differences": [{kind, name,
    recorded, now}]}, "inputs": {"compared", "note", "differences": [{path,
    change, recorded, now}]}, "differs", "summary"}``.
    """
    env: dict[str, Any] = {"compared": False, "note": plan.lock_note, "differences": []}
    now = None
    if plan.lock is not None:
        try:
            now = current_lock(plan.kernel_name, deadline=deadline.within(CHECK_TIMEOUT))
        except KernelUnavailable as exc:
            env["note"] = str(exc)
    if now is not None and plan.lock is not None:
        env["compared"] = True
        env["partial"] = bool(plan.lock.get("partial"))
        env["differences"] = lock_check(plan.lock, now)
    data: dict[str, Any] = {"compared": False, "note": plan.manifest_note, "differences": []}
    if plan.manifest is not None:
        try:
            rows, plan.current_inputs = check_inputs(
                plan.root, plan.manifest, cache=cache, deadline=deadline.within(INPUTS_TIMEOUT)
            )
        except OutOfTime as exc:
            data["note"] = f"the inputs were not compared: {exc} (try again: digests are kept)"
        else:
            data.update(compared=True, differences=rows, patterns=plan.manifest.get("patterns"))
    packages = sum(1 for r in env["differences"] if r["kind"] != "fact")
    facts = [r["name"] for r in env["differences"] if r["kind"] == "fact"]
    parts = []
    if facts:
        parts.append(", ".join(facts))
    if packages:
        parts.append(f"{packages} package(s)")
    if data["differences"]:
        parts.append(f"{len(data['differences'])} input file(s)")
    differs = bool(parts)
    summary = ("differs: " + ", ".join(parts)) if differs else "nothing recorded differs"
    if not env["compared"]:
        summary += " (the environment was not compared: " + (env["note"] or "unknown") + ")"
    return {"environment": env, "inputs": data, "differs": differs, "summary": summary}


def refuse_if_strict(plan: Plan, check: dict[str, Any], options: Options) -> None:
    """With ``strict``: :class:`EnvironmentDiffers` (and the fetch undone) unless all is checked equal."""
    if not options.strict:
        return
    unchecked = not check["environment"]["compared"]
    if not check["differs"] and not unchecked:
        return
    plan.undo_fetch()
    if check["differs"]:
        message = f"Not reproduced (strict): the {check['summary']}."
    else:
        why = check["environment"]["note"] or "nothing was recorded"
        message = f"Not reproduced (strict): the environment cannot be compared ({why})."
    raise EnvironmentDiffers(message, check)


@dataclass
class Job:
    """One reproduction's state, as ``GET runs/reproduce`` and the CLI's progress show it."""

    id: str
    plan: Plan
    options: Options
    check: dict[str, Any]
    #: The API path the reproduction was asked for (the notebook, or a folder of
    #: its repository): the lab follows it and compares there.
    path: str = ""
    created: float = field(default_factory=time.time)
    state: str = "running"  # running → cancelling → finished
    phase: str = "queued"  # checkout, kernel, cells, recording, cleanup, done
    progress: dict[str, Any] | None = None
    verdict: dict[str, Any] | None = None
    reproduction_run_id: str | None = None
    error: str | None = None
    finished: float | None = None
    notes: list[str] = field(default_factory=list)
    kernel_pid: int | None = None
    temp_dir: Path | None = None
    cancel_event: asyncio.Event | None = None
    #: Called on every change of state, phase or progress (the CLI's progress bar).
    on_change: Callable[[Job], None] | None = None

    @property
    def run_id(self) -> str:
        return self.plan.run_id

    @property
    def running(self) -> bool:
        return self.state != "finished"

    def cancel(self) -> None:
        if self.running and self.cancel_event is not None:
            self.state = "cancelling"
            self.cancel_event.set()
            self.changed()

    def changed(self) -> None:
        if self.on_change is not None:
            try:
                self.on_change(self)
            except Exception:
                log.debug("a progress callback failed", exc_info=True)

    def as_dict(self) -> dict[str, Any]:
        end = self.finished or time.time()
        return {
            "job": self.id,
            "run_id": self.run_id,
            "run_name": self.plan.run_name,
            "path": self.path,
            "state": self.state,
            "phase": self.phase,
            "created": int(self.created * 1000),
            "finished": int(self.finished * 1000) if self.finished else None,
            "elapsed": round(end - self.created, 3),
            "options": self.options.as_dict(),
            "plan": self.plan.describe(),
            "check": self.check,
            "progress": self.progress,
            "verdict": self.verdict,
            "reproduction_run_id": self.reproduction_run_id,
            "error": self.error,
            "notes": list(self.notes),
        }


async def _default_blocking(fn: Callable[[], T]) -> T:
    """Run ``fn`` in a thread; a cancel waits for it to finish (no half-made work tree)."""
    future = asyncio.get_running_loop().run_in_executor(None, fn)
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        with contextlib.suppress(BaseException):
            await future
        raise


def kernel_env(plan: Plan, job_id: str, notebook: Path, tracking_uri: str) -> dict[str, str]:
    """The reproduction kernel's environment: the caller's, plus what makes it this run's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JPY_", "MLFLOW_RUN_ID"))}
    env.pop("MLFLOW_EXPERIMENT_NAME", None)
    env.update(
        {
            "JPY_SESSION_NAME": str(notebook),
            "MLFLOW_TRACKING_URI": tracking_uri,
            "MLFLOW_EXPERIMENT_ID": plan.experiment_id,
            REPRODUCES_ENV_VAR: plan.run_id,
            REPRODUCTION_JOB_ENV_VAR: job_id,
            "REPRO_RUN_CONTEXT": "1",
        }
    )
    if plan.seed is not None:
        env["PYTHONHASHSEED"] = str(plan.seed)
    return env


def seed_preamble(seed: int | None) -> str | None:
    """Seeds what ``set_seed`` seeds, silently, before the first cell (the run's own seed)."""
    if seed is None:
        return None
    return (
        "try:\n"
        "    from jupyterlab_repro import set_seed as _repro_set_seed\n"
        f"    _repro_set_seed({int(seed)})\n"
        "    del _repro_set_seed\n"
        "except Exception:\n"
        "    pass\n"
    )


def make_worktree(plan: Plan, job_id: str) -> tuple[Path, Path, dict[str, Any]]:
    """``(temporary folder, work tree, inputs put in)``: the run's code beside the user's."""
    sweep_stale(plan.root)
    temp = Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-{job_id[:8]}-"))
    worktree = temp / "code"
    git = Git(plan.root, Deadline(WORKTREE_TIMEOUT, "checking out the run's code"))
    try:
        worktrees.add_detached(git, worktree, plan.code)
        patterns = list((plan.manifest or {}).get("patterns") or [])
        linked = link_inputs(plan.root, worktree, patterns) if patterns else {}
    except BaseException:
        remove_worktree(plan.root, temp)
        raise
    return temp, worktree, linked


def remove_worktree(root: Path, temp: Path | None) -> None:
    """Remove the work tree and its temporary folder, and git's note of it."""
    if temp is None:
        return
    git = Git(root, Deadline(WORKTREE_TIMEOUT, "removing the temporary work tree"))
    try:
        worktrees.remove(git, temp / "code")
    except ReproError as exc:
        log.warning("the temporary work tree %s was not removed cleanly: %s", temp, exc)
    shutil.rmtree(temp, ignore_errors=True)
    with contextlib.suppress(ReproError):
        worktrees.prune(git)


def sweep_stale(root: Path) -> None:
    """Remove temporary folders of reproductions whose process is gone (a crash, a kill -9)."""
    base = Path(tempfile.gettempdir())
    for folder in base.glob(f"{TEMP_PREFIX}*"):
        pid = folder.name[len(TEMP_PREFIX) :].split("-", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid() or _alive(int(pid)):
            continue
        shutil.rmtree(folder, ignore_errors=True)
    with contextlib.suppress(ReproError):
        worktrees.prune(Git(root, Deadline(30.0)))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


async def run_job(
    job: Job,
    *,
    service: TrackingService,
    writer: BoundedMlflow,
    tracking_uri: str,
    blocking: Blocking[Any] | None = None,
) -> None:
    """Check out, execute, record, clean up (see the module docs); never raises."""
    run_blocking: Blocking[Any] = blocking or _default_blocking
    plan = job.plan
    if job.cancel_event is None:
        job.cancel_event = asyncio.Event()
    executed: Executed | None = None
    try:
        job.phase = "checkout"
        job.changed()
        temp, worktree, linked = await run_blocking(partial(make_worktree, plan, job.id))
        job.temp_dir = temp
        if linked.get("linked"):
            job.notes.append(
                f"{len(linked['linked'])} input file(s) were linked, not copied (over "
                "256 MB): a notebook that writes over its inputs would change yours"
            )
        notebook = worktree / PurePosixPath(plan.notebook)
        if not job.cancel_event.is_set():
            job.phase = "kernel"
            job.changed()
            executed = await execute(
                plan.notebook_json,
                plan.cells,
                kernel_name=plan.kernel_name,
                cwd=notebook.parent,
                env=kernel_env(plan, job.id, notebook, tracking_uri),
                seconds=job.options.timeout,
                cancel=job.cancel_event,
                preamble=seed_preamble(plan.seed),
                on_cell=partial(_on_cell, job),
                on_kernel=partial(_on_kernel, job),
            )
        job.phase = "recording"
        job.changed()
        job.verdict = await run_blocking(partial(_record, job, executed, service, writer, temp))
    except Exception as exc:  # git, MLflow, a bug: the job says so and ends
        log.warning("reproduction %s failed: %s", job.id, exc, exc_info=True)
        job.error = str(exc) or type(exc).__name__
        if job.verdict is None:
            job.verdict = _verdict_without_run(job, executed, job.error)
    finally:
        job.phase = "cleanup"
        job.changed()
        try:
            await run_blocking(partial(remove_worktree, plan.root, job.temp_dir))
        except Exception as exc:
            log.warning("the temporary work tree of %s was not removed: %s", job.id, exc)
        job.temp_dir = None
        plan.release()  # the server keeps finished jobs: not their notebooks and locks
        job.phase = "done"
        job.state = "finished"
        job.finished = time.time()
        job.changed()


def _on_cell(job: Job, step: int, steps: int, index: int, line: str) -> None:
    job.phase = "cells"
    job.progress = {
        "step": step,
        "steps": steps,
        "cell": index + 1,
        "source": line,
        "started": int(time.time() * 1000),
    }
    job.changed()


def _on_kernel(job: Job, pid: int | None) -> None:
    job.kernel_pid = pid


def _verdict_without_run(job: Job, executed: Executed | None, error: str) -> dict[str, Any]:
    cancelled = bool(job.cancel_event and job.cancel_event.is_set())
    failure = executed.failure if executed is not None and executed.failure else None
    return {
        "verdict": CANCELLED if cancelled else FAILED,
        "run_id": job.run_id,
        "reproduction_run_id": job.reproduction_run_id,
        "metrics": [],
        "params": [],
        "params_equal": None,
        "rtol": job.options.rtol,
        "atol": job.options.atol,
        "failure": (
            failure.as_dict() if failure else {"cell": None, "ename": "Error", "evalue": error}
        ),
        "notes": list(job.notes),
    }


def _record(
    job: Job,
    executed: Executed | None,
    service: TrackingService,
    writer: BoundedMlflow,
    temp: Path,
) -> dict[str, Any]:
    """Find or make the reproduction's run, judge it, write its files and tags; the verdict."""
    plan, options = job.plan, job.options
    deadline = Deadline(RECORD_TIMEOUT, "recording the reproduction")
    cancelled = executed is None or executed.cancelled
    failure: Failure | None = executed.failure if executed is not None else None
    if failure is not None:
        failure.hint = explain(
            failure,
            working_copy_dir=plan.root / PurePosixPath(plan.notebook).parent,
            recorded_packages=(plan.lock or {}).get("packages"),
        )
    run = rec.find_reproduction(service, job.id, plan.run_name, plan.params, deadline)
    notes = list(job.notes)
    if run is None:
        if not cancelled and failure is None:
            notes.append(
                "the notebook logged no run to the tracking store (does it set a tracking "
                "URI of its own?): its metrics cannot be compared"
            )
        stand_in = partial(
            rec.create_stand_in,
            run_name=plan.run_name,
            notebook=plan.notebook,
            code=plan.code,
            repo=repository_id(plan.root),
        )
        run_id = writer.call(stand_in, plan.experiment_id, plan.run_id, job.id, deadline=deadline)
        metrics_now: dict[str, Any] = {}
        params_now: dict[str, Any] = {}
    else:
        run_id = run["run_id"]
        metrics_now, params_now = run.get("metrics") or {}, run.get("params") or {}
    job.reproduction_run_id = run_id
    metrics = compare_metrics(plan.metrics, metrics_now, rtol=options.rtol, atol=options.atol)
    params = compare_params(plan.params, params_now)
    verdict = overall(metrics, params, failed=failure is not None, cancelled=cancelled)
    if verdict not in (CANCELLED, FAILED) and run is None:
        verdict = FAILED
        failure = Failure(None, None, "NoRun", "the notebook logged no run to the tracking store")
    env_rows = job.check["environment"]["differences"]
    if verdict != "exact" and env_rows:
        shown = ", ".join(
            f"{r['name']} {r['recorded'] or '-'} → {r['now'] or '-'}" for r in env_rows[:5]
        )
        notes.append(f"the environment differs from the run's: {shown}")
    doc = {
        "verdict": verdict,
        "run_id": plan.run_id,
        "reproduction_run_id": run_id,
        "metrics": metrics,
        "params": params,
        "params_equal": not params,
        "rtol": options.rtol,
        "atol": options.atol,
        "failure": failure.as_dict() if failure is not None else None,
        "cells": executed.steps if executed is not None else 0,
        "seconds": round(executed.seconds, 3) if executed is not None else None,
        "code": plan.code,
        "order": [i + 1 for i in plan.cells],
        "check": job.check,
        "notes": notes,
    }
    out = temp / "out"
    out.mkdir(exist_ok=True)
    files = [out / "verdict.json"]
    files[0].write_text(json.dumps(doc, indent=1, allow_nan=False, default=str) + "\n", "utf-8")
    if executed is not None:
        import nbformat

        nb_file = out / PurePosixPath(plan.notebook).name
        nb_file.write_text(nbformat.writes(executed.notebook), encoding="utf-8")
        files.insert(0, nb_file)
    tags = {
        REPRO_REPRODUCTION_VERDICT: verdict,
        REPRO_REPRODUCTION_SUMMARY: summary_tag(metrics, params),
        REPRO_REPRODUCTION_TOLERANCE: tolerance_tag(options.rtol, options.atol),
    }
    if plan.current_inputs is not None:  # the inputs the reproduction read: the copies made
        try:
            tags[REPRO_INPUTS] = store_record(
                Git(plan.root, deadline), INPUTS, inputs_module.canonical(plan.current_inputs)
            )
        except ReproError as exc:
            notes.append(f"the reproduction's inputs were not recorded: {exc}")
    if failure is not None:
        tags[REPRO_REPRODUCTION_ERROR] = failure.headline()[:500]
        if failure.cell is not None:
            tags[REPRO_REPRODUCTION_CELL] = str(failure.cell)
    writer.call(rec.log_files, run_id, files, deadline=Deadline(RECORD_TIMEOUT))
    writer.call(rec.set_tags, run_id, tags, deadline=Deadline(RECORD_TIMEOUT))
    if verdict in (FAILED, CANCELLED):
        status = "KILLED" if verdict == CANCELLED else "FAILED"
        writer.call(rec.terminate, run_id, status, deadline=Deadline(RECORD_TIMEOUT))
    elif run is not None and run.get("status") == "RUNNING":
        writer.call(rec.terminate, run_id, "FINISHED", deadline=Deadline(RECORD_TIMEOUT))
    writer.call(
        rec.set_tags,
        plan.run_id,
        {REPRO_REPRODUCTION_VERDICT: verdict, REPRO_REPRODUCTION_RUN: run_id},
        deadline=Deadline(RECORD_TIMEOUT),
    )
    return doc
