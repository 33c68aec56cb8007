"""Printing from the app: the PDF is made in memory, previewed with QtPdf, printed through
Qt's printer; only 保存为PDF writes a file."""

from __future__ import annotations

import subprocess
from datetime import date
from pathlib import Path

from PySide6.QtPrintSupport import QPrinter

from app.printing import visit_record_pdf
from ui.desk_services import DeskServices
from ui.views.print_preview import PdfPreviewDialog


def test_visit_record_preview_print_and_save(
    qtbot, demo_desk: DeskServices, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    visit = demo_desk.visits.list_all()[0]
    before = {p for p in demo_desk.vault.paths.root.rglob("*")}
    pdf = visit_record_pdf(demo_desk.vault, visit.record_id, printed_on=date(2026, 11, 22))
    dialog = PdfPreviewDialog(pdf, "入户走访记录表", "visit.pdf")
    qtbot.addWidget(dialog)
    assert dialog.document.pageCount() >= 1
    printer = QPrinter()
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)  # a real print path, to a file here
    printer.setOutputFileName(str(tmp_path / "printed.pdf"))
    dialog.print_to(printer)
    assert (tmp_path / "printed.pdf").stat().st_size > 1000
    dialog.save_to(tmp_path / "saved.pdf")
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "saved.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "入户走访记录表" in text.replace(" ", "")
    assert {p for p in demo_desk.vault.paths.root.rglob("*")} == before  # nothing left behind


def test_assessment_report_and_blank_form_from_the_child_file(
    qtbot, demo_desk, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import Qt

    import ui.views.print_preview as preview
    from ui.views.child_file_dialog import ChildFileDialog

    shown: list[tuple[bytes, str]] = []
    monkeypatch.setattr(
        preview.PdfPreviewDialog,
        "exec",
        lambda self: shown.append((self._pdf, self.windowTitle())) or 0,
    )
    finished = next(s for s in demo_desk.assessments.list_all() if s.value.status == "finished")
    dialog = ChildFileDialog(demo_desk, finished.value.child_id)
    qtbot.addWidget(dialog)
    items = dialog.assessments_list
    items.setCurrentRow(
        next(
            i
            for i in range(items.count())
            if items.item(i).data(Qt.ItemDataRole.UserRole) == finished.record_id
        )
    )
    dialog.print_assessment.click()
    dialog.print_blank.click()
    assert [title for _pdf, title in shown] == ["监护能力评估报告", "空白评估表"]
    assert all(pdf.startswith(b"%PDF") for pdf, _title in shown)
