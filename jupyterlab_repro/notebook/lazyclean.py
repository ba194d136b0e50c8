"""Parsing for :func:`~jupyterlab_repro.notebook.clean.clean_text` that skips dropped outputs.

Cleaning throws away almost every byte of a training notebook (base64 images,
HTML tables, logs), yet ``json.loads`` first turns all of them into Python
strings: at 50 MB the parse, not the cleaning, sets the time and the peak
memory. :func:`parse_for_cleaning` splits the file with msgspec into
``msgspec.Raw`` slices (views of the input, no copies), replaces the outputs
of every code cell by stubs ``{"output_type": …}``, and parses the text that
is left (a few percent of the file) with ``json.loads``.

Why the result is :func:`~jupyterlab_repro.notebook.validate.parse_notebook`'s
    Every value that can reach the cleaned notebook is parsed by
    ``json.loads`` from its original bytes, so numbers, strings and duplicate
    keys (the last one wins, in both parsers) come out exactly as in the full
    parse. The stubs keep all that :func:`check_notebook` looks at in
    outputs (a list of objects, each ``output_type``), so the same problems
    are reported in the same words, and as many outputs are counted as
    removed. The outputs of cells that keep them are parsed from their bytes
    after the check, before cleaning.

What goes to the full parser (which accepts it or words the error)
    Input that is not ``bytes``/``bytearray``/``str``; bytes that are not
    UTF-8 (msgspec does not check strings it skips); JSON msgspec refuses
    (``NaN``/``Infinity``, which Python's parser accepts, escaped lone
    surrogates, and every syntax error, so that the message is
    ``json.loads``'); ``nbformat`` other than the integer 4 (nbformat 3 is
    rare); ``cells`` that are not a list of objects; ``outputs`` of a code
    cell that are not a list of objects; anything ``json.loads`` then
    refuses.

Bytes are the cheapest input: the slices point into them. For a ``str``,
msgspec reads its UTF-8 form, which CPython builds (and keeps with the
string) unless the text is ASCII.

Known differences, both at limits Python itself sets: inside a dropped
output, an integer literal longer than ``sys.get_int_max_str_digits()`` is
not converted (the full parse fails with a bare ``ValueError``), and msgspec
counts nesting depth against the recursion limit slightly differently from
``json.loads`` (a few levels either side of ~1,000, which also move with the
caller's stack depth).
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Callable
from typing import Any

import msgspec
from msgspec import UNSET, Raw, UnsetType

from .skeleton import is_utf8
from .validate import check_notebook, parse_notebook

__all__ = ["parse_for_cleaning"]


class _Output(msgspec.Struct):
    """An output as validation sees it: its ``output_type``; the payload is skipped."""

    output_type: Raw | UnsetType = UNSET


_OBJECT = msgspec.json.Decoder(dict[str, Raw])
_CELLS = msgspec.json.Decoder(list[dict[str, Raw]])
_OUTPUTS = msgspec.json.Decoder(list[_Output])

#: A code cell's ``cell_type`` as every writer spells it. Another spelling
#: (``"\u0063ode"``) only means that the cell's outputs are parsed in full.
_CODE = Raw(b'"code"')


def parse_for_cleaning(
    data: bytes | str, *, keeps_output: Callable[[dict[str, Any], dict[str, Any]], bool]
) -> dict[str, Any]:
    """``parse_notebook(data)``, with the outputs of cells cleaning drops left as stubs.

    Code cells for which ``keeps_output(notebook, cell)`` is true get their real
    outputs. The metadata rules run later and only remove keys, so a cell
    kept after them is kept here too (a rule removing ``tags`` only costs a
    parse for nothing).

    Raises :class:`~jupyterlab_repro.errors.NotebookInvalid` or
    :class:`~jupyterlab_repro.errors.UnsupportedNotebook` exactly when
    ``parse_notebook`` does.
    """
    parsed = _parse_skeleton(data)
    if parsed is None:
        return parse_notebook(data)
    nb, skipped = parsed
    check_notebook(nb)
    cells = nb["cells"]
    for index, outputs in skipped:
        if keeps_output(nb, cells[index]):
            try:
                cells[index]["outputs"] = json.loads(str(outputs, "utf-8"))
            except (ValueError, RecursionError):
                return parse_notebook(data)  # words the error json.loads gave
    return nb


def _parse_skeleton(data: bytes | str) -> tuple[dict[str, Any], list[tuple[int, Raw]]] | None:
    """The notebook with every code cell's outputs stubbed, and those outputs' bytes.

    ``None`` when the full parser must decide (see the module docs).
    """
    source: bytes | bytearray | memoryview | str
    if isinstance(data, (bytes, bytearray)):
        if not is_utf8(data):
            return None
        source = data
        if data.startswith(codecs.BOM_UTF8):
            source = memoryview(data)[len(codecs.BOM_UTF8) :]
    elif isinstance(data, str):
        source = data[1:] if data.startswith("\ufeff") else data
    else:
        return None
    skipped: list[tuple[int, Raw]] = []
    try:
        top = _OBJECT.decode(source)
        if "cells" not in top or not _is_v4(top.get("nbformat")):
            return None
        nb = json.loads(str(_skeleton(top, skipped), "utf-8"))
    except (msgspec.DecodeError, ValueError, RecursionError):
        # ValueError: json.loads' own refusals, and a str that msgspec cannot
        # encode as UTF-8 (lone surrogates).
        return None
    return nb, skipped


def _is_v4(nbformat: Raw | None) -> bool:
    if nbformat is None:
        return False
    value = json.loads(str(nbformat, "utf-8"))
    return type(value) is int and value == 4


def _skeleton(top: dict[str, Raw], skipped: list[tuple[int, Raw]]) -> bytes:
    """The notebook's JSON text with each code cell's outputs stubbed.

    Appends ``(cell index, outputs)`` to ``skipped`` for every stubbed cell.
    Keys are written in their original order; values are the original bytes.
    """
    parts: list[bytes | Raw] = []
    names: dict[str, bytes] = {}  # each key's JSON, encoded once

    def member(n: int, key: str) -> None:
        name = names.get(key)
        if name is None:
            name = names[key] = json.dumps(key).encode("ascii") + b":"
        if n:
            parts.append(b",")
        parts.append(name)

    parts.append(b"{")
    for n, (key, value) in enumerate(top.items()):
        member(n, key)
        if key != "cells":
            parts.append(value)
            continue
        parts.append(b"[")
        for index, cell in enumerate(_CELLS.decode(value)):
            parts.append(b",{" if index else b"{")
            code = cell.get("cell_type") == _CODE
            for m, (ckey, cvalue) in enumerate(cell.items()):
                member(m, ckey)
                if ckey == "outputs" and code:
                    parts.append(_stubs(cvalue))
                    skipped.append((index, cvalue))
                else:
                    parts.append(cvalue)
            parts.append(b"}")
        parts.append(b"]")
    parts.append(b"}")
    return b"".join(parts)


def _stubs(outputs: Raw) -> bytes:
    """``[{"output_type": …}, …]``: what validation and the report read of outputs."""
    stubs = (
        b"{}" if out.output_type is UNSET else b'{"output_type":' + bytes(out.output_type) + b"}"
        for out in _OUTPUTS.decode(outputs)
    )
    return b"[" + b",".join(stubs) + b"]"
