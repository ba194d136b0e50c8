"""nbdiff: output-blind, cell-level diffs and the working-copy classification."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jupyterlab_repro.errors import NotebookInvalid
from jupyterlab_repro.notebook.clean import clean_text
from jupyterlab_repro.notebook.diff import classify, diff_notebooks, diff_texts


def _read(corpus_dir: Path, name: str) -> bytes:
    path = corpus_dir / name
    if not path.is_file():
        pytest.skip(f"{name} not in the corpus")
    return path.read_bytes()


def _nb(*cells: dict[str, Any], minor: int = 5, **metadata: Any) -> dict[str, Any]:
    return {"cells": list(cells), "metadata": metadata, "nbformat": 4, "nbformat_minor": minor}


def _cell(source: str, cid: str | None = None, ctype: str = "code", **meta: Any) -> dict[str, Any]:
    cell: dict[str, Any] = {"cell_type": ctype, "metadata": meta, "source": source}
    if ctype == "code":
        cell.update(outputs=[], execution_count=None)
    if cid is not None:
        cell["id"] = cid
    return cell


def _by_status(diff: Any) -> dict[str, list[tuple[int | None, int | None]]]:
    out: dict[str, list[tuple[int | None, int | None]]] = {}
    for cell in diff.cells:
        out.setdefault(cell.status, []).append((cell.old_index, cell.new_index))
    return out


BASE = _nb(
    _cell("import numpy as np", "imports"),
    _cell("# Title", "title", "markdown"),
    _cell("x = np.arange(10)\ny = x ** 2\nprint(y)", "compute"),
    _cell("plot(x, y)", "plot", tags=["figure"]),
    _cell("summary()", "summary"),
)


# --------------------------------------------------------------------------
# corpus pairs


def test_corpus_cellids_base_vs_local(corpus_dir: Path) -> None:
    base = _read(corpus_dir, "nbdime__cellids--base.ipynb")
    local = _read(corpus_dir, "nbdime__cellids--local.ipynb")
    diff = diff_texts(base, local)
    assert diff.match_method == "id"
    statuses = {(c.status, c.cell_id): c for c in diff.cells}
    modified = statuses[("modified", "c2c4a8f2")]
    assert (modified.old_index, modified.new_index) == (1, 1)
    assert modified.source_diff == ["@@ -1 +1 @@", "-x = 3", "+x = 5"]
    assert not modified.metadata_changed
    # different ids are different cells, however similar their sources
    assert {k for k in statuses if k[0] == "removed"} == {
        ("removed", None),
        ("removed", "base-A"),
        ("removed", "226e9ff8"),
    }
    assert {k for k in statuses if k[0] == "added"} == {
        ("added", "bfe12f52"),
        ("added", "local-A"),
        ("added", "226e3ff8"),
    }
    assert diff.summary()["unchanged"] == 4
    assert not diff.metadata_changed
    # outputs differ ("9" vs "25") but the diff is output-blind
    assert statuses[("unchanged", "0c3a036c")].source_diff == []


def test_corpus_mixed_conflicts_without_ids(corpus_dir: Path) -> None:
    one = _read(corpus_dir, "nbdime__mixed-conflicts--1.ipynb")
    two = _read(corpus_dir, "nbdime__mixed-conflicts--2.ipynb")
    diff = diff_texts(one, two)
    assert diff.match_method == "content"
    assert _by_status(diff) == {
        "modified": [(0, 0), (1, 1), (3, 3)],
        "unchanged": [(2, 2), (4, 4)],
    }
    third = diff.cells[3]
    assert third.metadata_changed == ["tags"]
    assert third.source_changed
    assert "-x = [1, 2, 3]" in third.source_diff and "+x = [1, 2, 5]" in third.source_diff
    assert "## cell 3 (code) modified [metadata: tags]" in diff.diff_text()


def test_corpus_notebook_against_itself_with_and_without_outputs(corpus_dir: Path) -> None:
    raw = _read(corpus_dir, "handson-ml3__03_classification.ipynb")
    head = clean_text(raw)[0]
    diff = diff_texts(head, raw)
    assert not diff.has_changes
    assert diff.diff_text() == "no changes (outputs ignored)\n"


def test_corpus_v3_notebook_diffs(corpus_dir: Path) -> None:
    raw = _read(corpus_dir, "nbformat__test3.ipynb")
    edited = raw.replace(b'"print(\\"hello\\")"', b'"print(\\"bye\\")"')
    assert edited != raw
    diff = diff_texts(raw, edited)
    [changed] = [c for c in diff.cells if c.status != "unchanged"]
    assert changed.status == "modified" and changed.cell_type == "code"
    assert changed.source_diff[1:] == ['-print("hello")', '+print("bye")']


# --------------------------------------------------------------------------
# handmade notebooks


def test_added_removed_moved_modified_by_id() -> None:
    new = _nb(
        _cell("import numpy as np\nimport pandas as pd", "imports"),
        _cell("summary()", "summary"),
        _cell("x = np.arange(10)\ny = x ** 2\nprint(y)", "compute"),
        _cell("plot(x, y)", "plot", tags=["figure", "keep-output"]),
        _cell("Fresh notes", "notes", "markdown"),
    )
    diff = diff_notebooks(BASE, new)
    assert diff.match_method == "id"
    assert _by_status(diff) == {
        "modified": [(0, 0), (3, 3)],
        "moved": [(4, 1)],
        "unchanged": [(2, 2)],
        "removed": [(1, None)],
        "added": [(None, 4)],
    }
    imports, plot = diff.cells[0], diff.cells[4]
    assert imports.source_diff == [
        "@@ -1 +1,2 @@",
        "-import numpy as np",
        "+import numpy as np",
        "+import pandas as pd",
    ]
    assert imports.source_changed and not imports.metadata_only
    assert plot.cell_id == "plot" and plot.metadata_only
    assert plot.metadata_changed == ["tags"] and plot.source_diff == []
    removed = next(c for c in diff.cells if c.status == "removed")
    assert removed.cell_type == "markdown" and removed.source_diff == ["-# Title"]
    added = next(c for c in diff.cells if c.status == "added")
    assert added.source_diff == ["+Fresh notes"]
    assert diff.summary() == {
        "added": 1,
        "removed": 1,
        "moved": 1,
        "modified": 2,
        "unchanged": 1,
        "metadata_only": 1,
    }


def test_diff_text_is_stable_and_readable() -> None:
    new = copy.deepcopy(BASE)
    new["cells"][2]["source"] = "x = np.arange(10)\ny = x ** 3\nprint(y)"
    new["cells"][3]["metadata"]["tags"] = []
    new["cells"].insert(0, _cell("%load_ext autoreload", "ext"))
    new["cells"].pop()
    text = diff_notebooks(BASE, new).diff_text()
    assert text == diff_notebooks(copy.deepcopy(BASE), copy.deepcopy(new)).diff_text()
    assert text == (
        "## cell 0 (code) added\n"
        "+%load_ext autoreload\n"
        "## cell 2 -> 3 (code) modified\n"
        "@@ -1,3 +1,3 @@\n"
        " x = np.arange(10)\n"
        "-y = x ** 2\n"
        "+y = x ** 3\n"
        " print(y)\n"
        "## cell 3 -> 4 (code) modified [metadata only; metadata: tags]\n"
        "## cell 4 (code) removed\n"
        "-summary()\n"
    )


def test_moved_only_when_order_changes_not_when_shifted() -> None:
    shifted = copy.deepcopy(BASE)
    shifted["cells"].insert(2, _cell("new()", "new"))
    assert _by_status(diff_notebooks(BASE, shifted)) == {
        "unchanged": [(0, 0), (1, 1), (2, 3), (3, 4), (4, 5)],
        "added": [(None, 2)],
    }
    swapped = copy.deepcopy(BASE)
    cells = swapped["cells"]
    cells[0], cells[4] = cells[4], cells[0]
    statuses = _by_status(diff_notebooks(BASE, swapped))
    assert len(statuses["moved"]) == 2
    assert len(statuses["unchanged"]) == 3
    text = diff_notebooks(BASE, swapped).diff_text()
    assert "## cell 4 -> 0 (code) moved" in text


def test_cell_type_change() -> None:
    new = copy.deepcopy(BASE)
    new["cells"][1] = _cell("# Title", "title", "raw")
    [changed] = [c for c in diff_notebooks(BASE, new).cells if c.status != "unchanged"]
    assert changed.status == "modified" and changed.old_cell_type == "markdown"
    assert changed.cell_type == "raw" and not changed.source_changed
    assert "(markdown -> raw) modified" in diff_notebooks(BASE, new).diff_text()


def test_id_less_notebooks_match_by_content() -> None:
    old = _nb(*[{k: v for k, v in c.items() if k != "id"} for c in BASE["cells"]], minor=4)
    new = copy.deepcopy(old)
    new["cells"][2]["source"] = "x = np.arange(20)\ny = x ** 2\nprint(y)"
    new["cells"].insert(1, _cell("totally different words here"))
    new["cells"][4], new["cells"][5] = new["cells"][5], new["cells"][4]
    diff = diff_notebooks(old, new)
    assert diff.match_method == "content"
    statuses = _by_status(diff)
    assert statuses["added"] == [(None, 1)]
    assert statuses["modified"] == [(2, 3)]
    assert "removed" not in statuses
    assert len(statuses["moved"]) == 1
    assert diff.cells[3].source_diff[1:3] == ["-x = np.arange(10)", "+x = np.arange(20)"]


def test_dissimilar_id_less_cells_are_removed_and_added() -> None:
    old = _nb(_cell("alpha = 1"), minor=4)
    new = _nb(_cell("print('completely unrelated text')"), minor=4)
    assert _by_status(diff_notebooks(old, new)) == {"added": [(None, 0)], "removed": [(0, None)]}


def test_ids_added_later_still_match_by_content() -> None:
    old = _nb(_cell("a = 1"), _cell("b = 2"), minor=4)
    new = _nb(_cell("a = 1", "id-a"), _cell("b = 3", "id-b"), minor=5)
    diff = diff_notebooks(old, new)
    assert _by_status(diff) == {"unchanged": [(0, 0)], "modified": [(1, 1)]}
    assert diff.format_change == "4.4 -> 4.5"
    assert diff.diff_text().startswith("nbformat changed: 4.4 -> 4.5\n")


def test_notebook_metadata_changes_summarized() -> None:
    old = _nb(_cell("a", "a"), kernelspec={"name": "python3", "display_name": "Python 3"})
    new = _nb(
        _cell("a", "a"),
        kernelspec={"name": "torch", "display_name": "Python 3"},
        authors=[{"name": "A"}],
    )
    diff = diff_notebooks(old, new)
    assert diff.metadata_changed == ["authors", "kernelspec.name"]
    assert diff.has_changes and diff.summary()["unchanged"] == 1
    assert "notebook metadata changed: authors, kernelspec.name" in diff.diff_text()


def test_new_and_deleted_notebooks() -> None:
    created = diff_notebooks(None, BASE)
    assert [c.status for c in created.cells] == ["added"] * 5
    assert created.match_method == "none"
    deleted = diff_notebooks(BASE, None)
    assert [c.status for c in deleted.cells] == ["removed"] * 5
    assert deleted.cells[2].source_diff == ["-x = np.arange(10)", "-y = x ** 2", "-print(y)"]
    assert diff_texts(None, json.dumps(BASE)).summary()["added"] == 5


def test_trailing_newline_change_is_visible() -> None:
    old = _nb(_cell("a = 1", "a"))
    new = _nb(_cell("a = 1\n", "a"))
    [cell] = diff_notebooks(old, new).cells
    assert cell.status == "modified"
    assert cell.source_diff == ["@@ -1 +1 @@", "-a = 1", "\\ No newline at end of cell", "+a = 1"]


def test_to_dict_is_json() -> None:
    new = copy.deepcopy(BASE)
    new["cells"][0]["source"] = "import numpy"
    data = json.loads(json.dumps(diff_notebooks(BASE, new).to_dict()))
    assert data["has_changes"] is True
    assert data["summary"]["modified"] == 1
    first = data["cells"][0]
    assert first["status"] == "modified" and first["cell_id"] == "imports"
    assert first["old_index"] == 0 and first["new_index"] == 0
    assert first["metadata_only"] is False


def test_outputs_are_ignored() -> None:
    with_outputs = copy.deepcopy(BASE)
    cell = with_outputs["cells"][0]
    cell["outputs"] = [{"name": "stdout", "output_type": "stream", "text": "hi"}]
    cell["execution_count"] = 4
    cell["metadata"]["ExecuteTime"] = {"start_time": "now"}
    assert not diff_texts(json.dumps(BASE), json.dumps(with_outputs)).has_changes


def test_invalid_input_raises() -> None:
    with pytest.raises(NotebookInvalid):
        diff_texts(b"{}", json.dumps(BASE))


# --------------------------------------------------------------------------
# classify


def test_classify_against_a_cleaned_head(corpus_dir: Path) -> None:
    raw = _read(corpus_dir, "pdsh__02.05-Computation-on-arrays-broadcasting.ipynb")
    head = clean_text(raw)[0]
    assert classify(raw, head) == "outputs-only"
    assert classify(raw, head.encode("utf-8")) == "outputs-only"
    assert classify(head, head) == "clean"
    assert classify(head.encode("utf-8"), head) == "clean"
    edited = raw.replace(b"import numpy as np", b"import numpy as numpy", 1)
    assert edited != raw
    assert classify(edited, head) == "source"
    assert classify(raw, None) == "source"


def test_classify_metadata_only_edit_is_source() -> None:
    head = clean_text(json.dumps(BASE))[0]
    tagged = copy.deepcopy(BASE)
    tagged["cells"][0]["metadata"]["tags"] = ["new"]
    assert classify(json.dumps(tagged), head) == "source"
    timing = copy.deepcopy(BASE)
    timing["cells"][0]["metadata"]["ExecuteTime"] = {"end_time": "x"}
    assert classify(json.dumps(timing), head) == "outputs-only"


def test_classify_with_config_and_dicts() -> None:
    with_output = copy.deepcopy(BASE)
    with_output["cells"][0]["outputs"] = [{"name": "stdout", "output_type": "stream", "text": "1"}]
    head = clean_text(json.dumps(BASE))[0]
    assert classify(with_output, head) == "outputs-only"
    assert classify(json.loads(head), head) == "clean"
    assert classify(BASE, json.loads(head)) == "clean"


def test_classify_uncleaned_head_is_source() -> None:
    with_output = copy.deepcopy(BASE)
    with_output["cells"][0]["outputs"] = [{"name": "stdout", "output_type": "stream", "text": "1"}]
    raw = clean_text(json.dumps(with_output))[0]  # layout normalized, outputs gone
    dirty_head = json.dumps(with_output, indent=1)
    assert classify(dirty_head, dirty_head) == "clean"
    assert classify(raw, dirty_head) == "source"


def test_classify_invalid_working_copy_raises() -> None:
    head = clean_text(json.dumps(BASE))[0]
    with pytest.raises(NotebookInvalid, match="invalid JSON"):
        classify(b'{"cells": [', head)
    with pytest.raises(NotebookInvalid, match="not valid UTF-8"):
        classify(b"\xff", head)
    with pytest.raises(NotebookInvalid):
        classify(b"{}", None)


def test_large_id_less_notebook_every_long_cell_edited(corpus_dir: Path) -> None:
    raw = _read(corpus_dir, "handson-ml3__03_classification.ipynb")
    old = json.loads(clean_text(raw)[0])
    new = copy.deepcopy(old)
    edited = set()
    for index, cell in enumerate(new["cells"]):
        if len(cell["source"]) >= 3:
            cell["source"] = ["# edited\n", *cell["source"]]
            edited.add(index)
    assert len(edited) > 50
    diff = diff_notebooks(old, new)
    assert diff.match_method == "content"
    assert {c.new_index for c in diff.cells if c.status == "modified"} == edited
    assert all(c.old_index == c.new_index for c in diff.cells)
    assert diff.summary()["unchanged"] == len(old["cells"]) - len(edited)


def test_edited_id_less_cell_moved_is_modified_and_moved() -> None:
    cells = [_cell(f"value_{i} = compute({i}, {i * 7})") for i in range(30)]
    old = _nb(*cells, minor=4)
    new = copy.deepcopy(old)
    moved = new["cells"].pop(0)
    moved["source"] += "  # tweaked"
    new["cells"].append(moved)
    diff = diff_notebooks(old, new)
    [cell] = [c for c in diff.cells if c.status != "unchanged"]
    assert (cell.status, cell.moved, cell.old_index, cell.new_index) == ("modified", True, 0, 29)
    assert "## cell 0 -> 29 (code) modified [moved]" in diff.diff_text()


# --------------------------------------------------------------------------
# every changed line shows, whatever it begins with


_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@$")


def _apply(old: str, source_diff: list[str]) -> list[str]:
    """Apply a cell's unified-diff lines to ``old``: the new source's lines (no line ends)."""
    a = [line.rstrip("\r\n") for line in old.splitlines(True)]
    if not a:  # an added cell: every line is "+"
        assert all(line.startswith("+") for line in source_diff), source_diff
        return [line[1:] for line in source_diff]
    out: list[str] = []
    at = 0
    for line in source_diff:
        match = _HUNK.match(line)
        if match:
            start = int(match.group(1)) - (0 if match.group(2) == "0" else 1)
            out += a[at:start]
            at = start
        elif line.startswith("\\"):
            continue  # "\ No newline at end of cell"
        elif line[:1] == " ":
            assert a[at] == line[1:], (a[at], line)
            out.append(line[1:])
            at += 1
        elif line[:1] == "-":
            assert a[at] == line[1:], (a[at], line)
            at += 1
        elif line[:1] == "+":
            out.append(line[1:])
        else:
            raise AssertionError(f"a diff line without a prefix: {line!r}")
    return out + a[at:]


# Lines that look like diff syntax: setext underlines, SQL and Haskell comments, ++i, hunks.
_TRICKY = ["---", "+++", "--", "++", "------", "-- SQL comment", "++i;", "@@ -1 +1 @@", "@@"]
_LINES = st.sampled_from([*_TRICKY, "", " ", "x = 1", "\\ No newline at end of cell", "+", "-"])


@pytest.mark.parametrize("ctype", ["code", "markdown"])
@pytest.mark.parametrize("tricky", _TRICKY)
def test_lines_that_look_like_diff_syntax_show(ctype: str, tricky: str) -> None:
    plain = _nb(_cell("Title\nbody\nend", "c", ctype))
    longer = _nb(_cell(f"Title\n{tricky}\nbody\nend", "c", ctype))
    [removed] = diff_notebooks(longer, plain).cells
    assert removed.source_diff == ["@@ -1,4 +1,3 @@", " Title", f"-{tricky}", " body", " end"]
    [added] = diff_notebooks(plain, longer).cells
    assert added.source_diff == ["@@ -1,3 +1,4 @@", " Title", f"+{tricky}", " body", " end"]
    text = diff_notebooks(plain, longer).diff_text()
    assert f"\n+{tricky}\n" in text
    data = json.loads(json.dumps(diff_notebooks(longer, plain).to_dict()))
    assert f"-{tricky}" in data["cells"][0]["source_diff"]
    new_cell = diff_notebooks(_nb(), _nb(_cell(f"{tricky}\nx", "c", ctype))).cells[0]
    assert new_cell.source_diff == [f"+{tricky}", "+x"]
    gone = diff_notebooks(_nb(_cell(f"{tricky}\nx", "c", ctype)), _nb()).cells[0]
    assert gone.source_diff == [f"-{tricky}", "-x"]


@settings(max_examples=300, deadline=None)
@given(
    old=st.lists(_LINES, max_size=12),
    new=st.lists(_LINES, max_size=12),
    end_old=st.booleans(),
    end_new=st.booleans(),
)
def test_the_diff_of_any_lines_rebuilds_the_new_source(
    old: list[str], new: list[str], end_old: bool, end_new: bool
) -> None:
    a = "\n".join(old) + ("\n" if end_old and old else "")
    b = "\n".join(new) + ("\n" if end_new and new else "")
    cells = diff_notebooks(_nb(_cell(a, "c")), _nb(_cell(b, "c"))).cells
    if a == b:
        assert cells[0].status == "unchanged"
        return
    if not b:  # the cell became empty: every old line shows as removed
        [cell] = cells
        assert [line for line in cell.source_diff if not line.startswith("\\")] == [
            "-" + line for line in a.splitlines()
        ]
        return
    [cell] = cells
    assert _apply(a, cell.source_diff) == b.splitlines()
