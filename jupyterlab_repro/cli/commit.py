"""``jupyter repro strip | snapshot | diff``: cleaning, committing and diffing notebooks."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ..commit.message import COMMIT_TYPES
from ..errors import ReproError
from ..files import realpath
from .base import EXIT_CHANGES, EXIT_ERROR, EXIT_OK, UsageError


def add_parser(sub: Any) -> None:
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
    strip.set_defaults(func=cmd_strip)

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
    snap.set_defaults(func=cmd_snapshot)

    diff = sub.add_parser(
        "diff",
        help="output-blind, cell-level diff of a notebook",
        description="Diff a notebook between two revisions (default: HEAD and the working copy).",
    )
    diff.add_argument("notebook", metavar="NB")
    diff.add_argument("--from", dest="from_rev", default="HEAD", help="old revision (HEAD)")
    diff.add_argument("--to", dest="to_rev", default=None, help="new revision (working copy)")
    diff.add_argument("--json", action="store_true", help="print machine-readable JSON")
    diff.set_defaults(func=cmd_diff)


def cmd_strip(args: argparse.Namespace) -> int:
    from ..files import atomic_write, read_file
    from ..notebook.clean import clean_text

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
        path = Path(realpath(name))  # the file a symlink given here points to
        try:
            data = read_file(path)
            text, report = clean_text(data, _clean_config(path.parent))
        except (ReproError, OSError) as exc:
            failed.append({"path": name, "error": " ".join(str(exc).split())})
            continue
        if report.changed:
            changed.append(name)
            if not args.check:
                atomic_write(path, text.encode("utf-8"))  # below its own folder, never followed
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
    from ..commit.rules import load_repo_config
    from ..git.repository import find_repository

    root = find_repository(directory)
    return load_repo_config(root).clean if root else None


def cmd_snapshot(args: argparse.Namespace) -> int:
    from ..commit.snapshot import snapshot

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


def cmd_diff(args: argparse.Namespace) -> int:
    from ..commit.notebook_diff import diff_notebook

    data = diff_notebook(args.notebook, from_rev=args.from_rev, to_rev=args.to_rev)
    if args.json:
        print(json.dumps(data, indent=2))
    else:
        print(data["text"], end="" if data["text"].endswith("\n") else "\n")
    return EXIT_OK
