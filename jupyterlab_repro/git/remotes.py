"""Remotes: where a repository comes from, without the secrets in its URL."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from .repository import config_value
from .runner import Git


def origin_url(git: Git) -> str | None:
    """``remote.origin.url`` with credentials removed (:func:`strip_credentials`), or ``None``."""
    url = config_value(git, "remote.origin.url")
    return strip_credentials(url) if url else None


def strip_credentials(url: str) -> str:
    """A remote URL without secrets: ``https://user:token@host/x`` → ``https://host/x``.

    For http(s) the whole user part goes (a lone user name there is usually
    a token) together with any query string; for other schemes only a
    password is removed (``ssh://git@host/x`` stays). scp-like
    ``git@host:path`` and local paths are returned unchanged.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if not parts.scheme or not parts.netloc or "@" not in parts.netloc:
        if parts.scheme in ("http", "https") and parts.query:
            return urlunsplit(parts._replace(query="", fragment=""))
        return url
    userinfo, _, hostport = parts.netloc.rpartition("@")
    scheme = parts.scheme.lower()
    if scheme in ("http", "https"):
        return urlunsplit((parts.scheme, hostport, parts.path, "", ""))
    user = userinfo.split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}@{hostport}" if user else hostport))
