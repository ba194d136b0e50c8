"""A run's environment lock and input fingerprints: computed in the kernel, kept in git, tagged.

:class:`RunRecords` (one per kernel, held by the run-context plugin) answers
the tags of each ``start_run``:

- ``repro.env.lock``: the id of the kernel's environment lock
  (:mod:`~jupyterlab_repro.kernel.lock`), read again only when a site-packages
  folder changed;
- ``repro.inputs``: the id of the manifest of the repository's declared
  ``inputs`` (:mod:`~jupyterlab_repro.kernel.inputs`), when it declares some;
- ``repro.reproduces`` and ``repro.reproduction.job`` in a kernel a
  reproduction started (``REPRO_REPRODUCES``, ``REPRO_REPRODUCTION_JOB``); there
  the inputs are not fingerprinted again (they are copies of the working
  copy's, which the reproduction fingerprinted and records itself).

Both records are kept in the notebook's repository as blobs under
``refs/repro/envs/<id>`` and ``refs/repro/inputs/<id>``
(:func:`~jupyterlab_repro.git.blobs.store_record`), once per id and
repository: a repeated ``start_run`` with nothing changed costs a few
``stat`` calls.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..deadline import Deadline
from ..git.blobs import store_record
from ..git.refs import ENVS, INPUTS
from ..git.repository import common_git_dir
from ..git.runner import Git
from ..tags import (
    REPRO_ENV_LOCK,
    REPRO_INPUTS,
    REPRO_REPRODUCES,
    REPRO_REPRODUCTION_JOB,
)
from . import inputs as inputs_module
from .lock import LockCache

log = logging.getLogger(__name__)

#: The files of a repository's rules (:mod:`jupyterlab_repro.commit.rules`).
RULES_FILES = (".jupyterlab-repro.toml", "pyproject.toml")

#: Set by a reproduction in the environment of the kernel it starts.
REPRODUCES_ENV_VAR = "REPRO_REPRODUCES"
REPRODUCTION_JOB_ENV_VAR = "REPRO_REPRODUCTION_JOB"
#: Seconds the git calls that keep a record may take.
STORE_TIMEOUT = 10.0

_ID_CHARS = frozenset("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_")


class _Inputs:
    """One repository's declared inputs: its rules (re-read when they change) and digests."""

    def __init__(self, root: Path, common_dir: Path | None) -> None:
        self.root = root
        self.cache_file = common_dir / inputs_module.CACHE_FILE if common_dir else None
        self.cache = (
            inputs_module.DigestCache.load(self.cache_file)
            if self.cache_file is not None
            else inputs_module.DigestCache()
        )
        self._rules_key: Any = object()
        self.patterns: tuple[str, ...] = ()
        self._last: tuple[Any, dict[str, Any], bytes, str] | None = None
        # The pre-warm thread and a start_run hash once between them, not twice.
        self._mutex = threading.Lock()

    def _rules_stat(self) -> Any:
        out: list[tuple[int, int, int] | None] = []
        for name in RULES_FILES:
            try:
                st = os.stat(self.root / name)
                out.append((st.st_mtime_ns, st.st_size, st.st_ino))
            except OSError:
                out.append(None)
        return tuple(out)

    def manifest(self) -> tuple[dict[str, Any], bytes, str] | None:
        with self._mutex:
            return self._manifest()

    def _manifest(self) -> tuple[dict[str, Any], bytes, str] | None:
        key = self._rules_stat()
        if key != self._rules_key:
            from ..commit.rules import load_repo_config  # ~40 ms of imports: only in a repository

            self.patterns = load_repo_config(self.root).inputs
            self._rules_key = key
            self._last = None
        if not self.patterns:
            return None
        files, _missing = inputs_module.expand(self.root, self.patterns)
        stats = (
            self.patterns,
            tuple((rel, st.st_size, st.st_mtime_ns, st.st_ino) for rel, (_, st) in files.items()),
        )
        if self._last is not None and self._last[0] == stats:
            return self._last[1], self._last[2], self._last[3]  # nothing changed: one stat a file
        manifest = inputs_module.fingerprint(self.root, self.patterns, self.cache)
        data = inputs_module.canonical(manifest)
        ident = inputs_module.manifest_id(data)
        self._last = (stats, manifest, data, ident)
        if self.cache.hashed and self.cache_file is not None:
            try:
                self.cache.save(self.cache_file)
            except OSError as exc:
                log.debug("the inputs cache was not saved: %s", exc)
        return manifest, data, ident


class RunRecords:
    """The records of this kernel's runs (see the module docs); never raises into ``start_run``."""

    def __init__(self) -> None:
        self.locks = LockCache()
        self._mutex = threading.Lock()
        self._stored: set[tuple[str, str, str]] = set()
        self._roots: dict[Path, tuple[Path, Path | None]] = {}
        self._inputs: dict[Path, _Inputs] = {}
        #: Called with (inputs id, manifest, repository root) when a run records inputs.
        self.on_inputs: Callable[[str, dict[str, Any], Path], None] | None = None

    def prewarm(self, root: Path | None) -> None:
        """Compute the lock and the inputs' digests (kept in ``root``'s repository) ahead of
        the first run: hashing a large data set the first time takes seconds."""
        _lock, data, ident = self.locks.get()
        if root is not None:
            self._store(root, ENVS, data, ident)
            if not os.environ.get(REPRODUCTION_JOB_ENV_VAR):
                try:
                    self._inputs_of(root).manifest()
                except Exception:  # the run's own call reports it
                    log.debug("pre-warming the inputs failed", exc_info=True)

    def tags(self, root: Path | None) -> dict[str, str]:
        """``repro.env.lock``, ``repro.inputs`` and the reproduction's tags for one run."""
        tags: dict[str, str] = {}
        try:
            _lock, data, ident = self.locks.get()
            tags[REPRO_ENV_LOCK] = ident
            if root is not None:
                self._store(root, ENVS, data, ident)
        except Exception as exc:
            log.warning("jupyterlab_repro: the environment lock was not recorded: %s", exc)
        reproduction = bool(os.environ.get(REPRODUCTION_JOB_ENV_VAR))
        if root is not None and not reproduction:  # a reproduction records its inputs itself
            try:
                found = self._inputs_of(root).manifest()
            except Exception as exc:  # ConfigInvalid, an unreadable file …
                log.warning("jupyterlab_repro: the run's inputs were not recorded: %s", exc)
                found = None
            if found is not None:
                manifest, data, ident = found
                tags[REPRO_INPUTS] = ident
                self._store(root, INPUTS, data, ident)
                if self.on_inputs is not None:
                    try:
                        self.on_inputs(ident, manifest, root)
                    except Exception:
                        log.debug("recording dataset inputs failed", exc_info=True)
        for var, tag in (
            (REPRODUCES_ENV_VAR, REPRO_REPRODUCES),
            (REPRODUCTION_JOB_ENV_VAR, REPRO_REPRODUCTION_JOB),
        ):
            value = os.environ.get(var, "")
            if value and len(value) <= 64 and set(value) <= _ID_CHARS:
                tags[tag] = value
        return tags

    def _where(self, root: Path) -> tuple[Path, Path | None]:
        """(root, git common dir) — one git call per repository and kernel."""
        with self._mutex:
            known = self._roots.get(root)
        if known is not None:
            return known
        common: Path | None = None
        try:
            common = common_git_dir(Git(root, Deadline(STORE_TIMEOUT)))
        except Exception as exc:
            log.debug("no git directory for %s: %s", root, exc)
        with self._mutex:
            self._roots[root] = (root, common)
        return root, common

    def _inputs_of(self, root: Path) -> _Inputs:
        with self._mutex:
            found = self._inputs.get(root)
        if found is None:
            found = _Inputs(root, self._where(root)[1])
            with self._mutex:
                self._inputs.setdefault(root, found)
        return found

    def _store(self, root: Path, namespace: str, data: bytes, ident: str) -> None:
        common = self._where(root)[1]
        key = (str(common or root), namespace, ident)
        with self._mutex:
            if key in self._stored:
                return
        try:
            store_record(
                Git(root, Deadline(STORE_TIMEOUT, "keeping a run record")), namespace, data
            )
        except Exception as exc:  # a read-only repository, a timeout: the tag still names it
            log.warning(
                "jupyterlab_repro: %s%s was not kept in the repository: %s",
                namespace,
                ident[:12],
                exc,
            )
            return
        with self._mutex:
            self._stored.add(key)
