"""Confining request paths to the server root and writes to outside git directories
(DESIGN invariant 4), without a server."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jupyterlab_repro.errors import (
    InsideGitDirectory,
    InvalidRequest,
    PathNotFound,
    PathOutsideRoot,
    UnsafeFile,
)
from jupyterlab_repro.files import (
    atomic_write,
    check_outside_git_dir,
    create_file,
    is_git_dir,
    is_git_name,
    relative_to_root,
    resolve_in_root,
)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A server root with a few entries, next to a secret that must stay unreachable."""
    base = tmp_path / "root"
    (base / "sub" / "deeper").mkdir(parents=True)
    (base / "sub" / "nb.ipynb").write_text("{}", encoding="utf-8")
    (base / "-x").mkdir()
    (base / "实验 1").mkdir()
    (tmp_path / "secret.txt").write_text("outside", encoding="utf-8")
    return base


@pytest.mark.parametrize(
    ("relative", "expected"),
    [
        ("", "."),
        (".", "."),
        ("sub", "sub"),
        ("sub/", "sub"),
        ("./sub//deeper", "sub/deeper"),
        ("sub/deeper/..", "sub"),
        ("sub/nb.ipynb", "sub/nb.ipynb"),
        ("-x", "-x"),
        ("实验 1", "实验 1"),
        ("sub\\deeper", "sub/deeper"),
    ],
)
def test_paths_inside_the_root_resolve(root: Path, relative: str, expected: str) -> None:
    assert resolve_in_root(root, relative) == (root / expected).resolve()


def test_none_means_the_root(root: Path) -> None:
    assert resolve_in_root(root, None) == root.resolve()


@pytest.mark.parametrize(
    "relative",
    [
        "..",
        "../secret.txt",
        "a/../..",
        "sub/../../secret.txt",
        "sub/deeper/../../..",
        "..\\secret.txt",
    ],
)
def test_climbing_out_is_refused(root: Path, relative: str) -> None:
    with pytest.raises(PathOutsideRoot) as info:
        resolve_in_root(root, relative)
    # The message names what was asked for, never the real location outside.
    assert str(root.parent) not in str(info.value)


@pytest.mark.parametrize(
    "relative",
    ["/etc", "/", "\\\\server\\share", "\\windows", "C:", "C:\\Windows", "c:/x", "z:secret"],
)
def test_absolute_paths_and_drive_letters_are_refused(root: Path, relative: str) -> None:
    with pytest.raises(PathOutsideRoot, match="Absolute paths are not allowed"):
        resolve_in_root(root, relative)


def test_absolute_path_to_a_place_inside_the_root_is_still_refused(root: Path) -> None:
    with pytest.raises(PathOutsideRoot):
        resolve_in_root(root, str(root / "sub"))


@pytest.mark.parametrize("relative", ["sub\x00", "\x00", "sub/\x00/../x"])
def test_nul_byte_is_invalid(root: Path, relative: str) -> None:
    with pytest.raises(InvalidRequest, match="NUL"):
        resolve_in_root(root, relative)


def test_missing_path(root: Path) -> None:
    with pytest.raises(PathNotFound, match="nope"):
        resolve_in_root(root, "sub/nope")
    assert resolve_in_root(root, "sub/nope", must_exist=False) == root.resolve() / "sub" / "nope"


def test_missing_path_outside_is_outside_not_missing(root: Path) -> None:
    """Refusal comes first: a 404 for ``../x`` would reveal what exists outside."""
    with pytest.raises(PathOutsideRoot):
        resolve_in_root(root, "../does-not-exist")


def test_whitespace_is_part_of_the_name(root: Path) -> None:
    (root / " padded ").mkdir()
    assert resolve_in_root(root, " padded ") == root.resolve() / " padded "
    with pytest.raises(PathNotFound):
        resolve_in_root(root, " sub")


def test_symlink_inside_the_root_resolves_to_its_target(root: Path) -> None:
    (root / "link").symlink_to(root / "sub")
    assert resolve_in_root(root, "link/nb.ipynb") == root.resolve() / "sub" / "nb.ipynb"


@pytest.mark.parametrize("target", ["secret.txt", "."])
def test_symlink_leaving_the_root_is_refused(root: Path, target: str) -> None:
    (root / "sub" / "escape").symlink_to(root.parent / target)
    with pytest.raises(PathOutsideRoot) as info:
        resolve_in_root(root, "sub/escape")
    assert "secret" not in str(info.value)


def test_dangling_symlink_pointing_out_is_refused(root: Path) -> None:
    (root / "dangling").symlink_to(root.parent / "no-such-file")
    with pytest.raises(PathOutsideRoot):
        resolve_in_root(root, "dangling", must_exist=False)


def test_root_given_through_a_symlink(root: Path, tmp_path: Path) -> None:
    alias = tmp_path / "alias"
    alias.symlink_to(root)
    assert resolve_in_root(alias, "sub") == root.resolve() / "sub"
    with pytest.raises(PathOutsideRoot):
        resolve_in_root(alias, "../secret.txt")


def test_sibling_with_common_prefix_is_outside(root: Path, tmp_path: Path) -> None:
    """``/x/root2`` starts with the string ``/x/root`` but is not below it."""
    (tmp_path / "root2").mkdir()
    (root / "sneaky").symlink_to(tmp_path / "root2")
    with pytest.raises(PathOutsideRoot):
        resolve_in_root(root, "sneaky")


def test_relative_to_root(root: Path) -> None:
    assert relative_to_root(root, root) == ""
    assert relative_to_root(root, root / "sub" / "deeper") == "sub/deeper"
    assert relative_to_root(os.fspath(root), os.fspath(root / "实验 1")) == "实验 1"
    with pytest.raises(ValueError):
        relative_to_root(root / "sub", root)


@pytest.fixture(scope="module")
def shared_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A module-wide root with a symlink out and one in (hypothesis needs no per-test dirs)."""
    base = tmp_path_factory.mktemp("prop")
    root = base / "root"
    (root / "a" / "b").mkdir(parents=True)
    (base / "outside").mkdir()
    (root / "out").symlink_to(base / "outside")
    (root / "in").symlink_to(root / "a")
    return root


@settings(max_examples=300, deadline=None)
@given(
    parts=st.lists(
        st.sampled_from(["a", "b", "..", ".", "", "out", "in", "x", "\\", "/", "C:", "\x00"]),
        max_size=8,
    )
)
def test_no_path_ever_resolves_outside(shared_root: Path, parts: list[str]) -> None:
    """Whatever the combination, the answer is inside the root or a refusal."""
    rel = "/".join(parts)
    real_root = shared_root.resolve()
    try:
        got = resolve_in_root(shared_root, rel, must_exist=False)
    except (PathOutsideRoot, InvalidRequest):
        return
    assert got == real_root or real_root in got.parents


# --- nothing is written in a git directory ------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        ".git",
        ".GIT",
        ".Git",
        ".gIt",
        ".git.",
        ".git ",
        ".git. .",
        ".g\u200cit",
        ".\ufeffgit",
        "git~1",
        "GIT~1",
        ".git::$INDEX_ALLOCATION",
    ],
)
def test_names_file_systems_take_for_dot_git(name: str) -> None:
    assert is_git_name(name)


@pytest.mark.parametrize(
    "name", ["git", ".gitignore", ".gitattributes", ".github", ".git-blame", "x.git", "git~2", ""]
)
def test_names_that_only_look_like_it(name: str) -> None:
    assert not is_git_name(name)


def _entries(top: Path) -> dict[str, bytes | None]:
    """Every entry below ``top``: file bytes, ``None`` for folders and links."""
    out: dict[str, bytes | None] = {}
    for path in sorted(top.rglob("*")):
        regular = path.is_file() and not path.is_symlink()
        out[path.relative_to(top).as_posix()] = path.read_bytes() if regular else None
    return out


WRITERS: dict[str, Callable[[Path, Path], None]] = {
    "atomic_write": lambda path, within: atomic_write(path, b"x", within=within),
    "create_file": lambda path, within: create_file(path, b"x", within=within),
}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository's work tree (a bare ``git init``: no commit needed)."""
    work = tmp_path / "work"
    work.mkdir()
    subprocess.run(["git", "init", "-q", str(work)], check=True)
    (work / ".git" / "hooks" / "pre-commit").write_text("#!/bin/sh\n", encoding="utf-8")
    for name in (".GIT", ".Git"):  # one folder with .git where names ignore case
        (work / name).mkdir()
        (work / name / "config").write_text("[core]\n", encoding="utf-8")
    return work


@pytest.mark.parametrize("writer", WRITERS)
@pytest.mark.parametrize(
    "rel",
    [".git/config", ".git/hooks/pre-commit", ".git/new", ".GIT/config", ".Git/new", ".git"],
)
@pytest.mark.parametrize("within", ["top", "own folder"])
def test_the_door_writes_nothing_in_dot_git(repo: Path, writer: str, rel: str, within: str) -> None:
    before = _entries(repo)
    target = repo / rel
    base = repo if within == "top" else target.parent
    with pytest.raises(InsideGitDirectory, match="inside a git directory"):
        WRITERS[writer](target, base)
    assert _entries(repo) == before


def test_a_dot_git_file_is_not_replaced(repo: Path, tmp_path: Path) -> None:
    """A worktree's or submodule's ``.git`` is a ``gitdir:`` pointer file: never written."""
    sub = repo / "sub"
    sub.mkdir()
    (sub / ".git").write_text(f"gitdir: {tmp_path}/elsewhere\n", encoding="utf-8")
    before = _entries(repo)
    with pytest.raises(InsideGitDirectory):
        atomic_write(sub / ".git", b"gitdir: /tmp/evil\n", within=repo)
    assert _entries(repo) == before


@pytest.fixture
def git_dirs(tmp_path: Path, repo: Path) -> dict[str, Path]:
    """Git directories by other names: a separate one, a bare one, a linked worktree's."""
    base = tmp_path / "other"
    base.mkdir()
    linked = base / "linked"
    subprocess.run(
        ["git", "init", "-q", "--separate-git-dir", str(base / "linked.git"), str(linked)],
        check=True,
    )
    subprocess.run(["git", "init", "-q", "--bare", str(base / "origin.git")], check=True)
    git = ["git", "-C", str(repo)]  # the identity is the isolated test config's
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "first"], check=True)
    subprocess.run([*git, "worktree", "add", "-q", str(base / "wt")], check=True)
    return {
        "separate": base / "linked.git",
        "bare": base / "origin.git",
        "worktree": repo / ".git" / "worktrees" / "wt",
    }


@pytest.mark.parametrize("kind", ["separate", "bare", "worktree"])
def test_git_directories_by_any_name(git_dirs: dict[str, Path], kind: str) -> None:
    gdir = git_dirs[kind]
    assert is_git_dir(gdir)
    for target in (gdir / "x.py", gdir / "hooks" / "x.py"):
        with pytest.raises(InsideGitDirectory):
            check_outside_git_dir(target, within=gdir.parent)
        with pytest.raises(InsideGitDirectory):
            atomic_write(target, b"x", within=target.parent)
        assert not target.exists()


def test_work_trees_and_plain_folders_are_not_git_directories(
    git_dirs: dict[str, Path], repo: Path, tmp_path: Path
) -> None:
    assert not is_git_dir(repo)
    assert not is_git_dir(git_dirs["separate"].parent / "linked")
    assert not is_git_dir(git_dirs["separate"].parent / "wt")
    # A project that happens to hold HEAD, objects/ and refs/ beside its own .git.
    odd = tmp_path / "odd"
    for name in ("objects", "refs", ".git"):
        (odd / name).mkdir(parents=True)
    (odd / "HEAD").write_text("x\n", encoding="utf-8")
    assert not is_git_dir(odd)
    atomic_write(odd / "notes.py", b"x = 1\n", within=odd)
    (repo / ".github" / "workflows").mkdir(parents=True)
    atomic_write(repo / ".github" / "workflows" / "ci.yml", b"on: push\n", within=repo)
    assert (repo / ".github" / "workflows" / "ci.yml").read_bytes() == b"on: push\n"


def test_a_folder_swapped_for_a_link_while_resolving_is_a_refusal(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """realpath's lstat saw a link, its readlink a folder (the swap raced it): 409, not a crash.

    The real race is in tests/security/test_findings.py (a swap loop beside 40
    exports); here ``readlink`` answers as it does when the swap lands between the two.
    """
    (root / "pkg").mkdir()
    os.symlink("pkg", root / "link")

    def swapped(path: object, *args: object, **kwargs: object) -> str:
        raise OSError(22, "Invalid argument", os.fspath(path))  # type: ignore[arg-type]

    monkeypatch.setattr(os, "readlink", swapped)
    with pytest.raises(UnsafeFile, match="changed while it was being resolved"):
        resolve_in_root(root, "link/mod.py", must_exist=False)
