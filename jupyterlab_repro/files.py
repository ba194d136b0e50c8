"""The file door: every file the product reads for the user, writes or ``chmod``\\ s.

Paths from requests are resolved with :func:`resolve_in_root` and must stay
inside the server's root directory; paths the product builds itself
(``.gitignore``, ``.gitattributes``, exported modules, notebook copies)
are just as untrusted, because a repository, a shared folder or a clone can
plant a symlink or a FIFO under any name (DESIGN invariant 4). So:

- a file is opened relative to a handle of its folder, and that handle was
  opened one component at a time from a trusted directory (``within``: the
  server root, or the folder the caller vouches for) with ``O_NOFOLLOW``: a
  symlinked folder or file anywhere on the way is refused, a folder swapped
  for a symlink meanwhile cannot redirect the write;
- only regular files are read or replaced: FIFOs, devices and sockets are
  refused before any read (opened with ``O_NONBLOCK``, then ``fstat``);
- writes are atomic (invariant 1): a temporary file created with
  ``O_EXCL | O_NOFOLLOW`` in the same folder, ``fsync``, then ``os.replace``
  within that folder's handle; the old file's mode is kept;
- nothing is written, created or ``chmod``\\ ed in a git directory
  (:func:`check_outside_git_dir`): no path with a component named ``.git`` in
  any case (``.GIT`` is the same folder on case-insensitive file systems; the
  spellings git itself refuses on HFS+ and NTFS too), and no folder git would
  take for a git directory whatever its name (``HEAD`` with ``objects/`` and
  ``refs/``, or a ``commondir``: a bare repository, a ``--separate-git-dir``
  or a worktree's). git's own writes there (objects, refs, the index) are
  git's, through :mod:`jupyterlab_repro.git`.

Refusals raise :class:`~jupyterlab_repro.errors.UnsafeFile` (409) or its
:class:`~jupyterlab_repro.errors.InsideGitDirectory` (403); a missing file
raises :class:`FileNotFoundError` as ``open()`` would.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from .errors import InsideGitDirectory, InvalidRequest, PathNotFound, PathOutsideRoot, UnsafeFile

#: Longest API path accepted, and longest single name in it (bytes, as file systems count).
MAX_PATH_BYTES = 4096
MAX_NAME_BYTES = 255

_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_DIR_FLAGS = os.O_RDONLY | _DIRECTORY | _NOFOLLOW | _CLOEXEC
_CHUNK = 8 * 1024 * 1024


# --- paths from requests ----------------------------------------------------------


def realpath(path: str | os.PathLike[str]) -> str:
    """:func:`os.path.realpath`, with a path that changes while it is resolved refused.

    A folder swapped for a symlink between the ``lstat`` and the ``readlink``
    that ``realpath`` makes (or a link loop) raises :class:`OSError` there;
    here it is :class:`UnsafeFile` (409), like every other refusal of the door.
    Every path the product resolves goes through this function.
    """
    try:
        return os.path.realpath(path)
    except OSError as exc:
        raise UnsafeFile(
            f"{os.fspath(path)!r} changed while it was being resolved "
            f"({exc.strerror or exc}); try again."
        ) from None


def resolve_in_root(
    root: str | os.PathLike[str], relative: str | None, *, must_exist: bool = True
) -> Path:
    """Resolve ``relative`` (an API path, ``/``-separated) inside ``root``.

    The result is the real path (symlinks resolved). It must be ``root``
    itself or lie below it; absolute paths, ``..`` that climbs out and
    symlinks that lead out are refused with :class:`PathOutsideRoot`;
    NUL, lone surrogates and over-long paths or names with
    :class:`InvalidRequest`.
    """
    real_root = Path(realpath(root))
    # No stripping: " a" and "a " are valid (if unusual) names of their own.
    rel = relative or ""
    check_api_path(rel)
    if rel.startswith(("/", "\\")) or PurePosixPath(rel).is_absolute() or _has_drive(rel):
        raise PathOutsideRoot(f"Absolute paths are not allowed: {relative!r}")
    parts = [p for p in rel.replace("\\", "/").split("/") if p not in ("", ".")]
    candidate = real_root.joinpath(*parts) if parts else real_root
    real = Path(realpath(candidate))
    if real != real_root and real_root not in real.parents:
        raise PathOutsideRoot(f"Path is outside the server root: {relative!r}")
    if must_exist and not os.path.lexists(real):
        raise PathNotFound(f"No such file or directory: {relative!r}")
    return real


def check_api_path(rel: str) -> None:
    """:class:`InvalidRequest` for a path no file system would take (before touching one)."""
    if "\x00" in rel:
        raise InvalidRequest("Path contains a NUL byte.")
    try:
        encoded = rel.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidRequest("Path is not valid text (a lone surrogate).") from None
    if len(encoded) > MAX_PATH_BYTES:
        raise InvalidRequest(f"Path is too long (at most {MAX_PATH_BYTES} bytes).")
    if any(len(part) > MAX_NAME_BYTES for part in encoded.replace(b"\\", b"/").split(b"/")):
        raise InvalidRequest(f"A name in the path is too long (at most {MAX_NAME_BYTES} bytes).")


def relative_to_root(root: str | os.PathLike[str], path: str | os.PathLike[str]) -> str:
    """The API form (``/``-separated, ``""`` for the root) of a path under ``root``."""
    rel = Path(realpath(path)).relative_to(realpath(root))
    return "" if str(rel) == "." else rel.as_posix()


def is_within(path: str | os.PathLike[str], root: str | os.PathLike[str]) -> bool:
    """Whether the real ``path`` is ``root`` or below it."""
    real, real_root = Path(realpath(path)), Path(realpath(root))
    return real == real_root or real_root in real.parents


def _has_drive(rel: str) -> bool:
    """``C:``, ``C:\\x`` or ``C:/x``: meaningless (and dangerous) under a server root."""
    return len(rel) >= 2 and rel[1] == ":" and rel[0].isascii() and rel[0].isalpha()


# --- folders opened without following symlinks ----------------------------------------------


def _shown(path: Path, within: Path) -> str:
    """``path`` as messages show it: relative to ``within`` (never a server path)."""
    try:
        rel = path.relative_to(within).as_posix()
    except ValueError:
        return path.name
    return rel if rel != "." else (within.name or "the folder")


@contextlib.contextmanager
def _folder(directory: Path, within: Path) -> Iterator[int]:
    """A handle of ``directory``, opened component by component below ``within``.

    ``within`` itself is trusted (opened normally); below it no component may
    be a symlink, so the handle lies inside ``within`` whatever happens to the
    names meanwhile.
    """
    try:
        rel = directory.relative_to(within)
    except ValueError:
        raise PathOutsideRoot(f"{directory.name} is outside the folder it must stay in.") from None
    if ".." in rel.parts:
        raise PathOutsideRoot(f"{_shown(directory, within)} climbs out of its folder.")
    fd = os.open(within, os.O_RDONLY | _DIRECTORY | _CLOEXEC)
    try:
        walked = within
        for part in rel.parts:
            walked = walked / part
            try:
                nxt = os.open(part, _DIR_FLAGS, dir_fd=fd)
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK):
                    raise UnsafeFile(
                        f"{_shown(walked, within)} is a symbolic link or not a folder: "
                        "nothing is read or written through it."
                    ) from None
                raise
            os.close(fd)
            fd = nxt
        yield fd
    finally:
        os.close(fd)


def _target(
    path: str | os.PathLike[str], within: str | os.PathLike[str] | None
) -> tuple[Path, Path]:
    target = Path(os.path.abspath(path))
    base = Path(os.path.abspath(within)) if within is not None else target.parent
    if target == base or not target.name:
        raise InvalidRequest(f"Not a file: {target.name or target}")
    return target, base


def _open_regular(name: str, dfd: int, shown: str, flags: int) -> int:
    """Open ``name`` in the folder ``dfd`` without following it; refuse what is not a regular file."""
    try:
        fd = os.open(name, flags | _NOFOLLOW | _NONBLOCK | _CLOEXEC, dir_fd=dfd)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EMLINK):
            raise UnsafeFile(f"{shown} is a symbolic link: it is not followed.") from None
        if exc.errno == errno.ENXIO:  # a socket, or a FIFO opened for writing
            raise UnsafeFile(f"{shown} is not a regular file.") from None
        raise
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, "Is a directory", shown)
        if not stat.S_ISREG(mode):
            raise UnsafeFile(f"{shown} is not a regular file (a FIFO, device or socket).")
    except BaseException:
        os.close(fd)
        raise
    return fd


# --- reading ----------------------------------------------------------------------------


def read_file(
    path: str | os.PathLike[str], *, within: str | os.PathLike[str] | None = None
) -> bytes:
    """The bytes of the regular file ``path`` (below ``within``; default: its own folder).

    Raises :class:`UnsafeFile` for a symlink on the way or a FIFO, device or
    socket (before reading anything), :class:`FileNotFoundError` when absent.
    """
    target, base = _target(path, within)
    with _folder(target.parent, base) as dfd:
        fd = _open_regular(target.name, dfd, _shown(target, base), os.O_RDONLY)
    with os.fdopen(fd, "rb") as handle:
        return handle.read()


def read_file_if_exists(
    path: str | os.PathLike[str], *, within: str | os.PathLike[str] | None = None
) -> bytes | None:
    """:func:`read_file`, or ``None`` when the file (or its folder) does not exist."""
    try:
        return read_file(path, within=within)
    except FileNotFoundError:
        return None


def file_digest(
    path: str | os.PathLike[str], *, within: str | os.PathLike[str] | None = None
) -> str:
    """SHA-256 of a regular file, read in chunks (same refusals as :func:`read_file`)."""
    import hashlib

    target, base = _target(path, within)
    with _folder(target.parent, base) as dfd:
        fd = _open_regular(target.name, dfd, _shown(target, base), os.O_RDONLY)
    digest = hashlib.sha256()
    with os.fdopen(fd, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def regular_file_size(path: str | os.PathLike[str]) -> int | None:
    """Size of ``path`` when it is a regular file (symlinks not followed), else ``None``."""
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return st.st_size if stat.S_ISREG(st.st_mode) else None


# --- git directories: never written ----------------------------------------------------------

#: Code points HFS+ ignores in names (git's ``is_hfs_dotgit``): ``.g\u200cit`` is ``.git`` there.
_HFS_IGNORED = frozenset(
    "\u200c\u200d\u200e\u200f"
    "\u202a\u202b\u202c\u202d\u202e"
    "\u206a\u206b\u206c\u206d\u206e\u206f"
    "\ufeff"
)


def is_git_name(name: str) -> bool:
    """Whether some file system takes ``name`` for ``.git``.

    Any case (``.GIT``, ``.Git``: one folder on case-insensitive file
    systems), HFS+'s ignored code points, NTFS's trailing dots and spaces,
    alternate streams (``.git::$INDEX_ALLOCATION``) and short name (``GIT~1``):
    the names git's own ``core.protectHFS``/``core.protectNTFS`` refuse.
    """
    folded = "".join(c for c in name if c not in _HFS_IGNORED).casefold()
    folded = folded.split(":", 1)[0].rstrip(" .")
    return folded in (".git", "git~1")


def _kind(path: str) -> int | None:
    try:
        return stat.S_IFMT(os.stat(path, follow_symlinks=False).st_mode)
    except (OSError, ValueError):
        return None


def is_git_dir(folder: str | os.PathLike[str]) -> bool:
    """Whether git takes ``folder`` for a git directory, whatever its name.

    git's own test (``is_git_directory``): a ``HEAD`` and either ``objects/``
    with ``refs/`` (a repository's, a bare or a ``--separate-git-dir`` one) or a
    ``commondir`` file (a linked worktree's). A folder with a ``.git`` of its
    own is a work tree, as git discovers it.
    """
    top = os.fspath(folder)
    if _kind(os.path.join(top, "HEAD")) not in (stat.S_IFREG, stat.S_IFLNK):
        return False
    if _kind(os.path.join(top, ".git")) is not None:
        return False
    if _kind(os.path.join(top, "commondir")) == stat.S_IFREG:
        return True
    return (
        _kind(os.path.join(top, "objects")) == stat.S_IFDIR
        and _kind(os.path.join(top, "refs")) == stat.S_IFDIR
    )


def check_outside_git_dir(
    path: str | os.PathLike[str], *, within: str | os.PathLike[str] | None = None
) -> None:
    """:class:`InsideGitDirectory` unless ``path`` may be written: it is in no git directory.

    ``path`` (absolute, or relative to the working directory) is taken as the
    door writes it: below the real ``within`` (default: its own folder's real
    path), one name at a time. Refused: a name :func:`is_git_name` takes for
    ``.git`` anywhere in it (``path`` itself included: a ``.git`` file is a
    worktree's or submodule's pointer), and any folder above it that
    :func:`is_git_dir` takes for a git directory.
    """
    target, base = _target(path, within)
    try:
        rel = target.relative_to(base)
    except ValueError:
        raise PathOutsideRoot(f"{target.name} is outside the folder it must stay in.") from None
    full = Path(realpath(base)).joinpath(*rel.parts)
    shown = _shown(target, base)
    for name in full.parts:
        if is_git_name(name):
            raise InsideGitDirectory(
                f"{shown} is inside a git directory ({name}): nothing is written there."
            )
    for folder in full.parents:
        if is_git_dir(folder):
            raise InsideGitDirectory(
                f"{shown} is inside a git directory ({folder.name or folder}): "
                "nothing is written there."
            )


# --- writing ----------------------------------------------------------------------------


def atomic_write(
    path: str | os.PathLike[str],
    data: bytes,
    *,
    within: str | os.PathLike[str] | None = None,
    mode: int | None = None,
) -> None:
    """Replace ``path`` with ``data`` so readers see the old or the new file, never half.

    ``path`` must be a regular file or absent, and reached from ``within``
    (default: its own folder) without symlinks. The new file keeps the old
    one's permissions, or gets ``mode``, or ``0o666`` through the umask as a
    plain ``open()`` would.
    """
    target, base = _target(path, within)
    shown = _shown(target, base)
    check_outside_git_dir(target, within=base)
    with _folder(target.parent, base) as dfd:
        try:
            st: os.stat_result | None = os.stat(target.name, dir_fd=dfd, follow_symlinks=False)
        except FileNotFoundError:
            st = None
        if st is not None and stat.S_ISLNK(st.st_mode):
            raise UnsafeFile(f"{shown} is a symbolic link: it is not replaced or followed.")
        if st is not None and not stat.S_ISREG(st.st_mode):
            raise UnsafeFile(f"{shown} is not a regular file: it is not replaced.")
        keep = mode if mode is not None else (stat.S_IMODE(st.st_mode) if st else None)
        while True:
            # A short prefix: ".<255-byte name>.<random>" would exceed the file system's limit.
            tmp = f".{target.name[:40]}.{secrets.token_hex(4)}.repro-tmp"
            try:
                fd = os.open(
                    tmp,
                    os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC,
                    0o666,
                    dir_fd=dfd,
                )
                break
            except FileExistsError:  # taken, or a planted symlink: another name
                continue
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                if keep is not None:
                    os.fchmod(handle.fileno(), keep)
                os.fsync(handle.fileno())
            os.replace(tmp, target.name, src_dir_fd=dfd, dst_dir_fd=dfd)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp, dir_fd=dfd)
            raise


def create_file(
    path: str | os.PathLike[str],
    data: bytes,
    *,
    within: str | os.PathLike[str] | None = None,
    mode: int = 0o666,
) -> None:
    """Create the new file ``path`` with ``data``; :class:`FileExistsError` if anything is there.

    Nothing existing is ever replaced (a symlink under the name counts as
    existing). Written to a temporary file first and linked into place, so
    readers never see half of it.
    """
    target, base = _target(path, within)
    check_outside_git_dir(target, within=base)
    with _folder(target.parent, base) as dfd:
        if _exists(target.name, dfd):
            raise FileExistsError(errno.EEXIST, "File exists", target.name)
        tmp = f".{target.name[:40]}.{secrets.token_hex(4)}.repro-tmp"
        fd = os.open(
            tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC, mode, dir_fd=dfd
        )
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            # link() fails when the name exists: never a replace, unlike rename().
            os.link(tmp, target.name, src_dir_fd=dfd, dst_dir_fd=dfd)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(tmp, dir_fd=dfd)


def _exists(name: str, dfd: int) -> bool:
    try:
        os.stat(name, dir_fd=dfd, follow_symlinks=False)
    except FileNotFoundError:
        return False
    return True
