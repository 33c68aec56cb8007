"""The real desktop app with a probe: ``python -X faulthandler tests/e2e/probe.py PORT_FILE --
[childdesk arguments]`` runs ``ui.launcher.main`` exactly as the ``childdesk`` script does (real
windows, the real vault and network workers) and opens a loopback socket through which the
end-to-end tests ask, on the GUI thread, which windows are shown, where a widget is and what it
shows. The probe never clicks or types: input comes from the test as real X events (xdotool),
through the window manager, as a user's would.

The probe thread holds no Qt object: each question is a closure over plain data, run on the GUI
thread by a queued signal, and answers with plain data.
"""

from __future__ import annotations

import json
import queue
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QPoint, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QDateEdit,
    QGroupBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QTabBar,
    QTabWidget,
    QTextEdit,
    QTreeWidget,
    QWidget,
)


class _Bridge(QObject):
    """Created on the main thread before the app: queued calls reach the GUI thread."""

    call = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.call.connect(self._run, Qt.ConnectionType.QueuedConnection)

    @staticmethod
    def _run(job: Callable[[], None]) -> None:
        job()


def _text(widget: QWidget) -> str:
    if isinstance(widget, QAbstractButton):
        return widget.text().replace("&", "")
    if isinstance(widget, QLabel | QLineEdit):
        return widget.text()
    if isinstance(widget, QComboBox):
        return widget.currentText()
    if isinstance(widget, QGroupBox):
        return widget.title()
    if isinstance(widget, QPlainTextEdit | QTextEdit):
        return widget.toPlainText()
    if isinstance(widget, QDateEdit):
        return widget.date().toString("yyyy-MM-dd")
    if isinstance(widget, QAbstractSpinBox):
        return widget.text()
    return ""


def _items(widget: QWidget) -> list[str] | None:
    if isinstance(widget, QComboBox):
        return [widget.itemText(i) for i in range(widget.count())]
    if isinstance(widget, QTabWidget):
        return [widget.tabText(i).replace("&", "") for i in range(widget.count())]
    if isinstance(widget, QTabBar):
        return [widget.tabText(i).replace("&", "") for i in range(widget.count())]
    if isinstance(widget, QListWidget):
        return [widget.item(i).text() for i in range(widget.count())]
    if isinstance(widget, QTreeWidget):
        out = []
        for i in range(widget.topLevelItemCount()):
            top = widget.topLevelItem(i)
            out.append(top.text(0))
            out.extend("  " + top.child(j).text(0) for j in range(top.childCount()))
        return out
    if isinstance(widget, QAbstractItemView) and widget.model() is not None:
        model = widget.model()
        return [
            " | ".join(str(model.index(r, c).data() or "") for c in range(model.columnCount()))
            for r in range(model.rowCount())
        ]
    return None


def _info(top: QWidget, widget: QWidget) -> dict[str, Any]:
    origin = widget.mapToGlobal(QPoint(0, 0))
    size = widget.size()
    info: dict[str, Any] = {
        "cls": type(widget).__name__,
        "name": widget.objectName(),
        "text": _text(widget),
        "enabled": widget.isEnabled(),
        "window": top.windowTitle(),
        "rect": [origin.x(), origin.y(), size.width(), size.height()],
        "center": [origin.x() + size.width() // 2, origin.y() + size.height() // 2],
        "focus": widget.hasFocus(),
    }
    if isinstance(widget, QAbstractButton) and widget.isCheckable():
        info["checked"] = widget.isChecked()
    if isinstance(widget, QTabWidget):
        info["current"] = widget.currentIndex()
    items = _items(widget)
    if items is not None:
        info["items"] = items
    return info


def _windows() -> list[QWidget]:
    """Visible top-level windows, the active one first."""
    shown = [w for w in QApplication.topLevelWidgets() if w.isVisible() and w.isWindow()]
    active = QApplication.activeWindow()
    return sorted(shown, key=lambda w: w is not active)


def _matches(top: QWidget, widget: QWidget, spec: dict[str, Any]) -> bool:
    if "name" in spec and widget.objectName() != spec["name"]:
        return False
    if "text" in spec and _text(widget) != spec["text"]:
        return False
    if "contains" in spec and spec["contains"] not in _text(widget):
        return False
    if "cls" in spec and not any(c.__name__ == spec["cls"] for c in type(widget).__mro__):
        return False
    return not ("window" in spec and spec["window"] not in top.windowTitle())


def _descendants(top: QWidget, name: str | None = None) -> Iterator[QWidget]:
    """``top`` and its visible widgets (not those of windows it owns), in Qt's order; only
    those named ``name`` if given (Qt looks the name up: the harness polls every 0.1 s, and
    wrapping every widget of a large window in Python each time cost the program seconds of
    CPU per journey)."""
    if name is None or top.objectName() == name:
        yield top
    children = top.findChildren(QWidget) if name is None else top.findChildren(QWidget, name)
    for child in children:
        if child.window() is top and child.isVisible():
            yield child


def _find(spec: dict[str, Any]) -> list[tuple[QWidget, QWidget]]:
    return [
        (top, widget)
        for top in _windows()
        for widget in _descendants(top, spec.get("name"))
        if _matches(top, widget, spec)
    ]


def _item_center(widget: QWidget, spec: dict[str, Any]) -> list[int] | None:
    row, col, label = spec.get("row"), spec.get("col", 0), spec.get("item")
    if isinstance(widget, QTabWidget):
        widget = widget.tabBar()
    if isinstance(widget, QTabBar):
        for i in range(widget.count()):
            if widget.tabText(i).replace("&", "") == label or i == row:
                rect = widget.tabRect(i)
                point = widget.mapToGlobal(rect.center())
                return [point.x(), point.y()]
        return None
    if isinstance(widget, QAbstractItemView) and widget.model() is not None:
        model = widget.model()
        index = None
        if label is not None:
            found = model.match(
                model.index(0, col),
                Qt.ItemDataRole.DisplayRole,
                label,
                1,
                Qt.MatchFlag.MatchContains | Qt.MatchFlag.MatchRecursive,
            )
            index = found[0] if found else None
        elif row is not None and row < model.rowCount():
            index = model.index(row, col)
        if index is None:
            return None
        widget.scrollTo(index)
        rect = widget.visualRect(index)
        point = widget.viewport().mapToGlobal(rect.center())
        return [point.x(), point.y()]
    return None


def _answer(request: dict[str, Any]) -> Any:
    op = request["op"]
    spec = request.get("spec", {})
    if op == "windows":
        out = []
        for top in _windows():
            frame = top.frameGeometry()
            out.append(
                {
                    "title": top.windowTitle(),
                    "cls": type(top).__name__,
                    "name": top.objectName(),
                    "frame": [frame.x(), frame.y(), frame.width(), frame.height()],
                    "active": top.isActiveWindow(),
                    "maximized": top.isMaximized(),
                }
            )
        return out
    if op == "screen":
        screen = QApplication.primaryScreen()
        full, available = screen.geometry(), screen.availableGeometry()
        return {
            "size": [full.width(), full.height()],
            "available": [available.x(), available.y(), available.width(), available.height()],
        }
    if op == "find":
        return [_info(top, widget) for top, widget in _find(spec)]
    if op == "item":
        for _top, widget in _find(spec):
            center = _item_center(widget, request)
            if center is not None:
                return center
        return None
    if op == "screenshot":
        # The whole X screen as the X server has it (window manager frames, the taskbar, every
        # program's windows), as ``import -window root`` would take it, written by Qt with fast
        # compression: an ImageMagick run per screenshot cost the journeys more CPU than the
        # program they look at.
        Path(request["path"]).parent.mkdir(parents=True, exist_ok=True)
        shot = QApplication.primaryScreen().grabWindow(0)
        if shot.isNull() or not shot.save(request["path"], "PNG", 80):
            raise OSError(f"could not save the screenshot {request['path']}")
        return request["path"]
    if op == "modules":  # which of the named top-level modules the program has loaded
        return sorted(name for name in request["names"] if name in sys.modules)
    if op == "focus":
        widget = QApplication.focusWidget()
        return None if widget is None else _info(widget.window(), widget)
    if op == "buttons_outside":
        # every visible button of every window lying (partly) outside the available screen
        available = QApplication.primaryScreen().availableGeometry()
        outside = []
        for top in _windows():
            for widget in _descendants(top):
                if not isinstance(widget, QAbstractButton) or widget.width() <= 0:
                    continue
                # what of it is not clipped away (a button scrolled out of a scroll area's
                # view is reachable by scrolling; one below the screen's edge is not)
                shown = widget.visibleRegion().boundingRect()
                if shown.isEmpty():
                    continue
                origin = widget.mapToGlobal(shown.topLeft())
                if not available.contains(origin) or not available.contains(
                    origin + QPoint(shown.width() - 1, shown.height() - 1)
                ):
                    outside.append(_info(top, widget))
        return outside
    raise ValueError(f"unknown op {op!r}")


def _serve(server: socket.socket, bridge: _Bridge) -> None:
    while True:
        conn, _addr = server.accept()
        threading.Thread(target=_client, args=(conn, bridge), daemon=True).start()


def _client(conn: socket.socket, bridge: _Bridge) -> None:
    reader = conn.makefile("r", encoding="utf-8")
    for line in reader:
        request = json.loads(line)
        answers: queue.Queue[str] = queue.Queue()

        def job(request: dict[str, Any] = request, answers: queue.Queue[str] = answers) -> None:
            try:
                answers.put(json.dumps({"ok": _answer(request)}, ensure_ascii=False))
            except Exception as err:  # the test reads it as a failure
                answers.put(json.dumps({"error": f"{type(err).__name__}: {err}"}))

        bridge.call.emit(job)
        del job
        try:
            reply = answers.get(timeout=20)
        except queue.Empty:
            reply = json.dumps({"error": "the GUI thread did not answer within 20 s"})
        conn.sendall((reply + "\n").encode("utf-8"))


def main() -> int:
    port_file = Path(sys.argv[1])
    argv = sys.argv[3:] if sys.argv[2:3] == ["--"] else sys.argv[2:]
    bridge = _Bridge()
    server = socket.create_server(("127.0.0.1", 0))
    threading.Thread(target=_serve, args=(server, bridge), name="e2e-probe", daemon=True).start()
    # Written whole then renamed: the harness waits for the file to exist and
    # must never read it half-written.
    partial = port_file.with_name(port_file.name + ".partial")
    partial.write_text(str(server.getsockname()[1]), encoding="utf-8")
    partial.replace(port_file)
    from ui.launcher import main as childdesk

    sys.argv = ["childdesk", *argv]
    return childdesk()  # as the script calls it; then a normal exit: a crash at exit shows too


if __name__ == "__main__":
    sys.exit(main())
