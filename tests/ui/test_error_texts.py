"""User-facing error texts have one home (ui/error_texts.py): a file that cannot be written or a
printer that is not ready is explained, not reported as the unexpected."""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QMessageBox

from ui import error_texts
from ui.error_texts import (
    CANNOT_PRINT_TITLE,
    NOT_SAVED_TITLE,
    PRINTER_UNAVAILABLE_ZH,
    UNEXPECTED_ZH,
    user_message,
)
from ui.sync_texts import sync_error_zh
from ui.ui_settings import UiSettings
from ui.views.enrollment_form import enroll_error_zh
from ui.views.print_preview import PdfPreviewDialog

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def boxes(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    shown: list[tuple[str, str]] = []

    def warning(_parent: Any, title: str, text: str, *_rest: Any) -> None:
        shown.append((title, text))

    monkeypatch.setattr(QMessageBox, "warning", warning)
    return shown


def test_a_pdf_saved_to_a_missing_folder_is_explained(
    qtbot: Any, tmp_path: Path, boxes: list[tuple[str, str]]
) -> None:
    settings = UiSettings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    dialog = PdfPreviewDialog(b"%PDF-1.4\n", "入户走访记录表", "x.pdf", settings=settings)
    qtbot.addWidget(dialog)
    assert not dialog.save_to(tmp_path / "pulled-stick" / "x.pdf")
    assert len(boxes) == 1
    title, text = boxes[0]
    assert title == NOT_SAVED_TITLE
    assert text != UNEXPECTED_ZH and "找不到" in text


def test_a_printer_that_cannot_start_is_named(
    qtbot: Any, tmp_path: Path, boxes: list[tuple[str, str]]
) -> None:
    dialog = PdfPreviewDialog(b"%PDF-1.4\n", "入户走访记录表", "x.pdf")
    qtbot.addWidget(dialog)
    printer = QPrinter()
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "no-such-folder" / "out.pdf"))  # cannot begin
    dialog.print_to(printer)
    assert boxes == [(CANNOT_PRINT_TITLE, PRINTER_UNAVAILABLE_ZH)]


@pytest.mark.parametrize(
    ("code", "words"),
    [
        (errno.ENOSPC, "满了"),
        (errno.EROFS, "写保护"),
        (errno.EACCES, "没有权限"),
        (errno.ENOENT, "找不到"),
        (errno.EIO, "U盘"),
    ],
)
def test_file_errors_say_what_to_do(code: int, words: str) -> None:
    assert words in user_message(OSError(code, "x", "/media/stick/f"))


def test_other_errors_are_the_unexpected() -> None:
    assert user_message(OSError(errno.ECONNRESET, "reset")) == UNEXPECTED_ZH
    assert user_message(RuntimeError("bug")) == UNEXPECTED_ZH


def test_a_full_stick_at_enrollment_is_named() -> None:
    assert "满了" in enroll_error_zh(OSError(errno.ENOSPC, "No space left on device"))


def test_a_full_stick_at_usb_export_is_named() -> None:
    full = sync_error_zh(OSError(errno.ENOSPC, "No space left on device"))
    assert "满了" in full
    assert "资料都还在这台电脑上" in full


def test_the_texts_are_not_copied_into_the_screens() -> None:
    """Each text of ui/error_texts.py is written there only (the screens and the other text
    modules import it)."""
    texts = [
        value
        for name, value in vars(error_texts).items()
        if name.isupper() and isinstance(value, str) and len(value) > 6
    ]
    assert texts
    copies = [
        f"{path.relative_to(ROOT)}: {text[:12]}…"
        for path in sorted((ROOT / "ui").rglob("*.py"))
        if path.name != "error_texts.py"
        for text in texts
        if text in path.read_text(encoding="utf-8")
    ]
    assert copies == []


def test_every_refusal_reason_of_the_district_has_its_own_chinese_words() -> None:
    """A laptop shows what the district refused in plain Chinese, not the catch-all sentence:
    every reason code the server's ingest and the content checks write has its own text."""
    import re
    from pathlib import Path

    from sync import content_checks
    from ui.sync_texts import REASONS_SELF_ZH, REASONS_ZH

    server = Path(__file__).resolve().parents[2] / "sync" / "server"
    codes = {content_checks.MALFORMED, content_checks.CLOCK_SKEW, content_checks.DISTRICT_ONLY}
    for path in server.glob("*.py"):  # ingest, prepare, store … (not the console's own errors)
        text = path.read_text(encoding="utf-8")
        codes.update(re.findall(r"Rejection\(\s*[\w\[\]:]+,\s*\"([a-z_]{4,})\"", text))
        codes.update(re.findall(r"return \"([a-z_]{4,})\", \"[a-z]", text))
        codes.update(re.findall(r"\(rev, rid, \(\"([a-z_]{4,})\", \"", text))
    assert {"out_of_scope", "blob_mismatch", "unknown_record_type"} <= codes, codes
    missing = sorted(c for c in codes if c not in REASONS_ZH and c not in REASONS_SELF_ZH)
    assert not missing, missing
