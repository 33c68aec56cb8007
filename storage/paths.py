"""Where a vault lives: ``--data-dir``, else ``$CHILDDESK_DATA_DIR``, else the per-user data dir.

One vault per folder; different folders never share files, so several vaults (or several
Windows users) on one machine do not collide.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from platformdirs import user_data_path

ENV_DATA_DIR = "CHILDDESK_DATA_DIR"


def resolve_data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    if explicit:
        return Path(explicit).expanduser()
    from_env = os.environ.get(ENV_DATA_DIR)
    if from_env:
        return Path(from_env).expanduser()
    return user_data_path("childdesk", appauthor=False, roaming=False)


@dataclass(frozen=True)
class VaultPaths:
    """The files of one vault inside its data folder."""

    root: Path

    @property
    def header(self) -> Path:
        return self.root / "vault.header"

    @property
    def database(self) -> Path:
        return self.root / "vault.db"

    @property
    def attachments(self) -> Path:
        return self.root / "attachments"

    def attachment_blob(self, blob_id: str) -> Path:
        # Two-level fan-out keeps directories small on FAT/NTFS-era machines.
        return self.attachments / blob_id[:2] / f"{blob_id}.cda"

    def exists(self) -> bool:
        return self.header.exists() or self.database.exists()
