"""Debian's PostgreSQL for tests that start a throwaway server of their own.

Debian installs each major version under ``/usr/lib/postgresql/<major>/bin``
(``make system-deps`` installs the ``postgresql`` package). PostgreSQL refuses
to run as root: as root, the server and the tools that touch its data folder
run as the ``postgres`` user that Debian's package creates, and the folders
they use belong to that user (a fresh temp folder, outside pytest's, whose
folders only their owner may enter).
"""

from __future__ import annotations

import os
import pwd
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEBIAN_ROOT = Path("/usr/lib/postgresql")


@dataclass(frozen=True)
class Installation:
    """One installed major version: its ``bin`` folder and its number."""

    bindir: Path
    major: int

    def tool(self, name: str) -> Path:
        return self.bindir / name


def installations(root: Path = DEBIAN_ROOT) -> list[Installation]:
    """The Debian majors that have a server, oldest first."""
    found = [
        Installation(initdb.parent, int(initdb.parts[-3]))
        for initdb in root.glob("*/bin/initdb")
        if initdb.parts[-3].isdigit() and (initdb.parent / "postgres").is_file()
    ]
    return sorted(found, key=lambda i: i.major)


def installation(prefer: int | None = None, root: Path = DEBIAN_ROOT) -> Installation | None:
    """Major ``prefer`` when it is installed, else the newest one; ``None`` without any."""
    found = installations(root)
    if not found:
        return None
    return next((i for i in found if i.major == prefer), found[-1])


@dataclass(frozen=True)
class Account:
    """Who runs PostgreSQL: the ``postgres`` user as root, else the current user."""

    uid: int
    gid: int
    name: str

    @property
    def switches(self) -> bool:
        return self.uid != os.geteuid()

    def popen_kwargs(self) -> dict[str, Any]:
        """``subprocess`` arguments that run a program as this account (no wrapper process)."""
        if not self.switches:
            return {}
        return {"user": self.uid, "group": self.gid, "extra_groups": []}

    def own(self, path: Path) -> None:
        if self.switches:
            os.chown(path, self.uid, self.gid)

    def temp_dir(self, prefix: str) -> Path:
        """A fresh folder this account owns (remove it with :func:`shutil.rmtree`)."""
        path = Path(tempfile.mkdtemp(prefix=prefix))
        self.own(path)
        return path


def account() -> Account:
    """The account to run PostgreSQL as; :class:`LookupError` as root without ``postgres``."""
    if os.geteuid() != 0:
        entry = pwd.getpwuid(os.geteuid())
        return Account(entry.pw_uid, entry.pw_gid, entry.pw_name)
    try:
        entry = pwd.getpwnam("postgres")
    except KeyError:
        raise LookupError(
            "running as root, and there is no 'postgres' user to run PostgreSQL as "
            "(Debian's postgresql package creates it)"
        ) from None
    return Account(entry.pw_uid, entry.pw_gid, entry.pw_name)


def remove(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
