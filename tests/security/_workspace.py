"""The server root the security tests attack: a real repository, its state, its restoration.

Layout below ``root`` (the Jupyter server's root directory)::

    proj/                 a git repository (branch main, two commits)
      README.md
      src/features.py
      analysis.ipynb      nbformat 4.5, one code cell with an output
    plain/notes.ipynb     a notebook outside any repository
    linked/               a work tree whose ``.git`` file points to ``outside/linked.git``
      notes.ipynb
    escape -> outside     a symlink that leads out of the root

``outside`` must never change, whatever a request says and whatever it answers.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

NOTEBOOK = "proj/analysis.ipynb"
TAG = "v1"
BRANCH = "exp/baseline"
IDENTITY = ("Repro Tester", "tester@example.com")
#: A fixed past time for every file's mtime: no index entry is "racily clean".
PAST = 1_700_000_000


def notebook_bytes(source: str = "x = 1\nprint(x)", output: str = "1\n") -> bytes:
    """A valid nbformat 4.5 notebook with one executed code cell."""
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": 1,
                "id": "c0ffee00",
                "metadata": {},
                "outputs": [{"name": "stdout", "output_type": "stream", "text": [output]}],
                "source": [source],
            },
            {"cell_type": "markdown", "id": "c0ffee01", "metadata": {}, "source": ["# Notes"]},
        ],
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return (json.dumps(nb, indent=1) + "\n").encode()


@dataclass
class Workspace:
    """A built server root and everything a test needs to know about it."""

    base: Path
    root: Path
    repo: Path
    outside: Path
    gitconfig: Path
    pristine: Path
    head: str
    first_commit: str

    def git_env(self) -> dict[str, str]:
        """The environment every git (ours and the server's) runs in: isolated config."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
        env.update(GIT_CONFIG_GLOBAL=str(self.gitconfig), GIT_CONFIG_NOSYSTEM="1")
        env["GIT_OPTIONAL_LOCKS"] = "0"
        return env

    def git(self, *args: str, check: bool = True) -> str:
        proc = subprocess.run(
            ["git", *args],
            cwd=self.repo,
            env=self.git_env(),
            capture_output=True,
            text=True,
            check=check,
        )
        return proc.stdout.strip()


def _git(cwd: Path, env: dict[str, str], *args: str) -> str:
    proc = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
    return proc.stdout.strip()


def _age(path: Path) -> None:
    for dirpath, dirnames, filenames in os.walk(path):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        for name in filenames:
            os.utime(os.path.join(dirpath, name), (PAST, PAST), follow_symlinks=False)


def build_workspace(
    base: Path, *, root: Path | None = None, gitconfig: Path | None = None
) -> Workspace:
    """Create the root described in the module docstring and keep a pristine copy below ``base``.

    ``root`` defaults to ``base/root``; ``gitconfig`` (the global git config
    the server's git reads) to a new ``base/gitconfig`` with the test identity.
    """
    base.mkdir(parents=True, exist_ok=True)
    root = root or base / "root"
    outside = base / "outside"
    repo = root / "proj"
    if gitconfig is None:
        gitconfig = base / "gitconfig"
        gitconfig.write_text(
            f"[user]\n\tname = {IDENTITY[0]}\n\temail = {IDENTITY[1]}\n"
            "[init]\n\tdefaultBranch = main\n",
            encoding="utf-8",
        )
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_CONFIG_GLOBAL=str(gitconfig), GIT_CONFIG_NOSYSTEM="1")
    env.update(GIT_AUTHOR_NAME=IDENTITY[0], GIT_AUTHOR_EMAIL=IDENTITY[1])
    env.update(GIT_COMMITTER_NAME=IDENTITY[0], GIT_COMMITTER_EMAIL=IDENTITY[1])
    (repo / "src").mkdir(parents=True)
    (root / "plain").mkdir()
    outside.mkdir()
    (outside / "secret.txt").write_text("outside the root\n", encoding="utf-8")
    (root / "escape").symlink_to(outside, target_is_directory=True)
    (root / "plain" / "notes.ipynb").write_bytes(notebook_bytes("y = 2", "2\n"))

    _git(repo, env, "init", "--quiet", "--initial-branch=main")
    (repo / "README.md").write_text("# demo\n", encoding="utf-8")
    (repo / "src" / "features.py").write_text("def double(x):\n    return 2 * x\n", "utf-8")
    _age(repo)
    _git(repo, env, "add", "--all")
    _git(repo, env, "commit", "--quiet", "-m", "feat: first commit")
    first = _git(repo, env, "rev-parse", "HEAD")
    (repo / "analysis.ipynb").write_bytes(notebook_bytes())
    _age(repo)
    _git(repo, env, "add", "--", "analysis.ipynb")
    _git(repo, env, "commit", "--quiet", "-m", "exp: the analysis notebook")
    _git(repo, env, "tag", "-a", TAG, "-m", "baseline")
    _git(repo, env, "branch", BRANCH)
    _git(repo, env, "update-index", "-q", "--refresh")
    head = _git(repo, env, "rev-parse", "HEAD")

    linked = root / "linked"
    linked.mkdir()
    _git(
        linked,
        env,
        "init",
        "--quiet",
        "--initial-branch=main",
        "--separate-git-dir",
        str(outside / "linked.git"),
    )
    (linked / "notes.ipynb").write_bytes(notebook_bytes("z = 3", "3\n"))
    _age(linked)
    _git(linked, env, "add", "--all")
    _git(linked, env, "commit", "--quiet", "-m", "feat: linked")
    (linked / "notes.ipynb").write_bytes(notebook_bytes("z = 4", "4\n"))
    _age(linked)
    _git(linked, env, "update-index", "-q", "--refresh")

    pristine = base / "pristine"
    pristine.mkdir()
    shutil.copytree(root, pristine / "root", symlinks=True)
    shutil.copytree(outside, pristine / "outside", symlinks=True)
    shutil.copy2(gitconfig, pristine / "gitconfig")
    return Workspace(base, root, repo, outside, gitconfig, pristine, head, first)


# --- state -------------------------------------------------------------------


def _digest(path: Path) -> str:
    st = path.lstat()
    if stat.S_ISLNK(st.st_mode):
        return "symlink:" + os.readlink(path)
    if stat.S_ISDIR(st.st_mode):
        return "dir"
    if not stat.S_ISREG(st.st_mode):
        return f"special:{stat.S_IFMT(st.st_mode):o}"
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _tree(top: Path, skip: Path | None = None) -> dict[str, str]:
    """Relative path → content hash (or ``dir``/``symlink:…``) of everything below ``top``."""
    out: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(top, followlinks=False):
        here = Path(dirpath)
        if skip is not None:
            dirnames[:] = [d for d in dirnames if here / d != skip]
        for name in [*dirnames, *filenames]:
            path = here / name
            out[path.relative_to(top).as_posix()] = _digest(path)
    return out


def _read(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


#: Files git takes ``<name>.lock`` locks on; a leftover one blocks the next git command.
_LOCKABLE = {"index", "HEAD", "ORIG_HEAD", "config", "packed-refs", "shallow", "FETCH_HEAD"}


def _git_lock(dot_git: Path, path: Path) -> bool:
    """Whether ``path`` is a lock file git itself honours (not the product's own flock file).

    ``repro-snapshot.lock`` and ``repro-share.lock`` are the product's
    persistent advisory (``flock``) files, created on first use and never
    removed by design; git ignores them, so they are not leftover locks.
    """
    rel = path.relative_to(dot_git).as_posix()
    stem = rel[: -len(".lock")]
    return path.is_file() and (
        stem in _LOCKABLE or rel.startswith("refs/") or (dot_git / stem).exists()
    )


def capture(ws: Workspace) -> dict[str, Any]:
    """Everything a refused request must leave as it was.

    HEAD (commit and symbolic ref), every ref with its target, the index
    file's bytes, ``.git/info/exclude``, ``.git/config``, git lock files left
    in ``.git``, the global git config, every path below the server root (the
    repository's work tree included) and below ``outside``.
    """
    dot_git = ws.repo / ".git"
    locks = sorted(
        p.relative_to(dot_git).as_posix() for p in dot_git.rglob("*.lock") if _git_lock(dot_git, p)
    )
    return {
        "HEAD": ws.git("rev-parse", "--verify", "-q", "HEAD", check=False),
        "HEAD symbolic ref": ws.git("symbolic-ref", "-q", "HEAD", check=False),
        "refs": ws.git("for-each-ref", "--format=%(refname) %(objectname)", check=False),
        ".git/index": _read(dot_git / "index"),
        ".git/info/exclude": _read(dot_git / "info" / "exclude"),
        ".git/config": _read(dot_git / "config"),
        ".git lock files": locks,
        "global git config": _read(ws.gitconfig),
        "server root": _tree(ws.root, skip=dot_git),
        "outside the root": _tree(ws.outside),
    }


def describe_change(before: dict[str, Any], after: dict[str, Any]) -> str:
    """A short, readable account of what differs between two :func:`capture` results."""
    lines = []
    for key in before:
        old, new = before[key], after[key]
        if old == new:
            continue
        if isinstance(old, dict) and isinstance(new, dict):
            added = sorted(set(new) - set(old))
            removed = sorted(set(old) - set(new))
            changed = sorted(k for k in set(old) & set(new) if old[k] != new[k])
            lines.append(
                f"{key}: added {added[:10]}, removed {removed[:10]}, changed {changed[:10]}"
            )
        else:
            lines.append(f"{key}: {str(old)[:300]!r} -> {str(new)[:300]!r}")
    return "\n".join(lines)


def _clear(top: Path) -> None:
    for entry in list(top.iterdir()):
        if entry.is_dir() and not entry.is_symlink():
            for dirpath, dirnames, _ in os.walk(entry):
                for d in dirnames:
                    os.chmod(os.path.join(dirpath, d), 0o700)
            os.chmod(entry, 0o700)
            shutil.rmtree(entry)
        else:
            entry.unlink()


def restore(ws: Workspace) -> None:
    """Put the root, ``outside`` and the global git config back as they were built."""
    for name, top in (("root", ws.root), ("outside", ws.outside)):
        _clear(top)
        shutil.copytree(ws.pristine / name, top, symlinks=True, dirs_exist_ok=True)
    shutil.copy2(ws.pristine / "gitconfig", ws.gitconfig)
    env = ws.git_env()
    env.pop("GIT_OPTIONAL_LOCKS")
    for repo in (ws.repo, ws.root / "linked"):  # the copies have new ctimes and inodes
        subprocess.run(
            ["git", "update-index", "-q", "--refresh"],
            cwd=repo,
            env=env,
            capture_output=True,
            check=False,
        )


def build_tracking_store(path: Path, ws: Workspace) -> tuple[str, str]:
    """A real SQLite MLflow store at ``path`` with one run of the notebook at HEAD.

    Returns the tracking URI and the run id.
    """
    from mlflow.entities import Metric
    from mlflow.tracking import MlflowClient

    uri = "sqlite:///" + path.as_posix()
    client = MlflowClient(uri)
    # Artifacts beside the store (a reproduction the fuzzer starts logs its notebook there),
    # never in the working directory of the test process (the checkout).
    artifacts = (path.parent / "artifacts").as_uri()
    experiment = client.create_experiment("security", artifact_location=artifacts)
    tags = {"repro.notebook": "analysis.ipynb", "mlflow.source.git.commit": ws.head}
    run = client.create_run(experiment, start_time=1_700_000_000_000, tags=tags)
    client.log_batch(run.info.run_id, metrics=[Metric("loss", 1 / (s + 1), s, s) for s in range(3)])
    client.log_param(run.info.run_id, "lr", "0.1")
    client.set_terminated(run.info.run_id)
    return uri, run.info.run_id
