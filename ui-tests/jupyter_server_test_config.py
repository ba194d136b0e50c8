"""Jupyter server configuration for the Galata UI tests (``jlpm start``).

Galata's helper picks a temporary root directory (or
``JUPYTERLAB_GALATA_ROOT_DIR``) and no token; the port is ``REPRO_UI_PORT``
(``make ui-test`` picks a free one; 8888 without it). Inside that root this
file prepares what the specs expect:

- ``demo/``: a git repository made by ``demo/make_workspace.py`` (first commit
  ``chore: initialize repository``, HEAD ``feat: sample training notebook``);
- ``scratch/``: a plain folder, not a repository, with ``untitled.ipynb``;
- ``hostile/``: a repository whose branch, HEAD subject, tag, file names and
  notebook cells are HTML/JS payloads, with uncommitted changes (the notebook
  and a new file), and MLflow runs of that notebook in ``demo/mlflow.db``
  whose run names, parameters, metric names and tag values are payloads
  (``tests/hostile.spec.ts`` checks they render as text);
- in ``demo/mlflow.db``, the experiment the demo notebook logs to
  (``repro-demo``), so a spec's first run of it is not a run in an
  experiment created after the server last listed them (the runs query
  lists experiments with a short cache: such a run shows up one query
  later), and ``tests/runs-live.spec.ts`` measures the panel, not that cache.

The root itself is not a repository (Galata creates one folder per test in
it), and git's repository discovery stops at the root, so a root placed inside
a checkout still behaves the same.

Never use this configuration outside tests: it removes every protection.
"""

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
from jupyterlab.galata import configure_jupyter_server

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)

configure_jupyter_server(c)

c.ServerApp.ip = "127.0.0.1"
c.ServerApp.port = int(os.environ.get("REPRO_UI_PORT") or 8888)
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

# The payloads of hostile/ (tests/hostile.spec.ts spells them the same way).
# Each would run `window.__xss=1` if some view rendered it as HTML.
XSS_IMG = "<img src=x onerror=window.__xss=1>"
XSS_SCRIPT = "<script>window.__xss=1</script>"
XSS_SVG = '"><svg onload=window.__xss=1>'
XSS_URL = "javascript:alert(1)"
# Without spaces, for names git or the export selector refuse spaces in.
XSS_SVG_TIGHT = "<svg/onload=window.__xss=1>"
HOSTILE = {
    "folder": "hostile",
    "notebook": f"{XSS_IMG}.ipynb",
    # A valid ref name (git check-ref-format): no spaces, '/' separates components.
    "branch": f"exp/<b>bold</b>{XSS_SVG_TIGHT}",
    "subject": f"exp: {XSS_IMG} {XSS_SCRIPT}",
    "tag": XSS_SVG_TIGHT,
    "annotation": f"{XSS_SCRIPT}\n\n{XSS_IMG}",
    "untracked": f"{XSS_SVG}.txt",
    "cell_tag": XSS_SVG_TIGHT,
    "module": "hostile_module.py",
    "experiment": f"{XSS_SCRIPT} experiment",
    "runs": [
        {
            "name": XSS_IMG,
            "status": "FINISHED",
            "params": {XSS_SCRIPT: XSS_SVG, "url": XSS_URL},
            "metrics": {XSS_SVG: 0.5, "acc": 0.93},
            "tags": {"mlflow.user": XSS_SVG, "repro.env.python": XSS_IMG},
        },
        {
            "name": XSS_SCRIPT,
            "status": "FAILED",
            "params": {"note": XSS_IMG},
            "metrics": {"acc": 0.25},
            "tags": {"mlflow.user": XSS_URL},
        },
    ],
}


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
    # The store is the server's setting, not the environment's: kernels get
    # it only as a user who set nothing gets it, from the server
    # (c.Repro.kernels_use_tracking_uri), so a notebook in a subfolder logs
    # where the Runs section reads (tests/subfolder.spec.ts).
    os.environ.pop("MLFLOW_TRACKING_URI", None)
    c.Repro.tracking_uri = f"sqlite:///{demo / 'mlflow.db'}"

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

    _make_hostile(root, demo / "mlflow.db")
    _make_demo_experiment(demo / "mlflow.db")


def _hostile_notebook(cells: list[tuple[str, str, list[str]]]) -> str:
    """A notebook of code cells ``(id, source, tags)`` without outputs."""
    notebook = nbformat.v4.new_notebook(
        metadata={
            "kernelspec": {
                "display_name": "Python 3 (ipykernel)",
                "language": "python",
                "name": "python3",
            }
        }
    )
    for cell_id, source, tags in cells:
        cell = nbformat.v4.new_code_cell(source, metadata={"tags": tags} if tags else {})
        cell.id = cell_id
        notebook.cells.append(cell)
    # What "Export" remembers: the module and a cell selector with a payload.
    notebook.metadata["jupyterlab_repro"] = {
        "export": {"module": HOSTILE["module"], "cells": f"tag:{HOSTILE['cell_tag']}"}
    }
    return nbformat.writes(notebook)


def _git(repo: Path, *args: str) -> str:
    proc = subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True, timeout=60
    )
    return proc.stdout.strip()


# Runs in a child process (with this server's Python): MLflow and its SQLite
# engine stay out of the server, which imports MLflow lazily itself. Metric
# and parameter names with '<' or '"' are refused by MLflow's client, so the
# runs log placeholder names that are then renamed in the store, as a store
# written by another tool (or tampered with) would hold them.
_SEED_RUNS = r"""
import json, sqlite3, sys, time
from mlflow.tracking import MlflowClient

spec = json.loads(sys.argv[1])
client = MlflowClient(tracking_uri=spec["uri"])
experiment = client.get_experiment_by_name(spec["experiment"])
if experiment is None:
    experiment_id = client.create_experiment(spec["experiment"])
else:  # a reused root: only this start's runs are listed
    experiment_id = experiment.experiment_id
    for run in client.search_runs([experiment_id], max_results=1000):
        client.delete_run(run.info.run_id)
renames = []
for index, run in enumerate(spec["runs"]):
    tags = {
        "repro.notebook": spec["notebook"],
        "mlflow.source.name": spec["notebook"],
        "mlflow.source.git.commit": spec["commit"],
        "mlflow.source.git.branch": spec["branch"],
        **run["tags"],
    }
    created = client.create_run(experiment_id, tags=tags, run_name=run["name"])
    run_id = created.info.run_id
    for number, (key, value) in enumerate(run["params"].items()):
        placeholder = f"hostile_param_{index}_{number}"
        client.log_param(run_id, placeholder, value)
        renames.append(("params", placeholder, key, run_id))
    for number, (key, value) in enumerate(run["metrics"].items()):
        placeholder = f"hostile_metric_{index}_{number}"
        client.log_metric(run_id, placeholder, value, step=0)
        renames.append(("metrics", placeholder, key, run_id))
        renames.append(("latest_metrics", placeholder, key, run_id))
    client.set_terminated(run_id, run["status"])
    time.sleep(0.01)  # distinct start times: the newest run first, always
with sqlite3.connect(spec["db"]) as db:
    for table, placeholder, key, run_id in renames:
        db.execute(
            f"UPDATE {table} SET key = ? WHERE key = ? AND run_uuid = ?",
            (key, placeholder, run_id),
        )
"""


def _make_hostile(root: Path, tracking_db: Path) -> None:
    """``hostile/``: every name the sidebar shows is a payload (see HOSTILE)."""
    repo = root / HOSTILE["folder"]
    shutil.rmtree(repo, ignore_errors=True)  # fresh on every start
    repo.mkdir()
    notebook = repo / HOSTILE["notebook"]
    base_cells = [
        ("params", 'params = {"lr": 0.1}', []),
        (
            "payload",
            f"def payload():\n    return {XSS_SCRIPT!r}  # {XSS_SVG}",
            [HOSTILE["cell_tag"]],
        ),
    ]
    notebook.write_text(_hostile_notebook(base_cells), encoding="utf-8")
    # JupyterLab writes checkpoints when it opens the notebook.
    (repo / ".gitignore").write_text(".ipynb_checkpoints/\n", encoding="utf-8")
    _git(repo, "init", "--quiet", f"--initial-branch={HOSTILE['branch']}")
    _git(repo, "add", "--", ".gitignore", HOSTILE["notebook"])
    _git(repo, "commit", "--quiet", "--no-verify", "-m", HOSTILE["subject"])
    _git(repo, "tag", "-a", HOSTILE["tag"], "-m", HOSTILE["annotation"])
    commit = _git(repo, "rev-parse", "HEAD")
    # Uncommitted work: a source change in the notebook, a new file.
    changed = [*base_cells, ("added", f"print({XSS_IMG!r})", [])]
    notebook.write_text(_hostile_notebook(changed), encoding="utf-8")
    (repo / HOSTILE["untracked"]).write_text(f"{XSS_IMG}\n", encoding="utf-8")

    spec = {
        "uri": f"sqlite:///{tracking_db}",
        "db": str(tracking_db),
        "experiment": HOSTILE["experiment"],
        "notebook": HOSTILE["notebook"],  # relative to its repository
        "commit": commit,
        "branch": HOSTILE["branch"],
        "runs": HOSTILE["runs"],
    }
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true"}
    subprocess.run(
        [sys.executable, "-c", _SEED_RUNS, json.dumps(spec)],
        check=True,
        cwd=tracking_db.parent,  # MLflow puts artifacts in ./mlruns: beside the store
        env=env,
        timeout=120,
        stdout=subprocess.DEVNULL,
    )


#: The experiment demo/train.ipynb logs its runs to.
DEMO_EXPERIMENT = "repro-demo"

_CREATE_EXPERIMENT = r"""
import sys
from mlflow.tracking import MlflowClient

client = MlflowClient(tracking_uri=sys.argv[1])
if client.get_experiment_by_name(sys.argv[2]) is None:
    client.create_experiment(sys.argv[2])
"""


def _make_demo_experiment(tracking_db: Path) -> None:
    """The demo notebook's experiment, created before any spec runs it."""
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true"}
    subprocess.run(
        [sys.executable, "-c", _CREATE_EXPERIMENT, f"sqlite:///{tracking_db}", DEMO_EXPERIMENT],
        check=True,
        # The experiment's artifacts (a reproduction's verdict …) go to
        # ./mlruns of the process that creates it: the demo workspace, whose
        # .gitignore lists it, never the checkout.
        cwd=tracking_db.parent,
        env=env,
        timeout=120,
        stdout=subprocess.DEVNULL,
    )


_prepare_root(Path(os.path.realpath(c.ServerApp.root_dir)))
