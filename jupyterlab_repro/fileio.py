"""Atomic file writes (DESIGN invariant 1): temp file in the same folder + rename."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def atomic_write(path: str | os.PathLike[str], data: bytes) -> None:
    """Replace ``path`` with ``data`` so readers see the old or the new file, never half.

    The temporary file lives in the same directory (``os.replace`` is atomic
    only within one file system) and takes over the old file's permissions;
    a new file gets ``0o666`` through the umask, as a plain ``open()`` would.
    """
    # Through a symlink, replace the file it points to (not the link itself).
    target = Path(os.path.realpath(path))
    try:
        mode: int | None = target.stat().st_mode & 0o7777
    except FileNotFoundError:
        mode = None
    while True:
        # A short prefix: ".<255-byte name>.<random>" would exceed the file system's limit.
        tmp = target.with_name(f".{target.name[:40]}.{secrets.token_hex(4)}.repro-tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            break
        except FileExistsError:
            continue
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
