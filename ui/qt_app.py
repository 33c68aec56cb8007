"""Creating the QApplication: Chinese translations for Qt's own dialogs, the bundled CJK font,
the text scale from settings."""

from __future__ import annotations

import sys

from PySide6.QtCore import QLibraryInfo, QLocale, QTranslator
from PySide6.QtWidgets import QApplication

from resources import resources_root
from ui.theme import apply_text_scale, register_bundled_fonts
from ui.ui_settings import UiSettings

_KEEP: list[QTranslator] = []  # translators must outlive installTranslator


def install_qt_translations(app: QApplication) -> bool:
    """Load qtbase_zh_CN so standard buttons read 确定/取消, and our supplement for the Qt 6
    strings it lacks (the file dialog's "Look in:", "Files of type:", "Folder")."""
    translator = QTranslator(app)
    bundled = resources_root() / "translations"
    supplement = QTranslator(app)
    if supplement.load("childdesk_qt_zh_CN", str(bundled)):
        app.installTranslator(supplement)
        _KEEP.append(supplement)
    for folder in (str(bundled), QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
        if translator.load("qtbase_zh_CN", folder):
            app.installTranslator(translator)
            _KEEP.append(translator)
            return True
    return False


def create_application(settings: UiSettings, argv: list[str] | None = None) -> QApplication:
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(argv or sys.argv[:1])
    app.setApplicationName("儿童主任工作台")
    app.setOrganizationName("childdesk")
    QLocale.setDefault(QLocale(QLocale.Language.Chinese, QLocale.Country.China))
    install_qt_translations(app)
    family = register_bundled_fonts()
    app.setProperty("childdesk_font_family", family or "")
    apply_text_scale(app, settings.text_scale, family)
    return app
