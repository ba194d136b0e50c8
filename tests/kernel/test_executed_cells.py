"""What a kernel executed → the notebook as executed (matching, placement, order)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from jupyterlab_repro.kernel import executed_cells
from jupyterlab_repro.kernel.executed_cells import ExecutedCells, Execution, as_executed
from jupyterlab_repro.notebook.clean import parse_for_clean
from jupyterlab_repro.tags import compact_order, parse_order, ran_out_of_order

_CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
#: The corpus's valid notebooks (the malformed ones never reach a kernel).
CORPUS_VALID = sorted(
    p.relative_to(_CORPUS).as_posix()
    for p in [*_CORPUS.glob("*.ipynb"), *_CORPUS.glob("names/*.ipynb")]
) or ["(corpus missing)"]


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


def test_history_without_trailing_newlines_is_what_was_saved() -> None:
    """IPython's history strips a cell's trailing newlines: that is not an unsaved edit."""
    notebook = nb("import numpy as np\n", "seed = 42\n\n", "x = 1", "import mlflow\n")
    report = as_executed(
        notebook,
        run(
            (None, "import numpy as np"),
            (None, "seed = 42"),
            (None, "x = 1"),
            ("c3", "import mlflow"),
            history=4,
        ),
    )
    assert not report.unsaved and report.order == [1, 2, 3, 4]
    assert sources(notebook) == [
        "import numpy as np\n",
        "seed = 42\n\n",
        "x = 1",
        "import mlflow\n",
    ]


def test_what_the_front_end_sent_is_compared_exactly() -> None:
    """A cell id means the source came from the browser as typed: a new last line is an edit."""
    notebook = nb("seed = 42")
    report = as_executed(notebook, run(("c0", "seed = 42\nprint(seed)")))
    assert report.replaced == 1 and sources(notebook) == ["seed = 42\nprint(seed)"]
    edited = nb("seed = 42\n")
    assert as_executed(edited, run((None, "seed = 7"), history=1)).replaced == 1


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


def test_nbformat_3_records_unsaved_edits_and_new_cells() -> None:
    """JupyterLab shows a version 3 file as 4 until it is saved: the kernel runs that."""
    cells = [
        {"cell_type": "code", "input": "seed = 42", "language": "python", "outputs": []},
        {"cell_type": "markdown", "source": "# notes"},
        {"cell_type": "code", "input": "print(seed)", "language": "python", "outputs": []},
    ]
    old = {"nbformat": 3, "nbformat_minor": 0, "worksheets": [{"cells": cells}], "metadata": {}}
    report = as_executed(old, run(("a", "seed = 7"), ("b", "x = 1"), ("c", "print(seed)")))
    assert report.replaced == 1 and report.added == 1 and report.order == [1, 2, 4]
    sheet = old["worksheets"][0]["cells"]  # type: ignore[index]
    assert [c.get("input", c.get("source")) for c in sheet] == [
        "seed = 7",
        "x = 1",
        "# notes",
        "print(seed)",
    ]
    assert sheet[1]["cell_type"] == "code" and "source" not in sheet[1] and "id" not in sheet[1]
    assert "cells" not in old


@pytest.mark.parametrize("shape", [{}, {"worksheets": []}, {"worksheets": [{"cells": 3}]}])
def test_a_version_3_file_without_cells_is_left_as_it_is(shape: dict[str, Any]) -> None:
    old = {"nbformat": 3, "nbformat_minor": 0, "metadata": {}, **shape}
    before = dict(old)
    assert not as_executed(old, run(("a", "x = 1"))).unsaved and old == before


def test_a_file_without_ids_takes_the_labs_ids_by_source() -> None:
    """Before 4.5 (or unsaved since the lab gave its cells ids) the ids match nothing saved."""
    notebook = nb("import numpy as np", "seed = 42", "train(seed)", ids=False, minor=4)
    report = as_executed(
        notebook,
        run(
            ("L0", "import numpy as np"),
            ("L1", "seed = 1"),  # an older run of the cell, since edited and saved ...
            ("L1", "seed = 42"),
            ("L2", "train(seed)"),
            ("L1", "seed = 7"),  # ... and edited again, not saved
            ("L3", "evaluate()"),  # a cell not saved yet
        ),
    )
    # The new cell goes after the cell that ran before it: seed's latest run.
    assert sources(notebook) == ["import numpy as np", "seed = 7", "evaluate()", "train(seed)"]
    assert report.replaced == 1 and report.added == 1
    assert report.order == [1, 4, 2, 3]


def test_past_the_similarity_budget_an_edit_is_a_new_cell(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Hundreds of unmatched cells cost a bounded time: then an edit is not looked for."""
    monkeypatch.setattr(executed_cells, "SIMILARITY_BUDGET", -1.0)
    notebook = nb("seed = 42", "train(seed)", ids=False, minor=4)
    report = as_executed(notebook, run(("L0", "seed = 7"), ("L1", "train(seed)")))
    assert report.added == 1 and report.replaced == 0
    # The new cell ran first: it goes after the last saved cell.
    assert sources(notebook) == ["seed = 42", "train(seed)", "seed = 7"]


def test_very_long_sources_match_only_when_equal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(executed_cells, "SIMILAR_MAX_CHARS", 10)
    notebook = nb("data = [1, 2, 3, 4, 5]", ids=False, minor=4)
    report = as_executed(notebook, run(("L0", "data = [1, 2, 3, 4, 6]")))
    assert report.added == 1 and report.replaced == 0
    short = nb("seed = 42", ids=False, minor=4)
    assert as_executed(short, run(("L0", "seed = 7"))).replaced == 1


def test_with_ids_in_the_file_an_unknown_id_is_a_new_cell_even_with_an_equal_source() -> None:
    """A pasted copy of a saved cell, not saved yet, is a cell of its own."""
    notebook = nb("x = 1", "y = 2")
    report = as_executed(notebook, run(("c0", "x = 1"), ("paste", "x = 1"), ("c1", "y = 2")))
    assert sources(notebook) == ["x = 1", "x = 1", "y = 2"] and report.added == 1
    assert [c["id"] for c in notebook["cells"]] == ["c0", "paste", "c1"]


def test_equal_cells_run_top_to_bottom_keep_their_places() -> None:
    notebook = nb("a = 1", "plt.show()", "b = 2", "plt.show()", ids=False, minor=4)
    for executions in (
        run(*[(f"L{i}", src) for i, src in enumerate(sources(notebook))]),
        run(*[(None, src) for src in sources(notebook)], history=4),
    ):
        copy = nb("a = 1", "plt.show()", "b = 2", "plt.show()", ids=False, minor=4)
        report = as_executed(copy, executions)
        assert not report.unsaved and report.order == [1, 2, 3, 4] and not report.out_of_order


# --- the shared corpus: notebooks written by others, nbformat 3.0-4.5 -------------------------


def _corpus_cells(notebook: dict[str, Any]) -> tuple[list[dict[str, Any]], str]:
    if notebook["nbformat"] == 3:
        return notebook["worksheets"][0]["cells"], "input"
    return notebook["cells"], "source"


def _text(cell: dict[str, Any], key: str) -> str:
    value = cell.get(key, "")
    return "".join(value) if isinstance(value, list) else value


@pytest.mark.parametrize("name", CORPUS_VALID)
def test_corpus_notebooks_run_as_the_lab_runs_them(
    name: str, corpus_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run All as saved, then an unsaved edit and a new cell, on every valid corpus notebook."""
    # What is matched, not how fast: a loaded machine must not run out of the time budget.
    monkeypatch.setattr(executed_cells, "SIMILARITY_BUDGET", 60.0)
    parsed = parse_for_clean((corpus_dir / name).read_bytes())
    cells, key = _corpus_cells(parsed)
    code = [i for i, c in enumerate(cells) if c.get("cell_type") == "code"]
    # The lab's ids: the file's (4.5), else ones it made up when it opened the file.
    lab_ids = {i: cells[i].get("id") or f"lab-{i}" for i in code}
    saved = [_text(c, key) for c in cells]

    # 1. Run All as saved, from the lab, and from IPython's history (trailing newlines gone).
    for executions in (
        run(*[(lab_ids[i], saved[i]) for i in code]),
        run(*[(None, saved[i].rstrip("\n")) for i in code], history=len(code)),
    ):
        notebook = copy.deepcopy(parsed)
        report = as_executed(notebook, executions)
        assert not report.unsaved, name
        assert [_text(c, key) for c in _corpus_cells(notebook)[0]] == saved
        assert report.order == sorted(report.order) and not report.out_of_order
        assert len(report.order) == len(code)  # every cell ran once, and was found

    # 2. The longest code cell edited without saving (a small edit, as people make them:
    # a file without ids matches it by similarity), a new cell after the first one.
    notebook = copy.deepcopy(parsed)
    items: list[tuple[str | None, str]] = [(lab_ids[i], saved[i]) for i in code]
    target = max(code, key=lambda i: len(saved[i]), default=None)
    edit = f"{saved[target]}  # v2" if target is not None else ""
    if target is not None:
        items[code.index(target)] = (lab_ids[target], edit)
        items.insert(1, ("brand-new", "extra = 1  # not saved"))
    else:
        items = [("brand-new", "extra = 1  # not saved")]
    report = as_executed(notebook, run(*items))
    after = [_text(c, key) for c in _corpus_cells(notebook)[0]]
    assert report.added == 1 and report.replaced == (target is not None), name
    assert len(after) == len(saved) + 1 and "extra = 1  # not saved" in after
    if target is not None:
        assert after[code[0] + 1] == "extra = 1  # not saved"
        assert after[target + (target > code[0])] == edit
        assert saved[target] not in after or saved.count(saved[target]) > 1


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
