"""``export``: ``export_notebook()`` in-process and ``jupyter-repro export`` vs
``jupyter nbconvert --to script`` (nbconvert's ``ScriptExporter`` in-process for information)."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .harness import Bench, Feature
from .results import MB, Budget, fmt_seconds
from .server import PROJECT
from .timing import log, profile, rounds, summaries, timed


def run(bench: Bench) -> None:
    try:
        from jupyterlab_repro.export.exporter import export_notebook
    except Exception as exc:  # the module is optional while it is being written
        bench.skip("export", f"jupyterlab_repro.export.exporter not available: {exc!r}")
        return
    repo = bench.small_repo()
    bench.reset(repo)
    folder = repo / "export"
    folder.mkdir()
    out_dir = bench.work / "export-out"
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir()
    cli_ok, cli_note = _cli_available(bench)
    section: dict[str, Any] = {"cases": [], "cli_available": cli_ok, "cli_note": cli_note}
    bench.sections["export"] = section
    sizes = [1, 50] if bench.quick else [1, 50, 200]
    for size in sizes:
        nbs = bench.notebooks(size)
        nb = folder / f"train_{size}mb.ipynb"
        shutil.copyfile(nbs["edited"], nb)
        ours_out = out_dir / f"ours_{size}mb.py"
        cli_out = out_dir / f"cli_{size}mb.py"
        log(f"export: {size} MB")

        def ours(nb: Path = nb, ours_out: Path = ours_out) -> float:
            ours_out.unlink(missing_ok=True)
            start = time.perf_counter()
            result = export_notebook(nb, ours_out, "all")
            seconds = time.perf_counter() - start
            if not result.written:
                raise RuntimeError(f"export_notebook wrote nothing: {result}")
            return seconds

        def nbconvert_cli(nb: Path = nb, size: int = size) -> float:
            argv = [str(bench.bin / "jupyter"), "nbconvert", "--log-level=WARN"]
            argv += ["--to", "script", str(nb), "--output-dir", str(out_dir)]
            argv += ["--output", f"nbconvert_{size}mb"]
            return timed(argv, repo, bench.env).seconds

        def nbconvert_api(nb: Path = nb, size: int = size) -> float:
            from nbconvert.exporters import ScriptExporter

            start = time.perf_counter()
            body, resources = ScriptExporter().from_filename(str(nb))
            target = out_dir / f"api_{size}mb{resources.get('output_extension', '.py')}"
            target.write_text(body, encoding="utf-8")
            return time.perf_counter() - start

        def cli(nb: Path = nb, cli_out: Path = cli_out) -> float:
            cli_out.unlink(missing_ok=True)
            argv = [str(bench.bin / "jupyter-repro"), "export", str(nb)]
            return timed([*argv, "-o", str(cli_out), "--cells", "all"], repo, bench.env).seconds

        tools: dict[str, Callable[[], float]] = {
            "ours_inprocess": ours,
            "nbconvert_cli": nbconvert_cli,
            "nbconvert_inprocess": nbconvert_api,
        }
        if cli_ok and size >= 50:
            tools["ours_cli"] = cli
        samples = rounds(tools, bench.reps(2 if size >= 200 or bench.quick else 3))
        stats, med = summaries(samples)
        section["cases"].append(
            {
                "size_mb": size,
                "file_bytes": nb.stat().st_size,
                "seconds": stats,
                "ratios_vs_nbconvert_cli": {t: med[t] / med["nbconvert_cli"] for t in med},
                "ratios_vs_nbconvert_inprocess": {
                    t: med[t] / med["nbconvert_inprocess"] for t in med
                },
                "output_bytes": {
                    "ours": ours_out.stat().st_size,
                    "nbconvert": (out_dir / f"nbconvert_{size}mb.py").stat().st_size,
                },
            }
        )
        if size == 50 and not bench.args.no_profile:
            section["profiles"] = {
                "export_notebook() at 50 MB": profile(lambda: ours(nb, ours_out))  # noqa: B023
            }
        if size <= 50:
            bench.budgets.append(
                Budget(
                    f"export.inprocess.{size}mb",
                    f"export_notebook() in-process, {size} MB / jupyter nbconvert --to script",
                    med["ours_inprocess"],
                    med["nbconvert_cli"],
                    0.1,
                    note="vs nbconvert's ScriptExporter in-process: "
                    f"{med['ours_inprocess'] / med['nbconvert_inprocess']:.3f}x",
                )
            )
        if size >= 50:
            bench.budgets.append(
                Budget(
                    f"export.cli.{size}mb",
                    f"jupyter-repro export --cells all, {size} MB / jupyter nbconvert --to script",
                    med.get("ours_cli"),
                    med["nbconvert_cli"],
                    0.25,
                    note="" if cli_ok else f"CLI not available: {cli_note}",
                )
            )


def _cli_available(bench: Bench) -> tuple[bool, str]:
    argv = [str(bench.bin / "jupyter-repro"), "export", "--help"]
    proc = timed(argv, PROJECT, bench.env, check=False)
    if proc.returncode != 0:
        return False, "`jupyter-repro export` does not exist yet"
    if "--cells" not in proc.stdout or "-o" not in proc.stdout:
        return False, "`jupyter-repro export` has no -o/--cells options"
    return True, ""


def markdown(export: dict[str, Any]) -> list[str]:
    if not export.get("cases"):
        return []
    lines = [
        "",
        "## Export (median seconds)",
        "",
        "| Size | ours in-process | ours CLI | nbconvert CLI | nbconvert in-process |",
        "|---|---|---|---|---|",
    ]
    for c in export["cases"]:
        s = c["seconds"]
        cells = [
            fmt_seconds(s[t]["median"]) if t in s else "–"
            for t in ("ours_inprocess", "ours_cli", "nbconvert_cli", "nbconvert_inprocess")
        ]
        lines.append(f"| {c['file_bytes'] / MB:.1f} MB | " + " | ".join(cells) + " |")
    if not export.get("cli_available"):
        lines += ["", f"Our export CLI was not measured: {export.get('cli_note')}."]
    return lines


FEATURE = Feature("export", run, markdown=markdown, own_time=True)
