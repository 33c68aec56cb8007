"""使用说明: a short guide in plain Chinese, opened with F1 or the 帮助 button in the main
window's status bar. The text is a bundled resource (``resources/help/guide_zh_CN.md``), found
through ``resources.resource_path`` like every other resource, so it can be corrected without
touching code."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QMainWindow,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from resources import resource_path
from ui.window_fit import fit_window

GUIDE = ("help", "guide_zh_CN.md")


def guide_text() -> str:
    """The guide's Markdown text."""
    return resource_path(*GUIDE).read_text(encoding="utf-8")


class HelpDialog(QDialog):
    """The guide in a scrolling, read-only browser; not modal, so the director can keep it open
    beside the window they are working in."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("help_dialog")
        self.setWindowTitle(self.tr("使用说明"))
        self.browser = QTextBrowser()
        self.browser.setObjectName("help_text")
        self.browser.setOpenExternalLinks(False)
        self.browser.setMarkdown(guide_text())
        close = QPushButton(self.tr("关闭"))
        close.setObjectName("close_help")
        close.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser, 1)
        layout.addLayout(buttons)
        self._fit_screen()

    def _fit_screen(self) -> None:
        """About 46 by 34 lines of text, never more than 90 % of the free screen area."""
        line = self.fontMetrics().height()
        width, height = line * 46, line * 34
        screen = self.screen() or QGuiApplication.primaryScreen()
        if screen is not None:
            free = screen.availableGeometry()
            width = min(width, round(free.width() * 0.9))
            height = min(height, round(free.height() * 0.9))
        fit_window(self, width, height)


def show_help(parent: QWidget) -> HelpDialog:
    """Open the guide, or bring the one already open to the front (one window, not several)."""
    dialog = parent.findChild(HelpDialog, "help_dialog")
    if dialog is None:
        dialog = HelpDialog(parent)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    return dialog


def install_help(window: QMainWindow) -> QPushButton:
    """F1 anywhere in ``window`` and a 帮助 button in its status bar open the guide."""
    button = QPushButton(window.tr("帮助"))
    button.setObjectName("help")
    button.setToolTip(window.tr("打开使用说明（F1）"))
    button.clicked.connect(lambda: show_help(window))
    window.statusBar().addPermanentWidget(button)
    shortcut = QShortcut(QKeySequence(QKeySequence.StandardKey.HelpContents), window)
    shortcut.setContext(Qt.ShortcutContext.ApplicationShortcut)
    shortcut.activated.connect(lambda: show_help(window))
    return button
