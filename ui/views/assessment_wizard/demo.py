"""Factories for the screenshot tool and the window-fit tests: a wizard part-way through a new
assessment, and a finished assessment's result page."""

from __future__ import annotations

from PySide6.QtCore import QEventLoop, QTimer

from app.services.assessments import FINISHED
from ui.desk_services import DeskServices
from ui.views.assessment_wizard.wizard import AssessmentWizard
from ui.views.widgets import run_and_wait as _run_sync


def _wait_loaded(wizard: AssessmentWizard) -> None:
    loop = QEventLoop()
    while wizard.definition is None and wizard._busy:
        QTimer.singleShot(20, loop.quit)
        loop.exec()


def _demo_child_id(desk: DeskServices, level: str | None = None) -> str:
    def task() -> str:
        children, _damaged = desk.children.list_all()
        if not children:
            raise LookupError("no children in the vault")
        if level is not None:
            for stored in children:
                if desk.assessments.current_level(stored.record_id) == level:
                    return stored.record_id
        return children[0].record_id

    return str(_run_sync(desk, task))


def demo_assessment_wizard(desk: DeskServices) -> AssessmentWizard:
    """A new assessment on a demo child, partly filled, on the guardians page (a middle page)
    with one required message showing."""
    import random

    from app.questionnaire.sample_answers import sample_answers

    child_id = _demo_child_id(desk)
    wizard = AssessmentWizard(desk, child_id)
    _wait_loaded(wizard)
    assert wizard.definition is not None
    definition = wizard.definition
    answers = sample_answers(definition, random.Random(11), desk.today())
    page_ids = [p.id for p in definition.pages]
    middle = page_ids.index("guardian_health") if "guardian_health" in page_ids else 3
    for question in definition.questions:
        page = wizard._page_of_item.get(question.id, 0)
        wanted = question.repeat is None and page < middle and question.id in answers
        if wanted and question.id != "child_birth_date":  # keep the one from the child file
            wizard.set_answer(question.id, answers[question.id])
    for repeat_id in wizard._repeats:
        if wizard._page_of_item.get(repeat_id) == middle:
            # the guardians come prefilled from the child file; add and answer what is missing
            while len(wizard.answers.get(repeat_id) or []) < 2:
                wizard.add_block(repeat_id)
            first: dict[str, object] = {
                "g_relation": "mother",
                "g_situation": "working_away",
                "g_care": "regular_contact",
            }
            second: dict[str, object] = {
                "g_relation": "grandparent",
                "g_situation": "at_home",
                "g_age": 67,
            }
            for index, block in enumerate((first, second)):
                for leaf, value in block.items():
                    path = f"{repeat_id}[{index}].{leaf}"
                    if path in wizard._widgets and wizard._widgets[path].value() is None:
                        wizard.set_answer(path, value)
    wizard.go_to_page(middle)
    wizard._checked_pages.add(middle)
    wizard._refresh()
    wizard.save_now()
    return wizard


def demo_result_page(desk: DeskServices) -> AssessmentWizard:
    """A finished demo assessment, opened read-only on its result page (a red or orange level
    with fired rules when the demo caseload has one)."""

    def task() -> tuple[str, str]:
        best: tuple[int, str, str] | None = None
        for stored in desk.assessments.list_all():
            value = stored.value
            if value.status != FINISHED or not value.result:
                continue
            fired = len(value.result.get("fired_rules") or [])
            # a typical worrying family: red or orange, with one to three rules fired
            rank = (value.result.get("level") in ("red", "orange")) * 10 - abs(fired - 2)
            if best is None or rank > best[0]:
                best = (rank, value.child_id, stored.record_id)
        if best is None:
            raise LookupError("no finished assessment in the vault")
        return best[1], best[2]

    child_id, assessment_id = _run_sync(desk, task)
    wizard = AssessmentWizard(desk, child_id, assessment_id)
    _wait_loaded(wizard)
    return wizard
