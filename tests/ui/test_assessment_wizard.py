"""The assessment wizard on a real vault: skip logic live, messages in place, drafts saved and
resumed, finishing with confirmation (then immutable)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QLabel,
    QListWidget,
    QPushButton,
    QRadioButton,
    QScrollArea,
)

from app.domain.categories import GuardianRelation
from app.domain.child_file import ChildFile, Gender, Guardian
from app.domain.guardian_situation import GuardianSituation
from app.domain.id_number import FICTIONAL_AREA_CODE, make_id_number
from app.questionnaire.model import Question, QuestionType
from app.services.assessments import FINISHED, AssessmentImmutableError
from ui.desk_services import DeskServices
from ui.views import messages
from ui.views.assessment_wizard import (
    AssessmentWizard,
    QuestionWidget,
    SingleChoiceWidget,
    YesNoWidget,
    demo_assessment_wizard,
    demo_result_page,
)
from ui.views.level_badge import LevelBadge
from ui.views.messages import user_message

# A valid answer for questions whose first choice does not fit a ten-year-old.
PREFERRED = {"ed_stage": "primary", "g_relation": "mother"}


@pytest.fixture(autouse=True)
def no_error_boxes(monkeypatch: pytest.MonkeyPatch) -> None:
    """An error box would wait for a click forever offscreen: fail the test instead."""

    def fail(_parent: object, err: BaseException, _title: str = "") -> None:
        raise AssertionError(f"error shown to the user: {user_message(err)}")

    monkeypatch.setattr(messages, "show_error", fail)


def make_child(desk: DeskServices, born: date = date(2016, 3, 1)) -> str:
    stored = desk.children.create(ChildFile("周小雨", Gender.FEMALE, born, "500119104201"))
    return stored.record_id


def open_wizard(qtbot: Any, desk: DeskServices, child_id: str, **kwargs: Any) -> AssessmentWizard:
    wizard = AssessmentWizard(desk, child_id, **kwargs)
    qtbot.addWidget(wizard)
    wizard.show()
    return wizard


def container(wizard: AssessmentWizard, path: str) -> QuestionWidget:
    found = wizard.findChild(QuestionWidget, path)
    assert found is not None, path
    return found


def message(wizard: AssessmentWizard, path: str) -> str:
    label = container(wizard, path).findChild(QLabel, "message")
    assert label is not None
    return label.text() if label.isVisibleTo(wizard) else ""


def stored_answers(desk: DeskServices, wizard: AssessmentWizard) -> dict[str, Any]:
    assert wizard.record_id is not None
    return desk.assessments.get(wizard.record_id).value.answers


def answer_current_page(qtbot: Any, wizard: AssessmentWizard) -> None:
    """Answer every shown, unanswered question on the page, clicking as a user would."""
    page_id = wizard.current_page_id()
    body = wizard.findChild(object, f"page_{page_id}")  # type: ignore[arg-type]
    assert body is not None
    for widget in body.findChildren(QuestionWidget):
        if not widget.relevant or widget.value() is not None:
            continue
        question: Question = widget.question
        leaf = widget.path.rsplit(".", 1)[-1]
        if isinstance(widget, SingleChoiceWidget):
            value = PREFERRED.get(leaf, question.choices[0].value)
            tick(qtbot, widget.buttons[value])
        elif isinstance(widget, YesNoWidget):
            tick(qtbot, widget.buttons["yes"])
        elif question.type is QuestionType.MULTIPLE_CHOICE:
            widget.boxes[question.choices[0].value].click()  # type: ignore[attr-defined]
        elif question.type is QuestionType.INTEGER:
            widget.spin.setValue(40)  # type: ignore[attr-defined]
        elif question.type is QuestionType.DECIMAL:
            widget.spin.setValue(1500)  # type: ignore[attr-defined]
        else:
            wizard.set_answer(widget.path, "样例")


def tick(qtbot: Any, button: QAbstractButton) -> None:
    """Click a radio button or check box on its indicator, where a user clicks."""
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton, pos=QPoint(8, button.height() // 2))


def click(qtbot: Any, wizard: AssessmentWizard, name: str) -> None:
    button = wizard.findChild(QPushButton, name)
    assert button is not None and button.isVisible() and button.isEnabled(), name
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def complete_all_pages(qtbot: Any, wizard: AssessmentWizard) -> None:
    for _ in range(20):
        if wizard.current_page_id() == "result":
            return
        answer_current_page(qtbot, wizard)
        click(qtbot, wizard, "next")
    raise AssertionError("the wizard never reached the result page")


def test_new_assessment_prefills_birth_date_and_shows_progress(qtbot, desk: DeskServices) -> None:  # type: ignore[no-untyped-def]
    wizard = open_wizard(qtbot, desk, make_child(desk))
    assert wizard.current_page_id() == "basic"
    assert wizard.answers["child_birth_date"] == "2016-03-01"  # from the child file
    progress = wizard.findChild(QLabel, "progress")
    assert progress is not None
    assert progress.text().startswith("第 1/12 页")
    assert "已答 1/" in progress.text()
    assert not wizard.findChild(QPushButton, "back").isEnabled()
    # the draft is in the vault at once, with the birth date saved as you go
    qtbot.waitUntil(lambda: stored_answers(desk, wizard).get("child_birth_date") == "2016-03-01")


def test_age_dependent_questions_follow_the_birth_date_live(qtbot, desk: DeskServices) -> None:  # type: ignore[no-untyped-def]
    wizard = open_wizard(qtbot, desk, make_child(desk, date(2016, 3, 1)))  # ten years old
    assert not wizard.is_shown("ph_vaccination")  # only under 7
    assert wizard.is_shown("mh_screening")  # 6 and over
    pages = wizard.findChild(QListWidget, "page_list")

    wizard.question_widget("child_birth_date").date_edit.set_value(date(2022, 5, 1))  # type: ignore[attr-defined]
    assert wizard.answers["child_birth_date"] == "2022-05-01"
    assert wizard.is_shown("ph_vaccination")
    assert not container(wizard, "ph_vaccination").isHidden()
    assert not wizard.is_shown("mh_screening")
    assert not wizard.is_shown("sf_bullying")

    # under three: the whole 社会参与 page is skipped and greyed in the list
    wizard.question_widget("child_birth_date").date_edit.set_value(date(2025, 1, 10))  # type: ignore[attr-defined]
    social = [p.id for p in wizard.definition.pages].index("social_participation")  # type: ignore[union-attr]
    assert "不适用" in pages.item(social).text()
    assert not pages.item(social).flags() & Qt.ItemFlag.ItemIsEnabled
    assert wizard.findChild(QLabel, "progress").text().startswith("第 1/11 页")
    wizard.go_to_page(social - 1)
    click(qtbot, wizard, "next")
    assert wizard.current_page == social + 1


def test_relevance_rules_toggle_live(qtbot, desk: DeskServices) -> None:  # type: ignore[no-untyped-def]
    wizard = open_wizard(qtbot, desk, make_child(desk))
    living = wizard.question_widget("child_living")
    assert isinstance(living, SingleChoiceWidget)
    tick(qtbot, living.buttons["with_parents"])
    assert not wizard.is_shown("ec_parent_contact")
    assert not wizard.is_shown("kn_entrustment")
    tick(qtbot, living.buttons["with_grandparents"])
    assert wizard.answers["child_living"] == "with_grandparents"
    assert wizard.is_shown("ec_parent_contact")
    assert wizard.is_shown("kn_entrustment")

    # inside a guardian's block: a deceased parent has no care, age or health questions
    situation = wizard.question_widget("guardians[0].g_situation")
    assert isinstance(situation, SingleChoiceWidget)
    assert wizard.is_shown("guardians[0].g_age")
    situation.choose("deceased")
    assert not wizard.is_shown("guardians[0].g_age")
    assert not wizard.is_shown("guardians[0].g_care")
    situation.choose("working_away")
    assert wizard.is_shown("guardians[0].g_age")


def test_required_message_shown_when_leaving_a_question_empty(qtbot, desk: DeskServices) -> None:  # type: ignore[no-untyped-def]
    wizard = open_wizard(qtbot, desk, make_child(desk))
    assert message(wizard, "child_living") == ""  # nothing nags before the page is left
    caring = wizard.question_widget("someone_caring")
    assert isinstance(caring, YesNoWidget)
    tick(qtbot, caring.buttons["yes"])

    click(qtbot, wizard, "next")
    assert wizard.current_page_id() == "physical_health"
    click(qtbot, wizard, "back")
    assert "还没有回答" in message(wizard, "child_living")
    assert "还没有回答" in message(wizard, "assessment_methods")
    assert message(wizard, "someone_caring") == ""
    assert "缺 2" in wizard.findChild(QListWidget, "page_list").item(0).text()

    # answering clears the message at once
    living = wizard.question_widget("child_living")
    tick(qtbot, living.buttons["boarding"])  # type: ignore[attr-defined]
    assert message(wizard, "child_living") == ""


def test_constraint_message_in_place(qtbot, desk: DeskServices) -> None:  # type: ignore[no-untyped-def]
    wizard = open_wizard(qtbot, desk, make_child(desk))
    wizard.go_to_page([p.id for p in wizard.definition.pages].index("guardian_health"))  # type: ignore[union-attr]
    age = wizard.question_widget("guardians[0].g_age")
    age.spin.setValue(9)  # type: ignore[attr-defined]
    assert message(wizard, "guardians[0].g_age") == "⚠ 年龄应在14至110岁之间。"
    age.spin.setValue(35)  # type: ignore[attr-defined]
    assert message(wizard, "guardians[0].g_age") == ""
    assert wizard.answers["guardians"][0]["g_age"] == 35


def test_guardian_blocks_added_and_removed(qtbot, desk: DeskServices, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    wizard = open_wizard(qtbot, desk, make_child(desk))
    wizard.go_to_page([p.id for p in wizard.definition.pages].index("guardian_health"))  # type: ignore[union-attr]
    assert len(wizard.answers["guardians"]) == 1  # min_count blocks are there from the start
    wizard.question_widget("guardians[0].g_relation").choose("mother")  # type: ignore[attr-defined]
    click(qtbot, wizard, "add_guardians")
    assert len(wizard.answers["guardians"]) == 2
    wizard.question_widget("guardians[1].g_relation").choose("grandparent")  # type: ignore[attr-defined]
    titles = [t.text() for t in wizard._repeats["guardians"].block_titles]
    assert titles == ["第 1 位：母亲", "第 2 位：祖父母或外祖父母"]

    monkeypatch.setattr(messages, "confirm", lambda *a, **k: False)
    click(qtbot, wizard, "remove_guardians[0]")
    assert len(wizard.answers["guardians"]) == 2
    monkeypatch.setattr(messages, "confirm", lambda *a, **k: True)
    click(qtbot, wizard, "remove_guardians[0]")
    assert wizard.answers["guardians"] == [{"g_relation": "grandparent"}]
    assert wizard.question_widget("guardians[0].g_relation").value() == "grandparent"
    assert "guardians[1].g_relation" not in wizard._widgets
    # the last block cannot be removed (at least one guardian)
    assert not wizard.findChild(QPushButton, "remove_guardians[0]").isVisibleTo(wizard)


def test_draft_saved_as_you_go_and_resumed(qtbot, desk: DeskServices) -> None:  # type: ignore[no-untyped-def]
    child_id = make_child(desk)
    wizard = open_wizard(qtbot, desk, child_id)
    record_id = wizard.record_id
    assert record_id is not None
    tick(qtbot, wizard.question_widget("child_living").buttons["alone"])  # type: ignore[attr-defined]
    # saved by the debounce timer, without leaving the page
    qtbot.waitUntil(
        lambda: stored_answers(desk, wizard).get("child_living") == "alone", timeout=3000
    )
    assert "已自动保存" in wizard.findChild(QLabel, "save_status").text()

    wizard.question_widget("assessment_methods").boxes["home_visit"].click()  # type: ignore[attr-defined]
    wizard.close()  # closing saves at once
    assert desk.assessments.get(record_id).value.answers["assessment_methods"] == ["home_visit"]
    assert desk.assessments.get(record_id).value.status == "draft"

    resumed = open_wizard(qtbot, desk, child_id, assessment_id=record_id)
    assert resumed.record_id == record_id
    assert resumed.question_widget("child_living").value() == "alone"
    assert resumed.question_widget("assessment_methods").value() == ["home_visit"]
    assert resumed.question_widget("child_birth_date").value() == "2016-03-01"
    assert resumed.current_page_id() == "basic"  # the first page still missing answers
    assert len(desk.assessments.list_all(child_id)) == 1  # resumed, not started again


def test_finishing_asks_then_shows_the_level_and_freezes(
    qtbot, desk: DeskServices, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    child_id = make_child(desk)
    wizard = open_wizard(qtbot, desk, child_id)
    complete_all_pages(qtbot, wizard)
    assert wizard.current_page_id() == "result"
    badge = wizard.findChild(LevelBadge, "result_level")
    assert badge is not None and badge.property("level") == "green"
    assert "预览" in wizard.findChild(QLabel, "result_status").text()
    assert wizard.findChild(object, "result_sections") is not None  # type: ignore[arg-type]
    assert wizard.findChild(object, "result_recommendations") is not None  # type: ignore[arg-type]
    # 完成评估 is in the bottom bar, next to 保存并关闭, not at the end of the scrolling result
    finish = wizard.findChild(QPushButton, "finish")
    assert finish is not None and finish.isVisible() and finish.isEnabled()
    assert not wizard.findChild(QScrollArea, "result_page").isAncestorOf(finish)
    assert wizard.rect().contains(finish.geometry().translated(finish.parentWidget().pos()))
    assert not wizard.findChild(QPushButton, "next").isVisible()
    assert "右下角" in wizard.findChild(QLabel, "result_status").text()

    asked: list[str] = []

    def refuse(_parent: object, _title: str, text: str, _ok: str = "") -> bool:
        asked.append(text)
        return False

    monkeypatch.setattr(messages, "confirm", refuse)
    click(qtbot, wizard, "finish")
    # what the director is told is what 更正选中的评估 in the child file really does
    assert "不能修改" not in asked[0]
    assert "更正选中的评估" in asked[0] and "原来的评估仍然保留" in asked[0]
    assert asked[0].startswith("评估结果：绿 · 正常。")  # what is being confirmed
    assert desk.assessments.get(wizard.record_id).value.status == "draft"  # type: ignore[arg-type]

    monkeypatch.setattr(messages, "confirm", lambda *a, **k: True)
    with qtbot.waitSignal(wizard.assessment_finished) as signal:
        click(qtbot, wizard, "finish")
    assert signal.args == [wizard.record_id]
    stored = desk.assessments.get(wizard.record_id).value  # type: ignore[arg-type]
    assert stored.status == FINISHED and stored.level == "green"
    assert wizard.findChild(LevelBadge, "result_level").property("level") == "green"
    assert "已于 2026-11-22 完成" in wizard.findChild(QLabel, "result_status").text()
    assert "更正选中的评估" in wizard.findChild(QLabel, "result_status").text()
    assert not wizard.findChild(QPushButton, "finish").isVisible()
    assert wizard.findChild(QPushButton, "close").text() == "关闭"
    assert not wizard.question_widget("child_living").editor.isEnabled()
    with pytest.raises(AssessmentImmutableError):
        desk.assessments.save_draft(wizard.record_id, {})  # type: ignore[arg-type]
    assert desk.assessments.current_level(child_id) == "green"

    # opened again it shows the result, read-only
    again = open_wizard(qtbot, desk, child_id, assessment_id=wizard.record_id)
    assert again.current_page_id() == "result"
    assert again.is_finished
    assert again.findChild(LevelBadge, "result_level").property("level") == "green"


def test_veto_rule_forces_red_and_asks_for_a_report(qtbot, desk: DeskServices, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    wizard = open_wizard(qtbot, desk, make_child(desk))
    wizard.go_to_page([p.id for p in wizard.definition.pages].index("child_safety"))  # type: ignore[union-attr]
    wizard.question_widget("sf_abuse").choose("confirmed")  # type: ignore[attr-defined]
    wizard.go_to_page(0)
    complete_all_pages(qtbot, wizard)
    assert wizard.assessment_result is not None and wizard.assessment_result.level == "red"
    assert wizard.findChild(LevelBadge, "result_level").property("level") == "red"
    rules = wizard.findChild(object, "result_rules")  # type: ignore[arg-type]
    assert any("监护侵害" in label.text() for label in rules.findChildren(QLabel))
    report = wizard.findChild(QLabel, "result_mandatory_report")
    assert report is not None and "报告镇（街道）和区民政局" in report.text()
    assert "涉及侵害的，依法向公安机关报案" in report.text()  # as the printed report says
    assert "按得分为“绿”" in wizard.findChild(QLabel, "result_total").text()


def test_view_result_with_answers_missing_goes_to_them(qtbot, desk: DeskServices) -> None:  # type: ignore[no-untyped-def]
    wizard = open_wizard(qtbot, desk, make_child(desk))
    last = len(wizard.definition.pages) - 1  # type: ignore[union-attr]
    wizard.go_to_page(last)
    assert wizard.findChild(QPushButton, "next").text() == "查看结果 →"
    click(qtbot, wizard, "next")
    assert wizard.current_page_id() == "basic"  # the first page with a problem
    notice = wizard.findChild(QLabel, "notice")
    assert notice.isVisibleTo(wizard) and "需要填写或修改" in notice.text()
    assert "还没有回答" in message(wizard, "child_living")


def test_radio_buttons_are_real_widgets(qtbot, desk: DeskServices) -> None:  # type: ignore[no-untyped-def]
    """Every question of the default instrument gets a container named by its id."""
    wizard = open_wizard(qtbot, desk, make_child(desk))
    definition = wizard.definition
    assert definition is not None
    for question in definition.questions:
        path = question.id if question.repeat is None else f"guardians[0].{question.id}"
        assert wizard.findChild(QuestionWidget, path) is not None, path
    living = container(wizard, "child_living")
    assert len(living.findChildren(QRadioButton)) == len(definition.by_id["child_living"].choices)  # type: ignore[attr-defined]


def test_demo_factories(qtbot, demo_desk: DeskServices) -> None:  # type: ignore[no-untyped-def]
    wizard = demo_assessment_wizard(demo_desk)
    qtbot.addWidget(wizard)
    assert wizard.current_page_id() == "guardian_health"
    assert 0 < wizard.state.answered < wizard.state.total  # type: ignore[union-attr]
    result = demo_result_page(demo_desk)
    qtbot.addWidget(result)
    assert result.is_finished and result.current_page_id() == "result"
    assert result.findChild(LevelBadge, "result_level").property("level") in ("red", "orange")


def test_new_assessment_prefills_the_guardians_from_the_child_file(
    qtbot, desk: DeskServices, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    father = Guardian(
        GuardianRelation.FATHER,
        name="周建国",
        id_number=make_id_number(FICTIONAL_AREA_CODE, date(1985, 12, 1), 11),
        situations=[GuardianSituation.WORKING_AWAY],
    )
    grandmother = Guardian(
        GuardianRelation.GRANDMOTHER,
        name="王桂兰",
        situations=[GuardianSituation.PRESENT],
        is_caregiver=True,
    )
    file = ChildFile(
        "周小雨", Gender.FEMALE, date(2016, 3, 1), "500119104201", guardians=[father, grandmother]
    )
    child_id = desk.children.create(file).record_id
    wizard = open_wizard(qtbot, desk, child_id)
    wizard.go_to_page([p.id for p in wizard.definition.pages].index("guardian_health"))  # type: ignore[union-attr]

    assert wizard.answers["guardians"] == [
        {"g_relation": "father", "g_situation": "working_away", "g_age": 40},
        {"g_relation": "grandparent", "g_situation": "at_home", "g_care": "daily"},
    ]
    assert wizard.question_widget("guardians[1].g_care").value() == "daily"
    titles = [t.text() for t in wizard._repeats["guardians"].block_titles]
    assert titles == ["第 1 位：父亲", "第 2 位：祖父母或外祖父母"]
    # shown as taken from the file, for the director to check
    note = wizard.findChild(QLabel, "prefill_note")
    assert note is not None and note.isVisible() and "已按儿童档案" in note.text()
    assert "2 位" in note.text()

    def marked(path: str) -> bool:
        mark = container(wizard, path).findChild(QLabel, "prefilled_mark")
        return mark is not None and not mark.isHidden() and "请核对" in mark.text()

    assert marked("guardians[0].g_relation") and marked("guardians[0].g_age")
    assert marked("guardians[1].g_care")
    assert not marked("guardians[0].g_care")  # the file does not say: asked, not guessed
    assert not marked("guardians[1].g_age")  # no ID number in the file
    assert marked("child_birth_date")
    # once the director answers it, it is theirs
    tick(qtbot, wizard.question_widget("guardians[0].g_situation").buttons["lost_contact"])  # type: ignore[attr-defined]
    assert not marked("guardians[0].g_situation") and marked("guardians[0].g_relation")
    # removing a person moves the marks with the blocks
    monkeypatch.setattr(messages, "confirm", lambda *a, **k: True)
    click(qtbot, wizard, "remove_guardians[0]")
    assert wizard.answers["guardians"][0]["g_relation"] == "grandparent"
    assert marked("guardians[0].g_care") and not marked("guardians[0].g_age")

    # saved with the draft; resumed, nothing is filled twice
    record_id = wizard.record_id
    wizard.close()
    assert desk.assessments.get(record_id).value.answers["guardians"] == [  # type: ignore[arg-type]
        {"g_relation": "grandparent", "g_situation": "at_home", "g_care": "daily"}
    ]
    resumed = open_wizard(qtbot, desk, child_id, assessment_id=record_id)
    assert len(resumed.answers["guardians"]) == 1
    assert resumed.findChild(QLabel, "prefill_note").isHidden()


def test_the_questionnaire_is_named_in_chinese_with_its_version(qtbot, desk: DeskServices) -> None:  # type: ignore[no-untyped-def]
    import random

    from app.questionnaire.sample_answers import sample_answers

    child_id = make_child(desk)
    started = desk.assessments.start(child_id, desk.definition, ["王秀英"])
    answers = sample_answers(desk.definition, random.Random(3), desk.today())
    desk.assessments.save_draft(started.record_id, answers)
    desk.assessments.finish(started.record_id)
    assert desk.assessments.label_for(started.value) == "困境儿童家庭监护能力评估表（第1.1版）"
    correction = desk.assessments.start_correction(started.record_id)

    wizard = open_wizard(qtbot, desk, child_id, assessment_id=correction.record_id)
    subheading = wizard.findChild(QLabel, "subheading").text()
    assert subheading.startswith("困境儿童家庭监护能力评估表（第1.1版） · 开始于 2026-11-22")
    assert "更正 2026-11-22 的评估（原来的评估仍然保留）" in subheading
    shown = [label.text() for label in wizard.findChildren(QLabel)]
    pages = wizard.findChild(QListWidget, "page_list")
    shown += [pages.item(i).text() for i in range(pages.count())]
    shown += [wizard.windowTitle()]
    for text in shown:
        assert "guardianship_capacity" not in text and "1.1.0" not in text, text


def test_clicking_the_result_with_answers_missing_marks_the_page_shown(
    qtbot, desk: DeskServices
) -> None:  # type: ignore[no-untyped-def]
    """评估结果 clicked in the page list while answers are missing: the wizard goes to the first
    page with a problem, and the list marks that page — not the result it was clicked on."""
    wizard = open_wizard(qtbot, desk, make_child(desk))
    pages = wizard.findChild(QListWidget, "page_list")
    assert pages is not None
    result_row = pages.count() - 1
    rect = pages.visualItemRect(pages.item(result_row))
    qtbot.mouseClick(pages.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.wait(20)
    assert wizard.current_page_id() == "basic"
    assert wizard.findChild(QLabel, "notice").isVisible()
    assert pages.currentRow() == 0
    assert [pages.row(item) for item in pages.selectedItems()] == [0]
