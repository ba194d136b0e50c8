"""Guardrails: files a snapshot must not commit, and one-step fixes.

Model weights, checkpoints, logs, experiment-tracking stores, notebook
checkpoints and anything over the size limit are refused before anything is
staged. Two fixes are offered: add ignore rules to ``.gitignore``
(:mod:`~jupyterlab_repro.commit.gitignore`), or track the file with Git LFS
when ``git lfs`` is installed (:mod:`~jupyterlab_repro.git.lfs`).
"""

from __future__ import annotations

import fnmatch
import logging
import os
from dataclasses import asdict, dataclass
from pathlib import PurePosixPath
from typing import Any

from ..files import regular_file_size
from ..git.lfs import lfs_tracked
from ..git.runner import Git
from .rules import DEFAULT_MAX_FILE_MB

log = logging.getLogger(__name__)

#: (glob on the file name, kind) — matched case-insensitively.
BLOCKED_NAMES: tuple[tuple[str, str], ...] = (
    ("*.pt", "model weights"),
    ("*.pth", "model weights"),
    ("*.ckpt", "checkpoint"),
    ("*.h5", "model weights"),
    ("*.hdf5", "model weights"),
    ("*.keras", "model weights"),
    ("*.onnx", "model weights"),
    ("*.safetensors", "model weights"),
    ("*.pkl", "pickled object"),
    ("*.joblib", "pickled object"),
    ("*.tfevents.*", "training log"),
    ("events.out.tfevents*", "training log"),
    ("*.log", "log"),
    ("mlflow.db", "MLflow store"),
)

#: A path with one of these directory names is refused.
BLOCKED_DIRS: dict[str, str] = {
    "mlruns": "MLflow store",
    "mlartifacts": "MLflow store",
    "wandb": "experiment logs",
    "lightning_logs": "training log",
    "logs": "log",
    "checkpoints": "checkpoint",
    ".ipynb_checkpoints": "notebook checkpoint",
    "__pycache__": "byte-code cache",
}


@dataclass
class Violation:
    """A file the snapshot refuses, and why."""

    path: str  # relative to the repository, '/'-separated
    kind: str  # "model weights", "log", "too large", …
    size: int
    rule: str  # the .gitignore rule that would exclude it
    lfs_possible: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_path(
    rel: str, size: int, *, max_file_mb: float = DEFAULT_MAX_FILE_MB, lfs: bool = False
) -> Violation | None:
    """The reason ``rel`` (a repository-relative path) may not be committed, if any.

    ``lfs=True`` (the path has the ``filter=lfs`` attribute, so git stores a
    pointer) exempts it from the name and size rules; folder rules still apply.
    """
    pure = PurePosixPath(rel)
    for part in pure.parts[:-1]:
        kind = BLOCKED_DIRS.get(part)
        if kind is not None:
            return Violation(rel, kind, size, f"{part}/", lfs_possible=False)
    if lfs:
        return None
    name = pure.name.lower()
    for pattern, kind in BLOCKED_NAMES:
        if fnmatch.fnmatchcase(name, pattern):
            return Violation(rel, kind, size, pattern, lfs_possible=kind != "log")
    if max_file_mb > 0 and size > max_file_mb * 1024 * 1024:
        # The rule names this one file: one big CSV should not ignore every CSV.
        rule = "/" + pure.as_posix()
        return Violation(rel, "too large", size, rule, lfs_possible=pure.suffix != ".ipynb")
    return None


def check_files(
    git: Git, rels: list[str], *, max_file_mb: float = DEFAULT_MAX_FILE_MB
) -> list[Violation]:
    """Check working-copy files (deleted files pass: removing is always fine).

    Files tracked with Git LFS (``filter=lfs`` in ``.gitattributes``) pass the
    name and size rules: what git commits for them is a small pointer.
    """
    found = []
    sizes: dict[str, int] = {}
    for rel in rels:
        path = git.cwd / rel
        if os.path.lexists(path):  # a deleted file passes
            # A symlink is committed as a link: its target is not followed (size 0).
            sizes[rel] = regular_file_size(path) or 0
    tracked = lfs_tracked(git, list(sizes))
    for rel, size in sizes.items():
        violation = check_path(rel, size, max_file_mb=max_file_mb, lfs=rel in tracked)
        if violation is not None:
            found.append(violation)
    return found
