"""``status``: ``GET /jupyterlab-repro/status`` and ``/changes`` vs ``git status --porcelain``
in the 10k-commit / 20k-file repository; Jupyter's own ``GET /api/status`` is the HTTP floor."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import generate
from .harness import Bench, Feature
from .results import Budget, fmt_seconds
from .timing import log, profile, rounds, summaries, timed


def run(bench: Bench) -> None:
    repo = bench.large_repo()
    bench.reset(repo)
    log(f"status: {repo.name}")
    _commit_canonical_notebooks(bench, repo)
    changed = _dirty_notebooks(bench, repo)
    time.sleep(1.1)  # no racily-clean index entries
    bench.git(repo, "status", "--porcelain")
    server = bench.server(repo)
    try:
        server.ok("GET", "/api/contents", query={"content": "0"})

        def call(route: str) -> Callable[[], float]:
            return lambda: server.ok("GET", route, query={"path": ""})[1]

        cold_changes = call("/jupyterlab-repro/changes")()
        _, changes, _ = server.request("GET", "/jupyterlab-repro/changes", query={"path": ""})

        def git_status() -> float:
            return timed(["git", "status", "--porcelain"], repo, bench.env).seconds

        samples = rounds(
            {
                "git_status": git_status,
                "rest_status": call("/jupyterlab-repro/status"),
                "rest_changes": call("/jupyterlab-repro/changes"),
                # Jupyter's own trivial route: the HTTP + auth overhead every call pays.
                "jupyter_api_status": call("/api/status"),
            },
            bench.reps(5 if bench.quick else 9),
        )
    finally:
        bench.stop_servers()
    stats, med = summaries(samples)
    profiles = {}
    if not bench.args.no_profile:
        from jupyterlab_repro.commit.changes import ClassificationCache, list_changes
        from jupyterlab_repro.git.status import status_report

        cache = ClassificationCache()
        list_changes(repo, cache=cache)
        profiles["status_report() (in-process)"] = profile(lambda: status_report(repo, repo))
        profiles["list_changes() warm cache (in-process)"] = profile(
            lambda: list_changes(repo, cache=cache)
        )
    label = bench.large_label()
    for route in ("status", "changes"):
        bench.budgets.append(
            Budget(
                f"status.{route}",
                f"GET /jupyterlab-repro/{route} (warm), {label} / git status --porcelain",
                med[f"rest_{route}"],
                med["git_status"],
                1.5,
                note=(
                    f"first (uncached) call {cold_changes:.3f} s = "
                    f"{cold_changes / med['git_status']:.2f}x"
                    if route == "changes"
                    else ""
                ),
            )
        )
    bench.sections["status"] = {
        "repo": repo.name,
        "changed_files": changed,
        "classifications": {
            f["path"]: f["classification"] for f in changes["files"] if f["notebook"]
        },
        "seconds": stats,
        "changes_first_call_seconds": cold_changes,
        "profiles": profiles,
    }


def _commit_canonical_notebooks(bench: Bench, repo: Path) -> None:
    """Commit the repository's notebooks as our snapshot would (canonical clean text).

    Then an output-only edit is classified ``outputs-only`` (a blob
    committed by another tool makes every edit ``source``, by design).
    """
    from jupyterlab_repro.notebook.clean import clean_text

    _, nbs = generate.repo_paths(0, 8)
    for rel in nbs:
        path = repo / rel
        path.write_text(clean_text(path.read_bytes())[0], encoding="utf-8")
    bench.git(repo, "add", "--", *nbs)
    bench.git(repo, "commit", "-q", "-m", "notebooks in canonical clean form")


def _dirty_notebooks(bench: Bench, repo: Path) -> list[str]:
    """A few changed notebooks (source, outputs-only, new) and one changed module."""
    _, nbs = generate.repo_paths(0, 8)
    rng_seed = bench.seed
    changed = []
    for i, rel in enumerate(nbs[:3]):
        path = repo / rel
        nb = json.loads(path.read_text())
        full = generate.make_notebook(60_000, seed=rng_seed + i)
        code = [c for c in full["cells"] if c["cell_type"] == "code"]
        for cell, new in zip(
            (c for c in nb["cells"] if c["cell_type"] == "code"), code, strict=False
        ):
            cell["outputs"] = new["outputs"]
            cell["execution_count"] = new["execution_count"]
        if i == 0:  # a source change as well
            cell = next(c for c in nb["cells"] if c["cell_type"] == "code")
            cell["source"] = [*cell["source"], "\nprint('changed')"]
        path.write_text(generate.dumps(nb), encoding="utf-8")
        changed.append(rel)
    new = repo / "notebooks" / "new_experiment.ipynb"
    new.write_text(generate.dumps(generate.make_notebook(40_000, seed=rng_seed + 9)))
    changed.append("notebooks/new_experiment.ipynb")
    module = repo / "src" / "pkg000" / "mod_00000.py"
    module.write_text(module.read_text() + "# edited\n")
    changed.append(str(module.relative_to(repo)))
    return changed


def markdown(status: dict[str, Any]) -> list[str]:
    if not status.get("seconds"):
        return []
    s = status["seconds"]
    return [
        "",
        f"## Status ({status['repo']})",
        "",
        "| git status --porcelain | GET status | GET changes (warm) | GET changes (first) "
        "| GET /api/status (HTTP floor) |",
        "|---|---|---|---|---|",
        f"| {fmt_seconds(s['git_status']['median'])} | "
        f"{fmt_seconds(s['rest_status']['median'])} | "
        f"{fmt_seconds(s['rest_changes']['median'])} | "
        f"{fmt_seconds(status['changes_first_call_seconds'])} | "
        f"{fmt_seconds(s['jupyter_api_status']['median'])} |",
        "",
        "Classes: " + ", ".join(f"`{k}` {v}" for k, v in sorted(status["classifications"].items())),
    ]


FEATURE = Feature("status", run, markdown=markdown)
