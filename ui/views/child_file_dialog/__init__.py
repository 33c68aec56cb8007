"""The child file (一人一档): tabs 基本信息, 监护人, 评估, 走访, 个案, 报告与申请, 附件, 历史.

The dialog is a package of parts: base.py (layout and connections), showing.py (loading and
showing), saving.py (saving, drafts, closing), tabs.py (visits, assessments, cases,
attachments, archiving, printing), workflows_tab.py and workflow_part.py (报告与申请: reports,
recognition applications and case conferences), reasons.py (the delete and archive reason dialogs) and
dialog.py (the class put together).
"""

from ui.views.child_file_dialog.base import FIELD_NAMES_ZH
from ui.views.child_file_dialog.dialog import ChildFileDialog
from ui.views.child_file_dialog.reasons import ArchiveDialog, ReasonDialog

__all__ = ["FIELD_NAMES_ZH", "ArchiveDialog", "ChildFileDialog", "ReasonDialog"]
