"""The records of a run (environment lock, input fingerprints) and the verdict's arithmetic.

Real folders of fake distributions, real conda-meta file names, real git
repositories for the content-addressed records, a real SQLite store for the
comparison of two runs' packages.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from jupyterlab_repro.commit.rules import parse_repo_config
from jupyterlab_repro.errors import ConfigInvalid
from jupyterlab_repro.git.blobs import read_record, record_id, store_record
from jupyterlab_repro.git.refs import ENVS, INPUTS
from jupyterlab_repro.git.runner import Git
from jupyterlab_repro.git.share import fetch_snapshots, push_snapshots
from jupyterlab_repro.kernel import inputs as inputs_module
from jupyterlab_repro.kernel import lock as lock_module
from jupyterlab_repro.kernel.inputs import DigestCache, fingerprint
from jupyterlab_repro.kernel.lock import LockCache, compute_lock, differences, scan_distributions
from jupyterlab_repro.reproduce import verdict as v
from jupyterlab_repro.reproduce.environment import (
    conda_text,
    dockerfile_text,
    requirements_text,
)
from jupyterlab_repro.reproduce.plan import cells_to_run, lock_from_tags


def git(cwd: Path, *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return proc.stdout.strip()


def dist(site: Path, folder: str, files: dict[str, str] | None = None) -> Path:
    path = site / folder
    path.mkdir(parents=True)
    for name, text in (files or {}).items():
        (path / name).write_text(text, encoding="utf-8")
    return path


# -- the lock ------------------------------------------------------------------------


def test_distributions_are_read_from_folder_names_first_on_the_path_wins(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    dist(first, "Scikit_Learn-1.5.0.dist-info")
    dist(first, "numpy-2.0.1.dist-info")
    dist(second, "numpy-1.26.4.dist-info")  # shadowed, as for imports
    dist(first, "oldstyle-0.3-py3.11.egg-info")
    dist(
        first,
        "devpkg.egg-info",
        {"PKG-INFO": "Metadata-Version: 2.1\nName: DevPkg\nVersion: 0.9.dev1\n\nbody"},
    )
    dist(
        first,
        "mine-0.1.0.dist-info",
        {
            "direct_url.json": json.dumps(
                {"url": "file:///src/mine", "dir_info": {"editable": True}}
            )
        },
    )
    dist(
        first,
        "fromgit-2.0.dist-info",
        {
            "direct_url.json": json.dumps(
                {
                    "url": "https://example.com/fromgit.git",
                    "vcs_info": {"vcs": "git", "commit_id": "abc123"},
                }
            )
        },
    )
    (first / "numpy").mkdir()  # a package folder: no distribution
    packages, direct = scan_distributions([str(first), str(second)])
    assert packages == {
        "scikit-learn": "1.5.0",
        "numpy": "2.0.1",
        "oldstyle": "0.3",
        "devpkg": "0.9.dev1",
        "mine": "0.1.0",
        "fromgit": "2.0",
    }
    assert direct == {"mine": "editable", "fromgit": "git+https://example.com/fromgit.git@abc123"}


def test_conda_packages_come_from_conda_meta_file_names(tmp_path: Path) -> None:
    meta = tmp_path / "conda-meta"
    meta.mkdir()
    for name in ("cudatoolkit-11.8.0-h6a678d5_0.json", "python-3.11.7-h955ad1f_0.json", "history"):
        (meta / name).write_text("{}")
    assert lock_module.conda_packages(str(meta)) == {
        "cudatoolkit": "11.8.0=h6a678d5_0",
        "python": "3.11.7=h955ad1f_0",
    }


def test_the_lock_is_stable_and_names_image_and_cuda(tmp_path: Path) -> None:
    site = tmp_path / "site"
    dist(site, "torch-2.3.0.dist-info")
    (site / "torch").mkdir()
    (site / "torch" / "version.py").write_text(
        "__version__ = '2.3.0'\ncuda: Optional[str] = '12.1'\n"
    )
    env = {"REPRO_IMAGE": "quay.io/jupyter/pytorch-notebook:cuda12-2024-06-01"}
    one = compute_lock([str(site)], environ=env, gpu={"gpu": "NVIDIA A100"})
    two = compute_lock([str(site)], environ=env, gpu={"gpu": "NVIDIA A100"})
    assert lock_module.canonical(one) == lock_module.canonical(two)
    assert one["packages"] == {"torch": "2.3.0"}
    assert one["cuda"] == "12.1" and one["gpu"] == "NVIDIA A100"
    assert one["image"] == env["REPRO_IMAGE"]
    assert one["python"] == ".".join(map(str, sys.version_info[:3]))


def test_the_cache_reads_again_only_when_a_folder_on_the_path_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    dist(site, "alpha-1.0.dist-info")
    monkeypatch.setattr(sys, "path", [str(site)])
    calls = []
    real = lock_module.compute_lock
    monkeypatch.setattr(
        lock_module, "compute_lock", lambda *a, **k: calls.append(1) or real(*a, **k)
    )
    cache = LockCache()
    lock, _, first = cache.get()
    assert lock["packages"] == {"alpha": "1.0"}
    assert cache.get()[2] == first and len(calls) == 1  # unchanged: nothing read
    dist(site, "beta-2.0.dist-info")  # "pip install beta": the folder's mtime moves
    os.utime(site, ns=(1, 1_900_000_000_000_000_000))
    lock, _, second = cache.get()
    assert len(calls) == 2 and second != first
    assert lock["packages"] == {"alpha": "1.0", "beta": "2.0"}


def test_the_lock_script_runs_in_another_interpreter() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", "import runpy, sys; runpy.run_path(sys.argv[1], run_name='__main__')",
         lock_module.__file__],
        capture_output=True, check=True, env={**os.environ, "PYTHONPATH": ""},
    )  # fmt: skip
    lock = lock_module.parse(proc.stdout)
    assert lock is not None and lock["packages"]["jupyterlab-repro"]
    assert lock["direct"]["jupyterlab-repro"] == "editable"


def test_differences_between_locks() -> None:
    recorded = {
        "python": "3.11.7",
        "platform": "linux-x86_64",
        "packages": {"a": "1", "b": "2", "c": "3"},
    }
    now = {
        "python": "3.12.1",
        "platform": "linux-x86_64",
        "packages": {"a": "1", "b": "2.1", "d": "4"},
    }
    rows = differences(recorded, now)
    assert {"kind": "fact", "name": "python", "recorded": "3.11.7", "now": "3.12.1"} in rows
    assert {"kind": "package", "name": "c", "recorded": "3", "now": None} in rows
    assert {"kind": "package", "name": "d", "recorded": None, "now": "4"} in rows
    assert {"kind": "package", "name": "b", "recorded": "2", "now": "2.1"} in rows
    assert len(rows) == 4
    # a partial lock (from a run's few tags) compares only what it names
    partial = lock_from_tags({"repro.env.python": "3.11.7", "repro.env.numpy": "2.0.0"})
    assert partial == {"partial": True, "python": "3.11.7", "packages": {"numpy": "2.0.0"}}
    rows = differences(partial, {"python": "3.11.7", "packages": {"numpy": "2.0.0", "x": "1"}})
    assert rows == []


def test_what_recreates_a_lock() -> None:
    lock = {
        "python": "3.11.7",
        "platform": "linux-x86_64",
        "image": "quay.io/jupyter/pytorch-notebook:cuda12-2024-06-01",
        "packages": {"numpy": "2.0.1", "torch": "2.3.0", "mine": "0.1", "fromgit": "2.0"},
        "direct": {"mine": "editable", "fromgit": "git+https://example.com/f.git@abc"},
        "conda": {"cudatoolkit": "11.8.0=h6a678d5_0", "numpy": "2.0.1=py311"},
    }
    req = requirements_text(lock, "r1")
    assert "numpy==2.0.1\n" in req and "torch==2.3.0\n" in req
    assert "fromgit @ git+https://example.com/f.git@abc" in req
    assert "# mine==0.1 was installed from a local folder" in req
    docker = dockerfile_text(lock, "r1")
    assert "\nFROM quay.io/jupyter/pytorch-notebook:cuda12-2024-06-01\n" in docker
    assert (
        "RUN python -m pip install --no-cache-dir \\\n    " in docker and "numpy==2.0.1" in docker
    )
    assert '"fromgit @ git+https://example.com/f.git@abc"' in docker
    no_image = dockerfile_text({**lock, "image": None}, "r1")
    assert "\nFROM python:3.11-slim\n" in no_image
    conda = conda_text(lock, "r1")
    assert "  - cudatoolkit=11.8.0=h6a678d5_0\n" in conda
    assert "    - torch==2.3.0\n" in conda and "    - numpy" not in conda  # numpy came from conda


# -- content-addressed records in git -------------------------------------------------


def test_records_are_kept_once_and_travel_with_push_and_fetch(tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "--quiet", "--bare", "-b", "main", str(remote))
    a = tmp_path / "a"
    a.mkdir()
    git(a, "init", "--quiet", "-b", "main")
    (a / "f").write_text("x")
    git(a, "add", "f")
    git(a, "commit", "-qm", "x")
    git(a, "remote", "add", "origin", str(remote))
    git(a, "push", "-q", "origin", "main")
    data = b'{"format":1,"packages":{"numpy":"2.0.1"}}\n'
    ident = store_record(Git(a), ENVS, data)
    assert ident == record_id(data)
    assert store_record(Git(a), ENVS, data) == ident  # idempotent
    assert read_record(Git(a), ENVS, ident) == data
    pushed = push_snapshots(Git(a))
    assert pushed.records == [f"{ENVS}{ident}"]
    assert push_snapshots(Git(a)).records == []  # there already: the name is the content

    b = tmp_path / "b"
    git(tmp_path, "clone", "--quiet", "--no-local", str(remote), str(b))
    assert read_record(Git(b), ENVS, ident) is None
    fetched = fetch_snapshots(Git(b))
    assert fetched.records == [f"{ENVS}{ident}"]
    assert read_record(Git(b), ENVS, ident) == data
    # a record whose bytes are not what its name says is not read
    other = store_record(Git(b), INPUTS, b"{}\n")
    blob = git(b, "hash-object", "-w", "--stdin")  # an empty blob
    git(b, "update-ref", f"{INPUTS}{other}", blob)
    assert read_record(Git(b), INPUTS, other) is None


# -- input fingerprints ---------------------------------------------------------------


def test_inputs_in_the_rules() -> None:
    config = parse_repo_config({"inputs": ["data/", "configs/*.yaml", "data/"]})
    assert config.inputs == ("data/", "configs/*.yaml")
    for bad in (["../secret"], ["/etc/passwd"], [""], "data/", [1], [".git/config"], ["a/../../b"]):
        with pytest.raises(ConfigInvalid, match="inputs"):
            parse_repo_config({"inputs": bad})


def test_fingerprints_cost_a_stat_when_nothing_changed(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / "data" / "sub").mkdir(parents=True)
    (root / "configs").mkdir()
    (root / "data" / "a.csv").write_text("1,2\n")
    (root / "data" / "sub" / "b.bin").write_bytes(b"\x00" * 1000)
    (root / "configs" / "x.yaml").write_text("lr: 0.1\n")
    (root / "configs" / "notes.txt").write_text("not data\n")
    patterns = ["data/", "configs/*.yaml", "missing/"]
    cache = DigestCache()
    manifest = fingerprint(root, patterns, cache)
    assert sorted(manifest["files"]) == ["configs/x.yaml", "data/a.csv", "data/sub/b.bin"]
    assert manifest["missing"] == ["missing/"]
    assert cache.hashed == 3
    again = fingerprint(root, patterns, cache)
    assert again == manifest and cache.hashed == 3  # nothing read again
    assert inputs_module.canonical(again) == inputs_module.canonical(manifest)
    (root / "data" / "a.csv").write_text("1,3\n")
    changed = fingerprint(root, patterns, cache)
    assert cache.hashed == 4
    assert inputs_module.compare(manifest, changed) == [
        {
            "path": "data/a.csv",
            "change": "changed",
            "recorded": manifest["files"]["data/a.csv"]["sha256"],
            "now": changed["files"]["data/a.csv"]["sha256"],
        }
    ]
    # the cache survives the kernel: saved and loaded
    cache.save(tmp_path / "cache.json")
    loaded = DigestCache.load(tmp_path / "cache.json")
    assert fingerprint(root, patterns, loaded) == changed and loaded.hashed == 0


# -- the verdict ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("recorded", "reproduced", "rtol", "atol", "expected"),
    [
        ({"a": 1.0}, {"a": 1.0}, 1e-9, 0.0, "exact"),
        ({"a": 1.0}, {"a": 1.0 + 1e-12}, 1e-9, 0.0, "within-tolerance"),
        ({"a": 1.0}, {"a": 1.001}, 1e-9, 0.0, "differs"),
        ({"a": 1.0}, {"a": 1.001}, 1e-2, 0.0, "within-tolerance"),
        ({"a": 0.0}, {"a": 1e-6}, 0.0, 1e-5, "within-tolerance"),
        ({"a": 1.0}, {}, 1e-9, 0.0, "differs"),
        ({"a": None}, {"a": None}, 1e-9, 0.0, "exact"),  # NaN both times
    ],
)
def test_verdicts(
    recorded: dict[str, Any], reproduced: dict[str, Any], rtol: float, atol: float, expected: str
) -> None:
    rows = v.compare_metrics(recorded, reproduced, rtol=rtol, atol=atol)
    assert v.overall(rows, []) == expected


def test_params_failures_and_the_summary_tag() -> None:
    rows = v.compare_metrics(
        {"acc": 0.9, "loss": 0.1, "f1": 0.5}, {"acc": 0.9, "loss": 0.1 + 1e-12, "f1": 0.6}
    )
    params = v.compare_params({"lr": "0.1"}, {"lr": "0.2"})
    assert params == [{"key": "lr", "recorded": "0.1", "reproduced": "0.2"}]
    assert v.overall(rows, params) == "differs"
    assert v.overall(rows, [], failed=True) == "failed"
    assert v.overall(rows, [], failed=True, cancelled=True) == "cancelled"
    summary = v.summary_tag(rows, params)
    assert summary.startswith("acc:=;f1:!0.1;loss:~1e-12") and summary.endswith(";params:!")
    assert (
        len(
            v.summary_tag(
                [{"key": "k" * 50, "exact": True, "within": True, "difference": 0.0}] * 500, []
            )
        )
        <= 5000
    )


def test_cells_to_run_follow_the_order_then_the_rest_of_the_notebook() -> None:
    def code(src: str) -> dict[str, Any]:
        return {"cell_type": "code", "source": src}

    cells = [
        code("a"),
        {"cell_type": "markdown", "source": "# t"},
        code("b"),
        code("c"),
        code(""),
        code("d"),
    ]
    assert cells_to_run(cells, [1, 4, 3]) == ([0, 3, 2, 5], None)
    assert cells_to_run(cells, None)[0] == [0, 2, 3, 5]
    order, note = cells_to_run(cells, [1, 2])  # 2 is markdown: does not fit
    assert order == [0, 2, 3, 5] and note and "does not fit" in note
    assert cells_to_run(cells, [9])[1]


def test_hashing_stops_when_its_time_is_up_and_keeps_what_it_hashed(tmp_path: Path) -> None:
    from jupyterlab_repro.kernel.inputs import OutOfTime

    (tmp_path / "data").mkdir()
    for i in range(3):
        (tmp_path / "data" / f"{i}.bin").write_bytes(bytes([i]) * 100)
    cache = DigestCache()
    answers = iter([False, True])
    with pytest.raises(OutOfTime, match="1 of 3 files"):
        fingerprint(tmp_path, ["data/"], cache, expired=lambda: next(answers))
    assert cache.hashed == 1
    fingerprint(tmp_path, ["data/"], cache)
    assert cache.hashed == 3  # the first file was not hashed again
