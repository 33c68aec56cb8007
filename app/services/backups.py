"""备份到U盘 of the open vault (storage/backup.py does the work). Call on the vault worker."""

from __future__ import annotations

from pathlib import Path

from storage.backup import BackupInfo, write_backup
from storage.vault import Vault


class BackupService:
    def __init__(self, vault: Vault) -> None:
        self._vault = vault

    def write(self, folder: Path) -> BackupInfo:
        """Write a backup file into ``folder`` and read it back to check it."""
        return write_backup(self._vault, folder)
