"""The child file dialog, put together from its parts (one module each): base.py lays it out,
showing.py loads and shows it, saving.py saves and keeps drafts, tabs.py works the other tabs,
workflow_part.py opens the 报告与申请 tab's reports and applications."""

from __future__ import annotations

from ui.views.child_file_dialog.saving import SavingPart
from ui.views.child_file_dialog.showing import ShowingPart
from ui.views.child_file_dialog.tabs import TabsPart
from ui.views.child_file_dialog.workflow_part import WorkflowPart


class ChildFileDialog(ShowingPart, SavingPart, TabsPart, WorkflowPart):
    """One child's file (一人一档), or a new one when ``child_id`` is None."""
