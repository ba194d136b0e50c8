"""Routes of the repository header: ``status``, ``init`` and ``identity``."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import tornado.web

from .. import __version__
from ..commit.changes import refine_file_state
from ..commit.init import init_repository
from ..git.repository import get_identity, set_identity
from ..git.status import status_report
from .base import ReproHandler, bad_request
from .fields import PATH, Field, Text

#: Longest name or e-mail address of a git identity.
MAX_NAME = 256


def _directory(target: Path) -> Path:
    return target if target.is_dir() else target.parent


class StatusHandler(ReproHandler):
    """``GET status?path=…``: the repository of a folder or notebook (504 past ``status_timeout``).

    A notebook whose only changes are what a snapshot strips has the
    ``file_state`` ``outputs-only`` (git says "modified").
    """

    QUERY: ClassVar[dict[str, Field]] = {"path": PATH}

    @tornado.web.authenticated
    async def get(self) -> None:
        target = self.target(self.query(self.QUERY))
        deadline = self.deadline("status_timeout")
        report = await self.run(status_report, self.root_dir, target, deadline=deadline)
        report = await self.run(
            refine_file_state,
            report,
            target,
            cache=self.repro["classifications"],
            deadline=deadline,
        )
        self.write_json({"version": __version__, **report})


class InitHandler(ReproHandler):
    """``POST init {path, name?, email?}``: a repository with an ML .gitignore and a first commit."""

    BODY: ClassVar[dict[str, Field]] = {
        "path": PATH,
        "name": Text(max_length=MAX_NAME, keep_empty=True),
        "email": Text(max_length=MAX_NAME, keep_empty=True),
    }

    @tornado.web.authenticated
    async def post(self) -> None:
        body = self.body(self.BODY)
        target = self.target(body)
        deadline = self.deadline("write_timeout")
        await self.run(
            init_repository, target, name=body["name"], email=body["email"], deadline=deadline
        )
        report = await self.run(status_report, self.root_dir, target, deadline=deadline)
        self.write_json({"version": __version__, **report}, status=201)


class IdentityHandler(ReproHandler):
    """``GET/POST identity``: who git commits as, here or globally."""

    QUERY: ClassVar[dict[str, Field]] = {"path": PATH}
    BODY: ClassVar[dict[str, Field]] = {
        "path": PATH,
        "name": Text(required=True, max_length=MAX_NAME, keep_empty=True),
        "email": Text(required=True, max_length=MAX_NAME, keep_empty=True),
        "scope": Text(default_value="repository"),
    }

    @tornado.web.authenticated
    async def get(self) -> None:
        target = self.target(self.query(self.QUERY))
        deadline = self.deadline("read_timeout")
        identity = await self.run(get_identity, _directory(target), deadline=deadline)
        self.write_json(identity.as_dict())

    @tornado.web.authenticated
    async def post(self) -> None:
        body = self.body(self.BODY)
        target = self.target(body)
        name, email, scope = body["name"], body["email"], body["scope"]
        if scope not in ("repository", "global"):
            raise bad_request("'scope' must be 'repository' or 'global'.")
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
