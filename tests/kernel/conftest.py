"""Fixtures for tests that drive real kernels."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture
def clients() -> Iterator[list[Any]]:
    """Kernel clients opened by a test; their ZMQ channels are closed afterwards."""
    opened: list[Any] = []
    yield opened
    for client in opened:
        client.stop_channels()
