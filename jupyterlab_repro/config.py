"""Server-side settings, configurable like any Jupyter server option.

Set them in ``jupyter_server_config.py`` (``c.Repro.status_timeout = 20``) or on
the command line (``--Repro.status_timeout=20``).
"""

from __future__ import annotations

from traitlets import Float, Int
from traitlets.config import Configurable


class Repro(Configurable):
    """Settings of the jupyterlab-repro server extension."""

    status_timeout = Float(
        10.0,
        min=0.1,
        config=True,
        help="Seconds the repository status may take before the request fails.",
    )
    worker_threads = Int(
        4,
        min=1,
        config=True,
        help="Threads that run blocking git work off the server's event loop.",
    )
