"""Routes of the snapshot section: ``changes``, ``diff``, ``snapshot``, ``guardrails/fix``, ``tags``."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import tornado.web

from ..commit.changes import list_changes
from ..commit.gitignore import add_gitignore_rules, ignore_folder, rebase_rule
from ..commit.notebook_diff import diff_notebook
from ..commit.snapshot import snapshot
from ..deadline import Deadline
from ..files import is_within, relative_to_root, resolve_in_root
from ..git.lfs import lfs_available, lfs_track
from ..git.runner import Git
from ..git.tags import create_tag, list_tags
from .base import ReproHandler, bad_request, optional_string, string_list


class ChangesHandler(ReproHandler):
    """``GET changes?path=…``: changed files with output-blind classes and guardrails."""

    @tornado.web.authenticated
    async def get(self) -> None:
        target = self.resolve(self.get_query_argument("path", "", strip=False))
        deadline = self.deadline("read_timeout")
        report = await self.run(
            list_changes,
            target,
            cache=self.repro["classifications"],
            deadline=deadline,
            within=Path(self.root_dir),
        )
        lfs = await self._lfs_available(report.root, deadline)
        data = report.as_dict()
        data["root"] = self._server_path(report.root)
        for item in data["files"]:
            item["server_path"] = self._server_path(report.root / item["path"])
        data["lfs_available"] = lfs
        self.write_json(data)

    async def _lfs_available(self, root: Path, deadline: Deadline) -> bool:
        """Whether ``git lfs`` is installed; asked at most once a minute (a process start)."""
        cached = self.repro.get("lfs_available")
        now = time.monotonic()
        if cached is None or now - cached[0] > 60:
            found = await self.run(lfs_available, root, deadline=deadline)
            cached = self.repro["lfs_available"] = (now, found)
        return cached[1]

    def _server_path(self, path: Path) -> str | None:
        """``path`` as the browser names it, ``None`` when it lies outside the server root."""
        if not is_within(path, self.root_dir):
            return None
        return relative_to_root(self.root_dir, path)


class DiffHandler(ReproHandler):
    """``GET diff?path=NB[&from=REV][&to=REV]``: the output-blind diff of a notebook."""

    @tornado.web.authenticated
    async def get(self) -> None:
        target = self.resolve(self.get_query_argument("path", "", strip=False))
        from_rev = self.get_query_argument("from", "HEAD", strip=False) or None
        to_rev = self.get_query_argument("to", None, strip=False) or None
        if target.is_dir():
            raise bad_request("'path' must be a notebook, not a folder.")
        data = await self.run(
            diff_notebook,
            target,
            from_rev=from_rev,
            to_rev=to_rev,
            deadline=self.deadline("read_timeout"),
        )
        self.write_json(data)


class SnapshotHandler(ReproHandler):
    """``POST snapshot {path, message, type?, body?, files?, tag?, branch?, clear_outputs?}``."""

    @tornado.web.authenticated
    async def post(self) -> None:
        body = self.json_body()
        notebook = self.resolve(body.get("path", ""))
        if not notebook.is_file():
            raise bad_request("'path' must be a notebook file.")
        files = [
            self._translate(resolve_in_root, self.root_dir, f, must_exist=False)
            for f in string_list(body, "files")
        ]
        message = body.get("message")
        if not isinstance(message, str):
            raise bad_request("'message' must be a string.")
        clear = body.get("clear_outputs", False)
        if not isinstance(clear, bool):
            raise bad_request("'clear_outputs' must be true or false.")
        deadline = self.deadline("write_timeout")
        await self.run(self.writable_repository, notebook, deadline)
        result = await self.run(
            snapshot,
            [notebook],
            message,
            commit_type=optional_string(body, "type"),
            body=optional_string(body, "body"),
            files=files,
            tag=optional_string(body, "tag"),
            tag_message=optional_string(body, "tag_message"),
            branch=optional_string(body, "branch"),
            clear_outputs=clear,
            deadline=deadline,
        )
        self.write_json(result.as_dict())


class GuardrailFixHandler(ReproHandler):
    """``POST guardrails/fix {path, action: gitignore|lfs, rules}``."""

    @tornado.web.authenticated
    async def post(self) -> None:
        body = self.json_body()
        target = self.resolve(body.get("path", ""))
        action = body.get("action")
        rules = string_list(body, "rules")
        if any(not r.strip() or "\n" in r or "\r" in r or r.startswith("!") for r in rules):
            raise bad_request("Each rule must be one non-empty pattern line (no '!').")
        deadline = self.deadline("write_timeout")
        root = await self.run(self.writable_repository, target, deadline)
        within = Path(self.root_dir)
        if action == "gitignore":
            added = await self.run(add_gitignore_rules, root, rules, within=within)
            self.write_json({"added": added})
        elif action == "lfs":
            if not await self.run(lfs_available, root, deadline=deadline):
                raise tornado.web.HTTPError(
                    409, "%s", "Git LFS is not installed (git lfs).", reason="lfs-missing"
                )
            folder, prefix = ignore_folder(root, within)
            patterns = [self._translate(rebase_rule, rule, prefix) for rule in rules]
            await self.run(lfs_track, Git(root, deadline), patterns, folder=folder)
            self.write_json({"tracked": patterns})
        else:
            raise bad_request("'action' must be 'gitignore' or 'lfs'.")


class TagsHandler(ReproHandler):
    """``GET tags?path=…`` (annotated tags, newest first), ``POST tags {path, name, message, rev?}``."""

    @tornado.web.authenticated
    async def get(self) -> None:
        target = self.resolve(self.get_query_argument("path", "", strip=False))
        found = await self.run(list_tags, target, deadline=self.deadline("read_timeout"))
        self.write_json({"tags": [t.as_dict() for t in found]})

    @tornado.web.authenticated
    async def post(self) -> None:
        body = self.json_body()
        target = self.resolve(body.get("path", ""))
        name, message = body.get("name"), body.get("message")
        rev = body.get("rev", "HEAD")
        if not (isinstance(name, str) and isinstance(message, str) and isinstance(rev, str)):
            raise bad_request("'name', 'message' and 'rev' must be strings.")
        deadline = self.deadline("write_timeout")
        await self.run(self.writable_repository, target, deadline)
        tag = await self.run(create_tag, target, name, message, rev=rev, deadline=deadline)
        self.write_json(tag.as_dict(), status=201)


ROUTES: list[tuple[str, Any]] = [
    ("changes", ChangesHandler),
    ("diff", DiffHandler),
    ("snapshot", SnapshotHandler),
    ("guardrails/fix", GuardrailFixHandler),
    ("tags", TagsHandler),
]
