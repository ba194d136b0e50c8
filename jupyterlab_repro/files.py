"""The file door: paths confined to the server root, atomic writes.

Every path taken from a request is resolved here and must stay inside the
server's root directory (DESIGN invariant 4); every file the product writes
is replaced atomically (invariant 1): a temporary file in the same folder,
then a rename.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path, PurePosixPath

from .errors import InvalidRequest, PathNotFound, PathOutsideRoot


def resolve_in_root(
    root: str | os.PathLike[str], relative: str | None, *, must_exist: bool = True
) -> Path:
    """Resolve ``relative`` (an API path, ``/``-separated) inside ``root``.

    The result is the real path (symlinks resolved). It must be ``root``
    itself or lie below it; absolute paths, ``..`` that climbs out and
    symlinks that lead out are refused with :class:`PathOutsideRoot`.
    """
    real_root = Path(os.path.realpath(root))
    # No stripping: " a" and "a " are valid (if unusual) names of their own.
    rel = relative or ""
    if "\x00" in rel:
        raise InvalidRequest("Path contains a NUL byte.")
    if rel.startswith(("/", "\\")) or PurePosixPath(rel).is_absolute() or _has_drive(rel):
        raise PathOutsideRoot(f"Absolute paths are not allowed: {relative!r}")
    parts = [p for p in rel.replace("\\", "/").split("/") if p not in ("", ".")]
    candidate = real_root.joinpath(*parts) if parts else real_root
    real = Path(os.path.realpath(candidate))
    if real != real_root and real_root not in real.parents:
        raise PathOutsideRoot(f"Path is outside the server root: {relative!r}")
    if must_exist and not real.exists():
        raise PathNotFound(f"No such file or directory: {relative!r}")
    return real


def relative_to_root(root: str | os.PathLike[str], path: str | os.PathLike[str]) -> str:
    """The API form (``/``-separated, ``""`` for the root) of a path under ``root``."""
    rel = Path(os.path.realpath(path)).relative_to(os.path.realpath(root))
    return "" if str(rel) == "." else rel.as_posix()


def _has_drive(rel: str) -> bool:
    """``C:``, ``C:\\x`` or ``C:/x``: meaningless (and dangerous) under a server root."""
    return len(rel) >= 2 and rel[1] == ":" and rel[0].isascii() and rel[0].isalpha()


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
