"""年度总结's check before printing (issue 19): a typical case about 王丽 that still says "丽说"
and "美丽" is not mangled by the anonymiser, and not printed silently either — the window
lists each character of the child's name left in a story, with where it stands, for the
director to judge; once the story is rewritten the list goes away."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import date
from pathlib import Path

from pytestqt.qtbot import QtBot

from app.domain.categories import ChildCategory
from app.domain.child_file import ChildFile, Gender
from app.domain.typical_case import TypicalCase
from tests.ui.test_window_fit import text_scale  # noqa: F401 (the default and the largest text)
from ui.caseload_store import CaseloadStore
from ui.desk_services import DeskServices
from ui.views.reports_page import ReportsPage
from ui.views.year_summary_dialog import YearSummaryDialog


def test_the_window_lists_what_the_director_should_check_before_printing(
    qtbot: QtBot, demo_desk: DeskServices
) -> None:
    desk = demo_desk
    child_id = desk.children.create(
        ChildFile(
            name="王丽",
            gender=Gender.FEMALE,
            birth_date=date(2015, 3, 1),
            village_code=desk.village_code,
            school="罗云镇中心小学",
            categories=[ChildCategory.LEFT_BEHIND],
        )
    ).record_id
    story = TypicalCase(
        child_id=child_id,
        written_on=desk.today(),
        title="王丽的新学期",
        situation="丽丽在罗云镇中心小学读书，父母外出务工。",
        actions="每周走访；老师说丽说她想妈妈。",
        outcome="小丽笑容多了，作文《美丽的家乡》获奖。",
    )
    stored = desk.typical_cases.record(story)
    store = CaseloadStore(desk.vault, desk.runner)
    store.refresh()
    page = ReportsPage(desk, store)
    qtbot.addWidget(page)
    dialog = page.open_year_summary()
    assert isinstance(dialog, YearSummaryDialog)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.summary is not None and dialog.review.isVisible())
    said = dialog.review.toPlainText()
    assert said.startswith("打印前请核对。以下字词打印时不会自动隐去")
    assert "案例“某某的新学期”：名字中的“丽”出现 2 处" in said
    assert "【丽】说她想妈妈" in said and "美【丽】的家乡" in said
    assert "王丽" not in said and "罗云镇中心小学" not in said  # the notes are anonymised too
    if os.environ.get("CHILDDESK_KEEP_PNG"):
        Path("/tmp/h6").mkdir(exist_ok=True)
        dialog.grab().save("/tmp/h6/review.png")

    # rewritten: 丽说 → 某某说, 美丽 → 漂亮: nothing left to check
    rewritten = replace(story, actions="每周走访；老师说某某想妈妈。", outcome="作文获奖。")
    desk.typical_cases.update(stored.record_id, rewritten, base_revision=stored.revision)
    dialog.refresh()
    qtbot.waitUntil(lambda: not dialog.review.isVisible())


def test_many_notes_are_cut_short_and_the_window_still_fits(
    qtbot: QtBot,
    demo_desk: DeskServices,
    text_scale: float,  # noqa: F811 (the fixture imported above)
) -> None:
    """Twelve stories each leaving 丽: ten notes and how many more, in a box that scrolls;
    the window fits 1366×768 with a taskbar and 1280×720 at the default and the largest
    text."""
    from tests.ui.test_window_fit import walk

    desk = demo_desk
    child_id = desk.children.create(
        ChildFile(
            name="王丽",
            gender=Gender.FEMALE,
            birth_date=date(2015, 3, 1),
            village_code=desk.village_code,
            categories=[ChildCategory.LEFT_BEHIND],
        )
    ).record_id
    for number in range(12):
        desk.typical_cases.record(
            TypicalCase(
                child_id=child_id,
                written_on=desk.today(),
                title=f"案例{number + 1}",
                situation="丽说她想妈妈。",
                actions="每周走访。",
            )
        )
    store = CaseloadStore(desk.vault, desk.runner)
    store.refresh()
    seen: list[str] = []

    def make() -> YearSummaryDialog:
        dialog = YearSummaryDialog(desk, store.caseload)
        dialog.show()
        qtbot.waitUntil(lambda: dialog.review.isVisible())
        seen.append(dialog.review.toPlainText())
        if os.environ.get("CHILDDESK_KEEP_PNG"):
            dialog.grab().save(f"/tmp/h6/review-many-{text_scale}-{len(seen)}.png")
        return dialog

    assert walk(make) == []
    said = seen[0]
    assert said.count("出现 1 处") == 10 and "……另有 2 条，请逐篇核对。" in said
