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
see :mod:`jupyterlab_repro.kernel.hidden_snapshots`), ``repro.repo`` (the repository's root
commit, :func:`~jupyterlab_repro.git.repository.repository_id`: tells apart notebooks of
the same path in different repositories that log to one tracking server),
``repro.image`` and ``repro.env.*``
(:mod:`jupyterlab_repro.kernel.environment`), ``repro.env.lock`` (the full
environment lock) and ``repro.inputs`` (the declared data's fingerprints),
kept in the repository by :mod:`jupyterlab_repro.kernel.records`, and
``repro.seed`` once :func:`jupyterlab_repro.set_seed` was called in this
process. In a kernel a reproduction started, ``repro.reproduces`` and
``repro.reproduction.job`` too.

The provider never raises into ``start_run``: each step that fails is logged
as a warning (logging, not :mod:`warnings`, which a ``-W error`` filter would
turn into an exception) and its tags are left out. Set ``REPRO_RUN_CONTEXT=0``
to switch the provider off.

Which notebook: VS Code's ``__vsc_ipynb_file__`` or ipykernel's
``__session__`` in the user namespace, else ``JPY_SESSION_NAME`` (set by
Jupyter Server for the kernels it starts: an absolute path when the client
sends the notebook's name, as JupyterLab does, else the API path relative to
the server root, resolved against the kernel's working directory). The name is
fixed when the kernel starts; renaming the notebook later is not seen.

The code that ran: from the moment MLflow loads the plugin, every cell
execution is recorded (:mod:`~jupyterlab_repro.kernel.executed_cells`; what ran
before comes from IPython's history). When an executed source differs from
the saved notebook (an unsaved edit, a cell run and then deleted, a cell not
saved yet), the hidden snapshot holds the notebook *as executed* and the run
is tagged ``repro.unsaved=true``; ``repro.execution_order`` lists the cells in
the order they last ran. A run whose state has not changed since the last one
(same notebook file, HEAD, index, executed cells, and the same cell running)
reuses its tags without reading anything (a sweep of runs in one cell).
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from pathlib import Path, PurePosixPath
from typing import Any

from ..deadline import Deadline
from ..errors import GitError, ReproError
from ..files import realpath
from ..git.remotes import origin_url
from ..git.repository import find_repository, git_dirs, repository_id
from ..git.runner import Git
from ..mlflow_compat import install as install_mlflow_shims
from ..tags import (
    GIT_BRANCH,
    GIT_COMMIT,
    GIT_REPO_URL,
    REPRO_DIRTY,
    REPRO_EXECUTION_ORDER,
    REPRO_NOTEBOOK,
    REPRO_REPO,
    REPRO_SEED,
    REPRO_SNAPSHOT,
    REPRO_UNSAVED,
    SOURCE_NAME,
    SOURCE_TYPE,
    compact_order,
)
from .environment import environment_tags, truncate
from .executed_cells import ExecutedCells
from .records import RunRecords

log = logging.getLogger(__name__)

# MLflow loads this plugin on `import mlflow`, before it opens any store.
install_mlflow_shims()

#: Set to ``0``/``false``/``off`` to disable the provider.
DISABLE_ENV_VAR = "REPRO_RUN_CONTEXT"

#: Seconds all git calls of one ``start_run`` may take together.
CONTEXT_TIMEOUT = 20.0


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
        self._executed: ExecutedCells | None = None
        self._cache = _StateCache()
        self._records = RunRecords()
        self.in_context()  # starts recording and pre-warming in a notebook kernel

    def _start(self) -> None:
        """Once, when the provider first finds itself in a notebook kernel."""
        # From now on every cell execution is recorded (and the history holds
        # what ran before): runs record the code that ran, not the saved file.
        shell = _shell()
        self._executed = ExecutedCells(shell)
        try:
            from .datasets import DatasetInputs

            self._records.on_inputs = DatasetInputs(shell).expect
        except Exception as exc:  # never break start_run
            log.debug("dataset inputs are not logged: %s", exc)
        # Package versions, the environment lock, nvidia-smi, parsing the
        # notebook, cleaning HEAD's version of it and the repository's root
        # commit cost ~0.1-0.3 s once: pay them now, beside `import mlflow`,
        # not in the first start_run.
        threading.Thread(
            target=_prewarm,
            args=(self._start_dir, self._records),
            name="repro-prewarm",
            daemon=True,
        ).start()

    def in_context(self) -> bool:
        """True in a kernel whose notebook file is known (no git call)."""
        try:
            if os.environ.get(DISABLE_ENV_VAR, "").strip().lower() in ("0", "false", "off", "no"):
                return False
            if notebook_path(start_dir=self._start_dir) is not None:
                if self._executed is None:
                    self._start()
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
            return _collect_tags(self._start_dir, self._executed, self._cache, self._records)
        except Exception as exc:
            log.warning("jupyterlab_repro: run tags not recorded: %s", exc, exc_info=True)
            return {}


def _prewarm(start_dir: str | None, records: RunRecords | None = None) -> None:
    try:
        deadline = Deadline(CONTEXT_TIMEOUT, "pre-warming the run context")
        notebook = notebook_path(start_dir=start_dir)
        root = _repository_root(notebook, deadline) if notebook is not None else None
        environment_tags()
        if records is not None:
            records.prewarm(root)
        if root is not None and notebook is not None:
            from .hidden_snapshots import prewarm

            prewarm(root, notebook.relative_to(root).as_posix())
            repository_id(root, deadline=deadline)
    except Exception:  # the real call will report it
        log.debug("jupyterlab_repro: pre-warming failed", exc_info=True)


def _collect_tags(
    start_dir: str | None,
    executed: ExecutedCells | None = None,
    cache: _StateCache | None = None,
    records: RunRecords | None = None,
) -> dict[str, str]:
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
        if records is not None:
            tags.update(records.tags(None))
        return _finish(tags)
    tags[SOURCE_TYPE] = "NOTEBOOK"
    tags[SOURCE_NAME] = tags[REPRO_NOTEBOOK] = str(notebook)
    key = cache.key(notebook, executed) if cache is not None else None
    if cache is not None and key is not None and key == cache.last_key:
        code_tags = cache.last_tags  # nothing changed since the last run
    else:
        code_tags = _code_tags(notebook, executed)
        if cache is not None:
            cache.remember(notebook, key, code_tags, executed)
    if records is not None:
        root = cache.root(notebook) if cache is not None else None
        if (
            root is None
            and REPRO_NOTEBOOK in code_tags
            and code_tags[REPRO_NOTEBOOK] != str(notebook)
        ):
            root = _root_of(notebook, code_tags[REPRO_NOTEBOOK])
        tags.update(records.tags(root))
    return _finish({**tags, **code_tags})


def _root_of(notebook: Path, rel: str) -> Path | None:
    """The repository root, from the notebook's path and its path relative to the root."""
    depth = len(PurePosixPath(rel).parts)
    root = notebook.parents[depth - 1] if 0 < depth <= len(notebook.parents) else None
    return root if root is not None and (root / rel) == notebook else None


def _code_tags(notebook: Path, executed: ExecutedCells | None) -> dict[str, str]:
    """The tags that say which code ran: path, commit, snapshot, unsaved cells, order."""
    tags: dict[str, str] = {}
    deadline = Deadline(CONTEXT_TIMEOUT, "recording the run's code")
    root = _repository_root(notebook, deadline)
    if root is None:
        return tags
    rel = notebook.relative_to(root).as_posix()
    tags[SOURCE_NAME] = tags[REPRO_NOTEBOOK] = rel

    # Only in a notebook: keeps `import mlflow` cheap.
    from .hidden_snapshots import snapshot_worktree

    # The root commit walks the history (~50 ms at 10,000 commits, once per
    # kernel): let git do that beside the snapshot's git calls.
    finder = _RepositoryIdFinder(root, deadline)
    executions = executed.executions() if executed is not None else None
    try:
        snap = snapshot_worktree(root, rel, deadline=deadline, executions=executions)
    except Exception as exc:  # a ReproError, or a bug: the notebook tags still go out
        if not isinstance(exc, ReproError):
            log.debug("snapshot failed", exc_info=True)
        log.warning("jupyterlab_repro: the run is not tied to a commit: %s", exc)
        return finder.add_to(tags)
    if snap.head is not None:
        tags[GIT_COMMIT] = snap.head
    tags[REPRO_DIRTY] = "true" if snap.dirty else "false"
    if snap.dirty:
        tags[REPRO_SNAPSHOT] = snap.commit
    if snap.unsaved:
        tags[REPRO_UNSAVED] = "true"
    if snap.executed is not None and snap.executed.order:
        tags[REPRO_EXECUTION_ORDER] = compact_order(snap.executed.order)
    if snap.branch:
        tags[GIT_BRANCH] = snap.branch
    url = origin_url(Git(root, deadline))
    if url:
        tags[GIT_REPO_URL] = url
    return finder.add_to(tags)


class _StateCache:
    """The last run's code tags, reused while nothing they depend on changed.

    The key is cheap (a few ``stat`` calls, no git, no read of the notebook):
    the notebook's stat, the git directory's ``HEAD``, ``index``,
    ``packed-refs`` and current branch ref, what the kernel executed, and
    the cell being executed. Within one cell's execution (a sweep of runs in
    a loop), a run whose key equals the last one's reuses its tags and
    snapshot; a tracked file other than the notebook that the same cell
    rewrites between two runs is not noticed (the next cell's run sees it).
    """

    def __init__(self) -> None:
        self.last_key: tuple[Any, ...] | None = None
        self.last_tags: dict[str, str] = {}
        self._git_dirs: dict[Path, tuple[Path, Path] | None] = {}
        self._roots: dict[Path, Path | None] = {}

    def root(self, notebook: Path) -> Path | None:
        """The repository root of ``notebook`` as the last run found it (no git call)."""
        return self._roots.get(notebook)

    def key(self, notebook: Path, executed: ExecutedCells | None) -> tuple[Any, ...] | None:
        dirs = self._git_dirs.get(notebook)
        if dirs is None:
            return None  # not known yet: the first run finds them
        git_dir, common = dirs
        try:
            head = (git_dir / "HEAD").read_bytes()
        except OSError:
            return None
        ref = head[5:].strip().decode("utf-8", "replace") if head.startswith(b"ref:") else ""
        files = [notebook, git_dir / "index", common / "packed-refs"]
        if ref:
            files.append(common / ref)
        return (
            str(notebook),
            head,
            tuple(_stat_key(f) for f in files),
            executed.digest() if executed is not None else None,
            executed.execution_count if executed is not None else None,
        )

    def remember(
        self,
        notebook: Path,
        key: tuple[Any, ...] | None,
        tags: dict[str, str],
        executed: ExecutedCells | None,
    ) -> None:
        if notebook not in self._git_dirs:  # the first run: the key is known only now
            self._git_dirs[notebook] = _git_dirs(notebook) if REPRO_NOTEBOOK in tags else None
            key = self.key(notebook, executed)
        rel = tags.get(REPRO_NOTEBOOK)
        self._roots[notebook] = _root_of(notebook, rel) if rel and rel != str(notebook) else None
        self.last_key, self.last_tags = key, dict(tags)


def _stat_key(path: Path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def _git_dirs(notebook: Path) -> tuple[Path, Path] | None:
    """(git dir, common git dir) of the notebook's repository, or ``None``."""
    try:
        return git_dirs(Git(notebook.parent, Deadline(5.0)))
    except Exception:
        return None


def _finish(tags: dict[str, str]) -> dict[str, str]:
    return {key: truncate(value) for key, value in tags.items()}


class _RepositoryIdFinder:
    """:func:`~jupyterlab_repro.git.repository.repository_id` in a thread of its own."""

    def __init__(self, root: Path, deadline: Deadline) -> None:
        self._found: str | None = None
        self._deadline = deadline
        self._thread = threading.Thread(
            target=self._run, args=(root,), name="repro-repository-id", daemon=True
        )
        self._thread.start()

    def _run(self, root: Path) -> None:
        try:
            self._found = repository_id(root, deadline=self._deadline)
        except Exception as exc:  # e.g. git vanished: fewer tags, never a traceback
            log.warning("jupyterlab_repro: the repository's root commit is unknown: %s", exc)

    def add_to(self, tags: dict[str, str]) -> dict[str, str]:
        """``tags`` with ``repro.repo`` once the answer is in (within the deadline)."""
        self._thread.join(self._deadline.remaining())
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


def _shell() -> Any:
    """The running IPython shell, if IPython is loaded (it is, in a kernel)."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return None
    try:
        return ipython.get_ipython()
    except Exception:
        return None


def _user_namespace() -> dict[str, Any]:
    shell = _shell()
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
        real_cwd = Path(realpath(cwd))
        for base in (cwd, *cwd.parents):
            found = _existing_file(base.joinpath(*parts))
            if found is not None and found.parent == real_cwd:
                return found
    return None


def _existing_file(path: Path) -> Path | None:
    try:
        return Path(realpath(path)) if path.is_file() else None
    except OSError:
        return None


def _repository_root(notebook: Path, deadline: Deadline) -> Path | None:
    problem: object = "git does not see a repository there"
    try:
        root = find_repository(notebook.parent, deadline=deadline)
    except GitError as exc:  # a timeout, or another user's repository
        root, problem = None, exc
    if root is None:
        dotgit = next((p / ".git" for p in notebook.parents if (p / ".git").exists()), None)
        if dotgit is not None:
            log.warning(
                "jupyterlab_repro: git cannot read the repository at %s: %s", dotgit, problem
            )
    return root


def _pending_seed() -> int | None:
    seed_module = sys.modules.get("jupyterlab_repro.kernel.seed")
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
