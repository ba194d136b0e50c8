"""The MLflow run-context plugin, inside real kernels started by a real Jupyter server.

The server (pytest-jupyter) starts each kernel through ``POST /api/sessions``,
exactly as JupyterLab does, so the kernel gets ``JPY_SESSION_NAME``; the test
drives the kernel with jupyter_client, the kernel calls ``mlflow.start_run()``
against a SQLite store, and the test reads the run's tags back with
``MlflowClient``. The plugin must be installed (entry point
``mlflow.run_context_provider``), or these tests skip.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pytest
from _kernels import (
    Fetch,
    cleaned,
    connect,
    entry_point_installed,
    git,
    mlflow_setup,
    needs_plugin,
    new_run,
    notebook_text,
    repo_state,
    run_tags,
    start_kernel,
)

pytestmark = pytest.mark.mlflow


def test_entry_point_loads_the_provider() -> None:
    if not entry_point_installed():
        pytest.skip("the mlflow.run_context_provider entry point is not installed")
    from mlflow.tracking.context.abstract_context import RunContextProvider

    (ep,) = [
        ep
        for ep in entry_points(group="mlflow.run_context_provider")
        if ep.name == "jupyterlab_repro"
    ]
    cls = ep.load()
    assert issubclass(cls, RunContextProvider)
    from mlflow.tracking.context.registry import _run_context_provider_registry

    providers = list(_run_context_provider_registry)
    ours = [p for p in providers if isinstance(p, cls)]
    assert len(ours) == 1
    # Registered after every one of MLflow's own providers (Git; Jupyter from MLflow 2.17),
    # so our tags win on merge.
    mine = providers.index(ours[0])
    builtin = [i for i, p in enumerate(providers) if type(p).__module__.startswith("mlflow.")]
    names = [type(p).__name__ for p in providers]
    assert "GitRunContext" in names and builtin and max(builtin) < mine


@needs_plugin
async def test_runs_from_a_notebook_in_a_repository_know_their_code(
    jp_fetch: Fetch, jp_serverapp: Any, jp_root_dir: Path, tmp_path: Path, clients: list[Any]
) -> None:
    repo = jp_root_dir / "proj"
    repo.mkdir()
    git(repo, "init", "--quiet", "--initial-branch=main")
    nb = repo / "notebooks" / "train.ipynb"
    nb.parent.mkdir()
    nb.write_text(cleaned(notebook_text(["lr = 0.1", "print(lr)"])), encoding="utf-8")
    (repo / "model.py").write_text("DEPTH = 3\n", encoding="utf-8")
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "-m", "feat: train notebook")
    head = git(repo, "rev-parse", "HEAD")
    db = tmp_path / "mlflow.db"

    kernel = await start_kernel(jp_fetch, jp_serverapp, clients, "proj/notebooks/train.ipynb")
    await kernel.run(mlflow_setup(db))

    # 1. clean notebook: the run carries the notebook and HEAD, not dirty
    tags, _, err = await new_run(kernel, db)
    assert tags["repro.notebook"] == "notebooks/train.ipynb"
    assert tags["mlflow.source.name"] == "notebooks/train.ipynb"
    assert tags["mlflow.source.type"] == "NOTEBOOK"
    assert tags["mlflow.source.git.commit"] == head
    assert tags["mlflow.source.git.branch"] == "main"
    assert "mlflow.source.git.repoURL" not in tags  # no remote
    assert tags["repro.git.dirty"] == "false"
    assert "repro.snapshot" not in tags
    assert tags["repro.repo"] == head  # the root commit: the only commit here
    assert tags["repro.env.python"]
    assert "jupyterlab_repro" not in err

    # 2. outputs only (what running the cells does): still clean
    nb.write_text(notebook_text(["lr = 0.1", "print(lr)"], outputs=True), encoding="utf-8")
    tags, _, _ = await new_run(kernel, db)
    assert tags["repro.git.dirty"] == "false" and "repro.snapshot" not in tags

    # 3. edited source: a hidden snapshot records it, nothing else moves
    edited = notebook_text(["lr = 0.01", "print(lr * 2)"], outputs=True)
    nb.write_text(edited, encoding="utf-8")
    git(repo, "remote", "add", "origin", "https://alice:s3cret@git.example.com/team/proj.git")
    before = repo_state(repo)
    tags, _, _ = await new_run(kernel, db)
    assert repo_state(repo) == before
    assert tags["repro.git.dirty"] == "true"
    assert tags["mlflow.source.git.commit"] == head
    assert tags["mlflow.source.git.repoURL"] == "https://git.example.com/team/proj.git"
    snapshot = tags["repro.snapshot"]
    assert git(repo, "rev-parse", f"{snapshot}^") == head
    assert git(repo, "show", f"{snapshot}:notebooks/train.ipynb") + "\n" == cleaned(edited)
    assert git(repo, "for-each-ref", "--format=%(objectname)", "refs/repro/snapshots/") == snapshot
    assert git(repo, "rev-parse", "HEAD") == head

    # 4. the same dirty state again: the same snapshot
    tags, _, _ = await new_run(kernel, db)
    assert tags["repro.snapshot"] == snapshot
    assert repo_state(repo) == before

    # 5. set_seed during a run logs the param; later runs carry the tag
    out, _ = await kernel.run(
        """
        import json, random
        import jupyterlab_repro
        with mlflow.start_run() as run:
            seeded = jupyterlab_repro.set_seed(7)
            draw = random.random()
        print(json.dumps([run.info.run_id, seeded, draw]))
        """
    )
    run_id, seeded, first_draw = json.loads(out)
    assert seeded[0] == "random" and "numpy" in seeded
    tags, params = run_tags(db, run_id)
    assert params["seed"] == "7" and tags["repro.seed"] == "7"
    import random

    random.seed(7)
    assert first_draw == random.random()
    tags, params, _ = await new_run(kernel, db)
    assert tags["repro.seed"] == "7" and "seed" not in params

    # 6. a corrupt HEAD: the run still starts, without commit tags, with a warning
    (repo / ".git" / "refs" / "heads" / "main").write_text("garbage\n", encoding="utf-8")
    tags, _, err = await new_run(kernel, db)
    assert tags["repro.notebook"] == "notebooks/train.ipynb"
    assert "repro.git.dirty" not in tags and "repro.snapshot" not in tags
    assert tags.get("mlflow.source.git.commit") != head
    assert "HEAD is broken" in err


@needs_plugin
async def test_runs_outside_a_repository_and_without_a_notebook(
    jp_fetch: Fetch, jp_serverapp: Any, jp_root_dir: Path, tmp_path: Path, clients: list[Any]
) -> None:
    loose = jp_root_dir / "loose"
    loose.mkdir()
    (loose / "explore.ipynb").write_text(notebook_text(["a = 1"]), encoding="utf-8")
    db = tmp_path / "mlflow.db"

    kernel = await start_kernel(
        jp_fetch, jp_serverapp, clients, "loose/explore.ipynb", send_name=True
    )
    await kernel.run(mlflow_setup(db))
    tags, _, err = await new_run(kernel, db)
    path = str((loose / "explore.ipynb").resolve())
    assert tags["repro.notebook"] == path and tags["mlflow.source.name"] == path
    assert tags["mlflow.source.type"] == "NOTEBOOK"
    assert not {"repro.git.dirty", "repro.snapshot"} & set(tags)
    # (mlflow.source.git.* may still come from MLflow's own GitRunContext, which
    # looks at the kernel launcher's path, not the notebook's.)
    assert tags["repro.env.python"]
    assert "jupyterlab_repro" not in err and "Traceback" not in err

    # A kernel without a notebook (a console, `POST /api/kernels`): the plugin stays out.
    response = await jp_fetch("api", "kernels", method="POST", body=json.dumps({"name": "python3"}))
    bare = await connect(jp_serverapp, clients, json.loads(response.body)["id"])
    await bare.run(mlflow_setup(db))
    tags, _, err = await new_run(bare, db)
    assert not [key for key in tags if key.startswith("repro.")]
    assert "Traceback" not in err


# -- the provider and set_seed in this process (no kernel) ------------------------------


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch) -> Any:
    """A fresh provider in this process, standing for a kernel (ipykernel is loaded)."""
    import ipykernel  # noqa: F401  the session variables count only in a kernel process

    for name in ("JPY_SESSION_NAME", "__vsc_ipynb_file__", "REPRO_RUN_CONTEXT"):
        monkeypatch.delenv(name, raising=False)
    from jupyterlab_repro.kernel.context import ReproRunContext

    return ReproRunContext()


def test_not_in_context_without_a_notebook_or_when_disabled(
    provider: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert provider.in_context() is False
    monkeypatch.setenv("JPY_SESSION_NAME", str(tmp_path / "missing.ipynb"))
    assert provider.in_context() is False
    (tmp_path / "nb.ipynb").write_text(notebook_text(["1"]), encoding="utf-8")
    monkeypatch.setenv("JPY_SESSION_NAME", str(tmp_path / "nb.ipynb"))
    assert provider.in_context() is True
    monkeypatch.setenv("REPRO_RUN_CONTEXT", "0")
    assert provider.in_context() is False


def test_a_vanished_notebook_is_warned_about_once(
    provider: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("JPY_SESSION_NAME", str(tmp_path / "renamed.ipynb"))
    with caplog.at_level(logging.WARNING, logger="jupyterlab_repro"):
        assert provider.in_context() is False
        assert provider.in_context() is False
    assert caplog.text.count("renamed.ipynb of this kernel is not found") == 1
    caplog.clear()
    monkeypatch.setenv("JPY_SESSION_NAME", "Console 1")  # a console session: no notebook
    with caplog.at_level(logging.WARNING, logger="jupyterlab_repro"):
        assert provider.in_context() is False
    assert caplog.text == ""


def test_a_script_started_from_the_notebook_is_not_the_notebook(tmp_path: Path) -> None:
    """`!python train.py` inherits JPY_SESSION_NAME; its runs must not claim the notebook."""
    (tmp_path / "nb.ipynb").write_text(notebook_text(["1"]), encoding="utf-8")
    code = (
        "from jupyterlab_repro.kernel.context import ReproRunContext\n"
        "print(ReproRunContext().in_context())\n"
    )
    env = {**os.environ, "JPY_SESSION_NAME": str(tmp_path / "nb.ipynb")}
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False"


def test_relative_session_path_resolves_from_the_kernel_directory(
    provider: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The server passes its API path; the kernel starts in the notebook's directory."""
    from jupyterlab_repro.kernel.context import ReproRunContext, notebook_path

    nb = tmp_path / "root" / "exp" / "a.ipynb"
    nb.parent.mkdir(parents=True)
    nb.write_text(notebook_text(["1"]), encoding="utf-8")
    (tmp_path / "root" / "a.ipynb").write_text(notebook_text(["2"]), encoding="utf-8")
    monkeypatch.chdir(nb.parent)
    monkeypatch.setenv("JPY_SESSION_NAME", "exp/a.ipynb")
    provider = ReproRunContext()
    assert notebook_path() == nb.resolve()
    monkeypatch.chdir(tmp_path)  # `%cd ..` in the notebook
    assert notebook_path() is None
    assert notebook_path(start_dir=nb.parent) == nb.resolve()
    assert provider.in_context() is True
    monkeypatch.setenv("JPY_SESSION_NAME", "../root/exp/a.ipynb")
    assert notebook_path(start_dir=nb.parent) is None


def test_a_broken_notebook_costs_tags_not_the_run(
    provider: Any,
    monkeypatch: pytest.MonkeyPatch,
    make_repo: Callable[..., Path],
    caplog: pytest.LogCaptureFixture,
) -> None:
    repo = make_repo(files={"nb.ipynb": cleaned(notebook_text(["x = 1"]))})
    (repo / "nb.ipynb").write_text('{"cells": [', encoding="utf-8")  # saved half-way
    monkeypatch.setenv("JPY_SESSION_NAME", str(repo / "nb.ipynb"))
    assert provider.in_context()
    with caplog.at_level(logging.WARNING, logger="jupyterlab_repro"):
        tags = provider.tags()
    assert tags["repro.notebook"] == "nb.ipynb" and tags["repro.env.python"]
    assert "repro.git.dirty" not in tags and "mlflow.source.git.commit" not in tags
    assert "not tied to a commit" in caplog.text and "invalid JSON" in caplog.text


def test_a_notebook_in_an_unreadable_repository_is_tagged_without_git(
    provider: Any,
    monkeypatch: pytest.MonkeyPatch,
    make_repo: Callable[..., Path],
    caplog: pytest.LogCaptureFixture,
) -> None:
    repo = make_repo(files={"nb.ipynb": cleaned(notebook_text(["x = 1"]))})
    (repo / ".git" / "HEAD").write_text("garbage\n", encoding="utf-8")  # git no longer sees a repo
    monkeypatch.setenv("JPY_SESSION_NAME", str(repo / "nb.ipynb"))
    with caplog.at_level(logging.WARNING, logger="jupyterlab_repro"):
        tags = provider.tags()
    assert tags["repro.notebook"] == str((repo / "nb.ipynb").resolve())
    assert not [key for key in tags if key.startswith(("repro.git", "mlflow.source.git"))]
    assert "git cannot read the repository" in caplog.text


def test_set_seed_seeds_generators_and_tags_later_runs(
    provider: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import random

    import numpy

    from jupyterlab_repro.kernel import seed as seed_module

    monkeypatch.setattr(seed_module._STATE, "seed", None)
    monkeypatch.delenv("PYTHONHASHSEED", raising=False)
    (tmp_path / "nb.ipynb").write_text(notebook_text(["1"]), encoding="utf-8")
    monkeypatch.setenv("JPY_SESSION_NAME", str(tmp_path / "nb.ipynb"))
    assert "repro.seed" not in provider.tags()

    seeded = seed_module.set_seed(123)
    draws = (random.random(), numpy.random.rand())
    seed_module.set_seed(123)
    assert (random.random(), numpy.random.rand()) == draws
    assert seeded[:2] == ["random", "numpy"]
    assert seed_module.current_seed() == 123
    assert os.environ["PYTHONHASHSEED"] == "123"
    assert provider.tags()["repro.seed"] == "123"


@pytest.mark.parametrize(
    ("bad", "error"),
    [(-1, ValueError), (2**32, ValueError), (1.5, TypeError), (True, TypeError), ("7", TypeError)],
)
def test_set_seed_refuses_bad_values_and_changes_nothing(
    monkeypatch: pytest.MonkeyPatch, bad: Any, error: type[Exception]
) -> None:
    from jupyterlab_repro.kernel import seed as seed_module

    monkeypatch.setattr(seed_module._STATE, "seed", 5)
    monkeypatch.setenv("PYTHONHASHSEED", "5")
    with pytest.raises(error):
        seed_module.set_seed(bad)
    assert seed_module.current_seed() == 5
    assert os.environ["PYTHONHASHSEED"] == "5"


def test_set_seed_is_exported_lazily_from_the_package() -> None:
    import jupyterlab_repro
    from jupyterlab_repro.kernel.seed import set_seed

    assert jupyterlab_repro.set_seed is set_seed
