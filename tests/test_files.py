"""Confining request paths to the server root (DESIGN invariant 4), without a server."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jupyterlab_repro.errors import InvalidRequest, PathNotFound, PathOutsideRoot
from jupyterlab_repro.files import relative_to_root, resolve_in_root


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
