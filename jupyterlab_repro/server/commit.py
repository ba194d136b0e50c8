"""Routes of the snapshot section: ``changes``, ``diff``, ``snapshot``, ``guardrails/fix``, ``tags``."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, ClassVar

import tornado.web

from ..commit.changes import list_changes
from ..commit.gitignore import add_gitignore_rules, ignore_folder, rebase_rule
from ..commit.notebook_diff import diff_notebook
from ..commit.snapshot import snapshot
from ..deadline import Deadline
from ..files import is_within, relative_to_root, resolve_in_root
from ..git.lfs import lfs_available, lfs_track
from ..git.refs import MAX_REF_NAME_BYTES
from ..git.revisions import MAX_REVISION_LENGTH, is_full_sha
from ..git.runner import Git
from ..git.tags import Tag, create_tag, list_tags
from ..inputs import MAX_MESSAGE
from ..runs.release import parse_release
from .base import ReproHandler, bad_request
from .fields import PATH, PATHS, Bool, Field, Text, Texts

REV = Text(max_length=MAX_REVISION_LENGTH)
REF_NAME = Text(max_length=MAX_REF_NAME_BYTES * 4)  # characters; refs.check_new_ref counts bytes
MESSAGE = Text(max_length=MAX_MESSAGE, multiline=True)


class ChangesHandler(ReproHandler):
    """``GET changes?path=…``: changed files with output-blind classes and guardrails."""

    QUERY: ClassVar[dict[str, Field]] = {"path": PATH}

    @tornado.web.authenticated
    async def get(self) -> None:
        target = self.target(self.query(self.QUERY))
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

    QUERY: ClassVar[dict[str, Field]] = {
        "path": PATH,
        "from": Text(max_length=MAX_REVISION_LENGTH, default_value="HEAD"),
        "to": REV,
    }

    @tornado.web.authenticated
    async def get(self) -> None:
        query = self.query(self.QUERY)
        target = self.target(query)
        from_rev, to_rev = query["from"], query["to"]
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

    BODY: ClassVar[dict[str, Field]] = {
        "path": PATH,
        "message": Text(required=True, max_length=MAX_MESSAGE, multiline=True, keep_empty=True),
        "type": Text(max_length=32),
        "body": MESSAGE,
        "files": PATHS,
        "tag": REF_NAME,
        "tag_message": MESSAGE,
        "branch": REF_NAME,
        "clear_outputs": Bool(),
    }

    @tornado.web.authenticated
    async def post(self) -> None:
        body = self.body(self.BODY)
        notebook = self.target(body)
        if not notebook.is_file():
            raise bad_request("'path' must be a notebook file.")
        files = [
            self._translate(resolve_in_root, self.root_dir, f, must_exist=False)
            for f in body["files"]
        ]
        deadline = self.deadline("write_timeout")
        await self.run(self.writable_repository, notebook, deadline)
        result = await self.run(
            snapshot,
            [notebook],
            body["message"],
            commit_type=body["type"],
            body=body["body"],
            files=files,
            tag=body["tag"],
            tag_message=body["tag_message"],
            branch=body["branch"],
            clear_outputs=body["clear_outputs"],
            deadline=deadline,
        )
        self.write_json(result.as_dict())


class GuardrailFixHandler(ReproHandler):
    """``POST guardrails/fix {path, action: gitignore|lfs, rules}``."""

    BODY: ClassVar[dict[str, Field]] = {
        "path": PATH,
        "action": Text(required=True, max_length=32),
        "rules": Texts(max_items=100, item=Text(keep_empty=True)),
    }

    @tornado.web.authenticated
    async def post(self) -> None:
        body = self.body(self.BODY)
        target = self.target(body)
        action, rules = body["action"], body["rules"]
        if action not in ("gitignore", "lfs"):
            raise bad_request("'action' must be 'gitignore' or 'lfs'.")
        if any(not r.strip() or r.startswith("!") for r in rules):
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


class TagsHandler(ReproHandler):
    """``GET tags?path=…`` (annotated tags, newest first), ``POST tags {path, name, message, rev?}``."""

    QUERY: ClassVar[dict[str, Field]] = {"path": PATH}
    BODY: ClassVar[dict[str, Field]] = {
        "path": PATH,
        "name": Text(required=True, max_length=MAX_REF_NAME_BYTES * 4, keep_empty=True),
        "message": Text(required=True, max_length=MAX_MESSAGE, multiline=True, keep_empty=True),
        "rev": Text(max_length=MAX_REVISION_LENGTH, default_value="HEAD", keep_empty=True),
    }

    @tornado.web.authenticated
    async def get(self) -> None:
        target = self.target(self.query(self.QUERY))
        found = await self.run(list_tags, target, deadline=self.deadline("read_timeout"))
        self.write_json({"tags": [t.as_dict() | {"release": _release(t)} for t in found]})

    @tornado.web.authenticated
    async def post(self) -> None:
        body = self.body(self.BODY)
        target = self.target(body)
        name, message, rev = body["name"], body["message"], body["rev"]
        deadline = self.deadline("write_timeout")
        await self.run(self.writable_repository, target, deadline)
        tag = await self.run(create_tag, target, name, message, rev=rev, deadline=deadline)
        self.write_json(tag.as_dict() | {"release": _release(tag)}, status=201)


ROUTES: list[tuple[str, Any]] = [
    ("changes", ChangesHandler),
    ("diff", DiffHandler),
    ("snapshot", SnapshotHandler),
    ("guardrails/fix", GuardrailFixHandler),
    ("tags", TagsHandler),
]


def _release(tag: Tag) -> dict[str, str] | None:
    """The ``key: value`` fields of a run's release tag (``run_id``, ``metric.*``…), else None."""
    if not tag.annotated:
        return None
    fields: dict[str, str] = parse_release(f"{tag.subject}\n\n{tag.body}")["fields"]
    # Ours name the run and the commit it ran (a full sha); a tag that merely
    # has a "run_id: …" line is not a release.
    if not fields.get("run_id") or not is_full_sha(fields.get("commit", "")):
        return None
    return fields
