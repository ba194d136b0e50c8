"""Checks on text that reaches git, the file system or MLflow, shared by both doors.

The REST handlers check types and shapes (``server/fields.py``); the core
checks the values with :func:`check_text` before its first write, so the CLI
and the REST API refuse the same inputs with the same words. A value that
fails raises :class:`~jupyterlab_repro.errors.InvalidRequest` (400): NUL
(which no process argument can carry), other control characters in one-line
fields, lone surrogates (which no file or pipe can carry as UTF-8), and
values over their length limit.
"""

from __future__ import annotations

import re

from .errors import InvalidRequest

#: Longest commit message, tag annotation or body (characters).
MAX_MESSAGE = 256 * 1024
#: Longest one-line value that is not a message (names, e-mail addresses, rules).
MAX_LINE = 1024

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_CONTROL_LINE = re.compile(r"[\x00-\x1f\x7f]")


def check_text(
    value: object, what: str, *, max_length: int = MAX_LINE, multiline: bool = False
) -> str:
    """``value`` if it is text git and the file system can take; :class:`InvalidRequest` if not.

    ``multiline`` allows line breaks and tabs; NUL and other control
    characters are refused either way.
    """
    if not isinstance(value, str):
        raise InvalidRequest(f"'{what}' must be a string.")
    if len(value) > max_length:
        raise InvalidRequest(f"'{what}' is too long (at most {max_length:,} characters).")
    if "\x00" in value:
        raise InvalidRequest(f"'{what}' contains a NUL character.")
    if (_CONTROL if multiline else _CONTROL_LINE).search(value):
        raise InvalidRequest(f"'{what}' contains a control character.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidRequest(f"'{what}' is not valid text (a lone surrogate).") from None
    return value


def check_optional_text(
    value: object, what: str, *, max_length: int = MAX_LINE, multiline: bool = False
) -> str | None:
    """:func:`check_text` for a value that may be ``None``."""
    if value is None:
        return None
    return check_text(value, what, max_length=max_length, multiline=multiline)
