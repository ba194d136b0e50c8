"""``make compose-smoke`` only: the team stack of ``docker/compose.yaml``, started natively.

Collected only with ``REPRO_COMPOSE_SMOKE=1`` (the make target sets it): a plain
``pytest`` skips this folder without a word. With it set, whatever the run needs
and lacks (PostgreSQL, the venvs, the wheel) fails the run, never skips it.
"""

from __future__ import annotations

import os
import sys
from typing import Any

ENABLED = os.environ.get("REPRO_COMPOSE_SMOKE", "").strip() == "1"

if not ENABLED:
    collect_ignore_glob = ["*"]


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The versions the stack ran and how long each service took to be healthy."""
    stack = sys.modules.get("_compose_stack")
    report = getattr(stack, "REPORT", None)
    if not ENABLED or not report:
        return
    terminalreporter.section("compose smoke: what ran")
    for key, value in report.items():
        terminalreporter.write_line(f"{key}: {value}")
