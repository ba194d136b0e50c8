"""One writer at a time per repository, across threads and processes.

Whatever moves a branch, HEAD, the index or a tag — a snapshot, a restore
as a branch, a release, a tag — holds the repository's lock: a thread lock
per repository in this process, and an advisory ``flock`` on ``<git
dir>/repro-snapshot.lock`` against other processes (two lab servers, the
CLI). The check that a new ref name is free and the write that takes it are
then one step: a double click gets "already exists", not git's "cannot lock
ref". Transfers of run code (push, fetch, prune of ``refs/repro/``) hold a
lock of their own (``repro-share.lock``), so a slow remote never holds up a
snapshot. Waiting is bounded by the caller's deadline.
"""

from __future__ import annotations

import contextlib
import errno
import os
import threading
import time
from collections.abc import Iterator

from ..errors import GitBusy, UnsafeFile
from ..files import realpath
from .repository import git_dir
from .runner import Git

try:  # POSIX; on other systems the in-process lock alone serializes
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

#: Longest wait for another writer, whatever the deadline.
LOCK_WAIT = 30.0

#: Lock → (file in the git directory, what :class:`GitBusy` says while another holder has it).
_LOCKS = {
    "write": (
        "repro-snapshot.lock",
        "Another change to this repository (a snapshot, restore, release or tag) is still running.",
    ),
    "share": (
        "repro-share.lock",
        "Another push, fetch or prune of this repository's run code is still running.",
    ),
}

_thread_locks: dict[tuple[str, str], threading.Lock] = {}
_thread_locks_guard = threading.Lock()


@contextlib.contextmanager
def repository_lock(git: Git, wait: float = LOCK_WAIT, *, kind: str = "write") -> Iterator[None]:
    """Hold the repository's ``kind`` lock (``write`` or ``share``); :class:`GitBusy` if taken."""
    filename, busy = _LOCKS[kind]
    key = (realpath(git.cwd), kind)
    with _thread_locks_guard:
        lock = _thread_locks.setdefault(key, threading.Lock())
    wait = min(wait, git.deadline.remaining())
    if not lock.acquire(timeout=max(wait, 0.0)):
        raise GitBusy(busy)
    try:
        if fcntl is None:
            yield
            return
        path = git_dir(git) / filename
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        try:
            fd = os.open(path, flags, 0o666)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise UnsafeFile("The repository's lock file is a symbolic link.") from None
            raise
        with os.fdopen(fd, "r+b") as handle:
            until = time.monotonic() + wait
            while True:
                try:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > until:
                        raise GitBusy(busy) from None
                    time.sleep(0.05)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    finally:
        lock.release()
