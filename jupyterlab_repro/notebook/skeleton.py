"""A notebook's JSON without its output payloads, for readers that need only the code.

Outputs are most of a training notebook's bytes (base64 images, HTML tables,
logs). :func:`parse_notebook_skeleton` decodes the file with msgspec against
a schema that names only what code readers use, so output payloads are
validated as JSON but never become Python strings: at 50 MB this is about a
tenth of :func:`json.loads`' time and memory.

The result is :func:`~jupyterlab_repro.notebook.validate.parse_notebook`'s, with
each output reduced to ``{"output_type": …}``, each attachment to ``None`` and
only the cell keys ``cell_type``, ``id``, ``metadata`` and ``source`` kept
(nbformat 3 notebooks are returned whole); the checks (:func:`check_notebook`)
and errors are the same. Anything unusual (nbformat 3, JSON only Python's
parser accepts such as ``NaN``, invalid UTF-8, a shape the schema rejects) goes
to the full parser, which accepts it or words the error.

Cleaning has the same problem but must keep every key it does not drop, in
order; :mod:`jupyterlab_repro.notebook.lazyclean` solves it that way (raw slices, the
rest parsed by ``json.loads``), at about twice this module's cost.
"""

from __future__ import annotations

import codecs
from typing import Any

import msgspec
from msgspec import UNSET, Raw, UnsetType

from .validate import check_notebook, parse_notebook

__all__ = ["is_utf8", "parse_notebook_skeleton"]

_CHUNK = 1 << 18  # UTF-8 check: at most this much is copied at a time


class _Output(msgspec.Struct):
    output_type: Any = UNSET


class _Cell(msgspec.Struct):
    cell_type: Any = UNSET
    id: Any = UNSET
    metadata: Any = UNSET
    source: Any = UNSET
    outputs: list[_Output] | UnsetType = UNSET
    attachments: dict[str, Raw] | UnsetType = UNSET


class _Notebook(msgspec.Struct):
    nbformat: Any = UNSET
    nbformat_minor: Any = UNSET
    metadata: Any = UNSET
    cells: list[_Cell] | UnsetType = UNSET
    worksheets: Raw | UnsetType = UNSET


_DECODER = msgspec.json.Decoder(_Notebook)


def parse_notebook_skeleton(data: bytes | str) -> dict[str, Any]:
    """Parse a notebook for its code: outputs reduced to their type (see the module docs).

    Raises :class:`~jupyterlab_repro.errors.NotebookInvalid` or
    :class:`~jupyterlab_repro.errors.UnsupportedNotebook` exactly when
    ``parse_notebook`` does.
    """
    nb = _decode(data)
    if nb is None:
        return _reduce(parse_notebook(data))
    check_notebook(nb)
    return nb


def _reduce(nb: dict[str, Any]) -> dict[str, Any]:
    """A fully parsed notebook in the skeleton's shape (nbformat 3 is returned as it is)."""
    if nb["nbformat"] != 4:
        return nb
    out: dict[str, Any] = {k: nb[k] for k in ("nbformat", "nbformat_minor", "metadata") if k in nb}
    if "cells" in nb:
        out["cells"] = [_reduce_cell(cell) for cell in nb["cells"]]
    return out


def _reduce_cell(cell: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        k: cell[k] for k in ("cell_type", "id", "metadata", "source") if k in cell
    }
    if "outputs" in cell:
        out["outputs"] = [
            {"output_type": o["output_type"]} if "output_type" in o else {} for o in cell["outputs"]
        ]
    if "attachments" in cell:
        out["attachments"] = dict.fromkeys(cell["attachments"])
    return out


def _decode(data: bytes | str) -> dict[str, Any] | None:
    source: bytes | bytearray | memoryview | str = data
    if isinstance(data, (bytes, bytearray)):
        if not is_utf8(data):
            return None
        if data.startswith(codecs.BOM_UTF8):
            source = memoryview(data)[len(codecs.BOM_UTF8) :]
    try:
        decoded = _DECODER.decode(source)
    except (msgspec.DecodeError, RecursionError):
        return None
    # nbformat 3 (worksheets) and anything but a plain integer 4: the full parser.
    if type(decoded.nbformat) is not int or decoded.nbformat != 4:
        return None
    if decoded.worksheets is not UNSET:
        return None
    nb: dict[str, Any] = {"nbformat": 4}
    if decoded.nbformat_minor is not UNSET:
        nb["nbformat_minor"] = decoded.nbformat_minor
    if decoded.metadata is not UNSET:
        nb["metadata"] = decoded.metadata
    if decoded.cells is not UNSET:
        nb["cells"] = [_cell_dict(cell) for cell in decoded.cells]
    return nb


def _cell_dict(cell: _Cell) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ("cell_type", "id", "metadata", "source"):
        value = getattr(cell, key)
        if value is not UNSET:
            out[key] = value
    if cell.outputs is not UNSET:
        out["outputs"] = [
            {} if o.output_type is UNSET else {"output_type": o.output_type} for o in cell.outputs
        ]
    if cell.attachments is not UNSET:
        out["attachments"] = dict.fromkeys(cell.attachments)
    return out


def is_utf8(data: bytes | bytearray) -> bool:
    """Whether ``data`` is valid UTF-8 (msgspec does not check strings it skips).

    ASCII stretches (base64 payloads) are checked at memory speed; only chunks
    with other bytes go through the decoder, so no copy of the file is made.
    """
    if data.isascii():
        return True
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    try:
        for start in range(0, len(data), _CHUNK):
            chunk = view[start : start + _CHUNK]
            if decoder.getstate()[0] or not chunk.tobytes().isascii():
                decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True
