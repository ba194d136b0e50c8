#!/usr/bin/env python3
"""The table of `make test`'s steps and their seconds (`.ci/run` prints it at the end).

Each timed step of the Makefile writes ``<name>.begin`` when it starts and
``<name>.end`` when it finished without error, as Unix times, in one folder
(``.make/steps``). A step with a beginning and no end failed, or was stopped
when another one failed. Standard library only: this runs before any venv exists.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def _read(path: Path) -> float | None:
    try:
        return float(path.read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        return None


def table(folder: Path, now: float, since: float | None) -> str:
    rows = []
    for begin_file in folder.glob("*.begin"):
        name = begin_file.name[: -len(".begin")]
        begin = _read(begin_file)
        if begin is None:
            continue
        end = _read(folder / f"{name}.end")
        state = "ok" if end is not None else "FAILED or stopped"
        rows.append((begin, name, (end if end is not None else now) - begin, state))
    rows.sort()
    if not rows:
        return "No step of make test started."
    first = since if since is not None else rows[0][0]
    width = max(len(name) for _, name, _, _ in rows)
    lines = [f"{'step':<{width}}  {'start':>6}  {'seconds':>7}  state"]
    for begin, name, seconds, state in rows:
        lines.append(f"{name:<{width}}  {begin - first:>6.0f}  {seconds:>7.1f}  {state}")
    busy = sum(seconds for _, _, seconds, _ in rows)
    lines.append(
        f"{'wall clock':<{width}}  {'':>6}  {now - first:>7.1f}  "
        f"(the steps add up to {busy:.0f} s: several run at once)"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="the steps folder (.make/steps)")
    parser.add_argument("--since", type=float, help="Unix time the run started")
    args = parser.parse_args(argv)
    print(table(args.folder, time.time(), args.since))
    return 0


if __name__ == "__main__":
    sys.exit(main())
