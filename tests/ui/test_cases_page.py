"""个案 list: the cases of the vault with their child, kind, stage and flags; filters; opening."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.domain.case import CaseKind, CaseStage
from app.domain.categories import ChildCategory
from app.domain.child_file import ChildFile, FileStatus, Gender
from ui.caseload_store import CaseloadStore
from ui.desk_services import DeskServices
from ui.views.cases_page import COLUMNS, CasesPage


def make_page(qtbot: QtBot, desk: DeskServices, store: CaseloadStore) -> CasesPage:
    page = CasesPage(desk, store)
    qtbot.addWidget(page)
    store.load()
    return page


def choose(combo: object, value: object) -> None:
    combo.setCurrentIndex(combo.findData(value))  # type: ignore[attr-defined]


def cell(page: CasesPage, row: int, column: str) -> str:
    index = page.model.index(row, COLUMNS.index(column))
    return str(page.model.data(index))


def test_lists_open_cases_with_names_and_flags(
    qtbot: QtBot, demo_desk: DeskServices, store: CaseloadStore
) -> None:
    page = make_page(qtbot, demo_desk, store)
    assert store.caseload is not None
    cases = demo_desk.cases.list_all()
    open_cases = [s for s in cases if s.value.is_open]
    assert open_cases and len(open_cases) < len(cases), "the demo has open and closed cases"

    rows = page.model.rows()
    assert {r.case_id for r in rows} == {s.record_id for s in open_cases}  # default: open
    for number, row in enumerate(rows):
        stored = next(s for s in cases if s.record_id == row.case_id)
        assert cell(page, number, "儿童") == store.caseload.summaries[row.child_id].name
        assert cell(page, number, "开案日期") == stored.value.opened_on.isoformat()
        flag = cell(page, number, "强制报告")
        assert flag == ("强制报告" if stored.value.mandatory_report else "—")
        escalated = stored.value.escalated_on
        assert cell(page, number, "上报区民政局") == (escalated.isoformat() if escalated else "—")
    # 强制报告 first, in red.
    flags = [r.mandatory_report for r in rows]
    assert flags == sorted(flags, reverse=True) and flags[0]
    colour = page.model.data(
        page.model.index(0, COLUMNS.index("强制报告")), Qt.ItemDataRole.ForegroundRole
    )
    assert colour.color().name() == "#c62828"
    kinds = {cell(page, n, "类型") for n in range(len(rows))}
    assert kinds <= {"监护侵害", "监护缺失", "监护不当", "其他"}
    assert f"共 {len(cases)} 个" in page.count.text()


def test_filters_by_open_closed_and_stage(
    qtbot: QtBot, demo_desk: DeskServices, store: CaseloadStore
) -> None:
    page = make_page(qtbot, demo_desk, store)
    cases = demo_desk.cases.list_all()

    choose(page.show_filter, "closed")
    assert {r.case_id for r in page.model.rows()} == {
        s.record_id for s in cases if not s.value.is_open
    }
    assert all(cell(page, n, "阶段") == "结案" for n in range(page.model.rowCount()))

    choose(page.show_filter, "all")
    assert page.model.rowCount() == len(cases)

    choose(page.stage_filter, CaseStage.IDENTIFIED.value)
    identified = {s.record_id for s in cases if s.value.stage == CaseStage.IDENTIFIED}
    assert identified and {r.case_id for r in page.model.rows()} == identified
    assert all(cell(page, n, "阶段") == "识别" for n in range(page.model.rowCount()))

    choose(page.show_filter, "closed")  # closed and 识别: nothing
    assert page.model.rowCount() == 0
    assert page.count.text().startswith("显示 0 个个案")


def test_activating_a_row_emits_child_and_case_ids(
    qtbot: QtBot, demo_desk: DeskServices, store: CaseloadStore
) -> None:
    page = make_page(qtbot, demo_desk, store)
    page.show()
    assert not page.open_button.isEnabled()
    page.table.setCurrentIndex(page.model.index(1, 0))
    row = page.model.row_at(1)
    assert page.open_button.isEnabled()
    with qtbot.waitSignal(page.open_case) as opened:
        qtbot.keyClick(page.table, Qt.Key.Key_Return)
    assert opened.args == [row.child_id, row.case_id]
    with qtbot.waitSignal(page.open_case) as clicked:
        page.open_button.click()
    assert clicked.args == [row.child_id, row.case_id]


def test_sorting_by_a_column(qtbot: QtBot, demo_desk: DeskServices, store: CaseloadStore) -> None:
    page = make_page(qtbot, demo_desk, store)
    page.table.sortByColumn(COLUMNS.index("开案日期"), Qt.SortOrder.AscendingOrder)
    opened = [r.opened_on for r in page.model.rows()]
    assert opened == sorted(opened)


def test_new_case_appears_after_the_store_refreshes(
    qtbot: QtBot, desk: DeskServices, store: CaseloadStore
) -> None:
    page = make_page(qtbot, desk, store)
    page.show()
    assert page.model.rowCount() == 0
    child = ChildFile(
        name="陈雨桐",
        gender=Gender.FEMALE,
        birth_date=date(2015, 3, 1),
        village_code=desk.village_code,
        categories=[ChildCategory.DE_FACTO_UNSUPPORTED],
    )
    child_id = desk.children.create(child).record_id
    case = desk.cases.open(child_id, CaseKind.ABSENCE, "父母均在外务工，长期失联")
    store.refresh()
    [row] = page.model.rows()
    assert (row.case_id, row.child_id, row.name) == (case.record_id, child_id, "陈雨桐")
    assert cell(page, 0, "类型") == "监护缺失" and cell(page, 0, "阶段") == "识别"
    assert cell(page, 0, "情况") == "父母均在外务工，长期失联"


# ----- 新建个案 -----------------------------------------------------------------------------------


def _pick_when_shown(qtbot: QtBot, search: str | None, child_id: str | None) -> list[str]:
    """Answer the child picker (a modal dialog) once it is open: search, choose, accept."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from ui.views.child_picker import ChildPickerDialog

    seen: list[str] = []

    def answer() -> None:
        picker = QApplication.activeModalWidget()
        if not isinstance(picker, ChildPickerDialog):
            QTimer.singleShot(20, answer)
            return
        seen.extend(picker.list.item(r).text() for r in range(picker.list.count()))
        if search is not None:
            picker.search.setText(search)  # QTest cannot type Chinese
        if child_id is None:
            picker.reject()
            return
        picker.choose(child_id)
        qtbot.mouseClick(picker.ok_button, Qt.MouseButton.LeftButton)

    QTimer.singleShot(0, answer)
    return seen


def test_new_case_chooses_a_child_then_opens_the_case_dialog_on_a_new_case(
    qtbot: QtBot, demo_desk: DeskServices, store: CaseloadStore
) -> None:
    from ui.views.case_dialog import CaseDialog

    page = make_page(qtbot, demo_desk, store)
    assert store.caseload is not None
    assert page.new_button.isEnabled() and "新建个案" in page.new_button.text()
    child = next(s for s in store.caseload.summaries.values() if s.active and not s.open_case_stage)
    opened: list[tuple[str, str]] = []
    page.open_case.connect(lambda child_id, case_id: opened.append((child_id, case_id)))
    _pick_when_shown(qtbot, child.name, child.child_id)
    qtbot.mouseClick(page.new_button, Qt.MouseButton.LeftButton)
    assert opened == [(child.child_id, "")]  # an empty case id: a new case

    # what the session does with it: the case dialog on its new-case page, and the case is made
    dialog = CaseDialog(demo_desk, child.child_id, opened[0][1] or None)
    qtbot.addWidget(dialog)
    shown = dialog.stack.currentWidget()
    assert shown is not None and shown.objectName() == "new_case_page"
    dialog.summary.setPlainText("父母外出务工，祖母年老多病，无人照看。")
    dialog.open_case()
    made = [s for s in demo_desk.cases.list_all(child.child_id) if s.value.is_open]
    assert len(made) == 1


def test_new_case_picker_lists_only_active_children_and_can_be_cancelled(
    qtbot: QtBot, desk: DeskServices, store: CaseloadStore
) -> None:
    def child(name: str, **extra: object) -> ChildFile:
        return ChildFile(
            name=name,
            gender=Gender.FEMALE,
            birth_date=date(2016, 3, 1),
            village_code="500119104201",
            categories=[ChildCategory.LEFT_BEHIND],
            **extra,  # type: ignore[arg-type]
        )

    desk.children.create(child("李小花"))
    desk.children.create(child("李小草", status=FileStatus.CLOSED, closure_reason="年满18"))
    page = make_page(qtbot, desk, store)
    opened: list[tuple[str, str]] = []
    page.open_case.connect(lambda child_id, case_id: opened.append((child_id, case_id)))
    seen = _pick_when_shown(qtbot, "lxh", None)
    page.new_case()
    assert opened == []  # cancelled: nothing opens
    assert len(seen) == 1 and seen[0].startswith("李小花")  # not the closed file
