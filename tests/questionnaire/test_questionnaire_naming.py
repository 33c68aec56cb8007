"""A questionnaire is shown to people by its Chinese title and 第X版, never by its id."""

from __future__ import annotations

from dataclasses import replace

from app.questionnaire import load_default_definition
from app.questionnaire.naming import definition_label, definition_title, label_of, version_zh


def test_version_reads_as_di_x_ban() -> None:
    assert version_zh("1.0.0") == "第1版"
    assert version_zh("1") == "第1版"
    assert version_zh("1.2") == "第1.2版"
    assert version_zh("1.2.0") == "第1.2版"
    assert version_zh("1.0.1") == "第1.0.1版"
    assert version_zh("2.10.0") == "第2.10版"


def test_title_from_the_installed_definitions() -> None:
    bundled = load_default_definition()
    assert label_of(bundled) == "困境儿童家庭监护能力评估表（第1.1版）"
    newer = replace(bundled, version="1.2", title="困境儿童家庭监护能力评估表（修订）")
    known = [bundled, newer]
    assert definition_title(bundled.id, bundled.version, known) == "困境儿童家庭监护能力评估表"
    assert (
        definition_label(bundled.id, "1.2", known)
        == "困境儿童家庭监护能力评估表（修订）（第1.2版）"
    )
    # a version not installed here: the title of the same questionnaire's newest known version
    assert definition_label(bundled.id, "3", known) == "困境儿童家庭监护能力评估表（修订）（第3版）"
    # a questionnaire not known at all: never the English id
    assert definition_label("some_other_form", "1.0.0", known) == "评估表（第1版）"
