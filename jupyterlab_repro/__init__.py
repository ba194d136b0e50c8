"""jupyterlab-repro: reproducible notebook experiments in JupyterLab.

Only the extension points live here; the server glue is imported lazily so
that importing the package (from the CLI, a kernel or the MLflow plugin)
stays cheap.
"""

from __future__ import annotations

from typing import Any

try:
    from ._version import __version__
except ImportError:  # pragma: no cover - running from a source tree without a build
    import warnings

    warnings.warn("Importing 'jupyterlab_repro' outside a proper installation.", stacklevel=2)
    __version__ = "dev"


__all__ = ["__version__", "set_seed"]


def __getattr__(name: str) -> Any:
    """Lazy public helpers: ``jupyterlab_repro.set_seed`` imports nothing heavy up front."""
    if name == "set_seed":
        from .kernel.seed import set_seed

        return set_seed
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "jupyterlab-repro"}]


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "jupyterlab_repro"}]


def _load_jupyter_server_extension(server_app: Any) -> None:
    """Register the REST handlers with the running Jupyter server."""
    from .server.extension import setup_handlers

    setup_handlers(server_app)
    server_app.log.info("jupyterlab_repro %s: server extension loaded", __version__)
