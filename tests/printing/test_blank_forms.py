"""Blank paper forms to fill by hand: the visit record and the child-file sheet, with the
letterhead, every choice as a tick box, and nothing of any child."""

from __future__ import annotations

from datetime import date

from app.domain.categories import CATEGORY_LABELS_ZH
from app.domain.visit import VISIT_FORM_LABELS_ZH
from app.printing import Letterhead, blank_child_sheet_pdf, blank_visit_record_pdf, letterhead_for
from storage.vault import Vault
from tests.printing.helpers import flat, page_count, pdf_text

TODAY = date(2026, 11, 22)


def test_blank_visit_record(filled_vault: Vault) -> None:
    pdf = blank_visit_record_pdf(letterhead=letterhead_for(filled_vault), printed_on=TODAY)
    assert pdf.file_name == "空白走访记录表-2026-11-22.pdf"
    assert page_count(pdf) == 1
    text = flat(pdf_text(pdf))
    for label in ("入户走访记录表", "石岗村", "儿童姓名", "走访日期", "发现的问题", "下次走访日期"):
        assert label in text, label
    for form in VISIT_FORM_LABELS_ZH.values():
        assert f"□{form}" in text
    assert "□红（家庭监护能力缺失）" in text
    assert "儿童主任（签字）" in text


def test_blank_child_sheet_without_a_vault() -> None:
    pdf = blank_child_sheet_pdf(letterhead=Letterhead("", "", ""), printed_on=TODAY)
    assert pdf.file_name == "空白儿童档案表-2026-11-22.pdf"
    assert page_count(pdf) <= 2
    text = flat(pdf_text(pdf))
    assert "区（县）" in text  # lines to fill in the district, town and village
    for label in ("儿童档案表", "身份证号", "监护人及实际抚养人", "帮扶措施", "填表人"):
        assert label in text, label
    for category in CATEGORY_LABELS_ZH.values():
        assert flat(category) in text, category
