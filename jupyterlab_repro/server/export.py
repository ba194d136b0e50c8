"""Route of the export dialog: ``POST export``."""

from __future__ import annotations

from typing import Any, ClassVar

import tornado.web

from ..export.exporter import export_notebook
from ..files import relative_to_root, resolve_in_root
from .base import ReproHandler, bad_request
from .fields import PATH, Bool, Field, PathText, Text

#: Longest cell selector (``1,3-5,id:…``).
MAX_SELECTOR = 64 * 1024


class ExportHandler(ReproHandler):
    """``POST export {path, output?, cells?, dry_run?, force?}``: cells → module."""

    BODY: ClassVar[dict[str, Field]] = {
        "path": PATH,
        "output": PathText(default_value=None),
        "cells": Text(max_length=MAX_SELECTOR),
        "dry_run": Bool(),
        "force": Bool(),
    }

    @tornado.web.authenticated
    async def post(self) -> None:
        body = self.body(self.BODY)
        notebook = self.target(body)
        if not notebook.is_file():
            raise bad_request("'path' must be a notebook file.")
        output = body["output"]
        target = (
            self._translate(resolve_in_root, self.root_dir, output, must_exist=False)
            if output
            else None
        )
        result = await self.run(
            export_notebook,
            notebook,
            target,
            body["cells"],
            root=self.root_dir,
            dry_run=body["dry_run"],
            force=body["force"],
            deadline=self.deadline("write_timeout"),
        )
        data = result.as_dict()
        data["output"] = relative_to_root(self.root_dir, result.output)
        data["path"] = relative_to_root(self.root_dir, result.notebook)
        self.write_json(data)


ROUTES: list[tuple[str, Any]] = [("export", ExportHandler)]
