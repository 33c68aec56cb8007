"""基本信息: the child file's form, with validation messages beside the fields and the
事实无人抚养 recognition helper's reasoning below."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.domain.categories import CATEGORY_LABELS_ZH, ChildCategory
from app.domain.child_file import CaringMother, ChildFile, Disability, Gender
from app.domain.child_recognition import recognize
from app.domain.id_number import InvalidIdNumberError, id_consistency_problems, parse_id_number
from app.domain.problems import FieldProblem
from ui.views.date_field import DateField

DISABILITY_KINDS = ("", "视力", "听力", "言语", "肢体", "智力", "精神", "多重")


def qdate(value: date) -> QDate:
    return QDate(value.year, value.month, value.day)


def pydate(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


class ChildForm(QWidget):
    """Edits the identity part of a ChildFile; guardians and the rest are kept as they are."""

    edited = Signal()

    def __init__(self, today: date, village_code: str) -> None:
        super().__init__()
        self.setObjectName("child_form")
        self._today = today
        self._base: ChildFile | None = None
        self._village_code = village_code
        self._loading = False
        self.errors: dict[str, QLabel] = {}

        self.name = QLineEdit()
        self.name.setObjectName("name")
        self.gender = QComboBox()
        self.gender.setObjectName("gender")
        self.gender.addItem(self.tr("男"), Gender.MALE.value)
        self.gender.addItem(self.tr("女"), Gender.FEMALE.value)
        # Empty until typed (or read from the ID number); the calendar opens 8 years back.
        self.birth_date = DateField(None, calendar_start=date(today.year - 8, 1, 1))
        self.birth_date.setObjectName("birth_date")
        self.id_number = QLineEdit()
        self.id_number.setObjectName("id_number")
        self.id_number.setPlaceholderText(self.tr("18 位，自动读出生日和性别；可先不填"))
        self.ethnicity = QLineEdit("汉族")
        self.ethnicity.setObjectName("ethnicity")
        self.hukou = QLineEdit()
        self.hukou.setObjectName("hukou")
        self.address = QLineEdit()
        self.address.setObjectName("address")
        self.village = QLineEdit(village_code)
        self.village.setObjectName("village_code")
        self.school = QLineEdit()
        self.school.setObjectName("school")
        self.grade = QLineEdit()
        self.grade.setObjectName("grade")
        self.health = QLineEdit()
        self.health.setObjectName("health")
        self.disability_kind = QComboBox()
        self.disability_kind.setObjectName("disability_kind")
        for kind in DISABILITY_KINDS:
            self.disability_kind.addItem(kind or self.tr("无"), kind)
        self.disability_grade = QSpinBox()
        self.disability_grade.setObjectName("disability_grade")
        self.disability_grade.setRange(0, 4)
        self.disability_grade.setSpecialValueText(self.tr("—"))
        self.disability_certificate = QLineEdit()
        self.disability_certificate.setObjectName("disability_certificate")
        self.disability_certificate.setPlaceholderText(self.tr("残疾证号"))
        self.categories: dict[ChildCategory, QCheckBox] = {}
        self.mother_name = QLineEdit()
        self.mother_name.setObjectName("caring_mother_name")
        self.mother_phone = QLineEdit()
        self.mother_phone.setObjectName("caring_mother_phone")
        self.notes = QPlainTextEdit()
        self.notes.setObjectName("notes")
        self.notes.setFixedHeight(self.fontMetrics().height() * 4)
        self.flags = QLabel("")
        self.flags.setObjectName("flags")
        self.flags.setProperty("role", "hint")
        self.flags.setWordWrap(True)
        self.recognition = QLabel("")
        self.recognition.setObjectName("recognition")
        self.recognition.setWordWrap(True)

        identity = QFormLayout()
        self._row(identity, "姓名", self.name, "name")
        self._row(identity, "性别", self.gender, "gender")
        self._row(identity, "出生日期", self.birth_date, "birth_date")
        self._row(identity, "身份证号", self.id_number, "id_number")
        self._row(identity, "民族", self.ethnicity, "ethnicity")
        self._row(identity, "户籍", self.hukou, "hukou")
        self._row(identity, "现住址", self.address, "address")
        self._row(identity, "村（社区）代码", self.village, "village_code")
        more = QFormLayout()
        self._row(more, "学校", self.school, "school")
        self._row(more, "年级", self.grade, "grade")
        self._row(more, "健康状况", self.health, "health")
        disability = QHBoxLayout()
        disability.addWidget(self.disability_kind)
        disability.addWidget(QLabel(self.tr("等级")))
        disability.addWidget(self.disability_grade)
        disability.addWidget(self.disability_certificate, 1)
        holder = QWidget()
        holder.setLayout(disability)
        self._row(more, "残疾", holder, "disability.grade")
        mother = QHBoxLayout()
        mother.addWidget(self.mother_name)
        mother.addWidget(self.mother_phone)
        mother_holder = QWidget()
        mother_holder.setLayout(mother)
        self._row(more, "爱心妈妈（姓名、电话）", mother_holder, "caring_mother.phone")
        self._row(more, "备注", self.notes, "notes")

        categories_box = QGroupBox(self.tr("类别（可多选）"))
        grid = QGridLayout(categories_box)
        for i, (category, label) in enumerate(CATEGORY_LABELS_ZH.items()):
            box = QCheckBox(label)
            box.setObjectName(f"category_{category.value}")
            self.categories[category] = box
            grid.addWidget(box, i // 4, i % 4)
            box.toggled.connect(self._changed)

        columns = QHBoxLayout()
        columns.addLayout(identity, 1)
        columns.addSpacing(16)
        columns.addLayout(more, 1)
        recognition_box = QGroupBox(
            self.tr("事实无人抚养儿童认定参考（依据父母情况自动判断，仅供参考）")
        )
        QVBoxLayout(recognition_box).addWidget(self.recognition)
        layout = QVBoxLayout(self)
        layout.addLayout(columns)
        layout.addWidget(categories_box)
        layout.addWidget(self.flags)
        layout.addWidget(recognition_box)
        layout.addStretch(1)

        for widget in (
            self.name,
            self.id_number,
            self.ethnicity,
            self.hukou,
            self.address,
            self.village,
            self.school,
            self.grade,
            self.health,
            self.disability_certificate,
            self.mother_name,
            self.mother_phone,
        ):
            widget.textEdited.connect(self._changed)
        self.gender.currentIndexChanged.connect(self._changed)
        self.birth_date.edited.connect(self._changed)
        self.birth_date.date_changed.connect(self._changed)
        self.id_number.textEdited.connect(self._id_typed)
        self.gender.currentIndexChanged.connect(self._check_identity)
        self.birth_date.edited.connect(self._check_identity)
        self.notes.textChanged.connect(self._changed)
        self.disability_kind.currentIndexChanged.connect(self._changed)
        self.disability_grade.valueChanged.connect(self._changed)

    def _changed(self) -> None:
        if not self._loading:  # filling the form is not an edit
            self.edited.emit()

    # ----- the ID number, birth date and gender, checked as they are typed -----------------------

    def _id_typed(self, _text: str) -> None:
        """A valid ID number fills the birth date and gender it carries."""
        try:
            info = parse_id_number(self.id_number.text(), today=self._today)
        except InvalidIdNumberError:
            self._check_identity()
            return
        self.birth_date.set_value(info.birth_date)
        self.gender.setCurrentIndex(max(0, self.gender.findData(info.gender)))
        self._check_identity()

    def identity_problems(self) -> list[FieldProblem]:
        """Problems with the birth date as typed, and the birth date or gender disagreeing
        with a valid ID number (an ID number still being typed is not yet a problem)."""
        found: list[FieldProblem] = []
        problem = self.birth_date.problem()
        birth = self.birth_date.value()
        if problem:
            found.append(FieldProblem("birth_date", problem, "birth date is not a date"))
        elif birth is None:
            found.append(
                FieldProblem(
                    "birth_date",
                    "请填写出生日期（填好身份证号会自动读出）。",
                    "the birth date is required",
                )
            )
        text = self.id_number.text().strip()
        try:
            info = parse_id_number(text, today=self._today) if text else None
        except InvalidIdNumberError as err:
            if len(text.replace(" ", "")) >= 18:  # typed in full: say what is wrong
                found.append(FieldProblem("id_number", err.message_zh, err.message_en))
            info = None
        if info is not None:
            found += id_consistency_problems(
                info, birth_date=birth, gender=str(self.gender.currentData())
            )
        return found

    def _check_identity(self) -> None:
        found = {p.field: p.message_zh for p in self.identity_problems()}
        if self.birth_date.is_empty():
            found.pop("birth_date", None)  # not typed yet: said when saving
        for field in ("birth_date", "gender", "id_number"):
            label = self.errors[field]
            label.setText(found.get(field, ""))
            label.setVisible(field in found)

    def _row(self, form: QFormLayout, label: str, widget: QWidget, field: str) -> None:
        error = QLabel("")
        error.setObjectName(f"error_{field}")
        error.setProperty("role", "error")
        error.setWordWrap(True)
        error.hide()
        holder = QWidget()
        box = QVBoxLayout(holder)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(1)
        box.addWidget(widget)
        box.addWidget(error)
        form.addRow(self.tr(label), holder)
        self.errors[field] = error

    # ----- reading and writing the form ---------------------------------------------------

    def load(self, child: ChildFile) -> None:
        self._loading = True
        try:
            self._fill(child)
        finally:
            self._loading = False

    def _fill(self, child: ChildFile) -> None:
        self._base = child
        self.name.setText(child.name)
        self.gender.setCurrentIndex(0 if child.gender == Gender.MALE else 1)
        self.birth_date.set_value(child.birth_date)
        self.id_number.setText(child.id_number)
        self.ethnicity.setText(child.ethnicity)
        self.hukou.setText(child.hukou)
        self.address.setText(child.address)
        self.village.setText(child.village_code)
        self.school.setText(child.school)
        self.grade.setText(child.grade)
        self.health.setText(child.health)
        disability = child.disability or Disability()
        self.disability_kind.setCurrentIndex(max(0, self.disability_kind.findData(disability.kind)))
        self.disability_grade.setValue(disability.grade or 0)
        self.disability_certificate.setText(disability.certificate_number)
        for category, box in self.categories.items():
            box.setChecked(category in child.categories)
        self.mother_name.setText(child.caring_mother.name if child.caring_mother else "")
        self.mother_phone.setText(child.caring_mother.phone if child.caring_mother else "")
        self.notes.setPlainText(child.notes)
        self.show_problems(child.problems(self._today))
        self.show_recognition(child)

    def value(self) -> ChildFile:
        base = self._base or ChildFile(
            name="", gender=Gender.MALE, birth_date=self._today, village_code=self._village_code
        )
        kind = str(self.disability_kind.currentData() or "")
        grade = self.disability_grade.value() or None
        certificate = self.disability_certificate.text().strip()
        disability = (
            Disability(kind, grade, certificate) if (kind or grade or certificate) else None
        )
        mother_name = self.mother_name.text().strip()
        mother = base.caring_mother
        if mother_name:
            mother = CaringMother(
                mother_name,
                self.mother_phone.text().strip(),
                mother.since if mother else self._today,
            )
        else:
            mother = None
        return replace(
            base,
            name=self.name.text().strip(),
            gender=Gender(self.gender.currentData()),
            birth_date=self.birth_date.value() or base.birth_date,
            id_number=self.id_number.text().strip(),
            ethnicity=self.ethnicity.text().strip(),
            hukou=self.hukou.text().strip(),
            address=self.address.text().strip(),
            village_code=self.village.text().strip(),
            town_code=self.village.text().strip()[:9],
            school=self.school.text().strip(),
            grade=self.grade.text().strip(),
            health=self.health.text().strip(),
            disability=disability,
            categories=[c for c, box in self.categories.items() if box.isChecked()],
            caring_mother=mother,
            notes=self.notes.toPlainText().strip(),
        )

    def draft(self) -> dict[str, Any]:
        return self.value().to_json()

    def show_problems(self, problems: list[FieldProblem]) -> None:
        for label in self.errors.values():
            label.hide()
            label.setText("")
        flags = []
        for problem in problems:
            if not problem.blocking:
                flags.append(problem.message_zh)
                continue
            key = problem.field if problem.field in self.errors else problem.field.split(".")[0]
            label = self.errors.get(key) or self.errors["name"]
            label.setText((label.text() + "\n" if label.text() else "") + problem.message_zh)
            label.show()
        self.flags.setText("\n".join(f"提示：{f}" for f in flags))

    def show_recognition(self, child: ChildFile) -> None:
        self.recognition.setText(recognize(child, self._today).text_zh())
