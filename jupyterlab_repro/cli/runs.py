"""``jupyter repro runs NB`` (a notebook's MLflow runs by commit), ``jupyter repro restore RUN_ID``
(and ``bring-back``, for the outputs a restore kept aside), ``compare`` and ``tag``.

The same core as the runs panel (:mod:`jupyterlab_repro.tracking.store`); the store
is ``--tracking-uri``, else ``MLFLOW_TRACKING_URI``, else ``./mlflow.db``.
"""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from ..errors import InvalidRequest, PathNotFound
from ..files import realpath
from .base import tracking_service

#: Seconds one MLflow call may take before the store counts as unavailable.
DEFAULT_TIMEOUT = 10.0


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``runs`` subcommand to ``jupyter repro``'s subparsers."""
    runs = subparsers.add_parser(
        "runs",
        help="list the MLflow runs of a notebook, grouped by commit",
        description=(
            "List the MLflow runs started from a notebook (tag repro.notebook), across "
            "all experiments, grouped by the commit (or hidden snapshot of uncommitted "
            "changes) that ran, newest first."
        ),
    )
    runs.add_argument("notebook", metavar="NB", help="the notebook")
    runs.add_argument("--commit", metavar="REV", help="only runs of this commit")
    runs.add_argument(
        "--filter", dest="filter_text", metavar="EXPR", help="extra MLflow filter expression"
    )
    runs.add_argument(
        "--limit", type=int, default=100, metavar="N", help="show at most N runs (100)"
    )
    _tracking_options(runs)
    runs.add_argument("--json", action="store_true", help="print machine-readable JSON")
    runs.set_defaults(func=cmd_runs)

    restore = subparsers.add_parser(
        "restore",
        help="get a run's code back: a branch at it, or a copy of the notebook as it ran",
        description=(
            "Make the branch exp/<run name> point at the code a run ran (for a run with "
            "uncommitted or unsaved changes, a commit of its hidden snapshot on top of the "
            "commit it started from) and switch to it. Notebooks whose only local changes are "
            "outputs (what a snapshot strips) are kept in a git stash entry first; "
            "`jupyter repro bring-back` (or git stash pop) brings them back once you are on "
            "your branch again. Other local changes in the way: nothing is done, the files "
            "are named, exit status 3. With --copy, write the notebook as it ran under a new "
            "name beside it. Run it inside the notebook's repository."
        ),
    )
    restore.add_argument("run_id", metavar="RUN_ID", help="the MLflow run")
    restore.add_argument(
        "--branch",
        metavar="exp/NAME",
        help="branch name; refused when it exists (default: exp/<run name>, "
        "or exp/<run name>-2 … when that holds other code)",
    )
    restore.add_argument(
        "--copy", action="store_true", help="write <notebook>-<run name>.ipynb instead"
    )
    restore.add_argument(
        "--no-switch", action="store_true", help="create the branch, stay where you are"
    )
    _tracking_options(restore)
    restore.add_argument("--json", action="store_true", help="print machine-readable JSON")
    restore.set_defaults(func=cmd_restore)

    back = subparsers.add_parser(
        "bring-back",
        help="bring back the outputs a restore kept aside (a git stash entry)",
        description=(
            "Restoring a run as a branch keeps the outputs of notebooks in the way in a git "
            "stash entry ('jupyterlab-repro: outputs of …'). Once you are back on the branch "
            "they were kept on, this pops the newest entry that fits the code checked out "
            "(or the one named by COMMIT), byte for byte as it was. Exit status 3 when "
            "nothing was brought back. Run it inside the repository."
        ),
    )
    back.add_argument("commit", nargs="?", metavar="COMMIT", help="the stash commit (see --list)")
    back.add_argument(
        "--list", action="store_true", help="list the kept outputs and whether each fits now"
    )
    back.add_argument("--json", action="store_true", help="print machine-readable JSON")
    back.set_defaults(func=cmd_bring_back)

    compare = subparsers.add_parser(
        "compare",
        help="compare runs: params, metrics, environment and the code that changed",
        description=(
            "Compare 2 to 10 MLflow runs side by side: the params that differ, metrics "
            "(latest, min, max, best), environment differences and the output-blind diff "
            "of the code from the first run (the baseline) to each other run. Run it inside "
            "the notebook's repository."
        ),
    )
    compare.add_argument("run_ids", nargs="+", metavar="RUN_ID", help="two to ten runs")
    compare.add_argument(
        "--metric", action="append", default=[], metavar="NAME", help="include its history"
    )
    compare.add_argument("--baseline", metavar="RUN_ID", help="compare against this run")
    _tracking_options(compare)
    compare.add_argument("--json", action="store_true", help="print machine-readable JSON")
    compare.set_defaults(func=cmd_compare)

    tag = subparsers.add_parser(
        "tag",
        help="release a run as an annotated git tag with its metrics",
        description=(
            "Tag the code a run ran (its commit, or its hidden snapshot) with an annotated "
            "tag whose message lists the run, experiment, notebook, commit, metrics, params "
            "and environment as 'key: value' lines; the run gets the MLflow tag "
            "repro.release=NAME. Run it inside the notebook's repository."
        ),
    )
    tag.add_argument("run_id", metavar="RUN_ID", help="the MLflow run")
    tag.add_argument("name", metavar="NAME", help="the tag, e.g. v1.2.0")
    tag.add_argument("--message", metavar="TEXT", help="your words, after the facts")
    tag.add_argument(
        "--model-card",
        action="store_true",
        help="add MODEL_CARD.md in a small commit on top of the run's code, tagged",
    )
    _tracking_options(tag)
    tag.add_argument("--json", action="store_true", help="print machine-readable JSON")
    tag.set_defaults(func=cmd_tag)
    return runs


def _tracking_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--tracking-uri",
        metavar="URI",
        help="MLflow tracking URI (default: $MLFLOW_TRACKING_URI, else ./mlflow.db)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"give up on an unresponsive tracking store after this long ({DEFAULT_TIMEOUT:g})",
    )


def _service(args: argparse.Namespace) -> Any:
    """The tracking service of ``--tracking-uri``, bounded for this process."""
    return tracking_service(args.tracking_uri, args.timeout)


def cmd_restore(args: argparse.Namespace) -> int:
    """``jupyter repro restore RUN_ID``; returns the exit status.

    A refusal (local changes in the way) raises, so ``main`` exits 3 having
    changed nothing; ``--no-switch`` asks only for the branch.
    """
    from ..git.repository import require_repository
    from ..runs.restore import branch_name, restore_branch, restore_copy
    from ..tags import REPRO_NOTEBOOK

    run = _service(args).get_run(args.run_id)
    code, rel = run.get("code"), run["all_tags"].get(REPRO_NOTEBOOK)
    if not code or not rel:
        raise InvalidRequest(
            f"Run {args.run_id} was not started from a notebook in a repository: "
            "its code is unknown."
        )
    root = require_repository(Path.cwd(), "the current folder")
    notebook = root / rel
    if args.copy:
        result = restore_copy(notebook, code, name=run.get("run_name") or args.run_id)
    else:
        branch = args.branch or branch_name(run.get("run_name"), args.run_id)
        result = restore_branch(
            notebook,
            code,
            branch=branch,
            run_id=args.run_id,
            run_name=run.get("run_name"),
            checkout=not args.no_switch,
            any_free_name=not args.branch,
        )
    if args.json:
        print(json.dumps(result.as_dict(), indent=2))
    elif result.copy:
        print(f"wrote {result.copy} (the notebook as run {args.run_id} ran it)")
    else:
        where = "switched to" if result.checked_out else "created"
        if result.reused:
            where = "switched to the existing" if result.checked_out else "already at the run:"
        print(f"{where} {result.branch} at {result.commit[:7]}")
        if result.carried_outputs:
            print(
                f"{', '.join(result.carried_outputs)} kept {'its' if len(result.carried_outputs) == 1 else 'their'} "
                f"outputs on {result.branch} (they came from this code)"
            )
        if result.kept_outputs:
            print(kept_text(result.kept_outputs))
    return 0


def kept_text(kept: dict[str, Any]) -> str:
    """Where a restore kept outputs aside, and how to bring them back."""
    files = ", ".join(kept["files"])
    where = f"on {kept['branch']}" if kept["branch"] else "at the commit you left"
    back = f"git switch {kept['branch']} && " if kept["branch"] else ""
    return (
        f"kept the outputs of {files} in {kept['ref']} ({kept['commit'][:7]}, git stash list); "
        f"they belong {where}: {back}jupyter repro bring-back (or git stash pop) brings them back"
    )


def cmd_bring_back(args: argparse.Namespace) -> int:
    """``jupyter repro bring-back [COMMIT] [--list]``; returns the exit status."""
    from ..runs.kept_outputs import bring_back, kept_outputs

    if args.list:
        entries = kept_outputs(Path.cwd())
        if args.json:
            print(json.dumps([e.as_dict() for e in entries], indent=2))
        elif not entries:
            print("no outputs kept by a restore")
        for entry in entries if not args.json else []:
            state = "fits now" if entry.ready else entry.reason
            print(f"{entry.ref}  {entry.commit[:12]}  {', '.join(entry.files)}  ({state})")
        return 0
    entry = bring_back(Path.cwd(), args.commit)
    if args.json:
        print(json.dumps(entry.as_dict(), indent=2))
    else:
        print(f"brought back the outputs of {', '.join(entry.files)} (was {entry.ref})")
    return 0


def cmd_runs(args: argparse.Namespace) -> int:
    """Run the ``runs`` subcommand; returns the exit status."""
    from ..git.repository import find_repository

    if args.limit < 1:
        raise InvalidRequest("--limit must be at least 1.")
    notebook = Path(realpath(args.notebook))
    if not notebook.parent.is_dir():
        raise PathNotFound(f"No such directory: {Path(args.notebook).parent}")
    if notebook.is_dir():
        raise InvalidRequest(f"{args.notebook} is a directory, not a notebook.")
    service = _service(args)
    root = find_repository(notebook.parent)
    rel = notebook.relative_to(root).as_posix() if root else str(notebook)
    data = collect(service, root, rel, args.commit, args.filter_text, args.limit)
    if args.json:
        print(json.dumps(data, indent=2, allow_nan=False))
    else:
        print(format_runs(data))
    return 0


def collect(
    service: Any,
    root: Path | None,
    rel: str,
    commit: str | None,
    filter_text: str | None,
    limit: int,
) -> dict[str, Any]:
    """Pages of :meth:`TrackingService.runs_for_notebook` until ``limit`` runs, merged."""
    merged: dict[Any, dict[str, Any]] = {}
    token = None
    count = 0
    data: dict[str, Any] = {}
    while count < limit:
        data = service.runs_for_notebook(
            root,
            rel,
            commit=commit,
            page_token=token,
            max_results=min(limit - count, 1000),
            filter_text=filter_text,
        )
        for group in data["groups"]:
            count += len(group["runs"])
            if group["key"] in merged:
                merged[group["key"]]["runs"].extend(group["runs"])
            else:
                merged[group["key"]] = group
        token = data["next_page_token"]
        if not token:
            break
    data["groups"] = list(merged.values())
    data["next_page_token"] = token
    return data


def format_runs(data: dict[str, Any]) -> str:
    """A table per commit group, for people."""
    lines = [f"runs of {data['notebook']} in {data['tracking']['uri']}"]
    if not data["groups"]:
        lines.append("no runs")
        return "\n".join(lines)
    for group in data["groups"]:
        lines.append("")
        lines.append(_group_title(group))
        rows = [["RUN", "NAME", "EXPERIMENT", "STATUS", "STARTED", "DURATION", "METRICS"]]
        for run in group["runs"]:
            rows.append(
                [
                    run["run_id"][:8],
                    _clip(run["run_name"] or "", 24),
                    _clip(run["experiment_name"] or run["experiment_id"], 20),
                    run["status"],
                    _when(run["start_time"]),
                    f"{run['duration']:.1f}s" if run["duration"] is not None else "-",
                    _clip(_metrics(run["metrics"]), 48),
                ]
            )
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        for row in rows:
            lines.append(
                "  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
            )
    if data.get("next_page_token"):
        lines.append("")
        lines.append("(more runs: raise --limit)")
    return "\n".join(lines)


def _group_title(group: dict[str, Any]) -> str:
    if group["commit"] is None:
        return "(no commit recorded)"
    subject = group["subject"] if group["subject"] is not None else "(commit not in repository)"
    title = f"{group['short_sha']}  {_clip(_printable(subject), 60)}"
    if group["snapshot"]:
        parent = group["parent_short_sha"] or "no commit"
        title += f"  [uncommitted changes on {parent}]"
    return title


def _metrics(metrics: dict[str, Any]) -> str:
    return " ".join(
        f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in sorted(metrics.items())
    )


def _when(ms: int | None) -> str:
    if ms is None:
        return "-"
    return datetime.fromtimestamp(ms / 1000).strftime("%Y-%m-%d %H:%M")


def _printable(text: str) -> str:
    return "".join(c if c.isprintable() else "?" for c in text)


def _clip(text: str, width: int) -> str:
    text = _printable(text)
    return text if len(text) <= width else text[: width - 1] + "…"


def cmd_compare(args: argparse.Namespace) -> int:
    """``jupyter repro compare RUN_A RUN_B …``."""
    from ..git.repository import find_repository
    from ..runs.compare import compare_runs

    data = compare_runs(
        _service(args),
        args.run_ids,
        repo_root=find_repository(Path.cwd()),
        metrics=args.metric,
        baseline=args.baseline,
    )
    if args.json:
        print(json.dumps(data, indent=2, allow_nan=False))
    else:
        print(format_comparison(data))
    return 0


def cmd_tag(args: argparse.Namespace) -> int:
    """``jupyter repro tag RUN_ID NAME``."""
    from ..git.repository import require_repository
    from ..runs.release import release_run

    result = release_run(
        _service(args),
        args.run_id,
        args.name,
        repo_root=require_repository(Path.cwd(), "the current folder"),
        message=args.message,
        with_model_card=args.model_card,
    )
    if args.json:
        print(json.dumps(result.as_dict(), indent=2))
    else:
        what = "the snapshot of uncommitted changes" if result.snapshot else "the commit"
        print(f"tagged {result.tag} at {result.commit[:7]} ({what} run {args.run_id} ran)")
        if result.model_card:
            print("with MODEL_CARD.md in a commit of its own on top of that code")
    return 0


def format_comparison(data: dict[str, Any]) -> str:
    """The comparison for people: runs, differing params, metrics, environment, code."""
    runs = data["runs"]
    names = [_clip(r["run_name"] or r["run_id"][:8], 16) for r in runs]
    lines = [f"{len(runs)} runs, baseline {names[0]} ({runs[0]['run_id'][:8]})", ""]
    table = [["RUN", "NAME", "STATUS", "CODE", "DURATION"]]
    for run, name in zip(runs, names, strict=True):
        code = (run["code"] or "unknown")[:7] + (" (snapshot)" if run["snapshot"] else "")
        if run["unsaved"]:
            code += " unsaved"
        duration = f"{run['duration']:.1f}s" if run["duration"] is not None else "-"
        table.append([run["run_id"][:8], name, run["status"], code, duration])
    lines += _table(table)

    def section(title: str, rows: list[list[str]]) -> None:
        lines.extend(["", title])
        lines.extend(_table([["", *names], *rows]) if rows else ["  (none)"])

    section(
        "params that differ:",
        [
            [r["key"], *[_clip(v if v is not None else "-", 16) for v in r["values"]]]
            for r in data["params"]
            if r["differs"]
        ],
    )
    metric_rows = []
    for row in data["metrics"]:
        cells = []
        for i, cell in enumerate(row["values"]):
            text = _fmt(cell["latest"]) + ("*" if row["best"] == i else "")
            cells.append(text)
        metric_rows.append([row["key"], *cells])
    section("metrics (latest; * best):", metric_rows)
    section(
        "environment that differs:",
        [[r["key"], *[_clip(v or "-", 16) for v in r["values"]]] for r in data["environment"]],
    )
    for entry in data.get("packages") or []:
        lines.append("")
        if not entry["known"]:
            lines.append(f"packages of {entry['run_id'][:8]}: unknown ({entry['reason']})")
            continue
        changes = [f"  + {k}=={v}" for k, v in entry["added"].items()]
        changes += [f"  - {k}=={v}" for k, v in entry["removed"].items()]
        changes += [f"  ~ {k} {a} -> {b}" for k, (a, b) in entry["changed"].items()]
        lines.append(
            f"packages of {entry['run_id'][:8]} vs the baseline: "
            + (f"{len(changes)} differ" if changes else "the same")
        )
        lines.extend(changes)
    for entry in data["code"]:
        lines.append("")
        if not entry["known"]:
            lines.append(f"code of {entry['run_id'][:8]}: {entry['reason']}")
            continue
        lines.append(
            f"code {entry['from_code'][:7]} -> {entry['to_code'][:7]} ({entry['label']})"
            + (": the same commit" if entry["same_code"] else "")
        )
        lines.append(entry["notebook_text"].rstrip("\n") or "  notebook: no change")
        for item in entry["files"]:
            lines.append(
                f"  {item['status']:<8} {item['path']}"
                + (f" +{item['additions']} -{item['deletions']}" if not item["binary"] else "")
                + (f"  ({item['summary']})" if item["summary"] else "")
            )
            if item["diff"]:
                lines.extend("    " + line for line in item["diff"].rstrip("\n").splitlines())
        if entry["files_total"] > len(entry["files"]):
            lines.append(f"  … and {entry['files_total'] - len(entry['files'])} more files")
    return "\n".join(lines)


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [
        "  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    return f"{value:.4g}" if isinstance(value, float) else str(value)
