"""Hidden snapshot refs across clones: push them to a remote, fetch them back, prune them.

A run whose code had uncommitted changes points at a snapshot commit that
only ``refs/repro/snapshots/<head>/<tree>`` keeps, in the clone that ran it.
:func:`push_snapshots` puts those refs on a remote and :func:`fetch_snapshots`
brings a remote's back, both without ever overwriting a ref: the names say
which code a snapshot holds (its parent and its tree), so two clones can hold
different commits of the same code under one name; the second one then goes
under ``<name>-<sha12>`` instead (on the remote, or here), and both stay
reachable. :func:`fetch_commits` asks a remote for commits by id (servers
that allow it; a commit on a remote branch comes with a plain fetch).

The content-addressed records of runs (``refs/repro/envs/<sha256>``,
``refs/repro/inputs/<sha256>``: environment locks and input manifests) travel
with the snapshots: a name says what the blob holds, so a ref already on the
other side is never sent again and never clashes.

Only remotes configured in the repository are used (a name git lists, never a
URL from a request); git never prompts (``GIT_TERMINAL_PROMPT=0``, ssh in
batch mode).
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from typing import Any

from ..errors import GitError, GitTimeout, InvalidRequest
from .refs import RECORDS, SNAPSHOTS
from .runner import Git

#: Extra environment for calls that talk to a remote: fail instead of asking.
_REMOTE_ENV = {"GIT_TERMINAL_PROMPT": "0"}


@dataclass
class SnapshotRef:
    ref: str
    commit: str
    #: Committer time of the snapshot commit (seconds since the epoch).
    time: int = 0
    parent: str | None = None


@dataclass
class ShareResult:
    """What :func:`push_snapshots` / :func:`fetch_snapshots` did, ref by ref."""

    remote: str
    #: ``{local ref: remote ref}`` written (pushed there or fetched here).
    transferred: dict[str, str] = field(default_factory=dict)
    #: Refs already on both sides with the same commit.
    already: list[str] = field(default_factory=list)
    #: Commits a snapshot starts from that no remote branch holds (shared only through it).
    unpublished_parents: list[str] = field(default_factory=list)
    #: Record refs (environment locks, input manifests) written on the other side.
    records: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def remote_names(git: Git) -> list[str]:
    out = git.read("remote")
    return [line.strip() for line in out.splitlines() if line.strip()]


def check_remote(git: Git, remote: str | None) -> str:
    """``remote`` if the repository configures it (default: ``origin``, else the only one)."""
    names = remote_names(git)
    if not names:
        raise InvalidRequest(
            "The repository has no remote to share run code with (git remote add)."
        )
    if remote is None or remote == "":
        if "origin" in names:
            return "origin"
        if len(names) == 1:
            return names[0]
        raise InvalidRequest(f"Name the remote: {', '.join(names)}.")
    if not isinstance(remote, str) or remote not in names:
        raise InvalidRequest(f"No remote named {remote!r} (known: {', '.join(names)}).")
    return remote


def local_snapshots(git: Git) -> list[SnapshotRef]:
    out = git.read(
        "for-each-ref",
        "--format=%(refname)%00%(objectname)%00%(committerdate:unix)%00%(parent)",
        "--",
        SNAPSHOTS,
    )
    refs = []
    for line in out.splitlines():
        ref, commit, when, parent = (line.split("\0") + ["", "", ""])[:4]
        refs.append(SnapshotRef(ref, commit, int(when or 0), parent.split(" ")[0] or None))
    return refs


def remote_snapshots(git: Git, remote: str) -> dict[str, str]:
    """``{ref: commit}`` of the remote's snapshot refs (``git ls-remote``)."""
    return _remote_refs(git, remote, (SNAPSHOTS,))


def _remote_refs(git: Git, remote: str, namespaces: tuple[str, ...]) -> dict[str, str]:
    patterns = [f"{ns}*" for ns in namespaces]
    proc = git.run("ls-remote", "--refs", remote, *patterns, env=_remote_env())
    found = {}
    for line in proc.stdout.decode("utf-8", "replace").splitlines():
        sha, _, ref = line.partition("\t")
        if ref.startswith(namespaces):
            found[ref.strip()] = sha.strip()
    return found


def local_records(git: Git) -> dict[str, str]:
    """``{ref: blob}`` of the record refs here (environment locks, input manifests)."""
    out = git.read("for-each-ref", "--format=%(refname) %(objectname)", "--", *RECORDS)
    return dict(line.split(" ", 1) for line in out.splitlines() if " " in line)


def push_snapshots(git: Git, remote: str | None = None) -> ShareResult:
    """Push every local snapshot ref to ``remote`` (never forced; see the module docs)."""
    remote = check_remote(git, remote)
    everything = _remote_refs(git, remote, (SNAPSHOTS, *RECORDS))
    there = {r: c for r, c in everything.items() if r.startswith(SNAPSHOTS)}
    result = ShareResult(remote)
    specs = []
    for ref, blob in sorted(local_records(git).items()):
        if ref not in everything:  # the name is the content: there already means the same
            specs.append(f"{blob}:{ref}")
            result.records.append(ref)
    for snap in local_snapshots(git):
        target = _free_name(snap.ref, snap.commit, there)
        if target is None:
            result.already.append(snap.ref)
            continue
        specs.append(f"{snap.commit}:{target}")
        result.transferred[snap.ref] = target
        there[target] = snap.commit
    if specs:
        git.run("push", "--quiet", "--no-verify", remote, *specs, env=_remote_env())
    result.unpublished_parents = _unpublished_parents(git, remote)
    return result


def fetch_snapshots(git: Git, remote: str | None = None) -> ShareResult:
    """Fetch every snapshot ref of ``remote`` that is not here yet (never forced)."""
    remote = check_remote(git, remote)
    everything = _remote_refs(git, remote, (SNAPSHOTS, *RECORDS))
    there = {r: c for r, c in everything.items() if r.startswith(SNAPSHOTS)}
    here = {s.ref: s.commit for s in local_snapshots(git)}
    result = ShareResult(remote)
    specs = []
    records_here = local_records(git)
    for ref in sorted(set(everything) - set(there)):
        if ref not in records_here:
            specs.append(f"{ref}:{ref}")
            result.records.append(ref)
    for ref, commit in sorted(there.items()):
        target = _free_name(ref, commit, here)
        if target is None:
            result.already.append(ref)
            continue
        specs.append(f"{ref}:{target}")
        result.transferred[target] = ref
        here[target] = commit
    if specs:
        git.run("fetch", "--quiet", "--no-tags", remote, *specs, env=_remote_env())
    return result


def fetch_commits(git: Git, remote: str, commits: list[str]) -> list[str]:
    """Ask ``remote`` for ``commits`` that are missing here; the ones still missing after."""
    missing = [c for c in dict.fromkeys(commits) if not has_commit(git, c)]
    if not missing:
        return []
    try:  # the remote's branches first: where a run's commit usually is
        git.run("fetch", "--quiet", "--no-tags", remote, env=_remote_env())
    except GitTimeout:
        raise
    except GitError:
        pass
    missing = [c for c in missing if not has_commit(git, c)]
    for sha in list(missing):  # then by id, where the server allows it
        try:
            git.run("fetch", "--quiet", "--no-tags", remote, sha, env=_remote_env())
        except GitTimeout:
            raise
        except GitError:
            continue
    return [c for c in missing if not has_commit(git, c)]


def has_commit(git: Git, sha: str) -> bool:
    return git.succeeds("cat-file", "-e", f"{sha}^{{commit}}")


def kept_by_branch_or_tag(git: Git, commit: str) -> bool:
    """Whether a branch or tag holds ``commit`` (then its snapshot ref is not needed)."""
    out = git.read(
        "for-each-ref", "--count=1", "--format=%(refname)", "--contains", commit,
        "--", "refs/heads", "refs/tags",
    )  # fmt: skip
    return bool(out)


def delete_refs(git: Git, refs: list[SnapshotRef]) -> None:
    """Delete ``refs`` in one transaction, each only if it still points where it did."""
    if not refs:
        return
    lines = "".join(f"delete {r.ref} {r.commit}\n" for r in refs)
    git.run("update-ref", "--stdin", input=lines.encode("utf-8"))


def _free_name(ref: str, commit: str, taken: dict[str, str]) -> str | None:
    """Where ``commit`` of ``ref`` goes on the other side; ``None`` when it is there already."""
    if taken.get(ref) == commit or commit in {
        sha for name, sha in taken.items() if name.startswith(ref + "-")
    }:
        return None
    if ref not in taken:
        return ref
    return f"{ref}-{commit[:12]}"


def _unpublished_parents(git: Git, remote: str) -> list[str]:
    """Parents of local snapshots that no branch of ``remote`` contains."""
    parents = sorted({s.parent for s in local_snapshots(git) if s.parent})
    return [sha for sha in parents if not held_by_remote(git, remote, sha)]


def held_by_remote(git: Git, remote: str, commit: str) -> bool:
    """Whether a remote-tracking branch of ``remote`` contains ``commit`` (as last fetched)."""
    held = git.read(
        "for-each-ref", "--count=1", "--format=%(refname)", "--contains", commit,
        "--", f"refs/remotes/{remote}",
    )  # fmt: skip
    return bool(held)


def _remote_env() -> dict[str, str]:
    env = dict(_REMOTE_ENV)
    if "GIT_SSH_COMMAND" not in os.environ and "GIT_SSH" not in os.environ:
        env["GIT_SSH_COMMAND"] = "ssh -o BatchMode=yes"
    return env


def refs_state(git: Git, prefixes: tuple[str, ...]) -> dict[str, str]:
    """``{ref: object}`` of the refs below ``prefixes`` (to undo a fetch with :func:`restore_refs`)."""
    out = git.read("for-each-ref", "--format=%(refname) %(objectname)", "--", *prefixes)
    return dict(line.split(" ", 1) for line in out.splitlines() if " " in line)


def restore_refs(git: Git, before: dict[str, str], prefixes: tuple[str, ...]) -> None:
    """Put the refs below ``prefixes`` back as ``before`` had them, in one transaction.

    A ref added since is deleted, a moved one moved back, each only if it
    still points where it does now; a ref deleted since is not recreated.
    """
    now = refs_state(git, prefixes)
    lines = []
    for ref, value in sorted(now.items()):
        if ref not in before:
            lines.append(f"delete {ref} {value}\n")
        elif before[ref] != value:
            lines.append(f"update {ref} {before[ref]} {value}\n")
    if lines:
        git.run("update-ref", "--stdin", input="".join(lines).encode("utf-8"))
