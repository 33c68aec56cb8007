"""Durable file replacement: write a temp file, fsync it, ``os.replace`` it over the target,
fsync the directory. A reader sees the old file or the new one, never a torn mix.

The temporary file gets a random name beside the target and is created exclusively without
following links (``O_CREAT | O_EXCL | O_NOFOLLOW``), readable by its owner only; a target that
exists and is not a regular file (a device, a pipe, a folder, a symbolic link) is refused, so
nothing is ever renamed over ``/dev/…`` or written through a planted link.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from pathlib import Path

PRIVATE_FILE_MODE = 0o600
_CREATE_FLAGS = (
    os.O_WRONLY
    | os.O_CREAT
    | os.O_EXCL
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)


class NotARegularFileError(OSError):
    """The target exists and is not a regular file; it is left alone."""

    def __init__(self, target: Path) -> None:
        super().__init__(
            errno.EINVAL,
            "it is not a regular file (a device, pipe, folder or link); nothing was written",
            str(target),
        )


def fsync_directory(directory: Path) -> None:
    if os.name == "nt":  # Windows cannot open a directory for fsync; NTFS journals renames.
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def check_replaceable(target: Path) -> None:
    """Raise :class:`NotARegularFileError` when ``target`` exists and is not a regular file
    (links are not followed: a link is refused too)."""
    try:
        info = os.lstat(target)
    except FileNotFoundError:
        return
    if not stat.S_ISREG(info.st_mode):
        raise NotARegularFileError(target)


def create_temporary(target: Path, mode: int = PRIVATE_FILE_MODE) -> tuple[int, Path]:
    """A new file with a random name beside ``target``, opened for writing (fd, path)."""
    for _attempt in range(100):
        tmp = target.with_name(f".{target.name}.{secrets.token_hex(8)}.tmp")
        try:
            return os.open(tmp, _CREATE_FLAGS, mode), tmp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(target.parent))


def write_atomic(
    target: Path, data: bytes, *, mode: int = PRIVATE_FILE_MODE, durable: bool = True
) -> None:
    """Replace ``target`` with ``data``. ``durable=False`` skips the fsyncs (the rename is
    still atomic) for copies that another durable copy backs up."""
    target = Path(target)
    check_replaceable(target)
    fd, tmp = create_temporary(target, mode)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        check_replaceable(target)
        tmp.replace(target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    if durable:
        fsync_directory(target.parent)
