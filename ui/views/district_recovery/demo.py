"""The recovery dialog on one page with sample content, for ui/screenshots.py."""

from __future__ import annotations

import errno
from pathlib import Path

from sync import recovery
from sync.laptop.usb import Drive
from ui.tasks import Runner
from ui.views.district_recovery.dialog import DistrictRecoveryDialog
from ui.views.district_recovery.texts import grant_error_zh, write_error_zh

DEMO_PAGES = ("not_enrolled", "request", "request_failed", "waiting", "apply", "refused", "done")


def demo_pending() -> recovery.PendingRequest:
    return recovery.PendingRequest(
        check_code="7F3A-09C2",
        created="2026-11-20T02:15:00Z",
        request_name="3f9c2a7e5b1d4c8a9e6f0b2d7a4c1e93.cdrecover",
        folder=Path("/media/wang/KINGSTON"),
    )


def demo_district_recovery(
    data_dir: Path, runner: Runner, page: str = "request"
) -> DistrictRecoveryDialog:
    """The dialog on one of :data:`DEMO_PAGES` with sample content and no district (for
    ``ui/screenshots.py``); nothing is written."""
    drives = [Drive(Path("/media/wang/KINGSTON"), "KINGSTON")]
    dialog = DistrictRecoveryDialog(data_dir, runner, drives=lambda: drives)
    if page == "not_enrolled":
        dialog._looked((False, None, drives))
        return dialog
    pending = None if page in ("request", "request_failed") else demo_pending()
    dialog._looked((True, pending, drives))
    if page == "request_failed":
        full = OSError(errno.ENOSPC, "No space left on device", "/media/wang/KINGSTON/x")
        dialog._say_request(write_error_zh(full, Path(data_dir), had_pending=False))
    elif page == "waiting":
        dialog._set_pending(pending, written_now=True)
    elif page in ("apply", "refused"):
        dialog.go_to_apply()
        assert pending is not None
        dialog.grant_path.setText(str(pending.folder / pending.grant_name))  # type: ignore[operator]
        if page == "apply":
            dialog._grant_ok(Path(dialog.grant_path.text()), b"demo")
            dialog.password.setText("门前有棵老槐树2008")
            dialog.repeat.setText("门前有棵老槐树2008")
            dialog.password.deselect()
        else:
            old = recovery.GrantForOlderRequestError("older")
            dialog._grant_problem(grant_error_zh(old, pending))
    elif page == "done":
        dialog.recovery_code = "4821-0937-5512-8640-2279-6153-0498-7316"
        dialog._show_code(dialog.recovery_code)
        dialog._update_start()
        dialog._show(dialog.done_page)
    return dialog
