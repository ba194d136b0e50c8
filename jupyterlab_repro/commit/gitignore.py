""".gitignore rules for ML work, and adding rules to a repository's ``.gitignore``.

Existing bytes are kept as they are (even when they are not UTF-8); missing
rules are appended under a ``# Added by jupyterlab-repro`` header, and the
file is replaced atomically.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ..files import atomic_write

#: Ignore rules for ML work, each group under its comment header.
ML_GITIGNORE_RULES: tuple[str, ...] = (
    "# Model weights and checkpoints",
    "*.pt",
    "*.pth",
    "*.ckpt",
    "*.h5",
    "*.onnx",
    "*.safetensors",
    "# Experiment tracking and logs",
    "mlruns/",
    "mlflow.db",
    "logs/",
    "# Python and Jupyter",
    ".ipynb_checkpoints/",
    "__pycache__/",
    "# Secrets",
    ".env",
)

HEADER = "# Added by jupyterlab-repro"


def present_rules(data: bytes) -> set[str]:
    """The stripped lines of a ``.gitignore``'s bytes."""
    return {line.strip().decode("utf-8", "replace") for line in data.splitlines()}


def missing_ml_rules(present: Iterable[str]) -> list[str]:
    """The ML rules not in ``present``, each group under its comment header."""
    have = set(present)
    out: list[str] = []
    header: str | None = None
    for rule in ML_GITIGNORE_RULES:
        if rule.startswith("#"):
            header = rule
        elif rule not in have:
            if header is not None:
                out.append(header)
                header = None
            out.append(rule)
    return out


def with_rules(data: bytes, lines: list[str], *, header_when_new: bool) -> bytes:
    """``data`` with ``lines`` appended (after a blank line and :data:`HEADER` when it had content)."""
    if data and not data.endswith(b"\n"):
        data += b"\n"
    if data:
        data += b"\n" + HEADER.encode() + b"\n"
    elif header_when_new:
        data = HEADER.encode() + b"\n"
    return data + ("\n".join(lines) + "\n").encode("utf-8")


def read_gitignore(root: Path) -> bytes | None:
    """``root/.gitignore``'s bytes, ``None`` when there is none."""
    try:
        return (root / ".gitignore").read_bytes()
    except FileNotFoundError:
        return None


def write_ml_gitignore(root: Path, previous: bytes | None) -> None:
    """Give ``root/.gitignore`` every ML rule (grouped), keeping ``previous`` content."""
    data = previous or b""
    missing = missing_ml_rules(present_rules(data))
    if missing:
        atomic_write(root / ".gitignore", with_rules(data, missing, header_when_new=False))


def add_gitignore_rules(root: Path, rules: list[str]) -> list[str]:
    """Append the missing ``rules`` (plus the ML defaults) to ``root/.gitignore``.

    Returns the rules actually added.
    """
    data = read_gitignore(root) or b""
    present = present_rules(data)
    wanted = [r for r in ML_GITIGNORE_RULES if not r.startswith("#")] + list(rules)
    added: list[str] = []
    for rule in wanted:
        if rule not in present and rule not in added:
            added.append(rule)
    if added:
        atomic_write(root / ".gitignore", with_rules(data, added, header_when_new=True))
    return added
