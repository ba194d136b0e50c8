"""The server's reproduction jobs: started, listed, cancelled; in memory, one at a time by default.

A job outlives the request that started it (and the page that asked: a
reload finds it with ``GET runs/reproduce``); finished jobs are kept until
:data:`KEPT` newer ones finished. At most ``concurrency`` run at once: one
more answers :class:`~jupyterlab_repro.errors.ReproductionRunning` (409,
naming the running job). When the server process exits, the kernels of
running jobs are killed and their work trees removed.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import logging
import os
import signal
import weakref
from collections import OrderedDict
from functools import partial
from typing import Any

from ..errors import JobNotFound, ReproductionRunning
from ..kernel.inputs import DigestCache
from ..tracking.bounded import BoundedMlflow
from ..tracking.store import TrackingService
from .job import (
    RECORD_TIMEOUT,
    Blocking,
    Job,
    Options,
    check_job_id,
    new_job_id,
    remove_worktree,
    run_job,
)
from .plan import Plan

log = logging.getLogger(__name__)

#: Finished jobs remembered.
KEPT = 50


class Jobs:
    """The reproductions of one server (see the module docs)."""

    def __init__(
        self,
        service: TrackingService,
        *,
        concurrency: int = 1,
        blocking: Blocking[Any] | None = None,
    ) -> None:
        self.service = service
        self.concurrency = max(1, int(concurrency))
        self.blocking = blocking
        #: Digests of input files, shared by the checks of this server.
        self.digests = DigestCache()
        self._writer: BoundedMlflow | None = None
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._tasks: dict[str, asyncio.Task[None]] = {}
        atexit.register(_at_exit, weakref.ref(self))

    @property
    def writer(self) -> BoundedMlflow:
        """The MLflow client the verdicts are written with (its own, with a longer timeout)."""
        if self._writer is None:
            self._writer = BoundedMlflow(self.service.tracking_uri, timeout=RECORD_TIMEOUT)
        return self._writer

    def running(self) -> list[Job]:
        return [job for job in self._jobs.values() if job.running]

    def check_free(self) -> None:
        """:class:`ReproductionRunning` when ``concurrency`` jobs run already."""
        busy = self.running()
        if len(busy) >= self.concurrency:
            job = busy[0]
            raise ReproductionRunning(
                f"A reproduction is running (job {job.id}, run {job.run_id}): wait for it or "
                "cancel it.",
                job.as_dict(),
            )

    def start(self, plan: Plan, check: dict[str, Any], options: Options, *, path: str = "") -> Job:
        """Start reproducing ``plan`` (checked) in a task of the running event loop.

        ``path``: the API path it was asked for (the job reports it).
        """
        self.check_free()
        job = Job(new_job_id(), plan, options, check, path=path)
        job.cancel_event = asyncio.Event()
        self._jobs[job.id] = job
        task = asyncio.get_running_loop().create_task(
            run_job(
                job,
                service=self.service,
                writer=self.writer,
                tracking_uri=self.service.tracking_uri,
                blocking=self.blocking,
            ),
            name=f"repro-reproduce-{job.id}",
        )
        self._tasks[job.id] = task
        task.add_done_callback(partial(self._finished, job.id))
        self._forget_old()
        return job

    def _finished(self, job_id: str, _task: object) -> None:
        self._tasks.pop(job_id, None)

    def get(self, job_id: object) -> Job:
        key = check_job_id(job_id)
        job = self._jobs.get(key)
        if job is None:
            raise JobNotFound(f"No reproduction job {key} (finished jobs are kept for a while).")
        return job

    def cancel(self, job_id: object) -> Job:
        job = self.get(job_id)
        job.cancel()
        return job

    def jobs(self) -> list[Job]:
        """Every job remembered, newest first."""
        return list(reversed(self._jobs.values()))

    async def wait(self, job_id: str) -> Job:
        """The job once it finished (tests, the CLI)."""
        task = self._tasks.get(job_id)
        if task is not None:
            await asyncio.shield(task)
        return self.get(job_id)

    def _forget_old(self) -> None:
        finished = [k for k, job in self._jobs.items() if not job.running]
        for key in finished[: max(0, len(finished) - KEPT)]:
            del self._jobs[key]

    def stop_now(self) -> None:
        """Kill the kernels of running jobs and remove their work trees (the process exits)."""
        for job in self.running():
            if job.kernel_pid:
                with contextlib.suppress(OSError):
                    os.kill(job.kernel_pid, signal.SIGKILL)
            try:
                remove_worktree(job.plan.root, job.temp_dir)
            except Exception:
                log.debug("removing a work tree at exit failed", exc_info=True)


def _at_exit(ref: weakref.ref[Jobs]) -> None:
    jobs = ref()
    if jobs is not None:
        jobs.stop_now()
