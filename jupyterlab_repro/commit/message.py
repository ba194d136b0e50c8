"""Commit messages: Conventional Commits types and the subject/body layout."""

from __future__ import annotations

import re

from ..errors import InvalidRequest
from ..inputs import MAX_MESSAGE, check_optional_text, check_text

COMMIT_TYPES = ("feat", "fix", "exp", "refactor", "docs", "chore")

#: Longest subject line (``type: subject``) a commit may get. git takes any length, but a
#: subject of thousands of characters fills every list that shows it (``git log --oneline``,
#: the sidebar's header); 72 read best, the rest of a long text belongs in the body.
MAX_SUBJECT = 200


def format_message(message: str, commit_type: str | None, body: str | None = None) -> str:
    """``type: subject`` (Conventional Commits) plus an optional body.

    Text git cannot take (NUL, control characters, lone surrogates, more than
    :data:`~jupyterlab_repro.inputs.MAX_MESSAGE` characters) is refused, and
    so is a subject line longer than :data:`MAX_SUBJECT` characters (the body
    takes any length).
    """
    check_text(message or "", "message", max_length=MAX_MESSAGE, multiline=True)
    check_optional_text(body, "body", max_length=MAX_MESSAGE, multiline=True)
    subject = " ".join((message or "").split())
    if not subject:
        raise InvalidRequest("A commit message is required.")
    if commit_type:
        if commit_type not in COMMIT_TYPES:
            raise InvalidRequest(
                f"Unknown commit type {commit_type!r}; use one of {', '.join(COMMIT_TYPES)}."
            )
        if not re.match(rf"^{re.escape(commit_type)}(\([^)]*\))?!?:", subject):
            subject = f"{commit_type}: {subject}"
    if len(subject) > MAX_SUBJECT:
        raise InvalidRequest(
            f"The commit subject is {len(subject):,} characters long; a subject line takes at "
            f"most {MAX_SUBJECT} (72 read best). Keep the subject short and put the rest in "
            "the body."
        )
    text = subject
    if body and body.strip():
        text += "\n\n" + body.strip()
    return text + "\n"
