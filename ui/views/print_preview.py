"""Preview and print a PDF rendered in memory (QtPdf), never leaving a plaintext file behind;
only 保存为PDF writes a file, where the user chooses."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QSize
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
from ui.tasks import Runner
from ui.views.messages import show_error


class PdfPreviewDialog(QDialog):
    def __init__(
        self, pdf: bytes, title: str, suggested_name: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("pdf_preview")
        self.setWindowTitle(title)
        self._pdf = pdf
        self._suggested = suggested_name
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
        buttons = QHBoxLayout()
        buttons.addWidget(pages)
        buttons.addStretch(1)
        for button in (print_button, save_button, close):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)
        print_button.clicked.connect(self.print_document)
        save_button.clicked.connect(self._save)
        close.clicked.connect(self.accept)
        self.resize(820, 900)

    def print_document(self) -> None:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        if QPrintDialog(printer, self).exec() != QDialog.DialogCode.Accepted:
            return
        self.print_to(printer)

    def print_to(self, printer: QPrinter) -> None:
        painter = QPainter()
        if not painter.begin(printer):
            show_error(self, OSError("打印机不可用"))
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

    def _save(self) -> None:
        path, _filter = QFileDialog.getSaveFileName(
            self, self.tr("保存为PDF"), self._suggested, self.tr("PDF 文件 (*.pdf)")
        )
        if path:
            self.save_to(Path(path))

    def save_to(self, path: Path) -> None:
        try:
            write_atomic(path, self._pdf)  # the one place a plaintext PDF is written
        except OSError as err:
            show_error(self, err, self.tr("没有保存"))


def preview_pdf(
    runner: Runner,
    make_pdf: Callable[[], bytes],
    title: str,
    suggested: str,
    parent: QWidget | None,
) -> None:
    """Render on a worker, then show the preview on the GUI thread."""

    def show(pdf: bytes) -> None:
        PdfPreviewDialog(pdf, title, suggested, parent).exec()

    runner.submit(make_pdf, show, lambda err: show_error(parent, err, "不能打印"))
