"""Snapshot & commit (core): clean blob in the commit, working copy untouched, nothing lost."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import stat
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jupyterlab_repro.commit.message import format_message
from jupyterlab_repro.commit.snapshot import snapshot
from jupyterlab_repro.errors import (
    GitBusy,
    GitError,
    HookRejected,
    IdentityMissing,
    InvalidRequest,
    NotARepository,
    NotebookInvalid,
)
from jupyterlab_repro.git.tags import list_tags
from jupyterlab_repro.notebook.clean import clean_text

Git = Callable[..., str]


# --------------------------------------------------------------------------
# helpers


def notebook(source: str = "print(1)", output: str = "1\n", cells: int = 1) -> bytes:
    """A small nbformat 4.5 notebook with outputs, as JupyterLab would save it."""
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": i + 1,
                "id": f"cell-{i}",
                "metadata": {"ExecuteTime": {"end_time": "2026-01-01T00:00:00"}},
                "outputs": [{"name": "stdout", "output_type": "stream", "text": [output]}],
                "source": [f"{source}  # {i}"],
            }
            for i in range(cells)
        ],
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python", "version": "3.11.4"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return (json.dumps(nb, indent=1) + "\n").encode()


def sh(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """git without check (for refs that may not exist)."""
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)


def repo_state(root: Path) -> dict[str, Any]:
    """HEAD, every ref, the real index's bytes and every working-copy file's bytes."""
    index = root / ".git" / "index"
    return {
        "head": sh(root, "rev-parse", "--verify", "-q", "HEAD").stdout,
        "symref": sh(root, "symbolic-ref", "-q", "HEAD").stdout,
        "refs": sh(root, "for-each-ref", "--format=%(refname) %(objectname)").stdout,
        "index": index.read_bytes() if index.exists() else None,
        "files": {
            p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*"))
            if p.is_file() and ".git" not in p.relative_to(root).parts[:1]
        },
    }


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def blob(git: Git, root: Path, rev_path: str) -> bytes:
    return subprocess.run(
        ["git", "cat-file", "blob", rev_path], cwd=root, capture_output=True, check=True
    ).stdout


def hook(root: Path, name: str, script: str) -> None:
    path = root / ".git" / "hooks" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text("#!/bin/sh\n" + script, encoding="utf-8")
    path.chmod(0o755)


def valid_corpus(corpus: Path) -> list[Path]:
    with (corpus / "MANIFEST.tsv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    return [
        corpus / row["file"]
        for row in rows
        if "/" not in row["file"] and row["valid"].startswith("yes")
    ]


def no_staged_leftovers(git: Git, root: Path) -> None:
    assert git(root, "diff", "--cached", "--name-only") == ""
    assert git(root, "fsck", "--strict", "--no-progress") == ""


# --------------------------------------------------------------------------
# the corpus


def test_every_valid_corpus_notebook(
    corpus_dir: Path, make_repo: Callable[..., Path], run_git_cmd: Git
) -> None:
    """Clean blob committed, working copy byte-identical, second snapshot commits nothing."""
    repo = make_repo()
    notebooks = valid_corpus(corpus_dir)
    assert len(notebooks) >= 15
    for source in notebooks:
        target = repo / source.name
        shutil.copyfile(source, target)
        original = target.read_bytes()
        before = sha256(target)

        result = snapshot([target], f"add {source.name}", commit_type="exp")

        assert result.committed, source.name
        assert sha256(target) == before
        committed = blob(run_git_cmd, repo, f"HEAD:{source.name}")
        expected = clean_text(original)[0]
        assert committed == expected.encode("utf-8")
        assert clean_text(committed)[0] == expected  # idempotent: the blob is already clean
        # v3 stays v3, v4 stays v4: cleaning never upgrades.
        assert json.loads(committed)["nbformat"] == json.loads(original)["nbformat"]
        assert run_git_cmd(repo, "log", "-1", "--format=%s") == f"exp: add {source.name}"
        assert result.commit == run_git_cmd(repo, "rev-parse", "HEAD")
        assert [n.path for n in result.notebooks] == [source.name]
        assert result.notebooks[0].changed_in_commit

        head = result.commit
        again = snapshot([target], "again")
        assert not again.committed
        assert again.reason == "nothing-to-commit"
        assert again.commit is None
        assert run_git_cmd(repo, "rev-parse", "HEAD") == head
        assert sha256(target) == before
    no_staged_leftovers(run_git_cmd, repo)
    assert int(run_git_cmd(repo, "rev-list", "--count", "HEAD")) == len(notebooks) + 1


def test_every_malformed_corpus_file_changes_nothing(
    corpus_dir: Path, make_repo: Callable[..., Path]
) -> None:
    repo = make_repo()
    files = sorted((corpus_dir / "malformed").glob("*.ipynb"))
    assert len(files) >= 5
    for source in files:
        shutil.copyfile(source, repo / source.name)
    before = repo_state(repo)
    for source in files:
        with pytest.raises(NotebookInvalid) as info:
            snapshot([repo / source.name], "should fail")
        assert str(info.value).strip(), source.name
        assert info.value.problems
        assert repo_state(repo) == before, source.name


def test_a_malformed_notebook_next_to_a_good_one_commits_neither(
    corpus_dir: Path, make_repo: Callable[..., Path]
) -> None:
    repo = make_repo()
    (repo / "good.ipynb").write_bytes(notebook())
    shutil.copyfile(
        corpus_dir / "malformed" / "nbstripout__test_invalid_json.ipynb", repo / "bad.ipynb"
    )
    before = repo_state(repo)
    with pytest.raises(NotebookInvalid, match="invalid JSON"):
        snapshot([repo / "good.ipynb", repo / "bad.ipynb"], "both")
    assert repo_state(repo) == before


def test_unusual_names(corpus_dir: Path, make_repo: Callable[..., Path], run_git_cmd: Git) -> None:
    repo = make_repo()
    for source in sorted((corpus_dir / "names").glob("*.ipynb")):
        shutil.copyfile(source, repo / source.name)
        result = snapshot([repo / source.name], f"add {source.name}")
        assert result.committed
        assert blob(run_git_cmd, repo, f"HEAD:{source.name}") == clean_text(source.read_bytes())[
            0
        ].encode("utf-8")
        assert (repo / source.name).read_bytes() == source.read_bytes()
    no_staged_leftovers(run_git_cmd, repo)


# --------------------------------------------------------------------------
# basics


def test_working_copy_untouched_index_consistent(
    make_repo: Callable[..., Path], run_git_cmd: Git
) -> None:
    repo = make_repo()
    nb = repo / "sub dir" / "train.ipynb"
    nb.parent.mkdir()
    nb.write_bytes(notebook())
    (repo / "other.txt").write_text("untouched\n", encoding="utf-8")
    run_git_cmd(repo, "add", "other.txt")  # the user's own staged change stays staged
    before = nb.read_bytes()
    result = snapshot([nb], "train", commit_type="feat", body="  longer text  ")
    assert result.committed and result.branch == "main" and result.short_sha == result.commit[:7]
    assert result.parent == run_git_cmd(repo, "rev-parse", "HEAD~1")
    assert result.message == "feat: train\n\nlonger text"
    assert run_git_cmd(repo, "log", "-1", "--format=%B") == "feat: train\n\nlonger text"
    assert result.notebooks[0].outputs_removed == 1
    assert nb.read_bytes() == before
    assert run_git_cmd(repo, "ls-tree", "--name-only", "HEAD") == "README.md\nsub dir"
    # The committed notebook matches HEAD in the real index; the user's staging is kept.
    assert run_git_cmd(repo, "diff", "--cached", "--name-only") == "other.txt"
    assert sh(repo, "status", "--porcelain", "--", "sub dir").stdout == (
        ' M "sub dir/train.ipynb"\n'
    )
    assert (
        run_git_cmd(repo, "log", "-1", "--format=%an <%ae>") == "Repro Tester <tester@example.com>"
    )


def test_outputs_only_change_commits_nothing(
    make_repo: Callable[..., Path], run_git_cmd: Git
) -> None:
    repo = make_repo()
    nb = repo / "a.ipynb"
    nb.write_bytes(notebook(output="first"))
    first = snapshot([nb], "a")
    nb.write_bytes(notebook(output="a different output"))
    result = snapshot([nb], "b")
    assert (result.committed, result.reason) == (False, "nothing-to-commit")
    assert result.notebooks[0].changed_in_commit is False
    assert run_git_cmd(repo, "rev-parse", "HEAD") == first.commit
    nb.write_bytes(notebook(source="print(2)"))
    assert snapshot([nb], "c").notebooks[0].changed_in_commit


def test_first_commit_of_an_empty_repository(
    make_repo: Callable[..., Path], run_git_cmd: Git
) -> None:
    repo = make_repo(commit=False, files={})
    (repo / "a.ipynb").write_bytes(notebook())
    result = snapshot([repo / "a.ipynb"], "start")
    assert result.committed and result.parent is None and result.branch == "main"
    assert run_git_cmd(repo, "rev-list", "--count", "HEAD") == "1"
    no_staged_leftovers(run_git_cmd, repo)


def test_extra_files_are_committed_through_git(
    make_repo: Callable[..., Path], run_git_cmd: Git
) -> None:
    repo = make_repo(files={"README.md": "x\n", "old.py": "x = 1\n"})
    (repo / "a.ipynb").write_bytes(notebook())
    (repo / "train.py").write_text("print('hi')\n", encoding="utf-8")
    (repo / "train.py").chmod(0o755)
    (repo / "old.py").unlink()
    result = snapshot([repo / "a.ipynb"], "code", files=[repo / "train.py", repo / "old.py"])
    assert result.files == ["train.py", "old.py"]
    tree = run_git_cmd(repo, "ls-tree", "HEAD")
    assert "100755 blob" in next(line for line in tree.splitlines() if line.endswith("train.py"))
    assert "old.py" not in tree
    no_staged_leftovers(run_git_cmd, repo)
    assert sh(repo, "status", "--porcelain").stdout == " M a.ipynb\n"


def test_bad_requests_change_nothing(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    repo = make_repo()
    (repo / "a.ipynb").write_bytes(notebook())
    before = repo_state(repo)
    for kwargs, match in [
        ({"message": "  "}, "message is required"),
        ({"message": "x", "commit_type": "wip"}, "Unknown commit type"),
        ({"message": "x", "tag": "-v1"}, "Invalid tag"),
        ({"message": "x", "tag": "a..b"}, "Invalid tag"),
    ]:
        with pytest.raises(InvalidRequest, match=match):
            snapshot([repo / "a.ipynb"], **kwargs)
    with pytest.raises(InvalidRequest, match="Not a notebook file"):
        snapshot([repo / "missing.ipynb"], "x")
    with pytest.raises(InvalidRequest, match="Nothing to snapshot"):
        snapshot([], "x")
    outside = tmp_path / "outside.ipynb"
    outside.write_bytes(notebook())
    with pytest.raises(NotARepository):
        snapshot([outside], "x")
    with pytest.raises(InvalidRequest, match="not in the repository"):
        snapshot([repo / "a.ipynb", outside], "x")
    assert repo_state(repo) == before


def test_format_message() -> None:
    assert format_message("  add   model ", "feat") == "feat: add model\n"
    assert format_message("feat(data)!: loader", "feat") == "feat(data)!: loader\n"
    assert format_message("x", None, "body\n") == "x\n\nbody\n"


# --------------------------------------------------------------------------
# concurrency


def test_six_concurrent_snapshots_lose_nothing(
    make_repo: Callable[..., Path], run_git_cmd: Git
) -> None:
    repo = make_repo()
    paths = []
    for i in range(6):
        path = repo / f"nb{i}.ipynb"
        path.write_bytes(notebook(source=f"x = {i}"))
        paths.append(path)
    start = run_git_cmd(repo, "rev-parse", "HEAD")
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda p: snapshot([p], f"add {p.name}"), paths))
    assert all(r.committed for r in results)
    chain = run_git_cmd(repo, "rev-list", "--parents", f"{start}..HEAD").splitlines()
    assert len(chain) == 6
    for line in chain:  # linear: one parent each, and each parent is the commit before it
        assert len(line.split()) == 2
    by_commit = {r.commit: r.parent for r in results}
    assert {line.split()[0]: line.split()[1] for line in chain} == by_commit
    tree = run_git_cmd(repo, "ls-tree", "--name-only", "HEAD").splitlines()
    assert {p.name for p in paths} <= set(tree)
    for path in paths:
        assert (
            blob(run_git_cmd, repo, f"HEAD:{path.name}")
            == clean_text(path.read_bytes())[0].encode()
        )
    no_staged_leftovers(run_git_cmd, repo)
    assert all(
        line.startswith(" M") for line in sh(repo, "status", "--porcelain").stdout.splitlines()
    )


# --------------------------------------------------------------------------
# hooks


def test_rejecting_pre_commit_hook_changes_nothing(make_repo: Callable[..., Path]) -> None:
    repo = make_repo()
    (repo / "a.ipynb").write_bytes(notebook())
    hook(repo, "pre-commit", "echo 'lint: 3 problems in a.ipynb'\necho 'details' >&2\nexit 1\n")
    before = repo_state(repo)
    with pytest.raises(HookRejected, match="pre-commit") as info:
        snapshot([repo / "a.ipynb"], "x", tag="v1", branch="exp/x")
    assert "lint: 3 problems in a.ipynb" in info.value.output
    assert "details" in info.value.output
    assert repo_state(repo) == before
    assert not any(p.name.startswith("repro-index") for p in (repo / ".git").iterdir())


def test_rejecting_commit_msg_hook_changes_nothing(make_repo: Callable[..., Path]) -> None:
    repo = make_repo()
    (repo / "a.ipynb").write_bytes(notebook())
    hook(repo, "commit-msg", "echo 'subject must mention a ticket'\nexit 1\n")
    before = repo_state(repo)
    with pytest.raises(HookRejected, match="commit-msg") as info:
        snapshot([repo / "a.ipynb"], "x")
    assert "subject must mention a ticket" in info.value.output
    assert repo_state(repo) == before


def test_commit_msg_hook_edits_are_honoured(
    make_repo: Callable[..., Path], run_git_cmd: Git
) -> None:
    repo = make_repo()
    (repo / "a.ipynb").write_bytes(notebook())
    hook(repo, "commit-msg", 'printf "\\nTicket: ML-42\\n" >> "$1"\n')
    result = snapshot([repo / "a.ipynb"], "train", commit_type="exp")
    assert run_git_cmd(repo, "log", "-1", "--format=%B") == "exp: train\n\nTicket: ML-42"
    assert result.message == "exp: train\n\nTicket: ML-42"


def test_pre_commit_hook_sees_the_cleaned_notebook(
    make_repo: Callable[..., Path], tmp_path: Path, run_git_cmd: Git
) -> None:
    repo = make_repo()
    nb = repo / "a.ipynb"
    nb.write_bytes(notebook())
    seen = tmp_path / "seen.ipynb"
    hook(
        repo,
        "pre-commit",
        f"git show :a.ipynb > '{seen}'\n"
        "git show :a.ipynb | grep -q '\"output_type\"' && { echo 'outputs!'; exit 1; }\n"
        "echo 'hook ran'\n",
    )
    real_index = (repo / ".git" / "index").read_bytes()
    result = snapshot([nb], "x")
    assert seen.read_bytes() == clean_text(nb.read_bytes())[0].encode()
    assert "hook ran" in result.hook_output
    assert run_git_cmd(repo, "rev-parse", "HEAD") == result.commit
    assert (repo / ".git" / "index").read_bytes() != real_index  # the committed path was reset


def test_pre_commit_hook_may_restage(make_repo: Callable[..., Path], run_git_cmd: Git) -> None:
    """A hook that fixes and re-stages (like formatters do) is committed with the fix."""
    repo = make_repo()
    (repo / "a.ipynb").write_bytes(notebook())
    (repo / "fmt.py").write_text("x=1\n", encoding="utf-8")
    hook(repo, "pre-commit", "printf 'x = 1\\n' > fmt.py\ngit add fmt.py\n")
    snapshot([repo / "a.ipynb"], "x", files=[repo / "fmt.py"])
    assert blob(run_git_cmd, repo, "HEAD:fmt.py") == b"x = 1\n"


def test_failure_after_the_ref_moved_is_undone(make_repo: Callable[..., Path]) -> None:
    """The commit-msg hook takes index.lock: the real index cannot be updated, HEAD goes back."""
    repo = make_repo()
    (repo / "a.ipynb").write_bytes(notebook())
    hook(repo, "commit-msg", ": > .git/index.lock\n")
    before = repo_state(repo)
    with pytest.raises(GitError, match="update-index"):
        snapshot([repo / "a.ipynb"], "x")
    (repo / ".git" / "index.lock").unlink()
    assert repo_state(repo) == before


def test_failing_tag_after_commit_is_undone(make_repo: Callable[..., Path]) -> None:
    """A tag ref that is locked (a real fault git reports) rolls the commit back."""
    repo = make_repo()
    (repo / "a.ipynb").write_bytes(notebook())
    before = repo_state(repo)
    (repo / ".git" / "refs" / "tags" / "v1.lock").write_text("", encoding="utf-8")
    with pytest.raises(GitError):
        snapshot([repo / "a.ipynb"], "x", tag="v1", branch="exp/tagged")
    (repo / ".git" / "refs" / "tags" / "v1.lock").unlink()
    assert repo_state(repo) == before


# --------------------------------------------------------------------------
# refusals that must leave everything as it was


def test_missing_identity(make_repo: Callable[..., Path], request: pytest.FixtureRequest) -> None:
    repo = make_repo()
    (repo / "a.ipynb").write_bytes(notebook())
    request.getfixturevalue("no_identity")
    before = repo_state(repo)
    with pytest.raises(IdentityMissing, match=r"user\.name"):
        snapshot([repo / "a.ipynb"], "x")
    assert repo_state(repo) == before


def test_index_lock_is_busy(make_repo: Callable[..., Path]) -> None:
    repo = make_repo()
    (repo / "a.ipynb").write_bytes(notebook())
    lock = repo / ".git" / "index.lock"
    lock.write_bytes(b"")
    before = repo_state(repo)
    with pytest.raises(GitBusy, match="(?i)another git operation"):
        snapshot([repo / "a.ipynb"], "x")
    assert repo_state(repo) == before
    assert lock.read_bytes() == b""  # somebody else's lock is left alone


# --------------------------------------------------------------------------
# branch and tag


def test_new_branch(make_repo: Callable[..., Path], run_git_cmd: Git) -> None:
    repo = make_repo()
    main = run_git_cmd(repo, "rev-parse", "main")
    (repo / "a.ipynb").write_bytes(notebook())
    result = snapshot([repo / "a.ipynb"], "try", branch="exp/lr-0.1")
    assert result.branch == "exp/lr-0.1"
    assert run_git_cmd(repo, "symbolic-ref", "HEAD") == "refs/heads/exp/lr-0.1"
    assert run_git_cmd(repo, "rev-parse", "exp/lr-0.1") == result.commit
    assert run_git_cmd(repo, "rev-parse", "main") == main
    assert result.parent == main
    no_staged_leftovers(run_git_cmd, repo)


@pytest.mark.parametrize(
    "name", ["exp/..", "main", "-x", "exp/old", "exp/", "exp/a b", "feature/x", "exp/old/sub"]
)
def test_invalid_branch_changes_nothing(
    make_repo: Callable[..., Path], name: str, run_git_cmd: Git
) -> None:
    repo = make_repo()
    run_git_cmd(repo, "branch", "exp/old")
    (repo / "a.ipynb").write_bytes(notebook())
    before = repo_state(repo)
    with pytest.raises(InvalidRequest, match="branch"):
        snapshot([repo / "a.ipynb"], "x", branch=name)
    assert repo_state(repo) == before


def test_branch_that_would_shadow_a_folder_of_branches(
    make_repo: Callable[..., Path], run_git_cmd: Git
) -> None:
    repo = make_repo()
    run_git_cmd(repo, "branch", "exp/a/b")
    (repo / "a.ipynb").write_bytes(notebook())
    before = repo_state(repo)
    with pytest.raises(InvalidRequest, match="branch"):
        snapshot([repo / "a.ipynb"], "x", branch="exp/a")
    assert repo_state(repo) == before


def test_tag(make_repo: Callable[..., Path], run_git_cmd: Git) -> None:
    repo = make_repo()
    (repo / "a.ipynb").write_bytes(notebook())
    result = snapshot(
        [repo / "a.ipynb"], "baseline", tag="baseline-1", tag_message="acc 0.91\n\nlr 0.1"
    )
    assert result.tag == "baseline-1"
    assert run_git_cmd(repo, "cat-file", "-t", "baseline-1") == "tag"
    assert run_git_cmd(repo, "rev-parse", "baseline-1^{commit}") == result.commit
    tag = next(t for t in list_tags(repo) if t.name == "baseline-1")
    assert (tag.annotated, tag.commit, tag.subject, tag.body) == (
        True,
        result.commit,
        "acc 0.91",
        "lr 0.1",
    )
    (repo / "a.ipynb").write_bytes(notebook(source="y = 2"))
    second = snapshot([repo / "a.ipynb"], "second", tag="second")
    assert next(t for t in list_tags(repo) if t.name == "second").subject == "second"
    assert second.commit


def test_existing_tag_refused_before_committing(
    make_repo: Callable[..., Path], run_git_cmd: Git
) -> None:
    repo = make_repo()
    run_git_cmd(repo, "tag", "v1")
    (repo / "a.ipynb").write_bytes(notebook())
    before = repo_state(repo)
    with pytest.raises(InvalidRequest, match="already exists"):
        snapshot([repo / "a.ipynb"], "x", tag="v1")
    assert repo_state(repo) == before


# --------------------------------------------------------------------------
# clear outputs in the working copy too


def test_clear_outputs(make_repo: Callable[..., Path], run_git_cmd: Git) -> None:
    repo = make_repo()
    nb = repo / "a.ipynb"
    nb.write_bytes(notebook())
    nb.chmod(0o640)
    result = snapshot([nb], "x", clear_outputs=True)
    assert result.working_copy_cleared == ["a.ipynb"]
    assert nb.read_bytes() == blob(run_git_cmd, repo, "HEAD:a.ipynb")
    assert stat.S_IMODE(nb.stat().st_mode) == 0o640
    assert sorted(p.name for p in repo.iterdir()) == [".git", "README.md", "a.ipynb"]
    assert run_git_cmd(repo, "status", "--porcelain") == ""


def test_clear_outputs_when_nothing_to_commit(
    make_repo: Callable[..., Path], run_git_cmd: Git
) -> None:
    """Outputs-only changes: no commit, but the user asked for a clean notebook."""
    repo = make_repo()
    nb = repo / "a.ipynb"
    nb.write_bytes(notebook())
    snapshot([nb], "x")
    result = snapshot([nb], "y", clear_outputs=True)
    assert not result.committed
    assert result.working_copy_cleared == ["a.ipynb"]
    assert nb.read_bytes() == blob(run_git_cmd, repo, "HEAD:a.ipynb")


def test_default_leaves_outputs(make_repo: Callable[..., Path]) -> None:
    repo = make_repo()
    nb = repo / "a.ipynb"
    nb.write_bytes(notebook())
    assert snapshot([nb], "x").working_copy_cleared == []
    assert nb.read_bytes() == notebook()


# --------------------------------------------------------------------------
# property: the working copy never changes


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    source=st.text(min_size=0, max_size=40),
    output=st.text(min_size=0, max_size=40),
    cells=st.integers(min_value=0, max_value=3),
)
def test_snapshot_never_changes_the_working_copy(
    tmp_path: Path, repo_at: Callable[..., Path], source: str, output: str, cells: int
) -> None:
    repo = tmp_path / "prop"
    if not (repo / ".git").is_dir():  # one repository for every example
        repo_at(repo)
    nb = repo / "p.ipynb"
    data = notebook(source=source, output=output, cells=cells)
    nb.write_bytes(data)
    result = snapshot([nb], "prop")
    assert nb.read_bytes() == data
    if result.committed:
        assert blob(None, repo, "HEAD:p.ipynb") == clean_text(data)[0].encode()
    else:
        assert blob(None, repo, "HEAD:p.ipynb") == clean_text(data)[0].encode()


def test_clear_outputs_never_overwrites_a_newer_save(make_repo: Callable[..., Path]) -> None:
    """The notebook is saved again while the snapshot runs (here: by a hook): keep the save."""
    repo = make_repo()
    nb = repo / "a.ipynb"
    nb.write_bytes(notebook())
    newer = notebook(source="saved meanwhile")
    (repo.parent / "newer.ipynb").write_bytes(newer)
    hook(repo, "commit-msg", f"cp '{repo.parent / 'newer.ipynb'}' a.ipynb\n")
    result = snapshot([nb], "x", clear_outputs=True)
    assert result.committed and result.working_copy_cleared == []
    assert nb.read_bytes() == newer
    assert "outputs were not cleared" in result.notebooks[0].warnings[-1]


def test_names_are_not_patterns(make_repo: Callable[..., Path], run_git_cmd: Git) -> None:
    """Snapshotting "a[1].ipynb" must not touch the user's staging of "a1.ipynb"."""
    repo = make_repo(files={"a1.ipynb": notebook().decode()})
    (repo / "a1.ipynb").write_bytes(notebook(source="staged by the user"))
    run_git_cmd(repo, "add", "a1.ipynb")
    (repo / "a[1].ipynb").write_bytes(notebook())
    result = snapshot([repo / "a[1].ipynb"], "x")
    assert run_git_cmd(repo, "ls-tree", "--name-only", result.commit).splitlines() == [
        "a1.ipynb",
        "a[1].ipynb",
    ]
    assert run_git_cmd(repo, "diff", "--cached", "--name-only") == "a1.ipynb"


def test_head_moved_meanwhile_is_busy_and_changes_nothing(
    make_repo: Callable[..., Path], run_git_cmd: Git
) -> None:
    """Another git commits while the snapshot runs (here: from the hook): no lost update."""
    repo = make_repo()
    (repo / "a.ipynb").write_bytes(notebook())
    hook(
        repo,
        "pre-commit",
        "env -u GIT_INDEX_FILE git commit -q --no-verify --allow-empty -m sneaky\n",
    )
    with pytest.raises(GitBusy, match="HEAD moved"):
        snapshot([repo / "a.ipynb"], "x")
    assert run_git_cmd(repo, "log", "--format=%s") == "sneaky\nfeat: first commit"
    assert run_git_cmd(repo, "ls-tree", "--name-only", "HEAD") == "README.md"
    assert (repo / "a.ipynb").read_bytes() == notebook()


def test_detached_head(make_repo: Callable[..., Path], run_git_cmd: Git) -> None:
    repo = make_repo()
    run_git_cmd(repo, "checkout", "-q", "--detach")
    main = run_git_cmd(repo, "rev-parse", "main")
    (repo / "a.ipynb").write_bytes(notebook())
    result = snapshot([repo / "a.ipynb"], "x")
    assert result.branch is None and result.parent == main
    assert run_git_cmd(repo, "rev-parse", "HEAD") == result.commit
    assert run_git_cmd(repo, "rev-parse", "main") == main
    assert sh(repo, "symbolic-ref", "-q", "HEAD").returncode == 1


def test_atomic_write_keeps_modes_and_never_writes_through_links(tmp_path: Path) -> None:
    """The file door (issue 11): a symlink is refused; its target is written by its own name."""
    from jupyterlab_repro.errors import UnsafeFile
    from jupyterlab_repro.files import atomic_write

    target = tmp_path / ("n" * 250 + ".ipynb"[:5])
    target.write_bytes(b"old")
    target.chmod(0o600)
    link = tmp_path / "link.ipynb"
    link.symlink_to(target.name)
    with pytest.raises(UnsafeFile, match="symbolic link"):
        atomic_write(link, b"new")
    assert link.is_symlink() and target.read_bytes() == b"old"
    atomic_write(Path(os.path.realpath(link)), b"new")
    assert link.is_symlink() and target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    atomic_write(tmp_path / "fresh.txt", b"x")
    assert (tmp_path / "fresh.txt").read_bytes() == b"x"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["fresh.txt", "link.ipynb", target.name]
    )


def test_notebooks_among_files_are_cleaned_and_paths_deduplicated(
    make_repo: Callable[..., Path], run_git_cmd: Git
) -> None:
    repo = make_repo()
    (repo / "a.ipynb").write_bytes(notebook())
    (repo / "b.ipynb").write_bytes(notebook(source="b"))
    result = snapshot(
        [repo / "a.ipynb", repo / "a.ipynb"],
        "x",
        files=[repo / "a.ipynb", repo / "b.ipynb", repo / "README.md", repo / "README.md"],
    )
    assert [n.path for n in result.notebooks] == ["a.ipynb", "b.ipynb"]
    assert result.files == ["README.md"]
    for name in ("a.ipynb", "b.ipynb"):
        committed = blob(run_git_cmd, repo, f"HEAD:{name}")
        assert committed == clean_text((repo / name).read_bytes())[0].encode()
        assert b'"output_type"' not in committed


def test_a_deleted_folder_is_fine(make_repo: Callable[..., Path], run_git_cmd: Git) -> None:
    repo = make_repo(files={"README.md": "x", "old/data.csv": "1,2\n"})
    shutil.rmtree(repo / "old")
    result = snapshot([], "remove old data", files=[repo / "old" / "data.csv"])
    assert result.committed
    assert run_git_cmd(repo, "ls-tree", "-r", "--name-only", "HEAD") == "README.md"


def test_commit_msg_hook_emptying_the_message_aborts(make_repo: Callable[..., Path]) -> None:
    repo = make_repo()
    (repo / "a.ipynb").write_bytes(notebook())
    hook(repo, "commit-msg", ': > "$1"\n')
    before = repo_state(repo)
    with pytest.raises(HookRejected, match="empty commit message"):
        snapshot([repo / "a.ipynb"], "x")
    assert repo_state(repo) == before


def test_repository_cleaning_rules_apply(make_repo: Callable[..., Path], run_git_cmd: Git) -> None:
    repo = make_repo(
        files={
            "pyproject.toml": (
                "[tool.jupyterlab-repro]\n"
                'drop-keys = ["metadata.authors"]\n'
                "max-output-bytes = 200\n"
            )
        }
    )
    nb = json.loads(notebook(cells=2))
    nb["metadata"]["authors"] = [{"name": "A"}]
    nb["cells"][0]["metadata"]["tags"] = ["keep-output"]
    nb["cells"][1]["metadata"]["tags"] = ["keep-output"]
    nb["cells"][1]["outputs"][0]["text"] = ["z" * 1000]
    data = (json.dumps(nb, indent=1) + "\n").encode()
    (repo / "a.ipynb").write_bytes(data)
    result = snapshot([repo / "a.ipynb"], "x")
    committed = json.loads(blob(run_git_cmd, repo, "HEAD:a.ipynb"))
    assert "authors" not in committed["metadata"]
    assert committed["cells"][0]["outputs"] == nb["cells"][0]["outputs"]  # kept
    assert committed["cells"][1]["outputs"] == []  # over the limit: dropped, and said so
    assert any("over the size limit" in w for w in result.notebooks[0].warnings)
    assert (repo / "a.ipynb").read_bytes() == data


def test_after_a_snapshot_status_need_not_rehash_the_notebook(
    make_repo: Callable[..., Path], run_git_cmd: Git
) -> None:
    """The real index entry carries the cleaned blob's size, so git can tell the
    working copy (with outputs) differs without re-hashing it on every status."""
    repo = make_repo()
    nb = repo / "a.ipynb"
    nb.write_bytes(notebook())
    result = snapshot([nb], "x")
    entry = run_git_cmd(repo, "ls-files", "--debug", "--", "a.ipynb")
    size = int(entry.split("size: ")[1].split()[0])
    committed = blob(run_git_cmd, repo, f"{result.commit}:a.ipynb")
    assert size == len(committed) != nb.stat().st_size
    assert run_git_cmd(repo, "diff", "--cached", "--name-only") == ""  # index == HEAD
    assert run_git_cmd(repo, "status", "--porcelain") == "M a.ipynb"


def test_remembered_export_settings_are_no_change_to_commit(
    make_repo: Callable[..., Path], run_git_cmd: Git
) -> None:
    """Exporting writes the target into the notebook: outputs only, never committed, not lost."""
    from jupyterlab_repro.commit.changes import list_changes

    repo = make_repo()
    nb = repo / "a.ipynb"
    nb.write_bytes(notebook())
    snapshot([nb], "feat: a")
    settings = {"export": {"module": "src/a.py", "cells": "export"}}
    data = json.loads(notebook())
    data["metadata"]["jupyterlab_repro"] = settings
    nb.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    [changed] = list_changes(repo).files
    assert changed.classification == "outputs-only"
    result = snapshot([nb], "chore: nothing", clear_outputs=True)
    assert not result.committed and result.reason == "nothing-to-commit"
    assert b"jupyterlab_repro" not in blob(run_git_cmd, repo, "HEAD:a.ipynb")
    # Cleared: no outputs left, the remembered settings kept, and still nothing to commit.
    cleared = json.loads(nb.read_text(encoding="utf-8"))
    assert cleared["metadata"]["jupyterlab_repro"] == settings
    assert cleared["cells"][0]["outputs"] == []
    [changed] = list_changes(repo).files
    assert changed.classification == "outputs-only"
