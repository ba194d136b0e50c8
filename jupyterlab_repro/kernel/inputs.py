"""Fingerprints of the data a run reads: the repository's declared ``inputs``.

A repository declares the data its notebooks read in its rules
(:mod:`jupyterlab_repro.commit.rules`)::

    [tool.jupyterlab-repro]
    inputs = ["data/", "configs/*.yaml"]

Each pattern is relative to the repository: a folder (everything below it),
a file, or a glob (``*``, ``?``, ``[…]``; ``**`` crosses folders). Folders
that are symbolic links are followed (data often lives on another volume);
``.git`` folders never count. :func:`fingerprint` lists the files and their
sha256 in a *manifest*, a JSON document named by the sha256 of its bytes
(:func:`canonical`), so the same data always gives the same id.

Hashing 1 GB takes seconds; :class:`DigestCache` keeps each file's digest
keyed by its path, size, mtime (ns), inode and device, so unchanged data
costs one ``stat`` per file. The cache lives in memory and in the git
directory (``<git common dir>/repro/inputs-cache.json``, written atomically
by the kernel), so a new kernel does not hash again what another one did.
"""

from __future__ import annotations

import glob
import hashlib
import json
import logging
import os
import stat
import tempfile
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

#: Version of the manifest's layout.
FORMAT = 1
#: Where, in the git common directory, the digest cache is kept.
CACHE_FILE = Path("repro") / "inputs-cache.json"
#: Most files one manifest lists (past it, the rest is left out and the manifest says so).
MAX_FILES = 100_000
#: Most cache entries kept in the cache file.
MAX_CACHE_ENTRIES = 200_000

_CHUNK = 1 << 20
_GLOB_CHARS = frozenset("*?[")

StatKey = tuple[int, int, int, int]


def is_glob(pattern: str) -> bool:
    return any(c in _GLOB_CHARS for c in pattern)


def _key(st: os.stat_result) -> StatKey:
    return (st.st_size, st.st_mtime_ns, st.st_ino, st.st_dev)


def _walk(folder: str, rel: str, out: dict[str, tuple[str, os.stat_result]], seen: set[Any]) -> int:
    """Every regular file below ``folder`` (symlinked folders followed once) into ``out``; how many."""
    try:
        st = os.stat(folder)
    except OSError:
        return 0
    ident = (st.st_dev, st.st_ino)
    if ident in seen:
        return 0
    seen.add(ident)
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    found = 0
    for entry in entries:
        if entry.name == ".git":
            continue
        child_rel = f"{rel}/{entry.name}" if rel else entry.name
        try:
            est = entry.stat()  # follows symbolic links
        except OSError:
            continue
        if stat.S_ISDIR(est.st_mode):
            found += _walk(entry.path, child_rel, out, seen)
        elif stat.S_ISREG(est.st_mode) and len(out) < MAX_FILES:
            out.setdefault(child_rel, (entry.path, est))
            found += 1
    return found


def expand(
    root: str | os.PathLike[str], patterns: Iterable[str]
) -> tuple[dict[str, tuple[str, os.stat_result]], list[str]]:
    """``({relative path: (absolute path, stat)}, [patterns that matched nothing])``."""
    top = os.fspath(root)
    files: dict[str, tuple[str, os.stat_result]] = {}
    missing: list[str] = []
    for pattern in patterns:
        text = pattern.replace("\\", "/").strip("/")
        if is_glob(text):
            matches = sorted(glob.glob(text, root_dir=top, recursive=True))
        else:
            matches = [text]
        found = 0
        for match in matches:
            rel = match.replace(os.sep, "/")
            if ".git" in rel.split("/"):
                continue
            path = os.path.join(top, rel)
            try:
                st = os.stat(path)
            except OSError:
                continue
            if stat.S_ISDIR(st.st_mode):
                found += _walk(path, rel, files, set())
            elif stat.S_ISREG(st.st_mode) and len(files) < MAX_FILES:
                files.setdefault(rel, (path, st))
                found += 1
        if not found:
            missing.append(pattern)
    return dict(sorted(files.items())), missing


def sha256_file(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while True:
            chunk = handle.read(_CHUNK)
            if not chunk:
                break
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class DigestCache:
    """File digests keyed by absolute path and ``(size, mtime_ns, inode, device)``."""

    entries: dict[str, tuple[StatKey, str]] = field(default_factory=dict)
    #: Files hashed since the cache was loaded or saved.
    hashed: int = 0
    _mutex: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def digest(self, path: str, st: os.stat_result) -> str:
        key = _key(st)
        with self._mutex:
            cached = self.entries.get(path)
        if cached is not None and cached[0] == key:
            return cached[1]
        value = sha256_file(path)
        with self._mutex:
            self.entries[path] = (key, value)
            self.hashed += 1
        return value

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> DigestCache:
        """The cache saved at ``path`` (empty when missing or unreadable)."""
        cache = cls()
        try:
            with open(path, encoding="utf-8") as handle:
                data = json.load(handle)
        except (OSError, ValueError):
            return cache
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            return cache
        files = data.get("files")
        if not isinstance(files, dict):
            return cache
        for name, value in files.items():
            if (
                isinstance(value, list)
                and len(value) == 5
                and all(isinstance(v, int) for v in value[:4])
                and isinstance(value[4], str)
            ):
                cache.entries[name] = ((value[0], value[1], value[2], value[3]), value[4])
        return cache

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the cache atomically (a temporary file renamed over ``path``)."""
        target = Path(path)
        with self._mutex:
            items = list(self.entries.items())[-MAX_CACHE_ENTRIES:]
            self.hashed = 0
        data = {"format": FORMAT, "files": {k: [*key, value] for k, (key, value) in items}}
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".inputs-cache-", dir=target.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, separators=(",", ":"))
            os.replace(tmp, target)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise


class OutOfTime(Exception):
    """Hashing the inputs did not finish in the time it was given (``expired`` said so)."""


def fingerprint(
    root: str | os.PathLike[str],
    patterns: Iterable[str],
    cache: DigestCache | None = None,
    *,
    expired: Callable[[], bool] | None = None,
) -> dict[str, Any]:
    """The manifest of the files ``patterns`` name below ``root``.

    ``{"format": 1, "patterns": [...], "files": {path: {"size", "sha256"}},
    "missing": [patterns that matched nothing]}`` (``"truncated": true`` past
    :data:`MAX_FILES`). ``expired`` is asked between files: when it answers
    true, :class:`OutOfTime` is raised (the digests made so far stay cached).
    """
    patterns = list(patterns)
    cache = cache if cache is not None else DigestCache()
    files, missing = expand(root, patterns)
    listed: dict[str, Any] = {}
    for rel, (path, st) in files.items():
        if expired is not None and expired():
            raise OutOfTime(
                f"hashing the inputs took too long ({len(listed)} of {len(files)} files)"
            )
        listed[rel] = {"size": st.st_size, "sha256": cache.digest(path, st)}
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "patterns": patterns,
        "files": listed,
        "missing": missing,
    }
    if len(files) >= MAX_FILES:
        manifest["truncated"] = True
    return manifest


def canonical(manifest: Mapping[str, Any]) -> bytes:
    text = json.dumps(manifest, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8") + b"\n"


def manifest_id(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def parse(data: bytes) -> dict[str, Any] | None:
    """A stored manifest, or ``None`` when ``data`` is not one."""
    try:
        manifest = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
        return None
    return manifest


def compare(recorded: Mapping[str, Any], now: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Files that differ: ``{"path", "change": changed|missing|added, "recorded", "now"}``.

    ``recorded`` / ``now`` are the sha256 digests (``None`` on the side that
    lacks the file).
    """
    before: Mapping[str, Any] = recorded.get("files") or {}
    after: Mapping[str, Any] = now.get("files") or {}
    rows = []
    for path in sorted(set(before) | set(after)):
        old, new = before.get(path), after.get(path)
        old_sha = old.get("sha256") if isinstance(old, dict) else None
        new_sha = new.get("sha256") if isinstance(new, dict) else None
        if old_sha == new_sha:
            continue
        change = "missing" if new is None else "added" if old is None else "changed"
        rows.append({"path": path, "change": change, "recorded": old_sha, "now": new_sha})
    return rows
