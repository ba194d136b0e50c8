"""Annotated tags: listing with annotations, creating one on a commit."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from jupyterlab_repro.errors import InvalidRequest, NotARepository
from jupyterlab_repro.git.tags import create_tag, list_tags

Git = Callable[..., str]


def refs(git: Git, repo: Path) -> str:
    return git(repo, "for-each-ref")


def test_create_and_list(make_repo: Callable[..., Path], run_git_cmd: Git) -> None:
    repo = make_repo()
    first = run_git_cmd(repo, "rev-parse", "HEAD")
    tag = create_tag(repo, "baseline", "acc=0.91 loss=0.3\n\nlr=0.1, 5 epochs\n")
    assert tag.name == "baseline"
    assert tag.commit == first
    assert tag.annotated is True
    assert tag.tagger == "Repro Tester <tester@example.com>"
    assert tag.subject == "acc=0.91 loss=0.3"
    assert tag.body == "lr=0.1, 5 epochs"
    assert tag.date and tag.date.startswith("20")
    assert run_git_cmd(repo, "cat-file", "-t", "baseline") == "tag"

    (repo / "b.txt").write_text("b\n", encoding="utf-8")
    run_git_cmd(repo, "add", "b.txt")
    run_git_cmd(repo, "commit", "-q", "-m", "second")
    run_git_cmd(repo, "tag", "light")  # lightweight tags are listed too, without annotation
    create_tag(repo / "b.txt", "on-first", "first commit", rev=first)
    found = {t.name: t for t in list_tags(repo)}
    assert set(found) == {"baseline", "light", "on-first"}
    assert found["light"].annotated is False
    assert found["light"].tagger is None and found["light"].subject == ""
    assert found["light"].commit == run_git_cmd(repo, "rev-parse", "HEAD")
    assert found["on-first"].commit == first
    assert found["on-first"].body == ""


def test_unusual_annotation_text(make_repo: Callable[..., Path]) -> None:
    repo = make_repo()
    message = "实验 1: ✓ 100%\n\nline one\n\nparagraph two with a\ttab"
    tag = create_tag(repo, "exp/实验-1", message)
    assert tag.subject == "实验 1: ✓ 100%"
    assert tag.body == "line one\n\nparagraph two with a\ttab"
    assert [t.name for t in list_tags(repo)] == ["exp/实验-1"]


def test_no_tags(make_repo: Callable[..., Path]) -> None:
    assert list_tags(make_repo()) == []
    assert list_tags(make_repo("empty", commit=False)) == []


@pytest.mark.parametrize(
    ("name", "message", "rev", "match"),
    [
        ("", "m", "HEAD", "Invalid tag"),
        ("-f", "m", "HEAD", "Invalid tag"),
        ("a..b", "m", "HEAD", "Invalid tag"),
        ("has space", "m", "HEAD", "Invalid tag"),
        ("existing", "m", "HEAD", "already exists"),
        ("ok", "   ", "HEAD", "needs a message"),
        ("ok", "m", "no-such-rev", "Unknown revision"),
        ("ok", "m", "--all", "Invalid revision"),
    ],
)
def test_bad_requests_change_nothing(
    make_repo: Callable[..., Path], run_git_cmd: Git, name: str, message: str, rev: str, match: str
) -> None:
    repo = make_repo()
    run_git_cmd(repo, "tag", "-a", "-m", "old", "existing")
    before = refs(run_git_cmd, repo)
    with pytest.raises(InvalidRequest, match=match):
        create_tag(repo, name, message, rev=rev)
    assert refs(run_git_cmd, repo) == before


def test_not_a_repository(tmp_path: Path) -> None:
    with pytest.raises(NotARepository):
        list_tags(tmp_path)
    with pytest.raises(NotARepository):
        create_tag(tmp_path, "v1", "m")
