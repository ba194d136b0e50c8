"""Annotated tags: list them with their annotations, create one on a commit."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from typing import Any

from .errors import InvalidRequest, ReproError
from .vcs import require_repository, run_git

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


def list_tags(path: str | os.PathLike[str], *, timeout: float = 30.0) -> list[Tag]:
    """Tags, newest first, like ``git tag -l --sort=-creatordate --format=…``."""
    root = require_repository(path)
    fmt = "%00".join(_FIELDS) + "%00%00"
    out = run_git(
        ["for-each-ref", "--sort=-creatordate", f"--format={fmt}", "refs/tags"],
        root,
        timeout=timeout,
        read_only=True,
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
    timeout: float = 30.0,
) -> Tag:
    """Create the annotated tag ``name`` on ``rev`` (refuses an existing name)."""
    root = require_repository(path)
    if not name or name.startswith("-"):
        raise InvalidRequest(f"Invalid tag name {name!r}.")
    if not message or not message.strip():
        raise InvalidRequest("An annotated tag needs a message (e.g. the run's metrics).")
    if not rev or rev.startswith("-"):
        raise InvalidRequest(f"Invalid revision {rev!r}.")
    try:
        run_git(["check-ref-format", f"refs/tags/{name}"], root, read_only=True)
    except ReproError:
        raise InvalidRequest(f"Invalid tag name {name!r}.") from None
    try:
        run_git(["rev-parse", "--verify", "--quiet", f"refs/tags/{name}"], root, read_only=True)
    except ReproError:
        pass
    else:
        raise InvalidRequest(f"The tag {name!r} already exists.")
    try:
        commit = (
            run_git(["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], root, read_only=True)
            .stdout.decode()
            .strip()
        )
    except ReproError:
        raise InvalidRequest(f"Unknown revision {rev!r}.") from None
    run_git(
        ["tag", "-a", "-F", "-", "--", name, commit], root, input=message.encode(), timeout=timeout
    )
    return next(t for t in list_tags(root, timeout=timeout) if t.name == name)
