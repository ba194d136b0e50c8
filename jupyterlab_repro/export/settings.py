"""Export settings remembered in the notebook's metadata (``metadata.jupyterlab_repro.export``)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..deadline import Deadline
from ..errors import PathOutsideRoot
from ..files import realpath
from ..git.repository import find_repository
from .selection import parse_selection

METADATA_KEY = "jupyterlab_repro"


@dataclass(frozen=True)
class ExportSettings:
    """``metadata.jupyterlab_repro.export``: target module and cell selector."""

    module: str | None = None
    cells: str | None = None


def read_export_settings(metadata: Mapping[str, Any] | None) -> ExportSettings:
    """The remembered export settings in notebook ``metadata`` (ill-typed values ignored)."""
    section = (metadata or {}).get(METADATA_KEY)
    export = section.get("export") if isinstance(section, Mapping) else None
    if not isinstance(export, Mapping):
        return ExportSettings()
    module, cells = export.get("module"), export.get("cells")
    return ExportSettings(
        module=module if isinstance(module, str) and module.strip() else None,
        cells=cells if isinstance(cells, str) and cells.strip() else None,
    )


def with_export_settings(
    metadata: Mapping[str, Any] | None, *, module: str, cells: str | None = None
) -> dict[str, Any]:
    """A copy of notebook ``metadata`` remembering ``module`` and ``cells``.

    ``cells`` is normalized (:func:`parse_selection`); other keys are kept.
    """
    selector = str(parse_selection(cells))
    out = dict(metadata or {})
    section = out.get(METADATA_KEY)
    section = dict(section) if isinstance(section, Mapping) else {}
    section["export"] = {"module": module, "cells": selector}
    out[METADATA_KEY] = section
    return out


def module_setting(
    notebook_path: str | os.PathLike[str], output_path: str | os.PathLike[str]
) -> str:
    """``output_path`` as remembered in metadata: relative to the notebook's folder."""
    base = realpath(Path(notebook_path).parent)
    return Path(os.path.relpath(realpath(output_path), base)).as_posix()


def resolve_module_setting(
    notebook_path: str | os.PathLike[str],
    module: str,
    *,
    root: str | os.PathLike[str] | None = None,
    deadline: Deadline | None = None,
) -> Path:
    """Resolve a remembered ``module`` path; it must stay inside the notebook's
    repository, or ``root``, or (outside both) the notebook's folder."""
    if "\x00" in module or os.path.isabs(module) or module.startswith(("/", "\\")):
        raise PathOutsideRoot(f"The remembered module path {module!r} must be relative.")
    nb_dir = Path(realpath(Path(notebook_path).parent))
    if root is not None:
        base = Path(realpath(root))
    else:
        base = find_repository(nb_dir, deadline=deadline) or nb_dir
    real = Path(realpath(nb_dir / module))
    if real != base and base not in real.parents:
        raise PathOutsideRoot(
            f"The remembered module path {module!r} leads outside {base.name or base}."
        )
    return real
