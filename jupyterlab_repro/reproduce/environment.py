"""The environment check, and what recreates a run's environment.

:func:`current_lock` asks a kernel's own interpreter (the kernelspec's
``argv[0]``, with the kernelspec's environment) for its lock by running
:mod:`jupyterlab_repro.kernel.lock` as a script there: the lock a run would
record in a kernel of that kind now. :func:`check` sets it against the
run's recorded lock (package, recorded, now). :func:`requirements_text`,
:func:`conda_text` and :func:`dockerfile_text` write what recreates a lock:
``jupyter repro env RUN_ID --requirements|--conda|--dockerfile``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from ..deadline import Deadline
from ..errors import GitError, GitTimeout, InvalidRequest, ReproError
from ..git.blobs import is_record_id, read_record
from ..git.lock import repository_lock
from ..git.refs import ENVS
from ..git.runner import Git
from ..git.share import check_remote, fetch_snapshots, remote_names
from ..kernel import lock as lock_module
from ..tags import REPRO_ENV_LOCK
from ..tracking.store import TrackingService
from .plan import lock_from_tags

#: Runs the lock script in another interpreter without putting its folder on ``sys.path``.
_RUN_SCRIPT = "import runpy, sys; runpy.run_path(sys.argv[1], run_name='__main__')"


class KernelUnavailable(ReproError):
    """The run's kernel is not installed here, or its interpreter cannot be asked."""


def kernel_spec(kernel_name: str) -> Any:
    """The installed kernelspec ``kernel_name`` (``jupyter kernelspec list``)."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        return KernelSpecManager().get_kernel_spec(kernel_name)
    except NoSuchKernel:
        raise InvalidRequest(
            f"The run's kernel {kernel_name!r} is not installed here (jupyter kernelspec list)."
        ) from None


def kernel_python(spec: Any) -> str | None:
    """The interpreter a Python kernelspec starts (``None`` for other languages)."""
    if str(getattr(spec, "language", "python")).lower() != "python" or not spec.argv:
        return None
    cmd = spec.argv[0]
    major, minor = sys.version_info[:2]
    if cmd in ("python", f"python{major}", f"python{major}.{minor}"):
        return sys.executable  # as jupyter_client starts it
    return shutil.which(cmd) or (cmd if os.path.isabs(cmd) else None)


def current_lock(kernel_name: str, *, deadline: Deadline) -> dict[str, Any]:
    """The lock of the environment a fresh ``kernel_name`` kernel runs in."""
    spec = kernel_spec(kernel_name)
    python = kernel_python(spec)
    if python is None:
        raise KernelUnavailable(
            f"The kernel {kernel_name!r} is not a Python kernel: its environment is not checked."
        )
    env = {**os.environ, **(getattr(spec, "env", None) or {})}
    env.pop("PYTHONSTARTUP", None)
    try:
        proc = subprocess.run(
            [python, "-c", _RUN_SCRIPT, str(Path(lock_module.__file__))],
            capture_output=True,
            env=env,
            timeout=max(deadline.remaining(), 0.1),
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise KernelUnavailable(
            f"The kernel's interpreter did not say what it holds within {deadline.describe()}."
        ) from None
    except OSError as exc:
        raise KernelUnavailable(f"The kernel's interpreter {python} cannot run: {exc}") from None
    found = lock_module.parse(proc.stdout) if proc.returncode == 0 else None
    if found is None:
        last = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no answer"]
        raise KernelUnavailable(f"The kernel's interpreter {python} gave no lock: {last[0]}")
    return found


def check(plan_lock: dict[str, Any] | None, now: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The rows of :func:`~jupyterlab_repro.kernel.lock.differences`, or none to compare."""
    if plan_lock is None or now is None:
        return []
    return lock_module.differences(plan_lock, now)


def run_lock(
    service: TrackingService,
    repo_root: Path | None,
    run_id: str,
    *,
    deadline: Deadline,
    fetch: bool = True,
) -> tuple[dict[str, Any] | None, str | None, dict[str, Any]]:
    """``(lock, note, run)``: a run's recorded lock, fetched from the remote when only there.

    Without the full lock (not recorded, or not in this repository), the
    partial one its ``repro.env.*`` tags make, with a note saying so.
    """
    run = service.get_run(run_id, deadline=deadline)
    tags = run["all_tags"]
    ident = tags.get(REPRO_ENV_LOCK, "")
    if is_record_id(ident) and repo_root is not None:
        git = Git(repo_root, deadline)
        data = read_record(git, ENVS, ident)
        if data is None and fetch and remote_names(git):
            try:
                remote = check_remote(git, None)
                with repository_lock(git, kind="share"):
                    fetch_snapshots(git, remote)
            except GitTimeout:
                raise
            except (GitError, InvalidRequest):
                pass
            data = read_record(git, ENVS, ident)
        found = lock_module.parse(data) if data is not None else None
        if found is not None:
            return found, None, run
        note = f"the lock {ident[:12]} is not in this repository (was it pushed?)"
    elif is_record_id(ident):
        note = "run inside the run's repository to read its full lock"
    else:
        note = "the run recorded no environment lock"
    partial = lock_from_tags(tags)
    return partial, (note + ": only the packages its tags name" if partial else note), run


def _pins(lock: dict[str, Any], *, skip: set[str] | None = None) -> list[str]:
    packages: dict[str, str] = lock.get("packages") or {}
    direct: dict[str, str] = lock.get("direct") or {}
    lines = []
    for name, version in sorted(packages.items()):
        if skip and name in skip:
            continue
        how = direct.get(name)
        if how is None:
            lines.append(f"{name}=={version}")
        elif how == "editable" or how == "url" or how.startswith("file:"):
            lines.append(
                f"# {name}=={version} was installed from a local folder: install its source"
            )
        else:
            lines.append(f"{name} @ {how}")
    return lines


def _header(lock: dict[str, Any], run_id: str | None, what: str) -> list[str]:
    where = f"MLflow run {run_id}" if run_id else "the run"
    facts = ", ".join(
        f"{k} {lock[k]}" for k in ("python", "platform", "image", "cuda", "gpu") if lock.get(k)
    )
    lines = [f"# {what} of {where} (jupyter repro env)"]
    if facts:
        lines.append(f"# {facts}")
    if lock.get("partial"):
        lines.append("# only the packages the run's tags name: the run recorded no full lock")
    return lines


def requirements_text(lock: dict[str, Any], run_id: str | None = None) -> str:
    """A pinned requirements file (``pip install -r``) of the lock's distributions."""
    return "\n".join([*_header(lock, run_id, "The pip packages"), *_pins(lock)]) + "\n"


def conda_text(lock: dict[str, Any], run_id: str | None = None) -> str:
    """A conda ``environment.yml``: the conda packages, then the other pip packages."""
    conda: dict[str, str] = lock.get("conda") or {}
    lines = _header(lock, run_id, "The environment")
    lines.append(f"name: repro-{(run_id or 'run')[:12]}")
    lines.append("dependencies:")
    if not conda and lock.get("python"):
        lines.append(f"  - python={lock['python']}")
    for name, spec in sorted(conda.items()):
        lines.append(f"  - {name}={spec}")
    pins = [p for p in _pins(lock, skip={lock_module.normalize(n) for n in conda}) if p[0] != "#"]
    if pins:
        lines.append("  - pip")
        lines.append("  - pip:")
        lines.extend(f"    - {pin}" for pin in pins)
    return "\n".join(lines) + "\n"


def dockerfile_text(lock: dict[str, Any], run_id: str | None = None) -> str:
    """A Dockerfile ``FROM`` the recorded image (else ``python:<version>-slim``) that installs the pins."""
    python = str(lock.get("python") or "3")
    base = lock.get("image") or f"python:{'.'.join(python.split('.')[:2])}-slim"
    lines = _header(lock, run_id, "An image with the environment")
    pins = _pins(lock)
    notes = [p for p in pins if p.startswith("#")]
    installs = [p for p in pins if not p.startswith("#")]
    lines += notes
    lines.append(f"FROM {base}")
    if installs:
        body = " \\\n    ".join(json.dumps(p) if " " in p else p for p in installs)
        lines.append(f"RUN python -m pip install --no-cache-dir \\\n    {body}")
    return "\n".join(lines) + "\n"
