"""USB sticks: finding removable drives, and what may be written to them.

Linux: mount points under ``/media/<user>``, ``/media`` and ``/run/media/<user>``; Windows:
drive letters whose type (``GetDriveTypeW``) is removable; macOS: ``/Volumes``. A folder can
always be chosen by hand instead.

Everything written to a stick goes through :func:`write_verified`: a temporary name that
the district's ``import`` never picks up (it reads ``*.cdbatch`` and ``*.cdenroll`` only),
fsync, rename, fsync of the folder, then the file is read back and compared. A stick pulled
mid-write leaves at most a temporary file (ignored) or, on file systems that lose the rename's
data, a truncated batch file that the district refuses as undecryptable and the laptop writes
again on the next export — the batch stays kept on the laptop until a receipt names it.
"""

from __future__ import annotations

import os
import string
import sys
from dataclasses import dataclass
from pathlib import Path

from storage.atomic_file import write_atomic

DRIVE_REMOVABLE = 2  # GetDriveTypeW


@dataclass(frozen=True)
class Drive:
    path: Path
    label: str


def _mounted_under(root: Path) -> list[Path]:
    try:
        children = sorted(p for p in root.iterdir() if p.is_dir())
    except OSError:
        return []
    found: list[Path] = []
    for child in children:
        if os.path.ismount(child):
            found.append(child)
        else:  # /media/<user>/<label>
            try:
                found.extend(
                    sorted(g for g in child.iterdir() if g.is_dir() and os.path.ismount(g))
                )
            except OSError:
                continue
    return found


def _windows_drives() -> list[Drive]:  # pragma: no cover - Windows only
    import ctypes

    kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
    mask = int(kernel32.GetLogicalDrives())
    drives = []
    for index, letter in enumerate(string.ascii_uppercase):
        if not mask & (1 << index):
            continue
        root = f"{letter}:\\"
        if int(kernel32.GetDriveTypeW(ctypes.c_wchar_p(root))) == DRIVE_REMOVABLE:
            drives.append(Drive(Path(root), f"{letter}:"))
    return drives


def removable_drives(roots: list[Path] | None = None) -> list[Drive]:
    """Mounted removable drives, best first. ``roots`` replaces the platform's mount roots
    (tests)."""
    if roots is None and sys.platform == "win32":
        return _windows_drives()
    if roots is None:
        if sys.platform == "darwin":
            roots = [Path("/Volumes")]
        else:
            user = os.environ.get("USER", "")
            roots = [Path("/run/media") / user, Path("/media")] if user else [Path("/media")]
    found: list[Drive] = []
    seen: set[Path] = set()
    for root in roots:
        for mount in _mounted_under(root):
            if mount not in seen and os.access(mount, os.W_OK):
                seen.add(mount)
                found.append(Drive(mount, mount.name))
    return found


def write_verified(target: Path, data: bytes) -> None:
    """Write atomically and read back; raises OSError when the copy is not intact."""
    write_atomic(target, data)
    if target.read_bytes() != data:
        raise OSError(f"{target.name} did not read back intact")
