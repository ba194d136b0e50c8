"""``jupyter repro`` command line: text and JSON output, exit codes, one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from jupyterlab_repro import __version__, cli
from jupyterlab_repro.cli import base

Git = Callable[..., str]

#: The package is not installed in the venv yet: let the child import it from the source tree.
SOURCE_ROOT = Path(cli.__file__).resolve().parents[2]


def run_cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The CLI as a user runs it: a separate process, in ``cwd``."""
    return subprocess.run(
        [sys.executable, "-m", "jupyterlab_repro.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={
            **os.environ,
            "PYTHONIOENCODING": "utf-8",
            "PYTHONPATH": os.pathsep.join(
                [str(SOURCE_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
            ),
        },
        timeout=60,
        check=False,
    )


def test_version() -> None:
    proc = run_cli(Path.cwd(), "--version")
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"jupyter repro {__version__}"


def test_help_lists_status() -> None:
    proc = run_cli(Path.cwd(), "--help")
    assert proc.returncode == 0
    assert "status" in proc.stdout and proc.stderr == ""


def test_no_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([]) == base.EXIT_USAGE
    out, err = capsys.readouterr()
    assert out == "" and "usage: jupyter repro" in err


@pytest.mark.parametrize("argv", [["--bogus"], ["status", "--bogus"], ["nope"]])
def test_bad_flag_exits_2(tmp_path: Path, argv: list[str]) -> None:
    proc = run_cli(tmp_path, *argv)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "usage:" in proc.stderr


def test_bad_flag_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(["status", "--bogus"])
    assert info.value.code == 2
    assert "unrecognized arguments: --bogus" in capsys.readouterr().err


def test_missing_path_exits_3_with_one_line(tmp_path: Path) -> None:
    proc = run_cli(tmp_path, "status", "no such dir")
    assert proc.returncode == 3
    assert proc.stdout == ""
    assert proc.stderr == "jupyter repro: error: No such file or directory: no such dir\n"


def test_missing_path_json_reports_the_error_on_stdout(tmp_path: Path) -> None:
    proc = run_cli(tmp_path, "status", "--json", "gone")
    assert proc.returncode == 3
    assert json.loads(proc.stdout) == {"error": "No such file or directory: gone"}
    assert len(proc.stderr.splitlines()) == 1


def test_git_failure_is_one_line(
    make_repo: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """A repository git cannot read (corrupt HEAD): exit 3, git's reason on one line."""
    repo = make_repo()
    (repo / ".git" / "index").write_bytes(b"garbage, not an index")
    assert cli.main(["status", str(repo)]) == base.EXIT_ERROR
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("jupyter repro: error: git status failed:")
    assert err.count("\n") == 1


def test_status_text_clean(make_repo: Callable[..., Path], run_git_cmd: Git) -> None:
    repo = make_repo()
    sha = run_git_cmd(repo, "rev-parse", "--short", "HEAD")
    proc = run_cli(repo, "status")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    lines = proc.stdout.splitlines()
    assert lines[0] == "repository: ."
    assert lines[1] == "branch:     main"
    assert lines[2] == f"HEAD:       {sha} feat: first commit"
    assert lines[3].startswith("            Repro Tester, 20")
    assert lines[4] == "changes:    none (working tree clean)"
    assert len(lines) == 5


def test_status_text_dirty_file(make_repo: Callable[..., Path], run_git_cmd: Git) -> None:
    repo = make_repo(files={"exp/实验 1.ipynb": "{}\n", "b.txt": "b\n"})
    (repo / "exp" / "实验 1.ipynb").write_text("{ }\n", encoding="utf-8")
    (repo / "b.txt").write_text("staged\n", encoding="utf-8")
    run_git_cmd(repo, "add", "b.txt")
    (repo / "new.txt").write_text("n\n", encoding="utf-8")
    proc = run_cli(repo, "status", "exp/实验 1.ipynb")
    assert proc.returncode == 0, proc.stderr
    assert "changes:    1 staged, 1 unstaged, 1 untracked, 0 conflicted" in proc.stdout
    assert "file:       exp/实验 1.ipynb is modified" in proc.stdout


def test_status_text_detached_and_no_commits(
    make_repo: Callable[..., Path], run_git_cmd: Git
) -> None:
    repo = make_repo()
    run_git_cmd(repo, "checkout", "--quiet", "--detach")
    assert "branch:     (detached HEAD)" in run_cli(repo, "status").stdout
    empty = make_repo("empty", commit=False)
    out = run_cli(empty, "status").stdout
    assert "HEAD:       no commits yet" in out
    assert "1 untracked" in out


def test_status_text_upstream(
    make_repo: Callable[..., Path], run_git_cmd: Git, tmp_path: Path
) -> None:
    repo = make_repo()
    run_git_cmd(tmp_path, "init", "--quiet", "--bare", "remote.git")
    run_git_cmd(repo, "remote", "add", "origin", str(tmp_path / "remote.git"))
    run_git_cmd(repo, "push", "--quiet", "-u", "origin", "main")
    run_git_cmd(repo, "commit", "--quiet", "--allow-empty", "-m", "local")
    out = run_cli(repo, "status").stdout
    assert "upstream:   origin/main (ahead 1, behind 0)" in out


def test_status_outside_a_repository(tmp_path: Path, no_identity: None) -> None:
    (tmp_path / "-x").mkdir()
    proc = run_cli(tmp_path, "status", "--", "-x")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == f"{(tmp_path / '-x').resolve()}: not inside a git repository"
    assert "git init" in lines[1]
    assert lines[-1].startswith("identity:   missing")


def test_status_json(make_repo: Callable[..., Path], run_git_cmd: Git) -> None:
    repo = make_repo(files={"sub/nb.ipynb": "{}\n"})
    (repo / "sub" / "new.ipynb").write_text("{}\n", encoding="utf-8")
    proc = run_cli(repo / "sub", "status", "--json", "new.ipynb")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert set(report) == {
        "version",
        "path",
        "kind",
        "directory",
        "repository",
        "reason",
        "identity",
    }
    assert report["version"] == __version__
    assert (report["path"], report["kind"], report["directory"]) == ("new.ipynb", "file", "")
    assert report["reason"] is None
    assert report["identity"] == {
        "name": "Repro Tester",
        "email": "tester@example.com",
        "missing": False,
    }
    r = report["repository"]
    # The repository starts above the folder the command ran in.
    assert r["root"] is None and r["contains_server_root"] is True
    assert r["branch"] == "main" and r["file_state"] == "untracked"
    assert r["head"]["sha"] == run_git_cmd(repo, "rev-parse", "HEAD")
    assert r["changes"] == {
        "staged": 0,
        "unstaged": 0,
        "untracked": 1,
        "conflicted": 0,
        "dirty": True,
    }


def test_status_json_in_process_for_a_target_outside_cwd(
    make_repo: Callable[..., Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    repo = make_repo("elsewhere")
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert cli.main(["status", "--json", str(repo)]) == base.EXIT_OK
    report = json.loads(capsys.readouterr().out)
    assert report["path"] == "" and report["repository"]["root"] == ""
    assert report["repository"]["contains_server_root"] is False


def test_status_json_not_a_repository(tmp_path: Path) -> None:
    report = json.loads(run_cli(tmp_path, "status", "--json").stdout)
    assert report["repository"] is None
    assert report["reason"] == "not-a-repository"


def test_status_text_in_a_subfolder_names_the_repository(
    make_repo: Callable[..., Path],
) -> None:
    repo = make_repo(files={"notebooks/a.ipynb": "{}\n"})
    proc = run_cli(repo / "notebooks", "status", "a.ipynb")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == f"repository: {repo.resolve()}"
    assert "file:       a.ipynb is unmodified" in proc.stdout
