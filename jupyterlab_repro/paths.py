"""Confining request paths to the server's root directory (DESIGN invariant 4)."""

from __future__ import annotations

import os
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
