"""The notebook in a fresh kernel, cell by cell in the run's order, through nbclient.

nbclient is the standard executor (``jupyter nbconvert --execute`` and
papermill use it); :func:`execute` drives its ``NotebookClient`` one cell at
a time with :meth:`~nbclient.NotebookClient.async_execute_cell`, in the order
of :attr:`~jupyterlab_repro.reproduce.plan.Plan.cells`, so outputs land in
the right cells and execution counts show the order. The kernel is started
and stopped here (not with ``async_setup_kernel``, which takes over the
process's SIGINT/SIGTERM handlers — the Jupyter server's own), in the
notebook's folder of the temporary work tree, with the environment the
caller gives (tracking URI, seed, the reproduction's tags).

Cancelling (the ``cancel`` event) kills the kernel at once; the cell running
then ends as the kernel's death. Time: ``seconds`` for all cells together,
each cell getting what is left as nbclient's ``timeout``.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Seconds a kernel may take to start and answer.
STARTUP_TIMEOUT = 120.0
#: Seconds a graceful kernel shutdown may take before the kernel is killed.
SHUTDOWN_TIMEOUT = 20.0
#: Characters of a traceback kept in a failure.
MAX_TRACEBACK = 8000

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_MISSING_FILE = re.compile(r"No such file or directory: ['\"]([^'\"]+)['\"]")
_MISSING_MODULE = re.compile(r"No module named ['\"]([^'\"]+)['\"]")


@dataclass
class Failure:
    """Why the execution stopped: the cell (1-based in the notebook), its step, the error."""

    cell: int | None
    step: int | None
    ename: str
    evalue: str
    source: str = ""
    traceback: str = ""
    hint: str | None = None

    def headline(self) -> str:
        where = f"cell {self.cell}" if self.cell is not None else "the kernel"
        return f"{where}: {self.ename}: {self.evalue}".strip().rstrip(":")

    def as_dict(self) -> dict[str, Any]:
        return {
            "cell": self.cell,
            "step": self.step,
            "ename": self.ename,
            "evalue": self.evalue,
            "source": self.source,
            "traceback": self.traceback,
            "hint": self.hint,
        }


@dataclass
class Executed:
    """What :func:`execute` did: the notebook with its outputs so far, and how it ended."""

    notebook: Any
    steps: int = 0
    failure: Failure | None = None
    cancelled: bool = False
    seconds: float = 0.0
    kernel_pid: int | None = None
    outputs_note: list[str] = field(default_factory=list)


def first_line(source: str, limit: int = 200) -> str:
    for line in source.splitlines():
        if line.strip():
            return line.strip()[:limit]
    return ""


async def execute(
    notebook_json: dict[str, Any],
    cells: list[int],
    *,
    kernel_name: str,
    cwd: Path,
    env: dict[str, str],
    seconds: float | None = None,
    cancel: asyncio.Event | None = None,
    preamble: str | None = None,
    on_cell: Callable[[int, int, int, str], None] | None = None,
    on_kernel: Callable[[int | None], None] | None = None,
) -> Executed:
    """Run ``cells`` (0-based, in that order) of the notebook in a fresh ``kernel_name`` kernel.

    ``on_cell(step, steps, cell_index, first_line)`` is called before each
    cell, ``on_kernel(pid)`` once the kernel runs (and ``None`` once it is
    gone). ``preamble`` runs first, silently, off the history.
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    cancel = cancel or asyncio.Event()
    nb = nbformat.from_dict(_joined(notebook_json))
    started = time.monotonic()
    deadline = started + seconds if seconds else None
    client = NotebookClient(
        nb,
        kernel_name=kernel_name,
        timeout=None,
        startup_timeout=int(STARTUP_TIMEOUT),
        allow_errors=False,
        record_timing=True,
        resources={"metadata": {"path": str(cwd)}},
    )
    done = Executed(notebook=nb)
    client.km = client.create_kernel_manager()
    try:
        await _until_cancelled(client.async_start_new_kernel(cwd=str(cwd), env=env), cancel, client)
        done.kernel_pid = getattr(getattr(client.km, "provisioner", None), "pid", None)
        if on_kernel is not None:
            on_kernel(done.kernel_pid)
        await _until_cancelled(client.async_start_new_kernel_client(), cancel, client)
        if preamble:
            await _until_cancelled(_silently(client, preamble), cancel, client)
        for step, index in enumerate(cells, start=1):
            if cancel.is_set():
                raise _Cancelled
            cell = nb.cells[index]
            source = cell.source if isinstance(cell.source, str) else "".join(cell.source)
            if on_cell is not None:
                on_cell(step, len(cells), index, first_line(source))
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise CellTimeoutError(f"No time was left for cell {index + 1}.")
                client.timeout = max(1, int(left))
            try:
                await _until_cancelled(
                    client.async_execute_cell(cell, index, store_history=True), cancel, client
                )
            except CellExecutionError as exc:
                done.failure = Failure(
                    index + 1,
                    step,
                    exc.ename,
                    exc.evalue,
                    first_line(source),
                    _clean(exc.traceback),
                )
                break
            except CellTimeoutError:
                limit = f"{seconds:g} s" if seconds else "the time limit"
                done.failure = Failure(
                    index + 1,
                    step,
                    "Timeout",
                    f"the reproduction ran out of {limit}",
                    first_line(source),
                )
                break
            except DeadKernelError:
                if cancel.is_set():
                    raise _Cancelled from None
                done.failure = Failure(
                    index + 1, step, "DeadKernelError", "the kernel died", first_line(source)
                )
                break
            done.steps = step
    except _Cancelled:
        done.cancelled = True
    except DeadKernelError as exc:
        if cancel.is_set():
            done.cancelled = True
        else:
            done.failure = Failure(None, None, "DeadKernelError", str(exc) or "the kernel died")
    except (RuntimeError, TimeoutError) as exc:  # the kernel did not start, or not in time
        done.failure = Failure(None, None, type(exc).__name__, str(exc)[:2000])
    finally:
        await _stop(client, now=done.cancelled)
        if on_kernel is not None:
            on_kernel(None)
        done.seconds = time.monotonic() - started
    return done


def _joined(notebook_json: dict[str, Any]) -> dict[str, Any]:
    """The notebook with every multi-line string (a list of lines on disk) joined, as nbformat reads it."""
    cells = []
    for cell in notebook_json.get("cells") or []:
        cell = dict(cell)
        if isinstance(cell.get("source"), list):
            cell["source"] = "".join(cell["source"])
        cells.append(cell)
    return {**notebook_json, "cells": cells}


class _Cancelled(Exception):
    """The cancel event was set."""


async def _until_cancelled(
    coro: Coroutine[Any, Any, T], cancel: asyncio.Event, client: Any = None
) -> T:
    """``await coro``, or raise :class:`_Cancelled` as soon as ``cancel`` is set.

    On a cancel the kernel is killed first (``client``'s), so the work in
    flight ends as nbclient sees the kernel gone, not half-way in a task.
    """
    task = asyncio.ensure_future(coro)
    waiter = asyncio.ensure_future(cancel.wait())
    try:
        finished, _ = await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    except BaseException:
        task.cancel()
        raise
    finally:
        waiter.cancel()
    if task in finished:
        return task.result()
    km = getattr(client, "km", None)
    if km is not None:
        try:
            await _maybe_await(km.shutdown_kernel(now=True))
        except Exception:
            log.debug("killing the kernel failed", exc_info=True)
    try:
        await asyncio.wait({task}, timeout=SHUTDOWN_TIMEOUT)
        if not task.done():
            task.cancel()
            await asyncio.wait({task}, timeout=SHUTDOWN_TIMEOUT)
    finally:
        if task.done() and not task.cancelled():
            task.exception()  # retrieved: never "exception was never retrieved"
    raise _Cancelled


async def _silently(client: Any, code: str) -> None:
    reply = await client.kc.execute_interactive(
        code, silent=True, store_history=False, timeout=STARTUP_TIMEOUT
    )
    if reply.get("content", {}).get("status") != "ok":
        log.warning("the reproduction's preamble failed: %s", reply.get("content"))


async def _stop(client: Any, *, now: bool) -> None:
    """Shut the kernel down (graceful unless ``now``; killed when it does not go), free it all."""
    km = client.km
    if km is None:
        return
    try:
        if await _maybe_await(km.is_alive()):
            try:
                await asyncio.wait_for(_maybe_await(km.shutdown_kernel(now=now)), SHUTDOWN_TIMEOUT)
            except (asyncio.TimeoutError, RuntimeError):
                await _maybe_await(km.shutdown_kernel(now=True))
    except Exception:
        log.warning("stopping the reproduction's kernel failed", exc_info=True)
    finally:
        kc = getattr(client, "kc", None)
        if kc is not None:
            try:
                kc.stop_channels()
            except Exception:
                log.debug("closing the kernel's channels failed", exc_info=True)
            client.kc = None
        try:
            await _maybe_await(km.cleanup_resources())
        except Exception:
            log.debug("cleaning the kernel's files failed", exc_info=True)


async def _maybe_await(value: Any) -> Any:
    if asyncio.iscoroutine(value) or isinstance(value, asyncio.Future):
        return await value
    return value


def _clean(traceback: str) -> str:
    text = _ANSI.sub("", traceback or "")
    return text if len(text) <= MAX_TRACEBACK else "…" + text[-MAX_TRACEBACK:]


def explain(
    failure: Failure,
    *,
    working_copy_dir: Path,
    recorded_packages: dict[str, str] | None,
) -> str | None:
    """Why a cell probably failed in the reproduction when it did not in the run.

    A ``FileNotFoundError`` on a relative path that exists in the user's
    working copy (beside the notebook): data outside the declared inputs.
    A ``ModuleNotFoundError`` for a package the run had: an environment that
    lacks it.
    """
    if failure.ename == "FileNotFoundError":
        found = _MISSING_FILE.search(failure.evalue)
        if found and not Path(found.group(1)).is_absolute():
            rel = found.group(1)
            if (working_copy_dir / rel).exists():
                return (
                    f"{rel} exists in your working copy but is neither in the run's code nor "
                    "among its declared inputs: declare it in [tool.jupyterlab-repro] inputs "
                    "(pyproject.toml) so runs record it and reproductions get it."
                )
    if failure.ename in ("ModuleNotFoundError", "ImportError"):
        found = _MISSING_MODULE.search(failure.evalue)
        if found:
            module = found.group(1).split(".")[0]
            from ..kernel.lock import normalize

            version = (recorded_packages or {}).get(normalize(module))
            if version:
                return (
                    f"{module} is not installed in this kernel's environment; the run had "
                    f"{normalize(module)}=={version} (jupyter repro env RUN_ID --requirements)."
                )
            return f"{module} is not installed in this kernel's environment."
    return None
