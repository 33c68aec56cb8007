"""The wizard's frame and state: the heading, the page list on the left, the stacked pages, the
progress line and the bottom buttons; the attributes every part of the wizard shares; and the
calls one part makes into another (each implemented in its own module: pages.py, answers.py,
navigation.py, saving.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.domain.child_file import ChildFile
from app.questionnaire import AnswerProblem, AssessmentResult, Definition, DraftState
from app.questionnaire.model import Note, Page
from app.services.assessments import AssessmentService
from ui.desk_services import DeskServices
from ui.theme import LEVEL_LABELS
from ui.views.assessment_wizard.questions import QuestionWidget
from ui.views.assessment_wizard.repeats import RepeatWidget
from ui.views.assessment_wizard.result_view import FINISH_WARNING, ResultPage
from ui.views.widgets import plain_label as _label
from ui.window_fit import fit_window

SAVE_DELAY_MS = 800


class PageView:
    """The widgets of one definition page."""

    def __init__(self, page: Page, scroll: QScrollArea) -> None:
        self.page = page
        self.scroll = scroll


class WizardBase(QDialog):
    """Start a new assessment for a child, or resume a draft / view a finished one by id."""

    assessment_finished = Signal(str)  # the assessment's record id

    # The kind of questionnaire run, in the words the wizard shows; the psychological
    # screening (ui/views/screening_wizard.py) has its own words, service and result page.
    KIND_ZH = "监护能力评估"
    RESULT_ZH = "评估结果"
    FINISH_ZH = "完成评估"
    DONE_ZH = "评估已完成"  # the status line once finished (the journeys wait for it)
    CONFIRM_ZH = "确定完成这次评估吗？"

    def __init__(
        self,
        desk: DeskServices,
        child_id: str,
        assessment_id: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("assessment_wizard")
        self.setWindowTitle(self.KIND_ZH)
        self._desk = desk
        self._child_id = child_id
        self._requested_id = assessment_id
        self.record_id: str | None = None
        self.definition: Definition | None = None
        self.child: ChildFile | None = None
        self.answers: dict[str, Any] = {}
        self.state: DraftState | None = None
        self.assessment_result: AssessmentResult | None = None
        self.is_finished = False
        self._finished_on: date | None = None
        self._pages: list[PageView] = []
        self._widgets: dict[str, QuestionWidget] = {}
        self._repeats: dict[str, RepeatWidget] = {}
        self._notes: list[tuple[Note, QLabel]] = []
        self._page_of_item: dict[str, int] = {}
        self._checked_pages: set[int] = set()
        self._touched: set[str] = set()
        self._prefilled: set[str] = set()  # answer paths taken from the child file, unchanged
        self._current = 0
        self._dirty = False
        self._saving = False
        self._busy = False
        self._result_page = self._make_result_page()
        self._result_page.file_report.connect(self.file_mandatory_report)
        self.report_dialog: QWidget | None = None  # the 强制报告 window opened from the result
        # the session's open_report (one window per record, its input kept across a lock);
        # without a session the window opens here
        self.open_report: Callable[..., None] | None = None

        self._save_timer = QTimer(self)
        self._save_timer.setSingleShot(True)
        self._save_timer.setInterval(SAVE_DELAY_MS)
        self._save_timer.timeout.connect(self.save_now)

        self._build_shell()
        fit_window(self, 980, 720)
        self._load()

    def file_mandatory_report(self) -> None:
        """填写强制报告 for this finished assessment (its rules demand one)."""
        from ui.views.mandatory_report_dialog import MandatoryReportDialog

        if self.record_id is None:
            return
        name = self.child.name if self.child is not None else ""
        if self.open_report is not None:
            self.open_report(self._child_id, name, "", assessment_id=self.record_id)
            return
        dialog = MandatoryReportDialog(
            self._desk,
            self._child_id,
            name,
            assessment_id=self.record_id,
            parent=self,
        )
        self.report_dialog = dialog
        dialog.show()

    # the kind of questionnaire ---------------------------------------------------------------

    def _service(self) -> AssessmentService:
        """Where drafts and finished results are kept (call on the vault worker)."""
        return self._desk.assessments

    def _new_definition(self) -> Definition:
        """The definition a new draft uses (call on the vault worker)."""
        return self._desk.definition

    def _make_result_page(self) -> ResultPage:
        return ResultPage()

    def _level_text(self, level: str) -> str:
        return LEVEL_LABELS.get(level, level)

    # what one part calls in another, declared for the type checker (each implemented in
    # the module named; at run time the class put together from the parts has them all)
    if TYPE_CHECKING:

        def _load(self) -> None: ...  # pages.py
        def _build_blocks(self, repeat_id: str) -> None: ...  # pages.py
        def _answer_changed(self, path: str, value: object) -> None: ...  # answers.py
        def add_block(self, repeat_id: str) -> None: ...  # answers.py
        def _confirm_remove_block(self, repeat_id: str, index: int) -> None: ...  # answers.py
        def _refresh(self) -> None: ...  # answers.py
        def _update_progress(self) -> None: ...  # answers.py
        def go_to_page(self, index: int) -> None: ...  # navigation.py
        def go_next(self) -> None: ...  # navigation.py
        def go_back(self) -> None: ...  # navigation.py
        def _page_list_clicked(self, row: int) -> None: ...  # navigation.py
        def show_result(self) -> None: ...  # navigation.py
        def _show_result_page(self) -> None: ...  # navigation.py
        def _show_problems(self, problems: list[AnswerProblem]) -> None: ...  # navigation.py
        def save_now(self) -> None: ...  # saving.py
        def finish(self) -> None: ...  # saving.py

    # layout ------------------------------------------------------------------------------------

    def _build_shell(self) -> None:
        self.heading = _label(self.KIND_ZH, "title", wrap=False)
        self.heading.setObjectName("heading")
        font = self.heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        self.heading.setFont(font)
        self.subheading = _label("", "hint")
        self.subheading.setObjectName("subheading")

        self.page_list = QListWidget()
        self.page_list.setObjectName("page_list")
        self.page_list.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.page_list.setSpacing(3)
        self.page_list.currentRowChanged.connect(self._page_list_clicked)

        self.notice = _label("", "error")
        self.notice.setObjectName("notice")
        self.notice.hide()
        self.stack = QStackedWidget()
        self.stack.setObjectName("pages")
        self.loading = _label(self.tr("正在打开评估……"), "hint")
        self.loading.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stack.addWidget(self.loading)

        self.progress = QLabel("")
        self.progress.setObjectName("progress")
        self.progress_bar = QProgressBar()
        self.progress_bar.setObjectName("progress_bar")
        self.progress_bar.setTextVisible(False)
        self.progress_bar.setMaximumHeight(10)
        self.progress_bar.setMaximumWidth(220)
        self.save_status = _label("", "hint", wrap=False)
        self.save_status.setObjectName("save_status")

        self.back_button = QPushButton(self.tr("← 上一页"))
        self.back_button.setObjectName("back")
        self.next_button = QPushButton(self.tr("下一页 →"))
        self.next_button.setObjectName("next")
        self.next_button.setDefault(True)
        self.finish_button = QPushButton(self.FINISH_ZH)
        self.finish_button.setObjectName("finish")
        self.finish_button.setToolTip(self.tr(FINISH_WARNING))
        self.finish_button.hide()  # only on the result page of an assessment that can finish
        self.close_button = QPushButton(self.tr("保存并关闭"))
        self.close_button.setObjectName("close")
        self.back_button.clicked.connect(self.go_back)
        self.next_button.clicked.connect(self.go_next)
        self.finish_button.clicked.connect(self.finish)
        self.close_button.clicked.connect(self.reject)

        header = QVBoxLayout()
        header.setSpacing(2)
        header.addWidget(self.heading)
        header.addWidget(self.subheading)

        content = QVBoxLayout()
        content.addWidget(self.notice)
        content.addWidget(self.stack, 1)
        middle = QHBoxLayout()
        middle.addWidget(self.page_list, 0)
        middle.addLayout(content, 1)

        status = QHBoxLayout()
        status.addWidget(self.progress)
        status.addWidget(self.progress_bar)
        status.addStretch(1)
        status.addWidget(self.save_status)

        buttons = QHBoxLayout()
        buttons.addWidget(self.close_button)
        buttons.addStretch(1)
        buttons.addWidget(self.back_button)
        buttons.addWidget(self.next_button)
        buttons.addWidget(self.finish_button)

        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addLayout(middle, 1)
        layout.addLayout(status)
        layout.addLayout(buttons)
        self.back_button.setEnabled(False)
        self.next_button.setEnabled(False)
