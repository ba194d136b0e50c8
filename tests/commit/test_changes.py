"""Changed files with an output-blind class per notebook, and notebook diffs by revision."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from jupyterlab_repro.commit.changes import ClassificationCache, list_changes
from jupyterlab_repro.commit.notebook_diff import diff_notebook
from jupyterlab_repro.commit.snapshot import snapshot
from jupyterlab_repro.errors import InvalidRequest, NotARepository
from jupyterlab_repro.notebook.clean import clean_text

Git = Callable[..., str]


def notebook(*sources: str, output: str = "1\n") -> bytes:
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": i + 1,
                "id": f"c{i}",
                "metadata": {},
                "outputs": [{"name": "stdout", "output_type": "stream", "text": [output]}],
                "source": [src],
            }
            for i, src in enumerate(sources)
        ],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return (json.dumps(nb, indent=1) + "\n").encode()


def clean(data: bytes) -> str:
    return clean_text(data)[0]


@pytest.fixture
def repo(make_repo: Callable[..., Path]) -> Path:
    """Committed: a clean notebook per class to be, a text file and a file to delete."""
    return make_repo(
        files={
            "README.md": "x\n",
            "gone.txt": "bye\n",
            "src.ipynb": clean(notebook("a = 1")),
            "outputs.ipynb": clean(notebook("b = 1")),
            "same.ipynb": clean(notebook("c = 1")),
            "moved.ipynb": clean(notebook("d = 1")),
        }
    )


def by_path(root: Path, cache: ClassificationCache | None = None) -> dict[str, dict]:
    return {f["path"]: f for f in list_changes(root, cache=cache).as_dict()["files"]}


def test_classes_states_and_cache(repo: Path, run_git_cmd: Git) -> None:
    (repo / "src.ipynb").write_bytes(notebook("a = 2"))
    (repo / "outputs.ipynb").write_bytes(notebook("b = 1", output="other"))
    (repo / "same.ipynb").touch()  # new mtime, same bytes
    (repo / "gone.txt").unlink()
    run_git_cmd(repo, "mv", "moved.ipynb", "renamed.ipynb")
    (repo / "new dir" / "deep").mkdir(parents=True)
    (repo / "new dir" / "deep" / "n.ipynb").write_bytes(notebook("e = 1"))
    (repo / "new dir" / "model.pt").write_bytes(b"w")
    (repo / "broken.ipynb").write_text("{not json", encoding="utf-8")
    (repo / "README.md").write_text("staged\n", encoding="utf-8")
    run_git_cmd(repo, "add", "README.md")

    cache = ClassificationCache()
    files = by_path(repo, cache)
    assert set(files) == {
        "src.ipynb",
        "outputs.ipynb",
        "gone.txt",
        "renamed.ipynb",
        "new dir/deep/n.ipynb",
        "new dir/model.pt",
        "broken.ipynb",
        "README.md",
    }
    assert files["src.ipynb"]["classification"] == "source"
    assert files["outputs.ipynb"]["classification"] == "outputs-only"
    assert files["renamed.ipynb"]["state"] == "renamed"
    assert files["renamed.ipynb"]["orig_path"] == "moved.ipynb"
    assert files["renamed.ipynb"]["staged"] is True
    assert files["renamed.ipynb"]["classification"] == "clean"  # same content as before the move
    assert files["new dir/deep/n.ipynb"]["state"] == "untracked"
    assert files["new dir/deep/n.ipynb"]["classification"] == "source"
    assert files["gone.txt"] == {
        "path": "gone.txt",
        "state": "deleted",
        "staged": False,
        "notebook": False,
        "classification": None,
        "size": None,
        "violation": None,
        "error": None,
        "orig_path": None,
    }
    assert files["new dir/model.pt"]["violation"]["kind"] == "model weights"
    assert files["broken.ipynb"]["classification"] == "invalid"
    assert "invalid JSON" in files["broken.ipynb"]["error"]
    assert files["README.md"]["staged"] is True
    assert files["README.md"]["notebook"] is False
    assert files["README.md"]["classification"] is None

    classified = 5  # src, outputs, renamed, n, broken (not cached: it failed)
    assert (cache.hits, cache.misses) == (0, classified)
    assert by_path(repo, cache) == files
    assert (cache.hits, cache.misses) == (4, classified + 1)

    # A change to one notebook re-reads only that one.
    (repo / "src.ipynb").write_bytes(notebook("a = 3", output="longer output"))
    assert by_path(repo, cache)["src.ipynb"]["classification"] == "source"
    assert (cache.hits, cache.misses) == (7, classified + 3)


def test_clean_and_after_snapshot(repo: Path) -> None:
    (repo / "src.ipynb").write_bytes(notebook("a = 2"))
    assert by_path(repo)["src.ipynb"]["classification"] == "source"
    snapshot([repo / "src.ipynb"], "x")
    assert by_path(repo)["src.ipynb"]["classification"] == "outputs-only"
    snapshot([repo / "src.ipynb"], "x", clear_outputs=True)
    assert "src.ipynb" not in by_path(repo)


def test_report_shape_and_config(make_repo: Callable[..., Path]) -> None:
    repo = make_repo(files={"pyproject.toml": "[tool.jupyterlab-repro]\nmax-file-mb = 2\n"})
    report = list_changes(repo / "pyproject.toml").as_dict()
    assert report == {"root": str(repo), "files": [], "max_file_mb": 2.0, "above_root": False}


def test_no_commits_yet(make_repo: Callable[..., Path]) -> None:
    repo = make_repo(commit=False, files={"a.ipynb": clean(notebook("x"))})
    files = by_path(repo)
    assert files["a.ipynb"]["classification"] == "source"


def test_not_a_repository(tmp_path: Path) -> None:
    with pytest.raises(NotARepository):
        list_changes(tmp_path)


# --------------------------------------------------------------------------
# diff_notebook


def test_diff_head_against_working_copy(repo: Path) -> None:
    (repo / "src.ipynb").write_bytes(notebook("a = 2", "new = True"))
    data = diff_notebook(repo / "src.ipynb")
    assert (data["path"], data["from"], data["to"]) == ("src.ipynb", "HEAD", None)
    assert data["summary"]["modified"] == 1 and data["summary"]["added"] == 1
    assert "-a = 1" in data["text"] and "+a = 2" in data["text"]
    assert "+new = True" in data["text"]
    assert data["has_changes"] is True


def test_outputs_are_invisible(repo: Path) -> None:
    (repo / "outputs.ipynb").write_bytes(notebook("b = 1", output="changed"))
    data = diff_notebook(repo / "outputs.ipynb")
    assert data["has_changes"] is False
    assert data["text"] == "no changes (outputs ignored)\n"


def test_diff_between_revisions(repo: Path, run_git_cmd: Git) -> None:
    first = run_git_cmd(repo, "rev-parse", "HEAD")
    (repo / "src.ipynb").write_bytes(notebook("a = 2"))
    second = snapshot([repo / "src.ipynb"], "x").commit
    (repo / "src.ipynb").write_bytes(notebook("a = 3"))  # the working copy is not used
    data = diff_notebook(repo / "src.ipynb", from_rev=first, to_rev=second)
    assert "-a = 1" in data["text"] and "+a = 2" in data["text"]
    assert "a = 3" not in data["text"]
    assert (
        diff_notebook(repo / "src.ipynb", from_rev="HEAD~1", to_rev="HEAD")["text"]
        == (data["text"])
    )
    # A side where the notebook does not exist is empty: all cells added.
    (repo / "new.ipynb").write_bytes(notebook("n = 1"))
    added = diff_notebook(repo / "new.ipynb")
    assert added["summary"]["added"] == 1 and "+n = 1" in added["text"]


@pytest.mark.parametrize("rev", ["nope", "-p", "", "HEAD~5", "a..b"])
def test_bad_revisions(repo: Path, rev: str) -> None:
    with pytest.raises(InvalidRequest):
        diff_notebook(repo / "src.ipynb", from_rev=rev)
    with pytest.raises(InvalidRequest):
        diff_notebook(repo / "src.ipynb", from_rev="HEAD", to_rev=rev)


def test_diff_of_a_notebook_in_neither_revision(repo: Path) -> None:
    with pytest.raises(InvalidRequest, match="neither"):
        diff_notebook(repo / "ghost.ipynb")


def test_diff_outside_a_repository(tmp_path: Path) -> None:
    (tmp_path / "a.ipynb").write_bytes(notebook("x"))
    with pytest.raises(NotARepository):
        diff_notebook(tmp_path / "a.ipynb")
