"""``snapshot``: ``POST /jupyterlab-repro/snapshot`` and ``jupyter-repro snapshot`` vs
``nbstripout NB && git add NB && git commit`` (baseline A) and ``jupyter nbconvert
--ClearOutputPreprocessor.enabled=True --inplace`` + add + commit (baseline B), plus the
in-process floor (read, ``json.loads``, clean, ``zlib`` compress), at 50 and 200 MB in a
small repository and in the 10k-commit / 20k-file one; peak RSS; a cProfile of the core
``snapshot()`` at 50 MB."""

from __future__ import annotations

import json
import shutil
import time
import zlib
from pathlib import Path
from typing import Any

from . import generate
from .harness import Bench, Feature
from .results import MB, Budget, fmt_seconds
from .timing import log, profile, rounds, summaries, summary, timed, traced_peak


def run(bench: Bench) -> None:
    cases = [("small", 50)]
    if not bench.quick:
        cases += [("small", 200), ("large", 50), ("large", 200)]
    section: dict[str, Any] = {"cases": []}
    bench.sections["snapshot"] = section
    for repo_kind, size in cases:
        section["cases"].append(_case(bench, repo_kind, size))
    if not bench.args.no_profile:
        section["profiles"] = {"snapshot() at 50 MB": _profile(bench, 50)}


def _setup(bench: Bench, repo: Path, size: int) -> tuple[str, Path, str, dict[str, Path]]:
    nbs = bench.notebooks(size)
    bench.reset(repo)
    rel = f"analysis/train_{size}mb.ipynb"
    path, base = bench.edited_notebook(repo, rel, nbs, f"base for the {size} MB notebook")
    bench.git(repo, "update-index", "-q", "--refresh", check=False)
    return rel, path, base, nbs


def _case(bench: Bench, repo_kind: str, size: int) -> dict[str, Any]:
    repo = bench.small_repo() if repo_kind == "small" else bench.large_repo()
    rel, path, base, nbs = _setup(bench, repo, size)
    file_size = path.stat().st_size
    label = f"{repo_kind} repo, {size} MB"
    log(f"snapshot: {label} ({file_size / MB:.1f} MB, {repo.name})")
    committed: dict[str, int] = {}
    rss: dict[str, int] = {}

    def check_commit(tool: str) -> None:
        head = bench.git(repo, "rev-parse", "HEAD")
        if head == base:
            raise RuntimeError(f"{tool} did not commit in {repo}")
        committed[tool] = int(bench.git(repo, "cat-file", "-s", f"HEAD:{rel}"))

    def restore(working_copy: bool) -> None:
        bench.git(repo, "reset", "-q", "--soft", base)
        bench.git(repo, "reset", "-q", base, "--", rel)
        if working_copy:
            shutil.copyfile(nbs["edited"], path)
        elif path.stat().st_size != file_size:
            raise RuntimeError(f"our snapshot changed the working copy {path}")

    def git_status_times() -> list[float]:
        argv = ["git", "status", "--porcelain"]
        return [timed(argv, repo, bench.env).seconds for _ in range(3)]

    def process(tool: str, argv: list[str], working_copy: bool) -> float:
        """A tool run as a process (start included); its peak RSS kept, its commit checked."""
        proc = timed(argv, repo, bench.env)
        rss[tool] = max(rss.get(tool, 0), proc.maxrss)
        check_commit(tool)
        restore(working_copy)
        return proc.seconds

    # The notebook's index entry still has its stat data (git add of the base).
    status_before = git_status_times()
    server = bench.server(repo)
    try:
        server.ok("GET", "/jupyterlab-repro/status")
        idle = server.memory()

        def rest() -> float:
            status, body, seconds = server.request(
                "POST",
                "/jupyterlab-repro/snapshot",
                {"path": f"analysis/train_{size}mb.ipynb", "message": "bench", "type": "exp"},
            )
            if status != 200 or not body.get("committed"):
                raise RuntimeError(f"REST snapshot answered {status}: {body}")
            check_commit("rest")
            restore(False)
            return seconds

        def cli() -> float:
            argv = [str(bench.bin / "jupyter-repro"), "snapshot", "-m", "bench"]
            return process("cli", [*argv, "--type", "exp", "--", rel], False)

        def nbstripout() -> float:
            script = 'nbstripout "$1" && git add -- "$1" && git commit -q -m bench'
            return process("nbstripout", ["sh", "-c", script, "sh", rel], True)

        def nbconvert() -> float:
            script = (
                "jupyter nbconvert --log-level=WARN --ClearOutputPreprocessor.enabled=True "
                '--inplace "$1" && git add -- "$1" && git commit -q -m bench'
            )
            return process("nbconvert", ["sh", "-c", script, "sh", rel], True)

        def floor() -> float:
            start = time.perf_counter()
            nb = json.loads(path.read_bytes())
            for cell in nb["cells"]:
                if cell.get("cell_type") == "code":
                    cell["outputs"] = []
                    cell["execution_count"] = None
            text = json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False)
            zlib.compress(text.encode("utf-8"))
            return time.perf_counter() - start

        tools = {
            "rest": rest,
            "cli": cli,
            "nbstripout": nbstripout,
            "nbconvert": nbconvert,
            "floor": floor,
        }
        # nbconvert is the slowest tool and only informative: fewer repetitions.
        once = None if bench.args.reps else {"nbconvert": 1 if size >= 200 or bench.quick else 2}
        default = 2 if bench.quick else 3 if size >= 200 else 5
        samples = rounds(tools, bench.reps(default), once)
        peak = server.memory()
        # The state a user is in after a snapshot (commit kept): what does status cost?
        server.ok(
            "POST", "/jupyterlab-repro/snapshot", {"path": rel, "message": "bench", "type": "exp"}
        )
        status_after = git_status_times()
        rest_status_after = [server.request("GET", "/jupyterlab-repro/status")[2] for _ in range(3)]
        restore(False)
    finally:
        bench.stop_servers()
    rss["server_idle"] = idle["VmRSS"]
    rss["server_peak"] = peak["VmHWM"]
    rss["server_increase"] = peak["VmHWM"] - idle["VmRSS"]
    stats, med = summaries(samples)
    _budgets(bench, repo_kind, size, med, rss, file_size)
    return {
        "name": label,
        "repo": repo.name,
        "file_bytes": file_size,
        "file_sha256_16": generate.fingerprint(path),
        "seconds": stats,
        "ratios_vs_nbstripout": {t: med[t] / med["nbstripout"] for t in med},
        "ratios_vs_nbconvert": {t: med[t] / med["nbconvert"] for t in med},
        "committed_blob_bytes": committed,
        "git_status_seconds_before_snapshot": summary(status_before),
        "git_status_seconds_after_snapshot": summary(status_after),
        "rest_status_seconds_after_snapshot": summary(rest_status_after),
        "peak_rss_bytes": rss,
    }


def _budgets(
    bench: Bench,
    repo_kind: str,
    size: int,
    med: dict[str, float],
    rss: dict[str, int],
    file_size: int,
) -> None:
    where = "" if repo_kind == "small" else f", {bench.large_label()}"
    limit = 0.3 if size <= 50 else 0.5
    bench.budgets.append(
        Budget(
            f"snapshot.rest.{repo_kind}.{size}mb",
            f"Snapshot via REST, {size} MB{where} / baseline A (nbstripout+add+commit)",
            med["rest"],
            med["nbstripout"],
            limit,
        )
    )
    if size <= 50:
        bench.budgets.append(
            Budget(
                f"snapshot.cli.{repo_kind}.{size}mb",
                f"Snapshot via CLI, {size} MB{where} / baseline A",
                med["cli"],
                med["nbstripout"],
                0.4,
            )
        )
    bench.budgets.append(
        Budget(
            f"snapshot.rss.{repo_kind}.{size}mb",
            f"Server peak RSS increase during snapshot, {size} MB{where} (x file size)",
            rss["server_increase"] / file_size,
            None,
            3.0,
            unit="x size",
            note=f"CLI process peak RSS {rss['cli'] / file_size:.2f}x file size",
        )
    )


def _profile(bench: Bench, size: int) -> dict[str, Any]:
    from jupyterlab_repro.commit.snapshot import snapshot

    repo = bench.small_repo()
    rel, path, base, _ = _setup(bench, repo, size)
    log(f"snapshot: cProfile and tracemalloc of the core snapshot() at {size} MB")

    def run() -> None:
        result = snapshot([path], "bench", commit_type="exp")
        if not result.committed:
            raise RuntimeError(f"profiled snapshot did not commit: {result}")
        bench.git(repo, "reset", "-q", "--soft", base)
        bench.git(repo, "reset", "-q", base, "--", rel)

    report = profile(run)
    report["tracemalloc_peak_bytes"] = traced_peak(run)
    report["file_bytes"] = path.stat().st_size
    report["size_mb"] = size
    bench.reset(repo)
    return report


def markdown(snap: dict[str, Any]) -> list[str]:
    if not snap.get("cases"):
        return []
    lines = [
        "",
        "## Snapshot (median seconds; n per tool)",
        "",
        "| Case | REST | CLI | nbstripout+add+commit | nbconvert+add+commit | floor "
        "| server peak RSS +idle | CLI peak RSS | git status before → after a snapshot |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for c in snap["cases"]:
        s, r = c["seconds"], c["peak_rss_bytes"]
        cells = [
            f"{fmt_seconds(s[t]['median'])} (n={s[t]['n']})"
            for t in ("rest", "cli", "nbstripout", "nbconvert", "floor")
        ]
        lines.append(
            f"| {c['name']} ({c['file_bytes'] / MB:.1f} MB) | "
            + " | ".join(cells)
            + f" | {r['server_increase'] / MB:.0f} MB | {r['cli'] / MB:.0f} MB | "
            + f"{fmt_seconds(c['git_status_seconds_before_snapshot']['median'])} → "
            + f"{fmt_seconds(c['git_status_seconds_after_snapshot']['median'])} |"
        )
    lines.append("")
    lines.append(
        "Committed blob bytes per tool (all commit the notebook without outputs): "
        + "; ".join(
            f"{c['name']}: " + ", ".join(f"{t} {n:,}" for t, n in c["committed_blob_bytes"].items())
            for c in snap["cases"][:1]
        )
    )
    return lines


FEATURE = Feature("snapshot", run, markdown=markdown, own_time=True)
