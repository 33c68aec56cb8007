"""事实无人抚养儿童认定申请: made on the laptop from the recognition helper's reasoning (the
parents' situations, the helper's reasons, the materials they name), materials attached as
encrypted files, the 申请表 printed with the facts filled in, submitted once the director
confirms the guardian signed the paper form, withdrawn with a reason. Shows the state, the
town's working-day deadline (按周一至周五估算 when that year's holidays are not known yet), the
town's or district's return or refusal reason and, on refusal, the 兜底 alternatives.

Every vault call runs on the desk's runner (the vault worker).

Why one long file: the draft, materials, printing and submission of one application are
one window's states; the rules are in app/domain/recognition_application.py and
app/services/workflows.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.domain import recognition_application as ra
from app.domain.recognition import ALTERNATIVE_LABELS_ZH
from app.services.child_reading import ChildReading
from app.services.children import ChildService
from app.services.printouts import PrintService
from app.services.workflows import WorkflowService
from storage.records import Revision
from ui.tasks import Runner
from ui.views import messages
from ui.views.print_preview import PdfPreviewDialog, preview_pdf
from ui.views.widgets import plain_label
from ui.views.workflow_common import (
    StepsTable,
    actor_text,
    china_time,
    error_text,
    message_label,
    paged_window,
    show_load_failure,
    state_label,
)
from ui.window_fit import client_limit

MIME = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".pdf": "application/pdf",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
}
WITHDRAWABLE = (ra.DRAFT, ra.SUBMITTED, ra.RETURNED, ra.VERIFIED)
SUBMITTABLE = (ra.DRAFT, ra.RETURNED)


class ApplicationDesk(Protocol):
    @property
    def runner(self) -> Runner: ...
    @property
    def today(self) -> Any: ...
    @property
    def workflows(self) -> WorkflowService: ...
    @property
    def printouts(self) -> PrintService: ...
    @property
    def children(self) -> ChildService: ...
    @property
    def reading(self) -> ChildReading: ...


@dataclass(frozen=True)
class Shown:
    """What the dialog shows, read on the worker."""

    data: dict[str, Any]
    status: ra.ApplicationStatus
    days_left: int | None
    attachments: list[Revision]


def deadline_text(status: ra.ApplicationStatus, days_left: int | None) -> str:
    """The town's 查验 deadline in working days, or '' when there is none running."""
    deadline = status.deadline
    if deadline is None or status.state != ra.SUBMITTED:
        return ""  # the town's clock runs only while the application waits for its 查验
    text = f"乡镇查验期限：{deadline.due.isoformat()}（{ra.TOWN_WORKING_DAYS}个工作日）"
    if days_left is not None:
        if days_left < 0:
            text += f"，已超期{-days_left}个工作日"
        elif days_left == 0:
            text += "，今天到期"
        else:
            text += f"，还有{days_left}个工作日"
    if deadline.approximate:
        years = "、".join(str(y) for y in deadline.unknown_years)
        text += f"。{years}年的节假日安排尚未公布，按周一至周五估算"
    return text + "。"


class RecognitionApplicationDialog(QDialog):
    saved = Signal()  # created, a material attached, submitted or withdrawn

    def __init__(
        self,
        desk: ApplicationDesk,
        child_id: str,
        child_name: str,
        *,
        application_id: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("recognition_application_dialog")
        self.setWindowTitle(self.tr("事实无人抚养儿童认定申请 — {0}").format(child_name))
        self._desk = desk
        self._child_id = child_id
        self._child_name = child_name
        self.application_id = application_id
        self.shown: Shown | None = None
        self._busy = False
        self._viewing = ""  # the name of the material file being opened

        pages = [self._build_new(), self._build_application()]
        self.stack, self.loading, self.close_button = paged_window(self, pages, size=(780, 740))
        if application_id is None:
            self.stack.setCurrentIndex(1)
        else:
            self._load()

    # ----- layout --------------------------------------------------------------------------

    def _build_new(self) -> QWidget:
        page = QWidget()
        page.setObjectName("new_application_page")
        text = plain_label(
            self.tr(
                "根据认定助手对父母情况的判断（儿童档案“监护人”中填写的父母情况和事实），"
                "生成事实无人抚养儿童认定申请草稿：写明父母情况、判断理由和需要附的材料。"
                "\n\n生成后可添加材料扫描件、打印申请表请监护人签字，再确认提交乡镇查验。"
            ),
            None,
        )
        self.create_button = QPushButton(self.tr("生成申请草稿"))
        self.create_button.setObjectName("create_application")
        self.create_button.setDefault(True)
        self.create_button.clicked.connect(self.make_draft)
        self.new_message = message_label("new_message")
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.create_button)
        layout = QVBoxLayout(page)
        layout.addWidget(text)
        layout.addWidget(self.new_message)
        layout.addLayout(row)
        layout.addStretch(1)
        return page

    def _build_application(self) -> QWidget:
        page = QWidget()
        page.setObjectName("application_page")
        self.state = state_label("application_state")
        self.deadline = plain_label("", None)
        self.deadline.setObjectName("application_deadline")
        self.reason = plain_label("", "error")
        self.reason.setObjectName("application_reason")
        self.reason.setStyleSheet("QLabel { color: #b71c1c; }")
        self.fallback = plain_label("", None)
        self.fallback.setObjectName("application_fallback")
        self.fallback.setStyleSheet(
            "QLabel { background: #fff8e1; border: 1px solid #ffcc80; border-radius: 4px;"
            " padding: 6px; }"
        )

        facts_box = QGroupBox(self.tr("申请依据（认定助手的判断，仅供参考）"))
        self.facts = plain_label("", None)
        self.facts.setObjectName("application_facts")
        QVBoxLayout(facts_box).addWidget(self.facts)

        materials_box = QGroupBox(self.tr("材料"))
        self.materials = plain_label("", None)
        self.materials.setObjectName("application_materials")
        self.attachments = QListWidget()
        self.attachments.setObjectName("application_attachments")
        self.attachments.setMaximumHeight(self.fontMetrics().height() * 5)
        self.attachments.setToolTip(self.tr("双击查看"))
        self.attachments.itemActivated.connect(self._view_material)
        self.attach_button = QPushButton(self.tr("添加材料扫描件"))
        self.attach_button.setObjectName("attach_material")
        self.attach_button.clicked.connect(self._pick_material)
        self.print_button = QPushButton(self.tr("打印申请表"))
        self.print_button.setObjectName("print_application")
        self.print_button.clicked.connect(self.print_form)
        m_layout = QVBoxLayout(materials_box)
        m_layout.addWidget(self.materials)
        m_layout.addWidget(
            plain_label(self.tr("已添加的材料文件（加密保存，随申请报送）："), "hint")
        )
        m_layout.addWidget(self.attachments)
        m_row = QHBoxLayout()
        m_row.addWidget(self.attach_button)
        m_row.addStretch(1)
        m_row.addWidget(self.print_button)
        m_layout.addLayout(m_row)

        submit_box = QGroupBox(self.tr("提交与撤回"))
        self._submit_box = submit_box
        self.signed = QCheckBox(self.tr("监护人已在纸质申请表上签字"))
        self.signed.setObjectName("guardian_signed")
        self.signed.toggled.connect(self._update_buttons)
        self.submit_button = QPushButton(self.tr("提交乡镇查验"))
        self.submit_button.setObjectName("submit_application")
        self.submit_button.clicked.connect(self.submit)
        self.withdraw_reason = QLineEdit()
        self.withdraw_reason.setObjectName("withdraw_reason")
        self.withdraw_reason.setPlaceholderText(self.tr("撤回原因，如：父亲已回家照料"))
        self.withdraw_reason.textChanged.connect(self._update_buttons)
        self.withdraw_button = QPushButton(self.tr("撤回申请"))
        self.withdraw_button.setObjectName("withdraw_application")
        self.withdraw_button.clicked.connect(self.withdraw)
        self.action_message = message_label("action_message")
        s_layout = QVBoxLayout(submit_box)
        s_row = QHBoxLayout()
        s_row.addWidget(self.signed, 1)
        s_row.addWidget(self.submit_button)
        s_layout.addLayout(s_row)
        w_row = QHBoxLayout()
        w_row.addWidget(self.withdraw_reason, 1)
        w_row.addWidget(self.withdraw_button)
        s_layout.addLayout(w_row)
        s_layout.addWidget(self.action_message)

        steps_box = QGroupBox(self.tr("办理经过"))
        self.steps = StepsTable("application_steps")
        self.steps.setMinimumHeight(self.fontMetrics().height() * 6)
        QVBoxLayout(steps_box).addWidget(self.steps)

        layout = QVBoxLayout(page)
        layout.addWidget(self.state)
        layout.addWidget(self.deadline)
        layout.addWidget(self.reason)
        layout.addWidget(self.fallback)
        layout.addWidget(facts_box)
        layout.addWidget(materials_box)
        layout.addWidget(submit_box)
        layout.addWidget(steps_box, 1)
        return page

    # ----- loading ---------------------------------------------------------------------------

    def _read(self, application_id: str) -> Shown:
        """Worker: the application, its status, the working days left and its materials."""
        workflows, desk, child_id = self._desk.workflows, self._desk, self._child_id
        for data, status in workflows.applications(child_id):
            if status.application_id == application_id:
                left = workflows.days_left(status, desk.today())
                files = desk.children.attachments(application_id)
                return Shown(data, status, left, files)
        raise LookupError(application_id)

    def _load(self) -> None:
        application_id = self.application_id
        if application_id is None:
            return
        self._busy = True
        self._desk.runner.submit(lambda: self._read(application_id), self._show, self._load_failed)

    def _load_failed(self, err: BaseException) -> None:
        self._busy = False
        show_load_failure(
            self,
            self.stack,
            self.loading,
            err,
            page_text=self.tr("没能打开这份认定申请。请关闭后重试。"),
            title=self.tr("没能打开认定申请"),
        )

    def _show(self, shown: Shown) -> None:
        self._busy = False
        self.shown = shown
        data, status = shown.data, shown.status
        self.application_id = status.application_id
        self.state.setText(self.tr("状态：{0}").format(status.state_zh))
        if status.state == ra.CONFIRMED and status.confirmed_on:
            self.state.setText(self.tr("状态：已认定（{0}）").format(status.confirmed_on))
        self.deadline.setText(deadline_text(status, shown.days_left))
        self.deadline.setVisible(bool(self.deadline.text()))
        reason = status.reason if status.state in (ra.RETURNED, ra.REFUSED) else None
        if status.state == ra.RETURNED:
            self.reason.setText(
                self.tr("乡镇退回，需要补充材料：{0}\n补充后请重新确认签字并提交。").format(
                    reason or ""
                )
            )
        elif status.state == ra.REFUSED:
            self.reason.setText(self.tr("不予认定的理由：{0}").format(reason or ""))
        else:
            self.reason.setText("")
        self.reason.setVisible(bool(self.reason.text()))
        if status.state == ra.REFUSED:
            alternatives = "、".join(ALTERNATIVE_LABELS_ZH.values())
            self.fallback.setText(
                self.tr(
                    "不符合事实无人抚养儿童认定，仍可帮助家庭申请兜底保障：{0}。"
                    "请与乡镇民政联系办理。"
                ).format(alternatives)
            )
        else:
            self.fallback.setText("")
        self.fallback.setVisible(bool(self.fallback.text()))
        self.facts.setText(self._facts_text(data))
        listed = [str(m) for m in data.get("materials") or []]
        self.materials.setText(
            self.tr("需要附的材料：{0}").format("、".join(listed))
            if listed
            else self.tr("需要附的材料：认定助手没有列出，请按乡镇要求准备。")
        )
        self.attachments.clear()
        for revision in shown.attachments:
            item = QListWidgetItem(str(revision.data.get("filename", "")))
            item.setData(Qt.ItemDataRole.UserRole, revision.record_id)
            self.attachments.addItem(item)
        if not shown.attachments:
            self.attachments.addItem(self.tr("（还没有添加材料文件）"))
        self.steps.set_rows(
            [
                (
                    china_time(step.at),
                    actor_text(step),
                    ra.ACTION_ZH.get(step.action, step.action),
                    step.reason,
                )
                for step in status.folded.effective
            ]
            + [
                (
                    china_time(step.at),
                    actor_text(step),
                    ra.ACTION_ZH.get(step.action, step.action),
                    self.tr("未生效：申请已撤回"),
                )
                for step, _code in status.void_decisions
            ]
            or [("", "", self.tr("（草稿，还没有提交）"), "")]
        )
        if status.state not in SUBMITTABLE:
            self.signed.setChecked(False)
        self.stack.setCurrentIndex(2)
        self._update_buttons()

    def _facts_text(self, data: dict[str, Any]) -> str:
        facts = data.get("facts") or {}
        lines = [
            f"{ra.PARENTS_ZH[key]}：{ra.parent_situations_zh(facts.get(key) or {})}"
            for key in ("father", "mother")
            if key in facts
        ]
        if data.get("helper_summary"):
            lines.append(str(data["helper_summary"]))
        lines.extend(f"· {r}" for r in data.get("helper_reasons") or [])
        return "\n".join(lines)

    def _update_buttons(self, *_args: object) -> None:
        state = self.shown.status.state if self.shown else None
        can_submit = state in SUBMITTABLE
        self.signed.setEnabled(can_submit and not self._busy)
        self.submit_button.setEnabled(can_submit and self.signed.isChecked() and not self._busy)
        self.submit_button.setText(
            self.tr("重新提交") if state == ra.RETURNED else self.tr("提交乡镇查验")
        )
        can_withdraw = state in WITHDRAWABLE
        self.withdraw_reason.setEnabled(can_withdraw)
        self.withdraw_button.setEnabled(
            can_withdraw and bool(self.withdraw_reason.text().strip()) and not self._busy
        )
        self.attach_button.setEnabled(state in (ra.DRAFT, ra.SUBMITTED, ra.RETURNED))

    # ----- actions ---------------------------------------------------------------------------

    def _say(self, text: str) -> None:
        self.action_message.setText(text)
        self.action_message.setVisible(bool(text))

    def _run(self, change: Any) -> None:
        """Worker: ``change()`` (returns the application id), then read the application again."""

        def task() -> Shown:
            application_id = change()
            return self._read(application_id)

        self._busy = True
        self._update_buttons()
        self._desk.runner.submit(task, self._changed, self._change_failed)

    def _changed(self, shown: Shown) -> None:
        self._say("")
        self._show(shown)
        self.saved.emit()

    def _change_failed(self, err: BaseException) -> None:
        self._busy = False
        text = error_text(err)
        if self.application_id is None:
            self.new_message.setText(text)
            self.new_message.show()
        else:
            self._say(text)
        self._update_buttons()

    def make_draft(self) -> None:
        if self._busy or self.application_id is not None:
            return
        workflows, child_id = self._desk.workflows, self._child_id
        self._run(lambda: workflows.create_application(child_id))

    def _pick_material(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self,
            self.tr("选择材料的照片或扫描件"),
            "",
            self.tr("图片或PDF (*.jpg *.jpeg *.png *.pdf *.tif *.tiff)"),
        )
        if path:
            self.attach_file(Path(path))

    def attach_file(self, path: Path) -> None:
        """Attach a material file (streamed and encrypted on the worker)."""
        application_id = self.application_id
        if application_id is None or self._busy:
            return
        workflows = self._desk.workflows
        mime = MIME.get(path.suffix.lower(), "application/octet-stream")

        def change() -> str:
            with path.open("rb") as source:
                workflows.attach_material(application_id, source, filename=path.name, mime=mime)
            return application_id

        self._run(change)

    def _view_material(self, item: QListWidgetItem) -> None:
        """A material file, decrypted into memory only: a PDF in the preview, an image shown."""
        attachment_id = item.data(Qt.ItemDataRole.UserRole)
        if not attachment_id:
            return
        reading = self._desk.reading
        self._viewing = item.text()
        self._desk.runner.submit(
            lambda: reading.attachment(str(attachment_id)), self._show_material, self._view_failed
        )

    def _view_failed(self, err: BaseException) -> None:
        messages.show_error(self, err)

    def _show_material(self, data: bytes) -> None:
        name = self._viewing
        if data.startswith(b"%PDF"):
            PdfPreviewDialog(data, name, name, self).exec()
            return
        pixmap = QPixmap()
        if not pixmap.loadFromData(data):
            messages.show_text(
                self, self.tr("材料"), self.tr("这个文件不是图片或PDF，不能在这里查看。")
            )
            return
        viewer = QDialog(self)
        viewer.setWindowTitle(name)
        label = QLabel()
        limit = client_limit(viewer)
        width, height = min(900, limit.width() - 24), min(650, limit.height() - 24)
        if pixmap.width() > width or pixmap.height() > height:  # a small scan stays as it is
            pixmap = pixmap.scaled(
                width,
                height,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        label.setPixmap(pixmap)
        QVBoxLayout(viewer).addWidget(label)
        viewer.exec()

    def print_form(self) -> None:
        application_id = self.application_id
        if application_id is None:
            return
        printouts, today = self._desk.printouts, self._desk.today()
        preview_pdf(
            self._desk.runner,
            lambda: printouts.recognition_application(application_id, printed_on=today),
            self.tr("事实无人抚养儿童认定申请表"),
            f"认定申请表-{today.isoformat() if isinstance(today, date) else ''}.pdf",
            self,
        )

    def submit(self) -> None:
        application_id = self.application_id
        if application_id is None or self._busy:
            return
        if not self.signed.isChecked():
            self._say(self.tr("请先确认监护人已在纸质申请表上签字。"))
            return
        workflows = self._desk.workflows

        def change() -> str:
            workflows.submit_application(application_id, guardian_signed=True)
            return application_id

        self._run(change)

    def withdraw(self) -> None:
        application_id = self.application_id
        if application_id is None or self._busy:
            return
        reason = self.withdraw_reason.text().strip()
        if not reason:
            self._say(self.tr("请写明撤回的原因。"))
            return
        if not messages.confirm(
            self,
            self.tr("撤回申请"),
            self.tr(
                "撤回后这份申请不再办理，需要时可以重新生成申请。\n\n撤回原因：{0}\n\n确定撤回吗？"
            ).format(reason),
            self.tr("撤回"),
        ):
            return
        workflows = self._desk.workflows

        def change() -> str:
            workflows.withdraw_application(application_id, reason)
            return application_id

        self._run(change)
        self.withdraw_reason.clear()

    def reload(self) -> None:
        """Show the stored application again (a sync brought the town's or district's step)."""
        if self.application_id is not None and not self._busy:
            self._load()
