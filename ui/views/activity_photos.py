"""活动照片: the photos of one activity (issue 19, "photos as encrypted attachments") — the list,
the selected photo shown beside it, 添加照片… (JPEG or PNG, at most 10 MB; anything else refused
in words above the buttons) and 删除照片… (with a reason, like other deletions).

Every vault call runs on the vault worker (docs/architecture.md, threading contract): adding
reads the picked file there, once, into memory and encrypts it into the vault (no plaintext copy,
no temporary file: app/services/activities.py); showing decrypts the photo into memory and
decodes it there too (:func:`decode_photo`, a ``QImage`` — never a ``QPixmap`` — scaled to the
preview), so a 10 MB photo never freezes the window; only the small image comes back to the GUI
thread.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QSize, Qt, Signal
from PySide6.QtGui import QImage, QImageReader, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.domain.activity import Activity, ActivityPhoto
from app.domain.problems import DomainValidationError
from app.services.activities import ActivityService
from app.services.stored import Stored
from ui.tasks import Runner
from ui.views.messages import show_error
from ui.window_fit import fit_window

PHOTO_FILTER = "照片 (*.jpg *.jpeg *.png *.JPG *.JPEG *.PNG)"


class PhotoDesk(Protocol):
    """What the photos window uses of the desk (no vault)."""

    @property
    def runner(self) -> Runner: ...
    @property
    def activities(self) -> ActivityService: ...


class PhotoUnreadable(ValueError):
    """The decrypted bytes are not an image Qt can show (a damaged or odd file)."""


def decode_photo(data: bytes, bounds: QSize) -> QImage:
    """The photo decoded in memory and scaled to fit ``bounds`` (a camera's orientation tag
    applied). Runs on a worker: a ``QImage`` may be made off the GUI thread, a ``QPixmap``
    may not."""
    array = QByteArray(data)
    buffer = QBuffer(array)
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    reader = QImageReader(buffer)
    reader.setAutoTransform(True)
    size = reader.size()
    if size.isValid() and (
        size.width() > 2 * bounds.width() or size.height() > 2 * bounds.height()
    ):
        # decode a large JPEG at a reduced size straight away (much less memory and time)
        reader.setScaledSize(size.scaled(bounds * 2, Qt.AspectRatioMode.KeepAspectRatioByExpanding))
    image = reader.read()
    buffer.close()
    if image.isNull():
        raise PhotoUnreadable(reader.errorString())
    if image.width() > bounds.width() or image.height() > bounds.height():
        image = image.scaled(
            bounds, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
        )
    return image


def photo_row_text(photo: ActivityPhoto) -> str:
    added = datetime.fromtimestamp(photo.added_ms / 1000).strftime("%Y-%m-%d")
    return f"{photo.filename}\n{photo.size_text}，{photo.added_by} {added}添加"


class ActivityPhotosDialog(QDialog):
    """The photos of ``stored``; ``photos_changed`` after one is added or removed."""

    photos_changed = Signal()

    def __init__(
        self, desk: PhotoDesk, stored: Stored[Activity], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("activity_photos_dialog")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        activity = stored.value
        self.setWindowTitle(self.tr("活动照片：{0}").format(activity.title))
        self._desk = desk
        self._activity_id = stored.record_id
        self._photos: list[ActivityPhoto] = []
        self._showing: str | None = None  # the photo asked for last (a late answer is dropped)
        self._busy = False
        heading = QLabel(
            self.tr("{0}　{1}　{2}").format(
                activity.on.isoformat(), activity.kind_zh, activity.title
            )
        )
        heading.setObjectName("activity_photos_heading")
        heading.setWordWrap(True)
        self.photo_list = QListWidget()
        self.photo_list.setObjectName("activity_photo_list")
        self.photo_list.setWordWrap(True)
        self.photo_list.currentRowChanged.connect(self._selected)
        self.preview = QLabel(self.tr("还没有照片。点“添加照片…”选择活动现场的照片。"))
        self.preview.setObjectName("activity_photo_preview")
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setWordWrap(True)
        self.preview.setMinimumSize(240, 180)
        self.preview.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.preview.setStyleSheet("background: #f4f4f4; border: 1px solid #ccc;")
        self.message = QLabel("")
        self.message.setObjectName("activity_photo_message")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #c62828;")
        hint = QLabel(
            self.tr(
                "照片加密保存在本机，同步时随活动一起上报。只能添加JPG或PNG照片，每张不超过10MB。"
            )
        )
        hint.setWordWrap(True)
        self.add_button = QPushButton(self.tr("添加照片…"))
        self.add_button.setObjectName("activity_photo_add")
        self.add_button.clicked.connect(self.pick_photo)
        self.remove_button = QPushButton(self.tr("删除照片…"))
        self.remove_button.setObjectName("activity_photo_remove")
        self.remove_button.setToolTip(self.tr("删除选中的照片，需要写明原因"))
        self.remove_button.clicked.connect(self.remove_selected)
        close = QPushButton(self.tr("关闭"))
        close.setObjectName("activity_photo_close")
        close.clicked.connect(self.accept)
        body = QHBoxLayout()
        body.addWidget(self.photo_list, 2)
        body.addWidget(self.preview, 5)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addLayout(body, 1)
        layout.addWidget(hint)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        fit_window(self, 900, 600)
        self._update_buttons()
        self.reload()

    # ----- the list -----------------------------------------------------------------------

    def reload(self, select: str | None = None) -> None:
        service, activity_id = self._desk.activities, self._activity_id
        self._desk.runner.submit(
            lambda: service.photos(activity_id),
            lambda photos: self._show_list(photos, select),
            self._failed,
        )

    def _show_list(self, photos: list[ActivityPhoto], select: str | None) -> None:
        self._photos = photos
        self.photo_list.blockSignals(True)
        self.photo_list.clear()
        for photo in photos:
            item = QListWidgetItem(photo_row_text(photo))
            item.setData(Qt.ItemDataRole.UserRole, photo.photo_id)
            self.photo_list.addItem(item)
        self.photo_list.blockSignals(False)
        ids = [p.photo_id for p in photos]
        if not photos:
            self._showing = None
            self.preview.setPixmap(QPixmap())
            self.preview.setText(self.tr("还没有照片。点“添加照片…”选择活动现场的照片。"))
        else:
            row = ids.index(select) if select in ids else 0
            self.photo_list.setCurrentRow(row)
            self._selected(row)
        self._update_buttons()

    def selected_photo(self) -> ActivityPhoto | None:
        row = self.photo_list.currentRow()
        return self._photos[row] if 0 <= row < len(self._photos) else None

    def _update_buttons(self) -> None:
        self.add_button.setEnabled(not self._busy)
        self.remove_button.setEnabled(not self._busy and self.selected_photo() is not None)

    # ----- showing one --------------------------------------------------------------------

    def _selected(self, row: int) -> None:
        self._update_buttons()
        if not 0 <= row < len(self._photos):
            return
        photo_id = self._photos[row].photo_id
        if photo_id == self._showing and not self.preview.pixmap().isNull():
            return  # shown already
        self._showing = photo_id
        self.preview.setPixmap(QPixmap())
        self.preview.setText(self.tr("正在打开照片…"))
        service = self._desk.activities
        bounds = self.preview.size().expandedTo(QSize(240, 180)) - QSize(8, 8)

        def read() -> tuple[str, QImage]:  # on the worker: decrypt and decode in memory
            return photo_id, decode_photo(service.photo_bytes(photo_id), bounds)

        self._desk.runner.submit(read, self._show_photo, self._show_failed)

    def _show_photo(self, shown: tuple[str, QImage]) -> None:
        photo_id, image = shown
        if photo_id != self._showing:
            return  # another photo was chosen meanwhile
        self.preview.setPixmap(QPixmap.fromImage(image))

    def _show_failed(self, err: BaseException) -> None:
        self.preview.setPixmap(QPixmap())
        if isinstance(err, PhotoUnreadable):
            self.preview.setText(self.tr("这张照片打不开，可能文件已损坏。"))
        else:
            self.preview.setText("")
            show_error(self, err)

    # ----- adding and removing ------------------------------------------------------------

    def pick_photo(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self, self.tr("选择活动照片"), "", self.tr(PHOTO_FILTER)
        )
        if path:
            self.add_file(Path(path))

    def add_file(self, path: Path) -> None:
        """Add the photo at ``path`` (read once and encrypted on the worker)."""
        if self._busy:
            return
        service, activity_id = self._desk.activities, self._activity_id

        def add() -> ActivityPhoto:
            with path.open("rb") as source:
                return service.add_photo(activity_id, source, filename=path.name)

        self._start(self.tr("正在加密保存照片…"))
        self._desk.runner.submit(add, self._added, self._refused)

    def _added(self, photo: ActivityPhoto) -> None:
        self._finish()
        self.reload(select=photo.photo_id)
        self.photos_changed.emit()

    def remove_selected(self) -> None:
        photo = self.selected_photo()
        if photo is None:
            self.message.setText(self.tr("请先在左边选中一张照片。"))
            return
        reason, ok = QInputDialog.getText(
            self,
            self.tr("删除照片"),
            self.tr("删除照片“{0}”的原因，例如：拍错了、照片不清楚：").format(photo.filename),
        )
        if ok:
            self.remove_with_reason(photo.photo_id, reason)

    def remove_with_reason(self, photo_id: str, reason: str) -> None:
        """Remove on the vault worker; a blank reason is refused in words."""
        if self._busy:
            return
        service = self._desk.activities
        self._start("")
        self._desk.runner.submit(
            lambda: service.remove_photo(photo_id, reason=reason), self._removed, self._refused
        )

    def _removed(self, _none: object) -> None:
        self._finish()
        self._showing = None
        self.reload()
        self.photos_changed.emit()

    # ----- state --------------------------------------------------------------------------

    def _start(self, text: str) -> None:
        self._busy = True
        self.message.setStyleSheet("color: #555;")
        self.message.setText(text)
        self._update_buttons()

    def _finish(self) -> None:
        self._busy = False
        self.message.setStyleSheet("color: #c62828;")
        self.message.setText("")
        self._update_buttons()

    def _refused(self, err: BaseException) -> None:
        self._finish()
        if isinstance(err, DomainValidationError):
            self.message.setText(err.message_zh)
        elif isinstance(err, OSError):
            self.message.setText(self.tr("这个文件读不出来，没有添加。请确认文件还在，再试一次。"))
        else:
            show_error(self, err)

    def _failed(self, err: BaseException) -> None:
        show_error(self, err)
