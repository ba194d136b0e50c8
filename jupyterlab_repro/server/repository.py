"""Routes of the repository header: ``status``, ``init`` and ``identity``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import tornado.web

from .. import __version__
from ..commit.init import init_repository
from ..git.repository import get_identity, set_identity
from ..git.status import status_report
from .base import ReproHandler, bad_request


def _directory(target: Path) -> Path:
    return target if target.is_dir() else target.parent


class StatusHandler(ReproHandler):
    """``GET status?path=…``: the repository of a folder or notebook (504 past ``status_timeout``)."""

    @tornado.web.authenticated
    async def get(self) -> None:
        target = self.resolve(self.get_query_argument("path", "", strip=False))
        deadline = self.deadline("status_timeout")
        report = await self.run(status_report, self.root_dir, target, deadline=deadline)
        self.write_json({"version": __version__, **report})


class InitHandler(ReproHandler):
    """``POST init {path, name?, email?}``: a repository with an ML .gitignore and a first commit."""

    @tornado.web.authenticated
    async def post(self) -> None:
        body = self.json_body()
        target = self.resolve(body.get("path", ""))
        name, email = body.get("name"), body.get("email")
        if not all(v is None or isinstance(v, str) for v in (name, email)):
            raise bad_request("'name' and 'email' must be strings.")
        deadline = self.deadline("write_timeout")
        await self.run(init_repository, target, name=name, email=email, deadline=deadline)
        report = await self.run(status_report, self.root_dir, target, deadline=deadline)
        self.write_json({"version": __version__, **report}, status=201)


class IdentityHandler(ReproHandler):
    """``GET/POST identity``: who git commits as, here or globally."""

    @tornado.web.authenticated
    async def get(self) -> None:
        target = self.resolve(self.get_query_argument("path", "", strip=False))
        deadline = self.deadline("read_timeout")
        identity = await self.run(get_identity, _directory(target), deadline=deadline)
        self.write_json(identity.as_dict())

    @tornado.web.authenticated
    async def post(self) -> None:
        body = self.json_body()
        target = self.resolve(body.get("path", ""))
        name, email = body.get("name"), body.get("email")
        scope = body.get("scope", "repository")
        if not (isinstance(name, str) and isinstance(email, str) and isinstance(scope, str)):
            raise bad_request("'name', 'email' and 'scope' must be strings.")
        deadline = self.deadline("write_timeout")
        if scope == "repository":
            await self.run(self.writable_repository, target, deadline)
        identity = await self.run(
            set_identity, _directory(target), name, email, scope=scope, deadline=deadline
        )
        self.write_json(identity.as_dict())


ROUTES: list[tuple[str, Any]] = [
    ("status", StatusHandler),
    ("init", InitHandler),
    ("identity", IdentityHandler),
]
