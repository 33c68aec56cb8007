"""The main window: navigation on the left (儿童档案, 待办, 个案, 活动, 同步, 报表, 设置), one page
at a time on the right. Pages get the services they need; none reaches for globals."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QPushButton,
    QStackedWidget,
    QWidget,
)

from ui.caseload_store import CaseloadStore
from ui.desk_services import DeskServices
from ui.views.help_dialog import install_help
from ui.window_fit import fit_window

NAV_ITEMS = ("儿童档案", "待办", "个案", "活动", "同步", "报表", "设置")


class MainWindow(QMainWindow):
    lock_requested = Signal()
    closed = Signal()  # the user closed the main window: the program ends

    def __init__(
        self,
        desk: DeskServices,
        store: CaseloadStore,
        pages: dict[str, QWidget],
        demo: bool = False,
    ) -> None:
        super().__init__()
        self.setObjectName("main_window")
        self.setWindowTitle(self.tr("儿童主任工作台") + ("（演示数据）" if demo else ""))
        self.desk = desk
        self.store = store
        self.pages = pages
        self.nav = QListWidget()
        self.nav.setObjectName("navigation")
        self.nav.setIconSize(QSize(0, 0))
        self.stack = QStackedWidget()
        for name in NAV_ITEMS:
            self.nav.addItem(QListWidgetItem(self.tr(name)))
            self.stack.addWidget(pages[name])
        self.nav.setStyleSheet(
            "QListWidget { border: none; background: #f3f5f7; }"
            "QListWidget::item { padding-left: 14px; }"
            "QListWidget::item:selected { background: #1565c0; color: white; }"
        )
        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.nav)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        who = QLabel(self.tr("儿童主任：{0}　村代码：{1}").format(desk.author, desk.village_code))
        who.setObjectName("who")
        self.loading = QLabel("")
        self.loading.setObjectName("loading")
        lock = QPushButton(self.tr("锁定"))
        lock.setObjectName("lock")
        lock.setToolTip(self.tr("离开电脑时锁定，需输入密码才能再打开（Ctrl+L）"))
        self.statusBar().addWidget(who)
        self.statusBar().addWidget(self.loading)
        if demo:
            marker = QLabel(self.tr("演示数据（锁定后密码 demo-childdesk-2026）"))
            marker.setObjectName("demo_marker")
            marker.setStyleSheet("color: #c62828; font-weight: bold;")
            self.statusBar().addPermanentWidget(marker)
        install_help(self)  # F1 and 帮助 open the 使用说明
        self.statusBar().addPermanentWidget(lock)
        lock.clicked.connect(self.lock_requested)
        # Ctrl+L locks from every window of the program (a child file, an assessment…)
        lock_key = QShortcut(QKeySequence("Ctrl+L"), self, self.lock_requested.emit)
        lock_key.setContext(Qt.ShortcutContext.ApplicationShortcut)
        self._fit_navigation()
        self.nav.currentRowChanged.connect(self.stack.setCurrentIndex)
        self.nav.setCurrentRow(0)
        store.loading.connect(self._show_loading)
        fit_window(self, 1180, 760, maximise=True)
        self._allow_close: Callable[[], bool] | None = None

    def _fit_navigation(self) -> None:
        """Navigation sized from the current font, so 较大/特大 text stays readable."""
        height = self.fontMetrics().height()
        self.nav.setFixedWidth(round(height * 6.5))
        for row in range(self.nav.count()):
            self.nav.item(row).setSizeHint(QSize(0, round(height * 2.6)))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.FontChange:
            self._fit_navigation()
        super().changeEvent(event)

    def show_director(self, name: str, village_code: str) -> None:
        who = self.findChild(QLabel, "who")
        if who is not None:
            who.setText(self.tr("儿童主任：{0}　村代码：{1}").format(name, village_code))

    def show_page(self, name: str) -> None:
        self.nav.setCurrentRow(NAV_ITEMS.index(name))

    def _show_loading(self, busy: bool) -> None:
        self.loading.setText(self.tr("正在读取档案…") if busy else "")

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._allow_close is not None and not self._allow_close():
            event.ignore()
            return
        event.accept()
        self.closed.emit()

    def set_close_guard(self, guard: Callable[[], bool]) -> None:
        self._allow_close = guard
