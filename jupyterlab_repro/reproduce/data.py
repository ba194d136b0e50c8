"""The data check, and the declared inputs put into the temporary work tree.

:func:`check_inputs` fingerprints, in the user's working copy, the patterns
the run recorded (its manifest's ``patterns``) and names every file that
changed, went missing or was added since. :func:`link_inputs` puts the files
those patterns match now at the same relative paths in the reproduction's
work tree (where the run's code does not have them already): read-only
copies while they add up to :data:`COPY_LIMIT` bytes, symbolic links beyond
(a notebook that writes over its own inputs would then write to the user's
files: the report says so).

Digests come from the server's in-memory :class:`DigestCache` and the one
the kernels keep in the git directory (read here, never written), so
unchanged data costs a ``stat`` per file.
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path
from typing import Any

from ..deadline import Deadline
from ..errors import GitError
from ..files import is_within, realpath
from ..git.repository import common_git_dir
from ..git.runner import Git
from ..kernel import inputs as inputs_module
from ..kernel.inputs import DigestCache

#: Inputs adding up to this many bytes are copied (read-only) into the work tree; beyond, linked.
COPY_LIMIT = 256 * 1024 * 1024


def kernel_cache(root: Path, deadline: Deadline) -> DigestCache:
    """The digests the repository's kernels saved (empty when there are none)."""
    try:
        common = common_git_dir(Git(root, deadline))
    except GitError:
        return DigestCache()
    return DigestCache.load(common / inputs_module.CACHE_FILE)


def check_inputs(
    root: Path,
    manifest: dict[str, Any] | None,
    *,
    cache: DigestCache | None = None,
    deadline: Deadline,
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """``(differences, the manifest now)`` of the run's recorded inputs in the working copy."""
    if manifest is None:
        return [], None
    patterns = [p for p in manifest.get("patterns") or [] if isinstance(p, str)]
    if not patterns:
        return [], None
    merged = kernel_cache(root, deadline)
    if cache is not None:
        merged.entries.update(cache.entries)
    try:
        now = inputs_module.fingerprint(root, patterns, merged, expired=lambda: deadline.expired)
    finally:  # what was hashed stays known: the next check goes on from there
        if cache is not None:
            cache.entries.update(merged.entries)
    return inputs_module.compare(manifest, now), now


def link_inputs(
    root: Path, worktree: Path, patterns: list[str], *, copy_limit: int = COPY_LIMIT
) -> dict[str, Any]:
    """Put the files ``patterns`` match in ``root`` into ``worktree`` (see the module docs).

    Returns ``{"copied": [...], "linked": [...], "in_code": [...]}`` (relative paths).
    """
    files, _missing = inputs_module.expand(root, patterns)
    out: dict[str, Any] = {"copied": [], "linked": [], "in_code": []}
    budget = copy_limit
    for rel, (path, st) in files.items():
        dest = worktree / rel
        if os.path.lexists(dest):
            out["in_code"].append(rel)  # the run's code has it (a tracked file)
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        if not is_within(realpath(dest.parent), realpath(worktree)):
            continue  # a folder of the code that is a symbolic link out of the work tree
        if st.st_size <= budget:
            shutil.copyfile(path, dest)
            os.chmod(dest, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
            os.utime(dest, ns=(st.st_atime_ns, st.st_mtime_ns))
            budget -= st.st_size
            out["copied"].append(rel)
        else:
            os.symlink(path, dest)
            out["linked"].append(rel)
    return out
