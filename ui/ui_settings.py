"""Settings that are not personal (auto-lock time, text size), in the platform's config store."""

from __future__ import annotations

from PySide6.QtCore import QSettings

DEFAULT_AUTO_LOCK_MINUTES = 10


class UiSettings:
    def __init__(self, settings: QSettings | None = None) -> None:
        self._settings = settings or QSettings("childdesk", "childdesk")

    @property
    def auto_lock_minutes(self) -> int:
        value = self._settings.value("auto_lock_minutes", DEFAULT_AUTO_LOCK_MINUTES)
        return max(1, int(str(value)))

    @auto_lock_minutes.setter
    def auto_lock_minutes(self, minutes: int) -> None:
        self._settings.setValue("auto_lock_minutes", int(minutes))

    @property
    def text_scale(self) -> float:
        return float(str(self._settings.value("text_scale", 1.0)))

    @text_scale.setter
    def text_scale(self, scale: float) -> None:
        self._settings.setValue("text_scale", float(scale))

    @property
    def last_save_folder(self) -> str:
        """The folder a PDF was last saved to ("" until one was): not personal data."""
        return str(self._settings.value("last_save_folder", "") or "")

    @last_save_folder.setter
    def last_save_folder(self, folder: str) -> None:
        self._settings.setValue("last_save_folder", str(folder))
