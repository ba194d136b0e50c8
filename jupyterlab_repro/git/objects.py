"""Objects: the one way the product makes a commit and moves a ref.

A commit is made from bytes already clean (:func:`write_blob`, no filter
runs), staged in a temporary index (:func:`staging`: the user's index is
never written), written as a tree, committed with :func:`commit_tree` and
published with :func:`move_ref`, which moves a ref only if it still points
where the caller saw it (compare-and-swap: ``update-ref REF NEW OLD``).
:func:`make_commit` is the last two in one call.

One set of flags for every commit the product makes (snapshots, hidden run
snapshots, model cards, restored branches):

- no signing prompt: ``commit.gpgSign`` in the user's configuration never
  makes a commit wait for a passphrase or fail for want of gpg;
- no filters on bytes that are already clean (a cleaned notebook goes to the
  object store exactly as cleaned, whatever ``.gitattributes`` says);
- a default identity (:data:`FALLBACK_IDENTITY`) only where git has none for
  the user, and only where the caller allows it: the user's own commits
  (snapshot) are refused before this instead.

Every function takes the caller's :class:`~.runner.Git`, so its deadline
covers these calls too.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import GitError, GitTimeout, RefMoved
from .index import temporary_index
from .runner import LITERAL_PATHSPECS, Git

log = logging.getLogger(__name__)

#: The tree of no files (the same in every SHA-1 repository).
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"

#: Who makes a commit where git knows nobody (a fresh container) and the caller allows it.
FALLBACK_IDENTITY = {
    "GIT_AUTHOR_NAME": "jupyterlab-repro",
    "GIT_AUTHOR_EMAIL": "jupyterlab-repro@localhost",
    "GIT_COMMITTER_NAME": "jupyterlab-repro",
    "GIT_COMMITTER_EMAIL": "jupyterlab-repro@localhost",
}

#: No signing, whatever the configuration says (``-c`` before the subcommand).
_NO_SIGNING = ("-c", "commit.gpgSign=false")


def write_blob(git: Git, data: bytes) -> str:
    """Store ``data`` as a blob, byte for byte (no clean filter, no line-ending change); its id."""
    return git.write("hash-object", "-w", "--no-filters", "--stdin", input=data)


@dataclass(frozen=True)
class Staging:
    """A temporary index being filled; ``git`` runs with it as ``GIT_INDEX_FILE``.

    Hooks that should see the index being committed run through ``git``.
    """

    git: Git
    path: Path

    def read_tree(self, rev: str | None) -> None:
        """Start from ``rev``'s tree (``None``: no files)."""
        self.git.run("read-tree", *([rev] if rev is not None else ["--empty"]))

    def set_entries(self, entries: Iterable[tuple[str, str, str]]) -> None:
        """Stage ``(mode, blob, path)`` entries, all in one call."""
        lines = b"".join(f"{mode} {blob}\t{path}\0".encode() for mode, blob, path in entries)
        if lines:
            self.git.run("update-index", "-z", "--index-info", input=lines)

    def add(self, paths: Sequence[str]) -> None:
        """Stage ``paths`` as they are on disk, deletions too (filters and LFS apply: ``git add``)."""
        if paths:
            self.git.run("add", "--all", "--", *paths, env=LITERAL_PATHSPECS)

    def update_tracked(self, *, except_path: str) -> None:
        """Bring every tracked file but ``except_path`` to its content on disk."""
        self.git.run("add", "--update", "--", ":/", f":(top,exclude,literal){except_path}")

    def write_tree(self) -> str:
        return self.git.write("write-tree")

    def differs(self, commit: str, path: str) -> bool:
        """Whether ``path`` is staged differently from ``commit``'s version."""
        return not self.git.succeeds(
            "diff-index", "--cached", "--quiet", commit, "--", path, env=LITERAL_PATHSPECS
        )


@contextlib.contextmanager
def staging(git: Git, git_dir: Path, *, copy_of: Path | None = None) -> Iterator[Staging]:
    """A :class:`Staging` on a temporary index in ``git_dir``, removed afterwards.

    ``copy_of`` (the real index) starts it as a copy, stat cache included, so
    only files changed on disk are hashed again; without it the index does not
    exist until :meth:`Staging.read_tree`.
    """
    with temporary_index(git_dir, copy_of=copy_of) as path:
        yield Staging(git.with_env(GIT_INDEX_FILE=str(path)), path)


def commit_tree(
    git: Git,
    tree: str,
    parents: Sequence[str],
    message: str,
    *,
    fallback_identity: bool = True,
) -> str:
    """A commit of ``tree`` with ``parents`` and ``message`` (on standard input); its id.

    Never signed. The message's last line is completed with a newline, as
    ``git commit-tree -m`` does. Without a git identity, the commit is made
    by :data:`FALLBACK_IDENTITY` when ``fallback_identity``; otherwise git's
    refusal is raised (:class:`GitError`).
    """
    if message and not message.endswith("\n"):
        message += "\n"
    args = [*_NO_SIGNING, "commit-tree", "--no-gpg-sign"]
    for parent in parents:
        args += ["-p", parent]
    args += ["-F", "-", tree]
    data = message.encode("utf-8")
    if not fallback_identity:
        return git.write(*args, input=data)
    return write_with_identity(git, *args, input=data)


def write_with_identity(git: Git, *args: str, input: bytes | None = None) -> str:
    """``git.write(*args)`` for a call that records an identity; without one, as ours.

    A fresh container often has no ``user.name``/``user.email``: the commit
    (or stash entry) is then made by :data:`FALLBACK_IDENTITY` rather than
    refused. Where the user has an identity, it is the only call made.
    """
    try:
        return git.write(*args, input=input)
    except GitTimeout:
        raise
    except GitError as exc:
        said = exc.stderr.lower()
        if "ident" not in said and "email" not in said and "who you are" not in said:
            raise
    log.info("git has no identity here; git %s runs as jupyterlab-repro", _name(args))
    return git.with_env(**FALLBACK_IDENTITY).write(*args, input=input)


def _name(args: Sequence[str]) -> str:
    return next((a for a in args if not a.startswith("-") and "=" not in a), "")


def move_ref(git: Git, ref: str, new: str, old: str | None, *, reason: str) -> None:
    """Point ``ref`` at ``new`` if it still points at ``old`` (``None``: if it does not exist).

    ``reason`` goes to the reflog. Raises :class:`RefMoved`, having changed
    nothing, when ``ref`` points elsewhere (another process moved or made it
    meanwhile); other failures raise :class:`GitError` as git reported them.
    """
    try:
        git.run("update-ref", "-m", reason, ref, new, old or "")
    except GitTimeout:
        raise
    except GitError as exc:
        now = ref_value(git, ref)
        if now != old:
            raise RefMoved(
                f"{ref} moved meanwhile (it points at {now[:12] if now else 'nothing'}, "
                f"not {old[:12] if old else 'nothing'}); nothing was changed.",
                exc.stderr,
            ) from exc
        raise


def make_commit(
    git: Git,
    tree: str,
    parents: Sequence[str],
    message: str,
    *,
    ref: str | None = None,
    old: str | None = None,
    reason: str = "",
    fallback_identity: bool = True,
) -> str:
    """:func:`commit_tree`, then (with ``ref``) :func:`move_ref` from ``old`` to it; the commit."""
    commit = commit_tree(git, tree, parents, message, fallback_identity=fallback_identity)
    if ref is not None:
        move_ref(git, ref, commit, old, reason=reason or message.strip().split("\n")[0][:200])
    return commit


def set_ref(
    git: Git, ref: str, value: str, old: str | None = None, *, no_deref: bool = False
) -> None:
    """Point ``ref`` at ``value`` (if it points at ``old``, when given): undoing this process's work."""
    flags = ["--no-deref"] if no_deref else []
    git.run("update-ref", *flags, ref, value, *([old] if old is not None else []))


def delete_ref(git: Git, ref: str, old: str | None = None) -> None:
    """Delete ``ref`` (only if it still points at ``old``, when given)."""
    git.run("update-ref", "-d", ref, *([old] if old is not None else []))


def ref_value(git: Git, ref: str) -> str | None:
    """The object ``ref`` points at now (a symbolic ref followed), ``None`` when it does not exist."""
    try:
        return git.read("rev-parse", "--verify", "--quiet", "--end-of-options", ref) or None
    except GitTimeout:
        raise
    except GitError:
        return None
