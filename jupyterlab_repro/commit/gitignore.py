""".gitignore rules for ML work, and adding rules to a repository's ``.gitignore``.

Existing bytes are kept as they are (even when they are not UTF-8); missing
rules are appended under a ``# Added by jupyterlab-repro`` header, and the
file is replaced atomically.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ..errors import InvalidRequest
from ..files import atomic_write, is_within, read_file_if_exists, realpath

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
    return read_file_if_exists(root / ".gitignore", within=root)


def write_ml_gitignore(root: Path, previous: bytes | None) -> None:
    """Give ``root/.gitignore`` every ML rule (grouped), keeping ``previous`` content."""
    data = previous or b""
    missing = missing_ml_rules(present_rules(data))
    if missing:
        atomic_write(
            root / ".gitignore", with_rules(data, missing, header_when_new=False), within=root
        )


def ignore_folder(repo_root: Path, within: Path | None) -> tuple[Path, str]:
    """Where new rules go, and that folder's path in the repository (``""`` at its top).

    The repository's top, unless the server root ``within`` lies inside the
    repository: then the server root.
    """
    if within is None or is_within(repo_root, within):
        return repo_root, ""
    real = Path(realpath(within))
    return real, real.relative_to(repo_root).as_posix()


def rebase_rule(rule: str, prefix: str) -> str:
    """A ``.gitignore``/``.gitattributes`` pattern of the repository's top, for ``prefix/``.

    Patterns with a ``/`` at the start or in the middle are relative to their
    file's folder (gitignore(5)): they must lie below ``prefix`` and lose it;
    others match at any depth and stay as they are.
    """
    if not prefix:
        return rule
    body = rule.rstrip("/")
    if "/" not in body:
        return rule
    path = rule.lstrip("/")
    if not path.startswith(prefix + "/"):
        raise InvalidRequest(
            f"The rule {rule!r} is about files outside the server root "
            f"(the repository's root is above it, this server sees only {prefix}/)."
        )
    return "/" + path[len(prefix) + 1 :]


def add_gitignore_rules(
    repo_root: Path, rules: list[str], *, within: Path | None = None
) -> list[str]:
    """Append the missing ``rules`` (plus the ML defaults) to the repository's ``.gitignore``.

    With ``within`` (the server root) inside the repository, the server
    root's own ``.gitignore`` is used and ``rules`` are rebased onto it
    (:func:`rebase_rule`). Returns the rules actually added (as written).
    """
    folder, prefix = ignore_folder(repo_root, within)
    rebased = [rebase_rule(rule, prefix) for rule in rules]
    data = read_gitignore(folder) or b""
    present = present_rules(data)
    wanted = [r for r in ML_GITIGNORE_RULES if not r.startswith("#")] + rebased
    added: list[str] = []
    for rule in wanted:
        if rule not in present and rule not in added:
            added.append(rule)
    if added:
        atomic_write(
            folder / ".gitignore", with_rules(data, added, header_when_new=True), within=folder
        )
    return added
