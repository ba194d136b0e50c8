"""Nothing outside ``jupyterlab_repro/git/`` builds a git command line (LAYOUT: "one git door").

Read from the source with :mod:`ast`: a call of a git runner (``.run`` /
``.read`` / ``.write`` / ``.succeeds`` / ``.stream``, ``run_git``) or of
``subprocess`` whose first argument is a git subcommand or global option (or
a list starting with one, or with ``"git"``), and a list literal that looks
like git arguments (a subcommand followed by an option, ``["git", …]``,
``("-c", "key=value")``). Each hit is named as ``file:line``.
"""

from __future__ import annotations

import ast
import subprocess
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "jupyterlab_repro"
DOOR = PACKAGE / "git"

#: Methods and functions that start a process or a git call.
_CALLS = {
    "run",
    "read",
    "write",
    "succeeds",
    "stream",
    "run_git",
    "check_output",
    "check_call",
    "call",
    "Popen",
    "spawn",
}

#: git's subcommands (a fixed list, so the answer does not depend on the git installed;
#: the installed git's own list is added below).
_SUBCOMMANDS = set(
    """
    add am annotate apply archive bisect blame branch bundle cat-file check-attr check-ignore
    check-mailmap check-ref-format checkout checkout-index cherry cherry-pick clean clone
    commit commit-graph commit-tree config count-objects describe diff diff-files diff-index
    diff-tree difftool fast-export fast-import fetch fetch-pack filter-branch for-each-ref
    for-each-repo format-patch fsck gc grep hash-object help hook index-pack init interpret-trailers
    log ls-files ls-remote ls-tree maintenance merge merge-base merge-file merge-tree mktag
    mktree multi-pack-index mv name-rev notes pack-objects pack-refs prune pull push range-diff
    read-tree rebase reflog remote repack replace rerere reset restore rev-list rev-parse revert
    rm send-pack shortlog show show-branch show-ref sparse-checkout stash status submodule
    switch symbolic-ref tag unpack-objects update-index update-ref update-server-info var
    verify-commit verify-pack verify-tag version whatchanged worktree write-tree lfs
    """.split()
)

#: Options git takes before the subcommand.
_GLOBAL_OPTIONS = ("-c", "-C", "--git-dir", "--work-tree", "--namespace", "--literal-pathspecs")


def _installed_subcommands() -> set[str]:
    try:
        out = subprocess.run(
            ["git", "--list-cmds=main,others,nohelpers"],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return set()
    return set(out.split())


SUBCOMMANDS = _SUBCOMMANDS | _installed_subcommands()


def _is_git_word(value: str) -> bool:
    """``git``, a subcommand, or a global option (``-c``, ``--work-tree=…``)."""
    return (
        value == "git"
        or value in SUBCOMMANDS
        or any(value == o or value.startswith(o + "=") for o in _GLOBAL_OPTIONS)
    )


def _string(node: ast.AST) -> str | None:
    """A string literal's value; an f-string's text before its first ``{}``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        prefix = ""
        for part in node.values:
            if not (isinstance(part, ast.Constant) and isinstance(part.value, str)):
                break
            prefix += part.value
        return prefix
    return None


def _first_argument(call: ast.Call) -> str | None:
    """The first positional argument as a string (skipping ``*spread``), or a list's first item."""
    for arg in call.args:
        if isinstance(arg, ast.Starred):
            continue
        if isinstance(arg, (ast.List, ast.Tuple)):
            return _string(arg.elts[0]) if arg.elts else None
        return _string(arg)
    return None


def _looks_like_argv(node: ast.List | ast.Tuple) -> bool:
    """``["git", …]``, ``("-c", "key=value", …)``, or ``[<subcommand>, …, "-<option>", …]`` (a list)."""
    words = [_string(e) for e in node.elts]
    if not words or words[0] is None:
        return False
    first = words[0]
    if first == "git":
        return True
    if first in ("-c", "-C") and len(words) > 1 and words[1] is not None:
        return first == "-C" or "=" in words[1]
    return (
        isinstance(node, ast.List)
        and first in SUBCOMMANDS
        and any(w is not None and w.startswith("-") for w in words[1:])
    )


def git_argv(source: str, filename: str = "<source>") -> list[tuple[int, str]]:
    """``(line, what)`` of every git command line ``source`` builds."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Call):
            func = node.func
            name = (
                func.attr
                if isinstance(func, ast.Attribute)
                else func.id
                if isinstance(func, ast.Name)
                else None
            )
            first = _first_argument(node)
            if name in _CALLS and first is not None and _is_git_word(first):
                found.append((node.lineno, f"{name}({first!r}, …)"))
        elif isinstance(node, (ast.List, ast.Tuple)) and _looks_like_argv(node):
            found.append((node.lineno, f"[{_string(node.elts[0])!r}, …]"))
    return sorted(set(found))


def test_no_git_argv_outside_the_git_room() -> None:
    hits = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.is_relative_to(DOOR):
            continue
        rel = path.relative_to(PACKAGE.parent).as_posix()
        for line, what in git_argv(path.read_text(encoding="utf-8"), rel):
            hits.append(f"{rel}:{line}: {what}")
    assert not hits, "git argv built outside jupyterlab_repro/git/:\n" + "\n".join(hits)


def test_the_git_room_is_where_argv_is_built() -> None:
    """The scan sees the door's own calls (it would not pass for want of seeing anything)."""
    hits = git_argv((DOOR / "objects.py").read_text(encoding="utf-8"))
    assert len(hits) >= 5


@pytest.mark.parametrize(
    "source",
    [
        'git.run("update-ref", "-d", ref)',
        'git.read("rev-parse", "HEAD")',
        'Git(root, deadline).read("rev-parse", "--git-common-dir")',
        'staged.write("write-tree")',
        'git.succeeds("diff", "--quiet", a, b)',
        'git.run(*flags, "switch", name)',
        'git.run("-c", "core.hooksPath=/dev/null", "worktree", "add")',
        'literal.run(f"--work-tree={scratch}", "update-index")',
        'run_git(["rev-parse", "--show-toplevel"], cwd)',
        'subprocess.run(["git", "status"], cwd=root)',
        'subprocess.Popen(("git", "log"))',
        'args = ["commit-tree", tree, "-m", message]',
        'args = ["stash", "push", "--quiet", "--", *files]',
        'NO_HOOKS = ("-c", "core.hooksPath=/dev/null")',
    ],
)
def test_the_scan_finds_git_argv(source: str) -> None:
    assert git_argv(source), source


@pytest.mark.parametrize(
    "source",
    [
        "await self.run(snapshot, paths, message)",
        'self.stream.write("\\n")',
        'PHASES = ("checkout", "kernel", "recording")',
        'routes = [("status", StatusHandler), ("diff", DiffHandler)]',
        'rows = [("commit", sha), ("status", run["status"])]',
        'subprocess.run([python, "-c", script])',
        'subprocess.run([exe, "--query-gpu=name", "--format=csv"])',
    ],
)
def test_the_scan_leaves_other_calls_alone(source: str) -> None:
    assert not git_argv(source), source
