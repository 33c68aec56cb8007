"""The printed child sheet (儿童档案表) says 已完成 with the date for a plan action carried out,
and the date it was due for one still to do (read back with pdftotext)."""

from __future__ import annotations

from datetime import date

from app.domain.case import CaseKind, CaseStage, Plan, PlanAction
from app.domain.child_file import ChildFile, Gender
from app.printing import child_sheet_pdf
from app.services.cases import CaseService
from app.services.children import ChildService
from storage.vault import Vault
from tests.printing.conftest import TODAY
from tests.printing.helpers import flat, pdf_text


def test_done_action_prints_its_date(vault: Vault) -> None:
    children = ChildService(vault, author="王秀英", today=lambda: TODAY)
    child = ChildFile("陈雨桐", Gender.FEMALE, date(2014, 6, 1), "500119104201")
    child_id = children.create(child).record_id
    cases = CaseService(vault, author="王秀英", today=lambda: TODAY)
    record_id = cases.open(child_id, CaseKind.ABSENCE, "祖母住院，无人照料").record_id
    cases.link_assessment(record_id, notes="入户评估：监护人照料能力不足。")
    cases.move(record_id, CaseStage.ASSESSED)
    plan = Plan(
        ["落实兜底监护"],
        [
            PlanAction("申请临时救助", "镇社会事务办", date(2026, 12, 10), TODAY),
            PlanAction("联系爱心妈妈结对", "村儿童主任", date(2026, 12, 20)),
        ],
    )
    cases.update_plan(record_id, plan)
    cases.move(record_id, CaseStage.INTERVENING)
    text = flat(pdf_text(child_sheet_pdf(vault, child_id, printed_on=TODAY)))
    on = f"{TODAY.year}年{TODAY.month}月{TODAY.day}日"
    done = f"申请临时救助（镇社会事务办，2026年12月10日前，已完成 {on}）"
    assert flat(done) in text
    assert flat("联系爱心妈妈结对（村儿童主任，2026年12月20日前）") in text  # still to do
