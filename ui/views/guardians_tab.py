"""监护人: the guardians and the actual caregiver, with their situations."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.domain.categories import RELATION_LABELS_ZH, GuardianRelation
from app.domain.child_file import Guardian
from app.domain.guardian_situation import SITUATION_LABELS_ZH, GuardianSituation
from ui.views.messages import confirm


class GuardianDialog(QDialog):
    def __init__(self, guardian: Guardian | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("guardian_dialog")
        self.setWindowTitle(self.tr("监护人 / 实际抚养人"))
        g = guardian or Guardian(next(iter(RELATION_LABELS_ZH)))  # the list's first: 父亲
        self._facts = dict(g.facts)
        self.relation = QComboBox()
        self.relation.setObjectName("relation")
        for relation, label in RELATION_LABELS_ZH.items():
            self.relation.addItem(label, relation.value)
        self.relation.setCurrentIndex(self.relation.findData(g.relation.value))
        self.name = QLineEdit(g.name)
        self.name.setObjectName("guardian_name")
        self.id_number = QLineEdit(g.id_number)
        self.phone = QLineEdit(g.phone)
        self.phone.setObjectName("guardian_phone")
        self.is_guardian = QCheckBox(self.tr("是监护人"))
        self.is_guardian.setChecked(g.is_guardian)
        self.is_caregiver = QCheckBox(self.tr("是实际抚养（照料）人"))
        self.is_caregiver.setChecked(g.is_caregiver)
        self.notes = QLineEdit(g.notes)
        situations = QGroupBox(self.tr("目前情况（可多选）"))
        grid = QGridLayout(situations)
        self.situations: dict[GuardianSituation, QCheckBox] = {}
        for i, (situation, label) in enumerate(SITUATION_LABELS_ZH.items()):
            box = QCheckBox(label)
            box.setObjectName(f"situation_{situation.value}")
            box.setChecked(situation in g.situations)
            self.situations[situation] = box
            grid.addWidget(box, i // 3, i % 3)
        form = QFormLayout()
        form.addRow(self.tr("关系"), self.relation)
        form.addRow(self.tr("姓名"), self.name)
        form.addRow(self.tr("身份证号"), self.id_number)
        form.addRow(self.tr("电话"), self.phone)
        form.addRow(self.tr("备注"), self.notes)
        flags = QHBoxLayout()
        flags.addWidget(self.is_guardian)
        flags.addWidget(self.is_caregiver)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(flags)
        layout.addWidget(situations)
        layout.addWidget(buttons)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)

    def value(self) -> Guardian:
        return Guardian(
            relation=GuardianRelation(self.relation.currentData()),
            name=self.name.text().strip(),
            id_number=self.id_number.text().strip(),
            phone=self.phone.text().strip(),
            situations=[s for s, box in self.situations.items() if box.isChecked()],
            is_guardian=self.is_guardian.isChecked(),
            is_caregiver=self.is_caregiver.isChecked(),
            notes=self.notes.text().strip(),
            facts=self._facts,
        )


class GuardiansTab(QWidget):
    edited = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("guardians_tab")
        self.guardians: list[Guardian] = []
        self.table = QTableWidget(0, 5)
        self.table.setObjectName("guardians_table")
        self.table.setHorizontalHeaderLabels(
            [self.tr("关系"), self.tr("姓名"), self.tr("电话"), self.tr("情况"), self.tr("身份")]
        )
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        # 关系, 姓名 and 身份 as wide as their text, 电话 as 11 digits at any text size (see
        # _fit_columns); 情况 takes the rest
        for column in (0, 1, 4):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Fixed)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        self._fit_columns()
        add = QPushButton(self.tr("添加"))
        add.setObjectName("add_guardian")
        edit = QPushButton(self.tr("修改"))
        remove = QPushButton(self.tr("删除"))
        buttons = QHBoxLayout()
        for button in (add, edit, remove):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.table)
        add.clicked.connect(lambda: self._edit(None))
        edit.clicked.connect(lambda: self._edit(self.table.currentRow()))
        remove.clicked.connect(self._remove)
        self.table.doubleClicked.connect(lambda index: self._edit(index.row()))

    def _fit_columns(self) -> None:
        """电话 as wide as an 11-digit mobile number in the current font (an empty table too,
        and again when the text size changes)."""
        metrics = self.table.fontMetrics()
        self.table.setColumnWidth(
            2, metrics.horizontalAdvance("13812345678") + 2 * metrics.height()
        )

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:  # 设置 → 字体大小
            QTimer.singleShot(0, self, self._fit_columns)

    def load(self, guardians: list[Guardian]) -> None:
        self.guardians = list(guardians)
        self.table.setRowCount(len(self.guardians))
        for row, g in enumerate(self.guardians):
            roles = [
                r for r, on in (("监护人", g.is_guardian), ("实际抚养人", g.is_caregiver)) if on
            ]
            values = (
                RELATION_LABELS_ZH[g.relation],
                g.name,
                g.phone,
                "、".join(SITUATION_LABELS_ZH[s] for s in g.situations) or "未填",
                "、".join(roles) or "—",
            )
            for column, text in enumerate(values):
                self.table.setItem(row, column, QTableWidgetItem(text))

    def _edit(self, row: int | None) -> None:
        current = (
            self.guardians[row] if row is not None and 0 <= row < len(self.guardians) else None
        )
        if row is not None and current is None:
            return
        dialog = GuardianDialog(current, self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        if current is None:
            self.guardians.append(dialog.value())
        else:
            self.guardians[row] = dialog.value()  # type: ignore[index]
        self.load(self.guardians)
        self.edited.emit()

    def _remove(self) -> None:
        row = self.table.currentRow()
        if 0 <= row < len(self.guardians) and confirm(
            self,
            self.tr("删除监护人"),
            self.tr("确定要从档案中删除“{0}”吗？保存后生效，历史记录中仍可查到。").format(
                self.guardians[row].name or RELATION_LABELS_ZH[self.guardians[row].relation]
            ),
            self.tr("删除"),
        ):
            del self.guardians[row]
            self.load(self.guardians)
            self.edited.emit()
