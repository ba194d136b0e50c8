"""``jupyter repro export NB -o MODULE.py``: notebook cells to an importable module."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .base import EXIT_CHANGES, EXIT_OK


def add_parser(sub: Any) -> None:
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
    export.set_defaults(func=cmd_export)


def cmd_export(args: argparse.Namespace) -> int:
    from ..export.exporter import export_notebook

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
