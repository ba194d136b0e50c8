"""``jupyter repro push``, ``fetch`` and ``prune``: run code shared across clones.

The same core as the runs panel's "Share run code" and "Fetch code"
(:mod:`jupyterlab_repro.runs.share`); run them inside the repository.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from ..errors import InvalidRequest
from .runs import _service, _tracking_options

_AGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([hdw]?)\s*$")
_DAYS = {"h": 1 / 24, "d": 1.0, "w": 7.0, "": 1.0}


def add_parser(subparsers: Any) -> None:
    push = subparsers.add_parser(
        "push",
        help="share run code: push the hidden snapshot refs to a remote",
        description=(
            "Push refs/repro/snapshots/* (the code of runs with uncommitted or unsaved "
            "changes) to REMOTE (default: origin, or the only remote), never overwriting a "
            "ref there, and list the commits of this repository's runs that no branch of "
            "REMOTE holds (push those branches yourself)."
        ),
    )
    push.add_argument("remote", nargs="?", metavar="REMOTE", help="a configured remote")
    _tracking_options(push)
    push.add_argument("--json", action="store_true", help="print machine-readable JSON")
    push.set_defaults(func=cmd_push)

    fetch = subparsers.add_parser(
        "fetch",
        help="get run code from a remote: snapshot refs, and the commits runs need",
        description=(
            "Fetch the hidden snapshot refs of REMOTE (default: origin, or the only remote) "
            "and, for each RUN_ID, the commit or snapshot it ran when it is still missing."
        ),
    )
    fetch.add_argument("args", nargs="*", metavar="[REMOTE] [RUN_ID …]")
    _tracking_options(fetch)
    fetch.add_argument("--json", action="store_true", help="print machine-readable JSON")
    fetch.set_defaults(func=cmd_fetch)

    prune = subparsers.add_parser(
        "prune",
        help="delete hidden snapshot refs that no run needs",
        description=(
            "Delete refs/repro/snapshots/* whose runs are gone from the tracking store, or, "
            "with --older-than, older than that; never a snapshot a branch or tag holds."
        ),
    )
    prune.add_argument(
        "--older-than", metavar="AGE", help="also snapshots older than AGE (30d, 12h, 2w)"
    )
    prune.add_argument(
        "--keep-released", action="store_true", help="keep snapshots of released runs"
    )
    prune.add_argument("--dry-run", action="store_true", help="only list what would go")
    _tracking_options(prune)
    prune.add_argument("--json", action="store_true", help="print machine-readable JSON")
    prune.set_defaults(func=cmd_prune)


def _root() -> Path:
    from ..git.repository import require_repository

    return require_repository(Path.cwd(), "the current folder")


def cmd_push(args: argparse.Namespace) -> int:
    from ..runs.share import share_run_code

    data = share_run_code(_root(), args.remote, service=_service(args))
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    pushed = data["transferred"]
    print(
        f"pushed {len(pushed)} snapshot ref(s) to {data['remote']}"
        + (f" ({len(data['already'])} already there)" if data["already"] else "")
    )
    for sha in data["unpublished_commits"]:
        print(
            f"warning: runs of {sha[:7]} ran a commit no branch of {data['remote']} has: "
            "push its branch",
            file=sys.stderr,
        )
    for sha in data["unpublished_parents"]:
        print(
            f"note: {sha[:7]} is on no branch of {data['remote']}; teammates get it only "
            "with the snapshots",
            file=sys.stderr,
        )
    for text in data["warnings"]:
        print(f"warning: {text}", file=sys.stderr)
    return 0


def cmd_fetch(args: argparse.Namespace) -> int:
    from ..git.runner import Git
    from ..git.share import remote_names
    from ..runs.share import fetch_run_code

    root = _root()
    rest = list(args.args)
    remote = None
    if rest and rest[0] in remote_names(Git(root)):
        remote = rest.pop(0)
    service = _service(args) if rest else None
    result = fetch_run_code(root, service, rest, remote)
    if args.json:
        print(json.dumps(result.as_dict(), indent=2))
    else:
        share = result.share
        print(f"fetched {len(share.transferred)} snapshot ref(s) from {share.remote}")
        for run in result.runs:
            state = f"code here ({run.code[:7]})" if run.here and run.code else run.reason
            print(f"{run.run_id}: {state}")
    return 0 if all(r.here for r in result.runs) else 3


def cmd_prune(args: argparse.Namespace) -> int:
    from ..runs.share import prune_snapshots

    days = parse_age(args.older_than) if args.older_than else None
    result = prune_snapshots(
        _root(),
        _service(args),
        older_than_days=days,
        keep_released=args.keep_released,
        dry_run=args.dry_run,
    )
    if args.json:
        print(json.dumps(result.as_dict(), indent=2))
    else:
        verb = "would delete" if result.dry_run else "deleted"
        for ref in result.deleted:
            print(f"{verb} {ref}")
        print(f"{verb} {len(result.deleted)} snapshot ref(s), kept {len(result.kept)}")
    return 0


def parse_age(text: str) -> float:
    """Days in ``30d``, ``12h``, ``2w`` or a plain number of days."""
    match = _AGE.match(text)
    if match is None:
        raise InvalidRequest(f"Not an age: {text!r} (use e.g. 30d, 12h or 2w).")
    return float(match.group(1)) * _DAYS[match.group(2)]
