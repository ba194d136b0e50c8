"""Running git: the one place in the product that starts a git process.

git is driven through its command line with argument lists (never a shell
string) and ``--`` before paths. Every call takes what is left of a
:class:`~jupyterlab_repro.deadline.Deadline` that the caller made for the
whole operation; a call that outlives it is killed with everything it
started (hooks, filters, their children, also those that left git's process
group: :mod:`~jupyterlab_repro.git.processes`) *before* :class:`GitTimeout`,
which names the command and the deadline, is raised: a request that answers
504 has no process left running. Read-only calls set
``GIT_OPTIONAL_LOCKS=0`` so a status poll never takes ``index.lock`` away
from the user's own git commands, and ``core.fsmonitor=false`` so a poll
never runs a program the repository's configuration names.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..deadline import Deadline
from ..errors import GitError, GitNotInstalled, GitTimeout, RepositoryReadOnly
from .processes import kill_tree

#: Seconds a git call may take when its caller gives no deadline.
DEFAULT_TIMEOUT = 30.0

#: File names are names, not glob patterns ("a[1].ipynb" must not match "a1.ipynb").
LITERAL_PATHSPECS: Mapping[str, str] = {"GIT_LITERAL_PATHSPECS": "1"}

#: What git says when it cannot write to the repository (not a user error, not a bug).
_READ_ONLY = re.compile(
    r"insufficient permission|Permission denied|Read-only file system|No space left on device"
    r"|Disk quota exceeded"
)

#: Seconds to collect what a killed git printed before its pipes are abandoned.
_REAP_SECONDS = 1.0

_READ_CONFIG = ("-c", "core.fsmonitor=false")

_BASE_ENV = {
    "GIT_TERMINAL_PROMPT": "0",  # never wait for a password
    "LC_ALL": "C",  # parseable messages
    "LANGUAGE": "C",
}


def run_git(
    args: Sequence[str],
    cwd: str | os.PathLike[str],
    *,
    deadline: Deadline | None = None,
    input: bytes | None = None,
    env: Mapping[str, str] | None = None,
    read_only: bool = False,
) -> subprocess.CompletedProcess[bytes]:
    """Run ``git *args`` in ``cwd`` and return the completed process.

    Raises
    ------
    GitError
        Non-zero exit (``stderr`` holds git's explanation).
    GitTimeout
        ``deadline`` passed before git finished, or before it started; git and
        everything it started were killed, and are gone.
    GitNotInstalled
        There is no git.
    """
    name = command_name(args)
    if deadline is None:
        deadline = Deadline(DEFAULT_TIMEOUT)
    timeout = deadline.remaining()
    if timeout <= 0:
        raise GitTimeout(f"git {name} was not started: nothing was left of {deadline.describe()}.")
    full_env = dict(os.environ)
    full_env.update(_BASE_ENV)
    if read_only:
        full_env["GIT_OPTIONAL_LOCKS"] = "0"
    if env:
        full_env.update(env)
    # A read never runs the repository's file-system monitor (a program its
    # config names): polls of a shared or crafted repository run nothing but git.
    argv = ["git", *_READ_CONFIG, *args] if read_only else ["git", *args]
    try:
        proc = subprocess.Popen(
            argv,
            cwd=os.fspath(cwd),
            stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=full_env,
            # Its own session and process group: on a timeout, hooks and filters go too.
            start_new_session=True,
        )
    except FileNotFoundError as exc:
        if shutil.which("git", path=full_env.get("PATH")) is None:
            raise GitNotInstalled("git is not installed or not on PATH.") from exc
        raise
    try:
        stdout, stderr = proc.communicate(input, timeout=timeout)
    except subprocess.TimeoutExpired:
        stdout, stderr = _kill(proc)
        printed = (stdout + stderr).decode("utf-8", "replace")
        raise GitTimeout(
            f"git {name} did not finish within {deadline.describe()}.",
            stderr=stderr.decode("utf-8", "replace"),
            output=printed,
        ) from None
    except BaseException:  # KeyboardInterrupt, a thread being torn down …
        _kill(proc)
        raise
    if proc.returncode != 0:
        text = stderr.decode("utf-8", "replace").strip()
        last = text.splitlines()[-1] if text else f"exit status {proc.returncode}"
        denied = None if read_only else _READ_ONLY.search(text)
        if denied is not None:
            raise RepositoryReadOnly(
                f"git {name} cannot write to this repository ({denied.group(0).lower()}).",
                stderr=text,
            )
        raise GitError(f"git {name} failed: {last}", stderr=text)
    return subprocess.CompletedProcess(argv, proc.returncode, stdout, stderr)


def _kill(proc: subprocess.Popen[bytes]) -> tuple[bytes, bytes]:
    """Kill ``proc`` and all it started (:func:`~.processes.kill_tree`); return what it printed.

    Returns once none of those processes is alive: the caller answers after that.
    """
    if hasattr(os, "killpg"):
        kill_tree(proc.pid)
    else:  # pragma: no cover - Windows
        with contextlib.suppress(ProcessLookupError, PermissionError):
            proc.kill()
    try:
        # A grandchild that left the group could hold the pipes open: do not wait for it.
        return proc.communicate(timeout=_REAP_SECONDS)
    except subprocess.TimeoutExpired:
        for pipe in (proc.stdin, proc.stdout, proc.stderr):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()
        proc.wait()
        return b"", b""


def command_name(args: Sequence[str]) -> str:
    """The git subcommand in ``args`` (skipping ``-c key=value`` and other global options)."""
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg in ("-c", "-C"):
            skip = True
        elif not arg.startswith("-"):
            return arg
    return args[0] if args else ""


def text(proc: subprocess.CompletedProcess[bytes]) -> str:
    """A call's output as text (UTF-8, undecodable bytes replaced), stripped."""
    return proc.stdout.decode("utf-8", "replace").strip()


def fs_path(output: bytes) -> str:
    """One path printed by git, decoded as the OS decodes file names (round-trips)."""
    return os.fsdecode(output.rstrip(b"\r\n"))


@dataclass(frozen=True)
class Git:
    """git in one work tree, under one deadline: what the core passes down.

    ``env`` is added to every call (e.g. ``GIT_INDEX_FILE`` of a temporary
    index); :meth:`with_env` makes a copy with more.
    """

    cwd: Path
    deadline: Deadline = field(default_factory=lambda: Deadline(DEFAULT_TIMEOUT))
    env: Mapping[str, str] = field(default_factory=dict)

    def run(
        self,
        *args: str,
        input: bytes | None = None,
        env: Mapping[str, str] | None = None,
        read_only: bool = False,
    ) -> subprocess.CompletedProcess[bytes]:
        merged = {**self.env, **env} if env else self.env
        return run_git(
            args, self.cwd, deadline=self.deadline, input=input, env=merged, read_only=read_only
        )

    def read(self, *args: str, env: Mapping[str, str] | None = None) -> str:
        """A read-only call's output as text (see :func:`text`)."""
        return text(self.run(*args, env=env, read_only=True))

    def write(self, *args: str, input: bytes | None = None) -> str:
        """A call that may change the repository; its output as text."""
        return text(self.run(*args, input=input))

    def succeeds(self, *args: str, env: Mapping[str, str] | None = None) -> bool:
        """Whether a read-only call exits 0 (timeouts still raise)."""
        try:
            self.run(*args, env=env, read_only=True)
        except GitTimeout:
            raise
        except GitError:
            return False
        return True

    def with_env(self, **env: str) -> Git:
        return replace(self, env={**self.env, **env})
