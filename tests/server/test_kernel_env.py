"""The environment the server's session manager gives kernels: MLFLOW_TRACKING_URI.

A real kernel reads it in ``tests/kernel/test_tracking_uri.py``; here each
configuration's answer, without starting kernels.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

CASES = {
    # case: (server environment, c.Repro settings, what kernels get; "ROOT": the default store)
    "nothing configured": ({}, {}, "sqlite:///ROOT/mlflow.db"),
    "the server's URI": ({}, {"tracking_uri": "http://127.0.0.1:5999"}, "http://127.0.0.1:5999"),
    "turned off": ({}, {"kernels_use_tracking_uri": False}, None),
    "the user's variable": (
        {"MLFLOW_TRACKING_URI": "sqlite:////elsewhere/mine.db"},
        {"tracking_uri": "http://127.0.0.1:5999"},
        "sqlite:////elsewhere/mine.db",
    ),
}


@pytest.fixture(params=list(CASES))
def case(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, ...]:
    environment, settings, expected = CASES[request.param]
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    return settings, expected


@pytest.fixture
def jp_server_config(case: tuple[Any, ...]) -> dict[str, Any]:
    return {"ServerApp": {"jpserver_extensions": {"jupyterlab_repro": True}}, "Repro": case[0]}


def test_what_kernels_get(jp_serverapp: Any, jp_root_dir: Path, case: tuple[Any, ...]) -> None:
    before = dict(os.environ)
    env = jp_serverapp.session_manager.get_kernel_env("sub/nb.ipynb")
    expected = case[1]
    if expected is not None:
        expected = expected.replace("ROOT", str(jp_root_dir.resolve()))
    assert env.get("MLFLOW_TRACKING_URI") == expected
    assert env["JPY_SESSION_NAME"] == "sub/nb.ipynb"
    assert dict(os.environ) == before  # the server's own environment is not changed
