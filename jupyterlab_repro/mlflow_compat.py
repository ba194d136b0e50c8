"""Shims for the older MLflow releases ``pyproject.toml`` allows (``make mlflow-matrix``).

MLflow before 3.9 imports ``sqlalchemy.pool.FallbackAsyncAdaptedQueuePool`` at
the top of ``mlflow.store.db.utils``; SQLAlchemy 2.1 removed that class, so
every SQL store (``sqlite:///…``, ``postgresql://…``) fails to open with an
``ImportError``. MLflow 3.9 imports it only when asked for by name. The shim
aliases it to ``AsyncAdaptedQueuePool`` (its base class) at the moment MLflow
imports that module, and only when that MLflow needs it and that SQLAlchemy
lacks it: a ``sys.meta_path`` entry that finds nothing and decides then, so
installing it imports nothing (the kernel plugin installs it on every
``import mlflow``).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any

#: The first MLflow whose SQL store opens with SQLAlchemy 2.1.
SQLALCHEMY_21_FIXED = (3, 9)
_MISSING_CLASS = "FallbackAsyncAdaptedQueuePool"


def version_tuple(version: str) -> tuple[int, ...]:
    """``"2.16.0"`` → ``(2, 16, 0)``; ``"3.9.0rc1"`` → ``(3, 9, 0)``; unparsable → ``()``."""
    parts: list[int] = []
    for part in version.split("."):
        match = re.match(r"\d+", part)
        if match is None:
            break
        parts.append(int(match.group()))
        if match.end() != len(part):
            break
    return tuple(parts)


def needs_pool_alias(mlflow: tuple[int, ...]) -> bool:
    """Whether that MLflow imports the pool class SQLAlchemy 2.1 removed."""
    return bool(mlflow) and mlflow < SQLALCHEMY_21_FIXED


def alias_pool_class() -> bool:
    """Alias the class when the MLflow being imported needs it and SQLAlchemy lacks it."""
    version = getattr(sys.modules.get("mlflow.version"), "VERSION", "")
    if not needs_pool_alias(version_tuple(str(version))):
        return False
    import sqlalchemy.pool

    pool: Any = sqlalchemy.pool
    if hasattr(pool, _MISSING_CLASS):
        return False
    setattr(pool, _MISSING_CLASS, pool.AsyncAdaptedQueuePool)
    return True


class _PoolAlias:
    """A ``sys.meta_path`` entry that finds nothing: it only sees MLflow import its SQL utils."""

    target = "mlflow.store.db.utils"

    def find_spec(
        self, name: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if name == self.target:
            alias_pool_class()
        return None  # the regular finders load the module


def install() -> None:
    """Install the shims (idempotent, also across a reload of this module)."""
    if not any(type(f).__name__ == _PoolAlias.__name__ for f in sys.meta_path):
        sys.meta_path.insert(0, _PoolAlias())
