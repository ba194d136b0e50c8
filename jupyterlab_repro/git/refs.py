"""Ref names: the one check for new branch and tag names, and the hidden snapshot refs.

:func:`check_new_ref` applies git's own rules (``git check-ref-format``) and
ours, before anything is written: no control characters, no leading ``-``,
at most :data:`MAX_REF_NAME_BYTES` bytes, no clash with an existing ref
(the same name, a folder/file clash such as ``exp/a`` beside ``exp/a/b``), and
no name that would *shadow* another ref where git resolves short names
(``HEAD``, ``FETCH_HEAD``…, a tag called like a branch or a remote, ``refs/…``).
"""

from __future__ import annotations

import re

from ..errors import GitError, GitTimeout, InvalidRequest, RefTaken
from .runner import Git

BRANCHES = "refs/heads/"
TAGS = "refs/tags/"
#: Namespace of the hidden snapshot commits of runs (DESIGN invariant 3).
SNAPSHOTS = "refs/repro/snapshots/"
#: Namespaces of content-addressed records of runs, each ref ``<namespace><sha256>`` keeping
#: a blob: environment locks (``repro.env.lock``) and input manifests (``repro.inputs``).
ENVS = "refs/repro/envs/"
INPUTS = "refs/repro/inputs/"
RECORDS = (ENVS, INPUTS)

#: Longest branch or tag name (a loose ref is a file: its name must fit a file name).
MAX_REF_NAME_BYTES = 200

_KINDS = {BRANCHES: "branch", TAGS: "tag"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_PSEUDO_REF = re.compile(r"^[A-Z_]*HEAD$")
_FULL_SHA = re.compile(r"^(?:[0-9a-fA-F]{40}|[0-9a-fA-F]{64})$")


def check_new_ref(git: Git, prefix: str, name: object, *, must_start: str | None = None) -> str:
    """The full ref name for a new branch (``prefix=BRANCHES``) or tag (``TAGS``).

    Raises :class:`InvalidRequest` naming what is wrong (:class:`RefTaken` when
    the name is taken: it exists, clashes with a ref or would shadow one);
    nothing is written.
    """
    kind = _KINDS[prefix]
    if not isinstance(name, str) or not name:
        raise InvalidRequest(f"Invalid {kind} name {name!r}: a name is required.")
    shown = name[:80]
    hint = f" (it must start with '{must_start}')" if must_start else ""
    if (
        name.startswith("-")
        or _CONTROL.search(name)
        or (must_start is not None and not name.startswith(must_start))
    ):
        raise InvalidRequest(f"Invalid {kind} name {shown!r}{hint}.")
    if len(name.encode("utf-8", "surrogatepass")) > MAX_REF_NAME_BYTES:
        raise InvalidRequest(f"The {kind} name is too long (at most {MAX_REF_NAME_BYTES} bytes).")
    if _PSEUDO_REF.match(name) or name.startswith("refs/") or _FULL_SHA.match(name):
        raise InvalidRequest(
            f"The {kind} name {shown!r} would be mistaken for another ref or a commit."
        )
    full = prefix + name
    if not git.succeeds("check-ref-format", full):
        raise InvalidRequest(f"Invalid {kind} name {shown!r}{hint}.")
    parts = full.split("/")
    ancestors = ["/".join(parts[:i]) for i in range(3, len(parts))]  # below refs/heads/
    # Where git looks up a short name (gitrevisions(7)); an exact hit there is shadowed.
    shadowed = {f"refs/{name}", BRANCHES + name, TAGS + name, f"refs/remotes/{name}"}
    shadowed |= {f"refs/remotes/{name}/HEAD"}
    shadowed.discard(full)
    out = git.read("for-each-ref", "--format=%(refname)", full, *ancestors, *sorted(shadowed))
    for existing in out.splitlines():
        if existing == full:
            raise RefTaken(f"The {kind} {shown!r} already exists.")
        if existing.startswith(full + "/") or existing in ancestors:
            other = existing.removeprefix(prefix)
            raise RefTaken(f"The {kind} name {shown!r} clashes with the existing {kind} {other!r}.")
        if existing in shadowed:
            raise RefTaken(
                f"The {kind} name {shown!r} would shadow the existing ref {existing!r}: "
                "git would not know which one is meant."
            )
    return full


def point_head(git: Git, ref: str, *, reason: str | None = None) -> None:
    """Make HEAD the symbolic ref ``ref`` (a branch), without touching index or files."""
    git.run("symbolic-ref", *(["-m", reason] if reason else []), "HEAD", ref)


def snapshot_ref(head: str | None, tree: str) -> str:
    """The hidden ref of a snapshot of ``tree`` on ``head`` (``unborn`` before a first commit)."""
    return f"{SNAPSHOTS}{head or 'unborn'}/{tree}"


def commit_on_ref(git: Git, ref: str, tree: str) -> str | None:
    """The commit ``ref`` points to when that commit's tree is ``tree``, else ``None``."""
    out = git.read("for-each-ref", "--format=%(objectname) %(tree)", "--", ref)
    for line in out.splitlines():
        commit, _, commit_tree = line.partition(" ")
        if commit_tree == tree:
            return commit
    return None


def is_snapshot_commit(git: Git, sha: str) -> bool:
    """Whether a hidden snapshot ref points at ``sha``."""
    try:
        out = git.read(
            "for-each-ref", "--count=1", "--format=%(refname)", "--points-at", sha, "--", SNAPSHOTS
        )
    except GitTimeout:
        raise
    except GitError:
        return False
    return bool(out)
