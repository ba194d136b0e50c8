"""Ending everything a git call started, before its caller answers.

git runs in a session and process group of its own (``start_new_session``);
hooks, filters, credential helpers, ``ssh`` and whatever they start inherit
both. A call stopped at its deadline ends with :func:`kill_tree`, which
returns only once none of these processes is alive:

- the process group, and every other group of the session: a child that
  moved to a group of its own (``timeout(1)`` does so, as do shells with job
  control) stays in the session;
- the groups of every descendant, found by parent links: a child that called
  ``setsid`` (a session of its own) while its parent still runs;
- all of them are stopped first (``SIGSTOP``: none forks or leaves while the
  tree is read), then killed (``SIGKILL``: no trap holds it off).

Not covered: a process that left the session *and* lost its parent before
the deadline (a daemon that double-forks, ``setsid -f``); only a cgroup
could follow it. A killed process whose parent was killed too is reaped by
the system's init (PID 1), like any orphan; until then ``ps`` lists it as
``<defunct>``: dead, holding no memory, files or locks (containers need an
init that reaps: the Jupyter images run tini, ``docker run --init`` adds one).

Linux: read from ``/proc``. Elsewhere only the process group is killed.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import time
from collections import defaultdict
from dataclasses import dataclass

log = logging.getLogger(__name__)

#: Seconds :func:`kill_tree` waits for killed processes to be gone (SIGKILL cannot be
#: refused; this only bounds an overloaded machine).
KILL_WAIT = 5.0

_DEAD = ("Z", "X", "x")


@dataclass(frozen=True)
class _Process:
    pid: int
    state: str
    ppid: int
    pgrp: int
    session: int


def _processes() -> dict[int, _Process] | None:
    """State, parent, group and session of every process (``None`` without ``/proc``)."""
    try:
        names = os.listdir("/proc")
    except OSError:
        return None
    table: dict[int, _Process] = {}
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as handle:
                data = handle.read()
        except OSError:  # gone meanwhile
            continue
        # "pid (comm) state ppid pgrp session …": comm may hold spaces and parentheses.
        fields = data[data.rfind(b")") + 2 :].split()
        try:
            state, ppid, pgrp, session = fields[0].decode(), *map(int, fields[1:4])
        except (IndexError, ValueError):
            continue
        table[int(name)] = _Process(int(name), state, ppid, pgrp, session)
    return table


def _live_tree(table: dict[int, _Process], session: int, groups: set[int]) -> set[int]:
    """Live processes of ``session`` or of ``groups``, and all their descendants."""
    children: dict[int, list[int]] = defaultdict(list)
    for proc in table.values():
        children[proc.ppid].append(proc.pid)
    found = {p.pid for p in table.values() if p.session == session or p.pgrp in groups}
    todo = list(found)
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in found:
                found.add(child)
                todo.append(child)
    return {pid for pid in found if table[pid].state not in _DEAD}


def _signal_groups(groups: set[int], signum: int) -> None:
    for group in groups:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(group, signum)


def kill_tree(leader: int, *, wait: float = KILL_WAIT) -> bool:
    """Kill everything started under the session (and group) ``leader`` leads; see the module docs.

    Returns whether none of it is alive any more (``False`` only when
    ``wait`` seconds passed first, or when the processes cannot be read:
    not Linux, where only the group is killed).
    """
    if not hasattr(os, "killpg"):  # pragma: no cover - Windows
        return False
    until = time.monotonic() + wait
    groups = {leader}
    _signal_groups(groups, signal.SIGSTOP)
    table = _processes()
    if table is None:
        _signal_groups(groups, signal.SIGKILL)
        return False
    # Stopped processes neither fork nor leave: read until no new group turns up.
    while time.monotonic() < until:
        tree = _live_tree(table, leader, groups)
        new = {table[pid].pgrp for pid in tree} - groups - {0}
        if not new:
            break
        groups |= new
        _signal_groups(new, signal.SIGSTOP)
        table = _processes() or {}
    _signal_groups(groups, signal.SIGKILL)
    while True:
        table = _processes() or {}
        alive = {
            p.pid
            for p in table.values()
            if (p.session == leader or p.pgrp in groups) and p.state not in _DEAD
        }
        if not alive:
            return True
        if time.monotonic() >= until:
            log.warning("processes %s outlived SIGKILL for %.1f s", sorted(alive), wait)
            return False
        _signal_groups({table[pid].pgrp for pid in alive}, signal.SIGKILL)
        time.sleep(0.005)
