"""Content-addressed records kept as blobs by hidden refs (``refs/repro/envs/<id>`` …).

A run's environment lock and its input manifest are JSON documents named by
the sha256 of their bytes. :func:`store_record` writes one as a git blob and
points ``<namespace><id>`` at it, so git keeps it (``gc`` never drops a blob
a ref holds) and ``push``/``fetch`` of the hidden refs carry it to other
clones; identical records cost nothing (the same id, the same blob).
:func:`read_record` reads one back and checks that its bytes still hash to
its name.
"""

from __future__ import annotations

import hashlib
import re

from ..errors import GitError, GitTimeout
from .objects import write_blob
from .refs import RECORDS
from .runner import Git

_ID = re.compile(r"^[0-9a-f]{64}$")


def record_id(data: bytes) -> str:
    """The id of a record: the sha256 of its bytes (hex)."""
    return hashlib.sha256(data).hexdigest()


def is_record_id(value: object) -> bool:
    return isinstance(value, str) and bool(_ID.match(value))


def record_ref(namespace: str, ident: str) -> str:
    if namespace not in RECORDS or not is_record_id(ident):
        raise ValueError(f"not a record: {namespace}{ident!r}")
    return namespace + ident


def has_record(git: Git, namespace: str, ident: str) -> bool:
    """Whether ``<namespace><ident>`` exists here."""
    ref = record_ref(namespace, ident)
    return bool(git.read("for-each-ref", "--format=%(objectname)", "--", ref))


def store_record(git: Git, namespace: str, data: bytes) -> str:
    """Keep ``data`` as a blob under ``<namespace><sha256>``; its id. Idempotent.

    Two processes storing the same record race harmlessly: the ref's value is
    the same blob, so a lost ``update-ref`` race is no failure.
    """
    ident = record_id(data)
    ref = record_ref(namespace, ident)
    blob = write_blob(git, data)
    try:
        git.run("update-ref", "-m", "repro: record", ref, blob)
    except GitTimeout:
        raise
    except GitError:
        if git.read("for-each-ref", "--format=%(objectname)", "--", ref) != blob:
            raise
    return ident


def read_record(git: Git, namespace: str, ident: str) -> bytes | None:
    """The record ``<namespace><ident>``, or ``None`` when it is not here (or not what its name says)."""
    ref = record_ref(namespace, ident)
    try:
        data = git.run("cat-file", "blob", ref, read_only=True).stdout
    except GitTimeout:
        raise
    except GitError:
        return None
    return data if record_id(data) == ident else None
