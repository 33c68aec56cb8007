"""Every top-level window opens inside the screen it opens on.

Village laptops have small screens (1366×768, sometimes 1280×720) with a taskbar, and 特大 text
makes every widget taller. A window asks for the size it would like with :func:`fit_window`;
it gets that size clamped to the screen's available area, less the window frame (title bar,
borders) and less room for a taskbar even when the window manager reports none, and it is
centred there. Content that still cannot fit scrolls (the window wraps its page bodies in a
``QScrollArea``); buttons are never pushed below the screen's edge.

The preferred size is kept on the window, so :func:`refit` can fit it again later (for
another screen, or from a test that simulates a screen with :func:`simulated_screen`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from PySide6.QtCore import QMargins, QRect, QSize, Qt
from PySide6.QtGui import QGuiApplication, QScreen
from PySide6.QtWidgets import QFrame, QLayout, QScrollArea, QWidget

# Kept free at the bottom when the window manager reports the whole screen as available (no
# taskbar, an auto-hiding one, or a window manager that does not say): a taskbar is ~30–40 px.
TASKBAR_ALLOWANCE = 40
# The frame a window manager adds before the real one is known (the window is not shown yet):
# a title bar (~30 px on Windows 10 at 100 %, ~20 px with openbox) and thin borders.
FRAME_ALLOWANCE = QMargins(8, 32, 8, 8)

_PREFERRED = "childdesk_preferred_size"
_MAXIMISE = "childdesk_maximise"

_simulated: tuple[QRect, QRect] | None = None  # (screen geometry, available geometry)


@contextmanager
def simulated_screen(geometry: QRect, available: QRect | None = None) -> Iterator[None]:
    """Windows fitted inside this block are fitted to this screen instead of the real one —
    for tests on the offscreen platform, whose only screen is 800×600. ``available`` is what
    the window manager reports (a taskbar), the whole screen when not given."""
    global _simulated
    previous = _simulated
    _simulated = (QRect(geometry), QRect(available if available is not None else geometry))
    try:
        yield
    finally:
        _simulated = previous


def _screen_for(window: QWidget) -> QScreen | None:
    parent = window.parentWidget()
    for widget in (window, parent.window() if parent is not None else None):
        if widget is not None and widget.isVisible() and widget.screen() is not None:
            return widget.screen()
    return QGuiApplication.primaryScreen()


def usable_area(window: QWidget | None = None) -> QRect:
    """The part of the screen a window's frame may cover: the available geometry, less a
    taskbar's height when the window manager reports none."""
    if _simulated is not None:
        full, available = _simulated
    else:
        screen = _screen_for(window) if window is not None else QGuiApplication.primaryScreen()
        if screen is None:
            return QRect(0, 0, 1280, 720 - TASKBAR_ALLOWANCE)
        full, available = screen.geometry(), screen.availableGeometry()
    area = QRect(available)
    if area.height() >= full.height():  # no taskbar reported above or below
        area.setHeight(full.height() - TASKBAR_ALLOWANCE)
    return area


def frame_margins(window: QWidget) -> QMargins:
    """The window's frame: the real one once the window manager has framed it, else a
    generous estimate."""
    if window.isVisible():
        frame, inner = window.frameGeometry(), window.geometry()
        real = QMargins(
            inner.left() - frame.left(),
            inner.top() - frame.top(),
            frame.right() - inner.right(),
            frame.bottom() - inner.bottom(),
        )
        if real.top() > 0:
            return real
    return FRAME_ALLOWANCE


def client_limit(window: QWidget) -> QSize:
    """The largest client (inner) size whose frame fits the usable area."""
    area, frame = usable_area(window), frame_margins(window)
    return QSize(
        area.width() - frame.left() - frame.right(),
        area.height() - frame.top() - frame.bottom(),
    )


def fit_window(
    window: QWidget, width: int | None = None, height: int | None = None, *, maximise: bool = False
) -> QSize:
    """Size ``window`` to ``width`` × ``height`` (its preferred client size; by default what
    its layout asks for), clamped to the screen it opens on, and centre it there. With
    ``maximise`` (the main window), a window whose preferred size does not fit opens
    maximised. Returns the size given."""
    if width is None or height is None:
        hint = window.sizeHint().expandedTo(window.minimumSizeHint())
        width = hint.width() if width is None else width
        height = hint.height() if height is None else height
    window.setProperty(_PREFERRED, QSize(width, height))
    window.setProperty(_MAXIMISE, maximise)
    return refit(window)


def refit(window: QWidget) -> QSize:
    """Fit ``window`` again to its preferred size (see :func:`fit_window`)."""
    preferred = window.property(_PREFERRED)
    if not isinstance(preferred, QSize):
        preferred = window.size()
    limit = client_limit(window)
    size = QSize(min(preferred.width(), limit.width()), min(preferred.height(), limit.height()))
    window.resize(size)
    centre(window)
    if window.property(_MAXIMISE) and not (
        preferred.width() <= limit.width() and preferred.height() <= limit.height()
    ):
        window.setWindowState(window.windowState() | Qt.WindowState.WindowMaximized)
    return size


def centre(window: QWidget) -> None:
    """Centre the window's frame in the usable area (its top-left corner kept on screen)."""
    area, frame = usable_area(window), frame_margins(window)
    outer_w = window.width() + frame.left() + frame.right()
    outer_h = window.height() + frame.top() + frame.bottom()
    x = area.left() + max(0, (area.width() - outer_w) // 2)
    y = area.top() + max(0, (area.height() - outer_h) // 2)
    window.move(x, y)  # a top-level's pos() is its frame's top-left corner


class _BodyScrollArea(QScrollArea):
    """Asks for its content's whole size (a plain QScrollArea asks for at most 24 lines), so a
    window that fits on the screen shows its page without a scroll bar."""

    def sizeHint(self) -> QSize:
        content = self.widget()
        if content is None:
            return super().sizeHint()
        hint = content.sizeHint().expandedTo(content.minimumSizeHint())
        margins = self.contentsMargins()
        return QSize(
            hint.width() + margins.left() + margins.right(),
            hint.height() + margins.top() + margins.bottom(),
        )


def scrolling(content: QWidget | QLayout) -> QScrollArea:
    """``content`` in a frameless scroll area that stretches it: a page body that scrolls on a
    small screen (or at 特大 text) instead of making its window taller than the screen."""
    if isinstance(content, QLayout):
        holder = QWidget()
        holder.setLayout(content)
        content = holder
    area = _BodyScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidget(content)
    return area
