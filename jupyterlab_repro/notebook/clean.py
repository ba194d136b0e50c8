"""Deterministic, idempotent stripping of outputs and noisy metadata.

What is removed (defaults, see :data:`DEFAULT_DROP_KEYS`)
    Code cell outputs (``[]``) and execution counts (``null``); run timing
    (``ExecuteTime``, JupyterLab's ``execution``, papermill's per-cell record);
    view state (``collapsed``, ``scrolled``, ``hidden``, ``heading_collapsed``,
    ``jupyter.outputs_hidden``); Colab run-time noise (cell ``colab``,
    ``outputId``, ``executionInfo``; notebook ``colab.provenance``,
    ``collapsed_sections``, ``toc_visible``, ``last_runtime``); widget state
    (``metadata.widgets``); ``language_info`` except its ``name``; the
    ``toc``/``varInspector`` nbextension settings; VS Code's interpreter hash;
    nbformat's transient keys (``signature``, ``orig_nbformat``, cell
    ``trusted``); the export settings the lab remembers in the notebook
    (``jupyterlab_repro.export``: the target module and cells of "Export cells
    to module", a setting of this working copy, not code — the notebook stays
    "outputs only" after an export; ``keep-keys =
    ["metadata.jupyterlab_repro.export"]`` commits them).

What is kept
    Cell sources, ids, types, ``tags``, attachments, ``jupyter.source_hidden``
    (an author's presentation choice, unlike ``outputs_hidden`` which is
    meaningless once outputs are gone), ``kernelspec``, ``language_info.name``,
    Colab's ``cellView``/``gpuType``/``accelerator`` (they say how to run the
    notebook), every key this module does not know, and ``nbformat`` /
    ``nbformat_minor`` unchanged. Cells tagged ``keep-output`` keep their
    outputs and execution count, and so do the cells nbstripout keeps (see
    :func:`keeps_output`); any single output over ``max_output_bytes`` is
    dropped and reported. Missing cell ids are reported, never invented.

Layout (the determinism contract)
    The result is exactly what :func:`nbformat.writes` produces for the
    cleaned notebook, plus a trailing newline: ``json.dumps(nb, indent=1,
    sort_keys=True, ensure_ascii=False)`` with multi-line strings written as
    lists of lines (``str.splitlines(keepends=True)``). The original's source
    *representation* (one string vs. a list, or an unusual split) is not
    kept; its *content* (the joined text) is never changed. So the same
    notebook content always gives the same bytes, whichever tool saved it,
    and a cleaned file equals what JupyterLab writes for it.

nbformat 3 notebooks are cleaned as nbformat 3 (``worksheets``, ``input``,
``prompt_number``), never upgraded. Other major versions raise
:class:`~jupyterlab_repro.errors.UnsupportedNotebook`.

Validation is a fast structural check done while cleaning (no
``nbformat.validate`` on the hot path: it costs more than parsing on large
notebooks). ``strict=True`` additionally runs ``nbformat.validate`` on the
*cleaned* notebook, which is small once outputs are gone.
"""

from __future__ import annotations

import copy
import json
import logging
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from ..errors import NotebookInvalid
from .lazyclean import parse_for_cleaning
from .validate import check_notebook, is_multiline, join_v3, parse_notebook

log = logging.getLogger(__name__)

#: Metadata removed by default. ``metadata.…`` is notebook-level,
#: ``cell.metadata.…`` is cell-level; a trailing ``.*`` means "every child".
DEFAULT_DROP_KEYS: tuple[str, ...] = (
    # nbformat's transient keys
    "metadata.signature",
    "metadata.orig_nbformat",
    "metadata.orig_nbformat_minor",
    "cell.metadata.trusted",
    # widget state, editor/nbextension state
    "metadata.widgets",
    "metadata.language_info.*",
    "metadata.toc",
    "metadata.varInspector",
    "metadata.vscode.interpreter",
    # Colab
    "metadata.colab.provenance",
    "metadata.colab.collapsed_sections",
    "metadata.colab.toc_visible",
    "metadata.colab.last_runtime",
    "cell.metadata.colab",
    "cell.metadata.outputId",
    "cell.metadata.executionInfo",
    # papermill run records
    "metadata.papermill.duration",
    "metadata.papermill.start_time",
    "metadata.papermill.end_time",
    "metadata.papermill.exception",
    "cell.metadata.papermill",
    # jupyterlab-repro's own remembered export target (see REMEMBERED_EXPORT_KEY)
    "metadata.jupyterlab_repro.export",
    # timing and view state
    "cell.metadata.ExecuteTime",
    "cell.metadata.execution",
    "cell.metadata.collapsed",
    "cell.metadata.scrolled",
    "cell.metadata.hidden",
    "cell.metadata.heading_collapsed",
    "cell.metadata.jupyter.outputs_hidden",
)

#: Where the lab remembers a notebook's export target: never committed, kept in the
#: working copy (also when a snapshot clears its outputs).
REMEMBERED_EXPORT_KEY = "metadata.jupyterlab_repro.export"

#: Kept even though a drop rule covers them (user ``keep_keys`` add to these).
DEFAULT_KEEP_KEYS: tuple[str, ...] = ("metadata.language_info.name",)

_V3_MULTILINE_OUTPUTS = ("text", "html", "svg", "latex", "javascript", "json")
_SPLIT_NON_TEXT = {"application/javascript", "image/svg+xml"}


@dataclass(frozen=True)
class CleanConfig:
    """What cleaning removes and keeps.

    Parameters
    ----------
    drop_keys
        Extra dotted metadata paths to remove, e.g. ``"metadata.authors"`` or
        ``"cell.metadata.slideshow"``; ``prefix.*`` removes every child.
    keep_keys
        Dotted paths to keep even when a (default or extra) drop rule covers
        them, e.g. ``"cell.metadata.collapsed"`` or ``"metadata.language_info"``.
    keep_output_tag
        Cells carrying this tag keep their outputs; ``None`` disables it.
    nbstripout_markers
        Also keep the outputs nbstripout keeps: cell metadata ``init_cell`` or
        ``keep_output``, the ``keep_output`` tag, notebook metadata
        ``keep_output`` (see :func:`keeps_output`).
    max_output_bytes
        In kept cells, a single output whose JSON is larger is dropped and
        reported; ``None`` means no limit.
    """

    drop_keys: tuple[str, ...] = ()
    keep_keys: tuple[str, ...] = ()
    keep_output_tag: str | None = "keep-output"
    nbstripout_markers: bool = True
    max_output_bytes: int | None = 1_000_000

    def __post_init__(self) -> None:
        for name in ("drop_keys", "keep_keys"):
            value = getattr(self, name)
            if isinstance(value, str) or not all(isinstance(k, str) and k for k in value):
                raise TypeError(f"{name} must be a sequence of non-empty strings")
            object.__setattr__(self, name, tuple(value))
            for key in value:
                if not key.startswith(("metadata.", "cell.metadata.")):
                    raise ValueError(
                        f"{name}: {key!r} must start with 'metadata.' (notebook level) "
                        "or 'cell.metadata.' (cell level)"
                    )
        if self.max_output_bytes is not None and (
            isinstance(self.max_output_bytes, bool)
            or not isinstance(self.max_output_bytes, int)
            or self.max_output_bytes < 0
        ):
            raise ValueError("max_output_bytes must be a non-negative integer or None")


@dataclass
class OversizedOutput:
    """An output of a ``keep-output`` cell dropped for exceeding the limit."""

    cell_index: int
    cell_id: str | None
    output_index: int
    output_type: str
    size: int


@dataclass
class CleanReport:
    """What cleaning did; ``to_dict()`` is JSON-ready."""

    changed: bool = False
    outputs_removed: int = 0
    outputs_kept: int = 0
    kept_outputs_over_limit: list[OversizedOutput] = field(default_factory=list)
    metadata_removed: list[str] = field(default_factory=list)
    cells_missing_id: int = 0
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# --------------------------------------------------------------------------
# public API


def clean_notebook(
    nb: dict[str, Any], config: CleanConfig | None = None, *, in_place: bool = False
) -> tuple[dict[str, Any], CleanReport]:
    """Clean a parsed notebook dict.

    The input is checked first (:func:`check_notebook`). Unless ``in_place``,
    the input is left untouched (outputs are shared, not copied, when they
    are dropped anyway). ``report.changed`` is not computed here (it needs
    the original bytes); :func:`clean_text` sets it.
    """
    config = config or CleanConfig()
    check_notebook(nb)
    if not in_place:
        nb = _copy_without_outputs(nb, config)
    return nb, _clean(nb, config)


def _clean(nb: dict[str, Any], config: CleanConfig) -> CleanReport:
    report = CleanReport()
    rules = _Rules(config)
    rules.apply(nb.setdefault("metadata", {}), "metadata", report)
    if nb["nbformat"] == 3:
        index = 0
        for ws in nb["worksheets"]:
            for cell in ws.get("cells", []):
                _clean_cell_v3(nb, cell, index, config, rules, report)
                index += 1
    else:
        minor = nb["nbformat_minor"]
        for index, cell in enumerate(nb["cells"]):
            _clean_cell_v4(nb, cell, index, config, rules, report)
            if minor >= 5 and "id" not in cell:
                report.cells_missing_id += 1
        if report.cells_missing_id:
            report.warnings.append(
                f"{report.cells_missing_id} cell(s) have no id although nbformat "
                f"4.{minor} requires one; left as they are"
            )
    report.metadata_removed = sorted(set(report.metadata_removed))
    return report


def dumps_notebook(nb: dict[str, Any]) -> str:
    """Serialize like ``nbformat.writes`` (multi-line strings split) plus ``\\n``.

    Mutates ``nb``'s multi-line strings into lists of lines (idempotent).
    """
    if nb.get("nbformat") == 3:
        for ws in nb.get("worksheets", []):
            for cell in ws.get("cells", []):
                _split_v3(cell)
    else:
        for cell in nb.get("cells", []):
            _split_v4(cell)
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def clean_text(
    data: bytes | str,
    config: CleanConfig | None = None,
    *,
    strict: bool = False,
    edit: Callable[[dict[str, Any]], object] | None = None,
) -> tuple[str, CleanReport]:
    """Clean notebook bytes/text; return the cleaned text and a report.

    Parameters
    ----------
    data
        The notebook file's content (bytes are decoded as UTF-8).
    config
        Rules; defaults to :class:`CleanConfig()`.
    strict
        Also validate the cleaned notebook with ``nbformat.validate``.
    edit
        Called with the parsed (and checked) notebook before it is cleaned,
        to change it in place (e.g. the sources a kernel actually ran).

    Raises
    ------
    NotebookInvalid, UnsupportedNotebook

    Notes
    -----
    The outputs that cleaning drops are never decoded: they are most of a
    large notebook's bytes, so decoding them set the time and the peak memory
    (see :mod:`jupyterlab_repro.notebook.lazyclean`). The text, report and errors are
    those of :func:`_clean_text_full`, which parses everything.
    """
    config = config or CleanConfig()
    nb = parse_for_clean(data, config)
    if edit is not None:
        edit(nb)
    return _clean_parsed(data, nb, config, strict)


def parse_for_clean(data: bytes | str, config: CleanConfig | None = None) -> dict[str, Any]:
    """The first half of :func:`clean_text`: the parsed, checked notebook, dropped outputs stubbed.

    :func:`clean_parsed` finishes the job; the parsed notebook may be kept and
    cleaned again later (a copy of it: cleaning changes it in place).
    """
    config = config or CleanConfig()
    return parse_for_cleaning(data, keeps_output=lambda nb, cell: keeps_output(nb, cell, config))


def clean_parsed(nb: dict[str, Any], config: CleanConfig | None = None) -> str:
    """The second half of :func:`clean_text`: clean ``nb`` in place and serialize it."""
    config = config or CleanConfig()
    _clean(nb, config)
    return dumps_notebook(nb)


def _clean_text_full(
    data: bytes | str, config: CleanConfig | None = None, *, strict: bool = False
) -> tuple[str, CleanReport]:
    """:func:`clean_text` on a full :func:`parse_notebook`: the reference it is tested against."""
    config = config or CleanConfig()
    return _clean_parsed(data, parse_notebook(data), config, strict)


def _clean_parsed(
    data: bytes | str, nb: dict[str, Any], config: CleanConfig, strict: bool
) -> tuple[str, CleanReport]:
    """Clean ``nb`` (parsed from ``data``) in place; the rest of :func:`clean_text`."""
    report = _clean(nb, config)
    text = dumps_notebook(nb)
    if strict:
        strict_validate(nb)
    if isinstance(data, str):
        report.changed = text != data
    else:
        report.changed = text.encode("utf-8") != bytes(data)
    for item in report.kept_outputs_over_limit:
        log.warning(
            "dropped a %d-byte %s output of kept cell %d (limit exceeded)",
            item.size,
            item.output_type,
            item.cell_index,
        )
    return text, report


def strict_validate(nb: dict[str, Any]) -> None:
    """Validate with ``nbformat.validate`` (on a copy); raise :class:`NotebookInvalid`."""
    import nbformat
    from nbformat.validator import ValidationError

    with warnings.catch_warnings():
        # nbformat warns (and repairs the copy) for missing ids; we report those ourselves.
        warnings.simplefilter("ignore")
        try:
            nbformat.validate(copy.deepcopy(nb))
        except ValidationError as exc:
            raise NotebookInvalid(f"invalid notebook (nbformat schema): {exc.message}") from None


# --------------------------------------------------------------------------
# cleaning


class _Rules:
    """Drop/keep rules for one level (notebook or cell) of metadata."""

    def __init__(self, config: CleanConfig) -> None:
        drops = DEFAULT_DROP_KEYS + config.drop_keys
        keeps = DEFAULT_KEEP_KEYS + config.keep_keys
        self._drop = {
            "metadata": [k[len("metadata.") :] for k in drops if k.startswith("metadata.")],
            "cell.metadata": [
                k[len("cell.metadata.") :] for k in drops if k.startswith("cell.metadata.")
            ],
        }
        self._keep = {
            "metadata": [k[len("metadata.") :] for k in keeps if k.startswith("metadata.")],
            "cell.metadata": [
                k[len("cell.metadata.") :] for k in keeps if k.startswith("cell.metadata.")
            ],
        }

    def apply(self, meta: dict[str, Any], level: str, report: CleanReport) -> None:
        keeps = self._keep[level]
        for pattern in self._drop[level]:
            _drop_path(meta, pattern, keeps, level, report)


def _drop_path(
    d: dict[str, Any], pattern: str, keeps: list[str], prefix: str, report: CleanReport
) -> None:
    """Remove ``pattern`` (dotted; keys may themselves contain dots) from ``d``."""
    if pattern == "*":
        for key in list(d):
            _drop_key(d, key, keeps, prefix, report)
        return
    if pattern in d:
        _drop_key(d, pattern, keeps, prefix, report)
        return
    pos = pattern.find(".")
    while pos != -1:
        head, rest = pattern[:pos], pattern[pos + 1 :]
        child = d.get(head)
        if isinstance(child, dict):
            if head in keeps:
                return
            was_empty = not child
            sub_keeps = [k[len(head) + 1 :] for k in keeps if k.startswith(head + ".")]
            _drop_path(child, rest, sub_keeps, f"{prefix}.{head}", report)
            if not child and not was_empty:
                del d[head]
            return
        pos = pattern.find(".", pos + 1)


def _drop_key(
    d: dict[str, Any], key: str, keeps: list[str], prefix: str, report: CleanReport
) -> None:
    if key in keeps:
        return
    sub_keeps = [k[len(key) + 1 :] for k in keeps if k.startswith(key + ".")]
    value = d[key]
    if sub_keeps and isinstance(value, dict):
        for child in list(value):
            _drop_key(value, child, sub_keeps, f"{prefix}.{key}", report)
        if value:
            return
    del d[key]
    report.metadata_removed.append(f"{prefix}.{key}")


def _copy_without_outputs(nb: dict[str, Any], config: CleanConfig) -> dict[str, Any]:
    """Deep copy, except outputs that cleaning will drop anyway."""

    def copy_cell(cell: Any) -> Any:
        if not isinstance(cell, dict):
            return copy.deepcopy(cell)
        kept = keeps_output(nb, cell, config)
        return {
            k: (v if k == "outputs" and not kept else copy.deepcopy(v)) for k, v in cell.items()
        }

    out = {k: copy.deepcopy(v) for k, v in nb.items() if k not in ("cells", "worksheets")}
    if "cells" in nb:
        out["cells"] = [copy_cell(c) for c in nb["cells"]]
    if "worksheets" in nb:
        out["worksheets"] = [
            {
                k: ([copy_cell(c) for c in v] if k == "cells" else copy.deepcopy(v))
                for k, v in ws.items()
            }
            for ws in nb["worksheets"]
        ]
    return out


def keeps_output(nb: dict[str, Any], cell: dict[str, Any], config: CleanConfig) -> bool:
    """Whether cleaning keeps the outputs of ``cell`` (a cell of ``nb``).

    Our tag (``keep-output`` unless configured) keeps them. With
    ``nbstripout_markers``, so does what nbstripout honours, in its order:
    a cell's ``init_cell`` metadata decides alone; then its ``keep_output``
    metadata or ``keep_output`` tag (either one keeps); then the notebook's
    ``keep_output`` metadata, the default for every cell.
    """
    meta = cell.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    tags = meta.get("tags")
    tags = tags if isinstance(tags, list) else []
    if config.keep_output_tag is not None and config.keep_output_tag in tags:
        return True
    if not config.nbstripout_markers:
        return False
    if "init_cell" in meta:
        return bool(meta["init_cell"])
    if "keep_output" in meta or "keep_output" in tags:
        return bool(meta.get("keep_output")) or "keep_output" in tags
    nb_meta = nb.get("metadata")
    return isinstance(nb_meta, dict) and bool(nb_meta.get("keep_output", False))


def _limit_outputs(
    cell: dict[str, Any], index: int, config: CleanConfig, report: CleanReport
) -> None:
    outputs = cell.get("outputs", [])
    if config.max_output_bytes is not None:
        kept = []
        for i, out in enumerate(outputs):
            size = len(json.dumps(out, ensure_ascii=False).encode("utf-8"))
            if size > config.max_output_bytes:
                report.kept_outputs_over_limit.append(
                    OversizedOutput(index, cell.get("id"), i, out.get("output_type", "?"), size)
                )
            else:
                kept.append(out)
        outputs = kept
        cell["outputs"] = outputs
    report.outputs_kept += len(outputs)


def _clean_cell_v4(
    nb: dict[str, Any],
    cell: dict[str, Any],
    index: int,
    config: CleanConfig,
    rules: _Rules,
    report: CleanReport,
) -> None:
    if isinstance(cell.get("metadata"), dict):
        rules.apply(cell["metadata"], "cell.metadata", report)
    if cell.get("cell_type") != "code":
        return
    if keeps_output(nb, cell, config):  # after the rules: cleaning stays idempotent
        _limit_outputs(cell, index, config, report)
        cell.setdefault("execution_count", None)
        return
    report.outputs_removed += len(cell.get("outputs") or [])
    cell["outputs"] = []
    cell["execution_count"] = None


def _clean_cell_v3(
    nb: dict[str, Any],
    cell: dict[str, Any],
    index: int,
    config: CleanConfig,
    rules: _Rules,
    report: CleanReport,
) -> None:
    if "metadata" in cell:
        rules.apply(cell["metadata"], "cell.metadata", report)
    if cell.get("cell_type") != "code":
        return
    if "collapsed" in cell:  # nbformat 3 keeps view state outside the metadata
        del cell["collapsed"]
        report.metadata_removed.append("cell.collapsed")
    if keeps_output(nb, cell, config):  # after the rules: cleaning stays idempotent
        _limit_outputs(cell, index, config, report)
        return
    report.outputs_removed += len(cell.get("outputs") or [])
    cell["outputs"] = []
    cell.pop("prompt_number", None)


# --------------------------------------------------------------------------
# nbformat's line splitting


def _split(value: Any) -> Any:
    if isinstance(value, list):
        value = "".join(value)
    return value.splitlines(True)


def _split_bundle(data: Any) -> None:
    if not isinstance(data, dict):
        return
    for key, value in data.items():
        is_json = key == "application/json" or (
            key.startswith("application/") and key.endswith("+json")
        )
        if is_json:
            continue
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            value = "".join(value)
        if isinstance(value, str):
            if key.startswith("text/") or key in _SPLIT_NON_TEXT:
                data[key] = value.splitlines(True)
            else:
                data[key] = value


def _split_v4(cell: dict[str, Any]) -> None:
    if "source" in cell and is_multiline(cell["source"]):
        cell["source"] = _split(cell["source"])
    attachments = cell.get("attachments")
    if isinstance(attachments, dict):
        for bundle in attachments.values():
            _split_bundle(bundle)
    if cell.get("cell_type") == "code":
        for out in cell.get("outputs", []):
            otype = out.get("output_type")
            if otype in ("execute_result", "display_data"):
                _split_bundle(out.get("data"))
            elif otype == "stream" and is_multiline(out.get("text")):
                out["text"] = _split(out["text"])


def _split_v3(cell: dict[str, Any]) -> None:
    def split(value: Any) -> Any:
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            value = join_v3(value)
        return value.splitlines(True) if isinstance(value, str) else value

    if cell.get("cell_type") == "code":
        if "input" in cell:
            cell["input"] = split(cell["input"])
        for out in cell.get("outputs", []):
            for key in _V3_MULTILINE_OUTPUTS:
                if key in out:
                    out[key] = split(out[key])
    else:
        for key in ("source", "rendered"):
            if key in cell:
                cell[key] = split(cell[key])
