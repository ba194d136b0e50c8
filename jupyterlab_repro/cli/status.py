"""``jupyter repro status [PATH] [--json]``: the repository of a folder or notebook."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import ReproError
from .base import EXIT_OK


def add_parser(sub: Any) -> None:
    status = sub.add_parser(
        "status",
        help="show the repository status of a folder or notebook",
        description="Show the git repository that holds PATH: branch, HEAD, upstream, changes.",
    )
    status.add_argument(
        "path", nargs="?", default=".", metavar="PATH", help="folder or notebook (default: .)"
    )
    status.add_argument("--json", action="store_true", help="print machine-readable JSON")
    status.set_defaults(func=cmd_status)


def cmd_status(args: argparse.Namespace) -> int:
    from ..commit.changes import refine_file_state
    from ..git.status import status_report

    target = Path(args.path)
    if not target.exists():
        raise ReproError(f"No such file or directory: {args.path}")
    target = target.resolve()
    # Paths in the report are relative to the current directory when the
    # target lies below it, else to the target's own folder.
    cwd = Path.cwd().resolve()
    base = (
        cwd
        if target == cwd or cwd in target.parents
        else (target if target.is_dir() else target.parent)
    )
    report = {"version": __version__, **refine_file_state(status_report(base, target), target)}
    if args.json:
        print(json.dumps(report, indent=2, sort_keys=True))
    else:
        print(_format_status(report, target))
    return EXIT_OK


def _format_status(report: dict[str, Any], target: Path) -> str:
    repo = report["repository"]
    lines: list[str] = []
    if repo is None:
        lines.append(f"{target}: not inside a git repository")
        lines.append(
            "  create one with: git init  (or the sidebar's 'Initialize a repository here')"
        )
    else:
        branch = repo["branch"] or "(detached HEAD)"
        if repo["root"] is not None:
            root = repo["root"] or "."
        else:
            # The work tree starts above the folder the paths are relative to
            # (e.g. the command ran in a subfolder): a terminal may show where.
            from ..git.repository import find_repository

            root = str(find_repository(target) or "(above this folder)")
        lines.append(f"repository: {root}")
        lines.append(f"branch:     {branch}")
        head = repo["head"]
        if head is None:
            lines.append("HEAD:       no commits yet")
        else:
            lines.append(f"HEAD:       {head['short_sha']} {head['subject']}")
            lines.append(f"            {head['author_name']}, {head['authored_at']}")
        if repo["upstream"]:
            lines.append(
                f"upstream:   {repo['upstream']} (ahead {repo['ahead']}, behind {repo['behind']})"
            )
        ch = repo["changes"]
        if repo["dirty"]:
            lines.append(
                f"changes:    {ch['staged']} staged, {ch['unstaged']} unstaged, "
                f"{ch['untracked']} untracked, {ch['conflicted']} conflicted"
            )
        else:
            lines.append("changes:    none (working tree clean)")
        if repo["file_state"] is not None:
            lines.append(f"file:       {report['path']} is {repo['file_state']}")
    if report["identity"]["missing"]:
        lines.append("identity:   missing: set it with git config user.name / user.email")
    return "\n".join(lines)
