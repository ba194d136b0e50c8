"""Environment tags (``environment.py``) and the repository URL written on runs."""

from __future__ import annotations

import json
import os
import platform
import stat
import subprocess
import sys
import textwrap
import types
from importlib import metadata
from pathlib import Path

import pytest

from jupyterlab_repro.kernel import environment
from jupyterlab_repro.kernel.environment import EnvironmentProbe, framework_facts, nvidia_smi_facts

pytestmark = pytest.mark.mlflow

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def probe(monkeypatch: pytest.MonkeyPatch) -> EnvironmentProbe:
    for name in (*environment.IMAGE_ENV_VARS, "CUDA_VISIBLE_DEVICES"):
        monkeypatch.delenv(name, raising=False)
    return EnvironmentProbe()


def fake_nvidia_smi(bin_dir: Path, body: str) -> Path:
    """A real ``nvidia-smi`` executable on PATH (this machine has no GPU)."""
    bin_dir.mkdir(exist_ok=True)
    exe = bin_dir / "nvidia-smi"
    exe.write_text(f"#!{sys.executable}\n{textwrap.dedent(body)}", encoding="utf-8")
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
    return exe


def test_python_and_installed_package_versions(probe: EnvironmentProbe) -> None:
    tags = probe.tags()
    assert tags["repro.env.python"] == platform.python_version()
    assert tags["repro.env.scikit-learn"] == metadata.version("scikit-learn")
    assert tags["repro.env.numpy"] == metadata.version("numpy")
    assert tags["repro.env.mlflow"] == metadata.version("mlflow-skinny")
    assert all(isinstance(v, str) for v in tags.values())


def test_packages_that_are_not_installed_are_left_out(probe: EnvironmentProbe) -> None:
    tags = probe.tags()
    for name, dists in environment.KEY_PACKAGES:
        installed = any(_installed(d) for d in dists)
        assert (f"repro.env.{name}" in tags) == installed, name


def _installed(dist: str) -> bool:
    try:
        metadata.version(dist)
    except metadata.PackageNotFoundError:
        return False
    return True


def test_no_library_is_imported_to_read_its_version() -> None:
    """In a fresh interpreter, collecting tags imports none of the libraries it reports."""
    code = textwrap.dedent(
        """
        import json, sys
        from jupyterlab_repro.kernel.environment import environment_tags
        tags = environment_tags()
        heavy = ["torch", "tensorflow", "jax", "sklearn", "numpy", "pandas", "mlflow"]
        print(json.dumps({"tags": tags, "imported": [m for m in heavy if m in sys.modules]}))
        """
    )
    env = {**os.environ, "PYTHONPATH": os.fspath(PROJECT_ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["imported"] == []
    assert result["tags"]["repro.env.scikit-learn"] == metadata.version("scikit-learn")


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, None),
        ({"JUPYTER_IMAGE": "quay.io/jupyter/base:x"}, "quay.io/jupyter/base:x"),
        (
            {
                "JUPYTER_IMAGE": "a:1",
                "JUPYTER_IMAGE_SPEC": "quay.io/jupyter/pytorch-notebook:cuda12",
            },
            "quay.io/jupyter/pytorch-notebook:cuda12",
        ),
        ({"JUPYTER_IMAGE_SPEC": "b:2", "REPRO_IMAGE": "registry/team/img@sha256:ab"}, None),
    ],
)
def test_container_image_precedence(
    probe: EnvironmentProbe,
    monkeypatch: pytest.MonkeyPatch,
    env: dict[str, str],
    expected: str | None,
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    if "REPRO_IMAGE" in env:
        expected = env["REPRO_IMAGE"]
    assert probe.tags().get("repro.image") == expected


def test_long_values_are_truncated_to_mlflows_limit(
    probe: EnvironmentProbe, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REPRO_IMAGE", "x" * 6000)
    value = probe.tags()["repro.image"]
    assert len(value) == environment.MAX_TAG_VALUE_LENGTH
    assert value.endswith("...")


def test_cuda_visible_devices_is_recorded(
    probe: EnvironmentProbe, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert "repro.env.cuda_visible_devices" not in probe.tags()
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0,2")
    assert probe.tags()["repro.env.cuda_visible_devices"] == "0,2"


def test_gpu_facts_from_nvidia_smi_are_cached(
    probe: EnvironmentProbe, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls = tmp_path / "calls"
    fake_nvidia_smi(
        tmp_path / "bin",
        f"""
        import sys
        assert sys.argv[1:] == ["--query-gpu=name,driver_version", "--format=csv,noheader"]
        with open({os.fspath(calls)!r}, "a") as f:
            f.write("x")
        print("NVIDIA A100-SXM4-40GB, 535.104.05")
        print("NVIDIA A100-SXM4-40GB, 535.104.05")
        """,
    )
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    tags = probe.tags()
    assert tags["repro.env.gpu"] == "NVIDIA A100-SXM4-40GB, NVIDIA A100-SXM4-40GB"
    assert tags["repro.env.gpu.count"] == "2"
    assert tags["repro.env.gpu.driver"] == "535.104.05"
    probe.tags()
    assert calls.read_text() == "x"  # asked once per process
    probe.clear()
    probe.tags()
    assert calls.read_text() == "xx"


def test_nvidia_smi_absent_failing_or_hanging_gives_no_gpu_tags(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", os.fspath(tmp_path / "empty"))
    assert nvidia_smi_facts() == {}
    fake_nvidia_smi(tmp_path / "bin", "import sys\nsys.exit('NVIDIA-SMI has failed')\n")
    monkeypatch.setenv("PATH", os.fspath(tmp_path / "bin"))
    assert nvidia_smi_facts() == {}
    fake_nvidia_smi(tmp_path / "bin", "import time\ntime.sleep(30)\n")
    assert nvidia_smi_facts(timeout=0.5) == {}


def test_cuda_facts_come_only_from_frameworks_already_imported() -> None:
    """A stand-in for an imported CUDA build of torch (no GPU on this machine)."""
    assert framework_facts({}) == {}

    initialised = {"value": False}
    torch = types.SimpleNamespace(
        version=types.SimpleNamespace(cuda="12.1"),
        backends=types.SimpleNamespace(cudnn=types.SimpleNamespace(version=lambda: 8902)),
        cuda=types.SimpleNamespace(
            is_initialized=lambda: initialised["value"],
            device_count=lambda: 1,
            get_device_name=lambda i: "NVIDIA H100",
        ),
    )
    facts = framework_facts({"torch": torch})
    # CUDA not initialised by the user: the device is not queried (that would start CUDA)
    assert facts == {"repro.env.cuda": "12.1", "repro.env.cudnn": "8902"}
    initialised["value"] = True
    assert framework_facts({"torch": torch})["repro.env.gpu"] == "NVIDIA H100"

    cpu_torch = types.SimpleNamespace(version=types.SimpleNamespace(cuda=None))
    assert framework_facts({"torch": cpu_torch}) == {}


def test_a_broken_framework_does_not_break_the_tags() -> None:
    broken = types.SimpleNamespace(version=types.SimpleNamespace(cuda="12.1"))  # no .backends
    assert framework_facts({"torch": broken}) == {"repro.env.cuda": "12.1"}


# -- the repository URL written on runs ------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://user:token@github.com/org/repo.git", "https://github.com/org/repo.git"),
        ("https://ghp_abc123@github.com/org/repo", "https://github.com/org/repo"),
        (
            "https://oauth2:glpat-x@gitlab.example.com:8443/g/r.git",
            "https://gitlab.example.com:8443/g/r.git",
        ),
        ("http://u:p@host/x?private_token=abc", "http://host/x"),
        ("https://host/x?token=abc", "https://host/x"),
        ("ssh://git@github.com/org/repo.git", "ssh://git@github.com/org/repo.git"),
        ("ssh://git:secret@host/r.git", "ssh://git@host/r.git"),
        ("git@github.com:org/repo.git", "git@github.com:org/repo.git"),
        ("https://github.com/org/repo.git", "https://github.com/org/repo.git"),
        ("/srv/git/repo.git", "/srv/git/repo.git"),
        ("file:///srv/git/repo.git", "file:///srv/git/repo.git"),
    ],
)
def test_credentials_are_stripped_from_repository_urls(url: str, expected: str) -> None:
    from jupyterlab_repro.git.remotes import strip_credentials

    assert strip_credentials(url) == expected
