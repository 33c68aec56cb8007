"""Printed records (PDF, A4, Simplified Chinese), rendered into memory with reportlab.

Plain Python, no Qt. Every function returns the PDF as ``bytes`` (a record's as
:class:`PrintedPdf`, which also carries the file name to suggest: kind, child's name, date);
nothing is written to disk here (the privacy rule: preview and print from memory; only
保存为PDF writes a file, where the user chooses). See docs/printing.md.

One call per document, given the unlocked vault (run it on the vault worker)::

    pdf = visit_record_pdf(vault, visit_id, printed_on=date.today())
    pdf = child_sheet_pdf(vault, child_id, printed_on=date.today(), schedule=schedule)
    pdf = assessment_report_pdf(vault, assessment_id, printed_on=date.today())
    pdf = monthly_report_pdf(vault, ReportMonth.parse("2026-11"), today=date.today(),
                             schedule=schedule)
    pdf = blank_questionnaire_pdf(load_default_definition(), letterhead=letterhead_for(vault),
                                  printed_on=date.today())

``schedule`` is the visit schedule in force (``DefinitionService(vault).schedule()``: the
district's newest rules, else the bundled ones); without it the bundled rules are used.

Or read on the vault worker (``load_*``, ``CaseloadRecords.from_vault``) and render on a
printing worker (``render_*``): rendering touches no vault. A record that does not exist or
is of the wrong kind raises :class:`PrintInputError` (``message_zh`` for the GUI).
"""

from __future__ import annotations

from datetime import date

from app.domain.schedule import VisitSchedule
from app.printing.assessment_report import render_assessment_report
from app.printing.blank_forms import blank_child_sheet_pdf, blank_visit_record_pdf
from app.printing.blank_questionnaire import render_blank_questionnaire
from app.printing.child_sheet import render_child_sheet
from app.printing.file_names import PrintedPdf, suggested_file_name
from app.printing.fonts import QT_FAMILY, main_font_path, register_fonts
from app.printing.monthly_report import render_monthly_report
from app.printing.page import Letterhead
from app.printing.sources import (
    AssessmentReportData,
    ChildSheetData,
    PrintInputError,
    VisitRecordData,
    letterhead_for,
    load_assessment_report,
    load_child_sheet,
    load_visit_record,
)
from app.printing.visit_record import render_visit_record
from app.questionnaire import Definition
from app.services.monthly_report import CaseloadRecords, ReportMonth, monthly_figures
from storage.vault import Vault

__all__ = [
    "QT_FAMILY",
    "AssessmentReportData",
    "ChildSheetData",
    "Letterhead",
    "PrintInputError",
    "PrintedPdf",
    "VisitRecordData",
    "assessment_report_pdf",
    "blank_child_sheet_pdf",
    "blank_questionnaire_pdf",
    "blank_visit_record_pdf",
    "child_sheet_pdf",
    "letterhead_for",
    "load_assessment_report",
    "load_child_sheet",
    "load_visit_record",
    "main_font_path",
    "monthly_report_pdf",
    "register_fonts",
    "render_assessment_report",
    "render_blank_questionnaire",
    "render_child_sheet",
    "render_monthly_report",
    "render_visit_record",
    "suggested_file_name",
    "visit_record_pdf",
]


def visit_record_pdf(vault: Vault, visit_id: str, *, printed_on: date) -> PrintedPdf:
    """入户走访记录表 of one visit (suggested file: 走访记录-<child>-<visit date>.pdf)."""
    data = load_visit_record(vault, visit_id)
    name = suggested_file_name("走访记录", child_name=data.child.name, on=data.visit.on)
    return PrintedPdf(render_visit_record(data, printed_on=printed_on), name)


def child_sheet_pdf(
    vault: Vault, child_id: str, *, printed_on: date, schedule: VisitSchedule | None = None
) -> PrintedPdf:
    """儿童档案表 of one child; the next visit date follows ``schedule`` (pass the current
    one, ``DefinitionService(vault).schedule()``; default: the bundled rules).
    Suggested file: 儿童档案-<child>-<printed on>.pdf."""
    data = load_child_sheet(vault, child_id, schedule=schedule)
    name = suggested_file_name("儿童档案", child_name=data.child.name, on=printed_on)
    return PrintedPdf(render_child_sheet(data, printed_on=printed_on), name)


def assessment_report_pdf(
    vault: Vault,
    assessment_id: str,
    *,
    printed_on: date,
    definitions: list[Definition] | None = None,
    schedule: VisitSchedule | None = None,
) -> PrintedPdf:
    """监护能力评估报告 of one finished assessment (a draft raises PrintInputError); the
    visit frequency advised follows ``schedule`` (pass the current one; default: the bundled
    rules). Suggested file: 评估报告-<child>-<finished on>.pdf."""
    data = load_assessment_report(vault, assessment_id, definitions, schedule)
    on = data.assessment.finished_on or data.assessment.started_on
    name = suggested_file_name("评估报告", child_name=data.child.name, on=on)
    return PrintedPdf(render_assessment_report(data, printed_on=printed_on), name)


def blank_questionnaire_pdf(
    definition: Definition, *, letterhead: Letterhead, printed_on: date
) -> bytes:
    """空白评估表 generated from ``definition`` (needs no vault; pass
    ``Letterhead("", "", "")`` when none is open)."""
    return render_blank_questionnaire(definition, letterhead=letterhead, printed_on=printed_on)


def monthly_report_pdf(
    vault: Vault,
    month: ReportMonth,
    *,
    today: date,
    village_code: str | None = None,
    schedule: VisitSchedule | None = None,
) -> bytes:
    """月度工作报表 of ``month`` for ``village_code`` (default: the director's village); visits
    due follow ``schedule`` (pass the current one; default: the bundled rules).
    Raises ``MonthError`` for a month that has not begun."""
    village = village_code or str(vault.profile().get("village_code") or "") or None
    figures = monthly_figures(
        CaseloadRecords.from_vault(vault),
        month,
        today=today,
        village_code=village,
        schedule=schedule,
    )
    return render_monthly_report(
        figures, letterhead=letterhead_for(vault, village), printed_on=today
    )
