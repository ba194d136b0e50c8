"""What a kernel executed → the notebook as executed (matching, placement, order)."""

from __future__ import annotations

from typing import Any

import pytest

from jupyterlab_repro.runs.executed_cells import (
    ExecutedCells,
    Execution,
    as_executed,
    compact_order,
    parse_order,
    ran_out_of_order,
)


def nb(*sources: str, ids: bool = True, minor: int = 5) -> dict[str, Any]:
    cells = []
    for i, src in enumerate(sources):
        cell: dict[str, Any] = {
            "cell_type": "markdown" if src.startswith("#") else "code",
            "metadata": {},
            "source": src,
        }
        if cell["cell_type"] == "code":
            cell.update(outputs=[], execution_count=None)
        if ids:
            cell["id"] = f"c{i}"
        cells.append(cell)
    return {"nbformat": 4, "nbformat_minor": minor, "metadata": {}, "cells": cells}


def sources(notebook: dict[str, Any]) -> list[str]:
    return [c["source"] for c in notebook["cells"]]


def run(*items: tuple[str | None, str], history: int = 0) -> list[Execution]:
    """Executions in order; the first ``history`` ones came from IPython's history."""
    return [
        Execution(seq, cell_id, src, from_history=seq <= history)
        for seq, (cell_id, src) in enumerate(items, start=1)
    ]


def test_saved_cells_run_as_saved_change_nothing() -> None:
    notebook = nb("a = 1", "# title", "print(a)")
    report = as_executed(notebook, run(("c0", "a = 1"), ("c2", "print(a)")))
    assert not report.unsaved and report.order == [1, 3] and not report.out_of_order
    assert sources(notebook) == ["a = 1", "# title", "print(a)"]


def test_an_unsaved_edit_replaces_the_saved_source() -> None:
    notebook = nb("seed = 42", "print(seed)")
    report = as_executed(notebook, run(("c0", "seed = 7"), ("c1", "print(seed)")))
    assert report.replaced == 1 and report.unsaved
    assert sources(notebook) == ["seed = 7", "print(seed)"]


def test_the_latest_run_of_a_cell_wins() -> None:
    notebook = nb("x = 1")
    as_executed(notebook, run(("c0", "x = 2"), ("c0", "x = 3")))
    assert sources(notebook) == ["x = 3"]


def test_cells_not_in_the_file_follow_the_cell_that_ran_before_them() -> None:
    notebook = nb("a = 1", "b = 2", "c = 3")
    report = as_executed(
        notebook,
        run(("c0", "a = 1"), ("new", "extra = 1"), ("c1", "b = 2"), ("gone", "z = 9")),
    )
    assert sources(notebook) == ["a = 1", "extra = 1", "b = 2", "z = 9", "c = 3"]
    assert report.added == 2 and report.order == [1, 2, 3, 4]
    ids = [c.get("id") for c in notebook["cells"]]
    assert ids == ["c0", "new", "c1", "gone", "c2"]


def test_an_unsaved_cell_run_several_times_is_added_once_with_its_latest_source() -> None:
    notebook = nb("a = 1")
    as_executed(notebook, run(("c0", "a = 1"), ("n", "draft"), ("n", "final version")))
    assert sources(notebook) == ["a = 1", "final version"]


def test_out_of_order_runs_are_recorded() -> None:
    notebook = nb("a = 1", "b = a + 1", "print(b)")
    report = as_executed(notebook, run(("c0", "a = 1"), ("c2", "print(b)"), ("c1", "b = a + 1")))
    assert report.order == [1, 3, 2] and report.out_of_order
    assert compact_order(report.order) == "1,3,2"


def test_history_without_ids_matches_saved_cells_by_source() -> None:
    """Cells run before ``import mlflow`` come from IPython's history, without ids."""
    notebook = nb("import numpy as np", "seed = 42", "import mlflow")
    report = as_executed(
        notebook,
        run((None, "import numpy as np"), (None, "seed = 7"), ("c2", "import mlflow"), history=2),
    )
    assert sources(notebook) == ["import numpy as np", "seed = 7", "import mlflow"]
    assert report.replaced == 1 and report.order == [1, 2, 3]


def test_console_input_is_not_the_notebook() -> None:
    """Once the front end sends cell ids, input without one came from elsewhere."""
    notebook = nb("print(lr)")
    report = as_executed(notebook, run(("c0", "print(lr)"), (None, "print(lr * 3)")))
    assert not report.unsaved and sources(notebook) == ["print(lr)"]


def test_a_front_end_that_sends_no_ids_still_matches_by_source() -> None:
    notebook = nb("seed = 42", "print(seed)", ids=False, minor=4)
    report = as_executed(notebook, run((None, "seed = 7"), (None, "print(seed)")))
    assert sources(notebook) == ["seed = 7", "print(seed)"] and report.replaced == 1
    assert all("id" not in c for c in notebook["cells"])


def test_unmatched_input_without_an_id_is_left_out() -> None:
    notebook = nb("a = 1")
    report = as_executed(notebook, run(("c0", "a = 1"), (None, "%whos"), history=0))
    assert not report.unsaved and len(notebook["cells"]) == 1


def test_new_cells_get_ids_only_from_nbformat_4_5() -> None:
    old = nb("a = 1", ids=False, minor=4)
    as_executed(old, run(("x", "b = 2")))
    assert "id" not in old["cells"][-1]
    new = nb("a = 1")
    as_executed(new, run(("not a valid id!", "b = 2")))
    assert new["cells"][-1]["id"].startswith("repro-")


def test_an_empty_notebook_gets_the_cells_that_ran() -> None:
    notebook = nb()
    report = as_executed(notebook, run(("a", "x = 1"), ("b", "y = 2")))
    assert sources(notebook) == ["x = 1", "y = 2"] and report.order == [1, 2]


def test_nbformat_3_is_left_as_it_is() -> None:
    old = {"nbformat": 3, "nbformat_minor": 0, "worksheets": [{"cells": []}], "metadata": {}}
    report = as_executed(old, run(("a", "x = 1")))
    assert not report.unsaved and old["worksheets"] == [{"cells": []}]


@pytest.mark.parametrize(
    ("order", "text"),
    [([], ""), ([1], "1"), ([1, 2], "1,2"), ([1, 2, 3], "1-3"), ([3, 1, 2, 3, 4], "3,1-4")],
)
def test_compact_order(order: list[int], text: str) -> None:
    assert compact_order(order) == text


def test_a_real_shell_records_cells_with_their_ids() -> None:
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    try:
        shell.run_cell("before = 1", store_history=True)
        recorder = ExecutedCells(shell)
        shell.run_cell("after = 2", store_history=True, cell_id="cellA")
        shell.run_cell("after = 3", store_history=True, cell_id="cellA")
        shell.run_cell("silent = 1", silent=True)
        found = [(e.cell_id, e.source, e.from_history) for e in recorder.executions()]
        assert (None, "before = 1", True) in found
        assert ("cellA", "after = 3", False) in found
        assert not any(src == "silent = 1" for _, src, _ in found)
        digest = recorder.digest()
        shell.run_cell("x = 0", store_history=True, cell_id="cellB")
        assert recorder.digest() != digest
    finally:
        InteractiveShell.clear_instance()


@pytest.mark.parametrize(
    ("order", "flagged"),
    [
        ([], False),
        ([1, 2, 3], False),
        ([1, 3, 2], True),  # cell 3 ran before cell 2
        ([1, 4, 2, 3], True),  # cell 2 ran again after cell 4
        ([5, 6, 1, 2, 3, 4], False),  # Run All again: 5 and 6 ran in the earlier pass
        ([1, 2, 3, 6, 7, 4, 5], True),  # 6 and 7 ran after cell 1 of this pass, before 4
        ([2], False),
    ],
)
def test_out_of_order_leaves_out_an_earlier_pass_below(order: list[int], flagged: bool) -> None:
    assert ran_out_of_order(order) is flagged
    assert parse_order(compact_order(order)) == (order or None)


@pytest.mark.parametrize("text", ["", "x", "1,a", "3-", "1-2-3", "1-99999999"])
def test_an_order_tag_that_is_not_ours_says_nothing(text: str) -> None:
    assert parse_order(text) is None
