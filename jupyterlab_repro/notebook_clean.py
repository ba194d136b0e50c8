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
    ``trusted``).

What is kept
    Cell sources, ids, types, ``tags``, attachments, ``jupyter.source_hidden``
    (an author's presentation choice, unlike ``outputs_hidden`` which is
    meaningless once outputs are gone), ``kernelspec``, ``language_info.name``,
    Colab's ``cellView``/``gpuType``/``accelerator`` (they say how to run the
    notebook), every key this module does not know, and ``nbformat`` /
    ``nbformat_minor`` unchanged. Cells tagged ``keep-output`` keep their
    outputs and execution count; any single output over ``max_output_bytes``
    is dropped and reported. Missing cell ids are reported, never invented.

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
import re
import warnings
from dataclasses import asdict, dataclass, field
from typing import Any

from .errors import NotebookInvalid, UnsupportedNotebook

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
    # timing and view state
    "cell.metadata.ExecuteTime",
    "cell.metadata.execution",
    "cell.metadata.collapsed",
    "cell.metadata.scrolled",
    "cell.metadata.hidden",
    "cell.metadata.heading_collapsed",
    "cell.metadata.jupyter.outputs_hidden",
)

#: Kept even though a drop rule covers them (user ``keep_keys`` add to these).
DEFAULT_KEEP_KEYS: tuple[str, ...] = ("metadata.language_info.name",)

_CELL_ID_RE = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_V4_TYPES = {"code", "markdown", "raw"}
_V3_TYPES = {"code", "markdown", "raw", "heading"}
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
    max_output_bytes
        In kept cells, a single output whose JSON is larger is dropped and
        reported; ``None`` means no limit.
    """

    drop_keys: tuple[str, ...] = ()
    keep_keys: tuple[str, ...] = ()
    keep_output_tag: str | None = "keep-output"
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


def parse_notebook(data: bytes | str) -> dict[str, Any]:
    """Parse notebook bytes/text and check its structure.

    Raises
    ------
    NotebookInvalid
        Not UTF-8, not JSON, or not a structurally valid notebook.
    UnsupportedNotebook
        A notebook format other than 3 or 4.
    """
    if isinstance(data, (bytes, bytearray, memoryview)):
        try:
            text = bytes(data).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise NotebookInvalid(
                f"not a notebook: not valid UTF-8 (byte {exc.start}: {exc.reason})"
            ) from None
    else:
        text = data
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        nb = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NotebookInvalid(
            f"not a notebook: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    except RecursionError:
        raise NotebookInvalid("not a notebook: JSON nested too deeply") from None
    check_notebook(nb)
    return nb


def check_notebook(nb: Any) -> None:
    """Raise :class:`NotebookInvalid` unless ``nb`` is a structurally valid notebook."""
    problems = _problems(nb)
    if problems:
        extra = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        raise NotebookInvalid(f"invalid notebook: {problems[0]}{extra}", problems)


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
                _clean_cell_v3(cell, index, config, rules, report)
                index += 1
    else:
        minor = nb["nbformat_minor"]
        for index, cell in enumerate(nb["cells"]):
            _clean_cell_v4(cell, index, config, rules, report)
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
    data: bytes | str, config: CleanConfig | None = None, *, strict: bool = False
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

    Raises
    ------
    NotebookInvalid, UnsupportedNotebook

    Notes
    -----
    The outputs that cleaning drops are never decoded: they are most of a
    large notebook's bytes, so decoding them set the time and the peak memory
    (see :mod:`jupyterlab_repro.lazyclean`). The text, report and errors are
    those of :func:`_clean_text_full`, which parses everything.
    """
    from .lazyclean import parse_for_cleaning  # lazyclean imports this module

    config = config or CleanConfig()
    return _clean_parsed(data, parse_for_cleaning(data, config), config, strict)


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


def source_text(cell: dict[str, Any], nbformat_major: int = 4) -> str:
    """A cell's source as one string (``input`` for nbformat 3 code cells)."""
    key = "input" if nbformat_major == 3 and cell.get("cell_type") == "code" else "source"
    value = cell.get(key, "")
    if isinstance(value, list):
        return _join_v3(value) if nbformat_major == 3 else "".join(value)
    return value


# --------------------------------------------------------------------------
# validation


def _problems(nb: Any) -> list[str]:
    if not isinstance(nb, dict):
        return [f"top level is {_kind(nb)}, not an object"]
    if "nbformat" not in nb:
        return ["'nbformat' is missing (is this a notebook?)"]
    major = nb["nbformat"]
    if not isinstance(major, int) or isinstance(major, bool):
        return [f"'nbformat' must be an integer, got {_kind(major)}"]
    if major not in (3, 4):
        raise UnsupportedNotebook(
            f"nbformat {major} notebooks are not supported (only 3 and 4); "
            "convert it with `jupyter nbconvert --to notebook`"
        )
    problems: list[str] = []
    minor = nb.get("nbformat_minor")
    if "nbformat_minor" not in nb:
        problems.append("'nbformat_minor' is missing")
    elif not isinstance(minor, int) or isinstance(minor, bool) or minor < 0:
        problems.append(f"'nbformat_minor' must be a non-negative integer, got {minor!r}")
    meta = nb.get("metadata", {} if major == 3 else None)
    if not isinstance(meta, dict):
        problems.append(
            "'metadata' is missing"
            if meta is None
            else f"'metadata' must be an object, not {_kind(meta)}"
        )
    else:
        problems += _notebook_meta_problems(meta)
    if major == 3:
        problems += _v3_problems(nb)
    else:
        problems += _v4_problems(nb, minor if isinstance(minor, int) else 0)
    return problems


def _notebook_meta_problems(meta: dict[str, Any]) -> list[str]:
    problems = []
    ks = meta.get("kernelspec")
    if ks is not None:
        if not isinstance(ks, dict):
            problems.append(f"metadata.kernelspec must be an object, not {_kind(ks)}")
        else:
            for key in ("name", "display_name"):
                if key in ks and not isinstance(ks[key], str):
                    problems.append(f"metadata.kernelspec.{key} must be a string")
    li = meta.get("language_info")
    if li is not None and (not isinstance(li, dict) or not isinstance(li.get("name", ""), str)):
        problems.append("metadata.language_info must be an object with a string 'name'")
    authors = meta.get("authors")
    if authors is not None and not (
        isinstance(authors, list) and all(isinstance(a, dict) for a in authors)
    ):
        problems.append("metadata.authors must be a list of objects")
    return problems


def _v4_problems(nb: dict[str, Any], minor: int) -> list[str]:
    cells = nb.get("cells")
    if cells is None:
        return ["'cells' is missing"]
    if not isinstance(cells, list):
        return [f"'cells' must be a list, not {_kind(cells)}"]
    problems: list[str] = []
    seen: dict[str, int] = {}
    for index, cell in enumerate(cells):
        where = f"cell {index}"
        if not isinstance(cell, dict):
            problems.append(f"{where} is {_kind(cell)}, not an object")
            continue
        if "id" in cell:
            cid = cell["id"]
            where = f"cell {index} (id {cid!r})"
            if minor >= 5:
                if not isinstance(cid, str) or not _CELL_ID_RE.match(cid):
                    problems.append(
                        f"{where}: invalid cell id (1-64 characters from a-z, A-Z, 0-9, - and _)"
                    )
                elif cid in seen:
                    problems.append(f"{where}: duplicate cell id (also cell {seen[cid]})")
                else:
                    seen[cid] = index
        ctype = cell.get("cell_type")
        if ctype is None:
            problems.append(f"{where}: 'cell_type' is missing")
            continue
        if not isinstance(ctype, str):
            problems.append(f"{where}: 'cell_type' must be a string")
            continue
        problems += _cell_meta_problems(cell, where, required=ctype in _V4_TYPES)
        if ctype not in _V4_TYPES:
            continue  # an unrecognized (future) cell type: passed through
        if "source" not in cell:
            problems.append(f"{where}: 'source' is missing")
        elif not _is_multiline(cell["source"]):
            problems.append(f"{where}: 'source' must be a string or a list of strings")
        if ctype == "code":
            problems += _outputs_problems(cell, where, "outputs")
        if "attachments" in cell and not isinstance(cell["attachments"], dict):
            problems.append(f"{where}: 'attachments' must be an object")
    return problems


def _v3_problems(nb: dict[str, Any]) -> list[str]:
    worksheets = nb.get("worksheets")
    if worksheets is None:
        return ["'worksheets' is missing (nbformat 3)"]
    if not isinstance(worksheets, list):
        return [f"'worksheets' must be a list, not {_kind(worksheets)}"]
    problems: list[str] = []
    index = 0
    for w, ws in enumerate(worksheets):
        if not isinstance(ws, dict) or not isinstance(ws.get("cells", []), list):
            problems.append(f"worksheet {w} must be an object with a 'cells' list")
            continue
        for cell in ws.get("cells", []):
            where = f"cell {index}"
            index += 1
            if not isinstance(cell, dict):
                problems.append(f"{where} is {_kind(cell)}, not an object")
                continue
            ctype = cell.get("cell_type")
            if ctype not in _V3_TYPES:
                problems.append(f"{where}: unknown or missing 'cell_type' {ctype!r}")
                continue
            problems += _cell_meta_problems(cell, where, required=False)
            key = "input" if ctype == "code" else "source"
            if key not in cell:
                problems.append(f"{where}: {key!r} is missing")
            elif not _is_multiline(cell[key]):
                problems.append(f"{where}: {key!r} must be a string or a list of strings")
            if ctype == "code":
                problems += _outputs_problems(cell, where, "outputs")
    return problems


def _cell_meta_problems(cell: dict[str, Any], where: str, *, required: bool) -> list[str]:
    if "metadata" not in cell:
        return [f"{where}: 'metadata' is missing"] if required else []
    meta = cell["metadata"]
    if not isinstance(meta, dict):
        return [f"{where}: 'metadata' must be an object, not {_kind(meta)}"]
    problems = []
    tags = meta.get("tags")
    if tags is not None and not (isinstance(tags, list) and all(isinstance(t, str) for t in tags)):
        problems.append(f"{where}: metadata.tags must be a list of strings")
    for key in ("jupyter", "execution"):
        if key in meta and not isinstance(meta[key], dict):
            problems.append(f"{where}: metadata.{key} must be an object, not {_kind(meta[key])}")
    for key in ("name", "format"):
        if key in meta and not isinstance(meta[key], str):
            problems.append(f"{where}: metadata.{key} must be a string")
    for key in ("deletable", "editable"):
        if key in meta and not isinstance(meta[key], bool):
            problems.append(f"{where}: metadata.{key} must be true or false")
    return problems


def _outputs_problems(cell: dict[str, Any], where: str, key: str) -> list[str]:
    outputs = cell.get(key, [])
    if not isinstance(outputs, list):
        return [f"{where}: {key!r} must be a list, not {_kind(outputs)}"]
    for i, out in enumerate(outputs):
        if not isinstance(out, dict) or not isinstance(out.get("output_type"), str):
            return [f"{where}: output {i} must be an object with an 'output_type'"]
    return []


def _is_multiline(value: Any) -> bool:
    return isinstance(value, str) or (
        isinstance(value, list) and all(isinstance(line, str) for line in value)
    )


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", type(None): "null"}.get(
        type(value), type(value).__name__
    )


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
    tag = config.keep_output_tag

    def copy_cell(cell: Any) -> Any:
        if not isinstance(cell, dict):
            return copy.deepcopy(cell)
        tags = (
            cell.get("metadata", {}).get("tags") if isinstance(cell.get("metadata"), dict) else None
        )
        kept = tag is not None and isinstance(tags, list) and tag in tags
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


def _keeps_output(cell: dict[str, Any], config: CleanConfig) -> bool:
    tags = cell.get("metadata", {}).get("tags")
    return config.keep_output_tag is not None and bool(tags) and config.keep_output_tag in tags


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
    cell: dict[str, Any], index: int, config: CleanConfig, rules: _Rules, report: CleanReport
) -> None:
    if isinstance(cell.get("metadata"), dict):
        rules.apply(cell["metadata"], "cell.metadata", report)
    if cell.get("cell_type") != "code":
        return
    if _keeps_output(cell, config):
        _limit_outputs(cell, index, config, report)
        cell.setdefault("execution_count", None)
        return
    report.outputs_removed += len(cell.get("outputs") or [])
    cell["outputs"] = []
    cell["execution_count"] = None


def _clean_cell_v3(
    cell: dict[str, Any], index: int, config: CleanConfig, rules: _Rules, report: CleanReport
) -> None:
    if "metadata" in cell:
        rules.apply(cell["metadata"], "cell.metadata", report)
    if cell.get("cell_type") != "code":
        return
    if "collapsed" in cell:  # nbformat 3 keeps view state outside the metadata
        del cell["collapsed"]
        report.metadata_removed.append("cell.collapsed")
    if _keeps_output(cell, config):
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
    if "source" in cell and _is_multiline(cell["source"]):
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
            elif otype == "stream" and _is_multiline(out.get("text")):
                out["text"] = _split(out["text"])


def _join_v3(lines: list[str]) -> str:
    # nbformat.v3.rwbase._join_lines: lists not written by splitlines(True)
    # were written by splitlines() and are joined with newlines.
    if lines and lines[0].endswith(("\n", "\r")):
        return "".join(lines)
    return "\n".join(lines)


def _split_v3(cell: dict[str, Any]) -> None:
    def split(value: Any) -> Any:
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            value = _join_v3(value)
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
