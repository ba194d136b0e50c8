"""parse_notebook_skeleton: parse_notebook's answer, without the output payloads."""

from __future__ import annotations

import base64
import json
import os
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from jupyterlab_repro.errors import NotebookInvalid, ReproError, UnsupportedNotebook
from jupyterlab_repro.notebook.skeleton import parse_notebook_skeleton
from jupyterlab_repro.notebook.validate import parse_notebook

_CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
_FILES = sorted(
    p.relative_to(_CORPUS).as_posix()
    for pattern in ("*.ipynb", "names/*.ipynb", "malformed/*.ipynb")
    for p in _CORPUS.glob(pattern)
) or ["(corpus absent)"]


def reduced(nb: dict[str, Any]) -> dict[str, Any]:
    """What the skeleton keeps of a fully parsed nbformat 4 notebook."""
    if nb["nbformat"] != 4:
        return nb
    out = {k: nb[k] for k in ("nbformat", "nbformat_minor", "metadata") if k in nb}
    if "cells" in nb:
        out["cells"] = [
            {
                **{k: cell[k] for k in ("cell_type", "id", "metadata", "source") if k in cell},
                **(
                    {"outputs": [{"output_type": o["output_type"]} for o in cell["outputs"]]}
                    if "outputs" in cell
                    else {}
                ),
                **(
                    {"attachments": {name: None for name in cell["attachments"]}}
                    if "attachments" in cell
                    else {}
                ),
            }
            for cell in nb["cells"]
        ]
    return out


def outcome(parse: Any, data: bytes | str) -> Any:
    try:
        return parse(data)
    except ReproError as exc:
        return (type(exc).__name__, str(exc))


def same_as_full_parse(data: bytes | str) -> None:
    full = outcome(parse_notebook, data)
    skeleton = outcome(parse_notebook_skeleton, data)
    assert skeleton == (full if isinstance(full, tuple) else reduced(full))


@pytest.mark.parametrize("name", _FILES)
def test_corpus_notebooks_parse_like_the_full_parser(name: str, corpus_dir: Path) -> None:
    data = (corpus_dir / name).read_bytes()
    same_as_full_parse(data)
    same_as_full_parse(data.decode("utf-8", "surrogateescape"))


def notebook(**cell_extra: Any) -> dict[str, Any]:
    png = base64.b64encode(os.urandom(3000)).decode("ascii")
    return {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": 3,
                "id": "a1",
                "metadata": {"tags": ["export"]},
                "outputs": [
                    {"output_type": "stream", "name": "stdout", "text": ["loss 0.1\n"]},
                    {
                        "output_type": "display_data",
                        "data": {"image/png": png, "text/plain": ["<Figure>"]},
                        "metadata": {},
                    },
                ],
                "source": ["import torch\n", "x = 1"],
                **cell_extra,
            },
            {"cell_type": "markdown", "id": "b2", "metadata": {}, "source": "# Titel – ü"},
        ],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def encode(nb: Any) -> bytes:
    return json.dumps(nb, ensure_ascii=False).encode("utf-8")


def test_outputs_keep_only_their_type() -> None:
    nb = parse_notebook_skeleton(encode(notebook(attachments={"a.png": {"image/png": "eA=="}})))
    cell = nb["cells"][0]
    assert cell["outputs"] == [{"output_type": "stream"}, {"output_type": "display_data"}]
    assert cell["attachments"] == {"a.png": None}
    assert cell["source"] == ["import torch\n", "x = 1"]
    assert nb["cells"][1]["source"] == "# Titel – ü"
    assert "execution_count" not in cell


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        # Python's json accepts these, msgspec does not: the full parser decides.
        (encode(notebook()).replace(b'"tags"', b'"nan": NaN, "tags"'), "parses"),
        (b"\xef\xbb\xbf" + encode(notebook()), "parses"),
        (encode(notebook()).replace(b'"x = 1"', b'"x = \\ud800"'), "parses"),
        (encode({**notebook(), "nbformat": 3, "worksheets": [{"cells": []}]}), "parses"),
        (encode(notebook()).replace(b'"id": "a1"', b'"id": "zz", "id": "a1"'), "parses"),
        (
            encode(notebook()).replace(b'"execution_count": 3', b'"execution_count": 1e999'),
            "parses",
        ),
        # Invalid input: the same error, word for word.
        (encode(notebook()).replace(b"loss 0.1", b"loss \xff 0.1"), NotebookInvalid),
        (encode(notebook(outputs={"a": 1})), NotebookInvalid),
        (encode(notebook(outputs=["text"])), NotebookInvalid),
        (encode(notebook(outputs=[{"name": "stdout"}])), NotebookInvalid),
        (encode(notebook(attachments=[1])), NotebookInvalid),
        (encode({**notebook(), "nbformat": 5}), UnsupportedNotebook),
        (encode({**notebook(), "nbformat": True}), NotebookInvalid),
        (encode({**notebook(), "cells": {"a": 1}}), NotebookInvalid),
        (encode([1, 2]), NotebookInvalid),
        (encode(notebook())[:-5], NotebookInvalid),
        (encode(notebook()) + b" []", NotebookInvalid),
        (b"", NotebookInvalid),
    ],
)
def test_unusual_input_gets_the_full_parsers_answer(data: bytes, expected: Any) -> None:
    same_as_full_parse(data)
    if expected == "parses":
        parse_notebook_skeleton(data)
    else:
        with pytest.raises(expected):
            parse_notebook_skeleton(data)


def test_output_payloads_are_never_held_in_memory() -> None:
    big = notebook()
    payload = base64.b64encode(os.urandom(6_000_000)).decode("ascii")
    big["cells"][0]["outputs"][1]["data"]["image/png"] = payload
    data = encode(big)
    tracemalloc.start()
    try:
        nb = parse_notebook_skeleton(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert nb["cells"][0]["source"] == ["import torch\n", "x = 1"]
    # json.loads holds the payload at least twice (16 MB); the skeleton none of it
    # (the UTF-8 check of this non-ASCII file copies 256 KB at a time).
    assert peak < len(data) / 8
