"""Commit messages: Conventional Commits types and the subject/body layout."""

from __future__ import annotations

import re

from ..errors import InvalidRequest
from ..inputs import MAX_MESSAGE, check_optional_text, check_text

COMMIT_TYPES = ("feat", "fix", "exp", "refactor", "docs", "chore")


def format_message(message: str, commit_type: str | None, body: str | None = None) -> str:
    """``type: subject`` (Conventional Commits) plus an optional body.

    Text git cannot take (NUL, control characters, lone surrogates, more than
    :data:`~jupyterlab_repro.inputs.MAX_MESSAGE` characters) is refused.
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
    text = subject
    if body and body.strip():
        text += "\n\n" + body.strip()
    return text + "\n"
