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
from .errors import HookRejected, ReproError
from .snapshot import COMMIT_TYPES

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

    strip = sub.add_parser(
        "strip",
        help="clean notebooks: remove outputs, execution counts and noisy metadata",
        description=(
            "Clean notebooks in place (deterministic, idempotent), with the rules of "
            "their repository's [tool.jupyterlab-repro] table. With --check nothing is "
            "written and the exit status is 1 when a notebook would change."
        ),
    )
    strip.add_argument("notebooks", nargs="*", metavar="NB", help="notebooks to clean")
    strip.add_argument(
        "--check", action="store_true", help="only report; exit 1 if any would change"
    )
    strip.add_argument(
        "--stdin", action="store_true", help="read a notebook from stdin, write it to stdout"
    )
    strip.add_argument("--json", action="store_true", help="print machine-readable JSON")
    strip.set_defaults(func=_cmd_strip)

    snap = sub.add_parser(
        "snapshot",
        help="commit notebooks with outputs cleared in the commit only",
        description=(
            "Commit the cleaned notebooks (and any other files given) without touching "
            "the working copy; the repository's pre-commit and commit-msg hooks run. "
            "Paths that do not end in .ipynb are committed as they are."
        ),
    )
    snap.add_argument("paths", nargs="+", metavar="PATH", help="notebooks, then other files")
    snap.add_argument("-m", "--message", required=True, help="commit subject")
    snap.add_argument("--type", dest="commit_type", choices=COMMIT_TYPES, help="conventional type")
    snap.add_argument("--body", help="commit body")
    snap.add_argument("--tag", help="also create this annotated tag on the commit")
    snap.add_argument("--tag-message", help="the tag's annotation (default: the subject)")
    snap.add_argument("--branch", help="commit to this new branch (exp/NAME) and switch to it")
    snap.add_argument(
        "--clear-outputs", action="store_true", help="also clear outputs in the working copy"
    )
    snap.add_argument("--json", action="store_true", help="print machine-readable JSON")
    snap.set_defaults(func=_cmd_snapshot)

    diff = sub.add_parser(
        "diff",
        help="output-blind, cell-level diff of a notebook",
        description="Diff a notebook between two revisions (default: HEAD and the working copy).",
    )
    diff.add_argument("notebook", metavar="NB")
    diff.add_argument("--from", dest="from_rev", default="HEAD", help="old revision (HEAD)")
    diff.add_argument("--to", dest="to_rev", default=None, help="new revision (working copy)")
    diff.add_argument("--json", action="store_true", help="print machine-readable JSON")
    diff.set_defaults(func=_cmd_diff)

    export = sub.add_parser(
        "export",
        help="export notebook cells to an importable .py module",
        description=(
            "Export the cells tagged 'export' (or --cells) to a module: magics commented, "
            "'main' cells in main(), a provenance header, __all__. Re-export of an unchanged "
            "notebook is byte-identical."
        ),
    )
    export.add_argument("notebook", metavar="NB")
    export.add_argument(
        "-o", "--output", metavar="MODULE.py", help="target module (default: remembered one)"
    )
    export.add_argument(
        "--cells",
        metavar="SELECTOR",
        help="export (default) | tag:NAME | all | 1,3-5 | id:ID[,id:ID…]",
    )
    export.add_argument(
        "--force", action="store_true", help="overwrite a file export did not write"
    )
    export.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if the module is out of date"
    )
    export.add_argument("--json", action="store_true", help="print machine-readable JSON")
    export.set_defaults(func=_cmd_export)

    from .cli_runs import add_parser as add_runs_parser

    add_runs_parser(sub)
    return parser


def _cmd_export(args: argparse.Namespace) -> int:
    from .export import export_notebook

    result = export_notebook(
        args.notebook, args.output, args.cells, dry_run=args.check, force=args.force
    )
    if args.json:
        data = result.as_dict()
        data["output"] = str(result.output)
        print(json.dumps(data, indent=2))
    elif args.check:
        state = "out of date" if result.out_of_date else "up to date"
        print(f"{result.output}: {state}")
    else:
        verb = "wrote" if result.written else "unchanged"
        print(f"{verb} {result.output} ({len(result.cells) + len(result.main_cells)} cells)")
    for warning in result.warnings if not args.json else []:
        print(f"warning: {warning}", file=sys.stderr)
    return EXIT_CHANGES if args.check and result.out_of_date else EXIT_OK


def _cmd_strip(args: argparse.Namespace) -> int:
    from .fileio import atomic_write
    from .notebook_clean import clean_text

    if args.stdin:
        if args.notebooks:
            raise UsageError("--stdin takes no notebook paths")
        data = sys.stdin.buffer.read()
        text, report = clean_text(data, _clean_config(Path.cwd()))
        if args.check:
            return EXIT_CHANGES if report.changed else EXIT_OK
        sys.stdout.buffer.write(text.encode("utf-8"))
        return EXIT_OK
    if not args.notebooks:
        raise UsageError("give notebook paths, or --stdin")
    changed: list[str] = []
    failed: list[dict[str, str]] = []
    for name in args.notebooks:
        path = Path(name)
        try:
            data = path.read_bytes()
            text, report = clean_text(data, _clean_config(path.resolve().parent))
        except (ReproError, OSError) as exc:
            failed.append({"path": name, "error": " ".join(str(exc).split())})
            continue
        if report.changed:
            changed.append(name)
            if not args.check:
                atomic_write(path, text.encode("utf-8"))
    if args.json:
        print(json.dumps({"changed": changed, "errors": failed, "check": args.check}))
    else:
        verb = "would clean" if args.check else "cleaned"
        for name in changed:
            print(f"{verb} {name}")
        for item in failed:
            print(f"jupyter repro: error: {item['path']}: {item['error']}", file=sys.stderr)
    if failed:
        return EXIT_ERROR
    return EXIT_CHANGES if args.check and changed else EXIT_OK


def _clean_config(directory: Path) -> Any:
    from .repo_config import load_repo_config
    from .vcs import find_repository

    root = find_repository(directory)
    return load_repo_config(root).clean if root else None


def _cmd_snapshot(args: argparse.Namespace) -> int:
    from .snapshot import snapshot

    notebooks = [p for p in args.paths if p.lower().endswith(".ipynb")]
    files = [p for p in args.paths if not p.lower().endswith(".ipynb")]
    result = snapshot(
        notebooks,
        args.message,
        commit_type=args.commit_type,
        body=args.body,
        files=files,
        tag=args.tag,
        tag_message=args.tag_message,
        branch=args.branch,
        clear_outputs=args.clear_outputs,
    )
    if args.json:
        print(json.dumps(result.as_dict(), indent=2))
    elif not result.committed:
        print("nothing to commit: only outputs or metadata changed")
    else:
        where = f" on {result.branch}" if result.branch else ""
        print(f"[{result.short_sha}{where}] {result.message.splitlines()[0]}")
        if result.tag:
            print(f"tagged {result.tag}")
        for nb in result.notebooks:
            for warning in nb.warnings:
                print(f"warning: {nb.path}: {warning}", file=sys.stderr)
    return EXIT_OK


def _cmd_diff(args: argparse.Namespace) -> int:
    from .changes import diff_notebook

    data = diff_notebook(args.notebook, from_rev=args.from_rev, to_rev=args.to_rev)
    if args.json:
        print(json.dumps(data, indent=2))
    else:
        print(data["text"], end="" if data["text"].endswith("\n") else "\n")
    return EXIT_OK


class UsageError(Exception):
    """Wrong combination of arguments (exit status 2)."""


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
    except UsageError as exc:
        parser.error(str(exc))  # exits with status 2
        return EXIT_USAGE
    except HookRejected as exc:
        print(exc.output, file=sys.stderr)
        print(f"jupyter repro: error: {exc}", file=sys.stderr)
        if args.json:
            print(json.dumps({"error": str(exc), "output": exc.output}))
        return EXIT_ERROR
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
