"""Step 1: find out where the director is (enrolled? a request waiting?), the drives to write
to, and writing the request (on the runner)."""

from __future__ import annotations

from pathlib import Path

from sync import recovery
from sync.laptop.usb import Drive
from ui.views.district_recovery.base import DistrictRecoveryBase
from ui.views.district_recovery.texts import local_date, write_error_zh


class RequestPart(DistrictRecoveryBase):
    def _start(self) -> None:
        data_dir, drives = self._data_dir, self._drives

        def look() -> tuple[bool, recovery.PendingRequest | None, list[Drive]]:
            return recovery.has_escrow(data_dir), recovery.pending_request(data_dir), drives()

        self._set_busy(True)
        self._runner.submit(look, self._looked, self._look_failed)

    def _looked(self, result: tuple[bool, recovery.PendingRequest | None, list[Drive]]) -> None:
        self._set_busy(False)
        enrolled, pending, drives = result
        self.drive_picker.fill(drives)
        if not enrolled:
            self._show(self.not_enrolled_page)
            return
        self._set_pending(pending, written_now=False)
        if pending is None:
            self._show(self.request_page)
        elif self._resume:
            self.go_to_apply()
        else:
            self._show(self.waiting_page)

    def _look_failed(self, err: BaseException) -> None:
        self._set_busy(False)
        self._show(self.request_page)
        self.request_message.setText(write_error_zh(err, self._data_dir, False))

    def _set_pending(self, pending: recovery.PendingRequest | None, *, written_now: bool) -> None:
        self.pending = pending
        self.back_to_waiting.setVisible(pending is not None)
        if pending is None:
            return
        self.check_code.setText(pending.check_code)
        where = str(pending.folder) if pending.folder else self.tr("U盘")
        if written_now:
            note = self.tr("申请已写入 {0}，并已读回核对无误，可以拔出U盘了。").format(where)
        else:
            note = self.tr("您在{0}写过一份恢复申请（写在 {1}），正在等区里答复。").format(
                local_date(pending.created), where
            )
        self.waiting_note.setText(note)
        self.waiting_next.setText(
            self.tr(
                "下一步：把U盘带到区民政局。区里会在申请旁边写一个答复文件"
                "（名字以 .cdrecovered 结尾）。带回来后插上U盘，"
                "点“我带回了区里的答复，下一步”。"
            )
        )
        self.apply_intro.setText(
            self.tr(
                "插上带回来的U盘，点“在U盘上找”；也可以点“选择文件…”，"
                "找名字以 .cdrecovered 结尾的文件。然后设一个新密码。"
            )
        )
        self._fit()

    def _rewrite(self) -> None:
        self.request_message.setText(
            self.tr("注意：写了新申请，之前的申请（核对码 {0}）就作废了。").format(
                self.pending.check_code if self.pending else ""
            )
        )
        self.request_message.setProperty("role", "hint")
        self._repolish(self.request_message)
        self._show(self.request_page)

    # ----- step 1: the request -------------------------------------------------------------

    def refresh_drives(self) -> None:
        fill = self.drive_picker.fill
        self._runner.submit(self._drives, fill, lambda _err: fill([]))

    def set_folder(self, folder: Path) -> None:
        self.drive_picker.set_folder(folder)

    def write_request(self) -> None:
        if self._busy:
            return
        data = self.folder_combo.currentData()
        if not data:
            self._say_request(self.tr("请先插上U盘并点“刷新”，或点“选择文件夹…”。"))
            return
        folder, data_dir = Path(str(data)), self._data_dir
        had_pending = self.pending is not None

        def write() -> recovery.PendingRequest | None:
            recovery.write_request(data_dir, folder)
            return recovery.pending_request(data_dir)

        def failed(err: BaseException) -> None:
            self._set_busy(False)
            if isinstance(err, recovery.NoEscrowError):
                self._show(self.not_enrolled_page)
                return
            self._say_request(write_error_zh(err, data_dir, had_pending))

        self._say_request(self.tr("正在写入并核对…"), role="hint")
        self._set_busy(True)
        self._runner.submit(write, self._written, failed)

    def _say_request(self, text: str, role: str = "error") -> None:
        self.request_message.setProperty("role", role)
        self._repolish(self.request_message)
        self.request_message.setText(text)
        self._fit()

    def _written(self, pending: recovery.PendingRequest | None) -> None:
        self._set_busy(False)
        self.request_message.setText("")
        self._grant = None
        self.grant_path.clear()
        self.grant_status.setText("")
        self._set_pending(pending, written_now=True)
        self._show(self.waiting_page)
