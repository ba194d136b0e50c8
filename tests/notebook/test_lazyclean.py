"""clean_text's lazy parse: the same text, report and errors as parsing everything.

``_clean_text_full`` is the reference (``parse_notebook`` + ``_clean`` +
``dumps_notebook``); every case compares the two, including exception type
and message.
"""

from __future__ import annotations

import codecs
import importlib.util
import json
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from jupyterlab_repro.errors import NotebookInvalid
from jupyterlab_repro.notebook.clean import CleanConfig, _clean_text_full, clean_text
from jupyterlab_repro.notebook.lazyclean import _parse_skeleton

_BENCH = Path(__file__).resolve().parents[2] / "bench"
_CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"

#: Corpus files the lazy parse hands to the full parser (nbformat 3, not JSON, no nbformat).
_FULL_PARSE = {
    "nbformat__test3.ipynb",
    "malformed/nbstripout__test_invalid_json.ipynb",
    "malformed/nbstripout__test_missing_nbformat.ipynb",
}

CONFIGS = {
    "default": CleanConfig(),
    "small-limit": CleanConfig(max_output_bytes=1000),
    "no-limit": CleanConfig(max_output_bytes=None),
    "no-keep-tag": CleanConfig(keep_output_tag=None),
    "other-tag": CleanConfig(keep_output_tag="a"),
    "extra-keys": CleanConfig(
        drop_keys=("metadata.authors", "cell.metadata.slideshow", "cell.metadata.id"),
        keep_keys=("cell.metadata.collapsed", "metadata.language_info", "metadata.widgets.version"),
    ),
    # Removes the tags before cleaning looks for the keep tag: nothing is kept.
    "drop-tags": CleanConfig(drop_keys=("cell.metadata.tags",), max_output_bytes=1000),
}


def _corpus_names() -> list[str]:
    names = [
        str(p.relative_to(_CORPUS))
        for pattern in ("*.ipynb", "names/*", "malformed/*")
        for p in sorted(_CORPUS.glob(pattern))
    ]
    return names or ["<corpus absent>"]


def _outcome(
    fn: Callable[..., tuple[str, Any]], data: Any, config: CleanConfig, strict: bool = False
) -> Any:
    try:
        return fn(data, config, strict=strict)
    except Exception as exc:  # compared, not hidden: type and message must match
        return type(exc), str(exc)


def assert_same(data: bytes | str, config: CleanConfig | None = None, strict: bool = False) -> Any:
    """Both implementations give the same (text, report), or raise the same error."""
    config = config or CleanConfig()
    lazy = _outcome(clean_text, data, config, strict)
    full = _outcome(_clean_text_full, data, config, strict)
    assert lazy == full
    return lazy


def _with_keep_tags(raw: bytes) -> bytes | None:
    """The notebook with every other code cell tagged ``keep-output`` (``None``: no v4 cells)."""
    try:
        nb = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        return None
    codes = [c for c in nb["cells"] if isinstance(c, dict) and c.get("cell_type") == "code"]
    for cell in codes[::2]:
        meta = cell.setdefault("metadata", {})
        if isinstance(meta, dict) and isinstance(meta.get("tags", []), list):
            meta["tags"] = [*meta.get("tags", []), "keep-output"]
    return json.dumps(nb, indent=2, ensure_ascii=False).encode("utf-8")


def _nb(cells: list[Any], **top: Any) -> dict[str, Any]:
    return {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5, **top}


def _code(outputs: Any, cid: str = "c", **meta: Any) -> dict[str, Any]:
    return {
        "cell_type": "code",
        "execution_count": 1,
        "id": cid,
        "metadata": meta,
        "outputs": outputs,
        "source": "x\ny",
    }


_IMAGE = {"data": {"image/png": "iVBOR" * 400}, "metadata": {}, "output_type": "display_data"}
_STREAM = {"name": "stdout", "output_type": "stream", "text": "é\n"}


# --------------------------------------------------------------------------
# real notebooks


@pytest.mark.parametrize("config_name", CONFIGS)
@pytest.mark.parametrize("name", _corpus_names())
def test_corpus_same_as_full_parse(corpus_dir: Path, name: str, config_name: str) -> None:
    path = corpus_dir / name
    if not path.is_file():
        pytest.skip(f"{name} not in the corpus")
    raw = path.read_bytes()
    config = CONFIGS[config_name]
    assert (_parse_skeleton(raw) is None) == (name in _FULL_PARSE)  # the lazy path is tested
    result = assert_same(raw, config)
    assert_same(raw, config, strict=True)
    if isinstance(result, tuple) and isinstance(result[0], str):
        assert_same(raw.decode("utf-8"), config)
        assert_same(result[0], config)  # an already clean notebook
    tagged = _with_keep_tags(raw)
    if tagged is not None:
        assert_same(tagged, config)


def _bench_notebook(kind: str) -> bytes:
    """The bench's seeded 1 MB training notebook (bench/generate.py), built here."""
    spec = importlib.util.spec_from_file_location("bench_generate", _BENCH / "generate.py")
    assert spec is not None and spec.loader is not None
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    nb = generate.edited(generate.make_notebook(1_000_000))
    if kind == "base":
        nb = generate.stripped(nb)
    return generate.dumps(nb).encode("utf-8")


@pytest.mark.parametrize("config_name", ["default", "small-limit", "no-limit"])
@pytest.mark.parametrize("kind", ["edited", "base"])
def test_bench_notebook_same_as_full_parse(kind: str, config_name: str) -> None:
    raw = _bench_notebook(kind)
    config = CONFIGS[config_name]
    assert_same(raw, config)
    tagged = _with_keep_tags(raw)
    assert tagged is not None
    _, report = assert_same(tagged, config)
    if kind == "edited":  # base is the stripped version
        assert report.outputs_kept + len(report.kept_outputs_over_limit) > 0


def test_dropped_payloads_are_not_decoded() -> None:
    """The point of the lazy parse: memory for the kept text, not for the payloads."""
    image = {**_IMAGE, "data": {"image/png": "iVBOR" * 4000}}
    nb = _nb([_code([image] * 10, cid=f"c{i}") for i in range(10)])  # 2 MB of outputs
    raw = json.dumps(nb).encode("utf-8")
    tracemalloc.start()
    try:
        text, report = clean_text(raw)
        _, lazy_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        assert _clean_text_full(raw) == (text, report)
        _, full_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.outputs_removed == 100
    assert full_peak > len(raw)
    assert lazy_peak < len(raw) / 10


# --------------------------------------------------------------------------
# what goes to the full parser, and what must not change on the way


def test_nan_and_infinity_in_metadata() -> None:
    raw = (
        b'{"cells": [], "metadata": {"x": NaN, "y": -Infinity}, "nbformat": 4, "nbformat_minor": 5}'
    )
    assert _parse_skeleton(raw) is None
    text, _ = assert_same(raw)
    assert '"x": NaN' in text


def test_nan_in_an_output() -> None:
    out = (
        b'{"data": {"application/json": {"v": NaN}}, "metadata": {}, "output_type": "display_data"}'
    )
    cell = b'{"cell_type": "code", "id": "a", "metadata": {"tags": ["keep-output"]}, "source": "",'
    raw = (
        b'{"cells": ['
        + cell
        + b'"outputs": ['
        + out
        + b']}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'
    )
    assert _parse_skeleton(raw) is None
    assert_same(raw)
    assert_same(raw, CleanConfig(keep_output_tag=None))


@pytest.mark.parametrize("as_str", [False, True])
def test_bom(as_str: bool) -> None:
    text = json.dumps(_nb([_code([_STREAM])]))
    data: bytes | str = "\ufeff" + text if as_str else codecs.BOM_UTF8 + text.encode("utf-8")
    assert _parse_skeleton(data) is not None
    cleaned, report = assert_same(data)
    assert report.changed and cleaned == clean_text(text)[0]


def test_invalid_utf8_inside_an_output_payload() -> None:
    good = json.dumps(_nb([_code([{**_STREAM, "text": "XX"}])])).encode("utf-8")
    raw = good.replace(b"XX", b"\xc3(")  # msgspec skips the string without looking at it
    assert _parse_skeleton(raw) is None
    error = assert_same(raw)
    assert error[0] is NotebookInvalid
    assert (
        error[1]
        == f"not a notebook: not valid UTF-8 (byte {good.index(b'XX')}: invalid continuation byte)"
    )


def test_nbformat3_takes_the_full_parse() -> None:
    nb = {
        "metadata": {"name": "x"},
        "nbformat": 3,
        "nbformat_minor": 0,
        "worksheets": [
            {
                "cells": [
                    {"cell_type": "code", "input": "1", "outputs": [_STREAM], "collapsed": False}
                ]
            }
        ],
    }
    raw = json.dumps(nb).encode("utf-8")
    assert _parse_skeleton(raw) is None
    _, report = assert_same(raw)
    assert report.outputs_removed == 1


@pytest.mark.parametrize(
    "raw",
    [
        # top level: the last "cells" wins in both parsers
        b'{"cells": [{"cell_type": "markdown", "metadata": {}, "source": "a"}], "metadata": {}, '
        b'"nbformat": 4, "nbformat_minor": 5, "cells": []}',
        # a cell's first outputs are dropped by the JSON parser, not by cleaning
        b'{"cells": [{"cell_type": "code", "id": "a", "metadata": {"tags": ["keep-output"]}, '
        b'"outputs": [{"output_type": "stream", "name": "stdout", "text": "1"}], "source": "", '
        b'"execution_count": 1, "outputs": []}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}',
        # duplicate output_type: a valid one after an invalid one, and the reverse
        b'{"cells": [{"cell_type": "code", "id": "a", "metadata": {}, "outputs": [{"output_type": 1, '
        b'"output_type": "stream"}], "source": ""}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}',
        b'{"cells": [{"cell_type": "code", "id": "a", "metadata": {}, "outputs": [{"output_type": "s", '
        b'"output_type": null}], "source": ""}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}',
        # duplicate tags: the keep tag is in the first list only
        b'{"cells": [{"cell_type": "code", "id": "a", "metadata": {"tags": ["keep-output"], "tags": []}, '
        b'"outputs": [{"output_type": "stream", "name": "stdout", "text": "1"}], "source": ""}], '
        b'"metadata": {}, "nbformat": 4, "nbformat_minor": 5}',
        # duplicate nbformat
        b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5, "nbformat": 3}',
    ],
)
def test_duplicate_keys(raw: bytes) -> None:
    assert_same(raw)
    assert_same(raw, CleanConfig(max_output_bytes=10))


def test_str_input() -> None:
    nb = _nb([_code([_STREAM, _IMAGE], tags=["keep-output"]), _code([_STREAM], cid="d")])
    for text in (json.dumps(nb), json.dumps(nb, ensure_ascii=False, indent=1)):
        assert _parse_skeleton(text) is not None
        cleaned, report = assert_same(text)
        assert report.outputs_kept == 2 and report.outputs_removed == 1
        assert assert_same(cleaned)[1].changed is False
    # a lone surrogate: Python's json accepts it in a str, msgspec cannot encode it
    text = json.dumps(nb, ensure_ascii=False).replace("é", "\ud800")
    assert _parse_skeleton(text) is None
    assert_same(text)


@pytest.mark.parametrize(
    "outputs",
    [{}, None, "x", 3, [3], [None], [[]], ["s"], [{}], [{"output_type": 5}], [_STREAM, 1]],
    ids=repr,
)
@pytest.mark.parametrize("kept", [False, True])
def test_outputs_of_the_wrong_shape(outputs: Any, kept: bool) -> None:
    tags = ["keep-output"] if kept else []
    raw = json.dumps(_nb([_code([_STREAM], cid="a"), _code(outputs, cid="b", tags=tags)]))
    error = assert_same(raw.encode("utf-8"))
    assert error[0] is NotebookInvalid
    assert "cell 1 (id 'b'): " in error[1]


@pytest.mark.parametrize(
    "raw",
    [
        # syntax errors inside an output that is dropped anyway: the message is json.loads'
        b'{"cells": [{"cell_type": "code", "metadata": {}, "outputs": [{"output_type": "stream", '
        b'"text": "a\tb"}], "source": ""}], "metadata": {}, "nbformat": 4, "nbformat_minor": 4}',
        b'{"cells": [{"cell_type": "code", "metadata": {}, "outputs": [{"output_type": "stream", '
        b'"text": "\\q"}], "source": ""}], "metadata": {}, "nbformat": 4, "nbformat_minor": 4}',
        b'{"cells": [{"cell_type": "code", "metadata": {}, "outputs": [{"output_type": "stream", '
        b'"text": [1,]}], "source": ""}], "metadata": {}, "nbformat": 4, "nbformat_minor": 4}',
        b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 4} x',
        b"",
        b"[]",
        b'{"nbformat": 4.0, "nbformat_minor": 4, "metadata": {}, "cells": []}',
        b'{"nbformat": true, "nbformat_minor": 4, "metadata": {}, "cells": []}',
        b'{"nbformat": 5, "nbformat_minor": 0, "metadata": {}, "cells": []}',
        b'{"nbformat": 4, "nbformat_minor": 4, "metadata": {}}',
        b'{"nbformat": 4, "nbformat_minor": 4, "metadata": {}, "cells": [[]]}',
        b'{"nbformat": 4, "nbformat_minor": 4, "metadata": {}, "cells": {}}',
        b'{"nbformat": 4, "nbformat_minor": 4, "metadata": [], "cells": [{"source": 1}]}',
        b'{"nbformat": 4, "nbformat_minor": 4, "metadata": {}, "cells": [], "x": '
        + b"[" * 100_000
        + b"]" * 100_000
        + b"}",
    ],
)
def test_malformed_same_error(raw: bytes) -> None:
    error = assert_same(raw)
    assert isinstance(error[0], type) and issubclass(error[0], Exception)


def test_escaped_lone_surrogate_in_an_output() -> None:
    """Python's json accepts it, msgspec refuses it: the full parse decides."""
    raw = json.dumps(_nb([_code([{**_STREAM, "text": "\ud800"}])])).encode("ascii")
    assert b'"\\ud800"' in raw
    assert _parse_skeleton(raw) is None
    _, report = assert_same(raw)
    assert report.outputs_removed == 1


def test_unusual_but_valid_notebooks() -> None:
    cells = [
        # "code" spelled with an escape: its outputs are simply parsed in full
        {**_code([_STREAM], cid="a"), "cell_type": "\\u0063ode"},
        # outputs on a markdown cell and on an unknown cell type stay as they are
        {"cell_type": "markdown", "id": "b", "metadata": {}, "source": "", "outputs": [_IMAGE]},
        {"cell_type": "future", "id": "c", "metadata": {}, "outputs": [_IMAGE], "extra": [1.5e300]},
        # unknown keys, a number Python and msgspec might round differently, attachments
        {**_code([_STREAM], cid="d"), "x-unknown": {"n": 0.1 + 0.2, "big": 10**30, "neg": -0.0}},
        {
            "attachments": {"a.png": {"image/png": "iVBOR", "text/plain": "a\nb"}},
            "cell_type": "markdown",
            "id": "e",
            "metadata": {},
            "source": "![a](attachment:a.png)",
        },
        # a code cell without outputs, and one with a huge kept output
        {k: v for k, v in _code([], cid="f").items() if k != "outputs"},
        _code([_IMAGE, _STREAM], cid="g", tags=["keep-output"]),
    ]
    raw = json.dumps(_nb(cells, **{"x-top": {"k": [1, 2.5, None]}}), indent=1)
    raw = raw.replace('"\\\\u0063ode"', '"\\u0063ode"')
    assert _parse_skeleton(raw) is not None
    for config in CONFIGS.values():
        for data in (raw, raw.encode("utf-8"), bytearray(raw.encode("utf-8"))):
            assert_same(data, config)
    assert_same(memoryview(raw.encode("utf-8")))  # not lazily parsed, but accepted


def test_missing_ids_and_more_problems_same_report() -> None:
    cells = [
        _code([_STREAM], cid="bad id!"),
        _code([_STREAM], cid="a"),
        _code([_STREAM], cid="a", tags="keep-output"),
        {"cell_type": "code", "metadata": {}, "outputs": [_STREAM], "source": 1},
    ]
    error = assert_same(json.dumps(_nb(cells)))
    assert error[0] is NotebookInvalid and "(and 3 more problem(s))" in error[1]
    cells = [{k: v for k, v in _code([_STREAM]).items() if k != "id"}]
    _, report = assert_same(json.dumps(_nb(cells)))
    assert report.cells_missing_id == 1
