"""What a run ran, gathered before anything runs again: :func:`prepare` → :class:`Plan`.

From the run's tags: the notebook (``repro.notebook``), the code (the hidden
snapshot ``repro.snapshot``, else ``mlflow.source.git.commit``), the order
its cells last ran in before the run started (``repro.execution_order``,
1-based cell numbers of the notebook as that code holds it), the seed
(``repro.seed``), the environment lock (``repro.env.lock``) and the input
manifest (``repro.inputs``). What this clone lacks — the commit, the
snapshot, the records — is fetched from the repository's remote first
(:func:`~jupyterlab_repro.git.share.fetch_snapshots` /
:func:`~jupyterlab_repro.git.share.fetch_commits`, as ``jupyter repro fetch``
does); :meth:`Plan.undo_fetch` puts the refs back when the reproduction is
refused.

The cells to run: those of the recorded order, in that order, then the code
cells below the last of them that had not run (the rest of the notebook,
where a run started in one cell usually logs its metrics and ends). A run
without an order (no plugin, an older version) runs top to bottom.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from ..deadline import Deadline
from ..errors import GitError, GitTimeout, InvalidRequest, RunCodeMissing
from ..git.blobs import is_record_id, read_record
from ..git.lock import repository_lock
from ..git.refs import ENVS, INPUTS, RECORDS, SNAPSHOTS, is_snapshot_commit
from ..git.repository import repository_id, require_repository
from ..git.revisions import file_at, is_full_sha
from ..git.runner import Git
from ..git.share import (
    check_remote,
    fetch_commits,
    fetch_snapshots,
    has_commit,
    refs_state,
    remote_names,
    restore_refs,
)
from ..kernel import inputs as inputs_module
from ..kernel import lock as lock_module
from ..tags import (
    REPRO_ENV_LOCK,
    REPRO_ENV_PREFIX,
    REPRO_EXECUTION_ORDER,
    REPRO_IMAGE,
    REPRO_INPUTS,
    REPRO_NOTEBOOK,
    REPRO_REPO,
    REPRO_SEED,
    parse_order,
)
from ..tracking.store import TrackingService

#: The kernel a notebook without ``metadata.kernelspec`` runs in.
DEFAULT_KERNEL = "python3"
#: Largest notebook a reproduction reads (bytes, outputs cleared in the commit).
MAX_NOTEBOOK_BYTES = 512 * 1024 * 1024

#: ``repro.env.<suffix>`` tags → distributions of a lock (a run recorded before full locks).
_KEY_PACKAGE_TAGS = {
    "torch": "torch",
    "tensorflow": "tensorflow",
    "jax": "jax",
    "jaxlib": "jaxlib",
    "scikit-learn": "scikit-learn",
    "numpy": "numpy",
    "pandas": "pandas",
    "mlflow": "mlflow-skinny",
}


@dataclass
class Plan:
    """Everything a reproduction needs to know about the run, before it runs anything."""

    run_id: str
    run_name: str | None
    experiment_id: str
    root: Path
    notebook: str
    code: str
    snapshot: bool
    kernel_name: str
    #: 0-based indices of the notebook's cells, in the order they run.
    cells: list[int]
    notebook_json: dict[str, Any]
    tags: dict[str, str]
    params: dict[str, str]
    metrics: dict[str, float | None]
    seed: int | None = None
    #: Why the cells run top to bottom (no order recorded, or it does not fit), else ``None``.
    order_note: str | None = None
    lock: dict[str, Any] | None = None
    lock_note: str | None = None
    manifest: dict[str, Any] | None = None
    manifest_note: str | None = None
    #: The remote fetched from, and the refs as they were before (for :meth:`undo_fetch`).
    remote: str | None = None
    fetched: list[str] = field(default_factory=list)
    #: The declared inputs as the working copy has them now (set by the check).
    current_inputs: dict[str, Any] | None = None
    _refs_before: dict[str, str] | None = None
    _fetch_prefixes: tuple[str, ...] = ()

    def describe(self) -> dict[str, Any]:
        """The plan as JSON: what runs, from which code, in which order."""
        return {
            "run_id": self.run_id,
            "run_name": self.run_name,
            "experiment_id": self.experiment_id,
            "notebook": self.notebook,
            "code": self.code,
            "snapshot": self.snapshot,
            "kernel": self.kernel_name,
            "cells": [i + 1 for i in self.cells],
            "order_note": self.order_note,
            "seed": self.seed,
            "fetched": list(self.fetched),
            "remote": self.remote,
        }

    def release(self) -> None:
        """Forget the large parts (the notebook, locks, manifests) once the job is done."""
        self.notebook_json = {}
        self.lock = self.manifest = self.current_inputs = None
        self._refs_before = None

    def undo_fetch(self, deadline: Deadline | None = None) -> None:
        """Put the refs the fetch moved or added back (a refused reproduction changes nothing)."""
        if self._refs_before is None or not self.fetched:
            return
        git = Git(self.root, deadline or Deadline(30.0, "undoing the fetch"))
        with repository_lock(git, kind="share"):
            restore_refs(git, self._refs_before, self._fetch_prefixes)
        self.fetched = []


def prepare(
    service: TrackingService,
    repo_root: str | Path,
    run_id: str,
    *,
    deadline: Deadline,
    fetch: bool = True,
) -> Plan:
    """The :class:`Plan` of ``run_id`` in the repository at ``repo_root`` (see the module docs).

    Raises :class:`InvalidRequest` for a run that was not started from a
    notebook with the plugin (its code is unknown) or that ran in another
    repository, :class:`RunCodeMissing` when its code is neither here nor on
    the remote.
    """
    run = service.get_run(run_id, deadline=deadline)
    tags: dict[str, str] = run["all_tags"]
    rel = tags.get(REPRO_NOTEBOOK) or ""
    code = (run.get("code") or "").lower()
    parts = PurePosixPath(rel).parts
    if not rel or not code or rel.startswith("/") or ".." in parts or not rel.endswith(".ipynb"):
        raise InvalidRequest(
            f"Run {run_id} was not started from a notebook in a repository with the "
            "jupyterlab-repro plugin: its code is unknown, so it cannot be reproduced."
        )
    if not is_full_sha(code):
        raise InvalidRequest(f"Run {run_id} names no commit git can read ({code[:80]!r}).")
    root = require_repository(repo_root, deadline=deadline)
    git = Git(root, deadline)
    ours = repository_id(root, deadline=deadline)
    theirs = tags.get(REPRO_REPO)
    if ours and theirs and ours != theirs:
        raise InvalidRequest(
            f"Run {run_id} ran in another repository (root commit {theirs[:7]}, this one's is "
            f"{ours[:7]}): open that repository to reproduce it."
        )
    lock_id = tags.get(REPRO_ENV_LOCK, "")
    inputs_id = tags.get(REPRO_INPUTS, "")
    plan = Plan(
        run_id=run["run_id"],
        run_name=run.get("run_name"),
        experiment_id=run["experiment_id"],
        root=root,
        notebook=rel,
        code=code,
        snapshot=False,
        kernel_name=DEFAULT_KERNEL,
        cells=[],
        notebook_json={},
        tags=tags,
        params=dict(run.get("params") or {}),
        metrics=dict(run.get("metrics") or {}),
    )
    wanted = [(ENVS, lock_id)] if is_record_id(lock_id) else []
    wanted += [(INPUTS, inputs_id)] if is_record_id(inputs_id) else []
    missing = not has_commit(git, code) or any(
        read_record(git, ns, ident) is None for ns, ident in wanted
    )
    if missing and fetch:
        _fetch(git, plan)
    if not has_commit(git, code):
        where = f" nor on {plan.remote}" if plan.remote else " (and it has no remote to fetch from)"
        raise RunCodeMissing(
            f"The code of run {run_id} ({code[:7]}) is not in this repository{where}: "
            "was it pushed? (jupyter repro push in the clone that ran it)"
        )
    plan.snapshot = is_snapshot_commit(git, code)
    data = file_at(git, code, rel)
    if data is None:
        raise RunCodeMissing(f"{rel} is not in the run's code {code[:7]}.")
    if len(data) > MAX_NOTEBOOK_BYTES:
        raise InvalidRequest(f"{rel} at {code[:7]} is too large to reproduce here.")
    plan.notebook_json = _notebook(data, f"{rel} at {code[:7]}")
    spec = (plan.notebook_json.get("metadata") or {}).get("kernelspec") or {}
    if isinstance(spec, dict) and isinstance(spec.get("name"), str) and spec["name"].strip():
        plan.kernel_name = spec["name"].strip()
    plan.cells, plan.order_note = cells_to_run(
        plan.notebook_json.get("cells") or [], parse_order(tags.get(REPRO_EXECUTION_ORDER))
    )
    seed = tags.get(REPRO_SEED, "")
    plan.seed = int(seed) if seed.isdigit() and int(seed) < 2**32 else None
    plan.lock, plan.lock_note = _recorded_lock(git, tags)
    plan.manifest, plan.manifest_note = _recorded_manifest(git, tags)
    return plan


def _fetch(git: Git, plan: Plan) -> None:
    if not remote_names(git):
        return
    try:
        remote = check_remote(git, None)
    except InvalidRequest:  # several remotes, none called origin: which one is unknown
        return
    prefixes = (f"refs/remotes/{remote}/", SNAPSHOTS, *RECORDS)
    plan.remote = remote
    with repository_lock(git, kind="share"):
        before = refs_state(git, prefixes)
        try:
            fetch_snapshots(git, remote)
            if not has_commit(git, plan.code):
                fetch_commits(git, remote, [plan.code])
        except GitTimeout:
            restore_refs(git, before, prefixes)
            raise
        except GitError as exc:  # an unreachable remote: say so if the code is still missing
            restore_refs(git, before, prefixes)
            plan.remote = f"{remote} (fetching failed: {exc})"
            return
        after = refs_state(git, prefixes)
    plan.fetched = sorted(r for r in after if before.get(r) != after[r])
    plan._refs_before, plan._fetch_prefixes = before, prefixes


def _notebook(data: bytes, where: str) -> dict[str, Any]:
    try:
        nb = json.loads(data)
    except (ValueError, RecursionError):
        raise InvalidRequest(f"{where} is not a notebook.") from None
    if not isinstance(nb, dict) or nb.get("nbformat") not in (3, 4):
        raise InvalidRequest(f"{where} is not a notebook nbformat 3 or 4 can read.")
    if nb.get("nbformat") == 3:
        import nbformat

        converted = nbformat.reads(data.decode("utf-8", "replace"), as_version=4)
        nb = json.loads(nbformat.writes(converted, version=4))
    if not isinstance(nb.get("cells"), list):
        raise InvalidRequest(f"{where} is not a notebook.")
    return nb


def _source(cell: Any) -> str:
    value = cell.get("source", "") if isinstance(cell, dict) else ""
    return "".join(value) if isinstance(value, list) else str(value)


def cells_to_run(cells: list[Any], order: list[int] | None) -> tuple[list[int], str | None]:
    """0-based cells to run in order (see the module docs), and why top to bottom when so."""
    code = [
        i
        for i, cell in enumerate(cells)
        if isinstance(cell, dict) and cell.get("cell_type") == "code" and _source(cell).strip()
    ]
    if not order:
        return code, "no execution order was recorded: the cells run top to bottom"
    indices = list(dict.fromkeys(n - 1 for n in order))
    if any(
        not 0 <= i < len(cells)
        or not isinstance(cells[i], dict)
        or cells[i].get("cell_type") != "code"
        for i in indices
    ):
        return code, "the recorded execution order does not fit the notebook: top to bottom"
    ran = set(indices)
    tail = [i for i in code if i > indices[-1] and i not in ran]
    return [i for i in indices if _source(cells[i]).strip()] + tail, None


def lock_from_tags(tags: dict[str, str]) -> dict[str, Any] | None:
    """A partial lock from a run's ``repro.env.*`` tags (runs recorded before full locks)."""
    lock: dict[str, Any] = {"partial": True, "packages": {}}
    python = tags.get(f"{REPRO_ENV_PREFIX}python")
    if python:
        lock["python"] = python
    platform_tag = tags.get(f"{REPRO_ENV_PREFIX}platform")
    if platform_tag:
        lock["platform"] = platform_tag
    if tags.get(REPRO_IMAGE):
        lock["image"] = tags[REPRO_IMAGE]
    for suffix, dist in _KEY_PACKAGE_TAGS.items():
        version = tags.get(f"{REPRO_ENV_PREFIX}{suffix}")
        if version:
            lock["packages"][dist] = version
    return lock if len(lock) > 2 or lock["packages"] else None


def _recorded_lock(git: Git, tags: dict[str, str]) -> tuple[dict[str, Any] | None, str | None]:
    ident = tags.get(REPRO_ENV_LOCK, "")
    if is_record_id(ident):
        data = read_record(git, ENVS, ident)
        found = lock_module.parse(data) if data is not None else None
        if found is not None:
            return found, None
        note = f"the run's environment lock {ident[:12]} is not in this repository (pushed?)"
    else:
        note = "the run recorded no environment lock (made before it was recorded)"
    partial = lock_from_tags(tags)
    if partial is not None:
        return partial, note + ": only the packages its tags name are compared"
    return None, note


def _recorded_manifest(git: Git, tags: dict[str, str]) -> tuple[dict[str, Any] | None, str | None]:
    ident = tags.get(REPRO_INPUTS, "")
    if not ident:
        return None, None
    if not is_record_id(ident):
        return None, "the run's repro.inputs tag is not one this version reads"
    data = read_record(git, INPUTS, ident)
    found = inputs_module.parse(data) if data is not None else None
    if found is None:
        return None, f"the run's input manifest {ident[:12]} is not in this repository (pushed?)"
    return found, None
