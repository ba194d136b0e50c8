"""Runs record the code that actually ran: unsaved edits, cells run then deleted, the order.

Real kernels started by a real Jupyter server; cells are executed as
JupyterLab executes them (``execute_request`` with ``metadata.cellId``), and
the notebook on disk is what JupyterLab last saved, which may lag behind.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from _kernels import (
    Fetch,
    Kernel,
    cleaned,
    git,
    needs_plugin,
    notebook_text,
    repo_state,
    run_tags,
    start_kernel,
)

from jupyterlab_repro.tags import parse_order, ran_out_of_order

pytestmark = pytest.mark.mlflow

#: The saved notebook: three cells with ids c0, c1, c2.
SAVED = ["import mlflow", "seed = 42", "print(seed)"]


async def _setup(jp_fetch: Fetch, jp_serverapp: Any, clients: list[Any], root: Path, tmp: Path):
    repo = root / "proj"
    repo.mkdir()
    git(repo, "init", "--quiet", "--initial-branch=main")
    nb = repo / "train.ipynb"
    nb.write_text(cleaned(notebook_text(SAVED)), encoding="utf-8")
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "-m", "feat: train")
    db = tmp / "mlflow.db"
    kernel = await start_kernel(jp_fetch, jp_serverapp, clients, "proj/train.ipynb")
    return repo, nb, db, kernel


def _run_cell(db: Path) -> str:
    """A cell that starts a run and prints its id, as a user's would."""
    return (
        "import mlflow\n"
        f"mlflow.set_tracking_uri({f'sqlite:///{db}'!r})\n"
        "with mlflow.start_run() as _run:\n"
        "    pass\n"
        "print(_run.info.run_id)\n"
    )


async def _start_run(kernel: Kernel, db: Path, cell_id: str = "run") -> dict[str, str]:
    """A cell (not saved in the notebook) that starts a run, as a user's would."""
    code = _run_cell(db)
    out, _ = await kernel.run(code, cell_id=cell_id)
    tags, _ = run_tags(db, out)
    return tags


def _snapshot_cells(repo: Path, snapshot: str) -> list[tuple[str | None, str]]:
    data = git(repo, "show", f"{snapshot}:train.ipynb")
    nb = json.loads(data)
    return [(c.get("id"), "".join(c["source"])) for c in nb["cells"]]


@needs_plugin
async def test_an_unsaved_edit_is_what_the_snapshot_holds(
    jp_fetch: Fetch, jp_serverapp: Any, jp_root_dir: Path, tmp_path: Path, clients: list[Any]
) -> None:
    repo, nb, db, kernel = await _setup(jp_fetch, jp_serverapp, clients, jp_root_dir, tmp_path)
    await kernel.run(SAVED[0], cell_id="c0")
    await kernel.run("seed = 7", cell_id="c1")  # edited in the browser, not saved
    out, _ = await kernel.run(SAVED[2], cell_id="c2")
    assert out.strip() == "7"
    before = repo_state(repo)
    tags = await _start_run(kernel, db)
    assert tags["repro.unsaved"] == "true"
    assert tags["repro.git.dirty"] == "true"
    cells = _snapshot_cells(repo, tags["repro.snapshot"])
    assert ("c1", "seed = 7") in cells and ("c1", "seed = 42") not in cells
    assert repo_state(repo) == before  # HEAD, branch, index and the saved file untouched
    assert "seed = 42" in nb.read_text(encoding="utf-8")


@needs_plugin
async def test_a_cell_run_and_then_deleted_is_in_the_snapshot(
    jp_fetch: Fetch, jp_serverapp: Any, jp_root_dir: Path, tmp_path: Path, clients: list[Any]
) -> None:
    repo, nb, db, kernel = await _setup(jp_fetch, jp_serverapp, clients, jp_root_dir, tmp_path)
    await kernel.run(SAVED[0], cell_id="c0")
    await kernel.run(SAVED[1], cell_id="c1")
    await kernel.run("seed = seed + 1  # a cell since deleted", cell_id="gone")
    await kernel.run(SAVED[2], cell_id="c2")
    tags = await _start_run(kernel, db)
    assert tags["repro.unsaved"] == "true"
    cells = _snapshot_cells(repo, tags["repro.snapshot"])
    ids = [cid for cid, _ in cells]
    # The deleted cell sits after the cell that ran before it, the run cell after c2.
    assert ids[:4] == ["c0", "c1", "gone", "c2"], cells
    assert tags["repro.execution_order"] == "1-5"


@needs_plugin
async def test_saved_and_clean_runs_have_no_snapshot_and_no_flag(
    jp_fetch: Fetch, jp_serverapp: Any, jp_root_dir: Path, tmp_path: Path, clients: list[Any]
) -> None:
    repo, nb, db, kernel = await _setup(jp_fetch, jp_serverapp, clients, jp_root_dir, tmp_path)
    for i, source in enumerate(SAVED):
        await kernel.run(source, cell_id=f"c{i}")
    # The cell that starts the run is saved too here: add it to the notebook and commit.
    code = _run_cell(db)
    nb.write_text(cleaned(notebook_text([*SAVED, code])), encoding="utf-8")
    git(repo, "commit", "--quiet", "-am", "feat: run cell")
    out, _ = await kernel.run(code, cell_id="c3")
    tags, _ = run_tags(db, out)
    assert tags["repro.git.dirty"] == "false"
    assert "repro.snapshot" not in tags and "repro.unsaved" not in tags
    assert tags["repro.execution_order"] == "1-4"
    assert tags["mlflow.source.git.commit"] == git(repo, "rev-parse", "HEAD")


@needs_plugin
async def test_cells_run_before_mlflow_with_trailing_newlines_are_not_unsaved(
    jp_fetch: Fetch, jp_serverapp: Any, jp_root_dir: Path, tmp_path: Path, clients: list[Any]
) -> None:
    """Run before the plugin loads, cells come from IPython's history, which strips their
    trailing newlines; saved with them, they are still what ran."""
    repo = jp_root_dir / "proj"
    repo.mkdir()
    git(repo, "init", "--quiet", "--initial-branch=main")
    db = tmp_path / "mlflow.db"
    saved = ["seed = 42\n", "print(seed)\n\n", _run_cell(db)]
    (repo / "train.ipynb").write_text(cleaned(notebook_text(saved)), encoding="utf-8")
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "-m", "feat: train")
    kernel = await start_kernel(jp_fetch, jp_serverapp, clients, "proj/train.ipynb")
    await kernel.run(saved[0], cell_id="c0")
    await kernel.run(saved[1], cell_id="c1")
    out, _ = await kernel.run(saved[2], cell_id="c2")
    tags, _ = run_tags(db, out)
    assert tags["repro.git.dirty"] == "false", tags
    assert "repro.unsaved" not in tags and "repro.snapshot" not in tags
    assert tags["repro.execution_order"] == "1-3"


def _old_notebook(nbformat: int, sources: list[str]) -> str:
    """A notebook saved before cell ids (4.4) or in version 3, as many public ones are."""
    if nbformat == 3:
        cells = [
            {"cell_type": "code", "collapsed": False, "input": src, "language": "python",
             "metadata": {}, "outputs": []}
            for src in sources
        ]  # fmt: skip
        nb: dict[str, Any] = {
            "metadata": {"name": ""},
            "nbformat": 3,
            "nbformat_minor": 0,
            "worksheets": [{"cells": cells, "metadata": {}}],
        }
    else:
        cells = [
            {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
             "source": src}
            for src in sources
        ]  # fmt: skip
        nb = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 4}
    return json.dumps(nb, indent=1) + "\n"


@needs_plugin
@pytest.mark.parametrize("nbformat", [4, 3])
async def test_an_unsaved_edit_of_a_notebook_saved_before_cell_ids(
    jp_fetch: Fetch,
    jp_serverapp: Any,
    jp_root_dir: Path,
    tmp_path: Path,
    clients: list[Any],
    nbformat: int,
) -> None:
    """The lab gives the cells of an old file ids of its own: the edit still replaces its cell."""
    repo = jp_root_dir / "proj"
    repo.mkdir()
    git(repo, "init", "--quiet", "--initial-branch=main")
    (repo / "train.ipynb").write_text(_old_notebook(nbformat, SAVED), encoding="utf-8")
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "-m", "feat: train")
    db = tmp_path / "mlflow.db"
    kernel = await start_kernel(jp_fetch, jp_serverapp, clients, "proj/train.ipynb")
    ids = ["4f1c8e2a-0b1d", "9a7e5d3c-2f4b", "c3b2a190-8e7d"]  # the lab's, not in the file
    await kernel.run(SAVED[0], cell_id=ids[0])
    await kernel.run("seed = 7", cell_id=ids[1])  # edited in the browser, not saved
    await kernel.run(SAVED[2], cell_id=ids[2])
    tags = await _start_run(kernel, db)
    assert tags["repro.unsaved"] == "true", tags
    nb = json.loads(git(repo, "show", f"{tags['repro.snapshot']}:train.ipynb"))
    assert nb["nbformat"] == nbformat
    cells = nb["cells"] if nbformat == 4 else nb["worksheets"][0]["cells"]
    key = "source" if nbformat == 4 else "input"
    found = ["".join(c[key]) for c in cells]
    # Edited in place, not added beside the saved version; the run cell after the last one.
    assert found[:3] == ["import mlflow", "seed = 7", "print(seed)"], found
    assert len(found) == 4 and "seed = 42" not in found
    assert tags["repro.execution_order"] == "1-4"


@needs_plugin
async def test_out_of_order_execution_is_recorded(
    jp_fetch: Fetch, jp_serverapp: Any, jp_root_dir: Path, tmp_path: Path, clients: list[Any]
) -> None:
    repo, nb, db, kernel = await _setup(jp_fetch, jp_serverapp, clients, jp_root_dir, tmp_path)
    await kernel.run(SAVED[0], cell_id="c0")
    await kernel.run(SAVED[1], cell_id="c1")
    await kernel.run(SAVED[2], cell_id="c2")
    await kernel.run(SAVED[1], cell_id="c1")  # c1 ran again, after c2
    tags = await _start_run(kernel, db)
    # As executed: c0, c1, the unsaved run cell (placed after c1, which ran just
    # before it), c2. Last runs: c0 (1), c2 (4), c1 (2), the run cell (3).
    assert tags["repro.execution_order"] == "1,4,2,3"
    assert tags["repro.unsaved"] == "true"  # the run cell itself is not saved
    assert [cid for cid, _ in _snapshot_cells(repo, tags["repro.snapshot"])] == [
        "c0",
        "c1",
        "run",
        "c2",
    ]


@needs_plugin
async def test_a_sweep_of_runs_in_one_cell_reuses_one_snapshot(
    jp_fetch: Fetch, jp_serverapp: Any, jp_root_dir: Path, tmp_path: Path, clients: list[Any]
) -> None:
    repo, nb, db, kernel = await _setup(jp_fetch, jp_serverapp, clients, jp_root_dir, tmp_path)
    await kernel.run(SAVED[0], cell_id="c0")
    await kernel.run("seed = 7", cell_id="c1")
    code = (
        "import mlflow\n"
        f"mlflow.set_tracking_uri({f'sqlite:///{db}'!r})\n"
        "ids = []\n"
        "for lr in (0.1, 0.01, 0.001, 0.0001):\n"
        "    with mlflow.start_run() as _run:\n"
        "        mlflow.log_param('lr', lr)\n"
        "    ids.append(_run.info.run_id)\n"
        "print(' '.join(ids))\n"
    )
    out, _ = await kernel.run(code, cell_id="sweep")
    snapshots = {run_tags(db, run_id)[0]["repro.snapshot"] for run_id in out.split()}
    assert len(snapshots) == 1
    refs = git(repo, "for-each-ref", "--format=%(refname)", "refs/repro/snapshots/")
    assert len(refs.splitlines()) == 1
    # The next cell's run sees a change made meanwhile (the cache is scoped to one cell).
    nb.write_text(cleaned(notebook_text(["import mlflow", "seed = 1", "print(seed)"])), "utf-8")
    time.sleep(0.01)
    tags = await _start_run(kernel, db, cell_id="after")
    assert tags["repro.snapshot"] not in snapshots


@needs_plugin
async def test_run_all_again_after_a_saved_edit_is_neither_unsaved_nor_out_of_order(
    jp_fetch: Fetch, jp_serverapp: Any, jp_root_dir: Path, tmp_path: Path, clients: list[Any]
) -> None:
    """Run All, edit a cell, save, Run All again in the same kernel (the usual loop).

    When the second run starts, the cells below the one that starts it last
    ran in the first pass: that is not "out of order", and nothing unsaved ran.
    """
    repo, nb, db, kernel = await _setup(jp_fetch, jp_serverapp, clients, jp_root_dir, tmp_path)
    code = _run_cell(db)
    cells = ["import mlflow", "seed = 42", code, "print(seed)"]
    nb.write_text(cleaned(notebook_text(cells)), encoding="utf-8")
    git(repo, "commit", "--quiet", "-am", "feat: run cell")
    for i, source in enumerate(cells):
        out, _ = await kernel.run(source, cell_id=f"c{i}")
        if i == 2:
            first, _ = run_tags(db, out.strip())
    assert first["repro.git.dirty"] == "false"
    assert first["repro.execution_order"] == "1-3"

    cells[1] = "seed = 7"  # edited and saved, not committed
    nb.write_text(cleaned(notebook_text(cells)), encoding="utf-8")
    for i, source in enumerate(cells[:3]):
        out, _ = await kernel.run(source, cell_id=f"c{i}")
    second, _ = run_tags(db, out.strip())
    assert second["repro.git.dirty"] == "true"
    assert "repro.unsaved" not in second
    # c3 (4) last ran in the first pass; then 1-3 top to bottom.
    assert second["repro.execution_order"] == "4,1-3"
    assert not ran_out_of_order(parse_order(second["repro.execution_order"]) or [])
