"""Every printed document, read back: names, dates and levels are there, the page furniture
(header, 第 N 页 共 M 页, 内部资料 注意保密) is on every page, fonts are embedded, and names
with rare or markup characters print as written."""

from __future__ import annotations

import copy
import json
from dataclasses import replace

import pytest

from app.domain.child_file import ChildFile
from app.printing import (
    Letterhead,
    PrintInputError,
    assessment_report_pdf,
    blank_questionnaire_pdf,
    child_sheet_pdf,
    load_child_sheet,
    monthly_report_pdf,
    render_child_sheet,
    visit_record_pdf,
)
from app.printing.fonts import FALLBACK_FONT, MAIN_FONT, font_for, missing_marker
from app.printing.labels import level_zh
from app.printing.markup import para_text, zh_date
from app.questionnaire import definition_from_json, load_default_definition
from app.questionnaire.model import Question
from app.questionnaire.naming import version_zh
from app.services.assessments import ASSESSMENT_TYPE, FINISHED, Assessment
from app.services.caseload import Caseload
from app.services.children import CHILD_TYPE
from app.services.monthly_report import ReportMonth
from app.services.visits import VisitService
from storage.vault import Vault
from tests.printing.conftest import TODAY
from tests.printing.helpers import flat, page_count, pdf_fonts, pdf_text
from tests.questionnaire.helpers import minimal_definition

RARE_IN_FALLBACK = "䶮"  # U+4DAE, CJK Extension A: not in WenQuanYi Micro Hei
RARE_NOWHERE = "𠇔"  # U+201D4, CJK Extension B: in neither bundled font


def _page_furniture(pdf: bytes) -> None:
    pages = page_count(pdf)
    for page in range(1, pages + 1):
        text = flat(pdf_text(pdf, page))
        assert f"第{page}页共{pages}页" in text
        assert "内部资料注意保密" in text
        assert f"打印日期：{flat(zh_date(TODAY))}" in text
        assert "南川区罗云镇石岗村" in text


def _assert_embedded(pdf: bytes) -> list[str]:
    fonts = pdf_fonts(pdf)
    assert fonts, "no fonts in the PDF"
    assert all(f["emb"] == "yes" for f in fonts), fonts
    assert all("TrueType" in f["type"] for f in fonts), fonts
    assert b"/FontFile2" in pdf  # the TrueType programs themselves are in the file
    return [f["name"] for f in fonts]


def _child_with_level(vault: Vault) -> str:
    caseload = Caseload.build(vault)
    return next(
        s.child_id
        for s in sorted(caseload.summaries.values(), key=lambda s: s.child_id)
        if s.level and s.last_visit and s.open_case_stage
    )


def test_visit_record(filled_vault: Vault) -> None:
    child_id = _child_with_level(filled_vault)
    stored = VisitService(filled_vault, author="").list_all(child_id)[0]
    child = ChildFile.from_json(filled_vault.get(child_id).data)
    pdf = visit_record_pdf(filled_vault, stored.record_id, printed_on=TODAY)
    assert pdf.startswith(b"%PDF")
    text = flat(pdf_text(pdf))
    visit = stored.value
    for expected in (
        "入户走访记录表",
        child.name,
        zh_date(child.birth_date),
        zh_date(visit.on),
        visit.observations.safety,
        visit.help_given,
        "儿童主任（签字）",
        "监护人（实际抚养人）（签字）",
        "日期：",
    ):
        assert flat(expected) in text, expected
    if visit.next_visit_on:
        assert zh_date(visit.next_visit_on) in text
    assert "色（" in text  # the level on the day of the visit
    _page_furniture(pdf)
    assert MAIN_FONT in " ".join(_assert_embedded(pdf))


def test_child_sheet(filled_vault: Vault) -> None:
    child_id = _child_with_level(filled_vault)
    summary = Caseload.build(filled_vault).summaries[child_id]
    pdf = child_sheet_pdf(filled_vault, child_id, printed_on=TODAY)
    text = flat(pdf_text(pdf))
    child = summary.child
    for expected in (
        "儿童档案表",
        child.name,
        zh_date(child.birth_date),
        child.id_number or "未登记",
        flat(level_zh(summary.level)),
        zh_date(summary.last_visit),
        "监护人及实际抚养人",
        "爱心妈妈",
        "填表人（儿童主任）（签字）",
    ):
        assert flat(expected) in text, expected
    for guardian in child.guardians:
        assert guardian.name in text
    _page_furniture(pdf)
    _assert_embedded(pdf)


def test_assessment_report(filled_vault: Vault) -> None:
    revisions = filled_vault.load(ASSESSMENT_TYPE).revisions
    revision = next(r for r in revisions if r.data["result"]["fired_rules"])
    assessment = Assessment.from_json(revision.data)
    child = ChildFile.from_json(filled_vault.get(assessment.child_id).data)
    pdf = assessment_report_pdf(filled_vault, revision.record_id, printed_on=TODAY)
    text = flat(pdf_text(pdf))
    result = revision.data["result"]
    for expected in (
        "监护能力评估报告",
        child.name,
        zh_date(assessment.finished_on),
        flat(level_zh(assessment.level, meaning=False)),
        result["level_label"],
        result["fired_rules"][0]["reason"],
        result["recommendations"][0],
        "评估人员（签字）",
        "监护人（知情确认）（签字）",
    ):
        assert flat(expected) in text, expected
    for section in result["sections"]:
        assert flat(section["label"]) in text
    _page_furniture(pdf)
    _assert_embedded(pdf)


def test_draft_assessment_is_refused(filled_vault: Vault) -> None:
    revision = filled_vault.load(ASSESSMENT_TYPE).revisions[0]
    draft = {**revision.data, "status": "draft", "result": None, "finished_on": None}
    record = filled_vault.put(ASSESSMENT_TYPE, draft, author="t")
    with pytest.raises(PrintInputError) as caught:
        assessment_report_pdf(filled_vault, record.record_id, printed_on=TODAY)
    assert "还没有完成" in caught.value.message_zh


def test_unknown_and_wrong_kind_of_record(filled_vault: Vault) -> None:
    with pytest.raises(PrintInputError, match="no visit record"):
        visit_record_pdf(filled_vault, "0" * 32, printed_on=TODAY)
    child_id = filled_vault.load(CHILD_TYPE).revisions[0].record_id
    with pytest.raises(PrintInputError, match="is a child record, not a visit") as caught:
        visit_record_pdf(filled_vault, child_id, printed_on=TODAY)
    assert "儿童档案" in caught.value.message_zh


def test_blank_questionnaire_lists_every_question_and_choice() -> None:
    definition = load_default_definition()
    pdf = blank_questionnaire_pdf(
        definition, letterhead=Letterhead("南川区", "罗云镇", "石岗村"), printed_on=TODAY
    )
    text = flat(pdf_text(pdf))
    assert flat(definition.title) in text and version_zh(definition.version) in text
    for question in definition.questions:
        assert flat(question.label) in text, question.id
        for choice in question.choices:
            assert flat(choice.label) in text, (question.id, choice.value)
    assert "评估人员（签字）" in text
    assert page_count(pdf) > 3
    _page_furniture(pdf)
    _assert_embedded(pdf)


def test_blank_questionnaire_follows_the_definition() -> None:
    data = minimal_definition(
        [
            {"type": "note", "id": "intro", "label": "请逐项填写。"},
            {
                "type": "single_choice",
                "id": "meals",
                "label": "孩子每天吃几顿饭？",
                "choices": [
                    {"value": "three", "label": "三顿", "score": 2},
                    {"value": "fewer", "label": "少于三顿", "score": 0},
                ],
            },
            {"type": "text", "id": "remarks", "label": "其他情况说明"},
        ]
    )
    definition = definition_from_json(data)
    pdf = blank_questionnaire_pdf(definition, letterhead=Letterhead("", "", ""), printed_on=TODAY)
    text = flat(pdf_text(pdf))
    assert "测试问卷" in text and "请逐项填写。" in text
    assert "1.孩子每天吃几顿饭？" in text and "少于三顿" in text and "2.其他情况说明" in text
    assert "3." not in text.split("其他情况说明")[1]  # nothing the definition does not have
    changed = copy.deepcopy(data)
    changed["items"][1]["choices"].append({"value": "none", "label": "经常不吃饭", "score": 0})
    text2 = flat(
        pdf_text(
            blank_questionnaire_pdf(
                definition_from_json(changed), letterhead=Letterhead("", "", ""), printed_on=TODAY
            )
        )
    )
    assert "经常不吃饭" in text2 and "经常不吃饭" not in text
    assert "区（县）" in text2  # no vault: blank lines for the place


def test_monthly_report_pages_are_numbered(filled_vault: Vault) -> None:
    pdf = monthly_report_pdf(filled_vault, ReportMonth(2026, 10), today=TODAY)
    pages = page_count(pdf)
    assert pages >= 3
    _page_furniture(pdf)
    text = flat(pdf_text(pdf))
    for expected in (
        "月度工作报表",
        "2026年10月",
        "本月应走访",
        "逾期未走访",
        "在册儿童",
        "本月等级变化",
        "新开个案",
        "强制报告",
        "年满18周岁",
        "本月走访明细",
        "审核人（镇儿童督导员）（签字）",
    ):
        assert expected in text, expected
    _assert_embedded(pdf)


def test_rare_characters_fall_back_or_are_marked() -> None:
    assert font_for("王") == MAIN_FONT
    assert font_for(RARE_IN_FALLBACK) == FALLBACK_FONT
    assert font_for(RARE_NOWHERE) is None
    markup = para_text(f"刘{RARE_IN_FALLBACK}{RARE_NOWHERE}")
    assert f'<font face="{FALLBACK_FONT}">{RARE_IN_FALLBACK}</font>' in markup
    assert missing_marker(RARE_NOWHERE) == "〔U+201D4〕"
    assert "〔U+201D4〕" in markup


def _renamed_sheet(vault: Vault, name: str) -> bytes:
    child_id = _child_with_level(vault)
    data = load_child_sheet(vault, child_id)
    renamed = replace(data, child=replace(data.child, name=name))
    return render_child_sheet(renamed, printed_on=TODAY)


def test_rare_character_name_prints(filled_vault: Vault) -> None:
    pdf = _renamed_sheet(filled_vault, f"刘{RARE_IN_FALLBACK}{RARE_NOWHERE}")
    text = pdf_text(pdf)
    assert f"刘{RARE_IN_FALLBACK}" in text  # printed with the fallback font, not dropped
    assert "〔U+201D4〕" in text  # no font has it: a visible marker with the code point
    names = _assert_embedded(pdf)
    assert any(FALLBACK_FONT in n for n in names) and any(MAIN_FONT in n for n in names)


def test_markup_characters_in_a_name_print(filled_vault: Vault) -> None:
    name = "<b>李&amp;王</b> & <i>"
    pdf = _renamed_sheet(filled_vault, name)
    assert flat(name) in flat(pdf_text(pdf))  # wrapped in its cell, but all there


def test_rare_name_in_the_header_and_visit_record(filled_vault: Vault) -> None:
    profile_id = filled_vault.load("director_profile").revisions[0].record_id
    profile = filled_vault.profile()
    odd = {**profile, "village_name": f"石{RARE_IN_FALLBACK}村<&>"}
    filled_vault.put("director_profile", odd, author="t", record_id=profile_id)
    try:
        stored = VisitService(filled_vault, author="").list_all()[0]
        pdf = visit_record_pdf(filled_vault, stored.record_id, printed_on=TODAY)
        assert f"石{RARE_IN_FALLBACK}村<&>" in pdf_text(pdf)
    finally:
        filled_vault.put("director_profile", profile, author="t", record_id=profile_id)


def test_same_input_same_bytes_and_no_names_in_metadata(filled_vault: Vault) -> None:
    stored = VisitService(filled_vault, author="").list_all()[0]
    child = ChildFile.from_json(filled_vault.get(stored.value.child_id).data)
    first = visit_record_pdf(filled_vault, stored.record_id, printed_on=TODAY)
    assert first == visit_record_pdf(filled_vault, stored.record_id, printed_on=TODAY)
    # The document information dictionary names the kind of document, not the child.
    info = first[first.rindex(b"/Title") - 400 : first.rindex(b"/Title") + 200]
    assert (
        json.dumps(child.name).encode() not in info and child.name.encode("utf-16-be") not in info
    )


def test_level_shown_is_the_finished_assessments(filled_vault: Vault) -> None:
    for revision in filled_vault.load(ASSESSMENT_TYPE).revisions:
        if revision.data["status"] == FINISHED:
            assert revision.data["result"]["level"] in ("green", "yellow", "orange", "red")


def test_question_labels_are_unique_enough() -> None:
    # The blank-form test matches labels in the text; make sure they are long enough to mean it.
    assert all(
        len(q.label) >= 2 for q in load_default_definition().questions if isinstance(q, Question)
    )
