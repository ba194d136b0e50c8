"""What every feature's bench stands on: the isolated environment, the inputs, the servers.

A feature module defines ``FEATURE = Feature(name, run, ...)``; ``run(bench)``
measures and appends to ``bench.budgets`` and ``bench.sections[name]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import generate
from .results import Budget
from .server import Server
from .timing import last_json_line, log


@dataclass(frozen=True)
class Feature:
    """One ``--only`` name: what it measures and where its results go."""

    name: str
    run: Callable[[Bench], None]
    #: ``latest`` (latest.{json,md}) or ``reproduce`` (reproduce.{json,md})
    report: str = "latest"
    #: its part of latest.md after the budget table (profiles are printed for every feature)
    markdown: Callable[[dict[str, Any]], list[str]] | None = None
    #: latest.md prints its profiles by own time as well as by cumulative time
    own_time: bool = False


def git(repo: Path, env: dict[str, str], *args: str, check: bool = True) -> str:
    proc = subprocess.run(
        ["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=False
    )
    if check and proc.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed in {repo}: {proc.stderr.strip()}")
    return proc.stdout.strip()


def isolated_env(home: Path, bin_dir: Path, drop: tuple[str, ...]) -> dict[str, str]:
    """Only the machine's tools, not the user's git or Jupyter configuration."""
    (home / "jupyter-config").mkdir(parents=True, exist_ok=True)
    gitconfig = home / "gitconfig"
    gitconfig.write_text(
        "[user]\n\tname = Bench User\n\temail = bench@example.invalid\n"
        "[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n"
    )
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": str(gitconfig),
        "JUPYTER_CONFIG_DIR": str(home / "jupyter-config"),
        "JUPYTER_RUNTIME_DIR": str(home / "jupyter-runtime"),
        "JUPYTER_PLATFORM_DIRS": "1",
        "PYTHONWARNINGS": "ignore",
    }
    for key in drop:
        env.pop(key, None)
    return env


class Bench:
    """The state of one report's run: arguments, environment, inputs, servers, results.

    ``latest`` works in ``--work`` (the inputs cache, kept between runs);
    ``reproduce`` in ``--work``/reproduce, emptied first and removed at the end.
    """

    def __init__(self, args: argparse.Namespace, report: str = "latest") -> None:
        self.args = args
        self.quick: bool = args.quick
        self.seed: int = args.seed
        self.bin = Path(sys.executable).parent
        self.budgets: list[Budget] = []
        self.sections: dict[str, Any] = {}
        self.notes: list[str] = []
        self._servers: list[Server] = []
        drop: tuple[str, ...] = ("JPY_SESSION_NAME", "REPRO_RUN_CONTEXT", "MLFLOW_TRACKING_URI")
        if report == "latest":
            self.work: Path = args.work
            self.work.mkdir(parents=True, exist_ok=True)
        else:
            self.work = args.work / report
            shutil.rmtree(self.work, ignore_errors=True)
            self.work.mkdir(parents=True)
            drop += ("PYTHONPATH",)
        self.env = isolated_env(self.work / "home", self.bin, drop)
        if report == "latest":  # the in-process measurements run git too
            os.environ.update(
                {k: self.env[k] for k in ("GIT_CONFIG_NOSYSTEM", "GIT_CONFIG_GLOBAL")}
            )

    def reps(self, default: int) -> int:
        return self.args.reps or default

    def git(self, repo: Path, *args: str, check: bool = True) -> str:
        return git(repo, self.env, *args, check=check)

    def python(self, code: str, *, env: dict[str, str] | None = None) -> Any:
        """Run ``code`` in a fresh interpreter; the JSON it prints last."""
        proc = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(code)],
            env=env or self.env, capture_output=True, text=True, check=False, cwd=self.work,
        )  # fmt: skip
        if proc.returncode != 0:
            raise RuntimeError(proc.stderr[-3000:])
        return last_json_line(proc.stdout)

    def skip(self, section: str, why: str) -> None:
        log(f"{section}: skipped: {why}")
        self.sections[section] = {"skipped": why}
        self.notes.append(f"{section}: skipped — {why}")

    # -- inputs (seeded, cached under --work) ---------------------------------------

    def built(self, what: str, build: Callable[[], Any]) -> tuple[Any, float]:
        """``build()`` and its seconds, logged when it did more than find the cache."""
        start = time.perf_counter()
        found = build()
        took = time.perf_counter() - start
        if took > 1:
            log(f"{what} in {took:.1f} s")
        return found, took

    @property
    def large_params(self) -> dict[str, int]:
        if self.quick:
            return {"commits": 1000, "files": 2000}
        return {"commits": 10_000, "files": 20_000}

    def large_label(self) -> str:
        p = self.large_params
        return f"{p['commits']:,}-commit/{p['files']:,}-file repo"

    def small_repo(self) -> Path:
        return self._repo("small", commits=12, files=30)

    def large_repo(self) -> Path:
        return self._repo("large", **self.large_params)

    def _repo(self, kind: str, *, commits: int, files: int) -> Path:
        path = self.work / f"repo-{kind}-c{commits}-f{files}-s{self.seed}"
        self.built(
            f"built {path.name}",
            lambda: generate.build_repo(path, commits=commits, files=files, seed=self.seed),
        )
        return path

    def notebooks(self, size_mb: float) -> dict[str, Path]:
        paths: dict[str, Path] = self.built(
            f"generated the {size_mb:g} MB notebooks",
            lambda: generate.notebook_set(size_mb, self.seed, self.work),
        )[0]
        return paths

    def reset(self, repo: Path) -> None:
        """Back to the generated state: tip ``bench-base``, clean tree, no hidden refs."""
        self.git(repo, "checkout", "-q", "-f", "main")
        self.git(repo, "reset", "-q", "--hard", "bench-base")
        self.git(repo, "clean", "-q", "-f", "-d")
        self.drop_hidden_refs(repo)

    def drop_hidden_refs(self, repo: Path) -> None:
        refs = self.git(repo, "for-each-ref", "--format=%(refname)", "refs/repro/")
        for ref in refs.split():
            self.git(repo, "update-ref", "-d", ref)

    def edited_notebook(
        self, repo: Path, rel: str, nbs: dict[str, Path], message: str
    ) -> tuple[Path, str]:
        """Commit ``nbs["base"]`` at ``rel``, then leave the edited version in the working
        copy (a source change, outputs regenerated): its path and the base commit."""
        path = repo / rel
        path.parent.mkdir(exist_ok=True)
        shutil.copyfile(nbs["base"], path)
        self.git(repo, "add", "--", rel)
        self.git(repo, "commit", "-q", "-m", message)
        base = self.git(repo, "rev-parse", "HEAD")
        shutil.copyfile(nbs["edited"], path)
        return path, base

    # -- servers --------------------------------------------------------------------

    def server(
        self, root_dir: Path, extra_args: list[str] | None = None, poll: float = 0.2
    ) -> Server:
        server = Server(root_dir, self.env, self.work / "logs", extra_args, poll)
        self._servers.append(server)
        return server

    def stop_servers(self) -> None:
        while self._servers:
            self._servers.pop().stop()
