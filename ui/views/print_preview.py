"""Preview and print a PDF rendered in memory (QtPdf), never leaving a plaintext file behind;
only 保存为PDF writes a file, where the user chooses.

Saving: the dialog opens in the folder last saved to, else the user's documents folder; the
name suggested is the record's (kind, child's name, date: :class:`app.printing.PrintedPdf`);
once written, the dialog says 已保存 with the full path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QDir, QIODevice, QSize, QStandardPaths, Qt
from PySide6.QtGui import QPainter
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from storage.atomic_file import write_atomic
from ui.error_texts import CANNOT_PRINT_TITLE, NOT_SAVED_TITLE, PRINTER_UNAVAILABLE_ZH
from ui.tasks import Runner
from ui.ui_settings import UiSettings
from ui.views.messages import show_error, show_text
from ui.window_fit import fit_window


def documents_folder() -> Path:
    """The user's documents folder (QStandardPaths), else the home folder."""
    found = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    if found and Path(found).is_dir():
        return Path(found)
    return Path.home()


def save_folder(settings: UiSettings) -> Path:
    """Where 保存为PDF starts: the folder last saved to while it still exists, else the user's
    documents folder — never the program's own folder."""
    last = settings.last_save_folder
    if last and Path(last).is_dir():
        return Path(last)
    return documents_folder()


class PdfPreviewDialog(QDialog):
    def __init__(
        self,
        pdf: bytes,
        title: str,
        suggested_name: str,
        parent: QWidget | None = None,
        settings: UiSettings | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("pdf_preview")
        self.setWindowTitle(title)
        self._pdf = pdf
        # a record's PDF names itself (kind, child's name, date); else the caller's name
        self._suggested = str(getattr(pdf, "file_name", "") or suggested_name)
        self._settings = settings or UiSettings()
        self.saved_path: Path | None = None
        self._bytes = QByteArray(pdf)
        self._buffer = QBuffer(self._bytes, self)  # in memory only
        self._buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        self.document = QPdfDocument(self)
        self.document.load(self._buffer)
        self.view = QPdfView(self)
        self.view.setObjectName("pdf_view")
        self.view.setDocument(self.document)
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        pages = QLabel(self.tr("共 {0} 页").format(self.document.pageCount()))
        pages.setObjectName("page_count")
        print_button = QPushButton(self.tr("打印"))
        print_button.setObjectName("print")
        save_button = QPushButton(self.tr("保存为PDF"))
        save_button.setObjectName("save_pdf")
        close = QPushButton(self.tr("关闭"))
        self.save_message = QLabel("")
        self.save_message.setObjectName("save_message")
        self.save_message.setWordWrap(True)
        self.save_message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.save_message.hide()
        buttons = QHBoxLayout()
        buttons.addWidget(pages)
        buttons.addStretch(1)
        for button in (print_button, save_button, close):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.save_message)
        layout.addLayout(buttons)
        print_button.clicked.connect(self.print_document)
        save_button.clicked.connect(self._save)
        close.clicked.connect(self.accept)
        fit_window(self, 820, 900)

    def print_document(self) -> None:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        if QPrintDialog(printer, self).exec() != QDialog.DialogCode.Accepted:
            return
        self.print_to(printer)

    def print_to(self, printer: QPrinter) -> None:
        painter = QPainter()
        if not painter.begin(printer):
            show_text(self, CANNOT_PRINT_TITLE, PRINTER_UNAVAILABLE_ZH)
            return
        try:
            for index in range(self.document.pageCount()):
                if index:
                    printer.newPage()
                target = painter.viewport().size()
                page = self.document.pagePointSize(index)
                scale = min(target.width() / page.width(), target.height() / page.height())
                image = self.document.render(
                    index, QSize(round(page.width() * scale), round(page.height() * scale))
                )
                painter.drawImage(0, 0, image)
        finally:
            painter.end()

    def suggested_path(self) -> Path:
        """Where the save dialog starts: the last folder (or documents) and the record's name."""
        return save_folder(self._settings) / self._suggested

    def _save(self) -> None:
        path, _filter = QFileDialog.getSaveFileName(
            self, self.tr("保存为PDF"), str(self.suggested_path()), self.tr("PDF 文件 (*.pdf)")
        )
        if path:
            chosen = Path(path)
            if chosen.suffix.lower() != ".pdf":
                chosen = chosen.with_name(chosen.name + ".pdf")
            self.save_to(chosen)

    def save_to(self, path: Path) -> bool:
        """Write the PDF to ``path``; say 已保存 with the path, remember the folder."""
        try:
            write_atomic(path, bytes(self._pdf))  # the one place a plaintext PDF is written
        except OSError as err:
            self.save_message.hide()
            show_error(self, err, NOT_SAVED_TITLE)
            return False
        self.saved_path = path
        self._settings.last_save_folder = str(path.parent)
        self.save_message.setText(self.tr("已保存：{0}").format(QDir.toNativeSeparators(str(path))))
        self.save_message.setStyleSheet("color: #2e7d32; font-weight: bold;")
        self.save_message.show()
        return True


def preview_pdf(
    runner: Runner,
    make_pdf: Callable[[], bytes],
    title: str,
    suggested: str,
    parent: QWidget | None,
    settings: UiSettings | None = None,
) -> None:
    """Render on a worker, then show the preview on the GUI thread. A record's PDF
    (:class:`app.printing.PrintedPdf`) brings its own file name; ``suggested`` is the fallback."""

    def show(pdf: bytes) -> None:
        PdfPreviewDialog(pdf, title, suggested, parent, settings).exec()

    runner.submit(make_pdf, show, lambda err: show_error(parent, err, CANNOT_PRINT_TITLE))
