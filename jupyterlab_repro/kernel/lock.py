"""The environment lock of this interpreter: what recreates the environment a run executed in.

Every installed distribution as ``name==version`` (PEP 503 names), read from
the names of the ``*.dist-info`` / ``*.egg-info`` folders on ``sys.path``
(the metadata file is read only when a folder name holds no version); a
distribution is never imported. Installs from a URL or a folder (PEP 610
``direct_url.json``; ``pip install -e``) are marked as such. When the
interpreter lives in a conda environment (``conda-meta/`` under
``sys.prefix``, ``sys.base_prefix`` or ``$CONDA_PREFIX``), its conda packages
too, from the ``conda-meta`` file names (``name-version-build.json``), so
CUDA and cuDNN libraries installed by conda count. Then Python, platform,
the container image (``REPRO_IMAGE``, ``JUPYTER_IMAGE_SPEC``,
``JUPYTER_IMAGE``), the CUDA version torch or TensorFlow were built for (read
from their ``version.py`` / ``build_info.py`` files, never imported) and the
GPUs ``nvidia-smi`` lists. Facts that change while a process runs (which
GPUs torch has initialised, ``CUDA_VISIBLE_DEVICES``) are not in the lock:
the same environment always gives the same lock, and the same id.

The lock is a JSON document (:func:`canonical`) named by the sha256 of its
bytes. :class:`LockCache` computes it once per process and again only when a
folder on ``sys.path`` or ``conda-meta`` changed (their mtimes, one ``stat``
each: installing or removing a package changes its folder's).

Standard library only: the server runs this file as a script in a kernel's
interpreter (``python -c 'import runpy, sys; runpy.run_path(sys.argv[1], run_name="__main__")' lock.py``)
to learn what that environment holds.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Mapping
from typing import Any

#: Version of the lock document's layout.
FORMAT = 1
#: Environment variables naming the container image, most specific first.
IMAGE_ENV_VARS = ("REPRO_IMAGE", "JUPYTER_IMAGE_SPEC", "JUPYTER_IMAGE")
#: Seconds ``nvidia-smi`` may take before the GPU facts are left out.
NVIDIA_SMI_TIMEOUT = 2.0

_NORMALIZE = re.compile(r"[-_.]+")
_TORCH_CUDA = re.compile(r"""^cuda\s*(?::[^=]*)?=\s*['"]([^'"]+)['"]""", re.M)
_TF_CUDA = re.compile(r"""['"]cuda_version['"]\s*:\s*['"]([^'"]+)['"]""")


def normalize(name: str) -> str:
    """The PEP 503 form of a distribution name (``Scikit_Learn`` → ``scikit-learn``)."""
    return _NORMALIZE.sub("-", name).lower()


def path_dirs(paths: list[str] | None = None) -> list[str]:
    """The folders of ``paths`` (default ``sys.path``) that exist, first occurrence kept.

    The empty entry (the working directory, where a notebook kernel starts) is
    no installation: it is left out, so saving the notebook there does not
    make the lock be read again.
    """
    seen: set[str] = set()
    out = []
    for entry in sys.path if paths is None else paths:
        if not entry:
            continue
        folder = os.path.abspath(entry)
        if folder in seen:
            continue
        seen.add(folder)
        if os.path.isdir(folder):
            out.append(folder)
    return out


def _metadata_field(folder: str, field: str) -> str | None:
    """A header field of a distribution's ``METADATA`` / ``PKG-INFO`` (the header only)."""
    for name in ("METADATA", "PKG-INFO"):
        path = os.path.join(folder, name) if os.path.isdir(folder) else folder
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                for line in handle:
                    if not line.strip():
                        break
                    key, _, value = line.partition(":")
                    if key.strip().lower() == field.lower():
                        return value.strip()
        except OSError:
            continue
    return None


def _direct(folder: str) -> str | None:
    """How a distribution was installed when not from an index (PEP 610), else ``None``."""
    path = os.path.join(folder, "direct_url.json")
    if not os.path.exists(path):
        return None
    try:
        with open(path, encoding="utf-8") as handle:
            info = json.load(handle)
    except (OSError, ValueError):
        return "url"
    if not isinstance(info, dict):
        return "url"
    if isinstance(info.get("dir_info"), dict) and info["dir_info"].get("editable"):
        return "editable"
    url = info.get("url")
    if isinstance(info.get("vcs_info"), dict) and isinstance(url, str):
        commit = info["vcs_info"].get("commit_id")
        vcs = info["vcs_info"].get("vcs", "git")
        return f"{vcs}+{url}@{commit}" if commit else f"{vcs}+{url}"
    return url if isinstance(url, str) else "url"


def scan_distributions(dirs: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    """``({name: version}, {name: how})`` of the distributions installed in ``dirs``.

    The first folder that holds a distribution wins, as for imports. ``how``
    is ``editable``, a URL, or a ``git+URL@commit`` for distributions not
    installed from an index.
    """
    packages: dict[str, str] = {}
    direct: dict[str, str] = {}
    for folder in dirs:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            fname = entry.name
            if fname.endswith(".dist-info"):
                stem, wheel = fname[:-10], True
            elif fname.endswith(".egg-info"):
                stem, wheel = fname[:-9], False
            else:
                continue
            parts = stem.split("-")
            name = parts[0]
            version = parts[1] if len(parts) > 1 and parts[1] else None
            if version is None:  # a development egg-info ("name.egg-info"): ask its metadata
                version = _metadata_field(entry.path, "Version")
                name = _metadata_field(entry.path, "Name") or name
            if not name or not version:
                continue
            key = normalize(name)
            if key in packages:
                continue
            packages[key] = version
            if wheel:
                how = _direct(entry.path)
                if how is not None:
                    direct[key] = how
    return packages, direct


def conda_meta_dirs(environ: Mapping[str, str] | None = None) -> list[str]:
    """The ``conda-meta`` folders of the conda environments this interpreter runs in."""
    env = os.environ if environ is None else environ
    out = []
    for prefix in (sys.prefix, sys.base_prefix, env.get("CONDA_PREFIX", "")):
        if not prefix:
            continue
        meta = os.path.join(prefix, "conda-meta")
        if meta not in out and os.path.isdir(meta):
            out.append(meta)
    return out[:1]  # the interpreter's own environment (a venv over conda: the base's)


def conda_packages(meta_dir: str) -> dict[str, str]:
    """``{name: "version=build"}`` from a ``conda-meta`` folder's file names."""
    packages: dict[str, str] = {}
    try:
        names = os.listdir(meta_dir)
    except OSError:
        return packages
    for fname in names:
        if not fname.endswith(".json"):
            continue
        parts = fname[:-5].rsplit("-", 2)
        if len(parts) == 3 and all(parts):
            packages[parts[0]] = f"{parts[1]}={parts[2]}"
    return packages


def image(environ: Mapping[str, str] | None = None) -> str | None:
    env = os.environ if environ is None else environ
    for name in IMAGE_ENV_VARS:
        value = env.get(name, "").strip()
        if value:
            return value
    return None


def _read(path: str, limit: int = 65536) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read(limit)
    except OSError:
        return ""


def built_cuda(dirs: list[str], packages: Mapping[str, str]) -> str | None:
    """The CUDA version torch (else TensorFlow) was built for, from their files (no import)."""
    for folder in dirs:
        if "torch" in packages:
            found = _TORCH_CUDA.search(_read(os.path.join(folder, "torch", "version.py")))
            if found and found.group(1) not in ("None", ""):
                return found.group(1)
        if "tensorflow" in packages or "tensorflow-cpu" in packages:
            info = os.path.join(folder, "tensorflow", "python", "platform", "build_info.py")
            found = _TF_CUDA.search(_read(info))
            if found:
                return found.group(1)
    return None


class _Gpus:
    """``nvidia-smi``'s answer, asked once per process (a subprocess costs ~50 ms)."""

    def __init__(self) -> None:
        self._facts: dict[str, str] | None = None
        self._mutex = threading.Lock()

    def facts(self) -> dict[str, str]:
        with self._mutex:
            if self._facts is None:
                self._facts = _nvidia_smi()
            return dict(self._facts)


def _nvidia_smi() -> dict[str, str]:
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return {}
    try:
        proc = subprocess.run(
            [exe, "--query-gpu=name,driver_version", "--format=csv,noheader"],
            capture_output=True,
            timeout=NVIDIA_SMI_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return {}
    if proc.returncode != 0:
        return {}
    names, drivers = [], []
    for line in proc.stdout.decode("utf-8", "replace").splitlines():
        name, _, driver = line.rpartition(",")
        if name.strip():
            names.append(name.strip())
            if driver.strip() and driver.strip() not in drivers:
                drivers.append(driver.strip())
    facts = {}
    if names:
        facts["gpu"] = ", ".join(names)
    if drivers:
        facts["gpu_driver"] = ", ".join(drivers)
    return facts


GPUS = _Gpus()


def compute_lock(
    paths: list[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    gpu: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The lock of this interpreter (``paths``: ``sys.path`` by default; ``gpu``: nvidia-smi's)."""
    dirs = path_dirs(paths)
    packages, direct = scan_distributions(dirs)
    lock: dict[str, Any] = {
        "format": FORMAT,
        "python": platform.python_version(),
        "implementation": sys.implementation.name,
        "platform": f"{sys.platform}-{platform.machine()}",
        "packages": dict(sorted(packages.items())),
    }
    if direct:
        lock["direct"] = dict(sorted(direct.items()))
    for meta in conda_meta_dirs(environ):
        conda = conda_packages(meta)
        if conda:
            lock["conda"] = dict(sorted(conda.items()))
    found_image = image(environ)
    if found_image:
        lock["image"] = found_image
    cuda = built_cuda(dirs, packages)
    if cuda:
        lock["cuda"] = cuda
    lock.update(GPUS.facts() if gpu is None else dict(gpu))
    return lock


def canonical(lock: Mapping[str, Any]) -> bytes:
    """The lock's bytes: sorted keys, no spaces, UTF-8, one trailing newline (stable ids)."""
    text = json.dumps(lock, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8") + b"\n"


def lock_id(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def parse(data: bytes) -> dict[str, Any] | None:
    """A stored lock, or ``None`` when ``data`` is not one."""
    try:
        lock = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(lock, dict) or not isinstance(lock.get("packages"), dict):
        return None
    return lock


class LockCache:
    """This process's lock, recomputed only when a folder it was read from changed."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._key: tuple[Any, ...] | None = None
        self._value: tuple[dict[str, Any], bytes, str] | None = None

    def _key_now(self) -> tuple[Any, ...]:
        stats: list[tuple[str, int | None]] = []
        for entry in [*sys.path, *conda_meta_dirs()]:
            if not entry:
                continue
            try:
                stats.append((entry, os.stat(entry).st_mtime_ns))
            except OSError:
                stats.append((entry, None))
        return (tuple(stats), image())

    def get(self) -> tuple[dict[str, Any], bytes, str]:
        """``(lock, canonical bytes, id)``: from the cache unless a folder changed."""
        key = self._key_now()
        with self._mutex:
            if self._value is not None and key == self._key:
                return self._value
        lock = compute_lock()
        data = canonical(lock)
        value = (lock, data, lock_id(data))
        with self._mutex:
            self._key, self._value = key, value
        return value

    def clear(self) -> None:
        with self._mutex:
            self._key = self._value = None


def diff_packages(before: Mapping[str, str], after: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """``{"added": {name: version}, "removed": {…}, "changed": {name: [before, after]}}``."""
    return {
        "added": {k: after[k] for k in sorted(set(after) - set(before))},
        "removed": {k: before[k] for k in sorted(set(before) - set(after))},
        "changed": {
            k: [before[k], after[k]]
            for k in sorted(set(before) & set(after))
            if before[k] != after[k]
        },
    }


#: The facts of a lock besides its package lists, in the order they are reported.
FACTS = ("python", "implementation", "platform", "image", "cuda", "gpu", "gpu_driver")


def differences(recorded: Mapping[str, Any], now: Mapping[str, Any]) -> list[dict[str, Any]]:
    """What differs between two locks: ``{"kind", "name", "recorded", "now"}`` rows.

    ``kind`` is ``fact`` (Python, platform, image, CUDA, GPU), ``package``
    (pip) or ``conda``; a missing side is ``None``. Facts the recorded lock
    does not have are not compared (a lock made from a run's few tags).
    """
    rows: list[dict[str, Any]] = []
    for fact in FACTS:
        if fact in recorded and recorded.get(fact) != now.get(fact):
            rows.append(
                {"kind": "fact", "name": fact, "recorded": recorded[fact], "now": now.get(fact)}
            )
    for kind, key in (("package", "packages"), ("conda", "conda")):
        before, after = recorded.get(key) or {}, now.get(key) or {}
        if key == "conda" and "conda" not in recorded:
            continue
        if recorded.get("partial"):  # only some packages were recorded: compare those
            after = {k: v for k, v in after.items() if k in before}
        diff = diff_packages(before, after)
        for name, version in diff["removed"].items():
            rows.append({"kind": kind, "name": name, "recorded": version, "now": None})
        for name, version in diff["added"].items():
            rows.append({"kind": kind, "name": name, "recorded": None, "now": version})
        for name, (old, new) in diff["changed"].items():
            rows.append({"kind": kind, "name": name, "recorded": old, "now": new})
    return rows


def main() -> int:
    """Print this interpreter's lock (canonical JSON) on stdout."""
    sys.stdout.write(canonical(compute_lock()).decode("utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
