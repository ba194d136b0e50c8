"""Facts about the environment a run executes in: Python, packages, CUDA, GPU, image.

Everything here is cheap and side-effect free: package versions come from
installed metadata (``importlib.metadata``), never from importing a heavy
library; CUDA/cuDNN facts are read only from frameworks that the user's code
has *already* imported, and never initialise CUDA; the GPU list comes from
``nvidia-smi`` with a short timeout, skipped when it is absent. Facts that do
not change during a process are cached in an :class:`EnvironmentProbe`.
"""

from __future__ import annotations

import logging
import os
import platform
import shutil
import subprocess
import sys
from collections.abc import Mapping
from importlib import metadata
from typing import Any

from ..tags import REPRO_ENV_PREFIX, REPRO_IMAGE

log = logging.getLogger(__name__)

#: MLflow's historical tag-value limit (newer servers allow 8000); values are cut to it.
MAX_TAG_VALUE_LENGTH = 5000

#: Seconds ``nvidia-smi`` may take before the GPU facts are skipped.
NVIDIA_SMI_TIMEOUT = 2.0

#: Tag suffix → distribution names tried in order (the first installed one wins).
KEY_PACKAGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("torch", ("torch",)),
    ("tensorflow", ("tensorflow", "tensorflow-cpu", "tensorflow-gpu", "tf-nightly")),
    ("jax", ("jax",)),
    ("jaxlib", ("jaxlib",)),
    ("scikit-learn", ("scikit-learn",)),
    ("numpy", ("numpy",)),
    ("pandas", ("pandas",)),
    ("mlflow", ("mlflow", "mlflow-skinny")),
)

#: Environment variables naming the container image, most specific first:
#: our own, then JupyterHub/KubeSpawner's two spellings.
IMAGE_ENV_VARS: tuple[str, ...] = ("REPRO_IMAGE", "JUPYTER_IMAGE_SPEC", "JUPYTER_IMAGE")


def truncate(value: str, limit: int = MAX_TAG_VALUE_LENGTH) -> str:
    """``value`` cut to ``limit`` characters (an ellipsis marks the cut)."""
    if len(value) <= limit:
        return value
    return value[: limit - 3] + "..."


def image_tag(environ: Mapping[str, str] | None = None) -> str | None:
    """The container image this process runs in, when the environment says so."""
    env = os.environ if environ is None else environ
    for name in IMAGE_ENV_VARS:
        value = env.get(name, "").strip()
        if value:
            return value
    return None


def package_versions() -> dict[str, str]:
    """``repro.env.<name>`` → version for the key ML packages that are installed."""
    tags: dict[str, str] = {}
    for tag_name, dists in KEY_PACKAGES:
        for dist in dists:
            try:
                tags[f"{REPRO_ENV_PREFIX}{tag_name}"] = metadata.version(dist)
                break
            except metadata.PackageNotFoundError:
                continue
            except Exception as exc:  # a broken METADATA file must not hide the rest
                log.debug("cannot read the version of %s: %s", dist, exc)
                break
    return tags


def nvidia_smi_facts(timeout: float = NVIDIA_SMI_TIMEOUT) -> dict[str, str]:
    """GPU names and driver version from ``nvidia-smi``; empty when it is absent or slow."""
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return {}
    try:
        proc = subprocess.run(
            [exe, "--query-gpu=name,driver_version", "--format=csv,noheader"],
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        log.debug("nvidia-smi did not answer: %s", exc)
        return {}
    if proc.returncode != 0:
        log.debug("nvidia-smi failed with exit status %d", proc.returncode)
        return {}
    names: list[str] = []
    drivers: list[str] = []
    for line in proc.stdout.decode("utf-8", "replace").splitlines():
        name, _, driver = line.rpartition(",")
        if not name.strip():
            continue
        names.append(name.strip())
        if driver.strip() and driver.strip() not in drivers:
            drivers.append(driver.strip())
    facts: dict[str, str] = {}
    if names:
        facts[f"{REPRO_ENV_PREFIX}gpu"] = ", ".join(names)
        facts[f"{REPRO_ENV_PREFIX}gpu.count"] = str(len(names))
    if drivers:
        facts[f"{REPRO_ENV_PREFIX}gpu.driver"] = ", ".join(drivers)
    return facts


def framework_facts(modules: Mapping[str, Any] | None = None) -> dict[str, str]:
    """CUDA/cuDNN/GPU facts from frameworks the process has already imported.

    Nothing is imported and CUDA is never initialised here: the GPU name is
    read from torch only when torch has initialised CUDA itself.
    """
    mods = sys.modules if modules is None else modules
    facts: dict[str, str] = {}
    torch = mods.get("torch")
    if torch is not None:
        try:
            cuda = getattr(getattr(torch, "version", None), "cuda", None)
            if cuda:
                facts[f"{REPRO_ENV_PREFIX}cuda"] = str(cuda)
                cudnn = torch.backends.cudnn.version()
                if cudnn:
                    facts[f"{REPRO_ENV_PREFIX}cudnn"] = str(cudnn)
                if torch.cuda.is_initialized():
                    count = torch.cuda.device_count()
                    names = [torch.cuda.get_device_name(i) for i in range(count)]
                    if names:
                        facts[f"{REPRO_ENV_PREFIX}gpu"] = ", ".join(names)
                        facts[f"{REPRO_ENV_PREFIX}gpu.count"] = str(len(names))
        except Exception as exc:
            log.debug("cannot read CUDA facts from torch: %s", exc)
    tf = mods.get("tensorflow")
    if tf is not None and f"{REPRO_ENV_PREFIX}cuda" not in facts:
        try:
            info = tf.sysconfig.get_build_info()
            if info.get("cuda_version"):
                facts[f"{REPRO_ENV_PREFIX}cuda"] = str(info["cuda_version"])
            if info.get("cudnn_version"):
                facts[f"{REPRO_ENV_PREFIX}cudnn"] = str(info["cudnn_version"])
        except Exception as exc:
            log.debug("cannot read CUDA facts from tensorflow: %s", exc)
    return facts


class EnvironmentProbe:
    """Collects environment tags, caching what cannot change within a process.

    Python and package versions and the ``nvidia-smi`` answer are computed
    once; framework facts (cheap attribute reads) and the image are read on
    each call, because the notebook may import torch or start CUDA later.
    """

    def __init__(self) -> None:
        self._static: dict[str, str] | None = None

    def clear(self) -> None:
        """Forget everything cached (tests, or after installing packages)."""
        self._static = None

    def tags(self) -> dict[str, str]:
        """All environment tags: ``repro.env.*`` and ``repro.image`` when known."""
        if self._static is None:
            static = {
                f"{REPRO_ENV_PREFIX}python": platform.python_version(),
                f"{REPRO_ENV_PREFIX}platform": f"{sys.platform}-{platform.machine()}",
            }
            static.update(package_versions())
            static.update(nvidia_smi_facts())
            self._static = static
        tags = dict(self._static)
        tags.update(framework_facts())  # torch's view of the GPUs wins over nvidia-smi's
        visible = os.environ.get("CUDA_VISIBLE_DEVICES")
        if visible is not None:
            tags[f"{REPRO_ENV_PREFIX}cuda_visible_devices"] = visible
        image = image_tag()
        if image:
            tags[REPRO_IMAGE] = image
        return {key: truncate(str(value)) for key, value in tags.items()}


_DEFAULT_PROBE = EnvironmentProbe()


def environment_tags() -> dict[str, str]:
    """Environment tags for an MLflow run (cached per process, see :class:`EnvironmentProbe`)."""
    return _DEFAULT_PROBE.tags()
