"""``lock``: the environment lock of an interpreter with 400 distributions, first computed in
a fresh process: ≤ 50 ms; a repeated ``start_run`` with the environment unchanged
(``RunRecords.tags``: the lock's cache check, the inputs' rules, the record already kept):
≤ 2 ms. Results in ``reproduce.{json,md}``."""

from __future__ import annotations

import statistics

from .harness import Bench, Feature
from .results import Budget
from .timing import summary


def run(bench: Bench) -> None:
    site = bench.work / "site-packages"
    count = 400
    for i in range(count):
        name = f"pkg_{i:03d}"
        meta = site / f"{name}-1.{i}.0.dist-info"
        meta.mkdir(parents=True)
        (meta / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.{i}.0\n\n")
        (meta / "RECORD").write_text(f"{name}/__init__.py,,\n")
        (meta / "INSTALLER").write_text("pip\n")
        if i % 40 == 0:
            (meta / "direct_url.json").write_text('{"url": "file:///src", "dir_info": {}}')
        (site / name).mkdir()
        (site / name / "__init__.py").write_text("")
    repo = bench.work / "lock-repo"
    repo.mkdir()
    bench.git(repo, "init", "-q")
    (repo / "a.txt").write_text("a\n")
    bench.git(repo, "add", "a.txt")
    bench.git(repo, "commit", "-qm", "a")
    probe = f"""
    import json, sys, time
    sys.path[:0] = [{str(site)!r}]
    from pathlib import Path
    from jupyterlab_repro.kernel.lock import compute_lock, LockCache
    from jupyterlab_repro.kernel.records import RunRecords
    start = time.perf_counter()
    lock = compute_lock(gpu={{}})
    first = time.perf_counter() - start
    records = RunRecords()
    records.tags(Path({str(repo)!r}))  # the first run: computes and keeps the lock
    samples = []
    for _ in range(200):
        t = time.perf_counter()
        records.tags(Path({str(repo)!r}))
        samples.append(time.perf_counter() - t)
    cache = LockCache()
    cache.get()
    t = time.perf_counter()
    for _ in range(1000):
        cache.get()
    check = (time.perf_counter() - t) / 1000
    print(json.dumps({{"first": first, "packages": len(lock["packages"]),
                      "repeated": sorted(samples)[len(samples) // 2], "cache_check": check,
                      "path_entries": len(sys.path)}}))
    """
    firsts, repeated, checks = [], [], []
    packages = 0
    for _ in range(bench.reps(3 if bench.quick else 7)):
        out = bench.python(probe)
        firsts.append(out["first"])
        repeated.append(out["repeated"])
        checks.append(out["cache_check"])
        packages = out["packages"]
    this_venv = bench.python(
        """
        import json, time
        from jupyterlab_repro.kernel.lock import compute_lock
        t = time.perf_counter(); lock = compute_lock(gpu={})
        print(json.dumps({"seconds": time.perf_counter() - t, "packages": len(lock["packages"])}))
        """
    )
    bench.sections["lock"] = {
        "distributions": packages,
        "first": summary(firsts),
        "repeated_tags": summary(repeated),
        "cache_check": summary(checks),
        "this_venv": this_venv,
    }
    med = statistics.median
    bench.budgets.append(
        Budget(
            "lock-first",
            f"Environment lock, first computation in a fresh process, {packages} distributions "
            f"(seconds) — this venv's {this_venv['packages']}: {this_venv['seconds'] * 1000:.1f} ms",
            med(firsts), None, 0.050, unit="seconds",
        )
    )  # fmt: skip
    bench.budgets.append(
        Budget(
            "lock-unchanged",
            "Added to a repeated start_run with the environment unchanged: RunRecords.tags "
            f"(lock cache check {med(checks) * 1e6:.0f} µs, rules, record kept) (seconds)",
            med(repeated), None, 0.002, unit="seconds",
        )
    )  # fmt: skip


FEATURE = Feature("lock", run, report="reproduce")
