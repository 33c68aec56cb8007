"""``childdesk --smoke-test``: proves an installed (or frozen) copy of the program works.

It starts Qt offscreen, loads Qt's Chinese translation and the bundled CJK font, creates and
unlocks a throw-away vault in a temporary folder, writes and reads a synthetic record, renders
a visit record PDF in memory and opens it with QtPdf, and imports every screen. It prints
``OK`` on standard output and exits 0, or names the step that failed and exits 1.

Nothing personal is involved: the vault holds one synthetic 演示数据 child and is deleted
afterwards. The build script (build_installer.py) runs this on the frozen bundle.
"""

from __future__ import annotations

import os
import random
import secrets
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

EXIT_OK = 0
EXIT_FAILED = 1
SMOKE_DATE = date(2026, 3, 2)


class SmokeFailure(Exception):
    """A check whose result was wrong (as opposed to one that raised)."""


def _require(condition: bool, what: str) -> None:
    if not condition:
        raise SmokeFailure(what)


class SmokeTest:
    """The steps, run in order; each may use what earlier ones left on ``self``."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.app: Any = None
        self.vault_dir = workdir / "vault"
        self.password = "smoke-" + secrets.token_urlsafe(18)
        self.child_id = ""
        self.visit_id = ""
        self.pdf = b""

    def steps(self) -> list[tuple[str, Callable[[], str]]]:
        return [
            ("resources", self.resources),
            ("qt-offscreen", self.qt_offscreen),
            ("qt-translation", self.qt_translation),
            ("cjk-font", self.cjk_font),
            ("vault-create", self.vault_create),
            ("vault-unlock-read", self.vault_unlock_read),
            ("pdf-render", self.pdf_render),
            ("qt-pdf", self.qt_pdf),
            ("qt-images", self.qt_images),
            ("qt-print", self.qt_print),
            ("screens", self.screens),
        ]

    def resources(self) -> str:
        from resources import resource_path, resources_root

        for parts in (
            ("fonts", "wqy-microhei.ttc"),
            ("fonts", "DroidSansFallbackFull.ttf"),
            ("translations", "qtbase_zh_CN.qm"),
            ("questionnaires", "guardianship_capacity.json"),
            ("schedule", "visit_schedule.json"),
            ("passwords", "common_zh.txt"),
        ):
            resource_path(*parts)
        return str(resources_root())

    def qt_offscreen(self) -> str:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        from PySide6.QtWidgets import QApplication

        existing = QApplication.instance()
        self.app = existing if existing is not None else QApplication(["childdesk"])
        platform = QApplication.platformName()
        _require(platform == "offscreen", f"Qt platform is {platform!r}, not offscreen")
        return platform

    def qt_translation(self) -> str:
        from PySide6.QtCore import QCoreApplication, QTranslator

        from resources import resource_path

        translator = QTranslator(self.app)
        folder = str(resource_path("translations"))
        _require(translator.load("qtbase_zh_CN", folder), "qtbase_zh_CN.qm did not load")
        self.app.installTranslator(translator)
        cancel = QCoreApplication.translate("QPlatformTheme", "Cancel")
        _require(cancel == "取消", f"Cancel translates to {cancel!r}, not 取消")
        return cancel

    def cjk_font(self) -> str:
        from PySide6.QtGui import QFont, QFontDatabase, QFontMetrics

        from app.printing import QT_FAMILY, main_font_path

        font_id = QFontDatabase.addApplicationFont(main_font_path())
        _require(font_id >= 0, "Qt could not load the bundled CJK font")
        families = QFontDatabase.applicationFontFamilies(font_id)
        _require(QT_FAMILY in families, f"font families {families}, expected {QT_FAMILY!r}")
        metrics = QFontMetrics(QFont(QT_FAMILY, 12))
        _require(
            all(metrics.inFontUcs4(ord(char)) for char in "儿童主任工作台"),
            "the font lacks Chinese glyphs",
        )
        return QT_FAMILY

    def vault_create(self) -> str:
        from storage.vault import Vault

        created = Vault.create(
            self.vault_dir,
            self.password,
            director_name="演示",
            village_code="500119104201",
            kdf_target_ms=0,  # the floor parameters: this vault lives for a second
        )
        created.vault.lock()
        return "created"

    def vault_unlock_read(self) -> str:
        from app.demo_caseload import synthetic_child, synthetic_visit
        from app.services.children import CHILD_TYPE
        from app.services.visits import VISIT_TYPE
        from storage.vault import Vault
        from storage.verify import verify_vault

        rng = random.Random(9)
        with Vault.unlock(self.vault_dir, self.password) as vault:
            child = synthetic_child(rng, "500119104201", SMOKE_DATE, "yellow")
            written = child.to_json()
            self.child_id = vault.put(CHILD_TYPE, written, author="演示").record_id
            visit = synthetic_visit(rng, self.child_id, date(2026, 2, 20), date(2026, 5, 20))
            self.visit_id = vault.put(VISIT_TYPE, visit.to_json(), author="演示").record_id
        with Vault.unlock(self.vault_dir, self.password) as vault:
            read_back = vault.get(self.child_id).data
            _require(read_back == written, "the record read back differs from the one written")
            report = verify_vault(vault)
            _require(report.healthy, f"verify found damage in {len(report.damaged)} items")
        return f"{report.records_checked} records"

    def pdf_render(self) -> str:
        from app.printing import visit_record_pdf
        from storage.vault import Vault

        with Vault.unlock(self.vault_dir, self.password) as vault:
            self.pdf = visit_record_pdf(vault, self.visit_id, printed_on=SMOKE_DATE)
        _require(self.pdf.startswith(b"%PDF-"), "the visit record is not a PDF")
        _require(self.pdf.find(b"WenQuanYi") >= 0, "the PDF does not embed the bundled font")
        return f"{len(self.pdf)} bytes"

    def qt_pdf(self) -> str:
        from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QSize
        from PySide6.QtPdf import QPdfDocument

        data = QByteArray(self.pdf)
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        document = QPdfDocument()
        document.load(buffer)
        pages = document.pageCount()
        _require(pages >= 1, f"QtPdf read {pages} pages (status {document.status()})")
        image = document.render(0, QSize(200, 280))
        _require(not image.isNull(), "QtPdf could not render page 1")
        return f"{pages} pages"

    def qt_images(self) -> str:
        from PySide6.QtCore import QBuffer, QByteArray, QIODevice
        from PySide6.QtGui import QColor, QImage

        source = QImage(8, 8, QImage.Format.Format_RGB32)
        source.fill(QColor("#2e7d32"))
        for fmt in ("PNG", "JPG"):
            data = QByteArray()
            buffer = QBuffer(data)
            buffer.open(QIODevice.OpenModeFlag.WriteOnly)
            # The stubs say bytes; PySide6 6.x takes only str for the format at run time.
            written = source.save(buffer, fmt)  # type: ignore[call-overload]
            _require(written, f"Qt cannot write {fmt} (image plug-in missing)")
            buffer.close()
            _require(QImage.fromData(data).width() == 8, f"Qt cannot read {fmt}")
        return "PNG JPG"

    def qt_print(self) -> str:
        from PySide6.QtPrintSupport import QPrinter

        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        _require(printer.isValid(), "QPrinter is not valid")
        return "QPrinter"

    def screens(self) -> str:
        import importlib
        import pkgutil

        import ui.views

        # Every screen module, including those ui.gui imports lazily: a bundle missing one of
        # them (or a library one needs) fails here, not in a director's hands.
        names = ["ui.gui", "ui.sync_controller"] + [
            f"ui.views.{module.name}" for module in pkgutil.iter_modules(ui.views.__path__)
        ]
        _require(len(names) > 10, f"only {len(names)} screen modules found")
        for name in names:
            importlib.import_module(name)
        return f"{len(names)} modules"


def run_smoke_test(out: Any = None, err: Any = None) -> int:
    """Run every step; print ``OK`` (exit 0) or the failed step (exit 1)."""
    out = out or sys.stdout
    err = err or sys.stderr
    with tempfile.TemporaryDirectory(prefix="childdesk-smoke-") as tmp:
        test = SmokeTest(Path(tmp))
        for name, step in test.steps():
            started = time.perf_counter()
            try:
                detail = step()
            except Exception as exc:  # noqa: BLE001 (reported with its step, never swallowed)
                print(
                    f"smoke test FAILED at {name}: {type(exc).__name__}: {exc}",
                    file=err,
                    flush=True,
                )
                return EXIT_FAILED
            elapsed = time.perf_counter() - started
            print(f"smoke test: {name} ok ({detail}, {elapsed:.2f} s)", file=err, flush=True)
    print("OK", file=out, flush=True)
    return EXIT_OK
