"""Hidden snapshot commits (``snapshots.snapshot_worktree``) in real repositories."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from jupyterlab_repro.errors import SnapshotError
from jupyterlab_repro.git.refs import SNAPSHOTS as SNAPSHOT_REF_PREFIX
from jupyterlab_repro.kernel.executed_cells import Execution
from jupyterlab_repro.kernel.hidden_snapshots import snapshot_worktree
from jupyterlab_repro.notebook.clean import clean_text


def git(cwd: Path, *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return proc.stdout.strip()


def notebook_text(sources: list[str], *, outputs: bool = False) -> str:
    """A small nbformat 4.5 notebook; with ``outputs`` every code cell has run."""
    cells = []
    for i, src in enumerate(sources):
        cells.append(
            {
                "cell_type": "code",
                "execution_count": i + 1 if outputs else None,
                "id": f"cell-{i}",
                "metadata": {},
                "outputs": (
                    [{"name": "stdout", "output_type": "stream", "text": [f"out {i}\n"]}]
                    if outputs
                    else []
                ),
                "source": src,
            }
        )
    nb = {
        "cells": cells,
        "metadata": {"kernelspec": {"display_name": "Python 3", "name": "python3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(nb, indent=1) + "\n"


def cleaned(text: str) -> str:
    return clean_text(text)[0]


def state(repo: Path) -> dict[str, object]:
    """Everything a snapshot must leave alone: HEAD, refs, index bytes, working copy."""
    files = {}
    for path in sorted(repo.rglob("*")):
        if ".git" in path.relative_to(repo).parts or not path.is_file():
            continue
        files[path.relative_to(repo).as_posix()] = path.read_bytes()
    refs = [
        line
        for line in git(repo, "for-each-ref", "--format=%(refname) %(objectname)").splitlines()
        if not line.startswith(SNAPSHOT_REF_PREFIX)
    ]
    index = repo / ".git" / "index"
    return {
        "HEAD": (repo / ".git" / "HEAD").read_bytes(),
        "refs": refs,
        "index": index.read_bytes() if index.exists() else None,
        "files": files,
        "status": subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=all"],
            cwd=repo,
            capture_output=True,
        ).stdout,
        "git_dir": sorted(
            p.relative_to(repo / ".git").as_posix()
            for p in (repo / ".git").iterdir()
            if p.name != "objects"
        ),
    }


def snapshot_refs(repo: Path) -> list[str]:
    out = git(repo, "for-each-ref", "--format=%(refname)", SNAPSHOT_REF_PREFIX)
    return out.splitlines()


def show(repo: Path, rev: str, path: str) -> str:
    return git(repo, "show", f"{rev}:{path}") + "\n"


@pytest.fixture
def nb_repo(make_repo: Callable[..., Path]) -> Path:
    """A repository whose first commit holds a cleaned notebook and a module."""
    return make_repo(
        files={
            "train.ipynb": cleaned(notebook_text(["x = 1", "print(x)"])),
            "lib/model.py": "LAYERS = 2\n",
        }
    )


def test_clean_state_makes_no_snapshot(nb_repo: Path) -> None:
    before = state(nb_repo)
    result = snapshot_worktree(nb_repo, "train.ipynb")
    head = git(nb_repo, "rev-parse", "HEAD")
    assert (result.dirty, result.commit, result.ref, result.head) == (False, head, None, head)
    assert result.branch == "main"
    assert result.tree == git(nb_repo, "rev-parse", "HEAD^{tree}")
    assert snapshot_refs(nb_repo) == []
    assert state(nb_repo) == before


def test_dirty_notebook_is_snapshotted_cleaned_without_touching_the_repository(
    nb_repo: Path,
) -> None:
    edited = notebook_text(["x = 2", "print(x * 10)"], outputs=True)
    (nb_repo / "train.ipynb").write_text(edited, encoding="utf-8")
    before = state(nb_repo)
    head = git(nb_repo, "rev-parse", "HEAD")

    result = snapshot_worktree(nb_repo, "train.ipynb")

    assert result.dirty and not result.reused
    assert result.head == head
    assert result.ref == f"{SNAPSHOT_REF_PREFIX}{head}/{result.tree}"
    assert git(nb_repo, "rev-parse", result.ref) == result.commit
    assert git(nb_repo, "rev-parse", f"{result.commit}^") == head
    assert git(nb_repo, "rev-parse", f"{result.commit}^{{tree}}") == result.tree
    blob = show(nb_repo, result.commit, "train.ipynb")
    assert blob == cleaned(edited)
    assert "x = 2" in blob and "out 0" not in blob
    assert show(nb_repo, result.commit, "lib/model.py") == "LAYERS = 2\n"
    assert "train.ipynb" in git(nb_repo, "log", "-1", "--format=%s", result.commit)
    # HEAD, branch, index (byte for byte), working copy, git dir: as they were
    assert state(nb_repo) == before


def test_identical_dirty_state_reuses_the_snapshot(nb_repo: Path) -> None:
    (nb_repo / "train.ipynb").write_text(notebook_text(["x = 3"]), encoding="utf-8")
    first = snapshot_worktree(nb_repo, "train.ipynb")
    # Only outputs differ now: the cleaned state is the same.
    (nb_repo / "train.ipynb").write_text(notebook_text(["x = 3"], outputs=True), encoding="utf-8")
    second = snapshot_worktree(nb_repo, "train.ipynb")
    assert second.commit == first.commit and second.ref == first.ref
    assert (first.reused, second.reused) == (False, True)
    assert snapshot_refs(nb_repo) == [first.ref]

    (nb_repo / "train.ipynb").write_text(notebook_text(["x = 4"]), encoding="utf-8")
    third = snapshot_worktree(nb_repo, "train.ipynb")
    assert third.commit != first.commit and not third.reused
    assert sorted(snapshot_refs(nb_repo)) == sorted([first.ref, third.ref])


def test_output_only_change_is_not_dirty(nb_repo: Path) -> None:
    (nb_repo / "train.ipynb").write_text(
        notebook_text(["x = 1", "print(x)"], outputs=True), encoding="utf-8"
    )
    assert git(nb_repo, "status", "--porcelain") == "M train.ipynb"
    result = snapshot_worktree(nb_repo, "train.ipynb")
    assert not result.dirty and result.ref is None
    assert snapshot_refs(nb_repo) == []


def test_output_only_change_against_a_head_with_outputs_is_not_dirty(
    make_repo: Callable[..., Path],
) -> None:
    """HEAD's notebook was committed with outputs by plain git: compare both cleaned."""
    repo = make_repo(files={"nb.ipynb": notebook_text(["a = 1"], outputs=True)})
    raw = json.loads(notebook_text(["a = 1"], outputs=True))
    raw["cells"][0]["outputs"][0]["text"] = ["another output\n"]
    raw["cells"][0]["execution_count"] = 7
    (repo / "nb.ipynb").write_text(json.dumps(raw, indent=2), encoding="utf-8")
    assert not snapshot_worktree(repo, "nb.ipynb").dirty

    (repo / "nb.ipynb").write_text(notebook_text(["a = 2"], outputs=True), encoding="utf-8")
    result = snapshot_worktree(repo, "nb.ipynb")
    assert result.dirty
    assert show(repo, result.commit, "nb.ipynb") == cleaned(notebook_text(["a = 2"]))


def test_dirty_tracked_files_are_included_untracked_ones_are_not(nb_repo: Path) -> None:
    (nb_repo / "lib" / "model.py").write_text("LAYERS = 8\n", encoding="utf-8")
    (nb_repo / "scratch.py").write_text("untracked\n", encoding="utf-8")
    (nb_repo / "staged.py").write_text("staged = True\n", encoding="utf-8")
    git(nb_repo, "add", "staged.py")
    before = state(nb_repo)

    result = snapshot_worktree(nb_repo, "train.ipynb")

    assert result.dirty
    names = git(nb_repo, "ls-tree", "-r", "--name-only", result.commit).splitlines()
    assert sorted(names) == ["lib/model.py", "staged.py", "train.ipynb"]
    assert show(nb_repo, result.commit, "lib/model.py") == "LAYERS = 8\n"
    assert show(nb_repo, result.commit, "train.ipynb") == show(nb_repo, "HEAD", "train.ipynb")
    assert state(nb_repo) == before


def test_deleted_tracked_file_is_absent_from_the_snapshot(nb_repo: Path) -> None:
    (nb_repo / "lib" / "model.py").unlink()
    result = snapshot_worktree(nb_repo, "train.ipynb")
    assert result.dirty
    names = git(nb_repo, "ls-tree", "-r", "--name-only", result.commit).splitlines()
    assert "lib/model.py" not in names and "train.ipynb" in names


def test_untracked_notebook_in_a_subdirectory_with_unicode_name(nb_repo: Path) -> None:
    rel = "experiments/实验 1.ipynb"
    (nb_repo / "experiments").mkdir()
    text = notebook_text(["import numpy"], outputs=True)
    (nb_repo / rel).write_text(text, encoding="utf-8")
    before = state(nb_repo)
    result = snapshot_worktree(nb_repo, rel)
    assert result.dirty
    assert show(nb_repo, result.commit, rel) == cleaned(text)
    assert state(nb_repo) == before


def test_non_ipynb_notebook_is_recorded_as_is(nb_repo: Path) -> None:
    """Jupytext notebooks (``.py``) have no outputs: the file goes in unchanged."""
    (nb_repo / "pair.py").write_text("# %%\nx = 1\n", encoding="utf-8")
    result = snapshot_worktree(nb_repo, "pair.py")
    assert result.dirty
    assert show(nb_repo, result.commit, "pair.py") == "# %%\nx = 1\n"


def test_repository_without_commits_gets_a_parentless_snapshot(
    make_repo: Callable[..., Path],
) -> None:
    repo = make_repo(commit=False, files={"nb.ipynb": notebook_text(["y = 1"], outputs=True)})
    before = state(repo)
    result = snapshot_worktree(repo, "nb.ipynb")
    assert result.dirty and result.head is None and result.branch == "main"
    assert result.ref == f"{SNAPSHOT_REF_PREFIX}unborn/{result.tree}"
    assert git(repo, "rev-list", "--parents", "-n", "1", result.commit) == result.commit
    assert show(repo, result.commit, "nb.ipynb") == cleaned(notebook_text(["y = 1"]))
    assert state(repo) == before
    with pytest.raises(subprocess.CalledProcessError):
        git(repo, "rev-parse", "--verify", "HEAD")
    assert snapshot_worktree(repo, "nb.ipynb").reused


def test_missing_identity_falls_back_to_a_tool_identity(nb_repo: Path, no_identity: None) -> None:
    (nb_repo / "train.ipynb").write_text(notebook_text(["z = 0"]), encoding="utf-8")
    result = snapshot_worktree(nb_repo, "train.ipynb")
    assert result.dirty
    author = git(nb_repo, "log", "-1", "--format=%an <%ae>", result.commit)
    assert author == "jupyterlab-repro <jupyterlab-repro@localhost>"


def test_author_is_the_users_identity_when_configured(nb_repo: Path) -> None:
    (nb_repo / "train.ipynb").write_text(notebook_text(["z = 0"]), encoding="utf-8")
    result = snapshot_worktree(nb_repo, "train.ipynb")
    assert git(nb_repo, "log", "-1", "--format=%an", result.commit) == "Repro Tester"


@pytest.mark.parametrize(
    "corrupt",
    [
        pytest.param(
            lambda repo: (repo / ".git/refs/heads/main").write_text("garbage\n"), id="ref"
        ),
        pytest.param(
            lambda repo: (repo / ".git/refs/heads/main").write_text("1" * 40 + "\n"),
            id="missing-object",
        ),
        pytest.param(
            lambda repo: (repo / ".git/HEAD").write_text("2" * 40 + "\n"), id="detached-missing"
        ),
    ],
)
def test_corrupt_head_is_a_clear_error_and_changes_nothing(
    nb_repo: Path, corrupt: Callable[[Path], object]
) -> None:
    (nb_repo / "train.ipynb").write_text(notebook_text(["x = 9"]), encoding="utf-8")
    corrupt(nb_repo)
    before = state(nb_repo)
    with pytest.raises(SnapshotError, match="HEAD is broken"):
        snapshot_worktree(nb_repo, "train.ipynb")
    assert state(nb_repo) == before
    assert snapshot_refs(nb_repo) == []


def test_invalid_notebook_is_a_clear_error_and_changes_nothing(nb_repo: Path) -> None:
    (nb_repo / "train.ipynb").write_text('{"cells": [', encoding="utf-8")
    before = state(nb_repo)
    with pytest.raises(SnapshotError, match=r"train\.ipynb.*invalid JSON"):
        snapshot_worktree(nb_repo, "train.ipynb")
    assert state(nb_repo) == before
    assert snapshot_refs(nb_repo) == []


def test_missing_notebook_is_a_clear_error(nb_repo: Path) -> None:
    with pytest.raises(SnapshotError, match=r"Cannot read the notebook nope\.ipynb"):
        snapshot_worktree(nb_repo, "nope.ipynb")


@pytest.mark.parametrize("bad", ["../outside.ipynb", "/etc/passwd", "", ".git/config", "a/../b"])
def test_paths_outside_the_repository_are_refused(nb_repo: Path, bad: str) -> None:
    before = state(nb_repo)
    with pytest.raises(SnapshotError, match="Not a path inside the repository"):
        snapshot_worktree(nb_repo, bad)
    assert state(nb_repo) == before


def test_temporary_index_never_remains(nb_repo: Path) -> None:
    (nb_repo / "train.ipynb").write_text(notebook_text(["x = 5"]), encoding="utf-8")
    snapshot_worktree(nb_repo, "train.ipynb")
    leftovers = [p.name for p in (nb_repo / ".git").iterdir() if "repro-snapshot" in p.name]
    assert leftovers == []


def test_snapshot_in_a_linked_worktree_leaves_both_indexes_alone(nb_repo: Path) -> None:
    linked = nb_repo.parent / "linked"
    git(nb_repo, "worktree", "add", "--quiet", "-b", "exp", os.fspath(linked))
    (linked / "train.ipynb").write_text(notebook_text(["w = 1"]), encoding="utf-8")
    main_index = (nb_repo / ".git" / "index").read_bytes()
    linked_index_path = Path(git(linked, "rev-parse", "--absolute-git-dir")) / "index"
    linked_index = linked_index_path.read_bytes()

    result = snapshot_worktree(linked, "train.ipynb")

    assert result.dirty and result.head == git(linked, "rev-parse", "HEAD")
    assert show(linked, result.commit, "train.ipynb") == cleaned(notebook_text(["w = 1"]))
    assert (nb_repo / ".git" / "index").read_bytes() == main_index
    assert linked_index_path.read_bytes() == linked_index
    assert git(linked, "status", "--porcelain") == "M train.ipynb"


def test_detached_head_has_no_branch(nb_repo: Path) -> None:
    head = git(nb_repo, "rev-parse", "HEAD")
    git(nb_repo, "checkout", "--quiet", "--detach")
    (nb_repo / "train.ipynb").write_text(notebook_text(["d = 1"]), encoding="utf-8")
    result = snapshot_worktree(nb_repo, "train.ipynb")
    assert (result.dirty, result.head, result.branch) == (True, head, None)


def test_executable_bit_on_disk_does_not_make_the_notebook_dirty(nb_repo: Path) -> None:
    """Mounted volumes often show every file as executable; HEAD's mode is kept."""
    nb = nb_repo / "train.ipynb"
    nb.chmod(0o755)
    assert not snapshot_worktree(nb_repo, "train.ipynb").dirty
    nb.write_text(notebook_text(["e = 1"]), encoding="utf-8")
    result = snapshot_worktree(nb_repo, "train.ipynb")
    assert git(nb_repo, "ls-tree", result.commit, "--", "train.ipynb").startswith("100644 ")


def _executions(*sources: str) -> list[Execution]:
    return [Execution(i + 1, f"cell-{i}", src) for i, src in enumerate(sources)]


def test_a_save_that_lands_while_the_run_starts_is_not_unsaved_code(nb_repo: Path) -> None:
    """The lab saves when cells are scheduled; the kernel may reach start_run first."""
    notebook = nb_repo / "train.ipynb"
    saved = notebook_text(["x = 2", "print(x)"])

    def save_a_moment_later() -> None:
        time.sleep(0.1)
        tmp = nb_repo / ".~train.ipynb"
        tmp.write_text(saved, encoding="utf-8")
        os.replace(tmp, notebook)  # as jupyter_server's atomic save does

    saver = threading.Thread(target=save_a_moment_later)
    saver.start()
    try:
        snap = snapshot_worktree(
            nb_repo, "train.ipynb", executions=_executions("x = 2", "print(x)")
        )
    finally:
        saver.join()
    assert snap.dirty and not snap.unsaved
    assert json.loads(show(nb_repo, snap.commit, "train.ipynb"))["cells"][0]["source"] == ["x = 2"]


def test_unsaved_code_is_recorded_when_no_save_comes(nb_repo: Path) -> None:
    before = state(nb_repo)
    snap = snapshot_worktree(nb_repo, "train.ipynb", executions=_executions("x = 3", "print(x)"))
    assert snap.dirty and snap.unsaved
    assert json.loads(show(nb_repo, snap.commit, "train.ipynb"))["cells"][0]["source"] == ["x = 3"]
    assert state(nb_repo) == before


def test_language_info_the_lab_adds_once_a_kernel_starts_is_not_a_change(nb_repo: Path) -> None:
    """A notebook committed before it ever ran gets ``language_info`` from the lab."""
    notebook = nb_repo / "train.ipynb"
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    assert "language_info" not in nb["metadata"]
    nb["metadata"]["language_info"] = {"name": "python", "version": "3.11.7"}
    notebook.write_text(json.dumps(nb, indent=1), encoding="utf-8")
    snap = snapshot_worktree(nb_repo, "train.ipynb")
    assert not snap.dirty and snap.ref is None
    # With a change to the code as well, it is a snapshot (language_info and all).
    nb["cells"][0]["source"] = "x = 2"
    notebook.write_text(json.dumps(nb, indent=1), encoding="utf-8")
    snap = snapshot_worktree(nb_repo, "train.ipynb")
    assert snap.dirty
    recorded = json.loads(show(nb_repo, snap.commit, "train.ipynb"))
    assert recorded["metadata"]["language_info"] == {"name": "python"}


def test_a_run_during_a_jupyter_save_waits_for_the_whole_notebook(nb_repo: Path) -> None:
    """jupyter_server saves in place: a run started mid-save reads the saved notebook, not half.

    The save is jupyter_server's own ``atomic_writing`` (the old bytes kept in
    ``.~train.ipynb`` while it writes), held open half-written for a moment.
    """
    from jupyter_server.services.contents.fileio import atomic_writing

    edited = notebook_text(["x = 5", "print(x * 10)"], outputs=True)
    half = len(edited) // 2
    written = threading.Event()
    done = threading.Event()

    def save() -> None:
        with atomic_writing(str(nb_repo / "train.ipynb")) as f:
            f.write(edited[:half])
            f.flush()
            written.set()
            time.sleep(0.3)
            f.write(edited[half:])
        done.set()

    saver = threading.Thread(target=save)
    saver.start()
    try:
        assert written.wait(10)
        assert (nb_repo / ".~train.ipynb").exists()
        result = snapshot_worktree(nb_repo, "train.ipynb")
    finally:
        saver.join(10)
    assert done.is_set()
    assert result.dirty
    assert show(nb_repo, result.commit, "train.ipynb") == cleaned(edited)
