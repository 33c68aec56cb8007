"""打印空白表: a button with a menu of blank paper forms to fill by hand in the field — the
visit record, the child-file sheet and the assessment questionnaire — rendered on the vault
worker (the letterhead names the director's village) and shown in the print preview."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Protocol

from PySide6.QtWidgets import QMenu, QToolButton, QWidget

from app.questionnaire import Definition
from app.services.printouts import PrintService
from ui.tasks import Runner
from ui.views.print_preview import preview_pdf


class PrintServices(Protocol):
    """What printing uses of the desk (ui/desk_services.py)."""

    @property
    def runner(self) -> Runner: ...
    @property
    def today(self) -> Callable[[], date]: ...
    @property
    def printouts(self) -> PrintService: ...
    @property
    def definition(self) -> Definition: ...


class BlankFormsButton(QToolButton):
    def __init__(self, desk: PrintServices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("print_blank_forms")
        self.desk = desk
        self.setText(self.tr("打印空白表"))
        # the menu arrow would sit on the text; the button's own arrow glyph says "menu"
        self.setStyleSheet("QToolButton::menu-indicator { image: none; width: 0; }")
        self.setText(self.text() + " ▾")
        self.setToolTip(self.tr("打印空白的表格，带到走访时手工填写，回来再录入"))
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self)
        menu.setObjectName("blank_forms_menu")
        self.visit_action = menu.addAction(self.tr("空白入户走访记录表"))
        self.child_action = menu.addAction(self.tr("空白儿童档案表"))
        self.questionnaire_action = menu.addAction(self.tr("空白监护能力评估表"))
        self.setMenu(menu)
        self.visit_action.triggered.connect(self.print_visit_record)
        self.child_action.triggered.connect(self.print_child_sheet)
        self.questionnaire_action.triggered.connect(self.print_questionnaire)

    def _preview(self, make: Callable[[], bytes], title: str, name: str) -> None:
        preview_pdf(self.desk.runner, make, title, name, self.window())

    def print_visit_record(self) -> None:
        printouts, today = self.desk.printouts, self.desk.today()
        self._preview(
            lambda: printouts.blank_visit_record(printed_on=today),
            self.tr("空白入户走访记录表"),
            "空白走访记录表.pdf",
        )

    def print_child_sheet(self) -> None:
        printouts, today = self.desk.printouts, self.desk.today()
        self._preview(
            lambda: printouts.blank_child_sheet(printed_on=today),
            self.tr("空白儿童档案表"),
            "空白儿童档案表.pdf",
        )

    def print_questionnaire(self) -> None:
        printouts, today, definition = self.desk.printouts, self.desk.today(), self.desk.definition
        self._preview(
            lambda: printouts.blank_questionnaire(definition, printed_on=today),
            self.tr("空白评估表"),
            "空白评估表.pdf",
        )
