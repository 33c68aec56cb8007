"""What the screens say about correcting an assessment is what the service does: a finished
assessment's answers are frozen; 更正 makes a new assessment with its answers and keeps the
original; a draft is not corrected but edited."""

from __future__ import annotations

import random
from datetime import date

import pytest

from app.domain.child_file import ChildFile, Gender
from app.domain.problems import DomainValidationError
from app.questionnaire import load_default_definition
from app.questionnaire.sample_answers import sample_answers
from app.services.assessments import (
    CORRECTION_HOW,
    FINISHED,
    AssessmentImmutableError,
    AssessmentService,
)
from app.services.children import ChildService
from storage.vault import Vault

TODAY = date(2026, 11, 22)
DEFINITION = load_default_definition()


def test_correction_keeps_the_original_and_the_words_say_so(vault: Vault) -> None:
    children = ChildService(vault, author="王秀英", today=lambda: TODAY)
    child_id = children.create(
        ChildFile("陈雨桐", Gender.FEMALE, date(2014, 6, 1), "500119104201")
    ).record_id
    service = AssessmentService(vault, [DEFINITION], author="王秀英", today=lambda: TODAY)
    first = service.start(child_id, DEFINITION, ["王秀英"])
    answers = sample_answers(DEFINITION, random.Random(1), TODAY)
    service.save_draft(first.record_id, answers)

    with pytest.raises(DomainValidationError) as refused:
        service.start_correction(first.record_id)  # a draft is edited, not corrected
    assert "双击它接着填写" in refused.value.problems[0].message_zh

    service.finish(first.record_id)
    with pytest.raises(AssessmentImmutableError) as frozen:
        service.save_draft(first.record_id, {})
    assert frozen.value.problems[0].message_zh == CORRECTION_HOW
    assert "不能修改；如需更正，请新建" not in CORRECTION_HOW

    correction = service.start_correction(first.record_id)
    assert correction.record_id != first.record_id
    assert correction.value.corrects == first.record_id
    assert correction.value.answers == service.get(first.record_id).value.answers
    service.finish(correction.record_id)
    kept = service.get(first.record_id).value
    assert kept.status == FINISHED and kept.answers == answers  # the original is still there
    assert [s.record_id for s in service.list_all(child_id)] == [
        first.record_id,
        correction.record_id,
    ]
    assert "新建一次更正评估" in CORRECTION_HOW and "原来的评估仍然保留" in CORRECTION_HOW
