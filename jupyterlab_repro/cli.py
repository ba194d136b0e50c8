"""``jupyter repro …``: the terminal door into the same core functions as the REST API.

Exit codes: 0 ok, 1 reserved for ``--check`` style "would change" answers,
2 usage errors (argparse), 3 any other error, reported on one line.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import __version__
from .errors import ReproError

EXIT_OK = 0
EXIT_CHANGES = 1
EXIT_USAGE = 2
EXIT_ERROR = 3


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jupyter repro",
        description=(
            "Reproducible notebook experiments: repository status, output-free "
            "snapshots, cells to modules, MLflow runs tied to their code."
        ),
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    status = sub.add_parser(
        "status",
        help="show the repository status of a folder or notebook",
        description="Show the git repository that holds PATH: branch, HEAD, upstream, changes.",
    )
    status.add_argument(
        "path", nargs="?", default=".", metavar="PATH", help="folder or notebook (default: .)"
    )
    status.add_argument("--json", action="store_true", help="print machine-readable JSON")
    status.set_defaults(func=_cmd_status)
    return parser


def _cmd_status(args: argparse.Namespace) -> int:
    from .status import status_report

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
    report = status_report(base, target)
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
            from .vcs import find_repository

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


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)  # a usage error: keep stdout clean for scripts
        return EXIT_USAGE
    try:
        return int(args.func(args))
    except (ReproError, OSError) as exc:
        message = " ".join(str(exc).split())
        if args.json:
            print(json.dumps({"error": message}), file=sys.stdout)
        print(f"jupyter repro: error: {message}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
