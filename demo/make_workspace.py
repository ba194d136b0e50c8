"""Create the demo workspace: a git repository holding a sample training notebook.

Usage::

    python demo/make_workspace.py PATH

PATH is created when needed. When PATH already is a repository holding
``train.ipynb`` nothing is done, so ``make lab`` can call this every time.
Otherwise ``train.ipynb`` is copied in, the repository is created with
jupyterlab-repro's own core (ML ``.gitignore`` + ``chore: initialize
repository``), and the notebook is committed as ``feat: sample training
notebook``. When git knows no identity, a demo identity is stored in the new
repository's config. A PATH inside another repository (``demo-workspace/`` in
a checkout of this project) becomes a repository of its own.
"""

from __future__ import annotations

import contextlib
import filecmp
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

try:
    from jupyterlab_repro.errors import ReproError
except ModuleNotFoundError:  # not installed: use the checkout this script lives in
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from jupyterlab_repro.errors import ReproError
from jupyterlab_repro.commit.init import init_repository
from jupyterlab_repro.git.repository import find_repository, get_identity
from jupyterlab_repro.git.runner import run_git

NOTEBOOK = Path(__file__).resolve().parent / "train.ipynb"
DEMO_NAME = "Repro Demo"
DEMO_EMAIL = "demo@example.invalid"
NOTEBOOK_COMMIT_MESSAGE = "feat: sample training notebook"


class WorkspaceError(Exception):
    """The workspace cannot be created; nothing was changed."""


@contextlib.contextmanager
def _repository_boundary(path: Path) -> Iterator[None]:
    """Stop git's repository discovery at ``path``.

    Without this, a PATH inside another work tree would be seen as part of it
    and ``init_repository`` would refuse.
    """
    previous = os.environ.get("GIT_CEILING_DIRECTORIES")
    ceilings = [str(path.parent)] + ([previous] if previous else [])
    os.environ["GIT_CEILING_DIRECTORIES"] = os.pathsep.join(ceilings)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("GIT_CEILING_DIRECTORIES", None)
        else:
            os.environ["GIT_CEILING_DIRECTORIES"] = previous


def make_workspace(path: Path) -> Path:
    """Create (or keep) the demo repository at ``path`` and return its resolved path.

    Raises
    ------
    WorkspaceError
        When ``path`` cannot become the demo workspace (a file, a repository
        without the notebook, a different ``train.ipynb``).
    ReproError
        When git fails; the directory is left as it was.
    """
    path = Path(path).expanduser()
    if path.exists() and not path.is_dir():
        raise WorkspaceError(f"{path} exists and is not a directory.")
    path.mkdir(parents=True, exist_ok=True)
    path = path.resolve()
    notebook = path / NOTEBOOK.name

    with _repository_boundary(path):
        if find_repository(path) == path:
            if notebook.is_file():
                print(f"Demo workspace ready (already there): {path}")
                return path
            raise WorkspaceError(
                f"{path} is a git repository without {NOTEBOOK.name}; choose another path."
            )

        copied = False
        if notebook.exists():
            if not (notebook.is_file() and filecmp.cmp(notebook, NOTEBOOK, shallow=False)):
                raise WorkspaceError(
                    f"{notebook} exists and differs from the sample; choose another path."
                )
        else:
            shutil.copyfile(NOTEBOOK, notebook)
            copied = True

        gitignore = path / ".gitignore"
        previous_gitignore = gitignore.read_bytes() if gitignore.is_file() else None
        identity: dict[str, str] = {}
        if get_identity(path).missing:
            identity = {"name": DEMO_NAME, "email": DEMO_EMAIL}
        try:
            result = init_repository(path, **identity)
        except BaseException:
            if copied:
                notebook.unlink(missing_ok=True)
            raise
        # From here on the repository is ours: on failure, remove it again.
        try:
            run_git(["add", "--", NOTEBOOK.name], path)
            run_git(["commit", "--quiet", "--no-verify", "-m", NOTEBOOK_COMMIT_MESSAGE], path)
        except BaseException:
            shutil.rmtree(path / ".git", ignore_errors=True)
            if previous_gitignore is None:
                gitignore.unlink(missing_ok=True)
            else:
                gitignore.write_bytes(previous_gitignore)
            if copied:
                notebook.unlink(missing_ok=True)
            raise

    who = (
        f" (demo identity {DEMO_NAME} <{DEMO_EMAIL}> stored in the repository)" if identity else ""
    )
    print(f"Demo workspace created: {path}, {NOTEBOOK.name} committed on {result.branch}{who}")
    return path


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or args[0].startswith("-"):
        print("usage: python demo/make_workspace.py PATH", file=sys.stderr)
        return 2
    try:
        make_workspace(Path(args[0]))
    except (WorkspaceError, ReproError, OSError) as exc:
        print(f"make_workspace: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
