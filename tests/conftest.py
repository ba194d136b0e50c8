"""Fixtures: isolated git configuration, real repositories, the shared corpus."""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
CORPUS_DIR = PROJECT_ROOT.parent / "shared" / "corpus"


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist, each worker gets a temporary folder of its own.

    Servers, kernels, git and MLflow that tests start inherit ``TMPDIR``, so
    nothing one worker creates with :mod:`tempfile` meets another's.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return
    root = Path(tempfile.mkdtemp(prefix=f"repro-tests-{worker}-"))
    # Others may pass through, not list: the throwaway PostgreSQL clusters run
    # as the `postgres` user in folders below it, as they do below /tmp.
    root.chmod(0o711)
    os.environ["TMPDIR"] = str(root)
    tempfile.tempdir = None  # read TMPDIR again
    config.add_cleanup(lambda: shutil.rmtree(root, ignore_errors=True))


def pytest_report_header() -> str:
    """Which MLflow this run tests (``make mlflow-matrix`` runs the lowest allowed)."""
    versions = []
    for name in ("mlflow-skinny", "mlflow", "sqlalchemy"):
        try:
            versions.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            continue
    return ", ".join(versions)


@pytest.fixture(autouse=True)
def isolated_git(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test sees an empty global git config with a known identity.

    Nothing depends on the developer's own ``~/.gitconfig``; tests that need a
    missing identity unset it with :func:`no_identity`.
    """
    home = tmp_path_factory.mktemp("home")
    gitconfig = home / ".gitconfig"
    gitconfig.write_text(
        "[user]\n\tname = Repro Tester\n\temail = tester@example.com\n"
        "[init]\n\tdefaultBranch = main\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for var in (
        "GIT_AUTHOR_NAME",
        "GIT_AUTHOR_EMAIL",
        "GIT_COMMITTER_NAME",
        "GIT_COMMITTER_EMAIL",
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
    ):
        monkeypatch.delenv(var, raising=False)
    return gitconfig


@pytest.fixture(autouse=True)
def restored_environment() -> Iterator[None]:
    """Undo environment changes a test made in-process.

    ``jupyter repro runs`` bounds MLflow's HTTP client through the environment
    of its own process; tests call the CLI's ``main()`` in the pytest process,
    and those settings must not reach the next test (or the servers and
    kernels it starts).
    """
    before = dict(os.environ)
    yield
    for key in set(os.environ) - set(before):
        del os.environ[key]
    for key, value in before.items():
        if os.environ.get(key) != value:
            os.environ[key] = value


@pytest.fixture
def no_identity(isolated_git: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Remove user.name/user.email and stop git from guessing one."""
    isolated_git.write_text(
        "[init]\n\tdefaultBranch = main\n[user]\n\tuseConfigOnly = true\n", encoding="utf-8"
    )
    monkeypatch.setenv("EMAIL", "")


def git(cwd: Path, *args: str) -> str:
    """Run git in ``cwd`` and return stripped stdout (test helper)."""
    proc = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True, env=os.environ.copy()
    )
    return proc.stdout.strip()


def create_repo(path: Path, *, commit: bool = True, files: dict[str, str] | None = None) -> Path:
    """A real repository at ``path`` (created if needed), optionally with a first commit."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "--quiet", "--initial-branch=main")
    for rel, text in (files or {"README.md": "# demo\n"}).items():
        target = path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    if commit:
        git(path, "add", "--all")
        git(path, "commit", "--quiet", "-m", "feat: first commit")
    return path


@pytest.fixture
def make_repo(tmp_path: Path) -> Callable[..., Path]:
    """Factory: a real repository (optionally with a first commit) under ``tmp_path``."""

    def _make(
        name: str = "repo", *, commit: bool = True, files: dict[str, str] | None = None
    ) -> Path:
        return create_repo(tmp_path / name, commit=commit, files=files)

    return _make


@pytest.fixture
def repo_at() -> Callable[..., Path]:
    """Factory like :func:`make_repo`, but at any path (e.g. under ``jp_root_dir``)."""
    return create_repo


@pytest.fixture
def run_git_cmd() -> Callable[..., str]:
    """The :func:`git` helper as a fixture (test modules cannot import ``conftest``)."""
    return git


@pytest.fixture
def corpus_dir() -> Path:
    """``../shared/corpus``; tests using it skip with a reason when it is absent."""
    if not CORPUS_DIR.is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS_DIR}")
    return CORPUS_DIR
