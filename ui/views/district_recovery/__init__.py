"""恢复码也丢了: district-escrow recovery (docs/sync-protocol.md §15) in three steps — write a
recovery request to a USB stick, the district answers it, load the answer and set a new
password. The pending request is kept in the vault folder, so a director who comes back days
later lands on the step she is at. All file work and the new password's Argon2id run on the
runner; the GUI thread only shows results.

The dialog is a package of parts: parts.py (small widgets), texts.py (what went wrong, in
Chinese), base.py (the pages and navigation), request.py (step 1: the request), answer.py
(step 3: the answer and the new password), dialog.py (the class put together) and demo.py
(the screenshot factory).
"""

from ui.views.district_recovery.demo import DEMO_PAGES, demo_district_recovery, demo_pending
from ui.views.district_recovery.dialog import DistrictRecoveryDialog
from ui.views.district_recovery.texts import grant_error_zh, local_date, write_error_zh

__all__ = [
    "DEMO_PAGES",
    "DistrictRecoveryDialog",
    "demo_district_recovery",
    "demo_pending",
    "grant_error_zh",
    "local_date",
    "write_error_zh",
]
