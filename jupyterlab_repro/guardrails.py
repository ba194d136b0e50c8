"""Guardrails: files a snapshot must not commit, and one-step fixes.

Model weights, checkpoints, logs, experiment-tracking stores, notebook
checkpoints and anything over the size limit are refused before anything is
staged. Two fixes are offered: add ignore rules to ``.gitignore``, or track
the file with Git LFS when ``git lfs`` is installed.
"""

from __future__ import annotations

import fnmatch
import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from .errors import GitError
from .fileio import atomic_write
from .vcs import ML_GITIGNORE_RULES, run_git

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

DEFAULT_MAX_FILE_MB = 10.0


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
    root: Path, rels: list[str], *, max_file_mb: float = DEFAULT_MAX_FILE_MB
) -> list[Violation]:
    """Check working-copy files (deleted files pass: removing is always fine).

    Files tracked with Git LFS (``filter=lfs`` in ``.gitattributes``) pass the
    name and size rules: what git commits for them is a small pointer.
    """
    found = []
    sizes: dict[str, int] = {}
    for rel in rels:
        try:
            sizes[rel] = (root / rel).stat().st_size
        except FileNotFoundError:
            continue
    tracked = lfs_tracked(root, list(sizes))
    for rel, size in sizes.items():
        violation = check_path(rel, size, max_file_mb=max_file_mb, lfs=rel in tracked)
        if violation is not None:
            found.append(violation)
    return found


def add_gitignore_rules(root: Path, rules: list[str]) -> list[str]:
    """Append the missing ``rules`` (plus the ML defaults) to ``root/.gitignore``.

    Returns the rules actually added. The file is replaced atomically.
    """
    path = root / ".gitignore"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    present = {line.strip() for line in text.splitlines()}
    wanted = [r for r in ML_GITIGNORE_RULES if not r.startswith("#")] + list(rules)
    added: list[str] = []
    for rule in wanted:
        if rule not in present and rule not in added:
            added.append(rule)
    if not added:
        return []
    if text and not text.endswith("\n"):
        text += "\n"
    text += ("\n" if text else "") + "# Added by jupyterlab-repro\n" + "\n".join(added) + "\n"
    atomic_write(path, text.encode("utf-8"))
    return added


def lfs_tracked(root: Path, rels: list[str], *, timeout: float = 30.0) -> set[str]:
    """The paths among ``rels`` whose ``filter`` attribute is ``lfs`` (one git call)."""
    if not rels:
        return set()
    out = run_git(
        ["check-attr", "--stdin", "-z", "filter"],
        root,
        input=b"".join(os.fsencode(rel) + b"\0" for rel in rels),
        timeout=timeout,
        read_only=True,
    ).stdout
    fields = os.fsdecode(out).split("\0")
    return {fields[i] for i in range(0, len(fields) - 2, 3) if fields[i + 2] == "lfs"}


def lfs_available(root: Path) -> bool:
    """Whether ``git lfs`` is installed (it is a separate program)."""
    try:
        run_git(["lfs", "version"], root, timeout=10, read_only=True)
    except GitError:
        return False
    return True


def lfs_track(root: Path, patterns: list[str]) -> None:
    """``git lfs install --local`` then ``git lfs track`` the patterns (edits .gitattributes)."""
    if not patterns:
        return
    try:
        run_git(["lfs", "install", "--local"], root, timeout=30)
    except GitError as exc:
        # Typically "Hook already exists: pre-push": without LFS's hooks a push
        # would send pointers without their objects, so do not track anything.
        reason = exc.stderr.strip().splitlines()[0] if exc.stderr.strip() else str(exc)
        raise GitError(
            f"Git LFS could not be set up in this repository ({reason.rstrip('.')}); "
            "merge its hooks by hand (git lfs update --manual), then try again.",
            exc.stderr,
        ) from exc
    run_git(["lfs", "track", "--", *patterns], root, timeout=30)
