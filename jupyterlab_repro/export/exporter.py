"""The entry point of export: notebook + selection + target → module written (or previewed)."""

from __future__ import annotations

import concurrent.futures
import keyword
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..deadline import Deadline
from ..errors import InvalidRequest
from ..files import check_outside_git_dir, read_file_if_exists, realpath
from ..notebook.ipysyntax import normalize_newlines
from .cells import read_notebook
from .module_text import build_body, with_header
from .provenance import Provenance, notebook_provenance
from .selection import parse_selection
from .settings import module_setting, read_export_settings, resolve_module_setting
from .writer import code_part, is_generated, module_diff, write_compiled

#: Seconds the git facts of an export may take when the caller gives no deadline.
EXPORT_TIMEOUT = 10.0


@dataclass
class ExportResult:
    """What :func:`export_notebook` did (or, for a dry run, would do)."""

    notebook: Path
    output: Path
    text: str
    diff: str
    selector: str
    cells: list[int]  # 1-based numbers of the module-level cells
    main_cells: list[int]  # 1-based numbers of the cells in main()
    names: list[str]  # __all__
    written: bool
    #: The file's bytes differ from ``text`` (a write changes, or changed, it).
    changed: bool
    #: The code differs from the file's (the ``# Commit:`` line ignored): ``--check``.
    out_of_date: bool
    #: An existing file without the generated-file marker is in the way.
    foreign: bool
    warnings: list[str]
    #: ``output`` relative to the notebook's folder, for :func:`with_export_settings`.
    module_setting: str
    provenance: Provenance

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready; no absolute paths (callers add theirs)."""
        return {
            "text": self.text,
            "diff": self.diff,
            "selector": self.selector,
            "cells": self.cells,
            "main_cells": self.main_cells,
            "names": self.names,
            "written": self.written,
            "changed": self.changed,
            "out_of_date": self.out_of_date,
            "foreign": self.foreign,
            "warnings": self.warnings,
            "settings": {"module": self.module_setting, "cells": self.selector},
            "source": {
                "notebook": self.provenance.notebook,
                "commit": self.provenance.commit,
                "dirty": self.provenance.dirty,
                "state": self.provenance.state,
            },
        }


def export_notebook(
    notebook_path: str | os.PathLike[str],
    output_path: str | os.PathLike[str] | None = None,
    selector: str | None = None,
    *,
    root: str | os.PathLike[str] | None = None,
    dry_run: bool = False,
    force: bool = False,
    deadline: Deadline | None = None,
) -> ExportResult:
    """Export cells of a notebook to a module; the one door for the CLI and REST.

    Parameters
    ----------
    notebook_path
        The ``.ipynb`` file.
    output_path
        The ``.py`` module; ``None``: the one remembered in the notebook's
        metadata (confined by :func:`resolve_module_setting`).
    selector
        See :func:`parse_selection`; ``None``: the remembered one, else ``export``.
    root
        Where a remembered module path must stay and what the header's path is
        relative to outside git (the REST layer passes the server root).
    dry_run
        Compute text, diff and flags; write nothing.
    force
        Overwrite an existing file that export did not write.

    Nothing is written unless every check passes. Raises
    :class:`PathNotFound`, :class:`NotebookInvalid`, :class:`InvalidRequest`,
    :class:`PathOutsideRoot`, :class:`InsideGitDirectory`, :class:`ExportError` /
    :class:`CellSyntaxError`, :class:`ForeignFile` and git errors.
    """
    deadline = deadline or Deadline(EXPORT_TIMEOUT, "the export")
    nb_path = Path(notebook_path)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        # The git facts are only needed for the header: ask git while parsing.
        git_facts = pool.submit(notebook_provenance, nb_path, root=root, deadline=deadline)
        notebook = read_notebook(nb_path)
        settings = read_export_settings(notebook.metadata)
        selection = parse_selection(selector if selector is not None else settings.cells)
        if output_path is None:
            if settings.module is None:
                raise InvalidRequest(
                    "No output module: give one (e.g. -o train.py); the notebook does not "
                    "remember one in its metadata."
                )
            target = resolve_module_setting(nb_path, settings.module, root=root, deadline=deadline)
        else:
            target = Path(realpath(output_path))
        warns = _check_output(nb_path, target)
        body = build_body(notebook, selection)
        provenance = git_facts.result()
    module = with_header(body, provenance, selection)
    warns.extend(module.warnings)

    within = Path(realpath(root)) if root is not None else target.parent
    old_bytes = read_file_if_exists(target, within=within)
    old = old_bytes.decode("utf-8", "replace") if old_bytes is not None else None
    changed = old != module.text
    foreign = old is not None and not is_generated(old)
    if old is not None:
        old = normalize_newlines(old)
    out_of_date = old is None or code_part(old) != code_part(module.text)
    written = False
    if not dry_run and changed:
        written = write_compiled(module.text, target, force=force, within=within)
    return ExportResult(
        notebook=nb_path,
        output=target,
        text=module.text,
        diff=module_diff(old, module.text, target.name) if changed else "",
        selector=str(selection),
        cells=list(module.cells),
        main_cells=list(module.main_cells),
        names=list(module.names),
        written=written,
        changed=changed,
        out_of_date=out_of_date,
        foreign=foreign,
        warnings=warns,
        module_setting=module_setting(nb_path, target),
        provenance=provenance,
    )


def _check_output(nb_path: Path, target: Path) -> list[str]:
    """Refuse outputs that cannot be a module next to this notebook; warn about odd names."""
    # The door refuses the write; a preview (--check, dry_run) is refused alike.
    check_outside_git_dir(target)
    if target.suffix != ".py":
        raise InvalidRequest(f"The output must be a .py file, not {target.name!r}.")
    if target.is_dir():
        raise InvalidRequest(f"The output {target.name} is a folder.")
    if not target.parent.is_dir():
        raise InvalidRequest(f"The output's folder does not exist: {target.parent.name}")
    if target == Path(realpath(nb_path)):
        raise InvalidRequest("The output cannot be the notebook itself.")
    stem = target.stem
    warns = []
    if not stem.isidentifier() or keyword.iskeyword(stem):
        warns.append(f"{target.name}: not an importable module name (use letters, digits, _)")
    elif stem in getattr(sys, "stdlib_module_names", ()):
        warns.append(
            f"{target.name}: shadows the standard library module {stem!r} "
            "for code run from its folder"
        )
    return warns
