"""Printouts name the questionnaire as people read it — its Chinese title and 第1版 — never
its id (guardianship_capacity) or raw version (1.1.0), and a correction names the day of the
assessment it corrects, not that assessment's record id."""

from __future__ import annotations

from datetime import date, timedelta

from app.printing import (
    Letterhead,
    assessment_report_pdf,
    blank_questionnaire_pdf,
    load_assessment_report,
)
from app.printing.markup import zh_date
from app.questionnaire import definition_from_json, load_default_definition
from app.questionnaire.naming import label_of
from app.services.assessments import ASSESSMENT_TYPE, Assessment
from storage.vault import Vault
from tests.printing.conftest import TODAY
from tests.printing.helpers import flat, pdf_text
from tests.questionnaire.helpers import minimal_definition


def _finished(vault: Vault) -> tuple[str, Assessment]:
    revision = next(
        r for r in vault.load(ASSESSMENT_TYPE).revisions if r.data["status"] == "finished"
    )
    return revision.record_id, Assessment.from_json(revision.data)


def _no_program_names(text: str) -> None:
    definition = load_default_definition()
    assert definition.id not in text
    assert definition.version not in text  # 1.1.0
    assert f"第{definition.version}版" not in text


def test_assessment_report_names_the_questionnaire_and_version_in_chinese(
    filled_vault: Vault,
) -> None:
    record_id, _ = _finished(filled_vault)
    text = flat(pdf_text(assessment_report_pdf(filled_vault, record_id, printed_on=TODAY)))
    assert flat(label_of(load_default_definition())) in text  # …评估表（第1.1版）
    _no_program_names(text)


def test_a_correction_names_the_original_by_its_day(filled_vault: Vault) -> None:
    original_id, original = _finished(filled_vault)
    assert original.result is not None
    original_day = date.fromisoformat(original.result["assessed_on"])
    later = original_day + timedelta(days=3)
    correction = filled_vault.put(
        ASSESSMENT_TYPE,
        {
            **original.to_json(),
            "started_on": later.isoformat(),
            "finished_on": later.isoformat(),
            "result": {**original.result, "assessed_on": later.isoformat()},
            "corrects": original_id,
        },
        author="t",
    )
    data = load_assessment_report(filled_vault, correction.record_id)
    assert data.corrects_on == original_day
    pdf = assessment_report_pdf(filled_vault, correction.record_id, printed_on=TODAY)
    text = flat(pdf_text(pdf))
    assert f"本次评估更正了{zh_date(original_day)}的评估" in text
    assert original_id not in text


def test_a_correction_of_an_unreadable_original_says_so_plainly(filled_vault: Vault) -> None:
    _, original = _finished(filled_vault)
    broken = filled_vault.put(
        ASSESSMENT_TYPE, {**original.to_json(), "corrects": "f" * 32}, author="t"
    )
    text = flat(pdf_text(assessment_report_pdf(filled_vault, broken.record_id, printed_on=TODAY)))
    assert "本次评估更正了此前的一次评估" in text and "f" * 32 not in text


def test_a_questionnaire_not_installed_is_never_named_by_its_id(filled_vault: Vault) -> None:
    record_id, _ = _finished(filled_vault)
    other = definition_from_json(minimal_definition([{"type": "text", "id": "x", "label": "备注"}]))
    data = load_assessment_report(filled_vault, record_id, [other])
    assert data.definition_title == "评估表"
    assert data.definition_label == "评估表（第1.1版）"
    text = flat(
        pdf_text(
            assessment_report_pdf(filled_vault, record_id, printed_on=TODAY, definitions=[other])
        )
    )
    _no_program_names(text)


def test_blank_questionnaire_prints_the_version_in_chinese() -> None:
    definition = load_default_definition()
    pdf = blank_questionnaire_pdf(
        definition, letterhead=Letterhead("南川区", "罗云镇", "石岗村"), printed_on=TODAY
    )
    text = flat(pdf_text(pdf))
    assert "第1.1版" in text and flat(definition.title) in text
    assert "评估表编号" not in text
    _no_program_names(text)
