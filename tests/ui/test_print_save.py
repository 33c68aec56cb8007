"""保存为PDF: Qt's file dialog in Chinese, starting in the documents folder (then the folder last
saved to), the record's own name (child and date), and a clear 已保存 with the path."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QFileDialog, QFileSystemModel, QLabel, QPushButton

from app.printing import visit_record_pdf
from ui.desk_services import DeskServices
from ui.qt_app import install_qt_translations
from ui.ui_settings import UiSettings
from ui.views.print_preview import PdfPreviewDialog, documents_folder


def _settings(tmp_path: Path) -> UiSettings:
    return UiSettings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))


def test_qt_file_dialog_speaks_chinese(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    assert install_qt_translations(app)
    (tmp_path / "记录").mkdir()
    dialog = QFileDialog(None, "保存为PDF", str(tmp_path), "PDF 文件 (*.pdf)")
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    qtbot.addWidget(dialog)
    labels = {label.objectName(): label.text() for label in dialog.findChildren(QLabel)}
    assert labels["lookInLabel"] == "查找范围(&L)："  # Qt 6's "&Look in:"
    assert labels["fileTypeLabel"] == "文件类型(&T)："  # Qt 6's "Files of &type:"
    assert labels["fileNameLabel"] == "文件名称(&N)："
    model = QFileSystemModel()
    index = model.index(str(tmp_path / "记录"))
    assert model.type(index) == "文件夹"


def test_save_starts_in_documents_then_the_last_folder_and_says_saved(
    qtbot, demo_desk: DeskServices, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    settings = _settings(tmp_path)
    visit = demo_desk.visits.list_all()[0]
    child = demo_desk.children.get(visit.value.child_id).value
    pdf = visit_record_pdf(demo_desk.vault, visit.record_id, printed_on=date(2026, 11, 22))
    dialog = PdfPreviewDialog(pdf, "入户走访记录表", "走访记录.pdf", settings=settings)
    qtbot.addWidget(dialog)
    asked: list[str] = []
    chosen = tmp_path / "usb" / "我的记录"  # the user types a name without .pdf
    chosen.parent.mkdir()

    def answer(_parent, _title, start, _filter):  # type: ignore[no-untyped-def]
        asked.append(start)
        return str(chosen), _filter

    monkeypatch.setattr(QFileDialog, "getSaveFileName", answer)
    dialog.findChild(QPushButton, "save_pdf").click()
    start = Path(asked[0])
    assert start.parent == documents_folder() != Path.cwd()
    assert start.name == f"走访记录-{child.name}-{visit.value.on.isoformat()}.pdf"
    saved = chosen.with_name("我的记录.pdf")
    assert saved.read_bytes() == bytes(pdf)
    assert dialog.save_message.isVisibleTo(dialog)
    assert dialog.save_message.text() == f"已保存：{saved}"
    assert settings.last_save_folder == str(saved.parent)

    again = PdfPreviewDialog(pdf, "入户走访记录表", "x.pdf", settings=settings)
    qtbot.addWidget(again)
    assert again.suggested_path().parent == saved.parent  # remembered
    settings.last_save_folder = str(tmp_path / "gone")  # the stick was pulled
    assert again.suggested_path().parent == documents_folder()


def test_a_failed_save_says_so_and_remembers_nothing(
    qtbot, demo_desk: DeskServices, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    import ui.views.print_preview as preview

    shown: list[str] = []
    monkeypatch.setattr(preview, "show_error", lambda _w, err, title="": shown.append(title))
    settings = _settings(tmp_path)
    dialog = PdfPreviewDialog(b"%PDF-1.4\n", "入户走访记录表", "x.pdf", settings=settings)
    qtbot.addWidget(dialog)
    assert not dialog.save_to(tmp_path / "no-such-folder" / "x.pdf")
    assert shown == ["没有保存"]
    assert not dialog.save_message.isVisibleTo(dialog)
    assert settings.last_save_folder == ""
