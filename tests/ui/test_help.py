"""使用说明: F1 or 帮助 in the main window opens one guide window, in plain Chinese, with every
topic a director asked about; the text is a bundled resource."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QPushButton

from resources import resource_path
from ui.caseload_store import CaseloadStore
from ui.desk_services import DeskServices
from ui.main_window import NAV_ITEMS, MainWindow
from ui.views.help_dialog import HelpDialog, guide_text

TOPICS = (
    "第一次使用",
    "一人一档",
    "绿",
    "黄",
    "橙",
    "红",
    "走访",
    "评估",
    "个案",
    "同步",
    "锁定",
    "备份",
    "忘记密码",
    "恢复码",
)


def test_the_guide_is_a_bundled_resource_covering_every_topic() -> None:
    assert resource_path("help", "guide_zh_CN.md").is_file()
    text = guide_text()
    for topic in TOPICS:
        assert topic in text, topic


def test_f1_and_the_help_button_open_one_guide_window(
    qtbot, desk: DeskServices, store: CaseloadStore
) -> None:  # type: ignore[no-untyped-def]
    window = MainWindow(desk, store, {name: QLabel(name) for name in NAV_ITEMS})
    qtbot.addWidget(window)
    # F1 is an application shortcut: a main window an earlier test on this worker left shown
    # would make it ambiguous (neither fires), which the one real main window never meets.
    for other in QApplication.topLevelWidgets():
        if isinstance(other, MainWindow) and other.isVisible():
            other.hide()
    window.show()

    def activate() -> None:
        # F1 is a window shortcut: it fires only in the active window, and on a busy worker
        # a window left by an earlier test can take the activation back.
        QApplication.processEvents()
        window.activateWindow()
        window.windowHandle().requestActivate()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is window)

    activate()
    assert window.findChild(HelpDialog) is None
    qtbot.keyClick(window, Qt.Key.Key_F1)
    dialogs = window.findChildren(HelpDialog)
    assert len(dialogs) == 1 and dialogs[0].isVisible()
    shown = dialogs[0].browser.toPlainText()
    assert "使用说明" in shown and "忘记密码怎么办" in shown
    dialogs[0].close()
    button = window.statusBar().findChild(QPushButton, "help")
    assert button is not None and button.text() == "帮助"
    button.click()
    activate()
    qtbot.keyClick(window, Qt.Key.Key_F1)
    assert len(window.findChildren(HelpDialog)) == 1  # brought to front, not opened twice
    assert dialogs[0].isVisible()
    screen = window.screen().availableGeometry()
    assert dialogs[0].width() <= screen.width() and dialogs[0].height() <= screen.height()
