"""The file name suggested for a saved record: kind, child's name and date, so two children's
records of one day do not overwrite each other."""

from __future__ import annotations

from datetime import date

from app.printing import (
    PrintedPdf,
    assessment_report_pdf,
    child_sheet_pdf,
    suggested_file_name,
    visit_record_pdf,
)
from app.services.assessments import ASSESSMENT_TYPE
from app.services.children import CHILD_TYPE
from app.services.visits import VISIT_TYPE
from storage.vault import Vault

TODAY = date(2026, 11, 22)


def test_names_are_safe_on_every_file_system() -> None:
    assert suggested_file_name("走访记录", child_name="张小明", on=date(2026, 11, 20)) == (
        "走访记录-张小明-2026-11-20.pdf"
    )
    assert suggested_file_name("走访记录", child_name='阿依/古丽:"买买提"?', on="2026-11-20") == (
        "走访记录-阿依_古丽__买买提-2026-11-20.pdf"
    )
    assert suggested_file_name("空白走访记录表", on=TODAY) == "空白走访记录表-2026-11-22.pdf"
    assert suggested_file_name("儿童档案", child_name=" .. ", on=TODAY) == "儿童档案-2026-11-22.pdf"


def test_two_childrens_visits_of_one_day_get_different_names(filled_vault: Vault) -> None:
    names = {r.record_id: r.data["name"] for r in filled_vault.load(CHILD_TYPE).revisions}
    visits = filled_vault.load(VISIT_TYPE).revisions
    by_day: dict[str, list[str]] = {}
    for visit in visits:
        by_day.setdefault(visit.data["on"], []).append(visit.record_id)
    # two visits of one day to two different children (or any two visits, if none share a day)
    same_day = next(
        (ids for ids in by_day.values() if len(ids) > 1), [v.record_id for v in visits[:2]]
    )
    pdfs = [visit_record_pdf(filled_vault, visit_id, printed_on=TODAY) for visit_id in same_day[:2]]
    assert all(isinstance(pdf, PrintedPdf) and pdf.startswith(b"%PDF") for pdf in pdfs)
    for visit_id, pdf in zip(same_day[:2], pdfs, strict=True):
        visit = filled_vault.get(visit_id).data
        assert pdf.file_name == f"走访记录-{names[visit['child_id']]}-{visit['on']}.pdf"
    if (
        filled_vault.get(same_day[0]).data["child_id"]
        != filled_vault.get(same_day[1]).data["child_id"]
    ):
        assert pdfs[0].file_name != pdfs[1].file_name


def test_child_sheet_and_assessment_report_name_the_child(filled_vault: Vault) -> None:
    child = filled_vault.load(CHILD_TYPE).revisions[0]
    sheet = child_sheet_pdf(filled_vault, child.record_id, printed_on=TODAY)
    assert sheet.file_name == f"儿童档案-{child.data['name']}-2026-11-22.pdf"
    finished = next(
        r for r in filled_vault.load(ASSESSMENT_TYPE).revisions if r.data["status"] == "finished"
    )
    name = next(
        r.data["name"]
        for r in filled_vault.load(CHILD_TYPE).revisions
        if r.record_id == finished.data["child_id"]
    )
    report = assessment_report_pdf(filled_vault, finished.record_id, printed_on=TODAY)
    assert report.file_name == f"评估报告-{name}-{finished.data['finished_on']}.pdf"
