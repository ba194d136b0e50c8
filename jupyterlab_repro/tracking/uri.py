"""Where the runs are: tracking URIs from server configuration, never from a request.

``default_tracking_uri`` (``MLFLOW_TRACKING_URI``, else the embedded SQLite
store ``<root>/mlflow.db``), the kind of a URI, a URI without its secrets,
the environment that bounds MLflow's HTTP client in processes of our own, and
the other stores a folder holds (:func:`other_stores`): MLflow's own default,
when a process sets no URI, is a store relative to its working directory
(``mlflow.db`` since MLflow 3, ``mlruns/`` before, and still ``mlruns/`` when
that folder holds runs), so a kernel started in a subfolder logs there.
"""

from __future__ import annotations

import math
import os
import re
import stat
from pathlib import Path
from urllib.parse import urlsplit

from ..files import realpath


def default_tracking_uri(root_dir: str | os.PathLike[str]) -> str:
    """``MLFLOW_TRACKING_URI`` if set, else the embedded store ``<root>/mlflow.db``."""
    env = os.environ.get("MLFLOW_TRACKING_URI", "").strip()
    if env:
        return env
    return "sqlite:///" + Path(realpath(root_dir), "mlflow.db").as_posix()


def uri_kind(uri: str) -> str:
    """``sqlite``, ``http``, ``file``, ``postgresql``, ``mysql``, ``databricks`` …"""
    if uri.strip().lower() in ("databricks", "databricks-uc", "uc"):
        return "databricks"
    try:
        scheme = urlsplit(uri).scheme.lower()
    except ValueError:
        return "unknown"
    if len(scheme) == 1:  # a Windows drive letter: a local path
        return "file"
    scheme = scheme.split("+", 1)[0]
    if scheme in ("http", "https"):
        return "http"
    if scheme in ("", "file"):
        return "file"
    if scheme == "postgres":
        return "postgresql"
    return scheme


def redact_uri(uri: str) -> str:
    """``uri`` without user, password, query or fragment (which may hold secrets)."""
    try:
        netloc = urlsplit(uri).netloc
    except ValueError:
        return "<invalid uri>"
    base = re.split(r"[?#]", uri, maxsplit=1)[0]
    if "@" in netloc:
        base = base.replace(netloc, netloc.rpartition("@")[2], 1)
    return base


def sqlite_path(uri: str) -> Path | None:
    """The database file of a ``sqlite:///path`` URI (``None`` for in-memory / others)."""
    if not uri.lower().startswith("sqlite:"):
        return None
    rest = uri[len("sqlite:") :]
    if not rest.startswith("///"):
        return None
    path = rest[3:].split("?", 1)[0]
    if not path or path == ":memory:":
        return None
    # sqlite:////abs → "/abs"; sqlite:///rel → "rel" (relative to the cwd)
    return Path(path if path.startswith("/") or re.match(r"^[A-Za-z]:", path) else path)


#: The stores MLflow makes in a process's working directory when no URI is set.
DEFAULT_STORE_NAMES = ("mlflow.db", "mlruns")


def local_store(uri: str, cwd: str | os.PathLike[str] | None = None) -> Path | None:
    """The file (SQLite) or folder (file store) a local ``uri`` names, absolute; else ``None``."""
    if uri_kind(uri) == "sqlite":
        path = sqlite_path(uri)
    elif uri_kind(uri) == "file":
        raw = uri[len("file://") :] if uri.lower().startswith("file://") else uri
        path = Path(raw) if raw else None
    else:
        return None
    if path is None:
        return None
    return Path(os.path.abspath(Path(cwd or os.getcwd()) / path))


def other_stores(folder: str | os.PathLike[str], uri: str) -> list[Path]:
    """MLflow stores in ``folder`` that are not the one ``uri`` names.

    ``mlflow.db`` (a file) and ``mlruns/`` holding runs (an experiment folder
    with its ``meta.yaml``, MLflow's own test; the artifacts a SQLite store
    keeps under ``mlruns/`` are not a store). Nothing is followed or opened:
    ``lstat`` and a folder listing only.
    """
    ours = local_store(uri)
    ours_real = Path(realpath(ours)) if ours is not None else None
    found = []
    for name in DEFAULT_STORE_NAMES:
        path = Path(folder, name)
        try:
            st = os.lstat(path)
        except OSError:
            continue
        if name == "mlflow.db" and not stat.S_ISREG(st.st_mode):
            continue
        if name == "mlruns" and not (stat.S_ISDIR(st.st_mode) and _has_file_store_runs(path)):
            continue
        if ours_real is not None and Path(realpath(path)) == ours_real:
            continue
        found.append(path)
    return found


def _has_file_store_runs(folder: Path) -> bool:
    try:
        with os.scandir(folder) as entries:
            return any(
                entry.is_dir(follow_symlinks=False)
                and entry.name.isdigit()
                and os.path.lexists(os.path.join(entry.path, "meta.yaml"))
                for entry in entries
            )
    except OSError:
        return False


def bounded_http_env(timeout: float) -> dict[str, str]:
    """Environment values that make MLflow's HTTP client give up within ``timeout``.

    The CLI sets them in its own process. The server never sets them in its
    environment (kernels inherit it); its MLflow calls read them in their own
    threads only (:func:`~jupyterlab_repro.tracking.bounded.bound_mlflow_http`).
    """
    return {
        "MLFLOW_HTTP_REQUEST_TIMEOUT": str(max(1, math.ceil(timeout))),
        "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0",
        "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "0",
    }
