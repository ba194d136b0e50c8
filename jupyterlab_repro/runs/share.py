"""Run code for a team: share hidden snapshots, fetch what a run needs, prune old ones.

- :func:`share_run_code` pushes the snapshot refs to a remote
  (:func:`~jupyterlab_repro.git.share.push_snapshots`) and says which commits
  a teammate still could not get: snapshot parents and, when a store is
  given, commits of this repository's runs that no remote branch holds.
- :func:`fetch_run_code` fetches the remote's snapshot refs, then for each run
  asked for, its commit (or snapshot) by id when it is still missing, and
  says per run whether its code is here now.
- :func:`prune_snapshots` deletes snapshot refs whose runs are gone from the
  store (or older than a limit), never one whose commit a branch or a tag
  holds, and with ``keep_released`` never one of a released run; and the
  record refs (environment locks, input manifests) that no run names any more.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..deadline import Deadline
from ..errors import InvalidRequest, TrackingUnavailable
from ..git.lock import repository_lock
from ..git.refs import ENVS
from ..git.repository import repository_id, require_repository
from ..git.runner import Git
from ..git.share import (
    ShareResult,
    SnapshotRef,
    check_remote,
    delete_refs,
    fetch_commits,
    fetch_snapshots,
    has_commit,
    held_by_remote,
    kept_by_branch_or_tag,
    local_records,
    local_snapshots,
    push_snapshots,
)
from ..tags import (
    GIT_COMMIT,
    REPRO_ENV_LOCK,
    REPRO_INPUTS,
    REPRO_RELEASE,
    REPRO_REPO,
    REPRO_SNAPSHOT,
)
from ..tracking.store import TrackingService
from ..tracking.uri import redact_uri

#: Seconds sharing or fetching may take when the caller gives no deadline.
SHARE_TIMEOUT = 120.0
#: Most runs whose commits :func:`share_run_code` checks.
MAX_CHECKED_RUNS = 1000


@dataclass
class RunCode:
    run_id: str
    code: str | None  # the commit (or snapshot commit) it ran
    here: bool
    #: Why it is not here ("not on origin…"), else ``None``.
    reason: str | None = None


@dataclass
class FetchResult:
    share: ShareResult
    runs: list[RunCode] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {**self.share.as_dict(), "runs": [asdict(r) for r in self.runs]}


@dataclass
class PruneResult:
    deleted: list[str] = field(default_factory=list)
    kept: dict[str, str] = field(default_factory=dict)  # ref → why
    dry_run: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def share_run_code(
    repo_root: str | Path,
    remote: str | None = None,
    *,
    service: TrackingService | None = None,
    deadline: Deadline | None = None,
) -> dict[str, Any]:
    """Push the snapshot refs; the result, plus ``unpublished_commits`` of runs (with a store)."""
    deadline = deadline or Deadline(SHARE_TIMEOUT, "sharing the run code")
    root = require_repository(repo_root, deadline=deadline)
    git = Git(root, deadline)
    with repository_lock(git, kind="share"):
        result = push_snapshots(git, remote)
    out = result.as_dict()
    out["unpublished_commits"], out["warnings"] = [], []
    if service is not None:
        try:
            out["unpublished_commits"] = _unpublished_run_commits(
                git, root, result.remote, service, deadline
            )
        except TrackingUnavailable as exc:  # pushed anyway: only the check is missing
            out["warnings"].append(f"Runs not checked: {exc}")
    return out


def fetch_run_code(
    repo_root: str | Path,
    service: TrackingService | None,
    run_ids: list[str],
    remote: str | None = None,
    *,
    deadline: Deadline | None = None,
) -> FetchResult:
    """Fetch the remote's snapshots, then what each of ``run_ids`` needs (see the module docs)."""
    deadline = deadline or Deadline(SHARE_TIMEOUT, "fetching the run code")
    root = require_repository(repo_root, deadline=deadline)
    git = Git(root, deadline)
    remote = check_remote(git, remote)
    if run_ids and service is None:
        raise InvalidRequest("Fetching the code of runs needs the tracking store.")
    runs = service.get_runs(run_ids, deadline=deadline) if run_ids and service else []
    with repository_lock(git, kind="share"):
        result = FetchResult(fetch_snapshots(git, remote))
        if not run_ids:
            return result
        wanted = [r["code"] for r in runs if r.get("code")]
        still = set(fetch_commits(git, remote, wanted))
    for run in runs:
        code = run.get("code")
        if not code:
            reason = "not started from a notebook with the plugin: its code is unknown"
            result.runs.append(RunCode(run["run_id"], None, False, reason))
        elif code in still or not has_commit(git, code):
            reason = f"{code[:7]} is not on {remote} (was it pushed? jupyter repro push)"
            result.runs.append(RunCode(run["run_id"], code, False, reason))
        else:
            result.runs.append(RunCode(run["run_id"], code, True))
    return result


def prune_snapshots(
    repo_root: str | Path,
    service: TrackingService,
    *,
    older_than_days: float | None = None,
    keep_released: bool = False,
    dry_run: bool = False,
    deadline: Deadline | None = None,
) -> PruneResult:
    """Delete snapshot refs no run needs (see the module docs); ``dry_run`` only says which."""
    deadline = deadline or Deadline(SHARE_TIMEOUT, "pruning the snapshots")
    if older_than_days is not None and not older_than_days >= 0:
        raise InvalidRequest("The age limit must be a non-negative number of days.")
    root = require_repository(repo_root, deadline=deadline)
    git = Git(root, deadline)
    ours = repository_id(root, deadline=deadline)
    if ours is None or not service.runs_tagged(REPRO_REPO, ours, deadline=deadline):
        # A wrong store (another folder's mlflow.db) would make every snapshot look unused.
        raise InvalidRequest(
            f"{redact_uri(service.tracking_uri)} holds no run of this repository: is it the "
            "right tracking store? Nothing was pruned."
        )
    result = PruneResult(dry_run=dry_run)
    limit = time.time() - older_than_days * 86400 if older_than_days is not None else None
    doomed: list[SnapshotRef] = []
    for snap in local_snapshots(git):
        if kept_by_branch_or_tag(git, snap.commit):
            result.kept[snap.ref] = "a branch or tag holds it"
            continue
        runs = service.runs_tagged(REPRO_SNAPSHOT, snap.commit, max_results=50, deadline=deadline)
        if keep_released and any(r["tags"].get(REPRO_RELEASE) for r in runs):
            result.kept[snap.ref] = "a released run ran it"
            continue
        old = limit is not None and snap.time < limit
        if runs and not old:
            result.kept[snap.ref] = f"{len(runs)} run(s) ran it"
            continue
        doomed.append(snap)
        result.deleted.append(snap.ref)
    for ref, blob in sorted(local_records(git).items()):
        key = REPRO_ENV_LOCK if ref.startswith(ENVS) else REPRO_INPUTS
        ident = ref.rsplit("/", 1)[-1]
        if service.runs_tagged(key, ident, max_results=1, deadline=deadline):
            result.kept[ref] = "a run records it"
            continue
        doomed.append(SnapshotRef(ref, blob))
        result.deleted.append(ref)
    if not dry_run:
        with repository_lock(git, kind="share"):
            delete_refs(git, doomed)
    return result


def _unpublished_run_commits(
    git: Git, root: Path, remote: str, service: TrackingService, deadline: Deadline
) -> list[str]:
    """Commits of this repository's runs (no snapshot) that no branch of ``remote`` holds."""
    ours = repository_id(root, deadline=deadline)
    if ours is None:
        return []
    runs = service.runs_tagged(REPRO_REPO, ours, max_results=MAX_CHECKED_RUNS, deadline=deadline)
    commits = sorted(
        {
            r["tags"][GIT_COMMIT]
            for r in runs
            if r["tags"].get(GIT_COMMIT) and not r["tags"].get(REPRO_SNAPSHOT)
        }
    )
    out = []
    for sha in commits:
        if not has_commit(git, sha):
            continue  # ran in another clone: not ours to publish
        if not held_by_remote(git, remote, sha):
            out.append(sha)
    return out
