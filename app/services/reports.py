"""月报 records of the open vault, read once per change (app/services/monthly_report.py
computes the figures from them). Call on the vault worker."""

from __future__ import annotations

from app.services.monthly_report import CaseloadRecords
from storage.vault import Vault


class ReportService:
    def __init__(self, vault: Vault) -> None:
        self._vault = vault

    def records(self) -> CaseloadRecords:
        return CaseloadRecords.from_vault(self._vault)
