"""Remotes: where a repository comes from, without the secrets in its URL."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from .repository import config_value
from .runner import Git


def origin_url(git: Git) -> str | None:
    """``remote.origin.url`` with credentials removed (:func:`strip_credentials`), or ``None``."""
    url = config_value(git, "remote.origin.url")
    return strip_credentials(url) if url else None


def strip_credentials(url: str) -> str:
    """A remote URL without secrets, in every shape git accepts.

    - ``scheme://[user[:password]@]host[:port]/path[?query][#fragment]``: the
      password always goes; for http(s) the whole user part goes too (a lone
      user name there is usually a token); query and fragment go for every
      scheme (``?private_token=…``).
    - scp-like ``[user[:password]@]host:path``: the password goes, and so does
      anything after ``?`` or ``#``.
    - local paths (``/srv/repo.git``, ``../repo``, ``C:\\repo``) are returned as
      they are.
    """
    url = url.strip()
    if _SCHEME.match(url):
        try:
            parts = urlsplit(url)
        except ValueError:
            return _without_query(url)
        netloc = parts.netloc
        if "@" in netloc:
            userinfo, _, hostport = netloc.rpartition("@")
            user = userinfo.split(":", 1)[0]
            keep_user = user and parts.scheme.lower() not in ("http", "https")
            netloc = f"{user}@{hostport}" if keep_user else hostport
        return urlunsplit((parts.scheme, netloc, parts.path, "", ""))
    match = _SCP.match(url)
    if match and not _WINDOWS_DRIVE.match(url):
        userinfo, host, path = match.group("user"), match.group("host"), match.group("path")
        user = userinfo.split(":", 1)[0] if userinfo else ""
        return f"{user + '@' if user else ''}{host}:{_without_query(path)}"
    return url


def _without_query(text: str) -> str:
    return re.split(r"[?#]", text, maxsplit=1)[0]


_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
#: ``[user[:password]@]host:path`` as git reads it: no slash before the first colon.
_SCP = re.compile(r"^(?:(?P<user>[^@/]*)@)?(?P<host>\[[^\]]*\]|[^:/@]+):(?P<path>.*)$")
_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")
