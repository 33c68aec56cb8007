"""The printed forms of the open vault: a child's records and the blank forms with the
village's letterhead (app/printing renders them). Call on the vault worker."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.domain.schedule import VisitSchedule
    from app.printing.file_names import PrintedPdf
    from app.questionnaire import Definition
    from storage.vault import Vault


class PrintService:
    """Each PDF through :mod:`app.printing` (looked up there at each call, and imported at the
    first: it loads reportlab and PIL, a quarter of a second each desk start used to pay)."""

    def __init__(self, vault: Vault) -> None:
        self._vault = vault

    def visit_record(self, visit_id: str, *, printed_on: date) -> PrintedPdf:
        from app import printing

        return printing.visit_record_pdf(self._vault, visit_id, printed_on=printed_on)

    def child_sheet(
        self, child_id: str, *, printed_on: date, schedule: VisitSchedule | None = None
    ) -> PrintedPdf:
        from app import printing

        return printing.child_sheet_pdf(
            self._vault, child_id, printed_on=printed_on, schedule=schedule
        )

    def assessment_report(
        self,
        assessment_id: str,
        *,
        printed_on: date,
        definitions: list[Definition],
        schedule: VisitSchedule | None = None,
    ) -> PrintedPdf:
        from app import printing

        return printing.assessment_report_pdf(
            self._vault,
            assessment_id,
            printed_on=printed_on,
            definitions=definitions,
            schedule=schedule,
        )

    def screening_report(
        self, screening_id: str, *, printed_on: date, definitions: list[Definition]
    ) -> PrintedPdf:
        """心理状况筛查结果 of one finished screening."""
        from app.printing.screening_report import screening_report_pdf

        return screening_report_pdf(
            self._vault, screening_id, printed_on=printed_on, definitions=definitions
        )

    def sign_in_sheet(self, activity_id: str, *, printed_on: date) -> bytes:
        """活动签到表 of one activity, with its invited children's names."""
        from app.printing.sign_in_sheet import sign_in_sheet_pdf

        return sign_in_sheet_pdf(self._vault, activity_id, printed_on=printed_on)

    def recognition_application(self, application_id: str, *, printed_on: date) -> bytes:
        """事实无人抚养儿童认定申请表 of one application, the facts filled in."""
        from app.printing.recognition_application import recognition_application_pdf

        return recognition_application_pdf(self._vault, application_id, printed_on=printed_on)

    def blank_visit_record(self, *, printed_on: date) -> bytes:
        from app import printing

        return printing.blank_visit_record_pdf(
            letterhead=printing.letterhead_for(self._vault), printed_on=printed_on
        )

    def blank_child_sheet(self, *, printed_on: date) -> bytes:
        from app import printing

        return printing.blank_child_sheet_pdf(
            letterhead=printing.letterhead_for(self._vault), printed_on=printed_on
        )

    def blank_questionnaire(self, definition: Definition, *, printed_on: date) -> bytes:
        from app import printing

        return printing.blank_questionnaire_pdf(
            definition, letterhead=printing.letterhead_for(self._vault), printed_on=printed_on
        )
