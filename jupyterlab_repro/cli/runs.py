"""``jupyter repro runs NB [--commit REV] [--json]``: a notebook's MLflow runs by commit.

The same core as the runs panel (:mod:`jupyterlab_repro.runs.store`); the store
is ``--tracking-uri``, else ``MLFLOW_TRACKING_URI``, else ``./mlflow.db``.
"""

from __future__ import annotations

import argparse
import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from ..errors import InvalidRequest, PathNotFound

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
    runs.add_argument(
        "--tracking-uri",
        metavar="URI",
        help="MLflow tracking URI (default: $MLFLOW_TRACKING_URI, else ./mlflow.db)",
    )
    runs.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"give up on an unresponsive tracking store after this long ({DEFAULT_TIMEOUT:g})",
    )
    runs.add_argument("--json", action="store_true", help="print machine-readable JSON")
    runs.set_defaults(func=cmd_runs)
    return runs


def cmd_runs(args: argparse.Namespace) -> int:
    """Run the ``runs`` subcommand; returns the exit status."""
    from ..git.repository import find_repository
    from ..runs.store import TrackingService
    from ..runs.tracking_uri import bounded_http_env, default_tracking_uri

    if args.limit < 1:
        raise InvalidRequest("--limit must be at least 1.")
    notebook = Path(os.path.realpath(args.notebook))
    if not notebook.parent.is_dir():
        raise PathNotFound(f"No such directory: {Path(args.notebook).parent}")
    if notebook.is_dir():
        raise InvalidRequest(f"{args.notebook} is a directory, not a notebook.")
    # Our own process: MLflow's HTTP client may give up early here (the
    # server does not do this, kernels inherit its environment).
    for key, value in bounded_http_env(args.timeout).items():
        os.environ.setdefault(key, value)
    uri = args.tracking_uri or default_tracking_uri(Path.cwd())
    service = TrackingService(uri, timeout=args.timeout)
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
