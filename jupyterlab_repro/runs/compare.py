"""Runs side by side, with the code that changed between them (issue: compare & release).

:func:`compare_runs` takes 2–:data:`MAX_RUNS` runs and answers, in one
reply: each run's facts (name, status, times, code commit or snapshot,
notebook, unsaved/out-of-order flags), the params table with the keys that
differ marked, a metrics table (latest, min, max, the steps they were
reached at, and which run is best), the environment facts that differ, the
code — the output-blind notebook diff from the baseline run's code to each
other run's code, and the other files changed between those commits — the
full package difference from the baseline's environment lock to each other
run's (``packages``: added, removed, changed; read from the locks the runs
recorded, ``refs/repro/envs/``) — and,
for the metrics asked for, histories downsampled to at most
:data:`~jupyterlab_repro.runs.downsample.MAX_POINTS` points per series.

A run without our tags (logged from a script, or another tool) still
compares params and metrics; its code is said to be unknown. Runs of
different notebooks compare too: the diff is then between the two
notebooks, labelled so.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..commit.rules import load_repo_config
from ..deadline import Deadline
from ..errors import ConfigInvalid, InvalidRequest
from ..git.blobs import is_record_id, read_record
from ..git.diffs import changed_files
from ..git.refs import ENVS
from ..git.repository import repository_id
from ..git.revisions import file_at, resolve_commit
from ..git.runner import Git
from ..kernel import lock as lock_module
from ..notebook.clean import CleanConfig
from ..notebook.diff import diff_texts
from ..tags import REPRO_ENV_LOCK, REPRO_ENV_PREFIX, REPRO_IMAGE, REPRO_NOTEBOOK, REPRO_REPO
from ..tracking.store import MAX_HISTORY_KEYS, TrackingService
from .downsample import downsample_series

#: Most runs one comparison takes.
MAX_RUNS = 10
#: Most metrics whose histories one comparison charts.
MAX_CHARTED = 10

#: Metric names where a lower value is better (the rest: higher is better).
_LOWER_IS_BETTER = re.compile(r"(loss|err|mse|mae|rmse|perplexity|time|latency|cost)", re.I)


def compare_runs(
    service: TrackingService,
    run_ids: list[str],
    *,
    repo_root: Path | None = None,
    metrics: list[str] | None = None,
    baseline: str | None = None,
    deadline: Deadline | None = None,
) -> dict[str, Any]:
    """The comparison of ``run_ids`` (see the module docs); ``repo_root``: where their code is."""
    ids = list(dict.fromkeys(run_ids))
    if not 2 <= len(ids) <= MAX_RUNS:
        raise InvalidRequest(f"Compare 2 to {MAX_RUNS} different runs (got {len(ids)}).")
    charted = list(dict.fromkeys(metrics or []))
    if len(charted) > MAX_CHARTED:
        raise InvalidRequest(f"Chart at most {MAX_CHARTED} metrics at once.")
    baseline = baseline or ids[0]
    if baseline not in ids:
        raise InvalidRequest("The baseline must be one of the compared runs.")
    deadline = deadline or Deadline(max(service.timeout, 30.0), "the comparison")
    runs = service.get_runs(ids, deadline=deadline)
    order = [baseline, *[i for i in ids if i != baseline]]
    runs.sort(key=lambda r: order.index(r["run_id"]))

    keys = sorted({k for r in runs for k in r["metrics"]})
    wanted = sorted(set(keys[:MAX_HISTORY_KEYS]) | set(charted))[:MAX_HISTORY_KEYS]
    histories = service.metric_histories(order, wanted, deadline=deadline)["runs"] if wanted else {}

    out: dict[str, Any] = {
        "tracking": service.describe(),
        "baseline": baseline,
        "runs": [_run_card(r) for r in runs],
        "params": _params(runs),
        "metrics": _metrics(runs, keys, histories),
        "environment": _environment(runs),
        "packages": _packages(runs, repo_root, deadline),
        "code": _code(runs, repo_root, deadline),
        "histories": {
            key: {
                r["run_id"]: _chartable(histories.get(r["run_id"], {}).get(key))
                for r in runs
                if histories.get(r["run_id"], {}).get(key)
            }
            for key in charted
        },
    }
    return out


def _run_card(run: dict[str, Any]) -> dict[str, Any]:
    tags = run["all_tags"]
    return {
        "run_id": run["run_id"],
        "run_name": run["run_name"],
        "experiment_id": run["experiment_id"],
        "experiment_name": run["experiment_name"],
        "status": run["status"],
        "start_time": run["start_time"],
        "end_time": run["end_time"],
        "duration": run["duration"],
        "user": run["user"],
        "url": run["url"],
        "notebook": tags.get(REPRO_NOTEBOOK),
        "commit": run["commit"],
        "snapshot": run["snapshot"],
        "code": run["code"],
        "dirty": run["dirty"],
        "unsaved": run["unsaved"],
        "out_of_order": run["out_of_order"],
        "release": tags.get("repro.release"),
    }


def _params(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    keys = sorted({k for r in runs for k in r["params"]})
    rows = []
    for key in keys:
        values = [r["params"].get(key) for r in runs]
        rows.append({"key": key, "values": values, "differs": len(set(values)) > 1})
    return rows


def _metrics(
    runs: list[dict[str, Any]], keys: list[str], histories: dict[str, Any]
) -> list[dict[str, Any]]:
    rows = []
    for key in keys:
        lower = bool(_LOWER_IS_BETTER.search(key))
        cells = []
        for run in runs:
            series = histories.get(run["run_id"], {}).get(key)
            cells.append(_summary(run["metrics"].get(key), series))
        values = [c["latest"] for c in cells]
        finite = [(v, i) for i, v in enumerate(values) if v is not None]
        best = None
        if len(finite) > 1 and len({v for v, _ in finite}) > 1:
            best = (min if lower else max)(finite)[1]
        rows.append(
            {
                "key": key,
                "direction": "min" if lower else "max",
                "values": cells,
                "best": best,
                "differs": len({v for v in values}) > 1,
            }
        )
    return rows


def _summary(latest: float | None, series: dict[str, list[Any]] | None) -> dict[str, Any]:
    """Latest, min and max of a metric, and the steps they were reached at."""
    cell: dict[str, Any] = {"latest": latest, "min": None, "max": None}
    cell.update(min_step=None, max_step=None, latest_step=None, points=0)
    if not series:
        return cell
    values, steps = series["values"], series["steps"]
    points = [(v, s) for v, s in zip(values, steps, strict=True) if v is not None]
    cell["points"] = len(values)
    cell["latest_step"] = steps[-1] if steps else None
    if points:
        low = min(points, key=lambda p: p[0])
        high = max(points, key=lambda p: p[0])
        cell.update(min=low[0], min_step=low[1], max=high[0], max_step=high[1])
    return cell


def _environment(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    keys = sorted(
        {
            k
            for r in runs
            for k in r["all_tags"]
            if k.startswith(REPRO_ENV_PREFIX) or k == REPRO_IMAGE
        }
    )
    rows = []
    for key in keys:
        values = [r["all_tags"].get(key) for r in runs]
        if len(set(values)) > 1:
            rows.append({"key": key, "values": values})
    return rows


def _packages(
    runs: list[dict[str, Any]], repo_root: Path | None, deadline: Deadline
) -> list[dict[str, Any]]:
    """Per run after the baseline: the distributions added, removed and changed since the baseline.

    ``{"run_id", "known", "reason", "same_lock", "added": {name: version},
    "removed": {…}, "changed": {name: [baseline, this run]}}``; ``known`` is
    false (with a ``reason``) when a lock was not recorded or is not in the
    repository (``jupyter repro fetch`` brings a teammate's).
    """
    git = Git(repo_root, deadline) if repo_root is not None else None
    cache: dict[str, dict[str, Any] | None] = {}

    def lock_of(run: dict[str, Any]) -> tuple[dict[str, Any] | None, str | None]:
        ident = run["all_tags"].get(REPRO_ENV_LOCK, "")
        if not is_record_id(ident):
            return None, "no environment lock was recorded"
        if git is None:
            return None, "no repository to read the lock from"
        if ident not in cache:
            data = read_record(git, ENVS, ident)
            cache[ident] = lock_module.parse(data) if data is not None else None
        found = cache[ident]
        return found, None if found else f"the lock {ident[:12]} is not in this repository"

    base, base_reason = lock_of(runs[0])
    out = []
    for run in runs[1:]:
        other, reason = lock_of(run)
        row: dict[str, Any] = {"run_id": run["run_id"], "known": False, "reason": None}
        if base is None or other is None:
            row["reason"] = f"baseline: {base_reason}" if base is None else reason
        else:
            diff = lock_module.diff_packages(
                base.get("packages") or {}, other.get("packages") or {}
            )
            same = run["all_tags"].get(REPRO_ENV_LOCK) == runs[0]["all_tags"].get(REPRO_ENV_LOCK)
            row.update(known=True, same_lock=same, **diff)
        out.append(row)
    return out


def _code(
    runs: list[dict[str, Any]], repo_root: Path | None, deadline: Deadline
) -> list[dict[str, Any]]:
    """The code diff from the baseline (the first run) to each other run.

    Sweeps share commits (ten runs, two commits), so each commit is resolved,
    each notebook read and each pair diffed once.
    """
    base = runs[0]
    git = Git(repo_root, deadline) if repo_root is not None else None
    clean = _clean_rules(repo_root)
    ours = repository_id(repo_root, deadline=deadline) if repo_root is not None else None
    present: dict[str, bool] = {}
    pairs: dict[tuple[str, str, str, str], dict[str, Any]] = {}

    def exists(sha: str) -> bool:
        if sha not in present:
            present[sha] = git is not None and resolve_commit(git, sha) is not None
        return present[sha]

    out = []
    for run in runs[1:]:
        entry: dict[str, Any] = {"run_id": run["run_id"], "from_run": base["run_id"]}
        reason = _unknown(base, git, ours, exists) or _unknown(run, git, ours, exists)
        if reason is not None or git is None:
            entry.update(known=False, reason=reason or "No repository to read the code from.")
            out.append(entry)
            continue
        old_nb, new_nb = base["all_tags"][REPRO_NOTEBOOK], run["all_tags"][REPRO_NOTEBOOK]
        old_sha, new_sha = base["code"], run["code"]
        pair = (old_sha, new_sha, old_nb, new_nb)
        if pair not in pairs:
            diff = diff_texts(
                file_at(git, old_sha, old_nb), file_at(git, new_sha, new_nb), clean, sources=True
            )
            files, total = changed_files(git, old_sha, new_sha, exclude=tuple({old_nb, new_nb}))
            pairs[pair] = dict(
                known=True,
                reason=None,
                from_code=old_sha,
                to_code=new_sha,
                notebook=old_nb if old_nb == new_nb else None,
                label=old_nb if old_nb == new_nb else f"{old_nb} → {new_nb}",
                same_code=old_sha == new_sha,
                notebook_diff=diff.to_dict(),
                notebook_text=diff.diff_text(),
                files=[f.as_dict() for f in files],
                files_total=total,
            )
        entry.update(pairs[pair])
        out.append(entry)
    return out


def _clean_rules(repo_root: Path | None) -> CleanConfig | None:
    if repo_root is None:
        return None
    try:
        return load_repo_config(repo_root).clean
    except ConfigInvalid:
        return None


def _unknown(
    run: dict[str, Any], git: Git | None, ours: str | None, exists: Callable[[str], bool]
) -> str | None:
    """Why a run's code cannot be shown, or ``None`` when it can."""
    tags = run["all_tags"]
    name = run["run_name"] or run["run_id"][:8]
    if not run["code"] or REPRO_NOTEBOOK not in tags:
        return f"The code of {name} is unknown (not started from a notebook with the plugin)."
    if git is None:
        return None
    if ours is not None and tags.get(REPRO_REPO, ours) != ours:
        return f"{name} ran in another repository."
    if not exists(run["code"]):
        return (
            f"The code of {name} ({run['code'][:7]}) is not in this repository "
            "(not fetched, or garbage-collected)."
        )
    return None


def _chartable(series: dict[str, list[Any]] | None) -> dict[str, Any] | None:
    """A downsampled series with values rounded to 6 significant digits, times in seconds."""
    if not series:
        return None
    small = downsample_series(series)
    start = small["timestamps"][0] if small["timestamps"] else 0
    small["values"] = [_round(v) for v in small["values"]]
    small["seconds"] = [round((t - start) / 1000, 3) for t in small.pop("timestamps")]
    return small


def _round(value: float | None) -> float | None:
    if value is None or not math.isfinite(value) or value == 0:
        return value
    digits = 6 - int(math.floor(math.log10(abs(value)))) - 1
    return round(value, digits)
