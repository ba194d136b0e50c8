"""notebook_clean: deterministic, idempotent stripping on real and generated notebooks."""

from __future__ import annotations

import copy
import json
import warnings
from pathlib import Path
from typing import Any

import nbformat
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nbformat.validator import isvalid

from jupyterlab_repro.errors import NotebookInvalid, UnsupportedNotebook
from jupyterlab_repro.notebook.clean import (
    CleanConfig,
    _clean_text_full,
    clean_notebook,
    clean_text,
    dumps_notebook,
    strict_validate,
)
from jupyterlab_repro.notebook.validate import check_notebook, parse_notebook, source_text

_CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"


def _names(pattern: str) -> list[str]:
    found = sorted(str(p.relative_to(_CORPUS)) for p in _CORPUS.glob(pattern))
    return found or ["<corpus absent>"]


VALID = _names("*.ipynb") + _names("names/*.ipynb")
MALFORMED = _names("malformed/*")

# What each malformed file's one-line message must name.
MALFORMED_MESSAGES = {
    "malformed/nbformat__invalid.ipynb": "cell 0: 'source' is missing",
    "malformed/nbformat__invalid_cell_id.ipynb": "invalid cell id",
    "malformed/nbformat__invalid_unique_cell_id.ipynb": "duplicate cell id",
    "malformed/nbformat__no_min_version.ipynb": "'nbformat_minor' is missing",
    "malformed/nbformat__v4_5_invalid_metadata.ipynb": "metadata.kernelspec must be an object",
    "malformed/nbstripout__test_invalid_json.ipynb": "invalid JSON at line",
    "malformed/nbstripout__test_missing_nbformat.ipynb": "'nbformat' is missing",
}


def _read(corpus_dir: Path, name: str) -> bytes:
    path = corpus_dir / name
    if not path.is_file():
        pytest.skip(f"{name} not in the corpus")
    return path.read_bytes()


def _all_cells(nb: dict[str, Any]) -> list[dict[str, Any]]:
    if nb["nbformat"] == 3:
        return [c for ws in nb["worksheets"] for c in ws["cells"]]
    return nb["cells"]


def _kept(cell: dict[str, Any], tag: str = "keep-output") -> bool:
    return tag in (cell.get("metadata") or {}).get("tags", [])


def _joined(bundle: dict[str, Any]) -> dict[str, Any]:
    return {k: "".join(v) if isinstance(v, list) else v for k, v in bundle.items()}


def _code_nb(cells: list[dict[str, Any]], minor: int = 5, **metadata: Any) -> dict[str, Any]:
    return {"cells": cells, "metadata": metadata, "nbformat": 4, "nbformat_minor": minor}


def _code(source: Any = "x = 1", *, outputs: Any = None, cid: str | None = None, **meta: Any):
    cell = {
        "cell_type": "code",
        "execution_count": 3,
        "metadata": meta,
        "outputs": outputs if outputs is not None else [_stream("hi\n")],
        "source": source,
    }
    if cid is not None:
        cell["id"] = cid
    return cell


def _stream(text: str) -> dict[str, Any]:
    return {"name": "stdout", "output_type": "stream", "text": text}


# --------------------------------------------------------------------------
# the corpus


@pytest.mark.parametrize("name", VALID)
def test_corpus_notebook_cleans_idempotently_and_keeps_content(corpus_dir: Path, name: str) -> None:
    raw = _read(corpus_dir, name)
    original = json.loads(raw)
    text, report = clean_text(raw)

    again, report2 = clean_text(text)
    assert again == text
    assert clean_text(text.encode("utf-8"))[0] == text
    assert report2.changed is False and report2.outputs_removed == 0
    assert text.endswith("}\n")

    cleaned = json.loads(text)
    major = original["nbformat"]
    assert cleaned["nbformat"] == major
    assert cleaned["nbformat_minor"] == original["nbformat_minor"]
    old_cells, new_cells = _all_cells(original), _all_cells(cleaned)
    assert len(new_cells) == len(old_cells)
    removed = 0
    for old, new in zip(old_cells, new_cells, strict=True):
        assert new["cell_type"] == old["cell_type"]
        assert source_text(new, major) == source_text(old, major)
        assert new.get("id") == old.get("id")
        assert new.get("metadata", {}).get("tags") == old.get("metadata", {}).get("tags")
        for key, bundle in (old.get("attachments") or {}).items():
            assert _joined(new["attachments"][key]) == _joined(bundle)
        if new["cell_type"] == "code" and not _kept(old):
            assert new["outputs"] == []
            removed += len(old.get("outputs", []))
            if major == 4:
                assert new["execution_count"] is None
            else:
                assert "prompt_number" not in new
    assert report.outputs_removed == removed
    meta, old_meta = cleaned["metadata"], original.get("metadata", {})
    assert meta.get("kernelspec") == old_meta.get("kernelspec")
    if "language_info" in old_meta:
        assert meta["language_info"] == {"name": old_meta["language_info"]["name"]}
    assert "widgets" not in meta


@pytest.mark.parametrize("name", VALID)
def test_corpus_result_is_what_nbformat_writes_and_valid(corpus_dir: Path, name: str) -> None:
    raw = _read(corpus_dir, name)
    text, report = clean_text(raw, strict=True)
    original = json.loads(raw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # nbformat warns about (and repairs) missing ids
        node = nbformat.reads(text, as_version=nbformat.NO_CONVERT)
        rewritten = nbformat.writes(node) + "\n"
    if report.cells_missing_id:
        # nbformat would invent random ids; we report instead of inventing.
        assert name == "nbdime__cellids--base.ipynb"
        assert not isvalid(json.loads(text))
    else:
        assert rewritten == text
    if isvalid(original):
        assert isvalid(json.loads(text))


def test_corpus_timing_metadata_removed(corpus_dir: Path) -> None:
    raw = _read(corpus_dir, "nbstripout__test_execution_timing.ipynb")
    assert any("execution" in c["metadata"] for c in json.loads(raw)["cells"])
    text, report = clean_text(raw)
    assert all("execution" not in c["metadata"] for c in json.loads(text)["cells"])
    assert "cell.metadata.execution" in report.metadata_removed

    raw = _read(corpus_dir, "nbstripout__test_output_types.ipynb")
    assert b"ExecuteTime" in raw
    assert "ExecuteTime" not in clean_text(raw)[0]


def test_corpus_widget_state_removed(corpus_dir: Path) -> None:
    raw = _read(corpus_dir, "nbconvert__Widget_List.ipynb")
    assert "widgets" in json.loads(raw)["metadata"]
    text, report = clean_text(raw)
    assert "widgets" not in json.loads(text)["metadata"]
    assert "application/vnd.jupyter.widget" not in text
    assert "metadata.widgets" in report.metadata_removed


def test_corpus_attachments_kept(corpus_dir: Path) -> None:
    raw = _read(corpus_dir, "nbconvert__attachment.ipynb")
    original = json.loads(raw)
    cleaned = json.loads(clean_text(raw)[0])
    with_attachments = [c for c in original["cells"] if c.get("attachments")]
    assert with_attachments
    for old, new in zip(original["cells"], cleaned["cells"], strict=True):
        assert sorted(new.get("attachments", {})) == sorted(old.get("attachments", {}))
        for key in old.get("attachments", {}):
            assert _joined(new["attachments"][key]) == _joined(old["attachments"][key])


def test_corpus_colab_noise_removed_meaning_kept(corpus_dir: Path) -> None:
    raw = _read(corpus_dir, "handson-ml3__math_differential_calculus.ipynb")
    original = json.loads(raw)
    assert any("outputId" in c["metadata"] for c in original["cells"])
    cleaned = json.loads(clean_text(raw)[0])
    for old, new in zip(original["cells"], cleaned["cells"], strict=True):
        assert "colab" not in new["metadata"]
        assert "outputId" not in new["metadata"]
        # Colab's form view and its own stable cell id carry meaning
        assert new["metadata"].get("cellView") == old["metadata"].get("cellView")
        assert new["metadata"].get("id") == old["metadata"].get("id")
    colab = cleaned["metadata"]["colab"]
    assert "provenance" not in colab and "collapsed_sections" not in colab
    assert colab["name"] == original["metadata"]["colab"]["name"]


def test_corpus_v3_cleaned_as_v3(corpus_dir: Path) -> None:
    raw = _read(corpus_dir, "nbformat__test3.ipynb")
    text, report = clean_text(raw)
    cleaned = json.loads(text)
    assert cleaned["nbformat"] == 3 and "worksheets" in cleaned and "cells" not in cleaned
    codes = [c for c in _all_cells(cleaned) if c["cell_type"] == "code"]
    assert codes and all(c["outputs"] == [] and "prompt_number" not in c for c in codes)
    assert report.outputs_removed > 0
    nbformat.validate(cleaned)
    assert nbformat.writes(nbformat.reads(text, as_version=3)) + "\n" == text


def test_corpus_v3_dict_api_copies(corpus_dir: Path) -> None:
    original = json.loads(_read(corpus_dir, "nbformat__test3.ipynb"))
    before = copy.deepcopy(original)
    cleaned, report = clean_notebook(original)
    assert original == before
    assert report.outputs_removed > 0
    assert all(c.get("outputs", []) == [] for c in _all_cells(cleaned))


def test_corpus_future_minor_kept(corpus_dir: Path) -> None:
    raw = _read(corpus_dir, "nbformat__test4plus.ipynb")
    cleaned = json.loads(clean_text(raw)[0])
    assert cleaned["nbformat_minor"] == 99
    future = [c for c in cleaned["cells"] if c["cell_type"] == "future cell"]
    assert future == [
        {"cell_type": "future cell", "id": "future-10", "metadata": {}, "key": "value"}
    ]
    assert cleaned["cells"][0]["extra"] == 5


@pytest.mark.parametrize("name", MALFORMED)
def test_malformed_notebook_gets_clear_error(corpus_dir: Path, name: str) -> None:
    path = corpus_dir / name
    if not path.is_file():
        pytest.skip(f"{name} not in the corpus")
    raw = path.read_bytes()
    with pytest.raises(NotebookInvalid) as info:
        clean_text(raw)
    message = str(info.value)
    assert "\n" not in message
    assert MALFORMED_MESSAGES.get(name, "invalid") in message
    assert path.read_bytes() == raw
    if name.endswith("invalid_json.ipynb"):
        return
    parsed = json.loads(raw)
    before = copy.deepcopy(parsed)
    with pytest.raises(NotebookInvalid):
        clean_notebook(parsed)
    assert parsed == before


def test_malformed_all_problems_listed(corpus_dir: Path) -> None:
    raw = _read(corpus_dir, "malformed/nbformat__v4_5_invalid_metadata.ipynb")
    with pytest.raises(NotebookInvalid) as info:
        parse_notebook(raw)
    problems = info.value.problems
    assert any("metadata.tags must be a list of strings" in p for p in problems)
    assert any("metadata.jupyter must be an object" in p for p in problems)
    assert "more problem" in str(info.value)


# --------------------------------------------------------------------------
# structure checks


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"\xff\xfe{}", "not valid UTF-8"),
        (b"", "invalid JSON"),
        (b"[1, 2]", "top level is a list"),
        (b'{"nbformat": "4", "nbformat_minor": 0}', "'nbformat' must be an integer"),
        (b'{"nbformat": 4, "nbformat_minor": 2, "metadata": {}}', "'cells' is missing"),
        (b'{"nbformat": 4, "nbformat_minor": 2, "metadata": {}, "cells": {}}', "must be a list"),
        (b'{"nbformat": 4, "nbformat_minor": 2, "cells": []}', "'metadata' is missing"),
        (b'{"nbformat": 4, "nbformat_minor": 2, "metadata": {}, "cells": [3]}', "cell 0 is int"),
        (
            b'{"nbformat": 4, "nbformat_minor": 2, "metadata": {}, "cells": [{"source": ""}]}',
            "'cell_type' is missing",
        ),
        (
            b'{"nbformat": 4, "nbformat_minor": 2, "metadata": {}, "cells": '
            b'[{"cell_type": "code", "metadata": {}, "source": 5, "outputs": []}]}',
            "'source' must be a string or a list of strings",
        ),
        (
            b'{"nbformat": 4, "nbformat_minor": 2, "metadata": {}, "cells": '
            b'[{"cell_type": "code", "metadata": {}, "source": "", "outputs": [1]}]}',
            "output 0 must be an object",
        ),
        (b'{"nbformat": 3, "nbformat_minor": 0}', "'worksheets' is missing"),
    ],
)
def test_structural_problems_named(data: bytes, fragment: str) -> None:
    with pytest.raises(NotebookInvalid) as info:
        clean_text(data)
    assert fragment in str(info.value)


def test_other_major_versions_refused() -> None:
    for major in (2, 5):
        with pytest.raises(UnsupportedNotebook, match=f"nbformat {major} notebooks"):
            clean_text(json.dumps({"nbformat": major, "nbformat_minor": 0, "cells": []}))


def test_bom_and_str_input_accepted() -> None:
    nb = _code_nb([_code()])
    text = json.dumps(nb)
    assert clean_text("\ufeff" + text)[0] == clean_text(text.encode("utf-8"))[0]


# --------------------------------------------------------------------------
# behaviour on handmade notebooks


def test_dict_api_leaves_input_untouched_unless_in_place() -> None:
    nb = _code_nb([_code(ExecuteTime={"a": 1}, tags=["t"])], widgets={"state": {}})
    before = copy.deepcopy(nb)
    cleaned, report = clean_notebook(nb)
    assert nb == before
    assert cleaned["cells"][0]["outputs"] == [] and "widgets" not in cleaned["metadata"]
    assert report.outputs_removed == 1
    same, _ = clean_notebook(nb, in_place=True)
    assert same is nb and nb["cells"][0]["outputs"] == []


def test_source_representation_normalized_content_kept() -> None:
    as_string = _code_nb([_code("a = 1\nb = 2\n\nc")])
    odd_split = _code_nb([_code(["a = ", "1\nb = 2\n", "\nc"])])
    text1, _ = clean_text(json.dumps(as_string))
    text2, _ = clean_text(json.dumps(odd_split, indent=4))
    assert text1 == text2
    assert json.loads(text1)["cells"][0]["source"] == ["a = 1\n", "b = 2\n", "\n", "c"]


def test_unknown_fields_and_meaningful_metadata_kept() -> None:
    cell = _code(
        cid="abc",
        tags=["x"],
        collapsed=True,
        scrolled=False,
        jupyter={"outputs_hidden": True, "source_hidden": True},
        slideshow={"slide_type": "slide"},
        custom={"k": 1},
    )
    nb = _code_nb(
        [cell],
        kernelspec={"name": "python3", "display_name": "Python 3", "language": "python"},
        language_info={"name": "python", "version": "3.11.4", "codemirror_mode": {"n": 3}},
        vscode={"interpreter": {"hash": "abc"}},
        toc={"x": 1},
        authors=[{"name": "A"}],
    )
    cleaned = json.loads(clean_text(json.dumps(nb))[0])
    meta = cleaned["cells"][0]["metadata"]
    assert meta == {
        "tags": ["x"],
        "jupyter": {"source_hidden": True},
        "slideshow": {"slide_type": "slide"},
        "custom": {"k": 1},
    }
    assert cleaned["metadata"] == {
        "kernelspec": nb["metadata"]["kernelspec"],
        "language_info": {"name": "python"},
        "authors": [{"name": "A"}],
    }


def test_keep_output_tag_keeps_outputs_and_reports_huge_ones() -> None:
    small = _stream("ok\n")
    huge = {
        "data": {"image/png": "A" * 5000, "text/plain": "<Figure>"},
        "metadata": {},
        "output_type": "display_data",
    }
    nb = _code_nb(
        [
            _code(outputs=[small, huge], cid="a", tags=["keep-output"], ExecuteTime={}),
            _code(outputs=[small], cid="b"),
        ]
    )
    text, report = clean_text(json.dumps(nb), CleanConfig(max_output_bytes=1000))
    cells = json.loads(text)["cells"]
    assert cells[0]["outputs"] == [{"name": "stdout", "output_type": "stream", "text": ["ok\n"]}]
    assert cells[0]["execution_count"] == 3
    assert "ExecuteTime" not in cells[0]["metadata"]
    assert cells[1]["outputs"] == [] and cells[1]["execution_count"] is None
    assert report.outputs_kept == 1 and report.outputs_removed == 1
    [over] = report.kept_outputs_over_limit
    assert (over.cell_index, over.cell_id, over.output_index) == (0, "a", 1)
    assert over.output_type == "display_data" and over.size > 5000
    assert clean_text(text, CleanConfig(max_output_bytes=1000))[0] == text

    unlimited, report = clean_text(json.dumps(nb), CleanConfig(max_output_bytes=None))
    assert len(json.loads(unlimited)["cells"][0]["outputs"]) == 2
    assert report.kept_outputs_over_limit == []
    disabled, _ = clean_text(json.dumps(nb), CleanConfig(keep_output_tag=None))
    assert json.loads(disabled)["cells"][0]["outputs"] == []
    custom, _ = clean_text(json.dumps(nb), CleanConfig(keep_output_tag="other"))
    assert json.loads(custom)["cells"][0]["outputs"] == []


def test_extra_drop_and_keep_keys() -> None:
    nb = _code_nb(
        [
            _code(
                collapsed=True,
                slideshow={"slide_type": "-"},
                **{"application/vnd.databricks.v1+cell": {"x": 1}},
            )
        ],
        authors=[],
        language_info={"name": "python", "version": "3.11"},
        widgets={"w": 1},
    )
    config = CleanConfig(
        drop_keys=(
            "cell.metadata.slideshow",
            "cell.metadata.application/vnd.databricks.v1+cell",
            "metadata.authors",
        ),
        keep_keys=("cell.metadata.collapsed", "metadata.language_info"),
    )
    cleaned = json.loads(clean_text(json.dumps(nb), config)[0])
    assert cleaned["cells"][0]["metadata"] == {"collapsed": True}
    assert cleaned["metadata"] == {"language_info": {"name": "python", "version": "3.11"}}


def test_keep_a_child_of_a_dropped_key() -> None:
    nb = _code_nb([_code()], widgets={"state": {"a": 1}, "version": 2})
    cleaned, _ = clean_notebook(nb, CleanConfig(keep_keys=("metadata.widgets.version",)))
    assert cleaned["metadata"] == {"widgets": {"version": 2}}


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"drop_keys": "metadata.x"}, TypeError),
        ({"drop_keys": ("outputs",)}, ValueError),
        ({"keep_keys": ("",)}, TypeError),
        ({"max_output_bytes": -1}, ValueError),
        ({"max_output_bytes": True}, ValueError),
    ],
)
def test_clean_config_rejects_bad_values(kwargs: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        CleanConfig(**kwargs)


def test_missing_ids_reported_not_invented() -> None:
    nb = _code_nb([_code(), _code(cid="b")], minor=5)
    text, report = clean_text(json.dumps(nb))
    cells = json.loads(text)["cells"]
    assert "id" not in cells[0] and cells[1]["id"] == "b"
    assert report.cells_missing_id == 1 and "no id" in report.warnings[0]


def test_strict_mode_catches_schema_errors_the_fast_check_allows() -> None:
    bad = _code_nb([{"cell_type": "markdown", "metadata": {}, "source": "", "outputs": []}])
    clean_text(json.dumps(bad))  # structurally fine
    with pytest.raises(NotebookInvalid, match="nbformat schema"):
        clean_text(json.dumps(bad), strict=True)
    strict_validate(_code_nb([], minor=5))


def test_report_changed_flag_and_to_dict() -> None:
    text, report = clean_text(json.dumps(_code_nb([_code(cid="x")])))
    assert report.changed is True
    assert json.loads(json.dumps(report.to_dict()))["outputs_removed"] == 1
    assert clean_text(text)[1].changed is False


def test_check_and_dumps_are_usable_alone() -> None:
    nb = _code_nb([_code("a\nb", cid="x")])
    check_notebook(nb)
    text = dumps_notebook(copy.deepcopy(nb))
    assert json.loads(text)["cells"][0]["source"] == ["a\n", "b"]
    assert text == dumps_notebook(json.loads(text))


# --------------------------------------------------------------------------
# property tests

_METADATA_VALUES = st.one_of(
    st.booleans(),
    st.integers(),
    st.text(max_size=5),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
_CELL_META = st.fixed_dictionaries(
    {},
    optional={
        "collapsed": st.booleans(),
        "scrolled": st.booleans(),
        "ExecuteTime": st.dictionaries(
            st.sampled_from(["start_time", "end_time"]), st.text(max_size=8)
        ),
        "execution": st.dictionaries(st.sampled_from(["iopub.status.busy"]), st.text(max_size=8)),
        "tags": st.lists(st.sampled_from(["keep-output", "a", "ü"]), max_size=2, unique=True),
        "jupyter": st.fixed_dictionaries(
            {}, optional={"outputs_hidden": st.booleans(), "source_hidden": st.booleans()}
        ),
        "colab": st.fixed_dictionaries({"base_uri": st.just("https://localhost:8080/")}),
        "custom": _METADATA_VALUES,
    },
)
_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40
) | st.sampled_from(["", "\n", "a\r\nb", "x\u2028y", "\u5b9e\u9a8c\n\n", "tab\tend\r"])
_OUTPUT = st.one_of(
    st.builds(_stream, _TEXT),
    st.builds(
        lambda t, n: {
            "data": {"text/plain": t},
            "execution_count": n,
            "metadata": {},
            "output_type": "execute_result",
        },
        _TEXT,
        st.integers(0, 50),
    ),
    st.builds(
        lambda t: {
            "data": {"image/png": "iVBOR", "text/html": t},
            "metadata": {},
            "output_type": "display_data",
        },
        _TEXT,
    ),
    st.builds(
        lambda t: {"ename": "E", "evalue": t, "output_type": "error", "traceback": [t]}, _TEXT
    ),
)


@st.composite
def _notebooks(draw: st.DrawFn) -> dict[str, Any]:
    minor = draw(st.integers(0, 5))
    cells = []
    for index in range(draw(st.integers(0, 6))):
        ctype = draw(st.sampled_from(["code", "markdown", "raw"]))
        source = draw(_TEXT)
        if draw(st.booleans()):
            source = source.splitlines(True)
        cell: dict[str, Any] = {"cell_type": ctype, "metadata": draw(_CELL_META), "source": source}
        if ctype == "code":
            cell["outputs"] = draw(st.lists(_OUTPUT, max_size=3))
            cell["execution_count"] = draw(st.none() | st.integers(1, 99))
        if minor >= 5:
            cell["id"] = f"c{index}-{draw(st.text(alphabet='abc_-', max_size=4))}"
        cells.append(cell)
    metadata = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "kernelspec": st.just({"name": "python3", "display_name": "Python 3"}),
                "language_info": st.just({"name": "python", "version": "3.11"}),
                "widgets": st.just({"application/vnd.jupyter.widget-state+json": {}}),
                "extra": _METADATA_VALUES,
            },
        )
    )
    return {"cells": cells, "metadata": metadata, "nbformat": 4, "nbformat_minor": minor}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(nb=_notebooks(), indent=st.sampled_from([None, 1, 2]))
def test_property_idempotent_and_sources_untouched(nb: dict[str, Any], indent: int | None) -> None:
    raw = json.dumps(nb, indent=indent, ensure_ascii=bool(indent))
    text, report = clean_text(raw)
    assert clean_text(text)[0] == text
    assert clean_text(text.encode("utf-8"))[1].changed is False
    cleaned = json.loads(text)
    assert len(cleaned["cells"]) == len(nb["cells"])
    for old, new in zip(nb["cells"], cleaned["cells"], strict=True):
        assert source_text(new) == source_text(old)
        assert new.get("id") == old.get("id")
        assert new["metadata"].get("tags") == old["metadata"].get("tags")
        forbidden = {"collapsed", "scrolled", "ExecuteTime", "execution", "colab"}
        assert not forbidden & set(new["metadata"])
        if new["cell_type"] == "code":
            if _kept(old):
                assert len(new["outputs"]) == len(old["outputs"])
            else:
                assert new["outputs"] == [] and new["execution_count"] is None
    assert "widgets" not in cleaned["metadata"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert nbformat.writes(nbformat.reads(text, as_version=4)) + "\n" == text
    assert report.outputs_removed == sum(
        len(c.get("outputs", [])) for c in nb["cells"] if not _kept(c)
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    nb=_notebooks(),
    indent=st.sampled_from([None, 1, 2]),
    limit=st.sampled_from([None, 0, 60, 1_000_000]),
    as_bytes=st.booleans(),
)
def test_property_lazy_parse_same_as_full_parse(
    nb: dict[str, Any], indent: int | None, limit: int | None, as_bytes: bool
) -> None:
    """clean_text skips dropped outputs; the result must be the full parse's."""
    raw = json.dumps(nb, indent=indent, ensure_ascii=bool(indent))
    data = raw.encode("utf-8") if as_bytes else raw
    config = CleanConfig(max_output_bytes=limit)
    assert clean_text(data, config) == _clean_text_full(data, config)


# --------------------------------------------------------------------------
# nbstripout's keep-output markers


_MARKED = [
    # (cell metadata, notebook keep_output, kept?) — nbstripout's rules, in its order
    ({}, None, False),
    ({"keep_output": True}, None, True),
    ({"keep_output": False}, None, False),
    ({"tags": ["keep_output"]}, None, True),
    ({"keep_output": False, "tags": ["keep_output"]}, None, True),  # nbstripout: an error
    ({"init_cell": True}, None, True),
    ({"init_cell": False, "keep_output": True}, None, False),  # init_cell decides alone
    ({"init_cell": False, "tags": ["keep-output"]}, None, True),  # our own tag always keeps
    ({}, True, True),  # the notebook's default
    ({"keep_output": False}, True, False),
    ({"init_cell": False}, True, False),
    ({}, False, False),
    ({"tags": ["keep-outputs", "keep"]}, None, False),  # near misses keep nothing
]


@pytest.mark.parametrize(("meta", "notebook_keeps", "kept"), _MARKED)
def test_nbstripout_markers_keep_outputs(meta: dict[str, Any], notebook_keeps: Any, kept: bool):
    extra = {} if notebook_keeps is None else {"keep_output": notebook_keeps}
    nb = _code_nb([_code(cid="a", **meta), _code(cid="b")], **extra)
    for data in (json.dumps(nb), json.dumps(nb).encode()):
        text, report = clean_text(data)
        cells = json.loads(text)["cells"]
        assert bool(cells[0]["outputs"]) is kept, (meta, notebook_keeps)
        assert cells[0]["execution_count"] == (3 if kept else None)
        assert bool(cells[1]["outputs"]) is bool(notebook_keeps)
        assert cells[0]["metadata"] == meta  # the markers themselves stay
        assert clean_text(text)[0] == text  # idempotent
        assert _clean_text_full(data) == (text, report)  # the lazy parse agrees
    off, _ = clean_text(json.dumps(nb), CleanConfig(nbstripout_markers=False))
    keeps_ours = "keep-output" in (meta.get("tags") or [])
    assert bool(json.loads(off)["cells"][0]["outputs"]) is keeps_ours


def test_nbstripout_markers_in_nbformat3() -> None:
    nb = {
        "metadata": {"keep_output": False},
        "nbformat": 3,
        "nbformat_minor": 0,
        "worksheets": [
            {
                "cells": [
                    {
                        "cell_type": "code",
                        "input": "1 + 1",
                        "language": "python",
                        "metadata": {"init_cell": True},
                        "outputs": [{"output_type": "pyout", "prompt_number": 1, "text": "2"}],
                        "prompt_number": 1,
                    },
                    {
                        "cell_type": "code",
                        "input": "2",
                        "language": "python",
                        "metadata": {},
                        "outputs": [{"output_type": "pyout", "prompt_number": 2, "text": "2"}],
                        "prompt_number": 2,
                    },
                ]
            }
        ],
    }
    cells = json.loads(clean_text(json.dumps(nb))[0])["worksheets"][0]["cells"]
    assert len(cells[0]["outputs"]) == 1 and cells[1]["outputs"] == []


def test_a_rule_that_drops_a_marker_drops_its_effect() -> None:
    """Markers are read after the metadata rules, so cleaning twice changes nothing."""
    nb = _code_nb(
        [_code(cid="a", tags=["keep_output"]), _code(cid="b", keep_output=True)], keep_output=True
    )
    config = CleanConfig(
        drop_keys=("cell.metadata.tags", "cell.metadata.keep_output", "metadata.keep_output")
    )
    text, _ = clean_text(json.dumps(nb), config)
    cells = json.loads(text)["cells"]
    assert all(c["outputs"] == [] and c["metadata"] == {} for c in cells)
    assert clean_text(text, config)[0] == text
    assert _clean_text_full(json.dumps(nb), config)[0] == text


def test_remembered_export_settings_are_stripped_unless_kept() -> None:
    """``metadata.jupyterlab_repro.export`` is the lab's memory of a target, not code."""
    from jupyterlab_repro.notebook.clean import CleanConfig, clean_text

    nb = {
        "cells": [],
        "metadata": {
            "jupyterlab_repro": {"export": {"module": "m.py", "cells": "export"}, "other": 1}
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    text = json.dumps(nb)
    cleaned = json.loads(clean_text(text)[0])
    assert cleaned["metadata"] == {"jupyterlab_repro": {"other": 1}}
    nb["metadata"]["jupyterlab_repro"].pop("other")
    assert json.loads(clean_text(json.dumps(nb))[0])["metadata"] == {}
    kept = CleanConfig(keep_keys=("metadata.jupyterlab_repro.export",))
    assert json.loads(clean_text(json.dumps(nb), kept)[0])["metadata"] == nb["metadata"]
