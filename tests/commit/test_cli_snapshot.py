"""``jupyter-repro strip | snapshot | diff`` as a user runs them: a separate process in the repo."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from jupyterlab_repro.notebook.clean import clean_text

Git = Callable[..., str]

SCRIPT = Path(sys.executable).parent / "jupyter-repro"


def cli_argv() -> list[str]:
    """The installed console script, or the module when it is not installed."""
    if SCRIPT.exists():
        return [str(SCRIPT)]
    return [sys.executable, "-m", "jupyterlab_repro.cli"]


def run(cwd: Path, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [*cli_argv(), *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
        timeout=120,
        check=False,
    )
    return subprocess.CompletedProcess(
        proc.args, proc.returncode, proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8")
    )


def run_bytes(cwd: Path, *args: str, stdin: bytes) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [*cli_argv(), *args], cwd=cwd, input=stdin, capture_output=True, timeout=120, check=False
    )


def notebook(source: str = "x = 1", output: str = "1\n") -> bytes:
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": 3,
                "id": "c0",
                "metadata": {"scrolled": True},
                "outputs": [{"name": "stdout", "output_type": "stream", "text": [output]}],
                "source": [source],
            }
        ],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return (json.dumps(nb, indent=2) + "\n").encode()


def one_error_line(proc: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert proc.returncode == 3, (proc.stdout, proc.stderr)
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("jupyter repro: error: ")
    for fragment in fragments:
        assert fragment in proc.stderr


# --------------------------------------------------------------------------
# strip


def test_strip_check_exit_codes(tmp_path: Path) -> None:
    dirty = tmp_path / "dirty.ipynb"
    dirty.write_bytes(notebook())
    cleaned = tmp_path / "clean.ipynb"
    cleaned.write_text(clean_text(notebook())[0], encoding="utf-8")

    proc = run(tmp_path, "strip", "--check", "clean.ipynb")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
    proc = run(tmp_path, "strip", "--check", "clean.ipynb", "dirty.ipynb")
    assert (proc.returncode, proc.stdout, proc.stderr) == (1, "would clean dirty.ipynb\n", "")
    assert dirty.read_bytes() == notebook()  # --check writes nothing
    proc = run(tmp_path, "strip", "--check", "--json", "dirty.ipynb")
    assert proc.returncode == 1
    assert json.loads(proc.stdout) == {"changed": ["dirty.ipynb"], "errors": [], "check": True}


def test_strip_in_place_is_idempotent(tmp_path: Path) -> None:
    nb = tmp_path / "a.ipynb"
    nb.write_bytes(notebook())
    proc = run(tmp_path, "strip", "a.ipynb")
    assert (proc.returncode, proc.stdout) == (0, "cleaned a.ipynb\n")
    once = nb.read_bytes()
    assert once == clean_text(notebook())[0].encode()
    proc = run(tmp_path, "strip", "a.ipynb")
    assert (proc.returncode, proc.stdout) == (0, "")
    assert nb.read_bytes() == once
    assert run(tmp_path, "strip", "--check", "a.ipynb").returncode == 0


def test_strip_stdin_round_trip(tmp_path: Path) -> None:
    proc = run_bytes(tmp_path, "strip", "--stdin", stdin=notebook())
    assert proc.returncode == 0 and proc.stderr == b""
    assert proc.stdout == clean_text(notebook())[0].encode()
    again = run_bytes(tmp_path, "strip", "--stdin", stdin=proc.stdout)
    assert again.stdout == proc.stdout
    assert run_bytes(tmp_path, "strip", "--stdin", "--check", stdin=proc.stdout).returncode == 0
    assert run_bytes(tmp_path, "strip", "--stdin", "--check", stdin=notebook()).returncode == 1


def test_strip_usage_errors(tmp_path: Path) -> None:
    for args in (["strip"], ["strip", "--stdin", "a.ipynb"], ["strip", "--bogus", "a.ipynb"]):
        proc = run(tmp_path, *args)
        assert proc.returncode == 2, args
        assert proc.stdout == "" and "usage:" in proc.stderr


def test_strip_errors(tmp_path: Path) -> None:
    (tmp_path / "bad.ipynb").write_text("{nope", encoding="utf-8")
    (tmp_path / "good.ipynb").write_bytes(notebook())
    one_error_line(run(tmp_path, "strip", "bad.ipynb"), "bad.ipynb", "invalid JSON")
    one_error_line(run(tmp_path, "strip", "missing.ipynb"), "missing.ipynb")
    proc = run(tmp_path, "strip", "--json", "bad.ipynb", "good.ipynb")
    assert proc.returncode == 3
    data = json.loads(proc.stdout)
    assert data["changed"] == ["good.ipynb"] and data["errors"][0]["path"] == "bad.ipynb"
    assert run_bytes(tmp_path, "strip", "--stdin", stdin=b"[]").returncode == 3


# --------------------------------------------------------------------------
# snapshot


def test_snapshot_human_and_json(make_repo: Callable[..., Path], run_git_cmd: Git) -> None:
    repo = make_repo()
    (repo / "a.ipynb").write_bytes(notebook())
    (repo / "train.py").write_text("print(1)\n", encoding="utf-8")
    proc = run(
        repo, "snapshot", "a.ipynb", "train.py", "-m", "first try", "--type", "exp",
        "--body", "why", "--tag", "t1", "--tag-message", "acc 0.5",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    sha = run_git_cmd(repo, "rev-parse", "--short=7", "HEAD")
    assert proc.stdout == f"[{sha} on main] exp: first try\ntagged t1\n"
    assert run_git_cmd(repo, "log", "-1", "--format=%B") == "exp: first try\n\nwhy"
    assert run_git_cmd(repo, "ls-tree", "--name-only", "HEAD").splitlines() == [
        "README.md",
        "a.ipynb",
        "train.py",
    ]
    assert (repo / "a.ipynb").read_bytes() == notebook()

    proc = run(repo, "snapshot", "a.ipynb", "-m", "again")
    assert (proc.returncode, proc.stdout) == (
        0,
        "nothing to commit: only outputs or metadata changed\n",
    )

    (repo / "a.ipynb").write_bytes(notebook("x = 2"))
    proc = run(repo, "snapshot", "--json", "a.ipynb", "-m", "json", "--branch", "exp/j")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["committed"] is True and data["branch"] == "exp/j"
    assert data["commit"] == run_git_cmd(repo, "rev-parse", "HEAD")
    assert data["notebooks"][0]["path"] == "a.ipynb"
    assert run_git_cmd(repo, "symbolic-ref", "--short", "HEAD") == "exp/j"

    proc = run(repo, "snapshot", "--json", "a.ipynb", "-m", "json")
    assert json.loads(proc.stdout)["reason"] == "nothing-to-commit"

    (repo / "a.ipynb").write_bytes(notebook("x = 3"))
    proc = run(repo, "snapshot", "a.ipynb", "-m", "clear", "--clear-outputs")
    assert proc.returncode == 0
    assert (repo / "a.ipynb").read_bytes() == clean_text(notebook("x = 3"))[0].encode()


def test_snapshot_unusual_names(
    corpus_dir: Path, make_repo: Callable[..., Path], run_git_cmd: Git
) -> None:
    repo = make_repo()
    for source in sorted((corpus_dir / "names").glob("*.ipynb")):
        shutil.copyfile(source, repo / source.name)
    proc = run(repo, "snapshot", "-m", "x", "--", "-run.ipynb")
    assert proc.returncode == 0, proc.stderr
    proc = run(repo, "snapshot", "-m", "y", "实验 1.ipynb")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.endswith("] y\n")
    tree = run_git_cmd(repo, "-c", "core.quotePath=false", "ls-tree", "--name-only", "HEAD")
    assert set(tree.splitlines()) == {"README.md", "-run.ipynb", "实验 1.ipynb"}
    for name in ("-run.ipynb", "实验 1.ipynb"):
        assert (repo / name).read_bytes() == (corpus_dir / "names" / name).read_bytes()


def test_upper_case_suffix_is_a_notebook(make_repo: Callable[..., Path], run_git_cmd: Git) -> None:
    repo = make_repo()
    (repo / "A.IPYNB").write_bytes(notebook())
    assert run(repo, "snapshot", "A.IPYNB", "-m", "x").returncode == 0
    blob = run_git_cmd(repo, "cat-file", "blob", "HEAD:A.IPYNB") + "\n"
    assert blob == clean_text(notebook())[0]


def test_snapshot_from_a_subfolder(make_repo: Callable[..., Path], run_git_cmd: Git) -> None:
    repo = make_repo()
    (repo / "nbs").mkdir()
    (repo / "nbs" / "a.ipynb").write_bytes(notebook())
    proc = run(repo / "nbs", "snapshot", "a.ipynb", "-m", "sub")
    assert proc.returncode == 0, proc.stderr
    assert run_git_cmd(repo, "ls-tree", "-r", "--name-only", "HEAD").splitlines() == [
        "README.md",
        "nbs/a.ipynb",
    ]


def test_snapshot_usage_errors(make_repo: Callable[..., Path]) -> None:
    repo = make_repo()
    (repo / "a.ipynb").write_bytes(notebook())
    for args in (
        ["snapshot", "a.ipynb"],  # no -m
        ["snapshot", "-m", "x"],  # no path
        ["snapshot", "a.ipynb", "-m", "x", "--type", "wip"],
        ["diff"],
    ):
        proc = run(repo, *args)
        assert proc.returncode == 2, args
        assert proc.stdout == "" and "usage:" in proc.stderr
    assert run(repo, "status", "--json").returncode == 0


def test_snapshot_errors_are_one_line(
    corpus_dir: Path, make_repo: Callable[..., Path], tmp_path: Path, run_git_cmd: Git
) -> None:
    repo = make_repo()
    head = run_git_cmd(repo, "rev-parse", "HEAD")
    shutil.copyfile(corpus_dir / "malformed" / "nbformat__invalid.ipynb", repo / "bad.ipynb")
    (repo / "a.ipynb").write_bytes(notebook())
    (repo / "model.pt").write_bytes(b"w")
    one_error_line(run(repo, "snapshot", "bad.ipynb", "-m", "x"), "invalid notebook")
    one_error_line(run(repo, "snapshot", "a.ipynb", "model.pt", "-m", "x"), "model.pt")
    one_error_line(run(repo, "snapshot", "a.ipynb", "-m", "x", "--branch", "main"), "branch")
    one_error_line(run(repo, "snapshot", "missing.ipynb", "-m", "x"), "missing.ipynb")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "o.ipynb").write_bytes(notebook())
    one_error_line(run(outside, "snapshot", "o.ipynb", "-m", "x"), "not inside a git repository")
    (repo / ".git" / "index.lock").write_bytes(b"")
    one_error_line(run(repo, "snapshot", "a.ipynb", "-m", "x"), "Another git operation")
    proc = run(repo, "snapshot", "--json", "a.ipynb", "-m", "x")
    assert proc.returncode == 3 and "Another git operation" in json.loads(proc.stdout)["error"]
    (repo / ".git" / "index.lock").unlink()
    assert run_git_cmd(repo, "rev-parse", "HEAD") == head


def test_snapshot_hook_rejection_shows_the_hook_output(
    make_repo: Callable[..., Path], run_git_cmd: Git
) -> None:
    repo = make_repo()
    head = run_git_cmd(repo, "rev-parse", "HEAD")
    (repo / "a.ipynb").write_bytes(notebook())
    hook = repo / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\necho 'ruff: 2 errors'\nexit 1\n", encoding="utf-8")
    hook.chmod(0o755)
    proc = run(repo, "snapshot", "a.ipynb", "-m", "x")
    assert proc.returncode == 3
    assert proc.stderr.splitlines() == [
        "ruff: 2 errors",
        "jupyter repro: error: The pre-commit hook rejected the commit.",
    ]
    proc = run(repo, "snapshot", "--json", "a.ipynb", "-m", "x")
    assert json.loads(proc.stdout) == {
        "error": "The pre-commit hook rejected the commit.",
        "output": "ruff: 2 errors",
    }
    assert run_git_cmd(repo, "rev-parse", "HEAD") == head


def test_concurrent_processes_lose_nothing(
    make_repo: Callable[..., Path], run_git_cmd: Git
) -> None:
    """Three terminals snapshot at once: the file lock serializes them."""
    repo = make_repo()
    names = [f"n{i}.ipynb" for i in range(3)]
    for i, name in enumerate(names):
        (repo / name).write_bytes(notebook(f"x = {i}"))
    procs = [
        subprocess.Popen(
            [*cli_argv(), "snapshot", name, "-m", name],
            cwd=repo,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for name in names
    ]
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    assert run_git_cmd(repo, "rev-list", "--count", "HEAD") == "4"
    assert all(
        len(line.split()) == 2
        for line in run_git_cmd(repo, "rev-list", "--parents", "HEAD~3..HEAD").splitlines()
    )
    assert set(names) <= set(run_git_cmd(repo, "ls-tree", "--name-only", "HEAD").splitlines())
    assert run_git_cmd(repo, "fsck", "--strict", "--no-progress") == ""
    assert run_git_cmd(repo, "diff", "--cached", "--name-only") == ""


# --------------------------------------------------------------------------
# diff


def test_diff_human_json_and_errors(make_repo: Callable[..., Path], run_git_cmd: Git) -> None:
    repo = make_repo(files={"a.ipynb": clean_text(notebook("x = 1"))[0]})
    (repo / "a.ipynb").write_bytes(notebook("x = 2", output="changed"))
    proc = run(repo, "diff", "a.ipynb")
    assert proc.returncode == 0, proc.stderr
    assert "-x = 1" in proc.stdout and "+x = 2" in proc.stdout and "changed" not in proc.stdout
    data = json.loads(run(repo, "diff", "--json", "a.ipynb").stdout)
    assert data["path"] == "a.ipynb" and data["summary"]["modified"] == 1
    assert data["text"] == proc.stdout

    run_git_cmd(repo, "commit", "-q", "-am", "second")
    proc = run(repo, "diff", "a.ipynb", "--from", "HEAD~1", "--to", "HEAD")
    assert "+x = 2" in proc.stdout
    proc = run(repo, "diff", "a.ipynb", "--from", "HEAD")
    assert proc.stdout == "no changes (outputs ignored)\n"

    one_error_line(run(repo, "diff", "a.ipynb", "--from", "nope"), "Unknown revision")
    one_error_line(run(repo, "diff", "ghost.ipynb"), "ghost.ipynb")


def test_diff_shows_lines_that_look_like_diff_headers(make_repo: Callable[..., Path]) -> None:
    """A markdown setext underline, a SQL comment, ``++i``: removed and added, all shown."""
    old = "Title\n-----\nSELECT 1 -- all\n--- a\n+++ b\n"
    new = "Title\n=====\nSELECT 1\n++i\n+++ c\n@@ -1 +1 @@\n"
    repo = make_repo(files={"a.ipynb": clean_text(notebook(old))[0]})
    (repo / "a.ipynb").write_bytes(notebook(new))
    proc = run(repo, "diff", "a.ipynb")
    assert proc.returncode == 0, proc.stderr
    for line in ("------", "-SELECT 1 -- all", "---- a", "-+++ b"):
        assert f"\n{line}\n" in proc.stdout, (line, proc.stdout)
    for line in ("+=====", "+SELECT 1", "+++i", "++++ c", "+@@ -1 +1 @@"):
        assert f"\n{line}\n" in proc.stdout, (line, proc.stdout)
    data = json.loads(run(repo, "diff", "--json", "a.ipynb").stdout)
    assert "---- a" in data["cells"][0]["source_diff"]


def test_strip_keeps_what_nbstripout_keeps(tmp_path: Path) -> None:
    """Users moving from nbstripout keep the outputs it kept, in place and in ``--check``."""
    nb = json.loads(notebook("plot()", output="figure"))
    nb["cells"][0]["metadata"]["keep_output"] = True
    nb["cells"].append(json.loads(notebook("init()", output="ready"))["cells"][0])
    nb["cells"][1]["metadata"]["init_cell"] = True
    nb["cells"].append(json.loads(notebook("noise()", output="noise"))["cells"][0])
    for n, cell in enumerate(nb["cells"]):
        cell["id"] = f"c{n}"
    path = tmp_path / "a.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    assert run(tmp_path, "strip", "a.ipynb").returncode == 0
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    assert [bool(c["outputs"]) for c in cells] == [True, True, False]
    assert run(tmp_path, "strip", "--check", "a.ipynb").returncode == 0
    (tmp_path / ".jupyterlab-repro.toml").write_text("nbstripout-markers = false\n")
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    proc = run(tmp_path, "strip", "--check", "a.ipynb")
    assert proc.returncode == 1, proc.stdout + proc.stderr  # the rule is read from the repository
