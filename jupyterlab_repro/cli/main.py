"""``jupyter repro …``: the terminal door into the same core functions as the REST API.

One module per subcommand group (``status``, ``commit``: strip/snapshot/diff,
``export``, ``runs``, ``share``: push/fetch/prune, ``reproduce``: reproduce/env); each adds its parser here and imports its core lazily,
so ``jupyter repro --help`` stays fast.

Exit codes: 0 ok, 1 reserved for ``--check`` style "would change" answers,
2 usage errors (argparse), 3 any other error, reported on one line.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from .. import __version__
from ..errors import HookRejected, ReproError, RestoreRefused
from . import commit, export, reproduce, runs, share, status
from .base import EXIT_ERROR, EXIT_USAGE, UsageError


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
    for group in (status, commit, export, runs, share, reproduce):
        group.add_parser(sub)
    return parser


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
            answer: dict[str, object] = {"error": message}
            if isinstance(exc, RestoreRefused):  # the files in the way, for scripts
                answer.update(files=exc.files, kind=exc.kind)
            print(json.dumps(answer), file=sys.stdout)
        print(f"jupyter repro: error: {message}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
