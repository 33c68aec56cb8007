"""年度总结 read from the vault for the 报表 page's dialog: the period's figures and the printed
summary (app/printing/year_summary.py). Call on the vault worker."""

from __future__ import annotations

from app.domain.schedule import VisitSchedule
from app.services.stored import Today
from app.services.year_summary import Period, SummaryRecords, YearSummary, year_summary
from storage.vault import Vault


class YearSummaryService:
    """The year summary over one vault (the dialog gets this, never the vault)."""

    def __init__(self, vault: Vault, *, today: Today) -> None:
        self._vault = vault
        self._today = today

    def records(self) -> SummaryRecords:
        """Every record the summary counts, read once."""
        return SummaryRecords.from_vault(self._vault)

    def figures(
        self,
        period: Period,
        *,
        village_code: str | None = None,
        schedule: VisitSchedule | None = None,
    ) -> YearSummary:
        """The period's figures as of today. Raises ``MonthError`` for a period not begun."""
        return year_summary(
            self.records(),
            period,
            today=self._today(),
            village_code=village_code,
            schedule=schedule,
        )

    def pdf(
        self,
        period: Period,
        *,
        village_code: str | None = None,
        schedule: VisitSchedule | None = None,
    ) -> bytes:
        """年度工作总结 as PDF (raises ``IdentifyingDataError`` for a typical case that would
        still name its child, ``MonthError`` for a period not begun)."""
        from app.printing.year_summary import year_summary_pdf  # printing imports services

        return year_summary_pdf(
            self._vault,
            period,
            today=self._today(),
            village_code=village_code,
            schedule=schedule,
        )

    def review(self, summary: YearSummary, *, village_code: str | None = None) -> list[str]:
        """What to check before printing ``summary``'s typical cases, in words (name
        characters and village names left in a story, a case that would stop the print)."""
        from app.printing.year_summary import year_summary_review  # printing imports services

        return year_summary_review(self._vault, summary, village_code=village_code)
