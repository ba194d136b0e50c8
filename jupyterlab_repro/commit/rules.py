"""Per-repository rules, read from the repository's own files.

Two places, one wins (no merging, like ruff's ``ruff.toml`` vs ``pyproject.toml``):

1. ``.jupyterlab-repro.toml`` at the repository root, keys at top level;
2. otherwise the ``[tool.jupyterlab-repro]`` table of ``pyproject.toml``.

Keys (kebab-case; snake_case spellings are accepted too)::

    [tool.jupyterlab-repro]
    drop-keys = ["cell.metadata.slideshow"]  # extra metadata to strip
    keep-keys = ["cell.metadata.collapsed"]  # keep despite the defaults
    keep-output-tag = "keep-output"          # false: no cell keeps outputs
    nbstripout-markers = true                # keep what nbstripout keeps (keep_output, init_cell)
    max-output-bytes = 1000000               # per output of a kept cell; false: no limit
    max-file-mb = 10                         # snapshot guardrail (cleaned file size)
    inputs = ["data/", "configs/*.yaml"]     # data runs read: fingerprinted at start_run

    [tool.jupyterlab-repro.export]           # export settings (free-form table for now)

Unknown keys are logged as warnings; values of the wrong type raise
:class:`~jupyterlab_repro.errors.ConfigInvalid` naming the file and the key.
On Python 3.10 this needs ``tomli`` (``tomllib`` is in the standard library
from 3.11).
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigInvalid, UnsafeFile
from ..files import is_within, read_file, realpath
from ..notebook.clean import CleanConfig

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

log = logging.getLogger(__name__)

CONFIG_FILE = ".jupyterlab-repro.toml"
PYPROJECT = "pyproject.toml"
TOOL_TABLE = "jupyterlab-repro"
DEFAULT_MAX_FILE_MB = 10.0

_KNOWN = {
    "drop-keys",
    "keep-keys",
    "keep-output-tag",
    "nbstripout-markers",
    "max-output-bytes",
    "max-file-mb",
    "export",
    "inputs",
}

#: Most patterns ``inputs`` may list.
MAX_INPUT_PATTERNS = 100


@dataclass(frozen=True)
class RepoConfig:
    """Rules for one repository.

    ``source`` is the file they came from (``None``: built-in defaults).
    """

    clean: CleanConfig = field(default_factory=CleanConfig)
    max_file_mb: float = DEFAULT_MAX_FILE_MB
    export: dict[str, Any] = field(default_factory=dict)
    #: Data the repository's runs read (``inputs``): paths relative to the repository, a
    #: trailing ``/`` for a folder, glob patterns (``*``, ``?``, ``[…]``, ``**``) allowed.
    inputs: tuple[str, ...] = ()
    source: Path | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "drop_keys": list(self.clean.drop_keys),
            "keep_keys": list(self.clean.keep_keys),
            "keep_output_tag": self.clean.keep_output_tag,
            "nbstripout_markers": self.clean.nbstripout_markers,
            "max_output_bytes": self.clean.max_output_bytes,
            "max_file_mb": self.max_file_mb,
            "export": dict(self.export),
            "inputs": list(self.inputs),
            "source": str(self.source) if self.source else None,
        }


def load_repo_config(root: str | Path) -> RepoConfig:
    """Read the rules of the repository whose top-level directory is ``root``.

    Raises
    ------
    ConfigInvalid
        Unreadable TOML or a value of the wrong type.
    """
    root = Path(root)
    dedicated = root / CONFIG_FILE
    pyproject = root / PYPROJECT
    if dedicated.is_file():
        table = _read_toml(dedicated)
        if pyproject.is_file() and TOOL_TABLE in _tool_tables(pyproject):
            log.info("%s overrides [tool.%s] in %s", dedicated, TOOL_TABLE, pyproject)
        return parse_repo_config(table, source=dedicated)
    if pyproject.is_file():
        tools = _tool_tables(pyproject)
        if TOOL_TABLE in tools:
            table = tools[TOOL_TABLE]
            if not isinstance(table, dict):
                raise ConfigInvalid(f"{pyproject.name}: [tool.{TOOL_TABLE}] must be a table")
            return parse_repo_config(table, source=pyproject)
    return RepoConfig()


def parse_repo_config(table: dict[str, Any], source: str | Path | None = None) -> RepoConfig:
    """Build a :class:`RepoConfig` from an already-parsed TOML table."""
    where = f"{Path(source).name}: " if source else ""
    values: dict[str, Any] = {}
    for raw_key, value in table.items():
        key = raw_key.replace("_", "-")
        if key not in _KNOWN:
            log.warning("%sunknown key %r ignored", where, raw_key)
            continue
        if key in values:
            raise ConfigInvalid(f"{where}{raw_key!r} is given twice (kebab- and snake_case)")
        values[key] = value

    def fail(key: str, expected: str) -> ConfigInvalid:
        return ConfigInvalid(f"{where}{key} must be {expected}, got {values[key]!r}")

    clean_kwargs: dict[str, Any] = {}
    for key in ("drop-keys", "keep-keys"):
        if key in values:
            value = values[key]
            if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
                raise fail(key, "a list of non-empty strings")
            clean_kwargs[key.replace("-", "_")] = tuple(value)
    if "keep-output-tag" in values:
        value = values["keep-output-tag"]
        if value is False:
            clean_kwargs["keep_output_tag"] = None
        elif isinstance(value, str) and value:
            clean_kwargs["keep_output_tag"] = value
        else:
            raise fail("keep-output-tag", "a non-empty string or false")
    if "nbstripout-markers" in values:
        if not isinstance(values["nbstripout-markers"], bool):
            raise fail("nbstripout-markers", "true or false")
        clean_kwargs["nbstripout_markers"] = values["nbstripout-markers"]
    if "max-output-bytes" in values:
        value = values["max-output-bytes"]
        if value is False:
            clean_kwargs["max_output_bytes"] = None
        elif isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            clean_kwargs["max_output_bytes"] = value
        else:
            raise fail("max-output-bytes", "a non-negative integer or false")
    max_file_mb = DEFAULT_MAX_FILE_MB
    if "max-file-mb" in values:
        value = values["max-file-mb"]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise fail("max-file-mb", "a positive number")
        max_file_mb = float(value)
    export: dict[str, Any] = {}
    if "export" in values:
        if not isinstance(values["export"], dict):
            raise fail("export", "a table")
        export = dict(values["export"])
    inputs: tuple[str, ...] = ()
    if "inputs" in values:
        value = values["inputs"]
        if (
            not isinstance(value, list)
            or len(value) > MAX_INPUT_PATTERNS
            or not all(isinstance(v, str) and _relative_pattern(v) for v in value)
        ):
            raise fail(
                "inputs",
                f"a list of at most {MAX_INPUT_PATTERNS} paths or glob patterns relative to "
                "the repository (no '..', not absolute)",
            )
        inputs = tuple(dict.fromkeys(value))
    try:
        clean = CleanConfig(**clean_kwargs)
    except (TypeError, ValueError) as exc:
        raise ConfigInvalid(f"{where}{exc}") from None
    return RepoConfig(
        clean=clean,
        max_file_mb=max_file_mb,
        export=export,
        inputs=inputs,
        source=Path(source) if source else None,
    )


def _relative_pattern(pattern: str) -> bool:
    """A non-empty path or glob relative to the repository that stays inside it."""
    text = pattern.replace("\\", "/")
    if not text.strip() or text.startswith("/") or (len(text) > 1 and text[1] == ":"):
        return False
    if any(ord(c) < 32 for c in text):
        return False
    parts = [p for p in text.split("/") if p]
    return bool(parts) and ".." not in parts and ".git" not in parts


def _read_toml(path: Path) -> dict[str, Any]:
    """A repository's TOML file, through the file door.

    A symlink is followed only when its target stays inside the repository
    (``path``'s folder is the repository's top); errors name the file, never
    its content beyond what the TOML parser reports.
    """
    root = path.parent
    real = Path(realpath(path))
    if not is_within(real, root):
        raise ConfigInvalid(f"{path.name} is a symbolic link that leads out of the repository")
    try:
        data = read_file(real, within=root)
    except UnsafeFile as exc:
        raise ConfigInvalid(f"{path.name}: {exc}") from None
    except OSError as exc:
        raise ConfigInvalid(f"{path.name}: cannot read: {exc.strerror}") from None
    try:
        return tomllib.loads(data.decode("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigInvalid(f"{path.name}: invalid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigInvalid(f"{path.name}: not valid UTF-8") from None


def _tool_tables(pyproject: Path) -> dict[str, Any]:
    tool = _read_toml(pyproject).get("tool", {})
    if not isinstance(tool, dict):
        raise ConfigInvalid(f"{pyproject.name}: [tool] must be a table")
    return tool
