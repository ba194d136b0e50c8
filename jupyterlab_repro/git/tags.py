"""Annotated tags: list them with their annotations, create one on a commit."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from typing import Any

from ..deadline import Deadline
from ..errors import InvalidRequest
from ..inputs import MAX_MESSAGE, check_text
from .lock import repository_lock
from .refs import TAGS, check_new_ref
from .repository import require_repository
from .revisions import require_commit
from .runner import Git

#: Seconds listing or creating tags may take when the caller gives no deadline.
TAGS_TIMEOUT = 30.0

_FIELDS = (
    "%(refname:short)",
    "%(objecttype)",
    "%(*objectname)",
    "%(objectname)",
    "%(taggername)",
    "%(taggeremail)",
    "%(creatordate:iso-strict)",
    "%(contents:subject)",
    "%(contents:body)",
)


@dataclass
class Tag:
    name: str
    commit: str
    annotated: bool
    tagger: str | None
    date: str | None
    subject: str
    body: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def list_tags(path: str | os.PathLike[str], *, deadline: Deadline | None = None) -> list[Tag]:
    """Tags, newest first, like ``git tag -l --sort=-creatordate --format=…``."""
    deadline = deadline or Deadline(TAGS_TIMEOUT, "listing tags")
    git = Git(require_repository(path, deadline=deadline), deadline)
    return _tags(git)


def _tags(git: Git, pattern: str = TAGS) -> list[Tag]:
    fmt = "%00".join(_FIELDS) + "%00%00"
    out = git.run(
        "for-each-ref", "--sort=-creatordate", f"--format={fmt}", pattern, read_only=True
    ).stdout.decode("utf-8", "replace")
    tags: list[Tag] = []
    for record in out.split("\0\0\n"):
        if not record.strip("\n"):
            continue
        parts = record.lstrip("\n").split("\0")
        if len(parts) < 9:
            continue
        name, kind, peeled, obj, tagger, email, date, subject, body = parts[:9]
        annotated = kind == "tag"
        tags.append(
            Tag(
                name=name,
                commit=peeled if annotated else obj,
                annotated=annotated,
                tagger=f"{tagger} {email}".strip() if annotated else None,
                date=date or None,
                subject=subject if annotated else "",
                body=body.strip() if annotated else "",
            )
        )
    return tags


def create_tag(
    path: str | os.PathLike[str],
    name: str,
    message: str,
    *,
    rev: str = "HEAD",
    deadline: Deadline | None = None,
) -> Tag:
    """Create the annotated tag ``name`` on ``rev``.

    The name goes through :func:`~jupyterlab_repro.git.refs.check_new_ref`
    (an existing or shadowing name is refused); the message reaches git on
    its standard input, so its length is not limited by the command line.
    """
    deadline = deadline or Deadline(TAGS_TIMEOUT, "creating the tag")
    git = Git(require_repository(path, deadline=deadline), deadline)
    check_text(message, "message", max_length=MAX_MESSAGE, multiline=True)
    if not message.strip():
        raise InvalidRequest("An annotated tag needs a message (e.g. the run's metrics).")
    with repository_lock(git):
        full = check_new_ref(git, TAGS, name)
        commit = require_commit(git, rev)
        write_annotated_tag(git, name, commit, message)
    return _tags(git, full)[0]


def write_annotated_tag(git: Git, name: str, commit: str, message: str) -> None:
    """The annotated tag ``name`` on ``commit``, its message on standard input.

    The caller checked the name (:func:`~jupyterlab_repro.git.refs.check_new_ref`).
    """
    git.run("tag", "-a", "-F", "-", "--", name, commit, input=message.encode("utf-8"))
