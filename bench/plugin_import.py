"""How long loading the kernel plugin adds to ``import mlflow`` (median of fresh processes).

    python bench/plugin_import.py [MODULE] [RUNS]

Each run is a fresh interpreter that imports MLflow with the plugin's entry
point filtered out, then times ``import MODULE`` (default: the plugin,
``jupyterlab_repro.kernel.context``). Prints one JSON line.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys

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


def main() -> None:
    module = sys.argv[1] if len(sys.argv) > 1 else "jupyterlab_repro.kernel.context"
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 15
    times = []
    for _ in range(runs):
        proc = subprocess.run(
            [sys.executable, "-c", PROBE, module], capture_output=True, text=True, check=True
        )
        times.append(float(proc.stdout.strip().splitlines()[-1]))
    print(
        json.dumps(
            {
                "module": module,
                "runs": runs,
                "median_ms": round(statistics.median(times) * 1000, 2),
                "min_ms": round(min(times) * 1000, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
