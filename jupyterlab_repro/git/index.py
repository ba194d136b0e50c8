"""Index files: temporary ones for commits built aside, and the real one after a snapshot.

Both the snapshot commit and the hidden run snapshots stage into an index
file of their own inside the git directory (``GIT_INDEX_FILE``,
:func:`temporary_index`; :func:`~.objects.staging` fills one); the real
index is written only by :func:`point_paths_at`, after a snapshot commit.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from .revisions import records
from .runner import LITERAL_PATHSPECS, Git

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


def point_paths_at(
    git: Git, git_dir: Path, commit: str, cleaned: Mapping[str, bytes], files: Sequence[str]
) -> None:
    """Point the committed paths of the real index at ``commit``.

    ``files`` are reset to it. ``cleaned`` (notebooks, by path) are not:
    ``git reset -- <nb>`` would leave the notebook's entry with zeroed stat
    data, and every later ``git status`` (our polls included) would re-hash
    the whole notebook with its outputs (measured: 0.1 s at 50 MB, 0.6 s at
    200 MB, per call). Staging the cleaned text from a scratch work tree
    records its real size instead, so git sees at once that the working copy
    (with outputs) differs. An entry that does not come out as the committed
    blob (e.g. a clean filter configured for notebooks) falls back to reset.
    """
    literal = git.with_env(**LITERAL_PATHSPECS)
    if files:
        literal.run("reset", "-q", commit, "--", *files)
    if not cleaned:
        return
    tree = literal.run("ls-tree", "-z", commit, "--", *cleaned, read_only=True)
    committed = {name: meta.split() for meta, name in records(tree.stdout)}  # mode, type, sha
    scratch = Path(tempfile.mkdtemp(prefix="repro-worktree-", dir=git_dir))
    try:
        for rel, data in cleaned.items():
            target = scratch / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            if committed.get(rel, ["100644"])[0] == "100755":
                os.chmod(target, 0o755)
        literal.run(f"--work-tree={scratch}", "update-index", "--add", "--", *cleaned)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    staged = literal.run("ls-files", "-s", "-z", "--", *cleaned, read_only=True)
    in_index = {name: meta.split()[1] for meta, name in records(staged.stdout)}
    wrong = [rel for rel in cleaned if in_index.get(rel) != committed.get(rel, [None] * 3)[2]]
    if wrong:
        literal.run("reset", "-q", commit, "--", *wrong)


def tracked_paths(git: Git, paths: Sequence[str]) -> set[str]:
    """Those of ``paths`` the real index holds (names, not patterns)."""
    if not paths:
        return set()
    out = git.run("ls-files", "-z", "--", *paths, env=LITERAL_PATHSPECS, read_only=True).stdout
    return {p for p in os.fsdecode(out).split("\0") if p}
