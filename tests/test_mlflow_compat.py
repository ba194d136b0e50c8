"""The shims for older MLflow releases: active exactly where MLflow needs them.

``make mlflow-matrix`` runs this file under the lowest ``mlflow-skinny``
``pyproject.toml`` allows, ``make pytest`` under the newest: each checks the
shim's decision for the MLflow and SQLAlchemy installed, in a fresh interpreter.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from jupyterlab_repro.mlflow_compat import needs_pool_alias, version_tuple

pytestmark = pytest.mark.mlflow


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("2.16.0", (2, 16, 0)),
        ("3.9.0rc1", (3, 9, 0)),
        ("2.1.0.post1", (2, 1, 0)),
        ("3.10", (3, 10)),
        ("dev", ()),
    ],
)
def test_version_tuple(text: str, parsed: tuple[int, ...]) -> None:
    assert version_tuple(text) == parsed


@pytest.mark.parametrize(
    ("mlflow", "needed"),
    [
        ((2, 16, 0), True),
        ((3, 8, 1), True),
        ((3, 9, 0), False),  # MLflow imports the class only when asked for it
        ((4, 0), False),
        ((), False),  # no MLflow, or a version it cannot read
    ],
)
def test_needs_pool_alias(mlflow: tuple[int, ...], needed: bool) -> None:
    assert needs_pool_alias(mlflow) is needed


def _fresh(code: str) -> dict[str, object]:
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def test_a_sqlite_store_opens_with_the_mlflow_installed(tmp_path: Path) -> None:
    """MLflow's own client creates and reads a SQLite store; SQLAlchemy is patched only if needed."""
    found = _fresh(
        "import importlib.metadata as md, json, sys\n"
        "from mlflow.tracking import MlflowClient  # loads the plugin, which installs the shim\n"
        "import sqlalchemy.pool\n"
        f"client = MlflowClient(tracking_uri='sqlite:///{tmp_path.as_posix()}/mlflow.db')\n"
        "exp = client.create_experiment('compat')\n"
        "run = client.create_run(exp, tags={'repro.notebook': 'a.ipynb'})\n"
        "found = client.search_runs([exp], \"tags.`repro.notebook` = 'a.ipynb'\")\n"
        "print(json.dumps({\n"
        "    'mlflow': md.version('mlflow-skinny'), 'sqlalchemy': md.version('sqlalchemy'),\n"
        "    'hooks': [type(f).__name__ for f in sys.meta_path].count('_PoolAlias'),\n"
        "    'aliased': getattr(sqlalchemy.pool, 'FallbackAsyncAdaptedQueuePool', None)\n"
        "        is sqlalchemy.pool.AsyncAdaptedQueuePool,\n"
        "    'listed': [r.info.run_id for r in found] == [run.info.run_id],\n"
        "}))\n"
    )
    assert found["listed"] is True and found["hooks"] == 1
    sqlalchemy_lacks_it = version_tuple(str(found["sqlalchemy"])) >= (2, 1)
    needed = needs_pool_alias(version_tuple(str(found["mlflow"]))) and sqlalchemy_lacks_it
    assert found["aliased"] is needed, found


def test_install_twice_adds_one_hook() -> None:
    """Installing imports nothing; a second install (or one after a reload) adds no hook."""
    found = _fresh(
        "import json, sys\n"
        "from jupyterlab_repro import mlflow_compat\n"
        "before = set(sys.modules)\n"
        "mlflow_compat.install()\n"
        "added = sorted(set(sys.modules) - before)\n"
        "del sys.modules['jupyterlab_repro.mlflow_compat']  # a reload (layout tests do it)\n"
        "from jupyterlab_repro import mlflow_compat as again\n"
        "again.install()\n"
        "hooks = [type(f).__name__ for f in sys.meta_path].count('_PoolAlias')\n"
        "print(json.dumps({'added': added, 'hooks': hooks}))\n"
    )
    assert found == {"added": [], "hooks": 1}
