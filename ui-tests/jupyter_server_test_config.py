"""Jupyter server configuration for the Galata UI tests (``jlpm start``).

Galata's helper picks a temporary root directory (or
``JUPYTERLAB_GALATA_ROOT_DIR``), port 8888, no token. Inside that root this
file prepares what the specs expect:

- ``demo/``: a git repository made by ``demo/make_workspace.py`` (first commit
  ``chore: initialize repository``, HEAD ``feat: sample training notebook``);
- ``scratch/``: a plain folder, not a repository, with ``untitled.ipynb``.

The root itself is not a repository (Galata creates one folder per test in
it), and git's repository discovery stops at the root, so a root placed inside
a checkout still behaves the same.

Never use this configuration outside tests: it removes every protection.
"""

import importlib.util
import os
import shutil
import tempfile
from pathlib import Path

import nbformat
from jupyterlab.galata import configure_jupyter_server

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)

configure_jupyter_server(c)

c.ServerApp.ip = "127.0.0.1"
c.ServerApp.allow_root = True
c.LabApp.news_url = None
c.LabApp.check_for_updates_class = "jupyterlab.NeverCheckForUpdate"
# Galata deletes each test's folder afterwards; some hold a repository.
c.FileContentsManager.delete_to_trash = False
c.FileContentsManager.always_delete_dir = True
# Notebook 7 pages expose `window.jupyterapp` only with
# `--JupyterNotebookApp.expose_app_in_browser=True`, which `jlpm start` passes on
# the command line: set in this file, it does not reach the notebook extension.

TEST_IDENTITY = ("Repro UI Tests", "ui-tests@example.invalid")


def _load_make_workspace():
    script = Path(__file__).resolve().parent.parent / "demo" / "make_workspace.py"
    spec = importlib.util.spec_from_file_location("repro_demo_make_workspace", script)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load {script}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _prepare_root(root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    if (root / ".git").exists():
        raise RuntimeError(f"The UI-test root {root} must not be a git repository.")
    # git ignores the developer's global and system configuration (identity,
    # init.defaultBranch, hooks, signing), so every run sees the same repositories.
    git_home = Path(tempfile.mkdtemp(prefix="repro-ui-tests-git-"))
    (git_home / "gitconfig").touch()
    os.environ["GIT_CONFIG_GLOBAL"] = str(git_home / "gitconfig")
    os.environ["GIT_CONFIG_NOSYSTEM"] = "1"
    # Repository discovery stops at the root: folders in it are repositories
    # only when they hold one themselves.
    ceilings = [str(root.parent)]
    if os.environ.get("GIT_CEILING_DIRECTORIES"):
        ceilings.append(os.environ["GIT_CEILING_DIRECTORIES"])
    os.environ["GIT_CEILING_DIRECTORIES"] = os.pathsep.join(ceilings)

    make_workspace = _load_make_workspace()
    from jupyterlab_repro.git.repository import get_identity

    if get_identity(root).missing:  # always, unless GIT_AUTHOR_* came from outside
        # A deterministic author for the repositories this server creates.
        name, email = TEST_IDENTITY
        for role in ("AUTHOR", "COMMITTER"):
            os.environ[f"GIT_{role}_NAME"] = name
            os.environ[f"GIT_{role}_EMAIL"] = email

    demo = make_workspace.make_workspace(root / "demo")
    os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{demo / 'mlflow.db'}"

    scratch = root / "scratch"
    shutil.rmtree(scratch, ignore_errors=True)  # fresh on every start
    scratch.mkdir()
    notebook = nbformat.v4.new_notebook(
        metadata={
            "kernelspec": {
                "display_name": "Python 3 (ipykernel)",
                "language": "python",
                "name": "python3",
            }
        }
    )
    notebook.cells.append(nbformat.v4.new_code_cell("print('not in a repository')"))
    nbformat.write(notebook, scratch / "untitled.ipynb")


_prepare_root(Path(os.path.realpath(c.ServerApp.root_dir)))
