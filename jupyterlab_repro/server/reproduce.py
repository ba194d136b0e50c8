"""The route of reproductions: ``runs/reproduce`` (POST starts a job, GET reports, DELETE cancels).

``POST runs/reproduce {path?, run_id, strict?, rtol?, atol?, timeout?}``
gathers what the run ran (fetching its code when only the remote has it)
and checks the environment and the data *before* answering: ``409
environment-differs`` with the ``check`` when ``strict`` and anything
differs (nothing was changed: a fetch is undone), ``409
reproduction-running`` with the running ``job`` when the server runs as many
as it may (``c.Repro.reproduce_concurrency``), else ``202`` with the job.
``GET runs/reproduce?job=ID`` is the job (the ``path`` it was asked for,
state, phase, progress: cell i of n, elapsed, the running cell's first
line; its verdict once finished);
without ``job``, every job the server remembers, newest first (a reloaded
page finds its running job there). ``DELETE runs/reproduce?job=ID`` cancels
(the kernel is killed, the work tree removed, the verdict ``cancelled``).

Blocking work runs in the ``reproduce`` pool; the job itself runs on the
server's event loop (the kernel's messages are asynchronous), its blocking
steps in that pool too. The tracking store is the server's, never the
request's.
"""

from __future__ import annotations

from typing import Any, ClassVar

import anyio
import tornado.web

from ..reproduce.job import MAX_TIMEOUT, Options, check_environment, refuse_if_strict
from ..reproduce.jobs import Jobs
from ..reproduce.plan import prepare
from ..reproduce.verdict import DEFAULT_ATOL, DEFAULT_RTOL
from ..tracking.store import TrackingService
from .base import ReproHandler, limiter_for
from .fields import PATH, Bool, Field, Number, Text
from .runs import TRACKING_KEY

#: Key of the :class:`~jupyterlab_repro.reproduce.jobs.Jobs` in the extension's settings.
JOBS_KEY = "reproduce_jobs"


def jobs_of(settings: dict[str, Any]) -> Jobs:
    """The server's job registry (made on first use: its blocking work goes to the pool)."""
    jobs: Jobs | None = settings.get(JOBS_KEY)
    if jobs is None:
        config = settings["config"]
        limiter = limiter_for(settings, "reproduce")

        async def blocking(fn: Any) -> Any:
            return await anyio.to_thread.run_sync(fn, limiter=limiter)

        jobs = settings[JOBS_KEY] = Jobs(
            settings[TRACKING_KEY], concurrency=config.reproduce_concurrency, blocking=blocking
        )
    return jobs


class ReproduceHandler(ReproHandler):
    """``runs/reproduce``: POST starts a reproduction, GET reports it, DELETE cancels it."""

    pool = "reproduce"

    BODY: ClassVar[dict[str, Field]] = {
        "path": PATH,
        "run_id": Text(required=True, max_length=64),
        "strict": Bool(),
        "rtol": Number(maximum=1e6, default_value=DEFAULT_RTOL),
        "atol": Number(maximum=1e300, default_value=DEFAULT_ATOL),
        "timeout": Number(minimum=1.0, maximum=MAX_TIMEOUT),
    }
    QUERY: ClassVar[dict[str, Field]] = {"job": Text(max_length=64)}
    CANCEL: ClassVar[dict[str, Field]] = {"job": Text(required=True, max_length=64)}

    @property
    def jobs(self) -> Jobs:
        return jobs_of(self.repro)

    @tornado.web.authenticated
    async def post(self) -> None:
        body = self.body(self.BODY)
        options = self._translate(
            Options,
            strict=body["strict"],
            rtol=body["rtol"],
            atol=body["atol"],
            timeout=body["timeout"] or self.config_obj.reproduce_timeout,
        )
        jobs = self.jobs
        self._translate(jobs.check_free)  # 409 at once, before any work
        target = self.target(body)
        folder = target if target.is_dir() else target.parent
        deadline = self.deadline("write_timeout")
        top = await self.run(self.writable_repository, folder, deadline)
        service: TrackingService = self.repro[TRACKING_KEY]
        plan = await self.run(prepare, service, top, body["run_id"], deadline=deadline)
        try:
            check = await self.run(check_environment, plan, cache=jobs.digests, deadline=deadline)
            await self.run(refuse_if_strict, plan, check, options)
            job = self._translate(jobs.start, plan, check, options, path=body["path"] or "")
        except BaseException:
            await self.run(plan.undo_fetch)  # a refused request changes no ref
            raise
        self.write_json(job.as_dict(), status=202)

    @tornado.web.authenticated
    async def get(self) -> None:
        query = self.query(self.QUERY)
        if query["job"] is None:
            self.write_json({"jobs": [job.as_dict() for job in self.jobs.jobs()]})
            return
        self.write_json(self._translate(self.jobs.get, query["job"]).as_dict())

    @tornado.web.authenticated
    async def delete(self) -> None:
        query = self.query(self.CANCEL)
        job = self._translate(self.jobs.cancel, query["job"])
        self.write_json(job.as_dict(), status=202 if job.running else 200)


ROUTES: list[tuple[str, Any]] = [("runs/reproduce", ReproduceHandler)]
