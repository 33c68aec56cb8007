"""Choose a child (for a new 个案): search as you type by name, pinyin initials, full pinyin or
ID number, from the caseload already in memory (no vault work). Archived files and files that
are no longer active (迁出, 年满18 …) are not offered; a child who already has an open case is
marked, so a second case is a deliberate choice."""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.domain.ages import calendar_age
from app.domain.case import STAGE_LABELS_ZH, CaseStage
from app.domain.child_file import GENDER_LABELS_ZH, Gender
from app.services.caseload import Caseload, ChildSummary
from ui.views.children_model import _char_pinyin
from ui.window_fit import fit_window

CHILD_ID_ROLE = Qt.ItemDataRole.UserRole + 1


@dataclass(frozen=True)
class Choice:
    child_id: str
    text: str
    haystack: str  # lower-case name, full pinyin, initials, ID number
    sort_key: str


def make_choices(caseload: Caseload | None, today: date) -> list[Choice]:
    """The children a new case can be opened for, sorted by the pinyin of their names."""
    if caseload is None:
        return []
    choices = []
    for summary in caseload.summaries.values():
        if not summary.active:
            continue
        choices.append(_choice(summary, today))
    return sorted(choices, key=lambda c: c.sort_key)


def _choice(summary: ChildSummary, today: date) -> Choice:
    data = summary.data
    name = str(data.get("name") or "")
    readings = [_char_pinyin(ch) for ch in name]
    full = "".join(r[0] for r in readings)
    initials = "".join(r[1] for r in readings)
    parts = [name]
    with suppress(KeyError, ValueError):  # a file without a readable birth date still lists
        parts.append(f"{calendar_age(summary.birth_date, today)}岁")
    gender = data.get("gender")
    if gender in {g.value for g in Gender}:
        parts.append(GENDER_LABELS_ZH[Gender(gender)])
    if summary.open_case_stage:
        stage = STAGE_LABELS_ZH[CaseStage(summary.open_case_stage)]
        parts.append(f"已有个案（{stage}）")
    id_number = str(data.get("id_number") or "").lower()
    return Choice(
        child_id=summary.child_id,
        text="　".join(parts),
        haystack=f"{name}|{full}|{initials}|{id_number}",
        sort_key=f"{full}|{name}",
    )


class ChildPickerDialog(QDialog):
    """Returns the chosen child's id in :attr:`child_id` when accepted."""

    def __init__(
        self,
        caseload: Caseload | None,
        today: date,
        parent: QWidget | None = None,
        title: str = "新建个案：选择儿童",
    ) -> None:
        super().__init__(parent)
        self.setObjectName("child_picker")
        self.setWindowTitle(self.tr(title))
        self.child_id: str | None = None
        self._choices = make_choices(caseload, today)

        intro = QLabel(self.tr("为哪个孩子建个案？输入姓名、拼音首字母（如 zs）或身份证号查找。"))
        intro.setWordWrap(True)
        self.search = QLineEdit()
        self.search.setObjectName("child_search")
        self.search.setPlaceholderText(self.tr("搜索儿童"))
        self.search.setClearButtonEnabled(True)
        self.list = QListWidget()
        self.list.setObjectName("child_choices")
        self.list.setWordWrap(True)  # 特大 text on a narrow window: wrap, never cut
        self.empty = QLabel("")
        self.empty.setObjectName("child_choices_empty")
        self.empty.setProperty("role", "hint")
        self.empty.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(self.tr("下一步：填写个案"))
        self.ok_button.setObjectName("choose_child")

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.search)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.empty)
        layout.addWidget(self.buttons)

        self.search.textChanged.connect(self._filter)
        self.list.currentRowChanged.connect(lambda _row: self._update_ok())
        self.list.itemActivated.connect(lambda _item: self.accept())  # double-click or Enter
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.search.setFocus()
        self._filter("")
        fit_window(self, 640, 600)

    def _filter(self, text: str) -> None:
        needle = text.strip().lower()
        self.list.clear()
        for choice in self._choices:
            if needle and needle not in choice.haystack:
                continue
            item = QListWidgetItem(choice.text)
            item.setData(CHILD_ID_ROLE, choice.child_id)
            self.list.addItem(item)
        if self.list.count():
            self.list.setCurrentRow(0)
        if not self._choices:
            self.empty.setText(self.tr("还没有儿童档案。请先在“儿童档案”里新建档案，再建个案。"))
        elif not self.list.count():
            self.empty.setText(self.tr("没有找到这个孩子。请换个写法，或先新建档案。"))
        else:
            self.empty.setText("")
        self.empty.setVisible(bool(self.empty.text()))
        self._update_ok()

    def _update_ok(self) -> None:
        self.ok_button.setEnabled(self.list.currentItem() is not None)

    def choose(self, child_id: str) -> None:
        """Select a child by id (tests, or a caller that knows the child)."""
        for row in range(self.list.count()):
            if self.list.item(row).data(CHILD_ID_ROLE) == child_id:
                self.list.setCurrentRow(row)
                return

    def accept(self) -> None:
        item = self.list.currentItem()
        if item is None:
            return
        self.child_id = str(item.data(CHILD_ID_ROLE))
        super().accept()
