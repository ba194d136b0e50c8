"""Guardrails: what a snapshot refuses to commit, and the two one-step fixes."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from jupyterlab_repro.commit import guardrails
from jupyterlab_repro.commit.changes import list_changes
from jupyterlab_repro.commit.gitignore import ML_GITIGNORE_RULES, add_gitignore_rules
from jupyterlab_repro.commit.snapshot import snapshot
from jupyterlab_repro.errors import GitError, GuardrailViolation
from jupyterlab_repro.git.lfs import lfs_available, lfs_track, lfs_tracked
from jupyterlab_repro.git.runner import Git as GitDoor

Git = Callable[..., str]
MB = 1024 * 1024


def notebook(source: str = "x = 1") -> bytes:
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": 1,
                "id": "c0",
                "metadata": {},
                "outputs": [{"name": "stdout", "output_type": "stream", "text": ["1\n"]}],
                "source": [source],
            }
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return (json.dumps(nb, indent=1) + "\n").encode()


def repo_state(root: Path) -> dict[str, Any]:
    def out(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True).stdout

    return {
        "head": out("rev-parse", "HEAD"),
        "refs": out("for-each-ref"),
        "index": (root / ".git" / "index").read_bytes(),
        "files": {
            p.relative_to(root).as_posix(): p.stat().st_size
            if p.stat().st_size > MB
            else p.read_bytes()
            for p in sorted(root.rglob("*"))
            if p.is_file() and p.relative_to(root).parts[0] != ".git"
        },
    }


def write(root: Path, rel: str, data: bytes = b"data\n", size: int | None = None) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if size is None:
        path.write_bytes(data)
    else:
        with path.open("wb") as fh:  # sparse: quick to create, stat() sees the size
            fh.truncate(size)
    return path


@pytest.fixture
def lfs() -> None:
    proc = subprocess.run(["git", "lfs", "version"], capture_output=True, check=False)
    if proc.returncode != 0:
        pytest.skip("git-lfs is not installed (`git lfs version` failed)")


# --------------------------------------------------------------------------
# the rules


@pytest.mark.parametrize(
    ("rel", "kind", "rule", "lfs_possible"),
    [
        ("model.pt", "model weights", "*.pt", True),
        ("weights/Model.PTH", "model weights", "*.pth", True),
        ("ckpt/last.ckpt", "checkpoint", "*.ckpt", True),
        ("logs/x.txt", "log", "logs/", False),
        ("train.log", "log", "*.log", False),
        ("mlruns/0/abc/meta.yaml", "MLflow store", "mlruns/", False),
        ("mlflow.db", "MLflow store", "mlflow.db", True),
        (".ipynb_checkpoints/x.ipynb", "notebook checkpoint", ".ipynb_checkpoints/", False),
        ("src/__pycache__/m.cpython-311.pyc", "byte-code cache", "__pycache__/", False),
        ("runs/events.out.tfevents.1700.host", "training log", "*.tfevents.*", True),
    ],
)
def test_blocked_paths(rel: str, kind: str, rule: str, lfs_possible: bool) -> None:
    found = guardrails.check_path(rel, 10)
    assert found is not None
    assert (found.path, found.kind, found.rule, found.lfs_possible) == (
        rel,
        kind,
        rule,
        lfs_possible,
    )


@pytest.mark.parametrize("rel", ["train.py", "data/readme.md", "notes.ipynb", "logsheet.csv"])
def test_allowed_paths(rel: str) -> None:
    assert guardrails.check_path(rel, 1000) is None


def test_size_rule() -> None:
    assert guardrails.check_path("data.csv", 10 * MB) is None  # the limit itself is fine
    big = guardrails.check_path("data.csv", 11 * MB)
    assert big is not None and (big.kind, big.rule, big.lfs_possible) == (
        "too large",
        "/data.csv",  # this file only: one big CSV must not ignore every CSV
        True,
    )
    nb = guardrails.check_path("d/big.ipynb", 11 * MB)
    assert nb is not None and (nb.rule, nb.lfs_possible) == ("/d/big.ipynb", False)
    assert guardrails.check_path("data.csv", 2 * MB, max_file_mb=1) is not None
    assert guardrails.check_path("data.csv", 200 * MB, max_file_mb=0) is None  # 0: no limit


def test_lfs_exempts_names_and_size_not_folders() -> None:
    assert guardrails.check_path("model.pt", 50 * MB, lfs=True) is None
    assert guardrails.check_path("mlruns/0/model.pt", 5, lfs=True) is not None


# --------------------------------------------------------------------------
# snapshot refuses, and changes nothing


@pytest.mark.parametrize(
    ("rel", "size"),
    [
        ("model.pt", None),
        ("ckpt/last.ckpt", None),
        ("logs/x.txt", None),
        ("mlruns/0/meta.yaml", None),
        ("mlflow.db", None),
        (".ipynb_checkpoints/x.ipynb", None),
        ("data/big.parquet", 11 * MB),
    ],
)
def test_snapshot_refuses(
    make_repo: Callable[..., Path], rel: str, size: int | None, run_git_cmd: Git
) -> None:
    repo = make_repo()
    write(repo, "a.ipynb", notebook())
    path = write(repo, rel, size=size)
    before = repo_state(repo)
    with pytest.raises(GuardrailViolation, match="Refusing to commit") as info:
        snapshot([repo / "a.ipynb"], "x", files=[path])
    assert [v["path"] for v in info.value.violations] == [rel]
    assert "gitignore" in str(info.value) and "LFS" in str(info.value)
    assert repo_state(repo) == before
    assert run_git_cmd(repo, "rev-list", "--count", "HEAD") == "1"


def test_snapshot_refuses_a_checkpoint_notebook(make_repo: Callable[..., Path]) -> None:
    repo = make_repo()
    nb = write(repo, ".ipynb_checkpoints/a-checkpoint.ipynb", notebook())
    before = repo_state(repo)
    with pytest.raises(GuardrailViolation) as info:
        snapshot([nb], "x")
    assert info.value.violations[0]["kind"] == "notebook checkpoint"
    assert repo_state(repo) == before


def test_every_violation_is_reported(make_repo: Callable[..., Path]) -> None:
    repo = make_repo()
    write(repo, "a.ipynb", notebook())
    files = [write(repo, "m.onnx"), write(repo, "ok.py"), write(repo, "run.log")]
    with pytest.raises(GuardrailViolation) as info:
        snapshot([repo / "a.ipynb"], "x", files=files)
    assert [v["path"] for v in info.value.violations] == ["m.onnx", "run.log"]
    assert set(info.value.violations[0]) == {"path", "kind", "size", "rule", "lfs_possible"}


def test_deleting_a_blocked_file_is_allowed(
    make_repo: Callable[..., Path], run_git_cmd: Git
) -> None:
    """Removing a weight file someone committed earlier is always fine."""
    repo = make_repo(files={"README.md": "x\n", "old.pt": "weights"})
    (repo / "old.pt").unlink()
    write(repo, "a.ipynb", notebook())
    result = snapshot([repo / "a.ipynb"], "x", files=[repo / "old.pt"])
    assert result.committed
    assert "old.pt" not in run_git_cmd(repo, "ls-tree", "--name-only", "HEAD")


def test_repository_size_limit_from_pyproject(make_repo: Callable[..., Path]) -> None:
    repo = make_repo(
        files={"pyproject.toml": "[tool.jupyterlab-repro]\nmax-file-mb = 1\n", "README.md": "x"}
    )
    write(repo, "a.ipynb", notebook())
    data = write(repo, "data.csv", size=2 * MB)
    before = repo_state(repo)
    with pytest.raises(GuardrailViolation) as info:
        snapshot([repo / "a.ipynb"], "x", files=[data])
    assert info.value.violations[0]["kind"] == "too large"
    assert repo_state(repo) == before
    # A notebook that is still over the limit once cleaned is refused too.
    big = write(repo, "big.ipynb", notebook("#" * (MB + 1000)))
    before = repo_state(repo)
    with pytest.raises(GuardrailViolation, match="even without outputs") as info:
        snapshot([big], "x")
    assert info.value.violations[0]["path"] == "big.ipynb"
    assert repo_state(repo) == before


def test_outputs_do_not_count_towards_the_limit(
    make_repo: Callable[..., Path], run_git_cmd: Git
) -> None:
    """A 2 MB notebook that is small once cleaned is fine under a 1 MB limit."""
    repo = make_repo(files={"pyproject.toml": "[tool.jupyterlab-repro]\nmax-file-mb = 1\n"})
    nb = json.loads(notebook())
    nb["cells"][0]["outputs"][0]["text"] = ["y" * 2 * MB]
    write(repo, "a.ipynb", json.dumps(nb).encode())
    assert snapshot([repo / "a.ipynb"], "x").committed


# --------------------------------------------------------------------------
# fixes


def test_gitignore_fix(make_repo: Callable[..., Path]) -> None:
    repo = make_repo(files={".gitignore": "*.tmp", "README.md": "x"})  # no final newline
    write(repo, "model.pt")
    write(repo, "a.ipynb", notebook())
    changes = {f.path: f for f in list_changes(repo).files}
    assert changes["model.pt"].violation["rule"] == "*.pt"

    added = add_gitignore_rules(repo, ["*.pt", "data/raw/"])
    rules = [r for r in ML_GITIGNORE_RULES if not r.startswith("#")]
    assert added == [*rules, "data/raw/"]
    text = (repo / ".gitignore").read_text(encoding="utf-8")
    assert text.startswith("*.tmp\n\n# Added by jupyterlab-repro\n")
    assert text.endswith("data/raw/\n")
    assert text.splitlines().count("*.pt") == 1
    assert add_gitignore_rules(repo, ["*.pt"]) == []  # idempotent
    assert (repo / ".gitignore").read_text(encoding="utf-8") == text

    paths = {f.path for f in list_changes(repo).files}
    assert "model.pt" not in paths and {"a.ipynb", ".gitignore"} <= paths
    assert snapshot([repo / "a.ipynb"], "x", files=[repo / ".gitignore"]).committed


def test_gitignore_fix_creates_the_file(make_repo: Callable[..., Path]) -> None:
    repo = make_repo()
    assert add_gitignore_rules(repo, ["mlruns/"])
    assert (repo / ".gitignore").read_text(encoding="utf-8").startswith("# Added by")


def test_lfs_fix_makes_weights_committable_as_pointers(
    lfs: None, make_repo: Callable[..., Path], run_git_cmd: Git
) -> None:
    repo = make_repo()
    weights = write(repo, "model.pt", b"\x00weights" * 1000)
    original = weights.read_bytes()
    write(repo, "a.ipynb", notebook())
    assert lfs_available(repo)
    lfs_track(GitDoor(repo), ["*.pt"])
    assert "*.pt filter=lfs" in (repo / ".gitattributes").read_text(encoding="utf-8")
    assert lfs_tracked(GitDoor(repo), ["model.pt", "a.ipynb"]) == {"model.pt"}

    changes = {f.path: f for f in list_changes(repo).files}
    assert changes["model.pt"].violation is None

    result = snapshot([repo / "a.ipynb"], "x", files=[weights])
    assert result.committed
    assert result.files == ["model.pt", ".gitattributes"]  # the rule travels with the file
    assert "*.pt filter=lfs" in run_git_cmd(repo, "cat-file", "blob", "HEAD:.gitattributes")
    pointer = run_git_cmd(repo, "cat-file", "blob", "HEAD:model.pt")
    assert pointer.startswith("version https://git-lfs.github.com/spec/v1")
    assert f"size {len(original)}" in pointer
    assert weights.read_bytes() == original
    assert run_git_cmd(repo, "diff", "--cached", "--name-only") == ""
    assert run_git_cmd(repo, "status", "--porcelain", "--", "model.pt") == ""


def test_lfs_tracked_file_is_exempt_from_the_size_limit(
    lfs: None, make_repo: Callable[..., Path], run_git_cmd: Git
) -> None:
    repo = make_repo(files={"pyproject.toml": "[tool.jupyterlab-repro]\nmax-file-mb = 1\n"})
    write(repo, "a.ipynb", notebook())
    data = write(repo, "data.bin", b"z" * (2 * MB))
    lfs_track(GitDoor(repo), ["*.bin"])
    snapshot([repo / "a.ipynb"], "x", files=[data, repo / ".gitattributes"])
    assert int(run_git_cmd(repo, "cat-file", "-s", "HEAD:data.bin")) < 200


def test_lfs_does_not_unblock_folders(lfs: None, make_repo: Callable[..., Path]) -> None:
    repo = make_repo()
    write(repo, "a.ipynb", notebook())
    lfs_track(GitDoor(repo), ["*.pt"])
    path = write(repo, "mlruns/0/model.pt")
    with pytest.raises(GuardrailViolation):
        snapshot([repo / "a.ipynb"], "x", files=[path])


def test_lfs_tracked_without_paths() -> None:
    assert lfs_tracked(GitDoor(Path(".")), []) == set()


def test_lfs_setup_refused_by_an_existing_hook(lfs: None, make_repo: Callable[..., Path]) -> None:
    """LFS will not overwrite the user's own hook; the error says what to do."""
    repo = make_repo()
    hook = repo / ".git" / "hooks" / "pre-push"
    hook.write_text("#!/bin/sh\necho mine\n", encoding="utf-8")
    hook.chmod(0o755)
    with pytest.raises(GitError, match=r"Hook already exists: pre-push.*git lfs update --manual"):
        lfs_track(GitDoor(repo), ["*.pt"])
    assert hook.read_text(encoding="utf-8") == "#!/bin/sh\necho mine\n"
    assert not (repo / ".gitattributes").exists()
