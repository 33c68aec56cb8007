"""Two small dialogs of the child file: why a visit is deleted, why a file is archived."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from app.domain.child_file import (
    ARCHIVE_REASON_LABELS_ZH,
    ArchiveReason,
)


class ReasonDialog(QDialog):
    """A confirmation that needs a reason (删除走访记录): the button is enabled once typed."""

    def __init__(
        self, title: str, text: str, prompt: str, ok_text: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("reason_dialog")
        self.setWindowTitle(title)
        message = QLabel(text)
        message.setWordWrap(True)
        message.setTextFormat(Qt.TextFormat.PlainText)
        self.reason_edit = QLineEdit()
        self.reason_edit.setObjectName("reason")
        self.reason_edit.setPlaceholderText(self.tr("如：录错了儿童、重复录入"))
        buttons = QDialogButtonBox()
        self.ok = buttons.addButton(ok_text, QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok.setObjectName("reason_ok")
        buttons.addButton(self.tr("取消"), QDialogButtonBox.ButtonRole.RejectRole)
        self.ok.setEnabled(False)
        layout = QVBoxLayout(self)
        layout.addWidget(message)
        layout.addWidget(QLabel(prompt))
        layout.addWidget(self.reason_edit)
        layout.addWidget(buttons)
        self.reason_edit.textChanged.connect(lambda t: self.ok.setEnabled(bool(t.strip())))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.setMinimumWidth(480)

    def reason(self) -> str:
        return self.reason_edit.text().strip()


class ArchiveDialog(QDialog):
    """归档: a reason (迁出, 年满18周岁, 重复建档, 死亡, 其他 with a note)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("archive_dialog")
        self.setWindowTitle(self.tr("归档档案"))
        explain = QLabel(
            self.tr(
                "归档后，这份档案不再出现在儿童名单和待办中，也不再提醒走访；"
                "档案仍然保存在电脑里，也会同步到区里。"
                "在儿童名单勾选“显示已归档”可以找到它，并可恢复。"
            )
        )
        explain.setWordWrap(True)
        self.reason_box = QComboBox()
        self.reason_box.setObjectName("archive_reason")
        for reason, label in ARCHIVE_REASON_LABELS_ZH.items():
            self.reason_box.addItem(label, reason.value)
        self.note = QLineEdit()
        self.note.setObjectName("archive_note")
        self.note.setPlaceholderText(self.tr("选“其他”时必填；也可补充说明"))
        form = QFormLayout()
        form.addRow(self.tr("归档原因"), self.reason_box)
        form.addRow(self.tr("说明"), self.note)
        buttons = QDialogButtonBox()
        self.ok = buttons.addButton(self.tr("归档"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok.setObjectName("archive_ok")
        buttons.addButton(self.tr("取消"), QDialogButtonBox.ButtonRole.RejectRole)
        layout = QVBoxLayout(self)
        layout.addWidget(explain)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.reason_box.currentIndexChanged.connect(self._check)
        self.note.textChanged.connect(self._check)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.setMinimumWidth(480)
        self._check()

    def _check(self) -> None:
        other = self.reason_box.currentData() == ArchiveReason.OTHER.value
        self.ok.setEnabled(not other or bool(self.note.text().strip()))

    def value(self) -> tuple[ArchiveReason, str]:
        return ArchiveReason(self.reason_box.currentData()), self.note.text().strip()
