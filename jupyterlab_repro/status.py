"""The status report shared by the REST API and the CLI."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from . import __version__
from .errors import NotARepository
from .paths import relative_to_root
from .vcs import get_identity, repository_status


def status_report(
    root: str | os.PathLike[str], target: Path, *, timeout: float = 10.0
) -> dict[str, Any]:
    """Repository facts for ``target`` (a real path inside ``root``).

    ``repository`` is ``None`` (with a ``reason``) when ``target`` is not in
    a repository. Paths are reported relative to ``root``; a repository
    whose work tree starts above ``root`` has ``root: null`` and
    ``contains_server_root: true``.
    """
    directory = target if target.is_dir() else target.parent
    report: dict[str, Any] = {
        "version": __version__,
        "path": relative_to_root(root, target),
        "kind": "directory" if target.is_dir() else "file",
        "directory": relative_to_root(root, directory),
        "repository": None,
        "reason": None,
        "identity": get_identity(directory).as_dict(),
    }
    try:
        status = repository_status(target, timeout=timeout)
    except NotARepository:
        report["reason"] = "not-a-repository"
        return report
    repo = status.as_dict()
    real_root = Path(os.path.realpath(root))
    inside = status.root == real_root or real_root in status.root.parents
    repo["root"] = relative_to_root(root, status.root) if inside else None
    repo["contains_server_root"] = not inside
    report["repository"] = repo
    if not status.has_commits:
        report["reason"] = "no-commits"
    return report
