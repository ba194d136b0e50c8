"""The git door for objects: blobs, temporary indexes, commits, refs moved by compare-and-swap.

Real repositories in temporary folders; git's configuration is what changes
between tests (signing asked for with no gpg, clean filters, no identity).
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from jupyterlab_repro.deadline import Deadline
from jupyterlab_repro.errors import GitError, GitTimeout, RefMoved
from jupyterlab_repro.git.objects import (
    EMPTY_TREE,
    FALLBACK_IDENTITY,
    commit_tree,
    make_commit,
    move_ref,
    ref_value,
    staging,
    write_blob,
)
from jupyterlab_repro.git.repository import git_dir
from jupyterlab_repro.git.runner import Git

RunGit = Callable[..., str]

NOTEBOOK = (
    b'{\n "cells": [],\n "metadata": {"a": "data"},\n "nbformat": 4,\n "nbformat_minor": 5\n}\n'
)


def _git(repo: Path) -> Git:
    return Git(repo, Deadline(30.0, "the test"))


def _tree_with(git: Git, path: str, data: bytes, parent: str | None) -> str:
    with staging(git, git_dir(git)) as staged:
        staged.read_tree(parent)
        staged.set_entries([("100644", write_blob(git, data), path)])
        return staged.write_tree()


def test_a_commit_asked_to_be_signed_without_gpg_is_made_unsigned(
    make_repo: Callable[..., Path], run_git_cmd: RunGit
) -> None:
    repo = make_repo()
    run_git_cmd(repo, "config", "commit.gpgSign", "true")
    run_git_cmd(repo, "config", "gpg.program", str(repo / "no-such-gpg"))
    # The configuration bites: git's own commit fails for want of gpg.
    with pytest.raises(subprocess.CalledProcessError):
        run_git_cmd(repo, "commit", "--allow-empty", "-q", "-m", "signed?")
    git = _git(repo)
    head = run_git_cmd(repo, "rev-parse", "HEAD")
    tree = _tree_with(git, "nb.ipynb", NOTEBOOK, head)

    commit = make_commit(git, tree, [head], "feat: unsigned", ref="HEAD", old=head)

    assert run_git_cmd(repo, "rev-parse", "HEAD") == commit
    raw = run_git_cmd(repo, "cat-file", "commit", commit)
    assert "gpgsig" not in raw
    assert raw.endswith("\n\nfeat: unsigned")  # the message, its line completed
    assert run_git_cmd(repo, "log", "-1", "--format=%P %T", commit) == f"{head} {tree}"


def test_blobs_keep_their_bytes_whatever_filters_are_configured(
    make_repo: Callable[..., Path], run_git_cmd: RunGit
) -> None:
    repo = make_repo()
    (repo / ".gitattributes").write_text("*.ipynb filter=upper text eol=crlf\n", encoding="utf-8")
    run_git_cmd(repo, "config", "filter.upper.clean", "tr a-z A-Z")
    run_git_cmd(repo, "config", "filter.upper.smudge", "cat")
    run_git_cmd(repo, "config", "core.autocrlf", "true")
    # The filter bites when git is given the path.
    filtered = subprocess.run(
        ["git", "hash-object", "--path", "nb.ipynb", "--stdin"],
        cwd=repo,
        input=NOTEBOOK,
        capture_output=True,
        check=True,
    ).stdout.decode()
    git = _git(repo)

    blob = write_blob(git, NOTEBOOK)

    assert blob != filtered.strip()
    stored = subprocess.run(
        ["git", "cat-file", "blob", blob], cwd=repo, capture_output=True, check=True
    ).stdout
    assert stored == NOTEBOOK
    head = run_git_cmd(repo, "rev-parse", "HEAD")
    commit = make_commit(git, _tree_with(git, "nb.ipynb", NOTEBOOK, head), [head], "m")
    assert run_git_cmd(repo, "rev-parse", f"{commit}:nb.ipynb") == blob


def test_the_fallback_identity_is_used_only_when_the_user_has_none(
    make_repo: Callable[..., Path], run_git_cmd: RunGit, isolated_git: Path
) -> None:
    repo = make_repo()
    git = _git(repo)

    mine = commit_tree(git, EMPTY_TREE, [], "by me")

    assert run_git_cmd(repo, "log", "-1", "--format=%an <%ae>|%cn", mine) == (
        "Repro Tester <tester@example.com>|Repro Tester"
    )

    isolated_git.write_text(  # what the no_identity fixture does, after the first commit
        "[init]\n\tdefaultBranch = main\n[user]\n\tuseConfigOnly = true\n", encoding="utf-8"
    )
    with pytest.raises(GitError) as refused:
        commit_tree(git, EMPTY_TREE, [], "nobody", fallback_identity=False)
    assert not isinstance(refused.value, GitTimeout)

    theirs = commit_tree(git, EMPTY_TREE, [], "by the tool")

    name, email = FALLBACK_IDENTITY["GIT_AUTHOR_NAME"], FALLBACK_IDENTITY["GIT_AUTHOR_EMAIL"]
    assert run_git_cmd(repo, "log", "-1", "--format=%an <%ae>|%cn", theirs) == (
        f"{name} <{email}>|{name}"
    )


def test_a_ref_moves_only_if_it_still_points_where_it_did(
    make_repo: Callable[..., Path], run_git_cmd: RunGit
) -> None:
    repo = make_repo()
    git = _git(repo)
    first = run_git_cmd(repo, "rev-parse", "HEAD")
    second = commit_tree(git, EMPTY_TREE, [first], "second")
    third = commit_tree(git, EMPTY_TREE, [first], "third")
    ref = "refs/repro/test/a"

    move_ref(git, ref, first, None, reason="made")
    assert ref_value(git, ref) == first
    move_ref(git, ref, second, first, reason="moved")
    assert ref_value(git, ref) == second

    # Somebody moved it meanwhile: refused, nothing changed.
    with pytest.raises(RefMoved, match="moved meanwhile"):
        move_ref(git, ref, third, first, reason="stale")
    assert ref_value(git, ref) == second
    # "Only if it does not exist" for a ref that exists.
    with pytest.raises(RefMoved):
        move_ref(git, ref, third, None, reason="new?")
    assert ref_value(git, ref) == second
    # HEAD moves its branch; with a stale old value neither moves.
    with pytest.raises(RefMoved):
        move_ref(git, "HEAD", third, second, reason="stale head")
    assert run_git_cmd(repo, "rev-parse", "refs/heads/main") == first
    move_ref(git, "HEAD", third, first, reason="head")
    assert run_git_cmd(repo, "rev-parse", "refs/heads/main") == third
    assert run_git_cmd(repo, "symbolic-ref", "HEAD") == "refs/heads/main"
    assert "head" in run_git_cmd(repo, "reflog", "-1", "--format=%gs", "refs/heads/main")


def test_make_commit_leaves_no_commit_on_the_ref_when_it_lost_the_race(
    make_repo: Callable[..., Path], run_git_cmd: RunGit
) -> None:
    repo = make_repo()
    git = _git(repo)
    first = run_git_cmd(repo, "rev-parse", "HEAD")
    other = commit_tree(git, EMPTY_TREE, [first], "someone else's")
    run_git_cmd(repo, "update-ref", "refs/heads/main", other)

    with pytest.raises(RefMoved):
        make_commit(git, EMPTY_TREE, [first], "mine", ref="HEAD", old=first)

    assert run_git_cmd(repo, "rev-parse", "HEAD") == other


def test_staging_never_touches_the_real_index(
    make_repo: Callable[..., Path], run_git_cmd: RunGit
) -> None:
    repo = make_repo(files={"README.md": "# demo\n", "a.txt": "a\n"})
    (repo / "a.txt").write_text("changed\n", encoding="utf-8")
    (repo / "b.txt").write_text("new\n", encoding="utf-8")
    index = repo / ".git" / "index"
    before = index.read_bytes()
    git = _git(repo)
    head = run_git_cmd(repo, "rev-parse", "HEAD")

    with staging(git, git_dir(git), copy_of=index) as staged:
        assert staged.path.parent == repo / ".git" and staged.path.is_file()
        staged.update_tracked(except_path="README.md")
        staged.add(["b.txt"])
        staged.set_entries([("100644", write_blob(git, b"readme\n"), "README.md")])
        assert staged.differs(head, "a.txt") and staged.differs(head, "README.md")
        tree = staged.write_tree()
        kept = staged.path

    assert not kept.exists()
    assert index.read_bytes() == before
    listing = run_git_cmd(repo, "ls-tree", "--name-only", tree).split()
    assert listing == ["README.md", "a.txt", "b.txt"]
    assert run_git_cmd(repo, "show", f"{tree}:a.txt") == "changed"
    assert run_git_cmd(repo, "show", f"{tree}:README.md") == "readme"
    assert run_git_cmd(repo, "diff", "--cached", "--name-only") == ""
    assert run_git_cmd(repo, "ls-files") == "README.md\na.txt"


def test_the_callers_deadline_covers_the_door(
    make_repo: Callable[..., Path], run_git_cmd: RunGit
) -> None:
    repo = make_repo()
    head = run_git_cmd(repo, "rev-parse", "HEAD")
    spent = Git(repo, Deadline(0.0, "a spent request"))

    with pytest.raises(GitTimeout, match="a spent request"):
        make_commit(spent, EMPTY_TREE, [head], "late", ref="HEAD", old=head)

    assert run_git_cmd(repo, "rev-parse", "HEAD") == head
