"""The repository's own hooks (``pre-commit``, ``commit-msg``, ``post-commit``).

Run with ``git hook run`` against whatever index the caller's environment
names, under the caller's deadline: a hook that outlives it is killed with
every process it started (:mod:`~jupyterlab_repro.git.processes`) and reported
as :class:`~jupyterlab_repro.errors.HookTimeout` with what it printed so far.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from ..errors import GitError, GitTimeout, HookRejected, HookTimeout
from .runner import Git

log = logging.getLogger(__name__)


def run_hook(
    git: Git,
    hook: str,
    args: Sequence[str] = (),
    *,
    env: Mapping[str, str] | None = None,
    check: bool = True,
) -> str:
    """Run ``hook`` if installed and return its output.

    ``check=False`` (hooks that cannot stop anything, like ``post-commit``)
    logs a failure instead of raising :class:`HookRejected`.
    """
    try:
        proc = git.run("hook", "run", "--ignore-missing", hook, "--", *args, env=env)
    except GitTimeout as exc:
        if not check:
            log.warning("%s hook timed out: %s", hook, exc)
            return exc.output
        raise HookTimeout(
            f"The {hook} hook did not finish within {git.deadline.describe()}; "
            "it was stopped and nothing was committed.",
            exc.output,
        ) from None
    except GitError as exc:
        if "is not a git command" in exc.stderr or "unknown subcommand" in exc.stderr:
            raise GitError("git 2.36 or newer is needed to run hooks (git hook run).") from exc
        if check:
            raise HookRejected(f"The {hook} hook rejected the commit.", exc.stderr) from None
        log.warning("%s hook failed: %s", hook, exc.stderr)
        return exc.stderr
    return (proc.stdout + proc.stderr).decode("utf-8", "replace")
