"""Where runs are: local stores named by a URI, and the other stores a folder holds."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from jupyterlab_repro.tracking.uri import local_store, other_stores


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("sqlite:////data/mlflow.db", "/data/mlflow.db"),
        ("sqlite:///mlflow.db", "{cwd}/mlflow.db"),
        ("file:///data/mlruns", "/data/mlruns"),
        ("./mlruns", "{cwd}/mlruns"),
        ("http://127.0.0.1:5000", None),
        ("postgresql://u:p@db/mlflow", None),
        ("sqlite://", None),
    ],
)
def test_local_store(uri: str, expected: str | None, tmp_path: Path) -> None:
    found = local_store(uri, tmp_path)
    want = None if expected is None else Path(expected.format(cwd=tmp_path))
    assert found == want


def test_other_stores_leave_out_the_one_read_and_what_is_no_store(tmp_path: Path) -> None:
    sub = tmp_path / "sub"
    (sub / "mlruns" / "1" / "run" / "artifacts").mkdir(parents=True)  # a SQLite store's artifacts
    assert other_stores(sub, f"sqlite:///{tmp_path}/mlflow.db") == []
    (sub / "mlflow.db").write_bytes(b"")
    assert other_stores(sub, f"sqlite:///{tmp_path}/mlflow.db") == [sub / "mlflow.db"]
    assert other_stores(sub, f"sqlite:///{sub}/mlflow.db") == []  # the store read
    (sub / "mlruns" / "1" / "meta.yaml").write_text("name: x\n", encoding="utf-8")
    assert other_stores(sub, "http://127.0.0.1:5000") == [sub / "mlflow.db", sub / "mlruns"]
    assert other_stores(sub, f"file://{sub}/mlruns") == [sub / "mlflow.db"]
    # A link is no store of this folder: nothing is followed.
    (sub / "mlflow.db").unlink()
    os.symlink(tmp_path / "elsewhere.db", sub / "mlflow.db")
    assert other_stores(sub, f"sqlite:///{tmp_path}/mlflow.db") == [sub / "mlruns"]
