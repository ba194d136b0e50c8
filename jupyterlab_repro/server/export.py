"""Route of the export dialog: ``POST export``."""

from __future__ import annotations

from typing import Any

import tornado.web

from ..export.exporter import export_notebook
from ..files import relative_to_root, resolve_in_root
from .base import ReproHandler, bad_request, optional_string


class ExportHandler(ReproHandler):
    """``POST export {path, output?, cells?, dry_run?, force?}``: cells → module."""

    @tornado.web.authenticated
    async def post(self) -> None:
        body = self.json_body()
        notebook = self.resolve(body.get("path", ""))
        if not notebook.is_file():
            raise bad_request("'path' must be a notebook file.")
        output = optional_string(body, "output")
        target = (
            self._translate(resolve_in_root, self.root_dir, output, must_exist=False)
            if output
            else None
        )
        dry_run, force = body.get("dry_run", False), body.get("force", False)
        if not isinstance(dry_run, bool) or not isinstance(force, bool):
            raise bad_request("'dry_run' and 'force' must be true or false.")
        result = await self.run(
            export_notebook,
            notebook,
            target,
            optional_string(body, "cells"),
            root=self.root_dir,
            dry_run=dry_run,
            force=force,
            deadline=self.deadline("write_timeout"),
        )
        data = result.as_dict()
        data["output"] = relative_to_root(self.root_dir, result.output)
        data["path"] = relative_to_root(self.root_dir, result.notebook)
        self.write_json(data)


ROUTES: list[tuple[str, Any]] = [("export", ExportHandler)]
