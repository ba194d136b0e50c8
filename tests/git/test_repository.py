"""The git room (:mod:`jupyterlab_repro.git`) and repository init, against real repositories in temp dirs."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from jupyterlab_repro.commit.gitignore import ML_GITIGNORE_RULES
from jupyterlab_repro.commit.init import INITIAL_COMMIT_MESSAGE, init_repository
from jupyterlab_repro.deadline import Deadline
from jupyterlab_repro.errors import (
    GitError,
    GitNotInstalled,
    GitTimeout,
    IdentityMissing,
    InvalidRequest,
    NotARepository,
    RepositoryExists,
    UnsafeRepository,
)
from jupyterlab_repro.git.repository import (
    find_repository,
    get_identity,
    repository_id,
    set_identity,
)
from jupyterlab_repro.git.runner import run_git
from jupyterlab_repro.git.status import repository_status, status_report

Git = Callable[..., str]


def snapshot_tree(path: Path) -> dict[str, bytes | None]:
    """Every entry below ``path`` with its bytes (``None`` for folders): 'nothing changed'."""
    out: dict[str, bytes | None] = {}
    for entry in sorted(path.rglob("*")):
        rel = entry.relative_to(path).as_posix()
        out[rel] = None if entry.is_dir() or entry.is_symlink() else entry.read_bytes()
    return out


# --- run_git -----------------------------------------------------------------


def test_run_git_returns_output(make_repo: Callable[..., Path]) -> None:
    repo = make_repo()
    proc = run_git(["rev-parse", "--abbrev-ref", "HEAD"], repo)
    assert proc.stdout.strip() == b"main"


def test_run_git_failure_carries_gits_message(tmp_path: Path) -> None:
    with pytest.raises(GitError) as info:
        run_git(["log", "-1"], tmp_path)
    assert str(info.value).startswith("git log failed: fatal: not a git repository")
    assert "not a git repository" in info.value.stderr


def test_run_git_timeout(tmp_path: Path) -> None:
    with pytest.raises(GitTimeout, match=r"git slow did not finish within 0.3 s"):
        run_git(["-c", "alias.slow=!sleep 2", "slow"], tmp_path, deadline=Deadline(0.3))


def test_run_git_without_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    with pytest.raises(GitNotInstalled, match="git is not installed"):
        run_git(["--version"], tmp_path)


def test_read_only_calls_do_not_take_optional_locks(make_repo: Callable[..., Path]) -> None:
    repo = make_repo()
    env = "alias.e=!printenv GIT_OPTIONAL_LOCKS GIT_TERMINAL_PROMPT EXTRA"
    out = run_git(["-c", env, "e"], repo, read_only=True, env={"EXTRA": "x"})
    assert out.stdout.split() == [b"0", b"0", b"x"]
    with pytest.raises(GitError):  # printenv fails: GIT_OPTIONAL_LOCKS is not set
        run_git(["-c", env, "e"], repo, env={"EXTRA": "x"})


# --- discovery ---------------------------------------------------------------


def test_find_repository(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    repo = make_repo("a repo", files={"nb/x.ipynb": "{}"})
    assert find_repository(repo) == repo.resolve()
    assert find_repository(repo / "nb") == repo.resolve()
    assert find_repository(repo / "nb" / "x.ipynb") == repo.resolve()
    plain = tmp_path / "plain"
    plain.mkdir()
    assert find_repository(plain) is None


def test_find_repository_through_a_symlink(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    repo = make_repo()
    (tmp_path / "alias").symlink_to(repo)
    assert find_repository(tmp_path / "alias") == repo.resolve()


# --- repository_status -------------------------------------------------------


def test_clean_repository(make_repo: Callable[..., Path]) -> None:
    repo = make_repo()
    st = repository_status(repo)
    assert st.root == repo.resolve()
    assert (st.branch, st.detached, st.has_commits) == ("main", False, True)
    assert st.upstream is None and st.ahead is None and st.behind is None
    assert st.head is not None
    assert len(st.head.sha) == 40 and st.head.sha.startswith(st.head.short_sha)
    assert st.head.subject == "feat: first commit"
    assert (st.head.author_name, st.head.author_email) == ("Repro Tester", "tester@example.com")
    assert st.head.authored_at[:2] == "20" and "T" in st.head.committed_at
    assert not st.changes.dirty
    assert st.file_state is None
    data = st.as_dict()
    assert data["dirty"] is False and data["changes"]["dirty"] is False
    assert data["root"] == str(repo.resolve())


def test_dirty_counts(make_repo: Callable[..., Path], run_git_cmd: Git) -> None:
    repo = make_repo(files={"a.txt": "a\n", "b.txt": "b\n", "c.txt": "c\n"})
    (repo / "a.txt").write_text("changed\n", encoding="utf-8")  # unstaged
    (repo / "b.txt").write_text("staged\n", encoding="utf-8")
    run_git_cmd(repo, "add", "b.txt")  # staged
    (repo / "c.txt").write_text("both\n", encoding="utf-8")
    run_git_cmd(repo, "add", "c.txt")
    (repo / "c.txt").write_text("both, again\n", encoding="utf-8")  # staged + unstaged
    (repo / "new.txt").write_text("n\n", encoding="utf-8")
    (repo / "newdir").mkdir()
    (repo / "newdir" / "x").write_text("x\n", encoding="utf-8")
    (repo / "newdir" / "y").write_text("y\n", encoding="utf-8")
    st = repository_status(repo)
    assert (st.changes.staged, st.changes.unstaged) == (2, 2)
    assert st.changes.untracked == 2  # new.txt and newdir/ (one entry per untracked folder)
    assert st.changes.conflicted == 0
    assert st.changes.dirty and st.as_dict()["dirty"] is True


@pytest.mark.parametrize(
    ("setup", "state"),
    [
        ("none", "unmodified"),
        ("modify", "modified"),
        ("stage", "modified"),
        ("untrack", "untracked"),  # `git rm --cached`: deletion staged, file still here
        ("new-staged", "added"),
        ("untracked", "untracked"),
        ("untracked-folder", "untracked"),
        ("ignored", "ignored"),
    ],
)
def test_file_state(
    make_repo: Callable[..., Path], run_git_cmd: Git, setup: str, state: str
) -> None:
    repo = make_repo(files={"nb.ipynb": "{}\n", ".gitignore": "*.ckpt\n"})
    target = repo / "nb.ipynb"
    if setup == "modify":
        target.write_text('{"x": 1}\n', encoding="utf-8")
    elif setup == "stage":
        target.write_text('{"x": 1}\n', encoding="utf-8")
        run_git_cmd(repo, "add", "nb.ipynb")
    elif setup == "untrack":
        run_git_cmd(repo, "rm", "--quiet", "--cached", "nb.ipynb")
    elif setup == "new-staged":
        target = repo / "new.ipynb"
        target.write_text("{}\n", encoding="utf-8")
        run_git_cmd(repo, "add", "new.ipynb")
    elif setup == "untracked":
        target = repo / "new.ipynb"
        target.write_text("{}\n", encoding="utf-8")
    elif setup == "untracked-folder":
        (repo / "exp" / "run").mkdir(parents=True)
        target = repo / "exp" / "run" / "new.ipynb"
        target.write_text("{}\n", encoding="utf-8")
    elif setup == "ignored":
        target = repo / "model.ckpt"
        target.write_bytes(b"\0weights")
    assert repository_status(target).file_state == state


def test_file_state_with_pathspec_characters(make_repo: Callable[..., Path]) -> None:
    """``[x]*.ipynb`` is a file name here, not a glob that matches other files."""
    repo = make_repo(files={"[x]*.ipynb": "{}\n", "x1.ipynb": "{}\n"})
    (repo / "x1.ipynb").write_text("changed\n", encoding="utf-8")
    assert repository_status(repo / "[x]*.ipynb").file_state == "unmodified"
    ignored = repo / "[a]"
    (repo / ".gitignore").write_text("[[]a]\n", encoding="utf-8")
    ignored.write_text("x", encoding="utf-8")
    assert repository_status(ignored).file_state == "ignored"


def test_rename_record_is_parsed(make_repo: Callable[..., Path], run_git_cmd: Git) -> None:
    """Porcelain v2 type 2: the original path is its own NUL record and must be skipped.

    Names that look like records ("1 …", "? …", "u …") would be miscounted if not.
    """
    text = "line of text that keeps the rename detectable\n" * 20
    repo = make_repo(files={"1 old.txt": text, "? odd.txt": text, "u x": text})
    run_git_cmd(repo, "mv", "--", "1 old.txt", "实验 1.txt")
    run_git_cmd(repo, "mv", "--", "? odd.txt", "-renamed.txt")
    run_git_cmd(repo, "mv", "--", "u x", "u y")
    (repo / "-renamed.txt").write_text(text + "more\n", encoding="utf-8")
    (repo / "untracked.txt").write_text("u\n", encoding="utf-8")
    out = run_git(["status", "--porcelain=v2", "-z"], repo).stdout
    assert out.count(b"2 R") == 3  # the setup really produced rename records
    st = repository_status(repo)
    assert (st.changes.staged, st.changes.unstaged, st.changes.untracked) == (3, 1, 1)
    assert st.changes.conflicted == 0
    assert repository_status(repo / "实验 1.txt").file_state == "renamed"
    assert repository_status(repo / "-renamed.txt").file_state == "modified"


def make_conflict(repo: Path, git: Git) -> None:
    git(repo, "checkout", "--quiet", "-b", "other")
    (repo / "nb.ipynb").write_text('{"side": "other"}\n', encoding="utf-8")
    git(repo, "commit", "--quiet", "-am", "other side")
    git(repo, "checkout", "--quiet", "main")
    (repo / "nb.ipynb").write_text('{"side": "main"}\n', encoding="utf-8")
    git(repo, "commit", "--quiet", "-am", "main side")
    with pytest.raises(Exception, match="returned non-zero exit status 1"):
        git(repo, "merge", "--quiet", "other")


def test_merge_conflict(make_repo: Callable[..., Path], run_git_cmd: Git) -> None:
    repo = make_repo(files={"nb.ipynb": "{}\n", "other.txt": "o\n"})
    make_conflict(repo, run_git_cmd)
    st = repository_status(repo)
    assert st.changes.conflicted == 1
    assert (st.changes.staged, st.changes.unstaged) == (0, 0)
    assert st.changes.dirty
    assert repository_status(repo / "nb.ipynb").file_state == "conflicted"
    assert repository_status(repo / "other.txt").file_state == "unmodified"


def test_detached_head(make_repo: Callable[..., Path], run_git_cmd: Git) -> None:
    repo = make_repo()
    sha = run_git_cmd(repo, "rev-parse", "HEAD")
    run_git_cmd(repo, "checkout", "--quiet", "--detach")
    st = repository_status(repo)
    assert st.detached is True and st.branch is None
    assert st.head is not None and st.head.sha == sha


def test_no_commits(make_repo: Callable[..., Path]) -> None:
    repo = make_repo(commit=False)
    st = repository_status(repo)
    assert (st.has_commits, st.head, st.branch, st.detached) == (False, None, "main", False)
    assert st.changes.untracked == 1


def test_repository_id_is_the_root_commit_in_every_clone(
    make_repo: Callable[..., Path], run_git_cmd: Git, tmp_path: Path
) -> None:
    repo = make_repo()
    root = run_git_cmd(repo, "rev-parse", "HEAD")
    (repo / "more.txt").write_text("x\n", encoding="utf-8")
    run_git_cmd(repo, "add", "more.txt")
    run_git_cmd(repo, "commit", "--quiet", "-m", "feat: more")
    assert repository_id(repo, max_age=0) == root
    clone = tmp_path / "clone dir"
    run_git_cmd(tmp_path, "clone", "--quiet", str(repo), str(clone))
    assert repository_id(clone, max_age=0) == root


def test_repository_id_with_two_roots_is_the_smaller(
    make_repo: Callable[..., Path], run_git_cmd: Git
) -> None:
    repo = make_repo()
    other = make_repo("other", files={"b.txt": "b\n"})
    roots = {run_git_cmd(repo, "rev-parse", "HEAD"), run_git_cmd(other, "rev-parse", "HEAD")}
    run_git_cmd(repo, "fetch", "--quiet", str(other), "main")
    run_git_cmd(
        repo, "merge", "--quiet", "--allow-unrelated-histories", "-m", "chore: join", "FETCH_HEAD"
    )
    assert repository_id(repo, max_age=0) == min(roots)


def test_repository_id_before_the_first_commit_is_asked_again(
    make_repo: Callable[..., Path], run_git_cmd: Git
) -> None:
    repo = make_repo(commit=False)
    assert repository_id(repo) is None
    run_git_cmd(repo, "add", "--all")
    run_git_cmd(repo, "commit", "--quiet", "-m", "feat: first")
    assert repository_id(repo) == run_git_cmd(repo, "rev-parse", "HEAD")


def test_repository_id_is_remembered_for_max_age(
    make_repo: Callable[..., Path], run_git_cmd: Git
) -> None:
    repo = make_repo()
    first = repository_id(repo)
    # A rewritten history with a new root: the remembered answer stands …
    run_git_cmd(repo, "checkout", "--quiet", "--orphan", "fresh")
    run_git_cmd(repo, "commit", "--quiet", "-m", "feat: new root")
    assert repository_id(repo) == first
    # … until it is older than the caller allows.
    assert repository_id(repo, max_age=0) == run_git_cmd(repo, "rev-parse", "HEAD")


def test_not_a_repository(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    with pytest.raises(NotARepository):
        repository_status(tmp_path / "plain")


def test_upstream_ahead_and_behind(
    make_repo: Callable[..., Path], run_git_cmd: Git, tmp_path: Path
) -> None:
    repo = make_repo()
    remote = tmp_path / "remote.git"
    run_git_cmd(tmp_path, "init", "--quiet", "--bare", str(remote))
    run_git_cmd(repo, "remote", "add", "origin", str(remote))
    run_git_cmd(repo, "push", "--quiet", "-u", "origin", "main")
    st = repository_status(repo)
    assert (st.upstream, st.ahead, st.behind) == ("origin/main", 0, 0)

    (repo / "a.txt").write_text("a\n", encoding="utf-8")
    run_git_cmd(repo, "add", "a.txt")
    run_git_cmd(repo, "commit", "--quiet", "-m", "local")
    st = repository_status(repo)
    assert (st.ahead, st.behind) == (1, 0)

    other = tmp_path / "other"
    run_git_cmd(tmp_path, "clone", "--quiet", str(remote), str(other))
    for n in range(2):
        (other / f"o{n}.txt").write_text("o\n", encoding="utf-8")
        run_git_cmd(other, "add", "--all")
        run_git_cmd(other, "commit", "--quiet", "-m", f"remote {n}")
    run_git_cmd(other, "push", "--quiet")
    run_git_cmd(repo, "fetch", "--quiet")
    st = repository_status(repo)
    assert (st.ahead, st.behind) == (1, 2)


def test_status_report_above_the_root(make_repo: Callable[..., Path]) -> None:
    repo = make_repo(files={"work/nb.ipynb": "{}\n"})
    report = status_report(repo / "work", repo / "work" / "nb.ipynb")
    assert report["path"] == "nb.ipynb" and report["kind"] == "file"
    assert report["directory"] == ""
    assert report["repository"]["root"] is None
    assert report["repository"]["contains_server_root"] is True
    assert report["repository"]["file_state"] == "unmodified"
    assert str(repo) not in repr(report)  # no absolute path outside the root leaks


# --- identity ----------------------------------------------------------------


def test_identity_from_config_and_env(
    make_repo: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_repo()
    ident = get_identity(repo)
    assert ident.as_dict() == {
        "name": "Repro Tester",
        "email": "tester@example.com",
        "missing": False,
    }
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Env Name")
    assert get_identity(repo).name == "Env Name"


def test_identity_missing(no_identity: None, tmp_path: Path) -> None:
    ident = get_identity(tmp_path)
    assert (ident.name, ident.email, ident.missing) == (None, None, True)


def test_set_identity_repository_scope(
    make_repo: Callable[..., Path], run_git_cmd: Git, isolated_git: Path
) -> None:
    repo = make_repo(files={"sub/x": "x"})
    before = isolated_git.read_text(encoding="utf-8")
    ident = set_identity(repo / "sub", "  Ada Lovelace ", "ada@example.org")
    assert (ident.name, ident.email) == ("Ada Lovelace", "ada@example.org")
    assert run_git_cmd(repo, "config", "--local", "user.name") == "Ada Lovelace"
    assert isolated_git.read_text(encoding="utf-8") == before


def test_set_identity_global_scope(tmp_path: Path, isolated_git: Path, no_identity: None) -> None:
    ident = set_identity(tmp_path, "Grace", "grace@example.org", scope="global")
    assert not ident.missing
    assert "grace@example.org" in isolated_git.read_text(encoding="utf-8")


def test_set_identity_repository_scope_outside_a_repository(tmp_path: Path) -> None:
    with pytest.raises(NotARepository):
        set_identity(tmp_path, "A", "a@example.org")


@pytest.mark.parametrize(
    ("name", "email", "scope"),
    [
        ("", "a@example.org", "repository"),
        ("A", "", "repository"),
        ("A", "not-an-email", "repository"),
        ("A", "two words@example.org", "repository"),
        ("A", "a@b@c", "repository"),
        ("A\nB", "a@example.org", "repository"),
        ("<A>", "a@example.org", "repository"),
        ("A", "a@example.org", "system"),
    ],
)
def test_set_identity_rejects_bad_input(
    make_repo: Callable[..., Path], run_git_cmd: Git, name: str, email: str, scope: str
) -> None:
    repo = make_repo()
    config_before = (repo / ".git" / "config").read_bytes()
    with pytest.raises(InvalidRequest):
        set_identity(repo, name, email, scope=scope)
    assert (repo / ".git" / "config").read_bytes() == config_before


# --- init_repository ---------------------------------------------------------


def test_init_creates_repo_gitignore_and_first_commit(tmp_path: Path, run_git_cmd: Git) -> None:
    target = tmp_path / "project"
    target.mkdir()
    (target / "train.ipynb").write_text("{}\n", encoding="utf-8")
    result = init_repository(target)
    assert result.root == target.resolve()
    assert result.branch == "main"
    assert result.gitignore_created is True
    assert run_git_cmd(target, "rev-parse", "HEAD") == result.commit
    assert run_git_cmd(target, "log", "--format=%s") == INITIAL_COMMIT_MESSAGE
    assert run_git_cmd(target, "ls-tree", "-r", "--name-only", "HEAD") == ".gitignore"
    lines = (target / ".gitignore").read_text(encoding="utf-8").splitlines()
    for rule in ML_GITIGNORE_RULES:
        assert rule in lines
    # the notebook is left alone, untracked
    assert run_git_cmd(target, "status", "--porcelain") == "?? train.ipynb"
    assert not list(target.glob("*.repro-tmp"))


def test_init_respects_init_default_branch(
    tmp_path: Path, run_git_cmd: Git, isolated_git: Path
) -> None:
    isolated_git.write_text(
        isolated_git.read_text(encoding="utf-8").replace("= main", "= trunk"), encoding="utf-8"
    )
    assert init_repository(tmp_path).branch == "trunk"


def test_init_keeps_existing_gitignore_and_appends_missing_rules(
    tmp_path: Path, run_git_cmd: Git
) -> None:
    original = b"# mine\r\n*.pt\r\nsecret-\xff.bin\r\nmlruns/\r\nlogs/\r\nmlflow.db"
    (tmp_path / ".gitignore").write_bytes(original)
    result = init_repository(tmp_path)
    assert result.gitignore_created is False
    data = (tmp_path / ".gitignore").read_bytes()
    assert data.startswith(original + b"\n")  # kept byte for byte, even non-UTF-8
    added = data[len(original) + 1 :].decode("utf-8").splitlines()
    assert added[:2] == ["", "# Added by jupyterlab-repro"]
    assert "*.pt" not in added and "mlruns/" not in added
    assert "*.pth" in added and ".env" in added
    # a group whose rules are all present gets no orphan header
    assert "# Experiment tracking and logs" not in added
    assert run_git_cmd(tmp_path, "ls-tree", "-r", "--name-only", "HEAD") == ".gitignore"


def test_init_with_complete_gitignore_leaves_it_untouched(tmp_path: Path) -> None:
    complete = ("\n".join(ML_GITIGNORE_RULES[::-1]) + "\nextra\n").encode()
    (tmp_path / ".gitignore").write_bytes(complete)
    init_repository(tmp_path)
    assert (tmp_path / ".gitignore").read_bytes() == complete


def test_init_refuses_inside_a_repository(make_repo: Callable[..., Path]) -> None:
    repo = make_repo(files={"sub/x": "x"})
    before = snapshot_tree(repo)
    with pytest.raises(RepositoryExists):
        init_repository(repo)
    with pytest.raises(RepositoryExists):
        init_repository(repo / "sub")
    assert snapshot_tree(repo) == before


@pytest.mark.parametrize("kind", ["garbage-file", "empty-dir", "dangling-symlink"])
def test_init_refuses_an_unreadable_git_entry(tmp_path: Path, kind: str) -> None:
    target = tmp_path / "p"
    target.mkdir()
    (target / "keep.txt").write_text("k", encoding="utf-8")
    if kind == "garbage-file":
        (target / ".git").write_bytes(b"\x00\xffnot a gitfile")
    elif kind == "empty-dir":
        (target / ".git").mkdir()
    else:
        (target / ".git").symlink_to(tmp_path / "nowhere")
    before = snapshot_tree(target)
    with pytest.raises(RepositoryExists, match=r"\.git"):
        init_repository(target)
    assert snapshot_tree(target) == before
    assert os.path.lexists(target / ".git")


def test_init_without_identity_writes_nothing(tmp_path: Path, no_identity: None) -> None:
    (tmp_path / "nb.ipynb").write_text("{}", encoding="utf-8")
    before = snapshot_tree(tmp_path)
    with pytest.raises(IdentityMissing, match="user.name"):
        init_repository(tmp_path)
    assert snapshot_tree(tmp_path) == before


def test_init_with_given_identity_stores_it_in_the_repository(
    tmp_path: Path, no_identity: None, run_git_cmd: Git, isolated_git: Path
) -> None:
    init_repository(tmp_path, name="Ada", email="ada@example.org")
    assert run_git_cmd(tmp_path, "config", "--local", "user.email") == "ada@example.org"
    assert run_git_cmd(tmp_path, "log", "--format=%an <%ae>") == "Ada <ada@example.org>"
    assert "ada@" not in isolated_git.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("name", "email"), [("Ada", None), (None, "a@example.org"), ("Ada", "nope"), ("", "")]
)
def test_init_with_bad_identity_writes_nothing(
    tmp_path: Path, name: str | None, email: str | None
) -> None:
    (tmp_path / ".gitignore").write_text("mine\n", encoding="utf-8")
    before = snapshot_tree(tmp_path)
    with pytest.raises(InvalidRequest):
        init_repository(tmp_path, name=name, email=email)
    assert snapshot_tree(tmp_path) == before


def test_init_rolls_back_when_the_commit_fails(tmp_path: Path, isolated_git: Path) -> None:
    """A real failure after ``git init``: signing required, but the signer always fails."""
    with isolated_git.open("a", encoding="utf-8") as fh:
        fh.write("[commit]\n\tgpgsign = true\n[gpg]\n\tprogram = false\n")
    (tmp_path / ".gitignore").write_bytes(b"mine\n")
    (tmp_path / "nb.ipynb").write_text("{}", encoding="utf-8")
    before = snapshot_tree(tmp_path)
    with pytest.raises(GitError, match="git commit failed"):
        init_repository(tmp_path)
    assert snapshot_tree(tmp_path) == before


def test_init_rolls_back_a_new_gitignore(tmp_path: Path, isolated_git: Path) -> None:
    with isolated_git.open("a", encoding="utf-8") as fh:
        fh.write("[commit]\n\tgpgsign = true\n[gpg]\n\tprogram = false\n")
    with pytest.raises(GitError):
        init_repository(tmp_path)
    assert snapshot_tree(tmp_path) == {}


def test_init_refuses_a_file(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x", encoding="utf-8")
    with pytest.raises(InvalidRequest, match="Not a directory"):
        init_repository(tmp_path / "f")


def chown_tree(path: Path, uid: int) -> None:
    for entry in [path, *path.rglob("*")]:
        os.lchown(entry, uid, -1)


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0,
    reason="needs root to make a repository owned by another user",
)
def test_repository_owned_by_another_user(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    """git's safe.directory refusal is reported as such, not as 'not a repository'."""
    repo = make_repo(files={"nb.ipynb": "{}\n"})
    chown_tree(repo, 4242)
    with pytest.raises(UnsafeRepository, match="safe.directory"):
        repository_status(repo / "nb.ipynb")
    before = snapshot_tree(repo)
    with pytest.raises(UnsafeRepository):
        init_repository(repo)
    assert snapshot_tree(repo) == before
