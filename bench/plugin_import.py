"""``plugin_import``: what loading the kernel plugin adds to ``import mlflow``.

The issue-25 rule "the kernel plugin's import time in ``make bench`` must not
grow" reads this number: ``python -m bench --only plugin_import`` before and
after a change (``--plugin-module M`` times another module the same way).

Each sample is a fresh interpreter that imports MLflow with the plugins of the
``mlflow.run_context_provider`` entry point filtered out, then times the import
of the module our entry point names (what MLflow loads in every kernel), so a
move of the plugin needs no edit here (reinstall the package after moving the
entry point, so its metadata names the new module). Median of 15 processes
(``--reps``).
"""

from __future__ import annotations

import importlib.metadata
import statistics
import sys
from typing import Any

from .harness import Bench, Feature
from .server import PROJECT
from .timing import log, summary, timed

ENTRY_POINT_GROUP = "mlflow.run_context_provider"

PROBE = """
import importlib, importlib.metadata as md, sys, time
entry_points = md.entry_points
def without_plugins(*args, **kwargs):
    if kwargs.get("group") == "mlflow.run_context_provider":
        return md.EntryPoints([])
    return entry_points(*args, **kwargs)
md.entry_points = without_plugins
import mlflow  # noqa: F401
assert not any(m.startswith("jupyterlab_repro") for m in sys.modules)
started = time.perf_counter()
importlib.import_module(sys.argv[1])
print(time.perf_counter() - started)
"""


def plugin_module() -> str | None:
    """The module our ``mlflow.run_context_provider`` entry point names, as installed."""
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        if ep.name == "jupyterlab_repro":
            return ep.module
    return None


def run(bench: Bench) -> None:
    module = bench.args.plugin_module or plugin_module()
    if module is None:
        bench.skip("plugin_import", f"no jupyterlab_repro entry point in {ENTRY_POINT_GROUP}")
        return
    samples = []
    for _ in range(bench.reps(15)):
        proc = timed([sys.executable, "-c", PROBE, module], PROJECT, bench.env)
        samples.append(float(proc.stdout.strip().splitlines()[-1]))
    median = statistics.median(samples)
    log(f"plugin_import: import {module} after mlflow: {median * 1000:.2f} ms (median)")
    bench.sections["plugin_import"] = {
        "module": module,
        "runs": len(samples),
        "median_ms": round(median * 1000, 2),
        "min_ms": round(min(samples) * 1000, 2),
        "seconds": summary(samples),
    }


def markdown(found: dict[str, Any]) -> list[str]:
    if "median_ms" not in found:
        return []
    return [
        "",
        "## Kernel plugin import",
        "",
        f"`import {found['module']}` in a process that has imported MLflow (the plugin "
        f"filtered out of its entry points): {found['median_ms']:.2f} ms median, "
        f"{found['min_ms']:.2f} ms min, {found['runs']} fresh processes.",
    ]


FEATURE = Feature("plugin_import", run, markdown=markdown)
