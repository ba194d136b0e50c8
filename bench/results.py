"""Budgets and the results files: ``bench/results/latest.{json,md}``, ``host-<host>.json``
and ``reproduce.{json,md}``. Their names and formats are read by docs/performance.md."""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
import platform
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MB = 1_000_000
RESULTS = Path(__file__).resolve().parent / "results"


@dataclass
class Budget:
    id: str
    description: str
    ours: float | None
    baseline: float | None
    limit: float
    #: "ratio" (ours / baseline), or "seconds" / "x size" / "MB" (ours vs limit)
    unit: str = "ratio"
    note: str = ""

    @property
    def value(self) -> float | None:
        if self.ours is None:
            return None
        if self.unit == "ratio":
            return self.ours / self.baseline if self.baseline else None
        return self.ours

    @property
    def result(self) -> str:
        if self.value is None:
            return "SKIP"
        return "PASS" if self.value <= self.limit else "MISS"

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "description": self.description,
            "ours": self.ours,
            "baseline": self.baseline,
            "value": self.value,
            "limit": self.limit,
            "unit": self.unit,
            "result": self.result,
            "note": self.note,
        }


def fmt_seconds(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.3f} s" if value >= 0.1 else f"{value * 1000:.1f} ms"


def machine(env: dict[str, str]) -> dict[str, Any]:
    """The facts ``latest.json`` records about the machine and the packages measured."""

    def version(dist: str) -> str | None:
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            return None

    cpu_model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    mem = 0
    with contextlib.suppress(OSError, ValueError, IndexError):
        mem = int(Path("/proc/meminfo").read_text().split()[1]) * 1024
    git_version = subprocess.run(
        ["git", "--version"], env=env, capture_output=True, text=True, check=True
    ).stdout.strip()
    return {
        "host": socket.gethostname(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu_model": cpu_model,
        "memory_bytes": mem,
        "python": platform.python_version(),
        "git": git_version,
        "packages": {
            d: version(d)
            for d in (
                "jupyterlab-repro",
                "jupyter_server",
                "nbformat",
                "nbconvert",
                "nbstripout",
                "mlflow-skinny",
            )
        },
    }


def machine_line() -> str:
    """The one line ``reproduce.json`` records about the machine."""
    return f"{os.cpu_count()} CPUs, {platform.platform()}, Python {platform.python_version()}"


def budget_row(b: dict[str, Any]) -> str:
    """One row of ``latest.md``'s budget table (the note follows the description)."""
    value = b["value"]
    if b["unit"] == "ratio":
        measured = (
            f"{value:.3f}× ({fmt_seconds(b['ours'])} vs {fmt_seconds(b['baseline'])})"
            if value is not None
            else "–"
        )
        limit = f"≤ {b['limit']:g}×"
    elif b["unit"] == "seconds":
        measured = fmt_seconds(value)
        limit = f"≤ {b['limit'] * 1000:g} ms"
    elif b["unit"] == "MB":
        measured = f"{value:.2f} MB" if value is not None else "–"
        limit = f"≤ {b['limit']:g} MB"
    else:
        measured = f"{value:.2f}× file size" if value is not None else "–"
        limit = f"≤ {b['limit']:g}×"
    note = f" — {b['note']}" if b["note"] else ""
    return f"| {b['description']}{note} | {measured} | {limit} | **{b['result']}** |"


def budget_row_fine(b: dict[str, Any]) -> str:
    """One row of ``reproduce.md``'s budget table (times under 1 ms in µs, no note)."""
    if b["unit"] == "ratio":
        measured = (
            f"{b['value']:.3f}× ({fmt_seconds(b['ours'])} vs {fmt_seconds(b['baseline'])})"
            if b["value"] is not None
            else "-"
        )
        limit = f"≤ {b['limit']:g}×"
    elif b["ours"] is not None and b["ours"] < 0.001:
        measured = f"{b['ours'] * 1e6:.0f} µs"
        limit = f"≤ {b['limit'] * 1000:g} ms"
    else:
        measured = fmt_seconds(b["ours"]) if b["ours"] is not None else "-"
        limit = f"≤ {b['limit'] * 1000:g} ms"
    return f"| {b['description']} | {measured} | {limit} | **{b['result']}** |"
