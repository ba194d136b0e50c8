"""MLflow run-context provider: every run started from a notebook knows its code.

Registered under the ``mlflow.run_context_provider`` entry point, it runs in
the *kernel* whenever ``mlflow.start_run()`` is called. MLflow applies
entry-point providers after its built-in ones, so the tags here override the
built-in ``mlflow.source.name``/``type`` (the notebook's base name, or the
kernel launcher's path) and the ``mlflow.source.git.*`` that MLflow derives
from ``sys.argv[0]`` (the launcher's repository, not the notebook's).

Tags (DESIGN.md contract): ``mlflow.source.name`` and ``repro.notebook`` (the
notebook path relative to its repository; absolute outside one),
``mlflow.source.type`` = ``NOTEBOOK``, ``mlflow.source.git.commit`` /
``.branch`` / ``.repoURL`` (``origin``, credentials removed),
``repro.git.dirty``, ``repro.snapshot`` (hidden snapshot commit when dirty,
see :mod:`jupyterlab_repro.snapshots`), ``repro.repo`` (the repository's root
commit, :func:`~jupyterlab_repro.vcs.repository_id`: tells apart notebooks of
the same path in different repositories that log to one tracking server),
``repro.image`` and ``repro.env.*``
(:mod:`jupyterlab_repro.environment`), and ``repro.seed`` once
:func:`jupyterlab_repro.set_seed` was called in this process.

The provider never raises into ``start_run``: each step that fails is logged
as a warning (logging, not :mod:`warnings`, which a ``-W error`` filter would
turn into an exception) and its tags are left out. Set ``REPRO_RUN_CONTEXT=0``
to switch the provider off.

Which notebook: VS Code's ``__vsc_ipynb_file__`` or ipykernel's
``__session__`` in the user namespace, else ``JPY_SESSION_NAME`` (set by
Jupyter Server for the kernels it starts: an absolute path when the client
sends the notebook's name, as JupyterLab does, else the API path relative to
the server root, resolved against the kernel's working directory). The name is
fixed when the kernel starts; renaming the notebook later is not seen. The
notebook is read from disk, so unsaved edits are not part of the snapshot.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from .environment import environment_tags, truncate
from .errors import GitError, ReproError
from .vcs import repository_id, run_git

log = logging.getLogger(__name__)

#: Set to ``0``/``false``/``off`` to disable the provider.
DISABLE_ENV_VAR = "REPRO_RUN_CONTEXT"

#: Seconds each git call of the provider may take.
GIT_TIMEOUT = 5.0

SOURCE_NAME = "mlflow.source.name"
SOURCE_TYPE = "mlflow.source.type"
GIT_COMMIT = "mlflow.source.git.commit"
GIT_BRANCH = "mlflow.source.git.branch"
GIT_REPO_URL = "mlflow.source.git.repoURL"
REPRO_NOTEBOOK = "repro.notebook"
REPRO_DIRTY = "repro.git.dirty"
REPRO_SNAPSHOT = "repro.snapshot"
REPRO_REPO = "repro.repo"
REPRO_SEED = "repro.seed"


class ReproRunContextMixin:
    """Tags tying an MLflow run to the notebook and commit that started it.

    The logic of :class:`ReproRunContext`, which adds MLflow's
    ``RunContextProvider`` as a base (see :func:`_provider_class`).
    """

    def __init__(self) -> None:
        # MLflow builds providers when ``mlflow`` is first imported, usually
        # before the notebook changes directory: keep the kernel's start
        # directory to resolve a relative session path against later.
        try:
            self._start_dir: str | None = os.getcwd()
        except OSError:
            self._start_dir = None
        self._missing_warned: set[str] = set()
        if self.in_context():
            # Package versions, nvidia-smi, the snapshot code and the repository's
            # root commit cost ~150 ms once: pay them now, beside `import mlflow`,
            # not in the first start_run.
            threading.Thread(
                target=_prewarm, args=(self._start_dir,), name="repro-prewarm", daemon=True
            ).start()

    def in_context(self) -> bool:
        """True in a kernel whose notebook file is known (no git call)."""
        try:
            if os.environ.get(DISABLE_ENV_VAR, "").strip().lower() in ("0", "false", "off", "no"):
                return False
            if notebook_path(start_dir=self._start_dir) is not None:
                return True
            self._warn_missing_notebook()
            return False
        except Exception as exc:  # never break start_run
            log.warning("jupyterlab_repro: cannot tell which notebook is running: %s", exc)
            return False

    def _warn_missing_notebook(self) -> None:
        """Once per path: a session names a notebook that is not there (renamed?)."""
        for candidate in session_candidates():
            if candidate.endswith(".ipynb") and candidate not in self._missing_warned:
                self._missing_warned.add(candidate)
                log.warning(
                    "jupyterlab_repro: the notebook %s of this kernel is not found (renamed "
                    "or moved after the kernel started?); runs are not tied to its code",
                    candidate,
                )

    def tags(self) -> dict[str, str]:
        """The run's tags; on any failure, fewer tags and a logged warning."""
        try:
            return _collect_tags(self._start_dir)
        except Exception as exc:
            log.warning("jupyterlab_repro: run tags not recorded: %s", exc, exc_info=True)
            return {}


def _prewarm(start_dir: str | None) -> None:
    try:
        notebook = notebook_path(start_dir=start_dir)
        root = _repository_root(notebook) if notebook is not None else None
        if root is not None:
            repository_id(root, timeout=GIT_TIMEOUT)
        environment_tags()
        from . import snapshots  # noqa: F401
    except Exception:  # the real call will report it
        log.debug("jupyterlab_repro: pre-warming failed", exc_info=True)


def _collect_tags(start_dir: str | None) -> dict[str, str]:
    tags: dict[str, str] = {}
    try:
        tags.update(environment_tags())
    except Exception as exc:
        log.warning("jupyterlab_repro: environment tags not recorded: %s", exc)
    seed = _pending_seed()
    if seed is not None:
        tags[REPRO_SEED] = str(seed)

    notebook = notebook_path(start_dir=start_dir)
    if notebook is None:
        return _finish(tags)
    tags[SOURCE_TYPE] = "NOTEBOOK"
    tags[SOURCE_NAME] = tags[REPRO_NOTEBOOK] = str(notebook)

    root = _repository_root(notebook)
    if root is None:
        return _finish(tags)
    rel = notebook.relative_to(root).as_posix()
    tags[SOURCE_NAME] = tags[REPRO_NOTEBOOK] = rel

    from .snapshots import snapshot_worktree  # only in a notebook: keeps `import mlflow` cheap

    # The root commit walks the history (~50 ms at 10,000 commits, once per
    # kernel): let git do that beside the snapshot's git calls.
    finder = _RepositoryIdFinder(root)
    try:
        snap = snapshot_worktree(root, rel, timeout=GIT_TIMEOUT)
    except Exception as exc:  # a ReproError, or a bug: the notebook tags still go out
        if not isinstance(exc, ReproError):
            log.debug("snapshot failed", exc_info=True)
        log.warning("jupyterlab_repro: the run is not tied to a commit: %s", exc)
        return _finish(finder.add_to(tags))
    if snap.head is not None:
        tags[GIT_COMMIT] = snap.head
    tags[REPRO_DIRTY] = "true" if snap.dirty else "false"
    if snap.dirty:
        tags[REPRO_SNAPSHOT] = snap.commit

    if snap.branch:
        tags[GIT_BRANCH] = snap.branch
    url = _git_line(root, ["config", "--get", "remote.origin.url"])
    if url:
        tags[GIT_REPO_URL] = strip_credentials(url)
    return _finish(finder.add_to(tags))


def _finish(tags: dict[str, str]) -> dict[str, str]:
    return {key: truncate(value) for key, value in tags.items()}


class _RepositoryIdFinder:
    """:func:`~jupyterlab_repro.vcs.repository_id` in a thread of its own."""

    def __init__(self, root: Path) -> None:
        self._found: str | None = None
        self._thread = threading.Thread(
            target=self._run, args=(root,), name="repro-repository-id", daemon=True
        )
        self._thread.start()

    def _run(self, root: Path) -> None:
        try:
            self._found = repository_id(root, timeout=GIT_TIMEOUT)
        except Exception as exc:  # e.g. git vanished: fewer tags, never a traceback
            log.warning("jupyterlab_repro: the repository's root commit is unknown: %s", exc)

    def add_to(self, tags: dict[str, str]) -> dict[str, str]:
        """``tags`` with ``repro.repo`` once the answer is in (within git's timeout)."""
        self._thread.join(GIT_TIMEOUT)
        if self._found:
            tags[REPRO_REPO] = self._found
        return tags


def notebook_path(
    environ: dict[str, str] | None = None, *, start_dir: str | os.PathLike[str] | None = None
) -> Path | None:
    """Absolute real path of the running notebook file, or ``None`` when unknown.

    A relative session path is resolved against the current directory and
    then ``start_dir`` (the kernel's first working directory).
    """
    for candidate in session_candidates(environ):
        found = _resolve_notebook(candidate, start_dir)
        if found is not None:
            return found
    return None


def session_candidates(environ: dict[str, str] | None = None) -> list[str]:
    """Paths naming this kernel's notebook, most specific first (may not exist)."""
    env = os.environ if environ is None else environ
    candidates: list[str] = []
    user_ns = _user_namespace()
    for name in ("__vsc_ipynb_file__", "__session__"):
        value = user_ns.get(name)
        if isinstance(value, str) and value and value not in candidates:
            candidates.append(value)
    if "ipykernel" not in sys.modules:
        # Only the kernel itself: a script started from the notebook (`!python
        # train.py`) inherits the variables but is not the notebook.
        return candidates
    for name in ("__vsc_ipynb_file__", "JPY_SESSION_NAME"):
        value = env.get(name)
        if value and value not in candidates:
            candidates.append(value)
    return candidates


def _user_namespace() -> dict[str, Any]:
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return {}
    try:
        shell = ipython.get_ipython()
    except Exception:
        return {}
    ns = getattr(shell, "user_ns", None)
    return ns if isinstance(ns, dict) else {}


def _resolve_notebook(value: str, start_dir: str | os.PathLike[str] | None) -> Path | None:
    """Resolve a session path: absolute, or an API path relative to the server root.

    The server root is unknown in the kernel, but the kernel starts in the
    notebook's directory, which lies at the end of the API path: try the
    working directory and its parents as the root.
    """
    path = Path(value).expanduser()
    if path.is_absolute():
        return _existing_file(path)
    parts = PurePosixPath(value.replace("\\", "/")).parts
    if not parts or ".." in parts:
        return None
    dirs = [Path.cwd()]
    if start_dir is not None and Path(start_dir) != dirs[0]:
        dirs.append(Path(start_dir))
    for cwd in dirs:
        real_cwd = Path(os.path.realpath(cwd))
        for base in (cwd, *cwd.parents):
            found = _existing_file(base.joinpath(*parts))
            if found is not None and found.parent == real_cwd:
                return found
    return None


def _existing_file(path: Path) -> Path | None:
    try:
        return Path(os.path.realpath(path)) if path.is_file() else None
    except OSError:
        return None


def _repository_root(notebook: Path) -> Path | None:
    try:
        proc = run_git(
            ["rev-parse", "--show-toplevel"], notebook.parent, timeout=GIT_TIMEOUT, read_only=True
        )
    except GitError as exc:
        dotgit = next((p / ".git" for p in notebook.parents if (p / ".git").exists()), None)
        if dotgit is not None:
            log.warning("jupyterlab_repro: git cannot read the repository at %s: %s", dotgit, exc)
        return None
    top = proc.stdout.decode("utf-8", "surrogateescape").strip()
    return Path(os.path.realpath(top)) if top else None


def _git_line(root: Path, args: list[str]) -> str | None:
    try:
        proc = run_git(args, root, timeout=GIT_TIMEOUT, read_only=True)
    except GitError:
        return None
    return proc.stdout.decode("utf-8", "replace").strip() or None


def strip_credentials(url: str) -> str:
    """A remote URL without secrets: ``https://user:token@host/x`` → ``https://host/x``.

    For http(s) the whole user part goes (a lone user name there is usually
    a token) together with any query string; for other schemes only a
    password is removed (``ssh://git@host/x`` stays). scp-like
    ``git@host:path`` and local paths are returned unchanged.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if not parts.scheme or not parts.netloc or "@" not in parts.netloc:
        if parts.scheme in ("http", "https") and parts.query:
            return urlunsplit(parts._replace(query="", fragment=""))
        return url
    userinfo, _, hostport = parts.netloc.rpartition("@")
    scheme = parts.scheme.lower()
    if scheme in ("http", "https"):
        return urlunsplit((parts.scheme, hostport, parts.path, "", ""))
    user = userinfo.split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}@{hostport}" if user else hostport))


def _pending_seed() -> int | None:
    seed_module = sys.modules.get("jupyterlab_repro.seed")
    if seed_module is None:
        return None
    return seed_module.current_seed()


def _provider_class() -> type[Any]:
    """``ReproRunContext``: :class:`ReproRunContextMixin` + MLflow's ``RunContextProvider``.

    Built here rather than with a ``class`` statement because importing MLflow
    loads the entry-point providers: when this module is imported *before*
    MLflow, the import below re-enters it (through :func:`__getattr__`) while
    it is half-initialised, and both paths must yield the same class.
    """
    cls = globals().get("ReproRunContext")
    if cls is not None:
        return cls
    from mlflow.tracking.context.abstract_context import RunContextProvider

    cls = globals().get("ReproRunContext")  # defined meanwhile by the re-entrant load
    if cls is None:
        cls = type(
            "ReproRunContext",
            (ReproRunContextMixin, RunContextProvider),
            {"__module__": __name__, "__doc__": ReproRunContextMixin.__doc__},
        )
        globals()["ReproRunContext"] = cls
    return cls


def __getattr__(name: str) -> Any:
    if name == "ReproRunContext":
        return _provider_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


ReproRunContext = _provider_class()
