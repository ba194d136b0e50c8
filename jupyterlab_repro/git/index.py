"""Temporary index files: commits built without touching the user's index.

Both the snapshot commit and the hidden run snapshots stage into an index
file of their own inside the git directory (``GIT_INDEX_FILE``); the real
index is never written by them.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

log = logging.getLogger(__name__)


@contextlib.contextmanager
def temporary_index(git_dir: Path, *, copy_of: Path | None = None) -> Iterator[Path]:
    """A fresh index path inside ``git_dir``, removed (with its ``.lock``) afterwards.

    The file does not exist unless ``copy_of`` names an existing index to
    start from (copying keeps git's stat cache: only files changed on disk
    are hashed again); otherwise git creates it (``read-tree``).
    """
    path = git_dir / f"repro-index-{os.getpid()}-{secrets.token_hex(6)}"
    if copy_of is not None and copy_of.is_file():
        shutil.copyfile(copy_of, path)
    try:
        yield path
    finally:
        for leftover in (path, path.with_name(path.name + ".lock")):
            try:
                leftover.unlink()
            except FileNotFoundError:
                pass
            except OSError as exc:  # pragma: no cover - e.g. a virus scanner holds it
                log.warning("could not remove the temporary index %s: %s", leftover, exc)
