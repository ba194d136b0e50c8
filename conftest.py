"""pytest configuration shared by every suite: the Jupyter server fixtures."""

import pytest

pytest_plugins = ("pytest_jupyter.jupyter_server",)


@pytest.fixture
def jp_server_config(jp_server_config):
    """Enable the extension in the server that pytest-jupyter starts."""
    return {"ServerApp": {"jpserver_extensions": {"jupyterlab_repro": True}}}
