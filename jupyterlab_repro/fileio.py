"""Atomic file writes (DESIGN invariant 1): temp file in the same folder + rename."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def atomic_write(path: str | os.PathLike[str], data: bytes) -> None:
    """Replace ``path`` with ``data`` so readers see the old or the new file, never half.

    The temporary file lives in the same directory (``os.replace`` is atomic
    only within one file system) and takes over the old file's permissions.
    """
    # Through a symlink, replace the file it points to (not the link itself).
    target = Path(os.path.realpath(path))
    # A short prefix: ".<255-byte name>.<random>" would exceed the file system's limit.
    fd, tmp = tempfile.mkstemp(
        prefix=f".{target.name[:40]}.", suffix=".repro-tmp", dir=target.parent
    )
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.chmod(tmp, target.stat().st_mode & 0o7777)
        except FileNotFoundError:
            os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
