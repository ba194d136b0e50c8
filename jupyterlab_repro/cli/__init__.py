"""cli: ``jupyter repro …``, the terminal door into the same core as the REST API.

``main`` (the parser and exit codes) and one module per subcommand group:
``status``, ``commit`` (strip, snapshot, diff), ``export``, ``runs``.

May import: every core room (lazily, inside the commands). Never: server,
tornado, jupyter_server.
"""

from __future__ import annotations

from .main import main

__all__ = ["main"]
