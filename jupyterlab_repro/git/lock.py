"""One writer at a time per repository, across threads and processes.

Snapshots (and anything else that builds a commit) hold the repository's
lock: a thread lock per repository in this process, and an advisory
``flock`` on ``<git dir>/repro-snapshot.lock`` against other processes (two
lab servers, the CLI). Waiting is bounded by the caller's deadline.
"""

from __future__ import annotations

import contextlib
import errno
import os
import threading
import time
from collections.abc import Iterator

from ..errors import GitBusy, UnsafeFile
from .repository import git_dir
from .runner import Git

try:  # POSIX; on other systems the in-process lock alone serializes
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

#: Longest wait for another writer, whatever the deadline.
LOCK_WAIT = 30.0

_thread_locks: dict[str, threading.Lock] = {}
_thread_locks_guard = threading.Lock()


@contextlib.contextmanager
def repository_lock(git: Git, wait: float = LOCK_WAIT) -> Iterator[None]:
    """Hold the repository's writer lock; :class:`GitBusy` if it stays taken."""
    key = os.path.realpath(git.cwd)
    with _thread_locks_guard:
        lock = _thread_locks.setdefault(key, threading.Lock())
    wait = min(wait, git.deadline.remaining())
    busy = "Another snapshot of this repository is still running."
    if not lock.acquire(timeout=max(wait, 0.0)):
        raise GitBusy(busy)
    try:
        if fcntl is None:
            yield
            return
        path = git_dir(git) / "repro-snapshot.lock"
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
